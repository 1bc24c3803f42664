//! Forward bookings end to end through the API: a loan books assets for a later period
//! whatever they do now, approval assigns what is free for the whole period, issue hands out
//! only what is on the shelf, a late return that collides with the next booking raises an
//! alert and the admin swaps the asset, and the catalogue counts for any window of days.

mod common;

use axum::http::{Method, StatusCode};
use chrono::{Duration, NaiveDate};
use common::{get, login, post, World};
use depot::app::App;
use depot::config::Config;
use serde_json::{json, Value};
use sqlx::PgPool;

/// The depot's today (its calendar, +08:00 by default), which decides whether a loan is late.
fn today() -> NaiveDate {
    chrono::Utc::now()
        .with_timezone(&depot::config::default_time_zone())
        .date_naive()
}

fn day(offset: i64) -> String {
    (today() + Duration::days(offset)).to_string()
}

impl World {
    /// Request a loan of `lines` for the dates as `token`'s department, and approve it; the
    /// approval's answer.
    async fn booked(
        &self,
        token: &str,
        starts: &str,
        ends: &str,
        lines: Value,
    ) -> (i64, StatusCode, Value) {
        // Approval's own count is what these tests are about. A loan whose days are over
        // is approved for today, then dated back.
        let today = common::today().to_string();
        let over = ends < today.as_str();
        let (asked_starts, asked_ends) = match over {
            true => (today.as_str(), today.as_str()),
            false => (starts, ends),
        };
        let id = self
            .requested(token, "conference", asked_starts, asked_ends, lines)
            .await;
        let (status, body) = self
            .call(
                Method::POST,
                &format!("/api/loans/{id}/approve"),
                &self.admin,
                None,
            )
            .await;
        if over && status == StatusCode::OK {
            self.date_back(id, starts, ends).await;
        }
        (id, status, body)
    }

    async fn issue(&self, loan: i64) -> (StatusCode, Value) {
        self.call(
            Method::POST,
            &format!("/api/loans/{loan}/issue"),
            &self.keeper,
            None,
        )
        .await
    }

    /// How many of a category the catalogue offers `token`'s department for the window.
    async fn free(&self, token: &str, category: i64, from: &str, to: &str) -> i64 {
        let (status, body) = self
            .call(
                Method::GET,
                &format!("/api/catalogue?from={from}&to={to}&category={category}"),
                token,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["from"], json!(from));
        body["offers"][0]["depot"].as_i64().unwrap()
    }
}

fn asset_ids(loan: &Value) -> Vec<i64> {
    loan["assets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["released_at"].is_null())
        .map(|a| a["asset_id"].as_i64().unwrap())
        .collect()
}

#[sqlx::test(migrations = "./migrations")]
async fn thirty_chairs_are_booked_for_next_month_while_twenty_are_out_today(pool: PgPool) {
    let world = World::new(pool).await;
    let chairs = world.stock(world.chairs, 51).await;
    let next_month = day(30);

    // This week's event has 20 chairs out.
    let (this_week, status, body) = world
        .booked(
            &world.requester2,
            &day(0),
            &day(3),
            json!([{"category_id": world.chairs, "quantity": 20}]),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = world.issue(this_week).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let out = asset_ids(&body);
    assert_eq!(out.len(), 20);

    // Today 31 can be borrowed; for a day next month, all 51.
    assert_eq!(
        world
            .free(&world.requester, world.chairs, &day(0), &day(0))
            .await,
        31
    );
    assert_eq!(
        world
            .free(&world.requester, world.chairs, &next_month, &next_month)
            .await,
        51
    );
    // A window that takes in this week's loan counts it out.
    assert_eq!(
        world
            .free(&world.requester, world.chairs, &day(2), &next_month)
            .await,
        31
    );

    // Next month's conference books 30: approved.
    let (conference, status, body) = world
        .booked(
            &world.requester,
            &next_month,
            &next_month,
            json!([{"category_id": world.chairs, "quantity": 30}]),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "approved");
    assert_eq!(asset_ids(&body).len(), 30);

    // The catalogue for today and for next month shows the difference.
    assert_eq!(
        world
            .free(&world.requester, world.chairs, &day(0), &day(0))
            .await,
        31
    );
    assert_eq!(
        world
            .free(&world.requester, world.chairs, &next_month, &next_month)
            .await,
        21
    );

    // The remaining 21 for that day include the chairs out today: 22 are refused, 21 booked.
    let (_, status, body) = world
        .booked(
            &world.requester2,
            &next_month,
            &next_month,
            json!([{"category_id": world.chairs, "quantity": 22}]),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(
        body["error"]["message"],
        "only 21 of the 22 chair asked for are available for those dates"
    );
    let (_, status, body) = world
        .booked(
            &world.requester2,
            &next_month,
            &next_month,
            json!([{"category_id": world.chairs, "quantity": 21}]),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let booked_out: Vec<i64> = asset_ids(&body)
        .into_iter()
        .filter(|a| out.contains(a))
        .collect();
    assert_eq!(
        booked_out.len(),
        20,
        "every chair out today is booked for next month"
    );
    assert_eq!(world.asset_state(booked_out[0]).await, "on_loan");
    assert_eq!(
        world
            .free(&world.requester, world.chairs, &next_month, &next_month)
            .await,
        0
    );
    assert_eq!(
        world
            .free(&world.requester, world.chairs, &day(0), &day(0))
            .await,
        31
    );

    // Today's shelf is not held for next month: a loan today still gets chairs.
    let (_, status, body) = world
        .booked(
            &world.requester,
            &day(0),
            &day(0),
            json!([{"category_id": world.chairs, "quantity": 31}]),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        world
            .free(&world.requester, world.chairs, &day(0), &day(0))
            .await,
        0
    );
    assert_eq!(chairs.len(), 51);
    let (status, _) = world
        .call(
            Method::GET,
            &format!("/api/loans/{conference}"),
            &world.requester,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    world.assert_log_agrees().await;
}

#[sqlx::test(migrations = "./migrations")]
async fn a_booked_asset_out_on_an_earlier_loan_is_issued_once_it_is_back(pool: PgPool) {
    let world = World::new(pool).await;
    let tables = world.stock(world.tables, 2).await;
    let lines = json!([{"category_id": world.tables, "quantity": 2}]);
    let (this_week, status, _) = world
        .booked(&world.requester2, &day(0), &day(2), lines.clone())
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(world.issue(this_week).await.0, StatusCode::OK);

    // Next week's meeting books the same two tables while they are out.
    let (next_week, status, body) = world
        .booked(&world.requester, &day(7), &day(8), lines)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(asset_ids(&body), tables);
    assert_eq!(world.asset_state(tables[0]).await, "on_loan");

    // They are not on the shelf: issuing is refused with the reason.
    let (status, body) = world.issue(next_week).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("still out on loan {this_week}")),
        "{message}"
    );

    // Nothing to pick for it yet; once they are back, they are on the pick list.
    let keeper = login(&world, "keeper").await;
    let picks = get(&world, "/keeper/picks", &keeper).await;
    assert!(
        !picks.body.contains(&format!("/orders/{next_week}")),
        "{}",
        picks.body
    );

    // Back from this week's loan, they are held for next week's at once.
    let (status, body) = world
        .call(
            Method::POST,
            &format!("/api/loans/{this_week}/return"),
            &world.keeper,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(world.asset_state(tables[0]).await, "reserved");
    let (_, events) = world
        .call(
            Method::GET,
            &format!("/api/assets/{}/events", tables[0]),
            &world.admin,
            None,
        )
        .await;
    let actions: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(actions.ends_with(&["return", "reserve"]), "{actions:?}");
    assert!(actions.contains(&"book"), "{actions:?}");

    let picks = get(&world, "/keeper/picks", &keeper).await;
    assert!(
        picks.body.contains(&format!("/orders/{next_week}")),
        "{}",
        picks.body
    );
    let (status, body) = world.issue(next_week).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "issued");
    world.assert_log_agrees().await;
}

#[sqlx::test(migrations = "./migrations")]
async fn the_earlier_booking_goes_first_and_cancelling_one_keeps_the_other(pool: PgPool) {
    let world = World::new(pool).await;
    let table = world.stock(world.tables, 1).await[0];
    let line = json!([{"asset_id": table}]);
    let (first, status, _) = world
        .booked(&world.requester, &day(5), &day(6), line.clone())
        .await;
    assert_eq!(status, StatusCode::OK);
    let (second, status, body) = world
        .booked(&world.requester2, &day(10), &day(11), line.clone())
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Overlapping the first booking: refused.
    let (_, status, _) = world
        .booked(&world.requester2, &day(6), &day(7), line)
        .await;
    assert_eq!(status, StatusCode::CONFLICT);

    let (status, body) = world.issue(second).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains(&format!("booked first for loan {first}")),
        "{body}"
    );

    // The first is cancelled: the table stays held, for the second.
    let (status, _) = world
        .call(
            Method::POST,
            &format!("/api/loans/{first}/cancel"),
            &world.requester,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(world.asset_state(table).await, "reserved");
    // The second is cancelled too: it is idle again.
    let (status, _) = world
        .call(
            Method::POST,
            &format!("/api/loans/{second}/cancel"),
            &world.requester2,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(world.asset_state(table).await, "in_stock");
    world.assert_log_agrees().await;
}

#[sqlx::test(migrations = "./migrations")]
async fn a_late_return_colliding_with_the_next_booking_is_alerted_and_swapped(pool: PgPool) {
    let world = World::new(pool.clone()).await;
    let tables = world.stock(world.tables, 3).await;
    let late = tables[0];

    // Out on a loan that ended two days ago.
    let (overdue, status, _) = world
        .booked(
            &world.requester2,
            &day(-10),
            &day(-2),
            json!([{"asset_id": late}]),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(world.issue(overdue).await.0, StatusCode::OK);
    // Not back: today it cannot be borrowed.
    assert_eq!(
        world
            .free(&world.requester, world.tables, &day(0), &day(0))
            .await,
        2
    );
    assert_eq!(
        world
            .free(&world.requester, world.tables, &day(1), &day(1))
            .await,
        3
    );

    // Not for today, even named: it is not back.
    let (_, status, body) = world
        .booked(
            &world.requester,
            &day(0),
            &day(0),
            json!([{"asset_id": late}]),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains(&format!("still out on loan {overdue}, past its last day")),
        "{body}"
    );

    // Tomorrow's meeting booked it (when it still looked like coming back on time).
    let (meeting, status, body) = world
        .booked(
            &world.requester,
            &day(1),
            &day(1),
            json!([{"asset_id": late}]),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // The check raises one alert, once, proposing another table.
    let app = App::new(pool.clone(), Config::for_database(None));
    let raised = depot::app::bookings::raise_alerts(&app).await.unwrap();
    assert_eq!(raised.len(), 1);
    let alert = &raised[0];
    assert_eq!(alert.asset_id, Some(late));
    assert_eq!(alert.order_id, Some(meeting));
    assert!(
        alert
            .message
            .contains(&format!("still out on loan {overdue}"))
            && alert
                .message
                .contains(&format!("swap it for asset {}", tables[1])),
        "{}",
        alert.message
    );
    assert!(depot::app::bookings::raise_alerts(&app)
        .await
        .unwrap()
        .is_empty());

    // The collision is listed for the staff and for the department whose loan it is only.
    let (status, list) = world
        .call(Method::GET, "/api/bookings/collisions", &world.admin, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        (&list["total"], &list["has_more"]),
        (&json!(1), &json!(false))
    );
    assert_eq!(list["items"][0]["loan_id"], json!(meeting));
    assert_eq!(list["items"][0]["out_on"], json!(overdue));
    assert_eq!(list["items"][0]["swap"]["asset_id"], json!(tables[1]));
    let (_, own) = world
        .call(
            Method::GET,
            "/api/bookings/collisions",
            &world.requester,
            None,
        )
        .await;
    assert_eq!(own["items"].as_array().unwrap().len(), 1);
    let (_, other) = world
        .call(
            Method::GET,
            "/api/bookings/collisions",
            &world.requester2,
            None,
        )
        .await;
    assert_eq!(other["items"], json!([]));

    let (status, _) = world.issue(meeting).await;
    assert_eq!(status, StatusCode::CONFLICT);

    // Only the admin swaps; a table that is not free is refused; the proposed one is taken.
    let swap = |body: Value| {
        let world = &world;
        async move {
            world
                .call(
                    Method::POST,
                    &format!("/api/loans/{meeting}/swap"),
                    &world.admin,
                    Some(body),
                )
                .await
        }
    };
    let (status, _) = world
        .call(
            Method::POST,
            &format!("/api/loans/{meeting}/swap"),
            &world.requester,
            Some(json!({"asset_id": late})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = swap(json!({"asset_id": late, "replacement_id": late})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = swap(json!({"asset_id": tables[2]})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, body) = swap(json!({"asset_id": late})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(asset_ids(&body), vec![tables[1]]);
    assert_eq!(world.asset_state(late).await, "on_loan");
    assert_eq!(world.asset_state(tables[1]).await, "reserved");

    // In the loan's history, the alert closed, nothing left colliding.
    let (_, events) = world
        .call(
            Method::GET,
            &format!("/api/loans/{meeting}/events"),
            &world.admin,
            None,
        )
        .await;
    assert!(
        events
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "swap"),
        "{events}"
    );
    let open: i64 = sqlx::query_scalar(
        "select count(*) from alerts where kind = 'booking_collision' and acknowledged_at is null",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(open, 0);
    let (_, list) = world
        .call(Method::GET, "/api/bookings/collisions", &world.admin, None)
        .await;
    assert_eq!(list["items"], json!([]));

    let (status, body) = world.issue(meeting).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    world.assert_log_agrees().await;
}

#[sqlx::test(migrations = "./migrations")]
async fn the_catalogue_window_is_bounded(pool: PgPool) {
    let world = World::new(pool).await;
    world.stock(world.tables, 1).await;
    for (query, status) in [
        (
            format!("from={}&to={}", day(3), day(2)),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            format!("from={}&to={}", day(0), day(400)),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        ("from=2030-02-30".to_owned(), StatusCode::BAD_REQUEST),
        ("from=1800-01-01".to_owned(), StatusCode::BAD_REQUEST),
        (format!("from={}", day(365)), StatusCode::OK),
        (String::new(), StatusCode::OK),
    ] {
        let (got, body) = world
            .call(
                Method::GET,
                &format!("/api/catalogue?{query}"),
                &world.requester,
                None,
            )
            .await;
        assert!(
            got == status || (status == StatusCode::BAD_REQUEST && got.is_client_error()),
            "{query}: {got} {body}"
        );
        if got.is_client_error() {
            assert!(body["error"]["message"].is_string(), "{body}");
        }
    }
    let (_, body) = world
        .call(Method::GET, "/api/catalogue", &world.requester, None)
        .await;
    // Without dates: today, the depot's.
    assert_eq!(body["from"], json!(common::today()));
    assert_eq!(body["to"], json!(common::today()));
}

#[sqlx::test(migrations = "./migrations")]
async fn the_admin_sees_collisions_on_the_bookings_page_and_accepts_the_swap(pool: PgPool) {
    let world = World::new(pool.clone()).await;
    let tables = world.stock(world.tables, 2).await;
    let (overdue, _, _) = world
        .booked(
            &world.requester2,
            &day(-5),
            &day(-1),
            json!([{"asset_id": tables[0]}]),
        )
        .await;
    assert_eq!(world.issue(overdue).await.0, StatusCode::OK);
    let (meeting, status, _) = world
        .booked(
            &world.requester,
            &day(2),
            &day(2),
            json!([{"asset_id": tables[0]}]),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    let admin = login(&world, "admin").await;
    let page = get(&world, "/admin/bookings", &admin).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body
            .contains(&format!("action=\"/admin/bookings/{meeting}/swap\"")),
        "{}",
        page.body
    );
    assert!(
        page.body.contains(&format!("value=\"{}\"", tables[1])),
        "{}",
        page.body
    );
    let zh = get(&world, "/admin/bookings", &format!("{admin}; lang=zh-CN")).await;
    assert!(zh.body.contains("预订冲突"), "{}", zh.body);

    // The department whose loan it is sees it, without the swap; another sees nothing.
    let requester = login(&world, "requester").await;
    let own = get(&world, "/admin/bookings", &requester).await;
    assert_eq!(own.status, StatusCode::OK);
    assert!(
        own.body.contains(&format!("/orders/{meeting}")) && !own.body.contains("/swap"),
        "{}",
        own.body
    );
    assert!(
        !own.body.contains(&format!("/orders/{overdue}")),
        "another department's loan is not named: {}",
        own.body
    );
    let other = login(&world, "requester2").await;
    let theirs = get(&world, "/admin/bookings", &other).await;
    assert!(
        !theirs.body.contains(&format!("/orders/{meeting}")),
        "{}",
        theirs.body
    );

    // As CSV: the admin's names the loan the asset is out on and the replacement; the
    // department's does not name the other's loan; the other department's is empty.
    assert!(page.body.contains("href=\"/admin/bookings.csv\""));
    let lines = |body: String| -> Vec<String> {
        body.trim_start_matches('\u{feff}')
            .lines()
            .map(str::to_owned)
            .collect()
    };
    let csv = get(&world, "/admin/bookings.csv", &admin).await;
    assert_eq!(csv.status, StatusCode::OK, "{}", csv.body);
    let all = lines(csv.body);
    assert_eq!(
        all[0],
        "Loan,Department,First day,Last day,Asset number,Asset,EPC,State,Still out on loan,Due back on,Proposed replacement number,Proposed replacement"
    );
    assert_eq!(all.len(), 2, "{all:?}");
    assert!(
        all[1].starts_with(&format!("{meeting},"))
            && all[1].contains(&format!(",{},", tables[0]))
            && all[1].ends_with(&format!(",{overdue},{},{},item 1", day(-1), tables[1])),
        "{}",
        all[1]
    );
    let own = lines(get(&world, "/admin/bookings.csv", &requester).await.body);
    assert_eq!(own.len(), 2, "{own:?}");
    assert!(
        own[1].starts_with(&format!("{meeting},"))
            && own[1].split(',').nth(8) == Some("")
            && own[1].split(',').nth(9) == Some(""),
        "{}",
        own[1]
    );
    let theirs = lines(get(&world, "/admin/bookings.csv", &other).await.body);
    assert_eq!(theirs.len(), 1, "the header only: {theirs:?}");

    // The swap is asked first, naming the loan and both assets; nothing changes until then.
    let asset = tables[0].to_string();
    let replacement = tables[1].to_string();
    let swap = format!("/admin/bookings/{meeting}/swap");
    let booked = || async {
        sqlx::query_scalar::<_, i64>(
            "select asset_id from reservations where order_kind = 'loan' and order_id = $1
             and released_at is null order by asset_id",
        )
        .bind(meeting)
        .fetch_all(&world.pool)
        .await
        .unwrap()
    };
    assert!(
        page.body
            .contains("<input type=\"hidden\" name=\"back\" value=\"/admin/bookings\">"),
        "{}",
        page.body
    );
    let asked = post(
        &world,
        &swap,
        &admin,
        &[
            ("csrf", &page.csrf()),
            ("back", "/admin/bookings?done=swapped"),
            ("asset", &asset),
            ("replacement", ""),
        ],
    )
    .await;
    assert_eq!(asked.status, StatusCode::OK, "{}", asked.body);
    assert!(
        asked
            .body
            .contains(&format!("<h1>Swap the booking of loan {meeting}?</h1>")),
        "{}",
        asked.body
    );
    let said = format!(
        "Loan {meeting} (Finance Bureau, {} – {}) lets go of asset {} · item 0 and books asset {} · item 1 in its place.",
        day(2),
        day(2),
        tables[0],
        tables[1]
    );
    assert!(asked.body.contains(&said), "{said}: {}", asked.body);
    assert!(
        asked
            .body
            .contains("<a href=\"/admin/bookings\" id=\"confirm-back\">"),
        "{}",
        asked.body
    );
    assert!(
        asked.body.contains(&format!(
            "<input type=\"hidden\" name=\"replacement\" value=\"{replacement}\">"
        )),
        "the replacement asked about is the one booked: {}",
        asked.body
    );
    assert_eq!(booked().await, vec![tables[0]], "nothing swapped yet");
    assert_eq!(world.asset_state(tables[1]).await, "in_stock");
    let zh = post(
        &world,
        &swap,
        &format!("{admin}; lang=zh-CN"),
        &[
            ("csrf", &page.csrf()),
            ("asset", &asset),
            ("replacement", &replacement),
        ],
    )
    .await;
    assert!(
        zh.body.contains(&format!("借用单 {meeting}（")) && zh.body.contains("改为预订资产"),
        "{}",
        zh.body
    );
    assert_eq!(booked().await, vec![tables[0]], "nothing swapped yet");

    let reply = post(
        &world,
        &swap,
        &admin,
        &[
            ("csrf", &page.csrf()),
            ("back", "/admin/bookings"),
            ("asset", &asset),
            ("replacement", &replacement),
            ("confirmed", "1"),
        ],
    )
    .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    assert_eq!(reply.location(), "/admin/bookings?done=swapped");
    assert_eq!(booked().await, vec![tables[1]]);
    let page = get(&world, "/admin/bookings", &admin).await;
    assert!(!page.body.contains("/swap"), "{}", page.body);
    assert_eq!(world.asset_state(tables[1]).await, "reserved");
    world.assert_log_agrees().await;
}

/// The collisions page a hundred at a time, soonest first; the next page reaches the rest.
#[sqlx::test(migrations = "./migrations")]
async fn the_bookings_page_pages_its_collisions(pool: PgPool) {
    let world = World::new(pool.clone()).await;
    let ids: Vec<i64> = sqlx::query_scalar(
        "insert into assets (epc, name, category_id, original_value_fen, state, zone_id)
         select 'C0' || lpad(g::text, 22, '0'), 'collide ' || lpad(g::text, 3, '0'), $1, 100, 'in_stock', $2
         from generate_series(1, 101) g returning id",
    )
    .bind(world.chairs)
    .bind(world.shelf)
    .fetch_all(&world.pool)
    .await
    .unwrap();
    let (meeting, status, body) = world
        .booked(
            &world.requester,
            &day(1),
            &day(1),
            json!([{"category_id": world.chairs, "quantity": 101}]),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Every chair broke before the meeting.
    sqlx::query("update assets set state = 'in_repair' where id = any($1)")
        .bind(&ids)
        .execute(&world.pool)
        .await
        .unwrap();
    let admin = login(&world, "admin").await;
    let first = get(&world, "/admin/bookings", &admin).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert_eq!(
        first
            .body
            .matches(&format!("<a href=\"/orders/{meeting}\">"))
            .count(),
        100,
        "{}",
        first.body
    );
    assert!(first.body.contains("collide 100 "), "{}", first.body);
    assert!(!first.body.contains("collide 101 "), "{}", first.body);
    assert!(
        first.body.contains("id=\"pager-range\">1–100 / 101<"),
        "{}",
        first.body
    );
    assert!(
        first
            .body
            .contains("href=\"/admin/bookings?page=2\" rel=\"next\""),
        "{}",
        first.body
    );
    let second = get(&world, "/admin/bookings?page=2", &admin).await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.body);
    assert_eq!(
        second
            .body
            .matches(&format!("<a href=\"/orders/{meeting}\">"))
            .count(),
        1
    );
    assert!(second.body.contains("collide 101 "), "{}", second.body);
    assert!(
        second.body.contains("id=\"pager-range\">101–101 / 101<"),
        "{}",
        second.body
    );
    // Each is alerted once: a second sweep finds none left to alert.
    let app = App::new(world.pool.clone(), Config::for_database(None));
    let raised = depot::app::bookings::raise_alerts(&app).await.unwrap();
    assert_eq!(raised.len(), 101);
    assert!(depot::app::bookings::raise_alerts(&app)
        .await
        .unwrap()
        .is_empty());
    // The API pages them as the page does.
    let (status, first) = world
        .call(
            Method::GET,
            "/api/bookings/collisions?per_page=100",
            &world.admin,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["items"].as_array().unwrap().len(), 100);
    assert_eq!(
        (&first["total"], &first["has_more"]),
        (&json!(101), &json!(true))
    );
    let (_, second) = world
        .call(
            Method::GET,
            "/api/bookings/collisions?per_page=100&page=2",
            &world.admin,
            None,
        )
        .await;
    assert_eq!(second["items"].as_array().unwrap().len(), 1, "{second}");
    assert_eq!(second["items"][0]["asset"], json!("collide 101"));
    assert_eq!(second["has_more"], json!(false));
    let (_, default) = world
        .call(Method::GET, "/api/bookings/collisions", &world.admin, None)
        .await;
    assert_eq!(default["items"].as_array().unwrap().len(), 50, "{default}");
    for bad in [
        "/api/bookings/collisions?after=3",
        "/api/bookings/collisions?page=0",
    ] {
        let (status, reply) = world.call(Method::GET, bad, &world.admin, None).await;
        assert!(status.is_client_error(), "{bad}: {status} {reply}");
    }
}

/// The kits page a hundred at a time, by name, each kit with its parts.
#[sqlx::test(migrations = "./migrations")]
async fn the_kits_page_pages_its_kits(pool: PgPool) {
    let world = World::new(pool.clone()).await;
    sqlx::query(
        "with k as (insert into kits (name, description)
                    select 'kit ' || lpad(g::text, 3, '0'), '' from generate_series(1, 101) g returning id, name)
         insert into kit_parts (kit_id, category_id, quantity)
         select id, $1, substr(name, 5)::int from k",
    )
    .bind(world.tables)
    .execute(&world.pool)
    .await
    .unwrap();
    let admin = login(&world, "admin").await;
    let first = get(&world, "/admin/kits", &admin).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert_eq!(
        first.body.matches("/delete\"").count(),
        100,
        "{}",
        first.body
    );
    assert!(first.body.contains("kit 100<"), "{}", first.body);
    assert!(first.body.contains("100 × folding table"), "{}", first.body);
    assert!(!first.body.contains("kit 101<"), "{}", first.body);
    assert!(
        first.body.contains("id=\"pager-range\">1–100 / 101<"),
        "{}",
        first.body
    );
    assert!(
        first
            .body
            .contains("href=\"/admin/kits?page=2\" rel=\"next\""),
        "{}",
        first.body
    );
    let second = get(&world, "/admin/kits?page=2", &admin).await;
    assert_eq!(
        second.body.matches("/delete\"").count(),
        1,
        "{}",
        second.body
    );
    assert!(second.body.contains("kit 101<"), "{}", second.body);
    assert!(
        second.body.contains("101 × folding table"),
        "{}",
        second.body
    );
    // All of them as CSV, in the viewer's language or as codes.
    assert!(first.body.contains("href=\"/admin/kits.csv\""));
    let csv = get(&world, "/admin/kits.csv", &admin).await;
    assert_eq!(csv.status, StatusCode::OK, "{}", csv.body);
    let lines: Vec<&str> = csv.body.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines[0], "Kit number,Name,Description,Parts");
    assert_eq!(lines.len(), 1 + 101, "{}", csv.body);
    assert!(
        lines[1].contains(",kit 001,,1 × folding table"),
        "{}",
        lines[1]
    );
    assert!(
        lines[101].contains(",kit 101,,101 × folding table"),
        "{}",
        lines[101]
    );
    let zh = get(&world, "/admin/kits.csv", &format!("{admin}; lang=zh-CN")).await;
    assert!(zh.body.contains("套件编号,名称,说明,组成"), "{}", zh.body);
    // The API pages them too, by name, each with its parts.
    let (status, first) = world
        .call(
            Method::GET,
            "/api/kits?per_page=100",
            &world.requester,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["items"].as_array().unwrap().len(), 100);
    assert_eq!(first["items"][0]["name"], json!("kit 001"));
    assert_eq!(
        (&first["total"], &first["has_more"]),
        (&json!(101), &json!(true))
    );
    let (_, second) = world
        .call(
            Method::GET,
            "/api/kits?per_page=100&page=2",
            &world.requester,
            None,
        )
        .await;
    assert_eq!(second["items"][0]["name"], json!("kit 101"), "{second}");
    assert_eq!(second["items"][0]["parts"][0]["quantity"], json!(101));
    assert_eq!(second["has_more"], json!(false));
    let (status, _) = world
        .call(Method::GET, "/api/kits?after=1", &world.requester, None)
        .await;
    assert!(status.is_client_error());
}

#[sqlx::test(migrations = "./migrations")]
async fn a_listed_asset_booked_ahead_stays_offered_for_other_days(pool: PgPool) {
    let world = World::new(pool.clone()).await;
    // The Culture bureau's own table, listed in the virtual depot.
    let listed: i64 = sqlx::query_scalar(
        "insert into assets (epc, name, category_id, original_value_fen, state, virtual_depot, owner_department_id, holder_department_id)
         values ('AB12', 'culture table', $1, 100, 'listed', true, $2, $2) returning id",
    )
    .bind(world.tables)
    .bind(world.culture)
    .fetch_one(&pool)
    .await
    .unwrap();
    sqlx::query("insert into events (asset_id, action, to_state) values ($1, 'fixture', 'listed')")
        .bind(listed)
        .execute(&pool)
        .await
        .unwrap();
    let (_, status, body) = world
        .booked(
            &world.requester,
            &day(7),
            &day(8),
            json!([{"category_id": world.tables, "quantity": 1}]),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(world.asset_state(listed).await, "reserved");
    let listings = |from: String| {
        let world = &world;
        async move {
            let (_, body) = world
                .call(
                    Method::GET,
                    &format!("/api/catalogue?from={from}"),
                    &world.requester,
                    None,
                )
                .await;
            (
                body["listings"].as_array().unwrap().len(),
                body["offers"].clone(),
            )
        }
    };
    let (today, offers) = listings(day(0)).await;
    assert_eq!(today, 1, "free today");
    assert_eq!(
        offers
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["category_id"] == json!(world.tables))
            .unwrap()["listed"],
        1
    );
    assert_eq!(listings(day(7)).await.0, 0, "booked next week");
    assert_eq!(listings(day(9)).await.0, 1, "free after");
}
