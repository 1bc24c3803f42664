//! One R2000 session that writes an EPC: ask the module who it is, run Real Time Inventory
//! rounds on every connected antenna port to survey the field (the PC word comes with each
//! tag), then on the port that saw the tag select it by its EPC (Set Access EPC Match), write
//! its EPC bank (Write), cancel the selection, and run inventory rounds again to read it back.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::codec::tag_crc;
use super::message::*;
use super::transport::R2000;
use crate::driver::{open, Io, ReaderAddress};
use crate::read::Epc;
use crate::tagwrite::{
    choose, epc_bank_write, next_frame, send_frame, tag_error, verified, watch_ends, WriteError,
    WriteRequest, Written,
};
use crate::transport::{framed, Counters, Transport};

type E = WriteError;

/// How long a module may take to answer Get Firmware Version before it is taken to be absent.
const GREET_TIMEOUT: Duration = Duration::from_secs(3);
/// How long one inventory round may take to end.
const ROUND_WINDOW: Duration = Duration::from_secs(2);
/// How long the cleanup may take, whatever is left of the deadline.
const CLEANUP_TIMEOUT: Duration = Duration::from_secs(2);
/// R2000 modules have at most 4 ports on one antenna group.
const PORTS: [u8; 4] = [1, 2, 3, 4];

/// What the survey learnt of a tag.
#[derive(Debug, Clone, Copy)]
struct Seen {
    pc: u16,
    /// The port that saw it last.
    antenna: u8,
}

struct Session {
    io: Transport<Box<dyn Io>, R2000>,
    addr: u8,
    /// The ports that have not answered "antenna missing".
    ports: Vec<u8>,
    work_antenna: Option<u8>,
    /// Whether an access EPC match is set and must be cancelled.
    matched: bool,
}

pub(crate) async fn write_epc(
    address: &ReaderAddress,
    req: &WriteRequest,
    deadline: Instant,
) -> Result<Written, WriteError> {
    let mut s = Session::open(address, deadline).await?;
    let result = s.run(req, deadline).await;
    s.close().await;
    result
}

pub(crate) async fn survey(
    address: &ReaderAddress,
    survey: Duration,
    deadline: Instant,
) -> Result<Vec<Epc>, WriteError> {
    let mut s = Session::open(address, deadline).await?;
    Ok(s.watch(None, survey, deadline).await?.into_keys().collect())
}

/// What a module or tag error code in answer to Write means.
fn refusal(code: u8, new: Epc) -> WriteError {
    match code {
        code::ACCESS_OR_PASSWORD_ERROR | code::INVENTORY_OK_BUT_ACCESS_FAIL => E::WrongPassword,
        code::NO_TAG | code::FAIL_TO_GET_RN16 => E::NotWritten("no response from the tag"),
        code::TAG_WRITE_ERROR => E::NotWritten("the tag refused the write"),
        // Below the module's own codes: the tag's (EPC Gen2 Annex I).
        0x00..=0x0F => tag_error(code, new),
        c => E::Reader(format!(
            "Write failed: code {c:#04X} ({})",
            code::describe(c)
        )),
    }
}

impl Session {
    /// Opens the link and asks the module who it is.
    async fn open(address: &ReaderAddress, deadline: Instant) -> Result<Session, E> {
        let left = deadline.saturating_duration_since(Instant::now());
        let io = open(address, left).await.map_err(E::Unreachable)?;
        let mut s = Session {
            io: framed(io, Arc::new(Counters::default())),
            addr: BROADCAST,
            ports: PORTS.to_vec(),
            work_antenna: None,
            matched: false,
        };
        s.send(Frame::get_firmware_version(BROADCAST)).await?;
        let until = deadline.min(Instant::now() + GREET_TIMEOUT);
        loop {
            match s.next(until).await? {
                Some(Response::Other(f))
                    if f.cmd == cmd::GET_FIRMWARE_VERSION && f.data.len() >= 2 =>
                {
                    s.addr = f.addr;
                    return Ok(s);
                }
                Some(_) => {}
                None if Instant::now() >= deadline => {
                    return Err(E::Timeout("waiting for the module to answer"))
                }
                None => {
                    return Err(E::Unreachable(format!(
                        "no answer to Get Firmware Version from {address}: check power, wiring and baud rate"
                    )))
                }
            }
        }
    }

    /// Whatever happened, leave no tag selected for access commands (best effort).
    async fn close(mut self) {
        if self.matched {
            let until = Instant::now() + CLEANUP_TIMEOUT;
            let _ = self
                .command(Frame::cancel_access_epc_match(self.addr), until)
                .await;
        }
    }

    async fn run(&mut self, req: &WriteRequest, deadline: Instant) -> Result<Written, E> {
        let seen = self.watch(req.from, req.survey, deadline).await?;
        let old = choose(&seen, req)?;
        let tag = seen[&old];
        let (word_addr, words) = epc_bank_write(&old, Some(tag.pc), &req.epc);
        let n = words.len() as u16;

        self.set_antenna(tag.antenna, deadline).await?;
        self.matched = true;
        let code = self
            .command(Frame::set_access_epc_match(self.addr, &old), deadline)
            .await?;
        if code != code::SUCCESS {
            return Err(E::Reader(format!(
                "the module refused to select {old}: code {code:#04X} ({})",
                code::describe(code)
            )));
        }
        let write = Frame::write_tag(self.addr, req.access_password, bank::EPC, word_addr, &words);
        self.send(write).await?;
        // One frame per tag operated on, or a single error code.
        let mut answered = 0u16;
        loop {
            let r = self
                .next(deadline)
                .await?
                .ok_or(E::Timeout("waiting for the tag to be written"))?;
            match r {
                Response::Status {
                    cmd: cmd::WRITE,
                    code,
                    ..
                } => return Err(refusal(code, req.epc)),
                Response::Access(a) if a.cmd == cmd::WRITE => {
                    if a.code != code::SUCCESS {
                        return Err(refusal(a.code, req.epc));
                    }
                    if a.epc != old || a.crc != tag_crc(a.pc, &a.epc) {
                        return Err(E::Reader(format!(
                            "the module reports writing {} (CRC {:04X}), not {old}",
                            a.epc, a.crc
                        )));
                    }
                    answered += 1;
                    if answered >= a.tag_count {
                        break;
                    }
                }
                _ => {}
            }
        }
        self.matched = false;
        let _ = self
            .command(Frame::cancel_access_epc_match(self.addr), deadline)
            .await;

        // Read back: the new EPC must show up and the old one must not, over a whole survey.
        let check_end = (Instant::now() + req.survey).min(deadline);
        let (mut new_reads, mut old_reads) = (0u32, 0u32);
        loop {
            let until = if new_reads == 0 { deadline } else { check_end };
            if Instant::now() >= until {
                break;
            }
            let tags = match self.round_all(deadline).await {
                // Written, and the deadline came before the read-back did: not verified.
                Err(E::Timeout(_)) => break,
                r => r?,
            };
            new_reads += tags.iter().filter(|(e, _)| *e == req.epc).count() as u32;
            old_reads += tags.iter().filter(|(e, _)| *e == old).count() as u32;
        }
        verified(old, req.epc, n, new_reads, old_reads)
    }

    /// The tags in the field, watched for `survey` (three times that while the tag named
    /// `from` has not been seen) on every connected port; one round of each at least.
    async fn watch(
        &mut self,
        from: Option<Epc>,
        survey: Duration,
        deadline: Instant,
    ) -> Result<BTreeMap<Epc, Seen>, E> {
        let (survey_end, search_end) = watch_ends(survey, deadline);
        let mut seen: BTreeMap<Epc, Seen> = BTreeMap::new();
        loop {
            for (epc, s) in self.round_all(deadline).await? {
                seen.insert(epc, s);
            }
            let named_seen = from.is_none_or(|f| seen.contains_key(&f));
            let until = if named_seen { survey_end } else { search_end };
            if Instant::now() >= until {
                return Ok(seen);
            }
        }
    }

    /// One inventory round on each connected port.
    async fn round_all(&mut self, deadline: Instant) -> Result<Vec<(Epc, Seen)>, E> {
        let mut tags = Vec::new();
        for antenna in self.ports.clone() {
            self.set_antenna(antenna, deadline).await?;
            match self.round(deadline).await? {
                Some(more) => tags.extend(
                    more.into_iter()
                        .map(|(epc, pc)| (epc, Seen { pc, antenna })),
                ),
                None => self.ports.retain(|p| *p != antenna),
            }
        }
        if self.ports.is_empty() {
            return Err(E::Reader("no antenna is connected to the module".into()));
        }
        Ok(tags)
    }

    /// One Real Time Inventory round on the work antenna: each tag with its PC word; `None`
    /// when no antenna is connected there. A round whose end does not come in time counts as
    /// one that saw what came, unless the deadline passed.
    async fn round(&mut self, deadline: Instant) -> Result<Option<Vec<(Epc, u16)>>, E> {
        self.send(Frame::real_time_inventory(self.addr, 1)).await?;
        let until = deadline.min(Instant::now() + ROUND_WINDOW);
        let mut tags = Vec::new();
        loop {
            match self.next(until).await? {
                None if Instant::now() >= deadline => {
                    return Err(E::Timeout("waiting for an inventory round to end"))
                }
                None => return Ok(Some(tags)),
                Some(Response::Tag(t)) if t.cmd == cmd::REAL_TIME_INVENTORY => {
                    tags.push((t.epc, t.pc))
                }
                Some(Response::InventoryEnd {
                    cmd: cmd::REAL_TIME_INVENTORY,
                    ..
                }) => return Ok(Some(tags)),
                Some(Response::Status {
                    cmd: cmd::REAL_TIME_INVENTORY,
                    code,
                    ..
                }) => {
                    return match code {
                        code::ANTENNA_MISSING => Ok(None),
                        code::NO_TAG => Ok(Some(tags)),
                        c => Err(E::Reader(format!(
                            "inventory failed: code {c:#04X} ({})",
                            code::describe(c)
                        ))),
                    }
                }
                Some(_) => {}
            }
        }
    }

    async fn set_antenna(&mut self, antenna: u8, deadline: Instant) -> Result<(), E> {
        if self.work_antenna == Some(antenna) {
            return Ok(());
        }
        let code = self
            .command(Frame::set_work_antenna(self.addr, antenna), deadline)
            .await?;
        if code != code::SUCCESS {
            return Err(E::Reader(format!(
                "the module refused antenna {antenna}: code {code:#04X} ({})",
                code::describe(code)
            )));
        }
        self.work_antenna = Some(antenna);
        Ok(())
    }

    /// Sends a command and waits for its one-byte answer.
    async fn command(&mut self, f: Frame, until: Instant) -> Result<u8, E> {
        let c = f.cmd;
        self.send(f).await?;
        loop {
            match self
                .next(until)
                .await?
                .ok_or(E::Timeout("waiting for the module to answer"))?
            {
                Response::Status { cmd, code, .. } if cmd == c => return Ok(code),
                _ => {}
            }
        }
    }

    async fn send(&mut self, f: Frame) -> Result<(), E> {
        send_frame(&mut self.io, f).await
    }

    /// The next well-formed frame, `None` at `until`.
    async fn next(&mut self, until: Instant) -> Result<Option<Response>, E> {
        next_frame(&mut self.io, until).await
    }
}
