//! The domain: words and rules that do not depend on storage or transport.

/// Approval chains: which loans the finance approver signs off after the depot.
pub mod approvals;
/// Bounded input types (`Text`, `Note`, `Day`, `Fen`, `PageNo`, `LocalPath`, passwords):
/// the rules every request's fields obey, written once.
pub mod bounds;
/// Time limits per order status (限时办结) in working days, and who must act.
pub mod deadlines;
/// Straight-line depreciation by month, no residual value (government accounting).
pub mod depreciation;
/// GS1 EPC encodings: GIAI-96 for new assets; GRAI-96, SGTIN-96 and raw when reading.
pub mod epc;
/// EPCIS 2.0 / CBV 2.0: the log as GS1 ObjectEvents, and GS1's event hash.
pub mod epcis;
/// Asset labels in ZPL II for Zebra RFID printers: EPC bank write, QR code, name and number.
pub mod labels;
/// The asset lifecycle and order status tables.
pub mod lifecycle;
/// What a notice says, in both languages.
pub mod notices;
