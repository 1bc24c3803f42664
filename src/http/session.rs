//! Signing in and out. Sessions are cookies (HttpOnly, SameSite=Strict); state-changing
//! requests made with a cookie must also come from our own origin, so a forged cross-site
//! request is refused even by a browser that ignores SameSite.

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::limits::ClientAddr;
use super::{ApiError, ApiResult, AppState, Json};
use crate::auth::{self, Actor};
use crate::config::Config;
use crate::domain::bounds::{Password, Text};

pub const COOKIE: &str = "depot_session";

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(sign_in, whoami, sign_out))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignIn {
    pub username: Text,
    pub password: Password,
}

/// Sign in with a username and password; sets the session cookie. Failures are throttled
/// per account and per address: 429 with `Retry-After` until the wait is over.
#[utoipa::path(post, path = "/session", tag = "session", request_body = SignIn, security(()),
    responses((status = 200, body = Actor), (status = 401, body = super::error::ErrorBody),
              (status = 429, body = super::error::ErrorBody)))]
async fn sign_in(
    State(state): State<AppState>,
    ClientAddr(from): ClientAddr,
    Json(body): Json<SignIn>,
) -> ApiResult<Response> {
    let session = auth::sign_in(
        &state.pool,
        &state.guard,
        body.username.trim(),
        &body.password,
        from,
        state.config.session_hours,
    )
    .await?;
    let mut response = Json(session.actor).into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&set_cookie(&state.config, &session.token)).expect("token is ascii"),
    );
    Ok(response)
}

/// The `Set-Cookie` value of a new session.
pub fn set_cookie(config: &Config, token: &str) -> String {
    format!(
        "{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}",
        config.session_hours * 3600,
        secure(config)
    )
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn clear_cookie(config: &Config) -> String {
    format!(
        "{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{}",
        secure(config)
    )
}

/// `; Secure` when Depot is served over HTTPS (`secure_cookies`).
pub fn secure(config: &Config) -> &'static str {
    if config.secure_cookies {
        "; Secure"
    } else {
        ""
    }
}

/// Who am I?
#[utoipa::path(get, path = "/session", tag = "session", responses((status = 200, body = Actor)))]
async fn whoami(actor: Actor) -> Json<Actor> {
    Json(actor)
}

/// Sign out: ends the session and clears the cookie.
#[utoipa::path(delete, path = "/session", tag = "session", responses((status = 204)))]
async fn sign_out(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    if let Some(token) = cookie(&headers) {
        check_same_origin(&headers)?;
        auth::end_session(&mut *state.pool.acquire().await?, &token).await?;
    }
    let mut response = axum::http::StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&clear_cookie(&state.config)).expect("ascii"),
    );
    Ok(response)
}

/// The session token from the Cookie header, if any.
pub fn cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_owned())
}

/// Refuse a cookie-authenticated request that a browser says came from another site.
pub fn check_same_origin(headers: &HeaderMap) -> ApiResult<()> {
    let forged = || ApiError::Forbidden("cross-site request refused".into());
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        if !matches!(site, "same-origin" | "none") {
            return Err(forged());
        }
    }
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        let host = headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let origin_host = origin.split_once("://").map(|(_, h)| h).unwrap_or(origin);
        if origin == "null" || origin_host != host {
            return Err(forged());
        }
    }
    Ok(())
}
