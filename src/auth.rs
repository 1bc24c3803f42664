//! Who someone is: users, roles, password hashes, session and API tokens.

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use chrono::{DateTime, Utc};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::PgConnection;
use utoipa::ToSchema;

use crate::db::{self, OptionalExt};

/// What a user may do. Mirrors the `user_role` enum.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    sqlx::Type,
    ToSchema,
    clap::ValueEnum,
)]
#[sqlx(type_name = "user_role", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Depot manager: approves orders, manages users, departments and readers.
    Admin,
    /// Warehouse staff: intake, gate, issue and return, stocktakes.
    Keeper,
    /// Staff of a department: requests loans and transfers for it.
    Requester,
    /// Finance bureau: reads everything, changes nothing.
    Auditor,
}

/// The authenticated user behind a request.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct Actor {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub department_id: Option<i64>,
}

impl Actor {
    pub fn is(&self, roles: &[Role]) -> bool {
        roles.contains(&self.role)
    }
}

pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 with default parameters")
        .to_string()
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// A fresh random token (256 bits, hex) and the digest that is stored in its place.
pub fn new_token(prefix: &str) -> (String, Vec<u8>) {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = format!(
        "{prefix}{}",
        crate::domain::epc::hex_upper(&bytes).to_lowercase()
    );
    let digest = token_digest(&token);
    (token, digest)
}

pub fn token_digest(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

const ACTOR_COLUMNS: &str = "u.id, u.username, u.display_name, u.role, u.department_id";

/// Check a username and password; inactive users cannot log in.
pub async fn login(
    conn: &mut PgConnection,
    username: &str,
    password: &str,
) -> db::Result<Option<Actor>> {
    let row: Option<(String, bool)> =
        sqlx::query_as("select password_hash, active from users where username = $1")
            .bind(username)
            .fetch_optional(&mut *conn)
            .await?;
    let Some((hash, active)) = row else {
        // Same work as a real check, so timing does not tell which usernames exist.
        verify_password(password, &DUMMY_HASH);
        return Ok(None);
    };
    if !verify_password(password, &hash) || !active {
        return Ok(None);
    }
    Ok(Some(
        sqlx::query_as(&format!(
            "select {ACTOR_COLUMNS} from users u where u.username = $1"
        ))
        .bind(username)
        .fetch_one(conn)
        .await?,
    ))
}

static DUMMY_HASH: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| hash_password("no such user"));

pub async fn create_session(
    conn: &mut PgConnection,
    user_id: i64,
    hours: i64,
) -> db::Result<(String, DateTime<Utc>)> {
    let (token, digest) = new_token("s_");
    let expires: DateTime<Utc> = sqlx::query_scalar(
        "insert into sessions (token_hash, user_id, expires_at) values ($1, $2, now() + make_interval(hours => $3::int))
         returning expires_at",
    )
    .bind(digest)
    .bind(user_id)
    .bind(hours as i32)
    .fetch_one(conn)
    .await?;
    Ok((token, expires))
}

pub async fn end_session(conn: &mut PgConnection, token: &str) -> db::Result<()> {
    sqlx::query("delete from sessions where token_hash = $1")
        .bind(token_digest(token))
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn actor_for_session(conn: &mut PgConnection, token: &str) -> db::Result<Option<Actor>> {
    Ok(sqlx::query_as(&format!(
        "select {ACTOR_COLUMNS} from sessions s join users u on u.id = s.user_id
         where s.token_hash = $1 and s.expires_at > now() and u.active"
    ))
    .bind(token_digest(token))
    .fetch_optional(conn)
    .await?)
}

pub async fn actor_for_api_token(
    conn: &mut PgConnection,
    token: &str,
) -> db::Result<Option<Actor>> {
    Ok(sqlx::query_as(&format!(
        "update api_tokens t set last_used_at = now() from users u
         where t.token_hash = $1 and u.id = t.user_id and u.active and t.revoked_at is null
           and (t.expires_at is null or t.expires_at > now())
         returning {ACTOR_COLUMNS}"
    ))
    .bind(token_digest(token))
    .fetch_optional(conn)
    .await?)
}

/// Create an API token for a user; the token itself is shown once and never stored.
pub async fn create_api_token(
    conn: &mut PgConnection,
    username: &str,
    name: &str,
    days: Option<i64>,
) -> db::Result<String> {
    let user_id: i64 = sqlx::query_scalar("select id from users where username = $1")
        .bind(username)
        .fetch_optional(&mut *conn)
        .await?
        .or_not_found(|| format!("user {username:?}"))?;
    let (token, digest) = new_token("dpt_");
    sqlx::query(
        "insert into api_tokens (token_hash, user_id, name, expires_at)
         values ($1, $2, $3, case when $4::int is null then null else now() + make_interval(days => $4::int) end)",
    )
    .bind(digest)
    .bind(user_id)
    .bind(name)
    .bind(days.map(|d| d as i32))
    .execute(conn)
    .await?;
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_round_trip() {
        let hash = hash_password("demo");
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("demo", &hash));
        assert!(!verify_password("Demo", &hash));
        assert!(!verify_password("demo", "not a hash"));
    }

    #[test]
    fn tokens_are_unique_and_digested() {
        let (a, da) = new_token("s_");
        let (b, _) = new_token("s_");
        assert_ne!(a, b);
        assert_eq!(a.len(), 2 + 64);
        assert_eq!(token_digest(&a), da);
    }
}
