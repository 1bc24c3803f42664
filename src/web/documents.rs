//! Attaching a document to an asset from its page: a multipart form from our own page (its
//! origin and form token checked), the file handed to the application layer.

use axum::extract::DefaultBodyLimit;

use super::Path;
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

/// Refused (a file of a type or size not taken, none chosen), the asset's page again with
/// the reason beside the form and the kind chosen kept.
async fn attach(Path(id): Path<i64>, form: super::Upload) -> PageResult {
    let outcome = add(&form, id).await.map(|()| {
        let to = super::done(&format!("/assets/{id}"), "attached");
        format!("{to}#documents")
    });
    let (app, v) = (&form.app, &form.viewer);
    super::after_form(v, "attach", form.fields.clone(), outcome, |refused| {
        super::orders::asset_page(app, v, id, refused)
    })
    .await
}

async fn add(form: &super::Upload, id: i64) -> Result<(), super::PageError> {
    let Some(file) = form.file.as_ref().filter(|f| !f.name.is_empty()) else {
        return Err(invalid("choose a file"));
    };
    let upload = Upload {
        kind: form.text("kind").unwrap_or_default(),
        file_name: &file.name,
        declared_type: file.declared_type.as_deref(),
        content: &file.bytes,
    };
    attachments::add(&form.app, &form.viewer.actor, id, upload).await?;
    Ok(())
}
