//! Departments and users.

use serde::Deserialize;
use sqlx::PgConnection;
use utoipa::ToSchema;

use super::policy::{authorize, person_filter, Target};
use super::{App, Error, Op, Result};
use crate::auth::{self, Actor, Role};
use crate::db::people::{self, Department, DepartmentChange, NewDepartment, User, UserUpdate};

pub async fn list_departments(app: &App, actor: &Actor) -> Result<Vec<Department>> {
    authorize(actor, Op::ListDepartments, Target::Nothing)?;
    Ok(people::departments(&mut *app.pool.acquire().await?).await?)
}

pub async fn create_department(app: &App, actor: &Actor, new: NewDepartment) -> Result<Department> {
    authorize(actor, Op::CreateDepartment, Target::Nothing)?;
    Ok(people::create_department(&mut *app.pool.acquire().await?, &new).await?)
}

pub async fn get_department(app: &App, actor: &Actor, id: i64) -> Result<Department> {
    authorize(actor, Op::GetDepartment, Target::Nothing)?;
    Ok(people::department(&mut *app.pool.acquire().await?, id).await?)
}

pub async fn update_department(
    app: &App,
    actor: &Actor,
    id: i64,
    change: DepartmentChange,
) -> Result<Department> {
    authorize(actor, Op::UpdateDepartment, Target::Nothing)?;
    Ok(people::update_department(&mut *app.pool.acquire().await?, id, &change).await?)
}

pub async fn delete_department(app: &App, actor: &Actor, id: i64) -> Result<()> {
    authorize(actor, Op::DeleteDepartment, Target::Nothing)?;
    Ok(people::delete_department(&mut *app.pool.acquire().await?, id).await?)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub username: String,
    pub display_name: Option<String>,
    pub password: String,
    pub role: Role,
    pub department_id: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserChange {
    pub display_name: Option<String>,
    pub password: Option<String>,
    pub role: Option<Role>,
    pub department_id: Option<i64>,
    pub active: Option<bool>,
}

/// Long enough to resist guessing, short enough to type on a tablet.
pub const MIN_PASSWORD_LEN: usize = 4;

fn check_password(password: &str) -> Result<()> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(Error::Invalid(format!(
            "a password has at least {MIN_PASSWORD_LEN} characters"
        )));
    }
    Ok(())
}

/// Users: admins and auditors see all, everyone else themselves.
pub async fn list_users(app: &App, actor: &Actor) -> Result<Vec<User>> {
    authorize(actor, Op::ListUsers, Target::Nothing)?;
    let only = person_filter(actor, Op::ListUsers);
    Ok(people::users(&mut *app.pool.acquire().await?, only).await?)
}

pub async fn create_user(app: &App, actor: &Actor, new: NewUser) -> Result<User> {
    authorize(actor, Op::CreateUser, Target::Nothing)?;
    insert_user(&mut *app.pool.acquire().await?, &new).await
}

/// Create a user, with nobody's authority: `depot user add`, the demo, the tests.
pub async fn insert_user(conn: &mut PgConnection, new: &NewUser) -> Result<User> {
    check_password(&new.password)?;
    let username = new.username.trim();
    let row = people::NewUserRow {
        username,
        display_name: new.display_name.as_deref().unwrap_or(username),
        password_hash: &auth::hash_password(&new.password),
        role: new.role,
        department_id: new.department_id,
    };
    Ok(people::insert_user(conn, &row).await?)
}

pub async fn get_user(app: &App, actor: &Actor, id: i64) -> Result<User> {
    authorize(actor, Op::GetUser, Target::Person(id))?;
    Ok(people::user(&mut *app.pool.acquire().await?, id).await?)
}

/// Change a user. Everyone may change their own name and password; the admin anyone's, and
/// their role, department and whether they may sign in. A new password or a deactivation ends
/// the user's sessions.
pub async fn update_user(app: &App, actor: &Actor, id: i64, change: UserChange) -> Result<User> {
    authorize(actor, Op::UpdateUser, Target::Person(id))?;
    if change.role.is_some() || change.department_id.is_some() || change.active.is_some() {
        authorize(actor, Op::ChangeAccess, Target::Nothing)?;
    }
    if let Some(p) = &change.password {
        check_password(p)?;
    }
    let hash = change.password.as_deref().map(auth::hash_password);
    let update = UserUpdate {
        display_name: change.display_name.as_deref(),
        password_hash: hash.as_deref(),
        role: change.role,
        department_id: change.department_id,
        active: change.active,
    };
    let mut tx = app.pool.begin().await?;
    let user = people::update_user(&mut tx, id, &update).await?;
    if change.active == Some(false) || change.password.is_some() {
        people::end_sessions(&mut tx, id).await?;
    }
    tx.commit().await?;
    Ok(user)
}

/// Deactivate a user: they can no longer sign in, and their sessions and API tokens end.
/// Users are never deleted, because the event log names them.
pub async fn deactivate_user(app: &App, actor: &Actor, id: i64) -> Result<()> {
    authorize(actor, Op::DeactivateUser, Target::Nothing)?;
    if actor.id == id {
        return Err(Error::Conflict("you cannot deactivate yourself".into()));
    }
    let mut tx = app.pool.begin().await?;
    people::deactivate_user(&mut tx, id).await?;
    tx.commit().await?;
    Ok(())
}
