//! Forward bookings over HTTP: the collisions of late returns with the next booking, and the
//! swap an admin accepts. A requester sees only their own department's collisions.

use axum::extract::State;
use serde::Deserialize;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::error::ErrorBody;
use super::{ApiResult, App, Json, Page, Paging, Path, Query};
use crate::app::bookings::{self, Swap};
use crate::auth::Actor;
use crate::db::bookings::Collision;
use crate::db::loans::Loan;
use crate::domain::bounds::PageNo;

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(list_collisions))
        .routes(routes!(swap_booking))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct CollisionQuery {
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    pub page: Option<PageNo>,
    pub per_page: Option<i64>,
}

/// Bookings starting within a week whose asset is not back (out past its last day on an
/// earlier loan, in repair, lost), soonest first, each with the asset proposed in its place,
/// a page at a time. Paged by page number (the list is in the order of the loans' dates).
#[utoipa::path(get, path = "/bookings/collisions", tag = "loans", params(CollisionQuery), responses((status = 200, body = Page<Collision>)))]
async fn list_collisions(
    actor: Actor,
    State(app): State<App>,
    Query(q): Query<CollisionQuery>,
) -> ApiResult<Json<Page<Collision>>> {
    let paging = Paging {
        page: q.page,
        per_page: q.per_page,
        after: None,
    };
    Ok(Json(bookings::collisions_page(&app, &actor, paging).await?))
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
