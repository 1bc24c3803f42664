//! A ZPL label printer emulator: it listens on TCP as a Zebra printer does on port 9100,
//! reads the ZPL II it is sent, and records each label (`^XA`…`^XZ`) as a printer would
//! print it: the EPC it would encode (`^RFW` then `^FD`), the QR codes' data (`^BQ`), and
//! the texts of the other fields, `^FH` hex escapes decoded.
//!
//! It reads commands as a printer does, so a `^` or `~` that reaches it inside a field is a
//! command, which is what lets a test see whether text was able to command it.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// The most one connection may send: the rest is not read.
pub const MAX_JOB_BYTES: u64 = 16 << 20;

/// One label as the printer would make it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrintedLabel {
    /// The EPC written to the tag (`^RFW` … `^FD`), as sent.
    pub epc: Option<String>,
    /// Whether the format set up the RFID encoder (`^RS`).
    pub rfid_setup: bool,
    /// Data of the QR codes, without the `QA,` mode prefix.
    pub qr: Vec<String>,
    /// The other fields' data, in order.
    pub texts: Vec<String>,
}

/// The printer, listening; stops when dropped.
pub struct ZplPrinter {
    pub addr: SocketAddr,
    labels: Arc<Mutex<Vec<PrintedLabel>>>,
    connections: Arc<Mutex<usize>>,
    task: JoinHandle<()>,
}

impl ZplPrinter {
    /// Listen on `addr` (e.g. `127.0.0.1:0`).
    pub async fn start(addr: &str) -> std::io::Result<ZplPrinter> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let labels = Arc::new(Mutex::new(Vec::new()));
        let connections = Arc::new(Mutex::new(0));
        let (l, n) = (labels.clone(), connections.clone());
        let task = tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                *n.lock().unwrap() += 1;
                let l = l.clone();
                tokio::spawn(async move {
                    // A printer buffers a job and prints it as formats complete; reading to
                    // the end and then parsing records the same labels.
                    let mut bytes = Vec::new();
                    let mut job = (&mut stream).take(MAX_JOB_BYTES);
                    if job.read_to_end(&mut bytes).await.is_ok() {
                        let text = String::from_utf8_lossy(&bytes);
                        l.lock().unwrap().extend(parse(&text));
                    }
                });
            }
        });
        Ok(ZplPrinter {
            addr,
            labels,
            connections,
            task,
        })
    }

    /// The labels printed so far, in the order received.
    pub fn labels(&self) -> Vec<PrintedLabel> {
        self.labels.lock().unwrap().clone()
    }

    /// How many connections it has taken.
    pub fn connections(&self) -> usize {
        *self.connections.lock().unwrap()
    }

    /// Wait up to `within` for at least `n` labels; what it has then.
    pub async fn wait_for(&self, n: usize, within: std::time::Duration) -> Vec<PrintedLabel> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let labels = self.labels();
            if labels.len() >= n || tokio::time::Instant::now() >= deadline {
                return labels;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }
}

impl Drop for ZplPrinter {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The commands of a ZPL stream: `^` or `~`, a two-letter code (one letter for `^A`'s font,
/// `^A@`), and the parameters up to the next command prefix.
fn commands(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find(['^', '~']) {
        let body = &rest[at + 1..];
        let end = body.find(['^', '~']).unwrap_or(body.len());
        let command = &body[..end];
        let split = command
            .char_indices()
            .nth(2)
            .map(|(i, _)| i)
            .unwrap_or(command.len());
        let (code, params) = command.split_at(split);
        out.push((code.to_ascii_uppercase(), params.to_owned()));
        rest = &body[end..];
    }
    out
}

/// The labels of a ZPL stream: each `^XA`…`^XZ` format.
pub fn parse(text: &str) -> Vec<PrintedLabel> {
    let mut labels = Vec::new();
    let mut current: Option<PrintedLabel> = None;
    // What the field being built is: a plain text, an RFID write, a QR code.
    #[derive(Clone, Copy, PartialEq)]
    enum Field {
        Text,
        Rfid,
        Qr,
    }
    let mut field = Field::Text;
    let mut hex = false;
    for (code, params) in commands(text) {
        match code.as_str() {
            "XA" => {
                current = Some(PrintedLabel::default());
                field = Field::Text;
                hex = false;
            }
            "XZ" => labels.extend(current.take()),
            _ => {
                let Some(label) = current.as_mut() else {
                    continue;
                };
                match code.as_str() {
                    "RS" => label.rfid_setup = true,
                    "RF" if params.starts_with('W') || params.starts_with('w') => {
                        field = Field::Rfid
                    }
                    "BQ" => field = Field::Qr,
                    "FH" => hex = true,
                    "FD" => {
                        let data = if hex { unhex(&params) } else { params.clone() };
                        let data = data.trim_end_matches(['\r', '\n']).to_owned();
                        match field {
                            Field::Rfid => label.epc = Some(data),
                            Field::Qr => {
                                let data = data.get(3..).unwrap_or_default().to_owned();
                                label.qr.push(data)
                            }
                            Field::Text => label.texts.push(data),
                        }
                    }
                    "FS" => {
                        field = Field::Text;
                        hex = false;
                    }
                    _ => {}
                }
            }
        }
    }
    labels
}

/// `^FH` field data: `_XX` is the byte XX.
fn unhex(data: &str) -> String {
    let bytes = data.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'_'
            && i + 2 < bytes.len()
            && bytes[i + 1].is_ascii_hexdigit()
            && bytes[i + 2].is_ascii_hexdigit()
        {
            let digit = |b: u8| (b as char).to_digit(16).unwrap_or_default() as u8;
            out.push(digit(bytes[i + 1]) * 16 + digit(bytes[i + 2]));
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_labels_their_epcs_and_texts() {
        let zpl = "^XA^CI28^RS8^RFW,H,,,A^FD3434257BF400000000000001^FS\n\
                   ^FO1,1^BQN,2,5^FH^FDQA,urn:epc:tag:giai-96:1.6901234.1^FS\
                   ^FO2,2^A@N,30,30,E:SIMSUN.TTF^FH^FD桌子 _5Ea_5F^FS^XZ\
                   ^XA^RFW,H^FD3434257BF400000000000002^FS^XZ";
        let labels = parse(zpl);
        assert_eq!(labels.len(), 2);
        assert_eq!(labels[0].epc.as_deref(), Some("3434257BF400000000000001"));
        assert!(labels[0].rfid_setup);
        assert_eq!(labels[0].qr, ["urn:epc:tag:giai-96:1.6901234.1"]);
        assert_eq!(labels[0].texts, ["桌子 ^a_"]);
        assert_eq!(labels[1].epc.as_deref(), Some("3434257BF400000000000002"));
        assert!(!labels[1].rfid_setup);
    }

    #[test]
    fn a_caret_in_a_field_is_a_command() {
        let labels = parse("^XA^FDdesk^XZ^XA^RFW,H^FDDEADBEEF^FS^XZ");
        assert_eq!(labels.len(), 2);
        assert_eq!(labels[1].epc.as_deref(), Some("DEADBEEF"));
    }
}
