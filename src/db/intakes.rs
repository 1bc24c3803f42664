//! Intakes (收储 / 入库): an agency hands assets over to the depot. Opening an intake
//! registers its assets and commissions their tags, all or nothing; receiving puts them in
//! stock at a zone, in as many goes as the deliveries take. Open → completed when nothing is
//! left to receive; or cancelled while nothing has been received.
//!
//! Title passes to the depot: the assets have no owning department, and each carries the
//! intake's source class.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use utoipa::ToSchema;

use super::assets::{self, Asset, NewAsset, SourceClass};
use super::events::{self, Context, OrderKind};
use super::orders;
use super::{page, Error, OptionalExt, Result, Window};
use crate::domain::bounds::Note;
use crate::domain::epc;
use crate::domain::lifecycle::orders::IntakeStatus;
use crate::domain::lifecycle::AssetAction;

const KIND: OrderKind = OrderKind::Intake;

#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct Intake {
    pub id: i64,
    /// The department that handed the assets over, if it was one.
    pub source_department_id: Option<i64>,
    pub source_department: Option<String>,
    pub source_class: SourceClass,
    pub description: String,
    pub status: IntakeStatus,
    pub created_by: i64,
    pub creator: String,
    /// How many assets the intake registered.
    pub asset_count: i64,
    /// How many of them are still to be received.
    pub awaiting_receipt: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[sqlx(skip)]
    pub assets: Vec<Asset>,
}

const SELECT: &str = "select i.id, i.source_department_id, d.name as source_department, i.source_class, i.description,
    i.status, i.created_by, u.username as creator,
    (select count(*) from intake_assets ia where ia.intake_id = i.id) as asset_count,
    (select count(*) from intake_assets ia join assets a on a.id = ia.asset_id
     where ia.intake_id = i.id and a.state = 'registered') as awaiting_receipt,
    i.created_at, i.updated_at
    from intakes i left join departments d on d.id = i.source_department_id join users u on u.id = i.created_by";

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewIntake {
    pub source_department_id: Option<i64>,
    pub source_class: SourceClass,
    #[serde(default)]
    pub description: Note,
    /// The assets handed over. Each takes the intake's source class; none may name an owner.
    #[schema(value_type = Vec<crate::http::shapes::IntakeItem>, min_items = 1)]
    pub items: Vec<NewAsset>,
}

/// Open an intake and register its assets. Any bad item refuses the whole intake, with a
/// message naming the item as `items[i]` (0-based); the caller's transaction then holds
/// nothing worth committing.
pub async fn create(
    conn: &mut PgConnection,
    company_prefix: &str,
    new: &NewIntake,
    ctx: &Context,
) -> Result<Intake> {
    if new.items.is_empty() {
        return Err(Error::Invalid("an intake needs at least one item".into()));
    }
    let actor = ctx
        .actor
        .ok_or_else(|| Error::Invalid("an intake is opened by a person".into()))?;
    check_items(conn, &new.items).await?;
    let id: i64 = sqlx::query_scalar(
        "insert into intakes (source_department_id, source_class, description, created_by) values ($1, $2, $3, $4) returning id",
    )
    .bind(new.source_department_id)
    .bind(new.source_class)
    .bind(new.description.trim())
    .bind(actor)
    .fetch_one(&mut *conn)
    .await?;
    let ctx = ctx.clone().order(KIND, id);
    events::record_order(
        conn,
        KIND,
        id,
        "open",
        None,
        IntakeStatus::Open.as_str(),
        &ctx,
    )
    .await?;
    let mut ids = Vec::with_capacity(new.items.len());
    for (i, item) in new.items.iter().enumerate() {
        let item = NewAsset {
            source_class: new.source_class,
            ..item.clone()
        };
        let asset = assets::register(conn, company_prefix, &item, &ctx)
            .await
            .map_err(|e| match e {
                Error::Invalid(m) => Error::Invalid(format!("items[{i}]: {m}")),
                e => e,
            })?;
        ids.push(asset.id);
    }
    sqlx::query("insert into intake_assets (intake_id, asset_id) select $1, unnest($2::bigint[])")
        .bind(id)
        .bind(&ids)
        .execute(&mut *conn)
        .await?;
    get(conn, id).await
}

/// What the database would refuse later without saying which item: unknown categories,
/// owners, and EPCs given twice or already carried by another asset.
async fn check_items(conn: &mut PgConnection, items: &[NewAsset]) -> Result<()> {
    let category_ids: Vec<i64> = items.iter().map(|i| i.category_id).collect();
    let known: Vec<i64> = sqlx::query_scalar("select id from categories where id = any($1)")
        .bind(&category_ids)
        .fetch_all(&mut *conn)
        .await?;
    let mut epcs: HashMap<String, usize> = HashMap::new();
    for (i, item) in items.iter().enumerate() {
        if !known.contains(&item.category_id) {
            return Err(Error::Conflict(format!(
                "items[{i}]: no such category {}",
                item.category_id
            )));
        }
        if item.owner_department_id.is_some() {
            return Err(Error::Invalid(format!(
                "items[{i}]: an intake hands assets to the depot; leave owner_department_id out"
            )));
        }
        // Malformed EPCs are left to `register`, which says what is wrong with them.
        if let Some(hex) = item
            .epc
            .as_deref()
            .and_then(epc::parse_hex)
            .map(|b| epc::hex_upper(&b))
        {
            if let Some(first) = epcs.insert(hex.clone(), i) {
                return Err(Error::Invalid(format!(
                    "items[{i}]: EPC {hex} is already given for items[{first}]"
                )));
            }
        }
    }
    let given: Vec<String> = epcs.keys().cloned().collect();
    let taken: Option<String> =
        sqlx::query_scalar("select epc from assets where epc = any($1) order by epc limit 1")
            .bind(&given)
            .fetch_optional(&mut *conn)
            .await?;
    if let Some(hex) = taken {
        return Err(Error::Conflict(format!(
            "items[{}]: an asset with EPC {hex} already exists",
            epcs[&hex]
        )));
    }
    Ok(())
}

/// One intake with its assets.
pub async fn get(conn: &mut PgConnection, id: i64) -> Result<Intake> {
    let mut intake: Intake = sqlx::query_as(&format!("{SELECT} where i.id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .or_not_found(|| format!("intake {id}"))?;
    let ids: Vec<i64> =
        sqlx::query_scalar("select asset_id from intake_assets where intake_id = $1")
            .bind(id)
            .fetch_all(&mut *conn)
            .await?;
    intake.assets = assets::by_ids(conn, &ids).await?;
    Ok(intake)
}

/// Filters for [`list`].
#[derive(Debug, Default, Clone)]
pub struct Filter {
    pub source_department_id: Option<i64>,
    pub status: Option<IntakeStatus>,
}

/// One page of intakes, newest first (without assets), and the total.
pub async fn list(
    conn: &mut PgConnection,
    f: &Filter,
    window: Window,
) -> Result<(Vec<Intake>, super::Total)> {
    let args = args![f.source_department_id, f.status];
    page(conn, SELECT, LIST_WHERE, "i.id desc", args, window).await
}

/// What [`list`] and [`filtered_rows`] hold.
const LIST_WHERE: &str =
    "where ($1::bigint is null or i.source_department_id = $1) and ($2::intake_status is null or i.status = $2)";

/// Every intake [`list`] would list, newest first (without assets), as they come (for the
/// export).
pub fn filtered_rows(conn: &mut PgConnection, f: Filter) -> super::Rows<'_, Intake> {
    static SQL: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| format!("{SELECT} {LIST_WHERE} order by i.id desc"));
    let mut args = sqlx::postgres::PgArguments::default();
    let added = sqlx::Arguments::add(&mut args, f.source_department_id)
        .and_then(|()| sqlx::Arguments::add(&mut args, f.status));
    if let Err(e) = added {
        return super::reports::failed(e);
    }
    super::rows(conn, SQL.as_str(), args)
}

async fn set_status(
    conn: &mut PgConnection,
    id: i64,
    action: &str,
    from: IntakeStatus,
    to: IntakeStatus,
    ctx: &Context,
) -> Result<()> {
    sqlx::query("update intakes set status = $2, updated_at = now() where id = $1")
        .bind(id)
        .bind(to)
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
    .await
}

/// The intake's assets not yet received, locked in id order.
async fn awaiting(conn: &mut PgConnection, id: i64) -> Result<Vec<i64>> {
    Ok(sqlx::query_scalar(
        "select a.id from intake_assets ia join assets a on a.id = ia.asset_id
         where ia.intake_id = $1 and a.state = 'registered' order by a.id for no key update of a",
    )
    .bind(id)
    .fetch_all(conn)
    .await?)
}

/// Receive assets (the given ones, or all still awaited) into stock at `zone_id`. The intake
/// is completed when nothing is left to receive.
pub async fn receive(
    conn: &mut PgConnection,
    id: i64,
    zone_id: i64,
    asset_ids: Option<&[i64]>,
    ctx: &Context,
) -> Result<Intake> {
    let status = orders::lock(conn, id, "receive").await?;
    let zone_known: bool = sqlx::query_scalar("select exists (select 1 from zones where id = $1)")
        .bind(zone_id)
        .fetch_one(&mut *conn)
        .await?;
    if !zone_known {
        return Err(Error::Conflict(format!("no such zone {zone_id}")));
    }
    let ctx = ctx.clone().order(KIND, id);
    let waiting = awaiting(conn, id).await?;
    let to_receive: Vec<i64> = match asset_ids {
        None => waiting.clone(),
        Some(ids) => {
            let mut ids = ids.to_vec();
            ids.sort_unstable();
            ids.dedup();
            if let Some(stray) = ids.iter().find(|a| !waiting.contains(a)) {
                return Err(Error::Invalid(format!(
                    "asset {stray} is not awaiting receipt on intake {id}"
                )));
            }
            ids
        }
    };
    if to_receive.is_empty() {
        return Err(Error::Invalid("name at least one asset to receive".into()));
    }
    for &asset_id in &to_receive {
        events::transition(conn, asset_id, AssetAction::Receive, &ctx).await?;
    }
    sqlx::query("update assets set zone_id = $2 where id = any($1)")
        .bind(&to_receive)
        .bind(zone_id)
        .execute(&mut *conn)
        .await?;
    let next = if to_receive.len() == waiting.len() {
        IntakeStatus::Completed
    } else {
        IntakeStatus::Open
    };
    set_status(conn, id, "receive", status, next, &ctx).await?;
    get(conn, id).await
}

/// Cancel an intake while none of its assets has been received. The registered assets stay
/// on the register as they are, with their history: their EPCs may already be on printed
/// tags and must never name another asset.
pub async fn cancel(conn: &mut PgConnection, id: i64, ctx: &Context) -> Result<Intake> {
    let status = orders::lock(conn, id, "cancel").await?;
    let received: i64 = sqlx::query_scalar(
        "select count(*) from intake_assets ia join assets a on a.id = ia.asset_id
         where ia.intake_id = $1 and a.state <> 'registered'",
    )
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    if received > 0 {
        return Err(Error::Conflict(format!(
            "cannot cancel intake {id}: {received} of its assets were already received; cancel is allowed only while none is"
        )));
    }
    set_status(conn, id, "cancel", status, IntakeStatus::Cancelled, ctx).await?;
    get(conn, id).await
}

/// Close an intake whose remaining items will not arrive (reason required). What was not
/// received stays registered, with its EPC, so a late delivery can still be received as an
/// asset on the register.
pub async fn complete(conn: &mut PgConnection, id: i64, ctx: &Context) -> Result<Intake> {
    if ctx.reason.trim().is_empty() {
        return Err(Error::Invalid(
            "say why the intake is closed with items outstanding (reason)".into(),
        ));
    }
    let status = orders::lock(conn, id, "complete").await?;
    set_status(conn, id, "complete", status, IntakeStatus::Completed, ctx).await?;
    get(conn, id).await
}
