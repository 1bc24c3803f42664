//! `/metrics` scraped from `depot serve --demo` as a separate process, parsed by Prometheus'
//! own Python client (`hil/peers/prometheus_parse.py`), and seen to move with requests,
//! sign-ins and the simulated gate's reads.

mod common;

use std::io::Write as _;
use std::time::Duration;

use serde_json::{json, Value};
use sqlx::PgPool;

use common::site::{peers_python, serve_demo, signed_in};

/// Every sample of an exposition, as the independent parser reads it; it must parse.
fn parse(exposition: &str) -> Vec<Value> {
    let mut parser = std::process::Command::new(peers_python())
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/hil/peers/prometheus_parse.py"
        ))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the Python peers (run the test script, which installs them)");
    parser
        .stdin
        .take()
        .unwrap()
        .write_all(exposition.as_bytes())
        .unwrap();
    let out = parser.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}\n{exposition}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The value of the sample named `name` whose labels include `labels`; 0 if there is none.
fn value(samples: &[Value], name: &str, labels: &[(&str, &str)]) -> f64 {
    samples
        .iter()
        .filter(|s| s["name"] == name)
        .filter(|s| labels.iter().all(|(k, v)| s["labels"][k] == *v))
        .map(|s| s["value"].as_f64().unwrap())
        .sum()
}

async fn scrape(base: &str, token: &str) -> Vec<Value> {
    let r = reqwest::Client::new()
        .get(format!("{base}/metrics"))
        .bearer_auth(token)
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    parse(&r.text().await.unwrap())
}

/// An API token for `user`, made as an operator makes one.
fn token(pool: &PgPool, user: &str) -> String {
    let url = common::site::database_url(pool);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_depot"))
        .args(["token", "create", "--user", user, "--name", "prometheus"])
        .env("DATABASE_URL", url)
        .env("DEPOT_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .last()
        .unwrap()
        .trim()
        .to_owned()
}

#[sqlx::test(migrations = "./migrations")]
async fn metrics_parse_as_prometheus_reads_them_and_move_with_requests_and_reads(pool: PgPool) {
    let (_depot, base, _log) = serve_demo(&pool);
    let auditor = token(&pool, "auditor");
    let admin = signed_in(&base, "admin").await;

    // Who may read them: admins and auditors (a session or an API token), nobody else.
    let anonymous = reqwest::get(format!("{base}/metrics")).await.unwrap();
    assert_eq!(anonymous.status(), 401);
    for user in ["keeper", "requester"] {
        let c = signed_in(&base, user).await;
        let r = c.get(format!("{base}/metrics")).send().await.unwrap();
        assert_eq!(r.status(), 403, "{user}");
    }
    let r = admin.get(format!("{base}/metrics")).send().await.unwrap();
    assert_eq!(r.status(), 200, "an admin's session");

    let gate: i64 = sqlx::query_scalar("select id from readers where name = 'gate-1'")
        .fetch_one(&pool)
        .await
        .unwrap();
    let gate = gate.to_string();
    let before = scrape(&base, &auditor).await;

    let loan: i64 = sqlx::query_scalar("select min(id) from loans")
        .fetch_one(&pool)
        .await
        .unwrap();
    for _ in 0..3 {
        let r = admin
            .get(format!("{base}/api/loans/{loan}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    let r = admin
        .get(format!("{base}/api/loans/999999"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = reqwest::Client::new()
        .post(format!("{base}/api/session"))
        .json(&json!({"username": "admin", "password": "not the password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    // The simulated gate reads from the start; wait (bounded) until facts are stored.
    let mut after = Vec::new();
    for _ in 0..60 {
        after = scrape(&base, &auditor).await;
        if value(&after, "depot_facts_total", &[("kind", "passed")]) > 0.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    let route = |status: &'static str| {
        [
            ("method", "GET"),
            ("route", "/api/loans/{id}"),
            ("status", status),
        ]
    };
    let moved = |name: &str, labels: &[(&str, &str)]| {
        value(&after, name, labels) - value(&before, name, labels)
    };
    assert_eq!(moved("depot_http_requests_total", &route("200")), 3.0);
    assert_eq!(moved("depot_http_requests_total", &route("404")), 1.0);
    assert_eq!(
        moved("depot_http_request_duration_seconds_count", &route("200")),
        3.0
    );
    assert_eq!(
        value(
            &after,
            "depot_http_request_duration_seconds_bucket",
            &[
                ("method", "GET"),
                ("route", "/api/loans/{id}"),
                ("status", "200"),
                ("le", "+Inf")
            ]
        ),
        value(
            &after,
            "depot_http_request_duration_seconds_count",
            &route("200")
        ),
    );
    assert!(
        value(
            &after,
            "depot_http_requests_total",
            &[("route", "/metrics"), ("status", "403")]
        ) >= 2.0,
        "refused scrapes are counted too"
    );
    assert_eq!(
        moved(
            "depot_sign_in_refusals_total",
            &[("reason", "wrong_credentials")]
        ),
        1.0
    );
    assert!(moved("depot_reader_reads_total", &[("reader", &gate)]) > 0.0);
    assert_eq!(
        value(
            &after,
            "depot_reader_status",
            &[("reader", &gate), ("status", "connected")]
        ),
        1.0
    );
    assert!(value(&after, "depot_facts_total", &[("kind", "passed")]) > 0.0);
    assert!(value(&after, "depot_fact_commit_duration_seconds_count", &[]) > 0.0);
    for queue in ["reader_outputs", "engine_input", "facts"] {
        assert!(
            after
                .iter()
                .any(|s| s["name"] == "depot_queue_depth" && s["labels"]["queue"] == queue),
            "queue {queue}"
        );
    }
    assert!(value(&after, "depot_db_pool_max", &[]) > 0.0);
    assert!(value(&after, "depot_db_pool_connections", &[("state", "in_use")]) >= 0.0);
}
