//! The pages the reader pipeline feeds: the keeper's live gate view and stocktakes, and the
//! admin's readers and gates. Each page is complete when served; `static/live.js` then
//! follows the live stream (`/api/events/stream`) and updates it in place.

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::{fen, field, render, text, Chrome, Fields, PageResult, Posted, Viewer};
use crate::auth::Role;
use crate::db::alerts::{self, Alert, AlertKind};
use crate::db::readers::{self, Gate, NewGate, NewReader, ReadPoint, Reader, ReaderChange};
use crate::db::stocktakes::{self, Outcome, ResultRow, StocktakeRow, StocktakeStatus};
use crate::http::readers as reader_api;
use crate::http::stocktakes::{self as stocktake_api, FollowUp, Resolve};
use crate::http::{ApiError, AppState};
use crate::ingest::Health;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/static/live.js", get(script))
        .route("/keeper/gate", get(gate_view))
        .route("/keeper/alerts/{id}/acknowledge", post(acknowledge))
        .route(
            "/keeper/stocktakes",
            get(stocktake_list).post(create_stocktake),
        )
        .route("/keeper/stocktakes/{id}", get(stocktake_detail))
        .route("/keeper/stocktakes/{id}/resolve", post(resolve))
        .route("/keeper/stocktakes/{id}/{action}", post(stocktake_action))
        .route("/admin/readers", get(reader_list).post(add_reader))
        .route("/admin/readers/{id}/{action}", post(reader_action))
        .route("/admin/gates", post(add_gate))
}

const KEEPERS: &[Role] = &[Role::Keeper, Role::Admin];

async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        include_str!("../../static/live.js"),
    )
        .into_response()
}

/// One passage through a gate, as stored: the fact, the asset, the order it matched.
#[derive(Debug, sqlx::FromRow)]
pub struct PassageRow {
    pub key: String,
    pub epc: String,
    pub asset_id: Option<i64>,
    pub asset: Option<String>,
    pub gate: Option<String>,
    pub direction: Option<String>,
    pub at: DateTime<Utc>,
    pub order_kind: Option<String>,
    pub order_id: Option<i64>,
    /// issued, returned, alert, none
    pub outcome: String,
}

async fn passages(
    conn: &mut sqlx::PgConnection,
    gate: Option<i64>,
    limit: i64,
) -> Result<Vec<PassageRow>, ApiError> {
    Ok(sqlx::query_as(
        "select f.key, f.epc, f.asset_id, a.name as asset, g.name as gate, f.direction, f.at,
                e.order_kind::text as order_kind, e.order_id,
                case when e.action = 'issue' then 'issued' when e.action = 'return' then 'returned'
                     when exists (select 1 from alerts al where al.fact_key = f.key) then 'alert' else 'none' end as outcome
         from facts f
         left join assets a on a.id = f.asset_id
         left join gates g on g.id = f.gate_id
         left join lateral (select order_kind, order_id, action from events ev where ev.fact_key = f.key order by ev.id limit 1) e on true
         where f.kind = 'passed' and ($1::bigint is null or f.gate_id = $1)
         order by f.at desc, f.key desc limit $2",
    )
    .bind(gate)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

#[derive(askama::Template)]
#[template(path = "gate.html")]
struct GatePage {
    c: Chrome,
    gates: Vec<Gate>,
    gate: Option<i64>,
    passages: Vec<PassageRow>,
    alerts: Vec<Alert>,
}

impl GatePage {
    fn stream(&self) -> String {
        match self.gate {
            Some(g) => format!("/api/events/stream?gate={g}"),
            None => "/api/events/stream".into(),
        }
    }
    fn selected(&self, id: &i64) -> bool {
        self.gate == Some(*id)
    }
    fn here(&self) -> String {
        match self.gate {
            Some(g) => format!("/keeper/gate?gate={g}"),
            None => "/keeper/gate".into(),
        }
    }
    fn kind(&self, a: &Alert) -> &'static str {
        match a.kind {
            AlertKind::ExitWithoutOrder => "exit_without_order",
            AlertKind::UnknownTag => "unknown_tag",
            AlertKind::EntryWithoutOrder => "entry_without_order",
        }
    }
    fn time(&self, t: &DateTime<Utc>) -> String {
        t.format("%Y-%m-%d %H:%M:%S").to_string()
    }
}

#[derive(Debug, Deserialize)]
struct GateQuery {
    gate: Option<String>,
}

/// The latest passages at a gate (or all gates), newest first, and the open alerts.
async fn gate_view(
    v: Viewer,
    State(state): State<AppState>,
    Query(q): Query<GateQuery>,
) -> PageResult {
    v.require(KEEPERS)?;
    let mut conn = state.pool.acquire().await?;
    let gates = readers::gates(&mut conn).await?;
    let gate = q
        .gate
        .as_deref()
        .and_then(|g| g.parse().ok())
        .or_else(|| (gates.len() == 1).then(|| gates[0].id));
    let passages = passages(&mut conn, gate, 50).await?;
    let alerts = alerts::list(&mut conn, true, 1, 100)
        .await?
        .0
        .into_iter()
        .filter(|a| gate.is_none() || a.gate_id == gate)
        .collect();
    render(GatePage {
        c: v.chrome("gate"),
        gates,
        gate,
        passages,
        alerts,
    })
}

async fn acknowledge(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Posted { viewer: v, form }: Posted<Fields>,
) -> PageResult {
    v.require(KEEPERS)?;
    alerts::acknowledge(
        &mut *state.pool.acquire().await?,
        id,
        v.actor.id,
        field(&form, "note"),
    )
    .await?;
    let back = crate::domain::bounds::LocalPath::or_home(field(&form, "back"));
    Ok(Redirect::to(if back.as_str().starts_with("/keeper/gate") {
        back.as_str()
    } else {
        "/keeper/gate"
    })
    .into_response())
}

#[derive(askama::Template)]
#[template(path = "stocktakes.html")]
struct StocktakesPage {
    c: Chrome,
    stocktakes: Vec<StocktakeRow>,
    warehouses: Vec<(i64, String)>,
    zones: Vec<(i64, String)>,
}

async fn places(
    conn: &mut sqlx::PgConnection,
) -> Result<(Vec<(i64, String)>, Vec<(i64, String)>), ApiError> {
    let warehouses = sqlx::query_as("select id, name from warehouses order by code")
        .fetch_all(&mut *conn)
        .await?;
    let zones = sqlx::query_as("select z.id, w.name || ' · ' || z.name from zones z join warehouses w on w.id = z.warehouse_id order by w.code, z.code")
        .fetch_all(&mut *conn)
        .await?;
    Ok((warehouses, zones))
}

async fn stocktake_list(v: Viewer, State(state): State<AppState>) -> PageResult {
    v.require(KEEPERS)?;
    let mut conn = state.pool.acquire().await?;
    let stocktakes = stocktakes::list(&mut conn, 1, 200).await?.0;
    let (warehouses, zones) = places(&mut conn).await?;
    render(StocktakesPage {
        c: v.chrome("stocktakes"),
        stocktakes,
        warehouses,
        zones,
    })
}

/// Create a stocktake of a warehouse, or of some of its zones (check boxes `zone`).
async fn create_stocktake(
    State(state): State<AppState>,
    Posted { viewer: v, form }: Posted<Fields>,
) -> PageResult {
    v.require(KEEPERS)?;
    let warehouse: i64 = field(&form, "warehouse")
        .parse()
        .map_err(|_| ApiError::Unprocessable("choose a warehouse".into()))?;
    let zones: Vec<i64> = form
        .iter()
        .filter(|(k, _)| k == "zone")
        .filter_map(|(_, v)| v.parse().ok())
        .collect();
    let row = stocktakes::create(
        &mut *state.pool.acquire().await?,
        warehouse,
        &zones,
        v.actor.id,
    )
    .await?;
    Ok(Redirect::to(&format!("/keeper/stocktakes/{}", row.id)).into_response())
}

#[derive(askama::Template)]
#[template(path = "stocktake.html")]
struct StocktakePage {
    c: Chrome,
    s: StocktakeRow,
    warehouse: String,
    zones: Vec<(i64, String)>,
    /// The live count while running; the stored totals otherwise.
    expected: u32,
    found: u32,
    misplaced: u32,
    missing: u32,
    unexpected: u32,
    results: Vec<ResultRow>,
    categories: Vec<(i64, String)>,
}

impl StocktakePage {
    fn status(&self) -> &'static str {
        status_key(self.s.status)
    }
    fn running(&self) -> bool {
        self.s.status == StocktakeStatus::Running
    }
    fn created(&self) -> bool {
        self.s.status == StocktakeStatus::Created
    }
    fn finished(&self) -> bool {
        self.s.status == StocktakeStatus::Finished
    }
    /// A progress bar needs a maximum above zero, even for an empty scope.
    fn bar_max(&self) -> u32 {
        self.expected.max(1)
    }
    fn counted(&self) -> u32 {
        self.found + self.misplaced
    }
    fn zone(&self, id: &Option<i64>) -> String {
        id.and_then(|id| self.zones.iter().find(|(z, _)| *z == id))
            .map(|(_, n)| n.clone())
            .unwrap_or_default()
    }
    fn scope(&self) -> String {
        self.s
            .zone_ids
            .iter()
            .map(|z| self.zone(&Some(*z)))
            .collect::<Vec<_>>()
            .join(", ")
    }
    fn resolution(&self, r: &ResultRow) -> String {
        r.resolution
            .as_deref()
            .map(|x| format!("res_{x}"))
            .unwrap_or_default()
    }
    fn lines(&self, outcome: &str) -> Vec<&ResultRow> {
        self.results
            .iter()
            .filter(|r| outcome_key(r.outcome) == outcome)
            .collect()
    }
}

fn status_key(s: StocktakeStatus) -> &'static str {
    match s {
        StocktakeStatus::Created => "st_created",
        StocktakeStatus::Running => "st_running",
        StocktakeStatus::Finished => "st_finished",
        StocktakeStatus::Cancelled => "cancelled",
    }
}

fn outcome_key(o: Outcome) -> &'static str {
    match o {
        Outcome::Found => "oc_found",
        Outcome::Missing => "oc_missing",
        Outcome::Unexpected => "oc_unexpected",
        Outcome::Misplaced => "oc_misplaced",
    }
}

impl StocktakesPage {
    fn status(&self, s: &StocktakeRow) -> &'static str {
        status_key(s.status)
    }
}

async fn stocktake_detail(
    v: Viewer,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> PageResult {
    v.require(KEEPERS)?;
    let mut conn = state.pool.acquire().await?;
    let s = stocktakes::get(&mut conn, id).await?;
    let warehouse = sqlx::query_scalar("select name from warehouses where id = $1")
        .bind(s.warehouse_id)
        .fetch_one(&mut *conn)
        .await?;
    let (_, zones) = places(&mut conn).await?;
    let live = state
        .ingest
        .as_ref()
        .and_then(|i| i.stocktake_progress(id))
        .filter(|_| s.status == StocktakeStatus::Running);
    let (expected, found, misplaced, missing, unexpected) = match live {
        Some(p) => (p.expected, p.found, p.misplaced, p.missing, p.unexpected),
        None => (
            s.expected as u32,
            s.found as u32,
            s.misplaced as u32,
            s.missing as u32,
            s.unexpected as u32,
        ),
    };
    let results = match state
        .ingest
        .as_ref()
        .and_then(|i| i.stocktake_so_far(id))
        .filter(|_| s.status == StocktakeStatus::Running)
    {
        // While counting: the lines so far, as they would be stored now.
        Some(so_far) => {
            let lines = stocktake_api::lines(&so_far);
            let epcs: Vec<String> = lines.iter().map(|l| l.epc.clone()).collect();
            let ids: Vec<(String, i64)> =
                sqlx::query_as("select epc, id from assets where epc = any($1)")
                    .bind(&epcs)
                    .fetch_all(&mut *conn)
                    .await?;
            let ids: std::collections::HashMap<String, i64> = ids.into_iter().collect();
            lines
                .into_iter()
                .map(|l| ResultRow {
                    asset_id: ids.get(&l.epc).copied(),
                    epc: l.epc,
                    outcome: l.outcome,
                    expected_zone_id: l.expected_zone_id,
                    seen_zone_id: l.seen_zone_id,
                    resolution: None,
                    resolved_at: None,
                })
                .collect()
        }
        None => stocktakes::results(&mut conn, id, None).await?,
    };
    let categories = crate::db::catalogue::categories(&mut conn).await?;
    render(StocktakePage {
        c: v.chrome("stocktakes"),
        s,
        warehouse,
        zones,
        expected,
        found,
        misplaced,
        missing,
        unexpected,
        results,
        categories,
    })
}

/// Start, finish or cancel: the same steps as the API's.
async fn stocktake_action(
    State(state): State<AppState>,
    Path((id, action)): Path<(i64, String)>,
    Posted { viewer: v, .. }: Posted<Fields>,
) -> PageResult {
    v.require(KEEPERS)?;
    match action.as_str() {
        "start" => stocktake_api::start(&state, id).await?,
        "finish" => stocktake_api::finish(&state, id).await?,
        "cancel" => stocktake_api::cancel(&state, id).await?,
        _ => return Err(ApiError::NotFound("no such action".into()).into()),
    }
    Ok(Redirect::to(&format!("/keeper/stocktakes/{id}")).into_response())
}

/// A follow-up on one line of a finished stocktake: mark lost, relocate, register.
async fn resolve(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Posted { viewer: v, form }: Posted<Fields>,
) -> PageResult {
    v.require(KEEPERS)?;
    let action = match field(&form, "action") {
        "mark_lost" => FollowUp::MarkLost,
        "relocate" => FollowUp::Relocate,
        "register" => FollowUp::Register,
        _ => return Err(ApiError::Unprocessable("choose what to do".into()).into()),
    };
    let name = field(&form, "name");
    let value = field(&form, "value");
    let body = Resolve {
        epc: text(&form, "epc")?,
        action,
        name: match name.is_empty() {
            true => None,
            false => Some(text(&form, "name")?),
        },
        category_id: field(&form, "category").parse().ok(),
        original_value_fen: if value.is_empty() {
            None
        } else {
            Some(fen(value)?)
        },
    };
    stocktake_api::follow_up(&state, id, v.actor.id, &body).await?;
    Ok(Redirect::to(&format!("/keeper/stocktakes/{id}")).into_response())
}

#[derive(askama::Template)]
#[template(path = "readers.html")]
struct ReadersPage {
    c: Chrome,
    readers: Vec<(Reader, Option<Health>)>,
    gates: Vec<Gate>,
    zones: Vec<(i64, String)>,
}

impl ReadersPage {
    fn zone(&self, id: &i64) -> String {
        self.zones
            .iter()
            .find(|(z, _)| z == id)
            .map(|(_, n)| n.clone())
            .unwrap_or_else(|| id.to_string())
    }
    fn points(&self, r: &Reader) -> String {
        r.read_points
            .iter()
            .map(|p| format!("{}→{}", p.antenna, self.zone(&p.zone_id)))
            .collect::<Vec<_>>()
            .join(", ")
    }
    fn last(&self, h: &Health) -> String {
        h.last_read_at
            .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
            .unwrap_or_else(|| "–".into())
    }
    fn health(&self, h: &Option<Health>) -> String {
        format!(
            "h_{}",
            h.as_ref().map(|h| h.status.as_str()).unwrap_or("none")
        )
    }
    fn rate(&self, h: &Health) -> String {
        format!("{:.1}", h.reads_per_s)
    }
}

async fn reader_list(v: Viewer, State(state): State<AppState>) -> PageResult {
    v.require(&[Role::Admin])?;
    let mut conn = state.pool.acquire().await?;
    let list = readers::list(&mut conn).await?;
    let health = state
        .ingest
        .as_ref()
        .map(|i| i.health())
        .unwrap_or_default();
    let readers = list
        .into_iter()
        .map(|r| {
            let h = health.get(&r.id).cloned();
            (r, h)
        })
        .collect();
    let gates = readers::gates(&mut conn).await?;
    let (_, zones) = places(&mut conn).await?;
    render(ReadersPage {
        c: v.chrome("readers"),
        readers,
        gates,
        zones,
    })
}

/// `1=3, 2=4` or one `antenna=zone` per line: which zone each antenna reads.
fn read_points(text: &str) -> Result<Vec<ReadPoint>, ApiError> {
    text.split([',', '，', '\n', ';'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|pair| {
            let bad = || {
                ApiError::Unprocessable(format!(
                    "{pair:?}: write each antenna as ANTENNA=ZONE, e.g. 1=3"
                ))
            };
            let (a, z) = pair.split_once('=').ok_or_else(bad)?;
            Ok(ReadPoint {
                antenna: a.trim().parse().map_err(|_| bad())?,
                zone_id: z.trim().parse().map_err(|_| bad())?,
            })
        })
        .collect()
}

async fn add_reader(
    State(state): State<AppState>,
    Posted { viewer: v, form }: Posted<Fields>,
) -> PageResult {
    v.require(&[Role::Admin])?;
    let body = NewReader {
        name: text(&form, "name")?,
        address: text(&form, "address")?,
        enabled: true,
        read_points: read_points(field(&form, "read_points"))?,
    };
    reader_api::add_reader(&state, &body).await?;
    Ok(Redirect::to("/admin/readers").into_response())
}

async fn reader_action(
    State(state): State<AppState>,
    Path((id, action)): Path<(i64, String)>,
    Posted { viewer: v, .. }: Posted<Fields>,
) -> PageResult {
    v.require(&[Role::Admin])?;
    let enable = |enabled| ReaderChange {
        name: None,
        address: None,
        enabled: Some(enabled),
        read_points: None,
    };
    match action.as_str() {
        "enable" => drop(reader_api::change_reader(&state, id, &enable(true)).await?),
        "disable" => drop(reader_api::change_reader(&state, id, &enable(false)).await?),
        "delete" => reader_api::remove_reader(&state, id).await?,
        _ => return Err(ApiError::NotFound("no such action".into()).into()),
    }
    Ok(Redirect::to("/admin/readers").into_response())
}

async fn add_gate(
    State(state): State<AppState>,
    Posted { viewer: v, form }: Posted<Fields>,
) -> PageResult {
    v.require(&[Role::Admin])?;
    let zone = |name: &str| {
        field(&form, name)
            .parse::<i64>()
            .map_err(|_| ApiError::Unprocessable("choose both zones of the gate".into()))
    };
    let body = NewGate {
        name: text(&form, "name")?,
        inside_zone_id: zone("inside")?,
        outside_zone_id: zone("outside")?,
    };
    reader_api::add_gate(&state, &body).await?;
    Ok(Redirect::to("/admin/readers").into_response())
}
