//! Committed traces made by the independent radio models (`depot::radio`): the test checks
//! the model still makes the committed bytes (so the model's truth applies to them) and
//! replays them. `DEPOT_WRITE_TRACES=1` rewrites them after a deliberate model change.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use depot::engine::trace::{self, Replay, ReplayConfig};
use depot_readers::TagRead;

pub fn trace_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/traces")
        .join(format!("{name}.jsonl"))
}

/// `reads` (from reader `reader`) are the committed trace `name`, `config` its committed
/// configuration; the replay of the committed files.
#[track_caller]
pub fn model_trace(name: &str, reads: &[TagRead], reader: &str, config: &ReplayConfig) -> Replay {
    let path = trace_path(name);
    let mut bytes = Vec::new();
    for read in reads {
        trace::write_read(&mut bytes, read, reader).unwrap();
    }
    if std::env::var_os("DEPOT_WRITE_TRACES").is_some() {
        std::fs::write(&path, &bytes).unwrap();
        std::fs::write(
            trace::config_path(&path),
            serde_json::to_string_pretty(config).unwrap() + "\n",
        )
        .unwrap();
    }
    assert!(
        bytes == std::fs::read(&path).unwrap(),
        "{name}: the radio model no longer produces the committed trace"
    );
    let committed: ReplayConfig =
        serde_json::from_reader(File::open(trace::config_path(&path)).unwrap()).unwrap();
    assert_eq!(&committed, config, "{name}: configuration differs");
    trace::replay(BufReader::new(File::open(&path).unwrap()), &committed).unwrap()
}
