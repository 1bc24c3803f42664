//! Chafon UHFReader18 and its clones: the serial protocol of most low-cost desktop and
//! fixed readers (also over TCP through serial-to-Ethernet converters).

/// Sans-IO framing with CRC-16/MCRF4XX.
pub mod codec;
/// The driver: answer-mode polling or active-mode listening.
pub(crate) mod driver;
/// Commands and responses.
pub mod message;
/// The [`crate::transport::Protocol`] impl.
pub mod transport;
/// Writing an EPC to a tag, in a session of its own.
pub(crate) mod write;
