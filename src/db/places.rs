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
    pub address: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWarehouse {
    pub code: Text,
    pub name: Text,
    #[serde(default)]
    pub address: Text,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WarehouseChange {
    pub code: Option<Text>,
    pub name: Option<Text>,
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
        "insert into warehouses (code, name, address) values ($1, $2, $3) returning *",
    )
    .bind(new.code.trim())
    .bind(new.name.trim())
    .bind(&new.address)
    .fetch_one(conn)
    .await?)
}

pub async fn update_warehouse(
    conn: &mut PgConnection,
    id: i64,
    change: &WarehouseChange,
) -> Result<Warehouse> {
    sqlx::query_as(
        "update warehouses set code = coalesce($2, code), name = coalesce($3, name), address = coalesce($4, address)
         where id = $1 returning *",
    )
    .bind(id)
    .bind(&change.code)
    .bind(&change.name)
    .bind(&change.address)
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
    /// storage, staging, gate_inside or gate_outside
    pub kind: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewZone {
    pub code: Text,
    pub name: Text,
    #[serde(default = "storage")]
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
        "insert into zones (warehouse_id, code, name, kind) values ($1, $2, $3, $4) returning *",
    )
    .bind(warehouse_id)
    .bind(new.code.trim())
    .bind(new.name.trim())
    .bind(&new.kind)
    .fetch_one(conn)
    .await?)
}

pub async fn update_zone(conn: &mut PgConnection, id: i64, change: &ZoneChange) -> Result<Zone> {
    sqlx::query_as(
        "update zones set code = coalesce($2, code), name = coalesce($3, name), kind = coalesce($4, kind)
         where id = $1 returning *",
    )
    .bind(id)
    .bind(&change.code)
    .bind(&change.name)
    .bind(&change.kind)
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
    /// What a new asset of the category takes as its useful life unless given.
    pub useful_life_months: Option<i32>,
    /// The market's price of renting one for a day, in fen: what lending one for a day
    /// saves. `None`: no price, so its lending counts nothing towards the savings.
    pub daily_rent_fen: Option<i64>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCategory {
    pub code: Text,
    pub name: Text,
    pub useful_life_months: Option<Months>,
    /// The market's daily rental price of one, in fen (more than 0); omitted: none.
    #[serde(default)]
    pub daily_rent_fen: Option<Fen>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryChange {
    pub code: Option<Text>,
    pub name: Option<Text>,
    pub useful_life_months: Option<Months>,
    /// The market's daily rental price of one, in fen (more than 0); `null`: no price any
    /// more; omitted: unchanged.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    pub daily_rent_fen: Option<Option<Fen>>,
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

pub async fn create_category(conn: &mut PgConnection, new: &NewCategory) -> Result<Category> {
    check_daily_rent(new.daily_rent_fen)?;
    Ok(sqlx::query_as(
        "insert into categories (code, name, useful_life_months, daily_rent_fen)
         values ($1, $2, $3, $4) returning *",
    )
    .bind(new.code.trim())
    .bind(new.name.trim())
    .bind(new.useful_life_months.map(Months::as_i32))
    .bind(new.daily_rent_fen)
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
    sqlx::query_as(
        "update categories set code = coalesce($2, code), name = coalesce($3, name),
            useful_life_months = coalesce($4, useful_life_months),
            daily_rent_fen = case when $5 then $6 else daily_rent_fen end
         where id = $1 returning *",
    )
    .bind(id)
    .bind(&change.code)
    .bind(&change.name)
    .bind(change.useful_life_months.map(Months::as_i32))
    .bind(rent.is_some())
    .bind(rent.flatten())
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
