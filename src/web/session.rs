//! Signing in and out of the pages, and the language switch.

use axum::extract::rejection::FormRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::{redirect_with_cookie, render, Chrome, Lang, PageResult, Posted};
use crate::auth;
use crate::domain::bounds::{LocalPath, Password, Text};
use crate::http::limits::ClientAddr;
use crate::http::{
    check_same_origin, clear_cookie, secure_cookie, session_cookie, set_session_cookie, ApiError,
    AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/lang/{code}", get(switch_language))
}

#[derive(askama::Template)]
#[template(path = "login.html")]
struct LoginPage {
    c: Chrome,
    next: String,
    username: String,
    failed: bool,
}

#[derive(Debug, Deserialize)]
struct Next {
    next: Option<String>,
}

async fn login_page(headers: HeaderMap, Query(q): Query<Next>) -> PageResult {
    let next = LocalPath::or_home(q.next.as_deref().unwrap_or_default()).to_string();
    render(LoginPage {
        c: Chrome::anonymous(Lang::from_headers(&headers)),
        next,
        username: String::new(),
        failed: false,
    })
}

#[derive(Debug, Deserialize)]
struct Credentials {
    username: Text,
    password: Password,
    #[serde(default)]
    next: String,
}

/// Sign in: the same session (and the same throttling) as the API's `POST /api/session`,
/// then back where they were going.
async fn login(
    State(state): State<AppState>,
    ClientAddr(from): ClientAddr,
    headers: HeaderMap,
    form: Result<Form<Credentials>, FormRejection>,
) -> PageResult {
    check_same_origin(&headers)?;
    let Form(f) = form.map_err(|e| ApiError::Unprocessable(e.body_text()))?;
    let next = LocalPath::or_home(&f.next);
    let lang = Lang::from_headers(&headers);
    let signed_in = auth::sign_in(
        &state.pool,
        &state.guard,
        f.username.trim(),
        &f.password,
        from,
        state.config.session_hours,
    )
    .await;
    let session = match signed_in {
        Ok(session) => session,
        Err(auth::SignInError::WrongCredentials) => {
            let page = LoginPage {
                c: Chrome::anonymous(lang),
                next: next.to_string(),
                username: f.username.into(),
                failed: true,
            };
            let mut response = render(page)?;
            *response.status_mut() = StatusCode::UNAUTHORIZED;
            return Ok(response);
        }
        Err(e) => return Err(ApiError::from(e).into()),
    };
    Ok(redirect_with_cookie(
        next.as_str(),
        &set_session_cookie(&state.config, &session.token),
    ))
}

#[derive(Debug, Deserialize)]
struct Nothing {}

async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    _: Posted<Nothing>,
) -> PageResult {
    if let Some(token) = session_cookie(&headers) {
        auth::end_session(&mut *state.pool.acquire().await?, &token).await?;
    }
    Ok(redirect_with_cookie("/login", &clear_cookie(&state.config)))
}

#[derive(Debug, Deserialize)]
struct Back {
    back: Option<String>,
}

/// Switch language: a preference cookie only, so a plain link is enough. `back` is followed
/// only to a path on this site.
async fn switch_language(
    State(state): State<AppState>,
    axum::extract::Path(code): axum::extract::Path<String>,
    Query(q): Query<Back>,
) -> Response {
    let lang = Lang::parse(&code).unwrap_or(Lang::En);
    let back = LocalPath::or_home(q.back.as_deref().unwrap_or_default());
    redirect_with_cookie(
        back.as_str(),
        &format!(
            "{}={}; Path=/; SameSite=Lax; Max-Age=31536000{}",
            super::i18n::COOKIE,
            lang.code(),
            secure_cookie(&state.config)
        ),
    )
    .into_response()
}
