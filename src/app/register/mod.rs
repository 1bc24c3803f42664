//! The asset register as a file (资产台账): a depot going live imports the assets it already
//! has, and anyone keeping the register exports it. Import is all or nothing: the file is
//! checked whole — every cell on its own, then the codes and EPCs against the database —
//! and refused with every error named by line and column (the first [`MAX_ERRORS`]), or
//! taken in one transaction as one intake, each asset registered and, where the file says
//! where it is, received into stock there. A dry run checks and stores nothing.

pub mod file;

use std::collections::HashMap;

use serde::Serialize;
use utoipa::ToSchema;

use super::policy::{authorize, Target};
use super::{App, Op, Result, Rows};
use crate::auth::Actor;
use crate::db::assets::{AcquisitionMethod, SourceClass};
use crate::db::events::Context;
use crate::db::register::{self, Entry, Line};
use crate::domain::bounds::{Day, Fen, Months, Text};
use crate::domain::epc;
pub use file::{CellError, Format, COLUMNS, MAX_BYTES, MAX_ERRORS, MAX_ROWS, XLSX_TYPE};
use file::{Cells, Errors};

/// What an import did, or would do.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportReport {
    /// Only checked: nothing was stored, whatever the errors.
    pub dry_run: bool,
    /// Whether the assets were stored (no errors, not a dry run).
    pub stored: bool,
    /// The data rows the file holds.
    pub rows: usize,
    /// The intake that took the assets in, when stored.
    pub intake_id: Option<i64>,
    /// How many rows had no EPC and get (or got) a GIAI-96 one.
    pub epcs_assigned: usize,
    /// The first errors in file order; `error_count` counts them all.
    pub errors: Vec<CellError>,
    pub error_count: usize,
    /// The first rows as read, for a person to look over before importing.
    pub preview: Vec<Vec<String>>,
}

/// How many rows a report shows.
const PREVIEW_ROWS: usize = 10;

/// Whether the actor may import at all (asked before the file is read).
pub fn may_import(actor: &Actor) -> Result<()> {
    authorize(actor, Op::ImportAssets, Target::Nothing)
}

/// Check a register file and, unless it is a dry run or anything is wrong, store it.
pub async fn import(
    app: &App,
    actor: &Actor,
    bytes: &[u8],
    format: Format,
    dry_run: bool,
) -> Result<ImportReport> {
    authorize(actor, Op::ImportAssets, Target::Nothing)?;
    let mut errors = Errors::default();
    let cells = file::read(bytes, format, &mut errors);
    let preview = cells
        .iter()
        .take(PREVIEW_ROWS)
        .map(|c| c.cells.clone())
        .collect();
    let rows = check_cells(&cells, &mut errors);
    let mut report = ImportReport {
        dry_run,
        stored: false,
        rows: cells.len(),
        intake_id: None,
        epcs_assigned: rows.iter().filter(|r| r.epc.is_none()).count(),
        errors: Vec::new(),
        error_count: 0,
        preview,
    };
    if rows.is_empty() && errors.is_empty() {
        errors.add(2, None, "the file has no rows under the header");
    }
    let prefix = app.config.company_prefix.clone();
    let description = format!("Register import: {} assets", report.rows);
    let ctx = Context::by(actor.id);
    let outcome = app
        .change(actor, Op::ImportAssets, async |tx| {
            let entries = resolve(tx, rows, &mut errors).await?;
            if !errors.is_empty() || dry_run {
                return Ok::<_, super::Error>(None);
            }
            let entries = assign_epcs(tx, &prefix, entries).await?;
            let (intake, _) = register::insert(tx, &entries, &description, &ctx).await?;
            Ok(Some(intake))
        })
        .await?;
    let errors = errors.sorted();
    report.stored = outcome.is_some();
    report.intake_id = outcome;
    report.error_count = errors.total;
    report.errors = errors.kept;
    Ok(report)
}

/// A row checked on its own: typed values, codes not yet resolved.
struct Row {
    line: u64,
    epc: Option<String>,
    name: String,
    category: String,
    original_value_fen: i64,
    acquired_on: Option<chrono::NaiveDate>,
    source_class: SourceClass,
    owner_department: Option<String>,
    zone: Option<String>,
    model: String,
    serial_number: String,
    supplier: String,
    acquisition_method: Option<AcquisitionMethod>,
    funding_source: String,
    finance_card_no: String,
    useful_life_months: Option<i32>,
}

fn source_class(s: &str) -> Option<SourceClass> {
    Some(match s {
        "event_purchase" => SourceClass::EventPurchase,
        "abolished_body" => SourceClass::AbolishedBody,
        "institutional_reform" => SourceClass::InstitutionalReform,
        "other_idle" => SourceClass::OtherIdle,
        _ => return None,
    })
}

/// Each row's cells checked on their own, and EPCs given twice in the file.
fn check_cells(rows: &[Cells], errors: &mut Errors) -> Vec<Row> {
    let mut checked = Vec::with_capacity(rows.len());
    let mut epcs: HashMap<String, u64> = HashMap::new();
    for Cells { line, cells } in rows {
        let line = *line;
        let cell = |i: usize| file::unguarded(&cells[i]);
        let text = |i: usize, errors: &mut Errors| match Text::parse(cell(i)) {
            Ok(t) => t.trim().to_owned(),
            Err(e) => {
                errors.cell(line, i, e.0);
                String::new()
            }
        };
        let code = |i: usize, errors: &mut Errors| {
            let t = text(i, errors);
            (!t.is_empty()).then_some(t)
        };
        let epc = match cell(0) {
            "" => None,
            hex => match epc::parse_hex(hex).filter(|b| b.len() == 12) {
                Some(bytes) => {
                    let hex = epc::hex_upper(&bytes);
                    if let Some(first) = epcs.get(&hex) {
                        errors.cell(line, 0, format!("EPC {hex} is given on line {first} too"));
                    } else {
                        epcs.insert(hex.clone(), line);
                    }
                    Some(hex)
                }
                None => {
                    errors.cell(
                        line,
                        0,
                        format!("{hex:?} is not an EPC of 24 hex digits (96 bits)"),
                    );
                    None
                }
            },
        };
        let name_before = errors.total;
        let name = text(1, errors);
        if name.is_empty() && errors.total == name_before {
            errors.cell(line, 1, "an asset needs a name");
        }
        let category = code(2, errors).unwrap_or_else(|| {
            errors.cell(line, 2, "an asset needs a category code");
            String::new()
        });
        let original_value_fen = match cell(3) {
            "" => {
                errors.cell(line, 3, "an asset needs its original value in yuan");
                0
            }
            v => match Fen::from_yuan(v) {
                Ok(f) => f.get(),
                Err(e) => {
                    errors.cell(line, 3, e.0);
                    0
                }
            },
        };
        let acquired_on = match cell(4) {
            "" => None,
            d => match Day::parse(d) {
                Ok(d) => Some(d.date()),
                Err(e) => {
                    errors.cell(line, 4, e.0);
                    None
                }
            },
        };
        let source_class = match cell(5) {
            "" => SourceClass::OtherIdle,
            s => source_class(s).unwrap_or_else(|| {
                errors.cell(line, 5, format!("{s:?} is not a source class (event_purchase, abolished_body, institutional_reform, other_idle)"));
                SourceClass::OtherIdle
            }),
        };
        let owner_department = code(6, errors);
        let zone = code(7, errors);
        if let Some(z) = &zone {
            if !z.contains('/') {
                errors.cell(line, 7, format!("{z:?} is not WAREHOUSE/ZONE"));
            }
        }
        let model = text(8, errors);
        let serial_number = text(9, errors);
        let supplier = text(10, errors);
        let acquisition_method = match cell(11) {
            "" => None,
            m => AcquisitionMethod::parse(m).or_else(|| {
                errors.cell(
                    line,
                    11,
                    format!(
                        "{m:?} is not an acquisition method (purchase, transfer, donation, other)"
                    ),
                );
                None
            }),
        };
        let funding_source = text(12, errors);
        let finance_card_no = text(13, errors);
        let useful_life_months = match cell(14) {
            "" => None,
            m => match m.parse::<i64>().map(Months::new) {
                Ok(Ok(m)) => Some(m.as_i32()),
                Ok(Err(e)) => {
                    errors.cell(line, 14, e.0);
                    None
                }
                Err(_) => {
                    errors.cell(line, 14, format!("{m:?} is not a whole number of months"));
                    None
                }
            },
        };
        // Kept even when a cell is bad, so its codes and EPC are checked against the
        // database too: every error of the file at once.
        checked.push(Row {
            line,
            epc,
            name,
            category,
            original_value_fen,
            acquired_on,
            source_class,
            owner_department,
            zone,
            model,
            serial_number,
            supplier,
            acquisition_method,
            funding_source,
            finance_card_no,
            useful_life_months,
        });
    }
    checked
}

/// The rows' codes as ids, and their EPCs checked against the assets there are; what the
/// database does not know goes to `errors` naming the row's line and column.
async fn resolve(
    conn: &mut sqlx::PgConnection,
    rows: Vec<Row>,
    errors: &mut Errors,
) -> Result<Vec<(Option<String>, Entry)>> {
    let distinct = |f: fn(&Row) -> Option<&String>| {
        let mut v: Vec<String> = rows.iter().filter_map(f).cloned().collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    let categories: HashMap<String, i64> =
        register::categories_by_code(conn, &distinct(|r| Some(&r.category)))
            .await?
            .into_iter()
            .collect();
    let departments: HashMap<String, i64> =
        register::departments_by_code(conn, &distinct(|r| r.owner_department.as_ref()))
            .await?
            .into_iter()
            .collect();
    let zones: HashMap<String, i64> = register::zones_by_code(conn).await?.into_iter().collect();
    let taken: HashMap<String, i64> = register::taken_epcs(conn, &distinct(|r| r.epc.as_ref()))
        .await?
        .into_iter()
        .collect();
    let mut entries = Vec::with_capacity(rows.len());
    for r in rows {
        let category_id = categories.get(&r.category).copied().unwrap_or_else(|| {
            if !r.category.is_empty() {
                errors.cell(r.line, 2, format!("no category with code {:?}", r.category));
            }
            0
        });
        let owner_department_id = r.owner_department.as_ref().and_then(|code| {
            let id = departments.get(code).copied();
            if id.is_none() {
                errors.cell(r.line, 6, format!("no department with code {code:?}"));
            }
            id
        });
        let zone_id = r.zone.as_ref().and_then(|code| {
            let id = zones.get(code).copied();
            if id.is_none() && code.contains('/') {
                errors.cell(
                    r.line,
                    7,
                    format!("no zone {code:?} (WAREHOUSE/ZONE by their codes)"),
                );
            }
            id
        });
        if let Some(asset) = r.epc.as_ref().and_then(|e| taken.get(e)) {
            errors.cell(
                r.line,
                0,
                format!(
                    "EPC {} is already on asset {asset}",
                    r.epc.as_deref().unwrap_or_default()
                ),
            );
        }
        // Entries are stored only when the whole file is clean.
        if errors.total == 0 {
            entries.push((
                r.epc,
                Entry {
                    epc: String::new(),
                    name: r.name,
                    category_id,
                    original_value_fen: r.original_value_fen,
                    acquired_on: r.acquired_on,
                    source_class: r.source_class,
                    owner_department_id,
                    zone_id,
                    model: r.model,
                    serial_number: r.serial_number,
                    supplier: r.supplier,
                    acquisition_method: r.acquisition_method,
                    funding_source: r.funding_source,
                    finance_card_no: r.finance_card_no,
                    useful_life_months: r.useful_life_months,
                },
            ));
        }
    }
    Ok(entries)
}

/// The EPCs: the one given, or a GIAI-96 commissioned from the company prefix, as intake
/// commissions them.
async fn assign_epcs(
    conn: &mut sqlx::PgConnection,
    company_prefix: &str,
    entries: Vec<(Option<String>, Entry)>,
) -> Result<Vec<Entry>> {
    let missing = entries.iter().filter(|(epc, _)| epc.is_none()).count();
    let mut references = register::asset_references(conn, missing).await?.into_iter();
    let mut out = Vec::with_capacity(entries.len());
    for (epc, mut entry) in entries {
        entry.epc = match epc {
            Some(hex) => hex,
            None => {
                let reference = references.next().unwrap_or_default();
                let bytes = epc::encode_giai96(0, company_prefix, reference as u64)
                    .map_err(|e| super::Error::Invalid(format!("cannot commission an EPC: {e}")))?;
                epc::hex_upper(&bytes)
            }
        };
        out.push(entry);
    }
    Ok(out)
}

/// The register as the file holds it, row by row: the cells in [`COLUMNS`] order.
pub fn cells(line: Line) -> Vec<String> {
    let opt = |s: Option<String>| s.unwrap_or_default();
    vec![
        line.epc,
        line.name,
        line.category,
        format!(
            "{}.{:02}",
            line.original_value_fen / 100,
            line.original_value_fen % 100
        ),
        line.acquired_on.map(|d| d.to_string()).unwrap_or_default(),
        source_class_name(line.source_class).to_owned(),
        opt(line.owner_department),
        opt(line.zone),
        line.model,
        line.serial_number,
        line.supplier,
        line.acquisition_method
            .map(|m| m.as_str().to_owned())
            .unwrap_or_default(),
        line.funding_source,
        line.finance_card_no,
        line.useful_life_months
            .map(|m| m.to_string())
            .unwrap_or_default(),
    ]
}

fn source_class_name(s: SourceClass) -> &'static str {
    match s {
        SourceClass::EventPurchase => "event_purchase",
        SourceClass::AbolishedBody => "abolished_body",
        SourceClass::InstitutionalReform => "institutional_reform",
        SourceClass::OtherIdle => "other_idle",
    }
}

/// The whole register, in batches as the query yields them (admins and keepers).
pub async fn export(app: &App, actor: &Actor, op: Op) -> Result<Rows<Line>> {
    app.rows(actor, op, (), |c, ()| register::rows(c)).await
}

/// The register's rows written into a workbook, on a blocking thread as the batches come.
pub async fn workbook(mut rows: Rows<Line>) -> Result<Vec<u8>> {
    let failed = |e: rust_xlsxwriter::XlsxError| {
        super::Error::Internal(anyhow::anyhow!("cannot write the workbook: {e}"))
    };
    tokio::task::spawn_blocking(move || {
        let mut writer = file::XlsxWriter::new().map_err(failed)?;
        while let Some(batch) = rows.blocking_next() {
            for line in batch? {
                writer.row(&cells(line)).map_err(failed)?;
            }
        }
        writer.finish().map_err(failed)
    })
    .await
    .map_err(|e| super::Error::Internal(anyhow::anyhow!("the workbook's writer stopped: {e}")))?
}
