//! The lifecycle table against the real database: every allowed transition, every refused
//! one, and the double-booking race.

mod common;

use axum::http::{Method, StatusCode};
use common::World;
use depot::db::events::{self, Context};
use depot::db::Error;
use depot::domain::lifecycle::{AssetAction, AssetState, TRANSITIONS};
use serde_json::json;
use sqlx::PgPool;

/// Put an asset straight into `state` (with a log entry, as if it had got there) so each
/// transition can be tried from each state.
async fn asset_in(world: &World, state: AssetState, virtual_depot: bool) -> i64 {
    let id: i64 = sqlx::query_scalar(
        "insert into assets (epc, name, category_id, original_value_fen, state, virtual_depot)
         values (upper(md5(random()::text)), 'probe', $1, 100, $2, $3) returning id",
    )
    .bind(world.tables)
    .bind(state)
    .bind(virtual_depot)
    .fetch_one(&world.pool)
    .await
    .unwrap();
    sqlx::query("insert into events (asset_id, action, to_state) values ($1, 'fixture', $2)")
        .bind(id)
        .bind(state.as_str())
        .execute(&world.pool)
        .await
        .unwrap();
    id
}

#[sqlx::test(migrations = "./migrations")]
async fn every_allowed_transition_lands_and_is_logged(pool: PgPool) {
    let world = World::new(pool).await;
    let mut tried = 0;
    for &(action, from_states, _) in TRANSITIONS {
        for &from in from_states {
            for virtual_depot in [false, true] {
                let id = asset_in(&world, from, virtual_depot).await;
                let expected = action.apply(from, virtual_depot).unwrap();
                let mut tx = world.pool.begin().await.unwrap();
                let ctx = Context::by(1).reason("table test");
                let to = events::transition(&mut tx, id, action, &ctx).await.unwrap();
                tx.commit().await.unwrap();
                assert_eq!(to, expected, "{action} from {from}");
                assert_eq!(world.asset_state(id).await, expected.as_str());
                let (logged_action, logged_from, logged_to): (String, String, String) = sqlx::query_as(
                    "select action, from_state, to_state from events where asset_id = $1 order by id desc limit 1",
                )
                .bind(id)
                .fetch_one(&world.pool)
                .await
                .unwrap();
                assert_eq!(
                    (
                        logged_action.as_str(),
                        logged_from.as_str(),
                        logged_to.as_str()
                    ),
                    (action.as_str(), from.as_str(), expected.as_str())
                );
                tried += 1;
            }
        }
    }
    assert!(tried >= 2 * TRANSITIONS.len());
    world.assert_log_agrees().await;
}

#[sqlx::test(migrations = "./migrations")]
async fn every_forbidden_transition_is_refused_and_changes_nothing(pool: PgPool) {
    let world = World::new(pool).await;
    let mut refused = 0;
    for action in AssetAction::ALL {
        for from in AssetState::ALL {
            if action.allowed_from().contains(&from) {
                continue;
            }
            let id = asset_in(&world, from, false).await;
            let events_before: i64 = sqlx::query_scalar("select count(*) from events")
                .fetch_one(&world.pool)
                .await
                .unwrap();
            let mut tx = world.pool.begin().await.unwrap();
            let err = events::transition(&mut tx, id, action, &Context::default())
                .await
                .unwrap_err();
            tx.rollback().await.unwrap();
            let Error::Conflict(message) = err else {
                panic!("{action} from {from}: {err:?}")
            };
            assert!(message.contains(&format!("is {from}")), "{message}");
            assert!(message.contains("allowed only from"), "{message}");
            assert_eq!(world.asset_state(id).await, from.as_str());
            let events_after: i64 = sqlx::query_scalar("select count(*) from events")
                .fetch_one(&world.pool)
                .await
                .unwrap();
            assert_eq!(events_before, events_after);
            refused += 1;
        }
    }
    assert!(refused > 100, "only {refused} forbidden pairs tried");
}

#[sqlx::test(migrations = "./migrations")]
async fn the_event_log_is_append_only(pool: PgPool) {
    let world = World::new(pool).await;
    let id = world.stock(world.tables, 1).await[0];
    let update = sqlx::query("update events set reason = 'rewritten' where asset_id = $1")
        .bind(id)
        .execute(&world.pool)
        .await;
    assert!(update.unwrap_err().to_string().contains("append-only"));
    let delete = sqlx::query("delete from events where asset_id = $1")
        .bind(id)
        .execute(&world.pool)
        .await;
    assert!(delete.unwrap_err().to_string().contains("append-only"));
}

#[sqlx::test(migrations = "./migrations")]
async fn two_concurrent_approvals_of_one_asset_exactly_one_wins(pool: PgPool) {
    let world = World::new(pool).await;
    let asset = world.stock(world.tables, 1).await[0];
    let mut loans = Vec::new();
    for (token, starts, ends) in [
        (&world.requester, "2030-05-01", "2030-05-05"),
        (&world.requester2, "2030-05-04", "2030-05-09"),
    ] {
        let (status, loan) = world
            .call(
                Method::POST,
                "/api/loans",
                token,
                Some(json!({"purpose": "event", "starts_on": starts, "ends_on": ends, "lines": [{"asset_id": asset}]})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{loan}");
        loans.push(loan["id"].as_i64().unwrap());
    }
    let approve = |id: i64| {
        let world = &world;
        async move {
            world
                .call(
                    Method::POST,
                    &format!("/api/loans/{id}/approve"),
                    &world.admin,
                    None,
                )
                .await
        }
    };
    let ((s1, b1), (s2, b2)) = tokio::join!(approve(loans[0]), approve(loans[1]));
    let mut statuses = [s1, s2];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::OK, StatusCode::CONFLICT],
        "{b1} {b2}"
    );
    let loser = if s1 == StatusCode::CONFLICT { b1 } else { b2 };
    assert!(
        loser["error"]["message"]
            .as_str()
            .unwrap()
            .contains("reserved"),
        "{loser}"
    );
    let live: i64 = sqlx::query_scalar(
        "select count(*) from reservations where asset_id = $1 and released_at is null",
    )
    .bind(asset)
    .fetch_one(&world.pool)
    .await
    .unwrap();
    assert_eq!(live, 1);
    world.assert_log_agrees().await;
}

/// The gate stores facts naming assets (a foreign key: a key-share lock on each asset row)
/// while keepers and managers act on the same assets. An approval neither waits for such a
/// batch to commit nor takes the asset for reserved.
#[sqlx::test(migrations = "./migrations")]
async fn an_approval_is_not_held_up_by_facts_being_stored_about_its_assets(pool: PgPool) {
    let world = World::new(pool).await;
    let named = world.stock(world.tables, 1).await[0];
    let mut loans = Vec::new();
    for line in [
        json!({"asset_id": named}),
        json!({"category_id": world.tables, "quantity": 1}),
    ] {
        let (status, loan) = world
            .call(
                Method::POST,
                "/api/loans",
                &world.requester,
                Some(json!({"purpose": "event", "starts_on": "2030-05-01", "ends_on": "2030-05-05", "lines": [line]})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{loan}");
        loans.push(loan["id"].as_i64().unwrap());
    }
    let by_category = world.stock(world.tables, 1).await[0];
    // A fact batch naming both assets, not yet committed.
    let mut gate = world.pool.begin().await.unwrap();
    for (i, asset) in [named, by_category].into_iter().enumerate() {
        sqlx::query(
            "insert into facts (key, kind, epc, asset_id, at)
             select $1, 'arrived', epc, id, now() from assets where id = $2",
        )
        .bind(format!("pending-{i}"))
        .bind(asset)
        .execute(&mut *gate)
        .await
        .unwrap();
    }
    for loan in loans {
        let path = format!("/api/loans/{loan}/approve");
        let approve = world.call(Method::POST, &path, &world.admin, None);
        let (status, body) = tokio::time::timeout(std::time::Duration::from_secs(10), approve)
            .await
            .expect("the approval waited for the gate's batch");
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    gate.commit().await.unwrap();
    let reserved: Vec<i64> = sqlx::query_scalar(
        "select asset_id from reservations where released_at is null order by asset_id",
    )
    .fetch_all(&world.pool)
    .await
    .unwrap();
    assert_eq!(reserved, vec![named, by_category]);
    world.assert_log_agrees().await;
}

#[sqlx::test(migrations = "./migrations")]
async fn two_concurrent_approvals_for_the_last_item_of_a_category_exactly_one_wins(pool: PgPool) {
    let world = World::new(pool).await;
    world.stock(world.tables, 1).await;
    let a = world.request_tables(1, "2030-06-01", "2030-06-02").await;
    let b = world.request_tables(1, "2030-06-01", "2030-06-02").await;
    let approve = |id: i64| {
        let world = &world;
        async move {
            world
                .call(
                    Method::POST,
                    &format!("/api/loans/{id}/approve"),
                    &world.admin,
                    None,
                )
                .await
        }
    };
    let ((s1, _), (s2, _)) = tokio::join!(approve(a), approve(b));
    let mut statuses = [s1, s2];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::CONFLICT]);
}

#[sqlx::test(migrations = "./migrations")]
async fn the_database_refuses_overlapping_reservations_even_without_the_state_machine(
    pool: PgPool,
) {
    let world = World::new(pool).await;
    let asset = world.stock(world.tables, 1).await[0];
    let reserve = |from: &'static str, to: &'static str| {
        sqlx::query(
            "insert into reservations (asset_id, order_kind, order_id, period)
             values ($1, 'loan', 1, tstzrange($2::timestamptz, $3::timestamptz))",
        )
        .bind(asset)
        .bind(from)
        .bind(to)
        .execute(&world.pool)
    };
    reserve("2030-01-01", "2030-01-10").await.unwrap();
    let clash = reserve("2030-01-09", "2030-01-12").await.unwrap_err();
    assert!(
        clash.to_string().contains("reservations_no_double_booking"),
        "{clash}"
    );
    reserve("2030-01-10", "2030-01-12")
        .await
        .expect("back-to-back periods do not overlap");
}
