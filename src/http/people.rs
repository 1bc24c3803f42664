//! Departments and users.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{ApiResult, App, Json, Page, Paging, Path, Query};
use crate::app::people::{self, NewUser, UserChange};
use crate::auth::Actor;
use crate::cookie;
use crate::db::people::{Department, DepartmentChange, NewDepartment, User};

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(list_departments, create_department))
        .routes(routes!(
            get_department,
            update_department,
            delete_department
        ))
        .routes(routes!(list_users, create_user))
        .routes(routes!(get_user, update_user, deactivate_user))
}

/// All departments (every signed-in user may read names and codes).
#[utoipa::path(get, path = "/departments", tag = "departments", responses((status = 200, body = Vec<Department>)))]
async fn list_departments(
    actor: Actor,
    State(app): State<App>,
) -> ApiResult<Json<Vec<Department>>> {
    Ok(Json(people::list_departments(&app, &actor).await?))
}

#[utoipa::path(post, path = "/departments", tag = "departments", request_body = NewDepartment,
    responses((status = 201, body = Department), (status = 409, body = super::error::ErrorBody)))]
async fn create_department(
    actor: Actor,
    State(app): State<App>,
    Json(body): Json<NewDepartment>,
) -> ApiResult<(StatusCode, Json<Department>)> {
    let department = people::create_department(&app, &actor, body).await?;
    Ok((StatusCode::CREATED, Json(department)))
}

#[utoipa::path(get, path = "/departments/{id}", tag = "departments", responses((status = 200, body = Department)))]
async fn get_department(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
) -> ApiResult<Json<Department>> {
    Ok(Json(people::get_department(&app, &actor, id).await?))
}

#[utoipa::path(patch, path = "/departments/{id}", tag = "departments", request_body = DepartmentChange,
    responses((status = 200, body = Department)))]
async fn update_department(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
    Json(body): Json<DepartmentChange>,
) -> ApiResult<Json<Department>> {
    Ok(Json(
        people::update_department(&app, &actor, id, body).await?,
    ))
}

/// Delete a department that nothing refers to (409 otherwise).
#[utoipa::path(delete, path = "/departments/{id}", tag = "departments", responses((status = 204), (status = 409, body = super::error::ErrorBody)))]
async fn delete_department(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    people::delete_department(&app, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Users (admins and auditors see all; others see themselves).
/// The list of users is paged by page number only.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct UserQuery {
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    pub page: Option<crate::domain::bounds::PageNo>,
    pub per_page: Option<i64>,
}

#[utoipa::path(get, path = "/users", tag = "users", params(UserQuery), responses((status = 200, body = Page<User>)))]
async fn list_users(
    actor: Actor,
    State(app): State<App>,
    Query(q): Query<UserQuery>,
) -> ApiResult<Json<Page<User>>> {
    let paging = Paging {
        page: q.page,
        per_page: q.per_page,
        after: None,
    };
    Ok(Json(people::list_users(&app, &actor, paging).await?))
}

#[utoipa::path(post, path = "/users", tag = "users", request_body = NewUser, responses((status = 201, body = User)))]
async fn create_user(
    actor: Actor,
    State(app): State<App>,
    Json(body): Json<NewUser>,
) -> ApiResult<(StatusCode, Json<User>)> {
    let user = people::create_user(&app, &actor, body).await?;
    Ok((StatusCode::CREATED, Json(user)))
}

#[utoipa::path(get, path = "/users/{id}", tag = "users", responses((status = 200, body = User)))]
async fn get_user(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
) -> ApiResult<Json<User>> {
    Ok(Json(people::get_user(&app, &actor, id).await?))
}

/// Change a user. Admins change anything; users may change their own name and password,
/// their password only with the current one. A new password ends the user's other
/// sessions and revokes their API tokens.
#[utoipa::path(patch, path = "/users/{id}", tag = "users", request_body = UserChange, responses((status = 200, body = User)))]
async fn update_user(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    Json(body): Json<UserChange>,
) -> ApiResult<Json<User>> {
    let session = cookie::session(&headers);
    Ok(Json(
        people::update_user(&app, &actor, id, body, session.as_deref()).await?,
    ))
}

/// Deactivate a user: they can no longer sign in, and their sessions end. Users are never
/// deleted, because the event log names them.
#[utoipa::path(delete, path = "/users/{id}", tag = "users", responses((status = 204)))]
async fn deactivate_user(
    actor: Actor,
    State(app): State<App>,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    people::deactivate_user(&app, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
