#![no_main]
//! Arbitrary bytes through the UHFReader18 response and command decoders: no panic,
//! progress on every call, and accepted responses survive encode and decode unchanged.

use bytes::BytesMut;
use depot_readers::uhf18::codec::{decode_command, decode_response, encode_response};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut buf = BytesMut::from(data);
    loop {
        let before = buf.len();
        match decode_response(&mut buf) {
            Ok(None) => break,
            Ok(Some(r)) => {
                let mut again = BytesMut::new();
                encode_response(&r, &mut again);
                assert_eq!(decode_response(&mut again).unwrap(), Some(r));
            }
            Err(_) => {}
        }
        assert!(buf.len() < before, "decode made no progress");
    }
    let mut buf = BytesMut::from(data);
    while let Ok(Some(_)) | Err(_) = decode_command(&mut buf) {}
});
