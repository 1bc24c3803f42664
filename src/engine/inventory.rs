//! The engine proper: read points, ALE smoothing per tag and zone, gate tracks, timers.
//!
//! Time is engine milliseconds since the first read (`u32`, so per-tag state stays
//! small); it only moves when a read or [`Engine::advance_to`] says so.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};

use depot_readers::{Epc, ReaderId, TagRead};
use serde::Serialize;

use super::config::{ConfigError, EngineConfig, GateId, Smoothing, ZoneId};
use super::fact::{Direction, Fact};
use super::gate::{
    judge, step, with_companions, Companion, GateTrack, OpenBatch, Passage, Profile, ReadSignal,
    INSIDE, JOIN_MS, OUTSIDE, SETTLE_MS,
};
use super::key::{KeyMap, Keys, TagKey};
use super::presence::{self, Params, Step, TagState, NONE};

/// Engine time is rebased before it can overflow `u32` milliseconds (24.8 days of reads).
const REBASE_AT: u32 = 1 << 31;
/// How far a rebase moves the engine epoch: far more than any timeout, so state older than
/// this is long expired and may be clamped to 0.
const REBASE_BY: u32 = 1 << 30;

/// A deadline and the tag it is for; ordered by deadline, then key, so timers that fall
/// due together always fire in the same order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Timer {
    at: u32,
    key: TagKey,
}

#[derive(Debug, Clone)]
struct Zone {
    id: ZoneId,
    smoothing: Smoothing,
    /// (gate index, side) when this zone is a side of a gate.
    gate: Option<(u16, usize)>,
    population: u32,
    /// Changes since the last cycle report: `None` until someone asks for one, so a zone
    /// nobody reports on keeps no log.
    cycle: Option<Vec<(TagKey, bool)>>,
}

#[derive(Debug, Clone)]
struct Gate {
    id: GateId,
    batch_gap_ms: u32,
    quiet_ms: u32,
    undecided_ms: u32,
    min_reads: u16,
    max_track_ms: u32,
    min_confidence: f32,
    next_batch: u32,
    open: [Option<OpenBatch>; 2],
    /// Sure passages of the last [`COMPANION_MEMORY_MS`], for tags that travelled with them.
    companions: Vec<Companion>,
    /// Engine ms of the gate's first read since the engine started or its reader last
    /// (re)connected; `None` until that read. Tracks that begin within [`JOIN_MS`] of it are
    /// [`GateTrack::joined`].
    heard_from: Option<u32>,
}

/// How long a track heard on one side only waits after its last read, for the sure
/// passages of the tags it travelled with (engine ms).
const COMPANION_WAIT_MS: u32 = 10_000;
/// A sure passage is judged only once its tag has been quiet this long (ms): a trolley
/// stopped in the doorway may be heard by neither side for seconds (the pusher's body or
/// the load between its tags and every antenna), then be wheeled back. Measured on the
/// portal model: 3 s halved its false passages at 18 dB, 5 s took them from 35 to 17 in 20
/// seeds of each scenario, and 10 s cost the door model 37 crossings (companions judged
/// after the tags they speak for).
const SURE_WAIT_MS: u32 = 5_000;
/// The most a passage judged because its tag lingered in the doorway's field (a track cut
/// at `max_track_ms`) is sure of: below the default `min_confidence` (0.9), so it is asked.
const LINGERED_CONFIDENCE: f32 = 0.5;
/// How long a sure passage is remembered for the tags that travelled with it.
const COMPANION_MEMORY_MS: u32 = 30_000;
/// At most this many passages are remembered per gate (a pallet of hundreds crossing at
/// once keeps its surest few hundred).
const MAX_COMPANIONS: usize = 256;

/// What the engine has counted since it started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counters {
    pub reads: u64,
    /// Reads from a (reader, antenna) with no read point.
    pub unmapped_reads: u64,
    /// Reads below their zone's `min_rssi_dbm`.
    pub weak_reads: u64,
    /// Reads from a zone whose evidence for the tag is a whole `cross_read_margin_db` below
    /// the zone the tag is observed in (or weaker than the zone contending for it).
    pub cross_reads: u64,
    /// Tags with zone state now (observed or glimpsed).
    pub tags_tracked: u64,
    /// Tags being followed through a gate now.
    pub gate_tracks: u64,
    pub arrived: u64,
    pub left: u64,
    pub moved: u64,
    /// Tags found too close to call between two zones, and tags that settled again.
    pub between: u64,
    pub settled: u64,
    pub passed: u64,
    pub batches: u64,
}

impl Counters {
    pub fn facts(&self) -> u64 {
        self.arrived
            + self.left
            + self.moved
            + self.between
            + self.settled
            + self.passed
            + self.batches
    }
}

/// Bytes the engine holds, from the capacities of its tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Memory {
    pub tags: u64,
    pub tag_table_bytes: u64,
    pub timer_bytes: u64,
    pub gate_bytes: u64,
    pub other_bytes: u64,
}

impl Memory {
    pub fn total(&self) -> u64 {
        self.tag_table_bytes + self.timer_bytes + self.gate_bytes + self.other_bytes
    }
    pub fn per_tag(&self) -> f64 {
        self.total() as f64 / self.tags.max(1) as f64
    }
}

/// The additions and deletions of one zone since its previous cycle report (ALE's
/// ADDITIONS and DELETIONS); the first report of a zone lists all of it as additions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CycleReport {
    pub zone: ZoneId,
    /// Engine time of the report, µs since the Unix epoch.
    pub at: u64,
    #[serde(serialize_with = "epcs_hex")]
    pub additions: Vec<Epc>,
    #[serde(serialize_with = "epcs_hex")]
    pub deletions: Vec<Epc>,
    pub population: u32,
}

fn epcs_hex<S: serde::Serializer>(epcs: &[Epc], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(epcs.iter().map(|e| e.to_hex()))
}

/// The inventory engine. Feed it reads in time order; it returns facts. No I/O, no clock.
///
/// ```
/// use depot::engine::{Engine, EngineConfig, ZoneConfig, ReadPoint, ZoneId, Smoothing, Fact};
/// use depot_readers::{Epc, ReaderId, TagRead};
///
/// let config = EngineConfig {
///     readers: vec![],
///     zones: vec![ZoneConfig { id: ZoneId(1), name: "aisle 1".into(), smoothing: Smoothing::default() }],
///     read_points: vec![ReadPoint { reader: 0, antenna: 1, zone: ZoneId(1) }],
///     gates: vec![],
/// };
/// let mut engine = Engine::new(config).unwrap();
/// let epc = Epc::from_hex("3034257BF7194E4000001A85").unwrap();
/// let mut facts = Vec::new();
/// for i in 0..3 {
///     let read = TagRead { epc, reader: ReaderId(0), antenna: 1, rssi_dbm: Some(-50),
///         timestamp_us: 1_700_000_000_000_000 + i * 100_000, channel: None, phase: None, seen_count: None };
///     engine.ingest(&read, &mut facts);
/// }
/// assert!(matches!(facts[0], Fact::Arrived { zone: ZoneId(1), .. }));
/// engine.flush(&mut facts);
/// assert!(matches!(facts[1], Fact::Left { zone: ZoneId(1), .. }));
/// ```
#[derive(Debug)]
pub struct Engine {
    config: EngineConfig,
    zones: Vec<Zone>,
    /// Presence decision parameters, by zone index.
    params: Vec<Params>,
    zone_index: HashMap<ZoneId, u16>,
    /// `read_points[reader][antenna]` is a zone index or [`NONE`].
    read_points: Vec<Vec<u16>>,
    gates: Vec<Gate>,
    keys: Keys,
    tags: KeyMap<TagState>,
    timers: BinaryHeap<Reverse<Timer>>,
    tracks: KeyMap<GateTrack>,
    gate_timers: BinaryHeap<Reverse<Timer>>,
    /// Tags restored by [`Engine::recall`] and not read in their zone since: present as
    /// last decided, not yet seen by this engine (a stocktake does not count them found).
    /// Empty but for the seconds after a start or a takeover.
    recalled: HashSet<TagKey>,
    /// Engine epoch in ms since the Unix epoch; set by the first read.
    base_ms: Option<u64>,
    now: u32,
    counters: Counters,
}

impl Engine {
    pub fn new(config: EngineConfig) -> Result<Engine, ConfigError> {
        config.validate()?;
        let zone_index: HashMap<ZoneId, u16> = config
            .zones
            .iter()
            .enumerate()
            .map(|(i, z)| (z.id, i as u16))
            .collect();
        let mut zones: Vec<Zone> = config
            .zones
            .iter()
            .map(|z| Zone {
                id: z.id,
                smoothing: z.smoothing,
                gate: None,
                population: 0,
                cycle: None,
            })
            .collect();
        let mut gates = Vec::new();
        for (g, gate) in config.gates.iter().enumerate() {
            zones[zone_index[&gate.inside] as usize].gate = Some((g as u16, INSIDE));
            zones[zone_index[&gate.outside] as usize].gate = Some((g as u16, OUTSIDE));
            gates.push(Gate {
                id: gate.id,
                batch_gap_ms: gate.batch_gap_ms,
                quiet_ms: gate.quiet_ms,
                undecided_ms: gate.undecided_ms.max(gate.quiet_ms),
                min_reads: gate.min_reads,
                max_track_ms: gate.max_track_ms,
                min_confidence: gate.min_confidence,
                next_batch: 1,
                open: [None, None],
                companions: Vec::new(),
                heard_from: None,
            });
        }
        let mut read_points: Vec<Vec<u16>> = Vec::new();
        for p in &config.read_points {
            let (r, a) = (p.reader as usize, p.antenna as usize);
            if read_points.len() <= r {
                read_points.resize(r + 1, Vec::new());
            }
            if read_points[r].len() <= a {
                read_points[r].resize(a + 1, NONE);
            }
            read_points[r][a] = zone_index[&p.zone];
        }
        let params = config
            .zones
            .iter()
            .map(|z| {
                let door = config
                    .gates
                    .iter()
                    .any(|g| g.inside == z.id || g.outside == z.id);
                Params::new(&z.smoothing).at_a_door(door, &z.smoothing)
            })
            .collect();
        Ok(Engine {
            config,
            zones,
            params,
            zone_index,
            read_points,
            gates,
            keys: Keys::default(),
            tags: KeyMap::default(),
            timers: BinaryHeap::new(),
            tracks: KeyMap::default(),
            gate_timers: BinaryHeap::new(),
            recalled: HashSet::new(),
            base_ms: None,
            now: 0,
            counters: Counters::default(),
        })
    }

    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// Take one read. Timeouts that fall due before the read's time fire first, so facts
    /// come out in time order. A read older than the engine's time counts as read now.
    #[inline]
    pub fn ingest(&mut self, read: &TagRead, out: &mut Vec<Fact>) {
        self.counters.reads += 1;
        let t = self.tick(read.timestamp_us, out);
        let zone = self
            .read_points
            .get(read.reader.0 as usize)
            .and_then(|r| r.get(read.antenna as usize))
            .copied()
            .unwrap_or(NONE);
        if zone == NONE {
            self.counters.unmapped_reads += 1;
            return;
        }
        let key = self.keys.key(&read.epc);
        let z = &self.zones[zone as usize];
        if let Some((gate, side)) = z.gate {
            self.gate_read(key, gate, side, t, ReadSignal::of(read), out);
        }
        let z = &self.zones[zone as usize];
        if let (Some(min), Some(rssi)) = (z.smoothing.min_rssi_dbm, read.rssi_dbm) {
            if rssi < min {
                self.counters.weak_reads += 1;
                return;
            }
        }
        self.smooth(
            key,
            zone,
            t,
            presence::power(read.rssi_dbm),
            read.timestamp_us,
            out,
        );
    }

    /// Restore what was decided before this engine ran (the register's `last_seen`, after a
    /// restart or when this instance takes a zone's readers over from another): the tag
    /// `epc` is in `zone`, with no fact for it. Read there again, it stays without a new
    /// arrival; a neighbour's cross-reads must move it as they would a tag this engine
    /// placed; not read again, it leaves after the zone's silence with a `left` fact. Only
    /// a tag the engine does not track yet; whether it was taken. At the engine's time now
    /// (advance it first; before any read, the time of the first).
    pub fn recall(&mut self, epc: &Epc, zone: ZoneId) -> bool {
        let Some(&z) = self.zone_index.get(&zone) else {
            return false;
        };
        let t = self.now;
        let key = self.keys.key(epc);
        let st = self.tags.entry(key).or_insert(TagState::EMPTY);
        if !st.is_empty() {
            return false;
        }
        let timer_at = st.timer_at;
        *st = TagState::recalled(z, t, presence::power(None));
        st.timer_at = timer_at;
        let due = st.due(&self.params);
        if due < st.timer_at {
            st.timer_at = due;
            push_timer(&mut self.timers, Timer { at: due, key });
        }
        self.enter(key, z);
        self.recalled.insert(key);
        true
    }

    /// The reader `reader` has (re)connected: what its antennas at a gate hear first may
    /// have begun unheard, in the doorway (see [`GateTrack::joined`]).
    pub fn reader_connected(&mut self, reader: ReaderId) {
        let Some(points) = self.read_points.get(reader.0 as usize) else {
            return;
        };
        for &z in points.iter().filter(|&&z| z != NONE) {
            if let Some((g, _)) = self.zones[z as usize].gate {
                self.gates[g as usize].heard_from = None;
            }
        }
    }

    /// Move the engine's time forward to `timestamp_us` (µs since the Unix epoch) and fire
    /// every timeout due before it: a quiet site still loses its tags.
    pub fn advance_to(&mut self, timestamp_us: u64, out: &mut Vec<Fact>) {
        self.tick(timestamp_us, out);
    }

    /// Fire every pending timeout, as if the readers fell silent for good: every tag
    /// leaves, every gate track is judged, every batch closes. Call at the end of a trace.
    pub fn flush(&mut self, out: &mut Vec<Fact>) {
        self.fire(u64::MAX, out);
    }

    /// End a service's run without inventing departures: every gate track is judged and
    /// every batch closed, as by [`Engine::flush`], but the tags stay where they are (a
    /// service stopping is not its tags leaving; the next run restores them with
    /// [`Engine::recall`]).
    pub fn close(&mut self, out: &mut Vec<Fact>) {
        self.fire_doors(u64::MAX, out);
    }

    /// The tags observed in `zone` now, in EPC order.
    pub fn zone_contents(&self, zone: ZoneId) -> Vec<Epc> {
        let Some(&z) = self.zone_index.get(&zone) else {
            return Vec::new();
        };
        let mut epcs: Vec<Epc> = self
            .tags
            .iter()
            .filter(|(_, s)| s.zone() == Some(z))
            .map(|(k, _)| self.keys.epc(*k))
            .collect();
        epcs.sort_unstable();
        epcs
    }

    /// Every tag observed now and its zone, in EPC order: what a stocktake starting now
    /// has already seen. A tag restored by [`Engine::recall`] counts once it is read in its
    /// zone again: until then it is where it was last decided to be, but not seen.
    pub fn located(&self) -> Vec<(Epc, ZoneId)> {
        let mut all: Vec<(Epc, ZoneId)> = self
            .tags
            .iter()
            .filter(|(k, _)| !self.recalled.contains(*k))
            .filter_map(|(k, s)| Some((self.keys.epc(*k), self.zones[s.zone()? as usize].id)))
            .collect();
        all.sort_unstable();
        all
    }

    /// How many tags are observed in `zone` now.
    pub fn zone_population(&self, zone: ZoneId) -> u32 {
        self.zone_index
            .get(&zone)
            .map_or(0, |&z| self.zones[z as usize].population)
    }

    /// Where `epc` is observed now.
    pub fn location(&self, epc: &Epc) -> Option<ZoneId> {
        let state = self.tags.get(&self.keys.find(epc)?)?;
        Some(self.zones[state.zone()? as usize].id)
    }

    /// The two zones `epc` is between, when it is: the one it is observed in first.
    pub fn between(&self, epc: &Epc) -> Option<(ZoneId, ZoneId)> {
        let state = self.tags.get(&self.keys.find(epc)?)?;
        let (zone, other) = (state.zone()?, state.between()?);
        Some((self.zones[zone as usize].id, self.zones[other as usize].id))
    }

    /// Every tag that is between two zones now, with the zone it is observed in and the
    /// other, in EPC order.
    pub fn located_between(&self) -> Vec<(Epc, ZoneId, ZoneId)> {
        let mut all: Vec<(Epc, ZoneId, ZoneId)> = self
            .tags
            .iter()
            .filter_map(|(k, s)| {
                let (zone, other) = (s.zone()?, s.between()?);
                Some((
                    self.keys.epc(*k),
                    self.zones[zone as usize].id,
                    self.zones[other as usize].id,
                ))
            })
            .collect();
        all.sort_unstable();
        all
    }

    /// Additions and deletions in `zone` since the last call for that zone, and start a new
    /// event cycle. `None` for an unknown zone.
    pub fn cycle_report(&mut self, zone: ZoneId) -> Option<CycleReport> {
        let z = *self.zone_index.get(&zone)?;
        let at = self.now_us();
        let population = self.zones[z as usize].population;
        let (additions, deletions) = match self.zones[z as usize].cycle.replace(Vec::new()) {
            None => (self.zone_contents(zone), Vec::new()),
            Some(log) => {
                // The first change to a tag in the cycle says whether it was there before.
                let mut first: HashMap<TagKey, bool> = HashMap::with_capacity(log.len());
                for (key, added) in log {
                    first.entry(key).or_insert(added);
                }
                let mut additions = Vec::new();
                let mut deletions = Vec::new();
                for (key, added_first) in first {
                    let here = self.tags.get(&key).is_some_and(|s| s.zone() == Some(z));
                    match (added_first, here) {
                        (true, true) => additions.push(self.keys.epc(key)),
                        (false, false) => deletions.push(self.keys.epc(key)),
                        _ => {}
                    }
                }
                additions.sort_unstable();
                deletions.sort_unstable();
                (additions, deletions)
            }
        };
        Some(CycleReport {
            zone,
            at,
            additions,
            deletions,
            population,
        })
    }

    pub fn counters(&self) -> Counters {
        Counters {
            tags_tracked: self.tags.len() as u64,
            gate_tracks: self.tracks.len() as u64,
            ..self.counters
        }
    }

    /// Engine time, µs since the Unix epoch (0 before the first read).
    pub fn now_us(&self) -> u64 {
        self.base_ms
            .map_or(0, |b| (b + u64::from(self.now)) * 1_000)
    }

    /// Bytes held, from table capacities: a hash table of `capacity` usable slots has
    /// `capacity * 8 / 7` buckets rounded up to a power of two, each an entry and one
    /// control byte.
    pub fn memory(&self) -> Memory {
        fn table<K, V>(capacity: usize) -> u64 {
            if capacity == 0 {
                return 0;
            }
            let buckets = if capacity < 8 {
                capacity + 1
            } else {
                (capacity * 8 / 7).next_power_of_two()
            };
            (buckets * (std::mem::size_of::<(K, V)>() + 1)) as u64
        }
        let timers =
            (self.timers.capacity() + self.gate_timers.capacity()) * std::mem::size_of::<Timer>();
        let logs: usize = self
            .zones
            .iter()
            .filter_map(|z| z.cycle.as_ref())
            .map(|c| c.capacity() * std::mem::size_of::<(TagKey, bool)>())
            .sum();
        Memory {
            tags: self.tags.len() as u64,
            tag_table_bytes: table::<TagKey, TagState>(self.tags.capacity()),
            timer_bytes: timers as u64,
            gate_bytes: table::<TagKey, GateTrack>(self.tracks.capacity())
                + self
                    .tracks
                    .values()
                    .map(|t| t.heap_bytes() as u64)
                    .sum::<u64>(),
            other_bytes: (self.keys.heap_bytes() + logs) as u64,
        }
    }

    /// Bytes of one tag's entry in the tag table.
    pub const TAG_ENTRY_BYTES: usize = std::mem::size_of::<(TagKey, TagState)>();

    /// Engine ms for a read's µs timestamp; moves the clock forward (firing what falls due
    /// before it) and returns the engine's time.
    #[inline]
    fn tick(&mut self, timestamp_us: u64, out: &mut Vec<Fact>) -> u32 {
        let ms = timestamp_us / 1_000;
        let base = *self.base_ms.get_or_insert(ms);
        let mut rel = ms.saturating_sub(base);
        if rel >= u64::from(REBASE_AT) {
            // Everything due before this read fires in the old epoch; what is left is younger
            // than the longest timeout, so it survives the shift unclamped.
            self.fire(rel, out);
            let shift = rel - u64::from(REBASE_BY);
            self.rebase(shift);
            rel = u64::from(REBASE_BY);
        }
        let rel = rel as u32;
        if rel > self.now {
            self.fire(u64::from(rel), out);
            self.now = rel;
        }
        self.now
    }

    /// Move the epoch forward by `shift` ms, clamping older times to 0.
    fn rebase(&mut self, shift: u64) {
        let back = |t: u32| {
            if t == u32::MAX {
                t
            } else {
                u64::from(t).saturating_sub(shift) as u32
            }
        };
        self.base_ms = self.base_ms.map(|b| b + shift);
        self.now = back(self.now);
        for st in self.tags.values_mut() {
            st.rebase(back);
        }
        for tr in self.tracks.values_mut() {
            tr.timer_at = back(tr.timer_at);
            for side in &mut tr.sides {
                side.first = back(side.first);
                side.last = back(side.last);
            }
            for r in &mut tr.reads {
                r.t = back(r.t);
            }
        }
        for g in &mut self.gates {
            for b in g.open.iter_mut().flatten() {
                b.first = back(b.first);
                b.last = back(b.last);
            }
            for c in &mut g.companions {
                c.at = back(c.at);
                c.first = back(c.first);
                c.last = back(c.last);
            }
        }
        self.timers = self
            .timers
            .drain()
            .map(|Reverse(t)| {
                Reverse(Timer {
                    at: back(t.at),
                    key: t.key,
                })
            })
            .collect();
        self.gate_timers = self
            .gate_timers
            .drain()
            .map(|Reverse(t)| {
                Reverse(Timer {
                    at: back(t.at),
                    key: t.key,
                })
            })
            .collect();
    }

    fn ms_to_us(&self, ms: u32) -> u64 {
        (self.base_ms.unwrap_or(0) + u64::from(ms)) * 1_000
    }

    /// Fire every timer due strictly before `limit` (engine ms), earliest first; at equal
    /// times zones before gates before batches.
    fn fire(&mut self, limit: u64, out: &mut Vec<Fact>) {
        self.fire_timers(limit, true, out);
    }

    /// Fire the gates' timers and batch closes due before `limit`, no zone's.
    fn fire_doors(&mut self, limit: u64, out: &mut Vec<Fact>) {
        self.fire_timers(limit, false, out);
    }

    fn fire_timers(&mut self, limit: u64, zones: bool, out: &mut Vec<Fact>) {
        loop {
            let zone = self
                .timers
                .peek()
                .map(|r| r.0.at)
                .filter(|&d| zones && u64::from(d) < limit);
            let gate = self
                .gate_timers
                .peek()
                .map(|r| r.0.at)
                .filter(|&d| u64::from(d) < limit);
            let batch = self
                .next_batch_close()
                .filter(|&(d, _, _)| u64::from(d) < limit);
            let zone_d = zone.map_or(u64::MAX, u64::from);
            let gate_d = gate.map_or(u64::MAX, u64::from);
            let batch_d = batch.map_or(u64::MAX, |(d, _, _)| u64::from(d));
            if zone.is_some() && zone_d <= gate_d && zone_d <= batch_d {
                let Reverse(timer) = self.timers.pop().expect("peeked");
                self.zone_timer(timer, out);
            } else if gate.is_some() && gate_d <= batch_d {
                let Reverse(timer) = self.gate_timers.pop().expect("peeked");
                self.gate_timer(timer, out);
            } else if let Some((_, g, dir)) = batch {
                self.close_batch(g, dir, out);
            } else {
                return;
            }
        }
    }

    fn zone_timer(&mut self, timer: Timer, out: &mut Vec<Fact>) {
        let Some(st) = self.tags.get_mut(&timer.key) else {
            return;
        };
        if st.timer_at != timer.at {
            return; // superseded by an earlier timer for the same tag
        }
        let due = st.due(&self.params);
        if due > timer.at {
            st.timer_at = due;
            push_timer(
                &mut self.timers,
                Timer {
                    at: due,
                    key: timer.key,
                },
            );
            return;
        }
        let step = st.expire(&self.params, timer.at);
        if st.is_empty() {
            self.tags.remove(&timer.key);
        } else {
            st.timer_at = st.due(&self.params);
            push_timer(
                &mut self.timers,
                Timer {
                    at: st.timer_at,
                    key: timer.key,
                },
            );
        }
        // A timer set for a moment already past (the read that made a hand-over possible
        // came after the old zone fell silent) fires at the next tick: what it decides is
        // known from the engine's present, not from that moment.
        self.record(timer.key, step, self.ms_to_us(timer.at.max(self.now)), out);
    }

    /// Presence of `key` after one read in zone index `z` at engine time `t`.
    #[inline]
    fn smooth(
        &mut self,
        key: TagKey,
        z: u16,
        t: u32,
        power: presence::Ev,
        timestamp_us: u64,
        out: &mut Vec<Fact>,
    ) {
        let st = self.tags.entry(key).or_insert(TagState::EMPTY);
        let (step, cross) = st.read(&self.params, z, t, power);
        if !self.recalled.is_empty() && (st.zone() == Some(z) || st.zone().is_none()) {
            // Seen where it was restored (or gone from there): no longer only recalled.
            self.recalled.remove(&key);
        }
        if cross {
            self.counters.cross_reads += 1;
        }
        let due = st.due(&self.params);
        if due < st.timer_at {
            st.timer_at = due;
            push_timer(&mut self.timers, Timer { at: due, key });
        }
        if step != Step::Stay {
            let at = timestamp_us.max(self.ms_to_us(t));
            self.record(key, step, at, out);
        }
    }

    /// The facts of a presence step, with zone populations and change logs kept in step.
    fn record(&mut self, key: TagKey, step: Step, at: u64, out: &mut Vec<Fact>) {
        let epc = self.keys.epc(key);
        let fact = match step {
            Step::Stay => return,
            Step::Arrived { zone, between } => {
                self.enter(key, zone);
                out.push(Fact::Arrived {
                    epc,
                    zone: self.zones[zone as usize].id,
                    at,
                });
                self.counters.arrived += 1;
                let Some(other) = between else { return };
                self.counters.between += 1;
                Fact::Between {
                    epc,
                    zone: self.zones[zone as usize].id,
                    other: self.zones[other as usize].id,
                    at,
                }
            }
            Step::Moved { from, to } => {
                self.leave(key, from);
                self.enter(key, to);
                self.recalled.remove(&key);
                self.counters.moved += 1;
                Fact::Moved {
                    epc,
                    from: self.zones[from as usize].id,
                    to: self.zones[to as usize].id,
                    at,
                }
            }
            Step::Between { zone, other } => {
                self.counters.between += 1;
                Fact::Between {
                    epc,
                    zone: self.zones[zone as usize].id,
                    other: self.zones[other as usize].id,
                    at,
                }
            }
            Step::Settled { from, zone } => {
                if from != zone {
                    self.leave(key, from);
                    self.enter(key, zone);
                }
                self.counters.settled += 1;
                Fact::Settled {
                    epc,
                    zone: self.zones[zone as usize].id,
                    at,
                }
            }
            Step::Left { zone } => {
                self.leave(key, zone);
                self.recalled.remove(&key);
                self.counters.left += 1;
                Fact::Left {
                    epc,
                    zone: self.zones[zone as usize].id,
                    at,
                }
            }
        };
        out.push(fact);
    }

    fn enter(&mut self, key: TagKey, z: u16) {
        let zone = &mut self.zones[z as usize];
        zone.population += 1;
        if let Some(log) = &mut zone.cycle {
            log.push((key, true));
        }
    }

    fn leave(&mut self, key: TagKey, z: u16) {
        let zone = &mut self.zones[z as usize];
        zone.population -= 1;
        if let Some(log) = &mut zone.cycle {
            log.push((key, false));
        }
    }

    fn gate_read(
        &mut self,
        key: TagKey,
        g: u16,
        side: usize,
        t: u32,
        signal: ReadSignal,
        out: &mut Vec<Fact>,
    ) {
        let gate = &mut self.gates[g as usize];
        let joined = t.saturating_sub(*gate.heard_from.get_or_insert(t)) < JOIN_MS;
        let gate = &self.gates[g as usize];
        let track = self.tracks.entry(key).or_insert_with(|| GateTrack {
            joined,
            ..GateTrack::new(g)
        });
        // Only a track read on one side lately is restarted: one in the middle of a passage
        // (both sides reading) is never split, unless it is full.
        let other = track.sides[1 - side];
        let one_sided = other.reads == 0 || t - other.last > gate.quiet_ms;
        let stale = one_sided && track.first().is_some_and(|f| t - f > gate.max_track_ms);
        if track.gate != g || stale || track.is_full() {
            // Read at another gate, or lingering here too long: judge what is there so far.
            // A tag still in the doorway's field a whole `max_track_ms` later is asked about,
            // not acted on: a trolley parked just inside that only the outside antennas hear
            // looks like one parked just outside. (A full track is not: one tag alone in the
            // field is read over a thousand times a second, and may cross in a few seconds.)
            let lingered = track.gate == g && stale;
            let old = std::mem::replace(
                track,
                GateTrack {
                    joined,
                    ..GateTrack::new(g)
                },
            );
            self.judge_track(key, &old, t, lingered, out);
        }
        let track = self.tracks.get_mut(&key).expect("just inserted");
        track.record(side, t, signal);
        let due = track.last().saturating_add(self.gates[g as usize].quiet_ms);
        if due < track.timer_at {
            track.timer_at = due;
            self.gate_timers.push(Reverse(Timer { at: due, key }));
        }
    }

    fn gate_timer(&mut self, timer: Timer, out: &mut Vec<Fact>) {
        let Some(track) = self.tracks.get(&timer.key) else {
            return;
        };
        if track.timer_at != timer.at {
            return;
        }
        // A sure passage, heard on its new side for a while, is judged once the tag is
        // quiet; anything else waits longer: for the rest of a crossing that a null at the
        // door plane interrupted, or for a trolley that poked through the door to come back.
        let gate = &self.gates[track.gate as usize];
        let sure = judge(track, gate.min_reads).is_some_and(|p| {
            p.confidence >= gate.min_confidence && track.last().saturating_sub(p.at) >= SETTLE_MS
        });
        // A track that is not sure on its own (heard on one side only, or too weakly) may
        // be spoken for by the tags it travelled with, but they are heard for seconds
        // longer on the side they entered: it waits for their judgment.
        let wait = if sure {
            gate.quiet_ms.max(SURE_WAIT_MS)
        } else {
            gate.undecided_ms.max(COMPANION_WAIT_MS)
        };
        let due = track.last().saturating_add(wait);
        if due > timer.at {
            self.tracks.get_mut(&timer.key).expect("present").timer_at = due;
            self.gate_timers.push(Reverse(Timer {
                at: due,
                key: timer.key,
            }));
            return;
        }
        let track = self.tracks.remove(&timer.key).expect("present");
        self.judge_track(timer.key, &track, timer.at, false, out);
    }

    /// Judge a track at engine time `now` and put a passage into its gate batch.
    fn judge_track(
        &mut self,
        key: TagKey,
        track: &GateTrack,
        now: u32,
        lingered: bool,
        out: &mut Vec<Fact>,
    ) {
        let gate = &mut self.gates[track.gate as usize];
        let own = judge(track, gate.min_reads).map(|p| match lingered {
            true => Passage {
                confidence: p.confidence.min(LINGERED_CONFIDENCE),
                ..p
            },
            false => p,
        });
        let p = match own {
            Some(p) if p.confidence >= gate.min_confidence => {
                gate.companions
                    .retain(|c| c.last.saturating_add(COMPANION_MEMORY_MS) >= now);
                if gate.companions.len() >= MAX_COMPANIONS {
                    gate.companions.remove(0);
                }
                gate.companions.push(Companion {
                    direction: p.direction,
                    at: p.at,
                    first: track.first().unwrap_or(p.at),
                    last: track.last(),
                    confidence: p.confidence,
                    step: step(&track.reads, p.at, p.direction).unwrap_or(0.0),
                    profile: Profile::around(&track.reads, p.at),
                });
                p
            }
            _ => match with_companions(track, own, &gate.companions).or(own) {
                Some(p) => p,
                None => return,
            },
        };
        let gate = &self.gates[track.gate as usize];
        let d = dir_index(p.direction);
        let gap = gate.batch_gap_ms;
        let joins = gate.open[d].is_some_and(|b| b.takes(p.at, gap));
        if !joins {
            self.close_batch(track.gate, d, out);
            let gate = &mut self.gates[track.gate as usize];
            gate.open[d] = Some(OpenBatch {
                seq: gate.next_batch,
                count: 0,
                first: p.at,
                last: p.at,
                judged: now,
            });
            gate.next_batch += 1;
        }
        let gate = &mut self.gates[track.gate as usize];
        let batch = gate.open[d].as_mut().expect("opened above");
        batch.count += 1;
        batch.first = batch.first.min(p.at);
        batch.last = batch.last.max(p.at);
        batch.judged = batch.judged.max(now);
        let (seq, id, min_confidence) = (batch.seq, gate.id, gate.min_confidence);
        out.push(Fact::Passed {
            epc: self.keys.epc(key),
            gate: id,
            direction: p.direction,
            at: self.ms_to_us(p.at),
            confidence: p.confidence,
            batch: seq,
            uncertain: p.confidence < min_confidence,
        });
        self.counters.passed += 1;
    }

    /// The earliest time an open batch closes: `batch_gap_ms` after its last judged passage.
    fn next_batch_close(&self) -> Option<(u32, u16, usize)> {
        let mut next: Option<(u32, u16, usize)> = None;
        for (g, gate) in self.gates.iter().enumerate() {
            for (d, b) in gate.open.iter().enumerate() {
                if let Some(b) = b {
                    let at = b.judged.saturating_add(gate.batch_gap_ms);
                    if next.is_none_or(|(n, _, _)| at < n) {
                        next = Some((at, g as u16, d));
                    }
                }
            }
        }
        next
    }

    fn close_batch(&mut self, g: u16, d: usize, out: &mut Vec<Fact>) {
        let gate = &mut self.gates[g as usize];
        let Some(b) = gate.open[d].take() else { return };
        out.push(Fact::BatchClosed {
            gate: gate.id,
            direction: if d == 0 {
                Direction::In
            } else {
                Direction::Out
            },
            batch: b.seq,
            count: b.count,
            first_at: self.ms_to_us(b.first),
            last_at: self.ms_to_us(b.last),
        });
        self.counters.batches += 1;
    }
}

/// Grow a timer heap by a quarter, not double: with one timer per tracked tag, doubling
/// would cost up to 20 more bytes per tag right after each growth.
#[inline]
fn push_timer(heap: &mut BinaryHeap<Reverse<Timer>>, timer: Timer) {
    if heap.len() == heap.capacity() {
        heap.reserve_exact(heap.capacity() / 4 + 64);
    }
    heap.push(Reverse(timer));
}

fn dir_index(d: Direction) -> usize {
    match d {
        Direction::In => 0,
        Direction::Out => 1,
    }
}
