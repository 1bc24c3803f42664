//! Walk tests over HTTP: start one on a gate, finish it, apply its threshold, list a gate's.

use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::error::ErrorBody;
use super::{ApiResult, App, Json, Path};
use crate::app::walks::{self, NewWalkTest};
use crate::auth::Actor;
use crate::db::walks::WalkTest;

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(list_walk_tests, start_walk_test))
        .routes(routes!(finish_walk_test))
        .routes(routes!(cancel_walk_test))
        .routes(routes!(apply_walk_test))
}

/// A gate's walk tests, newest first (the latest 50).
#[utoipa::path(get, path = "/gates/{id}/walk-tests", tag = "readers",
    responses((status = 200, body = Vec<WalkTest>), (status = 404, body = ErrorBody)))]
async fn list_walk_tests(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
) -> ApiResult<Json<Vec<WalkTest>>> {
    Ok(Json(walks::list(&app, &actor, id).await?))
}

/// Start a walk test on a gate: carry a few reference tags through it in the stated
/// direction, then finish the test. Until then the reads of the gate's antennas are copied
/// (at most 100,000, for at most 10 minutes). One at a time per gate: a second is 409.
#[utoipa::path(post, path = "/gates/{id}/walk-tests", tag = "readers", request_body = NewWalkTest,
    responses((status = 201, body = WalkTest), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 503, body = ErrorBody)))]
async fn start_walk_test(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
    Json(body): Json<NewWalkTest>,
) -> ApiResult<(StatusCode, Json<WalkTest>)> {
    let test = walks::start(&app, &actor, id, body).await?;
    Ok((StatusCode::CREATED, Json(test)))
}

/// Finish a walk test: the reads are surveyed — reads per side, each antenna's RSSI on each
/// side, the effective front-to-back ratio, the leak — and the verdict (good,
/// move_the_antennas, add_a_reader, check_the_wiring, no_reads) and suggested threshold are
/// stored. A second finish is 409.
#[utoipa::path(post, path = "/walk-tests/{id}/finish", tag = "readers",
    responses((status = 200, body = WalkTest), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn finish_walk_test(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
) -> ApiResult<Json<WalkTest>> {
    Ok(Json(walks::finish(&app, &actor, id).await?))
}

/// Cancel a running walk test: its reads are let go and it surveys nothing. A test no
/// longer running is 409.
#[utoipa::path(post, path = "/walk-tests/{id}/cancel", tag = "readers",
    responses((status = 200, body = WalkTest), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn cancel_walk_test(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
) -> ApiResult<Json<WalkTest>> {
    Ok(Json(walks::cancel(&app, &actor, id).await?))
}

/// Apply a finished walk test's suggested threshold to its gate; the pipeline runs it at
/// once. Only the gate's latest finished test, once, and only one that measured the gate
/// (409 otherwise).
#[utoipa::path(post, path = "/walk-tests/{id}/apply", tag = "readers",
    responses((status = 200, body = WalkTest), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn apply_walk_test(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
) -> ApiResult<Json<WalkTest>> {
    Ok(Json(walks::apply(&app, &actor, id).await?))
}
