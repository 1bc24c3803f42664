//! Alerts raised by readers: an asset leaving with no order, a tag nobody registered, a
//! passage the gate could not judge surely (confirmed or dismissed by a keeper).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use utoipa::ToSchema;

use super::events::OrderKind;
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
    /// A booked asset may not be back for its loan: out past its last day on an earlier
    /// loan, or in repair, lost, gone. The admin swaps it for another of the category.
    BookingCollision,
}

#[derive(Debug, Clone, Serialize, Deserialize, sqlx::FromRow, ToSchema)]
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
    /// A passage's direction as the gate judged it: `in` or `out`.
    pub direction: Option<String>,
    /// How sure the gate was of the passage (0..=1).
    pub confidence: Option<f32>,
    /// An uncertain passage: the order confirming it would act on, as the alert was raised.
    pub order_kind: Option<OrderKind>,
    pub order_id: Option<i64>,
    /// An uncertain passage a keeper decided: `confirmed` or `dismissed`.
    pub decision: Option<String>,
}

/// What an alert says about a gate passage, beside its message.
#[derive(Debug, Clone, Copy, Default)]
pub struct PassageDetails<'a> {
    pub direction: Option<&'a str>,
    pub confidence: Option<f32>,
    /// The order confirming an uncertain passage would act on.
    pub order: Option<(OrderKind, i64)>,
}

/// How a keeper decided an uncertain passage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Confirmed,
    Dismissed,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Confirmed => "confirmed",
            Decision::Dismissed => "dismissed",
        }
    }
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
    passage: PassageDetails<'_>,
) -> Result<Option<Alert>> {
    Ok(sqlx::query_as(
        "insert into alerts (kind, fact_key, epc, asset_id, gate_id, at, message, direction, confidence, order_kind, order_id)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         on conflict (fact_key, kind) do nothing returning *",
    )
    .bind(kind)
    .bind(fact_key)
    .bind(epc)
    .bind(asset_id)
    .bind(gate_id)
    .bind(at)
    .bind(message)
    .bind(passage.direction)
    .bind(passage.confidence)
    .bind(passage.order.map(|(k, _)| k))
    .bind(passage.order.map(|(_, id)| id))
    .fetch_optional(conn)
    .await?)
}

/// Alerts (all, or the open ones), newest first: one page of them, and how many in all.
pub async fn list(
    conn: &mut PgConnection,
    open_only: bool,
    window: super::Window,
) -> Result<(Vec<Alert>, super::Total)> {
    super::page(
        conn,
        "select * from alerts",
        "where not $1 or acknowledged_at is null",
        "id desc",
        args![open_only],
        window,
    )
    .await
}

/// The open alerts at one gate (or at all), newest first: the uncertain passages waiting for
/// a keeper's word when `asked`, else the others. One page of them, and how many in all.
/// The gate is filtered here, so a page holds a full page of the gate's own.
pub async fn open_at(
    conn: &mut PgConnection,
    gate: Option<i64>,
    asked: bool,
    window: super::Window,
) -> Result<(Vec<Alert>, super::Total)> {
    super::page(
        conn,
        "select * from alerts",
        "where acknowledged_at is null and ($1::bigint is null or gate_id = $1)
           and (kind = 'uncertain_passage') = $2",
        "id desc",
        args![gate, asked],
        window,
    )
    .await
}

/// Lock an alert for a decision about it.
pub async fn lock(conn: &mut PgConnection, id: i64) -> Result<Alert> {
    sqlx::query_as("select * from alerts where id = $1 for update")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .or_not_found(|| format!("alert {id}"))
}

/// A keeper has looked into it. An uncertain passage is confirmed or dismissed instead
/// ([`decide`]): acknowledging it would close it with no decision in the log.
pub async fn acknowledge(
    conn: &mut PgConnection,
    id: i64,
    actor: i64,
    note: &str,
) -> Result<Alert> {
    let alert = lock(conn, id).await?;
    if alert.acknowledged_at.is_some() {
        return Err(Error::Conflict(format!(
            "alert {id} was already acknowledged"
        )));
    }
    if alert.kind == AlertKind::UncertainPassage {
        return Err(Error::Conflict(format!(
            "alert {id} is an uncertain passage: confirm or dismiss it"
        )));
    }
    close(conn, id, actor, note, None).await
}

/// Close a locked, open alert, with the decision taken on an uncertain passage.
pub async fn close(
    conn: &mut PgConnection,
    id: i64,
    actor: i64,
    note: &str,
    decision: Option<Decision>,
) -> Result<Alert> {
    sqlx::query_as(
        "update alerts set acknowledged_by = $2, acknowledged_at = now(), note = $3, decision = $4
         where id = $1 and acknowledged_at is null returning *",
    )
    .bind(id)
    .bind(actor)
    .bind(note)
    .bind(decision.map(Decision::as_str))
    .fetch_optional(conn)
    .await?
    .ok_or_else(|| Error::Conflict(format!("alert {id} was already closed")))
}
