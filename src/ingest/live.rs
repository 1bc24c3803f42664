//! What the live stream (`GET /api/events/stream`) carries.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::alerts::Alert;
use crate::db::events::OrderKind;

/// One live event. Serialised as JSON with a `type` tag; the SSE event name is the same.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LiveEvent {
    /// A tag went through a gate, and what the depot did about it.
    Passage {
        fact_key: String,
        epc: String,
        asset_id: Option<i64>,
        gate_id: i64,
        gate: String,
        /// `in` or `out`
        direction: String,
        at: DateTime<Utc>,
        /// Passages of one trolley or pallet share a batch number.
        batch: u32,
        confidence: f32,
        /// issued, returned, alert, none
        outcome: String,
        order_kind: Option<OrderKind>,
        order_id: Option<i64>,
    },
    Alert {
        #[schema(value_type = Object)]
        alert: Box<Alert>,
    },
    /// An asset's state changed because of a reader.
    StateChange {
        asset_id: i64,
        epc: String,
        from: String,
        to: String,
        order_kind: Option<OrderKind>,
        order_id: Option<i64>,
        at: DateTime<Utc>,
    },
    /// A tag arrived in, left or moved between zones.
    Presence {
        epc: String,
        /// arrived, left or moved
        fact: String,
        zone_id: i64,
        from_zone_id: Option<i64>,
        at: DateTime<Utc>,
    },
    StocktakeProgress {
        stocktake_id: i64,
        expected: u32,
        found: u32,
        misplaced: u32,
        missing: u32,
        unexpected: u32,
    },
    /// A reader connected, disconnected, or reported a problem.
    Reader {
        reader_id: i64,
        event: String,
        at: DateTime<Utc>,
    },
}

/// `?gate=&zone=&order=loan:7` on the stream.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    pub gate: Option<i64>,
    pub zone: Option<i64>,
    pub order: Option<(OrderKind, i64)>,
}

impl Filter {
    pub fn accepts(&self, event: &LiveEvent) -> bool {
        let gate_ok = |g: Option<i64>| self.gate.is_none() || self.gate == g;
        let zone_ok = |z: &[Option<i64>]| self.zone.is_none() || z.contains(&self.zone);
        let order_ok = |o: Option<(OrderKind, i64)>| self.order.is_none() || self.order == o;
        match event {
            LiveEvent::Passage {
                gate_id,
                order_kind,
                order_id,
                ..
            } => {
                gate_ok(Some(*gate_id))
                    && self.zone.is_none()
                    && order_ok(order_kind.zip(*order_id))
            }
            LiveEvent::Alert { alert } => {
                gate_ok(alert.gate_id) && self.zone.is_none() && self.order.is_none()
            }
            LiveEvent::StateChange {
                order_kind,
                order_id,
                ..
            } => self.gate.is_none() && self.zone.is_none() && order_ok(order_kind.zip(*order_id)),
            LiveEvent::Presence {
                zone_id,
                from_zone_id,
                ..
            } => {
                self.gate.is_none()
                    && self.order.is_none()
                    && zone_ok(&[Some(*zone_id), *from_zone_id])
            }
            LiveEvent::StocktakeProgress { .. } | LiveEvent::Reader { .. } => {
                self.gate.is_none() && self.zone.is_none() && self.order.is_none()
            }
        }
    }

    /// Parse `loan:7`, `transfer:3`, ….
    pub fn parse_order(text: &str) -> Option<(OrderKind, i64)> {
        let (kind, id) = text.split_once(':')?;
        let kind = match kind {
            "intake" => OrderKind::Intake,
            "loan" => OrderKind::Loan,
            "transfer" => OrderKind::Transfer,
            "disposal" => OrderKind::Disposal,
            "compensation" => OrderKind::Compensation,
            _ => return None,
        };
        // Digits only, as the API's document says (`parse` would take a sign or any
        // number of leading zeros).
        if id.is_empty() || id.len() > 18 || !id.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some((kind, id.parse().ok()?))
    }
}

impl LiveEvent {
    pub fn name(&self) -> &'static str {
        match self {
            LiveEvent::Passage { .. } => "passage",
            LiveEvent::Alert { .. } => "alert",
            LiveEvent::StateChange { .. } => "state_change",
            LiveEvent::Presence { .. } => "presence",
            LiveEvent::StocktakeProgress { .. } => "stocktake_progress",
            LiveEvent::Reader { .. } => "reader",
        }
    }
}
