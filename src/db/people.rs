//! Departments and users: the registers of who asks and who works.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use utoipa::ToSchema;

use super::{Error, OptionalExt, Result};
use crate::auth::Role;
use crate::domain::bounds::Text;

#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct Department {
    pub id: i64,
    pub code: String,
    pub name: String,
    /// The name in 中文, where it differs from `name`; pages in 中文 show it.
    pub name_zh: Option<String>,
    /// The name in English, where it differs from `name`; pages in English show it.
    pub name_en: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDepartment {
    #[schema(value_type = crate::domain::bounds::FilledText)]
    pub code: Text,
    #[schema(value_type = crate::domain::bounds::FilledText)]
    pub name: Text,
    /// The name in 中文, where it differs from `name`; omitted: none.
    #[serde(default)]
    pub name_zh: Option<Text>,
    /// The name in English, where it differs from `name`; omitted: none.
    #[serde(default)]
    pub name_en: Option<Text>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DepartmentChange {
    #[schema(value_type = Option<crate::domain::bounds::FilledText>)]
    pub code: Option<Text>,
    #[schema(value_type = Option<crate::domain::bounds::FilledText>)]
    pub name: Option<Text>,
    /// The name in 中文; `""`: none any more; omitted: unchanged.
    pub name_zh: Option<Text>,
    /// The name in English; `""`: none any more; omitted: unchanged.
    pub name_en: Option<Text>,
}

pub async fn departments(conn: &mut PgConnection) -> Result<Vec<Department>> {
    Ok(sqlx::query_as("select * from departments order by code")
        .fetch_all(conn)
        .await?)
}

pub async fn department(conn: &mut PgConnection, id: i64) -> Result<Department> {
    sqlx::query_as("select * from departments where id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await?
        .or_not_found(|| format!("department {id}"))
}

/// The department with this code, if any.
pub async fn department_by_code(conn: &mut PgConnection, code: &str) -> Result<Option<i64>> {
    Ok(
        sqlx::query_scalar("select id from departments where code = $1")
            .bind(code)
            .fetch_optional(conn)
            .await?,
    )
}

pub async fn create_department(conn: &mut PgConnection, new: &NewDepartment) -> Result<Department> {
    Ok(sqlx::query_as(
        "insert into departments (code, name, name_zh, name_en)
             values ($1, $2, nullif(btrim($3), ''), nullif(btrim($4), '')) returning *",
    )
    .bind(new.code.trim())
    .bind(new.name.trim())
    .bind(&new.name_zh)
    .bind(&new.name_en)
    .fetch_one(conn)
    .await?)
}

pub async fn update_department(
    conn: &mut PgConnection,
    id: i64,
    change: &DepartmentChange,
) -> Result<Department> {
    sqlx::query_as(
        "update departments set code = coalesce($2, code), name = coalesce($3, name),
            name_zh = case when $4::text is null then name_zh else nullif(btrim($4), '') end,
            name_en = case when $5::text is null then name_en else nullif(btrim($5), '') end
         where id = $1 returning *",
    )
    .bind(id)
    .bind(change.code.as_deref().map(str::trim))
    .bind(change.name.as_deref().map(str::trim))
    .bind(&change.name_zh)
    .bind(&change.name_en)
    .fetch_optional(conn)
    .await?
    .or_not_found(|| format!("department {id}"))
}

/// Delete a department nothing refers to.
pub async fn delete_department(conn: &mut PgConnection, id: i64) -> Result<()> {
    super::delete_row(
        conn,
        "departments",
        id,
        &format!("department {id}"),
        "still has users, assets or orders; move or close them first",
    )
    .await
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub department_id: Option<i64>,
    pub active: bool,
    /// Where notifications are e-mailed; none: the inbox only.
    pub email: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A user row with their department's name, for the registers page.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserListing {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub department: Option<String>,
    pub active: bool,
}

const USER_COLUMNS: &str =
    "id, username, display_name, role, department_id, active, email, created_at";

/// A user to store: the password already hashed.
pub struct NewUserRow<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub password_hash: &'a str,
    pub role: Role,
    pub department_id: Option<i64>,
    pub email: Option<&'a str>,
}

pub async fn insert_user(conn: &mut PgConnection, new: &NewUserRow<'_>) -> Result<User> {
    Ok(sqlx::query_as(&format!(
        "insert into users (username, display_name, password_hash, role, department_id, email)
         values ($1, $2, $3, $4, $5, $6) returning {USER_COLUMNS}"
    ))
    .bind(new.username)
    .bind(new.display_name)
    .bind(new.password_hash)
    .bind(new.role)
    .bind(new.department_id)
    .bind(new.email)
    .fetch_one(conn)
    .await?)
}

/// Users by username, one page of them, and how many in all; `only`: just that one.
pub async fn users(
    conn: &mut PgConnection,
    only: Option<i64>,
    window: super::Window,
) -> Result<(Vec<User>, super::Total)> {
    super::page(
        conn,
        &format!("select {USER_COLUMNS} from users"),
        "where $1::bigint is null or id = $1",
        "username",
        args![only],
        window,
    )
    .await
}

/// How many users there are (none: a fresh database).
/// The id of the user with this name, if any.
pub async fn user_id(conn: &mut PgConnection, username: &str) -> Result<Option<i64>> {
    Ok(
        sqlx::query_scalar("select id from users where username = $1")
            .bind(username)
            .fetch_optional(conn)
            .await?,
    )
}

pub async fn count_users(conn: &mut PgConnection) -> Result<i64> {
    Ok(sqlx::query_scalar("select count(*) from users")
        .fetch_one(conn)
        .await?)
}

/// Which users: of a role, of a department; each `None`: any.
#[derive(Debug, Default, Clone, Copy)]
pub struct UserFilter {
    pub role: Option<Role>,
    pub department_id: Option<i64>,
}

const USER_LISTING: &str =
    "select u.id, u.username, u.display_name, u.role, d.name as department, u.active
         from users u left join departments d on d.id = u.department_id";

/// [`UserFilter`] on the users `u`: the role as `$1`, the department as `$2`.
const USER_FILTER: &str = "where ($1::user_role is null or u.role = $1)
       and ($2::bigint is null or u.department_id = $2)";

/// The users `filter` picks, with their department's name, by username.
pub async fn user_listing(
    conn: &mut PgConnection,
    filter: UserFilter,
    window: super::Window,
) -> Result<(Vec<UserListing>, super::Total)> {
    super::page(
        conn,
        USER_LISTING,
        USER_FILTER,
        "u.username",
        args![filter.role, filter.department_id],
        window,
    )
    .await
}

/// Every user as [`user_listing`] lists them, by login, as they come (for the export).
pub fn user_rows(conn: &mut PgConnection, filter: UserFilter) -> super::Rows<'_, UserListing> {
    static SQL: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| format!("{USER_LISTING} {USER_FILTER} order by u.username"));
    let mut args = sqlx::postgres::PgArguments::default();
    let added = sqlx::Arguments::add(&mut args, filter.role)
        .and_then(|()| sqlx::Arguments::add(&mut args, filter.department_id));
    if let Err(e) = added {
        return super::reports::failed(e);
    }
    super::rows(conn, SQL.as_str(), args)
}

pub async fn user(conn: &mut PgConnection, id: i64) -> Result<User> {
    sqlx::query_as(&format!("select {USER_COLUMNS} from users where id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .or_not_found(|| format!("user {id}"))
}

/// What changes about a user (a password changes through `credentials`).
#[derive(Debug, Default)]
pub struct UserUpdate<'a> {
    pub display_name: Option<&'a str>,
    pub role: Option<Role>,
    pub department_id: Option<i64>,
    pub active: Option<bool>,
    /// `Some(None)`: no address any more.
    pub email: Option<Option<&'a str>>,
}

pub async fn update_user(
    conn: &mut PgConnection,
    id: i64,
    change: &UserUpdate<'_>,
) -> Result<User> {
    sqlx::query_as(&format!(
        "update users set display_name = coalesce($2, display_name),
                role = coalesce($3, role), department_id = coalesce($4, department_id), active = coalesce($5, active),
                email = case when $6 then $7 else email end
         where id = $1 returning {USER_COLUMNS}"
    ))
    .bind(id)
    .bind(change.display_name)
    .bind(change.role)
    .bind(change.department_id)
    .bind(change.active)
    .bind(change.email.is_some())
    .bind(change.email.flatten())
    .fetch_optional(conn)
    .await?
    .or_not_found(|| format!("user {id}"))
}

/// Deactivate a user: no more sign-ins, no sessions, no API tokens.
pub async fn deactivate_user(conn: &mut PgConnection, id: i64) -> Result<()> {
    let done = sqlx::query("update users set active = false where id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    if done.rows_affected() == 0 {
        return Err(Error::NotFound(format!("user {id}")));
    }
    super::credentials::end_all(conn, id, None).await
}
