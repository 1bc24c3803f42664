//! Reader and gate changes are judged before they are committed, and a reload that fails
//! leaves the previous configuration running.

mod common;

use axum::http::{Method, StatusCode};
use common::{pipeline, zone, World};
use depot::ingest::Ingest;
use serde_json::{json, Value};
use sqlx::PgPool;

/// `POST /api/gates` as the admin.
async fn add_gate(world: &World, name: &str, inside: i64, outside: i64) -> (StatusCode, Value) {
    let body = json!({"name": name, "inside_zone_id": inside, "outside_zone_id": outside});
    world
        .call(Method::POST, "/api/gates", &world.admin, Some(body))
        .await
}

/// `POST /api/readers` as the admin: a handheld whose antenna 1 reads the shelf.
async fn add_handheld(world: &World) -> (StatusCode, Value) {
    let body = json!({"name": "handheld 1", "address": "handheld:",
                      "read_points": [{"antenna": 1, "zone_id": world.shelf}]});
    world
        .call(Method::POST, "/api/readers", &world.admin, Some(body))
        .await
}

async fn gates(world: &World) -> i64 {
    sqlx::query_scalar("select count(*) from gates")
        .fetch_one(&world.pool)
        .await
        .unwrap()
}

#[sqlx::test(migrations = "./migrations")]
async fn a_gate_on_zones_already_taken_is_refused_and_nothing_is_kept(pool: PgPool) {
    let world = World::new(pool.clone()).await;
    let ingest = Ingest::start(pool, pipeline()).await.unwrap();
    let world = world.with_ingest(&ingest);
    let inside = zone(&world, "IN", "gate_inside").await;
    let outside = zone(&world, "OUT", "gate_outside").await;
    let yard = zone(&world, "YARD", "gate_outside").await;

    let (status, body) = add_gate(&world, "main door", inside, outside).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    let (status, body) = add_gate(&world, "side door", inside, yard).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("side of both gate"), "{message}");
    assert_eq!(gates(&world).await, 1, "the refused gate is not kept");

    // Every later change still works, and the pipeline runs it.
    let (status, body) = add_handheld(&world).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let reader = body["id"].as_i64().unwrap();
    assert!(ingest.site().readers.iter().any(|r| r.id == reader));
    let (status, body) = add_gate(&world, "side door", world.shelf2, yard).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(ingest.site().engine.gates.len(), 2);

    // A reader change the engine would refuse is refused the same way.
    let (status, body) = world
        .call(
            Method::PATCH,
            &format!("/api/readers/{reader}"),
            &world.admin,
            Some(
                json!({"read_points": [{"antenna": 1, "zone_id": world.shelf},
                                        {"antenna": 1, "zone_id": world.shelf2}]}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (_, readers) = world
        .call(Method::GET, "/api/readers", &world.admin, None)
        .await;
    assert_eq!(
        readers[0]["read_points"],
        json!([{"antenna": 1, "zone_id": world.shelf}]),
        "the refused change left the reader as it was"
    );
    ingest.shutdown().await;
}

#[sqlx::test(migrations = "./migrations")]
async fn a_reload_that_fails_leaves_the_previous_configuration_running(pool: PgPool) {
    let world = World::new(pool.clone()).await;
    let ingest = Ingest::start(pool, pipeline()).await.unwrap();
    let world = world.with_ingest(&ingest);
    let inside = zone(&world, "IN", "gate_inside").await;
    let outside = zone(&world, "OUT", "gate_outside").await;
    let (status, _) = add_handheld(&world).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = add_gate(&world, "main door", inside, outside).await;
    assert_eq!(status, StatusCode::CREATED);

    // Something outside the service stores a gate the engine refuses.
    sqlx::query(
        "insert into gates (name, inside_zone_id, outside_zone_id) values ('rogue', $1, $2)",
    )
    .bind(inside)
    .bind(world.shelf2)
    .execute(&world.pool)
    .await
    .unwrap();
    let refused = ingest.reload().await;
    assert!(refused.is_err(), "the engine refuses the site");
    assert_eq!(
        ingest.site().engine.gates.len(),
        1,
        "the previous site is still the one running"
    );

    // The previous configuration keeps working: a handheld's reads are still taken.
    let (status, body): (StatusCode, Value) = world
        .call(
            Method::POST,
            "/api/reads",
            &world.keeper,
            Some(json!({"reader": "handheld 1", "reads": [{"epc": "3034257BF7194E4000000001"}]})),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    ingest.sync().await.unwrap();
    ingest.shutdown().await;
}
