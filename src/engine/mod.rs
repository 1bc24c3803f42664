//! The inventory engine turns raw tag reads into a few correct facts.
//!
//! Sans-IO: nothing here reads a clock, a socket or a file on its own; time comes from the
//! reads ([`Engine::ingest`](crate::engine::Engine::ingest)) or from the caller
//! ([`Engine::advance_to`](crate::engine::Engine::advance_to)), so a trace
//! replays to the same facts every time. Read ARCHITECTURE.md ("Inventory engine") for the
//! map and the invariants.

/// Readers, zones, read points and gates; loadable with serde.
pub mod config;
/// Facts: arrived, left, moved, passed, batch closed.
pub mod fact;
/// Gate passage judgement and gate batches.
pub mod gate;
/// The engine: smoothing, gate tracks, timers, zone contents and cycle reports.
pub mod inventory;
/// Compact tag keys and their hashing.
pub mod key;
/// Zone presence: evidence per tag and zone, and the decisions it makes.
pub(crate) mod presence;
/// The engine on its own thread behind bounded channels (backpressure), for the service.
pub mod runner;
/// Stocktakes: found, missing, unexpected and misplaced assets.
pub mod stocktake;
/// The walk test: how good a gate is, and the thresholds that suit it.
pub mod survey;
/// Deterministic synthetic traces: gate passages, stocktakes, cross-reads, benchmark load.
pub mod synth;
/// Trace files: JSON Lines reads, raw-frame captures, replay.
pub mod trace;

pub use config::{
    EngineConfig, GateConfig, GateId, ReadPoint, ReaderConfig, Smoothing, ZoneConfig, ZoneId,
};
pub use fact::{Direction, Fact};
pub use inventory::{Counters, CycleReport, Engine, Memory};
pub use stocktake::{Progress, Stocktake, StocktakeResult};
