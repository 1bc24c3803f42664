//! The composition root: the API and the pages, side by side on one router, and the server
//! that runs it. Neither front end knows the other; both are adapters over `app`.

use std::future::Future;

use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tokio::net::TcpListener;

use crate::app::App;
use crate::{db, http, web};

/// The whole service: the pages, the API under `/api` with its OpenAPI document, `/healthz`.
pub fn router(app: App) -> Router {
    Router::new()
        .merge(web::router())
        .merge(http::router())
        .route("/healthz", get(healthz))
        .fallback(http::not_found)
        .layer(tower_http::limit::RequestBodyLimitLayer::new(
            8 * 1024 * 1024,
        ))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(app)
}

async fn healthz(axum::extract::State(app): axum::extract::State<App>) -> Response {
    match db::ping(&app.pool).await {
        Ok(()) => axum::Json(serde_json::json!({"status": "ok"})).into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "health check: database unreachable");
            (
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(serde_json::json!({"status": "database unreachable"})),
            )
                .into_response()
        }
    }
}

/// Serve until `shutdown` resolves, then finish the requests in flight.
pub async fn serve(
    listener: TcpListener,
    app: App,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let closing = app.closing.clone();
    let shutdown = async move {
        shutdown.await;
        closing.cancel();
    };
    axum::serve(listener, router(app))
        .with_graceful_shutdown(shutdown)
        .await
}
