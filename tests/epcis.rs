//! The EPCIS export against GS1's own artefacts: every event ID as GS1's reference event hash
//! generator (`epcis-event-hash-generator`) computes it, and every document the HTTP stack
//! serves valid under GS1's EPCIS 2.0 JSON Schema (python `jsonschema`, draft-07, formats
//! checked); then the query parameters, paging and who sees what.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use chrono::{DateTime, FixedOffset, Utc};
use common::World;
use depot::domain::epc;
use depot::domain::epcis::{self, ObjectEvent, MAPPING};
use http_body_util::BodyExt;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use sqlx::PgPool;
use tower::ServiceExt;

const SCHEMA: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/standards/EPCIS-JSON-Schema.json"
);

fn peers_python() -> std::path::PathBuf {
    std::env::var_os("DEPOT_PEERS_PYTHON")
        .map(Into::into)
        .unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/hil/.venv/bin/python").into())
}

/// Ask the oracle about every document at once (one process, one line each).
fn oracle(args: &[&str], documents: &[Value]) -> Vec<Value> {
    let python = peers_python();
    let mut child = Command::new(&python)
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/hil/peers/epcis_oracle.py"
        ))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run {} (run the test script, which installs the peers): {e}",
                python.display()
            )
        });
    let mut stdin = child.stdin.take().unwrap();
    let input: String = documents.iter().map(|d| format!("{d}\n")).collect();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()).unwrap());
    let answers: Vec<Value> = BufReader::new(child.stdout.take().unwrap())
        .lines()
        .map(|l| serde_json::from_str(&l.unwrap()).unwrap())
        .collect();
    writer.join().unwrap();
    assert!(child.wait().unwrap().success(), "the oracle failed");
    assert_eq!(answers.len(), documents.len());
    answers
}

/// Each document's event IDs must be those GS1's reference generator computes.
#[track_caller]
fn assert_ids_as_gs1(documents: &[Value]) {
    let answers = oracle(&["hash"], documents);
    let mut checked = 0;
    for (doc, answer) in documents.iter().zip(&answers) {
        let events = match &doc["epcisBody"]["queryResults"] {
            Value::Null => &doc["epcisBody"]["eventList"],
            results => &results["resultsBody"]["eventList"],
        };
        for (i, event) in events.as_array().unwrap().iter().enumerate() {
            assert_eq!(
                event["eventID"], answer["ids"][i],
                "event {event}: GS1's pre-hash is {}",
                answer["prehashes"][i]
            );
            checked += 1;
        }
    }
    assert!(checked > 0, "no event was checked");
}

/// Each document must be valid under GS1's schema.
#[track_caller]
fn assert_valid(documents: &[Value]) {
    assert!(
        std::path::Path::new(SCHEMA).is_file(),
        "GS1's EPCIS JSON Schema is missing: expected at {SCHEMA}"
    );
    let answers = oracle(&["validate", SCHEMA], documents);
    for (doc, answer) in documents.iter().zip(&answers) {
        assert_eq!(answer["errors"], json!([]), "{doc:#}");
    }
}

fn epcis_document(events: Vec<Value>) -> Value {
    json!({
        "@context": [epcis::CONTEXT],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2030-01-01T00:00:00Z",
        "epcisBody": {"eventList": events},
    })
}

#[test]
fn event_ids_agree_with_gs1s_reference_generator() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x0E9C15);
    let locations = [
        epcis::Locations::Base("https://depot.example.org".into()),
        epcis::Locations::Base("http://127.0.0.1:8080/depot".into()),
        epcis::gln_locations("6901234000016", "6901234").unwrap(),
        epcis::gln_locations("0614141000012", "061414100001").unwrap(),
    ];
    let mut documents = Vec::new();
    for _ in 0..8 {
        let mut events = Vec::new();
        for _ in 0..40 {
            let cp_digits = rng.gen_range(6..=12usize);
            let cp = format!(
                "{:0cp_digits$}",
                rng.gen_range(0..10u64.pow(cp_digits as u32))
            );
            let epc = match rng.gen_range(0..4) {
                0 => {
                    let bits = [42, 45, 48, 52, 55, 58, 62][12 - cp_digits];
                    let r = rng.gen_range(0..1u64 << bits);
                    epc::decode(&epc::encode_giai96(rng.gen_range(0..8), &cp, r).unwrap())
                        .pure_identity()
                        .unwrap()
                }
                1 => {
                    let kind_digits = 12 - cp_digits;
                    let kind = if kind_digits == 0 {
                        String::new()
                    } else {
                        format!(
                            "{:0kind_digits$}",
                            rng.gen_range(0..10u64.pow(kind_digits as u32))
                        )
                    };
                    format!(
                        "urn:epc:id:grai:{cp}.{kind}.{}",
                        rng.gen_range(0..1u64 << 38)
                    )
                }
                2 => {
                    let item_digits = 13 - cp_digits;
                    let item = format!(
                        "{:0item_digits$}",
                        rng.gen_range(0..10u64.pow(item_digits as u32))
                    );
                    format!(
                        "urn:epc:id:sgtin:{cp}.{item}.{}",
                        rng.gen_range(0..1u64 << 38)
                    )
                }
                _ => {
                    let bytes: Vec<u8> = (0..rng.gen_range(2..=16)).map(|_| rng.gen()).collect();
                    epc::decode(&bytes).tag_uri()
                }
            };
            let quarter_hours = rng.gen_range(-48..=56);
            let offset = FixedOffset::east_opt(quarter_hours * 900).unwrap();
            let at = DateTime::<Utc>::from_timestamp_micros(
                rng.gen_range(946_684_800_000_000..4_102_444_800_000_000i64),
            )
            .unwrap();
            let place = &locations[rng.gen_range(0..locations.len())];
            let zone = |rng: &mut rand::rngs::StdRng| {
                rng.gen_bool(0.7)
                    .then(|| place.zone(rng.gen_range(1..1_000_000)))
            };
            let read_point = zone(&mut rng);
            let biz_location = zone(&mut rng);
            let mapping = &MAPPING[rng.gen_range(0..MAPPING.len())];
            events.push(
                ObjectEvent::new(mapping, at, offset, epc, read_point, biz_location).to_json(),
            );
        }
        documents.push(epcis_document(events));
    }
    assert_ids_as_gs1(&documents);
    assert_valid(&documents);
}

/// A GET with a bearer token: status, headers, body.
async fn get(world: &World, path: &str, token: &str) -> (StatusCode, header::HeaderMap, Value) {
    let mut req = Request::builder().method(Method::GET).uri(path);
    if !token.is_empty() {
        req = req.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let response = world
        .app
        .clone()
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| panic!("not JSON ({status}): {}", String::from_utf8_lossy(&bytes)));
    (status, headers, body)
}

/// Every page of a query, following `Link: <…>; rel="next"`.
async fn pages(world: &World, path: &str, token: &str) -> Vec<Value> {
    let mut documents = Vec::new();
    let mut next = Some(path.to_owned());
    while let Some(path) = next.take() {
        let (status, headers, doc) = get(world, &path, token).await;
        assert_eq!(status, StatusCode::OK, "{path}: {doc}");
        assert_eq!(headers[header::CONTENT_TYPE], "application/ld+json");
        assert_eq!(headers["gs1-epcis-version"], "2.0.0");
        if let Some(link) = headers.get(header::LINK) {
            let link = link.to_str().unwrap();
            let url = link
                .strip_prefix('<')
                .and_then(|l| l.strip_suffix(">; rel=\"next\""))
                .unwrap_or_else(|| panic!("a Link header of another form: {link}"));
            next = Some(url.to_owned());
        }
        documents.push(doc);
        assert!(documents.len() < 100, "paging does not end");
    }
    documents
}

fn events_of(documents: &[Value]) -> Vec<Value> {
    documents
        .iter()
        .flat_map(|d| {
            d["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
                .as_array()
                .unwrap()
                .clone()
        })
        .collect()
}

fn steps(events: &[Value]) -> Vec<&str> {
    events
        .iter()
        .map(|e| e["bizStep"].as_str().unwrap())
        .collect()
}

async fn epc_uri(world: &World, asset: i64) -> String {
    let hex: String = sqlx::query_scalar("select epc from assets where id = $1")
        .bind(asset)
        .fetch_one(&world.pool)
        .await
        .unwrap();
    epc::decode(&epc::parse_hex(&hex).unwrap())
        .pure_identity()
        .unwrap()
}

#[sqlx::test(migrations = "./migrations")]
async fn served_documents_validate_and_answer_gs1s_query_parameters(pool: PgPool) {
    let world = World::new(pool).await;
    let stock = world.stock(world.tables, 3).await;
    // Two lent to Finance at the counter; the third moved to aisle B, carried out through the
    // gate with no order, and counted in aisle B by a stocktake.
    let loan = world.approved_loan(&stock[..2]).await;
    let (status, body) = world
        .call(
            Method::POST,
            &format!("/api/loans/{loan}/issue"),
            &world.keeper,
            Some(json!({})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = world
        .call(
            Method::POST,
            &format!("/api/assets/{}/relocate", stock[2]),
            &world.keeper,
            Some(json!({"zone_id": world.shelf2})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let zone = |code: &'static str, kind: &'static str| {
        let pool = world.pool.clone();
        let warehouse = world.warehouse;
        async move {
            sqlx::query_scalar::<_, i64>(
                "insert into zones (warehouse_id, code, name, kind) values ($1, $2, $2, $3) returning id",
            )
            .bind(warehouse)
            .bind(code)
            .bind(kind)
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    let (inside, outside) = (
        zone("GIN", "gate_inside").await,
        zone("GOUT", "gate_outside").await,
    );
    let gate: i64 = sqlx::query_scalar(
        "insert into gates (name, inside_zone_id, outside_zone_id) values ('door', $1, $2) returning id",
    )
    .bind(inside)
    .bind(outside)
    .fetch_one(&world.pool)
    .await
    .unwrap();
    sqlx::query(
        "insert into facts (key, kind, epc, asset_id, gate_id, direction, at, details)
         select 'passed:' || epc, 'passed', epc, id, $2, 'out', now() + interval '1 minute',
                '{\"confidence\": 0.97, \"uncertain\": false}'
         from assets where id = $1",
    )
    .bind(stock[2])
    .bind(gate)
    .execute(&world.pool)
    .await
    .unwrap();
    let admin_id = world.user_id("admin").await;
    sqlx::query(
        "with s as (insert into stocktakes (warehouse_id, status, created_by, started_at, finished_at)
                    values ($1, 'finished', $2, now(), now() + interval '2 minutes') returning id)
         insert into stocktake_results (stocktake_id, epc, asset_id, outcome, expected_zone_id, seen_zone_id)
         select s.id, a.epc, a.id, 'found', $4, $4 from s, assets a where a.id = $3",
    )
    .bind(world.warehouse)
    .bind(admin_id)
    .bind(stock[2])
    .bind(world.shelf2)
    .execute(&world.pool)
    .await
    .unwrap();

    // Page by page, then all at once: the same events, in time order, each once.
    let documents = pages(&world, "/api/epcis/events?perPage=2", &world.admin).await;
    assert!(documents.len() >= 7, "{} pages", documents.len());
    assert_valid(&documents);
    assert_ids_as_gs1(&documents);
    let paged = events_of(&documents);
    let whole = pages(&world, "/api/epcis/events?perPage=1000", &world.auditor).await;
    assert_eq!(whole.len(), 1);
    assert_eq!(events_of(&whole), paged);
    let times: Vec<DateTime<FixedOffset>> = paged
        .iter()
        .map(|e| DateTime::parse_from_rfc3339(e["eventTime"].as_str().unwrap()).unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    let steps_seen = steps(&paged);
    for step in [
        "commissioning",
        "receiving",
        "reserving",
        "departing",
        "storing",
        "cycle_counting",
    ] {
        assert!(steps_seen.contains(&step), "no {step} in {steps_seen:?}");
    }
    assert!(paged.iter().all(|e| e["eventTimeZoneOffset"] == "+08:00"));
    assert!(paged.iter().all(|e| e["epcList"][0]
        .as_str()
        .unwrap()
        .starts_with("urn:epc:id:giai:6901234.")));

    // Business step: the two issued at the counter and the passage out.
    let departing = events_of(
        &pages(
            &world,
            "/api/epcis/events?EQ_bizStep=departing",
            &world.admin,
        )
        .await,
    );
    assert_eq!(steps(&departing), ["departing"; 3]);
    let passage = departing.last().unwrap();
    assert_eq!(
        passage["readPoint"]["id"],
        format!("http://127.0.0.1:8080/zones/{outside}")
    );
    let issued = &departing[0];
    assert_eq!(issued["disposition"], "in_transit");
    let uri_step = events_of(
        &pages(
            &world,
            "/api/epcis/events?EQ_bizStep=https://ref.gs1.org/cbv/BizStep-departing%7Ccycle_counting",
            &world.admin,
        )
        .await,
    );
    assert_eq!(uri_step.len(), 4);

    // EPC: one asset's whole history, and nobody else's.
    let a0 = epc_uri(&world, stock[0]).await;
    let history = events_of(
        &pages(
            &world,
            &format!("/api/epcis/events?MATCH_epc={a0}"),
            &world.admin,
        )
        .await,
    );
    assert_eq!(
        steps(&history),
        ["commissioning", "receiving", "reserving", "departing"]
    );
    assert!(history.iter().all(|e| e["epcList"] == json!([a0])));

    // Location: aisle B, where the third was moved and counted.
    let aisle_b = format!("http://127.0.0.1:8080/zones/{}", world.shelf2);
    let there = events_of(
        &pages(
            &world,
            &format!("/api/epcis/events?EQ_bizLocation={aisle_b}"),
            &world.admin,
        )
        .await,
    );
    assert_eq!(steps(&there), ["storing", "cycle_counting"]);
    assert!(there.iter().all(|e| e["bizLocation"]["id"] == aisle_b));

    // Time: from the passage on (offsets written with %2B), and before the beginning.
    let at = passage["eventTime"].as_str().unwrap().replace('+', "%2B");
    let later = events_of(
        &pages(
            &world,
            &format!("/api/epcis/events?GE_eventTime={at}"),
            &world.admin,
        )
        .await,
    );
    assert_eq!(steps(&later), ["departing", "cycle_counting"]);
    let before = events_of(
        &pages(
            &world,
            "/api/epcis/events?LT_eventTime=2000-01-01T00:00:00Z",
            &world.admin,
        )
        .await,
    );
    assert!(before.is_empty());

    // A department reads the events of the assets it holds; another reads none.
    let own = events_of(&pages(&world, "/api/epcis/events", &world.requester).await);
    let a1 = epc_uri(&world, stock[1]).await;
    assert!(!own.is_empty());
    assert!(own
        .iter()
        .all(|e| e["epcList"] == json!([a0]) || e["epcList"] == json!([a1])));
    let none = events_of(&pages(&world, "/api/epcis/events", &world.requester2).await);
    assert!(none.is_empty(), "{none:?}");

    // Bad input is a clear 4xx; no credential, 401.
    for (query, status) in [
        ("perPage=0", StatusCode::UNPROCESSABLE_ENTITY),
        ("perPage=1001", StatusCode::UNPROCESSABLE_ENTITY),
        (
            "nextPageToken=bm90IG91cnM",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "MATCH_epc=urn:epc:idpat:giai:6901234.*",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        ("EQ_bizStep=", StatusCode::UNPROCESSABLE_ENTITY),
        ("GE_eventTime=yesterday", StatusCode::BAD_REQUEST),
        ("EQ_whatever=1", StatusCode::BAD_REQUEST),
    ] {
        let (got, _, body) = get(&world, &format!("/api/epcis/events?{query}"), &world.admin).await;
        assert_eq!(got, status, "{query}: {body}");
    }
    let (got, _, _) = get(&world, "/api/epcis/events", "").await;
    assert_eq!(got, StatusCode::UNAUTHORIZED);
}

/// The demo's whole history, as a repository or partner would fetch it: every page valid
/// under GS1's schema, every event with its hash as its ID.
#[sqlx::test(migrations = "./migrations")]
async fn the_demos_events_validate_against_gs1s_schema(pool: PgPool) {
    let config = depot::config::Config::for_database(None);
    depot::demo::seed(&pool, &config).await.unwrap();
    let token =
        depot::auth::create_api_token(&mut pool.acquire().await.unwrap(), "auditor", "epcis", None)
            .await
            .unwrap();
    let app = depot::server::router(depot::app::App::new(pool.clone(), config));
    let mut documents = Vec::new();
    let mut next = Some("/api/epcis/events?perPage=1000".to_owned());
    while let Some(path) = next.take() {
        let req = Request::get(&path)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap();
        let response = app.clone().oneshot(req).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        if let Some(link) = response.headers().get(header::LINK) {
            let link = link.to_str().unwrap();
            let url = link
                .strip_prefix('<')
                .and_then(|l| l.strip_suffix(">; rel=\"next\""))
                .unwrap_or_else(|| panic!("a Link header of another form: {link}"));
            next = Some(url.to_owned());
        }
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        documents.push(serde_json::from_slice::<Value>(&bytes).unwrap());
        assert!(documents.len() < 100, "paging does not end");
    }
    let events = events_of(&documents);
    assert!(
        events.len() > 500,
        "the demo's history: {} events",
        events.len()
    );
    let seen: std::collections::BTreeSet<&str> = steps(&events).into_iter().collect();
    for step in [
        "commissioning",
        "receiving",
        "departing",
        "reserving",
        "decommissioning",
    ] {
        assert!(
            seen.iter().any(|s| s.ends_with(step)),
            "{step} among {seen:?}"
        );
    }
    assert_valid(&documents);
}
