//! The application layer: each business operation once, with its authorisation, under every
//! front end (the JSON API in `http`, the pages in `web`, the CLI).
//!
//! An operation is one function: `(app, actor, what it acts on, a typed input) -> Result<a
//! typed output>`. It authorizes first ([`policy::authorize`], one table), then reads or changes
//! the database through `db` in one transaction, and answers with an [`Error`] a front end maps
//! to its own (a status code and JSON, an error page). The front ends only parse, call, render.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgPool};
use utoipa::ToSchema;

use crate::auth::Actor;
use crate::config::Config;
use crate::db;
use crate::domain::bounds::{Note, PageNo};
use crate::ingest::Ingest;

mod error;
pub use error::{Cause, Error, Result, UNAVAILABLE_RETRY_AFTER_S};
/// Assets.
pub mod assets;
/// An asset's documents.
pub mod attachments;
/// Forward bookings: collisions of late returns with the next booking, and swaps.
pub mod bookings;
/// Places and kinds: warehouses, zones, categories; the catalogue.
pub mod catalogue;
/// Time limits per order status, and the work past them.
pub mod deadlines;
/// Disposals.
pub mod disposals;
/// The log as EPCIS 2.0 events (a SimpleEventQuery, paged).
pub mod epcis;
/// Intakes.
pub mod intakes;
/// Kits: named sets of category quantities and specific assets, lent as one.
pub mod kits;
/// Labels: ZPL for RFID printers, printable sheets, printing.
pub mod labels;
/// What one client may hold at once: live event streams.
pub mod limits;
/// Loans and compensation cases.
pub mod loans;
/// The message catalogue: the layer's errors in English and Chinese, each with a key.
pub mod messages;
/// Names in the viewer's language: departments, warehouses, zones and categories.
pub mod names;
/// Notifications: inboxes, and the notifier that fills them and sends e-mail.
pub mod notices;
/// Departments and users.
pub mod people;
/// Who may do what: the policy table and `authorize`.
pub mod policy;
/// Readers and gates, handheld uploads, alerts, the live stream.
pub mod readers;
/// The register as a file: import (all or nothing) and export, CSV and XLSX.
pub mod register;
/// Market rentals for a loan's shortfall.
pub mod rentals;
/// The dashboard and its exports.
pub mod reports;
/// Signing in and out, changing one's password, API tokens.
pub mod session;
/// Stocktakes.
pub mod stocktakes;
/// Writing an asset's EPC to a new tag on the keeper's desk reader.
pub mod tags;
/// Transfers.
pub mod transfers;
pub mod walks;
/// Webhooks: registration, and the deliverer that posts the outbox signed.
pub mod webhooks;
pub use policy::Op;
use policy::{authorize, Scoped, Target};
/// What a person may read of other departments' business.
pub mod visibility;
pub use visibility::Visibility;

/// What every operation can reach: the database, the configuration, the reader pipeline.
#[derive(Clone)]
pub struct App {
    pub pool: PgPool,
    pub config: Arc<Config>,
    /// The reader pipeline; `None` where the service runs without it (some tests).
    pub ingest: Option<Ingest>,
    /// Cancelled when the server starts shutting down, so that endless responses (the event
    /// stream) end and graceful shutdown can finish.
    pub closing: tokio_util::sync::CancellationToken,
    /// Sign-in throttling and password hashing.
    pub guard: Arc<crate::auth::Guard>,
    /// Open event streams, per session and in total.
    pub streams: Arc<limits::Streams>,
    /// The SMTP relay notifications are e-mailed through; `None`: no e-mail.
    pub mailer: Option<Arc<crate::mail::Mailer>>,
    /// Names kept in another language, as last read.
    pub names: Arc<names::Names>,
}

impl App {
    pub fn new(pool: PgPool, config: Config) -> Self {
        // The sender was checked with the configuration; one that is not an address sends
        // nothing, and says so.
        let mailer = config
            .smtp
            .as_ref()
            .and_then(|smtp| match crate::mail::Mailer::new(smtp) {
                Ok(mailer) => Some(Arc::new(mailer)),
                Err(e) => {
                    tracing::warn!(error = %e, "notifications will not be e-mailed");
                    None
                }
            });
        App {
            mailer,
            pool,
            config: Arc::new(config),
            ingest: None,
            closing: Default::default(),
            guard: Default::default(),
            streams: Default::default(),
            names: Default::default(),
        }
    }

    /// Today in the depot's time zone: the day a person there would name.
    pub fn today(&self) -> chrono::NaiveDate {
        chrono::Utc::now()
            .with_timezone(&self.config.time_zone)
            .date_naive()
    }

    pub fn with_ingest(mut self, ingest: Ingest) -> Self {
        self.ingest = Some(ingest);
        self
    }

    /// Authorize `op` (a role check: it names no particular thing), then run `f` on a
    /// connection.
    pub(crate) async fn read<T, E: Into<Error>>(
        &self,
        actor: &Actor,
        op: Op,
        f: impl AsyncFnOnce(&mut PgConnection) -> Result<T, E>,
    ) -> Result<T> {
        authorize(actor, op, Target::Nothing)?;
        let mut conn = self.pool.acquire().await?;
        f(&mut conn).await.map_err(Into::into)
    }

    /// Authorize `op` (a role check), then run `f` in a transaction, committed if it succeeds.
    pub(crate) async fn change<T, E: Into<Error>>(
        &self,
        actor: &Actor,
        op: Op,
        f: impl AsyncFnOnce(&mut PgConnection) -> Result<T, E>,
    ) -> Result<T> {
        authorize(actor, op, Target::Nothing)?;
        let mut tx = self.pool.begin().await?;
        let out = f(&mut tx).await.map_err(Into::into)?;
        tx.commit().await?;
        Ok(out)
    }

    /// Authorize `op` on the thing `load` finds — the role before anything is read, so a
    /// refusal never tells whether it exists, then the thing's scope — and run `f` on it.
    pub(crate) async fn read_found<T: Scoped, U, E: Into<Error>>(
        &self,
        actor: &Actor,
        op: Op,
        load: impl AsyncFnOnce(&mut PgConnection) -> db::Result<T>,
        f: impl AsyncFnOnce(&mut PgConnection, T) -> Result<U, E>,
    ) -> Result<U> {
        self.read(actor, op, async |c| found(actor, op, c, load, f).await)
            .await
    }

    /// [`App::read_found`] that only returns what it found.
    pub(crate) async fn find<T: Scoped>(
        &self,
        actor: &Actor,
        op: Op,
        load: impl AsyncFnOnce(&mut PgConnection) -> db::Result<T>,
    ) -> Result<T> {
        self.read_found(actor, op, load, async |_, it| Ok::<_, Error>(it))
            .await
    }

    /// [`App::read_found`] in a transaction, committed if `f` succeeds.
    pub(crate) async fn change_found<T: Scoped, U, E: Into<Error>>(
        &self,
        actor: &Actor,
        op: Op,
        load: impl AsyncFnOnce(&mut PgConnection) -> db::Result<T>,
        f: impl AsyncFnOnce(&mut PgConnection, T) -> Result<U, E>,
    ) -> Result<U> {
        self.change(actor, op, async |tx| found(actor, op, tx, load, f).await)
            .await
    }

    /// Authorize `op` (a role check), take a connection, and send the rows `f` reads, in
    /// one transaction, through a small channel in batches as they come: an export starts
    /// at once, holds a few batches at most, and stops (its transaction rolled back, its
    /// connection returned) when the receiver is dropped, e.g. the client went away. Its
    /// statements run within `export_timeout_s`, not the pages' `statement_timeout_s`.
    pub(crate) async fn rows<T: Send + 'static, A: Send + 'static>(
        &self,
        actor: &Actor,
        op: Op,
        arg: A,
        f: fn(&mut PgConnection, A) -> db::Rows<'_, T>,
    ) -> Result<Rows<T>> {
        use futures_util::StreamExt;
        use sqlx::Acquire;
        authorize(actor, op, Target::Nothing)?;
        let mut conn = self.pool.acquire().await?;
        let timeout = std::time::Duration::from_secs(self.config.export_timeout_s);
        let (send, receive) = tokio::sync::mpsc::channel(4);
        tokio::spawn(async move {
            let mut tx = match conn.begin().await {
                Ok(tx) => tx,
                Err(e) => {
                    let _ = send.send(Err(e.into())).await;
                    return;
                }
            };
            if let Err(e) = db::export_statement_timeout(&mut tx, timeout).await {
                let _ = send.send(Err(e.into())).await;
                return;
            }
            let mut rows = f(&mut tx, arg);
            while let Some(batch) = rows.next().await {
                let failed = batch.is_err();
                if send.send(batch.map_err(Into::into)).await.is_err() || failed {
                    return;
                }
            }
            drop(rows);
            let _ = tx.commit().await;
        });
        Ok(Rows(receive))
    }

    /// The reader pipeline, or an error that says it is not running.
    pub fn ingest(&self) -> Result<&Ingest> {
        self.ingest.as_ref().ok_or(Error::Unavailable(
            "the reader pipeline is not running in this service".into(),
        ))
    }
}

/// The rows of an export, in batches, as the query yields them.
pub struct Rows<T>(tokio::sync::mpsc::Receiver<Result<Vec<T>>>);

impl<T> Rows<T> {
    /// The next batch; `None` at the end.
    pub async fn next(&mut self) -> Option<Result<Vec<T>>> {
        self.0.recv().await
    }

    /// [`Rows::next`] from a blocking thread (never from an async task).
    pub fn blocking_next(&mut self) -> Option<Result<Vec<T>>> {
        self.0.blocking_recv()
    }

    /// The rows of a short list read whole (the readers, the kits): one batch.
    pub fn of(rows: Vec<T>) -> Self {
        let (send, receive) = tokio::sync::mpsc::channel(1);
        let _ = send.try_send(Ok(rows));
        Rows(receive)
    }

    /// Each row as `f` makes it, batch by batch as they come.
    pub fn map<U: Send + 'static>(mut self, f: impl Fn(T) -> U + Send + 'static) -> Rows<U>
    where
        T: Send + 'static,
    {
        let (send, receive) = tokio::sync::mpsc::channel(4);
        tokio::spawn(async move {
            while let Some(batch) = self.next().await {
                let batch = batch.map(|rows| rows.into_iter().map(&f).collect());
                if send.send(batch).await.is_err() {
                    return;
                }
            }
        });
        Rows(receive)
    }
}

/// Load a thing, authorize `op` on it, and run `f` on it.
async fn found<T: Scoped, U, E: Into<Error>>(
    actor: &Actor,
    op: Op,
    conn: &mut PgConnection,
    load: impl AsyncFnOnce(&mut PgConnection) -> db::Result<T>,
    f: impl AsyncFnOnce(&mut PgConnection, T) -> Result<U, E>,
) -> Result<U> {
    let thing = load(conn).await?;
    authorize(actor, op, thing.target())?;
    f(conn, thing).await.map_err(Into::into)
}

/// `?page=&per_page=` (1-based, page at most [`PageNo::MAX`], refused beyond; at most
/// [`Paging::MAX_PER_PAGE`] per page), or `?after=ID&per_page=`: the rows after the one with
/// that id, in the list's order (a keyset cursor: as quick on the ten-thousandth page as on
/// the first): page numbers end at [`PageNo::MAX`], `after` goes on.
#[derive(Debug, Clone, Copy, Default, Deserialize, utoipa::IntoParams)]
pub struct Paging {
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    pub page: Option<PageNo>,
    pub per_page: Option<i64>,
    /// The id of the last item of the page before; `page` is then ignored.
    pub after: Option<i64>,
}

impl Paging {
    pub const MAX_PER_PAGE: i64 = 500;

    pub fn window(self) -> crate::db::Window {
        let page = self.page.unwrap_or_default().get();
        let per_page = self.per_page.unwrap_or(50).clamp(1, Self::MAX_PER_PAGE);
        crate::db::Window {
            page,
            per_page,
            after: self.after,
        }
    }
}

/// One page of a list. `total` is exact up to [`db::COUNT_CAP`] matches (`total_exact`);
/// beyond that it is a lower bound. `has_more` says whether another page follows: pass
/// the last item's `id` as `after` to get it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
    pub total_exact: bool,
    pub has_more: bool,
    pub page: i64,
    pub per_page: i64,
}

impl<T> Page<T> {
    pub fn new(window: crate::db::Window, (items, total): (Vec<T>, db::Total)) -> Page<T> {
        Page {
            items,
            total: total.count,
            total_exact: total.exact,
            has_more: total.has_more,
            page: window.page,
            per_page: window.per_page,
        }
    }
    /// The same page with each item made into another.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            total: self.total,
            total_exact: self.total_exact,
            has_more: self.has_more,
            page: self.page,
            per_page: self.per_page,
        }
    }
}

/// An approval: which assets to reserve, and why.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Approval {
    /// The assets to reserve; omitted: chosen automatically from the lines.
    #[schema(min_items = 1)]
    pub asset_ids: Option<Vec<i64>>,
    #[serde(default)]
    pub reason: Note,
}

/// Why: for a rejection, a cancellation, a waiver, a closing.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reason {
    #[serde(default)]
    pub reason: Note,
}

/// The body of an action whose reason is required (reject, refuse, waive, close with items
/// outstanding), as the API's document gives it: read as a [`Reason`], refused (422) when
/// the reason is blank.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct Reasoned {
    #[schema(value_type = crate::domain::bounds::FilledNote)]
    reason: Note,
}
