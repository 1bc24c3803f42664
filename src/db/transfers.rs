//! Transfers (调配): a department asks for assets to keep; requested → approved (assets
//! reserved from today, open-ended) → completed (allocated: ownership moves to the
//! department); or rejected, cancelled.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use utoipa::ToSchema;

use super::events::{self, Context, OrderKind};
use super::orders::{self, Line, Reserved};
use super::{page, Error, OptionalExt, Result, Window};
use crate::domain::bounds::Note;
use crate::domain::lifecycle::orders::TransferStatus;
use crate::domain::lifecycle::AssetAction;

const KIND: OrderKind = OrderKind::Transfer;

#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct Transfer {
    pub id: i64,
    /// The department the assets are reallocated to.
    pub department_id: i64,
    pub department: String,
    pub requested_by: i64,
    /// Who asked: their login.
    pub requester: String,
    /// Who asked: their name (their login if they have none).
    pub requester_name: String,
    pub purpose: String,
    pub status: TransferStatus,
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

const SELECT: &str = "select t.id, t.department_id, d.name as department, t.requested_by, u.username as requester,
    coalesce(nullif(u.display_name, ''), u.username) as requester_name,
    t.purpose, t.status, t.decided_by, t.decided_at, t.reason, t.created_at, t.updated_at
    from transfers t join departments d on d.id = t.department_id join users u on u.id = t.requested_by";

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTransfer {
    /// Defaults to the requester's own department; only admins may request for another.
    pub department_id: Option<i64>,
    /// Why the department needs the assets for good.
    #[schema(value_type = crate::domain::bounds::FilledNote)]
    pub purpose: Note,
    #[schema(value_type = Vec<crate::http::shapes::TransferLine>, min_items = 1, max_items = 200)]
    pub lines: Vec<Line>,
}

/// Record a request for `department_id`, with its lines.
pub async fn create(
    conn: &mut PgConnection,
    department_id: i64,
    new: &NewTransfer,
    ctx: &Context,
) -> Result<Transfer> {
    orders::check_lines(KIND, &new.lines)?;
    if new.purpose.trim().is_empty() {
        return Err(Error::Invalid(
            "say what the transfer is for (purpose)".into(),
        ));
    }
    let actor = ctx
        .actor
        .ok_or_else(|| Error::Invalid("a transfer is requested by a person".into()))?;
    let id: i64 = sqlx::query_scalar("insert into transfers (department_id, requested_by, purpose) values ($1, $2, $3) returning id")
        .bind(department_id)
        .bind(actor)
        .bind(new.purpose.trim())
        .fetch_one(&mut *conn)
        .await?;
    orders::insert_lines(conn, KIND, id, &new.lines).await?;
    events::record_order(
        conn,
        KIND,
        id,
        "request",
        None,
        TransferStatus::Requested.as_str(),
        ctx,
    )
    .await?;
    get(conn, id).await
}

/// One transfer with its lines and the assets it holds or handed over.
pub async fn get(conn: &mut PgConnection, id: i64) -> Result<Transfer> {
    let mut transfer: Transfer = sqlx::query_as(&format!("{SELECT} where t.id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .or_not_found(|| format!("transfer {id}"))?;
    transfer.lines = orders::lines(conn, KIND, id).await?;
    transfer.assets = orders::reserved(conn, KIND, id).await?;
    Ok(transfer)
}

/// Filters for [`list`].
#[derive(Debug, Default, Clone)]
pub struct Filter {
    pub department_id: Option<i64>,
    pub status: Option<TransferStatus>,
}

/// One page of transfers, newest first (without lines and assets), and the total.
pub async fn list(
    conn: &mut PgConnection,
    f: &Filter,
    window: Window,
) -> Result<(Vec<Transfer>, super::Total)> {
    const WHERE: &str = "where ($1::bigint is null or t.department_id = $1) and ($2::transfer_status is null or t.status = $2)";
    let args = args![f.department_id, f.status];
    page(conn, SELECT, WHERE, "t.id desc", args, window).await
}

/// Transfers in `status`, oldest first: a queue worked from its head, a page at a time.
pub async fn queue(
    conn: &mut PgConnection,
    status: TransferStatus,
    window: Window,
) -> Result<(Vec<Transfer>, super::Total)> {
    page(
        conn,
        SELECT,
        "where t.status = $1",
        "t.id",
        args![status],
        window,
    )
    .await
}

/// Every transfer [`list`] would list, newest first, as they come (for the export).
pub fn filtered_rows(conn: &mut PgConnection, f: Filter) -> super::Rows<'_, Transfer> {
    static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        format!(
            "{SELECT} where ($1::bigint is null or t.department_id = $1)
               and ($2::transfer_status is null or t.status = $2)
             order by t.id desc"
        )
    });
    let mut args = sqlx::postgres::PgArguments::default();
    let added = sqlx::Arguments::add(&mut args, f.department_id)
        .and_then(|()| sqlx::Arguments::add(&mut args, f.status));
    if let Err(e) = added {
        return super::reports::failed(e);
    }
    super::rows(conn, SQL.as_str(), args)
}

/// Lock the transfer for the rest of the transaction, check that `action` is allowed, and
/// read the department it is for.
async fn lock(
    conn: &mut PgConnection,
    id: i64,
    action: &'static str,
) -> Result<(TransferStatus, i64)> {
    let status = orders::lock(conn, id, action).await?;
    Ok((status, get(conn, id).await?.department_id))
}

async fn set_status(
    conn: &mut PgConnection,
    id: i64,
    action: &str,
    from: TransferStatus,
    to: TransferStatus,
    ctx: &Context,
) -> Result<()> {
    orders::set_status(conn, id, action, from, to, ctx).await
}

/// Approve: reserve specific assets (chosen from the lines unless `assets` is given). A
/// transfer keeps what it takes, so the reservation runs from today with no end: no loan can
/// be approved for any later date either.
pub async fn approve(
    conn: &mut PgConnection,
    id: i64,
    assets: Option<&[i64]>,
    ctx: &Context,
) -> Result<Transfer> {
    let (status, department_id) = lock(conn, id, "approve").await?;
    let ctx = ctx.clone().order(KIND, id);
    // The database's date, so the period agrees with the dates the loans' periods are cast in.
    let today: NaiveDate = sqlx::query_scalar("select depot_today()")
        .fetch_one(&mut *conn)
        .await?;
    orders::reserve(
        conn,
        KIND,
        id,
        department_id,
        (Some(today), None),
        assets,
        &ctx,
    )
    .await?;
    set_status(conn, id, "approve", status, TransferStatus::Approved, &ctx).await?;
    get(conn, id).await
}

/// Reject a request; the reason is required and kept on the transfer.
pub async fn reject(conn: &mut PgConnection, id: i64, ctx: &Context) -> Result<Transfer> {
    orders::reject(conn, id, TransferStatus::Rejected, ctx).await?;
    get(conn, id).await
}

/// Cancel before anything is handed over: the reserved assets go back where they were.
pub async fn cancel(conn: &mut PgConnection, id: i64, ctx: &Context) -> Result<Transfer> {
    orders::cancel(conn, id, TransferStatus::Cancelled, ctx).await?;
    get(conn, id).await
}

/// Hand over the reserved assets (all, or the given ones, as at the gate): each is allocated,
/// and the department now owns and holds it. The reservation is closed as issued and released
/// at once, because ownership moved and there is nothing left to hold. The transfer is
/// completed when nothing is left to hand over.
pub async fn issue(
    conn: &mut PgConnection,
    id: i64,
    assets: Option<&[i64]>,
    ctx: &Context,
) -> Result<Transfer> {
    let (status, department_id) = lock(conn, id, "issue").await?;
    let ctx = ctx.clone().order(KIND, id);
    let waiting: Vec<i64> = sqlx::query_scalar(
        "update reservations set issued_at = now(), released_at = now()
         where order_kind = 'transfer' and order_id = $1 and issued_at is null and released_at is null
           and ($2::bigint[] is null or asset_id = any($2))
         returning asset_id",
    )
    .bind(id)
    .bind(assets)
    .fetch_all(&mut *conn)
    .await?;
    if waiting.is_empty() {
        return Err(Error::Conflict(format!(
            "transfer {id} has nothing left to hand over"
        )));
    }
    if let Some(stray) = assets.and_then(|ids| ids.iter().find(|a| !waiting.contains(a))) {
        return Err(Error::Invalid(format!(
            "asset {stray} is not waiting to be handed over on transfer {id}"
        )));
    }
    for &asset_id in &waiting {
        events::transition(conn, asset_id, AssetAction::Allocate, &ctx).await?;
        super::assets::hand_over(conn, asset_id, department_id).await?;
    }
    let remaining: i64 = sqlx::query_scalar(
        "select count(*) from reservations where order_kind = 'transfer' and order_id = $1 and released_at is null",
    )
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    if remaining == 0 {
        set_status(conn, id, "issue", status, TransferStatus::Completed, &ctx).await?;
    }
    get(conn, id).await
}
