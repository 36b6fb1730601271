//! A plugin's rule catalogue as static data, and findings that take their severity and fix from a rule.

use crate::{Finding, Rule, Severity};

/// One rule of a plugin's catalogue, declared as a `const` so `rules()` and `check()` share it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RuleDef {
    /// `<sdk-id>/<kebab-name>`.
    pub id: &'static str,
    pub severity: Severity,
    /// One line: what is wrong.
    pub summary: &'static str,
    /// Why it matters on a Space.
    pub explanation: &'static str,
    /// How to fix it.
    pub fix: &'static str,
}

impl RuleDef {
    /// The rule as the contract's record.
    pub fn to_rule(&self) -> Rule {
        Rule {
            id: self.id.to_string(),
            severity: self.severity,
            summary: self.summary.to_string(),
            explanation: self.explanation.to_string(),
            fix: self.fix.to_string(),
        }
    }
}

/// The catalogue as `rules()` returns it.
pub fn catalogue(rules: &[&RuleDef]) -> Vec<Rule> {
    rules.iter().map(|r| r.to_rule()).collect()
}

/// A finding of `rule`, with the rule's severity and fix; add where with [`Finding::at`] / [`Finding::in_file`].
pub fn finding(rule: &RuleDef, message: impl Into<String>) -> Finding {
    Finding {
        rule_id: rule.id.to_string(),
        severity: rule.severity,
        path: None,
        line: None,
        message: message.into(),
        fix: Some(rule.fix.to_string()),
    }
}

impl Finding {
    /// Points the finding at `path`, line `line` (1-based).
    pub fn at(self, path: &str, line: u32) -> Self {
        Self { path: Some(path.to_string()), line: Some(line), ..self }
    }

    /// Points the finding at `path` as a whole.
    pub fn in_file(self, path: &str) -> Self {
        Self { path: Some(path.to_string()), ..self }
    }

    /// Replaces the rule's generic fix with one specific to this finding.
    pub fn with_fix(self, fix: impl Into<String>) -> Self {
        Self { fix: Some(fix.into()), ..self }
    }
}

/// Sorts findings into a stable order: project-wide first, then by path, line and rule id.
pub fn sort_findings(findings: &mut [Finding]) {
    findings.sort_by(|a, b| (&a.path, a.line, &a.rule_id, &a.message).cmp(&(&b.path, b.line, &b.rule_id, &b.message)));
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULE: RuleDef = RuleDef { id: "x/thing", severity: Severity::Warning, summary: "s", explanation: "e", fix: "do it" };

    #[test]
    fn finding_takes_severity_and_fix_from_its_rule() {
        let f = finding(&RULE, "msg").at("Dockerfile", 3);
        assert_eq!(f.rule_id, "x/thing");
        assert_eq!(f.severity, Severity::Warning);
        assert_eq!((f.path.as_deref(), f.line), (Some("Dockerfile"), Some(3)));
        assert_eq!(f.fix.as_deref(), Some("do it"));
        assert_eq!(finding(&RULE, "m").with_fix("other").fix.as_deref(), Some("other"));
        assert_eq!(finding(&RULE, "m").in_file("a").line, None);
    }

    #[test]
    fn findings_sort_project_wide_first_then_by_place() {
        let mut fs = vec![
            finding(&RULE, "c").at("b", 1),
            finding(&RULE, "b").at("a", 9),
            finding(&RULE, "a").at("a", 2),
            finding(&RULE, "d"),
        ];
        sort_findings(&mut fs);
        let order: Vec<&str> = fs.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(order, ["d", "a", "b", "c"]);
    }

    #[test]
    fn catalogue_converts_every_rule() {
        let rules = catalogue(&[&RULE]);
        assert_eq!(rules.len(), 1);
        assert_eq!(rules[0].id, "x/thing");
        assert_eq!(rules[0].fix, "do it");
    }
}
