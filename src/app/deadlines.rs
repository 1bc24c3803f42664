//! Time limits (限时办结): the limits in force, and the work past them, listed for whoever
//! must act — the staff see all of it, a department its own.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::policy::{authorize, department_filter, Target};
use super::{App, Op, Result};
use crate::auth::{Actor, Role};
use crate::db::deadlines::{self, Past};
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

/// The work past its limit that `actor` may see (a requester: their department's), most
/// late first; `acts`: only what they must act on.
pub async fn overdue(app: &App, actor: &Actor, acts: Option<Acts>) -> Result<Vec<OverdueWork>> {
    let department = department_filter(actor, Op::ListOverdueWork);
    let limits: Vec<Limit> = app
        .config
        .deadlines
        .all()
        .iter()
        .filter(|l| acts.is_none_or(|a| a == l.acts))
        .copied()
        .collect();
    let mut late = app
        .read(actor, Op::ListOverdueWork, async |c| {
            let today = notices::today(c).await?;
            let mut late = Vec::new();
            for limit in &limits {
                // The depot's own paperwork is no department's business.
                if department.is_some() && limit.kind == "disposal" {
                    continue;
                }
                let kind = kind_of(limit.kind);
                let past = match limit.due {
                    Due::WorkingDays(n) => Past::EnteredBy(overdue_if_arrived_by(today, n)),
                    Due::FirstDay => Past::FirstDay,
                    Due::LastDay => Past::LastDay,
                };
                let rows =
                    deadlines::past(c, kind, limit.status, past, department, PER_LIMIT).await?;
                for row in rows {
                    let due_on = match limit.due {
                        Due::WorkingDays(n) => add_working_days(row.since_on, n),
                        Due::FirstDay => row.starts_on.unwrap_or(row.since_on),
                        Due::LastDay => row.ends_on.unwrap_or(row.since_on),
                    };
                    late.push(OverdueWork {
                        kind,
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
                    });
                }
            }
            Ok::<_, crate::db::Error>(late)
        })
        .await?;
    late.sort_by(|a, b| {
        (b.working_days_late, a.due_on, a.id).cmp(&(a.working_days_late, b.due_on, b.id))
    });
    Ok(late)
}
