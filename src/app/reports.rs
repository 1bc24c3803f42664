//! The dashboard and its CSV exports, for the admin and the auditor: stock by state and
//! category, idle assets, overdue loans, compensation cases, disposals and the money (the
//! savings priced at market rent), and the figures the seeds publish, by department, for a
//! month or a period of days. Whatever is a department's business goes through the same
//! visibility rule as the rest.

use super::policy::department_filter;
use super::{App, Error, Op, Page, Result, Rows};
use crate::auth::Actor;
use crate::db::compensations::{self, Compensation};
use crate::db::disposals::{self, Disposal};
use crate::db::loans::{self, Loan};
use crate::db::reports::{self, CategoryStock, Count, FigureRow, Idle, Money, SavingsLine};
use crate::db::{self as store, Window};
use crate::domain::bounds::{Day, FenSum, Text};
use chrono::{Datelike, Months, NaiveDate};

/// An asset nobody borrowed for this long counts as idle.
pub const IDLE_DAYS: i32 = 180;

/// Everything the dashboard shows.
pub struct Dashboard {
    pub by_state: Vec<Count>,
    pub by_category: Vec<CategoryStock>,
    /// The longest idle (up to 20), and how many were idle in all at `figures_at`.
    pub idle: (Vec<Idle>, i64),
    /// The newest overdue loans (up to 100), and how many are overdue in all.
    pub overdue: Page<Loan>,
    /// The newest compensation cases (up to 100), and how many there are in all.
    pub cases: Page<Compensation>,
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
            overdue: Page::new(
                Window::first(100),
                loans::list(c, &overdue, Window::first(100)).await?,
            ),
            cases: Page::new(
                Window::first(100),
                compensations::list(c, department, None, Window::first(100)).await?,
            ),
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
    app.rows(
        actor,
        Op::Dashboard,
        (department, None),
        compensations::all_rows,
    )
    .await
}

pub async fn disposals(app: &App, actor: &Actor) -> Result<Rows<Disposal>> {
    app.rows(actor, Op::Dashboard, None, disposals::all_rows)
        .await
}

/// Which period the published figures are for: a month (`2026-03`), or a first and a last
/// day (`from`, `to`, both included); neither: this month. One department's only with
/// `department`.
#[derive(Debug, Default, Clone, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PeriodQuery {
    /// A month, `YYYY-MM`.
    #[param(value_type = Option<String>, pattern = "^(19[0-9]{2}|2[01][0-9]{2}|2200)-(0?[1-9]|1[0-2])$")]
    pub month: Option<Text>,
    pub from: Option<Day>,
    pub to: Option<Day>,
    pub department: Option<i64>,
}

/// The longest period the figures are given for at once: a year and a day (a longer one is
/// the sum of its years).
pub const MAX_FIGURES_DAYS: i64 = 366;

/// The first and last day `q` asks for, `today` deciding "this month"; refused when the
/// month is not one, the days are the wrong way round, only one is given, or the period is
/// longer than [`MAX_FIGURES_DAYS`].
pub fn period(q: &PeriodQuery, today: NaiveDate) -> Result<(NaiveDate, NaiveDate)> {
    let month = |first: NaiveDate| {
        let last = first
            .checked_add_months(Months::new(1))
            .and_then(|next| next.pred_opt())
            .unwrap_or(first);
        (first, last)
    };
    let (from, to) = match (q.month.as_deref().map(str::trim), q.from, q.to) {
        (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
            return Err(Error::Invalid(
                "give a month, or a first and a last day (from, to), not both".into(),
            ))
        }
        (Some(m), None, None) => {
            let first = m
                .split_once('-')
                .filter(|(y, m)| y.len() == 4 && (1..=2).contains(&m.len()))
                .and_then(|(y, m)| NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, 1))
                .and_then(|d| Day::new(d).ok())
                .ok_or_else(|| {
                    Error::Invalid(format!("month: {m:?} is not a month written YYYY-MM"))
                })?;
            month(first.date())
        }
        (None, Some(from), Some(to)) => (from.date(), to.date()),
        (None, Some(_), None) | (None, None, Some(_)) => {
            return Err(Error::Invalid(
                "give both the first and the last day (from, to), or a month".into(),
            ))
        }
        (None, None, None) => month(today.with_day(1).unwrap_or(today)),
    };
    if to < from {
        return Err(Error::Invalid(format!(
            "the last day (to, {to}) is before the first (from, {from})"
        )));
    }
    if (to - from).num_days() >= MAX_FIGURES_DAYS {
        return Err(Error::Invalid(format!(
            "the figures are for at most {MAX_FIGURES_DAYS} days at once (from {from} to {to} is longer)"
        )));
    }
    Ok((from, to))
}

/// The published figures of a period: a row per department with anything in it (the depot's
/// own last), and their total.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Figures {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub departments: Vec<FigureRow>,
    pub total: FigureRow,
}

/// The figures the seeds publish, by department, for the period `q` asks.
pub async fn figures(app: &App, actor: &Actor, q: &PeriodQuery) -> Result<Figures> {
    super::policy::authorize(actor, Op::ReadFigures, super::policy::Target::Nothing)?;
    let (from, to) = period(q, app.today())?;
    let department = department_filter(actor, Op::ReadFigures).or(q.department);
    let departments = app
        .read(actor, Op::ReadFigures, async |c| {
            reports::figures(c, from, to, department).await
        })
        .await?;
    let total = departments
        .iter()
        .fold(FigureRow::default(), |t, r| FigureRow {
            loans: t.loans + r.loans,
            items_lent: t.items_lent + r.items_lent,
            days_lent: t.days_lent + r.days_lent,
            transfers: t.transfers + r.transfers,
            items_transferred: t.items_transferred + r.items_transferred,
            hand_ins: t.hand_ins + r.hand_ins,
            items_handed_in: t.items_handed_in + r.items_handed_in,
            disposals: t.disposals + r.disposals,
            items_disposed: t.items_disposed + r.items_disposed,
            proceeds_remitted_fen: FenSum(t.proceeds_remitted_fen.0 + r.proceeds_remitted_fen.0),
            rentals: t.rentals + r.rentals,
            rental_fen: FenSum(t.rental_fen.0 + r.rental_fen.0),
            lent_value_fen: FenSum(t.lent_value_fen.0 + r.lent_value_fen.0),
            saved_fen: FenSum(t.saved_fen.0 + r.saved_fen.0),
            ..t
        });
    Ok(Figures {
        from,
        to,
        departments,
        total,
    })
}

/// Which month's depreciation (`YYYY-MM`; none: this month), and one department's only
/// with `department`.
#[derive(Debug, Default, Clone, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct MonthQuery {
    /// A month, `YYYY-MM`.
    #[param(value_type = Option<String>, pattern = "^(19[0-9]{2}|2[01][0-9]{2}|2200)-(0?[1-9]|1[0-2])$")]
    pub month: Option<Text>,
    pub department: Option<i64>,
}

/// The register's depreciation in a month, by category, with the total: what the finance
/// books charge (straight line, no residual value, from the month after acquisition).
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct DepreciationReport {
    /// `YYYY-MM`.
    pub month: String,
    pub categories: Vec<reports::DepreciationRow>,
    pub total: DepreciationTotal,
}

#[derive(Debug, Clone, Default, serde::Serialize, utoipa::ToSchema)]
pub struct DepreciationTotal {
    pub assets: i64,
    pub undepreciated: i64,
    pub original_fen: FenSum,
    pub charge_fen: FenSum,
    pub accumulated_fen: FenSum,
    pub net_fen: FenSum,
}

/// The depreciation of the month `q` asks (this month by default), by category; a
/// department sees only the assets it owns or holds.
pub async fn depreciation(app: &App, actor: &Actor, q: &MonthQuery) -> Result<DepreciationReport> {
    super::policy::authorize(actor, Op::ReadDepreciation, super::policy::Target::Nothing)?;
    let (first, last) = period(
        &PeriodQuery {
            month: q.month.clone(),
            ..PeriodQuery::default()
        },
        app.today(),
    )?;
    let next = last.succ_opt().unwrap_or(last);
    let index = first.year() * 12 + first.month0() as i32;
    let department = department_filter(actor, Op::ReadDepreciation).or(q.department);
    let categories = app
        .read(actor, Op::ReadDepreciation, async |c| {
            reports::depreciation(c, index, next, department).await
        })
        .await?;
    let total = categories
        .iter()
        .fold(DepreciationTotal::default(), |t, r| DepreciationTotal {
            assets: t.assets + r.assets,
            undepreciated: t.undepreciated + r.undepreciated,
            original_fen: FenSum(t.original_fen.0 + r.original_fen.0),
            charge_fen: FenSum(t.charge_fen.0 + r.charge_fen.0),
            accumulated_fen: FenSum(t.accumulated_fen.0 + r.accumulated_fen.0),
            net_fen: FenSum(t.net_fen.0 + r.net_fen.0),
        });
    Ok(DepreciationReport {
        month: first.format("%Y-%m").to_string(),
        categories,
        total,
    })
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::bounds::Known as _;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn ask(month: Option<&str>, from: Option<NaiveDate>, to: Option<NaiveDate>) -> PeriodQuery {
        PeriodQuery {
            month: month.map(|m| m.known()),
            from: from.map(Day::known),
            to: to.map(Day::known),
            department: None,
        }
    }

    #[test]
    fn a_period_is_a_month_or_two_days_and_at_most_a_year() {
        let today = date(2030, 3, 17);
        assert_eq!(
            period(&ask(None, None, None), today).unwrap(),
            (date(2030, 3, 1), date(2030, 3, 31)),
            "this month"
        );
        assert_eq!(
            period(&ask(Some("2028-02"), None, None), today).unwrap(),
            (date(2028, 2, 1), date(2028, 2, 29))
        );
        assert_eq!(
            period(&ask(Some("2030-12"), None, None), today).unwrap(),
            (date(2030, 12, 1), date(2030, 12, 31))
        );
        let (from, to) = (date(2030, 1, 1), date(2030, 12, 31));
        assert_eq!(
            period(&ask(None, Some(from), Some(to)), today).unwrap(),
            (from, to)
        );
        let refused = |q: PeriodQuery| period(&q, today).unwrap_err().to_string();
        for bad in [
            "2030-13",
            "2030-00",
            "30-03",
            "2030/03",
            "March",
            "2030-03-01",
            "2201-01",
        ] {
            assert!(
                refused(ask(Some(bad), None, None)).contains("month"),
                "{bad}"
            );
        }
        assert!(refused(ask(Some("2030-03"), Some(from), None)).contains("not both"));
        assert!(refused(ask(None, Some(from), None)).contains("both"));
        assert!(refused(ask(None, None, Some(to))).contains("both"));
        assert!(refused(ask(None, Some(to), Some(from))).contains("before the first"));
        let long = ask(None, Some(from), Some(date(2031, 1, 2)));
        assert!(refused(long).contains("at most 366 days"));
    }
}
