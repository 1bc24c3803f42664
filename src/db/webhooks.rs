//! Webhooks and their deliveries (the outbox `webhook_outbox` fills in each event's own
//! transaction). Every statement here is bounded by a limit.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgConnection;
use utoipa::ToSchema;

use super::{Error, OptionalExt, Result};

/// A registered webhook, without its secret.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct Webhook {
    pub id: i64,
    pub url: String,
    /// The event actions it is sent (`issue`, `return`, `approve`, …); empty: every event.
    pub actions: Vec<String>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    /// Deliveries waiting, delivered and given up.
    pub waiting: i64,
    pub delivered: i64,
    pub dead: i64,
}

const WEBHOOK: &str = "select w.id, w.url, w.actions, w.active, w.created_at,
    (select count(*) from webhook_deliveries d where d.webhook_id = w.id and d.delivered_at is null and d.dead_at is null) as waiting,
    (select count(*) from webhook_deliveries d where d.webhook_id = w.id and d.delivered_at is not null) as delivered,
    (select count(*) from webhook_deliveries d where d.webhook_id = w.id and d.dead_at is not null) as dead
    from webhooks w";

/// The most webhooks a depot keeps.
pub const MAX_WEBHOOKS: i64 = 50;

pub async fn create(
    conn: &mut PgConnection,
    url: &str,
    secret: &str,
    actions: &[String],
    by: i64,
) -> Result<Webhook> {
    let count: i64 = sqlx::query_scalar("select count(*) from webhooks")
        .fetch_one(&mut *conn)
        .await?;
    if count >= MAX_WEBHOOKS {
        return Err(Error::Conflict(format!(
            "a depot keeps at most {MAX_WEBHOOKS} webhooks: delete one first"
        )));
    }
    let id: i64 = sqlx::query_scalar(
        "insert into webhooks (url, secret, actions, created_by) values ($1, $2, $3, $4) returning id",
    )
    .bind(url)
    .bind(secret)
    .bind(actions)
    .bind(by)
    .fetch_one(&mut *conn)
    .await?;
    get(conn, id).await
}

pub async fn get(conn: &mut PgConnection, id: i64) -> Result<Webhook> {
    sqlx::query_as(&format!("{WEBHOOK} where w.id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .or_not_found(|| format!("webhook {id}"))
}

pub async fn list(conn: &mut PgConnection) -> Result<Vec<Webhook>> {
    Ok(sqlx::query_as(&format!("{WEBHOOK} order by w.id limit $1"))
        .bind(MAX_WEBHOOKS)
        .fetch_all(conn)
        .await?)
}

/// Delete a webhook and its deliveries.
pub async fn delete(conn: &mut PgConnection, id: i64) -> Result<()> {
    let done = sqlx::query("delete from webhooks where id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    if done.rows_affected() == 0 {
        return Err(Error::NotFound(format!("webhook {id}")));
    }
    Ok(())
}

/// A delivery, as the admin sees it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct Delivery {
    pub id: i64,
    pub webhook_id: i64,
    pub event_id: i64,
    pub action: String,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub dead_at: Option<DateTime<Utc>>,
    /// The receiver's last HTTP status, if it answered.
    pub last_status: Option<i32>,
    pub last_error: String,
    pub created_at: DateTime<Utc>,
}

const DELIVERY: &str =
    "select d.id, d.webhook_id, d.event_id, e.action, d.attempts, d.next_attempt_at,
    d.delivered_at, d.dead_at, d.last_status, d.last_error, d.created_at
    from webhook_deliveries d join events e on e.id = d.event_id";

/// A page of a webhook's deliveries, newest first, and how many there are.
pub async fn deliveries(
    conn: &mut PgConnection,
    webhook: i64,
    window: super::Window,
) -> Result<(Vec<Delivery>, super::Total)> {
    super::page(
        conn,
        DELIVERY,
        "where d.webhook_id = $1",
        "d.id desc",
        args![webhook],
        window,
    )
    .await
}

/// All of a webhook's deliveries, newest first, as they come (for the export).
pub fn delivery_rows(conn: &mut PgConnection, webhook: i64) -> super::Rows<'_, Delivery> {
    static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        format!("{DELIVERY} where d.webhook_id = $1 order by d.id desc")
    });
    let mut args = sqlx::postgres::PgArguments::default();
    if let Err(e) = sqlx::Arguments::add(&mut args, webhook) {
        return super::reports::failed(e);
    }
    super::rows(conn, SQL.as_str(), args)
}

/// A delivery claimed for sending: where, with what key, which event.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Due {
    pub id: i64,
    pub url: String,
    pub secret: String,
    pub event_id: i64,
    pub attempts: i32,
}

/// Claim up to `limit` due deliveries (oldest first) for `lease_s` seconds, counting the
/// attempt: another deliverer (or the next round) does not send them meanwhile.
pub async fn claim(conn: &mut PgConnection, limit: i64, lease_s: f64) -> Result<Vec<Due>> {
    Ok(sqlx::query_as(
        "with due as (
             select id from webhook_deliveries
             where delivered_at is null and dead_at is null and next_attempt_at <= now()
             order by next_attempt_at, id limit $1 for update skip locked),
         claimed as (
             update webhook_deliveries d set attempts = d.attempts + 1,
                 next_attempt_at = now() + make_interval(secs => $2)
             from due where d.id = due.id
             returning d.id, d.webhook_id, d.event_id, d.attempts)
         select c.id, w.url, w.secret, c.event_id, c.attempts
         from claimed c join webhooks w on w.id = c.webhook_id
         order by c.id",
    )
    .bind(limit)
    .bind(lease_s)
    .fetch_all(conn)
    .await?)
}

pub async fn delivered(conn: &mut PgConnection, id: i64, status: i32) -> Result<()> {
    sqlx::query(
        "update webhook_deliveries set delivered_at = now(), last_status = $2, last_error = '' where id = $1",
    )
    .bind(id)
    .bind(status)
    .execute(conn)
    .await?;
    Ok(())
}

/// A failed attempt: tried again in `retry_s` seconds, or given up (`dead`).
pub async fn failed(
    conn: &mut PgConnection,
    id: i64,
    status: Option<i32>,
    error: &str,
    retry_s: f64,
    dead: bool,
) -> Result<()> {
    sqlx::query(
        "update webhook_deliveries set last_status = $2, last_error = left($3, 500),
             next_attempt_at = now() + make_interval(secs => $4),
             dead_at = case when $5 then now() end
         where id = $1",
    )
    .bind(id)
    .bind(status)
    .bind(error)
    .bind(retry_s)
    .bind(dead)
    .execute(conn)
    .await?;
    Ok(())
}

/// Send a delivery again now (a dead letter, or one already delivered), its attempts counted
/// afresh.
pub async fn replay(conn: &mut PgConnection, id: i64) -> Result<Delivery> {
    let done = sqlx::query(
        "update webhook_deliveries set attempts = 0, next_attempt_at = now(), delivered_at = null,
             dead_at = null, last_error = '' where id = $1",
    )
    .bind(id)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(Error::NotFound(format!("webhook delivery {id}")));
    }
    Ok(sqlx::query_as(&format!("{DELIVERY} where d.id = $1"))
        .bind(id)
        .fetch_one(conn)
        .await?)
}
