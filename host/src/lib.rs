//! spacesmith: scaffold, check and deploy Hugging Face Spaces.
//!
//! Data flows one way: `cli` parses and prints → services (`project`, `deploy`, `hardware`, `secrets`)
//! decide → the plugin runtime (`spacesmith-runtime`), the Space configuration rules (`spacesmith-spec`)
//! and the Hub client (`spacesmith-hub`) do the work.

pub mod app;
pub mod ci;
pub mod cli;
pub mod config;
pub mod deploy;
pub mod dev;
pub mod doctor;
pub mod error;
pub mod gateway;
pub mod hardware;
pub mod kit;
pub mod lint;
pub mod plugins;
pub mod project;
pub mod registry;
pub mod secrets;
pub mod space;
pub mod version;
pub mod writer;
