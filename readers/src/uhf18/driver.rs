//! One UHFReader18 connection. In answer mode the host polls: Inventory, then frames until one
//! whose status is not "more frames follow". In active mode the reader pushes one 0xEE frame
//! per tag and heartbeats in between; silence is the only sign of a dead link.

use std::time::Duration;

use tokio::time::Instant;

use super::message::*;
use super::transport::Uhf18;
use crate::driver::{now_us, until_inventory_wanted, Ctx, Io, LinkEnd, Polled, ReaderEventKind};
use crate::read::TagRead;

type T = Polled<Uhf18>;

pub(crate) async fn connection(io: Box<dyn Io>, ctx: &mut Ctx, active: bool) -> LinkEnd {
    let mut t: T = Polled::new(io, ctx.counters.clone());
    let mut connected = false;
    let end = if active {
        listen(&mut t, ctx, &mut connected).await
    } else {
        poll(&mut t, ctx, &mut connected).await
    };
    match end {
        LinkEnd::Lost { reason, .. } => LinkEnd::Lost { reason, connected },
        stopped => stopped,
    }
}

fn read(ctx: &Ctx, epc: crate::read::Epc, received_us: u64) -> TagRead {
    TagRead {
        epc,
        reader: ctx.config.reader,
        // UHFReader18 answers do not say which antenna saw the tag: these readers have one.
        antenna: 1,
        rssi_dbm: None,
        timestamp_us: received_us,
        channel: None,
        phase: None,
        seen_count: None,
    }
}

/// Sends a setting and waits for its acknowledgement; a refusal is reported, not fatal.
async fn set(t: &mut T, ctx: &Ctx, c: Command, name: &str) -> Result<(), LinkEnd> {
    let code = c.code();
    t.send(c).await?;
    let deadline = Instant::now() + ctx.config.response_timeout;
    loop {
        match t.recv(ctx, deadline).await? {
            None => return Err(LinkEnd::lost(format!("no answer to {name}"))),
            Some(Response::Other { cmd, status, .. }) if cmd == code => {
                if status != status::SUCCESS {
                    let message = format!("reader refused {name}: status {status:#04X}");
                    ctx.event(ReaderEventKind::Error { message }).await?;
                }
                return Ok(());
            }
            Some(_) => {}
        }
    }
}

async fn poll(t: &mut T, ctx: &mut Ctx, connected: &mut bool) -> LinkEnd {
    match poll_inner(t, ctx, connected).await {
        Ok(never) => match never {},
        Err(end) => end,
    }
}

enum Never {}

async fn poll_inner(t: &mut T, ctx: &mut Ctx, connected: &mut bool) -> Result<Never, LinkEnd> {
    t.send(Command::GetReaderInfo { adr: BROADCAST }).await?;
    let deadline = Instant::now() + ctx.config.response_timeout;
    let (adr, info) = loop {
        match t.recv(ctx, deadline).await? {
            None => {
                return Err(LinkEnd::lost(
                    "no answer to Get Reader Information: check power, wiring and baud rate",
                ))
            }
            Some(Response::ReaderInfo { adr, info }) => break (adr, info),
            Some(_) => {}
        }
    };
    *connected = true;
    ctx.event(ReaderEventKind::Connected {
        description: format!(
            "UHFReader18 at address {adr:#04X}, firmware {}.{}, model {:#04X}, {} dBm, scan time {} ms",
            info.version[0],
            info.version[1],
            info.model,
            info.power_dbm,
            u32::from(info.scan_time) * 100
        ),
    })
    .await?;
    if let Some(dbm) = ctx.config.power_dbm {
        let dbm = dbm.round().clamp(0.0, 30.0) as u8;
        set(t, ctx, Command::SetPower { adr, dbm }, "Set Power").await?;
    }
    let scan_time = ctx.config.scan_time.unwrap_or(info.scan_time).max(3);
    if let Some(time) = ctx.config.scan_time {
        set(
            t,
            ctx,
            Command::SetScanTime {
                adr,
                time: time.max(3),
            },
            "Set Scan Time",
        )
        .await?;
    }
    // The reader answers only when its scan time is over.
    let answer_within =
        ctx.config.response_timeout + Duration::from_millis(u64::from(scan_time) * 100);
    let mut running = false;
    loop {
        if !ctx.inventory_wanted() {
            if running {
                ctx.event(ReaderEventKind::InventoryStopped).await?;
                running = false;
            }
            until_inventory_wanted(ctx).await?;
        }
        if !running {
            ctx.event(ReaderEventKind::InventoryStarted).await?;
            running = true;
        }
        t.send(Command::Inventory { adr }).await?;
        let deadline = Instant::now() + answer_within;
        loop {
            let Some(r) = t.recv(ctx, deadline).await? else {
                if t.last_heard.elapsed() >= ctx.config.silence_timeout {
                    return Err(LinkEnd::lost(format!(
                        "reader silent for {} ms: link presumed dead",
                        t.last_heard.elapsed().as_millis()
                    )));
                }
                ctx.event(ReaderEventKind::Error {
                    message: "no answer to Inventory".into(),
                })
                .await?;
                break;
            };
            let received = now_us();
            match r {
                Response::Inventory {
                    status: st, epcs, ..
                } => {
                    for epc in epcs {
                        ctx.read(read(ctx, epc, received)).await?;
                    }
                    if st != status::MORE_FRAMES {
                        break;
                    }
                }
                Response::Other {
                    cmd: cmd::INVENTORY,
                    status: st,
                    ..
                } => {
                    if st != status::NO_TAG {
                        let message = format!("inventory failed: status {st:#04X}");
                        ctx.event(ReaderEventKind::Error { message }).await?;
                    }
                    break;
                }
                Response::Active { epc, .. } => ctx.read(read(ctx, epc, received)).await?,
                _ => {}
            }
        }
    }
}

async fn listen(t: &mut T, ctx: &mut Ctx, connected: &mut bool) -> LinkEnd {
    loop {
        let deadline = Instant::now() + ctx.config.silence_timeout;
        let r = match t.recv(ctx, deadline).await {
            Err(end) => return end,
            Ok(None) => {
                return LinkEnd::lost(format!(
                    "no frame or heartbeat for {} ms: link presumed dead",
                    ctx.config.silence_timeout.as_millis()
                ))
            }
            Ok(Some(r)) => r,
        };
        if !*connected {
            // A serial port opens whether or not a reader is behind it: the first frame is
            // the first proof of life.
            *connected = true;
            let description = "UHFReader18 in active mode".to_string();
            if let Err(end) = ctx.event(ReaderEventKind::Connected { description }).await {
                return end;
            }
        }
        if let Response::Active { epc, .. } = r {
            // Active mode cannot be paused from here without reconfiguring the reader, so a
            // paused inventory drops what it pushes.
            if ctx.inventory_wanted() {
                if let Err(end) = ctx.read(read(ctx, epc, now_us())).await {
                    return end;
                }
            }
        }
    }
}
