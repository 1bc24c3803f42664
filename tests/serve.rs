//! The service as a newcomer meets it: the real HTTP stack on a real socket, the demo world,
//! and the embedded PostgreSQL cluster.

use std::time::Duration;

use depot::app::App;
use depot::config::Config;
use depot::db::embedded::EmbeddedPostgres;
use depot::server;
use serde_json::{json, Value};
use sqlx::PgPool;
use tokio::sync::oneshot;

/// Bind port 0, serve until the returned sender is dropped or fired.
async fn start(
    pool: PgPool,
    config: Config,
) -> (
    String,
    oneshot::Sender<()>,
    tokio::task::JoinHandle<std::io::Result<()>>,
) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(server::serve(listener, App::new(pool, config), async {
        let _ = stopped.await;
    }));
    (base, stop, server)
}

#[sqlx::test(migrations = "./migrations")]
async fn a_demo_loan_over_real_http_with_a_session_cookie(pool: PgPool) {
    let config = Config::for_database(None);
    depot::demo::seed(&pool, &config).await.unwrap();
    depot::demo::seed(&pool, &config)
        .await
        .expect("seeding twice is harmless");
    let (base, stop, server) = start(pool.clone(), config).await;

    let client = |user: &str| {
        let user = user.to_owned();
        let base = base.clone();
        async move {
            let c = reqwest::Client::builder()
                .cookie_store(true)
                .build()
                .unwrap();
            let r = c
                .post(format!("{base}/api/session"))
                .json(&json!({"username": user, "password": "demo"}))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200, "sign in as {user}");
            c
        }
    };
    let requester = client("requester").await;
    let admin = client("admin").await;
    let keeper = client("keeper").await;

    let health: Value = reqwest::get(format!("{base}/healthz"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "ok");

    let loans: Value = requester
        .get(format!("{base}/api/loans?per_page=100"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let statuses: std::collections::BTreeSet<&str> = loans["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["status"].as_str().unwrap())
        .collect();
    for s in [
        "requested",
        "approved",
        "partially_issued",
        "issued",
        "returned",
        "rejected",
        "cancelled",
    ] {
        assert!(
            statuses.contains(s),
            "the demo has a {s} loan: {statuses:?}"
        );
    }
    assert!(loans["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l["overdue"] == true));
    assert!(
        loans["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["department"].as_str().unwrap().starts_with("Finance")),
        "own department only"
    );

    let statuses_of = |v: &Value| -> std::collections::BTreeSet<String> {
        let items = v.get("items").unwrap_or(v);
        items
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["status"].as_str().unwrap().to_owned())
            .collect()
    };
    for (path, expected) in [
        (
            "transfers",
            &[
                "requested",
                "approved",
                "completed",
                "rejected",
                "cancelled",
            ][..],
        ),
        (
            "disposals",
            &[
                "requested",
                "appraised",
                "approved",
                "sold",
                "scrapped",
                "remitted",
                "rejected",
                "cancelled",
            ][..],
        ),
        ("intakes", &["open", "completed", "cancelled"][..]),
        ("compensations", &["open", "paid", "waived"][..]),
    ] {
        let query = if path == "compensations" {
            ""
        } else {
            "?per_page=100"
        };
        let list: Value = admin
            .get(format!("{base}/api/{path}{query}"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let have = statuses_of(&list);
        for s in expected {
            assert!(have.contains(*s), "the demo has a {s} {path}: {have:?}");
        }
    }

    let categories: Value = requester
        .get(format!("{base}/api/categories"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let tables = categories
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "TBL")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let loan: Value = requester
        .post(format!("{base}/api/loans"))
        .json(&json!({"purpose": "Tuesday conference", "starts_on": "2031-01-07", "ends_on": "2031-01-07", "lines": [{"category_id": tables, "quantity": 12}]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = loan["id"].as_i64().unwrap();
    for (who, action, status) in [
        (&admin, "approve", "approved"),
        (&keeper, "issue", "issued"),
        (&keeper, "return", "returned"),
    ] {
        let r = who
            .post(format!("{base}/api/loans/{id}/{action}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{action}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["status"], status);
    }
    let loan: Value = requester
        .get(format!("{base}/api/loans/{id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let asset = loan["assets"][0]["asset_id"].as_i64().unwrap();
    assert_eq!(loan["assets"].as_array().unwrap().len(), 12);
    let timeline: Value = requester
        .get(format!("{base}/api/assets/{asset}/events"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let steps: Vec<&str> = timeline
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(steps[steps.len() - 3..], ["reserve", "issue", "return"]);

    let mut conn = pool.acquire().await.unwrap();
    assert!(depot::db::events::inconsistent_assets(&mut conn)
        .await
        .unwrap()
        .is_empty());
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
}

/// The embedded default: a private cluster created in the data directory, reused on the
/// second start, stopped cleanly. Runs the system's PostgreSQL (installed by the test script).
#[tokio::test]
async fn the_embedded_cluster_starts_is_reused_and_stops() {
    let dir = std::env::temp_dir().join(format!("depot-embedded-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let pg = EmbeddedPostgres::start(&dir)
        .await
        .expect("start the private cluster");
    let pool = depot::db::connect(
        pg.connect_options(),
        None,
        depot::config::default_time_zone(),
    )
    .await
    .unwrap();
    sqlx::query("insert into departments (code, name) values ('KEEP', 'survives a restart')")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let socket = pg.cluster_dir().join(".s.PGSQL.5432");
    assert!(
        socket.exists(),
        "listens on a unix socket in the data directory"
    );
    let conf = std::fs::read_to_string(pg.cluster_dir().join("postmaster.opts")).unwrap();
    assert!(conf.contains("listen_addresses="), "no TCP: {conf}");
    pg.stop().await.unwrap();
    assert!(!socket.exists(), "stopped");

    let pg = EmbeddedPostgres::start(&dir)
        .await
        .expect("start again, reusing the cluster");
    let pool = depot::db::connect(
        pg.connect_options(),
        None,
        depot::config::default_time_zone(),
    )
    .await
    .unwrap();
    let kept: i64 = sqlx::query_scalar("select count(*) from departments where code = 'KEEP'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(kept, 1);
    pool.close().await;
    pg.stop().await.unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

/// An open event stream must not hold graceful shutdown hostage.
#[sqlx::test(migrations = "./migrations")]
async fn shutting_down_ends_open_event_streams(pool: PgPool) {
    let config = Config::for_database(None);
    depot::demo::seed(&pool, &config).await.unwrap();
    let options = depot::ingest::Options {
        tick: None,
        connect_readers: false,
        capacity: 16,
        record_latency: false,
        ..Default::default()
    };
    let ingest = depot::ingest::Ingest::start(pool.clone(), options)
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = oneshot::channel::<()>();
    let state = App::new(pool, config).with_ingest(ingest);
    let server = tokio::spawn(server::serve(listener, state, async {
        let _ = stopped.await;
    }));
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let signed_in = client
        .post(format!("{base}/api/session"))
        .json(&json!({"username": "keeper", "password": "demo"}))
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), 200);
    let mut stream = client
        .get(format!("{base}/api/events/stream"))
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    assert_eq!(stream.headers()["content-type"], "text/event-stream");
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .expect("shutdown finished with a stream open")
        .unwrap()
        .unwrap();
    let rest = tokio::time::timeout(Duration::from_secs(5), async {
        while let Ok(Some(_)) = stream.chunk().await {}
    })
    .await;
    assert!(rest.is_ok(), "the stream ended");
}

/// A request still in flight at shutdown (here a client that stopped sending its body
/// halfway) is waited for, but no longer than the shutdown deadline: the service stops then
/// without it.
#[sqlx::test(migrations = "./migrations")]
async fn shutting_down_waits_for_a_stuck_request_no_longer_than_its_deadline(pool: PgPool) {
    use tokio::io::AsyncWriteExt;
    let (base, stop, mut server) = start(pool, Config::for_database(None)).await;
    let address = base.trim_start_matches("http://");
    let mut socket = tokio::net::TcpStream::connect(address).await.unwrap();
    socket
        .write_all(
            b"POST /api/session HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n\
              content-length: 64\r\n\r\n{\"username\": ",
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let asked = std::time::Instant::now();
    stop.send(()).unwrap();
    assert!(
        tokio::time::timeout(Duration::from_secs(3), &mut server)
            .await
            .is_err(),
        "shutdown waits for the request in flight"
    );
    tokio::time::timeout(server::SHUTDOWN_DEADLINE + Duration::from_secs(10), server)
        .await
        .expect("stopped by its deadline")
        .unwrap()
        .unwrap();
    let waited = asked.elapsed();
    assert!(
        waited + Duration::from_secs(1) >= server::SHUTDOWN_DEADLINE,
        "stopped after {waited:?}, before the deadline"
    );
    drop(socket);
}
