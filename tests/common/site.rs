//! A site for the reader tests: committed traces installed as zones, readers and gates,
//! registered assets, a cuttable link to PostgreSQL, the LLRP emulator and `depot serve` as
//! separate processes.

use std::collections::HashMap;
use std::io::BufReader;

use axum::http::{Method, StatusCode};
use depot::domain::bounds::Known as _;
use depot::engine::trace::{ReplayConfig, TraceReader};
use depot::engine::Fact;
use depot::ingest::{self, Ingest};
use serde_json::json;
use sqlx::PgPool;

use super::World;

pub const TRACES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/traces");

/// A committed trace, its configuration, and the ids the database gave its zones and readers.
pub struct Trace {
    pub name: &'static str,
    pub config: ReplayConfig,
    pub zones: HashMap<u32, i64>,
    pub readers: HashMap<u32, i64>,
}

impl Trace {
    /// Create the trace's zones (with its smoothing), readers, read points and gates in
    /// warehouse `warehouse` of the test database.
    pub async fn install(pool: &PgPool, warehouse: i64, name: &'static str) -> Trace {
        let text = std::fs::read_to_string(format!("{TRACES}/{name}.config.json")).unwrap();
        let config: ReplayConfig = serde_json::from_str(&text).unwrap();
        let mut zones = HashMap::new();
        for z in &config.engine.zones {
            let id: i64 = sqlx::query_scalar("insert into zones (warehouse_id, code, name, smoothing) values ($1, $2, $3, $4) returning id")
                .bind(warehouse)
                .bind(format!("T{}", z.id.0))
                .bind(&z.name)
                .bind(serde_json::to_value(z.smoothing).unwrap())
                .fetch_one(pool)
                .await
                .unwrap();
            zones.insert(z.id.0, id);
        }
        let mut readers = HashMap::new();
        let mut conn = pool.acquire().await.unwrap();
        for r in &config.engine.readers {
            let points = config
                .engine
                .read_points
                .iter()
                .filter(|p| p.reader == r.id)
                .map(|p| depot::db::readers::ReadPoint {
                    antenna: p.antenna.into(),
                    zone_id: zones[&p.zone.0],
                })
                .collect();
            let new = depot::db::readers::NewReader {
                name: r.name.clone().known(),
                address: "llrp://127.0.0.1:1".known(),
                enabled: true,
                read_points: points,
            };
            readers.insert(
                r.id,
                depot::db::readers::create(&mut conn, &new)
                    .await
                    .unwrap()
                    .id,
            );
        }
        for g in &config.engine.gates {
            let new = depot::db::readers::NewGate {
                name: g.name.clone().known(),
                inside_zone_id: zones[&g.inside.0],
                outside_zone_id: zones[&g.outside.0],
            };
            depot::db::readers::create_gate(&mut conn, &new)
                .await
                .unwrap();
        }
        Trace {
            name,
            config,
            zones,
            readers,
        }
    }

    /// What the engine alone makes of the trace: the reference the service must agree with.
    pub fn facts(&self) -> Vec<Fact> {
        let file = std::fs::File::open(format!("{TRACES}/{}.jsonl", self.name)).unwrap();
        depot::engine::trace::replay(BufReader::new(file), &self.config)
            .unwrap()
            .facts
    }

    pub fn passed(&self) -> Vec<String> {
        self.facts()
            .iter()
            .filter(|f| matches!(f, Fact::Passed { .. }))
            .map(|f| f.epc().unwrap().to_hex())
            .collect()
    }

    /// Feed every read of the trace to the pipeline (with the database's reader ids), let
    /// time run out past the last read, and wait until everything is stored.
    pub async fn replay_into(&self, ingest: &Ingest) {
        let file = std::fs::File::open(format!("{TRACES}/{}.jsonl", self.name)).unwrap();
        let mut reader = TraceReader::new(BufReader::new(file), &self.config.engine);
        let mut batch = Vec::new();
        let mut last = 0;
        while let Some(mut read) = reader.next_read().unwrap() {
            read.reader = ingest::reader_id(self.readers[&read.reader.0]);
            last = read.timestamp_us;
            batch.push(read);
            if batch.len() == 1000 {
                ingest.feed(std::mem::take(&mut batch)).await.unwrap();
            }
        }
        ingest.feed(batch).await.unwrap();
        ingest.advance_to(last + 120_000_000).await.unwrap();
        ingest.sync().await.unwrap();
    }
}

/// Register assets with the given EPCs, in stock in `zone`.
pub async fn register(world: &World, epcs: &[String], zone: i64) -> Vec<i64> {
    let mut ids = Vec::new();
    for epc in epcs {
        let (status, asset) = world
            .call(Method::POST, "/api/assets", &world.keeper, Some(json!({"epc": epc, "name": "trace item", "category_id": world.tables, "original_value_fen": 45_000})))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{asset}");
        let id = asset["id"].as_i64().unwrap();
        world.set_in_stock(id).await;
        sqlx::query("update assets set zone_id = $2 where id = $1")
            .bind(id)
            .bind(zone)
            .execute(&world.pool)
            .await
            .unwrap();
        ids.push(id);
    }
    ids
}

pub async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

/// A TCP proxy in front of PostgreSQL's unix socket that the test can cut and restore: the
/// database "goes away" for the pipeline while the test itself keeps its own connections.
pub struct Proxy {
    pub port: u16,
    pub up: std::sync::Arc<std::sync::atomic::AtomicBool>,
    pub links: std::sync::Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>>,
}

impl Proxy {
    pub async fn start(socket: std::path::PathBuf) -> Proxy {
        use std::sync::atomic::Ordering;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let links: std::sync::Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>> =
            Default::default();
        let (up2, links2) = (up.clone(), links.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    return;
                };
                if !up2.load(Ordering::SeqCst) {
                    continue; // dropped: connection refused, as by a database that is down
                }
                let socket = socket.clone();
                links2.lock().unwrap().push(tokio::spawn(async move {
                    if let Ok(mut server) = tokio::net::UnixStream::connect(&socket).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                }));
            }
        });
        Proxy { port, up, links }
    }

    pub fn cut(&self) {
        self.up.store(false, std::sync::atomic::Ordering::SeqCst);
        self.links.lock().unwrap().drain(..).for_each(|l| l.abort());
    }

    pub fn restore(&self) {
        self.up.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

pub fn peers_python() -> std::path::PathBuf {
    std::env::var_os("DEPOT_PEERS_PYTHON")
        .map(Into::into)
        .unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/hil/.venv/bin/python").into())
}

/// The llrpkit reader emulator on `port` (0: any) with the given arguments (a population,
/// or `--play TRACE`), and the port it listens on.
pub fn llrp_emulator(port: u16, args: &[&str]) -> (Process, u16) {
    use std::io::BufRead;
    let mut emulator = std::process::Command::new(peers_python())
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/hil/peers/llrp_emulator.py"
        ))
        .args(["--port", &port.to_string()])
        .args(args)
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
        .parse()
        .unwrap();
    (Process(emulator), port)
}

/// A reader `name` at `address` whose antennas 1, 2, … read `zones` in turn; its id.
pub async fn add_reader(pool: &PgPool, name: &str, address: &str, zones: &[i64]) -> i64 {
    use depot::domain::bounds::Known as _;
    let new = depot::db::readers::NewReader {
        name: name.known(),
        address: address.known(),
        enabled: true,
        read_points: zones
            .iter()
            .enumerate()
            .map(|(i, &zone_id)| depot::db::readers::ReadPoint {
                antenna: i as i32 + 1,
                zone_id,
            })
            .collect(),
    };
    depot::db::readers::create(&mut pool.acquire().await.unwrap(), &new)
        .await
        .unwrap()
        .id
}

/// The EPC llrpkit's default population gives its tag `i` (read on antenna `1 + i % antennas`).
pub fn emulated_epc(i: usize) -> String {
    format!("E2000017010B01621000{:02X}{:02X}", i >> 8, i & 0xFF)
}

/// The test's database as a `DATABASE_URL` for a process of its own.
pub fn database_url(pool: &PgPool) -> String {
    let o = pool.connect_options();
    format!(
        "postgres://{}@localhost/{}?host={}",
        o.get_username(),
        o.get_database().unwrap(),
        o.get_socket()
            .expect("the test database is on a unix socket")
            .display()
    )
}

/// `depot serve` as a separate process on the test's database; its address once serving.
pub fn spawn_depot(pool: &PgPool) -> (Process, String) {
    let mut serve = depot_serve();
    serve.env("DATABASE_URL", database_url(pool));
    spawn_serving(serve)
}

/// `depot serve` on any free loopback port, logging warnings only; add its database.
pub fn depot_serve() -> std::process::Command {
    let mut serve = std::process::Command::new(env!("CARGO_BIN_EXE_depot"));
    serve
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("DEPOT_LOG", "warn");
    serve
}

/// Start `serve` and wait until it serves; the process and its address.
pub fn spawn_serving(mut serve: std::process::Command) -> (Process, String) {
    use std::io::BufRead;
    let mut depot = serve
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(depot.stderr.take().unwrap()).lines();
    let base = loop {
        let line = lines
            .next()
            .expect("depot serve ended before serving")
            .unwrap();
        if let Some(addr) = line.strip_prefix("Depot is serving on ") {
            break addr.trim().to_owned();
        }
    };
    // Keep draining its log so that it never blocks on a full pipe; a failing test shows it.
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            eprintln!("depot serve: {line}");
        }
    });
    (Process(depot), base)
}

/// A child process that is killed when the test lets go of it, passing or failing: a test
/// that panics must not leave a service holding its database.
pub struct Process(pub std::process::Child);

impl std::ops::Deref for Process {
    type Target = std::process::Child;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl std::ops::DerefMut for Process {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `depot serve --demo` on the test's database, logging warnings and errors only: its
/// address and every line it logs.
pub fn serve_demo(
    pool: &PgPool,
) -> (
    Process,
    String,
    std::sync::Arc<std::sync::Mutex<Vec<String>>>,
) {
    use std::io::BufRead;
    let url = database_url(pool);
    let mut depot = std::process::Command::new(env!("CARGO_BIN_EXE_depot"))
        .args(["serve", "--demo", "--listen", "127.0.0.1:0"])
        .env("DATABASE_URL", url)
        .env("DEPOT_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(depot.stderr.take().unwrap()).lines();
    let base = loop {
        let line = lines.next().expect("depot serve ended early").unwrap();
        if let Some(addr) = line.strip_prefix("Depot is serving on ") {
            break addr.trim().to_owned();
        }
    };
    let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let kept = log.clone();
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            eprintln!("depot serve: {line}");
            kept.lock().unwrap().push(line);
        }
    });
    (Process(depot), base, log)
}

/// A client signed in as a demo user (password `demo`); each request bounded to 10 s.
pub async fn signed_in(base: &str, user: &str) -> reqwest::Client {
    let c = reqwest::Client::builder()
        .cookie_store(true)
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .unwrap();
    let r = c
        .post(format!("{base}/api/session"))
        .json(&json!({"username": user, "password": "demo"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "sign in as {user}");
    c
}
