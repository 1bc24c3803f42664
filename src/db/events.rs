//! The append-only event log and the one function that changes an asset's state.
//!
//! [`transition`] locks the asset, checks the action against the lifecycle table, updates the
//! state and appends the event, all on the caller's transaction: the state and the log can
//! never disagree.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgConnection;
use utoipa::ToSchema;

use super::error::{illegal, OptionalExt, Result};
use crate::domain::lifecycle::{AssetAction, AssetState};

/// Which paperwork an event belongs to. Mirrors the `order_kind` enum.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, sqlx::Type, ToSchema,
)]
#[sqlx(type_name = "order_kind", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum OrderKind {
    Intake,
    Loan,
    Transfer,
    Disposal,
    Compensation,
    /// A market rental for a loan's shortfall.
    Rental,
}

impl OrderKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OrderKind::Intake => "intake",
            OrderKind::Loan => "loan",
            OrderKind::Transfer => "transfer",
            OrderKind::Disposal => "disposal",
            OrderKind::Compensation => "compensation",
            OrderKind::Rental => "rental",
        }
    }
}

/// Who did it, why, and for which order.
#[derive(Debug, Clone, Default)]
pub struct Context {
    pub actor: Option<i64>,
    pub reason: String,
    pub order: Option<(OrderKind, i64)>,
    pub details: serde_json::Value,
    /// The engine fact behind a change made by a reader (a gate passage), if any.
    pub fact_key: Option<String>,
}

impl Context {
    pub fn by(actor: i64) -> Self {
        Context {
            actor: Some(actor),
            details: serde_json::json!({}),
            ..Default::default()
        }
    }

    pub fn order(mut self, kind: OrderKind, id: i64) -> Self {
        self.order = Some((kind, id));
        self
    }

    pub fn reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = reason.into();
        self
    }
}

/// One row of the log, as the API shows it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct Event {
    pub id: i64,
    pub at: DateTime<Utc>,
    /// The reader fact (gate passage) behind the change, when a reader made it.
    pub fact_key: Option<String>,
    pub actor_id: Option<i64>,
    /// Who acted: their login.
    pub actor: Option<String>,
    /// And their name, as pages show it.
    pub actor_name: Option<String>,
    pub asset_id: Option<i64>,
    pub order_kind: Option<OrderKind>,
    pub order_id: Option<i64>,
    pub action: String,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    pub reason: String,
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
    /// Whose business the event is: the department of its order (a loan's, a transfer's, a
    /// compensation case's, an intake's source), or, for an event with no order, the
    /// department of the person who acted. `None`: the depot's own (a disposal, a keeper's
    /// note). What `app::visibility` decides a requester may read.
    #[serde(skip)]
    pub department_id: Option<i64>,
}

impl Event {
    /// The same event as a plain stock movement: when, what, and the states; no order, no
    /// person, no note.
    pub fn plain(self) -> Event {
        Event {
            fact_key: None,
            actor_id: None,
            actor: None,
            actor_name: None,
            order_kind: None,
            order_id: None,
            reason: String::new(),
            details: serde_json::json!({}),
            ..self
        }
    }
}

const EVENT_COLUMNS: &str = "e.id, e.at, e.fact_key, e.actor_id, u.username as actor, u.display_name as actor_name, e.asset_id, e.order_kind, e.order_id, \
     e.action, e.from_state, e.to_state, e.reason, e.details, \
     case when e.order_kind is null then u.department_id \
          when e.order_kind = 'loan' then (select department_id from loans where id = e.order_id) \
          when e.order_kind = 'transfer' then (select department_id from transfers where id = e.order_id) \
          when e.order_kind = 'compensation' then (select department_id from compensations where id = e.order_id) \
          when e.order_kind = 'intake' then (select source_department_id from intakes where id = e.order_id) \
          when e.order_kind = 'rental' then (select department_id from rentals where id = e.order_id) \
     end as department_id";

/// Apply `action` to one asset: lock it, check the table, update, log. Returns the new state.
pub async fn transition(
    conn: &mut PgConnection,
    asset_id: i64,
    action: AssetAction,
    ctx: &Context,
) -> Result<AssetState> {
    // `no key update`, not `update`: the gate's facts and sightings refer to assets by a
    // foreign key, which takes a key-share lock; a plain `for update` would wait for (or
    // deadlock with) a fact batch naming the asset, though neither changes the other.
    let (epc, from, virtual_depot): (String, AssetState, bool) = sqlx::query_as(
        "select epc, state, virtual_depot from assets where id = $1 for no key update",
    )
    .bind(asset_id)
    .fetch_optional(&mut *conn)
    .await?
    .or_not_found(|| format!("asset {asset_id}"))?;
    let to = action
        .apply(from, virtual_depot)
        .map_err(|e| illegal(asset_id, &epc, e))?;
    sqlx::query("update assets set state = $2, updated_at = now() where id = $1")
        .bind(asset_id)
        .bind(to)
        .execute(&mut *conn)
        .await?;
    append(
        conn,
        Some(asset_id),
        action.as_str(),
        Some(from.as_str()),
        Some(to.as_str()),
        ctx,
    )
    .await?;
    if matches!(to, AssetState::InStock | AssetState::Listed) {
        return hold_for_next_booking(conn, asset_id, to, ctx).await;
    }
    Ok(to)
}

/// An asset back home (returned, repaired, found) that a later loan has booked is held for
/// it at once: idle in custody with a booking waiting is `reserved`, on that loan's account.
async fn hold_for_next_booking(
    conn: &mut PgConnection,
    asset_id: i64,
    home: AssetState,
    ctx: &Context,
) -> Result<AssetState> {
    let next: Option<(OrderKind, i64)> = sqlx::query_as(
        "select order_kind, order_id from reservations
         where asset_id = $1 and issued_at is null and released_at is null
         order by lower(period) nulls first, id limit 1",
    )
    .bind(asset_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((kind, order_id)) = next else {
        return Ok(home);
    };
    let to = AssetState::Reserved;
    sqlx::query("update assets set state = $2, updated_at = now() where id = $1")
        .bind(asset_id)
        .bind(to)
        .execute(&mut *conn)
        .await?;
    let mut held = ctx.clone().order(kind, order_id);
    held.reason = format!("booked for {} {order_id}", kind.as_str());
    append(
        conn,
        Some(asset_id),
        AssetAction::Reserve.as_str(),
        Some(home.as_str()),
        Some(to.as_str()),
        &held,
    )
    .await?;
    Ok(to)
}

/// Record that an asset came into being (no prior state).
pub async fn record_registration(
    conn: &mut PgConnection,
    asset_id: i64,
    ctx: &Context,
) -> Result<()> {
    append(
        conn,
        Some(asset_id),
        "register",
        None,
        Some(AssetState::Registered.as_str()),
        ctx,
    )
    .await
}

/// Record a change of an order's status.
pub async fn record_order(
    conn: &mut PgConnection,
    kind: OrderKind,
    order_id: i64,
    action: &str,
    from: Option<&str>,
    to: &str,
    ctx: &Context,
) -> Result<()> {
    let ctx = Context {
        order: Some((kind, order_id)),
        ..ctx.clone()
    };
    append(conn, None, action, from, Some(to), &ctx).await
}

/// Record something that happened to an asset without changing its state (a relocation).
pub async fn record_asset_note(
    conn: &mut PgConnection,
    asset_id: i64,
    action: &str,
    ctx: &Context,
) -> Result<()> {
    append(conn, Some(asset_id), action, None, None, ctx).await
}

async fn append(
    conn: &mut PgConnection,
    asset_id: Option<i64>,
    action: &str,
    from: Option<&str>,
    to: Option<&str>,
    ctx: &Context,
) -> Result<()> {
    let details = if ctx.details.is_null() {
        serde_json::json!({})
    } else {
        ctx.details.clone()
    };
    sqlx::query(
        "insert into events (actor_id, asset_id, order_kind, order_id, action, from_state, to_state, reason, details, fact_key)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(ctx.actor)
    .bind(asset_id)
    .bind(ctx.order.map(|(k, _)| k))
    .bind(ctx.order.map(|(_, id)| id))
    .bind(action)
    .bind(from)
    .bind(to)
    .bind(&ctx.reason)
    .bind(details)
    .bind(&ctx.fact_key)
    .execute(conn)
    .await?;
    Ok(())
}

/// The events of `ids`, oldest first (those that exist).
pub async fn by_ids(conn: &mut PgConnection, ids: &[i64]) -> Result<Vec<Event>> {
    Ok(sqlx::query_as(&format!(
        "select {EVENT_COLUMNS} from events e left join users u on u.id = e.actor_id where e.id = any($1) order by e.id"
    ))
    .bind(ids)
    .fetch_all(conn)
    .await?)
}

/// An asset's timeline, oldest first.
pub async fn for_asset(conn: &mut PgConnection, asset_id: i64) -> Result<Vec<Event>> {
    Ok(sqlx::query_as(&format!(
        "select {EVENT_COLUMNS} from events e left join users u on u.id = e.actor_id where e.asset_id = $1 order by e.id"
    ))
    .bind(asset_id)
    .fetch_all(conn)
    .await?)
}

/// An order's history (its own status changes and what happened to its assets), oldest first.
pub async fn for_order(
    conn: &mut PgConnection,
    kind: OrderKind,
    order_id: i64,
) -> Result<Vec<Event>> {
    Ok(sqlx::query_as(&format!(
        "select {EVENT_COLUMNS} from events e left join users u on u.id = e.actor_id
         where e.order_kind = $1 and e.order_id = $2 order by e.id"
    ))
    .bind(kind)
    .bind(order_id)
    .fetch_all(conn)
    .await?)
}

/// A loan's history with its rentals': the loan's own events and those of every market
/// rental recorded on it, oldest first.
pub async fn for_loan(conn: &mut PgConnection, loan_id: i64) -> Result<Vec<Event>> {
    Ok(sqlx::query_as(&format!(
        "select {EVENT_COLUMNS} from events e left join users u on u.id = e.actor_id
         where e.order_kind = 'loan' and e.order_id = $1
         union all
         select {EVENT_COLUMNS} from events e left join users u on u.id = e.actor_id
         where e.order_kind = 'rental' and e.order_id in (select id from rentals where loan_id = $1)
         order by id"
    ))
    .bind(loan_id)
    .fetch_all(conn)
    .await?)
}

/// Assets whose current state disagrees with the last state their log records.
pub async fn inconsistent_assets(conn: &mut PgConnection) -> Result<Vec<i64>> {
    Ok(sqlx::query_scalar(
        "select a.id from assets a
         left join lateral (select to_state from events e where e.asset_id = a.id and e.to_state is not null
                            order by e.id desc limit 1) last on true
         where last.to_state is distinct from a.state::text order by a.id",
    )
    .fetch_all(conn)
    .await?)
}
