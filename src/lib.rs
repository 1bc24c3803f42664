//! Depot: an RFID-tracked public asset depot (公物仓).
//!
//! Raw UHF tag reads come in from readers (crate `depot-readers`), the [`engine`] turns
//! them into business facts, and the lifecycle of each asset is kept in PostgreSQL and
//! served over HTTP. Read ARCHITECTURE.md for the map.
#![forbid(unsafe_code)]

/// Users, roles, passwords, sessions and API tokens.
pub mod auth;
/// Command line: `depot serve`, `depot migrate`, readers, traces and benchmarks.
pub mod cli;
/// Configuration: defaults, file, environment, flags.
pub mod config;
/// Storage: pool, migrations, embedded PostgreSQL, entity queries.
pub mod db;
/// The demo world seeded by `depot serve --demo`.
pub mod demo;
/// The domain: lifecycle table, EPC encodings.
pub mod domain;
/// The inventory engine: raw reads in, zone, gate and stocktake facts out (sans-IO).
pub mod engine;
/// The HTTP API.
pub mod http;
/// Readers drive the lifecycle: reads → engine → facts → orders, alerts, stocktakes, live.
pub mod ingest;
/// A UHF radio model from link-budget physics: simulated reads with ground truth, to test
/// the engine on radio it was not written with.
pub mod radio;
/// The web pages: server-rendered HTML on the same functions as the API.
pub mod web;
