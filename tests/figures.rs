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
