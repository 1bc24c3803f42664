//! Pallet-racking aisles read by ceiling antennas: a second, independent radio model of a
//! warehouse, for testing which aisle a still tag is in and when a tag is carried to another.
//!
//! # Geometry (metres; x along the aisles, y across them, z up)
//!
//! - `aisles` parallel aisles (4 in the reference), each 2.8 m wide between rack faces, centre
//!   lines 5.0 m apart (`y = 5·k`). Between two aisles stands a back-to-back pallet rack: two
//!   rows 1.0 m deep with a 0.2 m flue between them; the outermost aisles have a single row
//!   against the wall. Racks run from `x = 0` to `x = 10.8` (4 bays of 2.7 m) with 3 beam
//!   levels 1.6 m apart; each pallet position holds a load 1.3 m high from 0.1 m above its
//!   beam, so there is a gap under every beam and goods end at 4.6 m. Cross aisles run
//!   across both ends (`x < 0` and `x > 10.8`); the roof is steel at 9 m.
//! - Every pallet position (rack, row, bay, level) has a fill between 0 (empty) and 1 (85 %
//!   loaded, 0.5–1); goods attenuate [`RackModel::goods_loss_db_per_m`] × fill per metre of
//!   path (one way), and each rack row a path crosses adds [`RackModel::rack_metal_db`].
//! - Two antennas per aisle hang at 6.2 m over the aisle centre line at `x = 2.7` and
//!   `x = 8.1`, looking straight down: circularly polarised, 6 dBic, 110° half-power beam
//!   (`cos^1.56 θ` main lobe), rippled side lobes near −15 dB, front-to-back 20 dB. Antenna
//!   `i = 2·aisle + j` is port `i % 4 + 1` of reader `i / 4`: the reference has two 4-port
//!   readers (aisles 0–1 and 2–3), see [`RackModel::read_points`].
//! - Tags are labels on the aisle-facing side of the loads, a linear dipole (2 dBi, `sin²ψ`
//!   pattern floored at −15 dB), mostly horizontal (75 %, ±15°), the rest at any angle in the
//!   face plane: a vertical dipole seen from above is near its null.
//!
//! # Link budget (one way, then back)
//!
//! Reader 31.5 dBm conducted, 1.5 dB cable, 6 dBic antenna: 36 dBm EIRP (4 W, the 920–926
//! MHz rules); circular-to-linear polarisation loss 3 dB each way. The one-way complex
//! channel `h` is a sum of rays (below); a tag receives `P_tag = 31.5 − 1.5 − 3 + 20·log|h|`
//! (tag gain inside `h`) and answers only if `P_tag` reaches its chip sensitivity (nominal
//! −21 dBm). The reader receives `P_rx = P_tag − 15 dB (backscatter modulation loss)
//! + 20·log|h| − 3 − 1.5` and decodes a reply with probability ½ at −90 dBm, a logistic
//! 0.8 dB wide. In free space on boresight a nominal tag reads **−40.0 dBm at 1 m and
//! −59.1 dBm at 3 m**; it wakes up to 16 m while the reader could hear it to 18 m: the
//! forward link limits range. On site, a still tag's own antennas typically read it at
//! −65…−85 dBm (median about −78).
//!
//! Rays of every (tag, antenna) link, each with its own length and so its own phase per
//! channel: the direct ray; the floor bounce (concrete, |Γ| 0.35); the roof bounce (steel,
//! |Γ| 0.6, through the antenna's back lobe); a bounce off each rack face of the antenna's
//! aisle (steel and goods, |Γ| 0.45, a phase of its own); for a tag in another aisle, rays
//! diffracted round both rack ends (knife-edge loss); and 8 diffuse rays (reverberation in
//! a steel building) with excess lengths 2 m + exponential of mean 15 m (≈ 50 ns delay
//! spread), as strong everywhere as a direct ray at 5 m less 6 dB, passing racks with half
//! the direct ray's obstruction. Every ray pays the goods and metal it crosses. Over
//! 920.625–924.375 MHz (16 channels, 250 kHz apart) the long rays turn by one or two radians,
//! so fading is frequency selective and different per (tag, antenna, channel).
//!
//! # Isolation between aisles
//!
//! `isolation_db` is defined on the model: over the still tags of the "reference" plan
//! (nominal tags, fading-free mean power of all rays), the **median of the backscatter RSSI
//! at the best antenna of the tag's own aisle minus that at the best antenna of a
//! neighbouring aisle**. [`RackModel::reference`] finds the goods attenuation giving it by
//! bisection: 20 dB → 7.2 dB/m, 15 → 3.1, 10 → 1.2, 6 → 0 (transparent goods; geometry, the
//! reverberant field and the rack metal alone give 6.0). Measured from the reads of a
//! reference run instead (per tag read by both aisles: median RSSI of its best own port minus
//! that of its best neighbouring port) the medians come out lower at high isolation —
//! about 14 / 10 / 7 / 5 dB — because a neighbour reads only those tags whose link to it
//! happens to be good (the rest stay below the tag's wake-up level and leave no reads).
//!
//! # Things that change while tags stand still
//!
//! - People (walking 1.1–1.6 m/s, a third stopping 5–25 s to pick) and forklifts (2–3 m/s,
//!   half stopping 10–20 s with the load raised to 2.3–4.5 m) go through the aisles. A body
//!   on the direct ray shadows it (14 dB two-way for a person, 20 dB for a forklift, over a
//!   30 cm penumbra); every body within 4 m of a tag adds a scattered ray (bistatic
//!   cross-section 0.5 m² / 4 m²) whose length changes as it moves, so a still tag's fading
//!   changes while it passes. Whoever carries a moved tag is such a body too.
//! - Goods come and go now and then (a forklift visits, a pallet position's fill changes):
//!   every still tag within 3.5 m gets new obstruction and new multipath from then on — a
//!   step change of its links.
//! - Restocking can put goods in front of a tag: a one-way loss on every antenna in front of
//!   the label (and on the diffuse field, halved), and new multipath.
//!
//! # Gen2 MAC
//!
//! Each reader cycles its ports; a port dwells up to 200 ms, or less once two rounds in a
//! row got no reply (both targets empty). Readers are not synchronised: each hops its own
//! pseudo-random order of the 16 channels every 200 ms from its own offset, and while the
//! other reader is on the same channel its receiver loses 10 dB (3 dB on an adjacent one).
//! Reader 0 inventories in session S2, reader 1 in S3 (readers further apart alternate), so
//! their flags do not clash. Both run dual target: a Query selects the port's current target
//! (A or B), a singulated tag flips its flag, and a round with no reply flips the port's
//! target. The flag is the tag's, shared by every port of the reader: a tag just read by the
//! neighbouring aisle's antenna stays silent to its own until the target turns. A B flag
//! decays to A once the tag has had no power from that reader for its persistence time
//! (2–5 s). Rounds follow the Q-algorithm (Annex D, C = 0.3): empty slots lower Qfp,
//! collisions raise it, and when round(Qfp) changes the reader sends QueryAdjust and every
//! unread tag draws again. Timing (Tari 25 µs, Miller-4 at 250 kHz): Query 1 ms, empty slot
//! 0.25 ms, collision 0.65 ms, a read (RN16, ACK, PC+EPC+CRC) 3.3 ms, QueryAdjust 0.4 ms,
//! antenna switch 1.5 ms. A collision is still read when its strongest reply is 6 dB above
//! the rest (capture). The read budget is about 170–190 reads/s per reader, shared by every
//! tag its active port powers: a lone tag reads about 45–55 times a second on each port
//! that sees it (≈ 190/s while that port dwells); in the reference racking a port gets
//! about 40 reads/s and a still tag about 1.4 reads/s in all (median); in an aisle of 200
//! tags a port gets about 50 reads/s and a tag about 0.9 reads/s.
//!
//! # Tag population (drawn per seed, except calibration points, which are nominal)
//!
//! Chip sensitivity −21 dBm ± 1 dB; 10 % weak (+4 dB), 10 % strong (−3 dB); 10 % on metal
//! items (−6…−10 dB gain, both ways); 8 % deep in the goods of their pallet (−3…−8 dB one
//! way, on every link); orientation as above. A few tags are never read at all.
//!
//! # What the reader reports
//!
//! Peak RSSI rounded to whole dBm (0.7 dB noise, a fixed ±0.5 dB per port); channel index
//! 1–16; phase `−arg(h²)` (so it grows with distance) plus a fixed offset per (reader, port,
//! channel) plus a fixed offset per tag plus noise growing near sensitivity, as 0..4095 for
//! 0..2π; seen count 1; the timestamp is the end of the tag's EPC reply.
//!
//! # Left out
//!
//! Near field and chip saturation close to an antenna, tag-to-tag coupling and detuning by
//! neighbouring tags, the other reader's field powering tags (for flag persistence), a
//! channel change in the middle of a round (a round keeps the channel it started on), a
//! tag's power changing within a round, rack uprights as discrete scatterers (folded into
//! the face bounces and the diffuse field), bounces of second order, moving bodies' effect
//! on any but the direct ray, humidity, interference from anything but the other reader,
//! reader clock drift and reporting latency (timestamps are the reader's own). The racks of
//! a carried tag's links are those at its pick-up.

use std::cell::RefCell;
use std::collections::HashMap;
use std::f64::consts::{PI, TAU};

use depot_readers::{Epc, ReaderId, TagRead};

use super::shelf::{Place, ShelfTruth, Span, Timeline, TrueMove, TrueRemoval};
use super::{giai_epc, Prng, Run, Vec3, START_US};

const C_LIGHT: f64 = 299_792_458.0;
/// Channels hopped by every reader.
pub const CHANNELS: usize = 16;
/// Centre of channel `ch` (0-based), Hz.
pub fn channel_hz(ch: usize) -> f64 {
    920.625e6 + 0.25e6 * ch as f64
}
const LAMBDA: f64 = C_LIGHT / 922.5e6;

// Gen2 timing, µs.
const T_QUERY: u64 = 1_000;
const T_EMPTY: u64 = 250;
const T_COLLIDE: u64 = 650;
const T_READ: u64 = 3_300;
const T_ADJUST: u64 = 400;
const T_SWITCH: u64 = 1_500;
const Q_STEP: f64 = 0.3;

/// Walking speed of someone carrying a tag, m/s (fixed, so the truth does not depend on the seed).
const CARRY_SPEED: f64 = 1.3;

/// The racking, the antennas and the radio. Every length in metres, every level in dB/dBm.
#[derive(Debug, Clone, PartialEq)]
pub struct RackModel {
    /// Number of aisles.
    pub aisles: usize,
    /// Median own-minus-neighbour mean RSSI of still tags (see the module doc), dB.
    pub isolation_db: f64,
    /// Clear width of an aisle between rack faces.
    pub aisle_width_m: f64,
    /// Depth of one rack row (a pallet).
    pub row_depth_m: f64,
    /// Flue between the two rows of a back-to-back rack.
    pub flue_m: f64,
    /// Bays along an aisle and their width.
    pub bays: usize,
    pub bay_m: f64,
    /// Beam levels and their pitch; loads are `load_m` high from 0.1 m above the beam.
    pub levels: usize,
    pub level_m: f64,
    pub load_m: f64,
    /// Height of the antennas (over the aisle centre line, looking down) and of the roof.
    pub antenna_z_m: f64,
    pub roof_z_m: f64,
    /// Antennas per aisle, spread evenly along it.
    pub antennas_per_aisle: usize,
    /// Ports per reader.
    pub ports_per_reader: usize,
    /// Conducted transmit power, cable loss, antenna peak gain (dBic), polarisation loss.
    pub tx_dbm: f64,
    pub cable_db: f64,
    pub antenna_gain_dbi: f64,
    pub polarisation_db: f64,
    /// Half-power beam width of the reader antennas, degrees.
    pub beamwidth_deg: f64,
    /// Side-lobe level and front-to-back ratio of the reader antennas.
    pub side_lobe_db: f64,
    pub front_to_back_db: f64,
    /// Peak gain of a tag antenna, dBi.
    pub tag_gain_dbi: f64,
    /// Backscatter modulation loss (tag reflection efficiency and receiver implementation).
    pub backscatter_db: f64,
    /// Nominal chip sensitivity, dBm.
    pub tag_sensitivity_dbm: f64,
    /// Reader receive sensitivity (50 % decode), dBm, and the width of its decode slope.
    pub reader_sensitivity_dbm: f64,
    pub decode_width_db: f64,
    /// Attenuation of goods at fill 1, dB per metre of path (one way): set from `isolation_db`.
    pub goods_loss_db_per_m: f64,
    /// Loss per rack row crossed (uprights, beams, decking), one way.
    pub rack_metal_db: f64,
    /// Reflection amplitudes of the floor, the roof and the rack faces.
    pub floor_gamma: f64,
    pub roof_gamma: f64,
    pub face_gamma: f64,
    /// Diffuse power below an unobstructed direct ray, dB, its ray count and mean excess length.
    pub diffuse_db: f64,
    pub diffuse_rays: usize,
    pub diffuse_excess_m: f64,
    /// The diffuse field is as strong everywhere as a direct ray at this distance would be
    /// (times `diffuse_db`): a reverberant field does not fall with the link length.
    pub diffuse_ref_m: f64,
    /// Shadow of a person and of a forklift on the direct ray, two-way RSSI dB.
    pub person_shadow_db: f64,
    pub forklift_shadow_db: f64,
    /// Longest dwell on one port and time on one channel, ms.
    pub dwell_ms: u64,
    pub hop_ms: u64,
    /// Receiver desensitisation while the other reader is on the same / an adjacent channel.
    pub cochannel_db: f64,
    pub adjacent_db: f64,
    /// RSSI measurement noise (σ, dB) and phase noise at high SNR (σ, rad).
    pub rssi_noise_db: f64,
    pub phase_noise_rad: f64,
}

impl RackModel {
    /// The reference racking at a given isolation between neighbouring aisles (dB): 20, 15,
    /// 10, 6 are used. Isolation is the median, over the still tags of the "reference" plan,
    /// of the fading-free mean backscatter RSSI at the best antenna of the tag's own aisle
    /// minus that at the best antenna of a neighbouring aisle (nominal tags, the racks
    /// filled as drawn by a fixed seed). The goods attenuation is found by bisection to give it.
    pub fn reference(isolation_db: f64) -> Self {
        let mut m = RackModel {
            isolation_db,
            ..Self::reference_geometry()
        };
        m.calibrate_isolation();
        m
    }

    /// Sets [`RackModel::goods_loss_db_per_m`] so that [`RackModel::mean_isolation_db`] equals
    /// `isolation_db` (as near as the geometry allows: with transparent goods, the rack metal,
    /// the geometry and the reverberant field alone give about 6.0 dB in the reference).
    pub fn calibrate_isolation(&mut self) {
        let (mut lo, mut hi) = (0.0, 80.0);
        for _ in 0..30 {
            let mid = 0.5 * (lo + hi);
            self.goods_loss_db_per_m = mid;
            if self.mean_isolation_db() < self.isolation_db {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        self.goods_loss_db_per_m = 0.5 * (lo + hi);
    }

    /// The isolation as defined in [`RackModel::reference`], computed from mean link powers.
    pub fn mean_isolation_db(&self) -> f64 {
        let plan = RackPlan::named("reference").expect("reference plan");
        let env = Env::new(self, 0x0150_1A7E);
        let grid = env.initial_fill(self, &plan);
        let mut diffs = Vec::new();
        for (i, t) in plan.tags.iter().enumerate() {
            let Some(aisle) = t.aisle_of() else { continue };
            let geom = TagGeom::nominal(self, &t.spot);
            let p = env.spot_pos(self, &t.spot);
            let mut own = f64::NEG_INFINITY;
            let mut nb = f64::NEG_INFINITY;
            for (a, ant) in env.antennas.iter().enumerate() {
                if ant.aisle.abs_diff(aisle) > 1 {
                    continue;
                }
                let rays = env.rays(self, &grid, a, p, &geom, 0x0150_1A7E, i as u64, 0);
                let pw: f64 = rays.iter().map(|r| r.amp * r.amp).sum();
                let db = 20.0 * pw.log10(); // two-way: twice the one-way dB
                if ant.aisle == aisle {
                    own = own.max(db);
                } else {
                    nb = nb.max(db);
                }
            }
            if own.is_finite() && nb.is_finite() {
                diffs.push(own - nb);
            }
        }
        median(&mut diffs)
    }

    /// Every (reader, antenna port) the model uses and the aisle (0-based) it covers.
    pub fn read_points(&self) -> Vec<(ReaderId, u16, usize)> {
        (0..self.aisles * self.antennas_per_aisle)
            .map(|i| {
                let (r, port) = self.port_of(i);
                (r, port, i / self.antennas_per_aisle)
            })
            .collect()
    }

    fn port_of(&self, antenna: usize) -> (ReaderId, u16) {
        (
            ReaderId((antenna / self.ports_per_reader) as u32),
            (antenna % self.ports_per_reader + 1) as u16,
        )
    }

    fn readers(&self) -> usize {
        (self.aisles * self.antennas_per_aisle).div_ceil(self.ports_per_reader)
    }

    /// Centre line of aisle `k`.
    pub fn aisle_y(&self, k: usize) -> f64 {
        k as f64 * self.pitch()
    }

    fn pitch(&self) -> f64 {
        self.aisle_width_m + 2.0 * self.row_depth_m + self.flue_m
    }

    /// Length of the racks.
    pub fn length_m(&self) -> f64 {
        self.bays as f64 * self.bay_m
    }

    /// Fading-free backscatter RSSI of a nominal tag on boresight at `d` metres, free space.
    pub fn free_space_rssi_dbm(&self, d: f64) -> f64 {
        let g1 =
            20.0 * (LAMBDA / (4.0 * PI * d)).log10() + self.antenna_gain_dbi + self.tag_gain_dbi;
        self.tag_power(g1) - self.backscatter_db + g1 - self.polarisation_db - self.cable_db
    }

    fn tag_power(&self, g1_db: f64) -> f64 {
        self.tx_dbm - self.cable_db - self.polarisation_db + g1_db
    }

    fn rx_power(&self, g1_db: f64) -> f64 {
        self.tag_power(g1_db) - self.backscatter_db + g1_db - self.polarisation_db - self.cable_db
    }

    /// Reader antenna power gain (linear) at angle with cosine `c` off boresight.
    fn antenna_gain(&self, c: f64) -> f64 {
        let peak = 10f64.powf(self.antenna_gain_dbi / 10.0);
        let half = (self.beamwidth_deg.to_radians() / 2.0).cos();
        let n = 0.5f64.ln() / half.ln();
        let main = if c > 0.0 { c.powf(n) } else { 0.0 };
        let s2 = (1.0 - c * c).max(0.0);
        let theta = c.clamp(-1.0, 1.0).acos();
        let side = 10f64.powf(self.side_lobe_db / 10.0) * s2 * (0.6 + 0.4 * (5.0 * theta).cos());
        let back = 10f64.powf(-self.front_to_back_db / 10.0);
        peak * (main + side.max(0.0) + back)
    }
}

// ---------------------------------------------------------------------------------------
// Plans

/// Where a plan tag sits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Spot {
    /// On a load on a rack face of `aisle`: `side` +1 is the face at larger y, −1 the other;
    /// `along` (0..1) across the bay, `up` (0..1) up the load.
    Rack {
        aisle: usize,
        side: i8,
        bay: usize,
        level: usize,
        along: f64,
        up: f64,
    },
    /// A free point with a given dipole axis, counted as being in `aisle`: a nominal tag
    /// (no weak, strong, on-metal or buried draw), for calibration.
    Point { aisle: usize, pos: Vec3, axis: Vec3 },
}

impl Spot {
    fn aisle(&self) -> usize {
        match *self {
            Spot::Rack { aisle, .. } | Spot::Point { aisle, .. } => aisle,
        }
    }
}

/// A tag of a plan.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanTag {
    pub serial: u64,
    pub spot: Spot,
}

impl PlanTag {
    fn aisle_of(&self) -> Option<usize> {
        match self.spot {
            Spot::Rack { aisle, .. } => Some(aisle),
            Spot::Point { .. } => None,
        }
    }
}

/// A tag picked off its shelf at `pick_s` (seconds into the run), carried on foot to `to`
/// and put down there.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanMove {
    pub tag: usize,
    pub pick_s: f64,
    pub to: Spot,
}

/// A tag picked at `pick_s` and carried out of the field (12 m beyond the front cross aisle).
#[derive(Debug, Clone, PartialEq)]
pub struct PlanRemoval {
    pub tag: usize,
    pub pick_s: f64,
}

/// Goods put in front of a tag at `at_s` by a forklift: `loss_db` one way on every antenna
/// in front of its label.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanRestock {
    pub tag: usize,
    pub at_s: f64,
    pub loss_db: f64,
}

/// Tags with their starting places, what happens to them, and the background activity.
/// The named plans are laid out for the reference racking (4 aisles, 4 bays, 3 levels).
#[derive(Debug, Clone, PartialEq)]
pub struct RackPlan {
    pub name: &'static str,
    pub duration_s: f64,
    pub tags: Vec<PlanTag>,
    pub moves: Vec<PlanMove>,
    pub removals: Vec<PlanRemoval>,
    pub restocks: Vec<PlanRestock>,
    /// People and forklifts entering each aisle, per minute (Poisson).
    pub people_per_min: f64,
    pub forklifts_per_min: f64,
    /// Pallet positions changing fill, per minute over the whole site (Poisson).
    pub goods_changes_per_min: f64,
}

const NAMES: &[&str] = &["reference", "busy", "restock", "dense", "moves"];

impl RackPlan {
    pub fn names() -> &'static [&'static str] {
        NAMES
    }

    /// The scenarios, all 6 minutes over 4 aisles:
    /// - "reference": 60 still tags per aisle; 8 tags carried on foot to another aisle and
    ///   4 carried out of the field, spread over the run; people now and then (0.6 per minute
    ///   per aisle), a forklift every 4 minutes per aisle, goods changing about once a minute;
    /// - "busy": the same tags and moves with heavy traffic: 4 people and 3 forklifts per
    ///   minute per aisle (one every 2–3 s over the site) and goods changing twice a minute;
    /// - "restock": 24 still tags get goods put in front of them by a forklift between 2 and
    ///   3.6 minutes in (3–8 dB one way), plus 4 real moves;
    /// - "dense": 200 tags in aisle 1 and 40 in the others, 4 moves and 2 removals;
    /// - "moves": 12 moves, 25 s apart: to a neighbouring aisle and two aisles away, two of
    ///   them put down at the very end of an aisle on the face next to the aisle they came
    ///   from, at the top level; and 1 removal.
    pub fn named(name: &str) -> Option<Self> {
        let m = RackModel::reference_geometry();
        Some(match name {
            "reference" => {
                let mut p = Self::stock("reference", &m, &[60, 60, 60, 60], 1);
                p.add_moves(&m, 8, 40.0, 300.0, 11);
                p.add_removals(4, 60.0, 280.0, 12);
                p
            }
            "busy" => {
                let mut p = Self::stock("busy", &m, &[60, 60, 60, 60], 1);
                p.add_moves(&m, 8, 40.0, 300.0, 11);
                p.add_removals(4, 60.0, 280.0, 12);
                p.people_per_min = 4.0;
                p.forklifts_per_min = 3.0;
                p.goods_changes_per_min = 2.0;
                p
            }
            "restock" => {
                let mut p = Self::stock("restock", &m, &[60, 60, 60, 60], 2);
                p.add_moves(&m, 4, 60.0, 300.0, 21);
                let mut rng = Prng::new(22);
                let mut used: Vec<usize> = p.moves.iter().map(|mv| mv.tag).collect();
                for i in 0..24 {
                    let tag = loop {
                        let t = rng.below(p.tags.len());
                        if !used.contains(&t) {
                            break t;
                        }
                    };
                    used.push(tag);
                    p.restocks.push(PlanRestock {
                        tag,
                        at_s: 120.0 + 4.0 * i as f64 + rng.range(0.0, 3.0),
                        loss_db: rng.range(3.0, 8.0),
                    });
                }
                p
            }
            "dense" => {
                let mut p = Self::stock("dense", &m, &[40, 200, 40, 40], 3);
                p.add_moves(&m, 4, 50.0, 280.0, 31);
                p.add_removals(2, 90.0, 250.0, 32);
                p
            }
            "moves" => {
                let mut p = Self::stock("moves", &m, &[60, 60, 60, 60], 4);
                p.moves_scenario(&m);
                p.add_removals(1, 200.0, 200.0, 42);
                p
            }
            _ => return None,
        })
    }

    fn stock(name: &'static str, m: &RackModel, per_aisle: &[usize], seed: u64) -> Self {
        let mut rng = Prng::new(seed);
        let mut tags = Vec::new();
        for (aisle, &n) in per_aisle.iter().enumerate().take(m.aisles) {
            for _ in 0..n {
                tags.push(PlanTag {
                    serial: 0x5_0000 + tags.len() as u64,
                    spot: random_spot(&mut rng, m, aisle),
                });
            }
        }
        RackPlan {
            name,
            duration_s: 360.0,
            tags,
            moves: Vec::new(),
            removals: Vec::new(),
            restocks: Vec::new(),
            people_per_min: 0.6,
            forklifts_per_min: 0.25,
            goods_changes_per_min: 0.8,
        }
    }

    fn untouched(&self, tag: usize) -> bool {
        !self.moves.iter().any(|m| m.tag == tag) && !self.removals.iter().any(|r| r.tag == tag)
    }

    fn add_moves(&mut self, m: &RackModel, n: usize, from_s: f64, to_s: f64, seed: u64) {
        let mut rng = Prng::new(seed);
        for i in 0..n {
            let tag = loop {
                let t = rng.below(self.tags.len());
                if self.untouched(t) {
                    break t;
                }
            };
            let from = self.tags[tag].spot.aisle();
            let to = (from + 1 + rng.below(m.aisles - 1)) % m.aisles;
            let pick_s =
                from_s + (to_s - from_s) * i as f64 / n.max(1) as f64 + rng.range(0.0, 8.0);
            self.moves.push(PlanMove {
                tag,
                pick_s,
                to: random_spot(&mut rng, m, to),
            });
        }
    }

    fn add_removals(&mut self, n: usize, from_s: f64, to_s: f64, seed: u64) {
        let mut rng = Prng::new(seed);
        for i in 0..n {
            let tag = loop {
                let t = rng.below(self.tags.len());
                if self.untouched(t) {
                    break t;
                }
            };
            let pick_s = if n > 1 {
                from_s + (to_s - from_s) * i as f64 / (n - 1) as f64
            } else {
                from_s
            };
            self.removals.push(PlanRemoval { tag, pick_s });
        }
    }

    /// 12 moves: neighbours, two aisles away, and two put down at the very end of an aisle on
    /// the face next to the neighbouring aisle.
    fn moves_scenario(&mut self, m: &RackModel) {
        let mut rng = Prng::new(41);
        let hops: [(usize, usize); 12] = [
            (0, 1),
            (1, 0),
            (1, 2),
            (2, 3),
            (3, 2),
            (0, 2),
            (3, 1),
            (1, 3),
            (2, 0),
            (2, 1),
            (0, 1),
            (3, 2),
        ];
        for (i, &(from, to)) in hops.iter().enumerate() {
            let tag = loop {
                let t = rng.below(self.tags.len());
                if self.untouched(t) && self.tags[t].spot.aisle() == from {
                    break t;
                }
            };
            let dest = if i == 10 || i == 11 {
                // The very end of the aisle, top level, on the face shared with `from`.
                Spot::Rack {
                    aisle: to,
                    side: if from > to { 1 } else { -1 },
                    bay: m.bays - 1,
                    level: m.levels - 1,
                    along: 0.97,
                    up: 0.5,
                }
            } else {
                random_spot(&mut rng, m, to)
            };
            self.moves.push(PlanMove {
                tag,
                pick_s: 25.0 + 26.0 * i as f64,
                to: dest,
            });
        }
    }
}

fn random_spot(rng: &mut Prng, m: &RackModel, aisle: usize) -> Spot {
    Spot::Rack {
        aisle,
        side: if rng.chance(0.5) { 1 } else { -1 },
        bay: rng.below(m.bays),
        level: rng.below(m.levels),
        along: rng.range(0.05, 0.95),
        up: rng.range(0.15, 0.9),
    }
}

impl RackModel {
    /// The reference racking and radio before the goods are calibrated (transparent goods).
    fn reference_geometry() -> Self {
        RackModel {
            aisles: 4,
            isolation_db: 0.0,
            aisle_width_m: 2.8,
            row_depth_m: 1.0,
            flue_m: 0.2,
            bays: 4,
            bay_m: 2.7,
            levels: 3,
            level_m: 1.6,
            load_m: 1.3,
            antenna_z_m: 6.2,
            roof_z_m: 9.0,
            antennas_per_aisle: 2,
            ports_per_reader: 4,
            tx_dbm: 31.5,
            cable_db: 1.5,
            antenna_gain_dbi: 6.0,
            polarisation_db: 3.0,
            beamwidth_deg: 110.0,
            side_lobe_db: -15.0,
            front_to_back_db: 20.0,
            tag_gain_dbi: 2.0,
            backscatter_db: 15.0,
            tag_sensitivity_dbm: -21.0,
            reader_sensitivity_dbm: -90.0,
            decode_width_db: 0.8,
            goods_loss_db_per_m: 0.0,
            rack_metal_db: 0.1,
            floor_gamma: 0.35,
            roof_gamma: 0.6,
            face_gamma: 0.45,
            diffuse_db: -6.0,
            diffuse_rays: 8,
            diffuse_excess_m: 15.0,
            diffuse_ref_m: 5.0,
            person_shadow_db: 14.0,
            forklift_shadow_db: 20.0,
            dwell_ms: 200,
            hop_ms: 200,
            cochannel_db: 10.0,
            adjacent_db: 3.0,
            rssi_noise_db: 0.7,
            phase_noise_rad: 0.06,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Complex numbers

#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Cx {
    re: f64,
    im: f64,
}

impl Cx {
    fn polar(r: f64, th: f64) -> Self {
        let (s, c) = th.sin_cos();
        Cx {
            re: r * c,
            im: r * s,
        }
    }
    fn add(self, o: Cx) -> Cx {
        Cx {
            re: self.re + o.re,
            im: self.im + o.im,
        }
    }
    fn norm2(self) -> f64 {
        self.re * self.re + self.im * self.im
    }
    fn arg(self) -> f64 {
        self.im.atan2(self.re)
    }
}

fn median(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

fn db(x: f64) -> f64 {
    10f64.powf(x / 10.0)
}

// ---------------------------------------------------------------------------------------
// Environment: antennas, racks, rays

#[derive(Debug, Clone, Copy)]
struct Antenna {
    pos: Vec3,
    aisle: usize,
}

/// One ray of a link: amplitude (one way, with every gain and loss), length, extra phase.
#[derive(Debug, Clone, Copy)]
struct Ray {
    amp: f64,
    len: f64,
    ph: f64,
}

/// A tag's antenna as the links see it.
#[derive(Debug, Clone, Copy)]
struct TagGeom {
    axis: Vec3,
    /// Outward normal of the label (None when held in a hand).
    normal: Option<Vec3>,
    /// Tag antenna gain, linear (with the on-metal penalty).
    gain: f64,
    /// One-way loss on every link (buried in its pallet).
    all_db: f64,
    /// One-way loss on links in front of the label (goods put in front of it).
    front_db: f64,
}

impl TagGeom {
    fn nominal(m: &RackModel, spot: &Spot) -> Self {
        let (axis, normal) = match *spot {
            Spot::Rack { side, .. } => (
                Vec3::new(1.0, 0.0, 0.0),
                Some(Vec3::new(0.0, -side as f64, 0.0)),
            ),
            Spot::Point { axis, .. } => (axis.unit(), None),
        };
        TagGeom {
            axis,
            normal,
            gain: db(m.tag_gain_dbi),
            all_db: 0.0,
            front_db: 0.0,
        }
    }

    /// Power gain towards unit direction `d` (from the tag).
    fn gain_to(&self, d: Vec3) -> f64 {
        let c = self.axis.dot(d);
        self.gain * (1.0 - c * c).max(0.03)
    }

    fn front_loss(&self, d: Vec3) -> f64 {
        match self.normal {
            Some(n) if n.dot(d) > 0.0 => self.front_db,
            _ => 0.0,
        }
    }
}

struct Env {
    antennas: Vec<Antenna>,
    /// Racks: y-ranges of their rows (None where there is no row).
    racks: Vec<[Option<(f64, f64)>; 2]>,
    /// Per-antenna diffuse ray phases are keyed on this.
    seed: u64,
}

impl Env {
    fn new(m: &RackModel, seed: u64) -> Self {
        let l = m.length_m();
        let mut antennas = Vec::new();
        for k in 0..m.aisles {
            for j in 0..m.antennas_per_aisle {
                let x = l * (2 * j + 1) as f64 / (2 * m.antennas_per_aisle) as f64;
                antennas.push(Antenna {
                    pos: Vec3::new(x, m.aisle_y(k), m.antenna_z_m),
                    aisle: k,
                });
            }
        }
        let half = m.aisle_width_m / 2.0;
        let mut racks = Vec::new();
        for r in 0..=m.aisles {
            let row0 = (r >= 1).then(|| {
                let y = m.aisle_y(r - 1) + half;
                (y, y + m.row_depth_m)
            });
            let row1 = (r < m.aisles).then(|| {
                let y = m.aisle_y(r) - half;
                (y - m.row_depth_m, y)
            });
            racks.push([row0, row1]);
        }
        Env {
            antennas,
            racks,
            seed,
        }
    }

    fn cells(m: &RackModel) -> usize {
        (m.aisles + 1) * 2 * m.bays * m.levels
    }

    fn cell(m: &RackModel, rack: usize, row: usize, bay: usize, level: usize) -> usize {
        ((rack * 2 + row) * m.bays + bay) * m.levels + level
    }

    /// Rack fill as drawn for this environment; every position holding a plan tag is loaded.
    fn initial_fill(&self, m: &RackModel, plan: &RackPlan) -> Vec<f64> {
        let mut rng = Prng::keyed(self.seed, &[0xF111]);
        let mut g: Vec<f64> = (0..Env::cells(m))
            .map(|_| {
                if rng.chance(0.85) {
                    rng.range(0.5, 1.0)
                } else {
                    0.0
                }
            })
            .collect();
        let spots = plan
            .tags
            .iter()
            .map(|t| t.spot)
            .chain(plan.moves.iter().map(|mv| mv.to));
        for s in spots {
            if let Some(c) = Self::spot_cell(m, &s) {
                if g[c] < 0.5 {
                    g[c] = 0.5 + 0.5 * rng.unit();
                }
            }
        }
        g
    }

    fn spot_cell(m: &RackModel, s: &Spot) -> Option<usize> {
        match *s {
            Spot::Rack {
                aisle,
                side,
                bay,
                level,
                ..
            } => Some(if side > 0 {
                Env::cell(m, aisle + 1, 0, bay, level)
            } else {
                Env::cell(m, aisle, 1, bay, level)
            }),
            Spot::Point { .. } => None,
        }
    }

    fn spot_pos(&self, m: &RackModel, s: &Spot) -> Vec3 {
        match *s {
            Spot::Rack {
                aisle,
                side,
                bay,
                level,
                along,
                up,
            } => Vec3::new(
                (bay as f64 + along) * m.bay_m,
                m.aisle_y(aisle) + side as f64 * (m.aisle_width_m / 2.0 + 0.002),
                level as f64 * m.level_m + 0.1 + up * m.load_m,
            ),
            Spot::Point { pos, .. } => pos,
        }
    }

    /// One-way loss of the straight path a→b through goods and rack metal, dB.
    fn obstruction(&self, m: &RackModel, fill: &[f64], a: Vec3, b: Vec3) -> f64 {
        let l = m.length_m();
        let top = m.levels as f64 * m.level_m;
        let d = b - a;
        let len = d.norm();
        if len < 1e-9 {
            return 0.0;
        }
        let mut loss = 0.0;
        for (r, rows) in self.racks.iter().enumerate() {
            let ylo = rows
                .iter()
                .flatten()
                .map(|r| r.0)
                .fold(f64::INFINITY, f64::min);
            let yhi = rows
                .iter()
                .flatten()
                .map(|r| r.1)
                .fold(f64::NEG_INFINITY, f64::max);
            let (mut t0, mut t1) = (0.0f64, 1.0f64);
            for (o, dd, lo, hi) in [
                (a.x, d.x, 0.0, l),
                (a.y, d.y, ylo, yhi),
                (a.z, d.z, 0.0, top),
            ] {
                if dd.abs() < 1e-12 {
                    if o < lo || o > hi {
                        t1 = -1.0;
                    }
                } else {
                    let (mut u0, mut u1) = ((lo - o) / dd, (hi - o) / dd);
                    if u0 > u1 {
                        std::mem::swap(&mut u0, &mut u1);
                    }
                    t0 = t0.max(u0);
                    t1 = t1.min(u1);
                }
            }
            if t1 <= t0 {
                continue;
            }
            let seg = (t1 - t0) * len;
            let n = ((seg / 0.08).ceil() as usize).max(1);
            let step = seg / n as f64;
            let mut touched = [false; 2];
            for i in 0..n {
                let t = t0 + (t1 - t0) * (i as f64 + 0.5) / n as f64;
                let p = a + d * t;
                let Some(row) = rows
                    .iter()
                    .position(|rr| rr.is_some_and(|(lo, hi)| p.y >= lo && p.y <= hi))
                else {
                    continue;
                };
                touched[row] = true;
                let bay = ((p.x / m.bay_m) as usize).min(m.bays - 1);
                let level = ((p.z / m.level_m) as usize).min(m.levels - 1);
                let zin = p.z - level as f64 * m.level_m;
                if zin >= 0.1 && zin <= 0.1 + m.load_m {
                    loss += fill[Env::cell(m, r, row, bay, level)] * m.goods_loss_db_per_m * step;
                }
            }
            loss += m.rack_metal_db * touched.iter().filter(|&&t| t).count() as f64;
        }
        loss
    }

    /// The rays of the link from antenna `a` to a tag at `p`. `key` and `gen` pick the
    /// diffuse rays (a new `gen` is a new multipath after the surroundings changed).
    #[allow(clippy::too_many_arguments)]
    fn rays(
        &self,
        m: &RackModel,
        fill: &[f64],
        a: usize,
        p: Vec3,
        tag: &TagGeom,
        seed: u64,
        key: u64,
        gen: u64,
    ) -> Vec<Ray> {
        let ant = self.antennas[a];
        let ap = ant.pos;
        let down = Vec3::new(0.0, 0.0, -1.0);
        let k4 = LAMBDA / (4.0 * PI);
        let mut out = Vec::with_capacity(8 + m.diffuse_rays);
        let mut rng = Prng::keyed(seed, &[0xA1, key, a as u64, gen]);

        // Direct.
        let d = (p - ap).norm().max(0.05);
        let u = (p - ap) * (1.0 / d);
        let back = ap - p;
        let obs_direct = self.obstruction(m, fill, ap, p);
        let tdir = back * (1.0 / d);
        let extra = tag.all_db + tag.front_loss(tdir);
        let amp = k4 / d
            * (m.antenna_gain(u.dot(down)) * tag.gain_to(tdir)).sqrt()
            * db(-(obs_direct + extra) / 2.0);
        out.push(Ray {
            amp,
            len: d,
            ph: 0.0,
        });

        // Two-leg bounces via a mirror image of the antenna.
        let bounce = |out: &mut Vec<Ray>, image: Vec3, r: Vec3, gamma: f64, ph: f64| {
            let l1 = (r - ap).norm().max(0.05);
            let l2 = (p - r).norm().max(0.05);
            let ua = (r - ap) * (1.0 / l1);
            let ut = (r - p) * (1.0 / l2);
            let obs = self.obstruction(m, fill, ap, r) + self.obstruction(m, fill, r, p);
            let extra = tag.all_db + tag.front_loss(ut);
            let len = (p - image).norm();
            let amp = k4 / len
                * gamma
                * (m.antenna_gain(ua.dot(down)) * tag.gain_to(ut)).sqrt()
                * db(-(obs + extra) / 2.0);
            out.push(Ray { amp, len, ph });
        };
        // Floor at z = 0.
        let img = Vec3::new(ap.x, ap.y, -ap.z);
        let t = ap.z / (ap.z + p.z);
        bounce(&mut out, img, img.lerp(p, t), m.floor_gamma, PI);
        // Roof.
        let img = Vec3::new(ap.x, ap.y, 2.0 * m.roof_z_m - ap.z);
        let t = (img.z - m.roof_z_m) / (img.z - p.z);
        bounce(&mut out, img, img.lerp(p, t), m.roof_gamma, PI);
        // Rack faces of the antenna's aisle, when the tag is on the same side of the face.
        let half = m.aisle_width_m / 2.0;
        for s in [-1.0, 1.0] {
            let yf = ap.y + s * half;
            if (p.y - yf) * s > -0.01 {
                continue;
            }
            let img = Vec3::new(ap.x, 2.0 * yf - ap.y, ap.z);
            let t = (img.y - yf) / (img.y - p.y);
            let r = img.lerp(p, t);
            if r.x < 0.0 || r.x > m.length_m() || r.z > m.levels as f64 * m.level_m {
                continue;
            }
            // Nudge the reflection point into the aisle so its legs do not count the face.
            let r = Vec3::new(r.x, yf - s * 0.01, r.z);
            let ph = rng.range(0.0, TAU);
            bounce(&mut out, img, r, m.face_gamma, ph);
        }
        // Round the rack ends, for a tag in another aisle.
        let tag_aisle = ((p.y / m.pitch()).round().max(0.0) as usize).min(m.aisles - 1);
        if tag_aisle != ant.aisle {
            for xe in [-0.1, m.length_m() + 0.1] {
                let q = Vec3::new(
                    xe,
                    0.5 * (p.y + ap.y),
                    0.5 * (p.z + ap.z).min(2.0 * m.load_m + 1.0),
                );
                let d1 = (q - ap).norm();
                let d2 = (p - q).norm();
                let u1 = (q - ap) * (1.0 / d1);
                let u2 = (p - q) * (1.0 / d2);
                let bend = u1.dot(u2).clamp(-1.0, 1.0).acos();
                let nu = bend * (2.0 * d1 * d2 / (LAMBDA * (d1 + d2))).sqrt();
                let j = if nu > -0.78 {
                    6.9 + 20.0 * (((nu - 0.1).powi(2) + 1.0).sqrt() + nu - 0.1).log10()
                } else {
                    0.0
                };
                let obs = self.obstruction(m, fill, ap, q) + self.obstruction(m, fill, q, p);
                let ut = (q - p) * (1.0 / d2);
                let extra = tag.all_db + tag.front_loss(ut);
                let amp = k4 / (d1 + d2)
                    * (m.antenna_gain(u1.dot(down)) * tag.gain_to(ut)).sqrt()
                    * db(-(j + obs + extra) / 2.0);
                out.push(Ray {
                    amp,
                    len: d1 + d2,
                    ph: PI / 4.0,
                });
            }
        }
        // Diffuse reverberation.
        let total = (k4 / m.diffuse_ref_m).powi(2)
            * db(m.antenna_gain_dbi)
            * tag.gain
            * 0.5
            * db(m.diffuse_db)
            * db(-(obs_direct / 2.0 + tag.all_db + tag.front_db / 2.0));
        let w: Vec<f64> = (0..m.diffuse_rays)
            .map(|_| -(1.0 - rng.unit()).ln())
            .collect();
        let sw: f64 = w.iter().sum();
        for wi in w {
            out.push(Ray {
                amp: (total * wi / sw).sqrt(),
                len: d + 2.0 + rng.unit().max(1e-9).ln().abs() * m.diffuse_excess_m,
                ph: rng.range(0.0, TAU),
            });
        }
        out
    }
}

fn channel_sum(rays: &[Ray], ch: usize) -> Cx {
    let k = TAU * channel_hz(ch) / C_LIGHT;
    rays.iter().fold(Cx::default(), |acc, r| {
        acc.add(Cx::polar(r.amp, r.ph - k * r.len))
    })
}

// ---------------------------------------------------------------------------------------
// Bodies: people and forklifts

/// Something that walks or drives: waypoints (µs into the run, x, y), stops are repeated
/// points.
#[derive(Debug, Clone)]
struct Body {
    pts: Vec<(u64, f64, f64)>,
    radius: f64,
    /// Height while moving and while stopped (a forklift raises its load when it stops).
    height: f64,
    stop_height: f64,
    /// Bistatic cross-section, m², and one-way shadow of the direct ray, dB.
    sigma: f64,
    shadow_db: f64,
    phase: f64,
}

#[derive(Debug, Clone, Copy)]
struct BodyNow {
    x: f64,
    y: f64,
    hx: f64,
    hy: f64,
    height: f64,
    radius: f64,
    sigma: f64,
    shadow_db: f64,
    phase: f64,
}

impl Body {
    fn start(&self) -> u64 {
        self.pts[0].0
    }
    fn end(&self) -> u64 {
        self.pts[self.pts.len() - 1].0
    }

    fn at(&self, t: u64) -> BodyNow {
        let pts = &self.pts;
        let i = pts
            .partition_point(|p| p.0 <= t)
            .clamp(1, pts.len().max(2) - 1);
        let (mut x, mut y, mut hx, mut hy, mut moving) = (pts[0].1, pts[0].2, 1.0, 0.0, false);
        if pts.len() >= 2 {
            let (t0, x0, y0) = pts[i - 1];
            let (t1, x1, y1) = pts[i];
            let f = if t1 > t0 {
                ((t.saturating_sub(t0)) as f64 / (t1 - t0) as f64).clamp(0.0, 1.0)
            } else {
                1.0
            };
            x = x0 + (x1 - x0) * f;
            y = y0 + (y1 - y0) * f;
            // Heading: of this leg, or of the last leg that moved.
            for j in (1..=i).rev() {
                let (dx, dy) = (pts[j].1 - pts[j - 1].1, pts[j].2 - pts[j - 1].2);
                let n = (dx * dx + dy * dy).sqrt();
                if n > 1e-6 {
                    hx = dx / n;
                    hy = dy / n;
                    moving = j == i;
                    break;
                }
            }
        }
        BodyNow {
            x,
            y,
            hx,
            hy,
            height: if moving {
                self.height
            } else {
                self.stop_height
            },
            radius: self.radius,
            sigma: self.sigma,
            shadow_db: self.shadow_db,
            phase: self.phase,
        }
    }
}

fn person(pts: Vec<(u64, f64, f64)>, m: &RackModel, phase: f64) -> Body {
    Body {
        pts,
        radius: 0.25,
        height: 1.8,
        stop_height: 1.8,
        sigma: 0.5,
        shadow_db: m.person_shadow_db / 2.0,
        phase,
    }
}

fn forklift(pts: Vec<(u64, f64, f64)>, m: &RackModel, phase: f64, lift: f64) -> Body {
    Body {
        pts,
        radius: 0.7,
        height: 2.3,
        stop_height: lift.max(2.3),
        sigma: 4.0,
        shadow_db: m.forklift_shadow_db / 2.0,
        phase,
    }
}

/// A body's effect on a link from `ap` to `p` whose direct ray has amplitude `direct`:
/// the amplitude factor on the direct ray and, when near, a scattered ray.
fn body_effect(m: &RackModel, b: &BodyNow, ap: Vec3, p: Vec3, tag_gain: f64) -> (f64, Option<Ray>) {
    let d = p - ap;
    let dxy2 = d.x * d.x + d.y * d.y;
    let t = if dxy2 > 1e-12 {
        (((b.x - ap.x) * d.x + (b.y - ap.y) * d.y) / dxy2).clamp(0.0, 1.0)
    } else {
        1.0
    };
    let q = ap + d * t;
    let hd = ((q.x - b.x).powi(2) + (q.y - b.y).powi(2)).sqrt();
    let over = (q.z - q.z.clamp(0.0, b.height)).abs();
    let dist = (hd * hd + over * over).sqrt();
    let s = (0.5 - (dist - b.radius) / 0.3).clamp(0.0, 1.0);
    let factor = db(-s * b.shadow_db / 2.0);
    let c = Vec3::new(b.x, b.y, p.z.clamp(0.2, b.height * 0.9));
    let d2 = (p - c).norm().max(0.5);
    if d2 > 4.0 {
        return (factor, None);
    }
    let d1 = (c - ap).norm().max(0.5);
    let ua = (c - ap) * (1.0 / d1);
    let amp = LAMBDA / (4.0 * PI)
        * (m.antenna_gain(-ua.z) * tag_gain).sqrt()
        * (b.sigma / (4.0 * PI)).sqrt()
        / (d1 * d2);
    (
        factor,
        Some(Ray {
            amp,
            len: d1 + d2,
            ph: b.phase + PI,
        }),
    )
}

// ---------------------------------------------------------------------------------------
// Simulation

fn us(s: f64) -> u64 {
    (s.max(0.0) * 1e6).round() as u64
}

/// A still tag's links, fixed until its surroundings change.
#[derive(Debug, Clone)]
struct Station {
    pos: Vec3,
    /// Per antenna: the channel per hop channel, the direct ray (amp, len), the mean one-way dB.
    h: Vec<[Cx; CHANNELS]>,
    direct: Vec<(f64, f64)>,
    mean_db: Vec<f64>,
    /// Average tag gain (for body scatter).
    tag_gain: f64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum TagState {
    Still(usize),
    /// Carried by body `.0`, racks as in grid snapshot `.1`.
    Carried(usize, usize),
    Gone,
}

/// A tag's own radio attributes, drawn per seed.
#[derive(Debug, Clone, Copy)]
struct TagRf {
    sens: f64,
    gain: f64,
    all_db: f64,
    face_angle: f64,
    carry_axis: Vec3,
    phase: f64,
}

fn draw_tag(m: &RackModel, seed: u64, i: usize) -> TagRf {
    let mut r = Prng::keyed(seed, &[0x7A6, i as u64]);
    let mut sens = m.tag_sensitivity_dbm + r.normal();
    let class = r.unit();
    if class < 0.1 {
        sens += 4.0;
    } else if class < 0.2 {
        sens -= 3.0;
    }
    let mut gain_db = m.tag_gain_dbi;
    if r.chance(0.1) {
        gain_db -= r.range(6.0, 10.0);
    }
    let all_db = if r.chance(0.08) {
        r.range(3.0, 8.0)
    } else {
        0.0
    };
    let face_angle = if r.chance(0.75) {
        0.26 * r.normal()
    } else {
        r.range(0.0, PI)
    };
    let carry_axis = Vec3::new(r.normal(), r.normal(), r.normal());
    TagRf {
        sens,
        gain: db(gain_db),
        all_db,
        face_angle,
        carry_axis,
        phase: r.range(0.0, TAU),
    }
}

fn geom_for(m: &RackModel, spot: &Spot, rf: &TagRf, front_db: f64) -> TagGeom {
    let mut g = TagGeom::nominal(m, spot);
    if let Spot::Rack { .. } = spot {
        g.axis = Vec3::new(rf.face_angle.cos(), 0.0, rf.face_angle.sin());
    }
    g.gain = rf.gain;
    g.all_db = rf.all_db;
    g.front_db = front_db;
    g
}

enum Act {
    Pick {
        tag: usize,
        body: usize,
    },
    Place {
        tag: usize,
        spot: Spot,
    },
    Gone {
        tag: usize,
    },
    Fill {
        cell: usize,
        value: f64,
        x: f64,
        y: f64,
    },
    Front {
        tag: usize,
        loss: f64,
    },
}

struct Sim<'a> {
    m: &'a RackModel,
    env: Env,
    seed: u64,
    stations: Vec<Station>,
    sched: Vec<Vec<(u64, TagState)>>,
    grids: Vec<Vec<f64>>,
    bodies: Vec<Body>,
    rf: Vec<TagRf>,
    /// Rays of carried tags per (tag, antenna): time bucket, position, rays.
    carry_cache: RefCell<HashMap<(usize, usize), CarryRays>>,
}

type CarryRays = (u64, Vec3, Vec<Ray>);

impl Sim<'_> {
    fn station(&self, grid: &[f64], i: usize, spot: &Spot, front_db: f64, gen: u64) -> Station {
        let m = self.m;
        let geom = geom_for(m, spot, &self.rf[i], front_db);
        let pos = self.env.spot_pos(m, spot);
        let mut st = Station {
            pos,
            h: Vec::new(),
            direct: Vec::new(),
            mean_db: Vec::new(),
            tag_gain: geom.gain * 0.5 * db(-geom.all_db),
        };
        for a in 0..self.env.antennas.len() {
            let rays = self
                .env
                .rays(m, grid, a, pos, &geom, self.seed, i as u64, gen);
            let mut h = [Cx::default(); CHANNELS];
            for (ch, hc) in h.iter_mut().enumerate() {
                *hc = channel_sum(&rays, ch);
            }
            st.h.push(h);
            st.direct.push((rays[0].amp, rays[0].len));
            let pw: f64 = rays.iter().map(|r| r.amp * r.amp).sum();
            st.mean_db.push(10.0 * pw.log10());
        }
        st
    }

    /// Position of a carried tag: a hand's breadth ahead of its carrier, at 1.1 m.
    fn carried_pos(b: &BodyNow) -> Vec3 {
        Vec3::new(b.x + 0.35 * b.hx, b.y + 0.35 * b.hy, 1.1)
    }

    /// The one-way channel of tag `i` in state `st` to antenna `a` on channel `ch`.
    fn channel(
        &self,
        i: usize,
        st: TagState,
        a: usize,
        ch: usize,
        t: u64,
        active: &[BodyNow],
    ) -> Option<Cx> {
        let m = self.m;
        let ap = self.env.antennas[a].pos;
        let k = TAU * channel_hz(ch) / C_LIGHT;
        match st {
            TagState::Gone => None,
            TagState::Still(s) => {
                let s = &self.stations[s];
                let mut h = s.h[a][ch];
                let (amp, len) = s.direct[a];
                let mut factor = 1.0;
                for b in active {
                    // Cheap rejection: far from the link's footprint.
                    let (x0, x1) = (ap.x.min(s.pos.x) - 4.0, ap.x.max(s.pos.x) + 4.0);
                    let (y0, y1) = (ap.y.min(s.pos.y) - 4.0, ap.y.max(s.pos.y) + 4.0);
                    if b.x < x0 || b.x > x1 || b.y < y0 || b.y > y1 {
                        continue;
                    }
                    let (f, ray) = body_effect(m, b, ap, s.pos, s.tag_gain);
                    factor *= f;
                    if let Some(r) = ray {
                        h = h.add(Cx::polar(r.amp, r.ph - k * r.len));
                    }
                }
                if factor < 1.0 {
                    h = h.add(Cx::polar(amp * (factor - 1.0), -k * len));
                }
                Some(h)
            }
            TagState::Carried(b, g) => {
                let carrier = self.bodies[b].at(t);
                let p = Self::carried_pos(&carrier);
                let rf = &self.rf[i];
                let geom = TagGeom {
                    axis: rf.carry_axis.unit(),
                    normal: None,
                    gain: rf.gain,
                    all_db: 0.0,
                    front_db: 0.0,
                };
                // Ray amplitudes (the costly part: obstruction) are kept for 100 ms of
                // walking (13 cm); lengths follow the tag exactly by the change of the direct
                // path, so the phase turns smoothly as it moves.
                let bucket = t / 100_000;
                let mut cache = self.carry_cache.borrow_mut();
                let entry = cache.entry((i, a)).or_insert((u64::MAX, p, Vec::new()));
                if entry.0 != bucket {
                    *entry = (
                        bucket,
                        p,
                        self.env
                            .rays(m, &self.grids[g], a, p, &geom, self.seed, i as u64, 1 << 40),
                    );
                }
                let shift = (p - ap).norm() - (entry.1 - ap).norm();
                let mut rays = entry.2.clone();
                drop(cache);
                for r in rays.iter_mut() {
                    r.len += shift;
                }
                let mut factor = 1.0;
                let mut extra = Vec::new();
                for bn in active.iter().chain(std::iter::once(&carrier)) {
                    let (f, ray) = body_effect(m, bn, ap, p, rf.gain * 0.5);
                    factor *= f;
                    if let Some(r) = ray {
                        if (bn.x - carrier.x).abs() > 1e-9 || (bn.y - carrier.y).abs() > 1e-9 {
                            extra.push(r);
                        }
                    }
                }
                rays[0].amp *= factor;
                rays.extend(extra);
                Some(channel_sum(&rays, ch))
            }
        }
    }
}

struct ReaderSim {
    id: u32,
    ants: Vec<usize>,
    cur: usize,
    t: u64,
    dwell_start: u64,
    quiet: u32,
    target_b: Vec<bool>,
    qfp: Vec<f64>,
    perm: Vec<usize>,
    hop_off: u64,
    flag_b: Vec<bool>,
    last_pw: Vec<Option<u64>>,
    persist: Vec<u64>,
    port_db: Vec<f64>,
    chan_phase: Vec<[f64; CHANNELS]>,
    rng: Prng,
    done: bool,
}

impl ReaderSim {
    fn channel_at(&self, hop_us: u64, t: u64) -> usize {
        self.perm[((t + self.hop_off) / hop_us) as usize % CHANNELS]
    }
}

/// Runs `plan` on `model`: reads sorted by time, and the ground truth.
pub fn simulate(model: &RackModel, plan: &RackPlan, seed: u64) -> Run<ShelfTruth> {
    let m = model;
    let env = Env::new(m, seed);
    let n = plan.tags.len();
    let dur = us(plan.duration_s);
    let l = m.length_m();
    let front_x = -1.5;
    let back_x = l + 1.5;
    let mut rng = Prng::keyed(seed, &[0xB0D1]);
    let rf: Vec<TagRf> = (0..n)
        .map(|i| {
            let mut rf = draw_tag(m, seed, i);
            if let Spot::Point { .. } = plan.tags[i].spot {
                // Calibration tags are nominal.
                rf.sens = m.tag_sensitivity_dbm;
                rf.gain = db(m.tag_gain_dbi);
                rf.all_db = 0.0;
            }
            rf
        })
        .collect();
    let epcs: Vec<Epc> = plan.tags.iter().map(|t| giai_epc(t.serial)).collect();

    // Carriers and the truth of moves and removals.
    let mut bodies: Vec<Body> = Vec::new();
    let mut acts: Vec<(u64, Act)> = Vec::new();
    let mut moves = Vec::new();
    let mut removals = Vec::new();
    let mut spans: Vec<Vec<Span>> = plan
        .tags
        .iter()
        .map(|t| {
            vec![Span {
                from_us: START_US,
                place: Place::Aisle(t.spot.aisle()),
            }]
        })
        .collect();
    let lane = |spot: &Spot| -> (f64, f64) {
        let p = env.spot_pos(m, spot);
        let side = match spot {
            Spot::Rack { side, .. } => *side as f64,
            Spot::Point { .. } => 0.0,
        };
        (p.x, m.aisle_y(spot.aisle()) + side * 0.9)
    };
    let walk = |pts: &mut Vec<(u64, f64, f64)>, x: f64, y: f64| {
        let &(t, x0, y0) = pts.last().expect("a start");
        let d = ((x - x0).powi(2) + (y - y0).powi(2)).sqrt();
        pts.push((t + us(d / CARRY_SPEED), x, y));
    };
    // The approach to a tag picked at `pick`, ending standing at it for 2 s.
    let approach = |spot: &Spot, pick: u64| -> Vec<(u64, f64, f64)> {
        let (x, y) = lane(spot);
        let yc = m.aisle_y(spot.aisle());
        let ex = if x < l / 2.0 { front_x } else { back_x };
        let stand = pick.saturating_sub(2_000_000);
        let d = (x - ex).abs() + (y - yc).abs();
        vec![
            (stand.saturating_sub(us(d / CARRY_SPEED)), ex, yc),
            (stand, x, y),
            (pick, x, y),
        ]
    };
    for mv in &plan.moves {
        let from_spot = plan.tags[mv.tag].spot;
        let pick = us(mv.pick_s);
        let mut pts = approach(&from_spot, pick);
        let (x0, _) = lane(&from_spot);
        let (x1, y1) = lane(&mv.to);
        let ex = if x0 + x1 < l { front_x } else { back_x };
        let yc0 = m.aisle_y(from_spot.aisle());
        let yc1 = m.aisle_y(mv.to.aisle());
        walk(&mut pts, x0, yc0);
        walk(&mut pts, ex, yc0);
        walk(&mut pts, ex, yc1);
        walk(&mut pts, x1, yc1);
        walk(&mut pts, x1, y1);
        let placed = pts.last().expect("a walk").0 + 1_500_000;
        pts.push((placed, x1, y1));
        walk(&mut pts, x1, yc1);
        walk(&mut pts, ex, yc1);
        let b = bodies.len();
        bodies.push(person(pts, m, rng.range(0.0, TAU)));
        acts.push((
            pick,
            Act::Pick {
                tag: mv.tag,
                body: b,
            },
        ));
        acts.push((
            placed,
            Act::Place {
                tag: mv.tag,
                spot: mv.to,
            },
        ));
        spans[mv.tag].push(Span {
            from_us: START_US + pick,
            place: Place::InTransit,
        });
        spans[mv.tag].push(Span {
            from_us: START_US + placed,
            place: Place::Aisle(mv.to.aisle()),
        });
        moves.push(TrueMove {
            epc: epcs[mv.tag],
            from: from_spot.aisle(),
            to: mv.to.aisle(),
            picked_us: START_US + pick,
            placed_us: START_US + placed,
        });
    }
    for rm in &plan.removals {
        let spot = plan.tags[rm.tag].spot;
        let pick = us(rm.pick_s);
        let mut pts = approach(&spot, pick);
        let (x0, _) = lane(&spot);
        let yc = m.aisle_y(spot.aisle());
        walk(&mut pts, x0, yc);
        walk(&mut pts, front_x, yc);
        walk(&mut pts, front_x - 12.0, yc);
        let gone = pts.last().expect("a walk").0;
        let b = bodies.len();
        bodies.push(person(pts, m, rng.range(0.0, TAU)));
        acts.push((
            pick,
            Act::Pick {
                tag: rm.tag,
                body: b,
            },
        ));
        acts.push((gone, Act::Gone { tag: rm.tag }));
        spans[rm.tag].push(Span {
            from_us: START_US + pick,
            place: Place::InTransit,
        });
        spans[rm.tag].push(Span {
            from_us: START_US + gone,
            place: Place::Gone,
        });
        removals.push(TrueRemoval {
            epc: epcs[rm.tag],
            from: spot.aisle(),
            picked_us: START_US + pick,
            gone_us: START_US + gone,
        });
    }
    moves.sort_by_key(|mv: &TrueMove| mv.placed_us);
    removals.sort_by_key(|r: &TrueRemoval| r.picked_us);

    // Restocking: a forklift stops in front of the tag, the goods go in as it leaves.
    for rs in &plan.restocks {
        let spot = plan.tags[rs.tag].spot;
        let at = us(rs.at_s);
        let (x, _) = lane(&spot);
        let yc = m.aisle_y(spot.aisle());
        let side = match spot {
            Spot::Rack { side, .. } => side as f64,
            Spot::Point { .. } => 0.0,
        };
        let ys = yc + side * 0.3;
        let pts = vec![
            (at.saturating_sub(us(15.0 + x / 2.5)), front_x, yc),
            (at.saturating_sub(us(12.0)), x, ys),
            (at, x, ys),
            (at + us(x / 2.5), front_x, yc),
        ];
        bodies.push(forklift(
            pts,
            m,
            rng.range(0.0, TAU),
            1.0 + env.spot_pos(m, &spot).z,
        ));
        acts.push((
            at,
            Act::Front {
                tag: rs.tag,
                loss: rs.loss_db,
            },
        ));
    }

    // Background traffic through every aisle.
    for k in 0..m.aisles {
        let yc = m.aisle_y(k);
        for (rate, is_fork) in [(plan.people_per_min, false), (plan.forklifts_per_min, true)] {
            if rate <= 0.0 {
                continue;
            }
            let mut t = -rng.unit().max(1e-12).ln() * 60.0 / rate - 10.0;
            while t < plan.duration_s {
                let (speed, half, p_stop, stop) = if is_fork {
                    (rng.range(2.0, 3.0), 0.4, 0.5, rng.range(10.0, 20.0))
                } else {
                    (rng.range(1.1, 1.6), 0.9, 0.35, rng.range(5.0, 25.0))
                };
                let (xa, xb) = if rng.chance(0.5) {
                    (front_x, back_x)
                } else {
                    (back_x, front_x)
                };
                let y = yc + rng.range(-half, half);
                let t0 = t.max(0.0);
                let mut pts = vec![(us(t0), xa, y)];
                if rng.chance(p_stop) {
                    let xs = rng.range(1.0, l - 1.0);
                    let ys = yc
                        + if is_fork {
                            rng.range(-0.3, 0.3)
                        } else if rng.chance(0.5) {
                            1.1
                        } else {
                            -1.1
                        };
                    let t1 = t0 + (xs - xa).abs() / speed;
                    pts.push((us(t1), xs, ys));
                    pts.push((us(t1 + stop), xs, ys));
                    pts.push((us(t1 + stop + (xb - xs).abs() / speed), xb, y));
                } else {
                    pts.push((us(t0 + (xb - xa).abs() / speed), xb, y));
                }
                let ph = rng.range(0.0, TAU);
                bodies.push(if is_fork {
                    forklift(pts, m, ph, rng.range(2.3, 4.5))
                } else {
                    person(pts, m, ph)
                });
                t += -rng.unit().max(1e-12).ln() * 60.0 / rate;
            }
        }
    }

    // Goods coming and going on the racks (not on pallet positions that carry plan tags).
    let grid0 = env.initial_fill(m, plan);
    let tag_cells: Vec<usize> = plan
        .tags
        .iter()
        .map(|t| t.spot)
        .chain(plan.moves.iter().map(|mv| mv.to))
        .filter_map(|s| Env::spot_cell(m, &s))
        .collect();
    if plan.goods_changes_per_min > 0.0 {
        let rate = plan.goods_changes_per_min / 60.0;
        let mut t = -rng.unit().max(1e-12).ln() / rate;
        let mut fill = grid0.clone();
        while t < plan.duration_s {
            let r = rng.below(m.aisles + 1);
            let row = rng.below(2);
            let bay = rng.below(m.bays);
            let level = rng.below(m.levels);
            let Some((ylo, yhi)) = env.racks[r][row] else {
                continue;
            };
            let cell = Env::cell(m, r, row, bay, level);
            if tag_cells.contains(&cell) {
                t += 1.0;
                continue;
            }
            let value = if fill[cell] > 0.0 && rng.chance(0.5) {
                0.0
            } else {
                rng.range(0.5, 1.0)
            };
            fill[cell] = value;
            let x = (bay as f64 + 0.5) * m.bay_m;
            let at = us(t);
            // The forklift that does it, in the aisle this row faces.
            let aisle = if row == 0 { r - 1 } else { r };
            let yc = m.aisle_y(aisle);
            let pts = vec![
                (at.saturating_sub(us(12.0 + x / 2.5)), front_x, yc),
                (
                    at.saturating_sub(us(10.0)),
                    x,
                    yc + 0.2 * (if row == 0 { 1.0 } else { -1.0 }),
                ),
                (at, x, yc),
                (at + us(x / 2.5), front_x, yc),
            ];
            bodies.push(forklift(
                pts,
                m,
                rng.range(0.0, TAU),
                level as f64 * m.level_m + 2.0,
            ));
            acts.push((
                at,
                Act::Fill {
                    cell,
                    value,
                    x,
                    y: 0.5 * (ylo + yhi),
                },
            ));
            t += -rng.unit().max(1e-12).ln() / rate;
        }
    }
    acts.sort_by_key(|a| a.0);

    // Stations and schedules.
    let mut sim = Sim {
        m,
        env,
        seed,
        stations: Vec::new(),
        sched: vec![Vec::new(); n],
        grids: vec![grid0.clone()],
        bodies,
        rf,
        carry_cache: RefCell::new(HashMap::new()),
    };
    let mut grid = grid0;
    let mut grid_dirty = false;
    let mut cur: Vec<Option<Spot>> = plan.tags.iter().map(|t| Some(t.spot)).collect();
    let mut front = vec![0.0; n];
    let mut gen = vec![0u64; n];
    for i in 0..n {
        let st = sim.station(&grid, i, &plan.tags[i].spot, 0.0, 0);
        sim.stations.push(st);
        sim.sched[i].push((0, TagState::Still(i)));
    }
    for (t, act) in acts {
        let restation =
            |sim: &mut Sim, grid: &[f64], i: usize, spot: Spot, front: f64, gen: &mut u64| {
                *gen += 1;
                let st = sim.station(grid, i, &spot, front, *gen);
                sim.stations.push(st);
                let s = sim.stations.len() - 1;
                sim.sched[i].push((t, TagState::Still(s)));
            };
        match act {
            Act::Pick { tag, body } => {
                cur[tag] = None;
                if grid_dirty {
                    sim.grids.push(grid.clone());
                    grid_dirty = false;
                }
                let g = sim.grids.len() - 1;
                sim.sched[tag].push((t, TagState::Carried(body, g)));
            }
            Act::Place { tag, spot } => {
                cur[tag] = Some(spot);
                restation(&mut sim, &grid, tag, spot, front[tag], &mut gen[tag]);
            }
            Act::Gone { tag } => {
                sim.sched[tag].push((t, TagState::Gone));
            }
            Act::Front { tag, loss } => {
                front[tag] += loss;
                if let Some(spot) = cur[tag] {
                    restation(&mut sim, &grid, tag, spot, front[tag], &mut gen[tag]);
                }
            }
            Act::Fill { cell, value, x, y } => {
                grid[cell] = value;
                grid_dirty = true;
                for i in 0..n {
                    let Some(spot) = cur[i] else { continue };
                    let p = sim.env.spot_pos(m, &spot);
                    if ((p.x - x).powi(2) + (p.y - y).powi(2)).sqrt() <= 3.5 {
                        restation(&mut sim, &grid, i, spot, front[i], &mut gen[i]);
                    }
                }
            }
        }
    }

    let reads = run_readers(&sim, &epcs, dur);
    let timelines = epcs
        .iter()
        .zip(spans)
        .map(|(&epc, spans)| Timeline { epc, spans })
        .collect();
    Run {
        reads,
        truth: ShelfTruth {
            start_us: START_US,
            end_us: START_US + dur,
            timelines,
            moves,
            removals,
        },
    }
}

/// One energised tag taking part in a round.
#[derive(Debug, Clone, Copy)]
struct Part {
    tag: usize,
    p_rx: f64,
    h: Cx,
}

fn run_readers(sim: &Sim, epcs: &[Epc], dur: u64) -> Vec<TagRead> {
    let m = sim.m;
    let n = epcs.len();
    let ants = sim.env.antennas.len();
    let hop_us = m.hop_ms * 1000;
    let dwell_us = m.dwell_ms * 1000;

    // Which tags each antenna could ever power (with 25 dB to spare for fading and bodies).
    let mut cands: Vec<Vec<usize>> = vec![Vec::new(); ants];
    for (i, sched) in sim.sched.iter().enumerate() {
        for (a, c) in cands.iter_mut().enumerate() {
            let reach = sched.iter().any(|&(_, st)| match st {
                TagState::Still(s) => {
                    m.tag_power(sim.stations[s].mean_db[a]) >= sim.rf[i].sens - 25.0
                }
                TagState::Carried(..) => true,
                TagState::Gone => false,
            });
            if reach {
                c.push(i);
            }
        }
    }

    let mut readers: Vec<ReaderSim> = (0..m.readers())
        .map(|r| {
            let mut rng = Prng::keyed(sim.seed, &[0x4EAD, r as u64]);
            let mut perm: Vec<usize> = (0..CHANNELS).collect();
            for i in (1..CHANNELS).rev() {
                let j = rng.below(i + 1);
                perm.swap(i, j);
            }
            let my: Vec<usize> = (0..ants).filter(|&a| a / m.ports_per_reader == r).collect();
            let np = my.len();
            let start = rng.below(20_000) as u64;
            ReaderSim {
                id: r as u32,
                cur: 0,
                t: start,
                dwell_start: start,
                quiet: 0,
                target_b: vec![false; np],
                qfp: vec![4.0; np],
                perm,
                hop_off: rng.below(hop_us as usize * CHANNELS) as u64,
                flag_b: vec![false; n],
                last_pw: vec![None; n],
                persist: (0..n).map(|_| us(rng.range(2.0, 5.0))).collect(),
                port_db: (0..np).map(|_| 0.5 * rng.normal()).collect(),
                chan_phase: (0..np)
                    .map(|_| {
                        let mut c = [0.0; CHANNELS];
                        for x in c.iter_mut() {
                            *x = rng.range(0.0, TAU);
                        }
                        c
                    })
                    .collect(),
                ants: my,
                rng,
                done: false,
            }
        })
        .collect();

    // Bodies in order of appearance.
    let mut order: Vec<usize> = (0..sim.bodies.len()).collect();
    order.sort_by_key(|&b| sim.bodies[b].start());
    let mut next_body = 0;
    let mut active: Vec<usize> = Vec::new();
    let mut cursor = vec![0usize; n];
    let mut reads = Vec::new();
    let mut parts: Vec<Part> = Vec::new();
    let mut now: Vec<BodyNow> = Vec::new();

    while let Some(ri) = (0..readers.len())
        .filter(|&r| !readers[r].done)
        .min_by_key(|&r| (readers[r].t, r))
    {
        let t0 = readers[ri].t;
        if t0 >= dur {
            readers[ri].done = true;
            continue;
        }
        // The world at t0.
        while next_body < order.len() && sim.bodies[order[next_body]].start() <= t0 {
            active.push(order[next_body]);
            next_body += 1;
        }
        active.retain(|&b| sim.bodies[b].end() >= t0);
        now.clear();
        now.extend(active.iter().map(|&b| sim.bodies[b].at(t0)));
        for (i, c) in cursor.iter_mut().enumerate() {
            while *c + 1 < sim.sched[i].len() && sim.sched[i][*c + 1].0 <= t0 {
                *c += 1;
            }
        }

        let ch = readers[ri].channel_at(hop_us, t0);
        let mut desense = 0.0;
        for (o, other) in readers.iter().enumerate() {
            if o != ri && !other.done {
                let oc = other.channel_at(hop_us, t0);
                if oc == ch {
                    desense = f64::max(desense, m.cochannel_db);
                } else if oc.abs_diff(ch) == 1 {
                    desense = f64::max(desense, m.adjacent_db);
                }
            }
        }
        let sens = m.reader_sensitivity_dbm + desense;
        let rd = &mut readers[ri];
        let port = rd.cur;
        let a = rd.ants[port];
        let target = rd.target_b[port];

        // Who is powered, and who answers this target.
        parts.clear();
        for &i in &cands[a] {
            let st = sim.sched[i][cursor[i]].1;
            if st == TagState::Gone {
                continue;
            }
            let Some(h) = sim.channel(i, st, a, ch, t0, &now) else {
                continue;
            };
            let g1 = 10.0 * h.norm2().max(1e-30).log10();
            if m.tag_power(g1) < sim.rf[i].sens {
                continue;
            }
            if let Some(lp) = rd.last_pw[i] {
                if t0.saturating_sub(lp) > rd.persist[i] {
                    rd.flag_b[i] = false;
                }
            }
            rd.last_pw[i] = Some(t0);
            if rd.flag_b[i] == target {
                parts.push(Part {
                    tag: i,
                    p_rx: m.rx_power(g1),
                    h,
                });
            }
        }

        // One inventory round.
        let cap = t0 + 1_500_000;
        let mut t = t0 + T_QUERY;
        let mut q = rd.qfp[port].round() as u32;
        let mut replies = 0usize;
        let mut remaining: Vec<usize> = (0..parts.len()).collect();
        let mut slotted: Vec<(u64, usize)> = Vec::new();
        let decode = |p_rx: f64, rng: &mut Prng| -> bool {
            rng.chance(1.0 / (1.0 + (-(p_rx - sens) / m.decode_width_db).exp()))
        };
        'round: loop {
            let frame = 1u64 << q;
            slotted.clear();
            for &j in &remaining {
                slotted.push((rd.rng.below(frame as usize) as u64, j));
            }
            slotted.sort_unstable();
            remaining.clear();
            let mut idx = 0;
            let mut s = 0u64;
            let mut adjusted = false;
            while s < frame {
                let mut e = idx;
                while e < slotted.len() && slotted[e].0 == s {
                    e += 1;
                }
                let group = &slotted[idx..e];
                let mut winner = None;
                match group.len() {
                    0 => {
                        t += T_EMPTY;
                        rd.qfp[port] = (rd.qfp[port] - Q_STEP).max(0.0);
                    }
                    1 => {
                        replies += 1;
                        if decode(parts[group[0].1].p_rx, &mut rd.rng) {
                            winner = Some(group[0].1);
                        } else {
                            t += T_COLLIDE;
                            remaining.push(group[0].1);
                        }
                    }
                    _ => {
                        replies += group.len();
                        let best = group
                            .iter()
                            .map(|g| g.1)
                            .max_by(|&x, &y| parts[x].p_rx.total_cmp(&parts[y].p_rx))
                            .expect("a group");
                        let rest: f64 = group
                            .iter()
                            .filter(|g| g.1 != best)
                            .map(|g| db(parts[g.1].p_rx))
                            .sum();
                        let captured = parts[best].p_rx - 10.0 * rest.log10() >= 6.0
                            && decode(parts[best].p_rx, &mut rd.rng);
                        if captured {
                            winner = Some(best);
                        } else {
                            t += T_COLLIDE;
                            rd.qfp[port] = (rd.qfp[port] + Q_STEP).min(15.0);
                        }
                        remaining.extend(group.iter().map(|g| g.1).filter(|&j| Some(j) != winner));
                    }
                }
                if let Some(j) = winner {
                    t += T_READ;
                    let p = parts[j];
                    let sched = &sim.sched[p.tag];
                    let k = sched.partition_point(|s| s.0 <= t).saturating_sub(1);
                    // Past the end of the run, or the tag left the field during the round.
                    let lost = t > dur || sched[k].1 == TagState::Gone;
                    rd.flag_b[p.tag] = !target;
                    let rssi = (p.p_rx + rd.port_db[port] + m.rssi_noise_db * rd.rng.normal())
                        .round()
                        .clamp(-128.0, 127.0) as i8;
                    let snr = p.p_rx - sens;
                    let sigma = (m.phase_noise_rad + 0.5 * db(-snr / 2.0)).min(PI);
                    let phase = -2.0 * p.h.arg()
                        + rd.chan_phase[port][ch]
                        + sim.rf[p.tag].phase
                        + sigma * rd.rng.normal();
                    let phase = ((phase.rem_euclid(TAU) / TAU * 4096.0) as u16).min(4095);
                    let (reader, antenna) = m.port_of(a);
                    debug_assert_eq!(reader.0, rd.id);
                    if !lost {
                        reads.push(TagRead {
                            epc: epcs[p.tag],
                            reader,
                            antenna,
                            rssi_dbm: Some(rssi),
                            timestamp_us: START_US + t,
                            channel: Some(ch as u16 + 1),
                            phase: Some(phase),
                            seen_count: Some(1),
                        });
                    }
                }
                idx = e;
                s += 1;
                if t >= cap || t >= dur {
                    remaining.extend(slotted[idx..].iter().map(|g| g.1));
                    break 'round;
                }
                let nq = rd.qfp[port].round() as u32;
                if nq != q {
                    q = nq;
                    t += T_ADJUST;
                    remaining.extend(slotted[idx..].iter().map(|g| g.1));
                    adjusted = true;
                    break;
                }
            }
            if !adjusted {
                break;
            }
        }

        // Dual target, dwell, next port.
        if replies == 0 {
            rd.target_b[port] = !rd.target_b[port];
            rd.quiet += 1;
        } else {
            rd.quiet = 0;
        }
        rd.t = t;
        if t - rd.dwell_start >= dwell_us || rd.quiet >= 2 {
            rd.cur = (rd.cur + 1) % rd.ants.len();
            rd.t += T_SWITCH;
            rd.dwell_start = rd.t;
            rd.quiet = 0;
        }
    }
    reads.sort_by_key(|r| (r.timestamp_us, r.reader, r.antenna));
    reads
}

#[cfg(test)]
mod tests {
    use super::*;

    fn short(name: &str, secs: f64) -> RackPlan {
        let mut p = RackPlan::named(name).expect("a plan");
        p.duration_s = secs;
        p.moves.retain(|m| m.pick_s + 40.0 < secs);
        p.removals.retain(|r| r.pick_s + 30.0 < secs);
        p.restocks.retain(|r| r.at_s < secs);
        p
    }

    /// Per still tag, the median RSSI at its best own antenna minus that at the best antenna
    /// of a neighbouring aisle, over tags read by both; then the median of that.
    fn read_isolation(m: &RackModel, run: &Run<ShelfTruth>) -> (f64, usize) {
        let pts = m.read_points();
        let aisle_of =
            |r: ReaderId, p: u16| pts.iter().find(|x| x.0 == r && x.1 == p).expect("a port").2;
        let mut per: HashMap<(Epc, ReaderId, u16), Vec<f64>> = HashMap::new();
        for r in &run.reads {
            per.entry((r.epc, r.reader, r.antenna))
                .or_default()
                .push(r.rssi_dbm.expect("rssi") as f64);
        }
        let mut diffs = Vec::new();
        for tl in &run.truth.timelines {
            let [Span {
                place: Place::Aisle(k),
                ..
            }] = tl.spans[..]
            else {
                continue;
            };
            let (mut own, mut nb) = (f64::NEG_INFINITY, f64::NEG_INFINITY);
            for ((epc, r, p), v) in per.iter_mut() {
                if *epc != tl.epc || v.len() < 3 {
                    continue;
                }
                let med = median(v);
                let a = aisle_of(*r, *p);
                if a == k {
                    own = own.max(med);
                } else if a.abs_diff(k) == 1 {
                    nb = nb.max(med);
                }
            }
            if own.is_finite() && nb.is_finite() {
                diffs.push(own - nb);
            }
        }
        let n = diffs.len();
        (median(&mut diffs), n)
    }

    #[test]
    fn deterministic_and_sorted() {
        let m = RackModel::reference(10.0);
        let plan = short("reference", 40.0);
        let a = simulate(&m, &plan, 5);
        let b = simulate(&m, &plan, 5);
        let c = simulate(&m, &plan, 6);
        assert!(!a.reads.is_empty());
        assert_eq!(a.reads, b.reads);
        assert_eq!(a.truth, b.truth);
        assert_ne!(a.reads, c.reads);
        assert!(a
            .reads
            .windows(2)
            .all(|w| w[0].timestamp_us <= w[1].timestamp_us));
        let ports = m.read_points();
        for r in &a.reads {
            assert!(ports.iter().any(|p| p.0 == r.reader && p.1 == r.antenna));
            assert!(r.phase.is_some_and(|p| p < 4096));
            assert!(r.channel.is_some_and(|c| (1..=16).contains(&c)));
            assert!(r.timestamp_us >= a.truth.start_us && r.timestamp_us <= a.truth.end_us);
        }
    }

    #[test]
    fn truth_is_consistent() {
        let m = RackModel::reference(15.0);
        for name in RackPlan::names() {
            let plan = RackPlan::named(name).expect("named");
            assert_eq!(plan.name, *name);
            // Truth does not depend on the radio: build it from a run of a copy without tags' radio time.
            let mut quick = plan.clone();
            quick.people_per_min = 0.0;
            quick.forklifts_per_min = 0.0;
            quick.goods_changes_per_min = 0.0;
            quick.restocks.clear();
            let run = simulate(&m, &quick, 1);
            let t = &run.truth;
            assert_eq!(t.timelines.len(), plan.tags.len());
            for (tl, pt) in t.timelines.iter().zip(&plan.tags) {
                assert_eq!(tl.epc, giai_epc(pt.serial));
                assert_eq!(tl.spans[0].from_us, t.start_us);
                assert!(tl.spans.windows(2).all(|w| w[0].from_us < w[1].from_us));
            }
            assert_eq!(t.moves.len(), plan.moves.len());
            assert!(t.moves.windows(2).all(|w| w[0].placed_us <= w[1].placed_us));
            for mv in &t.moves {
                let tl = t.timeline(&mv.epc).expect("timeline");
                assert_ne!(mv.from, mv.to);
                assert!(mv.picked_us < mv.placed_us && mv.placed_us < t.end_us);
                assert_eq!(tl.at(mv.picked_us - 1), Place::Aisle(mv.from));
                assert_eq!(tl.at(mv.picked_us), Place::InTransit);
                assert_eq!(tl.at(mv.placed_us), Place::Aisle(mv.to));
                assert_eq!(tl.at(t.end_us), Place::Aisle(mv.to));
            }
            assert_eq!(t.removals.len(), plan.removals.len());
            assert!(t
                .removals
                .windows(2)
                .all(|w| w[0].picked_us <= w[1].picked_us));
            for rm in &t.removals {
                let tl = t.timeline(&rm.epc).expect("timeline");
                assert_eq!(tl.at(rm.picked_us - 1), Place::Aisle(rm.from));
                assert_eq!(tl.at(rm.picked_us), Place::InTransit);
                assert_eq!(tl.at(rm.gone_us), Place::Gone);
                assert_eq!(tl.spans.last().expect("span").place, Place::Gone);
                assert!(rm.gone_us < t.end_us);
                // Nothing is read once it is gone.
                assert!(!run
                    .reads
                    .iter()
                    .any(|r| r.epc == rm.epc && r.timestamp_us >= rm.gone_us));
            }
        }
        assert_eq!(RackPlan::named("dense").expect("dense").tags.len(), 320);
        assert_eq!(RackPlan::named("moves").expect("moves").moves.len(), 12);
        assert!(RackPlan::named("nowhere").is_none());
    }

    #[test]
    fn calibration_at_one_metre() {
        let m = RackModel::reference(15.0);
        assert!((m.free_space_rssi_dbm(1.0) + 40.0).abs() < 0.5);
        assert!((m.free_space_rssi_dbm(3.0) + 59.1).abs() < 0.5);
        // A nominal tag hanging 1 m under the first antenna of aisle 0, dipole along x.
        let a = Env::new(&m, 0).antennas[0].pos;
        let plan = RackPlan {
            name: "one",
            duration_s: 20.0,
            tags: vec![PlanTag {
                serial: 1,
                spot: Spot::Point {
                    aisle: 0,
                    pos: Vec3::new(a.x, a.y, a.z - 1.0),
                    axis: Vec3::new(1.0, 0.0, 0.0),
                },
            }],
            moves: Vec::new(),
            removals: Vec::new(),
            restocks: Vec::new(),
            people_per_min: 0.0,
            forklifts_per_min: 0.0,
            goods_changes_per_min: 0.0,
        };
        let run = simulate(&m, &plan, 3);
        let mut own: Vec<f64> = run
            .reads
            .iter()
            .filter(|r| r.reader == ReaderId(0) && r.antenna == 1)
            .map(|r| r.rssi_dbm.expect("rssi") as f64)
            .collect();
        let rate = own.len() as f64 / plan.duration_s;
        let med = median(&mut own);
        assert!((-44.0..=-36.0).contains(&med), "median {med}");
        // A lone tag on a 4-port reader: 25-60 reads/s on its port.
        assert!((25.0..=60.0).contains(&rate), "rate {rate}");
    }

    #[test]
    fn isolation_follows_the_parameter() {
        let plan = short("reference", 60.0);
        let mut got = Vec::new();
        for iso in [6.0, 10.0, 15.0, 20.0] {
            let m = RackModel::reference(iso);
            assert!((m.mean_isolation_db() - iso).abs() < 0.5);
            let run = simulate(&m, &plan, 2);
            let (med, n) = read_isolation(&m, &run);
            assert!(n >= 40, "{n} tags read by both at {iso} dB");
            got.push(med);
        }
        eprintln!("isolation measured from reads at 6/10/15/20 dB: {got:?}");
        // Measured from reads: close at low isolation, compressed at high isolation because a
        // neighbour reads only those tags whose link to it is unusually good.
        assert!((got[0] - 6.0).abs() <= 3.0, "{got:?}");
        assert!((got[1] - 10.0).abs() <= 4.0, "{got:?}");
        assert!((got[2] - 15.0).abs() <= 5.0, "{got:?}");
        assert!(got[3] >= 12.0, "{got:?}");
        assert!(got.windows(2).all(|w| w[0] < w[1] + 1.0), "{got:?}");
    }

    #[test]
    fn a_passing_forklift_changes_a_still_tag() {
        let m = RackModel::reference(15.0);
        let env = Env::new(&m, 9);
        let plan = RackPlan::named("reference").expect("plan");
        let spot = plan.tags[0].spot;
        let rf = draw_tag(&m, 9, 0);
        let sim = Sim {
            m: &m,
            env,
            seed: 9,
            stations: Vec::new(),
            sched: Vec::new(),
            grids: Vec::new(),
            bodies: Vec::new(),
            rf: vec![rf],
            carry_cache: RefCell::new(HashMap::new()),
        };
        let grid = sim.env.initial_fill(&m, &plan);
        let st = sim.station(&grid, 0, &spot, 0.0, 0);
        let mut sim = sim;
        sim.stations.push(st);
        let p = sim.stations[0].pos;
        let a = (0..sim.env.antennas.len())
            .max_by(|&x, &y| sim.stations[0].mean_db[x].total_cmp(&sim.stations[0].mean_db[y]))
            .expect("an antenna");
        // A forklift driving down the aisle past the tag, close to its face.
        let yc = m.aisle_y(spot.aisle());
        let y = yc + 0.6 * (p.y - yc).signum();
        let fl = forklift(
            vec![(0, -1.5, y), (us(6.0), m.length_m() + 1.5, y)],
            &m,
            0.3,
            2.3,
        );
        let quiet: Vec<f64> = (0..CHANNELS)
            .map(|ch| {
                sim.channel(0, TagState::Still(0), a, ch, 0, &[])
                    .expect("h")
                    .norm2()
            })
            .collect();
        let mut worst: f64 = 0.0;
        for step in 0..120 {
            let t = us(step as f64 * 0.05);
            let now = [fl.at(t)];
            for (ch, q) in quiet.iter().enumerate() {
                let h = sim
                    .channel(0, TagState::Still(0), a, ch, t, &now)
                    .expect("h")
                    .norm2();
                worst = worst.max((10.0 * (h / q).log10()).abs());
            }
        }
        // Two-way change of RSSI as it passes: several dB at least.
        assert!(2.0 * worst >= 6.0, "largest change {:.1} dB", 2.0 * worst);
    }

    #[test]
    fn traffic_changes_reads_of_still_tags() {
        let m = RackModel::reference(15.0);
        let mut quiet = short("reference", 60.0);
        quiet.moves.clear();
        quiet.removals.clear();
        quiet.people_per_min = 0.0;
        quiet.forklifts_per_min = 0.0;
        quiet.goods_changes_per_min = 0.0;
        let mut busy = quiet.clone();
        busy.forklifts_per_min = 6.0;
        busy.people_per_min = 6.0;
        let a = simulate(&m, &quiet, 4);
        let b = simulate(&m, &busy, 4);
        let stats = |run: &Run<ShelfTruth>| -> HashMap<(Epc, u16, u32), (usize, f64)> {
            let mut s: HashMap<(Epc, u16, u32), (usize, f64)> = HashMap::new();
            for r in &run.reads {
                let e = s.entry((r.epc, r.antenna, r.reader.0)).or_default();
                e.0 += 1;
                e.1 += r.rssi_dbm.expect("rssi") as f64;
            }
            s
        };
        let (sa, sb) = (stats(&a), stats(&b));
        let mut changed = 0;
        for (k, &(na, ra)) in &sa {
            if na < 20 {
                continue;
            }
            let (nb, rb) = sb.get(k).copied().unwrap_or((0, 0.0));
            let dr = if nb > 0 {
                (ra / na as f64 - rb / nb as f64).abs()
            } else {
                99.0
            };
            if dr >= 2.0 || (na as f64 - nb as f64).abs() / na as f64 >= 0.3 {
                changed += 1;
            }
        }
        assert!(changed >= 10, "{changed} links changed");
    }

    #[test]
    fn scenarios_run() {
        let m = RackModel::reference(10.0);
        for name in ["busy", "restock", "dense", "moves"] {
            let run = simulate(&m, &short(name, 30.0), 1);
            assert!(run.reads.len() > 1000, "{name}: {} reads", run.reads.len());
        }
        // Restocking weakens the tags it covers.
        let plan = RackPlan::named("restock").expect("plan");
        let run = simulate(&m, &plan, 2);
        let (mut before, mut after) = (Vec::new(), Vec::new());
        for rs in &plan.restocks {
            let epc = giai_epc(plan.tags[rs.tag].serial);
            let aisle = plan.tags[rs.tag].spot.aisle();
            let own: Vec<&TagRead> = run
                .reads
                .iter()
                .filter(|r| {
                    r.epc == epc
                        && m.read_points()
                            .iter()
                            .any(|p| p.0 == r.reader && p.1 == r.antenna && p.2 == aisle)
                })
                .collect();
            let at = START_US + us(rs.at_s);
            let mean = |v: Vec<f64>| v.iter().sum::<f64>() / v.len() as f64;
            let b = mean(
                own.iter()
                    .filter(|r| r.timestamp_us < at - 20_000_000)
                    .map(|r| r.rssi_dbm.expect("rssi") as f64)
                    .collect(),
            );
            let a = mean(
                own.iter()
                    .filter(|r| r.timestamp_us > at)
                    .map(|r| r.rssi_dbm.expect("rssi") as f64)
                    .collect(),
            );
            if b.is_finite() && a.is_finite() {
                before.push(b);
                after.push(a);
            }
        }
        assert!(before.len() >= 10);
        let drop = before.iter().sum::<f64>() / before.len() as f64
            - after.iter().sum::<f64>() / after.len() as f64;
        assert!(drop >= 3.0, "restocked tags dropped {drop:.1} dB");
    }
}
