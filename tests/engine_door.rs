//! The gate judgment on the independent door model (`depot::radio::door`): committed door
//! traces replay to their known passages, and over seeds and front-to-back ratios the
//! engine was never tuned on, what did not cross is never acted on as a passage and no
//! crossing is acted on in the wrong direction.

mod common;

use common::traces::model_trace;
use depot::cli::gate_bench::{crossings, door_config, plan, play, score, Score};
use depot::engine::trace::ReplayConfig;
use depot::radio::door::{self, DoorModel};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;

/// The committed door trace `name` is exactly what the door model makes today for the
/// scenario, ratio and seed; its replay, scored against the model's truth.
#[track_caller]
fn door_trace(name: &str, scenario: &str, fb: f64, seed: u64) -> Score {
    let model = DoorModel::reference(fb);
    let run = door::simulate(&model, &plan(scenario).unwrap(), seed);
    let config = ReplayConfig {
        engine: door_config(&model),
        stocktake: None,
    };
    let replay = model_trace(name, &run.reads, "door", &config);
    score(&replay.facts, &crossings(&run.truth))
}

/// Five trolleys pushed to the door plane and taken back, at a 12 dB portal: nothing passes.
#[test]
fn turn_backs_at_the_door_pass_nothing() {
    let s = door_trace("door-turn-backs", "turn-backs", 12.0, 3);
    assert_eq!(s, Score::default());
}

/// Two trolleys crossing each way at once, 12 tags, at a 12 dB portal: every tag passes the
/// way it went and is acted on, none is swapped. (One of them is unsure on its own and
/// follows both loads' timing: its antennas' levels tell which load it rode with.)
#[test]
fn loads_crossing_each_way_at_once_each_pass_their_way() {
    let s = door_trace("door-crossing-pair", "crossing-pair", 12.0, 5);
    assert_eq!(s.crossings, 12);
    assert_eq!((s.right, s.asked), (12, 0), "{s:?}");
    assert_eq!(
        (s.wrong_direction, s.false_passages, s.repeated),
        (0, 0, 0),
        "{s:?}"
    );
}

/// A person walking out fast (2.5 m/s) with a laptop, at a good portal: one passage out.
#[test]
fn a_fast_walker_passes_out() {
    let s = door_trace("door-walker-out", "walker-out", 18.0, 2);
    assert_eq!((s.crossings, s.right), (1, 1), "{s:?}");
}

/// People carrying tagged things along the door, at an 8 dB portal: nothing is acted on;
/// what cannot be told is asked.
#[test]
fn people_walking_along_the_door_are_never_acted_on() {
    let s = door_trace("door-passers-by", "passers-by", 8.0, 4);
    assert_eq!(s.crossings, 0);
    assert_eq!((s.false_passages, s.repeated), (0, 0), "{s:?}");
}

/// Two trolleys whose every tag is hidden 25 dB from one side, at a good portal: heard on
/// one side only, with no sure companion, they are not acted on (nor in the wrong way).
#[test]
fn loads_hidden_from_one_side_are_never_acted_on_wrongly() {
    let s = door_trace("door-one-sided", "one-sided", 18.0, 1);
    assert_eq!(s.crossings, 16);
    assert_eq!(
        (s.wrong_direction, s.false_passages, s.repeated),
        (0, 0, 0),
        "{s:?}"
    );
}

/// The reference experiment at a door of front-to-back ratio `fb` dB, one seed.
fn mixed(fb: f64, seed: u64) -> Score {
    play(
        &DoorModel::reference(fb),
        &plan("mixed").unwrap(),
        seed,
        None,
        false,
    )
    .unwrap()
}

/// The reference experiment at a good portal, seed 6: two tags hidden from the outside
/// antennas (orientation nulls) fall quiet as they reach the door, seconds before the rest
/// of their trolley, which the outside antennas hear on; they wait for the trolley's sure
/// passages and pass out with it.
#[test]
fn a_tag_quiet_before_its_load_waits_for_the_loads_passage() {
    let s = mixed(18.0, 6);
    assert_eq!(s.crossings, 93);
    // Two more of that trolley are barely heard (their levels step by less than 6 dB at its
    // crossing): they are asked, not missed.
    assert_eq!((s.right, s.asked, s.missed), (91, 2, 0), "{s:?}");
    assert_eq!(
        (s.wrong_direction, s.false_passages, s.repeated),
        (0, 0, 0),
        "{s:?}"
    );
}

/// The reference experiment at a 12 dB portal, seed 4: three tags are heard on one side
/// only (one going out heard only outside, one going out heard only inside, one coming in
/// heard only inside). Each one's level steps the way its trolley crossed, when it crossed:
/// up in front of the antennas of the side entered, down behind those of the side left. So
/// each passes with its trolley.
#[test]
fn tags_heard_on_one_side_cross_with_their_trolley() {
    let s = mixed(12.0, 4);
    assert_eq!(s.crossings, 93);
    assert_eq!((s.right, s.asked, s.missed), (93, 0, 0), "{s:?}");
    assert_eq!(
        (s.wrong_direction, s.false_passages, s.repeated),
        (0, 0, 0),
        "{s:?}"
    );
}

/// On the portal model (a second door model written apart from the engine and from the
/// first model: six antennas, a reader in session 1, pushers shadowing their trolleys), the
/// bench plays each scenario through the gate (its antennas read most crossing tags, some
/// are judged right), and whatever the gate cannot tell at 12 dB, no crossing is acted on
/// the wrong way.
#[test]
fn on_the_portal_model_no_crossing_is_acted_on_the_wrong_way() {
    use depot::cli::gate_bench::play_portal;
    use depot::radio::portal::{PortalModel, PortalPlan};
    let model = PortalModel::reference(12.0);
    let sides: Vec<_> = model.read_points().iter().map(|p| p.2).collect();
    assert!(sides.contains(&door::Side::Inside) && sides.contains(&door::Side::Outside));
    for name in ["mixed", "crossing-pair"] {
        let plan = PortalPlan::named(name).unwrap();
        for seed in 1..=2 {
            let s = play_portal(&model, &plan, seed, None, false).unwrap();
            assert!(s.crossings > 0 && s.right > 0, "{name} seed {seed}: {s:?}");
            assert!(s.readable > s.crossings / 2, "{name} seed {seed}: {s:?}");
            assert_eq!(s.wrong_direction, 0, "{name} seed {seed}: {s:?}");
        }
    }
}

fn config() -> ProptestConfig {
    ProptestConfig {
        // The same cases every run: a counterexample found is kept below as a plain test.
        rng_seed: RngSeed::Fixed(0x6761_7465),
        // Each case plays one to two minutes of a dock door; two dozen cover the space
        // well, and `depot bench gate` plays twenty seeds of each at four ratios.
        cases: 24,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Trolleys whose front tags poked through the door, fell silent out there for a second or
/// two and came back (found by wider runs of the properties below): not passages.
#[test]
fn trolleys_poking_through_the_door_and_back_are_not_passages() {
    for (fb, seed) in [
        (15.04, 571_928),
        (13.0, 8),
        (13.0, 27),
        (13.0, 54),
        (15.0, 60),
        (17.0, 159),
    ] {
        let s = play(
            &DoorModel::reference(fb),
            &plan("turn-backs").unwrap(),
            seed,
            None,
            false,
        )
        .unwrap();
        assert_eq!(
            (s.false_passages, s.repeated),
            (0, 0),
            "{fb} dB, seed {seed}: {s:?}"
        );
    }
}

proptest! {
    #![proptest_config(config())]

    /// Trolleys pushed to the door plane (short of it, or their front tags poking through)
    /// and taken back: nothing is issued or returned, at any portal.
    #[test]
    fn turn_backs_are_never_acted_on(seed in 1u64..1_000_000, fb in 4.0f64..=18.0) {
        let s = play(&DoorModel::reference(fb), &plan("turn-backs").unwrap(), seed, None, false).unwrap();
        prop_assert_eq!(s.crossings, 0);
        prop_assert_eq!((s.false_passages, s.repeated), (0, 0), "{:?}", s);
    }

    /// Tags on a shelf just inside the door are never acted on.
    #[test]
    fn strays_are_never_acted_on(seed in 1u64..1_000_000, fb in 4.0f64..=18.0) {
        let s = play(&DoorModel::reference(fb), &plan("strays").unwrap(), seed, None, false).unwrap();
        prop_assert_eq!((s.false_passages, s.repeated), (0, 0), "{:?}", s);
    }

    /// Two trolleys crossing each way at once: no tag is acted on in the other's direction,
    /// and no sure passage is lent across the two loads.
    #[test]
    fn loads_crossing_each_way_are_never_swapped(seed in 1u64..1_000_000, fb in 4.0f64..=18.0) {
        let s = play(&DoorModel::reference(fb), &plan("crossing-pair").unwrap(), seed, None, false).unwrap();
        prop_assert!(s.crossings > 0);
        prop_assert_eq!(s.wrong_direction, 0, "{:?}", s);
        prop_assert_eq!((s.false_passages, s.repeated), (0, 0), "{:?}", s);
    }
}

/// A reader that comes back while a trolley stands in the doorway hears the trolley's tags
/// first from the door plane, already a little beyond it: that is the start of what it
/// hears, not the side the trolley came from, so the passage that follows is acted on. The
/// same reads in the middle of a reader's connection are a trolley that came from outside,
/// went in and came back out: asked, not acted on.
#[test]
fn a_reader_back_mid_passage_hears_the_rest_as_a_passage() {
    use depot::cli::gate_bench::site_config;
    use depot::engine::{Direction, Engine, Fact};
    use depot_readers::{Epc, ReaderId, TagRead};

    let reader = ReaderId(3);
    let config = site_config(&[
        (reader, 1, door::Side::Inside),
        (reader, 2, door::Side::Outside),
    ]);
    let base = 1_800_000_000_000_000u64;
    let read = |epc: Epc, antenna: u16, ms: u64, rssi: i8| TagRead {
        epc,
        reader,
        antenna,
        rssi_dbm: Some(rssi),
        timestamp_us: base + ms * 1_000,
        channel: None,
        phase: None,
        seen_count: None,
    };
    let stray = Epc::from_hex("3034257BF7194E4000000001").unwrap();
    let trolley = Epc::from_hex("3034257BF7194E4000000002").unwrap();
    // Just past the plane (heard a little better outside), pulled back in, wheeled out.
    let mut reads = Vec::new();
    let start = 60_000;
    for i in 0..10 {
        reads.push(read(trolley, 2, start + i * 100, -60));
        reads.push(read(trolley, 1, start + i * 100 + 50, -63));
    }
    for i in 0..30 {
        reads.push(read(
            trolley,
            1,
            start + 1_000 + i * 100,
            -56 + (i % 3) as i8,
        ));
        reads.push(read(trolley, 2, start + 1_050 + i * 100, -72));
    }
    for i in 0..30 {
        reads.push(read(
            trolley,
            2,
            start + 4_000 + i * 100,
            -56 + (i % 3) as i8,
        ));
        reads.push(read(trolley, 1, start + 4_050 + i * 100, -72));
    }
    let passages = |reconnected: bool| {
        let mut engine = Engine::new(config.clone()).unwrap();
        let mut facts = Vec::new();
        // The gate has been reading for a minute: a stray inside, heard now and then.
        for s in 0..60 {
            engine.ingest(&read(stray, 1, s * 1_000, -70), &mut facts);
        }
        if reconnected {
            engine.reader_connected(reader);
        }
        for r in &reads {
            engine.ingest(r, &mut facts);
        }
        engine.flush(&mut facts);
        facts
            .into_iter()
            .filter_map(|f| match f {
                Fact::Passed {
                    epc,
                    direction,
                    uncertain,
                    ..
                } if epc == trolley => Some((direction, uncertain)),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(passages(true), [(Direction::Out, false)]);
    assert_eq!(passages(false), [(Direction::Out, true)]);
}

/// A tag still heard at the door a minute after its evidence moved sides is asked about,
/// not acted on: a trolley parked just inside that only the outside antennas hear (its load
/// between its tags and the inside antennas) looks like one parked just outside. The same
/// trolley wheeled away after ten seconds passes out.
#[test]
fn a_tag_that_lingers_in_the_doorway_for_a_minute_is_asked_about() {
    use depot::cli::gate_bench::site_config;
    use depot::engine::{Direction, Engine, Fact};
    use depot_readers::{Epc, ReaderId, TagRead};

    let reader = ReaderId(1);
    let config = site_config(&[
        (reader, 1, door::Side::Inside),
        (reader, 2, door::Side::Outside),
    ]);
    let trolley = Epc::from_hex("3034257BF7194E4000000003").unwrap();
    let read = |antenna: u16, ms: u64, rssi: i8| TagRead {
        epc: trolley,
        reader,
        antenna,
        rssi_dbm: Some(rssi),
        timestamp_us: 1_800_000_000_000_000 + ms * 1_000,
        channel: None,
        phase: None,
        seen_count: None,
    };
    let passages = |outside_for_ms: u64| {
        let mut engine = Engine::new(config.clone()).unwrap();
        let mut facts = Vec::new();
        for i in 0..30 {
            engine.ingest(&read(1, i * 100, -60 + (i % 3) as i8), &mut facts);
            engine.ingest(&read(2, i * 100 + 50, -75), &mut facts);
        }
        for i in 0..outside_for_ms / 100 {
            engine.ingest(&read(2, 3_000 + i * 100, -62 + (i % 3) as i8), &mut facts);
        }
        engine.flush(&mut facts);
        facts
            .into_iter()
            .filter_map(|f| match f {
                Fact::Passed {
                    direction,
                    uncertain,
                    ..
                } => Some((direction, uncertain)),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(passages(10_000), [(Direction::Out, false)]);
    assert_eq!(passages(70_000), [(Direction::Out, true)]);
}
