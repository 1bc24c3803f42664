//! The application layer: each business operation once, with its authorisation, under
//! both front ends (the JSON API in `http`, the pages in `web`).

/// What a person may read of other departments' business.
pub mod visibility;
pub use visibility::Visibility;
