//! `spacesmith plugin new DIR --sdk-id ID`: a plugin crate that builds to wasm32-wasip2 with one
//! command (`cargo build-plugin`), with a template folder, a manifest and a test that renders it. The
//! skeleton lives in `host/kit/` as real files, so it reads (and is reviewed) like any crate.

use std::path::{Path, PathBuf};

use serde::Serialize;
use spacesmith_runtime::GeneratedFile;
use spacesmith_runtime::contract::LATEST;

use crate::error::{AppError, Exit};
use crate::registry::BUILTIN_PLUGINS;
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

#[derive(Debug, Clone)]
pub struct KitRequest {
    pub dir: PathBuf,
    pub sdk_id: String,
    pub name: Option<String>,
    /// The `spacesmith-plugin-sdk` crate; default: the one beside this binary's sources.
    pub sdk_path: Option<PathBuf>,
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
    let sdk_path = find_sdk(req.sdk_path.as_deref())?;
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
        return Err(AppError::usage("BAD_SDK_ID", format!("--sdk-id {id:?} is not a valid SDK id"))
            .hint("Use 1-32 characters of a-z, 0-9 and -, starting with a letter, e.g. `acme-fastapi`."));
    }
    if BUILTIN_PLUGINS.iter().any(|(b, _)| *b == id) {
        return Err(AppError::usage("PLUGIN_SHADOWS_BUILTIN", format!("`{id}` is the SDK id of a built-in plugin"))
            .hint("Choose another id, e.g. with your organisation's name in it; installing would be refused."));
    }
    Ok(())
}

fn check_name(name: &str) -> Result<String, AppError> {
    let name = name.trim();
    if name.is_empty() || name.len() > 80 || name.chars().any(|c| c.is_control() || c == '"' || c == '\\') {
        return Err(AppError::usage("BAD_NAME", format!("--name {name:?} cannot be used"))
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

/// The SDK crate: `--sdk-path`, else the copy in the source tree this binary was built from.
fn find_sdk(given: Option<&Path>) -> Result<PathBuf, AppError> {
    let built_from = Path::new(env!("CARGO_MANIFEST_DIR")).join("../plugins/sdk");
    let candidate = given.map(Path::to_path_buf).unwrap_or(built_from);
    let manifest = std::fs::read_to_string(candidate.join("Cargo.toml")).unwrap_or_default();
    if !manifest.contains("name = \"spacesmith-plugin-sdk\"") {
        let what = match given {
            Some(p) => format!("--sdk-path {} is not the spacesmith-plugin-sdk crate", p.display()),
            None => format!("the plugin SDK is not at {}, where this spacesmith was built from", candidate.display()),
        };
        return Err(AppError::new("SDK_NOT_FOUND", Exit::Usage, what)
            .hint("Pass --sdk-path with the `plugins/sdk` directory of a spacesmith source checkout."));
    }
    std::fs::canonicalize(&candidate)
        .map_err(|e| AppError::new("SDK_NOT_FOUND", Exit::Usage, format!("cannot resolve {}: {e}", candidate.display())))
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
        let req = KitRequest { dir: dir.path().join("p"), sdk_id: "acme".into(), name: None, sdk_path: None, force: false };
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
    }
}
