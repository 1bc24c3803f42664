//! Intakes over HTTP. Keepers and admins open, receive and cancel them; auditors read them.
//! A requester may follow the intakes their own department handed over (they are that
//! department's paperwork too) and nothing else: any other is answered 404.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::error::ErrorBody;
use super::{ApiResult, App, Json, OptionalJson, Page, Paging, Path, Query};
use crate::app::intakes::{self, Receipt};
use crate::app::Reason;
use crate::auth::Actor;
use crate::db::events::Event;
use crate::db::intakes::{Intake, NewIntake};
use crate::domain::bounds::PageNo;
use crate::domain::lifecycle::orders::IntakeStatus;

/// The intakes endpoints, under `/intakes`.
pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(list_intakes, open_intake))
        .routes(routes!(get_intake))
        .routes(routes!(intake_events))
        .routes(routes!(receive_intake))
        .routes(routes!(cancel_intake))
        .routes(routes!(complete_intake))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct IntakeQuery {
    pub status: Option<IntakeStatus>,
    /// Handed over by this department.
    pub department: Option<i64>,
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    pub page: Option<PageNo>,
    pub per_page: Option<i64>,
    /// The id of the last item of the page before: the page after it (`page` is ignored).
    pub after: Option<i64>,
}

/// Intakes, newest first. Requesters see those their own department handed over.
#[utoipa::path(get, path = "/intakes", tag = "intakes", params(IntakeQuery), responses((status = 200, body = Page<Intake>)))]
async fn list_intakes(
    actor: Actor,
    State(app): State<App>,
    Query(q): Query<IntakeQuery>,
) -> ApiResult<Json<Page<Intake>>> {
    let paging = Paging {
        page: q.page,
        per_page: q.per_page,
        after: q.after,
    };
    let page = intakes::list(&app, &actor, q.status, q.department, paging).await?;
    Ok(Json(page))
}

/// Open an intake (keeper or admin): register every item and commission its tag, all or
/// nothing. A bad item is answered 422 naming it as `items[i]`, and nothing is created.
#[utoipa::path(post, path = "/intakes", tag = "intakes", request_body = NewIntake,
    responses((status = 201, body = Intake), (status = 422, body = ErrorBody)))]
async fn open_intake(
    actor: Actor,
    State(app): State<App>,
    Json(body): Json<NewIntake>,
) -> ApiResult<(StatusCode, Json<Intake>)> {
    let intake = intakes::open(&app, &actor, body).await?;
    Ok((StatusCode::CREATED, Json(intake)))
}

/// The intake with its assets.
#[utoipa::path(get, path = "/intakes/{id}", tag = "intakes", responses((status = 200, body = Intake), (status = 404, body = ErrorBody)))]
async fn get_intake(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
) -> ApiResult<Json<Intake>> {
    Ok(Json(intakes::get(&app, &actor, id).await?))
}

/// The intake's history: opening, registrations, receipts.
#[utoipa::path(get, path = "/intakes/{id}/events", tag = "intakes", responses((status = 200, body = Vec<Event>)))]
async fn intake_events(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
) -> ApiResult<Json<Vec<Event>>> {
    Ok(Json(intakes::events(&app, &actor, id).await?))
}

/// Receive assets into stock at a zone (keeper or admin). When nothing is left to receive,
/// the intake is completed.
#[utoipa::path(post, path = "/intakes/{id}/receive", tag = "intakes", request_body = Receipt,
    responses((status = 200, body = Intake), (status = 409, body = ErrorBody)))]
async fn receive_intake(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
    Json(body): Json<Receipt>,
) -> ApiResult<Json<Intake>> {
    Ok(Json(intakes::receive(&app, &actor, id, body).await?))
}

/// Cancel (keeper or admin) while none of the intake's assets has been received.
#[utoipa::path(post, path = "/intakes/{id}/cancel", tag = "intakes", request_body = Option<Reason>,
    responses((status = 200, body = Intake), (status = 409, body = ErrorBody)))]
async fn cancel_intake(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
    OptionalJson(body): OptionalJson<Reason>,
) -> ApiResult<Json<Intake>> {
    Ok(Json(intakes::cancel(&app, &actor, id, body).await?))
}

/// Close (keeper or admin) an intake whose remaining items will not arrive; reason required.
#[utoipa::path(post, path = "/intakes/{id}/complete", tag = "intakes", request_body = crate::app::Reasoned,
    responses((status = 200, body = Intake), (status = 409, body = ErrorBody)))]
async fn complete_intake(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
    OptionalJson(body): OptionalJson<Reason>,
) -> ApiResult<Json<Intake>> {
    Ok(Json(intakes::complete(&app, &actor, id, body).await?))
}
