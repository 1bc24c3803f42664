//! Transfers over HTTP. A requester requests, sees and cancels only their own department's;
//! other departments' are answered 404, never 403, so nothing leaks.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::loans::{own_department, Approval, Reason};
use super::{
    require, ApiError, ApiResult, AppState, Json, OptionalJson, Page, Paging, Path, Query,
};
use crate::auth::{Actor, Role};
use crate::db::events::{self, Context, Event, OrderKind};
use crate::db::transfers::{self, NewTransfer, Transfer};
use crate::domain::bounds::PageNo;
use crate::domain::lifecycle::orders::TransferStatus;

/// The transfers endpoints, under `/transfers`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_transfers, request_transfer))
        .routes(routes!(get_transfer))
        .routes(routes!(transfer_events))
        .routes(routes!(approve_transfer))
        .routes(routes!(reject_transfer))
        .routes(routes!(cancel_transfer))
        .routes(routes!(issue_transfer))
}

async fn visible_transfer(
    conn: &mut sqlx::PgConnection,
    actor: &Actor,
    id: i64,
) -> ApiResult<Transfer> {
    let transfer = transfers::get(conn, id).await?;
    if !actor.sees_department(transfer.department_id) {
        return Err(ApiError::NotFound(format!("transfer {id}")));
    }
    Ok(transfer)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct TransferQuery {
    pub status: Option<TransferStatus>,
    pub department: Option<i64>,
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100_000)]
    pub page: Option<PageNo>,
    pub per_page: Option<i64>,
}

/// Transfers, newest first. Requesters see their own department's.
#[utoipa::path(get, path = "/transfers", tag = "transfers", params(TransferQuery), responses((status = 200, body = Page<Transfer>)))]
async fn list_transfers(
    actor: Actor,
    State(state): State<AppState>,
    Query(q): Query<TransferQuery>,
) -> ApiResult<Json<Page<Transfer>>> {
    let (page, per_page) = Paging {
        page: q.page,
        per_page: q.per_page,
    }
    .resolve();
    let filter = transfers::Filter {
        department_id: own_department(&actor).or(q.department),
        status: q.status,
    };
    let (items, total) =
        transfers::list(&mut *state.pool.acquire().await?, &filter, page, per_page).await?;
    Ok(Json(Page {
        items,
        total,
        page,
        per_page,
    }))
}

/// Request a transfer: lines by category and quantity, or specific assets; purpose.
#[utoipa::path(post, path = "/transfers", tag = "transfers", request_body = NewTransfer, responses((status = 201, body = Transfer)))]
async fn request_transfer(
    actor: Actor,
    State(state): State<AppState>,
    Json(body): Json<NewTransfer>,
) -> ApiResult<(StatusCode, Json<Transfer>)> {
    require(&actor, &[Role::Requester, Role::Admin], "request transfers")?;
    let department_id = match (actor.role, body.department_id) {
        (Role::Requester, Some(d)) if Some(d) != actor.department_id => {
            return Err(ApiError::forbidden(
                "a requester requests transfers for their own department only",
            ))
        }
        (_, Some(d)) => d,
        (_, None) => actor.department_id.ok_or_else(|| {
            ApiError::Unprocessable(
                "say which department the transfer is for (department_id)".into(),
            )
        })?,
    };
    let mut tx = state.pool.begin().await?;
    let transfer = transfers::create(&mut tx, department_id, &body, &Context::by(actor.id)).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(transfer)))
}

#[utoipa::path(get, path = "/transfers/{id}", tag = "transfers", responses((status = 200, body = Transfer), (status = 404, body = super::error::ErrorBody)))]
async fn get_transfer(
    actor: Actor,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> ApiResult<Json<Transfer>> {
    Ok(Json(
        visible_transfer(&mut *state.pool.acquire().await?, &actor, id).await?,
    ))
}

/// The transfer's history: its status changes and what happened to its assets.
#[utoipa::path(get, path = "/transfers/{id}/events", tag = "transfers", responses((status = 200, body = Vec<Event>)))]
async fn transfer_events(
    actor: Actor,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> ApiResult<Json<Vec<Event>>> {
    let mut conn = state.pool.acquire().await?;
    visible_transfer(&mut conn, &actor, id).await?;
    Ok(Json(
        events::for_order(&mut conn, OrderKind::Transfer, id).await?,
    ))
}

/// Approve (admin): reserve assets from today on, for good. 409 if they are not available.
#[utoipa::path(post, path = "/transfers/{id}/approve", tag = "transfers", request_body = Approval,
    responses((status = 200, body = Transfer), (status = 409, body = super::error::ErrorBody)))]
async fn approve_transfer(
    actor: Actor,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    OptionalJson(body): OptionalJson<Approval>,
) -> ApiResult<Json<Transfer>> {
    require(&actor, &[Role::Admin], "approve transfers")?;
    let mut tx = state.pool.begin().await?;
    let transfer = transfers::approve(
        &mut tx,
        id,
        body.asset_ids.as_deref(),
        &Context::by(actor.id).reason(body.reason),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(transfer))
}

/// Reject (admin), with a reason.
#[utoipa::path(post, path = "/transfers/{id}/reject", tag = "transfers", request_body = Reason, responses((status = 200, body = Transfer)))]
async fn reject_transfer(
    actor: Actor,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    OptionalJson(body): OptionalJson<Reason>,
) -> ApiResult<Json<Transfer>> {
    require(&actor, &[Role::Admin], "reject transfers")?;
    let mut tx = state.pool.begin().await?;
    let transfer =
        transfers::reject(&mut tx, id, &Context::by(actor.id).reason(body.reason)).await?;
    tx.commit().await?;
    Ok(Json(transfer))
}

/// Cancel (the requesting department or an admin) before the handover; reserved assets are released.
#[utoipa::path(post, path = "/transfers/{id}/cancel", tag = "transfers", request_body = Reason, responses((status = 200, body = Transfer)))]
async fn cancel_transfer(
    actor: Actor,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    OptionalJson(body): OptionalJson<Reason>,
) -> ApiResult<Json<Transfer>> {
    require(&actor, &[Role::Requester, Role::Admin], "cancel transfers")?;
    let mut tx = state.pool.begin().await?;
    visible_transfer(&mut tx, &actor, id).await?;
    let transfer =
        transfers::cancel(&mut tx, id, &Context::by(actor.id).reason(body.reason)).await?;
    tx.commit().await?;
    Ok(Json(transfer))
}

/// Issue (keeper or admin): hand over every reserved asset; ownership moves to the
/// department and the transfer is completed.
#[utoipa::path(post, path = "/transfers/{id}/issue", tag = "transfers", responses((status = 200, body = Transfer), (status = 409, body = super::error::ErrorBody)))]
async fn issue_transfer(
    actor: Actor,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> ApiResult<Json<Transfer>> {
    require(&actor, &[Role::Keeper, Role::Admin], "hand over transfers")?;
    let mut tx = state.pool.begin().await?;
    let transfer = transfers::issue(&mut tx, id, None, &Context::by(actor.id)).await?;
    tx.commit().await?;
    Ok(Json(transfer))
}
