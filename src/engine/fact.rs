//! Facts: what the engine concludes from reads. Serializable, with a stable id each.

use depot_readers::Epc;
use serde::{Deserialize, Serialize};

use super::config::{GateId, ZoneId};

/// Which way a tag passed a gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// From the outside zone to the inside zone.
    In,
    /// From the inside zone to the outside zone.
    Out,
}

/// One business fact. Times (`at`, `first_at`, `last_at`) are microseconds since the Unix
/// epoch, taken from the reads, never from a clock.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "fact", rename_all = "snake_case", deny_unknown_fields)]
pub enum Fact {
    /// The tag is now observed in `zone` and was in no zone before.
    Arrived {
        #[serde(with = "epc_hex")]
        epc: Epc,
        zone: ZoneId,
        at: u64,
    },
    /// The tag has not been read in `zone` for the zone's `lost_ms`; `at` is when that
    /// silence ran out.
    Left {
        #[serde(with = "epc_hex")]
        epc: Epc,
        zone: ZoneId,
        at: u64,
    },
    /// The tag, observed in `from`, is now observed in `to`.
    Moved {
        #[serde(with = "epc_hex")]
        epc: Epc,
        from: ZoneId,
        to: ZoneId,
        at: u64,
    },
    /// The tag, observed in `zone`, is read about as strongly in `other`: the readers cannot
    /// tell which of the two it is in. It stays observed in `zone` (nothing moved) until one
    /// of them clearly wins ([`Fact::Settled`] in either), or it leaves.
    Between {
        #[serde(with = "epc_hex")]
        epc: Epc,
        zone: ZoneId,
        other: ZoneId,
        at: u64,
    },
    /// The tag, between two zones, is clearly in `zone` (either of the two): it did not
    /// move, the readers could not tell until now. Also: a tag placed lately, on a few
    /// reads, is clearly in `zone` after all (the first placement was wrong, nothing moved).
    Settled {
        #[serde(with = "epc_hex")]
        epc: Epc,
        zone: ZoneId,
        at: u64,
    },
    /// The tag went through the gate; `at` is midway between its RSSI peaks on the two
    /// sides; `batch` numbers the gate's batches from 1 in order of opening.
    Passed {
        #[serde(with = "epc_hex")]
        epc: Epc,
        gate: GateId,
        direction: Direction,
        at: u64,
        confidence: f32,
        batch: u32,
        /// Judged less sure than the gate's `min_confidence`: a person is asked to confirm
        /// or dismiss it, and nothing acts on it meanwhile.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        uncertain: bool,
    },
    /// No more passages will join this gate batch.
    BatchClosed {
        gate: GateId,
        direction: Direction,
        batch: u32,
        count: u32,
        first_at: u64,
        last_at: u64,
    },
}

impl Fact {
    /// When the fact happened.
    pub fn at(&self) -> u64 {
        match self {
            Fact::Arrived { at, .. }
            | Fact::Left { at, .. }
            | Fact::Moved { at, .. }
            | Fact::Between { at, .. }
            | Fact::Settled { at, .. }
            | Fact::Passed { at, .. } => *at,
            Fact::BatchClosed { last_at, .. } => *last_at,
        }
    }

    /// The tag the fact is about, if it is about one.
    pub fn epc(&self) -> Option<Epc> {
        match self {
            Fact::Arrived { epc, .. }
            | Fact::Left { epc, .. }
            | Fact::Moved { epc, .. }
            | Fact::Between { epc, .. }
            | Fact::Settled { epc, .. }
            | Fact::Passed { epc, .. } => Some(*epc),
            Fact::BatchClosed { .. } => None,
        }
    }

    /// A stable id, the same on every replay of the same reads, so storing facts can be
    /// idempotent (an upsert on this id). One tag cannot arrive in one zone twice in the
    /// same microsecond, so kind + tag + place + time is unique.
    pub fn id(&self) -> String {
        match self {
            Fact::Arrived { epc, zone, at } => format!("arrived:{epc}:z{}:{at}", zone.0),
            Fact::Left { epc, zone, at } => format!("left:{epc}:z{}:{at}", zone.0),
            Fact::Moved { epc, from, to, at } => format!("moved:{epc}:z{}:z{}:{at}", from.0, to.0),
            Fact::Between {
                epc,
                zone,
                other,
                at,
            } => format!("between:{epc}:z{}:z{}:{at}", zone.0, other.0),
            Fact::Settled { epc, zone, at } => format!("settled:{epc}:z{}:{at}", zone.0),
            Fact::Passed {
                epc,
                gate,
                direction,
                at,
                ..
            } => {
                format!("passed:{epc}:g{}:{}:{at}", gate.0, direction.word())
            }
            Fact::BatchClosed {
                gate,
                direction,
                first_at,
                ..
            } => {
                format!("batch:g{}:{}:{first_at}", gate.0, direction.word())
            }
        }
    }
}

impl Direction {
    pub fn word(self) -> &'static str {
        match self {
            Direction::In => "in",
            Direction::Out => "out",
        }
    }
}

/// EPCs travel as upper-case hex strings.
pub mod epc_hex {
    use depot_readers::Epc;
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(epc: &Epc, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&epc.to_hex())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Epc, D::Error> {
        // Owned when the input has to be unescaped or is read from a stream.
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Epc::from_hex(&text).map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts_round_trip_through_json() {
        let epc = Epc::from_hex("3034257BF7194E4000001A85").unwrap();
        let facts = vec![
            Fact::Arrived {
                epc,
                zone: ZoneId(1),
                at: 10,
            },
            Fact::Moved {
                epc,
                from: ZoneId(1),
                to: ZoneId(2),
                at: 20,
            },
            Fact::Between {
                epc,
                zone: ZoneId(2),
                other: ZoneId(3),
                at: 25,
            },
            Fact::Settled {
                epc,
                zone: ZoneId(2),
                at: 26,
            },
            Fact::Passed {
                epc,
                gate: GateId(7),
                direction: Direction::Out,
                at: 30,
                confidence: 0.75,
                batch: 1,
                uncertain: true,
            },
            Fact::BatchClosed {
                gate: GateId(7),
                direction: Direction::Out,
                batch: 1,
                count: 1,
                first_at: 30,
                last_at: 30,
            },
            Fact::Left {
                epc,
                zone: ZoneId(2),
                at: 40,
            },
        ];
        for fact in facts {
            let json = serde_json::to_string(&fact).unwrap();
            assert_eq!(serde_json::from_str::<Fact>(&json).unwrap(), fact, "{json}");
        }
        let json = serde_json::to_string(&Fact::Arrived {
            epc,
            zone: ZoneId(1),
            at: 10,
        })
        .unwrap();
        assert_eq!(
            json,
            r#"{"fact":"arrived","epc":"3034257BF7194E4000001A85","zone":1,"at":10}"#
        );
    }

    #[test]
    fn ids_name_kind_tag_place_and_time() {
        let epc = Epc::from_hex("E200").unwrap();
        assert_eq!(
            Fact::Left {
                epc,
                zone: ZoneId(3),
                at: 99
            }
            .id(),
            "left:E200:z3:99"
        );
        let passed = Fact::Passed {
            epc,
            gate: GateId(1),
            direction: Direction::In,
            at: 5,
            confidence: 1.0,
            batch: 2,
            uncertain: false,
        };
        assert_eq!(passed.id(), "passed:E200:g1:in:5");
    }
}
