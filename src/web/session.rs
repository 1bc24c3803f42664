//! Signing in and out of the pages, and the language switch.

use axum::extract::rejection::FormRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::{invalid, redirect_with_cookie, render, Chrome, Lang, PageError, PageResult, Posted};
use crate::app::session::{self, SignInError};
use crate::app::App;
use crate::cookie::{self, ClientAddr};
use crate::domain::bounds::{LocalPath, Password, Text};

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
    State(app): State<App>,
    ClientAddr(from): ClientAddr,
    headers: HeaderMap,
    form: Result<Form<Credentials>, FormRejection>,
) -> PageResult {
    if !cookie::same_origin(&headers) {
        return Err(PageError::Forged);
    }
    let Form(f) = form.map_err(|e| invalid(e.body_text()))?;
    let next = LocalPath::or_home(&f.next);
    let lang = Lang::from_headers(&headers);
    let session = match session::sign_in(&app, &f.username, &f.password, from).await {
        Ok(session) => session,
        Err(SignInError::WrongCredentials) => {
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
        Err(SignInError::Other(e)) => return Err(e.into()),
    };
    Ok(redirect_with_cookie(
        next.as_str(),
        &cookie::set_session(&app.config, &session.token),
    ))
}

#[derive(Debug, Deserialize)]
struct Nothing {}

async fn logout(State(app): State<App>, headers: HeaderMap, _: Posted<Nothing>) -> PageResult {
    if let Some(token) = cookie::session(&headers) {
        session::sign_out(&app, &token).await?;
    }
    Ok(redirect_with_cookie(
        "/login",
        &cookie::clear_session(&app.config),
    ))
}

#[derive(Debug, Deserialize)]
struct Back {
    back: Option<String>,
}

/// Switch language: a preference cookie only, so a plain link is enough. `back` is followed
/// only to a path on this site.
async fn switch_language(
    State(app): State<App>,
    axum::extract::Path(code): axum::extract::Path<String>,
    Query(q): Query<Back>,
) -> Response {
    let lang = Lang::parse(&code).unwrap_or(Lang::En);
    let back = LocalPath::or_home(q.back.as_deref().unwrap_or_default());
    redirect_with_cookie(
        back.as_str(),
        &cookie::set_preference(&app.config, super::i18n::COOKIE, lang.code()),
    )
    .into_response()
}
