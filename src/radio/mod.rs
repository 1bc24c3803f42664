//! A UHF RFID radio model built from link-budget physics, written apart from the engine
//! so the engine can be tested on radio it was not tuned against.
//!
//! One rule runs through every parameter: **offsets are stated as the reads show them**,
//! that is as a change of backscatter RSSI (two-way). The forward link, which decides
//! whether a tag has the power to answer at all, passes the same obstacle once and so gets
//! half of it. The antenna front-to-back ratio, a tag's orientation null, shadowing, shelf
//! isolation and multipath fading all follow that rule.
//!
//! The pieces:
//! - [`Antenna`]: a circularly polarised patch with a `cos^m` main lobe and a floor set by
//!   its front-to-back ratio;
//! - [`Link`]: the link budget, calibrated so a nominal tag 1 m in front of an antenna reads
//!   about −47 dBm, and a tag must receive [`Link::tag_threshold_dbm`] to power up — the
//!   forward link is what limits range;
//! - [`Multipath`]: a Rician channel per (tag, antenna) made of a few delayed rays, so the
//!   fading changes with the channel frequency (frequency-selective) and with position;
//! - [`TagSpread`]: weak and strong tags, chip sensitivity, orientation nulls;
//! - [`Gen2`]: one reader multiplexing its antennas, each dwell filled with slotted-ALOHA
//!   inventory rounds whose successful slots each cost `1 / read_budget_per_s`, so the
//!   budget is shared by every tag that is energised;
//! - [`door`] and [`shelf`]: the two sites, their scenarios and their ground truth.
//!
//! Everything is deterministic given a seed ([`Prng`] is a SplitMix64 written here).
//!
//! ```
//! use depot::radio::{door, shelf};
//!
//! let run = door::simulate(&door::DoorModel::reference(8.0), &door::Plan::mixed(), 7);
//! assert!(run.reads.windows(2).all(|w| w[0].timestamp_us <= w[1].timestamp_us));
//! let passed_out = run.truth.passages().filter(|c| c.direction == door::Direction::Out);
//! assert!(passed_out.count() > 0);
//!
//! let model = shelf::ShelfModel::reference(10.0);
//! let run = shelf::simulate(&model, &shelf::Plan::reference(), 7);
//! assert_eq!(model.aisle_of(run.reads[0].antenna).map(|a| a < 4), Some(true));
//! assert_eq!(run.truth.moves.len(), 8);
//! ```
//!
//! ## Calibration, in numbers
//! At 30 dBm a nominal tag 1 m in front of an antenna on boresight reads −47 dBm, −59 dBm
//! at 2 m, −71 dBm at 4 m (40 dB per decade). It powers up out to about 4.1 m on
//! boresight, where it would read −71.6 dBm: reads below about −72 dBm are rare (strong
//! chips, good fades), and the reader's −80 dBm sensitivity is seldom what stops a read.
//! Per (tag, antenna, channel) the multipath moves the RSSI by about ±4 dB (Rician
//! K = 10 dB), each read adds 2.5 dB of noise (3 dB on shelves), and 8 % of tags are 8 dB
//! weak, 8 % 4 dB strong, 5 % have a 15–25 dB null toward some antennas. A reader reads
//! at most 1,100 tags a second; a crowd gets about 960 (slotted ALOHA with capture), a
//! lone tag about 790.
//!
//! ## What is left out
//! Bodies shadowing the tags they carry, tags shadowing one another, other readers,
//! antenna switching time, sessions other than S0 (every powered tag answers every
//! round), and the reader's own RSSI saturation near −20 dBm.

use std::f64::consts::{PI, TAU};

use depot_readers::{Epc, ReaderId, TagRead};

/// A dock door with two antennas inside and two outside; trolleys, turn-backs, strays.
pub mod door;
/// A six-antenna dock-door portal from first principles, independent of [`door`].
pub mod portal;
/// Pallet-racking aisles under ceiling antennas, two readers, from first principles.
pub mod racking;
/// Four aisles of shelves, one antenna each; static tags, moves between aisles, removals.
pub mod shelf;

/// Speed of light, m/s.
const C: f64 = 299_792_458.0;

/// 2026-03-02T08:00:00Z in µs since the Unix epoch: every run starts there.
pub const START_US: u64 = 1_772_438_400_000_000;

/// The one reader of every site.
pub const READER: ReaderId = ReaderId(0);

/// What a simulation gives back: the reads, sorted by time, and what really happened.
#[derive(Debug, Clone)]
pub struct Run<T> {
    pub reads: Vec<TagRead>,
    pub truth: T,
}

/// A GIAI-96-looking EPC: header and company prefix `34 14 A3 F0 00`, then a 7-byte serial.
pub fn giai_epc(serial: u64) -> Epc {
    let mut b = [0u8; 12];
    b[..5].copy_from_slice(&[0x34, 0x14, 0xA3, 0xF0, 0x00]);
    b[5..].copy_from_slice(&serial.to_be_bytes()[1..]);
    Epc::new(&b).expect("12 bytes fit")
}

// ---------------------------------------------------------------------------------------
// Randomness

/// SplitMix64: small, fast, good enough for a simulation, and ours (no outside state).
#[derive(Debug, Clone)]
pub struct Prng {
    state: u64,
    /// Box–Muller makes normals in pairs; the second waits here.
    spare: Option<f64>,
}

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Prng {
    pub fn new(seed: u64) -> Self {
        Prng {
            state: mix(seed ^ 0x6A09_E667_F3BC_C908),
            spare: None,
        }
    }

    /// A generator for one fixed attribute (a tag's gain, a ray's delay …): derived from the
    /// seed and the keys only, so it does not depend on the order anything else is drawn in.
    pub fn keyed(seed: u64, keys: &[u64]) -> Self {
        let mut h = mix(seed ^ 0x3C6E_F372_FE94_F82B);
        for &k in keys {
            h = mix(h ^ k.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        }
        Prng::new(h)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.state)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in [lo, hi).
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    /// Uniform in 0..n (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        ((self.next_u64() as u128 * n as u128) >> 64) as usize
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Standard normal (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        if let Some(z) = self.spare.take() {
            return z;
        }
        let r = (-2.0 * (1.0 - self.unit()).ln()).sqrt();
        let (s, c) = (TAU * self.unit()).sin_cos();
        self.spare = Some(r * s);
        r * c
    }
}

// ---------------------------------------------------------------------------------------
// Geometry

/// A point or direction in metres. Each site says what its axes mean; z is always up.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Vec3 {
    pub x: f64,
    pub y: f64,
    pub z: f64,
}

impl Vec3 {
    pub const fn new(x: f64, y: f64, z: f64) -> Self {
        Vec3 { x, y, z }
    }
    pub fn dot(self, o: Vec3) -> f64 {
        self.x * o.x + self.y * o.y + self.z * o.z
    }
    pub fn norm(self) -> f64 {
        self.dot(self).sqrt()
    }
    pub fn unit(self) -> Vec3 {
        self * (1.0 / self.norm())
    }
    pub fn lerp(self, o: Vec3, f: f64) -> Vec3 {
        self + (o - self) * f
    }
}

impl std::ops::Add for Vec3 {
    type Output = Vec3;
    fn add(self, o: Vec3) -> Vec3 {
        Vec3::new(self.x + o.x, self.y + o.y, self.z + o.z)
    }
}
impl std::ops::Sub for Vec3 {
    type Output = Vec3;
    fn sub(self, o: Vec3) -> Vec3 {
        Vec3::new(self.x - o.x, self.y - o.y, self.z - o.z)
    }
}
impl std::ops::Mul<f64> for Vec3 {
    type Output = Vec3;
    fn mul(self, k: f64) -> Vec3 {
        Vec3::new(self.x * k, self.y * k, self.z * k)
    }
}

/// Where something is over time: straight segments between timed waypoints (µs since the
/// start of the run). It is in the field from `from_us` until `until_us` (exclusive);
/// before the first waypoint it waits at the first, after the last at the last.
#[derive(Debug, Clone, PartialEq)]
pub struct Track {
    pub points: Vec<(u64, Vec3)>,
    pub from_us: u64,
    pub until_us: u64,
}

impl Track {
    /// Standing still at `at` for the whole of `from_us..until_us`.
    pub fn still(at: Vec3, from_us: u64, until_us: u64) -> Self {
        Track {
            points: vec![(from_us, at)],
            from_us,
            until_us,
        }
    }

    /// Present from the first waypoint to the last.
    pub fn through(points: Vec<(u64, Vec3)>) -> Self {
        assert!(!points.is_empty(), "a track needs a waypoint");
        assert!(
            points.windows(2).all(|w| w[0].0 <= w[1].0),
            "waypoints must be in time order"
        );
        let from_us = points[0].0;
        let until_us = points[points.len() - 1].0;
        Track {
            points,
            from_us,
            until_us,
        }
    }

    /// Where it is at `t_us`, ignoring presence.
    pub fn at(&self, t_us: u64) -> Vec3 {
        let p = &self.points;
        let i = p.partition_point(|&(t, _)| t <= t_us);
        if i == 0 {
            return p[0].1;
        }
        if i == p.len() {
            return p[i - 1].1;
        }
        let (t0, a) = p[i - 1];
        let (t1, b) = p[i];
        a.lerp(b, (t_us - t0) as f64 / (t1 - t0) as f64)
    }

    /// Where it is at `t_us`, or `None` when it is out of the field.
    pub fn present_at(&self, t_us: u64) -> Option<Vec3> {
        (self.from_us..self.until_us)
            .contains(&t_us)
            .then(|| self.at(t_us))
    }
}

/// Appends a walk at `speed` m/s from the track's last point to `to` (the caller's `Vec`).
pub(crate) fn walk(points: &mut Vec<(u64, Vec3)>, to: Vec3, speed: f64) {
    let &(t, from) = points.last().expect("a walk starts somewhere");
    let us = ((to - from).norm() / speed * 1e6).round() as u64;
    points.push((t + us, to));
}

/// Appends a pause of `secs` at the track's last point.
pub(crate) fn pause(points: &mut Vec<(u64, Vec3)>, secs: f64) {
    let &(t, at) = points.last().expect("a pause happens somewhere");
    points.push((t + (secs * 1e6).round() as u64, at));
}

// ---------------------------------------------------------------------------------------
// Antennas

/// A circularly polarised patch antenna.
///
/// Its one-way power pattern relative to boresight is `cos^m θ` in front, floored at the
/// back level, which holds behind and far to the side: anything behind reads exactly
/// `front_to_back_db` weaker (two-way, as the reads show it; the one-way ratio is half). Circular polarisation means a linear tag loses the same 3 dB
/// whatever its roll, which is folded into [`Link`].
#[derive(Debug, Clone, PartialEq)]
pub struct Antenna {
    /// Port number, 1-based as readers number them.
    pub port: u16,
    pub position: Vec3,
    /// Unit vector the main lobe points along.
    pub boresight: Vec3,
    /// `m` of the `cos^m` power pattern: 3.5 gives a 70° half-power beamwidth (a common
    /// 8–9 dBic patch); 2 a wide 90° shelf antenna.
    pub pattern_exponent: f64,
    /// How much weaker (dB of RSSI, two-way) a tag behind the antenna reads than the same
    /// tag at the same distance on boresight. Real patches give 15–25 dB one-way on paper;
    /// reflections from the room behind spoil it in place.
    pub front_to_back_db: f64,
}

impl Antenna {
    /// Two-way pattern gain toward `at`, in dB relative to boresight (≤ 0).
    pub fn pattern_db(&self, at: Vec3) -> f64 {
        let v = at - self.position;
        let cos = v.dot(self.boresight) / v.norm().max(1e-6);
        let lobe = if cos > 0.0 {
            cos.powf(self.pattern_exponent)
        } else {
            0.0
        };
        // One-way power pattern, floored at the back level; the reads see it twice.
        let floor = 10f64.powf(-self.front_to_back_db / 20.0);
        20.0 * lobe.max(floor).log10()
    }
}

// ---------------------------------------------------------------------------------------
// The physics parameters

/// The link budget. RSSI and forward power at distance `d` (metres) on boresight:
///
/// ```text
/// rssi    = tx_power + backscatter_gain_1m − 10·n·log10(d) + offsets
/// forward = tx_power + forward_gain_1m     −  5·n·log10(d) + offsets / 2 + chip offset
/// ```
/// where `n` is [`Link::path_loss_exponent`] and `offsets` are the two-way dB of the
/// pattern, the tag, nulls, shadowing and fading.
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    /// Reader conducted power at the port, dBm (30 dBm = 1 W, the usual maximum).
    pub tx_power_dbm: f64,
    /// Port to tag chip at 1 m on boresight, one-way, dB: cable −1, antenna +8 dBic,
    /// circular-to-linear polarisation −3, tag antenna +2 dBi, free space at 1 m and
    /// 922.5 MHz (20·log10(4π/λ)) −31.7 → −25.7.
    pub forward_gain_1m_db: f64,
    /// Port to port at 1 m on boresight, two-way, dB: twice the one-way gain, less the
    /// backscatter modulation loss and the detuning of a tag on an asset, lumped so a
    /// nominal tag 1 m in front reads −47 dBm at 30 dBm.
    pub backscatter_gain_1m_db: f64,
    /// Two-way path-loss exponent: 4 is free space both ways (40 dB per decade of
    /// distance); the forward link falls half as fast.
    pub path_loss_exponent: f64,
    /// Forward power a nominal tag needs to power up, dBm: a −17 dBm chip detuned about
    /// 9 dB by the asset it is stuck on. This, not the reader's sensitivity, limits range:
    /// at 30 dBm a nominal tag on boresight powers up out to about 4 m, where it reads about
    /// −72 dBm, well above the reader's sensitivity.
    pub tag_threshold_dbm: f64,
    /// Weakest backscatter the reader decodes, dBm.
    pub reader_sensitivity_dbm: f64,
    /// Width of the logistic ramp (dB) over which the chance of powering up (for a dwell on
    /// a channel), and of a reply being decoded, goes from 27 % to 73 % around each
    /// threshold: reads thin out near the edge of range.
    pub margin_softness_db: f64,
}

impl Default for Link {
    fn default() -> Self {
        Link {
            tx_power_dbm: 30.0,
            forward_gain_1m_db: -25.7,
            backscatter_gain_1m_db: -77.0,
            path_loss_exponent: 4.0,
            tag_threshold_dbm: -8.0,
            reader_sensitivity_dbm: -80.0,
            margin_softness_db: 1.0,
        }
    }
}

/// The reader's frequency plan: channels and how long it stays on each.
#[derive(Debug, Clone, PartialEq)]
pub struct Channels {
    /// Channel centre frequencies, Hz; reported 1-based (LLRP `ChannelIndex`).
    pub frequencies_hz: Vec<f64>,
    /// Time on one channel before hopping, µs.
    pub hop_dwell_us: u64,
}

impl Channels {
    /// China 920–925 MHz: 16 channels, 920.625–924.375 MHz in 250 kHz steps.
    pub fn china() -> Self {
        Channels {
            frequencies_hz: (0..16).map(|k| 920.625e6 + 250e3 * k as f64).collect(),
            hop_dwell_us: 300_000,
        }
    }

    /// FCC 902–928 MHz: 50 channels, 902.75–927.25 MHz in 500 kHz steps, ≤ 400 ms each.
    pub fn fcc() -> Self {
        Channels {
            frequencies_hz: (0..50).map(|k| 902.75e6 + 500e3 * k as f64).collect(),
            hop_dwell_us: 200_000,
        }
    }
}

/// Multipath as a Rician channel: the direct path plus `rays` reflections, each with its
/// own excess length, arrival direction and phase, fixed per (tag, antenna). Because each
/// ray's phase turns with frequency and with position, the fading is different on every
/// channel (fixed per channel for a still tag) and changes over a few centimetres for a
/// moving one. The fading is applied both ways: the RSSI sees it twice.
#[derive(Debug, Clone, PartialEq)]
pub struct Multipath {
    /// Rician K-factor, dB: direct power over the sum of the reflections. 10 dB gives a
    /// fading spread of about 4 dB of RSSI; 40 dB is practically none.
    pub rician_k_db: f64,
    /// Number of reflected rays.
    pub rays: usize,
    /// Excess path length of a reflection, metres, uniform in this range: 1–40 m makes
    /// channels 250 kHz apart fade differently.
    pub excess_path_m: (f64, f64),
}

impl Default for Multipath {
    fn default() -> Self {
        Multipath {
            rician_k_db: 10.0,
            rays: 4,
            excess_path_m: (1.0, 40.0),
        }
    }
}

/// How tags differ from one another.
#[derive(Debug, Clone, PartialEq)]
pub struct TagSpread {
    /// Standard deviation of a tag's gain offset, dB of RSSI (inlay, mounting, material).
    pub gain_spread_db: f64,
    /// Standard deviation of a chip's power-up threshold, dB (forward only).
    pub chip_spread_db: f64,
    /// Fraction of weak tags (badly placed, on metal or liquid) and how much weaker.
    pub weak_fraction: f64,
    pub weak_db: f64,
    /// Fraction of strong tags (large inlays, well placed) and how much stronger.
    pub strong_fraction: f64,
    pub strong_db: f64,
    /// Fraction of tags whose dipole points at some antennas: a deep orientation null.
    pub null_fraction: f64,
    /// Depth of a null, dB of RSSI, uniform in this range.
    pub null_depth_db: (f64, f64),
    /// For a nulled tag, the chance that each antenna (beyond one that always is) falls in
    /// the null.
    pub null_antenna_chance: f64,
}

impl Default for TagSpread {
    fn default() -> Self {
        TagSpread {
            gain_spread_db: 2.0,
            chip_spread_db: 1.0,
            weak_fraction: 0.08,
            weak_db: -8.0,
            strong_fraction: 0.08,
            strong_db: 4.0,
            null_fraction: 0.05,
            null_depth_db: (15.0, 25.0),
            null_antenna_chance: 0.5,
        }
    }
}

/// The Gen2 reader's inventory timing (session 0: energised tags answer every round).
///
/// Each antenna in turn gets `dwell_us`; within it the reader runs inventory rounds. A
/// round opens `2^Q ≈ n` slots, `n` the tags powered up (the Q algorithm settles there),
/// and each picks one. A slot with one tag (or one whose reply captures the others) is a
/// read if its backscatter is decoded, and takes `1 / read_budget_per_s`; empty and
/// collided slots are cheaper. So no reader ever exceeds `read_budget_per_s`, a lone tag is
/// read about 790 times a second, and a crowd shares about 960 reads/s.
#[derive(Debug, Clone, PartialEq)]
pub struct Gen2 {
    /// Time on each antenna before switching to the next, µs.
    pub dwell_us: u64,
    /// Hard ceiling on reads per second: one singulation (QueryRep, RN16, ACK, EPC).
    pub read_budget_per_s: f64,
    /// An empty slot, as a fraction of a singulation.
    pub empty_slot: f64,
    /// A collided slot, as a fraction of a singulation.
    pub collided_slot: f64,
    /// Select and Query opening a round, as a fraction of a singulation.
    pub round_overhead: f64,
    /// Capture effect: when tags collide in a slot and the strongest reply exceeds the sum
    /// of the others by this many dB, the reader decodes it anyway. A tag close to its
    /// antenna therefore wins over tags at the edge of the field. `f64::INFINITY` turns it
    /// off.
    pub capture_db: f64,
}

impl Gen2 {
    pub fn with_dwell_ms(ms: u64) -> Self {
        Gen2 {
            dwell_us: ms * 1000,
            read_budget_per_s: 1100.0,
            empty_slot: 0.08,
            collided_slot: 0.2,
            round_overhead: 0.4,
            capture_db: 6.0,
        }
    }
}

/// Everything about the radio that is not the site's geometry.
#[derive(Debug, Clone, PartialEq)]
pub struct Radio {
    pub link: Link,
    pub channels: Channels,
    pub multipath: Multipath,
    pub tags: TagSpread,
    pub gen2: Gen2,
    /// Per-read RSSI noise, standard deviation in dB (before rounding to whole dBm).
    pub rssi_noise_db: f64,
    /// Report the RF phase (Impinj-style, 0..4096 for 0..2π) with each read.
    pub phase: bool,
    /// Per-read phase noise at a strong signal, radians; it grows as the backscatter
    /// nears the reader's sensitivity (within 15 dB), as 1/√SNR.
    pub phase_noise_rad: f64,
}

impl Radio {
    /// The defaults with a per-antenna dwell of `dwell_ms`.
    pub fn with_dwell_ms(ms: u64) -> Self {
        Radio {
            link: Link::default(),
            channels: Channels::china(),
            multipath: Multipath::default(),
            tags: TagSpread::default(),
            gen2: Gen2::with_dwell_ms(ms),
            rssi_noise_db: 2.5,
            phase: true,
            phase_noise_rad: 0.1,
        }
    }
}

// ---------------------------------------------------------------------------------------
// One tag's radio personality

#[derive(Debug, Clone, Copy)]
struct Ray {
    amplitude: f64,
    excess_m: f64,
    direction: Vec3,
    phase: f64,
}

/// The fixed radio character of one tag, drawn from the seed and the tag's index.
#[derive(Debug, Clone)]
pub(crate) struct TagRf {
    pub epc: Epc,
    /// Gain offset, dB of RSSI (weak/strong and spread).
    gain_db: f64,
    /// Chip threshold offset, dB; positive powers up with less.
    chip_db: f64,
    /// Per antenna: extra dB of RSSI toward it (≤ 0: nulls, shadowing).
    pub toward_db: Vec<f64>,
    /// Per antenna: the phase the tag and cables add, radians.
    phase_offset: Vec<f64>,
    /// Per antenna: `rays` reflections.
    rays: Vec<Ray>,
    rays_per_antenna: usize,
}

impl TagRf {
    pub fn draw(radio: &Radio, epc: Epc, seed: u64, index: usize, antennas: usize) -> Self {
        let s = &radio.tags;
        let mut g = Prng::keyed(seed, &[1, index as u64]);
        let class = g.unit();
        let class_db = if class < s.weak_fraction {
            s.weak_db
        } else if class < s.weak_fraction + s.strong_fraction {
            s.strong_db
        } else {
            0.0
        };
        let gain_db = class_db + s.gain_spread_db * g.normal();
        let chip_db = s.chip_spread_db * g.normal();
        let mut toward_db = vec![0.0; antennas];
        if antennas > 0 && g.chance(s.null_fraction) {
            let always = g.below(antennas);
            for (a, t) in toward_db.iter_mut().enumerate() {
                if a == always || g.chance(s.null_antenna_chance) {
                    *t = -g.range(s.null_depth_db.0, s.null_depth_db.1);
                }
            }
        }
        let phase_offset = (0..antennas).map(|_| g.range(0.0, TAU)).collect();
        let m = &radio.multipath;
        let scattered = 10f64.powf(-m.rician_k_db / 10.0);
        let mut rays = Vec::with_capacity(antennas * m.rays);
        for _ in 0..antennas {
            let weights: Vec<f64> = (0..m.rays).map(|_| -(1.0 - g.unit()).ln()).collect();
            let total: f64 = weights.iter().sum::<f64>().max(1e-12);
            for w in weights {
                // A direction uniform on the sphere.
                let z = g.range(-1.0, 1.0);
                let phi = g.range(0.0, TAU);
                let r = (1.0 - z * z).sqrt();
                rays.push(Ray {
                    amplitude: (scattered * w / total).sqrt(),
                    excess_m: g.range(m.excess_path_m.0, m.excess_path_m.1),
                    direction: Vec3::new(r * phi.cos(), r * phi.sin(), z),
                    phase: g.range(0.0, TAU),
                });
            }
        }
        TagRf {
            epc,
            gain_db,
            chip_db,
            toward_db,
            phase_offset,
            rays,
            rays_per_antenna: m.rays,
        }
    }
}

/// What one antenna gets from one tag at one instant on one channel, before read noise.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sample {
    /// Backscatter at the reader, dBm.
    pub rssi_dbm: f64,
    /// RF phase, radians, not reduced.
    pub phase_rad: f64,
    /// Chance the tag powers up (for a dwell on this channel).
    pub power_up: f64,
    /// Chance a reply is decoded.
    pub decoded: f64,
    /// Backscatter at the reader, mW.
    pub rssi_mw: f64,
}

/// The link from antenna `a` (index into the site's antennas) to `tag` at `at` on
/// frequency `freq_hz`, with `extra_db` more of RSSI (the site's own attenuation).
pub(crate) fn sample(
    radio: &Radio,
    antenna: &Antenna,
    a: usize,
    tag: &TagRf,
    at: Vec3,
    extra_db: f64,
    freq_hz: f64,
) -> Sample {
    let l = &radio.link;
    let d = (at - antenna.position).norm().max(0.1);
    let k = TAU * freq_hz / C;
    // Multipath, relative to the direct path, normalised to unit mean power.
    let rays = &tag.rays[a * tag.rays_per_antenna..(a + 1) * tag.rays_per_antenna];
    let (mut re, mut im, mut power) = (1.0, 0.0, 1.0);
    for r in rays {
        let (s, c) = (k * (r.excess_m + r.direction.dot(at)) + r.phase).sin_cos();
        re += r.amplitude * c;
        im -= r.amplitude * s;
        power += r.amplitude * r.amplitude;
    }
    let one_way = (re * re + im * im) / power;
    let fading_db = 20.0 * one_way.max(1e-9).log10();
    let offsets = antenna.pattern_db(at) + tag.gain_db + tag.toward_db[a] + extra_db + fading_db;
    let log_d = d.log10();
    let forward_dbm = l.tx_power_dbm + l.forward_gain_1m_db - 5.0 * l.path_loss_exponent * log_d
        + offsets / 2.0
        + tag.chip_db;
    let rssi_dbm =
        l.tx_power_dbm + l.backscatter_gain_1m_db - 10.0 * l.path_loss_exponent * log_d + offsets;
    let soft = l.margin_softness_db.max(1e-3);
    Sample {
        rssi_dbm,
        phase_rad: 2.0 * k * d + tag.phase_offset[a] - 2.0 * im.atan2(re),
        power_up: logistic((forward_dbm - l.tag_threshold_dbm) / soft),
        decoded: logistic((rssi_dbm - l.reader_sensitivity_dbm) / soft),
        rssi_mw: 10f64.powf(rssi_dbm / 10.0),
    }
}

fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

// ---------------------------------------------------------------------------------------
// The Gen2 reader

/// A site as the reader sees it: where each tag is, per antenna.
pub(crate) trait Scene {
    /// Where `tag` is at `t_us` (µs since the run began) as antenna index `a` sees it, and
    /// how many extra dB of RSSI the site adds on that path; `None` when out of the field.
    fn place(&self, tag: usize, a: usize, t_us: u64) -> Option<(Vec3, f64)>;
}

/// The hop sequence: a fixed pseudo-random order of the channels, as readers use.
fn hop_table(channels: &Channels, seed: u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..channels.frequencies_hz.len()).collect();
    let mut g = Prng::keyed(seed, &[2]);
    for i in (1..order.len()).rev() {
        order.swap(i, g.below(i + 1));
    }
    order
}

/// Runs the reader over `duration_us` and returns its reads, in time order.
pub(crate) fn inventory(
    radio: &Radio,
    antennas: &[Antenna],
    tags: &[TagRf],
    scene: &impl Scene,
    duration_us: u64,
    seed: u64,
) -> Vec<TagRead> {
    let g2 = &radio.gen2;
    assert!(!antennas.is_empty(), "a reader needs an antenna");
    assert!(g2.read_budget_per_s > 0.0 && g2.dwell_us > 0);
    let hops = hop_table(&radio.channels, seed);
    let hop_us = radio.channels.hop_dwell_us.max(1);
    let channel_at = |t: f64| hops[(t as u64 / hop_us) as usize % hops.len()];
    let singulation = 1e6 / g2.read_budget_per_s;
    let mut rng = Prng::keyed(seed, &[3]);
    let end = duration_us as f64;

    let capture = 10f64.powf(g2.capture_db / 10.0);
    let mut reads = Vec::new();
    // Tags powered up on this antenna and channel for this dwell, with their backscatter
    // in mW (to settle collisions).
    let mut powered: Vec<(usize, f64)> = Vec::new();
    let mut slots: Vec<Slot> = Vec::new();
    // The last sample per (tag, antenna, channel): a tag that has not moved gets the same.
    let n_ch = radio.channels.frequencies_hz.len();
    let mut cache: Vec<Option<(Vec3, f64, Sample)>> =
        vec![None; tags.len() * antennas.len() * n_ch];
    let mut link_at = |i: usize, a: usize, ch: usize, at: Vec3, extra: f64| {
        let slot = &mut cache[(i * antennas.len() + a) * n_ch + ch];
        match slot {
            Some((p, e, s)) if *p == at && *e == extra => *s,
            _ => {
                let freq = radio.channels.frequencies_hz[ch];
                let s = sample(radio, &antennas[a], a, &tags[i], at, extra, freq);
                *slot = Some((at, extra, s));
                s
            }
        }
    };

    let mut t = 0.0f64;
    let mut a = 0usize;
    while t < end {
        let antenna = &antennas[a];
        let dwell_end = (t + g2.dwell_us as f64).min(end);
        let mut cached = usize::MAX;
        while t < dwell_end {
            let ch = channel_at(t);
            if ch != cached {
                // Whether a tag powers up is settled per dwell and channel: the fading is
                // fixed for a still tag on a channel, and what the model leaves out (people
                // moving, the tag's own rectifier) blurs the threshold by a dB or so.
                cached = ch;
                powered.clear();
                for i in 0..tags.len() {
                    if let Some((at, extra)) = scene.place(i, a, t as u64) {
                        let s = link_at(i, a, ch, at, extra);
                        if s.power_up > 1e-4 && rng.chance(s.power_up) {
                            powered.push((i, s.rssi_mw));
                        }
                    }
                }
            }
            if powered.is_empty() {
                // Rounds of silence until the dwell ends or the channel changes.
                let next_hop = ((t as u64 / hop_us + 1) * hop_us) as f64;
                t = dwell_end.min(next_hop);
                continue;
            }
            // The powered tags each pick one of 2^Q ≈ n slots.
            let q = ((powered.len() as f64).log2().round() as u32).min(15);
            slots.clear();
            slots.resize(1 << q, Slot::default());
            for &(i, mw) in &powered {
                let s = &mut slots[rng.below(1 << q)];
                s.count += 1;
                s.total_mw += mw;
                if mw > s.best_mw {
                    s.best_mw = mw;
                    s.best = i;
                }
            }
            t += g2.round_overhead * singulation;
            for s in &slots {
                if t >= dwell_end {
                    break;
                }
                let single = s.count == 1
                    || (s.count > 1 && s.best_mw >= capture * (s.total_mw - s.best_mw));
                if s.count == 0 {
                    t += g2.empty_slot * singulation;
                } else if !single {
                    t += g2.collided_slot * singulation;
                } else {
                    let i = s.best;
                    let done = t + singulation;
                    let when = done as u64;
                    if let Some((at, extra)) = scene.place(i, a, when) {
                        let smp = link_at(i, a, ch, at, extra);
                        if rng.chance(smp.decoded) {
                            reads.push(read(radio, &tags[i], antenna, ch, &smp, when, &mut rng));
                        }
                    }
                    t = done;
                }
            }
        }
        t = t.max(dwell_end);
        a = (a + 1) % antennas.len();
    }
    reads
}

/// One slot of an inventory round: how many tags replied in it and the strongest.
#[derive(Debug, Clone, Copy, Default)]
struct Slot {
    count: u32,
    best: usize,
    best_mw: f64,
    total_mw: f64,
}

fn read(
    radio: &Radio,
    tag: &TagRf,
    antenna: &Antenna,
    ch: usize,
    s: &Sample,
    when_us: u64,
    rng: &mut Prng,
) -> TagRead {
    let rssi = (s.rssi_dbm + radio.rssi_noise_db * rng.normal()).round();
    let phase = radio.phase.then(|| {
        let snr_short = (radio.link.reader_sensitivity_dbm + 15.0 - s.rssi_dbm).max(0.0);
        let sigma = radio.phase_noise_rad * 10f64.powf(snr_short / 20.0);
        let p = (s.phase_rad + sigma * rng.normal()).rem_euclid(TAU);
        ((p / TAU * 4096.0) as u16) % 4096
    });
    TagRead {
        epc: tag.epc,
        reader: READER,
        antenna: antenna.port,
        rssi_dbm: Some(rssi.clamp(i8::MIN as f64, i8::MAX as f64) as i8),
        timestamp_us: START_US + when_us,
        channel: Some(ch as u16 + 1),
        phase,
        seen_count: None,
    }
}

/// Unwraps a phase difference into (−π, π].
pub fn wrap_pi(x: f64) -> f64 {
    let y = x.rem_euclid(TAU);
    if y > PI {
        y - TAU
    } else {
        y
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    /// Tags on tracks, nothing between them and the antenna.
    struct Open(Vec<Track>);

    impl Scene for Open {
        fn place(&self, tag: usize, _a: usize, t_us: u64) -> Option<(Vec3, f64)> {
            Some((self.0[tag].present_at(t_us)?, 0.0))
        }
    }

    /// Every tag alike: no spread, no nulls, little multipath, so averages over a few
    /// dozen tags show the physics alone.
    fn uniform_radio() -> Radio {
        let mut r = Radio::with_dwell_ms(50);
        r.multipath.rician_k_db = 20.0;
        r.tags = TagSpread {
            gain_spread_db: 0.0,
            chip_spread_db: 0.0,
            weak_fraction: 0.0,
            strong_fraction: 0.0,
            null_fraction: 0.0,
            ..TagSpread::default()
        };
        r
    }

    fn antenna(front_to_back_db: f64) -> Antenna {
        Antenna {
            port: 1,
            position: Vec3::new(0.0, 0.0, 0.0),
            boresight: Vec3::new(1.0, 0.0, 0.0),
            pattern_exponent: 3.5,
            front_to_back_db,
        }
    }

    /// Runs one antenna over still tags at `positions` for `secs`; reads per tag index.
    fn still_run(
        radio: &Radio,
        ant: &Antenna,
        positions: &[Vec3],
        secs: u64,
        seed: u64,
    ) -> (Vec<TagRead>, HashMap<Epc, usize>) {
        let us = secs * 1_000_000;
        let tags: Vec<TagRf> = (0..positions.len())
            .map(|i| TagRf::draw(radio, giai_epc(i as u64), seed, i, 1))
            .collect();
        let scene = Open(positions.iter().map(|&p| Track::still(p, 0, us)).collect());
        let reads = inventory(radio, std::slice::from_ref(ant), &tags, &scene, us, seed);
        let index = tags.iter().enumerate().map(|(i, t)| (t.epc, i)).collect();
        (reads, index)
    }

    fn mean_rssi(
        reads: &[TagRead],
        index: &HashMap<Epc, usize>,
        which: impl Fn(usize) -> bool,
    ) -> f64 {
        let v: Vec<f64> = reads
            .iter()
            .filter(|r| which(index[&r.epc]))
            .map(|r| r.rssi_dbm.unwrap() as f64)
            .collect();
        assert!(v.len() > 100, "only {} reads", v.len());
        v.iter().sum::<f64>() / v.len() as f64
    }

    #[test]
    fn the_run_starts_on_a_monday_morning_in_march_2026() {
        let t = chrono::DateTime::from_timestamp_micros(START_US as i64).unwrap();
        assert_eq!(t.to_rfc3339(), "2026-03-02T08:00:00+00:00");
        assert_eq!(giai_epc(0x0102).to_hex(), "3414A3F00000000000000102");
    }

    #[test]
    fn the_pattern_has_a_main_lobe_and_a_back_floor() {
        let a = antenna(12.0);
        assert!(a.pattern_db(Vec3::new(2.0, 0.0, 0.0)).abs() < 0.01);
        let half = 35f64.to_radians();
        let off = a.pattern_db(Vec3::new(half.cos(), half.sin(), 0.0));
        assert!((off + 6.0).abs() < 0.5, "two-way at 35°: {off}");
        assert!((a.pattern_db(Vec3::new(-1.0, 0.0, 0.0)) + 12.0).abs() < 1e-9);
        assert!((a.pattern_db(Vec3::new(0.0, 1.0, 0.0)) + 12.0).abs() < 1e-9);
    }

    #[test]
    fn rssi_falls_with_distance_at_the_configured_slope() {
        for exponent in [4.0, 3.0] {
            let mut radio = uniform_radio();
            radio.link.path_loss_exponent = exponent;
            let distances = [0.5, 1.0, 2.0];
            let positions: Vec<Vec3> = (0..90)
                .map(|i| Vec3::new(distances[i % 3], 0.0, 0.0))
                .collect();
            let (reads, index) = still_run(&radio, &antenna(20.0), &positions, 20, 1);
            let at = |k: usize| mean_rssi(&reads, &index, |i| i % 3 == k);
            let (near, one, far) = (at(0), at(1), at(2));
            // log10 of 0.5 → 2 m is 0.602 decades.
            let slope = (near - far) / (4f64).log10();
            assert!(
                (slope - 10.0 * exponent).abs() < 2.5,
                "exponent {exponent}: {slope} dB/decade"
            );
            if exponent == 4.0 {
                assert!(
                    (-50.0..=-44.0).contains(&one),
                    "1 m on boresight reads {one} dBm"
                );
            }
        }
    }

    #[test]
    fn a_tag_behind_the_antenna_is_weaker_by_the_front_to_back_ratio() {
        // Front and back in separate runs, so strong front tags do not capture the slots
        // of weak back ones (which would bias what each side's reads show).
        for f2b in [12.0, 8.0] {
            let radio = uniform_radio();
            let side = |x: f64| {
                let positions = vec![Vec3::new(x, 0.0, 0.0); 40];
                let (reads, index) = still_run(&radio, &antenna(f2b), &positions, 20, 2);
                mean_rssi(&reads, &index, |_| true)
            };
            let (front, back) = (side(1.0), side(-1.0));
            assert!(
                (front - back - f2b).abs() < 1.0,
                "F2B {f2b}: {front} vs {back}"
            );
        }
    }

    #[test]
    fn the_read_budget_is_shared_and_never_exceeded() {
        let radio = Radio::with_dwell_ms(50);
        let budget = radio.gen2.read_budget_per_s;
        let ant = antenna(20.0);
        let crowd: Vec<Vec3> = (0..300)
            .map(|i| Vec3::new(1.0 + (i % 10) as f64 * 0.1, 0.0, 0.0))
            .collect();
        let (reads, _) = still_run(&radio, &ant, &crowd, 10, 3);
        let mut per_second = [0usize; 10];
        for r in &reads {
            per_second[((r.timestamp_us - START_US) / 1_000_000) as usize] += 1;
        }
        for n in per_second {
            assert!(n as f64 <= budget, "{n} reads in a second");
            assert!(n as f64 > 0.75 * budget, "a crowd uses the budget: {n}");
        }
        let (alone, _) = still_run(&radio, &ant, &[Vec3::new(1.0, 0.0, 0.0)], 10, 3);
        let alone_rate = alone.len() as f64 / 10.0;
        let crowd_rate = reads.len() as f64 / 10.0 / 300.0;
        assert!(
            alone_rate > 300.0 && alone_rate < budget,
            "a lone tag: {alone_rate}/s"
        );
        assert!(crowd_rate < alone_rate / 50.0, "one of 300: {crowd_rate}/s");
    }

    #[test]
    fn phase_advances_consistently_as_a_tag_approaches() {
        let mut radio = uniform_radio();
        radio.multipath.rician_k_db = 60.0;
        radio.phase_noise_rad = 0.05;
        let ant = antenna(20.0);
        let us = 20_000_000;
        let track = Track::through(vec![
            (0, Vec3::new(3.0, 0.0, 0.0)),
            (us, Vec3::new(1.0, 0.0, 0.0)),
        ]);
        let tag = TagRf::draw(&radio, giai_epc(1), 4, 0, 1);
        let reads = inventory(
            &radio,
            std::slice::from_ref(&ant),
            &[tag],
            &Open(vec![track.clone()]),
            us,
            4,
        );
        assert!(reads.len() > 1000);
        let (mut checked, mut good) = (0, 0);
        // Within each visit to a channel, the unwrapped phase follows 4π·Δd/λ.
        for visit in reads
            .chunk_by(|a, b| a.channel == b.channel && b.timestamp_us - a.timestamp_us < 100_000)
        {
            if visit.len() < 20 {
                continue;
            }
            let freq = radio.channels.frequencies_hz[visit[0].channel.unwrap() as usize - 1];
            let lambda = C / freq;
            let rad = |r: &TagRead| r.phase.unwrap() as f64 / 4096.0 * TAU;
            let dist = |r: &TagRead| track.at(r.timestamp_us - START_US).x;
            let mut unwrapped = 0.0;
            for w in visit.windows(2) {
                unwrapped += wrap_pi(rad(&w[1]) - rad(&w[0]));
            }
            let first = &visit[0];
            let last = &visit[visit.len() - 1];
            let expected = 4.0 * PI * (dist(last) - dist(first)) / lambda;
            assert!(expected < -0.5, "approaching turns the phase back");
            checked += 1;
            if (unwrapped - expected).abs() < 0.3 {
                good += 1;
            }
        }
        assert!(checked >= 20, "{checked} channel visits");
        assert!(
            good * 10 >= checked * 9,
            "{good} of {checked} visits follow the distance"
        );
    }

    #[test]
    fn same_seed_same_reads_other_seed_other_reads() {
        let radio = Radio::with_dwell_ms(25);
        let ant = antenna(12.0);
        let pos: Vec<Vec3> = (0..20)
            .map(|i| Vec3::new(1.0 + i as f64 * 0.1, 0.0, 0.0))
            .collect();
        let (a, _) = still_run(&radio, &ant, &pos, 3, 9);
        let (b, _) = still_run(&radio, &ant, &pos, 3, 9);
        let (c, _) = still_run(&radio, &ant, &pos, 3, 10);
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn phase_is_optional() {
        let mut radio = Radio::with_dwell_ms(25);
        radio.phase = false;
        let (reads, _) = still_run(&radio, &antenna(12.0), &[Vec3::new(1.0, 0.0, 0.0)], 1, 1);
        assert!(!reads.is_empty());
        assert!(reads
            .iter()
            .all(|r| r.phase.is_none() && r.channel.is_some()));
        assert!(reads
            .iter()
            .all(|r| r.seen_count.is_none() && r.reader == READER));
    }

    #[test]
    fn tracks_interpolate_and_know_when_they_are_present() {
        let t = Track::through(vec![
            (10, Vec3::new(0.0, 0.0, 0.0)),
            (20, Vec3::new(1.0, 0.0, 0.0)),
            (30, Vec3::new(1.0, 2.0, 0.0)),
        ]);
        assert_eq!(t.present_at(5), None);
        assert_eq!(t.at(15), Vec3::new(0.5, 0.0, 0.0));
        assert_eq!(t.present_at(25), Some(Vec3::new(1.0, 1.0, 0.0)));
        assert_eq!(t.present_at(30), None);
    }
}

#[cfg(test)]
mod speed {
    use std::time::Instant;

    use super::*;

    /// How long a run takes (never asserted: tests do not time things). With the crate
    /// optimised: `cargo test -p depot --lib --config 'profile.dev.package.depot.opt-level=3'
    /// radio::speed -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn print_simulation_speed() {
        for isolation in [20.0, 15.0, 10.0, 6.0] {
            let model = shelf::ShelfModel::reference(isolation);
            let plan = shelf::Plan::reference();
            let t = Instant::now();
            let run = shelf::simulate(&model, &plan, 1);
            println!(
                "shelf reference, isolation {isolation:>2} dB: {} tags, 6 min, {} reads in {:?}",
                plan.tags.len(),
                run.reads.len(),
                t.elapsed()
            );
        }
        for f2b in [18.0, 12.0, 8.0, 4.0] {
            let model = door::DoorModel::reference(f2b);
            let plan = door::Plan::mixed();
            let t = Instant::now();
            let run = door::simulate(&model, &plan, 1);
            println!(
                "door mixed, front-to-back {f2b:>2} dB: {:.0} s, {} reads in {:?}",
                plan.duration_us as f64 / 1e6,
                run.reads.len(),
                t.elapsed()
            );
        }
    }
}
