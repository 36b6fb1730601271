//! Hugging Face Hub client for Spaces (DESIGN §5, §7; protocol in `reference/hub-api.md`).
//!
//! - [`auth`]: token and endpoint resolution identical to huggingface_hub ([`AuthService`]).
//! - [`client`]: the blocking HTTP layer with bounded retries and error mapping ([`HubClient`]).
//! - [`api`]: every Space call behind the [`HubApi`] trait.
//! - [`plan`] and [`mod@upload`]: incremental, atomic folder uploads (preupload → LFS → one NDJSON commit).
//! - [`logs`]: SSE build/run logs with reconnect, and the stage watcher ([`LogService`]).
//!
//! Errors are [`HubError`]s with a stable `kind()` and `code()`; no token ever appears in them.

#![warn(missing_docs)]

pub mod api;
pub mod auth;
pub mod client;
pub mod clock;
pub mod config;
pub mod error;
pub mod hash;
pub mod id;
pub mod logs;
mod ndjson;
pub mod oauth;
pub mod plan;
pub mod retry;
pub mod sse;
pub mod timing;
pub mod types;
pub mod upload;
mod url;
pub mod watch;

pub use api::{HubApi, LogKind, LogRoute, LogStream};
pub use auth::{AuthService, EnvAuth, ResolvedToken, Token, TokenSource};
pub use client::HubClient;
pub use clock::{Clock, ManualClock, ScaledClock, SystemClock};
pub use config::HubConfig;
pub use error::{ErrorKind, HubError, Result};
pub use id::SpaceId;
pub use logs::{HubLogs, LogQuery, LogService, LogSource, StreamEnd, StreamOptions};
pub use plan::{PlanOptions, UploadPlan};
pub use sse::LogLine;
pub use types::*;
pub use upload::{CommitOptions, UploadEvent, UploadReport, upload, upload_with_progress};
pub use watch::{WaitOptions, WaitOutcome, WatchEvent};
