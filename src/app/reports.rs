//! The dashboard and its CSV exports, for the admin and the auditor: stock by state and
//! category, idle assets, overdue loans, compensation cases, disposals and the money.
//! Whatever is a department's business goes through the same visibility rule as the rest.

use super::policy::department_filter;
use super::{App, Op, Result, Rows};
use crate::auth::Actor;
use crate::db::compensations::{self, Compensation};
use crate::db::disposals::{self, Disposal};
use crate::db::loans::{self, Loan};
use crate::db::reports::{self, CategoryStock, Count, Idle, Money, SavingsLine};
use crate::db::{self as store, Window};

/// An asset nobody borrowed for this long counts as idle.
pub const IDLE_DAYS: i32 = 180;

/// Everything the dashboard shows.
pub struct Dashboard {
    pub by_state: Vec<Count>,
    pub by_category: Vec<CategoryStock>,
    /// The longest idle (up to 20), and how many were idle in all at `figures_at`.
    pub idle: (Vec<Idle>, i64),
    pub overdue: Vec<Loan>,
    pub cases: Vec<Compensation>,
    pub money: Money,
    /// Each category's part of the money saved: days lent × its market daily rental price.
    pub savings: Vec<SavingsLine>,
    /// When utilisation and the days lent were computed.
    pub figures_at: chrono::DateTime<chrono::Utc>,
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
        // Never computed (a new database): compute them now, once; after that the service
        // keeps them fresh in the background.
        let figures_at = match reports::figures_computed_at(c).await? {
            Some(at) => at,
            None => {
                reports::refresh_figures(c, IDLE_DAYS).await?;
                chrono::Utc::now()
            }
        };
        Ok::<_, store::Error>(Dashboard {
            figures_at,
            by_state: reports::stock_by_state(c).await?,
            by_category: reports::stock_by_category(c).await?,
            idle: reports::idle(c, IDLE_DAYS, 20).await?,
            overdue: loans::list(c, &overdue, Window::first(100)).await?.0,
            cases: compensations::list(c, department, None, Window::first(100))
                .await?
                .0,
            money: reports::money(c).await?,
            savings: reports::savings_by_category(c).await?,
        })
    })
    .await
}

pub async fn stock(app: &App, actor: &Actor) -> Result<Vec<CategoryStock>> {
    app.read(actor, Op::Dashboard, async |c| {
        reports::stock_by_category(c).await
    })
    .await
}

/// Every idle asset, longest idle first, as the query yields them.
pub async fn idle(app: &App, actor: &Actor) -> Result<Rows<Idle>> {
    app.rows(actor, Op::Dashboard, IDLE_DAYS, reports::idle_rows)
        .await
}

pub async fn overdue(app: &App, actor: &Actor) -> Result<Rows<Loan>> {
    let department = department_filter(actor, Op::Dashboard);
    app.rows(actor, Op::Dashboard, department, loans::overdue_rows)
        .await
}

pub async fn compensations(app: &App, actor: &Actor) -> Result<Rows<Compensation>> {
    let department = department_filter(actor, Op::Dashboard);
    app.rows(actor, Op::Dashboard, department, compensations::all_rows)
        .await
}

pub async fn disposals(app: &App, actor: &Actor) -> Result<Rows<Disposal>> {
    app.rows(actor, Op::Dashboard, (), |c, ()| disposals::all_rows(c))
        .await
}

/// How often the figures that take a pass over the loans are computed again, and the
/// tallies folded, while the service runs.
pub const FIGURES_EVERY: std::time::Duration = std::time::Duration::from_secs(300);

/// Fold the tallies and compute the figures again unless they were computed less than
/// [`FIGURES_EVERY`] ago (the service calls this every [`FIGURES_EVERY`], from its start;
/// no person asks for it, so no authorization).
pub async fn refresh(pool: &sqlx::PgPool) -> Result<()> {
    let mut conn = pool.acquire().await?;
    if let Some(at) = reports::figures_computed_at(&mut conn).await? {
        let age = chrono::Utc::now() - at;
        if age
            .to_std()
            .is_ok_and(|age| age < FIGURES_EVERY - std::time::Duration::from_secs(5))
        {
            return Ok(());
        }
    }
    reports::compact_tallies(&mut conn).await?;
    reports::refresh_figures(&mut conn, IDLE_DAYS).await?;
    Ok(())
}

/// The service's metrics in the Prometheus text format (`/metrics`): the counters kept as
/// things happen, and the readers' states, the pipeline's queues and the pool as they are.
pub fn metrics(app: &App, actor: &Actor) -> Result<String> {
    super::policy::authorize(actor, Op::ReadMetrics, super::policy::Target::Nothing)?;
    let (readers, queues) = match &app.ingest {
        Some(ingest) => (
            ingest
                .health()
                .into_iter()
                .map(|(id, h)| (id, h.status))
                .collect(),
            ingest.queues(),
        ),
        None => (Vec::new(), Vec::new()),
    };
    let levels = crate::metrics::Levels {
        readers,
        queues,
        pool_size: app.pool.size(),
        pool_idle: u32::try_from(app.pool.num_idle()).unwrap_or(u32::MAX),
        pool_max: app.pool.options().get_max_connections(),
    };
    Ok(crate::metrics::render(&levels))
}
