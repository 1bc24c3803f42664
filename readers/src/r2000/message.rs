//! R2000 commands and responses (Impinj R2000 UART protocol v3.x, as the modules'
//! vendors publish it).

use bytes::Bytes;

use crate::read::{Epc, ReaderId, TagRead};

/// Command codes.
pub mod cmd {
    pub const GET_FIRMWARE_VERSION: u8 = 0x72;
    pub const SET_WORK_ANTENNA: u8 = 0x74;
    pub const SET_OUTPUT_POWER: u8 = 0x76;
    pub const REAL_TIME_INVENTORY: u8 = 0x89;
    pub const FAST_SWITCH_ANT_INVENTORY: u8 = 0x8A;
    pub const CUSTOMIZED_SESSION_TARGET_INVENTORY: u8 = 0x8B;
}

/// Error and status codes carried by one-byte answers.
pub mod code {
    pub const SUCCESS: u8 = 0x10;
    pub const ANTENNA_MISSING: u8 = 0x22;
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
    Other(Frame),
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
