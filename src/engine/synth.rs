//! Deterministic synthetic traces: the same scenario, tag count and seed always give the
//! same reads, byte for byte (a hand-written PRNG, so no dependency update can change them).
//!
//! The reader model is Gen2 inventory in rounds: a reader cycles its antennas; each round
//! on one antenna reads every tag in that antenna's field at most once, with a chance that
//! falls with RSSI (missed reads); a round lasts one slot per tag (1/1,100 s for a fixed
//! reader's shared ceiling, longer for slower readers) but at least
//! [`MIN_ROUND_US`](crate::engine::synth::MIN_ROUND_US). So a lone tag is read ~200 times a
//! second over all antennas, and the duplicate rate falls as the population grows. RSSI
//! falls with distance and behind an antenna, so it rises then falls through a portal.

use depot_readers::{Epc, ReaderId, TagRead};

use super::config::{
    EngineConfig, GateConfig, GateId, ReadPoint, ReaderConfig, Smoothing, ZoneConfig, ZoneId,
};
use super::trace::{Expected, ReplayConfig, StocktakePlan};

/// One reader's reads per second, at most.
pub const READER_CEILING_PER_S: u64 = 1_100;
/// The shortest inventory round on one antenna.
pub const MIN_ROUND_US: u64 = 5_000;
/// Below this a tag is not in an antenna's field at all.
const SENSITIVITY_DBM: f64 = -75.0;
/// 2025-11-22T02:00:00Z: traces start here so their times look like real ones.
pub const TRACE_EPOCH_US: u64 = 1_763_776_800_000_000;

/// SplitMix64: tiny, fast, and fixed forever.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x5DEE_CE66_D1CE_4E5B)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }
}

/// A GIAI-96 EPC: header 0x34, filter 0, partition 5 and a fixed company prefix, then the
/// asset reference.
pub fn asset_epc(asset: u64) -> Epc {
    let mut b = [0u8; 12];
    b[..5].copy_from_slice(&[0x34, 0x14, 0xA3, 0xF0, 0x00]);
    b[5..].copy_from_slice(&asset.to_be_bytes()[1..]);
    Epc::new(&b).expect("12 bytes")
}

/// A tag the depot never commissioned (another vendor's raw EPC).
pub fn foreign_epc(n: u64) -> Epc {
    let mut b = [0u8; 12];
    b[..4].copy_from_slice(&[0xE2, 0x80, 0x68, 0x94]);
    b[4..].copy_from_slice(&(n ^ 0x0BAD_F00D_0000).to_be_bytes());
    Epc::new(&b).expect("12 bytes")
}

/// Which scenario to synthesize.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Scenario {
    /// Trolleys of assets pushed out through the gate while a stray tag lingers inside.
    GateOut,
    /// Trolleys of assets brought in through the gate.
    GateIn,
    /// Four aisles counted by fixed readers: some assets absent, some in the wrong aisle,
    /// some foreign tags.
    Stocktake,
    /// A trolley comes in while a pallet in the staging area beside the gate is cross-read
    /// by the gate's outside antennas.
    CrossRead,
}

/// Knobs of a synthesized trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    pub scenario: Scenario,
    pub tags: u32,
    pub seed: u64,
    /// Stocktake: expected assets left out of the depot.
    pub absent: u32,
    /// Stocktake: expected assets put in the wrong aisle.
    pub misplaced: u32,
    /// Stocktake: foreign tags put in the aisles.
    pub unknown: u32,
}

impl Options {
    pub fn new(scenario: Scenario, tags: u32, seed: u64) -> Self {
        Options {
            scenario,
            tags,
            seed,
            absent: 7,
            misplaced: 3,
            unknown: 2,
        }
    }
}

/// A synthesized trace: its configuration, its reads in time order, and what really
/// happened, to hold the engine's facts against.
#[derive(Debug, Clone)]
pub struct Synthesized {
    pub config: ReplayConfig,
    pub reads: Vec<TagRead>,
    pub truth: Truth,
}

/// What the synthesizer put where.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Truth {
    /// Tags carried through the gate.
    pub passed: Vec<Epc>,
    /// Tags near the gate that never pass it (the stray, the staging pallet).
    pub lingering: Vec<Epc>,
    /// Stocktake: expected assets left out.
    pub absent: Vec<Epc>,
    /// Stocktake: (asset, expected zone, zone it really is in).
    pub misplaced: Vec<(Epc, ZoneId, ZoneId)>,
    /// Stocktake: foreign tags and the zone they are in.
    pub unknown: Vec<(Epc, ZoneId)>,
}

impl Synthesized {
    pub fn reader_name(&self, id: ReaderId) -> &str {
        self.config.engine.reader_name(id.0).unwrap_or("?")
    }
}

#[derive(Debug, Clone, Copy)]
struct Antenna {
    reader: u32,
    /// The reader's reads per second at most, shared by its antennas.
    ceiling: u64,
    port: u16,
    x: f64,
    y: f64,
    /// Unit vector the antenna faces; tags behind it read 12 dB weaker.
    facing: (f64, f64),
}

#[derive(Debug, Clone, Copy)]
enum Motion {
    Still {
        x: f64,
        y: f64,
    },
    /// Moving along x at `vx` m/s from `x0` at `start_s`.
    Line {
        x0: f64,
        y: f64,
        vx: f64,
        start_s: f64,
    },
}

#[derive(Debug, Clone, Copy)]
struct Tag {
    epc: Epc,
    motion: Motion,
    /// Seconds during which the tag is anywhere near the readers.
    from_s: f64,
    to_s: f64,
    /// Extra loss: shelving, orientation, the item it is stuck to.
    loss_db: f64,
}

impl Tag {
    fn position(&self, t: f64) -> Option<(f64, f64)> {
        if t < self.from_s || t >= self.to_s {
            return None;
        }
        Some(match self.motion {
            Motion::Still { x, y } => (x, y),
            Motion::Line { x0, y, vx, start_s } => (x0 + vx * (t - start_s).max(0.0), y),
        })
    }
}

fn rssi(tag: &Tag, (x, y): (f64, f64), a: &Antenna, rng: &mut Rng) -> f64 {
    let (dx, dy) = (x - a.x, y - a.y);
    let d = (dx * dx + dy * dy).sqrt().max(0.5);
    let behind = if dx * a.facing.0 + dy * a.facing.1 < 0.0 {
        12.0
    } else {
        0.0
    };
    let noise = rng.range(-2.0, 2.0) + rng.range(-2.0, 2.0);
    -40.0 - 35.0 * (d / 0.5).log10() - behind - tag.loss_db + noise
}

fn detect_chance(rssi: f64) -> f64 {
    ((rssi - SENSITIVITY_DBM) / 12.0).clamp(0.0, 0.97)
}

/// Run every reader over `[0, seconds)` and return all reads in time order.
fn run_readers(antennas: &[Antenna], tags: &[Tag], seconds: f64, rng: &mut Rng) -> Vec<TagRead> {
    let mut reads = Vec::new();
    let mut readers: Vec<u32> = antennas.iter().map(|a| a.reader).collect();
    readers.dedup();
    let end_us = (seconds * 1e6) as u64;
    let mut in_field: Vec<(usize, f64)> = Vec::new();
    for reader in readers {
        let ants: Vec<&Antenna> = antennas.iter().filter(|a| a.reader == reader).collect();
        // Readers are not synchronised: each starts at its own offset.
        let mut now = rng.below(MIN_ROUND_US);
        let mut turn = 0;
        while now < end_us {
            let a = ants[turn % ants.len()];
            turn += 1;
            let t = now as f64 / 1e6;
            in_field.clear();
            for (i, tag) in tags.iter().enumerate() {
                if let Some(p) = tag.position(t) {
                    let r = rssi(tag, p, a, rng);
                    if r >= SENSITIVITY_DBM {
                        in_field.push((i, r));
                    }
                }
            }
            let slot = 1_000_000 / a.ceiling;
            let round = (in_field.len() as u64 * slot).max(MIN_ROUND_US);
            for &(i, r) in &in_field {
                if rng.unit() < detect_chance(r) {
                    let at = now + rng.below(round);
                    reads.push(TagRead {
                        epc: tags[i].epc,
                        reader: ReaderId(a.reader),
                        antenna: a.port,
                        rssi_dbm: Some(r.round().clamp(-128.0, 0.0) as i8),
                        timestamp_us: TRACE_EPOCH_US + at,
                        channel: None,
                        phase: None,
                        seen_count: None,
                    });
                }
            }
            now += round;
        }
    }
    reads.sort_by(|a, b| {
        (a.timestamp_us, a.reader, a.antenna, a.epc).cmp(&(
            b.timestamp_us,
            b.reader,
            b.antenna,
            b.epc,
        ))
    });
    reads
}

const DOCK_INSIDE: ZoneId = ZoneId(10);
const DOCK_OUTSIDE: ZoneId = ZoneId(11);
const STAGING: ZoneId = ZoneId(12);
const GATE: GateId = GateId(1);

fn zone(id: ZoneId, name: &str, smoothing: Smoothing) -> ZoneConfig {
    ZoneConfig {
        id,
        name: name.into(),
        smoothing,
    }
}

/// The dock: one gate reader, antennas 1–2 inside facing in, 3–4 outside facing out.
fn dock(with_staging: bool) -> (EngineConfig, Vec<Antenna>) {
    let dock = Smoothing {
        observe_reads: 3,
        observe_ms: 1_000,
        lost_ms: 2_000,
        min_rssi_dbm: Some(-67),
        cross_read_margin_db: Some(10),
        window_ms: None,
    };
    let mut config = EngineConfig {
        readers: vec![ReaderConfig {
            id: 0,
            name: "gate".into(),
        }],
        zones: vec![
            zone(DOCK_INSIDE, "dock inside", dock),
            zone(DOCK_OUTSIDE, "dock outside", dock),
        ],
        read_points: (1..=4)
            .map(|antenna| ReadPoint {
                reader: 0,
                antenna,
                zone: if antenna <= 2 {
                    DOCK_INSIDE
                } else {
                    DOCK_OUTSIDE
                },
            })
            .collect(),
        gates: vec![GateConfig {
            id: GATE,
            name: "main door".into(),
            inside: DOCK_INSIDE,
            outside: DOCK_OUTSIDE,
            batch_gap_ms: 3_000,
            quiet_ms: 1_500,
            undecided_ms: 5_000,
            min_reads: 2,
            max_track_ms: 60_000,
            min_confidence: super::config::DEFAULT_MIN_CONFIDENCE,
        }],
    };
    let mut antennas = vec![
        Antenna {
            reader: 0,
            ceiling: READER_CEILING_PER_S,
            port: 1,
            x: -0.5,
            y: 1.2,
            facing: (-1.0, 0.0),
        },
        Antenna {
            reader: 0,
            ceiling: READER_CEILING_PER_S,
            port: 2,
            x: -0.5,
            y: -1.2,
            facing: (-1.0, 0.0),
        },
        Antenna {
            reader: 0,
            ceiling: READER_CEILING_PER_S,
            port: 3,
            x: 0.5,
            y: 1.2,
            facing: (1.0, 0.0),
        },
        Antenna {
            reader: 0,
            ceiling: READER_CEILING_PER_S,
            port: 4,
            x: 0.5,
            y: -1.2,
            facing: (1.0, 0.0),
        },
    ];
    if with_staging {
        config.readers.push(ReaderConfig {
            id: 1,
            name: "staging".into(),
        });
        config.zones.push(zone(STAGING, "staging", dock));
        config.read_points.push(ReadPoint {
            reader: 1,
            antenna: 1,
            zone: STAGING,
        });
        // A small serial reader over the staging area, slower than the gate's.
        antennas.push(Antenna {
            reader: 1,
            ceiling: 250,
            port: 1,
            x: 3.0,
            y: -2.5,
            facing: (0.0, -1.0),
        });
    }
    (config, antennas)
}

/// Trolleys of at most 60 tags, 15 s apart, crossing the gate at 1 m/s.
fn trolleys(tags: u32, outward: bool, first_asset: u64, rng: &mut Rng) -> (Vec<Tag>, f64) {
    let per_trolley = 60;
    let mut out = Vec::new();
    let mut end = 0.0_f64;
    for i in 0..tags {
        let k = f64::from(i / per_trolley);
        let start = 2.0 + 15.0 * k;
        let (x0, vx) = if outward { (-6.0, 1.0) } else { (6.0, -1.0) };
        let (dx, dy) = (rng.range(-0.4, 0.4), rng.range(-0.4, 0.4));
        out.push(Tag {
            epc: asset_epc(first_asset + u64::from(i)),
            motion: Motion::Line {
                x0: x0 + dx,
                y: dy,
                vx,
                start_s: start,
            },
            from_s: start,
            to_s: start + 12.0,
            loss_db: rng.range(0.0, 4.0),
        });
        end = end.max(start + 12.0);
    }
    (out, end + 1.0)
}

/// Synthesize a trace.
pub fn synthesize(opts: &Options) -> Synthesized {
    let mut rng = Rng::new(opts.seed);
    match opts.scenario {
        Scenario::GateOut | Scenario::GateIn => {
            let outward = opts.scenario == Scenario::GateOut;
            let (config, antennas) = dock(false);
            let (mut tags, seconds) = trolleys(opts.tags, outward, 1, &mut rng);
            let mut truth = Truth {
                passed: tags.iter().map(|t| t.epc).collect(),
                ..Truth::default()
            };
            if outward {
                // The stray: left on the floor just inside the door for the whole session.
                truth.lingering.push(asset_epc(900_000));
                tags.push(Tag {
                    epc: asset_epc(900_000),
                    motion: Motion::Still { x: -2.0, y: 0.8 },
                    from_s: 0.0,
                    to_s: seconds,
                    loss_db: 0.0,
                });
            }
            let reads = run_readers(&antennas, &tags, seconds, &mut rng);
            Synthesized {
                config: ReplayConfig {
                    engine: config,
                    stocktake: None,
                },
                reads,
                truth,
            }
        }
        Scenario::CrossRead => {
            let (config, antennas) = dock(true);
            let (mut tags, seconds) = trolleys(opts.tags, false, 1, &mut rng);
            let mut truth = Truth {
                passed: tags.iter().map(|t| t.epc).collect(),
                ..Truth::default()
            };
            for i in 0..20 {
                truth.lingering.push(asset_epc(800_000 + i));
                tags.push(Tag {
                    epc: asset_epc(800_000 + i),
                    motion: Motion::Still {
                        x: 3.0 + rng.range(-0.5, 0.5),
                        y: -3.5 + rng.range(-0.4, 0.4),
                    },
                    from_s: 0.0,
                    to_s: seconds,
                    loss_db: rng.range(0.0, 3.0),
                });
            }
            let reads = run_readers(&antennas, &tags, seconds, &mut rng);
            Synthesized {
                config: ReplayConfig {
                    engine: config,
                    stocktake: None,
                },
                reads,
                truth,
            }
        }
        Scenario::Stocktake => stocktake(opts, &mut rng),
    }
}

/// Four aisles 3 m apart, each with one reader and two antennas; shelves on both sides.
fn stocktake(opts: &Options, rng: &mut Rng) -> Synthesized {
    const AISLES: u32 = 4;
    // A stocktake sweeps: a tag is observed on three reads within half a second.
    let aisle = Smoothing {
        observe_reads: 3,
        observe_ms: 500,
        lost_ms: 5_000,
        min_rssi_dbm: Some(-72),
        cross_read_margin_db: Some(10),
        window_ms: None,
    };
    let mut config = EngineConfig::default();
    let mut antennas = Vec::new();
    for a in 0..AISLES {
        let id = ZoneId(a + 1);
        config.readers.push(ReaderConfig {
            id: a,
            name: format!("aisle-{}", a + 1),
        });
        config
            .zones
            .push(zone(id, &format!("aisle {}", a + 1), aisle));
        for (port, x) in [(1u16, 2.5), (2, 7.5)] {
            config.read_points.push(ReadPoint {
                reader: a,
                antenna: port,
                zone: id,
            });
            // Ceiling antennas look down: nothing is behind them.
            antennas.push(Antenna {
                reader: a,
                ceiling: READER_CEILING_PER_S,
                port,
                x,
                y: 3.0 * f64::from(a),
                facing: (0.0, 0.0),
            });
        }
    }
    let n = u64::from(opts.tags);
    let pick = |rng: &mut Rng, count: u32, taken: &mut Vec<u64>| {
        let mut chosen = Vec::new();
        while chosen.len() < count as usize && (taken.len() as u64) < n {
            let c = 1 + rng.below(n);
            if !taken.contains(&c) {
                taken.push(c);
                chosen.push(c);
            }
        }
        chosen
    };
    let mut taken = Vec::new();
    let absent = pick(rng, opts.absent, &mut taken);
    let misplaced = pick(rng, opts.misplaced, &mut taken);
    let expected_zone = |asset: u64| ((asset - 1) % u64::from(AISLES)) as u32;
    let mut truth = Truth {
        absent: absent.iter().map(|&a| asset_epc(a)).collect(),
        ..Truth::default()
    };
    let mut tags = Vec::new();
    let mut place = |epc: Epc, aisle: u32, rng: &mut Rng| {
        let side = if rng.unit() < 0.5 { -0.8 } else { 0.8 };
        tags.push(Tag {
            epc,
            motion: Motion::Still {
                x: rng.range(0.5, 9.5),
                y: 3.0 * f64::from(aisle) + side,
            },
            from_s: 0.0,
            to_s: f64::INFINITY,
            loss_db: rng.range(0.0, 4.0),
        });
    };
    for asset in 1..=n {
        if absent.contains(&asset) {
            continue;
        }
        let mut a = expected_zone(asset);
        if misplaced.contains(&asset) {
            a = (a + 1 + rng.below(u64::from(AISLES) - 1) as u32) % AISLES;
            truth.misplaced.push((
                asset_epc(asset),
                ZoneId(expected_zone(asset) + 1),
                ZoneId(a + 1),
            ));
        }
        place(asset_epc(asset), a, rng);
    }
    for u in 0..opts.unknown {
        let a = rng.below(u64::from(AISLES)) as u32;
        place(foreign_epc(u64::from(u)), a, rng);
        truth
            .unknown
            .push((foreign_epc(u64::from(u)), ZoneId(a + 1)));
    }
    // Metal shelving between aisles: a tag is 12 dB weaker to the next aisle's antennas.
    let mut reads = Vec::new();
    for a in 0..AISLES {
        let mine: Vec<Antenna> = antennas.iter().filter(|x| x.reader == a).copied().collect();
        let seen: Vec<Tag> = tags
            .iter()
            .filter_map(|t| {
                let Motion::Still { y, .. } = t.motion else {
                    return None;
                };
                let far = (y - 3.0 * f64::from(a)).abs() > 1.5;
                Some(Tag {
                    loss_db: t.loss_db + if far { 12.0 } else { 0.0 },
                    ..*t
                })
            })
            .collect();
        reads.extend(run_readers(&mine, &seen, 5.0, rng));
    }
    reads.sort_by(|a, b| {
        (a.timestamp_us, a.reader, a.antenna, a.epc).cmp(&(
            b.timestamp_us,
            b.reader,
            b.antenna,
            b.epc,
        ))
    });
    let plan = StocktakePlan {
        scope: (1..=AISLES).map(ZoneId).collect(),
        expected: (1..=n)
            .map(|asset| Expected {
                epc: asset_epc(asset),
                zone: ZoneId(expected_zone(asset) + 1),
            })
            .collect(),
        known: Vec::new(),
    };
    truth.absent.sort_unstable();
    truth.misplaced.sort_unstable();
    truth.unknown.sort_unstable();
    Synthesized {
        config: ReplayConfig {
            engine: config,
            stocktake: Some(plan),
        },
        reads,
        truth,
    }
}

/// The benchmark load: `tags` distinct tags over 64 readers × 4 antennas (128 zones of two
/// antennas), each tag dwelling 1 s in one zone and read `reads / tags` times on average
/// there, 3 % of reads cross-read weakly by the next zone; about 10,000 tags in the field
/// at any time (fewer for small loads: the dwell is at most a tenth of the trace), reads
/// 10 µs apart.
pub fn bench_load(tags: u32, reads: u64, seed: u64, lost_ms: u32) -> (EngineConfig, Vec<TagRead>) {
    const READERS: u32 = 64;
    const ZONES: u32 = READERS * 2;
    let smoothing = Smoothing {
        observe_reads: 3,
        observe_ms: 250,
        lost_ms,
        min_rssi_dbm: Some(-68),
        cross_read_margin_db: Some(10),
        window_ms: None,
    };
    let config = EngineConfig {
        readers: (0..READERS)
            .map(|r| ReaderConfig {
                id: r,
                name: format!("r{r}"),
            })
            .collect(),
        zones: (0..ZONES)
            .map(|z| zone(ZoneId(z), &format!("zone {z}"), smoothing))
            .collect(),
        read_points: (0..READERS)
            .flat_map(|r| {
                (1..=4u16).map(move |a| ReadPoint {
                    reader: r,
                    antenna: a,
                    zone: ZoneId(r * 2 + u32::from(a - 1) / 2),
                })
            })
            .collect(),
        gates: vec![],
    };
    let mut rng = Rng::new(seed);
    let step_us = 10;
    let span = reads * step_us;
    let gap = (span / u64::from(tags.max(1))).max(1);
    let dwell = 1_000_000u64.min(span / 10).max(gap);
    let zone_of = |tag: u64| (tag.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40) as u32 % ZONES;
    let mut out = Vec::with_capacity(reads as usize);
    for j in 0..reads {
        let t = j * step_us;
        let hi = (t / gap + 1).min(u64::from(tags));
        let lo = (t.saturating_sub(dwell) / gap).min(hi - 1);
        let tag = lo + rng.below(hi - lo);
        let mut z = zone_of(tag);
        let mut rssi = -45 - rng.below(20) as i8;
        if rng.below(100) < 3 {
            z = (z + 1) % ZONES;
            rssi = -70 - rng.below(5) as i8;
        }
        out.push(TagRead {
            epc: asset_epc(tag),
            reader: ReaderId(z / 2),
            antenna: (z % 2 * 2 + 1 + rng.below(2) as u32) as u16,
            rssi_dbm: Some(rssi),
            timestamp_us: TRACE_EPOCH_US + t,
            channel: None,
            phase: None,
            seen_count: None,
        });
    }
    (config, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_reads() {
        let a = synthesize(&Options::new(Scenario::GateOut, 10, 7));
        let b = synthesize(&Options::new(Scenario::GateOut, 10, 7));
        let c = synthesize(&Options::new(Scenario::GateOut, 10, 8));
        assert_eq!(a.reads, b.reads);
        assert_ne!(a.reads, c.reads);
        assert!(a
            .reads
            .windows(2)
            .all(|w| w[0].timestamp_us <= w[1].timestamp_us));
    }

    #[test]
    fn duplicates_fall_as_the_population_grows() {
        let per_tag = |tags: u32| {
            let s = synthesize(&Options::new(Scenario::GateIn, tags, 1));
            s.reads.len() as f64 / f64::from(tags)
        };
        let (few, many) = (per_tag(2), per_tag(60));
        assert!(
            few > 2.0 * many,
            "{few} reads per tag for 2 tags, {many} for 60"
        );
    }

    #[test]
    fn a_reader_never_exceeds_its_ceiling() {
        let s = synthesize(&Options::new(Scenario::GateOut, 120, 3));
        let mut per_second = std::collections::HashMap::new();
        for r in &s.reads {
            *per_second
                .entry((r.reader, r.timestamp_us / 1_000_000))
                .or_insert(0u64) += 1;
        }
        let busiest = per_second.values().max().copied().unwrap_or(0);
        assert!(busiest > 500, "the gate is busy: {busiest}");
        // Reads of a round may land just past a second boundary; allow one round's worth.
        assert!(
            busiest <= READER_CEILING_PER_S + 60,
            "{busiest} reads in one second"
        );
    }

    #[test]
    fn rssi_rises_then_falls_through_the_portal() {
        let s = synthesize(&Options::new(Scenario::GateOut, 1, 5));
        let one = asset_epc(1);
        let inside: Vec<(u64, i8)> = s
            .reads
            .iter()
            .filter(|r| r.epc == one && r.antenna == 1)
            .map(|r| (r.timestamp_us, r.rssi_dbm.unwrap()))
            .collect();
        let peak = inside.iter().max_by_key(|(_, r)| *r).unwrap();
        let (first, last) = (inside.first().unwrap(), inside.last().unwrap());
        assert!(
            peak.1 > first.1 + 6 && peak.1 > last.1 + 6,
            "{first:?} {peak:?} {last:?}"
        );
        assert!(first.0 < peak.0 && peak.0 < last.0);
    }

    #[test]
    fn bench_load_reads_each_tag_about_ten_times() {
        let (config, reads) = bench_load(1_000, 10_000, 1, 2_000);
        config.validate().unwrap();
        assert_eq!(reads.len(), 10_000);
        let distinct: std::collections::HashSet<_> = reads.iter().map(|r| r.epc).collect();
        assert!(
            distinct.len() > 950 && distinct.len() <= 1_000,
            "{}",
            distinct.len()
        );
    }
}
