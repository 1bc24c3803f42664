//! What both front ends read off a request and write on a response: the session cookie
//! (`Secure` when configured for HTTPS), the request's credential, the client's address,
//! and the same-origin check that every state-changing request signed in by cookie must
//! pass: a forged cross-site request is refused even by a browser that ignores SameSite.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};

use crate::app::App;
use crate::config::Config;

/// The session cookie's name.
pub const COOKIE: &str = "depot_session";

/// The session token from the Cookie header, if any.
pub fn session(headers: &HeaderMap) -> Option<String> {
    get(headers, COOKIE)
}

/// The `Set-Cookie` value of a new session: for this site's pages only, never to scripts,
/// never sent from another site.
pub fn set_session(config: &Config, token: &str) -> String {
    session_cookie(config, token.to_owned(), config.session_hours * 3600)
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn clear_session(config: &Config) -> String {
    session_cookie(config, String::new(), 0)
}

fn session_cookie(config: &Config, value: String, max_age_s: i64) -> String {
    cookie::Cookie::build((COOKIE, value))
        .path("/")
        .http_only(true)
        .same_site(cookie::SameSite::Strict)
        .max_age(cookie::time::Duration::seconds(max_age_s))
        .secure(config.secure_cookies)
        .build()
        .to_string()
}

/// The `Set-Cookie` value of a preference a page keeps for a year (the language): sent
/// with links from elsewhere too, readable by nothing but the server.
pub fn set_preference(config: &Config, name: &'static str, value: &str) -> String {
    cookie::Cookie::build((name, value.to_owned()))
        .path("/")
        .same_site(cookie::SameSite::Lax)
        .max_age(cookie::time::Duration::days(365))
        .secure(config.secure_cookies)
        .build()
        .to_string()
}

/// The credential of a request (bearer token or session cookie), as a digest: what a
/// limit per session counts by.
pub fn credential(headers: &HeaderMap) -> Option<Vec<u8>> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_owned());
    bearer
        .or_else(|| session(headers))
        .map(|t| crate::auth::token_digest(&t))
}

/// The client's address: from the configured proxy header (its right-most entry, the one
/// the proxy itself added), else the peer of the connection; `None` in-process.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub Option<IpAddr>);

impl FromRequestParts<App> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let forwarded = app.config.client_ip_header.as_deref().and_then(|name| {
            parts
                .headers
                .get_all(name)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .filter_map(|a| a.trim().parse::<IpAddr>().ok())
                .next_back()
        });
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        Ok(ClientAddr(forwarded.or(peer)))
    }
}

/// The value of the cookie `name`, if the request carries it (the `cookie` crate parses
/// the header, as a browser writes it).
pub fn get(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_owned())
}

/// Whether a request comes from our own origin, as far as the browser says: false when it
/// says another site sent it.
pub fn same_origin(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        if !matches!(site, "same-origin" | "none") {
            return false;
        }
    }
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        let host = headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let origin_host = origin.split_once("://").map(|(_, h)| h).unwrap_or(origin);
        if origin == "null" || origin_host != host {
            return false;
        }
    }
    true
}
