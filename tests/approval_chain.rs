//! Approval chains: a loan of great value or length needs, after the depot's approval, the
//! finance approver's sign-off; its assets stay reserved meanwhile, nothing is issued before
//! it, a refusal gives them back, and each step is in the log with who took it.

mod common;

use axum::http::{Method, StatusCode};
use chrono::Duration;
use common::{get, login, post, World};
use serde_json::{json, Value};
use sqlx::PgPool;

fn day(offset: i64) -> String {
    (common::today() + Duration::days(offset)).to_string()
}

impl World {
    /// A loan of `assets` for the requester's department over the days given, approved by
    /// the admin: (loan, the approval's answer).
    async fn approve_for(&self, assets: &[i64], starts: &str, ends: &str) -> (i64, Value) {
        let lines: Vec<Value> = assets.iter().map(|a| json!({"asset_id": a})).collect();
        let (status, loan) = self
            .call(
                Method::POST,
                "/api/loans",
                &self.requester,
                Some(
                    json!({"purpose": "provincial conference", "starts_on": starts,
                            "ends_on": ends, "lines": lines}),
                ),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{loan}");
        let id = loan["id"].as_i64().unwrap();
        let (status, body) = self
            .call(
                Method::POST,
                &format!("/api/loans/{id}/approve"),
                &self.admin,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        (id, body)
    }

    async fn loan_action(
        &self,
        loan: i64,
        action: &str,
        token: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        self.call(
            Method::POST,
            &format!("/api/loans/{loan}/{action}"),
            token,
            body,
        )
        .await
    }

    async fn loan_status(&self, loan: i64) -> String {
        sqlx::query_scalar("select status::text from loans where id = $1")
            .bind(loan)
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }

    /// The live reservations of a loan (not released).
    async fn held(&self, loan: i64) -> i64 {
        sqlx::query_scalar(
            "select count(*) from reservations
             where order_kind = 'loan' and order_id = $1 and released_at is null",
        )
        .bind(loan)
        .fetch_one(&self.pool)
        .await
        .unwrap()
    }
}

#[sqlx::test(migrations = "./migrations")]
async fn a_valuable_loan_waits_for_finance_with_its_assets_reserved(pool: PgPool) {
    let world = World::new(pool).await;
    let assets = world.stock(world.tables, 2).await;
    // A projector worth ¥50,000 makes the loan worth ¥50,450.
    sqlx::query("update assets set original_value_fen = 5000000 where id = $1")
        .bind(assets[0])
        .execute(&world.pool)
        .await
        .unwrap();
    let (loan, approved) = world.approve_for(&assets, &day(0), &day(2)).await;
    assert_eq!(approved["status"], "awaiting_finance", "{approved}");
    assert_eq!(world.held(loan).await, 2);
    assert_eq!(world.asset_state(assets[0]).await, "reserved");

    // Nothing is issued before finance signs off, and only finance signs off.
    let (status, body) = world.loan_action(loan, "issue", &world.keeper, None).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    for token in [
        &world.admin,
        &world.keeper,
        &world.auditor,
        &world.requester,
    ] {
        let (status, body) = world.loan_action(loan, "sign-off", token, None).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    }
    assert_eq!(world.loan_status(loan).await, "awaiting_finance");

    // The finance approver sees why, and signs off.
    let (status, queue) = world
        .call(Method::GET, "/api/sign-offs", &world.approver, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{queue}");
    let queue = queue.as_array().unwrap();
    assert_eq!(queue.len(), 1, "{queue:?}");
    assert_eq!(queue[0]["loan"]["id"], loan);
    assert_eq!(queue[0]["value_fen"], 5_045_000);
    assert_eq!(queue[0]["days"], 3);
    assert_eq!(queue[0]["why_en"], "worth ¥50450 (¥50000 or more)");
    let (status, body) = world
        .loan_action(loan, "sign-off", &world.approver, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "approved");
    assert_eq!(body["decided_by"], world.user_id("approver").await);
    // Once is enough.
    let (status, _) = world
        .loan_action(loan, "sign-off", &world.approver, None)
        .await;
    assert_eq!(status, StatusCode::CONFLICT);

    // Both steps are in the loan's history, each with who took it.
    let (status, events) = world
        .call(
            Method::GET,
            &format!("/api/loans/{loan}/events"),
            &world.requester,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{events}");
    let steps: Vec<(String, String, String)> = events
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["asset_id"].is_null())
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_owned(),
                e["to_state"].as_str().unwrap_or_default().to_owned(),
                e["actor"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let approve = steps
        .iter()
        .position(|s| s.0 == "approve")
        .expect("approve logged");
    let sign_off = steps
        .iter()
        .position(|s| s.0 == "sign_off")
        .expect("sign-off logged");
    assert!(approve < sign_off, "{steps:?}");
    assert_eq!(steps[approve].1, "awaiting_finance", "{steps:?}");
    assert_eq!(steps[sign_off].1, "approved", "{steps:?}");
    let logged: Value = sqlx::query_scalar(
        "select details from events where order_kind = 'loan' and order_id = $1 and action = 'approve'",
    )
    .bind(loan)
    .fetch_one(&world.pool)
    .await
    .unwrap();
    assert_eq!(logged["steps"], json!(["depot", "finance"]), "{logged}");
    assert_eq!(logged["value_fen"], 5_045_000);

    let (status, body) = world.loan_action(loan, "issue", &world.keeper, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    world.assert_log_agrees().await;
}

#[sqlx::test(migrations = "./migrations")]
async fn a_long_loan_refused_by_finance_gives_its_assets_back(pool: PgPool) {
    let world = World::new(pool).await;
    let assets = world.stock(world.tables, 2).await;
    // 31 days: more than the 30 a loan may last without finance.
    let (loan, approved) = world.approve_for(&assets, &day(1), &day(31)).await;
    assert_eq!(approved["status"], "awaiting_finance", "{approved}");

    // A refusal needs a reason; without one nothing changes.
    let (status, body) = world
        .loan_action(loan, "refuse", &world.approver, None)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(world.loan_status(loan).await, "awaiting_finance");
    assert_eq!(world.held(loan).await, 2);
    // The admin's reject is for requests, not for what waits on finance.
    let (status, body) = world
        .loan_action(loan, "reject", &world.admin, Some(json!({"reason": "no"})))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");

    let (status, body) = world
        .loan_action(
            loan,
            "refuse",
            &world.approver,
            Some(json!({"reason": "over budget for the quarter"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "rejected");
    assert_eq!(body["reason"], "over budget for the quarter");
    assert_eq!(world.held(loan).await, 0);
    for a in &assets {
        assert_eq!(world.asset_state(*a).await, "in_stock");
    }
    let (status, _) = world
        .loan_action(
            loan,
            "refuse",
            &world.approver,
            Some(json!({"reason": "again"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    world.assert_log_agrees().await;
}

#[sqlx::test(migrations = "./migrations")]
async fn a_short_modest_loan_needs_no_finance_and_a_department_may_cancel_while_it_waits(
    pool: PgPool,
) {
    let world = World::new(pool).await;
    let assets = world.stock(world.tables, 3).await;
    // 30 days, ¥450: the depot's approval is the last step.
    let (_, approved) = world.approve_for(&assets[..1], &day(0), &day(29)).await;
    assert_eq!(approved["status"], "approved", "{approved}");

    // One waiting for finance may still be cancelled by its department: the assets go back.
    let (loan, approved) = world.approve_for(&assets[1..], &day(0), &day(30)).await;
    assert_eq!(approved["status"], "awaiting_finance", "{approved}");
    let (status, body) = world
        .loan_action(
            loan,
            "cancel",
            &world.requester2,
            Some(json!({"reason": "not ours"})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, body) = world
        .loan_action(
            loan,
            "cancel",
            &world.requester,
            Some(json!({"reason": "event postponed"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(world.held(loan).await, 0);
    assert_eq!(world.asset_state(assets[1]).await, "in_stock");
    world.assert_log_agrees().await;
}

#[sqlx::test(migrations = "./migrations")]
async fn the_finance_approver_is_told_and_signs_off_on_the_pages(pool: PgPool) {
    let world = World::new(pool.clone()).await;
    let assets = world.stock(world.tables, 1).await;
    let (loan, _) = world.approve_for(&assets, &day(1), &day(40)).await;

    // The notifier tells the finance approvers, not the admins.
    let app = depot::app::App::new(pool, depot::config::Config::for_database(None));
    depot::app::notices::round(&app).await.unwrap();
    let (status, inbox) = world
        .call(Method::GET, "/api/notifications", &world.approver, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{inbox}");
    let items = inbox["items"].as_array().unwrap();
    assert!(
        items
            .iter()
            .any(|n| n["kind"] == "sign_off_waiting" && n["order_id"] == loan),
        "{inbox}"
    );
    let (_, admin_inbox) = world
        .call(Method::GET, "/api/notifications", &world.admin, None)
        .await;
    assert!(
        !admin_inbox["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["kind"] == "sign_off_waiting"),
        "{admin_inbox}"
    );

    // The sign-off queue, in 中文 too; the loan's page offers the sign-off to finance only.
    let cookie = login(&world, "approver").await;
    let page = get(&world, "/finance/sign-offs", &cookie).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains(&format!("id=\"review-{loan}\"")),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("40 days (more than 30)"),
        "{}",
        page.body
    );
    let zh = format!("{cookie}; lang=zh-CN");
    let page = get(&world, "/finance/sign-offs", &zh).await;
    assert!(page.body.contains("40 天（超过 30 天）"), "{}", page.body);
    // And as CSV: in 中文 for people, in codes for machines, to finance alone.
    assert!(page.body.contains("href=\"/finance/sign-offs.csv\""));
    let csv = get(&world, "/finance/sign-offs.csv", &zh).await;
    assert_eq!(csv.status, StatusCode::OK, "{}", csv.body);
    let lines: Vec<&str> = csv.body.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(
        lines[0],
        "借用单号,部门,用途,申请人,开始日期,归还日期,天数,原值（元）,需财务审批的原因,申请时间 (UTC+08:00)"
    );
    assert_eq!(lines.len(), 2, "{}", csv.body);
    assert!(
        lines[1].starts_with(&format!("{loan},"))
            && lines[1].contains(&format!(
                ",{},{},40,450.00,40 天（超过 30 天）,",
                day(1),
                day(40)
            )),
        "{}",
        lines[1]
    );
    let machines = get(&world, "/finance/sign-offs.csv?codes=1", &cookie).await;
    assert!(
        machines.body.contains(",40,450.00,40 days (more than 30),"),
        "{}",
        machines.body
    );
    let keeper = login(&world, "keeper").await;
    let refused = get(&world, "/finance/sign-offs.csv", &keeper).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    let admin = login(&world, "admin").await;
    // The admin sees what waits at finance, and why.
    let approvals = get(&world, "/admin/approvals", &admin).await;
    let at_finance = &approvals.body[approvals.body.find("id=\"at-finance\"").unwrap()..];
    assert!(
        at_finance.contains(&format!("href=\"/orders/{loan}\"")),
        "{}",
        approvals.body
    );
    assert!(
        at_finance.contains("40 days (more than 30)"),
        "{}",
        approvals.body
    );
    let order = get(&world, &format!("/orders/{loan}"), &admin).await;
    assert!(
        !order.body.contains("id=\"sign-off-button\""),
        "{}",
        order.body
    );
    let order = get(&world, &format!("/orders/{loan}"), &cookie).await;
    assert!(
        order.body.contains("id=\"sign-off-button\""),
        "{}",
        order.body
    );
    let reply = post(
        &world,
        &format!("/orders/{loan}/sign-off"),
        &cookie,
        &[("csrf", &order.csrf())],
    )
    .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    assert_eq!(world.loan_status(loan).await, "approved");
    // A forged form (no token) changes nothing.
    let (loan2, _) = world
        .approve_for(&world.stock(world.tables, 1).await, &day(1), &day(40))
        .await;
    let reply = post(&world, &format!("/orders/{loan2}/sign-off"), &cookie, &[]).await;
    assert_ne!(reply.status, StatusCode::SEE_OTHER);
    assert_eq!(world.loan_status(loan2).await, "awaiting_finance");
}

#[sqlx::test(migrations = "./migrations")]
async fn a_loan_whose_days_have_passed_is_neither_approved_nor_signed_off(pool: PgPool) {
    let world = World::new(pool).await;
    let assets = world.stock(world.tables, 2).await;
    let request = |asset: i64| {
        json!({"purpose": "spring fair", "starts_on": day(0), "ends_on": day(2),
               "lines": [{"asset_id": asset}]})
    };
    let (status, loan) = world
        .call(
            Method::POST,
            "/api/loans",
            &world.requester,
            Some(request(assets[0])),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{loan}");
    let late = loan["id"].as_i64().unwrap();
    // Nobody looked at it for a week: its three days are over.
    let move_back = |loan: i64| {
        sqlx::query(
            "update loans set starts_on = starts_on - 7, ends_on = ends_on - 7 where id = $1",
        )
        .bind(loan)
        .execute(&world.pool)
    };
    move_back(late).await.unwrap();
    let (status, body) = world.loan_action(late, "approve", &world.admin, None).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("the loan's dates have passed: it ended on "),
        "{body}"
    );
    assert_eq!(world.loan_status(late).await, "requested");
    assert_eq!(world.held(late).await, 0);
    assert_eq!(world.asset_state(assets[0]).await, "in_stock");

    // One that started yesterday and ends tomorrow is approved, late.
    let (status, loan) = world
        .call(
            Method::POST,
            "/api/loans",
            &world.requester,
            Some(request(assets[1])),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{loan}");
    let started = loan["id"].as_i64().unwrap();
    sqlx::query("update loans set starts_on = starts_on - 1, ends_on = ends_on - 1 where id = $1")
        .bind(started)
        .execute(&world.pool)
        .await
        .unwrap();
    // Worth enough to wait for finance, who signs off only while days are left.
    sqlx::query("update assets set original_value_fen = 5000000 where id = $1")
        .bind(assets[1])
        .execute(&world.pool)
        .await
        .unwrap();
    let (status, body) = world
        .loan_action(started, "approve", &world.admin, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "awaiting_finance", "{body}");
    move_back(started).await.unwrap();
    let (status, body) = world
        .loan_action(started, "sign-off", &world.approver, None)
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(world.loan_status(started).await, "awaiting_finance");
    // Refusing it gives the asset back.
    let (status, body) = world
        .loan_action(
            started,
            "refuse",
            &world.approver,
            Some(json!({"reason": "its days are over"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(world.asset_state(assets[1]).await, "in_stock");
    world.assert_log_agrees().await;
}
