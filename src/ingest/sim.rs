//! A simulated reader: the trace synthesizer's dock door played in real time, so that a demo
//! (or anyone without hardware) sees the gate work.
//!
//! Address: `sim://gate?scenario=gate-cycle&every=60s&tags=51&seed=11`, every parameter
//! optional.
//! - `gate`: what is simulated, the synthesizer's dock door: one reader, antennas 1–2
//!   inside facing in, 3–4 outside facing out (map them to the gate's zones as for a real
//!   reader). It is the only place so far.
//! - `scenario`: `gate-out` (a trolley pushed out, a stray tag lingering inside the door),
//!   `gate-in` (a trolley brought in), or `gate-cycle` (out, then in, then out…: the
//!   default, so that what went out on a loan comes back and can go out again).
//! - `every`: from the start of one run to the start of the next, `60s` by default (`90s`,
//!   `2m`; 1 s to 24 h); a run longer than that is followed at once by the next.
//! - `tags`: how many tags the trolley carries, 1 to 600 (default 51); they are the
//!   synthesizer's `asset_epc(1..=tags)`, which the demo registers as its exhibition panels.
//! - `seed`: the first run's seed (default 11, the demo's trace); run `n` uses `seed + n`, so
//!   runs differ as real ones do.
//!
//! The reads are dated by the host clock as they are sent, and go down the same channel as
//! a real driver's: engine, facts, reconciliation, live stream.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use depot_readers::{
    ReaderAddress, ReaderConfig, ReaderEventKind, ReaderHandle, ReaderOutput, Source,
};
use tokio::sync::mpsc;

use crate::engine::synth::{synthesize, Options, Scenario, TRACE_EPOCH_US};

/// The address scheme of a simulated reader.
pub const SCHEME: &str = "sim://";

/// What a simulated gate plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SimScenario {
    GateOut,
    GateIn,
    GateCycle,
}

impl SimScenario {
    fn name(self) -> &'static str {
        match self {
            SimScenario::GateOut => "gate-out",
            SimScenario::GateIn => "gate-in",
            SimScenario::GateCycle => "gate-cycle",
        }
    }

    /// The synthesizer's scenario for run `n` (0-based).
    fn run(self, n: u64) -> Scenario {
        match self {
            SimScenario::GateOut => Scenario::GateOut,
            SimScenario::GateIn => Scenario::GateIn,
            SimScenario::GateCycle if n % 2 == 0 => Scenario::GateOut,
            SimScenario::GateCycle => Scenario::GateIn,
        }
    }
}

/// A simulated reader's address, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimAddress {
    pub scenario: SimScenario,
    pub every: Duration,
    pub tags: u32,
    pub seed: u64,
}

impl Default for SimAddress {
    fn default() -> Self {
        SimAddress {
            scenario: SimScenario::GateCycle,
            every: Duration::from_secs(60),
            tags: 51,
            seed: 11,
        }
    }
}

pub const MAX_TAGS: u32 = 600;
pub const MAX_EVERY: Duration = Duration::from_secs(24 * 3600);

impl FromStr for SimAddress {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let rest = s
            .strip_prefix(SCHEME)
            .ok_or_else(|| format!("{s:?} is not a simulated reader address ({SCHEME}gate?…)"))?;
        let (place, query) = rest.split_once('?').unwrap_or((rest, ""));
        if place.trim_end_matches('/') != "gate" {
            return Err(format!(
                "{s:?}: a simulated reader simulates a gate: sim://gate?scenario=gate-out|gate-in|gate-cycle&every=60s&tags=51&seed=11"
            ));
        }
        let mut sim = SimAddress::default();
        for kv in query.split('&').filter(|kv| !kv.is_empty()) {
            let bad = |why: &str| format!("{s:?}: {kv:?}: {why}");
            let (k, v) = kv
                .split_once('=')
                .ok_or_else(|| bad("expected NAME=VALUE"))?;
            match k {
                "scenario" => {
                    sim.scenario = match v {
                        "gate-out" => SimScenario::GateOut,
                        "gate-in" => SimScenario::GateIn,
                        "gate-cycle" => SimScenario::GateCycle,
                        _ => return Err(bad("the scenarios are gate-out, gate-in and gate-cycle")),
                    }
                }
                "every" => {
                    sim.every = duration(v)
                        .filter(|d| *d >= Duration::from_secs(1) && *d <= MAX_EVERY)
                        .ok_or_else(|| bad("a duration from 1s to 24h, e.g. 60s or 2m"))?
                }
                "tags" => {
                    sim.tags = v
                        .parse()
                        .ok()
                        .filter(|n| (1..=MAX_TAGS).contains(n))
                        .ok_or_else(|| bad("a number of tags from 1 to 600"))?
                }
                "seed" => sim.seed = v.parse().map_err(|_| bad("a whole number"))?,
                _ => return Err(bad("known parameters: scenario, every, tags, seed")),
            }
        }
        Ok(sim)
    }
}

/// `90`, `90s`, `2m`, `1h`: whole seconds, minutes or hours.
fn duration(v: &str) -> Option<Duration> {
    let (n, unit) = match v.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => v.split_at(i),
        None => (v, "s"),
    };
    let n: u64 = n.parse().ok()?;
    let secs = match unit {
        "s" => n,
        "m" => n.checked_mul(60)?,
        "h" => n.checked_mul(3600)?,
        _ => return None,
    };
    Some(Duration::from_secs(secs))
}

impl fmt::Display for SimAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{SCHEME}gate?scenario={}&every={}s&tags={}&seed={}",
            self.scenario.name(),
            self.every.as_secs(),
            self.tags,
            self.seed
        )
    }
}

/// Any address the supervisor runs: a reader on a link, or a simulated one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Address {
    Reader(ReaderAddress),
    Sim(SimAddress),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    #[error("{0}, or sim://gate?scenario=… for a simulated gate")]
    Reader(depot_readers::AddressError),
    #[error("{0}")]
    Sim(String),
}

impl FromStr for Address {
    type Err = AddressError;

    fn from_str(s: &str) -> Result<Self, AddressError> {
        if s.starts_with(SCHEME) {
            s.parse().map(Address::Sim).map_err(AddressError::Sim)
        } else {
            s.parse().map(Address::Reader).map_err(AddressError::Reader)
        }
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Address::Reader(a) => a.fmt(f),
            Address::Sim(a) => a.fmt(f),
        }
    }
}

impl Address {
    /// Start its driver: the reader's protocol driver, or the simulation.
    pub fn spawn(&self, config: ReaderConfig, tx: mpsc::Sender<ReaderOutput>) -> ReaderHandle {
        match self {
            Address::Reader(a) => depot_readers::spawn(a.clone(), config, tx),
            Address::Sim(sim) => {
                let sim = sim.clone();
                depot_readers::spawn_source(config, tx, move |source| play(sim, source))
            }
        }
    }
}

/// Run after run until stopped.
async fn play(sim: SimAddress, mut source: Source) {
    let description = format!(
        "simulated gate: {}, {} tags every {} s",
        sim.scenario.name(),
        sim.tags,
        sim.every.as_secs()
    );
    if !source
        .event(ReaderEventKind::Connected { description })
        .await
        || !source.event(ReaderEventKind::InventoryStarted).await
    {
        return;
    }
    for n in 0u64.. {
        if !source.inventory_wanted().await {
            return;
        }
        let started = tokio::time::Instant::now();
        let options = Options::new(sim.scenario.run(n), sim.tags, sim.seed.wrapping_add(n));
        tracing::debug!(reader = source.reader().0, run = n, scenario = ?options.scenario, "simulated run");
        let Ok(trace) = tokio::task::spawn_blocking(move || synthesize(&options)).await else {
            return;
        };
        let base_us = super::now_us();
        for read in trace.reads {
            if !source.antennas().is_empty() && !source.antennas().contains(&read.antenna) {
                continue;
            }
            let offset = read.timestamp_us.saturating_sub(TRACE_EPOCH_US);
            tokio::time::sleep_until(started + Duration::from_micros(offset)).await;
            let read = depot_readers::TagRead {
                reader: source.reader(),
                timestamp_us: base_us + offset,
                ..read
            };
            if !source.read(read).await {
                return;
            }
        }
        tokio::time::sleep_until(started + sim.every).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_parse_with_defaults_and_round_trip() {
        let a: SimAddress = "sim://gate".parse().unwrap();
        assert_eq!(a, SimAddress::default());
        let a: SimAddress = "sim://gate?scenario=gate-out&every=2m&tags=12&seed=3"
            .parse()
            .unwrap();
        assert_eq!(
            a,
            SimAddress {
                scenario: SimScenario::GateOut,
                every: Duration::from_secs(120),
                tags: 12,
                seed: 3
            }
        );
        assert_eq!(a.to_string().parse::<SimAddress>().unwrap(), a);
        assert!(matches!(
            "sim://gate?every=90".parse::<Address>(),
            Ok(Address::Sim(SimAddress { every, .. })) if every == Duration::from_secs(90)
        ));
        assert!(matches!(
            "llrp://127.0.0.1".parse::<Address>(),
            Ok(Address::Reader(_))
        ));
    }

    #[test]
    fn bad_addresses_say_why() {
        for bad in [
            "sim://shelf",
            "sim://gate?scenario=walk",
            "sim://gate?every=0s",
            "sim://gate?every=25h",
            "sim://gate?every=5d",
            "sim://gate?every=99999999999999999999m",
            "sim://gate?tags=0",
            "sim://gate?tags=601",
            "sim://gate?seed=-1",
            "sim://gate?speed=2",
            "sim://gate?tags",
        ] {
            let e = bad.parse::<Address>().unwrap_err().to_string();
            assert!(e.contains(bad.split('?').next().unwrap()), "{bad}: {e}");
        }
        let e = "http://x".parse::<Address>().unwrap_err().to_string();
        assert!(e.contains("sim://gate"), "{e}");
    }

    #[test]
    fn a_cycle_alternates_out_and_in() {
        let runs: Vec<Scenario> = (0..4).map(|n| SimScenario::GateCycle.run(n)).collect();
        assert_eq!(
            runs,
            [
                Scenario::GateOut,
                Scenario::GateIn,
                Scenario::GateOut,
                Scenario::GateIn
            ]
        );
    }
}
