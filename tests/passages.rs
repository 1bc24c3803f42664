//! Uncertain passages are asked, not acted on: a passage the gate could not judge surely goes
//! through the real fact store and reconciliation, raises a question on the keeper's gate
//! page, and only a keeper's confirmation acts on it — as the gate would have, against the
//! asset as it is now. Real PostgreSQL, the real router.

mod common;

use axum::http::{Method, StatusCode};
use common::{get, login, post, World};
use depot::engine::config::{GateId, DEFAULT_MIN_CONFIDENCE};
use depot::engine::{Direction, Fact};
use depot::ingest::{persist, Site};
use depot_readers::Epc;
use serde_json::{json, Value};
use sqlx::PgPool;

/// A gate with its two zones, made by the admin through the API.
async fn gate(world: &World) -> (i64, i64) {
    let mut zones = Vec::new();
    for code in ["DOCK-IN", "DOCK-OUT"] {
        let (status, zone) = world
            .call(
                Method::POST,
                &format!("/api/warehouses/{}/zones", world.warehouse),
                &world.admin,
                Some(json!({"code": code, "name": code, "kind": "staging"})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{zone}");
        zones.push(zone["id"].as_i64().unwrap());
    }
    let (status, gate) = world
        .call(
            Method::POST,
            "/api/gates",
            &world.admin,
            Some(
                json!({"name": "dock 1", "inside_zone_id": zones[0], "outside_zone_id": zones[1]}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{gate}");
    (gate["id"].as_i64().unwrap(), zones[0])
}

/// The same loan, issued by hand at the desk.
async fn issued_loan(world: &World, asset: i64) -> i64 {
    let loan = world.approved_loan(&[asset]).await;
    let (status, body) = world
        .call(
            Method::POST,
            &format!("/api/loans/{loan}/issue"),
            &world.keeper,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    loan
}

/// The gate judged that `asset` may have passed, at confidence 0.41: the fact goes through
/// the ingest's own store and reconciliation. Returns the fact's key.
async fn uncertain_passage(world: &World, gate: i64, asset: i64, direction: Direction) -> String {
    passage(world, gate, asset, direction, 0.41).await
}

/// The gate judged that `asset` passed at `confidence` (uncertain below the default
/// threshold), stored and reconciled as the ingest does. Returns the fact's key.
async fn passage(
    world: &World,
    gate: i64,
    asset: i64,
    direction: Direction,
    confidence: f32,
) -> String {
    let epc: String = sqlx::query_scalar("select epc from assets where id = $1")
        .bind(asset)
        .fetch_one(&world.pool)
        .await
        .unwrap();
    let fact = Fact::Passed {
        epc: Epc::from_hex(&epc).unwrap(),
        gate: GateId(gate as u32),
        direction,
        at: 1_760_000_000_000_000,
        confidence,
        batch: 1,
        uncertain: confidence < DEFAULT_MIN_CONFIDENCE,
    };
    let site = Site::load(&mut world.pool.acquire().await.unwrap())
        .await
        .unwrap();
    persist::persist(&world.pool, &site, std::slice::from_ref(&fact))
        .await
        .unwrap();
    fact.id()
}

/// The open uncertain passages, as the API lists them.
async fn asked(world: &World) -> Vec<Value> {
    let (status, page) = world
        .call(Method::GET, "/api/alerts?open=true", &world.keeper, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["kind"] == "uncertain_passage")
        .cloned()
        .collect()
}

async fn loan(world: &World, id: i64) -> Value {
    let (status, body) = world
        .call(Method::GET, &format!("/api/loans/{id}"), &world.admin, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

async fn events(world: &World, asset: i64) -> Vec<Value> {
    let (status, body) = world
        .call(
            Method::GET,
            &format!("/api/assets/{asset}/events"),
            &world.auditor,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body.as_array().unwrap().clone()
}

async fn count(world: &World, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(&world.pool)
        .await
        .unwrap()
}

async fn decide(world: &World, token: &str, alert: i64, action: &str) -> (StatusCode, Value) {
    world
        .call(
            Method::POST,
            &format!("/api/alerts/{alert}/{action}"),
            token,
            Some(json!({"note": "seen on the camera"})),
        )
        .await
}

#[sqlx::test(migrations = "./migrations")]
async fn an_uncertain_passage_out_waits_for_a_keeper_and_confirming_issues_it_on_its_loan(
    pool: PgPool,
) {
    let world = World::new(pool).await;
    let (gate, _) = gate(&world).await;
    let asset = world.stock(world.tables, 1).await[0];
    let loan_id = world.approved_loan(&[asset]).await;
    let key = uncertain_passage(&world, gate, asset, Direction::Out).await;

    // Asked, not acted on.
    assert_eq!(world.asset_state(asset).await, "reserved");
    assert_eq!(loan(&world, loan_id).await["status"], "approved");
    let open = asked(&world).await;
    assert_eq!(open.len(), 1, "{open:?}");
    let alert = &open[0];
    assert_eq!(alert["fact_key"], key.as_str());
    assert_eq!(alert["asset_id"], asset);
    assert_eq!(alert["gate_id"], gate);
    assert_eq!(alert["direction"], "out");
    assert!((alert["confidence"].as_f64().unwrap() - 0.41).abs() < 1e-6);
    assert_eq!(alert["order_kind"], "loan");
    assert_eq!(alert["order_id"], loan_id);
    let id = alert["id"].as_i64().unwrap();

    // The keeper's gate page asks, with the candidate loan and one-tap answers.
    let keeper = login(&world, "keeper").await;
    let page = get(&world, "/keeper/gate", &keeper).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(r#"id="uncertain""#), "{}", page.body);
    assert!(page
        .body
        .contains(&format!(r#"action="/keeper/alerts/{id}/confirm""#)));
    assert!(page
        .body
        .contains(&format!(r#"action="/keeper/alerts/{id}/dismiss""#)));
    assert!(page
        .body
        .contains(&format!(r#"<a href="/orders/{loan_id}">"#)));
    assert!(page.body.contains("0.41"));

    // Only the depot's staff decide; nothing changed for those refused.
    for token in [&world.requester, &world.auditor] {
        let (status, body) = decide(&world, token, id, "confirm").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        let (status, body) = decide(&world, token, id, "dismiss").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    }
    assert_eq!(world.asset_state(asset).await, "reserved");
    // An uncertain passage is not merely acknowledged: that would leave no decision.
    let (status, body) = decide(&world, &world.keeper, id, "acknowledge").await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");

    // The keeper confirms: issued on the loan, as a sure passage would have been.
    let (status, closed) = decide(&world, &world.keeper, id, "confirm").await;
    assert_eq!(status, StatusCode::OK, "{closed}");
    assert_eq!(closed["decision"], "confirmed");
    assert!(!closed["acknowledged_at"].is_null());
    assert_eq!(closed["acknowledged_by"], world.user_id("keeper").await);
    assert_eq!(world.asset_state(asset).await, "on_loan");
    assert_eq!(loan(&world, loan_id).await["status"], "issued");
    assert!(asked(&world).await.is_empty());

    // Auditors see who decided what, on which passage, and what it did.
    let log = events(&world, asset).await;
    let issue = log.iter().find(|e| e["action"] == "issue").unwrap();
    assert_eq!(issue["actor"], "keeper");
    assert_eq!(issue["fact_key"], key.as_str());
    assert_eq!(issue["order_id"], loan_id);
    let confirm = log
        .iter()
        .find(|e| e["action"] == "confirm_passage")
        .unwrap();
    assert_eq!(confirm["actor"], "keeper");
    assert_eq!(confirm["fact_key"], key.as_str());
    assert_eq!(confirm["details"]["alert_id"], id);
    assert_eq!(confirm["details"]["direction"], "out");
    assert_eq!(confirm["order_id"], loan_id);

    // Once decided, never again: no second issue, no late dismissal.
    let events_before = count(&world, "select count(*) from events").await;
    let (status, body) = decide(&world, &world.keeper, id, "confirm").await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, body) = decide(&world, &world.admin, id, "dismiss").await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(
        count(&world, "select count(*) from events").await,
        events_before
    );

    // The passage shows what became of it.
    let page = get(&world, "/keeper/gate", &keeper).await;
    assert!(page.body.contains("outcome-issued"), "{}", page.body);
    world.assert_log_agrees().await;
}

#[sqlx::test(migrations = "./migrations")]
async fn dismissing_an_uncertain_passage_in_leaves_the_loan_as_it_was(pool: PgPool) {
    let world = World::new(pool).await;
    let (gate, _) = gate(&world).await;
    let asset = world.stock(world.tables, 1).await[0];
    let loan_id = issued_loan(&world, asset).await;
    // A trolley pushed to the door and back: the gate is not sure it came in.
    let key = uncertain_passage(&world, gate, asset, Direction::In).await;
    assert_eq!(world.asset_state(asset).await, "on_loan");
    let open = asked(&world).await;
    assert_eq!(open[0]["direction"], "in");
    assert_eq!(open[0]["order_id"], loan_id, "confirming would return it");
    let id = open[0]["id"].as_i64().unwrap();

    // Through the page: a CSRF-checked one-tap form.
    let keeper = login(&world, "keeper").await;
    let page = get(&world, "/keeper/gate", &keeper).await;
    let forged = post(
        &world,
        &format!("/keeper/alerts/{id}/dismiss"),
        &keeper,
        &[],
    )
    .await;
    assert_ne!(
        forged.status,
        StatusCode::SEE_OTHER,
        "no form token, no decision"
    );
    assert_eq!(asked(&world).await.len(), 1);
    let token = page.csrf();
    let reply = post(
        &world,
        &format!("/keeper/alerts/{id}/dismiss"),
        &keeper,
        &[("csrf", &token), ("back", "/keeper/gate")],
    )
    .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    assert_eq!(reply.location(), "/keeper/gate?done=passage_dismissed");

    let body = loan(&world, loan_id).await;
    assert_eq!(body["status"], "issued", "{body}");
    assert!(body["assets"][0]["returned_at"].is_null(), "{body}");
    assert_eq!(world.asset_state(asset).await, "on_loan");
    assert!(asked(&world).await.is_empty());
    let log = events(&world, asset).await;
    let dismissal = log
        .iter()
        .find(|e| e["action"] == "dismiss_passage")
        .unwrap();
    assert_eq!(dismissal["actor"], "keeper");
    assert_eq!(dismissal["fact_key"], key.as_str());
    assert_eq!(dismissal["details"]["alert_id"], id);
    assert!(dismissal["to_state"].is_null(), "nothing happened to it");
    assert!(!log.iter().any(|e| e["action"] == "return"));

    let page = get(&world, "/keeper/gate", &keeper).await;
    assert!(page.body.contains("outcome-dismissed"), "{}", page.body);
    let (status, _) = decide(&world, &world.keeper, id, "confirm").await;
    assert_eq!(status, StatusCode::CONFLICT);
    world.assert_log_agrees().await;
}

#[sqlx::test(migrations = "./migrations")]
async fn confirming_after_the_asset_moved_on_is_refused_and_changes_nothing(pool: PgPool) {
    let world = World::new(pool).await;
    let (gate, _) = gate(&world).await;
    let assets = world.stock(world.tables, 2).await;

    // In: the keeper took it back by hand at the desk before anyone answered the gate.
    let returned = assets[0];
    let loan_id = issued_loan(&world, returned).await;
    uncertain_passage(&world, gate, returned, Direction::In).await;
    let (status, body) = world
        .call(
            Method::POST,
            &format!("/api/loans/{loan_id}/return"),
            &world.keeper,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let id = asked(&world).await[0]["id"].as_i64().unwrap();
    let before = count(&world, "select count(*) from events").await;
    let loan_before = loan(&world, loan_id).await;
    let (status, body) = decide(&world, &world.keeper, id, "confirm").await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("out on loan {loan_id}"))
            && message.contains("nothing was changed"),
        "{message}"
    );
    assert_eq!(count(&world, "select count(*) from events").await, before);
    assert_eq!(loan(&world, loan_id).await, loan_before);
    assert_eq!(
        asked(&world).await.len(),
        1,
        "still open: the keeper may dismiss it"
    );
    let (status, body) = decide(&world, &world.keeper, id, "dismiss").await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Out: the loan was cancelled before anyone answered the gate.
    let cancelled = assets[1];
    let loan_id = world.approved_loan(&[cancelled]).await;
    uncertain_passage(&world, gate, cancelled, Direction::Out).await;
    let (status, body) = world
        .call(
            Method::POST,
            &format!("/api/loans/{loan_id}/cancel"),
            &world.requester,
            Some(json!({"reason": "event called off"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let id = asked(&world).await[0]["id"].as_i64().unwrap();
    let before = count(&world, "select count(*) from events").await;
    let (status, body) = decide(&world, &world.keeper, id, "confirm").await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains(&format!("waiting to be issued on loan {loan_id}")));
    assert_eq!(count(&world, "select count(*) from events").await, before);
    assert_eq!(world.asset_state(cancelled).await, "in_stock");
    assert_eq!(
        count(
            &world,
            "select count(*) from alerts where kind = 'exit_without_order'"
        )
        .await,
        0
    );
    world.assert_log_agrees().await;
}

#[sqlx::test(migrations = "./migrations")]
async fn a_confirmed_departure_with_no_order_raises_the_alert_a_sure_one_would(pool: PgPool) {
    let world = World::new(pool).await;
    let (gate, _) = gate(&world).await;
    let asset = world.stock(world.tables, 1).await[0];
    let key = uncertain_passage(&world, gate, asset, Direction::Out).await;
    let open = asked(&world).await;
    assert!(open[0]["order_id"].is_null());
    assert!(open[0]["message"]
        .as_str()
        .unwrap()
        .contains("left with no order"));
    assert_eq!(count(&world, "select count(*) from alerts").await, 1);

    let id = open[0]["id"].as_i64().unwrap();
    let (status, body) = decide(&world, &world.admin, id, "confirm").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        world.asset_state(asset).await,
        "in_stock",
        "no order: no lifecycle change"
    );
    let (_, page) = world
        .call(Method::GET, "/api/alerts?open=true", &world.keeper, None)
        .await;
    let exits: Vec<&Value> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["kind"] == "exit_without_order")
        .collect();
    assert_eq!(exits.len(), 1, "{page}");
    assert_eq!(exits[0]["fact_key"], key.as_str());
    assert_eq!(exits[0]["asset_id"], asset);
    let log = events(&world, asset).await;
    let confirm = log
        .iter()
        .find(|e| e["action"] == "confirm_passage")
        .unwrap();
    assert_eq!(confirm["actor"], "admin");
    world.assert_log_agrees().await;
}

#[sqlx::test(migrations = "./migrations")]
async fn only_uncertain_passages_are_confirmed_and_unknown_alerts_are_not_found(pool: PgPool) {
    let world = World::new(pool).await;
    let (gate, _) = gate(&world).await;
    let asset = world.stock(world.tables, 1).await[0];
    // A sure passage out with no order raises an exit alert: acknowledged, not confirmed.
    passage(&world, gate, asset, Direction::Out, 0.97).await;
    let id: i64 = sqlx::query_scalar("select id from alerts where kind = 'exit_without_order'")
        .fetch_one(&world.pool)
        .await
        .unwrap();
    let (status, body) = decide(&world, &world.keeper, id, "confirm").await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, body) = decide(&world, &world.keeper, id, "dismiss").await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, body) = decide(&world, &world.keeper, id, "acknowledge").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = decide(&world, &world.keeper, 999_999, "confirm").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, body) = decide(&world, &world.keeper, -1, "dismiss").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
}
