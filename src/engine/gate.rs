//! Gate passage: judge a tag's direction through a portal from the order and RSSI peaks
//! of its reads on the inside and outside antennas, and group passages into gate batches.

use super::fact::Direction;

/// Index of the inside side in [`GateTrack::sides`].
pub const INSIDE: usize = 0;
/// Index of the outside side in [`GateTrack::sides`].
pub const OUTSIDE: usize = 1;

/// What the gate saw of one tag on one side. Times are engine milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Side {
    pub reads: u32,
    pub first: u32,
    pub last: u32,
    /// First and last time the strongest RSSI was read: a plateau's middle is the peak.
    pub peak_from: u32,
    pub peak_to: u32,
    pub peak_rssi: Option<i8>,
}

impl Side {
    #[inline]
    pub fn record(&mut self, t: u32, rssi: Option<i8>) {
        if self.reads == 0 {
            self.first = t;
            self.peak_from = t;
            self.peak_to = t;
            self.peak_rssi = rssi;
        } else {
            match (rssi, self.peak_rssi) {
                (Some(r), Some(p)) if r > p => {
                    (self.peak_rssi, self.peak_from, self.peak_to) = (Some(r), t, t)
                }
                (Some(r), Some(p)) if r == p => self.peak_to = t,
                (Some(r), None) => (self.peak_rssi, self.peak_from, self.peak_to) = (Some(r), t, t),
                _ => {}
            }
        }
        self.reads = self.reads.saturating_add(1);
        self.last = t;
    }

    /// When the tag was nearest this side's antennas: the middle of the RSSI peak, or of
    /// all reads when the reader reports no RSSI.
    fn peak(&self) -> u32 {
        if self.peak_rssi.is_some() {
            mid(self.peak_from, self.peak_to)
        } else {
            mid(self.first, self.last)
        }
    }
}

fn mid(a: u32, b: u32) -> u32 {
    a + (b - a) / 2
}

/// One tag's reads at one gate, until the gate has been quiet long enough to judge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GateTrack {
    pub gate: u16,
    /// Deadline of this track's pending timer (engine ms).
    pub timer_at: u32,
    pub sides: [Side; 2],
}

impl GateTrack {
    pub fn new(gate: u16) -> Self {
        GateTrack {
            gate,
            timer_at: u32::MAX,
            sides: [Side::default(); 2],
        }
    }

    /// The first read of the track, if it has any.
    pub fn first(&self) -> Option<u32> {
        self.sides
            .iter()
            .filter(|s| s.reads > 0)
            .map(|s| s.first)
            .min()
    }

    pub fn last(&self) -> u32 {
        self.sides[INSIDE].last.max(self.sides[OUTSIDE].last)
    }
}

/// A judged passage: direction, the crossing moment (engine ms) and a confidence in 0..=1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Passage {
    pub direction: Direction,
    pub at: u32,
    pub confidence: f32,
}

/// A tag passed out when it was first read inside, last read outside, and read at least
/// `min_reads` times on each side; in, the other way round. A tag that lingers on one side
/// is read on one side only (or starts and ends there) and one that turns back starts and
/// ends on the same side: neither passes. Peaks in the wrong order halve the confidence.
pub fn judge(track: &GateTrack, min_reads: u16) -> Option<Passage> {
    let [inside, outside] = track.sides;
    let min = u32::from(min_reads.max(1));
    if inside.reads < min || outside.reads < min {
        return None;
    }
    let (direction, from, to) = if inside.first < outside.first && inside.last < outside.last {
        (Direction::Out, inside, outside)
    } else if outside.first < inside.first && outside.last < inside.last {
        (Direction::In, outside, inside)
    } else {
        return None;
    };
    let (p_from, p_to) = (from.peak(), to.peak());
    let order = if p_from <= p_to { 1.0 } else { 0.5 };
    let support = from.reads.min(to.reads) as f32;
    let support = support / (support + 3.0);
    let confidence = (order * (0.5 + 0.5 * support) * 100.0).round() / 100.0;
    Some(Passage {
        direction,
        at: mid(p_from.min(p_to), p_from.max(p_to)),
        confidence,
    })
}

/// A gate batch still open to new passages (engine ms). Passages are judged only once a
/// tag has gone quiet, seconds after it crossed; so a batch takes passages by crossing
/// time but closes by judging time: `batch_gap_ms` after the last passage judged into it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenBatch {
    pub seq: u32,
    pub count: u32,
    pub first: u32,
    pub last: u32,
    pub judged: u32,
}

impl OpenBatch {
    /// Whether a passage at `at` happened together with this batch.
    pub fn takes(&self, at: u32, gap_ms: u32) -> bool {
        at.saturating_add(gap_ms) >= self.first && at <= self.last.saturating_add(gap_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn track(reads: &[(usize, u32, i8)]) -> GateTrack {
        let mut t = GateTrack::new(0);
        for &(side, at, rssi) in reads {
            t.sides[side].record(at, Some(rssi));
        }
        t
    }

    #[test]
    fn inside_then_outside_is_out() {
        let t = track(&[
            (INSIDE, 0, -60),
            (INSIDE, 100, -45),
            (OUTSIDE, 150, -60),
            (INSIDE, 200, -55),
            (OUTSIDE, 300, -42),
            (OUTSIDE, 400, -58),
        ]);
        let p = judge(&t, 2).unwrap();
        assert_eq!(p.direction, Direction::Out);
        assert_eq!(p.at, 200);
        assert!(p.confidence > 0.5 && p.confidence <= 1.0);
    }

    #[test]
    fn outside_then_inside_is_in() {
        let t = track(&[
            (OUTSIDE, 0, -60),
            (OUTSIDE, 100, -45),
            (INSIDE, 300, -42),
            (INSIDE, 400, -58),
        ]);
        assert_eq!(judge(&t, 2).unwrap().direction, Direction::In);
    }

    #[test]
    fn turning_back_passes_nothing() {
        let t = track(&[
            (INSIDE, 0, -60),
            (INSIDE, 100, -45),
            (OUTSIDE, 200, -50),
            (OUTSIDE, 250, -48),
            (INSIDE, 400, -50),
        ]);
        assert_eq!(judge(&t, 2), None);
    }

    #[test]
    fn lingering_on_one_side_passes_nothing() {
        let t = track(&[
            (INSIDE, 0, -60),
            (INSIDE, 100, -45),
            (INSIDE, 200, -50),
            (OUTSIDE, 250, -75),
        ]);
        assert_eq!(judge(&t, 2), None);
    }

    #[test]
    fn peaks_in_the_wrong_order_halve_confidence() {
        let good = track(&[
            (INSIDE, 0, -50),
            (INSIDE, 100, -40),
            (OUTSIDE, 200, -40),
            (OUTSIDE, 300, -50),
        ]);
        let odd = track(&[
            (INSIDE, 0, -50),
            (INSIDE, 100, -60),
            (OUTSIDE, 200, -60),
            (OUTSIDE, 300, -40),
        ]);
        let odd2 = track(&[
            (INSIDE, 0, -60),
            (INSIDE, 150, -40),
            (OUTSIDE, 100, -40),
            (OUTSIDE, 300, -60),
        ]);
        assert_eq!(judge(&good, 2).unwrap().confidence, 0.7);
        assert_eq!(judge(&odd, 2).unwrap().confidence, 0.7);
        assert_eq!(judge(&odd2, 2).unwrap().confidence, 0.35);
    }

    #[test]
    fn batches_take_passages_within_the_gap() {
        let b = OpenBatch {
            seq: 1,
            count: 3,
            first: 1_000,
            last: 2_000,
            judged: 5_000,
        };
        assert!(b.takes(4_000, 2_000));
        assert!(!b.takes(4_001, 2_000));
        assert!(b.takes(0, 1_000));
    }
}
