//! The dashboard and its CSV exports, for the admin and the auditor: stock by state and
//! category, idle assets, overdue loans, compensation cases, disposals and the money.
//! Whatever is a department's business goes through the same visibility rule as the rest.

use super::policy::department_filter;
use super::{App, Op, Result};
use crate::auth::Actor;
use crate::db::compensations::{self, Compensation};
use crate::db::disposals::{self, Disposal};
use crate::db::loans::{self, Loan};
use crate::db::reports::{self, CategoryStock, Count, Idle, Money};
use crate::db::{self as store, Window};

/// An asset nobody borrowed for this long counts as idle.
pub const IDLE_DAYS: i32 = 180;

/// Everything the dashboard shows.
pub struct Dashboard {
    pub by_state: Vec<Count>,
    pub by_category: Vec<CategoryStock>,
    /// The longest idle (up to 20), and how many are idle in all.
    pub idle: (Vec<Idle>, i64),
    pub overdue: Vec<Loan>,
    pub cases: Vec<Compensation>,
    pub money: Money,
}

fn overdue_filter(actor: &Actor) -> loans::Filter {
    loans::Filter {
        department_id: department_filter(actor, Op::Dashboard),
        status: Some("overdue".into()),
    }
}

pub async fn dashboard(app: &App, actor: &Actor) -> Result<Dashboard> {
    let overdue = overdue_filter(actor);
    let department = department_filter(actor, Op::Dashboard);
    app.read(actor, Op::Dashboard, async |c| {
        Ok::<_, store::Error>(Dashboard {
            by_state: reports::stock_by_state(c).await?,
            by_category: reports::stock_by_category(c).await?,
            idle: reports::idle(c, IDLE_DAYS, 20).await?,
            overdue: loans::list(c, &overdue, Window::first(100)).await?.0,
            cases: compensations::list(c, department, None).await?,
            money: reports::money(c).await?,
        })
    })
    .await
}

/// A whole table for export: no page limit worth the name.
const ALL: Window = Window {
    page: 1,
    per_page: 100_000,
};

pub async fn stock(app: &App, actor: &Actor) -> Result<Vec<CategoryStock>> {
    app.read(actor, Op::Dashboard, async |c| {
        reports::stock_by_category(c).await
    })
    .await
}

pub async fn idle(app: &App, actor: &Actor) -> Result<Vec<Idle>> {
    app.read(actor, Op::Dashboard, async |c| {
        reports::idle(c, IDLE_DAYS, ALL.per_page).await
    })
    .await
    .map(|(items, _)| items)
}

pub async fn overdue(app: &App, actor: &Actor) -> Result<Vec<Loan>> {
    let filter = overdue_filter(actor);
    app.read(actor, Op::Dashboard, async |c| {
        loans::list(c, &filter, ALL).await
    })
    .await
    .map(|(items, _)| items)
}

pub async fn compensations(app: &App, actor: &Actor) -> Result<Vec<Compensation>> {
    let department = department_filter(actor, Op::Dashboard);
    app.read(actor, Op::Dashboard, async |c| {
        compensations::list(c, department, None).await
    })
    .await
}

pub async fn disposals(app: &App, actor: &Actor) -> Result<Vec<Disposal>> {
    app.read(actor, Op::Dashboard, async |c| {
        disposals::list(c, None, ALL).await
    })
    .await
    .map(|(items, _)| items)
}
