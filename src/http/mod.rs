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
mod attachments;
mod bookings;
mod catalogue;
mod disposals;
mod epcis;
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
pub mod shapes;
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
        .merge(attachments::router())
        .merge(loans::router())
        .merge(rentals::router())
        .merge(reports::router())
        .merge(epcis::router())
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
    let mut openapi = openapi;
    complete(&mut openapi);
    let openapi = Arc::new(openapi);
    Router::new().nest("/api", api).route(
        "/api/openapi.json",
        get(move || async move { axum::Json(openapi.as_ref().clone()) }),
    )
}

/// What every operation of the document may answer besides its own outcomes, written once:
/// the paths are under `/api` (`servers`); any request may be malformed (400: path, query or
/// JSON), unauthenticated (401), refused (403), invalid (422) or meet a database that is away
/// (503); one naming a thing by id may not find it (404); one with a body may send it as
/// something other than JSON (415); a change may conflict with the state of things (409);
/// signing in may be throttled (429). Each is an [`error::ErrorBody`].
fn complete(openapi: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    openapi.servers = Some(vec![utoipa::openapi::server::Server::new("/api")]);
    let error = |what: &str| {
        ResponseBuilder::new()
            .description(what)
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ErrorBody")))
                    .build(),
            )
            .build()
    };
    for (path, item) in openapi.paths.paths.iter_mut() {
        let by_id = path.contains('{');
        for (write, op) in [
            (false, &mut item.get),
            (true, &mut item.post),
            (true, &mut item.put),
            (true, &mut item.patch),
            (true, &mut item.delete),
        ] {
            let Some(op) = op else { continue };
            let mut statuses = vec![
                ("400", "The path, query or body is malformed"),
                (
                    "401",
                    "Not signed in: no valid session cookie or bearer token",
                ),
                ("403", "The role or department may not do this"),
                (
                    "422",
                    "The input breaks a rule (bounds, formats, references)",
                ),
                ("503", "The database is away; try again (`Retry-After`)"),
            ];
            if by_id || write {
                statuses.push(("404", "No such thing, or not one this person may see"));
            }
            if op.request_body.is_some() {
                statuses.push(("415", "The body is not `application/json`"));
            }
            if write {
                statuses.push(("409", "The state of things does not allow it"));
            }
            if op.operation_id.as_deref() == Some("sign_in") {
                statuses.push(("429", "Too many refused sign-ins; try again later"));
            }
            for (status, what) in statuses {
                op.responses
                    .responses
                    .entry(status.to_owned())
                    .or_insert_with(|| error(what).into());
            }
        }
    }
}

/// The answer to a path nothing serves.
pub async fn not_found() -> ApiError {
    ApiError::NotFound("no such page".into())
}

/// `axum::Json` whose rejections are [`ApiError`]s (JSON bodies, 400/415/422); see
/// [`from_body`] for what it reads.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<T, S> FromRequest<S> for Json<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        if !has_json_type(req.headers()) {
            return Err(ApiError::UnsupportedMediaType(
                "send the body as JSON with `Content-Type: application/json`".into(),
            ));
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| {
                ApiError::BadRequest(format!("cannot read the request body: {}", e.body_text()))
            })?;
        Ok(Json(from_body(&bytes)?))
    }
}

/// `Content-Type: application/json` or another JSON type (`application/*+json`).
fn has_json_type(headers: &axum::http::HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or_default().trim();
    let Some(subtype) = essence
        .to_ascii_lowercase()
        .strip_prefix("application/")
        .map(str::to_owned)
    else {
        return false;
    };
    subtype == "json" || subtype.ends_with("+json")
}

/// A request body: every body the API takes is a JSON object, so an array (which serde would
/// otherwise read into a struct field by field) is refused; a number written with a fraction
/// of zero (`3.0`) is the integer it equals, as JSON Schema's `integer` says.
fn from_body<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.trim_ascii_start().first() == Some(&b'[') {
        return Err(ApiError::Unprocessable(
            "invalid request body: send a JSON object, not an array".into(),
        ));
    }
    match axum::Json::<T>::from_bytes(bytes) {
        Ok(axum::Json(value)) => Ok(value),
        Err(axum::extract::rejection::JsonRejection::JsonDataError(e)) => {
            let retried = serde_json::from_slice::<serde_json::Value>(bytes)
                .ok()
                .and_then(|mut value| whole_numbers(&mut value).then_some(value))
                .and_then(|value| serde_json::from_value(value).ok());
            retried.ok_or_else(|| ApiError::from(axum::extract::rejection::JsonRejection::from(e)))
        }
        Err(e) => Err(e.into()),
    }
}

/// Write every number with a zero fraction (up to 2⁵³, where a float still holds every
/// integer) as that integer; whether any was.
fn whole_numbers(value: &mut serde_json::Value) -> bool {
    use serde_json::Value;
    match value {
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() <= 9_007_199_254_740_992.0 => {
                *value = Value::from(f as i64);
                true
            }
            _ => false,
        },
        Value::Array(items) => items
            .iter_mut()
            .fold(false, |any, v| whole_numbers(v) | any),
        Value::Object(fields) => fields
            .values_mut()
            .fold(false, |any, v| whole_numbers(v) | any),
        _ => false,
    }
}

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
        // No body, or `null` (what the document's optional body allows): the default.
        if bytes.iter().all(u8::is_ascii_whitespace) || bytes.trim_ascii() == b"null" {
            return Ok(OptionalJson(T::default()));
        }
        Ok(OptionalJson(from_body(&bytes)?))
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
