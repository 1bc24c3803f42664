use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use depot_readers::{ReaderConfig, ReaderEventKind, ReaderHandle, ReaderOutput, TagRead};
use serde::Serialize;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use utoipa::ToSchema;

use super::sim::Address;
use super::{reader_id, Ingest, LiveEvent, Locked};
use crate::db::readers::HANDHELD;

/// How a reader is doing, for `GET /api/readers`.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Health {
    /// connected, connecting, disconnected, handheld, disabled, misconfigured, or standby
    /// (driven by another instance of Depot on the same database, or by none yet)
    pub status: String,
    pub last_read_at: Option<DateTime<Utc>>,
    /// Over the last few seconds.
    pub reads_per_s: f64,
    pub reads: u64,
    pub frames: u64,
    pub bad_crc: u64,
    pub resyncs: u64,
    pub malformed: u64,
    pub reconnects: u64,
    pub errors: u64,
    /// Reads refused because their time was not believable (ahead of this host's clock by
    /// more than the allowed skew, or before 2000).
    pub refused_reads: u64,
    /// The reader's clock against this host's: the newest read's time less the host time
    /// when it arrived, ms (positive: the reader's clock is ahead).
    pub clock_offset_ms: Option<i64>,
    pub last_event: Option<String>,
    pub last_error: Option<String>,
}

/// A failed driver (it gave up, or its task died) is started again after this long.
const RESTART_AFTER: Duration = Duration::from_secs(5);
/// How many reads the pump hands the engine at once at most.
const PUMP_BATCH: usize = 1024;

struct Driver {
    address: Address,
    config: ReaderConfig,
    handle: ReaderHandle,
    failed_at: Option<Instant>,
    last_reads: (Instant, u64),
}

#[derive(Default)]
pub struct Supervisor {
    drivers: HashMap<i64, Driver>,
    tasks: Vec<JoinHandle<()>>,
    /// Where the drivers send what they read; set while started.
    tx: Option<mpsc::Sender<ReaderOutput>>,
}

/// The health of a reader this instance does not drive (another does, or none yet).
pub const STANDBY: &str = "standby";

impl Supervisor {
    /// Health for every reader; a driver for each enabled reader with an address that this
    /// instance drives (`owned`), a pump into the engine, and a watchdog that restarts
    /// failed drivers and keeps health current.
    pub async fn start(&mut self, ingest: &Ingest, owned: &HashSet<i64>) {
        let site = ingest.site();
        let (tx, rx) = mpsc::channel::<ReaderOutput>(8192);
        self.tx = Some(tx.clone());
        ingest.inner.health.locked().clear();
        for reader in &site.readers {
            let h = self.spawn(ingest, reader, owned.contains(&reader.id));
            ingest.inner.health.locked().insert(reader.id, h);
        }
        self.tasks.push(tokio::spawn(pump(ingest.clone(), rx)));
        self.tasks.push(tokio::spawn(watchdog(ingest.clone(), tx)));
    }

    /// Start driving `readers` (this instance now holds them).
    pub fn drive(&mut self, ingest: &Ingest, readers: &[i64]) {
        if self.tx.is_none() {
            return;
        }
        let site = ingest.site();
        for reader in site.readers.iter().filter(|r| readers.contains(&r.id)) {
            if self.drivers.contains_key(&reader.id) {
                continue;
            }
            let h = self.spawn(ingest, reader, true);
            ingest.inner.health.locked().insert(reader.id, h);
        }
    }

    /// Stop driving `readers` (politely), leaving them to whichever instance takes them.
    pub async fn let_go(&mut self, ingest: &Ingest, readers: &[i64]) {
        for id in readers {
            if let Some(driver) = self.drivers.remove(id) {
                let _ = driver.handle.stop().await;
            }
            if let Some(h) = ingest.inner.health.locked().get_mut(id) {
                if h.status != "disabled" && h.status != "handheld" {
                    *h = Health {
                        status: STANDBY.into(),
                        ..Health::default()
                    };
                }
            }
        }
    }

    /// A reader's health, and its driver when it has an address and `drive` says so.
    fn spawn(
        &mut self,
        ingest: &Ingest,
        reader: &crate::db::readers::Reader,
        drive: bool,
    ) -> Health {
        let mut h = Health::default();
        if !reader.enabled {
            h.status = "disabled".into();
            return h;
        }
        if reader.address.trim() == HANDHELD {
            h.status = "handheld".into();
            return h;
        }
        let address = match reader.address.trim().parse::<Address>() {
            Ok(address) => address,
            Err(e) => {
                h.status = "misconfigured".into();
                h.last_error = Some(e.to_string());
                return h;
            }
        };
        let Some(tx) = self.tx.clone().filter(|_| drive) else {
            h.status = STANDBY.into();
            return h;
        };
        let config = ReaderConfig {
            reader: reader_id(reader.id),
            antennas: reader
                .read_points
                .iter()
                .map(|p| p.antenna as u16)
                .collect(),
            backoff: depot_readers::Backoff {
                max: ingest.inner.options.reader_backoff_max,
                ..depot_readers::Backoff::default()
            },
            ..ReaderConfig::default()
        };
        let handle = address.spawn(config.clone(), tx);
        self.drivers.insert(
            reader.id,
            Driver {
                address,
                config,
                handle,
                failed_at: None,
                last_reads: (Instant::now(), 0),
            },
        );
        h.status = "connecting".into();
        h
    }

    /// Stop every driver (politely: inventory stopped, connection closed).
    pub async fn stop(&mut self) {
        self.tx = None;
        for task in self.tasks.drain(..) {
            task.abort();
        }
        for (_, driver) in self.drivers.drain() {
            let _ = driver.handle.stop().await;
        }
    }
}

/// Reads from all drivers into the engine in batches; events into health and the stream.
async fn pump(ingest: Ingest, mut rx: mpsc::Receiver<ReaderOutput>) {
    let mut batch: Vec<TagRead> = Vec::with_capacity(PUMP_BATCH);
    let mut log = EventLog::default();
    while let Some(first) = rx.recv().await {
        let mut next = Some(first);
        // A reader that (re)connected: the reads before it go to the engine first.
        let mut connected = None;
        while let Some(output) = next.take() {
            match output {
                ReaderOutput::Read(read) => batch.push(read),
                ReaderOutput::Event(event) => {
                    on_event(
                        &ingest,
                        &mut log,
                        event.reader.0 as i64,
                        &event.kind,
                        event.timestamp_us,
                    );
                    if matches!(event.kind, ReaderEventKind::Connected { .. }) {
                        connected = Some(event.reader);
                        break;
                    }
                }
            }
            if batch.len() < PUMP_BATCH {
                next = rx.try_recv().ok();
            }
        }
        if !batch.is_empty() {
            let mut newest: HashMap<i64, (u64, u64)> = HashMap::new();
            for r in &batch {
                let (t, n) = newest.entry(r.reader.0 as i64).or_default();
                *t = (*t).max(r.timestamp_us);
                *n += 1;
            }
            {
                let mut health = ingest.inner.health.locked();
                let now = super::now_us();
                for (reader, (t, n)) in newest {
                    crate::metrics::reads(reader, n);
                    if let Some(h) = health.get_mut(&reader) {
                        h.clock_offset_ms = Some((t as i64 - now as i64) / 1_000);
                        if super::check_read_time(t, now, ingest.clock_skew()).is_ok() {
                            let at = super::persist::time(t);
                            h.last_read_at = Some(h.last_read_at.map_or(at, |seen| seen.max(at)));
                        }
                    }
                }
            }
            if ingest.feed(std::mem::take(&mut batch)).await.is_err() {
                return;
            }
        }
        if let Some(reader) = connected {
            if ingest.reader_connected(reader).await.is_err() {
                return;
            }
        }
    }
}

/// A failing reader repeats itself: the same error every few seconds while it is away. The
/// log says it once, then again at most every [`REPEAT_AFTER`] with how many times it
/// happened meanwhile, and says when the reader is back; the repeats go to `debug`.
#[derive(Default)]
struct EventLog {
    /// Per reader: the error last logged, when, and how many times it came since.
    last: HashMap<i64, (String, Instant, u64)>,
}

/// How often a repeated reader error is logged again.
const REPEAT_AFTER: Duration = Duration::from_secs(600);

impl EventLog {
    fn event(&mut self, reader: i64, kind: &ReaderEventKind) {
        match kind {
            ReaderEventKind::Error { message } => {
                let now = Instant::now();
                match self.last.get_mut(&reader) {
                    Some((last, at, repeats))
                        if last == message && now.duration_since(*at) < REPEAT_AFTER =>
                    {
                        *repeats += 1;
                        tracing::debug!(reader, "{kind}");
                    }
                    Some((last, at, repeats)) if last == message => {
                        tracing::warn!(
                            reader,
                            "{kind} (again {} times in {} s)",
                            *repeats + 1,
                            now.duration_since(*at).as_secs()
                        );
                        (*at, *repeats) = (now, 0);
                    }
                    _ => {
                        tracing::warn!(reader, "{kind}");
                        self.last.insert(reader, (message.clone(), now, 0));
                    }
                }
            }
            ReaderEventKind::Reconnecting { .. } => tracing::debug!(reader, "{kind}"),
            ReaderEventKind::Connected { .. } => match self.last.remove(&reader) {
                Some((_, _, repeats)) if repeats > 0 => {
                    tracing::info!(reader, "{kind} (after {} more failed attempts)", repeats)
                }
                _ => tracing::info!(reader, "{kind}"),
            },
            ReaderEventKind::Disconnected { .. } => tracing::warn!(reader, "{kind}"),
            _ => tracing::info!(reader, "{kind}"),
        }
    }
}

fn on_event(ingest: &Ingest, log: &mut EventLog, reader: i64, kind: &ReaderEventKind, at_us: u64) {
    {
        let mut health = ingest.inner.health.locked();
        let h = health.entry(reader).or_default();
        match kind {
            ReaderEventKind::Connected { .. } => h.status = "connected".into(),
            ReaderEventKind::Disconnected { reason } => {
                h.status = "disconnected".into();
                h.last_error = Some(reason.clone());
            }
            ReaderEventKind::Reconnecting { .. } => h.status = "connecting".into(),
            ReaderEventKind::Error { message } => {
                h.errors += 1;
                h.last_error = Some(message.clone());
            }
            _ => {}
        }
        h.last_event = Some(kind.to_string());
    }
    log.event(reader, kind);
    ingest.publish(LiveEvent::Reader {
        reader_id: reader,
        event: kind.to_string(),
        at: super::persist::time(at_us),
    });
}

/// Every second: counters into health, failed drivers restarted.
async fn watchdog(ingest: Ingest, tx: mpsc::Sender<ReaderOutput>) {
    let mut interval = tokio::time::interval(Duration::from_secs(1));
    loop {
        interval.tick().await;
        ingest.inner.stats.pump_queue.store(
            (tx.max_capacity() - tx.capacity()) as u64,
            std::sync::atomic::Ordering::Relaxed,
        );
        let mut supervisor = ingest.inner.supervisor.lock().await;
        let now = Instant::now();
        for (id, driver) in supervisor.drivers.iter_mut() {
            let c = driver.handle.counters();
            let (then, reads_then) = driver.last_reads;
            let rate = (c.reads.saturating_sub(reads_then)) as f64
                / now.duration_since(then).as_secs_f64().max(0.001);
            driver.last_reads = (now, c.reads);
            if let Some(h) = ingest.inner.health.locked().get_mut(id) {
                h.reads_per_s = (rate * 10.0).round() / 10.0;
                (
                    h.reads,
                    h.frames,
                    h.bad_crc,
                    h.resyncs,
                    h.malformed,
                    h.reconnects,
                ) = (
                    c.reads,
                    c.frames,
                    c.bad_crc,
                    c.resyncs,
                    c.malformed,
                    c.reconnects,
                );
            }
            if driver.handle.is_finished() {
                let failed = *driver.failed_at.get_or_insert(now);
                if now.duration_since(failed) >= RESTART_AFTER {
                    tracing::warn!(reader = id, address = %driver.address, "reader driver ended; starting it again");
                    driver.handle = driver.address.spawn(driver.config.clone(), tx.clone());
                    driver.failed_at = None;
                    driver.last_reads = (now, 0);
                }
            }
        }
    }
}
