//! Reads for the pages: the keeper's pick list, and the dashboard's aggregates (stock by
//! state and category, utilisation, idle assets, proceeds remitted, money saved by lending).

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

/// What still waits to be issued on approved or partially issued loans, by start date and
/// then by place, so a keeper walks each aisle once.
pub async fn picks(conn: &mut PgConnection) -> Result<Vec<Pick>> {
    Ok(sqlx::query_as(
        "select l.id as loan_id, d.name as department, l.starts_on, a.id as asset_id, a.name, a.epc,
                coalesce(w.name || ' · ' || z.name, '') as place
         from loans l join departments d on d.id = l.department_id
         join reservations r on r.order_kind = 'loan' and r.order_id = l.id and r.issued_at is null and r.released_at is null
         join assets a on a.id = r.asset_id
         left join zones z on z.id = a.zone_id left join warehouses w on w.id = z.warehouse_id
         where l.status in ('approved', 'partially_issued')
         order by l.starts_on, l.id, w.code nulls last, z.code nulls last, a.id",
    )
    .fetch_all(conn)
    .await?)
}

/// A count of assets under a label (a state, or a category and state).
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Count {
    pub label: String,
    pub count: i64,
}

pub async fn stock_by_state(conn: &mut PgConnection) -> Result<Vec<Count>> {
    Ok(sqlx::query_as(
        "select state::text as label, count(*) as count from assets group by state order by state",
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
    /// Days on loan per day held, over the assets' lives so far (0..1).
    pub utilisation: f64,
}

pub async fn stock_by_category(conn: &mut PgConnection) -> Result<Vec<CategoryStock>> {
    Ok(sqlx::query_as(
        "with held as (
             select a.id, a.category_id,
                    greatest(extract(epoch from now() - coalesce(
                        (select min(e.at) from events e where e.asset_id = a.id and e.action = 'receive'), a.created_at)) / 86400.0, 0) as days
             from assets a where a.state not in ('registered', 'disposed', 'allocated')),
         lent as (
             select r.asset_id, sum(extract(epoch from coalesce(r.returned_at, now()) - r.issued_at) / 86400.0) as days
             from reservations r where r.order_kind = 'loan' and r.issued_at is not null group by r.asset_id)
         select c.name as category,
                count(a.id) filter (where a.state = 'in_stock') as in_stock,
                count(a.id) filter (where a.state = 'reserved') as reserved,
                count(a.id) filter (where a.state = 'on_loan') as on_loan,
                count(a.id) filter (where a.state = 'listed') as listed,
                count(a.id) filter (where a.state not in ('in_stock', 'reserved', 'on_loan', 'listed')) as other,
                coalesce(sum(a.original_value_fen) filter (where a.state not in ('disposed', 'allocated')), 0)::text as value_fen,
                coalesce((select sum(lent.days) from lent join held on held.id = lent.asset_id where held.category_id = c.id)
                         / nullif((select sum(held.days) from held where held.category_id = c.id), 0), 0)::float8 as utilisation
         from categories c left join assets a on a.category_id = c.id
         group by c.id order by c.name",
    )
    .fetch_all(conn)
    .await?)
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

pub async fn idle(conn: &mut PgConnection, days: i32, limit: i64) -> Result<(Vec<Idle>, i64)> {
    const FROM: &str = "from assets a join categories c on c.id = a.category_id
         left join lateral (select max(r.issued_at) as last_issued from reservations r where r.asset_id = a.id) r on true
         where a.state in ('in_stock', 'listed') and (r.last_issued is null or r.last_issued < now() - make_interval(days => $1))";
    let total: i64 = sqlx::query_scalar(&format!("select count(*) {FROM}"))
        .bind(days)
        .fetch_one(&mut *conn)
        .await?;
    let items = sqlx::query_as(&format!(
        "select a.id as asset_id, a.name, c.name as category, a.original_value_fen as value_fen, r.last_issued {FROM}
         order by r.last_issued nulls first, a.original_value_fen desc, a.id limit $2"
    ))
    .bind(days)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    Ok((items, total))
}

/// Money figures for the dashboard, in fen; summed as `numeric`, so they never overflow.
#[derive(Debug, Clone, Default, Serialize, sqlx::FromRow)]
pub struct Money {
    /// Sale proceeds of disposals remitted to the treasury.
    pub remitted_fen: FenSum,
    /// Sold but not yet remitted.
    pub awaiting_remittance_fen: FenSum,
    /// Original value of every asset issued on a loan, counted once per loan: what the
    /// borrowing departments would otherwise have bought.
    pub saved_fen: FenSum,
    /// Open compensation cases.
    pub compensation_open_fen: FenSum,
    pub compensation_paid_fen: FenSum,
}

pub async fn money(conn: &mut PgConnection) -> Result<Money> {
    Ok(sqlx::query_as(
        "select
            coalesce((select sum(sale_price_fen) from disposals where status = 'remitted'), 0)::text as remitted_fen,
            coalesce((select sum(sale_price_fen) from disposals where status = 'sold'), 0)::text as awaiting_remittance_fen,
            coalesce((select sum(a.original_value_fen) from reservations r join assets a on a.id = r.asset_id
                      where r.order_kind = 'loan' and r.issued_at is not null), 0)::text as saved_fen,
            coalesce((select sum(amount_fen) from compensations where status = 'open'), 0)::text as compensation_open_fen,
            coalesce((select sum(amount_fen) from compensations where status in ('paid', 'repaired')), 0)::text as compensation_paid_fen",
    )
    .fetch_one(conn)
    .await?)
}
