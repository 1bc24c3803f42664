//! The walk test: a keeper carries a few reference tags through a gate in a stated
//! direction, and the reads say how good the gate is — how often each side reads a tag,
//! how strongly each antenna hears a tag on its own side and on the far side (the effective
//! front-to-back ratio, which is what tells a passage from a turn-back), how much the far
//! side leaks through the doorway — and which thresholds suit it.
//!
//! Sans-IO like the rest of the engine: reads in, a [`Survey`] out.

use std::collections::BTreeMap;

use depot_readers::{Epc, TagRead};
use serde::{Deserialize, Serialize};

use super::fact::Direction;
use super::gate::{judge, GateTrack, ReadSignal, INSIDE, OUTSIDE};

/// The effective front-to-back ratio is measured on the strongest reads (each antenna's
/// 90th-percentile RSSI with the tag on its side, less the same with the tag on the far
/// side), so it reads much lower than the antennas' datasheet ratio: a tag at the door
/// plane is heard by both sides at a slant. On the reference dock door (`radio::door`) an
/// 18 dB portal measures 7–8 dB, 12 dB about 4–5, 8 dB about 3, 4 dB 1–2.
///
/// Below this the gate cannot tell a passage from a turn-back on its own: most passages will
/// be asked.
pub const POOR_FRONT_TO_BACK_DB: f32 = 2.5;
/// At or above this (and leaking no more than [`GOOD_LEAK`]) the gate is good: on the
/// reference door, a 12 dB portal or better, the ratio at which the gate meets its accuracy
/// targets.
pub const GOOD_FRONT_TO_BACK_DB: f32 = 3.5;
/// The most of a walk's reads the far side may make for the gate to be good (the reference
/// door: 18 dB 0.15, 12 dB 0.29, 8 dB 0.37, 4 dB 0.44).
pub const GOOD_LEAK: f32 = 0.33;
/// Beyond this the doorway leaks as badly as a poor ratio.
pub const POOR_LEAK: f32 = 0.42;
/// A side that reads a passing tag fewer times than this is too slow to judge surely.
pub const MIN_READS_PER_SIDE: f32 = 8.0;

/// What one antenna heard of the reference tags.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AntennaSurvey {
    pub reader: u32,
    pub antenna: u16,
    /// `"inside"` or `"outside"`: which side of the gate the antenna belongs to.
    pub side: String,
    /// Reads while the tag was on this antenna's side, and their peak (90th-percentile) RSSI.
    pub reads_near: u32,
    pub rssi_near_dbm: Option<f32>,
    /// Reads while the tag was on the other side (heard through or around the doorway).
    pub reads_far: u32,
    pub rssi_far_dbm: Option<f32>,
}

/// What the gate is worth, in a keeper's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Passages are judged surely.
    Good,
    /// The antennas hear too far through the doorway: turn the outside antennas away from
    /// the door (or the inside ones inward), or shield the frame.
    MoveTheAntennas,
    /// Too few reads per passage: add a reader (or antennas), or lower the other readers'
    /// load on this one.
    AddAReader,
    /// The reference tags were not judged in the stated direction: check the gate's wiring
    /// (which antennas are inside) and walk again.
    CheckTheWiring,
    /// Nothing was heard of the reference tags.
    NoReads,
}

/// The result of a walk test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Survey {
    pub direction: Direction,
    /// Reference tags heard at the gate.
    pub tags: u32,
    /// Of those, judged passing in the stated direction, the other way, or not at all.
    pub judged_right: u32,
    pub judged_wrong: u32,
    pub not_judged: u32,
    /// Mean reads per tag on each side (inside, outside).
    pub reads_per_tag: [f32; 2],
    pub antennas: Vec<AntennaSurvey>,
    /// Median over antennas of (near − far) peak RSSI, dB: the effective front-to-back
    /// ratio (see [`GOOD_FRONT_TO_BACK_DB`]).
    pub front_to_back_db: Option<f32>,
    /// Share of reads made by the side the tag was not on.
    pub leak: f32,
    /// Lowest confidence of a right judgment.
    pub weakest_confidence: Option<f32>,
    pub verdict: Verdict,
    /// The threshold this gate should act at: passages less sure are asked.
    pub min_confidence: f32,
}

/// Survey a walk test: `reads` are the reference tags' reads at one gate, `inside(reader,
/// antenna)` tells which antennas are the gate's inside (`Some(true)`), outside
/// (`Some(false)`) or not the gate's (`None`).
pub fn survey(
    reads: &[TagRead],
    direction: Direction,
    inside: impl Fn(u32, u16) -> Option<bool>,
) -> Survey {
    // One track per tag; reads in time order.
    let mut tracks: BTreeMap<Epc, GateTrack> = BTreeMap::new();
    let mut sorted: Vec<&TagRead> = reads.iter().collect();
    sorted.sort_by_key(|r| r.timestamp_us);
    let t0 = sorted.first().map_or(0, |r| r.timestamp_us);
    let mut located: Vec<(Epc, u64, usize, u32, u16, Option<i8>)> = Vec::new();
    for r in &sorted {
        let Some(is_inside) = inside(r.reader.0, r.antenna) else {
            continue;
        };
        let side = if is_inside { INSIDE } else { OUTSIDE };
        let t = ((r.timestamp_us - t0) / 1_000).min(u64::from(u32::MAX)) as u32;
        tracks
            .entry(r.epc)
            .or_insert_with(|| GateTrack::new(0))
            .record(side, t, ReadSignal::of(r));
        located.push((
            r.epc,
            r.timestamp_us,
            side,
            r.reader.0,
            r.antenna,
            r.rssi_dbm,
        ));
    }
    let (from, to) = match direction {
        Direction::Out => (INSIDE, OUTSIDE),
        Direction::In => (OUTSIDE, INSIDE),
    };
    let mut right = 0;
    let mut wrong = 0;
    let mut weakest: Option<f32> = None;
    // When each tag crossed (µs), from its judgment or, failing that, the middle of its reads.
    let mut crossed: BTreeMap<Epc, u64> = BTreeMap::new();
    let mut reads_per_side = [0u32; 2];
    for (epc, track) in &tracks {
        reads_per_side[INSIDE] += track.sides[INSIDE].reads;
        reads_per_side[OUTSIDE] += track.sides[OUTSIDE].reads;
        let at = match judge(track, 1) {
            Some(p) if p.direction == direction => {
                right += 1;
                weakest = Some(weakest.map_or(p.confidence, |w| w.min(p.confidence)));
                p.at
            }
            Some(p) => {
                wrong += 1;
                p.at
            }
            None => {
                let first = track.first().unwrap_or(0);
                first.midpoint(track.last())
            }
        };
        crossed.insert(*epc, t0 + u64::from(at) * 1_000);
    }
    // Each antenna's reads, near (tag on its side) and far.
    #[derive(Default)]
    struct Heard {
        side: usize,
        rssi: [Vec<i8>; 2],
        reads: [u32; 2],
    }
    const NEAR: usize = 0;
    const FAR: usize = 1;
    let mut per_antenna: BTreeMap<(u32, u16), Heard> = BTreeMap::new();
    let mut leaked = 0u32;
    for &(epc, t, side, reader, antenna, rssi) in &located {
        let tag_side = if t < crossed[&epc] { from } else { to };
        let heard = per_antenna
            .entry((reader, antenna))
            .or_insert_with(|| Heard {
                side,
                ..Heard::default()
            });
        let which = if side == tag_side { NEAR } else { FAR };
        leaked += u32::from(which == FAR);
        heard.reads[which] += 1;
        if let Some(r) = rssi {
            heard.rssi[which].push(r);
        }
    }
    let antennas: Vec<AntennaSurvey> = per_antenna
        .into_iter()
        .map(|((reader, antenna), mut h)| AntennaSurvey {
            reader,
            antenna,
            side: if h.side == INSIDE {
                "inside"
            } else {
                "outside"
            }
            .into(),
            reads_near: h.reads[NEAR],
            rssi_near_dbm: peak(&mut h.rssi[NEAR]),
            reads_far: h.reads[FAR],
            rssi_far_dbm: peak(&mut h.rssi[FAR]),
        })
        .collect();
    let mut ratios: Vec<f32> = antennas
        .iter()
        .filter_map(|a| Some(a.rssi_near_dbm? - a.rssi_far_dbm?))
        .collect();
    ratios.sort_by(f32::total_cmp);
    let front_to_back_db = (!ratios.is_empty()).then(|| ratios[ratios.len() / 2]);
    let n = tracks.len() as u32;
    let reads_per_tag = [
        reads_per_side[INSIDE] as f32 / n.max(1) as f32,
        reads_per_side[OUTSIDE] as f32 / n.max(1) as f32,
    ];
    let total = located.len() as f32;
    let leak = if total > 0.0 {
        leaked as f32 / total
    } else {
        0.0
    };
    let good = front_to_back_db.is_some_and(|fb| fb >= GOOD_FRONT_TO_BACK_DB) && leak <= GOOD_LEAK;
    let poor = front_to_back_db.is_none_or(|fb| fb < POOR_FRONT_TO_BACK_DB) || leak > POOR_LEAK;
    let verdict = if n == 0 {
        Verdict::NoReads
    } else if wrong > 0 {
        Verdict::CheckTheWiring
    } else if reads_per_tag[INSIDE].min(reads_per_tag[OUTSIDE]) < MIN_READS_PER_SIDE {
        Verdict::AddAReader
    } else if !good {
        Verdict::MoveTheAntennas
    } else {
        Verdict::Good
    };
    // A poor gate acts only on what it is very sure of; a good one at the default.
    let min_confidence = if good {
        super::config::DEFAULT_MIN_CONFIDENCE
    } else if poor {
        0.99
    } else {
        0.95
    };
    Survey {
        direction,
        tags: n,
        judged_right: right,
        judged_wrong: wrong,
        not_judged: n - right - wrong,
        reads_per_tag,
        antennas,
        front_to_back_db,
        leak,
        weakest_confidence: weakest,
        verdict,
        min_confidence,
    }
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Good => "good",
            Verdict::MoveTheAntennas => "move_the_antennas",
            Verdict::AddAReader => "add_a_reader",
            Verdict::CheckTheWiring => "check_the_wiring",
            Verdict::NoReads => "no_reads",
        }
    }
}

fn peak(values: &mut [i8]) -> Option<f32> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    Some(f32::from(values[values.len() * 9 / 10]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::radio::door::{self, DoorModel, Plan};

    fn walk(front_to_back_db: f64, way: door::Direction) -> Survey {
        let model = DoorModel::reference(front_to_back_db);
        let run = door::simulate(&model, &Plan::trolleys(way, 3), 7);
        let direction = match way {
            door::Direction::In => Direction::In,
            door::Direction::Out => Direction::Out,
        };
        survey(&run.reads, direction, |_, antenna| {
            model.side_of(antenna).map(|s| s == door::Side::Inside)
        })
    }

    #[test]
    fn a_good_portal_is_good_and_keeps_the_default_threshold() {
        let s = walk(18.0, door::Direction::Out);
        assert_eq!(s.verdict, Verdict::Good, "{s:?}");
        assert_eq!(s.judged_wrong, 0);
        assert_eq!(
            s.min_confidence,
            crate::engine::config::DEFAULT_MIN_CONFIDENCE
        );
        assert!(s.front_to_back_db.unwrap() >= GOOD_FRONT_TO_BACK_DB);
        assert_eq!(s.antennas.len(), 4);
        for way in [door::Direction::In, door::Direction::Out] {
            assert_eq!(walk(12.0, way).verdict, Verdict::Good, "12 dB {way:?}");
            let poor = walk(8.0, way);
            assert_eq!(poor.verdict, Verdict::MoveTheAntennas, "8 dB {way:?}");
            assert_eq!(poor.min_confidence, 0.95);
        }
    }

    #[test]
    fn a_leaky_portal_is_told_to_move_its_antennas_and_acts_only_when_very_sure() {
        let s = walk(4.0, door::Direction::In);
        assert!(
            matches!(
                s.verdict,
                Verdict::MoveTheAntennas | Verdict::AddAReader | Verdict::CheckTheWiring
            ),
            "{s:?}"
        );
        assert_eq!(s.min_confidence, 0.99);
        assert!(s.leak > walk(18.0, door::Direction::In).leak);
    }

    #[test]
    fn no_reads_is_said_so() {
        let s = survey(&[], Direction::Out, |_, _| Some(true));
        assert_eq!(s.verdict, Verdict::NoReads);
        assert_eq!(s.tags, 0);
    }

    #[test]
    fn a_survey_round_trips_through_json() {
        let s = walk(12.0, door::Direction::Out);
        let back: Survey = serde_json::from_value(serde_json::to_value(&s).unwrap()).unwrap();
        assert_eq!(back, s);
    }
}
