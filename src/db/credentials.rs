//! Credentials: password hashes, sessions and API tokens (stored as SHA-256 digests only).

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgConnection;
use utoipa::ToSchema;

use super::{OptionalExt, Result};
use crate::auth::Actor;

const ACTOR_COLUMNS: &str = "u.id, u.username, u.display_name, u.role, u.department_id";

/// Who a user is, as a request's actor.
pub async fn actor(conn: &mut PgConnection, user_id: i64) -> Result<Actor> {
    sqlx::query_as(&format!(
        "select {ACTOR_COLUMNS} from users u where u.id = $1"
    ))
    .bind(user_id)
    .fetch_optional(conn)
    .await?
    .or_not_found(|| format!("user {user_id}"))
}

/// Who an active user is, by username (a command run at the terminal acts as them).
pub async fn actor_by_username(conn: &mut PgConnection, username: &str) -> Result<Actor> {
    sqlx::query_as(&format!(
        "select {ACTOR_COLUMNS} from users u where u.username = $1 and u.active"
    ))
    .bind(username)
    .fetch_optional(conn)
    .await?
    .or_not_found(|| format!("active user {username:?}"))
}

/// Store a new session by its token's digest; returns when it expires.
pub async fn insert_session(
    conn: &mut PgConnection,
    digest: &[u8],
    user_id: i64,
    hours: i64,
) -> Result<DateTime<Utc>> {
    Ok(sqlx::query_scalar(
        "insert into sessions (token_hash, user_id, expires_at)
         values ($1, $2, now() + make_interval(hours => $3::int)) returning expires_at",
    )
    .bind(digest)
    .bind(user_id)
    .bind(i32::try_from(hours).unwrap_or(i32::MAX))
    .fetch_one(conn)
    .await?)
}

pub async fn end_session(conn: &mut PgConnection, digest: &[u8]) -> Result<()> {
    sqlx::query("delete from sessions where token_hash = $1")
        .bind(digest)
        .execute(conn)
        .await?;
    Ok(())
}

/// The active user of an unexpired session.
pub async fn actor_for_session(conn: &mut PgConnection, digest: &[u8]) -> Result<Option<Actor>> {
    Ok(sqlx::query_as(&format!(
        "select {ACTOR_COLUMNS} from sessions s join users u on u.id = s.user_id
         where s.token_hash = $1 and s.expires_at > now() and u.active"
    ))
    .bind(digest)
    .fetch_optional(conn)
    .await?)
}

/// The active user of an API token neither revoked nor expired; notes its use.
pub async fn actor_for_api_token(conn: &mut PgConnection, digest: &[u8]) -> Result<Option<Actor>> {
    Ok(sqlx::query_as(&format!(
        "update api_tokens t set last_used_at = now() from users u
         where t.token_hash = $1 and u.id = t.user_id and u.active and t.revoked_at is null
           and (t.expires_at is null or t.expires_at > now())
         returning {ACTOR_COLUMNS}"
    ))
    .bind(digest)
    .fetch_optional(conn)
    .await?)
}

/// Store an API token of `username` by its digest, expiring after `days` (never: `None`).
pub async fn insert_api_token(
    conn: &mut PgConnection,
    username: &str,
    digest: &[u8],
    name: &str,
    days: Option<i64>,
) -> Result<()> {
    let user_id: i64 = sqlx::query_scalar("select id from users where username = $1")
        .bind(username)
        .fetch_optional(&mut *conn)
        .await?
        .or_not_found(|| format!("user {username:?}"))?;
    sqlx::query(
        "insert into api_tokens (token_hash, user_id, name, expires_at)
         values ($1, $2, $3, case when $4::int is null then null else now() + make_interval(days => $4::int) end)",
    )
    .bind(digest)
    .bind(user_id)
    .bind(name)
    .bind(days.map(|d| i32::try_from(d).unwrap_or(i32::MAX)))
    .execute(conn)
    .await?;
    Ok(())
}

/// What sign-in needs to know about a username.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Login {
    pub id: i64,
    pub password_hash: String,
    pub active: bool,
}

pub async fn login(conn: &mut PgConnection, username: &str) -> Result<Option<Login>> {
    Ok(
        sqlx::query_as("select id, password_hash, active from users where username = $1")
            .bind(username)
            .fetch_optional(conn)
            .await?,
    )
}

pub async fn password_hash(conn: &mut PgConnection, user_id: i64) -> Result<String> {
    sqlx::query_scalar("select password_hash from users where id = $1")
        .bind(user_id)
        .fetch_optional(conn)
        .await?
        .or_not_found(|| format!("user {user_id}"))
}

pub async fn set_password_hash(conn: &mut PgConnection, user_id: i64, hash: &str) -> Result<()> {
    sqlx::query("update users set password_hash = $2 where id = $1")
        .bind(user_id)
        .bind(hash)
        .execute(conn)
        .await?;
    Ok(())
}

/// End a user's sessions (all, or all but the one whose digest is `keep`) and revoke their
/// API tokens: what a password change or a deactivation does to old credentials.
pub async fn end_all(conn: &mut PgConnection, user_id: i64, keep: Option<&[u8]>) -> Result<()> {
    sqlx::query(
        "delete from sessions where user_id = $1 and ($2::bytea is null or token_hash <> $2)",
    )
    .bind(user_id)
    .bind(keep)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "update api_tokens set revoked_at = now() where user_id = $1 and revoked_at is null",
    )
    .bind(user_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Delete the sessions that have expired; returns how many.
pub async fn sweep_sessions(conn: &mut PgConnection) -> Result<u64> {
    Ok(
        sqlx::query("delete from sessions where expires_at <= now()")
            .execute(conn)
            .await?
            .rows_affected(),
    )
}

/// An API token as its owner or an admin sees it (never the token itself).
#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct ApiToken {
    pub id: i64,
    pub user_id: i64,
    pub username: String,
    /// What it is for.
    pub name: String,
    pub created_at: DateTime<Utc>,
    /// Never, if null.
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// Neither revoked nor expired.
    pub active: bool,
}

const TOKEN: &str = "select t.id, t.user_id, u.username, t.name, t.created_at, t.expires_at, t.last_used_at,
    t.revoked_at, (t.revoked_at is null and (t.expires_at is null or t.expires_at > now())) as active
    from api_tokens t join users u on u.id = t.user_id";

/// Tokens, newest first: one user's, or everyone's (`user_id` `None`); one page of them,
/// and how many in all.
pub async fn tokens(
    conn: &mut PgConnection,
    user_id: Option<i64>,
    window: super::Window,
) -> Result<(Vec<ApiToken>, super::Total)> {
    super::page(
        conn,
        TOKEN,
        "where $1::bigint is null or t.user_id = $1",
        "t.id desc",
        args![user_id],
        window,
    )
    .await
}

/// A token, whoever's it is.
pub async fn token(conn: &mut PgConnection, id: i64) -> Result<ApiToken> {
    sqlx::query_as(&format!("{TOKEN} where t.id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .or_not_found(|| format!("API token {id}"))
}

/// Revoke a token (again is fine).
pub async fn revoke_token(conn: &mut PgConnection, id: i64) -> Result<ApiToken> {
    sqlx::query("update api_tokens set revoked_at = coalesce(revoked_at, now()) where id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    token(conn, id).await
}
