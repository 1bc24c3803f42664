//! One UHFReader18 session that writes an EPC: ask the reader who it is, run Inventory rounds
//! to survey the field, write the EPC bank of the one tag named by its current EPC with Write
//! Data (reading its PC word first when the length changes), then run Inventory rounds again
//! to read it back. Nothing on the reader is changed but the tag.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::message::*;
use super::transport::Uhf18;
use crate::driver::{open, Io, ReaderAddress};
use crate::read::Epc;
use crate::tagwrite::{
    choose, epc_bank_write, next_frame, send_frame, tag_error, verified, watch_ends, WriteError,
    WriteRequest, Written,
};
use crate::transport::{framed, Counters, Transport};

type E = WriteError;

/// How long a reader may take to answer Get Reader Information before it is taken to be
/// absent (a serial port opens whether or not a reader is behind it).
const GREET_TIMEOUT: Duration = Duration::from_secs(3);
/// How long past its scan time an answer to Inventory may take.
const ANSWER_WINDOW: Duration = Duration::from_secs(2);

struct Session {
    io: Transport<Box<dyn Io>, Uhf18>,
    adr: u8,
    /// The reader's inventory scan time: it answers Inventory when that is over.
    scan_time: Duration,
}

pub(crate) async fn write_epc(
    address: &ReaderAddress,
    req: &WriteRequest,
    deadline: Instant,
) -> Result<Written, WriteError> {
    let mut s = Session::open(address, deadline).await?;
    s.run(req, deadline).await
}

pub(crate) async fn survey(
    address: &ReaderAddress,
    survey: Duration,
    deadline: Instant,
) -> Result<Vec<Epc>, WriteError> {
    let mut s = Session::open(address, deadline).await?;
    Ok(s.watch(None, survey, deadline).await?.into_keys().collect())
}

/// What an answer to Read Data or Write Data means, when it is not success.
fn refusal(r: &Response, name: &str, new: Epc) -> WriteError {
    match r {
        Response::TagError { code, .. } => tag_error(*code, new),
        Response::Other { status: st, .. } => match *st {
            status::ACCESS_PASSWORD_ERROR => E::WrongPassword,
            status::NO_TAG => E::NotWritten("no response from the tag"),
            status::POOR_COMMUNICATION => E::NotWritten("poor communication with the tag"),
            st => E::Reader(format!(
                "{name} failed: status {st:#04X} ({})",
                status::describe(st)
            )),
        },
        other => E::Reader(format!("{name}: unexpected answer {other:?}")),
    }
}

impl Session {
    /// Opens the link and asks the reader who it is.
    async fn open(address: &ReaderAddress, deadline: Instant) -> Result<Session, E> {
        if let ReaderAddress::Uhf18 { active: true, .. } = address {
            // A reader in active (scan) mode pushes tags and answers no tag command.
            return Err(E::Unsupported("a UHFReader18 in active mode"));
        }
        let left = deadline.saturating_duration_since(Instant::now());
        let io = open(address, left).await.map_err(E::Unreachable)?;
        let mut s = Session {
            io: framed(io, Arc::new(Counters::default())),
            adr: BROADCAST,
            scan_time: Duration::ZERO,
        };
        s.send(Command::GetReaderInfo { adr: BROADCAST }).await?;
        let until = deadline.min(Instant::now() + GREET_TIMEOUT);
        loop {
            // Frames left over from an earlier session on the same line are skipped here.
            match s.next(until).await? {
                Some(Response::ReaderInfo { adr, info }) => {
                    s.adr = adr;
                    s.scan_time = Duration::from_millis(u64::from(info.scan_time) * 100);
                    return Ok(s);
                }
                Some(_) => {}
                None if Instant::now() >= deadline => {
                    return Err(E::Timeout("waiting for the reader to answer"))
                }
                None => {
                    return Err(E::Unreachable(format!(
                        "no answer to Get Reader Information from {address}: check power, wiring and baud rate"
                    )))
                }
            }
        }
    }

    async fn run(&mut self, req: &WriteRequest, deadline: Instant) -> Result<Written, E> {
        let seen = self.watch(req.from, req.survey, deadline).await?;
        let old = choose(&seen, req)?;
        if old.len() % 2 != 0 || old.len() / 2 > MAX_ACCESS_EPC_WORDS {
            return Err(E::NotWritten(
                "a UHFReader18 names a tag by an EPC of at most 15 whole words",
            ));
        }
        let pc = if old.len() == req.epc.len() {
            None
        } else {
            Some(self.read_pc(old, req, deadline).await?)
        };
        let (word_ptr, words) = epc_bank_write(&old, pc, &req.epc);
        let n = words.len() as u16;
        let write = Command::WriteData {
            adr: self.adr,
            epc: old,
            mem: bank::EPC,
            word_ptr,
            words,
            password: req.access_password,
        };
        match self.call(write, deadline).await? {
            Response::Other {
                status: status::SUCCESS,
                ..
            } => {}
            r => return Err(refusal(&r, "Write Data", req.epc)),
        }

        // Read back: the new EPC must show up and the old one must not, over a whole survey.
        let check_end = (Instant::now() + req.survey).min(deadline);
        let (mut new_reads, mut old_reads) = (0u32, 0u32);
        loop {
            let until = if new_reads == 0 { deadline } else { check_end };
            if Instant::now() >= until {
                break;
            }
            let epcs = match self.inventory(deadline).await {
                // Written, and the deadline came before the read-back did: not verified.
                Err(E::Timeout(_)) => break,
                r => r?,
            };
            new_reads += epcs.iter().filter(|e| **e == req.epc).count() as u32;
            old_reads += epcs.iter().filter(|e| **e == old).count() as u32;
        }
        verified(old, req.epc, n, new_reads, old_reads)
    }

    /// The PC word (word 1 of the EPC bank) of the tag carrying `old`.
    async fn read_pc(&mut self, old: Epc, req: &WriteRequest, deadline: Instant) -> Result<u16, E> {
        let read = Command::ReadData {
            adr: self.adr,
            epc: old,
            mem: bank::EPC,
            word_ptr: 1,
            num: 1,
            password: req.access_password,
        };
        match self.call(read, deadline).await? {
            Response::Data { words, .. } if words.len() == 1 => Ok(words[0]),
            Response::Data { words, .. } => Err(E::Reader(format!(
                "Read Data of the PC word answered {} words",
                words.len()
            ))),
            r => Err(refusal(&r, "Read Data", req.epc)),
        }
    }

    /// The tags in the field, each with the number of rounds that saw it, watched for
    /// `survey` (three times that while the tag named `from` has not been seen); one round at
    /// least.
    async fn watch(
        &mut self,
        from: Option<Epc>,
        survey: Duration,
        deadline: Instant,
    ) -> Result<BTreeMap<Epc, u32>, E> {
        let (survey_end, search_end) = watch_ends(survey, deadline);
        let mut seen: BTreeMap<Epc, u32> = BTreeMap::new();
        loop {
            for epc in self.inventory(deadline).await? {
                *seen.entry(epc).or_default() += 1;
            }
            let named_seen = from.is_none_or(|f| seen.contains_key(&f));
            let until = if named_seen { survey_end } else { search_end };
            if Instant::now() >= until {
                return Ok(seen);
            }
        }
    }

    /// One Inventory round: the EPCs of every frame of the answer. An answer that does not
    /// come within the scan time and a margin counts as a round that saw nothing, unless the
    /// deadline passed.
    async fn inventory(&mut self, deadline: Instant) -> Result<Vec<Epc>, E> {
        self.send(Command::Inventory { adr: self.adr }).await?;
        let until = deadline.min(Instant::now() + self.scan_time + ANSWER_WINDOW);
        let mut epcs = Vec::new();
        loop {
            match self.next(until).await? {
                None if Instant::now() >= deadline => {
                    return Err(E::Timeout("waiting for an inventory answer"))
                }
                None => return Ok(epcs),
                Some(Response::Inventory {
                    status: st,
                    epcs: more,
                    ..
                }) => {
                    epcs.extend(more);
                    if st != status::MORE_FRAMES {
                        return Ok(epcs);
                    }
                }
                Some(Response::Other {
                    cmd: cmd::INVENTORY,
                    status: st,
                    ..
                }) => {
                    return match st {
                        status::NO_TAG => Ok(epcs),
                        st => Err(E::Reader(format!(
                            "inventory failed: status {st:#04X} ({})",
                            status::describe(st)
                        ))),
                    }
                }
                Some(_) => {}
            }
        }
    }

    /// Sends a command and waits for its answer, skipping anything else.
    async fn call(&mut self, c: Command, until: Instant) -> Result<Response, E> {
        let code = c.code();
        self.send(c).await?;
        loop {
            let r = self
                .next(until)
                .await?
                .ok_or(E::Timeout("waiting for the reader to answer"))?;
            if r.cmd() == Some(code) {
                return Ok(r);
            }
        }
    }

    async fn send(&mut self, c: Command) -> Result<(), E> {
        send_frame(&mut self.io, c).await
    }

    /// The next well-formed frame, `None` at `until`.
    async fn next(&mut self, until: Instant) -> Result<Option<Response>, E> {
        next_frame(&mut self.io, until).await
    }
}
