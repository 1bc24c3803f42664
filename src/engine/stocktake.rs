//! Stocktake (盘点): count what is really in the scope's zones against what the register
//! says should be there.

use std::collections::{HashMap, HashSet};

use depot_readers::Epc;
use serde::{Deserialize, Serialize};

use super::config::ZoneId;
use super::fact::{epc_hex, Fact};

/// Live counts of a stocktake.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    /// Assets the register expects in scope.
    pub expected: u32,
    /// Expected assets seen in their expected zone.
    pub found: u32,
    /// Expected assets seen in scope, in another zone.
    pub misplaced: u32,
    /// Expected assets not seen yet.
    pub missing: u32,
    /// Tags seen in scope that are not expected there.
    pub unexpected: u32,
    /// Expected assets seen in scope but between two zones the readers cannot tell apart:
    /// for a person to check, never counted misplaced.
    #[serde(default)]
    pub between: u32,
}

impl Progress {
    /// Share of expected assets seen so far, in 0..=1.
    pub fn fraction_seen(&self) -> f64 {
        if self.expected == 0 {
            return 1.0;
        }
        f64::from(self.found + self.misplaced + self.between) / f64::from(self.expected)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Located {
    #[serde(with = "epc_hex")]
    pub epc: Epc,
    pub zone: ZoneId,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Misplaced {
    #[serde(with = "epc_hex")]
    pub epc: Epc,
    pub expected: ZoneId,
    pub seen: ZoneId,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unexpected {
    #[serde(with = "epc_hex")]
    pub epc: Epc,
    pub zone: ZoneId,
    /// A registered asset that is not expected in scope; `false` for an EPC the register
    /// does not know at all.
    pub known: bool,
}

/// An expected asset the readers place between two zones: someone should look.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Between {
    #[serde(with = "epc_hex")]
    pub epc: Epc,
    pub expected: ZoneId,
    /// The zone it is observed in, and the one it cannot be told from.
    pub zone: ZoneId,
    pub other: ZoneId,
}

/// What a stocktake found; every list in EPC order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StocktakeResult {
    pub found: Vec<Located>,
    /// Expected assets never seen, with the zone they were expected in.
    pub missing: Vec<Located>,
    pub unexpected: Vec<Unexpected>,
    /// Only assets clearly seen in another zone.
    pub misplaced: Vec<Misplaced>,
    /// Assets between two zones: to check, neither found nor misplaced.
    #[serde(default)]
    pub between: Vec<Between>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Found,
    Misplaced,
    Unexpected,
    Between,
}

/// One stocktake over a set of zones. Feed it the engine's facts ([`Stocktake::apply`]) or
/// sightings from anywhere else ([`Stocktake::observe`]); a tag counts where it was last
/// seen in scope. Tags the engine already holds when the stocktake starts produce no new
/// arrival: observe them from [`crate::engine::Engine::located`] first.
#[derive(Debug, Clone)]
pub struct Stocktake {
    scope: HashSet<ZoneId>,
    expected: HashMap<Epc, ZoneId>,
    known: HashSet<Epc>,
    /// Where each tag was last seen in scope, and the zone it is between that one and.
    seen: HashMap<Epc, (ZoneId, Option<ZoneId>)>,
    progress: Progress,
}

impl Stocktake {
    /// `expected`: each asset the register places in scope, with its zone; `scope`: the
    /// zones being counted.
    pub fn new(
        expected: impl IntoIterator<Item = (Epc, ZoneId)>,
        scope: impl IntoIterator<Item = ZoneId>,
    ) -> Self {
        let expected: HashMap<Epc, ZoneId> = expected.into_iter().collect();
        let progress = Progress {
            expected: expected.len() as u32,
            missing: expected.len() as u32,
            ..Progress::default()
        };
        Stocktake {
            scope: scope.into_iter().collect(),
            expected,
            known: HashSet::new(),
            seen: HashMap::new(),
            progress,
        }
    }

    /// Assets the register knows that are not expected in scope: seen here they are
    /// reported as known unexpected tags rather than unknown EPCs.
    pub fn with_known(mut self, known: impl IntoIterator<Item = Epc>) -> Self {
        self.known.extend(known);
        self
    }

    /// The tag was seen in `zone`, clearly; sightings outside the scope are ignored.
    pub fn observe(&mut self, epc: Epc, zone: ZoneId) {
        self.sight(epc, zone, None);
    }

    /// The tag is observed in `zone` but the readers cannot tell it from `other`.
    pub fn observe_between(&mut self, epc: Epc, zone: ZoneId, other: ZoneId) {
        self.sight(epc, zone, Some(other));
    }

    fn sight(&mut self, epc: Epc, zone: ZoneId, other: Option<ZoneId>) {
        if !self.scope.contains(&zone) {
            return;
        }
        let before = self
            .seen
            .insert(epc, (zone, other))
            .map(|(z, o)| self.class(&epc, z, o));
        let after = self.class(&epc, zone, other);
        if before == Some(after) {
            return;
        }
        match before {
            Some(c) => *self.count(c) -= 1,
            None if after != Class::Unexpected => self.progress.missing -= 1,
            None => {}
        }
        *self.count(after) += 1;
    }

    /// Take an engine fact: an arrival, a move or a settled call is a clear sighting in its
    /// zone; "between" a sighting to check.
    pub fn apply(&mut self, fact: &Fact) {
        match *fact {
            Fact::Arrived { epc, zone, .. }
            | Fact::Moved { epc, to: zone, .. }
            | Fact::Settled { epc, zone, .. } => self.observe(epc, zone),
            Fact::Between {
                epc, zone, other, ..
            } => self.observe_between(epc, zone, other),
            _ => {}
        }
    }

    pub fn progress(&self) -> Progress {
        self.progress
    }

    pub fn finish(self) -> StocktakeResult {
        let mut r = StocktakeResult::default();
        for (&epc, &(zone, other)) in &self.seen {
            match (self.expected.get(&epc), other) {
                (Some(&expected), Some(other)) => r.between.push(Between {
                    epc,
                    expected,
                    zone,
                    other,
                }),
                (Some(&expected), None) if expected == zone => r.found.push(Located { epc, zone }),
                (Some(&expected), None) => r.misplaced.push(Misplaced {
                    epc,
                    expected,
                    seen: zone,
                }),
                (None, _) => r.unexpected.push(Unexpected {
                    epc,
                    zone,
                    known: self.known.contains(&epc),
                }),
            }
        }
        for (&epc, &zone) in &self.expected {
            if !self.seen.contains_key(&epc) {
                r.missing.push(Located { epc, zone });
            }
        }
        r.found.sort_unstable_by_key(|l| l.epc);
        r.missing.sort_unstable_by_key(|l| l.epc);
        r.unexpected.sort_unstable_by_key(|u| u.epc);
        r.misplaced.sort_unstable_by_key(|m| m.epc);
        r.between.sort_unstable_by_key(|b| b.epc);
        r
    }

    fn class(&self, epc: &Epc, zone: ZoneId, other: Option<ZoneId>) -> Class {
        match (self.expected.get(epc), other) {
            (Some(_), Some(_)) => Class::Between,
            (Some(&z), None) if z == zone => Class::Found,
            (Some(_), None) => Class::Misplaced,
            (None, _) => Class::Unexpected,
        }
    }

    fn count(&mut self, class: Class) -> &mut u32 {
        match class {
            Class::Found => &mut self.progress.found,
            Class::Misplaced => &mut self.progress.misplaced,
            Class::Unexpected => &mut self.progress.unexpected,
            Class::Between => &mut self.progress.between,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn epc(n: u32) -> Epc {
        Epc::from_hex(&format!("30340000000000000000{n:04X}")).unwrap()
    }

    #[test]
    fn counts_found_missing_misplaced_and_unexpected() {
        let expected = (0..10).map(|n| (epc(n), ZoneId(if n < 5 { 1 } else { 2 })));
        let mut s = Stocktake::new(expected, [ZoneId(1), ZoneId(2)]).with_known([epc(100)]);
        for n in 0..8 {
            s.observe(epc(n), ZoneId(if n < 5 { 1 } else { 2 }));
        }
        s.observe(epc(8), ZoneId(1)); // expected in 2
        s.observe(epc(100), ZoneId(2)); // known, not expected here
        s.observe(epc(200), ZoneId(2)); // unknown
        s.observe(epc(300), ZoneId(9)); // out of scope
        assert_eq!(
            s.progress(),
            Progress {
                expected: 10,
                found: 8,
                misplaced: 1,
                missing: 1,
                unexpected: 2,
                between: 0
            }
        );
        // The last sighting counts: 8 moves to its expected zone, found.
        s.observe(epc(8), ZoneId(2));
        s.observe(epc(8), ZoneId(2));
        assert_eq!(
            s.progress(),
            Progress {
                expected: 10,
                found: 9,
                misplaced: 0,
                missing: 1,
                unexpected: 2,
                between: 0
            }
        );
        let r = s.finish();
        assert_eq!(r.found.len(), 9);
        assert_eq!(
            r.missing,
            vec![Located {
                epc: epc(9),
                zone: ZoneId(2)
            }]
        );
        assert!(r.misplaced.is_empty());
        assert_eq!(
            r.unexpected,
            vec![
                Unexpected {
                    epc: epc(100),
                    zone: ZoneId(2),
                    known: true
                },
                Unexpected {
                    epc: epc(200),
                    zone: ZoneId(2),
                    known: false
                },
            ]
        );
    }

    #[test]
    fn a_tag_between_two_zones_is_to_check_not_misplaced_until_it_settles() {
        let mut s = Stocktake::new(
            [(epc(1), ZoneId(1)), (epc(2), ZoneId(1))],
            [ZoneId(1), ZoneId(2)],
        );
        // Observed in zone 2 but too close to call against zone 1.
        s.apply(&Fact::Arrived {
            epc: epc(1),
            zone: ZoneId(2),
            at: 1,
        });
        assert_eq!(s.progress().misplaced, 1);
        s.apply(&Fact::Between {
            epc: epc(1),
            zone: ZoneId(2),
            other: ZoneId(1),
            at: 2,
        });
        s.observe_between(epc(2), ZoneId(2), ZoneId(1));
        let p = s.progress();
        assert_eq!((p.found, p.misplaced, p.missing, p.between), (0, 0, 0, 2));
        assert_eq!(p.fraction_seen(), 1.0);
        // Settled in its expected zone: found.
        s.apply(&Fact::Settled {
            epc: epc(1),
            zone: ZoneId(1),
            at: 3,
        });
        let p = s.progress();
        assert_eq!((p.found, p.misplaced, p.between), (1, 0, 1));
        let r = s.finish();
        assert!(r.misplaced.is_empty());
        assert_eq!(
            r.between,
            vec![Between {
                epc: epc(2),
                expected: ZoneId(1),
                zone: ZoneId(2),
                other: ZoneId(1)
            }]
        );
        assert_eq!(
            r.found,
            vec![Located {
                epc: epc(1),
                zone: ZoneId(1)
            }]
        );
    }
}
