//! Labels over HTTP: an asset's or an intake's labels in ZPL for a Zebra RFID printer, and
//! printing an intake's labels on a configured printer (keeper or admin).

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::error::ErrorBody;
use super::{ApiResult, App, Json, Path};
use crate::app::labels::{self, PrintRequest, Printed};
use crate::auth::Actor;

/// The labels endpoints, under `/assets` and `/intakes`.
pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(asset_label))
        .routes(routes!(intake_labels))
        .routes(routes!(print_intake_labels))
}

fn zpl(body: String, file: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
        ],
        body,
    )
        .into_response()
}

/// The asset's label in ZPL II: its EPC written to the tag's EPC bank (`^RFW,H`), a QR
/// code of its tag URI, its name and number in a font that prints Chinese (UTF-8, `^CI28`).
#[utoipa::path(get, path = "/assets/{id}/label.zpl", tag = "assets",
    responses((status = 200, content_type = "text/plain", body = String), (status = 404, body = ErrorBody)))]
async fn asset_label(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    let body = labels::asset_zpl(&app, &actor, id).await?;
    Ok(zpl(body, format!("asset-{id}.zpl")))
}

/// The labels of every asset of the intake in ZPL II, one format (`^XA`…`^XZ`) each.
#[utoipa::path(get, path = "/intakes/{id}/labels.zpl", tag = "intakes",
    responses((status = 200, content_type = "text/plain", body = String), (status = 404, body = ErrorBody)))]
async fn intake_labels(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    let body = labels::intake_zpl(&app, &actor, id).await?;
    Ok(zpl(body, format!("intake-{id}-labels.zpl")))
}

/// Print the intake's labels (keeper or admin) on a configured printer, over raw TCP. An
/// unknown printer is 422; one that does not answer is 503, and nothing changes.
#[utoipa::path(post, path = "/intakes/{id}/print", tag = "intakes", request_body = PrintRequest,
    responses((status = 200, body = Printed), (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn print_intake_labels(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
    Json(body): Json<PrintRequest>,
) -> ApiResult<Json<Printed>> {
    Ok(Json(labels::print(&app, &actor, id, body).await?))
}
