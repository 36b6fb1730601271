//! `spacesmith plugin new DIR --sdk-id ID`: a plugin crate that builds to wasm32-wasip2 with one
//! command (`cargo build-plugin`), with a template folder, a manifest and a test that renders it. The
//! skeleton lives in `host/kit/` as real files, so it reads (and is reviewed) like any crate.

use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};
use spacesmith_runtime::GeneratedFile;
use spacesmith_runtime::contract::LATEST;

use crate::error::{AppError, ErrorCode};
use crate::registry::is_builtin;
use crate::writer;

/// (path in the new crate, skeleton text).
const SKELETON: &[(&str, &str)] = &[
    ("Cargo.toml", include_str!("../kit/Cargo.toml.in")),
    (".cargo/config.toml", include_str!("../kit/dot-cargo/config.toml")),
    (".gitignore", include_str!("../kit/gitignore")),
    ("README.md", include_str!("../kit/README.md.in")),
    ("spacesmith-plugin.toml", include_str!("../kit/spacesmith-plugin.toml")),
    ("src/lib.rs", include_str!("../kit/src/lib.rs")),
    ("templates/README.md.tera", include_str!("../kit/templates/README.md.tera")),
    ("templates/index.html.tera", include_str!("../kit/templates/index.html.tera")),
];

/// The SDK this binary was built with, and the contract it builds against: written once per build
/// into the data directory, so `plugin new` needs no source checkout and always matches this host.
const SDK_FILES: &[(&str, &str)] = &[
    ("plugins/sdk/Cargo.toml", include_str!("../kit/sdk/Cargo.toml")),
    ("plugins/sdk/src/lib.rs", include_str!("../../plugins/sdk/src/lib.rs")),
    ("plugins/sdk/src/capability.rs", include_str!("../../plugins/sdk/src/capability.rs")),
    ("plugins/sdk/src/log.rs", include_str!("../../plugins/sdk/src/log.rs")),
    ("plugins/sdk/src/options.rs", include_str!("../../plugins/sdk/src/options.rs")),
    ("plugins/sdk/src/output.rs", include_str!("../../plugins/sdk/src/output.rs")),
    ("plugins/sdk/src/project.rs", include_str!("../../plugins/sdk/src/project.rs")),
    ("plugins/sdk/src/render.rs", include_str!("../../plugins/sdk/src/render.rs")),
    ("plugins/sdk/src/rules.rs", include_str!("../../plugins/sdk/src/rules.rs")),
    ("plugins/sdk/src/run.rs", include_str!("../../plugins/sdk/src/run.rs")),
    ("plugins/sdk/src/secrets.rs", include_str!("../../plugins/sdk/src/secrets.rs")),
    ("plugins/sdk/src/testing.rs", include_str!("../../plugins/sdk/src/testing.rs")),
    ("plugins/sdk/src/text.rs", include_str!("../../plugins/sdk/src/text.rs")),
    // The readers the SDK shares with the host, at the same relative path as in the repository.
    ("crates/readers/Cargo.toml", include_str!("../../crates/readers/Cargo.toml")),
    ("crates/readers/src/lib.rs", include_str!("../../crates/readers/src/lib.rs")),
    ("crates/readers/src/distance.rs", include_str!("../../crates/readers/src/distance.rs")),
    ("crates/readers/src/dockerfile.rs", include_str!("../../crates/readers/src/dockerfile.rs")),
    ("crates/readers/src/json.rs", include_str!("../../crates/readers/src/json.rs")),
    ("crates/readers/src/requirements.rs", include_str!("../../crates/readers/src/requirements.rs")),
    ("crates/readers/src/secrets.rs", include_str!("../../crates/readers/src/secrets.rs")),
    ("crates/readers/src/shell.rs", include_str!("../../crates/readers/src/shell.rs")),
    ("crates/readers/src/tera.rs", include_str!("../../crates/readers/src/tera.rs")),
    ("wit/v0.2/plugin.wit", include_str!("../../wit/v0.2/plugin.wit")),
];

#[derive(Debug, Clone)]
pub struct KitRequest {
    pub dir: PathBuf,
    pub sdk_id: String,
    pub name: Option<String>,
    /// The `spacesmith-plugin-sdk` crate; default: this binary's own copy, written under `sdk_home`.
    pub sdk_path: Option<PathBuf>,
    /// Where this binary's SDK copy lives (`<data dir>/sdk`).
    pub sdk_home: Option<PathBuf>,
    pub force: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct KitReport {
    pub dir: PathBuf,
    pub sdk_id: String,
    pub package: String,
    pub sdk_path: PathBuf,
    pub files: Vec<writer::PlannedFile>,
    /// Where `cargo build-plugin` puts the component, relative to `dir`.
    pub wasm: String,
    /// What to run next, in order.
    pub next: Vec<String>,
}

pub fn new_plugin(req: &KitRequest) -> Result<KitReport, AppError> {
    check_sdk_id(&req.sdk_id)?;
    let name = match &req.name {
        Some(n) => check_name(n)?,
        None => title_case(&req.sdk_id),
    };
    let sdk_path = match &req.sdk_path {
        Some(p) => given_sdk(p)?,
        None => own_sdk(req.sdk_home.as_deref())?,
    };
    let package = format!("spacesmith-plugin-{}", req.sdk_id);
    let crate_name = package.replace('-', "_");
    let sdk = toml_string(&sdk_path.display().to_string());
    let contract = LATEST.to_string();
    let series = format!("{}.{}", LATEST.major, LATEST.minor);
    let vars: [(&str, String); 8] = [
        ("@SDK_DEV_DEP@", format!("{{ path = {sdk}, features = [\"testing\"] }}")),
        ("@SDK_DEP@", format!("{{ path = {sdk} }}")),
        ("@PACKAGE@", package.clone()),
        ("@CRATE@", crate_name.clone()),
        ("@SDK_ID@", req.sdk_id.clone()),
        ("@NAME@", name),
        ("@CONTRACT_SERIES@", series),
        ("@CONTRACT@", contract),
    ];
    let files: Vec<GeneratedFile> = SKELETON
        .iter()
        .map(|(path, text)| {
            let text = vars.iter().fold(text.to_string(), |t, (k, v)| t.replace(k, v));
            GeneratedFile { path: path.to_string(), contents: text.into_bytes(), executable: false }
        })
        .collect();
    let written = writer::write(&req.dir, &files, req.force).map_err(|e| crate::project::write_error(e, &req.dir))?;
    let wasm = format!("target/wasm32-wasip2/release/{crate_name}.wasm");
    let dir = req.dir.display();
    Ok(KitReport {
        dir: req.dir.clone(),
        sdk_id: req.sdk_id.clone(),
        package,
        sdk_path,
        files: written,
        next: vec![
            format!("cd {dir} && cargo test"),
            format!("cd {dir} && cargo build-plugin"),
            format!("spacesmith plugin install {dir}/{wasm}"),
            format!("spacesmith new my-space --sdk {} && spacesmith validate my-space", req.sdk_id),
        ],
        wasm,
    })
}

fn check_sdk_id(id: &str) -> Result<(), AppError> {
    let ok = !id.is_empty()
        && id.len() <= 32
        && id.starts_with(|c: char| c.is_ascii_lowercase())
        && !id.ends_with('-')
        && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !ok {
        return Err(AppError::new(ErrorCode::BadSdkId, format!("--sdk-id {id:?} is not a valid SDK id"))
            .hint("Use 1-32 characters of a-z, 0-9 and -, starting with a letter, e.g. `acme-fastapi`."));
    }
    if is_builtin(id) {
        return Err(AppError::new(ErrorCode::PluginShadowsBuiltin, format!("`{id}` is the SDK id of a built-in plugin"))
            .hint("Choose another id, e.g. with your organisation's name in it; installing would be refused."));
    }
    Ok(())
}

fn check_name(name: &str) -> Result<String, AppError> {
    let name = name.trim();
    if name.is_empty() || name.len() > 80 || name.chars().any(|c| c.is_control() || c == '"' || c == '\\') {
        return Err(AppError::new(ErrorCode::BadName, format!("--name {name:?} cannot be used"))
            .hint("Use up to 80 characters without quotes, backslashes or control characters."));
    }
    Ok(name.to_string())
}

fn title_case(id: &str) -> String {
    id.split('-')
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// An SDK crate the user points at.
fn given_sdk(path: &Path) -> Result<PathBuf, AppError> {
    let manifest = std::fs::read_to_string(path.join("Cargo.toml")).unwrap_or_default();
    if !manifest.contains("name = \"spacesmith-plugin-sdk\"") {
        return Err(AppError::new(
            ErrorCode::SdkNotFound,
            format!("--sdk-path {} is not the spacesmith-plugin-sdk crate", path.display()),
        )
        .hint("Pass the `plugins/sdk` directory of a spacesmith source checkout, or leave --sdk-path out."));
    }
    std::fs::canonicalize(path)
        .map_err(|e| AppError::new(ErrorCode::SdkNotFound, format!("cannot resolve {}: {e}", path.display())))
}

/// This binary's SDK, written under `home` once per distinct content (`<version>-<hash>/`).
fn own_sdk(home: Option<&Path>) -> Result<PathBuf, AppError> {
    let home = home.ok_or_else(|| {
        AppError::new(ErrorCode::NoDataDir, "there is no data directory to put the plugin SDK in: HOME is not set")
            .hint("Set SPACESMITH_DATA_DIR, or pass --sdk-path with the plugins/sdk directory of a spacesmith checkout.")
    })?;
    let version = env!("CARGO_PKG_VERSION");
    let mut hasher = Sha256::new();
    for (path, text) in SDK_FILES {
        hasher.update(path.as_bytes());
        hasher.update(text.as_bytes());
    }
    let digest = hasher.finalize();
    let root = home.join(format!("{version}-{:02x}{:02x}{:02x}{:02x}", digest[0], digest[1], digest[2], digest[3]));
    let crate_dir = root.join("plugins/sdk");
    if !crate_dir.join("Cargo.toml").is_file() {
        let fail = |e: std::io::Error| {
            AppError::new(ErrorCode::WriteFailed, format!("cannot write the plugin SDK under {}: {e}", home.display()))
                .hint("Check that the directory is writable, or set SPACESMITH_DATA_DIR to one that is.")
        };
        std::fs::create_dir_all(home).map_err(fail)?;
        // Staged and renamed whole, so a crash never leaves a half-written SDK behind.
        let staging = tempfile::Builder::new().prefix(".staging-").tempdir_in(home).map_err(fail)?;
        for (path, text) in SDK_FILES {
            let target = staging.path().join(path);
            std::fs::create_dir_all(target.parent().expect("files live in folders")).map_err(fail)?;
            std::fs::write(&target, text.replace("@VERSION@", version)).map_err(fail)?;
        }
        let staged = staging.keep();
        if let Err(e) = std::fs::rename(&staged, &root) {
            let _ = std::fs::remove_dir_all(&staged);
            // Another `plugin new` may have won the race with the same content.
            if !crate_dir.join("Cargo.toml").is_file() {
                return Err(fail(e));
            }
        }
    }
    Ok(crate_dir)
}

/// A TOML basic string.
fn toml_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_names_are_checked() {
        assert!(check_sdk_id("acme-fastapi").is_ok());
        for bad in ["", "Acme", "1abc", "a_b", "trailing-", &"a".repeat(33), "docker"] {
            assert!(check_sdk_id(bad).is_err(), "{bad}");
        }
        assert_eq!(title_case("acme-fast-api"), "Acme Fast Api");
        assert!(check_name("a \"quoted\" name").is_err());
        assert_eq!(check_name("  Acme  ").unwrap(), "Acme");
        assert_eq!(toml_string("C:\\x \"y\""), "\"C:\\\\x \\\"y\\\"\"");
    }

    #[test]
    fn the_skeleton_has_no_placeholder_left() {
        let dir = tempfile::tempdir().unwrap();
        let req = KitRequest {
            dir: dir.path().join("p"),
            sdk_id: "acme".into(),
            name: None,
            sdk_path: None,
            sdk_home: Some(dir.path().join("sdk")),
            force: false,
        };
        let report = new_plugin(&req).unwrap();
        assert_eq!(report.wasm, "target/wasm32-wasip2/release/spacesmith_plugin_acme.wasm");
        for (path, _) in SKELETON {
            let text = std::fs::read_to_string(req.dir.join(path)).unwrap();
            let left = text
                .split('@')
                .skip(1)
                .step_by(2)
                .find(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'));
            assert_eq!(left, None, "{path} keeps a placeholder");
        }
        let cargo = std::fs::read_to_string(req.dir.join("Cargo.toml")).unwrap();
        assert!(cargo.contains("name = \"spacesmith-plugin-acme\""));
        assert!(cargo.contains("plugins/sdk\", features = [\"testing\"] }"));
        // The SDK copy is complete (its bindings find the WIT) and written once.
        assert!(report.sdk_path.starts_with(dir.path().join("sdk")));
        assert!(report.sdk_path.join("../../wit/v0.2/plugin.wit").is_file());
        assert!(report.sdk_path.join("../../crates/readers/src/lib.rs").is_file());
        let again = KitRequest { dir: dir.path().join("q"), ..req };
        assert_eq!(new_plugin(&again).unwrap().sdk_path, report.sdk_path);
        assert_eq!(std::fs::read_dir(dir.path().join("sdk")).unwrap().count(), 1);
    }

    /// Every file of plugins/sdk/src is embedded, and the standalone manifest pins what the
    /// plugins workspace pins.
    #[test]
    fn the_embedded_sdk_is_the_whole_sdk() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        for dir in ["plugins/sdk/src", "crates/readers/src"] {
            for entry in std::fs::read_dir(root.join(dir)).unwrap() {
                let name = format!("{dir}/{}", entry.unwrap().file_name().to_string_lossy());
                assert!(SDK_FILES.iter().any(|(p, _)| *p == name), "{name} is not embedded in SDK_FILES");
            }
        }
        let workspace = std::fs::read_to_string(root.join("plugins/Cargo.toml")).unwrap();
        let standalone = SDK_FILES[0].1;
        for dep in ["wit-bindgen = { version = \"0.63\"", "serde_json = \"1\""] {
            assert!(workspace.contains(dep) && standalone.contains(dep), "{dep} differs");
        }
        let sdk = std::fs::read_to_string(root.join("plugins/sdk/Cargo.toml")).unwrap();
        for line in ["spacesmith-readers = { path = \"../../crates/readers\" }", "testing = [\"spacesmith-readers/tera\"]"] {
            assert!(sdk.contains(line) && standalone.contains(line), "{line} differs");
        }
    }
}
