//! Signing in and out. Sessions are cookies (HttpOnly, SameSite=Strict); state-changing
//! requests made with a cookie must also come from our own origin, so a forged cross-site
//! request is refused even by a browser that ignores SameSite.

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{ApiError, ApiResult, Json};
use crate::app::session::{self, SignInError};
use crate::app::App;
use crate::auth::Actor;
use crate::cookie::{self, ClientAddr};
use crate::domain::bounds::{Password, Text};

pub fn router() -> OpenApiRouter<App> {
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
    State(app): State<App>,
    ClientAddr(from): ClientAddr,
    Json(body): Json<SignIn>,
) -> ApiResult<Response> {
    let session = session::sign_in(&app, &body.username, &body.password, from)
        .await
        .map_err(|e| match e {
            SignInError::WrongCredentials => ApiError::WrongCredentials,
            SignInError::Other(e) => e.into(),
        })?;
    let mut response = Json(session.actor).into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie::set_session(&app.config, &session.token))
            .expect("token is ascii"),
    );
    Ok(response)
}

/// Who am I?
#[utoipa::path(get, path = "/session", tag = "session", responses((status = 200, body = Actor)))]
async fn whoami(actor: Actor) -> Json<Actor> {
    Json(actor)
}

/// Sign out: ends the session and clears the cookie.
#[utoipa::path(delete, path = "/session", tag = "session", security((), ("session" = [])), responses((status = 204)))]
async fn sign_out(State(app): State<App>, headers: HeaderMap) -> ApiResult<Response> {
    if let Some(token) = cookie::session(&headers) {
        check_same_origin(&headers)?;
        session::sign_out(&app, &token).await?;
    }
    let mut response = axum::http::StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie::clear_session(&app.config)).expect("ascii"),
    );
    Ok(response)
}

/// Refuse a cookie-authenticated request that a browser says came from another site.
pub fn check_same_origin(headers: &HeaderMap) -> ApiResult<()> {
    if cookie::same_origin(headers) {
        Ok(())
    } else {
        Err(ApiError::Forbidden("cross-site request refused".into()))
    }
}
