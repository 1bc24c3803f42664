//! Reader configuration: readers, their antennas' zones (read points) and gates. The
//! ingest supervisor and the inventory engine are configured from these rows.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use utoipa::ToSchema;

use super::{Error, OptionalExt, Result};
use crate::domain::bounds::Text;

#[derive(Debug, Clone, Serialize, Deserialize, sqlx::FromRow, ToSchema)]
pub struct ReadPoint {
    /// Antenna port, 1 to 64.
    #[schema(minimum = 1, maximum = 64)]
    pub antenna: i32,
    pub zone_id: i64,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct Reader {
    pub id: i64,
    pub name: String,
    /// `llrp://HOST[:PORT]`, `uhf18:///dev/ttyUSB0?baud=57600`, `uhf18+tcp://HOST:PORT`,
    /// `r2000:///dev/ttyUSB0?baud=115200`, `r2000+tcp://HOST:PORT`, or `handheld:` for a
    /// reader whose reads are uploaded in batches.
    pub address: String,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
    #[sqlx(skip)]
    pub read_points: Vec<ReadPoint>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewReader {
    #[schema(value_type = crate::domain::bounds::FilledText)]
    pub name: Text,
    /// `llrp://HOST[:PORT]`, `uhf18:///dev/PORT`, `uhf18+tcp://HOST:PORT`, `r2000:///dev/PORT`,
    /// `r2000+tcp://HOST:PORT`, or `handheld:` for a handheld.
    #[schema(value_type = String, max_length = 500, pattern = "^(handheld:|llrp://[A-Za-z0-9.-]+(:[1-9][0-9]{0,3})?|(uhf18|r2000)[+]tcp://[A-Za-z0-9.-]+:[1-9][0-9]{0,3}|(uhf18|r2000)://(/[A-Za-z0-9._-]+)+)$")]
    pub address: Text,
    #[serde(default = "yes")]
    pub enabled: bool,
    pub read_points: Vec<ReadPoint>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReaderChange {
    #[schema(value_type = Option<crate::domain::bounds::FilledText>)]
    pub name: Option<Text>,
    #[schema(value_type = Option<String>, max_length = 500, pattern = "^(handheld:|llrp://[A-Za-z0-9.-]+(:[1-9][0-9]{0,3})?|(uhf18|r2000)[+]tcp://[A-Za-z0-9.-]+:[1-9][0-9]{0,3}|(uhf18|r2000)://(/[A-Za-z0-9._-]+)+)$")]
    pub address: Option<Text>,
    pub enabled: Option<bool>,
    /// Replaces all read points when given.
    pub read_points: Option<Vec<ReadPoint>>,
}

/// Handheld readers have no address to connect to: their reads are uploaded.
pub const HANDHELD: &str = "handheld:";

fn check_read_points(points: &[ReadPoint]) -> Result<()> {
    let mut seen = std::collections::HashSet::new();
    for p in points {
        if !(1..=64).contains(&p.antenna) {
            return Err(Error::Invalid(format!(
                "antenna {} is not a port 1 to 64",
                p.antenna
            )));
        }
        if !seen.insert(p.antenna) {
            return Err(Error::Invalid(format!(
                "antenna {} is mapped twice",
                p.antenna
            )));
        }
    }
    Ok(())
}

async fn set_read_points(
    conn: &mut PgConnection,
    reader_id: i64,
    points: &[ReadPoint],
) -> Result<()> {
    check_read_points(points)?;
    sqlx::query("delete from read_points where reader_id = $1")
        .bind(reader_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("insert into read_points (reader_id, antenna, zone_id) select $1, * from unnest($2::int[], $3::bigint[])")
        .bind(reader_id)
        .bind(points.iter().map(|p| p.antenna).collect::<Vec<_>>())
        .bind(points.iter().map(|p| p.zone_id).collect::<Vec<_>>())
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn create(conn: &mut PgConnection, new: &NewReader) -> Result<Reader> {
    let id: i64 = sqlx::query_scalar(
        "insert into readers (name, address, enabled) values ($1, $2, $3) returning id",
    )
    .bind(new.name.trim())
    .bind(new.address.trim())
    .bind(new.enabled)
    .fetch_one(&mut *conn)
    .await?;
    set_read_points(conn, id, &new.read_points).await?;
    get(conn, id).await
}

pub async fn update(conn: &mut PgConnection, id: i64, change: &ReaderChange) -> Result<Reader> {
    let done = sqlx::query(
        "update readers set name = coalesce($2, name), address = coalesce($3, address), enabled = coalesce($4, enabled) where id = $1",
    )
    .bind(id)
    .bind(change.name.as_deref().map(str::trim))
    .bind(change.address.as_deref().map(str::trim))
    .bind(change.enabled)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(Error::NotFound(format!("reader {id}")));
    }
    if let Some(points) = &change.read_points {
        set_read_points(conn, id, points).await?;
    }
    get(conn, id).await
}

pub async fn delete(conn: &mut PgConnection, id: i64) -> Result<()> {
    let done = sqlx::query("delete from readers where id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    if done.rows_affected() == 0 {
        return Err(Error::NotFound(format!("reader {id}")));
    }
    Ok(())
}

pub async fn get(conn: &mut PgConnection, id: i64) -> Result<Reader> {
    let mut reader: Reader =
        sqlx::query_as("select id, name, address, enabled, created_at from readers where id = $1")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?
            .or_not_found(|| format!("reader {id}"))?;
    reader.read_points = sqlx::query_as(
        "select antenna, zone_id from read_points where reader_id = $1 order by antenna",
    )
    .bind(id)
    .fetch_all(conn)
    .await?;
    Ok(reader)
}

pub async fn by_name(conn: &mut PgConnection, name: &str) -> Result<Reader> {
    let id: i64 = sqlx::query_scalar("select id from readers where name = $1")
        .bind(name)
        .fetch_optional(&mut *conn)
        .await?
        .or_not_found(|| format!("reader {name:?}"))?;
    get(conn, id).await
}

pub async fn list(conn: &mut PgConnection) -> Result<Vec<Reader>> {
    let mut readers: Vec<Reader> =
        sqlx::query_as("select id, name, address, enabled, created_at from readers order by name")
            .fetch_all(&mut *conn)
            .await?;
    let points: Vec<(i64, i32, i64)> = sqlx::query_as(
        "select reader_id, antenna, zone_id from read_points order by reader_id, antenna",
    )
    .fetch_all(conn)
    .await?;
    for reader in &mut readers {
        reader.read_points = points
            .iter()
            .filter(|(r, ..)| *r == reader.id)
            .map(|&(_, antenna, zone_id)| ReadPoint { antenna, zone_id })
            .collect();
    }
    Ok(readers)
}

/// Every zone as the engine is configured with it: id, "code name", its smoothing if set.
pub async fn zone_smoothing(
    conn: &mut PgConnection,
) -> Result<Vec<(i64, String, Option<serde_json::Value>)>> {
    Ok(
        sqlx::query_as("select id, code || ' ' || name, smoothing from zones order by id")
            .fetch_all(conn)
            .await?,
    )
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct Gate {
    pub id: i64,
    pub name: String,
    pub inside_zone_id: i64,
    pub outside_zone_id: i64,
    pub created_at: DateTime<Utc>,
    /// Passages judged less sure than this are asked, not acted on; `None`: the engine's
    /// default. Set by applying a walk test.
    pub min_confidence: Option<f32>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewGate {
    pub name: Text,
    pub inside_zone_id: i64,
    pub outside_zone_id: i64,
}

pub async fn create_gate(conn: &mut PgConnection, new: &NewGate) -> Result<Gate> {
    Ok(sqlx::query_as(
        "insert into gates (name, inside_zone_id, outside_zone_id) values ($1, $2, $3) returning *",
    )
    .bind(new.name.trim())
    .bind(new.inside_zone_id)
    .bind(new.outside_zone_id)
    .fetch_one(conn)
    .await?)
}

pub async fn gates(conn: &mut PgConnection) -> Result<Vec<Gate>> {
    Ok(sqlx::query_as("select * from gates order by name")
        .fetch_all(conn)
        .await?)
}

pub async fn gate(conn: &mut PgConnection, id: i64) -> Result<Gate> {
    sqlx::query_as("select * from gates where id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await?
        .or_not_found(|| format!("gate {id}"))
}

/// Set a gate's threshold (part of a site change: see `app::readers`).
pub async fn set_min_confidence(conn: &mut PgConnection, id: i64, value: f32) -> Result<Gate> {
    sqlx::query_as("update gates set min_confidence = $2 where id = $1 returning *")
        .bind(id)
        .bind(value)
        .fetch_optional(conn)
        .await?
        .or_not_found(|| format!("gate {id}"))
}

pub async fn delete_gate(conn: &mut PgConnection, id: i64) -> Result<()> {
    let done = sqlx::query("delete from gates where id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    if done.rows_affected() == 0 {
        return Err(Error::NotFound(format!("gate {id}")));
    }
    Ok(())
}

/// One passage through a gate, as stored: the fact, the asset, the order it matched.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Passage {
    pub key: String,
    pub epc: String,
    pub asset_id: Option<i64>,
    pub asset: Option<String>,
    pub gate: Option<String>,
    pub direction: Option<String>,
    pub at: DateTime<Utc>,
    pub order_kind: Option<String>,
    pub order_id: Option<i64>,
    /// issued, returned, uncertain (a keeper is asked), dismissed, alert, none
    pub outcome: String,
}

/// Where a page of passages starts: the newest, or either side of a passage (its fact key),
/// in the list's order (crossing time, then key, newest first).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum PassageCursor {
    #[default]
    Newest,
    /// The passages older than this one.
    Before(String),
    /// The passages newer than this one.
    After(String),
}

/// Passages at a gate (or all gates), newest first, at most `limit` from `cursor` on, each
/// with the order its asset's lifecycle event names (`events.fact_key`, on the asset's
/// events only, which `events_fact_asset_action_key` indexes; an issue or a return before a
/// keeper's decision) and what the depot did about it; and whether more lie beyond them
/// in the direction the cursor pages (older, or for [`PassageCursor::After`] newer).
///
/// Paged by keyset on (crossing time, key): a page stays where it was while passages
/// arrive, and a deep page costs what the first does.
pub async fn passages(
    conn: &mut PgConnection,
    gate: Option<i64>,
    cursor: &PassageCursor,
    limit: i64,
) -> Result<(Vec<Passage>, bool)> {
    const CURSOR_AT: &str = "(select c.at from facts c where c.key = $2)";
    let (key, seek, order) = match cursor {
        PassageCursor::Newest => (None, String::from("$2::text is null"), "desc"),
        PassageCursor::Before(key) => (
            Some(key),
            format!("f.at <= {CURSOR_AT} and (f.at, f.key) < ({CURSOR_AT}, $2::text)"),
            "desc",
        ),
        PassageCursor::After(key) => (
            Some(key),
            format!("f.at >= {CURSOR_AT} and (f.at, f.key) > ({CURSOR_AT}, $2::text)"),
            "asc",
        ),
    };
    let sql = format!(
        "{PASSAGE_SELECT}
         where f.kind = 'passed' and ($1::bigint is null or f.gate_id = $1) and {seek}
         order by f.at {order}, f.key {order} limit $3"
    );
    let mut rows: Vec<Passage> = sqlx::query_as(&sql)
        .bind(gate)
        .bind(key)
        .bind(limit + 1)
        .fetch_all(conn)
        .await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit.max(0) as usize);
    if matches!(cursor, PassageCursor::After(_)) {
        rows.reverse();
    }
    Ok((rows, more))
}

/// A passage's columns and tables ([`Passage`]), `f` the passages' facts.
const PASSAGE_SELECT: &str = "select f.key, f.epc, f.asset_id, a.name as asset, g.name as gate, f.direction, f.at,
                e.order_kind::text as order_kind, e.order_id,
                case when e.action = 'issue' then 'issued' when e.action = 'return' then 'returned'
                     when u.decision is null and u.id is not null then 'uncertain'
                     when u.decision = 'dismissed' then 'dismissed'
                     when exists (select 1 from alerts al where al.fact_key = f.key and al.kind <> 'uncertain_passage') then 'alert'
                     else 'none' end as outcome
         from facts f
         left join assets a on a.id = f.asset_id
         left join gates g on g.id = f.gate_id
         left join lateral (select order_kind, order_id, action from events ev
                            where ev.fact_key = f.key and ev.fact_key is not null and ev.asset_id is not null
                            order by ev.action in ('issue', 'return') desc, ev.id limit 1) e on true
         left join alerts u on u.fact_key = f.key and u.kind = 'uncertain_passage'";

/// Every passage at a gate (or all gates) as [`passages`] lists them, newest first, as they
/// come (for the export).
pub fn passage_rows(conn: &mut PgConnection, gate: Option<i64>) -> super::Rows<'_, Passage> {
    static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        format!(
            "{PASSAGE_SELECT}
             where f.kind = 'passed' and ($1::bigint is null or f.gate_id = $1)
             order by f.at desc, f.key desc"
        )
    });
    let mut args = sqlx::postgres::PgArguments::default();
    if let Err(e) = sqlx::Arguments::add(&mut args, gate) {
        return super::reports::failed(e);
    }
    super::rows(conn, SQL.as_str(), args)
}

/// Serialize changes of the reader configuration: each is checked against the whole site as
/// it would be, so two may not be checked side by side and committed together.
pub async fn lock_configuration(conn: &mut PgConnection) -> Result<()> {
    sqlx::query("select pg_advisory_xact_lock(hashtext('depot reader configuration'))")
        .execute(conn)
        .await?;
    Ok(())
}

/// A zone named `WAREHOUSE/ZONE` by codes, as configuration files name them.
async fn zone_by_path(conn: &mut PgConnection, path: &str) -> Result<i64> {
    let (warehouse, zone) = path.split_once('/').ok_or_else(|| {
        Error::Invalid(format!(
            "zone {path:?}: write it as WAREHOUSE/ZONE, by their codes"
        ))
    })?;
    sqlx::query_scalar("select z.id from zones z join warehouses w on w.id = z.warehouse_id where w.code = $1 and z.code = $2")
        .bind(warehouse)
        .bind(zone)
        .fetch_optional(conn)
        .await?
        .ok_or_else(|| Error::Invalid(format!("no zone {path:?} (WAREHOUSE/ZONE by their codes)")))
}

/// Make the database's readers and gates match the configuration file's, by name: entries
/// there are created or updated; readers and gates not named in the file are left alone.
pub async fn apply_config(
    conn: &mut PgConnection,
    readers: &[crate::config::ReaderEntry],
    gates: &[crate::config::GateEntry],
) -> Result<()> {
    for entry in readers {
        let mut points = Vec::new();
        for (antenna, zone) in &entry.antennas {
            let antenna: i32 = antenna.parse().map_err(|_| {
                Error::Invalid(format!(
                    "reader {:?}: antenna {antenna:?} is not a port number",
                    entry.name
                ))
            })?;
            points.push(ReadPoint {
                antenna,
                zone_id: zone_by_path(conn, zone).await?,
            });
        }
        let existing: Option<i64> = sqlx::query_scalar("select id from readers where name = $1")
            .bind(&entry.name)
            .fetch_optional(&mut *conn)
            .await?;
        match existing {
            Some(id) => {
                let change = ReaderChange {
                    name: None,
                    address: Some(entry.address.clone()),
                    enabled: Some(entry.enabled),
                    read_points: Some(points),
                };
                update(conn, id, &change).await?;
            }
            None => {
                create(
                    conn,
                    &NewReader {
                        name: entry.name.clone(),
                        address: entry.address.clone(),
                        enabled: entry.enabled,
                        read_points: points,
                    },
                )
                .await?;
            }
        }
    }
    for entry in gates {
        let (inside, outside) = (
            zone_by_path(conn, &entry.inside).await?,
            zone_by_path(conn, &entry.outside).await?,
        );
        sqlx::query(
            "insert into gates (name, inside_zone_id, outside_zone_id) values ($1, $2, $3)
             on conflict (name) do update set inside_zone_id = excluded.inside_zone_id, outside_zone_id = excluded.outside_zone_id",
        )
        .bind(&entry.name)
        .bind(inside)
        .bind(outside)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}
