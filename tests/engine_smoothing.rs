//! Smoothing, zone facts, cycle reports and gates, read by read.

use depot::engine::config::ConfigError;
use depot::engine::{
    Direction, Engine, EngineConfig, Fact, GateConfig, GateId, ReadPoint, ReaderConfig, Smoothing,
    ZoneConfig, ZoneId,
};
use depot_readers::{Epc, ReaderId, TagRead};
use proptest::prelude::*;

const T0: u64 = 1_763_776_800_000_000;
const SMOOTHING: Smoothing = Smoothing {
    observe_reads: 3,
    observe_ms: 1_000,
    lost_ms: 2_000,
    min_rssi_dbm: Some(-75),
    cross_read_margin_db: Some(10),
    window_ms: None,
};

/// Zones 1 and 2 on reader 0 (antenna 1, 2); a gate on reader 1: antenna 1 inside (zone 3),
/// antenna 2 outside (zone 4).
fn config() -> EngineConfig {
    let zone = |id: u32| ZoneConfig {
        id: ZoneId(id),
        name: format!("zone {id}"),
        smoothing: SMOOTHING,
    };
    EngineConfig {
        readers: vec![
            ReaderConfig {
                id: 0,
                name: "aisle".into(),
            },
            ReaderConfig {
                id: 1,
                name: "door".into(),
            },
        ],
        zones: (1..=4).map(zone).collect(),
        read_points: vec![
            ReadPoint {
                reader: 0,
                antenna: 1,
                zone: ZoneId(1),
            },
            ReadPoint {
                reader: 0,
                antenna: 2,
                zone: ZoneId(2),
            },
            ReadPoint {
                reader: 1,
                antenna: 1,
                zone: ZoneId(3),
            },
            ReadPoint {
                reader: 1,
                antenna: 2,
                zone: ZoneId(4),
            },
        ],
        gates: vec![GateConfig {
            id: GateId(7),
            name: "door".into(),
            inside: ZoneId(3),
            outside: ZoneId(4),
            batch_gap_ms: 3_000,
            quiet_ms: 1_000,
            undecided_ms: 5_000,
            min_reads: 2,
            max_track_ms: 60_000,
            min_confidence: depot::engine::config::DEFAULT_MIN_CONFIDENCE,
        }],
    }
}

fn epc(n: u64) -> Epc {
    Epc::new(&[&[0x34u8, 0x14, 0xA3, 0xF0][..], &n.to_be_bytes()].concat()).unwrap()
}

fn read(tag: u64, reader: u32, antenna: u16, ms: u64, rssi: i8) -> TagRead {
    TagRead {
        epc: epc(tag),
        reader: ReaderId(reader),
        antenna,
        rssi_dbm: Some(rssi),
        timestamp_us: T0 + ms * 1_000,
        channel: None,
        phase: None,
        seen_count: None,
    }
}

fn feed(engine: &mut Engine, reads: &[TagRead]) -> Vec<Fact> {
    let mut facts = Vec::new();
    for r in reads {
        engine.ingest(r, &mut facts);
    }
    facts
}

#[test]
fn a_tag_is_glimpsed_then_observed_after_n_reads_and_duplicates_collapse() {
    let mut e = Engine::new(config()).unwrap();
    assert!(
        feed(&mut e, &[read(1, 0, 1, 0, -50), read(1, 0, 1, 10, -50)]).is_empty(),
        "two reads: only glimpsed"
    );
    assert!(
        feed(&mut e, &[read(1, 0, 1, 20, -50)]).is_empty(),
        "three reads within the first window (1 s): the other antennas have not had their turns"
    );
    assert_eq!(e.location(&epc(1)), None);
    let facts = feed(&mut e, &[read(1, 0, 1, 1_000, -50)]);
    assert_eq!(
        facts,
        vec![Fact::Arrived {
            epc: epc(1),
            zone: ZoneId(1),
            at: T0 + 1_000_000
        }]
    );
    let dups: Vec<TagRead> = (0..500).map(|i| read(1, 0, 1, 1_010 + i, -50)).collect();
    assert!(feed(&mut e, &dups).is_empty(), "duplicates give no facts");
    assert_eq!(e.location(&epc(1)), Some(ZoneId(1)));
    assert_eq!(e.zone_contents(ZoneId(1)), vec![epc(1)]);
    assert_eq!(e.zone_population(ZoneId(1)), 1);
    assert_eq!(e.counters().reads, 504);
}

#[test]
fn a_tag_read_for_observe_ms_is_observed_with_fewer_reads() {
    let mut e = Engine::new(config()).unwrap();
    let facts = feed(&mut e, &[read(1, 0, 1, 0, -50), read(1, 0, 1, 1_000, -50)]);
    assert_eq!(
        facts,
        vec![Fact::Arrived {
            epc: epc(1),
            zone: ZoneId(1),
            at: T0 + 1_000_000
        }]
    );
}

#[test]
fn silence_for_lost_ms_is_left_when_time_advances() {
    let mut e = Engine::new(config()).unwrap();
    feed(
        &mut e,
        &[
            read(1, 0, 1, 0, -50),
            read(1, 0, 1, 10, -50),
            read(1, 0, 1, 20, -50),
            read(1, 0, 1, 1_000, -50),
        ],
    );
    let mut facts = Vec::new();
    e.advance_to(T0 + 3_000_000, &mut facts);
    assert!(
        facts.is_empty(),
        "exactly lost_ms of silence is not yet lost"
    );
    e.advance_to(T0 + 3_001_000, &mut facts);
    assert_eq!(
        facts,
        vec![Fact::Left {
            epc: epc(1),
            zone: ZoneId(1),
            at: T0 + 3_000_000
        }]
    );
    assert!(e.zone_contents(ZoneId(1)).is_empty());
    // Its evidence is kept another lost_ms, so that a tag that only dropped out comes back
    // where it was; then nothing is held.
    assert_eq!(e.counters().tags_tracked, 1);
    e.advance_to(T0 + 5_001_000, &mut facts);
    assert_eq!(facts.len(), 1);
    assert_eq!(e.counters().tags_tracked, 0, "a lost tag holds no memory");
}

/// Reads of `tag` on (reader 0, `antenna`) every 20 ms over `[from, to)` ms.
fn dwell(tag: u64, antenna: u16, from: u64, to: u64, rssi: i8) -> Vec<TagRead> {
    (from..to)
        .step_by(20)
        .map(|ms| read(tag, 0, antenna, ms, rssi))
        .collect()
}

#[test]
fn a_tag_read_elsewhere_moves_and_cross_reads_do_not_move_it() {
    let mut e = Engine::new(config()).unwrap();
    feed(
        &mut e,
        &[
            read(1, 0, 1, 0, -50),
            read(1, 0, 1, 10, -50),
            read(1, 0, 1, 1_000, -50),
        ],
    );
    assert_eq!(e.location(&epc(1)), Some(ZoneId(1)));
    // Weak reads from the next zone while zone 1 still reads it strongly: cross-reads, for
    // long enough (10 s) that the placement is no longer young.
    let cross: Vec<TagRead> = (0..900)
        .flat_map(|i| {
            [
                read(1, 0, 2, 1_010 + i * 10, -66),
                read(1, 0, 1, 1_015 + i * 10, -50),
            ]
        })
        .collect();
    assert!(feed(&mut e, &cross).is_empty());
    assert_eq!(e.counters().cross_reads, 900);
    // Three strong reads in zone 2 are not enough: zone 1 has read it for longer.
    assert!(feed(&mut e, &dwell(1, 2, 10_200, 10_260, -48)).is_empty());
    assert_eq!(e.location(&epc(1)), Some(ZoneId(1)));
    // It is carried over: zone 2 reads it strongly, zone 1 no more. It moves once zone 2 has
    // led for about a window (1 s: half of lost_ms).
    let facts = feed(&mut e, &dwell(1, 2, 10_260, 13_000, -48));
    assert_eq!(facts.len(), 1, "{facts:?}");
    let Fact::Moved { from, to, at, .. } = facts[0] else {
        panic!("{facts:?}")
    };
    assert_eq!((from, to), (ZoneId(1), ZoneId(2)));
    assert!(at > T0 + 11_000_000 && at < T0 + 12_500_000, "{}", at - T0);
    assert_eq!(
        (e.zone_population(ZoneId(1)), e.zone_population(ZoneId(2))),
        (0, 1)
    );
}

#[test]
fn a_young_placement_put_right_settles_instead_of_moving() {
    let mut e = Engine::new(config()).unwrap();
    // First placed in zone 1 on a few reads...
    feed(
        &mut e,
        &[
            read(1, 0, 1, 0, -55),
            read(1, 0, 1, 10, -55),
            read(1, 0, 1, 1_000, -55),
        ],
    );
    assert_eq!(e.location(&epc(1)), Some(ZoneId(1)));
    // ...then, a second later, zone 2 hears it much better and zone 1 no more: the first
    // placement was wrong, the tag did not move. No move is reported (a move would start a
    // transfer); the tag settles in zone 2.
    let facts = feed(&mut e, &dwell(1, 2, 1_260, 4_000, -45));
    assert_eq!(facts.len(), 1, "{facts:?}");
    let Fact::Settled { zone, .. } = facts[0] else {
        panic!("{facts:?}")
    };
    assert_eq!(zone, ZoneId(2));
    assert_eq!(e.location(&epc(1)), Some(ZoneId(2)));
    assert_eq!(
        (e.zone_population(ZoneId(1)), e.zone_population(ZoneId(2))),
        (0, 1)
    );
}

#[test]
fn weak_and_unmapped_reads_count_but_vote_for_nothing() {
    let mut e = Engine::new(config()).unwrap();
    let facts = feed(
        &mut e,
        &[
            read(1, 0, 1, 0, -80),
            read(1, 0, 1, 1, -80),
            read(1, 0, 1, 2, -80),
            read(1, 0, 9, 3, -50),
            read(1, 5, 1, 4, -50),
        ],
    );
    assert!(facts.is_empty());
    let c = e.counters();
    assert_eq!((c.reads, c.weak_reads, c.unmapped_reads), (5, 3, 2));
}

#[test]
fn cycle_reports_give_net_additions_and_deletions() {
    let mut e = Engine::new(config()).unwrap();
    let mut reads = [dwell(1, 1, 0, 1_100, -50), dwell(2, 1, 0, 1_100, -50)].concat();
    reads.sort_by_key(|r| r.timestamp_us);
    feed(&mut e, &reads);
    let first = e.cycle_report(ZoneId(1)).unwrap();
    assert_eq!(
        (first.additions, first.deletions, first.population),
        (vec![epc(1), epc(2)], vec![], 2)
    );
    // Tag 1 goes to zone 2, tag 3 comes and goes within the cycle, tag 2 stays.
    let mut reads = [
        dwell(1, 2, 1_100, 5_000, -50),
        dwell(2, 1, 1_100, 5_000, -50),
        dwell(3, 1, 1_100, 1_200, -50),
        dwell(3, 2, 1_200, 5_000, -50),
    ]
    .concat();
    reads.sort_by_key(|r| r.timestamp_us);
    let facts = feed(&mut e, &reads);
    assert_eq!(e.location(&epc(3)), Some(ZoneId(2)), "{facts:?}");
    let second = e.cycle_report(ZoneId(1)).unwrap();
    assert_eq!((second.additions, second.deletions), (vec![], vec![epc(1)]));
    let third = e.cycle_report(ZoneId(1)).unwrap();
    assert!(third.additions.is_empty() && third.deletions.is_empty());
    assert!(e.cycle_report(ZoneId(99)).is_none());
}

#[test]
fn a_gate_passage_out_and_a_turn_back() {
    let mut e = Engine::new(config()).unwrap();
    // Tag 1: inside antenna, RSSI rising then falling, then outside the same way, over two
    // and a half seconds (a person walks through a portal's field in no less).
    let out: Vec<TagRead> = [
        (-62, 1),
        (-58, 1),
        (-54, 1),
        (-50, 1),
        (-47, 1),
        (-56, 2),
        (-52, 1),
        (-47, 2),
        (-45, 2),
        (-50, 2),
        (-54, 2),
        (-58, 2),
        (-62, 2),
    ]
    .iter()
    .enumerate()
    .map(|(i, &(rssi, ant))| read(1, 1, ant, i as u64 * 200, rssi))
    .collect();
    // Tag 2: inside, briefly heard outside at the door, back inside.
    let back: Vec<TagRead> = [
        (-62, 1),
        (-58, 1),
        (-54, 1),
        (-50, 1),
        (-55, 2),
        (-52, 2),
        (-48, 1),
        (-52, 1),
        (-56, 1),
        (-60, 1),
        (-63, 1),
    ]
    .iter()
    .enumerate()
    .map(|(i, &(rssi, ant))| read(2, 1, ant, i as u64 * 200 + 50, rssi))
    .collect();
    let mut all: Vec<TagRead> = out.into_iter().chain(back).collect();
    all.sort_by_key(|r| r.timestamp_us);
    let mut facts = feed(&mut e, &all);
    e.flush(&mut facts);
    let passed: Vec<(Epc, Direction, u32)> = facts
        .iter()
        .filter_map(|f| match f {
            Fact::Passed {
                epc,
                direction,
                batch,
                ..
            } => Some((*epc, *direction, *batch)),
            _ => None,
        })
        .collect();
    assert_eq!(passed, vec![(epc(1), Direction::Out, 1)]);
    assert!(facts.iter().any(|f| matches!(
        f,
        Fact::BatchClosed {
            gate: GateId(7),
            direction: Direction::Out,
            batch: 1,
            count: 1,
            ..
        }
    )));
}

#[test]
fn engine_time_survives_weeks_of_reads() {
    let mut e = Engine::new(config()).unwrap();
    let day = 86_400_000u64;
    let mut facts = Vec::new();
    for d in 0..40 {
        let ms = d * day;
        facts.extend(feed(
            &mut e,
            &[
                read(1, 0, 1, ms, -50),
                read(1, 0, 1, ms + 500, -50),
                read(1, 0, 1, ms + 1_000, -50),
            ],
        ));
    }
    e.flush(&mut facts);
    assert_eq!(facts.len(), 80, "each day the tag arrives and leaves");
    for (d, pair) in facts.chunks(2).enumerate() {
        let ms = d as u64 * day;
        assert_eq!(
            pair[0],
            Fact::Arrived {
                epc: epc(1),
                zone: ZoneId(1),
                at: T0 + (ms + 1_000) * 1_000
            }
        );
        assert_eq!(
            pair[1],
            Fact::Left {
                epc: epc(1),
                zone: ZoneId(1),
                at: T0 + (ms + 1_000 + 2_000) * 1_000
            }
        );
    }
}

#[test]
fn bad_configurations_are_refused_with_a_reason() {
    let mut c = config();
    c.read_points.push(ReadPoint {
        reader: 0,
        antenna: 3,
        zone: ZoneId(42),
    });
    assert_eq!(
        Engine::new(c).unwrap_err(),
        ConfigError::UnknownZone {
            reader: 0,
            antenna: 3,
            zone: 42
        }
    );
    let mut c = config();
    c.zones.push(c.zones[0].clone());
    assert_eq!(Engine::new(c).unwrap_err(), ConfigError::DuplicateZone(1));
    let mut c = config();
    c.gates[0].outside = ZoneId(3);
    assert_eq!(
        Engine::new(c).unwrap_err(),
        ConfigError::GateSameZone { gate: 7, zone: 3 }
    );
    let c: Result<EngineConfig, _> =
        serde_json::from_str(r#"{"zones":[],"read_points":[],"gatez":[]}"#);
    assert!(c.unwrap_err().to_string().contains("gatez"));
}

#[test]
fn configuration_loads_from_json_with_defaults() {
    let c: EngineConfig = serde_json::from_str(
        r#"{
          "readers": [{"id": 0, "name": "dock"}],
          "zones": [{"id": 1, "name": "dock inside"}, {"id": 2, "name": "dock outside", "smoothing": {"lost_ms": 5000}}],
          "read_points": [{"reader": 0, "antenna": 1, "zone": 1}, {"reader": 0, "antenna": 2, "zone": 2}],
          "gates": [{"id": 1, "name": "main door", "inside": 1, "outside": 2}]
        }"#,
    )
    .unwrap();
    assert_eq!(c.zones[0].smoothing, Smoothing::default());
    assert_eq!(c.zones[1].smoothing.lost_ms, 5_000);
    assert_eq!(c.zones[1].smoothing.observe_reads, 3);
    assert_eq!(
        (
            c.gates[0].batch_gap_ms,
            c.gates[0].quiet_ms,
            c.gates[0].min_reads
        ),
        (3_000, 1_500, 2)
    );
    Engine::new(c).unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any reads: the same facts twice; per tag, facts follow the zone state machine;
    /// zone populations match zone contents; after a flush every zone is empty.
    #[test]
    fn facts_are_deterministic_and_consistent(
        reads in prop::collection::vec((0u64..6, 0u32..2, 1u16..3, 0u64..400, -80i8..-40), 1..300)
    ) {
        let mut reads: Vec<TagRead> = reads.iter().map(|&(tag, reader, ant, step, rssi)| read(tag, reader, ant, step * 37, rssi)).collect();
        reads.sort_by_key(|r| r.timestamp_us);
        let run = || {
            let mut e = Engine::new(config()).unwrap();
            let mut facts = feed(&mut e, &reads);
            for z in 1..=4 {
                prop_assert_eq!(e.zone_population(ZoneId(z)) as usize, e.zone_contents(ZoneId(z)).len());
            }
            e.flush(&mut facts);
            for z in 1..=4 {
                prop_assert_eq!(e.zone_population(ZoneId(z)), 0);
            }
            Ok(facts)
        };
        let facts = run()?;
        prop_assert_eq!(&facts, &run()?);
        for tag in 0..6 {
            let mut at: Option<ZoneId> = None;
            for f in facts.iter().filter(|f| f.epc() == Some(epc(tag))) {
                match *f {
                    Fact::Arrived { zone, .. } => { prop_assert_eq!(at, None); at = Some(zone); }
                    Fact::Moved { from, to, .. } => { prop_assert_eq!(at, Some(from)); prop_assert_ne!(from, to); at = Some(to); }
                    Fact::Left { zone, .. } => { prop_assert_eq!(at, Some(zone)); at = None; }
                    // Out of "between": in either zone, now clearly.
                    Fact::Settled { zone, .. } => { prop_assert!(at.is_some()); at = Some(zone); }
                    Fact::Between { zone, other, .. } => { prop_assert_eq!(at, Some(zone)); prop_assert_ne!(zone, other); }
                    _ => {}
                }
            }
            prop_assert_eq!(at, None);
        }
    }
}

#[test]
fn a_stocktake_started_late_is_seeded_from_what_the_engine_holds() {
    use depot::engine::{Progress, Stocktake};
    let mut e = Engine::new(config()).unwrap();
    let three = |tag: u64, ant: u16, ms: u64| {
        [
            read(tag, 0, ant, ms, -50),
            read(tag, 0, ant, ms + 500, -50),
            read(tag, 0, ant, ms + 1_000, -50),
        ]
    };
    feed(&mut e, &three(1, 1, 0));
    feed(&mut e, &three(2, 2, 1_100));
    assert_eq!(e.located(), vec![(epc(1), ZoneId(1)), (epc(2), ZoneId(2))]);
    let mut st = Stocktake::new(
        [
            (epc(1), ZoneId(1)),
            (epc(2), ZoneId(1)),
            (epc(3), ZoneId(2)),
        ],
        [ZoneId(1), ZoneId(2)],
    );
    for (tag, zone) in e.located() {
        st.observe(tag, zone);
    }
    for f in feed(&mut e, &three(4, 2, 2_200)) {
        st.apply(&f);
    }
    assert_eq!(
        st.progress(),
        Progress {
            expected: 3,
            found: 1,
            misplaced: 1,
            missing: 1,
            unexpected: 1,
            between: 0
        }
    );
}

#[test]
fn a_tag_that_lingered_at_the_gate_is_dated_by_its_passage() {
    let mut e = Engine::new(config()).unwrap();
    // Three minutes on the floor by the inside antenna, strongest at the start.
    let mut reads: Vec<TagRead> = (0..1_800)
        .map(|i| read(1, 1, 1, i * 100, if i < 10 { -40 } else { -50 }))
        .collect();
    // Then carried out: inside fading, outside rising and fading.
    let t = 180_000;
    for (i, (rssi, ant)) in [
        (-48, 1),
        (-46, 1),
        (-52, 2),
        (-55, 1),
        (-45, 2),
        (-50, 2),
        (-60, 2),
    ]
    .into_iter()
    .enumerate()
    {
        reads.push(read(1, 1, ant, t + i as u64 * 100, rssi));
    }
    let mut facts = feed(&mut e, &reads);
    e.flush(&mut facts);
    let passed: Vec<(Direction, u64)> = facts
        .iter()
        .filter_map(|f| match f {
            Fact::Passed { direction, at, .. } => Some((*direction, *at)),
            _ => None,
        })
        .collect();
    assert_eq!(passed.len(), 1, "{passed:?}");
    assert_eq!(passed[0].0, Direction::Out);
    let crossed = T0 + t * 1_000;
    assert!(
        passed[0].1 >= crossed - 1_000_000 && passed[0].1 <= crossed + 1_000_000,
        "{passed:?}"
    );
}
