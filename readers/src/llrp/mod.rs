//! LLRP 1.0.1 (EPCglobal Low Level Reader Protocol): what Impinj and Zebra readers speak
//! on TCP port 5084.

/// Messages and parameters.
pub mod message;
/// Sans-IO encoder and decoder.
pub mod codec;
/// The [`crate::transport::Protocol`] impl.
pub mod transport;
/// The client: handshake, ROSpec lifecycle, keepalives, reports.
pub(crate) mod client;

/// The IANA port for LLRP (§3).
pub const DEFAULT_PORT: u16 = 5084;
