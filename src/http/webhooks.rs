//! Webhooks over HTTP (admins): register (the secret is answered once), list, delete, and
//! each webhook's deliveries, which may be replayed.

use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::error::ErrorBody;
use super::{ApiResult, App, Json, Page, Paging, Path, Query};
use crate::app::webhooks::{self, NewWebhook, Registered};
use crate::auth::Actor;
use crate::db::webhooks::{Delivery, Webhook};

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(list_webhooks, create_webhook))
        .routes(routes!(delete_webhook))
        .routes(routes!(list_webhook_deliveries))
        .routes(routes!(replay_webhook_delivery))
}

#[utoipa::path(get, path = "/webhooks", tag = "webhooks", responses((status = 200, body = Vec<Webhook>)))]
async fn list_webhooks(actor: Actor, State(app): State<App>) -> ApiResult<Json<Vec<Webhook>>> {
    Ok(Json(webhooks::list(&app, &actor).await?))
}

/// Register a webhook (admin): an `http://` URL and the event actions it is sent (none: all).
/// The answer carries the signing secret, this once.
#[utoipa::path(post, path = "/webhooks", tag = "webhooks", request_body = NewWebhook,
    responses((status = 201, body = Registered), (status = 422, body = ErrorBody)))]
async fn create_webhook(
    actor: Actor,
    State(app): State<App>,
    Json(body): Json<NewWebhook>,
) -> ApiResult<(StatusCode, Json<Registered>)> {
    Ok((
        StatusCode::CREATED,
        Json(webhooks::create(&app, &actor, body).await?),
    ))
}

/// Delete a webhook and its deliveries (admin).
#[utoipa::path(delete, path = "/webhooks/{id}", tag = "webhooks", responses((status = 204)))]
async fn delete_webhook(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    webhooks::delete(&app, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A webhook's deliveries, newest first, a page at a time: waiting, delivered or given up.
#[utoipa::path(get, path = "/webhooks/{id}/deliveries", tag = "webhooks", params(Paging), responses((status = 200, body = Page<Delivery>)))]
async fn list_webhook_deliveries(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
    Query(paging): Query<Paging>,
) -> ApiResult<Json<Page<Delivery>>> {
    Ok(Json(webhooks::deliveries(&app, &actor, id, paging).await?))
}

/// Send a delivery again (a dead letter, or one delivered), its attempts counted afresh.
#[utoipa::path(post, path = "/webhook-deliveries/{id}/replay", tag = "webhooks", responses((status = 200, body = Delivery)))]
async fn replay_webhook_delivery(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
) -> ApiResult<Json<Delivery>> {
    Ok(Json(webhooks::replay(&app, &actor, id).await?))
}
