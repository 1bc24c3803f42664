//! UHF RFID reader protocols: sans-IO codecs and thin tokio transports.
//!
//! This crate knows nothing of HTTP or databases: it turns bytes from readers into
//! [`TagRead`]s and reader events, and commands into bytes. Start at [`spawn`]: one call
//! per reader gives a supervised task that connects, configures, runs inventory and
//! reconnects, sending [`ReaderOutput`]s down a bounded channel.
#![doc = include_str!("../README.md")]

/// Reader addresses, configuration, events and the supervised driver task.
pub mod driver;
/// LLRP 1.0.1 over TCP (Impinj, Zebra).
pub mod llrp;
/// Impinj R2000 "0xA0" modules over serial or TCP.
pub mod r2000;
/// The protocol-neutral tag read.
pub mod read;
/// Writing EPCs to tags, with a read-back.
pub mod tagwrite;
/// One tokio_util framing over any byte stream, with counters.
pub mod transport;
/// Chafon UHFReader18 over serial or TCP.
pub mod uhf18;

pub use driver::{
    spawn, spawn_source, AddressError, Backoff, Link, ReaderAddress, ReaderConfig, ReaderError,
    ReaderEvent, ReaderEventKind, ReaderHandle, ReaderOutput, Source,
};
pub use read::{Epc, ReaderId, TagRead};
pub use tagwrite::{survey_field, write_epc, WriteError, WriteRequest, Written};
pub use transport::{Counters, CountersSnapshot};
