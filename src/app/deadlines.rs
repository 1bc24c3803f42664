//! Time limits (限时办结): the limits in force, and the work past them, listed for whoever
//! must act — the staff see all of it, a department its own.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::policy::{authorize, department_filter, Target};
use super::{App, Error, Op, Page, Paging, Result, Rows};
use crate::auth::{Actor, Role};
use crate::db::deadlines::{self, Past, Waiting};
use crate::db::events::OrderKind;
use crate::db::notices;
use crate::domain::deadlines::{
    add_working_days, overdue_if_arrived_by, working_days_late, Acts, Due, Limit,
};

/// Late paperwork listed per limit at most; the oldest first.
pub const PER_LIMIT: i64 = 200;

/// Paperwork past its time limit.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OverdueWork {
    pub kind: OrderKind,
    pub id: i64,
    pub status: &'static str,
    pub department_id: Option<i64>,
    pub department: Option<String>,
    /// What it is about: the purpose, the reason, the asset.
    pub about: String,
    /// When it entered its status.
    pub since: DateTime<Utc>,
    /// The day it was due by.
    pub due_on: NaiveDate,
    /// Working days past that day.
    pub working_days_late: i64,
    /// Who must act.
    pub acts: Acts,
    /// What is due: decide, issue, return, hand_over, appraise, sell_or_scrap, remit, receive, settle.
    pub action: &'static str,
}

/// Whose work a person does: an admin's, a keeper's, their department's; an auditor's is
/// nobody's (they read).
pub fn acts_of(actor: &Actor) -> Option<Acts> {
    match actor.role {
        Role::Admin => Some(Acts::Admin),
        Role::Keeper => Some(Acts::Keeper),
        Role::Requester => Some(Acts::Department),
        Role::Finance => Some(Acts::Finance),
        Role::Auditor => None,
    }
}

/// The limits in force.
pub fn limits(app: &App, actor: &Actor) -> Result<Vec<Limit>> {
    authorize(actor, Op::ListDeadlines, Target::Nothing)?;
    Ok(app.config.deadlines.all().to_vec())
}

fn kind_of(kind: &str) -> OrderKind {
    match kind {
        "transfer" => OrderKind::Transfer,
        "disposal" => OrderKind::Disposal,
        "intake" => OrderKind::Intake,
        "compensation" => OrderKind::Compensation,
        _ => OrderKind::Loan,
    }
}

/// The work past one limit beyond what a list of [`PER_LIMIT`] per limit holds: how much
/// there is in all, for the list to say so and lead to all of it ([`overdue_of`]).
#[derive(Debug, Clone)]
pub struct Beyond {
    pub kind: OrderKind,
    pub status: &'static str,
    pub acts: Acts,
    pub action: &'static str,
    /// How many the list holds: the most late.
    pub shown: i64,
    /// How many there are in all: exact when `exact`, else at least this many.
    pub total: i64,
    pub exact: bool,
}

/// The work past its limits, at most [`PER_LIMIT`] of each, and the limits past which
/// there is more than that.
#[derive(Debug, Clone, Default)]
pub struct Overdue {
    pub work: Vec<OverdueWork>,
    pub beyond: Vec<Beyond>,
}

/// The work past its limit that `actor` may see (a requester: their department's), most
/// late first; `acts`: only what they must act on. At most [`PER_LIMIT`] per limit: the
/// most late.
pub async fn overdue(app: &App, actor: &Actor, acts: Option<Acts>) -> Result<Vec<OverdueWork>> {
    Ok(overdue_listed(app, actor, acts).await?.work)
}

/// [`overdue`], with the limits it holds only the most late of, and how many each has.
pub async fn overdue_listed(app: &App, actor: &Actor, acts: Option<Acts>) -> Result<Overdue> {
    let department = department_filter(actor, Op::ListOverdueWork);
    let limits: Vec<Limit> = app
        .config
        .deadlines
        .all()
        .iter()
        .filter(|l| acts.is_none_or(|a| a == l.acts))
        .copied()
        .collect();
    let window = crate::db::Window::first(PER_LIMIT);
    let mut listed = app
        .read(actor, Op::ListOverdueWork, async |c| {
            let today = notices::today(c).await?;
            let mut listed = Overdue::default();
            for limit in &limits {
                // The depot's own paperwork is no department's business.
                if department.is_some() && limit.kind == "disposal" {
                    continue;
                }
                let (rows, total) = past_limit(c, limit, today, department, window).await?;
                if total.has_more {
                    listed.beyond.push(Beyond {
                        kind: kind_of(limit.kind),
                        status: limit.status,
                        acts: limit.acts,
                        action: limit.action,
                        shown: rows.len() as i64,
                        total: total.count,
                        exact: total.exact,
                    });
                }
                listed
                    .work
                    .extend(rows.into_iter().map(|row| work(limit, row, today)));
            }
            Ok::<_, crate::db::Error>(listed)
        })
        .await?;
    listed.work.sort_by(|a, b| {
        (b.working_days_late, a.due_on, a.id).cmp(&(a.working_days_late, b.due_on, b.id))
    });
    Ok(listed)
}

/// The limit of `kind` (loan, transfer, …) in `status`, and the work past it that `actor`
/// may see, most late first, a page at a time.
pub async fn overdue_of(
    app: &App,
    actor: &Actor,
    kind: &str,
    status: &str,
    paging: Paging,
) -> Result<(Limit, Page<OverdueWork>)> {
    let department = department_filter(actor, Op::ListOverdueWork);
    let limit = limit_of(app, kind, status)?;
    let window = paging.window();
    let found = app
        .read(actor, Op::ListOverdueWork, async |c| {
            // The depot's own paperwork is no department's business.
            if department.is_some() && limit.kind == "disposal" {
                return Ok((Vec::new(), crate::db::Total::default()));
            }
            let today = notices::today(c).await?;
            let (rows, total) = past_limit(c, &limit, today, department, window).await?;
            let work = rows.into_iter().map(|row| work(&limit, row, today));
            Ok::<_, crate::db::Error>((work.collect(), total))
        })
        .await?;
    Ok((limit, Page::new(window, found)))
}

/// Every piece of work [`overdue_of`] pages through, as it comes: its export.
pub async fn overdue_export(
    app: &App,
    actor: &Actor,
    kind: &str,
    status: &str,
) -> Result<(Limit, Rows<OverdueWork>)> {
    authorize(actor, Op::ListOverdueWork, Target::Nothing)?;
    let department = department_filter(actor, Op::ListOverdueWork);
    let limit = limit_of(app, kind, status)?;
    // The depot's own paperwork is no department's business.
    if department.is_some() && limit.kind == "disposal" {
        return Ok((limit, Rows::of(Vec::new())));
    }
    let today = notices::today(&mut *app.pool.acquire().await?).await?;
    let past = past_of(&limit, today);
    let arg = (
        kind_of(limit.kind),
        limit.status.to_owned(),
        past,
        department,
    );
    let rows = app
        .rows(actor, Op::ListOverdueWork, arg, deadlines::past_rows)
        .await?;
    Ok((limit, rows.map(move |row| work(&limit, row, today))))
}

/// The limit on `kind` (loan, transfer, …) in `status`.
fn limit_of(app: &App, kind: &str, status: &str) -> Result<Limit> {
    app.config
        .deadlines
        .all()
        .iter()
        .find(|l| l.kind == kind && l.status == status)
        .copied()
        .ok_or_else(|| Error::NotFound(format!("time limit {kind:?} {status:?}")))
}

/// Which paperwork is past `limit` as of `today`.
fn past_of(limit: &Limit, today: NaiveDate) -> Past {
    match limit.due {
        Due::WorkingDays(n) => Past::EnteredBy(overdue_if_arrived_by(today, n)),
        Due::FirstDay => Past::FirstDay,
        Due::LastDay => Past::LastDay,
    }
}

/// A page of the paperwork past `limit` as of `today`, the most late first.
async fn past_limit(
    c: &mut sqlx::PgConnection,
    limit: &Limit,
    today: NaiveDate,
    department: Option<i64>,
    window: crate::db::Window,
) -> crate::db::Result<(Vec<Waiting>, crate::db::Total)> {
    let kind = kind_of(limit.kind);
    deadlines::past(
        c,
        kind,
        limit.status,
        past_of(limit, today),
        department,
        window,
    )
    .await
}

/// What a row past `limit` is as overdue work, as of `today`.
fn work(limit: &Limit, row: Waiting, today: NaiveDate) -> OverdueWork {
    let due_on = match limit.due {
        Due::WorkingDays(n) => add_working_days(row.since_on, n),
        Due::FirstDay => row.starts_on.unwrap_or(row.since_on),
        Due::LastDay => row.ends_on.unwrap_or(row.since_on),
    };
    OverdueWork {
        kind: kind_of(limit.kind),
        id: row.id,
        status: limit.status,
        department_id: row.department_id,
        department: row.department,
        about: row.about,
        since: row.since,
        due_on,
        working_days_late: working_days_late(due_on, today),
        acts: limit.acts,
        action: limit.action,
    }
}
