//! Intakes over HTTP. Keepers and admins open, receive and cancel them; auditors read them.
//! A requester may follow the intakes their own department handed over (they are that
//! department's paperwork too) and nothing else: any other is answered 404.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::loans::{own_department, Reason};
use super::{
    require, ApiError, ApiResult, AppState, Json, OptionalJson, Page, Paging, Path, Query,
};
use crate::auth::{Actor, Role};
use crate::db::events::{self, Context, Event, OrderKind};
use crate::db::intakes::{self, Intake, NewIntake};
use crate::domain::bounds::PageNo;
use crate::domain::lifecycle::orders::IntakeStatus;

/// The intakes endpoints, under `/intakes`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_intakes, open_intake))
        .routes(routes!(get_intake))
        .routes(routes!(intake_events))
        .routes(routes!(receive_intake))
        .routes(routes!(cancel_intake))
        .routes(routes!(complete_intake))
}

async fn visible_intake(
    conn: &mut sqlx::PgConnection,
    actor: &Actor,
    id: i64,
) -> ApiResult<Intake> {
    let intake = intakes::get(conn, id).await?;
    let visible = match intake.source_department_id {
        Some(department_id) => actor.sees_department(department_id),
        None => actor.role != Role::Requester,
    };
    if !visible {
        return Err(ApiError::NotFound(format!("intake {id}")));
    }
    Ok(intake)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct IntakeQuery {
    pub status: Option<IntakeStatus>,
    /// Handed over by this department.
    pub department: Option<i64>,
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100_000)]
    pub page: Option<PageNo>,
    pub per_page: Option<i64>,
}

/// Intakes, newest first. Requesters see those their own department handed over.
#[utoipa::path(get, path = "/intakes", tag = "intakes", params(IntakeQuery), responses((status = 200, body = Page<Intake>)))]
async fn list_intakes(
    actor: Actor,
    State(state): State<AppState>,
    Query(q): Query<IntakeQuery>,
) -> ApiResult<Json<Page<Intake>>> {
    let (page, per_page) = Paging {
        page: q.page,
        per_page: q.per_page,
    }
    .resolve();
    let filter = intakes::Filter {
        source_department_id: own_department(&actor).or(q.department),
        status: q.status,
    };
    let (items, total) =
        intakes::list(&mut *state.pool.acquire().await?, &filter, page, per_page).await?;
    Ok(Json(Page {
        items,
        total,
        page,
        per_page,
    }))
}

/// Open an intake (keeper or admin): register every item and commission its tag, all or
/// nothing. A bad item is answered 422 naming it as `items[i]`, and nothing is created.
#[utoipa::path(post, path = "/intakes", tag = "intakes", request_body = NewIntake,
    responses((status = 201, body = Intake), (status = 422, body = super::error::ErrorBody)))]
async fn open_intake(
    actor: Actor,
    State(state): State<AppState>,
    Json(body): Json<NewIntake>,
) -> ApiResult<(StatusCode, Json<Intake>)> {
    require(&actor, &[Role::Keeper, Role::Admin], "open intakes")?;
    let mut tx = state.pool.begin().await?;
    let intake = intakes::create(
        &mut tx,
        &state.config.company_prefix,
        &body,
        &Context::by(actor.id),
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(intake)))
}

/// The intake with its assets.
#[utoipa::path(get, path = "/intakes/{id}", tag = "intakes", responses((status = 200, body = Intake), (status = 404, body = super::error::ErrorBody)))]
async fn get_intake(
    actor: Actor,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> ApiResult<Json<Intake>> {
    Ok(Json(
        visible_intake(&mut *state.pool.acquire().await?, &actor, id).await?,
    ))
}

/// The intake's history: opening, registrations, receipts.
#[utoipa::path(get, path = "/intakes/{id}/events", tag = "intakes", responses((status = 200, body = Vec<Event>)))]
async fn intake_events(
    actor: Actor,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> ApiResult<Json<Vec<Event>>> {
    let mut conn = state.pool.acquire().await?;
    visible_intake(&mut conn, &actor, id).await?;
    Ok(Json(
        events::for_order(&mut conn, OrderKind::Intake, id).await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    /// Where the assets are put.
    pub zone_id: i64,
    /// The assets that arrived; omitted: every one still awaited.
    pub asset_ids: Option<Vec<i64>>,
}

/// Receive assets into stock at a zone (keeper or admin). When nothing is left to receive,
/// the intake is completed.
#[utoipa::path(post, path = "/intakes/{id}/receive", tag = "intakes", request_body = Receipt,
    responses((status = 200, body = Intake), (status = 409, body = super::error::ErrorBody)))]
async fn receive_intake(
    actor: Actor,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Json(body): Json<Receipt>,
) -> ApiResult<Json<Intake>> {
    require(&actor, &[Role::Keeper, Role::Admin], "receive intakes")?;
    let mut tx = state.pool.begin().await?;
    let intake = intakes::receive(
        &mut tx,
        id,
        body.zone_id,
        body.asset_ids.as_deref(),
        &Context::by(actor.id),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(intake))
}

/// Cancel (keeper or admin) while none of the intake's assets has been received.
#[utoipa::path(post, path = "/intakes/{id}/cancel", tag = "intakes", request_body = Reason,
    responses((status = 200, body = Intake), (status = 409, body = super::error::ErrorBody)))]
async fn cancel_intake(
    actor: Actor,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    OptionalJson(body): OptionalJson<Reason>,
) -> ApiResult<Json<Intake>> {
    require(&actor, &[Role::Keeper, Role::Admin], "cancel intakes")?;
    let mut tx = state.pool.begin().await?;
    let intake = intakes::cancel(&mut tx, id, &Context::by(actor.id).reason(body.reason)).await?;
    tx.commit().await?;
    Ok(Json(intake))
}

/// Close (keeper or admin) an intake whose remaining items will not arrive; reason required.
#[utoipa::path(post, path = "/intakes/{id}/complete", tag = "intakes", request_body = Reason,
    responses((status = 200, body = Intake), (status = 409, body = super::error::ErrorBody)))]
async fn complete_intake(
    actor: Actor,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    OptionalJson(body): OptionalJson<Reason>,
) -> ApiResult<Json<Intake>> {
    require(&actor, &[Role::Keeper, Role::Admin], "close intakes")?;
    let mut tx = state.pool.begin().await?;
    let intake = intakes::complete(&mut tx, id, &Context::by(actor.id).reason(body.reason)).await?;
    tx.commit().await?;
    Ok(Json(intake))
}
