//! Writing EPCs through LLRP against llrpkit's reader emulator, which keeps each tag's
//! memory and runs AccessSpecs against the tags it reports: the write, the read-back, and
//! the writes that must be refused leaving every tag as it was.

use std::time::Duration;

use depot_hil::Peer;
use depot_readers::{write_epc, Epc, ReaderAddress, WriteError, WriteRequest};
use tokio::time::Instant;

const LIMIT: Duration = Duration::from_secs(20);
const OLD: &str = "E20000170110B01621000001";
const OTHER: &str = "E20000170110B01621000002";
const NEW: &str = "3034257BF400B78000000001";

fn epc(hex: &str) -> Epc {
    Epc::from_hex(hex).unwrap()
}

async fn emulator(epcs: &[&str]) -> (Peer, ReaderAddress) {
    let list = epcs.join(",");
    let peer = Peer::start("llrp_emulator.py", &["--epcs", &list, "--rate", "200"]).await;
    let addr = format!("llrp://127.0.0.1:{}", peer.endpoint())
        .parse()
        .unwrap();
    (peer, addr)
}

/// The EPCs the emulated tags carry now, sorted.
async fn tags(peer: &mut Peer) -> Vec<String> {
    let line = peer.ask("epcs").await;
    line.split_whitespace().skip(1).map(str::to_owned).collect()
}

fn request(new: &str, from: Option<&str>) -> WriteRequest {
    WriteRequest {
        from: from.map(epc),
        survey: Duration::from_millis(500),
        ..WriteRequest::new(epc(new))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_only_tag_is_written_and_read_back() {
    let (mut peer, address) = emulator(&[OLD]).await;
    let written = write_epc(&address, &request(NEW, None), Instant::now() + LIMIT)
        .await
        .unwrap();
    assert_eq!((written.old, written.new), (epc(OLD), epc(NEW)));
    assert_eq!(written.words, 6);
    assert!(written.reads_after >= 1, "{written:?}");
    assert_eq!(tags(&mut peer).await, [NEW]);
    // The session cleaned up and closed: a second one is accepted and writes it back.
    let back = write_epc(&address, &request(OLD, Some(NEW)), Instant::now() + LIMIT)
        .await
        .unwrap();
    assert_eq!(back.old, epc(NEW));
    assert_eq!(tags(&mut peer).await, [OLD]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_named_tag_is_written_and_its_neighbour_is_not() {
    let (mut peer, address) = emulator(&[OLD, OTHER]).await;
    let written = write_epc(&address, &request(NEW, Some(OTHER)), Instant::now() + LIMIT)
        .await
        .unwrap();
    assert_eq!(written.old, epc(OTHER));
    assert_eq!(tags(&mut peer).await, [NEW, OLD]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_writes_leave_every_tag_as_it_was() {
    let (mut peer, address) = emulator(&[OLD, OTHER]).await;
    let deadline = || Instant::now() + LIMIT;

    // Two tags and no name: refuse rather than write the wrong one.
    let err = write_epc(&address, &request(NEW, None), deadline())
        .await
        .unwrap_err();
    assert_eq!(err, WriteError::SeveralTags(vec![epc(OLD), epc(OTHER)]));

    // A tag that is not there.
    let err = write_epc(&address, &request(NEW, Some(NEW)), deadline())
        .await
        .unwrap_err();
    assert_eq!(err, WriteError::TagNotFound(epc(NEW)));

    // The EPC is already on the other tag.
    let err = write_epc(&address, &request(OTHER, Some(OLD)), deadline())
        .await
        .unwrap_err();
    assert_eq!(err, WriteError::EpcInField(epc(OTHER)));

    // A protected tag and the wrong access password, then the right one.
    assert_eq!(peer.ask(&format!("password {OLD} 1234ABCD")).await, "ok");
    let err = write_epc(&address, &request(NEW, Some(OLD)), deadline())
        .await
        .unwrap_err();
    assert_eq!(err, WriteError::WrongPassword);
    assert_eq!(tags(&mut peer).await, [OLD, OTHER]);
    let right = WriteRequest {
        access_password: 0x1234_ABCD,
        ..request(NEW, Some(OLD))
    };
    write_epc(&address, &right, deadline()).await.unwrap();
    assert_eq!(tags(&mut peer).await, [NEW, OTHER]);

    // A locked EPC bank.
    assert_eq!(peer.ask(&format!("lock {OTHER}")).await, "ok");
    let err = write_epc(&address, &request(OLD, Some(OTHER)), deadline())
        .await
        .unwrap_err();
    assert_eq!(err, WriteError::Locked);
    assert_eq!(tags(&mut peer).await, [NEW, OTHER]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_and_absent_readers_are_errors() {
    let (mut peer, address) = emulator(&[OLD]).await;
    // An EPC of another length rewrites the PC word from word 1, which the emulator does not
    // model: it answers with a memory overrun, and the tag keeps its EPC.
    let err = write_epc(
        &address,
        &request("3034257BF400B780", None),
        Instant::now() + LIMIT,
    )
    .await
    .unwrap_err();
    assert_eq!(err, WriteError::Overrun(epc("3034257BF400B780")));
    assert_eq!(tags(&mut peer).await, [OLD]);
    // Not whole words.
    let err = write_epc(
        &address,
        &request("3034257BF4", None),
        Instant::now() + LIMIT,
    )
    .await
    .unwrap_err();
    assert!(matches!(err, WriteError::BadEpc(_)), "{err:?}");

    // No reader on the port.
    let port = peer.endpoint().to_owned();
    peer.kill().await;
    let gone: ReaderAddress = format!("llrp://127.0.0.1:{port}").parse().unwrap();
    let err = write_epc(&gone, &request(NEW, None), Instant::now() + LIMIT)
        .await
        .unwrap_err();
    assert!(matches!(err, WriteError::Unreachable(_)), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_reader_times_out_at_the_deadline() {
    let (peer, address) = emulator(&[OLD]).await;
    peer.freeze();
    let started = Instant::now();
    let err = write_epc(
        &address,
        &request(NEW, None),
        started + Duration::from_secs(2),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, WriteError::Timeout(_)), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    peer.thaw();
}
