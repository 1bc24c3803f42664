//! Compact tag keys: an EPC of up to 15 bytes (every EPC-96 and EPC-128 tag) packs into
//! 16 bytes with its length; longer EPCs are interned. Keys hash with one folded multiply.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hash, Hasher};

use depot_readers::Epc;

/// The longest EPC that packs inline: the 16th byte holds the length.
const INLINE_BYTES: usize = 15;
/// Length byte that marks an interned EPC; the first four bytes are its index.
const INTERNED: u8 = 0xFF;

/// A tag's key in the engine's maps: 16 bytes in big-endian words, 4-byte aligned so a
/// timer (a `u32` deadline and a key) is 20 bytes, not 24.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct TagKey([u32; 4]);

impl TagKey {
    #[inline]
    fn hi(&self) -> u64 {
        u64::from(self.0[0]) << 32 | u64::from(self.0[1])
    }
    #[inline]
    fn lo(&self) -> u64 {
        u64::from(self.0[2]) << 32 | u64::from(self.0[3])
    }
}

impl Hash for TagKey {
    #[inline]
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(fold(self.hi(), self.lo()));
    }
}

/// Folded 64×64→128 multiply: every input bit reaches the low bits the table indexes by
/// and the high bits its control bytes use, for one multiplication.
#[inline]
fn fold(a: u64, b: u64) -> u64 {
    let p = ((a ^ 0x243F_6A88_85A3_08D3) as u128) * ((b ^ 0x1319_8A2E_0370_7344) as u128);
    (p as u64) ^ ((p >> 64) as u64)
}

/// Passes a precomputed [`TagKey`] hash through; other types are folded 8 bytes at a time.
#[derive(Default, Clone, Copy)]
pub struct KeyHasher(u64);

impl Hasher for KeyHasher {
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
    #[inline]
    fn write_u64(&mut self, v: u64) {
        self.0 = if self.0 == 0 { v } else { fold(self.0, v) };
    }
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(b));
        }
    }
}

/// Deterministic (unseeded) hashing: replays visit maps in the same order every time.
pub type KeyBuild = BuildHasherDefault<KeyHasher>;
pub type KeyMap<V> = HashMap<TagKey, V, KeyBuild>;

/// Turns EPCs into keys and back; owns the few EPCs too long to pack.
#[derive(Debug, Default)]
pub struct Keys {
    long: Vec<Epc>,
    long_index: HashMap<Epc, u32>,
}

impl Keys {
    #[inline]
    pub fn key(&mut self, epc: &Epc) -> TagKey {
        let bytes = epc.as_bytes();
        if bytes.len() <= INLINE_BYTES {
            let mut buf = [0u8; 16];
            buf[..bytes.len()].copy_from_slice(bytes);
            buf[15] = bytes.len() as u8;
            return pack(buf);
        }
        let next = self.long.len() as u32;
        let index = *self.long_index.entry(*epc).or_insert(next);
        if index == next {
            self.long.push(*epc);
        }
        let mut buf = [0u8; 16];
        buf[..4].copy_from_slice(&index.to_le_bytes());
        buf[15] = INTERNED;
        pack(buf)
    }

    /// The key of an EPC already seen, without interning a new one.
    pub fn find(&self, epc: &Epc) -> Option<TagKey> {
        let bytes = epc.as_bytes();
        if bytes.len() <= INLINE_BYTES {
            let mut buf = [0u8; 16];
            buf[..bytes.len()].copy_from_slice(bytes);
            buf[15] = bytes.len() as u8;
            return Some(pack(buf));
        }
        let index = *self.long_index.get(epc)?;
        let mut buf = [0u8; 16];
        buf[..4].copy_from_slice(&index.to_le_bytes());
        buf[15] = INTERNED;
        Some(pack(buf))
    }

    pub fn epc(&self, key: TagKey) -> Epc {
        let mut buf = [0u8; 16];
        buf[..8].copy_from_slice(&key.hi().to_be_bytes());
        buf[8..].copy_from_slice(&key.lo().to_be_bytes());
        if buf[15] == INTERNED {
            let index = u32::from_le_bytes([buf[0], buf[1], buf[2], buf[3]]);
            return self.long[index as usize];
        }
        Epc::new(&buf[..buf[15] as usize]).expect("an inline key holds at most 15 bytes")
    }

    /// Heap bytes held for interned EPCs.
    pub fn heap_bytes(&self) -> usize {
        self.long.capacity() * std::mem::size_of::<Epc>()
            + self.long_index.capacity() * (std::mem::size_of::<(Epc, u32)>() + 1)
    }
}

#[inline]
fn pack(buf: [u8; 16]) -> TagKey {
    let word = |i: usize| u32::from_be_bytes([buf[i], buf[i + 1], buf[i + 2], buf[i + 3]]);
    TagKey([word(0), word(4), word(8), word(12)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_inline_and_interned() {
        let mut keys = Keys::default();
        for hex in [
            "",
            "E2",
            "3034257BF7194E4000001A85",
            "00112233445566778899AABBCCDDEE",
        ] {
            let epc = Epc::from_hex(hex).unwrap();
            let key = keys.key(&epc);
            assert_eq!(keys.epc(key), epc, "{hex}");
            assert_eq!(keys.find(&epc), Some(key));
        }
        let long = Epc::from_hex(&"AB".repeat(32)).unwrap();
        let other = Epc::from_hex(&"CD".repeat(20)).unwrap();
        let (k1, k2) = (keys.key(&long), keys.key(&other));
        assert_ne!(k1, k2);
        assert_eq!(keys.key(&long), k1, "interning is stable");
        assert_eq!(keys.epc(k1), long);
        assert_eq!(keys.epc(k2), other);
    }

    #[test]
    fn inline_keys_of_different_lengths_differ() {
        let mut keys = Keys::default();
        let a = keys.key(&Epc::from_hex("00").unwrap());
        let b = keys.key(&Epc::from_hex("0000").unwrap());
        assert_ne!(a, b);
    }
}
