//! Alerts raised by readers: an asset leaving with no order, a tag nobody registered.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use utoipa::ToSchema;

use super::{Error, OptionalExt, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, sqlx::Type, ToSchema)]
#[sqlx(type_name = "alert_kind", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// An asset passed a gate outward with no approved order for it.
    ExitWithoutOrder,
    /// A tag passed a gate that is on no asset of the register.
    UnknownTag,
    /// An asset came in that was not out on an order (kept for completeness).
    EntryWithoutOrder,
    /// The gate could not tell surely whether the asset passed: a keeper confirms or
    /// dismisses the passage; nothing acts on it before that.
    UncertainPassage,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct Alert {
    pub id: i64,
    pub kind: AlertKind,
    pub fact_key: String,
    pub epc: String,
    pub asset_id: Option<i64>,
    pub gate_id: Option<i64>,
    pub at: DateTime<Utc>,
    pub message: String,
    pub acknowledged_by: Option<i64>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub note: String,
    pub created_at: DateTime<Utc>,
}

/// Raise an alert once per fact: a replayed fact finds its alert already there (returns `None`).
#[allow(clippy::too_many_arguments)]
pub async fn raise(
    conn: &mut PgConnection,
    kind: AlertKind,
    fact_key: &str,
    epc: &str,
    asset_id: Option<i64>,
    gate_id: Option<i64>,
    at: DateTime<Utc>,
    message: &str,
) -> Result<Option<Alert>> {
    Ok(sqlx::query_as(
        "insert into alerts (kind, fact_key, epc, asset_id, gate_id, at, message) values ($1, $2, $3, $4, $5, $6, $7)
         on conflict (fact_key, kind) do nothing returning *",
    )
    .bind(kind)
    .bind(fact_key)
    .bind(epc)
    .bind(asset_id)
    .bind(gate_id)
    .bind(at)
    .bind(message)
    .fetch_optional(conn)
    .await?)
}

pub async fn list(conn: &mut PgConnection, open_only: bool, limit: i64) -> Result<Vec<Alert>> {
    Ok(sqlx::query_as(
        "select * from alerts where not $1 or acknowledged_at is null order by id desc limit $2",
    )
    .bind(open_only)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// A keeper has looked into it.
pub async fn acknowledge(
    conn: &mut PgConnection,
    id: i64,
    actor: i64,
    note: &str,
) -> Result<Alert> {
    let alert: Alert = sqlx::query_as("select * from alerts where id = $1 for update")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .or_not_found(|| format!("alert {id}"))?;
    if alert.acknowledged_at.is_some() {
        return Err(Error::Conflict(format!(
            "alert {id} was already acknowledged"
        )));
    }
    Ok(sqlx::query_as("update alerts set acknowledged_by = $2, acknowledged_at = now(), note = $3 where id = $1 returning *")
        .bind(id)
        .bind(actor)
        .bind(note)
        .fetch_one(conn)
        .await?)
}
