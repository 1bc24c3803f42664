//! Our LLRP client against llrpkit's reader emulator (a separate process on a real TCP
//! socket), or against the reader named by `HIL_LLRP_ADDR` (e.g. `llrp://10.0.0.5`).

use std::time::Duration;

use depot_hil::{collect_until, quick_config, real_reader, Peer, Seen};
use depot_readers::{spawn, ReaderAddress, ReaderEventKind as K, ReaderId};
use tokio::sync::mpsc;

const LIMIT: Duration = Duration::from_secs(20);

async fn emulator(args: &[&str]) -> (Peer, ReaderAddress) {
    let peer = Peer::start("llrp_emulator.py", args).await;
    let addr = format!("llrp://127.0.0.1:{}", peer.endpoint())
        .parse()
        .unwrap();
    (peer, addr)
}

/// The default population of llrpkit's emulator: tag i has EPC E20000170 10B0162 1000 i and
/// sits on antenna 1 + i % 4.
fn emulated_antenna(epc: &[u8]) -> Option<u16> {
    let prefix = [0xE2, 0x00, 0x00, 0x17, 0x01, 0x0B, 0x01, 0x62, 0x10, 0x00];
    (epc.len() == 12 && epc[..10] == prefix).then(|| 1 + u16::from_be_bytes([epc[10], epc[11]]) % 4)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handshake_and_reports() {
    let real = real_reader("HIL_LLRP_ADDR");
    let (peer, address) = match &real {
        Some(a) => (None, a.parse().expect("HIL_LLRP_ADDR is a reader address")),
        None => {
            let (p, a) = emulator(&["--tags", "8", "--rate", "300"]).await;
            (Some(p), a)
        }
    };
    let (tx, mut rx) = mpsc::channel(1024);
    let handle = spawn(address, quick_config(), tx);
    let mut seen = Seen::default();
    collect_until(&mut rx, &mut seen, LIMIT, |s| s.reads.len() >= 50).await;
    assert!(
        matches!(seen.events[0], K::Connected { .. }),
        "{:?}",
        seen.events
    );
    assert!(seen.events.contains(&K::InventoryStarted));
    if peer.is_some() {
        assert_eq!(
            seen.count(|e| matches!(e, K::Error { .. } | K::Disconnected { .. })),
            0,
            "{:?}",
            seen.events
        );
        for r in &seen.reads {
            assert_eq!(Some(r.antenna), emulated_antenna(r.epc.as_bytes()), "{r:?}");
            assert!(
                r.rssi_dbm.is_some_and(|v| (-90..=-30).contains(&v)),
                "{r:?}"
            );
            assert!(r.channel.is_some_and(|c| (1..=50).contains(&c)), "{r:?}");
            assert_eq!(r.seen_count, Some(1));
            assert_eq!(r.reader, ReaderId(0));
        }
        let distinct: std::collections::HashSet<_> = seen.reads.iter().map(|r| r.epc).collect();
        assert!(distinct.len() >= 4, "only {} distinct tags", distinct.len());
    }
    let counters = handle.counters();
    assert!(
        counters.reads >= 50 && counters.frames >= 50,
        "{counters:?}"
    );
    assert_eq!((counters.malformed, counters.resyncs), (0, 0));
    handle.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keepalives_are_acknowledged_and_inventory_can_pause() {
    let (mut peer, address) = emulator(&["--rate", "100"]).await;
    let (tx, mut rx) = mpsc::channel(1024);
    let config = depot_readers::ReaderConfig {
        inventory_on_connect: false,
        ..quick_config()
    };
    let handle = spawn(address, config, tx);
    let mut seen = Seen::default();
    collect_until(&mut rx, &mut seen, LIMIT, |s| {
        s.count(|e| matches!(e, K::Connected { .. })) == 1
    })
    .await;
    // The emulator sends a KEEPALIVE every 300 ms; wait for it to have had three ACKs.
    let deadline = tokio::time::Instant::now() + LIMIT;
    loop {
        let acks: u32 = peer
            .ask("acks")
            .await
            .trim_start_matches("acks ")
            .parse()
            .unwrap();
        if acks >= 3 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "only {acks} KEEPALIVE_ACKs"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(seen.reads.is_empty(), "inventory was off");
    handle.set_inventory(true);
    collect_until(&mut rx, &mut seen, LIMIT, |s| s.reads.len() >= 10).await;
    handle.set_inventory(false);
    collect_until(&mut rx, &mut seen, LIMIT, |s| {
        s.events.contains(&K::InventoryStopped)
    })
    .await;
    // Antenna events pass through while connected.
    assert_eq!(peer.ask("antenna 2 0").await, "ok");
    collect_until(&mut rx, &mut seen, LIMIT, |s| {
        s.events.contains(&K::Antenna {
            antenna: 2,
            connected: false,
        })
    })
    .await;
    assert_eq!(
        seen.count(|e| matches!(e, K::Disconnected { .. })),
        0,
        "{:?}",
        seen.events
    );
    handle.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconnects_after_the_emulator_restarts() {
    let (peer, address) = emulator(&["--rate", "300"]).await;
    let port = peer.endpoint().to_owned();
    let (tx, mut rx) = mpsc::channel(1024);
    let handle = spawn(address, quick_config(), tx);
    let mut seen = Seen::default();
    collect_until(&mut rx, &mut seen, LIMIT, |s| s.reads.len() >= 10).await;
    peer.kill().await;
    collect_until(&mut rx, &mut seen, LIMIT, |s| {
        s.count(|e| matches!(e, K::Disconnected { .. })) == 1
    })
    .await;
    let before = seen.reads.len();
    let _again = Peer::start("llrp_emulator.py", &["--port", &port, "--rate", "300"]).await;
    collect_until(&mut rx, &mut seen, LIMIT, |s| {
        s.count(|e| matches!(e, K::Connected { .. })) == 2 && s.reads.len() >= before + 10
    })
    .await;
    assert!(handle.counters().reconnects >= 1);
    handle.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_reader_is_detected_by_keepalive_silence() {
    let (peer, address) = emulator(&["--rate", "50"]).await;
    let (tx, mut rx) = mpsc::channel(1024);
    let handle = spawn(address, quick_config(), tx);
    let mut seen = Seen::default();
    collect_until(&mut rx, &mut seen, LIMIT, |s| s.reads.len() >= 5).await;
    // Frozen, the emulator keeps its socket open but sends neither reports nor keepalives.
    peer.freeze();
    collect_until(&mut rx, &mut seen, LIMIT, |s| {
        s.count(|e| matches!(e, K::Disconnected { .. })) == 1
    })
    .await;
    let reason = seen.events.iter().find_map(|e| match e {
        K::Disconnected { reason } => Some(reason.clone()),
        _ => None,
    });
    assert!(
        reason.as_deref().is_some_and(|r| r.contains("silent")),
        "{reason:?}"
    );
    peer.thaw();
    handle.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_client_is_refused_and_gives_up() {
    let (_peer, address) = emulator(&[]).await;
    let (tx, mut rx) = mpsc::channel(1024);
    let first = spawn(address.clone(), quick_config(), tx);
    let mut seen = Seen::default();
    collect_until(&mut rx, &mut seen, LIMIT, |s| !s.reads.is_empty()).await;
    let (tx2, _rx2) = mpsc::channel(1024);
    let config = depot_readers::ReaderConfig {
        max_attempts: Some(2),
        ..quick_config()
    };
    let mut second = spawn(address, config, tx2);
    let err = second.join().await.unwrap_err();
    assert!(err.to_string().contains("another client"), "{err}");
    first.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_messages_and_garbage_do_not_cost_the_connection() {
    let (mut peer, address) = emulator(&["--rate", "200"]).await;
    let (tx, mut rx) = mpsc::channel(1024);
    let handle = spawn(address, quick_config(), tx);
    let mut seen = Seen::default();
    collect_until(&mut rx, &mut seen, LIMIT, |s| s.reads.len() >= 10).await;
    // A well-framed RO_ACCESS_REPORT whose TagReportData has no EPC, then line noise.
    #[rustfmt::skip]
    let injected = [
        "043d", "00000011", "00000005", // RO_ACCESS_REPORT, 17 bytes, id 5
        "00f00007", "810001",           // TagReportData holding only AntennaID 1
        "ffffff",                       // noise
    ]
    .concat();
    assert_eq!(peer.ask(&format!("inject {injected}")).await, "ok");
    let before = seen.reads.len();
    collect_until(&mut rx, &mut seen, LIMIT, |s| s.reads.len() >= before + 20).await;
    let c = handle.counters();
    assert!(c.malformed >= 1 && c.resyncs >= 1, "{c:?}");
    assert_eq!(
        seen.count(|e| matches!(e, K::Disconnected { .. })),
        0,
        "{:?}",
        seen.events
    );
    assert!(
        seen.count(|e| matches!(e, K::Error { message } if message.contains("malformed"))) >= 1
    );
    handle.stop().await.unwrap();
}
