//! What a person may read of other departments' business: one rule, used by the API, the
//! pages, the live stream and the CSV exports.
//!
//! Admins, keepers and auditors see everything. A requester sees their own department's
//! paperwork in full, and of an asset's history only what is their department's business:
//! the events of their own department's orders (and their own colleagues' acts) in full,
//! everything else as plain stock movements — no other department's order ids, people or
//! notes.

use crate::auth::{Actor, Role};
use crate::db::events::Event;
use crate::ingest::LiveEvent;

/// How far one person sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    /// Every department's business.
    All,
    /// One department's (a requester's; `None` if they belong to none, which the schema
    /// forbids: then nothing).
    Department(Option<i64>),
}

impl Visibility {
    pub fn of(actor: &Actor) -> Visibility {
        match actor.role {
            Role::Requester => Visibility::Department(actor.department_id),
            Role::Admin | Role::Keeper | Role::Auditor | Role::Finance => Visibility::All,
        }
    }

    /// The department a list is limited to; `None`: every department's. A requester who
    /// belongs to none matches no row.
    pub fn department_filter(self) -> Option<i64> {
        match self {
            Visibility::All => None,
            Visibility::Department(d) => Some(d.unwrap_or(-1)),
        }
    }

    /// Whether a department's business is visible.
    pub fn sees(self, department_id: Option<i64>) -> bool {
        match self {
            Visibility::All => true,
            Visibility::Department(own) => own.is_some() && own == department_id,
        }
    }

    /// One event of a timeline, as this person may read it.
    pub fn event(self, event: Event) -> Event {
        if self.sees(event.department_id) {
            event
        } else {
            event.plain()
        }
    }

    /// A timeline, as this person may read it.
    pub fn timeline(self, events: Vec<Event>) -> Vec<Event> {
        events.into_iter().map(|e| self.event(e)).collect()
    }

    /// One live event, as this person may follow it. Live events do not say whose business
    /// their order is, so a department sees only stock movements, without order or alert.
    pub fn live(self, mut event: LiveEvent) -> Option<LiveEvent> {
        if self == Visibility::All {
            return Some(event);
        }
        match &mut event {
            LiveEvent::Passage {
                outcome,
                order_kind,
                order_id,
                ..
            } => {
                *outcome = "none".into();
                (*order_kind, *order_id) = (None, None);
            }
            LiveEvent::StateChange {
                order_kind,
                order_id,
                ..
            } => (*order_kind, *order_id) = (None, None),
            LiveEvent::Presence { .. } => {}
            LiveEvent::Alert { .. }
            | LiveEvent::StocktakeProgress { .. }
            | LiveEvent::Reader { .. } => return None,
        }
        Some(event)
    }
}
