#![no_main]
//! Arbitrary bytes through the LLRP decoder: no panic, progress on every call, and every
//! message it accepts survives encode and decode unchanged.

use bytes::BytesMut;
use depot_readers::llrp::codec::{decode, encode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut buf = BytesMut::from(data);
    loop {
        let before = buf.len();
        match decode(&mut buf) {
            Ok(None) => break,
            Ok(Some(msg)) => {
                let mut again = BytesMut::new();
                encode(&msg, &mut again);
                assert_eq!(decode(&mut again).unwrap(), Some(msg));
            }
            Err(_) => {}
        }
        assert!(buf.len() < before, "decode made no progress");
    }
});
