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
use crate::app::App;
use crate::auth::{self, Actor};
use crate::cookie::{self, COOKIE};

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new().routes(routes!(sign_in, whoami, sign_out))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignIn {
    pub username: String,
    pub password: String,
}

/// Sign in with a username and password; sets the session cookie.
#[utoipa::path(post, path = "/session", tag = "session", request_body = SignIn, security(()),
    responses((status = 200, body = Actor), (status = 401, body = super::error::ErrorBody)))]
async fn sign_in(State(state): State<App>, Json(body): Json<SignIn>) -> ApiResult<Response> {
    let mut conn = state.pool.acquire().await?;
    let actor = auth::login(&mut conn, &body.username, &body.password)
        .await?
        .ok_or(ApiError::WrongCredentials)?;
    let (token, _expires) =
        auth::create_session(&mut conn, actor.id, state.config.session_hours).await?;
    let cookie = format!(
        "{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}",
        state.config.session_hours * 3600
    );
    let mut response = Json(actor).into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).expect("token is ascii"),
    );
    Ok(response)
}

/// Who am I?
#[utoipa::path(get, path = "/session", tag = "session", responses((status = 200, body = Actor)))]
async fn whoami(actor: Actor) -> Json<Actor> {
    Json(actor)
}

/// Sign out: ends the session and clears the cookie.
#[utoipa::path(delete, path = "/session", tag = "session", responses((status = 204)))]
async fn sign_out(State(state): State<App>, headers: HeaderMap) -> ApiResult<Response> {
    if let Some(token) = cookie::session(&headers) {
        check_same_origin(&headers)?;
        auth::end_session(&mut *state.pool.acquire().await?, &token).await?;
    }
    let mut response = axum::http::StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("depot_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
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
