//! Findings, severities and the rule descriptors every check emits through.

use serde::Serialize;
use std::fmt;

/// How bad a finding is; `Ord` puts errors first so sorted output leads with what blocks a deploy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The Space will not build, run, or be accepted by the Hub.
    Error,
    /// The Space works, but not the way the author probably meant.
    Warning,
    /// Worth knowing; nothing to fix.
    Info,
}

impl Severity {
    /// The lowercase name used in JSON and human output.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One problem found in a project, located as precisely as we can so a user can jump to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Catalogue id, e.g. `config/unknown-key`.
    pub rule: String,
    /// Always the catalogue severity of `rule`.
    pub severity: Severity,
    /// Project-relative, `/`-separated path, e.g. `README.md`.
    pub path: Option<String>,
    /// 1-based line in `path`.
    pub line: Option<u32>,
    /// What is wrong and why, one or two sentences.
    pub message: String,
    /// What to do about it.
    pub fix: Option<String>,
    /// The front-matter key the finding is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// A catalogue entry as shown to users (`spacesmith rules`, plugin `rules()`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleInfo {
    /// Namespaced id, e.g. `config/invalid-color`.
    pub id: String,
    /// The severity every finding of this rule carries.
    pub severity: Severity,
    /// One line.
    pub summary: String,
    /// Why the rule exists.
    pub explanation: String,
    /// How to fix a finding of this rule in general.
    pub fix: String,
}

/// Static rule descriptor; findings are only built through it so ids and severities cannot drift
/// from the catalogue.
#[derive(Debug)]
pub(crate) struct Rule {
    pub id: &'static str,
    pub severity: Severity,
    pub summary: &'static str,
    pub explanation: &'static str,
    pub fix: &'static str,
}

impl Rule {
    pub fn info(&self) -> RuleInfo {
        RuleInfo {
            id: self.id.to_owned(),
            severity: self.severity,
            summary: self.summary.to_owned(),
            explanation: self.explanation.to_owned(),
            fix: self.fix.to_owned(),
        }
    }

    /// A finding with the rule's generic fix; refine with the builder methods.
    pub fn at(&'static self, path: Option<&str>, line: Option<u32>, message: String) -> Finding {
        Finding {
            rule: self.id.to_owned(),
            severity: self.severity,
            path: path.map(str::to_owned),
            line,
            message,
            fix: Some(self.fix.to_owned()),
            field: None,
        }
    }
}

impl Finding {
    pub(crate) fn with_fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = Some(fix.into());
        self
    }

    pub(crate) fn with_field(mut self, field: &str) -> Self {
        self.field = Some(field.to_owned());
        self
    }
}
