//! Stocktakes over HTTP: create (a warehouse, or some of its zones), start, live progress,
//! finish, and the follow-ups: mark missing as lost, relocate misplaced, register unknown.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{ApiResult, App, Json, Page, Paging, Path, Query};
use crate::app::stocktakes::{self, NewStocktake, Resolve, Stocktake};
use crate::auth::Actor;
use crate::db::stocktakes::{Filter, ResultRow, StocktakeRow, StocktakeStatus};
use crate::domain::bounds::PageNo;

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(list_stocktakes, create_stocktake))
        .routes(routes!(get_stocktake))
        .routes(routes!(start_stocktake))
        .routes(routes!(finish_stocktake))
        .routes(routes!(cancel_stocktake))
        .routes(routes!(resolve))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct StocktakeQuery {
    pub status: Option<StocktakeStatus>,
    /// Of this warehouse.
    pub warehouse: Option<i64>,
    /// Counting this zone (among others, or alone).
    pub zone: Option<i64>,
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    pub page: Option<PageNo>,
    pub per_page: Option<i64>,
    /// The id of the last item of the page before: the page after it (`page` is ignored).
    pub after: Option<i64>,
}

/// Stocktakes, newest first, by status, warehouse and zone counted, as the keeper's page
/// filters them.
#[utoipa::path(get, path = "/stocktakes", tag = "stocktakes", params(StocktakeQuery), responses((status = 200, body = Page<StocktakeRow>)))]
async fn list_stocktakes(
    actor: Actor,
    State(app): State<App>,
    Query(q): Query<StocktakeQuery>,
) -> ApiResult<Json<Page<StocktakeRow>>> {
    let filter = Filter {
        status: q.status,
        warehouse_id: q.warehouse,
        zone_id: q.zone,
    };
    let paging = Paging {
        page: q.page,
        per_page: q.per_page,
        after: q.after,
    };
    Ok(Json(stocktakes::list(&app, &actor, filter, paging).await?))
}

#[utoipa::path(post, path = "/stocktakes", tag = "stocktakes", request_body = NewStocktake, responses((status = 201, body = StocktakeRow)))]
async fn create_stocktake(
    actor: Actor,
    State(app): State<App>,
    Json(body): Json<NewStocktake>,
) -> ApiResult<(StatusCode, Json<StocktakeRow>)> {
    let row = stocktakes::create(&app, &actor, body).await?;
    Ok((StatusCode::CREATED, Json(row)))
}

#[utoipa::path(get, path = "/stocktakes/{id}", tag = "stocktakes", responses((status = 200, body = Stocktake)))]
async fn get_stocktake(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
) -> ApiResult<Json<Stocktake>> {
    Ok(Json(stocktakes::get(&app, &actor, id).await?))
}

/// Start counting: the register's expectation for the scope is taken now.
#[utoipa::path(post, path = "/stocktakes/{id}/start", tag = "stocktakes", responses((status = 200, body = Stocktake)))]
async fn start_stocktake(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
) -> ApiResult<Json<Stocktake>> {
    Ok(Json(stocktakes::start(&app, &actor, id).await?))
}

/// Finish: what was read so far is counted, and the results are stored.
#[utoipa::path(post, path = "/stocktakes/{id}/finish", tag = "stocktakes", responses((status = 200, body = Stocktake)))]
async fn finish_stocktake(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
) -> ApiResult<Json<Stocktake>> {
    Ok(Json(stocktakes::finish(&app, &actor, id).await?))
}

#[utoipa::path(post, path = "/stocktakes/{id}/cancel", tag = "stocktakes", responses((status = 200, body = Stocktake)))]
async fn cancel_stocktake(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
) -> ApiResult<Json<Stocktake>> {
    Ok(Json(stocktakes::cancel(&app, &actor, id).await?))
}

#[utoipa::path(post, path = "/stocktakes/{id}/resolve", tag = "stocktakes", request_body = Resolve, responses((status = 200, body = ResultRow)))]
async fn resolve(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
    Json(body): Json<Resolve>,
) -> ApiResult<Json<ResultRow>> {
    Ok(Json(stocktakes::resolve(&app, &actor, id, body).await?))
}
