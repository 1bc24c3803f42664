//! Places and kinds: warehouses, their zones, and asset categories.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use utoipa::ToSchema;

use super::{delete_row, OptionalExt, Result};
use crate::domain::bounds::{Fen, Months, Text};

/// What refers to a place or a kind keeps it from being deleted.
const STILL_USED: &str = "is still in use; move what refers to it first";

#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct Warehouse {
    pub id: i64,
    pub code: String,
    pub name: String,
    /// The name in 中文, where it differs from `name`; pages in 中文 show it.
    pub name_zh: Option<String>,
    /// The name in English, where it differs from `name`; pages in English show it.
    pub name_en: Option<String>,
    pub address: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWarehouse {
    pub code: Text,
    pub name: Text,
    /// The name in 中文, where it differs from `name`; omitted: none.
    #[serde(default)]
    pub name_zh: Option<Text>,
    /// The name in English, where it differs from `name`; omitted: none.
    #[serde(default)]
    pub name_en: Option<Text>,
    #[serde(default)]
    pub address: Text,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WarehouseChange {
    pub code: Option<Text>,
    pub name: Option<Text>,
    /// The name in 中文; `""`: none any more; omitted: unchanged.
    pub name_zh: Option<Text>,
    /// The name in English; `""`: none any more; omitted: unchanged.
    pub name_en: Option<Text>,
    pub address: Option<Text>,
}

pub async fn warehouses(conn: &mut PgConnection) -> Result<Vec<Warehouse>> {
    Ok(sqlx::query_as("select * from warehouses order by code")
        .fetch_all(conn)
        .await?)
}

pub async fn warehouse(conn: &mut PgConnection, id: i64) -> Result<Warehouse> {
    sqlx::query_as("select * from warehouses where id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await?
        .or_not_found(|| format!("warehouse {id}"))
}

pub async fn create_warehouse(conn: &mut PgConnection, new: &NewWarehouse) -> Result<Warehouse> {
    Ok(sqlx::query_as(
        "insert into warehouses (code, name, address, name_zh, name_en)
         values ($1, $2, $3, nullif(btrim($4), ''), nullif(btrim($5), '')) returning *",
    )
    .bind(new.code.trim())
    .bind(new.name.trim())
    .bind(&new.address)
    .bind(&new.name_zh)
    .bind(&new.name_en)
    .fetch_one(conn)
    .await?)
}

pub async fn update_warehouse(
    conn: &mut PgConnection,
    id: i64,
    change: &WarehouseChange,
) -> Result<Warehouse> {
    sqlx::query_as(
        "update warehouses set code = coalesce($2, code), name = coalesce($3, name), address = coalesce($4, address),
            name_zh = case when $5::text is null then name_zh else nullif(btrim($5), '') end,
            name_en = case when $6::text is null then name_en else nullif(btrim($6), '') end
         where id = $1 returning *",
    )
    .bind(id)
    .bind(&change.code)
    .bind(&change.name)
    .bind(&change.address)
    .bind(&change.name_zh)
    .bind(&change.name_en)
    .fetch_optional(conn)
    .await?
    .or_not_found(|| format!("warehouse {id}"))
}

pub async fn delete_warehouse(conn: &mut PgConnection, id: i64) -> Result<()> {
    delete_row(
        conn,
        "warehouses",
        id,
        &format!("warehouse {id}"),
        STILL_USED,
    )
    .await
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct Zone {
    pub id: i64,
    pub warehouse_id: i64,
    pub code: String,
    pub name: String,
    /// The name in 中文, where it differs from `name`; pages in 中文 show it.
    pub name_zh: Option<String>,
    /// The name in English, where it differs from `name`; pages in English show it.
    pub name_en: Option<String>,
    /// storage, staging, gate_inside or gate_outside
    pub kind: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewZone {
    pub code: Text,
    pub name: Text,
    /// The name in 中文, where it differs from `name`; omitted: none.
    #[serde(default)]
    pub name_zh: Option<Text>,
    /// The name in English, where it differs from `name`; omitted: none.
    #[serde(default)]
    pub name_en: Option<Text>,
    /// storage (the default), staging, gate_inside or gate_outside
    #[serde(default = "storage")]
    #[schema(value_type = String, pattern = "^(storage|staging|gate_inside|gate_outside)$")]
    pub kind: Text,
}

fn storage() -> Text {
    Text::known("storage")
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ZoneChange {
    pub code: Option<Text>,
    pub name: Option<Text>,
    /// The name in 中文; `""`: none any more; omitted: unchanged.
    pub name_zh: Option<Text>,
    /// The name in English; `""`: none any more; omitted: unchanged.
    pub name_en: Option<Text>,
    /// storage, staging, gate_inside or gate_outside
    #[schema(value_type = Option<String>, pattern = "^(storage|staging|gate_inside|gate_outside)$")]
    pub kind: Option<Text>,
}

pub async fn zones(conn: &mut PgConnection, warehouse_id: i64) -> Result<Vec<Zone>> {
    Ok(
        sqlx::query_as("select * from zones where warehouse_id = $1 order by code")
            .bind(warehouse_id)
            .fetch_all(conn)
            .await?,
    )
}

pub async fn zone(conn: &mut PgConnection, id: i64) -> Result<Zone> {
    sqlx::query_as("select * from zones where id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await?
        .or_not_found(|| format!("zone {id}"))
}

pub async fn create_zone(
    conn: &mut PgConnection,
    warehouse_id: i64,
    new: &NewZone,
) -> Result<Zone> {
    Ok(sqlx::query_as(
        "insert into zones (warehouse_id, code, name, kind, name_zh, name_en)
         values ($1, $2, $3, $4, nullif(btrim($5), ''), nullif(btrim($6), '')) returning *",
    )
    .bind(warehouse_id)
    .bind(new.code.trim())
    .bind(new.name.trim())
    .bind(&new.kind)
    .bind(&new.name_zh)
    .bind(&new.name_en)
    .fetch_one(conn)
    .await?)
}

pub async fn update_zone(conn: &mut PgConnection, id: i64, change: &ZoneChange) -> Result<Zone> {
    sqlx::query_as(
        "update zones set code = coalesce($2, code), name = coalesce($3, name), kind = coalesce($4, kind),
            name_zh = case when $5::text is null then name_zh else nullif(btrim($5), '') end,
            name_en = case when $6::text is null then name_en else nullif(btrim($6), '') end
         where id = $1 returning *",
    )
    .bind(id)
    .bind(&change.code)
    .bind(&change.name)
    .bind(&change.kind)
    .bind(&change.name_zh)
    .bind(&change.name_en)
    .fetch_optional(conn)
    .await?
    .or_not_found(|| format!("zone {id}"))
}

pub async fn delete_zone(conn: &mut PgConnection, id: i64) -> Result<()> {
    delete_row(conn, "zones", id, &format!("zone {id}"), STILL_USED).await
}

/// Every zone as `(id, "warehouse · zone")`; `storage_only`: only where assets are kept
/// (storage and staging), not the gates' sides.
pub async fn zone_names(conn: &mut PgConnection, storage_only: bool) -> Result<Vec<(i64, String)>> {
    Ok(sqlx::query_as(
        "select z.id, w.name || ' · ' || z.name from zones z join warehouses w on w.id = z.warehouse_id
         where not $1 or z.kind in ('storage', 'staging') order by w.code, z.code",
    )
    .bind(storage_only)
    .fetch_all(conn)
    .await?)
}

/// Every zone with its warehouse's name, code, name and kind, for the registers page.
pub async fn zone_listing(
    conn: &mut PgConnection,
) -> Result<Vec<(String, String, String, String)>> {
    Ok(sqlx::query_as(
        "select w.name, z.code, z.name, z.kind from zones z join warehouses w on w.id = z.warehouse_id order by w.code, z.code",
    )
    .fetch_all(conn)
    .await?)
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct Category {
    pub id: i64,
    pub code: String,
    pub name: String,
    /// The name in 中文, where it differs from `name`; pages in 中文 show it.
    pub name_zh: Option<String>,
    /// The name in English, where it differs from `name`; pages in English show it.
    pub name_en: Option<String>,
    /// What a new asset of the category takes as its useful life unless given.
    pub useful_life_months: Option<i32>,
    /// The market's price of renting one for a day, in fen: what lending one for a day
    /// saves. `None`: no price, so its lending counts nothing towards the savings.
    pub daily_rent_fen: Option<i64>,
    pub created_at: DateTime<Utc>,
    /// The category it sits under, if any (the category tree).
    pub parent_id: Option<i64>,
    /// The national classification code (GB/T 14885, 固定资产分类与代码), 2 to 10 digits.
    pub national_code: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCategory {
    pub code: Text,
    pub name: Text,
    /// The name in 中文, where it differs from `name`; omitted: none.
    #[serde(default)]
    pub name_zh: Option<Text>,
    /// The name in English, where it differs from `name`; omitted: none.
    #[serde(default)]
    pub name_en: Option<Text>,
    pub useful_life_months: Option<Months>,
    /// The market's daily rental price of one, in fen (more than 0); omitted: none.
    #[serde(default)]
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 10_000_000_000_000_i64)]
    pub daily_rent_fen: Option<Fen>,
    /// The category it sits under; omitted: a top category.
    #[serde(default)]
    pub parent_id: Option<i64>,
    /// The national classification code (GB/T 14885), 2 to 10 digits; omitted: none.
    #[serde(default)]
    #[schema(value_type = Option<String>, pattern = "^[0-9]{2,10}$")]
    pub national_code: Option<Text>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryChange {
    pub code: Option<Text>,
    pub name: Option<Text>,
    /// The name in 中文; `""`: none any more; omitted: unchanged.
    pub name_zh: Option<Text>,
    /// The name in English; `""`: none any more; omitted: unchanged.
    pub name_en: Option<Text>,
    pub useful_life_months: Option<Months>,
    /// The market's daily rental price of one, in fen (more than 0); `null`: no price any
    /// more; omitted: unchanged.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 10_000_000_000_000_i64)]
    pub daily_rent_fen: Option<Option<Fen>>,
    /// The category it sits under; `null`: a top category; omitted: unchanged.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    pub parent_id: Option<Option<i64>>,
    /// The national classification code; `null`: none; omitted: unchanged.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, pattern = "^[0-9]{2,10}$")]
    pub national_code: Option<Option<Text>>,
}

/// A field that may be `null`: given (`Some`, perhaps `Some(None)`) or left out (`None`).
fn present<'de, D, T>(d: D) -> std::result::Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// A daily rental price is more than 0: a category that costs nothing to rent has none.
fn check_daily_rent(fen: Option<Fen>) -> Result<()> {
    if fen == Some(Fen::ZERO) {
        return Err(super::Error::Invalid(
            "a daily rental price is more than 0 fen (give none for a category without one)".into(),
        ));
    }
    Ok(())
}

pub async fn categories(conn: &mut PgConnection) -> Result<Vec<Category>> {
    Ok(sqlx::query_as("select * from categories order by code")
        .fetch_all(conn)
        .await?)
}

pub async fn category(conn: &mut PgConnection, id: i64) -> Result<Category> {
    sqlx::query_as("select * from categories where id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await?
        .or_not_found(|| format!("category {id}"))
}

/// A national classification code: 2 to 10 digits.
fn check_national_code(code: Option<&Text>) -> Result<Option<String>> {
    let Some(code) = code.map(|c| c.trim()).filter(|c| !c.is_empty()) else {
        return Ok(None);
    };
    if !(2..=10).contains(&code.len()) || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(super::Error::Invalid(format!(
            "national_code: {code:?} is not 2 to 10 digits (GB/T 14885)"
        )));
    }
    Ok(Some(code.to_owned()))
}

/// A category may sit under `parent` if the parent exists and is not `id` itself nor under
/// it (the tree has no cycles).
async fn check_parent(conn: &mut PgConnection, id: Option<i64>, parent: Option<i64>) -> Result<()> {
    let Some(parent) = parent else {
        return Ok(());
    };
    let chain: Vec<i64> = sqlx::query_scalar(
        "with recursive up(id, parent_id, depth) as (
             select id, parent_id, 0 from categories where id = $1
             union all
             select c.id, c.parent_id, up.depth + 1 from categories c join up on c.id = up.parent_id
             where up.depth < 64)
         select id from up",
    )
    .bind(parent)
    .fetch_all(&mut *conn)
    .await?;
    if chain.is_empty() {
        return Err(super::Error::Conflict(format!(
            "parent_id: no category {parent}"
        )));
    }
    if id.is_some_and(|id| chain.contains(&id)) {
        return Err(super::Error::Conflict(
            "parent_id: a category cannot sit under itself or one of its own".into(),
        ));
    }
    Ok(())
}

pub async fn create_category(conn: &mut PgConnection, new: &NewCategory) -> Result<Category> {
    check_daily_rent(new.daily_rent_fen)?;
    let national_code = check_national_code(new.national_code.as_ref())?;
    check_parent(conn, None, new.parent_id).await?;
    Ok(sqlx::query_as(
        "insert into categories (code, name, useful_life_months, daily_rent_fen, parent_id, national_code,
             name_zh, name_en)
         values ($1, $2, $3, $4, $5, $6, nullif(btrim($7), ''), nullif(btrim($8), '')) returning *",
    )
    .bind(new.code.trim())
    .bind(new.name.trim())
    .bind(new.useful_life_months.map(Months::as_i32))
    .bind(new.daily_rent_fen)
    .bind(new.parent_id)
    .bind(national_code)
    .bind(&new.name_zh)
    .bind(&new.name_en)
    .fetch_one(conn)
    .await?)
}

pub async fn update_category(
    conn: &mut PgConnection,
    id: i64,
    change: &CategoryChange,
) -> Result<Category> {
    let rent = change.daily_rent_fen;
    check_daily_rent(rent.flatten())?;
    let national_code = match &change.national_code {
        Some(code) => Some(check_national_code(code.as_ref())?),
        None => None,
    };
    if let Some(parent) = change.parent_id {
        check_parent(conn, Some(id), parent).await?;
    }
    sqlx::query_as(
        "update categories set code = coalesce($2, code), name = coalesce($3, name),
            useful_life_months = coalesce($4, useful_life_months),
            daily_rent_fen = case when $5 then $6 else daily_rent_fen end,
            parent_id = case when $7 then $8 else parent_id end,
            national_code = case when $9 then $10 else national_code end,
            name_zh = case when $11::text is null then name_zh else nullif(btrim($11), '') end,
            name_en = case when $12::text is null then name_en else nullif(btrim($12), '') end
         where id = $1 returning *",
    )
    .bind(id)
    .bind(&change.code)
    .bind(&change.name)
    .bind(change.useful_life_months.map(Months::as_i32))
    .bind(rent.is_some())
    .bind(rent.flatten())
    .bind(change.parent_id.is_some())
    .bind(change.parent_id.flatten())
    .bind(national_code.is_some())
    .bind(national_code.flatten())
    .bind(&change.name_zh)
    .bind(&change.name_en)
    .fetch_optional(conn)
    .await?
    .or_not_found(|| format!("category {id}"))
}

pub async fn delete_category(conn: &mut PgConnection, id: i64) -> Result<()> {
    delete_row(
        conn,
        "categories",
        id,
        &format!("category {id}"),
        STILL_USED,
    )
    .await
}

/// A name kept also in another language.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OtherName {
    /// category, department, warehouse or zone
    pub register: String,
    pub name: String,
    pub name_zh: Option<String>,
    pub name_en: Option<String>,
}

/// Every department, warehouse, zone and category name kept also in 中文 or English.
pub async fn other_names(conn: &mut PgConnection) -> Result<Vec<OtherName>> {
    Ok(sqlx::query_as(
        "select 'category' as register, name, name_zh, name_en from categories
             where name_zh is not null or name_en is not null
         union all
         select 'department', name, name_zh, name_en from departments
             where name_zh is not null or name_en is not null
         union all
         select 'warehouse', name, name_zh, name_en from warehouses
             where name_zh is not null or name_en is not null
         union all
         select 'zone', name, name_zh, name_en from zones
             where name_zh is not null or name_en is not null",
    )
    .fetch_all(conn)
    .await?)
}
