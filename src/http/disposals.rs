//! Disposals over HTTP. Disposals are the depot's own paperwork, not a department's: admins
//! and keepers work them, auditors read them, requesters neither (403 on the list, 404 on one,
//! so a requester cannot probe which exist).

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::error::ErrorBody;
use super::{ApiResult, App, Json, OptionalJson, Page, Paging, Path, Query};
use crate::app::disposals::{self, Appraisal, Remittance, Sale};
use crate::app::Reason;
use crate::auth::Actor;
use crate::db::disposals::{Disposal, NewDisposal};
use crate::db::events::Event;
use crate::domain::bounds::PageNo;
use crate::domain::lifecycle::orders::DisposalStatus;

/// The disposals endpoints, under `/disposals`.
pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(list_disposals, request_disposal))
        .routes(routes!(get_disposal))
        .routes(routes!(disposal_events))
        .routes(routes!(appraise_disposal))
        .routes(routes!(approve_disposal))
        .routes(routes!(reject_disposal))
        .routes(routes!(cancel_disposal))
        .routes(routes!(sell_disposal))
        .routes(routes!(scrap_disposal))
        .routes(routes!(remit_disposal))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DisposalQuery {
    pub status: Option<DisposalStatus>,
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    pub page: Option<PageNo>,
    pub per_page: Option<i64>,
    /// The id of the last item of the page before: the page after it (`page` is ignored).
    pub after: Option<i64>,
}

/// Disposals, newest first (admins, keepers, auditors).
#[utoipa::path(get, path = "/disposals", tag = "disposals", params(DisposalQuery), responses((status = 200, body = Page<Disposal>)))]
async fn list_disposals(
    actor: Actor,
    State(app): State<App>,
    Query(q): Query<DisposalQuery>,
) -> ApiResult<Json<Page<Disposal>>> {
    let paging = Paging {
        page: q.page,
        per_page: q.per_page,
        after: q.after,
    };
    Ok(Json(disposals::list(&app, &actor, q.status, paging).await?))
}

/// Put assets in stock or in repair forward for disposal (admin or keeper).
#[utoipa::path(post, path = "/disposals", tag = "disposals", request_body = NewDisposal,
    responses((status = 201, body = Disposal), (status = 409, body = ErrorBody)))]
async fn request_disposal(
    actor: Actor,
    State(app): State<App>,
    Json(body): Json<NewDisposal>,
) -> ApiResult<(StatusCode, Json<Disposal>)> {
    let disposal = disposals::request(&app, &actor, body).await?;
    Ok((StatusCode::CREATED, Json(disposal)))
}

#[utoipa::path(get, path = "/disposals/{id}", tag = "disposals", responses((status = 200, body = Disposal), (status = 404, body = ErrorBody)))]
async fn get_disposal(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
) -> ApiResult<Json<Disposal>> {
    Ok(Json(disposals::get(&app, &actor, id).await?))
}

/// The disposal's history: its status changes (with the figures) and what happened to its assets.
#[utoipa::path(get, path = "/disposals/{id}/events", tag = "disposals", responses((status = 200, body = Vec<Event>)))]
async fn disposal_events(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
) -> ApiResult<Json<Vec<Event>>> {
    Ok(Json(disposals::events(&app, &actor, id).await?))
}

/// Record the appraisal (admin or keeper); again before approval to replace it.
#[utoipa::path(post, path = "/disposals/{id}/appraise", tag = "disposals", request_body = Appraisal,
    responses((status = 200, body = Disposal), (status = 409, body = ErrorBody)))]
async fn appraise_disposal(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
    Json(body): Json<Appraisal>,
) -> ApiResult<Json<Disposal>> {
    Ok(Json(disposals::appraise(&app, &actor, id, body).await?))
}

/// Approve an appraised disposal (admin).
#[utoipa::path(post, path = "/disposals/{id}/approve", tag = "disposals", request_body = Option<Reason>,
    responses((status = 200, body = Disposal), (status = 409, body = ErrorBody)))]
async fn approve_disposal(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
    OptionalJson(body): OptionalJson<Reason>,
) -> ApiResult<Json<Disposal>> {
    Ok(Json(disposals::approve(&app, &actor, id, body).await?))
}

/// Reject (admin), with a reason: the assets go back in stock.
#[utoipa::path(post, path = "/disposals/{id}/reject", tag = "disposals", request_body = crate::app::Reasoned, responses((status = 200, body = Disposal)))]
async fn reject_disposal(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
    OptionalJson(body): OptionalJson<Reason>,
) -> ApiResult<Json<Disposal>> {
    Ok(Json(disposals::reject(&app, &actor, id, body).await?))
}

/// Cancel before approval (admin), with a reason: the assets go back in stock.
#[utoipa::path(post, path = "/disposals/{id}/cancel", tag = "disposals", request_body = crate::app::Reasoned, responses((status = 200, body = Disposal)))]
async fn cancel_disposal(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
    OptionalJson(body): OptionalJson<Reason>,
) -> ApiResult<Json<Disposal>> {
    Ok(Json(disposals::cancel(&app, &actor, id, body).await?))
}

/// Sold at auction (admin): the assets are disposed of; the proceeds are to be remitted.
#[utoipa::path(post, path = "/disposals/{id}/sell", tag = "disposals", request_body = Sale,
    responses((status = 200, body = Disposal), (status = 409, body = ErrorBody)))]
async fn sell_disposal(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
    Json(body): Json<Sale>,
) -> ApiResult<Json<Disposal>> {
    Ok(Json(disposals::sell(&app, &actor, id, body).await?))
}

/// Scrapped (admin): the assets are disposed of; there is nothing to remit.
#[utoipa::path(post, path = "/disposals/{id}/scrap", tag = "disposals", request_body = Option<Reason>,
    responses((status = 200, body = Disposal), (status = 409, body = ErrorBody)))]
async fn scrap_disposal(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
    OptionalJson(body): OptionalJson<Reason>,
) -> ApiResult<Json<Disposal>> {
    Ok(Json(disposals::scrap(&app, &actor, id, body).await?))
}

/// The sale's proceeds were remitted to the treasury (admin), with the receipt number.
#[utoipa::path(post, path = "/disposals/{id}/remit", tag = "disposals", request_body = Remittance,
    responses((status = 200, body = Disposal), (status = 409, body = ErrorBody)))]
async fn remit_disposal(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
    Json(body): Json<Remittance>,
) -> ApiResult<Json<Disposal>> {
    Ok(Json(disposals::remit(&app, &actor, id, body).await?))
}
