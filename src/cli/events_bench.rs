//! `depot bench events`: the event log as it grows toward tens of millions of rows. A
//! scratch database gets a city's assets and loans (`db::bench_data`), then its log is grown
//! in steps; at each size the reads and writes the service makes of the log are timed one
//! at a time: an asset's timeline, an order's history, a page of the log in time order (the
//! EPCIS export's walk), and one event appended in its own transaction (as every business
//! operation does). Then the time index is tried as BRIN instead of B-tree on the full log.

use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::Args;
use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection as _, PgConnection};

use super::service::Database;
use crate::config::{Config, Overrides};
use crate::db::events::{self, OrderKind};
use crate::db::{self, bench_data};

#[derive(Debug, Args)]
pub struct EventsBenchArgs {
    /// Assets the log is about (their loans and reservations in the city's proportions).
    #[arg(long, default_value_t = bench_data::Scale::CITY.assets)]
    pub assets: i64,
    /// The size the log is grown to.
    #[arg(long, default_value_t = 50_000_000)]
    pub events: i64,
    /// Measure at this many sizes, evenly spaced up to `--events`.
    #[arg(long, default_value_t = 5)]
    pub steps: i64,
    /// Look-ups and appends timed of each kind at each size.
    #[arg(long, default_value_t = 2_000)]
    pub samples: usize,
    /// The years the grown log spans (the spacing of its events).
    #[arg(long, default_value_t = 10.0)]
    pub years: f64,
    /// Skip the BRIN trial at the end.
    #[arg(long)]
    pub no_brin: bool,
    /// Keep the scratch database (its name is printed).
    #[arg(long)]
    pub keep: bool,
}

/// Rows per growing statement: big enough to be quick, small enough to show progress.
const CHUNK: i64 = 2_500_000;

pub async fn run(over: &Overrides, args: EventsBenchArgs) -> anyhow::Result<()> {
    anyhow::ensure!(args.steps >= 1, "--steps is at least 1");
    anyhow::ensure!(args.samples >= 1, "--samples is at least 1");
    let config = Config::load(over, None)?;
    let server = Database::open_server(&config).await?;
    let name = format!("depot_bench_events_{}", std::process::id());
    db::create_database(&server.pool, &name)
        .await
        .context("creating the scratch database")?;
    let options: PgConnectOptions = {
        use sqlx::ConnectOptions as _;
        (*server.pool.connect_options())
            .clone()
            .database(&name)
            .disable_statement_logging()
    };
    let result = async {
        // Migrates the scratch database; the bench then works on one connection of its own.
        db::connect(options.clone(), None, config.time_zone)
            .await?
            .close()
            .await;
        let mut conn = PgConnection::connect_with(&options).await?;
        let outcome = grow_and_measure(&mut conn, &args).await;
        conn.close().await?;
        outcome
    }
    .await;
    if args.keep {
        println!("database kept: {name}");
    } else {
        let _ = db::drop_database(&server.pool, &name).await;
    }
    server.close().await?;
    result
}

async fn grow_and_measure(conn: &mut PgConnection, args: &EventsBenchArgs) -> anyhow::Result<()> {
    let scale = bench_data::Scale {
        // Registrations, receipts, issues, returns and requests only: the rest is grown.
        events: 0,
        ..bench_data::Scale::proportional(args.assets)
    };
    println!(
        "seeding {} assets, {} loans, {} reservations and their events",
        scale.assets, scale.loans, scale.reservations
    );
    let started = Instant::now();
    bench_data::seed(conn, scale, |_| {}).await?;
    sqlx::query("vacuum (analyze) events")
        .execute(&mut *conn)
        .await?;
    let (assets, loans) = bench_data::extent(conn).await?;
    println!("  seeded in {:.0} s", started.elapsed().as_secs_f64());

    let spacing =
        Duration::from_secs_f64(args.years * 365.25 * 86_400.0 / (args.events as f64).max(1.0));
    println!(
        "\n{:>11} {:>8} {:>8}  {:>15} {:>15} {:>15} {:>15}  {:>9} {:>9}",
        "events",
        "grown/s",
        "",
        "timeline p50/99",
        "order p50/99",
        "time page p50/99",
        "append p50/99",
        "heap GB",
        "index GB"
    );
    let mut rng = Lcg(0x005e_ed0f_1095);
    let mut skipped_checks = None;
    for step in 1..=args.steps {
        let target = args.events * step / args.steps;
        let have = count(conn).await?;
        let grown = Instant::now();
        let mut left = target - have;
        while left > 0 {
            let rows = left.min(CHUNK);
            skipped_checks = Some(bench_data::grow_events(conn, rows, spacing).await?);
            left -= rows;
        }
        let rate = (target - have).max(0) as f64 / grown.elapsed().as_secs_f64();
        // Autovacuum would have analysed the grown table by now.
        sqlx::query("analyze events").execute(&mut *conn).await?;
        let figures = measure(conn, args.samples, assets, loans, &mut rng).await?;
        let (heap, indexes) = bench_data::sizes(conn, "events").await?;
        let index: i64 = indexes.iter().map(|(_, b)| b).sum();
        println!(
            "{:>11} {:>8.0} {:>8}  {:>15} {:>15} {:>15} {:>15}  {:>9.2} {:>9.2}",
            count(conn).await?,
            rate,
            "",
            figures.timeline,
            figures.order,
            figures.time_page,
            figures.append,
            gb(heap),
            gb(index),
        );
    }
    if skipped_checks == Some(false) {
        println!("(the role may not skip foreign-key checks: the log grew with them)");
    }
    let (_, indexes) = bench_data::sizes(conn, "events").await?;
    println!("\nindexes of the full log:");
    for (name, bytes) in &indexes {
        println!("  {name:<36} {:>8.2} GB", gb(*bytes));
    }

    if !args.no_brin {
        // The time index as BRIN: far smaller, but it serves ranges as bitmaps, not the
        // (at, id) order the export walks in pages.
        let built = Instant::now();
        sqlx::query(
            "create index events_at_brin on events using brin (at) where asset_id is not null",
        )
        .execute(&mut *conn)
        .await?;
        let build = built.elapsed();
        sqlx::query("drop index events_at_idx")
            .execute(&mut *conn)
            .await?;
        sqlx::query("analyze events").execute(&mut *conn).await?;
        let figures = measure(conn, args.samples.min(200), assets, loans, &mut rng).await?;
        let (_, indexes) = bench_data::sizes(conn, "events").await?;
        let brin = indexes
            .iter()
            .find(|(n, _)| n == "events_at_brin")
            .map_or(0, |(_, b)| *b);
        println!(
            "\nwith BRIN (at) instead of the B-tree (at, id): built in {:.1} s, {:.1} MB; \
             time page p50/99 {}; append p50/99 {}; timeline {}",
            build.as_secs_f64(),
            brin as f64 / 1e6,
            figures.time_page,
            figures.append,
            figures.timeline
        );
    }
    Ok(())
}

struct Figures {
    timeline: Spread,
    order: Spread,
    time_page: Spread,
    append: Spread,
}

async fn measure(
    conn: &mut PgConnection,
    samples: usize,
    assets: i64,
    loans: i64,
    rng: &mut Lcg,
) -> anyhow::Result<Figures> {
    let mut timeline = Vec::with_capacity(samples);
    let mut order = Vec::with_capacity(samples);
    let mut time_page = Vec::with_capacity(samples);
    let mut append = Vec::with_capacity(samples);
    let (oldest, newest) = bench_data::log_span(conn).await?;
    for _ in 0..samples {
        let asset = 1 + rng.below(assets);
        let t = Instant::now();
        events::for_asset(&mut *conn, asset).await?;
        timeline.push(t.elapsed());

        let loan = 1 + rng.below(loans.max(1));
        let t = Instant::now();
        events::for_order(&mut *conn, OrderKind::Loan, loan).await?;
        order.push(t.elapsed());

        let from = oldest + (newest - oldest) * (rng.below(1_000_000) as i32) / 1_000_000;
        let t = Instant::now();
        bench_data::log_page(&mut *conn, from, 500).await?;
        time_page.push(t.elapsed());

        let t = Instant::now();
        let mut tx = conn.begin().await?;
        events::record_asset_note(&mut tx, asset, "relocate", &events::Context::default()).await?;
        tx.commit().await?;
        append.push(t.elapsed());
    }
    Ok(Figures {
        timeline: Spread::of(timeline),
        order: Spread::of(order),
        time_page: Spread::of(time_page),
        append: Spread::of(append),
    })
}

async fn count(conn: &mut PgConnection) -> anyhow::Result<i64> {
    // The identity's last value: appends only, so it is the count (the seed has no gaps).
    Ok(
        sqlx::query_scalar("select coalesce(max(id), 0) from events")
            .fetch_one(conn)
            .await?,
    )
}

fn gb(bytes: i64) -> f64 {
    bytes as f64 / 1e9
}

/// p50 and p99 of a sample, in milliseconds.
struct Spread {
    p50: f64,
    p99: f64,
}

impl Spread {
    fn of(mut samples: Vec<Duration>) -> Spread {
        samples.sort();
        let at = |q: f64| {
            let i = ((samples.len() as f64 - 1.0) * q).round() as usize;
            samples.get(i).map_or(0.0, |d| d.as_secs_f64() * 1e3)
        };
        Spread {
            p50: at(0.5),
            p99: at(0.99),
        }
    }
}

impl std::fmt::Display for Spread {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = format!("{:.2}/{:.2}", self.p50, self.p99);
        f.pad(&text)
    }
}

/// A small deterministic generator: the same look-ups at every size and in every run.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: i64) -> i64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % n.max(1) as u64) as i64
    }
}
