use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use bytes::BytesMut;
use clap::{Args, Subcommand};
use depot_readers::llrp::{codec, message::Body};
use depot_readers::{ReaderConfig, ReaderEventKind, ReaderId, ReaderOutput, TagRead};
use tokio::sync::mpsc;

#[derive(Debug, Subcommand)]
pub enum ReaderCommand {
    /// Connect to one reader and print its reads as JSON Lines.
    Probe {
        /// llrp://HOST[:PORT], uhf18:///dev/ttyUSB0?baud=57600, uhf18+tcp://HOST:PORT,
        /// r2000:///dev/ttyUSB0?baud=115200, r2000+tcp://HOST:PORT, or a simulated gate,
        /// sim://gate?scenario=gate-out&every=60s
        address: String,
        /// Stop after this many seconds (default: run until interrupted).
        #[arg(long)]
        seconds: Option<u64>,
        /// Antenna ports to use, comma separated (default: all).
        #[arg(long, value_delimiter = ',')]
        antennas: Vec<u16>,
        /// Transmit power in dBm (default: leave the reader's setting).
        #[arg(long)]
        power: Option<f32>,
    },
}

pub async fn run(cmd: ReaderCommand) -> anyhow::Result<()> {
    match cmd {
        ReaderCommand::Probe {
            address,
            seconds,
            antennas,
            power,
        } => probe(&address, seconds, antennas, power).await,
    }
}

/// What an installer runs to check wiring: reads on stdout, events on stderr, and a
/// one-line error if the reader cannot be reached at all.
async fn probe(
    address: &str,
    seconds: Option<u64>,
    antennas: Vec<u16>,
    power: Option<f32>,
) -> anyhow::Result<()> {
    let address: crate::ingest::sim::Address = address.parse()?;
    let config = ReaderConfig {
        antennas,
        power_dbm: power,
        max_attempts: Some(1),
        ..ReaderConfig::default()
    };
    let (tx, mut rx) = mpsc::channel(4096);
    let mut handle = address.spawn(config, tx);
    let stop_at = seconds.map(|s| tokio::time::Instant::now() + Duration::from_secs(s));
    let mut stdout = std::io::stdout().lock();
    let mut connected = false;
    loop {
        let out = tokio::select! {
            _ = async { tokio::time::sleep_until(stop_at.unwrap()).await }, if stop_at.is_some() => break,
            _ = tokio::signal::ctrl_c() => break,
            out = rx.recv() => out,
        };
        match out {
            Some(ReaderOutput::Read(read)) => {
                writeln!(stdout, "{}", read_json(&read)).context("writing to stdout")?;
                stdout.flush().context("writing to stdout")?;
            }
            Some(ReaderOutput::Event(event)) => {
                connected |= matches!(event.kind, ReaderEventKind::Connected { .. });
                // Before the first connection, failures end up in the final error message.
                if connected {
                    eprintln!("{} reader: {}", time_text(event.timestamp_us), event.kind);
                }
            }
            None => break,
        }
    }
    drop(rx);
    if handle.is_finished() {
        handle.join().await?;
    } else {
        handle.stop().await?;
    }
    Ok(())
}

fn time_text(us: u64) -> String {
    chrono::DateTime::from_timestamp_micros(us as i64)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
        .unwrap_or_default()
}

fn read_json(r: &TagRead) -> serde_json::Value {
    serde_json::json!({
        "epc": r.epc.to_hex(),
        "antenna": r.antenna,
        "rssi_dbm": r.rssi_dbm,
        "time": time_text(r.timestamp_us),
        "timestamp_us": r.timestamp_us,
        "channel": r.channel,
        "phase": r.phase,
        "seen_count": r.seen_count,
    })
}

/// `depot bench llrp`: options.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Seconds to spend on each decoder.
    #[arg(long, default_value_t = 3.0)]
    pub seconds: f64,
    /// Python with sllurp installed (default: $DEPOT_PEERS_PYTHON, else hil/.venv/bin/python).
    #[arg(long)]
    pub python: Option<PathBuf>,
}

/// An RO_ACCESS_REPORT with 100 TagReportData, encoded by llrpkit (see the fixture notes).
const REPORT: &[u8] = include_bytes!("../../readers/tests/fixtures/llrp/ro_access_report_100.bin");

/// Decodes the fixture report into TagReads on this thread for about `seconds`.
fn ours(seconds: f64) -> anyhow::Result<(f64, u64)> {
    let mut reads: Vec<TagRead> = Vec::with_capacity(128);
    let mut iterations = 0u64;
    let start = Instant::now();
    loop {
        for _ in 0..1000 {
            let mut buf = BytesMut::from(REPORT);
            let msg = codec::decode(&mut buf)?.context("fixture is one whole message")?;
            let Body::RoAccessReport { tags } = msg.body else {
                bail!("fixture is not an RO_ACCESS_REPORT")
            };
            reads.clear();
            reads.extend(tags.iter().map(|t| t.to_tag_read(ReaderId(0), 0)));
            std::hint::black_box(&reads);
        }
        iterations += 1000;
        if start.elapsed().as_secs_f64() >= seconds {
            break;
        }
    }
    Ok((
        iterations as f64 * reads.len() as f64 / start.elapsed().as_secs_f64(),
        iterations,
    ))
}

/// Runs sllurp on the same bytes; returns tags/s.
fn sllurp(python: &PathBuf, seconds: f64) -> anyhow::Result<f64> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let report =
        std::env::temp_dir().join(format!("depot-bench-report-{}.bin", std::process::id()));
    std::fs::write(&report, REPORT)?;
    let out = std::process::Command::new(python)
        .arg(root.join("readers/benches/sllurp_decode.py"))
        .arg(&report)
        .arg(seconds.to_string())
        .output()
        .with_context(|| format!("running {}", python.display()));
    let _ = std::fs::remove_file(&report);
    let out = out?;
    if !out.status.success() {
        bail!(
            "sllurp benchmark failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).context("sllurp benchmark output")?;
    v["tags_per_sec"]
        .as_f64()
        .context("sllurp benchmark printed no tags_per_sec")
}

pub fn bench(args: BenchArgs) -> anyhow::Result<()> {
    let (tags_per_sec, iterations) = ours(args.seconds)?;
    println!("depot-readers: {tags_per_sec:.0} tags/s ({iterations} decodes of a 100-tag RO_ACCESS_REPORT, one core)");
    let python = args
        .python
        .or_else(|| std::env::var_os("DEPOT_PEERS_PYTHON").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("hil/.venv/bin/python"));
    let theirs = sllurp(&python, args.seconds)?;
    println!("sllurp 3.0.5:  {theirs:.0} tags/s (same bytes, same machine)");
    println!("ratio:         {:.0}x", tags_per_sec / theirs);
    Ok(())
}
