//! `depot replay`, `depot record` and `depot trace synth` as a person runs them.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn depot(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_depot"))
        .args(args)
        .env("DEPOT_LOG", "warn")
        .output()
        .expect("depot runs")
}

fn traces() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/traces")
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("depot-engine-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

#[test]
fn replay_prints_the_same_facts_every_time() {
    for name in ["gate-out", "gate-in", "cross-read", "stocktake"] {
        let path = traces().join(format!("{name}.jsonl"));
        let path = path.to_str().unwrap();
        let (a, b) = (depot(&["replay", path]), depot(&["replay", path, "--max"]));
        assert!(
            a.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&a.stderr)
        );
        assert!(!a.stdout.is_empty());
        assert_eq!(a.stdout, b.stdout, "{name}");
        for line in String::from_utf8(a.stdout).unwrap().lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            assert!(
                v.get("fact").is_some() || v.get("stocktake").is_some(),
                "{line}"
            );
        }
    }
}

#[test]
fn record_checks_each_line_and_writes_the_canonical_trace() {
    let input = scratch("input.jsonl");
    std::fs::write(
        &input,
        "{\"t_us\":1763776800000000,\"reader\":\"dock\",\"ant\":1,\"epc\":\"3414a3f000000000000001f4\",\"rssi\":-52}\n\
         \n\
         {\"t_us\":1763776800001000,\"reader\":\"yard\",\"ant\":2,\"epc\":\"E200\"}\n",
    )
    .unwrap();
    let output = scratch("recorded.jsonl");
    let r = depot(&[
        "record",
        "--input",
        input.to_str().unwrap(),
        "-o",
        output.to_str().unwrap(),
    ]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    assert_eq!(
        std::fs::read_to_string(&output).unwrap(),
        "{\"t_us\":1763776800000000,\"reader\":\"dock\",\"ant\":1,\"epc\":\"3414A3F000000000000001F4\",\"rssi\":-52}\n\
         {\"t_us\":1763776800001000,\"reader\":\"yard\",\"ant\":2,\"epc\":\"E200\"}\n"
    );

    std::fs::write(&input, "{\"t_us\":1,\"reader\":\"dock\",\"ant\":1,\"epc\":\"E200\"}\n{\"t_us\":2,\"reader\":\"dock\",\"ant\":1}\n").unwrap();
    let r = depot(&[
        "record",
        "--input",
        input.to_str().unwrap(),
        "-o",
        output.to_str().unwrap(),
    ]);
    assert!(!r.status.success());
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(
        err.contains("line 2: not a trace read: missing field `epc`"),
        "{err}"
    );

    // Nothing listens on loopback port 1: a reader that never answers is a clear failure.
    let r = depot(&[
        "record",
        "llrp://127.0.0.1:1",
        "-o",
        output.to_str().unwrap(),
    ]);
    assert!(!r.status.success());
    assert!(
        String::from_utf8_lossy(&r.stderr).contains("cannot connect"),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
    let r = depot(&["record", "ftp://reader", "-o", output.to_str().unwrap()]);
    assert!(!r.status.success());
    assert!(String::from_utf8_lossy(&r.stderr).contains("is not a reader address"));
}

#[test]
fn replay_names_the_bad_line_of_a_trace() {
    let trace = scratch("bad.jsonl");
    std::fs::copy(
        traces().join("gate-in.config.json"),
        scratch("bad.config.json"),
    )
    .unwrap();
    std::fs::write(&trace, "{\"t_us\":1763776800000000,\"reader\":\"gate\",\"ant\":1,\"epc\":\"E200\",\"rssi\":-50}\n{\"t_us\":1763776800000001,\"reader\":\"gate\",\"ant\":1,\"epc\":\"E2\",\"rssi\":-500}\n").unwrap();
    let r = depot(&["replay", trace.to_str().unwrap()]);
    assert!(!r.status.success());
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(err.contains("line 2: not a trace read"), "{err}");
    let r = depot(&["replay", scratch("missing.jsonl").to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&r.stderr).contains("missing.config.json"));
}

#[test]
fn synth_writes_a_trace_and_its_configuration_that_replay() {
    let out = scratch("synth-gate-in.jsonl");
    let r = depot(&[
        "trace",
        "synth",
        "--scenario",
        "gate-in",
        "--tags",
        "5",
        "--seed",
        "3",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let again = depot(&[
        "trace",
        "synth",
        "--scenario",
        "gate-in",
        "--tags",
        "5",
        "--seed",
        "3",
    ]);
    assert_eq!(
        std::fs::read(&out).unwrap(),
        again.stdout,
        "the same arguments give the same bytes"
    );
    let facts = depot(&["replay", out.to_str().unwrap()]);
    let text = String::from_utf8(facts.stdout).unwrap();
    assert_eq!(
        text.lines()
            .filter(|l| l.contains("\"fact\":\"passed\"") && l.contains("\"direction\":\"in\""))
            .count(),
        5
    );
}

#[test]
fn replay_takes_a_configuration_from_elsewhere() {
    let trace = scratch("elsewhere.jsonl");
    std::fs::copy(traces().join("gate-in.jsonl"), &trace).unwrap();
    let config = traces().join("gate-in.config.json");
    let a = depot(&[
        "replay",
        trace.to_str().unwrap(),
        "--trace-config",
        config.to_str().unwrap(),
    ]);
    assert!(a.status.success(), "{}", String::from_utf8_lossy(&a.stderr));
    let b = depot(&["replay", traces().join("gate-in.jsonl").to_str().unwrap()]);
    assert_eq!(a.stdout, b.stdout);
}

/// `depot record ADDRESS` against the llrpkit reader emulator: a live session becomes a trace
/// that reads back.
#[test]
fn record_a_live_llrp_reader() {
    use std::io::BufRead;
    let python = std::env::var_os("DEPOT_PEERS_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("hil/.venv/bin/python"));
    let mut emulator = Command::new(python)
        .args([
            concat!(env!("CARGO_MANIFEST_DIR"), "/hil/peers/llrp_emulator.py"),
            "--port",
            "0",
            "--tags",
            "4",
            "--antennas",
            "2",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("the LLRP emulator (run the test script, which installs the peers)");
    let mut banner = String::new();
    std::io::BufReader::new(emulator.stdout.as_mut().unwrap())
        .read_line(&mut banner)
        .unwrap();
    let port = banner
        .trim()
        .strip_prefix("LISTENING ")
        .expect("LISTENING <port>")
        .to_owned();
    let out = scratch("live.jsonl");
    let done = depot(&[
        "record",
        &format!("llrp://127.0.0.1:{port}"),
        "--name",
        "dock",
        "--seconds",
        "2",
        "-o",
        out.to_str().unwrap(),
    ]);
    let _ = emulator.kill();
    let _ = emulator.wait();
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    let file = std::io::BufReader::new(std::fs::File::open(&out).unwrap());
    let mut reader = depot::engine::trace::TraceReader::assigning(file);
    let mut epcs = std::collections::BTreeSet::new();
    while let Some(read) = reader.next_read().unwrap() {
        assert_eq!(reader.reader_name(read.reader), Some("dock"));
        assert!((1..=2).contains(&read.antenna));
        epcs.insert(read.epc.to_hex());
    }
    assert_eq!(epcs.len(), 4, "the emulator's four tags: {epcs:?}");
    assert!(epcs.iter().all(|e| e.starts_with("E2000017010B01621000")));
}
