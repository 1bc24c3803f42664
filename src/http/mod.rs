//! The HTTP API: `router(state)` builds it, `serve` runs it until shutdown.

use std::future::Future;
use std::sync::Arc;

use std::time::Duration;

use axum::extract::{ConnectInfo, FromRequest, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, Method};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use tokio::net::TcpListener;
use tower_http::set_header::SetResponseHeaderLayer;
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;

use crate::auth::{self, Actor, Role};
use crate::config::Config;
use crate::db;
use crate::domain::bounds::PageNo;
use crate::ingest::Ingest;

pub mod error;
pub use error::{ApiError, ApiResult};

mod assets;
pub(crate) mod readers;
pub(crate) mod stocktakes;
pub use assets::visible_asset;
mod catalogue;
mod disposals;
mod intakes;
/// Limits: event streams per session and in total, the client's address.
pub mod limits;
mod loans;
mod people;
pub use people::{insert_user, insert_user_hashed, Account, NewUser};
mod session;
pub use session::{
    check_same_origin, clear_cookie, cookie as session_cookie, secure as secure_cookie,
    set_cookie as set_session_cookie, COOKIE as SESSION_COOKIE,
};
mod tokens;
mod transfers;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub config: Arc<Config>,
    /// The reader pipeline; `None` where the service runs without it (some tests).
    pub ingest: Option<Ingest>,
    /// Cancelled when the server starts shutting down, so that endless responses (the event
    /// stream) end and graceful shutdown can finish.
    pub closing: tokio_util::sync::CancellationToken,
    /// Sign-in throttling and password hashing.
    pub guard: Arc<auth::Guard>,
    /// Open event streams, per session and in total.
    pub streams: Arc<limits::Streams>,
}

impl AppState {
    pub fn new(pool: PgPool, config: Config) -> Self {
        AppState {
            pool,
            config: Arc::new(config),
            ingest: None,
            closing: Default::default(),
            guard: Default::default(),
            streams: Default::default(),
        }
    }

    pub fn with_ingest(mut self, ingest: Ingest) -> Self {
        self.ingest = Some(ingest);
        self
    }

    /// The reader pipeline, or a 503 that says it is not running.
    pub fn ingest(&self) -> ApiResult<&Ingest> {
        self.ingest.as_ref().ok_or(ApiError::Unavailable(
            "the reader pipeline is not running in this service".into(),
        ))
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Depot API", description = "RFID-tracked public asset depot: assets, loans, transfers, disposals, intakes, compensations."),
    components(schemas(error::ErrorBody, assets::ManualAction)),
    modifiers(&SecuritySchemes),
    security(("session" = []), ("token" = []))
)]
struct ApiDoc;

struct SecuritySchemes;

impl utoipa::Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{
            ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme,
        };
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(session::COOKIE))),
        );
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The whole application: API under `/api`, its OpenAPI document, and `/healthz`.
pub fn router(state: AppState) -> Router {
    let (api, openapi) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(session::router())
        .merge(people::router())
        .merge(catalogue::router())
        .merge(assets::router())
        .merge(loans::router())
        .merge(transfers::router())
        .merge(disposals::router())
        .merge(intakes::router())
        .merge(readers::router())
        .merge(stocktakes::router())
        .merge(tokens::router())
        .split_for_parts();
    let openapi = Arc::new(openapi);
    Router::new()
        .merge(crate::web::router())
        .nest("/api", api)
        .route(
            "/api/openapi.json",
            get(move || async move { axum::Json(openapi.as_ref().clone()) }),
        )
        .route("/healthz", get(healthz))
        .fallback(|| async { ApiError::NotFound("no such page".into()) })
        .layer(tower_http::limit::RequestBodyLimitLayer::new(
            8 * 1024 * 1024,
        ))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        // Every response, pages, JSON, CSV and errors alike: never sniffed into another type.
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .with_state(state)
}

async fn healthz(axum::extract::State(state): axum::extract::State<AppState>) -> Response {
    match sqlx::query("select 1").execute(&state.pool).await {
        Ok(_) => axum::Json(serde_json::json!({"status": "ok"})).into_response(),
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

/// How long a client may take to send a request's headers before the connection is closed,
/// so half-sent requests cannot hold connections open.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How often expired sessions are deleted.
const SESSION_SWEEP_EVERY: Duration = Duration::from_secs(10 * 60);

/// Serve until `shutdown` resolves, then finish the requests in flight. HTTP/1.1 through
/// hyper directly (not `axum::serve`) for the header-read timeout; each request carries
/// its peer's address (`ConnectInfo`) for sign-in throttling. Expired sessions are swept
/// meanwhile.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, state, shutdown, HEADER_READ_TIMEOUT).await
}

/// [`serve`] with another header-read timeout (tests use a short one).
pub async fn serve_with(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
    header_read_timeout: Duration,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use tower::Layer as _;

    let closing = state.closing.clone();
    let sweeper = tokio::spawn(sweep_sessions(state.pool.clone(), closing.clone()));
    let app = router(state);
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
        let service = axum::Extension(ConnectInfo(peer)).layer(app.clone());
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
    graceful.shutdown().await;
    sweeper.abort();
    Ok(())
}

/// Delete expired sessions now and then, until the server closes.
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

/// `axum::Json` whose rejections are [`ApiError`]s (JSON bodies, 400/415/422).
#[derive(Debug, Clone, Copy, Default, FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct Json<T>(pub T);

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// A JSON body that may be left out entirely (action endpoints such as `/approve`): an
/// empty body is `T::default()`, anything else must be valid JSON for `T`.
#[derive(Debug, Clone, Copy, Default)]
pub struct OptionalJson<T>(pub T);

impl<T, S> FromRequest<S> for OptionalJson<T>
where
    T: serde::de::DeserializeOwned + Default,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| {
                ApiError::BadRequest(format!("cannot read the request body: {}", e.body_text()))
            })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(OptionalJson(T::default()));
        }
        Ok(OptionalJson(axum::Json::<T>::from_bytes(&bytes)?.0))
    }
}

/// `axum::extract::Path` with JSON rejections.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct Path<T>(pub T);

/// `axum::extract::Query` with JSON rejections.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct Query<T>(pub T);

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

impl<T> Page<T> {
    /// One page of a list from the database's `(items, total)` and the resolved paging.
    pub fn of((items, total): (Vec<T>, i64), (page, per_page): (i64, i64)) -> Self {
        Page {
            items,
            total,
            page,
            per_page,
        }
    }
}

/// `?page=&per_page=` (1-based, page at most [`PageNo::MAX`]; at most 500 per page).
#[derive(Debug, Clone, Copy, Deserialize, utoipa::IntoParams)]
pub struct Paging {
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100_000)]
    pub page: Option<PageNo>,
    pub per_page: Option<i64>,
}

impl Paging {
    pub const MAX_PER_PAGE: i64 = 500;

    pub fn resolve(self) -> (i64, i64) {
        let page = self.page.unwrap_or_default().get();
        let per_page = self.per_page.unwrap_or(50).clamp(1, Self::MAX_PER_PAGE);
        (page, per_page)
    }
}

/// Refuse unless the actor has one of `roles`.
pub fn require(actor: &Actor, roles: &[Role], what: &str) -> ApiResult<()> {
    if actor.is(roles) {
        Ok(())
    } else {
        let roles: Vec<_> = roles
            .iter()
            .map(|r| format!("{r:?}").to_lowercase())
            .collect();
        Err(ApiError::forbidden(format!(
            "only {} may {what}",
            roles.join(" or ")
        )))
    }
}

impl FromRequestParts<AppState> for Actor {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let mut conn = state.pool.acquire().await?;
        if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
            let token = value
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .ok_or(ApiError::Unauthenticated)?;
            return auth::actor_for_api_token(&mut conn, token.trim())
                .await?
                .ok_or(ApiError::Unauthenticated);
        }
        let token = session::cookie(&parts.headers).ok_or(ApiError::Unauthenticated)?;
        let actor = auth::actor_for_session(&mut conn, &token)
            .await?
            .ok_or(ApiError::Unauthenticated)?;
        if !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS) {
            session::check_same_origin(&parts.headers)?;
        }
        Ok(actor)
    }
}
