//! Gate passage: judge a tag's direction through a portal from how the evidence of its
//! reads moves from one side to the other, and group passages into gate batches.
//!
//! A portal's inside antennas face into the depot and its outside antennas face out, so a
//! tag inside is heard more strongly (and more often) by the inside antennas, and the other
//! way round. How much more is the antennas' front-to-back ratio: 18 dB at a good portal,
//! 4 dB at one whose antennas hear through the doorway. The judgment therefore never trusts
//! single reads (first or last read, one peak); it bins the track in time, takes the side
//! evidence of each bin (inside strength minus outside strength, in dB, with a side that
//! heard nothing at the weakest level the track was ever heard), and finds the one moment
//! that best splits the track into a before and an after (a change point). A passage is a
//! track whose before is clearly on one side and whose after is clearly on the other; a
//! turn-back at the door plane comes back to the side it started on, a stray never changes
//! side, and neither passes. Per-tag offsets (a tag whose antenna points away from the inside
//! antennas, a fade on one channel) shift before and after alike, so they cannot make a side
//! change that is not there. The confidence says how sure the before and after each are of
//! their side, given the spread of the evidence; what is below a gate's `min_confidence` is
//! reported as an uncertain passage, to be confirmed by a person, not acted on.

use super::fact::Direction;

/// Index of the inside side in [`GateTrack::sides`].
pub const INSIDE: usize = 0;
/// Index of the outside side in [`GateTrack::sides`].
pub const OUTSIDE: usize = 1;

/// "No RSSI reported" in a [`GateRead`].
pub const NO_RSSI: i8 = i8::MIN;

/// Width of a judgment bin: one cycle of a four-antenna portal at 25 ms per antenna.
pub const BIN_MS: u32 = 100;

/// A track holds at most this many reads; a tag read more often than that without going
/// quiet (a stray lying in the portal) is judged and started afresh, like a stale track.
pub const MAX_TRACK_READS: usize = 4_096;

/// "No phase reported" in a [`GateRead`].
pub const NO_PHASE: u16 = u16::MAX;

/// One read of a tag at a gate, as the judgment needs it. 12 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GateRead {
    /// Engine ms.
    pub t: u32,
    /// dBm, or [`NO_RSSI`].
    pub rssi: i8,
    /// [`INSIDE`] or [`OUTSIDE`].
    pub side: u8,
    /// Antenna port (low byte), to tell antennas of one side apart.
    pub antenna: u8,
    /// Frequency channel (low byte; 0 when not reported): phases compare only on one.
    pub channel: u8,
    /// RF phase in 1/4096 of a turn (Impinj's unit), or [`NO_PHASE`].
    pub phase: u16,
}

/// What a reader reports of one read beyond the tag and the time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadSignal {
    pub rssi: Option<i8>,
    pub antenna: u16,
    pub channel: Option<u16>,
    /// RF phase, 0..4096 for 0..2π.
    pub phase: Option<u16>,
}

impl ReadSignal {
    pub fn of(read: &depot_readers::TagRead) -> Self {
        ReadSignal {
            rssi: read.rssi_dbm,
            antenna: read.antenna,
            channel: read.channel,
            phase: read.phase,
        }
    }

    /// RSSI and antenna only.
    #[cfg(test)]
    pub fn rssi(rssi: Option<i8>, antenna: u16) -> Self {
        ReadSignal {
            rssi,
            antenna,
            ..ReadSignal::default()
        }
    }
}

/// What the gate saw of one tag on one side. Times are engine milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Side {
    pub reads: u32,
    pub first: u32,
    pub last: u32,
}

impl Side {
    #[inline]
    pub fn record(&mut self, t: u32) {
        if self.reads == 0 {
            self.first = t;
        }
        self.reads = self.reads.saturating_add(1);
        self.last = t;
    }
}

/// One tag's reads at one gate, until the gate has been quiet long enough to judge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GateTrack {
    pub gate: u16,
    /// Deadline of this track's pending timer (engine ms).
    pub timer_at: u32,
    pub sides: [Side; 2],
    /// Every read of the track, in time order (at most [`MAX_TRACK_READS`]).
    pub reads: Vec<GateRead>,
    /// The track began as its gate's reader started (see [`JOIN_MS`]): the tag may have
    /// been in the doorway before anything heard it.
    pub joined: bool,
}

impl GateTrack {
    pub fn new(gate: u16) -> Self {
        GateTrack {
            gate,
            timer_at: u32::MAX,
            sides: [Side::default(); 2],
            reads: Vec::new(),
            joined: false,
        }
    }

    #[inline]
    pub fn record(&mut self, side: usize, t: u32, signal: ReadSignal) {
        self.sides[side].record(t);
        self.reads.push(GateRead {
            t,
            rssi: signal.rssi.map_or(NO_RSSI, |r| r.max(NO_RSSI + 1)),
            side: side as u8,
            antenna: signal.antenna as u8,
            channel: signal.channel.map_or(0, |c| c as u8),
            phase: signal.phase.map_or(NO_PHASE, |p| p % 4096),
        });
    }

    /// The first read of the track, if it has any.
    pub fn first(&self) -> Option<u32> {
        self.reads.first().map(|r| r.t)
    }

    pub fn last(&self) -> u32 {
        self.sides[INSIDE].last.max(self.sides[OUTSIDE].last)
    }

    pub fn is_full(&self) -> bool {
        self.reads.len() >= MAX_TRACK_READS
    }

    /// Bytes the track holds beyond its table entry.
    pub fn heap_bytes(&self) -> usize {
        self.reads.capacity() * std::mem::size_of::<GateRead>()
    }
}

/// A judged passage: direction, the crossing moment (engine ms) and a confidence in 0..=1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Passage {
    pub direction: Direction,
    pub at: u32,
    pub confidence: f32,
}

/// Evidence (dB) that a side which heard nothing in a window is this much weaker than the
/// weakest read of the track: the tag was beyond that side's reach.
const SILENT_SIDE_DB: f32 = 3.0;
/// Evidence of one bin is clamped to this (dB), so one strong bin cannot outvote many.
const CLAMP_DB: f32 = 20.0;
/// Before and after must each be at least this far (dB) on their side: closer than that is
/// within what fading and tag orientation do to a tag that never moved.
const MIN_SIDE_DB: f32 = 1.0;
/// Bins of evidence share channels and the smoothing window: about this many bins make one
/// independent observation.
const BINS_PER_OBSERVATION: f32 = 3.0;
/// The spread of a bin's evidence is never taken as less than this (dB).
const MIN_SPREAD_DB: f32 = 2.0;
/// The z (how many standard errors each part is on its side) at which a passage is 0.9
/// sure. Measured on the independent door model, crossings at an 8 dB portal have z ≥ 2.2
/// in 49 of 50 cases, while tags that never crossed (turn-backs, strays, people walking
/// along the door) stay below it once every antenna has to agree.
const Z_SURE: f32 = 2.3;
/// `1 - exp(-z² · Z_SCALE)` is 0.9 at [`Z_SURE`].
const Z_SCALE: f32 = std::f32::consts::LN_10 / (Z_SURE * Z_SURE);
/// An antenna whose level moved the wrong way by more than this (dB) disagrees.
const DISAGREE_DB: f32 = 3.0;
/// The strongest reads (90th percentile) of the side left before a crossing and of the side
/// entered after it differ by at most this (dB) for a passage to be sure. Measured on the
/// independent door model: people walking along the door beside the opening differ by
/// 10–20 dB, while crossings with the reads of both sides differ by more only where an
/// orientation null hides the tag from one side (their load then speaks for them).
const LEVELS_MATCH_DB: f32 = 8.0;
/// A passage some antenna disagrees with is this much less sure: it is asked.
const DISAGREEMENT_FACTOR: f32 = 0.5;
/// Before and after each span at least this many bins (half a second): a side is never
/// judged from a moment's reads at the edge of a track, where one fade or one burst of
/// reads decides.
const MIN_PART_BINS: usize = 5;

/// A passage whose tag has been heard on the side it entered for less than this (ms) is not
/// yet sure to stay: a trolley pushed a little way through the door falls silent out there
/// for a second or two and comes back. Such a track waits like an undecided one.
pub const SETTLE_MS: u32 = 2_000;

/// The first and the last this many ms of a track's evidence say which side it began and
/// ended on (see [`went_back`]).
const END_MS: u32 = 1_000;

/// A track that begins within this many ms of its gate's first read since the engine
/// started or its reader (re)connected began unheard: the trolley may already have been in
/// the doorway, so where its evidence begins says nothing of the side it came from.
pub const JOIN_MS: u32 = 2_000;

/// Judge a track: a passage if the evidence moved from one side to the other, `None` for a
/// tag that stayed on its side (a stray, a turn-back) or was heard on one side only, or
/// that has fewer than `min_reads` reads on either side.
pub fn judge(track: &GateTrack, min_reads: u16) -> Option<Passage> {
    let [inside, outside] = track.sides;
    let min = u32::from(min_reads.max(1));
    if inside.reads < min || outside.reads < min {
        return None;
    }
    let evidence = evidence(&track.reads);
    let n = evidence.len();
    if n < 2 {
        return None;
    }
    let split = change_point(&evidence)?;
    let (before, after) = evidence.split_at(split.at);
    let (mb, ma) = (split.before, split.after);
    let direction = if mb > 0.0 && ma < 0.0 {
        Direction::Out
    } else if mb < 0.0 && ma > 0.0 {
        Direction::In
    } else {
        return None;
    };
    // How far each part is on its side, in standard errors of its mean.
    let spread = {
        let ss: f32 = before.iter().map(|e| (e.db - mb).powi(2)).sum::<f32>()
            + after.iter().map(|e| (e.db - ma).powi(2)).sum::<f32>();
        (ss / (n as f32 - 2.0).max(1.0)).sqrt().max(MIN_SPREAD_DB)
    };
    let sure = |mean: f32, bins: usize| {
        let margin = mean.abs() - MIN_SIDE_DB;
        if margin <= 0.0 {
            return 0.0;
        }
        let observations = (bins as f32 / BINS_PER_OBSERVATION).max(1.0);
        margin / (spread / observations.sqrt())
    };
    let z = sure(mb, before.len()).min(sure(ma, after.len()));
    // Every antenna must agree: a tag that really crossed falls behind each antenna of the
    // side it left and comes in front of each antenna of the side it entered. A tag that
    // walks along the door moves from one jamb's antennas to the other's, which can flip
    // the sides' balance while one antenna's level rises as another's falls. And the side
    // entered must hear it about as strongly as the side left did: someone walking along
    // the door beside the opening is heard weakly by one side and in full by the other.
    // And the track must begin on the side left and end on the side entered: a trolley
    // that stood in the doorway and went back changed sides twice. (Not asked of a track
    // that began as its gate's reader started: it may have begun at the door unheard.)
    let split_t = evidence[split.at].t - BIN_MS / 2;
    let agree = if antennas_agree(&track.reads, split_t, direction)
        && levels_match(&track.reads, split_t, direction)
        && (track.joined || !went_back(&evidence, mb, ma))
    {
        1.0
    } else {
        DISAGREEMENT_FACTOR
    };
    // A z of Z_SURE gives 0.9; 1 gives about a third.
    let confidence = agree * (1.0 - (-(z * z) * Z_SCALE).exp()).clamp(0.0, 1.0);
    let confidence = (confidence * 100.0).round() / 100.0;
    if confidence <= 0.0 {
        return None;
    }
    Some(Passage {
        direction,
        at: evidence[split.at].t.midpoint(evidence[split.at - 1].t),
        confidence,
    })
}

/// Whether a track whose evidence moved from the side of `before` (mean dB) to the side of
/// `after` began on the side entered or ended on the side left: in its first or last
/// [`END_MS`] the evidence leans the other way. A trolley pushed into the doorway from
/// outside, stopped there for seconds (heard by the inside antennas), then wheeled back
/// out, moved to the inside and back: the biggest change of its track looks like a passage
/// out, but it began outside.
fn went_back(evidence: &[Bin], before: f32, after: f32) -> bool {
    let mean = |bins: &mut dyn Iterator<Item = &Bin>| {
        let (sum, n) = bins.fold((0.0, 0u32), |(s, n), b| (s + b.db, n + 1));
        if n == 0 {
            0.0
        } else {
            sum / n as f32
        }
    };
    let (Some(first), Some(last)) = (evidence.first(), evidence.last()) else {
        return false;
    };
    let head = mean(&mut evidence.iter().take_while(|b| b.t < first.t + END_MS));
    let tail = mean(&mut evidence.iter().rev().take_while(|b| b.t + END_MS > last.t));
    head * after.signum() > 0.0 || tail * before.signum() > 0.0
}

/// Whether every antenna's level moved the way a passage in `direction` at `split` (engine
/// ms) moves it: down for the antennas of the side left, up for those of the side entered.
/// An antenna's level in a part is the mean of its reads there, or the track's weakest read
/// less [`SILENT_SIDE_DB`] when it heard nothing; antennas with fewer than three reads in
/// all have no say.
fn antennas_agree(reads: &[GateRead], split: u32, direction: Direction) -> bool {
    let Some(weakest) = reads
        .iter()
        .filter(|r| r.rssi != NO_RSSI)
        .map(|r| f32::from(r.rssi))
        .reduce(f32::min)
    else {
        return true;
    };
    /// Sum and count of an antenna's RSSI in one part.
    type Part = (f32, u32);
    // (side, antenna) → before and after.
    let mut per: Vec<((u8, u8), [Part; 2])> = Vec::new();
    for r in reads.iter().filter(|r| r.rssi != NO_RSSI) {
        let part = usize::from(r.t >= split);
        let key = (r.side, r.antenna);
        let i = match per.iter().position(|(k, _)| *k == key) {
            Some(i) => i,
            None => {
                per.push((key, [(0.0, 0); 2]));
                per.len() - 1
            }
        };
        per[i].1[part].0 += f32::from(r.rssi);
        per[i].1[part].1 += 1;
    }
    per.iter().all(|&((side, _), parts)| {
        if parts[0].1 + parts[1].1 < 3 {
            return true;
        }
        let level = |(sum, n): (f32, u32)| {
            if n == 0 {
                weakest - SILENT_SIDE_DB
            } else {
                sum / n as f32
            }
        };
        let change = level(parts[1]) - level(parts[0]);
        let left = match direction {
            Direction::Out => usize::from(side) == INSIDE,
            Direction::In => usize::from(side) == OUTSIDE,
        };
        let expected = if left { -change } else { change };
        expected >= -DISAGREE_DB
    })
}

/// Whether the side entered hears the tag after the crossing about as strongly as the side
/// left heard it before: a tag that crossed passes in front of both sides' antennas at
/// the same distance. A person walking along the door, beside the opening, is heard by one
/// side's antennas only at a steep angle or from behind (far weaker) and by the other's in
/// front of them: its side balance flips without a crossing.
fn levels_match(reads: &[GateRead], split: u32, direction: Direction) -> bool {
    let (left, entered) = match direction {
        Direction::Out => (INSIDE as u8, OUTSIDE as u8),
        Direction::In => (OUTSIDE as u8, INSIDE as u8),
    };
    let high = |side: u8, after: bool| {
        let mut v: Vec<i8> = reads
            .iter()
            .filter(|r| r.rssi != NO_RSSI && r.side == side && (r.t >= split) == after)
            .map(|r| r.rssi)
            .collect();
        if v.is_empty() {
            return None;
        }
        v.sort_unstable();
        Some(f32::from(v[(v.len() - 1) * 9 / 10]))
    };
    let (Some(before), Some(after)) = (high(left, false), high(entered, true)) else {
        return true;
    };
    (before - after).abs() <= LEVELS_MATCH_DB
}

/// The side evidence of one bin: positive inside, negative outside (dB).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Bin {
    /// Middle of the bin, engine ms.
    t: u32,
    db: f32,
}

/// Side evidence over time: for every bin of [`BIN_MS`] in which the tag was read, the
/// strongest read of each side within a bin either way (so a reader cycling its antennas
/// slower than one bin still compares both sides), inside minus outside. A side that heard
/// nothing there counts as [`SILENT_SIDE_DB`] below the track's weakest read. Without RSSI
/// the balance of read counts stands in.
fn evidence(reads: &[GateRead]) -> Vec<Bin> {
    let t0 = reads[0].t;
    let weakest = reads
        .iter()
        .filter(|r| r.rssi != NO_RSSI)
        .map(|r| r.rssi)
        .min();
    // Per bin: strongest RSSI and read count per side.
    let mut bins: Vec<(u32, [i8; 2], [u32; 2])> = Vec::new();
    for r in reads {
        let b = (r.t - t0) / BIN_MS;
        if bins.last().is_none_or(|l| l.0 != b) {
            bins.push((b, [NO_RSSI; 2], [0; 2]));
        }
        let last = bins.last_mut().expect("pushed");
        let s = r.side as usize;
        last.1[s] = last.1[s].max(r.rssi);
        last.2[s] += 1;
    }
    let mut out = Vec::with_capacity(bins.len());
    for (i, &(b, _, _)) in bins.iter().enumerate() {
        let mut strongest = [NO_RSSI; 2];
        let mut count = [0u32; 2];
        for &(b2, s, c) in bins[i.saturating_sub(1)..(i + 2).min(bins.len())].iter() {
            if b2 + 1 >= b && b2 <= b + 1 {
                for side in 0..2 {
                    strongest[side] = strongest[side].max(s[side]);
                    count[side] += c[side];
                }
            }
        }
        let db = match weakest {
            Some(weakest) => {
                let level = |side: usize| {
                    if strongest[side] != NO_RSSI {
                        f32::from(strongest[side])
                    } else {
                        f32::from(weakest) - SILENT_SIDE_DB
                    }
                };
                level(INSIDE) - level(OUTSIDE)
            }
            None => {
                let (i, o) = (count[INSIDE] as f32, count[OUTSIDE] as f32);
                CLAMP_DB * (i - o) / (i + o)
            }
        };
        out.push(Bin {
            t: t0 + b * BIN_MS + BIN_MS / 2,
            db: db.clamp(-CLAMP_DB, CLAMP_DB),
        });
    }
    out
}

/// Where the evidence best splits into a before and an after.
struct Split {
    /// Index of the first bin after.
    at: usize,
    before: f32,
    after: f32,
}

/// The split that maximises the difference of means weighted by how many bins back each
/// side (the CUSUM statistic for one change in the mean), each part at least
/// [`MIN_PART_BINS`] long. `None` for a track too short for two parts.
fn change_point(bins: &[Bin]) -> Option<Split> {
    let n = bins.len();
    if n < 2 * MIN_PART_BINS {
        return None;
    }
    let total: f32 = bins.iter().map(|b| b.db).sum();
    let mut best: Option<(f32, Split)> = None;
    let mut sum = 0.0;
    for k in 1..n {
        sum += bins[k - 1].db;
        if k < MIN_PART_BINS || n - k < MIN_PART_BINS {
            continue;
        }
        let before = sum / k as f32;
        let after = (total - sum) / (n - k) as f32;
        let weight = ((k * (n - k)) as f32 / n as f32).sqrt();
        let stat = (before - after).abs() * weight;
        if best.as_ref().is_none_or(|(s, _)| stat > *s) {
            best = Some((
                stat,
                Split {
                    at: k,
                    before,
                    after,
                },
            ));
        }
    }
    best.map(|(_, s)| s)
}

/// A sure passage judged lately at a gate, with the span of its track: what a tag that
/// travelled with it (on the same trolley, in the same box) looked like at the door.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Companion {
    pub direction: Direction,
    /// The crossing moment, engine ms.
    pub at: u32,
    /// First and last read of its track, engine ms.
    pub first: u32,
    pub last: u32,
    pub confidence: f32,
    /// How far (dB) its own side balance moved at its crossing (see [`step`]): what this
    /// door makes of a crossing now.
    pub step: f32,
    /// How each antenna heard it around its crossing (see [`Profile::around`]).
    pub profile: Profile,
}

/// The antennas a profile tells apart: a portal has four, a wide one eight.
const PROFILE_ANTENNAS: usize = 8;

/// How a tag was heard by each antenna of a gate around a moment: the mean RSSI per antenna
/// port. Two loads crossing side by side are nearer one jamb each, so each jamb's antennas
/// hear one load louder than the other, while the tags of one load are heard alike
/// (a tag's own gain shifts every antenna's level by the same amount, which
/// [`Profile::distance`] takes out).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Profile {
    /// (antenna port, mean RSSI dBm); the first `len` entries are used.
    levels: [(u8, f32); PROFILE_ANTENNAS],
    len: u8,
}

impl Profile {
    /// The profile of `reads` within [`STEP_WINDOW_MS`] of `at`; antennas with fewer than
    /// [`MIN_PROFILE_READS`] reads there are left out.
    pub fn around(reads: &[GateRead], at: u32) -> Profile {
        let mut sums: [(u8, f32, u32); PROFILE_ANTENNAS] = [(0, 0.0, 0); PROFILE_ANTENNAS];
        let mut used = 0;
        for r in reads
            .iter()
            .filter(|r| r.rssi != NO_RSSI && r.t.abs_diff(at) <= STEP_WINDOW_MS)
        {
            let i = match sums[..used].iter().position(|s| s.0 == r.antenna) {
                Some(i) => i,
                None if used < PROFILE_ANTENNAS => {
                    used += 1;
                    sums[used - 1].0 = r.antenna;
                    used - 1
                }
                None => continue,
            };
            sums[i].1 += f32::from(r.rssi);
            sums[i].2 += 1;
        }
        let mut p = Profile::default();
        for &(port, sum, n) in &sums[..used] {
            if n >= MIN_PROFILE_READS {
                p.levels[usize::from(p.len)] = (port, sum / n as f32);
                p.len += 1;
            }
        }
        p
    }

    /// How differently (dB) two profiles heard their tags, once each tag's own gain is
    /// taken out: the mean absolute difference of the antennas' levels about their mean
    /// difference, over the antennas both heard. `None` with fewer than
    /// [`MIN_PROFILE_ANTENNAS`] in common.
    pub fn distance(&self, other: &Profile) -> Option<f32> {
        let mut diffs = [0f32; PROFILE_ANTENNAS];
        let mut n = 0;
        for &(port, level) in &self.levels[..usize::from(self.len)] {
            if let Some(&(_, o)) = other.levels[..usize::from(other.len)]
                .iter()
                .find(|(p, _)| *p == port)
            {
                diffs[n] = level - o;
                n += 1;
            }
        }
        if n < MIN_PROFILE_ANTENNAS {
            return None;
        }
        let mean = diffs[..n].iter().sum::<f32>() / n as f32;
        Some(diffs[..n].iter().map(|d| (d - mean).abs()).sum::<f32>() / n as f32)
    }
}

/// Antennas two profiles must have in common to be compared: with two, a tag hidden from
/// one side compares only that side's two antennas, which a load on the other jamb can
/// match by chance.
const MIN_PROFILE_ANTENNAS: usize = 3;
/// Reads an antenna needs within a profile's window to count in it.
const MIN_PROFILE_READS: u32 = 3;
/// Where loads cross each way at once, a track whose antennas' levels are this much (dB)
/// closer to one load's than to the other's, and whose levels also step that load's way,
/// travelled with it.
const PROFILE_DB: f32 = 3.0;

/// Tags that travel together reach the edge of the field within this much (ms) of each
/// other: a trolley's tags differ in gain and in where they sit on it, not in when they come.
const TOGETHER_MS: u32 = 2_000;
/// Reads a track needs before a companion's passage can speak for it.
const MIN_COMPANION_READS: usize = 3;
/// The windows either side of a companion's crossing in which a track's levels are
/// compared (ms): a trolley's tags cross within a second of each other, and a tag behind
/// an antenna falls out of its reach within a second or two.
const STEP_WINDOW_MS: u32 = 1_500;
/// Bins (ms) of the step's levels: two cycles of a four-antenna portal, so each side has
/// had two turns.
const STEP_BIN_MS: u32 = 2 * BIN_MS;

/// How far (dB) the side balance of a track must move the companion's way at its crossing
/// for the companion to speak for the track: the side left falls behind its antennas, the
/// side entered comes in front of its own. Tags on one trolley see the same door.
const STEP_SURE_DB: f32 = 6.0;
/// Below [`STEP_SURE_DB`] but at least this, the lent passage is asked, not acted on.
const STEP_ASK_DB: f32 = 3.0;
/// A companion speaks surely by the step alone only where its own crossing moved its side
/// balance by at least this (dB): at a door whose antennas hear through the doorway
/// (front-to-back 4 dB) a sure crossing moves it 2–11 dB, no more than noise and silence
/// move a tag heard on one side.
const COMPANION_STEP_DB: f32 = 12.0;
/// Where loads cross each way at once, a track must follow one of them by this many times
/// [`STEP_SURE_DB`] to be sure which it travelled with.
const CONTESTED_FACTOR: f32 = 3.0;

/// The passage of a track that could not be judged sure on its own (heard on one side only,
/// through an orientation null or a shadow on the trolley; or too weakly to be sure), taken
/// from a sure passage of tags that travelled with it. The track must lie within their
/// span at the door (not heard long before they came, nor long after they left) and be
/// heard around their crossing; and its own levels must step the way their crossing goes:
/// the side they left weaker after it (behind its antennas, or out of their reach), the side
/// they entered stronger. A tag left behind at the door keeps its level and never fits; a
/// tag on a load crossing the other way at the same moment steps the other way. Where the
/// step is too small to be sure, the lent passage is asked. `own` is the track's own,
/// unsure judgment, which must agree. Of several companions, the one whose crossing the
/// track follows best speaks; if companions went each way, it must follow one clearly, and
/// is sure only by a large step or where each antenna heard it as it heard that load.
pub fn with_companions(
    track: &GateTrack,
    own: Option<Passage>,
    companions: &[Companion],
) -> Option<Passage> {
    let (first, last) = (track.first()?, track.last());
    if track.reads.len() < MIN_COMPANION_READS {
        return None;
    }
    // Companions whose comings and goings match the track's.
    let timed = companions.iter().filter(|c| {
        first.saturating_add(TOGETHER_MS) >= c.first
            && last <= c.last.saturating_add(TOGETHER_MS)
            && first < c.at.saturating_add(STEP_WINDOW_MS)
            && last.saturating_add(STEP_WINDOW_MS) > c.at
    });
    // Per direction (Out, In): the companion whose crossing the track's levels follow best,
    // and how far (dB) they follow it.
    let mut best: [Option<(Companion, f32)>; 2] = [None, None];
    for c in timed {
        let Some(step) = step(&track.reads, c.at, c.direction) else {
            continue;
        };
        let d = usize::from(c.direction == Direction::In);
        if best[d].is_none_or(|(b, s)| step > s || (step == s && c.confidence > b.confidence)) {
            best[d] = Some((*c, step));
        }
    }
    // Two loads crossing at once, one each way, come and go together: a track must follow
    // one of them clearly better than the other, and by [`CONTESTED_FACTOR`] times as much
    // to be sure.
    let contested = best.iter().all(Option::is_some);
    // Where both went, the antennas' levels may tell which load the track was part of.
    let mut placed = false;
    let (c, step) = match best {
        [Some(o), Some(i)] => {
            let (won, lost) = if o.1 >= i.1 { (o, i) } else { (i, o) };
            if won.1 - lost.1.max(0.0) < STEP_ASK_DB {
                return None;
            }
            let profile = Profile::around(&track.reads, won.0.at);
            let nearest = |d: Direction| {
                companions
                    .iter()
                    .filter(|c| c.direction == d && c.at.abs_diff(won.0.at) <= TOGETHER_MS)
                    .filter_map(|c| profile.distance(&c.profile))
                    .reduce(f32::min)
            };
            if let (Some(near), Some(far)) = (nearest(won.0.direction), nearest(lost.0.direction)) {
                placed = far - near >= PROFILE_DB;
            }
            won
        }
        [Some(b), None] | [None, Some(b)] => b,
        [None, None] => return None,
    };
    if step < STEP_ASK_DB || own.is_some_and(|p| p.direction != c.direction) {
        return None;
    }
    let sure = STEP_SURE_DB
        * if contested && !placed {
            CONTESTED_FACTOR
        } else {
            1.0
        };
    // A track whose own reads already judged that way, only not surely, needs no more than
    // its load's timing.
    let agrees =
        own.is_some_and(|p| p.at.abs_diff(c.at) <= STEP_WINDOW_MS) && (!contested || placed);
    let turned = !contested && c.step >= STEP_SURE_DB && turned_with(&track.reads, c.at);
    let confidence = if agrees || turned || (step >= sure && c.step >= COMPANION_STEP_DB) {
        c.confidence
    } else {
        c.confidence.min(0.5)
    };
    Some(Passage {
        direction: c.direction,
        at: c.at,
        confidence,
    })
}

/// Whether a track came toward the antennas and went away again around `at` (engine ms),
/// by at least [`TURN_Z`] standard errors (see [`came_and_went`]).
fn turned_with(reads: &[GateRead], at: u32) -> bool {
    came_and_went(&motions(reads), at).is_some_and(|z| z >= TURN_Z)
}

/// How far (dB) a track's side balance moves toward `direction` at `at`: the level of the
/// side left, before less after, plus that of the side entered, after less before. A side's
/// level in a window is the mean over its bins of the strongest read, a bin where it heard
/// nothing counting [`SILENT_SIDE_DB`] below the track's weakest read. `None` without RSSI.
pub fn step(reads: &[GateRead], at: u32, direction: Direction) -> Option<f32> {
    let weakest = reads
        .iter()
        .filter(|r| r.rssi != NO_RSSI)
        .map(|r| r.rssi)
        .min()?;
    const BINS: usize = (STEP_WINDOW_MS / STEP_BIN_MS) as usize;
    // Engine ms may start later than a window before the crossing.
    let start = i64::from(at) - i64::from(STEP_WINDOW_MS);
    // [part][side][bin]: strongest RSSI.
    let mut strongest = [[[NO_RSSI; BINS]; 2]; 2];
    for r in reads.iter().filter(|r| r.rssi != NO_RSSI) {
        let Ok(b) = usize::try_from((i64::from(r.t) - start).div_euclid(i64::from(STEP_BIN_MS)))
        else {
            continue;
        };
        let (part, bin) = (b / BINS, b % BINS);
        if part > 1 {
            break;
        }
        let s = &mut strongest[part][usize::from(r.side)][bin];
        *s = (*s).max(r.rssi);
    }
    let level = |part: usize, side: usize| {
        strongest[part][side]
            .iter()
            .map(|&r| {
                if r == NO_RSSI {
                    f32::from(weakest) - SILENT_SIDE_DB
                } else {
                    f32::from(r)
                }
            })
            .sum::<f32>()
            / BINS as f32
    };
    let (left, entered) = match direction {
        Direction::Out => (INSIDE, OUTSIDE),
        Direction::In => (OUTSIDE, INSIDE),
    };
    Some(level(0, left) - level(1, left) + level(1, entered) - level(0, entered))
}

/// Two reads of one antenna on one channel at most this far apart (ms) give a radial
/// velocity from their phases: within one antenna's dwell, where the phase of anything
/// slower than 3 m/s turns less than half a turn.
const MOTION_PAIR_MS: u32 = 25;
/// Reads closer than this (ms) are too close for the engine's millisecond clock to time.
const MOTION_MIN_MS: u32 = 2;
/// A UHF wavelength (m) near 915 MHz: the phase turns once per half of it of distance.
const WAVELENGTH_M: f32 = 0.33;
/// Radial velocities beyond this (m/s) are a phase jump (a reflection taking over), not
/// motion; they are clamped so that one cannot outvote many.
const MAX_SPEED_M_S: f32 = 3.0;
/// Motions each of coming and going needs.
const MIN_TURN_MOTIONS: usize = 4;

/// How fast a tag moved toward or away from one antenna at one moment, from the change of
/// the RF phase between two reads (m/s, positive away from the antenna).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Motion {
    /// Engine ms, between the two reads.
    pub t: u32,
    pub antenna: u8,
    pub speed: f32,
}

/// The radial velocities of a track, in time order: each read with a phase against the
/// last read of its antenna (side and port), where both are on one reported channel and
/// [`MOTION_MIN_MS`]..=[`MOTION_PAIR_MS`] apart. The phase turns once per half a
/// wavelength of distance (Impinj's convention: it grows as the tag moves away).
pub fn motions(reads: &[GateRead]) -> Vec<Motion> {
    let mut last: [Option<GateRead>; PROFILE_ANTENNAS] = [None; PROFILE_ANTENNAS];
    let mut ports = [(0u8, 0u8); PROFILE_ANTENNAS];
    let mut used = 0;
    let mut out = Vec::new();
    for r in reads
        .iter()
        .filter(|r| r.phase != NO_PHASE && r.channel != 0)
    {
        let port = (r.side, r.antenna);
        let i = match ports[..used].iter().position(|&p| p == port) {
            Some(i) => i,
            None if used < PROFILE_ANTENNAS => {
                ports[used] = port;
                used += 1;
                used - 1
            }
            None => continue,
        };
        if let Some(p) = last[i] {
            let dt = r.t.saturating_sub(p.t);
            if p.channel == r.channel && (MOTION_MIN_MS..=MOTION_PAIR_MS).contains(&dt) {
                let turns = (i32::from(r.phase) - i32::from(p.phase)).rem_euclid(4096);
                let turns = if turns > 2048 { turns - 4096 } else { turns } as f32 / 4096.0;
                let speed = turns * WAVELENGTH_M / 2.0 / (dt as f32 / 1000.0);
                out.push(Motion {
                    t: p.t + dt / 2,
                    antenna: r.antenna,
                    speed: speed.clamp(-MAX_SPEED_M_S, MAX_SPEED_M_S),
                });
            }
        }
        last[i] = Some(*r);
    }
    out
}

/// How surely (standard errors) a track came toward its antennas in the
/// [`STEP_WINDOW_MS`] before `at` (engine ms) and went away from them in the same time
/// after, as a tag on a load crossing then does: the mean radial velocity before must be
/// approaching and the mean after receding, each from at least [`MIN_TURN_MOTIONS`]
/// motions, and the change between them is measured against their spread. `None`
/// otherwise: a still tag, one that only came or only went then, too few motions.
pub fn came_and_went(motions: &[Motion], at: u32) -> Option<f32> {
    let near = |after: bool| -> Vec<f32> {
        motions
            .iter()
            .filter(|m| (m.t >= at) == after && m.t.abs_diff(at) <= STEP_WINDOW_MS)
            .map(|m| m.speed)
            .collect()
    };
    let (b, a) = (near(false), near(true));
    if b.len() < MIN_TURN_MOTIONS || a.len() < MIN_TURN_MOTIONS {
        return None;
    }
    let mean = |v: &[f32]| v.iter().sum::<f32>() / v.len() as f32;
    let (before, after) = (mean(&b), mean(&a));
    if before >= 0.0 || after <= 0.0 {
        return None;
    }
    let ss: f32 = b.iter().map(|v| (v - before).powi(2)).sum::<f32>()
        + a.iter().map(|v| (v - after).powi(2)).sum::<f32>();
    let sd = (ss / (b.len() + a.len() - 2) as f32).sqrt().max(0.05);
    Some((after - before) / (sd * (1.0 / b.len() as f32 + 1.0 / a.len() as f32).sqrt()))
}

/// How sure (standard errors) coming and going must be to speak.
const TURN_Z: f32 = 3.0;

/// A gate batch still open to new passages (engine ms). Passages are judged only once a
/// tag has gone quiet, seconds after it crossed; so a batch takes passages by crossing time
/// but closes by judging time: `batch_gap_ms` after the last passage judged into it.
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

    /// A track from (side, ms, rssi) reads.
    fn track(reads: &[(usize, u32, i8)]) -> GateTrack {
        let mut t = GateTrack::new(0);
        for &(side, at, rssi) in reads {
            t.record(side, at, ReadSignal::rssi(Some(rssi), side as u16 + 1));
        }
        t
    }

    /// A tag walking through a portal with front-to-back ratio `fb` dB: x from -4 m to
    /// +4 m (or back), reads every 25 ms alternating sides.
    fn walk(fb: f32, out: bool, turn_back: bool) -> GateTrack {
        let mut reads = Vec::new();
        let steps = 320u32;
        for i in 0..steps {
            let s = i as f32 / steps as f32;
            let mut x = -4.0 + 8.0 * s;
            if turn_back {
                x = -4.0 + 4.0 * (1.0 - (2.0 * s - 1.0).abs());
            }
            if !out {
                x = -x;
            }
            let side = (i / 2 % 2) as usize;
            let front = if side == INSIDE { x < 0.0 } else { x > 0.0 };
            let d = x.abs().max(0.3);
            let rssi = -45.0 - 40.0 * d.log10() - if front { 0.0 } else { fb };
            // Deterministic "noise" of ±2 dB.
            let noise = ((i * 7919) % 9) as f32 / 2.0 - 2.0;
            let rssi = rssi + noise;
            if rssi > -80.0 {
                reads.push((side, i * 25, rssi as i8));
            }
        }
        track(&reads)
    }

    #[test]
    fn inside_then_outside_is_out() {
        let p = judge(&walk(12.0, true, false), 2).unwrap();
        assert_eq!(p.direction, Direction::Out);
        assert!((3_800..=4_200).contains(&p.at), "{}", p.at);
        assert!(p.confidence >= 0.9, "{}", p.confidence);
    }

    #[test]
    fn outside_then_inside_is_in() {
        let p = judge(&walk(12.0, false, false), 2).unwrap();
        assert_eq!(p.direction, Direction::In);
        assert!(p.confidence >= 0.9, "{}", p.confidence);
    }

    #[test]
    fn a_weak_portal_still_tells_the_direction() {
        let p = judge(&walk(4.0, true, false), 2).unwrap();
        assert_eq!(p.direction, Direction::Out);
    }

    #[test]
    fn turning_back_passes_nothing() {
        for fb in [4.0, 8.0, 18.0] {
            for out in [true, false] {
                let p = judge(&walk(fb, out, true), 2);
                assert!(
                    p.is_none_or(|p| p.confidence < 0.5),
                    "{fb} dB, {out}: {p:?}"
                );
            }
        }
    }

    #[test]
    fn standing_in_the_doorway_and_going_back_is_asked_not_acted_on() {
        // Pushed in from outside, stopped in the doorway for 8 s where the inside antennas
        // hear it in full and the outside ones from behind, then wheeled back out.
        let mut reads = Vec::new();
        for i in 0..30u32 {
            reads.push((OUTSIDE, i * 100, -60 + (i % 3) as i8));
        }
        for i in 0..160u32 {
            reads.push((INSIDE, 3_000 + i * 50, -58 + (i % 5) as i8 - 2));
            if i % 4 == 0 {
                reads.push((OUTSIDE, 3_010 + i * 50, -72));
            }
        }
        for i in 0..20u32 {
            reads.push((OUTSIDE, 11_000 + i * 100, -58 + (i % 3) as i8));
        }
        let p = judge(&track(&reads), 2);
        assert!(p.is_none_or(|p| p.confidence < 0.9), "{p:?}");
        // Without the way back it is a passage in.
        let p = judge(&track(&reads[..reads.len() - 20]), 2).expect("a passage in");
        assert_eq!(p.direction, Direction::In);
        assert!(p.confidence >= 0.9, "{}", p.confidence);
    }

    #[test]
    fn a_track_begun_as_the_reader_started_may_begin_in_the_doorway() {
        // The reader starts while a trolley stands in the doorway, just past the door
        // plane (heard a little better outside); it is pulled back in for a moment, then
        // wheeled out.
        let mut reads = Vec::new();
        for i in 0..10u32 {
            reads.push((OUTSIDE, i * 100, -60));
            reads.push((INSIDE, i * 100 + 50, -63));
        }
        for i in 0..30u32 {
            reads.push((INSIDE, 1_000 + i * 100, -56 + (i % 3) as i8));
            reads.push((OUTSIDE, 1_050 + i * 100, -72));
        }
        for i in 0..30u32 {
            reads.push((OUTSIDE, 4_000 + i * 100, -56 + (i % 3) as i8));
            reads.push((INSIDE, 4_050 + i * 100, -72));
        }
        let heard = track(&reads);
        let p = judge(&heard, 2);
        assert!(p.is_none_or(|p| p.confidence < 0.9), "{p:?}");
        let joined = GateTrack {
            joined: true,
            ..heard
        };
        let p = judge(&joined, 2).expect("a passage out");
        assert_eq!(p.direction, Direction::Out);
        assert!(p.confidence >= 0.9, "{}", p.confidence);
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
        let mut reads = Vec::new();
        for i in 0..400u32 {
            let side = (i % 2) as usize;
            let rssi = if side == INSIDE { -52 } else { -62 } + (i % 5) as i8 - 2;
            reads.push((side, i * 50, rssi));
        }
        assert_eq!(judge(&track(&reads), 2), None);
    }

    #[test]
    fn walking_along_the_door_outside_is_asked_not_acted_on() {
        // Beside the opening, the inside antennas hear the tag from behind, weakly and now
        // and then; in front of the opening the outside antennas hear it in full.
        let mut reads = Vec::new();
        for i in 0..20u32 {
            reads.push((INSIDE, i * 100, -70 + (i % 3) as i8));
        }
        for i in 0..60u32 {
            reads.push((OUTSIDE, 2_000 + i * 50, -52 + (i % 5) as i8 - 2));
        }
        let t = track(&reads);
        let p = judge(&t, 2).expect("the sides' balance flipped");
        assert_eq!(p.direction, Direction::Out);
        assert!(p.confidence < 0.9, "{}", p.confidence);
        // The same flip at matching levels is a crossing.
        let mut reads = Vec::new();
        for i in 0..20u32 {
            reads.push((INSIDE, i * 100, -55 + (i % 3) as i8));
        }
        for i in 0..60u32 {
            reads.push((OUTSIDE, 2_000 + i * 50, -52 + (i % 5) as i8 - 2));
        }
        let p = judge(&track(&reads), 2).expect("a crossing");
        assert_eq!(p.direction, Direction::Out);
        assert!(p.confidence >= 0.9, "{}", p.confidence);
    }

    #[test]
    fn a_tag_heard_on_one_side_passes_nothing() {
        let reads: Vec<_> = (0..50u32).map(|i| (INSIDE, i * 20, -50)).collect();
        assert_eq!(judge(&track(&reads), 2), None);
    }

    #[test]
    fn without_rssi_the_read_balance_decides() {
        let mut t = GateTrack::new(0);
        for i in 0..100u32 {
            let side = if i < 50 { i % 5 == 0 } else { i % 5 != 0 };
            t.record(usize::from(side), i * 40, ReadSignal::rssi(None, 1));
        }
        let p = judge(&t, 2).unwrap();
        assert_eq!(p.direction, Direction::Out);
    }

    /// A sure outward passage of a trolley first heard at 0 ms, crossing at 4 s, last
    /// heard at 8 s.
    const TROLLEY_OUT: Companion = Companion {
        direction: Direction::Out,
        at: 4_000,
        first: 0,
        last: 8_000,
        confidence: 0.99,
        step: 30.0,
        profile: Profile {
            levels: [(0, 0.0); PROFILE_ANTENNAS],
            len: 0,
        },
    };

    /// A tag of that trolley hidden from the outside antennas: heard inside, louder as it
    /// comes to the door, then not at all.
    fn hidden_from_outside(until: u32) -> GateTrack {
        let reads: Vec<_> = (0..until / 100)
            .map(|i| (INSIDE, 300 + i * 100, (-75 + (i / 2) as i32).min(-50) as i8))
            .collect();
        track(&reads)
    }

    #[test]
    fn a_tag_heard_on_one_side_crosses_with_the_load_it_travelled_with() {
        let t = hidden_from_outside(3_900);
        assert_eq!(judge(&t, 2), None);
        let p = with_companions(&t, None, &[TROLLEY_OUT]).expect("lent");
        assert_eq!(p.direction, Direction::Out);
        assert_eq!(p.at, TROLLEY_OUT.at);
        // With no sure companion there is nothing to lend.
        assert_eq!(with_companions(&t, None, &[]), None);
    }

    #[test]
    fn a_tag_left_behind_at_the_door_does_not_cross_with_its_load() {
        // Heard inside on and on after the trolley crossed: taken off at the door.
        let t = hidden_from_outside(7_900);
        assert_eq!(with_companions(&t, None, &[TROLLEY_OUT]), None);
    }

    #[test]
    fn a_tag_that_came_later_and_never_changed_is_at_most_asked() {
        // Heard at one level from 2.5 s until the crossing: it may have ridden the load,
        // hidden until then, or stood by the door; only a person can tell.
        let reads: Vec<_> = (0..30u32).map(|i| (INSIDE, 2_500 + i * 50, -60)).collect();
        let lent = with_companions(&track(&reads), None, &[TROLLEY_OUT]);
        assert!(lent.is_none_or(|p| p.confidence <= 0.5), "{lent:?}");
    }

    #[test]
    fn a_tag_heard_on_the_side_entered_before_the_crossing_does_not_fit() {
        let reads: Vec<_> = (0..36u32).map(|i| (OUTSIDE, 300 + i * 100, -55)).collect();
        assert_eq!(with_companions(&track(&reads), None, &[TROLLEY_OUT]), None);
    }

    #[test]
    fn a_tag_hidden_from_the_side_it_left_crosses_with_its_load() {
        // Coming in, hidden from the outside antennas: the inside antennas hear it faintly
        // through their backs, then loudly once it is in front of them.
        let trolley_in = Companion {
            direction: Direction::In,
            ..TROLLEY_OUT
        };
        let reads: Vec<_> = (0..60u32)
            .map(|i| {
                let t = 2_000 + i * 100;
                (INSIDE, t, if t < 4_000 { -74 } else { -52 })
            })
            .collect();
        let t = track(&reads);
        let p = with_companions(&t, None, &[trolley_in]).expect("lent");
        assert_eq!(p.direction, Direction::In);
        assert_eq!(p.confidence, trolley_in.confidence);
        // The load going out would have left it stronger inside, not weaker.
        assert_eq!(with_companions(&t, None, &[TROLLEY_OUT]), None);
    }

    #[test]
    fn at_a_door_that_hardly_tells_the_sides_a_lent_passage_is_asked() {
        let t = hidden_from_outside(3_900);
        let poor = Companion {
            step: 5.0,
            ..TROLLEY_OUT
        };
        let p = with_companions(&t, None, &[poor]).expect("asked");
        assert_eq!(p.direction, Direction::Out);
        assert!(p.confidence <= 0.5, "{p:?}");
    }

    /// A tag pushed along `x(t)` (metres from the door plane, t in engine ms) at 0.3 m
    /// beside the middle of the door, heard by the inside antennas only (an orientation
    /// null hides it from the outside ones) at `rssi(t)`: reads every 8 ms, the antennas
    /// taking turns of 25 ms, the channel hopping every 300 ms, each read with the phase of
    /// its distance to its antenna (once round per half wavelength) when `phase` is set.
    fn heard_inside(
        from: u32,
        to: u32,
        x: impl Fn(u32) -> f32,
        rssi: impl Fn(u32) -> i8,
        phase: bool,
    ) -> GateTrack {
        let mut track = GateTrack::new(0);
        for t in (from..to).step_by(8) {
            let antenna = 1 + (t / 25 % 2) as u16;
            let jamb = if antenna == 1 { -1.65f32 } else { 1.65 };
            let (dx, dy, dz) = (x(t) + 0.15, 0.3 - jamb, -0.4f32);
            let d = (dx * dx + dy * dy + dz * dz).sqrt();
            let turns = (2.0 * d / WAVELENGTH_M).fract();
            let signal = ReadSignal {
                rssi: Some(rssi(t)),
                antenna,
                channel: Some((t / 300 % 16) as u16),
                phase: phase.then_some((turns * 4096.0) as u16 % 4096),
            };
            track.record(INSIDE, t, signal);
        }
        track
    }

    #[test]
    fn phases_tell_how_fast_a_tag_comes_and_goes() {
        // Walking away from the door at 1.2 m/s, then toward it.
        let away = heard_inside(
            1_000,
            3_000,
            |t| -0.5 - 1.2 * t as f32 / 1000.0,
            |_| -60,
            true,
        );
        let ms = motions(&away.reads);
        assert!(ms.len() > 100, "{}", ms.len());
        // Radial speed is the walk's, less the angle to the antennas on the jambs.
        assert!(ms.iter().all(|m| (0.3..1.3).contains(&m.speed)), "{ms:?}");
        let toward = heard_inside(
            1_000,
            3_000,
            |t| -4.5 + 1.2 * t as f32 / 1000.0,
            |_| -60,
            true,
        );
        assert!(motions(&toward.reads)
            .iter()
            .all(|m| (-1.3..-0.3).contains(&m.speed)));
        // Without phase there is nothing to tell; a still tag neither comes nor goes.
        let unphased = heard_inside(1_000, 3_000, |_| -1.0, |_| -60, false);
        assert!(motions(&unphased.reads).is_empty());
        let still = heard_inside(1_000, 3_000, |_| -1.0, |_| -60, true);
        assert!(motions(&still.reads).iter().all(|m| m.speed == 0.0));
        assert_eq!(came_and_went(&motions(&still.reads), 2_000), None);
        // Coming, then going, around the moment it was nearest.
        let past = heard_inside(
            1_000,
            3_000,
            |t| (t as f32 - 2_000.0) / 1000.0 * 1.2,
            |_| -60,
            true,
        );
        assert!(came_and_went(&motions(&past.reads), 2_000).is_some_and(|z| z >= TURN_Z));
        assert_eq!(came_and_went(&motions(&toward.reads), 2_000), None);
    }

    #[test]
    fn a_tag_that_came_and_went_as_its_load_crossed_crosses_with_it_at_a_door_that_barely_tells() {
        // At a door whose own crossings move the side balance by 8 dB, a tag hidden from
        // the outside whose inside level falls 4 dB as its load crosses is only asked...
        let poor = Companion {
            step: 8.0,
            ..TROLLEY_OUT
        };
        let pushed = |t: u32| (t as f32 - 4_000.0) / 1000.0 * 1.2;
        let level = |t: u32| if t < 4_000 { -60 } else { -64 };
        let unphased = heard_inside(1_000, 6_500, pushed, level, false);
        assert_eq!(judge(&unphased, 2), None);
        let p = with_companions(&unphased, None, &[poor]).expect("asked");
        assert!(p.confidence <= 0.5, "{p:?}");
        // ... unless its phases say it came nearest the door as the load crossed, and went.
        let phased = heard_inside(1_000, 6_500, pushed, level, true);
        let p = with_companions(&phased, None, &[poor]).expect("lent");
        assert_eq!(p.direction, Direction::Out);
        assert_eq!(p.confidence, poor.confidence);
        // A tag standing by the door, or one that turned two seconds before the load
        // crossed, is still asked.
        let still = heard_inside(1_000, 6_500, |_| -0.5, level, true);
        assert!(with_companions(&still, None, &[poor]).is_none_or(|p| p.confidence <= 0.5));
        let early = |turned: u32| {
            let x = move |t: u32| -((t as f32 - turned as f32) / 1000.0 * 1.2).abs() - 0.2;
            heard_inside(1_000, 6_500, x, level, true)
        };
        for turned in [2_000, 3_000] {
            let lent = with_companions(&early(turned), None, &[poor]);
            assert!(
                lent.is_none_or(|p| p.confidence <= 0.5),
                "{turned}: {lent:?}"
            );
        }
        // Nor is the phase heard where the load's own crossing barely moved its balance.
        let poorer = Companion {
            step: 5.0,
            ..TROLLEY_OUT
        };
        let lent = with_companions(&phased, None, &[poorer]);
        assert!(lent.is_none_or(|p| p.confidence <= 0.5), "{lent:?}");
        // Where loads cross each way at once, coming and going is what both did: asked.
        let other = Companion {
            direction: Direction::In,
            ..poor
        };
        assert!(with_companions(&phased, None, &[poor, other]).is_none_or(|p| p.confidence <= 0.5));
    }

    #[test]
    fn loads_crossing_each_way_at_once_decide_only_what_clearly_follows_one() {
        let trolley_in = Companion {
            direction: Direction::In,
            ..TROLLEY_OUT
        };
        let companions = [TROLLEY_OUT, trolley_in];
        // Heard inside until the crossing, then silent: it went out.
        let t = hidden_from_outside(3_900);
        let p = with_companions(&t, None, &companions).expect("follows the load out");
        assert_eq!(p.direction, Direction::Out);
        // The same level throughout, heard on after both crossings: it follows neither.
        let reads: Vec<_> = (0..60u32).map(|i| (INSIDE, 2_000 + i * 100, -60)).collect();
        assert_eq!(with_companions(&track(&reads), None, &companions), None);
        // An unsure judgment of its own that one load contradicts is not overruled.
        let own = Passage {
            direction: Direction::In,
            at: 4_000,
            confidence: 0.5,
        };
        assert_eq!(with_companions(&t, Some(own), &companions), None);
    }

    /// Reads every 25 ms cycling antennas 1–2 (inside) and 3–4 (outside) from 2 s to 6 s,
    /// each antenna at its level before 4 s and after.
    fn by_antenna(before: [i8; 4], after: [i8; 4]) -> GateTrack {
        let mut t = GateTrack::new(0);
        for i in 0..160u32 {
            let at = 2_000 + i * 25;
            let a = (i % 4) as usize;
            let rssi = if at < 4_000 { before[a] } else { after[a] };
            t.record(a / 2, at, ReadSignal::rssi(Some(rssi), a as u16 + 1));
        }
        t
    }

    #[test]
    fn of_loads_crossing_each_way_the_antennas_levels_tell_which_a_tag_rode_with() {
        // Side by side, the load going out passes nearer the jamb of antennas 1 and 3, the
        // load coming in nearer that of 2 and 4.
        let out = Companion {
            profile: Profile::around(
                &by_antenna([-50, -65, -68, -83], [-68, -83, -50, -65]).reads,
                4_000,
            ),
            ..TROLLEY_OUT
        };
        let came_in = Companion {
            direction: Direction::In,
            profile: Profile::around(
                &by_antenna([-83, -68, -65, -50], [-65, -50, -83, -68]).reads,
                4_000,
            ),
            ..TROLLEY_OUT
        };
        let companions = [out, came_in];
        // A tag of the load going out whose levels step only 10 dB: on its own too little
        // to be sure where two loads cross, but its antennas hear it as they hear that load.
        let t = by_antenna([-58, -73, -63, -78], [-63, -78, -58, -73]);
        let p = with_companions(&t, None, &companions).expect("follows the load out");
        assert_eq!(p.direction, Direction::Out);
        assert!(p.confidence >= 0.9, "{p:?}");
        // The same step heard alike by both jambs: it could be either load's, so it is asked.
        let t = by_antenna([-58, -58, -63, -63], [-63, -63, -58, -58]);
        let p = with_companions(&t, None, &companions).expect("asked");
        assert_eq!(p.direction, Direction::Out);
        assert!(p.confidence <= 0.5, "{p:?}");
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
