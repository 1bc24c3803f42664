//! Readers over HTTP: configuration and health, gates, handheld uploads, alerts and the live
//! event stream.

use std::convert::Infallible;

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use depot_readers::{Epc, TagRead};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    require, ApiError, ApiResult, AppState, Json, OptionalJson, Page, Paging, Path, Query,
};
use crate::auth::{Actor, Role};
use crate::db::alerts::{self, Alert};
use crate::db::readers::{self, Gate, NewGate, NewReader, Reader, ReaderChange, HANDHELD};
use crate::domain::bounds::{Note, PageNo, Text};
use crate::ingest::{self, live, Health};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_readers, create_reader))
        .routes(routes!(update_reader, delete_reader))
        .routes(routes!(list_gates, create_gate))
        .routes(routes!(delete_gate))
        .routes(routes!(upload_reads))
        .routes(routes!(list_alerts))
        .routes(routes!(acknowledge_alert))
        .routes(routes!(stream))
}

const WATCHERS: &[Role] = &[Role::Admin, Role::Keeper, Role::Auditor];

#[derive(Debug, Serialize, ToSchema)]
pub struct ReaderWithHealth {
    #[serde(flatten)]
    pub reader: Reader,
    pub health: Option<Health>,
}

/// Readers with their health: connected, last read, reads/s, errors, reconnects.
#[utoipa::path(get, path = "/readers", tag = "readers", responses((status = 200, body = Vec<ReaderWithHealth>)))]
async fn list_readers(
    actor: Actor,
    State(state): State<AppState>,
) -> ApiResult<Json<Vec<ReaderWithHealth>>> {
    require(&actor, WATCHERS, "see readers")?;
    let list = readers::list(&mut *state.pool.acquire().await?).await?;
    let health = state
        .ingest
        .as_ref()
        .map(|i| i.health())
        .unwrap_or_default();
    Ok(Json(
        list.into_iter()
            .map(|reader| ReaderWithHealth {
                health: health.get(&reader.id).cloned(),
                reader,
            })
            .collect(),
    ))
}

pub(crate) fn check_address(address: &str) -> ApiResult<()> {
    if address.trim() == HANDHELD {
        return Ok(());
    }
    address
        .trim()
        .parse::<depot_readers::ReaderAddress>()
        .map(|_| ())
        .map_err(|e| ApiError::Unprocessable(format!("{e}; or `{HANDHELD}` for a handheld")))
}

/// The reader pipeline picks up a configuration change at once.
pub(crate) async fn reload(state: &AppState) -> ApiResult<()> {
    if let Some(ingest) = &state.ingest {
        ingest
            .reload()
            .await
            .map_err(|e| ApiError::Unprocessable(e.to_string()))?;
    }
    Ok(())
}

#[utoipa::path(post, path = "/readers", tag = "readers", request_body = NewReader, responses((status = 201, body = Reader)))]
async fn create_reader(
    actor: Actor,
    State(state): State<AppState>,
    Json(body): Json<NewReader>,
) -> ApiResult<(StatusCode, Json<Reader>)> {
    require(&actor, &[Role::Admin], "configure readers")?;
    Ok((StatusCode::CREATED, Json(add_reader(&state, &body).await?)))
}

/// Add a reader and have the pipeline pick it up (the API's and the pages' add).
pub(crate) async fn add_reader(state: &AppState, body: &NewReader) -> ApiResult<Reader> {
    check_address(&body.address)?;
    let mut tx = state.pool.begin().await?;
    let reader = readers::create(&mut tx, body).await?;
    tx.commit().await?;
    reload(state).await?;
    Ok(reader)
}

#[utoipa::path(patch, path = "/readers/{id}", tag = "readers", request_body = ReaderChange, responses((status = 200, body = Reader)))]
async fn update_reader(
    actor: Actor,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Json(body): Json<ReaderChange>,
) -> ApiResult<Json<Reader>> {
    require(&actor, &[Role::Admin], "configure readers")?;
    Ok(Json(change_reader(&state, id, &body).await?))
}

pub(crate) async fn change_reader(
    state: &AppState,
    id: i64,
    body: &ReaderChange,
) -> ApiResult<Reader> {
    if let Some(address) = &body.address {
        check_address(address)?;
    }
    let mut tx = state.pool.begin().await?;
    let reader = readers::update(&mut tx, id, body).await?;
    tx.commit().await?;
    reload(state).await?;
    Ok(reader)
}

#[utoipa::path(delete, path = "/readers/{id}", tag = "readers", responses((status = 204)))]
async fn delete_reader(
    actor: Actor,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    require(&actor, &[Role::Admin], "configure readers")?;
    remove_reader(&state, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub(crate) async fn remove_reader(state: &AppState, id: i64) -> ApiResult<()> {
    readers::delete(&mut *state.pool.acquire().await?, id).await?;
    reload(state).await
}

#[utoipa::path(get, path = "/gates", tag = "readers", responses((status = 200, body = Vec<Gate>)))]
async fn list_gates(_actor: Actor, State(state): State<AppState>) -> ApiResult<Json<Vec<Gate>>> {
    Ok(Json(
        readers::gates(&mut *state.pool.acquire().await?).await?,
    ))
}

#[utoipa::path(post, path = "/gates", tag = "readers", request_body = NewGate, responses((status = 201, body = Gate)))]
async fn create_gate(
    actor: Actor,
    State(state): State<AppState>,
    Json(body): Json<NewGate>,
) -> ApiResult<(StatusCode, Json<Gate>)> {
    require(&actor, &[Role::Admin], "configure gates")?;
    Ok((StatusCode::CREATED, Json(add_gate(&state, &body).await?)))
}

pub(crate) async fn add_gate(state: &AppState, body: &NewGate) -> ApiResult<Gate> {
    let gate = readers::create_gate(&mut *state.pool.acquire().await?, body).await?;
    reload(state).await?;
    Ok(gate)
}

#[utoipa::path(delete, path = "/gates/{id}", tag = "readers", responses((status = 204)))]
async fn delete_gate(
    actor: Actor,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    require(&actor, &[Role::Admin], "configure gates")?;
    readers::delete_gate(&mut *state.pool.acquire().await?, id).await?;
    reload(&state).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// One read from a handheld.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HandheldRead {
    /// EPC in hex.
    pub epc: String,
    #[serde(default = "first_antenna")]
    pub antenna: u16,
    pub rssi_dbm: Option<i8>,
    /// When it was read; defaults to the upload time.
    pub at: Option<DateTime<Utc>>,
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

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct UploadQuery {
    /// The reader name, for a CSV body.
    #[param(value_type = Option<String>)]
    pub reader: Option<Text>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Uploaded {
    pub accepted: usize,
}

/// Upload a handheld's batch of reads, as JSON (`{"reader", "reads": […]}`) or CSV
/// (`text/csv`, `?reader=NAME`, header `epc,antenna,rssi_dbm,at`). All or nothing: one bad
/// row refuses the batch with its row number, and nothing is counted.
#[utoipa::path(post, path = "/reads", tag = "readers", params(UploadQuery), request_body = Upload,
    responses((status = 202, body = Uploaded), (status = 422, body = super::error::ErrorBody)))]
async fn upload_reads(
    actor: Actor,
    State(state): State<AppState>,
    Query(q): Query<UploadQuery>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<(StatusCode, Json<Uploaded>)> {
    require(&actor, &[Role::Admin, Role::Keeper], "upload reads")?;
    let ingest = state.ingest()?;
    let csv = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/csv"));
    let upload = if csv {
        let reader = q.reader.ok_or_else(|| {
            ApiError::Unprocessable("a CSV upload names its reader: ?reader=NAME".into())
        })?;
        Upload {
            reader,
            reads: parse_csv(&body)?,
        }
    } else {
        axum::Json::<Upload>::from_bytes(&body)?.0
    };
    let reader = readers::by_name(&mut *state.pool.acquire().await?, &upload.reader).await?;
    if reader.address.trim() != HANDHELD {
        return Err(ApiError::Unprocessable(format!(
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
                ApiError::Unprocessable(format!("read {row}: {:?} is not an EPC in hex", r.epc))
            })?;
        if site.zone_of(reader.id, r.antenna).is_none() {
            return Err(ApiError::Unprocessable(format!(
                "read {row}: antenna {} of {:?} is mapped to no zone",
                r.antenna, reader.name
            )));
        }
        let at =
            r.at.map(|t| t.timestamp_micros().max(0) as u64)
                .unwrap_or(now);
        reads.push(TagRead {
            epc,
            reader: ingest::reader_id(reader.id),
            antenna: r.antenna,
            rssi_dbm: r.rssi_dbm,
            timestamp_us: at,
            channel: None,
            phase: None,
            seen_count: None,
        });
    }
    reads.sort_by_key(|r| r.timestamp_us);
    let accepted = reads.len();
    ingest
        .handheld(reads)
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    Ok((StatusCode::ACCEPTED, Json(Uploaded { accepted })))
}

/// `epc,antenna,rssi_dbm,at` with a header line; antenna, rssi_dbm and at may be empty.
fn parse_csv(body: &[u8]) -> ApiResult<Vec<HandheldRead>> {
    let text = std::str::from_utf8(body)
        .map_err(|_| ApiError::BadRequest("the CSV is not UTF-8".into()))?;
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let (_, header) = lines
        .next()
        .ok_or_else(|| ApiError::Unprocessable("the CSV is empty".into()))?;
    let columns: Vec<&str> = header.split(',').map(str::trim).collect();
    let col = |name: &str| columns.iter().position(|c| *c == name);
    let epc_col = col("epc")
        .ok_or_else(|| ApiError::Unprocessable("the CSV header needs an `epc` column".into()))?;
    let (antenna_col, rssi_col, at_col) = (col("antenna"), col("rssi_dbm"), col("at"));
    if let Some(unknown) = columns
        .iter()
        .find(|c| !["epc", "antenna", "rssi_dbm", "at"].contains(c))
    {
        return Err(ApiError::Unprocessable(format!(
            "unknown CSV column {unknown:?}: use epc, antenna, rssi_dbm, at"
        )));
    }
    let mut reads = Vec::new();
    for (n, line) in lines {
        let line_no = n + 1;
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        if fields.len() != columns.len() {
            return Err(ApiError::Unprocessable(format!(
                "line {line_no}: {} fields, the header has {}",
                fields.len(),
                columns.len()
            )));
        }
        let field = |c: Option<usize>| c.map(|i| fields[i]).filter(|f| !f.is_empty());
        let bad = |what: &str| ApiError::Unprocessable(format!("line {line_no}: bad {what}"));
        reads.push(HandheldRead {
            epc: fields[epc_col].to_owned(),
            antenna: field(antenna_col)
                .map(|a| a.parse().map_err(|_| bad("antenna")))
                .transpose()?
                .unwrap_or(1),
            rssi_dbm: field(rssi_col)
                .map(|r| r.parse().map_err(|_| bad("rssi_dbm")))
                .transpose()?,
            at: field(at_col)
                .map(|t| t.parse().map_err(|_| bad("time (RFC 3339)")))
                .transpose()?,
        });
    }
    Ok(reads)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AlertQuery {
    /// Only those not yet acknowledged.
    #[serde(default)]
    pub open: bool,
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100_000)]
    pub page: Option<PageNo>,
    pub per_page: Option<i64>,
}

#[utoipa::path(get, path = "/alerts", tag = "readers", params(AlertQuery), responses((status = 200, body = Page<Alert>)))]
async fn list_alerts(
    actor: Actor,
    State(state): State<AppState>,
    Query(q): Query<AlertQuery>,
) -> ApiResult<Json<Page<Alert>>> {
    require(&actor, WATCHERS, "see alerts")?;
    let paging = Paging {
        page: q.page,
        per_page: q.per_page,
    }
    .resolve();
    let mut conn = state.pool.acquire().await?;
    let alerts = alerts::list(&mut conn, q.open, paging.0, paging.1).await?;
    Ok(Json(Page::of(alerts, paging)))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Acknowledgement {
    #[serde(default)]
    pub note: Note,
}

#[utoipa::path(post, path = "/alerts/{id}/acknowledge", tag = "readers", request_body = Acknowledgement, responses((status = 200, body = Alert)))]
async fn acknowledge_alert(
    actor: Actor,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    OptionalJson(body): OptionalJson<Acknowledgement>,
) -> ApiResult<Json<Alert>> {
    require(&actor, &[Role::Admin, Role::Keeper], "acknowledge alerts")?;
    Ok(Json(
        alerts::acknowledge(&mut *state.pool.acquire().await?, id, actor.id, &body.note).await?,
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct StreamQuery {
    pub gate: Option<i64>,
    pub zone: Option<i64>,
    /// `loan:7`, `transfer:3`, …
    pub order: Option<String>,
}

/// Server-sent events: passages, alerts, state changes, zone presence, stocktake progress and
/// reader events as they happen. The SSE event name is the JSON's `type`. A session holds
/// at most a few streams at once (429 beyond), the server a few hundred (503 beyond).
#[utoipa::path(get, path = "/events/stream", tag = "readers", params(StreamQuery), responses((status = 200, content_type = "text/event-stream", body = live::LiveEvent)))]
async fn stream(
    actor: Actor,
    slot: super::limits::StreamSlot,
    State(state): State<AppState>,
    Query(q): Query<StreamQuery>,
) -> ApiResult<impl IntoResponse> {
    require(&actor, WATCHERS, "watch the live stream")?;
    let order = match &q.order {
        Some(text) => Some(live::Filter::parse_order(text).ok_or_else(|| {
            ApiError::BadRequest(format!("order {text:?}: write it as loan:7, transfer:3, …"))
        })?),
        None => None,
    };
    let filter = live::Filter {
        gate: q.gate,
        zone: q.zone,
        order,
    };
    let rx = state.ingest()?.subscribe();
    let closing = state.closing.clone();
    let events = futures_util::stream::unfold((rx, filter), move |(mut rx, filter)| {
        let closing = closing.clone();
        async move {
            loop {
                let next = tokio::select! {
                    _ = closing.cancelled() => return None,
                    next = rx.recv() => next,
                };
                match next {
                    Ok(event) if filter.accepts(&event) => {
                        let sse = SseEvent::default()
                            .event(event.name())
                            .json_data(&event)
                            .unwrap_or_else(|_| {
                                SseEvent::default().comment("unserialisable event")
                            });
                        return Some((Ok::<_, Infallible>(sse), (rx, filter)));
                    }
                    Ok(_) => continue,
                    // A slow listener missed some events: say so, and carry on with the newest.
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                        return Some((
                            Ok(SseEvent::default().event("lagged").data(n.to_string())),
                            (rx, filter),
                        ));
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
                }
            }
        }
    });
    Ok(Sse::new(super::limits::hold(slot, events)).keep_alive(KeepAlive::default()))
}
