//! Readers drive the lifecycle, end to end: committed reader traces replayed through the
//! engine, the fact store, the gate reconciliation and the stocktakes, on a real PostgreSQL.

mod common;

use std::collections::{BTreeSet, HashMap};
use std::io::BufReader;

use axum::http::{Method, StatusCode};
use common::site::{add_reader, count, emulated_epc, llrp_emulator, register, Trace, TRACES};
use common::{pipeline, World};
use depot::domain::bounds::Known as _;
use depot::ingest::{Ingest, LiveEvent, Options};
use serde_json::json;
use sqlx::PgPool;

#[sqlx::test(migrations = "./migrations")]
async fn a_gate_out_issues_a_50_item_loan_and_a_stray_raises_exactly_one_alert(pool: PgPool) {
    let world = World::new(pool.clone()).await;
    let trace = Trace::install(&pool, world.warehouse, "loan-gate-out").await;
    let passed = trace.passed();
    assert_eq!(passed.len(), 51);
    let inside = trace.zones[&trace.config.engine.gates[0].inside.0];
    let ids = register(&world, &passed, inside).await;
    let (loan_assets, stray) = (&ids[..50], ids[50]);
    let loan = world.approved_loan(loan_assets).await;

    let ingest = Ingest::start(pool.clone(), pipeline()).await.unwrap();
    let mut live = ingest.subscribe();
    trace.replay_into(&ingest).await;

    let (_, body) = world
        .call(
            Method::GET,
            &format!("/api/loans/{loan}"),
            &world.admin,
            None,
        )
        .await;
    assert_eq!(body["status"], "issued", "{body}");
    let issued = body["assets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| !a["issued_at"].is_null())
        .count();
    assert_eq!(issued, 50);
    let alerts = count(&pool, "select count(*) from alerts").await;
    assert_eq!(alerts, 1, "exactly one alert, for the stray");
    let (kind, asset): (String, Option<i64>) =
        sqlx::query_as("select kind::text, asset_id from alerts")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((kind.as_str(), asset), ("exit_without_order", Some(stray)));
    assert_eq!(
        world.asset_state(stray).await,
        "in_stock",
        "an alert changes nothing"
    );

    // The issue is a lifecycle event naming the gate and the passage behind it.
    let (_, timeline) = world
        .call(
            Method::GET,
            &format!("/api/assets/{}/events", loan_assets[0]),
            &world.admin,
            None,
        )
        .await;
    let issue = timeline
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "issue")
        .unwrap();
    assert!(
        issue["fact_key"].as_str().unwrap().starts_with("passed:"),
        "{issue}"
    );
    assert_eq!(issue["details"]["gate"], "main door");
    assert!(
        issue["actor_id"].is_null(),
        "done by the reader, not a person"
    );
    world.assert_log_agrees().await;

    // What was pushed live: 51 passages, one alert, 50 state changes.
    let mut kinds: HashMap<&'static str, usize> = HashMap::new();
    while let Ok(event) = live.try_recv() {
        *kinds.entry(event.name()).or_default() += 1;
        if let LiveEvent::Passage {
            outcome, asset_id, ..
        } = &event
        {
            assert_eq!(
                outcome,
                if *asset_id == Some(stray) {
                    "alert"
                } else {
                    "issued"
                }
            );
        }
    }
    assert_eq!(
        (kinds["passage"], kinds["alert"], kinds["state_change"]),
        (51, 1, 50)
    );
}

#[sqlx::test(migrations = "./migrations")]
async fn replaying_a_trace_twice_stores_nothing_twice(pool: PgPool) {
    let world = World::new(pool.clone()).await;
    let trace = Trace::install(&pool, world.warehouse, "loan-gate-out").await;
    let passed = trace.passed();
    let inside = trace.zones[&trace.config.engine.gates[0].inside.0];
    register(&world, &passed[..10], inside).await;

    let first = Ingest::start(pool.clone(), pipeline()).await.unwrap();
    trace.replay_into(&first).await;
    let snapshot = |pool: PgPool| async move {
        (
            count(&pool, "select count(*) from facts").await,
            count(&pool, "select count(*) from events").await,
            count(&pool, "select count(*) from alerts").await,
        )
    };
    let after_one = snapshot(pool.clone()).await;
    assert_eq!(after_one.2, 51, "10 with no order, 41 unknown tags");
    // A second pipeline (a restart) replays the same reads: the same facts, nothing new.
    let second = Ingest::start(pool.clone(), pipeline()).await.unwrap();
    trace.replay_into(&second).await;
    assert_eq!(snapshot(pool.clone()).await, after_one);
    assert!(
        second.stats().facts > 0,
        "the facts were made again, and skipped"
    );
}

#[sqlx::test(migrations = "./migrations")]
async fn a_gate_in_returns_the_items_pending_inspection(pool: PgPool) {
    let world = World::new(pool.clone()).await;
    let trace = Trace::install(&pool, world.warehouse, "gate-in").await;
    let passed = trace.passed();
    assert_eq!(passed.len(), 60);
    let inside = trace.zones[&trace.config.engine.gates[0].inside.0];
    let ids = register(&world, &passed, inside).await;
    let loan = world.approved_loan(&ids).await;
    let (status, _) = world
        .call(
            Method::POST,
            &format!("/api/loans/{loan}/issue"),
            &world.keeper,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // Another department books the first asset for after this loan, while it is out.
    let (status, later) = world
        .call(
            Method::POST,
            "/api/loans",
            &world.requester2,
            Some(
                json!({"purpose": "seminar", "starts_on": "2031-01-02", "ends_on": "2031-01-05",
                "lines": [{"asset_id": ids[0]}]}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{later}");
    let later = later["id"].as_i64().unwrap();
    let (status, body) = world
        .call(
            Method::POST,
            &format!("/api/loans/{later}/approve"),
            &world.admin,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    world.sign_off_if_asked(later, &body).await;

    let ingest = Ingest::start(pool.clone(), pipeline()).await.unwrap();
    trace.replay_into(&ingest).await;

    let (_, body) = world
        .call(
            Method::GET,
            &format!("/api/loans/{loan}"),
            &world.admin,
            None,
        )
        .await;
    assert_eq!(body["status"], "returned", "{body}");
    let assets = body["assets"].as_array().unwrap();
    assert!(
        assets
            .iter()
            .all(|a| a["condition"].is_null() && !a["returned_at"].is_null()),
        "returned, pending inspection"
    );
    assert_eq!(
        world.asset_state(ids[0]).await,
        "reserved",
        "held for the booking"
    );
    assert_eq!(world.asset_state(ids[1]).await, "in_stock");
    let zone: Option<i64> = sqlx::query_scalar("select zone_id from assets where id = $1")
        .bind(ids[0])
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(zone, Some(inside), "back inside the gate");
    assert_eq!(count(&pool, "select count(*) from alerts").await, 0);

    // The keeper inspects: one damaged, which opens a compensation case.
    let (status, body) = world
        .call(Method::POST, &format!("/api/loans/{loan}/inspect"), &world.keeper, Some(json!({"items": [{"asset_id": ids[0], "condition": "damaged", "note": "scratched"}, {"asset_id": ids[1], "condition": "fine"}]})))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(world.asset_state(ids[0]).await, "in_repair");
    assert_eq!(count(&pool, "select count(*) from compensations").await, 1);
    // The booking stands (a collision to swap if it is not repaired in time); repaired, the
    // asset is held for it again.
    let booked = format!(
        "select count(*) from reservations where order_id = {later} and asset_id = {} and released_at is null",
        ids[0]
    );
    assert_eq!(count(&pool, &booked).await, 1);
    let (status, body) = world
        .call(
            Method::POST,
            &format!("/api/assets/{}/repair", ids[0]),
            &world.keeper,
            Some(json!({"reason": "fixed"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(world.asset_state(ids[0]).await, "reserved");
    let (status, _) = world
        .call(
            Method::POST,
            &format!("/api/loans/{loan}/inspect"),
            &world.keeper,
            Some(json!({"items": [{"asset_id": ids[1], "condition": "fine"}]})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "inspected once");
    world.assert_log_agrees().await;
}

#[sqlx::test(migrations = "./migrations")]
async fn a_stocktake_of_2000_stores_exactly_7_missing_3_misplaced_and_2_unknown(pool: PgPool) {
    let world = World::new(pool.clone()).await;
    let warehouse: i64 = sqlx::query_scalar(
        "insert into warehouses (code, name) values ('W2', 'Aisles') returning id",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let trace = Trace::install(&pool, warehouse, "stocktake").await;
    let plan = trace.config.stocktake.clone().unwrap();
    for e in &plan.expected {
        let zone = trace.zones[&e.zone.0];
        sqlx::query(
            "with a as (insert into assets (epc, name, category_id, original_value_fen, state, zone_id)
                        values ($1, 'shelf item', $2, 100, 'in_stock', $3) returning id)
             insert into events (asset_id, action, to_state) select id, 'fixture', 'in_stock' from a",
        )
        .bind(e.epc.to_hex())
        .bind(world.tables)
        .bind(zone)
        .execute(&pool)
        .await
        .unwrap();
    }
    let ingest = Ingest::start(pool.clone(), pipeline()).await.unwrap();
    let world = world.with_ingest(&ingest);

    let st = world.started_stocktake(warehouse).await;
    let id = st["id"].as_i64().unwrap();
    assert_eq!(st["progress"]["expected"], 2000);
    assert_eq!(st["progress"]["found"], 0);

    let mut live = ingest.subscribe();
    trace.replay_into(&ingest).await;
    let (_, st) = world
        .call(
            Method::GET,
            &format!("/api/stocktakes/{id}"),
            &world.keeper,
            None,
        )
        .await;
    assert_eq!(st["progress"]["found"], 1990, "{}", st["progress"]);
    assert!(
        std::iter::from_fn(|| live.try_recv().ok())
            .any(|e| matches!(e, LiveEvent::StocktakeProgress { found: 1990, .. })),
        "progress is pushed live"
    );

    let (status, st) = world
        .call(
            Method::POST,
            &format!("/api/stocktakes/{id}/finish"),
            &world.keeper,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{st}");
    assert_eq!(
        (
            st["found"].as_i64(),
            st["missing"].as_i64(),
            st["misplaced"].as_i64(),
            st["unexpected"].as_i64()
        ),
        (Some(1990), Some(7), Some(3), Some(2))
    );
    let stored: BTreeSet<(String, String)> = sqlx::query_as("select outcome::text, epc from stocktake_results where stocktake_id = $1 and outcome <> 'found'")
        .bind(id)
        .fetch_all(&pool)
        .await
        .unwrap()
        .into_iter()
        .collect();
    let reference = depot::engine::trace::replay(
        BufReader::new(std::fs::File::open(format!("{TRACES}/stocktake.jsonl")).unwrap()),
        &trace.config,
    )
    .unwrap()
    .stocktake
    .expect("the trace has a stocktake plan");
    let mut expected = BTreeSet::new();
    expected.extend(
        reference
            .missing
            .iter()
            .map(|l| ("missing".to_owned(), l.epc.to_hex())),
    );
    expected.extend(
        reference
            .misplaced
            .iter()
            .map(|l| ("misplaced".to_owned(), l.epc.to_hex())),
    );
    expected.extend(
        reference
            .unexpected
            .iter()
            .map(|l| ("unexpected".to_owned(), l.epc.to_hex())),
    );
    assert_eq!(stored, expected, "exactly the tags the engine names");

    // Follow-ups: a missing asset marked lost, a misplaced one relocated, an unknown tag registered.
    let pick = |outcome: &str| stored.iter().find(|(o, _)| o == outcome).unwrap().1.clone();
    for (epc, body) in [
        (pick("missing"), json!({"action": "mark_lost"})),
        (pick("misplaced"), json!({"action": "relocate"})),
        (
            pick("unexpected"),
            json!({"action": "register", "name": "found chair", "category_id": world.chairs, "original_value_fen": 100}),
        ),
    ] {
        let mut body = body;
        body["epc"] = json!(epc);
        let (status, line) = world
            .call(
                Method::POST,
                &format!("/api/stocktakes/{id}/resolve"),
                &world.keeper,
                Some(body),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{line}");
        assert!(line["resolution"].is_string());
    }
    let lost: i64 = count(&pool, "select count(*) from assets where state = 'lost'").await;
    assert_eq!(lost, 1);
    world.assert_log_agrees().await;
}

#[sqlx::test(migrations = "./migrations")]
async fn handheld_uploads_are_all_or_nothing(pool: PgPool) {
    let world = World::new(pool.clone()).await;
    let mut conn = pool.acquire().await.unwrap();
    let new = depot::db::readers::NewReader {
        name: "hh".known(),
        address: "handheld:".known(),
        enabled: true,
        read_points: vec![depot::db::readers::ReadPoint {
            antenna: 1,
            zone_id: world.shelf,
        }],
    };
    depot::db::readers::create(&mut conn, &new).await.unwrap();
    let ingest = Ingest::start(pool.clone(), pipeline()).await.unwrap();
    let world = world.with_ingest(&ingest);
    let ids = world.stock(world.tables, 3).await;
    let epcs: Vec<String> =
        sqlx::query_scalar("select epc from assets where id = any($1) order by id")
            .bind(&ids)
            .fetch_all(&pool)
            .await
            .unwrap();

    let (_, st) = world
        .call(
            Method::POST,
            "/api/stocktakes",
            &world.keeper,
            Some(json!({"warehouse_id": world.warehouse, "zone_ids": [world.shelf]})),
        )
        .await;
    let id = st["id"].as_i64().unwrap();
    world
        .call(
            Method::POST,
            &format!("/api/stocktakes/{id}/start"),
            &world.keeper,
            None,
        )
        .await;

    let bad = json!({"reader": "hh", "reads": [{"epc": epcs[0]}, {"epc": "XYZ"}]});
    let (status, body) = world
        .call(Method::POST, "/api/reads", &world.keeper, Some(bad))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("read 2, epc:"),
        "{body}"
    );
    let (_, st) = world
        .call(
            Method::GET,
            &format!("/api/stocktakes/{id}"),
            &world.keeper,
            None,
        )
        .await;
    assert_eq!(
        st["progress"]["found"], 0,
        "nothing of a refused batch is counted"
    );

    let csv = format!("epc,antenna,rssi_dbm\n{},1,-50\n{},1,\n", epcs[0], epcs[1]);
    let (status, body) = world
        .upload_csv("/api/reads?reader=hh", &world.keeper, csv)
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["accepted"], 2);
    // As a spreadsheet saves it: a byte order mark, quoted fields, CRLF line ends.
    let csv = format!(
        "\u{feff}\"epc\",\"antenna\",\"rssi_dbm\"\r\n\"{}\",\"1\",\"-52\"\r\n",
        epcs[0]
    );
    let (status, body) = world
        .upload_csv("/api/reads?reader=hh", &world.keeper, csv)
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["accepted"], 1);
    let (_, st) = world
        .call(
            Method::GET,
            &format!("/api/stocktakes/{id}"),
            &world.keeper,
            None,
        )
        .await;
    assert_eq!(
        (
            st["progress"]["found"].as_u64(),
            st["progress"]["missing"].as_u64()
        ),
        (Some(2), Some(1))
    );
}

/// The LLRP driver against the llrpkit reader emulator, feeding a stocktake: eight tags on
/// two antennas (two zones). Six are where the register says, one is in the wrong zone, one
/// is unknown, and two registered assets are absent.
#[sqlx::test(migrations = "./migrations")]
async fn an_llrp_reader_feeds_a_stocktake(pool: PgPool) {
    let world = World::new(pool.clone()).await;
    let (mut emulator, port) =
        llrp_emulator(0, &["--tags", "8", "--antennas", "2", "--rate", "300"]);

    let (zone_a, zone_b) = (world.shelf, world.shelf2);
    let mut conn = pool.acquire().await.unwrap();
    let reader = depot::db::readers::create(
        &mut conn,
        &depot::db::readers::NewReader {
            name: "aisle reader".known(),
            address: format!("llrp://127.0.0.1:{port}").known(),
            enabled: true,
            read_points: vec![
                depot::db::readers::ReadPoint {
                    antenna: 1,
                    zone_id: zone_a,
                },
                depot::db::readers::ReadPoint {
                    antenna: 2,
                    zone_id: zone_b,
                },
            ],
        },
    )
    .await
    .unwrap();
    let true_zone = |i: usize| if i % 2 == 0 { zone_a } else { zone_b };
    for i in 0..6 {
        register(&world, &[emulated_epc(i)], true_zone(i)).await;
    }
    register(&world, &[emulated_epc(6)], zone_b).await; // really in zone A: misplaced
    register(
        &world,
        &[
            "3034257BF7194E4000000001".into(),
            "3034257BF7194E4000000002".into(),
        ],
        zone_a,
    )
    .await; // absent

    let ingest = Ingest::start(
        pool.clone(),
        Options {
            tick: Some(std::time::Duration::from_millis(100)),
            connect_readers: true,
            capacity: 16,
            record_latency: false,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let world = world.with_ingest(&ingest);
    let (_, st) = world
        .call(
            Method::POST,
            "/api/stocktakes",
            &world.keeper,
            Some(json!({"warehouse_id": world.warehouse, "zone_ids": [zone_a, zone_b]})),
        )
        .await;
    let id = st["id"].as_i64().unwrap();
    let (status, st) = world
        .call(
            Method::POST,
            &format!("/api/stocktakes/{id}/start"),
            &world.keeper,
            None,
        )
        .await;
    assert_eq!(
        (status, st["progress"]["expected"].as_u64()),
        (StatusCode::OK, Some(9)),
        "{st}"
    );

    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let (_, st) = world
            .call(
                Method::GET,
                &format!("/api/stocktakes/{id}"),
                &world.keeper,
                None,
            )
            .await;
        let p = &st["progress"];
        if (
            p["found"].as_u64(),
            p["misplaced"].as_u64(),
            p["unexpected"].as_u64(),
        ) == (Some(6), Some(1), Some(1))
        {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the count never completed: {p}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let health = ingest.health();
    assert_eq!(
        health[&reader.id].status, "connected",
        "{:?}",
        health[&reader.id]
    );
    assert!(health[&reader.id].last_read_at.is_some());
    let (status, st) = world
        .call(
            Method::POST,
            &format!("/api/stocktakes/{id}/finish"),
            &world.keeper,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{st}");
    assert_eq!(
        (
            st["found"].as_i64(),
            st["missing"].as_i64(),
            st["misplaced"].as_i64(),
            st["unexpected"].as_i64()
        ),
        (Some(6), Some(2), Some(1), Some(1))
    );
    // The auditors' copy: every line with its outcome, for machines and for people.
    let keeper = common::login(&world, "keeper").await;
    let path = format!("/keeper/stocktakes/{id}/lines.csv");
    let csv = common::get(&world, &format!("{path}?codes=1"), &keeper).await;
    assert_eq!(csv.status, StatusCode::OK, "{}", csv.body);
    let rows: Vec<&str> = csv.body.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(
        rows[0],
        "epc,asset_id,asset,category,outcome,expected_zone,seen_zone,other_zone,resolution,resolved_at"
    );
    let mut outcomes: HashMap<&str, usize> = HashMap::new();
    for row in &rows[1..] {
        *outcomes.entry(row.split(',').nth(4).unwrap()).or_default() += 1;
    }
    assert_eq!(
        outcomes,
        HashMap::from([
            ("found", 6),
            ("missing", 2),
            ("misplaced", 1),
            ("unexpected", 1)
        ]),
        "{}",
        csv.body
    );
    let people = common::get(&world, &path, &format!("{keeper}; lang=zh-CN")).await;
    assert!(
        people.body.contains("盘点结果") && people.body.contains("盘亏"),
        "{}",
        people.body
    );
    let none = common::get(&world, "/keeper/stocktakes/999999/lines.csv", &keeper).await;
    assert_eq!(none.status, StatusCode::NOT_FOUND);
    let clerk = common::login(&world, "requester").await;
    let refused = common::get(&world, &path, &clerk).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    let (_, readers) = world
        .call(Method::GET, "/api/readers", &world.admin, None)
        .await;
    assert_eq!(readers[0]["health"]["status"], "connected", "{readers}");

    ingest.shutdown().await;
    let _ = emulator.kill();
    let _ = emulator.wait();
}

#[sqlx::test(migrations = "./migrations")]
async fn readers_and_gates_come_from_the_configuration_file_too(pool: PgPool) {
    let world = World::new(pool.clone()).await;
    let text = r#"
        [[readers]]
        name = "dock"
        address = "llrp://127.0.0.1:1"
        antennas = { 1 = "W1/A", 2 = "W1/B" }

        [[gates]]
        name = "dock door"
        inside = "W1/A"
        outside = "W1/B"
    "#;
    let file: depot::config::FileConfig = toml::from_str(text).unwrap();
    let mut conn = pool.acquire().await.unwrap();
    depot::db::readers::apply_config(&mut conn, &file.readers, &file.gates)
        .await
        .unwrap();
    let mut changed = file.readers.clone();
    changed[0].address = "llrp://127.0.0.1:2".known();
    depot::db::readers::apply_config(&mut conn, &changed, &file.gates)
        .await
        .expect("applying again updates");
    let readers = depot::db::readers::list(&mut conn).await.unwrap();
    assert_eq!(readers.len(), 1);
    assert_eq!(readers[0].address, "llrp://127.0.0.1:2");
    let zones: Vec<i64> = readers[0].read_points.iter().map(|p| p.zone_id).collect();
    assert_eq!(zones, [world.shelf, world.shelf2]);
    let gates = depot::db::readers::gates(&mut conn).await.unwrap();
    assert_eq!((gates.len(), gates[0].inside_zone_id), (1, world.shelf));

    let mut bad = file.readers.clone();
    bad[0].antennas.insert("3".into(), "W9/Z".into());
    let err = depot::db::readers::apply_config(&mut conn, &bad, &[])
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"no zone "W9/Z" (WAREHOUSE/ZONE by their codes)"#
    );
}

#[sqlx::test(migrations = "./migrations")]
async fn a_kit_requested_as_one_line_is_issued_at_the_gate(pool: PgPool) {
    let world = World::new(pool.clone()).await;
    let trace = Trace::install(&pool, world.warehouse, "loan-gate-out").await;
    let passed = trace.passed();
    let inside = trace.zones[&trace.config.engine.gates[0].inside.0];
    let ids = register(&world, &passed, inside).await;
    // The trace carries 51 tags out: 40 tables and 10 chairs of a kit, and one stray chair
    // no loan asks for (the approval chooses the oldest chairs free, so not the stray).
    sqlx::query("update assets set category_id = $1 where id = any($2)")
        .bind(world.chairs)
        .bind(&ids[40..])
        .execute(&pool)
        .await
        .unwrap();
    let stray = ids[50];
    let (status, kit) = world
        .call(
            Method::POST,
            "/api/kits",
            &world.admin,
            Some(json!({"name": "hall for 40", "parts": [
                {"category_id": world.tables, "quantity": 40},
                {"category_id": world.chairs, "quantity": 10}]})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{kit}");
    let today = common::today().to_string();
    let (status, loan) = world
        .call(
            Method::POST,
            "/api/loans",
            &world.requester,
            Some(
                json!({"purpose": "town hall meeting", "starts_on": today, "ends_on": today,
                        "lines": [{"kit_id": kit["id"]}]}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{loan}");
    let loan = loan["id"].as_i64().unwrap();
    let (status, approved) = world
        .call(
            Method::POST,
            &format!("/api/loans/{loan}/approve"),
            &world.admin,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{approved}");
    let chosen: BTreeSet<i64> = approved["assets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["asset_id"].as_i64().unwrap())
        .collect();
    assert_eq!(chosen, ids[..50].iter().copied().collect(), "{approved}");

    let ingest = Ingest::start(pool.clone(), pipeline()).await.unwrap();
    trace.replay_into(&ingest).await;
    let (_, body) = world
        .call(
            Method::GET,
            &format!("/api/loans/{loan}"),
            &world.admin,
            None,
        )
        .await;
    assert_eq!(
        body["status"], "issued",
        "the whole kit went out at the gate: {body}"
    );
    assert_eq!(
        world.asset_state(stray).await,
        "in_stock",
        "the stray is not lent"
    );
    world.assert_log_agrees().await;
}

/// A stocktake finished while the readers' facts are still on their way into it: the
/// finish stores what was read first (the pipeline records its sightings meanwhile, under
/// the finish's lock of the stocktake) and counts it.
#[sqlx::test(migrations = "./migrations")]
async fn a_stocktake_finishes_while_its_sightings_are_on_their_way(pool: PgPool) {
    let world = World::new(pool.clone()).await;
    let reader = add_reader(&pool, "aisle reader", "handheld:", &[world.shelf]).await;
    let ingest = Ingest::start(pool.clone(), pipeline()).await.unwrap();
    let world = world.with_ingest(&ingest);
    let ids = world.stock(world.tables, 40).await;
    let epcs: Vec<String> =
        sqlx::query_scalar("select epc from assets where id = any($1) order by id")
            .bind(&ids)
            .fetch_all(&pool)
            .await
            .unwrap();
    let (_, st) = world
        .call(
            Method::POST,
            "/api/stocktakes",
            &world.keeper,
            Some(json!({"warehouse_id": world.warehouse, "zone_ids": [world.shelf]})),
        )
        .await;
    let id = st["id"].as_i64().unwrap();
    world
        .call(
            Method::POST,
            &format!("/api/stocktakes/{id}/start"),
            &world.keeper,
            None,
        )
        .await;
    // The reads go through the engine as a fixed reader's do (not as an upload's); their
    // arrivals are queued for the processor when the finish comes.
    let t0 = depot::ingest::now_us();
    let reads: Vec<depot_readers::TagRead> = (0..12u64)
        .flat_map(|i| {
            epcs.iter().map(move |e| depot_readers::TagRead {
                reader: depot::ingest::reader_id(reader),
                antenna: 1,
                epc: depot_readers::Epc::from_hex(e).unwrap(),
                timestamp_us: t0 + i * 250_000,
                rssi_dbm: Some(-55),
                phase: None,
                channel: None,
                seen_count: None,
            })
        })
        .collect();
    ingest.feed(reads).await.unwrap();
    ingest.advance_to(t0 + 4_000_000).await.unwrap();
    let finished = tokio::time::timeout(
        std::time::Duration::from_secs(20),
        world.call(
            Method::POST,
            &format!("/api/stocktakes/{id}/finish"),
            &world.keeper,
            None,
        ),
    )
    .await
    .expect("the finish waits for the pipeline, which waits for nothing");
    let (status, st) = finished;
    assert_eq!(status, StatusCode::OK, "{st}");
    assert_eq!(st["found"], 40, "{st}");
}
