//! Impinj R2000 "0xA0" serial protocol: the command set of most R2000-based modules
//! (sold under many names), over serial or TCP.

/// Sans-IO framing with the two's-complement checksum.
pub mod codec;
/// The driver: real-time inventory, cycling through antennas.
pub(crate) mod driver;
/// Commands and responses.
pub mod message;
/// The [`crate::transport::Protocol`] impl.
pub mod transport;
/// Writing an EPC to a tag, in a session of its own.
pub(crate) mod write;
