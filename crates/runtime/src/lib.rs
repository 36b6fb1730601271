//! Runs spacesmith SDK plugins: WebAssembly components built against a versioned WIT contract
//! (`wit/`), sandboxed (no files, network, environment, real clock or randomness), with memory,
//! time and output limits, and a compiled-component cache so only the first run ever compiles.
//!
//! Flow: [`Runtime::load`] reads the contract version from the component's exports, compiles or
//! loads the cached compilation, links it, and calls `info`; then [`Plugin::scaffold`],
//! [`Plugin::rules`] and [`Plugin::check`] each run in a fresh instance.

pub mod contract;
mod convert;
mod limits;
pub mod manifest;
pub mod model;
pub mod output;
mod plan;
mod render;
mod runtime;
mod v0_1;
mod v0_2;

pub use contract::{ContractError, Version};
pub use limits::Limits;
pub use manifest::{Capability, LimitRequest, Manifest, ManifestError};
pub use model::*;
pub use output::{OutputError, PathProblem};
pub use runtime::{
    FailureKind, LoadError, LoadErrorKind, LogLevel, LogSink, PROJECT_DIR, Plugin, PluginError, PluginSource,
    RESERVED_OPTION_NAMES, Runtime, RuntimeConfig, RuntimeError,
};
