//! The one configuration layer: where things live and which limits apply, read once from the
//! environment so no command reaches for an environment variable on its own.

use std::path::PathBuf;

use spacesmith_runtime::Limits;

#[derive(Debug, Clone)]
pub struct Settings {
    /// Compiled plugins; None disables the cache (`SPACESMITH_NO_CACHE=1`).
    pub cache_dir: Option<PathBuf>,
    /// Installed third-party plugins live in `<data_dir>/plugins`; None when no home is known.
    pub data_dir: Option<PathBuf>,
    pub limits: Limits,
    /// Bytes of each project file handed to checks; larger files are marked truncated.
    pub text_cap: u64,
    /// `HF_ENDPOINT`, for services that are handed a token instead of reading one (the gateway's callers).
    pub hub_endpoint: Option<String>,
    /// `SPACESMITH_NO_CACHE` is set (then `cache_dir` is None on purpose).
    pub no_cache: bool,
    /// `$PYTHON`: the interpreter `dev` creates its virtualenv with.
    pub python: Option<String>,
    /// `$SPACESMITH_DEV_VENV`: the virtualenv `dev` uses instead of its own.
    pub dev_venv: Option<PathBuf>,
    /// `$PATH`: where hadolint and Python are looked for, and what `dev` hands the app (after its venv).
    pub path: Option<std::ffi::OsString>,
}

impl Settings {
    pub fn from_env() -> Self {
        let no_cache = std::env::var_os("SPACESMITH_NO_CACHE").is_some_and(|v| !v.is_empty() && v != "0");
        Settings {
            cache_dir: if no_cache { None } else { default_cache_dir().map(|d| d.join("plugins")) },
            data_dir: default_data_dir(),
            limits: Limits::default(),
            text_cap: 1 << 20,
            hub_endpoint: std::env::var("HF_ENDPOINT").ok().filter(|v| !v.is_empty()),
            no_cache,
            python: var("PYTHON").map(|p| p.to_string_lossy().into_owned()),
            dev_venv: var(crate::dev::VENV_ENV),
            path: std::env::var_os("PATH"),
        }
    }
}

fn var(k: &str) -> Option<PathBuf> {
    std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from)
}

/// `$SPACESMITH_DATA_DIR`, else the platform's per-user data directory.
fn default_data_dir() -> Option<PathBuf> {
    if let Some(dir) = var("SPACESMITH_DATA_DIR") {
        return Some(dir);
    }
    if cfg!(windows) {
        return var("APPDATA").map(|d| d.join("spacesmith"));
    }
    if cfg!(target_os = "macos") {
        return var("HOME").map(|d| d.join("Library/Application Support/spacesmith"));
    }
    var("XDG_DATA_HOME").or_else(|| var("HOME").map(|h| h.join(".local/share"))).map(|d| d.join("spacesmith"))
}

/// `$SPACESMITH_CACHE_DIR`, else the platform's per-user cache directory.
fn default_cache_dir() -> Option<PathBuf> {
    if let Some(dir) = var("SPACESMITH_CACHE_DIR") {
        return Some(dir);
    }
    if cfg!(windows) {
        return var("LOCALAPPDATA").map(|d| d.join("spacesmith").join("cache"));
    }
    if cfg!(target_os = "macos") {
        return var("HOME").map(|d| d.join("Library/Caches/spacesmith"));
    }
    var("XDG_CACHE_HOME").or_else(|| var("HOME").map(|h| h.join(".cache"))).map(|d| d.join("spacesmith"))
}
