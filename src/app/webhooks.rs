//! Webhooks: admins register URLs with the event actions they want; every such event is put
//! in the outbox in its own transaction (`webhook_outbox`, in the schema), and the deliverer
//! ([`run`], a [`round`] every [`EVERY`]) posts each as JSON, signed with HMAC-SHA256 over
//! the timestamp and the body, tries again with backoff when the receiver is away or
//! answers other than 2xx, and gives up after [`ATTEMPTS`] (a dead letter an admin may
//! replay).
//!
//! The request: `POST` with `Content-Type: application/json`, `X-Depot-Event` (the
//! action), `X-Depot-Delivery` (its id: a receiver may see one twice, after a replay or a
//! lost answer), `X-Depot-Timestamp` (Unix seconds) and `X-Depot-Signature:
//! sha256=HEX(HMAC-SHA256(secret, timestamp + "." + body))`. The body:
//! `{"delivery": id, "event": {…}}`, the event as `GET /api/assets/{id}/events` shows it.
//! URLs are `http://` (no TLS stack here, as for e-mail): a receiver elsewhere is reached
//! through a TLS-terminating proxy.

use std::time::Duration;

use axum::body::Body;
use axum::http::{header, Method, Request, Uri};
use hmac::{Hmac, Mac};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use utoipa::ToSchema;

use super::policy::{authorize, Target};
use super::{App, Error, Op, Page, Paging, Result};
use crate::auth::Actor;
use crate::db::events;
use crate::db::webhooks::{self, Delivery, Webhook};
use crate::domain::bounds::Text;

/// How often the deliverer looks for what is due.
pub const EVERY: Duration = Duration::from_secs(2);
/// Attempts before a delivery is given up.
pub const ATTEMPTS: i32 = 8;
/// Deliveries sent per round, one after another.
pub const PER_ROUND: i64 = 100;
/// How long one delivery may take: connecting, sending, the receiver's answer.
pub const TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWebhook {
    /// `http://host[:port]/path`.
    #[schema(value_type = String, max_length = 500, pattern = "^http://[A-Za-z0-9.-]+(:[1-9][0-9]{0,3})?(/[A-Za-z0-9._~/-]*)?$")]
    pub url: Text,
    /// Event actions to send (`issue`, `return`, `approve`, `arrive`, …); none: every event.
    #[serde(default)]
    #[schema(value_type = Vec<crate::http::shapes::EventAction>)]
    pub actions: Vec<Text>,
}

/// A webhook just registered, with its secret: shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct Registered {
    #[serde(flatten)]
    pub webhook: Webhook,
    /// The HMAC-SHA256 key signatures are made with (hex).
    pub secret: String,
}

/// Check a webhook URL: `http://`, a host, at most 2,000 characters.
pub fn check_url(url: &str) -> Result<Uri> {
    if url.len() > 2000 {
        return Err(Error::Invalid("url: at most 2000 characters".into()));
    }
    let uri: Uri = url
        .parse()
        .map_err(|_| Error::Invalid(format!("url: {url:?} is not a URL")))?;
    match (uri.scheme_str(), uri.host()) {
        (Some("http"), Some(host)) if !host.is_empty() => Ok(uri),
        (Some("https"), _) => Err(Error::Invalid(
            "url: https is not spoken here; give an http:// address (a TLS-terminating proxy reaches https receivers)".into(),
        )),
        _ => Err(Error::Invalid(format!(
            "url: {url:?} is not an http:// address with a host"
        ))),
    }
}

pub async fn create(app: &App, actor: &Actor, new: NewWebhook) -> Result<Registered> {
    // Who may, before what: a refusal says nothing about the input.
    authorize(actor, Op::CreateWebhook, Target::Nothing)?;
    check_url(&new.url)?;
    if new.actions.len() > 100 {
        return Err(Error::Invalid("actions: at most 100".into()));
    }
    let mut actions = Vec::new();
    for a in &new.actions {
        let ok = !a.is_empty()
            && a.len() <= 64
            && a.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
        if !ok {
            return Err(Error::Invalid(format!(
                "actions: {:?} is not an event action (lower-case letters and _)",
                a.as_str()
            )));
        }
        actions.push(a.to_string());
    }
    let mut key = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut key);
    let secret = crate::domain::epc::hex_upper(&key).to_lowercase();
    let webhook = app
        .change(actor, Op::CreateWebhook, async |tx| {
            webhooks::create(tx, &new.url, &secret, &actions, actor.id).await
        })
        .await?;
    Ok(Registered { webhook, secret })
}

pub async fn list(app: &App, actor: &Actor) -> Result<Vec<Webhook>> {
    app.read(actor, Op::ListWebhooks, async |c| webhooks::list(c).await)
        .await
}

pub async fn delete(app: &App, actor: &Actor, id: i64) -> Result<()> {
    app.change(actor, Op::DeleteWebhook, async |tx| {
        webhooks::delete(tx, id).await
    })
    .await
}

/// Every delivery of a webhook, newest first, as they come: the deliveries' export.
pub async fn delivery_export(app: &App, actor: &Actor, id: i64) -> Result<super::Rows<Delivery>> {
    app.read(actor, Op::ListWebhookDeliveries, async |c| {
        webhooks::get(c, id).await
    })
    .await?;
    app.rows(
        actor,
        Op::ListWebhookDeliveries,
        id,
        webhooks::delivery_rows,
    )
    .await
}

/// A webhook's deliveries, newest first, a page at a time.
pub async fn deliveries(
    app: &App,
    actor: &Actor,
    id: i64,
    paging: Paging,
) -> Result<Page<Delivery>> {
    let window = paging.window();
    let found = app
        .read(actor, Op::ListWebhookDeliveries, async |c| {
            webhooks::get(c, id).await?;
            webhooks::deliveries(c, id, window).await
        })
        .await?;
    Ok(Page::new(window, found))
}

/// Send a delivery again at the next round (a dead letter, or one already delivered).
pub async fn replay(app: &App, actor: &Actor, id: i64) -> Result<Delivery> {
    app.change(actor, Op::ReplayWebhookDelivery, async |tx| {
        webhooks::replay(tx, id).await
    })
    .await
}

/// The signature of `body` sent at `timestamp`: `sha256=` and the HMAC-SHA256 in hex.
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    format!(
        "sha256={}",
        crate::domain::epc::hex_upper(&digest).to_lowercase()
    )
}

/// How long before trying a delivery again after `attempts` tries: 10 s, doubling, at most
/// an hour.
pub fn retry_after(attempts: i32) -> Duration {
    let doublings = attempts.clamp(1, 10) - 1;
    Duration::from_secs((10u64 << doublings).min(3_600))
}

/// What one round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    pub delivered: usize,
    pub failed: usize,
    pub dead: usize,
}

/// Send what is due, at most [`PER_ROUND`], one after another.
pub async fn round(app: &App) -> Result<Round> {
    let lease = (TIMEOUT * 2 * PER_ROUND as u32).as_secs_f64() + 60.0;
    let mut conn = app.pool.acquire().await?;
    let due = webhooks::claim(&mut conn, PER_ROUND, lease).await?;
    let mut done = Round::default();
    if due.is_empty() {
        return Ok(done);
    }
    let ids: Vec<i64> = due.iter().map(|d| d.event_id).collect();
    let found = events::by_ids(&mut conn, &ids).await?;
    drop(conn);
    for d in due {
        let Some(event) = found.iter().find(|e| e.id == d.event_id) else {
            continue;
        };
        let body = serde_json::to_vec(&serde_json::json!({"delivery": d.id, "event": event}))
            .map_err(|e| Error::Internal(e.into()))?;
        let outcome = post(&d.url, &d.secret, d.id, &event.action, body).await;
        let mut conn = app.pool.acquire().await?;
        match outcome {
            Ok(status) if (200..300).contains(&status) => {
                webhooks::delivered(&mut conn, d.id, i32::from(status)).await?;
                done.delivered += 1;
            }
            failure => {
                let (status, error) = match failure {
                    Ok(status) => (
                        Some(i32::from(status)),
                        format!("the receiver answered {status}"),
                    ),
                    Err(e) => (None, e),
                };
                let dead = d.attempts >= ATTEMPTS;
                let retry = retry_after(d.attempts).as_secs_f64();
                webhooks::failed(&mut conn, d.id, status, &error, retry, dead).await?;
                if dead {
                    tracing::warn!(delivery = d.id, attempts = d.attempts, error = %error, "a webhook delivery is given up");
                    done.dead += 1;
                } else {
                    tracing::debug!(delivery = d.id, attempts = d.attempts, error = %error, "a webhook delivery failed: will try again");
                    done.failed += 1;
                }
            }
        }
    }
    Ok(done)
}

/// Post one delivery; the receiver's status, or why there was none.
async fn post(
    url: &str,
    secret: &str,
    delivery: i64,
    action: &str,
    body: Vec<u8>,
) -> std::result::Result<u16, String> {
    let uri = check_url(url).map_err(|e| e.to_string())?;
    let host = uri.host().unwrap_or_default().to_owned();
    let port = uri.port_u16().unwrap_or(80);
    let timestamp = chrono::Utc::now().timestamp();
    let request = Request::builder()
        .method(Method::POST)
        .uri(uri.path_and_query().map_or("/", |p| p.as_str()))
        .header(
            header::HOST,
            uri.authority().map_or(host.as_str(), |a| a.as_str()),
        )
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::USER_AGENT, "depot-webhooks")
        .header("x-depot-event", action)
        .header("x-depot-delivery", delivery.to_string())
        .header("x-depot-timestamp", timestamp.to_string())
        .header("x-depot-signature", signature(secret, timestamp, &body))
        .body(Body::from(body))
        .map_err(|e| e.to_string())?;
    let send = async {
        let stream = tokio::net::TcpStream::connect((host.as_str(), port))
            .await
            .map_err(|e| format!("cannot connect to {host}:{port}: {e}"))?;
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                .await
                .map_err(|e| e.to_string())?;
        let driver = tokio::spawn(connection);
        let answer = sender
            .send_request(request)
            .await
            .map_err(|e| e.to_string());
        driver.abort();
        answer.map(|r| r.status().as_u16())
    };
    tokio::time::timeout(TIMEOUT, send)
        .await
        .unwrap_or_else(|_| Err(format!("no answer within {} s", TIMEOUT.as_secs())))
}

/// The deliverer: a round every [`EVERY`] until the service closes; a round that fails (the
/// database away) is logged once per outage and tried again.
pub async fn run(app: App) {
    let mut failing = false;
    loop {
        match round(&app).await {
            Ok(_) if failing => {
                tracing::info!("the webhook deliverer runs again");
                failing = false;
            }
            Ok(_) => {}
            Err(e) if !failing => {
                tracing::warn!(error = %e, "the webhook deliverer cannot run: trying again");
                failing = true;
            }
            Err(e) => tracing::debug!(error = %e, "the webhook deliverer still cannot run"),
        }
        tokio::select! {
            _ = app.closing.cancelled() => return,
            _ = tokio::time::sleep(EVERY) => {}
        }
    }
}
