//! Builds the built-in SDK plugins (the `plugins/` workspace) for wasm32-wasip2 with a nested cargo and
//! embeds them. Every `plugins/<dir>` whose package is `spacesmith-plugin-<sdk>` (except the SDK crate)
//! becomes a built-in, so adding an SDK needs no edit here.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const TARGET: &str = "wasm32-wasip2";
const SDK_PACKAGE: &str = "spacesmith-plugin-sdk";

fn main() {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let root = manifest_dir.parent().unwrap().to_path_buf();
    let plugins = root.join("plugins");
    let out_dir = PathBuf::from(env::var("OUT_DIR").unwrap());

    let builtins = discover(&plugins);
    for path in ["Cargo.toml", "Cargo.lock"] {
        println!("cargo:rerun-if-changed={}", plugins.join(path).display());
    }
    for (dir, _) in &builtins {
        println!("cargo:rerun-if-changed={}", plugins.join(dir).display());
    }
    println!("cargo:rerun-if-changed={}", plugins.join("sdk").display());
    println!("cargo:rerun-if-changed={}", root.join("wit").display());

    version_info(&root);
    require_target();

    // Shared by every profile of the outer build (target/<profile>/build/<pkg>/out -> target/),
    // so debug and release builds do not compile the guests twice.
    let guest_target = out_dir.ancestors().nth(4).unwrap_or(&out_dir).join("spacesmith-plugins");
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args(["build", "--release", "--locked", "--target", TARGET, "--manifest-path"])
        .arg(plugins.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&guest_target);
    for (_, package) in &builtins {
        cmd.args(["-p", package]);
    }
    // The outer build's flags and target are for the host, not the guests.
    for var in ["RUSTFLAGS", "CARGO_ENCODED_RUSTFLAGS", "CARGO_BUILD_RUSTFLAGS", "CARGO_BUILD_TARGET", "CARGO_TARGET_DIR"] {
        cmd.env_remove(var);
    }
    let status = cmd.status().unwrap_or_else(|e| panic!("could not run cargo to build the built-in plugins: {e}"));
    if !status.success() {
        panic!("building the built-in plugins in {} failed (see the cargo output above)", plugins.display());
    }

    let mut generated = String::from(
        "/// The built-in SDK plugins, compiled from plugins/ by build.rs: (sdk id, component bytes).\n\
         pub const BUILTIN_PLUGINS: &[(&str, &[u8])] = &[\n",
    );
    for (_, package) in &builtins {
        let sdk = package.trim_start_matches("spacesmith-plugin-");
        let wasm = guest_target.join(TARGET).join("release").join(format!("{}.wasm", package.replace('-', "_")));
        let embedded = out_dir.join(format!("{sdk}.wasm"));
        fs::copy(&wasm, &embedded).unwrap_or_else(|e| panic!("missing built plugin {}: {e}", wasm.display()));
        generated.push_str(&format!("    ({sdk:?}, include_bytes!({:?})),\n", embedded.display().to_string()));
    }
    generated.push_str("];\n");
    fs::write(out_dir.join("builtin_plugins.rs"), generated).unwrap();
}

/// (directory, package name) of each built-in plugin crate, sorted for a stable embedding order.
fn discover(plugins: &Path) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let entries = fs::read_dir(plugins).unwrap_or_else(|e| panic!("cannot read {}: {e}", plugins.display()));
    for entry in entries.flatten() {
        let manifest = entry.path().join("Cargo.toml");
        let Ok(text) = fs::read_to_string(&manifest) else { continue };
        let name = text.lines().find_map(|l| {
            let l = l.trim();
            l.strip_prefix("name")?.trim_start().strip_prefix('=').map(|v| v.trim().trim_matches('"').to_string())
        });
        if let Some(name) = name
            && name.starts_with("spacesmith-plugin-")
            && name != SDK_PACKAGE
        {
            found.push((entry.file_name().to_string_lossy().into_owned(), name));
        }
    }
    found.sort();
    assert!(!found.is_empty(), "no built-in plugins found under {}", plugins.display());
    found
}

/// What `spacesmith --version` reports beyond the package version: the commit, the wasmtime version
/// from Cargo.lock, and the compiler.
fn version_info(root: &Path) {
    println!("cargo:rustc-env=SPACESMITH_COMMIT={}", git_commit(root).unwrap_or_else(|| "unknown".into()));
    let lock = root.join("Cargo.lock");
    println!("cargo:rerun-if-changed={}", lock.display());
    let wasmtime = fs::read_to_string(&lock).ok().and_then(|l| locked_version(&l, "wasmtime"));
    println!("cargo:rustc-env=SPACESMITH_WASMTIME_VERSION={}", wasmtime.as_deref().unwrap_or("unknown"));
    let rustc = env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let rustc = Command::new(rustc).arg("--version").output().ok().and_then(|o| String::from_utf8(o.stdout).ok());
    println!("cargo:rustc-env=SPACESMITH_RUSTC_VERSION={}", rustc.as_deref().map(str::trim).unwrap_or("unknown"));
    println!("cargo:rustc-env=SPACESMITH_TARGET={}", env::var("TARGET").unwrap_or_default());
}

/// The short commit of `root`'s own repository ("unknown" outside one, e.g. an unpacked source archive
/// inside some other checkout). Reruns when HEAD moves, so it does not go stale.
fn git_commit(root: &Path) -> Option<String> {
    let git = |args: &[&str]| {
        let out = Command::new("git").arg("-C").arg(root).args(args).output().ok()?;
        out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
    };
    let toplevel = PathBuf::from(git(&["rev-parse", "--show-toplevel"])?);
    if fs::canonicalize(&toplevel).ok()? != fs::canonicalize(root).ok()? {
        return None;
    }
    let git_dir = root.join(git(&["rev-parse", "--git-dir"])?);
    let common_dir = root.join(git(&["rev-parse", "--git-common-dir"])?);
    let mut watched = vec![git_dir.join("HEAD"), common_dir.join("packed-refs")];
    if let Some(head_ref) = git(&["symbolic-ref", "-q", "HEAD"]) {
        watched.push(common_dir.join(head_ref));
    }
    // A missing path would make cargo rerun this script on every build.
    for path in watched.iter().filter(|p| p.exists()) {
        println!("cargo:rerun-if-changed={}", path.display());
    }
    git(&["rev-parse", "--short", "HEAD"])
}

/// The version of `package` in a Cargo.lock (the first entry, if several).
fn locked_version(lock: &str, package: &str) -> Option<String> {
    let name = format!("name = \"{package}\"");
    let mut lines = lock.lines().map(str::trim);
    lines.find(|l| *l == name)?;
    let version = lines.next()?.strip_prefix("version = ")?;
    Some(version.trim_matches('"').to_string())
}

/// Fail early with the fix, not with rustc's "can't find crate for `core`".
fn require_target() {
    let rustc = env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let sysroot = Command::new(rustc).args(["--print", "sysroot"]).output().ok().and_then(|o| String::from_utf8(o.stdout).ok());
    if let Some(sysroot) = sysroot
        && !Path::new(sysroot.trim()).join("lib/rustlib").join(TARGET).exists()
    {
        panic!(
            "the {TARGET} Rust target is not installed, and the built-in plugins need it.\n\
             Run `rustup target add {TARGET}` (or `scripts/setup`), then build again."
        );
    }
}
