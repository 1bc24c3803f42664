//! Which readers this instance drives, when several instances share one database.
//!
//! Each enabled reader with an address is driven by exactly one instance: the one holding
//! its advisory lock (`db::instances`) on a connection kept for nothing else. Every
//! [`CLAIM_EVERY`] the instance beats (its `instances` row), checks that connection, and
//! tries to take the readers nobody holds, the readers of one gate (or one zone) together.
//! When the connection fails or stalls past [`CHECK_TIMEOUT`], the instance stops its
//! drivers *first* and only then lets the connection go: PostgreSQL keeps the locks until
//! it sees the connection end (at once for a process that died; within its TCP keepalive,
//! set here to about 11 s, for a host that vanished; after 15 s of silence, the
//! connection's `idle_session_timeout`, for an instance that stopped talking), so no other
//! instance can take a reader while this one may still drive it.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions as _, PgConnection};

use super::{Ingest, Locked, Site};
use crate::db::readers::HANDHELD;
use crate::db::{self, instances};

/// How often an instance beats and tries to take the readers nobody drives.
pub const CLAIM_EVERY: Duration = Duration::from_secs(1);
/// A check of the reader connection that takes longer than this counts as lost.
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// The readers that must be driven by one instance together: those sharing a zone, and
/// those whose antennas face either side of one gate. Only enabled readers with an address
/// (a handheld is nobody's to drive). Each group sorted, groups by their first reader.
pub fn groups(site: &Site) -> Vec<Vec<i64>> {
    let drivable: Vec<&crate::db::readers::Reader> = site
        .readers
        .iter()
        .filter(|r| r.enabled && r.address.trim() != HANDHELD)
        .collect();
    // Union-find over readers, joined through the zones (and gates) they share.
    let mut parent: HashMap<i64, i64> = drivable.iter().map(|r| (r.id, r.id)).collect();
    fn root(parent: &mut HashMap<i64, i64>, mut x: i64) -> i64 {
        while parent[&x] != x {
            let up = parent[&parent[&x]];
            parent.insert(x, up);
            x = up;
        }
        x
    }
    let mut zone_of_gate: HashMap<i64, i64> = HashMap::new();
    for g in &site.engine.gates {
        // Both sides of a gate count as one place.
        zone_of_gate.insert(i64::from(g.outside.0), i64::from(g.inside.0));
    }
    let mut first_in_place: HashMap<i64, i64> = HashMap::new();
    for r in &drivable {
        for p in &r.read_points {
            let place = zone_of_gate.get(&p.zone_id).copied().unwrap_or(p.zone_id);
            match first_in_place.get(&place) {
                Some(&other) => {
                    let (a, b) = (root(&mut parent, r.id), root(&mut parent, other));
                    if a != b {
                        parent.insert(a.max(b), a.min(b));
                    }
                }
                None => {
                    first_in_place.insert(place, r.id);
                }
            }
        }
    }
    let mut groups: HashMap<i64, Vec<i64>> = HashMap::new();
    for r in &drivable {
        let top = root(&mut parent, r.id);
        groups.entry(top).or_default().push(r.id);
    }
    let mut groups: Vec<Vec<i64>> = groups.into_values().collect();
    groups.iter_mut().for_each(|g| g.sort_unstable());
    groups.sort_unstable();
    groups
}

/// This instance's name and where it runs.
#[derive(Debug, Clone)]
pub struct Instance {
    pub name: String,
    pub host: String,
    pub pid: u32,
    pub started: DateTime<Utc>,
}

impl Instance {
    /// `name`, or the host's name and this process's id.
    pub fn new(name: Option<String>) -> Instance {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_owned())
            .ok()
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "depot".to_owned());
        let pid = std::process::id();
        let name = name.unwrap_or_else(|| {
            let clean: String = host
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                        c
                    } else {
                        '-'
                    }
                })
                .take(40)
                .collect();
            format!("{clean}-{pid}")
        });
        Instance {
            name,
            host,
            pid,
            started: Utc::now(),
        }
    }

    /// Whether `name` may name an instance: 1–50 of ASCII letters, digits, `.`, `_`, `-`.
    pub fn valid_name(name: &str) -> bool {
        (1..=50).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    }
}

/// What one round changed.
#[derive(Debug, Default)]
pub struct Change {
    pub taken: Vec<i64>,
    pub let_go: Vec<i64>,
}

/// The reader connection and what it holds.
pub struct Claimer {
    ingest: Ingest,
    options: PgConnectOptions,
    conn: Option<PgConnection>,
}

impl Claimer {
    pub fn new(ingest: Ingest) -> Claimer {
        let name = &ingest.inner.options.instance.name;
        let options = (*ingest.inner.pool.connect_options())
            .clone()
            .application_name(&format!("{}{name}", instances::APPLICATION_PREFIX))
            // A host that vanishes lets its locks go within about 11 s (TCP only), and an
            // instance that stops talking (frozen, cut off behind a proxy that keeps its
            // side open) within 15 s: its rounds come every second.
            .options([
                ("tcp_keepalives_idle", "5"),
                ("tcp_keepalives_interval", "2"),
                ("tcp_keepalives_count", "3"),
                ("idle_session_timeout", "15s"),
            ])
            .log_statements(tracing::log::LevelFilter::Trace);
        Claimer {
            ingest,
            options,
            conn: None,
        }
    }

    /// One round: connect if need be, beat, take what nobody drives; what is no longer ours
    /// to drive is in the change's `let_go`, its locks still held: [`Claimer::release`] them
    /// once their drivers have stopped. An error means the connection is not to be trusted.
    pub async fn round(&mut self) -> Result<Change, db::Error> {
        if self.conn.is_none() {
            self.conn = Some(self.options.connect().await?);
        }
        let conn = self.conn.as_mut().expect("connected above");
        let me = &self.ingest.inner.options.instance;
        instances::beat(conn, &me.name, &me.host, me.pid, me.started).await?;
        let groups = groups(&self.ingest.site());
        let mut owned: HashSet<i64> = self.ingest.inner.owned.locked().clone();
        let mut change = Change::default();
        for group in &groups {
            let missing: Vec<i64> = group
                .iter()
                .copied()
                .filter(|r| !owned.contains(r))
                .collect();
            if missing.is_empty() {
                continue;
            }
            if instances::claim(conn, &missing).await? {
                owned.extend(&missing);
                change.taken.extend(&missing);
            } else {
                // Part of a group is held elsewhere (its gate gained a reader): ours are let
                // go (once their drivers stop) so that one instance can take the whole of it.
                let ours: Vec<i64> = group
                    .iter()
                    .copied()
                    .filter(|r| owned.contains(r))
                    .collect();
                ours.iter().for_each(|r| {
                    owned.remove(r);
                });
                change.let_go.extend(ours);
            }
        }
        let drivable: HashSet<i64> = groups.iter().flatten().copied().collect();
        let gone: Vec<i64> = owned
            .iter()
            .copied()
            .filter(|r| !drivable.contains(r))
            .collect();
        if !gone.is_empty() {
            gone.iter().for_each(|r| {
                owned.remove(r);
            });
            change.let_go.extend(gone);
        }
        *self.ingest.inner.owned.locked() = owned;
        Ok(change)
    }

    /// Let go of the locks of `readers`, whose drivers have stopped.
    pub async fn release(&mut self, readers: &[i64]) -> Result<(), db::Error> {
        match self.conn.as_mut() {
            Some(conn) if !readers.is_empty() => instances::release(conn, readers).await,
            _ => Ok(()),
        }
    }

    /// Every [`CLAIM_EVERY`]: a round, its change applied to the drivers; on a failed or
    /// stalled round, every driver stopped before the connection is let go.
    pub async fn run(mut self) {
        let mut interval = tokio::time::interval(CLAIM_EVERY);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut failing = false;
        loop {
            interval.tick().await;
            let why = match tokio::time::timeout(CHECK_TIMEOUT, self.round()).await {
                Ok(Ok(change)) => {
                    if failing {
                        tracing::info!("the reader connection is back");
                        failing = false;
                    }
                    if !change.taken.is_empty() {
                        tracing::info!(readers = ?change.taken, "driving readers");
                        // Before the drivers start: the zones' tags as last decided.
                        self.ingest.recall(&change.taken).await;
                    }
                    if !change.let_go.is_empty() {
                        tracing::info!(readers = ?change.let_go, "no longer driving readers");
                    }
                    let mut supervisor = self.ingest.inner.supervisor.lock().await;
                    supervisor.let_go(&self.ingest, &change.let_go).await;
                    supervisor.drive(&self.ingest, &change.taken);
                    drop(supervisor);
                    // Stopped first, then let go.
                    match self.release(&change.let_go).await {
                        Ok(()) => continue,
                        Err(e) => e.to_string(),
                    }
                }
                Ok(Err(e)) => e.to_string(),
                Err(_) => format!("no answer in {} s", CHECK_TIMEOUT.as_secs()),
            };
            // The connection is not to be trusted: every driver stops, and only then is it
            // let go (another instance may take the readers once PostgreSQL sees it end).
            let held: Vec<i64> = self.ingest.inner.owned.locked().drain().collect();
            self.ingest
                .inner
                .supervisor
                .lock()
                .await
                .let_go(&self.ingest, &held)
                .await;
            self.conn = None;
            if !failing || !held.is_empty() {
                tracing::warn!(readers = ?held, error = %why, "lost the reader connection to the database; stopped driving readers");
            }
            failing = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::readers::{ReadPoint, Reader};

    fn reader(id: i64, address: &str, enabled: bool, zones: &[i64]) -> Reader {
        Reader {
            id,
            name: format!("r{id}"),
            address: address.into(),
            enabled,
            created_at: Utc::now(),
            read_points: zones
                .iter()
                .enumerate()
                .map(|(i, &zone_id)| ReadPoint {
                    antenna: i as i32 + 1,
                    zone_id,
                })
                .collect(),
        }
    }

    /// The readers of a gate's two sides go together, as do readers sharing a zone; a lone
    /// shelf reader is a group of its own; handhelds and disabled readers are nobody's.
    #[test]
    fn a_gates_readers_and_a_zones_readers_are_claimed_together() {
        let mut engine: crate::engine::EngineConfig = serde_json::from_value(serde_json::json!({
            "readers": [],
            "zones": (1..=6).map(|z| serde_json::json!({"id": z, "name": format!("z{z}")})).collect::<Vec<_>>(),
            "read_points": [],
            "gates": [{"id": 1, "name": "dock", "inside": 1, "outside": 2}],
        }))
        .unwrap();
        engine.read_points.clear();
        let site = Site {
            engine,
            readers: vec![
                reader(1, "llrp://127.0.0.1:5084", true, &[1]),
                reader(2, "llrp://127.0.0.1:5085", true, &[2]),
                reader(3, "llrp://127.0.0.1:5086", true, &[3, 4]),
                reader(4, "llrp://127.0.0.1:5087", true, &[4]),
                reader(5, "llrp://127.0.0.1:5088", true, &[5]),
                reader(6, "handheld:", true, &[5]),
                reader(7, "llrp://127.0.0.1:5089", false, &[6]),
            ],
            ..Site::default()
        };
        assert_eq!(groups(&site), vec![vec![1, 2], vec![3, 4], vec![5]]);
        assert!(Instance::valid_name("depot-a.1_b"));
        assert!(!Instance::valid_name(""));
        assert!(!Instance::valid_name("a b"));
        assert!(!Instance::valid_name(&"a".repeat(51)));
        let default = Instance::new(None);
        assert!(Instance::valid_name(&default.name), "{}", default.name);
    }
}
