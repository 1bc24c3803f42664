//! Readers and gates (the site the engine runs), handheld uploads, gate alerts, and the live
//! stream.
//!
//! A change of readers, read points or gates is checked before it is committed: the whole
//! site as it would be is loaded inside the transaction and judged by the engine's own rules,
//! so the database never holds a configuration the engine refuses. Then the pipeline reloads;
//! should that fail, the previous configuration keeps running.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use depot_readers::{Epc, TagRead};
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use tokio::sync::broadcast;
use utoipa::ToSchema;

use super::policy::{authorize, Target};
use super::{App, Error, Op, Page, Paging, Result, Visibility};
use crate::auth::Actor;
use crate::db::alerts::{self, Alert, AlertKind, Decision};
use crate::db::events::{self, Context};
use crate::db::readers::{
    self, Gate, NewGate, NewReader, Passage, PassageCursor, Reader, ReaderChange, HANDHELD,
};
use crate::db::{self, assets, instances, places};
use crate::domain::bounds::Text;
use crate::engine::Direction;
use crate::ingest::persist::{self, Plan};
use crate::ingest::{self, live, Health, IngestError, LiveEvent, Site};

#[derive(Debug, Serialize, ToSchema)]
pub struct ReaderWithHealth {
    #[serde(flatten)]
    pub reader: Reader,
    /// As this instance sees it: a reader another instance drives is `standby` here.
    pub health: Option<Health>,
    /// The instance of Depot driving the reader now (`depot serve --instance`); null when
    /// none does (a handheld, a disabled reader, or all instances down).
    pub owner: Option<String>,
}

/// The readers with their health and who drives them (`owners`: [`instances::owners`]).
pub(crate) fn with_health(
    app: &App,
    readers: Vec<Reader>,
    owners: &HashMap<i64, String>,
) -> Vec<ReaderWithHealth> {
    let health = app.ingest.as_ref().map(|i| i.health()).unwrap_or_default();
    readers
        .into_iter()
        .map(|reader| ReaderWithHealth {
            health: health.get(&reader.id).cloned(),
            owner: owners.get(&reader.id).cloned(),
            reader,
        })
        .collect()
}

/// Readers with their health: connected, last read, reads/s, errors, reconnects.
pub async fn list(app: &App, actor: &Actor) -> Result<Vec<ReaderWithHealth>> {
    let (found, owners) = app
        .read(actor, Op::ListReaders, async |c| {
            Ok::<_, db::Error>((readers::list(c).await?, instances::owners(c).await?))
        })
        .await?;
    Ok(with_health(app, found, &owners))
}

/// The admin's readers page: readers with health, gates, and zone names.
pub struct ReaderDesk {
    pub readers: Vec<ReaderWithHealth>,
    pub gates: Vec<Gate>,
    pub zones: Vec<(i64, String)>,
}

pub async fn desk(app: &App, actor: &Actor) -> Result<ReaderDesk> {
    let (found, gates, zones, owners) = app
        .read(actor, Op::ReaderDesk, async |c| {
            let found = readers::list(c).await?;
            let gates = readers::gates(c).await?;
            let zones = places::zone_names(c, false).await?;
            let owners = instances::owners(c).await?;
            Ok::<_, db::Error>((found, gates, zones, owners))
        })
        .await?;
    Ok(ReaderDesk {
        readers: with_health(app, found, &owners),
        gates,
        zones,
    })
}

/// A reader as its export lists it: with its health and, for each antenna, the place it
/// reads.
#[derive(Debug)]
pub struct ReaderRow {
    pub reader: ReaderWithHealth,
    pub antennas: Vec<(i32, String)>,
}

/// Every reader of the site (a short list, read whole), as [`desk`] shows them: its export.
pub async fn export(app: &App, actor: &Actor) -> Result<super::Rows<ReaderRow>> {
    let desk = desk(app, actor).await?;
    let place = |zone: i64| {
        desk.zones
            .iter()
            .find(|(z, _)| *z == zone)
            .map_or_else(|| zone.to_string(), |(_, name)| name.clone())
    };
    let rows = desk
        .readers
        .into_iter()
        .map(|reader| ReaderRow {
            antennas: reader
                .reader
                .read_points
                .iter()
                .map(|p| (p.antenna, place(p.zone_id)))
                .collect(),
            reader,
        })
        .collect();
    Ok(super::Rows::of(rows))
}

fn check_address(address: &str) -> Result<()> {
    if address.trim() == HANDHELD {
        return Ok(());
    }
    address
        .trim()
        .parse::<crate::ingest::sim::Address>()
        .map(|_| ())
        .map_err(|e| Error::Invalid(format!("{e}; or `{HANDHELD}` for a handheld")))
}

/// Change the site: `f` in a transaction, then the whole site as it would be is judged by the
/// engine, and only a site it would run is committed; then the pipeline picks it up.
pub(super) async fn reconfigure<T>(
    app: &App,
    actor: &Actor,
    op: Op,
    f: impl AsyncFnOnce(&mut PgConnection) -> Result<T>,
) -> Result<T> {
    let out = app
        .change(actor, op, async |tx| {
            readers::lock_configuration(tx).await?;
            let out = f(tx).await?;
            let site = Site::load(tx).await?;
            site.check()
                .map_err(|e| IngestError::Config(e.to_string()))?;
            Ok::<_, Error>(out)
        })
        .await?;
    if let Some(ingest) = &app.ingest {
        ingest.reload().await?;
    }
    Ok(out)
}

/// Add a reader; the pipeline connects to it at once.
pub async fn create(app: &App, actor: &Actor, new: NewReader) -> Result<Reader> {
    reconfigure(app, actor, Op::CreateReader, async |tx| {
        check_address(&new.address)?;
        Ok(readers::create(tx, &new).await?)
    })
    .await
}

pub async fn update(app: &App, actor: &Actor, id: i64, change: ReaderChange) -> Result<Reader> {
    reconfigure(app, actor, Op::UpdateReader, async |tx| {
        if let Some(address) = &change.address {
            check_address(address)?;
        }
        Ok(readers::update(tx, id, &change).await?)
    })
    .await
}

pub async fn delete(app: &App, actor: &Actor, id: i64) -> Result<()> {
    reconfigure(app, actor, Op::DeleteReader, async |tx| {
        Ok(readers::delete(tx, id).await?)
    })
    .await
}

pub async fn gates(app: &App, actor: &Actor) -> Result<Vec<Gate>> {
    app.read(actor, Op::ListGates, async |c| readers::gates(c).await)
        .await
}

/// Add a gate: two zones, inside and outside, neither a side of another gate.
pub async fn create_gate(app: &App, actor: &Actor, new: NewGate) -> Result<Gate> {
    reconfigure(app, actor, Op::CreateGate, async |tx| {
        Ok(readers::create_gate(tx, &new).await?)
    })
    .await
}

pub async fn delete_gate(app: &App, actor: &Actor, id: i64) -> Result<()> {
    reconfigure(app, actor, Op::DeleteGate, async |tx| {
        Ok(readers::delete_gate(tx, id).await?)
    })
    .await
}

/// One read from a handheld.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HandheldRead {
    /// EPC in hex.
    #[schema(pattern = "^([0-9A-Fa-f]{2}){1,62}$")]
    pub epc: String,
    #[serde(default = "first_antenna")]
    #[schema(maximum = 65535)]
    pub antenna: u16,
    #[schema(minimum = -128, maximum = 127)]
    pub rssi_dbm: Option<i8>,
    /// When it was read; defaults to the upload time. At most a few minutes (the service's
    /// clock skew, 5 by default) ahead of the service's clock, and not before 2000.
    pub at: Option<DateTime<Utc>>,
    /// The file's line (the header is line 1), for a read from a CSV body.
    #[serde(skip)]
    #[schema(ignore)]
    pub line: Option<usize>,
}

impl HandheldRead {
    /// How an error names a field of this read: its line (the header is line 1) and column
    /// in a CSV file, else its place in the list and the field.
    fn at(&self, index: usize, field: &str) -> String {
        match self.line {
            Some(line) => format!("line {line}, column {field}"),
            None => format!("read {index}, {field}"),
        }
    }
}

fn first_antenna() -> u16 {
    1
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Upload {
    /// The handheld's reader name.
    pub reader: Text,
    pub reads: Vec<HandheldRead>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Uploaded {
    pub accepted: usize,
}

/// `epc,antenna,rssi_dbm,at` with a header line; antenna, rssi_dbm and at may be empty.
/// RFC 4180 (quoted fields, CRLF or LF), UTF-8 with or without a byte order mark, as a
/// handheld's software or a spreadsheet exports it. Rows are numbered by the file's line.
pub fn parse_csv(body: &[u8]) -> Result<Vec<HandheldRead>> {
    std::str::from_utf8(body).map_err(|_| Error::Invalid("the CSV is not UTF-8".into()))?;
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    // The header is read as a record of its own, so that the reader's position counts it.
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(body);
    // Rows of the wrong length are told below, by their line.
    let malformed = |e: csv::Error| {
        let line = e.position().map_or(0, |p| p.line());
        Error::Invalid(format!("line {line}: {e}"))
    };
    let mut header = csv::StringRecord::new();
    csv.read_record(&mut header).map_err(malformed)?;
    let columns: Vec<String> = header.iter().map(str::to_owned).collect();
    if columns.iter().all(String::is_empty) {
        return Err(Error::Invalid("the CSV is empty".into()));
    }
    let col = |name: &str| columns.iter().position(|c| c == name);
    let epc_col =
        col("epc").ok_or_else(|| Error::Invalid("the CSV header needs an `epc` column".into()))?;
    let (antenna_col, rssi_col, at_col) = (col("antenna"), col("rssi_dbm"), col("at"));
    if let Some(unknown) = columns
        .iter()
        .find(|c| !["epc", "antenna", "rssi_dbm", "at"].contains(&c.as_str()))
    {
        return Err(Error::Invalid(format!(
            "unknown CSV column {unknown:?}: use epc, antenna, rssi_dbm, at"
        )));
    }
    let mut reads = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        // The line the record starts on, from where the reader stands before it: after a
        // CRLF it stands on the LF, its line count not yet moved on.
        let mut start = (csv.position().byte() as usize).min(body.len());
        while body.get(start).is_some_and(|b| *b == b'\r' || *b == b'\n') {
            start += 1;
        }
        let line_no = 1 + body[..start].iter().filter(|&&b| b == b'\n').count();
        if !csv.read_record(&mut record).map_err(malformed)? {
            break;
        }
        if record.len() != columns.len() {
            return Err(Error::Invalid(format!(
                "line {line_no}: {} fields, the header has {}",
                record.len(),
                columns.len()
            )));
        }
        let field = |c: Option<usize>| c.and_then(|i| record.get(i)).filter(|f| !f.is_empty());
        let bad = |column: &str, value: &str, expected: &str| {
            Error::Invalid(format!(
                "line {line_no}, column {column}: {value:?} is not {expected}"
            ))
        };
        reads.push(HandheldRead {
            epc: record.get(epc_col).unwrap_or_default().to_owned(),
            antenna: field(antenna_col)
                .map(|a| {
                    a.parse()
                        .map_err(|_| bad("antenna", a, "an antenna port (1 to 65535)"))
                })
                .transpose()?
                .unwrap_or(1),
            rssi_dbm: field(rssi_col)
                .map(|r| {
                    r.parse()
                        .map_err(|_| bad("rssi_dbm", r, "a whole number of dBm"))
                })
                .transpose()?,
            at: field(at_col)
                .map(|t| t.parse().map_err(|_| bad("at", t, "a time (RFC 3339)")))
                .transpose()?,
            line: Some(line_no),
        });
    }
    Ok(reads)
}

/// A typed or scanned list: one EPC per line (a scanner that types ends each with Enter),
/// blank lines and spaces ignored, as reads of the handheld's first antenna now.
pub fn parse_list(text: &str) -> Vec<HandheldRead> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty())
        .map(|(line, epc)| HandheldRead {
            epc: epc.to_owned(),
            antenna: first_antenna(),
            rssi_dbm: None,
            at: None,
            line: Some(line),
        })
        .collect()
}

/// A handheld's batch of reads, all or nothing: one bad read refuses the batch with its
/// number, and nothing is counted.
pub async fn upload(app: &App, actor: &Actor, upload: Upload) -> Result<Uploaded> {
    authorize(actor, Op::UploadReads, Target::Nothing)?;
    let ingest = app.ingest()?;
    let reader = readers::by_name(&mut *app.pool.acquire().await?, &upload.reader).await?;
    if reader.address.trim() != HANDHELD {
        return Err(Error::Invalid(format!(
            "reader {:?} is a fixed reader, not a handheld: its reads come from the reader itself",
            reader.name
        )));
    }
    let site = ingest.site();
    let now = ingest::now_us();
    let mut reads = Vec::with_capacity(upload.reads.len());
    for (i, r) in upload.reads.iter().enumerate() {
        let row = i + 1;
        let epc = Epc::from_hex(&r.epc)
            .ok()
            .filter(|e| !e.is_empty())
            .ok_or_else(|| {
                Error::Invalid(format!(
                    "{}: {:?} is not an EPC in hex",
                    r.at(row, "epc"),
                    r.epc
                ))
            })?;
        if site.zone_of(reader.id, r.antenna).is_none() {
            return Err(Error::Invalid(format!(
                "{}: antenna {} of {:?} is mapped to no zone",
                r.at(row, "antenna"),
                r.antenna,
                reader.name
            )));
        }
        let at = r.at.map(|t| t.timestamp_micros().max(0) as u64);
        if let Some(at) = at {
            ingest::check_read_time(at, now, ingest.clock_skew())
                .map_err(|e| Error::Invalid(format!("{}: {e}", r.at(row, "at"))))?;
        }
        reads.push(TagRead {
            epc,
            reader: ingest::reader_id(reader.id),
            antenna: r.antenna,
            rssi_dbm: r.rssi_dbm,
            timestamp_us: at.unwrap_or(now),
            channel: None,
            phase: None,
            seen_count: None,
        });
    }
    reads.sort_by_key(|r| r.timestamp_us);
    let accepted = reads.len();
    ingest.handheld(reads).await?;
    Ok(Uploaded { accepted })
}

/// Alerts, newest first; `open`: only those not yet acknowledged.
pub async fn alerts(app: &App, actor: &Actor, open: bool, paging: Paging) -> Result<Page<Alert>> {
    let window = paging.window();
    let found = app
        .read(actor, Op::ListAlerts, async |c| {
            alerts::list(c, open, window).await
        })
        .await?;
    Ok(Page::new(window, found))
}

pub async fn acknowledge(app: &App, actor: &Actor, id: i64, note: &str) -> Result<Alert> {
    app.change(actor, Op::AcknowledgeAlert, async |tx| {
        alerts::acknowledge(tx, id, actor.id, note).await
    })
    .await
}

/// Confirm an uncertain passage: the lifecycle acts exactly as the gate would have on a sure
/// passage (issue on the waiting order, return from the loan pending inspection, or an
/// exit-without-order alert), judged against the asset as it is now. If the asset moved on
/// since (returned by hand, its order cancelled), confirming would do something other than
/// what the keeper was asked: refused (409), and nothing changes. The decision and what it
/// did are in the event log with the keeper and the passage's fact.
pub async fn confirm_passage(app: &App, actor: &Actor, id: i64, note: &str) -> Result<Alert> {
    app.change(actor, Op::ConfirmPassage, async |tx| {
        decide(tx, actor, id, note, Decision::Confirmed).await
    })
    .await
}

/// Dismiss an uncertain passage: nothing happened. Logged with the keeper and the fact.
pub async fn dismiss_passage(app: &App, actor: &Actor, id: i64, note: &str) -> Result<Alert> {
    app.change(actor, Op::DismissPassage, async |tx| {
        decide(tx, actor, id, note, Decision::Dismissed).await
    })
    .await
}

async fn decide(
    tx: &mut PgConnection,
    actor: &Actor,
    id: i64,
    note: &str,
    decision: Decision,
) -> Result<Alert> {
    let alert = alerts::lock(tx, id).await?;
    if alert.kind != AlertKind::UncertainPassage {
        return Err(Error::Conflict(format!(
            "alert {id} is not an uncertain passage: acknowledge it instead"
        )));
    }
    if alert.acknowledged_at.is_some() {
        let done = alert.decision.as_deref().unwrap_or("closed");
        return Err(Error::Conflict(format!(
            "the passage of alert {id} was already {done}"
        )));
    }
    let (Some(asset_id), Some(gate_id), Some(direction)) =
        (alert.asset_id, alert.gate_id, alert.direction.as_deref())
    else {
        return Err(Error::Conflict(format!(
            "alert {id} does not say which asset passed which gate, or which way"
        )));
    };
    let direction = match direction {
        "in" => Direction::In,
        _ => Direction::Out,
    };
    let gate = readers::gate(tx, gate_id).await?;
    let asset = assets::get(tx, asset_id).await?;
    let mut ctx = Context {
        actor: Some(actor.id),
        reason: format!(
            "gate {}: uncertain passage {}",
            gate.name,
            decision.as_str()
        ),
        order: None,
        details: serde_json::json!({
            "alert_id": id, "gate_id": gate_id, "gate": gate.name, "direction": direction.word(),
            "confidence": alert.confidence, "note": note,
        }),
        fact_key: Some(alert.fact_key.clone()),
    };
    let action = match decision {
        Decision::Dismissed => "dismiss_passage",
        Decision::Confirmed => {
            let plan = persist::plan(tx, asset_id, asset.state, direction).await?;
            let asked = (alert.order_kind, alert.order_id);
            if plan.order() != asked.0.zip(asked.1) {
                return Err(Error::Conflict(moved_on(&asset, direction, asked, plan)));
            }
            ctx.order = plan.order();
            persist::carry_out(tx, plan, asset_id, gate.inside_zone_id, &ctx).await?;
            if plan == Plan::NoOrder {
                let message =
                    persist::left_without_order(asset_id, &asset.name, &gate.name, asset.state);
                alerts::raise(
                    tx,
                    AlertKind::ExitWithoutOrder,
                    &alert.fact_key,
                    &alert.epc,
                    Some(asset_id),
                    Some(gate_id),
                    alert.at,
                    &message,
                    alerts::PassageDetails {
                        direction: Some(direction.word()),
                        confidence: alert.confidence,
                        order: None,
                    },
                )
                .await?;
            }
            "confirm_passage"
        }
    };
    events::record_asset_note(tx, asset_id, action, &ctx).await?;
    Ok(alerts::close(tx, id, actor.id, note, Some(decision)).await?)
}

/// Why a confirmation is refused: what the keeper was asked, and what the asset is now.
fn moved_on(
    asset: &assets::Asset,
    direction: Direction,
    asked: (Option<db::events::OrderKind>, Option<i64>),
    now: Plan,
) -> String {
    let was = match (asked, direction) {
        ((Some(kind), Some(order)), Direction::Out) => {
            format!("waiting to be issued on {} {order}", kind.as_str())
        }
        ((_, Some(loan)), _) => format!("out on loan {loan}"),
        _ => "on no order".into(),
    };
    let is = match now {
        Plan::Issue(kind, order) => format!("it waits to be issued on {} {order}", kind.as_str()),
        Plan::Return(loan) => format!("it is out on loan {loan}"),
        Plan::AlreadyOut | Plan::NoOrder | Plan::Nothing => format!("it is {}", asset.state),
    };
    format!(
        "asset {} ({}) was {was} when it passed, but {is} now: confirming would not do what was asked, \
         so nothing was changed; dismiss the passage, or act on the asset by hand",
        asset.id, asset.name
    )
}

/// Passages on one page of the gate view.
pub const PASSAGES_PER_PAGE: i64 = 50;

/// Which page of each of the gate view's lists: each pages on its own.
#[derive(Debug, Clone, Default)]
pub struct GatePaging {
    pub passages: PassageCursor,
    pub uncertain: Paging,
    pub alerts: Paging,
}

/// A page of passages, newest first, and the cursors to the pages either side.
#[derive(Debug, Default)]
pub struct Passages {
    pub items: Vec<Passage>,
    /// Page on before this passage's key for older ones, when there are.
    pub older: Option<String>,
    /// Page on after this passage's key for newer ones, when this is not the newest page.
    pub newer: Option<String>,
    /// Whether this is the newest page (new passages arrive at its top).
    pub newest: bool,
}

/// The keeper's gate page: the gates, the one watched, a page of its passages, a page of the
/// uncertain passages waiting for a keeper's word (with each asset's name), and a page of the
/// other open alerts, each as far as it goes and paged on its own.
pub struct GateView {
    pub gates: Vec<Gate>,
    pub gate: Option<i64>,
    pub passages: Passages,
    pub uncertain: Page<(Alert, String)>,
    pub alerts: Page<Alert>,
    /// The watched gate's health: its walk tests (running and latest).
    pub health: Option<super::walks::Health>,
}

/// The gate view of `gate`, or of the only gate when there is one, or of all; each list
/// at the page `paging` asks for.
pub async fn gate_view(
    app: &App,
    actor: &Actor,
    gate: Option<i64>,
    paging: GatePaging,
) -> Result<GateView> {
    let (asked_window, alerts_window) = (paging.uncertain.window(), paging.alerts.window());
    app.read(actor, Op::GateView, async |c| {
        let gates = readers::gates(c).await?;
        if let Some(g) = gate.filter(|g| !gates.iter().any(|x| x.id == *g)) {
            return Err(db::Error::NotFound(format!("gate {g}")));
        }
        let gate = gate.or_else(|| (gates.len() == 1).then(|| gates[0].id));
        let passages = passage_page(c, gate, paging.passages).await?;
        let asked = alerts::open_at(c, gate, true, asked_window).await?;
        let alerts = alerts::open_at(c, gate, false, alerts_window).await?;
        let ids: Vec<i64> = asked.0.iter().filter_map(|a| a.asset_id).collect();
        let names = assets::by_ids(c, &ids).await?;
        let uncertain = Page::new(asked_window, asked).map(|a| {
            let name = names
                .iter()
                .find(|n| Some(n.id) == a.asset_id)
                .map(|n| n.name.clone())
                .unwrap_or_default();
            (a, name)
        });
        let health = match gate {
            Some(g) => Some(super::walks::health(app, c, g).await?),
            None => None,
        };
        Ok::<_, db::Error>(GateView {
            gates,
            gate,
            passages,
            uncertain,
            alerts: Page::new(alerts_window, alerts),
            health,
        })
    })
    .await
}

/// Every passage at `gate` (or at all gates), newest first, in batches as they come: the
/// gate page's passages as an export.
pub async fn passage_export(
    app: &App,
    actor: &Actor,
    gate: Option<i64>,
) -> Result<super::Rows<Passage>> {
    if let Some(g) = gate {
        let gates = app
            .read(actor, Op::GateView, async |c| readers::gates(c).await)
            .await?;
        if !gates.iter().any(|x| x.id == g) {
            return Err(db::Error::NotFound(format!("gate {g}")).into());
        }
    }
    app.rows(actor, Op::GateView, gate, readers::passage_rows)
        .await
}

/// The page of passages at `cursor`; paged back up to the newest, the newest page whole.
async fn passage_page(
    c: &mut PgConnection,
    gate: Option<i64>,
    cursor: PassageCursor,
) -> db::Result<Passages> {
    let n = PASSAGES_PER_PAGE;
    let (mut items, mut more) = readers::passages(c, gate, &cursor, n).await?;
    let mut cursor = cursor;
    if matches!(cursor, PassageCursor::After(_)) && !more {
        cursor = PassageCursor::Newest;
        (items, more) = readers::passages(c, gate, &cursor, n).await?;
    }
    let first = items.first().map(|p| p.key.clone());
    let last = items.last().map(|p| p.key.clone());
    Ok(match cursor {
        PassageCursor::Newest => Passages {
            older: last.filter(|_| more),
            newer: None,
            newest: true,
            items,
        },
        PassageCursor::Before(_) => Passages {
            older: last.filter(|_| more),
            newer: first,
            newest: false,
            items,
        },
        // Newer ones follow (`more`), and older ones: at least the cursor's.
        PassageCursor::After(_) => Passages {
            older: last,
            newer: first,
            newest: false,
            items,
        },
    })
}

/// A live feed: the events a person may follow, as they happen.
pub struct Feed {
    rx: broadcast::Receiver<LiveEvent>,
    filter: live::Filter,
    sees: Visibility,
    closing: tokio_util::sync::CancellationToken,
    /// Held for as long as the feed is followed: streams per session and in all are capped.
    _slot: super::limits::StreamSlot,
}

/// What a feed yields.
pub enum Next {
    Event(LiveEvent),
    /// A slow follower missed this many events; the feed carries on with the newest.
    Lagged(u64),
}

/// Follow the live stream through `filter`, as far as the actor may see; `credential`: the
/// digest of the session or token that follows it, which may hold only a few at once.
pub fn follow(app: &App, actor: &Actor, credential: &[u8], filter: live::Filter) -> Result<Feed> {
    authorize(actor, Op::Stream, Target::Nothing)?;
    let slot = app.streams.acquire(credential.to_vec())?;
    Ok(Feed {
        _slot: slot,
        rx: app.ingest()?.subscribe(),
        filter,
        sees: Visibility::of(actor),
        closing: app.closing.clone(),
    })
}

impl Feed {
    /// The next event, or `None` when the stream ends (the service is shutting down).
    pub async fn next(&mut self) -> Option<Next> {
        loop {
            let next = tokio::select! {
                _ = self.closing.cancelled() => return None,
                next = self.rx.recv() => next,
            };
            match next {
                Ok(event) => match self.sees.live(event) {
                    Some(event) if self.filter.accepts(&event) => return Some(Next::Event(event)),
                    _ => continue,
                },
                Err(broadcast::error::RecvError::Lagged(n)) => return Some(Next::Lagged(n)),
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_handhelds_file_and_a_typed_list_are_reads_numbered_by_their_line() {
        let reads = parse_csv(b"\xEF\xBB\xBFepc,antenna\r\n3034AB,2\r\nnot-hex,1\r\n").unwrap();
        assert_eq!(reads.len(), 2);
        assert_eq!(
            (reads[0].epc.as_str(), reads[0].antenna, reads[0].line),
            ("3034AB", 2, Some(2))
        );
        assert_eq!(reads[1].line, Some(3));
        assert!(parse_csv(b"epc,colour\r\n3034AB,red\r\n").is_err());
        let typed = parse_list("\n  3034AB \r\n\n3034AC\n");
        let epcs: Vec<_> = typed.iter().map(|r| (r.epc.as_str(), r.line)).collect();
        assert_eq!(epcs, [("3034AB", Some(2)), ("3034AC", Some(4))]);
    }
}
