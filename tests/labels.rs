//! Asset labels: ZPL for RFID printers, printing an intake on a printer (the ZPL printer
//! emulator of `depot-hil`, on loopback), a printer that is away, and the printable sheet.

mod common;

use std::time::Duration;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use common::World;
use depot::app::App;
use depot::config::{Config, Printer};
use depot_hil::zpl::{self, ZplPrinter};
use depot_hil::Peer;
use serde_json::{json, Value};
use sqlx::PgPool;

/// An intake from Finance of the named assets; its id and its assets' (id, EPC), in order.
async fn intake(world: &World, names: &[&str]) -> (i64, Vec<(i64, String)>) {
    let items: Vec<Value> = names
        .iter()
        .map(|n| json!({"name": n, "category_id": world.tables, "original_value_fen": 100}))
        .collect();
    let (status, body) = world
        .call(
            Method::POST,
            "/api/intakes",
            &world.keeper,
            Some(json!({"source_department_id": world.finance, "source_class": "other_idle", "items": items})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let assets = body["assets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["id"].as_i64().unwrap(),
                a["epc"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    (body["id"].as_i64().unwrap(), assets)
}

/// A GET with a bearer token; the reply as text.
async fn text(world: &World, path: &str, token: &str) -> common::Reply {
    let req = Request::get(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    common::send(world, req).await
}

/// The world served with these printers configured.
fn with_printers(world: World, printers: Vec<Printer>) -> World {
    let mut config = Config::for_database(None);
    config.printers = printers;
    World {
        app: depot::server::router(App::new(world.pool.clone(), config)),
        ..world
    }
}

fn printer(name: &str, port: u16) -> Printer {
    Printer {
        name: name.into(),
        host: "127.0.0.1".into(),
        port,
    }
}

#[sqlx::test(migrations = "./migrations")]
async fn an_intake_has_one_label_per_asset_writing_its_epc(pool: PgPool) {
    let world = World::new(pool).await;
    let hostile = "桌^XZ^XA^RFW,H^FDDEADBEEF^FS~JR";
    let (id, assets) = intake(&world, &["折叠桌", hostile, "chair"]).await;

    let reply = text(
        &world,
        &format!("/api/intakes/{id}/labels.zpl"),
        &world.keeper,
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let labels = zpl::parse(&reply.body);
    let epcs: Vec<Option<String>> = labels.iter().map(|l| l.epc.clone()).collect();
    let expected: Vec<Option<String>> = assets.iter().map(|(_, e)| Some(e.clone())).collect();
    assert_eq!(epcs, expected, "{}", reply.body);
    assert!(labels.iter().all(|l| l.rfid_setup), "{labels:?}");
    for (label, (asset, _)) in labels.iter().zip(&assets) {
        assert_eq!(label.qr.len(), 1, "{label:?}");
        assert!(label.qr[0].starts_with("urn:epc:tag:giai-96:"), "{label:?}");
        assert!(label.texts.contains(&format!("No. {asset}")), "{label:?}");
    }
    assert!(
        labels[0].texts.contains(&"折叠桌".to_owned()),
        "{:?}",
        labels[0]
    );
    // The hostile name prints as itself and commands nothing.
    assert!(
        labels[1].texts.contains(&hostile.to_owned()),
        "{:?}",
        labels[1]
    );

    let (asset, epc) = &assets[2];
    let reply = text(
        &world,
        &format!("/api/assets/{asset}/label.zpl"),
        &world.auditor,
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let labels = zpl::parse(&reply.body);
    assert_eq!(labels.len(), 1);
    assert_eq!(labels[0].epc.as_ref(), Some(epc));

    // Another department's intake is not there for a requester.
    let reply = text(
        &world,
        &format!("/api/intakes/{id}/labels.zpl"),
        &world.requester2,
    )
    .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "{}", reply.body);
}

#[sqlx::test(migrations = "./migrations")]
async fn the_printer_gets_the_intakes_labels_in_order(pool: PgPool) {
    let device = ZplPrinter::start("127.0.0.1:0").await.unwrap();
    let world = with_printers(
        World::new(pool).await,
        vec![printer("Dock 1", device.addr.port())],
    );
    let (id, assets) = intake(&world, &["table 1", "table 2", "table 3"]).await;
    let path = format!("/api/intakes/{id}/print");

    let (status, body) = world
        .call(
            Method::POST,
            &path,
            &world.requester,
            Some(json!({"printer": "Dock 1"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = world
        .call(
            Method::POST,
            &path,
            &world.keeper,
            Some(json!({"printer": "Dock 9"})),
        )
        .await;
    // No such printer: the configuration, not the request, is what is missing.
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(device.connections(), 0, "nothing is sent for a refusal");

    let (status, body) = world
        .call(
            Method::POST,
            &path,
            &world.keeper,
            Some(json!({"printer": "Dock 1"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({"printer": "Dock 1", "labels": 3}));
    let printed = device.wait_for(3, Duration::from_secs(5)).await;
    let epcs: Vec<String> = printed.iter().filter_map(|l| l.epc.clone()).collect();
    let expected: Vec<String> = assets.iter().map(|(_, e)| e.clone()).collect();
    assert_eq!(printed.len(), 3, "{printed:?}");
    assert_eq!(epcs, expected);
    assert!(
        printed[0].texts.contains(&"table 1".to_owned()),
        "{printed:?}"
    );

    // The intake page offers the printer; its button prints through the same operation.
    let cookie = common::login(&world, "keeper").await;
    let page = common::get(&world, &format!("/keeper/intakes/{id}"), &cookie).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("name=\"printer\" value=\"Dock 1\""),
        "{}",
        page.body
    );
    assert!(page.body.contains(&format!("/keeper/intakes/{id}/labels")));
    let csrf = page.csrf();
    let reply = common::post(
        &world,
        &format!("/keeper/intakes/{id}/print"),
        &cookie,
        &[("csrf", &csrf), ("printer", "Dock 1")],
    )
    .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    let page = common::get(&world, reply.location(), &cookie).await;
    assert!(
        page.body.contains("Labels sent to the printer Dock 1"),
        "{}",
        page.body
    );
    let printed = device.wait_for(6, Duration::from_secs(5)).await;
    assert_eq!(printed.len(), 6, "{printed:?}");
    assert_eq!(printed[3].epc.as_ref(), Some(&expected[0]));
}

#[sqlx::test(migrations = "./migrations")]
async fn a_printer_that_is_away_is_a_clear_503_and_changes_nothing(pool: PgPool) {
    // A port nothing listens on: bound, then closed.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let world = with_printers(World::new(pool).await, vec![printer("Dock 1", port)]);
    let (id, _) = intake(&world, &["table 1", "table 2", "table 3"]).await;
    let events = |pool: PgPool| async move {
        sqlx::query_scalar::<_, i64>("select count(*) from events")
            .fetch_one(&pool)
            .await
            .unwrap()
    };
    let before = events(world.pool.clone()).await;
    let (_, intake_before) = world
        .call(
            Method::GET,
            &format!("/api/intakes/{id}"),
            &world.keeper,
            None,
        )
        .await;

    let (status, body) = world
        .call(
            Method::POST,
            &format!("/api/intakes/{id}/print"),
            &world.keeper,
            Some(json!({"printer": "Dock 1"})),
        )
        .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("Dock 1") && message.contains("cannot be reached"),
        "{message}"
    );

    assert_eq!(events(world.pool.clone()).await, before);
    let (_, intake_after) = world
        .call(
            Method::GET,
            &format!("/api/intakes/{id}"),
            &world.keeper,
            None,
        )
        .await;
    assert_eq!(intake_after, intake_before);

    // The page's button says the same, not a server error.
    let cookie = common::login(&world, "keeper").await;
    let csrf = common::get(&world, &format!("/keeper/intakes/{id}"), &cookie)
        .await
        .csrf();
    let reply = common::post(
        &world,
        &format!("/keeper/intakes/{id}/print"),
        &cookie,
        &[("csrf", &csrf), ("printer", "Dock 1")],
    )
    .await;
    assert_eq!(
        reply.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        reply.body
    );
    assert!(reply.body.contains("cannot be reached"), "{}", reply.body);
}

#[sqlx::test(migrations = "./migrations")]
async fn the_label_sheet_has_a_qr_code_and_the_epc_of_every_asset(pool: PgPool) {
    let world = World::new(pool).await;
    let (id, assets) = intake(&world, &["<b>table</b>", "table 2", "table 3"]).await;
    let path = format!("/keeper/intakes/{id}/labels");

    let keeper = common::login(&world, "keeper").await;
    let page = common::get(&world, &path, &keeper).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let sheet = &page.body[page.body.find("class=\"sheet\"").unwrap()..];
    assert_eq!(sheet.matches("<svg").count(), assets.len(), "{sheet}");
    for (asset, epc) in &assets {
        assert!(sheet.contains(epc), "{epc} on {sheet}");
        assert!(sheet.contains(&format!("id=\"label-{asset}\"")), "{sheet}");
    }
    assert!(!sheet.contains("<b>table</b>"), "names are escaped");
    assert!(sheet.contains("b&#62;table"), "{sheet}");

    // Finance's requester sees the labels of what Finance handed over; Culture's does not.
    let own = common::login(&world, "requester").await;
    assert_eq!(
        common::get(&world, &path, &own).await.status,
        StatusCode::OK
    );
    let other = common::login(&world, "requester2").await;
    let reply = common::get(&world, &path, &other).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "{}", reply.body);
    assert!(!reply.body.contains(&assets[0].1), "{}", reply.body);
}

/// The world served with this desk reader as its tag writer.
fn with_writer(world: World, address: String) -> World {
    let mut config = Config::for_database(None);
    config.tag_writer = Some(address);
    World {
        app: depot::server::router(App::new(world.pool.clone(), config)),
        ..world
    }
}

/// The EPCs the emulated tags carry now, sorted.
async fn field(peer: &mut Peer) -> Vec<String> {
    let line = peer.ask("epcs").await;
    line.split_whitespace().skip(1).map(str::to_owned).collect()
}

async fn put_on(peer: &mut Peer, epcs: &[&str]) {
    assert_eq!(peer.ask(&format!("field {}", epcs.join(" "))).await, "ok");
}

#[sqlx::test(migrations = "./migrations")]
async fn the_keeper_writes_each_new_tag_on_the_desk_reader_and_it_is_read_back(pool: PgPool) {
    const BLANK: &str = "E20000170110B01621000001";
    const BLANK2: &str = "E20000170110B01621000002";
    let mut peer = Peer::start("llrp_emulator.py", &["--epcs", BLANK, "--rate", "200"]).await;
    let writer = format!("llrp://127.0.0.1:{}", peer.endpoint());
    let world = with_writer(World::new(pool).await, writer);
    let (id, assets) = intake(&world, &["table 1", "table 2", "table 3"]).await;
    let write = |asset: i64| format!("/api/assets/{asset}/write_tag");

    let (status, body) = world
        .call(Method::POST, &write(assets[0].0), &world.requester, None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(
        field(&mut peer).await,
        [BLANK],
        "nothing written for a refusal"
    );

    // A blank tag takes the first asset's EPC, read back; the asset's timeline says so.
    let (status, body) = world
        .call(Method::POST, &write(assets[0].0), &world.keeper, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["epc"], json!(assets[0].1));
    assert_eq!(body["previous_epc"], json!(BLANK));
    assert!(body["reads_after"].as_u64().unwrap() >= 1, "{body}");
    assert_eq!(field(&mut peer).await, [assets[0].1.clone()]);
    let (_, events) = world
        .call(
            Method::GET,
            &format!("/api/assets/{}/events", assets[0].0),
            &world.admin,
            None,
        )
        .await;
    assert!(
        events
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "write_tag" && e["details"]["previous_epc"] == json!(BLANK)),
        "{events}"
    );

    // Refused, the tags as they were: the first asset's tag left on, two tags at once.
    let (status, body) = world
        .call(Method::POST, &write(assets[1].0), &world.keeper, None)
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body.to_string()
            .contains(&format!("asset {}'s", assets[0].0)),
        "{body}"
    );
    assert_eq!(field(&mut peer).await, [assets[0].1.clone()]);
    put_on(&mut peer, &[BLANK, BLANK2]).await;
    let (status, body) = world
        .call(Method::POST, &write(assets[1].0), &world.keeper, None)
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body.to_string().contains("2 tags"), "{body}");
    assert_eq!(field(&mut peer).await, [BLANK, BLANK2]);

    // From the intake page: one new tag on, Write tag beside the second asset.
    put_on(&mut peer, &[BLANK2]).await;
    let cookie = common::login(&world, "keeper").await;
    let page = common::get(&world, &format!("/keeper/intakes/{id}"), &cookie).await;
    let button = format!("id=\"write-tag-{}\"", assets[1].0);
    assert!(page.body.contains(&button), "{}", page.body);
    let asset = assets[1].0.to_string();
    let reply = common::post(
        &world,
        &format!("/keeper/intakes/{id}/write-tag"),
        &cookie,
        &[("csrf", &page.csrf()), ("asset", &asset)],
    )
    .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    assert_eq!(
        reply.location(),
        format!("/keeper/intakes/{id}?done=tag_written#asset-{asset}")
    );
    assert_eq!(field(&mut peer).await, [assets[1].1.clone()]);

    // Nothing on the writer: said so. The writer away: 503, and the service goes on.
    put_on(&mut peer, &[]).await;
    let (status, body) = world
        .call(Method::POST, &write(assets[2].0), &world.keeper, None)
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body.to_string().contains("no tag"), "{body}");
    drop(peer);
    let (status, body) = world
        .call(Method::POST, &write(assets[2].0), &world.keeper, None)
        .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");

    // Without a tag writer configured, the page offers none and the API says why.
    let plain = World {
        app: depot::server::router(App::new(world.pool.clone(), Config::for_database(None))),
        ..world
    };
    let page = common::get(&plain, &format!("/keeper/intakes/{id}"), &cookie).await;
    assert!(!page.body.contains("write-tag-"), "{}", page.body);
    let (status, body) = plain
        .call(Method::POST, &write(assets[2].0), &plain.keeper, None)
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body.to_string().contains("no tag writer"), "{body}");
}
