//! What the host and the plugins both read out of a Space project, written once. No dependencies and no
//! I/O, so the plugins compile it to wasm32-wasip2 and the host links it natively.
//!
//! - [`dockerfile`]: a Dockerfile parser (stages, instructions with their lines, heredocs, exec/shell
//!   form) and what the final image starts with ([`dockerfile::Dockerfile::image_start`]);
//! - [`shell`]: POSIX shell words and commands, and the parameter expansions ports are written with;
//! - [`requirements`]: requirements.txt lines naming a package;
//! - [`secrets`]: the secrets a project's code reads (Dockerfile secret mounts, Python, shell, JS);
//! - [`edit_distance`]: for "did you mean" hints;
//! - `tera` (feature `tera`): the Tera sandbox policy the host renders plugin templates with.
//!
//! This crate is in both workspaces' dependency graphs (the root one and `plugins/`): keep it small.

mod distance;
pub mod dockerfile;
mod json;
pub mod requirements;
pub mod secrets;
pub mod shell;
#[cfg(feature = "tera")]
pub mod tera;

pub use distance::edit_distance;
pub use secrets::looks_secret;
