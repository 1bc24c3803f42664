//! LLRP 1.0.1 (EPCglobal Low Level Reader Protocol): what Impinj and Zebra readers speak
//! on TCP port 5084.

/// The client: handshake, ROSpec lifecycle, keepalives, reports.
pub(crate) mod client;
/// Sans-IO encoder and decoder.
pub mod codec;
/// Messages and parameters.
pub mod message;
/// The [`crate::transport::Protocol`] impl.
pub mod transport;
/// Writing an EPC: one session with an AccessSpec, then a read-back.
pub mod write;

/// The IANA port for LLRP (§3).
pub const DEFAULT_PORT: u16 = 5084;
