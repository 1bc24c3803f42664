//! Places and kinds: warehouses, their zones, and asset categories.

use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::{router::OpenApiRouter, routes};

use serde::{Deserialize, Serialize};

use super::{ApiResult, App, Json, Path, Query};
use crate::app::catalogue::{self, Browse};
use crate::auth::Actor;
use crate::db::catalogue::{Listing, Offer};
use crate::db::kits::KitOffer;
use crate::db::places::{
    Category, CategoryChange, NewCategory, NewWarehouse, NewZone, Warehouse, WarehouseChange, Zone,
    ZoneChange,
};
use crate::domain::bounds::{Day, Text};

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(list_warehouses, create_warehouse))
        .routes(routes!(get_warehouse, update_warehouse, delete_warehouse))
        .routes(routes!(list_zones, create_zone))
        .routes(routes!(get_zone, update_zone, delete_zone))
        .routes(routes!(list_categories, create_category))
        .routes(routes!(get_category, update_category, delete_category))
        .routes(routes!(browse_catalogue))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct CatalogueQuery {
    /// The first day of the window (default today).
    #[param(value_type = Option<String>, format = Date, pattern = "^(19[0-9]{2}|2[01][0-9]{2}|2200)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub from: Option<Day>,
    /// The last day of the window, inclusive (default the first); at most a year after it.
    #[param(value_type = Option<String>, format = Date, pattern = "^(19[0-9]{2}|2[01][0-9]{2}|2200)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub to: Option<Day>,
    /// Matches a category's name or code.
    #[param(value_type = Option<String>, max_length = 500, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    pub q: Option<Text>,
    pub category: Option<i64>,
    /// The listings after this one: the `listings_next` of the page before.
    pub after: Option<i64>,
}

/// What the catalogue offers for a window of days.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Availability {
    pub from: chrono::NaiveDate,
    pub to: chrono::NaiveDate,
    /// Per category: how many assets can be borrowed for the whole window.
    pub offers: Vec<Offer>,
    /// Other departments' virtual-depot listings free for the window: 200 at a time, by
    /// category name then id.
    pub listings: Vec<Listing>,
    /// When more listings follow: the `after` that shows them.
    pub listings_next: Option<i64>,
    /// Per kit: how many whole kits can be borrowed for the window.
    pub kits: Vec<KitOffer>,
}

/// The catalogue for a window of days (`from`, `to`): per category, what can be borrowed for
/// the whole window — booked ahead or out now counts as free when it is back by then.
#[utoipa::path(get, path = "/catalogue", tag = "categories", params(CatalogueQuery), responses((status = 200, body = Availability)))]
async fn browse_catalogue(
    actor: Actor,
    State(app): State<App>,
    Query(q): Query<CatalogueQuery>,
) -> ApiResult<Json<Availability>> {
    let browse = Browse {
        text: q.q.map(String::from),
        category_id: q.category,
        from: q.from,
        to: q.to,
        after: q.after,
    };
    let (from, to) = catalogue::window(&app, &browse)?;
    let kits = crate::app::kits::offers(&app, &actor, browse.clone()).await?;
    let (offers, listings) = catalogue::browse(&app, &actor, browse).await?;
    Ok(Json(Availability {
        from,
        to,
        offers,
        listings: listings.items,
        listings_next: listings.next,
        kits,
    }))
}

#[utoipa::path(get, path = "/warehouses", tag = "warehouses", responses((status = 200, body = Vec<Warehouse>)))]
async fn list_warehouses(actor: Actor, State(app): State<App>) -> ApiResult<Json<Vec<Warehouse>>> {
    Ok(Json(catalogue::warehouses(&app, &actor).await?))
}

#[utoipa::path(post, path = "/warehouses", tag = "warehouses", request_body = NewWarehouse, responses((status = 201, body = Warehouse)))]
async fn create_warehouse(
    actor: Actor,
    State(app): State<App>,
    Json(body): Json<NewWarehouse>,
) -> ApiResult<(StatusCode, Json<Warehouse>)> {
    let warehouse = catalogue::create_warehouse(&app, &actor, body).await?;
    Ok((StatusCode::CREATED, Json(warehouse)))
}

#[utoipa::path(get, path = "/warehouses/{id}", tag = "warehouses", responses((status = 200, body = Warehouse)))]
async fn get_warehouse(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
) -> ApiResult<Json<Warehouse>> {
    Ok(Json(catalogue::warehouse(&app, &actor, id).await?))
}

#[utoipa::path(patch, path = "/warehouses/{id}", tag = "warehouses", request_body = WarehouseChange, responses((status = 200, body = Warehouse)))]
async fn update_warehouse(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
    Json(body): Json<WarehouseChange>,
) -> ApiResult<Json<Warehouse>> {
    Ok(Json(
        catalogue::update_warehouse(&app, &actor, id, body).await?,
    ))
}

#[utoipa::path(delete, path = "/warehouses/{id}", tag = "warehouses", responses((status = 204)))]
async fn delete_warehouse(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    catalogue::delete_warehouse(&app, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/warehouses/{id}/zones", tag = "warehouses", responses((status = 200, body = Vec<Zone>)))]
async fn list_zones(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
) -> ApiResult<Json<Vec<Zone>>> {
    Ok(Json(catalogue::zones(&app, &actor, id).await?))
}

#[utoipa::path(post, path = "/warehouses/{id}/zones", tag = "warehouses", request_body = NewZone, responses((status = 201, body = Zone)))]
async fn create_zone(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
    Json(body): Json<NewZone>,
) -> ApiResult<(StatusCode, Json<Zone>)> {
    let zone = catalogue::create_zone(&app, &actor, id, body).await?;
    Ok((StatusCode::CREATED, Json(zone)))
}

#[utoipa::path(get, path = "/zones/{id}", tag = "warehouses", responses((status = 200, body = Zone)))]
async fn get_zone(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
) -> ApiResult<Json<Zone>> {
    Ok(Json(catalogue::zone(&app, &actor, id).await?))
}

#[utoipa::path(patch, path = "/zones/{id}", tag = "warehouses", request_body = ZoneChange, responses((status = 200, body = Zone)))]
async fn update_zone(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
    Json(body): Json<ZoneChange>,
) -> ApiResult<Json<Zone>> {
    Ok(Json(catalogue::update_zone(&app, &actor, id, body).await?))
}

#[utoipa::path(delete, path = "/zones/{id}", tag = "warehouses", responses((status = 204)))]
async fn delete_zone(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    catalogue::delete_zone(&app, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/categories", tag = "categories", responses((status = 200, body = Vec<Category>)))]
async fn list_categories(actor: Actor, State(app): State<App>) -> ApiResult<Json<Vec<Category>>> {
    Ok(Json(catalogue::categories(&app, &actor).await?))
}

#[utoipa::path(post, path = "/categories", tag = "categories", request_body = NewCategory, responses((status = 201, body = Category)))]
async fn create_category(
    actor: Actor,
    State(app): State<App>,
    Json(body): Json<NewCategory>,
) -> ApiResult<(StatusCode, Json<Category>)> {
    let category = catalogue::create_category(&app, &actor, body).await?;
    Ok((StatusCode::CREATED, Json(category)))
}

#[utoipa::path(get, path = "/categories/{id}", tag = "categories", responses((status = 200, body = Category)))]
async fn get_category(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
) -> ApiResult<Json<Category>> {
    Ok(Json(catalogue::category(&app, &actor, id).await?))
}

#[utoipa::path(patch, path = "/categories/{id}", tag = "categories", request_body = CategoryChange, responses((status = 200, body = Category)))]
async fn update_category(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
    Json(body): Json<CategoryChange>,
) -> ApiResult<Json<Category>> {
    Ok(Json(
        catalogue::update_category(&app, &actor, id, body).await?,
    ))
}

#[utoipa::path(delete, path = "/categories/{id}", tag = "categories", responses((status = 204)))]
async fn delete_category(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    catalogue::delete_category(&app, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
