//! Kits (套装) end to end: the admin keeps them (API and page), the catalogue counts whole
//! kits for a window of days, a department requests one as a single line, approval books
//! every part, the keeper issues them together, and they come back in part.

mod common;

use axum::http::{Method, StatusCode};
use chrono::Duration;
use common::{get, login, post, World};
use serde_json::{json, Value};
use sqlx::PgPool;

fn day(offset: i64) -> String {
    (common::today() + Duration::days(offset)).to_string()
}

/// A projector category with one projector in stock, and the kit "conference for 50":
/// 50 chairs, 5 tables and that projector.
async fn conference_kit(world: &World) -> (i64, i64) {
    let (status, category) = world
        .call(
            Method::POST,
            "/api/categories",
            &world.admin,
            Some(json!({"code": "PRJ", "name": "projector"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{category}");
    let projector = world.stock(category["id"].as_i64().unwrap(), 1).await[0];
    let (status, kit) = world
        .call(
            Method::POST,
            "/api/kits",
            &world.admin,
            Some(json!({"name": "conference for 50", "parts": [
                {"category_id": world.chairs, "quantity": 50},
                {"category_id": world.tables, "quantity": 5},
                {"asset_id": projector}]})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{kit}");
    assert_eq!(kit["parts"].as_array().unwrap().len(), 3);
    (kit["id"].as_i64().unwrap(), projector)
}

async fn kits_free(world: &World, from: &str, to: &str) -> Value {
    let (status, body) = world
        .call(
            Method::GET,
            &format!("/api/catalogue?from={from}&to={to}"),
            &world.requester,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["kits"].clone()
}

#[sqlx::test(migrations = "./migrations")]
async fn a_kit_is_requested_as_one_line_issued_together_and_returned_in_part(pool: PgPool) {
    let world = World::new(pool).await;
    world.stock(world.chairs, 51).await;
    world.stock(world.tables, 6).await;
    let (kit, projector) = conference_kit(&world).await;

    assert_eq!(
        kits_free(&world, &day(0), &day(0)).await,
        json!([{"kit_id": kit, "name": "conference for 50", "available": 1}])
    );

    // One line: the kit.
    let (status, loan) = world
        .call(
            Method::POST,
            "/api/loans",
            &world.requester,
            Some(
                json!({"purpose": "plenary", "starts_on": day(0), "ends_on": day(1),
                        "lines": [{"kit_id": kit}]}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{loan}");
    assert_eq!(
        loan["lines"],
        json!([{"id": loan["lines"][0]["id"], "category_id": null, "asset_id": null, "kit_id": kit, "quantity": 1}])
    );
    let id = loan["id"].as_i64().unwrap();
    let (status, loan) = world
        .call(
            Method::POST,
            &format!("/api/loans/{id}/approve"),
            &world.admin,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{loan}");
    let booked: Vec<i64> = loan["assets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["asset_id"].as_i64().unwrap())
        .collect();
    assert_eq!(booked.len(), 56, "50 chairs, 5 tables and the projector");
    assert!(booked.contains(&projector));
    // The kit is taken for those days, free again after them.
    assert_eq!(kits_free(&world, &day(1), &day(1)).await[0]["available"], 0);
    assert_eq!(kits_free(&world, &day(2), &day(2)).await[0]["available"], 1);

    // Issued together.
    let (status, loan) = world
        .call(
            Method::POST,
            &format!("/api/loans/{id}/issue"),
            &world.keeper,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{loan}");
    assert_eq!(loan["status"], "issued");
    assert_eq!(world.asset_state(projector).await, "on_loan");

    // The projector and a table come back first; the rest later.
    let (status, loan) = world
        .call(
            Method::POST,
            &format!("/api/loans/{id}/return"),
            &world.keeper,
            Some(json!({"items": [{"asset_id": projector}, {"asset_id": booked[0]}]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{loan}");
    assert_eq!(loan["status"], "issued");
    assert_eq!(world.asset_state(projector).await, "in_stock");
    let (status, loan) = world
        .call(
            Method::POST,
            &format!("/api/loans/{id}/return"),
            &world.keeper,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{loan}");
    assert_eq!(loan["status"], "returned");

    // A kit a loan names stays.
    let (status, body) = world
        .call(
            Method::DELETE,
            &format!("/api/kits/{kit}"),
            &world.admin,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    world.assert_log_agrees().await;
}

#[sqlx::test(migrations = "./migrations")]
async fn a_kit_short_of_a_part_is_not_approved_and_the_catalogue_says_so(pool: PgPool) {
    let world = World::new(pool).await;
    world.stock(world.chairs, 60).await;
    world.stock(world.tables, 5).await;
    let (kit, projector) = conference_kit(&world).await;
    // The projector is out this week: no kit today, one next week.
    let other = world.approved_loan(&[projector]).await;
    let _ = other;
    assert_eq!(kits_free(&world, &day(0), &day(0)).await[0]["available"], 0);

    let (status, loan) = world
        .call(
            Method::POST,
            "/api/loans",
            &world.requester2,
            Some(
                json!({"purpose": "plenary", "starts_on": day(0), "ends_on": day(0),
                        "lines": [{"kit_id": kit, "quantity": 1}]}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{loan}");
    let (status, body) = world
        .call(
            Method::POST,
            &format!("/api/loans/{}/approve", loan["id"]),
            &world.admin,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    // Nothing of it was booked.
    let (_, loan) = world
        .call(
            Method::GET,
            &format!("/api/loans/{}", loan["id"]),
            &world.admin,
            None,
        )
        .await;
    assert_eq!(loan["assets"], json!([]));
    assert_eq!(loan["status"], "requested");
}

#[sqlx::test(migrations = "./migrations")]
async fn kits_are_kept_by_admins_with_bounded_input(pool: PgPool) {
    let world = World::new(pool).await;
    let table = world.stock(world.tables, 1).await[0];
    let create = |token: String, body: Value| {
        let world = &world;
        async move {
            world
                .call(Method::POST, "/api/kits", &token, Some(body))
                .await
        }
    };
    let good =
        json!({"name": "meeting for 10", "parts": [{"category_id": world.chairs, "quantity": 10}]});
    let (status, _) = create(world.requester.clone(), good.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    for (body, expected) in [
        (
            json!({"name": "empty", "parts": []}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"name": " ", "parts": [{"category_id": world.chairs}]}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"name": "x".repeat(201), "parts": [{"category_id": world.chairs}]}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"name": "zero", "parts": [{"category_id": world.chairs, "quantity": 0}]}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"name": "huge", "parts": [{"category_id": world.chairs, "quantity": 10_001}]}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"name": "both", "parts": [{"category_id": world.chairs, "asset_id": table}]}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"name": "two of one", "parts": [{"asset_id": table, "quantity": 2}]}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"name": "nowhere", "parts": [{"category_id": 999_999}]}),
            StatusCode::CONFLICT,
        ),
    ] {
        let (status, reply) = create(world.admin.clone(), body.clone()).await;
        assert_eq!(status, expected, "{body}: {reply}");
        assert!(reply["error"]["message"].is_string(), "{reply}");
    }
    let (status, kit) = create(world.admin.clone(), good.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{kit}");
    let (status, _) = create(world.admin.clone(), good).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, list) = world
        .call(Method::GET, "/api/kits", &world.requester, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    // A loan line names one thing, a sane quantity, and a kit only on a loan.
    // A kit that is not there is the state of things (409); the others break a rule.
    for (line, expected) in [
        (
            json!({"kit_id": kit["id"], "category_id": world.chairs}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"kit_id": kit["id"], "quantity": 10_001}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (json!({"kit_id": 999_999}), StatusCode::CONFLICT),
    ] {
        let (status, body) = world
            .call(
                Method::POST,
                "/api/loans",
                &world.requester,
                Some(json!({"purpose": "p", "starts_on": day(1), "ends_on": day(1), "lines": [line]})),
            )
            .await;
        assert_eq!(status, expected, "{line}: {body}");
    }
    let (status, _) = world
        .call(
            Method::DELETE,
            &format!("/api/kits/{}", kit["id"]),
            &world.admin,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = world
        .call(
            Method::GET,
            &format!("/api/kits/{}", kit["id"]),
            &world.admin,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[sqlx::test(migrations = "./migrations")]
async fn the_pages_keep_kits_offer_them_and_request_one(pool: PgPool) {
    let world = World::new(pool).await;
    world.stock(world.chairs, 12).await;
    let admin = login(&world, "admin").await;
    let page = get(&world, "/admin/kits", &admin).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let chairs = world.chairs.to_string();
    let reply = post(
        &world,
        "/admin/kits",
        &admin,
        &[
            ("csrf", &page.csrf()),
            ("name", "meeting for 10"),
            ("category_1", &chairs),
            ("quantity_1", "10"),
        ],
    )
    .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    let page = get(&world, "/admin/kits", &format!("{admin}; lang=zh-CN")).await;
    assert!(
        page.body.contains("meeting for 10") && page.body.contains("10 × chair"),
        "{}",
        page.body
    );
    assert!(page.body.contains("新建套装"));
    let kit: i64 = sqlx::query_scalar("select id from kits")
        .fetch_one(&world.pool)
        .await
        .unwrap();

    let requester = login(&world, "requester").await;
    let catalogue = get(&world, "/catalogue", &requester).await;
    assert!(
        catalogue.body.contains(&format!("data-kit=\"{kit}\">1<")),
        "{}",
        catalogue.body
    );
    let form = get(&world, &format!("/loans/new?kit={kit}"), &requester).await;
    assert!(
        form.body
            .contains(&format!("<option value=\"{kit}\" selected>")),
        "{}",
        form.body
    );
    let reply = post(
        &world,
        "/loans",
        &requester,
        &[
            ("csrf", &form.csrf()),
            ("kit", &kit.to_string()),
            ("kit_quantity", "1"),
            ("from", &day(3)),
            ("to", &day(3)),
            ("purpose", "team meeting"),
        ],
    )
    .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    let lines: Vec<Option<i64>> = sqlx::query_scalar("select kit_id from loan_lines")
        .fetch_all(&world.pool)
        .await
        .unwrap();
    assert_eq!(lines, vec![Some(kit)]);
    let order = get(&world, reply.location(), &requester).await;
    assert!(
        order.body.contains("Kit meeting for 10 × 1"),
        "{}",
        order.body
    );

    // Approved, the keeper issues the kit with its own button.
    let loan: i64 = sqlx::query_scalar("select id from loans")
        .fetch_one(&world.pool)
        .await
        .unwrap();
    let (status, _) = world
        .call(
            Method::POST,
            &format!("/api/loans/{loan}/approve"),
            &world.admin,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let keeper = login(&world, "keeper").await;
    let order = get(&world, &format!("/orders/{loan}"), &keeper).await;
    let line: i64 = sqlx::query_scalar("select id from loan_lines")
        .fetch_one(&world.pool)
        .await
        .unwrap();
    assert!(
        order.body.contains(&format!("id=\"issue-kit-{line}\"")),
        "{}",
        order.body
    );
    let reply = post(
        &world,
        &format!("/orders/{loan}/issue"),
        &keeper,
        &[
            ("csrf", &order.csrf()),
            ("line", &line.to_string()),
            ("confirmed", "1"),
        ],
    )
    .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    let status: String = sqlx::query_scalar("select status::text from loans")
        .fetch_one(&world.pool)
        .await
        .unwrap();
    assert_eq!(status, "issued");
}

#[sqlx::test(migrations = "./migrations")]
async fn a_kit_is_issued_as_a_unit_apart_from_the_loans_other_lines(pool: PgPool) {
    let world = World::new(pool).await;
    world.stock(world.chairs, 12).await;
    world.stock(world.tables, 3).await;
    let (status, kit) = world
        .call(
            Method::POST,
            "/api/kits",
            &world.admin,
            Some(json!({"name": "meeting for 10", "parts": [
                {"category_id": world.chairs, "quantity": 10},
                {"category_id": world.tables, "quantity": 1}]})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{kit}");
    let (status, loan) = world
        .call(
            Method::POST,
            "/api/loans",
            &world.requester,
            Some(json!({"purpose": "workshop", "starts_on": day(0), "ends_on": day(0),
                        "lines": [{"kit_id": kit["id"]}, {"category_id": world.tables, "quantity": 2}]})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{loan}");
    let id = loan["id"].as_i64().unwrap();
    let kit_line = loan["lines"][0]["id"].as_i64().unwrap();
    let (status, loan) = world
        .call(
            Method::POST,
            &format!("/api/loans/{id}/approve"),
            &world.admin,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{loan}");
    let on_kit = |loan: &Value| -> Vec<Value> {
        loan["assets"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["line_id"] == json!(kit_line))
            .cloned()
            .collect()
    };
    assert_eq!(
        on_kit(&loan).len(),
        11,
        "the kit's 10 chairs and 1 table share its line"
    );

    let issue = |body: Value| {
        let world = &world;
        async move {
            world
                .call(
                    Method::POST,
                    &format!("/api/loans/{id}/issue"),
                    &world.keeper,
                    Some(body),
                )
                .await
        }
    };
    let (status, _) = issue(json!({"line_ids": [kit_line], "asset_ids": [1]})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = issue(json!({"line_ids": [999_999]})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, loan) = issue(json!({"line_ids": [kit_line]})).await;
    assert_eq!(status, StatusCode::OK, "{loan}");
    assert_eq!(loan["status"], "partially_issued");
    assert!(
        on_kit(&loan).iter().all(|a| !a["issued_at"].is_null()),
        "{loan}"
    );
    let waiting = loan["assets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["issued_at"].is_null())
        .count();
    assert_eq!(waiting, 2, "the other line's two tables wait");
    world.assert_log_agrees().await;
}

#[sqlx::test(migrations = "./migrations")]
async fn deleting_a_kit_on_its_page_asks_first_and_says_it_is_done(pool: PgPool) {
    let world = World::new(pool).await;
    let admin = login(&world, "admin").await;
    let token = get(&world, "/admin/kits", &admin).await.csrf();
    let chairs = world.chairs.to_string();
    let reply = post(
        &world,
        "/admin/kits",
        &admin,
        &[
            ("csrf", &token),
            ("name", "spare chairs"),
            ("category_1", &chairs),
            ("quantity_1", "2"),
        ],
    )
    .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    let created = get(&world, reply.location(), &admin).await;
    assert!(created.body.contains("id=\"flash\""), "{}", created.body);
    let kit: i64 = sqlx::query_scalar("select id from kits")
        .fetch_one(&world.pool)
        .await
        .unwrap();
    let kits = || async {
        sqlx::query_scalar::<_, i64>("select count(*) from kits")
            .fetch_one(&world.pool)
            .await
            .unwrap()
    };

    let asked = post(
        &world,
        &format!("/admin/kits/{kit}/delete"),
        &format!("{admin}; lang=zh-CN"),
        &[("csrf", &token)],
    )
    .await;
    assert_eq!(asked.status, StatusCode::OK, "{}", asked.body);
    assert!(
        asked.body.contains("删除套装 spare chairs?"),
        "{}",
        asked.body
    );
    assert!(asked.body.contains("name=\"confirmed\""), "{}", asked.body);
    assert_eq!(kits().await, 1, "nothing deleted before the confirmation");

    let deleted = post(
        &world,
        &format!("/admin/kits/{kit}/delete"),
        &admin,
        &[("csrf", &token), ("confirmed", "1")],
    )
    .await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER, "{}", deleted.body);
    assert_eq!(kits().await, 0);
    let page = get(&world, deleted.location(), &admin).await;
    assert!(page.body.contains("Deleted."), "{}", page.body);
}
