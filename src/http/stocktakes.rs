//! Stocktakes over HTTP: create (a warehouse, or some of its zones), start, live progress,
//! finish, and the follow-ups: mark missing as lost, relocate misplaced, register unknown.

use axum::extract::State;
use axum::http::StatusCode;
use depot_readers::Epc;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{require, ApiError, ApiResult, AppState, Json, Page, Paging, Path, Query};
use crate::auth::{Actor, Role};
use crate::db::assets::{self, NewAsset};
use crate::db::events::{self, Context};
use crate::db::stocktakes::{self, NewResult, Outcome, ResultRow, StocktakeRow, StocktakeStatus};
use crate::domain::bounds::{Fen, Known as _, Text};
use crate::domain::lifecycle::AssetAction;
use crate::engine::{Progress, StocktakeResult, ZoneId};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_stocktakes, create_stocktake))
        .routes(routes!(get_stocktake))
        .routes(routes!(start_stocktake))
        .routes(routes!(finish_stocktake))
        .routes(routes!(cancel_stocktake))
        .routes(routes!(resolve))
}

const KEEPERS: &[Role] = &[Role::Admin, Role::Keeper];
const WATCHERS: &[Role] = &[Role::Admin, Role::Keeper, Role::Auditor];

#[derive(Debug, Serialize, ToSchema)]
pub struct LiveProgress {
    pub expected: u32,
    pub found: u32,
    pub misplaced: u32,
    pub missing: u32,
    pub unexpected: u32,
}

impl From<Progress> for LiveProgress {
    fn from(p: Progress) -> Self {
        LiveProgress {
            expected: p.expected,
            found: p.found,
            misplaced: p.misplaced,
            missing: p.missing,
            unexpected: p.unexpected,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Stocktake {
    #[serde(flatten)]
    pub stocktake: StocktakeRow,
    /// While running: the live count.
    pub progress: Option<LiveProgress>,
    /// Once finished: every line, with what was done about it.
    pub results: Vec<ResultRow>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewStocktake {
    pub warehouse_id: i64,
    /// Some zones of the warehouse; empty or omitted: all of them.
    #[serde(default)]
    pub zone_ids: Vec<i64>,
}

#[utoipa::path(get, path = "/stocktakes", tag = "stocktakes", params(Paging), responses((status = 200, body = Page<StocktakeRow>)))]
async fn list_stocktakes(
    actor: Actor,
    State(state): State<AppState>,
    Query(paging): Query<Paging>,
) -> ApiResult<Json<Page<StocktakeRow>>> {
    require(&actor, WATCHERS, "see stocktakes")?;
    let paging = paging.resolve();
    let mut conn = state.pool.acquire().await?;
    let stocktakes = stocktakes::list(&mut conn, paging.0, paging.1).await?;
    Ok(Json(Page::of(stocktakes, paging)))
}

#[utoipa::path(post, path = "/stocktakes", tag = "stocktakes", request_body = NewStocktake, responses((status = 201, body = StocktakeRow)))]
async fn create_stocktake(
    actor: Actor,
    State(state): State<AppState>,
    Json(body): Json<NewStocktake>,
) -> ApiResult<(StatusCode, Json<StocktakeRow>)> {
    require(&actor, KEEPERS, "create stocktakes")?;
    let row = stocktakes::create(
        &mut *state.pool.acquire().await?,
        body.warehouse_id,
        &body.zone_ids,
        actor.id,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(row)))
}

async fn view(state: &AppState, id: i64) -> ApiResult<Stocktake> {
    let mut conn = state.pool.acquire().await?;
    let stocktake = stocktakes::get(&mut conn, id).await?;
    let progress = state
        .ingest
        .as_ref()
        .and_then(|i| i.stocktake_progress(id))
        .map(Into::into);
    let results = stocktakes::results(&mut conn, id, None).await?;
    Ok(Stocktake {
        stocktake,
        progress,
        results,
    })
}

#[utoipa::path(get, path = "/stocktakes/{id}", tag = "stocktakes", responses((status = 200, body = Stocktake)))]
async fn get_stocktake(
    actor: Actor,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> ApiResult<Json<Stocktake>> {
    require(&actor, WATCHERS, "see stocktakes")?;
    Ok(Json(view(&state, id).await?))
}

/// Start counting: the register's expectation for the scope is taken now.
#[utoipa::path(post, path = "/stocktakes/{id}/start", tag = "stocktakes", responses((status = 200, body = Stocktake)))]
async fn start_stocktake(
    actor: Actor,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> ApiResult<Json<Stocktake>> {
    require(&actor, KEEPERS, "run stocktakes")?;
    start(&state, id).await?;
    Ok(Json(view(&state, id).await?))
}

/// Start counting stocktake `id` (the API's and the pages' start).
pub(crate) async fn start(state: &AppState, id: i64) -> ApiResult<()> {
    let ingest = state.ingest()?;
    let mut tx = state.pool.begin().await?;
    let row = stocktakes::lock(&mut tx, id, "start", StocktakeStatus::Created).await?;
    let expected = stocktakes::expected(&mut tx, &row.zone_ids).await?;
    let expected: Vec<(Epc, ZoneId)> = expected
        .iter()
        .filter_map(|(epc, zone)| Some((Epc::from_hex(epc).ok()?, ZoneId(*zone as u32))))
        .collect();
    stocktakes::mark_running(&mut tx, id, expected.len()).await?;
    let scope = row.zone_ids.iter().map(|z| ZoneId(*z as u32)).collect();
    ingest
        .start_stocktake(id, expected, scope)
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    tx.commit().await?;
    Ok(())
}

/// Finish: what was read so far is counted, and the results are stored.
#[utoipa::path(post, path = "/stocktakes/{id}/finish", tag = "stocktakes", responses((status = 200, body = Stocktake)))]
async fn finish_stocktake(
    actor: Actor,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> ApiResult<Json<Stocktake>> {
    require(&actor, KEEPERS, "run stocktakes")?;
    finish(&state, id).await?;
    Ok(Json(view(&state, id).await?))
}

/// Finish stocktake `id` and store its results (the API's and the pages' finish).
pub(crate) async fn finish(state: &AppState, id: i64) -> ApiResult<()> {
    let ingest = state.ingest()?;
    let mut tx = state.pool.begin().await?;
    stocktakes::lock(&mut tx, id, "finish", StocktakeStatus::Running).await?;
    let result = ingest
        .finish_stocktake(id)
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))?
        .ok_or_else(|| ApiError::Conflict(format!("stocktake {id} is not being counted by this service (was it restarted?): cancel it and start a new one")))?;
    stocktakes::store_results(&mut tx, id, &lines(&result)).await?;
    tx.commit().await?;
    Ok(())
}

#[utoipa::path(post, path = "/stocktakes/{id}/cancel", tag = "stocktakes", responses((status = 200, body = Stocktake)))]
async fn cancel_stocktake(
    actor: Actor,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> ApiResult<Json<Stocktake>> {
    require(&actor, KEEPERS, "run stocktakes")?;
    cancel(&state, id).await?;
    Ok(Json(view(&state, id).await?))
}

/// The lines of a count, as stored.
pub(crate) fn lines(result: &StocktakeResult) -> Vec<NewResult> {
    let zone = |z: ZoneId| Some(i64::from(z.0));
    let mut lines: Vec<NewResult> = Vec::new();
    lines.extend(result.found.iter().map(|l| NewResult {
        epc: l.epc.to_hex(),
        outcome: Outcome::Found,
        expected_zone_id: zone(l.zone),
        seen_zone_id: zone(l.zone),
    }));
    lines.extend(result.missing.iter().map(|l| NewResult {
        epc: l.epc.to_hex(),
        outcome: Outcome::Missing,
        expected_zone_id: zone(l.zone),
        seen_zone_id: None,
    }));
    lines.extend(result.misplaced.iter().map(|m| NewResult {
        epc: m.epc.to_hex(),
        outcome: Outcome::Misplaced,
        expected_zone_id: zone(m.expected),
        seen_zone_id: zone(m.seen),
    }));
    lines.extend(result.unexpected.iter().map(|u| NewResult {
        epc: u.epc.to_hex(),
        outcome: Outcome::Unexpected,
        expected_zone_id: None,
        seen_zone_id: zone(u.zone),
    }));
    lines
}

/// Cancel stocktake `id`, created or running (the API's and the pages' cancel).
pub(crate) async fn cancel(state: &AppState, id: i64) -> ApiResult<()> {
    let mut tx = state.pool.begin().await?;
    let row = stocktakes::get(&mut tx, id).await?;
    if !matches!(
        row.status,
        StocktakeStatus::Created | StocktakeStatus::Running
    ) {
        return Err(ApiError::Conflict(
            format!("cannot cancel stocktake {id}: it is {:?}", row.status).to_lowercase(),
        ));
    }
    if let Some(ingest) = &state.ingest {
        let _ = ingest.finish_stocktake(id).await;
    }
    stocktakes::mark_cancelled(&mut tx, id).await?;
    tx.commit().await?;
    Ok(())
}

/// What to do about one line of a finished stocktake.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FollowUp {
    /// A missing asset is lost: it awaits write-off (an admin's `write_off`).
    MarkLost,
    /// A misplaced asset stays where it was found: the register moves it there.
    Relocate,
    /// An unknown tag is registered as a new asset, in stock where it was found.
    Register,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Resolve {
    pub epc: Text,
    pub action: FollowUp,
    /// For `register`: the new asset.
    pub name: Option<Text>,
    pub category_id: Option<i64>,
    pub original_value_fen: Option<Fen>,
}

#[utoipa::path(post, path = "/stocktakes/{id}/resolve", tag = "stocktakes", request_body = Resolve, responses((status = 200, body = ResultRow)))]
async fn resolve(
    actor: Actor,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Json(body): Json<Resolve>,
) -> ApiResult<Json<ResultRow>> {
    require(&actor, KEEPERS, "act on stocktake results")?;
    Ok(Json(follow_up(&state, id, actor.id, &body).await?))
}

/// Act on one line of finished stocktake `id` for `actor_id` (the API's and the pages' follow-up).
pub(crate) async fn follow_up(
    state: &AppState,
    id: i64,
    actor_id: i64,
    body: &Resolve,
) -> ApiResult<ResultRow> {
    let epc = body.epc.trim().to_ascii_uppercase();
    let mut tx = state.pool.begin().await?;
    let ctx = Context::by(actor_id).reason(format!("stocktake {id}"));
    let (resolution, asset_id) = match body.action {
        FollowUp::MarkLost => {
            let line = stocktakes::lock_result(&mut tx, id, &epc, Outcome::Missing).await?;
            let asset = line
                .asset_id
                .ok_or_else(|| ApiError::Conflict(format!("EPC {epc} is on no asset")))?;
            events::transition(&mut tx, asset, AssetAction::MarkLost, &ctx).await?;
            ("marked_lost", Some(asset))
        }
        FollowUp::Relocate => {
            let line = stocktakes::lock_result(&mut tx, id, &epc, Outcome::Misplaced).await?;
            let asset = line
                .asset_id
                .ok_or_else(|| ApiError::Conflict(format!("EPC {epc} is on no asset")))?;
            sqlx::query("update assets set zone_id = $2, updated_at = now() where id = $1")
                .bind(asset)
                .bind(line.seen_zone_id)
                .execute(&mut *tx)
                .await?;
            let mut ctx = ctx.clone();
            ctx.details = serde_json::json!({ "from_zone_id": line.expected_zone_id, "to_zone_id": line.seen_zone_id });
            events::record_asset_note(&mut tx, asset, "relocate", &ctx).await?;
            ("relocated", Some(asset))
        }
        FollowUp::Register => {
            let line = stocktakes::lock_result(&mut tx, id, &epc, Outcome::Unexpected).await?;
            if line.asset_id.is_some() {
                return Err(ApiError::Conflict(format!(
                    "EPC {epc} is already on asset {}",
                    line.asset_id.unwrap_or_default()
                )));
            }
            let new = NewAsset {
                epc: Some(epc.clone().known()),
                name: body
                    .name
                    .clone()
                    .ok_or_else(|| ApiError::Unprocessable("registering needs a name".into()))?,
                category_id: body.category_id.ok_or_else(|| {
                    ApiError::Unprocessable("registering needs a category_id".into())
                })?,
                original_value_fen: body.original_value_fen.unwrap_or_default(),
                acquired_on: None,
                source_class: Default::default(),
                owner_department_id: None,
                notes: format!("found untagged in the register at stocktake {id}").known(),
            };
            let asset = assets::register(&mut tx, &state.config.company_prefix, &new, &ctx).await?;
            events::transition(&mut tx, asset.id, AssetAction::Receive, &ctx).await?;
            sqlx::query("update assets set zone_id = $2 where id = $1")
                .bind(asset.id)
                .bind(line.seen_zone_id)
                .execute(&mut *tx)
                .await?;
            ("registered", Some(asset.id))
        }
    };
    stocktakes::resolve(&mut tx, id, &epc, resolution, actor_id, asset_id).await?;
    let line = stocktakes::results(&mut tx, id, None)
        .await?
        .into_iter()
        .find(|r| r.epc == epc)
        .expect("the line just resolved");
    tx.commit().await?;
    Ok(line)
}
