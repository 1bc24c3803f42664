//! The asset register in bulk: the codes a register file names, the EPCs already taken, the
//! set-based insert of a whole import (one statement per table, however many rows), and the
//! register as rows for an export.

use chrono::NaiveDate;
use sqlx::PgConnection;

use super::assets::{AcquisitionMethod, SourceClass};
use super::events::{self, Context, OrderKind};
use super::Result;
use crate::domain::lifecycle::orders::IntakeStatus;

/// Ids of the categories with these codes, with their useful life: (code, id).
pub async fn categories_by_code(
    conn: &mut PgConnection,
    codes: &[String],
) -> Result<Vec<(String, i64)>> {
    Ok(
        sqlx::query_as("select code, id from categories where code = any($1)")
            .bind(codes)
            .fetch_all(conn)
            .await?,
    )
}

/// Ids of the departments with these codes: (code, id).
pub async fn departments_by_code(
    conn: &mut PgConnection,
    codes: &[String],
) -> Result<Vec<(String, i64)>> {
    Ok(
        sqlx::query_as("select code, id from departments where code = any($1)")
            .bind(codes)
            .fetch_all(conn)
            .await?,
    )
}

/// Every zone as `WAREHOUSE/ZONE` with its id (zones are a few hundred at most).
pub async fn zones_by_code(conn: &mut PgConnection) -> Result<Vec<(String, i64)>> {
    Ok(sqlx::query_as(
        "select w.code || '/' || z.code, z.id from zones z join warehouses w on w.id = z.warehouse_id",
    )
    .fetch_all(conn)
    .await?)
}

/// Of these EPCs, those some asset already carries: (EPC, asset id).
pub async fn taken_epcs(conn: &mut PgConnection, epcs: &[String]) -> Result<Vec<(String, i64)>> {
    super::assets::ids_by_epc(conn, epcs).await
}

/// The next `n` GIAI asset references, in order.
pub async fn asset_references(conn: &mut PgConnection, n: usize) -> Result<Vec<i64>> {
    Ok(sqlx::query_scalar(
        "select nextval('giai_asset_reference') from generate_series(1, $1::bigint) order by 1",
    )
    .bind(n as i64)
    .fetch_all(conn)
    .await?)
}

/// One asset of an import, its codes resolved.
#[derive(Debug, Clone)]
pub struct Entry {
    pub epc: String,
    pub name: String,
    pub category_id: i64,
    pub original_value_fen: i64,
    pub acquired_on: Option<NaiveDate>,
    pub source_class: SourceClass,
    pub owner_department_id: Option<i64>,
    /// Where it is: the asset is in stock there; none: registered, awaiting receipt.
    pub zone_id: Option<i64>,
    pub model: String,
    pub serial_number: String,
    pub supplier: String,
    pub acquisition_method: Option<AcquisitionMethod>,
    pub funding_source: String,
    pub finance_card_no: String,
    /// None: the category's.
    pub useful_life_months: Option<i32>,
}

/// Take a whole register in as one intake of the depot's own: the intake, its assets (in
/// stock at their zone, or registered when the file names none) and for each asset its
/// registration and its receipt in the log, a handful of statements whatever the count.
/// Returns the intake's id and the assets' ids in the entries' order.
pub async fn insert(
    conn: &mut PgConnection,
    entries: &[Entry],
    description: &str,
    ctx: &Context,
) -> Result<(i64, Vec<i64>)> {
    let actor = ctx.actor;
    // A row with a zone is in the depot's stock there; one with an owning department and no
    // zone is held by that department and stays there; one with neither awaits receipt.
    let held = |e: &Entry| e.zone_id.is_none() && e.owner_department_id.is_some();
    let all_placed = entries.iter().all(|e| e.zone_id.is_some() || held(e));
    let status = if all_placed {
        IntakeStatus::Completed
    } else {
        IntakeStatus::Open
    };
    let intake: i64 = sqlx::query_scalar(
        "insert into intakes (source_department_id, source_class, description, status, created_by)
         values (null, 'other_idle', $1, $2, $3) returning id",
    )
    .bind(description)
    .bind(status)
    .bind(actor)
    .fetch_one(&mut *conn)
    .await?;
    let ctx = ctx.clone().order(OrderKind::Intake, intake);
    events::record_order(
        conn,
        OrderKind::Intake,
        intake,
        "open",
        None,
        IntakeStatus::Open.as_str(),
        &ctx,
    )
    .await?;

    macro_rules! column {
        ($f:expr) => {
            entries.iter().map($f).collect::<Vec<_>>()
        };
    }
    let ids: Vec<i64> = sqlx::query_scalar(
        "with r as (
            select * from unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::date[], $6::text[],
                                 $7::bigint[], $8::bigint[], $9::text[], $10::text[], $11::text[], $12::text[],
                                 $13::text[], $14::text[], $15::int[])
                with ordinality as r(epc, name, category_id, value, acquired_on, source_class, owner, zone,
                                     model, serial_number, supplier, method, funding_source, finance_card_no, life, n)
         ), inserted as (
            insert into assets (epc, name, category_id, original_value_fen, acquired_on, source_class,
                                owner_department_id, holder_department_id, zone_id, state, model, serial_number, supplier,
                                acquisition_method, funding_source, finance_card_no, useful_life_months)
            select r.epc, r.name, r.category_id, r.value, r.acquired_on, r.source_class::source_class,
                   r.owner, (case when r.zone is null then r.owner end), r.zone,
                   (case when r.zone is not null then 'in_stock'
                         when r.owner is not null then 'allocated'
                         else 'registered' end)::asset_state,
                   r.model, r.serial_number, r.supplier, r.method::acquisition_method, r.funding_source,
                   r.finance_card_no, coalesce(r.life, c.useful_life_months)
            from r join categories c on c.id = r.category_id
            order by r.n
            returning id, epc
         )
         select i.id from inserted i join r on r.epc = i.epc order by r.n",
    )
    .bind(column!(|e| e.epc.clone()))
    .bind(column!(|e| e.name.clone()))
    .bind(column!(|e| e.category_id))
    .bind(column!(|e| e.original_value_fen))
    .bind(column!(|e| e.acquired_on))
    .bind(column!(|e| source_class_str(e.source_class)))
    .bind(column!(|e| e.owner_department_id))
    .bind(column!(|e| e.zone_id))
    .bind(column!(|e| e.model.clone()))
    .bind(column!(|e| e.serial_number.clone()))
    .bind(column!(|e| e.supplier.clone()))
    .bind(column!(|e| e.acquisition_method.map(AcquisitionMethod::as_str)))
    .bind(column!(|e| e.funding_source.clone()))
    .bind(column!(|e| e.finance_card_no.clone()))
    .bind(column!(|e| e.useful_life_months))
    .fetch_all(&mut *conn)
    .await?;

    sqlx::query("insert into intake_assets (intake_id, asset_id) select $1, unnest($2::bigint[])")
        .bind(intake)
        .bind(&ids)
        .execute(&mut *conn)
        .await?;
    // Registration, then receipt: the log's last state of each asset is its state.
    sqlx::query(
        "insert into events (actor_id, asset_id, order_kind, order_id, action, from_state, to_state, reason)
         select $1, id, 'intake', $2, 'register', null, 'registered', $3 from unnest($4::bigint[]) as id",
    )
    .bind(actor)
    .bind(intake)
    .bind(&ctx.reason)
    .bind(&ids)
    .execute(&mut *conn)
    .await?;
    let placed: Vec<(i64, i64)> = ids
        .iter()
        .zip(entries)
        .filter_map(|(id, e)| e.zone_id.map(|z| (*id, z)))
        .collect();
    let (placed_ids, zones): (Vec<i64>, Vec<i64>) = placed.into_iter().unzip();
    sqlx::query(
        "insert into events (actor_id, asset_id, order_kind, order_id, action, from_state, to_state, reason, details)
         select $1, p.id, 'intake', $2, 'receive', 'registered', 'in_stock', $3, jsonb_build_object('zone_id', p.zone)
         from unnest($4::bigint[], $5::bigint[]) as p(id, zone)",
    )
    .bind(actor)
    .bind(intake)
    .bind(&ctx.reason)
    .bind(&placed_ids)
    .bind(&zones)
    .execute(&mut *conn)
    .await?;
    let held_ids: Vec<i64> = ids
        .iter()
        .zip(entries)
        .filter(|(_, e)| held(e))
        .map(|(id, _)| *id)
        .collect();
    sqlx::query(
        "insert into events (actor_id, asset_id, order_kind, order_id, action, from_state, to_state, reason, details)
         select $1, a.id, 'intake', $2, 'hold', 'registered', 'allocated', $3,
                jsonb_build_object('department_id', a.owner_department_id)
         from assets a where a.id = any($4::bigint[])",
    )
    .bind(actor)
    .bind(intake)
    .bind(&ctx.reason)
    .bind(&held_ids)
    .execute(&mut *conn)
    .await?;
    if all_placed {
        events::record_order(
            conn,
            OrderKind::Intake,
            intake,
            "receive",
            Some(IntakeStatus::Open.as_str()),
            IntakeStatus::Completed.as_str(),
            &ctx,
        )
        .await?;
    }
    Ok((intake, ids))
}

fn source_class_str(s: SourceClass) -> &'static str {
    match s {
        SourceClass::EventPurchase => "event_purchase",
        SourceClass::AbolishedBody => "abolished_body",
        SourceClass::InstitutionalReform => "institutional_reform",
        SourceClass::OtherIdle => "other_idle",
    }
}

/// One asset of the register as a file holds it: codes, not ids.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Line {
    pub epc: String,
    pub name: String,
    pub category: String,
    pub original_value_fen: i64,
    pub acquired_on: Option<NaiveDate>,
    pub source_class: SourceClass,
    pub owner_department: Option<String>,
    pub zone: Option<String>,
    pub model: String,
    pub serial_number: String,
    pub supplier: String,
    pub acquisition_method: Option<AcquisitionMethod>,
    pub funding_source: String,
    pub finance_card_no: String,
    pub useful_life_months: Option<i32>,
}

/// The whole register in id order, as the query yields it (small tables joined by hash,
/// the assets read once).
pub fn rows(conn: &mut PgConnection) -> super::Rows<'_, Line> {
    super::rows(
        conn,
        "select a.epc, a.name, c.code as category, a.original_value_fen, a.acquired_on, a.source_class,
                d.code as owner_department, w.code || '/' || z.code as zone, a.model, a.serial_number,
                a.supplier, a.acquisition_method, a.funding_source, a.finance_card_no,
                coalesce(a.useful_life_months, c.useful_life_months) as useful_life_months
         from assets a join categories c on c.id = a.category_id
         left join departments d on d.id = a.owner_department_id
         left join zones z on z.id = a.zone_id left join warehouses w on w.id = z.warehouse_id
         order by a.id",
        sqlx::postgres::PgArguments::default(),
    )
}
