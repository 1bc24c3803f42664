//! Depot: an RFID-tracked public asset depot (公物仓).
//!
//! Raw UHF tag reads come in from readers (crate `depot-readers`), the [`engine`] turns
//! them into business facts, and the lifecycle of each asset is kept in PostgreSQL and
//! served over HTTP. Read ARCHITECTURE.md for the map.
#![forbid(unsafe_code)]

/// The application layer: one function per business operation, its policy and visibility.
pub mod app;
/// Users, roles, passwords, sessions and API tokens.
pub mod auth;
/// Command line: `depot serve`, `depot migrate`, readers, traces and benchmarks.
pub mod cli;
/// Configuration: defaults, file, environment, flags.
pub mod config;
/// What both front ends read off a request: the session cookie, the credential, the
/// client's address, the same-origin check.
pub mod cookie;
/// Storage: pool, migrations, embedded PostgreSQL, entity queries.
pub mod db;
/// The demo world seeded by `depot serve --demo`.
pub mod demo;
/// The domain: lifecycle table, EPC encodings.
pub mod domain;
/// The inventory engine: raw reads in, zone, gate and stocktake facts out (sans-IO).
pub mod engine;
/// The JSON API, an adapter over `app`.
pub mod http;
/// Readers drive the lifecycle: reads → engine → facts → orders, alerts, stocktakes, live.
pub mod ingest;
/// E-mail: notifications sent through an SMTP relay.
pub mod mail;
/// `/metrics`: counters, histograms and levels in the Prometheus text format.
pub mod metrics;
/// A UHF radio model from link-budget physics: simulated reads with ground truth, to test
/// the engine on radio it was not written with.
pub mod radio;
/// The composition root: the API and the pages on one router, and the server.
pub mod server;
/// The web pages, an adapter over `app`: server-rendered HTML and forms.
pub mod web;
