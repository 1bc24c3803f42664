//! Engine configuration: readers, zones, read points and gates, loadable with serde.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

/// A zone as the service numbers it (a storage area, an aisle, one side of a gate).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ZoneId(pub u32);

/// A gate (portal) as the service numbers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct GateId(pub u32);

/// Everything the engine needs to know about the site; the service loads it from its
/// configuration (JSON here; any serde format works).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EngineConfig {
    /// Reader names, so traces and logs can say `"dock"` rather than a number.
    #[serde(default)]
    pub readers: Vec<ReaderConfig>,
    pub zones: Vec<ZoneConfig>,
    pub read_points: Vec<ReadPoint>,
    #[serde(default)]
    pub gates: Vec<GateConfig>,
}

/// A reader: `id` is its [`depot_readers::ReaderId`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReaderConfig {
    pub id: u32,
    pub name: String,
}

/// One (reader, antenna) pair and the zone its reads stand for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReadPoint {
    /// The reader's [`depot_readers::ReaderId`].
    pub reader: u32,
    /// Antenna port, 1-based.
    pub antenna: u16,
    pub zone: ZoneId,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZoneConfig {
    pub id: ZoneId,
    pub name: String,
    #[serde(default)]
    pub smoothing: Smoothing,
}

/// ALE-style smoothing of one zone: a tag is *glimpsed* at its first read, *observed*
/// after `observe_reads` reads or `observe_ms` of being glimpsed (in the zone with clearly the
/// strongest evidence), *lost* after `lost_ms` of silence.
///
/// Where a tag is observed is decided by evidence, not by single reads: per tag and zone,
/// the power of its reads (linear, so a zone that reads it more often or more strongly has
/// more) summed over an exponential window of `window_ms`, compared in dB. Another zone
/// takes the tag only once its evidence has led by half of `cross_read_margin_db` for about
/// a window (or the tag's zone fell silent for `lost_ms`); two zones whose evidence stays
/// within that half margin for several windows hold the tag *between* them, and it stays
/// between until one leads by the whole margin for several windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Smoothing {
    pub observe_reads: u16,
    pub observe_ms: u32,
    pub lost_ms: u32,
    /// Reads weaker than this are not counted for this zone's smoothing (they are
    /// typically cross-reads from a neighbouring area). Gates still see them.
    pub min_rssi_dbm: Option<i8>,
    /// How much stronger (in dB of evidence) a zone must be to take a tag from another:
    /// half of it, held for about a window, moves the tag; a tag within half of it of two
    /// zones for several windows is between them. About the isolation the racks give
    /// between neighbouring zones, less a few dB; `None` is 0 (the strongest zone wins
    /// after a window, and no tag is ever between).
    pub cross_read_margin_db: Option<u8>,
    /// The evidence window, the time constant over which reads are summed: long enough to
    /// span several reads of a tag in each zone and several channel hops (shelves: 2–4 s),
    /// short enough to follow a tag carried through (gates: about a second). A move takes
    /// about one to two windows. `None`: half of `lost_ms`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window_ms: Option<u32>,
}

impl Smoothing {
    /// The evidence window in ms: `window_ms`, else half of `lost_ms` (at least 1).
    pub fn window(&self) -> u32 {
        self.window_ms.unwrap_or(self.lost_ms / 2).max(1)
    }
}

impl Default for Smoothing {
    fn default() -> Self {
        Smoothing {
            observe_reads: 3,
            observe_ms: 1_000,
            lost_ms: 3_000,
            min_rssi_dbm: None,
            cross_read_margin_db: Some(10),
            window_ms: None,
        }
    }
}

/// A portal: two zones, `inside` (the depot) and `outside`, that may be two antenna sets
/// of one reader.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GateConfig {
    pub id: GateId,
    pub name: String,
    pub inside: ZoneId,
    pub outside: ZoneId,
    /// Passages closer than this belong to one gate batch (a trolley or a pallet).
    #[serde(default = "default_batch_gap_ms")]
    pub batch_gap_ms: u32,
    /// A tag's passage is judged once the gate has not read it for this long, and at least
    /// 5 s: a trolley stopped in the doorway may be heard by neither side for seconds.
    #[serde(default = "default_quiet_ms")]
    pub quiet_ms: u32,
    /// A track that is not yet a sure passage when it goes quiet waits this long after its
    /// last read (at least `quiet_ms`, and at least 10 s) before it is judged: a tag crossing
    /// through a null at the door plane falls silent for a second or two, then is heard on
    /// the other side, and both halves belong to one passage; and the sure tags of the load
    /// it travelled with, heard for seconds longer, must be judged first to speak for it.
    #[serde(default = "default_undecided_ms")]
    pub undecided_ms: u32,
    /// Reads needed on each side before a passage can be judged.
    #[serde(default = "default_min_reads")]
    pub min_reads: u16,
    /// A track older than this, read on one side only for the last `quiet_ms`, is judged and
    /// started afresh, so a tag that lingered at the gate for an hour is judged on its last
    /// minute, not dated by its old RSSI peaks; a passage so judged is asked about, not acted
    /// on (the tag is still in the doorway's field).
    #[serde(default = "default_max_track_ms")]
    pub max_track_ms: u32,
    /// Passages judged less sure than this (0..=1) are reported as uncertain: a person
    /// confirms or dismisses them; the lifecycle acts only on the sure ones.
    #[serde(default = "default_min_confidence")]
    pub min_confidence: f32,
}

fn default_batch_gap_ms() -> u32 {
    3_000
}
fn default_quiet_ms() -> u32 {
    1_500
}
fn default_undecided_ms() -> u32 {
    5_000
}
fn default_max_track_ms() -> u32 {
    60_000
}
fn default_min_reads() -> u16 {
    2
}
/// The default threshold for acting on a passage.
pub const DEFAULT_MIN_CONFIDENCE: f32 = 0.9;
fn default_min_confidence() -> f32 {
    DEFAULT_MIN_CONFIDENCE
}

/// A configuration the engine cannot run with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("zone {0} is configured twice")]
    DuplicateZone(u32),
    #[error("gate {0} is configured twice")]
    DuplicateGate(u32),
    #[error("reader {0} is configured twice")]
    DuplicateReader(u32),
    #[error("reader name {0:?} is used twice")]
    DuplicateReaderName(String),
    #[error("read point (reader {reader}, antenna {antenna}) is configured twice")]
    DuplicateReadPoint { reader: u32, antenna: u16 },
    #[error("read point (reader {reader}, antenna {antenna}) names unknown zone {zone}")]
    UnknownZone {
        reader: u32,
        antenna: u16,
        zone: u32,
    },
    #[error("gate {gate} names unknown zone {zone}")]
    GateUnknownZone { gate: u32, zone: u32 },
    #[error("gate {gate}: min_confidence must be between 0 and 1")]
    BadConfidence { gate: u32 },
    #[error("gate {gate}: inside and outside are the same zone {zone}")]
    GateSameZone { gate: u32, zone: u32 },
    #[error("zone {zone} is a side of both gate {first} and gate {second}")]
    ZoneInTwoGates { zone: u32, first: u32, second: u32 },
    #[error("zone {zone}: observe_reads must be at least 1")]
    ZeroObserveReads { zone: u32 },
    #[error("zone {zone}: lost_ms must be at least 1")]
    ZeroLostMs { zone: u32 },
    #[error("zone {zone}: window_ms must be at least 1")]
    ZeroWindowMs { zone: u32 },
    #[error("{what} {id}: a timeout is longer than one day ({MAX_TIMEOUT_MS} ms)")]
    TimeoutTooLong { what: &'static str, id: u32 },
    #[error("more than {max} zones")]
    TooManyZones { max: usize },
    #[error("reader id {0} is too large for a dense table (at most {MAX_READER_ID})")]
    ReaderIdTooLarge(u32),
}

/// Timeouts are at most a day: engine time is rebased every 12 days, and only state
/// younger than that survives a rebase.
pub const MAX_TIMEOUT_MS: u32 = 86_400_000;

/// Zone indices are 12 bits in the engine's per-tag state, with one value reserved for
/// "none".
pub const MAX_ZONES: usize = (1 << 12) - 1;

/// Reader ids index a dense table on the hot path; the service numbers readers densely.
pub const MAX_READER_ID: u32 = 65_535;

impl EngineConfig {
    /// Check the configuration as a whole; [`crate::engine::Engine::new`] calls this.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let mut zones = HashSet::new();
        for z in &self.zones {
            if !zones.insert(z.id) {
                return Err(ConfigError::DuplicateZone(z.id.0));
            }
            if z.smoothing.observe_reads == 0 {
                return Err(ConfigError::ZeroObserveReads { zone: z.id.0 });
            }
            if z.smoothing.lost_ms == 0 {
                return Err(ConfigError::ZeroLostMs { zone: z.id.0 });
            }
            if z.smoothing.window_ms == Some(0) {
                return Err(ConfigError::ZeroWindowMs { zone: z.id.0 });
            }
            if z.smoothing.lost_ms > MAX_TIMEOUT_MS
                || z.smoothing.observe_ms > MAX_TIMEOUT_MS
                || z.smoothing.window_ms.unwrap_or(0) > MAX_TIMEOUT_MS
            {
                return Err(ConfigError::TimeoutTooLong {
                    what: "zone",
                    id: z.id.0,
                });
            }
        }
        if self.zones.len() > MAX_ZONES {
            return Err(ConfigError::TooManyZones { max: MAX_ZONES });
        }
        let mut ids = HashSet::new();
        let mut names = HashSet::new();
        for r in &self.readers {
            if !ids.insert(r.id) {
                return Err(ConfigError::DuplicateReader(r.id));
            }
            if !names.insert(r.name.as_str()) {
                return Err(ConfigError::DuplicateReaderName(r.name.clone()));
            }
        }
        let mut points = HashSet::new();
        for p in &self.read_points {
            if p.reader > MAX_READER_ID {
                return Err(ConfigError::ReaderIdTooLarge(p.reader));
            }
            if !points.insert((p.reader, p.antenna)) {
                return Err(ConfigError::DuplicateReadPoint {
                    reader: p.reader,
                    antenna: p.antenna,
                });
            }
            if !zones.contains(&p.zone) {
                return Err(ConfigError::UnknownZone {
                    reader: p.reader,
                    antenna: p.antenna,
                    zone: p.zone.0,
                });
            }
        }
        let mut gates = HashSet::new();
        let mut sides: HashMap<ZoneId, GateId> = HashMap::new();
        for g in &self.gates {
            if !gates.insert(g.id) {
                return Err(ConfigError::DuplicateGate(g.id.0));
            }
            if g.batch_gap_ms > MAX_TIMEOUT_MS
                || g.quiet_ms > MAX_TIMEOUT_MS
                || g.undecided_ms > MAX_TIMEOUT_MS
                || g.max_track_ms > MAX_TIMEOUT_MS
            {
                return Err(ConfigError::TimeoutTooLong {
                    what: "gate",
                    id: g.id.0,
                });
            }
            if !(0.0..=1.0).contains(&g.min_confidence) {
                return Err(ConfigError::BadConfidence { gate: g.id.0 });
            }
            if g.inside == g.outside {
                return Err(ConfigError::GateSameZone {
                    gate: g.id.0,
                    zone: g.inside.0,
                });
            }
            for zone in [g.inside, g.outside] {
                if !zones.contains(&zone) {
                    return Err(ConfigError::GateUnknownZone {
                        gate: g.id.0,
                        zone: zone.0,
                    });
                }
                if let Some(first) = sides.insert(zone, g.id) {
                    return Err(ConfigError::ZoneInTwoGates {
                        zone: zone.0,
                        first: first.0,
                        second: g.id.0,
                    });
                }
            }
        }
        Ok(())
    }

    /// The reader with this name, as traces name readers.
    pub fn reader_by_name(&self, name: &str) -> Option<u32> {
        self.readers.iter().find(|r| r.name == name).map(|r| r.id)
    }

    pub fn reader_name(&self, id: u32) -> Option<&str> {
        self.readers
            .iter()
            .find(|r| r.id == id)
            .map(|r| r.name.as_str())
    }
}
