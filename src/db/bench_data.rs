//! A city's worth of data for benchmarks and plan tests, made in PostgreSQL with set-based
//! SQL (`generate_series`): departments, users, warehouses and zones, categories, assets
//! in a realistic spread of states, loans with their reservations over three years, the
//! event log, compensation cases, disposals, intakes and alerts. Deterministic for a scale.
//!
//! It writes straight into the tables (the scale forbids one operation per asset), so the
//! log is representative, not a replay: each asset has its registration and receipt, each
//! issued or returned reservation its issue and return, each loan its request; the rest of
//! the events asked for are relocations. Live reservations (approved and issued loans) sit
//! on distinct reserved and on-loan assets, so the exclusion constraint holds.

use sqlx::PgConnection;

use super::Result;

/// How much to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scale {
    pub assets: i64,
    pub events: i64,
    pub loans: i64,
    pub reservations: i64,
    pub departments: i64,
    pub categories: i64,
}

impl Scale {
    /// The city of the targets: 1M assets, 5M events, 300k loans, 900k reservations.
    pub const CITY: Scale = Scale {
        assets: 1_000_000,
        events: 5_000_000,
        loans: 300_000,
        reservations: 900_000,
        departments: 60,
        categories: 40,
    };

    /// The same proportions for `assets` assets.
    pub fn proportional(assets: i64) -> Scale {
        Scale {
            assets,
            events: assets * 5,
            loans: assets * 3 / 10,
            reservations: assets * 9 / 10,
            ..Scale::CITY
        }
    }
}

/// Every seeded requester is `bench_requester_N` (N = 1..departments); the others are
/// `bench_admin`, `bench_keeper` and `bench_auditor`.
pub const ADMIN: &str = "bench_admin";

/// One step of the seed: what it made, for the progress lines.
pub struct Step {
    pub what: &'static str,
    pub rows: u64,
}

/// The statements of the seed, in order. Parameters: `$1` assets, `$2` events, `$3` loans,
/// `$4` reservations, `$5` departments, `$6` categories.
const STEPS: &[(&str, &str)] = &[
    (
        "departments",
        "insert into departments (code, name)
         select 'D' || lpad(i::text, 3, '0'),
                (array['财政局', '教育局', '文化和旅游局', '卫生健康委员会', '公安局', '民政局', '交通运输局', '自然资源局'])[1 + (i % 8)::int] || ' ' || i
         from generate_series(1, $5::bigint) i",
    ),
    (
        "users",
        "insert into users (username, display_name, password_hash, role, department_id)
         select 'bench_requester_' || d.rn, 'Requester ' || d.rn, '!', 'requester'::user_role, d.id
         from (select id, row_number() over (order by id) as rn from departments) d
         union all select 'bench_admin', 'Admin', '!', 'admin'::user_role, null
         union all select 'bench_keeper', 'Keeper', '!', 'keeper'::user_role, null
         union all select 'bench_auditor', 'Auditor', '!', 'auditor'::user_role, null",
    ),
    (
        "warehouses",
        "insert into warehouses (code, name) select 'W' || i, '公物仓 ' || i || ' 号库' from generate_series(1, 4) i",
    ),
    (
        "zones",
        "insert into zones (warehouse_id, code, name, kind)
         select w.id, 'Z' || z, 'Aisle ' || z || ' 区', 'storage' from warehouses w, generate_series(1, 12) z",
    ),
    (
        "gates",
        "insert into gates (name, inside_zone_id, outside_zone_id)
         select 'Dock door ' || w.id, min(z.id), max(z.id) from warehouses w join zones z on z.warehouse_id = w.id
         group by w.id order by w.id",
    ),
    (
        "categories",
        "insert into categories (code, name)
         select 'C' || lpad(i::text, 3, '0'),
                (array['会议桌 Conference table', '折叠椅 Folding chair', '投影仪 Projector', '笔记本电脑 Laptop',
                       '展板 Exhibition panel', '音响 Speaker', '帐篷 Tent', '打印机 Printer', '文件柜 Filing cabinet',
                       '办公桌 Desk'])[1 + (i % 10)::int] || ' ' || i
         from generate_series(1, $6::bigint) i",
    ),
    (
        "assets",
        "with c as (select id, name, row_number() over (order by id) - 1 as n, count(*) over () as m from categories),
              d as (select id, row_number() over (order by id) - 1 as n, count(*) over () as m from departments),
              z as (select id, row_number() over (order by id) - 1 as n, count(*) over () as m from zones),
              s as (select i, (i * 7919) % 1000 as bucket from generate_series(1, $1::bigint) i)
         insert into assets (epc, name, category_id, original_value_fen, acquired_on, source_class,
                             owner_department_id, holder_department_id, zone_id, state, virtual_depot, created_at, updated_at)
         select '3414A3F0' || upper(lpad(to_hex(s.i), 16, '0')),
                case when s.i % 3 = 0 then split_part(c.name, ' ', 1) || ' #' || s.i
                     else split_part(c.name, ' ', 2) || ' ' || split_part(c.name, ' ', 3) || ' item #' || s.i end,
                c.id,
                1000 + (s.i * 104729) % 2000000,
                date '2015-01-01' + (s.i % 3650)::int,
                (array['event_purchase', 'abolished_body', 'institutional_reform', 'other_idle'])[1 + (s.i % 4)::int]::source_class,
                case when st.state in ('allocated', 'listed') then d.id end,
                case when st.state in ('allocated', 'listed', 'on_loan') then d.id end,
                case when st.state in ('in_stock', 'reserved', 'in_repair', 'pending_disposal') then z.id end,
                st.state::asset_state,
                st.state = 'listed',
                timestamptz '2020-01-01' + (s.i % 1800) * interval '1 day',
                timestamptz '2020-01-01' + (s.i % 1800) * interval '1 day'
         from s
         join c on c.n = (s.i * 31) % (select count(*) from categories)
         join d on d.n = (s.i * 17) % (select count(*) from departments)
         join z on z.n = (s.i * 13) % (select count(*) from zones)
         cross join lateral (select case
              when s.bucket < 550 then 'in_stock' when s.bucket < 570 then 'reserved'
              when s.bucket < 650 then 'on_loan' when s.bucket < 680 then 'listed'
              when s.bucket < 690 then 'in_repair' when s.bucket < 695 then 'lost'
              when s.bucket < 845 then 'allocated' when s.bucket < 855 then 'pending_disposal'
              when s.bucket < 955 then 'disposed' else 'registered' end as state) st
         order by s.i",
    ),
    (
        "loans",
        "with d as (select u.department_id, u.id as user_id, row_number() over (order by u.id) - 1 as n, count(*) over () as m
                    from users u where u.role = 'requester'),
              l as (select i, (i * 6007) % 1000 as bucket,
                           current_date - 1095 + ((i * 1125) / $3::bigint)::int as starts_on from generate_series(1, $3::bigint) i)
         insert into loans (department_id, requested_by, purpose, starts_on, ends_on, status, decided_at, created_at, updated_at)
         select d.department_id, d.user_id,
                (array['年度工作会议', 'Exhibition', '培训班', 'Sports meeting', '接待', 'Temporary office'])[1 + (l.i % 6)::int] || ' ' || l.i,
                l.starts_on, l.starts_on + (l.i % 5)::int,
                st.status::loan_status,
                case when st.status <> 'requested' then l.starts_on - 3 end,
                l.starts_on - 7, l.starts_on - 7
         from l join d on d.n = (l.i * 7) % (select count(*) from users where role = 'requester')
         cross join lateral (select case
              when l.starts_on > current_date then (case when l.bucket < 600 then 'approved' else 'requested' end)
              when l.bucket < 20 then 'issued' when l.bucket < 25 then 'partially_issued'
              when l.bucket < 45 then 'rejected' when l.bucket < 70 then 'cancelled'
              else 'returned' end as status) st
         order by l.i",
    ),
    (
        "reservations",
        "with lent as (select id, starts_on, ends_on, status, row_number() over (order by id) - 1 as n, count(*) over () as m
                       from loans where status in ('approved', 'issued', 'partially_issued', 'returned')),
              plan as (select g.i, lent.id, lent.starts_on, lent.ends_on, lent.status,
                              case when lent.status = 'approved' then 'reserved'::asset_state
                                   when lent.status <> 'returned' then 'on_loan'::asset_state end as wants,
                              row_number() over (partition by lent.status = 'approved', lent.status = 'returned'
                                                 order by g.i) - 1 as k
                       from generate_series(1, $4::bigint) g(i) join lent on lent.n = (g.i - 1) % (select count(*) from loans where status in ('approved', 'issued', 'partially_issued', 'returned'))),
              live_assets as (select id, state, row_number() over (partition by state order by id) - 1 as n
                              from assets where state in ('reserved', 'on_loan'))
         insert into reservations (asset_id, order_kind, order_id, period, created_at, issued_at, returned_at, condition, released_at)
         select coalesce(a.id, 1 + (p.i * 48271) % $1::bigint), 'loan', p.id,
                tstzrange(p.starts_on::timestamptz, (p.ends_on + 1)::timestamptz, '[)'),
                p.starts_on - 3,
                case when p.status in ('issued', 'partially_issued', 'returned') then p.starts_on + interval '9 hours' end,
                case when p.status = 'returned' then p.ends_on + interval '17 hours' end,
                case when p.status = 'returned' then (case when p.i % 200 = 0 then 'damaged' else 'fine' end) end,
                case when p.status = 'returned' then p.ends_on + interval '17 hours' end
         from plan p
         left join live_assets a on a.state = p.wants and a.n = p.k
         where p.status = 'returned' or a.id is not null
         order by p.i",
    ),
    (
        "events: registrations and receipts",
        "insert into events (at, asset_id, action, from_state, to_state)
         select a.created_at, a.id, 'register', null, 'registered' from assets a
         union all
         select a.created_at + interval '1 day', a.id, 'receive', 'registered', 'in_stock' from assets a
          where a.state <> 'registered'",
    ),
    (
        "events: issues and returns",
        "insert into events (at, asset_id, order_kind, order_id, action, from_state, to_state)
         select r.issued_at, r.asset_id, r.order_kind, r.order_id, 'issue', 'reserved', 'on_loan'
           from reservations r where r.issued_at is not null
         union all
         select r.returned_at, r.asset_id, r.order_kind, r.order_id, 'return', 'on_loan', 'in_stock'
           from reservations r where r.returned_at is not null",
    ),
    (
        "events: loan requests",
        "insert into events (at, actor_id, order_kind, order_id, action, from_state, to_state)
         select l.created_at, l.requested_by, 'loan', l.id, 'request', null, 'requested' from loans l",
    ),
    (
        "events: relocations (the rest)",
        "insert into events (at, asset_id, action, details)
         select timestamptz '2021-01-01' + (i % 1700) * interval '1 day', 1 + (i * 69621) % $1::bigint, 'relocate', '{}'
         from generate_series(1, greatest($2::bigint - (select count(*) from events), 0)) i",
    ),
    (
        "assets: last issued",
        "update assets a set last_issued_at = r.at
           from (select asset_id, max(issued_at) as at from reservations where issued_at is not null group by asset_id) r
          where r.asset_id = a.id and a.last_issued_at is distinct from r.at",
    ),
    (
        "assets: out until",
        "update assets a set out_until = o.until
           from (select r.asset_id, max(l.ends_on) as until
                   from reservations r join loans l on r.order_kind = 'loan' and l.id = r.order_id
                  where r.issued_at is not null and r.returned_at is null and r.released_at is null
                  group by r.asset_id) o
          where o.asset_id = a.id",
    ),
    (
        "compensations",
        "insert into compensations (asset_id, department_id, loan_id, kind, status, amount_fen, created_at)
         select r.asset_id, l.department_id, l.id, 'damage',
                (array['open', 'repaired', 'paid', 'waived'])[1 + (r.id % 4)::int]::compensation_status,
                a.original_value_fen, r.returned_at
         from reservations r join loans l on l.id = r.order_id join assets a on a.id = r.asset_id
         where r.condition = 'damaged'",
    ),
    (
        "disposals",
        "insert into disposals (reason, status, requested_by, appraised_value_fen, method, sale_price_fen, buyer, receipt_number, remitted_at)
         select '报废 worn out ' || i, (array['requested', 'approved', 'sold', 'remitted'])[1 + (i % 4)::int]::disposal_status,
                (select id from users where username = 'bench_admin'), 10000 + i,
                case when i % 4 >= 2 then 'auction' end, case when i % 4 >= 2 then 8000 + i end,
                case when i % 4 >= 2 then 'Auction House' end, case when i % 4 = 3 then 'R-' || i end,
                case when i % 4 = 3 then now() end
         from generate_series(1, greatest($1::bigint / 500, 1)) i",
    ),
    (
        "disposal assets",
        "insert into disposal_assets (disposal_id, asset_id)
         select d.id, a.id from (select id, row_number() over (order by id) as n from disposals) d
         join (select id, row_number() over (order by id) as n from assets where state = 'disposed') a
           on a.n % (select count(*) from disposals) = d.n - 1",
    ),
    (
        "disposal values",
        "update disposals d set original_value_fen = v.fen
         from (select da.disposal_id, sum(a.original_value_fen) as fen
               from disposal_assets da join assets a on a.id = da.asset_id group by da.disposal_id) v
         where v.disposal_id = d.id",
    ),
    (
        "intakes",
        "insert into intakes (source_department_id, source_class, description, status, created_by)
         select d.id, 'other_idle', '收储 intake ' || d.id, 'completed', (select id from users where username = 'bench_keeper')
         from departments d",
    ),
];

/// The tables whose secondary indexes are dropped while the data goes in and built again
/// afterwards from their own definitions (one bulk build is far quicker than a million
/// insertions into each; constraints' indexes stay).
const REBUILT: &[&str] = &["assets", "events", "reservations", "loans"];

/// Make the data on an empty, migrated database. Calls `progress` after each step.
pub async fn seed(
    conn: &mut PgConnection,
    scale: Scale,
    mut progress: impl FnMut(&Step),
) -> Result<()> {
    let indexes: Vec<(String, String)> = sqlx::query_as(
        "select i.indexname, i.indexdef from pg_indexes i
         where i.schemaname = current_schema() and i.tablename = any($1)
           and not exists (select 1 from pg_constraint c where c.conname = i.indexname)",
    )
    .bind(REBUILT)
    .fetch_all(&mut *conn)
    .await?;
    for (name, _) in &indexes {
        sqlx::query(&format!("drop index {name}"))
            .execute(&mut *conn)
            .await?;
    }
    sqlx::query("set maintenance_work_mem = '512MB'")
        .execute(&mut *conn)
        .await?;
    // Each statement runs once: compiling it is not worth it.
    sqlx::query("set jit = off").execute(&mut *conn).await?;
    // The seed sets `assets.last_issued_at` and `out_until` itself, once, after the
    // reservations are in; the trigger would update each issued asset as its reservations
    // go in.
    sqlx::query("alter table reservations disable trigger reservations_mark_issued_insert")
        .execute(&mut *conn)
        .await?;
    for (what, sql) in STEPS {
        // Every statement gets all six (typed bigint); each uses those it names.
        let query = sqlx::query(sql)
            .bind(scale.assets)
            .bind(scale.events)
            .bind(scale.loans)
            .bind(scale.reservations)
            .bind(scale.departments)
            .bind(scale.categories);
        let done = query.execute(&mut *conn).await?;
        progress(&Step {
            what,
            rows: done.rows_affected(),
        });
    }
    sqlx::query("alter table reservations enable trigger reservations_mark_issued_insert")
        .execute(&mut *conn)
        .await?;
    let built = indexes.len() as u64;
    for (_, definition) in indexes {
        sqlx::query(&definition).execute(&mut *conn).await?;
    }
    progress(&Step {
        what: "indexes built again",
        rows: built,
    });
    Ok(())
}

/// Make the statistics and visibility maps current after a seed (outside a transaction),
/// as autovacuum would in time: plans and index-only scans then see the data as it is;
/// then fold the tallies and compute the figures (idle: not issued for `idle_days`).
pub async fn settle(conn: &mut PgConnection, idle_days: i32) -> Result<()> {
    for table in [
        "assets",
        "events",
        "reservations",
        "loans",
        "asset_tallies",
        "compensations",
        "disposals",
        "disposal_assets",
        "users",
        "departments",
        "categories",
        "zones",
    ] {
        sqlx::query(&format!("vacuum (analyze) {table}"))
            .execute(&mut *conn)
            .await?;
    }
    super::reports::compact_tallies(conn).await?;
    super::reports::refresh_figures(conn, idle_days).await?;
    Ok(())
}

/// The highest asset and loan ids: the range a load spreads its lookups over.
pub async fn extent(conn: &mut PgConnection) -> Result<(i64, i64)> {
    Ok(sqlx::query_as(
        "select coalesce((select max(id) from assets), 0), coalesce((select max(id) from loans), 0)",
    )
    .fetch_one(conn)
    .await?)
}

/// Append `rows` events to the log as the years would: after its newest one (or now), `spacing`
/// apart, about assets and loans spread over their ids (a quarter each relocations,
/// stocktake counts, issues and returns; issues and returns name their loan). One statement;
/// the caller chooses how many rows a statement takes.
///
/// Meant for a scratch database only: when the role may, the foreign-key checks and the
/// webhooks' outbox trigger are skipped (`session_replication_role = replica`, as a restore
/// does), since the rows name existing assets and loans and nobody listens. Returns whether
/// they were skipped.
pub async fn grow_events(
    conn: &mut PgConnection,
    rows: i64,
    spacing: std::time::Duration,
) -> Result<bool> {
    let replica = sqlx::query("set session_replication_role = replica")
        .execute(&mut *conn)
        .await
        .is_ok();
    sqlx::query(
        "insert into events (at, asset_id, order_kind, order_id, action, details)
         select s.newest + g.i * make_interval(secs => $2::double precision),
                s.first_asset + (s.base + g.i) * 2654435761 % s.assets,
                case when g.i % 4 >= 2 then 'loan'::order_kind end,
                case when g.i % 4 >= 2 then s.first_loan + (s.base + g.i) * 40503 % s.loans end,
                (array['relocate', 'count', 'issue', 'return'])[1 + (g.i % 4)::int],
                '{}'
         from (select greatest(now(), (select at from events order by id desc limit 1)) as newest,
                      (select max(id) from events) as base,
                      (select min(id) from assets) as first_asset,
                      greatest((select max(id) - min(id) + 1 from assets), 1) as assets,
                      (select min(id) from loans) as first_loan,
                      greatest((select max(id) - min(id) + 1 from loans), 1) as loans) s,
              generate_series(1, $1::bigint) as g(i)",
    )
    .bind(rows)
    .bind(spacing.as_secs_f64())
    .execute(&mut *conn)
    .await?;
    if replica {
        sqlx::query("set session_replication_role = default")
            .execute(&mut *conn)
            .await?;
    }
    Ok(replica)
}

/// A table's size on disk: its rows, and each of its indexes, in bytes.
pub async fn sizes(conn: &mut PgConnection, table: &str) -> Result<(i64, Vec<(String, i64)>)> {
    let heap: i64 = sqlx::query_scalar("select pg_table_size($1::regclass)")
        .bind(table)
        .fetch_one(&mut *conn)
        .await?;
    let indexes = sqlx::query_as(
        "select indexrelid::regclass::text, pg_relation_size(indexrelid)
           from pg_index where indrelid = $1::regclass order by 1",
    )
    .bind(table)
    .fetch_all(&mut *conn)
    .await?;
    Ok((heap, indexes))
}

/// The first and last moments of the log.
pub async fn log_span(
    conn: &mut PgConnection,
) -> Result<(chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>)> {
    Ok(sqlx::query_as(
        "select (select at from events where asset_id is not null order by at, id limit 1),
                (select at from events where asset_id is not null order by at desc, id desc limit 1)",
    )
    .fetch_one(conn)
    .await?)
}

/// One page of the assets' log in time order from `from`, as an export walks it: the ids.
pub async fn log_page(
    conn: &mut PgConnection,
    from: chrono::DateTime<chrono::Utc>,
    rows: i64,
) -> Result<Vec<i64>> {
    Ok(sqlx::query_scalar(
        "select id from events where asset_id is not null and (at, id) > ($1, 0)
         order by at, id limit $2",
    )
    .bind(from)
    .bind(rows)
    .fetch_all(conn)
    .await?)
}
