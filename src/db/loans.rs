//! Loans (出借): requested → approved (assets reserved) → issued (partially, at the gate or
//! counter) → returned (inspected: fine, damaged or missing); or rejected, cancelled.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use utoipa::ToSchema;

use super::events::{self, Context, OrderKind};
use super::orders::{self, Line, Reserved};
use super::{compensations, page, Error, OptionalExt, Result, Window};
use crate::domain::approvals::{Chain, Step};
use crate::domain::bounds::{Day, Note};
use crate::domain::lifecycle::orders::LoanStatus;
use crate::domain::lifecycle::{AssetAction, AssetState};

const KIND: OrderKind = OrderKind::Loan;

#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct Loan {
    pub id: i64,
    pub department_id: i64,
    pub department: String,
    pub requested_by: i64,
    /// Who asked: their login.
    pub requester: String,
    /// Who asked: their name (their login if they have none).
    pub requester_name: String,
    pub purpose: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub status: LoanStatus,
    /// Issued, not all back, and past its last day.
    pub overdue: bool,
    pub decided_by: Option<i64>,
    pub decided_at: Option<DateTime<Utc>>,
    pub reason: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[sqlx(skip)]
    pub lines: Vec<Line>,
    #[sqlx(skip)]
    pub assets: Vec<Reserved>,
}

// Names are looked up per row (a page's worth), so that the list's `from` is the loans
// alone: counting and seeking a deep page then read only an index.
const SELECT: &str = "select l.id, l.department_id, (select d.name from departments d where d.id = l.department_id) as department,
    l.requested_by, (select u.username from users u where u.id = l.requested_by) as requester,
    (select coalesce(nullif(u.display_name, ''), u.username) from users u where u.id = l.requested_by) as requester_name,
    l.purpose, l.starts_on, l.ends_on, l.status,
    (l.status in ('issued', 'partially_issued') and l.ends_on < depot_today()) as overdue,
    l.decided_by, l.decided_at, l.reason, l.created_at, l.updated_at
    from loans l";

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewLoan {
    /// Defaults to the requester's own department; only admins may request for another.
    pub department_id: Option<i64>,
    /// What it is for: the meeting or event.
    #[schema(value_type = crate::domain::bounds::FilledNote)]
    pub purpose: Note,
    pub starts_on: Day,
    pub ends_on: Day,
    #[schema(value_type = Vec<crate::http::shapes::LoanLine>, min_items = 1, max_items = 200)]
    pub lines: Vec<Line>,
    /// Request even if fewer can be borrowed for the dates than asked for (the depot may
    /// approve part of it, or rent the rest); without it such a request is refused (409),
    /// the shortfall named.
    #[serde(default)]
    pub accept_shortfall: bool,
}

pub async fn create(
    conn: &mut PgConnection,
    department_id: i64,
    new: &NewLoan,
    ctx: &Context,
) -> Result<Loan> {
    orders::check_lines(KIND, &new.lines)?;
    if new.purpose.trim().is_empty() {
        return Err(Error::Invalid("say what the loan is for (purpose)".into()));
    }
    if new.ends_on < new.starts_on {
        return Err(Error::Invalid("a loan cannot end before it starts".into()));
    }
    let actor = ctx
        .actor
        .ok_or_else(|| Error::Invalid("a loan is requested by a person".into()))?;
    let id: i64 = sqlx::query_scalar(
        "insert into loans (department_id, requested_by, purpose, starts_on, ends_on) values ($1, $2, $3, $4, $5) returning id",
    )
    .bind(department_id)
    .bind(actor)
    .bind(new.purpose.trim())
    .bind(new.starts_on)
    .bind(new.ends_on)
    .fetch_one(&mut *conn)
    .await?;
    orders::insert_lines(conn, KIND, id, &new.lines).await?;
    events::record_order(
        conn,
        KIND,
        id,
        "request",
        None,
        LoanStatus::Requested.as_str(),
        ctx,
    )
    .await?;
    get(conn, id).await
}

pub async fn get(conn: &mut PgConnection, id: i64) -> Result<Loan> {
    let mut loan: Loan = sqlx::query_as(&format!("{SELECT} where l.id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .or_not_found(|| format!("loan {id}"))?;
    loan.lines = orders::lines(conn, KIND, id).await?;
    loan.assets = orders::reserved(conn, KIND, id).await?;
    Ok(loan)
}

/// Filters for [`list`]; `status` also accepts the derived `overdue`.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    pub department_id: Option<i64>,
    pub status: Option<String>,
}

pub async fn list(
    conn: &mut PgConnection,
    f: &Filter,
    window: Window,
) -> Result<(Vec<Loan>, super::Total)> {
    // Only the filters given, each in a form an index serves (`loans_department_idx`,
    // `loans_status_idx`, `loans_out_idx` for the overdue ones).
    let mut conditions = Vec::new();
    let mut args = args![];
    if let Some(department) = f.department_id {
        conditions.push(format!(
            "l.department_id = ${}",
            sqlx::Arguments::len(&args) + 1
        ));
        sqlx::Arguments::add(&mut args, department).map_err(sqlx::Error::Encode)?;
    }
    match f.status.as_deref() {
        None => {}
        Some("overdue") => conditions.push(
            "l.status in ('issued', 'partially_issued') and l.ends_on < depot_today()".into(),
        ),
        Some(status) => match LoanStatus::ALL.iter().find(|s| s.as_str() == status) {
            Some(&status) => {
                conditions.push(format!("l.status = ${}", sqlx::Arguments::len(&args) + 1));
                sqlx::Arguments::add(&mut args, status).map_err(sqlx::Error::Encode)?;
            }
            // No loan is in a status that does not exist.
            None => conditions.push("false".into()),
        },
    }
    let filter = if conditions.is_empty() {
        String::new()
    } else {
        format!("where {}", conditions.join(" and "))
    };
    page(conn, SELECT, &filter, "l.id desc", args, window).await
}

/// Loans in `status`, oldest first: a queue worked from its head, a page at a time.
pub async fn queue(
    conn: &mut PgConnection,
    status: LoanStatus,
    window: Window,
) -> Result<(Vec<Loan>, super::Total)> {
    page(
        conn,
        SELECT,
        "where l.status = $1",
        "l.id",
        args![status],
        window,
    )
    .await
}

/// Every loan in `status`, oldest first, as [`queue`] lists them, as they come (for the
/// export).
pub fn queue_rows(conn: &mut PgConnection, status: LoanStatus) -> super::Rows<'_, Loan> {
    static SQL: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| format!("{SELECT} where l.status = $1 order by l.id"));
    let mut args = sqlx::postgres::PgArguments::default();
    if let Err(e) = sqlx::Arguments::add(&mut args, status) {
        return super::reports::failed(e);
    }
    super::rows(conn, SQL.as_str(), args)
}

/// One thing the approval queue lists: a loan request, a loan waiting for finance's
/// sign-off, a transfer request or an appraised disposal (these two have no dates).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Awaiting {
    /// `loan_request`, `awaiting_finance`, `transfer_request` or `disposal_approval`.
    pub kind: String,
    pub id: i64,
    /// The requesting department; empty for a disposal (the depot proposes those).
    pub department: String,
    /// A loan's or transfer's purpose, a disposal's reason.
    pub purpose: String,
    pub requester_name: String,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
}

/// Everything the approval queue lists, as its page shows it: the loan requests, then the
/// loans waiting for finance, then the transfer requests, then the appraised disposals
/// waiting for a second admin, each oldest first, as they come (for the export).
pub fn approval_rows(conn: &mut PgConnection, (): ()) -> super::Rows<'_, Awaiting> {
    const SQL: &str =
        "select kind, id, coalesce(department, '') as department, purpose, requester_name,
                starts_on, ends_on, created_at
         from (select 1 as rank, 'loan_request' as kind, l.id, l.department_id, l.purpose,
                      l.requested_by, l.starts_on, l.ends_on, l.created_at
               from loans l where l.status = 'requested'
               union all
               select 2, 'awaiting_finance', l.id, l.department_id, l.purpose,
                      l.requested_by, l.starts_on, l.ends_on, l.created_at
               from loans l where l.status = 'awaiting_finance'
               union all
               select 3, 'transfer_request', t.id, t.department_id, t.purpose,
                      t.requested_by, null, null, t.created_at
               from transfers t where t.status = 'requested'
               union all
               select 4, 'disposal_approval', p.id, null, p.reason,
                      p.requested_by, null, null, p.created_at
               from disposals p where p.status = 'appraised') w
              left join lateral (select d.name as department from departments d
                                 where d.id = w.department_id) d on true,
              lateral (select coalesce(nullif(u.display_name, ''), u.username) as requester_name
                       from users u where u.id = w.requested_by) u
         order by w.rank, w.id";
    super::rows(conn, SQL, sqlx::postgres::PgArguments::default())
}

/// Which loans the returns desk holds: one department's, or one loan; each `None`: any.
#[derive(Debug, Default, Clone, Copy)]
pub struct OutFilter {
    pub department_id: Option<i64>,
    pub loan_id: Option<i64>,
}

/// The loans out of [`OutFilter`]: its department as `$1`, its loan as `$2`.
const OUT_FILTER: &str = "where l.status in ('issued', 'partially_issued')
       and ($1::bigint is null or l.department_id = $1) and ($2::bigint is null or l.id = $2)";

/// The loans out (issued, wholly or in part) that `filter` picks, soonest due first, a page
/// at a time (from `loans_out_idx`).
pub async fn out(
    conn: &mut PgConnection,
    filter: OutFilter,
    window: Window,
) -> Result<(Vec<Loan>, super::Total)> {
    page(
        conn,
        SELECT,
        OUT_FILTER,
        "l.ends_on, l.id",
        args![filter.department_id, filter.loan_id],
        window,
    )
    .await
}

/// Every loan [`out`] would list, in its order, as they come (for the export).
pub fn out_rows(conn: &mut PgConnection, filter: OutFilter) -> super::Rows<'_, Loan> {
    static SQL: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| format!("{SELECT} {OUT_FILTER} order by l.ends_on, l.id"));
    let mut args = sqlx::postgres::PgArguments::default();
    let added = sqlx::Arguments::add(&mut args, filter.department_id)
        .and_then(|()| sqlx::Arguments::add(&mut args, filter.loan_id));
    if let Err(e) = added {
        return super::reports::failed(e);
    }
    super::rows(conn, SQL.as_str(), args)
}

/// Every loan [`list`] would list, newest first, as they come (for the export).
pub fn filtered_rows(conn: &mut PgConnection, f: Filter) -> super::Rows<'_, Loan> {
    static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        format!(
            "{SELECT} where ($1::bigint is null or l.department_id = $1)
               and ($2::loan_status is null or l.status = $2)
               and (not $3 or (l.status in ('issued', 'partially_issued') and l.ends_on < depot_today()))
               and not $4
             order by l.id desc"
        )
    });
    let (status, overdue, nothing) = match f.status.as_deref() {
        None => (None, false, false),
        Some("overdue") => (None, true, false),
        Some(status) => match LoanStatus::ALL.iter().find(|s| s.as_str() == status) {
            Some(&status) => (Some(status), false, false),
            // No loan is in a status that does not exist.
            None => (None, false, true),
        },
    };
    let mut args = sqlx::postgres::PgArguments::default();
    let added = sqlx::Arguments::add(&mut args, f.department_id)
        .and_then(|()| sqlx::Arguments::add(&mut args, status))
        .and_then(|()| sqlx::Arguments::add(&mut args, overdue))
        .and_then(|()| sqlx::Arguments::add(&mut args, nothing));
    if let Err(e) = added {
        return super::reports::failed(e);
    }
    super::rows(conn, SQL.as_str(), args)
}

/// Every overdue loan (of one department, or all), newest first, as they come (for the
/// export).
pub fn overdue_rows(conn: &mut PgConnection, department_id: Option<i64>) -> super::Rows<'_, Loan> {
    static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        format!(
            "{SELECT} where l.status in ('issued', 'partially_issued') and l.ends_on < depot_today()
               and ($1::bigint is null or l.department_id = $1) order by l.id desc"
        )
    });
    let mut args = sqlx::postgres::PgArguments::default();
    if let Err(e) = sqlx::Arguments::add(&mut args, department_id) {
        return super::reports::failed(e);
    }
    super::rows(conn, SQL.as_str(), args)
}

/// Lock the loan for the rest of the transaction, check that `action` is allowed, and read it.
async fn lock(
    conn: &mut PgConnection,
    id: i64,
    action: &'static str,
) -> Result<(LoanStatus, Loan)> {
    let status = orders::lock(conn, id, action).await?;
    Ok((status, get(conn, id).await?))
}

async fn set_status(
    conn: &mut PgConnection,
    id: i64,
    action: &str,
    from: LoanStatus,
    to: LoanStatus,
    ctx: &Context,
) -> Result<()> {
    orders::set_status(conn, id, action, from, to, ctx).await
}

/// Approve: reserve specific assets (chosen automatically unless `assets` is given). A loan
/// the approval `chain` sends to finance then waits for the finance approver's sign-off,
/// its assets reserved; the event names the value and days that decided it.
pub async fn approve(
    conn: &mut PgConnection,
    id: i64,
    assets: Option<&[i64]>,
    chain: &Chain,
    ctx: &Context,
) -> Result<Loan> {
    let (status, loan) = lock(conn, id, "approve").await?;
    let mut ctx = ctx.clone().order(KIND, id);
    let (from, to) = orders::loan_period(loan.starts_on, loan.ends_on);
    orders::reserve(
        conn,
        KIND,
        id,
        loan.department_id,
        (Some(from), Some(to)),
        assets,
        &ctx,
    )
    .await?;
    record_owners_consent(conn, id, loan.department_id).await?;
    let value_fen = reserved_values(conn, &[id])
        .await?
        .first()
        .map_or(0, |&(_, v)| v);
    let days = (loan.ends_on - loan.starts_on).num_days() + 1;
    let steps = chain.steps(value_fen, days);
    ctx.details = serde_json::json!({ "value_fen": value_fen, "days": days, "steps": steps });
    let next = match steps.last() {
        Some(Step::Finance) => LoanStatus::AwaitingFinance,
        _ => LoanStatus::Approved,
    };
    set_status(conn, id, "approve", status, next, &ctx).await?;
    get(conn, id).await
}

/// For each asset of another department's virtual depot the loan reserves, log that
/// department's consent on the loan: its listing (who listed it, when) is the consent to lend
/// it, and the loan's history names it, the department and the person.
async fn record_owners_consent(conn: &mut PgConnection, id: i64, borrower: i64) -> Result<()> {
    sqlx::query(
        "insert into events (actor_id, asset_id, order_kind, order_id, action, details)
         select listed.actor_id, a.id, 'loan', $1, 'owner_consent',
                jsonb_build_object('owner_department_id', a.owner_department_id,
                                   'owner_department', (select d.name from departments d where d.id = a.owner_department_id),
                                   'listed_at', listed.at)
         from reservations r
         join assets a on a.id = r.asset_id
         cross join lateral (select e.actor_id, e.at from events e
                             where e.asset_id = a.id and e.action = 'list'
                             order by e.id desc limit 1) listed
         where r.order_kind = 'loan' and r.order_id = $1 and r.released_at is null
           and a.virtual_depot and a.owner_department_id is distinct from $2
         order by a.id",
    )
    .bind(id)
    .bind(borrower)
    .execute(conn)
    .await?;
    Ok(())
}

/// The finance approver signs off a loan the chain sent to finance: it is approved.
pub async fn sign_off(conn: &mut PgConnection, id: i64, ctx: &Context) -> Result<Loan> {
    let (status, _) = lock(conn, id, "sign_off").await?;
    let ctx = ctx.clone().order(KIND, id);
    set_status(conn, id, "sign_off", status, LoanStatus::Approved, &ctx).await?;
    get(conn, id).await
}

/// The finance approver refuses it: rejected, with a reason; its reserved assets go back.
pub async fn refuse(conn: &mut PgConnection, id: i64, ctx: &Context) -> Result<Loan> {
    let (status, _) = lock(conn, id, "refuse").await?;
    if ctx.reason.trim().is_empty() {
        return Err(Error::Invalid("give a reason for refusing".into()));
    }
    let ctx = ctx.clone().order(KIND, id);
    orders::release_unissued(conn, KIND, id, &ctx).await?;
    set_status(conn, id, "refuse", status, LoanStatus::Rejected, &ctx).await?;
    get(conn, id).await
}

/// The original value (fen) of what each loan of `ids` holds reserved and not yet back:
/// (loan, value), for the loans that hold anything.
/// Every loan awaiting finance, oldest first, with the original value of the assets it
/// holds reserved (fen), as they come (for the export).
pub fn sign_off_rows(conn: &mut PgConnection, (): ()) -> super::Rows<'_, (Loan, i64)> {
    use futures_util::StreamExt;
    static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        format!(
            "select s.*, (select coalesce(sum(a.original_value_fen), 0)::bigint
                          from reservations r join assets a on a.id = r.asset_id
                          where r.order_kind = 'loan' and r.order_id = s.id
                            and r.released_at is null) as value_fen
             from ({SELECT} where l.status = 'awaiting_finance') s order by s.id"
        )
    });
    super::rows(conn, SQL.as_str(), Default::default())
        .map(|batch| {
            batch.map(|rows: Vec<Valued>| rows.into_iter().map(|v| (v.loan, v.value_fen)).collect())
        })
        .boxed()
}

/// A loan and the value it holds reserved.
#[derive(sqlx::FromRow)]
struct Valued {
    #[sqlx(flatten)]
    loan: Loan,
    value_fen: i64,
}

pub async fn reserved_values(conn: &mut PgConnection, ids: &[i64]) -> Result<Vec<(i64, i64)>> {
    Ok(sqlx::query_as(
        "select r.order_id, sum(a.original_value_fen)::bigint
         from reservations r join assets a on a.id = r.asset_id
         where r.order_kind = 'loan' and r.order_id = any($1) and r.released_at is null
         group by r.order_id order by r.order_id",
    )
    .bind(ids)
    .fetch_all(conn)
    .await?)
}

pub async fn reject(conn: &mut PgConnection, id: i64, ctx: &Context) -> Result<Loan> {
    orders::reject(conn, id, LoanStatus::Rejected, ctx).await?;
    get(conn, id).await
}

/// Cancel before anything is handed over: the reserved assets go back where they were.
pub async fn cancel(conn: &mut PgConnection, id: i64, ctx: &Context) -> Result<Loan> {
    orders::cancel(conn, id, LoanStatus::Cancelled, ctx).await?;
    get(conn, id).await
}

/// Hand over reserved assets (all still waiting, or the given ones): partial issue allowed.
pub async fn issue(
    conn: &mut PgConnection,
    id: i64,
    assets: Option<&[i64]>,
    ctx: &Context,
) -> Result<Loan> {
    let (status, loan) = lock(conn, id, "issue").await?;
    let ctx = ctx.clone().order(KIND, id);
    let waiting: Vec<i64> = sqlx::query_scalar(
        "select asset_id from reservations where order_kind = 'loan' and order_id = $1
         and issued_at is null and released_at is null order by asset_id",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let to_issue: Vec<i64> = match assets {
        None => waiting.clone(),
        Some(ids) => {
            if let Some(stray) = ids.iter().find(|a| !waiting.contains(a)) {
                return Err(Error::Invalid(format!(
                    "asset {stray} is not waiting to be issued on loan {id}"
                )));
            }
            ids.to_vec()
        }
    };
    if to_issue.is_empty() {
        return Err(Error::Conflict(format!(
            "loan {id} has nothing left to issue"
        )));
    }
    for &asset_id in &to_issue {
        on_the_shelf(conn, id, asset_id).await?;
        events::transition(conn, asset_id, AssetAction::Issue, &ctx).await?;
        sqlx::query("update reservations set issued_at = now() where order_kind = 'loan' and order_id = $1 and asset_id = $2 and released_at is null")
            .bind(id)
            .bind(asset_id)
            .execute(&mut *conn)
            .await?;
        sqlx::query("update assets set holder_department_id = $2, zone_id = null where id = $1")
            .bind(asset_id)
            .bind(loan.department_id)
            .execute(&mut *conn)
            .await?;
    }
    let next = if to_issue.len() == waiting.len() {
        LoanStatus::Issued
    } else {
        LoanStatus::PartiallyIssued
    };
    set_status(conn, id, "issue", status, next, &ctx).await?;
    get(conn, id).await
}

/// Only what is on the shelf is handed over: an asset booked for this loan that is still out
/// on an earlier one (or in repair, or lost) cannot be issued yet, and one booked first for
/// an earlier loan goes out on that one first.
async fn on_the_shelf(conn: &mut PgConnection, id: i64, asset_id: i64) -> Result<()> {
    let (name, state): (String, AssetState) =
        sqlx::query_as("select name, state from assets where id = $1")
            .bind(asset_id)
            .fetch_one(&mut *conn)
            .await?;
    if state == AssetState::OnLoan {
        let out: Option<(i64, NaiveDate)> = sqlx::query_as(
            "select l.id, l.ends_on from reservations r join loans l on l.id = r.order_id
             where r.asset_id = $1 and r.order_kind = 'loan' and r.issued_at is not null and r.returned_at is null
             limit 1",
        )
        .bind(asset_id)
        .fetch_optional(&mut *conn)
        .await?;
        let still = match out {
            Some((other, due)) => format!("still out on loan {other} (due back {due})"),
            None => "still out".to_owned(),
        };
        return Err(Error::Conflict(format!(
            "asset {asset_id} ({name}) is {still}: it can be issued on loan {id} once it is back, or swapped for another"
        )));
    }
    if state != AssetState::Reserved {
        return Err(Error::Conflict(format!(
            "asset {asset_id} ({name}) is {state}, not on the shelf: it cannot be issued on loan {id}; swap it for another"
        )));
    }
    let earlier: Option<(i64, NaiveDate)> = sqlx::query_as(
        "select l.id, l.starts_on from reservations r join reservations mine
             on mine.asset_id = r.asset_id and mine.order_kind = 'loan' and mine.order_id = $2
                and mine.issued_at is null and mine.released_at is null
         join loans l on r.order_kind = 'loan' and l.id = r.order_id
         where r.asset_id = $1 and r.id <> mine.id and r.issued_at is null and r.released_at is null
           and lower(r.period) < lower(mine.period) and upper(r.period) > now()
           and l.status in ('approved', 'partially_issued')
         order by lower(r.period) limit 1",
    )
    .bind(asset_id)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some((other, starts)) = earlier {
        return Err(Error::Conflict(format!(
            "asset {asset_id} ({name}) is booked first for loan {other} from {starts}: issue it there first"
        )));
    }
    Ok(())
}

/// The state an asset comes back in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    #[default]
    Fine,
    Damaged,
    Missing,
}

impl Condition {
    fn as_str(self) -> &'static str {
        match self {
            Condition::Fine => "fine",
            Condition::Damaged => "damaged",
            Condition::Missing => "missing",
        }
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnedItem {
    pub asset_id: i64,
    #[serde(default)]
    pub condition: Condition,
    /// Zone it was put back in.
    pub zone_id: Option<i64>,
    #[serde(default)]
    pub note: Note,
}

/// Take back issued assets with their inspection. Damage or loss opens a compensation case
/// against the borrowing department. When nothing issued is still out, the loan is returned.
pub async fn return_items(
    conn: &mut PgConnection,
    id: i64,
    items: Option<&[ReturnedItem]>,
    ctx: &Context,
) -> Result<Loan> {
    take_back(
        conn,
        id,
        items.map(|items| items.iter().map(|i| (i.clone(), true)).collect()),
        ctx,
    )
    .await
}

/// An asset on this loan came back through a gate: it is returned, pending inspection.
pub async fn return_at_gate(
    conn: &mut PgConnection,
    id: i64,
    asset_id: i64,
    zone_id: i64,
    ctx: &Context,
) -> Result<Loan> {
    let item = ReturnedItem {
        asset_id,
        condition: Condition::Fine,
        zone_id: Some(zone_id),
        note: Default::default(),
    };
    take_back(conn, id, Some(vec![(item, false)]), ctx).await
}

/// `(item, inspected)`: an uninspected item is taken back in good faith with no condition
/// recorded until [`inspect`].
async fn take_back(
    conn: &mut PgConnection,
    id: i64,
    items: Option<Vec<(ReturnedItem, bool)>>,
    ctx: &Context,
) -> Result<Loan> {
    let (status, loan) = lock(conn, id, "return").await?;
    let department_id = loan.department_id;
    let ctx = ctx.clone().order(KIND, id);
    let out: Vec<i64> = sqlx::query_scalar(
        "select asset_id from reservations where order_kind = 'loan' and order_id = $1
         and issued_at is not null and returned_at is null order by asset_id",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let items: Vec<(ReturnedItem, bool)> = match items {
        Some(items) => items,
        None => out
            .iter()
            .map(|&asset_id| {
                (
                    ReturnedItem {
                        asset_id,
                        condition: Condition::Fine,
                        zone_id: None,
                        note: Default::default(),
                    },
                    true,
                )
            })
            .collect(),
    };
    if items.is_empty() {
        return Err(Error::Invalid("name the assets that came back".into()));
    }
    let mut seen = std::collections::HashSet::new();
    if let Some((twice, _)) = items.iter().find(|(i, _)| !seen.insert(i.asset_id)) {
        return Err(Error::Invalid(format!(
            "asset {} is named twice",
            twice.asset_id
        )));
    }
    for (item, inspected) in &items {
        if !out.contains(&item.asset_id) {
            return Err(Error::Invalid(format!(
                "asset {} is not out on loan {id}",
                item.asset_id
            )));
        }
        let action = match item.condition {
            Condition::Fine => AssetAction::Return,
            Condition::Damaged => AssetAction::ReturnDamaged,
            Condition::Missing => AssetAction::MarkLost,
        };
        let condition = inspected.then(|| item.condition.as_str());
        let mut item_ctx = ctx.clone();
        if !item.note.is_empty() {
            item_ctx.reason = item.note.to_string();
        }
        item_ctx.details = merge_details(
            &ctx.details,
            serde_json::json!({ "condition": condition.unwrap_or("pending inspection") }),
        );
        events::transition(conn, item.asset_id, action, &item_ctx).await?;
        sqlx::query(
            "update reservations set returned_at = now(), released_at = now(), condition = $3
             where order_kind = 'loan' and order_id = $1 and asset_id = $2 and returned_at is null",
        )
        .bind(id)
        .bind(item.asset_id)
        .bind(condition)
        .execute(&mut *conn)
        .await?;
        if item.condition != Condition::Missing {
            sqlx::query(
                "update assets set holder_department_id = case when virtual_depot then owner_department_id end,
                    zone_id = case when virtual_depot then null else $2 end where id = $1",
            )
            .bind(item.asset_id)
            .bind(item.zone_id)
            .execute(&mut *conn)
            .await?;
        }
        if item.condition != Condition::Fine {
            let kind = if item.condition == Condition::Damaged {
                compensations::Kind::Damage
            } else {
                compensations::Kind::Loss
            };
            compensations::open(
                conn,
                item.asset_id,
                department_id,
                Some(id),
                kind,
                &item.note,
                &ctx,
            )
            .await?;
        }
    }
    let still_out = out.len() - items.len();
    if still_out == 0 {
        orders::release_unissued(conn, KIND, id, &ctx).await?;
        set_status(conn, id, "return", status, LoanStatus::Returned, &ctx).await?;
    } else {
        events::record_order(
            conn,
            KIND,
            id,
            "return",
            Some(status.as_str()),
            status.as_str(),
            &ctx,
        )
        .await?;
    }
    get(conn, id).await
}

fn merge_details(base: &serde_json::Value, extra: serde_json::Value) -> serde_json::Value {
    match (base, extra) {
        (serde_json::Value::Object(a), serde_json::Value::Object(b)) => {
            let mut merged = a.clone();
            merged.extend(b);
            serde_json::Value::Object(merged)
        }
        (_, extra) => extra,
    }
}

/// What a keeper found inspecting an asset that came back through the gate.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Inspection {
    pub asset_id: i64,
    /// fine, damaged, or missing (the gate counted it in, but it is not there)
    pub condition: Condition,
    #[serde(default)]
    pub note: Note,
}

/// Record the inspection of assets returned pending inspection. Damage sends the asset to
/// repair, and an asset the gate counted in but that is not there is lost; either opens a
/// compensation case against the borrowing department.
pub async fn inspect(
    conn: &mut PgConnection,
    id: i64,
    items: &[Inspection],
    ctx: &Context,
) -> Result<Loan> {
    let department_id: i64 =
        sqlx::query_scalar("select department_id from loans where id = $1 for update")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?
            .or_not_found(|| format!("loan {id}"))?;
    let ctx = ctx.clone().order(KIND, id);
    for item in items {
        let pending: bool = sqlx::query_scalar(
            "select exists (select 1 from reservations where order_kind = 'loan' and order_id = $1 and asset_id = $2
                            and returned_at is not null and condition is null)",
        )
        .bind(id)
        .bind(item.asset_id)
        .fetch_one(&mut *conn)
        .await?;
        if !pending {
            return Err(Error::Conflict(format!(
                "asset {} is not awaiting inspection on loan {id}",
                item.asset_id
            )));
        }
        match item.condition {
            Condition::Fine => {
                let mut item_ctx = ctx.clone();
                item_ctx.details = serde_json::json!({ "condition": "fine" });
                events::record_asset_note(conn, item.asset_id, "inspect", &item_ctx).await?;
            }
            Condition::Damaged => {
                let item_ctx = ctx.clone().reason(item.note.to_string());
                events::transition(conn, item.asset_id, AssetAction::SendToRepair, &item_ctx)
                    .await?;
                compensations::open(
                    conn,
                    item.asset_id,
                    department_id,
                    Some(id),
                    compensations::Kind::Damage,
                    &item.note,
                    &ctx,
                )
                .await?;
            }
            Condition::Missing => {
                let item_ctx = ctx.clone().reason(item.note.to_string());
                events::transition(conn, item.asset_id, AssetAction::MarkLost, &item_ctx).await?;
                sqlx::query("update assets set zone_id = null where id = $1")
                    .bind(item.asset_id)
                    .execute(&mut *conn)
                    .await?;
                compensations::open(
                    conn,
                    item.asset_id,
                    department_id,
                    Some(id),
                    compensations::Kind::Loss,
                    &item.note,
                    &ctx,
                )
                .await?;
            }
        }
        sqlx::query("update reservations set condition = $3 where order_kind = 'loan' and order_id = $1 and asset_id = $2 and condition is null")
            .bind(id)
            .bind(item.asset_id)
            .bind(item.condition.as_str())
            .execute(&mut *conn)
            .await?;
    }
    get(conn, id).await
}
