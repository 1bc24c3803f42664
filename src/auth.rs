//! Who someone is: users, roles, password hashes, session and API tokens; signing in
//! (throttled, argon2 on the blocking pool) and changing one's password.

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

use crate::db::{self, credentials, OptionalExt};
use crate::domain::bounds::{NewPassword, Password};

/// Sign-in throttling per account and per client address.
pub mod throttle;

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

    /// Admins, keepers and auditors see every department; a requester only their own.
    pub fn sees_department(&self, department_id: i64) -> bool {
        self.role != Role::Requester || self.department_id == Some(department_id)
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

/// Argon2 is deliberately slow (tens of milliseconds of CPU): it runs on the blocking pool,
/// at most a few at a time, and never while a database connection is held, so a flood of
/// sign-ins waits its turn instead of stalling every other request.
#[derive(Debug, Clone)]
pub struct Passwords {
    permits: std::sync::Arc<tokio::sync::Semaphore>,
}

impl Default for Passwords {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Passwords::new((cores / 2).clamp(1, 4))
    }
}

impl Passwords {
    pub fn new(at_once: usize) -> Self {
        Passwords {
            permits: std::sync::Arc::new(tokio::sync::Semaphore::new(at_once)),
        }
    }

    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> T {
        let _permit = self
            .permits
            .acquire()
            .await
            .expect("the semaphore is never closed");
        tokio::task::spawn_blocking(work)
            .await
            .expect("password hashing does not panic")
    }

    pub async fn hash(&self, password: &str) -> String {
        let password = password.to_owned();
        self.run(move || hash_password(&password)).await
    }

    /// Check `password` against `hash`; with no hash (no such user), do the same work
    /// against a dummy one and answer `false`, so timing does not tell which names exist.
    pub async fn verify(&self, password: &str, hash: Option<String>) -> bool {
        let password = password.to_owned();
        self.run(move || match hash {
            Some(hash) => verify_password(&password, &hash),
            None => {
                verify_password(&password, &DUMMY_HASH);
                false
            }
        })
        .await
    }
}

/// What guards sign-in, shared by the API and the pages.
#[derive(Debug, Default)]
pub struct Guard {
    pub passwords: Passwords,
    pub throttle: throttle::Throttle,
}

/// Why a sign-in (or a password check) was refused.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("wrong username or password")]
    WrongCredentials,
    /// Too many failures lately: try again after this long.
    #[error("too many failed sign-ins: try again in {} s", retry_after_secs(*.0))]
    Throttled(std::time::Duration),
    #[error(transparent)]
    Db(#[from] db::Error),
}

/// Whole seconds, rounded up, at least one: what `Retry-After` says.
pub fn retry_after_secs(wait: std::time::Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

impl From<sqlx::Error> for SignInError {
    fn from(e: sqlx::Error) -> Self {
        SignInError::Db(e.into())
    }
}

/// A new session: who, its token (for the cookie) and when it ends.
#[derive(Debug)]
pub struct Session {
    pub actor: Actor,
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

/// Sign in: throttled per account and per address; the password is checked on the
/// blocking pool with no connection held; inactive users and unknown names cost the same
/// work as a wrong password and get the same answer.
pub async fn sign_in(
    pool: &sqlx::PgPool,
    guard: &Guard,
    username: &str,
    password: &Password,
    from: Option<std::net::IpAddr>,
    session_hours: i64,
) -> Result<Session, SignInError> {
    let now = std::time::Instant::now();
    if let Some(wait) = guard.throttle.wait(username, from, now) {
        return Err(SignInError::Throttled(wait));
    }
    let login = credentials::login(&mut *pool.acquire().await?, username).await?;
    let (hash, user) = match login {
        Some(l) => (Some(l.password_hash), Some((l.id, l.active))),
        None => (None, None),
    };
    let right = guard.passwords.verify(password.expose(), hash).await;
    let user_id = match user {
        Some((id, true)) if right => id,
        _ => {
            guard.throttle.failed(username, from, now);
            return Err(SignInError::WrongCredentials);
        }
    };
    guard.throttle.succeeded(username);
    let mut conn = pool.acquire().await?;
    let actor = actor(&mut conn, user_id).await?;
    let (token, expires_at) = create_session(&mut conn, user_id, session_hours).await?;
    Ok(Session {
        actor,
        token,
        expires_at,
    })
}

/// Change `actor`'s own password, or (an admin) another user's. One's own needs the
/// current password, checked like a sign-in (and throttled as one). Afterwards every
/// other credential of the user ends: their sessions, except the one making the change
/// (`current_session`), and all their API tokens.
pub async fn change_password(
    pool: &sqlx::PgPool,
    guard: &Guard,
    actor: &Actor,
    user_id: i64,
    current: Option<&Password>,
    new: &NewPassword,
    current_session: Option<&str>,
) -> Result<(), SignInError> {
    if actor.id == user_id {
        let now = std::time::Instant::now();
        if let Some(wait) = guard.throttle.wait(&actor.username, None, now) {
            return Err(SignInError::Throttled(wait));
        }
        let hash = credentials::password_hash(&mut *pool.acquire().await?, user_id).await?;
        let right = match current {
            Some(p) => guard.passwords.verify(p.expose(), Some(hash)).await,
            None => false,
        };
        if !right {
            guard.throttle.failed(&actor.username, None, now);
            return Err(SignInError::WrongCredentials);
        }
    }
    let hash = guard.passwords.hash(new.expose()).await;
    let mut tx = pool.begin().await?;
    credentials::set_password_hash(&mut tx, user_id, &hash).await?;
    let keep = current_session
        .filter(|_| actor.id == user_id)
        .map(token_digest);
    credentials::end_all(&mut tx, user_id, keep.as_deref()).await?;
    tx.commit().await?;
    Ok(())
}

async fn actor(conn: &mut PgConnection, user_id: i64) -> db::Result<Actor> {
    Ok(sqlx::query_as(&format!(
        "select {ACTOR_COLUMNS} from users u where u.id = $1"
    ))
    .bind(user_id)
    .fetch_one(conn)
    .await?)
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

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn password_work_runs_on_the_blocking_pool_a_few_at_a_time() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::Arc;
        let passwords = Passwords::new(2);
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let (passwords, running, most) = (passwords.clone(), running.clone(), most.clone());
                tokio::spawn(async move {
                    passwords
                        .run(move || {
                            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                            most.fetch_max(now, Ordering::SeqCst);
                            std::thread::sleep(std::time::Duration::from_millis(5));
                            running.fetch_sub(1, Ordering::SeqCst);
                        })
                        .await
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        assert!((1..=2).contains(&most.load(Ordering::SeqCst)));
        let hash = passwords.hash("long enough pw").await;
        assert!(passwords.verify("long enough pw", Some(hash.clone())).await);
        assert!(!passwords.verify("wrong", Some(hash)).await);
        assert!(!passwords.verify("long enough pw", None).await);
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
