use crate::domain::lifecycle::{orders::IllegalOrderAction, IllegalTransition};

/// What can go wrong in a storage operation. The HTTP layer maps each to a status code.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0} not found")]
    NotFound(String),
    /// The request is well-formed but conflicts with the current state (409).
    #[error("{0}")]
    Conflict(String),
    /// The request refers to things that do not exist or breaks a rule (422).
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<IllegalOrderAction> for Error {
    fn from(e: IllegalOrderAction) -> Self {
        Error::Conflict(e.to_string())
    }
}

/// An illegal transition of a named asset.
pub fn illegal(asset_id: i64, epc: &str, e: IllegalTransition) -> Error {
    Error::Conflict(format!("asset {asset_id} ({epc}): {e}"))
}

/// Turn "no row" into a NotFound that names what was looked for.
pub trait OptionalExt<T> {
    fn or_not_found(self, what: impl FnOnce() -> String) -> Result<T>;
}

impl<T> OptionalExt<T> for Option<T> {
    fn or_not_found(self, what: impl FnOnce() -> String) -> Result<T> {
        self.ok_or_else(|| Error::NotFound(what()))
    }
}
