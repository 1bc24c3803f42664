use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::app;

/// Every error the API answers with. The body is always JSON: `{"error": {"code", "message"}}`.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("sign in first: send the session cookie or an `Authorization: Bearer` token")]
    Unauthenticated,
    #[error("wrong username or password")]
    WrongCredentials,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Unprocessable(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    Unavailable(String),
    /// 429 with `Retry-After: retry_after` (seconds).
    #[error("{message}")]
    TooManyRequests { message: String, retry_after: u64 },
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

pub type ApiResult<T> = Result<T, ApiError>;

/// The JSON error body.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `conflict`.
    pub code: &'static str,
    /// What went wrong, for a person (in English).
    pub message: String,
    /// The message's key in the message catalogue, for a client that says it in its own
    /// language (`app::messages`), with the values in its holes; absent for a message the
    /// catalogue does not hold.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_key: Option<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub message_args: Vec<String>,
}

impl ApiError {
    pub fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Unauthenticated | ApiError::WrongCredentials => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            ApiError::Unauthenticated | ApiError::WrongCredentials => "unauthenticated",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not_found",
            ApiError::Conflict(_) => "conflict",
            ApiError::Unprocessable(_) => "unprocessable",
            ApiError::BadRequest(_) => "bad_request",
            ApiError::UnsupportedMediaType(_) => "unsupported_media_type",
            ApiError::Unavailable(_) => "unavailable",
            ApiError::TooManyRequests { .. } => "too_many_requests",
            ApiError::Internal(_) => "internal",
        }
    }

    pub fn forbidden(what: impl Into<String>) -> Self {
        ApiError::Forbidden(what.into())
    }

    /// Seconds to wait before trying again, for `Retry-After`.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            ApiError::TooManyRequests { retry_after, .. } => Some(*retry_after),
            ApiError::Unavailable(_) => Some(app::UNAVAILABLE_RETRY_AFTER_S),
            _ => None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        // The cause goes to the log with the request's line (`server::log_request`), not
        // to the client.
        let cause = match &self {
            ApiError::Internal(e) => Some(crate::app::Cause::of(e)),
            ApiError::Unavailable(why) => Some(crate::app::Cause(why.clone())),
            _ => None,
        };
        let message = self.to_string();
        let said = app::messages::lookup(&message);
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code(),
                message_key: said.as_ref().map(|m| m.key),
                message_args: said.map(|m| m.args).unwrap_or_default(),
                message,
            },
        };
        let mut response = (self.status_code(), axum::Json(body)).into_response();
        if let Some(cause) = cause {
            response.extensions_mut().insert(cause);
        }
        if let Some(secs) = self.retry_after() {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, secs.into());
        }
        response
    }
}

impl From<app::Error> for ApiError {
    fn from(e: app::Error) -> Self {
        match e {
            app::Error::Forbidden(m) => ApiError::Forbidden(m),
            app::Error::NotFound(what) => ApiError::NotFound(what),
            app::Error::Conflict(m) => ApiError::Conflict(m),
            app::Error::Invalid(m) => ApiError::Unprocessable(m),
            app::Error::Unavailable(m) => ApiError::Unavailable(m),
            app::Error::TooManyRequests {
                message,
                retry_after,
            } => ApiError::TooManyRequests {
                message,
                retry_after,
            },
            app::Error::Internal(e) => ApiError::Internal(e),
        }
    }
}

// Signing in and the `Actor` extractor reach `auth` and the pool directly.
impl From<crate::db::Error> for ApiError {
    fn from(e: crate::db::Error) -> Self {
        app::Error::from(e).into()
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        app::Error::from(e).into()
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        match r {
            JsonRejection::JsonDataError(e) => {
                ApiError::Unprocessable(format!("invalid request body: {}", e.body_text()))
            }
            JsonRejection::JsonSyntaxError(e) => {
                ApiError::BadRequest(format!("malformed JSON: {}", e.body_text()))
            }
            JsonRejection::MissingJsonContentType(_) => ApiError::UnsupportedMediaType(
                "send the body as JSON with `Content-Type: application/json`".into(),
            ),
            other => ApiError::BadRequest(other.body_text()),
        }
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        ApiError::BadRequest(format!("bad path: {}", r.body_text()))
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        ApiError::BadRequest(format!("bad query string: {}", r.body_text()))
    }
}
