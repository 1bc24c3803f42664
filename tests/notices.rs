//! Notifications and time limits: the notifier's rounds against a real SMTP server
//! (aiosmtpd, `hil/peers/smtp_sink.py`), the inbox through the API and the page, the
//! overdue work by who must act, and the keeper's inspection of gate returns.

mod common;

use std::time::Duration;

use axum::http::{Method, StatusCode};
use common::site::peers_python;
use common::World;
use depot::app::App;
use depot::config::{Config, Smtp};
use serde_json::{json, Value};
use sqlx::PgPool;
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout};

/// The SMTP server: aiosmtpd on 127.0.0.1, every message it takes as a JSON line.
struct SmtpSink {
    _child: Child,
    port: u16,
    lines: Lines<BufReader<ChildStdout>>,
}

impl SmtpSink {
    async fn start(port: u16) -> SmtpSink {
        let mut child = tokio::process::Command::new(peers_python())
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/hil/peers/smtp_sink.py"
            ))
            .args(["--port", &port.to_string()])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("aiosmtpd (run the test script, which installs the peers)");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let banner = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .expect("the SMTP server starts")
            .unwrap()
            .unwrap();
        assert_eq!(banner, format!("LISTENING {port}"));
        SmtpSink {
            _child: child,
            port,
            lines,
        }
    }

    /// The next `n` messages received, (recipients, subject) sorted; fails after 20 s.
    async fn received(&mut self, n: usize) -> Vec<(Vec<String>, String)> {
        let mut out = Vec::new();
        for _ in 0..n {
            let line = tokio::time::timeout(Duration::from_secs(20), self.lines.next_line())
                .await
                .expect("a message arrives")
                .unwrap()
                .unwrap();
            let m: Value = serde_json::from_str(&line).unwrap();
            assert_eq!(m["from"], "depot@depot.test", "{m}");
            let to = m["to"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t.as_str().unwrap().to_owned())
                .collect();
            out.push((to, m["subject"].as_str().unwrap().to_owned()));
        }
        out.sort();
        out
    }

    /// Nothing more arrives within a short while.
    async fn quiet(&mut self) {
        let more = tokio::time::timeout(Duration::from_millis(500), self.lines.next_line()).await;
        assert!(more.is_err(), "an unexpected message: {more:?}");
    }
}

/// A port nothing listens on now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The service as the notifier sees it: e-mailing through 127.0.0.1:`port`.
fn mailing_app(pool: &PgPool, port: u16) -> App {
    let mut config = Config::for_database(None);
    config.smtp = Some(Smtp {
        host: "127.0.0.1".into(),
        port,
        from: "depot@depot.test".into(),
    });
    App::new(pool.clone(), config)
}

#[track_caller]
fn ok(reply: (StatusCode, Value)) -> Value {
    assert!(reply.0.is_success(), "{} {}", reply.0, reply.1);
    reply.1
}

async fn set_email(world: &World, token: &str, username: &str, email: &str) {
    let id = world.user_id(username).await;
    let user = ok(world
        .call(
            Method::PATCH,
            &format!("/api/users/{id}"),
            token,
            Some(json!({"email": email})),
        )
        .await);
    assert_eq!(user["email"], email);
}

/// A loan of `n` tables for finance from `starts` to `ends`: requested, approved (signed off
/// by finance too, when the approval chain asks) and issued.
async fn issued(world: &World, n: i64, starts: &str, ends: &str) -> i64 {
    // A loan whose days are over is not approved: it is lent today, then dated back.
    let today = common::today().to_string();
    let over = ends < today.as_str();
    let loan = match over {
        true => world.request_tables(n, &today, &today).await,
        false => world.request_tables(n, starts, ends).await,
    };
    let approved = ok(world
        .call(
            Method::POST,
            &format!("/api/loans/{loan}/approve"),
            &world.admin,
            None,
        )
        .await);
    world.sign_off_if_asked(loan, &approved).await;
    ok(world
        .call(
            Method::POST,
            &format!("/api/loans/{loan}/issue"),
            &world.keeper,
            None,
        )
        .await);
    if over {
        world.date_back(loan, starts, ends).await;
    }
    loan
}

async fn today(pool: &PgPool) -> chrono::NaiveDate {
    sqlx::query_scalar("select depot_today()")
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrations = "./migrations")]
async fn the_notifier_tells_each_department_its_own_once_by_inbox_and_email(pool: PgPool) {
    let world = World::new(pool.clone()).await;
    let mut smtp = SmtpSink::start(free_port()).await;
    let app = mailing_app(&pool, smtp.port);
    set_email(&world, &world.admin, "admin", "manager@depot.test").await;
    set_email(&world, &world.requester, "requester", "finance@depot.test").await;
    set_email(
        &world,
        &world.requester2,
        "requester2",
        "culture@depot.test",
    )
    .await;
    world.stock(world.tables, 6).await;

    // A request waits: the approvers are told.
    let loan = world.request_tables(2, "2031-03-03", "2031-03-04").await;
    let round = depot::app::notices::round(&app).await.unwrap();
    assert_eq!((round.notices, round.notifications, round.sent), (1, 1, 1));
    assert_eq!(
        smtp.received(1).await,
        vec![(
            vec!["manager@depot.test".into()],
            format!("出借单 {loan} 待审批 · Loan {loan} waits for approval")
        )]
    );

    // Approved: the requesting department is told, not the other one.
    ok(world
        .call(
            Method::POST,
            &format!("/api/loans/{loan}/approve"),
            &world.admin,
            None,
        )
        .await);
    depot::app::notices::round(&app).await.unwrap();
    assert_eq!(
        smtp.received(1).await,
        vec![(
            vec!["finance@depot.test".into()],
            format!("出借单 {loan} 已批准 · Loan {loan} approved")
        )]
    );

    // A loan past its last day, and one due back on the next working day.
    let late = issued(&world, 1, "2020-01-06", "2020-01-07").await;
    let next = depot::domain::deadlines::next_working_day(today(&pool).await);
    let due = issued(&world, 1, "2020-01-06", &next.to_string()).await;
    depot::app::notices::round(&app).await.unwrap();
    let mut expected = vec![
        (
            vec!["finance@depot.test".to_owned()],
            format!("出借单 {late} 已逾期未还 · Loan {late} is overdue"),
        ),
        (
            vec!["finance@depot.test".to_owned()],
            format!("出借单 {due} 应于 {next} 归还 · Loan {due} is due back {next}"),
        ),
    ];
    expected.sort();
    // The two approvals of these loans were told too.
    let got: Vec<_> = smtp
        .received(4)
        .await
        .into_iter()
        .filter(|(_, s)| !s.contains("已批准"))
        .collect();
    assert_eq!(got, expected);

    // Everything back: told once.
    ok(world
        .call(
            Method::POST,
            &format!("/api/loans/{late}/return"),
            &world.keeper,
            None,
        )
        .await);
    depot::app::notices::round(&app).await.unwrap();
    assert_eq!(
        smtp.received(1).await,
        vec![(
            vec!["finance@depot.test".into()],
            format!("出借单 {late} 的资产已全部归还 · Loan {late}: everything is back")
        )]
    );

    // Another round tells nothing twice.
    let again = depot::app::notices::round(&app).await.unwrap();
    assert_eq!(again, Default::default());
    smtp.quiet().await;

    // Culture's person was told nothing of Finance's loans; Finance's inbox has them all.
    let culture = ok(world
        .call(Method::GET, "/api/notifications", &world.requester2, None)
        .await);
    assert_eq!(culture["items"], json!([]), "{culture}");
    let finance = ok(world
        .call(Method::GET, "/api/notifications", &world.requester, None)
        .await);
    let kinds: Vec<&str> = finance["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "returned",
            "overdue",
            "due_tomorrow",
            "approved",
            "approved",
            "approved"
        ]
    );
}

#[sqlx::test(migrations = "./migrations")]
async fn a_relay_that_is_away_delays_the_email_never_the_notification(pool: PgPool) {
    let world = World::new(pool.clone()).await;
    let port = free_port();
    let app = mailing_app(&pool, port);
    set_email(&world, &world.admin, "admin", "manager@depot.test").await;
    let loan = world.request_tables(1, "2031-03-03", "2031-03-04").await;

    // Nothing listens: the notification is in the inbox, the e-mail waits with its error.
    let round = depot::app::notices::round(&app).await.unwrap();
    assert_eq!((round.notifications, round.sent, round.failed), (1, 0, 1));
    let unread = ok(world
        .call(Method::GET, "/api/notifications/unread", &world.admin, None)
        .await);
    assert_eq!(unread, json!({"unread": 1}));
    let (attempts, error, wait): (i32, String, f64) = sqlx::query_as(
        "select attempts, last_error, extract(epoch from next_attempt_at - now())::float8 from mail_outbox",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(attempts, 1);
    assert!(!error.is_empty());
    assert!(
        (20.0..=31.0).contains(&wait),
        "tried again after 30 s: {wait}"
    );
    // Not due yet: the next round does not try it.
    assert_eq!(depot::app::notices::round(&app).await.unwrap().failed, 0);

    // The relay is back and the backoff has passed: it is sent, once.
    let mut smtp = SmtpSink::start(port).await;
    sqlx::query("update mail_outbox set next_attempt_at = now()")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(depot::app::notices::round(&app).await.unwrap().sent, 1);
    assert_eq!(
        smtp.received(1).await,
        vec![(
            vec!["manager@depot.test".into()],
            format!("出借单 {loan} 待审批 · Loan {loan} waits for approval")
        )]
    );
    sqlx::query("update mail_outbox set next_attempt_at = now()")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(depot::app::notices::round(&app).await.unwrap().sent, 0);
    smtp.quiet().await;

    // A mailbox the relay refuses for good is given up at once; the notification stays.
    set_email(&world, &world.admin, "admin", "nobody@depot.test").await;
    let refused = world.request_tables(1, "2031-05-03", "2031-05-04").await;
    let round = depot::app::notices::round(&app).await.unwrap();
    assert_eq!((round.notifications, round.sent, round.failed), (1, 0, 1));
    let (attempts, given_up): (i32, bool) = sqlx::query_as(
        "select attempts, failed_at is not null from mail_outbox where address = 'nobody@depot.test'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((attempts, given_up), (1, true));
    let inbox = ok(world
        .call(
            Method::GET,
            "/api/notifications?unread=true",
            &world.admin,
            None,
        )
        .await);
    assert_eq!(inbox["items"][0]["order_id"], refused);
    smtp.quiet().await;

    // A month on, the outbox forgets them; the inbox keeps its notifications.
    sqlx::query("update mail_outbox set sent_at = sent_at - interval '31 days', failed_at = failed_at - interval '31 days'")
        .execute(&pool)
        .await
        .unwrap();
    depot::app::notices::round(&app).await.unwrap();
    assert_eq!(
        sqlx::query_scalar::<_, i64>("select count(*) from mail_outbox")
            .fetch_one(&pool)
            .await
            .unwrap(),
        0
    );
    let inbox = ok(world
        .call(Method::GET, "/api/notifications", &world.admin, None)
        .await);
    assert_eq!(inbox["items"].as_array().unwrap().len(), 2);

    assert_eq!(depot::app::notices::retry_after(1), Duration::from_secs(30));
    assert_eq!(
        depot::app::notices::retry_after(3),
        Duration::from_secs(120)
    );
    assert_eq!(
        depot::app::notices::retry_after(20),
        Duration::from_secs(3600)
    );
}

#[sqlx::test(migrations = "./migrations")]
async fn the_inbox_is_ones_own(pool: PgPool) {
    let world = World::new(pool.clone()).await;
    let app = App::new(pool.clone(), Config::for_database(None));
    world.request_tables(1, "2031-03-03", "2031-03-04").await;
    world.request_tables(1, "2031-04-03", "2031-04-04").await;
    let round = depot::app::notices::round(&app).await.unwrap();
    assert_eq!(
        (round.notifications, round.sent),
        (2, 0),
        "no e-mail without SMTP"
    );
    assert_eq!(
        sqlx::query_scalar::<_, i64>("select count(*) from mail_outbox")
            .fetch_one(&pool)
            .await
            .unwrap(),
        0
    );

    let inbox = ok(world
        .call(Method::GET, "/api/notifications", &world.admin, None)
        .await);
    let items = inbox["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["kind"], "approval_waiting");
    assert_eq!(items[0]["read"], false);
    assert!(items[0]["title_zh"].as_str().unwrap().contains("待审批"));
    assert!(items[0]["text_en"]
        .as_str()
        .unwrap()
        .starts_with("Finance Bureau asks for"));
    let first = items[0]["id"].as_i64().unwrap();

    // Someone else's notification does not exist for them.
    let (status, _) = world
        .call(
            Method::POST,
            &format!("/api/notifications/{first}/read"),
            &world.keeper,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = world
        .call(
            Method::POST,
            "/api/notifications/999999/read",
            &world.admin,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, _) = world
        .call(
            Method::POST,
            &format!("/api/notifications/{first}/read"),
            &world.admin,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let unread = ok(world
        .call(Method::GET, "/api/notifications/unread", &world.admin, None)
        .await);
    assert_eq!(unread, json!({"unread": 1}));
    let only = ok(world
        .call(
            Method::GET,
            "/api/notifications?unread=true",
            &world.admin,
            None,
        )
        .await);
    assert_eq!(only["items"].as_array().unwrap().len(), 1);
    let marked = ok(world
        .call(Method::POST, "/api/notifications/read", &world.admin, None)
        .await);
    assert_eq!(marked, json!({"marked": 1}));
    let unread = ok(world
        .call(Method::GET, "/api/notifications/unread", &world.admin, None)
        .await);
    assert_eq!(unread, json!({"unread": 0}));

    // Bad input is a 4xx, never a 500.
    let (status, _) = world
        .call(
            Method::GET,
            "/api/notifications?unread=perhaps",
            &world.admin,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let id = world.user_id("requester").await;
    let (status, body) = world
        .call(
            Method::PATCH,
            &format!("/api/users/{id}"),
            &world.requester,
            Some(json!({"email": "not an address"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, _) = world
        .call(Method::GET, "/api/notifications", "", None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[sqlx::test(migrations = "./migrations")]
async fn overdue_work_is_listed_for_whoever_must_act(pool: PgPool) {
    let world = World::new(pool.clone()).await;
    world.stock(world.tables, 2).await;
    let late = issued(&world, 1, "2020-01-06", "2020-01-07").await;
    // A request in for ten days: past its two working days for a decision.
    let waiting = world.request_tables(1, "2031-03-03", "2031-03-04").await;
    sqlx::query("update loans set updated_at = now() - interval '10 days' where id = $1")
        .bind(waiting)
        .execute(&pool)
        .await
        .unwrap();
    // A fresh request is not late.
    world.request_tables(1, "2031-05-03", "2031-05-04").await;
    // Culture's request, also late.
    let (status, other) = world
        .call(Method::POST, "/api/loans", &world.requester2, Some(json!({"purpose": "exhibition", "starts_on": "2031-03-03", "ends_on": "2031-03-04", "lines": [{"category_id": world.tables, "quantity": 1}]})))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let other = other["id"].as_i64().unwrap();
    sqlx::query("update loans set updated_at = now() - interval '10 days' where id = $1")
        .bind(other)
        .execute(&pool)
        .await
        .unwrap();

    let list = |token: String| {
        let world = &world;
        async move {
            let work = ok(world
                .call(Method::GET, "/api/deadlines/overdue", &token, None)
                .await);
            let mut rows: Vec<(i64, String, String, String)> = work
                .as_array()
                .unwrap()
                .iter()
                .map(|w| {
                    (
                        w["id"].as_i64().unwrap(),
                        w["status"].as_str().unwrap().to_owned(),
                        w["acts"].as_str().unwrap().to_owned(),
                        w["action"].as_str().unwrap().to_owned(),
                    )
                })
                .collect();
            rows.sort();
            rows
        }
    };
    let all = vec![
        (late, "issued".into(), "department".into(), "return".into()),
        (waiting, "requested".into(), "admin".into(), "decide".into()),
        (other, "requested".into(), "admin".into(), "decide".into()),
    ];
    assert_eq!(list(world.admin.clone()).await, all);
    assert_eq!(list(world.keeper.clone()).await, all);
    assert_eq!(list(world.auditor.clone()).await, all);
    // A department sees its own.
    assert_eq!(list(world.requester.clone()).await, all[..2].to_vec());
    assert_eq!(list(world.requester2.clone()).await, all[2..].to_vec());

    // Only what one kind of actor must do.
    let returns = ok(world
        .call(
            Method::GET,
            "/api/deadlines/overdue?acts=department",
            &world.admin,
            None,
        )
        .await);
    assert_eq!(returns.as_array().unwrap().len(), 1);
    assert_eq!(returns[0]["id"], late);
    let (status, _) = world
        .call(
            Method::GET,
            "/api/deadlines/overdue?acts=everyone",
            &world.admin,
            None,
        )
        .await;
    assert!(status.is_client_error(), "{status}");

    let work = ok(world
        .call(Method::GET, "/api/deadlines/overdue", &world.admin, None)
        .await);
    let loan = work
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["id"] == late)
        .unwrap();
    assert_eq!(loan["due_on"], "2020-01-07");
    assert!(loan["working_days_late"].as_i64().unwrap() > 1000);
    let limits = ok(world
        .call(Method::GET, "/api/deadlines", &world.requester, None)
        .await);
    let remit = limits
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["kind"] == "disposal" && l["status"] == "sold")
        .unwrap();
    assert_eq!(remit["due"], json!({"by": "working_days", "days": 10}));
    assert_eq!(remit["action"], "remit");
}

/// A loan is late once its last day is over on the depot's calendar, not on the database
/// server's (UTC): at 07:00 in a depot at +08:00 it is already tomorrow there. The depot is
/// set to an offset under which its date is not UTC's right now, so the test decides
/// whichever hour it runs.
#[sqlx::test(migrations = "./migrations")]
async fn a_loan_is_late_by_the_depots_calendar(pool: PgPool) {
    use chrono::Timelike;
    let now = chrono::Utc::now();
    let offset = if now.hour() >= 12 { "+14:00" } else { "-12:00" };
    let zone = depot::config::parse_time_zone(offset).unwrap();
    let today = now.with_timezone(&zone).date_naive();
    assert_ne!(today, now.date_naive(), "{offset}");
    let mut world = World::new(pool.clone()).await;
    let mut config = Config::for_database(None);
    config.time_zone = zone;
    let depot_pool = depot::db::pool_options(zone)
        .connect_with((*pool.connect_options()).clone())
        .await
        .unwrap();
    world.app = depot::server::router(App::new(depot_pool.clone(), config));
    world.stock(world.tables, 2).await;
    // Lent today, then dated back to end yesterday or today (the depot's days).
    let loan = |ends: chrono::NaiveDate| {
        let world = &world;
        async move {
            let id = world
                .request_tables(1, &today.to_string(), &today.to_string())
                .await;
            let approved = ok(world
                .call(
                    Method::POST,
                    &format!("/api/loans/{id}/approve"),
                    &world.admin,
                    None,
                )
                .await);
            world.sign_off_if_asked(id, &approved).await;
            ok(world
                .call(
                    Method::POST,
                    &format!("/api/loans/{id}/issue"),
                    &world.keeper,
                    None,
                )
                .await);
            world
                .date_back(id, &ends.to_string(), &ends.to_string())
                .await;
            id
        }
    };
    let late = loan(today.pred_opt().unwrap()).await;
    let due_today = loan(today).await;

    let overdue = ok(world
        .call(Method::GET, "/api/loans?status=overdue", &world.admin, None)
        .await);
    let ids: Vec<i64> = overdue["items"]
        .as_array()
        .unwrap_or_else(|| panic!("{overdue}"))
        .iter()
        .map(|l| l["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![late], "overdue on {today} ({offset})");
    let one = |id: i64| {
        let world = &world;
        async move {
            ok(world
                .call(Method::GET, &format!("/api/loans/{id}"), &world.admin, None)
                .await)["overdue"]
                .clone()
        }
    };
    assert_eq!(one(late).await, json!(true));
    assert_eq!(one(due_today).await, json!(false));
    let work = ok(world
        .call(Method::GET, "/api/deadlines/overdue", &world.admin, None)
        .await);
    let returns: Vec<i64> = work
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["action"] == "return")
        .map(|w| w["id"].as_i64().unwrap())
        .collect();
    assert_eq!(returns, vec![late]);
    // The same in SQL, on the depot's connections.
    let day: chrono::NaiveDate = sqlx::query_scalar("select depot_today()")
        .fetch_one(&depot_pool)
        .await
        .unwrap();
    assert_eq!(day, today);
}

#[sqlx::test(migrations = "./migrations")]
async fn the_inbox_page_shows_notifications_and_overdue_work(pool: PgPool) {
    let world = World::new(pool.clone()).await;
    let app = App::new(pool.clone(), Config::for_database(None));
    world.stock(world.tables, 1).await;
    let late = issued(&world, 1, "2020-01-06", "2020-01-07").await;
    depot::app::notices::round(&app).await.unwrap();

    let cookie = common::login(&world, "requester").await;
    let catalogue = common::get(&world, "/catalogue", &cookie).await;
    assert!(
        catalogue
            .body
            .contains(r#"<a href="/inbox">Notifications <span class="badge""#),
        "the menu shows the unread count: {}",
        catalogue.body
    );
    let page = common::get(&world, "/inbox", &cookie).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains(&format!("Loan {late} is overdue")),
        "{}",
        page.body
    );
    assert!(page.body.contains(r#"id="overdue""#));
    assert!(page.body.contains("2020-01-07"));
    let csrf = page.csrf();

    // One's notifications as CSV, in one's language or as codes; another's are not in it.
    assert!(page.body.contains(r#"href="/inbox.csv""#));
    let csv = common::get(&world, "/inbox.csv", &cookie).await;
    assert_eq!(csv.status, StatusCode::OK, "{}", csv.body);
    let lines: Vec<&str> = csv.body.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(
        lines[0],
        "Notified at (UTC+08:00),Paperwork,Paperwork number,Title,Text,Read"
    );
    assert!(
        lines[1..].iter().any(
            |l| l.contains(&format!(",Loan,{late},Loan {late} is overdue,")) && l.ends_with(",No")
        ),
        "{}",
        csv.body
    );
    let zh = common::get(&world, "/inbox.csv", &format!("{cookie}; lang=zh-CN")).await;
    assert!(
        zh.body
            .contains("通知时间 (UTC+08:00),单据类型,单据编号,标题,内容,已读"),
        "{}",
        zh.body
    );
    let codes = common::get(&world, "/inbox.csv?codes=1", &cookie).await;
    assert!(
        codes.body.contains(&format!(",loan,{late},overdue,")),
        "{}",
        codes.body
    );
    let other = common::login(&world, "requester2").await;
    let theirs = common::get(&world, "/inbox.csv", &other).await;
    assert!(
        !theirs.body.contains(&format!(",{late},")),
        "{}",
        theirs.body
    );

    // Forged: refused, nothing read.
    let forged = common::post(&world, "/inbox/read", &cookie, &[("csrf", "nope")]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let read = common::post(&world, "/inbox/read", &cookie, &[("csrf", &csrf)]).await;
    assert_eq!(read.status, StatusCode::SEE_OTHER);
    let unread = ok(world
        .call(
            Method::GET,
            "/api/notifications/unread",
            &world.requester,
            None,
        )
        .await);
    assert_eq!(unread, json!({"unread": 0}));

    // One's own address, checked.
    let saved = common::post(
        &world,
        "/inbox/email",
        &cookie,
        &[("csrf", &csrf), ("email", "finance@depot.test")],
    )
    .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let bad = common::post(
        &world,
        "/inbox/email",
        &cookie,
        &[("csrf", &csrf), ("email", "finance at depot")],
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Beside the form, with what was typed.
    assert!(
        bad.body.contains("id=\"email-form-error\"")
            && bad.body.contains("value=\"finance at depot\""),
        "{}",
        bad.body
    );
    let email: Option<String> =
        sqlx::query_scalar("select email from users where username = 'requester'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(email.as_deref(), Some("finance@depot.test"));

    // In 中文 too.
    let zh = common::get(&world, "/inbox", &format!("{cookie}; lang=zh-CN")).await;
    assert!(
        zh.body.contains(&format!("出借单 {late} 已逾期未还")),
        "{}",
        zh.body
    );
    assert!(zh.body.contains("超期待办（限时办结）"));
}

#[sqlx::test(migrations = "./migrations")]
async fn the_keeper_inspects_gate_returns_on_the_returns_page(pool: PgPool) {
    let world = World::new(pool.clone()).await;
    let ids = world.stock(world.tables, 3).await;
    let loan = issued(&world, 3, "2030-01-06", "2030-01-07").await;
    // All three come back through the gate: returned, pending inspection.
    {
        let mut tx = pool.begin().await.unwrap();
        for &id in &ids {
            depot::db::loans::return_at_gate(&mut tx, loan, id, world.shelf, &Default::default())
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();
    }
    let cookie = common::login(&world, "keeper").await;
    let page = common::get(&world, "/keeper/returns", &cookie).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("<title>Return inspection · "),
        "the title is text, not markup: {}",
        page.body
    );
    assert!(page.body.contains(r#"action="/keeper/returns/inspect""#));
    for id in &ids {
        assert!(page
            .body
            .contains(&format!(r#"name="condition-{loan}-{id}""#)));
    }
    let csrf = page.csrf();
    let field = |what: &str, id: i64| format!("{what}-{loan}-{id}");
    let (c0, c1, c2) = (
        field("condition", ids[0]),
        field("condition", ids[1]),
        field("condition", ids[2]),
    );
    let n1 = field("note", ids[1]);

    let forged = common::post(
        &world,
        "/keeper/returns/inspect",
        &cookie,
        &[("csrf", "x"), (&c0, "fine")],
    )
    .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let bad = common::post(
        &world,
        "/keeper/returns/inspect",
        &cookie,
        &[("csrf", &csrf), (&c0, "splendid")],
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let none = common::post(
        &world,
        "/keeper/returns/inspect",
        &cookie,
        &[("csrf", &csrf), (&c0, "")],
    )
    .await;
    assert_eq!(none.status, StatusCode::UNPROCESSABLE_ENTITY);

    let done = common::post(
        &world,
        "/keeper/returns/inspect",
        &cookie,
        // The exceptions chosen, the rest left at "not yet", then "all fine (the rest)".
        &[
            ("csrf", &csrf),
            (&c0, ""),
            (&c1, "damaged"),
            (&n1, "leg bent"),
            (&c2, "missing"),
            ("all_fine", "1"),
            // Damaged and missing open compensation cases: confirmed (the page asks first).
            ("confirmed", "1"),
        ],
    )
    .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(done.location(), "/keeper/returns?done=inspected");
    let told = common::get(&world, done.location(), &cookie).await;
    assert!(
        told.body.contains("The inspection is recorded."),
        "{}",
        told.body
    );
    assert_eq!(world.asset_state(ids[0]).await, "in_stock");
    assert_eq!(world.asset_state(ids[1]).await, "in_repair");
    assert_eq!(world.asset_state(ids[2]).await, "lost");
    let cases: Vec<(i64, String, String)> = sqlx::query_as(
        "select asset_id, kind::text, note from compensations where loan_id = $1 order by asset_id",
    )
    .bind(loan)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        cases,
        vec![
            (ids[1], "damage".into(), "leg bent".into()),
            (ids[2], "loss".into(), String::new())
        ]
    );
    world.assert_log_agrees().await;
    // Nothing waits any more; a second inspection is refused.
    let page = common::get(&world, "/keeper/returns", &cookie).await;
    assert!(!page.body.contains(r#"action="/keeper/returns/inspect""#));
    let again = common::post(
        &world,
        "/keeper/returns/inspect",
        &cookie,
        &[("csrf", &csrf), (&c0, "fine")],
    )
    .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    // A requester cannot.
    let requester = common::login(&world, "requester").await;
    let page = common::get(&world, "/keeper/returns", &requester).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
}

/// As a new user would try it: `depot serve --demo` with an SMTP relay configured e-mails
/// the Finance Bureau about its overdue loan, and only the Finance Bureau.
#[sqlx::test(migrations = "./migrations")]
async fn the_demo_emails_its_overdue_loan_to_its_department(pool: PgPool) {
    let mut smtp = SmtpSink::start(free_port()).await;
    let url = common::site::database_url(&pool);
    let mut serve = common::site::depot_serve();
    serve
        .arg("--demo")
        .env("DATABASE_URL", url)
        .env("DEPOT_SMTP_HOST", "127.0.0.1")
        .env("DEPOT_SMTP_PORT", smtp.port.to_string())
        .env("DEPOT_SMTP_FROM", "depot@depot.test");
    let (_depot, _base) = common::site::spawn_serving(serve);
    let overdue: i64 = loop {
        // The demo is seeded before it serves: its overdue loan is there already.
        let found = sqlx::query_scalar(
            "select id from loans where status in ('issued', 'partially_issued') and ends_on < depot_today()
             order by id limit 1",
        )
        .fetch_optional(&pool)
        .await
        .unwrap();
        if let Some(id) = found {
            break id;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let subject = format!("出借单 {overdue} 已逾期未还 · Loan {overdue} is overdue");
    // The first round runs as the service starts; other notices may come first.
    let mut seen = Vec::new();
    while !seen.iter().any(|(_, s)| *s == subject) {
        assert!(seen.len() < 100, "no overdue e-mail among {seen:?}");
        seen.extend(smtp.received(1).await);
    }
    let to: Vec<_> = seen.iter().filter(|(_, s)| *s == subject).collect();
    assert_eq!(
        to,
        vec![&(vec!["requester@depot.example".to_owned()], subject.clone())]
    );
}
