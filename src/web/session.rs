//! Signing in and out of the pages, and the language switch.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::PageError;
use super::{local, redirect_with_cookie, render, Chrome, Lang, PageResult, Posted};
use crate::app::App;
use crate::auth;
use crate::cookie::{self, COOKIE as SESSION_COOKIE};

pub fn router() -> Router<App> {
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
    let next = q.next.as_deref().map(local).unwrap_or("/").to_owned();
    render(LoginPage {
        c: Chrome::anonymous(Lang::from_headers(&headers)),
        next,
        username: String::new(),
        failed: false,
    })
}

#[derive(Debug, Deserialize)]
struct Credentials {
    username: String,
    password: String,
    #[serde(default)]
    next: String,
}

/// Sign in: the same session as the API's `POST /api/session`, then back where they were going.
async fn login(
    State(state): State<App>,
    headers: HeaderMap,
    Form(f): Form<Credentials>,
) -> PageResult {
    if !cookie::same_origin(&headers) {
        return Err(PageError::Forged);
    }
    let lang = Lang::from_headers(&headers);
    let mut conn = state.pool.acquire().await?;
    let Some(actor) = auth::login(&mut conn, f.username.trim(), &f.password).await? else {
        let page = LoginPage {
            c: Chrome::anonymous(lang),
            next: local(&f.next).to_owned(),
            username: f.username,
            failed: true,
        };
        let mut response = render(page)?;
        *response.status_mut() = StatusCode::UNAUTHORIZED;
        return Ok(response);
    };
    let (token, _) = auth::create_session(&mut conn, actor.id, state.config.session_hours).await?;
    let cookie = format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}",
        state.config.session_hours * 3600
    );
    Ok(redirect_with_cookie(local(&f.next), &cookie))
}

#[derive(Debug, Deserialize)]
struct Nothing {}

async fn logout(State(state): State<App>, headers: HeaderMap, _: Posted<Nothing>) -> PageResult {
    if let Some(token) = cookie::session(&headers) {
        auth::end_session(&mut *state.pool.acquire().await?, &token).await?;
    }
    Ok(redirect_with_cookie(
        "/login",
        &format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    ))
}

#[derive(Debug, Deserialize)]
struct Back {
    back: Option<String>,
}

/// Switch language: a preference cookie only, so a plain link is enough.
async fn switch_language(
    axum::extract::Path(code): axum::extract::Path<String>,
    Query(q): Query<Back>,
) -> Response {
    let lang = Lang::parse(&code).unwrap_or(Lang::En);
    let back = q.back.as_deref().map(local).unwrap_or("/");
    redirect_with_cookie(
        back,
        &format!(
            "{}={}; Path=/; SameSite=Lax; Max-Age=31536000",
            super::i18n::COOKIE,
            lang.code()
        ),
    )
    .into_response()
}
