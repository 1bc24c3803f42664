//! A dock door: four patch antennas on one reader, two looking into the building and two
//! looking out, and people pushing trolleys through it (or not quite).
//!
//! Axes: the door plane is `x = 0`; **inside is `x < 0`**, outside `x > 0`. y runs along
//! the opening (`|y| ≤ door_width_m / 2`), z is up.
//!
//! Antenna convention: ports **1 and 2 are inside**, on the left (y < 0) and right (y > 0)
//! jambs, looking into the building (−x); ports **3 and 4 are outside**, on the left and
//! right jambs, looking out (+x). Each is toed in toward the middle of the opening and
//! tilted down a little. A tag inside is in front of 1 and 2 and behind 3 and 4, so it
//! reads weaker on 3 and 4 by about the front-to-back ratio — which is what tells the
//! sides apart, and why a poor ratio makes a door hard.

use depot_readers::Epc;

use super::{
    giai_epc, inventory, pause, walk, Antenna, Prng, Radio, Run, Scene, TagRf, Track, Vec3,
    START_US,
};

/// Which side of the door.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// `x < 0`: in the building.
    Inside,
    /// `x > 0`: the dock, the yard.
    Outside,
}

/// Which way a tag passed the door plane.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// From outside to inside.
    In,
    /// From inside to outside.
    Out,
}

impl Direction {
    /// The side it starts from.
    pub fn from(self) -> Side {
        match self {
            Direction::In => Side::Outside,
            Direction::Out => Side::Inside,
        }
    }
}

/// The door site.
#[derive(Debug, Clone, PartialEq)]
pub struct DoorModel {
    /// Link budget, channels, multipath, tag spread, Gen2 timing (25 ms dwell), noise.
    pub radio: Radio,
    /// How much weaker, dB of RSSI, a tag behind an antenna reads than the same tag in
    /// front at the same distance (reference runs: 18, 12, 8, 4).
    pub front_to_back_db: f64,
    /// `cos^m` exponent of the patch main lobe (3.5: 70° half-power beamwidth).
    pub pattern_exponent: f64,
    /// Width of the opening, metres.
    pub door_width_m: f64,
    /// Antennas hang this far beyond each jamb, metres.
    pub jamb_offset_m: f64,
    /// Antennas stand this far from the door plane, on their own side, metres.
    pub setback_m: f64,
    /// Height of the antennas, metres.
    pub antenna_height_m: f64,
    /// Toe-in toward the middle of the opening, degrees from the door's normal.
    pub toe_in_deg: f64,
    /// Down tilt, degrees.
    pub down_tilt_deg: f64,
}

impl DoorModel {
    /// The reference door with a given front-to-back ratio.
    pub fn reference(front_to_back_db: f64) -> Self {
        DoorModel {
            radio: Radio::with_dwell_ms(25),
            front_to_back_db,
            pattern_exponent: 3.5,
            door_width_m: 3.0,
            jamb_offset_m: 0.15,
            setback_m: 0.15,
            antenna_height_m: 1.4,
            toe_in_deg: 25.0,
            down_tilt_deg: 10.0,
        }
    }

    /// The side an antenna port looks at: 1 and 2 inside, 3 and 4 outside.
    pub fn side_of(&self, antenna: u16) -> Option<Side> {
        match antenna {
            1 | 2 => Some(Side::Inside),
            3 | 4 => Some(Side::Outside),
            _ => None,
        }
    }

    /// The antenna ports looking at a side.
    pub fn antennas_on(&self, side: Side) -> [u16; 2] {
        match side {
            Side::Inside => [1, 2],
            Side::Outside => [3, 4],
        }
    }

    /// The four antennas, ports 1–4.
    pub fn antennas(&self) -> Vec<Antenna> {
        let (toe, tilt) = (
            self.toe_in_deg.to_radians(),
            self.down_tilt_deg.to_radians(),
        );
        let jamb = self.door_width_m / 2.0 + self.jamb_offset_m;
        [(-1.0, -1.0), (-1.0, 1.0), (1.0, -1.0), (1.0, 1.0)]
            .into_iter()
            .enumerate()
            .map(|(i, (out, right)): (usize, (f64, f64))| Antenna {
                port: i as u16 + 1,
                position: Vec3::new(out * self.setback_m, right * jamb, self.antenna_height_m),
                boresight: Vec3::new(
                    out * toe.cos() * tilt.cos(),
                    -right * toe.sin() * tilt.cos(),
                    -tilt.sin(),
                ),
                pattern_exponent: self.pattern_exponent,
                front_to_back_db: self.front_to_back_db,
            })
            .collect()
    }
}

impl Default for DoorModel {
    fn default() -> Self {
        DoorModel::reference(12.0)
    }
}

/// What someone in a plan is doing; it says why a tag that never crossed did not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActorKind {
    /// Pushes a trolley through the door.
    Trolley,
    /// Walks through fast, carrying something.
    Walker,
    /// Pushes a trolley up to the door plane (or just past) and pulls it back.
    TurnBack,
    /// Tags on a shelf near the door, still all run.
    Stray,
    /// Walks along the door on one side without passing.
    Passerby,
}

/// A tag carried by an actor.
#[derive(Debug, Clone, PartialEq)]
pub struct Carried {
    pub epc: Epc,
    /// Where on the actor, metres from its reference point (for a trolley the middle of
    /// its leading edge at floor level).
    pub offset: Vec3,
    /// Antenna ports this tag is hidden from and by how much, dB of RSSI (a metal cabinet
    /// side between the tag and the antenna, say).
    pub shadow: Vec<(u16, f64)>,
}

/// Someone or something with tags and a track through (or near) the door.
#[derive(Debug, Clone, PartialEq)]
pub struct Actor {
    pub kind: ActorKind,
    pub track: Track,
    pub tags: Vec<Carried>,
}

/// What happens at the door during a run.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub duration_us: u64,
    pub actors: Vec<Actor>,
}

/// Where trolleys start and end: about 6 m from the door on either side.
const REACH_M: f64 = 6.0;
/// How far behind a trolley's leading edge its tags are, metres.
const TROLLEY_LENGTH_M: f64 = 1.0;

fn us(secs: f64) -> u64 {
    (secs * 1e6).round() as u64
}

fn x_of(side: Side) -> f64 {
    match side {
        Side::Inside => -REACH_M,
        Side::Outside => REACH_M,
    }
}

impl Plan {
    /// An empty door for `duration_s` seconds.
    pub fn empty(duration_s: f64) -> Self {
        Plan {
            duration_us: us(duration_s),
            actors: Vec::new(),
        }
    }

    /// The EPC for the next tag: serials 0x10001, 0x10002, … in plan order.
    fn epc(&self, k: usize) -> Epc {
        let before: usize = self.actors.iter().map(|a| a.tags.len()).sum();
        giai_epc(0x10_001 + (before + k) as u64)
    }

    /// `n` tags spread over a trolley heading toward +x (`heading` 1) or −x (−1): on the
    /// items it carries, 5–100 cm behind its leading edge, ±30 cm across, 30–140 cm high.
    fn trolley_tags(&self, n: usize, heading: f64) -> Vec<Carried> {
        let mut g = Prng::keyed(0xD00A, &[self.actors.len() as u64]);
        // Spread along the trolley one per stretch, so the front item always has a tag.
        let stretch = (TROLLEY_LENGTH_M - 0.05) / n.max(1) as f64;
        (0..n)
            .map(|k| Carried {
                epc: self.epc(k),
                offset: Vec3::new(
                    -heading * (0.05 + stretch * (k as f64 + g.unit())),
                    g.range(-0.3, 0.3),
                    g.range(0.3, 1.4),
                ),
                shadow: Vec::new(),
            })
            .collect()
    }

    /// A trolley of `tags` tags pushed through the door at `speed` m/s, starting at `at_s`
    /// about 6 m from the door and ending about 6 m beyond it, `lane` metres along y.
    pub fn trolley(
        mut self,
        way: Direction,
        at_s: f64,
        speed: f64,
        lane: f64,
        tags: usize,
    ) -> Self {
        let from = way.from();
        let heading = if from == Side::Inside { 1.0 } else { -1.0 };
        let mut points = vec![(us(at_s), Vec3::new(x_of(from), lane, 0.0))];
        walk(&mut points, Vec3::new(-x_of(from), lane, 0.0), speed);
        let tags = self.trolley_tags(tags, heading);
        self.actors.push(Actor {
            kind: ActorKind::Trolley,
            track: Track::through(points),
            tags,
        });
        self
    }

    /// Like [`Plan::trolley`], with every tag hidden from the far side's antennas by
    /// `shadow_db`: they read on one side only.
    pub fn shadowed_trolley(
        self,
        way: Direction,
        at_s: f64,
        speed: f64,
        tags: usize,
        shadow_db: f64,
    ) -> Self {
        let far = match way {
            Direction::Out => [3, 4],
            Direction::In => [1, 2],
        };
        let mut plan = self.trolley(way, at_s, speed, 0.0, tags);
        for t in &mut plan.actors.last_mut().expect("just pushed").tags {
            t.shadow = far.iter().map(|&p| (p, shadow_db)).collect();
        }
        plan
    }

    /// A trolley pushed from `from` toward the door until its leading edge is at `stop_x`
    /// (short of the plane, or up to 0.3 m past it), held `hold_s` seconds, and pulled
    /// back where it came from.
    pub fn turn_back(
        mut self,
        from: Side,
        at_s: f64,
        speed: f64,
        stop_x: f64,
        tags: usize,
    ) -> Self {
        let heading = if from == Side::Inside { 1.0 } else { -1.0 };
        let lane = 0.1;
        let start = Vec3::new(x_of(from), lane, 0.0);
        let mut points = vec![(us(at_s), start)];
        walk(&mut points, Vec3::new(stop_x, lane, 0.0), speed);
        pause(&mut points, 2.0);
        walk(&mut points, start, speed);
        let tags = self.trolley_tags(tags, heading);
        self.actors.push(Actor {
            kind: ActorKind::TurnBack,
            track: Track::through(points),
            tags,
        });
        self
    }

    /// Someone walking through at `speed` m/s (2.5 is brisk) with a laptop under the arm.
    pub fn walker(mut self, way: Direction, at_s: f64, speed: f64) -> Self {
        let from = way.from();
        let lane = 0.4;
        let mut points = vec![(us(at_s), Vec3::new(x_of(from), lane, 0.0))];
        walk(&mut points, Vec3::new(-x_of(from), lane, 0.0), speed);
        let laptop = Carried {
            epc: self.epc(0),
            offset: Vec3::new(0.0, 0.25, 0.9),
            shadow: Vec::new(),
        };
        self.actors.push(Actor {
            kind: ActorKind::Walker,
            track: Track::through(points),
            tags: vec![laptop],
        });
        self
    }

    /// `n` tags still on a shelf along the wall 2.6 m inside, for the whole run.
    pub fn strays(mut self, n: usize) -> Self {
        let mut g = Prng::keyed(0x57A7, &[self.actors.len() as u64]);
        let tags = (0..n)
            .map(|k| Carried {
                epc: self.epc(k),
                offset: Vec3::new(g.range(-0.2, 0.0), g.range(-1.5, 1.5), g.range(0.4, 1.8)),
                shadow: Vec::new(),
            })
            .collect();
        self.actors.push(Actor {
            kind: ActorKind::Stray,
            track: Track::still(Vec3::new(-2.6, 0.0, 0.0), 0, self.duration_us),
            tags,
        });
        self
    }

    /// Someone carrying a tagged item along the door at `x` (never crossing), from one end
    /// of the wall to the other at `speed` m/s.
    pub fn passerby(mut self, x: f64, at_s: f64, speed: f64) -> Self {
        assert!(x != 0.0, "a passer-by walks on one side of the door");
        let mut points = vec![(us(at_s), Vec3::new(x, -6.0, 0.0))];
        walk(&mut points, Vec3::new(x, 6.0, 0.0), speed);
        let item = Carried {
            epc: self.epc(0),
            offset: Vec3::new(0.0, 0.0, 1.0),
            shadow: Vec::new(),
        };
        self.actors.push(Actor {
            kind: ActorKind::Passerby,
            track: Track::through(points),
            tags: vec![item],
        });
        self
    }

    /// `count` trolleys of 8 tags, one every 18 s, the same way.
    pub fn trolleys(way: Direction, count: usize) -> Self {
        let mut p = Plan::empty(18.0 * count as f64 + 6.0);
        for i in 0..count {
            let speed = [1.2, 1.0, 1.4, 1.1, 1.3][i % 5];
            let lane = [0.0, -0.4, 0.3, 0.5, -0.2][i % 5];
            p = p.trolley(way, 3.0 + 18.0 * i as f64, speed, lane, 8);
        }
        p
    }

    /// Five trolleys of 8 tags pushed out, one every 18 s.
    pub fn trolleys_out() -> Self {
        Plan::trolleys(Direction::Out, 5)
    }

    /// Five trolleys of 8 tags pushed in, one every 18 s.
    pub fn trolleys_in() -> Self {
        Plan::trolleys(Direction::In, 5)
    }

    /// Five turn-backs of 6-tag trolleys: from inside stopping 0.5 m and 0.05 m short of
    /// the plane and going 0.25 m past it (the front tags poke through and come back);
    /// from outside stopping 0.2 m short and going 0.25 m past.
    pub fn turn_backs() -> Self {
        Plan::empty(80.0)
            .turn_back(Side::Inside, 2.0, 1.0, -0.5, 6)
            .turn_back(Side::Inside, 17.0, 1.2, -0.05, 6)
            .turn_back(Side::Inside, 32.0, 1.0, 0.25, 6)
            .turn_back(Side::Outside, 47.0, 1.1, 0.2, 6)
            .turn_back(Side::Outside, 62.0, 1.0, -0.25, 6)
    }

    /// A fast walker (2.5 m/s) carrying one laptop out.
    pub fn walker_out() -> Self {
        Plan::empty(10.0).walker(Direction::Out, 2.0, 2.5)
    }

    /// Two trolleys at once, side by side, one out and one in.
    pub fn crossing_pair() -> Self {
        Plan::empty(16.0)
            .trolley(Direction::Out, 2.0, 1.1, -0.7, 6)
            .trolley(Direction::In, 2.0, 1.2, 0.7, 6)
    }

    /// Ten still tags on a shelf 2.6 m inside, one minute.
    pub fn strays_only() -> Self {
        Plan::empty(60.0).strays(10)
    }

    /// Tags read on one side only: a trolley going out whose tags are hidden 25 dB from
    /// the outside antennas, and one coming in hidden from the inside antennas.
    pub fn one_sided() -> Self {
        Plan::empty(36.0)
            .shadowed_trolley(Direction::Out, 2.0, 1.2, 8, 25.0)
            .shadowed_trolley(Direction::In, 20.0, 1.2, 8, 25.0)
    }

    /// People carrying tagged items along the door without passing: 1 m and 2 m inside,
    /// 1.5 m outside.
    pub fn passers_by() -> Self {
        Plan::empty(40.0)
            .passerby(-1.0, 2.0, 1.2)
            .passerby(-2.0, 14.0, 1.2)
            .passerby(1.5, 26.0, 1.2)
    }

    /// The reference experiment, 3 m 50 s: 10 trolleys (5 out, 5 in), 2 turn-backs (one
    /// from inside stopping 0.3 m short, one from outside going 0.2 m past), a fast walker
    /// with a laptop, a pair crossing at once, and 10 strays on a shelf all along.
    pub fn mixed() -> Self {
        Plan::empty(230.0)
            .strays(10)
            .trolley(Direction::Out, 5.0, 1.2, 0.0, 8)
            .trolley(Direction::In, 20.0, 1.0, 0.3, 6)
            .turn_back(Side::Inside, 35.0, 1.0, -0.3, 6)
            .trolley(Direction::Out, 52.0, 1.4, -0.4, 10)
            .walker(Direction::Out, 67.0, 2.5)
            .trolley(Direction::In, 77.0, 1.3, 0.0, 8)
            .trolley(Direction::Out, 92.0, 1.1, -0.7, 6)
            .trolley(Direction::In, 92.0, 1.2, 0.7, 6)
            .trolley(Direction::Out, 110.0, 1.0, 0.2, 12)
            .turn_back(Side::Outside, 126.0, 1.0, -0.2, 6)
            .trolley(Direction::In, 143.0, 1.2, -0.2, 10)
            .trolley(Direction::Out, 158.0, 1.5, 0.0, 4)
            .trolley(Direction::In, 172.0, 1.1, 0.4, 8)
            .trolley(Direction::Out, 188.0, 1.2, -0.3, 8)
            .trolley(Direction::In, 204.0, 1.3, 0.0, 6)
    }

    /// Every tag of the plan, with the index of its actor.
    pub fn tags(&self) -> impl Iterator<Item = (usize, &Carried)> {
        self.actors
            .iter()
            .enumerate()
            .flat_map(|(i, a)| a.tags.iter().map(move |t| (i, t)))
    }
}

/// A tag passed the door plane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Crossing {
    pub epc: Epc,
    pub direction: Direction,
    /// When the tag itself was in the plane, µs since the epoch.
    pub at_us: u64,
    /// Index of the actor in the plan.
    pub actor: usize,
    /// Part of an excursion it came back from (a turn-back just past the plane): the
    /// tag ends up on the side it was before. Only crossings that are not excursions are
    /// real passages.
    pub excursion: bool,
}

/// Why a tag ended the run on the side it started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Why {
    TurnBack,
    Stray,
    Passerby,
    /// A trolley or walker whose trip the run cut short.
    Unfinished,
}

/// A tag that ended on the side it started (it may have poked through and come back).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stayed {
    pub epc: Epc,
    pub side: Side,
    pub why: Why,
    pub actor: usize,
}

/// What really happened at the door.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DoorTruth {
    pub start_us: u64,
    pub end_us: u64,
    /// Every time a tag passed the plane, in time order.
    pub crossings: Vec<Crossing>,
    /// Every tag that did not end up on the other side, in plan order. Each tag of the
    /// plan is either here or has exactly one crossing that is not an excursion.
    pub stayed: Vec<Stayed>,
}

impl DoorTruth {
    /// The real passages: crossings that were not undone.
    pub fn passages(&self) -> impl Iterator<Item = &Crossing> + '_ {
        self.crossings.iter().filter(|c| !c.excursion)
    }
}

fn side(x: f64) -> Option<Side> {
    if x < 0.0 {
        Some(Side::Inside)
    } else if x > 0.0 {
        Some(Side::Outside)
    } else {
        None
    }
}

/// The times (µs since the run began) and directions a tag at `offset` on `track` passes
/// `x = 0` within the run, and the sides it starts and ends on.
fn crossings_of(track: &Track, offset: Vec3, end_us: u64) -> (Vec<(u64, Direction)>, Side, Side) {
    let from = track.from_us;
    let until = track.until_us.min(end_us).max(from);
    // The waypoints within the time the tag is in the run, with its own x.
    let mut pts: Vec<(u64, f64)> = vec![(from, track.at(from).x + offset.x)];
    pts.extend(
        track
            .points
            .iter()
            .filter(|(t, _)| *t > from && *t < until)
            .map(|&(t, p)| (t, p.x + offset.x)),
    );
    pts.push((until, track.at(until).x + offset.x));
    let start = pts.iter().find_map(|p| side(p.1)).unwrap_or(Side::Inside);
    let mut now = start;
    let mut out = Vec::new();
    for w in pts.windows(2) {
        let ((t0, x0), (t1, x1)) = (w[0], w[1]);
        match side(x1) {
            Some(s) if s != now => {
                let f = if x0 == 0.0 { 0.0 } else { -x0 / (x1 - x0) };
                let at = t0 + ((t1 - t0) as f64 * f).round() as u64;
                let dir = if s == Side::Outside {
                    Direction::Out
                } else {
                    Direction::In
                };
                out.push((at, dir));
                now = s;
            }
            _ => {}
        }
    }
    (out, start, now)
}

fn truth_of(plan: &Plan) -> DoorTruth {
    let mut truth = DoorTruth {
        start_us: START_US,
        end_us: START_US + plan.duration_us,
        crossings: Vec::new(),
        stayed: Vec::new(),
    };
    for (ai, tag) in plan.tags() {
        let actor = &plan.actors[ai];
        let (passes, start, end) = crossings_of(&actor.track, tag.offset, plan.duration_us);
        let last = passes.len().checked_sub(1);
        for (k, &(at, direction)) in passes.iter().enumerate() {
            truth.crossings.push(Crossing {
                epc: tag.epc,
                direction,
                at_us: START_US + at,
                actor: ai,
                excursion: start == end || Some(k) != last,
            });
        }
        if start == end {
            let why = match actor.kind {
                ActorKind::TurnBack => Why::TurnBack,
                ActorKind::Stray => Why::Stray,
                ActorKind::Passerby => Why::Passerby,
                ActorKind::Trolley | ActorKind::Walker => Why::Unfinished,
            };
            truth.stayed.push(Stayed {
                epc: tag.epc,
                side: start,
                why,
                actor: ai,
            });
        }
    }
    truth.crossings.sort_by_key(|c| c.at_us);
    truth
}

struct Door<'a> {
    /// Per tag: its actor's track and its offset on it.
    tags: Vec<(&'a Track, Vec3)>,
}

impl Scene for Door<'_> {
    fn place(&self, tag: usize, _a: usize, t_us: u64) -> Option<(Vec3, f64)> {
        let (track, offset) = self.tags[tag];
        Some((track.present_at(t_us)? + offset, 0.0))
    }
}

/// Runs `plan` at the door of `model`. The same seed gives the same reads.
pub fn simulate(model: &DoorModel, plan: &Plan, seed: u64) -> Run<DoorTruth> {
    let antennas = model.antennas();
    let mut tags = Vec::new();
    let mut placed = Vec::new();
    for (i, (ai, carried)) in plan.tags().enumerate() {
        let mut rf = TagRf::draw(&model.radio, carried.epc, seed, i, antennas.len());
        for &(port, db) in &carried.shadow {
            if let Some(a) = antennas.iter().position(|a| a.port == port) {
                rf.toward_db[a] -= db;
            }
        }
        tags.push(rf);
        placed.push((&plan.actors[ai].track, carried.offset));
    }
    let scene = Door { tags: placed };
    let reads = inventory(
        &model.radio,
        &antennas,
        &tags,
        &scene,
        plan.duration_us,
        seed,
    );
    Run {
        reads,
        truth: truth_of(plan),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn position(plan: &Plan, epc: &Epc, t_run_us: u64) -> Vec3 {
        let (ai, c) = plan.tags().find(|(_, c)| &c.epc == epc).unwrap();
        plan.actors[ai].track.at(t_run_us) + c.offset
    }

    #[test]
    fn antennas_face_their_side() {
        let m = DoorModel::default();
        for a in m.antennas() {
            let side = m.side_of(a.port).unwrap();
            assert_eq!(side == Side::Inside, a.position.x < 0.0);
            assert_eq!(side == Side::Inside, a.boresight.x < 0.0);
            assert!((a.boresight.norm() - 1.0).abs() < 1e-9);
            // Toed in: looking toward the middle of the opening.
            assert!(a.boresight.y * a.position.y < 0.0);
        }
        assert_eq!(m.antennas_on(Side::Outside), [3, 4]);
    }

    #[test]
    fn the_truth_of_a_crossing_matches_the_trajectory() {
        let plan = Plan::mixed();
        let truth = simulate(&DoorModel::default(), &plan, 1).truth;
        for c in &truth.crossings {
            let t = c.at_us - START_US;
            let before = position(&plan, &c.epc, t.saturating_sub(20_000)).x;
            let at = position(&plan, &c.epc, t).x;
            let after = position(&plan, &c.epc, t + 20_000).x;
            assert!(at.abs() < 0.01, "{c:?} at x = {at}");
            match c.direction {
                Direction::Out => assert!(before < 0.0 && after > 0.0, "{c:?}"),
                Direction::In => assert!(before > 0.0 && after < 0.0, "{c:?}"),
            }
        }
        // Every trolley and walker tag passes once, the right way; nothing else passes.
        for (ai, actor) in plan.actors.iter().enumerate() {
            for tag in &actor.tags {
                let passes: Vec<_> = truth.passages().filter(|c| c.epc == tag.epc).collect();
                match actor.kind {
                    ActorKind::Trolley | ActorKind::Walker => {
                        assert_eq!(passes.len(), 1, "actor {ai}");
                        let start = actor.track.points[0].1.x;
                        let want = if start < 0.0 {
                            Direction::Out
                        } else {
                            Direction::In
                        };
                        assert_eq!(passes[0].direction, want);
                    }
                    _ => {
                        assert!(passes.is_empty(), "actor {ai} {:?}", actor.kind);
                        assert!(truth.stayed.iter().any(|s| s.epc == tag.epc));
                    }
                }
            }
        }
        let movers: usize = plan
            .actors
            .iter()
            .filter(|a| matches!(a.kind, ActorKind::Trolley | ActorKind::Walker))
            .map(|a| a.tags.len())
            .sum();
        assert_eq!(movers, 8 + 6 + 10 + 1 + 8 + 6 + 6 + 12 + 10 + 4 + 8 + 8 + 6);
        assert_eq!(truth.passages().count(), movers);
        assert_eq!(truth.stayed.len(), 10 + 6 + 6);
        for (_, tag) in plan.tags() {
            let passed = truth.passages().filter(|c| c.epc == tag.epc).count();
            let stayed = truth.stayed.iter().filter(|s| s.epc == tag.epc).count();
            assert_eq!(passed + stayed, 1, "{:?}", tag.epc);
        }
    }

    #[test]
    fn turn_backs_past_the_plane_leave_excursions_short_ones_nothing() {
        let plan = Plan::turn_backs();
        let truth = simulate(&DoorModel::default(), &plan, 2).truth;
        assert_eq!(truth.passages().count(), 0);
        assert_eq!(truth.stayed.len(), 30);
        assert!(truth.stayed.iter().all(|s| s.why == Why::TurnBack));
        // Only the two that go past the plane poke tags through, out and back.
        let poked: std::collections::HashSet<usize> =
            truth.crossings.iter().map(|c| c.actor).collect();
        assert_eq!(poked, [2, 4].into_iter().collect());
        let mut by_tag: HashMap<Epc, Vec<Direction>> = HashMap::new();
        for c in &truth.crossings {
            by_tag.entry(c.epc).or_default().push(c.direction);
        }
        for dirs in by_tag.values() {
            assert_eq!(dirs.len(), 2);
            assert_ne!(dirs[0], dirs[1]);
        }
    }

    #[test]
    fn a_trip_the_run_cuts_short_is_unfinished() {
        let plan = Plan::empty(5.0)
            .trolley(Direction::Out, 2.0, 1.0, 0.0, 3)
            .walker(Direction::In, 30.0, 2.5);
        let truth = simulate(&DoorModel::default(), &plan, 1).truth;
        assert!(truth.crossings.is_empty());
        assert_eq!(truth.stayed.len(), 4);
        assert!(truth.stayed.iter().all(|s| s.why == Why::Unfinished));
        assert_eq!(truth.stayed[3].side, Side::Outside);
    }

    /// Strongest side of each read of a trolley tag, before and after it crossed.
    fn side_shares(model: &DoorModel, run: &Run<DoorTruth>) -> (f64, f64) {
        let crossed: HashMap<Epc, (u64, Direction)> = run
            .truth
            .passages()
            .map(|c| (c.epc, (c.at_us, c.direction)))
            .collect();
        let (mut right, mut total) = (0usize, 0usize);
        for r in &run.reads {
            let Some(&(at, dir)) = crossed.get(&r.epc) else {
                continue;
            };
            // Reads well clear of the plane.
            if r.timestamp_us.abs_diff(at) < 1_000_000 {
                continue;
            }
            let side_now = if r.timestamp_us < at {
                dir.from()
            } else if dir.from() == Side::Inside {
                Side::Outside
            } else {
                Side::Inside
            };
            total += 1;
            if model.side_of(r.antenna) == Some(side_now) {
                right += 1;
            }
        }
        (right as f64 / total as f64, total as f64)
    }

    #[test]
    fn a_trolley_is_read_mostly_by_the_antennas_of_the_side_it_is_on() {
        let good = DoorModel::reference(18.0);
        let run = simulate(&good, &Plan::trolleys_out(), 3);
        let (share, n) = side_shares(&good, &run);
        assert!(n > 1000.0 && share > 0.9, "18 dB: {share} of {n}");
        let poor = DoorModel::reference(4.0);
        let run = simulate(&poor, &Plan::trolleys_out(), 3);
        let (share_poor, _) = side_shares(&poor, &run);
        assert!(share_poor < share - 0.1, "4 dB: {share_poor}");
        assert!(share_poor > 0.5, "4 dB: {share_poor}");
    }

    #[test]
    fn one_sided_tags_read_on_one_side() {
        let m = DoorModel::reference(12.0);
        let plan = Plan::one_sided();
        let run = simulate(&m, &plan, 4);
        let out_tags: Vec<Epc> = plan.actors[0].tags.iter().map(|t| t.epc).collect();
        let reads: Vec<_> = run
            .reads
            .iter()
            .filter(|r| out_tags.contains(&r.epc))
            .collect();
        let outside = reads
            .iter()
            .filter(|r| m.side_of(r.antenna) == Some(Side::Outside))
            .count();
        assert!(reads.len() > 200, "{}", reads.len());
        assert!(
            outside * 20 < reads.len(),
            "{outside} of {} on the outside",
            reads.len()
        );
    }

    #[test]
    fn strays_are_read_all_run_stronger_inside() {
        // Behind the outside antennas the strays are weaker by the front-to-back ratio; a
        // good door hardly sees them outside, a poor one reads them on both sides (a tag
        // that powers up at all is read about as often as any other: Gen2 shares reads by
        // slots, not by signal strength).
        let mut shares = Vec::new();
        for (f2b, min_share) in [(18.0, 0.8), (8.0, 0.5)] {
            let m = DoorModel::reference(f2b);
            let plan = Plan::strays_only();
            let run = simulate(&m, &plan, 5);
            let mut per_tag: HashMap<Epc, usize> = HashMap::new();
            let (mut n, mut sum) = ([0usize; 2], [0f64; 2]);
            for r in &run.reads {
                *per_tag.entry(r.epc).or_default() += 1;
                let s = (m.side_of(r.antenna) == Some(Side::Outside)) as usize;
                n[s] += 1;
                sum[s] += r.rssi_dbm.unwrap() as f64;
            }
            assert!(per_tag.len() >= 8, "{} strays read", per_tag.len());
            let share = n[0] as f64 / run.reads.len() as f64;
            assert!(share > min_share, "{f2b} dB: inside share {share}");
            shares.push(share);
            if n[1] > 0 {
                let gap = sum[0] / n[0] as f64 - sum[1] / n[1] as f64;
                // Less than the ratio: the outside antennas read them only when a good
                // fade powers them up.
                assert!(gap > 1.0, "{f2b} dB: inside stronger by {gap}");
            }
            let last = run.reads.last().unwrap().timestamp_us;
            assert!(last > run.truth.end_us - 1_000_000);
        }
        assert!(shares[0] > shares[1] + 0.1, "{shares:?}");
    }

    #[test]
    fn the_door_never_exceeds_the_read_budget_and_reads_are_in_order() {
        let m = DoorModel::default();
        let run = simulate(&m, &Plan::mixed(), 6);
        assert!(run
            .reads
            .windows(2)
            .all(|w| w[0].timestamp_us <= w[1].timestamp_us));
        let mut per_second: HashMap<u64, usize> = HashMap::new();
        for r in &run.reads {
            *per_second
                .entry((r.timestamp_us - START_US) / 1_000_000)
                .or_default() += 1;
            assert!((1..=4).contains(&r.antenna));
        }
        assert!(*per_second.values().max().unwrap() <= 1100);
    }

    #[test]
    fn the_same_seed_gives_the_same_reads() {
        let m = DoorModel::default();
        let plan = Plan::turn_backs();
        let a = simulate(&m, &plan, 77);
        let b = simulate(&m, &plan, 77);
        assert_eq!(a.reads, b.reads);
        assert_eq!(a.truth, b.truth);
        assert_ne!(a.reads, simulate(&m, &plan, 78).reads);
    }

    #[test]
    fn the_walker_is_read_only_near_the_door() {
        let m = DoorModel::default();
        for seed in 1..=3 {
            let run = simulate(&m, &Plan::walker_out(), seed);
            let c = run.truth.passages().next().unwrap();
            assert!(run.reads.len() >= 20, "{} reads", run.reads.len());
            // At 2.5 m/s, within about 6 m of the door.
            assert!(run
                .reads
                .iter()
                .all(|r| r.timestamp_us.abs_diff(c.at_us) < 2_500_000));
            // Heard on both sides, unless its dipole points at one side's antennas.
            let rf = TagRf::draw(&m.radio, c.epc, seed, 0, 4);
            if rf.toward_db.iter().all(|&db| db == 0.0) {
                assert!(run.reads.iter().any(|r| r.timestamp_us < c.at_us));
                assert!(run.reads.iter().any(|r| r.timestamp_us > c.at_us));
            }
        }
    }
}

#[cfg(test)]
mod diagnostics {
    use std::collections::HashMap;

    use super::*;

    /// `cargo test -p depot --lib radio::door::diagnostics -- --ignored --nocapture`
    #[test]
    #[ignore]
    fn print_statistics() {
        for f2b in [18.0, 12.0, 8.0, 4.0] {
            let m = DoorModel::reference(f2b);
            let plan = Plan::trolleys_out();
            let t = std::time::Instant::now();
            let run = simulate(&m, &plan, 3);
            let el = t.elapsed();
            let crossed: HashMap<Epc, u64> =
                run.truth.passages().map(|c| (c.epc, c.at_us)).collect();
            // Reads by the tag's x at read time (1 m bins) and side of antenna.
            let mut bins: HashMap<i64, [usize; 2]> = HashMap::new();
            let mut rssi: HashMap<i64, [f64; 2]> = HashMap::new();
            for r in &run.reads {
                if !crossed.contains_key(&r.epc) {
                    continue;
                }
                let (ai, c) = plan.tags().find(|(_, c)| c.epc == r.epc).unwrap();
                let x = (plan.actors[ai].track.at(r.timestamp_us - START_US) + c.offset).x;
                let s = (m.side_of(r.antenna) == Some(Side::Outside)) as usize;
                bins.entry(x.floor() as i64).or_default()[s] += 1;
                rssi.entry(x.floor() as i64).or_default()[s] += r.rssi_dbm.unwrap() as f64;
            }
            let mut keys: Vec<_> = bins.keys().copied().collect();
            keys.sort();
            println!("f2b {f2b}: {} reads in {el:?}", run.reads.len());
            for k in keys {
                let b = bins[&k];
                let r = rssi[&k];
                println!(
                    "  x {k:>3}: inside {:>5} ({:>6.1} dBm) outside {:>5} ({:>6.1} dBm)",
                    b[0],
                    r[0] / b[0].max(1) as f64,
                    b[1],
                    r[1] / b[1].max(1) as f64
                );
            }
        }
    }
}
