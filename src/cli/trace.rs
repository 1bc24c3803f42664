use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::engine::config::MAX_TIMEOUT_MS;
use crate::engine::synth::{self, Options, Scenario};
use crate::engine::trace::{self, ReplayConfig, TraceReader};
use crate::engine::{Engine, Fact};
use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use depot_readers::TagRead;

#[derive(Debug, Args)]
pub struct RecordArgs {
    /// Reader address, as for `depot reader probe`: its reads are recorded until Ctrl-C or
    /// `--seconds` (the driver reconnects if the reader drops meanwhile).
    #[arg(required_unless_present = "input")]
    pub address: Option<String>,
    /// The reader's name in the trace.
    #[arg(long, default_value = "reader")]
    pub name: String,
    /// Stop recording a reader after this many seconds.
    #[arg(long)]
    pub seconds: Option<u64>,
    /// Output trace file (JSON Lines, one read a line).
    #[arg(long, short)]
    pub output: PathBuf,
    /// Record reads given as trace lines from this file (`-` for stdin) instead of a
    /// reader: each line is checked and written in the canonical form.
    #[arg(long, conflicts_with = "address")]
    pub input: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// Trace file (JSON Lines).
    pub file: PathBuf,
    /// Replay configuration (engine and optional stocktake); default: the trace's
    /// `NAME.config.json` beside it. (Not `--config`: that names the service's own file.)
    #[arg(long)]
    pub trace_config: Option<PathBuf>,
    /// Pace the replay at N times the speed it was recorded at.
    #[arg(long, conflicts_with = "max")]
    pub speed: Option<f64>,
    /// Replay as fast as possible (the default).
    #[arg(long)]
    pub max: bool,
    /// Print the engine's counters to stderr at the end.
    #[arg(long)]
    pub stats: bool,
}

#[derive(Debug, Subcommand)]
pub enum TraceCommand {
    /// Synthesize a realistic trace (deterministic: the same arguments give the same bytes).
    Synth(SynthArgs),
}

/// The scenarios of [`synth::Scenario`], as the command line names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ScenarioArg {
    /// Trolleys of assets pushed out through the gate while a stray tag lingers inside.
    GateOut,
    /// Trolleys of assets brought in through the gate.
    GateIn,
    /// Four aisles counted: some assets absent, some in the wrong aisle, some foreign tags.
    Stocktake,
    /// A trolley comes in while a staging pallet is cross-read by the gate.
    CrossRead,
}

impl From<ScenarioArg> for Scenario {
    fn from(s: ScenarioArg) -> Scenario {
        match s {
            ScenarioArg::GateOut => Scenario::GateOut,
            ScenarioArg::GateIn => Scenario::GateIn,
            ScenarioArg::Stocktake => Scenario::Stocktake,
            ScenarioArg::CrossRead => Scenario::CrossRead,
        }
    }
}

#[derive(Debug, Args)]
pub struct SynthArgs {
    #[arg(long, value_enum)]
    pub scenario: ScenarioArg,
    /// Tags moved through the gate, or expected in the stocktake.
    #[arg(long, default_value_t = 120)]
    pub tags: u32,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Stocktake: expected assets that are absent.
    #[arg(long, default_value_t = 7)]
    pub absent: u32,
    /// Stocktake: expected assets in the wrong zone.
    #[arg(long, default_value_t = 3)]
    pub misplaced: u32,
    /// Stocktake: foreign tags present.
    #[arg(long, default_value_t = 2)]
    pub unknown: u32,
    /// Write the trace here and its configuration beside it (`NAME.config.json`);
    /// default: the trace to stdout.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Distinct tags in the load.
    #[arg(long, default_value_t = 1_000_000)]
    pub tags: u32,
    /// Reads in the load.
    #[arg(long, default_value_t = 10_000_000)]
    pub reads: u64,
    /// Reads in the end-to-end replay.
    #[arg(long, default_value_t = 1_000_000)]
    pub replay_reads: u64,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Time the ingest this many times, each on a fresh engine; the best and the median
    /// are printed (a shared machine slows some runs).
    #[arg(long, default_value_t = 3)]
    pub runs: u32,
}

pub async fn record(args: RecordArgs) -> anyhow::Result<()> {
    let Some(input) = args.input else {
        return record_reader(
            &args.address.unwrap_or_default(),
            &args.name,
            args.seconds,
            &args.output,
        )
        .await;
    };
    let source: Box<dyn BufRead> = if input.as_os_str() == "-" {
        Box::new(io::stdin().lock())
    } else {
        Box::new(BufReader::new(
            File::open(&input).with_context(|| format!("opening {}", input.display()))?,
        ))
    };
    let mut reader = TraceReader::assigning(source);
    let mut out = BufWriter::new(
        File::create(&args.output)
            .with_context(|| format!("creating {}", args.output.display()))?,
    );
    let mut n = 0u64;
    while let Some(read) = reader
        .next_read()
        .with_context(|| format!("reading {}", input.display()))?
    {
        let name = reader
            .reader_name(read.reader)
            .expect("the reader just named it")
            .to_owned();
        trace::write_read(&mut out, &read, &name)?;
        n += 1;
    }
    out.flush()?;
    tracing::info!(reads = n, output = %args.output.display(), "recorded");
    Ok(())
}

/// Record a live reader's reads as a trace.
async fn record_reader(
    address: &str,
    name: &str,
    seconds: Option<u64>,
    output: &Path,
) -> anyhow::Result<()> {
    use depot_readers::{ReaderAddress, ReaderConfig, ReaderEventKind, ReaderOutput};
    let address: ReaderAddress = address.parse()?;
    let mut connected = false;
    let mut out = BufWriter::new(
        File::create(output).with_context(|| format!("creating {}", output.display()))?,
    );
    let (tx, mut rx) = tokio::sync::mpsc::channel(4096);
    let handle = depot_readers::spawn(address.clone(), ReaderConfig::default(), tx);
    let stop_at = seconds.map(|s| tokio::time::Instant::now() + std::time::Duration::from_secs(s));
    let mut n = 0u64;
    loop {
        let next = tokio::select! {
            _ = async { tokio::time::sleep_until(stop_at.expect("guarded")).await }, if stop_at.is_some() => break,
            _ = tokio::signal::ctrl_c() => break,
            next = rx.recv() => next,
        };
        match next {
            Some(ReaderOutput::Read(read)) => {
                trace::write_read(&mut out, &read, name)?;
                n += 1;
            }
            Some(ReaderOutput::Event(event)) => {
                eprintln!("{}", event.kind);
                match &event.kind {
                    ReaderEventKind::Connected { .. } => connected = true,
                    // Once recording, a dropped reader is reconnected; one that never
                    // answered is a wiring or address mistake to report at once.
                    ReaderEventKind::Error { message: reason }
                    | ReaderEventKind::Disconnected { reason }
                        if !connected =>
                    {
                        let _ = handle.stop().await;
                        bail!("cannot record {address}: {reason}");
                    }
                    _ => {}
                }
            }
            None => break,
        }
    }
    out.flush()?;
    let _ = handle.stop().await;
    tracing::info!(reads = n, output = %output.display(), "recorded");
    Ok(())
}

fn load_config(path: &Path) -> anyhow::Result<ReplayConfig> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading configuration {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("configuration {}", path.display()))
}

pub async fn replay(args: ReplayArgs) -> anyhow::Result<()> {
    let config_path = args
        .trace_config
        .clone()
        .unwrap_or_else(|| trace::config_path(&args.file));
    let config = load_config(&config_path)?;
    let input = BufReader::new(
        File::open(&args.file).with_context(|| format!("opening {}", args.file.display()))?,
    );
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let speed = if args.max { None } else { args.speed };
    if let Some(s) = speed {
        if !(s > 0.0 && s.is_finite()) {
            bail!("--speed must be a positive number, not {s}");
        }
    }
    // Pacing only delays reads; the engine's time still comes from the reads alone.
    let mut start: Option<(Instant, u64)> = None;
    let pace = |read: &TagRead| {
        let Some(speed) = speed else { return };
        let (wall, first) = *start.get_or_insert((Instant::now(), read.timestamp_us));
        let due =
            Duration::from_secs_f64(read.timestamp_us.saturating_sub(first) as f64 / 1e6 / speed);
        if let Some(wait) = due.checked_sub(wall.elapsed()) {
            std::thread::sleep(wait);
        }
    };
    let paced = speed.is_some();
    let replayed = trace::replay_streaming(input, &config, pace, |fact: &Fact| {
        serde_json::to_writer(&mut out, fact)?;
        out.write_all(b"\n")?;
        if paced {
            out.flush()?;
        }
        Ok(())
    });
    let (stocktake, counters) = match replayed {
        // `depot replay … | head` is done when head is.
        Err(trace::TraceError::Io(e)) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(()),
        other => other.with_context(|| format!("replaying {}", args.file.display()))?,
    };
    if let Some(result) = stocktake {
        serde_json::to_writer(&mut out, &serde_json::json!({ "stocktake": result }))?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    if args.stats {
        eprintln!("{}", serde_json::to_string(&counters)?);
    }
    Ok(())
}

pub async fn run(cmd: TraceCommand) -> anyhow::Result<()> {
    match cmd {
        TraceCommand::Synth(args) => synth_command(args),
    }
}

fn synth_command(args: SynthArgs) -> anyhow::Result<()> {
    let opts = Options {
        scenario: args.scenario.into(),
        tags: args.tags,
        seed: args.seed,
        absent: args.absent,
        misplaced: args.misplaced,
        unknown: args.unknown,
    };
    if opts.scenario == Scenario::Stocktake && opts.absent + opts.misplaced > opts.tags {
        bail!("--absent and --misplaced together exceed --tags");
    }
    let s = synth::synthesize(&opts);
    let write = |out: &mut dyn Write| -> io::Result<()> {
        for read in &s.reads {
            trace::write_read(out, read, s.reader_name(read.reader))?;
        }
        out.flush()
    };
    match &args.output {
        Some(path) => {
            let mut out = BufWriter::new(
                File::create(path).with_context(|| format!("creating {}", path.display()))?,
            );
            write(&mut out)?;
            let config_path = trace::config_path(path);
            let mut text = serde_json::to_string_pretty(&s.config)?;
            text.push('\n');
            std::fs::write(&config_path, text)
                .with_context(|| format!("writing {}", config_path.display()))?;
            eprintln!(
                "{} reads to {}, configuration in {}",
                s.reads.len(),
                path.display(),
                config_path.display()
            );
        }
        None => write(&mut BufWriter::new(io::stdout().lock()))?,
    }
    Ok(())
}

/// Resident set size of this process, from /proc (Linux); `None` elsewhere.
fn rss_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

fn ingest_timed(engine: &mut Engine, reads: &[TagRead]) -> Duration {
    let mut facts = Vec::with_capacity(64);
    let started = Instant::now();
    for read in reads {
        engine.ingest(read, &mut facts);
        facts.clear();
    }
    started.elapsed()
}

pub fn bench(args: BenchArgs) -> anyhow::Result<()> {
    println!(
        "engine benchmark: {} distinct tags, {} reads, seed {}, one thread",
        args.tags, args.reads, args.seed
    );
    for (label, lost_ms) in [
        ("stocked (tags stay: lost after 1 day)", MAX_TIMEOUT_MS),
        ("flow (lost after 2 s)", 2_000),
    ] {
        let (config, reads) = synth::bench_load(args.tags, args.reads, args.seed, lost_ms);
        // The first run's engine is the one measured: nothing freed before it can be reused.
        let rss_before = rss_bytes();
        let mut engine = Engine::new(config.clone())?;
        let mut times = vec![ingest_timed(&mut engine, &reads)];
        let rss_after = rss_bytes();
        for _ in 1..args.runs.max(1) {
            let mut other = Engine::new(config.clone())?;
            times.push(ingest_timed(&mut other, &reads));
            anyhow::ensure!(
                other.counters() == engine.counters(),
                "two runs gave different counters"
            );
        }
        times.sort();
        let rate = |d: Duration| reads.len() as f64 / d.as_secs_f64() / 1e6;
        let (best, median) = (times[0], times[times.len() / 2]);
        println!("{label}:");
        println!(
            "  ingest          best {:.3} s = {:.2} M reads/s; median {:.3} s = {:.2} M reads/s ({} runs)",
            best.as_secs_f64(),
            rate(best),
            median.as_secs_f64(),
            rate(median),
            times.len()
        );
        let c = engine.counters();
        let m = engine.memory();
        println!(
            "  facts           {} (arrived {}, moved {}, left {}), weak reads {}",
            c.facts(),
            c.arrived,
            c.moved,
            c.left,
            c.weak_reads
        );
        println!(
            "  tracked tags    {}; state {} B = {:.1} B/tag (entry {} B; table {} B, timers {} B)",
            m.tags,
            m.total(),
            m.per_tag(),
            Engine::TAG_ENTRY_BYTES,
            m.tag_table_bytes,
            m.timer_bytes
        );
        if let (Some(a), Some(b)) = (rss_before, rss_after) {
            println!(
                "  RSS growth      {} B = {:.1} B/tracked tag",
                b.saturating_sub(a),
                b.saturating_sub(a) as f64 / m.tags.max(1) as f64
            );
        }
        let mut facts = Vec::new();
        let started = Instant::now();
        engine.flush(&mut facts);
        println!(
            "  flush           {:.3} s, {} facts",
            started.elapsed().as_secs_f64(),
            facts.len()
        );
    }

    // End to end: a trace file parsed, replayed and its facts written as JSON Lines.
    let tags = (args.replay_reads / 10).max(1) as u32;
    let (config, reads) = synth::bench_load(tags, args.replay_reads, args.seed, 2_000);
    let path =
        std::env::temp_dir().join(format!("depot-bench-replay-{}.jsonl", std::process::id()));
    {
        let mut out = BufWriter::new(File::create(&path)?);
        for read in &reads {
            trace::write_read(
                &mut out,
                read,
                config.reader_name(read.reader.0).unwrap_or("?"),
            )?;
        }
        out.flush()?;
    }
    let bytes = std::fs::metadata(&path)?.len();
    let replay_config = ReplayConfig {
        engine: config,
        stocktake: None,
    };
    let started = Instant::now();
    let mut sink = BufWriter::new(io::sink());
    let mut facts = 0u64;
    let result = trace::replay_streaming(
        BufReader::new(File::open(&path)?),
        &replay_config,
        |_| {},
        |f| {
            facts += 1;
            serde_json::to_writer(&mut sink, f)?;
            sink.write_all(b"\n")
        },
    );
    let took = started.elapsed();
    std::fs::remove_file(&path)?;
    result?;
    println!("replay end to end (parse JSON Lines, ingest, flush, write facts as JSON Lines):");
    println!(
        "  {} reads ({:.1} MB), {} facts in {:.3} s = {:.2} M reads/s",
        reads.len(),
        bytes as f64 / 1e6,
        facts,
        took.as_secs_f64(),
        reads.len() as f64 / took.as_secs_f64() / 1e6
    );
    Ok(())
}
