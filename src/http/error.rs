use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db;

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
    /// What went wrong, for a person.
    pub message: String,
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
            _ => None,
        }
    }

    /// Add what this error says besides its body (`Retry-After`) to a response.
    pub fn decorate(&self, response: &mut Response) {
        if let Some(secs) = self.retry_after() {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, secs.into());
        }
    }
}

impl From<crate::auth::SignInError> for ApiError {
    fn from(e: crate::auth::SignInError) -> Self {
        use crate::auth::SignInError;
        match e {
            SignInError::WrongCredentials => ApiError::WrongCredentials,
            SignInError::Throttled(wait) => ApiError::TooManyRequests {
                message: e.to_string(),
                retry_after: crate::auth::retry_after_secs(wait),
            },
            SignInError::Db(e) => e.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(e) = &self {
            tracing::error!(error = ?e, "internal error");
        }
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code(),
                message: self.to_string(),
            },
        };
        let mut response = (self.status_code(), axum::Json(body)).into_response();
        self.decorate(&mut response);
        response
    }
}

impl From<db::Error> for ApiError {
    fn from(e: db::Error) -> Self {
        match e {
            db::Error::NotFound(what) => ApiError::NotFound(what),
            db::Error::Conflict(m) => ApiError::Conflict(m),
            db::Error::Invalid(m) => ApiError::Unprocessable(m),
            db::Error::Sqlx(e) => e.into(),
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &e {
            if let Some(message) = constraint_message(db.constraint().unwrap_or_default()) {
                return if db.is_check_violation() || db.is_foreign_key_violation() {
                    ApiError::Unprocessable(message.into())
                } else {
                    ApiError::Conflict(message.into())
                };
            }
            // SQLSTATE 23503: a row still referenced elsewhere (delete) or a missing reference.
            if db.is_foreign_key_violation() {
                return ApiError::Conflict("it is still referenced by other records".into());
            }
            // Input the bounded types should have refused first; never a 500 all the same.
            if let Some(message) = db.code().as_deref().and_then(data_exception) {
                return ApiError::Unprocessable(message.into());
            }
        }
        ApiError::Internal(e.into())
    }
}

/// PostgreSQL's data exceptions (SQLSTATE class 22) that bad input can cause.
fn data_exception(code: &str) -> Option<&'static str> {
    Some(match code {
        "22021" | "22P05" => "text cannot contain NUL or characters outside UTF-8",
        "22008" | "22007" => "a date or time is out of range",
        "22003" => "a number is out of range",
        "22001" => "a text is too long",
        _ => return None,
    })
}

/// Named constraints, and what a person can do about them.
fn constraint_message(constraint: &str) -> Option<&'static str> {
    Some(match constraint {
        "departments_code_key" => "a department with that code already exists",
        "users_username_key" => "that username is taken",
        "users_requester_has_department" => "a requester must belong to a department",
        "warehouses_code_key" => "a warehouse with that code already exists",
        "zones_warehouse_code_key" => "that warehouse already has a zone with that code",
        "zones_kind_known" => "zone kind must be storage, staging, gate_inside or gate_outside",
        "categories_code_key" => "a category with that code already exists",
        "assets_epc_key" => "an asset with that EPC already exists",
        "assets_epc_hex" => "an EPC is 1 to 62 bytes written as upper-case hex",
        "assets_original_value_not_negative" => "original value cannot be negative",
        "assets_original_value_bounded"
        | "disposals_money_bounded"
        | "compensations_amount_bounded" => {
            "an amount is at most 10000000000000 fen (a hundred billion yuan): correct the asset's original value"
        }
        "reservations_no_double_booking" => {
            "that asset is already reserved for overlapping dates by another order"
        }
        "readers_name_key" => "a reader with that name already exists",
        "gates_name_key" => "a gate with that name already exists",
        "gates_sides_differ" => "a gate's inside and outside are two different zones",
        "read_points_zone_id_fkey" | "gates_inside_zone_id_fkey" | "gates_outside_zone_id_fkey" => {
            "no such zone"
        }
        "loans_dates_ordered" => "a loan cannot end before it starts",
        "disposals_money_not_negative" => "amounts cannot be negative",
        "compensations_amount_not_negative" => "amounts cannot be negative",
        "assets_category_id_fkey"
        | "loan_lines_category_id_fkey"
        | "transfer_lines_category_id_fkey" => "no such category",
        "assets_zone_id_fkey" => "no such zone",
        "zones_warehouse_id_fkey" => "no such warehouse",
        "users_department_id_fkey"
        | "assets_owner_department_id_fkey"
        | "assets_holder_department_id_fkey"
        | "loans_department_id_fkey"
        | "transfers_department_id_fkey"
        | "intakes_source_department_id_fkey" => "no such department",
        _ => return None,
    })
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
