//! The register as a file: CSV (RFC 4180, UTF-8 with or without a byte-order mark) or XLSX
//! (the first sheet), with the header [`COLUMNS`]. Reading turns the file into rows of text
//! cells, each with the line it stands on (the header is line 1; in a CSV a quoted line
//! break makes a record span lines, and the record is named by its first); writing turns
//! rows back into either format.

use serde::Serialize;
use utoipa::ToSchema;

/// The columns, in order: exactly the header a register file has.
pub const COLUMNS: [&str; 15] = [
    "epc",
    "name",
    "category",
    "original_value",
    "acquired_on",
    "source_class",
    "owner_department",
    "zone",
    "model",
    "serial_number",
    "supplier",
    "acquisition_method",
    "funding_source",
    "finance_card_no",
    "useful_life_months",
];

/// The largest file taken (the service's own request limit is no larger).
pub const MAX_BYTES: usize = 8 * 1024 * 1024;
/// The most rows one import takes: a larger register is imported in parts.
pub const MAX_ROWS: usize = 50_000;
/// The most errors reported; the count of the rest is given.
pub const MAX_ERRORS: usize = 100;

/// The content type of an XLSX workbook.
pub const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

impl Format {
    /// By content type: `text/csv` or the XLSX type (parameters ignored).
    pub fn from_content_type(content_type: &str) -> Option<Format> {
        let essence = content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        match essence.as_str() {
            "text/csv" => Some(Format::Csv),
            XLSX_TYPE => Some(Format::Xlsx),
            _ => None,
        }
    }

    /// By what the bytes are: a ZIP archive is a workbook, anything else is taken as CSV.
    pub fn sniff(bytes: &[u8]) -> Format {
        if bytes.starts_with(b"PK\x03\x04") {
            Format::Xlsx
        } else {
            Format::Csv
        }
    }
}

/// What is wrong, and where: the line (1 is the header) and the column, when it is one cell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CellError {
    pub line: u64,
    /// The column's name in the header; null: the line or the file as a whole.
    pub column: Option<&'static str>,
    pub message: String,
}

/// Errors as they are found: the first [`MAX_ERRORS`] kept, all counted.
#[derive(Debug, Default)]
pub struct Errors {
    pub kept: Vec<CellError>,
    pub total: usize,
}

impl Errors {
    pub fn add(&mut self, line: u64, column: Option<&'static str>, message: impl Into<String>) {
        self.total += 1;
        if self.kept.len() < MAX_ERRORS {
            self.kept.push(CellError {
                line,
                column,
                message: message.into(),
            });
        }
    }

    pub fn cell(&mut self, line: u64, column: usize, message: impl Into<String>) {
        self.add(line, Some(COLUMNS[column]), message);
    }

    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// In file order (the checks against the database come after the file's own).
    pub fn sorted(mut self) -> Errors {
        let column = |c: Option<&str>| c.and_then(|c| COLUMNS.iter().position(|k| *k == c));
        self.kept
            .sort_by_key(|e| (e.line, column(e.column).map_or(0, |c| c + 1)));
        self
    }
}

/// One data row: its line and its cells, in [`COLUMNS`] order, trimmed.
#[derive(Debug, Clone)]
pub struct Cells {
    pub line: u64,
    pub cells: Vec<String>,
}

/// The data rows of a file; what is wrong with the file itself goes to `errors`.
pub fn read(bytes: &[u8], format: Format, errors: &mut Errors) -> Vec<Cells> {
    if bytes.len() > MAX_BYTES {
        errors.add(
            1,
            None,
            format!("the file is larger than {} MiB", MAX_BYTES / 1024 / 1024),
        );
        return Vec::new();
    }
    match format {
        Format::Csv => read_csv(bytes, errors),
        Format::Xlsx => read_xlsx(bytes, errors),
    }
}

fn read_csv(bytes: &[u8], errors: &mut Errors) -> Vec<Cells> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut rows = Vec::new();
    let mut header = true;
    for record in reader.byte_records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(1, |p| p.line());
                errors.add(line, None, format!("the file cannot be read as CSV: {e}"));
                return Vec::new();
            }
        };
        let line = record.position().map_or(1, |p| p.line());
        let mut cells = Vec::with_capacity(record.len());
        let mut bad = false;
        for (i, field) in record.iter().enumerate() {
            match std::str::from_utf8(field) {
                Ok(text) => cells.push(text.trim().to_owned()),
                Err(_) => {
                    let column = COLUMNS.get(i).copied();
                    errors.add(line, column, "not UTF-8 text (save the file as UTF-8)");
                    bad = true;
                    cells.push(String::new());
                }
            }
        }
        if header {
            header = false;
            if !check_header(&cells, errors) {
                return Vec::new();
            }
            continue;
        }
        if bad || !row(line, cells, errors, &mut rows) {
            continue;
        }
        if rows.len() > MAX_ROWS {
            errors.add(
                line,
                None,
                format!("more than {MAX_ROWS} rows: import the register in parts"),
            );
            return Vec::new();
        }
    }
    if header {
        errors.add(1, None, "the file is empty: it needs the header line");
    }
    rows
}

/// A data row, unless it is blank; a row of the wrong width is an error.
fn row(line: u64, mut cells: Vec<String>, errors: &mut Errors, rows: &mut Vec<Cells>) -> bool {
    // Trailing empty cells (a spreadsheet's stray commas) are no data.
    while cells.len() > COLUMNS.len() && cells.last().is_some_and(String::is_empty) {
        cells.pop();
    }
    if cells.iter().all(String::is_empty) {
        return false;
    }
    if cells.len() != COLUMNS.len() {
        errors.add(
            line,
            None,
            format!(
                "{} fields where the header has {}",
                cells.len(),
                COLUMNS.len()
            ),
        );
        return false;
    }
    rows.push(Cells { line, cells });
    true
}

fn check_header(cells: &[String], errors: &mut Errors) -> bool {
    let expected = COLUMNS.join(",");
    for (i, name) in COLUMNS.iter().enumerate() {
        match cells.get(i).map(String::as_str) {
            Some(found) if found == *name => {}
            Some(found) => {
                errors.add(
                    1,
                    Some(name),
                    format!(
                        "the header has {found:?} where {name:?} belongs; the header is {expected}"
                    ),
                );
                return false;
            }
            None => {
                errors.add(
                    1,
                    Some(name),
                    format!("the header lacks {name:?}; the header is {expected}"),
                );
                return false;
            }
        }
    }
    if let Some(extra) = cells.get(COLUMNS.len()).filter(|c| !c.is_empty()) {
        errors.add(
            1,
            None,
            format!("the header has {extra:?} after the last column; the header is {expected}"),
        );
        return false;
    }
    true
}

fn read_xlsx(bytes: &[u8], errors: &mut Errors) -> Vec<Cells> {
    use calamine::{Data, Reader, Xlsx};
    let workbook: Result<Xlsx<_>, _> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes));
    let range = match workbook.map(|mut w| w.worksheet_range_at(0)) {
        Ok(Some(Ok(range))) => range,
        Ok(None) => {
            errors.add(1, None, "the workbook has no sheet");
            return Vec::new();
        }
        Ok(Some(Err(e))) | Err(e) => {
            errors.add(1, None, format!("the file cannot be read as XLSX: {e}"));
            return Vec::new();
        }
    };
    let (Some(start), Some(end)) = (range.start(), range.end()) else {
        errors.add(1, None, "the file is empty: it needs the header line");
        return Vec::new();
    };
    let width = (end.1 + 1).max(COLUMNS.len() as u32);
    let mut rows = Vec::new();
    for r in start.0..=end.0 {
        let line = u64::from(r) + 1;
        let mut cells = Vec::with_capacity(width as usize);
        for c in 0..width {
            let text = match range.get_value((r, c)) {
                None | Some(Data::Empty) => String::new(),
                Some(Data::String(s)) => s.trim().to_owned(),
                Some(Data::Int(i)) => i.to_string(),
                // Rust writes no exponent: 1234.5 stays "1234.5".
                Some(Data::Float(f)) => f.to_string(),
                Some(Data::Bool(b)) => b.to_string(),
                Some(Data::DateTime(d)) => excel_day(d.as_f64()),
                // A date with a time of day: the day.
                Some(Data::DateTimeIso(s)) => s.split('T').next().unwrap_or_default().to_owned(),
                Some(Data::DurationIso(s)) => s.clone(),
                Some(Data::Error(e)) => {
                    if r > start.0 {
                        let column = COLUMNS.get(c as usize).copied();
                        errors.add(line, column, format!("the cell holds an error ({e})"));
                    }
                    String::new()
                }
            };
            cells.push(text);
        }
        if r == start.0 {
            if r > 0 {
                errors.add(
                    1,
                    None,
                    "the header belongs on the first row of the first sheet",
                );
                return Vec::new();
            }
            if !check_header(&cells, errors) {
                return Vec::new();
            }
            continue;
        }
        row(line, cells, errors, &mut rows);
        if rows.len() > MAX_ROWS {
            errors.add(
                line,
                None,
                format!("more than {MAX_ROWS} rows: import the register in parts"),
            );
            return Vec::new();
        }
    }
    rows
}

/// A spreadsheet's day number (days since 1899-12-30) as an ISO date.
fn excel_day(serial: f64) -> String {
    let epoch = chrono::NaiveDate::from_ymd_opt(1899, 12, 30).unwrap_or_default();
    if !(0.0..3_000_000.0).contains(&serial) {
        return serial.to_string();
    }
    (epoch + chrono::Duration::days(serial.floor() as i64)).to_string()
}

/// A cell as a CSV field: RFC 4180 quoting; a leading `=`, `+`, `-` or `@` that is not a
/// number gets a `'` before it, so a spreadsheet never runs the cell as a formula (reading
/// takes the `'` off again).
pub fn csv_field(s: &str, out: &mut String) {
    let guarded = s.starts_with(['=', '+', '-', '@']) && s.parse::<f64>().is_err();
    if guarded || s.contains([',', '"', '\n', '\r']) {
        out.push('"');
        if guarded {
            out.push('\'');
        }
        out.push_str(&s.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(s);
    }
}

/// One CSV line (CRLF-terminated).
pub fn csv_line(cells: &[String], out: &mut String) {
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        csv_field(cell, out);
    }
    out.push_str("\r\n");
}

/// The byte-order mark (so spreadsheets on office PCs read the Chinese right) and the header.
pub fn csv_head() -> String {
    let mut out = String::from("\u{feff}");
    let header: Vec<String> = COLUMNS.iter().map(|c| c.to_string()).collect();
    csv_line(&header, &mut out);
    out
}

/// A text cell as it was meant: the `'` a formula guard put before `=`, `+`, `-` or `@`
/// comes off.
pub fn unguarded(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@']) => rest,
        _ => cell,
    }
}

/// Writes the register as a workbook of one sheet: the header, then one row per asset;
/// `original_value` and `useful_life_months` as numbers, the rest as text. The sheet is
/// kept on disk as it grows (constant memory), the workbook assembled at the end.
pub struct XlsxWriter {
    workbook: rust_xlsxwriter::Workbook,
    next_row: u32,
}

/// The column of `original_value`, and of `useful_life_months`: numbers in a workbook.
const VALUE: usize = 3;
const LIFE: usize = 14;

impl XlsxWriter {
    pub fn new() -> Result<XlsxWriter, rust_xlsxwriter::XlsxError> {
        let mut workbook = rust_xlsxwriter::Workbook::new();
        let sheet = workbook.add_worksheet_with_constant_memory();
        sheet.set_name("register")?;
        for (c, name) in COLUMNS.iter().enumerate() {
            sheet.write_string(0, c as u16, *name)?;
        }
        Ok(XlsxWriter {
            workbook,
            next_row: 1,
        })
    }

    pub fn row(&mut self, cells: &[String]) -> Result<(), rust_xlsxwriter::XlsxError> {
        let r = self.next_row;
        let sheet = self.workbook.worksheet_from_index(0)?;
        for (c, cell) in cells.iter().enumerate() {
            if cell.is_empty() {
                continue;
            }
            let number = matches!(c, VALUE | LIFE)
                .then(|| cell.parse::<f64>().ok())
                .flatten();
            match number {
                Some(n) => sheet.write_number(r, c as u16, n)?,
                None => sheet.write_string(r, c as u16, cell.as_str())?,
            };
        }
        self.next_row += 1;
        Ok(())
    }

    pub fn finish(mut self) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
        self.workbook.save_to_buffer()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_guarded_and_unguarded() {
        let mut out = String::new();
        csv_line(
            &["=SUM(A1)".into(), "-12.50".into(), "a,b".into()],
            &mut out,
        );
        assert_eq!(out, "\"'=SUM(A1)\",-12.50,\"a,b\"\r\n");
        assert_eq!(unguarded("'=SUM(A1)"), "=SUM(A1)");
        assert_eq!(unguarded("'quoted"), "'quoted");
    }

    #[test]
    fn a_wrong_header_is_named_at_its_column() {
        let mut errors = Errors::default();
        let rows = read(b"epc,name,kind\r\n", Format::Csv, &mut errors);
        assert!(rows.is_empty());
        assert_eq!(errors.kept[0].line, 1);
        assert_eq!(errors.kept[0].column, Some("category"));
    }

    #[test]
    fn days_come_out_of_spreadsheet_numbers() {
        assert_eq!(excel_day(45_658.0), "2025-01-01");
    }
}
