//! Replays the fuzzers' seed corpus (readers/fuzz/corpus/) through the decoders with the
//! same checks as the fuzz targets, so the normal test command covers it without cargo-fuzz.

use std::path::PathBuf;

use bytes::BytesMut;
use depot_readers::{llrp, r2000, uhf18};

fn corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    files.sort();
    assert!(files.len() >= 3, "{target}: seed corpus missing");
    files
}

/// Runs `step` until the buffer is drained or waits; every call must make progress.
/// Returns how many frames were accepted.
fn drain<T, E>(
    name: &str,
    data: &[u8],
    mut step: impl FnMut(&mut BytesMut) -> Result<Option<T>, E>,
) -> usize {
    let mut buf = BytesMut::from(data);
    let mut accepted = 0;
    loop {
        let before = buf.len();
        match step(&mut buf) {
            Ok(None) => return accepted,
            Ok(Some(_)) => accepted += 1,
            Err(_) => {}
        }
        assert!(buf.len() < before, "{name}: decode made no progress");
    }
}

#[test]
fn llrp_corpus() {
    let mut accepted = 0;
    for (name, data) in corpus("llrp_decode") {
        accepted += drain(&name, &data, |buf| {
            let r = llrp::codec::decode(buf);
            if let Ok(Some(msg)) = &r {
                let mut again = BytesMut::new();
                llrp::codec::encode(msg, &mut again);
                assert_eq!(
                    llrp::codec::decode(&mut again).unwrap().as_ref(),
                    Some(msg),
                    "{name}"
                );
            }
            r
        });
    }
    assert!(accepted >= 7, "the seeds are real messages");
}

#[test]
fn uhf18_corpus() {
    let mut accepted = 0;
    for (name, data) in corpus("uhf18_decode") {
        accepted += drain(&name, &data, |buf| {
            let r = uhf18::codec::decode_response(buf);
            if let Ok(Some(resp)) = &r {
                let mut again = BytesMut::new();
                uhf18::codec::encode_response(resp, &mut again);
                assert_eq!(
                    uhf18::codec::decode_response(&mut again).unwrap().as_ref(),
                    Some(resp),
                    "{name}"
                );
            }
            r
        });
        drain(&name, &data, uhf18::codec::decode_command);
    }
    assert!(accepted >= 8);
}

#[test]
fn r2000_corpus() {
    let mut accepted = 0;
    for (name, data) in corpus("r2000_decode") {
        accepted += drain(&name, &data, |buf| {
            let r = r2000::codec::decode_frame(buf);
            if let Ok(Some(frame)) = &r {
                let mut again = BytesMut::new();
                r2000::codec::encode_frame(frame, &mut again);
                assert_eq!(
                    r2000::codec::decode_frame(&mut again).unwrap().as_ref(),
                    Some(frame),
                    "{name}"
                );
                let _ = r2000::codec::interpret(frame.clone());
            }
            r
        });
    }
    assert!(accepted >= 10);
}

/// The tag-access seeds mean what their names say: answers that are errors as a whole frame
/// (consumed, not waited on), and answers that decode to what the reader meant.
#[test]
fn access_answer_seeds() {
    use std::collections::BTreeMap;
    let u: BTreeMap<_, _> = corpus("uhf18_decode").into_iter().collect();
    let decode = |name: &str| {
        let mut buf = BytesMut::from(&u[name][..]);
        let r = uhf18::codec::decode_response(&mut buf);
        assert!(buf.is_empty(), "{name}: the whole frame is consumed");
        r
    };
    for name in ["tag_error_without_code", "read_data_odd_bytes"] {
        assert!(
            matches!(
                decode(name),
                Err(uhf18::codec::DecodeError::Malformed { .. })
            ),
            "{name}"
        );
    }
    assert!(matches!(
        decode("write_data_locked"),
        Ok(Some(uhf18::message::Response::TagError {
            cmd: 0x03,
            code: 0x04,
            ..
        }))
    ));
    assert_eq!(
        decode("read_data_pc"),
        Ok(Some(uhf18::message::Response::Data {
            adr: 0,
            words: vec![0x3000]
        }))
    );

    let r: BTreeMap<_, _> = corpus("r2000_decode").into_iter().collect();
    let interpret = |name: &str| {
        let frame = r2000::codec::decode_frame(&mut BytesMut::from(&r[name][..]))
            .unwrap()
            .expect("a whole frame");
        r2000::codec::interpret(frame)
    };
    for name in ["write_datalen_too_long", "write_datalen_short"] {
        assert!(
            matches!(
                interpret(name),
                Err(r2000::codec::DecodeError::Malformed { .. })
            ),
            "{name}"
        );
    }
    let Ok(r2000::message::Response::Access(a)) = interpret("write_ok") else {
        panic!("write_ok")
    };
    assert_eq!((a.code, a.tag_count, a.epc.len()), (0x10, 1, 12));
    assert!(matches!(
        interpret("write_no_tag"),
        Ok(r2000::message::Response::Status {
            cmd: 0x82,
            code: 0x36,
            ..
        })
    ));
}
