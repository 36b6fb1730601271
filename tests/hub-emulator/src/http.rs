//! HTTP plumbing shared by all handlers: the response body type (full or streamed through a channel), JSON and
//! error responses in the Hub's conventions (reference §0.2: `X-Error-Code`, `X-Error-Message`, `{"error": ...}`).

use std::convert::Infallible;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, combinators::BoxBody};
use hyper::body::{Body as HttpBody, Frame};
use hyper::header::{HeaderName, HeaderValue};
use hyper::{Response, StatusCode};
use serde_json::Value;
use tokio::sync::mpsc;

pub type Body = BoxBody<Bytes, io::Error>;
pub type Resp = Response<Body>;

pub fn full(data: impl Into<Bytes>) -> Body {
    Full::new(data.into()).map_err(|never: Infallible| match never {}).boxed()
}

pub fn empty() -> Body {
    full(Bytes::new())
}

/// A body fed by a task through a channel. Sending an `Err` aborts the response mid-way: hyper then closes the
/// connection without finishing the chunked encoding, which is how the emulator cuts streams.
pub struct ChannelBody {
    rx: mpsc::Receiver<Result<Bytes, io::Error>>,
}

impl ChannelBody {
    /// The sending half for the producing task, and the body to put in the response.
    pub fn channel(capacity: usize) -> (mpsc::Sender<Result<Bytes, io::Error>>, Body) {
        let (tx, rx) = mpsc::channel(capacity);
        (tx, ChannelBody { rx }.boxed())
    }
}

impl HttpBody for ChannelBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        match self.rx.poll_recv(cx) {
            Poll::Ready(Some(Ok(b))) => Poll::Ready(Some(Ok(Frame::data(b)))),
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(e))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }
}

pub fn json_response(status: StatusCode, value: &Value) -> Resp {
    let body = serde_json::to_vec(value).unwrap_or_default();
    let mut r = Response::new(full(body));
    *r.status_mut() = status;
    r.headers_mut().insert("content-type", HeaderValue::from_static("application/json; charset=utf-8"));
    r
}

pub fn ok_json(value: Value) -> Result<Resp, ApiError> {
    Ok(json_response(StatusCode::OK, &value))
}

pub fn set_header(resp: &mut Resp, name: &str, value: &str) {
    if let (Ok(n), Ok(v)) = (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(value)) {
        resp.headers_mut().insert(n, v);
    }
}

pub fn append_header(resp: &mut Resp, name: &str, value: &str) {
    if let (Ok(n), Ok(v)) = (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(value)) {
        resp.headers_mut().append(n, v);
    }
}

/// An error answered in the Hub's shape. `code` goes to `X-Error-Code`; clients key on `RepoNotFound`,
/// `RevisionNotFound`, `EntryNotFound` and `GatedRepo`, the other codes are informative.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub headers: Vec<(String, String)>,
    /// Extra top-level fields merged into the JSON body (e.g. `url` on a 409 create).
    pub extra: Option<Value>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError { status, code, message: message.into(), headers: Vec::new(), extra: None }
    }
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "BadRequest", message)
    }
    pub fn repo_not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "RepoNotFound", "Repository not found")
    }
    pub fn revision_not_found(rev: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "RevisionNotFound", format!("Invalid rev id: {rev}"))
    }
    pub fn entry_not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "EntryNotFound", message)
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "Forbidden", message)
    }
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "Unauthorized", message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "NotFound", message)
    }
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "Conflict", message)
    }
    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_string(), value.into()));
        self
    }
    pub fn with_extra(mut self, extra: Value) -> Self {
        self.extra = Some(extra);
        self
    }

    pub fn into_response(self) -> Resp {
        let mut body = serde_json::json!({ "error": self.message });
        if let (Some(Value::Object(extra)), Value::Object(b)) = (self.extra, &mut body) {
            for (k, v) in extra {
                b.insert(k, v);
            }
        }
        let mut r = json_response(self.status, &body);
        set_header(&mut r, "x-error-code", self.code);
        // Header values must be visible ASCII; keep the message readable but safe.
        let header_msg: String =
            self.message.chars().map(|c| if c.is_ascii() && !c.is_ascii_control() { c } else { ' ' }).collect();
        set_header(&mut r, "x-error-message", &header_msg);
        for (k, v) in &self.headers {
            set_header(&mut r, k, v);
        }
        r
    }
}

impl From<io::Error> for ApiError {
    fn from(e: io::Error) -> Self {
        if let Some(bad) = e.get_ref().and_then(|r| r.downcast_ref::<crate::store::BadDigest>()) {
            return ApiError::new(StatusCode::BAD_REQUEST, "BadDigest", bad.0.clone());
        }
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "InternalError", format!("emulator I/O error: {e}"))
    }
}
