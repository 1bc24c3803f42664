//! Writing an EPC to a tag through a reader, then reading it back: one short session of its
//! own, never through a running [`crate::spawn`] driver (a reader takes one client at a
//! time, so stop the driver of that reader first).

use std::time::Duration;

use tokio::time::Instant;

use crate::driver::ReaderAddress;
use crate::read::Epc;

/// What to write, and to which tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteRequest {
    /// The EPC to write: whole 16-bit words (GIAI-96 is 6).
    pub epc: Epc,
    /// The tag's current EPC. Without it, the field must hold exactly one tag.
    pub from: Option<Epc>,
    /// The tag's access password; 0 for a tag that has none (factory state).
    pub access_password: u32,
    /// How long to watch the field before writing (to find the tag and any others) and
    /// after (to see the new EPC and not the old one).
    pub survey: Duration,
}

impl WriteRequest {
    pub fn new(epc: Epc) -> Self {
        WriteRequest {
            epc,
            from: None,
            access_password: 0,
            survey: Duration::from_millis(1000),
        }
    }
}

/// A write that was done and read back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    pub old: Epc,
    pub new: Epc,
    /// Words the tag reported written (PC word included when the length changed).
    pub words: u16,
    /// Reads of the new EPC while reading back.
    pub reads_after: u32,
}

/// Why a tag was not written, or not verified. Nothing here is a panic.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WriteError {
    #[error("cannot write {0}: an EPC is written in whole 16-bit words, 2 to 62 bytes")]
    BadEpc(Epc),
    #[error("writing tags is not supported over {0}")]
    Unsupported(&'static str),
    #[error("cannot reach the reader: {0}")]
    Unreachable(String),
    #[error("the reader refused the connection: another client is probably connected")]
    Busy,
    #[error("no tag in the reader's field")]
    NoTag,
    #[error("tag {0} is not in the reader's field")]
    TagNotFound(Epc),
    #[error("{} tags in the field ({}): name the tag to write with its current EPC", .0.len(), list(.0))]
    SeveralTags(Vec<Epc>),
    #[error("another tag in the field already carries {0}")]
    EpcInField(Epc),
    #[error("the tag's EPC memory is locked")]
    Locked,
    #[error("the tag refused the access password")]
    WrongPassword,
    #[error("the tag's EPC memory cannot hold {0}")]
    Overrun(Epc),
    #[error("the tag was not written: {0}")]
    NotWritten(&'static str),
    #[error("timed out {0}")]
    Timeout(&'static str),
    #[error("reader error: {0}")]
    Reader(String),
    #[error("written but not verified: {0}")]
    NotVerified(String),
}

fn list(epcs: &[Epc]) -> String {
    epcs.iter().map(Epc::to_hex).collect::<Vec<_>>().join(", ")
}

/// Writes `req.epc` to one tag through the reader at `address`, then reads it back; gives up
/// at `deadline`. Only LLRP readers so far.
pub async fn write_epc(
    address: &ReaderAddress,
    req: &WriteRequest,
    deadline: Instant,
) -> Result<Written, WriteError> {
    let e = req.epc;
    if e.is_empty() || e.len() % 2 != 0 {
        return Err(WriteError::BadEpc(e));
    }
    if let Some(from) = req.from {
        if from.is_empty() {
            return Err(WriteError::BadEpc(from));
        }
    }
    match address {
        ReaderAddress::Llrp { .. } => crate::llrp::write::write_epc(address, req, deadline).await,
        ReaderAddress::Uhf18 { .. } => Err(WriteError::Unsupported("UHFReader18")),
        ReaderAddress::R2000 { .. } => Err(WriteError::Unsupported("R2000")),
    }
}

/// The EPCs of the tags in the reader's field, watched for `survey` in a short session of its
/// own (as [`write_epc`]): to see what a tag carries before deciding to write it.
pub async fn survey_field(
    address: &ReaderAddress,
    survey: Duration,
    deadline: Instant,
) -> Result<Vec<Epc>, WriteError> {
    match address {
        ReaderAddress::Llrp { .. } => crate::llrp::write::survey(address, survey, deadline).await,
        ReaderAddress::Uhf18 { .. } => Err(WriteError::Unsupported("UHFReader18")),
        ReaderAddress::R2000 { .. } => Err(WriteError::Unsupported("R2000")),
    }
}
