//! Storage: the PostgreSQL pool, migrations, and the queries of each entity.

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

pub mod embedded;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Open a pool and bring the schema up to date.
pub async fn connect(options: PgConnectOptions) -> Result<PgPool, sqlx::Error> {
    let pool = PgPoolOptions::new()
        .max_connections(16)
        .acquire_timeout(std::time::Duration::from_secs(10))
        .connect_with(options)
        .await?;
    MIGRATOR.run(&pool).await?;
    Ok(pool)
}

/// Alerts raised by readers at the gates.
pub mod alerts;
/// Assets: registration with EPC commissioning, lookups, listing.
pub mod assets;
/// The catalogue: what is free to borrow for a period (reads for the pages).
pub mod catalogue;
/// Compensation cases for damage and loss.
pub mod compensations;
/// Credentials: password hashes, sessions, API tokens.
pub mod credentials;
/// Disposals: appraisal, approval, auction or scrapping, proceeds remitted.
pub mod disposals;
mod error;
pub use error::{Error, OptionalExt, Result};

/// The event log and the single function that changes an asset's state.
pub mod events;
/// Intakes: assets handed over to the depot, registered together, received into stock.
pub mod intakes;
/// Loans: request, approve, issue, return.
pub mod loans;
/// What loans and transfers share: lines, choosing and reserving assets.
pub mod orders;
/// Reader configuration: readers, read points, gates.
pub mod readers;
/// Dashboard aggregates: stock, utilisation, overdue loans, proceeds, savings.
pub mod reports;
/// Stocktakes: scope, expectation, stored results and follow-ups.
pub mod stocktakes;
/// Transfers: request, approve, hand over for good (ownership moves).
pub mod transfers;
