//! `depot bench gate`: how often the gate judges right, on an independent door model.
//!
//! The door model (`crate::radio::door`) was written from link-budget physics without
//! reading the engine: antenna patterns with a front-to-back ratio, two-way path loss,
//! orientation nulls, frequency-selective multipath, antennas multiplexed on one reader whose
//! read budget the tags in the field share. For each front-to-back ratio and seed it plays a
//! few minutes at a dock door (trolleys out and in, turn-backs at the door plane, a fast
//! walker, two trolleys crossing at once, strays on a shelf inside the door) through the
//! engine and scores the passages against the model's ground truth. `--model portal` plays
//! a second door model (`crate::radio::portal`), written apart from the first and from the
//! engine, whose scenarios add pallets, loads pausing in the doorway and loads parked by it.

use std::collections::HashMap;

use depot_readers::{Epc, ReaderId};

use crate::engine::{
    Direction, Engine, EngineConfig, Fact, GateConfig, ReadPoint, ReaderConfig, Smoothing,
    ZoneConfig, ZoneId,
};
use crate::radio::{self, door, portal};

/// A crossing the model knows happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Crossing {
    pub epc: Epc,
    pub direction: Direction,
    pub at_us: u64,
}

/// A passage is matched to a true crossing of the same tag within this much time ...
pub const MATCH_US: u64 = 5_000_000;
/// ... or, failing that, within this much: a load that stood in the doorway a while is
/// judged when it leaves, which may be long after its tags were in the plane.
pub const PAUSE_MATCH_US: u64 = 30_000_000;

/// Passages scored against the truth.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Score {
    pub crossings: u32,
    /// Judged in the right direction and acted on.
    pub right: u32,
    /// Judged in the right direction but uncertain: a person is asked.
    pub asked: u32,
    /// No passage for a real crossing.
    pub missed: u32,
    /// Acted on in the wrong direction.
    pub wrong_direction: u32,
    /// Uncertain, in the wrong direction.
    pub wrong_direction_asked: u32,
    /// Acted on where nothing crossed.
    pub false_passages: u32,
    /// Uncertain where nothing crossed.
    pub false_asked: u32,
    /// A second passage of a tag whose crossing was already matched, the same way: it
    /// changes nothing (the asset is already where that passage would put it).
    pub repeated: u32,
    /// Crossings whose tag the reader read at least [`READABLE_READS`] times around them:
    /// the ones the radio can tell at all.
    pub readable: u32,
    /// Of those, judged right and acted on.
    pub right_readable: u32,
}

/// Reads of a tag within [`MATCH_US`] of its crossing below which no judgment can be made.
pub const READABLE_READS: usize = 3;

impl Score {
    pub fn add(&mut self, o: &Score) {
        self.crossings += o.crossings;
        self.right += o.right;
        self.asked += o.asked;
        self.missed += o.missed;
        self.wrong_direction += o.wrong_direction;
        self.wrong_direction_asked += o.wrong_direction_asked;
        self.false_passages += o.false_passages;
        self.false_asked += o.false_asked;
        self.repeated += o.repeated;
        self.readable += o.readable;
        self.right_readable += o.right_readable;
    }

    /// Share of crossings judged right and acted on.
    pub fn right_share(&self) -> f64 {
        f64::from(self.right) / f64::from(self.crossings.max(1))
    }

    /// Share of the crossings the radio can tell judged right and acted on.
    pub fn right_readable_share(&self) -> f64 {
        f64::from(self.right_readable) / f64::from(self.readable.max(1))
    }
}

/// How one passage was judged against the true crossings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Right,
    Asked,
    WrongDirection,
    WrongDirectionAsked,
    False,
    FalseAsked,
    /// A second passage the same way after its tag's last crossing, already matched.
    Repeated,
}

/// The passages judged: the score, each passage's verdict (by index among `facts`, with
/// the crossing it matched), and the crossings no passage matched.
pub struct Judged {
    pub score: Score,
    pub verdicts: Vec<(usize, Verdict, Option<Crossing>)>,
    pub unmatched: Vec<Crossing>,
}

/// Score the engine's passages against the true crossings: each passage is matched to the
/// nearest unmatched crossing of its tag within [`MATCH_US`]; those left, within
/// [`PAUSE_MATCH_US`]. A passage left over is a repeat when its tag's last crossing before
/// it was matched, the same way, within [`PAUSE_MATCH_US`]; any other is a false passage.
pub fn score(facts: &[Fact], truth: &[Crossing]) -> Score {
    judge(facts, truth).score
}

/// [`score`], with each passage's verdict.
pub fn judge(facts: &[Fact], truth: &[Crossing]) -> Judged {
    let mut by_tag: HashMap<Epc, Vec<(Crossing, bool)>> = HashMap::new();
    for c in truth {
        by_tag.entry(c.epc).or_default().push((*c, false));
    }
    for cs in by_tag.values_mut() {
        cs.sort_by_key(|(c, _)| c.at_us);
    }
    let mut s = Score {
        crossings: truth.len() as u32,
        ..Score::default()
    };
    let passages: Vec<(usize, Epc, Direction, u64, bool)> = facts
        .iter()
        .enumerate()
        .filter_map(|(i, f)| match f {
            Fact::Passed {
                epc,
                direction,
                at,
                uncertain,
                ..
            } => Some((i, *epc, *direction, *at, *uncertain)),
            _ => None,
        })
        .collect();
    let mut verdicts = Vec::new();
    let mut left = Vec::new();
    for &p in &passages {
        match matched(&mut by_tag, p, MATCH_US) {
            Some(v) => verdicts.push(v),
            None => left.push(p),
        }
    }
    for p @ (i, epc, direction, at, uncertain) in left {
        if let Some(v) = matched(&mut by_tag, p, PAUSE_MATCH_US) {
            verdicts.push(v);
            continue;
        }
        let last = by_tag
            .get(&epc)
            .and_then(|cs| cs.iter().rev().find(|(c, _)| c.at_us <= at));
        let repeat = last.is_some_and(|(c, used)| {
            *used && c.direction == direction && at - c.at_us <= PAUSE_MATCH_US
        });
        let verdict = match (repeat, uncertain) {
            (true, _) => Verdict::Repeated,
            (false, true) => Verdict::FalseAsked,
            (false, false) => Verdict::False,
        };
        verdicts.push((i, verdict, None));
    }
    verdicts.sort_by_key(|v| v.0);
    for (_, v, _) in &verdicts {
        match v {
            Verdict::Right => s.right += 1,
            Verdict::Asked => s.asked += 1,
            Verdict::WrongDirection => s.wrong_direction += 1,
            Verdict::WrongDirectionAsked => s.wrong_direction_asked += 1,
            Verdict::False => s.false_passages += 1,
            Verdict::FalseAsked => s.false_asked += 1,
            Verdict::Repeated => s.repeated += 1,
        }
    }
    s.missed = s.crossings - s.right - s.asked - s.wrong_direction - s.wrong_direction_asked;
    let unmatched = by_tag
        .into_values()
        .flatten()
        .filter(|(_, used)| !used)
        .map(|(c, _)| c)
        .collect();
    Judged {
        score: s,
        verdicts,
        unmatched,
    }
}

/// Match a passage (its index, tag, direction, time, uncertain) to the nearest unmatched
/// crossing of its tag `within` of it: its verdict, or none.
fn matched(
    by_tag: &mut HashMap<Epc, Vec<(Crossing, bool)>>,
    (i, epc, direction, at, uncertain): (usize, Epc, Direction, u64, bool),
    within: u64,
) -> Option<(usize, Verdict, Option<Crossing>)> {
    let (c, used) = by_tag.get_mut(&epc).and_then(|cs| {
        cs.iter_mut()
            .filter(|(c, used)| !used && c.at_us.abs_diff(at) <= within)
            .min_by_key(|(c, _)| c.at_us.abs_diff(at))
    })?;
    *used = true;
    let verdict = match (c.direction == direction, uncertain) {
        (true, false) => Verdict::Right,
        (true, true) => Verdict::Asked,
        (false, false) => Verdict::WrongDirection,
        (false, true) => Verdict::WrongDirectionAsked,
    };
    Some((i, verdict, Some(*c)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::GateId;

    fn passed(n: u8, direction: Direction, at: u64, uncertain: bool) -> Fact {
        Fact::Passed {
            epc: Epc::new(&[n]).unwrap(),
            gate: GateId(1),
            direction,
            at,
            confidence: 0.5,
            batch: 1,
            uncertain,
        }
    }

    /// A load that stood in the doorway is judged when it leaves: its passage matches the
    /// crossing up to 30 s away; a second passage the same way repeats it; one the other way,
    /// one more than 30 s after, one of a tag that never crossed, and one the same way as a
    /// crossing that its tag undid since, are false.
    #[test]
    fn a_passage_judged_late_matches_and_a_second_one_repeats() {
        let out = |n: u8, at_us| Crossing {
            epc: Epc::new(&[n]).unwrap(),
            direction: Direction::Out,
            at_us,
        };
        let back = |n: u8, at_us| Crossing {
            direction: Direction::In,
            ..out(n, at_us)
        };
        let truth = [
            out(1, 10_000_000),
            out(2, 10_000_000),
            out(3, 10_000_000),
            back(3, 20_000_000),
        ];
        let facts = [
            passed(1, Direction::Out, 28_000_000, false),
            passed(2, Direction::Out, 10_500_000, false),
            passed(2, Direction::Out, 29_000_000, false),
            passed(2, Direction::In, 30_000_000, false),
            passed(1, Direction::Out, 45_000_000, true),
            passed(4, Direction::Out, 10_000_000, false),
            passed(3, Direction::Out, 10_000_000, false),
            passed(3, Direction::In, 20_000_000, false),
            passed(3, Direction::Out, 25_000_000, false),
        ];
        let judged = judge(&facts, &truth);
        let s = judged.score;
        assert_eq!((s.right, s.missed, s.repeated), (4, 0, 1), "{s:?}");
        assert_eq!((s.false_passages, s.false_asked), (3, 1), "{s:?}");
        assert_eq!(judged.verdicts[2].1, Verdict::Repeated);
        assert_eq!(judged.verdicts[8].1, Verdict::False);
        assert!(judged.unmatched.is_empty());
    }

    #[test]
    fn passages_are_matched_to_crossings() {
        let truth = [
            Crossing {
                epc: Epc::new(&[1]).unwrap(),
                direction: Direction::Out,
                at_us: 10_000_000,
            },
            Crossing {
                epc: Epc::new(&[2]).unwrap(),
                direction: Direction::In,
                at_us: 10_000_000,
            },
            Crossing {
                epc: Epc::new(&[3]).unwrap(),
                direction: Direction::In,
                at_us: 10_000_000,
            },
        ];
        let facts = [
            passed(1, Direction::Out, 11_000_000, false),
            passed(2, Direction::Out, 10_000_000, false),
            passed(4, Direction::Out, 10_000_000, false),
            passed(1, Direction::In, 30_000_000, true),
        ];
        let s = score(&facts, &truth);
        assert_eq!(
            s,
            Score {
                crossings: 3,
                right: 1,
                asked: 0,
                missed: 1,
                wrong_direction: 1,
                wrong_direction_asked: 0,
                false_passages: 1,
                false_asked: 1,
                repeated: 0,
                readable: 0,
                right_readable: 0,
            }
        );
    }
}

/// `depot bench gate`.
#[derive(Debug, clap::Args)]
pub struct GateBenchArgs {
    /// Seeds per front-to-back ratio.
    #[arg(long, default_value_t = 20)]
    pub seeds: u64,
    /// First seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// The antennas' front-to-back ratios to play, dB.
    #[arg(long, value_delimiter = ',', default_value = "18,12,8,4")]
    pub ratios: Vec<f64>,
    /// The door model: `door`, the reference the gate was developed beside, or `portal`,
    /// a second model written apart from both (a wider door, antennas on the jambs and
    /// overhead, a reader in a persistent session, bodies and loads shadowing tags).
    #[arg(long, value_enum, default_value_t = DoorSite::Door)]
    pub model: DoorSite,
    /// Scenarios to play (the mixed reference experiment, then each hard case alone); by
    /// default every scenario of the model.
    #[arg(long, value_delimiter = ',')]
    pub plans: Vec<String>,
    /// Print every seed's score, not only the totals.
    #[arg(long)]
    pub verbose: bool,
    /// With `--verbose`: each missed crossing's reads, the strongest per side in 200 ms
    /// bins around the moment the tag was in the door plane.
    #[arg(long)]
    pub explain: bool,
}

/// The engine configuration for the model's door: antennas on the inside are the gate's
/// inside zone, the others its outside zone; everything else at its default.
pub fn door_config(model: &door::DoorModel) -> EngineConfig {
    site_config(&door_points(model))
}

/// Each antenna of the reference door and the side it looks into.
fn door_points(model: &door::DoorModel) -> Vec<(ReaderId, u16, door::Side)> {
    (1..=model.antennas().len() as u16)
        .filter_map(|antenna| Some((radio::READER, antenna, model.side_of(antenna)?)))
        .collect()
}

/// The engine configuration for a door read by `points` (reader, antenna, the side it looks
/// into): one gate, the inside antennas its inside zone, the others its outside zone.
pub fn site_config(points: &[(ReaderId, u16, door::Side)]) -> EngineConfig {
    let zone = |id: u32, name: &str| ZoneConfig {
        id: ZoneId(id),
        name: name.into(),
        smoothing: Smoothing::default(),
    };
    let read_points = points
        .iter()
        .map(|&(reader, antenna, side)| ReadPoint {
            reader: reader.0,
            antenna,
            zone: ZoneId(if side == door::Side::Inside { 1 } else { 2 }),
        })
        .collect();
    let mut readers: Vec<u32> = points.iter().map(|p| p.0 .0).collect();
    readers.sort_unstable();
    readers.dedup();
    let gate: GateConfig = serde_json::from_value(serde_json::json!({
        "id": 1, "name": "dock door", "inside": 1, "outside": 2,
    }))
    .expect("a gate with defaults");
    EngineConfig {
        readers: readers
            .into_iter()
            .map(|id| ReaderConfig {
                id,
                name: match id {
                    0 => "door".into(),
                    id => format!("door {id}"),
                },
            })
            .collect(),
        zones: vec![zone(1, "dock inside"), zone(2, "dock outside")],
        read_points,
        gates: vec![gate],
    }
}

/// The model's real passages as the scorer takes them.
pub fn crossings(truth: &door::DoorTruth) -> Vec<Crossing> {
    truth
        .passages()
        .map(|c| Crossing {
            epc: c.epc,
            direction: match c.direction {
                door::Direction::In => Direction::In,
                door::Direction::Out => Direction::Out,
            },
            at_us: c.at_us,
        })
        .collect()
}

/// Play one run of the model through the engine and score it; with `notes`, describe
/// every passage not judged right and acted on (actor, confidence), for tuning.
pub fn play(
    model: &door::DoorModel,
    plan: &door::Plan,
    seed: u64,
    notes: Option<&mut Vec<String>>,
    explain: bool,
) -> anyhow::Result<Score> {
    let run = door::simulate(model, plan, seed);
    let describe = |a: usize| format!("{:?} #{a}", plan.actors[a].kind);
    play_run(&run, &door_points(model), &describe, notes, explain)
}

/// [`play`] on the portal model.
pub fn play_portal(
    model: &portal::PortalModel,
    plan: &portal::PortalPlan,
    seed: u64,
    notes: Option<&mut Vec<String>>,
    explain: bool,
) -> anyhow::Result<Score> {
    let run = portal::simulate(model, plan, seed);
    let describe = |a: usize| plan.describe(a);
    play_run(&run, &model.read_points(), &describe, notes, explain)
}

/// Play a run at a door read by `points` through the engine and score it; `describe` names
/// an actor of its plan.
fn play_run(
    run: &radio::Run<door::DoorTruth>,
    points: &[(ReaderId, u16, door::Side)],
    describe: &dyn Fn(usize) -> String,
    notes: Option<&mut Vec<String>>,
    explain: bool,
) -> anyhow::Result<Score> {
    let mut engine = Engine::new(site_config(points))?;
    let mut facts = Vec::new();
    for read in &run.reads {
        engine.ingest(read, &mut facts);
    }
    engine.flush(&mut facts);
    let truth = crossings(&run.truth);
    let side_of = |r: &depot_readers::TagRead| {
        points
            .iter()
            .find(|p| p.0 == r.reader && p.1 == r.antenna)
            .map(|p| p.2)
    };
    if let Some(notes) = notes {
        let actor_of: HashMap<Epc, usize> = run
            .truth
            .crossings
            .iter()
            .map(|c| (c.epc, c.actor))
            .chain(run.truth.stayed.iter().map(|s| (s.epc, s.actor)))
            .collect();
        let kind = |epc: &Epc| actor_of.get(epc).map_or("?".to_string(), |&a| describe(a));
        let judged = judge(&facts, &truth);
        for &(i, verdict, real) in &judged.verdicts {
            let Fact::Passed {
                epc,
                direction,
                at,
                confidence,
                ..
            } = &facts[i]
            else {
                continue;
            };
            let word = match verdict {
                Verdict::Right => "right",
                Verdict::Asked => "asked",
                Verdict::WrongDirection => "WRONG DIRECTION",
                Verdict::WrongDirectionAsked => "wrong direction, asked",
                Verdict::False => "FALSE",
                Verdict::FalseAsked => "false, asked",
                Verdict::Repeated => "repeated",
            };
            notes.push(format!(
                "{word}: {epc} {direction:?} conf {confidence:.2} {}",
                kind(epc)
            ));
            if explain && verdict != Verdict::Right {
                let reads: Vec<_> = run.reads.iter().filter(|r| r.epc == *epc).collect();
                notes.push(series(&side_of, &reads, real.map_or(*at, |c| c.at_us)));
                if matches!(verdict, Verdict::False | Verdict::FalseAsked) {
                    notes.push(history(&side_of, &reads, *at));
                }
            }
        }
        for c in &judged.unmatched {
            let reads: Vec<_> = run.reads.iter().filter(|r| r.epc == c.epc).collect();
            let inside = reads
                .iter()
                .filter(|r| side_of(r) == Some(door::Side::Inside))
                .count();
            notes.push(format!(
                "missed: {} {:?} {} ({} reads inside, {} outside)",
                c.epc,
                c.direction,
                kind(&c.epc),
                inside,
                reads.len() - inside
            ));
            if explain {
                notes.push(series(&side_of, &reads, c.at_us));
            }
        }
    }
    // Read times of each crossing tag, gathered in one pass over the run.
    let mut read_at: HashMap<Epc, Vec<u64>> = truth.iter().map(|c| (c.epc, Vec::new())).collect();
    for r in &run.reads {
        if let Some(times) = read_at.get_mut(&r.epc) {
            times.push(r.timestamp_us);
        }
    }
    let readable: Vec<Crossing> = truth
        .iter()
        .filter(|c| {
            read_at[&c.epc]
                .iter()
                .filter(|t| t.abs_diff(c.at_us) <= MATCH_US)
                .count()
                >= READABLE_READS
        })
        .copied()
        .collect();
    Ok(Score {
        readable: readable.len() as u32,
        right_readable: score(&facts, &readable).right,
        ..score(&facts, &truth)
    })
}

/// A tag's reads as the strongest per side (inside/outside, dBm; `.` for none) in 200 ms
/// bins from 3 s before to 3 s after `at_us`.
fn series(
    side_of: &dyn Fn(&depot_readers::TagRead) -> Option<door::Side>,
    reads: &[&depot_readers::TagRead],
    at_us: u64,
) -> String {
    const BIN_US: i64 = 200_000;
    let mut bins = [[None::<i8>; 2]; 30];
    for r in reads {
        let b = (r.timestamp_us as i64 - at_us as i64).div_euclid(BIN_US) + 15;
        let (Ok(b), Some(rssi)) = (usize::try_from(b), r.rssi_dbm) else {
            continue;
        };
        let side = usize::from(side_of(r) != Some(door::Side::Inside));
        if let Some(bin) = bins.get_mut(b) {
            bin[side] = Some(bin[side].map_or(rssi, |v| v.max(rssi)));
        }
    }
    let mut out = String::from("      ");
    for (i, [inside, outside]) in bins.iter().enumerate() {
        if i == 15 {
            out.push_str("| ");
        }
        let f = |v: &Option<i8>| v.map_or(".".to_string(), |v| v.to_string());
        out.push_str(&format!("{}/{} ", f(inside), f(outside)));
    }
    out
}

/// A tag's whole story at the door: the strongest read per side in 1 s bins from its first
/// read to its last, `|` marking the second of the judged passage `at_us`.
fn history(
    side_of: &dyn Fn(&depot_readers::TagRead) -> Option<door::Side>,
    reads: &[&depot_readers::TagRead],
    at_us: u64,
) -> String {
    const BIN_US: u64 = 1_000_000;
    let (Some(first), Some(last)) = (reads.first(), reads.last()) else {
        return String::new();
    };
    let t0 = first.timestamp_us;
    let n = ((last.timestamp_us - t0) / BIN_US + 1).min(600) as usize;
    let mut bins = vec![[None::<i8>; 2]; n];
    for r in reads {
        let (Some(bin), Some(rssi)) = (
            bins.get_mut(((r.timestamp_us - t0) / BIN_US) as usize),
            r.rssi_dbm,
        ) else {
            continue;
        };
        let side = usize::from(side_of(r) != Some(door::Side::Inside));
        bin[side] = Some(bin[side].map_or(rssi, |v| v.max(rssi)));
    }
    let mark = at_us.saturating_sub(t0) / BIN_US;
    let mut out = format!("      whole track from {:.1} s: ", t0 as f64 / 1e6);
    for (i, [inside, outside]) in bins.iter().enumerate() {
        if i as u64 == mark {
            out.push_str("| ");
        }
        let f = |v: &Option<i8>| v.map_or(".".to_string(), |v| v.to_string());
        out.push_str(&format!("{}/{} ", f(inside), f(outside)));
    }
    out
}

/// Which door model `depot bench gate` plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DoorSite {
    Door,
    Portal,
}

/// The door model's scenarios, the reference experiment first.
const DOOR_PLANS: &[&str] = &[
    "mixed",
    "turn-backs",
    "crossing-pair",
    "walker-out",
    "strays",
    "passers-by",
    "one-sided",
];

/// A scenario of the door model by name.
pub fn plan(name: &str) -> anyhow::Result<door::Plan> {
    Ok(match name {
        "mixed" => door::Plan::mixed(),
        "trolleys-out" => door::Plan::trolleys_out(),
        "trolleys-in" => door::Plan::trolleys_in(),
        "turn-backs" => door::Plan::turn_backs(),
        "crossing-pair" => door::Plan::crossing_pair(),
        "walker-out" => door::Plan::walker_out(),
        "strays" => door::Plan::strays_only(),
        "passers-by" => door::Plan::passers_by(),
        "one-sided" => door::Plan::one_sided(),
        other => anyhow::bail!("no door scenario {other:?}"),
    })
}

pub fn run(args: GateBenchArgs) -> anyhow::Result<()> {
    let site = match args.model {
        DoorSite::Door => "the independent door model",
        DoorSite::Portal => "the portal model",
    };
    println!(
        "gate benchmark: {site}, {} seeds from {} per ratio and scenario",
        args.seeds, args.seed
    );
    println!(
        "| front-to-back | scenario | crossings | right (acted) | right where the radio can tell | asked | missed | wrong direction acted | wrong direction asked | false passages acted | false asked | repeated |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    let names: Vec<String> = match (args.plans.is_empty(), args.model) {
        (false, _) => args.plans.clone(),
        (true, DoorSite::Door) => DOOR_PLANS.iter().map(|n| n.to_string()).collect(),
        (true, DoorSite::Portal) => portal::PortalPlan::names()
            .iter()
            .map(|n| n.to_string())
            .collect(),
    };
    // Each scenario as a player of one seed at one front-to-back ratio.
    type Player = Box<dyn Fn(f64, u64, Option<&mut Vec<String>>) -> anyhow::Result<Score>>;
    let explain = args.explain;
    let players: Vec<(String, Player)> = names
        .iter()
        .map(|name| {
            let player: Player = match args.model {
                DoorSite::Door => {
                    let plan = plan(name)?;
                    Box::new(move |fb, seed, notes| {
                        play(&door::DoorModel::reference(fb), &plan, seed, notes, explain)
                    })
                }
                DoorSite::Portal => {
                    let plan = portal::PortalPlan::named(name)
                        .ok_or_else(|| anyhow::anyhow!("no portal scenario {name:?}"))?;
                    Box::new(move |fb, seed, notes| {
                        let model = portal::PortalModel::reference(fb);
                        play_portal(&model, &plan, seed, notes, explain)
                    })
                }
            };
            Ok((name.clone(), player))
        })
        .collect::<anyhow::Result<_>>()?;
    let started = std::time::Instant::now();
    for &fb in &args.ratios {
        let mut all = Score::default();
        for (name, player) in &players {
            let mut total = Score::default();
            for seed in args.seed..args.seed + args.seeds {
                let mut notes = Vec::new();
                let s = player(fb, seed, args.verbose.then_some(&mut notes))?;
                if args.verbose {
                    eprintln!("{fb} dB {name} seed {seed}: {s:?}");
                    for n in notes {
                        eprintln!("    {n}");
                    }
                }
                total.add(&s);
            }
            all.add(&total);
            row(&format!("{fb} dB"), name, &total);
        }
        if players.len() > 1 {
            row(&format!("**{fb} dB**"), "**all**", &all);
        }
    }
    eprintln!("({:.1} s)", started.elapsed().as_secs_f64());
    Ok(())
}

fn row(ratio: &str, plan: &str, s: &Score) {
    let right = if s.crossings == 0 {
        "—".to_string()
    } else {
        format!("{:.2} % ({})", 100.0 * s.right_share(), s.right)
    };
    let readable = if s.readable == 0 {
        "—".to_string()
    } else {
        format!(
            "{:.2} % ({}/{})",
            100.0 * s.right_readable_share(),
            s.right_readable,
            s.readable
        )
    };
    println!(
        "| {ratio} | {plan} | {} | {right} | {readable} | {} | {} | {} | {} | {} | {} | {} |",
        s.crossings,
        s.asked,
        s.missed,
        s.wrong_direction,
        s.wrong_direction_asked,
        s.false_passages,
        s.false_asked,
        s.repeated
    );
}
