//! The lists a clerk, a keeper and an admin work from: each filter narrows its rows in SQL
//! and is kept across pages, each list exports what it lists as CSV (headers in the viewer's
//! language, codes for machines), and a role that may not read a list gets 403 on its CSV.

mod common;

use axum::http::{header, Method, StatusCode};
use common::{get, login, today, World};
use serde_json::{json, Value};
use sqlx::PgPool;

/// The rows of a CSV body, without its header.
fn rows(body: &str) -> Vec<&str> {
    body.trim_end().lines().skip(1).collect()
}

/// A CSV body's header line, without the byte-order mark.
fn header_of(body: &str) -> &str {
    body.lines()
        .next()
        .unwrap_or_default()
        .trim_start_matches('\u{feff}')
}

/// The address of the link with element id `id` on a page.
fn link_of(body: &str, id: &str) -> Option<String> {
    let at = body.find(&format!("id=\"{id}\""))?;
    let tag = &body[body[..at].rfind("<a ")?..at];
    let href = tag.split("href=\"").nth(1)?.split('"').next()?;
    Some(href.replace("&#38;", "&").replace("&amp;", "&"))
}

/// A CSV download as served: 200, `text/csv`.
#[track_caller]
fn is_csv(reply: &common::Reply, path: &str) {
    assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.body);
    let kind = reply.headers[header::CONTENT_TYPE].to_str().unwrap();
    assert!(kind.starts_with("text/csv"), "{path}: {kind}");
}

/// A loan of `assets` for the department of `token`'s requester, from `starts` for two
/// days, approved by the admin (short and cheap: no finance sign-off).
async fn approved(world: &World, token: &str, assets: &[i64], starts: chrono::NaiveDate) -> i64 {
    let ends = starts + chrono::Duration::days(1);
    let lines: Vec<_> = assets.iter().map(|a| json!({"asset_id": a})).collect();
    let (status, loan) = world
        .call(
            Method::POST,
            "/api/loans",
            token,
            Some(json!({"purpose": "event", "starts_on": starts, "ends_on": ends, "lines": lines})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{loan}");
    let id = loan["id"].as_i64().unwrap();
    let path = format!("/api/loans/{id}/approve");
    let (status, body) = world.call(Method::POST, &path, &world.admin, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    world.sign_off_if_asked(id, &body).await;
    id
}

/// The pick list by department and by the day loans start: the filter narrows the loans,
/// is kept by the pager, and the export holds the picks it selects.
#[sqlx::test(migrations = "./migrations")]
async fn the_pick_list_filters_by_department_and_day_and_exports_it(pool: PgPool) {
    let world = World::new(pool).await;
    let stock = world.stock(world.tables, 30).await;
    let today = today();
    let later = today + chrono::Duration::days(10);
    // Finance: 26 loans starting today, one in ten days; Culture: two starting today.
    let mut finance_today = Vec::new();
    for asset in &stock[..26] {
        finance_today.push(approved(&world, &world.requester, &[*asset], today).await);
    }
    let finance_later = approved(&world, &world.requester, &[stock[26]], later).await;
    let culture = approved(&world, &world.requester2, &[stock[27], stock[28]], today).await;
    let keeper = login(&world, "keeper").await;
    let loan_link = |id: i64| format!("href=\"/orders/{id}\"");

    // Unfiltered: 28 loans, 25 a page.
    let all = get(&world, "/keeper/picks", &keeper).await;
    assert_eq!(all.status, StatusCode::OK, "{}", all.body);
    assert!(all.body.contains("1–25 / 28"), "{}", all.body);

    // Finance's, starting by today: 26, the 26th on the second page.
    let path = format!(
        "/keeper/picks?department={}&starts_by={today}",
        world.finance
    );
    let first = get(&world, &path, &keeper).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert!(first.body.contains("1–25 / 26"), "{}", first.body);
    assert!(!first.body.contains(&loan_link(culture)), "{}", first.body);
    assert!(
        !first.body.contains(&loan_link(finance_later)),
        "{}",
        first.body
    );
    assert!(
        first
            .body
            .contains(&format!("value=\"{}\" selected", world.finance)),
        "the department shown as chosen: {}",
        first.body
    );
    assert!(
        first.body.contains(&format!("value=\"{today}\"")),
        "the day shown as chosen: {}",
        first.body
    );
    let next = link_of(&first.body, "page-next").expect("a second page");
    assert_eq!(
        next,
        format!(
            "/keeper/picks?department={}&starts_by={today}&page=2",
            world.finance
        )
    );
    let second = get(&world, &next, &keeper).await;
    assert!(second.body.contains("26–26 / 26"), "{}", second.body);
    assert!(
        second.body.contains(&loan_link(finance_today[25])),
        "{}",
        second.body
    );
    assert!(
        !second.body.contains(&loan_link(culture)),
        "{}",
        second.body
    );

    // Culture's: its one loan, both picks.
    let theirs = get(
        &world,
        &format!("/keeper/picks?department={}", world.culture),
        &keeper,
    )
    .await;
    assert!(theirs.body.contains("1–1 / 1"), "{}", theirs.body);
    assert!(theirs.body.contains(&loan_link(culture)), "{}", theirs.body);
    // Starting by today, any department: all but the later one.
    let by_today = get(&world, &format!("/keeper/picks?starts_by={today}"), &keeper).await;
    assert!(by_today.body.contains("1–25 / 27"), "{}", by_today.body);

    // The export holds what the filter selects, linked with it from the page.
    let csv = link_of(&first.body, "picks-csv").expect("an export link");
    assert_eq!(
        csv,
        format!(
            "/keeper/picks.csv?department={}&starts_by={today}",
            world.finance
        )
    );
    let en = get(&world, &csv, &keeper).await;
    is_csv(&en, &csv);
    assert_eq!(
        header_of(&en.body),
        "Loan,Department,First day,Place,Asset number,Asset,EPC"
    );
    assert_eq!(rows(&en.body).len(), 26, "{}", en.body);
    assert!(
        rows(&en.body)
            .iter()
            .all(|r| r.contains(",Finance Bureau,") && r.contains(&format!(",{today},"))),
        "{}",
        en.body
    );
    let zh = get(&world, &csv, &format!("{keeper}; lang=zh-CN")).await;
    assert_eq!(
        header_of(&zh.body),
        "借用单号,部门,开始日期,位置,资产编号,资产,EPC"
    );
    assert_eq!(rows(&zh.body).len(), 26, "{}", zh.body);
    let theirs = format!("/keeper/picks.csv?department={}&codes=1", world.culture);
    let theirs = get(&world, &theirs, &keeper).await;
    assert_eq!(header_of(&theirs.body).split(',').next(), Some("loan_id"));
    assert_eq!(rows(&theirs.body).len(), 2, "{}", theirs.body);
    assert!(
        rows(&theirs.body)
            .iter()
            .all(|r| r.starts_with(&format!("{culture},Culture Bureau,"))),
        "{}",
        theirs.body
    );
    let all = get(&world, "/keeper/picks.csv", &keeper).await;
    assert_eq!(rows(&all.body).len(), 29, "{}", all.body);

    // Bad input is refused with a 4xx, never a 500.
    for bad in [
        "/keeper/picks?department=finance",
        "/keeper/picks?starts_by=tomorrow",
        "/keeper/picks.csv?department=1x",
        "/keeper/picks.csv?starts_by=2026-13-01",
    ] {
        let reply = get(&world, bad, &keeper).await;
        assert!(reply.status.is_client_error(), "{bad}: {}", reply.status);
    }
    // A clerk and an auditor may not read the pick list, nor its export.
    for who in ["requester", "auditor"] {
        let cookie = login(&world, who).await;
        for path in ["/keeper/picks", "/keeper/picks.csv"] {
            let reply = get(&world, path, &cookie).await;
            assert_eq!(reply.status, StatusCode::FORBIDDEN, "{who} {path}");
        }
    }
}

/// The returns desk by department or by loan: both its lists narrow, each keeps the filter
/// in its pager, and both export what they list.
#[sqlx::test(migrations = "./migrations")]
async fn the_returns_desk_filters_by_department_or_loan_and_exports_it(pool: PgPool) {
    let world = World::new(pool).await;
    let assets = world.stock(world.tables, 2).await;
    sqlx::query(
        "insert into loans (department_id, requested_by, purpose, starts_on, ends_on, status)
         select case when g <= 105 then $1 else $2 end, (select id from users where username = 'requester'),
                case when g <= 105 then 'fin out ' || g else 'cul out ' || g end,
                depot_today() - 5, depot_today() + 5, 'issued'
         from generate_series(1, 108) g",
    )
    .bind(world.finance)
    .bind(world.culture)
    .execute(&world.pool)
    .await
    .unwrap();
    let first_of = |department: i64| {
        let pool = world.pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>("select min(id) from loans where department_id = $1")
                .bind(department)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    let (fin_loan, cul_loan) = (first_of(world.finance).await, first_of(world.culture).await);
    // Back through the gate, not yet inspected: 110 on a Finance loan, 4 on a Culture one
    // (one asset each, a day apart).
    sqlx::query(
        "insert into reservations (asset_id, order_kind, order_id, period, issued_at, returned_at)
         select case when g <= 110 then $1 else $2 end, 'loan', case when g <= 110 then $3 else $4 end,
                tstzrange(now() - (g + 1) * interval '1 day', now() - g * interval '1 day'),
                now() - (g + 1) * interval '1 day', now() - g * interval '1 day' + interval '1 hour'
         from generate_series(1, 114) g",
    )
    .bind(assets[0])
    .bind(assets[1])
    .bind(fin_loan)
    .bind(cul_loan)
    .execute(&world.pool)
    .await
    .unwrap();
    let keeper = login(&world, "keeper").await;

    let all = get(&world, "/keeper/returns", &keeper).await;
    assert_eq!(all.status, StatusCode::OK, "{}", all.body);
    assert!(all.body.contains("1–100 / 108"), "{}", all.body);
    assert!(all.body.contains("1–100 / 114"), "{}", all.body);

    // Finance's: 105 loans out and 110 to inspect, none of Culture's.
    let path = format!("/keeper/returns?department={}", world.finance);
    let first = get(&world, &path, &keeper).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert!(first.body.contains("1–100 / 105"), "{}", first.body);
    assert!(first.body.contains("1–100 / 110"), "{}", first.body);
    assert!(!first.body.contains(">cul out"), "{}", first.body);
    assert!(
        !first.body.contains(&format!("href=\"/orders/{cul_loan}\"")),
        "{}",
        first.body
    );
    let next = link_of(&first.body, "page-next").expect("more loans out");
    assert_eq!(
        next,
        format!("/keeper/returns?department={}&page=2", world.finance)
    );
    let next_returned = link_of(&first.body, "returned-page-next").expect("more to inspect");
    assert_eq!(
        next_returned,
        format!(
            "/keeper/returns?department={}&returned_page=2",
            world.finance
        )
    );
    let second = get(&world, &next, &keeper).await;
    assert!(second.body.contains("101–105 / 105"), "{}", second.body);
    let second = get(&world, &next_returned, &keeper).await;
    assert!(second.body.contains("101–110 / 110"), "{}", second.body);
    assert!(!second.body.contains(">cul out"), "{}", second.body);
    // The inspection form posts the filter back, to return to it.
    assert!(
        second
            .body
            .contains(&format!("name=\"department\" value=\"{}\"", world.finance)),
        "{}",
        second.body
    );

    // One loan: Culture's first, its four assets back.
    let path = format!("/keeper/returns?loan={cul_loan}");
    let one = get(&world, &path, &keeper).await;
    assert_eq!(one.status, StatusCode::OK, "{}", one.body);
    assert!(one.body.contains("1–1 / 1"), "{}", one.body);
    assert!(one.body.contains("1–4 / 4"), "{}", one.body);
    assert!(!one.body.contains(">fin out"), "{}", one.body);

    // The exports, linked with the filter.
    let csv = link_of(&first.body, "returns-csv").expect("an export of the returns");
    assert_eq!(
        csv,
        format!("/keeper/returns.csv?department={}", world.finance)
    );
    let en = get(&world, &csv, &keeper).await;
    is_csv(&en, &csv);
    assert_eq!(
        header_of(&en.body),
        "Loan,Department,Asset number,Asset,EPC,Returned at (UTC+08:00)"
    );
    assert_eq!(rows(&en.body).len(), 110, "{}", en.body);
    assert!(
        rows(&en.body)
            .iter()
            .all(|r| r.starts_with(&format!("{fin_loan},Finance Bureau,{},", assets[0]))),
        "{}",
        en.body
    );
    let zh = get(&world, &csv, &format!("{keeper}; lang=zh-CN")).await;
    assert_eq!(
        header_of(&zh.body),
        "借用单号,部门,资产编号,资产,EPC,归还时间 (UTC+08:00)"
    );
    let one = get(
        &world,
        &format!("/keeper/returns.csv?loan={cul_loan}&codes=1"),
        &keeper,
    )
    .await;
    assert_eq!(
        header_of(&one.body),
        "loan_id,department,asset_id,asset,epc,returned_at"
    );
    assert_eq!(rows(&one.body).len(), 4, "{}", one.body);
    assert!(
        rows(&one.body).iter().all(|r| r.contains("+08:00")),
        "times on the depot's clock: {}",
        one.body
    );

    let out = link_of(&first.body, "loans-out-csv").expect("an export of the loans out");
    assert_eq!(
        out,
        format!("/keeper/returns/out.csv?department={}", world.finance)
    );
    let out = get(&world, &out, &keeper).await;
    is_csv(&out, "out.csv");
    assert_eq!(
        header_of(&out.body),
        "Loan,Department,Purpose,First day,Last day,Status"
    );
    assert_eq!(rows(&out.body).len(), 105, "{}", out.body);
    assert!(!out.body.contains("cul out"), "{}", out.body);
    let out = get(
        &world,
        &format!("/keeper/returns/out.csv?loan={cul_loan}"),
        &format!("{keeper}; lang=zh-CN"),
    )
    .await;
    assert!(
        header_of(&out.body).starts_with("借用单号,部门,用途,"),
        "{}",
        out.body
    );
    assert_eq!(rows(&out.body).len(), 1, "{}", out.body);

    for bad in [
        "/keeper/returns?loan=abc",
        "/keeper/returns?department=%27%20or%201%3D1",
        "/keeper/returns.csv?loan=1.5",
        "/keeper/returns/out.csv?department=x",
    ] {
        let reply = get(&world, bad, &keeper).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{bad}: {}",
            reply.body
        );
    }
    // Said in the viewer's language, naming the field.
    let zh = get(
        &world,
        "/keeper/returns?loan=abc",
        &format!("{keeper}; lang=zh-CN"),
    )
    .await;
    assert_eq!(zh.status, StatusCode::BAD_REQUEST, "{}", zh.body);
    assert!(zh.body.contains("：abc 不是有效的编号"), "{}", zh.body);
    for who in ["requester", "auditor"] {
        let cookie = login(&world, who).await;
        for path in [
            "/keeper/returns",
            "/keeper/returns.csv",
            "/keeper/returns/out.csv",
        ] {
            let reply = get(&world, path, &cookie).await;
            assert_eq!(reply.status, StatusCode::FORBIDDEN, "{who} {path}");
        }
    }
}

/// The stocktakes by status, warehouse and zone: narrowed, kept across pages, exported.
#[sqlx::test(migrations = "./migrations")]
async fn the_stocktakes_filter_by_status_warehouse_and_zone_and_export_them(pool: PgPool) {
    let world = World::new(pool).await;
    let annex: i64 = sqlx::query_scalar(
        "insert into warehouses (code, name) values ('W2', 'Annex') returning id",
    )
    .fetch_one(&world.pool)
    .await
    .unwrap();
    let annex_zone: i64 = sqlx::query_scalar(
        "insert into zones (warehouse_id, code, name) values ($1, 'C', 'Aisle C') returning id",
    )
    .bind(annex)
    .fetch_one(&world.pool)
    .await
    .unwrap();
    // The main depot: 105 cancelled of aisle A, 3 finished of aisle B; the annex: 4 created.
    sqlx::query(
        "insert into stocktakes (warehouse_id, zone_ids, status, created_by, started_at, finished_at, expected, found)
         select case when g <= 108 then $1 else $2 end,
                array[case when g <= 105 then $3 when g <= 108 then $4 else $5 end],
                case when g <= 105 then 'cancelled' when g <= 108 then 'finished' else 'created' end::stocktake_status,
                (select id from users where username = 'keeper'),
                case when g between 106 and 108 then now() - interval '2 hours' end,
                case when g between 106 and 108 then now() - interval '1 hour' end,
                case when g between 106 and 108 then 12 else 0 end,
                case when g between 106 and 108 then 11 else 0 end
         from generate_series(1, 112) g",
    )
    .bind(world.warehouse)
    .bind(annex)
    .bind(world.shelf)
    .bind(world.shelf2)
    .bind(annex_zone)
    .execute(&world.pool)
    .await
    .unwrap();
    let keeper = login(&world, "keeper").await;
    let ids = |body: &str| -> Vec<i64> {
        body.split("data-stocktake=\"")
            .skip(1)
            .map(|p| p.split('"').next().unwrap().parse().unwrap())
            .collect()
    };

    let all = get(&world, "/keeper/stocktakes", &keeper).await;
    assert_eq!(all.status, StatusCode::OK, "{}", all.body);
    assert!(all.body.contains("1–100 / 112"), "{}", all.body);

    let path = format!(
        "/keeper/stocktakes?status=cancelled&warehouse={}",
        world.warehouse
    );
    let first = get(&world, &path, &keeper).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert!(first.body.contains("1–100 / 105"), "{}", first.body);
    assert!(
        ids(&first.body).iter().all(|id| *id <= 105),
        "{}",
        first.body
    );
    assert!(
        first.body.contains("value=\"cancelled\" selected"),
        "{}",
        first.body
    );
    let next = link_of(&first.body, "page-next").expect("a second page");
    assert_eq!(
        next,
        format!(
            "/keeper/stocktakes?status=cancelled&warehouse={}&page=2",
            world.warehouse
        )
    );
    let second = get(&world, &next, &keeper).await;
    assert!(second.body.contains("101–105 / 105"), "{}", second.body);
    assert_eq!(ids(&second.body), vec![5, 4, 3, 2, 1], "{}", second.body);

    let aisle_b = get(
        &world,
        &format!("/keeper/stocktakes?zone={}", world.shelf2),
        &keeper,
    )
    .await;
    assert_eq!(ids(&aisle_b.body), vec![108, 107, 106], "{}", aisle_b.body);
    let annex_page = get(
        &world,
        &format!("/keeper/stocktakes?warehouse={annex}"),
        &keeper,
    )
    .await;
    assert_eq!(
        ids(&annex_page.body),
        vec![112, 111, 110, 109],
        "{}",
        annex_page.body
    );
    // A status there is not is no filter; an id that is no number is refused.
    let unknown = get(&world, "/keeper/stocktakes?status=lost", &keeper).await;
    assert_eq!(unknown.status, StatusCode::OK, "{}", unknown.body);
    assert!(unknown.body.contains("1–100 / 112"), "{}", unknown.body);
    for bad in [
        "/keeper/stocktakes?warehouse=main",
        "/keeper/stocktakes?zone=1;2",
        "/keeper/stocktakes.csv?warehouse=main",
    ] {
        let reply = get(&world, bad, &keeper).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{bad}: {}",
            reply.body
        );
    }

    let csv = link_of(&aisle_b.body, "stocktakes-csv").expect("an export link");
    assert_eq!(csv, format!("/keeper/stocktakes.csv?zone={}", world.shelf2));
    let en = get(&world, &csv, &keeper).await;
    is_csv(&en, &csv);
    assert_eq!(
        header_of(&en.body),
        "Stocktake,Warehouse,Zones,Status,Opened at (UTC+08:00),Started at (UTC+08:00),\
         Finished at (UTC+08:00),Expected,Found,Misplaced,Missing,Unexpected,Between two zones"
    );
    let lines = rows(&en.body);
    assert_eq!(lines.len(), 3, "{}", en.body);
    assert!(
        lines[0].starts_with("108,Main depot,Aisle B,finished,"),
        "newest first: {}",
        en.body
    );
    assert!(lines[0].ends_with(",12,11,0,0,0,0"), "{}", en.body);
    let zh = get(&world, &csv, &format!("{keeper}; lang=zh-CN")).await;
    assert!(
        header_of(&zh.body).starts_with("盘点单号,仓库,库区,状态,开立时间 (UTC+08:00),"),
        "{}",
        zh.body
    );
    assert!(
        rows(&zh.body)[0].starts_with("108,Main depot,Aisle B,已完成,"),
        "{}",
        zh.body
    );
    let machines = get(
        &world,
        &format!("/keeper/stocktakes.csv?warehouse={annex}&codes=1"),
        &keeper,
    )
    .await;
    assert_eq!(rows(&machines.body).len(), 4, "{}", machines.body);
    assert!(
        rows(&machines.body)
            .iter()
            .all(|r| r.contains(",Annex,Aisle C,created,")),
        "{}",
        machines.body
    );
    let cancelled = get(&world, "/keeper/stocktakes.csv?status=cancelled", &keeper).await;
    assert_eq!(rows(&cancelled.body).len(), 105, "{}", cancelled.body);

    // The API lists them with the same filters, a page at a time as the assets list does.
    let api_ids = |page: &Value| -> Vec<i64> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_i64().unwrap())
            .collect()
    };
    let path = format!(
        "/api/stocktakes?status=cancelled&warehouse={}&per_page=100",
        world.warehouse
    );
    let (status, page) = world.call(Method::GET, &path, &world.keeper, None).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(
        (&page["total"], &page["total_exact"], &page["has_more"]),
        (&json!(105), &json!(true), &json!(true)),
        "{page}"
    );
    assert_eq!(api_ids(&page).len(), 100);
    assert!(api_ids(&page).iter().all(|id| *id <= 105), "{page}");
    let (_, second) = world
        .call(Method::GET, &format!("{path}&page=2"), &world.keeper, None)
        .await;
    assert_eq!(api_ids(&second), vec![5, 4, 3, 2, 1], "{second}");
    assert_eq!(second["has_more"], json!(false));
    let (_, after) = world
        .call(
            Method::GET,
            "/api/stocktakes?status=cancelled&after=3",
            &world.keeper,
            None,
        )
        .await;
    assert_eq!(api_ids(&after), vec![2, 1], "{after}");
    let (_, zone) = world
        .call(
            Method::GET,
            &format!("/api/stocktakes?zone={}", world.shelf2),
            &world.keeper,
            None,
        )
        .await;
    assert_eq!(api_ids(&zone), vec![108, 107, 106], "{zone}");
    let (_, annex_api) = world
        .call(
            Method::GET,
            &format!("/api/stocktakes?warehouse={annex}&status=created"),
            &world.keeper,
            None,
        )
        .await;
    assert_eq!(api_ids(&annex_api), vec![112, 111, 110, 109], "{annex_api}");
    // A status there is not, an id that is no number, a filter there is not: refused.
    for bad in [
        "/api/stocktakes?status=lost",
        "/api/stocktakes?warehouse=main",
        "/api/stocktakes?shelf=1",
        "/api/stocktakes?page=100001",
    ] {
        let (status, reply) = world.call(Method::GET, bad, &world.keeper, None).await;
        assert!(status.is_client_error(), "{bad}: {status} {reply}");
    }

    for who in ["requester", "auditor"] {
        let cookie = login(&world, who).await;
        for path in ["/keeper/stocktakes", "/keeper/stocktakes.csv"] {
            let reply = get(&world, path, &cookie).await;
            assert_eq!(reply.status, StatusCode::FORBIDDEN, "{who} {path}");
        }
    }
}

/// The gate's passages export as the page shows them: the gate chosen, or all gates.
#[sqlx::test(migrations = "./migrations")]
async fn the_gates_passages_export_with_the_pages_gate(pool: PgPool) {
    let world = World::new(pool).await;
    let mut gates = Vec::new();
    for name in ["Door 1", "Door 2"] {
        let id: i64 = sqlx::query_scalar(
            "insert into gates (name, inside_zone_id, outside_zone_id) values ($1, $2, $3) returning id",
        )
        .bind(name)
        .bind(world.shelf)
        .bind(world.shelf2)
        .fetch_one(&world.pool)
        .await
        .unwrap();
        gates.push(id);
    }
    let (door1, door2) = (gates[0], gates[1]);
    let asset = world.stock(world.tables, 1).await[0];
    let epc: String = sqlx::query_scalar("select epc from assets where id = $1")
        .bind(asset)
        .fetch_one(&world.pool)
        .await
        .unwrap();
    // 60 passages out at door 1 (the table's the newest), 5 in at door 2.
    sqlx::query(
        "insert into facts (key, kind, epc, asset_id, gate_id, direction, at)
         select 'p1-' || n, 'passed', case when n = 1 then $2 else 'E28011606000' || lpad(n::text, 12, '0') end,
                case when n = 1 then $3::bigint end, $1, 'out', now() - n * interval '1 second'
         from generate_series(1, 60) n",
    )
    .bind(door1)
    .bind(&epc)
    .bind(asset)
    .execute(&world.pool)
    .await
    .unwrap();
    sqlx::query(
        "insert into facts (key, kind, epc, gate_id, direction, at)
         select 'p2-' || n, 'passed', 'E28011606001' || lpad(n::text, 12, '0'), $1, 'in',
                now() - n * interval '1 second'
         from generate_series(1, 5) n",
    )
    .bind(door2)
    .execute(&world.pool)
    .await
    .unwrap();
    let keeper = login(&world, "keeper").await;

    let page = get(&world, &format!("/keeper/gate?gate={door1}"), &keeper).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    // The passages page on with the gate kept.
    let older = link_of(&page.body, "passages-older").expect("older passages");
    assert!(older.contains(&format!("gate={door1}")), "{older}");
    let csv = link_of(&page.body, "passages-csv").expect("an export link");
    assert_eq!(csv, format!("/keeper/gate/passages.csv?gate={door1}"));
    let en = get(&world, &csv, &keeper).await;
    is_csv(&en, &csv);
    assert_eq!(
        header_of(&en.body),
        "Passed at (UTC+08:00),Gate,Direction,Asset number,Asset,EPC,Paperwork,Paperwork number,Outcome"
    );
    let lines = rows(&en.body);
    assert_eq!(lines.len(), 60, "{}", en.body);
    assert!(
        lines.iter().all(|r| r.contains(",Door 1,out,")),
        "{}",
        en.body
    );
    assert!(
        lines[0].contains(&format!(",Door 1,out,{asset},item 0,{epc},,,no change")),
        "newest first, with its asset: {}",
        en.body
    );
    let zh = get(&world, &csv, &format!("{keeper}; lang=zh-CN")).await;
    assert_eq!(
        header_of(&zh.body),
        "通过时间 (UTC+08:00),门禁,方向,资产编号,资产,EPC,单据类型,单据编号,结果"
    );
    assert!(rows(&zh.body)[0].contains(",Door 1,出,"), "{}", zh.body);
    let door2_csv = get(
        &world,
        &format!("/keeper/gate/passages.csv?gate={door2}&codes=1"),
        &keeper,
    )
    .await;
    assert_eq!(
        header_of(&door2_csv.body),
        "passed_at,gate,direction,asset_id,asset,epc,order_kind,order_id,result"
    );
    assert_eq!(rows(&door2_csv.body).len(), 5, "{}", door2_csv.body);
    assert!(
        rows(&door2_csv.body)
            .iter()
            .all(|r| r.contains(",Door 2,in,") && r.ends_with(",none") && r.contains("+08:00,")),
        "{}",
        door2_csv.body
    );
    // Every gate: the page's "all gates".
    let all = get(&world, "/keeper/gate/passages.csv", &keeper).await;
    assert_eq!(rows(&all.body).len(), 65, "{}", all.body);
    let page = get(&world, "/keeper/gate", &keeper).await;
    assert_eq!(
        link_of(&page.body, "passages-csv").as_deref(),
        Some("/keeper/gate/passages.csv")
    );

    // A gate that is not a number is refused, on the page and in its export; one that is no
    // gate is not found.
    for path in [
        "/keeper/gate?gate=abc",
        "/keeper/gate/passages.csv?gate=abc",
    ] {
        let reply = get(&world, path, &keeper).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{path}: {}",
            reply.body
        );
        assert!(reply.body.contains("gate"), "{path}: {}", reply.body);
    }
    for path in [
        "/keeper/gate?gate=999999",
        "/keeper/gate/passages.csv?gate=999999",
    ] {
        let reply = get(&world, path, &keeper).await;
        assert_eq!(
            reply.status,
            StatusCode::NOT_FOUND,
            "{path}: {}",
            reply.body
        );
    }

    for who in ["requester", "auditor"] {
        let cookie = login(&world, who).await;
        let reply = get(&world, &csv, &cookie).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{who}");
    }
}

/// The approval queue exports what its page lists — the loan requests waiting for a
/// decision, the loans at finance, the transfer requests — each oldest first; only the admin
/// reads it.
#[sqlx::test(migrations = "./migrations")]
async fn the_approval_queue_exports_what_waits_for_a_decision(pool: PgPool) {
    let world = World::new(pool).await;
    sqlx::query(
        "insert into loans (department_id, requested_by, purpose, starts_on, ends_on, status)
         select case when g % 2 = 0 then $1 else $2 end, (select id from users where username = 'requester'),
                'event ' || g, depot_today() + 30, depot_today() + 31,
                case when g <= 4 then 'cancelled' when g > 128 then 'awaiting_finance' else 'requested' end::loan_status
         from generate_series(1, 132) g",
    )
    .bind(world.finance)
    .bind(world.culture)
    .execute(&world.pool)
    .await
    .unwrap();
    sqlx::query(
        "insert into transfers (department_id, requested_by, purpose, status)
         select $1, (select id from users where username = 'requester'), 'move ' || g,
                case when g = 1 then 'rejected' else 'requested' end::transfer_status
         from generate_series(1, 3) g",
    )
    .bind(world.finance)
    .execute(&world.pool)
    .await
    .unwrap();
    // Two disposals appraised (waiting for a second admin), one still to be appraised.
    sqlx::query(
        "insert into disposals (reason, requested_by, status, appraised_value_fen)
         select 'worn ' || g, (select id from users where username = 'admin'),
                case when g = 1 then 'requested' else 'appraised' end::disposal_status,
                case when g = 1 then null else 1000 * g end
         from generate_series(1, 3) g",
    )
    .execute(&world.pool)
    .await
    .unwrap();
    sqlx::query("update users set display_name = '王处长' where username = 'admin'")
        .execute(&world.pool)
        .await
        .unwrap();
    let admin = login(&world, "admin").await;
    let page = get(&world, "/admin/approvals", &admin).await;
    assert!(
        page.body.contains("<td>王处长</td>") && !page.body.contains("<td>admin</td>"),
        "the proposer is named as people call them: {}",
        page.body
    );
    assert!(
        page.body.contains("id=\"disposals-waiting\">2<")
            && page.body.contains("id=\"review-disposal-2\"")
            && page.body.contains("id=\"review-disposal-3\"")
            && !page.body.contains("id=\"review-disposal-1\""),
        "the appraised disposals wait for a second admin: {}",
        page.body
    );
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("1–100 / 124"), "{}", page.body);
    let csv = link_of(&page.body, "approvals-csv").expect("an export link");
    assert_eq!(csv, "/admin/approvals.csv");
    let en = get(&world, &csv, &admin).await;
    is_csv(&en, &csv);
    assert_eq!(
        header_of(&en.body),
        "Waiting,Paperwork number,Department,Purpose,Requested by,First day,Last day,Requested at (UTC+08:00)"
    );
    let lines = rows(&en.body);
    assert_eq!(
        lines.len(),
        124 + 4 + 2 + 2,
        "every page, the requested, those at finance, the transfers and the disposals: {}",
        en.body
    );
    assert!(
        lines[0].starts_with("loan request,5,") && lines[0].contains(",event 5,"),
        "the oldest first: {}",
        en.body
    );
    assert!(!en.body.contains(",event 4,"), "no cancelled: {}", en.body);
    assert!(
        lines[124].starts_with("awaiting finance,129,") && lines[127].contains(",event 132,"),
        "then the loans at finance: {}",
        en.body
    );
    assert!(
        lines[128].starts_with("transfer request,2,")
            && lines[128].contains(",move 2,")
            && lines[129].contains(",move 3,requester,,,"),
        "then the transfer requests, without dates: {}",
        en.body
    );
    assert!(!en.body.contains(",move 1,"), "no rejected: {}", en.body);
    assert!(
        lines[130].starts_with("disposal awaiting approval,2,,worn 2,")
            && lines[131].starts_with("disposal awaiting approval,3,,worn 3,"),
        "then the appraised disposals, without department or dates: {}",
        en.body
    );
    assert!(
        !en.body.contains(",worn 1,"),
        "none to be appraised: {}",
        en.body
    );
    let zh = get(&world, &csv, &format!("{admin}; lang=zh-CN")).await;
    assert_eq!(
        header_of(&zh.body),
        "待办,单据编号,部门,用途,申请人,开始日期,归还日期,申请时间 (UTC+08:00)"
    );
    assert!(rows(&zh.body)[0].starts_with("出借申请,5,"), "{}", zh.body);
    assert!(
        rows(&zh.body)[124].starts_with("待财务审批,129,"),
        "{}",
        zh.body
    );
    assert!(
        rows(&zh.body)[128].starts_with("调配申请,2,"),
        "{}",
        zh.body
    );
    let machines = get(&world, "/admin/approvals.csv?codes=1", &admin).await;
    assert!(
        header_of(&machines.body).starts_with("waiting,order_id,department,purpose,requester,"),
        "{}",
        machines.body
    );
    assert!(
        rows(&machines.body)[124].starts_with("awaiting_finance,129,")
            && rows(&machines.body)[129].starts_with("transfer_request,3,"),
        "{}",
        machines.body
    );
    for who in ["keeper", "requester", "auditor"] {
        let cookie = login(&world, who).await;
        let reply = get(&world, &csv, &cookie).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{who}");
    }
}

/// The users on the registers page by role and department; the export keeps the filter.
#[sqlx::test(migrations = "./migrations")]
async fn the_registers_filter_users_by_role_and_department_and_export_them(pool: PgPool) {
    let world = World::new(pool).await;
    // 105 clerks of Culture, 3 of Finance, besides the world's six.
    sqlx::query(
        "insert into users (username, display_name, role, department_id, password_hash)
         select 'clerk' || lpad(g::text, 3, '0'), 'Clerk ' || g, 'requester',
                case when g <= 105 then $1 else $2 end, 'x'
         from generate_series(1, 108) g",
    )
    .bind(world.culture)
    .bind(world.finance)
    .execute(&world.pool)
    .await
    .unwrap();
    let admin = login(&world, "admin").await;
    let path = format!(
        "/admin/registers?role=requester&department={}",
        world.culture
    );
    let first = get(&world, &path, &admin).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    // Culture's 105 clerks and requester2.
    assert!(first.body.contains("1–100 / 106"), "{}", first.body);
    assert!(!first.body.contains(">clerk106<"), "{}", first.body);
    assert!(
        first.body.contains("value=\"requester\" selected"),
        "{}",
        first.body
    );
    let next = link_of(&first.body, "page-next").expect("a second page");
    assert_eq!(
        next,
        format!(
            "/admin/registers?role=requester&department={}&page=2",
            world.culture
        )
    );
    let user = |name: &'static str| {
        let world = &world;
        async move { format!("href=\"/admin/users/{}\"", world.user_id(name).await) }
    };
    let second = get(&world, &next, &admin).await;
    assert!(second.body.contains("101–106 / 106"), "{}", second.body);
    assert!(
        second.body.contains(&user("requester2").await),
        "{}",
        second.body
    );
    assert!(
        !second.body.contains(&user("requester").await),
        "{}",
        second.body
    );

    let keepers = get(&world, "/admin/registers?role=keeper", &admin).await;
    assert!(keepers.body.contains("1–1 / 1"), "{}", keepers.body);
    assert!(
        keepers.body.contains(&user("keeper").await),
        "{}",
        keepers.body
    );
    assert!(
        !keepers.body.contains(&user("admin").await),
        "{}",
        keepers.body
    );
    let finance = get(
        &world,
        &format!("/admin/registers?department={}", world.finance),
        &admin,
    )
    .await;
    assert!(finance.body.contains("1–4 / 4"), "{}", finance.body);
    let unknown = get(&world, "/admin/registers?role=owner", &admin).await;
    assert_eq!(unknown.status, StatusCode::OK, "{}", unknown.body);
    assert!(unknown.body.contains("1–100 / 114"), "{}", unknown.body);
    for bad in [
        "/admin/registers?department=culture",
        "/admin/users.csv?department=2%3B",
    ] {
        let reply = get(&world, bad, &admin).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{bad}: {}",
            reply.body
        );
    }

    let csv = link_of(&finance.body, "users-csv").expect("an export link");
    assert_eq!(
        csv,
        format!("/admin/users.csv?department={}", world.finance)
    );
    let en = get(&world, &csv, &admin).await;
    is_csv(&en, &csv);
    assert_eq!(header_of(&en.body), "Login,Name,Role,Department,Active");
    let lines = rows(&en.body);
    assert_eq!(
        lines,
        vec![
            "clerk106,Clerk 106,requester,Finance Bureau,Yes",
            "clerk107,Clerk 107,requester,Finance Bureau,Yes",
            "clerk108,Clerk 108,requester,Finance Bureau,Yes",
            "requester,requester,requester,Finance Bureau,Yes",
        ],
        "{}",
        en.body
    );
    let zh = get(&world, &csv, &format!("{admin}; lang=zh-CN")).await;
    assert_eq!(header_of(&zh.body), "登录名,姓名,角色,部门,启用");
    assert_eq!(rows(&zh.body).len(), 4, "{}", zh.body);
    let both = get(
        &world,
        &format!(
            "/admin/users.csv?role=requester&department={}&codes=1",
            world.culture
        ),
        &admin,
    )
    .await;
    assert_eq!(rows(&both.body).len(), 106, "{}", both.body);
    assert!(
        rows(&both.body)
            .iter()
            .all(|r| r.contains(",requester,Culture Bureau,true")),
        "{}",
        both.body
    );
    let everyone = get(&world, "/admin/users.csv", &admin).await;
    assert_eq!(rows(&everyone.body).len(), 114, "{}", everyone.body);

    for who in ["keeper", "requester", "auditor"] {
        let cookie = login(&world, who).await;
        for path in [
            "/admin/registers?role=keeper",
            "/admin/users.csv?role=keeper",
        ] {
            let reply = get(&world, path, &cookie).await;
            assert_eq!(reply.status, StatusCode::FORBIDDEN, "{who} {path}");
        }
    }
}

/// The virtual depot by category and state, a department's own assets only; the export
/// holds what the filter selects and whether each is offered back.
#[sqlx::test(migrations = "./migrations")]
async fn the_virtual_depot_filters_by_category_and_state_and_exports_it(pool: PgPool) {
    let world = World::new(pool).await;
    let chairs = world.stock(world.chairs, 105).await;
    let tables = world.stock(world.tables, 3).await;
    let theirs = world.stock(world.chairs, 2).await;
    for (ids, state, department) in [
        (&chairs, "allocated", world.finance),
        (&tables, "listed", world.finance),
        (&theirs, "allocated", world.culture),
    ] {
        sqlx::query(
            "update assets set state = $3::asset_state, virtual_depot = ($3 = 'listed'),
                    owner_department_id = $2, holder_department_id = $2, zone_id = null
             where id = any($1)",
        )
        .bind(ids)
        .bind(department)
        .bind(state)
        .execute(&world.pool)
        .await
        .unwrap();
    }
    // One chair offered back to the depot.
    sqlx::query(
        "insert into hand_ins (asset_id, department_id, offered_by, reason)
         values ($1, $2, (select id from users where username = 'requester'), 'office closed')",
    )
    .bind(chairs[0])
    .bind(world.finance)
    .execute(&world.pool)
    .await
    .unwrap();
    let clerk = login(&world, "requester").await;
    let listed = |body: &str| -> Vec<i64> {
        body.split("<tr><td><a href=\"/assets/")
            .skip(1)
            .map(|p| p.split('"').next().unwrap().parse().unwrap())
            .collect()
    };

    let all = get(&world, "/virtual-depot", &clerk).await;
    assert_eq!(all.status, StatusCode::OK, "{}", all.body);
    assert!(all.body.contains("1–100 / 108"), "{}", all.body);

    let path = format!("/virtual-depot?category={}", world.chairs);
    let first = get(&world, &path, &clerk).await;
    assert!(first.body.contains("1–100 / 105"), "{}", first.body);
    assert_eq!(listed(&first.body), chairs[..100].to_vec());
    let next = link_of(&first.body, "page-next").expect("a second page");
    assert_eq!(
        next,
        format!("/virtual-depot?category={}&page=2", world.chairs)
    );
    let second = get(&world, &next, &clerk).await;
    assert_eq!(listed(&second.body), chairs[100..].to_vec());
    assert!(
        !listed(&second.body).iter().any(|id| theirs.contains(id)),
        "never another department's"
    );
    let listed_page = get(&world, "/virtual-depot?state=listed", &clerk).await;
    assert_eq!(listed(&listed_page.body), tables);
    assert!(
        listed_page.body.contains("value=\"listed\" selected"),
        "{}",
        listed_page.body
    );
    let none = get(
        &world,
        &format!("/virtual-depot?category={}&state=allocated", world.tables),
        &clerk,
    )
    .await;
    assert!(listed(&none.body).is_empty(), "{}", none.body);
    let unknown = get(&world, "/virtual-depot?state=melted", &clerk).await;
    assert!(unknown.body.contains("1–100 / 108"), "{}", unknown.body);
    for bad in [
        "/virtual-depot?category=chairs",
        "/virtual-depot.csv?category=-",
    ] {
        let reply = get(&world, bad, &clerk).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{bad}: {}",
            reply.body
        );
    }

    let csv = link_of(&listed_page.body, "virtual-csv").expect("an export link");
    assert_eq!(csv, "/virtual-depot.csv?state=listed");
    let en = get(&world, &csv, &clerk).await;
    is_csv(&en, &csv);
    assert_eq!(
        header_of(&en.body),
        "Asset number,EPC,Name,Category,State,Original value (yuan),Offered to the depot"
    );
    let lines = rows(&en.body);
    assert_eq!(lines.len(), 3, "{}", en.body);
    assert!(
        lines
            .iter()
            .all(|r| r.ends_with(",folding table,listed,450.00,No")),
        "{}",
        en.body
    );
    let zh = get(&world, &csv, &format!("{clerk}; lang=zh-CN")).await;
    assert_eq!(
        header_of(&zh.body),
        "资产编号,EPC,名称,类别,状态,原值（元）,已申请上缴"
    );
    assert!(
        rows(&zh.body)
            .iter()
            .all(|r| r.ends_with(",虚拟仓挂出,450.00,否")),
        "{}",
        zh.body
    );
    let chairs_csv = get(
        &world,
        &format!("/virtual-depot.csv?category={}&codes=1", world.chairs),
        &clerk,
    )
    .await;
    let lines = rows(&chairs_csv.body);
    assert_eq!(lines.len(), 105, "{}", chairs_csv.body);
    assert!(
        lines[0].starts_with(&format!("{},", chairs[0]))
            && lines[0].ends_with(",chair,allocated,450.00,true"),
        "offered back: {}",
        chairs_csv.body
    );
    assert!(lines[1].ends_with(",false"), "{}", chairs_csv.body);
    // Culture's clerk: its own two only.
    let other = login(&world, "requester2").await;
    let theirs_csv = get(&world, "/virtual-depot.csv?codes=1", &other).await;
    let ids: Vec<i64> = rows(&theirs_csv.body)
        .iter()
        .map(|r| r.split(',').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(ids, theirs, "{}", theirs_csv.body);

    for who in ["keeper", "admin", "auditor"] {
        let cookie = login(&world, who).await;
        for path in ["/virtual-depot", "/virtual-depot.csv"] {
            let reply = get(&world, path, &cookie).await;
            assert_eq!(reply.status, StatusCode::FORBIDDEN, "{who} {path}");
        }
    }
}

/// The asset list exports what it finds with its search and filters, every page of it (more
/// than one batch of the walk), in the reader's language or as codes; a requester's export
/// holds only what their list shows.
#[sqlx::test(migrations = "./migrations")]
async fn the_asset_list_exports_what_its_filters_find(pool: PgPool) {
    let world = World::new(pool).await;
    let chairs: Vec<i64> = sqlx::query_scalar(
        "insert into assets (epc, name, category_id, original_value_fen, state, zone_id)
         select 'A0' || lpad(g::text, 22, '0'), '会议椅 ' || lpad(g::text, 4, '0'), $1, 12345, 'in_stock', $2
         from generate_series(1, 1203) g returning id",
    )
    .bind(world.chairs)
    .bind(world.shelf)
    .fetch_all(&world.pool)
    .await
    .unwrap();
    let tables = world.stock(world.tables, 2).await;
    // Two chairs lent to another department: not the requester's to see.
    sqlx::query(
        "update assets set state = 'allocated', owner_department_id = $2, holder_department_id = $2
         where id = any($1)",
    )
    .bind(&chairs[..2])
    .bind(world.culture)
    .execute(&world.pool)
    .await
    .unwrap();

    let keeper = login(&world, "keeper").await;
    let path = format!("/assets?category={}", world.chairs);
    let page = get(&world, &path, &keeper).await;
    let export = link_of(&page.body, "assets-csv").expect("an export link");
    assert_eq!(
        export,
        format!("/assets.csv?q=&state=&category={}&zone=", world.chairs)
    );
    let csv = get(&world, &export, &format!("{keeper}; lang=zh-CN")).await;
    is_csv(&csv, &export);
    assert_eq!(
        header_of(&csv.body),
        "资产编号,EPC,名称,类别,状态,原值（元）"
    );
    let found = rows(&csv.body);
    assert_eq!(found.len(), 1203, "every page, not the first");
    let ids: Vec<i64> = found
        .iter()
        .map(|r| r.split(',').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(ids, chairs, "in id order, each once");
    assert!(found[5].ends_with(",在库,123.45"), "{}", found[5]);
    assert!(!csv.body.contains("folding table"));

    // Searched and filtered by state, as codes for a machine.
    let export = "/assets.csv?q=0012&state=in_stock&codes=1";
    let csv = get(&world, export, &keeper).await;
    is_csv(&csv, export);
    assert_eq!(
        header_of(&csv.body),
        "asset_id,epc,name,category,state,original_value_yuan"
    );
    // The name or the EPC holds the text (the search matches both).
    let found = rows(&csv.body);
    assert!(
        found.len() >= 2 && found.iter().all(|r| r.contains("0012")),
        "{found:?}"
    );
    assert!(found.iter().any(|r| r.contains(",会议椅 0012,")));
    assert!(rows(&csv.body).iter().all(|r| r.contains(",in_stock,")));

    // A requester's export is their list: the other department's allocated chairs are not in it.
    let clerk = login(&world, "requester").await;
    let export = format!("/assets.csv?category={}", world.chairs);
    let csv = get(&world, &export, &clerk).await;
    is_csv(&csv, &export);
    assert_eq!(rows(&csv.body).len(), 1201);
    assert!(!csv
        .body
        .lines()
        .any(|l| l.starts_with(&format!("{},", chairs[0]))));
    let _ = tables;
    // A filter that is no number is refused, named.
    let bad = get(&world, "/assets.csv?zone=abc", &keeper).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.body);
}
