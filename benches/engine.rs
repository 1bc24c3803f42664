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

/// Keys of the high-duplicate load (100,000 tags, 1M reads), as the tag table sees them.
fn table_keys() -> Vec<u128> {
    let (_, reads) = synth::bench_load(100_000, 1_000_000, 1, 2_000);
    reads
        .iter()
        .map(|r| {
            u128::from_be_bytes(
                r.epc
                    .as_bytes()
                    .iter()
                    .chain([0u8; 4].iter())
                    .copied()
                    .collect::<Vec<_>>()
                    .try_into()
                    .unwrap(),
            )
        })
        .collect()
}

/// The engine's choice: one owner, no locks.
#[divan::bench(sample_count = 5)]
fn table_owned_hashmap(bencher: Bencher) {
    let keys = table_keys();
    bencher
        .counter(ItemsCount::new(keys.len()))
        .bench_local(|| {
            let mut map: std::collections::HashMap<u128, [u32; 6]> =
                std::collections::HashMap::new();
            for (i, k) in keys.iter().enumerate() {
                map.entry(*k).or_insert([0; 6])[0] = i as u32;
            }
            map.len()
        });
}

/// The alternative: a sharded concurrent map, used from the one thread.
#[divan::bench(sample_count = 5)]
fn table_dashmap(bencher: Bencher) {
    let keys = table_keys();
    bencher
        .counter(ItemsCount::new(keys.len()))
        .bench_local(|| {
            let map: dashmap::DashMap<u128, [u32; 6]> = dashmap::DashMap::new();
            for (i, k) in keys.iter().enumerate() {
                map.entry(*k).or_insert([0; 6])[0] = i as u32;
            }
            map.len()
        });
}
