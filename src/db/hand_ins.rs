//! Hand-ins (上缴): assets their departments offer back to the depot, waiting for the keeper
//! to take them in. An offer is a row; taking the asset in or withdrawing the offer deletes
//! it (the event log keeps both).

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgConnection;
use utoipa::ToSchema;

use super::{Error, Result};

/// An asset offered back to the depot.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct HandIn {
    pub asset_id: i64,
    pub name: String,
    pub epc: String,
    pub category: String,
    pub department_id: i64,
    pub department: String,
    pub offered_by: i64,
    pub offered_at: DateTime<Utc>,
    pub reason: String,
}

/// Offer `asset_id` for its department; refused if it is already offered.
pub async fn offer(
    conn: &mut PgConnection,
    asset_id: i64,
    department_id: i64,
    by: i64,
    reason: &str,
) -> Result<()> {
    let done = sqlx::query(
        "insert into hand_ins (asset_id, department_id, offered_by, reason) values ($1, $2, $3, $4)
         on conflict (asset_id) do nothing",
    )
    .bind(asset_id)
    .bind(department_id)
    .bind(by)
    .bind(reason)
    .execute(conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(Error::Conflict(format!(
            "asset {asset_id} is already offered to the depot"
        )));
    }
    Ok(())
}

/// Close the offer of `asset_id` (withdrawn, or taken in); whether there was one.
pub async fn close(conn: &mut PgConnection, asset_id: i64) -> Result<bool> {
    let done = sqlx::query("delete from hand_ins where asset_id = $1")
        .bind(asset_id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// The open offer of `asset_id`, if any.
pub async fn get(conn: &mut PgConnection, asset_id: i64) -> Result<Option<HandIn>> {
    Ok(sqlx::query_as(
        "select h.asset_id, a.name, a.epc, c.name as category, h.department_id, d.name as department,
                h.offered_by, h.offered_at, h.reason
         from hand_ins h
         join assets a on a.id = h.asset_id
         join categories c on c.id = a.category_id
         join departments d on d.id = h.department_id
         where h.asset_id = $1",
    )
    .bind(asset_id)
    .fetch_optional(conn)
    .await?)
}

/// Of `assets`, those with an open offer (`department`: of that department's offers).
pub async fn offered_among(
    conn: &mut PgConnection,
    department: Option<i64>,
    assets: &[i64],
) -> Result<std::collections::HashSet<i64>> {
    let offered: Vec<i64> = sqlx::query_scalar(
        "select asset_id from hand_ins
         where asset_id = any($1) and ($2::bigint is null or department_id = $2)",
    )
    .bind(assets)
    .bind(department)
    .fetch_all(conn)
    .await?;
    Ok(offered.into_iter().collect())
}

/// A page of the open offers, oldest first; `department`: only that department's.
pub async fn list_page(
    conn: &mut PgConnection,
    department: Option<i64>,
    window: super::Window,
) -> Result<(Vec<HandIn>, super::Total)> {
    super::page(
        conn,
        "select h.asset_id, a.name, a.epc, c.name as category, h.department_id, d.name as department,
                h.offered_by, h.offered_at, h.reason
         from hand_ins h
         join assets a on a.id = h.asset_id
         join categories c on c.id = a.category_id
         join departments d on d.id = h.department_id",
        "where $1::bigint is null or h.department_id = $1",
        "h.offered_at, h.asset_id",
        args![department],
        window,
    )
    .await
}
