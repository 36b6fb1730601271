//! Capabilities: host access a plugin asks for in its manifest (`spacesmith-plugin.toml`,
//! `[capabilities]`) and the user grants explicitly (`spacesmith plugin grant ID CAP`). Nothing is
//! granted by default, so a plugin must work, or fail with a clear finding, without them.
//!
//! | capability | what the plugin gets |
//! |---|---|
//! | `project-read` | during `check` only: the project directory, read-only, at [`PROJECT_DIR`] |

use std::path::{Path, PathBuf};

/// Where the project directory appears inside the sandbox when `project-read` is granted.
pub const PROJECT_DIR: &str = "/project";

/// Why a capability-backed read failed.
#[derive(Debug)]
pub enum AccessError {
    /// The user has not granted `project-read` (or the call is not `check`).
    NotGranted,
    /// Granted, but the file could not be read (missing, a directory, outside the project...).
    Io(std::io::Error),
}

impl std::fmt::Display for AccessError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AccessError::NotGranted => f.write_str(
                "the `project-read` capability is not granted; grant it with `spacesmith plugin grant <sdk-id> project-read`",
            ),
            AccessError::Io(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for AccessError {}

/// The project directory when `project-read` is granted to this call, else None.
pub fn project_dir() -> Option<&'static Path> {
    let dir = Path::new(PROJECT_DIR);
    // Without the grant there is no preopened directory at all: every lookup fails.
    cfg!(target_arch = "wasm32").then_some(dir).filter(|d| std::fs::read_dir(d).is_ok())
}

/// Read a project file (a '/'-separated path relative to the project root) in full, bypassing the
/// size cap of `check`'s input. Needs `project-read`.
pub fn read_project_file(path: &str) -> Result<Vec<u8>, AccessError> {
    let dir = project_dir().ok_or(AccessError::NotGranted)?;
    let full: PathBuf = dir.join(path.trim_start_matches('/'));
    std::fs::read(full).map_err(AccessError::Io)
}
