//! Instances of Depot on one database, and which of them drives each reader.
//!
//! A reader is driven by the instance that holds its advisory lock (key: [`READER_LOCKS`],
//! the reader's id) on a connection of its own, named `depot:INSTANCE`
//! (`application_name`). PostgreSQL releases the lock the moment that connection ends, so
//! who drives a reader is read off `pg_locks`, never off a row a dead instance left behind.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgConnection;
use utoipa::ToSchema;

use super::Result;

/// The first key of the readers' advisory locks ("DEPT"); the second is the reader's id.
pub const READER_LOCKS: i32 = 0x4445_5054;
/// What an instance's reader connection calls itself: this, then the instance's name.
pub const APPLICATION_PREFIX: &str = "depot:";

/// The second key of a reader's lock. Reader ids are a sequence far below 2³¹; the mask
/// keeps a larger one a valid key (sharing it would only make two readers claimed together).
fn key(reader: i64) -> i32 {
    (reader & 0x7fff_ffff) as i32
}

/// One instance, as its heartbeat row says.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct Instance {
    pub name: String,
    pub host: String,
    pub pid: i32,
    pub started_at: DateTime<Utc>,
    pub heartbeat_at: DateTime<Utc>,
}

/// The instance is alive now (inserted on its first beat; `started` when it started).
pub async fn beat(
    conn: &mut PgConnection,
    name: &str,
    host: &str,
    pid: u32,
    started: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "insert into instances (name, host, pid, started_at, heartbeat_at)
         values ($1, $2, $3, $4, now())
         on conflict (name) do update
            set host = excluded.host, pid = excluded.pid,
                started_at = excluded.started_at, heartbeat_at = now()",
    )
    .bind(name)
    .bind(host)
    .bind(pid as i32)
    .bind(started)
    .execute(conn)
    .await?;
    Ok(())
}

/// Every instance that ever beat, the most recent first.
pub async fn list(conn: &mut PgConnection) -> Result<Vec<Instance>> {
    Ok(
        sqlx::query_as("select * from instances order by heartbeat_at desc, name limit 1000")
            .fetch_all(conn)
            .await?,
    )
}

/// Take the locks of all of `readers` on this connection, or none: those taken are let go
/// again when one is held elsewhere. Whether all were taken.
pub async fn claim(conn: &mut PgConnection, readers: &[i64]) -> Result<bool> {
    let mut taken = Vec::with_capacity(readers.len());
    for &reader in readers {
        let got: bool = sqlx::query_scalar("select pg_try_advisory_lock($1, $2)")
            .bind(READER_LOCKS)
            .bind(key(reader))
            .fetch_one(&mut *conn)
            .await?;
        if !got {
            release(conn, &taken).await?;
            return Ok(false);
        }
        taken.push(reader);
    }
    Ok(true)
}

/// Let go of the locks of `readers` held on this connection.
pub async fn release(conn: &mut PgConnection, readers: &[i64]) -> Result<()> {
    for &reader in readers {
        sqlx::query("select pg_advisory_unlock($1, $2)")
            .bind(READER_LOCKS)
            .bind(key(reader))
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Which instance drives each reader now: reader id (as its lock key) → instance name.
/// A reader whose lock nobody holds is not in the map.
pub async fn owners(conn: &mut PgConnection) -> Result<HashMap<i64, String>> {
    let rows: Vec<(i64, String)> = sqlx::query_as(
        "select l.objid::bigint, a.application_name
           from pg_locks l
           join pg_stat_activity a on a.pid = l.pid
          where l.locktype = 'advisory' and l.granted
            and l.classid = $1::int::oid and l.objsubid = 2
            and l.database = (select oid from pg_database where datname = current_database())",
    )
    .bind(READER_LOCKS)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(reader, app)| {
            let name = app
                .strip_prefix(APPLICATION_PREFIX)
                .unwrap_or(&app)
                .to_owned();
            (reader, name)
        })
        .collect())
}

/// Send each of `payloads` as a notification on `channel`, in one statement.
pub async fn notify(conn: &mut PgConnection, channel: &str, payloads: &[String]) -> Result<()> {
    if payloads.is_empty() {
        return Ok(());
    }
    sqlx::query("select pg_notify($1, p) from unnest($2::text[]) p")
        .bind(channel)
        .bind(payloads)
        .execute(conn)
        .await?;
    Ok(())
}
