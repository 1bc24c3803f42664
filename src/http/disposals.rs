//! Disposals over HTTP. Disposals are the depot's own paperwork, not a department's: admins
//! and keepers work them, auditors read them, requesters neither (403 on the list, 404 on one,
//! so a requester cannot probe which exist).

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::loans::Reason;
use super::{
    require, ApiError, ApiResult, AppState, Json, OptionalJson, Page, Paging, Path, Query,
};
use crate::auth::{Actor, Role};
use crate::db::disposals::{self, Disposal, NewDisposal};
use crate::db::events::{self, Context, Event, OrderKind};
use crate::domain::bounds::{Fen, PageNo, Text};
use crate::domain::lifecycle::orders::DisposalStatus;

/// The disposals endpoints, under `/disposals`.
pub fn router() -> OpenApiRouter<AppState> {
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

const READERS: &[Role] = &[Role::Admin, Role::Keeper, Role::Auditor];

async fn visible_disposal(
    conn: &mut sqlx::PgConnection,
    actor: &Actor,
    id: i64,
) -> ApiResult<Disposal> {
    if !actor.is(READERS) {
        return Err(ApiError::NotFound(format!("disposal {id}")));
    }
    Ok(disposals::get(conn, id).await?)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DisposalQuery {
    pub status: Option<DisposalStatus>,
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100_000)]
    pub page: Option<PageNo>,
    pub per_page: Option<i64>,
}

/// Disposals, newest first (admins, keepers, auditors).
#[utoipa::path(get, path = "/disposals", tag = "disposals", params(DisposalQuery), responses((status = 200, body = Page<Disposal>)))]
async fn list_disposals(
    actor: Actor,
    State(state): State<AppState>,
    Query(q): Query<DisposalQuery>,
) -> ApiResult<Json<Page<Disposal>>> {
    require(&actor, READERS, "read disposals")?;
    let (page, per_page) = Paging {
        page: q.page,
        per_page: q.per_page,
    }
    .resolve();
    let (items, total) =
        disposals::list(&mut *state.pool.acquire().await?, q.status, page, per_page).await?;
    Ok(Json(Page {
        items,
        total,
        page,
        per_page,
    }))
}

/// Put assets in stock or in repair forward for disposal (admin or keeper).
#[utoipa::path(post, path = "/disposals", tag = "disposals", request_body = NewDisposal,
    responses((status = 201, body = Disposal), (status = 409, body = super::error::ErrorBody)))]
async fn request_disposal(
    actor: Actor,
    State(state): State<AppState>,
    Json(body): Json<NewDisposal>,
) -> ApiResult<(StatusCode, Json<Disposal>)> {
    require(&actor, &[Role::Admin, Role::Keeper], "propose disposals")?;
    let mut tx = state.pool.begin().await?;
    let disposal = disposals::create(&mut tx, &body, &Context::by(actor.id)).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(disposal)))
}

#[utoipa::path(get, path = "/disposals/{id}", tag = "disposals", responses((status = 200, body = Disposal), (status = 404, body = super::error::ErrorBody)))]
async fn get_disposal(
    actor: Actor,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> ApiResult<Json<Disposal>> {
    Ok(Json(
        visible_disposal(&mut *state.pool.acquire().await?, &actor, id).await?,
    ))
}

/// The disposal's history: its status changes (with the figures) and what happened to its assets.
#[utoipa::path(get, path = "/disposals/{id}/events", tag = "disposals", responses((status = 200, body = Vec<Event>)))]
async fn disposal_events(
    actor: Actor,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> ApiResult<Json<Vec<Event>>> {
    let mut conn = state.pool.acquire().await?;
    visible_disposal(&mut conn, &actor, id).await?;
    Ok(Json(
        events::for_order(&mut conn, OrderKind::Disposal, id).await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Appraisal {
    /// In fen.
    pub appraised_value_fen: Fen,
    /// Who appraised: the appraisal firm or person.
    pub appraiser: Text,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Sale {
    /// In fen.
    pub sale_price_fen: Fen,
    pub buyer: Text,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Remittance {
    /// The treasury's receipt for the proceeds.
    pub receipt_number: Text,
}

/// Record the appraisal (admin or keeper); again before approval to replace it.
#[utoipa::path(post, path = "/disposals/{id}/appraise", tag = "disposals", request_body = Appraisal,
    responses((status = 200, body = Disposal), (status = 409, body = super::error::ErrorBody)))]
async fn appraise_disposal(
    actor: Actor,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Json(body): Json<Appraisal>,
) -> ApiResult<Json<Disposal>> {
    require(&actor, &[Role::Admin, Role::Keeper], "record appraisals")?;
    let mut tx = state.pool.begin().await?;
    let disposal = disposals::appraise(
        &mut tx,
        id,
        body.appraised_value_fen,
        &body.appraiser,
        &Context::by(actor.id),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(disposal))
}

/// Approve an appraised disposal (admin).
#[utoipa::path(post, path = "/disposals/{id}/approve", tag = "disposals", request_body = Reason,
    responses((status = 200, body = Disposal), (status = 409, body = super::error::ErrorBody)))]
async fn approve_disposal(
    actor: Actor,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    OptionalJson(body): OptionalJson<Reason>,
) -> ApiResult<Json<Disposal>> {
    require(&actor, &[Role::Admin], "approve disposals")?;
    let mut tx = state.pool.begin().await?;
    let disposal =
        disposals::approve(&mut tx, id, &Context::by(actor.id).reason(body.reason)).await?;
    tx.commit().await?;
    Ok(Json(disposal))
}

/// Reject (admin), with a reason: the assets go back in stock.
#[utoipa::path(post, path = "/disposals/{id}/reject", tag = "disposals", request_body = Reason, responses((status = 200, body = Disposal)))]
async fn reject_disposal(
    actor: Actor,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    OptionalJson(body): OptionalJson<Reason>,
) -> ApiResult<Json<Disposal>> {
    require(&actor, &[Role::Admin], "reject disposals")?;
    let mut tx = state.pool.begin().await?;
    let disposal =
        disposals::reject(&mut tx, id, &Context::by(actor.id).reason(body.reason)).await?;
    tx.commit().await?;
    Ok(Json(disposal))
}

/// Cancel before approval (admin), with a reason: the assets go back in stock.
#[utoipa::path(post, path = "/disposals/{id}/cancel", tag = "disposals", request_body = Reason, responses((status = 200, body = Disposal)))]
async fn cancel_disposal(
    actor: Actor,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    OptionalJson(body): OptionalJson<Reason>,
) -> ApiResult<Json<Disposal>> {
    require(&actor, &[Role::Admin], "cancel disposals")?;
    let mut tx = state.pool.begin().await?;
    let disposal =
        disposals::cancel(&mut tx, id, &Context::by(actor.id).reason(body.reason)).await?;
    tx.commit().await?;
    Ok(Json(disposal))
}

/// Sold at auction (admin): the assets are disposed of; the proceeds are to be remitted.
#[utoipa::path(post, path = "/disposals/{id}/sell", tag = "disposals", request_body = Sale,
    responses((status = 200, body = Disposal), (status = 409, body = super::error::ErrorBody)))]
async fn sell_disposal(
    actor: Actor,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Json(body): Json<Sale>,
) -> ApiResult<Json<Disposal>> {
    require(&actor, &[Role::Admin], "record sales")?;
    let mut tx = state.pool.begin().await?;
    let disposal = disposals::sell(
        &mut tx,
        id,
        body.sale_price_fen,
        &body.buyer,
        &Context::by(actor.id),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(disposal))
}

/// Scrapped (admin): the assets are disposed of; there is nothing to remit.
#[utoipa::path(post, path = "/disposals/{id}/scrap", tag = "disposals", request_body = Reason,
    responses((status = 200, body = Disposal), (status = 409, body = super::error::ErrorBody)))]
async fn scrap_disposal(
    actor: Actor,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    OptionalJson(body): OptionalJson<Reason>,
) -> ApiResult<Json<Disposal>> {
    require(&actor, &[Role::Admin], "scrap assets")?;
    let mut tx = state.pool.begin().await?;
    let disposal =
        disposals::scrap(&mut tx, id, &Context::by(actor.id).reason(body.reason)).await?;
    tx.commit().await?;
    Ok(Json(disposal))
}

/// The sale's proceeds were remitted to the treasury (admin), with the receipt number.
#[utoipa::path(post, path = "/disposals/{id}/remit", tag = "disposals", request_body = Remittance,
    responses((status = 200, body = Disposal), (status = 409, body = super::error::ErrorBody)))]
async fn remit_disposal(
    actor: Actor,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Json(body): Json<Remittance>,
) -> ApiResult<Json<Disposal>> {
    require(&actor, &[Role::Admin], "record remittances")?;
    let mut tx = state.pool.begin().await?;
    let disposal =
        disposals::remit(&mut tx, id, &body.receipt_number, &Context::by(actor.id)).await?;
    tx.commit().await?;
    Ok(Json(disposal))
}
