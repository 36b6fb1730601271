//! Shared by the integration tests of several crates (included with `#[path]`): builds the
//! adversarial fixture plugins in tests/fixtures/plugins for wasm32-wasip2, once per test process.
//! Concurrent test processes are safe: cargo serialises builds on the same target directory.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The repository root: the first ancestor of this crate that holds `wit/`.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .find(|p| p.join("wit").is_dir() && p.join("Cargo.toml").is_file())
        .expect("the repository root (with wit/) is an ancestor of this crate")
        .to_path_buf()
}

/// Path of a fixture plugin's component, e.g. `fixture_wasm("hostile")`.
pub fn fixture_wasm(name: &str) -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    let dir = BUILT.get_or_init(|| {
        let root = repo_root();
        let target = root.join("target").join("fixture-plugins");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let output = Command::new(cargo)
            .args(["build", "--release", "--locked", "--target", "wasm32-wasip2", "--manifest-path"])
            .arg(root.join("tests/fixtures/plugins/Cargo.toml"))
            .arg("--target-dir")
            .arg(&target)
            .env_remove("RUSTFLAGS")
            .env_remove("CARGO_ENCODED_RUSTFLAGS")
            .env_remove("CARGO_BUILD_TARGET")
            .output()
            .expect("cargo runs");
        assert!(
            output.status.success(),
            "building the fixture plugins failed (is the wasm32-wasip2 target installed? run scripts/setup):\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        target.join("wasm32-wasip2").join("release")
    });
    let path = dir.join(format!("{}.wasm", name.replace('-', "_")));
    assert!(path.is_file(), "fixture plugin {} was not built", path.display());
    path
}
