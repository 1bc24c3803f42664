//! Sans-IO R2000 framing: `A0 Len Addr Cmd Data… Check`, Len counts Addr..Check, Check is
//! the two's complement of the sum of every byte before it.

use bytes::{Buf, BufMut, BytesMut};

use super::message::*;
use crate::read::Epc;

pub const HEAD: u8 = 0xA0;
/// Addr, Cmd and Check at least.
pub const MIN_LEN: u8 = 3;
/// Len is one byte: a frame is at most 257 bytes with head and Len.
pub const MAX_FRAME: usize = 257;
/// Data of an inventory end frame (`Antenna ReadRate(2) TotalRead(4)`).
const END_FRAME_DATA: usize = 7;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("skipped {skipped} bytes before the next 0xA0 frame head")]
    Garbage { skipped: usize },
    #[error("bad checksum: expected {expected:02X}, frame says {found:02X}; resyncing")]
    BadChecksum { expected: u8, found: u8 },
    #[error("malformed R2000 frame (command {cmd:#04X}): {reason}")]
    Malformed { cmd: u8, reason: &'static str },
}

/// The CRC-16 a Gen2 tag sends over its PC word and EPC (CRC-16/GENIBUS): what an access
/// answer carries in [`AccessFrame::crc`].
pub fn tag_crc(pc: u16, epc: &Epc) -> u16 {
    const GEN2: crc::Crc<u16> = crc::Crc::<u16>::new(&crc::CRC_16_GENIBUS);
    let mut d = GEN2.digest();
    d.update(&pc.to_be_bytes());
    d.update(epc.as_bytes());
    d.finalize()
}

pub fn checksum(bytes: &[u8]) -> u8 {
    bytes
        .iter()
        .fold(0u8, |s, b| s.wrapping_add(*b))
        .wrapping_neg()
}

/// Decodes one frame, whichever direction it goes.
pub fn decode_frame(buf: &mut BytesMut) -> Result<Option<Frame>, DecodeError> {
    let plausible = |b: &[u8]| b[0] == HEAD && (b.len() < 2 || b[1] >= MIN_LEN);
    let Some(_) = buf.first() else {
        return Ok(None);
    };
    if !plausible(buf) {
        let skipped = (1..buf.len())
            .find(|&i| plausible(&buf[i..]))
            .unwrap_or(buf.len());
        buf.advance(skipped);
        return Err(DecodeError::Garbage { skipped });
    }
    if buf.len() < 2 {
        return Ok(None);
    }
    let total = buf[1] as usize + 2;
    if buf.len() < total {
        return Ok(None);
    }
    let expected = checksum(&buf[..total - 1]);
    let found = buf[total - 1];
    if expected != found {
        buf.advance(1);
        return Err(DecodeError::BadChecksum { expected, found });
    }
    let f = buf.split_to(total).freeze();
    Ok(Some(Frame {
        addr: f[2],
        cmd: f[3],
        data: f.slice(4..total - 1),
    }))
}

pub fn encode_frame(f: &Frame, out: &mut BytesMut) {
    let start = out.len();
    out.put_u8(HEAD);
    out.put_u8((f.data.len() + 3) as u8);
    out.put_u8(f.addr);
    out.put_u8(f.cmd);
    out.put_slice(&f.data);
    let check = checksum(&out[start..]);
    out.put_u8(check);
}

/// Decodes one frame from a reader and says what it means.
pub fn decode_response(buf: &mut BytesMut) -> Result<Option<Response>, DecodeError> {
    let Some(f) = decode_frame(buf)? else {
        return Ok(None);
    };
    interpret(f).map(Some)
}

pub fn interpret(f: Frame) -> Result<Response, DecodeError> {
    let inventory = matches!(
        f.cmd,
        cmd::REAL_TIME_INVENTORY
            | cmd::FAST_SWITCH_ANT_INVENTORY
            | cmd::CUSTOMIZED_SESSION_TARGET_INVENTORY
    );
    let access = matches!(f.cmd, cmd::WRITE | cmd::LOCK | cmd::KILL);
    let d: &[u8] = &f.data;
    let malformed = |reason| DecodeError::Malformed { cmd: f.cmd, reason };
    Ok(match d.len() {
        1 => Response::Status {
            addr: f.addr,
            cmd: f.cmd,
            code: d[0],
        },
        n if access => {
            // TagCount(2) DataLen [PC(2) EPC CRC(2)] ErrCode FreqAnt Count
            if n < 3 {
                return Err(malformed("access answer shorter than its header"));
            }
            let len = usize::from(d[2]);
            if len < 4 {
                return Err(malformed("access answer without PC and CRC"));
            }
            if n != 3 + len + 3 {
                return Err(malformed("access answer length disagrees with DataLen"));
            }
            let body = &d[3..3 + len];
            let tail = &d[3 + len..];
            Response::Access(AccessFrame {
                addr: f.addr,
                cmd: f.cmd,
                tag_count: u16::from_be_bytes([d[0], d[1]]),
                pc: u16::from_be_bytes([body[0], body[1]]),
                epc: Epc::new(&body[2..len - 2])
                    .map_err(|_| malformed("EPC longer than Gen2 allows"))?,
                crc: u16::from_be_bytes([body[len - 2], body[len - 1]]),
                code: tail[0],
                antenna: (tail[1] & 0x03) + 1,
                frequency: tail[1] >> 2,
                count: tail[2],
            })
        }
        END_FRAME_DATA if inventory && f.cmd != cmd::FAST_SWITCH_ANT_INVENTORY => {
            Response::InventoryEnd {
                addr: f.addr,
                cmd: f.cmd,
                antenna: d[0].wrapping_add(1),
                read_rate: u16::from_be_bytes([d[1], d[2]]),
                total_reads: u32::from_be_bytes([d[3], d[4], d[5], d[6]]),
            }
        }
        n if inventory && n >= 4 => {
            let epc = Epc::new(&d[3..n - 1]).map_err(|_| DecodeError::Malformed {
                cmd: f.cmd,
                reason: "EPC longer than Gen2 allows",
            })?;
            Response::Tag(TagFrame {
                addr: f.addr,
                cmd: f.cmd,
                antenna: (d[0] & 0x03) + 1,
                frequency: d[0] >> 2,
                pc: u16::from_be_bytes([d[1], d[2]]),
                epc,
                rssi: d[n - 1],
            })
        }
        _ => Response::Other(f),
    })
}

/// The frame a response came from; what an emulator or a test needs.
pub fn to_frame(r: &Response) -> Frame {
    match r {
        Response::Tag(t) => {
            let mut data = Vec::with_capacity(4 + t.epc.len());
            data.push(((t.frequency & 0x3F) << 2) | ((t.antenna.wrapping_sub(1)) & 0x03));
            data.extend_from_slice(&t.pc.to_be_bytes());
            data.extend_from_slice(t.epc.as_bytes());
            data.push(t.rssi);
            Frame::new(t.addr, t.cmd, &data)
        }
        Response::InventoryEnd {
            addr,
            cmd,
            antenna,
            read_rate,
            total_reads,
        } => {
            let mut data = vec![antenna.wrapping_sub(1)];
            data.extend_from_slice(&read_rate.to_be_bytes());
            data.extend_from_slice(&total_reads.to_be_bytes());
            Frame::new(*addr, *cmd, &data)
        }
        Response::Status { addr, cmd, code } => Frame::new(*addr, *cmd, &[*code]),
        Response::Access(a) => {
            let len = 4 + a.epc.len();
            let mut data = Vec::with_capacity(6 + len);
            data.extend_from_slice(&a.tag_count.to_be_bytes());
            data.push(len as u8);
            data.extend_from_slice(&a.pc.to_be_bytes());
            data.extend_from_slice(a.epc.as_bytes());
            data.extend_from_slice(&a.crc.to_be_bytes());
            data.push(a.code);
            data.push(((a.frequency & 0x3F) << 2) | ((a.antenna.wrapping_sub(1)) & 0x03));
            data.push(a.count);
            Frame::new(a.addr, a.cmd, &data)
        }
        Response::Other(f) => f.clone(),
    }
}
