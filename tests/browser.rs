//! The pages in a real browser: headless Chromium driven over WebDriver (chromedriver) with
//! fantoccini, against the real server on a free port with the demo world. Screenshots go to
//! `target/screenshots/`. Chromium and chromedriver are Debian's `chromium` and
//! `chromium-driver` (`bash scripts/test` installs them); without them these tests fail and
//! say so.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{Datelike, Weekday};
use depot::app::App;
use depot::config::Config;
use depot::domain::bounds::{Fen, Known as _};
use depot::server;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use sqlx::PgPool;
use tokio::sync::oneshot;

const PATIENCE: Duration = Duration::from_secs(30);

/// The server on port 0 with the demo world; stops when the sender is dropped.
async fn serve(pool: PgPool) -> (String, oneshot::Sender<()>) {
    let config = Config::for_database(None);
    depot::demo::seed(&pool, &config).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(server::serve(listener, App::new(pool, config), async {
        let _ = stopped.await;
    }));
    (base, stop)
}

fn find_program(env: &str, names: &[&str]) -> PathBuf {
    if let Some(p) = std::env::var_os(env) {
        return PathBuf::from(p);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path).chain([
        PathBuf::from("/usr/bin"),
        PathBuf::from("/usr/lib/chromium"),
    ]) {
        for name in names {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return candidate;
            }
        }
    }
    panic!(
        "{} not found: install Debian's `chromium` and `chromium-driver` (bash scripts/test does), or set {env}",
        names.join(" or ")
    );
}

/// chromedriver and a headless Chromium with a fresh profile; both end when this is dropped.
struct Browser {
    client: Option<Client>,
    driver: Child,
    profile: PathBuf,
}

impl Browser {
    async fn start(name: &str) -> Browser {
        let chromium = find_program(
            "CHROMIUM",
            &["chromium", "chromium-browser", "google-chrome"],
        );
        let chromedriver = find_program("CHROMEDRIVER", &["chromedriver"]);
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", chromedriver.display()));
        let profile =
            std::env::temp_dir().join(format!("depot-browser-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&profile);
        let mut browser = Browser {
            client: None,
            driver,
            profile,
        };
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--lang=en-US",
            "--window-size=1280,900",
        ]
        .iter()
        .map(|s| s.to_string())
        .chain([format!("--user-data-dir={}", browser.profile.display())])
        .collect::<Vec<_>>();
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": chromium, "args": args, "prefs": { "intl.accept_languages": "en-US,en" } }
        });
        let serde_json::Value::Object(caps) = caps else {
            unreachable!()
        };
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + PATIENCE;
        let client = loop {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(client) => break client,
                Err(e) if Instant::now() > deadline => {
                    panic!("chromedriver on {url} did not start a session: {e}")
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        };
        browser.client = Some(client);
        browser
    }

    fn c(&self) -> &Client {
        self.client.as_ref().unwrap()
    }

    async fn find(&self, css: &str) -> fantoccini::elements::Element {
        self.c()
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css}: {e}"))
    }

    /// Poll until the element's text contains `expected`.
    async fn wait_text(&self, css: &str, expected: &str) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let text = match self.c().find(Locator::Css(css)).await {
                Ok(el) => el.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            if text.contains(expected) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{css} never said {expected:?} (last: {text:?})"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn fill(&self, css: &str, value: &str) {
        let el = self.find(css).await;
        el.clear().await.unwrap();
        el.send_keys(value).await.unwrap();
    }

    /// Date inputs take typed text in the browser's locale format; set the ISO value instead.
    async fn set_date(&self, id: &str, date: &str) {
        self.find(&format!("#{id}")).await;
        self.c()
            .execute(
                "document.getElementById(arguments[0]).value = arguments[1]",
                vec![json!(id), json!(date)],
            )
            .await
            .unwrap();
    }

    async fn sign_in(&self, base: &str, user: &str) {
        self.c().goto(&format!("{base}/login")).await.unwrap();
        self.fill("#username", user).await;
        self.fill("#password", "demo").await;
        self.find("form[action='/login'] button[type=submit]")
            .await
            .click()
            .await
            .unwrap();
        self.find("form[action='/logout']").await;
    }

    async fn sign_out(&self) {
        self.find("form[action='/logout'] button")
            .await
            .click()
            .await
            .unwrap();
        self.find("#username").await;
    }

    async fn screenshot(&self, name: &str) {
        let png = self.c().screenshot().await.unwrap();
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
    }

    async fn close(mut self) {
        if let Some(client) = self.client.take() {
            let _ = client.close().await;
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

fn next_tuesday() -> String {
    let mut day = chrono::Utc::now()
        .with_timezone(&depot::config::default_time_zone())
        .date_naive()
        .succ_opt()
        .unwrap();
    while day.weekday() != Weekday::Tue {
        day = day.succ_opt().unwrap();
    }
    day.to_string()
}

#[sqlx::test(migrations = "./migrations")]
async fn a_clerk_requests_twelve_tables_for_tuesday_and_the_admin_approves_them(pool: PgPool) {
    let (base, _stop) = serve(pool.clone()).await;
    let b = Browser::start("loan").await;
    let tuesday = next_tuesday();

    // Anonymous: sent to sign in, then to the catalogue.
    b.c().goto(&base).await.unwrap();
    b.fill("#username", "requester").await;
    b.fill("#password", "demo").await;
    b.screenshot("01-login").await;
    b.find("form[action='/login'] button[type=submit]")
        .await
        .click()
        .await
        .unwrap();
    b.find("[data-available='TBL']").await;

    // Availability for the day, then the request.
    b.set_date("from", &tuesday).await;
    b.set_date("to", &tuesday).await;
    b.find("form[role=search] button[type=submit]")
        .await
        .click()
        .await
        .unwrap();
    b.wait_text("caption", &tuesday).await;
    b.screenshot("02-catalogue").await;
    b.find("a[aria-label^='Request: Folding table']")
        .await
        .click()
        .await
        .unwrap();
    b.find("#submit-request").await;
    b.set_date("from", &tuesday).await;
    b.set_date("to", &tuesday).await;
    b.fill("#quantity", "12").await;
    b.fill("#purpose", "Tuesday conference").await;
    b.screenshot("03-request").await;
    b.find("#submit-request").await.click().await.unwrap();
    b.wait_text("#loan-status", "requested").await;
    let url = b.c().current_url().await.unwrap();
    let id: i64 = url.path().trim_start_matches("/orders/").parse().unwrap();
    b.screenshot("04-requested").await;
    let status: String = sqlx::query_scalar("select status::text from loans where id = $1")
        .bind(id)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(status, "requested");
    b.find("a[href='/orders']").await.click().await.unwrap();
    b.wait_text(&format!("tr[data-loan='{id}']"), "requested")
        .await;
    b.sign_out().await;

    // The admin finds it in the queue and approves the automatic choice.
    b.sign_in(&base, "admin").await;
    b.c()
        .goto(&format!("{base}/admin/approvals"))
        .await
        .unwrap();
    b.find(&format!("#review-{id}"))
        .await
        .click()
        .await
        .unwrap();
    b.find("#approve").await;
    let proposed = b
        .c()
        .find_all(Locator::Css("#approve-form input[name=asset]:checked"))
        .await
        .unwrap();
    assert_eq!(proposed.len(), 12, "twelve tables proposed");
    b.screenshot("05-approve").await;
    b.find("#approve").await.click().await.unwrap();
    // A second step says what approving does, then the word that it is done.
    b.wait_text("#confirm-message", "12 assets").await;
    b.find("#confirm").await.click().await.unwrap();
    b.wait_text("#loan-status", "approved").await;
    b.wait_text("#flash", "Approved").await;
    b.screenshot("06-approved").await;
    let reserved: i64 = sqlx::query_scalar("select count(*) from reservations where order_kind = 'loan' and order_id = $1 and released_at is null")
        .bind(id)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(reserved, 12);
    b.c().goto(&format!("{base}/reports")).await.unwrap();
    b.find("svg[role=img]").await;
    b.screenshot("07-dashboard").await;
    b.sign_out().await;

    // The keeper, on a tablet, sees the tables on the pick list.
    b.c().set_window_size(820, 1180).await.unwrap();
    b.sign_in(&base, "keeper").await;
    b.c().goto(&format!("{base}/keeper/picks")).await.unwrap();
    b.find(&format!("#picks a[href='/orders/{id}']")).await;
    b.screenshot("09-keeper-picks-tablet").await;
    b.close().await;
}

#[sqlx::test(migrations = "./migrations")]
async fn the_language_switch_turns_every_label_to_chinese_and_back(pool: PgPool) {
    let (base, _stop) = serve(pool).await;
    let b = Browser::start("lang").await;
    b.c().goto(&format!("{base}/login")).await.unwrap();
    b.wait_text("h1", "Sign in").await;
    b.find("#lang-zh").await.click().await.unwrap();
    b.wait_text("h1", "登录").await;
    b.fill("#username", "requester").await;
    b.fill("#password", "demo").await;
    b.find("form[action='/login'] button[type=submit]")
        .await
        .click()
        .await
        .unwrap();
    b.wait_text("h1", "可借资产目录").await;
    b.wait_text("header nav", "我的申请").await;
    b.wait_text("header nav", "虚拟公物仓").await;
    let lang = b.find("html").await.attr("lang").await.unwrap();
    assert_eq!(lang.as_deref(), Some("zh-CN"));
    b.screenshot("08-catalogue-zh").await;
    b.find("#lang-en").await.click().await.unwrap();
    b.wait_text("h1", "Catalogue").await;
    b.wait_text("header nav", "My orders").await;
    b.close().await;
}

/// The server on port 0 with the reader pipeline (no reader connections, time advanced by
/// the test), over a database already set up: the pipeline reads its readers at start.
async fn serve_live(pool: PgPool) -> (String, depot::ingest::Ingest, oneshot::Sender<()>) {
    let config = Config::for_database(None);
    let ingest = depot::ingest::Ingest::start(
        pool.clone(),
        depot::ingest::Options {
            tick: None,
            connect_readers: false,
            capacity: 16,
            record_latency: false,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(server::serve(
        listener,
        App::new(pool, config).with_ingest(ingest.clone()),
        async {
            let _ = stopped.await;
        },
    ));
    (base, ingest, stop)
}

/// A small place of its own: a warehouse with one zone, a handheld mapped to it, and three
/// assets in stock there. Returns (warehouse, zone, EPCs).
async fn small_depot(pool: &PgPool) -> (i64, i64, Vec<String>) {
    use depot::db::{assets, events, readers};
    let warehouse: i64 = sqlx::query_scalar(
        "insert into warehouses (code, name) values ('W9', 'Test depot') returning id",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    let zone: i64 = sqlx::query_scalar(
        "insert into zones (warehouse_id, code, name) values ($1, 'S', 'Shelf S') returning id",
    )
    .bind(warehouse)
    .fetch_one(pool)
    .await
    .unwrap();
    let category: i64 = sqlx::query_scalar("select id from categories order by id limit 1")
        .fetch_one(pool)
        .await
        .unwrap();
    let mut tx = pool.begin().await.unwrap();
    let new = readers::NewReader {
        name: "hh-s".known(),
        address: readers::HANDHELD.known(),
        enabled: true,
        read_points: vec![readers::ReadPoint {
            antenna: 1,
            zone_id: zone,
        }],
    };
    readers::create(&mut tx, &new).await.unwrap();
    let mut epcs = Vec::new();
    for i in 0..3 {
        let new = assets::NewAsset {
            epc: None,
            name: format!("Shelf item {i}").known(),
            category_id: category,
            original_value_fen: Fen::known(10_000),
            acquired_on: None,
            source_class: Default::default(),
            owner_department_id: None,
            notes: Default::default(),
            ..Default::default()
        };
        let asset = assets::register(
            &mut tx,
            &Config::for_database(None).company_prefix,
            &new,
            &Default::default(),
        )
        .await
        .unwrap();
        events::transition(
            &mut tx,
            asset.id,
            depot::domain::lifecycle::AssetAction::Receive,
            &Default::default(),
        )
        .await
        .unwrap();
        sqlx::query("update assets set zone_id = $2 where id = $1")
            .bind(asset.id)
            .bind(zone)
            .execute(&mut *tx)
            .await
            .unwrap();
        epcs.push(asset.epc.clone());
    }
    tx.commit().await.unwrap();
    (warehouse, zone, epcs)
}

/// From the stocktakes page: a stocktake of `zone` in `warehouse`, created and started.
async fn start_stocktake(b: &Browser, warehouse: i64, zone: i64) {
    b.find(&format!("#warehouse option[value='{warehouse}']"))
        .await
        .click()
        .await
        .unwrap();
    b.find(&format!("#zone-{zone}"))
        .await
        .click()
        .await
        .unwrap();
    b.find("#create-stocktake").await.click().await.unwrap();
    b.find("#start").await.click().await.unwrap();
}

#[sqlx::test(migrations = "./migrations")]
async fn the_stocktake_page_counts_handheld_reads_as_they_arrive(pool: PgPool) {
    depot::demo::seed(&pool, &Config::for_database(None))
        .await
        .unwrap();
    let (warehouse, zone, epcs) = small_depot(&pool).await;
    let (base, _ingest, _stop) = serve_live(pool.clone()).await;
    let token = depot::auth::create_api_token(
        &mut pool.acquire().await.unwrap(),
        "keeper",
        "handheld",
        None,
    )
    .await
    .unwrap();

    let b = Browser::start("stocktake").await;
    b.sign_in(&base, "keeper").await;
    b.c()
        .goto(&format!("{base}/keeper/stocktakes"))
        .await
        .unwrap();
    start_stocktake(&b, warehouse, zone).await;
    b.wait_text("#stocktake-status", "counting").await;
    b.wait_text("#expected", "3").await;
    b.wait_text("#found", "0").await;
    // The page follows the stream before the reads go up.
    b.find("#count[data-live='open']").await;
    let url = b.c().current_url().await.unwrap();

    let reads = json!({"reader": "hh-s", "reads": [{"epc": epcs[0]}, {"epc": epcs[1]}]});
    let reply = reqwest::Client::new()
        .post(format!("{base}/api/reads"))
        .bearer_auth(&token)
        .json(&reads)
        .send()
        .await
        .unwrap();
    assert_eq!(
        reply.status().as_u16(),
        202,
        "{}",
        reply.text().await.unwrap_or_default()
    );
    b.wait_text("#found", "2").await;
    b.wait_text("#missing", "1").await;
    b.wait_text("#counted", "2").await;
    b.wait_text("#lists #oc_found", &epcs[1]).await;
    // The reader counting the aisle, with its state, and the lines with names beside EPCs.
    b.wait_text("#readers [data-reader='hh-s']", "handheld")
        .await;
    assert_eq!(b.c().current_url().await.unwrap(), url, "no reload");
    b.screenshot("10-stocktake-live").await;

    // One of three not counted: ending asks first.
    b.find("#finish").await.click().await.unwrap();
    b.wait_text("#confirm-message", "1 of 3").await;
    b.find("#confirm").await.click().await.unwrap();
    b.wait_text("#stocktake-status", "finished").await;
    b.wait_text(&format!("tr[data-epc='{}']", epcs[2]), "Shelf item 2")
        .await;
    b.screenshot("11-stocktake-finished").await;

    // The missing one marked lost with one reason, after a confirmation; then found again
    // from its own page, in Chinese.
    b.fill("#lost-reason", "not on its shelf at the count")
        .await;
    b.find("#mark-lost").await.click().await.unwrap();
    b.wait_text("#confirm-message", "(1)").await;
    b.find("#confirm").await.click().await.unwrap();
    b.wait_text("#flash", "Marked lost").await;
    let asset: i64 = sqlx::query_scalar("select id from assets where epc = $1")
        .bind(&epcs[2])
        .fetch_one(&pool)
        .await
        .unwrap();
    let state: String = sqlx::query_scalar("select state::text from assets where id = $1")
        .bind(asset)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(state, "lost");
    b.c()
        .goto(&format!("{base}/lang/zh?back=/assets/{asset}"))
        .await
        .unwrap();
    b.fill("#recover-reason", "在原货架后面找到").await;
    b.find("#recover").await.click().await.unwrap();
    b.wait_text("#flash", "已找回").await;
    b.screenshot("12-found-again").await;
    let state: String = sqlx::query_scalar("select state::text from assets where id = $1")
        .bind(asset)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(state, "in_stock");
    b.close().await;
}

/// The zones, readers and gate of a committed trace, installed in the demo's central depot.
async fn install_trace(
    pool: &PgPool,
    name: &str,
) -> (
    depot::engine::trace::ReplayConfig,
    std::collections::HashMap<u32, i64>,
    i64,
) {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/traces");
    let config: depot::engine::trace::ReplayConfig = serde_json::from_str(
        &std::fs::read_to_string(format!("{dir}/{name}.config.json")).unwrap(),
    )
    .unwrap();
    let warehouse: i64 = sqlx::query_scalar("select id from warehouses order by id limit 1")
        .fetch_one(pool)
        .await
        .unwrap();
    let mut zones = std::collections::HashMap::new();
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
    let mut conn = pool.acquire().await.unwrap();
    let mut readers = std::collections::HashMap::new();
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
            name: format!("trace-{}", r.name).known(),
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
    let mut gate = 0;
    for g in &config.engine.gates {
        let new = depot::db::readers::NewGate {
            name: format!("Trace {}", g.name).known(),
            inside_zone_id: zones[&g.inside.0],
            outside_zone_id: zones[&g.outside.0],
        };
        gate = depot::db::readers::create_gate(&mut conn, &new)
            .await
            .unwrap()
            .id;
    }
    (config, readers, gate)
}

#[sqlx::test(migrations = "./migrations")]
async fn the_gate_page_shows_passages_as_they_happen(pool: PgPool) {
    depot::demo::seed(&pool, &Config::for_database(None))
        .await
        .unwrap();
    let (trace, readers, gate) = install_trace(&pool, "loan-gate-out").await;
    let (base, ingest, _stop) = serve_live(pool.clone()).await;

    let b = Browser::start("gate").await;
    b.sign_in(&base, "keeper").await;
    b.c()
        .goto(&format!("{base}/keeper/gate?gate={gate}"))
        .await
        .unwrap();
    b.find("#live[data-live='open']").await;
    let before = b
        .c()
        .find_all(Locator::Css("#passages tr[data-fact]"))
        .await
        .unwrap()
        .len();
    assert_eq!(before, 0, "nothing has passed this gate yet");

    let file = std::fs::File::open(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/traces/loan-gate-out.jsonl"
    ))
    .unwrap();
    let mut reader =
        depot::engine::trace::TraceReader::new(std::io::BufReader::new(file), &trace.engine);
    let (mut batch, mut last) = (Vec::new(), 0);
    while let Some(mut read) = reader.next_read().unwrap() {
        read.reader = depot::ingest::reader_id(readers[&read.reader.0]);
        last = read.timestamp_us;
        batch.push(read);
    }
    ingest.feed(batch).await.unwrap();
    ingest.advance_to(last + 120_000_000).await.unwrap();
    ingest.sync().await.unwrap();

    // Unknown tags leaving: each passage arrives with its alert, without a reload.
    let deadline = Instant::now() + PATIENCE;
    loop {
        let rows = b
            .c()
            .find_all(Locator::Css("#passages tr[data-fact]"))
            .await
            .unwrap()
            .len();
        let alerts = b
            .c()
            .find_all(Locator::Css("#alerts tr[data-alert] button"))
            .await
            .unwrap()
            .len();
        if rows > 0 && alerts > 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no live passage on the page ({rows} passages, {alerts} alerts)"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    b.wait_text("#passages tbody", "alert raised").await;
    b.screenshot("12-gate-live").await;
    b.close().await;
}

/// A person of the demo world, as the operations take them.
async fn demo_actor(pool: &PgPool, username: &str) -> depot::auth::Actor {
    sqlx::query_as(
        "select id, username, display_name, role, department_id from users where username = $1",
    )
    .bind(username)
    .fetch_one(pool)
    .await
    .unwrap()
}

#[sqlx::test(migrations = "./migrations")]
async fn next_months_conference_books_the_tables_this_weeks_event_has_out(pool: PgPool) {
    let (base, _stop) = serve(pool.clone()).await;
    let app = App::new(pool.clone(), Config::for_database(None));
    // The depot's today (UTC's is a day behind for eight hours of each day).
    let today = chrono::Utc::now()
        .with_timezone(&depot::config::default_time_zone())
        .date_naive();
    let next_month = (today + chrono::Duration::days(30)).to_string();

    // This week's event (the Culture bureau) takes every table free today.
    let requester = demo_actor(&pool, "requester").await;
    let day = |d: chrono::NaiveDate| depot::domain::bounds::Day::parse(&d.to_string()).unwrap();
    let browse = depot::app::catalogue::Browse::default();
    let (offers, _) = depot::app::catalogue::browse(&app, &requester, browse)
        .await
        .unwrap();
    let tables = offers.iter().find(|o| o.code == "TBL").unwrap();
    let free_today = tables.depot;
    assert!(
        free_today >= 12,
        "the demo has tables to lend: {free_today}"
    );
    let event = depot::app::loans::request(
        &app,
        &demo_actor(&pool, "requester2").await,
        depot::db::loans::NewLoan {
            department_id: None,
            purpose: "this week's exhibition".known(),
            starts_on: day(today),
            ends_on: day(today + chrono::Duration::days(3)),
            accept_shortfall: false,
            lines: vec![depot::db::orders::Line {
                id: 0,
                category_id: Some(tables.category_id),
                asset_id: None,
                kit_id: None,
                quantity: free_today as i32,
            }],
        },
    )
    .await
    .unwrap();
    let admin = demo_actor(&pool, "admin").await;
    depot::app::loans::approve(&app, &admin, event.id, Default::default())
        .await
        .unwrap();
    depot::app::loans::issue(
        &app,
        &demo_actor(&pool, "keeper").await,
        event.id,
        Default::default(),
    )
    .await
    .unwrap();

    // The clerk, in 中文, finds no table today, and tables for next month.
    let b = Browser::start("book-ahead").await;
    b.sign_in(&base, "requester").await;
    read_in(&b, &base, "zh", "/catalogue").await;
    b.wait_text("[data-available='TBL']", "0").await;
    b.set_date("from", &next_month).await;
    b.set_date("to", &next_month).await;
    b.find("form[role=search] button[type=submit]")
        .await
        .click()
        .await
        .unwrap();
    b.wait_text("caption", &next_month).await;
    let later: i64 = b
        .find("[data-available='TBL']")
        .await
        .text()
        .await
        .unwrap()
        .parse()
        .unwrap();
    assert!(later >= 12, "next month {later} tables");
    b.screenshot("20-catalogue-next-month").await;
    b.find("a[aria-label^='申请: 折叠桌']")
        .await
        .click()
        .await
        .unwrap();
    b.find("#submit-request").await;
    b.set_date("from", &next_month).await;
    b.set_date("to", &next_month).await;
    b.fill("#quantity", "12").await;
    b.fill("#purpose", "下月工作会议").await;
    b.find("#submit-request").await.click().await.unwrap();
    b.wait_text("#loan-status", "已申请").await;
    let url = b.c().current_url().await.unwrap();
    let id: i64 = url.path().trim_start_matches("/orders/").parse().unwrap();
    b.sign_out().await;

    // The admin, in English, approves: twelve tables booked, those out this week among them.
    b.sign_in(&base, "admin").await;
    read_in(&b, &base, "en", &format!("/orders/{id}")).await;
    b.find("#approve").await.click().await.unwrap();
    b.find("#confirm").await.click().await.unwrap();
    b.wait_text("#loan-status", "approved").await;
    b.screenshot("21-booked-ahead").await;
    let (booked, out_now): (i64, i64) = sqlx::query_as(
        "select count(*), count(*) filter (where a.state = 'on_loan') from reservations r join assets a on a.id = r.asset_id
         where r.order_kind = 'loan' and r.order_id = $1 and r.released_at is null",
    )
    .bind(id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(booked, 12);
    // None was idle: each is out this week or held for another period.
    let idle: i64 = sqlx::query_scalar(
        "select count(*) from assets where category_id = $1 and state = 'in_stock'",
    )
    .bind(tables.category_id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(idle, 0);
    assert!(
        out_now > 0,
        "tables out this week are booked for next month"
    );
    b.close().await;
}

/// As a keeper on an 800 px tablet, in 中文: everything a loan had out comes back through
/// the gate; one item is damaged, the rest take one click ("其余全部完好").
#[sqlx::test(migrations = "./migrations")]
async fn the_keeper_takes_back_a_loan_with_one_exception_and_one_click(pool: PgPool) {
    let (base, _stop) = serve(pool.clone()).await;
    // The demo's two loans with the most items out come back through the gate.
    let loans: Vec<(i64, Vec<i64>)> = sqlx::query_as(
        "select order_id, array_agg(asset_id order by asset_id) from reservations
         where order_kind = 'loan' and issued_at is not null and returned_at is null
           and released_at is null
         group by order_id order by count(*) desc, order_id limit 2",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(
        loans.len() == 2 && loans.iter().all(|(_, out)| out.len() >= 2),
        "the demo has two loans out with several items each: {loans:?}"
    );
    let zone: i64 =
        sqlx::query_scalar("select id from zones where kind = 'storage' order by id limit 1")
            .fetch_one(&pool)
            .await
            .unwrap();
    let mut tx = pool.begin().await.unwrap();
    for (loan, out) in &loans {
        for &asset in out {
            depot::db::loans::return_at_gate(&mut tx, *loan, asset, zone, &Default::default())
                .await
                .unwrap();
        }
    }
    tx.commit().await.unwrap();

    let b = Browser::start("returns").await;
    b.c().set_window_size(800, 1100).await.unwrap();
    b.sign_in(&base, "keeper").await;
    for (lang, (loan, out)) in LANGUAGES.into_iter().zip(&loans) {
        let loan = *loan;
        // The desk filtered to the loan, as a keeper does with the loan's number.
        read_in(&b, &base, lang, &format!("/keeper/returns?loan={loan}")).await;
        b.wait_text("h1", say(lang, "归还验收", "Return inspection"))
            .await;
        let damaged = out[0];
        let note = say(lang, "桌腿弯了", "A leg is bent");
        b.find(&format!("#condition-{loan}-{damaged}"))
            .await
            .select_by_value("damaged")
            .await
            .unwrap();
        b.fill(&format!("#note-{loan}-{damaged}"), note).await;
        // Nothing wider than the tablet: tables scroll inside their frame, not the page.
        fits(&b, 800).await;
        b.screenshot(&format!("10-returns-tablet-{lang}")).await;
        b.find("button[name=all_fine]").await.click().await.unwrap();
        // A damaged asset opens a compensation case: the page asks first, naming it.
        b.wait_text("#confirm-message", say(lang, "1 项损坏", "1 damaged"))
            .await;
        b.find("#confirm").await.click().await.unwrap();
        b.wait_text(
            "#flash",
            say(lang, "验收已记录", "The inspection is recorded"),
        )
        .await;
        b.screenshot(&format!("11-returns-done-{lang}")).await;

        let conditions: Vec<(i64, Option<String>)> = sqlx::query_as(
            "select asset_id, condition from reservations
             where order_kind = 'loan' and order_id = $1 and asset_id = any($2) order by asset_id",
        )
        .bind(loan)
        .bind(out)
        .fetch_all(&pool)
        .await
        .unwrap();
        for (asset, condition) in &conditions {
            let expected = if *asset == damaged { "damaged" } else { "fine" };
            assert_eq!(condition.as_deref(), Some(expected), "asset {asset}");
        }
        let case: String = sqlx::query_scalar(
            "select note from compensations where loan_id = $1 and asset_id = $2",
        )
        .bind(loan)
        .bind(damaged)
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!(case, note);
    }
    b.close().await;
}

/// The page is no wider than the window: tables scroll inside their frame, not the page.
async fn fits(b: &Browser, width: i64) {
    let wide = b
        .c()
        .execute("return document.documentElement.scrollWidth", vec![])
        .await
        .unwrap();
    assert!(
        wide.as_i64().unwrap() <= width,
        "the page is {wide} px wide, the window {width}"
    );
    // No header broken a character or two to a line (Chinese breaks between any two
    // characters unless told not to): the line boxes of each header's text.
    let broken = b
        .c()
        .execute(
            "const r = document.createRange(); const out = [];
             for (const th of document.querySelectorAll('th')) {
               const text = th.innerText.trim(); const chars = [...text].length;
               if (chars < 3) continue;
               r.selectNodeContents(th);
               const lines = new Set([...r.getClientRects()].map(x => Math.round(x.top))).size;
               if (lines >= 3 && chars / lines < 2.5) out.push(text + ' in ' + lines + ' lines');
             }
             return out;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        broken,
        serde_json::json!([]),
        "headers broken at {width} px"
    );
}

/// Every list page a keeper or an admin opens fits an 800 px tablet in Chinese: the page no
/// wider than the window, and no table header broken a character to a line.
#[sqlx::test(migrations = "./migrations")]
async fn every_list_fits_a_tablet_in_chinese(pool: PgPool) {
    let (base, _stop) = serve(pool.clone()).await;
    let b = Browser::start("lists-tablet").await;
    b.c().set_window_size(800, 1100).await.unwrap();
    let pages: &[(&str, &[&str])] = &[
        (
            "keeper",
            &[
                "/assets",
                "/orders",
                "/keeper/gate",
                "/keeper/intakes",
                "/keeper/picks",
                "/keeper/returns",
                "/compensations",
                "/rentals",
                "/transfers",
            ],
        ),
        (
            "admin",
            &[
                "/admin/approvals",
                "/admin/bookings",
                "/admin/kits",
                "/admin/readers",
                "/admin/gates",
                "/admin/registers",
                "/admin/transfers",
                "/admin/users",
                "/admin/zones",
                "/admin/webhooks",
                "/disposals",
                "/reports",
                "/reports/depreciation",
                "/inbox",
            ],
        ),
    ];
    for (user, paths) in pages {
        b.sign_in(&base, user).await;
        b.c()
            .goto(&format!("{base}/lang/zh-CN?back=/"))
            .await
            .unwrap();
        for path in *paths {
            b.c().goto(&format!("{base}{path}")).await.unwrap();
            b.find("h1").await;
            let errors = b
                .c()
                .find_all(Locator::Css("#error-message"))
                .await
                .unwrap();
            assert!(errors.is_empty(), "{user} opens {path}");
            fits(&b, 800).await;
        }
        b.sign_out().await;
    }
    b.close().await;
}

/// The value of an input or a textarea as the browser holds it.
async fn value(b: &Browser, css: &str) -> String {
    b.find(css)
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default()
}

#[sqlx::test(migrations = "./migrations")]
async fn a_clerk_on_a_tablet_is_told_at_once_what_can_be_borrowed(pool: PgPool) {
    let (base, _stop) = serve(pool.clone()).await;
    let tables: i64 = sqlx::query_scalar("select id from categories where code = 'TBL'")
        .fetch_one(&pool)
        .await
        .unwrap();
    let tuesday = next_tuesday();
    let b = Browser::start("shortfall").await;
    b.c().set_window_size(800, 1100).await.unwrap();
    b.sign_in(&base, "requester").await;
    for lang in LANGUAGES {
        read_in(&b, &base, lang, "/loans/new").await;
        let purpose = say(lang, "全体大会", "All-staff meeting");
        b.find(&format!("#category option[value='{tables}']"))
            .await
            .click()
            .await
            .unwrap();
        b.fill("#quantity", "1000").await;
        b.set_date("from", &tuesday).await;
        b.set_date("to", &tuesday).await;
        b.fill("#purpose", purpose).await;
        b.find("#submit-request").await.click().await.unwrap();

        // Told at once, in the page's language, how many can be borrowed; nothing typed is
        // lost. Beside the quantity it is about.
        b.wait_text("#lines-error", say(lang, "件可借", "available"))
            .await;
        let said = b.find("#lines-error").await.text().await.unwrap();
        let described = b
            .find("#quantity")
            .await
            .attr("aria-describedby")
            .await
            .unwrap();
        assert_eq!(described.as_deref(), Some("lines-error"));
        assert!(said.contains(say(lang, "申请 1000 件", "1000")), "{said}");
        assert_eq!(said.contains("available"), lang == "en", "{said}");
        assert_eq!(value(&b, "#quantity").await, "1000");
        assert_eq!(value(&b, "#purpose").await, purpose);
        assert_eq!(value(&b, "#from").await, tuesday);
        b.find("nav").await;
        fits(&b, 800).await;
        b.screenshot(&format!("20-shortfall-tablet-{lang}")).await;
        let loans: i64 = sqlx::query_scalar("select count(*) from loans where purpose = $1")
            .bind(purpose)
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(loans, 0, "nothing requested yet");

        // What can be borrowed: requested.
        let asked = say(lang, "12", "2");
        b.fill("#quantity", asked).await;
        b.find("#submit-request").await.click().await.unwrap();
        b.wait_text("#loan-status", say(lang, "已申请", "requested"))
            .await;
        b.screenshot(&format!("21-requested-tablet-{lang}")).await;
        let (quantity, starts_on): (i64, chrono::NaiveDate) = sqlx::query_as(
            "select sum(ll.quantity)::bigint, l.starts_on from loans l
             join loan_lines ll on ll.loan_id = l.id
             where l.purpose = $1 group by l.id",
        )
        .bind(purpose)
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!(
            (quantity.to_string(), starts_on.to_string()),
            (asked.to_owned(), tuesday.clone())
        );
    }
    b.close().await;
}

#[sqlx::test(migrations = "./migrations")]
async fn an_admin_starts_a_transfer_on_a_tablet_in_both_languages(pool: PgPool) {
    let (base, _stop) = serve(pool.clone()).await;
    let department: i64 = sqlx::query_scalar("select id from departments order by id limit 1")
        .fetch_one(&pool)
        .await
        .unwrap();
    let tables: i64 = sqlx::query_scalar("select id from categories where code = 'TBL'")
        .fetch_one(&pool)
        .await
        .unwrap();
    let b = Browser::start("transfer").await;
    b.c().set_window_size(800, 1100).await.unwrap();
    b.sign_in(&base, "admin").await;
    for lang in LANGUAGES {
        read_in(&b, &base, lang, "/transfers/new").await;
        b.wait_text("h1", say(lang, "申请调配", "Request a transfer"))
            .await;
        b.find(&format!("#department option[value='{department}']"))
            .await
            .click()
            .await
            .unwrap();
        // An asset number that names no asset: said in the page's language beside the
        // field, input kept.
        let purpose = say(lang, "新办公室", "New office");
        b.fill("#assets", "99999").await;
        b.fill("#purpose", purpose).await;
        b.find("#submit-transfer").await.click().await.unwrap();
        b.wait_text("#assets-error", say(lang, "资产", "asset"))
            .await;
        let said = b.find("#assets-error").await.text().await.unwrap();
        assert_eq!(
            said.chars().any(|c| c.is_ascii_lowercase()),
            lang == "en",
            "the error is in the page's language: {said}"
        );
        assert_eq!(value(&b, "#purpose").await, purpose);
        assert_eq!(value(&b, "#assets").await, "99999");
        fits(&b, 800).await;
        b.screenshot(&format!("22-transfer-error-tablet-{lang}"))
            .await;

        b.fill("#assets", "").await;
        b.find(&format!("#category option[value='{tables}']"))
            .await
            .click()
            .await
            .unwrap();
        b.fill("#quantity", "2").await;
        b.find("#submit-transfer").await.click().await.unwrap();
        b.wait_text("#transfer-status", say(lang, "已申请", "requested"))
            .await;
        fits(&b, 800).await;
        b.screenshot(&format!("23-transfer-requested-tablet-{lang}"))
            .await;
        let id = id_in_url(&b).await;
        let (to, stored, status): (i64, String, String) = sqlx::query_as(
            "select department_id, purpose, status::text from transfers where id = $1",
        )
        .bind(id)
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!(
            (to, stored.as_str(), status.as_str()),
            (department, purpose, "requested")
        );
    }
    b.close().await;
}

#[sqlx::test(migrations = "./migrations")]
async fn a_keeper_counts_an_aisle_from_a_handheld_file_while_its_reader_is_offline(pool: PgPool) {
    depot::demo::seed(&pool, &Config::for_database(None))
        .await
        .unwrap();
    let (warehouse, zone, epcs) = small_depot(&pool).await;
    // The aisle's fixed reader, which this service does not reach.
    let mut tx = pool.begin().await.unwrap();
    let shelf = depot::db::readers::NewReader {
        name: "shelf-s".known(),
        address: "llrp://127.0.0.1:9".known(),
        enabled: true,
        read_points: vec![depot::db::readers::ReadPoint {
            antenna: 1,
            zone_id: zone,
        }],
    };
    depot::db::readers::create(&mut tx, &shelf).await.unwrap();
    tx.commit().await.unwrap();
    let (base, _ingest, _stop) = serve_live(pool.clone()).await;

    let b = Browser::start("handheld-file").await;
    b.c().set_window_size(800, 1100).await.unwrap();
    b.sign_in(&base, "keeper").await;
    let dir = std::env::temp_dir().join(format!("depot-handheld-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for lang in LANGUAGES {
        read_in(&b, &base, lang, "/keeper/stocktakes").await;
        start_stocktake(&b, warehouse, zone).await;
        b.wait_text("#expected", "3").await;
        // The page says the aisle's reader is not running, and offers the handheld.
        b.wait_text(
            "#readers [data-reader='shelf-s']",
            say(lang, "未运行", "not running"),
        )
        .await;
        b.wait_text(
            "#readers [data-reader='hh-s']",
            say(lang, "手持机", "handheld"),
        )
        .await;
        fits(&b, 800).await;

        // The handheld's file: two of the three read.
        let file = dir.join(format!("hh-s-{lang}.csv"));
        std::fs::write(
            &file,
            format!("epc,antenna\r\n{},1\r\n{},1\r\n", epcs[0], epcs[1]),
        )
        .unwrap();
        b.find("#handheld option[value='hh-s']")
            .await
            .click()
            .await
            .unwrap();
        b.find("#handheld-file")
            .await
            .send_keys(&file.display().to_string())
            .await
            .unwrap();
        b.screenshot(&format!("24-handheld-file-tablet-{lang}"))
            .await;
        b.find("#count-reads").await.click().await.unwrap();
        b.wait_text("#found", "2").await;
        b.wait_text("#missing", "1").await;
        // Lines name the asset beside its EPC.
        b.wait_text(&format!("tr[data-epc='{}']", epcs[0]), "Shelf item 0")
            .await;
        fits(&b, 800).await;
        b.screenshot(&format!("25-handheld-counted-tablet-{lang}"))
            .await;

        // The third, scanned at the shelf into the page: no file, no handheld.
        b.find(&format!("#count-zone option[value='{zone}']"))
            .await
            .click()
            .await
            .unwrap();
        b.fill("#typed-epcs", &epcs[2]).await;
        b.find("#count-reads").await.click().await.unwrap();
        b.wait_text("#found", "3").await;
        b.wait_text("#missing", "0").await;
    }
    let _ = std::fs::remove_dir_all(&dir);
    let counted: i64 = sqlx::query_scalar(
        "select count(*) from stocktake_sightings si join stocktakes s on s.id = si.stocktake_id
         where s.warehouse_id = $1 and si.epc = any($2) and si.zone_id = $3",
    )
    .bind(warehouse)
    .bind(&epcs)
    .bind(zone)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(counted, 6, "three in each language's count");
    b.close().await;
}

/// The two languages every flow below runs in, as `/lang/{code}` takes them.
const LANGUAGES: [&str; 2] = ["zh", "en"];

/// The words of `lang`: `zh` in 中文, `en` in English.
fn say<'a>(lang: &str, zh: &'a str, en: &'a str) -> &'a str {
    match lang {
        "zh" => zh,
        _ => en,
    }
}

/// Switch to `lang` the way the page's own links do, coming back to `path`; the page is then
/// in that language.
async fn read_in(b: &Browser, base: &str, lang: &str, path: &str) {
    let back = path
        .replace('%', "%25")
        .replace('?', "%3F")
        .replace('&', "%26")
        .replace('=', "%3D");
    b.c()
        .goto(&format!("{base}/lang/{lang}?back={back}"))
        .await
        .unwrap();
    let html = b.find("html").await.attr("lang").await.unwrap();
    assert_eq!(html.as_deref(), Some(say(lang, "zh-CN", "en")), "{path}");
}

async fn click(b: &Browser, css: &str) {
    b.find(css).await.click().await.unwrap();
}

/// The visible text of each element matching `css`.
async fn texts(b: &Browser, css: &str) -> Vec<String> {
    let mut out = Vec::new();
    for el in b.c().find_all(Locator::Css(css)).await.unwrap() {
        out.push(el.text().await.unwrap());
    }
    out
}

/// The number at the end of the page's path (`/disposals/12` → 12).
async fn id_in_url(b: &Browser) -> i64 {
    let url = b.c().current_url().await.unwrap();
    let last = url.path().rsplit('/').next().unwrap().to_owned();
    last.parse()
        .unwrap_or_else(|_| panic!("no id at the end of {url}"))
}

/// Sign in through the page with `password`: whether it let them in. Refused, the page
/// says why in its language (`refused`).
async fn try_sign_in(b: &Browser, base: &str, user: &str, password: &str, refused: &str) -> bool {
    // A fresh page: no answer to an earlier attempt on it.
    b.c().goto(&format!("{base}/login")).await.unwrap();
    b.fill("#username", user).await;
    b.fill("#password", password).await;
    click(b, "form[action='/login'] button[type=submit]").await;
    let deadline = Instant::now() + PATIENCE;
    loop {
        if b.c()
            .find(Locator::Css("form[action='/logout']"))
            .await
            .is_ok()
        {
            return true;
        }
        if let Ok(error) = b.c().find(Locator::Css("p.error[role=alert]")).await {
            let said = error.text().await.unwrap_or_default();
            assert_eq!(said, refused, "the sign-in page says why");
            return false;
        }
        assert!(Instant::now() < deadline, "the sign-in never answered");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn scalar_text(pool: &PgPool, sql: &str, id: i64) -> String {
    sqlx::query_scalar(sql)
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap()
}

/// A loan of `quantity` folding tables for next Tuesday, requested by the Finance clerk.
async fn requested_loan(pool: &PgPool, quantity: i32, purpose: &str) -> i64 {
    let app = App::new(pool.clone(), Config::for_database(None));
    let tables: i64 = sqlx::query_scalar("select id from categories where code = 'TBL'")
        .fetch_one(pool)
        .await
        .unwrap();
    let tuesday = depot::domain::bounds::Day::parse(&next_tuesday()).unwrap();
    let loan = depot::app::loans::request(
        &app,
        &demo_actor(pool, "requester").await,
        depot::db::loans::NewLoan {
            department_id: None,
            purpose: purpose.known(),
            starts_on: tuesday,
            ends_on: tuesday,
            accept_shortfall: false,
            lines: vec![depot::db::orders::Line {
                id: 0,
                category_id: Some(tables),
                asset_id: None,
                kit_id: None,
                quantity,
            }],
        },
    )
    .await
    .unwrap();
    loan.id
}

/// The assets ticked on a loan's approval form, by number.
async fn ticked(b: &Browser) -> Vec<i64> {
    let mut out = Vec::new();
    for el in b
        .c()
        .find_all(Locator::Css("#approve-form input[name=asset]:checked"))
        .await
        .unwrap()
    {
        out.push(el.attr("value").await.unwrap().unwrap().parse().unwrap());
    }
    out
}

/// An admin on a tablet types a word where asset numbers go: the error page says so in the
/// admin's language within their menu, and its Back returns to the form as it was left
/// (what was typed, the box unticked), from which the corrected approval goes through.
#[sqlx::test(migrations = "./migrations")]
async fn the_error_page_speaks_the_admins_language_and_its_back_keeps_the_form(pool: PgPool) {
    let (base, _stop) = serve(pool.clone()).await;
    let b = Browser::start("error-page").await;
    b.c().set_window_size(800, 1100).await.unwrap();
    b.sign_in(&base, "admin").await;
    for lang in LANGUAGES {
        let id = requested_loan(&pool, 2, &format!("error page {lang}")).await;
        read_in(&b, &base, lang, &format!("/orders/{id}")).await;
        b.wait_text("#loan-status", say(lang, "已申请", "requested"))
            .await;
        let proposed = ticked(&b).await;
        assert_eq!(proposed.len(), 2, "two tables proposed: {proposed:?}");
        click(&b, &format!("#pick-{}", proposed[0])).await;
        b.fill("#extra", "12a").await;
        click(&b, "#approve").await;

        // The error page, in the admin's language, within the admin's menu.
        b.wait_text("h1", say(lang, "出错了", "Something went wrong"))
            .await;
        let html = b.find("html").await.attr("lang").await.unwrap();
        assert_eq!(html.as_deref(), Some(say(lang, "zh-CN", "en")));
        let said = b.find("#error-message").await.text().await.unwrap();
        assert_eq!(
            said,
            say(lang, "12a 不是资产编号", "\"12a\" is not an asset number")
        );
        b.wait_text(
            "header nav a[href='/admin/approvals']",
            say(lang, "审批", "Approvals"),
        )
        .await;
        b.wait_text(
            "header nav a[href='/disposals']",
            say(lang, "处置", "Disposals"),
        )
        .await;
        b.wait_text("#back", say(lang, "返回", "Back")).await;
        fits(&b, 800).await;
        b.screenshot(&format!("30-error-page-tablet-{lang}")).await;
        assert_eq!(
            scalar_text(&pool, "select status::text from loans where id = $1", id).await,
            "requested",
            "nothing changed"
        );

        // Back: the form as it was left.
        click(&b, "#back").await;
        b.wait_text("#loan-status", say(lang, "已申请", "requested"))
            .await;
        let url = b.c().current_url().await.unwrap();
        assert_eq!(url.path(), format!("/orders/{id}"));
        // The browser puts the form back as the page loads: given a moment.
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let (typed, boxes) = (value(&b, "#extra").await, ticked(&b).await);
            if typed == "12a" && boxes == proposed[1..] {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the form is not as it was left: {typed:?} typed, {boxes:?} ticked"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }

        // Put right, the same form approves.
        click(&b, &format!("#pick-{}", proposed[0])).await;
        b.fill("#extra", "").await;
        click(&b, "#approve").await;
        b.wait_text("#confirm-message", "2").await;
        click(&b, "#confirm").await;
        b.wait_text("#loan-status", say(lang, "已批准", "approved"))
            .await;
        b.wait_text("#flash", say(lang, "已批准。", "Approved."))
            .await;
        assert_eq!(
            scalar_text(&pool, "select status::text from loans where id = $1", id).await,
            "approved"
        );
    }
    b.close().await;
}

/// Assets in stock with nothing booked on them: free to put forward for disposal.
async fn idle_assets(pool: &PgPool, n: i64) -> Vec<i64> {
    sqlx::query_scalar(
        "select a.id from assets a where a.state = 'in_stock'
           and not exists (select 1 from reservations r where r.asset_id = a.id
                           and r.released_at is null and r.returned_at is null)
         order by a.id desc limit $1",
    )
    .bind(n)
    .fetch_all(pool)
    .await
    .unwrap()
}

/// The text of the status of the asset on the disposal's page.
async fn asset_row_state(b: &Browser, asset: i64) -> String {
    let rows = texts(b, "main table tbody tr").await;
    rows.into_iter()
        .find(|r| r.split_whitespace().next() == Some(asset.to_string().as_str()))
        .unwrap_or_else(|| panic!("asset {asset} is not on the page"))
}

/// Four eyes on a disposal, in each language: the admin who proposed and appraised it is
/// refused its approval, in the page's language, and nothing changes; a second admin
/// approves; a sale below the appraisal is warned of and asked first, and only the
/// confirmation disposes of the asset.
#[sqlx::test(migrations = "./migrations")]
async fn a_disposal_takes_a_second_admin_and_a_sale_below_appraisal_is_asked_first(pool: PgPool) {
    let (base, _stop) = serve(pool.clone()).await;
    sqlx::query(
        "insert into users (username, display_name, password_hash, role)
         select 'admin2', 'Deputy manager 副主任', password_hash, role from users where username = 'admin'",
    )
    .execute(&pool)
    .await
    .unwrap();
    let assets = idle_assets(&pool, 2).await;
    assert_eq!(assets.len(), 2);
    let first = Browser::start("disposal-first").await;
    first.sign_in(&base, "admin").await;
    let second = Browser::start("disposal-second").await;
    second.sign_in(&base, "admin2").await;
    let disposal_status = "select status::text from disposals where id = $1";
    let asset_state = "select state::text from assets where id = $1";

    for (lang, asset) in LANGUAGES.into_iter().zip(assets) {
        // The first admin proposes and appraises.
        read_in(&first, &base, lang, "/disposals").await;
        first.fill("#assets", &asset.to_string()).await;
        first
            .fill(
                "#reason",
                say(lang, "桌面开裂，无法修复", "Cracked beyond repair"),
            )
            .await;
        click(&first, "form[action='/disposals'] button[type=submit]").await;
        first
            .wait_text(
                "#flash",
                say(lang, "已提出处置。", "Proposed for disposal."),
            )
            .await;
        let id = id_in_url(&first).await;
        first
            .wait_text("h1", say(lang, "已申请", "requested"))
            .await;
        let row = asset_row_state(&first, asset).await;
        assert!(
            row.contains(say(lang, "待处置", "pending disposal")),
            "{row}"
        );
        first.fill("#value", "300").await;
        first
            .fill("#appraiser", say(lang, "市评估公司", "City Appraisal Co."))
            .await;
        click(&first, "form[action$='/appraise'] button[type=submit]").await;
        first
            .wait_text("#flash", say(lang, "已评估。", "Appraised."))
            .await;
        first
            .wait_text("h1", say(lang, "已评估", "appraised"))
            .await;

        // Their own approval: asked, then refused beside the form, in the page's language.
        click(&first, "#approve").await;
        first
            .wait_text(
                "#confirm-message",
                say(lang, "不能撤回", "cannot be undone"),
            )
            .await;
        click(&first, "#confirm").await;
        let said = first.find("#approve-error").await.text().await.unwrap();
        let expected = match lang {
            "zh" => format!("处置单 {id} 是您提出的：须由另一位管理员批准"),
            _ => format!("disposal {id} was proposed by you: another admin approves it"),
        };
        assert_eq!(said, expected);
        first
            .wait_text("h1", say(lang, "已评估", "appraised"))
            .await;
        first.find("header nav a[href='/disposals']").await;
        first
            .screenshot(&format!("31-disposal-four-eyes-{lang}"))
            .await;
        assert_eq!(scalar_text(&pool, disposal_status, id).await, "appraised");

        // The second admin approves.
        read_in(&second, &base, lang, &format!("/disposals/{id}")).await;
        click(&second, "#approve").await;
        click(&second, "#confirm").await;
        second
            .wait_text("#flash", say(lang, "已批准。", "Approved."))
            .await;
        second
            .wait_text("h1", say(lang, "已批准", "approved"))
            .await;

        // A sale below the appraisal: warned, asked, nothing changed until confirmed.
        second.fill("#price", "100").await;
        second
            .fill("#buyer", say(lang, "城东旧货回收站", "East Salvage Ltd"))
            .await;
        click(&second, "form[action$='/sell'] button[type=submit]").await;
        second
            .wait_text(
                "h1",
                say(lang, "低于评估价售出？", "Sell below the appraisal?"),
            )
            .await;
        let warning = second.find("#confirm-message").await.text().await.unwrap();
        // Both figures, in the page's language, with its unit.
        let expected: &[&str] = match lang {
            "zh" => &["成交价 100.00 元 低于评估价 300.00 元：请确认后再记录"],
            _ => &["the sale price 100.00 yuan is below the appraisal 300.00 yuan: confirm it to record the sale"],
        };
        for part in expected {
            assert!(warning.contains(part), "{warning:?} lacks {part:?}");
        }
        second
            .screenshot(&format!("32-disposal-sale-warning-{lang}"))
            .await;
        assert_eq!(scalar_text(&pool, disposal_status, id).await, "approved");
        assert_eq!(
            scalar_text(&pool, asset_state, asset).await,
            "pending_disposal"
        );
        first.c().refresh().await.unwrap();
        first.wait_text("h1", say(lang, "已批准", "approved")).await;
        let row = asset_row_state(&first, asset).await;
        assert!(
            row.contains(say(lang, "待处置", "pending disposal")),
            "{row}"
        );

        click(&second, "#confirm").await;
        second
            .wait_text("#flash", say(lang, "已记录售出。", "The sale is recorded."))
            .await;
        second.wait_text("h1", say(lang, "已拍卖", "sold")).await;
        let row = asset_row_state(&second, asset).await;
        assert!(row.contains(say(lang, "已处置", "disposed")), "{row}");
        assert_eq!(scalar_text(&pool, disposal_status, id).await, "sold");
        assert_eq!(scalar_text(&pool, asset_state, asset).await, "disposed");
        let price: Option<i64> =
            sqlx::query_scalar("select sale_price_fen from disposals where id = $1")
                .bind(id)
                .fetch_one(&pool)
                .await
                .unwrap();
        assert_eq!(price, Some(10_000));
    }
    first.close().await;
    second.close().await;
}

/// An admin, on a tablet, in each language, edits a clerk on /admin/users/{id}, disables
/// them (their session ends and they cannot sign in, told so in their language), enables
/// them and resets their password: the old one no longer works, the new one does.
#[sqlx::test(migrations = "./migrations")]
async fn an_admin_edits_disables_and_resets_a_clerk_who_then_signs_in_with_the_new_password(
    pool: PgPool,
) {
    let (base, _stop) = serve(pool.clone()).await;
    let education: i64 = sqlx::query_scalar("select id from departments where code = 'EDU'")
        .fetch_one(&pool)
        .await
        .unwrap();
    let admin = Browser::start("users-admin").await;
    admin.c().set_window_size(800, 1100).await.unwrap();
    admin.sign_in(&base, "admin").await;
    let clerk = Browser::start("users-clerk").await;
    let wrong = |lang| say(lang, "用户名或密码错误。", "Wrong username or password.");

    for (lang, username) in [("zh", "requester"), ("en", "requester2")] {
        let id: i64 = sqlx::query_scalar("select id from users where username = $1")
            .bind(username)
            .fetch_one(&pool)
            .await
            .unwrap();
        let name = say(lang, "李科员（调教育局）", "Clerk Zhao (to Education)");
        let email = format!("{username}@edu.example");
        let password = say(lang, "新的密码-2026春", "a new password 2026");

        // The clerk is signed in, reading in their language.
        read_in(&clerk, &base, lang, "/login").await;
        assert!(try_sign_in(&clerk, &base, username, "demo", wrong(lang)).await);

        // Edited.
        read_in(&admin, &base, lang, &format!("/admin/users/{id}")).await;
        admin
            .wait_text("#user-active", say(lang, "启用", "Active"))
            .await;
        admin.fill("#display", name).await;
        admin.fill("#email", &email).await;
        click(&admin, &format!("#department option[value='{education}']")).await;
        click(&admin, "#save-user").await;
        admin
            .wait_text("#flash", say(lang, "用户已保存。", "The user is saved."))
            .await;
        admin.wait_text("h1", name).await;
        assert_eq!(value(&admin, "#display").await, name);
        assert_eq!(value(&admin, "#email").await, email);
        assert_eq!(value(&admin, "#department").await, education.to_string());
        let (saved_name, saved_email, department): (String, Option<String>, Option<i64>) =
            sqlx::query_as("select display_name, email, department_id from users where id = $1")
                .bind(id)
                .fetch_one(&pool)
                .await
                .unwrap();
        assert_eq!(
            (saved_name.as_str(), saved_email.as_deref(), department),
            (name, Some(email.as_str()), Some(education))
        );
        fits(&admin, 800).await;

        // Disabled: their session ends, and they cannot sign in again.
        click(&admin, "#disable-user").await;
        admin
            .wait_text(
                "#flash",
                say(
                    lang,
                    "用户已停用，其登录已失效。",
                    "The user is disabled; their sessions are ended.",
                ),
            )
            .await;
        admin
            .wait_text("#user-active", say(lang, "已停用", "disabled"))
            .await;
        admin.find("#enable-user").await;
        admin
            .screenshot(&format!("33-user-disabled-tablet-{lang}"))
            .await;
        clerk.c().goto(&format!("{base}/catalogue")).await.unwrap();
        clerk.find("#username").await;
        assert_eq!(clerk.c().current_url().await.unwrap().path(), "/login");
        assert!(
            !try_sign_in(&clerk, &base, username, "demo", wrong(lang)).await,
            "a disabled user signs in"
        );
        clerk
            .screenshot(&format!("34-disabled-sign-in-{lang}"))
            .await;

        // Enabled, and given a new password: only the new one works.
        click(&admin, "#enable-user").await;
        admin
            .wait_text(
                "#flash",
                say(lang, "用户已启用。", "The user can sign in again."),
            )
            .await;
        admin
            .wait_text("#user-active", say(lang, "启用", "Active"))
            .await;
        admin.fill("#new-password", password).await;
        click(&admin, "#reset-password").await;
        admin
            .wait_text(
                "#flash",
                say(
                    lang,
                    "密码已重置，其登录已失效。",
                    "The password is reset; their sessions are ended.",
                ),
            )
            .await;
        assert!(
            !try_sign_in(&clerk, &base, username, "demo", wrong(lang)).await,
            "the old password still works"
        );
        assert!(
            try_sign_in(&clerk, &base, username, password, wrong(lang)).await,
            "the new password does not work"
        );
        clerk.wait_text("header .user", name).await;
        clerk
            .wait_text("h1", say(lang, "可借资产目录", "Catalogue"))
            .await;
        clerk.sign_out().await;
    }
    admin.close().await;
    clerk.close().await;
}

/// A keeper on an 800 px tablet, in each language, opens an intake one field per value (in
/// English with the EPCs already on the tags, in 中文 with EPCs assigned), receives it into
/// a zone after the confirmation the page asks, and finds the assets in the register by
/// name, in stock, where they were put.
#[sqlx::test(migrations = "./migrations")]
async fn a_keeper_on_a_tablet_receives_an_intake_and_finds_it_in_the_register(pool: PgPool) {
    let (base, _stop) = serve(pool.clone()).await;
    let chairs: i64 = sqlx::query_scalar("select id from categories where code = 'CHR'")
        .fetch_one(&pool)
        .await
        .unwrap();
    let zone: i64 =
        sqlx::query_scalar("select id from zones where kind = 'storage' order by id limit 1")
            .fetch_one(&pool)
            .await
            .unwrap();
    let b = Browser::start("intake").await;
    b.c().set_window_size(800, 1100).await.unwrap();
    b.sign_in(&base, "keeper").await;
    let given: Vec<String> = (1..=3)
        .map(|i| format!("E28011700000020A1B2C{i:04X}"))
        .collect();
    let intakes: [(&str, &str, usize, &[String]); 2] = [
        ("zh", "会议椅（机构改革移交）", 2, &[]),
        ("en", "Stacking chair from the old town hall", 3, &given),
    ];
    for (lang, name, quantity, epcs) in intakes {
        read_in(&b, &base, lang, "/keeper/intakes").await;
        b.wait_text("h1", say(lang, "收储", "Intake")).await;
        click(&b, "#source_class option[value='institutional_reform']").await;
        click(&b, &format!("#category option[value='{chairs}']")).await;
        b.fill("#name", name).await;
        b.fill("#quantity", &quantity.to_string()).await;
        b.fill("#value", "450.50").await;
        b.set_date("acquired_on", "2024-03-01").await;
        if !epcs.is_empty() {
            b.fill("#epcs", &epcs.join("\n")).await;
        }
        fits(&b, 800).await;
        b.screenshot(&format!("35-intake-form-tablet-{lang}")).await;
        click(&b, "form[action='/keeper/intakes'] button[type=submit]").await;
        b.wait_text("#flash", say(lang, "已创建。", "Created."))
            .await;
        let id = id_in_url(&b).await;

        // Each item on its own row, with its name, and the EPCs given on their tags.
        let rows = texts(&b, "#commissioned tbody tr").await;
        assert_eq!(rows.len(), quantity, "{rows:?}");
        for row in &rows {
            assert!(row.contains(name), "{row}");
            assert!(!row.contains(say(lang, "在库", "in stock")), "{row}");
        }
        let shown = texts(&b, "#commissioned tbody td.mono:nth-child(3)").await;
        assert_eq!(shown.len(), quantity);
        if !epcs.is_empty() {
            assert_eq!(shown, epcs, "the EPCs given, in order");
        } else {
            assert!(
                shown.iter().all(|e| e.len() == 24),
                "GIAI-96 assigned: {shown:?}"
            );
        }
        let stocked = "select count(*) from assets where name = $1 and state = 'in_stock'";
        let in_stock = || async {
            sqlx::query_scalar::<_, i64>(stocked)
                .bind(name)
                .fetch_one(&pool)
                .await
                .unwrap()
        };
        assert_eq!(
            in_stock().await,
            0,
            "nothing in stock before it is received"
        );

        // Received into a zone, after the page asks.
        click(&b, &format!("#zone option[value='{zone}']")).await;
        click(&b, "#receive").await;
        let asked = match lang {
            "zh" => format!("收储单 {id} 的 {quantity} 项资产将入库到"),
            _ => format!("{quantity} assets of intake {id} go into stock at"),
        };
        b.wait_text("#confirm-message", &asked).await;
        assert_eq!(
            in_stock().await,
            0,
            "nothing in stock before it is confirmed"
        );
        click(&b, "#confirm").await;
        b.wait_text("#flash", say(lang, "已入库。", "Received into stock."))
            .await;
        for row in texts(&b, "#commissioned tbody tr").await {
            assert!(row.contains(say(lang, "在库", "in stock")), "{row}");
        }
        fits(&b, 800).await;
        b.screenshot(&format!("36-intake-received-tablet-{lang}"))
            .await;

        // The register, searched by name from the menu.
        click(&b, "header nav a[href='/assets']").await;
        b.wait_text("h1", say(lang, "资产", "Assets")).await;
        b.fill("#q", name).await;
        click(&b, "form[role=search] button[type=submit]").await;
        b.wait_text("main table tbody", name).await;
        let rows = texts(&b, "main table tbody tr").await;
        assert_eq!(rows.len(), quantity, "{rows:?}");
        let listed = texts(&b, "main table tbody td.mono").await;
        for row in &rows {
            assert!(row.contains(name), "{row}");
            assert!(row.contains(say(lang, "在库", "in stock")), "{row}");
        }
        let mut listed_sorted = listed.clone();
        listed_sorted.sort();
        let mut shown_sorted = shown.clone();
        shown_sorted.sort();
        assert_eq!(
            listed_sorted, shown_sorted,
            "the intake's EPCs in the register"
        );
        fits(&b, 800).await;
        b.screenshot(&format!("37-register-after-intake-tablet-{lang}"))
            .await;

        let kept: Vec<(String, i64, Option<i64>, Option<chrono::NaiveDate>)> = sqlx::query_as(
            "select state::text, original_value_fen, zone_id, acquired_on from assets
             where name = $1 order by id",
        )
        .bind(name)
        .fetch_all(&pool)
        .await
        .unwrap();
        let acquired = chrono::NaiveDate::from_ymd_opt(2024, 3, 1);
        assert_eq!(
            kept,
            vec![("in_stock".to_owned(), 45_050, Some(zone), acquired); quantity]
        );
    }
    b.close().await;
}
