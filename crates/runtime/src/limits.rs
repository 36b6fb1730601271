//! Resource limits for one plugin call, and the memory limiter that enforces them inside wasmtime.

use std::time::Duration;

/// Limits applied to every plugin call. The defaults suit a scaffolder; `clamped` keeps any
/// per-plugin configuration within hard maximums.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// Linear memory a plugin instance may grow to.
    pub memory_bytes: usize,
    /// Wall-clock time one call may run (enforced by epoch interruption, ~10 ms granularity).
    pub call_timeout: Duration,
    pub max_files: usize,
    pub max_file_bytes: usize,
    pub max_total_bytes: usize,
    /// Secrets + variables, notices, rules and findings each.
    pub max_items: usize,
    /// Bytes of `log` output kept per call; the rest is dropped with a note.
    pub max_log_bytes: usize,
    /// Size of one rendered template and of its inputs.
    pub max_render_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            memory_bytes: 64 << 20,
            call_timeout: Duration::from_secs(2),
            max_files: 512,
            max_file_bytes: 4 << 20,
            max_total_bytes: 16 << 20,
            max_items: 1000,
            max_log_bytes: 64 << 10,
            max_render_bytes: 4 << 20,
        }
    }
}

impl Limits {
    /// The most any configuration may grant.
    pub fn hard_maximum() -> Self {
        Limits {
            memory_bytes: 512 << 20,
            call_timeout: Duration::from_secs(30),
            max_files: 10_000,
            max_file_bytes: 64 << 20,
            max_total_bytes: 256 << 20,
            max_items: 10_000,
            max_log_bytes: 1 << 20,
            max_render_bytes: 64 << 20,
        }
    }

    /// These limits, each capped at the hard maximum.
    pub fn clamped(&self) -> Self {
        let max = Self::hard_maximum();
        Limits {
            memory_bytes: self.memory_bytes.min(max.memory_bytes),
            call_timeout: self.call_timeout.min(max.call_timeout),
            max_files: self.max_files.min(max.max_files),
            max_file_bytes: self.max_file_bytes.min(max.max_file_bytes),
            max_total_bytes: self.max_total_bytes.min(max.max_total_bytes),
            max_items: self.max_items.min(max.max_items),
            max_log_bytes: self.max_log_bytes.min(max.max_log_bytes),
            max_render_bytes: self.max_render_bytes.min(max.max_render_bytes),
        }
    }
}

/// Refuses growth past the cap by trapping (not by returning -1: a Rust guest would then abort with
/// an `unreachable` trap that reads like a bug), and remembers that it did so the error can say why.
pub(crate) struct MemoryLimiter {
    pub max_bytes: usize,
    pub hit: bool,
}

impl wasmtime::ResourceLimiter for MemoryLimiter {
    fn memory_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        if desired > self.max_bytes {
            self.hit = true;
            wasmtime::bail!("memory limit of {} MiB reached", self.max_bytes >> 20);
        }
        Ok(true)
    }

    fn table_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        // Tables hold function references; a million entries is far beyond any honest plugin.
        if desired > 1_000_000 {
            self.hit = true;
            wasmtime::bail!("table limit reached");
        }
        Ok(true)
    }

    fn instances(&self) -> usize {
        64
    }

    fn tables(&self) -> usize {
        64
    }

    fn memories(&self) -> usize {
        16
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clamps_to_hard_maximum() {
        let wild = Limits { memory_bytes: usize::MAX, call_timeout: Duration::from_secs(3600), ..Limits::default() };
        let c = wild.clamped();
        assert_eq!(c.memory_bytes, Limits::hard_maximum().memory_bytes);
        assert_eq!(c.call_timeout, Duration::from_secs(30));
        assert_eq!(Limits::default().clamped(), Limits::default());
    }
}
