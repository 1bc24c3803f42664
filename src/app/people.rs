//! Departments and users.

use serde::Deserialize;
use sqlx::PgConnection;
use utoipa::ToSchema;

use super::policy::{authorize, person_filter, Target};
use super::{App, Error, Op, Page, Paging, Result};
use crate::auth::{self, Actor, Role};
use crate::db::credentials;
use crate::db::people::{self, Department, DepartmentChange, NewDepartment, User, UserUpdate};
use crate::domain::bounds::{Email, NewPassword, Password, Text};

pub async fn list_departments(app: &App, actor: &Actor) -> Result<Vec<Department>> {
    authorize(actor, Op::ListDepartments, Target::Nothing)?;
    Ok(people::departments(&mut *app.pool.acquire().await?).await?)
}

pub async fn create_department(app: &App, actor: &Actor, new: NewDepartment) -> Result<Department> {
    authorize(actor, Op::CreateDepartment, Target::Nothing)?;
    let created = people::create_department(&mut *app.pool.acquire().await?, &new).await?;
    app.names.forget();
    Ok(created)
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
    let changed = people::update_department(&mut *app.pool.acquire().await?, id, &change).await?;
    app.names.forget();
    Ok(changed)
}

pub async fn delete_department(app: &App, actor: &Actor, id: i64) -> Result<()> {
    authorize(actor, Op::DeleteDepartment, Target::Nothing)?;
    Ok(people::delete_department(&mut *app.pool.acquire().await?, id).await?)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    #[schema(value_type = crate::domain::bounds::FilledText)]
    pub username: Text,
    pub display_name: Option<Text>,
    /// At least 10 characters.
    pub password: NewPassword,
    pub role: Role,
    pub department_id: Option<i64>,
    /// Where notifications are e-mailed; omitted or empty: the inbox only.
    #[serde(default)]
    pub email: Email,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
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
    /// Where notifications are e-mailed; empty: no e-mail any more. Everyone may set their own.
    pub email: Option<Email>,
}

/// Users: admins and auditors see all, everyone else themselves.
pub async fn list_users(app: &App, actor: &Actor, paging: Paging) -> Result<Page<User>> {
    let only = person_filter(actor, Op::ListUsers);
    let window = paging.window();
    let found = app
        .read(actor, Op::ListUsers, async |c| {
            people::users(c, only, window).await
        })
        .await?;
    Ok(Page::new(window, found))
}

/// Create a user. The password is hashed on the blocking pool before a connection is taken.
pub async fn create_user(app: &App, actor: &Actor, new: NewUser) -> Result<User> {
    authorize(actor, Op::CreateUser, Target::Nothing)?;
    let hash = app.guard.passwords.hash(new.password.expose()).await;
    insert_user_hashed(&mut *app.pool.acquire().await?, &new, &hash).await
}

/// Create a user, with nobody's authority: `depot user add`, the tests.
pub async fn insert_user(conn: &mut PgConnection, new: &NewUser) -> Result<User> {
    insert_user_hashed(conn, new, &auth::hash_password(new.password.expose())).await
}

async fn insert_user_hashed(conn: &mut PgConnection, new: &NewUser, hash: &str) -> Result<User> {
    let username = new.username.trim();
    let row = people::NewUserRow {
        username,
        display_name: new.display_name.as_deref().unwrap_or(username),
        password_hash: hash,
        role: new.role,
        department_id: new.department_id,
        email: new.email.get(),
    };
    Ok(people::insert_user(conn, &row).await?)
}

pub async fn get_user(app: &App, actor: &Actor, id: i64) -> Result<User> {
    authorize(actor, Op::GetUser, Target::Person(id))?;
    Ok(people::user(&mut *app.pool.acquire().await?, id).await?)
}

/// Change a user. Everyone may change their own name and password (their own password only
/// with the current one); the admin anyone's, and their role, department and whether they
/// may sign in. A new password ends the user's other sessions and revokes their API tokens
/// (`session`: the credential making the change, which stays); a deactivation ends them all.
pub async fn update_user(
    app: &App,
    actor: &Actor,
    id: i64,
    change: UserChange,
    session: Option<&str>,
) -> Result<User> {
    authorize(actor, Op::UpdateUser, Target::Person(id))?;
    if change.role.is_some() || change.department_id.is_some() || change.active.is_some() {
        authorize(actor, Op::ChangeAccess, Target::Nothing)?;
    }
    // Checked and hashed before the transaction, applied in it: all of the change or none.
    let password = match &change.password {
        Some(new) => Some(
            super::session::check_password_change(
                app,
                actor,
                id,
                change.current_password.as_ref(),
                new,
                session,
            )
            .await?,
        ),
        None => None,
    };
    let update = UserUpdate {
        display_name: change.display_name.as_deref(),
        role: change.role,
        department_id: change.department_id,
        active: change.active,
        email: change.email.as_ref().map(Email::get),
    };
    let mut tx = app.pool.begin().await?;
    let user = people::update_user(&mut tx, id, &update).await?;
    if let Some(password) = &password {
        password.apply(&mut tx).await?;
    }
    if change.active == Some(false) {
        credentials::end_all(&mut tx, id, None).await?;
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
