//! Paperwork by how long it has been in its status, for the time limits (限时办结).
//!
//! An order's `updated_at` is the moment it entered its status: status changes are the only
//! changes made to an order's row once it is requested. Each query reads one status of one
//! kind, oldest first, through `(status, updated_at)` or the loans' date indexes, a page of
//! rows at a time.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgConnection;

use super::events::OrderKind;
use super::{Error, Result};

/// Paperwork still in a status, with what a time limit needs of it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Waiting {
    pub id: i64,
    pub department_id: Option<i64>,
    pub department: Option<String>,
    /// What it is about: a loan's or transfer's purpose, a disposal's reason, …
    pub about: String,
    pub since: DateTime<Utc>,
    /// The day it entered its status, as the database dates things.
    pub since_on: NaiveDate,
    /// A loan's first and last days.
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
}

/// (table, status type, department column, about, dates) of each kind of paperwork.
fn table(
    kind: OrderKind,
) -> (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
) {
    match kind {
        OrderKind::Loan => (
            "loans",
            "loan_status",
            "department_id",
            "purpose",
            "starts_on, ends_on",
        ),
        OrderKind::Transfer => (
            "transfers",
            "transfer_status",
            "department_id",
            "purpose",
            "null::date as starts_on, null::date as ends_on",
        ),
        OrderKind::Disposal => (
            "disposals",
            "disposal_status",
            "null::bigint",
            "reason",
            "null::date as starts_on, null::date as ends_on",
        ),
        OrderKind::Intake => (
            "intakes",
            "intake_status",
            "source_department_id",
            "description",
            "null::date as starts_on, null::date as ends_on",
        ),
        OrderKind::Compensation => (
            "compensations",
            "compensation_status",
            "department_id",
            "(select a.name from assets a where a.id = asset_id)",
            "null::date as starts_on, null::date as ends_on",
        ),
        OrderKind::Rental => (
            "rentals",
            "rental_status",
            "department_id",
            "supplier",
            "starts_on, ends_on",
        ),
    }
}

/// Which moment of a status the limit counts from.
#[derive(Debug, Clone, Copy)]
pub enum Past {
    /// Entered the status on this day or before.
    EnteredBy(NaiveDate),
    /// A loan whose first day is before today.
    FirstDay,
    /// A loan whose last day is before today.
    LastDay,
}

impl Past {
    /// The day of [`Past::EnteredBy`], the query's `$3`.
    fn cutoff(self) -> Option<NaiveDate> {
        match self {
            Past::EnteredBy(day) => Some(day),
            _ => None,
        }
    }
}

/// Paperwork of `kind` in `status` that is past its limit as `past` says, of one department
/// or all, oldest first: one page of it, and how many in all (counted up to
/// [`super::COUNT_CAP`]).
pub async fn past(
    conn: &mut PgConnection,
    kind: OrderKind,
    status: &str,
    past: Past,
    department: Option<i64>,
    window: super::Window,
) -> Result<(Vec<Waiting>, super::Total)> {
    let (select, filter, order) = past_query(kind, past)?;
    super::page(
        conn,
        &select,
        &filter,
        order,
        args![status, department, past.cutoff()],
        window,
    )
    .await
}

/// What [`past`] pages through, whole, oldest first, as it comes (for the export).
pub fn past_rows(
    conn: &mut PgConnection,
    (kind, status, past, department): (OrderKind, String, Past, Option<i64>),
) -> super::Rows<'_, Waiting> {
    use futures_util::StreamExt;
    let query = || -> Result<(String, sqlx::postgres::PgArguments)> {
        let (select, filter, order) = past_query(kind, past)?;
        let sql = format!("{select} {filter} order by {order}");
        Ok((sql, args![status, department, past.cutoff()]))
    };
    match query() {
        Ok((sql, args)) => super::rows(conn, &sql, args),
        Err(e) => futures_util::stream::once(async { Err(e) }).boxed(),
    }
}

/// The select, the filter (status `$1`, department `$2`, cutoff day `$3`) and the order of
/// the paperwork of `kind` past its limit.
fn past_query(kind: OrderKind, past: Past) -> Result<(String, String, &'static str)> {
    let (table, status_type, department_column, about, dates) = table(kind);
    let (condition, order) = match (past, kind) {
        (Past::EnteredBy(_), _) => (
            "updated_at < depot_day_start($3::date + 1)",
            "updated_at, id",
        ),
        (Past::FirstDay, OrderKind::Loan) => ("starts_on < depot_today()", "starts_on, id"),
        (Past::LastDay, OrderKind::Loan) => ("ends_on < depot_today()", "ends_on, id"),
        _ => {
            return Err(Error::Invalid(format!(
                "only a loan is due by its own dates, not a {}",
                kind.as_str()
            )))
        }
    };
    let select = format!(
        "select id, {department_column} as department_id,
            (select d.name from departments d where d.id = {department_column}) as department,
            {about} as about, updated_at as since, depot_date(updated_at) as since_on, {dates}
         from {table}"
    );
    let filter = format!(
        "where status = $1::text::{status_type} and {condition}
           and ($2::bigint is null or {department_column} = $2)"
    );
    Ok((select, filter, order))
}
