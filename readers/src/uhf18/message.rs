//! UHFReader18 commands (host to reader) and responses (reader to host), per the
//! UHFReader18 User's Manual V2.0.

use std::borrow::Cow;

use bytes::Bytes;

use crate::read::Epc;

/// Command codes (manual §8).
pub mod cmd {
    pub const INVENTORY: u8 = 0x01;
    /// Read words of one tag's memory bank (manual §8.2.2).
    pub const READ_DATA: u8 = 0x02;
    /// Write words to one tag's memory bank (manual §8.2.3).
    pub const WRITE_DATA: u8 = 0x03;
    /// Write an EPC to whichever single tag answers (manual §8.2.4).
    pub const WRITE_EPC: u8 = 0x04;
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
    /// The tag refused the access password.
    pub const ACCESS_PASSWORD_ERROR: u8 = 0x05;
    pub const COMMAND_EXECUTE_ERROR: u8 = 0xF9;
    /// The link to the tag was too poor to finish the operation.
    pub const POOR_COMMUNICATION: u8 = 0xFA;
    /// No tag answered (none in the field, or none that matched).
    pub const NO_TAG: u8 = 0xFB;
    /// The tag answered with an error code, which follows as one data byte ([`tag_error`]).
    pub const TAG_ERROR: u8 = 0xFC;
    pub const COMMAND_LENGTH_WRONG: u8 = 0xFD;
    pub const ILLEGAL_COMMAND: u8 = 0xFE;
    pub const PARAMETER_ERROR: u8 = 0xFF;

    /// What a status means, for messages.
    pub fn describe(status: u8) -> &'static str {
        match status {
            SUCCESS => "success",
            ACCESS_PASSWORD_ERROR => "access password error",
            COMMAND_EXECUTE_ERROR => "command execution error",
            POOR_COMMUNICATION => "poor communication with the tag",
            NO_TAG => "no tag operable",
            TAG_ERROR => "the tag returned an error code",
            COMMAND_LENGTH_WRONG => "command length wrong",
            ILLEGAL_COMMAND => "illegal command or CRC error",
            PARAMETER_ERROR => "parameter error",
            _ => "unknown status",
        }
    }
}

/// Error codes a tag backscatters, after status [`status::TAG_ERROR`] (manual §6, EPC Gen2
/// Annex I).
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

/// The most an access command can name the tag by: ENum is 0..=15 words (manual §8.2).
pub const MAX_ACCESS_EPC_WORDS: usize = 15;

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
    /// Read Data: `num` words of bank `mem` from word `word_ptr`, of the tag whose whole EPC
    /// is `epc` (whole words, at most [`MAX_ACCESS_EPC_WORDS`]). Wire order: `ENum EPC Mem
    /// WordPtr Num Pwd`.
    ReadData {
        adr: u8,
        epc: Epc,
        mem: u8,
        word_ptr: u8,
        num: u8,
        password: u32,
    },
    /// Write Data: `words` to bank `mem` from word `word_ptr`, on the tag whose whole EPC is
    /// `epc`. Wire order: `WNum ENum EPC Mem WordPtr Wdt Pwd` (the optional mask is not
    /// used: the tag must match the whole EPC).
    WriteData {
        adr: u8,
        epc: Epc,
        mem: u8,
        word_ptr: u8,
        words: Vec<u16>,
        password: u32,
    },
    /// Write EPC: `epc` (whole words) to whichever single tag answers first. Wire order:
    /// `ENum Pwd WEPC`.
    WriteEpc {
        adr: u8,
        password: u32,
        epc: Epc,
    },
    Raw {
        adr: u8,
        cmd: u8,
        data: Bytes,
    },
}

impl Command {
    /// Address, command code and data, as they go on the wire.
    pub fn parts(&self) -> (u8, u8, Cow<'_, [u8]>) {
        let words = |e: &Epc| (e.len() / 2) as u8;
        match self {
            Command::Inventory { adr } => (*adr, cmd::INVENTORY, Cow::Borrowed(&[])),
            Command::GetReaderInfo { adr } => (*adr, cmd::GET_READER_INFO, Cow::Borrowed(&[])),
            Command::SetPower { adr, dbm } => (
                *adr,
                cmd::SET_POWER,
                Cow::Borrowed(std::slice::from_ref(dbm)),
            ),
            Command::SetScanTime { adr, time } => (
                *adr,
                cmd::SET_SCAN_TIME,
                Cow::Borrowed(std::slice::from_ref(time)),
            ),
            Command::ReadData {
                adr,
                epc,
                mem,
                word_ptr,
                num,
                password,
            } => {
                let mut d = Vec::with_capacity(8 + epc.len());
                d.push(words(epc));
                d.extend_from_slice(epc.as_bytes());
                d.extend_from_slice(&[*mem, *word_ptr, *num]);
                d.extend_from_slice(&password.to_be_bytes());
                (*adr, cmd::READ_DATA, Cow::Owned(d))
            }
            Command::WriteData {
                adr,
                epc,
                mem,
                word_ptr,
                words: data,
                password,
            } => {
                let mut d = Vec::with_capacity(8 + epc.len() + 2 * data.len());
                d.push(data.len() as u8);
                d.push(words(epc));
                d.extend_from_slice(epc.as_bytes());
                d.extend_from_slice(&[*mem, *word_ptr]);
                for w in data {
                    d.extend_from_slice(&w.to_be_bytes());
                }
                d.extend_from_slice(&password.to_be_bytes());
                (*adr, cmd::WRITE_DATA, Cow::Owned(d))
            }
            Command::WriteEpc { adr, password, epc } => {
                let mut d = Vec::with_capacity(5 + epc.len());
                d.push(words(epc));
                d.extend_from_slice(&password.to_be_bytes());
                d.extend_from_slice(epc.as_bytes());
                (*adr, cmd::WRITE_EPC, Cow::Owned(d))
            }
            Command::Raw { adr, cmd, data } => (*adr, *cmd, Cow::Borrowed(data)),
        }
    }

    /// The command code alone.
    pub fn code(&self) -> u8 {
        self.parts().1
    }

    /// The command a frame carries; anything not modelled, or not laid out exactly as the
    /// manual says, is [`Command::Raw`].
    pub fn from_parts(adr: u8, c: u8, data: &[u8]) -> Self {
        let parsed = match (c, data) {
            (cmd::INVENTORY, []) => Some(Command::Inventory { adr }),
            (cmd::GET_READER_INFO, []) => Some(Command::GetReaderInfo { adr }),
            (cmd::SET_POWER, [dbm]) => Some(Command::SetPower { adr, dbm: *dbm }),
            (cmd::SET_SCAN_TIME, [time]) => Some(Command::SetScanTime { adr, time: *time }),
            (cmd::READ_DATA, d) => read_data(adr, d),
            (cmd::WRITE_DATA, d) => write_data(adr, d),
            (cmd::WRITE_EPC, d) => write_epc(adr, d),
            _ => None,
        };
        parsed.unwrap_or_else(|| Command::Raw {
            adr,
            cmd: c,
            data: Bytes::copy_from_slice(data),
        })
    }
}

fn password(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

/// `ENum EPC Mem WordPtr Num Pwd`, the EPC in whole words.
fn read_data(adr: u8, d: &[u8]) -> Option<Command> {
    let (&words, rest) = d.split_first()?;
    let n = 2 * usize::from(words);
    if usize::from(words) > MAX_ACCESS_EPC_WORDS || rest.len() != n + 7 {
        return None;
    }
    let tail = &rest[n..];
    Some(Command::ReadData {
        adr,
        epc: Epc::new(&rest[..n]).ok()?,
        mem: tail[0],
        word_ptr: tail[1],
        num: tail[2],
        password: password(&tail[3..]),
    })
}

/// `WNum ENum EPC Mem WordPtr Wdt Pwd`.
fn write_data(adr: u8, d: &[u8]) -> Option<Command> {
    let [wnum, words, rest @ ..] = d else {
        return None;
    };
    let (e, w) = (2 * usize::from(*words), 2 * usize::from(*wnum));
    if usize::from(*words) > MAX_ACCESS_EPC_WORDS || rest.len() != e + 2 + w + 4 {
        return None;
    }
    let tail = &rest[e..];
    Some(Command::WriteData {
        adr,
        epc: Epc::new(&rest[..e]).ok()?,
        mem: tail[0],
        word_ptr: tail[1],
        words: tail[2..2 + w]
            .chunks(2)
            .map(|p| u16::from_be_bytes([p[0], p[1]]))
            .collect(),
        password: password(&tail[2 + w..]),
    })
}

/// `ENum Pwd WEPC`.
fn write_epc(adr: u8, d: &[u8]) -> Option<Command> {
    let (&words, rest) = d.split_first()?;
    let n = 2 * usize::from(words);
    if rest.len() != 4 + n {
        return None;
    }
    Some(Command::WriteEpc {
        adr,
        password: password(rest),
        epc: Epc::new(&rest[4..]).ok()?,
    })
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
    /// Read Data answered: the words read, most significant byte first.
    Data {
        adr: u8,
        words: Vec<u16>,
    },
    /// Any command answered with status [`status::TAG_ERROR`]: the tag's own error code
    /// ([`tag_error`]).
    TagError {
        adr: u8,
        cmd: u8,
        code: u8,
    },
    /// Any other answer: acknowledgements of settings, errors, commands we do not model.
    Other {
        adr: u8,
        cmd: u8,
        status: u8,
        data: Bytes,
    },
}

impl Response {
    /// The command this answers; `None` for what the reader sends of its own accord.
    pub fn cmd(&self) -> Option<u8> {
        match self {
            Response::Inventory { .. } => Some(cmd::INVENTORY),
            Response::ReaderInfo { .. } => Some(cmd::GET_READER_INFO),
            Response::Data { .. } => Some(cmd::READ_DATA),
            Response::TagError { cmd, .. } | Response::Other { cmd, .. } => Some(*cmd),
            Response::Active { .. } | Response::Heartbeat => None,
        }
    }
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
