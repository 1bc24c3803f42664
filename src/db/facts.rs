//! Facts from the readers, stored once each by their stable key, and where each tag was last
//! seen.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use super::Result;

/// One fact as stored.
#[derive(Debug, Clone)]
pub struct FactRow {
    pub key: String,
    pub kind: &'static str,
    pub epc: String,
    pub zone: Option<i64>,
    pub gate: Option<i64>,
    pub direction: Option<&'static str>,
    pub at: DateTime<Utc>,
    pub details: serde_json::Value,
}

/// Store facts in one multi-row insert; returns the key and asset of each fact not stored
/// before (only those are acted on).
/// How many facts are stored.
pub async fn count(conn: &mut PgConnection) -> Result<i64> {
    Ok(sqlx::query_scalar("select count(*) from facts")
        .fetch_one(conn)
        .await?)
}

/// Per kind of fact: how many, and the p50, p99 and greatest delay in ms from the fact's
/// time to the start of the transaction that stored it.
pub async fn delays_by_kind(conn: &mut PgConnection) -> Result<Vec<(String, i64, f64, f64, f64)>> {
    Ok(sqlx::query_as(
        "select kind, count(*),
                percentile_cont(0.5) within group (order by d), percentile_cont(0.99) within group (order by d), max(d)
         from (select kind, extract(epoch from recorded_at - at)::float8 * 1000 as d from facts) f
         group by kind order by kind",
    )
    .fetch_all(conn)
    .await?)
}

pub async fn store(
    conn: &mut PgConnection,
    rows: &[FactRow],
) -> Result<Vec<(String, Option<i64>)>> {
    Ok(sqlx::query_as(
        "insert into facts (key, kind, epc, asset_id, zone_id, gate_id, direction, at, details)
         select f.key, f.kind, f.epc, a.id, f.zone, f.gate, f.direction, f.at, f.details
         from unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::text[], $7::timestamptz[], $8::jsonb[])
              as f(key, kind, epc, zone, gate, direction, at, details)
         left join assets a on a.epc = f.epc
         on conflict (key) do nothing
         returning key, asset_id",
    )
    .bind(rows.iter().map(|r| r.key.clone()).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.kind).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.epc.clone()).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.zone).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.gate).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.direction).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.at).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.details.clone()).collect::<Vec<_>>())
    .fetch_all(conn)
    .await?)
}

/// Where a tag was seen last: zone, the reader when only one serves it, and when.
#[derive(Debug, Clone)]
pub struct Sighting {
    pub epc: String,
    pub zone: i64,
    /// Observed in `zone` but between it and this one: the readers cannot tell which.
    pub between: Option<i64>,
    pub reader: Option<i64>,
    pub at: DateTime<Utc>,
}

/// When the newest of these tags was last seen, if any was.
pub async fn last_seen_at(
    conn: &mut PgConnection,
    epcs: &[String],
) -> Result<Option<DateTime<Utc>>> {
    Ok(
        sqlx::query_scalar("select max(seen_at) from last_seen where epc = any($1)")
            .bind(epcs)
            .fetch_one(conn)
            .await?,
    )
}

/// Record sightings; an older one never replaces a newer.
pub async fn seen(conn: &mut PgConnection, sightings: &[Sighting]) -> Result<()> {
    sqlx::query(
        "insert into last_seen (epc, asset_id, zone_id, between_zone_id, reader_id, seen_at)
         select s.epc, a.id, s.zone, s.between, s.reader, s.at
         from unnest($1::text[], $2::bigint[], $3::bigint[], $4::timestamptz[], $5::bigint[]) as s(epc, zone, reader, at, between)
         left join assets a on a.epc = s.epc
         on conflict (epc) do update set zone_id = excluded.zone_id, reader_id = excluded.reader_id,
             seen_at = excluded.seen_at, asset_id = excluded.asset_id,
             between_zone_id = excluded.between_zone_id
         where last_seen.seen_at <= excluded.seen_at",
    )
    .bind(sightings.iter().map(|s| s.epc.clone()).collect::<Vec<_>>())
    .bind(sightings.iter().map(|s| s.zone).collect::<Vec<_>>())
    .bind(sightings.iter().map(|s| s.reader).collect::<Vec<_>>())
    .bind(sightings.iter().map(|s| s.at).collect::<Vec<_>>())
    .bind(sightings.iter().map(|s| s.between).collect::<Vec<_>>())
    .execute(conn)
    .await?;
    Ok(())
}

/// Mark tags gone from where they were last seen: `(epc, zone, at)` of `left` facts. A tag
/// seen again since (in that zone or another) is not marked.
pub async fn left(conn: &mut PgConnection, lefts: &[(String, i64, DateTime<Utc>)]) -> Result<()> {
    if lefts.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "update last_seen ls set left_at = l.at
           from unnest($1::text[], $2::bigint[], $3::timestamptz[]) as l(epc, zone, at)
          where ls.epc = l.epc and ls.zone_id = l.zone and ls.seen_at <= l.at",
    )
    .bind(lefts.iter().map(|l| l.0.as_str()).collect::<Vec<_>>())
    .bind(lefts.iter().map(|l| l.1).collect::<Vec<_>>())
    .bind(lefts.iter().map(|l| l.2).collect::<Vec<_>>())
    .execute(conn)
    .await?;
    Ok(())
}

/// The tags last decided to be in one of `zones` (clearly, not between two) and not gone
/// since: `(epc, zone)`, at most `limit`.
pub async fn present(
    conn: &mut PgConnection,
    zones: &[i64],
    limit: i64,
) -> Result<Vec<(String, i64)>> {
    Ok(sqlx::query_as(
        "select epc, zone_id from last_seen
          where zone_id = any($1) and between_zone_id is null
            and (left_at is null or left_at < seen_at)
          order by seen_at desc limit $2",
    )
    .bind(zones)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}
