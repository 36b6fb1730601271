//! Which contract version a plugin was built against, read from the component's own export names
//! before anything is compiled, so an incompatible plugin gets a precise message instead of a linker error.

use std::fmt;

use wasmparser::{Encoding, Parser, Payload};

/// The export every plugin has; its `@version` suffix is the contract version (wit/vX.Y/plugin.wit).
pub const GUEST_EXPORT_PREFIX: &str = "spacesmith:plugin/guest@";

/// A contract version (semver of the WIT package).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

impl Version {
    pub const fn new(major: u32, minor: u32, patch: u32) -> Self {
        Version { major, minor, patch }
    }

    pub fn parse(s: &str) -> Option<Version> {
        // Pre-release/build suffixes are not part of any contract we publish.
        let mut it = s.split('.');
        let v = Version { major: it.next()?.parse().ok()?, minor: it.next()?.parse().ok()?, patch: it.next()?.parse().ok()? };
        it.next().is_none().then_some(v)
    }

    /// Semver compatibility, with 0.x minors treated as breaking (as cargo does).
    pub fn compatible_with(self, other: Version) -> bool {
        if self.major == 0 { other.major == 0 && self.minor == other.minor } else { self.major == other.major }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// A contract line this host serves, and the first host release that served it.
pub struct Served {
    pub version: Version,
    pub since_host: &'static str,
}

/// Every contract version this host can run, oldest first; older entries stay when new ones are added.
/// Each has its bindings module (`v0_1`, `v0_2`, ...) that adapts it to the one host model.
pub const SERVED: &[Served] = &[
    Served { version: crate::v0_1::VERSION, since_host: "0.1.0" },
    Served { version: crate::v0_2::VERSION, since_host: "0.1.0" },
];

/// The oldest contract served.
pub const MIN: Version = crate::v0_1::VERSION;
/// The newest contract: what `spacesmith plugin new` and the SDK build against.
pub const MAX: Version = crate::v0_2::VERSION;
pub const LATEST: Version = MAX;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ContractError {
    #[error("it is not a WebAssembly component ({0}); build it for the wasm32-wasip2 target")]
    NotAComponent(String),
    #[error("it is not a spacesmith plugin: it has no `{GUEST_EXPORT_PREFIX}X.Y.Z` export (exports: {0})")]
    NoGuestExport(String),
    #[error("its contract version `{0}` is not a version number")]
    BadVersion(String),
    #[error(
        "it was built against plugin contract {found}, which this spacesmith ({host}) cannot serve; it serves {served}. {advice}"
    )]
    Unsupported { found: Version, host: &'static str, served: String, advice: String },
}

/// What the host reads from a component before compiling it.
#[derive(Debug, Clone, PartialEq)]
pub struct Inspection {
    pub version: Version,
    /// The `spacesmith-manifest` custom section, wherever it sits (the SDK puts it in the core module).
    pub manifest: Option<Vec<u8>>,
}

/// Read the contract version from the component's top-level exports.
pub fn detect(bytes: &[u8]) -> Result<Version, ContractError> {
    inspect(bytes).map(|i| i.version)
}

/// Read the contract version and the embedded manifest in one pass.
pub fn inspect(bytes: &[u8]) -> Result<Inspection, ContractError> {
    let mut depth = 0usize;
    let mut exports = Vec::new();
    let mut manifest: Option<Vec<u8>> = None;
    for payload in Parser::new(0).parse_all(bytes) {
        let payload = payload.map_err(|e| ContractError::NotAComponent(e.message().to_string()))?;
        match payload {
            Payload::Version { encoding, .. } if depth == 0 && encoding != Encoding::Component => {
                return Err(ContractError::NotAComponent("it is a core module".into()));
            }
            Payload::ModuleSection { .. } | Payload::ComponentSection { .. } => depth += 1,
            Payload::End(_) => depth = depth.saturating_sub(1),
            Payload::CustomSection(section) if section.name() == crate::manifest::MANIFEST_SECTION => {
                // Two copies (e.g. two crates each embedding one) concatenate like the linker does,
                // which makes the TOML invalid and the plugin refused: never pick one silently.
                manifest.get_or_insert_with(Vec::new).extend_from_slice(section.data());
            }
            Payload::ComponentExportSection(reader) if depth == 0 => {
                for export in reader {
                    let export = export.map_err(|e| ContractError::NotAComponent(e.message().to_string()))?;
                    let (name, suffix) = (export.name.name, export.name.version_suffix);
                    exports.push(match suffix {
                        Some(v) if !name.contains('@') => format!("{name}@{}", v.trim_start_matches('@')),
                        _ => name.to_string(),
                    });
                }
            }
            _ => {}
        }
    }
    let Some(found) = exports.iter().find_map(|e| e.strip_prefix(GUEST_EXPORT_PREFIX)) else {
        let listed = if exports.is_empty() { "none".to_string() } else { exports.join(", ") };
        return Err(ContractError::NoGuestExport(listed));
    };
    let version = Version::parse(found).ok_or_else(|| ContractError::BadVersion(found.to_string()))?;
    check_served(version)?;
    Ok(Inspection { version, manifest })
}

/// Refuse a version no served line accepts, naming the versions that would work and what to do.
pub fn check_served(found: Version) -> Result<(), ContractError> {
    if SERVED.iter().any(|s| s.version.compatible_with(found)) {
        return Ok(());
    }
    let served = SERVED
        .iter()
        .map(|s| format!("{}.x (since spacesmith {})", series(s.version), s.since_host))
        .collect::<Vec<_>>()
        .join(", ");
    let advice = if found > LATEST {
        format!(
            "Upgrade spacesmith to a release that serves contract {}.x, or rebuild the plugin with spacesmith-plugin-sdk for contract {}.",
            series(found),
            series(LATEST)
        )
    } else {
        format!("Rebuild the plugin with spacesmith-plugin-sdk for contract {}.", series(LATEST))
    };
    Err(ContractError::Unsupported { found, host: env!("CARGO_PKG_VERSION"), served, advice })
}

fn series(v: Version) -> String {
    if v.major == 0 { format!("0.{}", v.minor) } else { v.major.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_compares_versions() {
        assert_eq!(Version::parse("0.1.0"), Some(Version::new(0, 1, 0)));
        assert_eq!(Version::parse("0.1"), None);
        assert_eq!(Version::parse("0.1.0.1"), None);
        assert!(Version::new(0, 1, 0).compatible_with(Version::new(0, 1, 7)));
        assert!(!Version::new(0, 1, 0).compatible_with(Version::new(0, 2, 0)));
        assert!(Version::new(1, 0, 0).compatible_with(Version::new(1, 4, 0)));
    }

    #[test]
    fn refuses_unserved_versions_with_advice() {
        let err = check_served(Version::new(0, 3, 0)).unwrap_err().to_string();
        assert!(err.contains("contract 0.3.0"), "{err}");
        assert!(err.contains("serves 0.1.x (since spacesmith 0.1.0), 0.2.x (since spacesmith 0.1.0)"), "{err}");
        assert!(err.contains("Upgrade spacesmith"), "{err}");
        let err = check_served(Version::new(0, 0, 3)).unwrap_err().to_string();
        assert!(err.contains("Rebuild the plugin"), "{err}");
        assert!(check_served(Version::new(0, 1, 3)).is_ok());
        assert!(check_served(Version::new(0, 2, 1)).is_ok());
        assert!(MIN < MAX && SERVED.first().map(|s| s.version) == Some(MIN) && SERVED.last().map(|s| s.version) == Some(MAX));
    }

    #[test]
    fn rejects_non_components() {
        assert!(matches!(detect(b"not wasm"), Err(ContractError::NotAComponent(_))));
        // A minimal empty core module.
        let core = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
        assert!(matches!(detect(&core), Err(ContractError::NotAComponent(_))));
        // A minimal empty component has no guest export.
        let component = [0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00];
        assert!(matches!(detect(&component), Err(ContractError::NoGuestExport(_))));
    }
}
