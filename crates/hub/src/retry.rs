//! Retry decisions (reference §0.3), kept pure so they are unit-tested without sockets or sleeps.
//!
//! huggingface_hub's `http_backoff`: up to 5 retries on 408/429/500/502/503/504 and transport errors, sleeping
//! 1, 2, 4, 8, 8 s; a 429 whose `RateLimit` says `r=0` sleeps `t + 1`; otherwise an integer `Retry-After`
//! sleeps that `+ 1`. The Hub's rate-limit windows are 5 minutes (hub-docs `rate-limits.md`), so a reset can
//! be up to 300 s away: one sleep may last a whole window (`t + 1` ≤ 301 s). We add two bounds Python lacks:
//! a server asking for more than a window fails at once with `RATE_LIMITED`, and the retries of one call
//! sleep at most 15 minutes in all, so a CI job never hangs. Every sleep is announced ([`RetryNotice`]).

use std::time::Duration;

/// Statuses worth retrying.
pub const RETRY_STATUSES: [u16; 6] = [408, 429, 500, 502, 503, 504];

/// Bounds of the retry loop.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// First backoff.
    pub base: Duration,
    /// Largest exponential backoff.
    pub max_backoff: Duration,
    /// Largest single sleep; a server asking for more makes us give up at once.
    pub max_wait: Duration,
    /// Largest total sleep across the retries of one call.
    pub max_total: Duration,
}

/// The Hub's rate-limit window (hub-docs `rate-limits.md`): the longest reset a `RateLimit` header names.
pub const RATE_LIMIT_WINDOW: Duration = Duration::from_secs(300);

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 5,
            base: Duration::from_secs(1),
            max_backoff: Duration::from_secs(8),
            // `t + 1` for a reset at the far end of a window.
            max_wait: RATE_LIMIT_WINDOW + Duration::from_secs(1),
            max_total: Duration::from_secs(15 * 60),
        }
    }
}

/// A retry about to sleep, so a CLI can say why it is quiet (the host prints it on stderr).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryNotice<'a> {
    /// What the call does, e.g. "prepare the upload to Space alice/demo".
    pub op: &'a str,
    /// The status that failed, or `None` for a transport error.
    pub status: Option<u16>,
    /// How long the client sleeps before the next attempt.
    pub wait: Duration,
    /// The attempt that comes next (2 for the first retry).
    pub next_attempt: u32,
    /// The server asked for the wait (`RateLimit` reset or `Retry-After`) rather than our backoff.
    pub server_asked: bool,
}

impl std::fmt::Display for RetryNotice<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let why = match self.status {
            Some(429) => "the Hub is rate limiting requests".to_string(),
            Some(s) => format!("the Hub answered {s}"),
            None => "the connection failed".to_string(),
        };
        let asked = if self.server_asked { " (as the Hub asked)" } else { "" };
        write!(f, "{}: {why}; waiting {} s{asked}, then attempt {}", self.op, self.wait.as_secs(), self.next_attempt)
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn none() -> RetryPolicy {
        RetryPolicy { max_retries: 0, ..RetryPolicy::default() }
    }
}

/// What a failed attempt looked like, as far as retrying is concerned.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AttemptFailure {
    /// The status, or `None` for a transport error.
    pub status: Option<u16>,
    /// The `RateLimit` header value.
    pub rate_limit: Option<String>,
    /// The `Retry-After` header value.
    pub retry_after: Option<String>,
}

/// The decision after a failed attempt.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Sleep this long, then try again.
    Retry(Duration),
    /// Stop and report the failure.
    GiveUp,
}

/// Whether a status is retried at all.
pub fn is_retry_status(status: u16) -> bool {
    RETRY_STATUSES.contains(&status)
}

/// `RateLimit: "api";r=0;t=12` → `(remaining, reset_seconds)`.
pub fn parse_rate_limit(value: &str) -> Option<(u64, u64)> {
    let (mut r, mut t) = (None, None);
    for part in value.split(';') {
        let part = part.trim();
        if let Some(v) = part.strip_prefix("r=") {
            r = v.trim().parse().ok();
        } else if let Some(v) = part.strip_prefix("t=") {
            t = v.trim().parse().ok();
        }
    }
    Some((r?, t?))
}

/// The sleep the server asked for, if any: `RateLimit` `r=0` on a 429 (`t + 1`), else integer `Retry-After`
/// (`+ 1`); the HTTP-date form of `Retry-After` is ignored, as in huggingface_hub.
pub fn server_wait(f: &AttemptFailure) -> Option<Duration> {
    if f.status == Some(429)
        && let Some((0, t)) = f.rate_limit.as_deref().and_then(parse_rate_limit)
    {
        // Saturating: `t=18446744073709551615` must read as "too long", not wrap to a retry at once.
        return Some(Duration::from_secs(t.saturating_add(1)));
    }
    let secs: u64 = f.retry_after.as_deref()?.trim().parse().ok()?;
    Some(Duration::from_secs(secs.saturating_add(1)))
}

/// Decides what to do after failed attempt number `retries_done + 1`, given the time already slept.
pub fn decide(policy: &RetryPolicy, retries_done: u32, slept: Duration, f: &AttemptFailure) -> Decision {
    if retries_done >= policy.max_retries || f.status.is_some_and(|s| !is_retry_status(s)) {
        return Decision::GiveUp;
    }
    let wait = server_wait(f).unwrap_or_else(|| backoff(policy, retries_done));
    if wait > policy.max_wait || slept + wait > policy.max_total {
        return Decision::GiveUp;
    }
    Decision::Retry(wait)
}

/// Exponential backoff for retry `n` (0-based): base·2ⁿ, capped.
pub fn backoff(policy: &RetryPolicy, n: u32) -> Duration {
    policy.base.saturating_mul(1u32.checked_shl(n.min(16)).unwrap_or(u32::MAX)).min(policy.max_backoff)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(s: u16) -> AttemptFailure {
        AttemptFailure { status: Some(s), ..Default::default() }
    }

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn exponential_schedule_matches_python() {
        let p = RetryPolicy::default();
        let mut slept = Duration::ZERO;
        let mut waits = Vec::new();
        for n in 0.. {
            match decide(&p, n, slept, &status(503)) {
                Decision::Retry(d) => {
                    waits.push(d.as_secs());
                    slept += d;
                }
                Decision::GiveUp => break,
            }
        }
        assert_eq!(waits, vec![1, 2, 4, 8, 8]);
    }

    #[test]
    fn rate_limit_and_retry_after() {
        let p = RetryPolicy::default();
        let f = AttemptFailure { status: Some(429), rate_limit: Some("\"api\";r=0;t=7".into()), retry_after: Some("3".into()) };
        assert_eq!(decide(&p, 0, Duration::ZERO, &f), Decision::Retry(secs(8)));
        // r > 0: the RateLimit header is informative only; Retry-After applies.
        let f = AttemptFailure { rate_limit: Some("\"api\";r=5;t=7".into()), ..f };
        assert_eq!(decide(&p, 0, Duration::ZERO, &f), Decision::Retry(secs(4)));
        // Retry-After on a 503, HTTP-date ignored.
        let f = AttemptFailure { status: Some(503), rate_limit: None, retry_after: Some("2".into()) };
        assert_eq!(decide(&p, 3, Duration::ZERO, &f), Decision::Retry(secs(3)));
        let f = AttemptFailure { retry_after: Some("Wed, 21 Oct 2015 07:28:00 GMT".into()), ..f };
        assert_eq!(decide(&p, 1, Duration::ZERO, &f), Decision::Retry(secs(2)));
    }

    #[test]
    fn bounds_and_non_retryable() {
        let p = RetryPolicy::default();
        let long = AttemptFailure { status: Some(429), rate_limit: Some("\"api\";r=0;t=3600".into()), retry_after: None };
        assert_eq!(decide(&p, 0, Duration::ZERO, &long), Decision::GiveUp);
        // A reset at the far end of the 5-minute window is honoured, and so is a 301 s Retry-After...
        let window = AttemptFailure { rate_limit: Some("\"api\";r=0;t=300".into()), ..long.clone() };
        assert_eq!(decide(&p, 0, Duration::ZERO, &window), Decision::Retry(secs(301)));
        let after = AttemptFailure { status: Some(503), rate_limit: None, retry_after: Some("300".into()) };
        assert_eq!(decide(&p, 0, Duration::ZERO, &after), Decision::Retry(secs(301)));
        // ...but not one past it, nor a sleep beyond 15 minutes in all.
        let past = AttemptFailure { retry_after: Some("301".into()), ..after };
        assert_eq!(decide(&p, 0, Duration::ZERO, &past), Decision::GiveUp);
        assert_eq!(decide(&p, 1, secs(301), &window), Decision::Retry(secs(301)));
        assert_eq!(decide(&p, 2, secs(602), &window), Decision::GiveUp);
        assert_eq!(decide(&p, 1, secs(899), &status(500)), Decision::GiveUp);
        for s in [400, 401, 403, 404, 409, 412, 501] {
            assert_eq!(decide(&p, 0, Duration::ZERO, &status(s)), Decision::GiveUp, "{s}");
        }
        assert_eq!(decide(&p, 0, Duration::ZERO, &AttemptFailure::default()), Decision::Retry(secs(1)));
        assert_eq!(decide(&RetryPolicy::none(), 0, Duration::ZERO, &status(503)), Decision::GiveUp);
    }

    #[test]
    fn notices_say_why_and_how_long() {
        let n = RetryNotice { op: "commit", status: Some(429), wait: secs(301), next_attempt: 2, server_asked: true };
        assert_eq!(n.to_string(), "commit: the Hub is rate limiting requests; waiting 301 s (as the Hub asked), then attempt 2");
        let n = RetryNotice { status: None, wait: secs(1), server_asked: false, ..n };
        assert_eq!(n.to_string(), "commit: the connection failed; waiting 1 s, then attempt 2");
    }

    #[test]
    fn parses_rate_limit_header() {
        assert_eq!(parse_rate_limit("\"api\";r=0;t=12"), Some((0, 12)));
        assert_eq!(parse_rate_limit("\"pages\"; r=99; t=1"), Some((99, 1)));
        assert_eq!(parse_rate_limit("\"api\""), None);
    }
}
