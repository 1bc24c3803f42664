//! Facts into the database: one transaction per batch, idempotent by each fact's stable key.
//!
//! A fact already stored (a replay, a retry after a failed commit) is skipped whole, so the
//! lifecycle events it caused are never doubled. Gate passages are reconciled against open
//! orders here: an Out passage of an asset reserved on an approved loan or transfer issues
//! it; an In passage of an asset on loan returns it, pending inspection; an Out passage with
//! no order raises an alert; an unknown tag raises an alert.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::{Acquire, PgConnection, PgPool};

use super::live::LiveEvent;
use super::Site;
use crate::db::alerts::{self, AlertKind};
use crate::db::events::{Context, OrderKind};
use crate::db::{loans, transfers};
use crate::domain::lifecycle::AssetState;
use crate::engine::{Direction, Fact};

pub fn time(us: u64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(us as i64).unwrap_or_default()
}

struct Row {
    key: String,
    kind: &'static str,
    epc: String,
    zone: Option<i64>,
    gate: Option<i64>,
    direction: Option<&'static str>,
    at: DateTime<Utc>,
    details: serde_json::Value,
}

fn row(fact: &Fact) -> Option<Row> {
    let base = |kind, epc: &depot_readers::Epc, at: u64| Row {
        key: fact.id(),
        kind,
        epc: epc.to_hex(),
        zone: None,
        gate: None,
        direction: None,
        at: time(at),
        details: serde_json::json!({}),
    };
    Some(match fact {
        Fact::Arrived { epc, zone, at } => Row {
            zone: Some(zone.0.into()),
            ..base("arrived", epc, *at)
        },
        Fact::Left { epc, zone, at } => Row {
            zone: Some(zone.0.into()),
            ..base("left", epc, *at)
        },
        Fact::Moved { epc, from, to, at } => Row {
            zone: Some(to.0.into()),
            details: serde_json::json!({ "from_zone_id": from.0 }),
            ..base("moved", epc, *at)
        },
        Fact::Passed {
            epc,
            gate,
            direction,
            at,
            confidence,
            batch,
        } => Row {
            gate: Some(gate.0.into()),
            direction: Some(word(*direction)),
            details: serde_json::json!({ "confidence": confidence, "batch": batch }),
            ..base("passed", epc, *at)
        },
        Fact::Between { .. } | Fact::Settled { .. } | Fact::BatchClosed { .. } => return None,
    })
}

fn word(d: Direction) -> &'static str {
    match d {
        Direction::In => "in",
        Direction::Out => "out",
    }
}

/// Store a batch of facts and act on the new ones. Returns what to tell live listeners;
/// nothing is published unless the transaction committed.
pub async fn persist(
    pool: &PgPool,
    site: &Site,
    batch: &[Fact],
) -> Result<Vec<LiveEvent>, sqlx::Error> {
    let rows: Vec<Row> = batch.iter().filter_map(row).collect();
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let mut tx = pool.begin().await?;
    // Multi-row insert; the keys that come back are the facts not seen before.
    let new: Vec<(String, Option<i64>)> = sqlx::query_as(
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
    .fetch_all(&mut *tx)
    .await?;
    let new: HashMap<String, Option<i64>> = new.into_iter().collect();
    let mut live = Vec::new();

    for fact in batch {
        let key = fact.id();
        let Some(&asset_id) = new.get(&key) else {
            continue;
        };
        match fact {
            Fact::Passed {
                epc,
                gate,
                direction,
                at,
                confidence,
                batch,
            } => {
                let ctx = Passage {
                    key: &key,
                    epc: epc.to_hex(),
                    asset_id,
                    gate_id: gate.0.into(),
                    direction: *direction,
                    at: time(*at),
                    batch: *batch,
                    confidence: *confidence,
                };
                reconcile(&mut tx, site, &ctx, &mut live).await?;
            }
            Fact::Arrived { epc, zone, at } | Fact::Left { epc, zone, at } => {
                live.push(LiveEvent::Presence {
                    epc: epc.to_hex(),
                    fact: if matches!(fact, Fact::Arrived { .. }) {
                        "arrived"
                    } else {
                        "left"
                    }
                    .into(),
                    zone_id: zone.0.into(),
                    from_zone_id: None,
                    at: time(*at),
                })
            }
            Fact::Moved { epc, from, to, at } => live.push(LiveEvent::Presence {
                epc: epc.to_hex(),
                fact: "moved".into(),
                zone_id: to.0.into(),
                from_zone_id: Some(from.0.into()),
                at: time(*at),
            }),
            Fact::Between { .. } | Fact::Settled { .. } | Fact::BatchClosed { .. } => {}
        }
    }

    // Where each tag was last seen: the newest arrival or move per tag in this batch.
    let mut last: HashMap<String, (i64, DateTime<Utc>)> = HashMap::new();
    for r in rows
        .iter()
        .filter(|r| matches!(r.kind, "arrived" | "moved") && new.contains_key(&r.key))
    {
        let zone = r.zone.expect("zone facts have a zone");
        let entry = last.entry(r.epc.clone()).or_insert((zone, r.at));
        if r.at >= entry.1 {
            *entry = (zone, r.at);
        }
    }
    if !last.is_empty() {
        let epcs: Vec<String> = last.keys().cloned().collect();
        let zones: Vec<i64> = epcs.iter().map(|e| last[e].0).collect();
        let ats: Vec<DateTime<Utc>> = epcs.iter().map(|e| last[e].1).collect();
        let readers: Vec<Option<i64>> = zones.iter().map(|z| site.only_reader_of(*z)).collect();
        sqlx::query(
            "insert into last_seen (epc, asset_id, zone_id, reader_id, seen_at)
             select s.epc, a.id, s.zone, s.reader, s.at
             from unnest($1::text[], $2::bigint[], $3::bigint[], $4::timestamptz[]) as s(epc, zone, reader, at)
             left join assets a on a.epc = s.epc
             on conflict (epc) do update set zone_id = excluded.zone_id, reader_id = excluded.reader_id,
                 seen_at = excluded.seen_at, asset_id = excluded.asset_id
             where last_seen.seen_at <= excluded.seen_at",
        )
        .bind(&epcs)
        .bind(&zones)
        .bind(&readers)
        .bind(&ats)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(live)
}

struct Passage<'a> {
    key: &'a str,
    epc: String,
    asset_id: Option<i64>,
    gate_id: i64,
    direction: Direction,
    at: DateTime<Utc>,
    batch: u32,
    confidence: f32,
}

/// What a passage means for the lifecycle. Order operations run in a savepoint: one that
/// fails (the asset moved on meanwhile) becomes an alert instead of losing the batch.
async fn reconcile(
    tx: &mut PgConnection,
    site: &Site,
    p: &Passage<'_>,
    live: &mut Vec<LiveEvent>,
) -> Result<(), sqlx::Error> {
    let gate_name = site.gate_name(p.gate_id);
    let mut outcome = "none";
    let mut order: Option<(OrderKind, i64)> = None;
    let mut alert: Option<(AlertKind, String)> = None;

    match p.asset_id {
        None => {
            alert = Some((
                AlertKind::UnknownTag,
                format!(
                    "tag {} passed gate {gate_name} ({}) and is on no asset of the register",
                    p.epc,
                    word(p.direction)
                ),
            ));
        }
        Some(asset_id) => {
            let (state, name): (AssetState, String) =
                sqlx::query_as("select state, name from assets where id = $1")
                    .bind(asset_id)
                    .fetch_one(&mut *tx)
                    .await?;
            let ctx = Context {
                actor: None,
                reason: format!("gate {gate_name}"),
                order: None,
                details: serde_json::json!({ "gate_id": p.gate_id, "gate": gate_name, "direction": word(p.direction),
                                             "confidence": p.confidence, "batch": p.batch }),
                fact_key: Some(p.key.to_owned()),
            };
            match p.direction {
                Direction::Out => {
                    let open: Option<(OrderKind, i64)> = sqlx::query_as(
                        "select r.order_kind, r.order_id from reservations r
                         left join loans l on r.order_kind = 'loan' and l.id = r.order_id
                         left join transfers t on r.order_kind = 'transfer' and t.id = r.order_id
                         where r.asset_id = $1 and r.released_at is null and r.issued_at is null
                           and (l.status in ('approved', 'partially_issued') or t.status = 'approved')
                         limit 1",
                    )
                    .bind(asset_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                    match open {
                        Some((kind, id)) => {
                            let mut sp = tx.begin().await?;
                            let done = match kind {
                                OrderKind::Loan => {
                                    loans::issue(&mut sp, id, Some(&[asset_id]), &ctx)
                                        .await
                                        .map(|_| ())
                                }
                                _ => transfers::issue(&mut sp, id, Some(&[asset_id]), &ctx)
                                    .await
                                    .map(|_| ()),
                            };
                            match done {
                                Ok(()) => {
                                    sp.commit().await?;
                                    outcome = "issued";
                                    order = Some((kind, id));
                                }
                                Err(e) => {
                                    sp.rollback().await?;
                                    alert = Some((AlertKind::ExitWithoutOrder, format!("asset {asset_id} ({name}) left through gate {gate_name} but could not be issued on {} {id}: {e}", kind.as_str())));
                                }
                            }
                        }
                        // Already out on its order: a second pass of the same trolley, say.
                        None if matches!(state, AssetState::OnLoan | AssetState::Allocated) => {}
                        None => {
                            alert = Some((AlertKind::ExitWithoutOrder, format!("asset {asset_id} ({name}) left through gate {gate_name} with no order: it is {state}")));
                        }
                    }
                }
                Direction::In => {
                    let out_on: Option<i64> = sqlx::query_scalar(
                        "select order_id from reservations where asset_id = $1 and order_kind = 'loan'
                         and issued_at is not null and returned_at is null limit 1",
                    )
                    .bind(asset_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                    if let (Some(loan), AssetState::OnLoan) = (out_on, state) {
                        let mut sp = tx.begin().await?;
                        match loans::return_at_gate(
                            &mut sp,
                            loan,
                            asset_id,
                            site.inside_zone(p.gate_id),
                            &ctx,
                        )
                        .await
                        {
                            Ok(_) => {
                                sp.commit().await?;
                                outcome = "returned";
                                order = Some((OrderKind::Loan, loan));
                            }
                            Err(e) => {
                                sp.rollback().await?;
                                tracing::warn!(asset_id, loan, error = %e, "a gate return could not be recorded");
                            }
                        }
                    }
                }
            }
            if let Some((kind, id)) = order {
                let to: String = sqlx::query_scalar("select state::text from assets where id = $1")
                    .bind(asset_id)
                    .fetch_one(&mut *tx)
                    .await?;
                live.push(LiveEvent::StateChange {
                    asset_id,
                    epc: p.epc.clone(),
                    from: state.as_str().into(),
                    to,
                    order_kind: Some(kind),
                    order_id: Some(id),
                    at: p.at,
                });
            }
        }
    }
    if let Some((kind, message)) = alert {
        outcome = "alert";
        if let Some(a) = alerts::raise(
            tx,
            kind,
            p.key,
            &p.epc,
            p.asset_id,
            Some(p.gate_id),
            p.at,
            &message,
        )
        .await
        .map_err(into_sqlx)?
        {
            live.push(LiveEvent::Alert { alert: Box::new(a) });
        }
    }
    live.push(LiveEvent::Passage {
        fact_key: p.key.to_owned(),
        epc: p.epc.clone(),
        asset_id: p.asset_id,
        gate_id: p.gate_id,
        gate: gate_name.to_owned(),
        direction: word(p.direction).into(),
        at: p.at,
        batch: p.batch,
        confidence: p.confidence,
        outcome: outcome.into(),
        order_kind: order.map(|(k, _)| k),
        order_id: order.map(|(_, id)| id),
    });
    Ok(())
}

fn into_sqlx(e: crate::db::Error) -> sqlx::Error {
    match e {
        crate::db::Error::Sqlx(e) => e,
        other => sqlx::Error::Protocol(other.to_string()),
    }
}
