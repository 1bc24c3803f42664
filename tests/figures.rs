//! The money saved by lending, honestly (days lent × the market's daily rental price of the
//! category, less market rentals paid), and the figures the seeds publish, by department and
//! period, on the reports page, through the API and as CSV.

mod common;

use axum::http::{Method, StatusCode};
use common::{get, login, post, World};
use serde_json::json;
use sqlx::PgPool;

/// Lend `asset` to Finance on a loan of its own, issue it, take it back, and move the day it
/// went out `days_before` days back: out for `days_before + 1` days, both ends counted.
async fn lend(world: &World, asset: i64, days_before: i32) -> i64 {
    let loan = world.approved_loan(&[asset]).await;
    for action in ["issue", "return"] {
        let (status, body) = world
            .call(
                Method::POST,
                &format!("/api/loans/{loan}/{action}"),
                &world.keeper,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{action}: {body}");
    }
    sqlx::query(
        "update reservations set issued_at = issued_at - make_interval(days => $2)
         where order_kind = 'loan' and order_id = $1",
    )
    .bind(loan)
    .bind(days_before)
    .execute(&world.pool)
    .await
    .unwrap();
    loan
}

async fn refresh_figures(world: &World) {
    let mut conn = world.pool.acquire().await.unwrap();
    depot::db::reports::refresh_figures(&mut conn, depot::app::reports::IDLE_DAYS)
        .await
        .unwrap();
}

/// The text of the element with `id` in a page.
fn element(body: &str, id: &str) -> String {
    let at = body
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id} in the page"));
    let from = at + body[at..].find('>').unwrap() + 1;
    let to = from + body[from..].find('<').unwrap();
    body[from..to].trim().to_owned()
}

async fn set_price(world: &World, category: i64, fen: serde_json::Value) -> StatusCode {
    let (status, body) = world
        .call(
            Method::PATCH,
            &format!("/api/categories/{category}"),
            &world.admin,
            Some(json!({"daily_rent_fen": fen})),
        )
        .await;
    assert!(
        status != StatusCode::OK || body["daily_rent_fen"] == fen,
        "{body}"
    );
    status
}

#[sqlx::test(migrations = "./migrations")]
async fn savings_count_days_lent_at_market_rent_not_loans(pool: PgPool) {
    let world = World::new(pool).await;
    assert_eq!(
        set_price(&world, world.tables, json!(1_000)).await,
        StatusCode::OK
    );
    let table = world.stock(world.tables, 1).await[0];
    let chair = world.stock(world.chairs, 1).await[0];
    // One table lent twice for three days at 10 yuan a day: 60 yuan, whatever it cost
    // (450 yuan: the old figure counted its original value once per loan, 900 yuan).
    lend(&world, table, 2).await;
    let loan = lend(&world, table, 2).await;
    // A chair lent for five days: chairs have no price, so it counts nothing.
    lend(&world, chair, 4).await;
    refresh_figures(&world).await;

    let auditor = login(&world, "auditor").await;
    let page = get(&world, "/reports", &auditor).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        element(&page.body, "money-saved"),
        "¥60.00",
        "{}",
        page.body
    );
    assert!(page.body.contains("id=\"savings-rule\""));
    assert_eq!(
        element(&page.body, "unpriced"),
        "Without a market price, counting nothing: chair"
    );
    let row = |category: i64| {
        let at = page
            .body
            .find(&format!("data-category=\"{category}\""))
            .unwrap();
        page.body[at..at + page.body[at..].find("</tr>").unwrap()].to_owned()
    };
    assert!(
        row(world.tables).contains(">6<"),
        "six days: {}",
        row(world.tables)
    );
    assert!(row(world.tables).contains("¥60.00"));
    assert!(row(world.chairs).contains(">5<") && row(world.chairs).contains("counts nothing"));
    assert!(
        !page.body.contains("/reports/prices/"),
        "auditors read the prices"
    );

    // A market rental paid for the shortfall comes off: 2 tables × 1 day × 7.50 yuan.
    let more = world.request_tables(3, "2030-05-01", "2030-05-01").await;
    let (status, body) = world
        .call(
            Method::POST,
            &format!("/api/loans/{more}/rentals"),
            &world.admin,
            Some(json!({"supplier": "Event Rentals", "category_id": world.tables, "quantity": 2,
                        "starts_on": "2030-05-01", "ends_on": "2030-05-01", "daily_price_fen": 750})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let page = get(&world, "/reports", &auditor).await;
    assert_eq!(element(&page.body, "money-saved"), "¥45.00");

    // A new price counts at once; the admin sets it on the page.
    let admin = login(&world, "admin").await;
    let page = get(&world, "/reports", &admin).await;
    let csrf = page.csrf();
    let path = format!("/reports/prices/{}", world.chairs);
    let reply = post(&world, &path, &admin, &[("csrf", &csrf), ("price", "8")]).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    let page = get(&world, "/reports", &admin).await;
    assert_eq!(
        element(&page.body, "money-saved"),
        "¥85.00",
        "60 + 5 × 8 − 15"
    );
    assert!(!page.body.contains("id=\"unpriced\""));
    for bad in ["0", "-3", "ten", "0.001"] {
        let reply = post(&world, &path, &admin, &[("csrf", &csrf), ("price", bad)]).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        // Beside the category's price, with what was typed.
        let chairs = world.chairs;
        assert!(
            reply.body.contains(&format!("id=\"price-{chairs}-error\""))
                && reply.body.contains(&format!("value=\"{bad}\"")),
            "{}",
            reply.body
        );
    }
    let reply = post(&world, &path, &auditor, &[("csrf", &csrf), ("price", "1")]).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    let page = get(&world, "/reports", &admin).await;
    assert_eq!(
        element(&page.body, "money-saved"),
        "¥85.00",
        "refusals changed nothing"
    );
    // Empty: no price again.
    let reply = post(&world, &path, &admin, &[("csrf", &csrf), ("price", "")]).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    let page = get(&world, "/reports", &admin).await;
    assert_eq!(element(&page.body, "money-saved"), "¥45.00");
    let _ = loan;
}

#[sqlx::test(migrations = "./migrations")]
async fn a_category_price_is_the_admins_and_bounded(pool: PgPool) {
    let world = World::new(pool).await;
    for bad in [
        json!(0),
        json!(-1),
        json!(10_000_000_000_001_i64),
        json!("ten"),
    ] {
        let status = set_price(&world, world.tables, bad.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
    assert_eq!(
        set_price(&world, world.tables, json!(1_250)).await,
        StatusCode::OK
    );
    let (_, category) = world
        .call(
            Method::GET,
            &format!("/api/categories/{}", world.tables),
            &world.requester,
            None,
        )
        .await;
    assert_eq!(category["daily_rent_fen"], 1_250);
    // A change that leaves the price out keeps it; null takes it away.
    let (status, category) = world
        .call(
            Method::PATCH,
            &format!("/api/categories/{}", world.tables),
            &world.admin,
            Some(json!({"name": "folding table 折叠桌"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(category["daily_rent_fen"], 1_250);
    assert_eq!(
        set_price(&world, world.tables, json!(null)).await,
        StatusCode::OK
    );
    let (status, _) = world
        .call(
            Method::PATCH,
            &format!("/api/categories/{}", world.tables),
            &world.requester,
            Some(json!({"daily_rent_fen": 5})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, created) = world
        .call(
            Method::POST,
            "/api/categories",
            &world.admin,
            Some(json!({"code": "TNT", "name": "tent", "daily_rent_fen": 25_000})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["daily_rent_fen"], 25_000);
}

fn day(offset: i64) -> String {
    (common::today() + chrono::Duration::days(offset)).to_string()
}

/// `POST path` as `token`, which must succeed; its reply.
async fn ok(world: &World, token: &str, path: &str, body: serde_json::Value) -> serde_json::Value {
    let (status, reply) = world.call(Method::POST, path, token, Some(body)).await;
    assert!(status.is_success(), "{path}: {status} {reply}");
    reply
}

/// A week of the depot's work, every figure of it known:
/// - Finance borrows two tables (three days each) with a third table rented for two days at
///   5 yuan (and a rental cancelled, and one starting next year), and one more table, still
///   out today; tables rent at 10 yuan a day on the market;
/// - Culture borrows a chair (no price) for a day, and takes a table over for good;
/// - Finance hands in two printers (上缴), both received;
/// - the depot sells a chair and remits 88.80 yuan.
async fn a_week(world: &World) {
    assert_eq!(
        set_price(world, world.tables, json!(1_000)).await,
        StatusCode::OK
    );
    let tables = world.stock(world.tables, 4).await;
    let chairs = world.stock(world.chairs, 2).await;
    let (admin, keeper) = (&world.admin, &world.keeper);

    let two = world.approved_loan(&tables[..2]).await;
    let rent = |starts: String, ends: String| {
        json!({"supplier": "Event Rentals", "category_id": world.tables, "quantity": 1,
               "starts_on": starts, "ends_on": ends, "daily_price_fen": 500})
    };
    ok(
        world,
        admin,
        &format!("/api/loans/{two}/rentals"),
        rent(day(-3), day(-2)),
    )
    .await;
    let called_off = ok(
        world,
        admin,
        &format!("/api/loans/{two}/rentals"),
        rent(day(-3), day(-2)),
    )
    .await;
    ok(
        world,
        admin,
        &format!("/api/rentals/{}/cancel", called_off["id"]),
        json!({}),
    )
    .await;
    let next_year = (common::today() + chrono::Duration::days(400)).to_string();
    ok(
        world,
        admin,
        &format!("/api/loans/{two}/rentals"),
        rent(next_year.clone(), next_year),
    )
    .await;
    ok(world, keeper, &format!("/api/loans/{two}/issue"), json!({})).await;
    ok(
        world,
        keeper,
        &format!("/api/loans/{two}/return"),
        json!({}),
    )
    .await;
    sqlx::query("update reservations set issued_at = issued_at - interval '2 days' where order_kind = 'loan' and order_id = $1")
        .bind(two)
        .execute(&world.pool)
        .await
        .unwrap();
    let out = world.approved_loan(&tables[2..3]).await;
    ok(world, keeper, &format!("/api/loans/{out}/issue"), json!({})).await;

    let chair_loan = ok(
        world,
        &world.requester2,
        "/api/loans",
        json!({"purpose": "reading", "starts_on": day(0), "ends_on": day(0),
        "lines": [{"asset_id": chairs[0]}]}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    ok(
        world,
        admin,
        &format!("/api/loans/{chair_loan}/approve"),
        json!({}),
    )
    .await;
    ok(
        world,
        keeper,
        &format!("/api/loans/{chair_loan}/issue"),
        json!({}),
    )
    .await;
    ok(
        world,
        keeper,
        &format!("/api/loans/{chair_loan}/return"),
        json!({}),
    )
    .await;
    let transfer = ok(
        world,
        &world.requester2,
        "/api/transfers",
        json!({"purpose": "library",
        "lines": [{"asset_id": tables[3]}]}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    ok(
        world,
        admin,
        &format!("/api/transfers/{transfer}/approve"),
        json!({}),
    )
    .await;
    ok(
        world,
        keeper,
        &format!("/api/transfers/{transfer}/issue"),
        json!({}),
    )
    .await;

    let printers = ok(world, keeper, "/api/intakes", json!({"source_department_id": world.finance, "source_class": "institutional_reform",
        "items": [{"name": "printer 1", "category_id": world.chairs, "original_value_fen": 90_000},
                  {"name": "printer 2", "category_id": world.chairs, "original_value_fen": 90_000}]})).await;
    ok(
        world,
        keeper,
        &format!("/api/intakes/{}/receive", printers["id"]),
        json!({"zone_id": world.shelf}),
    )
    .await;

    let sale = ok(
        world,
        keeper,
        "/api/disposals",
        json!({"asset_ids": [chairs[1]], "reason": "worn"}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let uri = |action: &str| format!("/api/disposals/{sale}/{action}");
    ok(
        world,
        keeper,
        &uri("appraise"),
        json!({"appraised_value_fen": 8_000, "appraiser": "City Appraisal Co."}),
    )
    .await;
    ok(world, admin, &uri("approve"), json!({})).await;
    ok(
        world,
        admin,
        &uri("sell"),
        json!({"sale_price_fen": 8_880, "buyer": "Hengtai Recycling"}),
    )
    .await;
    ok(
        world,
        admin,
        &uri("remit"),
        json!({"receipt_number": "GK-1"}),
    )
    .await;
}

#[sqlx::test(migrations = "./migrations")]
async fn the_figures_of_a_week_by_department_through_the_api_the_page_and_csv(pool: PgPool) {
    let world = World::new(pool).await;
    a_week(&world).await;
    let period = format!("from={}&to={}", day(-7), day(0));
    let (status, f) = world
        .call(
            Method::GET,
            &format!("/api/reports/figures?{period}"),
            &world.auditor,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{f}");
    let rows = f["departments"].as_array().unwrap();
    let names: Vec<&str> = rows
        .iter()
        .map(|r| r["department"].as_str().unwrap_or("the depot"))
        .collect();
    assert_eq!(names, ["Culture Bureau", "Finance Bureau", "the depot"]);
    let figures = |row: &serde_json::Value| {
        [
            "loans",
            "items_lent",
            "days_lent",
            "transfers",
            "items_transferred",
            "hand_ins",
            "items_handed_in",
            "disposals",
            "items_disposed",
            "proceeds_remitted_fen",
            "rentals",
            "rental_fen",
            "lent_value_fen",
            "saved_fen",
        ]
        .map(|k| row[k].as_i64().unwrap_or_else(|| panic!("{k}: {row}")))
    };
    // loans, items, days, transfers, items, hand-ins, items, disposals, items, remitted,
    // rentals, rental cost, lent value, saved
    assert_eq!(
        figures(&rows[0]),
        [1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        "Culture"
    );
    assert_eq!(
        figures(&rows[1]),
        [2, 3, 7, 0, 0, 1, 2, 0, 0, 0, 1, 1_000, 7_000, 6_000],
        "Finance: 2 tables × 3 days + 1 table out today = 7 days at 10 yuan, less 10 yuan rented"
    );
    assert_eq!(
        figures(&rows[2]),
        [0, 0, 0, 0, 0, 0, 0, 1, 1, 8_880, 0, 0, 0, 0],
        "the depot"
    );
    assert_eq!(
        figures(&f["total"]),
        [3, 4, 8, 1, 1, 1, 2, 1, 1, 8_880, 1, 1_000, 7_000, 6_000]
    );

    // The CSV says the same, one row per department, money in yuan.
    let auditor = login(&world, "auditor").await;
    let csv = get(
        &world,
        &format!("/reports/figures.csv?{period}&codes=1"),
        &auditor,
    )
    .await;
    assert_eq!(csv.status, StatusCode::OK, "{}", csv.body);
    assert_eq!(csv.headers["content-type"], "text/csv; charset=utf-8");
    let lines: Vec<&str> = csv.body.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(
        lines,
        [
            "from,to,department_code,department,loans,items_lent,days_lent,transfers,items_transferred,hand_ins,items_handed_in,disposals,items_disposed,proceeds_remitted_yuan,rentals,rental_cost_yuan,lent_value_yuan,saved_yuan".to_owned(),
            format!("{},{},CUL,Culture Bureau,1,1,1,1,1,0,0,0,0,0.00,0,0.00,0.00,0.00", day(-7), day(0)),
            format!("{},{},FIN,Finance Bureau,2,3,7,0,0,1,2,0,0,0.00,1,10.00,70.00,60.00", day(-7), day(0)),
            format!("{},{},,(the depot itself 公物仓本级),0,0,0,0,0,0,0,1,1,88.80,0,0.00,0.00,0.00", day(-7), day(0)),
        ]
    );
    // For people, the columns are named in the viewer's language.
    let csv = get(&world, &format!("/reports/figures.csv?{period}"), &auditor).await;
    assert!(
        csv.body
            .trim_start_matches('\u{feff}')
            .starts_with("From,To,Department code,Department,Loans,Items lent,"),
        "{}",
        csv.body
    );
    // One department's only.
    let (_, finance) = world
        .call(
            Method::GET,
            &format!("/api/reports/figures?{period}&department={}", world.finance),
            &world.admin,
            None,
        )
        .await;
    assert_eq!(finance["departments"].as_array().unwrap().len(), 1);
    assert_eq!(finance["total"]["items_lent"], 3);

    // The reports page shows them for the period, with the CSV at hand.
    let page = get(&world, &format!("/reports?{period}"), &auditor).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(element(&page.body, "figures-loans"), "3 / 4");
    assert_eq!(element(&page.body, "figures-hand-ins"), "1 / 2");
    assert_eq!(element(&page.body, "figures-remitted"), "¥88.80");
    assert_eq!(element(&page.body, "figures-saved"), "¥60.00");
    assert!(page.body.contains(&format!(
        "/reports/figures.csv?from={}&amp;to={}",
        day(-7),
        day(0)
    )));
    // This month, by default, holds today's work.
    let page = get(&world, "/reports", &auditor).await;
    assert_eq!(element(&page.body, "figures-disposals"), "1 / 1");

    // A month with nothing in it: a header and no rows.
    let csv = get(&world, "/reports/figures.csv?month=2001-02", &auditor).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert_eq!(csv.body.trim_start_matches('\u{feff}').lines().count(), 1);
    assert!(csv.headers["content-disposition"]
        .to_str()
        .unwrap()
        .contains("depot-figures-2001-02-01-2001-02-28.csv"));
}

#[sqlx::test(migrations = "./migrations")]
async fn the_figures_are_the_oversights_and_their_period_is_checked(pool: PgPool) {
    let world = World::new(pool).await;
    for token in [&world.requester, &world.keeper] {
        let (status, _) = world
            .call(Method::GET, "/api/reports/figures", token, None)
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    let (status, _) = world
        .call(Method::GET, "/api/reports/figures", "", None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    for bad in [
        "month=2030-13",
        "month=March",
        "month=2030-03&from=2030-03-01&to=2030-03-31",
        "from=2030-03-02&to=2030-03-01",
        "from=2030-01-01&to=2031-01-02",
        "from=2030-03-01",
        "to=2030-03-01",
        "from=2030-02-30&to=2030-03-01",
        "from=1800-01-01&to=1800-01-02",
        "week=9",
    ] {
        let (status, body) = world
            .call(
                Method::GET,
                &format!("/api/reports/figures?{bad}"),
                &world.admin,
                None,
            )
            .await;
        assert!(
            status == StatusCode::UNPROCESSABLE_ENTITY || status == StatusCode::BAD_REQUEST,
            "{bad}: {status} {body}"
        );
    }
    let (status, f) = world
        .call(
            Method::GET,
            "/api/reports/figures?from=2030-01-01&to=2030-12-31",
            &world.admin,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "a year is fine: {f}");
    let (_, f) = world
        .call(
            Method::GET,
            "/api/reports/figures?month=2024-02",
            &world.admin,
            None,
        )
        .await;
    assert_eq!(
        (f["from"].as_str(), f["to"].as_str()),
        (Some("2024-02-01"), Some("2024-02-29"))
    );
    let admin = login(&world, "admin").await;
    for bad in [
        "month=2030-13",
        "from=2030-03-02&to=2030-03-01",
        "from=soon&to=later",
    ] {
        let reply = get(&world, &format!("/reports/figures.csv?{bad}"), &admin).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        let reply = get(&world, &format!("/reports?{bad}"), &admin).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
    let requester = login(&world, "requester").await;
    let reply = get(&world, "/reports/figures.csv", &requester).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
}
