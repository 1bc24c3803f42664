//! Chafon UHFReader18 and its clones: the serial protocol of most low-cost desktop and
//! fixed readers (also over TCP through serial-to-Ethernet converters).

/// Commands and responses.
pub mod message;
/// Sans-IO framing with CRC-16/MCRF4XX.
pub mod codec;
/// The [`crate::transport::Protocol`] impl.
pub mod transport;
/// The driver session: answer-mode polling or active-mode listening.
pub(crate) mod driver;
