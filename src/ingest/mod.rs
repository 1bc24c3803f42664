//! Readers drive the lifecycle: tag reads from the reader drivers (and handheld uploads) go
//! through the inventory engine; its facts are stored, reconciled against open orders,
//! counted into running stocktakes and published live.
//!
//! ```text
//! drivers ──ReaderOutput──▶ pump ──Input::Reads──▶ engine thread ──Vec<Fact>──▶ processor ──▶ PostgreSQL
//!                                                                                   └──▶ live (broadcast)
//! ```
//! Every channel is bounded: when PostgreSQL is slow or away, the processor keeps its batch and
//! retries, the engine waits on its full output, the pump on the engine, the drivers on the
//! pump. Nothing is dropped and, because facts have stable keys, nothing is written twice.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use depot_readers::{Epc, ReaderId, TagRead};
use serde::Serialize;
use sqlx::{PgConnection, PgPool};
use tokio::sync::{broadcast, mpsc, oneshot, RwLock};
use utoipa::ToSchema;

use crate::db;
use crate::db::stocktakes::Sighting;
use crate::engine::runner::{self, Input};
use crate::engine::{EngineConfig, Fact, Progress, Stocktake, ZoneId};

/// Which readers this instance drives when several share one database.
pub mod claim;
/// What the live stream carries, and its filters.
pub mod live;
/// Facts into PostgreSQL, idempotently, with gate reconciliation.
pub mod persist;
/// The live stream across instances, as PostgreSQL notifications.
mod shared;
/// A simulated reader (`sim://gate?…`): the trace synthesizer's dock door in real time.
pub mod sim;
/// One driver per configured reader, restarted when it fails; reader health.
mod supervisor;

pub use live::LiveEvent;
pub use supervisor::Health;

/// How the pipeline runs.
#[derive(Debug, Clone)]
pub struct Options {
    /// Advance the engine by the wall clock this often, so tags leave zones and gate
    /// passages are judged even when no reads come. `None`: only reads move time (tests
    /// and replays, which advance explicitly).
    pub tick: Option<Duration>,
    /// Start drivers for the configured readers.
    pub connect_readers: bool,
    /// Capacity of each bounded channel (messages).
    pub capacity: usize,
    /// Keep each stored fact's latency (commit time − fact time) for `depot bench ingest`.
    pub record_latency: bool,
    /// Reads dated further ahead of this host's clock are refused (and reads before 2000).
    pub clock_skew: Duration,
    /// A reader whose link failed is tried again at most this long apart.
    pub reader_backoff_max: Duration,
    /// This instance among those on the same database: the readers it drives are those
    /// whose locks it holds, and its live events reach the others (with `connect_readers`).
    pub instance: claim::Instance,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            tick: Some(Duration::from_millis(250)),
            connect_readers: true,
            capacity: 64,
            record_latency: false,
            clock_skew: DEFAULT_CLOCK_SKEW,
            reader_backoff_max: depot_readers::Backoff::DEFAULT_MAX,
            instance: claim::Instance::new(None),
        }
    }
}

/// The site as the engine and the reconciliation see it, loaded from the database.
#[derive(Debug, Clone, Default)]
pub struct Site {
    pub engine: EngineConfig,
    pub readers: Vec<db::readers::Reader>,
    gates: HashMap<i64, (String, i64)>,
    zone_readers: HashMap<i64, Vec<i64>>,
}

impl Site {
    /// The site as `conn` sees it: inside a transaction, with its uncommitted changes, so a
    /// change can be judged before it is committed ([`Site::check`]).
    pub async fn load(conn: &mut PgConnection) -> db::Result<Site> {
        let readers = db::readers::list(conn).await?;
        let gates = db::readers::gates(conn).await?;
        let zones = db::readers::zone_smoothing(conn).await?;
        let config = serde_json::json!({
            "readers": readers.iter().map(|r| serde_json::json!({"id": r.id, "name": r.name})).collect::<Vec<_>>(),
            "zones": zones.iter().map(|(id, name, smoothing)| match smoothing {
                Some(smoothing) => serde_json::json!({"id": id, "name": name, "smoothing": smoothing}),
                None => serde_json::json!({"id": id, "name": name}),
            }).collect::<Vec<_>>(),
            "read_points": readers.iter().flat_map(|r| r.read_points.iter().map(move |p| serde_json::json!({"reader": r.id, "antenna": p.antenna, "zone": p.zone_id}))).collect::<Vec<_>>(),
            "gates": gates.iter().map(|g| {
                let mut gate = serde_json::json!({"id": g.id, "name": g.name, "inside": g.inside_zone_id, "outside": g.outside_zone_id});
                if let Some(min) = g.min_confidence {
                    gate["min_confidence"] = serde_json::json!(min);
                }
                gate
            }).collect::<Vec<_>>(),
        });
        let engine: EngineConfig = serde_json::from_value(config)
            .map_err(|e| db::Error::Invalid(format!("reader configuration: {e}")))?;
        let mut zone_readers: HashMap<i64, Vec<i64>> = HashMap::new();
        for r in &readers {
            for p in &r.read_points {
                zone_readers.entry(p.zone_id).or_default().push(r.id);
            }
        }
        Ok(Site {
            engine,
            gates: gates
                .iter()
                .map(|g| (g.id, (g.name.clone(), g.inside_zone_id)))
                .collect(),
            readers,
            zone_readers,
        })
    }

    /// Whether the engine would run this site.
    pub fn check(&self) -> Result<(), crate::engine::config::ConfigError> {
        self.engine.validate()
    }

    fn gate_name(&self, id: i64) -> &str {
        self.gates.get(&id).map(|(n, _)| n.as_str()).unwrap_or("?")
    }

    fn inside_zone(&self, id: i64) -> i64 {
        self.gates.get(&id).map(|(_, z)| *z).unwrap_or_default()
    }

    /// The reader of a zone, when only one reader serves it.
    fn only_reader_of(&self, zone: i64) -> Option<i64> {
        match self.zone_readers.get(&zone).map(Vec::as_slice) {
            Some([one]) => Some(*one),
            _ => None,
        }
    }

    /// The zone a reader's antenna stands for.
    pub fn zone_of(&self, reader: i64, antenna: u16) -> Option<ZoneId> {
        self.engine
            .read_points
            .iter()
            .find(|p| p.reader as i64 == reader && p.antenna == antenna)
            .map(|p| p.zone)
    }
}

/// At most this many tags are restored by [`Ingest::recall`] (the most recently seen).
pub const RECALL_MAX: i64 = 2_000_000;

/// A walk test may keep at most this many reads: a walk of a few reference tags through a
/// door makes a few thousand; a tag left on the door frame would fill memory without it.
pub const WALK_MAX_READS: usize = 100_000;
/// A walk test keeps reads for at most this long after it starts; a keeper who walks away
/// without finishing it leaves no tap copying reads for ever.
pub const WALK_MAX_DURATION: Duration = Duration::from_secs(10 * 60);

/// The reads of one running walk test, copied from [`Ingest::feed`].
struct Walk {
    /// The gate's antennas: `true` inside, `false` outside.
    antennas: HashMap<(u32, u16), bool>,
    reads: Vec<TagRead>,
    dropped: u64,
    until: std::time::Instant,
}

/// What a finished walk test recorded.
#[derive(Debug, Default)]
pub struct WalkReads {
    pub reads: Vec<TagRead>,
    /// The gate's antennas as they were when the test started: `true` inside.
    pub antennas: HashMap<(u32, u16), bool>,
    /// Reads past the bounds ([`WALK_MAX_READS`], [`WALK_MAX_DURATION`]), not kept.
    pub dropped: u64,
}

/// Counters of the pipeline, for health and benchmarks.
#[derive(Debug, Default)]
pub struct Stats {
    pub reads: AtomicU64,
    pub facts: AtomicU64,
    pub batches: AtomicU64,
    pub retries: AtomicU64,
    /// Reads refused for their time (see [`check_read_time`]).
    pub refused: AtomicU64,
    /// Reader outputs waiting for the pump, as the watchdog last saw them.
    pump_queue: AtomicU64,
    /// Fact batches waiting for the processor, as it last saw them.
    fact_queue: AtomicU64,
    /// µs from a fact's time to its commit, when `Options::record_latency` is on.
    latencies: Mutex<Vec<u64>>,
    /// Live events not shared with the other instances (queue full, database away).
    live_dropped: AtomicU64,
}

#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct StatsSnapshot {
    pub reads: u64,
    pub facts: u64,
    pub batches: u64,
    pub retries: u64,
    /// Reads refused because their time was not believable.
    pub refused: u64,
    /// Live events not shared with the other instances on the database (its queue full,
    /// the database away): their live streams missed them.
    pub live_dropped: u64,
}

struct Session {
    stocktake: Stocktake,
    scope: HashSet<ZoneId>,
}

enum Control {
    /// Facts now come from a new engine (after a reload); drain the old one first.
    Engine(mpsc::Receiver<Vec<Fact>>),
    /// Everything fed before this point is stored: tell the sender.
    Barrier(oneshot::Sender<()>),
}

struct Inner {
    pool: PgPool,
    options: Options,
    engine: RwLock<mpsc::Sender<Input>>,
    control: mpsc::Sender<Control>,
    live: broadcast::Sender<LiveEvent>,
    site: std::sync::RwLock<Arc<Site>>,
    sessions: Mutex<HashMap<i64, Session>>,
    /// Running walk tests, by walk test id.
    walks: Mutex<HashMap<i64, Walk>>,
    /// How many walk tests run: `feed` looks at `walks` only when some do.
    walking: AtomicU64,
    supervisor: tokio::sync::Mutex<supervisor::Supervisor>,
    /// The readers whose locks this instance holds (see [`claim`]): those it drives.
    owned: Mutex<HashSet<i64>>,
    /// Where live events go to reach the other instances.
    share: Option<mpsc::Sender<LiveEvent>>,
    health: Arc<Mutex<HashMap<i64, Health>>>,
    stats: Stats,
}

/// The running pipeline. Cheap to clone.
#[derive(Clone)]
pub struct Ingest {
    inner: Arc<Inner>,
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("{0}")]
    Db(#[from] db::Error),
    #[error("the inventory engine refused the reader configuration: {0}")]
    Config(String),
    #[error("the inventory engine has stopped")]
    Stopped,
}

impl From<sqlx::Error> for IngestError {
    fn from(e: sqlx::Error) -> Self {
        IngestError::Db(e.into())
    }
}

/// The engine for `config`. A service's engine (one that drives readers) ends without
/// making its tags leave: the next one restores them; a replay's ends as its trace does.
fn start_engine(config: &EngineConfig, options: &Options) -> Result<runner::Running, IngestError> {
    let engine = crate::engine::Engine::new(config.clone())
        .map_err(|e| IngestError::Config(e.to_string()))?;
    let end = match options.connect_readers {
        true => runner::End::Close,
        false => runner::End::Flush,
    };
    runner::spawn_ending(engine, options.capacity, end)
        .map_err(|e| IngestError::Config(e.to_string()))
}

impl Ingest {
    /// Load the site, start the engine, the processor and (if asked) the reader drivers.
    pub async fn start(pool: PgPool, options: Options) -> Result<Ingest, IngestError> {
        let site = Arc::new(Site::load(&mut *pool.acquire().await?).await?);
        let running = start_engine(&site.engine, &options)?;
        let (control, control_rx) = mpsc::channel(16);
        let (live, _) = broadcast::channel(4096);
        let (share, shared) = match options.connect_readers {
            true => {
                let (tx, rx) = mpsc::channel(shared::QUEUE);
                (Some(tx), Some(rx))
            }
            false => (None, None),
        };
        let inner = Arc::new(Inner {
            pool,
            engine: RwLock::new(running.input.clone()),
            control,
            live,
            site: std::sync::RwLock::new(site),
            sessions: Mutex::new(HashMap::new()),
            walks: Mutex::new(HashMap::new()),
            walking: AtomicU64::new(0),
            supervisor: tokio::sync::Mutex::new(supervisor::Supervisor::default()),
            owned: Mutex::new(HashSet::new()),
            share,
            health: Arc::new(Mutex::new(HashMap::new())),
            stats: Stats::default(),
            options,
        });
        let ingest = Ingest { inner };
        tokio::spawn(ingest.clone().process(running.facts, control_rx));
        if let Some(every) = ingest.inner.options.tick {
            tokio::spawn(ingest.clone().tick(every));
        }
        if ingest.inner.options.connect_readers {
            // The first round before any driver starts: a single instance drives its
            // readers from the start, a second one stands by for those already driven.
            let mut claimer = claim::Claimer::new(ingest.clone());
            match tokio::time::timeout(claim::CHECK_TIMEOUT, claimer.round()).await {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "cannot take readers yet; trying again every second")
                }
                Err(_) => {
                    tracing::warn!("cannot take readers yet (no answer); trying again every second")
                }
            }
            let owned = ingest.inner.owned.locked().clone();
            ingest
                .recall(&owned.iter().copied().collect::<Vec<_>>())
                .await;
            ingest
                .inner
                .supervisor
                .lock()
                .await
                .start(&ingest, &owned)
                .await;
            tokio::spawn(claimer.run());
        }
        if let Some(queue) = shared {
            tokio::spawn(shared::send(ingest.clone(), queue));
            tokio::spawn(shared::listen(ingest.clone()));
            tokio::spawn(ingest.clone().follow(claim::CLAIM_EVERY));
        }
        Ok(ingest)
    }

    pub fn pool(&self) -> &PgPool {
        &self.inner.pool
    }

    pub fn site(&self) -> Arc<Site> {
        self.inner
            .site
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub fn subscribe(&self) -> broadcast::Receiver<LiveEvent> {
        self.inner.live.subscribe()
    }

    pub fn stats(&self) -> StatsSnapshot {
        let s = &self.inner.stats;
        StatsSnapshot {
            reads: s.reads.load(Ordering::Relaxed),
            facts: s.facts.load(Ordering::Relaxed),
            batches: s.batches.load(Ordering::Relaxed),
            retries: s.retries.load(Ordering::Relaxed),
            refused: s.refused.load(Ordering::Relaxed),
            live_dropped: s.live_dropped.load(Ordering::Relaxed),
        }
    }

    /// The latencies recorded so far (µs), emptied.
    pub fn take_latencies(&self) -> Vec<u64> {
        std::mem::take(&mut *self.inner.stats.latencies.locked())
    }

    /// Reader health, by reader id.
    /// Messages waiting in the pipeline's bounded channels: reader outputs for the pump,
    /// reads for the engine, fact batches for the processor.
    pub fn queues(&self) -> Vec<(&'static str, u64)> {
        let engine = self
            .inner
            .engine
            .try_read()
            .map_or(0, |tx| (tx.max_capacity() - tx.capacity()) as u64);
        vec![
            (
                "reader_outputs",
                self.inner.stats.pump_queue.load(Ordering::Relaxed),
            ),
            ("engine_input", engine),
            ("facts", self.inner.stats.fact_queue.load(Ordering::Relaxed)),
        ]
    }

    pub fn health(&self) -> HashMap<i64, Health> {
        self.inner.health.locked().clone()
    }

    /// An event for the live stream, here and on the other instances.
    fn publish(&self, event: LiveEvent) {
        if let Some(share) = &self.inner.share {
            if share.try_send(event.clone()).is_err() {
                self.inner
                    .stats
                    .live_dropped
                    .fetch_add(1, Ordering::Relaxed);
            }
        }
        self.publish_here(event);
    }

    /// An event for this instance's live stream only (one another instance shared).
    fn publish_here(&self, event: LiveEvent) {
        // No listener is fine: the stream is for whoever watches.
        let _ = self.inner.live.send(event);
    }

    /// Feed reads (waits when the engine is busy: backpressure).
    pub async fn feed(&self, mut reads: Vec<TagRead>) -> Result<(), IngestError> {
        self.refuse_unbelievable(&mut reads);
        if reads.is_empty() {
            return Ok(());
        }
        self.inner
            .stats
            .reads
            .fetch_add(reads.len() as u64, Ordering::Relaxed);
        if self.inner.walking.load(Ordering::Relaxed) > 0 {
            self.tap(&reads);
        }
        self.inner
            .engine
            .read()
            .await
            .send(Input::Reads(reads))
            .await
            .map_err(|_| IngestError::Stopped)
    }

    /// Tell the engine that `reader` (re)connected, after the reads it delivered before: at
    /// a gate, what it hears first may have begun in the doorway unheard.
    pub(crate) async fn reader_connected(&self, reader: ReaderId) -> Result<(), IngestError> {
        self.inner
            .engine
            .read()
            .await
            .send(Input::With(Box::new(move |engine| {
                engine.reader_connected(reader)
            })))
            .await
            .map_err(|_| IngestError::Stopped)
    }

    /// How far ahead of this host's clock a read may be dated.
    pub fn clock_skew(&self) -> Duration {
        self.inner.options.clock_skew
    }

    /// Drop the reads whose time is not believable ([`check_read_time`]): the engine's clock
    /// never runs ahead of this host's clock by more than the skew. Each refusal is counted
    /// in the stats and in its reader's health, and logged the first time and then every
    /// 10,000th for that reader.
    fn refuse_unbelievable(&self, reads: &mut Vec<TagRead>) {
        let now = now_us();
        let skew = self.inner.options.clock_skew;
        if reads
            .iter()
            .all(|r| check_read_time(r.timestamp_us, now, skew).is_ok())
        {
            return;
        }
        let mut refused: HashMap<i64, (u64, ReadTimeError)> = HashMap::new();
        reads.retain(|r| match check_read_time(r.timestamp_us, now, skew) {
            Ok(()) => true,
            Err(e) => {
                let seen = refused.entry(i64::from(r.reader.0)).or_insert((0, e));
                *seen = (seen.0 + 1, e);
                false
            }
        });
        let total: u64 = refused.values().map(|(n, _)| n).sum();
        self.inner.stats.refused.fetch_add(total, Ordering::Relaxed);
        let mut health = self.inner.health.locked();
        for (reader, (n, e)) in refused {
            let h = health.entry(reader).or_default();
            let before = h.refused_reads;
            h.refused_reads += n;
            h.last_error = Some(format!("a read was refused: {e}"));
            if before == 0 || before / 10_000 != h.refused_reads / 10_000 {
                tracing::warn!(reader, refused = h.refused_reads, "reads refused: {e}");
            }
        }
    }

    /// Copy the reads of the gates under a walk test, within each test's bounds.
    fn tap(&self, reads: &[TagRead]) {
        let now = std::time::Instant::now();
        let mut walks = self.inner.walks.locked();
        for walk in walks.values_mut() {
            for r in reads {
                if !walk.antennas.contains_key(&(r.reader.0, r.antenna)) {
                    continue;
                }
                if now > walk.until || walk.reads.len() >= WALK_MAX_READS {
                    walk.dropped += 1;
                } else {
                    walk.reads.push(*r);
                }
            }
        }
    }

    /// Start copying the reads of a gate's antennas for walk test `id`.
    pub fn start_walk(&self, id: i64, gate: i64) -> Result<(), IngestError> {
        let site = self.site();
        let config = site
            .engine
            .gates
            .iter()
            .find(|g| i64::from(g.id.0) == gate)
            .ok_or_else(|| IngestError::Config(format!("gate {gate} is not running")))?;
        let antennas: HashMap<(u32, u16), bool> = site
            .engine
            .read_points
            .iter()
            .filter(|p| p.zone == config.inside || p.zone == config.outside)
            .map(|p| ((p.reader, p.antenna), p.zone == config.inside))
            .collect();
        let walk = Walk {
            antennas,
            reads: Vec::new(),
            dropped: 0,
            until: std::time::Instant::now() + WALK_MAX_DURATION,
        };
        let mut walks = self.inner.walks.locked();
        if walks.insert(id, walk).is_none() {
            self.inner.walking.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    }

    /// Stop walk test `id` and take what it recorded (nothing if the service restarted since
    /// it began). Reads fed before this call are all in.
    pub fn finish_walk(&self, id: i64) -> WalkReads {
        let mut walks = self.inner.walks.locked();
        match walks.remove(&id) {
            Some(walk) => {
                self.inner.walking.fetch_sub(1, Ordering::Relaxed);
                WalkReads {
                    reads: walk.reads,
                    antennas: walk.antennas,
                    dropped: walk.dropped,
                }
            }
            None => WalkReads::default(),
        }
    }

    /// Whether walk test `id` is recording here, and how many reads it holds.
    pub fn walk_reads(&self, id: i64) -> Option<usize> {
        let walks = self.inner.walks.locked();
        walks.get(&id).map(|w| w.reads.len())
    }

    /// Move engine time forward to `timestamp_us` (fires the timeouts due before it).
    pub async fn advance_to(&self, timestamp_us: u64) -> Result<(), IngestError> {
        self.inner
            .engine
            .read()
            .await
            .send(Input::AdvanceTo(timestamp_us))
            .await
            .map_err(|_| IngestError::Stopped)
    }

    /// Wait until everything fed so far has been judged by the engine and stored.
    pub async fn sync(&self) -> Result<(), IngestError> {
        let (done, wait) = oneshot::channel();
        let control = self.inner.control.clone();
        // Runs on the engine thread after every earlier input, so the facts of those inputs
        // are already queued for the processor ahead of the barrier it sends.
        let barrier = Input::With(Box::new(move |_| {
            let _ = control.blocking_send(Control::Barrier(done));
        }));
        self.inner
            .engine
            .read()
            .await
            .send(barrier)
            .await
            .map_err(|_| IngestError::Stopped)?;
        wait.await.map_err(|_| IngestError::Stopped)
    }

    /// Restore the presence last decided in the zones `readers` read (doors left out: their
    /// tracks start afresh), before their drivers start: tags still on the shelves stay
    /// where they were, with no new arrival, and their first reads are weighed from there.
    /// A failure is logged: the tags are then placed anew from their reads.
    pub(crate) async fn recall(&self, readers: &[i64]) {
        let site = self.site();
        let doors: HashSet<i64> = site
            .engine
            .gates
            .iter()
            .flat_map(|g| [i64::from(g.inside.0), i64::from(g.outside.0)])
            .collect();
        let zones: Vec<i64> = site
            .readers
            .iter()
            .filter(|r| readers.contains(&r.id))
            .flat_map(|r| r.read_points.iter().map(|p| p.zone_id))
            .filter(|z| !doors.contains(z))
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        if zones.is_empty() {
            return;
        }
        let recalled = async {
            let present =
                db::facts::present(&mut *self.inner.pool.acquire().await?, &zones, RECALL_MAX)
                    .await?;
            let tags: Vec<(Epc, ZoneId)> = present
                .iter()
                .filter_map(|(epc, zone)| Some((Epc::from_hex(epc).ok()?, ZoneId(*zone as u32))))
                .collect();
            self.advance_to(now_us()).await?;
            self.ask(move |e| {
                tags.iter()
                    .filter(|(epc, zone)| e.recall(epc, *zone))
                    .count()
            })
            .await
        };
        match recalled.await {
            Ok(n) => {
                tracing::info!(tags = n, zones = ?zones, "restored the tags last seen in the zones")
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot restore the tags last seen; they are placed anew as they are read")
            }
        }
    }

    /// Ask the engine something between two inputs.
    async fn ask<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut crate::engine::Engine) -> T + Send + 'static,
    ) -> Result<T, IngestError> {
        let (tx, rx) = oneshot::channel();
        let job = Input::With(Box::new(move |engine| {
            let _ = tx.send(f(engine));
        }));
        self.inner
            .engine
            .read()
            .await
            .send(job)
            .await
            .map_err(|_| IngestError::Stopped)?;
        rx.await.map_err(|_| IngestError::Stopped)
    }

    /// Reload readers, read points and gates from the database (see [`Ingest::apply`]).
    pub async fn reload(&self) -> Result<(), IngestError> {
        let site = Site::load(&mut *self.inner.pool.acquire().await?).await?;
        self.apply(site).await
    }

    /// Run a new site: the new engine starts first, and only once it runs are the drivers
    /// restarted and the old engine flushed and replaced. A site the engine refuses leaves the
    /// previous configuration running, drivers and all.
    pub async fn apply(&self, site: Site) -> Result<(), IngestError> {
        let site = Arc::new(site);
        let running = start_engine(&site.engine, &self.inner.options)?;
        let mut supervisor = self.inner.supervisor.lock().await;
        supervisor.stop().await;
        *self
            .inner
            .site
            .write()
            .unwrap_or_else(PoisonError::into_inner) = site;
        // Dropping the old sender lets the old engine end (its gate tracks judged; its tags
        // left where they are); the processor drains it before it takes facts from the new
        // one.
        *self.inner.engine.write().await = running.input.clone();
        self.inner
            .control
            .send(Control::Engine(running.facts))
            .await
            .map_err(|_| IngestError::Stopped)?;
        if self.inner.options.connect_readers {
            let owned = self.inner.owned.locked().clone();
            // The new engine starts from the tags last seen, as a restart does.
            self.recall(&owned.iter().copied().collect::<Vec<_>>())
                .await;
            supervisor.start(self, &owned).await;
        }
        Ok(())
    }

    /// Stop the drivers and the engine; every fact is stored before this returns.
    pub async fn shutdown(&self) {
        self.inner.supervisor.lock().await.stop().await;
        let _ = self.sync().await;
    }

    /// Every `every`: [`Ingest::follow_stocktakes`].
    async fn follow(self, every: Duration) {
        let mut interval = tokio::time::interval(every);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            if let Err(e) = self.follow_stocktakes().await {
                tracing::debug!(error = %e, "cannot follow the running stocktakes yet");
            }
        }
    }

    async fn tick(self, every: Duration) {
        let mut interval = tokio::time::interval(every);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            if self.advance_to(now_us()).await.is_err() {
                return;
            }
        }
    }

    /// The processor: takes fact batches as the engine makes them, groups what has queued
    /// up into one transaction, retries until the database takes it, then publishes.
    async fn process(
        self,
        mut facts: mpsc::Receiver<Vec<Fact>>,
        mut control: mpsc::Receiver<Control>,
    ) {
        let mut next_engine: Option<mpsc::Receiver<Vec<Fact>>> = None;
        let mut barriers: Vec<oneshot::Sender<()>> = Vec::new();
        loop {
            let mut pending: Vec<Fact> = Vec::new();
            tokio::select! {
                biased;
                msg = control.recv() => match msg {
                    Some(Control::Engine(rx)) => next_engine = Some(rx),
                    Some(Control::Barrier(done)) => barriers.push(done),
                    None => return,
                },
                batch = facts.recv() => match batch {
                    Some(batch) => pending.extend(batch),
                    None => match next_engine.take() {
                        Some(rx) => facts = rx,
                        // The engine ended and no other follows: wait for a reload or the end.
                        None => match control.recv().await {
                            Some(Control::Engine(rx)) => facts = rx,
                            Some(Control::Barrier(done)) => barriers.push(done),
                            None => return,
                        },
                    },
                },
            }
            // Group whatever else is already queued, up to a bound; all of it when someone
            // waits on a barrier, since every fact queued before the barrier must be stored
            // before it is answered.
            while pending.len() < 20_000 || !barriers.is_empty() {
                match facts.try_recv() {
                    Ok(batch) => pending.extend(batch),
                    Err(_) => break,
                }
            }
            self.inner
                .stats
                .fact_queue
                .store(facts.len() as u64, Ordering::Relaxed);
            if !pending.is_empty() {
                self.handle(&pending).await;
            }
            for done in barriers.drain(..) {
                let _ = done.send(());
            }
        }
    }

    async fn handle(&self, facts: &[Fact]) {
        let (changed, sightings) = self.count_into_stocktakes(facts);
        let site = self.site();
        let mut delay = Duration::from_millis(50);
        let mut failures = 0u32;
        let live = loop {
            let started = std::time::Instant::now();
            match persist::persist(&self.inner.pool, &site, facts).await {
                Ok(live) => {
                    crate::metrics::committed(
                        facts.iter().filter_map(persist::kind),
                        started.elapsed(),
                    );
                    if failures > 0 {
                        tracing::info!(
                            facts = facts.len(),
                            failures,
                            "facts stored after the database came back"
                        );
                    }
                    break live;
                }
                Err(e) => {
                    self.inner.stats.retries.fetch_add(1, Ordering::Relaxed);
                    failures += 1;
                    // Said once per outage; the retries (every few seconds while it lasts)
                    // at debug.
                    if failures == 1 {
                        tracing::warn!(error = %e, facts = facts.len(), "storing facts failed; keeping them and retrying until the database takes them");
                    } else {
                        tracing::debug!(error = %e, facts = facts.len(), failures, retry_in_ms = delay.as_millis() as u64, "storing facts failed again");
                    }
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(5));
                }
            }
        };
        if self.inner.options.record_latency {
            let now = now_us();
            let mut latencies = self.inner.stats.latencies.locked();
            latencies.extend(
                facts
                    .iter()
                    .filter(|f| f.epc().is_some())
                    .map(|f| now.saturating_sub(f.at())),
            );
        }
        self.inner
            .stats
            .facts
            .fetch_add(facts.len() as u64, Ordering::Relaxed);
        self.inner.stats.batches.fetch_add(1, Ordering::Relaxed);
        for event in live {
            self.publish(event);
        }
        self.record_sightings(&sightings).await;
        for (id, p) in changed {
            self.publish(progress_event(id, p));
        }
    }

    /// Record sightings for whichever instance finishes their stocktakes, retrying until
    /// the database takes them (as facts are).
    async fn record_sightings(&self, sightings: &[Sighting]) {
        if sightings.is_empty() {
            return;
        }
        let mut delay = Duration::from_millis(50);
        for attempt in 1u32.. {
            let recorded = async {
                let mut conn = self.inner.pool.acquire().await?;
                db::stocktakes::record_sightings(&mut conn, sightings).await
            };
            match recorded.await {
                Ok(()) => return,
                Err(e) if attempt == 1 => {
                    tracing::warn!(error = %e, sightings = sightings.len(), "storing stocktake sightings failed; retrying until the database takes them")
                }
                Err(e) => {
                    tracing::debug!(error = %e, attempt, "storing stocktake sightings failed again")
                }
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(5));
        }
    }

    /// Apply facts to running stocktakes: the sessions whose progress changed, and the
    /// sightings to record (each instance records what its own readers see).
    fn count_into_stocktakes(&self, facts: &[Fact]) -> (Vec<(i64, Progress)>, Vec<Sighting>) {
        let mut sessions = self.inner.sessions.locked();
        let mut changed = Vec::new();
        let mut sightings = Vec::new();
        for (id, session) in sessions.iter_mut() {
            let before = session.stocktake.progress();
            for f in facts {
                session.stocktake.apply(f);
                if let Some((epc, zone, other)) = sighted(f) {
                    if session.scope.contains(&zone) {
                        sightings.push(sighting(*id, epc, zone, other, f.at()));
                    }
                }
            }
            let after = session.stocktake.progress();
            if after != before {
                changed.push((*id, after));
            }
        }
        (changed, sightings)
    }

    /// Start counting a stocktake: the register's expectation, the scope, and what the engine
    /// already sees there.
    pub async fn start_stocktake(
        &self,
        id: i64,
        expected: Vec<(Epc, ZoneId)>,
        scope: Vec<ZoneId>,
    ) -> Result<(Progress, Vec<Sighting>), IngestError> {
        let scope: HashSet<ZoneId> = scope.into_iter().collect();
        let mut stocktake = Stocktake::new(expected, scope.iter().copied());
        let in_scope = scope.clone();
        let (present, between) = self
            .ask(move |e| {
                let present = e
                    .located()
                    .into_iter()
                    .filter(|(_, z)| in_scope.contains(z))
                    .collect::<Vec<_>>();
                (present, e.located_between())
            })
            .await?;
        let now = now_us();
        let mut seen = Vec::new();
        for (epc, zone) in present {
            stocktake.observe(epc, zone);
            seen.push(sighting(id, epc, zone, None, now));
        }
        // Tags the readers cannot place between two zones are to be checked, not misplaced.
        for (epc, zone, other) in between {
            if scope.contains(&zone) {
                stocktake.observe_between(epc, zone, other);
                seen.push(sighting(id, epc, zone, Some(other), now));
            }
        }
        let progress = stocktake.progress();
        self.inner
            .sessions
            .locked()
            .insert(id, Session { stocktake, scope });
        self.publish(progress_event(id, progress));
        Ok((progress, seen))
    }

    /// Count every stocktake running on the database here too, and stop counting those no
    /// longer running: each instance counts what its own readers see into every running
    /// stocktake, wherever it was started.
    pub async fn follow_stocktakes(&self) -> Result<(), IngestError> {
        let mut conn = self.inner.pool.acquire().await?;
        let running = db::stocktakes::running(&mut conn).await?;
        let ids: HashSet<i64> = running.iter().map(|(id, _)| *id).collect();
        self.inner
            .sessions
            .locked()
            .retain(|id, _| ids.contains(id));
        for (id, zones) in running {
            if self.inner.sessions.locked().contains_key(&id) {
                continue;
            }
            let expected = db::stocktakes::kept_expected(&mut conn, id)
                .await?
                .iter()
                .filter_map(|(epc, zone)| Some((Epc::from_hex(epc).ok()?, ZoneId(*zone as u32))))
                .collect();
            let scope = zones.iter().map(|z| ZoneId(*z as u32)).collect();
            let (_, seen) = self.start_stocktake(id, expected, scope).await?;
            db::stocktakes::record_sightings(&mut conn, &seen).await?;
        }
        Ok(())
    }

    /// Stop counting a stocktake (once its results are stored, or it is cancelled).
    pub fn forget_stocktake(&self, id: i64) {
        self.inner.sessions.locked().remove(&id);
    }

    /// Handheld reads count straight into the stocktakes whose scope holds their zone (a
    /// handheld passes each tag too briefly for a fixed reader's smoothing), and go through
    /// the engine like any read.
    pub async fn handheld(&self, reads: Vec<TagRead>) -> Result<(), IngestError> {
        let site = self.site();
        let (changed, seen) = {
            let mut sessions = self.inner.sessions.locked();
            let mut changed = Vec::new();
            let mut seen = Vec::new();
            for (id, session) in sessions.iter_mut() {
                let before = session.stocktake.progress();
                for r in &reads {
                    if let Some(zone) = site.zone_of(r.reader.0.into(), r.antenna) {
                        if session.scope.contains(&zone) {
                            session.stocktake.observe(r.epc, zone);
                            seen.push(sighting(*id, r.epc, zone, None, r.timestamp_us));
                        }
                    }
                }
                let after = session.stocktake.progress();
                if after != before {
                    changed.push((*id, after));
                }
            }
            (changed, seen)
        };
        // Recorded before the upload is answered: finished on another instance, the
        // stocktake counts it.
        if !seen.is_empty() {
            db::stocktakes::record_sightings(&mut *self.inner.pool.acquire().await?, &seen).await?;
        }
        for (id, p) in changed {
            self.publish(progress_event(id, p));
        }
        let mut per_reader: HashMap<i64, u64> = HashMap::new();
        for r in &reads {
            *per_reader.entry(i64::from(r.reader.0)).or_default() += 1;
        }
        for (reader, n) in per_reader {
            crate::metrics::reads(reader, n);
        }
        {
            let mut health = self.inner.health.locked();
            for r in &reads {
                let h = health.entry(i64::from(r.reader.0)).or_default();
                h.reads += 1;
                let at = persist::time(r.timestamp_us);
                h.last_read_at = Some(h.last_read_at.map_or(at, |seen| seen.max(at)));
            }
        }
        self.feed(reads).await
    }
}

/// What a fact says a stocktake sees: the tag in a zone (or between it and another).
fn sighted(fact: &Fact) -> Option<(Epc, ZoneId, Option<ZoneId>)> {
    match *fact {
        Fact::Arrived { epc, zone, .. }
        | Fact::Moved { epc, to: zone, .. }
        | Fact::Settled { epc, zone, .. } => Some((epc, zone, None)),
        Fact::Between {
            epc, zone, other, ..
        } => Some((epc, zone, Some(other))),
        _ => None,
    }
}

fn sighting(id: i64, epc: Epc, zone: ZoneId, other: Option<ZoneId>, at_us: u64) -> Sighting {
    Sighting {
        stocktake_id: id,
        epc: epc.to_hex(),
        zone_id: i64::from(zone.0),
        other_zone_id: other.map(|z| i64::from(z.0)),
        seen_at: persist::time(at_us),
    }
}

fn progress_event(stocktake_id: i64, p: Progress) -> LiveEvent {
    LiveEvent::StocktakeProgress {
        stocktake_id,
        expected: p.expected,
        found: p.found,
        misplaced: p.misplaced,
        missing: p.missing,
        unexpected: p.unexpected,
    }
}

/// A lock that a panic elsewhere never poisons: the data under these locks (counters,
/// health, sessions) stays usable, and one panic must not make every later call panic.
pub(crate) trait Locked<T> {
    fn locked(&self) -> MutexGuard<'_, T>;
}

impl<T> Locked<T> for Mutex<T> {
    fn locked(&self) -> MutexGuard<'_, T> {
        self.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// How far ahead of this host's clock a read may be dated by default.
pub const DEFAULT_CLOCK_SKEW: Duration = Duration::from_secs(300);
/// No read is dated before 2000-01-01: a reader whose clock was never set says 1970.
pub const EARLIEST_READ_US: u64 = 946_684_800_000_000;

/// Why a read's time is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReadTimeError {
    #[error("it is dated {ahead_s} s ahead of this host's clock (at most {skew_s} s is allowed)")]
    Ahead { ahead_s: u64, skew_s: u64 },
    #[error("it is dated before 2000: the clock that dated it is not set")]
    BeforeEpoch,
}

/// Is a read dated `at_us` believable at host time `now_us`? The engine's clock follows its
/// reads, so one read from the future would stamp every later fact with that future.
pub fn check_read_time(at_us: u64, now_us: u64, skew: Duration) -> Result<(), ReadTimeError> {
    let skew_us = skew.as_micros() as u64;
    if at_us < EARLIEST_READ_US {
        return Err(ReadTimeError::BeforeEpoch);
    }
    if at_us > now_us.saturating_add(skew_us) {
        return Err(ReadTimeError::Ahead {
            ahead_s: (at_us - now_us) / 1_000_000,
            skew_s: skew.as_secs(),
        });
    }
    Ok(())
}

/// Host time in µs since the Unix epoch (the service side of the sans-IO line).
pub fn now_us() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

/// A reader's id as the engine numbers it.
pub fn reader_id(id: i64) -> ReaderId {
    ReaderId(id as u32)
}
