//! The register as a file: import (CSV or XLSX, all or nothing, or a dry run) and export.

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::error::ErrorBody;
use super::{ApiError, ApiResult, App, Json, Query};
use crate::app::register::{self, file, Format, ImportReport};
use crate::app::Op;
use crate::auth::Actor;

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(import_assets))
        .routes(routes!(export_assets_csv))
        .routes(routes!(export_assets_xlsx))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    /// Only check the file: report what is wrong, store nothing.
    #[serde(default)]
    pub dry_run: bool,
}

/// Import the asset register: a CSV (`text/csv`, UTF-8, with or without a byte-order mark)
/// or an XLSX workbook (its first sheet), at most 8 MiB and 50,000 rows, with the header
/// `epc,name,category,original_value,acquired_on,source_class,owner_department,zone,model,serial_number,supplier,acquisition_method,funding_source,finance_card_no,useful_life_months`.
/// All or nothing: any bad row and nothing is stored; 422 lists the errors (the first 100)
/// by line (the header is line 1) and column. Stored, the assets are one intake: each
/// registered (a GIAI-96 EPC commissioned when `epc` is empty) and, with a `zone`
/// (`WAREHOUSE/ZONE`), received into stock there. `?dry_run=true` only checks.
#[utoipa::path(post, path = "/assets/import", tag = "assets", params(ImportQuery),
    request_body(content = String, content_type = "text/csv",
        description = "The register as CSV; or an XLSX workbook with its content type."),
    responses(
        (status = 200, body = ImportReport, description = "Checked (dry run) or stored"),
        (status = 422, body = ImportReport, description = "Refused: nothing stored; the errors by line and column"),
        (status = 415, body = ErrorBody)))]
async fn import_assets(
    actor: Actor,
    State(app): State<App>,
    Query(q): Query<ImportQuery>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    register::may_import(&actor)?;
    let format = match headers.get(header::CONTENT_TYPE) {
        None => None,
        Some(value) => Some(
            value
                .to_str()
                .ok()
                .and_then(Format::from_content_type)
                .ok_or_else(|| {
                    ApiError::UnsupportedMediaType(format!(
                        "send the register as text/csv or {}",
                        file::XLSX_TYPE
                    ))
                })?,
        ),
    };
    let bytes: Bytes = axum::body::to_bytes(body, file::MAX_BYTES)
        .await
        .map_err(|_| {
            ApiError::Unprocessable(format!(
                "the file is larger than {} MiB: import the register in parts",
                file::MAX_BYTES / 1024 / 1024
            ))
        })?;
    let format = format.unwrap_or_else(|| Format::sniff(&bytes));
    let report = register::import(&app, &actor, &bytes, format, q.dry_run).await?;
    let status = if report.error_count > 0 {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((status, Json(report)).into_response())
}

/// The asset register as CSV (UTF-8 with a byte-order mark), in the import's format, every
/// asset in id order, streamed as the database yields it.
#[utoipa::path(get, path = "/assets/export.csv", tag = "assets",
    responses((status = 200, content_type = "text/csv", body = String)))]
async fn export_assets_csv(actor: Actor, State(app): State<App>) -> ApiResult<Response> {
    let rows = register::export(&app, &actor, Op::ExportAssetsCsv).await?;
    let chunks = futures_util::stream::unfold(
        (Some(file::csv_head()), Some(rows)),
        |(head, rows)| async move {
            if let Some(head) = head {
                return Some((Ok(Bytes::from(head)), (None, rows)));
            }
            let mut rows = rows?;
            match rows.next().await? {
                Ok(batch) => {
                    let mut out = String::with_capacity(batch.len() * 128);
                    for line in batch {
                        file::csv_line(&register::cells(line), &mut out);
                    }
                    Some((Ok(Bytes::from(out)), (None, Some(rows))))
                }
                Err(e) => {
                    // The client sees a cut transfer, never a complete-looking file.
                    tracing::warn!(error = %e, "the register's export failed halfway");
                    Some((Err(std::io::Error::other(e.to_string())), (None, None)))
                }
            }
        },
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"depot-register.csv\"",
            ),
        ],
        Body::from_stream(chunks),
    )
        .into_response())
}

/// The asset register as an XLSX workbook, in the import's format (one sheet, the header
/// row, then one asset a row in id order). The sheet is written as the rows come; the
/// workbook is sent once assembled.
#[utoipa::path(get, path = "/assets/export.xlsx", tag = "assets",
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>)))]
async fn export_assets_xlsx(actor: Actor, State(app): State<App>) -> ApiResult<Response> {
    let rows = register::export(&app, &actor, Op::ExportAssetsXlsx).await?;
    let workbook = register::workbook(rows).await?;
    Ok((
        [
            (header::CONTENT_TYPE, file::XLSX_TYPE),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"depot-register.xlsx\"",
            ),
        ],
        workbook,
    )
        .into_response())
}
