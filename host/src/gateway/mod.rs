//! `spacesmith serve`: the HTTP gateway, a second front end over the same [`App`] as the CLI. A route parses,
//! calls a service, renders; nothing more. Stateless: every answer comes from the request and the services,
//! so any number of replicas can run behind a load balancer.
//!
//! Blocking work (plugins, the file system) runs on tokio's blocking pool, never on a worker thread.

pub(crate) mod archive;
mod routes;
mod spaces;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};

use crate::app::App;
use crate::error::{AppError, ErrorCode};

pub use routes::ApiDoc;

/// How the gateway listens and what it accepts; the front end fills it from flags and the environment.
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    pub addr: SocketAddr,
    /// Tokio worker threads; 0 means one per core.
    pub workers: usize,
    /// Largest request body, in bytes (a larger one gets 413 `BODY_TOO_LARGE`).
    pub max_body: usize,
    /// Longest a request may take before 504 `REQUEST_TIMEOUT`.
    pub timeout: Duration,
    /// Callers must send one of these as `X-Spacesmith-Key`; empty: no gate.
    pub keys: Vec<String>,
    /// What a project archive may unpack to.
    pub archive_limits: archive::Limits,
}

impl GatewayConfig {
    pub fn new(addr: SocketAddr) -> Self {
        GatewayConfig {
            addr,
            workers: 0,
            max_body: 64 << 20,
            timeout: Duration::from_secs(120),
            keys: Vec::new(),
            archive_limits: archive::Limits::default(),
        }
    }
}

#[derive(Clone)]
struct Gateway {
    app: Arc<App>,
    config: Arc<GatewayConfig>,
    /// Event logs of the deploys this replica runs, for their `/events` readers (not the deployments'
    /// state: that is read from the Hub).
    deployments: Arc<std::sync::Mutex<std::collections::HashMap<String, Arc<spaces::Journal>>>>,
}

impl Gateway {
    /// Keeps a deploy's journal; past 1,000 the finished ones go first, so memory stays bounded.
    fn remember(&self, id: &str, journal: Arc<spaces::Journal>) {
        let mut map = self.deployments.lock().unwrap();
        if map.len() >= 1000 {
            map.retain(|_, j| !j.done());
        }
        map.insert(id.to_string(), journal);
    }
}

/// An [`AppError`] as the gateway answers it: the code's HTTP status and `{success, error_code, message, hint}`.
pub struct ApiError(pub AppError);

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        ApiError(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.0.code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, Json(routes::ErrorBody::from(&self.0))).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert("www-authenticate", axum::http::HeaderValue::from_static("Bearer"));
        }
        response
    }
}

/// Runs a blocking service call off the worker threads.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T, AppError> + Send + 'static) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError(AppError::new(ErrorCode::EngineFailed, format!("a gateway worker failed: {e}"))))?
        .map_err(ApiError)
}

/// The routes, with their middleware: key gate, time limit, body limit, access log.
pub fn router(app: Arc<App>, config: GatewayConfig) -> Router {
    let max_body = config.max_body;
    let state = Gateway { app, config: Arc::new(config), deployments: Default::default() };
    routes::routes()
        .fallback(|| async {
            ApiError(
                AppError::new(ErrorCode::RouteNotFound, "no such route")
                    .hint("GET /v1/openapi.json lists every route of this gateway."),
            )
        })
        .layer(middleware::from_fn_with_state(state.clone(), gate))
        .layer(middleware::from_fn_with_state(state.clone(), time_limit))
        .layer(middleware::from_fn_with_state(state.clone(), announced_limit))
        .layer(DefaultBodyLimit::max(max_body))
        .layer(middleware::from_fn(access_log))
        .with_state(state)
}

/// Routes anyone may call, gate or not: a load balancer's probe and the API description.
fn is_open(path: &str) -> bool {
    matches!(path, "/v1/health" | "/v1/version" | "/v1/openapi.json")
}

async fn gate(State(g): State<Gateway>, req: Request, next: Next) -> Response {
    if g.config.keys.is_empty() || is_open(req.uri().path()) {
        return next.run(req).await;
    }
    let given = req.headers().get("x-spacesmith-key").map(|v| v.as_bytes());
    if given.is_some_and(|k| g.config.keys.iter().any(|known| constant_time_eq(known.as_bytes(), k))) {
        return next.run(req).await;
    }
    ApiError(
        AppError::new(
            ErrorCode::GatewayKeyRequired,
            if given.is_some() {
                "the X-Spacesmith-Key is not one this gateway knows"
            } else {
                "this gateway needs an X-Spacesmith-Key"
            },
        )
        .hint("Ask the gateway's operator for a key (they are set in SPACESMITH_GATEWAY_KEYS) and send it as X-Spacesmith-Key."),
    )
    .into_response()
}

/// Compares without an early exit, so the time taken does not tell how much of a key was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// At most this much of a refused body is read and dropped before the 413 goes out.
const LINGER_BYTES: u64 = 64 << 20;

/// A body announced larger than the limit is refused before any handler runs. What the client is still
/// sending is read and dropped first (bounded in bytes and time, like nginx's lingering close): a client
/// that writes its whole body before reading would otherwise get a reset instead of the 413.
async fn announced_limit(State(g): State<Gateway>, req: Request, next: Next) -> Response {
    let announced =
        req.headers().get(axum::http::header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if announced.is_none_or(|n| n <= g.config.max_body as u64) {
        return next.run(req).await;
    }
    use futures_util::StreamExt as _;
    let mut body = req.into_body().into_data_stream();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
    let mut dropped = 0u64;
    while dropped < LINGER_BYTES {
        match tokio::time::timeout_at(deadline, body.next()).await {
            Ok(Some(Ok(chunk))) => dropped += chunk.len() as u64,
            _ => break,
        }
    }
    routes::too_large().into_response()
}

async fn time_limit(State(g): State<Gateway>, req: Request, next: Next) -> Response {
    if spaces::is_stream(req.uri().path()) {
        return next.run(req).await;
    }
    let limit = g.config.timeout;
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(r) => r,
        Err(_) => ApiError(
            AppError::new(ErrorCode::RequestTimeout, format!("the request took longer than {} s", limit.as_secs()))
                .hint("Retry; the gateway's operator can raise the limit with `spacesmith serve --timeout S`."),
        )
        .into_response(),
    }
}

/// One structured line per request. The path only: no query string, no header, so no token is ever logged.
async fn access_log(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let response = next.run(req).await;
    tracing::info!(
        target: "spacesmith::access",
        method = %method,
        path = %path,
        status = response.status().as_u16(),
        ms = started.elapsed().as_millis() as u64,
        "request"
    );
    response
}

/// Serves until SIGTERM or Ctrl-C, then lets requests in flight finish. `on_ready` gets the bound address
/// (with `--addr 127.0.0.1:0` the port is the system's pick).
pub fn serve(app: Arc<App>, config: GatewayConfig, on_ready: impl FnOnce(SocketAddr)) -> Result<(), AppError> {
    let mut rt = tokio::runtime::Builder::new_multi_thread();
    if config.workers > 0 {
        rt.worker_threads(config.workers);
    }
    let rt = rt
        .enable_all()
        .build()
        .map_err(|e| AppError::new(ErrorCode::EngineFailed, format!("cannot start the gateway's runtime: {e}")))?;
    rt.block_on(async move {
        let addr = config.addr;
        let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
            AppError::new(ErrorCode::PortInUse, format!("cannot listen on {addr}: {e}"))
                .hint("Pick another address with `spacesmith serve --addr HOST:PORT` (port 0 lets the system choose).")
        })?;
        let bound = listener.local_addr().unwrap_or(addr);
        on_ready(bound);
        axum::serve(listener, router(app, config))
            .with_graceful_shutdown(shutdown_signal())
            .await
            .map_err(|e| AppError::new(ErrorCode::NetworkError, format!("the gateway stopped: {e}")))
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!(target: "spacesmith::gateway", "shutting down: finishing the requests in flight");
}
