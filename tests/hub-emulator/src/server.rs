//! Listeners and the per-request pipeline: request log → fault injection → rate limiting → authentication →
//! routing → common headers (`RateLimit`, `RateLimit-Policy`, `X-Request-Id`).

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::header::HeaderMap;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::app::{App, Config, UserSpec};
use crate::faults::{FaultKind, FaultRule};
use crate::http::{ApiError, Resp, set_header};
use crate::util::{parse_query, percent_decode};

/// What a handler sees of a request.
pub struct Ctx {
    pub app: Arc<App>,
    pub method: Method,
    /// Raw (still percent-encoded) path.
    pub path: String,
    /// Path segments, each percent-decoded.
    pub segs: Vec<String>,
    pub query: Vec<(String, String)>,
    pub headers: HeaderMap,
    body: Option<Incoming>,
    pub bytes_received: u64,
    pub user: Option<UserSpec>,
    /// The one repo a Trusted Publishers token may act on (for any other repo it is anonymous).
    pub token_scope: Option<crate::model::RepoKey>,
    /// `http://host:port` of the Hub listener as the client addressed it.
    pub base: String,
    /// `http://host:port` of the CDN listener, on the same host name.
    pub cdn_base: String,
    pub sse_cut: Option<FaultRule>,
    /// The transfer adapter an `lfs_transfer` fault makes the LFS batch answer.
    pub lfs_transfer: Option<String>,
}

impl Ctx {
    pub fn q(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    pub fn q_all(&self, name: &str) -> Vec<&str> {
        self.query.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str()).collect()
    }

    pub fn q_bool(&self, name: &str) -> bool {
        matches!(self.q(name), Some("1" | "true" | "True" | "yes"))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn user(&self) -> Option<&UserSpec> {
        self.user.as_ref()
    }

    /// The authenticated user, or 401.
    pub fn require_user(&self) -> Result<&UserSpec, ApiError> {
        self.user.as_ref().ok_or_else(|| ApiError::unauthorized("You must be authenticated to access this resource"))
    }

    /// Next chunk of the request body (counted in `bytes_received`).
    pub async fn next_chunk(&mut self) -> Option<Result<Bytes, io::Error>> {
        let body = self.body.as_mut()?;
        loop {
            match body.frame().await {
                None => {
                    self.body = None;
                    return None;
                }
                Some(Err(e)) => {
                    self.body = None;
                    return Some(Err(io::Error::other(e)));
                }
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        self.bytes_received += data.len() as u64;
                        return Some(Ok(data));
                    }
                }
            }
        }
    }

    /// The whole body, failing with 413 above `limit`.
    pub async fn body_bytes(&mut self, limit: u64) -> Result<Bytes, ApiError> {
        let mut buf = Vec::new();
        while let Some(chunk) = self.next_chunk().await {
            let chunk = chunk.map_err(|e| ApiError::bad_request(format!("failed to read request body: {e}")))?;
            if (buf.len() + chunk.len()) as u64 > limit {
                return Err(ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "PayloadTooLarge", "Request body too large"));
            }
            buf.extend_from_slice(&chunk);
        }
        Ok(Bytes::from(buf))
    }

    /// The body as JSON (`null` when empty); 400 when malformed.
    pub async fn body_json(&mut self) -> Result<Value, ApiError> {
        let b = self.body_bytes(256 * 1024 * 1024).await?;
        if b.iter().all(|c| c.is_ascii_whitespace()) {
            return Ok(Value::Null);
        }
        serde_json::from_slice(&b).map_err(|e| ApiError::bad_request(format!("Invalid JSON body: {e}")))
    }

    /// Reads and discards up to `limit` body bytes.
    pub async fn drain(&mut self, limit: u64) {
        let start = self.bytes_received;
        while self.bytes_received - start < limit {
            match self.next_chunk().await {
                Some(Ok(_)) => {}
                _ => break,
            }
        }
    }
}

/// Returned by the service to make hyper close the connection without answering.
#[derive(Debug)]
pub struct DropConnection;

impl std::fmt::Display for DropConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by fault injection")
    }
}

impl std::error::Error for DropConnection {}

/// Paths that do not take a Hub token: control, presigned LFS targets, the CDN and the JWT logs host.
fn token_exempt(path: &str) -> bool {
    ["/__emulator", "/__lfs/", "/__cdn/", "/logs-host/", "/oauth/"].iter().any(|p| path.starts_with(p))
}

fn is_sse(segs: &[String]) -> bool {
    let n = segs.len();
    n >= 2 && segs[n - 2] == "logs" && (segs[n - 1] == "build" || segs[n - 1] == "run")
}

fn rate_class(path: &str) -> &'static str {
    if path.contains("/resolve/") || path.starts_with("/__cdn/") {
        "resolvers"
    } else if path.starts_with("/api/") || path.contains(".git/info/lfs") || path.starts_with("/__lfs/") {
        "api"
    } else {
        "pages"
    }
}

async fn handle(app: Arc<App>, listener: &'static str, req: Request<Incoming>) -> Result<Resp, DropConnection> {
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_string();
    let raw_query = parts.uri.query().map(str::to_string);
    let mut rec = app.new_record(listener, parts.method.as_str(), &path, raw_query.as_deref());
    let control = path.starts_with("/__emulator");
    let segs: Vec<String> = path.split('/').filter(|s| !s.is_empty()).map(|s| percent_decode(s, false)).collect();
    let host = parts.headers.get("host").and_then(|h| h.to_str().ok()).map(str::to_string);
    let (base, cdn_base) = bases(&app, host.as_deref());
    let mut ctx = Ctx {
        app: app.clone(),
        method: parts.method.clone(),
        path: path.clone(),
        query: raw_query.as_deref().map(parse_query).unwrap_or_default(),
        segs,
        headers: parts.headers,
        body: Some(body),
        bytes_received: 0,
        user: None,
        token_scope: None,
        base,
        cdn_base,
        sse_cut: None,
        lfs_transfer: None,
    };

    let class = rate_class(&path);
    let sse = is_sse(&ctx.segs);
    let mut fault_response: Option<Resp> = None;
    if !control {
        let fault = app.faults.lock().unwrap_or_else(|p| p.into_inner()).take(ctx.method.as_str(), &path, sse);
        if let Some(f) = fault {
            rec.fault = Some(format!("{}#{}", fault_name(f.kind), f.id));
            match f.kind {
                FaultKind::Delay => tokio::time::sleep(Duration::from_millis(f.ms.unwrap_or(0))).await,
                FaultKind::SseCut => ctx.sse_cut = Some(f),
                FaultKind::LfsTransfer => ctx.lfs_transfer = f.transfer.clone(),
                FaultKind::Drop => {
                    let declared = ctx.header("content-length").and_then(|v| v.parse::<u64>().ok());
                    let after = f.after_bytes.unwrap_or_else(|| declared.map(|l| (l / 2).max(1)).unwrap_or(1));
                    while ctx.bytes_received < after {
                        match ctx.next_chunk().await {
                            Some(Ok(_)) => {}
                            _ => break,
                        }
                    }
                    rec.bytes_received = ctx.bytes_received;
                    rec.dropped = true;
                    app.record(rec);
                    return Err(DropConnection);
                }
                FaultKind::Status => {
                    // Read the body first so the client sees the status rather than a broken pipe.
                    ctx.drain(256 * 1024 * 1024).await;
                    fault_response = Some(fault_status_response(&f, class));
                }
            }
        }
    }

    let mut resp = match fault_response {
        Some(r) => r,
        None => {
            let (_, reset, _, _, limited) = app.rate_hit(class, !control);
            let result = if limited {
                Err(rate_limited(class, reset))
            } else {
                match authenticate(&mut ctx) {
                    Ok(()) => crate::routes::route(&mut ctx).await,
                    Err(e) => Err(e),
                }
            };
            result.unwrap_or_else(ApiError::into_response)
        }
    };

    let (remaining, reset, quota, window, _) = app.rate_hit(class, false);
    if !resp.headers().contains_key("ratelimit") {
        set_header(&mut resp, "ratelimit", &format!("\"{class}\";r={remaining};t={reset}"));
    }
    set_header(&mut resp, "ratelimit-policy", &format!("\"fixed window\";\"{class}\";q={quota};w={window}"));
    set_header(&mut resp, "x-request-id", &format!("Root=1-emulator-{:08x}", rec.seq));

    rec.status = Some(resp.status().as_u16());
    rec.error_code = resp.headers().get("x-error-code").and_then(|v| v.to_str().ok()).map(str::to_string);
    rec.bytes_received = ctx.bytes_received;
    rec.user = ctx.user.as_ref().map(|u| u.name.clone());
    if !control {
        app.record(rec);
    }
    Ok(resp)
}

fn fault_name(k: FaultKind) -> &'static str {
    match k {
        FaultKind::Status => "status",
        FaultKind::Drop => "drop",
        FaultKind::SseCut => "sse_cut",
        FaultKind::Delay => "delay",
        FaultKind::LfsTransfer => "lfs_transfer",
    }
}

fn fault_status_response(f: &FaultRule, class: &str) -> Resp {
    let status = StatusCode::from_u16(f.status.unwrap_or(500)).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let retry = f.retry_after.unwrap_or(1);
    let (code, msg) = match status.as_u16() {
        429 => ("RateLimited", "Rate limit exceeded (emulator fault injection)".to_string()),
        503 => ("ServiceUnavailable", "Service temporarily unavailable (emulator fault injection)".to_string()),
        500 => ("InternalError", "Internal Error (emulator fault injection)".to_string()),
        s => ("InjectedFault", format!("Injected fault {s}")),
    };
    let mut e = ApiError::new(status, code, msg);
    if status.as_u16() == 429 {
        e = e.with_header("ratelimit", format!("\"{class}\";r=0;t={retry}")).with_header("retry-after", retry.to_string());
    } else if status.as_u16() == 503 {
        e = e.with_header("retry-after", retry.to_string());
    }
    e.into_response()
}

fn rate_limited(class: &str, reset: u64) -> ApiError {
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "RateLimited",
        format!("You have exceeded the rate limit for the \"{class}\" resource class; retry in {reset} s"),
    )
    .with_header("ratelimit", format!("\"{class}\";r=0;t={reset}"))
    .with_header("retry-after", reset.to_string())
}

fn authenticate(ctx: &mut Ctx) -> Result<(), ApiError> {
    if token_exempt(&ctx.path) {
        return Ok(());
    }
    let Some(value) = ctx.header("authorization") else { return Ok(()) };
    let token = value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")).unwrap_or("").trim();
    match ctx.app.user_by_token(token) {
        Some(u) if !token.is_empty() => {
            ctx.user = Some(u.clone());
            Ok(())
        }
        _ => match crate::oauth::issued(&ctx.app, token)
            .and_then(|i| Some((ctx.app.users.iter().find(|u| u.name == i.user)?.clone(), i)))
        {
            // A token from `/oauth/token` (a login or a Trusted Publishers exchange), still valid.
            Some((u, i)) if !token.is_empty() => {
                ctx.user = Some(u);
                ctx.token_scope = i.scope;
                Ok(())
            }
            _ => Err(ApiError::unauthorized("Invalid credentials in Authorization header")),
        },
    }
}

/// Hub and CDN base URLs as the client addressed the Hub (so `localhost` stays `localhost`).
fn bases(app: &App, host: Option<&str>) -> (String, String) {
    let hub = match host {
        Some(h) if !h.is_empty() => h.to_string(),
        _ => app.addr.to_string(),
    };
    let hostname = match hub.rsplit_once(':') {
        Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h.to_string(),
        _ => hub.clone(),
    };
    (format!("http://{hub}"), format!("http://{hostname}:{}", app.cdn_addr.port()))
}

/// A bound, not yet serving emulator.
pub struct Server {
    app: Arc<App>,
    hub: TcpListener,
    cdn: TcpListener,
    shutdown_tx: watch::Sender<bool>,
}

impl Server {
    /// Binds both listeners and loads the state (from `--data-dir` when given).
    pub async fn bind(config: Config) -> io::Result<Server> {
        let hub = TcpListener::bind(config.addr).await?;
        let addr = hub.local_addr()?;
        let cdn = TcpListener::bind(config.cdn_addr.unwrap_or(SocketAddr::new(addr.ip(), 0))).await?;
        let cdn_addr = cdn.local_addr()?;
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let app = Arc::new(App::new(&config, addr, cdn_addr, shutdown_rx)?);
        Ok(Server { app, hub, cdn, shutdown_tx })
    }

    pub fn addr(&self) -> SocketAddr {
        self.app.addr
    }

    pub fn cdn_addr(&self) -> SocketAddr {
        self.app.cdn_addr
    }

    /// Serves until `shutdown` resolves, then closes every connection and stops simulations.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> io::Result<()> {
        let Server { app, hub, cdn, shutdown_tx } = self;
        crate::sim::resume_all(&app);
        let mut conns: JoinSet<()> = JoinSet::new();
        tokio::pin!(shutdown);
        loop {
            let (accepted, listener) = tokio::select! {
                r = hub.accept() => (r, "hub"),
                r = cdn.accept() => (r, "cdn"),
                _ = &mut shutdown => break,
                Some(_) = conns.join_next(), if !conns.is_empty() => continue,
            };
            let (stream, _peer) = match accepted {
                Ok(x) => x,
                Err(e) => {
                    crate::util::log_err(&format!("accept failed: {e}"));
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            let app = app.clone();
            conns.spawn(async move {
                let svc = service_fn(move |req| handle(app.clone(), listener, req));
                let _ = http1::Builder::new().keep_alive(true).serve_connection(TokioIo::new(stream), svc).await;
            });
        }
        let _ = shutdown_tx.send(true);
        conns.abort_all();
        while conns.join_next().await.is_some() {}
        let st = app.lock();
        app.persist(&st);
        Ok(())
    }
}

/// Binds and serves until `shutdown` resolves; `on_bound` gets the Hub and CDN addresses first.
pub async fn serve(
    config: Config,
    on_bound: impl FnOnce(SocketAddr, SocketAddr),
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let server = Server::bind(config).await?;
    on_bound(server.addr(), server.cdn_addr());
    server.run(shutdown).await
}

/// An emulator running on its own thread and runtime, for synchronous tests. Dropping it shuts it down.
pub struct Emulator {
    addr: SocketAddr,
    cdn_addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<io::Result<()>>>,
}

impl Emulator {
    pub fn spawn(config: Config) -> io::Result<Emulator> {
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<io::Result<(SocketAddr, SocketAddr)>>();
        let thread = std::thread::Builder::new().name("hub-emulator".into()).spawn(move || -> io::Result<()> {
            let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
            let result = rt.block_on(async move {
                let server = match Server::bind(config).await {
                    Ok(s) => s,
                    Err(e) => {
                        let kind = e.kind();
                        let _ = ready_tx.send(Err(io::Error::new(kind, e.to_string())));
                        return Err(e);
                    }
                };
                let _ = ready_tx.send(Ok((server.addr(), server.cdn_addr())));
                server
                    .run(async move {
                        let _ = stop_rx.await;
                    })
                    .await
            });
            rt.shutdown_timeout(Duration::from_secs(2));
            result
        })?;
        let (addr, cdn_addr) = ready_rx.recv().map_err(|_| io::Error::other("emulator thread exited before binding"))??;
        Ok(Emulator { addr, cdn_addr, stop: Some(stop_tx), thread: Some(thread) })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn cdn_addr(&self) -> SocketAddr {
        self.cdn_addr
    }

    /// `http://127.0.0.1:PORT`, the value for `HF_ENDPOINT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops the server and waits for it (state is persisted first when `--data-dir` is set).
    pub fn shutdown(mut self) -> io::Result<()> {
        self.stop_and_join()
    }

    fn stop_and_join(&mut self) -> io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.thread.take() {
            Some(t) => t.join().map_err(|_| io::Error::other("emulator thread panicked"))?,
            None => Ok(()),
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.stop_and_join();
    }
}
