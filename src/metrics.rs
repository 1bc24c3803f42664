//! What `/metrics` shows, in the Prometheus text format (0.0.4): one registry for the
//! process, fed where things happen (requests, sign-ins, reads, commits) and, for what is a
//! level rather than a count (reader states, queues, the pool), read when scraped.
//!
//! Names start with `depot_`; counters end in `_total`, durations are in seconds:
//! - `depot_http_requests_total{method, route, status}` and
//!   `depot_http_request_duration_seconds{method, route, status}` (until the response's
//!   head; `route` is the matched route template, `/api/loans/{id}`, or `unmatched`);
//! - `depot_sign_in_refusals_total{reason}`: `wrong_credentials` or `throttled`;
//! - `depot_reader_reads_total{reader}` (reader ids) and `depot_reader_status{reader, status}`
//!   (1 for the reader's status now: connected, connecting, disconnected, handheld,
//!   disabled, misconfigured);
//! - `depot_facts_total{kind}` (stored facts: arrived, left, moved, passed, between,
//!   settled) and `depot_fact_commit_duration_seconds` (one batch's transaction);
//! - `depot_queue_depth{queue}`: messages waiting in the pipeline's bounded channels
//!   (`reader_outputs` to the pump, `engine_input`, `facts` to the store);
//! - `depot_db_pool_connections{state}`: `idle` and `in_use`, and `depot_db_pool_max`.

use std::sync::LazyLock;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

/// The media type of the Prometheus text format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Http {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Reason {
    reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Reader {
    reader: i64,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReaderStatus {
    reader: i64,
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Kind {
    kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Queue {
    queue: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolState {
    state: &'static str,
}

type Histograms<L> = Family<L, Histogram, fn() -> Histogram>;

/// 1 ms to about 16 s, doubling.
fn seconds() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

struct Metrics {
    registry: Registry,
    http_requests: Family<Http, Counter>,
    http_duration: Histograms<Http>,
    sign_in_refusals: Family<Reason, Counter>,
    reads: Family<Reader, Counter>,
    reader_status: Family<ReaderStatus, Gauge>,
    facts: Family<Kind, Counter>,
    commit: Histogram,
    queues: Family<Queue, Gauge>,
    pool: Family<PoolState, Gauge>,
    pool_max: Gauge,
}

static METRICS: LazyLock<Metrics> = LazyLock::new(|| {
    let mut registry = Registry::with_prefix("depot");
    let m = Metrics {
        http_requests: Family::default(),
        http_duration: Family::new_with_constructor(seconds),
        sign_in_refusals: Family::default(),
        reads: Family::default(),
        reader_status: Family::default(),
        facts: Family::default(),
        commit: seconds(),
        queues: Family::default(),
        pool: Family::default(),
        pool_max: Gauge::default(),
        registry: Registry::default(),
    };
    registry.register(
        "http_requests",
        "HTTP requests answered, by method, route template and status",
        m.http_requests.clone(),
    );
    registry.register(
        "http_request_duration_seconds",
        "Time to answer an HTTP request (until the response's head), by method, route template and status",
        m.http_duration.clone(),
    );
    registry.register(
        "sign_in_refusals",
        "Sign-ins refused, by reason: wrong_credentials or throttled",
        m.sign_in_refusals.clone(),
    );
    registry.register(
        "reader_reads",
        "Tag reads received from each reader, fixed or handheld (by reader id)",
        m.reads.clone(),
    );
    registry.register(
        "reader_status",
        "1 for each reader's status now (by reader id)",
        m.reader_status.clone(),
    );
    registry.register(
        "facts",
        "Facts of the inventory engine stored, by kind",
        m.facts.clone(),
    );
    registry.register(
        "fact_commit_duration_seconds",
        "Time to store one batch of facts and act on them (one transaction)",
        m.commit.clone(),
    );
    registry.register(
        "queue_depth",
        "Messages waiting in the reader pipeline's bounded channels",
        m.queues.clone(),
    );
    registry.register(
        "db_pool_connections",
        "PostgreSQL connections of the pool, idle or in use",
        m.pool.clone(),
    );
    registry.register(
        "db_pool_max",
        "The most connections the pool opens",
        m.pool_max.clone(),
    );
    Metrics { registry, ..m }
});

/// A sign-in was refused: `wrong_credentials` or `throttled`.
pub fn sign_in_refused(reason: &'static str) {
    METRICS
        .sign_in_refusals
        .get_or_create(&Reason { reason })
        .inc();
}

/// `n` reads came from reader `reader`.
pub fn reads(reader: i64, n: u64) {
    METRICS.reads.get_or_create(&Reader { reader }).inc_by(n);
}

/// A batch of facts was committed after `took`: `kinds` are the stored facts' kinds.
pub fn committed<'a>(kinds: impl IntoIterator<Item = &'a str>, took: Duration) {
    METRICS.commit.observe(took.as_secs_f64());
    for kind in kinds {
        if let Some(kind) = fact_kind(kind) {
            METRICS.facts.get_or_create(&Kind { kind }).inc();
        }
    }
}

/// The fact kinds as `'static` labels.
fn fact_kind(kind: &str) -> Option<&'static str> {
    ["arrived", "left", "moved", "passed", "between", "settled"]
        .into_iter()
        .find(|k| *k == kind)
}

/// Levels read when scraped.
pub struct Levels {
    /// (reader id, status)
    pub readers: Vec<(i64, String)>,
    /// (queue, messages waiting)
    pub queues: Vec<(&'static str, u64)>,
    pub pool_size: u32,
    pub pool_idle: u32,
    pub pool_max: u32,
}

/// The registry in the Prometheus text format, with `levels` as they are now.
pub fn render(levels: &Levels) -> String {
    // One scrape at a time: the reader states are cleared and set again.
    static RENDERING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one = RENDERING
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let m = &*METRICS;
    m.reader_status.clear();
    for (reader, status) in &levels.readers {
        m.reader_status
            .get_or_create(&ReaderStatus {
                reader: *reader,
                status: status.clone(),
            })
            .set(1);
    }
    for (queue, depth) in &levels.queues {
        m.queues
            .get_or_create(&Queue { queue })
            .set(i64::try_from(*depth).unwrap_or(i64::MAX));
    }
    let in_use = levels.pool_size.saturating_sub(levels.pool_idle);
    m.pool
        .get_or_create(&PoolState { state: "idle" })
        .set(levels.pool_idle.into());
    m.pool
        .get_or_create(&PoolState { state: "in_use" })
        .set(in_use.into());
    m.pool_max.set(levels.pool_max.into());
    let mut out = String::new();
    // Writing into a String cannot fail.
    let _ = prometheus_client::encoding::prometheus_text::encode(&mut out, &m.registry);
    out
}

/// Middleware for the whole router: counts and times every request by the route template
/// that matched it (which [`matched_route`], a route layer, hands out on the response).
pub async fn track(req: Request, next: Next) -> Response {
    let method = req.method().as_str().to_owned();
    let started = Instant::now();
    let response = next.run(req).await;
    let route = response
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |p| p.as_str())
        .to_owned();
    let labels = Http {
        method,
        route,
        status: response.status().as_u16(),
    };
    METRICS
        .http_duration
        .get_or_create(&labels)
        .observe(started.elapsed().as_secs_f64());
    METRICS.http_requests.get_or_create(&labels).inc();
    response
}

/// Route layer: puts the matched route template on the response for [`track`], which runs
/// outside the routing and so cannot see it on the request.
pub async fn matched_route(req: Request, next: Next) -> Response {
    let matched = req.extensions().get::<MatchedPath>().cloned();
    let mut response = next.run(req).await;
    if let Some(matched) = matched {
        response.extensions_mut().insert(matched);
    }
    response
}
