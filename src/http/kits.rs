//! Kits over HTTP: admins keep them; everyone reads them (the catalogue offers them).

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{ApiResult, App, Json, Page, Paging, Path, Query};
use crate::app::kits;
use crate::auth::Actor;
use crate::db::kits::{Kit, NewKit};
use crate::domain::bounds::PageNo;

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(list_kits, create_kit))
        .routes(routes!(get_kit, delete_kit))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct KitQuery {
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    pub page: Option<PageNo>,
    pub per_page: Option<i64>,
}

/// The kits by name, each with its parts, a page at a time. Paged by page number (the list
/// is in name order).
#[utoipa::path(get, path = "/kits", tag = "kits", params(KitQuery), responses((status = 200, body = Page<Kit>)))]
async fn list_kits(
    actor: Actor,
    State(app): State<App>,
    Query(q): Query<KitQuery>,
) -> ApiResult<Json<Page<Kit>>> {
    let paging = Paging {
        page: q.page,
        per_page: q.per_page,
        after: None,
    };
    Ok(Json(kits::page(&app, &actor, paging).await?))
}

/// Create a kit (admin): a name and its parts, each a category with a quantity or one asset.
#[utoipa::path(post, path = "/kits", tag = "kits", request_body = NewKit, responses((status = 201, body = Kit)))]
async fn create_kit(
    actor: Actor,
    State(app): State<App>,
    Json(body): Json<NewKit>,
) -> ApiResult<(StatusCode, Json<Kit>)> {
    let kit = kits::create(&app, &actor, body).await?;
    Ok((StatusCode::CREATED, Json(kit)))
}

#[utoipa::path(get, path = "/kits/{id}", tag = "kits", responses((status = 200, body = Kit)))]
async fn get_kit(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
) -> ApiResult<Json<Kit>> {
    Ok(Json(kits::get(&app, &actor, id).await?))
}

/// Delete a kit (admin); one a loan names answers 409.
#[utoipa::path(delete, path = "/kits/{id}", tag = "kits", responses((status = 204)))]
async fn delete_kit(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    kits::delete(&app, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
