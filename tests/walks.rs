//! The walk test: a keeper starts one on a gate, carries reference tags through a modelled
//! dock door, finishes it; the stored survey is the survey of those reads; an admin applies
//! its threshold and the running engine uses it. Real PostgreSQL, the real router, the real
//! pipeline fed through its single entry for reads.

mod common;

use axum::http::{Method, StatusCode};
use common::{pipeline, zone, World};
use depot::engine::survey::{survey, Verdict};
use depot::ingest::Ingest;
use depot::radio::door::{self, DoorModel, Plan};
use depot_readers::TagRead;
use serde_json::{json, Value};
use sqlx::PgPool;

/// A dock door: antennas 1 and 2 look inside, 3 and 4 outside, as in `radio::door`.
/// Returns (gate, reader).
async fn dock_door(world: &World) -> (i64, i64) {
    let inside = zone(world, "DOCK-IN", "gate_inside").await;
    let outside = zone(world, "DOCK-OUT", "gate_outside").await;
    let (status, reader) = world
        .call(
            Method::POST,
            "/api/readers",
            &world.admin,
            Some(
                json!({"name": "dock reader", "address": "handheld:", "read_points": [
                {"antenna": 1, "zone_id": inside}, {"antenna": 2, "zone_id": inside},
                {"antenna": 3, "zone_id": outside}, {"antenna": 4, "zone_id": outside}]}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{reader}");
    let (status, gate) = world
        .call(
            Method::POST,
            "/api/gates",
            &world.admin,
            Some(json!({"name": "dock 1", "inside_zone_id": inside, "outside_zone_id": outside})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{gate}");
    (gate["id"].as_i64().unwrap(), reader["id"].as_i64().unwrap())
}

/// Reference tags carried through a door of `front_to_back_db`, as `reader` hears them.
fn walk(front_to_back_db: f64, way: door::Direction, reader: i64) -> Vec<TagRead> {
    let model = DoorModel::reference(front_to_back_db);
    let mut reads = door::simulate(&model, &Plan::trolleys(way, 3), 11).reads;
    for r in &mut reads {
        r.reader = depot::ingest::reader_id(reader);
    }
    reads
}

async fn start(world: &World, token: &str, gate: i64, direction: &str) -> (StatusCode, Value) {
    world
        .call(
            Method::POST,
            &format!("/api/gates/{gate}/walk-tests"),
            token,
            Some(json!({"direction": direction})),
        )
        .await
}

async fn act(world: &World, token: &str, test: i64, action: &str) -> (StatusCode, Value) {
    world
        .call(
            Method::POST,
            &format!("/api/walk-tests/{test}/{action}"),
            token,
            None,
        )
        .await
}

async fn stored_min_confidence(world: &World, gate: i64) -> Option<f32> {
    sqlx::query_scalar("select min_confidence from gates where id = $1")
        .bind(gate)
        .fetch_one(&world.pool)
        .await
        .unwrap()
}

/// Walk `reads` through a new test on `gate` in `direction`; the finished test.
async fn walked(
    world: &World,
    ingest: &Ingest,
    gate: i64,
    direction: &str,
    reads: Vec<TagRead>,
) -> Value {
    let (status, test) = start(world, &world.keeper, gate, direction).await;
    assert_eq!(status, StatusCode::CREATED, "{test}");
    assert_eq!(test["direction"], direction);
    for chunk in reads.chunks(500) {
        ingest.feed(chunk.to_vec()).await.unwrap();
    }
    let (status, done) = act(world, &world.keeper, test["id"].as_i64().unwrap(), "finish").await;
    assert_eq!(status, StatusCode::OK, "{done}");
    done
}

#[sqlx::test(migrations = "./migrations")]
async fn a_good_portal_walks_good_and_keeps_the_default_threshold(pool: PgPool) {
    let world = World::new(pool.clone()).await;
    let ingest = Ingest::start(pool, pipeline()).await.unwrap();
    let world = world.with_ingest(&ingest);
    let (gate, reader) = dock_door(&world).await;
    let reads = walk(18.0, door::Direction::Out, reader);
    let expected = survey(&reads, depot::engine::Direction::Out, |_, a| Some(a <= 2));
    assert_eq!(expected.verdict, Verdict::Good);

    let done = walked(&world, &ingest, gate, "out", reads.clone()).await;
    assert_eq!(done["verdict"], "good", "{done}");
    assert_eq!(done["reads"], reads.len());
    let stored: depot::engine::survey::Survey =
        serde_json::from_value(done["survey"].clone()).unwrap();
    assert_eq!(
        stored, expected,
        "the stored survey is the survey of the reads"
    );
    assert_eq!(done["survey"]["antennas"].as_array().unwrap().len(), 4);
    assert!(done["finished_at"].is_string());

    // Finished once: a second finish is refused.
    let id = done["id"].as_i64().unwrap();
    let (status, body) = act(&world, &world.keeper, id, "finish").await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");

    // Listed with the gate.
    let (status, list) = world
        .call(
            Method::GET,
            &format!("/api/gates/{gate}/walk-tests"),
            &world.auditor,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list[0]["id"], id);
    ingest.shutdown().await;
}

#[sqlx::test(migrations = "./migrations")]
async fn a_leaky_portal_is_told_to_move_its_antennas_and_the_applied_threshold_runs(pool: PgPool) {
    let world = World::new(pool.clone()).await;
    let ingest = Ingest::start(pool, pipeline()).await.unwrap();
    let world = world.with_ingest(&ingest);
    let (gate, reader) = dock_door(&world).await;
    let reads = walk(4.0, door::Direction::In, reader);
    let expected = survey(&reads, depot::engine::Direction::In, |_, a| Some(a <= 2));

    let done = walked(&world, &ingest, gate, "in", reads).await;
    assert_eq!(done["verdict"], expected.verdict.as_str(), "{done}");
    assert!(
        matches!(
            expected.verdict,
            Verdict::MoveTheAntennas | Verdict::AddAReader
        ),
        "{expected:?}"
    );
    assert_eq!(done["suggested_min_confidence"], json!(0.99));
    assert_eq!(
        stored_min_confidence(&world, gate).await,
        None,
        "finishing changes no threshold"
    );
    let id = done["id"].as_i64().unwrap();

    // Keepers walk; the admin sets the threshold.
    let (status, body) = act(&world, &world.keeper, id, "apply").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, applied) = act(&world, &world.admin, id, "apply").await;
    assert_eq!(status, StatusCode::OK, "{applied}");
    assert!(applied["applied_at"].is_string());
    assert_eq!(stored_min_confidence(&world, gate).await, Some(0.99));
    let running = ingest.site();
    let config = running
        .engine
        .gates
        .iter()
        .find(|g| i64::from(g.id.0) == gate)
        .unwrap();
    assert_eq!(config.min_confidence, 0.99, "the running engine uses it");
    let (_, gates) = world
        .call(Method::GET, "/api/gates", &world.keeper, None)
        .await;
    assert_eq!(gates[0]["min_confidence"], json!(0.99));

    // Once.
    let (status, body) = act(&world, &world.admin, id, "apply").await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    ingest.shutdown().await;
}

#[sqlx::test(migrations = "./migrations")]
async fn a_walk_with_no_reads_says_so_and_changes_nothing(pool: PgPool) {
    let world = World::new(pool.clone()).await;
    let ingest = Ingest::start(pool, pipeline()).await.unwrap();
    let world = world.with_ingest(&ingest);
    let (gate, reader) = dock_door(&world).await;

    // Reads of another reader's antennas are not the gate's.
    let mut elsewhere = walk(18.0, door::Direction::Out, reader);
    elsewhere.truncate(200);
    for r in &mut elsewhere {
        r.reader = depot::ingest::reader_id(reader + 1000);
    }
    let done = walked(&world, &ingest, gate, "out", elsewhere).await;
    assert_eq!(done["verdict"], "no_reads", "{done}");
    assert_eq!(done["reads"], 0);
    assert_eq!(stored_min_confidence(&world, gate).await, None);

    let (status, body) = act(&world, &world.admin, done["id"].as_i64().unwrap(), "apply").await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(stored_min_confidence(&world, gate).await, None);
    ingest.shutdown().await;
}

#[sqlx::test(migrations = "./migrations")]
async fn bad_walk_tests_are_refused_clearly(pool: PgPool) {
    let world = World::new(pool.clone()).await;
    let ingest = Ingest::start(pool, pipeline()).await.unwrap();
    let world = world.with_ingest(&ingest);
    let (gate, _) = dock_door(&world).await;

    let (status, body) = start(&world, &world.requester, gate, "out").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = start(&world, &world.keeper, 999_999, "out").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, body) = start(&world, &world.keeper, gate, "sideways").await;
    assert!(status.is_client_error(), "{status} {body}");

    let (status, first) = start(&world, &world.keeper, gate, "out").await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    let (status, body) = start(&world, &world.admin, gate, "in").await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("already running"), "{message}");

    // A running test cannot be applied; unknown ones are not found.
    let id = first["id"].as_i64().unwrap();
    let (status, body) = act(&world, &world.admin, id, "apply").await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, body) = act(&world, &world.keeper, 999_999, "finish").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, body) = world
        .call(
            Method::GET,
            "/api/gates/999999/walk-tests",
            &world.keeper,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");

    // Finished, the gate takes another.
    let (status, _) = act(&world, &world.keeper, id, "finish").await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = start(&world, &world.keeper, gate, "in").await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    ingest.shutdown().await;
}

#[sqlx::test(migrations = "./migrations")]
async fn the_keeper_walks_the_gate_from_its_page_and_reads_the_verdict(pool: PgPool) {
    use common::{get, login, post};
    let world = World::new(pool.clone()).await;
    let ingest = Ingest::start(pool, pipeline()).await.unwrap();
    let world = world.with_ingest(&ingest);
    let (gate, reader) = dock_door(&world).await;
    let keeper = login(&world, "keeper").await;
    let here = format!("/keeper/gate?gate={gate}");

    let page = get(&world, &here, &keeper).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("Start a walk test"), "{}", page.body);
    assert!(page.body.contains(r#"id="threshold">0.90<"#));
    let token = page.csrf();
    let reply = post(
        &world,
        &format!("/keeper/gates/{gate}/walk-test"),
        &keeper,
        &[("csrf", &token), ("back", &here), ("direction", "out")],
    )
    .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    assert_eq!(reply.location(), format!("{here}&done=walk_started"));

    for chunk in walk(18.0, door::Direction::Out, reader).chunks(500) {
        ingest.feed(chunk.to_vec()).await.unwrap();
    }
    let page = get(&world, &here, &keeper).await;
    assert!(page.body.contains("Walk test running"), "{}", page.body);
    let test: i64 = sqlx::query_scalar("select id from walk_tests where gate_id = $1")
        .bind(gate)
        .fetch_one(&world.pool)
        .await
        .unwrap();
    let reply = post(
        &world,
        &format!("/keeper/walk-tests/{test}/finish"),
        &keeper,
        &[("csrf", &page.csrf()), ("back", &here)],
    )
    .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);

    let page = get(&world, &here, &keeper).await;
    assert!(
        page.body.contains(r#"data-verdict="good""#),
        "{}",
        page.body
    );
    assert!(page.body.contains("walk-antennas"));
    assert!(
        !page.body.contains("Apply the suggested threshold"),
        "keepers walk; the admin sets the threshold"
    );
    let zh = get(&world, &here, &format!("{keeper}; lang=zh-CN")).await;
    assert!(
        zh.body.contains("门禁状况") && zh.body.contains("良好"),
        "{}",
        zh.body
    );

    let admin = login(&world, "admin").await;
    let page = get(&world, &here, &admin).await;
    assert!(
        page.body.contains("Apply the suggested threshold"),
        "{}",
        page.body
    );
    let reply = post(
        &world,
        &format!("/keeper/walk-tests/{test}/apply"),
        &admin,
        &[("csrf", &page.csrf()), ("back", &here), ("confirmed", "1")],
    )
    .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    assert_eq!(stored_min_confidence(&world, gate).await, Some(0.9));
    ingest.shutdown().await;
}

/// Applying a walk test's threshold from the gate page is asked first, naming the gate and
/// its threshold now and after; the gate and the running engine keep theirs until it is
/// confirmed, and Back returns to the gate page as it was.
#[sqlx::test(migrations = "./migrations")]
async fn applying_a_threshold_from_the_gate_page_is_confirmed_first(pool: PgPool) {
    use common::{get, login, post};
    let world = World::new(pool.clone()).await;
    let ingest = Ingest::start(pool, pipeline()).await.unwrap();
    let world = world.with_ingest(&ingest);
    let (gate, reader) = dock_door(&world).await;
    let done = walked(
        &world,
        &ingest,
        gate,
        "in",
        walk(4.0, door::Direction::In, reader),
    )
    .await;
    assert_eq!(done["suggested_min_confidence"], json!(0.99), "{done}");
    let test = done["id"].as_i64().unwrap();
    let engine_threshold = || {
        ingest
            .site()
            .engine
            .gates
            .iter()
            .find(|g| i64::from(g.id.0) == gate)
            .unwrap()
            .min_confidence
    };
    let before = engine_threshold();

    let admin = login(&world, "admin").await;
    let here = format!("/keeper/gate?gate={gate}&alerts_page=1");
    let page = get(&world, &here, &admin).await;
    let apply = format!("/keeper/walk-tests/{test}/apply");
    let asked = post(
        &world,
        &apply,
        &admin,
        &[("csrf", &page.csrf()), ("back", &here)],
    )
    .await;
    assert_eq!(asked.status, StatusCode::OK, "{}", asked.body);
    assert!(
        asked
            .body
            .contains("<h1>Set the threshold of gate dock 1?</h1>"),
        "{}",
        asked.body
    );
    assert!(
        asked.body.contains(&format!(
            "Gate dock 1 will act on a passage judged at least 0.99 sure, instead of 0.90 now (walk test {test})"
        )),
        "{}",
        asked.body
    );
    assert!(
        asked.body.contains(&format!(
            r#"<a href="/keeper/gate?gate={gate}&#38;alerts_page=1" id="confirm-back">"#
        )),
        "{}",
        asked.body
    );
    assert!(
        asked.body.contains(&format!(r#"action="{apply}""#)),
        "{}",
        asked.body
    );
    assert_eq!(
        stored_min_confidence(&world, gate).await,
        None,
        "nothing set"
    );
    assert_eq!(engine_threshold(), before, "the engine keeps its threshold");
    let applied_at: Option<chrono::DateTime<chrono::Utc>> =
        sqlx::query_scalar("select applied_at from walk_tests where id = $1")
            .bind(test)
            .fetch_one(&world.pool)
            .await
            .unwrap();
    assert_eq!(applied_at, None);
    let zh = format!("{admin}; lang=zh-CN");
    let zh_asked = post(
        &world,
        &apply,
        &zh,
        &[("csrf", &page.csrf()), ("back", &here)],
    )
    .await;
    assert!(
        zh_asked
            .body
            .contains("门禁 dock 1 的自动处理置信度将由现在的 0.90 改为 0.99"),
        "{}",
        zh_asked.body
    );
    // A keeper is not asked what they may not do.
    let keeper = login(&world, "keeper").await;
    let refused = post(
        &world,
        &apply,
        &keeper,
        &[
            ("csrf", &get(&world, &here, &keeper).await.csrf()),
            ("back", &here),
        ],
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);

    let reply = post(
        &world,
        &apply,
        &admin,
        &[("csrf", &page.csrf()), ("back", &here), ("confirmed", "1")],
    )
    .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    assert_eq!(reply.location(), format!("{here}&done=threshold_applied"));
    assert_eq!(stored_min_confidence(&world, gate).await, Some(0.99));
    assert_eq!(engine_threshold(), 0.99);
    // Applied once: a second question is refused, saying why.
    let again = post(
        &world,
        &apply,
        &admin,
        &[("csrf", &page.csrf()), ("back", &here)],
    )
    .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
    assert!(again.body.contains("already applied"), "{}", again.body);
    ingest.shutdown().await;
}

#[sqlx::test(migrations = "./migrations")]
async fn a_cancelled_walk_lets_its_reads_go_and_leaves_the_gate_as_it_was(pool: PgPool) {
    use common::{get, login, post};
    let world = World::new(pool.clone()).await;
    let ingest = Ingest::start(pool, pipeline()).await.unwrap();
    let world = world.with_ingest(&ingest);
    let (gate, reader) = dock_door(&world).await;

    // A good walk is the gate's health.
    let good = walked(
        &world,
        &ingest,
        gate,
        "out",
        walk(18.0, door::Direction::Out, reader),
    )
    .await;
    assert_eq!(good["verdict"], "good", "{good}");

    // A second walk, started the wrong way and half walked, is cancelled.
    let (status, wrong) = start(&world, &world.keeper, gate, "in").await;
    assert_eq!(status, StatusCode::CREATED, "{wrong}");
    let id = wrong["id"].as_i64().unwrap();
    let half = walk(4.0, door::Direction::Out, reader);
    ingest.feed(half[..half.len() / 2].to_vec()).await.unwrap();
    assert!(ingest.walk_reads(id).unwrap() > 0);
    let (status, body) = act(&world, &world.requester, id, "cancel").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, cancelled) = act(&world, &world.keeper, id, "cancel").await;
    assert_eq!(status, StatusCode::OK, "{cancelled}");
    assert!(cancelled["cancelled_at"].is_string(), "{cancelled}");
    assert!(cancelled["cancelled_by"].is_i64(), "{cancelled}");
    assert_eq!(cancelled["verdict"], Value::Null);
    assert_eq!(ingest.walk_reads(id), None, "its reads are let go");

    // Nothing more can be done with it, and each refusal says why.
    for (token, action) in [
        (&world.keeper, "cancel"),
        (&world.keeper, "finish"),
        (&world.admin, "apply"),
    ] {
        let (status, body) = act(&world, token, id, action).await;
        assert_eq!(status, StatusCode::CONFLICT, "{action}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains("cancelled"), "{action}: {message}");
    }
    // The good walk stays the gate's latest, and can still be applied.
    let (status, listed) = world
        .call(
            Method::GET,
            &format!("/api/gates/{gate}/walk-tests"),
            &world.keeper,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    assert_eq!(listed[0]["id"], id);
    assert_eq!(listed[1]["id"], good["id"]);
    let (status, body) = act(&world, &world.admin, good["id"].as_i64().unwrap(), "apply").await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // From the gate page: a running walk offers Cancel, which asks first.
    let keeper = login(&world, "keeper").await;
    let here = format!("/keeper/gate?gate={gate}");
    let (status, body) = start(&world, &world.keeper, gate, "out").await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let page = get(&world, &here, &keeper).await;
    let test = body["id"].as_i64().unwrap();
    let action = format!(r#"action="/keeper/walk-tests/{test}/cancel""#);
    assert!(page.body.contains(&action), "{}", page.body);
    // Asked on the server, not only by a script: the walk runs on until confirmed.
    let cancel = format!("/keeper/walk-tests/{test}/cancel");
    let asked = post(
        &world,
        &cancel,
        &keeper,
        &[("csrf", &page.csrf()), ("back", &here)],
    )
    .await;
    assert_eq!(asked.status, StatusCode::OK, "{}", asked.body);
    assert!(
        asked
            .body
            .contains(&format!("Cancel the walk test {test}?")),
        "{}",
        asked.body
    );
    assert!(
        asked
            .body
            .contains(r#"<input type="hidden" name="confirmed" value="1">"#)
            && asked.body.contains(r#"id="confirm-form""#)
            && asked.body.contains(&format!(r#"action="{cancel}""#)),
        "{}",
        asked.body
    );
    assert!(
        asked.body.contains(&format!(
            r#"<a href="/keeper/gate?gate={gate}" id="confirm-back">"#
        )),
        "{}",
        asked.body
    );
    let running = get(&world, &here, &keeper).await;
    assert!(running.body.contains(&action), "{}", running.body);
    let reply = post(
        &world,
        &cancel,
        &keeper,
        &[("csrf", &page.csrf()), ("back", &here), ("confirmed", "1")],
    )
    .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    assert_eq!(reply.location(), format!("{here}&done=walk_cancelled"));
    let page = get(&world, &here, &keeper).await;
    assert!(!page.body.contains("Walk test running"), "{}", page.body);
    assert!(
        page.body.contains(r#"data-verdict="good""#),
        "{}",
        page.body
    );
    ingest.shutdown().await;
}
