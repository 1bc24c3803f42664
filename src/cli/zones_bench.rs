//! `depot bench zones`: how well zone presence holds on shelves, measured on the
//! independent radio model (`crate::radio::shelf`), or with `--model racking` on a second
//! one written apart from it and from the engine (`crate::radio::racking`), over many
//! seeds per isolation.
//!
//! Every run replays the model's reads through a fresh engine configured as a site would
//! configure its aisles ([`shelf_config`]), then holds the engine's facts against the
//! model's ground truth ([`score`]).

use std::time::Instant;

use clap::{Args, ValueEnum};
use depot_readers::{Epc, ReaderId, TagRead};

use crate::engine::{
    Engine, EngineConfig, Fact, ReadPoint, ReaderConfig, Smoothing, ZoneConfig, ZoneId,
};
use crate::radio::racking::{self, RackModel, RackPlan};
use crate::radio::shelf::{self, Place, Plan, ShelfModel, ShelfTruth, TrueMove};
use crate::radio::{Run, READER};

/// The isolations of the reference table, dB.
pub const ISOLATIONS: [f64; 4] = [20.0, 15.0, 10.0, 6.0];

/// How long after a tag is put down (or taken out of the field) its move (or departure)
/// may take to be reported and still count as seen in time.
pub const DEADLINE_US: u64 = 30_000_000;

/// Zone smoothing for shelf aisles, as the reference runs configure it: `observe_reads` 3,
/// `observe_ms` 1000, `lost_ms` 5000, `cross_read_margin_db` 6, and the evidence window.
pub fn shelf_smoothing() -> Smoothing {
    Smoothing {
        observe_reads: 3,
        observe_ms: 1_000,
        lost_ms: 5_000,
        min_rssi_dbm: None,
        cross_read_margin_db: Some(6),
        window_ms: None,
    }
}

/// The zone of aisle `k`: zone `k + 1`.
pub fn aisle_zone(aisle: usize) -> ZoneId {
    ZoneId(aisle as u32 + 1)
}

/// Aisles read by antennas: which aisle a read's antenna covers.
pub trait Aisles {
    /// How many aisles.
    fn aisles(&self) -> usize;
    /// The aisle (0-based) the read's reader and antenna cover.
    fn aisle_of_read(&self, read: &TagRead) -> Option<usize>;
    /// Every (reader, antenna) and the aisle it covers.
    fn read_points(&self) -> Vec<(ReaderId, u16, usize)>;
}

impl Aisles for ShelfModel {
    fn aisles(&self) -> usize {
        self.aisles
    }
    fn aisle_of_read(&self, read: &TagRead) -> Option<usize> {
        self.aisle_of(read.antenna)
    }
    fn read_points(&self) -> Vec<(ReaderId, u16, usize)> {
        (0..self.aisles)
            .map(|k| (READER, self.antenna_of(k), k))
            .collect()
    }
}

/// The racking model's aisles, with its read points looked up once.
pub struct RackAisles {
    aisles: usize,
    points: Vec<(ReaderId, u16, usize)>,
}

impl RackAisles {
    pub fn of(model: &RackModel) -> Self {
        RackAisles {
            aisles: model.aisles,
            points: model.read_points(),
        }
    }
}

impl Aisles for RackAisles {
    fn aisles(&self) -> usize {
        self.aisles
    }
    fn aisle_of_read(&self, read: &TagRead) -> Option<usize> {
        self.points
            .iter()
            .find(|p| p.0 == read.reader && p.1 == read.antenna)
            .map(|p| p.2)
    }
    fn read_points(&self) -> Vec<(ReaderId, u16, usize)> {
        self.points.clone()
    }
}

/// Aisle `k` is zone `k + 1`, read by the antennas that cover it; one reader configuration
/// per reader ("shelf" for the first).
pub fn shelf_config(model: &impl Aisles, smoothing: Smoothing) -> EngineConfig {
    let points = model.read_points();
    let mut readers: Vec<u32> = points.iter().map(|p| p.0 .0).collect();
    readers.sort_unstable();
    readers.dedup();
    EngineConfig {
        readers: readers
            .into_iter()
            .map(|id| ReaderConfig {
                id,
                name: match id {
                    0 => "shelf".into(),
                    id => format!("shelf {id}"),
                },
            })
            .collect(),
        zones: (0..model.aisles())
            .map(|k| ZoneConfig {
                id: aisle_zone(k),
                name: format!("aisle {}", k + 1),
                smoothing,
            })
            .collect(),
        read_points: points
            .iter()
            .map(|&(reader, antenna, k)| ReadPoint {
                reader: reader.0,
                antenna,
                zone: aisle_zone(k),
            })
            .collect(),
        gates: vec![],
    }
}

/// The facts an engine gives for a run, up to the run's end (not flushed: the tags are
/// still on the shelves), and the tags between two zones at the end.
pub fn replay(config: &EngineConfig, run: &Run<ShelfTruth>) -> (Vec<Fact>, Vec<Epc>) {
    let mut engine = Engine::new(config.clone()).expect("a valid shelf configuration");
    let mut facts = Vec::new();
    for read in &run.reads {
        engine.ingest(read, &mut facts);
    }
    engine.advance_to(run.truth.end_us, &mut facts);
    let between = engine
        .located_between()
        .into_iter()
        .map(|(epc, _, _)| epc)
        .collect();
    (facts, between)
}

/// How the engine's facts compare with what really happened, summed over runs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Score {
    pub runs: u32,
    pub tags: u32,
    /// Tags whose first fact is an arrival in the aisle they really are in.
    pub first_right: u32,
    /// Tags the radio itself places right (their own aisle's antenna read them with the
    /// most power until they were first picked up), and how many of those were placed
    /// right first.
    pub tellable: u32,
    pub tellable_first_right: u32,
    /// Tags first placed between two zones, their own aisle named second (not right, not
    /// wrong: a person is asked to check), and of those the radio places right.
    pub first_between: u32,
    pub tellable_first_between: u32,
    /// Tags never observed at all.
    pub never_placed: u32,
    pub tellable_never_placed: u32,
    /// Tags the radio places clearly: their own aisle's antenna read them with at least
    /// [`CLEAR_LEAD`] times the power of any other until first picked up (3 dB, the per-read
    /// noise); how many of those were placed right first, and between their aisle and another.
    pub clear: u32,
    pub clear_first_right: u32,
    pub clear_first_between: u32,
    pub clear_never_placed: u32,
    /// Hours tags spent still on a shelf, summed.
    pub static_tag_hours: f64,
    /// `Moved` facts about a tag that was still on a shelf (and not just put down).
    pub false_moves: u32,
    /// Arrivals of a still tag, after it was lost, in a zone it is not in.
    pub wrong_rearrivals: u32,
    /// `Left` facts about a still tag: it was not read for `lost_ms`.
    pub dropouts: u32,
    /// Tags that never move: how many, and the location facts about them after their
    /// arrival (`Moved`, `Between`, `Settled`).
    pub static_tags: u32,
    pub static_facts: u32,
    pub max_static_facts: u32,
    /// Still tags that changed their mind more than once either way: more than one
    /// `Between`, or more than one `Settled` or `Moved`.
    pub flapping: u32,
    /// Still tags ever reported between two zones, and those between at the end.
    pub between_tags: u32,
    pub between_at_end: u32,
    /// Still tags decided to be in another aisle when the run ended (not between, not
    /// gone), and of those the ones the radio places right over the run.
    pub wrong_at_end: u32,
    pub tellable_wrong_at_end: u32,
    pub moves: u32,
    /// Moves reported (a `Moved` to the right zone, or a departure and an arrival there)
    /// within [`DEADLINE_US`] of the tag being put down.
    pub moves_seen: u32,
    /// Moves after which the destination's antenna read the tag with the most power in the
    /// 30 s after it was put down, and how many of those were seen in time.
    pub moves_tellable: u32,
    pub moves_tellable_seen: u32,
    /// Moves after which the destination's antenna read the tag with at least
    /// [`CLEAR_LEAD`] times the power of any other in those 30 s, and how many of those
    /// were seen in time.
    pub moves_clear: u32,
    pub moves_clear_seen: u32,
    pub worst_move_delay_us: u64,
    pub removals: u32,
    pub removals_seen: u32,
    pub worst_removal_delay_us: u64,
}

impl Score {
    pub fn add(&mut self, o: &Score) {
        self.runs += o.runs;
        self.tags += o.tags;
        self.first_right += o.first_right;
        self.tellable += o.tellable;
        self.tellable_first_right += o.tellable_first_right;
        self.first_between += o.first_between;
        self.tellable_first_between += o.tellable_first_between;
        self.moves_tellable += o.moves_tellable;
        self.moves_tellable_seen += o.moves_tellable_seen;
        self.moves_clear += o.moves_clear;
        self.moves_clear_seen += o.moves_clear_seen;
        self.never_placed += o.never_placed;
        self.tellable_never_placed += o.tellable_never_placed;
        self.clear += o.clear;
        self.clear_first_right += o.clear_first_right;
        self.clear_first_between += o.clear_first_between;
        self.clear_never_placed += o.clear_never_placed;
        self.static_tag_hours += o.static_tag_hours;
        self.false_moves += o.false_moves;
        self.wrong_rearrivals += o.wrong_rearrivals;
        self.dropouts += o.dropouts;
        self.static_tags += o.static_tags;
        self.static_facts += o.static_facts;
        self.max_static_facts = self.max_static_facts.max(o.max_static_facts);
        self.flapping += o.flapping;
        self.between_tags += o.between_tags;
        self.between_at_end += o.between_at_end;
        self.wrong_at_end += o.wrong_at_end;
        self.tellable_wrong_at_end += o.tellable_wrong_at_end;
        self.moves += o.moves;
        self.moves_seen += o.moves_seen;
        self.worst_move_delay_us = self.worst_move_delay_us.max(o.worst_move_delay_us);
        self.removals += o.removals;
        self.removals_seen += o.removals_seen;
        self.worst_removal_delay_us = self.worst_removal_delay_us.max(o.worst_removal_delay_us);
    }

    pub fn false_moves_per_1000_tag_hours(&self) -> f64 {
        f64::from(self.false_moves) * 1_000.0 / self.static_tag_hours.max(1e-9)
    }

    pub fn first_right_share(&self) -> f64 {
        f64::from(self.first_right) / f64::from(self.tags.max(1))
    }
}

/// Hold the facts of one run against its truth; `between_at_end`: tags between two zones
/// when the run ended.
pub fn score(
    model: &impl Aisles,
    run: &Run<ShelfTruth>,
    facts: &[Fact],
    between_at_end: &[Epc],
) -> Score {
    let truth = &run.truth;
    let mut s = Score {
        runs: 1,
        ..Score::default()
    };
    // The fact that reports each real move (late or not), so it is not also a false move.
    let mut reported: Vec<(Epc, u64)> = Vec::new();
    for m in &truth.moves {
        s.moves += 1;
        let next = next_happening(truth, &m.epc, m.picked_us);
        let seen = reported_at(truth, facts, m);
        let after = strongest_aisle(
            model,
            run,
            m.epc,
            m.placed_us,
            next.min(m.placed_us + DEADLINE_US),
        );
        let tellable = after.map(|(k, _)| k) == Some(m.to);
        let clear = after == Some((m.to, true));
        s.moves_tellable += u32::from(tellable);
        s.moves_clear += u32::from(clear);
        if let Some(at) = seen {
            reported.push((m.epc, at));
            let delay = at.saturating_sub(m.placed_us);
            if delay <= DEADLINE_US {
                s.moves_seen += 1;
                s.moves_tellable_seen += u32::from(tellable);
                s.moves_clear_seen += u32::from(clear);
            }
            s.worst_move_delay_us = s.worst_move_delay_us.max(delay);
        } else {
            s.worst_move_delay_us = u64::MAX;
        }
    }
    for tl in &truth.timelines {
        s.tags += 1;
        let mine: Vec<&Fact> = facts.iter().filter(|f| f.epc() == Some(tl.epc)).collect();
        let Place::Aisle(first_aisle) = tl.spans[0].place else {
            continue;
        };
        let until = tl.spans.get(1).map_or(truth.end_us, |sp| sp.from_us);
        let strongest_first = strongest_aisle(model, run, tl.epc, truth.start_us, until);
        let tellable = strongest_first.map(|(k, _)| k) == Some(first_aisle);
        let clear = strongest_first == Some((first_aisle, true));
        s.tellable += u32::from(tellable);
        s.clear += u32::from(clear);
        match mine.iter().find(|f| matches!(f, Fact::Arrived { .. })) {
            Some(Fact::Arrived { zone, .. }) if *zone == aisle_zone(first_aisle) => {
                s.first_right += 1;
                s.tellable_first_right += u32::from(tellable);
                s.clear_first_right += u32::from(clear);
            }
            Some(&&Fact::Arrived { at, .. })
                if mine.iter().any(|f| {
                    matches!(**f, Fact::Between { other, at: b, .. }
                        if b == at && other == aisle_zone(first_aisle))
                }) =>
            {
                s.first_between += 1;
                s.tellable_first_between += u32::from(tellable);
                s.clear_first_between += u32::from(clear);
            }
            Some(_) => {}
            None => {
                s.never_placed += 1;
                s.tellable_never_placed += u32::from(tellable);
                s.clear_never_placed += u32::from(clear);
            }
        }
        // Time still on a shelf, and the windows in which the tag is carried or was just
        // put down (a fact then is the engine catching up, not a false move).
        let mut busy: Vec<(u64, u64)> = Vec::new();
        for (i, span) in tl.spans.iter().enumerate() {
            let end = tl.spans.get(i + 1).map_or(truth.end_us, |n| n.from_us);
            match span.place {
                Place::Aisle(_) => {
                    s.static_tag_hours += (end - span.from_us) as f64 / 3.6e9;
                    if i > 0 {
                        busy.push((span.from_us, span.from_us + DEADLINE_US));
                    }
                }
                Place::InTransit => busy.push((span.from_us, end)),
                Place::Gone => busy.push((span.from_us, truth.end_us)),
            }
        }
        let in_motion = |at: u64| busy.iter().any(|&(a, b)| (a..=b).contains(&at));
        let still_in = |at: u64| match tl.at(at) {
            Place::Aisle(k) if !in_motion(at) => Some(aisle_zone(k)),
            _ => None,
        };
        let first_arrival = mine.iter().position(|f| matches!(f, Fact::Arrived { .. }));
        for (i, f) in mine.iter().enumerate() {
            match **f {
                Fact::Moved { epc, at, .. }
                    if still_in(at).is_some() && !reported.contains(&(epc, at)) =>
                {
                    s.false_moves += 1
                }
                Fact::Arrived { zone, at, .. }
                    if Some(i) != first_arrival && still_in(at).is_some_and(|z| z != zone) =>
                {
                    s.wrong_rearrivals += 1;
                }
                Fact::Left { at, .. } if still_in(at).is_some() => s.dropouts += 1,
                _ => {}
            }
        }
        if tl.spans.len() == 1 {
            s.static_tags += 1;
            let after: Vec<&&Fact> = mine
                .iter()
                .skip(first_arrival.map_or(mine.len(), |i| i + 1))
                .filter(|f| {
                    matches!(
                        f,
                        Fact::Moved { .. } | Fact::Between { .. } | Fact::Settled { .. }
                    )
                })
                .collect();
            let n = after.len() as u32;
            s.static_facts += n;
            s.max_static_facts = s.max_static_facts.max(n);
            let into = after
                .iter()
                .filter(|f| matches!(f, Fact::Between { .. }))
                .count();
            let out = after.len() - into;
            if into > 1 || out > 1 {
                s.flapping += 1;
            }
            if into > 0 || mine.iter().any(|f| matches!(f, Fact::Between { .. })) {
                s.between_tags += 1;
            }
            if between_at_end.contains(&tl.epc) {
                s.between_at_end += 1;
            }
            let last = mine.iter().rev().find_map(|f| match **f {
                Fact::Arrived { zone, .. }
                | Fact::Moved { to: zone, .. }
                | Fact::Settled { zone, .. } => Some(Some(zone)),
                Fact::Left { .. } => Some(None),
                _ => None,
            });
            if let Some(Some(zone)) = last {
                if zone != aisle_zone(first_aisle) && !between_at_end.contains(&tl.epc) {
                    s.wrong_at_end += 1;
                    s.tellable_wrong_at_end += u32::from(tellable);
                }
            }
        }
    }
    for r in &truth.removals {
        // A tag never observed before it was taken cannot be seen to leave.
        if !facts.iter().any(
            |f| matches!(*f, Fact::Arrived { epc, at, .. } if epc == r.epc && at < r.picked_us),
        ) {
            continue;
        }
        s.removals += 1;
        let seen = facts.iter().find_map(|f| match *f {
            Fact::Left { epc, at, .. } if epc == r.epc && at >= r.picked_us => Some(at),
            _ => None,
        });
        match seen {
            Some(at) => {
                let delay = at.saturating_sub(r.gone_us);
                if delay <= DEADLINE_US {
                    s.removals_seen += 1;
                }
                s.worst_removal_delay_us = s.worst_removal_delay_us.max(delay);
            }
            // Taken out just before the end: not yet due.
            None if r.gone_us + DEADLINE_US > truth.end_us => s.removals -= 1,
            None => s.worst_removal_delay_us = u64::MAX,
        }
    }
    s
}

/// The aisle whose antenna read `epc` with the most power (summed, linear) over
/// `from..until`: where the radio itself says the tag is. `None` if unread.
/// How much more power than any other aisle's its own aisle's antenna must have read of a
/// tag for the radio to place it clearly: 3 dB, the per-read noise.
const CLEAR_LEAD: f64 = 2.0;

/// The aisle whose antenna read `epc` with the most summed power between `from` and `until`,
/// and whether it leads every other aisle by [`CLEAR_LEAD`].
fn strongest_aisle(
    model: &impl Aisles,
    run: &Run<ShelfTruth>,
    epc: Epc,
    from: u64,
    until: u64,
) -> Option<(usize, bool)> {
    let mut power = vec![0.0f64; model.aisles()];
    for r in run
        .reads
        .iter()
        .filter(|r| r.epc == epc && (from..until).contains(&r.timestamp_us))
    {
        if let (Some(k), Some(rssi)) = (model.aisle_of_read(r), r.rssi_dbm) {
            power[k] += 10f64.powf(f64::from(rssi) / 10.0);
        }
    }
    let (k, &p) = power.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1))?;
    let next = (power.iter().enumerate())
        .filter(|&(j, _)| j != k)
        .map(|(_, &q)| q)
        .fold(0.0, f64::max);
    (p > 0.0).then_some((k, p >= CLEAR_LEAD * next))
}

/// When a real move was first reported: a `moved`, an arrival or a settling in the right
/// aisle after the tag was picked up and before it was next picked up.
fn reported_at(truth: &ShelfTruth, facts: &[Fact], m: &TrueMove) -> Option<u64> {
    let next = next_happening(truth, &m.epc, m.picked_us);
    facts.iter().find_map(|f| match *f {
        Fact::Moved { epc, to, at, .. }
        | Fact::Arrived { epc, zone: to, at }
        | Fact::Settled { epc, zone: to, at }
            if epc == m.epc && to == aisle_zone(m.to) && at >= m.picked_us && at < next =>
        {
            Some(at)
        }
        _ => None,
    })
}

/// Print a run's real moves not seen in time (the tag's reads per aisle in the 30 s after
/// it was put down), still tags that flapped or were first placed wrong where the radio
/// could tell (their reads over the run), and every `moved` of a tag still on a shelf (its
/// reads per aisle, count and mean power, in the 10 s before and over the whole run), each
/// with the tag's facts.
fn explain(model: &impl Aisles, run: &Run<ShelfTruth>, facts: &[Fact], seed: u64) {
    let truth = &run.truth;
    let stats = |epc: Epc, from_us: u64, until: u64| {
        let mut n = vec![0u32; model.aisles()];
        let mut p = vec![0.0f64; model.aisles()];
        for r in run
            .reads
            .iter()
            .filter(|r| r.epc == epc && (from_us..until).contains(&r.timestamp_us))
        {
            if let (Some(k), Some(rssi)) = (model.aisle_of_read(r), r.rssi_dbm) {
                n[k] += 1;
                p[k] += 10f64.powf(f64::from(rssi) / 10.0);
            }
        }
        (0..model.aisles())
            .map(|k| {
                if n[k] == 0 {
                    "-".to_string()
                } else {
                    format!("{}x{:.1}", n[k], 10.0 * (p[k] / f64::from(n[k])).log10())
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    let story = |epc: Epc| {
        facts
            .iter()
            .filter(|g| g.epc() == Some(epc))
            .map(|g| format!("{g:?}"))
            .collect::<Vec<_>>()
            .join("\n    ")
    };
    let secs = |us: u64| us.saturating_sub(truth.start_us) as f64 / 1e6;
    for m in &truth.moves {
        if reported_at(truth, facts, m).is_none_or(|at| at > m.placed_us + DEADLINE_US) {
            let next = next_happening(truth, &m.epc, m.picked_us);
            let until = next.min(m.placed_us + DEADLINE_US);
            let told = match strongest_aisle(model, run, m.epc, m.placed_us, until) {
                Some((k, true)) if k == m.to => "the radio clearly tells",
                Some((k, false)) if k == m.to => "the radio barely tells",
                _ => "the radio cannot tell",
            };
            println!(
                "  seed {seed} {} moved {}->{} put down at {:.1} s, not seen in time ({told}); 30 s after [{}]\n    {}",
                m.epc,
                m.from,
                m.to,
                secs(m.placed_us),
                stats(m.epc, m.placed_us, m.placed_us + DEADLINE_US),
                story(m.epc)
            );
        }
    }
    for tl in &truth.timelines {
        if !facts
            .iter()
            .any(|f| matches!(*f, Fact::Arrived { epc, .. } if epc == tl.epc))
        {
            println!(
                "  seed {seed} {} never placed; spans {:?}; run [{}]",
                tl.epc,
                tl.spans,
                stats(tl.epc, truth.start_us, truth.end_us),
            );
        }
    }
    for tl in truth.timelines.iter().filter(|tl| tl.spans.len() == 1) {
        let mine: Vec<&Fact> = facts.iter().filter(|f| f.epc() == Some(tl.epc)).collect();
        let into = mine
            .iter()
            .filter(|f| matches!(f, Fact::Between { .. }))
            .count();
        let out = mine
            .iter()
            .filter(|f| matches!(f, Fact::Settled { .. } | Fact::Moved { .. }))
            .count();
        let first = mine.iter().find_map(|f| match f {
            Fact::Arrived { zone, .. } => Some(*zone),
            _ => None,
        });
        let Place::Aisle(k) = tl.spans[0].place else {
            continue;
        };
        let wrong = first.is_some_and(|z| z != aisle_zone(k))
            && strongest_aisle(model, run, tl.epc, truth.start_us, truth.end_us).map(|(a, _)| a)
                == Some(k);
        if into > 1 || out > 1 || wrong {
            println!(
                "  seed {seed} {} in {:?}: {}; run [{}]\n    {}",
                tl.epc,
                tl.spans[0].place,
                if wrong { "placed wrong" } else { "flapping" },
                stats(tl.epc, truth.start_us, truth.end_us),
                story(tl.epc)
            );
        }
    }
    for f in facts {
        let Fact::Moved { epc, from, to, at } = *f else {
            continue;
        };
        let Some(tl) = truth.timeline(&epc) else {
            continue;
        };
        // A tag that moved too, if it was still on a shelf and not just put down.
        let busy = truth
            .moves
            .iter()
            .any(|m| m.epc == epc && (m.picked_us..=m.placed_us + DEADLINE_US).contains(&at))
            || truth
                .removals
                .iter()
                .any(|r| r.epc == epc && at >= r.picked_us);
        // A real move's report, late: listed above as not seen in time.
        let late = truth
            .moves
            .iter()
            .any(|m| m.epc == epc && reported_at(truth, facts, m) == Some(at));
        if busy || late {
            continue;
        }
        println!(
            "  seed {seed} {epc} in {:?}: moved {from:?}->{to:?} at {:.1} s; 10 s before [{}], run [{}]\n    {}",
            tl.at(at),
            secs(at),
            stats(epc, at.saturating_sub(10_000_000), at),
            stats(epc, truth.start_us, truth.end_us),
            story(epc)
        );
    }
}

/// Replay one run through an engine configured for its aisles and score it; with a seed,
/// explain what went wrong.
fn play(
    model: &impl Aisles,
    run: &Run<ShelfTruth>,
    smoothing: Smoothing,
    explained: Option<u64>,
) -> Score {
    let (facts, between) = replay(&shelf_config(model, smoothing), run);
    if let Some(seed) = explained {
        explain(model, run, &facts, seed);
    }
    score(model, run, &facts, &between)
}

/// When the tag is next picked up after `after`, or the end of the run.
fn next_happening(truth: &ShelfTruth, epc: &Epc, after: u64) -> u64 {
    truth
        .moves
        .iter()
        .filter(|m| &m.epc == epc)
        .map(|m| m.picked_us)
        .chain(
            truth
                .removals
                .iter()
                .filter(|r| &r.epc == epc)
                .map(|r| r.picked_us),
        )
        .filter(|&t| t > after)
        .min()
        .unwrap_or(u64::MAX)
}

/// Which of the model's plans to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanArg {
    /// 4 × 60 tags, six minutes, 8 moves and 4 removals.
    Reference,
    /// 4 × 60 still tags.
    Static,
    /// 12 moves, some tags twice, two at once.
    Moves,
    /// 8 removals.
    Removals,
    /// 60, 200, 60, 60 tags; moves into and out of the crowd.
    Dense,
}

impl PlanArg {
    pub fn plan(self) -> Plan {
        match self {
            PlanArg::Reference => Plan::reference(),
            PlanArg::Static => Plan::static_only(),
            PlanArg::Moves => Plan::moves(),
            PlanArg::Removals => Plan::removals(),
            PlanArg::Dense => Plan::dense(),
        }
    }
}

/// Which shelf model `depot bench zones` plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ShelfSite {
    Shelf,
    Racking,
}

#[derive(Debug, Args)]
pub struct ZonesBenchArgs {
    /// Seeds per isolation (each a six-minute run of the plan).
    #[arg(long, default_value_t = 20)]
    pub seeds: u64,
    /// First seed.
    #[arg(long, default_value_t = 1)]
    pub first_seed: u64,
    /// Isolations between neighbouring aisles, dB.
    #[arg(long, value_delimiter = ',', default_values_t = ISOLATIONS)]
    pub isolation: Vec<f64>,
    /// The shelf model: `shelf`, the reference the zones were developed beside, or
    /// `racking`, a second model written apart from both (pallet racking, several antennas
    /// and readers, people and forklifts in the aisles, goods moved in front of tags).
    #[arg(long, value_enum, default_value_t = ShelfSite::Shelf)]
    pub model: ShelfSite,
    /// The plan: for `shelf` reference, static, moves, removals or dense; for `racking`
    /// reference, busy, restock, dense or moves.
    #[arg(long, default_value = "reference")]
    pub plan: String,
    /// The zones' evidence window, ms (default: the engine's, half of `lost_ms`).
    #[arg(long)]
    pub window_ms: Option<u32>,
    /// The zones' `cross_read_margin_db`.
    #[arg(long, default_value_t = 6)]
    pub margin_db: u8,
    /// The zones' `lost_ms`.
    #[arg(long, default_value_t = 5_000)]
    pub lost_ms: u32,
    /// Print every false move, every move not seen in time, every flapping still tag and every
    /// still tag placed wrong where the radio could tell, with the tag's reads.
    #[arg(long)]
    pub explain: bool,
}

pub fn run(args: ZonesBenchArgs) -> anyhow::Result<()> {
    let smoothing = Smoothing {
        window_ms: args.window_ms,
        cross_read_margin_db: Some(args.margin_db),
        lost_ms: args.lost_ms,
        ..shelf_smoothing()
    };
    println!(
        "zone presence on the {} model: plan {}, seeds {}..{}, zones {}",
        match args.model {
            ShelfSite::Shelf => "shelf",
            ShelfSite::Racking => "racking",
        },
        args.plan,
        args.first_seed,
        args.first_seed + args.seeds - 1,
        serde_json::to_string(&smoothing)?
    );
    println!(
        "| isolation | runs | still tag-hours | false `moved` | per 1,000 tag-hours | wrong re-arrivals | location facts per still tag (mean / max) | flapping tags | between tags (ever / at end) | first placement right (all / where the radio can tell) | first placed between its aisle and another (all / where the radio can tell) | first placed wrong (all / where the radio can tell) | first placement where the radio clearly tells (own aisle ≥ 3 dB over any other): right / between / wrong / never placed | still tags in a wrong aisle at the end (all / where the radio can tell) | real moves seen ≤ 30 s (all / where the radio can tell / where it clearly tells) | worst move delay | removals seen ≤ 30 s | worst removal delay | dropouts |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    let shelf_plan = match args.model {
        ShelfSite::Shelf => Some(
            PlanArg::from_str(&args.plan, true)
                .map_err(|_| anyhow::anyhow!("no shelf plan {:?}", args.plan))?
                .plan(),
        ),
        ShelfSite::Racking => None,
    };
    let rack_plan = match args.model {
        ShelfSite::Racking => Some(
            RackPlan::named(&args.plan)
                .ok_or_else(|| anyhow::anyhow!("no racking plan {:?}", args.plan))?,
        ),
        ShelfSite::Shelf => None,
    };
    for &iso in &args.isolation {
        let started = Instant::now();
        let mut total = Score::default();
        for seed in args.first_seed..args.first_seed + args.seeds {
            let one = match (&shelf_plan, &rack_plan) {
                (Some(plan), _) => {
                    let model = ShelfModel::reference(iso);
                    let run = shelf::simulate(&model, plan, seed);
                    play(&model, &run, smoothing, args.explain.then_some(seed))
                }
                (_, Some(plan)) => {
                    let model = RackModel::reference(iso);
                    let run = racking::simulate(&model, plan, seed);
                    play(
                        &RackAisles::of(&model),
                        &run,
                        smoothing,
                        args.explain.then_some(seed),
                    )
                }
                (None, None) => unreachable!("one model's plan is chosen"),
            };
            total.add(&one);
        }
        let secs = |us: u64| {
            if us == u64::MAX {
                "never".to_string()
            } else {
                format!("{:.1} s", us as f64 / 1e6)
            }
        };
        println!(
            "| {iso} dB | {} | {:.1} | {} | {:.2} | {} | {:.3} / {} | {} | {} / {} | {:.2} % / {:.2} % ({} of {} tags) | {} / {} | {} / {} | {:.2} % ({} of {}) / {} / {} / {} | {} / {} | {}/{} / {}/{} / {}/{} | {} | {}/{} | {} | {} |",
            total.runs,
            total.static_tag_hours,
            total.false_moves,
            total.false_moves_per_1000_tag_hours(),
            total.wrong_rearrivals,
            f64::from(total.static_facts) / f64::from(total.static_tags.max(1)),
            total.max_static_facts,
            total.flapping,
            total.between_tags,
            total.between_at_end,
            100.0 * total.first_right_share(),
            100.0 * f64::from(total.tellable_first_right) / f64::from(total.tellable.max(1)),
            total.tellable,
            total.tags,
            total.first_between,
            total.tellable_first_between,
            total.tags - total.never_placed - total.first_right - total.first_between,
            total.tellable
                - total.tellable_never_placed
                - total.tellable_first_right
                - total.tellable_first_between,
            100.0 * f64::from(total.clear_first_right) / f64::from(total.clear.max(1)),
            total.clear_first_right,
            total.clear,
            total.clear_first_between,
            total.clear
                - total.clear_first_right
                - total.clear_first_between
                - total.clear_never_placed,
            total.clear_never_placed,
            total.wrong_at_end,
            total.tellable_wrong_at_end,
            total.moves_seen,
            total.moves,
            total.moves_tellable_seen,
            total.moves_tellable,
            total.moves_clear_seen,
            total.moves_clear,
            secs(total.worst_move_delay_us),
            total.removals_seen,
            total.removals,
            secs(total.worst_removal_delay_us),
            total.dropouts,
        );
        eprintln!("  ({iso} dB took {:.1} s)", started.elapsed().as_secs_f64());
    }
    Ok(())
}
