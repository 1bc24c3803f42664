//! The asset card as finance keeps it, and the register as a file: import (CSV, XLSX) all or
//! nothing with every bad cell named, export in the same format, and the admin's page.

mod common;

use axum::http::{Method, StatusCode};
use chrono::{Datelike, Months};
use common::World;
use serde_json::{json, Value};
use sqlx::PgPool;

/// The first day of the month `n` months before this one.
fn months_ago(n: u32) -> chrono::NaiveDate {
    let today = chrono::Local::now().date_naive();
    today.with_day(1).unwrap() - Months::new(n)
}

#[sqlx::test(migrations = "./migrations")]
async fn the_card_carries_finance_fields_and_the_net_value(pool: PgPool) {
    let world = World::new(pool).await;
    let (status, category) = world
        .call(
            Method::PATCH,
            &format!("/api/categories/{}", world.tables),
            &world.admin,
            Some(json!({"useful_life_months": 60})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{category}");
    assert_eq!(category["useful_life_months"], 60);

    let acquired = months_ago(12);
    let (status, asset) = world
        .call(
            Method::POST,
            "/api/assets",
            &world.keeper,
            Some(json!({
                "name": "Folding table", "category_id": world.tables, "original_value_fen": 120_000,
                "acquired_on": acquired, "model": "ZD-1200", "serial_number": "SN-0001",
                "supplier": "Mianyang Furniture Co.", "acquisition_method": "purchase",
                "funding_source": "fiscal appropriation", "finance_card_no": "KP-2025-0001",
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{asset}");
    assert_eq!(asset["model"], "ZD-1200");
    assert_eq!(asset["acquisition_method"], "purchase");
    assert_eq!(asset["finance_card_no"], "KP-2025-0001");
    // The category's life was taken; 12 of 60 months are gone.
    assert_eq!(asset["useful_life_months"], 60);
    assert_eq!(asset["depreciation"]["months"], 12);
    assert_eq!(asset["depreciation"]["accumulated_fen"], 24_000);
    assert_eq!(asset["depreciation"]["net_value_fen"], 96_000);

    // Its own life overrides the category's; past the life the net value is nil.
    let id = asset["id"].as_i64().unwrap();
    let (status, asset) = world
        .call(
            Method::PATCH,
            &format!("/api/assets/{id}"),
            &world.keeper,
            Some(json!({"useful_life_months": 6, "acquisition_method": "donation"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{asset}");
    assert_eq!(asset["useful_life_months"], 6);
    assert_eq!(asset["acquisition_method"], "donation");
    assert_eq!(asset["depreciation"]["net_value_fen"], 0);

    // A bad method or life is refused and changes nothing.
    for bad in [
        json!({"acquisition_method": "theft"}),
        json!({"useful_life_months": 0}),
        json!({"useful_life_months": 1201}),
    ] {
        let (status, reply) = world
            .call(
                Method::PATCH,
                &format!("/api/assets/{id}"),
                &world.keeper,
                Some(bad),
            )
            .await;
        assert!(status.is_client_error(), "{status} {reply}");
    }

    // Without an acquisition date there is no net value to tell.
    let (_, undated) = world
        .call(
            Method::POST,
            "/api/assets",
            &world.keeper,
            Some(json!({"name": "Chair", "category_id": world.chairs, "original_value_fen": 100})),
        )
        .await;
    assert_eq!(undated["depreciation"], Value::Null);

    // The page shows the card and the net value, in both languages.
    let cookie = common::login(&world, "admin").await;
    let page = common::get(&world, &format!("/assets/{id}"), &cookie).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("KP-2025-0001") && page.body.contains("Net value"));
    let zh = common::get(
        &world,
        &format!("/assets/{id}"),
        &format!("{cookie}; lang=zh-CN"),
    )
    .await;
    assert!(
        zh.body.contains("资产卡片号") && zh.body.contains("净值") && zh.body.contains("接受捐赠")
    );
}

const HEADER: &str = "epc,name,category,original_value,acquired_on,source_class,owner_department,zone,model,serial_number,supplier,acquisition_method,funding_source,finance_card_no,useful_life_months";

/// A good row: its EPC (or none), name and zone.
fn row(epc: &str, name: &str, zone: &str) -> String {
    format!("{epc},{name},TBL,1200.50,2024-03-15,event_purchase,,{zone},ZD-1,SN1,Acme,purchase,fiscal,KP1,")
}

async fn upload(
    world: &World,
    path: &str,
    token: &str,
    content_type: &str,
    body: Vec<u8>,
) -> (StatusCode, Value) {
    let req = axum::http::Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(axum::http::header::AUTHORIZATION, format!("Bearer {token}"))
        .header(axum::http::header::CONTENT_TYPE, content_type)
        .body(axum::body::Body::from(body))
        .unwrap();
    world.send(req).await
}

async fn import_csv(world: &World, csv: &str, dry_run: bool) -> (StatusCode, Value) {
    let path = format!("/api/assets/import?dry_run={dry_run}");
    upload(
        world,
        &path,
        &world.keeper,
        "text/csv",
        csv.as_bytes().to_vec(),
    )
    .await
}

async fn count(world: &World, table: &str) -> i64 {
    sqlx::query_scalar(&format!("select count(*) from {table}"))
        .fetch_one(&world.pool)
        .await
        .unwrap()
}

/// The whole response body of a GET, as bytes.
async fn download(world: &World, path: &str, token: &str) -> (StatusCode, Vec<u8>) {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let req = axum::http::Request::get(path)
        .header(axum::http::header::AUTHORIZATION, format!("Bearer {token}"))
        .body(axum::body::Body::empty())
        .unwrap();
    let response = world.app.clone().oneshot(req).await.unwrap();
    let status = response.status();
    (
        status,
        response
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec(),
    )
}

/// An asset as stored: EPC, name, value, state, zone, model, supplier, useful life.
type Stored = (
    String,
    String,
    i64,
    String,
    Option<i64>,
    String,
    String,
    Option<i32>,
);

#[sqlx::test(migrations = "./migrations")]
async fn a_csv_with_a_bom_crlf_and_quoted_fields_imports(pool: PgPool) {
    let world = World::new(pool).await;
    let csv = format!(
        "\u{feff}{HEADER}\r\n\
         3034257BF7194E4000000A01,\"Table, folding \"\"large\"\"\",TBL,1200.50,2024-03-15,event_purchase,FIN,W1/A,\"ZD-1200, oak\",SN-1,\"Mianyang Furniture Co., Ltd.\",purchase,财政拨款,KP-0001,120\r\n\
         ,会议椅,CHR,80,,other_idle,,W1/B,,,,donation,,,\r\n\
         ,Projector,CHR,3000.5,2025-01-01,,,,,,,,,,\r\n"
    );
    let (status, report) = import_csv(&world, &csv, false).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["stored"], true);
    assert_eq!(report["rows"], 3);
    assert_eq!(report["epcs_assigned"], 2);
    let intake = report["intake_id"].as_i64().unwrap();

    let assets: Vec<Stored> = sqlx::query_as(
        "select epc, name, original_value_fen, state::text, zone_id, model, supplier, useful_life_months from assets order by id",
    )
    .fetch_all(&world.pool)
    .await
    .unwrap();
    assert_eq!(assets.len(), 3);
    assert_eq!(assets[0].0, "3034257BF7194E4000000A01");
    assert_eq!(assets[0].1, "Table, folding \"large\"");
    assert_eq!(assets[0].2, 120_050);
    assert_eq!(assets[0].3, "in_stock");
    assert_eq!(assets[0].4, Some(world.shelf));
    assert_eq!(assets[0].5, "ZD-1200, oak");
    assert_eq!(assets[0].6, "Mianyang Furniture Co., Ltd.");
    assert_eq!(assets[0].7, Some(120));
    assert_eq!(assets[1].1, "会议椅");
    assert_eq!(assets[1].4, Some(world.shelf2));
    // No place given: registered, awaiting receipt on the intake.
    assert_eq!(assets[2].3, "registered");
    assert_eq!(assets[2].2, 300_050);
    // Commissioned EPCs are GIAI-96 (header 0x34), one each.
    assert!(assets[1].0.starts_with("34") && assets[2].0.starts_with("34"));
    assert_ne!(assets[1].0, assets[2].0);

    // Each asset has its intake: registered, and received where it was placed.
    let events: Vec<(String, i64)> = sqlx::query_as(
        "select action, count(*) from events where order_kind = 'intake' and order_id = $1 and asset_id is not null
         group by action order by action",
    )
    .bind(intake)
    .fetch_all(&world.pool)
    .await
    .unwrap();
    assert_eq!(events, vec![("receive".into(), 2), ("register".into(), 3)]);
    let (status, intake) = world
        .call(
            Method::GET,
            &format!("/api/intakes/{intake}"),
            &world.keeper,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(intake["status"], "open");
    assert_eq!(intake["asset_count"], 3);
    assert_eq!(intake["awaiting_receipt"], 1);
    world.assert_log_agrees().await;
}

#[sqlx::test(migrations = "./migrations")]
async fn a_row_with_an_owner_and_no_zone_stays_held_by_its_department(pool: PgPool) {
    let world = World::new(pool).await;
    let csv = format!(
        "{HEADER}\n\
         ,Desk of the finance office,TBL,900,2023-05-01,other_idle,FIN,,,,,purchase,,,\n\
         ,Chair in stock,CHR,80,,other_idle,FIN,W1/A,,,,,,,\n"
    );
    let (status, report) = import_csv(&world, &csv, false).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let intake = report["intake_id"].as_i64().unwrap();
    type Held = (i64, String, Option<i64>, Option<i64>, Option<i64>);
    let assets: Vec<Held> = sqlx::query_as(
        "select id, state::text, owner_department_id, holder_department_id, zone_id from assets order by id",
    )
    .fetch_all(&world.pool)
    .await
    .unwrap();
    // Held where it is, in the owning department's custody; the other is in the depot's stock.
    assert_eq!((assets[0].1.as_str(), assets[0].4), ("allocated", None));
    assert_eq!(
        (assets[0].2, assets[0].3),
        (Some(world.finance), Some(world.finance))
    );
    assert_eq!(assets[1].1, "in_stock");
    assert_eq!(
        (assets[1].2, assets[1].3, assets[1].4),
        (Some(world.finance), None, Some(world.shelf))
    );
    let actions: Vec<(String, Option<String>, String)> = sqlx::query_as(
        "select action, from_state, to_state from events where asset_id = $1 order by id",
    )
    .bind(assets[0].0)
    .fetch_all(&world.pool)
    .await
    .unwrap();
    assert_eq!(
        actions,
        vec![
            ("register".into(), None, "registered".into()),
            ("hold".into(), Some("registered".into()), "allocated".into()),
        ]
    );
    // Nothing awaits receipt: the intake is complete.
    let (status, body) = world
        .call(
            Method::GET,
            &format!("/api/intakes/{intake}"),
            &world.keeper,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "completed", "{body}");
    assert_eq!(body["awaiting_receipt"], 0);

    // Its department lists it in the virtual depot; another department does not even see it.
    let path = format!("/api/assets/{}/list", assets[0].0);
    let (status, _) = world
        .call(Method::POST, &path, &world.requester2, None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = world
        .call(Method::POST, &path, &world.requester, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "listed");
    world.assert_log_agrees().await;
}

#[sqlx::test(migrations = "./migrations")]
async fn three_bad_rows_among_many_are_named_and_nothing_is_stored(pool: PgPool) {
    let world = World::new(pool).await;
    let mut csv = format!("{HEADER}\n");
    for line in 2..=60 {
        let row = match line {
            7 => "3034257BF7194E4000000007,Desk,TBL,12.345,2024-03-15,,,W1/A,,,,,,,".to_owned(),
            20 => ",Desk,XXX,10,2024-03-15,,,W1/A,,,,,,,".to_owned(),
            41 => ",Desk,TBL,10,2024-02-30,,,W1/Z,,,,,,,".to_owned(),
            _ => row("", &format!("Desk {line}"), "W1/A"),
        };
        csv.push_str(&row);
        csv.push('\n');
    }
    let (status, report) = import_csv(&world, &csv, false).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{report}");
    assert_eq!(report["stored"], false);
    let named: Vec<(i64, String)> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["line"].as_i64().unwrap(),
                e["column"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        named,
        vec![
            (7, "original_value".into()),
            (20, "category".into()),
            (41, "acquired_on".into()),
            (41, "zone".into()),
        ],
        "{report}"
    );
    assert_eq!(report["error_count"], 4);
    assert_eq!(count(&world, "assets").await, 0);
    assert_eq!(count(&world, "intakes").await, 0);
    assert_eq!(count(&world, "events").await, 0);

    // Errors are bounded: a thousand bad rows report a hundred and count them all.
    let mut csv = format!("{HEADER}\n");
    for _ in 0..1000 {
        csv.push_str(",Desk,TBL,-1,,,,,,,,,,,\n");
    }
    let (status, report) = import_csv(&world, &csv, true).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(report["errors"].as_array().unwrap().len(), 100);
    assert_eq!(report["error_count"], 1000);

    // A wrong header is named on line 1; a row of the wrong width on its own line.
    let (status, report) = import_csv(&world, "epc,name,category\n,a,TBL\n", false).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(report["errors"][0]["line"], 1);
    assert_eq!(report["errors"][0]["column"], "original_value");
    let (_, report) = import_csv(&world, &format!("{HEADER}\n,a,TBL\n"), false).await;
    assert_eq!(report["errors"][0]["line"], 2);
    assert_eq!(report["errors"][0]["column"], Value::Null);
    assert_eq!(count(&world, "assets").await, 0);
}

#[sqlx::test(migrations = "./migrations")]
async fn a_dry_run_stores_nothing(pool: PgPool) {
    let world = World::new(pool).await;
    let csv = format!(
        "{HEADER}\n{}\n{}\n",
        row("", "Desk", "W1/A"),
        row("", "Desk", "")
    );
    let (status, report) = import_csv(&world, &csv, true).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(
        (report["dry_run"].as_bool(), report["stored"].as_bool()),
        (Some(true), Some(false))
    );
    assert_eq!(report["rows"], 2);
    assert_eq!(report["preview"][0][1], "Desk");
    assert_eq!(report["intake_id"], Value::Null);
    assert_eq!(count(&world, "assets").await, 0);
    assert_eq!(count(&world, "intakes").await, 0);
    assert_eq!(count(&world, "events").await, 0);
    // Not even an EPC reference is spent.
    let next: i64 = sqlx::query_scalar("select nextval('giai_asset_reference')")
        .fetch_one(&world.pool)
        .await
        .unwrap();
    assert_eq!(next, 1);
}

#[sqlx::test(migrations = "./migrations")]
async fn duplicate_epcs_are_refused_in_the_file_and_against_the_register(pool: PgPool) {
    let world = World::new(pool).await;
    let existing = world.stock(world.tables, 1).await[0];
    let taken: String = sqlx::query_scalar("select epc from assets where id = $1")
        .bind(existing)
        .fetch_one(&world.pool)
        .await
        .unwrap();
    let csv = format!(
        "{HEADER}\n{}\n{}\n{}\n{}\n{}\n",
        row("3034257BF7194E4000000B01", "A", "W1/A"),
        row("", "B", "W1/A"),
        // The same EPC again, in lower case.
        row("3034257bf7194e4000000b01", "C", "W1/A"),
        row(&taken, "D", "W1/A"),
        row("3034257BF7", "E", "W1/A"),
    );
    let (status, report) = import_csv(&world, &csv, false).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{report}");
    let errors = report["errors"].as_array().unwrap();
    let named: Vec<(i64, &str)> = errors
        .iter()
        .map(|e| (e["line"].as_i64().unwrap(), e["column"].as_str().unwrap()))
        .collect();
    assert_eq!(named, vec![(4, "epc"), (5, "epc"), (6, "epc")], "{report}");
    assert!(errors[0]["message"].as_str().unwrap().contains("line 2"));
    assert!(errors[1]["message"]
        .as_str()
        .unwrap()
        .contains(&format!("asset {existing}")));
    assert_eq!(count(&world, "assets").await, 1);
}

/// A second depot, empty, on the same server (a database of its own, migrated), with the
/// same departments, places and kinds: where a register is taken to.
async fn empty_depot(pool: &PgPool, suffix: &str) -> (World, String) {
    let name: String = sqlx::query_scalar("select current_database()")
        .fetch_one(pool)
        .await
        .unwrap();
    // The test's own database's name is long; a name is cut at 63 bytes.
    let other = format!("rt_{}_{suffix}", &name[name.len().saturating_sub(24)..]);
    sqlx::query(&format!("drop database if exists \"{other}\""))
        .execute(pool)
        .await
        .unwrap();
    sqlx::query(&format!("create database \"{other}\""))
        .execute(pool)
        .await
        .unwrap();
    let options = pool.connect_options().as_ref().clone().database(&other);
    let second = PgPool::connect_with(options).await.unwrap();
    sqlx::migrate!("./migrations").run(&second).await.unwrap();
    (World::new(second).await, other)
}

async fn drop_depot(pool: &PgPool, world: World, name: &str) {
    world.pool.close().await;
    sqlx::query(&format!("drop database if exists \"{name}\" with (force)"))
        .execute(pool)
        .await
        .unwrap();
}

async fn tables_last_ten_years(world: &World) {
    let path = format!("/api/categories/{}", world.tables);
    let (status, _) = world
        .call(
            Method::PATCH,
            &path,
            &world.admin,
            Some(json!({"useful_life_months": 120})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[sqlx::test(migrations = "./migrations")]
async fn the_register_round_trips_through_csv_and_xlsx(pool: PgPool) {
    let world = World::new(pool.clone()).await;
    tables_last_ten_years(&world).await;
    let csv = format!(
        "{HEADER}\n\
         3034257BF7194E4000000C01,\"Table, \"\"oak\"\"\",TBL,1200.05,2024-03-15,event_purchase,FIN,W1/A,ZD-1,SN-1,Acme,purchase,财政拨款,KP-1,\n\
         ,会议椅 Chair,CHR,0.5,,abolished_body,,W1/B,,,,donation,,,36\n\
         ,'=SUM(A1),TBL,99999999.99,1999-12-31,institutional_reform,CUL,,M,S,'-x,transfer,self-raised,KP-3,1200\n\
         ,-,CHR,0,2025-06-01,other_idle,,W1/A,,,,other,,,\n"
    );
    let (status, report) = import_csv(&world, &csv, false).await;
    assert_eq!(status, StatusCode::OK, "{report}");

    let (status, exported) = download(&world, "/api/assets/export.csv", &world.keeper).await;
    assert_eq!(status, StatusCode::OK);
    let exported = String::from_utf8(exported).unwrap();
    assert!(
        exported.starts_with(&format!("\u{feff}{HEADER}\r\n")),
        "{exported}"
    );
    let lines: Vec<&str> = exported.lines().collect();
    assert_eq!(lines.len(), 5, "{exported}");
    assert!(lines[1].starts_with("3034257BF7194E4000000C01,\"Table, \"\"oak\"\"\",TBL,1200.05,2024-03-15,event_purchase,FIN,W1/A,"), "{}", lines[1]);
    // The category's life is written out; a formula is guarded as it was in the file.
    assert!(lines[1].ends_with(",KP-1,120"), "{}", lines[1]);
    assert!(
        lines[3].contains(",\"'=SUM(A1)\",TBL,99999999.99,"),
        "{}",
        lines[3]
    );

    let (status, workbook) = download(&world, "/api/assets/export.xlsx", &world.admin).await;
    assert_eq!(status, StatusCode::OK);
    assert!(workbook.starts_with(b"PK"));

    // Into empty depots: the workbook into one, the CSV into another; each then exports the
    // same register.
    for (suffix, content_type, body) in [
        (
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            workbook.clone(),
        ),
        ("csv", "text/csv", exported.clone().into_bytes()),
    ] {
        let (other, name) = empty_depot(&pool, suffix).await;
        tables_last_ten_years(&other).await;
        let (status, report) = upload(
            &other,
            "/api/assets/import",
            &other.keeper,
            content_type,
            body,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{suffix}: {report}");
        assert_eq!(report["rows"], 4);
        assert_eq!(report["epcs_assigned"], 0, "every EPC came with the file");
        let (_, again) = download(&other, "/api/assets/export.csv", &other.keeper).await;
        assert_eq!(String::from_utf8(again).unwrap(), exported, "{suffix}");
        other.assert_log_agrees().await;
        drop_depot(&pool, other, &name).await;
    }

    // A workbook that is not one is refused by line, nothing stored.
    let (status, report) = upload(
        &world,
        "/api/assets/import",
        &world.keeper,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        b"PK\x03\x04 not really".to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{report}");
    assert_eq!(report["errors"][0]["line"], 1);
}

/// The value of the hidden field `name` in a page.
fn hidden(body: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let at = body
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in the page"))
        + marker.len();
    body[at..]
        .split('"')
        .next()
        .unwrap()
        .replace("&#43;", "+")
        .replace("&#x2b;", "+")
        .replace("&#x2f;", "/")
        .replace("&#47;", "/")
        .replace("&#61;", "=")
        .replace("&#x3d;", "=")
}

#[sqlx::test(migrations = "./migrations")]
async fn the_import_page_shows_the_errors_then_a_preview_then_imports(pool: PgPool) {
    let world = World::new(pool).await;
    let cookie = common::login(&world, "admin").await;
    let page = common::get(&world, "/admin/import", &cookie).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("enctype=\"multipart/form-data\"") && page.body.contains(HEADER));
    let csrf = page.csrf();
    let zh = common::get(&world, "/admin/import", &format!("{cookie}; lang=zh-CN")).await;
    assert!(zh.body.contains("导入资产台账") && zh.body.contains("检查文件"));

    // A bad file: every error by line and column, nothing stored, no import button.
    let bad = format!(
        "{HEADER}\n{}\n,Desk,NOPE,10,,,,W1/A,,,,,,,\n{}\n,Desk,TBL,ten,,,,W1/Q,,,,,,,\n",
        row("", "Desk", "W1/A"),
        row("", "Desk", "W1/B")
    );
    let checked = common::post_multipart(
        &world,
        "/admin/import",
        &cookie,
        &[("csrf", &csrf)],
        Some(("register.csv", bad.as_bytes())),
    )
    .await;
    assert_eq!(checked.status, StatusCode::OK, "{}", checked.body);
    for (line, column) in [("3", "category"), ("5", "original_value"), ("5", "zone")] {
        assert!(
            checked.body.contains(&format!(
                "<td class=\"num\">{line}</td><td class=\"mono\">{column}</td>"
            )),
            "line {line} column {column} in {}",
            checked.body
        );
    }
    assert!(!checked.body.contains("/admin/import/confirm"));
    assert_eq!(count(&world, "assets").await, 0);

    // A good one: its first rows, and the button that imports exactly it.
    let good = format!(
        "{HEADER}\n{}\n{}\n",
        row("", "Oak desk", "W1/A"),
        row("", "Pine desk", "")
    );
    let checked = common::post_multipart(
        &world,
        "/admin/import",
        &cookie,
        &[("csrf", &csrf)],
        Some(("register.csv", good.as_bytes())),
    )
    .await;
    assert_eq!(checked.status, StatusCode::OK, "{}", checked.body);
    assert!(checked.body.contains("Oak desk") && checked.body.contains("Pine desk"));
    assert!(checked.body.contains("/admin/import/confirm"));
    assert_eq!(
        count(&world, "assets").await,
        0,
        "the preview stores nothing"
    );

    let data = hidden(&checked.body, "data");
    let format = hidden(&checked.body, "format");
    // Without the form token nothing happens.
    let forged = common::post_multipart(
        &world,
        "/admin/import/confirm",
        &cookie,
        &[("data", &data), ("format", &format)],
        None,
    )
    .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(count(&world, "assets").await, 0);

    let done = common::post_multipart(
        &world,
        "/admin/import/confirm",
        &cookie,
        &[
            ("csrf", &csrf),
            ("data", &data),
            ("format", &format),
            ("file_name", "register.csv"),
        ],
        None,
    )
    .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(done.body.contains("Imported") && done.body.contains("/keeper/intakes/"));
    assert_eq!(count(&world, "assets").await, 2);
    world.assert_log_agrees().await;

    // The register's own workbook, checked again: its EPCs are on assets now, each named.
    let (_, workbook) = download(&world, "/api/assets/export.xlsx", &world.admin).await;
    let checked = common::post_multipart(
        &world,
        "/admin/import",
        &cookie,
        &[("csrf", &csrf)],
        Some(("register.xlsx", &workbook)),
    )
    .await;
    assert_eq!(checked.status, StatusCode::OK);
    for line in ["2", "3"] {
        assert!(
            checked.body.contains(&format!(
                "<td class=\"num\">{line}</td><td class=\"mono\">epc</td>"
            )),
            "{}",
            checked.body
        );
    }
    assert_eq!(count(&world, "assets").await, 2);

    // Requesters have no such page.
    let requester = common::login(&world, "requester").await;
    assert_eq!(
        common::get(&world, "/admin/import", &requester)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

/// `depot import assets FILE --user NAME [--dry-run]` on the test's database: its exit
/// status and what it printed.
fn depot_import(
    pool: &PgPool,
    file: &std::path::Path,
    user: &str,
    dry_run: bool,
) -> (bool, String) {
    let url = common::site::database_url(pool);
    let mut args = vec!["import", "assets", file.to_str().unwrap(), "--user", user];
    if dry_run {
        args.push("--dry-run");
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_depot"))
        .args(args)
        .env("DATABASE_URL", url)
        .env("DEPOT_LOG", "warn")
        .output()
        .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), said)
}

#[sqlx::test(migrations = "./migrations")]
async fn the_command_imports_all_or_nothing_and_names_the_bad_cells(pool: PgPool) {
    let world = World::new(pool.clone()).await;
    let dir = std::env::temp_dir().join(format!("depot-import-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join(format!("bad-{}.csv", world.tables));
    std::fs::write(
        &bad,
        format!(
            "{HEADER}\n{}\n,Desk,NOPE,10,,,,W1/A,,,,,,,\n",
            row("", "Desk", "W1/A")
        ),
    )
    .unwrap();
    let (ok, said) = depot_import(&pool, &bad, "keeper", false);
    assert!(!ok, "{said}");
    assert!(
        said.contains(":3: category: no category with code \"NOPE\""),
        "{said}"
    );
    assert_eq!(count(&world, "assets").await, 0);

    let good = dir.join(format!("good-{}.csv", world.tables));
    std::fs::write(&good, format!("{HEADER}\n{}\n", row("", "Desk", "W1/A"))).unwrap();
    let (ok, said) = depot_import(&pool, &good, "keeper", true);
    assert!(ok && said.contains("nothing stored"), "{said}");
    assert_eq!(count(&world, "assets").await, 0);
    // A requester may not import.
    let (ok, said) = depot_import(&pool, &good, "requester", false);
    assert!(!ok, "{said}");
    assert_eq!(count(&world, "assets").await, 0);
    let (ok, said) = depot_import(&pool, &good, "keeper", false);
    assert!(ok && said.contains("imported 1 assets"), "{said}");
    assert_eq!(count(&world, "assets").await, 1);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[sqlx::test(migrations = "./migrations")]
async fn the_depreciation_report_charges_each_month_from_the_month_after_acquisition(pool: PgPool) {
    use depot::domain::depreciation::straight_line;
    let world = World::new(pool).await;
    let (status, _) = world
        .call(
            Method::PATCH,
            &format!("/api/categories/{}", world.tables),
            &world.admin,
            Some(json!({"useful_life_months": 60})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // (category, value in fen, months ago acquired, own useful life)
    let assets = [
        (world.tables, 120_000, Some(12), None),
        (world.tables, 100, Some(0), None),
        (world.tables, 1_000, Some(7), Some(6)),
        (world.tables, 777_777, Some(30), Some(61)),
        (world.chairs, 5_000, Some(2), None),
        (world.chairs, 5_000, None, None),
    ];
    for (category, value, ago, life) in assets {
        let (status, asset) = world
            .call(
                Method::POST,
                "/api/assets",
                &world.keeper,
                Some(json!({
                    "name": "Asset", "category_id": category, "original_value_fen": value,
                    "acquired_on": ago.map(months_ago), "useful_life_months": life,
                })),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{asset}");
    }
    // What the domain's rule gives for the tables, month by month.
    let expect = |month_start: chrono::NaiveDate| {
        let end = (month_start + Months::new(1)).pred_opt().unwrap();
        let before = month_start.pred_opt().unwrap();
        let mut t = (0i64, 0i64, 0i64, 0i64);
        for (category, value, ago, life) in assets {
            let Some(acquired) = ago.map(months_ago) else {
                continue;
            };
            if category != world.tables || acquired > end {
                continue;
            }
            let life = life.unwrap_or(60);
            let now = straight_line(value, acquired, life, end);
            let then = straight_line(value, acquired, life, before);
            t.0 += 1;
            t.1 += now.accumulated_fen - then.accumulated_fen;
            t.2 += now.accumulated_fen;
            t.3 += now.net_value_fen;
        }
        t
    };
    for ago in [0, 1, 7, 12, 13] {
        let month = months_ago(ago);
        let path = format!("/api/reports/depreciation?month={}", month.format("%Y-%m"));
        let (status, report) = world.call(Method::GET, &path, &world.auditor, None).await;
        assert_eq!(status, StatusCode::OK, "{report}");
        assert_eq!(report["month"], month.format("%Y-%m").to_string());
        let tables = report["categories"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["category_code"] == "TBL");
        let (n, charge, accumulated, net) = expect(month);
        let got = tables.map_or((0, 0, 0, 0), |r| {
            let fen = |k: &str| r[k].as_i64().unwrap();
            (
                r["assets"].as_i64().unwrap(),
                fen("charge_fen"),
                fen("accumulated_fen"),
                fen("net_fen"),
            )
        });
        assert_eq!(got, (n, charge, accumulated, net), "{month}: {report}");
    }
    // This month by hand: 120,000 over 60 months is 2,000 a month (12 gone); the one bought
    // this month is charged nothing yet; the 6-month one is used up.
    let (_, now) = world
        .call(Method::GET, "/api/reports/depreciation", &world.admin, None)
        .await;
    let tables = &now["categories"][1];
    assert_eq!(tables["category_code"], "TBL", "{now}");
    assert!(tables["charge_fen"].as_i64().unwrap() >= 2_000);
    assert_eq!(now["categories"][0]["category_code"], "CHR");
    // Chairs have no useful life: on the books, not depreciated.
    assert_eq!(now["categories"][0]["assets"], 0);
    assert_eq!(now["categories"][0]["undepreciated"], 2);
    assert_eq!(now["total"]["undepreciated"], 2);

    // The books are for finance and oversight: a requester or a keeper is not shown them.
    let (status, _) = world
        .call(
            Method::GET,
            "/api/reports/depreciation",
            &world.requester,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = world
        .call(
            Method::GET,
            "/api/reports/depreciation",
            &world.keeper,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = world
        .call(
            Method::GET,
            "/api/reports/depreciation?month=2026-13",
            &world.admin,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // The page and its CSV, in the viewer's language.
    let cookie = common::login(&world, "auditor").await;
    let page = common::get(
        &world,
        "/reports/depreciation",
        &format!("{cookie}; lang=zh-CN"),
    )
    .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("折旧月报") && page.body.contains("本月折旧"));
    let csv = common::get(&world, "/reports/depreciation.csv", &cookie).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(
        csv.body.contains("Depreciation this month (yuan)"),
        "{}",
        csv.body
    );
    assert!(csv.body.contains(",TBL,"), "{}", csv.body);
}

#[sqlx::test(migrations = "./migrations")]
async fn a_damaged_tag_is_replaced_keeping_the_asset_and_both_epcs_in_its_timeline(pool: PgPool) {
    let world = World::new(pool).await;
    let ids = world.stock(world.tables, 2).await;
    let loan = world.approved_loan(&ids[..1]).await;
    let asset = ids[0];
    let (_, before) = world
        .call(
            Method::GET,
            &format!("/api/assets/{asset}"),
            &world.admin,
            None,
        )
        .await;
    let old = before["epc"].as_str().unwrap().to_owned();

    // Through the API: a new GIAI-96 commissioned; the asset, its state and its loan stay.
    let path = format!("/api/assets/{asset}/retag");
    let (status, after) = world
        .call(
            Method::POST,
            &path,
            &world.keeper,
            Some(json!({"reason": "tag cracked"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{after}");
    let new = after["epc"].as_str().unwrap().to_owned();
    assert_ne!(new, old);
    assert_eq!(new.len(), 24, "a GIAI-96");
    assert!(after["tag_uri"]
        .as_str()
        .unwrap()
        .starts_with("urn:epc:tag:giai-96:"));
    assert_eq!(after["state"], before["state"]);
    assert_eq!(after["id"], json!(asset));
    let (_, booked) = world
        .call(
            Method::GET,
            &format!("/api/loans/{loan}"),
            &world.admin,
            None,
        )
        .await;
    assert_eq!(booked["assets"][0]["asset_id"], json!(asset));
    assert_eq!(booked["assets"][0]["epc"], json!(new));
    let (_, events) = world
        .call(
            Method::GET,
            &format!("/api/assets/{asset}/events"),
            &world.admin,
            None,
        )
        .await;
    let retag = events
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "retag")
        .unwrap_or_else(|| panic!("{events}"));
    assert_eq!(retag["details"]["old_epc"], json!(old));
    assert_eq!(retag["details"]["new_epc"], json!(new));
    assert!(retag["reason"].as_str().unwrap().contains("tag cracked"));

    // Refused, and nothing changes: another asset's EPC, the same EPC, bad hex, a requester.
    let (_, other) = world
        .call(
            Method::GET,
            &format!("/api/assets/{}", ids[1]),
            &world.admin,
            None,
        )
        .await;
    let taken = other["epc"].as_str().unwrap();
    let refusals = [
        (&world.keeper, json!({"epc": taken}), StatusCode::CONFLICT),
        (&world.keeper, json!({"epc": new}), StatusCode::CONFLICT),
        (
            &world.keeper,
            json!({"epc": "XYZ"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (&world.requester, json!({}), StatusCode::FORBIDDEN),
    ];
    for (who, body, expected) in refusals {
        let (status, said) = world.call(Method::POST, &path, who, Some(body)).await;
        assert_eq!(status, expected, "{said}");
    }
    let (_, now) = world
        .call(
            Method::GET,
            &format!("/api/assets/{asset}"),
            &world.admin,
            None,
        )
        .await;
    assert_eq!(now["epc"], json!(new));

    // On its page: the keeper gives the reason, confirms, and is told; an EPC of their own.
    let keeper = common::login(&world, "keeper").await;
    let page = common::get(&world, &format!("/assets/{asset}"), &keeper).await;
    assert!(page.body.contains("id=\"retag-form\""), "{}", page.body);
    let csrf = page.csrf();
    let chosen = "3034257BF400B78000000123";
    let form = [
        ("csrf", csrf.as_str()),
        ("epc", chosen),
        ("reason", "tag torn off"),
    ];
    let reply = common::post(&world, &format!("/assets/{asset}/retag"), &keeper, &form).await;
    assert_eq!(reply.status, StatusCode::OK, "asks first");
    assert!(reply.body.contains("id=\"confirm-form\""), "{}", reply.body);
    let mut confirmed = form.to_vec();
    confirmed.push(("confirmed", "1"));
    let reply = common::post(
        &world,
        &format!("/assets/{asset}/retag"),
        &keeper,
        &confirmed,
    )
    .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    assert_eq!(reply.location(), format!("/assets/{asset}?done=retagged"));
    let page = common::get(&world, &format!("/assets/{asset}"), &keeper).await;
    assert!(page.body.contains(chosen), "{}", page.body);
    assert!(page
        .body
        .contains(&format!("EPC {new} → {chosen}: tag torn off")));
    world.assert_log_agrees().await;
}

/// A raw upload of a document through the API; the reply.
async fn attach(
    world: &World,
    token: &str,
    asset: i64,
    query: &str,
    content_type: &str,
    bytes: Vec<u8>,
) -> (StatusCode, Value) {
    let req = axum::http::Request::post(format!("/api/assets/{asset}/attachments?{query}"))
        .header(axum::http::header::AUTHORIZATION, format!("Bearer {token}"))
        .header(axum::http::header::CONTENT_TYPE, content_type)
        .body(axum::body::Body::from(bytes))
        .unwrap();
    world.send(req).await
}

#[sqlx::test(migrations = "./migrations")]
async fn an_asset_keeps_its_invoice_and_photo_checked_by_what_the_bytes_are(pool: PgPool) {
    let world = World::new(pool).await;
    let asset = world.stock(world.tables, 1).await[0];
    let pdf = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer\n%%EOF\n".to_vec();
    let q = "kind=invoice&file_name=%E5%8F%91%E7%A5%A8-0042.pdf";

    let (status, doc) = attach(
        &world,
        &world.approver,
        asset,
        q,
        "application/pdf",
        pdf.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{doc}");
    assert_eq!(doc["file_name"], "发票-0042.pdf");
    assert_eq!(doc["content_type"], "application/pdf");
    assert_eq!(doc["size_bytes"], json!(pdf.len()));
    let id = doc["id"].as_i64().unwrap();

    // Read back whole, as stored, never sniffed; listed; noted in the timeline.
    let req = axum::http::Request::get(format!("/api/assets/{asset}/attachments/{id}"))
        .header(
            axum::http::header::AUTHORIZATION,
            format!("Bearer {}", world.keeper),
        )
        .body(axum::body::Body::empty())
        .unwrap();
    let reply = common::send(&world, req).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.headers["content-type"], "application/pdf");
    assert_eq!(reply.headers["x-content-type-options"], "nosniff");
    assert!(reply.headers["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment;"));
    assert_eq!(reply.body.as_bytes(), &pdf[..]);
    // The uploader is named as people call them (and by login, for machines).
    sqlx::query("update users set display_name = '李处长' where username = 'approver'")
        .execute(&world.pool)
        .await
        .unwrap();
    let (status, list) = world
        .call(
            Method::GET,
            &format!("/api/assets/{asset}/attachments"),
            &world.auditor,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["uploaded_by_name"], "李处长", "{list}");
    assert_eq!(list[0]["uploaded_by"], "approver", "{list}");
    let (_, events) = world
        .call(
            Method::GET,
            &format!("/api/assets/{asset}/events"),
            &world.admin,
            None,
        )
        .await;
    assert!(events.to_string().contains("\"attach\""), "{events}");

    // Refused, nothing kept: not a document, a type that lies, empty, too large, a bad
    // kind or name, a requester.
    let html = b"<html><script>alert(1)</script></html>".to_vec();
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    let cases: Vec<(&str, &str, &str, Vec<u8>, StatusCode)> = vec![
        (
            &world.keeper,
            q,
            "text/html",
            html.clone(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            &world.keeper,
            q,
            "application/octet-stream",
            html,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            &world.keeper,
            q,
            "image/png",
            pdf.clone(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            &world.keeper,
            q,
            "application/pdf",
            Vec::new(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            &world.keeper,
            q,
            "application/pdf",
            [pdf.clone(), vec![0; 5 * 1024 * 1024]].concat(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            &world.keeper,
            "kind=selfie&file_name=a.png",
            "image/png",
            png.clone(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            &world.keeper,
            "kind=photo&file_name=a%01b.png",
            "image/png",
            png.clone(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            &world.requester,
            "kind=photo&file_name=a.png",
            "image/png",
            png.clone(),
            StatusCode::FORBIDDEN,
        ),
    ];
    for (who, query, content_type, bytes, expected) in cases {
        let (status, said) = attach(&world, who, asset, query, content_type, bytes).await;
        assert_eq!(status, expected, "{query} {content_type}: {said}");
    }
    let (_, list) = world
        .call(
            Method::GET,
            &format!("/api/assets/{asset}/attachments"),
            &world.admin,
            None,
        )
        .await;
    assert_eq!(list.as_array().unwrap().len(), 1, "nothing more kept");
    // A department reads no documents of an asset that is not its own, nor sees them listed.
    let (status, _) = world
        .call(
            Method::GET,
            &format!("/api/assets/{asset}/attachments"),
            &world.requester,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let clerk = common::login(&world, "requester").await;
    let page = common::get(&world, &format!("/assets/{asset}"), &clerk).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("id=\"documents\""), "{}", page.body);

    // From the asset's page: a photo, its kind chosen; listed with a link.
    let keeper = common::login(&world, "keeper").await;
    let page = common::get(&world, &format!("/assets/{asset}"), &keeper).await;
    assert!(page.body.contains("id=\"attach-form\""), "{}", page.body);
    let csrf = hidden(&page.body, "csrf");
    let reply = common::post_multipart(
        &world,
        &format!("/assets/{asset}/attachments"),
        &keeper,
        &[("csrf", &csrf), ("kind", "photo")],
        Some(("front.png", &png)),
    )
    .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    assert_eq!(
        reply.location(),
        format!("/assets/{asset}?done=attached#documents")
    );
    let page = common::get(&world, &format!("/assets/{asset}"), &keeper).await;
    assert!(page.body.contains("front.png"), "{}", page.body);
    assert!(page
        .body
        .contains(&format!("/api/assets/{asset}/attachments/{id}")));
    // A forged form stores nothing.
    let reply = common::post_multipart(
        &world,
        &format!("/assets/{asset}/attachments"),
        &keeper,
        &[("csrf", "forged"), ("kind", "photo")],
        Some(("front.png", &png)),
    )
    .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.body);
    // Twenty at most.
    for n in 2..20 {
        let (status, said) = attach(
            &world,
            &world.keeper,
            asset,
            &format!("kind=photo&file_name={n}.png"),
            "image/png",
            png.clone(),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{said}");
    }
    let (status, said) = attach(
        &world,
        &world.keeper,
        asset,
        "kind=photo&file_name=21.png",
        "image/png",
        png,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{said}");
    world.assert_log_agrees().await;
}

#[sqlx::test(migrations = "./migrations")]
async fn categories_form_a_tree_with_national_codes_and_no_cycles(pool: PgPool) {
    let world = World::new(pool).await;
    let create = async |body: Value| {
        world
            .call(Method::POST, "/api/categories", &world.admin, Some(body))
            .await
    };
    let (status, furniture) =
        create(json!({"code": "FUR", "name": "Furniture 家具", "national_code": "60"})).await;
    assert_eq!(status, StatusCode::CREATED, "{furniture}");
    assert_eq!(furniture["national_code"], "60");
    assert_eq!(furniture["parent_id"], Value::Null);
    let fur = furniture["id"].as_i64().unwrap();
    let (status, desks) = create(
        json!({"code": "DSK2", "name": "Desks", "parent_id": fur, "national_code": "6010100"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{desks}");
    assert_eq!(desks["parent_id"], json!(fur));
    let dsk = desks["id"].as_i64().unwrap();

    // Refused, nothing stored: a code that is no code (422), a parent that does not exist
    // (409, as any reference to nothing).
    for (bad, expected) in [
        (
            json!({"code": "X1", "name": "x", "national_code": "6A"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"code": "X2", "name": "x", "national_code": "1"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"code": "X3", "name": "x", "parent_id": 999_999}),
            StatusCode::CONFLICT,
        ),
    ] {
        let (status, said) = create(bad.clone()).await;
        assert_eq!(status, expected, "{bad}: {said}");
    }
    // No cycles: furniture cannot go under its own desks, nor under itself.
    for parent in [dsk, fur] {
        let (status, said) = world
            .call(
                Method::PATCH,
                &format!("/api/categories/{fur}"),
                &world.admin,
                Some(json!({"parent_id": parent})),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{said}");
    }
    // Moved to the top and its code cleared, explicitly.
    let (status, moved) = world
        .call(
            Method::PATCH,
            &format!("/api/categories/{dsk}"),
            &world.admin,
            Some(json!({"parent_id": null, "national_code": null})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(moved["parent_id"], Value::Null);
    assert_eq!(moved["national_code"], Value::Null);
    assert_eq!(moved["name"], "Desks", "the rest unchanged");
    // A parent with children is not deleted from under them.
    let (status, _) = world
        .call(
            Method::PATCH,
            &format!("/api/categories/{dsk}"),
            &world.admin,
            Some(json!({"parent_id": fur})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, said) = world
        .call(
            Method::DELETE,
            &format!("/api/categories/{fur}"),
            &world.admin,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{said}");
}
