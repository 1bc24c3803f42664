//! `depot bench gate`: how often the gate judges right, on an independent door model.
//!
//! The door model (`crate::radio::door`) was written from link-budget physics without
//! reading the engine: antenna patterns with a front-to-back ratio, two-way path loss,
//! orientation nulls, frequency-selective multipath, antennas multiplexed on one reader whose
//! read budget the tags in the field share. For each front-to-back ratio and seed it plays a
//! few minutes at a dock door (trolleys out and in, turn-backs at the door plane, a fast
//! walker, two trolleys crossing at once, strays on a shelf inside the door) through the
//! engine and scores the passages against the model's ground truth.

use std::collections::HashMap;

use depot_readers::Epc;

use crate::engine::{Direction, Fact};

/// A crossing the model knows happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Crossing {
    pub epc: Epc,
    pub direction: Direction,
    pub at_us: u64,
}

/// A passage is matched to a true crossing of the same tag within this much time.
pub const MATCH_US: u64 = 5_000_000;

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
}

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
    }

    /// Share of crossings judged right and acted on.
    pub fn right_share(&self) -> f64 {
        f64::from(self.right) / f64::from(self.crossings.max(1))
    }
}

/// Score the engine's passages against the true crossings: each passage is matched to the
/// nearest unmatched crossing of its tag within [`MATCH_US`].
pub fn score(facts: &[Fact], truth: &[Crossing]) -> Score {
    let mut by_tag: HashMap<Epc, Vec<(Crossing, bool)>> = HashMap::new();
    for c in truth {
        by_tag.entry(c.epc).or_default().push((*c, false));
    }
    let mut s = Score {
        crossings: truth.len() as u32,
        ..Score::default()
    };
    for f in facts {
        let Fact::Passed {
            epc,
            direction,
            at,
            uncertain,
            ..
        } = f
        else {
            continue;
        };
        let candidates = by_tag.get_mut(epc);
        let best = candidates.and_then(|cs| {
            cs.iter_mut()
                .filter(|(c, used)| !used && c.at_us.abs_diff(*at) <= MATCH_US)
                .min_by_key(|(c, _)| c.at_us.abs_diff(*at))
        });
        match best {
            Some((c, used)) => {
                *used = true;
                match (c.direction == *direction, uncertain) {
                    (true, false) => s.right += 1,
                    (true, true) => s.asked += 1,
                    (false, false) => s.wrong_direction += 1,
                    (false, true) => s.wrong_direction_asked += 1,
                }
            }
            None if *uncertain => s.false_asked += 1,
            None => s.false_passages += 1,
        }
    }
    s.missed = s.crossings - s.right - s.asked - s.wrong_direction - s.wrong_direction_asked;
    s
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
            }
        );
    }
}
