//! Who someone is: users, roles, password hashes (argon2 on the blocking pool, a few at a
//! time), session and API tokens, and the sign-in throttle. Signing in is an operation of
//! the application layer (`app::session`).

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

use crate::db::{self, credentials};

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
    /// Finance approver: signs off the loans the approval chain sends to finance (great value
    /// or length); otherwise reads what the auditor reads.
    Finance,
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

/// Whole seconds, rounded up, at least one: what `Retry-After` says.
pub fn retry_after_secs(wait: std::time::Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

static DUMMY_HASH: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| hash_password("no such user"));

/// A new session for `user_id`: its token (for the cookie; only its digest is stored) and
/// when it ends.
pub async fn create_session(
    conn: &mut PgConnection,
    user_id: i64,
    hours: i64,
) -> db::Result<(String, DateTime<Utc>)> {
    let (token, digest) = new_token("s_");
    let expires = credentials::insert_session(conn, &digest, user_id, hours).await?;
    Ok((token, expires))
}

pub async fn end_session(conn: &mut PgConnection, token: &str) -> db::Result<()> {
    credentials::end_session(conn, &token_digest(token)).await
}

pub async fn actor_for_session(conn: &mut PgConnection, token: &str) -> db::Result<Option<Actor>> {
    credentials::actor_for_session(conn, &token_digest(token)).await
}

pub async fn actor_for_api_token(
    conn: &mut PgConnection,
    token: &str,
) -> db::Result<Option<Actor>> {
    credentials::actor_for_api_token(conn, &token_digest(token)).await
}

/// Create an API token for a user, expiring after `days` (never, if `None`); the token
/// itself is shown once and never stored.
pub async fn create_api_token(
    conn: &mut PgConnection,
    username: &str,
    name: &str,
    days: Option<i64>,
) -> db::Result<String> {
    let (token, digest) = new_token("dpt_");
    credentials::insert_api_token(conn, username, &digest, name, days).await?;
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
