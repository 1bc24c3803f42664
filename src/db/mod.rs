//! Storage: the PostgreSQL pool, migrations, and the queries of each entity.

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::PgConnection;

pub mod embedded;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// How the service's pool is set: a request waits at most 2 s for a connection, so that
/// while the database is away people get a quick "try again" (503), not a 10 s hang.
///
/// Each statement is planned for its parameters (`plan_cache_mode`): a list's optional
/// filters are written `$1 is null or …`, and a generic plan made once for any value can
/// use no index for them; planning costs far less than a wrong plan over a million rows.
/// No statement is compiled (`jit`): the service's statements are short, and PostgreSQL
/// judges by their cost estimates, which a per-row subplan inflates, so it spent 370 ms
/// compiling the 20 ms catalogue query.
///
/// The depot's day (`depot_today()`, `depot_date(…)` in SQL: when a loan is late, when a
/// report's day begins) follows `time_zone`, the depot's UTC offset, whatever the database
/// server's own time zone.
pub fn pool_options(time_zone: chrono::FixedOffset) -> PgPoolOptions {
    let settings = format!(
        "set plan_cache_mode = force_custom_plan; set jit = off; set depot.utc_offset = '{}'",
        utc_offset(time_zone)
    );
    PgPoolOptions::new()
        .max_connections(16)
        .acquire_timeout(std::time::Duration::from_secs(2))
        .after_connect(move |conn, _| {
            let settings = settings.clone();
            Box::pin(async move {
                use sqlx::Executor;
                conn.execute(settings.as_str()).await.map(|_| ())
            })
        })
}

/// `+08:00`, `-05:30`: an offset as PostgreSQL reads an interval.
fn utc_offset(time_zone: chrono::FixedOffset) -> String {
    let secs = time_zone.local_minus_utc();
    let sign = if secs < 0 { '-' } else { '+' };
    let minutes = secs.unsigned_abs() / 60;
    format!("{sign}{:02}:{:02}", minutes / 60, minutes % 60)
}

/// Open a pool and bring the schema up to date. With `statement_timeout`, PostgreSQL
/// cancels any statement of the pool that runs longer (SQLSTATE 57014, answered 503); the
/// migrations run before, on a connection of their own, without that bound.
pub async fn connect(
    options: PgConnectOptions,
    statement_timeout: Option<std::time::Duration>,
    time_zone: chrono::FixedOffset,
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
    pool_options(time_zone).connect_with(options).await
}

/// A query's rows in batches as they come, for an export that writes them as they arrive
/// instead of holding them all: a cursor (`declare … cursor`, then `fetch` a batch at a
/// time), so PostgreSQL also plans it to start quickly (`cursor_tuple_fraction`) and walks
/// an index in the export's order rather than sorting everything first. Run it inside a
/// transaction (a cursor lives in one). `sql` is static: a query's text, never data.
pub(crate) fn rows<'c, T>(
    conn: &'c mut PgConnection,
    sql: &str,
    args: sqlx::postgres::PgArguments,
) -> Rows<'c, T>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> + Send + Unpin + 'c,
{
    use futures_util::StreamExt;
    let declare = format!("declare export no scroll cursor for {sql}");
    let first = Some((declare, args));
    futures_util::stream::try_unfold((conn, first), move |(conn, first)| async move {
        if let Some((declare, args)) = first {
            sqlx::query_with(&declare, args)
                .persistent(false)
                .execute(&mut *conn)
                .await?;
        }
        // Not kept prepared: the next export's cursor has other columns.
        let batch: Vec<T> = sqlx::query_as("fetch 1000 from export")
            .persistent(false)
            .fetch_all(&mut *conn)
            .await?;
        if batch.is_empty() {
            sqlx::query("close export").execute(&mut *conn).await?;
            return Ok(None);
        }
        Ok(Some((batch, (conn, None))))
    })
    .boxed()
}

/// Batches of rows from [`rows`].
pub type Rows<'c, T> = futures_util::stream::BoxStream<'c, Result<Vec<T>>>;

/// Let each statement of the transaction `conn` is in run up to `timeout` (zero: no limit)
/// instead of the pool's `statement_timeout`: an export's, whose cursor walks a whole table.
/// Set for the transaction only (`set_config(…, true)`, as `set local`): the connection goes
/// back to the pool with the pages' bound.
pub(crate) async fn export_statement_timeout(
    conn: &mut PgConnection,
    timeout: std::time::Duration,
) -> Result<()> {
    sqlx::query("select set_config('statement_timeout', $1, true)")
        .bind(format!("{}ms", timeout.as_millis()))
        .execute(conn)
        .await?;
    Ok(())
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

/// A list counts its matches only up to this many: beyond it, `total` says "at least
/// this many" (`exact: false`) instead of counting a million rows for every page.
pub const COUNT_CAP: i64 = 1_000;

/// How many rows a list's filter matches, as far as it was worth counting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Total {
    /// Exact when `exact`; otherwise a lower bound (at least [`COUNT_CAP`]).
    pub count: i64,
    pub exact: bool,
    /// Whether rows follow this page.
    pub has_more: bool,
}

/// One page of `{select} {filter} order by {order}`, whether more follow, and how many rows
/// the filter matches (counted up to [`COUNT_CAP`]). `args` are the filter's parameters.
///
/// A list ordered by one id column (`a.id`, `l.id desc`) is paged by keyset: after
/// `window.after`, or, for a page number, from the id the offset lands on, found first on
/// the tables alone (`select id from … offset n limit 1`: the filter's index, no other
/// columns read), so a deep page costs an index walk, not a table walk. The count is only
/// run when the page does not tell it already (a page that is not full is the last one),
/// also on the tables alone (`select 1 from …`) and in the list's own order, so it walks
/// the same index.
pub(crate) async fn page<T>(
    conn: &mut PgConnection,
    select: &str,
    filter: &str,
    order: &str,
    args: sqlx::postgres::PgArguments,
    window: Window,
) -> Result<(Vec<T>, Total)>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> + Send + Unpin,
{
    page_counted(conn, select, filter, order, args, window, Count::InOrder).await
}

/// How [`page_counted`] counts a filter's matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Count {
    /// Up to [`COUNT_CAP`] + 1 of them, in the list's own order, so the count walks the
    /// index the page walked.
    InOrder,
    /// The caller knows the filter matches more than [`COUNT_CAP`] rows (one part of an
    /// `or` alone does): not counted.
    BeyondCap,
    /// The caller knows how many rows the filter matches (it found their ids itself).
    Known(i64),
}

/// [`page`], its matches counted as `count` says.
pub(crate) async fn page_counted<T>(
    conn: &mut PgConnection,
    select: &str,
    filter: &str,
    order: &str,
    args: sqlx::postgres::PgArguments,
    window: Window,
    count: Count,
) -> Result<(Vec<T>, Total)>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> + Send + Unpin,
{
    use sqlx::Arguments;
    let n = args.len();
    let from = from_clause(select);
    let condition = filter
        .trim_start()
        .strip_prefix("where")
        .map(str::trim)
        .filter(|c| !c.is_empty());
    let and = |extra: String| match condition {
        Some(c) => format!("where ({c}) and {extra}"),
        None => format!("where {extra}"),
    };
    let offset = window.offset();
    let mut rows_args = args.clone();
    let (k, l) = (n + 1, n + 2);
    let rows = match (window.after, keyset(order)) {
        (Some(after), keyed) => {
            let (column, descending) = keyed?;
            rows_args.add(after).map_err(sqlx::Error::Encode)?;
            let op = if descending { "<" } else { ">" };
            let rows_filter = and(format!("{column} {op} ${k}"));
            format!("{select} {rows_filter} order by {order} limit ${l}")
        }
        (None, Ok((column, descending))) if offset > 0 => {
            rows_args.add(offset).map_err(sqlx::Error::Encode)?;
            let op = if descending { "<=" } else { ">=" };
            let rows_filter = and(format!(
                "{column} {op} (select {column} {from} {filter} order by {order} offset ${k} limit 1)"
            ));
            format!("{select} {rows_filter} order by {order} limit ${l}")
        }
        (None, _) => {
            rows_args.add(offset).map_err(sqlx::Error::Encode)?;
            format!("{select} {filter} order by {order} offset ${k} limit ${l}")
        }
    };
    rows_args
        .add(window.limit() + 1)
        .map_err(sqlx::Error::Encode)?;
    let mut items: Vec<T> = sqlx::query_as_with(&rows, rows_args)
        .fetch_all(&mut *conn)
        .await?;
    let has_more = items.len() as i64 > window.limit();
    items.truncate(window.limit() as usize);
    let seen = offset.saturating_add(items.len() as i64);
    if window.after.is_none() && !has_more && (seen > 0 || offset == 0) {
        // The last page: everything before it and on it is all there is.
        return Ok((
            items,
            Total {
                count: seen,
                exact: true,
                has_more,
            },
        ));
    }
    let mut args = args;
    args.add(COUNT_CAP + 1).map_err(sqlx::Error::Encode)?;
    let counted: i64 = match count {
        Count::BeyondCap => COUNT_CAP + 1,
        Count::Known(n) => n,
        Count::InOrder => {
            let count = format!(
                "select count(*) from (select 1 {from} {filter} order by {order} limit ${k}) as matching"
            );
            sqlx::query_scalar_with(&count, args)
                .fetch_one(&mut *conn)
                .await?
        }
    };
    let total = if counted > COUNT_CAP {
        Total {
            count: COUNT_CAP.max(seen + i64::from(has_more)),
            exact: false,
            has_more,
        }
    } else {
        Total {
            count: counted,
            exact: true,
            has_more,
        }
    };
    Ok((items, total))
}

/// The `from …` of a select: from its last `from` outside parentheses and quotes on.
fn from_clause(select: &str) -> &str {
    let bytes = select.as_bytes();
    let (mut depth, mut found, mut quoted) = (0i32, 0, false);
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'\'' => quoted = !quoted,
            b'(' if !quoted => depth += 1,
            b')' if !quoted => depth -= 1,
            _ if !quoted
                && depth == 0
                && i > 0
                && bytes[i - 1].is_ascii_whitespace()
                && bytes.len() > i + 4
                && bytes[i..i + 4].eq_ignore_ascii_case(b"from")
                && bytes[i + 4].is_ascii_whitespace() =>
            {
                found = i
            }
            _ => {}
        }
    }
    &select[found..]
}

/// The column a list is ordered by, when it is one id column (`a.id`, `l.id desc`): the
/// lists a keyset cursor can page.
fn keyset(order: &str) -> Result<(&str, bool)> {
    let mut words = order.split_whitespace();
    let column = words.next().unwrap_or_default();
    let descending = match (words.next(), words.next()) {
        (None, _) => false,
        (Some(d), None) if d.eq_ignore_ascii_case("desc") => true,
        (Some(a), None) if a.eq_ignore_ascii_case("asc") => false,
        _ => {
            return Err(Error::Invalid(
                "this list is paged by page number only".into(),
            ))
        }
    };
    if column == "id" || column.ends_with(".id") {
        Ok((column, descending))
    } else {
        Err(Error::Invalid(
            "this list is paged by page number only".into(),
        ))
    }
}

/// One page of a list: which page (1-based) and how many rows on it, or the rows after a
/// keyset cursor (the id of the last row of the page before).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub page: i64,
    pub per_page: i64,
    /// Rows after this id in the list's order (page is then ignored).
    pub after: Option<i64>,
}

impl Window {
    /// The first `n` rows.
    pub fn first(n: i64) -> Window {
        Window {
            page: 1,
            per_page: n,
            after: None,
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
/// An asset's documents.
pub mod attachments;
/// A city's worth of data for benchmarks and plan tests, made with set-based SQL.
pub mod bench_data;
/// Forward bookings: collisions of late returns with the next booking, and swaps.
pub mod bookings;
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

/// What backing up and restoring ask of the database.
pub mod backup;
/// Paperwork past its time limit (限时办结).
pub mod deadlines;
/// What the EPCIS export reads: the log, passages and counts in time order.
pub mod epcis;
/// The event log and the single function that changes an asset's state.
pub mod events;
/// Facts from the readers, and where each tag was last seen.
pub mod facts;
/// Assets their departments offer back to the depot (上缴).
pub mod hand_ins;
/// Instances of Depot on one database, and which of them drives each reader.
pub mod instances;
/// Intakes: assets handed over to the depot, registered together, received into stock.
pub mod intakes;
/// Kits: named sets of category quantities and specific assets, and their parts.
pub mod kits;
/// Loans: request, approve, issue, return.
pub mod loans;
/// Notices, inboxes and the e-mail outbox.
pub mod notices;
/// What loans and transfers share: lines, choosing and reserving assets.
pub mod orders;
/// Departments and users.
pub mod people;
/// Places and kinds: warehouses, zones, categories.
pub mod places;
/// Reader configuration: readers, read points, gates.
pub mod readers;
/// The register in bulk: import and export.
pub mod register;
/// Market rentals for a loan's shortfall: ordered, received, returned to the supplier.
pub mod rentals;
/// Dashboard aggregates: stock, utilisation, overdue loans, proceeds, savings.
pub mod reports;
/// Stocktakes: scope, expectation, stored results and follow-ups.
pub mod stocktakes;
/// Transfers: request, approve, hand over for good (ownership moves).
pub mod transfers;
/// Walk tests: a gate's calibration record.
pub mod walks;
/// Webhooks and their outbox of deliveries.
pub mod webhooks;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_from_clause_is_the_last_one_outside_parentheses() {
        assert_eq!(from_clause("select * from alerts"), "from alerts");
        assert_eq!(
            from_clause("select d.id, (select sum(x) from y where y.d = d.id) as s,\n    d.reason from disposals d join users u on u.id = d.requested_by"),
            "from disposals d join users u on u.id = d.requested_by"
        );
        assert_eq!(
            from_clause("select 'from ' || a.name as n from assets a"),
            "from assets a"
        );
    }

    #[test]
    fn only_an_id_order_pages_by_keyset() {
        assert_eq!(keyset("a.id").unwrap(), ("a.id", false));
        assert_eq!(keyset("l.id desc").unwrap(), ("l.id", true));
        assert!(keyset("username").is_err());
        assert!(keyset("l.starts_on, l.id").is_err());
    }
}
