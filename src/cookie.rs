//! The session cookie, as both front ends read it, and the same-origin check that every
//! state-changing request signed in by cookie must pass: a forged cross-site request is
//! refused even by a browser that ignores SameSite.

use axum::http::{header, HeaderMap};

/// The session cookie's name.
pub const COOKIE: &str = "depot_session";

/// The session token from the Cookie header, if any.
pub fn session(headers: &HeaderMap) -> Option<String> {
    get(headers, COOKIE)
}

/// The value of the cookie `name`, if the request carries it.
pub fn get(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value.to_owned())
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
