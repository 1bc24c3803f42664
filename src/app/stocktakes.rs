//! Stocktakes (盘点): create (a warehouse, or some of its zones), start (the register's
//! expectation is taken then), live progress, finish (the count is stored), and the
//! follow-ups: mark missing as lost, relocate misplaced, register unknown.

use depot_readers::Epc;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{App, Error, Op, Page, Paging, Result, Rows};
use crate::auth::Actor;
use crate::db::assets::{self, NewAsset};
use crate::db::events::{self, Context};
use crate::db::stocktakes::{self, NewResult, Outcome, ResultRow, StocktakeRow, StocktakeStatus};
use crate::db::{self, catalogue, places};
use crate::domain::bounds::{Fen, Known as _, Note, Text};
use crate::domain::lifecycle::AssetAction;
use crate::engine::{self, Progress, StocktakeResult, ZoneId};

#[derive(Debug, Serialize, ToSchema)]
pub struct LiveProgress {
    pub expected: u32,
    pub found: u32,
    pub misplaced: u32,
    pub missing: u32,
    pub unexpected: u32,
    /// Between two zones the readers cannot tell apart: to check.
    pub between: u32,
}

impl From<Progress> for LiveProgress {
    fn from(p: Progress) -> Self {
        LiveProgress {
            expected: p.expected,
            found: p.found,
            misplaced: p.misplaced,
            missing: p.missing,
            unexpected: p.unexpected,
            between: p.between,
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

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewStocktake {
    pub warehouse_id: i64,
    /// Some zones of the warehouse; empty or omitted: all of them.
    #[serde(default)]
    pub zone_ids: Vec<i64>,
}

/// The stocktakes `filter` picks (a status, a warehouse, a zone counted), newest first, a
/// page at a time.
pub async fn list(
    app: &App,
    actor: &Actor,
    filter: stocktakes::Filter,
    paging: Paging,
) -> Result<Page<StocktakeRow>> {
    let window = paging.window();
    let found = app
        .read(actor, Op::ListStocktakes, async |c| {
            stocktakes::list(c, filter, window).await
        })
        .await?;
    Ok(Page::new(window, found))
}

pub async fn create(app: &App, actor: &Actor, new: NewStocktake) -> Result<StocktakeRow> {
    app.change(actor, Op::CreateStocktake, async |tx| {
        stocktakes::create(tx, new.warehouse_id, &new.zone_ids, actor.id).await
    })
    .await
}

/// A running stocktake's count as the database holds it: what it expected when it started
/// and the latest sighting of each tag, by whichever instance's readers or uploads saw it.
/// Any instance counts it the same.
async fn counted(
    conn: &mut sqlx::PgConnection,
    row: &StocktakeRow,
) -> db::Result<engine::Stocktake> {
    let expected: Vec<(Epc, ZoneId)> = stocktakes::kept_expected(conn, row.id)
        .await?
        .iter()
        .filter_map(|(epc, zone)| Some((Epc::from_hex(epc).ok()?, ZoneId(*zone as u32))))
        .collect();
    let mut count =
        engine::Stocktake::new(expected, row.zone_ids.iter().map(|z| ZoneId(*z as u32)));
    for s in stocktakes::sightings(conn, row.id).await? {
        let Ok(epc) = Epc::from_hex(&s.epc) else {
            continue;
        };
        let zone = ZoneId(s.zone_id as u32);
        match s.other_zone_id {
            Some(other) => count.observe_between(epc, zone, ZoneId(other as u32)),
            None => count.observe(epc, zone),
        }
    }
    Ok(count)
}

async fn view(app: &App, id: i64) -> Result<Stocktake> {
    let mut conn = app.pool.acquire().await?;
    let stocktake = stocktakes::get(&mut conn, id).await?;
    let progress = match stocktake.status {
        StocktakeStatus::Running => Some(counted(&mut conn, &stocktake).await?.progress().into()),
        _ => None,
    };
    Ok(Stocktake {
        progress,
        results: stocktakes::results(&mut conn, id, None).await?,
        stocktake,
    })
}

pub async fn get(app: &App, actor: &Actor, id: i64) -> Result<Stocktake> {
    super::policy::authorize(actor, Op::GetStocktake, super::policy::Target::Nothing)?;
    view(app, id).await
}

/// Stocktake `id`'s result lines with the assets' and zones' names, as they come (for the
/// export; a stocktake not finished has none yet).
pub async fn export(app: &App, actor: &Actor, id: i64) -> Result<Rows<stocktakes::ExportLine>> {
    row(app, actor, id).await?;
    app.rows(actor, Op::GetStocktake, id, stocktakes::export_rows)
        .await
}

/// Stocktake `id` itself, without its lines or its live count.
async fn row(app: &App, actor: &Actor, id: i64) -> Result<StocktakeRow> {
    app.read(actor, Op::GetStocktake, async |c| {
        stocktakes::get(c, id).await
    })
    .await
}

/// Reads counted without the fixed readers, into stocktake `id`: a handheld's, named by
/// `reader`, at least one; only while the stocktake runs, when they count. All or nothing,
/// as any handheld's upload.
pub async fn count_by_hand(
    app: &App,
    actor: &Actor,
    id: i64,
    reader: &str,
    reads: Vec<super::readers::HandheldRead>,
) -> Result<super::readers::Uploaded> {
    if row(app, actor, id).await?.status != StocktakeStatus::Running {
        return Err(Error::Conflict(format!(
            "stocktake {id} is not running: start it, then count"
        )));
    }
    if reader.trim().is_empty() {
        return Err(Error::Invalid("choose the handheld".into()));
    }
    if reads.is_empty() {
        return Err(Error::Invalid(
            "type or scan at least one EPC, or choose the handheld's file".into(),
        ));
    }
    let reader = Text::parse(reader.trim()).map_err(|e| Error::Invalid(format!("reader: {e}")))?;
    super::readers::upload(app, actor, super::readers::Upload { reader, reads }).await
}

/// The most EPCs one typed or scanned list counts (a full shelf by a handheld scanner).
pub const MAX_TYPED: usize = 10_000;

/// EPCs typed or scanned into the page by a person standing at zone `zone_id` of stocktake
/// `id`, one per line: each is counted there now, as if a reader over that zone had read it
/// (a later reading elsewhere stands instead). For a shelf no reader covers, or a reader
/// that is offline, when no handheld is set up. All or nothing: one line that is not an
/// EPC refuses the list with its number, and nothing is counted.
pub async fn count_typed(
    app: &App,
    actor: &Actor,
    id: i64,
    zone_id: i64,
    typed: &str,
) -> Result<usize> {
    let mut epcs = Vec::new();
    for (i, line) in typed.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let epc = Epc::from_hex(line)
            .ok()
            .filter(|e| !e.is_empty())
            .ok_or_else(|| {
                Error::Invalid(format!("line {}: {line:?} is not an EPC in hex", i + 1))
            })?;
        epcs.push(epc.to_hex());
        if epcs.len() > MAX_TYPED {
            return Err(Error::Invalid(format!(
                "at most {MAX_TYPED} EPCs at once: count the rest in another list"
            )));
        }
    }
    if epcs.is_empty() {
        return Err(Error::Invalid("type or scan at least one EPC".into()));
    }
    app.change(actor, Op::UploadReads, async |tx| {
        let row = stocktakes::lock(tx, id, "count", StocktakeStatus::Running).await?;
        if !row.zone_ids.contains(&zone_id) {
            return Err(Error::Invalid(format!(
                "zone {zone_id} is not counted by stocktake {id}: choose one of its zones"
            )));
        }
        let now = chrono::Utc::now();
        let seen: Vec<stocktakes::Sighting> = epcs
            .iter()
            .map(|epc| stocktakes::Sighting {
                stocktake_id: id,
                epc: epc.clone(),
                zone_id,
                other_zone_id: None,
                seen_at: now,
            })
            .collect();
        stocktakes::record_sightings(tx, &seen).await?;
        Ok(seen.len())
    })
    .await
}

/// Start counting: the register's expectation for the scope is taken now.
pub async fn start(app: &App, actor: &Actor, id: i64) -> Result<Stocktake> {
    app.change(actor, Op::StartStocktake, async |tx| {
        let ingest = app.ingest()?;
        let row = stocktakes::lock(tx, id, "start", StocktakeStatus::Created).await?;
        let register = stocktakes::expected(tx, &row.zone_ids).await?;
        stocktakes::keep_expected(tx, id, &register).await?;
        let expected: Vec<(Epc, ZoneId)> = register
            .iter()
            .filter_map(|(epc, zone)| Some((Epc::from_hex(epc).ok()?, ZoneId(*zone as u32))))
            .collect();
        stocktakes::mark_running(tx, id, expected.len()).await?;
        let scope = row.zone_ids.iter().map(|z| ZoneId(*z as u32)).collect();
        let (_, seen) = ingest
            .start_stocktake(id, expected, scope)
            .await
            .map_err(|e| Error::Unavailable(e.to_string()))?;
        // What this instance's readers see now; the other instances add theirs as they
        // start counting it (within a second).
        stocktakes::record_sightings(tx, &seen).await?;
        Ok::<_, Error>(())
    })
    .await?;
    view(app, id).await
}

/// Finish: what was read so far is counted (on any instance: everything this one read is
/// stored first, and the count is the database's), and the results are stored.
pub async fn finish(app: &App, actor: &Actor, id: i64) -> Result<Stocktake> {
    app.change(actor, Op::FinishStocktake, async |tx| {
        let ingest = app.ingest()?;
        let row = stocktakes::lock(tx, id, "finish", StocktakeStatus::Running).await?;
        ingest
            .sync()
            .await
            .map_err(|e| Error::Unavailable(e.to_string()))?;
        let result = counted(tx, &row).await?.finish();
        stocktakes::store_results(tx, id, &lines(&result)).await?;
        Ok::<_, Error>(())
    })
    .await?;
    // Forgotten only once the results are committed: a failed commit keeps the count.
    app.ingest()?.forget_stocktake(id);
    view(app, id).await
}

/// Cancel a stocktake that is created or running.
pub async fn cancel(app: &App, actor: &Actor, id: i64) -> Result<Stocktake> {
    app.change(actor, Op::CancelStocktake, async |tx| {
        let row = stocktakes::get(tx, id).await?;
        if !matches!(
            row.status,
            StocktakeStatus::Created | StocktakeStatus::Running
        ) {
            return Err(Error::Conflict(
                format!("cannot cancel stocktake {id}: it is {:?}", row.status).to_lowercase(),
            ));
        }
        stocktakes::mark_cancelled(tx, id).await?;
        Ok(())
    })
    .await?;
    if let Some(ingest) = &app.ingest {
        ingest.forget_stocktake(id);
    }
    view(app, id).await
}

/// The lines of a count, as stored.
fn lines(result: &StocktakeResult) -> Vec<NewResult> {
    let zone = |z: ZoneId| Some(i64::from(z.0));
    let mut lines: Vec<NewResult> = Vec::new();
    lines.extend(result.found.iter().map(|l| NewResult {
        epc: l.epc.to_hex(),
        outcome: Outcome::Found,
        expected_zone_id: zone(l.zone),
        seen_zone_id: zone(l.zone),
        other_zone_id: None,
    }));
    lines.extend(result.missing.iter().map(|l| NewResult {
        epc: l.epc.to_hex(),
        outcome: Outcome::Missing,
        expected_zone_id: zone(l.zone),
        seen_zone_id: None,
        other_zone_id: None,
    }));
    lines.extend(result.misplaced.iter().map(|m| NewResult {
        epc: m.epc.to_hex(),
        outcome: Outcome::Misplaced,
        expected_zone_id: zone(m.expected),
        seen_zone_id: zone(m.seen),
        other_zone_id: None,
    }));
    // Misplaced only when the decision is clear; a tag between two zones is for a person to
    // check.
    lines.extend(result.between.iter().map(|b| NewResult {
        epc: b.epc.to_hex(),
        outcome: Outcome::Between,
        expected_zone_id: zone(b.expected),
        seen_zone_id: zone(b.zone),
        other_zone_id: zone(b.other),
    }));
    lines.extend(result.unexpected.iter().map(|u| NewResult {
        epc: u.epc.to_hex(),
        outcome: Outcome::Unexpected,
        expected_zone_id: None,
        seen_zone_id: zone(u.zone),
        other_zone_id: None,
    }));
    lines
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

/// Act on one line of a finished stocktake.
pub async fn resolve(app: &App, actor: &Actor, id: i64, input: Resolve) -> Result<ResultRow> {
    let epc = input.epc.trim().to_ascii_uppercase();
    let ctx = Context::by(actor.id).reason(format!("stocktake {id}"));
    let on_asset = |line: &ResultRow| {
        line.asset_id
            .ok_or_else(|| Error::Conflict(format!("EPC {epc} is on no asset")))
    };
    app.change(actor, Op::Resolve, async |tx| {
        let (resolution, asset_id) = match input.action {
            FollowUp::MarkLost => {
                let line = stocktakes::lock_result(tx, id, &epc, Outcome::Missing).await?;
                let asset = on_asset(&line)?;
                events::transition(tx, asset, AssetAction::MarkLost, &ctx).await?;
                ("marked_lost", asset)
            }
            FollowUp::Relocate => {
                let line = stocktakes::lock_result(tx, id, &epc, Outcome::Misplaced).await?;
                let asset = on_asset(&line)?;
                assets::relocate(tx, asset, line.seen_zone_id, &ctx).await?;
                ("relocated", asset)
            }
            FollowUp::Register => {
                let line = stocktakes::lock_result(tx, id, &epc, Outcome::Unexpected).await?;
                if let Some(asset) = line.asset_id {
                    return Err(Error::Conflict(format!(
                        "EPC {epc} is already on asset {asset}"
                    )));
                }
                let new = NewAsset {
                    epc: Some(epc.as_str().known()),
                    name: input
                        .name
                        .clone()
                        .ok_or_else(|| Error::Invalid("registering needs a name".into()))?,
                    category_id: input
                        .category_id
                        .ok_or_else(|| Error::Invalid("registering needs a category_id".into()))?,
                    original_value_fen: input.original_value_fen.unwrap_or_default(),
                    acquired_on: None,
                    source_class: Default::default(),
                    owner_department_id: None,
                    notes: format!("found untagged in the register at stocktake {id}").known(),
                    ..Default::default()
                };
                let asset = assets::register(tx, &app.config.company_prefix, &new, &ctx).await?;
                events::transition(tx, asset.id, AssetAction::Receive, &ctx).await?;
                assets::put(tx, asset.id, line.seen_zone_id).await?;
                ("registered", asset.id)
            }
        };
        stocktakes::resolve(tx, id, &epc, resolution, actor.id, Some(asset_id)).await?;
        Ok(stocktakes::result(tx, id, &epc).await?)
    })
    .await
}

/// Missing assets of a finished stocktake to mark lost together, with one reason.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarkLost {
    /// The missing lines' EPCs, at most [`MARK_LOST_MAX`].
    pub epcs: Vec<Text>,
    /// Why they are lost: logged on each asset.
    pub reason: Note,
}

/// How many missing assets one request marks lost.
pub const MARK_LOST_MAX: usize = 5_000;

/// Mark missing assets of a finished stocktake lost, in one transaction, each with the reason
/// given (and the stocktake named); a line already resolved, or not missing, refuses them all.
/// A lost asset comes back by `recover` (found) on its own.
pub async fn mark_lost(app: &App, actor: &Actor, id: i64, input: MarkLost) -> Result<u32> {
    if input.reason.trim().is_empty() {
        return Err(Error::Invalid("give a reason".into()));
    }
    if input.epcs.is_empty() {
        return Err(Error::Invalid("choose at least one asset".into()));
    }
    if input.epcs.len() > MARK_LOST_MAX {
        return Err(Error::Invalid(format!(
            "mark at most {MARK_LOST_MAX} assets lost at once"
        )));
    }
    let ctx = Context::by(actor.id).reason(format!("{} (stocktake {id})", input.reason.trim()));
    app.change(actor, Op::Resolve, async |tx| {
        let mut marked = 0;
        for epc in &input.epcs {
            let epc = epc.trim().to_ascii_uppercase();
            let line = stocktakes::lock_result(tx, id, &epc, Outcome::Missing).await?;
            let asset = line
                .asset_id
                .ok_or_else(|| Error::Conflict(format!("EPC {epc} is on no asset")))?;
            events::transition(tx, asset, AssetAction::MarkLost, &ctx).await?;
            stocktakes::resolve(tx, id, &epc, "marked_lost", actor.id, Some(asset)).await?;
            marked += 1;
        }
        Ok::<_, Error>(marked)
    })
    .await
}

/// The keeper's stocktakes page: the stocktakes, and the warehouses and zones to count.
pub struct StocktakeDesk {
    /// Newest first, a page at a time.
    pub stocktakes: Page<StocktakeRow>,
    pub warehouses: Vec<(i64, String)>,
    pub zones: Vec<(i64, String)>,
}

/// The stocktakes `filter` picks (a status, a warehouse, a zone counted), newest first, a
/// page at a time, and the warehouses and zones to start one of or choose by.
pub async fn desk(
    app: &App,
    actor: &Actor,
    filter: stocktakes::Filter,
    paging: Paging,
) -> Result<StocktakeDesk> {
    let window = paging.window();
    app.read(actor, Op::StocktakeDesk, async |c| {
        Ok::<_, db::Error>(StocktakeDesk {
            stocktakes: Page::new(window, stocktakes::list(c, filter, window).await?),
            warehouses: places::warehouses(c)
                .await?
                .into_iter()
                .map(|w| (w.id, w.name))
                .collect(),
            zones: places::zone_names(c, false).await?,
        })
    })
    .await
}

/// Every stocktake [`desk`] lists with `filter`, newest first, in batches as they come: the
/// list's export.
pub async fn list_export(
    app: &App,
    actor: &Actor,
    filter: stocktakes::Filter,
) -> Result<Rows<stocktakes::Listing>> {
    app.rows(actor, Op::StocktakeDesk, filter, stocktakes::listing_rows)
        .await
}

/// One stocktake's page: the live count and a page of each outcome's lines so far while it
/// runs, of the stored ones after; the warehouse, zone and category names to show them with.
pub struct Sheet {
    pub stocktake: StocktakeRow,
    pub warehouse: String,
    pub zones: Vec<(i64, String)>,
    pub progress: Progress,
    /// A page of the lines of each outcome asked for, by EPC, in the order asked; each page's
    /// total counts all the lines of its outcome.
    pub results: Vec<(Outcome, Page<ResultRow>)>,
    pub categories: Vec<(i64, String)>,
    /// The shown lines' assets by id: (name, category), to show beside their EPCs.
    pub assets: std::collections::HashMap<i64, (String, String)>,
    /// The readers that count its zones (and the handhelds), with how they are doing now.
    pub readers: Vec<super::readers::ReaderWithHealth>,
}

/// Stocktake `id`'s page, with the page `pages` asks of each outcome's lines (none: its
/// progress and readers only). A finished stocktake's lines are paged in SQL; a running
/// one's are counted from its expectation and sightings as its progress is, and only the
/// page shown is looked up.
pub async fn sheet(
    app: &App,
    actor: &Actor,
    id: i64,
    pages: &[(Outcome, Paging)],
) -> Result<Sheet> {
    app.read(actor, Op::StocktakeDesk, async |c| {
        let s = stocktakes::get(c, id).await?;
        let running = match s.status {
            StocktakeStatus::Running => Some(counted(c, &s).await?),
            _ => None,
        };
        let stored = Progress {
            expected: s.expected as u32,
            found: s.found as u32,
            misplaced: s.misplaced as u32,
            missing: s.missing as u32,
            unexpected: s.unexpected as u32,
            between: s.between as u32,
        };
        let progress = running.as_ref().map(|r| r.progress()).unwrap_or(stored);
        let mut results = Vec::with_capacity(pages.len());
        match running.map(engine::Stocktake::finish) {
            // While counting: the lines so far, as they would be stored now.
            Some(so_far) => {
                let mut all = lines(&so_far);
                all.sort_by(|a, b| a.epc.cmp(&b.epc));
                for &(outcome, paging) in pages {
                    let window = paging.window();
                    let of: Vec<&NewResult> = all.iter().filter(|l| l.outcome == outcome).collect();
                    let total = of.len() as i64;
                    let start = window.offset().min(total);
                    let end = start.saturating_add(window.limit()).min(total);
                    let shown = &of[start as usize..end as usize];
                    let epcs: Vec<String> = shown.iter().map(|l| l.epc.clone()).collect();
                    let ids: std::collections::HashMap<String, i64> =
                        assets::ids_by_epc(c, &epcs).await?.into_iter().collect();
                    let items = shown
                        .iter()
                        .map(|l| ResultRow {
                            asset_id: ids.get(&l.epc).copied(),
                            epc: l.epc.clone(),
                            outcome: l.outcome,
                            expected_zone_id: l.expected_zone_id,
                            seen_zone_id: l.seen_zone_id,
                            other_zone_id: l.other_zone_id,
                            resolution: None,
                            resolved_at: None,
                        })
                        .collect();
                    let counted = db::Total {
                        count: total,
                        exact: true,
                        has_more: end < total,
                    };
                    results.push((outcome, Page::new(window, (items, counted))));
                }
            }
            None if s.status == StocktakeStatus::Finished => {
                for &(outcome, paging) in pages {
                    let window = paging.window();
                    let found = stocktakes::results_page(c, id, outcome, window).await?;
                    let mut page = Page::new(window, found);
                    // The stored totals count every line of each outcome.
                    page.total = stored_lines(&s, outcome);
                    page.total_exact = true;
                    results.push((outcome, page));
                }
            }
            // Created or cancelled: no lines.
            None => {
                let none = db::Total {
                    count: 0,
                    exact: true,
                    has_more: false,
                };
                results.extend(
                    pages
                        .iter()
                        .map(|&(o, paging)| (o, Page::new(paging.window(), (Vec::new(), none)))),
                );
            }
        }
        let ids: Vec<i64> = results
            .iter()
            .flat_map(|(_, page)| page.items.iter().filter_map(|r| r.asset_id))
            .collect();
        let assets = assets::by_ids(c, &ids)
            .await?
            .into_iter()
            .map(|a| (a.id, (a.name, a.category)))
            .collect();
        let in_scope = |r: &crate::db::readers::Reader| {
            r.address.starts_with("handheld:")
                || r.read_points
                    .iter()
                    .any(|p| s.zone_ids.contains(&p.zone_id))
                || (s.zone_ids.is_empty() && !r.read_points.is_empty())
        };
        let readers = super::readers::with_health(
            app,
            crate::db::readers::list(c)
                .await?
                .into_iter()
                .filter(in_scope)
                .collect(),
            &crate::db::instances::owners(c).await?,
        );
        Ok::<_, db::Error>(Sheet {
            assets,
            readers,
            warehouse: places::warehouse(c, s.warehouse_id).await?.name,
            zones: places::zone_names(c, false).await?,
            stocktake: s,
            progress,
            results,
            categories: catalogue::categories(c).await?,
        })
    })
    .await
}

/// How many lines of `outcome` finished stocktake `s` stored.
fn stored_lines(s: &StocktakeRow, outcome: Outcome) -> i64 {
    i64::from(match outcome {
        Outcome::Found => s.found,
        Outcome::Missing => s.missing,
        Outcome::Unexpected => s.unexpected,
        Outcome::Misplaced => s.misplaced,
        Outcome::Between => s.between,
    })
}
