//! Writing EPCs over the serial protocols, the same cases as `tag_write.rs` over LLRP: a
//! UHFReader18 emulator on a pty and an R2000 emulator on TCP, each keeping every tag's EPC
//! bank, access password and lock, and saying on its control channel what the tags carry now.

use std::time::Duration;

use depot_hil::Peer;
use depot_readers::{survey_field, write_epc, Epc, ReaderAddress, WriteError, WriteRequest};
use tokio::time::Instant;

const LIMIT: Duration = Duration::from_secs(20);
const OLD: &str = "E20000170110B01621000001";
const OTHER: &str = "E20000170110B01621000002";
const NEW: &str = "3034257BF400B78000000001";
/// 128 bits: two words longer than the others.
const LONG: &str = "3034257BF400B7800000000100000002";

#[derive(Debug, Clone, Copy)]
enum Proto {
    Uhf18,
    R2000,
}

fn epc(hex: &str) -> Epc {
    Epc::from_hex(hex).unwrap()
}

/// An emulator of `proto` with the tags `epcs` in its field and `extra` arguments.
async fn emulator(proto: Proto, epcs: &[&str], extra: &[&str]) -> (Peer, ReaderAddress) {
    let list = epcs.join(",");
    let mut args = vec!["--epcs", &list];
    args.extend_from_slice(extra);
    let (script, address): (_, fn(&str) -> String) = match proto {
        Proto::Uhf18 => ("uhf18_emulator.py", |pty| format!("uhf18://{pty}")),
        Proto::R2000 => ("r2000_emulator.py", |port| {
            format!("r2000+tcp://127.0.0.1:{port}")
        }),
    };
    let peer = Peer::start(script, &args).await;
    let addr = address(peer.endpoint()).parse().unwrap();
    (peer, addr)
}

/// The EPCs the emulated tags carry now, sorted.
async fn tags(peer: &mut Peer) -> Vec<String> {
    let line = peer.ask("epcs").await;
    assert!(line.starts_with("epcs"), "{line}");
    line.split_whitespace().skip(1).map(str::to_owned).collect()
}

/// After a session, no R2000 access selection is left behind.
async fn no_selection_left(proto: Proto, peer: &mut Peer) {
    if let Proto::R2000 = proto {
        assert_eq!(peer.ask("match").await, "match none");
    }
}

fn request(new: &str, from: Option<&str>) -> WriteRequest {
    WriteRequest {
        from: from.map(epc),
        survey: Duration::from_millis(500),
        ..WriteRequest::new(epc(new))
    }
}

fn deadline() -> Instant {
    Instant::now() + LIMIT
}

async fn the_only_tag_is_written_and_read_back(proto: Proto) {
    let (mut peer, address) = emulator(proto, &[OLD], &[]).await;
    assert_eq!(
        survey_field(&address, Duration::from_millis(300), deadline())
            .await
            .unwrap(),
        [epc(OLD)]
    );
    let written = write_epc(&address, &request(NEW, None), deadline())
        .await
        .unwrap();
    assert_eq!((written.old, written.new), (epc(OLD), epc(NEW)));
    assert_eq!(written.words, 6);
    assert!(written.reads_after >= 1, "{written:?}");
    assert_eq!(tags(&mut peer).await, [NEW]);
    no_selection_left(proto, &mut peer).await;
    // The session let go of the reader: a second one writes it back.
    let back = write_epc(&address, &request(OLD, Some(NEW)), deadline())
        .await
        .unwrap();
    assert_eq!(back.old, epc(NEW));
    assert_eq!(tags(&mut peer).await, [OLD]);
    no_selection_left(proto, &mut peer).await;
}

async fn the_named_tag_is_written_and_its_neighbour_is_not(proto: Proto) {
    let (mut peer, address) = emulator(proto, &[OLD, OTHER], &[]).await;
    let written = write_epc(&address, &request(NEW, Some(OTHER)), deadline())
        .await
        .unwrap();
    assert_eq!(written.old, epc(OTHER));
    assert_eq!(tags(&mut peer).await, [NEW, OLD]);
}

async fn refused_writes_leave_every_tag_as_it_was(proto: Proto) {
    let password = format!("{OLD}=1234ABCD");
    let (mut peer, address) = emulator(
        proto,
        &[OLD, OTHER],
        &["--password", &password, "--locked", OTHER],
    )
    .await;
    let both = [OLD, OTHER];

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
    assert_eq!(tags(&mut peer).await, both);

    // A protected tag: no password, then the wrong one, then the right one.
    let err = write_epc(&address, &request(NEW, Some(OLD)), deadline())
        .await
        .unwrap_err();
    assert_eq!(err, WriteError::WrongPassword);
    let wrong = WriteRequest {
        access_password: 0x1234_ABCE,
        ..request(NEW, Some(OLD))
    };
    let err = write_epc(&address, &wrong, deadline()).await.unwrap_err();
    assert_eq!(err, WriteError::WrongPassword);
    assert_eq!(tags(&mut peer).await, both);
    no_selection_left(proto, &mut peer).await;
    let right = WriteRequest {
        access_password: 0x1234_ABCD,
        ..request(NEW, Some(OLD))
    };
    write_epc(&address, &right, deadline()).await.unwrap();
    assert_eq!(tags(&mut peer).await, [NEW, OTHER]);

    // A locked EPC bank.
    let err = write_epc(&address, &request(OLD, Some(OTHER)), deadline())
        .await
        .unwrap_err();
    assert_eq!(err, WriteError::Locked);
    assert_eq!(tags(&mut peer).await, [NEW, OTHER]);
    no_selection_left(proto, &mut peer).await;
}

async fn a_length_change_rewrites_the_pc_word(proto: Proto) {
    let (mut peer, address) = emulator(proto, &[OLD], &["--epc-words", "8"]).await;
    // 96 to 128 bits: the PC word and eight words of EPC. The tag reports as many words as
    // its PC word says, so reading all 128 bits back proves the PC word was rewritten.
    let written = write_epc(&address, &request(LONG, None), deadline())
        .await
        .unwrap();
    assert_eq!((written.old, written.words), (epc(OLD), 9));
    assert_eq!(tags(&mut peer).await, [LONG]);
    assert_eq!(
        survey_field(&address, Duration::from_millis(300), deadline())
            .await
            .unwrap(),
        [epc(LONG)]
    );
    // And back to 96 bits.
    let back = write_epc(&address, &request(OLD, Some(LONG)), deadline())
        .await
        .unwrap();
    assert_eq!(back.words, 7);
    assert_eq!(tags(&mut peer).await, [OLD]);
    // 160 bits do not fit in the tag's 128: refused, and the tag keeps its EPC.
    let too_long = "3034257BF400B780000000010000000200000003";
    let err = write_epc(&address, &request(too_long, None), deadline())
        .await
        .unwrap_err();
    assert_eq!(err, WriteError::Overrun(epc(too_long)));
    assert_eq!(tags(&mut peer).await, [OLD]);
}

async fn bad_requests_and_absent_readers_are_errors(proto: Proto) {
    let (peer, address) = emulator(proto, &[OLD], &[]).await;
    // Not whole words.
    let err = write_epc(&address, &request("3034257BF4", None), deadline())
        .await
        .unwrap_err();
    assert!(matches!(err, WriteError::BadEpc(_)), "{err:?}");

    // A reader that does not answer at all is taken for no reader, before the deadline.
    peer.freeze();
    let started = Instant::now();
    let err = write_epc(&address, &request(NEW, None), deadline())
        .await
        .unwrap_err();
    assert!(matches!(err, WriteError::Unreachable(_)), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(10));
    peer.thaw();

    // Nothing at the address.
    peer.kill().await;
    let err = write_epc(&address, &request(NEW, None), deadline())
        .await
        .unwrap_err();
    assert!(matches!(err, WriteError::Unreachable(_)), "{err:?}");
    let err = survey_field(&address, Duration::from_millis(300), deadline())
        .await
        .unwrap_err();
    assert!(matches!(err, WriteError::Unreachable(_)), "{err:?}");
}

async fn a_silent_reader_times_out_at_the_deadline(proto: Proto) {
    let (peer, address) = emulator(proto, &[OLD], &[]).await;
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

macro_rules! both {
    ($($case:ident),* $(,)?) => {
        mod uhf18 {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    super::$case(super::Proto::Uhf18).await
                }
            )*
        }
        mod r2000 {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    super::$case(super::Proto::R2000).await
                }
            )*
        }
    };
}

both!(
    the_only_tag_is_written_and_read_back,
    the_named_tag_is_written_and_its_neighbour_is_not,
    refused_writes_leave_every_tag_as_it_was,
    a_length_change_rewrites_the_pc_word,
    bad_requests_and_absent_readers_are_errors,
    a_silent_reader_times_out_at_the_deadline,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_uhf18_in_active_mode_cannot_write() {
    let (peer, _) = emulator(Proto::Uhf18, &[OLD], &[]).await;
    let active: ReaderAddress = format!("uhf18://{}?mode=active", peer.endpoint())
        .parse()
        .unwrap();
    let err = write_epc(&active, &request(NEW, None), deadline())
        .await
        .unwrap_err();
    assert!(matches!(err, WriteError::Unsupported(_)), "{err:?}");
}
