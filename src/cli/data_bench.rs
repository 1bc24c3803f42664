//! `depot bench data`: a city's worth of data in a scratch database (seeded with set-based
//! SQL, `db::bench_data`), then every list, search, page, report and export driven by
//! concurrent clients against the service on 127.0.0.1, with p50, p99 and throughput per
//! endpoint. The load generator is a few keep-alive HTTP/1.1 connections on hyper's
//! client, one per client, each sending its requests one after another.

use std::time::{Duration, Instant};

use anyhow::Context as _;
use axum::body::Body;
use clap::Args;
use sqlx::postgres::PgConnectOptions;

use super::service::Database;
use crate::app::App;
use crate::config::{Config, Overrides};
use crate::db::{self, bench_data};

#[derive(Debug, Args)]
pub struct DataBenchArgs {
    #[arg(long, default_value_t = bench_data::Scale::CITY.assets)]
    pub assets: i64,
    #[arg(long, default_value_t = bench_data::Scale::CITY.events)]
    pub events: i64,
    #[arg(long, default_value_t = bench_data::Scale::CITY.loans)]
    pub loans: i64,
    #[arg(long, default_value_t = bench_data::Scale::CITY.reservations)]
    pub reservations: i64,
    /// Concurrent clients per endpoint.
    #[arg(long, default_value_t = 16)]
    pub clients: usize,
    /// Requests per endpoint (all clients together).
    #[arg(long, default_value_t = 320)]
    pub requests: usize,
    /// At most this long per endpoint, whatever the count.
    #[arg(long, default_value_t = 20)]
    pub seconds: u64,
    /// Runs of each CSV export (one at a time).
    #[arg(long, default_value_t = 3)]
    pub export_runs: usize,
    /// Use this database, seeded before by `--keep`, instead of seeding a scratch one.
    #[arg(long)]
    pub reuse: Option<String>,
    /// Keep the scratch database (its name is printed) for another run with `--reuse`.
    #[arg(long)]
    pub keep: bool,
    /// Only the endpoints whose path contains one of these (comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,
}

pub async fn run(over: &Overrides, args: DataBenchArgs) -> anyhow::Result<()> {
    let config = Config::load(over, None)?;
    let server = Database::open_server(&config).await?;
    let (name, scratch) = match &args.reuse {
        Some(name) => (name.clone(), false),
        None => {
            let name = format!("depot_bench_data_{}", std::process::id());
            db::create_database(&server.pool, &name)
                .await
                .context("creating the scratch database")?;
            (name, true)
        }
    };
    let options: PgConnectOptions = {
        use sqlx::ConnectOptions as _;
        // The seed's statements are slow on purpose: no warning for each.
        (*server.pool.connect_options())
            .clone()
            .database(&name)
            .disable_statement_logging()
    };
    let result = async {
        // The seed runs long statements on purpose: not bounded like the service's.
        let pool = db::connect(options, None, config.time_zone).await?;
        if scratch {
            seed(&pool, &args).await?;
        }
        let outcome = drive(&pool, config.clone(), &args).await;
        pool.close().await;
        outcome
    }
    .await;
    if scratch && !args.keep {
        let _ = db::drop_database(&server.pool, &name).await;
    } else {
        println!("database kept: {name} (run again with --reuse {name})");
    }
    server.close().await?;
    result
}

async fn seed(pool: &sqlx::PgPool, args: &DataBenchArgs) -> anyhow::Result<()> {
    let scale = bench_data::Scale {
        assets: args.assets,
        events: args.events,
        loans: args.loans,
        reservations: args.reservations,
        ..bench_data::Scale::CITY
    };
    println!(
        "seeding {} assets, {} events, {} loans, {} reservations",
        scale.assets, scale.events, scale.loans, scale.reservations
    );
    let mut conn = pool.acquire().await?;
    let started = Instant::now();
    let mut step = Instant::now();
    bench_data::seed(&mut conn, scale, |s| {
        println!(
            "  {:<36} {:>10} rows {:>7.1} s",
            s.what,
            s.rows,
            step.elapsed().as_secs_f64()
        );
        step = Instant::now();
    })
    .await?;
    let seeded = started.elapsed();
    bench_data::settle(&mut conn, crate::app::reports::IDLE_DAYS).await?;
    println!(
        "seeded in {:.1} s, vacuumed, analysed and figures computed in {:.1} s more",
        seeded.as_secs_f64(),
        (started.elapsed() - seeded).as_secs_f64()
    );
    Ok(())
}

/// One endpoint to drive: who asks, and the path (`{asset}` and `{loan}` become ids spread
/// over the data).
pub struct Endpoint {
    pub who: Who,
    pub path: &'static str,
}

/// Which seeded user asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    Admin,
    Requester,
    Keeper,
}

impl Who {
    pub fn username(self) -> &'static str {
        match self {
            Who::Admin => bench_data::ADMIN,
            Who::Requester => "bench_requester_1",
            Who::Keeper => "bench_keeper",
        }
    }
}

/// Every list, search, page and report, as the benchmark drives them (and the plan test
/// explains them).
pub const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        who: Who::Admin,
        path: "/api/assets?per_page=50",
    },
    Endpoint {
        who: Who::Admin,
        path: "/api/assets?state=in_stock&page={deep}",
    },
    Endpoint {
        who: Who::Admin,
        path: "/api/assets?state=in_stock&after={asset}",
    },
    Endpoint {
        who: Who::Admin,
        path: "/api/assets?q=item%20%2399999",
    },
    Endpoint {
        who: Who::Admin,
        path: "/api/assets?q=%E4%BC%9A%E8%AE%AE%E6%A1%8C",
    },
    Endpoint {
        who: Who::Admin,
        path: "/api/assets?q=3414A3F00000000000012",
    },
    Endpoint {
        who: Who::Admin,
        path: "/api/assets?category=7",
    },
    Endpoint {
        who: Who::Admin,
        path: "/api/assets?department=5",
    },
    Endpoint {
        who: Who::Admin,
        path: "/api/assets?zone=9",
    },
    Endpoint {
        who: Who::Admin,
        path: "/api/assets?state=listed&category=3",
    },
    Endpoint {
        who: Who::Requester,
        path: "/api/assets",
    },
    Endpoint {
        who: Who::Admin,
        path: "/api/assets/{asset}",
    },
    Endpoint {
        who: Who::Admin,
        path: "/api/assets/{asset}/events",
    },
    Endpoint {
        who: Who::Admin,
        path: "/api/loans?per_page=50",
    },
    Endpoint {
        who: Who::Admin,
        path: "/api/loans?status=overdue",
    },
    Endpoint {
        who: Who::Admin,
        path: "/api/loans?status=returned&page={deep}",
    },
    Endpoint {
        who: Who::Requester,
        path: "/api/loans",
    },
    Endpoint {
        who: Who::Admin,
        path: "/api/loans/{loan}",
    },
    Endpoint {
        who: Who::Admin,
        path: "/api/loans/{loan}/events",
    },
    Endpoint {
        who: Who::Admin,
        path: "/api/compensations",
    },
    Endpoint {
        who: Who::Admin,
        path: "/api/disposals",
    },
    Endpoint {
        who: Who::Admin,
        path: "/api/intakes",
    },
    Endpoint {
        who: Who::Admin,
        path: "/assets",
    },
    Endpoint {
        who: Who::Admin,
        path: "/assets?q=item%20%2399999",
    },
    Endpoint {
        who: Who::Admin,
        path: "/assets/{asset}",
    },
    Endpoint {
        who: Who::Admin,
        path: "/orders",
    },
    Endpoint {
        who: Who::Requester,
        path: "/orders",
    },
    Endpoint {
        who: Who::Admin,
        path: "/orders/{loan}",
    },
    Endpoint {
        who: Who::Requester,
        path: "/catalogue",
    },
    Endpoint {
        who: Who::Requester,
        path: "/virtual-depot",
    },
    Endpoint {
        who: Who::Admin,
        path: "/admin/approvals",
    },
    Endpoint {
        who: Who::Keeper,
        path: "/keeper/picks",
    },
    Endpoint {
        who: Who::Keeper,
        path: "/keeper/returns",
    },
    Endpoint {
        who: Who::Admin,
        path: "/reports",
    },
    Endpoint {
        who: Who::Admin,
        path: "/api/reports/figures",
    },
    Endpoint {
        who: Who::Admin,
        path: "/api/reports/figures?from={year_ago}&to={today}",
    },
    Endpoint {
        who: Who::Admin,
        path: "/api/rentals",
    },
    Endpoint {
        who: Who::Requester,
        path: "/api/rentals",
    },
    Endpoint {
        who: Who::Admin,
        path: "/rentals",
    },
    Endpoint {
        who: Who::Keeper,
        path: "/keeper/gate",
    },
    Endpoint {
        who: Who::Keeper,
        path: "/keeper/stocktakes",
    },
    Endpoint {
        who: Who::Admin,
        path: "/api/stocktakes?status=finished&warehouse=1",
    },
    Endpoint {
        who: Who::Admin,
        path: "/api/bookings/collisions",
    },
    Endpoint {
        who: Who::Requester,
        path: "/api/bookings/collisions",
    },
    Endpoint {
        who: Who::Admin,
        path: "/admin/bookings",
    },
    Endpoint {
        who: Who::Admin,
        path: "/api/kits",
    },
];

/// The CSV exports, each by whom it is for.
pub const EXPORTS: &[Endpoint] = &[
    Endpoint {
        who: Who::Admin,
        path: "/reports/stock.csv",
    },
    Endpoint {
        who: Who::Admin,
        path: "/reports/idle.csv",
    },
    Endpoint {
        who: Who::Admin,
        path: "/reports/overdue.csv",
    },
    Endpoint {
        who: Who::Admin,
        path: "/reports/compensations.csv",
    },
    Endpoint {
        who: Who::Admin,
        path: "/reports/disposals.csv",
    },
    Endpoint {
        who: Who::Admin,
        path: "/reports/figures.csv?from={year_ago}&to={today}",
    },
    Endpoint {
        who: Who::Keeper,
        path: "/keeper/returns.csv",
    },
    Endpoint {
        who: Who::Keeper,
        path: "/keeper/returns.csv?department=5",
    },
    Endpoint {
        who: Who::Keeper,
        path: "/keeper/returns/out.csv",
    },
    Endpoint {
        who: Who::Keeper,
        path: "/keeper/returns/out.csv?department=5",
    },
    Endpoint {
        who: Who::Keeper,
        path: "/keeper/stocktakes.csv",
    },
    Endpoint {
        who: Who::Keeper,
        path: "/keeper/stocktakes.csv?status=finished&warehouse=1",
    },
    Endpoint {
        who: Who::Keeper,
        path: "/keeper/gate/passages.csv",
    },
    Endpoint {
        who: Who::Keeper,
        path: "/keeper/gate/passages.csv?gate=1",
    },
    Endpoint {
        who: Who::Admin,
        path: "/admin/approvals.csv",
    },
    Endpoint {
        who: Who::Requester,
        path: "/virtual-depot.csv",
    },
    Endpoint {
        who: Who::Admin,
        path: "/admin/users.csv",
    },
];

async fn drive(pool: &sqlx::PgPool, config: Config, args: &DataBenchArgs) -> anyhow::Result<()> {
    let mut conn = pool.acquire().await?;
    let admin = session(&mut conn, Who::Admin).await?;
    let requester = session(&mut conn, Who::Requester).await?;
    let keeper = session(&mut conn, Who::Keeper).await?;
    let (assets, loans) = crate::db::bench_data::extent(&mut conn).await?;
    drop(conn);

    let app = App::new(pool.clone(), config);
    // Figures as fresh as the service keeps them, so it does not compute them during the load.
    crate::app::reports::refresh(pool).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let stop = tokio_util::sync::CancellationToken::new();
    let server = tokio::spawn({
        let stop = stop.clone();
        crate::server::serve(listener, app, async move { stop.cancelled().await })
    });

    println!(
        "\n{} clients, at most {} requests or {} s per endpoint, against http://{addr}",
        args.clients, args.requests, args.seconds
    );
    println!(
        "{:<48} {:>9} {:>9} {:>9} {:>8} {:>6}",
        "endpoint", "p50 ms", "p99 ms", "max ms", "req/s", "errors"
    );
    let wanted =
        |path: &str| args.only.is_empty() || args.only.iter().any(|o| path.contains(o.as_str()));
    for e in ENDPOINTS.iter().filter(|e| wanted(e.path)) {
        let cookie = match e.who {
            Who::Admin => admin.clone(),
            Who::Requester => requester.clone(),
            Who::Keeper => keeper.clone(),
        };
        let run = load(addr, cookie, e.path, (assets, loans), args).await?;
        let label = match e.who {
            Who::Admin => e.path.to_string(),
            Who::Requester => format!("{} (requester)", e.path),
            Who::Keeper => format!("{} (keeper)", e.path),
        };
        println!(
            "{:<48} {:>9.1} {:>9.1} {:>9.1} {:>8.1} {:>6}",
            label,
            run.percentile(0.50),
            run.percentile(0.99),
            run.percentile(1.0),
            run.rate(),
            run.errors
        );
    }
    println!(
        "\n{:<32} {:>14} {:>10} {:>10} {:>12} {:>10}",
        "export (one at a time)", "first byte ms", "total ms", "rows", "rows/s", "MB"
    );
    for e in EXPORTS.iter().filter(|e| wanted(e.path)) {
        let cookie = match e.who {
            Who::Admin => &admin,
            Who::Requester => &requester,
            Who::Keeper => &keeper,
        };
        for _ in 0..args.export_runs {
            let x = export(addr, cookie, &fill(e.path, 0, (assets, loans))).await?;
            println!(
                "{:<32} {:>14.1} {:>10.1} {:>10} {:>12.0} {:>10.1}",
                e.path,
                x.first_byte.as_secs_f64() * 1e3,
                x.total.as_secs_f64() * 1e3,
                x.rows,
                x.rows as f64 / x.total.as_secs_f64().max(1e-9),
                x.bytes as f64 / 1e6
            );
        }
    }
    stop.cancel();
    let _ = server.await;
    Ok(())
}

/// A session cookie for a seeded user.
pub async fn session(conn: &mut sqlx::PgConnection, who: Who) -> anyhow::Result<String> {
    let username = who.username();
    let id = crate::db::credentials::login(conn, username)
        .await?
        .with_context(|| format!("no user {username}: a database seeded by depot bench data?"))?
        .id;
    let (token, _) = crate::auth::create_session(conn, id, 12).await?;
    Ok(format!("{}={token}", crate::cookie::COOKIE))
}

/// The latencies of one endpoint's run.
struct Run {
    latencies: Vec<Duration>,
    errors: usize,
    elapsed: Duration,
}

impl Run {
    fn percentile(&self, p: f64) -> f64 {
        if self.latencies.is_empty() {
            return f64::NAN;
        }
        let i =
            ((self.latencies.len() as f64 * p).ceil() as usize).clamp(1, self.latencies.len()) - 1;
        self.latencies[i].as_secs_f64() * 1e3
    }

    fn rate(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// `args.clients` connections, each sending requests one after another until the run has
/// sent `args.requests` or `args.seconds` have passed.
async fn load(
    addr: std::net::SocketAddr,
    cookie: String,
    path: &'static str,
    extent: (i64, i64),
    args: &DataBenchArgs,
) -> anyhow::Result<Run> {
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let started = Instant::now();
    let mut clients = Vec::new();
    for _ in 0..args.clients {
        let next = next.clone();
        let cookie = cookie.clone();
        let total = args.requests;
        clients.push(tokio::spawn(async move {
            let mut client = Client::connect(addr).await?;
            let mut latencies = Vec::new();
            let mut errors = 0;
            loop {
                let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if n >= total || Instant::now() >= deadline {
                    break;
                }
                let path = fill(path, n, extent);
                let t = Instant::now();
                match client.get(&path, &cookie).await {
                    Ok((status, _)) if status.is_success() => latencies.push(t.elapsed()),
                    Ok(_) => errors += 1,
                    Err(_) => {
                        errors += 1;
                        client = Client::connect(addr).await?;
                    }
                }
            }
            anyhow::Ok((latencies, errors))
        }));
    }
    let mut run = Run {
        latencies: Vec::new(),
        errors: 0,
        elapsed: Duration::ZERO,
    };
    for c in clients {
        let (latencies, errors) = c.await??;
        run.latencies.extend(latencies);
        run.errors += errors;
    }
    run.elapsed = started.elapsed();
    run.latencies.sort_unstable();
    Ok(run)
}

/// The path with `{asset}` and `{loan}` replaced by ids spread over the data (the same for
/// the same request number, so runs compare), and `{deep}` by the deepest page number
/// (200: rows 9,951 to 10,000 at 50 a page); `{today}` and `{year_ago}` by today's date
/// and the date 365 days before (a year of figures).
pub fn fill(path: &str, n: usize, (assets, loans): (i64, i64)) -> String {
    let spread = |n: usize, max: i64| 1 + (n as i64 * 7_919 + 104_729) % max.max(1);
    let today = chrono::Local::now().date_naive();
    let deep = crate::domain::bounds::PageNo::MAX;
    path.replace("{deep}", &deep.to_string())
        .replace("{asset}", &spread(n, assets).to_string())
        .replace("{loan}", &spread(n, loans).to_string())
        .replace("{today}", &today.to_string())
        .replace(
            "{year_ago}",
            &(today - chrono::Duration::days(365)).to_string(),
        )
}

/// One keep-alive HTTP/1.1 connection.
struct Client {
    sender: hyper::client::conn::http1::SendRequest<Body>,
}

impl Client {
    async fn connect(addr: std::net::SocketAddr) -> anyhow::Result<Client> {
        let stream = tokio::net::TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let (sender, connection) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
        tokio::spawn(connection);
        Ok(Client { sender })
    }

    async fn send(
        &mut self,
        path: &str,
        cookie: &str,
    ) -> anyhow::Result<hyper::Response<hyper::body::Incoming>> {
        let request = hyper::Request::get(path)
            .header(hyper::header::HOST, "127.0.0.1")
            .header(hyper::header::COOKIE, cookie)
            .body(Body::empty())?;
        self.sender.ready().await?;
        Ok(self.sender.send_request(request).await?)
    }

    /// A GET with the whole body read.
    async fn get(
        &mut self,
        path: &str,
        cookie: &str,
    ) -> anyhow::Result<(hyper::StatusCode, bytes::Bytes)> {
        let response = self.send(path, cookie).await?;
        let status = response.status();
        let body = axum::body::to_bytes(Body::new(response.into_body()), usize::MAX).await?;
        Ok((status, body))
    }
}

struct Export {
    first_byte: Duration,
    total: Duration,
    rows: usize,
    bytes: usize,
}

/// One export, timing its first body byte and its end.
async fn export(addr: std::net::SocketAddr, cookie: &str, path: &str) -> anyhow::Result<Export> {
    use futures_util::StreamExt;
    let mut client = Client::connect(addr).await?;
    let started = Instant::now();
    let response = client.send(path, cookie).await?;
    anyhow::ensure!(
        response.status().is_success(),
        "{path}: {}",
        response.status()
    );
    let mut body = Body::new(response.into_body()).into_data_stream();
    let mut first_byte = None;
    let (mut rows, mut bytes) = (0, 0);
    while let Some(chunk) = body.next().await {
        let chunk = chunk?;
        first_byte.get_or_insert_with(|| started.elapsed());
        bytes += chunk.len();
        rows += chunk.iter().filter(|b| **b == b'\n').count();
    }
    Ok(Export {
        first_byte: first_byte.unwrap_or_else(|| started.elapsed()),
        total: started.elapsed(),
        rows: rows.saturating_sub(1),
        bytes,
    })
}
