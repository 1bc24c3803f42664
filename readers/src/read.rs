//! The protocol-neutral tag read: what every driver produces and the engine consumes.

use std::fmt;

/// Gen2 allows an EPC of up to 496 bits (EPC Gen2 v2, §6.3.2.1.2: PC word length field is
/// 5 bits of 16-bit words, 31 words = 496 bits).
pub const MAX_EPC_BYTES: usize = 62;

/// An EPC as read off a tag, stored inline so a read never allocates.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Epc {
    len: u8,
    bytes: [u8; MAX_EPC_BYTES],
}

/// The EPC was longer than Gen2 allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("EPC of {0} bytes is longer than the {MAX_EPC_BYTES} bytes Gen2 allows")]
pub struct EpcTooLong(pub usize);

/// The text was not an even number of hex digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an EPC in hex: {0:?}")]
pub struct BadEpcHex(pub String);

impl Epc {
    pub fn new(bytes: &[u8]) -> Result<Self, EpcTooLong> {
        if bytes.len() > MAX_EPC_BYTES {
            return Err(EpcTooLong(bytes.len()));
        }
        let mut buf = [0u8; MAX_EPC_BYTES];
        buf[..bytes.len()].copy_from_slice(bytes);
        Ok(Epc {
            len: bytes.len() as u8,
            bytes: buf,
        })
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len as usize]
    }

    pub fn len(&self) -> usize {
        self.len as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Upper-case hex, two digits per byte, as readers and GS1 tools print EPCs.
    pub fn to_hex(&self) -> String {
        const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
        let mut s = String::with_capacity(self.len() * 2);
        for b in self.as_bytes() {
            s.push(DIGITS[(b >> 4) as usize] as char);
            s.push(DIGITS[(b & 0xF) as usize] as char);
        }
        s
    }

    pub fn from_hex(hex: &str) -> Result<Self, BadEpcHex> {
        let bad = || BadEpcHex(hex.to_owned());
        let hex = hex.trim();
        if hex.len() % 2 != 0 || hex.len() / 2 > MAX_EPC_BYTES {
            return Err(bad());
        }
        let mut buf = [0u8; MAX_EPC_BYTES];
        for (i, pair) in hex.as_bytes().chunks(2).enumerate() {
            let digit = |c: u8| (c as char).to_digit(16).ok_or_else(bad);
            buf[i] = (digit(pair[0])? << 4 | digit(pair[1])?) as u8;
        }
        Ok(Epc {
            len: (hex.len() / 2) as u8,
            bytes: buf,
        })
    }
}

impl fmt::Debug for Epc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Epc({})", self.to_hex())
    }
}

impl fmt::Display for Epc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// A reader as the service numbers it (its index in the reader configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReaderId(pub u32);

/// One sighting of one tag by one antenna, whatever the protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TagRead {
    pub epc: Epc,
    pub reader: ReaderId,
    /// Antenna port, 1-based as readers number them.
    pub antenna: u16,
    /// Peak RSSI in dBm, when the reader reports it.
    pub rssi_dbm: Option<i8>,
    /// Microseconds since the Unix epoch: the reader's timestamp when it sends one,
    /// otherwise the time the host received the frame (passed in, never read from a clock
    /// inside a codec).
    pub timestamp_us: u64,
    /// Frequency channel index (LLRP ChannelIndex, R2000 frequency point).
    pub channel: Option<u16>,
    /// RF phase angle as the reader reports it (vendor units).
    pub phase: Option<u16>,
    /// How many times the reader saw the tag in this report (LLRP TagSeenCount).
    pub seen_count: Option<u32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip() {
        let epc = Epc::from_hex("3034257bf7194e4000001a85").unwrap();
        assert_eq!(epc.len(), 12);
        assert_eq!(epc.to_hex(), "3034257BF7194E4000001A85");
        assert_eq!(Epc::from_hex(&epc.to_hex()).unwrap(), epc);
    }

    #[test]
    fn bad_hex_is_refused() {
        assert!(Epc::from_hex("123").is_err());
        assert!(Epc::from_hex("zz").is_err());
        assert!(Epc::from_hex(&"00".repeat(MAX_EPC_BYTES + 1)).is_err());
        assert!(Epc::new(&[0u8; MAX_EPC_BYTES + 1]).is_err());
    }
}
