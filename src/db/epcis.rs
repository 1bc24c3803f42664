//! What the EPCIS export reads: the log's asset events, the gate's passages no lifecycle
//! event stands for, and finished stocktakes' counts, as one list in time order, paged by a
//! keyset cursor. Each part reads a range of its own index (`events_at_idx`,
//! `facts_passed_at_idx`, `stocktakes_finished_idx`).

use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use super::error::Result;
use crate::domain::epcis::Cursor;

/// One entry of the export, before it is an EPCIS event.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Entry {
    pub at: DateTime<Utc>,
    /// 0: the event log, 1: a gate passage, 2: a stocktake count.
    pub source: i16,
    pub id: i64,
    pub key: String,
    /// What it was: a lifecycle action, `passed_out`, `passed_in` or `counted`.
    pub what: String,
    /// The asset's EPC, hex.
    pub epc: String,
    pub read_zone: Option<i64>,
    pub biz_zone: Option<i64>,
}

impl Entry {
    pub fn cursor(&self) -> Cursor {
        Cursor {
            at: self.at,
            source: self.source,
            id: self.id,
            key: self.key.clone(),
        }
    }
}

/// Which entries: every `None` is no filter.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// The entries' words to read (from the mapping, narrowed by the business steps asked).
    pub whats: Vec<String>,
    pub from: Option<DateTime<Utc>>,
    pub before: Option<DateTime<Utc>>,
    /// Assets' EPCs, hex.
    pub epcs: Option<Vec<String>>,
    pub biz_zones: Option<Vec<i64>>,
    pub read_zones: Option<Vec<i64>>,
    /// Only assets this department owns or holds.
    pub department: Option<i64>,
}

/// Up to `limit` entries after `after`, oldest first.
pub async fn entries(
    conn: &mut PgConnection,
    filter: &Filter,
    after: Option<&Cursor>,
    limit: i64,
) -> Result<Vec<Entry>> {
    // Each part: its rows after the cursor in the common order (time, source, id, key), then
    // the filters every part shares, on its own columns.
    let shared = |at: &str, source: i16, id: &str, key: &str| {
        format!(
            "($2::timestamptz is null or {at} >= $2)
             and ($3::timestamptz is null or {at} < $3)
             and ($4::text[] is null or a.epc = any($4))
             and ($5::bigint[] is null or z.biz_zone = any($5))
             and ($6::bigint[] is null or z.read_zone = any($6))
             and ($7::bigint is null or a.owner_department_id = $7 or a.holder_department_id = $7)
             and ($8::timestamptz is null or {at} > $8
                  or ({at} = $8 and ({source} > $9 or ({source} = $9 and ({id} > $10 or ({id} = $10 and {key} > $11))))))"
        )
    };
    let sql = format!(
        "(select e.at, 0::int2 as source, e.id, ''::text as key, e.action as what, a.epc, z.read_zone, z.biz_zone
          from events e
          join assets a on a.id = e.asset_id
          left join facts f on f.key = e.fact_key
          left join gates g on g.id = f.gate_id
          cross join lateral (select
              coalesce((e.details->>'to_zone_id')::bigint,
                       case f.direction when 'out' then g.outside_zone_id when 'in' then g.inside_zone_id end) as read_zone,
              coalesce((e.details->>'to_zone_id')::bigint,
                       case f.direction when 'in' then g.inside_zone_id end) as biz_zone) z
          where e.asset_id is not null and e.action = any($1) and {events}
          order by e.at, e.id limit $12)
         union all
         (select f.at, 1::int2, 0::bigint, f.key, w.what, a.epc, z.read_zone, z.biz_zone
          from facts f
          join assets a on a.id = f.asset_id
          join gates g on g.id = f.gate_id
          cross join lateral (select case f.direction when 'out' then 'passed_out' else 'passed_in' end as what) w
          cross join lateral (select
              case f.direction when 'out' then g.outside_zone_id else g.inside_zone_id end as read_zone,
              case f.direction when 'in' then g.inside_zone_id end as biz_zone) z
          where f.kind = 'passed' and f.asset_id is not null and w.what = any($1)
            and not coalesce((f.details->>'uncertain')::boolean, false)
            and not exists (select 1 from events e where e.fact_key = f.key and e.asset_id is not null)
            and {passages}
          order by f.at, f.key limit $12)
         union all
         (select s.finished_at, 2::int2, s.id, r.epc, 'counted', a.epc, z.read_zone, z.biz_zone
          from stocktakes s
          join stocktake_results r on r.stocktake_id = s.id
          join assets a on a.id = r.asset_id
          cross join lateral (select r.seen_zone_id as read_zone, r.seen_zone_id as biz_zone) z
          where s.status = 'finished' and r.outcome <> 'missing' and r.seen_zone_id is not null
            and 'counted' = any($1) and {counts}
          order by s.finished_at, s.id, r.epc limit $12)
         order by at, source, id, key limit $12",
        events = shared("e.at", 0, "e.id", "''"),
        passages = shared("f.at", 1, "0", "f.key"),
        counts = shared("s.finished_at", 2, "s.id", "r.epc"),
    );
    Ok(sqlx::query_as(&sql)
        .bind(&filter.whats)
        .bind(filter.from)
        .bind(filter.before)
        .bind(&filter.epcs)
        .bind(&filter.biz_zones)
        .bind(&filter.read_zones)
        .bind(filter.department)
        .bind(after.map(|c| c.at))
        .bind(after.map(|c| c.source).unwrap_or(0))
        .bind(after.map(|c| c.id).unwrap_or(0))
        .bind(after.map(|c| c.key.clone()).unwrap_or_default())
        .bind(limit)
        .fetch_all(conn)
        .await?)
}
