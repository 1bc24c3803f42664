//! Several `depot serve` on one database, as separate processes with the LLRP emulator
//! playing the gate's trace: one instance drives the reader, the other stands by and
//! streams what the first judged; killed with SIGKILL, the owner's reader is taken by the
//! other within seconds, and nothing is issued twice.
//!
//! Run them alone with `bash scripts/test --test instances`.

mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use common::site::{
    add_reader, count, database_url, depot_serve, emulated_epc, llrp_emulator, register,
    spawn_serving, Process, Trace,
};
use common::World;
use sqlx::PgPool;

/// `depot serve --instance NAME` on the test's database.
fn instance(pool: &PgPool, name: &str) -> (Process, String) {
    let mut serve = depot_serve();
    serve
        .args(["--instance", name])
        .env("DATABASE_URL", database_url(pool));
    spawn_serving(serve)
}

/// Who drives each reader now, as PostgreSQL's locks say.
async fn owners(pool: &PgPool) -> HashMap<i64, String> {
    depot::db::instances::owners(&mut pool.acquire().await.unwrap())
        .await
        .unwrap()
}

/// Waits (at most `limit`) until `reader` is driven by `name`; how long it took.
async fn owned_by(pool: &PgPool, reader: i64, name: &str, limit: Duration) -> Duration {
    let started = Instant::now();
    loop {
        let now = owners(pool).await;
        if now.get(&reader).map(String::as_str) == Some(name) {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < limit,
            "reader {reader} not driven by {name} after {limit:?}: {now:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The `data:` lines of an instance's live stream, gathered in the background.
fn stream(base: &str, token: &str) -> std::sync::Arc<std::sync::Mutex<Vec<serde_json::Value>>> {
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let (url, token, into) = (
        format!("{base}/api/events/stream"),
        token.to_owned(),
        seen.clone(),
    );
    tokio::spawn(async move {
        let mut response = reqwest::Client::new()
            .get(url)
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let mut text = String::new();
        let deadline = Instant::now() + Duration::from_secs(300);
        while let Ok(Ok(Some(chunk))) =
            tokio::time::timeout(Duration::from_secs(60), response.chunk()).await
        {
            text.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = text.find("\n\n") {
                let block: String = text.drain(..end + 2).collect();
                for line in block.lines() {
                    if let Some(data) = line.strip_prefix("data:") {
                        if let Ok(v) = serde_json::from_str(data.trim()) {
                            into.lock().unwrap().push(v);
                        }
                    }
                }
            }
            if Instant::now() > deadline {
                break;
            }
        }
    });
    seen
}

/// Reader `reader`'s owner, once it is one of `names` (at most `limit`); how long it took.
async fn owned_by_one_of(
    pool: &PgPool,
    reader: i64,
    names: &[&str],
    limit: Duration,
) -> (String, Duration) {
    let started = Instant::now();
    loop {
        let now = owners(pool).await;
        if let Some(owner) = now.get(&reader).filter(|o| names.contains(&o.as_str())) {
            return (owner.clone(), started.elapsed());
        }
        assert!(
            started.elapsed() < limit,
            "reader {reader} not driven by any of {names:?} after {limit:?}: {now:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Three instances: A drives the gate, B and C stand by and stream. A is killed with
/// SIGKILL halfway through the trolley's passage, before judging it; one of B and C takes
/// the reader within 10 s, the reader plays the passage again, the new owner issues each
/// of the loan's 50 assets exactly once, and the other's stream shows those passages.
#[sqlx::test(migrations = "./migrations")]
async fn the_owner_killed_its_reader_is_taken_over_and_each_asset_issued_once(pool: PgPool) {
    let world = World::new(pool.clone()).await;
    let trace = Trace::install(&pool, world.warehouse, "loan-gate-out").await;
    let passed = trace.passed();
    let inside = trace.zones[&trace.config.engine.gates[0].inside.0];
    let ids = register(&world, &passed, inside).await;
    let loan = world.approved_loan(&ids[..50]).await;
    let trace_path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/traces/loan-gate-out.jsonl"
    );
    let (mut emulator, port) = llrp_emulator(0, &["--play", trace_path]);
    sqlx::query("update readers set address = $1")
        .bind(format!("llrp://127.0.0.1:{port}"))
        .execute(&pool)
        .await
        .unwrap();
    let reader: i64 = sqlx::query_scalar("select id from readers")
        .fetch_one(&pool)
        .await
        .unwrap();
    let issued = || {
        count(
            &pool,
            "select count(*) from events where action = 'issue' and asset_id is not null",
        )
    };

    // A drives the reader; B and C, started after, stand by and stream.
    let (mut a, _) = instance(&pool, "depot-a");
    owned_by(&pool, reader, "depot-a", Duration::from_secs(10)).await;
    let (_b, b_base) = instance(&pool, "depot-b");
    let (_c, c_base) = instance(&pool, "depot-c");
    let streams: HashMap<&str, _> = [
        ("depot-b", stream(&b_base, &world.admin)),
        ("depot-c", stream(&c_base, &world.admin)),
    ]
    .into_iter()
    .collect();
    let readers: serde_json::Value = reqwest::Client::new()
        .get(format!("{b_base}/api/readers"))
        .bearer_auth(&world.admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(readers[0]["owner"], "depot-a", "{readers}");
    assert_eq!(readers[0]["health"]["status"], "standby", "{readers}");

    // Halfway through the 15 s trace, A dies.
    tokio::time::sleep(Duration::from_secs(8)).await;
    a.kill().unwrap();
    a.wait().unwrap();
    let killed = Instant::now();
    let (owner, took) = owned_by_one_of(
        &pool,
        reader,
        &["depot-b", "depot-c"],
        Duration::from_secs(10),
    )
    .await;
    assert_eq!(issued().await, 0, "A was killed after judging the passage");
    // The reader plays the trolley's passage again, to whoever drives it now.
    emulator.kill().unwrap();
    emulator.wait().unwrap();
    let (_emulator, _) = llrp_emulator(port, &["--play", trace_path]);
    let base = if owner == "depot-b" { &b_base } else { &c_base };
    let connected = loop {
        let readers: serde_json::Value = reqwest::Client::new()
            .get(format!("{base}/api/readers"))
            .bearer_auth(&world.admin)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if readers[0]["health"]["status"] == "connected" {
            break killed.elapsed();
        }
        assert!(
            killed.elapsed() < Duration::from_secs(10),
            "{owner} has not connected to the reader 10 s after the kill: {readers}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    eprintln!(
        "failover: {owner} held the reader's lock {} ms and was connected to the reader {} ms after A was killed",
        took.as_millis(),
        connected.as_millis()
    );

    let deadline = Instant::now() + Duration::from_secs(90);
    while issued().await < 50 {
        assert!(Instant::now() < deadline, "issued {} of 50", issued().await);
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    // The other instance streams the passages the owner judged.
    let other = if owner == "depot-b" {
        "depot-c"
    } else {
        "depot-b"
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let passages = streams[other]
            .lock()
            .unwrap()
            .iter()
            .filter(|e| e["type"] == "passage" && e["outcome"] == "issued")
            .count();
        if passages >= 50 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{other}'s stream shows {passages} of {owner}'s 50 issuing passages"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Settled: nothing more is issued, each asset once, and the loan is issued.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(issued().await, 50, "each asset issued exactly once");
    assert_eq!(owners(&pool).await[&reader], owner);
    let (_, body) = world
        .call(
            axum::http::Method::GET,
            &format!("/api/loans/{loan}"),
            &world.admin,
            None,
        )
        .await;
    assert_eq!(body["status"], "issued", "{body}");
    world.assert_log_agrees().await;
}

/// A stocktake started on A is counted by every instance and finished on B: handheld
/// uploads landing on either count, and B's results hold both.
#[sqlx::test(migrations = "./migrations")]
async fn a_stocktake_started_on_one_instance_is_finished_on_another(pool: PgPool) {
    let world = World::new(pool.clone()).await;
    add_reader(&pool, "hh", "handheld:", &[world.shelf]).await;
    let ids = world.stock(world.tables, 5).await;
    let epcs: Vec<String> =
        sqlx::query_scalar("select epc from assets where id = any($1) order by id")
            .bind(&ids)
            .fetch_all(&pool)
            .await
            .unwrap();
    let (_a, a_base) = instance(&pool, "depot-a");
    let (_b, b_base) = instance(&pool, "depot-b");
    let http = reqwest::Client::new();
    let call = |base: &str, path: &str, body: Option<serde_json::Value>| {
        let request = match body {
            Some(body) => http.post(format!("{base}{path}")).json(&body),
            None => http.get(format!("{base}{path}")),
        };
        let request = request.bearer_auth(&world.keeper);
        async move {
            let response = request.send().await.unwrap();
            let status = response.status();
            let body: serde_json::Value = response.json().await.unwrap_or_default();
            (status, body)
        }
    };

    let (status, st) = call(
        &a_base,
        "/api/stocktakes",
        Some(serde_json::json!({"warehouse_id": world.warehouse, "zone_ids": [world.shelf]})),
    )
    .await;
    assert_eq!(status, 201, "{st}");
    let id = st["id"].as_i64().unwrap();
    let (status, st) = call(
        &a_base,
        &format!("/api/stocktakes/{id}/start"),
        Some(serde_json::json!({})),
    )
    .await;
    assert_eq!(status, 200, "{st}");
    assert_eq!(st["progress"]["expected"], 5, "{st}");

    // Two tags counted through A, one through B (which follows A's stocktake within a
    // second: it uploads only once B counts it, or the read would count nowhere).
    let reads = |epcs: &[String]| serde_json::json!({"reader": "hh", "reads": epcs.iter().map(|e| serde_json::json!({"epc": e})).collect::<Vec<_>>()});
    let (status, body) = call(&a_base, "/api/reads", Some(reads(&epcs[..2]))).await;
    assert_eq!(status, 202, "{body}");
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let (status, body) = call(&b_base, "/api/reads", Some(reads(&epcs[2..3]))).await;
    assert_eq!(status, 202, "{body}");
    // Either instance shows the same count.
    for base in [&a_base, &b_base] {
        let (_, st) = call(base, &format!("/api/stocktakes/{id}"), None).await;
        assert_eq!(
            (
                st["progress"]["found"].as_u64(),
                st["progress"]["missing"].as_u64()
            ),
            (Some(3), Some(2)),
            "{base}: {st}"
        );
    }

    let (status, st) = call(
        &b_base,
        &format!("/api/stocktakes/{id}/finish"),
        Some(serde_json::json!({})),
    )
    .await;
    assert_eq!(status, 200, "{st}");
    assert_eq!(st["status"], "finished", "{st}");
    let outcome = |epc: &str| {
        st["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["epc"] == epc)
            .map(|r| r["outcome"].clone())
    };
    for epc in &epcs[..3] {
        assert_eq!(outcome(epc), Some("found".into()), "{epc}: {st}");
    }
    for epc in &epcs[3..] {
        assert_eq!(outcome(epc), Some("missing".into()), "{epc}: {st}");
    }
    // Finished, it is counted nowhere: a later upload changes none of its lines.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (status, _) = call(&a_base, "/api/reads", Some(reads(&epcs[3..]))).await;
    assert_eq!(status, 202);
    let (_, after) = call(&a_base, &format!("/api/stocktakes/{id}"), None).await;
    assert_eq!(after["results"], st["results"]);
}

/// The instance that takes a shelf reader over restores the tags last seen there: those
/// still read stay where they were, with no second arrival; one taken away while nobody
/// drove the reader leaves by silence.
#[sqlx::test(migrations = "./migrations")]
async fn the_instance_taking_a_shelf_reader_over_restores_its_tags(pool: PgPool) {
    let world = World::new(pool.clone()).await;
    let (mut emulator, port) =
        llrp_emulator(0, &["--tags", "6", "--antennas", "2", "--rate", "300"]);
    let reader = add_reader(
        &pool,
        "aisle reader",
        &format!("llrp://127.0.0.1:{port}"),
        &[world.shelf, world.shelf2],
    )
    .await;
    let wait = |what: &'static str, n: i64| {
        let pool = pool.clone();
        async move {
            let deadline = Instant::now() + Duration::from_secs(30);
            while count(&pool, what).await < n {
                assert!(Instant::now() < deadline, "{what} < {n}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    };

    let (mut a, _) = instance(&pool, "depot-a");
    owned_by(&pool, reader, "depot-a", Duration::from_secs(10)).await;
    let (_b, _) = instance(&pool, "depot-b");
    wait("select count(*) from facts where kind = 'arrived'", 6).await;
    a.kill().unwrap();
    a.wait().unwrap();
    // While nobody drives the reader, the sixth tag is taken away.
    emulator.kill().unwrap();
    emulator.wait().unwrap();
    let (_emulator, _) = llrp_emulator(port, &["--tags", "5", "--antennas", "2", "--rate", "300"]);
    owned_by(&pool, reader, "depot-b", Duration::from_secs(10)).await;
    wait("select count(*) from facts where kind = 'left'", 1).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let left: Vec<String> = sqlx::query_scalar("select epc from facts where kind = 'left'")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(left, [emulated_epc(5)], "only the tag taken away left");
    let arrived = count(&pool, "select count(*) from facts where kind = 'arrived'").await;
    assert_eq!(arrived, 6, "no tag still on the shelf arrived again");
    let moved = count(&pool, "select count(*) from facts where kind = 'moved'").await;
    assert_eq!(moved, 0);
}

/// An instance cut off from the database stops driving its readers, and another takes
/// them: the reader (which takes one client at a time) is then read by the other.
#[sqlx::test(migrations = "./migrations")]
async fn an_instance_cut_off_from_the_database_stops_and_another_takes_its_reader(pool: PgPool) {
    let world = World::new(pool.clone()).await;
    let (_emulator, port) = llrp_emulator(0, &["--tags", "4", "--antennas", "1", "--rate", "100"]);
    let reader = add_reader(
        &pool,
        "aisle reader",
        &format!("llrp://127.0.0.1:{port}"),
        &[world.shelf],
    )
    .await;
    // A reaches PostgreSQL through a TCP proxy that the test cuts.
    let options = pool.connect_options();
    let socket = options
        .get_socket()
        .expect("the test database is on a unix socket")
        .join(format!(".s.PGSQL.{}", options.get_port()));
    let proxy = common::site::Proxy::start(socket).await;
    let mut serve = depot_serve();
    serve.args(["--instance", "depot-a"]).env(
        "DATABASE_URL",
        format!(
            "postgres://{}@127.0.0.1:{}/{}",
            options.get_username(),
            proxy.port,
            options.get_database().unwrap()
        ),
    );
    // Waited for off the test's thread, which runs the proxy.
    let (_a, _) = tokio::task::spawn_blocking(move || spawn_serving(serve))
        .await
        .unwrap();
    owned_by(&pool, reader, "depot-a", Duration::from_secs(10)).await;
    let b_pool = pool.clone();
    let (_b, b_base) = tokio::task::spawn_blocking(move || instance(&b_pool, "depot-b"))
        .await
        .unwrap();
    let health = || async {
        let readers: serde_json::Value = reqwest::Client::new()
            .get(format!("{b_base}/api/readers"))
            .bearer_auth(&world.admin)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        readers[0]["health"]["status"].clone()
    };
    assert_eq!(health().await, "standby");

    proxy.cut();
    let cut = Instant::now();
    owned_by(&pool, reader, "depot-b", Duration::from_secs(10)).await;
    while health().await != "connected" {
        assert!(
            cut.elapsed() < Duration::from_secs(20),
            "B is not reading the reader 20 s after A was cut off: {}",
            health().await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!(
        "B drove the reader {} ms after A was cut off",
        cut.elapsed().as_millis()
    );
    // A, back, stands by: the reader stays B's.
    proxy.restore();
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(owners(&pool).await[&reader], "depot-b");
}

/// A graceful stop is not the tags leaving: `depot serve` stopped with SIGTERM and started
/// again leaves the shelf's tags where they were, with no `left` and no second arrival.
#[sqlx::test(migrations = "./migrations")]
async fn a_graceful_restart_keeps_the_shelf_as_it_was(pool: PgPool) {
    let world = World::new(pool.clone()).await;
    let (_emulator, port) = llrp_emulator(0, &["--tags", "6", "--antennas", "2", "--rate", "300"]);
    add_reader(
        &pool,
        "aisle reader",
        &format!("llrp://127.0.0.1:{port}"),
        &[world.shelf, world.shelf2],
    )
    .await;
    let arrived = || count(&pool, "select count(*) from facts where kind = 'arrived'");
    let (mut a, _) = instance(&pool, "depot-a");
    let deadline = Instant::now() + Duration::from_secs(30);
    while arrived().await < 6 {
        assert!(
            Instant::now() < deadline,
            "{} of 6 arrived",
            arrived().await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let term = std::process::Command::new("kill")
        .args(["-TERM", &a.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    assert!(a.wait().unwrap().success(), "a clean exit");
    let (_a, _) = instance(&pool, "depot-a");
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(
        count(
            &pool,
            "select count(*) from facts where kind in ('left', 'moved')"
        )
        .await,
        0
    );
    assert_eq!(arrived().await, 6, "no tag arrived again");
}
