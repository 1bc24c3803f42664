//! Zone presence on shelves: still tags never move, whatever the noise, once the racks
//! isolate neighbouring aisles by 10 dB; committed shelf traces (from the independent radio
//! model) replay to the facts their ground truth says.

mod common;

use common::traces::model_trace;
use depot::cli::zones_bench::{aisle_zone, replay, score, shelf_config, shelf_smoothing};
use depot::engine::trace::ReplayConfig;
use depot::engine::{Engine, EngineConfig, Fact, ReadPoint, ReaderConfig, ZoneConfig, ZoneId};
use depot::radio::shelf::{self, Plan, ShelfModel};
use depot::radio::READER;
use depot_readers::{Epc, ReaderId, TagRead};
use proptest::prelude::*;

const T0: u64 = 1_763_776_800_000_000;
/// Each antenna's dwell, as a Gen2 reader cycles its ports.
const DWELL_MS: u64 = 50;

/// Two neighbouring aisles on one reader, configured as the shelf reference runs are.
fn two_aisles() -> EngineConfig {
    EngineConfig {
        readers: vec![ReaderConfig {
            id: 0,
            name: "shelf".into(),
        }],
        zones: (1..=2)
            .map(|z| ZoneConfig {
                id: ZoneId(z),
                name: format!("aisle {z}"),
                smoothing: shelf_smoothing(),
            })
            .collect(),
        read_points: (1..=2)
            .map(|a| ReadPoint {
                reader: 0,
                antenna: a,
                zone: ZoneId(u32::from(a)),
            })
            .collect(),
        gates: vec![],
    }
}

fn epc(n: u64) -> Epc {
    Epc::from_hex(&format!("3414A3F0{n:016X}")).unwrap()
}

/// One dwell of each antenna in turn: in its own aisle's dwell the tag is read `own` times,
/// in the neighbour's `cross` times (never more often: the neighbour hears it weaker), each
/// read with its own noise.
#[derive(Debug, Clone)]
struct Cycle {
    own: Vec<i8>,
    cross: Vec<i8>,
}

fn cycle(noise_db: i8) -> impl Strategy<Value = Cycle> {
    prop::collection::vec(-noise_db..=noise_db, 0..8).prop_flat_map(move |own| {
        let n = own.len();
        prop::collection::vec(-noise_db..=noise_db, 0..=n).prop_map(move |cross| Cycle {
            own: own.clone(),
            cross,
        })
    })
}

/// The reads of a still tag in aisle `home` (1 or 2) over `cycles` (repeated to fill
/// `seconds`), own RSSI `base` dBm, the neighbour hearing it `isolation` dB weaker.
fn still_tag(
    tag: u64,
    home: u16,
    base: i8,
    isolation: i8,
    cycles: &[Cycle],
    seconds: u64,
) -> Vec<TagRead> {
    let other = 3 - home;
    let mut reads = Vec::new();
    let mut t = 0;
    for c in cycles.iter().cycle() {
        if t >= seconds * 1_000 {
            break;
        }
        for (antenna, noise, drop) in [(home, &c.own, 0), (other, &c.cross, isolation)] {
            let n = noise.len() as u64;
            for (i, db) in noise.iter().enumerate() {
                reads.push(TagRead {
                    reader: ReaderId(0),
                    antenna,
                    epc: epc(tag),
                    timestamp_us: T0 + (t + i as u64 * DWELL_MS / (n + 1)) * 1_000,
                    rssi_dbm: Some(base.saturating_sub(drop).saturating_add(*db)),
                    phase: None,
                    channel: None,
                    seen_count: None,
                });
            }
            t += DWELL_MS;
        }
    }
    reads
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// A still tag, read by its own aisle's antenna and by the neighbour's at least 10 dB
    /// weaker and never more often, with any per-read noise up to ±3 dB (the shelf model's
    /// per-read spread) and any gaps: never a `moved`, and wherever it is placed it is its own
    /// aisle.
    #[test]
    fn still_tags_never_move_at_10_db_or_more(
        home in 1u16..=2,
        base in -70i8..=-45,
        isolation in 10i8..=30,
        cycles in prop::collection::vec(cycle(3), 1..40),
        seconds in 20u64..=120,
    ) {
        let reads = still_tag(1, home, base, isolation, &cycles, seconds);
        let mut e = Engine::new(two_aisles()).unwrap();
        let mut facts = Vec::new();
        for r in &reads {
            e.ingest(r, &mut facts);
        }
        e.flush(&mut facts);
        for f in &facts {
            prop_assert!(!matches!(f, Fact::Moved { .. }), "{f:?} in {facts:?}");
            if let Fact::Arrived { zone, .. } | Fact::Settled { zone, .. } = f {
                prop_assert_eq!(*zone, ZoneId(u32::from(home)), "{:?}", facts);
            }
        }
    }
}

/// On the independent shelf model at 10 dB, where some still tags are heard by a
/// neighbour's antenna about as well as by their own (multipath nulls, weak tags) and some
/// are first placed in the neighbour's aisle: a still tag is never reported moved (it goes
/// between, and may settle), and none flaps. Seeds 1–3 gave 5 false moves before the
/// decision weighed the contender's lead against its usual lead.
#[test]
fn still_tags_on_the_shelf_model_at_10_db_are_never_moved() {
    let model = ShelfModel::reference(10.0);
    let plan = Plan::reference();
    let config = shelf_config(&model, shelf_smoothing());
    for seed in 1..=3 {
        let run = shelf::simulate(&model, &plan, seed);
        let (facts, between) = replay(&config, &run);
        let s = score(&model, &run, &facts, &between);
        assert_eq!(s.false_moves, 0, "seed {seed}: {s:?}");
        assert_eq!(s.flapping, 0, "seed {seed}: {s:?}");
        assert_eq!(s.removals_seen, s.removals, "seed {seed}: {s:?}");
    }
}

/// The racking model (a second shelf model written apart from the engine and the first: two
/// ceiling antennas per aisle on two readers, sessions whose flags the ports of a reader
/// share, people and forklifts in the aisles) is configured as a site would: each aisle one
/// zone read by both its antennas, each reader its own. Most tags are first placed in their
/// own aisle (a wrong mapping of antennas to aisles would place three in four wrong), and
/// every removal is seen.
#[test]
fn the_racking_model_plays_through_its_aisles() {
    use depot::cli::zones_bench::{Aisles, RackAisles};
    use depot::radio::racking::{self, RackModel, RackPlan};
    let model = RackModel::reference(15.0);
    let aisles = RackAisles::of(&model);
    let config = shelf_config(&aisles, shelf_smoothing());
    assert_eq!(config.readers.len(), 2);
    assert_eq!(config.read_points.len(), 2 * model.aisles);
    for k in 0..model.aisles {
        let covering = config
            .read_points
            .iter()
            .filter(|p| p.zone == aisle_zone(k));
        assert_eq!(covering.count(), 2, "aisle {k}");
    }
    let run = racking::simulate(&model, &RackPlan::named("reference").unwrap(), 1);
    assert!(run.reads.iter().all(|r| aisles.aisle_of_read(r).is_some()));
    let (facts, between) = replay(&config, &run);
    let s = score(&aisles, &run, &facts, &between);
    assert!(s.tags >= 200, "{s:?}");
    assert!(
        f64::from(s.first_right) >= 0.75 * f64::from(s.tags),
        "placed by the wrong antennas? {s:?}"
    );
    assert_eq!(s.removals_seen, s.removals, "{s:?}");
}

/// Seeds of the shelf model at 10 dB that each gave a still tag a false `moved`: seed 10
/// a tag whose neighbour's lead crept past the margin for over a minute, seed 18 a tag
/// its own antenna hears once in six minutes (a null), read seldom by both neighbours and
/// handed from one to the other on eight reads gathered over half a minute.
#[test]
fn still_tags_whose_lead_creeps_or_is_read_seldom_are_not_moved_at_10_db() {
    let model = ShelfModel::reference(10.0);
    let plan = Plan::reference();
    let config = shelf_config(&model, shelf_smoothing());
    for seed in [10, 18] {
        let run = shelf::simulate(&model, &plan, seed);
        let (facts, between) = replay(&config, &run);
        let s = score(&model, &run, &facts, &between);
        assert_eq!(s.false_moves, 0, "seed {seed}: {s:?}");
    }
}

fn shelf_read(tag: u64, antenna: u16, ms: u64, rssi: i8) -> TagRead {
    TagRead {
        reader: ReaderId(0),
        antenna,
        epc: epc(tag),
        timestamp_us: T0 + ms * 1_000,
        rssi_dbm: Some(rssi),
        phase: None,
        channel: None,
        seen_count: None,
    }
}

fn replay_reads(reads: &[TagRead], until_ms: u64) -> Vec<Fact> {
    let mut e = Engine::new(two_aisles()).unwrap();
    let mut facts = Vec::new();
    for r in reads {
        e.ingest(r, &mut facts);
    }
    e.advance_to(T0 + until_ms * 1_000, &mut facts);
    facts
}

/// A still tag the shared read budget reaches only every 3 s (a crowded shelf): its zone
/// does not fall silent after `lost_ms` (5 s) of no reads, only after eight of its own
/// intervals; when it really is gone, it leaves within half a minute.
#[test]
fn a_tag_read_seldom_is_not_lost_for_it_and_leaves_when_gone() {
    let mut reads: Vec<TagRead> = (0..10).map(|i| shelf_read(1, 1, i * 300, -60)).collect();
    // Then one read every 3 s for two minutes, with one gap of 7 s.
    let mut t = 3_000;
    while t < 120_000 {
        reads.push(shelf_read(1, 1, t, -60));
        t += if t == 60_000 { 7_000 } else { 3_000 };
    }
    let last = reads.last().unwrap().timestamp_us;
    let facts = replay_reads(&reads, 120_000);
    assert_eq!(facts.len(), 1, "{facts:?}");
    assert!(matches!(
        facts[0],
        Fact::Arrived {
            zone: ZoneId(1),
            ..
        }
    ));
    let facts = replay_reads(&reads, 200_000);
    let Some(Fact::Left { at, .. }) = facts.last() else {
        panic!("{facts:?}")
    };
    let silent = (at - last) / 1_000;
    assert!(silent > 5_000 && silent <= 25_000, "left after {silent} ms");
}

/// A fact is stamped no earlier than the engine could know it. Two rooms, each with its own
/// reader of two antennas (zones as configured by default), tags read about eleven times a
/// second at −50…−64 dBm each; some carried to the other room: each hand-over is dated by
/// the read that decided it, not by when the old room fell silent before the new one had
/// read the tag often enough (so a fact's age on arrival measures the pipeline).
#[test]
fn facts_are_dated_when_they_are_decided() {
    let config = EngineConfig {
        readers: (0..2)
            .map(|id| ReaderConfig {
                id,
                name: format!("room {id}"),
            })
            .collect(),
        zones: (1..=2)
            .map(|z| ZoneConfig {
                id: ZoneId(z),
                name: format!("room {z}"),
                smoothing: Default::default(),
            })
            .collect(),
        read_points: (0..2u32)
            .flat_map(|r| {
                (1..=2).map(move |antenna| ReadPoint {
                    reader: r,
                    antenna,
                    zone: ZoneId(r + 1),
                })
            })
            .collect(),
        gates: vec![],
    };
    let mut e = Engine::new(config).unwrap();
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let mut next = move |n: u64| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng % n
    };
    // 40 tags in room 1; every second two of them are carried to the other room.
    let mut room: Vec<u32> = vec![0; 40];
    let (mut moved, mut before) = (0, 0);
    for tick in 0..3_000u64 {
        let ms = tick * 10;
        if ms % 1_000 == 0 && ms > 0 {
            for _ in 0..2 {
                let t = next(40) as usize;
                room[t] = 1 - room[t];
            }
        }
        for _ in 0..4 {
            let tag = next(40);
            let read = TagRead {
                reader: ReaderId(room[tag as usize]),
                antenna: 1 + next(2) as u16,
                epc: epc(tag),
                timestamp_us: T0 + ms * 1_000,
                rssi_dbm: Some(-50 - next(15) as i8),
                phase: None,
                channel: None,
                seen_count: None,
            };
            let mut facts = Vec::new();
            e.ingest(&read, &mut facts);
            for fact in &facts {
                assert!(
                    fact.at() >= before,
                    "{fact:?} dated {} ms before the read that came before it",
                    (before - fact.at()) / 1_000
                );
                moved += usize::from(matches!(fact, Fact::Moved { .. }));
            }
            before = read.timestamp_us;
        }
    }
    assert!(moved >= 20, "{moved} hand-overs");
}

/// A neighbour that reads a still tag twice, far stronger than its own antenna does (a
/// reflection, a person carrying something past), does not move it; eight reads that
/// lead by the margin do.
#[test]
fn a_move_needs_more_than_a_read_or_two() {
    let mut reads: Vec<TagRead> = (0..40).map(|i| shelf_read(1, 1, i * 250, -62)).collect();
    reads.push(shelf_read(1, 2, 10_000, -45));
    reads.push(shelf_read(1, 2, 10_100, -45));
    reads.extend((0..760).map(|i| shelf_read(1, 1, 10_250 + i * 250, -62)));
    let facts = replay_reads(&reads, 205_000);
    assert_eq!(facts.len(), 1, "{facts:?}");
    // Carried over, once it has sat for long enough (over three minutes) that its
    // placement is no longer young: the neighbour reads it strongly, its own aisle weakly.
    reads.extend((0..80).map(|i| {
        let t = 200_250 + i * 125;
        if i % 4 == 0 {
            shelf_read(1, 1, t, -72)
        } else {
            shelf_read(1, 2, t, -55)
        }
    }));
    let facts = replay_reads(&reads, 211_000);
    let moved: Vec<&Fact> = facts
        .iter()
        .filter(|f| matches!(f, Fact::Moved { .. }))
        .collect();
    assert!(
        matches!(
            moved[..],
            [Fact::Moved {
                from: ZoneId(1),
                to: ZoneId(2),
                ..
            }]
        ),
        "{facts:?}"
    );
}

/// A tag its own aisle reads 14 dB above the neighbour, then (something shifted on the
/// shelf) the neighbour about 6.5 dB above its own aisle for two minutes, a lead barely
/// past the margin: the tag is between the two, not moved. (A guard for the rule that the
/// usual lead follows a stale excursion; the seed-10 test below is the one the rule was
/// needed for.)
#[test]
fn a_lead_that_creeps_past_the_margin_for_minutes_is_between_not_a_move() {
    let mut reads = Vec::new();
    for i in 0..150u64 {
        let t = i * 200;
        reads.push(shelf_read(1, 1, t, -55));
        reads.push(shelf_read(1, 2, t + 100, -69));
    }
    for i in 0..600u64 {
        let t = 30_000 + i * 200;
        reads.push(shelf_read(1, 1, t, -60));
        reads.push(shelf_read(1, 2, t + 100, -53 - (i % 2) as i8));
    }
    let facts = replay_reads(&reads, 150_000);
    assert!(
        !facts.iter().any(|f| matches!(f, Fact::Moved { .. })),
        "{facts:?}"
    );
    assert!(
        facts.iter().any(|f| matches!(
            f,
            Fact::Between {
                zone: ZoneId(1),
                other: ZoneId(2),
                ..
            }
        )),
        "{facts:?}"
    );
}

/// A shelf trace: four aisles of three still tags and one tag carried from aisle 2 to
/// aisle 3, half a minute.
fn shelf_plan() -> Plan {
    Plan::stocked(&[3, 3, 3, 3], 30_000_000).move_tag(4, 2, 3.0)
}

/// The committed trace is exactly what the radio model makes today (so its truth applies),
/// and it replays to: every still tag arrives once, in its own aisle, and nothing else
/// happens to it; the carried tag is seen in its new aisle within 30 s of being put down.
#[track_caller]
fn shelf_trace(name: &str, isolation_db: f64, seed: u64) {
    let model = ShelfModel::reference(isolation_db);
    let plan = shelf_plan();
    let run = shelf::simulate(&model, &plan, seed);
    let config = ReplayConfig {
        engine: shelf_config(&model, shelf_smoothing()),
        stocktake: None,
    };
    let replay = model_trace(name, &run.reads, "shelf", &config);
    let truth = &run.truth;
    assert_eq!(truth.moves.len(), 1);
    let carried = &truth.moves[0];
    for (i, tag) in plan.tags.iter().enumerate() {
        let mine: Vec<&Fact> = replay
            .facts
            .iter()
            .filter(|f| f.epc() == Some(tag.epc))
            .filter(|f| !matches!(f, Fact::Left { .. })) // the final flush
            .collect();
        if tag.epc == carried.epc {
            assert!(
                matches!(mine[0], Fact::Arrived { zone, .. } if *zone == aisle_zone(tag.aisle)),
                "{name}: {mine:?}"
            );
            // Carried seconds after it was first placed: a young placement, so the engine
            // may take it for a wrong first placement put right (settled), not a move.
            let seen = mine.iter().find_map(|f| match **f {
                Fact::Moved { to, at, .. }
                | Fact::Arrived { zone: to, at, .. }
                | Fact::Settled { zone: to, at, .. }
                    if to == aisle_zone(carried.to) =>
                {
                    Some(at)
                }
                _ => None,
            });
            let at = seen.unwrap_or_else(|| panic!("{name}: move never seen: {mine:?}"));
            assert!(
                at <= carried.placed_us + 30_000_000,
                "{name}: move seen {} s after it was put down",
                (at - carried.placed_us) / 1_000_000
            );
        } else {
            assert_eq!(
                mine,
                vec![&Fact::Arrived {
                    epc: tag.epc,
                    zone: aisle_zone(tag.aisle),
                    at: match mine[0] {
                        Fact::Arrived { at, .. } => *at,
                        _ => 0,
                    }
                }],
                "{name}: still tag {i}"
            );
        }
    }
    assert_eq!(READER, ReaderId(0));
}

#[test]
fn a_shelf_at_15_db_replays_to_its_truth() {
    shelf_trace("shelf-15db", 15.0, 7);
}

/// What a restarted engine (or an instance taking the readers over) restores from the
/// register: a tag recalled in its aisle is there without a new arrival; read there again
/// it stays, with no fact; not read again it leaves by silence; and a neighbour that leads
/// it by a couple of dB over its first seconds (a cross-read on a good channel) does not
/// take it, as it would place a tag met for the first time.
#[test]
fn a_recalled_tag_is_where_it_was_until_the_reads_say_otherwise() {
    let mut e = Engine::new(two_aisles()).unwrap();
    let mut facts = Vec::new();
    assert!(e.recall(&epc(1), ZoneId(1)));
    assert!(!e.recall(&epc(1), ZoneId(2)), "only a tag not tracked yet");
    assert!(!e.recall(&epc(2), ZoneId(9)), "an unknown zone");
    assert_eq!(e.zone_contents(ZoneId(1)), [epc(1)]);
    assert_eq!(e.location(&epc(1)), Some(ZoneId(1)));
    assert!(
        e.located().is_empty(),
        "not seen yet: a stocktake does not count it"
    );
    // A neighbour's cross-read is not seeing it where it was.
    e.ingest(&shelf_read(1, 2, 50, -70), &mut facts);
    assert!(e.located().is_empty());
    for i in 0..40 {
        e.ingest(&shelf_read(1, 1, 100 + i * 250, -55), &mut facts);
    }
    assert!(facts.is_empty(), "read where it was: no fact, {facts:?}");
    assert_eq!(e.located(), [(epc(1), ZoneId(1))], "seen again: counted");
    e.advance_to(T0 + 600_000_000, &mut facts);
    assert!(
        matches!(
            facts[..],
            [Fact::Left {
                zone: ZoneId(1),
                ..
            }]
        ),
        "gone: it leaves, {facts:?}"
    );

    // Both antennas read the tag; the neighbour leads by 2 dB over a minute.
    let mut reads = Vec::new();
    for cycle in 0..600u64 {
        let ms = cycle * 2 * DWELL_MS;
        reads.push(shelf_read(3, 1, ms + 10, -58));
        reads.push(shelf_read(3, 2, ms + DWELL_MS + 10, -56));
    }
    let placed = |recall: bool| {
        let mut e = Engine::new(two_aisles()).unwrap();
        let mut facts = Vec::new();
        if recall {
            e.recall(&epc(3), ZoneId(1));
        }
        for r in &reads {
            e.ingest(r, &mut facts);
        }
        e.advance_to(T0 + 60_000_000, &mut facts);
        (facts, e.location(&epc(3)))
    };
    let (without, at) = placed(false);
    assert_ne!(at, Some(ZoneId(1)), "met for the first time: {without:?}");
    let (with, at) = placed(true);
    assert!(with.is_empty(), "{with:?}");
    assert_eq!(at, Some(ZoneId(1)));
}
