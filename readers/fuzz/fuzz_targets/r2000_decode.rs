#![no_main]
//! Arbitrary bytes through the R2000 decoder: no panic, progress on every call, and every
//! frame it accepts is re-encoded to the very bytes it came from.

use bytes::BytesMut;
use depot_readers::r2000::codec::{decode_frame, encode_frame, interpret};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut buf = BytesMut::from(data);
    loop {
        let before = buf.len();
        match decode_frame(&mut buf) {
            Ok(None) => break,
            Ok(Some(frame)) => {
                let mut again = BytesMut::new();
                encode_frame(&frame, &mut again);
                assert_eq!(decode_frame(&mut again).unwrap(), Some(frame.clone()));
                let _ = interpret(frame);
            }
            Err(_) => {}
        }
        assert!(buf.len() < before, "decode made no progress");
    }
});
