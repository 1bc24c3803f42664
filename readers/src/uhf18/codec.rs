//! Sans-IO UHFReader18 framing. Command: `Len Adr Cmd Data… CRC-lo CRC-hi` (Len = 4 + data);
//! response: `Len Adr reCmd Status Data… CRC`; CRC-16/MCRF4XX over Len..Data, low byte
//! first (manual §6). Active mode adds a 6-byte heartbeat `56 00 00 00 00 00` without CRC.
//!
//! There is no start marker: a frame is found by its length byte and confirmed by its CRC.
//! A CRC mismatch drops one byte and tries again from the next.

use bytes::{Buf, BufMut, Bytes, BytesMut};
use crc::{Crc, CRC_16_MCRF4XX};

use super::message::*;
use crate::read::Epc;

pub const CRC: Crc<u16> = Crc::<u16>::new(&CRC_16_MCRF4XX);
/// Response: Len counts Adr, reCmd, Status and the 2 CRC bytes at least (manual §6.2).
pub const MIN_RESPONSE_LEN: u8 = 5;
/// Command: Len counts Adr, Cmd and the 2 CRC bytes at least (manual §6.1).
pub const MIN_COMMAND_LEN: u8 = 4;
/// Len is one byte (manual §6): a frame is at most 256 bytes including Len.
pub const MAX_FRAME: usize = 256;
pub const HEARTBEAT: [u8; 6] = [0x56, 0, 0, 0, 0, 0];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("skipped {skipped} bytes that do not start a UHFReader18 frame")]
    Garbage { skipped: usize },
    #[error("bad CRC: expected {expected:04X}, frame says {found:04X}; resyncing")]
    BadCrc { expected: u16, found: u16 },
    #[error("malformed UHFReader18 frame (command {cmd:#04X}): {reason}")]
    Malformed { cmd: u8, reason: &'static str },
}

/// Command codes a reader can answer with: a third byte outside them cannot start a frame.
fn known_cmd(c: u8) -> bool {
    matches!(c, 0x01..=0x10 | 0x21..=0x3F | 0x50..=0x55 | cmd::ACTIVE_REPORT)
}

/// Finds one frame of at least `min_len`, CRC-checked; returns (Len, frame without CRC).
/// `heartbeats`: a heartbeat may start here too, so skipping garbage must stop at one.
fn frame(buf: &mut BytesMut, min_len: u8, heartbeats: bool) -> Result<Option<Bytes>, DecodeError> {
    let Some(&len) = buf.first() else {
        return Ok(None);
    };
    let plausible = |b: &[u8]| b[0] >= min_len && (b.len() < 3 || known_cmd(b[2]));
    let heartbeat = |b: &[u8]| {
        let n = b.len().min(HEARTBEAT.len());
        heartbeats && b[..n] == HEARTBEAT[..n]
    };
    if !plausible(buf) {
        let skipped = (1..buf.len())
            .find(|&i| plausible(&buf[i..]) || heartbeat(&buf[i..]))
            .unwrap_or(buf.len());
        buf.advance(skipped);
        return Err(DecodeError::Garbage { skipped });
    }
    let total = len as usize + 1;
    if buf.len() < total {
        return Ok(None);
    }
    let expected = CRC.checksum(&buf[..total - 2]);
    let found = u16::from_le_bytes([buf[total - 2], buf[total - 1]]);
    if expected != found {
        buf.advance(1);
        return Err(DecodeError::BadCrc { expected, found });
    }
    let f = buf.split_to(total).freeze();
    Ok(Some(f.slice(..total - 2)))
}

/// Decodes one response (reader to host).
pub fn decode_response(buf: &mut BytesMut) -> Result<Option<Response>, DecodeError> {
    if buf.first() == Some(&HEARTBEAT[0]) {
        let n = buf.len().min(HEARTBEAT.len());
        if buf[..n] == HEARTBEAT[..n] {
            if n < HEARTBEAT.len() {
                return Ok(None);
            }
            buf.advance(HEARTBEAT.len());
            return Ok(Some(Response::Heartbeat));
        }
    }
    let Some(f) = frame(buf, MIN_RESPONSE_LEN, true)? else {
        return Ok(None);
    };
    let (adr, c, st, data) = (f[1], f[2], f[3], f.slice(4..));
    let malformed = |reason| DecodeError::Malformed { cmd: c, reason };
    Ok(Some(match (c, st) {
        (cmd::INVENTORY, status::INVENTORY_DONE..=status::BUFFER_FULL) => {
            let (&num, mut rest) = data
                .split_first()
                .ok_or(malformed("inventory answer without a tag count"))?;
            let mut epcs = Vec::with_capacity(num as usize);
            for _ in 0..num {
                let (&n, tail) = rest
                    .split_first()
                    .ok_or(malformed("fewer EPCs than the tag count says"))?;
                if tail.len() < n as usize {
                    return Err(malformed("EPC runs past the end of the frame"));
                }
                epcs.push(Epc::new(&tail[..n as usize]).map_err(|_| malformed("EPC too long"))?);
                rest = &tail[n as usize..];
            }
            if !rest.is_empty() {
                return Err(malformed("bytes left after the last EPC"));
            }
            Response::Inventory {
                adr,
                status: st,
                epcs,
            }
        }
        (cmd::GET_READER_INFO, status::SUCCESS) => {
            let d: &[u8] = &data;
            if d.len() < 8 {
                return Err(malformed("reader information shorter than 8 bytes"));
            }
            Response::ReaderInfo {
                adr,
                info: ReaderInfo {
                    version: [d[0], d[1]],
                    model: d[2],
                    protocols: d[3],
                    max_freq: d[4],
                    min_freq: d[5],
                    power_dbm: d[6],
                    scan_time: d[7],
                },
            }
        }
        (cmd::ACTIVE_REPORT, _) if !data.is_empty() => Response::Active {
            adr,
            epc: Epc::new(&data).map_err(|_| malformed("EPC too long"))?,
        },
        (cmd::READ_DATA, status::SUCCESS) => {
            if data.len() % 2 != 0 {
                return Err(malformed("read data is not whole words"));
            }
            Response::Data {
                adr,
                words: data
                    .chunks(2)
                    .map(|w| u16::from_be_bytes([w[0], w[1]]))
                    .collect(),
            }
        }
        (_, status::TAG_ERROR) => match data[..] {
            [code] => Response::TagError { adr, cmd: c, code },
            [] => return Err(malformed("tag error status without its error code")),
            _ => return Err(malformed("bytes after the tag's error code")),
        },
        _ => Response::Other {
            adr,
            cmd: c,
            status: st,
            data,
        },
    }))
}

fn put_frame(out: &mut BytesMut, head: &[u8], data: &[u8]) {
    let start = out.len();
    out.put_u8((head.len() + data.len() + 2) as u8);
    out.put_slice(head);
    out.put_slice(data);
    let crc = CRC.checksum(&out[start..]);
    out.put_u16_le(crc);
}

/// Encodes one response; what an emulator or a test needs.
pub fn encode_response(r: &Response, out: &mut BytesMut) {
    match r {
        Response::Heartbeat => out.put_slice(&HEARTBEAT),
        Response::Inventory { adr, status, epcs } => {
            let mut data = Vec::with_capacity(1 + epcs.iter().map(|e| 1 + e.len()).sum::<usize>());
            data.push(epcs.len() as u8);
            for e in epcs {
                data.push(e.len() as u8);
                data.extend_from_slice(e.as_bytes());
            }
            put_frame(out, &[*adr, cmd::INVENTORY, *status], &data);
        }
        Response::ReaderInfo { adr, info: i } => put_frame(
            out,
            &[*adr, cmd::GET_READER_INFO, status::SUCCESS],
            &[
                i.version[0],
                i.version[1],
                i.model,
                i.protocols,
                i.max_freq,
                i.min_freq,
                i.power_dbm,
                i.scan_time,
            ],
        ),
        Response::Active { adr, epc } => put_frame(
            out,
            &[*adr, cmd::ACTIVE_REPORT, status::SUCCESS],
            epc.as_bytes(),
        ),
        Response::Data { adr, words } => {
            let data: Vec<u8> = words.iter().flat_map(|w| w.to_be_bytes()).collect();
            put_frame(out, &[*adr, cmd::READ_DATA, status::SUCCESS], &data)
        }
        Response::TagError { adr, cmd, code } => {
            put_frame(out, &[*adr, *cmd, status::TAG_ERROR], &[*code])
        }
        Response::Other {
            adr,
            cmd,
            status,
            data,
        } => put_frame(out, &[*adr, *cmd, *status], data),
    }
}

/// Encodes one command (host to reader).
pub fn encode_command(c: &Command, out: &mut BytesMut) {
    let (adr, code, data) = c.parts();
    put_frame(out, &[adr, code], &data);
}

/// Decodes one command; what an emulator needs.
pub fn decode_command(buf: &mut BytesMut) -> Result<Option<Command>, DecodeError> {
    let Some(f) = frame(buf, MIN_COMMAND_LEN, false)? else {
        return Ok(None);
    };
    Ok(Some(Command::from_parts(f[1], f[2], &f[3..])))
}
