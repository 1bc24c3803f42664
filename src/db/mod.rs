//! Storage: the PostgreSQL pool, migrations, and the queries of each entity.

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::PgConnection;

pub mod embedded;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// How the service's pool is set: a request waits at most 2 s for a connection, so that
/// while the database is away people get a quick "try again" (503), not a 10 s hang.
pub fn pool_options() -> PgPoolOptions {
    PgPoolOptions::new()
        .max_connections(16)
        .acquire_timeout(std::time::Duration::from_secs(2))
}

/// Open a pool and bring the schema up to date. With `statement_timeout`, PostgreSQL
/// cancels any statement of the pool that runs longer (SQLSTATE 57014, answered 503); the
/// migrations run before, on a connection of their own, without that bound.
pub async fn connect(
    options: PgConnectOptions,
    statement_timeout: Option<std::time::Duration>,
) -> Result<PgPool, sqlx::Error> {
    {
        use sqlx::Connection as _;
        let mut conn = PgConnection::connect_with(&options).await?;
        MIGRATOR.run(&mut conn).await?;
        conn.close().await?;
    }
    let options = match statement_timeout {
        Some(t) if !t.is_zero() => {
            options.options([("statement_timeout", format!("{}ms", t.as_millis()))])
        }
        _ => options,
    };
    pool_options().connect_with(options).await
}

/// Whether the database answers.
pub async fn ping(pool: &PgPool) -> Result<()> {
    sqlx::query("select 1").execute(pool).await?;
    Ok(())
}

/// A scratch database named `name` on the server `pool` is connected to, for a benchmark
/// to load and drop (`name`: lowercase letters, digits and `_` only, as it is spliced in).
pub async fn create_database(pool: &PgPool, name: &str) -> Result<()> {
    sqlx::query(&format!("create database {}", identifier(name)?))
        .execute(pool)
        .await?;
    Ok(())
}

/// Drop a scratch database made by [`create_database`], whoever is still connected to it.
pub async fn drop_database(pool: &PgPool, name: &str) -> Result<()> {
    sqlx::query(&format!(
        "drop database if exists {} with (force)",
        identifier(name)?
    ))
    .execute(pool)
    .await?;
    Ok(())
}

fn identifier(name: &str) -> Result<&str> {
    let plain = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if plain {
        Ok(name)
    } else {
        Err(Error::Invalid(format!(
            "{name:?} is not a plain database name"
        )))
    }
}

/// Delete one row of `table` by id. Gone already: `NotFound(what)`; still referred to by
/// other rows: `Conflict("{what} {still_used}")`.
pub(crate) async fn delete_row(
    conn: &mut PgConnection,
    table: &str,
    id: i64,
    what: &str,
    still_used: &str,
) -> Result<()> {
    let done = sqlx::query(&format!("delete from {table} where id = $1"))
        .bind(id)
        .execute(conn)
        .await
        .map_err(|e| match e {
            sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
                Error::Conflict(format!("{what} {still_used}"))
            }
            other => other.into(),
        })?;
    if done.rows_affected() == 0 {
        return Err(Error::NotFound(what.to_owned()));
    }
    Ok(())
}

/// The parameters of a query, in order (`$1`, `$2`, …), for [`page`].
macro_rules! args {
    ($($value:expr),* $(,)?) => {{
        #[allow(unused_mut)]
        let mut args = sqlx::postgres::PgArguments::default();
        $(sqlx::Arguments::add(&mut args, $value).map_err(sqlx::Error::Encode)?;)*
        args
    }};
}

/// One page of `{select} {filter} order by {order}`, and how many rows the filter matches in
/// all. `args` are the filter's parameters; the page's limit and offset follow them.
pub(crate) async fn page<T>(
    conn: &mut PgConnection,
    select: &str,
    filter: &str,
    order: &str,
    args: sqlx::postgres::PgArguments,
    window: Window,
) -> Result<(Vec<T>, i64)>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> + Send + Unpin,
{
    use sqlx::Arguments;
    let count = format!("select count(*) from ({select} {filter}) as matching");
    let total: i64 = sqlx::query_scalar_with(&count, args.clone())
        .fetch_one(&mut *conn)
        .await?;
    let mut args = args;
    let n = args.len();
    args.add(window.limit()).map_err(sqlx::Error::Encode)?;
    args.add(window.offset()).map_err(sqlx::Error::Encode)?;
    let rows = format!(
        "{select} {filter} order by {order} limit ${} offset ${}",
        n + 1,
        n + 2
    );
    let items = sqlx::query_as_with(&rows, args).fetch_all(conn).await?;
    Ok((items, total))
}

/// One page of a list: which page (1-based) and how many rows on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub page: i64,
    pub per_page: i64,
}

impl Window {
    /// The first `n` rows.
    pub fn first(n: i64) -> Window {
        Window {
            page: 1,
            per_page: n,
        }
    }

    pub fn limit(self) -> i64 {
        self.per_page
    }

    pub fn offset(self) -> i64 {
        (self.page - 1).saturating_mul(self.per_page)
    }
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
/// Facts from the readers, and where each tag was last seen.
pub mod facts;
/// Intakes: assets handed over to the depot, registered together, received into stock.
pub mod intakes;
/// Loans: request, approve, issue, return.
pub mod loans;
/// What loans and transfers share: lines, choosing and reserving assets.
pub mod orders;
/// Departments and users.
pub mod people;
/// Places and kinds: warehouses, zones, categories.
pub mod places;
/// Reader configuration: readers, read points, gates.
pub mod readers;
/// Dashboard aggregates: stock, utilisation, overdue loans, proceeds, savings.
pub mod reports;
/// Stocktakes: scope, expectation, stored results and follow-ups.
pub mod stocktakes;
/// Transfers: request, approve, hand over for good (ownership moves).
pub mod transfers;
/// Walk tests: a gate's calibration record.
pub mod walks;
