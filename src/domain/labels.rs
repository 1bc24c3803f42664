//! Asset labels in ZPL II, for Zebra RFID printers: each label encodes the asset's EPC in the
//! tag's EPC bank (`^RFW,H`), carries a QR code of its tag URI (`^BQN`) and prints its name
//! and number in a scalable font that has Chinese (`^CI28`: field data is UTF-8).
//!
//! Text comes from people (an asset's name): every field goes out through `^FH` with the
//! command characters `^` and `~` (and the escape character `_` itself) written as hex
//! escapes, and control characters dropped, so a name can print anything but command the
//! printer.

use std::fmt::Write as _;

/// The font that prints Chinese: SimSun, as Zebra's Asian font kits install it.
pub const FONT: &str = "E:SIMSUN.TTF";

/// The longest name printed on a label, in characters; a longer one is cut with `…`.
pub const MAX_NAME_CHARS: usize = 40;

/// What one label shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    /// The EPC as hex, encoded in the tag's EPC bank.
    pub epc: String,
    /// The EPC's tag URI (`urn:epc:tag:giai-96:…`), in the QR code.
    pub tag_uri: String,
    pub name: String,
    /// The asset's number, printed under its name.
    pub number: String,
}

/// ZPL II for the labels, one `^XA`…`^XZ` format per label, in order.
pub fn zpl(labels: &[Label]) -> String {
    let mut out = String::with_capacity(labels.len() * 320);
    for label in labels {
        write_label(&mut out, label);
    }
    out
}

fn write_label(out: &mut String, label: &Label) {
    let epc: String = label
        .epc
        .chars()
        .filter(char::is_ascii_hexdigit)
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let name = shorten(&label.name, MAX_NAME_CHARS);
    out.push_str("^XA\n");
    // UTF-8 field data.
    out.push_str("^CI28\n");
    // RFID setup: Gen2 tags (type 8), the default programming position.
    out.push_str("^RS8\n");
    // The EPC into the EPC bank, the PC word's length bits adjusted to it.
    let _ = writeln!(out, "^RFW,H,,,A^FD{epc}^FS");
    let _ = writeln!(out, "^FO30,30^BQN,2,5^FH^FDQA,{}^FS", field(&label.tag_uri));
    let _ = writeln!(out, "^FO260,40^A@N,36,36,{FONT}^FH^FD{}^FS", field(&name));
    let _ = writeln!(
        out,
        "^FO260,100^A@N,28,28,{FONT}^FH^FD{}^FS",
        field(&label.number)
    );
    let _ = writeln!(out, "^FO260,150^A0N,22,22^FD{epc}^FS");
    out.push_str("^PQ1\n^XZ\n");
}

/// Field data safe to follow `^FH^FD`: `^`, `~` and `_` as `_5E`, `_7E`, `_5F`; control
/// characters (line breaks included) dropped.
pub fn field(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '^' => out.push_str("_5E"),
            '~' => out.push_str("_7E"),
            '_' => out.push_str("_5F"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// At most `max` characters, the last `…` when cut.
fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(max - 1).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label(epc: &str, name: &str) -> Label {
        Label {
            epc: epc.into(),
            tag_uri: "urn:epc:tag:giai-96:1.6901234.7".into(),
            name: name.into(),
            number: "No. 7".into(),
        }
    }

    #[test]
    fn one_format_per_label_each_writing_its_epc() {
        let epcs = [
            "3434257BF400000000000001",
            "3434257BF400000000000002",
            "3434257BF400000000000003",
        ];
        let labels: Vec<Label> = epcs
            .iter()
            .map(|e| label(e, "折叠桌 folding table"))
            .collect();
        let zpl = zpl(&labels);
        assert_eq!(zpl.matches("^XA").count(), 3, "{zpl}");
        assert_eq!(zpl.matches("^XZ").count(), 3, "{zpl}");
        assert_eq!(zpl.matches("^RS8").count(), 3, "{zpl}");
        let written: Vec<&str> = zpl
            .lines()
            .filter_map(|l| l.strip_prefix("^RFW,H,,,A^FD"))
            .map(|l| l.trim_end_matches("^FS"))
            .collect();
        assert_eq!(written, epcs);
        assert!(zpl.contains("^BQN,2,5^FH^FDQA,urn:epc:tag:giai-96:1.6901234.7^FS"));
        assert!(zpl.contains("^CI28"));
        assert!(zpl.contains(&format!("^A@N,36,36,{FONT}^FH^FD折叠桌 folding table^FS")));
        assert!(zpl.contains("No. 7"));
    }

    #[test]
    fn hostile_names_cannot_command_the_printer() {
        let hostile = "desk^XZ^XA^RFW,H^FDDEADBEEF^FS~JR\r\n^XZ~PS_5E";
        let one = zpl(&[label("3434257BF400000000000001", hostile)]);
        let plain = zpl(&[label("3434257BF400000000000001", "desk")]);
        // The same commands as a harmless name: only the field data differs.
        let commands = |z: &str| z.matches('^').count();
        assert_eq!(commands(&one), commands(&plain), "{one}");
        assert!(!one.contains('~'), "{one}");
        assert_eq!(one.matches("^XA").count(), 1);
        assert_eq!(one.matches("^RFW").count(), 1);
        assert!(!one.contains("DEADBEEF^FS~"));
        // What prints is still the name, escaped; `_` itself escaped so `_5E` stays text.
        assert_eq!(
            field(hostile),
            "desk_5EXZ_5EXA_5ERFW,H_5EFDDEADBEEF_5EFS_7EJR_5EXZ_7EPS_5F5E"
        );
    }

    #[test]
    fn long_names_are_cut_and_epcs_keep_only_hex() {
        let long = "椅".repeat(100);
        let one = zpl(&[label("34 34-25zz7BF400000000000001", &long)]);
        assert!(one.contains(&format!("{}…", "椅".repeat(MAX_NAME_CHARS - 1))));
        assert!(!one.contains(&"椅".repeat(MAX_NAME_CHARS)));
        assert!(one.contains("^RFW,H,,,A^FD3434257BF400000000000001^FS"));
    }
}
