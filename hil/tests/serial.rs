//! Our UHFReader18 driver against an emulator on a pty built with uhfreader18's frame
//! builders, and our R2000 driver against an emulator whose frames pyimpinj builds. Set
//! `HIL_UHF18_ADDR` (e.g. `uhf18:///dev/ttyUSB0`) or `HIL_R2000_ADDR` to use real readers.

use std::time::Duration;

use depot_hil::{collect_until, quick_config, real_reader, Peer, Seen};
use depot_readers::{spawn, ReaderAddress, ReaderConfig, ReaderEventKind as K};
use tokio::sync::mpsc;

const LIMIT: Duration = Duration::from_secs(20);

fn uhf18_epc(i: u64) -> String {
    format!("E2801105200074{:010X}", 0xA000 + i)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uhf18_answer_mode_on_a_pty() {
    let real = real_reader("HIL_UHF18_ADDR");
    let peer = match real {
        Some(_) => None,
        None => Some(Peer::start("uhf18_emulator.py", &["--tags", "6"]).await),
    };
    let address: ReaderAddress = match (&real, &peer) {
        (Some(a), _) => a.parse().unwrap(),
        (None, Some(p)) => format!("uhf18://{}?baud=57600", p.endpoint())
            .parse()
            .unwrap(),
        _ => unreachable!(),
    };
    let (tx, mut rx) = mpsc::channel(1024);
    let config = ReaderConfig {
        power_dbm: Some(26.0),
        scan_time: Some(3),
        ..quick_config()
    };
    let handle = spawn(address, config, tx);
    let mut seen = Seen::default();
    collect_until(&mut rx, &mut seen, LIMIT, |s| s.reads.len() >= 60).await;
    let K::Connected { description } = &seen.events[0] else {
        panic!("{:?}", seen.events)
    };
    if peer.is_some() {
        assert!(description.contains("firmware 3.30"), "{description}");
        let known: Vec<String> = (0..6).map(uhf18_epc).collect();
        assert!(seen
            .reads
            .iter()
            .all(|r| known.contains(&r.epc.to_hex()) && r.antenna == 1));
        // Six tags arrive as two frames (4 + 2), joined by status 03.
        let distinct: std::collections::HashSet<_> = seen.reads.iter().map(|r| r.epc).collect();
        assert_eq!(distinct.len(), 6);
        assert_eq!(
            seen.count(|e| matches!(e, K::Error { .. } | K::Disconnected { .. })),
            0,
            "{:?}",
            seen.events
        );
    }
    handle.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uhf18_survives_a_noisy_line() {
    let peer = Peer::start("uhf18_emulator.py", &["--tags", "6", "--noise", "3"]).await;
    let address = format!("uhf18://{}", peer.endpoint()).parse().unwrap();
    let (tx, mut rx) = mpsc::channel(1024);
    let handle = spawn(address, quick_config(), tx);
    let mut seen = Seen::default();
    collect_until(&mut rx, &mut seen, LIMIT, |s| s.reads.len() >= 60).await;
    let c = handle.counters();
    assert!(c.bad_crc >= 1 && c.resyncs >= 1, "{c:?}");
    assert_eq!(
        seen.count(|e| matches!(e, K::Disconnected { .. })),
        0,
        "the link survived: {:?}",
        seen.events
    );
    assert_eq!(c.reconnects, 0);
    let known: Vec<String> = (0..6).map(uhf18_epc).collect();
    assert!(
        seen.reads.iter().all(|r| known.contains(&r.epc.to_hex())),
        "no read invented from noise"
    );
    handle.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uhf18_active_mode_and_silence() {
    let peer = Peer::start("uhf18_emulator.py", &["--tags", "4", "--active"]).await;
    let address = format!("uhf18://{}?mode=active", peer.endpoint())
        .parse()
        .unwrap();
    let (tx, mut rx) = mpsc::channel(1024);
    let handle = spawn(address, quick_config(), tx);
    let mut seen = Seen::default();
    collect_until(&mut rx, &mut seen, LIMIT, |s| s.reads.len() >= 20).await;
    let known: Vec<String> = (0..4).map(uhf18_epc).collect();
    assert!(seen.reads.iter().all(|r| known.contains(&r.epc.to_hex())));
    peer.freeze();
    collect_until(&mut rx, &mut seen, LIMIT, |s| {
        s.count(|e| matches!(e, K::Disconnected { .. })) == 1
    })
    .await;
    peer.thaw();
    handle.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r2000_switches_antennas_over_tcp() {
    let real = real_reader("HIL_R2000_ADDR");
    let peer = match real {
        Some(_) => None,
        None => Some(Peer::start("r2000_emulator.py", &["--tags", "9"]).await),
    };
    let address: ReaderAddress = match (&real, &peer) {
        (Some(a), _) => a.parse().unwrap(),
        (None, Some(p)) => format!("r2000+tcp://127.0.0.1:{}", p.endpoint())
            .parse()
            .unwrap(),
        _ => unreachable!(),
    };
    let (tx, mut rx) = mpsc::channel(1024);
    let config = ReaderConfig {
        antennas: vec![1, 2, 3, 4],
        power_dbm: Some(30.0),
        ..quick_config()
    };
    let handle = spawn(address, config, tx);
    let mut seen = Seen::default();
    collect_until(&mut rx, &mut seen, LIMIT, |s| {
        (1..=3).all(|a| s.reads.iter().filter(|r| r.antenna == a).count() >= 6)
    })
    .await;
    assert!(
        matches!(&seen.events[0], K::Connected { description } if description.contains("firmware 1.9"))
    );
    if peer.is_some() {
        for r in &seen.reads {
            // The emulator puts tag i on antenna 1 + i % 3.
            let i = u32::from_str_radix(&r.epc.to_hex()[16..], 16).unwrap() - 0x2000;
            assert_eq!(r.antenna as u32, 1 + i % 3, "{r:?}");
            assert!(
                r.rssi_dbm.is_some_and(|v| (-65..=-31).contains(&v))
                    && r.channel.is_some_and(|c| c < 60)
            );
        }
        assert!(
            seen.events.contains(&K::Antenna {
                antenna: 4,
                connected: false
            }),
            "{:?}",
            seen.events
        );
    }
    handle.stop().await.unwrap();
}
