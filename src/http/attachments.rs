//! An asset's documents over HTTP: upload (the file as the body), list, download.

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::error::ErrorBody;
use super::{ApiError, ApiResult, App, Json, Path, Query};
use crate::app::attachments::{self, Upload, MAX_BYTES};
use crate::auth::Actor;
use crate::db::attachments::Attachment;

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(list_attachments, add_attachment))
        .routes(routes!(download_attachment))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AttachmentQuery {
    /// photo, invoice, appraisal, contract, receipt or other (required)
    #[serde(default)]
    #[param(
        required = true,
        pattern = "^(photo|invoice|appraisal|contract|receipt|other)$"
    )]
    pub kind: String,
    /// The file's name, e.g. `invoice-2030-0042.pdf` (1 to 200 characters; required).
    #[serde(default)]
    #[param(required = true, min_length = 1, max_length = 200)]
    pub file_name: String,
}

/// The asset's documents (without their bytes), oldest first.
#[utoipa::path(get, path = "/assets/{id}/attachments", tag = "assets", responses((status = 200, body = Vec<Attachment>)))]
async fn list_attachments(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
) -> ApiResult<Json<Vec<Attachment>>> {
    Ok(Json(attachments::list(&app, &actor, id).await?))
}

/// Attach a document to the asset (admin, keeper or finance): the file is the body, a PDF,
/// JPEG, PNG or WebP of at most 5 MiB; at most 20 an asset. The type is read from the bytes;
/// a `Content-Type` that disagrees is refused (422). Noted in the asset's timeline.
#[utoipa::path(post, path = "/assets/{id}/attachments", tag = "assets", params(AttachmentQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream",
        description = "The document: a PDF, JPEG, PNG or WebP file, sent as its own type or as application/octet-stream."),
    responses((status = 201, body = Attachment), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn add_attachment(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
    Query(q): Query<AttachmentQuery>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let bytes: Bytes = axum::body::to_bytes(body, MAX_BYTES).await.map_err(|_| {
        ApiError::Unprocessable(format!(
            "the document is larger than {} MiB",
            MAX_BYTES / 1024 / 1024
        ))
    })?;
    let declared = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let upload = Upload {
        kind: &q.kind,
        file_name: &q.file_name,
        declared_type: declared,
        content: &bytes,
    };
    let stored = attachments::add(&app, &actor, id, upload).await?;
    Ok((StatusCode::CREATED, Json(stored)).into_response())
}

/// One document's bytes, as stored (`Content-Disposition: attachment`, never sniffed).
#[utoipa::path(get, path = "/assets/{id}/attachments/{doc}", tag = "assets",
    responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>), (status = 404, body = ErrorBody)))]
async fn download_attachment(
    actor: Actor,
    State(app): State<App>,
    Path((id, doc)): Path<(i64, i64)>,
) -> ApiResult<Response> {
    let (meta, bytes) = attachments::open(&app, &actor, id, doc).await?;
    Ok(document(&meta, bytes))
}

/// A stored document as a download.
pub fn document(meta: &Attachment, bytes: Vec<u8>) -> Response {
    let encoded: String = meta
        .file_name
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    let disposition = format!(
        "attachment; filename=\"document-{}\"; filename*=UTF-8''{encoded}",
        meta.id
    );
    (
        [
            (header::CONTENT_TYPE, meta.content_type.clone()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
        ],
        bytes,
    )
        .into_response()
}
