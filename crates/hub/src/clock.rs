//! Injectable time: every sleep (retry backoff, polling, reconnects) goes through a [`Clock`], so tests run
//! on virtual time and assert on the sleeps that were asked for, never on wall-clock durations.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Monotonic time and sleeping.
pub trait Clock: Send + Sync {
    /// Time since an arbitrary fixed origin.
    fn now(&self) -> Duration;
    /// Blocks (or, for virtual clocks, advances) for `d`.
    fn sleep(&self, d: Duration);
}

/// The real clock.
#[derive(Debug)]
pub struct SystemClock {
    origin: Instant,
}

impl SystemClock {
    /// A real clock starting now.
    pub fn new() -> SystemClock {
        SystemClock { origin: Instant::now() }
    }
}

impl Default for SystemClock {
    fn default() -> Self {
        SystemClock::new()
    }
}

impl Clock for SystemClock {
    fn now(&self) -> Duration {
        self.origin.elapsed()
    }
    fn sleep(&self, d: Duration) {
        std::thread::sleep(d);
    }
}

/// Real time with sleeps multiplied by a factor (e.g. 0.001), for tests that need real but short waits.
#[derive(Debug)]
pub struct ScaledClock {
    inner: SystemClock,
    factor: f64,
}

impl ScaledClock {
    /// Sleeps last `factor` times as long as asked.
    pub fn new(factor: f64) -> ScaledClock {
        ScaledClock { inner: SystemClock::new(), factor: factor.max(0.0) }
    }
}

impl Clock for ScaledClock {
    fn now(&self) -> Duration {
        self.inner.now()
    }
    fn sleep(&self, d: Duration) {
        std::thread::sleep(d.mul_f64(self.factor));
    }
}

/// Virtual time: `sleep` returns at once and advances `now`; every sleep is recorded.
#[derive(Debug, Default)]
pub struct ManualClock {
    state: Mutex<(Duration, Vec<Duration>)>,
}

impl ManualClock {
    /// Starts at zero.
    pub fn new() -> ManualClock {
        ManualClock::default()
    }

    /// The sleeps asked for so far, in order.
    pub fn sleeps(&self) -> Vec<Duration> {
        self.lock().1.clone()
    }

    /// Moves time forward without recording a sleep.
    pub fn advance(&self, d: Duration) {
        self.lock().0 += d;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (Duration, Vec<Duration>)> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Duration {
        self.lock().0
    }
    fn sleep(&self, d: Duration) {
        let mut s = self.lock();
        s.0 += d;
        s.1.push(d);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_records_and_advances() {
        let c = ManualClock::new();
        c.sleep(Duration::from_secs(2));
        c.advance(Duration::from_secs(1));
        assert_eq!(c.now(), Duration::from_secs(3));
        assert_eq!(c.sleeps(), vec![Duration::from_secs(2)]);
    }
}
