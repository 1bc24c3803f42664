//! The demo's gate as a newcomer meets it: `depot serve --demo` as a separate process on a
//! real socket, its gate reader the simulated one, and nothing else started by hand.

mod common;

use std::time::Duration;

use serde_json::{json, Value};
use sqlx::PgPool;

use common::site::{serve_demo, signed_in};

async fn get(c: &reqwest::Client, url: String) -> Value {
    let r = c.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 200, "{url}");
    r.json().await.unwrap()
}

/// Asks `check` every half second until it gives something, at most `within`.
async fn until<T>(within: Duration, what: &str, mut check: impl AsyncFnMut() -> Option<T>) -> T {
    let polls = within.as_millis() / 500;
    for _ in 0..polls {
        if let Some(found) = check().await {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    panic!("{what}: not within {} s", within.as_secs());
}

/// The exhibition loans (the gate's), newest first: (id, status).
async fn exhibition_loans(admin: &reqwest::Client, base: &str) -> Vec<(i64, String)> {
    let loans = get(admin, format!("{base}/api/loans?per_page=500")).await;
    loans["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| {
            l["purpose"]
                .as_str()
                .unwrap()
                .starts_with("Provincial exhibition")
        })
        .map(|l| {
            (
                l["id"].as_i64().unwrap(),
                l["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn loan_status(admin: &reqwest::Client, base: &str, id: i64) -> String {
    get(admin, format!("{base}/api/loans/{id}")).await["status"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Point the demo's gate reader elsewhere, as an admin does on the readers page.
async fn gate_reader_at(admin: &reqwest::Client, base: &str, address: &str) {
    let readers = get(admin, format!("{base}/api/readers")).await;
    let gate = readers
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "gate-1")
        .expect("the demo's gate reader");
    let r = admin
        .patch(format!("{base}/api/readers/{}", gate["id"]))
        .json(&json!({ "address": address }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
}

#[sqlx::test(migrations = "./migrations")]
async fn the_demo_gate_issues_its_loan_brings_it_back_and_lends_it_again(pool: PgPool) {
    let (_depot, base, log) = serve_demo(&pool);
    let admin = signed_in(&base, "admin").await;
    let keeper = signed_in(&base, "keeper").await;

    let first = exhibition_loans(&admin, &base).await;
    assert_eq!(
        first.len(),
        1,
        "the demo seeds one exhibition loan: {first:?}"
    );
    let (loan, ref status) = first[0];
    assert_eq!(status, "approved");
    let readers = get(&admin, format!("{base}/api/readers")).await;
    assert!(
        readers.to_string().contains("sim://gate"),
        "the demo's gate reader is the simulated one: {readers}"
    );

    // The first trolley goes out as soon as the service runs: the loan is issued at the
    // gate, and the panel with no order raises an alert.
    until(
        Duration::from_secs(60),
        "the demo loan issued at the gate",
        async || (loan_status(&admin, &base, loan).await == "issued").then_some(()),
    )
    .await;
    let alerts = get(&keeper, format!("{base}/api/alerts?per_page=500")).await;
    assert!(
        alerts["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["kind"] == "exit_without_order"),
        "the panel with no order raised an alert: {alerts}"
    );
    let page = keeper
        .get(format!("{base}/keeper/gate"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    // It lists the newest 50 passages: the 50 issued, or 49 and the panel with no order.
    assert!(
        page.matches("outcome-issued").count() >= 49,
        "the gate page lists the issued passages"
    );
    assert!(
        page.contains("with no order"),
        "and the open alert of the panel with no order"
    );

    // The trolley comes back in: the loan is returned at the gate, and the Culture bureau
    // borrows the panels again, approved, so that the next trolley out means something.
    gate_reader_at(&admin, &base, "sim://gate?scenario=gate-in&every=1h").await;
    until(
        Duration::from_secs(60),
        "the demo loan returned at the gate",
        async || (loan_status(&admin, &base, loan).await == "returned").then_some(()),
    )
    .await;
    let again = until(
        Duration::from_secs(60),
        "the panels lent again",
        async || {
            exhibition_loans(&admin, &base)
                .await
                .into_iter()
                .find(|(id, status)| *id != loan && status == "approved")
                .map(|(id, _)| id)
        },
    )
    .await;
    gate_reader_at(
        &admin,
        &base,
        "sim://gate?scenario=gate-out&every=1h&seed=12",
    )
    .await;
    until(
        Duration::from_secs(60),
        "the new loan issued at the gate",
        async || (loan_status(&admin, &base, again).await == "issued").then_some(()),
    )
    .await;
    assert_eq!(
        exhibition_loans(&admin, &base).await.len(),
        2,
        "one new loan per return, not one per look"
    );

    let log = log.lock().unwrap();
    assert!(
        log.iter()
            .all(|l| !l.contains("WARN") && !l.contains("ERROR")),
        "the demo runs without warnings: {log:#?}"
    );
}

#[sqlx::test(migrations = "./migrations")]
async fn an_unreachable_reader_is_logged_once_not_at_every_attempt(pool: PgPool) {
    let (_depot, base, log) = serve_demo(&pool);
    let admin = signed_in(&base, "admin").await;
    // A loopback port nobody listens on: every attempt is refused at once.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    gate_reader_at(&admin, &base, &format!("llrp://127.0.0.1:{port}")).await;
    let attempts = until(Duration::from_secs(30), "several attempts", async || {
        let readers = get(&admin, format!("{base}/api/readers")).await;
        let gate = readers
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == "gate-1")
            .unwrap()
            .clone();
        let reconnects = gate["health"]["reconnects"].as_u64().unwrap_or(0);
        (reconnects >= 4).then_some(reconnects)
    })
    .await;
    let log = log.lock().unwrap();
    let failures: Vec<&String> = log
        .iter()
        .filter(|l| l.contains("cannot connect"))
        .collect();
    assert_eq!(
        failures.len(),
        1,
        "{attempts} attempts, logged once: {log:#?}"
    );
    assert!(
        !log.iter().any(|l| l.contains("reconnecting")),
        "the attempts themselves are not logged at warn: {log:#?}"
    );
}
