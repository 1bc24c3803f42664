//! The log of `depot serve --log-format json` as a log collector reads it: every line on
//! stderr one JSON object, one line per failure, nothing for a client's mistakes, no
//! backtraces. A separate process, its database behind a proxy the test cuts.

mod common;

use std::io::BufRead as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use sqlx::PgPool;

use common::site::{signed_in, Process, Proxy};

#[sqlx::test(migrations = "./migrations")]
async fn a_json_log_has_one_line_per_failure_and_none_for_client_mistakes(pool: PgPool) {
    let options = pool.connect_options();
    let socket = options
        .get_socket()
        .expect("the test database is on a unix socket")
        .join(format!(".s.PGSQL.{}", options.get_port()));
    let proxy = Proxy::start(socket).await;
    let url = format!(
        "postgres://{}@127.0.0.1:{}/{}",
        options.get_username(),
        proxy.port,
        options.get_database().unwrap()
    );
    let mut depot = std::process::Command::new(env!("CARGO_BIN_EXE_depot"))
        .args([
            "serve",
            "--demo",
            "--log-format",
            "json",
            "--listen",
            "127.0.0.1:0",
        ])
        .env("DATABASE_URL", url)
        .env_remove("DEPOT_LOG")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let log: Arc<Mutex<Vec<String>>> = Default::default();
    let kept = log.clone();
    let stderr = depot.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            eprintln!("depot serve: {line}");
            kept.lock().unwrap().push(line);
        }
    });
    // What is said to people goes to stdout when the log is JSON. Read apart: this runtime
    // also runs the proxy that the service's database connections go through.
    let stdout = depot.stdout.take().unwrap();
    let _depot = Process(depot);
    let banner = tokio::task::spawn_blocking(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if let Some(addr) = line.strip_prefix("Depot is serving on ") {
                return Some(addr.trim().to_owned());
            }
        }
        None
    });
    let base = tokio::time::timeout(Duration::from_secs(120), banner)
        .await
        .expect("serving within 2 minutes")
        .unwrap()
        .expect("depot serve ended early");
    let admin = signed_in(&base, "admin").await;

    // A client's mistakes: answered, not logged at info.
    let r = admin
        .get(format!("{base}/api/loans/999999"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = admin
        .post(format!("{base}/api/loans"))
        .header("origin", &base)
        .json(&json!({"purpose": "x", "starts_on": "1800-01-01", "ends_on": "1800-01-02", "lines": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let r = reqwest::Client::new()
        .post(format!("{base}/api/session"))
        .json(&json!({"username": "admin", "password": "not the password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = reqwest::get(format!("{base}/no/such/page")).await.unwrap();
    assert_eq!(r.status(), 404);

    // A reader nobody answers: said once, however many attempts.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let readers: Value = admin
        .get(format!("{base}/api/readers"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let gate = readers
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "gate-1")
        .unwrap()["id"]
        .clone();
    let r = admin
        .patch(format!("{base}/api/readers/{gate}"))
        .header("origin", &base)
        .json(&json!({"address": format!("llrp://127.0.0.1:{port}")}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let mut attempts = 0;
    for _ in 0..60 {
        let readers: Value = admin
            .get(format!("{base}/api/readers"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        attempts = readers
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == gate)
            .unwrap()["health"]["reconnects"]
            .as_u64()
            .unwrap_or(0);
        if attempts >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(attempts >= 3, "the reader was tried again and again");

    // The database away: the request is answered 503 and logged once, with why.
    proxy.cut();
    let r = admin.get(format!("{base}/api/loans")).send().await.unwrap();
    assert_eq!(r.status(), 503);
    proxy.restore();
    let mut back = false;
    for _ in 0..60 {
        let r = reqwest::get(format!("{base}/healthz")).await.unwrap();
        if r.status() == 200 {
            back = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(back, "the service came back with its database");

    let log = log.lock().unwrap().clone();
    let lines: Vec<Value> = log
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert!(
        !lines
            .iter()
            .any(|l| l["target"].as_str().unwrap().starts_with("sqlx_core::pool")),
        "the pool does not tell of the lost connections again"
    );
    for line in &lines {
        for field in ["timestamp", "level", "target", "message"] {
            assert!(line.get(field).is_some(), "{field} in {line}");
        }
        assert!(
            !line.to_string().contains("stack backtrace"),
            "no backtrace: {line}"
        );
    }
    let with_status = |status: u64| -> Vec<&Value> {
        lines
            .iter()
            .filter(|l| l["status"].as_u64() == Some(status))
            .collect()
    };
    for status in [401, 404, 422] {
        assert!(
            with_status(status).is_empty(),
            "a client's mistake is not logged at info: {:?}",
            with_status(status)
        );
    }
    let unavailable = with_status(503);
    assert_eq!(unavailable.len(), 1, "{unavailable:?}");
    assert_eq!(unavailable[0]["level"], "WARN");
    assert_eq!(unavailable[0]["route"], "/api/loans");
    assert!(
        !unavailable[0]["error"].as_str().unwrap_or("").is_empty(),
        "says why: {}",
        unavailable[0]
    );
    let unreachable: Vec<&Value> = lines
        .iter()
        .filter(|l| l["message"].as_str().unwrap().contains("cannot connect"))
        .collect();
    assert_eq!(
        unreachable.len(),
        1,
        "{attempts} attempts, one line: {unreachable:?}"
    );
    assert_eq!(unreachable[0]["level"], "WARN");
}
