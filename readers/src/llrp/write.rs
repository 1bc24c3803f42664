//! One LLRP session that writes an EPC: greet the reader as the client does, install an
//! inventory ROSpec, survey the field, add and enable an AccessSpec whose C1G2Write
//! rewrites the EPC bank of the one tag it targets, run the ROSpec until the op-spec result
//! arrives, read back, clean up and close.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::message::*;
use super::transport::Llrp;
use crate::driver::{open, Io, ReaderAddress};
use crate::read::Epc;
use crate::tagwrite::{
    choose, epc_bank_write, next_frame, send_frame, verified, watch_ends, WriteError, WriteRequest,
    Written,
};
use crate::transport::{framed, Counters, Transport};

/// Our ids while writing, apart from the inventory client's ROSpec ("DW").
pub const WRITE_ROSPEC_ID: u32 = 0x4457;
pub const WRITE_ACCESS_SPEC_ID: u32 = 0x4457;
const WRITE_OP_SPEC_ID: u16 = 1;

/// How long the cleanup may take, whatever is left of the deadline.
const CLEANUP_TIMEOUT: Duration = Duration::from_secs(2);

type E = WriteError;

struct Session {
    io: Transport<Box<dyn Io>, Llrp>,
    next_id: u32,
    /// Reports that arrived while waiting for a response, in order.
    backlog: Vec<TagReportData>,
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

/// The EPCs of the tags in the reader's field, watched for `survey`; the reader is left as
/// it was found.
pub(crate) async fn survey(
    address: &ReaderAddress,
    survey: Duration,
    deadline: Instant,
) -> Result<Vec<Epc>, WriteError> {
    let mut s = Session::open(address, deadline).await?;
    let result = s.survey(None, survey, deadline).await;
    s.close().await;
    Ok(result?.into_keys().collect())
}

fn rospec_command(op: RospecOp) -> Body {
    Body::RospecCommand {
        op,
        rospec_id: WRITE_ROSPEC_ID,
    }
}

fn stop_rospec() -> Body {
    rospec_command(RospecOp::Stop)
}

fn access_command(op: AccessSpecOp) -> Body {
    Body::AccessSpecCommand {
        op,
        access_spec_id: WRITE_ACCESS_SPEC_ID,
    }
}

/// The C1G2Write that turns a tag carrying `old` (with protocol-control word `pc`, when the
/// reader reported it) into one carrying `new`. A length change rewrites the PC word from
/// word 1; llrpkit's emulator models EPC writes from word 2 only, within the current length,
/// and answers that one with a memory overrun.
fn write_op(old: &Epc, pc: Option<u16>, new: &Epc, password: u32) -> OpSpec {
    let (word_pointer, data) = epc_bank_write(old, pc, new);
    OpSpec::Write {
        op_spec_id: WRITE_OP_SPEC_ID,
        password,
        bank: bank::EPC,
        word_pointer: word_pointer.into(),
        data,
    }
}

impl Session {
    /// Connects and greets the reader.
    async fn open(address: &ReaderAddress, deadline: Instant) -> Result<Session, E> {
        let left = deadline.saturating_duration_since(Instant::now());
        let io = open(address, left).await.map_err(E::Unreachable)?;
        let mut s = Session {
            io: framed(io, Arc::new(Counters::default())),
            next_id: 1,
            backlog: Vec::new(),
        };
        s.greet(deadline).await?;
        Ok(s)
    }

    /// Whatever happened, leave the reader as we found it (best effort), and say goodbye.
    async fn close(mut self) {
        let until = Instant::now() + CLEANUP_TIMEOUT;
        let _ = self.call(stop_rospec(), until).await;
        let _ = self.call(access_command(AccessSpecOp::Delete), until).await;
        let _ = self.call(rospec_command(RospecOp::Delete), until).await;
        let _ = self.call(Body::CloseConnection, until).await;
    }

    async fn run(&mut self, req: &WriteRequest, deadline: Instant) -> Result<Written, E> {
        let seen = self.survey(req.from, req.survey, deadline).await?;
        let old = choose(&seen, req)?;
        self.write(req, old, seen[&old], deadline).await
    }

    /// Which tags are in the field (each with its PC word when reported), watched for
    /// `survey`; a named tag not seen by then gets two more. The ROSpec stays, stopped.
    async fn survey(
        &mut self,
        from: Option<Epc>,
        survey: Duration,
        deadline: Instant,
    ) -> Result<BTreeMap<Epc, Option<u16>>, E> {
        // Leftovers of an earlier session that was cut off: refusals are fine.
        let _ = self
            .call(access_command(AccessSpecOp::Delete), deadline)
            .await;
        let _ = self.call(rospec_command(RospecOp::Delete), deadline).await;
        let spec = RoSpec {
            id: WRITE_ROSPEC_ID,
            priority: 0,
            start: StartTrigger::Null,
            duration_ms: None,
            antennas: vec![0],
            power_index: None,
            report: Some(RoReportSpec {
                trigger: 2,
                n: 1,
                content: ContentSelector(
                    ContentSelector::for_tag_reads().0 | ContentSelector::ACCESS_SPEC_ID,
                ),
            }),
        };
        self.must("ADD_ROSPEC", Body::AddRospec(spec), deadline)
            .await?;
        self.must("ENABLE_ROSPEC", rospec_command(RospecOp::Enable), deadline)
            .await?;

        // Survey: which tags are in the field, and which one is ours.
        self.must("START_ROSPEC", rospec_command(RospecOp::Start), deadline)
            .await?;
        let (survey_end, search_end) = watch_ends(survey, deadline);
        let mut seen: BTreeMap<Epc, Option<u16>> = BTreeMap::new();
        loop {
            let named_seen = from.is_none_or(|f| seen.contains_key(&f));
            let until = if named_seen { survey_end } else { search_end };
            let Some(tag) = self.report(until).await? else {
                break;
            };
            let pc = seen.entry(tag.epc).or_insert(tag.pc);
            *pc = pc.or(tag.pc);
        }
        self.must("STOP_ROSPEC", stop_rospec(), deadline).await?;
        Ok(seen)
    }

    /// Writes `req.epc` over `old` (whose PC word is `pc`, when reported) with an
    /// AccessSpec on the surveyed ROSpec, then reads it back.
    async fn write(
        &mut self,
        req: &WriteRequest,
        old: Epc,
        pc: Option<u16>,
        deadline: Instant,
    ) -> Result<Written, E> {
        let access = AccessSpec {
            id: WRITE_ACCESS_SPEC_ID,
            antenna: 0,
            rospec_id: WRITE_ROSPEC_ID,
            operation_count: Some(1),
            targets: vec![TargetTag::epc(old.as_bytes())],
            ops: vec![write_op(&old, pc, &req.epc, req.access_password)],
            report_trigger: Some(0),
        };
        self.must("ADD_ACCESSSPEC", Body::AddAccessSpec(access), deadline)
            .await?;
        self.must(
            "ENABLE_ACCESSSPEC",
            access_command(AccessSpecOp::Enable),
            deadline,
        )
        .await?;
        self.must("START_ROSPEC", rospec_command(RospecOp::Start), deadline)
            .await?;
        let words = loop {
            let Some(tag) = self.report(deadline).await? else {
                return Err(E::Timeout("waiting for the tag to be written"));
            };
            let result = tag.op_results.iter().find_map(|r| match r {
                OpSpecResult::Write {
                    op_spec_id: WRITE_OP_SPEC_ID,
                    result,
                    words_written,
                } => Some((*result, *words_written)),
                _ => None,
            });
            match result {
                None => continue,
                Some((0, n)) => break n,
                Some((1, _)) => return Err(E::Overrun(req.epc)),
                Some((2, _)) => return Err(E::Locked),
                Some((3, _)) => return Err(E::NotWritten("insufficient power")),
                // A tag that does not accept the access password stays in the open state
                // and refuses the write: readers report a nonspecific tag error.
                Some((4, _)) => return Err(E::WrongPassword),
                Some((5, _)) => return Err(E::NotWritten("no response from the tag")),
                Some((code, _)) => {
                    return Err(E::Reader(format!("write failed with result {code}")))
                }
            }
        };

        // Read back: the new EPC must show up and the old one must not, over a whole survey.
        let check_end = (Instant::now() + req.survey).min(deadline);
        let (mut new_reads, mut old_reads) = (0u32, 0u32);
        loop {
            let until = if new_reads == 0 { deadline } else { check_end };
            if Instant::now() >= until {
                break;
            }
            match self.report(until).await? {
                Some(tag) if tag.epc == req.epc => new_reads += 1,
                Some(tag) if tag.epc == old && old != req.epc => old_reads += 1,
                _ => {}
            }
        }
        verified(old, req.epc, words, new_reads, old_reads)
    }

    /// Waits for the ConnectionAttemptEvent, then asks for the capabilities as the client
    /// does; neither changes the reader.
    async fn greet(&mut self, deadline: Instant) -> Result<(), E> {
        loop {
            let msg = self.next(deadline).await?.ok_or(E::Timeout(
                "waiting for the reader's ConnectionAttemptEvent",
            ))?;
            if let Body::ReaderEventNotification(n) = &msg.body {
                for e in &n.events {
                    if let Event::ConnectionAttempt { status } = e {
                        if *status != CONNECTION_SUCCESS {
                            return Err(E::Busy);
                        }
                        let reply = self
                            .call(Body::GetReaderCapabilities { requested: 0 }, deadline)
                            .await?;
                        return ok("GET_READER_CAPABILITIES", &reply);
                    }
                }
            }
        }
    }

    /// The next tag report (from the backlog first); `None` once `until` passes.
    async fn report(&mut self, until: Instant) -> Result<Option<TagReportData>, E> {
        loop {
            if !self.backlog.is_empty() {
                return Ok(Some(self.backlog.remove(0)));
            }
            let Some(msg) = self.next(until).await? else {
                return Ok(None);
            };
            self.unsolicited(msg).await?;
        }
    }

    async fn unsolicited(&mut self, msg: Message) -> Result<(), E> {
        match msg.body {
            Body::RoAccessReport { tags } => self.backlog.extend(tags),
            Body::Keepalive => self.send_with(msg.id, Body::KeepaliveAck).await?,
            Body::ReaderEventNotification(n) => {
                for e in n.events {
                    match e {
                        Event::ConnectionClose => {
                            return Err(E::Reader("the reader closed the connection".into()))
                        }
                        Event::ReaderException { message } => return Err(E::Reader(message)),
                        _ => {}
                    }
                }
            }
            Body::ErrorMessage { status } => return Err(E::Reader(status.to_string())),
            _ => {}
        }
        Ok(())
    }

    /// The next well-formed message, `None` at `until`.
    async fn next(&mut self, until: Instant) -> Result<Option<Message>, E> {
        next_frame(&mut self.io, until).await
    }

    async fn send_with(&mut self, id: u32, body: Body) -> Result<(), E> {
        send_frame(&mut self.io, Message { id, body }).await
    }

    /// Sends a request and waits for its response, keeping the reports that come first.
    async fn call(&mut self, body: Body, until: Instant) -> Result<Body, E> {
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1).max(1);
        self.send_with(id, body).await?;
        loop {
            let msg = self
                .next(until)
                .await?
                .ok_or(E::Timeout("waiting for the reader to answer"))?;
            if msg.id == id && msg.body.status().is_some() {
                return Ok(msg.body);
            }
            if !matches!(msg.body, Body::ErrorMessage { .. }) {
                self.unsolicited(msg).await?;
            }
        }
    }

    async fn must(&mut self, name: &'static str, body: Body, until: Instant) -> Result<(), E> {
        let reply = self.call(body, until).await?;
        ok(name, &reply)
    }
}

fn ok(name: &str, reply: &Body) -> Result<(), E> {
    match reply.status() {
        Some(s) if s.is_success() && !matches!(reply, Body::ErrorMessage { .. }) => Ok(()),
        Some(s) => Err(E::Reader(format!("{name} refused: {s}"))),
        None => Err(E::Reader(format!("{name}: unexpected answer"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_length_writes_the_epc_from_word_2() {
        let old = Epc::from_hex("E20000170110B01621000001").unwrap();
        let new = Epc::from_hex("3034257BF400B78000000001").unwrap();
        let OpSpec::Write {
            word_pointer, data, ..
        } = write_op(&old, Some(0x3000), &new, 0)
        else {
            panic!("not a write")
        };
        assert_eq!(word_pointer, 2);
        assert_eq!(data, [0x3034, 0x257B, 0xF400, 0xB780, 0x0000, 0x0001]);
    }

    #[test]
    fn another_length_rewrites_the_pc_length_bits() {
        let old = Epc::from_hex("E2000017").unwrap();
        let new = Epc::from_hex("3034257BF400B78000000001").unwrap();
        let OpSpec::Write {
            word_pointer, data, ..
        } = write_op(&old, Some(0x1004), &new, 0)
        else {
            panic!("not a write")
        };
        assert_eq!(word_pointer, 1);
        // Six words of EPC, and the low bits of the old PC word kept.
        assert_eq!(data[0], (6 << 11) | 0x0004);
        assert_eq!(data.len(), 7);
    }
}
