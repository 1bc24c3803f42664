//! The committed traces give the facts the scenario says, every time.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use depot::engine::synth::{self, Options, Scenario, Synthesized};
use depot::engine::trace::{self, Replay, ReplayConfig};
use depot::engine::{Direction, Fact, GateId, ZoneId};
use depot_readers::Epc;

fn trace_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/traces")
        .join(format!("{name}.jsonl"))
}

#[track_caller]
fn replay(name: &str) -> Replay {
    let path = trace_path(name);
    let config: ReplayConfig =
        serde_json::from_reader(File::open(trace::config_path(&path)).unwrap())
            .expect("configuration parses");
    trace::replay(BufReader::new(File::open(&path).unwrap()), &config).expect("trace replays")
}

/// The committed trace is exactly what the synthesizer makes today, so its truth applies.
#[track_caller]
fn synthesized(name: &str, opts: Options) -> Synthesized {
    let s = synth::synthesize(&opts);
    let mut bytes = Vec::new();
    for read in &s.reads {
        trace::write_read(&mut bytes, read, s.reader_name(read.reader)).unwrap();
    }
    let committed = std::fs::read(trace_path(name)).unwrap();
    assert!(
        bytes == committed,
        "{name}: the synthesizer no longer produces the committed trace"
    );
    let config: ReplayConfig =
        serde_json::from_reader(File::open(trace::config_path(&trace_path(name))).unwrap())
            .unwrap();
    assert_eq!(config, s.config, "{name}: configuration differs");
    s
}

struct Passages {
    by_direction: BTreeMap<Direction, BTreeSet<Epc>>,
    batches: Vec<(Direction, u32, u32)>,
    passed_epcs: Vec<Epc>,
}

fn passages(facts: &[Fact]) -> Passages {
    let mut p = Passages {
        by_direction: BTreeMap::new(),
        batches: Vec::new(),
        passed_epcs: Vec::new(),
    };
    for f in facts {
        match f {
            Fact::Passed {
                epc,
                gate,
                direction,
                confidence,
                ..
            } => {
                assert_eq!(*gate, GateId(1));
                assert!((0.0..=1.0).contains(confidence));
                p.by_direction.entry(*direction).or_default().insert(*epc);
                p.passed_epcs.push(*epc);
            }
            Fact::BatchClosed {
                direction,
                batch,
                count,
                first_at,
                last_at,
                ..
            } => {
                assert!(first_at <= last_at);
                p.batches.push((*direction, *batch, *count));
            }
            _ => {}
        }
    }
    p
}

#[test]
fn gate_out_gives_120_out_passages_in_two_batches_and_nothing_for_the_stray() {
    let truth = synthesized("gate-out", Options::new(Scenario::GateOut, 120, 1)).truth;
    let r = replay("gate-out");
    let p = passages(&r.facts);
    assert_eq!(
        p.passed_epcs.len(),
        120,
        "one passage per asset, no duplicates"
    );
    assert_eq!(
        p.by_direction[&Direction::Out],
        truth.passed.iter().copied().collect::<BTreeSet<_>>()
    );
    assert!(!p.by_direction.contains_key(&Direction::In));
    assert_eq!(
        p.batches,
        vec![(Direction::Out, 1, 60), (Direction::Out, 2, 60)]
    );
    assert_eq!(truth.lingering.len(), 1);
    let stray = truth.lingering[0];
    assert!(!p.passed_epcs.contains(&stray));
    // The stray is seen where it lies, inside, and nowhere else.
    let stray_facts: Vec<&Fact> = r.facts.iter().filter(|f| f.epc() == Some(stray)).collect();
    assert!(
        matches!(
            stray_facts[..],
            [
                Fact::Arrived {
                    zone: ZoneId(10),
                    ..
                },
                Fact::Left {
                    zone: ZoneId(10),
                    ..
                }
            ]
        ),
        "{stray_facts:?}"
    );
    // Each asset arrives inside, moves outside, and leaves from there.
    for epc in &truth.passed {
        let kinds: Vec<(&str, ZoneId)> = r
            .facts
            .iter()
            .filter(|f| f.epc() == Some(*epc))
            .filter_map(|f| match f {
                Fact::Arrived { zone, .. } => Some(("arrived", *zone)),
                Fact::Moved { to, .. } => Some(("moved", *to)),
                Fact::Left { zone, .. } => Some(("left", *zone)),
                _ => None,
            })
            .collect();
        assert_eq!(
            kinds,
            vec![
                ("arrived", ZoneId(10)),
                ("moved", ZoneId(11)),
                ("left", ZoneId(11))
            ],
            "{epc}"
        );
    }
}

#[test]
fn gate_in_gives_60_in_passages_in_one_batch() {
    let truth = synthesized("gate-in", Options::new(Scenario::GateIn, 60, 2)).truth;
    let p = passages(&replay("gate-in").facts);
    assert_eq!(p.passed_epcs.len(), 60);
    assert_eq!(
        p.by_direction[&Direction::In],
        truth.passed.iter().copied().collect::<BTreeSet<_>>()
    );
    assert_eq!(p.batches, vec![(Direction::In, 1, 60)]);
}

#[test]
fn cross_reads_from_staging_give_no_gate_facts() {
    let truth = synthesized("cross-read", Options::new(Scenario::CrossRead, 60, 3)).truth;
    let r = replay("cross-read");
    let p = passages(&r.facts);
    assert_eq!(p.passed_epcs.len(), 60);
    assert_eq!(
        p.by_direction[&Direction::In],
        truth.passed.iter().copied().collect::<BTreeSet<_>>()
    );
    assert!(r.counters.cross_reads > 0, "the scenario does cross-read");
    assert_eq!(truth.lingering.len(), 20);
    for epc in &truth.lingering {
        let facts: Vec<&Fact> = r.facts.iter().filter(|f| f.epc() == Some(*epc)).collect();
        assert!(
            matches!(
                facts[..],
                [
                    Fact::Arrived {
                        zone: ZoneId(12),
                        ..
                    },
                    Fact::Left {
                        zone: ZoneId(12),
                        ..
                    }
                ]
            ),
            "{epc}: {facts:?}"
        );
    }
}

#[test]
fn stocktake_finds_exactly_the_absent_misplaced_and_unknown_tags() {
    let s = synthesized("stocktake", Options::new(Scenario::Stocktake, 2_000, 4));
    let r = replay("stocktake")
        .stocktake
        .expect("the configuration starts a stocktake");
    let t = s.truth;
    assert_eq!(
        (t.absent.len(), t.misplaced.len(), t.unknown.len()),
        (7, 3, 2)
    );
    assert_eq!(
        r.missing.iter().map(|m| m.epc).collect::<Vec<_>>(),
        t.absent
    );
    assert_eq!(
        r.misplaced
            .iter()
            .map(|m| (m.epc, m.expected, m.seen))
            .collect::<Vec<_>>(),
        t.misplaced
    );
    assert_eq!(
        r.unexpected
            .iter()
            .map(|u| (u.epc, u.zone))
            .collect::<Vec<_>>(),
        t.unknown
    );
    assert!(r.unexpected.iter().all(|u| !u.known));
    assert_eq!(r.found.len(), 1_990);
}

#[test]
fn every_trace_replays_to_the_same_facts() {
    for name in ["gate-out", "gate-in", "cross-read", "stocktake"] {
        let (a, b) = (replay(name), replay(name));
        assert_eq!(a, b, "{name}");
        let json = |r: &Replay| {
            r.facts
                .iter()
                .map(|f| serde_json::to_string(f).unwrap())
                .collect::<Vec<_>>()
        };
        assert_eq!(json(&a), json(&b), "{name}");
        // Facts come out in time order, apart from passages, which are judged once the tag
        // is quiet and carry the earlier moment it crossed.
        let times: Vec<u64> = a
            .facts
            .iter()
            .filter(|f| !matches!(f, Fact::Passed { .. } | Fact::BatchClosed { .. }))
            .map(Fact::at)
            .collect();
        assert!(
            times.windows(2).all(|w| w[0] <= w[1]),
            "{name}: zone facts out of order"
        );
        let ids: BTreeSet<String> = a.facts.iter().map(Fact::id).collect();
        assert_eq!(ids.len(), a.facts.len(), "{name}: fact ids are unique");
    }
}

#[test]
fn fresh_gate_traces_give_one_passage_per_asset_whatever_the_seed() {
    for seed in 100..106 {
        for (scenario, direction) in [
            (Scenario::GateOut, Direction::Out),
            (Scenario::GateIn, Direction::In),
            (Scenario::CrossRead, Direction::In),
        ] {
            let s = synth::synthesize(&Options::new(scenario, 30, seed));
            let mut engine = depot::engine::Engine::new(s.config.engine.clone()).unwrap();
            let mut facts = Vec::new();
            s.reads.iter().for_each(|r| engine.ingest(r, &mut facts));
            engine.flush(&mut facts);
            let p = passages(&facts);
            assert_eq!(p.passed_epcs.len(), 30, "{scenario:?} seed {seed}");
            assert_eq!(
                p.by_direction[&direction],
                s.truth.passed.iter().copied().collect::<BTreeSet<_>>()
            );
            assert_eq!(
                p.batches,
                vec![(direction, 1, 30)],
                "{scenario:?} seed {seed}"
            );
        }
    }
}
