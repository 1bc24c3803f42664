//! Engine benchmarks (divan): smoothing throughput on the high-duplicate load, and a
//! trace replayed end to end. `depot bench engine` prints the full-size figures.

use std::io::BufReader;

use depot::engine::synth;
use depot::engine::trace::{self, ReplayConfig};
use depot::engine::{Engine, Fact};
use divan::counter::ItemsCount;
use divan::Bencher;

fn main() {
    divan::main();
}

/// 100,000 distinct tags, 1,000,000 reads: the `depot bench engine` load at a tenth.
#[divan::bench(sample_count = 5)]
fn ingest_high_duplicate(bencher: Bencher) {
    let (config, reads) = synth::bench_load(100_000, 1_000_000, 1, 2_000);
    bencher
        .counter(ItemsCount::new(reads.len()))
        .with_inputs(|| Engine::new(config.clone()).unwrap())
        .bench_local_values(|mut engine| {
            let mut facts: Vec<Fact> = Vec::with_capacity(64);
            for read in &reads {
                engine.ingest(read, &mut facts);
                facts.clear();
            }
            engine
        });
}

/// The committed gate-out trace, parsed and replayed.
#[divan::bench(sample_count = 10)]
fn replay_gate_out_trace(bencher: Bencher) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/traces");
    let text = std::fs::read(dir.join("gate-out.jsonl")).unwrap();
    let config: ReplayConfig =
        serde_json::from_slice(&std::fs::read(dir.join("gate-out.config.json")).unwrap()).unwrap();
    let lines = text.iter().filter(|&&b| b == b'\n').count();
    bencher.counter(ItemsCount::new(lines)).bench_local(|| {
        trace::replay(BufReader::new(&text[..]), &config)
            .unwrap()
            .facts
            .len()
    });
}
