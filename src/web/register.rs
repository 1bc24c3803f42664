//! The register's import page: upload a CSV or XLSX, see every error by line and column (or
//! the first rows) with nothing stored, then import. The checked file rides along in the
//! preview's form, so the import takes exactly what was previewed (and checks it again).

use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use axum::Router;
use base64::Engine as _;

use super::{invalid, render, Chrome, PageResult, Upload, Viewer};
use crate::app::register::{self, Format, ImportReport, COLUMNS};
use crate::app::App;

/// The largest file the page takes: carried back as base64 (a third larger) in the
/// preview's form, it stays within the service's request limit (8 MiB). Larger registers go
/// through the API or `depot import assets`.
const PAGE_MAX_BYTES: usize = 6 * 1024 * 1024 - 64 * 1024;
/// The largest upload: the file, or the preview's form carrying it.
const UPLOAD_LIMIT: usize = 8 * 1024 * 1024;

pub fn router() -> Router<App> {
    Router::new()
        .route("/admin/import", get(page).post(check))
        .route("/admin/import/confirm", axum::routing::post(import))
        .layer(DefaultBodyLimit::max(UPLOAD_LIMIT))
}

#[derive(askama::Template)]
#[template(path = "import.html")]
struct ImportPage {
    c: Chrome,
    columns: String,
    file_name: String,
    report: Option<ImportReport>,
    /// The checked file, for the import button (base64), and its format.
    data: String,
    format: &'static str,
}

impl ImportPage {
    fn new(v: &Viewer) -> ImportPage {
        ImportPage {
            c: v.chrome("import_register"),
            columns: COLUMNS.join(","),
            file_name: String::new(),
            report: None,
            data: String::new(),
            format: "csv",
        }
    }

    fn header(&self) -> &'static [&'static str] {
        &COLUMNS
    }
}

async fn page(v: Viewer) -> PageResult {
    register::may_import(&v.actor)?;
    render(ImportPage::new(&v))
}

/// The file checked (a dry run): the errors, or the first rows and the import button.
async fn check(upload: Upload) -> PageResult {
    let v = upload.viewer;
    let Some(super::UploadedFile { bytes, name, .. }) = upload.file.filter(|f| !f.bytes.is_empty())
    else {
        return Err(invalid("choose a CSV or XLSX file to check"));
    };
    if bytes.len() > PAGE_MAX_BYTES {
        return Err(invalid(
            "the file is larger than 6 MiB: import it with the API or `depot import assets`",
        ));
    }
    let format = Format::sniff(&bytes);
    let app = upload.app;
    let report = register::import(&app, &v.actor, &bytes, format, true).await?;
    let mut page = ImportPage::new(&v);
    if report.error_count == 0 {
        page.data = base64::engine::general_purpose::STANDARD.encode(&bytes);
    }
    page.format = match format {
        Format::Csv => "csv",
        Format::Xlsx => "xlsx",
    };
    page.file_name = name;
    page.report = Some(report);
    render(page)
}

/// The previewed file imported: all or nothing, checked again.
async fn import(upload: Upload) -> PageResult {
    let v = &upload.viewer;
    let Some(data) = upload.text("data") else {
        return Err(invalid("check a file first"));
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data.trim())
        .map_err(|_| invalid("the checked file came back damaged: check it again"))?;
    let format = match upload.text("format") {
        Some("xlsx") => Format::Xlsx,
        _ => Format::Csv,
    };
    let report = register::import(&upload.app, &v.actor, &bytes, format, false).await?;
    let mut page = ImportPage::new(v);
    page.file_name = upload.text("file_name").unwrap_or_default().to_owned();
    page.report = Some(report);
    render(page)
}
