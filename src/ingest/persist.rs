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
use crate::db::facts::{self, FactRow as Row, Sighting};
use crate::db::{self, assets, loans, orders, transfers};
use crate::domain::lifecycle::AssetState;
use crate::engine::{Direction, Fact};

pub fn time(us: u64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(us as i64).unwrap_or_default()
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
            uncertain,
        } => Row {
            gate: Some(gate.0.into()),
            direction: Some(word(*direction)),
            details: serde_json::json!({ "confidence": confidence, "batch": batch, "uncertain": uncertain }),
            ..base("passed", epc, *at)
        },
        Fact::Between {
            epc,
            zone,
            other,
            at,
        } => Row {
            zone: Some(zone.0.into()),
            details: serde_json::json!({ "other_zone_id": other.0 }),
            ..base("between", epc, *at)
        },
        Fact::Settled { epc, zone, at } => Row {
            zone: Some(zone.0.into()),
            ..base("settled", epc, *at)
        },
        Fact::BatchClosed { .. } => return None,
    })
}

/// A stored fact's kind, as `facts.kind` has it; `None` for what is not stored.
pub fn kind(fact: &Fact) -> Option<&'static str> {
    Some(match fact {
        Fact::Arrived { .. } => "arrived",
        Fact::Left { .. } => "left",
        Fact::Moved { .. } => "moved",
        Fact::Passed { .. } => "passed",
        Fact::Between { .. } => "between",
        Fact::Settled { .. } => "settled",
        Fact::BatchClosed { .. } => return None,
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
pub async fn persist(pool: &PgPool, site: &Site, batch: &[Fact]) -> db::Result<Vec<LiveEvent>> {
    let rows: Vec<Row> = batch.iter().filter_map(row).collect();
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let mut tx = pool.begin().await?;
    // Multi-row insert; the keys that come back are the facts not seen before.
    let new = facts::store(&mut tx, &rows).await?;
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
                uncertain,
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
                    uncertain: *uncertain,
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

    // Where each tag was last seen: the newest decision per tag in this batch (arrival,
    // move, between two zones, settled), so the register holds the decided location.
    let mut last: HashMap<String, (i64, Option<i64>, DateTime<Utc>)> = HashMap::new();
    for r in rows.iter().filter(|r| {
        matches!(r.kind, "arrived" | "moved" | "between" | "settled") && new.contains_key(&r.key)
    }) {
        let zone = r.zone.expect("zone facts have a zone");
        let between = r.details.get("other_zone_id").and_then(|v| v.as_i64());
        let entry = last.entry(r.epc.clone()).or_insert((zone, between, r.at));
        if r.at >= entry.2 {
            *entry = (zone, between, r.at);
        }
    }
    if !last.is_empty() {
        let sightings: Vec<Sighting> = last
            .into_iter()
            .map(|(epc, (zone, between, at))| Sighting {
                epc,
                zone,
                between,
                reader: site.only_reader_of(zone),
                at,
            })
            .collect();
        facts::seen(&mut tx, &sightings).await?;
    }
    // Gone from where it was last seen: not restored there by the next engine to start.
    let lefts: Vec<(String, i64, DateTime<Utc>)> = rows
        .iter()
        .filter(|r| r.kind == "left" && new.contains_key(&r.key))
        .filter_map(|r| Some((r.epc.clone(), r.zone?, r.at)))
        .collect();
    facts::left(&mut tx, &lefts).await?;
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
    uncertain: bool,
}

/// What a passage means for the lifecycle. Order operations run in a savepoint: one that
/// fails (the asset moved on meanwhile) becomes an alert instead of losing the batch.
async fn reconcile(
    tx: &mut PgConnection,
    site: &Site,
    p: &Passage<'_>,
    live: &mut Vec<LiveEvent>,
) -> db::Result<()> {
    let gate_name = site.gate_name(p.gate_id);
    let mut outcome = "none";
    let mut order: Option<(OrderKind, i64)> = None;
    let mut alert: Option<(AlertKind, String)> = None;
    // The order confirming an uncertain passage would act on.
    let mut candidate: Option<(OrderKind, i64)> = None;

    match p.asset_id {
        Some(asset_id) if p.uncertain => {
            let (question, order) = ask(tx, site, p, asset_id).await?;
            alert = Some((AlertKind::UncertainPassage, question));
            candidate = order;
        }
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
            let asset = assets::get(tx, asset_id).await?;
            let (state, name) = (asset.state, asset.name);
            let ctx = Context {
                actor: None,
                reason: format!("gate {gate_name}"),
                order: None,
                details: serde_json::json!({ "gate_id": p.gate_id, "gate": gate_name, "direction": word(p.direction),
                                             "confidence": p.confidence, "batch": p.batch }),
                fact_key: Some(p.key.to_owned()),
            };
            let plan = plan(tx, asset_id, state, p.direction).await?;
            match plan {
                Plan::Issue(..) | Plan::Return(_) => {
                    let mut sp = tx.begin().await?;
                    match carry_out(&mut sp, plan, asset_id, site.inside_zone(p.gate_id), &ctx)
                        .await
                    {
                        Ok(()) => {
                            sp.commit().await?;
                            outcome = plan.outcome();
                            order = plan.order();
                        }
                        Err(e) => {
                            sp.rollback().await?;
                            match plan {
                                Plan::Issue(kind, id) => {
                                    alert = Some((AlertKind::ExitWithoutOrder, format!("asset {asset_id} ({name}) left through gate {gate_name} but could not be issued on {} {id}: {e}", kind.as_str())));
                                }
                                _ => {
                                    tracing::warn!(asset_id, ?plan, error = %e, "a gate return could not be recorded");
                                }
                            }
                        }
                    }
                }
                Plan::NoOrder => {
                    alert = Some((
                        AlertKind::ExitWithoutOrder,
                        left_without_order(asset_id, &name, gate_name, state),
                    ));
                }
                Plan::AlreadyOut | Plan::Nothing => {}
            }
            if let Some((kind, id)) = order {
                let to = assets::get(tx, asset_id).await?.state.as_str().to_owned();
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
        outcome = if kind == AlertKind::UncertainPassage {
            "uncertain"
        } else {
            "alert"
        };
        if let Some(a) = alerts::raise(
            tx,
            kind,
            p.key,
            &p.epc,
            p.asset_id,
            Some(p.gate_id),
            p.at,
            &message,
            alerts::PassageDetails {
                direction: Some(word(p.direction)),
                confidence: Some(p.confidence),
                order: candidate,
            },
        )
        .await?
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

/// The question an uncertain passage puts to the keeper: what the gate thinks it saw, how
/// sure it is, and what confirming it would do; and the order confirming would act on.
async fn ask(
    tx: &mut PgConnection,
    site: &Site,
    p: &Passage<'_>,
    asset_id: i64,
) -> db::Result<(String, Option<(OrderKind, i64)>)> {
    let asset = assets::get(tx, asset_id).await?;
    let (state, name) = (asset.state, asset.name);
    let gate = site.gate_name(p.gate_id);
    let plan = plan(tx, asset_id, state, p.direction).await?;
    let what = match plan {
        Plan::Issue(kind, id) => format!("confirm to issue it on {} {id}", kind.as_str()),
        Plan::Return(loan) => format!("confirm to return it from loan {loan}, pending inspection"),
        Plan::NoOrder => format!("confirm to record that it left with no order (it is {state})"),
        Plan::AlreadyOut | Plan::Nothing => format!("confirming changes nothing (it is {state})"),
    };
    let question = format!(
        "asset {asset_id} ({name}) may have passed gate {gate} {} (confidence {:.2}): {what}, or dismiss",
        word(p.direction),
        p.confidence
    );
    Ok((question, plan.order()))
}

/// What a sure passage of a registered asset does to the lifecycle, judged against the
/// asset's state now. The gate acts on it at once; a keeper's confirmation of an uncertain
/// passage acts on it the same way (`app::readers::confirm_passage`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    /// Out, reserved on an approved loan or transfer not yet handed over: issue it there.
    Issue(OrderKind, i64),
    /// In, out on this loan: return it, pending inspection.
    Return(i64),
    /// Out, already out on its order (a second pass of the same trolley, say): nothing.
    AlreadyOut,
    /// Out with no order: an exit-without-order alert.
    NoOrder,
    /// In, and out on no loan: nothing.
    Nothing,
}

impl Plan {
    /// The order it acts on, if any.
    pub fn order(self) -> Option<(OrderKind, i64)> {
        match self {
            Plan::Issue(kind, id) => Some((kind, id)),
            Plan::Return(loan) => Some((OrderKind::Loan, loan)),
            Plan::AlreadyOut | Plan::NoOrder | Plan::Nothing => None,
        }
    }

    /// The passage's outcome, as the gate view shows it, once carried out.
    pub fn outcome(self) -> &'static str {
        match self {
            Plan::Issue(..) => "issued",
            Plan::Return(_) => "returned",
            Plan::NoOrder => "alert",
            Plan::AlreadyOut | Plan::Nothing => "none",
        }
    }
}

/// What a passage of `asset_id` (now in `state`) through a gate in `direction` does.
pub async fn plan(
    tx: &mut PgConnection,
    asset_id: i64,
    state: AssetState,
    direction: Direction,
) -> db::Result<Plan> {
    Ok(match direction {
        Direction::Out => match orders::waiting_order(tx, asset_id).await? {
            Some((kind, id)) => Plan::Issue(kind, id),
            None if matches!(state, AssetState::OnLoan | AssetState::Allocated) => Plan::AlreadyOut,
            None => Plan::NoOrder,
        },
        Direction::In => match orders::out_on_loan(tx, asset_id).await? {
            Some(loan) if state == AssetState::OnLoan => Plan::Return(loan),
            _ => Plan::Nothing,
        },
    })
}

/// Issue or return as `plan` says (the other plans change no state); `inside_zone`: where a
/// returned asset is put, the gate's inside.
pub async fn carry_out(
    tx: &mut PgConnection,
    plan: Plan,
    asset_id: i64,
    inside_zone: i64,
    ctx: &Context,
) -> db::Result<()> {
    match plan {
        Plan::Issue(OrderKind::Loan, id) => {
            loans::issue(tx, id, Some(&[asset_id]), ctx).await?;
        }
        Plan::Issue(_, id) => {
            transfers::issue(tx, id, Some(&[asset_id]), ctx).await?;
        }
        Plan::Return(loan) => {
            loans::return_at_gate(tx, loan, asset_id, inside_zone, ctx).await?;
        }
        Plan::AlreadyOut | Plan::NoOrder | Plan::Nothing => {}
    }
    Ok(())
}

/// The message of an exit-without-order alert.
pub fn left_without_order(asset_id: i64, name: &str, gate: &str, state: AssetState) -> String {
    format!("asset {asset_id} ({name}) left through gate {gate} with no order: it is {state}")
}
