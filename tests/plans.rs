//! Query plans at a small city's scale: every list, search, page, report and export the
//! benchmark drives (`depot bench data`), on data from the same seed, has each of its
//! statements explained by PostgreSQL's `auto_explain` as it runs, and none may scan the
//! big tables (assets, events, reservations) whole. Plans, never timings: a sequential scan
//! that is quick on 20,000 assets is what takes seconds on a million.

use std::sync::{Arc, Mutex, OnceLock};

use axum::body::Body;
use axum::http::{header, Request};
use depot::app::App;
use depot::cli::data_bench::{self, Who, ENDPOINTS, EXPORTS};
use depot::config::Config;
use depot::db::assets::{self, Filter};
use depot::db::bench_data::{self, Scale};
use http_body_util::BodyExt;
use sqlx::postgres::PgPoolOptions;
use sqlx::{PgConnection, PgPool};
use tower::ServiceExt;

/// The tables a whole scan of which would not scale.
const BIG: &[&str] = &["assets", "events", "reservations"];

/// The plans PostgreSQL sent as notices, collected from sqlx's log of them.
fn plans() -> &'static Arc<Mutex<Vec<String>>> {
    static PLANS: OnceLock<Arc<Mutex<Vec<String>>>> = OnceLock::new();
    PLANS.get_or_init(|| {
        use tracing_subscriber::layer::SubscriberExt;
        use tracing_subscriber::util::SubscriberInitExt;
        let plans = Arc::new(Mutex::new(Vec::new()));
        let _ = tracing_subscriber::registry()
            .with(Notices(plans.clone()))
            .try_init();
        plans
    })
}

struct Notices(Arc<Mutex<Vec<String>>>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Notices {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        if event.metadata().target() != "sqlx::postgres::notice" {
            return;
        }
        struct Message(String);
        impl tracing::field::Visit for Message {
            fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
                if field.name() == "message" {
                    self.0 = value.to_owned();
                }
            }
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                if field.name() == "message" && self.0.is_empty() {
                    self.0 = format!("{value:?}");
                }
            }
        }
        let mut message = Message(String::new());
        event.record(&mut message);
        if message.0.contains("plan:") {
            self.0.lock().unwrap().push(message.0);
        }
    }
}

/// The whole-table scans of the big tables in a plan, as lines of it.
fn whole_scans(plan: &str) -> Vec<String> {
    plan.lines()
        .filter(|line| {
            let node = line.trim_start().trim_start_matches("->").trim_start();
            let node = node.strip_prefix("Parallel ").unwrap_or(node);
            BIG.iter().any(|table| {
                node.strip_prefix("Seq Scan on ")
                    .and_then(|rest| rest.strip_prefix(table))
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '(']))
            })
        })
        .map(str::to_owned)
        .collect()
}

#[test]
fn a_whole_scan_is_recognised() {
    let plan = "Limit\n  ->  Seq Scan on assets a  (cost=0.00..1.00 rows=1 width=8)\n  ->  Seq Scan on assets_x";
    assert_eq!(whole_scans(plan).len(), 1);
    assert!(whole_scans("  ->  Parallel Seq Scan on events").len() == 1);
    assert!(whole_scans("  ->  Index Scan using assets_pkey on assets a").is_empty());
}

#[sqlx::test(migrations = "./migrations")]
async fn no_list_search_page_report_or_export_scans_a_big_table_whole(pool: PgPool) {
    let mut conn = pool.acquire().await.unwrap();
    bench_data::seed(&mut conn, Scale::proportional(20_000), |_| {})
        .await
        .unwrap();
    bench_data::settle(&mut conn, depot::app::reports::IDLE_DAYS)
        .await
        .unwrap();
    let cookies = [
        (
            Who::Admin,
            data_bench::session(&mut conn, Who::Admin).await.unwrap(),
        ),
        (
            Who::Requester,
            data_bench::session(&mut conn, Who::Requester)
                .await
                .unwrap(),
        ),
        (
            Who::Keeper,
            data_bench::session(&mut conn, Who::Keeper).await.unwrap(),
        ),
    ];
    let extent = bench_data::extent(&mut conn).await.unwrap();
    drop(conn);

    // The service's pool as the service sets it up, but with every statement explained
    // (`auto_explain` at notice level, so the plan comes back to the client that ran it).
    let options = pool.connect_options().as_ref().clone();
    let explained = PgPoolOptions::new()
        .max_connections(4)
        .after_connect(|conn, _| {
            Box::pin(async move {
                use sqlx::Executor;
                for statement in [
                    "load 'auto_explain'",
                    "set auto_explain.log_min_duration = 0",
                    "set auto_explain.log_level = notice",
                    "set auto_explain.log_nested_statements = on",
                    "set plan_cache_mode = force_custom_plan",
                ] {
                    conn.execute(statement).await?;
                }
                Ok(())
            })
        })
        .connect_with(options)
        .await
        .unwrap();
    let plans = plans();
    let router = depot::server::router(App::new(explained, Config::for_database(None)));

    let mut failures = Vec::new();
    let paths = ENDPOINTS
        .iter()
        .map(|e| (e.who, e.path))
        .chain(EXPORTS.iter().map(|e| (e.who, e.path)));
    for (n, (who, path)) in paths.enumerate() {
        let cookie = &cookies.iter().find(|(w, _)| *w == who).unwrap().1;
        let path = data_bench::fill(path, n, extent);
        plans.lock().unwrap().clear();
        let response = router
            .clone()
            .oneshot(
                Request::get(&path)
                    .header(header::COOKIE, cookie)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        let status = response.status();
        response.into_body().collect().await.unwrap();
        assert!(status.is_success(), "{path}: {status}");
        let seen = std::mem::take(&mut *plans.lock().unwrap());
        assert!(!seen.is_empty(), "{path}: no plan was explained");
        for plan in seen {
            let scans = whole_scans(&plan);
            if !scans.is_empty() {
                failures.push(format!("{path} ({who:?}):\n{plan}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "whole scans of a big table:\n\n{}",
        failures.join("\n\n")
    );
}

/// The dashboard's tallies are the assets' counts and values by category, state and listing,
/// whatever statements changed them, before and after they are folded.
#[sqlx::test(migrations = "./migrations")]
async fn the_tallies_agree_with_the_assets(pool: PgPool) {
    const DIFFERENCE: &str = "
        with real as (
            select category_id, state, virtual_depot, case when virtual_depot then owner_department_id end as listed_by,
                   count(*)::numeric as assets, sum(original_value_fen)::numeric as value_fen
            from assets group by 1, 2, 3, 4),
        kept as (
            select category_id, state, virtual_depot, listed_by, sum(assets) as assets, sum(value_fen) as value_fen
            from asset_tallies group by 1, 2, 3, 4 having sum(assets) <> 0 or sum(value_fen) <> 0)
        select count(*) from ((table real except table kept) union all (table kept except table real)) d";
    let mut conn = pool.acquire().await.unwrap();
    bench_data::seed(&mut conn, Scale::proportional(2_000), |_| {})
        .await
        .unwrap();
    let differ = async |conn: &mut sqlx::PgConnection| -> i64 {
        sqlx::query_scalar(DIFFERENCE)
            .fetch_one(conn)
            .await
            .unwrap()
    };
    assert_eq!(differ(&mut conn).await, 0, "after the seed");
    for change in [
        "update assets set state = 'on_loan' where id % 7 = 0 and state = 'in_stock'",
        "update assets set virtual_depot = true, state = 'listed', owner_department_id = 1 + id % 3 where id % 11 = 0",
        "update assets set original_value_fen = original_value_fen + 1 where id % 5 = 0",
        "update assets set category_id = 1 where id % 13 = 0",
        "update assets set state = 'disposed', virtual_depot = false where id % 17 = 0",
    ] {
        sqlx::query(change).execute(&mut *conn).await.unwrap();
        assert_eq!(differ(&mut conn).await, 0, "after {change}");
    }
    depot::db::reports::compact_tallies(&mut conn)
        .await
        .unwrap();
    assert_eq!(differ(&mut conn).await, 0, "after folding");
    let rows: i64 = sqlx::query_scalar("select count(*) from asset_tallies")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    let groups: i64 = sqlx::query_scalar(
        "select count(*) from (select distinct category_id, state, virtual_depot, case when virtual_depot then owner_department_id end from assets) g",
    )
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    assert_eq!(rows, groups, "one row per group once folded");
}

/// A department's assets (owned or held), walked as two index-ordered lists merged: every
/// page, cursor and capped total is the one a plain `or` over all assets gives, alone and
/// with the other filters.
#[sqlx::test(migrations = "./migrations")]
async fn a_departments_assets_page_as_a_plain_query_would(pool: PgPool) {
    use depot::db::COUNT_CAP;
    use depot::domain::lifecycle::AssetState;
    let mut conn = pool.acquire().await.unwrap();
    bench_data::seed(&mut conn, Scale::proportional(20_000), |_| {})
        .await
        .unwrap();
    // Assets held by a department that does not own them, so both lists count; one
    // department holds thousands (more than the count's cap), the others a few.
    sqlx::query(
        "update assets set holder_department_id = case when id % 3 = 0 then 1 else 1 + (id % 7) end
         where id % 5 = 0 or id % 3 = 0",
    )
    .execute(&mut *conn)
    .await
    .unwrap();
    let departments: Vec<i64> = sqlx::query_scalar(
        "select d from (select owner_department_id d from assets union select holder_department_id from assets) x
         where d is not null order by d limit 3",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    assert!(departments.contains(&1));
    let mut largest = 0;
    for department in departments {
        for state in [None, Some(AssetState::InStock), Some(AssetState::Allocated)] {
            let plain: Vec<i64> = sqlx::query_scalar(
                "select id from assets where (owner_department_id = $1 or holder_department_id = $1)
                 and ($2::text is null or state::text = $2) order by id",
            )
            .bind(department)
            .bind(state.map(|s| s.as_str()))
            .fetch_all(&mut *conn)
            .await
            .unwrap();
            largest = largest.max(plain.len() as i64);
            let filter = Filter {
                department_id: Some(department),
                state,
                ..Filter::default()
            };
            pages_as_plain(
                &mut conn,
                &filter,
                &plain,
                &format!("department {department}, {state:?}"),
            )
            .await;
        }
    }
    assert!(
        largest > COUNT_CAP,
        "a department past the count's cap: {largest}"
    );
}

/// Free text: every page, cursor and capped total is the one a plain query over all assets
/// gives (name, model and serial number holding the text, or a category whose name does),
/// alone and with a state filter, whether or not the categories it names hold more assets
/// than a list counts (then the count is skipped).
#[sqlx::test(migrations = "./migrations")]
async fn a_free_text_search_pages_as_a_plain_query_would(pool: PgPool) {
    use depot::db::COUNT_CAP;
    use depot::domain::lifecycle::AssetState;
    let mut conn = pool.acquire().await.unwrap();
    bench_data::seed(&mut conn, Scale::proportional(20_000), |_| {})
        .await
        .unwrap();
    let mut largest = 0;
    let mut smallest = i64::MAX;
    // Categories holding thousands (会议桌, Projector), one holding hundreds, names only,
    // a text an index cannot help with, and one matching nothing.
    for text in [
        "会议桌",
        "Projector",
        "Conference table 10",
        "item #12",
        "桌",
        "#1999",
        "no such thing",
    ] {
        for state in [None, Some(AssetState::InStock)] {
            let plain = plain_search(&mut conn, text, state).await;
            largest = largest.max(plain.len() as i64);
            smallest = smallest.min(plain.len() as i64);
            let filter = Filter {
                text: Some(text.to_owned()),
                state,
                ..Filter::default()
            };
            pages_as_plain(&mut conn, &filter, &plain, &format!("{text:?}, {state:?}")).await;
        }
    }
    assert!(
        largest > COUNT_CAP,
        "a text past the count's cap: {largest}"
    );
    assert_eq!(smallest, 0, "a text matching nothing");
}

/// EPC fragments, as pasted from a reader or typed: a whole EPC, its first 21 digits (a
/// block of 4,096 EPCs, in lower case too), its last ones, five digits from its end; each
/// pages, counts and walks by cursor as a plain query over names, models, serials,
/// categories and EPCs does, alone and with a state filter.
#[sqlx::test]
async fn an_epc_fragment_pages_as_a_plain_query_would(pool: PgPool) {
    use depot::domain::lifecycle::AssetState;
    let mut conn = pool.acquire().await.unwrap();
    bench_data::seed(&mut conn, Scale::proportional(20_000), |_| {})
        .await
        .unwrap();
    let epc: String = sqlx::query_scalar("select epc from assets where id = 12345")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    let texts = [
        epc.clone(),
        epc[..21].to_owned(),
        epc[..21].to_ascii_lowercase(),
        epc[15..].to_owned(),
        epc[18..23].to_owned(),
    ];
    let mut sizes = Vec::new();
    for text in &texts {
        for state in [None, Some(AssetState::InStock)] {
            let plain = plain_search(&mut conn, text, state).await;
            sizes.push(plain.len());
            let filter = Filter {
                text: Some(text.clone()),
                state,
                ..Filter::default()
            };
            pages_as_plain(&mut conn, &filter, &plain, &format!("{text:?}, {state:?}")).await;
        }
    }
    // The whole EPC finds its asset (alone and in stock or not); a block of 4,096 EPCs is
    // more than a count reaches.
    assert!(sizes[0] >= 1, "{sizes:?}");
    assert!(sizes[2] as i64 > depot::db::COUNT_CAP, "{sizes:?}");
    assert_eq!(sizes[2], sizes[4], "{sizes:?}");
}

/// The assets free text matches, in id order, by a plain query: name, model or serial
/// holding the text, a category named by it, or an EPC starting or ending with 8 hex digits
/// or more, holding 3 to 7 anywhere; of one state, when given.
async fn plain_search(
    conn: &mut PgConnection,
    text: &str,
    state: Option<depot::domain::lifecycle::AssetState>,
) -> Vec<i64> {
    sqlx::query_scalar(
        "select id from assets a
         where ((a.name || ' ' || a.model || ' ' || a.serial_number) ilike '%' || $1 || '%'
                or a.category_id in (select id from categories where name ilike '%' || $1 || '%')
                or case when $1 ~ '^[0-9A-Fa-f]{8,}$'
                        then a.epc like upper($1) || '%' or a.epc like '%' || upper($1)
                        when $1 ~ '^[0-9A-Fa-f]{3,7}$' then a.epc like '%' || upper($1) || '%'
                        else false end)
           and ($2::text is null or a.state::text = $2)
         order by id",
    )
    .bind(text)
    .bind(state.map(|s| s.as_str()))
    .fetch_all(conn)
    .await
    .unwrap()
}

/// Page `filter` 7 and 50 at a time (three pages by number, then by cursor from the last
/// one seen, to the end) and check every page, `has_more` and the count against `plain`,
/// the ids a plain query finds, in the list's order.
async fn pages_as_plain(conn: &mut PgConnection, filter: &Filter, plain: &[i64], what: &str) {
    use depot::db::{Window, COUNT_CAP};
    for per_page in [7, 50] {
        let mut seen: Vec<i64> = Vec::new();
        for page in 1..=2_000 {
            let window = if page <= 3 {
                Window {
                    page,
                    per_page,
                    after: None,
                }
            } else {
                Window {
                    page: 1,
                    per_page,
                    after: seen.last().copied(),
                }
            };
            let (items, total) = assets::list(&mut *conn, filter, window).await.unwrap();
            let ids: Vec<i64> = items.iter().map(|a| a.id).collect();
            let expected: Vec<i64> = plain
                .iter()
                .skip(seen.len())
                .take(per_page as usize)
                .copied()
                .collect();
            assert_eq!(ids, expected, "{what}, page {page}");
            seen.extend(ids);
            assert_eq!(total.has_more, seen.len() < plain.len(), "{what}");
            if window.after.is_none() {
                let n = plain.len() as i64;
                if n <= COUNT_CAP || !total.has_more {
                    assert_eq!((total.count, total.exact), (n, true), "{what}");
                } else {
                    assert!(!total.exact && total.count >= COUNT_CAP, "{what}");
                }
            }
            if !total.has_more {
                break;
            }
        }
        assert_eq!(seen, plain, "{what}");
    }
}
