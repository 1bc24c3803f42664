//! Forward bookings over HTTP: the collisions of late returns with the next booking, and the
//! swap an admin accepts. A requester sees only their own department's collisions.

use axum::extract::State;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::error::ErrorBody;
use super::{ApiResult, App, Json, Path};
use crate::app::bookings::{self, Swap};
use crate::auth::Actor;
use crate::db::bookings::Collision;
use crate::db::loans::Loan;

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(list_collisions))
        .routes(routes!(swap_booking))
}

/// Bookings starting within a week whose asset is not back (out past its last day on an
/// earlier loan, in repair, lost), soonest first, each with the asset proposed in its place.
#[utoipa::path(get, path = "/bookings/collisions", tag = "loans", responses((status = 200, body = Vec<Collision>)))]
async fn list_collisions(actor: Actor, State(app): State<App>) -> ApiResult<Json<Vec<Collision>>> {
    Ok(Json(bookings::collisions(&app, &actor).await?))
}

/// Swap (admin) a booked asset on an approved loan for another of its category free for the
/// loan's whole period: the proposed one unless `replacement_id` names another. 409 if none is.
#[utoipa::path(post, path = "/loans/{id}/swap", tag = "loans", request_body = Swap,
    responses((status = 200, body = Loan), (status = 409, body = ErrorBody)))]
async fn swap_booking(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
    Json(body): Json<Swap>,
) -> ApiResult<Json<Loan>> {
    Ok(Json(bookings::swap(&app, &actor, id, body).await?))
}
