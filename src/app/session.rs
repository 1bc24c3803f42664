//! Signing in and out, changing one's password, and API tokens: listing and revoking them.
//!
//! Sign-in is throttled per account and per client address (`auth::throttle`); passwords
//! are checked and hashed on the blocking pool, a few at a time, with no database connection
//! held (`auth::Passwords`), so a flood of guesses neither runs free nor stalls other
//! requests.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use super::policy::{authorize, person_filter, Target};
use super::{App, Error, Op, Page, Paging, Result};
use crate::auth::{self, Actor};
use crate::db::credentials::{self, ApiToken};
use crate::domain::bounds::{NewPassword, Password, Text};

/// A new session: who, its token (for the cookie) and when it ends.
#[derive(Debug)]
pub struct Session {
    pub actor: Actor,
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

/// Too many failed sign-ins lately: 429 with `Retry-After`.
fn throttled(wait: Duration) -> Error {
    let secs = auth::retry_after_secs(wait);
    Error::TooManyRequests {
        message: format!("too many failed sign-ins: try again in {secs} s"),
        retry_after: secs,
    }
}

/// Why a sign-in did not happen: wrong credentials (the same answer whatever was wrong; a
/// front end may show its own page for it), or anything else an operation can meet.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("wrong username or password")]
    WrongCredentials,
    #[error(transparent)]
    Other(#[from] Error),
}

/// Sign in: throttled per account and per address; inactive users and unknown names cost
/// the same work as a wrong password and get the same answer.
pub async fn sign_in(
    app: &App,
    username: &Text,
    password: &Password,
    from: Option<IpAddr>,
) -> Result<Session, SignInError> {
    let username = username.trim();
    let guard = &app.guard;
    let now = Instant::now();
    if let Some(wait) = guard.throttle.wait(username, from, now) {
        crate::metrics::sign_in_refused("throttled");
        return Err(throttled(wait).into());
    }
    let login = credentials::login(
        &mut *app.pool.acquire().await.map_err(Error::from)?,
        username,
    )
    .await
    .map_err(Error::from)?;
    let (hash, user) = match login {
        Some(l) => (Some(l.password_hash), Some((l.id, l.active))),
        None => (None, None),
    };
    let right = guard.passwords.verify(password.expose(), hash).await;
    let user_id = match user {
        Some((id, true)) if right => id,
        _ => {
            guard.throttle.failed(username, from, now);
            crate::metrics::sign_in_refused("wrong_credentials");
            return Err(SignInError::WrongCredentials);
        }
    };
    guard.throttle.succeeded(username);
    let session = async {
        let mut conn = app.pool.acquire().await?;
        let actor = credentials::actor(&mut conn, user_id).await?;
        let (token, expires_at) =
            auth::create_session(&mut conn, user_id, app.config.session_hours).await?;
        Ok::<_, Error>(Session {
            actor,
            token,
            expires_at,
        })
    };
    Ok(session.await?)
}

/// Sign out: the session whose token the cookie holds ends.
pub async fn sign_out(app: &App, token: &str) -> Result<()> {
    Ok(auth::end_session(&mut *app.pool.acquire().await?, token).await?)
}

/// A password change, checked and hashed, to apply with [`PasswordChange::apply`].
pub(crate) struct PasswordChange {
    user_id: i64,
    hash: String,
    /// The digest of the session to keep: the one making the change, if it is their own.
    keep: Option<Vec<u8>>,
}

/// Check a change of `user_id`'s password and hash the new one, holding no connection while
/// hashing: one's own needs the current password, checked like a sign-in (and throttled as
/// one); the policy of [`Op::UpdateUser`] decides whose else.
pub(crate) async fn check_password_change(
    app: &App,
    actor: &Actor,
    user_id: i64,
    current: Option<&Password>,
    new: &NewPassword,
    current_session: Option<&str>,
) -> Result<PasswordChange> {
    authorize(actor, Op::UpdateUser, Target::Person(user_id))?;
    let guard = &app.guard;
    if actor.id == user_id {
        let now = Instant::now();
        if let Some(wait) = guard.throttle.wait(&actor.username, None, now) {
            return Err(throttled(wait));
        }
        let hash = credentials::password_hash(&mut *app.pool.acquire().await?, user_id).await?;
        let right = match current {
            Some(p) => guard.passwords.verify(p.expose(), Some(hash)).await,
            None => false,
        };
        if !right {
            guard.throttle.failed(&actor.username, None, now);
            return Err(Error::Forbidden(
                "give your current password (current_password) to change it".into(),
            ));
        }
    }
    Ok(PasswordChange {
        user_id,
        hash: guard.passwords.hash(new.expose()).await,
        keep: current_session
            .filter(|_| actor.id == user_id)
            .map(auth::token_digest),
    })
}

impl PasswordChange {
    /// Store the new password in the caller's transaction; every other credential of the
    /// user ends: their sessions, except the one making the change, and all their API tokens.
    pub(crate) async fn apply(&self, tx: &mut PgConnection) -> Result<()> {
        credentials::set_password_hash(tx, self.user_id, &self.hash).await?;
        credentials::end_all(tx, self.user_id, self.keep.as_deref()).await?;
        Ok(())
    }
}

/// API tokens, newest first: one's own, or (admins and auditors) everyone's or one user's.
pub async fn list_tokens(
    app: &App,
    actor: &Actor,
    user: Option<i64>,
    paging: Paging,
) -> Result<Page<ApiToken>> {
    let user = person_filter(actor, Op::ListTokens).or(user);
    let window = paging.window();
    let found = app
        .read(actor, Op::ListTokens, async |c| {
            credentials::tokens(c, user, window).await
        })
        .await?;
    Ok(Page::new(window, found))
}

/// Revoke an API token at once: one's own, or (admins) anyone's; another's answers 404.
pub async fn revoke_token(app: &App, actor: &Actor, id: i64) -> Result<ApiToken> {
    app.change_found(
        actor,
        Op::RevokeToken,
        async |c| credentials::token(c, id).await,
        async |c, token: ApiToken| credentials::revoke_token(c, token.id).await,
    )
    .await
}
