//! The blocking HTTP layer: one `ureq` agent, the auth header, bounded retries (see [`crate::retry`]),
//! redirects that never carry the token to another origin, and the mapping of Hub answers to [`HubError`].

use std::io::{self, Read};
use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use ureq::http::{Request, Response};

use crate::auth::{AuthService, ResolvedToken, Token, TokenSource};
use crate::clock::{Clock, SystemClock};
use crate::config::HubConfig;
use crate::error::{ErrorKind, HubError};
use crate::retry::{AttemptFailure, Decision, RetryNotice, decide, server_wait};
use crate::url::{origin, resolve_location};

/// A response whose status is below 400.
pub(crate) type HttpResponse = Response<ureq::Body>;

/// Largest error body we read (enough for any JSON error message).
const ERROR_BODY_LIMIT: u64 = 64 * 1024;
/// Largest JSON answer we accept (tree pages, runtime, info...).
const JSON_LIMIT: u64 = 256 * 1024 * 1024;
/// Redirect hops followed for GET/HEAD.
const MAX_REDIRECTS: u32 = 5;

/// Which credentials a call carries.
#[derive(Clone, Copy)]
pub(crate) enum Auth<'a> {
    /// The Hub token, if one is configured.
    Hub,
    /// Nothing: presigned storage URLs must never see the token.
    None,
    /// Another bearer token (the Space JWT on the logs host).
    Bearer(&'a Token),
}

/// A reader factory: called once per attempt, so retries resend the body from the start.
pub(crate) type OpenBody<'a> = dyn Fn() -> io::Result<Box<dyn Read + Send + 'a>> + Sync + 'a;

/// A request body.
pub(crate) enum Payload<'a> {
    Empty,
    Owned(Vec<u8>, &'static str),
    Stream { content_type: &'static str, len: u64, open: &'a OpenBody<'a> },
}

/// When a failed attempt may be repeated.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum RetryMode {
    /// Safe to repeat: retry statuses and transport errors.
    Idempotent,
    /// Not idempotent: only when the connection failed before a byte was sent.
    ConnectOnly,
}

/// What the call does, to pick the right error for ambiguous statuses.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum CallKind {
    /// Reads or writes one repo (401 means "not found" unless the token is invalid).
    Repo,
    /// `POST /api/repos/create` (409 means "already exists").
    Create,
    /// Hardware requests (400 means "invalid hardware").
    Hardware,
    /// Anything else.
    Other,
}

/// One logical request.
pub(crate) struct Call<'a> {
    pub method: &'static str,
    pub url: String,
    pub auth: Auth<'a>,
    pub payload: Payload<'a>,
    pub retry: RetryMode,
    pub kind: CallKind,
    pub op: String,
    pub headers: Vec<(String, String)>,
    pub read_timeout: Option<Duration>,
}

impl<'a> Call<'a> {
    /// GET/HEAD/PUT/DELETE are idempotent; POST is not unless marked so.
    pub fn new(method: &'static str, url: String, op: impl Into<String>) -> Call<'a> {
        let retry = if method == "POST" { RetryMode::ConnectOnly } else { RetryMode::Idempotent };
        Call {
            method,
            url,
            auth: Auth::Hub,
            payload: Payload::Empty,
            retry,
            kind: CallKind::Repo,
            op: op.into(),
            headers: Vec::new(),
            read_timeout: None,
        }
    }

    pub fn json(mut self, body: &impl serde::Serialize) -> Call<'a> {
        self.payload = Payload::Owned(serde_json::to_vec(body).expect("serialisable"), "application/json");
        self
    }

    pub fn payload(mut self, p: Payload<'a>) -> Call<'a> {
        self.payload = p;
        self
    }

    pub fn auth(mut self, a: Auth<'a>) -> Call<'a> {
        self.auth = a;
        self
    }

    pub fn retry(mut self, r: RetryMode) -> Call<'a> {
        self.retry = r;
        self
    }

    pub fn kind(mut self, k: CallKind) -> Call<'a> {
        self.kind = k;
        self
    }

    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Call<'a> {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn read_timeout(mut self, d: Duration) -> Call<'a> {
        self.read_timeout = Some(d);
        self
    }
}

/// The Hub's HTTP client: endpoint, token, retry policy and clock. Cheap to share (`Arc`).
pub struct HubClient {
    agent: ureq::Agent,
    /// Never reuses a connection: for calls that must not be repeated, a pooled connection the server just
    /// closed would turn into an ambiguous failure; a fresh one fails only before anything was sent.
    fresh: ureq::Agent,
    config: HubConfig,
    token: Option<ResolvedToken>,
    token_locations: String,
    clock: Arc<dyn Clock>,
    on_retry: Option<RetryHook>,
}

/// Told about every retry sleep before it starts.
pub type RetryHook = Arc<dyn Fn(&RetryNotice<'_>) + Send + Sync>;

impl std::fmt::Debug for HubClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HubClient").field("config", &self.config).field("token", &self.token).finish_non_exhaustive()
    }
}

/// The parts of an error answer that matter.
#[derive(Debug, Default)]
struct ErrorAnswer {
    code: Option<String>,
    message: Option<String>,
    request_id: Option<String>,
    rate_limit: Option<String>,
    retry_after: Option<String>,
    body: String,
}

impl HubClient {
    /// A client for `config`, sending `token` (if any) to the Hub only.
    pub fn new(config: HubConfig, token: Option<ResolvedToken>) -> HubClient {
        let build = |pooled: bool| -> ureq::Agent {
            let mut b = ureq::Agent::config_builder()
                .http_status_as_error(false)
                // We follow redirects ourselves so the token never leaves the Hub's origin.
                .max_redirects(0)
                .max_redirects_will_error(false)
                .timeout_connect(Some(config.connect_timeout))
                .timeout_per_read(Some(config.read_timeout))
                .user_agent(config.user_agent.as_str());
            if !pooled {
                b = b.max_idle_connections(0).max_idle_connections_per_host(0);
            }
            b.build().into()
        };
        let (agent, fresh) = (build(true), build(false));
        HubClient {
            agent,
            fresh,
            config,
            token,
            token_locations: "the HF_TOKEN and HUGGING_FACE_HUB_TOKEN environment variables, then $HF_HOME/token".into(),
            clock: Arc::new(SystemClock::new()),
            on_retry: None,
        }
    }

    /// A client for the endpoint and token an [`AuthService`] resolves (no token is fine for public reads).
    pub fn from_auth(auth: &dyn AuthService) -> Result<HubClient, HubError> {
        let token = auth.resolve_token()?;
        Ok(HubClient::new(HubConfig::from_auth(auth), token).with_token_locations(auth.token_locations()))
    }

    /// Calls `hook` before every retry sleep (a CLI prints how long it waits and why).
    pub fn with_retry_notice(mut self, hook: RetryHook) -> HubClient {
        self.on_retry = Some(hook);
        self
    }

    /// Uses `clock` for every sleep (tests pass a virtual clock).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> HubClient {
        self.clock = clock;
        self
    }

    /// The text used in "no token"/"bad token" hints.
    pub fn with_token_locations(mut self, locations: String) -> HubClient {
        self.token_locations = locations;
        self
    }

    /// The configuration.
    pub fn config(&self) -> &HubConfig {
        &self.config
    }

    /// The clock used for sleeps.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// Where the token came from, if there is one.
    pub fn token_source(&self) -> Option<&TokenSource> {
        self.token.as_ref().map(|t| &t.source)
    }

    /// `{endpoint}{path}`.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.config.endpoint)
    }

    /// Sends with retries; answers below 400 are returned, everything else becomes a [`HubError`].
    pub(crate) fn send(&self, call: &Call<'_>) -> Result<HttpResponse, HubError> {
        let secret = self.secret(call);
        self.send_inner(call).map_err(|e| match secret {
            Some(s) => e.redact(s),
            None => e,
        })
    }

    /// Sends and parses a JSON answer.
    pub(crate) fn json<T: DeserializeOwned>(&self, call: &Call<'_>) -> Result<T, HubError> {
        let resp = self.send(call)?;
        read_json(resp, &call.op)
    }

    /// Sends and discards the answer body.
    pub(crate) fn ok(&self, call: &Call<'_>) -> Result<(), HubError> {
        let mut resp = self.send(call)?;
        let _ = resp.body_mut().with_config().limit(JSON_LIMIT).read_to_vec();
        Ok(())
    }

    fn secret<'c>(&'c self, call: &'c Call<'_>) -> Option<&'c str> {
        match call.auth {
            Auth::Bearer(t) => Some(t.expose()),
            _ => self.token.as_ref().map(|t| t.token.expose()),
        }
    }

    fn send_inner(&self, call: &Call<'_>) -> Result<HttpResponse, HubError> {
        let mut retries = 0u32;
        let mut slept = Duration::ZERO;
        let mut url = call.url.clone();
        let mut with_auth = true;
        let mut redirects = 0u32;
        loop {
            let failure = match self.attempt(call, &url, with_auth) {
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let get = matches!(call.method, "GET" | "HEAD");
                    if (300..400).contains(&status)
                        && get
                        && redirects < MAX_REDIRECTS
                        && let Some(loc) = header(&resp, "location")
                    {
                        let next = resolve_location(&url, loc);
                        // Never forward credentials to another origin (e.g. the LFS CDN).
                        with_auth &= origin(&next) == origin(&url);
                        url = next;
                        redirects += 1;
                        continue;
                    }
                    if status < 400 {
                        return Ok(resp);
                    }
                    let answer = read_error(resp);
                    let f = AttemptFailure {
                        status: Some(status),
                        rate_limit: answer.rate_limit.clone(),
                        retry_after: answer.retry_after.clone(),
                    };
                    let decision = match call.retry {
                        RetryMode::Idempotent => decide(&self.config.retry, retries, slept, &f),
                        RetryMode::ConnectOnly => Decision::GiveUp,
                    };
                    match decision {
                        Decision::Retry(d) => (d, Some(status), server_wait(&f).is_some()),
                        Decision::GiveUp => return Err(self.status_error(call, status, answer, retries + 1, &f)),
                    }
                }
                Err(e) => {
                    let allowed = call.retry == RetryMode::Idempotent || is_connect_error(&e);
                    let decision = if allowed {
                        decide(&self.config.retry, retries, slept, &AttemptFailure::default())
                    } else {
                        Decision::GiveUp
                    };
                    match decision {
                        Decision::Retry(d) => (d, None, false),
                        Decision::GiveUp => return Err(self.transport_error(call, &url, e, retries + 1)),
                    }
                }
            };
            let (failure, status, server_asked) = failure;
            if let Some(hook) = &self.on_retry {
                hook(&RetryNotice { op: &call.op, status, wait: failure, next_attempt: retries + 2, server_asked });
            }
            self.clock.sleep(failure);
            slept += failure;
            retries += 1;
        }
    }

    fn attempt(&self, call: &Call<'_>, url: &str, with_auth: bool) -> Result<HttpResponse, ureq::Error> {
        let mut b = Request::builder().method(call.method).uri(url);
        if with_auth {
            match call.auth {
                Auth::Hub => {
                    if let Some(t) = &self.token {
                        b = b.header("authorization", format!("Bearer {}", t.token.expose()));
                    }
                }
                Auth::Bearer(t) => b = b.header("authorization", format!("Bearer {}", t.expose())),
                Auth::None => {}
            }
        }
        for (k, v) in &call.headers {
            b = b.header(k.as_str(), v.as_str());
        }
        let timeout = call.read_timeout.unwrap_or(self.config.read_timeout);
        let agent = if call.retry == RetryMode::ConnectOnly { &self.fresh } else { &self.agent };
        match &call.payload {
            Payload::Empty => {
                let req = b.body(()).map_err(ureq::Error::from)?;
                agent.run(agent.configure_request(req).timeout_per_read(Some(timeout)).build())
            }
            Payload::Owned(data, ct) => {
                let req = b.header("content-type", *ct).body(data.as_slice()).map_err(ureq::Error::from)?;
                agent.run(agent.configure_request(req).timeout_per_read(Some(timeout)).build())
            }
            Payload::Stream { content_type, len, open } => {
                let mut reader = open()?;
                let body = ureq::SendBody::from_reader(&mut reader);
                let req = b
                    .header("content-type", *content_type)
                    .header("content-length", len.to_string())
                    .body(body)
                    .map_err(ureq::Error::from)?;
                agent.run(agent.configure_request(req).timeout_per_read(Some(timeout)).build())
            }
        }
    }

    fn transport_error(&self, call: &Call<'_>, url: &str, e: ureq::Error, attempts: u32) -> HubError {
        let host = origin(url).unwrap_or(url).to_string();
        let what = match &e {
            ureq::Error::Timeout(_) => "the connection timed out".to_string(),
            ureq::Error::HostNotFound => format!("the host of {host} was not found"),
            _ => format!("the connection to {host} failed ({e})"),
        };
        let tries = if attempts > 1 { format!(" (after {attempts} attempts)") } else { String::new() };
        HubError::new(ErrorKind::Network, &call.op, format!("{what}{tries}"))
            .with_hint(format!("check the network connection and HF_ENDPOINT (now {}), then try again", self.config.endpoint))
            .with_source(e)
    }

    fn status_error(&self, call: &Call<'_>, status: u16, a: ErrorAnswer, attempts: u32, f: &AttemptFailure) -> HubError {
        let msg = a.message.clone().unwrap_or_default();
        let said =
            if msg.is_empty() { format!("the Hub answered {status}") } else { format!("the Hub answered {status}: {msg}") };
        let had_token = match call.auth {
            Auth::Hub => self.token.is_some(),
            Auth::Bearer(_) => true,
            Auth::None => false,
        };
        let token_from = match (&call.auth, self.token_source()) {
            (Auth::Hub, Some(s)) => s.to_string(),
            (Auth::Bearer(_), _) => "the Space JWT".to_string(),
            _ => "nowhere (no token was sent)".to_string(),
        };
        let code = a.code.as_deref().unwrap_or("");
        let e = if code == "RepoNotFound" || (status == 401 && call.kind == CallKind::Repo && had_token && msg != BAD_CREDENTIALS)
        {
            let hint = if had_token {
                format!(
                    "check the Space id; if the Space is private, use a token of its owner (the token came from {token_from})"
                )
            } else {
                format!(
                    "no token was sent; if the Space is private, set HF_TOKEN (tokens are looked for in {})",
                    self.token_locations
                )
            };
            HubError::new(
                ErrorKind::SpaceNotFound,
                &call.op,
                "the Space does not exist, or it is private and this token cannot see it (the Hub answers 404 for both)",
            )
            .with_hint(hint)
        } else if code == "RevisionNotFound" {
            HubError::new(ErrorKind::RevisionNotFound, &call.op, said).with_hint("check the branch or commit name")
        } else if code == "EntryNotFound" {
            HubError::new(ErrorKind::EntryNotFound, &call.op, said)
        } else if code == "GatedRepo" {
            HubError::new(ErrorKind::NoPermission, &call.op, said).with_hint("request access to the gated repo on the Hub")
        } else if msg == "Access to this resource is disabled." {
            HubError::new(ErrorKind::Disabled, &call.op, "the Hub has disabled this Space")
        } else if status == 401 && (msg == BAD_CREDENTIALS || had_token) {
            HubError::new(ErrorKind::BadToken, &call.op, format!("the Hub rejected the token from {token_from}")).with_hint(
                format!(
                    "check the token or create a new one at {}/settings/tokens; tokens are looked for in {}",
                    self.config.endpoint, self.token_locations
                ),
            )
        } else if status == 401 {
            HubError::new(ErrorKind::NoToken, &call.op, "this call needs a Hugging Face token and none was found")
                .with_hint(format!("set HF_TOKEN or run `hf auth login` (tokens are looked for in {})", self.token_locations))
        } else if status == 403 {
            HubError::new(ErrorKind::NoPermission, &call.op, said).with_hint(format!(
                "use a token with write access that belongs to the Space's owner (the token came from {token_from})"
            ))
        } else if status == 402 {
            HubError::new(ErrorKind::PaymentRequired, &call.op, said)
                .with_hint("use the static SDK on free hardware, pick paid hardware, or upgrade the account")
        } else if status == 409 && call.kind == CallKind::Create {
            HubError::new(ErrorKind::AlreadyExists, &call.op, said).with_hint("pick another name, or allow an existing Space")
        } else if status == 409 || status == 412 {
            HubError::new(ErrorKind::Conflict, &call.op, format!("the Space changed concurrently ({said})"))
                .with_hint("someone else committed meanwhile; run the command again to plan against the new state")
        } else if (status == 400 || status == 422)
            && (call.kind == CallKind::Hardware || {
                let m = msg.to_ascii_lowercase();
                m.contains("hardware") || m.contains("flavor")
            })
        {
            HubError::new(ErrorKind::InvalidHardware, &call.op, said)
                .with_hint("list the valid hardware names with GET /api/spaces/hardware (`hf spaces hardware`)")
        } else if status == 400 || status == 422 || status == 413 {
            HubError::new(ErrorKind::InvalidInput, &call.op, said)
        } else if status == 429 {
            let wait = server_wait(f).map(|d| d.as_secs()).unwrap_or(60);
            HubError::new(
                ErrorKind::RateLimited,
                &call.op,
                format!("the Hub is rate limiting requests (after {attempts} attempts)"),
            )
            .with_hint(format!("wait about {wait} s and try again"))
            .with_retry_after(server_wait(f))
        } else if status == 408 || status >= 500 {
            HubError::new(ErrorKind::HubUnavailable, &call.op, format!("{said} (after {attempts} attempts)"))
                .with_hint("the Hub may be having trouble; try again later (https://status.huggingface.co)")
        } else {
            HubError::new(ErrorKind::Hub, &call.op, said)
        };
        e.with_status(status).with_request_id(a.request_id)
    }
}

/// The message huggingface_hub keys on for an invalid token.
const BAD_CREDENTIALS: &str = "Invalid credentials in Authorization header";

/// A header as text.
pub(crate) fn header<'r>(resp: &'r HttpResponse, name: &str) -> Option<&'r str> {
    resp.headers().get(name).and_then(|v| v.to_str().ok())
}

/// Parses a JSON body; a malformed one is a protocol error.
pub(crate) fn read_json<T: DeserializeOwned>(mut resp: HttpResponse, op: &str) -> Result<T, HubError> {
    let bytes = resp.body_mut().with_config().limit(JSON_LIMIT).read_to_vec().map_err(|e| {
        HubError::new(ErrorKind::Network, op, format!("the answer could not be read ({e})")).with_hint("try again")
    })?;
    serde_json::from_slice(&bytes).map_err(|e| {
        let preview: String = String::from_utf8_lossy(&bytes).chars().take(200).collect();
        HubError::new(ErrorKind::Protocol, op, format!("the Hub's answer is not the expected JSON ({e}): {preview}"))
            .with_hint("check HF_ENDPOINT points at a Hugging Face Hub")
    })
}

fn read_error(mut resp: HttpResponse) -> ErrorAnswer {
    let h = |n: &str| header(&resp, n).map(str::to_string);
    let mut a = ErrorAnswer {
        code: h("x-error-code"),
        message: h("x-error-message"),
        request_id: h("x-request-id").or_else(|| h("x-amzn-trace-id")).or_else(|| h("x-amz-cf-id")),
        rate_limit: h("ratelimit"),
        retry_after: h("retry-after"),
        body: String::new(),
    };
    let bytes = resp.body_mut().with_config().limit(ERROR_BODY_LIMIT).read_to_vec().unwrap_or_default();
    a.body = String::from_utf8_lossy(&bytes).into_owned();
    if a.message.is_none() {
        a.message = body_message(&a.body);
    }
    a
}

/// The server's error text from a JSON body (`error` string or list, `error_description`, `errors[].message`),
/// or the raw text when it is not HTML.
fn body_message(body: &str) -> Option<String> {
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(body) {
        let mut parts = Vec::new();
        match v.get("error") {
            Some(serde_json::Value::String(s)) => parts.push(s.clone()),
            Some(serde_json::Value::Array(a)) => parts.extend(a.iter().filter_map(|x| x.as_str().map(str::to_string))),
            _ => {}
        }
        if let Some(d) = v.get("error_description").and_then(|x| x.as_str()) {
            parts.push(d.to_string());
        }
        if let Some(errs) = v.get("errors").and_then(|x| x.as_array()) {
            parts.extend(errs.iter().filter_map(|e| e.get("message").and_then(|m| m.as_str()).map(str::to_string)));
        }
        return (!parts.is_empty()).then(|| parts.join("; "));
    }
    let t = body.trim();
    let html = t.starts_with('<');
    (!t.is_empty() && !html).then(|| t.chars().take(500).collect())
}

/// Connection set-up failures: nothing reached the server, so even a commit may be retried.
fn is_connect_error(e: &ureq::Error) -> bool {
    match e {
        ureq::Error::ConnectionFailed | ureq::Error::HostNotFound => true,
        ureq::Error::Timeout(t) => matches!(t, ureq::Timeout::Connect | ureq::Timeout::Resolve),
        ureq::Error::Io(io) => io.kind() == io::ErrorKind::ConnectionRefused,
        _ => false,
    }
}

/// Whether an I/O error from a response body is a read timeout (silence), not a broken connection.
pub(crate) fn is_timeout(e: &io::Error) -> bool {
    if matches!(e.kind(), io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock) {
        return true;
    }
    e.get_ref().and_then(|inner| inner.downcast_ref::<ureq::Error>()).is_some_and(|u| matches!(u, ureq::Error::Timeout(_)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_messages() {
        assert_eq!(body_message(r#"{"error":"nope"}"#).as_deref(), Some("nope"));
        assert_eq!(body_message(r#"{"error":["a","b"],"error_description":"c"}"#).as_deref(), Some("a; b; c"));
        assert_eq!(body_message(r#"{"errors":[{"message":"m"}]}"#).as_deref(), Some("m"));
        assert_eq!(body_message("<html>x</html>"), None);
        assert_eq!(body_message("plain"), Some("plain".into()));
    }
}
