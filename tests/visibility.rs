//! What a requester may read of an asset's history, through the API and the pages: their own
//! department's orders in full, other departments' business as plain stock movements.

mod common;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use common::{World, PASSWORD};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use sqlx::PgPool;
use tower::ServiceExt;

const NOTE: &str = "soaked in the flood";

/// Sign in through the login page; the Cookie header value to send afterwards.
async fn page_session(world: &World, user: &str) -> String {
    let body =
        serde_urlencoded::to_string([("username", user), ("password", PASSWORD), ("next", "/")])
            .unwrap();
    let req = Request::post("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::HOST, "depot.test")
        .body(Body::from(body))
        .unwrap();
    let response = world.app.clone().oneshot(req).await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "{user} signs in");
    let set = response.headers()[header::SET_COOKIE].to_str().unwrap();
    set.split(';').next().unwrap().to_owned()
}

async fn page(world: &World, path: &str, cookie: &str) -> (StatusCode, String) {
    let req = Request::get(path)
        .header(header::COOKIE, cookie)
        .body(Body::empty())
        .unwrap();
    let response = world.app.clone().oneshot(req).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

#[track_caller]
fn ok(reply: (StatusCode, Value)) -> Value {
    assert!(reply.0.is_success(), "{} {}", reply.0, reply.1);
    reply.1
}

/// An asset lent to Finance, returned damaged with a note, repaired on its compensation case,
/// then reserved for Culture and released again. Returns (asset, Finance's loan, the case, Culture's loan).
async fn history(world: &World) -> (i64, i64, i64, i64) {
    let asset = world.stock(world.tables, 1).await[0];
    let finance_loan = world.request_tables(1, "2030-03-10", "2030-03-12").await;
    let call = |path: String, token: String, body: Option<Value>| async move {
        world.call(Method::POST, &path, &token, body).await
    };
    ok(call(
        format!("/api/loans/{finance_loan}/approve"),
        world.admin.clone(),
        None,
    )
    .await);
    ok(call(
        format!("/api/loans/{finance_loan}/issue"),
        world.keeper.clone(),
        None,
    )
    .await);
    ok(call(
        format!("/api/loans/{finance_loan}/return"),
        world.keeper.clone(),
        Some(json!({"items": [{"asset_id": asset, "condition": "damaged", "note": NOTE}]})),
    )
    .await);
    let cases = ok(world
        .call(Method::GET, "/api/compensations", &world.admin, None)
        .await);
    let case = cases[0]["id"].as_i64().unwrap();
    ok(call(
        format!("/api/compensations/{case}/repair"),
        world.keeper.clone(),
        Some(json!({"cost_fen": 5_000})),
    )
    .await);
    let culture_loan = ok(world
        .call(
            Method::POST,
            "/api/loans",
            &world.requester2,
            Some(
                json!({"purpose": "opera", "starts_on": "2030-05-01", "ends_on": "2030-05-02",
                        "lines": [{"asset_id": asset}]}),
            ),
        )
        .await)["id"]
        .as_i64()
        .unwrap();
    ok(call(
        format!("/api/loans/{culture_loan}/approve"),
        world.admin.clone(),
        None,
    )
    .await);
    ok(call(
        format!("/api/loans/{culture_loan}/cancel"),
        world.requester2.clone(),
        None,
    )
    .await);
    (asset, finance_loan, case, culture_loan)
}

fn of_order(events: &Value, kind: &str, id: i64) -> Vec<Value> {
    events
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["order_kind"] == kind && e["order_id"] == id)
        .cloned()
        .collect()
}

#[sqlx::test(migrations = "./migrations")]
async fn a_requester_reads_other_departments_history_as_plain_stock_movements(pool: PgPool) {
    let world = World::new(pool).await;
    let (asset, finance_loan, case, culture_loan) = history(&world).await;
    let path = format!("/api/assets/{asset}/events");

    // The auditor reads it all: both loans, the case, the note and who did each step.
    let all = ok(world.call(Method::GET, &path, &world.auditor, None).await);
    assert!(!of_order(&all, "loan", finance_loan).is_empty());
    assert!(!of_order(&all, "compensation", case).is_empty());
    assert!(all.to_string().contains(NOTE));

    // Culture: the same movements, in the same order, but of Finance's business nothing
    // beyond the movement; its own reservation in full.
    let culture = ok(world
        .call(Method::GET, &path, &world.requester2, None)
        .await);
    let steps = |events: &Value| -> Vec<(Value, Value, Value)> {
        events
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["action"].clone(),
                    e["from_state"].clone(),
                    e["to_state"].clone(),
                )
            })
            .collect()
    };
    assert_eq!(
        steps(&culture),
        steps(&all),
        "every movement is still there"
    );
    assert!(of_order(&culture, "loan", finance_loan).is_empty());
    assert!(of_order(&culture, "compensation", case).is_empty());
    let text = culture.to_string();
    assert!(!text.contains(NOTE), "another department's note: {text}");
    assert!(
        !text.contains("\"requester\""),
        "another department's person: {text}"
    );
    let own = of_order(&culture, "loan", culture_loan);
    assert!(
        own.iter()
            .any(|e| e["action"] == "reserve" && e["actor"] == "admin"),
        "its own loan in full: {own:?}"
    );
    for e in culture.as_array().unwrap() {
        if e["order_id"].is_null() {
            assert!(
                e["actor"].is_null() && e["reason"] == "" && e["details"] == json!({}),
                "{e}"
            );
        }
    }

    // Finance: its own loan in full, note included; Culture's reservation plain.
    let finance = ok(world.call(Method::GET, &path, &world.requester, None).await);
    assert!(of_order(&finance, "loan", finance_loan)
        .iter()
        .any(|e| e["action"] == "return_damaged" && e["reason"] == NOTE));
    assert!(of_order(&finance, "loan", culture_loan).is_empty());

    // The pages read the same rule.
    let cookie = page_session(&world, "requester2").await;
    let (status, body) = page(&world, &format!("/assets/{asset}"), &cookie).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        !body.contains(NOTE),
        "the page shows another department's note"
    );
    assert!(!body.contains(&format!("/orders/{finance_loan}\"")));
    assert!(body.contains(&format!("/orders/{culture_loan}\"")));
    let cookie = page_session(&world, "requester").await;
    let (status, body) = page(&world, &format!("/assets/{asset}"), &cookie).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains(NOTE));
    assert!(body.contains(&format!("/orders/{finance_loan}\"")));
    assert!(!body.contains(&format!("/orders/{culture_loan}\"")));
    let (status, _) = page(&world, &format!("/orders/{culture_loan}"), &cookie).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
