//! Reads for the pages: the keeper's pick list, and the dashboard's aggregates (stock by
//! state and category, utilisation, idle assets, proceeds remitted, money saved by lending:
//! days lent priced at the market's daily rental, less market rentals paid).

use chrono::NaiveDate;
use serde::Serialize;
use sqlx::PgConnection;

use super::Result;
use crate::domain::bounds::FenSum;

/// One asset to fetch from its shelf for an approved loan.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Pick {
    pub loan_id: i64,
    pub department: String,
    pub starts_on: NaiveDate,
    pub asset_id: i64,
    pub name: String,
    pub epc: String,
    pub place: String,
}

/// What makes a reservation of loan `l` one to pick now (`r` the reservation, `a` its asset):
/// not yet issued nor released, its asset reserved, and not booked ahead by a reservation
/// that starts sooner (an asset booked ahead is picked for its soonest booking only, and not
/// while it is out on an earlier loan, or in repair, lost).
const PICKABLE: &str = "r.order_kind = 'loan' and r.order_id = l.id and r.issued_at is null and r.released_at is null
         and a.id = r.asset_id and a.state = 'reserved'
         and not exists (select 1 from reservations e where e.asset_id = r.asset_id and e.id <> r.id
                         and e.issued_at is null and e.released_at is null and lower(e.period) < lower(r.period))";

/// The picks' columns and tables; `l` the loans picked for.
const PICK_SELECT: &str =
    "select l.id as loan_id, d.name as department, l.starts_on, a.id as asset_id, a.name, a.epc,
                coalesce(w.name || ' · ' || z.name, '') as place
         from loans l
         join departments d on d.id = l.department_id
         join reservations r on r.order_kind = 'loan' and r.order_id = l.id
         join assets a on a.id = r.asset_id
         left join zones z on z.id = a.zone_id left join warehouses w on w.id = z.warehouse_id";

/// A pick list's order: by start date, then by place, so a keeper walks each aisle once.
const PICK_ORDER: &str = "order by l.starts_on, l.id, w.code nulls last, z.code nulls last, a.id";

/// Which loans the pick list holds: one department's, those starting on or before a day
/// (what to have ready by then); each `None`: any.
#[derive(Debug, Default, Clone, Copy)]
pub struct PickFilter {
    pub department_id: Option<i64>,
    pub starts_by: Option<NaiveDate>,
}

/// [`PickFilter`] on the loans `l`: its department as `$1`, its day as `$2`.
const PICK_FILTER: &str =
    "($1::bigint is null or l.department_id = $1) and ($2::date is null or l.starts_on <= $2)";

/// A loan on the pick list and what to fetch for it, in the order of [`picks`].
#[derive(Debug, Clone, Serialize)]
pub struct PickLoan {
    pub loan_id: i64,
    pub department: String,
    pub starts_on: NaiveDate,
    pub picks: Vec<Pick>,
}

/// A page of the loans (approved or partially issued) with something to pick now, starting
/// soonest first (read in the order of `loans_waiting_idx`), each with all its picks by
/// place: a page is whole loans, never a loan cut in two. Each loan's picks are looked for
/// as the loans are read in order (`offset 0` keeps the test a per-loan subquery), so a page
/// stops after its loans: joined instead, every open booking was read and hashed for a page
/// of 25 (28–48 ms against 2 ms with 14,000 open bookings).
pub async fn picks(
    conn: &mut PgConnection,
    filter: PickFilter,
    window: super::Window,
) -> Result<(Vec<PickLoan>, super::Total)> {
    static FILTER: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        format!(
            "where l.status in ('approved', 'partially_issued') and {PICK_FILTER}
               and exists (select 1 from reservations r, assets a where {PICKABLE} offset 0)"
        )
    });
    static ROWS: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        format!("{PICK_SELECT} where l.id = any($1) and {PICKABLE} {PICK_ORDER}")
    });
    let (loans, total): (Vec<(i64,)>, _) = super::page(
        &mut *conn,
        "select l.id from loans l",
        FILTER.as_str(),
        "l.starts_on, l.id",
        args![filter.department_id, filter.starts_by],
        window,
    )
    .await?;
    let ids: Vec<i64> = loans.into_iter().map(|(id,)| id).collect();
    let rows: Vec<Pick> = sqlx::query_as(ROWS.as_str())
        .bind(&ids)
        .fetch_all(conn)
        .await?;
    let mut found: Vec<PickLoan> = Vec::with_capacity(ids.len());
    for pick in rows {
        match found.last_mut() {
            Some(last) if last.loan_id == pick.loan_id => last.picks.push(pick),
            _ => found.push(PickLoan {
                loan_id: pick.loan_id,
                department: pick.department.clone(),
                starts_on: pick.starts_on,
                picks: vec![pick],
            }),
        }
    }
    Ok((found, total))
}

/// Everything there is to pick now for the loans `filter` picks, in the order of the pick
/// list, as it comes (the export).
pub fn pick_rows(conn: &mut PgConnection, filter: PickFilter) -> super::Rows<'_, Pick> {
    static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        format!(
            "{PICK_SELECT} where l.status in ('approved', 'partially_issued') and {PICK_FILTER}
               and {PICKABLE} {PICK_ORDER}"
        )
    });
    let mut args = sqlx::postgres::PgArguments::default();
    let added = sqlx::Arguments::add(&mut args, filter.department_id)
        .and_then(|()| sqlx::Arguments::add(&mut args, filter.starts_by));
    if let Err(e) = added {
        return failed(e);
    }
    super::rows(conn, SQL.as_str(), args)
}

/// An asset that came back through a gate on a loan and waits for the keeper's inspection.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Uninspected {
    pub loan_id: i64,
    pub department: String,
    pub asset_id: i64,
    pub name: String,
    pub epc: String,
    pub returned_at: chrono::DateTime<chrono::Utc>,
}

// Names are looked up per row (at most a page's), so no plan hashes every asset.
const UNINSPECTED_SELECT: &str = "select r.order_id as loan_id,
                (select d.name from loans l join departments d on d.id = l.department_id
                 where l.id = r.order_id) as department,
                r.asset_id, (select a.name from assets a where a.id = r.asset_id) as name,
                (select a.epc from assets a where a.id = r.asset_id) as epc, r.returned_at
         from reservations r";

/// What waits for inspection, of the loans [`super::loans::OutFilter`] picks: its department
/// as `$1`, its loan as `$2`.
const UNINSPECTED_FILTER: &str =
    "where r.order_kind = 'loan' and r.returned_at is not null and r.condition is null
       and ($2::bigint is null or r.order_id = $2)
       and ($1::bigint is null or exists (select 1 from loans l where l.id = r.order_id and l.department_id = $1))";

const UNINSPECTED_ORDER: &str = "r.returned_at, r.asset_id, r.order_id";

/// A page of what came back through the gates and waits for inspection, of one department's
/// loans or one loan (`filter`), longest back first (read through
/// `reservations_uninspected_idx`).
pub async fn uninspected(
    conn: &mut PgConnection,
    filter: super::loans::OutFilter,
    window: super::Window,
) -> Result<(Vec<Uninspected>, super::Total)> {
    super::page(
        conn,
        UNINSPECTED_SELECT,
        UNINSPECTED_FILTER,
        UNINSPECTED_ORDER,
        args![filter.department_id, filter.loan_id],
        window,
    )
    .await
}

/// Everything [`uninspected`] would list, in its order, as it comes (the export).
pub fn uninspected_rows(
    conn: &mut PgConnection,
    filter: super::loans::OutFilter,
) -> super::Rows<'_, Uninspected> {
    static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        format!("{UNINSPECTED_SELECT} {UNINSPECTED_FILTER} order by {UNINSPECTED_ORDER}")
    });
    let mut args = sqlx::postgres::PgArguments::default();
    let added = sqlx::Arguments::add(&mut args, filter.department_id)
        .and_then(|()| sqlx::Arguments::add(&mut args, filter.loan_id));
    if let Err(e) = added {
        return failed(e);
    }
    super::rows(conn, SQL.as_str(), args)
}

/// A count of assets under a label (a state, or a category and state).
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Count {
    pub label: String,
    pub count: i64,
}

/// Assets by state, from the tallies (`asset_tallies`): a sum over a few hundred rows
/// instead of a count over every asset.
pub async fn stock_by_state(conn: &mut PgConnection) -> Result<Vec<Count>> {
    Ok(sqlx::query_as(
        "select state::text as label, sum(assets)::bigint as count from asset_tallies
         group by state having sum(assets) <> 0 order by state",
    )
    .fetch_all(conn)
    .await?)
}

/// Per category: how many assets in each group of states, and the value held.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct CategoryStock {
    pub category: String,
    pub in_stock: i64,
    pub reserved: i64,
    pub on_loan: i64,
    pub listed: i64,
    pub other: i64,
    pub value_fen: FenSum,
    /// Days on loan per day held, over the assets' lives so far (0..1), as of the last
    /// refresh of the figures ([`refresh_figures`]).
    pub utilisation: f64,
}

/// Counts and value from the tallies, which are always current; utilisation from the
/// figures, which are refreshed in the background.
pub async fn stock_by_category(conn: &mut PgConnection) -> Result<Vec<CategoryStock>> {
    Ok(sqlx::query_as(
        "with t as (
             select category_id,
                    sum(assets) filter (where state = 'in_stock') as in_stock,
                    sum(assets) filter (where state = 'reserved') as reserved,
                    sum(assets) filter (where state = 'on_loan') as on_loan,
                    sum(assets) filter (where state = 'listed') as listed,
                    sum(assets) filter (where state not in ('in_stock', 'reserved', 'on_loan', 'listed')) as other,
                    sum(value_fen) filter (where state not in ('disposed', 'allocated')) as value_fen
             from asset_tallies group by category_id)
         select c.name as category,
                coalesce(t.in_stock, 0)::bigint as in_stock, coalesce(t.reserved, 0)::bigint as reserved,
                coalesce(t.on_loan, 0)::bigint as on_loan, coalesce(t.listed, 0)::bigint as listed,
                coalesce(t.other, 0)::bigint as other, coalesce(t.value_fen, 0)::text as value_fen,
                coalesce(f.utilisation, 0)::float8 as utilisation
         from categories c left join t on t.category_id = c.id
         left join category_figures f on f.category_id = c.id
         order by c.name",
    )
    .fetch_all(conn)
    .await?)
}

/// Fold the tallies' rows together, one per group (the sums stay the same, in one
/// statement, so no reader sees them change). Returns how many rows were folded.
pub async fn compact_tallies(conn: &mut PgConnection) -> Result<u64> {
    let done = sqlx::query(
        "with gone as (delete from asset_tallies returning *)
         insert into asset_tallies
         select category_id, state, virtual_depot, listed_by, sum(assets), sum(value_fen) from gone
         group by category_id, state, virtual_depot, listed_by
         having sum(assets) <> 0 or sum(value_fen) <> 0",
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// When the figures were last computed (none: never).
pub async fn figures_computed_at(
    conn: &mut PgConnection,
) -> Result<Option<chrono::DateTime<chrono::Utc>>> {
    Ok(
        sqlx::query_scalar("select max(computed_at) from category_figures")
            .fetch_one(conn)
            .await?,
    )
}

/// Compute the figures that take a pass over assets, events and loans: each category's
/// utilisation (days on loan per day held, for the assets held now: from their first
/// receipt, or registration, until now), days lent (every asset issued on a loan, from the
/// day it went out to the day it came back or today, both counted, under the category it was
/// booked as: what the savings price),
/// typical (median) value, and how many assets are idle (in stock or listed, not issued for
/// `idle_days` days or ever).
pub async fn refresh_figures(conn: &mut PgConnection, idle_days: i32) -> Result<()> {
    sqlx::query(
        "with received as (
             select asset_id, min(at) as at from events where action = 'receive' and asset_id is not null group by asset_id),
         held as (
             select a.id, a.category_id,
                    greatest(extract(epoch from now() - coalesce(r.at, a.created_at)) / 86400.0, 0) as days
             from assets a left join received r on r.asset_id = a.id
             where a.state not in ('registered', 'disposed', 'allocated')),
         lent as (
             select r.asset_id, sum(extract(epoch from coalesce(r.returned_at, now()) - r.issued_at) / 86400.0) as days
             from reservations r where r.order_kind = 'loan' and r.issued_at is not null group by r.asset_id),
         util as (
             select held.category_id, sum(lent.days) as lent, sum(held.days) as held
             from held left join lent on lent.asset_id = held.id group by held.category_id),
         lent_days as (
             select r.category_id, sum(greatest(depot_date(coalesce(r.returned_at, now())) - depot_date(r.issued_at) + 1, 1)) as days
             from reservations r where r.order_kind = 'loan' and r.issued_at is not null group by r.category_id),
         typical as (
             select category_id, percentile_disc(0.5) within group (order by original_value_fen) as fen
             from assets group by category_id),
         idle as (
             select category_id, count(*) as n from assets
             where state in ('in_stock', 'listed')
               and (last_issued_at is null or last_issued_at < now() - make_interval(days => $1))
             group by category_id)
         insert into category_figures (category_id, typical_value_fen, utilisation, lent_days, idle_assets, computed_at)
         select c.id, coalesce(t.fen, 0), coalesce(u.lent / nullif(u.held, 0), 0)::float8, coalesce(d.days, 0),
                coalesce(i.n, 0), now()
         from categories c left join util u on u.category_id = c.id
         left join lent_days d on d.category_id = c.id left join typical t on t.category_id = c.id
         left join idle i on i.category_id = c.id
         on conflict (category_id) do update set typical_value_fen = excluded.typical_value_fen,
             utilisation = excluded.utilisation, lent_days = excluded.lent_days,
             idle_assets = excluded.idle_assets, computed_at = excluded.computed_at",
    )
    .bind(idle_days)
    .execute(conn)
    .await?;
    Ok(())
}

/// An asset in stock that nobody has borrowed for `days` days (or ever).
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Idle {
    pub asset_id: i64,
    pub name: String,
    pub category: String,
    pub value_fen: i64,
    pub last_issued: Option<chrono::DateTime<chrono::Utc>>,
}

const IDLE: &str = "from assets a join categories c on c.id = a.category_id
     where a.state in ('in_stock', 'listed')
       and (a.last_issued_at is null or a.last_issued_at < now() - make_interval(days => $1))";
const IDLE_ORDER: &str = "order by a.last_issued_at nulls first, a.original_value_fen desc, a.id";

/// The longest idle (up to `limit`), read in the order of `assets_idle_idx`
/// (`assets.last_issued_at`, kept by a trigger on reservations), and how many were idle in
/// all when the figures were last computed (counting half a million idle assets on every
/// view would cost more than the rest of the dashboard together).
pub async fn idle(conn: &mut PgConnection, days: i32, limit: i64) -> Result<(Vec<Idle>, i64)> {
    let total: i64 =
        sqlx::query_scalar("select coalesce(sum(idle_assets), 0)::bigint from category_figures")
            .fetch_one(&mut *conn)
            .await?;
    let items = sqlx::query_as(&format!(
        "select a.id as asset_id, a.name, c.name as category, a.original_value_fen as value_fen,
                a.last_issued_at as last_issued {IDLE} {IDLE_ORDER} limit $2"
    ))
    .bind(days)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    Ok((items, total))
}

/// Every idle asset, longest idle first, as they come (for the export).
pub fn idle_rows(conn: &mut PgConnection, days: i32) -> super::Rows<'_, Idle> {
    let mut args = sqlx::postgres::PgArguments::default();
    if let Err(e) = sqlx::Arguments::add(&mut args, days) {
        return failed(e);
    }
    super::rows(conn, IDLE_ALL.as_str(), args)
}

/// A stream that fails at once (a parameter that could not be encoded).
pub(crate) fn failed<'c, T: Send + 'c>(
    e: Box<dyn std::error::Error + Send + Sync>,
) -> super::Rows<'c, T> {
    use futures_util::StreamExt;
    futures_util::stream::once(async move { Err(sqlx::Error::Encode(e).into()) }).boxed()
}

static IDLE_ALL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "select a.id as asset_id, a.name, c.name as category, a.original_value_fen as value_fen,
                a.last_issued_at as last_issued {IDLE} {IDLE_ORDER}"
    )
});

/// Money figures for the dashboard, in fen; summed as `numeric`, so they never overflow.
#[derive(Debug, Clone, Default, Serialize, sqlx::FromRow)]
pub struct Money {
    /// Sale proceeds of disposals remitted to the treasury.
    pub remitted_fen: FenSum,
    /// Sold but not yet remitted.
    pub awaiting_remittance_fen: FenSum,
    /// What lending saved: `lent_value_fen` less `rental_fen` (negative when the rentals
    /// cost more).
    pub saved_fen: FenSum,
    /// Every day an asset was out on a loan, priced at its category's market daily rental
    /// price (categories without one count nothing), as of the last refresh of the figures'
    /// days lent: what the borrowing departments would otherwise have paid to rent them.
    pub lent_value_fen: FenSum,
    /// What market rentals for loans' shortfalls cost (not those cancelled).
    pub rental_fen: FenSum,
    /// Open compensation cases.
    pub compensation_open_fen: FenSum,
    pub compensation_paid_fen: FenSum,
}

pub async fn money(conn: &mut PgConnection) -> Result<Money> {
    Ok(sqlx::query_as(
        "with lent as (
             select coalesce(sum(f.lent_days::numeric * c.daily_rent_fen), 0) as fen
             from category_figures f join categories c on c.id = f.category_id),
         rented as (select coalesce(sum(total_fen), 0) as fen from rentals where status <> 'cancelled')
         select
            coalesce((select sum(sale_price_fen) from disposals where status = 'remitted'), 0)::text as remitted_fen,
            coalesce((select sum(sale_price_fen) from disposals where status = 'sold'), 0)::text as awaiting_remittance_fen,
            (lent.fen - rented.fen)::text as saved_fen,
            lent.fen::text as lent_value_fen,
            rented.fen::text as rental_fen,
            coalesce((select sum(amount_fen) from compensations where status = 'open'), 0)::text as compensation_open_fen,
            coalesce((select sum(amount_fen) from compensations where status in ('paid', 'repaired')), 0)::text as compensation_paid_fen
         from lent, rented",
    )
    .fetch_one(conn)
    .await?)
}

/// One category's part of the savings: its days lent (as of the last refresh of the
/// figures), its market daily rental price, and their product.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct SavingsLine {
    pub category_id: i64,
    pub category: String,
    pub lent_days: i64,
    /// `None`: no price, so the category counts nothing.
    pub daily_rent_fen: Option<i64>,
    pub value_fen: FenSum,
}

/// Every category's part of the savings, by name.
pub async fn savings_by_category(conn: &mut PgConnection) -> Result<Vec<SavingsLine>> {
    Ok(sqlx::query_as(
        "select c.id as category_id, c.name as category, coalesce(f.lent_days, 0) as lent_days,
                c.daily_rent_fen, coalesce(f.lent_days::numeric * c.daily_rent_fen, 0)::text as value_fen
         from categories c left join category_figures f on f.category_id = c.id
         order by c.name, c.id",
    )
    .fetch_all(conn)
    .await?)
}

/// The figures the seeds publish, for one department (or the depot itself) and one period of
/// days: what was lent, transferred, handed in, disposed of and remitted, what market rentals
/// cost, and what lending saved. Each thing counts in the period it happened in: an asset lent
/// or transferred when it was handed over (a loan or transfer handed over on days in two
/// periods is a batch in both, each asset once), an asset handed in when it was received, a
/// disposed asset when it was sold or scrapped, proceeds when remitted, a market rental on
/// its first day (cancelled ones not at all). The days lent are those of the assets lent in
/// the period, to the day they came back (or today).
#[derive(Debug, Clone, Default, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct FigureRow {
    /// `None`: the depot's own (disposals, proceeds, and intakes from no department).
    pub department_id: Option<i64>,
    pub department_code: Option<String>,
    pub department: Option<String>,
    /// Loan batches: loans with an asset handed over in the period.
    pub loans: i64,
    pub items_lent: i64,
    /// The days those assets were out, both ends counted (one still out: to today).
    pub days_lent: i64,
    /// Transfers (调配) with an asset handed over for good in the period.
    pub transfers: i64,
    pub items_transferred: i64,
    /// Hand-ins (上缴): intakes from the department with an asset received in the period.
    pub hand_ins: i64,
    pub items_handed_in: i64,
    /// Disposals with an asset sold or scrapped in the period.
    pub disposals: i64,
    pub items_disposed: i64,
    /// Sale proceeds remitted to the treasury in the period, in fen.
    pub proceeds_remitted_fen: FenSum,
    /// Market rentals whose first day is in the period, not cancelled, and their cost in fen.
    pub rentals: i64,
    pub rental_fen: FenSum,
    /// The days lent priced at their categories' market daily rental (no price: nothing).
    pub lent_value_fen: FenSum,
    /// What lending saved: `lent_value_fen` less `rental_fen`.
    pub saved_fen: FenSum,
}

/// The figures of every department with anything in the period from `from` to `to` (both
/// included; days in the database's time zone), the depot's own last; of one department
/// only if `department` says so. Set-based: each part reads a range of its own index
/// (`reservations_issued_idx`, `events_figures_idx`, `disposals_remitted_idx`,
/// `rentals_starts_idx`) and is grouped once; the days lent are priced by the category each
/// reservation booked its asset as (`reservations.category_id`), so no asset is read.
pub async fn figures(
    conn: &mut PgConnection,
    from: NaiveDate,
    to: NaiveDate,
    department: Option<i64>,
) -> Result<Vec<FigureRow>> {
    Ok(sqlx::query_as(FIGURES)
        .bind(from)
        .bind(to)
        .bind(department)
        .fetch_all(conn)
        .await?)
}

const FIGURES: &str = "
with out as (
    select r.order_kind, r.order_id, r.category_id,
           greatest(depot_date(coalesce(r.returned_at, now())) - depot_date(r.issued_at) + 1, 1) as days
    from reservations r
    where r.order_kind in ('loan', 'transfer') and r.issued_at is not null
      and r.issued_at >= depot_day_start($1::date) and r.issued_at < depot_day_start($2::date + 1)),
lent as (
    select l.department_id, count(distinct o.order_id) as loans, count(*) as items, sum(o.days) as days,
           sum(o.days::numeric * c.daily_rent_fen) as value
    from out o join loans l on l.id = o.order_id left join categories c on c.id = o.category_id
    where o.order_kind = 'loan' group by l.department_id),
transferred as (
    select t.department_id, count(distinct o.order_id) as transfers, count(*) as items
    from out o join transfers t on t.id = o.order_id
    where o.order_kind = 'transfer' group by t.department_id),
handed_in as (
    select i.source_department_id as department_id, count(distinct e.order_id) as hand_ins, count(*) as items
    from events e join intakes i on i.id = e.order_id
    where e.order_kind = 'intake' and e.action = 'receive' and e.asset_id is not null
      and e.at >= depot_day_start($1::date) and e.at < depot_day_start($2::date + 1)
    group by i.source_department_id),
disposed as (
    select null::bigint as department_id, count(distinct e.order_id) as disposals, count(*) as items
    from events e
    where e.order_kind = 'disposal' and e.action = 'dispose' and e.asset_id is not null
      and e.at >= depot_day_start($1::date) and e.at < depot_day_start($2::date + 1)
    having count(*) > 0),
remitted as (
    select null::bigint as department_id, sum(d.sale_price_fen) as fen
    from disposals d
    where d.remitted_at >= depot_day_start($1::date) and d.remitted_at < depot_day_start($2::date + 1)
    having count(*) > 0),
rented as (
    select r.department_id, count(*) as rentals, sum(r.total_fen) as fen
    from rentals r
    where r.status <> 'cancelled' and r.starts_on >= $1::date and r.starts_on <= $2::date
    group by r.department_id),
every as (
    select department_id, loans, items as items_lent, days as days_lent, coalesce(value, 0) as lent_value,
           0 as transfers, 0 as items_transferred, 0 as hand_ins, 0 as items_handed_in,
           0 as disposals, 0 as items_disposed, 0 as remitted, 0 as rentals, 0 as rental
    from lent
    union all select department_id, 0, 0, 0, 0, transfers, items, 0, 0, 0, 0, 0, 0, 0 from transferred
    union all select department_id, 0, 0, 0, 0, 0, 0, hand_ins, items, 0, 0, 0, 0, 0 from handed_in
    union all select department_id, 0, 0, 0, 0, 0, 0, 0, 0, disposals, items, 0, 0, 0 from disposed
    union all select department_id, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, fen, 0, 0 from remitted
    union all select department_id, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, rentals, fen from rented)
select e.department_id, d.code as department_code, d.name as department,
       sum(e.loans)::bigint as loans, sum(e.items_lent)::bigint as items_lent, sum(e.days_lent)::bigint as days_lent,
       sum(e.transfers)::bigint as transfers, sum(e.items_transferred)::bigint as items_transferred,
       sum(e.hand_ins)::bigint as hand_ins, sum(e.items_handed_in)::bigint as items_handed_in,
       sum(e.disposals)::bigint as disposals, sum(e.items_disposed)::bigint as items_disposed,
       sum(e.remitted)::text as proceeds_remitted_fen,
       sum(e.rentals)::bigint as rentals, sum(e.rental)::text as rental_fen,
       sum(e.lent_value)::text as lent_value_fen, (sum(e.lent_value) - sum(e.rental))::text as saved_fen
from every e left join departments d on d.id = e.department_id
where $3::bigint is null or e.department_id = $3
group by e.department_id, d.code, d.name
order by e.department_id is null, d.name, e.department_id";

/// One category's depreciation in a month: the assets on the books at its end (acquired by
/// then, not disposed of by then), the month's charge, the accumulated depreciation and the
/// net value at its end.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct DepreciationRow {
    pub category_id: i64,
    pub category_code: String,
    pub category: String,
    /// Assets depreciated: with an acquisition date and a useful life (their own or the
    /// category's).
    pub assets: i64,
    /// Assets on the books that cannot be depreciated: no acquisition date or no useful life.
    pub undepreciated: i64,
    pub original_fen: FenSum,
    /// Charged in the month.
    pub charge_fen: FenSum,
    /// At the month's end.
    pub accumulated_fen: FenSum,
    pub net_fen: FenSum,
}

/// Straight-line depreciation (no residual value) of the month whose index is `month`
/// (year · 12 + month − 1) and whose next month starts at `next_month`, by category; one
/// department's assets (owned or held) only with `department`. Each asset follows
/// [`crate::domain::depreciation::straight_line`]: after `n` months of its life (counted
/// from its month of acquisition, at most the life) it has lost ⌊value · n / life⌋; the
/// month's charge is that less the same a month earlier, so an asset acquired this month
/// is charged nothing before next month.
pub async fn depreciation(
    conn: &mut PgConnection,
    month: i32,
    next_month: NaiveDate,
    department: Option<i64>,
) -> Result<Vec<DepreciationRow>> {
    Ok(sqlx::query_as(
        "with b as (
            select a.category_id, a.original_value_fen as v,
                   case when a.acquired_on is not null
                        then coalesce(a.useful_life_months, c.useful_life_months) end as life,
                   $1::int - (extract(year from a.acquired_on)::int * 12
                              + extract(month from a.acquired_on)::int - 1) as n
            from assets a join categories c on c.id = a.category_id
            where (a.acquired_on is null or a.acquired_on < $2)
              and ($3::bigint is null or a.owner_department_id = $3 or a.holder_department_id = $3)
              and (a.state <> 'disposed' or not exists (
                    select 1 from events e
                    where e.asset_id = a.id and e.to_state = 'disposed' and e.at < $2::timestamptz))
         ), d as (
            select category_id, life, v,
                   v * least(life, greatest(n, 0)) / life as acc,
                   v * least(life, greatest(n - 1, 0)) / life as acc_before
            from b
         )
         select c.id as category_id, c.code as category_code, c.name as category,
                count(d.life) as assets,
                count(*) - count(d.life) as undepreciated,
                coalesce(sum(d.v) filter (where d.life is not null), 0)::text as original_fen,
                coalesce(sum(d.acc - d.acc_before), 0)::text as charge_fen,
                coalesce(sum(d.acc), 0)::text as accumulated_fen,
                coalesce(sum(d.v - d.acc), 0)::text as net_fen
         from d join categories c on c.id = d.category_id
         group by c.id, c.code, c.name
         order by c.code",
    )
    .bind(month)
    .bind(next_month)
    .bind(department)
    .fetch_all(conn)
    .await?)
}
