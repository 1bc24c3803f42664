//! The register's import page: upload a CSV or XLSX, see every error by line and column (or
//! the first rows) with nothing stored, then import. The checked file rides along in the
//! preview's form, so the import takes exactly what was previewed (and checks it again).

use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Multipart, Request};
use axum::routing::get;
use axum::Router;
use base64::Engine as _;

use super::{constant_time_eq, invalid, render, Chrome, PageError, PageResult, Viewer};
use crate::app::register::{self, Format, ImportReport, COLUMNS};
use crate::app::App;
use crate::cookie;

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
    let (bytes, name) = match (upload.file, upload.data) {
        (Some(file), _) => file,
        _ => return Err(invalid("choose a CSV or XLSX file to check")),
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
    let v = upload.viewer;
    let Some(data) = upload.data else {
        return Err(invalid("check a file first"));
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data.trim())
        .map_err(|_| invalid("the checked file came back damaged: check it again"))?;
    let format = match upload.format.as_deref() {
        Some("xlsx") => Format::Xlsx,
        _ => Format::Csv,
    };
    let report = register::import(&upload.app, &v.actor, &bytes, format, false).await?;
    let mut page = ImportPage::new(&v);
    page.file_name = upload.file_name.unwrap_or_default();
    page.report = Some(report);
    render(page)
}

/// A multipart form from our own page: the viewer, its form token checked, and its parts
/// (the file, or the checked file carried back as base64, and its format).
struct Upload {
    app: App,
    viewer: Viewer,
    file: Option<(Vec<u8>, String)>,
    data: Option<String>,
    format: Option<String>,
    file_name: Option<String>,
}

impl FromRequest<App> for Upload {
    type Rejection = PageError;

    async fn from_request(req: Request, state: &App) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let viewer = Viewer::from_request_parts(&mut parts, state).await?;
        if !cookie::same_origin(&parts.headers) {
            return Err(PageError::Forged);
        }
        let req = Request::from_parts(parts, body);
        let mut form = Multipart::from_request(req, state)
            .await
            .map_err(|e| invalid(format!("the upload cannot be read: {}", e.body_text())))?;
        let mut upload = Upload {
            app: state.clone(),
            viewer,
            file: None,
            data: None,
            format: None,
            file_name: None,
        };
        let mut csrf = String::new();
        let too_large = |e: axum::extract::multipart::MultipartError| {
            invalid(format!("the upload cannot be read: {}", e.body_text()))
        };
        while let Some(field) = form.next_field().await.map_err(too_large)? {
            let name = field.name().unwrap_or_default().to_owned();
            match name.as_str() {
                "file" => {
                    let file_name = field.file_name().unwrap_or_default().to_owned();
                    let bytes = field.bytes().await.map_err(too_large)?;
                    if !bytes.is_empty() {
                        upload.file = Some((bytes.to_vec(), file_name));
                    }
                }
                "csrf" => csrf = field.text().await.map_err(too_large)?,
                "data" => upload.data = Some(field.text().await.map_err(too_large)?),
                "format" => upload.format = Some(field.text().await.map_err(too_large)?),
                "file_name" => upload.file_name = Some(field.text().await.map_err(too_large)?),
                _ => {}
            }
        }
        if !constant_time_eq(csrf.as_bytes(), upload.viewer.csrf.as_bytes()) {
            return Err(PageError::Forged);
        }
        Ok(upload)
    }
}
