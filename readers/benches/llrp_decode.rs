//! Decode of an RO_ACCESS_REPORT with 100 TagReportData into TagReads (the fixture made by
//! llrpkit). `depot bench llrp` runs the same decode next to sllurp and prints the ratio.

use bytes::BytesMut;
use depot_readers::llrp::{codec, message::Body};
use depot_readers::{ReaderId, TagRead};

const REPORT: &[u8] = include_bytes!("../tests/fixtures/llrp/ro_access_report_100.bin");

fn main() {
    divan::main();
}

#[divan::bench]
fn report_100_tags_to_tag_reads(b: divan::Bencher) {
    let mut reads: Vec<TagRead> = Vec::with_capacity(128);
    b.counter(divan::counter::ItemsCount::new(100usize))
        .bench_local(|| {
            let mut buf = BytesMut::from(REPORT);
            let Some(msg) = codec::decode(&mut buf).unwrap() else {
                unreachable!("whole message")
            };
            let Body::RoAccessReport { tags } = msg.body else {
                unreachable!("a report")
            };
            reads.clear();
            reads.extend(tags.iter().map(|t| t.to_tag_read(ReaderId(0), 0)));
            divan::black_box(&reads);
        });
}
