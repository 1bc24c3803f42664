//! Webhooks against a real receiver on the loopback: an event a webhook asks for is posted
//! once, signed over its timestamp and body; a receiver that is away or failing is tried
//! again with backoff, a delivery is given up after the last attempt and replayed by an
//! admin; a change rolled back sends nothing; bad registrations are refused.

mod common;

use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap, Method, StatusCode};
use axum::routing::post;
use axum::Router;
use common::World;
use depot::app::App;
use depot::config::Config;
use serde_json::{json, Value};
use sqlx::PgPool;

/// What a receiver was sent: each request's headers and body.
type Log = Arc<Mutex<Vec<(HeaderMap, Vec<u8>)>>>;

/// The receiver's one route: record the request, answer `answer`.
fn receiving(got: Log, answer: Arc<Mutex<StatusCode>>) -> Router {
    Router::new().route(
        "/hooks/depot",
        post(move |headers: HeaderMap, body: axum::body::Bytes| {
            let (got, answer) = (got.clone(), answer.clone());
            async move {
                got.lock().unwrap().push((headers, body.to_vec()));
                *answer.lock().unwrap()
            }
        }),
    )
}

/// A receiver on 127.0.0.1: records each request, answers `answer` (shared, changeable).
struct Receiver {
    port: u16,
    got: Log,
    answer: Arc<Mutex<StatusCode>>,
    task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    async fn start() -> Receiver {
        let got = Log::default();
        let answer = Arc::new(Mutex::new(StatusCode::OK));
        let app = receiving(got.clone(), answer.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Receiver {
            port,
            got,
            answer,
            task,
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hooks/depot", self.port)
    }

    fn received(&self) -> Vec<(HeaderMap, Value)> {
        self.got
            .lock()
            .unwrap()
            .iter()
            .map(|(h, b)| (h.clone(), serde_json::from_slice(b).unwrap()))
            .collect()
    }
}

async fn register(world: &World, url: &str, actions: Value) -> (i64, String) {
    let (status, hook) = world
        .call(
            Method::POST,
            "/api/webhooks",
            &world.admin,
            Some(json!({"url": url, "actions": actions})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{hook}");
    (
        hook["id"].as_i64().unwrap(),
        hook["secret"].as_str().unwrap().to_owned(),
    )
}

async fn mark_lost(world: &World, asset: i64) {
    let (status, body) = world
        .call(
            Method::POST,
            &format!("/api/assets/{asset}/mark_lost"),
            &world.keeper,
            Some(json!({"reason": "not found at the stocktake"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// Make every waiting delivery due now (the backoff is real time).
async fn due_now(pool: &PgPool) {
    sqlx::query("update webhook_deliveries set next_attempt_at = now() where delivered_at is null and dead_at is null")
        .execute(pool)
        .await
        .unwrap();
}

#[sqlx::test(migrations = "./migrations")]
async fn an_event_is_posted_signed_and_survives_the_receivers_downtime(pool: PgPool) {
    let world = World::new(pool.clone()).await;
    let app = App::new(pool.clone(), Config::for_database(None));
    let receiver = Receiver::start().await;
    let (hook, secret) = register(&world, &receiver.url(), json!(["mark_lost"])).await;
    let assets = world.stock(world.tables, 3).await;

    // Only what the webhook asks for: stocking made events, none of them `mark_lost`.
    assert_eq!(
        depot::app::webhooks::round(&app).await.unwrap().delivered,
        0
    );
    mark_lost(&world, assets[0]).await;
    let round = depot::app::webhooks::round(&app).await.unwrap();
    assert_eq!(round.delivered, 1, "{round:?}");
    let got = receiver.received();
    assert_eq!(got.len(), 1);
    let (headers, body) = &got[0];
    assert_eq!(body["event"]["action"], "mark_lost");
    assert_eq!(body["event"]["asset_id"], assets[0]);
    assert_eq!(body["event"]["reason"], "not found at the stocktake");
    assert_eq!(headers["x-depot-event"], "mark_lost");
    // The signature is HMAC-SHA256 over "timestamp.body" with the secret answered once.
    let raw = receiver.got.lock().unwrap()[0].1.clone();
    let timestamp: i64 = headers["x-depot-timestamp"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((chrono::Utc::now().timestamp() - timestamp).abs() < 60);
    let expected = depot::app::webhooks::signature(&secret, timestamp, &raw);
    assert_eq!(headers["x-depot-signature"].to_str().unwrap(), expected);
    let forged = depot::app::webhooks::signature("another secret", timestamp, &raw);
    assert_ne!(expected, forged);
    // Sent once: another round sends nothing.
    assert_eq!(
        depot::app::webhooks::round(&app).await.unwrap(),
        Default::default()
    );

    // The receiver is down: the delivery waits, then arrives when it is back.
    receiver.task.abort();
    let _ = (&mut { receiver.task }).await;
    mark_lost(&world, assets[1]).await;
    let round = depot::app::webhooks::round(&app).await.unwrap();
    assert_eq!((round.delivered, round.failed), (0, 1), "{round:?}");
    let (_, deliveries) = world
        .call(
            Method::GET,
            &format!("/api/webhooks/{hook}/deliveries"),
            &world.admin,
            None,
        )
        .await;
    let waiting = &deliveries["items"][0];
    assert!(waiting["delivered_at"].is_null(), "{deliveries}");
    assert_eq!(waiting["attempts"], 1);
    assert!(
        waiting["last_error"]
            .as_str()
            .unwrap()
            .contains("cannot connect"),
        "{deliveries}"
    );
    // Not due again at once: the backoff holds it.
    assert_eq!(
        depot::app::webhooks::round(&app).await.unwrap(),
        Default::default()
    );

    // Back on the same port, answering 503 first: still failing, then delivered.
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", receiver.port))
        .await
        .unwrap();
    let got = receiver.got.clone();
    let answer = receiver.answer.clone();
    *answer.lock().unwrap() = StatusCode::SERVICE_UNAVAILABLE;
    let again = receiving(got.clone(), answer.clone());
    let task = tokio::spawn(async move { axum::serve(listener, again).await.unwrap() });
    due_now(&pool).await;
    let round = depot::app::webhooks::round(&app).await.unwrap();
    assert_eq!((round.delivered, round.failed), (0, 1), "{round:?}");
    *answer.lock().unwrap() = StatusCode::NO_CONTENT;
    due_now(&pool).await;
    let round = depot::app::webhooks::round(&app).await.unwrap();
    assert_eq!(round.delivered, 1, "{round:?}");
    let bodies: Vec<Value> = got
        .lock()
        .unwrap()
        .iter()
        .map(|(_, b)| serde_json::from_slice(b).unwrap())
        .collect();
    assert_eq!(bodies.len(), 3, "the first, the 503, the delivery");
    assert_eq!(bodies[2]["event"]["asset_id"], assets[1]);

    // A receiver that keeps failing: given up after the last attempt, then replayed.
    *answer.lock().unwrap() = StatusCode::INTERNAL_SERVER_ERROR;
    mark_lost(&world, assets[2]).await;
    let mut dead = 0;
    for _ in 0..depot::app::webhooks::ATTEMPTS {
        due_now(&pool).await;
        dead += depot::app::webhooks::round(&app).await.unwrap().dead;
    }
    assert_eq!(dead, 1);
    let (_, deliveries) = world
        .call(
            Method::GET,
            &format!("/api/webhooks/{hook}/deliveries"),
            &world.admin,
            None,
        )
        .await;
    let letter = &deliveries["items"][0];
    assert!(!letter["dead_at"].is_null(), "{deliveries}");
    assert_eq!(letter["last_status"], 500);
    due_now(&pool).await;
    assert_eq!(
        depot::app::webhooks::round(&app).await.unwrap(),
        Default::default(),
        "a dead letter is not sent"
    );
    *answer.lock().unwrap() = StatusCode::OK;
    let id = letter["id"].as_i64().unwrap();
    let (status, _) = world
        .call(
            Method::POST,
            &format!("/api/webhook-deliveries/{id}/replay"),
            &world.keeper,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "only an admin replays");
    let (status, replayed) = world
        .call(
            Method::POST,
            &format!("/api/webhook-deliveries/{id}/replay"),
            &world.admin,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{replayed}");
    assert_eq!(
        depot::app::webhooks::round(&app).await.unwrap().delivered,
        1
    );
    task.abort();
}

#[sqlx::test(migrations = "./migrations")]
async fn bad_registrations_are_refused_and_a_rolled_back_change_sends_nothing(pool: PgPool) {
    let world = World::new(pool.clone()).await;
    for (url, actions) in [
        ("https://example.org/hook", json!([])),
        ("ftp://127.0.0.1/hook", json!([])),
        ("not a url", json!([])),
        ("http://127.0.0.1/hook", json!(["Mark Lost"])),
    ] {
        let (status, body) = world
            .call(
                Method::POST,
                "/api/webhooks",
                &world.admin,
                Some(json!({"url": url, "actions": actions})),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{url}: {body}");
    }
    let (status, _) = world
        .call(
            Method::POST,
            "/api/webhooks",
            &world.keeper,
            Some(json!({"url": "http://127.0.0.1/x"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, list) = world
        .call(Method::GET, "/api/webhooks", &world.admin, None)
        .await;
    assert_eq!((status, list), (StatusCode::OK, json!([])));

    // Every event (no actions named); an illegal transition is refused and rolled back.
    let (hook, _) = register(&world, "http://127.0.0.1:9/hook", json!([])).await;
    let asset = world.stock(world.tables, 1).await[0];
    let before: i64 = sqlx::query_scalar("select count(*) from webhook_deliveries")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(
        before >= 2,
        "registering and receiving the asset are events: {before}"
    );
    let (status, body) = world
        .call(
            Method::POST,
            &format!("/api/assets/{asset}/repair"),
            &world.keeper,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let after: i64 = sqlx::query_scalar("select count(*) from webhook_deliveries")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(before, after, "nothing happened, nothing to tell");
    let (status, _) = world
        .call(
            Method::DELETE,
            &format!("/api/webhooks/{hook}"),
            &world.admin,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let left: i64 = sqlx::query_scalar("select count(*) from webhook_deliveries")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(left, 0, "its deliveries go with it");
}

#[sqlx::test(migrations = "./migrations")]
async fn the_admin_registers_a_webhook_on_its_page_and_replays_a_dead_letter(pool: PgPool) {
    use common::{get, login, post};
    let world = World::new(pool.clone()).await;
    let app = App::new(pool.clone(), Config::for_database(None));
    let keeper = login(&world, "keeper").await;
    assert_eq!(
        get(&world, "/admin/webhooks", &keeper).await.status,
        StatusCode::FORBIDDEN
    );
    let admin = login(&world, "admin").await;
    let page = get(&world, "/admin/webhooks", &admin).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    // An address that is no address: refused beside the form, as typed; nothing registered.
    let reply = post(
        &world,
        "/admin/webhooks",
        &admin,
        &[
            ("csrf", &page.csrf()),
            ("url", "erp at the ministry"),
            ("actions", "mark_lost"),
        ],
    )
    .await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.body
    );
    assert!(
        reply.body.contains("id=\"webhook-form-error\"")
            && reply.body.contains("value=\"erp at the ministry\"")
            && reply.body.contains("value=\"mark_lost\""),
        "{}",
        reply.body
    );
    assert!(!reply.body.contains("id=\"webhook-secret\""));
    // Nothing listens on port 9 of the loopback: every attempt fails.
    let reply = post(
        &world,
        "/admin/webhooks",
        &admin,
        &[
            ("csrf", &page.csrf()),
            ("url", "http://127.0.0.1:9/hook"),
            ("actions", "mark_lost"),
        ],
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert!(
        reply.body.contains("id=\"webhook-secret\""),
        "{}",
        reply.body
    );
    let again = get(&world, "/admin/webhooks", &admin).await;
    assert!(
        !again.body.contains("id=\"webhook-secret\""),
        "the secret is shown once"
    );
    assert!(
        again.body.contains("http://127.0.0.1:9/hook"),
        "{}",
        again.body
    );
    // What it follows, by name in the page's language, with the code the form takes.
    let zh = get(&world, "/admin/webhooks", &format!("{admin}; lang=zh-CN")).await;
    let said = depot::web::i18n::Lang::Zh.action("mark_lost");
    assert_ne!(said, "mark_lost");
    assert!(
        zh.body.contains(&format!("<td>{said} (mark_lost)</td>")),
        "{}",
        zh.body
    );

    let asset = world.stock(world.tables, 1).await[0];
    mark_lost(&world, asset).await;
    for _ in 0..depot::app::webhooks::ATTEMPTS {
        due_now(&pool).await;
        depot::app::webhooks::round(&app).await.unwrap();
    }
    let page = get(&world, "/admin/webhooks", &admin).await;
    let id: i64 = sqlx::query_scalar("select id from webhook_deliveries")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(
        page.body.contains(&format!("id=\"replay-{id}\"")),
        "{}",
        page.body
    );
    let reply = post(
        &world,
        &format!("/admin/webhook-deliveries/{id}/replay"),
        &admin,
        &[("csrf", &page.csrf())],
    )
    .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    let (attempts, dead): (i32, bool) = sqlx::query_as(
        "select attempts, dead_at is not null from webhook_deliveries where id = $1",
    )
    .bind(id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((attempts, dead), (0, false));
    // Every delivery, a page at a time, the newest first: 250 more, and the first is on
    // the last page.
    let hook: i64 = sqlx::query_scalar("select id from webhooks")
        .fetch_one(&pool)
        .await
        .unwrap();
    sqlx::query(
        "with e as (
             insert into events (asset_id, action, to_state, reason)
             select $1, 'fixture', 'lost', 'page ' || g from generate_series(1, 250) g
             returning id)
         insert into webhook_deliveries (webhook_id, event_id, delivered_at)
         select $2, id, now() from e",
    )
    .bind(asset)
    .bind(hook)
    .execute(&pool)
    .await
    .unwrap();
    let first = get(&world, "/admin/webhooks", &admin).await;
    assert!(first.body.contains("1–100 / 251"), "{}", first.body);
    assert!(
        first.body.contains(&format!(
            "href=\"/admin/webhooks?hook={hook}&#38;page=2\" rel=\"next\""
        )),
        "{}",
        first.body
    );
    assert!(!first.body.contains(&format!("<tr><td>{id}</td>")));
    let last = get(
        &world,
        &format!("/admin/webhooks?hook={hook}&page=3"),
        &admin,
    )
    .await;
    assert!(last.body.contains("201–251 / 251"), "{}", last.body);
    assert!(
        last.body.contains(&format!("<tr><td>{id}</td>")),
        "{}",
        last.body
    );
    // All of them as one CSV, newest first; the admin's alone; an unknown webhook is 404.
    let csv = format!("/admin/webhooks/{hook}/deliveries.csv");
    assert!(
        first.body.contains(&format!("href=\"{csv}\"")),
        "{}",
        first.body
    );
    let en = get(&world, &csv, &admin).await;
    assert_eq!(en.status, StatusCode::OK, "{}", en.body);
    let lines: Vec<&str> = en.body.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(
        lines[0],
        "Delivery number,Event number,Action,Status,Attempts,Opened at (UTC+08:00),Delivered at (UTC+08:00),Given up at (UTC+08:00),Last HTTP status,Last error"
    );
    assert_eq!(lines.len(), 1 + 251);
    assert!(lines[1].contains(",fixture,delivered,0,"), "{}", lines[1]);
    assert!(lines[251].starts_with(&format!("{id},")), "{}", lines[251]);
    let zh = get(&world, &csv, &format!("{admin}; lang=zh-CN")).await;
    assert!(zh.body.contains(",已送达,"), "{}", zh.body);
    assert_eq!(
        get(&world, &csv, &keeper).await.status,
        StatusCode::FORBIDDEN
    );
    let unknown = get(&world, "/admin/webhooks/999999/deliveries.csv", &admin).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{}", unknown.body);
    let (status, api) = world
        .call(
            Method::GET,
            &format!("/api/webhooks/{hook}/deliveries?per_page=200"),
            &world.admin,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{api}");
    assert_eq!(api["items"].as_array().unwrap().len(), 200);
    assert_eq!(
        (&api["total"], &api["has_more"]),
        (&json!(251), &json!(true))
    );
    let after = api["items"][199]["id"].as_i64().unwrap();
    let (_, rest) = world
        .call(
            Method::GET,
            &format!("/api/webhooks/{hook}/deliveries?per_page=200&after={after}"),
            &world.admin,
            None,
        )
        .await;
    assert_eq!(rest["items"].as_array().unwrap().len(), 51, "{rest}");
    assert_eq!(rest["items"][50]["id"], id);
    // A forged form changes nothing.
    let reply = post(
        &world,
        &format!("/admin/webhook-deliveries/{id}/replay"),
        &admin,
        &[],
    )
    .await;
    assert_ne!(reply.status, StatusCode::SEE_OTHER);
}
