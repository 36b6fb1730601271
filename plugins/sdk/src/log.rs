//! Diagnostics through the host's `log` import (shown with the plugin's name in verbose output).
//!
//! Outside wasm32 the import does not exist, so the helpers write to stderr instead: plugin code that
//! logs stays callable from native unit tests (the test harness captures the output).

use crate::LogLevel;

/// Logs `message` at `level`.
pub fn log(level: LogLevel, message: &str) {
    #[cfg(target_arch = "wasm32")]
    crate::bindings::spacesmith::plugin::host::log(level, message);
    #[cfg(not(target_arch = "wasm32"))]
    eprintln!("[{level:?}] {message}");
}

pub fn trace(message: &str) {
    log(LogLevel::Trace, message);
}

pub fn debug(message: &str) {
    log(LogLevel::Debug, message);
}

pub fn info(message: &str) {
    log(LogLevel::Info, message);
}

pub fn warn(message: &str) {
    log(LogLevel::Warn, message);
}

pub fn error(message: &str) {
    log(LogLevel::Error, message);
}
