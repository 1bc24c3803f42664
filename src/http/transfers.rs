//! Transfers over HTTP. A requester requests, sees and cancels only their own department's;
//! other departments' are answered 404, never 403, so nothing leaks.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::error::ErrorBody;
use super::{ApiResult, App, Json, OptionalJson, Page, Paging, Path, Query};
use crate::app::{transfers, Approval, Reason};
use crate::auth::Actor;
use crate::db::events::Event;
use crate::db::transfers::{NewTransfer, Transfer};
use crate::domain::bounds::PageNo;
use crate::domain::lifecycle::orders::TransferStatus;

/// The transfers endpoints, under `/transfers`.
pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(list_transfers, request_transfer))
        .routes(routes!(get_transfer))
        .routes(routes!(transfer_events))
        .routes(routes!(approve_transfer))
        .routes(routes!(reject_transfer))
        .routes(routes!(cancel_transfer))
        .routes(routes!(issue_transfer))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct TransferQuery {
    pub status: Option<TransferStatus>,
    pub department: Option<i64>,
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    pub page: Option<PageNo>,
    pub per_page: Option<i64>,
    /// The id of the last item of the page before: the page after it (`page` is ignored).
    pub after: Option<i64>,
}

/// Transfers, newest first. Requesters see their own department's.
#[utoipa::path(get, path = "/transfers", tag = "transfers", params(TransferQuery), responses((status = 200, body = Page<Transfer>)))]
async fn list_transfers(
    actor: Actor,
    State(app): State<App>,
    Query(q): Query<TransferQuery>,
) -> ApiResult<Json<Page<Transfer>>> {
    let paging = Paging {
        page: q.page,
        per_page: q.per_page,
        after: q.after,
    };
    let page = transfers::list(&app, &actor, q.status, q.department, paging).await?;
    Ok(Json(page))
}

/// Request a transfer: lines by category and quantity, or specific assets; purpose.
#[utoipa::path(post, path = "/transfers", tag = "transfers", request_body = NewTransfer, responses((status = 201, body = Transfer), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn request_transfer(
    actor: Actor,
    State(app): State<App>,
    Json(body): Json<NewTransfer>,
) -> ApiResult<(StatusCode, Json<Transfer>)> {
    let transfer = transfers::request(&app, &actor, body).await?;
    Ok((StatusCode::CREATED, Json(transfer)))
}

#[utoipa::path(get, path = "/transfers/{id}", tag = "transfers", responses((status = 200, body = Transfer), (status = 404, body = ErrorBody)))]
async fn get_transfer(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
) -> ApiResult<Json<Transfer>> {
    Ok(Json(transfers::get(&app, &actor, id).await?))
}

/// The transfer's history: its status changes and what happened to its assets.
#[utoipa::path(get, path = "/transfers/{id}/events", tag = "transfers", responses((status = 200, body = Vec<Event>)))]
async fn transfer_events(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
) -> ApiResult<Json<Vec<Event>>> {
    Ok(Json(transfers::events(&app, &actor, id).await?))
}

/// Approve (admin): reserve assets from today on, for good. 409 if they are not available.
#[utoipa::path(post, path = "/transfers/{id}/approve", tag = "transfers", request_body = Option<Approval>,
    responses((status = 200, body = Transfer), (status = 409, body = ErrorBody)))]
async fn approve_transfer(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
    OptionalJson(body): OptionalJson<Approval>,
) -> ApiResult<Json<Transfer>> {
    Ok(Json(transfers::approve(&app, &actor, id, body).await?))
}

/// Reject (admin), with a reason.
#[utoipa::path(post, path = "/transfers/{id}/reject", tag = "transfers", request_body = crate::app::Reasoned, responses((status = 200, body = Transfer)))]
async fn reject_transfer(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
    OptionalJson(body): OptionalJson<Reason>,
) -> ApiResult<Json<Transfer>> {
    Ok(Json(transfers::reject(&app, &actor, id, body).await?))
}

/// Cancel (the requesting department or an admin) before the handover; reserved assets are released.
#[utoipa::path(post, path = "/transfers/{id}/cancel", tag = "transfers", request_body = Option<Reason>, responses((status = 200, body = Transfer)))]
async fn cancel_transfer(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
    OptionalJson(body): OptionalJson<Reason>,
) -> ApiResult<Json<Transfer>> {
    Ok(Json(transfers::cancel(&app, &actor, id, body).await?))
}

/// Issue (keeper or admin): hand over every reserved asset; ownership moves to the
/// department and the transfer is completed.
#[utoipa::path(post, path = "/transfers/{id}/issue", tag = "transfers", responses((status = 200, body = Transfer), (status = 409, body = ErrorBody)))]
async fn issue_transfer(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
) -> ApiResult<Json<Transfer>> {
    Ok(Json(transfers::issue(&app, &actor, id).await?))
}
