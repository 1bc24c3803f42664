//! Transfers, disposals and intakes end to end: the real router in-process, a real
//! PostgreSQL database per test. After every flow the event log must agree with the assets.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use depot::domain::bounds::Known as _;
use serde_json::{json, Value};
use sqlx::PgPool;
use tower::ServiceExt;

use depot::app::people::{insert_user, NewUser};
use depot::app::App;
use depot::auth::Role;
use depot::config::Config;

/// A depot with one warehouse zone, one category, two departments and a user of each role.
struct World {
    app: Router,
    pool: PgPool,
    admin: String,
    keeper: String,
    auditor: String,
    /// A requester of `department`.
    requester: String,
    /// A requester of `other_department`.
    outsider: String,
    department: i64,
    other_department: i64,
    category: i64,
    zone: i64,
}

impl World {
    async fn new(pool: PgPool) -> World {
        let department = insert_id(
            &pool,
            "insert into departments (code, name) values ('OFFICE', 'General Office') returning id",
        )
        .await;
        let other_department = insert_id(
            &pool,
            "insert into departments (code, name) values ('FIN', 'Finance Bureau') returning id",
        )
        .await;
        let category = insert_id(
            &pool,
            "insert into categories (code, name) values ('CHAIR', 'Meeting chair') returning id",
        )
        .await;
        let warehouse = insert_id(
            &pool,
            "insert into warehouses (code, name) values ('W1', 'North depot') returning id",
        )
        .await;
        let zone: i64 = sqlx::query_scalar("insert into zones (warehouse_id, code, name) values ($1, 'A1', 'Aisle 1') returning id")
            .bind(warehouse)
            .fetch_one(&pool)
            .await
            .unwrap();
        let app = depot::server::router(App::new(pool.clone(), Config::for_database(None)));
        World {
            admin: user(&pool, "admin", Role::Admin, None).await,
            keeper: user(&pool, "keeper", Role::Keeper, None).await,
            auditor: user(&pool, "auditor", Role::Auditor, None).await,
            requester: user(&pool, "requester", Role::Requester, Some(department)).await,
            outsider: user(&pool, "outsider", Role::Requester, Some(other_department)).await,
            app,
            pool,
            department,
            other_department,
            category,
            zone,
        }
    }

    /// Call the API with a bearer token; the answer's status and JSON body.
    async fn call(
        &self,
        token: &str,
        method: Method,
        uri: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::AUTHORIZATION, format!("Bearer {token}"));
        let body = match body {
            Some(v) => {
                request = request.header(header::CONTENT_TYPE, "application/json");
                Body::from(v.to_string())
            }
            None => Body::empty(),
        };
        let response = self
            .app
            .clone()
            .oneshot(request.body(body).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        let value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap()
        };
        (status, value)
    }

    async fn get(&self, token: &str, uri: &str) -> Value {
        expect(
            StatusCode::OK,
            self.call(token, Method::GET, uri, None).await,
            uri,
        )
    }

    async fn post(&self, token: &str, uri: &str, body: Value) -> Value {
        let (status, value) = self.call(token, Method::POST, uri, Some(body)).await;
        assert!(status.is_success(), "POST {uri}: {status} {value}");
        value
    }

    /// The error message of a refused call, after checking its status.
    async fn refused(
        &self,
        token: &str,
        method: Method,
        uri: &str,
        body: Option<Value>,
        want: StatusCode,
    ) -> String {
        let answer = self.call(token, method, uri, body).await;
        expect(want, answer, uri)["error"]["message"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// `n` chairs taken in and received at the zone: in stock, ready for orders.
    async fn stock(&self, n: usize) -> Vec<i64> {
        let items: Vec<Value> = (0..n)
            .map(|i| json!({ "name": format!("Chair {i}"), "category_id": self.category, "original_value_fen": 35000 }))
            .collect();
        let intake = self
            .post(
                &self.keeper,
                "/api/intakes",
                json!({ "source_class": "event_purchase", "items": items }),
            )
            .await;
        let received = self
            .post(
                &self.keeper,
                &format!("/api/intakes/{}/receive", intake["id"]),
                json!({ "zone_id": self.zone }),
            )
            .await;
        ids(&received["assets"])
    }

    async fn asset(&self, id: i64) -> Value {
        self.get(&self.admin, &format!("/api/assets/{id}")).await
    }

    async fn count(&self, table: &str) -> i64 {
        sqlx::query_scalar(&format!("select count(*) from {table}"))
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }

    /// Every asset's state agrees with the last state its log records.
    async fn assert_consistent(&self) {
        let mut conn = self.pool.acquire().await.unwrap();
        let bad = depot::db::events::inconsistent_assets(&mut conn)
            .await
            .unwrap();
        assert!(
            bad.is_empty(),
            "assets whose state disagrees with their log: {bad:?}"
        );
    }
}

async fn insert_id(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

async fn user(pool: &PgPool, username: &str, role: Role, department_id: Option<i64>) -> String {
    let mut conn = pool.acquire().await.unwrap();
    let new = NewUser {
        username: username.known(),
        display_name: None,
        password: "secret-password".known(),
        role,
        department_id,
        email: Default::default(),
    };
    insert_user(&mut conn, &new).await.unwrap();
    depot::auth::create_api_token(&mut conn, username, "tests", None)
        .await
        .unwrap()
}

#[track_caller]
fn expect(want: StatusCode, (status, body): (StatusCode, Value), uri: &str) -> Value {
    assert_eq!(status, want, "{uri}: {body}");
    body
}

fn ids(list: &Value) -> Vec<i64> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_i64().or(a["asset_id"].as_i64()).unwrap())
        .collect()
}

/// The order's own status changes as (action, from, to).
fn status_log(events: &Value) -> Vec<(String, Option<String>, String)> {
    events
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["asset_id"].is_null())
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_owned(),
                e["from_state"].as_str().map(str::to_owned),
                e["to_state"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn step(action: &str, from: Option<&str>, to: &str) -> (String, Option<String>, String) {
    (action.into(), from.map(Into::into), to.into())
}

/// How many events of the asset `action` the order's log holds.
fn asset_actions(events: &Value, action: &str) -> usize {
    events
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| !e["asset_id"].is_null() && e["action"] == action)
        .count()
}

#[sqlx::test(migrations = "./migrations")]
async fn transfer_hands_assets_over_for_good(pool: PgPool) {
    let w = World::new(pool).await;
    let stock = w.stock(3).await;

    let request = json!({ "purpose": "new branch office", "lines": [{ "category_id": w.category, "quantity": 2 }] });
    let transfer = w.post(&w.requester, "/api/transfers", request).await;
    assert_eq!(transfer["status"], "requested");
    assert_eq!(transfer["department_id"], w.department);
    let id = transfer["id"].as_i64().unwrap();

    let approved = w
        .post(&w.admin, &format!("/api/transfers/{id}/approve"), json!({}))
        .await;
    assert_eq!(approved["status"], "approved");
    let chosen = ids(&approved["assets"]);
    assert_eq!(chosen.len(), 2);
    for &asset in &chosen {
        assert_eq!(w.asset(asset).await["state"], "reserved");
    }

    let completed = w
        .post(&w.keeper, &format!("/api/transfers/{id}/issue"), json!({}))
        .await;
    assert_eq!(completed["status"], "completed");
    for &asset in &chosen {
        let a = w.asset(asset).await;
        assert_eq!(a["state"], "allocated", "{a}");
        assert_eq!(a["owner_department_id"], w.department);
        assert_eq!(a["holder_department_id"], w.department);
        assert!(a["zone_id"].is_null(), "{a}");
    }
    let untouched = stock.iter().find(|a| !chosen.contains(a)).unwrap();
    assert_eq!(w.asset(*untouched).await["state"], "in_stock");
    let live: i64 = sqlx::query_scalar(
        "select count(*) from reservations where order_kind = 'transfer' and released_at is null",
    )
    .fetch_one(&w.pool)
    .await
    .unwrap();
    assert_eq!(live, 0, "a completed transfer holds nothing");

    let events = w
        .get(&w.requester, &format!("/api/transfers/{id}/events"))
        .await;
    assert_eq!(
        status_log(&events),
        [
            step("request", None, "requested"),
            step("approve", Some("requested"), "approved"),
            step("issue", Some("approved"), "completed")
        ]
    );
    assert_eq!(asset_actions(&events, "reserve"), 2);
    assert_eq!(asset_actions(&events, "allocate"), 2);

    let message = w
        .refused(
            &w.requester,
            Method::POST,
            &format!("/api/transfers/{id}/cancel"),
            None,
            StatusCode::CONFLICT,
        )
        .await;
    assert_eq!(message, format!("cannot cancel transfer {id}: it is completed; cancel is allowed only when it is requested or approved"));
    w.assert_consistent().await;
}

#[sqlx::test(migrations = "./migrations")]
async fn cancelled_transfer_releases_its_assets(pool: PgPool) {
    let w = World::new(pool).await;
    let asset = w.stock(1).await[0];
    let request = json!({ "department_id": w.other_department, "purpose": "audit team", "lines": [{ "asset_id": asset }] });
    let first = w.post(&w.admin, "/api/transfers", request.clone()).await["id"]
        .as_i64()
        .unwrap();
    w.post(
        &w.admin,
        &format!("/api/transfers/{first}/approve"),
        json!({}),
    )
    .await;
    assert_eq!(w.asset(asset).await["state"], "reserved");

    // Held for good: a second transfer cannot have it meanwhile.
    let second = w.post(&w.admin, "/api/transfers", request).await["id"]
        .as_i64()
        .unwrap();
    w.refused(
        &w.admin,
        Method::POST,
        &format!("/api/transfers/{second}/approve"),
        None,
        StatusCode::CONFLICT,
    )
    .await;

    let cancelled = w
        .post(
            &w.outsider,
            &format!("/api/transfers/{first}/cancel"),
            json!({ "reason": "plans changed" }),
        )
        .await;
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(w.asset(asset).await["state"], "in_stock");

    let approved = w
        .post(
            &w.admin,
            &format!("/api/transfers/{second}/approve"),
            json!({}),
        )
        .await;
    assert_eq!(ids(&approved["assets"]), [asset]);
    w.assert_consistent().await;
}

#[sqlx::test(migrations = "./migrations")]
async fn requester_sees_only_own_department_transfers(pool: PgPool) {
    let w = World::new(pool).await;
    w.stock(1).await;
    let request = json!({ "purpose": "reading room", "lines": [{ "category_id": w.category }] });
    let id = w
        .post(&w.requester, "/api/transfers", request.clone())
        .await["id"]
        .as_i64()
        .unwrap();

    for uri in [
        format!("/api/transfers/{id}"),
        format!("/api/transfers/{id}/events"),
    ] {
        w.refused(&w.outsider, Method::GET, &uri, None, StatusCode::NOT_FOUND)
            .await;
    }
    w.refused(
        &w.outsider,
        Method::POST,
        &format!("/api/transfers/{id}/cancel"),
        None,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(w.get(&w.outsider, "/api/transfers").await["total"], 0);
    assert_eq!(w.get(&w.requester, "/api/transfers").await["total"], 1);
    assert_eq!(
        w.get(&w.auditor, &format!("/api/transfers/{id}")).await["id"],
        id
    );

    let mut for_them = request;
    for_them["department_id"] = json!(w.department);
    w.refused(
        &w.outsider,
        Method::POST,
        "/api/transfers",
        Some(for_them),
        StatusCode::FORBIDDEN,
    )
    .await;
    w.refused(
        &w.requester,
        Method::POST,
        &format!("/api/transfers/{id}/approve"),
        None,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_eq!(w.count("transfers").await, 1);
}

#[sqlx::test(migrations = "./migrations")]
async fn disposal_sold_at_auction_and_proceeds_remitted(pool: PgPool) {
    let w = World::new(pool).await;
    let assets = w.stock(2).await;
    let disposal = w
        .post(
            &w.keeper,
            "/api/disposals",
            json!({ "asset_ids": assets, "reason": "worn out after the games" }),
        )
        .await;
    assert_eq!(disposal["status"], "requested");
    assert_eq!(disposal["original_value_fen"], 70000);
    let id = disposal["id"].as_i64().unwrap();
    for &asset in &assets {
        assert_eq!(w.asset(asset).await["state"], "pending_disposal");
    }

    let uri = |action: &str| format!("/api/disposals/{id}/{action}");
    let sale = json!({ "sale_price_fen": 15050, "buyer": "Hengtai Recycling" });
    let message = w
        .refused(
            &w.admin,
            Method::POST,
            &uri("sell"),
            Some(sale.clone()),
            StatusCode::CONFLICT,
        )
        .await;
    assert_eq!(
        message,
        format!(
            "cannot sell disposal {id}: it is requested; sell is allowed only when it is approved"
        )
    );
    let message = w
        .refused(
            &w.admin,
            Method::POST,
            &uri("approve"),
            None,
            StatusCode::CONFLICT,
        )
        .await;
    assert_eq!(message, format!("cannot approve disposal {id}: it is requested; approve is allowed only when it is appraised"));
    let negative = json!({ "appraised_value_fen": -1, "appraiser": "City Appraisal Co." });
    w.refused(
        &w.keeper,
        Method::POST,
        &uri("appraise"),
        Some(negative),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;

    let appraised = w
        .post(
            &w.keeper,
            &uri("appraise"),
            json!({ "appraised_value_fen": 12000, "appraiser": "City Appraisal Co." }),
        )
        .await;
    assert_eq!(appraised["status"], "appraised");
    assert_eq!(appraised["appraised_value_fen"], 12000);
    w.refused(
        &w.keeper,
        Method::POST,
        &uri("approve"),
        None,
        StatusCode::FORBIDDEN,
    )
    .await;
    let approved = w.post(&w.admin, &uri("approve"), json!({})).await;
    assert_eq!(approved["status"], "approved");

    let sold = w.post(&w.admin, &uri("sell"), sale).await;
    assert_eq!(sold["status"], "sold");
    assert_eq!(sold["method"], "auction");
    assert_eq!(sold["sale_price_fen"], 15050);
    assert_eq!(sold["buyer"], "Hengtai Recycling");
    assert!(sold["remitted_at"].is_null());
    for &asset in &assets {
        let a = w.asset(asset).await;
        assert_eq!(a["state"], "disposed");
        assert!(a["zone_id"].is_null(), "{a}");
    }

    let remitted = w
        .post(
            &w.admin,
            &uri("remit"),
            json!({ "receipt_number": "GK-2026-0042" }),
        )
        .await;
    assert_eq!(remitted["status"], "remitted");
    assert_eq!(remitted["receipt_number"], "GK-2026-0042");
    assert!(remitted["remitted_at"].is_string());
    assert_eq!(
        remitted["appraised_value_fen"], 12000,
        "earlier figures are kept"
    );
    let message = w
        .refused(
            &w.admin,
            Method::POST,
            &uri("remit"),
            Some(json!({ "receipt_number": "again" })),
            StatusCode::CONFLICT,
        )
        .await;
    assert!(message.contains("it is remitted"), "{message}");

    let events = w.get(&w.auditor, &uri("events")).await;
    assert_eq!(
        status_log(&events),
        [
            step("request", None, "requested"),
            step("appraise", Some("requested"), "appraised"),
            step("approve", Some("appraised"), "approved"),
            step("sell", Some("approved"), "sold"),
            step("remit", Some("sold"), "remitted"),
        ]
    );
    let appraisal = events
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "appraise")
        .unwrap();
    assert_eq!(appraisal["details"]["appraised_value_fen"], 12000);
    assert_eq!(asset_actions(&events, "propose_disposal"), 2);
    assert_eq!(asset_actions(&events, "dispose"), 2);
    w.assert_consistent().await;
}

#[sqlx::test(migrations = "./migrations")]
async fn scrapped_disposal_has_nothing_to_remit(pool: PgPool) {
    let w = World::new(pool).await;
    let asset = w.stock(1).await[0];
    let id = w
        .post(
            &w.keeper,
            "/api/disposals",
            json!({ "asset_ids": [asset], "reason": "broken frame" }),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let uri = |action: &str| format!("/api/disposals/{id}/{action}");
    w.post(
        &w.keeper,
        &uri("appraise"),
        json!({ "appraised_value_fen": 0, "appraiser": "depot keeper" }),
    )
    .await;
    w.post(&w.admin, &uri("approve"), json!({})).await;

    let scrapped = w
        .post(
            &w.admin,
            &uri("scrap"),
            json!({ "reason": "beyond repair" }),
        )
        .await;
    assert_eq!(scrapped["status"], "scrapped");
    assert_eq!(scrapped["method"], "scrap");
    assert!(scrapped["sale_price_fen"].is_null());
    assert_eq!(w.asset(asset).await["state"], "disposed");

    let message = w
        .refused(
            &w.admin,
            Method::POST,
            &uri("remit"),
            Some(json!({ "receipt_number": "GK-1" })),
            StatusCode::CONFLICT,
        )
        .await;
    assert_eq!(
        message,
        format!(
            "cannot remit disposal {id}: it is scrapped; remit is allowed only when it is sold"
        )
    );

    // A disposed asset is gone for good: it cannot be put forward again.
    let again = json!({ "asset_ids": [asset], "reason": "again" });
    let message = w
        .refused(
            &w.admin,
            Method::POST,
            "/api/disposals",
            Some(again),
            StatusCode::CONFLICT,
        )
        .await;
    assert!(
        message.contains("disposed") && message.contains("allowed only from in_stock, in_repair"),
        "{message}"
    );
    assert_eq!(
        w.count("disposals").await,
        1,
        "the refused disposal left nothing behind"
    );
    w.assert_consistent().await;
}

#[sqlx::test(migrations = "./migrations")]
async fn rejected_disposal_returns_assets_to_stock(pool: PgPool) {
    let w = World::new(pool).await;
    let assets = w.stock(2).await;
    let id = w
        .post(
            &w.keeper,
            "/api/disposals",
            json!({ "asset_ids": assets, "reason": "surplus" }),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let uri = format!("/api/disposals/{id}/reject");
    w.refused(
        &w.admin,
        Method::POST,
        &uri,
        None,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;

    let rejected = w
        .post(
            &w.admin,
            &uri,
            json!({ "reason": "still needed for the spring plenary" }),
        )
        .await;
    assert_eq!(rejected["status"], "rejected");
    for &asset in &assets {
        assert_eq!(w.asset(asset).await["state"], "in_stock");
    }
    let events = w
        .get(&w.admin, &format!("/api/disposals/{id}/events"))
        .await;
    assert_eq!(asset_actions(&events, "withdraw_disposal"), 2);
    w.assert_consistent().await;
}

#[sqlx::test(migrations = "./migrations")]
async fn requester_cannot_propose_or_see_disposals(pool: PgPool) {
    let w = World::new(pool).await;
    let asset = w.stock(1).await[0];
    let body = json!({ "asset_ids": [asset], "reason": "we do not want it" });
    w.refused(
        &w.requester,
        Method::POST,
        "/api/disposals",
        Some(body.clone()),
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_eq!(w.asset(asset).await["state"], "in_stock");

    let id = w.post(&w.keeper, "/api/disposals", body).await["id"]
        .as_i64()
        .unwrap();
    w.refused(
        &w.requester,
        Method::GET,
        "/api/disposals",
        None,
        StatusCode::FORBIDDEN,
    )
    .await;
    for uri in [
        format!("/api/disposals/{id}"),
        format!("/api/disposals/{id}/events"),
    ] {
        w.refused(&w.requester, Method::GET, &uri, None, StatusCode::NOT_FOUND)
            .await;
    }
    assert_eq!(w.get(&w.auditor, "/api/disposals").await["total"], 1);
    w.refused(
        &w.auditor,
        Method::POST,
        &format!("/api/disposals/{id}/cancel"),
        Some(json!({ "reason": "x" })),
        StatusCode::FORBIDDEN,
    )
    .await;
}

#[sqlx::test(migrations = "./migrations")]
async fn intake_with_a_bad_item_creates_nothing(pool: PgPool) {
    let w = World::new(pool).await;
    let good = |name: &str| json!({ "name": name, "category_id": w.category, "original_value_fen": 120000 });
    let cases = [
        (
            json!({ "name": "  ", "category_id": w.category, "original_value_fen": 1 }),
            "items[2]: an asset needs a name",
        ),
        (
            json!({ "name": "Desk", "category_id": w.category + 1000, "original_value_fen": 1 }),
            "items[2]: no such category",
        ),
        (
            json!({ "name": "Desk", "category_id": w.category, "original_value_fen": -5 }),
            // refused as the body is read, naming the field
            "invalid request body: Failed to deserialize the JSON body into the target type: items[2].original_value_fen: an amount is 0 to",
        ),
        (
            json!({ "name": "Desk", "category_id": w.category, "original_value_fen": 1, "epc": "XYZ" }),
            "items[2]: EPC",
        ),
    ];
    for (bad, want) in cases {
        let body = json!({ "source_class": "abolished_body", "source_department_id": w.department, "items": [good("Desk 1"), good("Desk 2"), bad] });
        // A category that is not there is the state of things (409); the rest break a rule.
        let status = if want.contains("no such") {
            StatusCode::CONFLICT
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        let message = w
            .refused(&w.keeper, Method::POST, "/api/intakes", Some(body), status)
            .await;
        assert!(
            message.starts_with(want),
            "{message:?} should start with {want:?}"
        );
    }
    let twice = json!({ "name": "Desk", "category_id": w.category, "original_value_fen": 1, "epc": "E2801160600002" });
    let body =
        json!({ "source_class": "other_idle", "items": [twice.clone(), good("Desk"), twice] });
    let message = w
        .refused(
            &w.keeper,
            Method::POST,
            "/api/intakes",
            Some(body),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    assert!(
        message.starts_with("items[2]: EPC E2801160600002 is already given for items[0]"),
        "{message}"
    );

    for table in ["intakes", "assets", "intake_assets", "events"] {
        assert_eq!(w.count(table).await, 0, "{table} after refused intakes");
    }
    let body = json!({ "source_class": "other_idle", "items": [good("Desk")] });
    w.refused(
        &w.requester,
        Method::POST,
        "/api/intakes",
        Some(body),
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_eq!(w.count("assets").await, 0);
}

#[sqlx::test(migrations = "./migrations")]
async fn intake_receives_assets_into_stock_at_a_zone(pool: PgPool) {
    let w = World::new(pool).await;
    let items = json!([
        { "name": "Projector", "category_id": w.category, "original_value_fen": 480000 },
        { "name": "Screen", "category_id": w.category, "original_value_fen": 90000, "epc": "e2801160600002a1b2c3d4e5" },
        { "name": "Lectern", "category_id": w.category, "original_value_fen": 60000 },
    ]);
    let body = json!({ "source_class": "abolished_body", "source_department_id": w.department, "description": "leftovers of the expo office", "items": items });
    let intake = w.post(&w.keeper, "/api/intakes", body).await;
    assert_eq!(intake["status"], "open");
    assert_eq!(intake["asset_count"], 3);
    assert_eq!(intake["awaiting_receipt"], 3);
    let id = intake["id"].as_i64().unwrap();
    let assets = ids(&intake["assets"]);
    for a in intake["assets"].as_array().unwrap() {
        assert_eq!(a["state"], "registered");
        assert_eq!(a["source_class"], "abolished_body");
        assert!(a["owner_department_id"].is_null());
    }
    assert!(
        intake["assets"][0]["tag_uri"]
            .as_str()
            .unwrap()
            .starts_with("urn:epc:tag:giai-96:"),
        "{}",
        intake["assets"][0]
    );
    assert_eq!(intake["assets"][1]["epc"], "E2801160600002A1B2C3D4E5");

    let uri = format!("/api/intakes/{id}/receive");
    let partial = w
        .post(
            &w.keeper,
            &uri,
            json!({ "zone_id": w.zone, "asset_ids": [assets[1]] }),
        )
        .await;
    assert_eq!(partial["status"], "open");
    assert_eq!(partial["awaiting_receipt"], 2);
    let screen = w.asset(assets[1]).await;
    assert_eq!(screen["state"], "in_stock");
    assert_eq!(screen["zone_id"], w.zone);
    assert_eq!(w.asset(assets[0]).await["state"], "registered");
    let message = w
        .refused(
            &w.keeper,
            Method::POST,
            &uri,
            Some(json!({ "zone_id": w.zone, "asset_ids": [assets[1]] })),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    assert_eq!(
        message,
        format!("asset {} is not awaiting receipt on intake {id}", assets[1])
    );
    w.refused(
        &w.keeper,
        Method::POST,
        &uri,
        Some(json!({ "zone_id": w.zone + 1000 })),
        StatusCode::CONFLICT,
    )
    .await;

    let completed = w.post(&w.keeper, &uri, json!({ "zone_id": w.zone })).await;
    assert_eq!(completed["status"], "completed");
    assert_eq!(completed["awaiting_receipt"], 0);
    for &asset in &assets {
        let a = w.asset(asset).await;
        assert_eq!(a["state"], "in_stock");
        assert_eq!(a["zone_id"], w.zone);
    }
    let message = w
        .refused(
            &w.keeper,
            Method::POST,
            &uri,
            Some(json!({ "zone_id": w.zone })),
            StatusCode::CONFLICT,
        )
        .await;
    assert_eq!(
        message,
        format!(
            "cannot receive intake {id}: it is completed; receive is allowed only when it is open"
        )
    );

    let events = w
        .get(&w.requester, &format!("/api/intakes/{id}/events"))
        .await;
    assert_eq!(
        status_log(&events),
        [
            step("open", None, "open"),
            step("receive", Some("open"), "open"),
            step("receive", Some("open"), "completed")
        ]
    );
    assert_eq!(asset_actions(&events, "register"), 3);
    assert_eq!(asset_actions(&events, "receive"), 3);
    assert_eq!(w.get(&w.requester, "/api/intakes").await["total"], 1);
    assert_eq!(w.get(&w.outsider, "/api/intakes").await["total"], 0);
    w.refused(
        &w.outsider,
        Method::GET,
        &format!("/api/intakes/{id}"),
        None,
        StatusCode::NOT_FOUND,
    )
    .await;
    w.assert_consistent().await;
}

#[sqlx::test(migrations = "./migrations")]
async fn intake_can_be_cancelled_only_before_anything_is_received(pool: PgPool) {
    let w = World::new(pool).await;
    let items = json!([
        { "name": "Table 1", "category_id": w.category, "original_value_fen": 50000 },
        { "name": "Table 2", "category_id": w.category, "original_value_fen": 50000 },
    ]);
    let body = json!({ "source_class": "institutional_reform", "items": items });
    let first = w.post(&w.keeper, "/api/intakes", body.clone()).await["id"]
        .as_i64()
        .unwrap();
    let cancelled = w
        .post(
            &w.keeper,
            &format!("/api/intakes/{first}/cancel"),
            json!({ "reason": "never delivered" }),
        )
        .await;
    assert_eq!(cancelled["status"], "cancelled");
    assert!(cancelled["assets"]
        .as_array()
        .unwrap()
        .iter()
        .all(|a| a["state"] == "registered"));

    let second = w.post(&w.keeper, "/api/intakes", body).await;
    let id = second["id"].as_i64().unwrap();
    let one = second["assets"][0]["id"].as_i64().unwrap();
    w.post(
        &w.keeper,
        &format!("/api/intakes/{id}/receive"),
        json!({ "zone_id": w.zone, "asset_ids": [one] }),
    )
    .await;
    let message = w
        .refused(
            &w.keeper,
            Method::POST,
            &format!("/api/intakes/{id}/cancel"),
            None,
            StatusCode::CONFLICT,
        )
        .await;
    assert!(
        message.contains("1 of its assets were already received"),
        "{message}"
    );
    assert_eq!(
        w.get(&w.auditor, &format!("/api/intakes/{id}")).await["status"],
        "open"
    );
    // No department handed it over, so no requester's paperwork.
    w.refused(
        &w.requester,
        Method::GET,
        &format!("/api/intakes/{id}"),
        None,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(w.get(&w.requester, "/api/intakes").await["total"], 0);
    w.assert_consistent().await;
}

#[sqlx::test(migrations = "./migrations")]
async fn openapi_documents_the_order_endpoints(pool: PgPool) {
    let w = World::new(pool).await;
    let doc = w.get(&w.auditor, "/api/openapi.json").await;
    for path in [
        "/transfers",
        "/transfers/{id}",
        "/transfers/{id}/events",
        "/transfers/{id}/approve",
        "/transfers/{id}/reject",
        "/transfers/{id}/cancel",
        "/transfers/{id}/issue",
        "/disposals",
        "/disposals/{id}",
        "/disposals/{id}/events",
        "/disposals/{id}/appraise",
        "/disposals/{id}/approve",
        "/disposals/{id}/reject",
        "/disposals/{id}/cancel",
        "/disposals/{id}/sell",
        "/disposals/{id}/scrap",
        "/disposals/{id}/remit",
        "/intakes",
        "/intakes/{id}",
        "/intakes/{id}/events",
        "/intakes/{id}/receive",
        "/intakes/{id}/cancel",
    ] {
        assert!(
            doc["paths"][path].is_object(),
            "{path} missing from the OpenAPI document"
        );
    }
}
