//! The policy table drives this test: every operation of the OpenAPI document, as every role
//! (and anonymously), on a thing of the requester's own department and of another, must answer
//! as `app::policy::authorize` says for that operation, role and thing — refused with 403 or
//! 404 exactly when the table refuses. An operation the table has no row for fails the test.

mod common;

use axum::http::{Method, StatusCode};
use common::World;
use depot::app::policy::{authorize, Scoped, Target};
use depot::app::{Error, Op};
use depot::auth::Actor;
use depot::db::events::Context;
use serde_json::{json, Map, Value};
use sqlx::PgPool;

/// What a path's `{id}` names, for the policy.
#[derive(Debug, Clone, Copy)]
enum Thing {
    Loan(i64),
    Transfer(i64),
    Compensation(i64),
    Intake(i64),
    Disposal(i64),
    Rental(i64),
    Asset(i64),
    Person(i64),
    /// An API token, its owner's business.
    Token(i64),
    /// Something no department owns (a warehouse, a reader, …).
    Plain(i64),
}

impl Thing {
    fn id(self) -> i64 {
        match self {
            Thing::Loan(id)
            | Thing::Transfer(id)
            | Thing::Compensation(id)
            | Thing::Intake(id)
            | Thing::Disposal(id)
            | Thing::Rental(id)
            | Thing::Asset(id)
            | Thing::Person(id)
            | Thing::Token(id)
            | Thing::Plain(id) => id,
        }
    }
}

/// What the policy says `actor` meets doing `op` to `thing` (as it is now in the database).
async fn verdict(
    world: &World,
    actor: &Actor,
    op: Op,
    thing: Option<Thing>,
    department: Option<i64>,
) -> Result<(), Error> {
    let mut conn = world.pool.acquire().await.unwrap();
    let c = &mut *conn;
    let target_of = |t: Target<'_>| authorize(actor, op, t);
    authorize(actor, op, Target::Nothing)?;
    if let Some(department) = department {
        return target_of(Target::For(Some(department)));
    }
    match thing {
        None | Some(Thing::Plain(_)) => Ok(()),
        Some(Thing::Person(id)) => target_of(Target::Person(id)),
        Some(Thing::Loan(id)) => target_of(depot::db::loans::get(c, id).await.unwrap().target()),
        Some(Thing::Transfer(id)) => {
            target_of(depot::db::transfers::get(c, id).await.unwrap().target())
        }
        Some(Thing::Compensation(id)) => {
            target_of(depot::db::compensations::get(c, id).await.unwrap().target())
        }
        Some(Thing::Intake(id)) => {
            target_of(depot::db::intakes::get(c, id).await.unwrap().target())
        }
        Some(Thing::Disposal(id)) => {
            target_of(depot::db::disposals::get(c, id).await.unwrap().target())
        }
        Some(Thing::Rental(id)) => {
            target_of(depot::db::rentals::get(c, id).await.unwrap().target())
        }
        Some(Thing::Asset(id)) => target_of(depot::db::assets::get(c, id).await.unwrap().target()),
        Some(Thing::Token(id)) => {
            target_of(depot::db::credentials::token(c, id).await.unwrap().target())
        }
    }
}

/// The smallest body the schema accepts: required fields only, each the simplest value.
fn example(doc: &Value, schema: &Value) -> Value {
    if let Some(name) = schema["$ref"].as_str() {
        let name = name.rsplit('/').next().unwrap();
        return example(doc, &doc["components"]["schemas"][name]);
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(alternatives) = schema[key].as_array() {
            let some = alternatives.iter().find(|a| a["type"] != "null").unwrap();
            return example(doc, some);
        }
    }
    if let Some(values) = schema["enum"].as_array() {
        return values[0].clone();
    }
    let ty = match &schema["type"] {
        Value::String(t) => t.as_str(),
        Value::Array(types) => types
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or(""),
        _ if schema["properties"].is_object() => "object",
        _ => "",
    };
    match ty {
        "object" => {
            let mut body = Map::new();
            for name in schema["required"].as_array().into_iter().flatten() {
                let name = name.as_str().unwrap();
                body.insert(name.into(), example(doc, &schema["properties"][name]));
            }
            Value::Object(body)
        }
        "array" => json!([]),
        "string" => match schema["format"].as_str() {
            Some("date") => json!("2030-01-01"),
            // A new password has a length the policy asks for.
            Some("password") => json!("long enough password"),
            Some("date-time") => json!("2030-01-01T00:00:00Z"),
            _ => json!("x"),
        },
        "integer" | "number" => json!(1),
        "boolean" => json!(false),
        _ => Value::Null,
    }
}

struct Fixtures {
    /// (own, other): Finance's and Culture's; the requester is Finance's.
    loan: (i64, i64),
    transfer: (i64, i64),
    compensation: (i64, i64),
    intake: (i64, i64),
    disposal: i64,
    /// Market rentals on the two loans: (Finance's, Culture's).
    rental: (i64, i64),
    /// Finance's allocated asset, Culture's allocated asset, Culture's listed asset.
    assets: [i64; 3],
    bystander: i64,
    /// Every person's own API token (not the one the test signs in with), by username,
    /// and the bystander's.
    tokens: Vec<(String, i64)>,
    reader: i64,
    gate: i64,
    stocktake: i64,
}

#[track_caller]
fn created(reply: (StatusCode, Value)) -> i64 {
    assert!(reply.0.is_success(), "{} {}", reply.0, reply.1);
    reply.1["id"].as_i64().unwrap()
}

async fn fixtures(world: &World) -> Fixtures {
    let post = |path: &'static str, token: String, body: Value| async move {
        created(world.call(Method::POST, path, &token, Some(body)).await)
    };
    let stock = world.stock(world.tables, 4).await;
    let lines = json!([{"category_id": world.tables}]);
    let loan = |token: String| {
        post(
            "/api/loans",
            token,
            json!({"purpose": "x", "starts_on": "2030-01-01", "ends_on": "2030-01-02", "lines": lines}),
        )
    };
    let transfer = |token: String| {
        post(
            "/api/transfers",
            token,
            json!({"purpose": "x", "lines": lines}),
        )
    };
    let intake = |department: i64| {
        post(
            "/api/intakes",
            world.keeper.clone(),
            json!({"source_department_id": department, "source_class": "other_idle",
                   "items": [{"name": "x", "category_id": world.tables, "original_value_fen": 1}]}),
        )
    };
    let owned = |asset: i64, department: i64, state: &'static str| {
        let pool = world.pool.clone();
        async move {
            sqlx::query("update assets set state = $3::asset_state, owner_department_id = $2, holder_department_id = $2, virtual_depot = ($3 = 'listed') where id = $1")
                .bind(asset)
                .bind(department)
                .bind(state)
                .execute(&pool)
                .await
                .unwrap();
            asset
        }
    };
    let case = |department: i64| {
        let pool = world.pool.clone();
        let asset = stock[3];
        async move {
            let mut conn = pool.acquire().await.unwrap();
            depot::db::compensations::open(
                &mut conn,
                asset,
                department,
                None,
                depot::db::compensations::Kind::Damage,
                "",
                &Context::default(),
            )
            .await
            .unwrap()
        }
    };
    let zone = |code: &'static str| post_zone(world, code);
    let (inside, outside) = (zone("IN").await, zone("OUT").await);
    let loans = (
        loan(world.requester.clone()).await,
        loan(world.requester2.clone()).await,
    );
    let rental = |loan: i64| async move {
        created(
            world
                .call(
                    Method::POST,
                    &format!("/api/loans/{loan}/rentals"),
                    &world.admin,
                    Some(json!({"supplier": "x", "category_id": world.tables, "quantity": 1,
                                "starts_on": "2030-01-01", "ends_on": "2030-01-02", "daily_price_fen": 100})),
                )
                .await,
        )
    };
    Fixtures {
        rental: (rental(loans.0).await, rental(loans.1).await),
        loan: loans,
        transfer: (
            transfer(world.requester.clone()).await,
            transfer(world.requester2.clone()).await,
        ),
        compensation: (case(world.finance).await, case(world.culture).await),
        intake: (intake(world.finance).await, intake(world.culture).await),
        disposal: post(
            "/api/disposals",
            world.keeper.clone(),
            json!({"asset_ids": [stock[3]], "reason": "worn out"}),
        )
        .await,
        assets: [
            owned(stock[0], world.finance, "allocated").await,
            owned(stock[1], world.culture, "allocated").await,
            owned(stock[2], world.culture, "listed").await,
        ],
        bystander: {
            world
                .user("bystander", depot::auth::Role::Keeper, None)
                .await;
            sqlx::query_scalar("select id from users where username = 'bystander'")
                .fetch_one(&world.pool)
                .await
                .unwrap()
        },
        tokens: {
            let mut tokens = Vec::new();
            for name in ["auditor", "approver", "requester", "keeper", "admin", "bystander"] {
                let mut conn = world.pool.acquire().await.unwrap();
                depot::auth::create_api_token(&mut conn, name, "policy", Some(30))
                    .await
                    .unwrap();
                let id: i64 = sqlx::query_scalar(
                    "select t.id from api_tokens t join users u on u.id = t.user_id
                     where u.username = $1 and t.name = 'policy'",
                )
                .bind(name)
                .fetch_one(&world.pool)
                .await
                .unwrap();
                tokens.push((name.to_owned(), id));
            }
            tokens
        },
        reader: post(
            "/api/readers",
            world.admin.clone(),
            json!({"name": "handheld 1", "address": "handheld:", "read_points": [{"antenna": 1, "zone_id": world.shelf}]}),
        )
        .await,
        gate: post(
            "/api/gates",
            world.admin.clone(),
            json!({"name": "main door", "inside_zone_id": inside, "outside_zone_id": outside}),
        )
        .await,
        stocktake: post(
            "/api/stocktakes",
            world.keeper.clone(),
            json!({"warehouse_id": world.warehouse}),
        )
        .await,
    }
}

async fn post_zone(world: &World, code: &str) -> i64 {
    created(
        world
            .call(
                Method::POST,
                &format!("/api/warehouses/{}/zones", world.warehouse),
                &world.admin,
                Some(json!({"code": code, "name": code, "kind": "staging"})),
            )
            .await,
    )
}

/// The things a path's `{id}` may name: each variant is one call (own, other, …).
fn things(f: &Fixtures, world: &World, path: &str, actor: &Actor) -> Vec<(&'static str, Thing)> {
    let resource = path.trim_start_matches('/').split('/').next().unwrap();
    let pair = |(own, other): (i64, i64), make: fn(i64) -> Thing| {
        vec![("own", make(own)), ("other", make(other))]
    };
    match resource {
        "loans" => pair(f.loan, Thing::Loan),
        "transfers" => pair(f.transfer, Thing::Transfer),
        "compensations" => pair(f.compensation, Thing::Compensation),
        "intakes" => pair(f.intake, Thing::Intake),
        "disposals" => vec![("the depot's", Thing::Disposal(f.disposal))],
        "rentals" => pair(f.rental, Thing::Rental),
        "assets" => vec![
            ("own", Thing::Asset(f.assets[0])),
            ("other", Thing::Asset(f.assets[1])),
            ("other, listed", Thing::Asset(f.assets[2])),
        ],
        "users" => vec![
            ("oneself", Thing::Person(actor.id)),
            ("another", Thing::Person(f.bystander)),
        ],
        "departments" => vec![
            ("own", Thing::Plain(world.finance)),
            ("other", Thing::Plain(world.culture)),
        ],
        "warehouses" => vec![("any", Thing::Plain(world.warehouse))],
        "zones" => vec![("any", Thing::Plain(world.shelf))],
        "categories" => vec![("any", Thing::Plain(world.tables))],
        "readers" => vec![("any", Thing::Plain(f.reader))],
        "gates" => vec![("any", Thing::Plain(f.gate))],
        "stocktakes" => vec![("any", Thing::Plain(f.stocktake))],
        "alerts" => vec![("any", Thing::Plain(1))],
        "walk-tests" => vec![("any", Thing::Plain(1))],
        "kits" => vec![("any", Thing::Plain(1))],
        "webhooks" | "webhook-deliveries" => vec![("any", Thing::Plain(1))],
        // One's own notification, or nobody's: either way the policy lets anyone ask.
        "notifications" => vec![("any", Thing::Plain(1))],
        "tokens" => {
            let token = |name: &str| {
                f.tokens
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, id)| Thing::Token(*id))
                    .unwrap()
            };
            let own = if actor.username.is_empty() {
                "admin"
            } else {
                actor.username.as_str()
            };
            vec![("own", token(own)), ("another's", token("bystander"))]
        }
        other => panic!("the test knows no things under /{other}: add them to `things`"),
    }
}

#[sqlx::test(migrations = "./migrations")]
async fn every_operation_answers_as_the_policy_table_says(pool: PgPool) {
    let world = World::new(pool).await;
    let f = fixtures(&world).await;
    let (status, doc) = world.call(Method::GET, "/api/openapi.json", "", None).await;
    assert_eq!(status, StatusCode::OK);
    let people = [
        ("auditor", world.auditor.clone()),
        ("approver", world.approver.clone()),
        ("requester", world.requester.clone()),
        ("keeper", world.keeper.clone()),
        ("admin", world.admin.clone()),
    ];
    let mut actors = Vec::new();
    for (name, token) in &people {
        let actor: Actor = sqlx::query_as(
            "select id, username, display_name, role, department_id from users where username = $1",
        )
        .bind(name)
        .fetch_one(&world.pool)
        .await
        .unwrap();
        actors.push((actor, token.clone()));
    }

    let mut failures = Vec::new();
    let mut calls = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let Ok(method) = method.to_uppercase().parse::<Method>() else {
                continue;
            };
            let id = operation["operationId"].as_str().unwrap();
            let Ok(op) = serde_json::from_value::<Op>(json!(id)) else {
                failures.push(format!(
                    "{method} {path}: operation {id} has no row in the policy table"
                ));
                continue;
            };
            let body = operation["requestBody"]["content"]["application/json"]["schema"]
                .as_object()
                .map(|schema| example(&doc, &Value::Object(schema.clone())));
            let departmental = body.as_ref().is_some_and(|b| {
                doc_has_property(&doc, operation, "department_id") && b.is_object()
            });

            // Anonymous: only the public operations.
            let public = op.rule().scope == depot::app::policy::Scope::Public;
            let anonymous = fill(path, None, &f, &world);
            let (status, reply) = world
                .call(method.clone(), &anonymous, "", body.clone())
                .await;
            calls += 1;
            if !public && status != StatusCode::UNAUTHORIZED {
                failures.push(format!(
                    "{method} {path} anonymously: {status} {reply}, not 401"
                ));
            }

            // The less privileged first, so a success does not change what the next one meets.
            for (actor, token) in &actors {
                let variants: Vec<(&str, Option<Thing>, Option<i64>)> = if path.contains("{id}") {
                    things(&f, &world, path, actor)
                        .into_iter()
                        .map(|(label, thing)| (label, Some(thing), None))
                        .collect()
                } else if departmental {
                    vec![
                        ("for own", None, Some(world.finance)),
                        ("for other", None, Some(world.culture)),
                    ]
                } else {
                    vec![("", None, None)]
                };
                for (label, thing, department) in variants {
                    let uri = fill(path, thing, &f, &world);
                    let mut body = body.clone();
                    if let (Some(Value::Object(b)), Some(d)) = (&mut body, department) {
                        b.insert("department_id".into(), json!(d));
                    }
                    let expected = verdict(&world, actor, op, thing, department).await;
                    let (status, reply) = world.call(method.clone(), &uri, token, body).await;
                    calls += 1;
                    let who = format!("{method} {path} ({op:?}) as {} on {label}", actor.username);
                    let message = reply["error"]["message"].as_str().unwrap_or_default();
                    match expected {
                        Err(Error::Forbidden(_)) if status != StatusCode::FORBIDDEN => failures
                            .push(format!("{who}: {status} {reply}, the policy refuses (403)")),
                        Err(Error::NotFound(_)) if status != StatusCode::NOT_FOUND => failures
                            .push(format!(
                                "{who}: {status} {reply}, the policy hides it (404)"
                            )),
                        // Four eyes: a rule of its own on top of the table (the admin who
                        // proposed or appraised a disposal does not approve it).
                        Ok(())
                            if status == StatusCode::FORBIDDEN
                                && matches!(
                                    reply["error"]["message_key"].as_str(),
                                    Some("four_eyes" | "appraised_by_you")
                                ) => {}
                        Ok(())
                            if status == StatusCode::FORBIDDEN
                                || (status == StatusCode::UNAUTHORIZED && !public) =>
                        {
                            failures.push(format!("{who}: {status} {reply}, the policy allows it"))
                        }
                        Ok(())
                            if status == StatusCode::NOT_FOUND
                                && thing.is_some_and(|t| !matches!(t, Thing::Plain(_)))
                                && message
                                    .ends_with(&format!(" {} not found", thing.unwrap().id())) =>
                        {
                            failures.push(format!(
                                "{who}: {status} {reply}, the policy lets them see it"
                            ))
                        }
                        Err(e) if !matches!(e, Error::Forbidden(_) | Error::NotFound(_)) => {
                            failures.push(format!("{who}: the policy cannot judge it: {e}"))
                        }
                        _ => {}
                    }
                }
            }
        }
    }
    assert!(
        calls > 400,
        "only {calls} calls: the document lists too few operations"
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The register's import and export: admins and keepers only (the table's rows for
/// `import_assets`, `export_assets_csv` and `export_assets_xlsx`), refused before the file is
/// read.
#[sqlx::test(migrations = "./migrations")]
async fn only_staff_import_and_export_the_register(pool: PgPool) {
    use axum::body::Body;
    use axum::http::{header, Request};
    let world = World::new(pool).await;
    let csv = "epc,name,category,original_value,acquired_on,source_class,owner_department,zone,model,serial_number,supplier,acquisition_method,funding_source,finance_card_no,useful_life_months\n,Desk,TBL,10,,,,W1/A,,,,,,,\n";
    let send = |method: Method, path: &'static str, token: String, content_type: &'static str| {
        let world = &world;
        async move {
            let req = Request::builder()
                .method(method)
                .uri(path)
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .header(header::CONTENT_TYPE, content_type)
                .body(Body::from(csv))
                .unwrap();
            common::send(world, req).await.status
        }
    };
    for (who, token, allowed) in [
        ("requester", world.requester.clone(), false),
        ("auditor", world.auditor.clone(), false),
        ("keeper", world.keeper.clone(), true),
        ("admin", world.admin.clone(), true),
    ] {
        for path in ["/api/assets/export.csv", "/api/assets/export.xlsx"] {
            let status = send(Method::GET, path, token.clone(), "text/plain").await;
            let expected = if allowed {
                StatusCode::OK
            } else {
                StatusCode::FORBIDDEN
            };
            assert_eq!(status, expected, "{who} GET {path}");
        }
        // Refused whatever the body: the role is asked first.
        let status = send(
            Method::POST,
            "/api/assets/import?dry_run=true",
            token.clone(),
            "application/pdf",
        )
        .await;
        let expected = if allowed {
            StatusCode::UNSUPPORTED_MEDIA_TYPE
        } else {
            StatusCode::FORBIDDEN
        };
        assert_eq!(status, expected, "{who} imports a PDF");
        let status = send(
            Method::POST,
            "/api/assets/import?dry_run=true",
            token,
            "text/csv",
        )
        .await;
        let expected = if allowed {
            StatusCode::OK
        } else {
            StatusCode::FORBIDDEN
        };
        assert_eq!(status, expected, "{who} checks a register");
    }
    let stored: i64 = sqlx::query_scalar("select count(*) from assets")
        .fetch_one(&world.pool)
        .await
        .unwrap();
    assert_eq!(stored, 0, "dry runs store nothing");
}

/// Whether the operation's request body has a property `name` (a request for a department).
fn doc_has_property(doc: &Value, operation: &Value, name: &str) -> bool {
    let schema = &operation["requestBody"]["content"]["application/json"]["schema"];
    let schema = match schema["$ref"].as_str() {
        Some(r) => &doc["components"]["schemas"][r.rsplit('/').next().unwrap()],
        None => schema,
    };
    schema["properties"].get(name).is_some()
}

/// The path with its parameters filled: `{id}` by the thing, `{hex}` by an EPC, `{doc}` by
/// a document that is not there.
fn fill(path: &str, thing: Option<Thing>, f: &Fixtures, world: &World) -> String {
    let id = thing
        .map(Thing::id)
        .or_else(|| {
            path.contains("{id}").then(|| {
                let actor_free = Actor {
                    id: 0,
                    username: String::new(),
                    display_name: String::new(),
                    role: depot::auth::Role::Admin,
                    department_id: None,
                };
                things(f, world, path, &actor_free)[0].1.id()
            })
        })
        .unwrap_or_default();
    format!(
        "/api{}",
        path.replace("{id}", &id.to_string())
            .replace("{hex}", "3034257BF7194E4000000001")
            .replace("{doc}", "999999")
    )
}

/// Labels: anyone reads those of what they may see (`asset_label`, `intake_labels`); only
/// admins and keepers print them (`print_intake_labels`), refused before a printer is named.
#[sqlx::test(migrations = "./migrations")]
async fn only_staff_print_labels(pool: PgPool) {
    let world = World::new(pool).await;
    let (status, intake) = world
        .call(
            Method::POST,
            "/api/intakes",
            &world.keeper,
            Some(json!({"source_department_id": world.finance, "source_class": "other_idle",
                        "items": [{"name": "x", "category_id": world.tables, "original_value_fen": 1}]})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{intake}");
    let id = intake["id"].as_i64().unwrap();
    for (who, token, expected) in [
        ("requester", world.requester.clone(), StatusCode::FORBIDDEN),
        ("auditor", world.auditor.clone(), StatusCode::FORBIDDEN),
        ("approver", world.approver.clone(), StatusCode::FORBIDDEN),
        // No printer is configured: the role passes, the name finds none (409).
        ("keeper", world.keeper.clone(), StatusCode::CONFLICT),
        ("admin", world.admin.clone(), StatusCode::CONFLICT),
    ] {
        let (status, body) = world
            .call(
                Method::POST,
                &format!("/api/intakes/{id}/print"),
                &token,
                Some(json!({"printer": "Dock"})),
            )
            .await;
        assert_eq!(status, expected, "{who}: {body}");
    }
    let (status, _) = world
        .call(
            Method::POST,
            &format!("/api/intakes/{id}/print"),
            "",
            Some(json!({"printer": "Dock"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

/// The pages' own routes for acting on an asset, a user or a stocktake's missing assets:
/// anonymous requests are sent to sign in, other roles refused (403, or 404 for a person
/// they may not see), and nothing changes.
#[sqlx::test(migrations = "./migrations")]
async fn the_pages_actions_on_assets_users_and_stocktakes_are_staffs_and_admins(pool: PgPool) {
    let world = World::new(pool).await;
    let asset = world.stock(world.chairs, 1).await[0];
    let user = world.user_id("requester2").await;
    let requester = common::login(&world, "requester").await;
    let auditor = common::login(&world, "auditor").await;
    let keeper = common::login(&world, "keeper").await;
    let routes = [
        format!("/assets/{asset}/mark-lost"),
        format!("/assets/{asset}/recover"),
        format!("/admin/users/{user}"),
        "/keeper/stocktakes/1/mark-lost".to_owned(),
    ];
    for path in &routes {
        let anonymous = common::post(&world, path, "", &[("csrf", "x")]).await;
        assert_eq!(
            anonymous.status,
            StatusCode::SEE_OTHER,
            "{path} anonymously"
        );
        assert!(anonymous.location().starts_with("/login"), "{path}");
        for cookie in [&requester, &auditor] {
            let token = common::get(&world, "/inbox", cookie).await.csrf();
            let reply = common::post(
                &world,
                path,
                cookie,
                &[
                    ("csrf", &token),
                    ("reason", "x"),
                    ("confirmed", "1"),
                    ("active", "false"),
                    ("epc", "AA"),
                ],
            )
            .await;
            assert!(
                matches!(reply.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
                "{path}: {}",
                reply.status
            );
        }
    }
    // A keeper acts on assets and stocktakes, not on users.
    let token = common::get(&world, "/inbox", &keeper).await.csrf();
    let reply = common::post(
        &world,
        &format!("/admin/users/{user}"),
        &keeper,
        &[("csrf", &token), ("active", "false")],
    )
    .await;
    assert!(matches!(
        reply.status,
        StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
    ));
    assert_eq!(world.asset_state(asset).await, "in_stock");
    let active: bool = sqlx::query_scalar("select active from users where id = $1")
        .bind(user)
        .fetch_one(&world.pool)
        .await
        .unwrap();
    assert!(active);
}
