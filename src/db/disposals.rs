//! Disposals (处置): requested (assets pending disposal) → appraised (评估) → approved →
//! sold at auction (拍卖) → proceeds remitted to the treasury (上缴国库); or scrapped (报废),
//! which has nothing to remit; or rejected, cancelled (assets back in stock).
//!
//! Money is integer fen and never negative.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use utoipa::ToSchema;

use super::assets::{self, Asset};
use super::events::{self, Context, OrderKind};
use super::orders;
use super::{page, Error, OptionalExt, Result, Window};
use crate::domain::bounds::{Fen, FenSum, Note};
use crate::domain::lifecycle::orders::DisposalStatus;
use crate::domain::lifecycle::AssetAction;

const KIND: OrderKind = OrderKind::Disposal;

#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct Disposal {
    pub id: i64,
    /// Why the assets are put forward for disposal.
    pub reason: String,
    pub status: DisposalStatus,
    pub requested_by: i64,
    /// The proposer's login.
    pub requester: String,
    /// The proposer's name, as people call them.
    pub requester_name: String,
    /// What the assets cost when new, together; in fen.
    pub original_value_fen: FenSum,
    /// In fen, set at appraisal.
    pub appraised_value_fen: Option<i64>,
    pub appraiser: Option<String>,
    /// auction or scrap, once decided.
    pub method: Option<String>,
    /// In fen, set at sale.
    pub sale_price_fen: Option<i64>,
    pub buyer: Option<String>,
    /// Receipt of the proceeds remitted to the treasury.
    pub receipt_number: Option<String>,
    pub remitted_at: Option<DateTime<Utc>>,
    pub decided_by: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[sqlx(skip)]
    pub assets: Vec<Asset>,
}

const SELECT: &str = "select d.id, d.reason, d.status, d.requested_by, u.username as requester,
    u.display_name as requester_name,
    d.original_value_fen::text as original_value_fen,
    d.appraised_value_fen, d.appraiser, d.method, d.sale_price_fen, d.buyer, d.receipt_number, d.remitted_at,
    d.decided_by, d.created_at, d.updated_at
    from disposals d join users u on u.id = d.requested_by";

/// Every disposal (of one status, or all), newest first, as they come (for the exports).
pub fn all_rows(
    conn: &mut PgConnection,
    status: Option<DisposalStatus>,
) -> super::Rows<'_, Disposal> {
    static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        format!("{SELECT} where ($1::disposal_status is null or d.status = $1) order by d.id desc")
    });
    let mut args = sqlx::postgres::PgArguments::default();
    if let Err(e) = sqlx::Arguments::add(&mut args, status) {
        return super::reports::failed(e);
    }
    super::rows(conn, SQL.as_str(), args)
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDisposal {
    /// Assets in stock or in repair.
    #[schema(min_items = 1)]
    pub asset_ids: Vec<i64>,
    #[schema(value_type = crate::domain::bounds::FilledNote)]
    pub reason: Note,
}

/// Put assets forward for disposal: each becomes pending disposal.
pub async fn create(conn: &mut PgConnection, new: &NewDisposal, ctx: &Context) -> Result<Disposal> {
    if new.reason.trim().is_empty() {
        return Err(Error::Invalid(
            "say why the assets are to be disposed of (reason)".into(),
        ));
    }
    let mut asset_ids = new.asset_ids.clone();
    asset_ids.sort_unstable();
    asset_ids.dedup();
    if asset_ids.is_empty() {
        return Err(Error::Invalid("name at least one asset (asset_ids)".into()));
    }
    let actor = ctx
        .actor
        .ok_or_else(|| Error::Invalid("a disposal is requested by a person".into()))?;
    let id: i64 = sqlx::query_scalar(
        "insert into disposals (reason, requested_by) values ($1, $2) returning id",
    )
    .bind(new.reason.trim())
    .bind(actor)
    .fetch_one(&mut *conn)
    .await?;
    let ctx = ctx.clone().order(KIND, id).reason(new.reason.trim());
    for &asset_id in &asset_ids {
        events::transition(conn, asset_id, AssetAction::ProposeDisposal, &ctx).await?;
    }
    sqlx::query(
        "insert into disposal_assets (disposal_id, asset_id) select $1, unnest($2::bigint[])",
    )
    .bind(id)
    .bind(&asset_ids)
    .execute(&mut *conn)
    .await?;
    // The book value written off (kept by `assets_move_disposal_value` should an asset's
    // original value be corrected later).
    sqlx::query(
        "update disposals set original_value_fen =
            (select coalesce(sum(original_value_fen), 0) from assets where id = any($2)) where id = $1",
    )
    .bind(id)
    .bind(&asset_ids)
    .execute(&mut *conn)
    .await?;
    events::record_order(
        conn,
        KIND,
        id,
        "request",
        None,
        DisposalStatus::Requested.as_str(),
        &ctx,
    )
    .await?;
    get(conn, id).await
}

/// One disposal with its assets.
pub async fn get(conn: &mut PgConnection, id: i64) -> Result<Disposal> {
    let mut disposal: Disposal = sqlx::query_as(&format!("{SELECT} where d.id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .or_not_found(|| format!("disposal {id}"))?;
    let ids = asset_ids(conn, id).await?;
    disposal.assets = assets::by_ids(conn, &ids).await?;
    Ok(disposal)
}

async fn asset_ids(conn: &mut PgConnection, id: i64) -> Result<Vec<i64>> {
    Ok(sqlx::query_scalar(
        "select asset_id from disposal_assets where disposal_id = $1 order by asset_id",
    )
    .bind(id)
    .fetch_all(conn)
    .await?)
}

/// Who recorded the disposal's standing appraisal (its last `appraise`), if anyone.
pub async fn appraised_by(conn: &mut PgConnection, id: i64) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar(
        "select actor_id from events
         where order_kind = 'disposal' and order_id = $1 and action = 'appraise'
         order by id desc limit 1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await?
    .flatten())
}

/// Disposals in `status`, oldest first: a queue worked from its head, a page at a time
/// (without assets; from `disposals_status_idx`).
pub async fn queue(
    conn: &mut PgConnection,
    status: DisposalStatus,
    window: Window,
) -> Result<(Vec<Disposal>, super::Total)> {
    page(
        conn,
        SELECT,
        "where d.status = $1",
        "d.id",
        args![status],
        window,
    )
    .await
}

/// One page of disposals, newest first (without assets), and the total.
pub async fn list(
    conn: &mut PgConnection,
    status: Option<DisposalStatus>,
    window: Window,
) -> Result<(Vec<Disposal>, super::Total)> {
    const WHERE: &str = "where ($1::disposal_status is null or d.status = $1)";
    page(conn, SELECT, WHERE, "d.id desc", args![status], window).await
}

/// The proceeds of every remitted sale, summed as `numeric` (it never overflows).
pub async fn remitted(conn: &mut PgConnection) -> Result<FenSum> {
    Ok(sqlx::query_scalar(
        "select coalesce(sum(sale_price_fen), 0)::text from disposals where status = 'remitted'",
    )
    .fetch_one(conn)
    .await?)
}

/// What an action writes besides the status; `None` leaves a column as it is.
#[derive(Debug, Default, Serialize)]
struct Change<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    appraised_value_fen: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    appraiser: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    method: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sale_price_fen: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    buyer: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    receipt_number: Option<&'a str>,
}

/// Write the new status and the action's figures, and log both: the figures go into the
/// event's details, so a later re-appraisal does not erase the earlier one from the record.
async fn set_status(
    conn: &mut PgConnection,
    id: i64,
    action: &str,
    from: DisposalStatus,
    to: DisposalStatus,
    change: &Change<'_>,
    ctx: &Context,
) -> Result<Disposal> {
    let decided = matches!(action, "approve" | "reject");
    sqlx::query(
        "update disposals set status = $2, updated_at = now(),
            decided_by = case when $3 then $4 else decided_by end,
            appraised_value_fen = coalesce($5, appraised_value_fen), appraiser = coalesce($6, appraiser),
            method = coalesce($7, method), sale_price_fen = coalesce($8, sale_price_fen), buyer = coalesce($9, buyer),
            receipt_number = coalesce($10, receipt_number),
            remitted_at = case when $10 is not null then now() else remitted_at end
         where id = $1",
    )
    .bind(id)
    .bind(to)
    .bind(decided)
    .bind(ctx.actor)
    .bind(change.appraised_value_fen)
    .bind(change.appraiser)
    .bind(change.method)
    .bind(change.sale_price_fen)
    .bind(change.buyer)
    .bind(change.receipt_number)
    .execute(&mut *conn)
    .await?;
    let mut ctx = ctx.clone();
    ctx.details = serde_json::to_value(change).unwrap_or_default();
    events::record_order(
        conn,
        KIND,
        id,
        action,
        Some(from.as_str()),
        to.as_str(),
        &ctx,
    )
    .await?;
    get(conn, id).await
}

/// Apply `action` to every asset of the disposal.
async fn transition_all(
    conn: &mut PgConnection,
    id: i64,
    action: AssetAction,
    ctx: &Context,
) -> Result<()> {
    for asset_id in asset_ids(conn, id).await? {
        events::transition(conn, asset_id, action, ctx).await?;
    }
    Ok(())
}

fn given<'a>(text: &'a str, what: &str) -> Result<&'a str> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Error::Invalid(format!("give the {what}")));
    }
    Ok(text)
}

/// Record the appraisal (评估). Allowed again before approval: a new appraisal replaces the old.
pub async fn appraise(
    conn: &mut PgConnection,
    id: i64,
    value_fen: Fen,
    appraiser: &str,
    ctx: &Context,
) -> Result<Disposal> {
    let appraiser = given(appraiser, "appraiser")?;
    let status = orders::lock(conn, id, "appraise").await?;
    let change = Change {
        appraised_value_fen: Some(value_fen.get()),
        appraiser: Some(appraiser),
        ..Default::default()
    };
    set_status(
        conn,
        id,
        "appraise",
        status,
        DisposalStatus::Appraised,
        &change,
        &ctx.clone().order(KIND, id),
    )
    .await
}

/// Approve an appraised disposal; sale or scrapping follows.
pub async fn approve(conn: &mut PgConnection, id: i64, ctx: &Context) -> Result<Disposal> {
    let status = orders::lock(conn, id, "approve").await?;
    set_status(
        conn,
        id,
        "approve",
        status,
        DisposalStatus::Approved,
        &Change::default(),
        ctx,
    )
    .await
}

/// Reject or cancel: the assets are withdrawn from disposal, back in stock.
async fn withdraw(
    conn: &mut PgConnection,
    id: i64,
    action: &'static str,
    to: DisposalStatus,
    ctx: &Context,
) -> Result<Disposal> {
    let status = orders::lock(conn, id, action).await?;
    if ctx.reason.trim().is_empty() {
        return Err(Error::Invalid(format!("give a reason to {action}")));
    }
    let ctx = ctx.clone().order(KIND, id);
    transition_all(conn, id, AssetAction::WithdrawDisposal, &ctx).await?;
    set_status(conn, id, action, status, to, &Change::default(), &ctx).await
}

/// Reject before approval, with a reason; the assets go back in stock.
pub async fn reject(conn: &mut PgConnection, id: i64, ctx: &Context) -> Result<Disposal> {
    withdraw(conn, id, "reject", DisposalStatus::Rejected, ctx).await
}

/// Cancel before approval, with a reason; the assets go back in stock.
pub async fn cancel(conn: &mut PgConnection, id: i64, ctx: &Context) -> Result<Disposal> {
    withdraw(conn, id, "cancel", DisposalStatus::Cancelled, ctx).await
}

/// Sold or scrapped: the assets are disposed of and leave the depot's zones.
async fn dispose(
    conn: &mut PgConnection,
    id: i64,
    action: &'static str,
    to: DisposalStatus,
    change: &Change<'_>,
    ctx: &Context,
) -> Result<Disposal> {
    let status = orders::lock(conn, id, action).await?;
    let ctx = ctx.clone().order(KIND, id);
    transition_all(conn, id, AssetAction::Dispose, &ctx).await?;
    sqlx::query("update assets set zone_id = null where id in (select asset_id from disposal_assets where disposal_id = $1)")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    set_status(conn, id, action, status, to, change, &ctx).await
}

/// Sold at auction (拍卖); the proceeds are to be remitted.
pub async fn sell(
    conn: &mut PgConnection,
    id: i64,
    price_fen: Fen,
    buyer: &str,
    ctx: &Context,
) -> Result<Disposal> {
    let buyer = given(buyer, "buyer")?;
    let change = Change {
        method: Some("auction"),
        sale_price_fen: Some(price_fen.get()),
        buyer: Some(buyer),
        ..Default::default()
    };
    dispose(conn, id, "sell", DisposalStatus::Sold, &change, ctx).await
}

/// Scrapped (报废): nothing is sold, so nothing is remitted; this is the end of the disposal.
pub async fn scrap(conn: &mut PgConnection, id: i64, ctx: &Context) -> Result<Disposal> {
    let change = Change {
        method: Some("scrap"),
        ..Default::default()
    };
    dispose(conn, id, "scrap", DisposalStatus::Scrapped, &change, ctx).await
}

/// The proceeds of a sale were remitted to the treasury (上缴国库), with its receipt.
pub async fn remit(
    conn: &mut PgConnection,
    id: i64,
    receipt_number: &str,
    ctx: &Context,
) -> Result<Disposal> {
    let receipt_number = given(receipt_number, "receipt number of the remittance")?;
    let status = orders::lock(conn, id, "remit").await?;
    let change = Change {
        receipt_number: Some(receipt_number),
        ..Default::default()
    };
    set_status(
        conn,
        id,
        "remit",
        status,
        DisposalStatus::Remitted,
        &change,
        ctx,
    )
    .await
}
