//! Helpers shared by the integration tests: a seeded world and a client that drives the
//! real router in-process.
#![allow(dead_code)]

pub mod site;
pub mod traces;

use axum::body::Body;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use depot::domain::bounds::Known as _;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use sqlx::PgPool;
use tower::ServiceExt;

use depot::app::App;
use depot::auth::Role;
use depot::config::Config;
use depot::server;

pub const PASSWORD: &str = "secret-password";

/// The reader pipeline as tests run it: no drivers, no clock; the test moves time.
pub fn pipeline() -> depot::ingest::Options {
    depot::ingest::Options {
        tick: None,
        connect_readers: false,
        capacity: 16,
        record_latency: false,
        ..Default::default()
    }
}

/// Today in the depot's time zone (the default configuration's): the day the service
/// calls today, which is not UTC's for eight hours of each day.
pub fn today() -> chrono::NaiveDate {
    chrono::Utc::now()
        .with_timezone(&depot::config::default_time_zone())
        .date_naive()
}

/// The departments, people and places every test starts from.
pub struct World {
    pub app: axum::Router,
    pub pool: PgPool,
    pub finance: i64,
    pub culture: i64,
    pub warehouse: i64,
    pub shelf: i64,
    pub shelf2: i64,
    pub tables: i64,
    pub chairs: i64,
    pub admin: String,
    pub keeper: String,
    pub requester: String,
    pub requester2: String,
    pub auditor: String,
    /// The finance approver, who signs off what the approval chain sends to finance.
    pub approver: String,
}

impl World {
    pub async fn new(pool: PgPool) -> World {
        let app = server::router(App::new(pool.clone(), Config::for_database(None)));
        let id = |sql: &'static str| {
            let pool = pool.clone();
            async move {
                sqlx::query_scalar::<_, i64>(sql)
                    .fetch_one(&pool)
                    .await
                    .unwrap()
            }
        };
        let finance = id(
            "insert into departments (code, name) values ('FIN', 'Finance Bureau') returning id",
        )
        .await;
        let culture = id(
            "insert into departments (code, name) values ('CUL', 'Culture Bureau') returning id",
        )
        .await;
        let warehouse =
            id("insert into warehouses (code, name) values ('W1', 'Main depot') returning id")
                .await;
        let shelf = sqlx::query_scalar(
            "insert into zones (warehouse_id, code, name) values ($1, 'A', 'Aisle A') returning id",
        )
        .bind(warehouse)
        .fetch_one(&pool)
        .await
        .unwrap();
        let shelf2 = sqlx::query_scalar(
            "insert into zones (warehouse_id, code, name) values ($1, 'B', 'Aisle B') returning id",
        )
        .bind(warehouse)
        .fetch_one(&pool)
        .await
        .unwrap();
        let tables =
            id("insert into categories (code, name) values ('TBL', 'folding table') returning id")
                .await;
        let chairs =
            id("insert into categories (code, name) values ('CHR', 'chair') returning id").await;
        let mut world = World {
            app,
            pool,
            finance,
            culture,
            warehouse,
            shelf,
            shelf2,
            tables,
            chairs,
            admin: String::new(),
            keeper: String::new(),
            requester: String::new(),
            requester2: String::new(),
            auditor: String::new(),
            approver: String::new(),
        };
        world.admin = world.user("admin", Role::Admin, None).await;
        world.keeper = world.user("keeper", Role::Keeper, None).await;
        world.requester = world
            .user("requester", Role::Requester, Some(finance))
            .await;
        world.requester2 = world
            .user("requester2", Role::Requester, Some(culture))
            .await;
        world.auditor = world.user("auditor", Role::Auditor, None).await;
        world.approver = world.user("approver", Role::Finance, None).await;
        world
    }

    /// The same world served by a router that has the reader pipeline.
    pub fn with_ingest(self, ingest: &depot::ingest::Ingest) -> World {
        let app =
            App::new(self.pool.clone(), Config::for_database(None)).with_ingest(ingest.clone());
        World {
            app: server::router(app),
            ..self
        }
    }

    /// Create a user and return an API token for them.
    pub async fn user(&self, username: &str, role: Role, department_id: Option<i64>) -> String {
        let mut conn = self.pool.acquire().await.unwrap();
        let body = depot::app::people::NewUser {
            username: username.known(),
            display_name: None,
            password: PASSWORD.known(),
            role,
            department_id,
            email: Default::default(),
        };
        depot::app::people::insert_user(&mut conn, &body)
            .await
            .unwrap();
        depot::auth::create_api_token(&mut conn, username, "test", None)
            .await
            .unwrap()
    }

    /// Register `n` assets of a category and receive them into the shelf zone.
    pub async fn stock(&self, category: i64, n: usize) -> Vec<i64> {
        let mut ids = Vec::new();
        for i in 0..n {
            let (status, asset) = self
                .call(
                    Method::POST,
                    "/api/assets",
                    &self.keeper,
                    Some(json!({"name": format!("item {i}"), "category_id": category, "original_value_fen": 45_000})),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED, "{asset}");
            let id = asset["id"].as_i64().unwrap();
            self.set_in_stock(id).await;
            ids.push(id);
        }
        ids
    }

    /// Receive a registered asset into the shelf, through the lifecycle.
    pub async fn set_in_stock(&self, id: i64) {
        let mut tx = self.pool.begin().await.unwrap();
        depot::db::events::transition(
            &mut tx,
            id,
            depot::domain::lifecycle::AssetAction::Receive,
            &Default::default(),
        )
        .await
        .unwrap();
        sqlx::query("update assets set zone_id = $2 where id = $1")
            .bind(id)
            .bind(self.shelf)
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }

    /// One request with a bearer token (empty token: anonymous). Returns status and JSON body.
    /// A loan of `assets` for the requester's department, approved (the assets reserved
    /// on it): by the admin, and by the finance approver when the approval chain asks.
    pub async fn approved_loan(&self, assets: &[i64]) -> i64 {
        let (status, loan) = self
            .call(
                Method::POST,
                "/api/loans",
                &self.requester,
                Some(
                    json!({"purpose": "conference", "starts_on": today(), "ends_on": "2031-01-01",
                    "lines": assets.iter().map(|a| json!({"asset_id": a})).collect::<Vec<_>>()}),
                ),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{loan}");
        let loan = loan["id"].as_i64().unwrap();
        let (status, body) = self
            .call(
                Method::POST,
                &format!("/api/loans/{loan}/approve"),
                &self.admin,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        self.sign_off_if_asked(loan, &body).await;
        loan
    }

    /// The finance approver's sign-off of a loan the admin's approval (`approved`, its
    /// answer) sent to finance; nothing for one already approved.
    pub async fn sign_off_if_asked(&self, loan: i64, approved: &Value) {
        if approved["status"] == "awaiting_finance" {
            let (status, body) = self
                .call(
                    Method::POST,
                    &format!("/api/loans/{loan}/sign-off"),
                    &self.approver,
                    None,
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{body}");
            assert_eq!(body["status"], "approved", "{body}");
        }
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = Request::builder().method(method).uri(path);
        if !token.is_empty() {
            req = req.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let req = match body {
            Some(b) => req
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(b.to_string())),
            None => req.body(Body::empty()),
        }
        .unwrap();
        self.send(req).await
    }

    /// Upload a handheld's reads as CSV (`text/csv`) to `path`, with `token`.
    pub async fn upload_csv(&self, path: &str, token: &str, csv: String) -> (StatusCode, Value) {
        let req = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "text/csv")
            .body(Body::from(csv))
            .unwrap();
        self.send(req).await
    }

    pub async fn send(&self, req: Request<Body>) -> (StatusCode, Value) {
        let response = self.app.clone().oneshot(req).await.unwrap();
        let status = response.status();
        // A file the API sends (the register as CSV or XLSX) is no JSON: its size stands in.
        let file = response
            .headers()
            .get(header::CONTENT_DISPOSITION)
            .is_some_and(|v| v.as_bytes().starts_with(b"attachment"));
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let value = if bytes.is_empty() {
            Value::Null
        } else if file {
            json!({"attachment_bytes": bytes.len()})
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|_| {
                panic!("not JSON ({status}): {}", String::from_utf8_lossy(&bytes))
            })
        };
        (status, value)
    }

    /// The id of a user.
    pub async fn user_id(&self, username: &str) -> i64 {
        sqlx::query_scalar("select id from users where username = $1")
            .bind(username)
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }

    /// Sign in through the API as if from `from` (the peer address a real connection
    /// carries); returns the whole response.
    pub async fn sign_in_from(
        &self,
        username: &str,
        password: &str,
        from: Option<std::net::IpAddr>,
    ) -> axum::response::Response {
        let mut req = Request::builder()
            .method(Method::POST)
            .uri("/api/session")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(
                json!({"username": username, "password": password}).to_string(),
            ))
            .unwrap();
        if let Some(ip) = from {
            req.extensions_mut()
                .insert(axum::extract::ConnectInfo(std::net::SocketAddr::new(
                    ip, 40000,
                )));
        }
        self.app.clone().oneshot(req).await.unwrap()
    }

    /// A loan of `n` folding tables for the finance department, requested by `requester`.
    pub async fn request_tables(&self, n: i64, starts: &str, ends: &str) -> i64 {
        let lines = json!([{"category_id": self.tables, "quantity": n}]);
        self.requested(&self.requester, "annual conference", starts, ends, lines)
            .await
    }

    /// A loan of `lines` requested by `token` for the dates, whatever the stock (a short
    /// request made knowingly); its id. One that starts in the past was requested back
    /// then: a request today may not start before today, so it is made for today and its
    /// dates moved back.
    pub async fn requested(
        &self,
        token: &str,
        purpose: &str,
        starts: &str,
        ends: &str,
        lines: Value,
    ) -> i64 {
        let today = today().to_string();
        let back_then = starts < today.as_str();
        let (requested_starts, requested_ends) = match back_then {
            true => (today.as_str(), today.as_str().max(ends)),
            false => (starts, ends),
        };
        let (status, loan) = self
            .call(
                Method::POST,
                "/api/loans",
                token,
                Some(json!({"purpose": purpose, "starts_on": requested_starts,
                            "ends_on": requested_ends, "lines": lines,
                            "accept_shortfall": true})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{loan}");
        let id = loan["id"].as_i64().unwrap();
        if back_then {
            sqlx::query("update loans set starts_on = $2::date, ends_on = $3::date where id = $1")
                .bind(id)
                .bind(starts)
                .bind(ends)
                .execute(&self.pool)
                .await
                .unwrap();
        }
        id
    }

    /// Let time pass for a loan approved or issued today: it becomes one of `starts` to
    /// `ends`, its reservations with it (a loan whose last day has passed is not approved,
    /// so a past loan is approved first, then dated back).
    pub async fn date_back(&self, loan: i64, starts: &str, ends: &str) {
        sqlx::query(
            "with l as (update loans set starts_on = $2::date, ends_on = $3::date where id = $1)
             update reservations
             set period = tstzrange($2::date::timestamptz, ($3::date + 1)::timestamptz, '[)')
             where order_kind = 'loan' and order_id = $1",
        )
        .bind(loan)
        .bind(starts)
        .bind(ends)
        .execute(&self.pool)
        .await
        .unwrap();
    }

    /// The keeper hands over an approved loan's assets, through the API.
    pub async fn hand_over(&self, loan: i64) {
        let path = format!("/api/loans/{loan}/issue");
        let (status, body) = self.call(Method::POST, &path, &self.keeper, None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }

    /// Finance asks for five folding tables; the depot has two: the admin approves those
    /// two. The loan and the tables.
    pub async fn short_loan(&self) -> (i64, Vec<i64>) {
        let tables = self.stock(self.tables, 2).await;
        let loan = self.request_tables(5, "2030-03-01", "2030-03-03").await;
        let (status, body) = self
            .call(
                Method::POST,
                &format!("/api/loans/{loan}/approve"),
                &self.admin,
                Some(json!({"asset_ids": tables, "reason": "two in stock, three rented"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        (loan, tables)
    }

    /// A handheld reader named `name`, its one antenna over the shelf.
    pub async fn handheld(&self, name: &str) {
        let new = depot::db::readers::NewReader {
            name: name.known(),
            address: "handheld:".known(),
            enabled: true,
            read_points: vec![depot::db::readers::ReadPoint {
                antenna: 1,
                zone_id: self.shelf,
            }],
        };
        depot::db::readers::create(&mut self.pool.acquire().await.unwrap(), &new)
            .await
            .unwrap();
    }

    /// A stocktake of `warehouse`, created and started by the keeper through the API: the
    /// API's answer to the start.
    pub async fn started_stocktake(&self, warehouse: i64) -> Value {
        let (status, st) = self
            .call(
                Method::POST,
                "/api/stocktakes",
                &self.keeper,
                Some(json!({"warehouse_id": warehouse})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{st}");
        let id = st["id"].as_i64().unwrap();
        let (status, st) = self
            .call(
                Method::POST,
                &format!("/api/stocktakes/{id}/start"),
                &self.keeper,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{st}");
        st
    }

    pub async fn asset_state(&self, id: i64) -> String {
        sqlx::query_scalar("select state::text from assets where id = $1")
            .bind(id)
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }

    /// The invariant behind everything: each asset's state is the last state its log records.
    pub async fn assert_log_agrees(&self) {
        let mut conn = self.pool.acquire().await.unwrap();
        let bad = depot::db::events::inconsistent_assets(&mut conn)
            .await
            .unwrap();
        assert!(
            bad.is_empty(),
            "assets whose state disagrees with their event log: {bad:?}"
        );
        // The last day of the loan each asset is out on, as the triggers keep it, agrees
        // with its reservations.
        let stale: Vec<(i64, Option<chrono::NaiveDate>)> = sqlx::query_as(
            "select id, out_until from assets where out_until is distinct from asset_out_until(id)",
        )
        .fetch_all(&mut *conn)
        .await
        .unwrap();
        assert!(
            stale.is_empty(),
            "assets whose out_until is stale: {stale:?}"
        );
    }
}

// --- The pages, as a browser sends requests to them -----------------------------------

/// What a page request returns.
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// The page a redirect leads to, without what it says there (`?done=…`) or where on
    /// it (`#…`).
    pub fn landed(&self) -> &str {
        let to = self.location();
        to.split(['?', '#']).next().unwrap_or(to)
    }

    /// The form token printed in the page.
    #[track_caller]
    pub fn csrf(&self) -> String {
        let at = self
            .body
            .find("name=\"csrf\" value=\"")
            .expect("the page has a form token")
            + 19;
        self.body[at..].split('"').next().unwrap().to_owned()
    }
}

pub async fn send(world: &World, req: Request<Body>) -> Reply {
    let response = world.app.clone().oneshot(req).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    Reply {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

pub async fn get(world: &World, path: &str, cookie: &str) -> Reply {
    let mut req = Request::get(path);
    if !cookie.is_empty() {
        req = req.header(header::COOKIE, cookie);
    }
    send(world, req.body(Body::empty()).unwrap()).await
}

/// A form post as a browser on our own page sends it.
pub async fn post(world: &World, path: &str, cookie: &str, fields: &[(&str, &str)]) -> Reply {
    post_from(world, path, cookie, fields, None).await
}

pub async fn post_from(
    world: &World,
    path: &str,
    cookie: &str,
    fields: &[(&str, &str)],
    origin: Option<&str>,
) -> Reply {
    let body = serde_urlencoded::to_string(fields).unwrap();
    let mut req = Request::post(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::HOST, "depot.test");
    if !cookie.is_empty() {
        req = req.header(header::COOKIE, cookie);
    }
    if let Some(origin) = origin {
        req = req.header(header::ORIGIN, origin);
    }
    send(world, req.body(Body::from(body)).unwrap()).await
}

/// A multipart form as a browser on our page sends it: the fields, then the files.
pub async fn post_multipart(
    world: &World,
    path: &str,
    cookie: &str,
    fields: &[(&str, &str)],
    file: Option<(&str, &[u8])>,
) -> Reply {
    let boundary = "----depotformboundary7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                .as_bytes(),
        );
    }
    if let Some((file_name, bytes)) = file {
        // As a browser labels it, by its name.
        let content_type = match file_name.rsplit('.').next() {
            Some("pdf") => "application/pdf",
            Some("png") => "image/png",
            _ => "text/csv",
        };
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: {content_type}\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    let req = axum::http::Request::post(path)
        .header(
            axum::http::header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .header(axum::http::header::HOST, "depot.test")
        .header(axum::http::header::COOKIE, cookie)
        .body(axum::body::Body::from(body))
        .unwrap();
    send(world, req).await
}

/// The sign-in form, posted.
pub async fn login_form(world: &World, user: &str, password: &str, next: &str) -> Reply {
    post(
        world,
        "/login",
        "",
        &[("username", user), ("password", password), ("next", next)],
    )
    .await
}

/// Sign in through the page; returns the Cookie header value to send afterwards.
pub async fn login(world: &World, user: &str) -> String {
    let reply = login_form(world, user, PASSWORD, "/").await;
    assert_eq!(
        reply.status,
        StatusCode::SEE_OTHER,
        "{user} signs in: {}",
        reply.body
    );
    let set = reply
        .headers
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap();
    set.split(';').next().unwrap().to_owned()
}

/// A zone of `kind` in the world's warehouse, made by the admin through the API.
pub async fn zone(world: &World, code: &str, kind: &str) -> i64 {
    let (status, zone) = world
        .call(
            Method::POST,
            &format!("/api/warehouses/{}/zones", world.warehouse),
            &world.admin,
            Some(json!({"code": code, "name": code, "kind": kind})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{zone}");
    zone["id"].as_i64().unwrap()
}
