//! What backing up and restoring ask of the database itself (the dump and the restore are
//! PostgreSQL's own `pg_dump` and `pg_restore`).

use sqlx::PgConnection;

use super::error::Result;

/// Whether the database holds anything in its `public` schema (Depot's tables, or anyone's).
pub async fn holds_data(conn: &mut PgConnection) -> Result<bool> {
    Ok(sqlx::query_scalar(
        "select exists (select 1 from pg_catalog.pg_class c
                        join pg_catalog.pg_namespace n on n.oid = c.relnamespace
                        where n.nspname = 'public')
             or exists (select 1 from pg_catalog.pg_type t
                        join pg_catalog.pg_namespace n on n.oid = t.typnamespace
                        where n.nspname = 'public')",
    )
    .fetch_one(conn)
    .await?)
}

/// Empties the database (its `public` schema dropped with all it holds, and made again), as
/// the start of the script a restore runs in one transaction.
pub const CLEAR: &str = "drop schema public cascade;\ncreate schema public;\n";

/// How many assets and events the database holds, to say what a restore brought.
pub async fn tally(conn: &mut PgConnection) -> Result<(i64, i64)> {
    Ok(
        sqlx::query_as("select (select count(*) from assets), (select count(*) from events)")
            .fetch_one(conn)
            .await?,
    )
}
