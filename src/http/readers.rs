//! Readers over HTTP: configuration and health, gates, handheld uploads, alerts and the live
//! event stream.

use std::convert::Infallible;

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::IntoResponse;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::error::ErrorBody;
use super::{ApiError, ApiResult, App, Json, OptionalJson, Page, Paging, Path, Query};
use crate::app::readers::{self, Next, ReaderWithHealth, Upload, Uploaded};
use crate::auth::Actor;
use crate::cookie;
use crate::db::alerts::Alert;
use crate::db::readers::{Gate, NewGate, NewReader, Reader, ReaderChange};
use crate::domain::bounds::{Note, PageNo, Text};
use crate::ingest::live;

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(list_readers, create_reader))
        .routes(routes!(update_reader, delete_reader))
        .routes(routes!(list_gates, create_gate))
        .routes(routes!(delete_gate))
        .routes(routes!(upload_reads))
        .routes(routes!(list_alerts))
        .routes(routes!(acknowledge_alert))
        .routes(routes!(confirm_passage))
        .routes(routes!(dismiss_passage))
        .routes(routes!(stream))
}

/// Readers with their health: connected, last read, reads/s, errors, reconnects.
#[utoipa::path(get, path = "/readers", tag = "readers", responses((status = 200, body = Vec<ReaderWithHealth>)))]
async fn list_readers(
    actor: Actor,
    State(app): State<App>,
) -> ApiResult<Json<Vec<ReaderWithHealth>>> {
    Ok(Json(readers::list(&app, &actor).await?))
}

/// Add a reader; the pipeline connects to it at once. A configuration the inventory engine
/// would refuse is answered 422, and nothing is stored.
#[utoipa::path(post, path = "/readers", tag = "readers", request_body = NewReader,
    responses((status = 201, body = Reader), (status = 422, body = ErrorBody)))]
async fn create_reader(
    actor: Actor,
    State(app): State<App>,
    Json(body): Json<NewReader>,
) -> ApiResult<(StatusCode, Json<Reader>)> {
    let reader = readers::create(&app, &actor, body).await?;
    Ok((StatusCode::CREATED, Json(reader)))
}

#[utoipa::path(patch, path = "/readers/{id}", tag = "readers", request_body = ReaderChange,
    responses((status = 200, body = Reader), (status = 422, body = ErrorBody)))]
async fn update_reader(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
    Json(body): Json<ReaderChange>,
) -> ApiResult<Json<Reader>> {
    Ok(Json(readers::update(&app, &actor, id, body).await?))
}

#[utoipa::path(delete, path = "/readers/{id}", tag = "readers", responses((status = 204)))]
async fn delete_reader(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    readers::delete(&app, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/gates", tag = "readers", responses((status = 200, body = Vec<Gate>)))]
async fn list_gates(actor: Actor, State(app): State<App>) -> ApiResult<Json<Vec<Gate>>> {
    Ok(Json(readers::gates(&app, &actor).await?))
}

/// Add a gate: two zones, neither a side of another gate. A gate the inventory engine would
/// refuse is answered 422, and nothing is stored.
#[utoipa::path(post, path = "/gates", tag = "readers", request_body = NewGate,
    responses((status = 201, body = Gate), (status = 422, body = ErrorBody)))]
async fn create_gate(
    actor: Actor,
    State(app): State<App>,
    Json(body): Json<NewGate>,
) -> ApiResult<(StatusCode, Json<Gate>)> {
    let gate = readers::create_gate(&app, &actor, body).await?;
    Ok((StatusCode::CREATED, Json(gate)))
}

#[utoipa::path(delete, path = "/gates/{id}", tag = "readers", responses((status = 204)))]
async fn delete_gate(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    readers::delete_gate(&app, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct UploadQuery {
    /// The reader name, for a CSV body.
    #[param(value_type = Option<String>, max_length = 500, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    pub reader: Option<Text>,
}

/// Upload a handheld's batch of reads, as JSON (`{"reader", "reads": […]}`) or CSV
/// (`text/csv`, `?reader=NAME`, header `epc,antenna,rssi_dbm,at`). All or nothing: one bad
/// row refuses the batch with its row number, and nothing is counted.
#[utoipa::path(post, path = "/reads", tag = "readers", params(UploadQuery), request_body = Upload,
    responses((status = 202, body = Uploaded), (status = 422, body = ErrorBody)))]
async fn upload_reads(
    actor: Actor,
    State(app): State<App>,
    Query(q): Query<UploadQuery>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<(StatusCode, Json<Uploaded>)> {
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
            reads: readers::parse_csv(&body)?,
        }
    } else {
        axum::Json::<Upload>::from_bytes(&body)?.0
    };
    let uploaded = readers::upload(&app, &actor, upload).await?;
    Ok((StatusCode::ACCEPTED, Json(uploaded)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AlertQuery {
    /// Only those not yet acknowledged.
    #[serde(default)]
    pub open: bool,
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    pub page: Option<PageNo>,
    pub per_page: Option<i64>,
    /// The id of the last item of the page before: the page after it (`page` is ignored).
    pub after: Option<i64>,
}

#[utoipa::path(get, path = "/alerts", tag = "readers", params(AlertQuery), responses((status = 200, body = Page<Alert>)))]
async fn list_alerts(
    actor: Actor,
    State(app): State<App>,
    Query(q): Query<AlertQuery>,
) -> ApiResult<Json<Page<Alert>>> {
    let paging = Paging {
        page: q.page,
        per_page: q.per_page,
        after: q.after,
    };
    Ok(Json(readers::alerts(&app, &actor, q.open, paging).await?))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Acknowledgement {
    #[serde(default)]
    pub note: Note,
}

#[utoipa::path(post, path = "/alerts/{id}/acknowledge", tag = "readers", request_body = Option<Acknowledgement>, responses((status = 200, body = Alert)))]
async fn acknowledge_alert(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
    OptionalJson(body): OptionalJson<Acknowledgement>,
) -> ApiResult<Json<Alert>> {
    Ok(Json(
        readers::acknowledge(&app, &actor, id, &body.note).await?,
    ))
}

/// A keeper's word on an uncertain passage.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PassageDecision {
    #[serde(default)]
    pub note: Note,
}

/// Confirm an uncertain passage: the lifecycle acts as the gate would have on a sure one —
/// the asset is issued on the order it waits on, returned from its loan pending inspection, or
/// an exit without an order is raised. Judged against the asset now: if it moved on since
/// (returned by hand, its order cancelled), 409 and nothing changes. Closes the alert; a
/// second decision is 409.
#[utoipa::path(post, path = "/alerts/{id}/confirm", tag = "readers", request_body = Option<PassageDecision>,
    responses((status = 200, body = Alert), (status = 409, body = ErrorBody)))]
async fn confirm_passage(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
    OptionalJson(body): OptionalJson<PassageDecision>,
) -> ApiResult<Json<Alert>> {
    Ok(Json(
        readers::confirm_passage(&app, &actor, id, &body.note).await?,
    ))
}

/// Dismiss an uncertain passage: nothing happened, and nothing changes but the alert, which
/// closes. A second decision is 409.
#[utoipa::path(post, path = "/alerts/{id}/dismiss", tag = "readers", request_body = Option<PassageDecision>,
    responses((status = 200, body = Alert), (status = 409, body = ErrorBody)))]
async fn dismiss_passage(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
    OptionalJson(body): OptionalJson<PassageDecision>,
) -> ApiResult<Json<Alert>> {
    Ok(Json(
        readers::dismiss_passage(&app, &actor, id, &body.note).await?,
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct StreamQuery {
    pub gate: Option<i64>,
    pub zone: Option<i64>,
    /// `loan:7`, `transfer:3`, …
    #[param(pattern = "^(intake|loan|transfer|disposal|compensation):[0-9]{1,18}$")]
    pub order: Option<String>,
    /// The language alerts' messages are said in: `en` (as written, the default) or
    /// `zh-CN` (简体中文, as the pages say them).
    #[param(pattern = "^(en|zh-CN)$")]
    pub lang: Option<String>,
}

/// Server-sent events: passages, alerts, state changes, zone presence, stocktake progress and
/// reader events as they happen. The SSE event name is the JSON's `type`. A session holds
/// at most a few streams at once (429 beyond), the server a few hundred (503 beyond).
#[utoipa::path(get, path = "/events/stream", tag = "readers", params(StreamQuery), responses((status = 200, content_type = "text/event-stream", body = live::LiveEvent)))]
async fn stream(
    actor: Actor,
    headers: HeaderMap,
    State(app): State<App>,
    Query(q): Query<StreamQuery>,
) -> ApiResult<impl IntoResponse> {
    let order = match &q.order {
        Some(text) => Some(live::Filter::parse_order(text).ok_or_else(|| {
            ApiError::BadRequest(format!("order {text:?}: write it as loan:7, transfer:3, …"))
        })?),
        None => None,
    };
    let chinese = match q.lang.as_deref() {
        None | Some("en") => false,
        Some("zh-CN") => true,
        Some(other) => {
            return Err(ApiError::BadRequest(format!(
                "lang {other:?}: write en or zh-CN"
            )))
        }
    };
    let filter = live::Filter {
        gate: q.gate,
        zone: q.zone,
        order,
    };
    let credential = cookie::credential(&headers).ok_or(ApiError::Unauthenticated)?;
    let feed = readers::follow(&app, &actor, &credential, filter)?;
    let events = futures_util::stream::unfold(feed, move |mut feed| async move {
        let sse = match feed.next().await? {
            Next::Event(mut event) => {
                if let (true, live::LiveEvent::Alert { alert }) = (chinese, &mut event) {
                    alert.message = crate::app::messages::chinese(&alert.message);
                }
                SseEvent::default()
                    .event(event.name())
                    .json_data(&event)
                    .unwrap_or_else(|_| SseEvent::default().comment("unserialisable event"))
            }
            // A slow listener missed some events: say so, and carry on with the newest.
            Next::Lagged(n) => SseEvent::default().event("lagged").data(n.to_string()),
        };
        Some((Ok::<_, Infallible>(sse), feed))
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::default()))
}
