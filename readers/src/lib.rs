//! UHF RFID reader protocols: sans-IO codecs and thin tokio transports.
//!
//! This crate knows nothing of HTTP or databases: it turns bytes from readers into
//! [`TagRead`]s and reader events, and commands into bytes.

/// The protocol-neutral tag read.
pub mod read;

pub use read::{Epc, ReaderId, TagRead};
