//! Sans-IO LLRP 1.0.1 codec: bytes in, [`Message`]s out, and back. No IO, no clock.
//!
//! Framing is by the header's length field, so a message whose body we cannot make sense
//! of is consumed whole and reported, and the next message decodes normally. A header that
//! cannot be an LLRP header (wrong version, impossible length) means the stream is out of
//! step: bytes are skipped up to the next plausible header.

use bytes::{Buf, BufMut, Bytes, BytesMut};

use super::message::*;
use crate::read::Epc;

/// Header: 3 reserved bits, 3-bit version, 10-bit type, u32 length, u32 id (§4).
pub const HEADER_LEN: usize = 10;
/// The only version LLRP 1.0.1 defines (§4: Ver = 1).
pub const VERSION: u8 = 1;
/// The length field allows 4 GiB (§4); no reader sends a message anywhere near 1 MiB, so a
/// bigger length means the stream is out of step rather than a message worth buffering.
pub const MAX_MESSAGE_LEN: usize = 1 << 20;
/// TLV parameter header: 6 reserved bits, 10-bit type, u16 length (§4.1.1).
const TLV_HEADER_LEN: usize = 4;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Bytes that cannot start an LLRP message were skipped.
    #[error("skipped {skipped} bytes that do not start an LLRP message")]
    Garbage { skipped: usize },
    /// A well-framed message whose content is not valid LLRP; it was consumed whole.
    #[error("malformed LLRP message type {msg_type} id {id}: {reason}")]
    Malformed {
        msg_type: u16,
        id: u32,
        reason: &'static str,
    },
}

/// Every `Err` has consumed at least one byte, so calling again always makes progress.
pub fn decode(buf: &mut BytesMut) -> Result<Option<Message>, DecodeError> {
    if buf.len() < 6 {
        return Ok(None);
    }
    if header_len(buf).is_none() {
        let skipped = (1..buf.len().saturating_sub(5))
            .find(|&i| header_len(&buf[i..]).is_some())
            .unwrap_or(buf.len() - 5);
        buf.advance(skipped);
        return Err(DecodeError::Garbage { skipped });
    }
    let len = header_len(buf).expect("checked above");
    if buf.len() < len {
        buf.reserve(len - buf.len());
        return Ok(None);
    }
    let frame = buf.split_to(len).freeze();
    let msg_type = u16::from_be_bytes([frame[0], frame[1]]) & 0x3FF;
    let id = u32::from_be_bytes([frame[6], frame[7], frame[8], frame[9]]);
    let body = frame.slice(HEADER_LEN..);
    decode_body(msg_type, &body)
        .map(|body| Some(Message { id, body }))
        .map_err(|reason| DecodeError::Malformed {
            msg_type,
            id,
            reason,
        })
}

/// The message length if `b` (at least 6 bytes) starts with a plausible header.
fn header_len(b: &[u8]) -> Option<usize> {
    let version = (b[0] >> 2) & 0x7;
    let len = u32::from_be_bytes([b[2], b[3], b[4], b[5]]) as usize;
    (version == VERSION && (HEADER_LEN..=MAX_MESSAGE_LEN).contains(&len)).then_some(len)
}

type R<T> = Result<T, &'static str>;

/// A bounds-checked reader over one message or parameter body.
struct Cur<'a> {
    b: &'a [u8],
}

impl<'a> Cur<'a> {
    fn take(&mut self, n: usize) -> R<&'a [u8]> {
        if self.b.len() < n {
            return Err("truncated field");
        }
        let (head, tail) = self.b.split_at(n);
        self.b = tail;
        Ok(head)
    }
    fn u8(&mut self) -> R<u8> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> R<u16> {
        let s = self.take(2)?;
        Ok(u16::from_be_bytes([s[0], s[1]]))
    }
    fn u32(&mut self) -> R<u32> {
        let s = self.take(4)?;
        Ok(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
    }
    fn u64(&mut self) -> R<u64> {
        let s = self.take(8)?;
        Ok(u64::from_be_bytes(s.try_into().expect("8 bytes")))
    }
    fn utf8(&mut self) -> R<String> {
        let n = self.u16()? as usize;
        let s = self.take(n)?;
        // Readers send Latin-1 now and then; a lossy string beats losing the message.
        Ok(String::from_utf8_lossy(s).into_owned())
    }
    /// A `u16v`: a count, then that many words.
    fn u16v(&mut self) -> R<Vec<u16>> {
        let n = usize::from(self.u16()?);
        let s = self.take(n * 2)?;
        Ok(s.chunks_exact(2).map(be16).collect())
    }
    /// A `u1v`: a bit count, then the bits padded to whole bytes.
    fn u1v(&mut self) -> R<Bits> {
        let len = self.u16()?;
        let bytes = self.take(usize::from(len).div_ceil(8))?.to_vec();
        Ok(Bits { len, bytes })
    }
    fn is_empty(&self) -> bool {
        self.b.is_empty()
    }
    /// The next parameter: its type and its value (TV: after the type byte; TLV: after the
    /// 4-byte header).
    #[inline]
    fn param(&mut self) -> R<(u16, &'a [u8])> {
        let first = *self.b.first().ok_or("truncated parameter")?;
        if first & 0x80 != 0 {
            let t = u16::from(first & 0x7F);
            let len = tv_len(t).ok_or("unknown TV parameter: its length cannot be known")?;
            let p = self.take(1 + len)?;
            Ok((t, &p[1..]))
        } else {
            if self.b.len() < TLV_HEADER_LEN {
                return Err("truncated parameter header");
            }
            let t = u16::from_be_bytes([self.b[0], self.b[1]]) & 0x3FF;
            let len = u16::from_be_bytes([self.b[2], self.b[3]]) as usize;
            if len < TLV_HEADER_LEN {
                return Err("TLV parameter shorter than its header");
            }
            let p = self.take(len)?;
            Ok((t, &p[TLV_HEADER_LEN..]))
        }
    }
}

/// Value length of each TV parameter (§16.2.3): a TV type we do not know cannot be skipped.
const fn tv_len(t: u16) -> Option<usize> {
    Some(match t {
        1 | 7 | 8 | 10 | 11 | 12 | 14 | 15 | 17 | 19 | 20 => 2,
        2..=5 => 8,
        6 => 1,
        9 | 16 | 18 => 4,
        13 => 12,
        _ => return None,
    })
}

fn decode_body(msg_type: u16, body: &Bytes) -> R<Body> {
    use msg_type::*;
    let mut c = Cur { b: body };
    let out = match msg_type {
        RO_ACCESS_REPORT => Body::RoAccessReport {
            tags: decode_report(&mut c)?,
        },
        KEEPALIVE => Body::Keepalive,
        KEEPALIVE_ACK => Body::KeepaliveAck,
        ENABLE_EVENTS_AND_REPORTS => Body::EnableEventsAndReports,
        CLOSE_CONNECTION => Body::CloseConnection,
        READER_EVENT_NOTIFICATION => Body::ReaderEventNotification(decode_notification(&mut c)?),
        GET_READER_CAPABILITIES => Body::GetReaderCapabilities { requested: c.u8()? },
        GET_READER_CONFIG => {
            let antenna = c.u16()?;
            let requested = c.u8()?;
            Body::GetReaderConfig { antenna, requested }
        }
        SET_READER_CONFIG => Body::SetReaderConfig(decode_set_config(&mut c)?),
        ADD_ROSPEC => {
            let (t, v) = c.param()?;
            if t != param_type::ROSPEC {
                return Err("ADD_ROSPEC without an ROSpec");
            }
            Body::AddRospec(decode_rospec(v)?)
        }
        ADD_ACCESSSPEC => {
            let (t, v) = c.param()?;
            if t != param_type::ACCESS_SPEC {
                return Err("ADD_ACCESSSPEC without an AccessSpec");
            }
            Body::AddAccessSpec(decode_access_spec(v)?)
        }
        GET_READER_CAPABILITIES_RESPONSE => {
            let status = first_status(&mut c)?;
            Body::GetReaderCapabilitiesResponse {
                status,
                capabilities: decode_capabilities(&mut c)?,
            }
        }
        GET_READER_CONFIG_RESPONSE => Body::GetReaderConfigResponse {
            status: first_status(&mut c)?,
        },
        SET_READER_CONFIG_RESPONSE => Body::SetReaderConfigResponse {
            status: first_status(&mut c)?,
        },
        CLOSE_CONNECTION_RESPONSE => Body::CloseConnectionResponse {
            status: first_status(&mut c)?,
        },
        ERROR_MESSAGE => Body::ErrorMessage {
            status: first_status(&mut c)?,
        },
        t => {
            if let Some(op) = RospecOp::from_command_type(t) {
                Body::RospecCommand {
                    op,
                    rospec_id: c.u32()?,
                }
            } else if let Some(op) = RospecOp::from_response_type(t) {
                Body::RospecResponse {
                    op,
                    status: first_status(&mut c)?,
                }
            } else if let Some(op) = AccessSpecOp::from_command_type(t) {
                Body::AccessSpecCommand {
                    op,
                    access_spec_id: c.u32()?,
                }
            } else if let Some(op) = AccessSpecOp::from_response_type(t) {
                Body::AccessSpecResponse {
                    op,
                    status: first_status(&mut c)?,
                }
            } else {
                return Ok(Body::Other {
                    msg_type: t,
                    payload: body.clone(),
                });
            }
        }
    };
    Ok(out)
}

fn first_status(c: &mut Cur<'_>) -> R<LlrpStatus> {
    let (t, v) = c.param()?;
    if t != param_type::LLRP_STATUS {
        return Err("response without LLRPStatus");
    }
    let mut s = Cur { b: v };
    let code = s.u16()?;
    let description = s.utf8()?;
    // FieldError / ParameterError follow; the description already says it for people.
    Ok(LlrpStatus { code, description })
}

fn decode_report(c: &mut Cur<'_>) -> R<Vec<TagReportData>> {
    let mut tags = Vec::with_capacity(count_tlv(c.b, param_type::TAG_REPORT_DATA));
    while !c.is_empty() {
        let (t, v) = c.param()?;
        if t == param_type::TAG_REPORT_DATA {
            decode_tag(v, &mut tags)?;
        }
        // RFSurveyReportData and custom parameters are skipped whole.
    }
    Ok(tags)
}

/// How many top-level TLV parameters of type `t` `b` holds, hopping by length only: a report
/// can hold hundreds of tags, and one exact allocation beats repeated growth.
fn count_tlv(mut b: &[u8], t: u16) -> usize {
    let mut n = 0;
    while b.len() >= TLV_HEADER_LEN && b[0] & 0x80 == 0 {
        let len = usize::from(be16(&b[2..]));
        if len < TLV_HEADER_LEN || len > b.len() {
            break;
        }
        n += usize::from(be16(b) & 0x3FF == t);
        b = &b[len..];
    }
    n
}

/// Value length of each TV parameter, indexed by type; 0 marks a type we do not know.
const TV_LEN: [u8; 128] = {
    let mut t = [0u8; 128];
    let mut i = 0;
    while i < 128 {
        t[i] = match tv_len(i as u16) {
            Some(n) => n as u8,
            None => 0,
        };
        i += 1;
    }
    t
};

#[inline(always)]
fn be16(f: &[u8]) -> u16 {
    u16::from_be_bytes([f[0], f[1]])
}
#[inline(always)]
fn be32(f: &[u8]) -> u32 {
    u32::from_be_bytes([f[0], f[1], f[2], f[3]])
}
#[inline(always)]
fn be64(f: &[u8]) -> u64 {
    u64::from_be_bytes([f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7]])
}

/// The hot path: readers send hundreds of these a second, so TV fields are read straight
/// from the slice rather than through [`Cur`], into the tag's place in `tags`.
fn decode_tag(v: &[u8], tags: &mut Vec<TagReportData>) -> R<()> {
    let mut c = Cur { b: v };
    let (t, epc_v) = c.param()?;
    let epc = match t {
        param_type::EPC_96 => Epc::new(epc_v).map_err(|_| "EPC too long")?,
        param_type::EPC_DATA => {
            let mut e = Cur { b: epc_v };
            let bits = e.u16()? as usize;
            let bytes = e.take(bits.div_ceil(8))?;
            Epc::new(bytes).map_err(|_| "EPC longer than Gen2 allows")?
        }
        _ => return Err("TagReportData does not start with an EPC"),
    };
    tags.push(TagReportData::new(epc));
    let tag = tags.last_mut().expect("just pushed");
    let mut rest = c.b;
    // An error below leaves a half-filled tag behind; the caller then drops the whole
    // message, so it is never seen.
    while let Some(&first) = rest.first() {
        if first & 0x80 == 0 {
            let mut c = Cur { b: rest };
            let (t, v) = c.param()?;
            rest = c.b;
            if t == param_type::CUSTOM
                && v.len() >= 10
                && be32(v) == IMPINJ_PEN
                && be32(&v[4..]) == IMPINJ_RF_PHASE_ANGLE
            {
                tag.phase = Some(be16(&v[8..]));
            } else if t == param_type::C1G2_READ_OP_SPEC_RESULT
                || t == param_type::C1G2_WRITE_OP_SPEC_RESULT
            {
                tag.op_results.push(decode_op_result(t, v)?);
            }
            // Other op-spec results and vendor extensions (Impinj RSSI in centi-dBm, TID): skipped.
            continue;
        }
        let t = first & 0x7F;
        let len = TV_LEN[t as usize] as usize;
        if len == 0 {
            return Err("unknown TV parameter: its length cannot be known");
        }
        if rest.len() < 1 + len {
            return Err("truncated field");
        }
        let f = &rest[1..1 + len];
        rest = &rest[1 + len..];
        match u16::from(t) {
            param_type::ANTENNA_ID => tag.antenna = Some(be16(f)),
            param_type::PEAK_RSSI => tag.peak_rssi = Some(f[0] as i8),
            param_type::CHANNEL_INDEX => tag.channel_index = Some(be16(f)),
            param_type::FIRST_SEEN_UTC => tag.first_seen_utc_us = Some(be64(f)),
            param_type::LAST_SEEN_UTC => tag.last_seen_utc_us = Some(be64(f)),
            param_type::TAG_SEEN_COUNT => tag.seen_count = Some(be16(f)),
            param_type::ROSPEC_ID => tag.rospec_id = Some(be32(f)),
            param_type::SPEC_INDEX => tag.spec_index = Some(be16(f)),
            param_type::INVENTORY_PARAMETER_SPEC_ID => {
                tag.inventory_parameter_spec_id = Some(be16(f))
            }
            param_type::FIRST_SEEN_UPTIME => tag.first_seen_uptime_us = Some(be64(f)),
            param_type::LAST_SEEN_UPTIME => tag.last_seen_uptime_us = Some(be64(f)),
            param_type::ACCESS_SPEC_ID => tag.access_spec_id = Some(be32(f)),
            param_type::C1G2_PC => tag.pc = Some(be16(f)),
            param_type::C1G2_CRC => tag.crc = Some(be16(f)),
            _ => {}
        }
    }
    Ok(())
}

fn decode_op_result(t: u16, v: &[u8]) -> R<OpSpecResult> {
    let mut f = Cur { b: v };
    let result = f.u8()?;
    let op_spec_id = f.u16()?;
    Ok(if t == param_type::C1G2_READ_OP_SPEC_RESULT {
        OpSpecResult::Read {
            op_spec_id,
            result,
            data: f.u16v()?,
        }
    } else {
        OpSpecResult::Write {
            op_spec_id,
            result,
            words_written: f.u16()?,
        }
    })
}

fn decode_access_spec(v: &[u8]) -> R<AccessSpec> {
    let mut c = Cur { b: v };
    let id = c.u32()?;
    let antenna = c.u16()?;
    if c.u8()? != PROTOCOL_C1G2 {
        return Err("AccessSpec for an air protocol other than C1G2");
    }
    let _state = c.u8()?;
    let rospec_id = c.u32()?;
    let mut spec = AccessSpec {
        id,
        antenna,
        rospec_id,
        operation_count: None,
        targets: Vec::new(),
        ops: Vec::new(),
        report_trigger: None,
    };
    let mut has_command = false;
    while !c.is_empty() {
        let (t, v) = c.param()?;
        let mut f = Cur { b: v };
        match t {
            param_type::ACCESS_SPEC_STOP_TRIGGER => {
                let kind = f.u8()?;
                let n = f.u16()?;
                spec.operation_count = (kind == 1).then_some(n);
            }
            param_type::ACCESS_COMMAND => {
                has_command = true;
                let (t, v) = f.param()?;
                if t != param_type::C1G2_TAG_SPEC {
                    return Err("AccessCommand without a C1G2TagSpec");
                }
                let mut g = Cur { b: v };
                while !g.is_empty() {
                    let (t, v) = g.param()?;
                    if t != param_type::C1G2_TARGET_TAG {
                        return Err("C1G2TagSpec holds something other than C1G2TargetTag");
                    }
                    let mut h = Cur { b: v };
                    let flags = h.u8()?;
                    spec.targets.push(TargetTag {
                        bank: flags >> 6,
                        matching: flags & 0x20 != 0,
                        pointer: h.u16()?,
                        mask: h.u1v()?,
                        data: h.u1v()?,
                    });
                }
                while !f.is_empty() {
                    let (t, v) = f.param()?;
                    let mut g = Cur { b: v };
                    match t {
                        param_type::C1G2_READ => spec.ops.push(OpSpec::Read {
                            op_spec_id: g.u16()?,
                            password: g.u32()?,
                            bank: g.u8()? >> 6,
                            word_pointer: g.u16()?,
                            word_count: g.u16()?,
                        }),
                        param_type::C1G2_WRITE => spec.ops.push(OpSpec::Write {
                            op_spec_id: g.u16()?,
                            password: g.u32()?,
                            bank: g.u8()? >> 6,
                            word_pointer: g.u16()?,
                            data: g.u16v()?,
                        }),
                        // Kill, lock, block erase and write, custom: not modelled.
                        _ => {}
                    }
                }
            }
            param_type::ACCESS_REPORT_SPEC => spec.report_trigger = Some(f.u8()?),
            _ => {}
        }
    }
    if !has_command {
        return Err("AccessSpec without an AccessCommand");
    }
    Ok(spec)
}

fn decode_notification(c: &mut Cur<'_>) -> R<ReaderEventNotification> {
    let (t, v) = c.param()?;
    if t != param_type::READER_EVENT_NOTIFICATION_DATA {
        return Err("READER_EVENT_NOTIFICATION without ReaderEventNotificationData");
    }
    let mut n = ReaderEventNotification::default();
    let mut d = Cur { b: v };
    while !d.is_empty() {
        let (t, v) = d.param()?;
        let mut f = Cur { b: v };
        match t {
            param_type::UTC_TIMESTAMP => n.utc_us = Some(f.u64()?),
            param_type::UPTIME => n.uptime_us = Some(f.u64()?),
            param_type::CONNECTION_ATTEMPT_EVENT => {
                n.events.push(Event::ConnectionAttempt { status: f.u16()? })
            }
            param_type::CONNECTION_CLOSE_EVENT => n.events.push(Event::ConnectionClose),
            param_type::ANTENNA_EVENT => {
                let kind = f.u8()?;
                let antenna = f.u16()?;
                n.events.push(Event::Antenna {
                    antenna,
                    connected: kind == 1,
                });
            }
            param_type::ROSPEC_EVENT => {
                let kind = f.u8()?;
                let rospec_id = f.u32()?;
                let preempting_rospec_id = f.u32()?;
                n.events.push(Event::Rospec {
                    kind,
                    rospec_id,
                    preempting_rospec_id,
                });
            }
            param_type::READER_EXCEPTION_EVENT => {
                n.events.push(Event::ReaderException { message: f.utf8()? })
            }
            other => n.events.push(Event::Other { param_type: other }),
        }
    }
    Ok(n)
}

fn decode_capabilities(c: &mut Cur<'_>) -> R<Capabilities> {
    let mut caps = Capabilities::default();
    while !c.is_empty() {
        let (t, v) = c.param()?;
        let mut f = Cur { b: v };
        match t {
            param_type::GENERAL_DEVICE_CAPABILITIES => {
                caps.max_antennas = f.u16()?;
                caps.has_utc_clock = f.u16()? & 0x4000 != 0;
                caps.manufacturer = f.u32()?;
                caps.model = f.u32()?;
                caps.firmware = f.utf8()?;
            }
            param_type::REGULATORY_CAPABILITIES => {
                f.take(4)?; // country code, communications standard
                while !f.is_empty() {
                    let (t, v) = f.param()?;
                    if t != param_type::UHF_BAND_CAPABILITIES {
                        continue;
                    }
                    let mut u = Cur { b: v };
                    while !u.is_empty() {
                        let (t, v) = u.param()?;
                        if t == param_type::TRANSMIT_POWER_LEVEL_TABLE_ENTRY {
                            let mut p = Cur { b: v };
                            let index = p.u16()?;
                            let dbm_x100 = p.u16()? as i16;
                            caps.power_levels.push(PowerLevel { index, dbm_x100 });
                        }
                    }
                }
            }
            _ => {}
        }
    }
    Ok(caps)
}

fn decode_set_config(c: &mut Cur<'_>) -> R<SetReaderConfig> {
    let mut cfg = SetReaderConfig {
        reset_to_factory_default: c.u8()? & 0x80 != 0,
        ..Default::default()
    };
    while !c.is_empty() {
        let (t, v) = c.param()?;
        let mut f = Cur { b: v };
        match t {
            param_type::READER_EVENT_NOTIFICATION_SPEC => {
                while !f.is_empty() {
                    let (t, v) = f.param()?;
                    if t == param_type::EVENT_NOTIFICATION_STATE {
                        let mut e = Cur { b: v };
                        let event = e.u16()?;
                        cfg.events.push((event, e.u8()? & 0x80 != 0));
                    }
                }
            }
            param_type::RO_REPORT_SPEC => cfg.report = Some(decode_report_spec(v)?),
            param_type::KEEPALIVE_SPEC => {
                let kind = f.u8()?;
                let ms = f.u32()?;
                cfg.keepalive_ms = Some(if kind == 1 { ms } else { 0 });
            }
            param_type::EVENTS_AND_REPORTS => {
                cfg.hold_events_and_reports = Some(f.u8()? & 0x80 != 0)
            }
            _ => {}
        }
    }
    Ok(cfg)
}

fn decode_report_spec(v: &[u8]) -> R<RoReportSpec> {
    let mut f = Cur { b: v };
    let trigger = f.u8()?;
    let n = f.u16()?;
    let (t, v) = f.param()?;
    if t != param_type::TAG_REPORT_CONTENT_SELECTOR {
        return Err("ROReportSpec without TagReportContentSelector");
    }
    let flags = Cur { b: v }.u16()?;
    Ok(RoReportSpec {
        trigger,
        n,
        content: ContentSelector(flags & ContentSelector::DEFINED),
    })
}

fn decode_rospec(v: &[u8]) -> R<RoSpec> {
    let mut c = Cur { b: v };
    let id = c.u32()?;
    let priority = c.u8()?;
    let _state = c.u8()?;
    let mut spec = RoSpec {
        id,
        priority,
        start: StartTrigger::Null,
        duration_ms: None,
        antennas: Vec::new(),
        power_index: None,
        report: None,
    };
    while !c.is_empty() {
        let (t, v) = c.param()?;
        let mut f = Cur { b: v };
        match t {
            param_type::RO_BOUNDARY_SPEC => {
                while !f.is_empty() {
                    let (t, v) = f.param()?;
                    let mut g = Cur { b: v };
                    match t {
                        param_type::ROSPEC_START_TRIGGER => {
                            spec.start = if g.u8()? == 1 {
                                StartTrigger::Immediate
                            } else {
                                StartTrigger::Null
                            }
                        }
                        param_type::ROSPEC_STOP_TRIGGER => {
                            let kind = g.u8()?;
                            let ms = g.u32()?;
                            spec.duration_ms = (kind == 1).then_some(ms);
                        }
                        _ => {}
                    }
                }
            }
            param_type::AI_SPEC => {
                let n = f.u16()?;
                for _ in 0..n {
                    spec.antennas.push(f.u16()?);
                }
                while !f.is_empty() {
                    let (t, v) = f.param()?;
                    if t != param_type::INVENTORY_PARAMETER_SPEC {
                        continue;
                    }
                    let mut g = Cur { b: v };
                    g.take(3)?; // spec id, protocol id
                    while !g.is_empty() {
                        let (t, v) = g.param()?;
                        if t != param_type::ANTENNA_CONFIGURATION {
                            continue;
                        }
                        let mut a = Cur { b: v };
                        a.u16()?;
                        while !a.is_empty() {
                            let (t, v) = a.param()?;
                            if t == param_type::RF_TRANSMITTER {
                                let mut r = Cur { b: v };
                                r.take(4)?; // hop table id, channel index
                                spec.power_index = Some(r.u16()?);
                            }
                        }
                    }
                }
            }
            param_type::RO_REPORT_SPEC => spec.report = Some(decode_report_spec(v)?),
            _ => {}
        }
    }
    Ok(spec)
}

/// Appends one whole message to `out`.
pub fn encode(msg: &Message, out: &mut BytesMut) {
    let start = out.len();
    let t = msg.body.msg_type();
    out.put_u16((u16::from(VERSION) << 10) | (t & 0x3FF));
    out.put_u32(0); // length, patched below
    out.put_u32(msg.id);
    match &msg.body {
        Body::GetReaderCapabilities { requested } => out.put_u8(*requested),
        Body::GetReaderConfig { antenna, requested } => {
            out.put_u16(*antenna);
            out.put_u8(*requested);
            out.put_u16(0); // GPI port
            out.put_u16(0); // GPO port
        }
        Body::SetReaderConfig(cfg) => encode_set_config(cfg, out),
        Body::AddRospec(spec) => encode_rospec(spec, out),
        Body::RospecCommand { rospec_id, .. } => out.put_u32(*rospec_id),
        Body::AddAccessSpec(spec) => encode_access_spec(spec, out),
        Body::AccessSpecCommand { access_spec_id, .. } => out.put_u32(*access_spec_id),
        Body::GetReaderCapabilitiesResponse {
            status,
            capabilities,
        } => {
            encode_status(status, out);
            encode_capabilities(capabilities, out);
        }
        Body::GetReaderConfigResponse { status }
        | Body::SetReaderConfigResponse { status }
        | Body::RospecResponse { status, .. }
        | Body::AccessSpecResponse { status, .. }
        | Body::ErrorMessage { status }
        | Body::CloseConnectionResponse { status } => encode_status(status, out),
        Body::RoAccessReport { tags } => {
            for tag in tags {
                encode_tag(tag, out);
            }
        }
        Body::ReaderEventNotification(n) => encode_notification(n, out),
        Body::Keepalive
        | Body::KeepaliveAck
        | Body::EnableEventsAndReports
        | Body::CloseConnection => {}
        Body::Other { payload, .. } => out.put_slice(payload),
    }
    let len = (out.len() - start) as u32;
    out[start + 2..start + 6].copy_from_slice(&len.to_be_bytes());
}

/// Writes a TLV parameter: header, then whatever `body` writes, then patches the length.
fn tlv(out: &mut BytesMut, t: u16, body: impl FnOnce(&mut BytesMut)) {
    let start = out.len();
    out.put_u16(t);
    out.put_u16(0);
    body(out);
    let len = (out.len() - start) as u16;
    out[start + 2..start + 4].copy_from_slice(&len.to_be_bytes());
}

fn tv(out: &mut BytesMut, t: u16) {
    out.put_u8(0x80 | t as u8);
}

fn put_utf8(out: &mut BytesMut, s: &str) {
    // The length field is 16 bits (§4.2.1): cut a longer string at a character boundary.
    let mut n = s.len().min(usize::from(u16::MAX));
    while !s.is_char_boundary(n) {
        n -= 1;
    }
    let s = &s[..n];
    out.put_u16(n as u16);
    out.put_slice(s.as_bytes());
}

fn encode_status(s: &LlrpStatus, out: &mut BytesMut) {
    tlv(out, param_type::LLRP_STATUS, |o| {
        o.put_u16(s.code);
        put_utf8(o, &s.description);
    });
}

fn encode_tag(tag: &TagReportData, out: &mut BytesMut) {
    tlv(out, param_type::TAG_REPORT_DATA, |o| {
        if tag.epc.len() == 12 {
            tv(o, param_type::EPC_96);
            o.put_slice(tag.epc.as_bytes());
        } else {
            tlv(o, param_type::EPC_DATA, |o| {
                o.put_u16(tag.epc.len() as u16 * 8);
                o.put_slice(tag.epc.as_bytes());
            });
        }
        // Field order of §13.2.3.
        macro_rules! field {
            ($f:expr, $t:expr, $put:ident) => {
                if let Some(v) = $f {
                    tv(o, $t);
                    o.$put(v);
                }
            };
        }
        field!(tag.rospec_id, param_type::ROSPEC_ID, put_u32);
        field!(tag.spec_index, param_type::SPEC_INDEX, put_u16);
        field!(
            tag.inventory_parameter_spec_id,
            param_type::INVENTORY_PARAMETER_SPEC_ID,
            put_u16
        );
        field!(tag.antenna, param_type::ANTENNA_ID, put_u16);
        field!(tag.peak_rssi, param_type::PEAK_RSSI, put_i8);
        field!(tag.channel_index, param_type::CHANNEL_INDEX, put_u16);
        field!(tag.first_seen_utc_us, param_type::FIRST_SEEN_UTC, put_u64);
        field!(
            tag.first_seen_uptime_us,
            param_type::FIRST_SEEN_UPTIME,
            put_u64
        );
        field!(tag.last_seen_utc_us, param_type::LAST_SEEN_UTC, put_u64);
        field!(
            tag.last_seen_uptime_us,
            param_type::LAST_SEEN_UPTIME,
            put_u64
        );
        field!(tag.seen_count, param_type::TAG_SEEN_COUNT, put_u16);
        field!(tag.access_spec_id, param_type::ACCESS_SPEC_ID, put_u32);
        field!(tag.pc, param_type::C1G2_PC, put_u16);
        field!(tag.crc, param_type::C1G2_CRC, put_u16);
        for r in &tag.op_results {
            encode_op_result(r, o);
        }
        if let Some(phase) = tag.phase {
            tlv(o, param_type::CUSTOM, |o| {
                o.put_u32(IMPINJ_PEN);
                o.put_u32(IMPINJ_RF_PHASE_ANGLE);
                o.put_u16(phase);
            });
        }
    });
}

fn encode_notification(n: &ReaderEventNotification, out: &mut BytesMut) {
    tlv(out, param_type::READER_EVENT_NOTIFICATION_DATA, |o| {
        if let Some(us) = n.utc_us {
            tlv(o, param_type::UTC_TIMESTAMP, |o| o.put_u64(us));
        }
        if let Some(us) = n.uptime_us {
            tlv(o, param_type::UPTIME, |o| o.put_u64(us));
        }
        for e in &n.events {
            match e {
                Event::ConnectionAttempt { status } => {
                    tlv(o, param_type::CONNECTION_ATTEMPT_EVENT, |o| {
                        o.put_u16(*status)
                    })
                }
                Event::ConnectionClose => tlv(o, param_type::CONNECTION_CLOSE_EVENT, |_| {}),
                Event::Antenna { antenna, connected } => tlv(o, param_type::ANTENNA_EVENT, |o| {
                    o.put_u8(u8::from(*connected));
                    o.put_u16(*antenna);
                }),
                Event::Rospec {
                    kind,
                    rospec_id,
                    preempting_rospec_id,
                } => tlv(o, param_type::ROSPEC_EVENT, |o| {
                    o.put_u8(*kind);
                    o.put_u32(*rospec_id);
                    o.put_u32(*preempting_rospec_id);
                }),
                Event::ReaderException { message } => {
                    tlv(o, param_type::READER_EXCEPTION_EVENT, |o| {
                        put_utf8(o, message)
                    })
                }
                // Only the type survives decoding, so an empty body is all we can write.
                Event::Other { param_type } => tlv(o, *param_type, |_| {}),
            }
        }
    });
}

fn encode_capabilities(caps: &Capabilities, out: &mut BytesMut) {
    tlv(out, param_type::GENERAL_DEVICE_CAPABILITIES, |o| {
        o.put_u16(caps.max_antennas);
        o.put_u16(if caps.has_utc_clock { 0x4000 } else { 0 });
        o.put_u32(caps.manufacturer);
        o.put_u32(caps.model);
        put_utf8(o, &caps.firmware);
    });
    tlv(out, param_type::REGULATORY_CAPABILITIES, |o| {
        o.put_u16(0);
        o.put_u16(0);
        tlv(o, param_type::UHF_BAND_CAPABILITIES, |o| {
            for p in &caps.power_levels {
                tlv(o, param_type::TRANSMIT_POWER_LEVEL_TABLE_ENTRY, |o| {
                    o.put_u16(p.index);
                    o.put_i16(p.dbm_x100);
                });
            }
        });
    });
}

fn encode_report_spec(r: &RoReportSpec, out: &mut BytesMut) {
    tlv(out, param_type::RO_REPORT_SPEC, |o| {
        o.put_u8(r.trigger);
        o.put_u16(r.n);
        tlv(o, param_type::TAG_REPORT_CONTENT_SELECTOR, |o| {
            o.put_u16(r.content.0 & ContentSelector::DEFINED)
        });
    });
}

fn encode_set_config(cfg: &SetReaderConfig, out: &mut BytesMut) {
    out.put_u8(if cfg.reset_to_factory_default {
        0x80
    } else {
        0
    });
    // Parameter order of §12.1.3.
    if !cfg.events.is_empty() {
        tlv(out, param_type::READER_EVENT_NOTIFICATION_SPEC, |o| {
            for (event, on) in &cfg.events {
                tlv(o, param_type::EVENT_NOTIFICATION_STATE, |o| {
                    o.put_u16(*event);
                    o.put_u8(if *on { 0x80 } else { 0 });
                });
            }
        });
    }
    if let Some(r) = &cfg.report {
        encode_report_spec(r, out);
    }
    if let Some(ms) = cfg.keepalive_ms {
        tlv(out, param_type::KEEPALIVE_SPEC, |o| {
            o.put_u8(u8::from(ms > 0));
            o.put_u32(ms);
        });
    }
    if let Some(hold) = cfg.hold_events_and_reports {
        tlv(out, param_type::EVENTS_AND_REPORTS, |o| {
            o.put_u8(if hold { 0x80 } else { 0 })
        });
    }
}

/// EPCGlobal Class 1 Gen 2, the only air protocol LLRP 1.0.1 defines (§16.3.1).
const PROTOCOL_C1G2: u8 = 1;

fn encode_rospec(spec: &RoSpec, out: &mut BytesMut) {
    tlv(out, param_type::ROSPEC, |o| {
        o.put_u32(spec.id);
        o.put_u8(spec.priority);
        o.put_u8(0); // current state: disabled
        tlv(o, param_type::RO_BOUNDARY_SPEC, |o| {
            tlv(o, param_type::ROSPEC_START_TRIGGER, |o| {
                o.put_u8(match spec.start {
                    StartTrigger::Null => 0,
                    StartTrigger::Immediate => 1,
                })
            });
            tlv(o, param_type::ROSPEC_STOP_TRIGGER, |o| {
                o.put_u8(u8::from(spec.duration_ms.is_some()));
                o.put_u32(spec.duration_ms.unwrap_or(0));
            });
        });
        tlv(o, param_type::AI_SPEC, |o| {
            o.put_u16(spec.antennas.len() as u16);
            for a in &spec.antennas {
                o.put_u16(*a);
            }
            tlv(o, param_type::AI_SPEC_STOP_TRIGGER, |o| {
                o.put_u8(0); // null: the ROSpec's own trigger ends it
                o.put_u32(0);
            });
            tlv(o, param_type::INVENTORY_PARAMETER_SPEC, |o| {
                o.put_u16(1);
                o.put_u8(PROTOCOL_C1G2);
                if let Some(power) = spec.power_index {
                    for a in &spec.antennas {
                        tlv(o, param_type::ANTENNA_CONFIGURATION, |o| {
                            o.put_u16(*a);
                            tlv(o, param_type::RF_TRANSMITTER, |o| {
                                o.put_u16(1); // hop table
                                o.put_u16(1); // channel index
                                o.put_u16(power);
                            });
                        });
                    }
                }
            });
        });
        if let Some(r) = &spec.report {
            encode_report_spec(r, o);
        }
    });
}

fn put_u16v(out: &mut BytesMut, words: &[u16]) {
    // The count is 16 bits: no Gen2 bank holds anywhere near that many words.
    let n = words.len().min(usize::from(u16::MAX));
    out.put_u16(n as u16);
    for w in &words[..n] {
        out.put_u16(*w);
    }
}

fn put_u1v(out: &mut BytesMut, bits: &Bits) {
    // The bytes written are always the ones the bit count calls for, padded with zeros.
    let n = usize::from(bits.len).div_ceil(8);
    out.put_u16(bits.len);
    for i in 0..n {
        out.put_u8(bits.bytes.get(i).copied().unwrap_or(0));
    }
}

fn encode_op_result(r: &OpSpecResult, out: &mut BytesMut) {
    match r {
        OpSpecResult::Read {
            op_spec_id,
            result,
            data,
        } => tlv(out, param_type::C1G2_READ_OP_SPEC_RESULT, |o| {
            o.put_u8(*result);
            o.put_u16(*op_spec_id);
            put_u16v(o, data);
        }),
        OpSpecResult::Write {
            op_spec_id,
            result,
            words_written,
        } => tlv(out, param_type::C1G2_WRITE_OP_SPEC_RESULT, |o| {
            o.put_u8(*result);
            o.put_u16(*op_spec_id);
            o.put_u16(*words_written);
        }),
    }
}

fn encode_access_spec(spec: &AccessSpec, out: &mut BytesMut) {
    tlv(out, param_type::ACCESS_SPEC, |o| {
        o.put_u32(spec.id);
        o.put_u16(spec.antenna);
        o.put_u8(PROTOCOL_C1G2);
        o.put_u8(0); // current state: disabled
        o.put_u32(spec.rospec_id);
        tlv(o, param_type::ACCESS_SPEC_STOP_TRIGGER, |o| {
            o.put_u8(u8::from(spec.operation_count.is_some()));
            o.put_u16(spec.operation_count.unwrap_or(0));
        });
        tlv(o, param_type::ACCESS_COMMAND, |o| {
            tlv(o, param_type::C1G2_TAG_SPEC, |o| {
                for t in &spec.targets {
                    tlv(o, param_type::C1G2_TARGET_TAG, |o| {
                        o.put_u8(((t.bank & 0x3) << 6) | if t.matching { 0x20 } else { 0 });
                        o.put_u16(t.pointer);
                        put_u1v(o, &t.mask);
                        put_u1v(o, &t.data);
                    });
                }
            });
            for op in &spec.ops {
                match op {
                    OpSpec::Read {
                        op_spec_id,
                        password,
                        bank,
                        word_pointer,
                        word_count,
                    } => tlv(o, param_type::C1G2_READ, |o| {
                        o.put_u16(*op_spec_id);
                        o.put_u32(*password);
                        o.put_u8((bank & 0x3) << 6);
                        o.put_u16(*word_pointer);
                        o.put_u16(*word_count);
                    }),
                    OpSpec::Write {
                        op_spec_id,
                        password,
                        bank,
                        word_pointer,
                        data,
                    } => tlv(o, param_type::C1G2_WRITE, |o| {
                        o.put_u16(*op_spec_id);
                        o.put_u32(*password);
                        o.put_u8((bank & 0x3) << 6);
                        o.put_u16(*word_pointer);
                        put_u16v(o, data);
                    }),
                }
            }
        });
        if let Some(trigger) = spec.report_trigger {
            tlv(o, param_type::ACCESS_REPORT_SPEC, |o| o.put_u8(trigger));
        }
    });
}
