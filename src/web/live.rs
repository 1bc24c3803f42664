//! The pages the reader pipeline feeds: the keeper's live gate view and stocktakes, and the
//! admin's readers and gates. Each page is complete when served; `static/live.js` then
//! follows the live stream (`/api/events/stream`) and updates it in place.

use axum::extract::{Query, State};

use super::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::{
    fen, field, invalid, note, optional_text, render, text, Chrome, Fields, PageError, PageResult,
    Posted, Refused, Viewer,
};
use crate::app::readers::{self, ReaderWithHealth};
use crate::app::stocktakes::{self, FollowUp, NewStocktake, Resolve};
use crate::app::walks::{NewWalkTest, WalkDirection};
use crate::app::{self, App, Op};
use crate::db::alerts::{Alert, AlertKind};
use crate::db::readers::{Gate, NewGate, NewReader, Passage, ReadPoint, Reader, ReaderChange};
use crate::db::stocktakes::{
    Filter as StocktakeFilter, Outcome, ResultRow, StocktakeRow, StocktakeStatus,
};
use crate::db::walks::WalkTest;
use crate::domain::bounds::LocalPath;
use crate::engine::survey::Survey;
use crate::ingest::Health;

pub fn router() -> Router<App> {
    Router::new()
        .route("/static/live.js", get(script))
        .route("/keeper/gate", get(gate_view))
        .route("/keeper/gate/passages.csv", get(passages_csv))
        .route("/keeper/alerts/{id}/acknowledge", post(acknowledge))
        .route("/keeper/alerts/{id}/confirm", post(confirm_passage))
        .route("/keeper/alerts/{id}/dismiss", post(dismiss_passage))
        .route("/keeper/gates/{id}/walk-test", post(start_walk_test))
        .route("/keeper/walk-tests/{id}/{action}", post(walk_test_action))
        .route(
            "/keeper/stocktakes",
            get(stocktake_list).post(create_stocktake),
        )
        .route("/keeper/stocktakes.csv", get(stocktakes_csv))
        .route("/keeper/stocktakes/{id}", get(stocktake_detail))
        .route("/keeper/stocktakes/{id}/lines.csv", get(stocktake_csv))
        .route("/keeper/stocktakes/{id}/resolve", post(resolve))
        .route("/keeper/stocktakes/{id}/count", post(count_by_hand))
        .route("/keeper/stocktakes/{id}/{action}", post(stocktake_action))
        .route("/admin/readers", get(reader_list).post(add_reader))
        .route("/admin/readers.csv", get(readers_csv))
        .route("/admin/readers/{id}/{action}", post(reader_action))
        .route("/admin/gates", post(add_gate))
}

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

#[derive(askama::Template)]
#[template(path = "gate.html")]
struct GatePage {
    c: Chrome,
    gates: Vec<Gate>,
    gate: Option<i64>,
    /// Where each list is: the address's paging fields, kept in every link of the page.
    at: GateQuery,
    passages: Vec<Passage>,
    /// The passages' cursors to the older and the newer page, when there are.
    older: Option<String>,
    newer: Option<String>,
    newest: bool,
    /// Uncertain passages waiting for a keeper's word, with each asset's name.
    uncertain: Vec<(Alert, String)>,
    uncertain_pager: super::Pager,
    alerts: Vec<Alert>,
    alerts_pager: super::Pager,
    /// The watched gate's walk tests.
    health: Option<app::walks::Health>,
    /// Whether the viewer may apply a walk test's threshold.
    may_apply: bool,
}

impl GatePage {
    /// The watched gate's threshold, or the engine's default.
    fn threshold(&self) -> String {
        let stored = self
            .gates
            .iter()
            .find(|g| Some(g.id) == self.gate)
            .and_then(|g| g.min_confidence);
        format!(
            "{:.2}",
            stored.unwrap_or(crate::engine::config::DEFAULT_MIN_CONFIDENCE)
        )
    }
    fn verdict_key(&self, t: &WalkTest) -> String {
        format!("verdict_{}", t.verdict.as_deref().unwrap_or("no_reads"))
    }
    fn survey<'a>(&self, t: &'a WalkTest) -> Option<&'a Survey> {
        t.survey.as_ref().map(|s| &s.0)
    }
    fn db(&self, v: &Option<f32>) -> String {
        v.map(|v| format!("{v:.0}")).unwrap_or_else(|| "–".into())
    }
    fn num(&self, v: &f32) -> String {
        format!("{v:.1}")
    }
    fn percent(&self, v: &f32) -> String {
        format!("{:.0} %", v * 100.0)
    }
    fn two(&self, v: &Option<f32>) -> String {
        v.map(|v| format!("{v:.2}")).unwrap_or_default()
    }
    fn appliable(&self, t: &WalkTest) -> bool {
        self.may_apply
            && t.applied_at.is_none()
            && !matches!(
                t.verdict.as_deref(),
                Some("no_reads" | "check_the_wiring") | None
            )
    }
    fn confidence(&self, a: &Alert) -> String {
        a.confidence.map(|c| format!("{c:.2}")).unwrap_or_default()
    }
    fn inward(&self, a: &Alert) -> bool {
        a.direction.as_deref() == Some("in")
    }
    /// The live feed, its alerts said in the page's language.
    fn stream(&self) -> String {
        let lang = self.c.lang.code();
        match self.gate {
            Some(g) => format!("/api/events/stream?gate={g}&lang={lang}"),
            None => format!("/api/events/stream?lang={lang}"),
        }
    }
    fn selected(&self, id: &i64) -> bool {
        self.gate == Some(*id)
    }
    /// The export of the passages at the gate watched (or at all gates).
    fn passages_csv(&self) -> String {
        let gate = self.gate.map(|g| g.to_string()).unwrap_or_default();
        super::with_query("/keeper/gate/passages.csv", &[("gate", &gate)])
    }
    /// This page as it is: the gate, and where each list is.
    fn here(&self) -> String {
        self.link(&[])
    }
    /// This page with some of its fields changed (an empty value leaves one out).
    fn link(&self, changed: &[(&str, &str)]) -> String {
        let gate = self.gate.map(|g| g.to_string()).unwrap_or_default();
        let mut fields: Vec<(&str, String)> = self.at.fields(&gate);
        for (name, value) in changed {
            match fields.iter_mut().find(|(n, _)| n == name) {
                Some(field) => field.1 = value.to_string(),
                None => fields.push((name, value.to_string())),
            }
        }
        let query: Vec<String> = fields
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(n, v)| format!("{n}={}", super::percent(v)))
            .collect();
        match query.is_empty() {
            true => "/keeper/gate".into(),
            false => format!("/keeper/gate?{}", query.join("&")),
        }
    }
    /// The passages older than this page's, when there are.
    fn older_href(&self) -> String {
        match &self.older {
            Some(key) => self.link(&[("passages_before", key), ("passages_after", "")]),
            None => String::new(),
        }
    }
    /// The passages newer than this page's, when this is not the newest page.
    fn newer_href(&self) -> String {
        match (&self.newer, self.newest) {
            (Some(key), false) => self.link(&[("passages_after", key), ("passages_before", "")]),
            _ => String::new(),
        }
    }
    /// The newest passages, when this page is not theirs.
    fn newest_href(&self) -> String {
        match self.newest {
            true => String::new(),
            false => self.link(&[("passages_before", ""), ("passages_after", "")]),
        }
    }
    fn kind(&self, a: &Alert) -> &'static str {
        match a.kind {
            AlertKind::ExitWithoutOrder => "exit_without_order",
            AlertKind::UnknownTag => "unknown_tag",
            AlertKind::EntryWithoutOrder => "entry_without_order",
            AlertKind::UncertainPassage => "uncertain_passage",
            AlertKind::BookingCollision => "booking_collision",
        }
    }
    fn time(&self, t: &DateTime<Utc>) -> String {
        self.c.time_s(t)
    }
}

/// The gate page's address: the gate watched, and where each of its lists is, each paged on
/// its own — the passages by keyset (before or after a passage's key: new passages arrive
/// at the top), the uncertain passages and the other open alerts by page number.
#[derive(Debug, Default, Deserialize)]
struct GateQuery {
    gate: Option<String>,
    #[serde(default)]
    passages_before: String,
    #[serde(default)]
    passages_after: String,
    #[serde(default)]
    uncertain_page: String,
    #[serde(default)]
    alerts_page: String,
}

impl GateQuery {
    /// The address's fields for the gate `gate`, the page of each list as asked.
    fn fields(&self, gate: &str) -> Vec<(&'static str, String)> {
        vec![
            ("gate", gate.to_owned()),
            ("passages_before", self.passages_before.clone()),
            ("passages_after", self.passages_after.clone()),
            ("uncertain_page", self.uncertain_page.clone()),
            ("alerts_page", self.alerts_page.clone()),
        ]
    }

    fn paging(&self) -> Result<readers::GatePaging, PageError> {
        use crate::db::readers::PassageCursor;
        let page = |text: &str| {
            Ok::<_, PageError>(app::Paging {
                page: Some(super::page_no(text)?),
                per_page: Some(GATE_PAGE),
                after: None,
            })
        };
        let passages = match (self.passages_before.trim(), self.passages_after.trim()) {
            ("", "") => PassageCursor::Newest,
            (key, "") => PassageCursor::Before(key.to_owned()),
            (_, key) => PassageCursor::After(key.to_owned()),
        };
        Ok(readers::GatePaging {
            passages,
            uncertain: page(&self.uncertain_page)?,
            alerts: page(&self.alerts_page)?,
        })
    }
}

/// Rows on a page of the gate page's alerts and of its uncertain passages.
const GATE_PAGE: i64 = 50;

/// A page of the passages at a gate (or all gates), newest first, of the uncertain passages
/// waiting for a word and of the other open alerts, each paged on its own.
async fn gate_view(v: Viewer, State(app): State<App>, Query(q): Query<GateQuery>) -> PageResult {
    let gate = super::filter_id("gate", q.gate.as_deref().unwrap_or_default())?;
    let view = readers::gate_view(&app, &v.actor, gate, q.paging()?).await?;
    // Each list's links keep the gate and where the other lists are.
    let shown = view.gate.map(|g| g.to_string()).unwrap_or_default();
    let fields = q.fields(&shown);
    let others = |own: &str| -> Vec<(&str, &str)> {
        fields
            .iter()
            .filter(|(n, _)| *n != own)
            .map(|(n, v)| (*n, v.as_str()))
            .collect()
    };
    let uncertain_pager =
        super::Pager::of("/keeper/gate", &others("uncertain_page"), &view.uncertain)
            .named("uncertain_page", "uncertain_passages");
    let alerts_pager = super::Pager::of("/keeper/gate", &others("alerts_page"), &view.alerts)
        .named("alerts_page", "open_alerts");
    render(GatePage {
        c: v.chrome("gate"),
        gates: view.gates,
        gate: view.gate,
        at: q,
        passages: view.passages.items,
        older: view.passages.older,
        newer: view.passages.newer,
        newest: view.passages.newest,
        uncertain: view.uncertain.items,
        uncertain_pager,
        alerts: view.alerts.items,
        alerts_pager,
        health: view.health,
        may_apply: app::policy::permits(&v.actor, app::Op::ApplyWalkTest),
    })
}

/// Every passage at the gate the page watches (`gate`: as the page reads it; none: all
/// gates), newest first, as CSV.
async fn passages_csv(
    v: Viewer,
    State(app): State<App>,
    Query(q): Query<GateQuery>,
    Query(style): Query<super::reports::CsvQuery>,
) -> Result<Response, PageError> {
    let gate = super::filter_id("gate", q.gate.as_deref().unwrap_or_default())?;
    let rows = readers::passage_export(&app, &v.actor, gate).await?;
    let columns = super::reports::PASSAGE_COLUMNS;
    Ok(style.download(&v, "passages", columns, rows, super::reports::passage_cells))
}

/// Start a walk test on the watched gate, in the direction the keeper chose.
async fn start_walk_test(
    State(app): State<App>,
    Path(id): Path<i64>,
    Posted { viewer: v, form }: Posted<Fields>,
) -> PageResult {
    let direction = match field(&form, "direction") {
        "in" => WalkDirection::In,
        "out" => WalkDirection::Out,
        _ => return Err(invalid("choose the direction you will carry the tags")),
    };
    app::walks::start(&app, &v.actor, id, NewWalkTest { direction }).await?;
    Ok(back_to_gate(&form, "walk_started"))
}

/// Finish a walk test, cancel it (asked first: its reads are let go for good), or apply its
/// threshold (asked first too, naming the gate and its threshold now and after).
async fn walk_test_action(
    State(app): State<App>,
    Path((id, action)): Path<(i64, String)>,
    Posted { viewer: v, form }: Posted<Fields>,
) -> PageResult {
    if action == "cancel" && !super::confirmed(&form) {
        return super::confirm(
            &v,
            &form,
            super::Ask {
                op: Op::CancelWalkTest,
                title: &format!("{} {id}?", v.lang.t("cancel_walk")),
                message: v.lang.t("cancel_walk_confirm").to_owned(),
                action: format!("/keeper/walk-tests/{id}/cancel"),
                reason_asked: false,
                back: gate_page(&form).to_owned(),
            },
        );
    }
    if action == "apply" && !super::confirmed(&form) {
        let change = app::walks::apply_plan(&app, &v.actor, id).await?;
        let message = v
            .lang
            .t("apply_threshold_text")
            .replace("{gate}", &change.gate.name)
            .replace("{from}", &format!("{:.2}", change.from))
            .replace("{to}", &format!("{:.2}", change.to))
            .replace("{test}", &id.to_string());
        return super::confirm(
            &v,
            &form,
            super::Ask {
                op: Op::ApplyWalkTest,
                title: &v
                    .lang
                    .t("apply_threshold_title")
                    .replace("{gate}", &change.gate.name),
                message,
                action: format!("/keeper/walk-tests/{id}/apply"),
                reason_asked: false,
                back: gate_page(&form).to_owned(),
            },
        );
    }
    let done = match action.as_str() {
        "finish" => {
            app::walks::finish(&app, &v.actor, id).await?;
            "walk_finished"
        }
        "cancel" => {
            app::walks::cancel(&app, &v.actor, id).await?;
            "walk_cancelled"
        }
        "apply" => {
            app::walks::apply(&app, &v.actor, id).await?;
            "threshold_applied"
        }
        _ => return Err(invalid("a walk test is finished, cancelled or applied")),
    };
    Ok(back_to_gate(&form, done))
}

/// The gate page a form came from (its `back`), else the gate page.
fn gate_page(form: &Fields) -> &str {
    match field(form, "back") {
        back if back.starts_with("/keeper/gate") && LocalPath::parse(back).is_ok() => back,
        _ => "/keeper/gate",
    }
}

/// Back to the gate page the form came from, told what the action did (`done`).
fn back_to_gate(form: &Fields, done: &'static str) -> Response {
    Redirect::to(&super::done(gate_page(form), done)).into_response()
}

/// One tap: the passage happened, act on it as the gate would have.
async fn confirm_passage(
    State(app): State<App>,
    Path(id): Path<i64>,
    Posted { viewer: v, form }: Posted<Fields>,
) -> PageResult {
    readers::confirm_passage(&app, &v.actor, id, &note(&form, "note")?).await?;
    Ok(back_to_gate(&form, "passage_confirmed"))
}

/// One tap: it did not pass.
async fn dismiss_passage(
    State(app): State<App>,
    Path(id): Path<i64>,
    Posted { viewer: v, form }: Posted<Fields>,
) -> PageResult {
    readers::dismiss_passage(&app, &v.actor, id, &note(&form, "note")?).await?;
    Ok(back_to_gate(&form, "passage_dismissed"))
}

async fn acknowledge(
    State(app): State<App>,
    Path(id): Path<i64>,
    Posted { viewer: v, form }: Posted<Fields>,
) -> PageResult {
    readers::acknowledge(&app, &v.actor, id, &note(&form, "note")?).await?;
    Ok(back_to_gate(&form, "acknowledged"))
}

#[derive(askama::Template)]
#[template(path = "stocktakes.html")]
struct StocktakesPage {
    c: Chrome,
    stocktakes: Vec<StocktakeRow>,
    pager: super::Pager,
    warehouses: Vec<(i64, String)>,
    zones: Vec<(i64, String)>,
    /// The new stocktake's form as last posted: its warehouse and zones.
    chosen: NewStocktake,
    /// Why it was refused, in the page's language, said beside `error_at` (`warehouse` or
    /// `zones`).
    error: String,
    error_at: &'static str,
    /// The list's filter as chosen: a status, a warehouse's id, a zone's (each empty: any).
    filter_status: String,
    filter_warehouse: String,
    filter_zone: String,
    /// The export of the list as filtered.
    csv: String,
}

impl StocktakesPage {
    /// The statuses to choose from: (value, label).
    fn statuses(&self) -> Vec<(&'static str, &'static str)> {
        StocktakeStatus::ALL
            .into_iter()
            .map(|s| (s.as_str(), status_key(s)))
            .collect()
    }
    fn filter_status_is(&self, status: &str) -> bool {
        self.filter_status == status
    }
    fn filter_warehouse_is(&self, id: &i64) -> bool {
        self.filter_warehouse == id.to_string()
    }
    fn filter_zone_is(&self, id: &i64) -> bool {
        self.filter_zone == id.to_string()
    }
    fn warehouse_chosen(&self, id: &i64) -> bool {
        self.chosen.warehouse_id == *id
    }
    fn zone_chosen(&self, id: &i64) -> bool {
        self.chosen.zone_ids.contains(id)
    }
    fn error_at(&self, at: &str) -> bool {
        !self.error.is_empty() && self.error_at == at
    }
}

/// The stocktakes list's query: a status (an unknown one is no filter), a warehouse, a zone
/// counted (each empty: any), and the page.
#[derive(Debug, Default, Deserialize)]
struct StocktakesQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    warehouse: String,
    #[serde(default)]
    zone: String,
    #[serde(default)]
    page: String,
}

impl StocktakesQuery {
    /// The filter asked for: a warehouse or zone that is no number is a 400.
    fn filter(&self) -> Result<StocktakeFilter, PageError> {
        Ok(StocktakeFilter {
            status: StocktakeStatus::named(self.status.trim()),
            warehouse_id: super::filter_id("warehouse", &self.warehouse)?,
            zone_id: super::filter_id("zone", &self.zone)?,
        })
    }
}

/// The stocktakes, newest first, a page at a time, with the list's filter; the form to
/// start one above them.
async fn stocktake_list(
    v: Viewer,
    State(app): State<App>,
    Query(q): Query<StocktakesQuery>,
) -> PageResult {
    let paging = super::list_paging(&q.page)?;
    let filter = q.filter()?;
    stocktakes_listed(&app, &v, filter, paging, NewStocktake::default(), None).await
}

/// Every stocktake the list holds with its filter, newest first, as CSV.
async fn stocktakes_csv(
    v: Viewer,
    State(app): State<App>,
    Query(q): Query<StocktakesQuery>,
    Query(style): Query<super::reports::CsvQuery>,
) -> Result<Response, PageError> {
    let rows = stocktakes::list_export(&app, &v.actor, q.filter()?).await?;
    let columns = super::reports::STOCKTAKE_LIST_COLUMNS;
    let cells = super::reports::stocktake_list_cells;
    Ok(style.download(&v, "stocktakes", columns, rows, cells))
}

/// The stocktakes page unfiltered (after a refused new stocktake).
async fn stocktakes_page(
    app: &App,
    v: &Viewer,
    paging: app::Paging,
    chosen: NewStocktake,
    refused: Option<(String, &'static str)>,
) -> PageResult {
    let filter = StocktakeFilter::default();
    stocktakes_listed(app, v, filter, paging, chosen, refused).await
}

async fn stocktakes_listed(
    app: &App,
    v: &Viewer,
    filter: StocktakeFilter,
    paging: app::Paging,
    chosen: NewStocktake,
    refused: Option<(String, &'static str)>,
) -> PageResult {
    let desk = stocktakes::desk(app, &v.actor, filter, paging).await?;
    let (error, error_at) = refused.unwrap_or_default();
    let id = |id: Option<i64>| id.map(|i| i.to_string()).unwrap_or_default();
    let status = filter.status.map_or("", StocktakeStatus::as_str);
    let (warehouse, zone) = (id(filter.warehouse_id), id(filter.zone_id));
    let fields = [
        ("status", status),
        ("warehouse", warehouse.as_str()),
        ("zone", zone.as_str()),
    ];
    render(StocktakesPage {
        c: v.chrome("stocktakes"),
        pager: super::Pager::of("/keeper/stocktakes", &fields, &desk.stocktakes),
        csv: super::with_query("/keeper/stocktakes.csv", &fields),
        stocktakes: desk.stocktakes.items,
        warehouses: desk.warehouses,
        zones: desk.zones,
        chosen,
        error,
        error_at,
        filter_status: status.to_owned(),
        filter_warehouse: warehouse,
        filter_zone: zone,
    })
}

/// Create a stocktake of a warehouse, or of some of its zones (check boxes `zone`). A
/// refusal shows the form again with what was chosen and the reason beside its field.
async fn create_stocktake(
    State(app): State<App>,
    Posted { viewer: v, form }: Posted<Fields>,
) -> PageResult {
    let zone_ids: Vec<i64> = form
        .iter()
        .filter(|(k, _)| k == "zone")
        .filter_map(|(_, v)| v.parse().ok())
        .collect();
    let Ok(warehouse_id) = field(&form, "warehouse").parse::<i64>() else {
        let chosen = NewStocktake {
            warehouse_id: 0,
            zone_ids,
        };
        let error = v.lang.say("choose a warehouse");
        let mut page = stocktakes_page(
            &app,
            &v,
            super::first_page(),
            chosen,
            Some((error, "warehouse")),
        )
        .await?;
        *page.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(page);
    };
    let new = NewStocktake {
        warehouse_id,
        zone_ids,
    };
    match stocktakes::create(&app, &v.actor, new.clone()).await {
        Ok(row) => Ok(Redirect::to(&super::done(
            &format!("/keeper/stocktakes/{}", row.id),
            "created",
        ))
        .into_response()),
        Err(e @ (app::Error::Invalid(_) | app::Error::Conflict(_) | app::Error::NotFound(_))) => {
            let status = super::status(&e);
            let message = e.to_string();
            let at = if message.starts_with("zone ") || new.zone_ids.is_empty() {
                "zones"
            } else {
                "warehouse"
            };
            let refused = Some((v.lang.say(&message), at));
            let mut page = stocktakes_page(&app, &v, super::first_page(), new, refused).await?;
            *page.status_mut() = status;
            Ok(page)
        }
        Err(e) => Err(e.into()),
    }
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
    /// Seen between two zones the readers cannot tell apart: for the keeper to check.
    between: u32,
    /// Each outcome's lines, a page at a time, each list paged on its own.
    lists: Vec<Lines>,
    /// Where each list is: the page of each, kept in the forms and links of the page.
    at: LinesQuery,
    categories: Vec<(i64, String)>,
    /// The lines' assets: (name, category) by id.
    assets: std::collections::HashMap<i64, (String, String)>,
    /// The readers counting its zones, and the handhelds, with their state now.
    readers: Vec<ReaderWithHealth>,
    /// The form last refused (`count`, or a line's follow-up), if any: why, and what was
    /// typed.
    refused: Refused,
}

impl StocktakePage {
    /// The handhelds' names, for counting with one when the fixed readers cannot.
    fn handhelds(&self) -> Vec<&str> {
        self.readers
            .iter()
            .filter(|r| r.reader.enabled && r.reader.address.trim() == crate::db::readers::HANDHELD)
            .map(|r| r.reader.name.as_str())
            .collect()
    }

    /// The name of a line's follow-up form (`relocate`, `register`).
    fn follow_up(&self, action: &str, r: &ResultRow) -> String {
        follow_up_form(action, &r.epc)
    }

    /// The asset's name and category, beside its EPC.
    fn asset(&self, id: &Option<i64>) -> (String, String) {
        id.and_then(|id| self.assets.get(&id))
            .cloned()
            .unwrap_or_default()
    }
    /// A reader's state, as the readers page names it.
    fn reader_state(&self, r: &ReaderWithHealth) -> String {
        match (&r.health, r.reader.enabled) {
            (_, false) => "disabled".into(),
            // A handheld uploads when it has counted; there is no connection to be running.
            _ if r.reader.address.trim() == crate::db::readers::HANDHELD => "h_handheld".into(),
            (Some(h), _) => format!("h_{}", h.status),
            (None, _) => "h_none".into(),
        }
    }
    fn last_read(&self, r: &ReaderWithHealth) -> String {
        r.health
            .as_ref()
            .and_then(|h| h.last_read_at)
            .map(|t| self.c.time_s(&t))
            .unwrap_or_default()
    }
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
    /// Expected assets seen: in their zone, in another, or between two.
    fn counted(&self) -> u32 {
        self.found + self.misplaced + self.between
    }
    /// Missing lines shown on an asset that nobody has acted on yet: what can be marked lost.
    fn unresolved_missing(&self) -> usize {
        self.lists
            .iter()
            .flat_map(|l| &l.rows)
            .filter(|r| {
                r.outcome == Outcome::Missing && r.resolution.is_none() && r.asset_id.is_some()
            })
            .count()
    }
    /// The page of each list as this page shows it, for the forms to post and come back to.
    fn kept(&self) -> Vec<(&'static str, String)> {
        self.at.kept()
    }
    fn zone(&self, id: &Option<i64>) -> String {
        id.and_then(|id| self.zones.iter().find(|(z, _)| *z == id))
            .map(|(_, n)| self.c.place(n))
            .unwrap_or_default()
    }
    fn place_of(&self, id: &i64) -> String {
        self.zone(&Some(*id))
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
}

/// One outcome's lines on a stocktake's page: a page of them, how many there are in all,
/// and its pager (`missing_page`, …).
struct Lines {
    /// The outcome's label (`oc_missing`), also its table's id.
    key: &'static str,
    rows: Vec<ResultRow>,
    total: i64,
    pager: super::Pager,
}

/// The outcomes a stocktake's page lists, in its order, each with its page's parameter.
const LISTS: [(Outcome, &str); 5] = [
    (Outcome::Missing, "missing_page"),
    (Outcome::Between, "between_page"),
    (Outcome::Misplaced, "misplaced_page"),
    (Outcome::Unexpected, "unexpected_page"),
    (Outcome::Found, "found_page"),
];

/// A stocktake page's address: the page of each outcome's lines, each paged on its own.
#[derive(Debug, Default, Deserialize)]
struct LinesQuery {
    #[serde(default)]
    missing_page: String,
    #[serde(default)]
    between_page: String,
    #[serde(default)]
    misplaced_page: String,
    #[serde(default)]
    unexpected_page: String,
    #[serde(default)]
    found_page: String,
}

impl LinesQuery {
    /// The pages a posted form came from (its hidden `…_page` fields).
    fn posted(form: &Fields) -> LinesQuery {
        let page = |name: &str| field(form, name).to_owned();
        LinesQuery {
            missing_page: page("missing_page"),
            between_page: page("between_page"),
            misplaced_page: page("misplaced_page"),
            unexpected_page: page("unexpected_page"),
            found_page: page("found_page"),
        }
    }

    fn page(&self, param: &str) -> &str {
        match param {
            "missing_page" => &self.missing_page,
            "between_page" => &self.between_page,
            "misplaced_page" => &self.misplaced_page,
            "unexpected_page" => &self.unexpected_page,
            _ => &self.found_page,
        }
    }

    /// Each list's page as asked, the first ones left out.
    fn kept(&self) -> Vec<(&'static str, String)> {
        LISTS
            .iter()
            .map(|(_, param)| (*param, self.page(param).trim()))
            .filter(|(_, page)| !matches!(*page, "" | "1"))
            .map(|(param, page)| (param, page.to_owned()))
            .collect()
    }

    /// What each list asks of the stocktake's lines.
    fn paging(&self) -> Result<Vec<(Outcome, app::Paging)>, PageError> {
        LISTS
            .iter()
            .map(|(outcome, param)| Ok((*outcome, super::list_paging(self.page(param))?)))
            .collect()
    }

    /// Stocktake `id`'s page with each list where it is.
    fn link(&self, id: i64) -> String {
        let query: Vec<String> = self
            .kept()
            .iter()
            .map(|(param, page)| format!("{param}={}", super::percent(page)))
            .collect();
        match query.is_empty() {
            true => format!("/keeper/stocktakes/{id}"),
            false => format!("/keeper/stocktakes/{id}?{}", query.join("&")),
        }
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
        Outcome::Between => "oc_between",
    }
}

impl StocktakesPage {
    fn status(&self, s: &StocktakeRow) -> &'static str {
        status_key(s.status)
    }
}

/// A stocktake: its count, and each outcome's lines a page at a time (`missing_page`, …).
async fn stocktake_detail(
    v: Viewer,
    State(app): State<App>,
    Path(id): Path<i64>,
    Query(at): Query<LinesQuery>,
) -> PageResult {
    stocktake_page(&app, &v, id, at, Refused::default()).await
}

/// A stocktake's result lines as CSV, for the auditors: each with its asset, category and
/// zones by name.
async fn stocktake_csv(
    v: Viewer,
    State(app): State<App>,
    Path(id): Path<i64>,
    Query(style): Query<super::reports::CsvQuery>,
) -> Result<axum::response::Response, super::PageError> {
    let rows = stocktakes::export(&app, &v.actor, id).await?;
    let name = format!("stocktake-{id}");
    let columns = super::reports::STOCKTAKE_COLUMNS;
    Ok(style.download(&v, &name, columns, rows, super::reports::stocktake_cells))
}

async fn stocktake_page(
    app: &App,
    v: &Viewer,
    id: i64,
    at: LinesQuery,
    refused: Refused,
) -> PageResult {
    let sheet = stocktakes::sheet(app, &v.actor, id, &at.paging()?).await?;
    let p = sheet.progress;
    let here = format!("/keeper/stocktakes/{id}");
    let kept = at.kept();
    let lists = sheet
        .results
        .into_iter()
        .zip(LISTS)
        .map(|((outcome, page), (_, param))| {
            // Each list's links keep where the other lists are.
            let others: Vec<(&str, &str)> = kept
                .iter()
                .filter(|(p, _)| *p != param)
                .map(|(p, v)| (*p, v.as_str()))
                .collect();
            let key = outcome_key(outcome);
            Lines {
                key,
                pager: super::Pager::of(&here, &others, &page).named(param, key),
                total: page.total,
                rows: page.items,
            }
        })
        .collect();
    render(StocktakePage {
        c: v.chrome("stocktakes"),
        s: sheet.stocktake,
        warehouse: sheet.warehouse,
        zones: sheet.zones,
        expected: p.expected,
        found: p.found,
        misplaced: p.misplaced,
        missing: p.missing,
        unexpected: p.unexpected,
        between: p.between,
        lists,
        at,
        categories: sheet.categories,
        assets: sheet.assets,
        readers: sheet.readers,
        refused,
    })
}

/// Reads counted without the fixed readers (offline, or none over the shelves): a handheld's
/// file (its CSV, `epc,antenna,rssi_dbm,at`, as the API takes it), or EPCs typed or
/// scanned into the page, one per line, as reads of the chosen handheld now. A refusal
/// shows the stocktake again with the reason and what was typed.
async fn count_by_hand(Path(id): Path<i64>, upload: super::Upload) -> PageResult {
    let (app, v) = (&upload.app, &upload.viewer);
    let at = LinesQuery::posted(&upload.fields);
    let outcome = hand_count(&upload, id).await;
    let outcome = outcome.map(|()| super::done(&at.link(id), "counted"));
    super::after_form(v, "count", upload.fields.clone(), outcome, |refused| {
        stocktake_page(app, v, id, at, refused)
    })
    .await
}

async fn hand_count(upload: &super::Upload, id: i64) -> Result<(), PageError> {
    let typed = upload.text("epcs").unwrap_or_default();
    let reads = match upload.file.as_ref().filter(|f| !f.bytes.is_empty()) {
        // Both at once: which did the keeper mean? Counting one and dropping the other
        // would lose what they typed without a word.
        Some(_) if !typed.trim().is_empty() => {
            return Err(app::Error::Invalid(
                "send either the handheld's file or the typed EPCs, not both".into(),
            )
            .into())
        }
        Some(file) => readers::parse_csv(&file.bytes)?,
        // Typed or scanned at a shelf the keeper names: no handheld needed.
        None => match super::filter_id("zone", upload.text("zone").unwrap_or_default())? {
            Some(zone) => {
                stocktakes::count_typed(&upload.app, &upload.viewer.actor, id, zone, typed).await?;
                return Ok(());
            }
            None => readers::parse_list(typed),
        },
    };
    let reader = upload.text("reader").unwrap_or_default();
    stocktakes::count_by_hand(&upload.app, &upload.viewer.actor, id, reader, reads).await?;
    Ok(())
}

/// Start, finish or cancel: the same operations as the API's. Finishing with expected
/// assets not counted yet asks first; marking the missing lost (ticked, with one reason)
/// asks first too.
async fn stocktake_action(
    State(app): State<App>,
    Path((id, action)): Path<(i64, String)>,
    Posted { viewer: v, form }: Posted<Fields>,
) -> PageResult {
    let here = LinesQuery::posted(&form).link(id);
    let done = match action.as_str() {
        "start" => {
            stocktakes::start(&app, &v.actor, id).await?;
            "saved"
        }
        "finish" => {
            if !super::confirmed(&form) {
                let p = stocktakes::sheet(&app, &v.actor, id, &[]).await?.progress;
                if p.missing > 0 {
                    let message = v
                        .lang
                        .t("finish_uncounted_text")
                        .replace("{n}", &p.missing.to_string())
                        .replace("{total}", &p.expected.to_string());
                    return super::confirm(
                        &v,
                        &form,
                        super::Ask {
                            op: app::Op::FinishStocktake,
                            title: &format!("{} {id}?", v.lang.t("finish_stocktake")),
                            message,
                            action: format!("/keeper/stocktakes/{id}/finish"),
                            reason_asked: false,
                            back: here,
                        },
                    );
                }
            }
            stocktakes::finish(&app, &v.actor, id).await?;
            "finished"
        }
        "cancel" => {
            if !super::confirmed(&form) {
                return super::confirm(
                    &v,
                    &form,
                    super::Ask {
                        op: app::Op::CancelStocktake,
                        title: &format!("{} {id}?", v.lang.t("cancel_stocktake")),
                        message: v.lang.t("cancel_stocktake_text").to_owned(),
                        action: format!("/keeper/stocktakes/{id}/cancel"),
                        reason_asked: false,
                        back: here,
                    },
                );
            }
            stocktakes::cancel(&app, &v.actor, id).await?;
            "cancelled"
        }
        "mark-lost" => {
            let epcs: Vec<_> = form
                .iter()
                .filter(|(k, _)| k == "epc")
                .map(|(_, e)| crate::domain::bounds::Text::parse(e.as_str()))
                .collect::<Result<_, _>>()
                .map_err(app::Error::from)?;
            if epcs.is_empty() {
                return Err(invalid("choose at least one asset"));
            }
            if !super::confirmed(&form) || field(&form, "reason").is_empty() {
                return super::confirm(
                    &v,
                    &form,
                    super::Ask {
                        op: app::Op::Resolve,
                        title: v.lang.t("mark_missing_lost"),
                        message: format!("{} ({})", v.lang.t("mark_missing_lost_text"), epcs.len()),
                        action: format!("/keeper/stocktakes/{id}/mark-lost"),
                        reason_asked: true,
                        back: here,
                    },
                );
            }
            let input = stocktakes::MarkLost {
                epcs,
                reason: note(&form, "reason")?,
            };
            stocktakes::mark_lost(&app, &v.actor, id, input).await?;
            "marked_lost"
        }
        _ => return Err(app::Error::NotFound("no such action".into()).into()),
    };
    Ok(Redirect::to(&super::done(&here, done)).into_response())
}

/// A follow-up on one line of a finished stocktake: mark lost, relocate, register. A
/// refusal shows the stocktake again with the reason and what was typed on that line.
async fn resolve(
    State(app): State<App>,
    Path(id): Path<i64>,
    Posted { viewer: v, form }: Posted<Fields>,
) -> PageResult {
    let at = LinesQuery::posted(&form);
    let outcome = follow_up(&app, &v, id, &form).await;
    let outcome = outcome.map(|()| super::done(&at.link(id), "saved"));
    let which = follow_up_form(field(&form, "action"), field(&form, "epc"));
    super::after_form(&v, which, form, outcome, |refused| {
        stocktake_page(&app, &v, id, at, refused)
    })
    .await
}

/// The name of a line's follow-up form on the stocktake's page: its action and EPC.
fn follow_up_form(action: &str, epc: &str) -> String {
    format!("{action}-{epc}")
}

async fn follow_up(app: &App, v: &Viewer, id: i64, form: &Fields) -> Result<(), PageError> {
    let action = match field(form, "action") {
        "mark_lost" => FollowUp::MarkLost,
        "relocate" => FollowUp::Relocate,
        "register" => FollowUp::Register,
        _ => return Err(invalid("choose what to do")),
    };
    let value = field(form, "value");
    let body = Resolve {
        epc: text(form, "epc")?,
        action,
        name: optional_text(form, "name")?,
        category_id: super::form_id(form, "category")?,
        original_value_fen: if value.is_empty() {
            None
        } else {
            Some(fen(value)?)
        },
    };
    stocktakes::resolve(app, &v.actor, id, body).await?;
    Ok(())
}

#[derive(askama::Template)]
#[template(path = "readers.html")]
struct ReadersPage {
    c: Chrome,
    readers: Vec<(Reader, Option<Health>, Option<String>)>,
    gates: Vec<Gate>,
    zones: Vec<(i64, String)>,
    /// The form last refused (`reader` or `gate`), if any: why, and what was typed.
    refused: Refused,
}

impl ReadersPage {
    fn zone(&self, id: &i64) -> String {
        self.zones
            .iter()
            .find(|(z, _)| z == id)
            .map(|(_, n)| self.c.place(n))
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
            .map(|t| self.c.time_s(&t))
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

/// The site's readers and their health, as CSV.
async fn readers_csv(
    v: Viewer,
    State(app): State<App>,
    Query(style): Query<super::reports::CsvQuery>,
) -> Result<axum::response::Response, PageError> {
    let rows = readers::export(&app, &v.actor).await?;
    let columns = super::reports::READER_COLUMNS;
    Ok(style.download(&v, "readers", columns, rows, super::reports::reader_cells))
}

async fn reader_list(v: Viewer, State(app): State<App>) -> PageResult {
    readers_page(&app, &v, Refused::default()).await
}

async fn readers_page(app: &App, v: &Viewer, refused: Refused) -> PageResult {
    let desk = readers::desk(app, &v.actor).await?;
    render(ReadersPage {
        c: v.chrome("readers"),
        readers: desk
            .readers
            .into_iter()
            .map(
                |ReaderWithHealth {
                     reader,
                     health,
                     owner,
                 }| (reader, health, owner),
            )
            .collect(),
        gates: desk.gates,
        zones: desk.zones,
        refused,
    })
}

/// A readers page form's outcome: back to the page, told it was created; or, refused, the
/// page again with the reason beside the form `which` and what was typed in it.
async fn readers_outcome(
    app: &App,
    v: &Viewer,
    which: &'static str,
    form: Fields,
    outcome: Result<(), PageError>,
) -> PageResult {
    let outcome = outcome.map(|()| super::done("/admin/readers", "created"));
    super::after_form(v, which, form, outcome, |refused| {
        readers_page(app, v, refused)
    })
    .await
}

/// `1=3, 2=4` or one `antenna=zone` per line: which zone each antenna reads.
fn read_points(text: &str) -> Result<Vec<ReadPoint>, app::Error> {
    text.split([',', '，', '\n', ';'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|pair| {
            let bad = || {
                app::Error::Invalid(format!(
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
    State(app): State<App>,
    Posted { viewer: v, form }: Posted<Fields>,
) -> PageResult {
    let outcome = new_reader(&app, &v, &form).await;
    readers_outcome(&app, &v, "reader", form, outcome).await
}

async fn new_reader(app: &App, v: &Viewer, form: &Fields) -> Result<(), PageError> {
    let new = NewReader {
        name: text(form, "name")?,
        address: text(form, "address")?,
        enabled: true,
        read_points: read_points(field(form, "read_points"))?,
    };
    readers::create(app, &v.actor, new).await?;
    Ok(())
}

async fn reader_action(
    State(app): State<App>,
    Path((id, action)): Path<(i64, String)>,
    Posted { viewer: v, form }: Posted<Fields>,
) -> PageResult {
    if action == "delete" && !super::confirmed(&form) {
        return super::confirm(
            &v,
            &form,
            super::Ask {
                op: Op::DeleteReader,
                title: &format!("{} {id}?", v.lang.t("delete_reader")),
                message: v.lang.t("delete_reader_text").to_owned(),
                action: format!("/admin/readers/{id}/delete"),
                reason_asked: false,
                back: "/admin/readers".into(),
            },
        );
    }
    let enable = |enabled| ReaderChange {
        name: None,
        address: None,
        enabled: Some(enabled),
        read_points: None,
    };
    match action.as_str() {
        "enable" => drop(readers::update(&app, &v.actor, id, enable(true)).await?),
        "disable" => drop(readers::update(&app, &v.actor, id, enable(false)).await?),
        "delete" => readers::delete(&app, &v.actor, id).await?,
        _ => return Err(app::Error::NotFound("no such action".into()).into()),
    }
    let said = if action == "delete" {
        "deleted"
    } else {
        "saved"
    };
    Ok(Redirect::to(&super::done("/admin/readers", said)).into_response())
}

async fn add_gate(
    State(app): State<App>,
    Posted { viewer: v, form }: Posted<Fields>,
) -> PageResult {
    let outcome = new_gate(&app, &v, &form).await;
    readers_outcome(&app, &v, "gate", form, outcome).await
}

async fn new_gate(app: &App, v: &Viewer, form: &Fields) -> Result<(), PageError> {
    let zone = |name: &str| {
        field(form, name)
            .parse::<i64>()
            .map_err(|_| invalid("choose both zones of the gate"))
    };
    let new = NewGate {
        name: text(form, "name")?,
        inside_zone_id: zone("inside")?,
        outside_zone_id: zone("outside")?,
    };
    readers::create_gate(app, &v.actor, new).await?;
    Ok(())
}
