//! `depot bench ingest`: sustained synthetic load from many readers through the engine and
//! the fact store, on a scratch database that is dropped afterwards.

use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::Args;
use depot_readers::{Epc, TagRead};
use rand::{Rng, SeedableRng};
use sqlx::postgres::PgConnectOptions;

use super::service::Database;
use crate::config::{Config, Overrides};
use crate::db;
use crate::domain::bounds::Known as _;
use crate::ingest::{self, Ingest, Options};

#[derive(Debug, Args)]
pub struct IngestBenchArgs {
    /// Readers, each with its own zone (two antennas).
    #[arg(long, default_value_t = 100)]
    pub readers: u32,
    /// Reads per second from each reader.
    #[arg(long, default_value_t = 1100)]
    pub rate: u32,
    #[arg(long, default_value_t = 30)]
    pub seconds: u64,
    /// Tags in each reader's zone.
    #[arg(long, default_value_t = 100)]
    pub tags_per_reader: u32,
    /// Share of each zone's tags that move to another zone every second.
    #[arg(long, default_value_t = 0.05)]
    pub churn: f64,
}

/// Reads are generated every tick of this length.
const TICK: Duration = Duration::from_millis(10);

pub async fn run(over: &Overrides, args: IngestBenchArgs) -> anyhow::Result<()> {
    let config = Config::load(over, None)?;
    let server = Database::open_server(&config).await?;
    let name = format!("depot_bench_{}", std::process::id());
    db::create_database(&server.pool, &name)
        .await
        .context("creating the scratch database")?;
    let options: PgConnectOptions = (*server.pool.connect_options()).clone().database(&name);
    let result = async {
        let pool = db::connect(options, None, config.time_zone).await?;
        let outcome = load(&pool, &args).await;
        pool.close().await;
        outcome
    }
    .await;
    let _ = db::drop_database(&server.pool, &name).await;
    server.close().await?;
    result
}

async fn load(pool: &sqlx::PgPool, args: &IngestBenchArgs) -> anyhow::Result<()> {
    let mut conn = pool.acquire().await?;
    let warehouse = db::places::NewWarehouse {
        code: "BENCH".known(),
        name: "bench".known(),
        ..Default::default()
    };
    let warehouse = db::places::create_warehouse(&mut conn, &warehouse)
        .await?
        .id;
    let mut reader_ids = Vec::new();
    for r in 0..args.readers {
        let zone = db::places::NewZone {
            code: format!("Z{r}").known(),
            name: format!("Z{r}").known(),
            kind: "storage".known(),
            ..Default::default()
        };
        let zone = db::places::create_zone(&mut conn, warehouse, &zone)
            .await?
            .id;
        let point = |antenna| db::readers::ReadPoint {
            antenna,
            zone_id: zone,
        };
        let new = db::readers::NewReader {
            name: format!("reader-{r}").known(),
            address: "llrp://127.0.0.1:1".known(),
            enabled: true,
            read_points: vec![point(1), point(2)],
        };
        reader_ids.push(db::readers::create(&mut conn, &new).await?.id);
    }
    drop(conn);
    let ingest = Ingest::start(
        pool.clone(),
        Options {
            tick: Some(Duration::from_millis(100)),
            connect_readers: false,
            capacity: 64,
            record_latency: true,
            ..Options::default()
        },
    )
    .await?;

    let mut rng = rand::rngs::StdRng::seed_from_u64(1100);
    let n = args.readers as usize;
    let mut zones: Vec<Vec<Epc>> = (0..n)
        .map(|r| {
            (0..args.tags_per_reader)
                .map(|t| {
                    Epc::new(
                        &[
                            &0x3034u16.to_be_bytes()[..],
                            &(r as u32).to_be_bytes(),
                            &t.to_be_bytes(),
                            &[0, 0],
                        ]
                        .concat(),
                    )
                    .expect("12 bytes")
                })
                .collect()
        })
        .collect();
    let per_tick = f64::from(args.rate) * TICK.as_secs_f64();
    let (cpu0, machine0) = (process_cpu_ticks(), machine_busy());
    let started = Instant::now();
    let mut next = started;
    let mut owed = vec![0.0f64; n];
    let mut last_churn = started;
    let mut fed = 0u64;
    let mut late_ticks = 0u32;
    while started.elapsed() < Duration::from_secs(args.seconds) {
        next += TICK;
        let now = ingest::now_us();
        let mut batch = Vec::with_capacity((per_tick as usize + 1) * n);
        for (r, tags) in zones.iter().enumerate() {
            owed[r] += per_tick;
            while owed[r] >= 1.0 && !tags.is_empty() {
                owed[r] -= 1.0;
                let epc = tags[rng.gen_range(0..tags.len())];
                batch.push(TagRead {
                    epc,
                    reader: ingest::reader_id(reader_ids[r]),
                    antenna: rng.gen_range(1..=2),
                    rssi_dbm: Some(-50 - rng.gen_range(0..15)),
                    timestamp_us: now,
                    channel: None,
                    phase: None,
                    seen_count: None,
                });
            }
        }
        fed += batch.len() as u64;
        ingest.feed(batch).await?;
        if last_churn.elapsed() >= Duration::from_secs(1) {
            last_churn = Instant::now();
            let moves = ((args.tags_per_reader as f64) * args.churn).round() as usize;
            for r in 0..n {
                for _ in 0..moves.min(zones[r].len()) {
                    let i = rng.gen_range(0..zones[r].len());
                    let epc = zones[r].swap_remove(i);
                    let to = (r + rng.gen_range(1..n.max(2))) % n;
                    zones[to].push(epc);
                }
            }
        }
        match next.checked_duration_since(Instant::now()) {
            Some(wait) => tokio::time::sleep(wait).await,
            None => late_ticks += 1,
        }
    }
    let feeding = started.elapsed().as_secs_f64();
    ingest.sync().await?;
    let wall = started.elapsed().as_secs_f64();
    let (cpu1, machine1) = (process_cpu_ticks(), machine_busy());
    let stats = ingest.stats();
    let mut lat = ingest.take_latencies();
    lat.sort_unstable();
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0) as f64
            / 1000.0
    };
    let stored = db::facts::count(&mut *pool.acquire().await?).await?;
    println!(
        "readers {} × {} reads/s for {:.1} s ({} ticks of {} ms ran late)",
        args.readers,
        args.rate,
        feeding,
        late_ticks,
        TICK.as_millis()
    );
    println!(
        "reads fed        {fed} ({:.0} reads/s)",
        fed as f64 / feeding
    );
    println!(
        "facts stored     {stored} ({:.0} facts/s) in {} transactions, {} retries",
        stored as f64 / wall,
        stats.batches,
        stats.retries
    );
    println!(
        "read → committed p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms (over {} facts)",
        pct(0.50),
        pct(0.99),
        pct(1.0),
        lat.len()
    );
    for (kind, n, p50, p99, max) in db::facts::delays_by_kind(&mut *pool.acquire().await?).await? {
        println!(
            "  {kind:<14} {n:>8} facts: fact → stored p50 {p50:.1} ms, p99 {p99:.1} ms, max {max:.1} ms"
        );
    }
    println!("CPU              depot {:.0}% of one core; whole machine {:.0}% busy (2 cores, PostgreSQL included)", (cpu1 - cpu0) as f64 / wall, machine1.map(|m1| machine0.map(|m0| busy_share(m0, m1) * 100.0).unwrap_or(f64::NAN)).unwrap_or(f64::NAN));
    println!(
        "memory           depot peak RSS {} MiB",
        peak_rss_kib().unwrap_or(0) / 1024
    );
    ingest.shutdown().await;
    Ok(())
}

/// utime + stime of this process, in clock ticks (1/100 s on Linux).
fn process_cpu_ticks() -> u64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            let rest = s.rsplit_once(')')?.1;
            let f: Vec<&str> = rest.split_whitespace().collect();
            Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
        })
        .unwrap_or(0)
}

/// (busy, total) jiffies of the whole machine.
fn machine_busy() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let cpu: Vec<u64> = stat
        .lines()
        .next()?
        .split_whitespace()
        .skip(1)
        .filter_map(|v| v.parse().ok())
        .collect();
    let total: u64 = cpu.iter().sum();
    let idle = cpu.get(3)? + cpu.get(4).unwrap_or(&0);
    Some((total - idle, total))
}

fn busy_share((b0, t0): (u64, u64), (b1, t1): (u64, u64)) -> f64 {
    (b1 - b0) as f64 / (t1 - t0).max(1) as f64
}

fn peak_rss_kib() -> Option<u64> {
    std::fs::read_to_string("/proc/self/status")
        .ok()?
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}
