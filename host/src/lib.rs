//! spacesmith: scaffold, check and deploy Hugging Face Spaces.
//!
//! Data flows one way: `cli` parses and prints → services (`project`) decide → the plugin runtime
//! (`spacesmith-runtime`) and the Space configuration rules (`spacesmith-spec`) do the work.

pub mod cli;
pub mod config;
pub mod error;
pub mod project;
pub mod registry;
pub mod writer;
