//! Compensation cases (赔偿): damage or loss by a borrowing department, at the asset's
//! original value unless it is repaired, then at the repair cost. Open → repaired → paid,
//! or waived.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use utoipa::ToSchema;

use super::events::{self, Context, OrderKind};
use super::orders;
use super::{Error, OptionalExt, Result};
use crate::domain::bounds::Fen;
use crate::domain::lifecycle::orders::CompensationStatus;
use crate::domain::lifecycle::AssetAction;

const KIND: OrderKind = OrderKind::Compensation;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, sqlx::Type, ToSchema)]
#[sqlx(type_name = "compensation_kind", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
#[schema(as = CompensationKind)]
pub enum Kind {
    Damage,
    Loss,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct Compensation {
    pub id: i64,
    pub asset_id: i64,
    pub epc: String,
    pub asset: String,
    pub department_id: i64,
    pub department: String,
    pub loan_id: Option<i64>,
    pub kind: Kind,
    pub status: CompensationStatus,
    /// Original value unless repaired, then the repair cost; in fen.
    pub amount_fen: i64,
    pub receipt_number: Option<String>,
    pub note: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const SELECT: &str = "select c.id, c.asset_id, a.epc, a.name as asset, c.department_id, d.name as department, c.loan_id,
    c.kind, c.status, c.amount_fen, c.receipt_number, c.note, c.created_at, c.updated_at
    from compensations c join assets a on a.id = c.asset_id join departments d on d.id = c.department_id";

/// Every case (of one department, or all; of one status, or any), newest first, as they
/// come (for the exports).
pub fn all_rows(
    conn: &mut PgConnection,
    (department_id, status): (Option<i64>, Option<CompensationStatus>),
) -> super::Rows<'_, Compensation> {
    static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        format!(
            "{SELECT} where ($1::bigint is null or c.department_id = $1)
               and ($2::compensation_status is null or c.status = $2)
             order by c.id desc"
        )
    });
    let mut args = sqlx::postgres::PgArguments::default();
    let added = sqlx::Arguments::add(&mut args, department_id)
        .and_then(|()| sqlx::Arguments::add(&mut args, status));
    if let Err(e) = added {
        return super::reports::failed(e);
    }
    super::rows(conn, SQL.as_str(), args)
}

/// Open a case at the asset's original value.
pub async fn open(
    conn: &mut PgConnection,
    asset_id: i64,
    department_id: i64,
    loan_id: Option<i64>,
    kind: Kind,
    note: &str,
    ctx: &Context,
) -> Result<i64> {
    let id: i64 = sqlx::query_scalar(
        "insert into compensations (asset_id, department_id, loan_id, kind, amount_fen, note)
         select $1, $2, $3, $4, original_value_fen, $5 from assets where id = $1 returning id",
    )
    .bind(asset_id)
    .bind(department_id)
    .bind(loan_id)
    .bind(kind)
    .bind(note)
    .fetch_one(&mut *conn)
    .await?;
    let mut ctx = ctx.clone();
    ctx.details = serde_json::json!({ "asset_id": asset_id, "loan_id": loan_id });
    events::record_order(
        conn,
        KIND,
        id,
        "open",
        None,
        CompensationStatus::Open.as_str(),
        &ctx,
    )
    .await?;
    Ok(id)
}

pub async fn get(conn: &mut PgConnection, id: i64) -> Result<Compensation> {
    sqlx::query_as(&format!("{SELECT} where c.id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .or_not_found(|| format!("compensation case {id}"))
}

/// Cases, newest first: one page of them, and how many in all.
pub async fn list(
    conn: &mut PgConnection,
    department_id: Option<i64>,
    status: Option<CompensationStatus>,
    window: super::Window,
) -> Result<(Vec<Compensation>, super::Total)> {
    super::page(
        conn,
        SELECT,
        "where ($1::bigint is null or c.department_id = $1)
           and ($2::compensation_status is null or c.status = $2)",
        "c.id desc",
        args![department_id, status],
        window,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn set(
    conn: &mut PgConnection,
    id: i64,
    action: &str,
    from: CompensationStatus,
    to: CompensationStatus,
    amount: Option<i64>,
    receipt: Option<&str>,
    ctx: &Context,
) -> Result<Compensation> {
    sqlx::query(
        "update compensations set status = $2, amount_fen = coalesce($3, amount_fen),
            receipt_number = coalesce($4, receipt_number), updated_at = now() where id = $1",
    )
    .bind(id)
    .bind(to)
    .bind(amount)
    .bind(receipt)
    .execute(&mut *conn)
    .await?;
    events::record_order(
        conn,
        KIND,
        id,
        action,
        Some(from.as_str()),
        to.as_str(),
        ctx,
    )
    .await?;
    get(conn, id).await
}

/// The damaged asset was repaired: the case is now for the repair cost, and the asset is
/// back in stock.
pub async fn repaired(
    conn: &mut PgConnection,
    id: i64,
    cost_fen: Fen,
    ctx: &Context,
) -> Result<Compensation> {
    let status = orders::lock(conn, id, "repair").await?;
    let case = get(conn, id).await?;
    if case.kind == Kind::Loss {
        return Err(Error::Conflict(format!(
            "compensation case {id} is for a lost asset: there is nothing to repair"
        )));
    }
    let ctx = ctx.clone().order(KIND, id);
    events::transition(conn, case.asset_id, AssetAction::Repair, &ctx).await?;
    set(
        conn,
        id,
        "repair",
        status,
        CompensationStatus::Repaired,
        Some(cost_fen.get()),
        None,
        &ctx,
    )
    .await
}

pub async fn paid(
    conn: &mut PgConnection,
    id: i64,
    receipt: &str,
    ctx: &Context,
) -> Result<Compensation> {
    if receipt.trim().is_empty() {
        return Err(Error::Invalid(
            "give the receipt number of the payment".into(),
        ));
    }
    let status = orders::lock(conn, id, "pay").await?;
    set(
        conn,
        id,
        "pay",
        status,
        CompensationStatus::Paid,
        None,
        Some(receipt.trim()),
        ctx,
    )
    .await
}

pub async fn waived(conn: &mut PgConnection, id: i64, ctx: &Context) -> Result<Compensation> {
    if ctx.reason.trim().is_empty() {
        return Err(Error::Invalid("give a reason for waiving".into()));
    }
    let status = orders::lock(conn, id, "waive").await?;
    set(
        conn,
        id,
        "waive",
        status,
        CompensationStatus::Waived,
        None,
        None,
        ctx,
    )
    .await
}
