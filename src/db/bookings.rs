//! Forward bookings: a loan books assets for its period whatever they do now (out on an
//! earlier loan, held for one). Here: the bookings that cannot be issued because their asset
//! is not back (a late return, a repair, a loss) — collisions — their alerts, and the swap
//! that puts another asset of the category on the booking.

use chrono::{NaiveDate, Utc};
use serde::Serialize;
use sqlx::PgConnection;
use utoipa::ToSchema;

use super::alerts::{self, Alert, AlertKind};
use super::events::{self, Context, OrderKind};
use super::loans::{self, Loan};
use super::orders::{self, BUSY};
use super::{Error, OptionalExt, Result};
use crate::domain::lifecycle::orders::LoanStatus;
use crate::domain::lifecycle::AssetState;

/// How many days ahead a booking whose asset is not back counts as a collision: a week for
/// the depot to swap it before the loan is picked.
pub const HORIZON_DAYS: i32 = 7;

/// A booking its asset may not be back for: the asset is out past its last day on an earlier
/// loan, or in repair, lost, or gone.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct Collision {
    pub reservation_id: i64,
    /// The loan that booked the asset.
    pub loan_id: i64,
    pub department_id: i64,
    pub department: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub asset_id: i64,
    pub asset: String,
    pub epc: String,
    pub category_id: i64,
    pub state: AssetState,
    /// The loan the asset is still out on, past its last day (none: in repair, lost, …).
    pub out_on: Option<i64>,
    /// That loan's last day.
    pub due_on: Option<NaiveDate>,
    /// That loan's department: a department reads another's loan as no loan at all.
    #[serde(skip)]
    pub out_department_id: Option<i64>,
    /// Another asset of the category free for the booking's whole period, proposed in its
    /// place (none: nothing is free).
    #[sqlx(skip)]
    pub swap: Option<Replacement>,
}

/// An asset proposed in place of another.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Replacement {
    pub asset_id: i64,
    pub name: String,
    pub epc: String,
}

/// A collision's columns and tables: a loan's booking that is neither issued nor released,
/// its asset, and the loan the asset is still out on, if any.
const COLLISIONS: &str = "select r.id as reservation_id, l.id as loan_id, l.department_id, d.name as department,
                l.starts_on, l.ends_on, a.id as asset_id, a.name as asset, a.epc, a.category_id, a.state,
                o.id as out_on, o.ends_on as due_on, o.department_id as out_department_id
         from loans l
         join reservations r on r.order_kind = 'loan' and r.order_id = l.id
              and r.issued_at is null and r.released_at is null
         join departments d on d.id = l.department_id
         join assets a on a.id = r.asset_id
         left join lateral (
             select ol.id, ol.ends_on, ol.department_id from reservations x join loans ol on x.order_kind = 'loan' and ol.id = x.order_id
             where x.asset_id = a.id and x.issued_at is not null and x.returned_at is null and x.released_at is null
             limit 1) o on true";

/// Which bookings collide: an approved loan's starting within `$1` days (or started), of
/// department `$2` (null: any), whose asset is out past its last day or not in custody.
/// The asset's own `out_until` (the last day of the loan it is out on) tells it, so the
/// loan holding it is looked up only for the collisions, not for every booking.
const COLLIDING: &str =
    "where l.status in ('approved', 'partially_issued') and l.starts_on <= depot_today() + $1
           and ($2::bigint is null or l.department_id = $2)
           and ((a.state = 'on_loan' and a.out_until < depot_today())
                or a.state not in ('in_stock', 'listed', 'reserved', 'on_loan'))";

/// The collisions' order: soonest first.
const SOONEST: &str = "l.starts_on, l.id, a.id";

/// How many collisions one sweep of [`raise_alerts`] alerts at most; the rest wait for the
/// next sweep (ten minutes on).
pub const ALERTS_PER_SWEEP: i64 = 500;

/// The collisions of bookings starting within [`HORIZON_DAYS`] (or already started) that
/// have no alert yet, soonest first, at most [`ALERTS_PER_SWEEP`] of them.
async fn unalerted(conn: &mut PgConnection) -> Result<Vec<Collision>> {
    let mut found: Vec<Collision> = sqlx::query_as(&format!(
        "{COLLISIONS} {COLLIDING}
           and not exists (select 1 from alerts x
                           where x.fact_key = 'booking:' || r.id::text and x.kind = 'booking_collision')
         order by {SOONEST} limit $3"
    ))
    .bind(HORIZON_DAYS)
    .bind(None::<i64>)
    .bind(ALERTS_PER_SWEEP)
    .fetch_all(&mut *conn)
    .await?;
    completed(conn, None, &mut found).await?;
    Ok(found)
}

/// One page of the collisions of bookings starting within [`HORIZON_DAYS`] (or already
/// started), soonest first, of one department's loans or all, and how many there are
/// (counted up to [`super::COUNT_CAP`]): a replacement is proposed for the page's only.
pub async fn collisions_page(
    conn: &mut PgConnection,
    department_id: Option<i64>,
    window: super::Window,
) -> Result<(Vec<Collision>, super::Total)> {
    let (mut found, total) = super::page(
        conn,
        COLLISIONS,
        COLLIDING,
        SOONEST,
        args![HORIZON_DAYS, department_id],
        window,
    )
    .await?;
    completed(conn, department_id, &mut found).await?;
    Ok((found, total))
}

/// Collisions as `department_id` (none: the depot) reads them, each with the asset proposed
/// in its place.
async fn completed(
    conn: &mut PgConnection,
    department_id: Option<i64>,
    found: &mut [Collision],
) -> Result<()> {
    for c in found {
        // A department learns that the asset is not back, not whose loan holds it.
        if department_id.is_some() && c.out_department_id != department_id {
            c.out_on = None;
            c.due_on = None;
        }
        c.swap = replacement(
            conn,
            c.category_id,
            c.department_id,
            (c.starts_on, c.ends_on),
            c.asset_id,
        )
        .await?;
    }
    Ok(())
}

/// The first asset of a category free for a loan's whole period, other than `instead_of`:
/// on the shelf first, as approval chooses.
async fn replacement(
    conn: &mut PgConnection,
    category_id: i64,
    department_id: i64,
    dates: (NaiveDate, NaiveDate),
    instead_of: i64,
) -> Result<Option<Replacement>> {
    let free =
        super::catalogue::free_assets(conn, &[category_id], department_id, dates, &[instead_of], 1)
            .await?;
    Ok(free
        .into_iter()
        .next()
        .map(|(asset_id, name, epc)| Replacement {
            asset_id,
            name,
            epc,
        }))
}

/// Raise an alert for each collision not yet alerted (one per booking, whatever the sweeps;
/// at most [`ALERTS_PER_SWEEP`] a sweep): the alerts raised now.
pub async fn raise_alerts(conn: &mut PgConnection) -> Result<Vec<Alert>> {
    let mut raised = Vec::new();
    for c in unalerted(conn).await? {
        let why = match (c.out_on, c.due_on) {
            (Some(out), Some(due)) => format!("is still out on loan {out} (due back {due})"),
            _ => format!("is {}", c.state),
        };
        let swap = match &c.swap {
            Some(r) => format!("; swap it for asset {} ({})", r.asset_id, r.name),
            None => "; no other asset of its category is free for those dates".into(),
        };
        let message = format!(
            "asset {} ({}) {why} and is booked for loan {} ({}) from {}{swap}",
            c.asset_id, c.asset, c.loan_id, c.department, c.starts_on
        );
        let alert: Option<Alert> = sqlx::query_as(
            "insert into alerts (kind, fact_key, epc, asset_id, at, message, order_kind, order_id, reservation_id)
             values ($1, 'booking:' || $2::text, $3, $4, $5, $6, 'loan', $7, $2)
             on conflict (fact_key, kind) do nothing returning *",
        )
        .bind(AlertKind::BookingCollision)
        .bind(c.reservation_id)
        .bind(&c.epc)
        .bind(c.asset_id)
        .bind(Utc::now())
        .bind(&message)
        .bind(c.loan_id)
        .fetch_optional(&mut *conn)
        .await?;
        raised.extend(alert);
    }
    Ok(raised)
}

/// Swap a booked asset on an approved loan for another of its category free for the loan's
/// whole period (`replacement`, or the first such): the booking of the one ends, the other
/// is booked, the loan's history says so, and the collision's alert is closed.
pub async fn swap(
    conn: &mut PgConnection,
    loan_id: i64,
    asset_id: i64,
    replacement_id: Option<i64>,
    ctx: &Context,
) -> Result<Loan> {
    let status: LoanStatus = orders::lock(conn, loan_id, "swap").await?;
    let loan = loans::get(conn, loan_id).await?;
    let ctx = ctx.clone().order(OrderKind::Loan, loan_id);
    let replacement_id = replacement_for(conn, &loan, asset_id, replacement_id).await?;
    let mut swap_ctx = ctx.clone();
    swap_ctx.details =
        serde_json::json!({ "asset_id": asset_id, "replacement_id": replacement_id });
    let line_id: Option<i64> = sqlx::query_scalar(
        "select line_id from reservations where order_kind = 'loan' and order_id = $1 and asset_id = $2
         and issued_at is null and released_at is null",
    )
    .bind(loan_id)
    .bind(asset_id)
    .fetch_optional(&mut *conn)
    .await?
    .flatten();
    orders::release_one(conn, OrderKind::Loan, loan_id, asset_id, &swap_ctx).await?;
    let (from, to) = orders::loan_period(loan.starts_on, loan.ends_on);
    orders::reserve(
        conn,
        OrderKind::Loan,
        loan_id,
        loan.department_id,
        (Some(from), Some(to)),
        Some(&[replacement_id]),
        &swap_ctx,
    )
    .await?;
    // The replacement takes the swapped asset's place on its line (a kit's part).
    sqlx::query(
        "update reservations set line_id = $3 where order_kind = 'loan' and order_id = $1 and asset_id = $2
         and released_at is null",
    )
    .bind(loan_id)
    .bind(replacement_id)
    .bind(line_id)
    .execute(&mut *conn)
    .await?;
    events::record_order(
        conn,
        OrderKind::Loan,
        loan_id,
        "swap",
        Some(status.as_str()),
        status.as_str(),
        &swap_ctx,
    )
    .await?;
    if let Some(actor) = ctx.actor {
        let note = format!("swapped for asset {replacement_id} on loan {loan_id}");
        let open: Vec<i64> = sqlx::query_scalar(
            "select a.id from alerts a join reservations r on r.id = a.reservation_id
             where r.order_kind = 'loan' and r.order_id = $1 and r.asset_id = $2 and a.acknowledged_at is null",
        )
        .bind(loan_id)
        .bind(asset_id)
        .fetch_all(&mut *conn)
        .await?;
        for id in open {
            alerts::close(conn, id, actor, &note, None).await?;
        }
    }
    loans::get(conn, loan_id).await
}

/// The asset a swap on `loan` books in place of `asset_id`: `replacement_id` if it is of the
/// same category and free for the loan's dates, else (none given) the first such.
async fn replacement_for(
    conn: &mut PgConnection,
    loan: &Loan,
    asset_id: i64,
    replacement_id: Option<i64>,
) -> Result<i64> {
    let loan_id = loan.id;
    let dates = (loan.starts_on, loan.ends_on);
    let category_id: i64 = sqlx::query_scalar("select category_id from assets where id = $1")
        .bind(asset_id)
        .fetch_optional(&mut *conn)
        .await?
        .or_not_found(|| format!("asset {asset_id}"))?;
    Ok(match replacement_id {
        Some(id) if id == asset_id => {
            return Err(Error::Invalid(
                "swap an asset for another one (replacement_id)".into(),
            ));
        }
        Some(id) => {
            if !is_free(conn, id, category_id, loan.department_id, dates).await? {
                return Err(Error::Conflict(format!(
                    "asset {id} is not an asset of the same category free for loan {loan_id}'s dates ({} to {})",
                    loan.starts_on, loan.ends_on
                )));
            }
            id
        }
        None => replacement(conn, category_id, loan.department_id, dates, asset_id)
            .await?
            .map(|r| r.asset_id)
            .ok_or_else(|| {
                Error::Conflict(format!(
                    "no other asset of the category of asset {asset_id} is free from {} to {}",
                    loan.starts_on, loan.ends_on
                ))
            })?,
    })
}

/// What a swap would do: on `loan`, the booking of `asset` ends and `replacement` is booked
/// (each an asset's id and name).
#[derive(Debug, Clone)]
pub struct SwapPlan {
    pub loan: Loan,
    pub asset: (i64, String),
    pub replacement: (i64, String),
}

/// What [`swap`] would do with the same arguments, changing nothing: refused as it would be
/// (the loan's status, the replacement not free), else the assets let go and booked.
pub async fn swap_plan(
    conn: &mut PgConnection,
    loan_id: i64,
    asset_id: i64,
    replacement_id: Option<i64>,
) -> Result<SwapPlan> {
    let loan = loans::get(conn, loan_id).await?;
    crate::domain::lifecycle::orders::check(
        crate::domain::lifecycle::orders::LOAN_ACTIONS,
        "loan",
        loan_id,
        "swap",
        loan.status,
    )?;
    let replacement_id = replacement_for(conn, &loan, asset_id, replacement_id).await?;
    let named: Vec<(i64, String)> =
        sqlx::query_as("select id, name from assets where id = any($1)")
            .bind([asset_id, replacement_id])
            .fetch_all(&mut *conn)
            .await?;
    let name = |id: i64| {
        named
            .iter()
            .find(|(a, _)| *a == id)
            .cloned()
            .unwrap_or((id, String::new()))
    };
    Ok(SwapPlan {
        asset: name(asset_id),
        replacement: name(replacement_id),
        loan,
    })
}

/// Whether an asset of `category_id` may be booked for a loan of `department_id` over
/// `dates`: the same rule as approval's choice.
async fn is_free(
    conn: &mut PgConnection,
    asset_id: i64,
    category_id: i64,
    department_id: i64,
    dates: (NaiveDate, NaiveDate),
) -> Result<bool> {
    let (from, to) = orders::loan_period(dates.0, dates.1);
    Ok(sqlx::query_scalar(&format!(
        "select exists (select 1 from assets a
             where a.id = $1 and a.category_id = $2 and a.state in {states}
               and not (a.virtual_depot and a.owner_department_id = $3)
               and not exists (select 1 from reservations r where r.asset_id = a.id and r.released_at is null
                               and {BUSY}))",
        states = orders::bookable_states(OrderKind::Loan),
    ))
    .bind(asset_id)
    .bind(category_id)
    .bind(department_id)
    .bind(from)
    .bind(to)
    .fetch_one(conn)
    .await?)
}
