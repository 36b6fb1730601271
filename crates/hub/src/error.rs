//! One error model for every Hub call: a stable [`ErrorKind`] (with a `code()` for `--json` output; front ends map
//! kinds to their exit codes and HTTP statuses) plus a message that says what failed, why, and what to do.

use std::fmt;
use std::time::Duration;

/// Stable classification of a failure; `code()` strings never change once released.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The Space id is not `owner/name` with the Hub's naming rules.
    InvalidSpaceId,
    /// A value given by the user was refused (locally or by the Hub's 400).
    InvalidInput,
    /// The hardware flavor is unknown to the Hub.
    InvalidHardware,
    /// No token was found where tokens are looked for.
    NoToken,
    /// The Hub rejected the token.
    BadToken,
    /// The token file exists but cannot be read.
    TokenFileUnreadable,
    /// The token is valid but may not do this (403, gated).
    NoPermission,
    /// The plan does not allow this (402), e.g. a non-static Space on free hardware.
    PaymentRequired,
    /// The Space does not exist, or is private and not visible with this token.
    SpaceNotFound,
    /// The revision (branch, tag, commit) does not exist.
    RevisionNotFound,
    /// A file or folder does not exist at that revision.
    EntryNotFound,
    /// The repo already exists (409 on create without exist-ok).
    AlreadyExists,
    /// Someone else changed the Space concurrently (parentCommit mismatch, conflicting operation).
    Conflict,
    /// Still rate limited after the bounded retries.
    RateLimited,
    /// The Hub answered 5xx/408 after the bounded retries.
    HubUnavailable,
    /// The connection failed (refused, reset, timed out) after the bounded retries.
    Network,
    /// The Space is disabled by the Hub.
    Disabled,
    /// The LFS storage refused an object.
    Lfs,
    /// A local file changed between planning and upload.
    FileChanged,
    /// A local file or folder could not be read.
    LocalIo,
    /// The Hub answered something this client does not understand.
    Protocol,
    /// Any other Hub error.
    Hub,
    /// The folder holds Git LFS pointer files instead of their content (a checkout without LFS).
    LfsPointer,
    /// The OIDC token exchange (`HF_OIDC_RESOURCE`, Trusted Publishers) failed.
    Oidc,
    /// The LFS batch answer chose a transfer adapter this client did not offer (e.g. `xet`).
    LfsTransferUnsupported,
}

impl ErrorKind {
    /// Stable machine-readable code, e.g. `SPACE_NOT_FOUND`.
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::InvalidSpaceId => "INVALID_SPACE_ID",
            ErrorKind::InvalidInput => "INVALID_INPUT",
            ErrorKind::InvalidHardware => "INVALID_HARDWARE",
            ErrorKind::NoToken => "NO_TOKEN",
            ErrorKind::BadToken => "BAD_TOKEN",
            ErrorKind::TokenFileUnreadable => "TOKEN_FILE_UNREADABLE",
            ErrorKind::NoPermission => "NO_PERMISSION",
            ErrorKind::PaymentRequired => "PAYMENT_REQUIRED",
            ErrorKind::SpaceNotFound => "SPACE_NOT_FOUND",
            ErrorKind::RevisionNotFound => "REVISION_NOT_FOUND",
            ErrorKind::EntryNotFound => "ENTRY_NOT_FOUND",
            ErrorKind::AlreadyExists => "ALREADY_EXISTS",
            ErrorKind::Conflict => "CONFLICT",
            ErrorKind::RateLimited => "RATE_LIMITED",
            ErrorKind::HubUnavailable => "HUB_UNAVAILABLE",
            ErrorKind::Network => "NETWORK_ERROR",
            ErrorKind::Disabled => "SPACE_DISABLED",
            ErrorKind::Lfs => "LFS_ERROR",
            ErrorKind::FileChanged => "FILE_CHANGED",
            ErrorKind::LocalIo => "LOCAL_IO",
            ErrorKind::Protocol => "PROTOCOL_ERROR",
            ErrorKind::Hub => "HUB_ERROR",
            ErrorKind::LfsPointer => "LFS_POINTER_FILES",
            ErrorKind::Oidc => "OIDC_EXCHANGE_FAILED",
            ErrorKind::LfsTransferUnsupported => "LFS_TRANSFER_UNSUPPORTED",
        }
    }

    /// Every kind, for tests and documentation.
    pub const ALL: [ErrorKind; 25] = [
        ErrorKind::InvalidSpaceId,
        ErrorKind::InvalidInput,
        ErrorKind::InvalidHardware,
        ErrorKind::NoToken,
        ErrorKind::BadToken,
        ErrorKind::TokenFileUnreadable,
        ErrorKind::NoPermission,
        ErrorKind::PaymentRequired,
        ErrorKind::SpaceNotFound,
        ErrorKind::RevisionNotFound,
        ErrorKind::EntryNotFound,
        ErrorKind::AlreadyExists,
        ErrorKind::Conflict,
        ErrorKind::RateLimited,
        ErrorKind::HubUnavailable,
        ErrorKind::Network,
        ErrorKind::Disabled,
        ErrorKind::Lfs,
        ErrorKind::FileChanged,
        ErrorKind::LocalIo,
        ErrorKind::Protocol,
        ErrorKind::Hub,
        ErrorKind::LfsPointer,
        ErrorKind::Oidc,
        ErrorKind::LfsTransferUnsupported,
    ];
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A failed Hub operation. `Display` reads "{what failed}: {why}. {what to do}"; it never contains a token.
/// Boxed, so `Result<T, HubError>` stays one pointer wide on the happy path.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct HubError(Box<ErrorData>);

#[derive(Debug)]
struct ErrorData {
    kind: ErrorKind,
    op: String,
    reason: String,
    hint: Option<String>,
    status: Option<u16>,
    request_id: Option<String>,
    retry_after: Option<Duration>,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl fmt::Display for ErrorData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.op, self.reason.trim_end_matches('.'))?;
        if let Some(hint) = &self.hint {
            write!(f, ". {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ErrorData {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_ref().map(|e| e.as_ref() as &(dyn std::error::Error + 'static))
    }
}

/// Shorthand for results of this crate.
pub type Result<T, E = HubError> = std::result::Result<T, E>;

impl HubError {
    /// A new error: `op` says what failed ("create Space alice/demo"), `reason` why.
    pub fn new(kind: ErrorKind, op: impl Into<String>, reason: impl Into<String>) -> HubError {
        HubError(Box::new(ErrorData {
            kind,
            op: op.into(),
            reason: reason.into(),
            hint: None,
            status: None,
            request_id: None,
            retry_after: None,
            source: None,
        }))
    }

    /// Adds what the user can do about it.
    pub fn with_hint(mut self, hint: impl Into<String>) -> HubError {
        self.0.hint = Some(hint.into());
        self
    }

    /// Records the HTTP status the Hub answered.
    pub fn with_status(mut self, status: u16) -> HubError {
        self.0.status = Some(status);
        self
    }

    /// Records the Hub's request id (for support requests).
    pub fn with_request_id(mut self, id: Option<String>) -> HubError {
        self.0.request_id = id;
        self
    }

    /// Records how long the Hub asked us to wait.
    pub fn with_retry_after(mut self, d: Option<Duration>) -> HubError {
        self.0.retry_after = d;
        self
    }

    /// Attaches the underlying error.
    pub fn with_source(mut self, e: impl std::error::Error + Send + Sync + 'static) -> HubError {
        self.0.source = Some(Box::new(e));
        self
    }

    /// Replaces the operation description (keeps everything else).
    pub fn with_op(mut self, op: impl Into<String>) -> HubError {
        self.0.op = op.into();
        self
    }

    /// Changes the kind, e.g. a 400 on a hardware call becomes `InvalidHardware`.
    pub fn with_kind(mut self, kind: ErrorKind) -> HubError {
        self.0.kind = kind;
        self
    }

    /// The classification.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    /// Stable code, e.g. `BAD_TOKEN`.
    pub fn code(&self) -> &'static str {
        self.0.kind.code()
    }

    /// What failed.
    pub fn op(&self) -> &str {
        &self.0.op
    }

    /// Why it failed.
    pub fn reason(&self) -> &str {
        &self.0.reason
    }

    /// What to do about it, if known.
    pub fn hint(&self) -> Option<&str> {
        self.0.hint.as_deref()
    }

    /// The HTTP status, when the Hub answered.
    pub fn status(&self) -> Option<u16> {
        self.0.status
    }

    /// The Hub's request id, when it sent one.
    pub fn request_id(&self) -> Option<&str> {
        self.0.request_id.as_deref()
    }

    /// The wait the Hub asked for (rate limits).
    pub fn retry_after(&self) -> Option<Duration> {
        self.0.retry_after
    }

    /// The `{"success": false, "error_code", "message"}` object of DESIGN §5.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({ "success": false, "error_code": self.code(), "message": self.to_string() })
    }

    /// Removes every occurrence of `secret` from the texts (defence in depth: servers may echo what we sent).
    /// The source error is dropped if its text contains the secret.
    pub(crate) fn redact(mut self, secret: &str) -> HubError {
        if secret.is_empty() {
            return self;
        }
        for s in [&mut self.0.op, &mut self.0.reason] {
            if s.contains(secret) {
                *s = s.replace(secret, "[redacted]");
            }
        }
        if let Some(h) = &mut self.0.hint
            && h.contains(secret)
        {
            *h = h.replace(secret, "[redacted]");
        }
        if self.0.source.as_ref().is_some_and(|e| format!("{e} {e:?}").contains(secret)) {
            self.0.source = None;
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique() {
        let mut seen = std::collections::BTreeSet::new();
        for k in ErrorKind::ALL {
            assert!(seen.insert(k.code()), "duplicate code {}", k.code());
        }
    }

    #[test]
    fn display_has_op_reason_hint_and_redacts() {
        let e = HubError::new(ErrorKind::BadToken, "whoami", "token hf_secret was rejected.")
            .with_hint("set HF_TOKEN")
            .redact("hf_secret");
        assert_eq!(e.to_string(), "whoami: token [redacted] was rejected. set HF_TOKEN");
        assert_eq!(e.to_json()["error_code"], "BAD_TOKEN");
    }
}
