//! Market rental for a loan's shortfall (管理+租用), end to end through the API and the pages:
//! the admin records what the depot cannot supply, the keeper receives the rented items and
//! returns them to the supplier, each change in the event log; the requesting department
//! reads its own rentals and never another's; bad input and illegal moves change nothing.

mod common;

use axum::http::{Method, StatusCode};
use common::{get, login, post, World};
use serde_json::{json, Value};
use sqlx::PgPool;

fn three_tables() -> Value {
    json!({"supplier": "Chengdu Event Rentals", "category_id": 0, "quantity": 3,
           "starts_on": "2030-03-01", "ends_on": "2030-03-03", "daily_price_fen": 1_250})
}

async fn record(world: &World, loan: i64, body: Value) -> (StatusCode, Value) {
    world
        .call(
            Method::POST,
            &format!("/api/loans/{loan}/rentals"),
            &world.admin,
            Some(body),
        )
        .await
}

/// The tables rental of a short loan, as the admin records it.
async fn rented(world: &World, loan: i64) -> i64 {
    let mut body = three_tables();
    body["category_id"] = json!(world.tables);
    let (status, rental) = record(world, loan, body).await;
    assert_eq!(status, StatusCode::CREATED, "{rental}");
    rental["id"].as_i64().unwrap()
}

async fn rentals_stored(world: &World) -> i64 {
    sqlx::query_scalar("select count(*) from rentals")
        .fetch_one(&world.pool)
        .await
        .unwrap()
}

async fn rental_events(world: &World) -> i64 {
    sqlx::query_scalar("select count(*) from events where order_kind = 'rental'")
        .fetch_one(&world.pool)
        .await
        .unwrap()
}

#[sqlx::test(migrations = "./migrations")]
async fn a_shortfall_is_rented_received_and_returned_to_the_supplier(pool: PgPool) {
    let world = World::new(pool).await;
    let (loan, _) = world.short_loan().await;
    let mut body = three_tables();
    body["category_id"] = json!(world.tables);
    let (status, rental) = record(&world, loan, body).await;
    assert_eq!(status, StatusCode::CREATED, "{rental}");
    assert_eq!(rental["status"], "ordered");
    assert_eq!(rental["loan_id"], loan);
    assert_eq!(rental["department_id"], world.finance);
    assert_eq!(rental["days"], 3);
    assert_eq!(
        rental["total_fen"], 11_250,
        "3 tables × 3 days × 12.50 yuan"
    );
    let id = rental["id"].as_i64().unwrap();

    // An invoice that says otherwise is taken as it is.
    let mut invoiced = three_tables();
    invoiced["category_id"] = json!(world.tables);
    invoiced["total_fen"] = json!(10_000);
    let (status, second) = record(&world, loan, invoiced).await;
    assert_eq!(status, StatusCode::CREATED, "{second}");
    assert_eq!(second["total_fen"], 10_000);

    for (action, status_after) in [("receive", "received"), ("return", "returned")] {
        let (status, body) = world
            .call(
                Method::POST,
                &format!("/api/rentals/{id}/{action}"),
                &world.keeper,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{action}: {body}");
        assert_eq!(body["status"], status_after);
    }
    let (_, rental) = world
        .call(
            Method::GET,
            &format!("/api/rentals/{id}"),
            &world.requester,
            None,
        )
        .await;
    assert!(rental["received_at"].is_string() && rental["returned_at"].is_string());

    // Each change is in the log, with who did it; the loan's history holds them too.
    let (status, events) = world
        .call(
            Method::GET,
            &format!("/api/rentals/{id}/events"),
            &world.requester,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{events}");
    let steps: Vec<(&str, &str, &str)> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap(),
                e["to_state"].as_str().unwrap(),
                e["actor"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            ("rent", "ordered", "admin"),
            ("receive", "received", "keeper"),
            ("return", "returned", "keeper")
        ]
    );
    assert_eq!(events[0]["details"]["total_fen"], 11_250);
    let (_, history) = world
        .call(
            Method::GET,
            &format!("/api/loans/{loan}/events"),
            &world.requester,
            None,
        )
        .await;
    let rental_steps = history
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["order_kind"] == "rental")
        .count();
    assert_eq!(rental_steps, 4, "both rentals' steps: {history}");

    // The department lists its rentals.
    let (status, list) = world
        .call(
            Method::GET,
            &format!("/api/rentals?loan={loan}"),
            &world.requester,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list["total"], 2);
    world.assert_log_agrees().await;
}

#[sqlx::test(migrations = "./migrations")]
async fn another_department_neither_sees_nor_acts_on_a_rental(pool: PgPool) {
    let world = World::new(pool).await;
    let (loan, _) = world.short_loan().await;
    let id = rented(&world, loan).await;

    // Culture's clerk: another department's rental does not exist for them.
    for path in [
        format!("/api/rentals/{id}"),
        format!("/api/rentals/{id}/events"),
    ] {
        let (status, body) = world
            .call(Method::GET, &path, &world.requester2, None)
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {body}");
    }
    for query in ["", "?department=1", &format!("?loan={loan}")] {
        let (status, list) = world
            .call(
                Method::GET,
                &format!("/api/rentals{query}"),
                &world.requester2,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{list}");
        assert_eq!(list["total"], 0, "{query}: {list}");
    }
    // Nor may any requester act on a rental, their own department's included.
    for token in [&world.requester2, &world.requester] {
        for action in ["receive", "return", "cancel"] {
            let (status, body) = world
                .call(
                    Method::POST,
                    &format!("/api/rentals/{id}/{action}"),
                    token,
                    None,
                )
                .await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{action}: {body}");
        }
        let mut body = three_tables();
        body["category_id"] = json!(world.tables);
        let (status, _) = world
            .call(
                Method::POST,
                &format!("/api/loans/{loan}/rentals"),
                token,
                Some(body),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    // The pages say the same: not their loan, not their rental.
    let culture = login(&world, "requester2").await;
    let page = get(&world, &format!("/orders/{loan}"), &culture).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    let page = get(&world, "/rentals", &culture).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        !page.body.contains("Chengdu Event Rentals"),
        "{}",
        page.body
    );
    let form = post(
        &world,
        &format!("/rentals/{id}/receive"),
        &culture,
        &[("csrf", &page.csrf())],
    )
    .await;
    assert_eq!(form.status, StatusCode::FORBIDDEN);
    // Finance's clerk sees it on their loan, with no button to act.
    let finance = login(&world, "requester").await;
    let page = get(&world, &format!("/orders/{loan}"), &finance).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Chengdu Event Rentals"), "{}", page.body);
    assert!(!page.body.contains(&format!("/rentals/{id}/receive")));
    assert!(!page.body.contains("id=\"rent-form\""));

    let (_, rental) = world
        .call(
            Method::GET,
            &format!("/api/rentals/{id}"),
            &world.admin,
            None,
        )
        .await;
    assert_eq!(rental["status"], "ordered", "nothing was done to it");
    assert_eq!(rental_events(&world).await, 1);
}

#[sqlx::test(migrations = "./migrations")]
async fn an_illegal_move_is_a_409_that_changes_nothing(pool: PgPool) {
    let world = World::new(pool).await;
    let (loan, _) = world.short_loan().await;
    let id = rented(&world, loan).await;
    let act = async |action: &str, token: &str| {
        world
            .call(
                Method::POST,
                &format!("/api/rentals/{id}/{action}"),
                token,
                None,
            )
            .await
    };
    // Nothing came yet: it cannot go back.
    let (status, body) = act("return", &world.keeper).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(
        body["error"]["message"],
        format!(
            "cannot return rental {id}: it is ordered; return is allowed only when it is received"
        )
    );
    let (status, _) = act("receive", &world.keeper).await;
    assert_eq!(status, StatusCode::OK);
    for (action, token) in [("receive", &world.keeper), ("cancel", &world.admin)] {
        let (status, body) = act(action, token).await;
        assert_eq!(status, StatusCode::CONFLICT, "{action}: {body}");
    }
    let (_, rental) = world
        .call(
            Method::GET,
            &format!("/api/rentals/{id}"),
            &world.admin,
            None,
        )
        .await;
    assert_eq!(rental["status"], "received");
    assert_eq!(
        rental_events(&world).await,
        2,
        "rent and receive, nothing else"
    );

    // A cancelled rental stays cancelled.
    let other = rented(&world, loan).await;
    let (status, _) = world
        .call(
            Method::POST,
            &format!("/api/rentals/{other}/cancel"),
            &world.admin,
            Some(json!({"reason": "the supplier had none"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = world
        .call(
            Method::POST,
            &format!("/api/rentals/{other}/receive"),
            &world.keeper,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    // Cancelled rentals cost nothing.
    let admin = login(&world, "admin").await;
    let page = get(&world, &format!("/orders/{loan}"), &admin).await;
    assert!(
        page.body.contains("id=\"rental-cost\">¥112.50<"),
        "{}",
        page.body
    );

    // A loan that is over takes no rental.
    let (status, _) = world
        .call(
            Method::POST,
            &format!("/api/loans/{loan}/issue"),
            &world.keeper,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = world
        .call(
            Method::POST,
            &format!("/api/loans/{loan}/return"),
            &world.keeper,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let before = rentals_stored(&world).await;
    let mut body = three_tables();
    body["category_id"] = json!(world.tables);
    let (status, reply) = record(&world, loan, body).await;
    assert_eq!(status, StatusCode::CONFLICT, "{reply}");
    assert_eq!(rentals_stored(&world).await, before);
}

#[sqlx::test(migrations = "./migrations")]
async fn bad_rentals_are_refused_and_nothing_is_kept(pool: PgPool) {
    let world = World::new(pool).await;
    let (loan, _) = world.short_loan().await;
    let base = {
        let mut body = three_tables();
        body["category_id"] = json!(world.tables);
        body
    };
    let with = |key: &str, value: Value| {
        let mut body = base.clone();
        body[key] = value;
        body
    };
    let cases = [
        ("no tables", with("quantity", json!(0))),
        ("too many", with("quantity", json!(10_001))),
        ("negative", with("quantity", json!(-3))),
        ("free", with("daily_price_fen", json!(0))),
        ("below zero", with("daily_price_fen", json!(-100))),
        (
            "past every bound",
            with("daily_price_fen", json!(10_000_000_000_001_i64)),
        ),
        ("a zero total", with("total_fen", json!(0))),
        ("backwards", with("ends_on", json!("2030-02-28"))),
        ("longer than a year", with("ends_on", json!("2031-03-02"))),
        ("no supplier", with("supplier", json!("   "))),
        ("a long supplier", with("supplier", json!("x".repeat(201)))),
        ("not a date", with("starts_on", json!("2030-02-30"))),
        ("not asked for", with("category_id", json!(world.chairs))),
        ("no such category", with("category_id", json!(999_999))),
        ("an unknown field", with("price", json!(1))),
    ];
    for (what, body) in cases {
        let (status, reply) = record(&world, loan, body).await;
        assert!(
            status == StatusCode::UNPROCESSABLE_ENTITY || status == StatusCode::BAD_REQUEST,
            "{what}: {status} {reply}"
        );
        assert!(reply["error"]["message"].is_string(), "{what}: {reply}");
    }
    let (status, _) = record(&world, 999_999, base.clone()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = world
        .call(Method::GET, "/api/rentals/999999", &world.admin, None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(rentals_stored(&world).await, 0);
    assert_eq!(rental_events(&world).await, 0);

    // Through the page: a bad field is a 422 that names it, and nothing is kept.
    let admin = login(&world, "admin").await;
    let page = get(&world, &format!("/orders/{loan}"), &admin).await;
    let csrf = page.csrf();
    let tables = world.tables.to_string();
    let good: Vec<(&str, &str)> = vec![
        ("csrf", &csrf),
        ("supplier", "Chengdu Event Rentals"),
        ("category", &tables),
        ("quantity", "3"),
        ("starts_on", "2030-03-01"),
        ("ends_on", "2030-03-03"),
        ("daily_price", "12.50"),
        ("total", ""),
    ];
    for (field, value) in [
        ("quantity", "three"),
        ("daily_price", "-1"),
        ("daily_price", "0"),
        ("ends_on", "2030-02-01"),
        ("starts_on", ""),
    ] {
        let fields: Vec<(&str, &str)> = good
            .iter()
            .map(|&(k, v)| if k == field { (k, value) } else { (k, v) })
            .collect();
        let reply = post(&world, &format!("/orders/{loan}/rent"), &admin, &fields).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}={value:?}: {}",
            reply.body
        );
    }
    assert_eq!(rentals_stored(&world).await, 0);
}

#[sqlx::test(migrations = "./migrations")]
async fn the_pages_record_receive_and_return_a_rental(pool: PgPool) {
    let world = World::new(pool).await;
    let (loan, _) = world.short_loan().await;
    let admin = login(&world, "admin").await;
    let page = get(&world, &format!("/orders/{loan}"), &admin).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("id=\"rent-form\""), "{}", page.body);
    let csrf = page.csrf();
    let tables = world.tables.to_string();
    let reply = post(
        &world,
        &format!("/orders/{loan}/rent"),
        &admin,
        &[
            ("csrf", &csrf),
            ("supplier", "Chengdu Event Rentals 成都会展租赁"),
            ("category", &tables),
            ("quantity", "3"),
            ("starts_on", "2030-03-01"),
            ("ends_on", "2030-03-03"),
            ("daily_price", "12.50"),
            ("total", ""),
            ("note", "delivered to the hall"),
        ],
    )
    .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    assert_eq!(
        reply.location(),
        format!("/orders/{loan}?done=saved#rentals")
    );
    let id: i64 = sqlx::query_scalar("select id from rentals")
        .fetch_one(&world.pool)
        .await
        .unwrap();
    let page = get(&world, &format!("/orders/{loan}"), &admin).await;
    assert!(page.body.contains("成都会展租赁"));
    assert!(
        page.body.contains("id=\"rental-cost\">¥112.50<"),
        "{}",
        page.body
    );
    assert!(page.body.contains(&format!("id=\"rental-{id}-cancel\"")));
    assert!(
        page.body.contains("market rental ordered"),
        "the history says so"
    );
    // Cancelling asks first, with a reason; Back returns to the loan.
    let asked = post(
        &world,
        &format!("/rentals/{id}/cancel"),
        &admin,
        &[("csrf", &page.csrf()), ("back", "")],
    )
    .await;
    assert_eq!(asked.status, StatusCode::OK, "{}", asked.body);
    assert!(
        asked.body.contains("id=\"confirm-reason\""),
        "{}",
        asked.body
    );
    assert!(
        asked
            .body
            .contains(&format!("href=\"/orders/{loan}#rentals\"")),
        "{}",
        asked.body
    );
    let status: String = sqlx::query_scalar("select status::text from rentals where id = $1")
        .bind(id)
        .fetch_one(&world.pool)
        .await
        .unwrap();
    assert_eq!(
        status, "ordered",
        "nothing cancelled before the confirmation"
    );

    // The keeper receives the rented tables from the rentals list, and returns them from
    // the loan's page.
    let keeper = login(&world, "keeper").await;
    let list = get(&world, "/rentals", &keeper).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains(&format!("id=\"rental-{id}-receive\"")));
    assert!(
        !list.body.contains(&format!("id=\"rental-{id}-cancel\"")),
        "the admin's"
    );
    let reply = post(
        &world,
        &format!("/rentals/{id}/receive"),
        &keeper,
        &[("csrf", &list.csrf()), ("back", "rentals")],
    )
    .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    assert_eq!(reply.location(), "/rentals?done=saved");
    let page = get(&world, &format!("/orders/{loan}"), &keeper).await;
    assert!(page.body.contains(&format!("id=\"rental-{id}-return\"")));
    // Back to the supplier closes it for good: asked first, Back to the loan's page.
    let asked = post(
        &world,
        &format!("/rentals/{id}/return"),
        &keeper,
        &[("csrf", &page.csrf())],
    )
    .await;
    assert_eq!(asked.status, StatusCode::OK, "{}", asked.body);
    assert!(
        asked.body.contains("id=\"confirm-form\"")
            && asked
                .body
                .contains(&format!("href=\"/orders/{loan}#rentals\"")),
        "{}",
        asked.body
    );
    let status: String = sqlx::query_scalar("select status::text from rentals where id = $1")
        .bind(id)
        .fetch_one(&world.pool)
        .await
        .unwrap();
    assert_eq!(
        status, "received",
        "nothing returned before the confirmation"
    );
    let reply = post(
        &world,
        &format!("/rentals/{id}/return"),
        &keeper,
        &[("csrf", &page.csrf()), ("confirmed", "1")],
    )
    .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    assert_eq!(
        reply.location(),
        format!("/orders/{loan}?done=saved#rentals")
    );
    // A second press is refused (409) and changes nothing.
    let reply = post(
        &world,
        &format!("/rentals/{id}/return"),
        &keeper,
        &[("csrf", &page.csrf()), ("confirmed", "1")],
    )
    .await;
    assert_eq!(reply.status, StatusCode::CONFLICT, "{}", reply.body);

    // The department reads it on its loan, in its own words.
    let finance = login(&world, "requester").await;
    let page = get(&world, &format!("/orders/{loan}"), &finance).await;
    assert!(
        page.body.contains("rented items returned to the supplier"),
        "{}",
        page.body
    );
    let list = get(&world, "/rentals", &admin).await;
    assert!(
        list.body.contains("id=\"rental-cost\">¥112.50<"),
        "{}",
        list.body
    );
    assert_eq!(rental_events(&world).await, 3);
}

#[sqlx::test(migrations = "./migrations")]
async fn a_short_request_is_approved_for_what_there_is_from_its_page(pool: PgPool) {
    let world = World::new(pool).await;
    let tables = world.stock(world.tables, 2).await;
    let loan = world.request_tables(5, "2030-03-01", "2030-03-03").await;
    let admin = login(&world, "admin").await;
    let page = get(&world, &format!("/orders/{loan}"), &admin).await;
    assert_eq!(page.status, StatusCode::OK);
    // The shortfall is said, and what there is stands ticked, ready to approve.
    assert!(
        page.body
            .contains("only 2 of the 5 folding table asked for are available for those dates"),
        "{}",
        page.body
    );
    for id in &tables {
        assert!(
            page.body
                .contains(&format!("value=\"{id}\" id=\"pick-{id}\" checked")),
            "{}",
            page.body
        );
    }
    assert!(page.body.contains("id=\"rent-form\""), "the rest is rented");
    let zh = get(
        &world,
        &format!("/orders/{loan}"),
        &format!("{admin}; lang=zh-CN"),
    )
    .await;
    assert!(zh.body.contains("所选日期内仅 2 件可借"), "{}", zh.body);

    let (a, b) = (tables[0].to_string(), tables[1].to_string());
    let reply = post(
        &world,
        &format!("/orders/{loan}/approve"),
        &admin,
        &[
            ("csrf", &page.csrf()),
            ("asset", &a),
            ("asset", &b),
            ("extra", ""),
            ("confirmed", "1"),
        ],
    )
    .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    let (_, body) = world
        .call(
            Method::GET,
            &format!("/api/loans/{loan}"),
            &world.admin,
            None,
        )
        .await;
    assert!(
        ["approved", "awaiting_finance"].contains(&body["status"].as_str().unwrap()),
        "{body}"
    );
    let booked: Vec<i64> = body["assets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["asset_id"].as_i64().unwrap())
        .collect();
    assert_eq!(booked, tables);
    // The borrowing department reads the assets on its loan; their pages are the depot's.
    let clerk = login(&world, "requester").await;
    let page = get(&world, &format!("/orders/{loan}"), &clerk).await;
    assert!(
        page.body.contains(&format!("<td>{}</td>", tables[0])),
        "{}",
        page.body
    );
    assert!(!page.body.contains("href=\"/assets/"), "{}", page.body);
    let page = get(&world, &format!("/orders/{loan}"), &admin).await;
    assert!(page
        .body
        .contains(&format!("href=\"/assets/{}\"", tables[0])));

    // Approving through the API without a choice still refuses a short request.
    let other = world.request_tables(5, "2030-03-01", "2030-03-03").await;
    let (status, body) = world
        .call(
            Method::POST,
            &format!("/api/loans/{other}/approve"),
            &world.admin,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
}
