//! Departments and users.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{require, ApiError, ApiResult, AppState, Json, Page, Paging, Path, Query};
use crate::auth::{self, Actor, Role};
use crate::db::{credentials, OptionalExt};
use crate::domain::bounds::{NewPassword, Password, Text};

pub fn router() -> OpenApiRouter<AppState> {
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

#[derive(Debug, Serialize, sqlx::FromRow, ToSchema)]
pub struct Department {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDepartment {
    pub code: Text,
    pub name: Text,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DepartmentChange {
    pub code: Option<Text>,
    pub name: Option<Text>,
}

/// All departments (every signed-in user may read names and codes).
#[utoipa::path(get, path = "/departments", tag = "departments", responses((status = 200, body = Vec<Department>)))]
async fn list_departments(
    _actor: Actor,
    State(state): State<AppState>,
) -> ApiResult<Json<Vec<Department>>> {
    Ok(Json(
        sqlx::query_as("select * from departments order by code")
            .fetch_all(&state.pool)
            .await?,
    ))
}

#[utoipa::path(post, path = "/departments", tag = "departments", request_body = NewDepartment,
    responses((status = 201, body = Department), (status = 409, body = super::error::ErrorBody)))]
async fn create_department(
    actor: Actor,
    State(state): State<AppState>,
    Json(body): Json<NewDepartment>,
) -> ApiResult<(StatusCode, Json<Department>)> {
    require(&actor, &[Role::Admin], "create departments")?;
    let department =
        sqlx::query_as("insert into departments (code, name) values ($1, $2) returning *")
            .bind(body.code.trim())
            .bind(body.name.trim())
            .fetch_one(&state.pool)
            .await?;
    Ok((StatusCode::CREATED, Json(department)))
}

#[utoipa::path(get, path = "/departments/{id}", tag = "departments", responses((status = 200, body = Department)))]
async fn get_department(
    _actor: Actor,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> ApiResult<Json<Department>> {
    let department = sqlx::query_as("select * from departments where id = $1")
        .bind(id)
        .fetch_optional(&state.pool)
        .await?
        .or_not_found(|| format!("department {id}"))?;
    Ok(Json(department))
}

#[utoipa::path(patch, path = "/departments/{id}", tag = "departments", request_body = DepartmentChange,
    responses((status = 200, body = Department)))]
async fn update_department(
    actor: Actor,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Json(body): Json<DepartmentChange>,
) -> ApiResult<Json<Department>> {
    require(&actor, &[Role::Admin], "change departments")?;
    let department = sqlx::query_as(
        "update departments set code = coalesce($2, code), name = coalesce($3, name) where id = $1 returning *",
    )
    .bind(id)
    .bind(body.code.as_deref().map(str::trim))
    .bind(body.name.as_deref().map(str::trim))
    .fetch_optional(&state.pool)
    .await?
    .or_not_found(|| format!("department {id}"))?;
    Ok(Json(department))
}

/// Delete a department that nothing refers to (409 otherwise).
#[utoipa::path(delete, path = "/departments/{id}", tag = "departments", responses((status = 204), (status = 409, body = super::error::ErrorBody)))]
async fn delete_department(
    actor: Actor,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    require(&actor, &[Role::Admin], "delete departments")?;
    let deleted = sqlx::query("delete from departments where id = $1")
        .bind(id)
        .execute(&state.pool)
        .await
        .map_err(|e| match ApiError::from(e) {
            ApiError::Conflict(_) => ApiError::Conflict(format!(
                "department {id} still has users, assets or orders; move or close them first"
            )),
            other => other,
        })?;
    if deleted.rows_affected() == 0 {
        return Err(ApiError::NotFound(format!("department {id}")));
    }
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, sqlx::FromRow, ToSchema)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub department_id: Option<i64>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub username: Text,
    pub display_name: Option<Text>,
    /// At least 10 characters.
    pub password: NewPassword,
    pub role: Role,
    pub department_id: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserChange {
    pub display_name: Option<Text>,
    /// A new password (at least 10 characters). Changing one's own needs `current_password`;
    /// either way the user's other sessions end and their API tokens are revoked.
    pub password: Option<NewPassword>,
    pub current_password: Option<Password>,
    pub role: Option<Role>,
    pub department_id: Option<i64>,
    pub active: Option<bool>,
}

const USER_COLUMNS: &str = "id, username, display_name, role, department_id, active, created_at";

/// Users (admins and auditors see all; others see themselves).
#[utoipa::path(get, path = "/users", tag = "users", params(Paging), responses((status = 200, body = Page<User>)))]
async fn list_users(
    actor: Actor,
    State(state): State<AppState>,
    Query(paging): Query<Paging>,
) -> ApiResult<Json<Page<User>>> {
    let (page, per_page) = paging.resolve();
    let all = actor.is(&[Role::Admin, Role::Auditor]);
    let total = sqlx::query_scalar("select count(*) from users where $1 or id = $2")
        .bind(all)
        .bind(actor.id)
        .fetch_one(&state.pool)
        .await?;
    let items = sqlx::query_as(&format!(
        "select {USER_COLUMNS} from users where $1 or id = $2 order by username limit $3 offset $4"
    ))
    .bind(all)
    .bind(actor.id)
    .bind(per_page)
    .bind((page - 1) * per_page)
    .fetch_all(&state.pool)
    .await?;
    Ok(Json(Page::of((items, total), (page, per_page))))
}

#[utoipa::path(post, path = "/users", tag = "users", request_body = NewUser, responses((status = 201, body = User)))]
async fn create_user(
    actor: Actor,
    State(state): State<AppState>,
    Json(body): Json<NewUser>,
) -> ApiResult<(StatusCode, Json<User>)> {
    require(&actor, &[Role::Admin], "create users")?;
    let hash = state.guard.passwords.hash(body.password.expose()).await;
    let mut conn = state.pool.acquire().await?;
    let user = insert_user_hashed(&mut conn, body.account(), &hash).await?;
    Ok((StatusCode::CREATED, Json(user)))
}

/// Create a user (also used by `depot user add` and the demo).
pub async fn insert_user(conn: &mut sqlx::PgConnection, body: &NewUser) -> ApiResult<User> {
    let hash = auth::hash_password(body.password.expose());
    insert_user_hashed(conn, body.account(), &hash).await
}

/// Who a new user is, apart from their password.
#[derive(Debug, Clone, Copy)]
pub struct Account<'a> {
    pub username: &'a str,
    pub display_name: Option<&'a str>,
    pub role: Role,
    pub department_id: Option<i64>,
}

impl NewUser {
    pub fn account(&self) -> Account<'_> {
        Account {
            username: &self.username,
            display_name: self.display_name.as_deref(),
            role: self.role,
            department_id: self.department_id,
        }
    }
}

/// Create a user whose password is already hashed: hashing runs off the async workers
/// with no connection held (see [`auth::Passwords`]); the demo seeds its users this way
/// with a password below the policy.
pub async fn insert_user_hashed(
    conn: &mut sqlx::PgConnection,
    account: Account<'_>,
    password_hash: &str,
) -> ApiResult<User> {
    let username = account.username.trim();
    Ok(sqlx::query_as(&format!(
        "insert into users (username, display_name, password_hash, role, department_id)
         values ($1, $2, $3, $4, $5) returning {USER_COLUMNS}"
    ))
    .bind(username)
    .bind(account.display_name.unwrap_or(username))
    .bind(password_hash)
    .bind(account.role)
    .bind(account.department_id)
    .fetch_one(conn)
    .await?)
}

#[utoipa::path(get, path = "/users/{id}", tag = "users", responses((status = 200, body = User)))]
async fn get_user(
    actor: Actor,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> ApiResult<Json<User>> {
    if actor.id != id && !actor.is(&[Role::Admin, Role::Auditor]) {
        return Err(ApiError::NotFound(format!("user {id}")));
    }
    let user = sqlx::query_as(&format!("select {USER_COLUMNS} from users where id = $1"))
        .bind(id)
        .fetch_optional(&state.pool)
        .await?
        .or_not_found(|| format!("user {id}"))?;
    Ok(Json(user))
}

/// Change a user. Admins change anything; users may change their own name and password.
#[utoipa::path(patch, path = "/users/{id}", tag = "users", request_body = UserChange, responses((status = 200, body = User)))]
async fn update_user(
    actor: Actor,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    headers: axum::http::HeaderMap,
    Json(body): Json<UserChange>,
) -> ApiResult<Json<User>> {
    let own = actor.id == id
        && body.role.is_none()
        && body.department_id.is_none()
        && body.active.is_none();
    if !own {
        require(
            &actor,
            &[Role::Admin],
            "change other users, roles or departments",
        )?;
    }
    if let Some(new) = &body.password {
        let session = super::session_cookie(&headers);
        auth::change_password(
            &state.pool,
            &state.guard,
            &actor,
            id,
            body.current_password.as_ref(),
            new,
            session.as_deref(),
        )
        .await
        .map_err(|e| match e {
            auth::SignInError::WrongCredentials => ApiError::Forbidden(
                "give your current password (current_password) to change it".into(),
            ),
            other => other.into(),
        })?;
    }
    let user = sqlx::query_as(&format!(
        "update users set display_name = coalesce($2, display_name),
                role = coalesce($3, role), department_id = coalesce($4, department_id), active = coalesce($5, active)
         where id = $1 returning {USER_COLUMNS}"
    ))
    .bind(id)
    .bind(&body.display_name)
    .bind(body.role)
    .bind(body.department_id)
    .bind(body.active)
    .fetch_optional(&state.pool)
    .await?
    .or_not_found(|| format!("user {id}"))?;
    if body.active == Some(false) {
        credentials::end_all(&mut *state.pool.acquire().await?, id, None).await?;
    }
    Ok(Json(user))
}

/// Deactivate a user: they can no longer sign in, and their sessions end. Users are never
/// deleted, because the event log names them.
#[utoipa::path(delete, path = "/users/{id}", tag = "users", responses((status = 204)))]
async fn deactivate_user(
    actor: Actor,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    require(&actor, &[Role::Admin], "deactivate users")?;
    if actor.id == id {
        return Err(ApiError::Conflict("you cannot deactivate yourself".into()));
    }
    let mut tx = state.pool.begin().await?;
    let done = sqlx::query("update users set active = false where id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() == 0 {
        return Err(ApiError::NotFound(format!("user {id}")));
    }
    credentials::end_all(&mut tx, id, None).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
