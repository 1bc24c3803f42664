//! stub
use axum::Router;
use crate::http::AppState;
pub fn router() -> Router<AppState> { Router::new() }
