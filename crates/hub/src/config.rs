//! The one configuration layer for Hub access: endpoints, timeouts, retry bounds, thresholds.

use std::time::Duration;

use crate::auth::AuthService;
use crate::retry::RetryPolicy;

/// The real logs host (reference §4.6: JWT-authenticated `https://api.hf.space/v1/{ns}/{name}/logs/{kind}`).
pub const HF_LOGS_HOST: &str = "https://api.hf.space";

/// Files at or above this size always go through LFS (reference §3.1).
pub const DEFAULT_LFS_THRESHOLD: u64 = 10 * 1024 * 1024;

/// Settings shared by every Hub call.
#[derive(Debug, Clone, PartialEq)]
pub struct HubConfig {
    /// Hub endpoint without trailing `/`.
    pub endpoint: String,
    /// Base URL of the logs host used by the JWT log route.
    pub logs_host: String,
    /// `User-Agent` header.
    pub user_agent: String,
    /// Retry bounds for idempotent calls.
    pub retry: RetryPolicy,
    /// TCP connect timeout.
    pub connect_timeout: Duration,
    /// Longest silence on a socket read for API calls (log streams set their own).
    pub read_timeout: Duration,
    /// Parallel LFS transfers (files or parts).
    pub lfs_concurrency: usize,
    /// Local LFS decision for planning (the Hub's preupload answer is authoritative).
    pub lfs_threshold: u64,
}

impl HubConfig {
    /// Defaults for `endpoint` (trailing `/` stripped); the logs host is derived with [`default_logs_host`].
    pub fn new(endpoint: &str) -> HubConfig {
        let endpoint = endpoint.trim_end_matches('/').to_string();
        HubConfig {
            logs_host: default_logs_host(&endpoint),
            endpoint,
            user_agent: format!("spacesmith/{}", env!("CARGO_PKG_VERSION")),
            retry: RetryPolicy::default(),
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(60),
            lfs_concurrency: 4,
            lfs_threshold: DEFAULT_LFS_THRESHOLD,
        }
    }

    /// Defaults for the endpoint an [`AuthService`] resolves (`HF_ENDPOINT`).
    pub fn from_auth(auth: &dyn AuthService) -> HubConfig {
        HubConfig::new(&auth.endpoint())
    }
}

/// `https://api.hf.space` for the public Hub (and its staging twin); any other endpoint is assumed to
/// serve the logs host under `{endpoint}/logs-host`, as the hub emulator does.
pub fn default_logs_host(endpoint: &str) -> String {
    let e = endpoint.trim_end_matches('/');
    if e == crate::auth::DEFAULT_ENDPOINT || e == crate::auth::STAGING_ENDPOINT {
        HF_LOGS_HOST.to_string()
    } else {
        format!("{e}/logs-host")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logs_host_defaults() {
        assert_eq!(HubConfig::new("https://huggingface.co/").logs_host, HF_LOGS_HOST);
        let c = HubConfig::new("http://127.0.0.1:5/");
        assert_eq!(c.endpoint, "http://127.0.0.1:5");
        assert_eq!(c.logs_host, "http://127.0.0.1:5/logs-host");
    }
}
