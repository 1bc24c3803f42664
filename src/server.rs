//! The composition root: the API and the pages, side by side on one router, and the server
//! that runs it. Neither front end knows the other; both are adapters over `app`.

use std::future::Future;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use sqlx::PgPool;
use tokio::net::TcpListener;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::app::App;
use crate::{db, http, web};

/// The whole service: the pages, the API under `/api` with its OpenAPI document, `/healthz`,
/// `/metrics`; every request counted and timed by its route template.
pub fn router(app: App) -> Router {
    Router::new()
        .merge(web::router().layer(axum::middleware::from_fn_with_state(
            app.clone(),
            web::error_pages,
        )))
        .merge(http::router())
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route_layer(axum::middleware::from_fn(crate::metrics::matched_route))
        .fallback(http::not_found)
        .layer(tower_http::limit::RequestBodyLimitLayer::new(
            8 * 1024 * 1024,
        ))
        // Every response, pages, JSON, CSV and errors alike: never sniffed into another type.
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(axum::middleware::from_fn(crate::metrics::track))
        .layer(axum::middleware::from_fn(log_request))
        .with_state(app)
}

/// One line per request, at a level that says whose business it is: a failure inside
/// (500) at `error` with its cause; the service unavailable (503: the database away or a
/// statement too slow) at `warn`; a client's mistake (4xx) and success at `debug`. Never a
/// backtrace, never a second line for the same failure.
async fn log_request(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let method = req.method().clone();
    let started = std::time::Instant::now();
    let response = next.run(req).await;
    let route = response
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or("unmatched", |p| p.as_str());
    let status = response.status().as_u16();
    let ms = started.elapsed().as_millis() as u64;
    let cause = response.extensions().get::<crate::app::Cause>();
    let error = cause.map_or("", |c| c.0.as_str());
    match status {
        503 => tracing::warn!(%method, route, status, ms, error, "request not served"),
        500.. => tracing::error!(%method, route, status, ms, error, "request failed"),
        _ => tracing::debug!(%method, route, status, ms, "request"),
    }
    response
}

/// `/metrics` for a monitoring system: an admin's or an auditor's credential (an API token
/// in the scraper's `Authorization: Bearer …`), like any read of the service's state.
async fn metrics(
    axum::extract::State(app): axum::extract::State<App>,
    actor: crate::auth::Actor,
) -> Result<Response, http::ApiError> {
    let body = crate::app::reports::metrics(&app, &actor)?;
    Ok(([(header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE)], body).into_response())
}

async fn healthz(axum::extract::State(app): axum::extract::State<App>) -> Response {
    match db::ping(&app.pool).await {
        Ok(()) => axum::Json(serde_json::json!({"status": "ok"})).into_response(),
        Err(e) => {
            let mut response = (
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(serde_json::json!({"status": "database unreachable"})),
            )
                .into_response();
            response
                .extensions_mut()
                .insert(crate::app::Cause(format!("database unreachable: {e}")));
            response
        }
    }
}

/// How long a client may take to send a request's headers before the connection is closed,
/// so half-sent requests cannot hold connections open.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// After a shutdown signal, requests in flight get this long to finish; then their
/// connections are closed. No statement runs longer than `statement_timeout_s` (an export's,
/// `export_timeout_s`) anyway, but a long export, or a client reading one slowly, could
/// otherwise hold the shutdown for as long as it likes.
pub const SHUTDOWN_DEADLINE: Duration = Duration::from_secs(15);
/// How often expired sessions are deleted.
const SESSION_SWEEP_EVERY: Duration = Duration::from_secs(10 * 60);
/// How often bookings are checked for late returns colliding with them.
const COLLISION_CHECK_EVERY: Duration = Duration::from_secs(10 * 60);

/// Serve until `shutdown` resolves, then finish the requests in flight. HTTP/1.1 through
/// hyper directly (not `axum::serve`) for the header-read timeout; each request carries
/// its peer's address (`ConnectInfo`) for sign-in throttling. Expired sessions are swept
/// meanwhile.
pub async fn serve(
    listener: TcpListener,
    app: App,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, app, shutdown, HEADER_READ_TIMEOUT).await
}

/// [`serve`] with another header-read timeout (tests use a short one).
pub async fn serve_with(
    listener: TcpListener,
    app: App,
    shutdown: impl Future<Output = ()> + Send + 'static,
    header_read_timeout: Duration,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use tower::Layer as _;

    let closing = app.closing.clone();
    let sweeper = tokio::spawn(sweep_sessions(app.pool.clone(), closing.clone()));
    let figures = tokio::spawn(refresh_figures(app.pool.clone(), closing.clone()));
    let collisions = tokio::spawn(watch_bookings(app.clone(), closing.clone()));
    let notifier = tokio::spawn(crate::app::notices::run(app.clone()));
    let deliverer = tokio::spawn(crate::app::webhooks::run(app.clone()));
    let service = router(app);
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                // Out of file descriptors and the like: wait a little rather than spin.
                Err(e) => {
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let service = axum::Extension(ConnectInfo(peer)).layer(service.clone());
        let connection = http.serve_connection(
            TokioIo::new(stream),
            hyper_util::service::TowerToHyperService::new(service),
        );
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, %peer, "connection ended");
            }
        });
    }
    drop(listener);
    closing.cancel();
    if tokio::time::timeout(SHUTDOWN_DEADLINE, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            deadline_s = SHUTDOWN_DEADLINE.as_secs(),
            "requests still running at the shutdown deadline: stopping without them"
        );
    }
    sweeper.abort();
    figures.abort();
    collisions.abort();
    notifier.abort();
    deliverer.abort();
    Ok(())
}

/// Raise an alert for each booking a late return collides with, from the start and then
/// every [`COLLISION_CHECK_EVERY`]: a return becomes late as the days pass, not by anyone's
/// action.
async fn watch_bookings(app: App, closing: tokio_util::sync::CancellationToken) {
    loop {
        match crate::app::bookings::raise_alerts(&app).await {
            Ok(raised) if raised.is_empty() => {}
            Ok(raised) => tracing::info!(alerts = raised.len(), "booking collisions raised"),
            Err(e) => tracing::warn!(error = %e, "checking bookings for collisions failed"),
        }
        tokio::select! {
            _ = closing.cancelled() => return,
            _ = tokio::time::sleep(COLLISION_CHECK_EVERY) => {}
        }
    }
}

/// Delete expired sessions now and then, until the server closes.
/// Keep the dashboard's figures fresh and its tallies folded, from the start and then every
/// `reports::FIGURES_EVERY`.
async fn refresh_figures(pool: PgPool, closing: tokio_util::sync::CancellationToken) {
    loop {
        if let Err(e) = crate::app::reports::refresh(&pool).await {
            tracing::warn!(error = %e, "refreshing the dashboard's figures failed");
        }
        tokio::select! {
            _ = closing.cancelled() => return,
            _ = tokio::time::sleep(crate::app::reports::FIGURES_EVERY) => {}
        }
    }
}

async fn sweep_sessions(pool: PgPool, closing: tokio_util::sync::CancellationToken) {
    async fn sweep(pool: &PgPool) -> db::Result<u64> {
        db::credentials::sweep_sessions(&mut *pool.acquire().await?).await
    }
    loop {
        match sweep(&pool).await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(sessions = n, "expired sessions deleted"),
            Err(e) => tracing::warn!(error = %e, "session sweep failed"),
        }
        tokio::select! {
            _ = closing.cancelled() => return,
            _ = tokio::time::sleep(SESSION_SWEEP_EVERY) => {}
        }
    }
}
