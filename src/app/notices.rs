//! Notifications: each person's inbox, and the notifier that fills the inboxes and sends
//! the e-mail.
//!
//! The notifier ([`run`], one round every `notify_every_s`: [`round`]) makes notices from the
//! orders as they stand — a request waiting, a decision, a loan due on the next working day
//! or overdue, everything back — so whichever front end changed an order (a page, the API,
//! the gate) is covered. Each notice is made once and reaches each person once, however
//! often the notifier runs or how many run; a round does a bounded amount of work. E-mail
//! goes out after the inbox is written: a relay that is away delays the e-mail (tried again
//! with backoff, [`retry_after`]), never the notification.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::policy::{authorize, person_filter, Target};
use super::{App, Op, Page, Paging, Result};
use crate::auth::Actor;
use crate::db::events::OrderKind;
use crate::db::notices;
use crate::domain::deadlines;
use crate::domain::notices::{words, Details, Kind, Words};

/// Notices of each kind and order kind a round makes at most; the rest wait for the next.
pub const NOTICES_PER_ROUND: i64 = 200;
/// E-mails a round sends at most (each bounded by `mail::SEND_TIMEOUT`).
pub const MAILS_PER_ROUND: i64 = 20;
/// An e-mail is tried this many times, then given up (the notification stays); one the
/// relay refuses for good is given up at once.
pub const MAIL_ATTEMPTS: i32 = 8;
/// E-mail sent or given up is kept this many days, then forgotten (at most
/// [`MAILS_PER_ROUND`] × 50 a round).
pub const MAIL_KEPT_DAYS: i32 = 30;
/// Unread notifications are counted up to this many ("99+" is as useful as the number).
pub const UNREAD_CAP: i64 = 100;

/// A notification as its reader sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Notification {
    pub id: i64,
    pub kind: Kind,
    pub order_kind: OrderKind,
    pub order_id: i64,
    pub created_at: DateTime<Utc>,
    pub read: bool,
    #[serde(flatten)]
    pub words: Words,
}

impl Notification {
    fn from_row(row: notices::Notification) -> Notification {
        let kind = Kind::parse(&row.kind).unwrap_or(Kind::ApprovalWaiting);
        let details: Details = serde_json::from_value(row.details).unwrap_or_default();
        Notification {
            id: row.id,
            kind,
            order_kind: row.order_kind,
            order_id: row.order_id,
            created_at: row.created_at,
            read: row.read_at.is_some(),
            words: words(kind, row.order_kind.as_str(), row.order_id, &details),
        }
    }

    /// The page that shows what it is about, for the person reading it.
    pub fn href(&self) -> String {
        match self.order_kind {
            OrderKind::Loan => format!("/orders/{}", self.order_id),
            OrderKind::Transfer => format!("/transfers/{}", self.order_id),
            OrderKind::Disposal => format!("/disposals/{}", self.order_id),
            OrderKind::Intake => format!("/keeper/intakes/{}", self.order_id),
            OrderKind::Compensation => "/compensations".into(),
            OrderKind::Rental => "/rentals".into(),
        }
    }
}

#[derive(Debug, Default, Clone, Copy, Deserialize, utoipa::IntoParams)]
pub struct InboxFilter {
    /// Only those not yet read.
    #[serde(default)]
    pub unread: bool,
}

/// One's own notifications, newest first.
pub async fn inbox(
    app: &App,
    actor: &Actor,
    filter: InboxFilter,
    paging: Paging,
) -> Result<Page<Notification>> {
    authorize(actor, Op::ListNotifications, Target::Nothing)?;
    let user = person_filter(actor, Op::ListNotifications).unwrap_or(actor.id);
    let window = paging.window();
    let (rows, total) = app
        .read(actor, Op::ListNotifications, async |c| {
            notices::inbox(c, user, filter.unread, window).await
        })
        .await?;
    let items = rows.into_iter().map(Notification::from_row).collect();
    Ok(Page::new(window, (items, total)))
}

/// All of one's own notifications, newest first, as they come: the inbox's export.
pub async fn inbox_export(app: &App, actor: &Actor) -> Result<super::Rows<Notification>> {
    let user = person_filter(actor, Op::ListNotifications).unwrap_or(actor.id);
    let rows = app
        .rows(actor, Op::ListNotifications, user, notices::inbox_rows)
        .await?;
    Ok(rows.map(Notification::from_row))
}

#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct Unread {
    /// Unread notifications, counted up to 100.
    pub unread: i64,
}

/// How many of one's notifications are unread (up to [`UNREAD_CAP`]).
pub async fn unread(app: &App, actor: &Actor) -> Result<Unread> {
    app.read(actor, Op::CountUnreadNotifications, async |c| {
        notices::unread(c, actor.id, UNREAD_CAP).await
    })
    .await
    .map(|unread| Unread { unread })
}

/// Mark one of one's notifications read; anyone else's is not found.
pub async fn mark_read(app: &App, actor: &Actor, id: i64) -> Result<()> {
    app.change(actor, Op::MarkNotificationRead, async |c| {
        notices::mark_read(c, actor.id, id).await
    })
    .await
}

#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct Marked {
    /// How many were unread.
    pub marked: u64,
}

/// Mark all of one's notifications read.
pub async fn mark_all_read(app: &App, actor: &Actor) -> Result<Marked> {
    app.change(actor, Op::MarkAllNotificationsRead, async |c| {
        notices::mark_all_read(c, actor.id).await
    })
    .await
    .map(|marked| Marked { marked })
}

/// What one round of the notifier did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Round {
    pub notices: usize,
    pub notifications: usize,
    pub sent: usize,
    pub failed: usize,
}

/// One round of the notifier, by the service itself (no person): make the notices that are
/// due and put them in the inboxes, in one transaction; then send the e-mail that is due.
pub async fn round(app: &App) -> Result<Round> {
    let mut tx = app.pool.begin().await?;
    let today = notices::today(&mut tx).await?;
    let made = notices::make(
        &mut tx,
        deadlines::next_working_day(today),
        NOTICES_PER_ROUND,
    )
    .await?;
    let delivered = notices::deliver(&mut tx, &made, app.mailer.is_some()).await?;
    notices::forget_old_mail(&mut tx, MAIL_KEPT_DAYS, MAILS_PER_ROUND * 50).await?;
    tx.commit().await?;
    let (sent, failed) = send_mail(app).await?;
    Ok(Round {
        notices: made.len(),
        notifications: delivered.len(),
        sent,
        failed,
    })
}

/// How long to wait before trying an e-mail again after `attempts` tries: 30 s, doubling,
/// at most an hour.
pub fn retry_after(attempts: i32) -> std::time::Duration {
    let doublings = attempts.clamp(1, 8) - 1;
    std::time::Duration::from_secs((30u64 << doublings).min(3_600))
}

/// Send the e-mail that is due, at most [`MAILS_PER_ROUND`]: (sent, failed).
async fn send_mail(app: &App) -> Result<(usize, usize)> {
    let Some(mailer) = &app.mailer else {
        return Ok((0, 0));
    };
    // A claimed e-mail is not due again until the round that claimed it must have sent it:
    // each message takes at most twice the send timeout, and they go one after another.
    let lease = (crate::mail::SEND_TIMEOUT * 2 * MAILS_PER_ROUND as u32).as_secs_f64() + 60.0;
    let due = notices::claim_mail(&mut *app.pool.acquire().await?, MAILS_PER_ROUND, lease).await?;
    let (mut sent, mut failed) = (0, 0);
    for mail in due {
        let kind = Kind::parse(&mail.kind).unwrap_or(Kind::ApprovalWaiting);
        let details: Details = serde_json::from_value(mail.details).unwrap_or_default();
        let w = words(kind, mail.order_kind.as_str(), mail.order_id, &details);
        let outcome = mailer.send(&mail.address, &w.subject(), &w.body()).await;
        let mut conn = app.pool.acquire().await?;
        match outcome {
            Ok(()) => {
                notices::mail_sent(&mut conn, mail.id).await?;
                sent += 1;
            }
            Err(e) => {
                let give_up = mail.attempts >= MAIL_ATTEMPTS || e.is_permanent();
                let retry = retry_after(mail.attempts).as_secs_f64();
                notices::mail_failed(&mut conn, mail.id, &e.to_string(), retry, give_up).await?;
                if give_up {
                    tracing::warn!(mail = mail.id, attempts = mail.attempts, error = %e, "an e-mail could not be sent: given up");
                } else {
                    tracing::debug!(mail = mail.id, attempts = mail.attempts, error = %e, "an e-mail could not be sent: will try again");
                }
                failed += 1;
            }
        }
    }
    Ok((sent, failed))
}

/// The notifier: a round now and then every `notify_every_s`, until the service closes. A
/// round that fails (the database away) is logged once per outage and tried again.
pub async fn run(app: App) {
    let every = std::time::Duration::from_secs(app.config.notify_every_s);
    let mut failing = false;
    loop {
        match round(&app).await {
            Ok(r) => {
                if failing {
                    tracing::info!("the notifier runs again");
                    failing = false;
                }
                if r != Round::default() {
                    tracing::debug!(
                        notices = r.notices,
                        notifications = r.notifications,
                        sent = r.sent,
                        failed = r.failed,
                        "notifier round"
                    );
                }
            }
            Err(e) if !failing => {
                tracing::warn!(error = %e, "the notifier cannot run: trying again");
                failing = true;
            }
            Err(e) => tracing::debug!(error = %e, "the notifier still cannot run"),
        }
        tokio::select! {
            _ = app.closing.cancelled() => return,
            _ = tokio::time::sleep(every) => {}
        }
    }
}
