//! Places and kinds: warehouses, their zones, and asset categories.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{require, ApiError, ApiResult, AppState, Json, Path};
use crate::auth::{Actor, Role};
use crate::db::OptionalExt;
use crate::domain::bounds::Text;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_warehouses, create_warehouse))
        .routes(routes!(get_warehouse, update_warehouse, delete_warehouse))
        .routes(routes!(list_zones, create_zone))
        .routes(routes!(get_zone, update_zone, delete_zone))
        .routes(routes!(list_categories, create_category))
        .routes(routes!(get_category, update_category, delete_category))
}

const MANAGERS: &[Role] = &[Role::Admin];

/// Map a foreign-key failure on delete to a message that says what to do.
fn still_used(what: String) -> impl FnOnce(sqlx::Error) -> ApiError {
    move |e| match ApiError::from(e) {
        ApiError::Conflict(_) => ApiError::Conflict(format!(
            "{what} is still in use; move what refers to it first"
        )),
        other => other,
    }
}

async fn delete_row(state: &AppState, table: &str, id: i64, what: String) -> ApiResult<StatusCode> {
    let done = sqlx::query(&format!("delete from {table} where id = $1"))
        .bind(id)
        .execute(&state.pool)
        .await
        .map_err(still_used(what.clone()))?;
    if done.rows_affected() == 0 {
        return Err(ApiError::NotFound(what));
    }
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, sqlx::FromRow, ToSchema)]
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

#[utoipa::path(get, path = "/warehouses", tag = "warehouses", responses((status = 200, body = Vec<Warehouse>)))]
async fn list_warehouses(
    _actor: Actor,
    State(state): State<AppState>,
) -> ApiResult<Json<Vec<Warehouse>>> {
    Ok(Json(
        sqlx::query_as("select * from warehouses order by code")
            .fetch_all(&state.pool)
            .await?,
    ))
}

#[utoipa::path(post, path = "/warehouses", tag = "warehouses", request_body = NewWarehouse, responses((status = 201, body = Warehouse)))]
async fn create_warehouse(
    actor: Actor,
    State(state): State<AppState>,
    Json(body): Json<NewWarehouse>,
) -> ApiResult<(StatusCode, Json<Warehouse>)> {
    require(&actor, MANAGERS, "create warehouses")?;
    let row = sqlx::query_as(
        "insert into warehouses (code, name, address) values ($1, $2, $3) returning *",
    )
    .bind(body.code.trim())
    .bind(body.name.trim())
    .bind(&body.address)
    .fetch_one(&state.pool)
    .await?;
    Ok((StatusCode::CREATED, Json(row)))
}

#[utoipa::path(get, path = "/warehouses/{id}", tag = "warehouses", responses((status = 200, body = Warehouse)))]
async fn get_warehouse(
    _actor: Actor,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> ApiResult<Json<Warehouse>> {
    Ok(Json(
        sqlx::query_as("select * from warehouses where id = $1")
            .bind(id)
            .fetch_optional(&state.pool)
            .await?
            .or_not_found(|| format!("warehouse {id}"))?,
    ))
}

#[utoipa::path(patch, path = "/warehouses/{id}", tag = "warehouses", request_body = WarehouseChange, responses((status = 200, body = Warehouse)))]
async fn update_warehouse(
    actor: Actor,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Json(body): Json<WarehouseChange>,
) -> ApiResult<Json<Warehouse>> {
    require(&actor, MANAGERS, "change warehouses")?;
    Ok(Json(
        sqlx::query_as(
            "update warehouses set code = coalesce($2, code), name = coalesce($3, name), address = coalesce($4, address)
             where id = $1 returning *",
        )
        .bind(id)
        .bind(&body.code)
        .bind(&body.name)
        .bind(&body.address)
        .fetch_optional(&state.pool)
        .await?
        .or_not_found(|| format!("warehouse {id}"))?,
    ))
}

#[utoipa::path(delete, path = "/warehouses/{id}", tag = "warehouses", responses((status = 204)))]
async fn delete_warehouse(
    actor: Actor,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    require(&actor, MANAGERS, "delete warehouses")?;
    delete_row(&state, "warehouses", id, format!("warehouse {id}")).await
}

#[derive(Debug, Serialize, sqlx::FromRow, ToSchema)]
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
    Text::parse("storage").expect("plain text")
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ZoneChange {
    pub code: Option<Text>,
    pub name: Option<Text>,
    pub kind: Option<Text>,
}

#[utoipa::path(get, path = "/warehouses/{id}/zones", tag = "warehouses", responses((status = 200, body = Vec<Zone>)))]
async fn list_zones(
    _actor: Actor,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> ApiResult<Json<Vec<Zone>>> {
    Ok(Json(
        sqlx::query_as("select * from zones where warehouse_id = $1 order by code")
            .bind(id)
            .fetch_all(&state.pool)
            .await?,
    ))
}

#[utoipa::path(post, path = "/warehouses/{id}/zones", tag = "warehouses", request_body = NewZone, responses((status = 201, body = Zone)))]
async fn create_zone(
    actor: Actor,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Json(body): Json<NewZone>,
) -> ApiResult<(StatusCode, Json<Zone>)> {
    require(&actor, MANAGERS, "create zones")?;
    let row = sqlx::query_as(
        "insert into zones (warehouse_id, code, name, kind) values ($1, $2, $3, $4) returning *",
    )
    .bind(id)
    .bind(body.code.trim())
    .bind(body.name.trim())
    .bind(&body.kind)
    .fetch_one(&state.pool)
    .await?;
    Ok((StatusCode::CREATED, Json(row)))
}

#[utoipa::path(get, path = "/zones/{id}", tag = "warehouses", responses((status = 200, body = Zone)))]
async fn get_zone(
    _actor: Actor,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> ApiResult<Json<Zone>> {
    Ok(Json(
        sqlx::query_as("select * from zones where id = $1")
            .bind(id)
            .fetch_optional(&state.pool)
            .await?
            .or_not_found(|| format!("zone {id}"))?,
    ))
}

#[utoipa::path(patch, path = "/zones/{id}", tag = "warehouses", request_body = ZoneChange, responses((status = 200, body = Zone)))]
async fn update_zone(
    actor: Actor,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Json(body): Json<ZoneChange>,
) -> ApiResult<Json<Zone>> {
    require(&actor, MANAGERS, "change zones")?;
    Ok(Json(
        sqlx::query_as(
            "update zones set code = coalesce($2, code), name = coalesce($3, name), kind = coalesce($4, kind)
             where id = $1 returning *",
        )
        .bind(id)
        .bind(&body.code)
        .bind(&body.name)
        .bind(&body.kind)
        .fetch_optional(&state.pool)
        .await?
        .or_not_found(|| format!("zone {id}"))?,
    ))
}

#[utoipa::path(delete, path = "/zones/{id}", tag = "warehouses", responses((status = 204)))]
async fn delete_zone(
    actor: Actor,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    require(&actor, MANAGERS, "delete zones")?;
    delete_row(&state, "zones", id, format!("zone {id}")).await
}

#[derive(Debug, Serialize, sqlx::FromRow, ToSchema)]
pub struct Category {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCategory {
    pub code: Text,
    pub name: Text,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryChange {
    pub code: Option<Text>,
    pub name: Option<Text>,
}

#[utoipa::path(get, path = "/categories", tag = "categories", responses((status = 200, body = Vec<Category>)))]
async fn list_categories(
    _actor: Actor,
    State(state): State<AppState>,
) -> ApiResult<Json<Vec<Category>>> {
    Ok(Json(
        sqlx::query_as("select * from categories order by code")
            .fetch_all(&state.pool)
            .await?,
    ))
}

#[utoipa::path(post, path = "/categories", tag = "categories", request_body = NewCategory, responses((status = 201, body = Category)))]
async fn create_category(
    actor: Actor,
    State(state): State<AppState>,
    Json(body): Json<NewCategory>,
) -> ApiResult<(StatusCode, Json<Category>)> {
    require(&actor, MANAGERS, "create categories")?;
    let row = sqlx::query_as("insert into categories (code, name) values ($1, $2) returning *")
        .bind(body.code.trim())
        .bind(body.name.trim())
        .fetch_one(&state.pool)
        .await?;
    Ok((StatusCode::CREATED, Json(row)))
}

#[utoipa::path(get, path = "/categories/{id}", tag = "categories", responses((status = 200, body = Category)))]
async fn get_category(
    _actor: Actor,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> ApiResult<Json<Category>> {
    Ok(Json(
        sqlx::query_as("select * from categories where id = $1")
            .bind(id)
            .fetch_optional(&state.pool)
            .await?
            .or_not_found(|| format!("category {id}"))?,
    ))
}

#[utoipa::path(patch, path = "/categories/{id}", tag = "categories", request_body = CategoryChange, responses((status = 200, body = Category)))]
async fn update_category(
    actor: Actor,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Json(body): Json<CategoryChange>,
) -> ApiResult<Json<Category>> {
    require(&actor, MANAGERS, "change categories")?;
    Ok(Json(
        sqlx::query_as("update categories set code = coalesce($2, code), name = coalesce($3, name) where id = $1 returning *")
            .bind(id)
            .bind(&body.code)
            .bind(&body.name)
            .fetch_optional(&state.pool)
            .await?
            .or_not_found(|| format!("category {id}"))?,
    ))
}

#[utoipa::path(delete, path = "/categories/{id}", tag = "categories", responses((status = 204)))]
async fn delete_category(
    actor: Actor,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    require(&actor, MANAGERS, "delete categories")?;
    delete_row(&state, "categories", id, format!("category {id}")).await
}
