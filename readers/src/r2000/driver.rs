//! One R2000 connection: identify the module, set power, then run real-time inventory rounds,
//! switching the work antenna before each round when more than one antenna is configured.

use tokio::time::Instant;

use super::message::*;
use super::transport::R2000;
use crate::driver::{now_us, until_inventory_wanted, Ctx, Io, LinkEnd, Polled, ReaderEventKind};

type T = Polled<R2000>;

/// Inventory rounds per command: one, so that antenna switches and stops take effect fast.
const ROUNDS_PER_COMMAND: u8 = 1;
/// R2000 modules have at most 4 ports on one antenna group.
const MAX_ANTENNA: u16 = 4;

enum Never {}

pub(crate) async fn connection(io: Box<dyn Io>, ctx: &mut Ctx) -> LinkEnd {
    let mut t: T = Polled::new(io, ctx.counters.clone());
    let mut connected = false;
    match run(&mut t, ctx, &mut connected).await {
        Ok(never) => match never {},
        Err(LinkEnd::Lost { reason, .. }) => LinkEnd::Lost { reason, connected },
        Err(stopped) => stopped,
    }
}

/// Sends a command and waits for its one-byte status.
async fn command(t: &mut T, ctx: &Ctx, f: Frame, name: &str) -> Result<u8, LinkEnd> {
    let code_of = f.cmd;
    t.send(f).await?;
    let deadline = Instant::now() + ctx.config.response_timeout;
    loop {
        match t.recv(ctx, deadline).await? {
            None => return Err(LinkEnd::lost(format!("no answer to {name}"))),
            Some(Response::Status { cmd, code, .. }) if cmd == code_of => return Ok(code),
            Some(_) => {}
        }
    }
}

async fn run(t: &mut T, ctx: &mut Ctx, connected: &mut bool) -> Result<Never, LinkEnd> {
    t.send(Frame::get_firmware_version(BROADCAST)).await?;
    let deadline = Instant::now() + ctx.config.response_timeout;
    let (addr, version) = loop {
        match t.recv(ctx, deadline).await? {
            None => {
                return Err(LinkEnd::lost(
                    "no answer to Get Firmware Version: check power, wiring and baud rate",
                ))
            }
            Some(Response::Other(f)) if f.cmd == cmd::GET_FIRMWARE_VERSION && f.data.len() >= 2 => {
                break (f.addr, format!("{}.{}", f.data[0], f.data[1]))
            }
            Some(_) => {}
        }
    };
    *connected = true;
    ctx.event(ReaderEventKind::Connected {
        description: format!("R2000 module at address {addr:#04X}, firmware {version}"),
    })
    .await?;
    if let Some(dbm) = ctx.config.power_dbm {
        let dbm = dbm.round().clamp(0.0, 33.0) as u8;
        let code = command(
            t,
            ctx,
            Frame::set_output_power(addr, dbm),
            "Set Output Power",
        )
        .await?;
        if code != code::SUCCESS {
            ctx.event(ReaderEventKind::Error {
                message: format!("module refused output power: code {code:#04X}"),
            })
            .await?;
        }
    }
    let antennas: Vec<u8> = if ctx.config.antennas.is_empty() {
        vec![1]
    } else {
        ctx.config
            .antennas
            .iter()
            .filter(|a| (1..=MAX_ANTENNA).contains(*a))
            .map(|a| *a as u8)
            .collect()
    };
    if antennas.is_empty() {
        return Err(LinkEnd::lost(format!(
            "no usable antenna: R2000 ports are 1..={MAX_ANTENNA}"
        )));
    }
    let mut current = None;
    let mut running = false;
    loop {
        for &antenna in &antennas {
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
            if current != Some(antenna) {
                let code = command(
                    t,
                    ctx,
                    Frame::set_work_antenna(addr, antenna),
                    "Set Work Antenna",
                )
                .await?;
                if code != code::SUCCESS {
                    let message = format!("module refused antenna {antenna}: code {code:#04X}");
                    ctx.event(ReaderEventKind::Error { message }).await?;
                    continue;
                }
                current = Some(antenna);
            }
            t.send(Frame::real_time_inventory(addr, ROUNDS_PER_COMMAND))
                .await?;
            let deadline = Instant::now() + ctx.config.response_timeout;
            loop {
                let Some(r) = t.recv(ctx, deadline).await? else {
                    if t.last_heard.elapsed() >= ctx.config.silence_timeout {
                        return Err(LinkEnd::lost(format!(
                            "module silent for {} ms: link presumed dead",
                            t.last_heard.elapsed().as_millis()
                        )));
                    }
                    ctx.event(ReaderEventKind::Error {
                        message: "no answer to Real Time Inventory".into(),
                    })
                    .await?;
                    break;
                };
                match r {
                    Response::Tag(tag) => {
                        ctx.read(tag.to_tag_read(ctx.config.reader, now_us()))
                            .await?
                    }
                    Response::InventoryEnd { .. } => break,
                    Response::Status {
                        cmd: cmd::REAL_TIME_INVENTORY,
                        code,
                        ..
                    } => {
                        if code == code::ANTENNA_MISSING {
                            ctx.event(ReaderEventKind::Antenna {
                                antenna: u16::from(antenna),
                                connected: false,
                            })
                            .await?;
                        } else {
                            let message = format!("inventory failed: code {code:#04X}");
                            ctx.event(ReaderEventKind::Error { message }).await?;
                        }
                        break;
                    }
                    _ => {}
                }
            }
        }
    }
}
