//! UHFReader18 commands (host to reader) and responses (reader to host), per the
//! UHFReader18 User's Manual V2.0.

use bytes::Bytes;

use crate::read::Epc;

/// Command codes (manual §8).
pub mod cmd {
    pub const INVENTORY: u8 = 0x01;
    pub const GET_READER_INFO: u8 = 0x21;
    pub const SET_SCAN_TIME: u8 = 0x25;
    pub const SET_POWER: u8 = 0x2F;
    /// Frames pushed in active (scan) mode, one tag each.
    pub const ACTIVE_REPORT: u8 = 0xEE;
}

/// Response status codes (manual §7).
pub mod status {
    pub const SUCCESS: u8 = 0x00;
    /// Inventory finished within the scan time.
    pub const INVENTORY_DONE: u8 = 0x01;
    /// Scan time ran out; the tags found so far follow.
    pub const INVENTORY_TIMEOUT: u8 = 0x02;
    /// Too many tags for one frame: more frames follow.
    pub const MORE_FRAMES: u8 = 0x03;
    /// The reader's tag buffer is full.
    pub const BUFFER_FULL: u8 = 0x04;
    pub const NO_TAG: u8 = 0xFB;
}

/// Broadcast address: every reader on the bus answers.
pub const BROADCAST: u8 = 0xFF;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Inventory {
        adr: u8,
    },
    GetReaderInfo {
        adr: u8,
    },
    /// 0..=30 dBm.
    SetPower {
        adr: u8,
        dbm: u8,
    },
    /// Inventory scan time in units of 100 ms, 3..=255.
    SetScanTime {
        adr: u8,
        time: u8,
    },
    Raw {
        adr: u8,
        cmd: u8,
        data: Bytes,
    },
}

impl Command {
    pub fn parts(&self) -> (u8, u8, &[u8]) {
        match self {
            Command::Inventory { adr } => (*adr, cmd::INVENTORY, &[]),
            Command::GetReaderInfo { adr } => (*adr, cmd::GET_READER_INFO, &[]),
            Command::SetPower { adr, dbm } => (*adr, cmd::SET_POWER, std::slice::from_ref(dbm)),
            Command::SetScanTime { adr, time } => {
                (*adr, cmd::SET_SCAN_TIME, std::slice::from_ref(time))
            }
            Command::Raw { adr, cmd, data } => (*adr, *cmd, data),
        }
    }

    pub fn from_parts(adr: u8, c: u8, data: &[u8]) -> Self {
        match (c, data) {
            (cmd::INVENTORY, []) => Command::Inventory { adr },
            (cmd::GET_READER_INFO, []) => Command::GetReaderInfo { adr },
            (cmd::SET_POWER, [dbm]) => Command::SetPower { adr, dbm: *dbm },
            (cmd::SET_SCAN_TIME, [time]) => Command::SetScanTime { adr, time: *time },
            _ => Command::Raw {
                adr,
                cmd: c,
                data: Bytes::copy_from_slice(data),
            },
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    /// One frame of an inventory answer; `status` [`status::MORE_FRAMES`] means more follow.
    Inventory {
        adr: u8,
        status: u8,
        epcs: Vec<Epc>,
    },
    ReaderInfo {
        adr: u8,
        info: ReaderInfo,
    },
    /// A tag pushed in active mode.
    Active {
        adr: u8,
        epc: Epc,
    },
    /// The 6-byte keep-alive some readers send in active mode.
    Heartbeat,
    /// Any other answer: acknowledgements of settings, errors, commands we do not model.
    Other {
        adr: u8,
        cmd: u8,
        status: u8,
        data: Bytes,
    },
}

/// Get Reader Information (0x21) answer, manual §8.4.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReaderInfo {
    pub version: [u8; 2],
    pub model: u8,
    pub protocols: u8,
    pub max_freq: u8,
    pub min_freq: u8,
    pub power_dbm: u8,
    /// Units of 100 ms.
    pub scan_time: u8,
}
