//! Stocktakes (盘点): scope, the register's expectation, and the stored results with what a
//! keeper did about each. The live count runs in the ingest pipeline.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use utoipa::ToSchema;

use super::{Error, OptionalExt, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, sqlx::Type, ToSchema)]
#[sqlx(type_name = "stocktake_status", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum StocktakeStatus {
    Created,
    Running,
    Finished,
    Cancelled,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, sqlx::Type, ToSchema)]
#[sqlx(type_name = "stocktake_outcome", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Found,
    Missing,
    Unexpected,
    Misplaced,
    /// Seen, but between two zones the readers cannot tell apart: for a person to check.
    Between,
}

impl StocktakeStatus {
    /// Every status, in the order of the type.
    pub const ALL: [StocktakeStatus; 4] = [
        StocktakeStatus::Created,
        StocktakeStatus::Running,
        StocktakeStatus::Finished,
        StocktakeStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            StocktakeStatus::Created => "created",
            StocktakeStatus::Running => "running",
            StocktakeStatus::Finished => "finished",
            StocktakeStatus::Cancelled => "cancelled",
        }
    }

    /// The status named `text` (as [`Self::as_str`] writes it), if any.
    pub fn named(text: &str) -> Option<StocktakeStatus> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Found => "found",
            Outcome::Missing => "missing",
            Outcome::Unexpected => "unexpected",
            Outcome::Misplaced => "misplaced",
            Outcome::Between => "between",
        }
    }
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct StocktakeRow {
    pub id: i64,
    pub warehouse_id: i64,
    /// The zones counted; all of the warehouse's zones when created with none.
    pub zone_ids: Vec<i64>,
    pub status: StocktakeStatus,
    pub created_by: i64,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub expected: i32,
    pub found: i32,
    pub missing: i32,
    pub unexpected: i32,
    pub misplaced: i32,
    /// Assets between two zones, to check.
    #[sqlx(rename = "between_count")]
    pub between: i32,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct ResultRow {
    pub epc: String,
    pub asset_id: Option<i64>,
    pub outcome: Outcome,
    pub expected_zone_id: Option<i64>,
    pub seen_zone_id: Option<i64>,
    /// For `between`: the zone it cannot be told from `seen_zone_id`.
    pub other_zone_id: Option<i64>,
    pub resolution: Option<String>,
    pub resolved_at: Option<DateTime<Utc>>,
}

/// Create a stocktake of a warehouse (all its zones, or the given ones of it).
pub async fn create(
    conn: &mut PgConnection,
    warehouse_id: i64,
    zone_ids: &[i64],
    actor: i64,
) -> Result<StocktakeRow> {
    let zones: Vec<i64> = sqlx::query_scalar("select id from zones where warehouse_id = $1 and (cardinality($2::bigint[]) = 0 or id = any($2)) order by id")
        .bind(warehouse_id)
        .bind(zone_ids)
        .fetch_all(&mut *conn)
        .await?;
    if zones.is_empty() {
        return Err(Error::Conflict(format!(
            "warehouse {warehouse_id} has no such zones to count"
        )));
    }
    if let Some(stray) = zone_ids.iter().find(|z| !zones.contains(z)) {
        return Err(Error::Invalid(format!(
            "zone {stray} is not in warehouse {warehouse_id}"
        )));
    }
    Ok(sqlx::query_as("insert into stocktakes (warehouse_id, zone_ids, created_by) values ($1, $2, $3) returning *")
        .bind(warehouse_id)
        .bind(&zones)
        .bind(actor)
        .fetch_one(conn)
        .await?)
}

pub async fn get(conn: &mut PgConnection, id: i64) -> Result<StocktakeRow> {
    sqlx::query_as("select * from stocktakes where id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await?
        .or_not_found(|| format!("stocktake {id}"))
}

/// Which stocktakes: of a status, of a warehouse, counting a zone; each `None`: any.
#[derive(Debug, Default, Clone, Copy)]
pub struct Filter {
    pub status: Option<StocktakeStatus>,
    pub warehouse_id: Option<i64>,
    pub zone_id: Option<i64>,
}

/// [`Filter`] on the stocktakes `s`: its status as `$1`, warehouse `$2`, zone `$3`.
const FILTER: &str = "where ($1::stocktake_status is null or s.status = $1)
       and ($2::bigint is null or s.warehouse_id = $2)
       and ($3::bigint is null or $3 = any(s.zone_ids))";

/// The stocktakes `filter` picks, newest first: one page of them, and how many in all.
pub async fn list(
    conn: &mut PgConnection,
    filter: Filter,
    window: super::Window,
) -> Result<(Vec<StocktakeRow>, super::Total)> {
    super::page(
        conn,
        "select s.* from stocktakes s",
        FILTER,
        "s.id desc",
        args![filter.status, filter.warehouse_id, filter.zone_id],
        window,
    )
    .await
}

/// A stocktake as the list's export gives it: its warehouse's and zones' names.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Listing {
    pub id: i64,
    pub warehouse: String,
    /// The zones counted, by name.
    pub zones: Vec<String>,
    pub status: StocktakeStatus,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub expected: i32,
    pub found: i32,
    pub misplaced: i32,
    pub missing: i32,
    pub unexpected: i32,
    pub between: i32,
}

/// Every stocktake [`list`] would list, newest first, as they come (for the export).
pub fn listing_rows(conn: &mut PgConnection, filter: Filter) -> super::Rows<'_, Listing> {
    static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        format!(
            "select s.id, (select w.name from warehouses w where w.id = s.warehouse_id) as warehouse,
                    array(select z.name from zones z where z.id = any(s.zone_ids) order by z.id) as zones,
                    s.status, s.created_at, s.started_at, s.finished_at, s.expected, s.found,
                    s.misplaced, s.missing, s.unexpected, s.between_count as \"between\"
             from stocktakes s {FILTER} order by s.id desc"
        )
    });
    let mut args = sqlx::postgres::PgArguments::default();
    let added = sqlx::Arguments::add(&mut args, filter.status)
        .and_then(|()| sqlx::Arguments::add(&mut args, filter.warehouse_id))
        .and_then(|()| sqlx::Arguments::add(&mut args, filter.zone_id));
    if let Err(e) = added {
        return super::reports::failed(e);
    }
    super::rows(conn, SQL.as_str(), args)
}

/// What the register says is in scope: assets in depot custody placed in the scope's zones.
pub async fn expected(conn: &mut PgConnection, zone_ids: &[i64]) -> Result<Vec<(String, i64)>> {
    Ok(sqlx::query_as(
        "select epc, zone_id from assets where zone_id = any($1)
         and state in ('in_stock', 'reserved', 'in_repair', 'pending_disposal') order by id",
    )
    .bind(zone_ids)
    .fetch_all(conn)
    .await?)
}

/// Lock a stocktake and check it is in `status`, for an action named `action`.
pub async fn lock(
    conn: &mut PgConnection,
    id: i64,
    action: &str,
    status: StocktakeStatus,
) -> Result<StocktakeRow> {
    // `no key update`: the pipeline records sightings (a foreign key to this row) while a
    // finish waits for it to store what it has read.
    let row: StocktakeRow =
        sqlx::query_as("select * from stocktakes where id = $1 for no key update")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?
            .or_not_found(|| format!("stocktake {id}"))?;
    if row.status != status {
        return Err(Error::Conflict(
            format!(
            "cannot {action} stocktake {id}: it is {:?}; {action} is allowed only when it is {:?}",
            row.status, status
        )
            .to_lowercase(),
        ));
    }
    Ok(row)
}

pub async fn mark_running(conn: &mut PgConnection, id: i64, expected: usize) -> Result<()> {
    sqlx::query(
        "update stocktakes set status = 'running', started_at = now(), expected = $2 where id = $1",
    )
    .bind(id)
    .bind(expected as i32)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn mark_cancelled(conn: &mut PgConnection, id: i64) -> Result<()> {
    sqlx::query("update stocktakes set status = 'cancelled', finished_at = now() where id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// One line of a finished count.
#[derive(Debug, Clone)]
pub struct NewResult {
    pub epc: String,
    pub outcome: Outcome,
    pub expected_zone_id: Option<i64>,
    pub seen_zone_id: Option<i64>,
    pub other_zone_id: Option<i64>,
}

/// Store the results (asset ids looked up by EPC) and the totals.
pub async fn store_results(
    conn: &mut PgConnection,
    id: i64,
    results: &[NewResult],
) -> Result<StocktakeRow> {
    sqlx::query(
        "insert into stocktake_results (stocktake_id, epc, asset_id, outcome, expected_zone_id, seen_zone_id, other_zone_id)
         select $1, r.epc, a.id, r.outcome, r.expected, r.seen, r.other
         from unnest($2::text[], $3::stocktake_outcome[], $4::bigint[], $5::bigint[], $6::bigint[]) as r(epc, outcome, expected, seen, other)
         left join assets a on a.epc = r.epc",
    )
    .bind(id)
    .bind(results.iter().map(|r| r.epc.clone()).collect::<Vec<_>>())
    .bind(results.iter().map(|r| r.outcome).collect::<Vec<_>>())
    .bind(results.iter().map(|r| r.expected_zone_id).collect::<Vec<_>>())
    .bind(results.iter().map(|r| r.seen_zone_id).collect::<Vec<_>>())
    .bind(results.iter().map(|r| r.other_zone_id).collect::<Vec<_>>())
    .execute(&mut *conn)
    .await?;
    let count = |o: Outcome| results.iter().filter(|r| r.outcome == o).count() as i32;
    Ok(sqlx::query_as(
        "update stocktakes set status = 'finished', finished_at = now(), found = $2, missing = $3, unexpected = $4, misplaced = $5,
         between_count = $6 where id = $1 returning *",
    )
    .bind(id)
    .bind(count(Outcome::Found))
    .bind(count(Outcome::Missing))
    .bind(count(Outcome::Unexpected))
    .bind(count(Outcome::Misplaced))
    .bind(count(Outcome::Between))
    .fetch_one(conn)
    .await?)
}

pub async fn results(
    conn: &mut PgConnection,
    id: i64,
    outcome: Option<Outcome>,
) -> Result<Vec<ResultRow>> {
    Ok(sqlx::query_as(
        "select epc, asset_id, outcome, expected_zone_id, seen_zone_id, other_zone_id, resolution, resolved_at from stocktake_results
         where stocktake_id = $1 and ($2::stocktake_outcome is null or outcome = $2) order by outcome, epc",
    )
    .bind(id)
    .bind(outcome)
    .fetch_all(conn)
    .await?)
}

/// One page of stocktake `id`'s lines with `outcome`, by EPC (the primary key's order), and
/// how many there are (counted up to [`super::COUNT_CAP`]).
pub async fn results_page(
    conn: &mut PgConnection,
    id: i64,
    outcome: Outcome,
    window: super::Window,
) -> Result<(Vec<ResultRow>, super::Total)> {
    super::page(
        conn,
        "select epc, asset_id, outcome, expected_zone_id, seen_zone_id, other_zone_id, resolution, resolved_at
         from stocktake_results",
        "where stocktake_id = $1 and outcome = $2",
        "epc",
        args![id, outcome],
        window,
    )
    .await
}

/// Stocktake `id`'s line for `epc`.
pub async fn result(conn: &mut PgConnection, id: i64, epc: &str) -> Result<ResultRow> {
    sqlx::query_as(
        "select epc, asset_id, outcome, expected_zone_id, seen_zone_id, other_zone_id, resolution, resolved_at from stocktake_results
         where stocktake_id = $1 and epc = $2",
    )
    .bind(id)
    .bind(epc)
    .fetch_optional(conn)
    .await?
    .or_not_found(|| format!("EPC {epc} in stocktake {id}"))
}

/// A stocktake's result line as exported: with the asset's name and category and the
/// zones' names.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ExportLine {
    pub epc: String,
    pub asset_id: Option<i64>,
    pub asset: Option<String>,
    pub category: Option<String>,
    pub outcome: Outcome,
    pub expected_zone: Option<String>,
    pub seen_zone: Option<String>,
    pub other_zone: Option<String>,
    pub resolution: Option<String>,
    pub resolved_at: Option<DateTime<Utc>>,
}

/// Every result line of stocktake `id`, in the order the page lists them, as they come.
pub fn export_rows(conn: &mut PgConnection, id: i64) -> super::Rows<'_, ExportLine> {
    let mut args = sqlx::postgres::PgArguments::default();
    if let Err(e) = sqlx::Arguments::add(&mut args, id) {
        return super::reports::failed(e);
    }
    super::rows(
        conn,
        "select r.epc, r.asset_id, a.name as asset, c.name as category, r.outcome,
                ez.name as expected_zone, sz.name as seen_zone, oz.name as other_zone,
                r.resolution, r.resolved_at
         from stocktake_results r
         left join assets a on a.id = r.asset_id
         left join categories c on c.id = a.category_id
         left join zones ez on ez.id = r.expected_zone_id
         left join zones sz on sz.id = r.seen_zone_id
         left join zones oz on oz.id = r.other_zone_id
         where r.stocktake_id = $1 order by r.outcome, r.epc",
        args,
    )
}

/// Lock one result line for a follow-up action; it must have `outcome` and be unresolved.
pub async fn lock_result(
    conn: &mut PgConnection,
    id: i64,
    epc: &str,
    outcome: Outcome,
) -> Result<ResultRow> {
    let row: ResultRow = sqlx::query_as(
        "select epc, asset_id, outcome, expected_zone_id, seen_zone_id, other_zone_id, resolution, resolved_at from stocktake_results
         where stocktake_id = $1 and epc = $2 for update",
    )
    .bind(id)
    .bind(epc)
    .fetch_optional(&mut *conn)
    .await?
    .or_not_found(|| format!("EPC {epc} in stocktake {id}"))?;
    if row.outcome != outcome {
        return Err(Error::Conflict(
            format!(
                "EPC {epc} was {:?} in stocktake {id}, not {:?}",
                row.outcome, outcome
            )
            .to_lowercase(),
        ));
    }
    if let Some(done) = &row.resolution {
        return Err(Error::Conflict(format!(
            "EPC {epc} in stocktake {id} was already resolved: {done}"
        )));
    }
    Ok(row)
}

pub async fn resolve(
    conn: &mut PgConnection,
    id: i64,
    epc: &str,
    resolution: &str,
    actor: i64,
    asset_id: Option<i64>,
) -> Result<()> {
    sqlx::query(
        "update stocktake_results set resolution = $3, resolved_by = $4, resolved_at = now(), asset_id = coalesce($5, asset_id)
         where stocktake_id = $1 and epc = $2",
    )
    .bind(id)
    .bind(epc)
    .bind(resolution)
    .bind(actor)
    .bind(asset_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// A tag seen in a running stocktake's scope: in `zone_id`, or between it and
/// `other_zone_id`.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Sighting {
    pub stocktake_id: i64,
    pub epc: String,
    pub zone_id: i64,
    pub other_zone_id: Option<i64>,
    pub seen_at: DateTime<Utc>,
}

/// Keep what a starting stocktake expects: the register's assets in its scope.
pub async fn keep_expected(
    conn: &mut PgConnection,
    id: i64,
    expected: &[(String, i64)],
) -> Result<()> {
    sqlx::query(
        "insert into stocktake_expected (stocktake_id, epc, zone_id)
         select $1, e.epc, e.zone from unnest($2::text[], $3::bigint[]) as e(epc, zone)
         on conflict do nothing",
    )
    .bind(id)
    .bind(expected.iter().map(|(e, _)| e.as_str()).collect::<Vec<_>>())
    .bind(expected.iter().map(|(_, z)| *z).collect::<Vec<_>>())
    .execute(conn)
    .await?;
    Ok(())
}

/// What a stocktake expects, as kept when it started.
pub async fn kept_expected(conn: &mut PgConnection, id: i64) -> Result<Vec<(String, i64)>> {
    Ok(sqlx::query_as(
        "select epc, zone_id from stocktake_expected where stocktake_id = $1 order by epc",
    )
    .bind(id)
    .fetch_all(conn)
    .await?)
}

/// Record sightings; of two of one tag, the later stands (a sighting is never older than
/// the one it replaces). Sightings of a stocktake no longer running are ignored.
pub async fn record_sightings(conn: &mut PgConnection, sightings: &[Sighting]) -> Result<()> {
    if sightings.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "insert into stocktake_sightings (stocktake_id, epc, zone_id, other_zone_id, seen_at)
         select distinct on (s.id, s.epc) s.id, s.epc, s.zone, s.other, s.at
           from unnest($1::bigint[], $2::text[], $3::bigint[], $4::bigint[], $5::timestamptz[])
                as s(id, epc, zone, other, at)
           join stocktakes t on t.id = s.id and t.status = 'running'
          order by s.id, s.epc, s.at desc
         on conflict (stocktake_id, epc) do update
            set zone_id = excluded.zone_id, other_zone_id = excluded.other_zone_id,
                seen_at = excluded.seen_at
          where stocktake_sightings.seen_at <= excluded.seen_at",
    )
    .bind(sightings.iter().map(|s| s.stocktake_id).collect::<Vec<_>>())
    .bind(sightings.iter().map(|s| s.epc.as_str()).collect::<Vec<_>>())
    .bind(sightings.iter().map(|s| s.zone_id).collect::<Vec<_>>())
    .bind(
        sightings
            .iter()
            .map(|s| s.other_zone_id)
            .collect::<Vec<_>>(),
    )
    .bind(sightings.iter().map(|s| s.seen_at).collect::<Vec<_>>())
    .execute(conn)
    .await?;
    Ok(())
}

/// Every sighting of a stocktake.
pub async fn sightings(conn: &mut PgConnection, id: i64) -> Result<Vec<Sighting>> {
    Ok(
        sqlx::query_as("select * from stocktake_sightings where stocktake_id = $1 order by epc")
            .bind(id)
            .fetch_all(conn)
            .await?,
    )
}

/// The running stocktakes and their scopes.
pub async fn running(conn: &mut PgConnection) -> Result<Vec<(i64, Vec<i64>)>> {
    Ok(sqlx::query_as(
        "select id, zone_ids from stocktakes where status = 'running' order by id limit 1000",
    )
    .fetch_all(conn)
    .await?)
}
