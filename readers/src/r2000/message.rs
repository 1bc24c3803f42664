//! R2000 commands and responses (Impinj R2000 UART protocol v3.x, as the modules'
//! vendors publish it).

use bytes::Bytes;

use crate::read::{Epc, ReaderId, TagRead};

/// Command codes.
pub mod cmd {
    pub const GET_FIRMWARE_VERSION: u8 = 0x72;
    pub const SET_WORK_ANTENNA: u8 = 0x74;
    pub const SET_OUTPUT_POWER: u8 = 0x76;
    /// Read words of the selected tags' memory.
    pub const READ: u8 = 0x81;
    /// Write words to the selected tags' memory.
    pub const WRITE: u8 = 0x82;
    pub const LOCK: u8 = 0x83;
    pub const KILL: u8 = 0x84;
    /// Select the tags that access commands operate on, by EPC (or cancel the selection).
    pub const SET_ACCESS_EPC_MATCH: u8 = 0x85;
    pub const REAL_TIME_INVENTORY: u8 = 0x89;
    pub const FAST_SWITCH_ANT_INVENTORY: u8 = 0x8A;
    pub const CUSTOMIZED_SESSION_TARGET_INVENTORY: u8 = 0x8B;
}

/// Error and status codes carried by one-byte answers.
pub mod code {
    pub const SUCCESS: u8 = 0x10;
    pub const FAIL: u8 = 0x11;
    pub const ANTENNA_MISSING: u8 = 0x22;
    pub const TAG_WRITE_ERROR: u8 = 0x33;
    pub const NO_TAG: u8 = 0x36;
    pub const INVENTORY_OK_BUT_ACCESS_FAIL: u8 = 0x37;
    pub const ACCESS_OR_PASSWORD_ERROR: u8 = 0x40;
    pub const PARAMETER_INVALID: u8 = 0x41;
    pub const WORD_COUNT_TOO_LONG: u8 = 0x42;
    pub const MEMBANK_OUT_OF_RANGE: u8 = 0x43;
    pub const EPC_MATCH_LEN_TOO_LONG: u8 = 0x4C;
    pub const EPC_MATCH_LEN_ERROR: u8 = 0x4D;
    pub const FAIL_TO_GET_RN16: u8 = 0x50;

    /// What a code means, for messages.
    pub fn describe(code: u8) -> &'static str {
        match code {
            SUCCESS => "success",
            FAIL => "command failed",
            ANTENNA_MISSING => "antenna missing",
            TAG_WRITE_ERROR => "tag write error",
            NO_TAG => "no tag",
            INVENTORY_OK_BUT_ACCESS_FAIL => "tag inventoried but access failed",
            ACCESS_OR_PASSWORD_ERROR => "access or password error",
            PARAMETER_INVALID => "invalid parameter",
            WORD_COUNT_TOO_LONG => "word count too long",
            MEMBANK_OUT_OF_RANGE => "memory bank out of range",
            EPC_MATCH_LEN_TOO_LONG => "EPC match too long",
            EPC_MATCH_LEN_ERROR => "EPC match length error",
            FAIL_TO_GET_RN16 => "no RN16 from the tag",
            _ => "unknown code",
        }
    }
}

/// Error codes a tag backscatters (EPC Gen2 Annex I), as modules put them in an access
/// answer's per-tag error byte.
pub mod tag_error {
    pub const OTHER: u8 = 0x00;
    pub const MEMORY_OVERRUN: u8 = 0x03;
    pub const MEMORY_LOCKED: u8 = 0x04;
    pub const INSUFFICIENT_POWER: u8 = 0x0B;
    pub const NON_SPECIFIC: u8 = 0x0F;
}

/// Gen2 memory banks.
pub mod bank {
    pub const RESERVED: u8 = 0;
    pub const EPC: u8 = 1;
    pub const TID: u8 = 2;
    pub const USER: u8 = 3;
}

/// Every module answers the public address.
pub const BROADCAST: u8 = 0xFF;

/// A frame in either direction: `A0 Len Addr Cmd Data… Check`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub addr: u8,
    pub cmd: u8,
    pub data: Bytes,
}

impl Frame {
    pub fn new(addr: u8, cmd: u8, data: &[u8]) -> Self {
        Frame {
            addr,
            cmd,
            data: Bytes::copy_from_slice(data),
        }
    }

    /// Real-time inventory: tags are reported as they are singulated; `repeat` rounds.
    pub fn real_time_inventory(addr: u8, repeat: u8) -> Self {
        Frame::new(addr, cmd::REAL_TIME_INVENTORY, &[repeat])
    }

    /// `antenna` is 1-based; the wire wants 0-based.
    pub fn set_work_antenna(addr: u8, antenna: u8) -> Self {
        Frame::new(addr, cmd::SET_WORK_ANTENNA, &[antenna.saturating_sub(1)])
    }

    pub fn set_output_power(addr: u8, dbm: u8) -> Self {
        Frame::new(addr, cmd::SET_OUTPUT_POWER, &[dbm])
    }

    pub fn get_firmware_version(addr: u8) -> Self {
        Frame::new(addr, cmd::GET_FIRMWARE_VERSION, &[])
    }

    /// Write `words` to bank `bank` from word `word_addr` of the tags selected by
    /// [`Frame::set_access_epc_match`] (all tags in the field without a selection):
    /// `Password(4) MemBank WordAdd WordCnt Data`.
    pub fn write_tag(addr: u8, password: u32, bank: u8, word_addr: u8, words: &[u16]) -> Self {
        let mut d = Vec::with_capacity(7 + 2 * words.len());
        d.extend_from_slice(&password.to_be_bytes());
        d.extend_from_slice(&[bank, word_addr, words.len() as u8]);
        for w in words {
            d.extend_from_slice(&w.to_be_bytes());
        }
        Frame::new(addr, cmd::WRITE, &d)
    }

    /// Selects the tag(s) whose EPC is `epc` for the access commands that follow:
    /// `Mode(0) EpcLen EPC`.
    pub fn set_access_epc_match(addr: u8, epc: &Epc) -> Self {
        let mut d = Vec::with_capacity(2 + epc.len());
        d.extend_from_slice(&[0, epc.len() as u8]);
        d.extend_from_slice(epc.as_bytes());
        Frame::new(addr, cmd::SET_ACCESS_EPC_MATCH, &d)
    }

    /// Cancels the selection: `Mode(1) EpcLen(0)`, as pyimpinj sends it.
    pub fn cancel_access_epc_match(addr: u8) -> Self {
        Frame::new(addr, cmd::SET_ACCESS_EPC_MATCH, &[1, 0])
    }
}

/// A reader's frame, interpreted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    Tag(TagFrame),
    /// The end of one inventory round: `Antenna ReadRate(2) TotalRead(4)`.
    InventoryEnd {
        addr: u8,
        cmd: u8,
        antenna: u8,
        read_rate: u16,
        total_reads: u32,
    },
    /// A one-byte answer: [`code::SUCCESS`] or an error code.
    Status {
        addr: u8,
        cmd: u8,
        code: u8,
    },
    /// One tag's part of the answer to a write, lock or kill.
    Access(AccessFrame),
    Other(Frame),
}

/// One tag operated on by an access command:
/// `TagCount(2) DataLen PC(2) EPC CRC(2) ErrCode FreqAnt Count` (DataLen counts PC, EPC and
/// CRC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccessFrame {
    pub addr: u8,
    pub cmd: u8,
    /// How many tags the command operated on: one frame comes for each.
    pub tag_count: u16,
    /// The tag's PC word and EPC as it was singulated, before the operation.
    pub pc: u16,
    pub epc: Epc,
    /// The CRC-16 the tag sent over its PC and EPC.
    pub crc: u16,
    /// [`code::SUCCESS`], a module error code, or the tag's own error code ([`tag_error`]).
    pub code: u8,
    /// 1-based.
    pub antenna: u8,
    pub frequency: u8,
    /// How many times the operation was done on this tag.
    pub count: u8,
}

/// One tag from an inventory: `FreqAnt PC(2) EPC… RSSI`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TagFrame {
    pub addr: u8,
    pub cmd: u8,
    /// 1-based.
    pub antenna: u8,
    /// Index into the module's frequency table.
    pub frequency: u8,
    pub pc: u16,
    pub epc: Epc,
    /// Raw RSSI byte; dBm is this minus 129.
    pub rssi: u8,
}

impl TagFrame {
    pub fn rssi_dbm(&self) -> i8 {
        (i16::from(self.rssi) - 129).clamp(-128, 127) as i8
    }

    pub fn to_tag_read(&self, reader: ReaderId, received_us: u64) -> TagRead {
        TagRead {
            epc: self.epc,
            reader,
            antenna: u16::from(self.antenna),
            rssi_dbm: Some(self.rssi_dbm()),
            timestamp_us: received_us,
            channel: Some(u16::from(self.frequency)),
            phase: None,
            seen_count: None,
        }
    }
}
