//! The plugin manifest: `spacesmith-plugin.toml`, embedded by the SDK's `export_plugin!` as the
//! `spacesmith-manifest` custom section, so it travels inside the one file a user installs and a sha256
//! pin covers it. It declares what a plugin asks of the host beyond the sandbox: capabilities (granted
//! only by the user, never by default) and resource limits (capped at the hard maximums).

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::Deserialize;

use crate::limits::Limits;

/// Name of the custom section that carries the manifest.
pub const MANIFEST_SECTION: &str = "spacesmith-manifest";
/// The manifest format this host reads.
pub const MANIFEST_VERSION: u32 = 1;
const MAX_MANIFEST_BYTES: usize = 64 << 10;

/// Host access a plugin may ask for. Each one is granted per plugin by the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Capability {
    /// During `check` only: the project directory, read-only, at `/project` inside the sandbox.
    ProjectRead,
    /// During `spacesmith dev` only: the host runs the plugin's run plan (its setup and start commands).
    RunPlan,
}

impl Capability {
    pub const ALL: [Capability; 2] = [Capability::ProjectRead, Capability::RunPlan];

    pub fn name(self) -> &'static str {
        match self {
            Capability::ProjectRead => "project-read",
            Capability::RunPlan => "run-plan",
        }
    }

    /// What granting it gives the plugin, for `plugin info` and the install prompt.
    pub fn gives(self) -> &'static str {
        match self {
            Capability::ProjectRead => {
                "read-only access to the whole project directory (including .git and ignored files such as .env) during `check`, at /project; no writes, no network"
            }
            Capability::RunPlan => {
                "during `spacesmith dev`, the setup and start commands of its run plan run on this machine as you, outside the sandbox, with the .env values"
            }
        }
    }

    pub fn known_names() -> String {
        Self::ALL.iter().map(|c| c.name()).collect::<Vec<_>>().join(", ")
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Capability {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|c| c.name() == s)
            .ok_or_else(|| format!("unknown capability `{s}` (this spacesmith knows: {})", Self::known_names()))
    }
}

/// Resource limits a plugin asks for (absent fields keep the host's defaults).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct LimitRequest {
    pub memory_mib: Option<u64>,
    pub call_timeout_ms: Option<u64>,
    pub output_mib: Option<u64>,
}

impl LimitRequest {
    pub fn is_empty(&self) -> bool {
        self == &LimitRequest::default()
    }

    /// `base` with these requests applied (unclamped; see [`Limits::clamped`]).
    pub fn apply(&self, base: &Limits) -> Limits {
        let mut l = base.clone();
        if let Some(m) = self.memory_mib {
            l.memory_bytes = usize::try_from(m.saturating_mul(1 << 20)).unwrap_or(usize::MAX);
        }
        if let Some(ms) = self.call_timeout_ms {
            l.call_timeout = Duration::from_millis(ms);
        }
        if let Some(m) = self.output_mib {
            let bytes = usize::try_from(m.saturating_mul(1 << 20)).unwrap_or(usize::MAX);
            l.max_total_bytes = bytes;
            l.max_file_bytes = bytes;
        }
        l
    }

    /// The request expressed against the hard maximums: which fields exceed them.
    pub fn over_maximum(&self) -> Vec<String> {
        let max = Limits::hard_maximum();
        let mut over = Vec::new();
        if self.memory_mib.is_some_and(|m| m > (max.memory_bytes >> 20) as u64) {
            over.push(format!("memory-mib over {}", max.memory_bytes >> 20));
        }
        if self.call_timeout_ms.is_some_and(|t| t > max.call_timeout.as_millis() as u64) {
            over.push(format!("call-timeout-ms over {}", max.call_timeout.as_millis()));
        }
        if self.output_mib.is_some_and(|m| m > (max.max_total_bytes >> 20) as u64) {
            over.push(format!("output-mib over {}", max.max_total_bytes >> 20));
        }
        if self.memory_mib == Some(0) || self.call_timeout_ms == Some(0) || self.output_mib == Some(0) {
            over.push("a limit of 0".into());
        }
        over
    }
}

/// A parsed manifest. A plugin without one asks for nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Manifest {
    /// Requested capabilities this host knows, with the plugin's reason.
    pub capabilities: BTreeMap<Capability, String>,
    /// Requested capabilities this host does not know: they cannot be granted.
    pub unknown_capabilities: Vec<String>,
    pub limits: LimitRequest,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct Raw {
    manifest_version: u32,
    #[serde(default)]
    capabilities: BTreeMap<String, String>,
    #[serde(default)]
    limits: LimitRequest,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ManifestError {
    #[error("its manifest (the `{MANIFEST_SECTION}` section) is not UTF-8")]
    NotUtf8,
    #[error("its manifest is over {} KiB", MAX_MANIFEST_BYTES >> 10)]
    TooLarge,
    #[error("its manifest does not parse: {0}")]
    Syntax(String),
    #[error("its manifest has manifest-version {0}, which this spacesmith does not read (it reads {MANIFEST_VERSION})")]
    Version(u32),
    #[error("its manifest asks for a limit of 0 ({0}); every limit must be at least 1")]
    ZeroLimit(&'static str),
}

impl Manifest {
    /// Parse `spacesmith-plugin.toml` text.
    pub fn parse(text: &str) -> Result<Manifest, ManifestError> {
        if text.len() > MAX_MANIFEST_BYTES {
            return Err(ManifestError::TooLarge);
        }
        let raw: Raw = toml::from_str(text).map_err(|e| ManifestError::Syntax(one_line(&e.to_string())))?;
        if raw.manifest_version != MANIFEST_VERSION {
            return Err(ManifestError::Version(raw.manifest_version));
        }
        let zero = [
            ("memory-mib", raw.limits.memory_mib),
            ("call-timeout-ms", raw.limits.call_timeout_ms),
            ("output-mib", raw.limits.output_mib),
        ];
        if let Some((key, _)) = zero.into_iter().find(|(_, v)| *v == Some(0)) {
            return Err(ManifestError::ZeroLimit(key));
        }
        let mut manifest = Manifest { limits: raw.limits, ..Manifest::default() };
        for (name, why) in raw.capabilities {
            let why = crate::output::sanitize_text(&why, 500);
            match name.parse::<Capability>() {
                Ok(cap) => {
                    manifest.capabilities.insert(cap, why);
                }
                Err(_) => manifest.unknown_capabilities.push(crate::output::sanitize_text(&name, 64)),
            }
        }
        Ok(manifest)
    }

    /// Parse the embedded section's bytes; None (no section) is an empty manifest.
    pub fn from_section(section: Option<&[u8]>) -> Result<Manifest, ManifestError> {
        match section {
            None => Ok(Manifest::default()),
            Some(bytes) if bytes.len() > MAX_MANIFEST_BYTES => Err(ManifestError::TooLarge),
            Some(bytes) => Manifest::parse(std::str::from_utf8(bytes).map_err(|_| ManifestError::NotUtf8)?),
        }
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_capabilities_and_limits() {
        let m = Manifest::parse(
            "manifest-version = 1\n[capabilities]\nproject-read = \"reads big files\"\ncamera = \"no\"\n[limits]\nmemory-mib = 128\ncall-timeout-ms = 5000\n",
        )
        .unwrap();
        assert_eq!(m.capabilities.get(&Capability::ProjectRead).map(String::as_str), Some("reads big files"));
        assert_eq!(m.unknown_capabilities, ["camera"]);
        assert_eq!(m.limits, LimitRequest { memory_mib: Some(128), call_timeout_ms: Some(5000), output_mib: None });
        let l = m.limits.apply(&Limits::default());
        assert_eq!((l.memory_bytes, l.call_timeout), (128 << 20, Duration::from_secs(5)));
    }

    #[test]
    fn refuses_bad_manifests() {
        assert_eq!(Manifest::parse("manifest-version = 2\n"), Err(ManifestError::Version(2)));
        assert!(matches!(Manifest::parse("manifest-version = 1\n[limits]\nmemory = 1\n"), Err(ManifestError::Syntax(_))));
        assert!(matches!(Manifest::parse("capabilities = 3"), Err(ManifestError::Syntax(_))));
        assert_eq!(Manifest::from_section(Some(&[0xff, 0xfe])), Err(ManifestError::NotUtf8));
        assert_eq!(Manifest::from_section(None), Ok(Manifest::default()));
        assert_eq!(
            Manifest::parse("manifest-version = 1\n[limits]\ncall-timeout-ms = 0\n"),
            Err(ManifestError::ZeroLimit("call-timeout-ms"))
        );
    }

    #[test]
    fn flags_limits_over_the_maximum() {
        let r = LimitRequest { memory_mib: Some(4096), call_timeout_ms: Some(1000), output_mib: Some(0) };
        assert_eq!(r.over_maximum(), ["memory-mib over 512", "a limit of 0"]);
        assert!(LimitRequest::default().over_maximum().is_empty());
    }
}
