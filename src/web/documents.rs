//! Attaching a document to an asset from its page: a multipart form from our own page (its
//! origin and form token checked), the file handed to the application layer.

use axum::extract::DefaultBodyLimit;

use super::Path;
use axum::response::{IntoResponse, Redirect};
use axum::routing::post;
use axum::Router;

use super::{invalid, PageResult};
use crate::app::attachments::{self, Upload, MAX_BYTES};
use crate::app::App;

pub fn router() -> Router<App> {
    Router::new()
        .route("/assets/{id}/attachments", post(attach))
        // The file and the form around it.
        .layer(DefaultBodyLimit::max(MAX_BYTES + 64 * 1024))
}

async fn attach(Path(id): Path<i64>, form: super::Upload) -> PageResult {
    let Some(file) = form.file.as_ref() else {
        return Err(invalid("choose a file"));
    };
    let upload = Upload {
        kind: form.text("kind").unwrap_or_default(),
        file_name: &file.name,
        declared_type: file.declared_type.as_deref(),
        content: &file.bytes,
    };
    attachments::add(&form.app, &form.viewer.actor, id, upload).await?;
    let to = super::done(&format!("/assets/{id}"), "attached");
    Ok(Redirect::to(&format!("{to}#documents")).into_response())
}
