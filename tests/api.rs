//! The JSON API through the real router: a loan's whole life, errors, and who may do what.

mod common;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use common::{get, login, World, PASSWORD};
use serde_json::{json, Value};
use sqlx::PgPool;

fn actions(events: &Value) -> Vec<String> {
    events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect()
}

#[sqlx::test(migrations = "./migrations")]
async fn a_loan_goes_requested_approved_issued_returned_and_each_step_is_in_the_timeline(
    pool: PgPool,
) {
    let world = World::new(pool).await;
    let stock = world.stock(world.tables, 3).await;
    let loan = world.request_tables(2, "2030-03-10", "2030-03-12").await;

    let (status, body) = world
        .call(
            Method::POST,
            &format!("/api/loans/{loan}/approve"),
            &world.admin,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "approved");
    let reserved: Vec<i64> = body["assets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["asset_id"].as_i64().unwrap())
        .collect();
    assert_eq!(reserved, stock[..2], "the first two in stock are chosen");
    assert_eq!(world.asset_state(reserved[0]).await, "reserved");
    assert_eq!(world.asset_state(stock[2]).await, "in_stock");

    // partial issue, then the rest
    let (status, body) = world
        .call(
            Method::POST,
            &format!("/api/loans/{loan}/issue"),
            &world.keeper,
            Some(json!({"asset_ids": [reserved[0]]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "partially_issued");
    let (status, body) = world
        .call(
            Method::POST,
            &format!("/api/loans/{loan}/issue"),
            &world.keeper,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "issued");
    assert_eq!(world.asset_state(reserved[1]).await, "on_loan");
    let holder: Option<i64> =
        sqlx::query_scalar("select holder_department_id from assets where id = $1")
            .bind(reserved[0])
            .fetch_one(&world.pool)
            .await
            .unwrap();
    assert_eq!(
        holder,
        Some(world.finance),
        "possession moved to the borrower"
    );

    let (status, body) = world
        .call(
            Method::POST,
            &format!("/api/loans/{loan}/return"),
            &world.keeper,
            Some(json!({"items": [{"asset_id": reserved[0], "zone_id": world.shelf}, {"asset_id": reserved[1], "zone_id": world.shelf}]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "returned");
    assert_eq!(world.asset_state(reserved[0]).await, "in_stock");

    let (status, timeline) = world
        .call(
            Method::GET,
            &format!("/api/assets/{}/events", reserved[0]),
            &world.requester,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{timeline}");
    assert_eq!(
        actions(&timeline),
        ["register", "receive", "reserve", "issue", "return"]
    );
    let issue = &timeline[3];
    assert_eq!(issue["order_kind"], "loan");
    assert_eq!(issue["order_id"], loan);
    assert_eq!(issue["actor"], "keeper");
    assert_eq!(
        (issue["from_state"].as_str(), issue["to_state"].as_str()),
        (Some("reserved"), Some("on_loan"))
    );

    let (_, history) = world
        .call(
            Method::GET,
            &format!("/api/loans/{loan}/events"),
            &world.requester,
            None,
        )
        .await;
    let order_steps: Vec<String> = history
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["asset_id"].is_null())
        .map(|e| e["to_state"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        order_steps,
        [
            "requested",
            "approved",
            "partially_issued",
            "issued",
            "returned"
        ]
    );
    world.assert_log_agrees().await;
}

#[sqlx::test(migrations = "./migrations")]
async fn damage_and_loss_at_return_open_compensation_cases_at_original_value(pool: PgPool) {
    let world = World::new(pool).await;
    world.stock(world.tables, 2).await;
    let loan = world.request_tables(2, "2030-03-10", "2030-03-12").await;
    let (_, body) = world
        .call(
            Method::POST,
            &format!("/api/loans/{loan}/approve"),
            &world.admin,
            None,
        )
        .await;
    let ids: Vec<i64> = body["assets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["asset_id"].as_i64().unwrap())
        .collect();
    world
        .call(
            Method::POST,
            &format!("/api/loans/{loan}/issue"),
            &world.keeper,
            None,
        )
        .await;
    let (status, body) = world
        .call(
            Method::POST,
            &format!("/api/loans/{loan}/return"),
            &world.keeper,
            Some(json!({"items": [{"asset_id": ids[0], "condition": "damaged", "note": "leg bent"}, {"asset_id": ids[1], "condition": "missing"}]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(world.asset_state(ids[0]).await, "in_repair");
    assert_eq!(world.asset_state(ids[1]).await, "lost");

    let (_, cases) = world
        .call(Method::GET, "/api/compensations", &world.requester, None)
        .await;
    assert_eq!(cases["total"], 2);
    let cases = cases["items"].as_array().unwrap();
    assert_eq!(cases.len(), 2);
    assert!(cases.iter().all(|c| c["amount_fen"] == 45_000
        && c["department_id"] == world.finance
        && c["status"] == "open"));
    let (_, other) = world
        .call(Method::GET, "/api/compensations", &world.requester2, None)
        .await;
    assert_eq!(other["total"], 0, "another department sees none");
    // The department follows its cases on the web too; another department sees none of them.
    let own = get(&world, "/compensations", &login(&world, "requester").await).await;
    assert_eq!(own.status, StatusCode::OK, "{}", own.body);
    assert!(
        own.body.contains("href=\"/compensations\""),
        "in the menu: {}",
        own.body
    );
    for case in cases {
        assert!(
            own.body.contains(&format!("<tr><td>{}</td>", case["id"])),
            "{}",
            own.body
        );
    }
    assert!(
        !own.body.contains("action=\"/compensations/"),
        "no settling for a department: {}",
        own.body
    );
    let other = get(&world, "/compensations", &login(&world, "requester2").await).await;
    assert_eq!(other.status, StatusCode::OK, "{}", other.body);
    assert!(!other.body.contains("Finance Bureau"), "{}", other.body);

    let damage = cases.iter().find(|c| c["kind"] == "damage").unwrap()["id"]
        .as_i64()
        .unwrap();
    let (status, body) = world
        .call(
            Method::POST,
            &format!("/api/compensations/{damage}/repair"),
            &world.keeper,
            Some(json!({"cost_fen": 8_000})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["amount_fen"], 8_000,
        "repaired: the repair cost, not the original value"
    );
    assert_eq!(world.asset_state(ids[0]).await, "in_stock");
    let (status, body) = world
        .call(
            Method::POST,
            &format!("/api/compensations/{damage}/pay"),
            &world.admin,
            Some(json!({"receipt_number": "R-2030-17"})),
        )
        .await;
    assert_eq!(
        (status, body["status"].as_str()),
        (StatusCode::OK, Some("paid"))
    );
    world.assert_log_agrees().await;
}

#[sqlx::test(migrations = "./migrations")]
async fn illegal_transitions_answer_409_naming_the_state_and_what_is_allowed(pool: PgPool) {
    let world = World::new(pool).await;
    world.stock(world.tables, 1).await;
    let loan = world.request_tables(1, "2030-03-10", "2030-03-12").await;
    let (status, body) = world
        .call(
            Method::POST,
            &format!("/api/loans/{loan}/issue"),
            &world.keeper,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(
        body["error"]["message"],
        format!("cannot issue loan {loan}: it is requested; issue is allowed only when it is approved or partially_issued")
    );
    let (status, body) = world
        .call(
            Method::POST,
            &format!("/api/loans/{loan}/return"),
            &world.keeper,
            None,
        )
        .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "return a loan never issued: {body}"
    );

    // an asset that was disposed of cannot be lent
    let asset = world.stock(world.tables, 1).await[0];
    sqlx::query("update assets set state = 'disposed' where id = $1")
        .bind(asset)
        .execute(&world.pool)
        .await
        .unwrap();
    let (_, created) = world
        .call(
            Method::POST,
            "/api/loans",
            &world.requester,
            Some(json!({"purpose": "x", "starts_on": "2030-01-01", "ends_on": "2030-01-02", "lines": [{"asset_id": asset}]})),
        )
        .await;
    let (status, body) = world
        .call(
            Method::POST,
            &format!("/api/loans/{}/approve", created["id"]),
            &world.admin,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("is disposed") && message.contains("allowed only from in_stock, listed"),
        "{message}"
    );
    let (_, loan_after) = world
        .call(
            Method::GET,
            &format!("/api/loans/{}", created["id"]),
            &world.admin,
            None,
        )
        .await;
    assert_eq!(
        loan_after["status"], "requested",
        "a refused approval changes nothing"
    );

    // a manual action from the wrong state
    let (status, body) = world
        .call(
            Method::POST,
            &format!("/api/assets/{asset}/repair"),
            &world.keeper,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("allowed only from in_repair"),
        "{body}"
    );
}

#[sqlx::test(migrations = "./migrations")]
async fn a_request_is_checked_against_what_can_be_borrowed_when_it_is_made(pool: PgPool) {
    let world = World::new(pool.clone()).await;
    world.stock(world.tables, 2).await;
    let loans = async || -> i64 {
        sqlx::query_scalar("select count(*) from loans")
            .fetch_one(&pool)
            .await
            .unwrap()
    };
    let request = |starts: &str, n: i64, accept: bool| {
        json!({"purpose": "annual conference", "starts_on": starts, "ends_on": starts,
               "lines": [{"category_id": world.tables, "quantity": n}], "accept_shortfall": accept})
    };
    let tomorrow = (common::today() + chrono::Duration::days(1)).to_string();
    let yesterday = (common::today() - chrono::Duration::days(1)).to_string();

    // More than can be borrowed: refused, the shortfall named, nothing requested.
    let (status, body) = world
        .call(
            Method::POST,
            "/api/loans",
            &world.requester,
            Some(request(&tomorrow, 3, false)),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(
        body["error"]["message"],
        "only 2 of the 3 folding table asked for are available for those dates"
    );
    assert_eq!(body["error"]["message_key"], "only_available", "{body}");
    assert_eq!(loans().await, 0);
    // A start before today (the depot's): refused.
    let (status, body) = world
        .call(
            Method::POST,
            "/api/loans",
            &world.requester,
            Some(request(&yesterday, 1, false)),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("a loan cannot start in the past"),
        "{body}"
    );
    assert_eq!(loans().await, 0);
    // What there is, or more knowingly: requested.
    for (n, accept) in [(2, false), (3, true)] {
        let (status, body) = world
            .call(
                Method::POST,
                "/api/loans",
                &world.requester,
                Some(request(&tomorrow, n, accept)),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    assert_eq!(loans().await, 2);
}

#[sqlx::test(migrations = "./migrations")]
async fn approval_fails_cleanly_when_stock_runs_short(pool: PgPool) {
    let world = World::new(pool).await;
    let stock = world.stock(world.tables, 2).await;
    let loan = world.request_tables(3, "2030-03-10", "2030-03-12").await;
    let (status, body) = world
        .call(
            Method::POST,
            &format!("/api/loans/{loan}/approve"),
            &world.admin,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(
        body["error"]["message"],
        "only 2 of the 3 folding table asked for are available for those dates"
    );
    for id in stock {
        assert_eq!(
            world.asset_state(id).await,
            "in_stock",
            "nothing half-reserved"
        );
    }
}

#[sqlx::test(migrations = "./migrations")]
async fn errors_are_json_and_bad_bodies_are_4xx_never_500(pool: PgPool) {
    let world = World::new(pool).await;
    let bad = |body: &'static str, content_type: &'static str| {
        Request::builder()
            .method(Method::POST)
            .uri("/api/departments")
            .header(header::AUTHORIZATION, format!("Bearer {}", world.admin))
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body))
            .unwrap()
    };
    let (status, body) = world
        .send(bad("{\"code\": \"X\",", "application/json"))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["code"], "bad_request");
    let (status, body) = world
        .send(bad(
            r#"{"code": "X", "name": "Y", "colour": "red"}"#,
            "application/json",
        ))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("colour"),
        "{body}"
    );
    let (status, body) = world.send(bad(r#"{"code": 5}"#, "application/json")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = world
        .send(bad(r#"{"code": "X", "name": "Y"}"#, "text/plain"))
        .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{body}");

    let (status, body) = world
        .call(
            Method::POST,
            "/api/departments",
            &world.admin,
            Some(json!({"code": "FIN", "name": "dup"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(
        body["error"]["message"],
        "a department with that code already exists"
    );

    let (status, body) = world
        .call(Method::GET, "/api/loans/not-a-number", &world.admin, None)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = world
        .call(Method::GET, "/api/assets?state=flying", &world.admin, None)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = world
        .call(Method::GET, "/api/no/such/thing", &world.admin, None)
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    let (status, body) = world
        .call(Method::GET, "/api/loans/999999", &world.admin, None)
        .await;
    assert_eq!(
        (status, body["error"]["message"].as_str()),
        (StatusCode::NOT_FOUND, Some("loan 999999 not found"))
    );

    let (status, body) = world
        .call(
            Method::POST,
            "/api/assets",
            &world.keeper,
            Some(json!({"name": "x", "category_id": 999999, "original_value_fen": 1})),
        )
        .await;
    // A reference to something that is not there is the state of things, not the input's form.
    assert_eq!(
        (status, body["error"]["message"].as_str()),
        (StatusCode::CONFLICT, Some("no such category"))
    );
    let (status, _) = world
        .call(Method::POST, "/api/loans", &world.requester, Some(json!({"purpose": "x", "starts_on": "2030-01-05", "ends_on": "2030-01-01", "lines": [{"category_id": world.tables}]})))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = world
        .call(Method::POST, "/api/loans", &world.requester, Some(json!({"purpose": "x", "starts_on": "2030-01-01", "ends_on": "2030-01-02", "lines": []})))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

/// Each role against a representative set of endpoints. Requesters act only for their own
/// department: another department's loan is 404, not 403, so nothing about it leaks.
#[sqlx::test(migrations = "./migrations")]
async fn authorisation_matrix(pool: PgPool) {
    let world = World::new(pool).await;
    let asset = world.stock(world.tables, 2).await[0];
    let finance_loan = world.request_tables(1, "2030-03-10", "2030-03-12").await;
    let (_, culture_loan) = world
        .call(
            Method::POST,
            "/api/loans",
            &world.requester2,
            Some(json!({"purpose": "opera", "starts_on": "2030-04-01", "ends_on": "2030-04-02", "lines": [{"category_id": world.tables}]})),
        )
        .await;
    let culture_loan = culture_loan["id"].as_i64().unwrap();

    use StatusCode as S;
    let dept = json!({"code": "NEW", "name": "New Bureau"});
    let loan_body = json!({"purpose": "x", "starts_on": "2030-01-01", "ends_on": "2030-01-02", "lines": [{"category_id": world.tables}]});
    let asset_body = json!({"name": "desk", "category_id": world.tables, "original_value_fen": 1});
    // (method, path, body, [anonymous, admin, keeper, requester (finance), auditor])
    let cases: Vec<(Method, String, Option<Value>, [S; 5])> = vec![
        (
            Method::GET,
            "/api/departments".into(),
            None,
            [S::UNAUTHORIZED, S::OK, S::OK, S::OK, S::OK],
        ),
        (
            Method::POST,
            "/api/departments".into(),
            Some(dept),
            [
                S::UNAUTHORIZED,
                S::CREATED,
                S::FORBIDDEN,
                S::FORBIDDEN,
                S::FORBIDDEN,
            ],
        ),
        (
            Method::POST,
            "/api/users".into(),
            Some(json!({"username": "u1", "password": "pass1-long-enough", "role": "keeper"})),
            [
                S::UNAUTHORIZED,
                S::CREATED,
                S::FORBIDDEN,
                S::FORBIDDEN,
                S::FORBIDDEN,
            ],
        ),
        (
            Method::GET,
            format!("/api/assets/{asset}"),
            None,
            [S::UNAUTHORIZED, S::OK, S::OK, S::OK, S::OK],
        ),
        (
            Method::POST,
            "/api/assets".into(),
            Some(asset_body),
            [
                S::UNAUTHORIZED,
                S::CREATED,
                S::CREATED,
                S::FORBIDDEN,
                S::FORBIDDEN,
            ],
        ),
        (
            Method::POST,
            "/api/loans".into(),
            Some(loan_body),
            [
                S::UNAUTHORIZED,
                S::UNPROCESSABLE_ENTITY,
                S::FORBIDDEN,
                S::CREATED,
                S::FORBIDDEN,
            ],
        ),
        (
            Method::GET,
            format!("/api/loans/{finance_loan}"),
            None,
            [S::UNAUTHORIZED, S::OK, S::OK, S::OK, S::OK],
        ),
        (
            Method::GET,
            format!("/api/loans/{culture_loan}"),
            None,
            [S::UNAUTHORIZED, S::OK, S::OK, S::NOT_FOUND, S::OK],
        ),
        (
            Method::GET,
            format!("/api/loans/{culture_loan}/events"),
            None,
            [S::UNAUTHORIZED, S::OK, S::OK, S::NOT_FOUND, S::OK],
        ),
        (
            Method::POST,
            format!("/api/loans/{culture_loan}/cancel"),
            None,
            [
                S::UNAUTHORIZED,
                S::OK,
                S::FORBIDDEN,
                S::NOT_FOUND,
                S::FORBIDDEN,
            ],
        ),
        (
            Method::POST,
            format!("/api/loans/{finance_loan}/approve"),
            None,
            [
                S::UNAUTHORIZED,
                S::OK,
                S::FORBIDDEN,
                S::FORBIDDEN,
                S::FORBIDDEN,
            ],
        ),
        (
            Method::POST,
            format!("/api/loans/{finance_loan}/issue"),
            None,
            [
                S::UNAUTHORIZED,
                S::CONFLICT,
                S::OK,
                S::FORBIDDEN,
                S::FORBIDDEN,
            ],
        ),
        (
            Method::POST,
            format!("/api/assets/{asset}/write_off"),
            None,
            [
                S::UNAUTHORIZED,
                S::CONFLICT,
                S::FORBIDDEN,
                S::FORBIDDEN,
                S::FORBIDDEN,
            ],
        ),
        (
            Method::GET,
            "/api/users".into(),
            None,
            [S::UNAUTHORIZED, S::OK, S::OK, S::OK, S::OK],
        ),
        (
            Method::GET,
            "/api/compensations".into(),
            None,
            [S::UNAUTHORIZED, S::OK, S::OK, S::OK, S::OK],
        ),
    ];
    let tokens = [
        String::new(),
        world.admin.clone(),
        world.keeper.clone(),
        world.requester.clone(),
        world.auditor.clone(),
    ];
    let roles = ["anonymous", "admin", "keeper", "requester", "auditor"];
    let mut failures = Vec::new();
    for (method, path, body, expected) in cases {
        // the less privileged first, so a success does not change what the next one meets
        for i in [0, 4, 3, 2, 1] {
            let (status, reply) = world
                .call(method.clone(), &path, &tokens[i], body.clone())
                .await;
            if status != expected[i] {
                failures.push(format!(
                    "{method} {path} as {}: expected {}, got {status} {reply}",
                    roles[i], expected[i]
                ));
            }
            if status.is_client_error() {
                assert!(
                    reply["error"]["message"].is_string(),
                    "{method} {path}: error without a message: {reply}"
                );
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));

    // a requester's asset list never shows another department's held assets
    sqlx::query("update assets set state = 'allocated', owner_department_id = $2, holder_department_id = $2 where id = $1")
        .bind(asset)
        .bind(world.culture)
        .execute(&world.pool)
        .await
        .unwrap();
    let (_, page) = world
        .call(
            Method::GET,
            "/api/assets?per_page=500",
            &world.requester,
            None,
        )
        .await;
    assert!(page["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|a| a["id"] != asset));
    let (_, page) = world
        .call(
            Method::GET,
            "/api/assets?per_page=500",
            &world.requester2,
            None,
        )
        .await;
    assert!(page["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["id"] == asset));
}

async fn sign_in(world: &World, username: &str, password: &str) -> (StatusCode, Option<String>) {
    let response = world.sign_in_from(username, password, None).await;
    let cookie = response
        .headers()
        .get(header::SET_COOKIE)
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned());
    (response.status(), cookie)
}

#[sqlx::test(migrations = "./migrations")]
async fn sessions_sign_in_out_and_refuse_forged_cross_site_requests(pool: PgPool) {
    let world = World::new(pool).await;
    assert_eq!(
        sign_in(&world, "admin", "wrong").await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        sign_in(&world, "nobody", PASSWORD).await.0,
        StatusCode::UNAUTHORIZED
    );
    let (status, cookie) = sign_in(&world, "admin", PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
    let cookie = cookie.expect("a session cookie");
    let hash: String =
        sqlx::query_scalar("select password_hash from users where username = 'admin'")
            .fetch_one(&world.pool)
            .await
            .unwrap();
    assert!(hash.starts_with("$argon2id$") && !hash.contains(PASSWORD));

    let with_cookie = |method: Method, uri: &str, extra: &[(&str, &str)]| {
        let mut req = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::COOKIE, &cookie)
            .header(header::HOST, "depot.local");
        for (k, v) in extra {
            req = req.header(*k, *v);
        }
        req.header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(json!({"code": "Z", "name": "Z"}).to_string()))
            .unwrap()
    };
    let (status, me) = world
        .send(with_cookie(Method::GET, "/api/session", &[]))
        .await;
    assert_eq!(
        (status, me["username"].as_str()),
        (StatusCode::OK, Some("admin"))
    );
    let (status, _) = world
        .send(with_cookie(
            Method::POST,
            "/api/departments",
            &[("origin", "https://evil.example")],
        ))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "forged cross-site POST");
    let (status, _) = world
        .send(with_cookie(
            Method::POST,
            "/api/departments",
            &[("sec-fetch-site", "cross-site")],
        ))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = world
        .send(with_cookie(
            Method::POST,
            "/api/departments",
            &[
                ("origin", "http://depot.local"),
                ("sec-fetch-site", "same-origin"),
            ],
        ))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    let (status, _) = world
        .send(with_cookie(Method::DELETE, "/api/session", &[]))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = world
        .send(with_cookie(Method::GET, "/api/session", &[]))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "signed out");

    // a deactivated user can neither sign in nor use a token
    let (_, users) = world
        .call(Method::GET, "/api/users", &world.admin, None)
        .await;
    let keeper = users["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "keeper")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let (status, _) = world
        .call(
            Method::DELETE,
            &format!("/api/users/{keeper}"),
            &world.admin,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        sign_in(&world, "keeper", PASSWORD).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        world
            .call(Method::GET, "/api/session", &world.keeper, None)
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
}

#[sqlx::test(migrations = "./migrations")]
async fn assets_get_giai96_epcs_and_filters_work(pool: PgPool) {
    let world = World::new(pool).await;
    let ids = world.stock(world.tables, 3).await;
    world.stock(world.chairs, 2).await;
    let (_, a) = world
        .call(
            Method::GET,
            &format!("/api/assets/{}", ids[0]),
            &world.admin,
            None,
        )
        .await;
    assert_eq!(a["epc"].as_str().unwrap().len(), 24);
    assert!(
        a["tag_uri"]
            .as_str()
            .unwrap()
            .starts_with("urn:epc:tag:giai-96:0.6901234."),
        "{a}"
    );
    let (status, kept) = world
        .call(Method::POST, "/api/assets", &world.keeper, Some(json!({"epc": "e2801160600002040000abcd", "name": "old projector", "category_id": world.chairs, "original_value_fen": 5})))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(kept["epc"], "E2801160600002040000ABCD");
    assert_eq!(kept["tag_uri"], "urn:epc:raw:96.xE2801160600002040000ABCD");

    let total = |q: &'static str| {
        let world = &world;
        async move {
            world.call(Method::GET, q, &world.admin, None).await.1["total"]
                .as_i64()
                .unwrap()
        }
    };
    assert_eq!(total("/api/assets").await, 6);
    assert_eq!(total("/api/assets?state=in_stock").await, 5);
    assert_eq!(total("/api/assets?state=registered").await, 1);
    assert_eq!(
        total(Box::leak(
            format!("/api/assets?category={}", world.chairs).into_boxed_str()
        ))
        .await,
        3
    );
    assert_eq!(total("/api/assets?q=projector").await, 1);
    assert_eq!(
        total("/api/assets?q=%25").await,
        0,
        "LIKE wildcards are literal"
    );
    let (_, page) = world
        .call(
            Method::GET,
            "/api/assets?per_page=2&page=2",
            &world.admin,
            None,
        )
        .await;
    assert_eq!(
        (
            page["items"].as_array().unwrap().len(),
            page["page"].as_i64()
        ),
        (2, Some(2))
    );
    let (_, decoded) = world
        .call(
            Method::GET,
            &format!("/api/epc/{}", a["epc"].as_str().unwrap()),
            &world.admin,
            None,
        )
        .await;
    assert_eq!(decoded["asset_id"], ids[0]);
    assert_eq!(decoded["scheme"], "giai-96");
}

#[sqlx::test(migrations = "./migrations")]
async fn the_openapi_document_describes_the_api(pool: PgPool) {
    let world = World::new(pool).await;
    let (status, doc) = world.call(Method::GET, "/api/openapi.json", "", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/loans",
        "/loans/{id}/approve",
        "/loans/{id}/return",
        "/assets/{id}/events",
        "/session",
        "/departments",
        "/users/{id}",
    ] {
        assert!(paths.contains_key(p), "missing {p}");
    }
}

#[sqlx::test(migrations = "./migrations")]
async fn cancelling_a_loan_whose_reserved_asset_was_lost_releases_the_rest(pool: PgPool) {
    let world = World::new(pool).await;
    world.stock(world.tables, 2).await;
    let loan = world.request_tables(2, "2030-03-10", "2030-03-12").await;
    let (_, body) = world
        .call(
            Method::POST,
            &format!("/api/loans/{loan}/approve"),
            &world.admin,
            None,
        )
        .await;
    let ids: Vec<i64> = body["assets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["asset_id"].as_i64().unwrap())
        .collect();
    let (status, _) = world
        .call(
            Method::POST,
            &format!("/api/assets/{}/mark_lost", ids[0]),
            &world.keeper,
            Some(json!({"reason": "not on the shelf"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = world
        .call(
            Method::POST,
            &format!("/api/loans/{loan}/cancel"),
            &world.requester,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(world.asset_state(ids[0]).await, "lost");
    assert_eq!(world.asset_state(ids[1]).await, "in_stock");
    world.assert_log_agrees().await;
}
