//! Hugging Face Space configuration: the README front-matter model and parser (with line numbers),
//! every front-matter rule of the Spaces config reference, the SDK-independent project rules, and
//! the rule catalogue. Pure: no network, and only `project::load` touches the filesystem.

#![warn(missing_docs)]

mod config;
mod conflict;
mod emoji;
mod finding;
mod frontmatter;
mod suggest;
/// Edit distance (Levenshtein with adjacent transpositions), for "did you mean" hints anywhere in the host.
pub use suggest::distance as edit_distance;
mod yaml;

pub mod common;
pub mod project;

pub use config::{
    COLORS, CUSTOM_HEADERS, HARDWARE_FLAVORS, OAUTH_EXPIRATION_MAX, OAUTH_SCOPES, SDKS, SHORT_DESCRIPTION_MAX, known_fields,
};
pub use finding::{Finding, RuleInfo, Severity};
pub use frontmatter::FrontMatter;

/// The result of checking one README: the parsed config (if the container was readable) and
/// every finding about it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadmeCheck {
    /// `None` when there is no readable front matter (missing, unclosed, invalid YAML, ...).
    pub front_matter: Option<FrontMatter>,
    /// Sorted by line, container findings first.
    pub findings: Vec<Finding>,
}

impl ReadmeCheck {
    /// Whether any finding is an error, i.e. the Hub would refuse or misread this config.
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }
}

/// Parse and check a README.md's text against every front-matter rule. `path` goes into findings.
pub fn check_readme(path: &str, text: &str) -> ReadmeCheck {
    let (front_matter, mut findings) = frontmatter::parse_container(path, text);
    if let Some(fm) = &front_matter {
        findings.extend(config::check(path, fm));
    }
    findings.sort_by_key(|f| f.line.unwrap_or(0));
    ReadmeCheck { front_matter, findings }
}

/// What `validate` runs before the SDK plugins: the root README's front-matter rules plus the
/// common rules, so every caller checks a project the same way.
pub fn check_project(project: &project::Project) -> ReadmeCheck {
    let mut check = match project.text("README.md") {
        Some(Ok(text)) => check_readme("README.md", text),
        // Latin-1 and the like: the `---` lines are ASCII, so the config is still there to check
        // (common/readme-encoding says why the characters are off).
        Some(Err(_)) => match project.file("README.md") {
            Some(f) if !common::is_utf16(&f.contents) => check_readme("README.md", &String::from_utf8_lossy(&f.contents)),
            _ => ReadmeCheck { front_matter: None, findings: Vec::new() },
        },
        // Missing, binary or over the cap: the common rules say which.
        None => ReadmeCheck { front_matter: None, findings: Vec::new() },
    };
    check.findings.extend(common::check(project, check.front_matter.as_ref()));
    check
}

/// Every rule `check_readme` can emit, for `spacesmith rules` and docs.
pub fn config_rules() -> Vec<RuleInfo> {
    frontmatter::RULES.iter().chain(config::RULES.iter()).map(|r| r.info()).collect()
}

/// The whole catalogue of this crate: README, config and common rules.
pub fn all_rules() -> Vec<RuleInfo> {
    let mut rules = config_rules();
    rules.extend(common::rules());
    rules
}

/// Look up one rule by id, e.g. for `spacesmith explain config/unknown-key`.
pub fn rule(id: &str) -> Option<RuleInfo> {
    all_rules().into_iter().find(|r| r.id == id)
}
