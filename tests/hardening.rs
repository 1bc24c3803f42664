//! Hostile and malformed requests: each answers 4xx with a message (never 500), redirects
//! stay on this site, sign-in resists guessing, credentials end when they should, and one
//! client cannot hold the server's resources.

mod common;

use std::net::IpAddr;
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use common::{get, login, login_form, post, World, PASSWORD};
use depot::app::App;
use depot::config::Config;
use depot::server;
use serde_json::{json, Value};
use sqlx::PgPool;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tower::ServiceExt;

#[track_caller]
fn refused(status: StatusCode, body: &Value, what: &str) {
    assert!(
        status.is_client_error(),
        "{what}: expected 4xx, got {status}: {body}"
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{what}: no message: {body}"
    );
}

async fn count(world: &World, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(&world.pool)
        .await
        .unwrap()
}

/// A JSON request with a session cookie instead of a token.
fn with_cookie(method: Method, uri: &str, cookie: &str, body: Option<Value>) -> Request<Body> {
    let req = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::COOKIE, cookie)
        .header(header::CONTENT_TYPE, "application/json");
    match body {
        Some(b) => req.body(Body::from(b.to_string())),
        None => req.body(Body::empty()),
    }
    .unwrap()
}

fn session_cookie(response: &axum::response::Response) -> String {
    response.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

#[sqlx::test(migrations = "./migrations")]
async fn nul_bytes_are_refused_with_a_message_never_a_500(pool: PgPool) {
    let world = World::new(pool).await;
    let (status, body) = world
        .call(
            Method::POST,
            "/api/session",
            "",
            Some(json!({"username": "ad\u{0}min", "password": "x"})),
        )
        .await;
    refused(status, &body, "NUL in the username, signed out");
    let (status, body) = world
        .call(Method::GET, "/api/assets?q=a%00b", &world.keeper, None)
        .await;
    refused(status, &body, "NUL in q");
    let (status, body) = world
        .call(
            Method::POST,
            "/api/loans",
            &world.requester,
            Some(
                json!({"purpose": "party\u{0}", "starts_on": "2030-01-08", "ends_on": "2030-01-08",
                        "lines": [{"category_id": world.tables, "quantity": 1}]}),
            ),
        )
        .await;
    refused(status, &body, "NUL in a loan purpose");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("purpose"),
        "the field is named: {body}"
    );

    let form = login_form(&world, "admin\0", PASSWORD, "/").await;
    assert_eq!(
        form.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "sign-in form: {}",
        form.body
    );
    let cookie = login(&world, "requester").await;
    let loan_form = get(&world, "/loans/new", &cookie).await;
    let reply = post(
        &world,
        "/loans",
        &cookie,
        &[
            ("csrf", &loan_form.csrf()),
            ("category", &world.tables.to_string()),
            ("quantity", "1"),
            ("from", "2030-01-08"),
            ("purpose", "party\0time"),
        ],
    )
    .await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.body
    );
    assert!(reply.body.contains("control characters"), "{}", reply.body);
    for path in ["/catalogue?q=%00", "/assets?q=%00"] {
        let page = get(&world, path, &cookie).await;
        assert!(page.status.is_client_error(), "{path}: {}", page.status);
    }
    assert_eq!(count(&world, "select count(*) from loans").await, 0);
}

#[sqlx::test(migrations = "./migrations")]
async fn page_numbers_and_dates_have_bounds(pool: PgPool) {
    let world = World::new(pool).await;
    for path in [
        "/api/loans?page=9223372036854775807",
        "/api/assets?page=0",
        "/api/compensations?page=100001",
    ] {
        let (status, body) = world.call(Method::GET, path, &world.admin, None).await;
        refused(status, &body, path);
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
    }
    // Page numbers end at 200 (an offset reads every row before it): page 200 of 500 is
    // answered (empty here), 201 refused with the bound; `after` walks on past it.
    for path in [
        "/api/loans?page=200&per_page=500",
        "/api/users?page=200",
        "/api/assets?state=in_stock&page=200",
    ] {
        let (status, page) = world.call(Method::GET, path, &world.admin, None).await;
        assert_eq!(
            (status, page["items"].as_array().unwrap().len()),
            (StatusCode::OK, 0),
            "{path}: {page}"
        );
    }
    for path in [
        "/api/loans?page=201&per_page=500",
        "/api/users?page=201",
        "/api/assets?state=in_stock&page=2000",
    ] {
        let (status, body) = world.call(Method::GET, path, &world.admin, None).await;
        refused(status, &body, path);
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains("1 to 200"), "{path}: {body}");
    }

    for (starts, ends) in [
        ("-4714-01-01", "2030-01-01"),
        ("2030-01-01", "2201-01-01"),
        ("1899-12-31", "1900-01-02"),
    ] {
        let (status, body) = world
            .call(
                Method::POST,
                "/api/loans",
                &world.requester,
                Some(json!({"purpose": "x", "starts_on": starts, "ends_on": ends,
                            "lines": [{"category_id": world.tables, "quantity": 1}]})),
            )
            .await;
        refused(status, &body, starts);
    }
    let asset = world.stock(world.tables, 1).await[0];
    let (status, body) = world
        .call(
            Method::PATCH,
            &format!("/api/assets/{asset}"),
            &world.keeper,
            Some(json!({"acquired_on": "0001-01-01"})),
        )
        .await;
    refused(status, &body, "acquired_on");

    let cookie = login(&world, "requester").await;
    let page = get(&world, "/catalogue?from=-200000-01-01", &cookie).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST, "{}", page.body);
    assert!(page.body.contains("out of range") || page.body.contains("not a date"));
    let page = get(&world, "/catalogue?from=2030-01-08&to=", &cookie).await;
    assert_eq!(page.status, StatusCode::OK);
}

#[sqlx::test(migrations = "./migrations")]
async fn money_is_bounded_and_sums_never_overflow(pool: PgPool) {
    let world = World::new(pool).await;
    let ids = world.stock(world.tables, 2).await;
    for value in [json!(i64::MAX), json!(10_000_000_000_001_i64), json!(-1)] {
        let (status, body) = world
            .call(
                Method::PATCH,
                &format!("/api/assets/{}", ids[0]),
                &world.keeper,
                Some(json!({ "original_value_fen": value })),
            )
            .await;
        refused(status, &body, &value.to_string());
    }
    let (status, _) = world
        .call(
            Method::PATCH,
            &format!("/api/assets/{}", ids[0]),
            &world.keeper,
            Some(json!({"original_value_fen": 10_000_000_000_000_i64})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "the maximum itself is fine");

    let (status, disposal) = world
        .call(
            Method::POST,
            "/api/disposals",
            &world.keeper,
            Some(json!({"asset_ids": ids, "reason": "worn out"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{disposal}");
    let disposal = disposal["id"].as_i64().unwrap();

    // The pages' yuan parser used to wrap this to 84 fen.
    let cookie = login(&world, "admin").await;
    let page = get(&world, &format!("/disposals/{disposal}"), &cookie).await;
    let reply = post(
        &world,
        &format!("/disposals/{disposal}/appraise"),
        &cookie,
        &[
            ("csrf", &page.csrf()),
            ("value", "184467440737095517"),
            ("appraiser", "Acme"),
        ],
    )
    .await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.body
    );
    assert_eq!(
        count(
            &world,
            "select count(*) from disposals where appraised_value_fen is not null"
        )
        .await,
        0
    );

    // Rows stored before the bounds existed: the dashboard and every export still answer.
    sqlx::query("alter table assets drop constraint assets_original_value_bounded")
        .execute(&world.pool)
        .await
        .unwrap();
    sqlx::query("update assets set original_value_fen = $1")
        .bind(i64::MAX)
        .execute(&world.pool)
        .await
        .unwrap();
    let (status, body) = world
        .call(
            Method::GET,
            &format!("/api/disposals/{disposal}"),
            &world.auditor,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let auditor = login(&world, "auditor").await;
    for path in [
        "/reports",
        "/reports/stock.csv",
        "/reports/idle.csv",
        "/reports/compensations.csv",
        "/reports/disposals.csv",
    ] {
        let page = get(&world, path, &auditor).await;
        assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.body);
    }
    let csv = get(&world, "/reports/disposals.csv", &auditor).await;
    assert!(
        csv.body.contains("184467440737095516.14"),
        "two assets at i64::MAX, summed exactly: {}",
        csv.body
    );
}

#[sqlx::test(migrations = "./migrations")]
async fn redirects_stay_on_this_site(pool: PgPool) {
    let world = World::new(pool).await;
    for back in [
        "/%09/evil.example",
        "//evil.example",
        "/%5Cevil.example",
        "https://evil.example/",
    ] {
        let reply = get(&world, &format!("/lang/en?back={back}"), "").await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER);
        assert_eq!(reply.location(), "/", "back={back}");
    }
    for next in ["/\t/evil.example", "/\\evil.example", "/\n/evil.example"] {
        let reply = post(
            &world,
            "/login",
            "",
            &[
                ("username", "keeper"),
                ("password", PASSWORD),
                ("next", next),
            ],
        )
        .await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
        assert_eq!(reply.location(), "/", "next={next:?}");
    }
    let page = get(&world, "/login?next=/%09/evil.example", "").await;
    assert!(
        page.body.contains(r#"name="next" value="/""#),
        "{}",
        page.body
    );
    let reply = login_form(&world, "keeper", PASSWORD, "/keeper/picks").await;
    assert_eq!(reply.location(), "/keeper/picks", "local paths still work");
}

#[sqlx::test(migrations = "./migrations")]
async fn sign_in_is_throttled_per_account_and_per_address(pool: PgPool) {
    let world = World::new(pool).await;
    for _ in 0..5 {
        let r = world.sign_in_from("admin", "wrong", None).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    let r = world.sign_in_from("admin", PASSWORD, None).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = r.headers()[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(wait >= 1);
    let page = login_form(&world, "admin", PASSWORD, "/").await;
    assert_eq!(
        page.status,
        StatusCode::TOO_MANY_REQUESTS,
        "the pages share it"
    );
    assert!(page.headers.contains_key(header::RETRY_AFTER));
    let r = world.sign_in_from("keeper", PASSWORD, None).await;
    assert_eq!(r.status(), StatusCode::OK, "other accounts are not held up");

    let guesser: IpAddr = "192.0.2.7".parse().unwrap();
    let neighbour: IpAddr = "192.0.2.8".parse().unwrap();
    for i in 0..20 {
        let r = world
            .sign_in_from(&format!("guess{i}"), "wrong", Some(guesser))
            .await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    let r = world.sign_in_from("auditor", PASSWORD, Some(guesser)).await;
    assert_eq!(
        r.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "the address waits"
    );
    let r = world
        .sign_in_from("auditor", PASSWORD, Some(neighbour))
        .await;
    assert_eq!(r.status(), StatusCode::OK, "another address does not");
}

#[sqlx::test(migrations = "./migrations")]
async fn passwords_have_at_least_ten_characters(pool: PgPool) {
    let world = World::new(pool).await;
    let create = |password: &'static str| {
        let user = json!({"username": "u1", "password": password, "role": "keeper"});
        world.call(Method::POST, "/api/users", &world.admin, Some(user))
    };
    let (status, body) = create("nine-char").await;
    refused(status, &body, "a 9-character password");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("10"),
        "{body}"
    );
    let (status, body) = create("ten-chars!").await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(
        world.sign_in_from("u1", "ten-chars!", None).await.status(),
        StatusCode::OK
    );
}

#[sqlx::test(migrations = "./migrations")]
async fn changing_ones_own_password_needs_the_current_one_and_ends_other_credentials(pool: PgPool) {
    let world = World::new(pool).await;
    let here = session_cookie(&world.sign_in_from("keeper", PASSWORD, None).await);
    let elsewhere = session_cookie(&world.sign_in_from("keeper", PASSWORD, None).await);
    let me = format!("/api/users/{}", world.user_id("keeper").await);
    let new = "a much longer password";

    for (current, what) in [(None, "without"), (Some("wrong"), "with a wrong")] {
        let mut change = json!({ "password": new });
        if let Some(c) = current {
            change["current_password"] = json!(c);
        }
        let (status, body) = world
            .send(with_cookie(Method::PATCH, &me, &here, Some(change)))
            .await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "{what} the current password: {body}"
        );
    }
    let (status, body) = world
        .send(with_cookie(
            Method::PATCH,
            &me,
            &here,
            Some(json!({"password": new, "current_password": PASSWORD})),
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let (status, _) = world
        .send(with_cookie(Method::GET, "/api/session", &here, None))
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the session that changed it goes on"
    );
    let (status, _) = world
        .send(with_cookie(Method::GET, "/api/session", &elsewhere, None))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "other sessions end");
    let (status, _) = world
        .call(Method::GET, "/api/session", &world.keeper, None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "API tokens are revoked");
    assert_eq!(
        world.sign_in_from("keeper", PASSWORD, None).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        world.sign_in_from("keeper", new, None).await.status(),
        StatusCode::OK
    );

    // A password change is part of the user change: refused as a whole, it changes nothing.
    let requester = world.user_id("requester").await;
    let (status, body) = world
        .call(
            Method::PATCH,
            &format!("/api/users/{requester}"),
            &world.admin,
            Some(json!({"password": "reset by the admin", "department_id": 999_999})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(
        world
            .sign_in_from("requester", PASSWORD, None)
            .await
            .status(),
        StatusCode::OK,
        "the old password still signs in"
    );
    let (status, _) = world
        .call(Method::GET, "/api/session", &world.requester, None)
        .await;
    assert_eq!(status, StatusCode::OK, "and the API token still works");

    // An admin resets someone else's password without theirs; their credentials end too.
    let (status, body) = world
        .call(
            Method::PATCH,
            &format!("/api/users/{requester}"),
            &world.admin,
            Some(json!({"password": "reset by the admin"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = world
        .call(Method::GET, "/api/session", &world.requester, None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[sqlx::test(migrations = "./migrations")]
async fn api_tokens_expire_and_can_be_listed_and_revoked(pool: PgPool) {
    let world = World::new(pool).await;
    let bridge = {
        let mut conn = world.pool.acquire().await.unwrap();
        depot::auth::create_api_token(&mut conn, "keeper", "gate bridge", Some(90))
            .await
            .unwrap()
    };
    let (status, list) = world.call(Method::GET, "/api/tokens", &bridge, None).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list["total"], 2, "the keeper's test token and the bridge");
    let items = list["items"].as_array().unwrap();
    assert!(items
        .iter()
        .all(|t| t["username"] == "keeper" && t["active"] == true));
    let listed = items.iter().find(|t| t["name"] == "gate bridge").unwrap();
    assert!(listed["expires_at"].is_string(), "expires: {listed}");
    assert!(
        !list.to_string().contains(&bridge),
        "never the token itself"
    );
    let bridge_id = listed["id"].as_i64().unwrap();

    let (_, all) = world
        .call(Method::GET, "/api/tokens", &world.admin, None)
        .await;
    assert_eq!(all["total"], 7, "an admin sees everyone's");
    let others: i64 = sqlx::query_scalar(
        "select t.id from api_tokens t join users u on u.id = t.user_id where u.username = 'requester'",
    )
    .fetch_one(&world.pool)
    .await
    .unwrap();
    let (status, _) = world
        .call(
            Method::DELETE,
            &format!("/api/tokens/{others}"),
            &bridge,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "not the keeper's to revoke");
    let (status, revoked) = world
        .call(
            Method::DELETE,
            &format!("/api/tokens/{bridge_id}"),
            &world.keeper,
            None,
        )
        .await;
    assert_eq!(
        (status, &revoked["active"]),
        (StatusCode::OK, &json!(false))
    );
    let (status, _) = world.call(Method::GET, "/api/session", &bridge, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "revoked at once");

    sqlx::query("update api_tokens set expires_at = now() - interval '1 day' where user_id = (select id from users where username = 'auditor')")
        .execute(&world.pool)
        .await
        .unwrap();
    let (status, _) = world
        .call(Method::GET, "/api/session", &world.auditor, None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "expired");

    let requester = world.user_id("requester").await;
    let (status, _) = world
        .call(
            Method::PATCH,
            &format!("/api/users/{requester}"),
            &world.admin,
            Some(json!({"active": false})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = world
        .call(Method::GET, "/api/session", &world.requester, None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "deactivated");
    assert_eq!(
        count(
            &world,
            "select count(*) from api_tokens t join users u on u.id = t.user_id
             where u.username = 'requester' and t.revoked_at is null"
        )
        .await,
        0,
        "a deactivated user's tokens are revoked, not just refused"
    );
}

#[sqlx::test(migrations = "./migrations")]
async fn expired_sessions_are_swept(pool: PgPool) {
    let world = World::new(pool).await;
    let live = session_cookie(&world.sign_in_from("keeper", PASSWORD, None).await);
    sqlx::query(
        "insert into sessions (token_hash, user_id, expires_at)
         select 'stale'::bytea, id, now() - interval '1 hour' from users where username = 'keeper'",
    )
    .execute(&world.pool)
    .await
    .unwrap();
    let swept = depot::db::credentials::sweep_sessions(&mut world.pool.acquire().await.unwrap())
        .await
        .unwrap();
    assert_eq!(swept, 1);
    assert_eq!(count(&world, "select count(*) from sessions").await, 1);
    let (status, _) = world
        .send(with_cookie(Method::GET, "/api/session", &live, None))
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[sqlx::test(migrations = "./migrations")]
async fn cookies_are_secure_when_served_over_https(pool: PgPool) {
    let world = World::new(pool).await;
    let plain = world.sign_in_from("keeper", PASSWORD, None).await;
    assert!(!plain.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .contains("Secure"));
    let config = Config {
        secure_cookies: true,
        ..Config::for_database(None)
    };
    let world = World {
        app: server::router(App::new(world.pool.clone(), config)),
        ..world
    };
    let api = world.sign_in_from("keeper", PASSWORD, None).await;
    let page = login_form(&world, "keeper", PASSWORD, "/").await;
    let lang = get(&world, "/lang/zh?back=/", "").await;
    for (what, set) in [
        ("API", api.headers()[header::SET_COOKIE].to_str().unwrap()),
        ("page", page.headers[header::SET_COOKIE].to_str().unwrap()),
        (
            "language",
            lang.headers[header::SET_COOKIE].to_str().unwrap(),
        ),
    ] {
        assert!(set.contains("; Secure"), "{what}: {set}");
    }
}

#[sqlx::test(migrations = "./migrations")]
async fn event_streams_are_capped_per_session(pool: PgPool) {
    let ingest = depot::ingest::Ingest::start(pool.clone(), common::pipeline())
        .await
        .unwrap();
    let world = World::new(pool).await.with_ingest(&ingest);
    let open = |token: &str| {
        let req = Request::get("/api/events/stream")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap();
        world.app.clone().oneshot(req)
    };
    let mut streams = Vec::new();
    for _ in 0..depot::app::limits::STREAMS_PER_SESSION {
        let response = open(&world.keeper).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        streams.push(response);
    }
    let refused = open(&world.keeper).await.unwrap();
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.headers().contains_key(header::RETRY_AFTER));
    let other = open(&world.admin).await.unwrap();
    assert_eq!(
        other.status(),
        StatusCode::OK,
        "another session has its own"
    );
    streams.pop();
    let again = open(&world.keeper).await.unwrap();
    assert_eq!(
        again.status(),
        StatusCode::OK,
        "a closed stream frees its slot"
    );
    drop((streams, other, again));
    let said = |lang: &str| {
        let req = Request::get(format!("/api/events/stream?lang={lang}"))
            .header(header::AUTHORIZATION, format!("Bearer {}", world.admin))
            .body(Body::empty())
            .unwrap();
        world.app.clone().oneshot(req)
    };
    assert_eq!(said("zh-CN").await.unwrap().status(), StatusCode::OK);
    let refused = said("fr").await.unwrap();
    assert_eq!(
        refused.status(),
        StatusCode::BAD_REQUEST,
        "a language the alerts are not said in"
    );
    ingest.shutdown().await;
}

#[sqlx::test(migrations = "./migrations")]
async fn half_sent_headers_are_cut_off(pool: PgPool) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(server::serve_with(
        listener,
        App::new(pool, Config::for_database(None)),
        async {
            let _ = stopped.await;
        },
        Duration::from_millis(300),
    ));

    let mut slow = tokio::net::TcpStream::connect(addr).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: depot\r\n")
        .await
        .unwrap();
    let mut rest = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(20), slow.read_to_end(&mut rest)).await;
    assert!(
        read.is_ok(),
        "the server closes a connection whose headers never finish"
    );

    let mut quick = tokio::net::TcpStream::connect(addr).await.unwrap();
    quick
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: depot\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    quick.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        answer
            .to_ascii_lowercase()
            .contains("x-content-type-options: nosniff"),
        "{answer}"
    );
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}

#[sqlx::test(migrations = "./migrations")]
async fn every_response_says_nosniff(pool: PgPool) {
    let world = World::new(pool).await;
    let cookie = login(&world, "auditor").await;
    let mut replies = Vec::new();
    for (path, cookie) in [
        ("/api/session", ""),
        ("/api/no-such-thing", ""),
        ("/api/openapi.json", ""),
        ("/login", ""),
        ("/static/depot.css", ""),
        ("/reports", cookie.as_str()),
        ("/reports/stock.csv", cookie.as_str()),
        ("/catalogue", ""),
    ] {
        let reply = get(&world, path, cookie).await;
        replies.push((path, reply.status, reply.headers));
    }
    for (path, status, headers) in replies {
        assert_eq!(
            headers
                .get(header::X_CONTENT_TYPE_OPTIONS)
                .map(|v| v.to_str().unwrap()),
            Some("nosniff"),
            "{path} ({status})"
        );
    }
}

#[sqlx::test(migrations = "./migrations")]
async fn compensation_cases_are_paged(pool: PgPool) {
    let world = World::new(pool).await;
    let ids = world.stock(world.tables, 3).await;
    for id in &ids {
        sqlx::query(
            "insert into compensations (asset_id, department_id, kind, amount_fen)
             values ($1, $2, 'loss', 45000)",
        )
        .bind(id)
        .bind(world.finance)
        .execute(&world.pool)
        .await
        .unwrap();
    }
    let (status, first) = world
        .call(
            Method::GET,
            "/api/compensations?per_page=2",
            &world.requester,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(
        (
            first["total"].as_i64(),
            first["items"].as_array().unwrap().len()
        ),
        (Some(3), 2)
    );
    let (_, second) = world
        .call(
            Method::GET,
            "/api/compensations?per_page=2&page=2",
            &world.requester,
            None,
        )
        .await;
    assert_eq!(second["items"].as_array().unwrap().len(), 1);
    let (_, other) = world
        .call(Method::GET, "/api/compensations", &world.requester2, None)
        .await;
    assert_eq!(other["total"], 0, "another department's cases stay hidden");
}

#[sqlx::test(migrations = "./migrations")]
async fn the_openapi_document_refers_only_to_schemas_it_has(pool: PgPool) {
    let world = World::new(pool).await;
    let (_, doc) = world.call(Method::GET, "/api/openapi.json", "", None).await;
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    let mut dangling = Vec::new();
    fn walk(v: &Value, found: &mut Vec<String>) {
        match v {
            Value::Object(map) => {
                if let Some(Value::String(r)) = map.get("$ref") {
                    found.push(r.clone());
                }
                map.values().for_each(|v| walk(v, found));
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, found)),
            _ => {}
        }
    }
    let mut refs = Vec::new();
    walk(&doc, &mut refs);
    for r in refs {
        let name = r.trim_start_matches("#/components/schemas/");
        if !schemas.contains_key(name) {
            dangling.push(r);
        }
    }
    dangling.sort();
    dangling.dedup();
    assert!(dangling.is_empty(), "dangling: {dangling:?}");
    for name in ["Text", "Note", "Day", "Fen", "ApiToken"] {
        assert!(schemas.contains_key(name), "{name} is described");
    }
}
