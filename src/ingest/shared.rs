//! The live stream across instances: what one instance publishes, every instance on the
//! same database streams.
//!
//! Each instance sends its live events, batched, as PostgreSQL notifications on
//! [`CHANNEL`] (`{"from": INSTANCE, "events": [...]}`, each payload under PostgreSQL's
//! 8,000-byte limit), and listens on the same channel for the others'. The stream is a
//! view, not a record: an event that cannot be sent (the database away, the queue full) is
//! dropped and counted; what happened is in the event log and the facts either way.

use std::sync::atomic::Ordering;
use std::time::Duration;

use serde::Deserialize;
use sqlx::postgres::PgListener;
use tokio::sync::mpsc;

use super::{Ingest, LiveEvent};
use crate::db::instances;

/// The notification channel the instances share.
pub const CHANNEL: &str = "depot_live";
/// A payload stays below this many bytes (PostgreSQL refuses 8,000 and more).
const PAYLOAD_MAX: usize = 7_500;
/// At most this many events wait to be sent.
pub const QUEUE: usize = 4_096;

#[derive(Deserialize)]
struct Note {
    from: String,
    events: Vec<LiveEvent>,
}

/// The payloads carrying `events` from `from`, each under [`PAYLOAD_MAX`] bytes; an event
/// too large to travel alone is left out (none is: the largest, an alert, is under 2 kB).
pub fn payloads(from: &str, events: &[LiveEvent]) -> Vec<String> {
    let head = format!(
        "{{\"from\":{},\"events\":[",
        serde_json::to_string(from).unwrap_or_default()
    );
    let mut out = Vec::new();
    let mut current = head.clone();
    let mut in_current = 0;
    for event in events {
        let Ok(json) = serde_json::to_string(event) else {
            continue;
        };
        if head.len() + json.len() + 2 > PAYLOAD_MAX {
            continue;
        }
        if current.len() + json.len() + 3 > PAYLOAD_MAX {
            current.push_str("]}");
            out.push(std::mem::replace(&mut current, head.clone()));
            in_current = 0;
        }
        if in_current > 0 {
            current.push(',');
        }
        current.push_str(&json);
        in_current += 1;
    }
    if in_current > 0 {
        current.push_str("]}");
        out.push(current);
    }
    out
}

/// Sends what this instance publishes, batched: one statement for whatever has queued.
pub async fn send(ingest: Ingest, mut queue: mpsc::Receiver<LiveEvent>) {
    let name = ingest.inner.options.instance.name.clone();
    while let Some(first) = queue.recv().await {
        let mut batch = vec![first];
        while batch.len() < 1_000 {
            match queue.try_recv() {
                Ok(event) => batch.push(event),
                Err(_) => break,
            }
        }
        let notes = payloads(&name, &batch);
        let sent = async {
            let mut conn = ingest.inner.pool.acquire().await?;
            instances::notify(&mut conn, CHANNEL, &notes).await
        };
        if let Err(e) = sent.await {
            ingest
                .inner
                .stats
                .live_dropped
                .fetch_add(batch.len() as u64, Ordering::Relaxed);
            tracing::debug!(error = %e, events = batch.len(), "live events not shared with the other instances");
        }
    }
}

/// Listens for the other instances' events and publishes them here, reconnecting with a
/// backoff when the database goes away.
pub async fn listen(ingest: Ingest) {
    let me = ingest.inner.options.instance.name.clone();
    // A pool of its own, one connection: listening holds it for good, and the service's
    // pool keeps every one of its connections for requests.
    let own = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(5))
        .connect_lazy_with((*ingest.inner.pool.connect_options()).clone());
    let mut delay = Duration::from_millis(250);
    loop {
        let listener = async {
            let mut l = PgListener::connect_with(&own).await?;
            l.listen(CHANNEL).await?;
            Ok::<_, sqlx::Error>(l)
        };
        let mut listener = match listener.await {
            Ok(l) => l,
            Err(e) => {
                tracing::debug!(error = %e, "cannot listen to the other instances' events yet");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(5));
                continue;
            }
        };
        delay = Duration::from_millis(250);
        // `try_recv` answers `None` when the connection was lost: listen again.
        while let Ok(Some(notification)) = listener.try_recv().await {
            match serde_json::from_str::<Note>(notification.payload()) {
                Ok(note) if note.from != me => {
                    note.events.into_iter().for_each(|e| ingest.publish_here(e));
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::debug!(error = %e, "a live event from another instance that is not one")
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_stay_under_the_limit_and_keep_every_event() {
        let events: Vec<LiveEvent> = (0..500)
            .map(|i| LiveEvent::Reader {
                reader_id: i,
                event: "connected to a reader whose name is rather long ".repeat(3),
                at: chrono::Utc::now(),
            })
            .collect();
        let notes = payloads("depot-a", &events);
        assert!(notes.len() > 1);
        let mut back = Vec::new();
        for n in &notes {
            assert!(n.len() < PAYLOAD_MAX, "{}", n.len());
            let note: Note = serde_json::from_str(n).unwrap();
            assert_eq!(note.from, "depot-a");
            back.extend(note.events);
        }
        assert_eq!(back.len(), 500);
        assert!(matches!(
            back[499],
            LiveEvent::Reader { reader_id: 499, .. }
        ));
        assert!(payloads("depot-a", &[]).is_empty());
    }
}
