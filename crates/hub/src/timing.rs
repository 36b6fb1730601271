//! Phase timings for finding where a deploy spends its time: with `SPACESMITH_TIMINGS=1` in the
//! environment, every [`span`] prints one line to stderr when it ends,
//!
//! ```text
//! timing: upload.commit 4.21 ms (12.80..17.01 ms)
//! ```
//!
//! its name, its length, and when it started and ended counted from the first timing call of the process
//! ([`init`], called first thing by the CLI). Names are fixed strings: nothing else (no path, URL or token)
//! is ever printed. Without the variable a span costs one relaxed atomic load.

use std::sync::OnceLock;
use std::time::Instant;

/// The environment variable that turns timings on (any value but empty or `0`).
pub const ENV: &str = "SPACESMITH_TIMINGS";

static STATE: OnceLock<Option<Instant>> = OnceLock::new();

fn origin() -> Option<Instant> {
    *STATE.get_or_init(|| std::env::var_os(ENV).filter(|v| !v.is_empty() && v != "0").map(|_| Instant::now()))
}

/// Reads the environment once and starts the clock that spans are placed on.
pub fn init() {
    let _ = origin();
}

/// Whether timings are printed.
pub fn enabled() -> bool {
    origin().is_some()
}

/// A running phase; prints its line when dropped.
#[must_use = "a span measures until it is dropped"]
pub struct Span {
    name: &'static str,
    start: Option<Instant>,
}

/// Starts timing the phase `name`.
pub fn span(name: &'static str) -> Span {
    Span { name, start: origin().map(|_| Instant::now()) }
}

impl Span {
    /// Ends the span now (same as dropping it).
    pub fn end(self) {}
}

impl Drop for Span {
    fn drop(&mut self) {
        if let (Some(start), Some(t0)) = (self.start, origin()) {
            let end = Instant::now();
            let ms = |d: std::time::Duration| d.as_secs_f64() * 1e3;
            eprintln!(
                "timing: {} {:.2} ms ({:.2}..{:.2} ms)",
                self.name,
                ms(end - start),
                ms(start.saturating_duration_since(t0)),
                ms(end - t0)
            );
        }
    }
}
