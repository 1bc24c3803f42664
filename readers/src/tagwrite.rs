//! Writing an EPC to a tag through a reader, then reading it back: one short session of its
//! own, never through a running [`crate::spawn`] driver (a reader takes one client at a
//! time, so stop the driver of that reader first).

use std::collections::BTreeMap;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::time::Instant;

use crate::driver::ReaderAddress;
use crate::read::Epc;
use crate::transport::{Protocol, Transport};

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
    /// Words written, the PC word included when the length changed: as the tag reported
    /// them over LLRP; the words of the write the reader confirmed over UHFReader18 and R2000.
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

/// The next well-formed frame of a write session's transport, `None` at `until`; malformed
/// ones are skipped (a session, like a driver, survives a bad frame).
pub(crate) async fn next_frame<T, P>(
    io: &mut Transport<T, P>,
    until: Instant,
) -> Result<Option<P::Inbound>, WriteError>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    P: Protocol,
{
    loop {
        match tokio::time::timeout_at(until, io.next()).await {
            Err(_) => return Ok(None),
            Ok(None) => {
                return Err(WriteError::Reader(
                    "the reader closed the connection".into(),
                ))
            }
            Ok(Some(Err(e))) => return Err(WriteError::Reader(format!("read failed: {e}"))),
            Ok(Some(Ok(Err(bad)))) => tracing::debug!(%bad, "skipped a malformed frame"),
            Ok(Some(Ok(Ok(frame)))) => return Ok(Some(frame)),
        }
    }
}

/// Send one frame on a write session's transport.
pub(crate) async fn send_frame<T, P>(
    io: &mut Transport<T, P>,
    frame: P::Outbound,
) -> Result<(), WriteError>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    P: Protocol,
{
    io.send(frame)
        .await
        .map_err(|e| WriteError::Reader(format!("write failed: {e}")))
}

fn list(epcs: &[Epc]) -> String {
    epcs.iter().map(Epc::to_hex).collect::<Vec<_>>().join(", ")
}

/// Writes `req.epc` to one tag through the reader at `address`, then reads it back; gives up
/// at `deadline` with [`WriteError::Timeout`].
///
/// Every protocol does the same: it watches the field for `req.survey` (three times that
/// while a tag named by `req.from` has not shown up), picks the tag (`req.from`, or the one
/// tag in the field), refuses when another tag already carries `req.epc`, writes the EPC
/// bank of that tag alone (addressed by its current EPC), from word 2, or from word 1 with
/// the PC word's length bits when the length changes, with `req.access_password`, then
/// watches the field again: the new EPC must be read and the old one not.
///
/// - LLRP: an AccessSpec with a C1G2Write on an inventory ROSpec of its own, removed after.
/// - UHFReader18: Inventory (0x01) rounds, Write Data (0x03) to the EPC bank of the tag
///   named by its EPC, after a Read Data (0x02) of its PC word when the length changes.
///   Answer mode only: a reader in active mode answers no command.
/// - R2000: Real Time Inventory (0x89) rounds on every antenna port that is connected, then
///   on the port that saw the tag: Set Access EPC Match (0x85) to the tag's EPC, Write
///   (0x82), and the match cancelled after. The PC word comes from the inventory.
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
        ReaderAddress::Uhf18 { .. } => crate::uhf18::write::write_epc(address, req, deadline).await,
        ReaderAddress::R2000 { .. } => crate::r2000::write::write_epc(address, req, deadline).await,
    }
}

/// The EPCs of the tags in the reader's field, watched for `survey` in a short session of its
/// own (as [`write_epc`]): to see what a tag carries before deciding to write it. The reader
/// is left as it was found. Over R2000 every connected antenna port is watched.
pub async fn survey_field(
    address: &ReaderAddress,
    survey: Duration,
    deadline: Instant,
) -> Result<Vec<Epc>, WriteError> {
    match address {
        ReaderAddress::Llrp { .. } => crate::llrp::write::survey(address, survey, deadline).await,
        ReaderAddress::Uhf18 { .. } => crate::uhf18::write::survey(address, survey, deadline).await,
        ReaderAddress::R2000 { .. } => crate::r2000::write::survey(address, survey, deadline).await,
    }
}

/// The EPC as 16-bit words (an odd last byte is padded with zero).
pub(crate) fn words(epc: &Epc) -> Vec<u16> {
    epc.as_bytes()
        .chunks(2)
        .map(|w| u16::from_be_bytes([w[0], *w.get(1).unwrap_or(&0)]))
        .collect()
}

/// Where to write in the EPC bank, and what, to turn a tag carrying `old` (whose PC word is
/// `pc`, when known) into one carrying `new`: from word 2 (after the CRC and PC words) when
/// the length is the same; otherwise from word 1, with the PC word's top five bits (the EPC's
/// length in words) set for `new` and its other bits (user memory, XPC, numbering system)
/// kept.
pub(crate) fn epc_bank_write(old: &Epc, pc: Option<u16>, new: &Epc) -> (u8, Vec<u16>) {
    if old.len() == new.len() {
        return (2, words(new));
    }
    let length = (new.len() / 2) as u16;
    let mut data = vec![(length << 11) | (pc.unwrap_or(0) & 0x07FF)];
    data.extend(words(new));
    (1, data)
}

/// The tag to write among those `seen` in the field: `req.from` if it was seen, or the only
/// tag; refused when another tag already carries `req.epc`.
pub(crate) fn choose<T>(seen: &BTreeMap<Epc, T>, req: &WriteRequest) -> Result<Epc, WriteError> {
    let old = match req.from {
        Some(from) if seen.contains_key(&from) => from,
        Some(from) => return Err(WriteError::TagNotFound(from)),
        None => match seen.len() {
            0 => return Err(WriteError::NoTag),
            1 => *seen.keys().next().expect("one"),
            _ => return Err(WriteError::SeveralTags(seen.keys().copied().collect())),
        },
    };
    if old != req.epc && seen.contains_key(&req.epc) {
        return Err(WriteError::EpcInField(req.epc));
    }
    Ok(old)
}

/// What an error code backscattered by a tag (EPC Gen2 Annex I) means for a write of `new`.
pub(crate) fn tag_error(code: u8, new: Epc) -> WriteError {
    match code {
        0x03 => WriteError::Overrun(new),
        0x04 => WriteError::Locked,
        0x0B => WriteError::NotWritten("insufficient power"),
        0x0F => WriteError::NotWritten("the tag reported a non-specific error"),
        _ => WriteError::Reader(format!("the tag answered with error code {code:#04X}")),
    }
}

/// The ends of a watch of the field that starts now: `survey` long, or three times that while
/// a named tag has not been seen; neither past `deadline`.
pub(crate) fn watch_ends(survey: Duration, deadline: Instant) -> (Instant, Instant) {
    let now = Instant::now();
    (
        (now + survey).min(deadline),
        (now + survey * 3).min(deadline),
    )
}

/// The read-back: `new_reads` reads of the new EPC and `old_reads` of the old one after the
/// write, as a result.
pub(crate) fn verified(
    old: Epc,
    new: Epc,
    words: u16,
    new_reads: u32,
    old_reads: u32,
) -> Result<Written, WriteError> {
    if new_reads == 0 {
        return Err(WriteError::NotVerified(format!(
            "{new} was not read after the write"
        )));
    }
    if old_reads > 0 && old != new {
        return Err(WriteError::NotVerified(format!(
            "{old} was still read {old_reads} times after the write"
        )));
    }
    Ok(Written {
        old,
        new,
        words,
        reads_after: new_reads,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn epc(hex: &str) -> Epc {
        Epc::from_hex(hex).unwrap()
    }

    #[test]
    fn same_length_writes_from_word_2() {
        let (ptr, data) = epc_bank_write(
            &epc("E20000170110B01621000001"),
            Some(0x3000),
            &epc("3034257BF400B78000000001"),
        );
        assert_eq!(ptr, 2);
        assert_eq!(data, [0x3034, 0x257B, 0xF400, 0xB780, 0x0000, 0x0001]);
    }

    #[test]
    fn another_length_sets_the_pc_length_bits_and_keeps_the_rest() {
        let (ptr, data) = epc_bank_write(
            &epc("E20000170110B01621000001"),
            Some(0x3004),
            &epc("3034257BF400B7800000000100000002"),
        );
        assert_eq!(ptr, 1);
        assert_eq!(data[0], (8 << 11) | 0x0004);
        assert_eq!(data.len(), 9);
        let (_, data) = epc_bank_write(&epc("E200"), None, &epc("30342570"));
        assert_eq!(data, [2 << 11, 0x3034, 0x2570]);
    }

    #[test]
    fn the_tag_is_chosen_as_the_request_says() {
        let seen: BTreeMap<Epc, ()> = [(epc("AAAA"), ()), (epc("BBBB"), ())].into();
        let req = |new: &str, from: Option<&str>| WriteRequest {
            from: from.map(epc),
            ..WriteRequest::new(epc(new))
        };
        assert_eq!(choose(&seen, &req("CCCC", Some("BBBB"))), Ok(epc("BBBB")));
        assert_eq!(
            choose(&seen, &req("CCCC", None)),
            Err(WriteError::SeveralTags(vec![epc("AAAA"), epc("BBBB")]))
        );
        assert_eq!(
            choose(&seen, &req("CCCC", Some("DDDD"))),
            Err(WriteError::TagNotFound(epc("DDDD")))
        );
        assert_eq!(
            choose(&seen, &req("AAAA", Some("BBBB"))),
            Err(WriteError::EpcInField(epc("AAAA")))
        );
        // Rewriting a tag with the EPC it has is no conflict.
        assert_eq!(choose(&seen, &req("AAAA", Some("AAAA"))), Ok(epc("AAAA")));
        let one: BTreeMap<Epc, ()> = [(epc("AAAA"), ())].into();
        assert_eq!(choose(&one, &req("CCCC", None)), Ok(epc("AAAA")));
        let none: BTreeMap<Epc, ()> = BTreeMap::new();
        assert_eq!(choose(&none, &req("CCCC", None)), Err(WriteError::NoTag));
    }

    #[test]
    fn tag_error_codes_say_what_happened() {
        let new = epc("AAAA");
        assert_eq!(tag_error(0x03, new), WriteError::Overrun(new));
        assert_eq!(tag_error(0x04, new), WriteError::Locked);
        assert!(matches!(tag_error(0x0B, new), WriteError::NotWritten(_)));
        assert!(matches!(tag_error(0x0F, new), WriteError::NotWritten(_)));
        assert!(matches!(tag_error(0x00, new), WriteError::Reader(_)));
    }

    #[test]
    fn the_read_back_needs_the_new_epc_and_not_the_old() {
        let (old, new) = (epc("AAAA"), epc("BBBB"));
        assert!(matches!(
            verified(old, new, 1, 0, 0),
            Err(WriteError::NotVerified(_))
        ));
        assert!(matches!(
            verified(old, new, 1, 3, 1),
            Err(WriteError::NotVerified(_))
        ));
        assert_eq!(
            verified(old, new, 1, 3, 0),
            Ok(Written {
                old,
                new,
                words: 1,
                reads_after: 3
            })
        );
    }
}
