//! One LLRP connection: wait for the reader's ConnectionAttemptEvent, read its capabilities,
//! configure keepalives, events and reports, install one ROSpec with a Null start trigger
//! and start it explicitly, then turn reports into TagReads until the link dies.
//!
//! Readers differ on the optional steps: some answer ENABLE_EVENTS_AND_REPORTS with an
//! ERROR_MESSAGE, some refuse DELETE_ROSPEC(0) when no ROSpec exists, some ignore the
//! Immediate start trigger. None of those is fatal here.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::time::{timeout_at, Instant};

use super::message::*;
use super::transport::Llrp;
use crate::driver::{now_us, Ctx, Io, LinkEnd, ReaderEventKind};
use crate::transport::{framed, Transport};

/// Our ROSpec's id: fixed, so that a reconnecting client can delete what it left behind.
pub const ROSPEC_ID: u32 = 0x4450; // "DP"

/// A reader that will not send keepalives is only declared dead by TCP itself, or after a
/// day of silence.
const NO_KEEPALIVE_SILENCE: Duration = Duration::from_secs(24 * 3600);

/// How long the polite goodbye (STOP, DELETE, CLOSE_CONNECTION) may take when stopping.
const GOODBYE_TIMEOUT: Duration = Duration::from_secs(2);

struct Client<'a> {
    io: Transport<Box<dyn Io>, Llrp>,
    ctx: &'a mut Ctx,
    next_id: u32,
    /// The id of our ENABLE_EVENTS_AND_REPORTS: an ERROR_MESSAGE answering it is expected.
    eear_id: Option<u32>,
    connected: bool,
    /// The reader accepted us as its client: there is someone to say goodbye to.
    greeted: bool,
    /// While stopping, cancellation must not interrupt the goodbye.
    stopping: bool,
    inventory_on: bool,
}

pub(crate) async fn connection(io: Box<dyn Io>, ctx: &mut Ctx) -> LinkEnd {
    let counters = ctx.counters.clone();
    let mut c = Client {
        io: framed(io, counters),
        ctx,
        next_id: 1,
        eear_id: None,
        connected: false,
        greeted: false,
        stopping: false,
        inventory_on: false,
    };
    let end = match c.run().await {
        Ok(never) => match never {},
        Err(end) => end,
    };
    match end {
        LinkEnd::Stopped => {
            c.goodbye().await;
            LinkEnd::Stopped
        }
        LinkEnd::Lost { reason, .. } => LinkEnd::Lost {
            reason,
            connected: c.connected,
        },
    }
}

enum Never {}

impl Client<'_> {
    async fn run(&mut self) -> Result<Never, LinkEnd> {
        self.await_connection_attempt().await?;
        self.greeted = true;
        let caps = match self
            .call(Body::GetReaderCapabilities { requested: 0 })
            .await?
        {
            Body::GetReaderCapabilitiesResponse {
                status,
                capabilities,
            } if status.is_success() => capabilities,
            other => {
                return Err(LinkEnd::lost(format!(
                    "GET_READER_CAPABILITIES refused: {}",
                    describe(&other)
                )))
            }
        };
        self.ctx
            .event(ReaderEventKind::Connected {
                description: format!(
                    "LLRP reader, maker {} model {} firmware {:?}, {} antennas",
                    caps.manufacturer, caps.model, caps.firmware, caps.max_antennas
                ),
            })
            .await?;

        let config = SetReaderConfig {
            reset_to_factory_default: false,
            events: vec![
                (event_type::ROSPEC, true),
                (event_type::ANTENNA, true),
                (event_type::READER_EXCEPTION, true),
            ],
            report: Some(report_spec()),
            keepalive_ms: Some(
                self.ctx
                    .config
                    .keepalive
                    .as_millis()
                    .clamp(1, u128::from(u32::MAX)) as u32,
            ),
            hold_events_and_reports: None,
        };
        let keepalive_ms = config.keepalive_ms;
        let reply = self.call(Body::SetReaderConfig(config)).await?;
        // Without keepalives a reader with no tags in its field is silent, and silence is
        // how a dead link shows: if the whole configuration is refused, ask for keepalives
        // alone, and if even that fails, stop treating silence as death.
        let mut keepalives = is_ok(&reply);
        if !keepalives {
            self.complain_unless_ok("SET_READER_CONFIG", &reply).await?;
            let alone = SetReaderConfig {
                keepalive_ms,
                ..SetReaderConfig::default()
            };
            let reply = self.call(Body::SetReaderConfig(alone)).await?;
            keepalives = is_ok(&reply);
            self.complain_unless_ok("SET_READER_CONFIG (KeepaliveSpec alone)", &reply)
                .await?;
        }

        // Readers that held events while no client was connected release them on this.
        // It has no response; some readers answer with an ERROR_MESSAGE, which is fine.
        let id = self.send(Body::EnableEventsAndReports).await?;
        self.eear_id = Some(id);

        // DELETE_ROSPEC(0) clears whatever an earlier client left; readers without ROSpecs
        // may call that a parameter error, so fall back to deleting our own id.
        let all = self
            .call(Body::RospecCommand {
                op: RospecOp::Delete,
                rospec_id: 0,
            })
            .await?;
        if !is_ok(&all) {
            self.call(Body::RospecCommand {
                op: RospecOp::Delete,
                rospec_id: ROSPEC_ID,
            })
            .await?;
        }

        let antennas = if self.ctx.config.antennas.is_empty() {
            vec![0]
        } else {
            self.ctx.config.antennas.clone()
        };
        let power_index = self
            .ctx
            .config
            .power_dbm
            .and_then(|dbm| caps.power_index(dbm));
        let spec = RoSpec {
            id: ROSPEC_ID,
            priority: 0,
            start: StartTrigger::Null,
            duration_ms: None,
            antennas,
            power_index,
            report: Some(report_spec()),
        };
        self.must("ADD_ROSPEC", Body::AddRospec(spec)).await?;
        self.must(
            "ENABLE_ROSPEC",
            Body::RospecCommand {
                op: RospecOp::Enable,
                rospec_id: ROSPEC_ID,
            },
        )
        .await?;
        // Only a reader that took our ROSpec counts as a good connection: one that refuses it
        // must not be retried at the shortest backoff forever.
        self.connected = true;
        self.follow_inventory_switch().await?;

        let mut switch = self.ctx.inventory.clone();
        // However the two are configured, a reader must be allowed to miss one keepalive.
        let silence = if keepalives {
            self.ctx
                .config
                .silence_timeout
                .max(self.ctx.config.keepalive * 2)
        } else {
            NO_KEEPALIVE_SILENCE
        };
        loop {
            let deadline = Instant::now() + silence;
            tokio::select! {
                biased;
                changed = switch.changed() => {
                    if changed.is_err() {
                        return Err(LinkEnd::Stopped);
                    }
                    self.follow_inventory_switch().await?;
                }
                msg = self.next(deadline) => {
                    let msg = msg?;
                    self.unsolicited(msg).await?;
                }
            }
        }
    }

    async fn follow_inventory_switch(&mut self) -> Result<(), LinkEnd> {
        let want = self.ctx.inventory_wanted();
        if want == self.inventory_on {
            return Ok(());
        }
        let op = if want {
            RospecOp::Start
        } else {
            RospecOp::Stop
        };
        let name = if want { "START_ROSPEC" } else { "STOP_ROSPEC" };
        self.must(
            name,
            Body::RospecCommand {
                op,
                rospec_id: ROSPEC_ID,
            },
        )
        .await?;
        self.inventory_on = want;
        let kind = if want {
            ReaderEventKind::InventoryStarted
        } else {
            ReaderEventKind::InventoryStopped
        };
        self.ctx.event(kind).await
    }

    async fn await_connection_attempt(&mut self) -> Result<(), LinkEnd> {
        let deadline = Instant::now() + self.ctx.config.response_timeout;
        loop {
            let msg = self.next(deadline).await.map_err(|e| match e {
                LinkEnd::Lost { reason, .. } => LinkEnd::lost(format!(
                    "no ConnectionAttemptEvent from the reader: {reason}"
                )),
                stopped => stopped,
            })?;
            if let Body::ReaderEventNotification(n) = &msg.body {
                for e in &n.events {
                    if let Event::ConnectionAttempt { status } = e {
                        if *status == CONNECTION_SUCCESS {
                            return Ok(());
                        }
                        return Err(LinkEnd::lost(format!(
                            "reader refused the connection (ConnectionAttemptEvent status {status}): \
                             another client is probably connected"
                        )));
                    }
                }
            }
            self.unsolicited(msg).await?;
        }
    }

    /// The next well-formed message; malformed ones are reported and skipped.
    async fn next(&mut self, deadline: Instant) -> Result<Message, LinkEnd> {
        loop {
            let item = if self.stopping {
                timeout_at(deadline, self.io.next()).await
            } else {
                tokio::select! {
                    biased;
                    _ = self.ctx.cancel.cancelled() => return Err(LinkEnd::Stopped),
                    item = timeout_at(deadline, self.io.next()) => item,
                }
            };
            match item {
                Err(_) => {
                    return Err(LinkEnd::lost(format!(
                        "reader silent for {} ms: link presumed dead",
                        self.ctx.config.silence_timeout.as_millis()
                    )))
                }
                Ok(None) => return Err(LinkEnd::lost("connection closed by the reader")),
                Ok(Some(Err(e))) => return Err(LinkEnd::lost(format!("read failed: {e}"))),
                Ok(Some(Ok(Err(bad)))) => {
                    if !self.stopping {
                        self.ctx
                            .event(ReaderEventKind::Error {
                                message: bad.to_string(),
                            })
                            .await?;
                    }
                }
                Ok(Some(Ok(Ok(msg)))) => return Ok(msg),
            }
        }
    }

    async fn send(&mut self, body: Body) -> Result<u32, LinkEnd> {
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1).max(1);
        self.io
            .send(Message { id, body })
            .await
            .map_err(|e| LinkEnd::lost(format!("write failed: {e}")))?;
        Ok(id)
    }

    /// Sends a request and waits for the response with the same id, handling whatever
    /// else arrives meanwhile.
    async fn call(&mut self, body: Body) -> Result<Body, LinkEnd> {
        let wait = if self.stopping {
            GOODBYE_TIMEOUT
        } else {
            self.ctx.config.response_timeout
        };
        let name = format!("message type {}", body.msg_type());
        let id = self.send(body).await?;
        let deadline = Instant::now() + wait;
        loop {
            let msg = self.next(deadline).await.map_err(|e| match e {
                LinkEnd::Lost { reason, .. } => {
                    LinkEnd::lost(format!("no answer to {name}: {reason}"))
                }
                stopped => stopped,
            })?;
            if msg.id == id && msg.body.status().is_some() {
                return Ok(msg.body);
            }
            self.unsolicited(msg).await?;
        }
    }

    async fn must(&mut self, name: &str, body: Body) -> Result<(), LinkEnd> {
        let reply = self.call(body).await?;
        if is_ok(&reply) {
            Ok(())
        } else {
            Err(LinkEnd::lost(format!(
                "{name} refused: {}",
                describe(&reply)
            )))
        }
    }

    async fn complain_unless_ok(&mut self, name: &str, reply: &Body) -> Result<(), LinkEnd> {
        if is_ok(reply) {
            return Ok(());
        }
        self.ctx
            .event(ReaderEventKind::Error {
                message: format!("{name} refused: {}", describe(reply)),
            })
            .await
    }

    async fn unsolicited(&mut self, msg: Message) -> Result<(), LinkEnd> {
        match msg.body {
            Body::RoAccessReport { tags } => {
                let received = now_us();
                for tag in &tags {
                    self.ctx
                        .read(tag.to_tag_read(self.ctx.config.reader, received))
                        .await?;
                }
            }
            Body::Keepalive => {
                self.io
                    .send(Message {
                        id: msg.id,
                        body: Body::KeepaliveAck,
                    })
                    .await
                    .map_err(|e| LinkEnd::lost(format!("write failed: {e}")))?;
            }
            Body::ReaderEventNotification(n) => {
                for e in n.events {
                    match e {
                        Event::Antenna { antenna, connected } => {
                            self.ctx
                                .event(ReaderEventKind::Antenna { antenna, connected })
                                .await?
                        }
                        Event::ReaderException { message } => {
                            self.ctx
                                .event(ReaderEventKind::Error {
                                    message: format!("reader exception: {message}"),
                                })
                                .await?
                        }
                        Event::ConnectionClose => {
                            return Err(LinkEnd::lost(
                                "reader announced it is closing the connection",
                            ))
                        }
                        _ => {}
                    }
                }
            }
            Body::ErrorMessage { status } if Some(msg.id) == self.eear_id => {
                tracing::debug!(%status, "reader does not support ENABLE_EVENTS_AND_REPORTS");
            }
            Body::ErrorMessage { status } => {
                self.ctx
                    .event(ReaderEventKind::Error {
                        message: format!("ERROR_MESSAGE from reader: {status}"),
                    })
                    .await?
            }
            _ => tracing::debug!(msg_type = msg.body.msg_type(), "ignored LLRP message"),
        }
        Ok(())
    }

    /// Leaves the reader as we found it; best effort, the link may already be gone.
    async fn goodbye(&mut self) {
        self.stopping = true;
        if !self.greeted {
            return;
        }
        if self.inventory_on {
            let _ = self
                .call(Body::RospecCommand {
                    op: RospecOp::Stop,
                    rospec_id: ROSPEC_ID,
                })
                .await;
        }
        let _ = self
            .call(Body::RospecCommand {
                op: RospecOp::Delete,
                rospec_id: ROSPEC_ID,
            })
            .await;
        let _ = self.call(Body::CloseConnection).await;
    }
}

fn report_spec() -> RoReportSpec {
    // Report every tag as soon as it is seen: the engine wants reads, not batches.
    RoReportSpec {
        trigger: 2,
        n: 1,
        content: ContentSelector::for_tag_reads(),
    }
}

fn is_ok(reply: &Body) -> bool {
    !matches!(reply, Body::ErrorMessage { .. })
        && reply.status().is_some_and(LlrpStatus::is_success)
}

fn describe(reply: &Body) -> String {
    match reply {
        Body::ErrorMessage { status } => format!("ERROR_MESSAGE {status}"),
        other => other.status().map_or_else(
            || format!("message type {}", other.msg_type()),
            ToString::to_string,
        ),
    }
}
