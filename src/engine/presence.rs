//! Zone presence: which zone a tag is in, decided by the evidence of its reads.
//!
//! Per tag the engine keeps two zones: `a`, where the tag is observed (or the leading
//! candidate before it is), and `b`, the zone contending with it (the strongest other zone
//! reading it lately). Each has *evidence*: the linear power of the zone's reads of the tag,
//! summed over an exponential window and kept as its logarithm (1/64 dB). A zone that reads
//! the tag more often or more strongly has more; per-read noise and per-channel fading
//! average out over the window. Evidence fades two ways: by silence (4.3 dB a window at a
//! door; on shelves, where a tag waits its turn among many, a quarter of that), and by the
//! other zone's reads (each costs it 0.25 dB on shelves: reads are votes). The contender's
//! *lead* is its evidence less that of `a`, in dB.
//!
//! Decisions integrate the lead over time (CUSUM-style, so a brief excursion is forgotten
//! and a sustained one is not): with `c` half the cross-read margin,
//!
//! | state | integrates | decides, once the integral reaches the threshold |
//! |---|---|---|
//! | observed in `a` | lead − 2c | moved to `b` (about three windows at a lead of 3c), if the lead is a jump; else between |
//! | observed in `a` | c − \|lead\| | between `a` and `b` (several windows too close) |
//! | between | lead − 2c | settled in `b`, at four times the move's threshold (it did not move: now the readers can tell) |
//! | between | −lead − 2c | settled in `a` (about 48 windows at a lead of 3c) |
//!
//! Entering "between" needs the lead within ±c, leaving it a lead beyond 2c either way for
//! much longer: the gap is the hysteresis that keeps a tag too close to call from flapping.
//! Away from doors a decision for `b` also needs [`MOVE_READS`] reads of `b` within the
//! excursion that makes it: a tag the reader seldom reaches never moves on a read or two.
//!
//! A move is a change, not a lead. Away from doors the state keeps the contender's *usual*
//! lead: a slow mean of the lead while no move is under way, each step clipped to
//! [`USUAL_STEP_MAX`] so that the first reads of a carried tag barely shift it. A still tag's
//! lead wanders around it (each channel fades each antenna differently; reads are noisy and
//! few), a carried tag's lead jumps by about twice the aisles' isolation, from well below zero
//! to well above. So the contender's sustained lead moves the tag only when it is also
//! [`JUMP_CLEARS`]·c above the usual lead; otherwise the tag is between the two zones: the
//! neighbour hears it about as well as its own antenna always did, and the readers cannot tell.
//! (A tag placed in the wrong zone first, and later heard better by the other, thus goes
//! between and settles; it is not reported as moved.) While a placement is *young* (its usual
//! lead not yet learned: its first 131–197 s, [`YOUTH_TICK_SHIFT`]), what would be a move
//! settles the tag in the other zone instead: the first placement, on a few seconds' reads,
//! was wrong; the tag did not move. (One whose own zone falls silent while the other reads it on is
//! carried, young or not.) A move is decided while the change is fresh: once an excursion has
//! lasted [`STALE_EXCURSION_READS`] of the contender's reads, the usual lead follows it too;
//! and a move whose integral ran to [`SLOW_MOVES`] times its threshold before the contender's
//! reads came (a tag read seldom, whose own zone's evidence faded meanwhile) is between, not a
//! move.
//!
//! A glimpsed tag is observed once it has `observe_reads` reads (or `observe_ms`), but no
//! sooner than twice `observe_ms` (at most a window) after its first read (at a door, the
//! shorter of `observe_ms` and a fifth of a window), so that every antenna that hears it
//! has had several turns; in the zone leading by the whole margin (2c), or after two
//! windows, in the leading zone and between it and the other. Away from doors a glimpse
//! that another zone reads less than twice the margin (4c) weaker waits
//! [`ARRIVE_CONTESTED_MS`], more than a reader's hop cycle, and
//! is placed between the two if no zone leads by 2c within [`ARRIVE_CONTESTED_MAX_MS`].
//!
//! Silence: a zone falls silent after its `lost_ms`, or, away from doors, after
//! [`SILENT_GAPS`] of the tag's usual intervals between reads if that is longer (a tag
//! among many is read seldom, and is not lost for it). A tag leaves when every zone it was
//! read in has fallen silent (its evidence is kept as long again, so a tag that only
//! dropped out comes back where it was). Its own zone falling silent moves it only if the
//! contender read it since, often enough, and leads by the whole margin (half at a door:
//! carried through); else that silence only fades the zone's evidence.
//!
//! The state is 28 bytes (the usual lead took the byte that was padding), so the tag
//! table's entry is 44 (see `TAG_ENTRY_BYTES`).

use super::config::Smoothing;

/// Evidence, in 1/64 dB of (milliwatt) power summed over the window.
pub(super) type Ev = i16;
const EV_PER_DB: i32 = 64;
/// No evidence at all; far below any sum of reads.
const EV_MIN: i32 = -250 * EV_PER_DB;
/// Reads without RSSI count as this strong, so such zones are decided by read rate alone.
const UNKNOWN_RSSI_DBM: i32 = -60;

/// Zone index bits in `TagState::a` and `b`; the top bits of `a` are flags.
const ZONE: u16 = 0x0FFF;
/// "No zone".
pub(super) const NONE: u16 = ZONE;
/// The tag is observed in zone `a` (else it is only glimpsed).
const OBSERVED: u16 = 0x8000;
/// The tag is observed in `a` but cannot be told from `b`.
const BETWEEN: u16 = 0x4000;
/// Without [`OBSERVED`]: the tag left `a`, whose evidence is kept for another `lost_ms`
/// so that a tag which only dropped out for a while comes back where it was.
const LOST: u16 = BETWEEN;
/// Observed, and placed so lately that the contender's usual lead is not yet known: away
/// from doors, what would be a move is the first placement put right (settled). A count
/// of the [`YOUTH_TICK_SHIFT`] ticks the placement has yet to live through.
const YOUTH: u16 = 0x3000;
const YOUTH_ONE: u16 = 0x1000;
/// Youth ends at the third tick of 2^this ms (65.5 s) after the placement (read then): at
/// 131–197 s of age. A reader busy with a whole aisle of pallet racking reads a tag a few
/// times a minute from its own antenna, and dozens from a neighbour's port that holds its
/// session flag: a placement made on the first seconds' reads is put right as late as a
/// couple of minutes after, and that is no move.
const YOUTH_TICK_SHIFT: u32 = 16;

/// Away from doors, a zone's silence costs its evidence 4.3 dB per this many windows (a
/// shelf's tags wait their turn among many: a short silence is no evidence).
const SILENCE_WINDOWS: u32 = 4;
/// Each read of the tag in one of its two zones costs the other this much evidence (1/64
/// dB): reads are votes, and a zone that stops reading a tag another reads loses it
/// faster than by silence alone.
const READ_COST: i32 = EV_PER_DB / 4;
/// A zone falls silent after `lost_ms`, or after this many of the tag's usual intervals
/// between reads if longer (at most [`SILENT_LOST_MAX`] times `lost_ms`): a tag the reader
/// has little time for is not lost because it was not read for a while.
const SILENT_GAPS: u32 = 12;
const SILENT_LOST_MAX: u32 = 5;
/// Reads of the contender within the excursion of its lead that moves a tag: a move is
/// never decided on a read or two.
const MOVE_READS: u8 = 8;

/// Lead integrals are in (1/64 dB · ms) >> 12, i.e. units of 0.064 dB·s.
const LEAD_SHIFT: u32 = 12;
/// Windows of a lead of 3c (c more than needed) to move.
const MOVE_WINDOWS: u32 = 3;
/// Windows of a lead of 0 to become between (at a lead of c/2, twice as many).
const BETWEEN_WINDOWS: u32 = 6;
/// Windows of a lead of 3c (c beyond the full margin) to settle back in the tag's zone
/// from "between": a tag too close to call stays so until the evidence is overwhelming
/// (at a door, [`DOOR_SETTLE_WINDOWS`]).
const SETTLE_WINDOWS: u32 = 48;
const DOOR_SETTLE_WINDOWS: u32 = 12;
/// A tag between two zones settles in the other once the integral that would move it
/// reaches this many times the move's (at a door, once).
const BETWEEN_MOVES: u32 = 4;
/// Away from doors a move needs the contender to lead by this many c (half margins) more
/// than it usually did while the tag sat there: a still tag's lead wanders with channel
/// hopping and read noise around its usual value, a carried tag's lead jumps by about
/// twice the aisles' isolation.
const JUMP_CLEARS: i32 = 4;
/// The usual lead follows 1/2^this of each difference, at each read while no move is
/// under way (at a few reads a second, a time constant of 10–20 s).
const USUAL_SHIFT: u32 = 6;
/// ... of each difference clipped to this many half dB (6 dB): a robust mean, so that the
/// few reads of a lifted or carried tag, far off the usual lead, barely shift it before
/// the move they announce is decided.
const USUAL_STEP_MAX: i32 = 12;
/// ... and also once an excursion of the lead past the margin has lasted this many of the
/// contender's reads without deciding (a lead that only creeps past the margin is what
/// the tag's place now gives, not a change): a move is decided while the change is fresh.
const STALE_EXCURSION_READS: u8 = 3 * MOVE_READS;
/// A move whose integral reached this many times the move's threshold before the
/// contender's reads came (a tag read seldom, its own zone's evidence fading all the
/// while) is no jump: the tag goes between.
const SLOW_MOVES: u32 = 4;
/// At a door a glimpse waits at least this part of a window (or `observe_ms`, if
/// shorter) ...
const ARRIVE_MIN_PARTS: u32 = 5;
/// ... elsewhere this many `observe_ms` (at most a window), so that a still tag is placed
/// on the evidence of every antenna that hears it, each having had several turns ...
const ARRIVE_MIN_OBSERVES: u32 = 2;
/// ... and at most this many windows before it is observed, between if no zone leads.
const ARRIVE_MAX_WINDOWS: u32 = 2;
/// Away from doors, a glimpse that two zones read waits this long (ms), more than a
/// 16-channel reader's hop cycle (16 × 300 ms): multipath fades each antenna differently
/// on each channel, so a shorter look may catch the neighbour on its best channels ...
const ARRIVE_CONTESTED_MS: u32 = 8_000;
/// ... and at most this long before it is observed, between if no zone clearly leads.
const ARRIVE_CONTESTED_MAX_MS: u32 = 15_000;

/// 64 · 10·log10(1 + 10^(−x/10)) for x in quarter dB: what adding a weaker power adds to
/// a stronger one, in 1/64 dB. Zero beyond 28 dB.
const LSE: [u8; 112] = [
    193, 185, 177, 170, 162, 156, 149, 142, 136, 130, 124, 118, 113, 108, 103, 98, 93, 89, 84, 80,
    76, 73, 69, 66, 62, 59, 56, 53, 51, 48, 45, 43, 41, 39, 37, 35, 33, 31, 30, 28, 26, 25, 24, 22,
    21, 20, 19, 18, 17, 16, 15, 14, 14, 13, 12, 11, 11, 10, 10, 9, 9, 8, 8, 7, 7, 7, 6, 6, 5, 5, 5,
    5, 4, 4, 4, 4, 3, 3, 3, 3, 3, 3, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 0, 0,
];

/// Evidence decay per ms, in 1/64 dB << 16, that loses 4.3 dB (a factor e) in `ms`.
fn decay_per_ms(ms: u32) -> u32 {
    (10.0 * std::f64::consts::LOG10_E * f64::from(EV_PER_DB) * 65_536.0 / f64::from(ms.max(1)))
        .round() as u32
}

/// The sum of two powers given in 1/64 dB, in 1/64 dB.
#[inline]
fn add_power(x: i32, y: i32) -> i32 {
    let (hi, lo) = if x >= y { (x, y) } else { (y, x) };
    let i = ((hi - lo) >> 4) as usize;
    hi + LSE.get(i).map_or(0, |&v| i32::from(v))
}

/// A read's power in evidence units.
#[inline]
pub(super) fn power(rssi_dbm: Option<i8>) -> Ev {
    (rssi_dbm.map_or(UNKNOWN_RSSI_DBM, i32::from) * EV_PER_DB) as Ev
}

/// One zone's decision parameters, from its [`Smoothing`].
#[derive(Debug, Clone, Copy)]
pub(super) struct Params {
    /// Evidence decay per ms of silence, in 1/64 dB << 16.
    decay: u32,
    /// What each read of the tag in one of its two zones costs the other's evidence, 1/64 dB
    /// (0 at a door).
    read_cost: i32,
    /// A zone falls silent after this many of the tag's usual intervals between reads,
    /// when that is longer than `lost_ms` (0 at a door: `lost_ms` alone).
    silent_gaps: u32,
    /// Reads of the contender a move needs within the excursion of its lead that decides it.
    move_reads: u8,
    /// Half the cross-read margin, in 1/64 dB: a lead this large is clear.
    clear: i32,
    lost_ms: u32,
    /// The lead over this zone with which a zone that read the tag since takes it when
    /// this one falls silent: half the margin at a door (tags pass through), the whole
    /// margin elsewhere (tags sit still, and a neighbour that hears them is no evidence).
    carry_lead: i32,
    observe_reads: u16,
    observe_ms: u32,
    /// Lead integrals (units of 0.064 dB·s) that decide.
    to_move: u32,
    to_between: u32,
    to_settle: u32,
    /// A glimpse is observed no sooner than this after its first read (so that every
    /// antenna on the reader has had its turn), and, unless one zone clearly leads, no
    /// later than this, as between.
    arrive_min_ms: u32,
    arrive_max_ms: u32,
    /// A glimpse that two zones read waits at least this long (0 at a door).
    arrive_contested_ms: u32,
    /// Away from doors: how far (1/64 dB) above its usual lead the contender must be for
    /// its lead to be a move; 0 (a door): the lead alone moves the tag.
    jump: i32,
    /// A tag between two zones settles in the other only once the integral that would
    /// move it has reached this many times `to_move`.
    between_moves: u32,
}

impl Params {
    pub(super) fn new(s: &Smoothing) -> Params {
        let window = s.window();
        let clear = i32::from(s.cross_read_margin_db.unwrap_or(0)) * EV_PER_DB / 2;
        // With no margin a lead of 1 dB for a window still decides; nothing is between.
        let per_window = ((clear.max(EV_PER_DB) as u64 * u64::from(window)) >> LEAD_SHIFT)
            .clamp(1, u64::from(u16::MAX / 2)) as u32;
        Params {
            decay: decay_per_ms(window.saturating_mul(SILENCE_WINDOWS)),
            read_cost: READ_COST,
            silent_gaps: SILENT_GAPS,
            move_reads: MOVE_READS,
            clear,
            lost_ms: s.lost_ms,
            carry_lead: 2 * clear,
            observe_reads: s.observe_reads,
            observe_ms: s.observe_ms,
            to_move: per_window * MOVE_WINDOWS,
            to_between: if clear == 0 {
                u32::MAX
            } else {
                per_window * BETWEEN_WINDOWS
            },
            // Integrals saturate at u16::MAX, which must stay reachable.
            to_settle: (per_window * SETTLE_WINDOWS).min(u32::from(u16::MAX)),
            arrive_min_ms: s.observe_ms.saturating_mul(ARRIVE_MIN_OBSERVES).min(window),
            arrive_max_ms: window
                .saturating_mul(ARRIVE_MAX_WINDOWS)
                .max(ARRIVE_CONTESTED_MAX_MS),
            arrive_contested_ms: ARRIVE_CONTESTED_MS,
            jump: JUMP_CLEARS * clear,
            between_moves: BETWEEN_MOVES,
        }
    }

    /// A side of a gate: a tag its antennas stop hearing was carried through.
    pub(super) fn at_a_door(mut self, door: bool, s: &Smoothing) -> Params {
        if door {
            // Tags pass through: quick to arrive, quick to leave, no memory beyond the window.
            let window = s.window();
            self.carry_lead = self.clear;
            self.decay = decay_per_ms(window);
            self.read_cost = 0;
            self.silent_gaps = 0;
            self.move_reads = 0;
            self.arrive_min_ms = s.observe_ms.min(window / ARRIVE_MIN_PARTS);
            self.arrive_max_ms = window.saturating_mul(ARRIVE_MAX_WINDOWS);
            self.arrive_contested_ms = 0;
            self.jump = 0;
            self.between_moves = 1;
            self.to_settle = self.to_move / MOVE_WINDOWS * DOOR_SETTLE_WINDOWS;
        }
        self
    }

    /// `ev` (stored at a read `dt` ms ago) as of now.
    #[inline]
    fn decayed(&self, ev: Ev, dt: u32) -> i32 {
        let fall = (u64::from(dt) * u64::from(self.decay)) >> 16;
        (i32::from(ev) - fall.min(u64::from(u16::MAX)) as i32).max(EV_MIN)
    }
}

/// What a read or a timer did to a tag's place (zone indices).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Step {
    Stay,
    /// Observed in `zone`; `between`: and at once too close to call against that zone.
    Arrived {
        zone: u16,
        between: Option<u16>,
    },
    Moved {
        from: u16,
        to: u16,
    },
    Between {
        zone: u16,
        other: u16,
    },
    /// No longer between: clearly in `zone`, which may be the other one.
    Settled {
        from: u16,
        zone: u16,
    },
    Left {
        zone: u16,
    },
}

/// One tag's presence state. 28 bytes.
#[derive(Debug, Clone, Copy)]
pub(super) struct TagState {
    /// Zone index where the tag is observed (or leads, while glimpsed), and the flags.
    a: u16,
    /// Zone index contending with `a`, or [`NONE`].
    b: u16,
    ev_a: Ev,
    ev_b: Ev,
    /// Engine ms of the last read in `a` and in `b`.
    last_a: u32,
    last_b: u32,
    /// Deadline of this tag's one live timer (the engine's).
    pub(super) timer_at: u32,
    /// Observed: the integral that moves the tag. Glimpsed: reads so far.
    w: u16,
    /// Observed: the integral that makes it between, or settles it. Glimpsed: ms since the
    /// first read.
    s: u16,
    /// The tag's usual interval between reads (in any zone), ms: a running mean.
    gap: u16,
    /// Reads of `b` since the integral that moves the tag last stood at zero.
    nb: u8,
    /// Observed: the contender's usual lead over `a`, half dB: a slow mean of the lead
    /// while no move is under way (0 when the tag was placed, a new contender's first lead).
    usual: i8,
}

const _: () = assert!(std::mem::size_of::<TagState>() == 28);

/// A lead as a usual lead: half dB, within ±63.5 dB.
#[inline]
fn half_db(lead: i32) -> i8 {
    (lead / (EV_PER_DB / 2)).clamp(-127, 127) as i8
}

/// Add `x · dt` (1/64 dB · ms) to an integral that never goes below 0.
#[inline]
fn integrate(acc: u16, x: i32, dt: u32) -> u16 {
    let v = i64::from(acc) + ((i64::from(x) * i64::from(dt.min(1 << 20))) >> LEAD_SHIFT);
    v.clamp(0, i64::from(u16::MAX)) as u16
}

impl TagState {
    pub(super) const EMPTY: TagState = TagState {
        a: NONE,
        b: NONE,
        ev_a: EV_MIN as Ev,
        ev_b: EV_MIN as Ev,
        last_a: 0,
        last_b: 0,
        timer_at: u32::MAX,
        w: 0,
        s: 0,
        gap: 0,
        nb: 0,
        usual: 0,
    };

    /// A tag remembered to be in zone `z` (decided before this engine ran: by a previous
    /// run, or another instance that drove the readers), observed there as if just read
    /// once at `power`: a neighbour's cross-reads must move it as they would move a tag
    /// this engine placed, and unread it leaves by silence as such a tag does.
    pub(super) fn recalled(z: u16, t: u32, power: Ev) -> TagState {
        TagState {
            a: z | OBSERVED,
            ev_a: power,
            last_a: t,
            ..TagState::EMPTY
        }
    }

    #[inline]
    fn za(&self) -> u16 {
        self.a & ZONE
    }

    fn observed(&self) -> bool {
        self.a & OBSERVED != 0
    }

    /// The zone the tag is observed in.
    #[inline]
    pub(super) fn zone(&self) -> Option<u16> {
        self.observed().then_some(self.za())
    }

    /// The other zone, when the tag is observed but between it and that one.
    pub(super) fn between(&self) -> Option<u16> {
        (self.a & (OBSERVED | BETWEEN) == OBSERVED | BETWEEN).then_some(self.b)
    }

    fn lost(&self) -> bool {
        self.a & (OBSERVED | LOST) == LOST
    }

    pub(super) fn is_empty(&self) -> bool {
        self.za() == NONE
    }

    /// How long zone `z` keeps its evidence after its last read: `lost_ms`; twice that for a
    /// tag that left, so that one that only dropped out comes back where it was. (A glimpse
    /// keeps `lost_ms` too: its timer then never needs moving earlier when it is observed,
    /// so the heap holds one timer per tag.)
    #[inline]
    fn life(&self, p: &[Params], z: u16) -> u32 {
        let pz = &p[z as usize];
        let lost = pz
            .lost_ms
            .max(u32::from(self.gap) * pz.silent_gaps)
            .min(pz.lost_ms.saturating_mul(SILENT_LOST_MAX));
        if self.lost() {
            lost.saturating_mul(2)
        } else {
            lost
        }
    }

    /// When the state next changes by silence alone.
    #[inline]
    pub(super) fn due(&self, p: &[Params]) -> u32 {
        let za = self.za();
        if za == NONE {
            return u32::MAX;
        }
        let due_a = self.last_a.saturating_add(self.life(p, za));
        if self.b == NONE {
            return due_a;
        }
        let due_b = self.last_b.saturating_add(self.life(p, self.b));
        // A tag between two zones does not settle because one fell silent a while (its
        // evidence decays); an observed tag whose zone falls silent is carried to the other
        // only if that one read it after and lately, else it waits for every zone's silence.
        if self.between().is_some() {
            due_a.max(due_b)
        } else if self.observed() && !self.carried_at(p, due_a) {
            due_b
        } else {
            due_a.min(due_b)
        }
    }

    /// Observed in `a` (not between), which falls silent at `t`: has `b` read the tag since,
    /// and does it lead by the zone's `carry_lead` now, so that the tag was carried there? (A still tag whose own antenna misses it a while is not: its neighbours hear
    /// it a margin weaker.)
    #[inline]
    fn carried_at(&self, p: &[Params], t: u32) -> bool {
        if self.b == NONE
            || self.last_b <= self.last_a
            || self.nb < p[self.za() as usize].move_reads
        {
            return false;
        }
        let (pa, pb) = (&p[self.za() as usize], &p[self.b as usize]);
        let lead = pb.decayed(self.ev_b, t.saturating_sub(self.last_b))
            - pa.decayed(self.ev_a, t.saturating_sub(self.last_a));
        lead >= pa.carry_lead.max(pb.carry_lead)
    }

    /// Move the times back by a rebase of the engine's epoch.
    pub(super) fn rebase(&mut self, back: impl Fn(u32) -> u32) {
        self.last_a = back(self.last_a);
        self.last_b = back(self.last_b);
        self.timer_at = back(self.timer_at);
    }

    /// Take a read in zone index `z` at engine ms `t` (never before the last read) with
    /// `power`. Returns what changed, and whether the read was a cross-read: one from a zone
    /// other than the tag's whose evidence is a whole margin below it.
    #[inline]
    pub(super) fn read(&mut self, p: &[Params], z: u16, t: u32, power: Ev) -> (Step, bool) {
        let za = self.za();
        if za == NONE {
            *self = TagState {
                a: z,
                ev_a: power,
                last_a: t,
                w: 1,
                ..TagState::EMPTY
            };
            return (self.glimpse(p, z, NONE, i32::MAX), false);
        }
        let pa = &p[za as usize];
        let mut zb = self.b;
        let was_lost = self.lost();
        let since = if was_lost {
            // Read again after it left: a new glimpse, with the old zone's evidence.
            self.a = za;
            (self.w, self.s) = (0, 0);
            t
        } else if zb == NONE {
            self.last_a
        } else {
            self.last_a.max(self.last_b)
        };
        let dt = t.saturating_sub(since);
        if !was_lost {
            let last = self.last_a.max(if zb == NONE { 0 } else { self.last_b });
            let step = t.saturating_sub(last).min(u32::from(u16::MAX)) as i32;
            let gap = i32::from(self.gap);
            self.gap = (gap + (step - gap) / 8) as u16;
            if self.a & YOUTH != 0 && t >> YOUTH_TICK_SHIFT != last >> YOUTH_TICK_SHIFT {
                self.a -= YOUTH_ONE;
            }
        }
        let mut ev_a = pa.decayed(self.ev_a, t - self.last_a);
        let mut ev_b = if zb == NONE {
            EV_MIN
        } else {
            p[zb as usize].decayed(self.ev_b, t - self.last_b)
        };
        // The contender's lead over the interval since the last read (it changes only at
        // reads while the two windows are equal).
        let lead_before = ev_b - ev_a;
        let mut fresh = false;
        let power = i32::from(power);
        if z == za {
            ev_a = add_power(ev_a, power);
            self.ev_a = ev_a as Ev;
            self.last_a = t;
            if zb != NONE {
                ev_b = (ev_b - pa.read_cost).max(EV_MIN);
                self.ev_b = (i32::from(self.ev_b) - pa.read_cost).max(EV_MIN) as Ev;
            }
        } else if z == zb {
            ev_b = add_power(ev_b, power);
            self.ev_b = ev_b as Ev;
            self.last_b = t;
            ev_a = (ev_a - pa.read_cost).max(EV_MIN);
            self.ev_a = (i32::from(self.ev_a) - pa.read_cost).max(EV_MIN) as Ev;
        } else if zb == NONE || power > ev_b || t - self.last_b > p[zb as usize].lost_ms {
            // A new contender: the strongest other zone reading the tag lately.
            zb = z;
            ev_b = power;
            (self.b, self.ev_b, self.last_b) = (z, power as Ev, t);
            fresh = true;
        } else {
            // A third zone weaker than the contender: it decides nothing.
            return (Step::Stay, self.observed());
        }
        if !self.observed() {
            self.w = self.w.saturating_add(1);
            self.s = self.s.saturating_add(dt.min(u32::from(u16::MAX)) as u16);
            if ev_b > ev_a {
                // The contender leads: it is the candidate now.
                (self.a, self.b) = (zb, za);
                (self.ev_a, self.ev_b) = (self.ev_b, self.ev_a);
                (self.last_a, self.last_b) = (self.last_b, self.last_a);
                return (self.glimpse(p, zb, za, ev_b - ev_a), false);
            }
            return (self.glimpse(p, za, zb, ev_a - ev_b), false);
        }
        let cross = z != za && ev_b - ev_a <= -2 * pa.clear;
        if zb == NONE {
            return (Step::Stay, cross);
        }
        if fresh {
            (self.w, self.s, self.nb) = (0, 0, 0);
            if self.a & BETWEEN == 0 {
                self.usual = half_db(ev_b - ev_a);
            }
            return (Step::Stay, cross);
        }
        let c = pa.clear.max(p[zb as usize].clear);
        self.w = integrate(self.w, lead_before - 2 * c, dt);
        self.nb = if self.w == 0 {
            0
        } else {
            self.nb.saturating_add(u8::from(z == zb))
        };
        let lead = ev_b - ev_a;
        let to_b = u32::from(self.w) >= pa.to_move && self.nb >= pa.move_reads;
        if self.a & BETWEEN == 0 {
            self.s = integrate(self.s, c - lead_before.abs(), dt);
            if self.w == 0 || self.nb >= STALE_EXCURSION_READS {
                // The contender's usual lead: a slow mean, rounded at random (by the read's
                // time) so that differences smaller than a step still count.
                let usual = i32::from(self.usual);
                let r = (t & ((1 << USUAL_SHIFT) - 1)) as i32;
                let d = (i32::from(half_db(lead)) - usual).clamp(-USUAL_STEP_MAX, USUAL_STEP_MAX);
                let next = usual + ((d + r) >> USUAL_SHIFT);
                self.usual = next.clamp(-127, 127) as i8;
            }
            if to_b {
                let jumped = lead - i32::from(self.usual) * (EV_PER_DB / 2) >= pa.jump
                    && u32::from(self.w) < pa.to_move.saturating_mul(SLOW_MOVES);
                if pa.jump == 0 || jumped {
                    if pa.jump > 0 && self.a & YOUTH != 0 {
                        // Placed too lately to know its usual lead: the first placement
                        // was wrong, the tag did not move.
                        self.move_to_b();
                        return (Step::Settled { from: za, zone: zb }, cross);
                    }
                    return (self.move_to_b(), cross);
                }
                // The other zone leads, but no more than it often did (or only after long
                // silence of the tag's own zone): the tag did not move, the readers cannot
                // tell where it is.
                self.a |= BETWEEN;
                (self.w, self.s, self.nb) = (0, 0, 0);
                return (
                    Step::Between {
                        zone: za,
                        other: zb,
                    },
                    cross,
                );
            }
            if u32::from(self.s) >= pa.to_between {
                self.a |= BETWEEN;
                (self.w, self.s) = (0, 0);
                return (
                    Step::Between {
                        zone: za,
                        other: zb,
                    },
                    cross,
                );
            }
        } else {
            self.s = integrate(self.s, -lead_before - 2 * c, dt);
            let to_settle_b = pa
                .to_move
                .saturating_mul(pa.between_moves)
                .min(u32::from(u16::MAX));
            if to_b && u32::from(self.w) >= to_settle_b {
                // Clearly the other zone after all: it settles there (it did not move; the
                // readers could not tell until now).
                self.move_to_b();
                return (Step::Settled { from: za, zone: zb }, cross);
            }
            if u32::from(self.s) >= pa.to_settle {
                self.a &= !BETWEEN;
                (self.w, self.s, self.usual) = (0, 0, 0);
                return (Step::Settled { from: za, zone: za }, cross);
            }
        }
        (Step::Stay, cross)
    }

    /// A glimpsed tag leading in `za` by `lead` over `zb`: is it observed now?
    fn glimpse(&mut self, p: &[Params], za: u16, zb: u16, lead: i32) -> Step {
        let pa = &p[za as usize];
        let c = if zb == NONE {
            pa.clear
        } else {
            pa.clear.max(p[zb as usize].clear)
        };
        // Contested: another zone reads the tag, and not twice the margin weaker.
        let min = if zb != NONE && lead < 4 * c {
            pa.arrive_min_ms.max(pa.arrive_contested_ms)
        } else {
            pa.arrive_min_ms
        };
        let ready = (self.w >= pa.observe_reads || u32::from(self.s) >= pa.observe_ms)
            && u32::from(self.s) >= min;
        if !ready {
            return Step::Stay;
        }
        let age = u32::from(self.s);
        let cap = u32::from(u16::MAX);
        let between = if lead >= 2 * c {
            None
        } else if age >= pa.arrive_max_ms.max(min).min(cap) {
            (zb != NONE).then_some(zb)
        } else {
            return Step::Stay;
        };
        self.a = za | OBSERVED | if between.is_some() { BETWEEN } else { YOUTH };
        (self.w, self.s, self.usual) = (0, 0, 0);
        Step::Arrived { zone: za, between }
    }

    /// The contender takes the tag; the zone it leaves stays as the contender.
    fn move_to_b(&mut self) -> Step {
        let (from, to) = (self.za(), self.b);
        self.a = to | OBSERVED;
        self.b = from;
        (self.ev_a, self.ev_b) = (self.ev_b, self.ev_a);
        (self.last_a, self.last_b) = (self.last_b, self.last_a);
        (self.w, self.s, self.nb, self.usual) = (0, 0, 0, 0);
        Step::Moved { from, to }
    }

    /// Silence up to engine ms `t`: zones unread for their `lost_ms` drop out. The state is
    /// [`TagState::is_empty`] afterwards when no zone reads the tag any more.
    pub(super) fn expire(&mut self, p: &[Params], t: u32) -> Step {
        let za = self.za();
        if za == NONE {
            return Step::Stay;
        }
        let a_gone = self.last_a.saturating_add(self.life(p, za)) <= t;
        let b_gone = self.b == NONE || self.last_b.saturating_add(self.life(p, self.b)) <= t;
        if !self.observed() {
            if a_gone && b_gone {
                *self = TagState {
                    timer_at: self.timer_at,
                    ..TagState::EMPTY
                };
            } else if a_gone {
                // The other zone leads the glimpse now.
                (self.a, self.ev_a, self.last_a) = (self.b, self.ev_b, self.last_b);
                self.b = NONE;
            } else if b_gone {
                self.b = NONE;
            }
            return Step::Stay;
        }
        if a_gone && !b_gone && self.between().is_none() {
            let due_a = self.last_a.saturating_add(self.life(p, za));
            if self.carried_at(p, due_a) {
                // The tag's zone fell silent while another still reads it.
                return self.move_to_b();
            }
        }
        if a_gone && b_gone {
            // Left, but its evidence is kept a while (see `life`).
            self.a = za | LOST;
            self.b = NONE;
            (self.w, self.s) = (0, 0);
            return Step::Left { zone: za };
        }
        if b_gone && self.b != NONE && self.between().is_none() {
            self.b = NONE;
            (self.w, self.s) = (0, 0);
        }
        Step::Stay
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_power_table_is_10_log10_of_one_plus_the_ratio() {
        for (i, &v) in LSE.iter().enumerate() {
            let x = i as f64 / 4.0;
            let want = 64.0 * 10.0 * (1.0 + 10f64.powf(-x / 10.0)).log10();
            assert!((f64::from(v) - want).abs() <= 0.5, "{x} dB: {v} vs {want}");
        }
        // Two equal powers are 3 dB more; a much weaker one adds nothing.
        assert_eq!(add_power(-50 * 64, -50 * 64), -50 * 64 + 193);
        assert_eq!(add_power(-50 * 64, -90 * 64), -50 * 64);
    }

    #[test]
    fn silence_costs_4_3_db_per_window_at_a_door_and_per_four_windows_on_a_shelf() {
        let smoothing = Smoothing {
            window_ms: Some(2_000),
            ..Smoothing::default()
        };
        let shelf = Params::new(&smoothing);
        let door = shelf.at_a_door(true, &smoothing);
        let fall = |p: &Params, ms| i32::from(-50 * 64i16) - p.decayed(-50 * 64, ms);
        assert!(
            (fall(&door, 2_000) - 278).abs() <= 1,
            "{}",
            fall(&door, 2_000)
        );
        assert!(
            (fall(&shelf, 8_000) - 278).abs() <= 1,
            "{}",
            fall(&shelf, 8_000)
        );
        assert_eq!(shelf.decayed(-50 * 64, u32::MAX), EV_MIN);
    }
}
