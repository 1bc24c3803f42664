//! The one error type of the application layer. Each front end maps it: the API to
//! `http::ApiError` (a status code and a JSON body), the pages to `web::PageError`.

use crate::db;

/// Why an operation did not happen, in words a person can act on.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The person's role may not do this at all, or not for that department (403).
    #[error("{0}")]
    Forbidden(String),
    /// No such thing, or none the person may see (404).
    #[error("{0} not found")]
    NotFound(String),
    /// It conflicts with the current state (409).
    #[error("{0}")]
    Conflict(String),
    /// Well-formed, but it breaks a rule or refers to what does not exist (422).
    #[error("{0}")]
    Invalid(String),
    /// A part of the service it needs is not running, or is as busy as it may be (503).
    #[error("{0}")]
    Unavailable(String),
    /// Too many attempts or open streams lately: try again after `retry_after` seconds (429).
    #[error("{message}")]
    TooManyRequests { message: String, retry_after: u64 },
    /// Anything else: logged, never shown.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<db::Error> for Error {
    fn from(e: db::Error) -> Self {
        match e {
            db::Error::NotFound(what) => Error::NotFound(what),
            db::Error::Conflict(m) => Error::Conflict(m),
            db::Error::Invalid(m) => Error::Invalid(m),
            db::Error::Sqlx(e) => e.into(),
        }
    }
}

/// `Retry-After` on a 503: what it waits for (the database, the engine) comes back in
/// seconds.
pub const UNAVAILABLE_RETRY_AFTER_S: u64 = 5;

/// What a request is told while the database is away.
pub const DATABASE_AWAY: &str = "the database is not answering at the moment; try again shortly";

/// Is this the database being away (down, restarting, unreachable) rather than a fault of
/// the request or of the code?
fn database_away(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => true,
        // SQLSTATE class 08 (connection exception); 57P01–57P03: shut down or starting up.
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|c| c.starts_with("08") || matches!(&*c, "57P01" | "57P02" | "57P03")),
        _ => false,
    }
}

/// What a request is told when its statement ran past the service's `statement_timeout_s`.
pub const TOO_SLOW: &str =
    "the database took too long to answer this request and it was stopped; try again shortly";

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        // SQLSTATE 57014: cancelled, here by `statement_timeout`.
        if let sqlx::Error::Database(db) = &e {
            if db.code().as_deref() == Some("57014") {
                // The request's line says so (`server::log_request`).
                tracing::debug!(error = %e, "a statement ran past the statement timeout");
                return Error::Unavailable(TOO_SLOW.into());
            }
        }
        if database_away(&e) {
            tracing::debug!(error = %e, "database away");
            return Error::Unavailable(DATABASE_AWAY.into());
        }
        if let sqlx::Error::Database(db) = &e {
            // A broken rule is the input's fault (422); a reference to something that is not
            // there (a foreign key) or a clash with what exists is the state of things (409),
            // as it would be had the thing been there and gone a moment before.
            if let Some(message) = constraint_message(db.constraint().unwrap_or_default()) {
                return if db.is_check_violation() {
                    Error::Invalid(message.into())
                } else {
                    Error::Conflict(message.into())
                };
            }
            // A rule of the schema no named message covers: still the input's fault, never a 500.
            if db.is_check_violation() {
                let name = db.constraint().unwrap_or_default();
                let rule = db
                    .table()
                    .and_then(|t| name.strip_prefix(t))
                    .map_or(name, |r| r.trim_start_matches('_'));
                return Error::Invalid(match rule.strip_suffix("_not_blank") {
                    Some(field) => format!("{} must not be blank", field.replace('_', " ")),
                    None => format!("the input breaks the rule {rule}"),
                });
            }
            if db.is_unique_violation() {
                return Error::Conflict("one like it exists already".into());
            }
            // SQLSTATE 23503: a row still referenced elsewhere (delete) or a missing reference.
            if db.is_foreign_key_violation() {
                return Error::Conflict("it is still referenced by other records".into());
            }
            // Input the bounded types should have refused first; never a 500 all the same.
            if let Some(message) = db.code().as_deref().and_then(data_exception) {
                return Error::Invalid(message.into());
            }
        }
        Error::Internal(e.into())
    }
}

impl From<crate::ingest::IngestError> for Error {
    fn from(e: crate::ingest::IngestError) -> Self {
        use crate::ingest::IngestError;
        match e {
            IngestError::Db(e) => e.into(),
            // The site as it would be is refused: with what is configured already.
            IngestError::Config(_) => Error::Conflict(e.to_string()),
            IngestError::Stopped => Error::Unavailable(e.to_string()),
        }
    }
}

impl From<crate::domain::bounds::OutOfBounds> for Error {
    fn from(e: crate::domain::bounds::OutOfBounds) -> Self {
        Error::Invalid(e.0)
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
        "walk_tests_one_running_per_gate" => {
            "a walk test is already running on that gate: finish it first"
        }
        "gates_min_confidence_range" => "a gate's threshold is above 0 and at most 1",
        "gates_sides_differ" => "a gate's inside and outside are two different zones",
        "read_points_zone_id_fkey" | "gates_inside_zone_id_fkey" | "gates_outside_zone_id_fkey" => {
            "no such zone"
        }
        "loans_dates_ordered" => "a loan cannot end before it starts",
        "disposals_money_not_negative" => "amounts cannot be negative",
        "compensations_amount_not_negative" => "amounts cannot be negative",
        "assets_category_id_fkey"
        | "loan_lines_category_id_fkey"
        | "transfer_lines_category_id_fkey"
        | "rentals_category_id_fkey" => "no such category",
        "assets_zone_id_fkey" => "no such zone",
        "kits_name_key" => "a kit with that name already exists",
        "categories_daily_rent_range" => {
            "a daily rental price is 1 to 10000000000000 fen, or none"
        }
        "rentals_supplier_length" => "name the supplier in 1 to 200 characters",
        "rentals_quantity_range" => "a rental's quantity is 1 to 10000",
        "rentals_dates_ordered" => "a rental cannot end before it starts",
        "rentals_length" => "a rental lasts at most 366 days",
        "rentals_daily_price_range" | "rentals_total_range" => {
            "a rental's price and total are 1 to 10000000000000 fen"
        }
        "kit_parts_category_id_fkey" => "no such category",
        "kit_parts_asset_id_fkey"
        | "loan_lines_asset_id_fkey"
        | "transfer_lines_asset_id_fkey"
        | "reservations_asset_id_fkey"
        | "disposal_assets_asset_id_fkey"
        | "compensations_asset_id_fkey" => "no such asset",
        "loan_lines_kit_id_fkey" => "no such kit",
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

/// Why a request failed inside, for the log and never for the client: a front end puts it
/// on the error's response, and the server logs it on the request's one line.
#[derive(Debug, Clone)]
pub struct Cause(pub String);

impl Cause {
    /// The error and its causes on one line (no backtrace: a failure is one line).
    pub fn of(e: &anyhow::Error) -> Cause {
        Cause(format!("{e:#}"))
    }
}
