//! The shared framing over `tokio::io::duplex`: bad input becomes counted items, never the
//! end of the stream.

use std::sync::Arc;

use bytes::BytesMut;
use depot_readers::llrp::{codec as llrp, message::*, transport::Llrp};
use depot_readers::transport::{framed, Counters};
use depot_readers::uhf18::{codec as uhf18, message as u18, transport::Uhf18};
use depot_readers::Epc;
use futures_util::{SinkExt, StreamExt};
use tokio::io::AsyncWriteExt;

#[tokio::test]
async fn llrp_stream_survives_garbage_and_malformed_messages() {
    let (client, mut reader) = tokio::io::duplex(4096);
    let counters = Arc::new(Counters::default());
    let mut t = framed::<_, Llrp>(client, counters.clone());
    let mut bytes = BytesMut::new();
    bytes.extend_from_slice(&[0xFF; 7]); // line noise: cannot be an LLRP header
    llrp::encode(
        &Message {
            id: 1,
            body: Body::Keepalive,
        },
        &mut bytes,
    );
    // A well-framed report whose only parameter is a TV type nobody defines.
    bytes.extend_from_slice(&[0x04, 0x3D, 0, 0, 0, 11, 0, 0, 0, 2, 0xFF]);
    llrp::encode(
        &Message {
            id: 3,
            body: Body::KeepaliveAck,
        },
        &mut bytes,
    );
    // Written in small pieces, as TCP may deliver them.
    for chunk in bytes.chunks(5) {
        reader.write_all(chunk).await.unwrap();
    }
    drop(reader);
    let mut items = Vec::new();
    while let Some(item) = t.next().await {
        items.push(item.unwrap());
    }
    let good: Vec<_> = items
        .iter()
        .filter_map(|i| i.as_ref().ok())
        .map(|m| m.id)
        .collect();
    assert_eq!(good, [1, 3]);
    assert!(items
        .iter()
        .any(|i| matches!(i, Err(llrp::DecodeError::Malformed { id: 2, .. }))));
    let c = counters.snapshot();
    assert_eq!((c.frames, c.malformed), (2, 1));
    assert!(c.resyncs >= 1);
}

#[tokio::test]
async fn uhf18_commands_go_out_and_bad_crc_is_counted() {
    let (host, mut reader) = tokio::io::duplex(4096);
    let counters = Arc::new(Counters::default());
    let mut t = framed::<_, Uhf18>(host, counters.clone());
    t.send(u18::Command::Inventory { adr: 0 }).await.unwrap();
    let mut sent = [0u8; 5];
    tokio::io::AsyncReadExt::read_exact(&mut reader, &mut sent)
        .await
        .unwrap();
    assert_eq!(
        sent,
        [0x04, 0x00, 0x01, 0xDB, 0x4B],
        "the bytes uhfreader18 builds"
    );

    let tag = u18::Response::Inventory {
        adr: 0,
        status: 1,
        epcs: vec![Epc::from_hex("E2801105200074000000A000").unwrap()],
    };
    let mut bytes = BytesMut::new();
    uhf18::encode_response(&tag, &mut bytes);
    let n = bytes.len();
    bytes[n - 2] ^= 0x01;
    uhf18::encode_response(&tag, &mut bytes);
    reader.write_all(&bytes).await.unwrap();
    drop(reader);
    let mut good = Vec::new();
    while let Some(item) = t.next().await {
        if let Ok(r) = item.unwrap() {
            good.push(r);
        }
    }
    assert_eq!(good, [tag]);
    let c = counters.snapshot();
    assert_eq!((c.frames, c.bad_crc), (1, 1));
}
