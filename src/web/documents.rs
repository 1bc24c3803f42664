//! Attaching a document to an asset from its page: a multipart form from our own page (its
//! origin and form token checked), the file handed to the application layer.

use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Multipart, Path, Request};
use axum::response::{IntoResponse, Redirect};
use axum::routing::post;
use axum::Router;

use super::{constant_time_eq, invalid, PageError, PageResult, Viewer};
use crate::app::attachments::{self, Upload, MAX_BYTES};
use crate::app::App;
use crate::cookie;

pub fn router() -> Router<App> {
    Router::new()
        .route("/assets/{id}/attachments", post(attach))
        // The file and the form around it.
        .layer(DefaultBodyLimit::max(MAX_BYTES + 64 * 1024))
}

/// The document form: its kind and its file (bytes, name, the type the browser gave).
struct DocumentForm {
    app: App,
    viewer: Viewer,
    kind: String,
    file: Option<(Vec<u8>, String, Option<String>)>,
}

impl FromRequest<App> for DocumentForm {
    type Rejection = PageError;

    async fn from_request(req: Request, state: &App) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let viewer = Viewer::from_request_parts(&mut parts, state).await?;
        if !cookie::same_origin(&parts.headers) {
            return Err(PageError::Forged);
        }
        let req = Request::from_parts(parts, body);
        let unreadable = |e: axum::extract::multipart::MultipartError| {
            invalid(format!("the upload cannot be read: {}", e.body_text()))
        };
        let mut form = Multipart::from_request(req, state)
            .await
            .map_err(|e| invalid(format!("the upload cannot be read: {}", e.body_text())))?;
        let (mut csrf, mut kind, mut file) = (String::new(), String::new(), None);
        while let Some(field) = form.next_field().await.map_err(unreadable)? {
            match field.name().unwrap_or_default() {
                "csrf" => csrf = field.text().await.map_err(unreadable)?,
                "kind" => kind = field.text().await.map_err(unreadable)?,
                "file" => {
                    let name = field.file_name().unwrap_or_default().to_owned();
                    let declared = field.content_type().map(str::to_owned);
                    let bytes = field.bytes().await.map_err(unreadable)?;
                    file = Some((bytes.to_vec(), name, declared));
                }
                _ => {}
            }
        }
        if !constant_time_eq(csrf.as_bytes(), viewer.csrf.as_bytes()) {
            return Err(PageError::Forged);
        }
        Ok(DocumentForm {
            app: state.clone(),
            viewer,
            kind,
            file,
        })
    }
}

async fn attach(Path(id): Path<i64>, form: DocumentForm) -> PageResult {
    let Some((bytes, name, declared)) = form.file.as_ref() else {
        return Err(invalid("choose a file"));
    };
    let upload = Upload {
        kind: &form.kind,
        file_name: name,
        declared_type: declared.as_deref(),
        content: bytes,
    };
    attachments::add(&form.app, &form.viewer.actor, id, upload).await?;
    let to = super::done(&format!("/assets/{id}"), "attached");
    Ok(Redirect::to(&format!("{to}#documents")).into_response())
}
