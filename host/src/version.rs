//! What `spacesmith --version` reports: this build's version, commit, the plugin contracts it serves
//! and the wasmtime it runs them on (host/build.rs supplies the commit and versions at build time).

use serde::Serialize;
use spacesmith_runtime::contract;

#[derive(Debug, Clone, Serialize)]
pub struct VersionInfo {
    pub name: &'static str,
    pub version: &'static str,
    /// Short git commit, or "unknown" when built from a source without git.
    pub commit: &'static str,
    /// Every plugin contract (WIT) version this binary can run.
    pub contracts: Vec<ServedContract>,
    /// The contract `spacesmith plugin new` builds against.
    pub latest_contract: String,
    /// The plugin manifest format this binary reads.
    pub manifest_version: u32,
    pub wasmtime: &'static str,
    pub rustc: &'static str,
    pub target: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct ServedContract {
    pub version: String,
    /// The first spacesmith release that served it.
    pub since: &'static str,
}

impl VersionInfo {
    pub fn current() -> VersionInfo {
        VersionInfo {
            name: env!("CARGO_PKG_NAME"),
            version: env!("CARGO_PKG_VERSION"),
            commit: env!("SPACESMITH_COMMIT"),
            contracts: contract::SERVED
                .iter()
                .map(|s| ServedContract { version: s.version.to_string(), since: s.since_host })
                .collect(),
            latest_contract: contract::LATEST.to_string(),
            manifest_version: spacesmith_runtime::manifest::MANIFEST_VERSION,
            wasmtime: env!("SPACESMITH_WASMTIME_VERSION"),
            rustc: env!("SPACESMITH_RUSTC_VERSION"),
            target: env!("SPACESMITH_TARGET"),
        }
    }

    /// Everything after the name, on one line: what clap prints for `--version` too.
    pub fn short(&self) -> String {
        let contracts: Vec<&str> = self.contracts.iter().map(|c| c.version.as_str()).collect();
        let noun = if contracts.len() == 1 { "contract" } else { "contracts" };
        format!("{} (commit {}, {noun} {}, wasmtime {})", self.version, self.commit, contracts.join(" "), self.wasmtime)
    }

    /// `spacesmith 0.1.0 (commit abc1234, contract 0.1.0, wasmtime 48.0.8)`.
    pub fn line(&self) -> String {
        format!("{} {}", self.name, self.short())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_names_version_commit_contracts_and_wasmtime() {
        let info = VersionInfo::current();
        let line = info.line();
        assert!(line.starts_with(&format!("spacesmith {} (commit ", env!("CARGO_PKG_VERSION"))), "{line}");
        let served: Vec<String> = contract::SERVED.iter().map(|c| c.version.to_string()).collect();
        let noun = if served.len() == 1 { "contract" } else { "contracts" };
        assert!(line.contains(&format!("{noun} {}", served.join(" "))), "{line}");
        assert!(!info.commit.is_empty() && !line.contains('\n'), "{line}");
        // From Cargo.lock, so it moves with the dependency, never by hand.
        assert!(info.wasmtime.split('.').count() == 3 && info.wasmtime.split('.').all(|p| p.parse::<u32>().is_ok()), "{line}");
        assert!(line.ends_with(&format!("wasmtime {})", info.wasmtime)), "{line}");
    }
}
