//! Notices, the inboxes they reach, and the e-mail outbox.
//!
//! A notice is made once per (kind, order) from the orders as they stand — whichever front
//! end changed them — and reaches each recipient once (`notifications_once`); its e-mail is
//! queued once per notification (`mail_outbox_once`). Every statement here is bounded by a
//! limit, so one round of the notifier does a bounded amount of work however much waits.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgConnection;

use super::events::OrderKind;
use super::{page, Error, Result, Total, Window};

/// Today, as the database dates things (the loans' `ends_on` are compared with it).
pub async fn today(conn: &mut PgConnection) -> Result<NaiveDate> {
    Ok(sqlx::query_scalar("select depot_today()")
        .fetch_one(conn)
        .await?)
}

/// Decisions and returns older than this are not told of: those made before the notifier
/// first ran, or more than a week ago.
const SINCE: &str = "(select greatest(since, now() - interval '7 days') from notifier)";

const LOAN_DETAILS: &str = "jsonb_build_object('purpose', l.purpose,
    'department', (select d.name from departments d where d.id = l.department_id),
    'starts_on', l.starts_on::text, 'ends_on', l.ends_on::text)";
const TRANSFER_DETAILS: &str = "jsonb_build_object('purpose', l.purpose,
    'department', (select d.name from departments d where d.id = l.department_id))";

/// (kind, order kind, table, which orders): what each scan makes notices of. `$2` is the
/// next working day (for `due_tomorrow`).
const SCANS: &[(&str, &str, &str, &str)] = &[
    ("approval_waiting", "loan", "loans", "l.status = 'requested'"),
    ("approval_waiting", "transfer", "transfers", "l.status = 'requested'"),
    ("sign_off_waiting", "loan", "loans", "l.status = 'awaiting_finance'"),
    ("approved", "loan", "loans",
     "l.status in ('approved', 'partially_issued', 'issued', 'returned') and l.decided_at >= {SINCE}"),
    ("approved", "transfer", "transfers",
     "l.status in ('approved', 'completed') and l.decided_at >= {SINCE}"),
    ("rejected", "loan", "loans", "l.status = 'rejected' and l.decided_at >= {SINCE}"),
    ("rejected", "transfer", "transfers", "l.status = 'rejected' and l.decided_at >= {SINCE}"),
    ("due_tomorrow", "loan", "loans",
     "l.status in ('issued', 'partially_issued') and l.ends_on > depot_today() and l.ends_on <= $2"),
    ("overdue", "loan", "loans",
     "l.status in ('issued', 'partially_issued') and l.ends_on < depot_today()"),
    ("returned", "loan", "loans", "l.status = 'returned' and l.updated_at >= {SINCE}"),
];

/// Make the notices that are due and not yet made, at most `limit` of each kind and order
/// kind; returns their ids.
pub async fn make(
    conn: &mut PgConnection,
    next_working_day: NaiveDate,
    limit: i64,
) -> Result<Vec<i64>> {
    let mut made = Vec::new();
    for (kind, order_kind, table, which) in SCANS {
        let details = if *table == "loans" {
            LOAN_DETAILS
        } else {
            TRANSFER_DETAILS
        };
        let which = which.replace("{SINCE}", SINCE);
        let sql = format!(
            "insert into notices (kind, order_kind, order_id, department_id, details)
             select '{kind}', '{order_kind}', l.id, l.department_id, {details}
             from {table} l
             where {which}
               and not exists (select 1 from notices n
                               where n.kind = '{kind}' and n.order_kind = '{order_kind}' and n.order_id = l.id)
             order by l.id limit $1
             on conflict do nothing returning id"
        );
        let mut query = sqlx::query_scalar(&sql).bind(limit);
        if which.contains("$2") {
            query = query.bind(next_working_day);
        }
        let ids: Vec<i64> = query.fetch_all(&mut *conn).await?;
        made.extend(ids);
    }
    Ok(made)
}

/// Put the notices in the inboxes of whoever they are for — a request waiting, the active
/// admins (the approvers); a sign-off waiting, the active finance approvers; the rest, the active people of the order's department — and,
/// with `mail`, queue an e-mail to each who has an address. Returns the notifications made.
pub async fn deliver(conn: &mut PgConnection, notices: &[i64], mail: bool) -> Result<Vec<i64>> {
    if notices.is_empty() {
        return Ok(Vec::new());
    }
    let made: Vec<i64> = sqlx::query_scalar(
        "insert into notifications (notice_id, user_id)
         select n.id, u.id from notices n
         join users u on u.active and case n.kind when 'approval_waiting' then u.role = 'admin'
                                                  when 'sign_off_waiting' then u.role = 'finance'
                                                  else u.department_id = n.department_id end
         where n.id = any($1)
         order by n.id, u.id
         on conflict do nothing returning id",
    )
    .bind(notices)
    .fetch_all(&mut *conn)
    .await?;
    if mail && !made.is_empty() {
        sqlx::query(
            "insert into mail_outbox (notification_id, address)
             select nf.id, u.email from notifications nf join users u on u.id = nf.user_id
             where nf.id = any($1) and u.email is not null
             on conflict do nothing",
        )
        .bind(&made)
        .execute(&mut *conn)
        .await?;
    }
    Ok(made)
}

/// A notification in an inbox.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Notification {
    pub id: i64,
    pub kind: String,
    pub order_kind: OrderKind,
    pub order_id: i64,
    pub details: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

/// One person's notifications, newest first; `unread`: only those not yet read.
pub async fn inbox(
    conn: &mut PgConnection,
    user_id: i64,
    unread: bool,
    window: Window,
) -> Result<(Vec<Notification>, Total)> {
    page(
        conn,
        "select nf.id, n.kind, n.order_kind, n.order_id, n.details, nf.created_at, nf.read_at
         from notifications nf join notices n on n.id = nf.notice_id",
        "where nf.user_id = $1 and (not $2 or nf.read_at is null)",
        "nf.id desc",
        args![user_id, unread],
        window,
    )
    .await
}

/// All of a person's notifications, newest first, as they come (for the export).
pub fn inbox_rows(conn: &mut PgConnection, user_id: i64) -> super::Rows<'_, Notification> {
    const SQL: &str =
        "select nf.id, n.kind, n.order_kind, n.order_id, n.details, nf.created_at, nf.read_at
         from notifications nf join notices n on n.id = nf.notice_id
         where nf.user_id = $1 order by nf.id desc";
    let mut args = sqlx::postgres::PgArguments::default();
    if let Err(e) = sqlx::Arguments::add(&mut args, user_id) {
        return super::reports::failed(e);
    }
    super::rows(conn, SQL, args)
}

/// How many notifications the person has not read, counted up to `cap`.
pub async fn unread(conn: &mut PgConnection, user_id: i64, cap: i64) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "select count(*) from (select 1 from notifications where user_id = $1 and read_at is null limit $2) as unread",
    )
    .bind(user_id)
    .bind(cap)
    .fetch_one(conn)
    .await?)
}

/// Mark one of the person's notifications read; another's is not found.
pub async fn mark_read(conn: &mut PgConnection, user_id: i64, id: i64) -> Result<()> {
    let done = sqlx::query(
        "update notifications set read_at = coalesce(read_at, now()) where id = $1 and user_id = $2",
    )
    .bind(id)
    .bind(user_id)
    .execute(conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(Error::NotFound(format!("notification {id}")));
    }
    Ok(())
}

/// Mark all of the person's notifications read; returns how many were unread.
pub async fn mark_all_read(conn: &mut PgConnection, user_id: i64) -> Result<u64> {
    Ok(sqlx::query(
        "update notifications set read_at = now() where user_id = $1 and read_at is null",
    )
    .bind(user_id)
    .execute(conn)
    .await?
    .rows_affected())
}

/// An e-mail to send now.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Mail {
    pub id: i64,
    pub address: String,
    /// Attempts so far, this one included.
    pub attempts: i32,
    pub kind: String,
    pub order_kind: OrderKind,
    pub order_id: i64,
    pub details: serde_json::Value,
}

/// Claim up to `limit` e-mails that are due, for `lease_s` seconds: counted as an attempt,
/// and not due again until the lease ends, so a sender that dies mid-way leaves them to
/// be tried again and two senders never take the same one.
pub async fn claim_mail(conn: &mut PgConnection, limit: i64, lease_s: f64) -> Result<Vec<Mail>> {
    Ok(sqlx::query_as(
        "with due as (
             select id from mail_outbox
             where sent_at is null and failed_at is null and next_attempt_at <= now()
             order by next_attempt_at, id limit $1 for update skip locked),
         claimed as (
             update mail_outbox m set attempts = m.attempts + 1,
                 next_attempt_at = now() + make_interval(secs => $2)
             from due where m.id = due.id
             returning m.id, m.address, m.attempts, m.notification_id)
         select c.id, c.address, c.attempts, n.kind, n.order_kind, n.order_id, n.details
         from claimed c join notifications nf on nf.id = c.notification_id
         join notices n on n.id = nf.notice_id
         order by c.id",
    )
    .bind(limit)
    .bind(lease_s)
    .fetch_all(conn)
    .await?)
}

pub async fn mail_sent(conn: &mut PgConnection, id: i64) -> Result<()> {
    sqlx::query("update mail_outbox set sent_at = now(), last_error = '' where id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Forget e-mail sent or given up more than `days` ago, at most `limit` of them: the outbox
/// is a queue, not an archive (the notification stays in its inbox).
pub async fn forget_old_mail(conn: &mut PgConnection, days: i32, limit: i64) -> Result<u64> {
    Ok(sqlx::query(
        "delete from mail_outbox where id in (
             select id from mail_outbox
             where coalesce(sent_at, failed_at) < now() - make_interval(days => $1)
             limit $2)",
    )
    .bind(days)
    .bind(limit)
    .execute(conn)
    .await?
    .rows_affected())
}

/// The e-mail was not sent: try again in `retry_s` seconds, or, with `give_up`, never.
pub async fn mail_failed(
    conn: &mut PgConnection,
    id: i64,
    error: &str,
    retry_s: f64,
    give_up: bool,
) -> Result<()> {
    sqlx::query(
        "update mail_outbox set last_error = left($2, 1000), next_attempt_at = now() + make_interval(secs => $3),
            failed_at = case when $4 then now() end
         where id = $1",
    )
    .bind(id)
    .bind(error)
    .bind(retry_s)
    .bind(give_up)
    .execute(conn)
    .await?;
    Ok(())
}
