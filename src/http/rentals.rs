//! Market rentals over HTTP: the admin records one on a loan, the keeper receives the rented
//! items and returns them to the supplier. A requester reads their own department's rentals;
//! another department's are answered 404, never 403, so nothing leaks.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::error::ErrorBody;
use super::{ApiResult, App, Json, OptionalJson, Page, Paging, Path, Query};
use crate::app::rentals::{self, RentalFilter};
use crate::app::Reason;
use crate::auth::Actor;
use crate::db::events::Event;
use crate::db::rentals::{NewRental, Rental};
use crate::domain::bounds::PageNo;
use crate::domain::lifecycle::orders::RentalStatus;

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(list_rentals))
        .routes(routes!(record_rental))
        .routes(routes!(get_rental))
        .routes(routes!(rental_events))
        .routes(routes!(receive_rental))
        .routes(routes!(return_rental))
        .routes(routes!(cancel_rental))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct RentalQuery {
    pub department: Option<i64>,
    /// The rentals of one loan.
    pub loan: Option<i64>,
    pub status: Option<RentalStatus>,
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    pub page: Option<PageNo>,
    pub per_page: Option<i64>,
    /// The id of the last item of the page before: the page after it (`page` is ignored).
    pub after: Option<i64>,
}

/// Market rentals, newest first (a requester: their own department's).
#[utoipa::path(get, path = "/rentals", tag = "rentals", params(RentalQuery), responses((status = 200, body = Page<Rental>)))]
async fn list_rentals(
    actor: Actor,
    State(app): State<App>,
    Query(q): Query<RentalQuery>,
) -> ApiResult<Json<Page<Rental>>> {
    let filter = RentalFilter {
        department: q.department,
        loan: q.loan,
        status: q.status,
    };
    let paging = Paging {
        page: q.page,
        per_page: q.per_page,
        after: q.after,
    };
    Ok(Json(rentals::list(&app, &actor, filter, paging).await?))
}

/// Record a market rental on a loan (admin): what it asks for and the depot cannot supply,
/// rented from a supplier. `total_fen` defaults to quantity × days × `daily_price_fen`.
/// 409 when the loan is no longer open, 422 for a category the loan does not ask for or a
/// bad quantity, price or dates.
#[utoipa::path(post, path = "/loans/{id}/rentals", tag = "rentals", request_body = NewRental,
    responses((status = 201, body = Rental), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn record_rental(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
    Json(body): Json<NewRental>,
) -> ApiResult<(StatusCode, Json<Rental>)> {
    let rental = rentals::record(&app, &actor, id, body).await?;
    Ok((StatusCode::CREATED, Json(rental)))
}

#[utoipa::path(get, path = "/rentals/{id}", tag = "rentals", responses((status = 200, body = Rental), (status = 404, body = ErrorBody)))]
async fn get_rental(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
) -> ApiResult<Json<Rental>> {
    Ok(Json(rentals::get(&app, &actor, id).await?))
}

/// The rental's history: recorded, received, returned or cancelled.
#[utoipa::path(get, path = "/rentals/{id}/events", tag = "rentals", responses((status = 200, body = Vec<Event>)))]
async fn rental_events(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
) -> ApiResult<Json<Vec<Event>>> {
    Ok(Json(rentals::events(&app, &actor, id).await?))
}

/// The rented items came in from the supplier (keeper or admin); 409 unless it is ordered.
#[utoipa::path(post, path = "/rentals/{id}/receive", tag = "rentals", request_body = Option<Reason>,
    responses((status = 200, body = Rental), (status = 409, body = ErrorBody)))]
async fn receive_rental(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
    OptionalJson(body): OptionalJson<Reason>,
) -> ApiResult<Json<Rental>> {
    Ok(Json(rentals::receive(&app, &actor, id, body).await?))
}

/// The rented items went back to the supplier (keeper or admin); 409 unless it was received.
#[utoipa::path(post, path = "/rentals/{id}/return", tag = "rentals", request_body = Option<Reason>,
    responses((status = 200, body = Rental), (status = 409, body = ErrorBody)))]
async fn return_rental(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
    OptionalJson(body): OptionalJson<Reason>,
) -> ApiResult<Json<Rental>> {
    Ok(Json(rentals::give_back(&app, &actor, id, body).await?))
}

/// Call the rental off before anything came (admin); 409 unless it is ordered.
#[utoipa::path(post, path = "/rentals/{id}/cancel", tag = "rentals", request_body = Option<Reason>,
    responses((status = 200, body = Rental), (status = 409, body = ErrorBody)))]
async fn cancel_rental(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
    OptionalJson(body): OptionalJson<Reason>,
) -> ApiResult<Json<Rental>> {
    Ok(Json(rentals::cancel(&app, &actor, id, body).await?))
}
