//! The JSON API: an adapter over `app`. Each handler parses the request, calls one
//! operation, and answers with its output as JSON or its error as an [`ApiError`].

use std::sync::Arc;

use axum::extract::{FromRequest, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, Method};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Serialize;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

pub use crate::app::{App, Page, Paging};
use crate::auth::{self, Actor};
use crate::cookie;

pub mod error;
pub use error::{ApiError, ApiResult};

mod assets;
mod bookings;
mod catalogue;
mod disposals;
mod intakes;
mod kits;
mod labels;
mod loans;
mod notices;
mod people;
mod readers;
mod register;
mod rentals;
mod reports;
mod session;
mod stocktakes;
pub use session::check_same_origin;
mod tokens;
mod transfers;
mod walks;
mod webhooks;

#[derive(OpenApi)]
#[openapi(
    info(title = "Depot API", description = "RFID-tracked public asset depot: assets, loans, transfers, disposals, intakes, compensations, market rentals."),
    components(schemas(error::ErrorBody)),
    modifiers(&SecuritySchemes),
    security(("session" = []), ("token" = []))
)]
struct ApiDoc;

struct SecuritySchemes;

impl utoipa::Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{
            ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme,
        };
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(cookie::COOKIE))),
        );
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The API under `/api`, and its OpenAPI document at `/api/openapi.json`.
pub fn router() -> Router<App> {
    let (api, openapi) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(session::router())
        .merge(people::router())
        .merge(catalogue::router())
        .merge(assets::router())
        .merge(register::router())
        .merge(loans::router())
        .merge(rentals::router())
        .merge(reports::router())
        .merge(bookings::router())
        .merge(kits::router())
        .merge(transfers::router())
        .merge(disposals::router())
        .merge(intakes::router())
        .merge(labels::router())
        .merge(readers::router())
        .merge(stocktakes::router())
        .merge(tokens::router())
        .merge(walks::router())
        .merge(notices::router())
        .merge(webhooks::router())
        .split_for_parts();
    let openapi = Arc::new(openapi);
    Router::new().nest("/api", api).route(
        "/api/openapi.json",
        get(move || async move { axum::Json(openapi.as_ref().clone()) }),
    )
}

/// The answer to a path nothing serves.
pub async fn not_found() -> ApiError {
    ApiError::NotFound("no such page".into())
}

/// `axum::Json` whose rejections are [`ApiError`]s (JSON bodies, 400/415/422).
#[derive(Debug, Clone, Copy, Default, FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct Json<T>(pub T);

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// A JSON body that may be left out entirely (action endpoints such as `/approve`): an
/// empty body is `T::default()`, anything else must be valid JSON for `T`.
#[derive(Debug, Clone, Copy, Default)]
pub struct OptionalJson<T>(pub T);

impl<T, S> FromRequest<S> for OptionalJson<T>
where
    T: serde::de::DeserializeOwned + Default,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| {
                ApiError::BadRequest(format!("cannot read the request body: {}", e.body_text()))
            })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(OptionalJson(T::default()));
        }
        Ok(OptionalJson(axum::Json::<T>::from_bytes(&bytes)?.0))
    }
}

/// `axum::extract::Path` with JSON rejections.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct Path<T>(pub T);

/// `axum::extract::Query` with JSON rejections.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct Query<T>(pub T);

impl FromRequestParts<App> for Actor {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &App) -> Result<Self, Self::Rejection> {
        let mut conn = state.pool.acquire().await?;
        if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
            let token = value
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .ok_or(ApiError::Unauthenticated)?;
            return auth::actor_for_api_token(&mut conn, token.trim())
                .await?
                .ok_or(ApiError::Unauthenticated);
        }
        let token = cookie::session(&parts.headers).ok_or(ApiError::Unauthenticated)?;
        let actor = auth::actor_for_session(&mut conn, &token)
            .await?
            .ok_or(ApiError::Unauthenticated)?;
        if !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS) {
            session::check_same_origin(&parts.headers)?;
        }
        Ok(actor)
    }
}
