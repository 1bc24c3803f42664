//! Credentials: password hashes, sessions and API tokens (stored as SHA-256 digests only).

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgConnection;
use utoipa::ToSchema;

use super::{OptionalExt, Result};

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

/// Tokens, newest first: one user's, or everyone's (`user_id` `None`).
pub async fn tokens(
    conn: &mut PgConnection,
    user_id: Option<i64>,
    page: i64,
    per_page: i64,
) -> Result<(Vec<ApiToken>, i64)> {
    let total = sqlx::query_scalar(
        "select count(*) from api_tokens where $1::bigint is null or user_id = $1",
    )
    .bind(user_id)
    .fetch_one(&mut *conn)
    .await?;
    let items = sqlx::query_as(&format!(
        "{TOKEN} where $1::bigint is null or t.user_id = $1 order by t.id desc limit $2 offset $3"
    ))
    .bind(user_id)
    .bind(per_page)
    .bind((page - 1) * per_page)
    .fetch_all(conn)
    .await?;
    Ok((items, total))
}

/// Revoke a token (again is fine); `owner` `Some`: only if it is theirs, else not found.
pub async fn revoke_token(
    conn: &mut PgConnection,
    id: i64,
    owner: Option<i64>,
) -> Result<ApiToken> {
    let found: Option<i64> = sqlx::query_scalar(
        "update api_tokens set revoked_at = coalesce(revoked_at, now())
         where id = $1 and ($2::bigint is null or user_id = $2) returning id",
    )
    .bind(id)
    .bind(owner)
    .fetch_optional(&mut *conn)
    .await?;
    found.or_not_found(|| format!("API token {id}"))?;
    Ok(sqlx::query_as(&format!("{TOKEN} where t.id = $1"))
        .bind(id)
        .fetch_one(conn)
        .await?)
}
