//! What `scaffold` produces, first as data ([`Plan`]: templates plus one JSON context), then rendered.
//!
//! Keeping the plan as data is what makes a plugin testable natively: the plan is built by pure code,
//! and tests render it with the `testing` renderer instead of the host import.

use std::collections::BTreeSet;

use crate::{File, PluginError, Render, ScaffoldOutput, SecretSpec, SecretStage, Value, VariableSpec};

/// A template shipped in the plugin: its name (for error messages) and its Tera source.
///
/// Plugins, built-in or from `spacesmith plugin new`, keep theirs in their crate's `templates/` and embed
/// them with `include_str!`: `Template::new("docker/Dockerfile.tera", include_str!("../templates/Dockerfile.tera"))`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Template {
    pub name: &'static str,
    pub source: &'static str,
}

impl Template {
    pub const fn new(name: &'static str, source: &'static str) -> Self {
        Self { name, source }
    }
}

/// Where a planned file's contents come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// Rendered with the plan's context.
    Template(Template),
    /// Used as is.
    Literal(String),
}

/// One file of a plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedFile {
    pub path: String,
    pub source: Source,
    pub executable: bool,
}

/// A scaffold result before rendering: files (templates or literal text), one render context shared by
/// every template, and the secrets, variables and notices to report.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Plan {
    pub context: Value,
    pub files: Vec<PlannedFile>,
    pub secrets: Vec<SecretSpec>,
    pub variables: Vec<VariableSpec>,
    pub notices: Vec<String>,
}

impl Plan {
    /// An empty plan whose templates render with `context` (a JSON object).
    pub fn new(context: Value) -> Self {
        Self { context, ..Self::default() }
    }

    /// Adds a file rendered from `template`.
    pub fn template(&mut self, path: &str, template: Template) -> &mut Self {
        self.push(path, Source::Template(template), false)
    }

    /// Adds an executable file rendered from `template` (scripts).
    pub fn executable_template(&mut self, path: &str, template: Template) -> &mut Self {
        self.push(path, Source::Template(template), true)
    }

    /// Adds a file with fixed contents.
    pub fn literal(&mut self, path: &str, contents: impl Into<String>) -> &mut Self {
        self.push(path, Source::Literal(contents.into()), false)
    }

    fn push(&mut self, path: &str, source: Source, executable: bool) -> &mut Self {
        self.files.push(PlannedFile { path: path.to_string(), source, executable });
        self
    }

    pub fn secret(&mut self, secret: SecretSpec) -> &mut Self {
        self.secrets.push(secret);
        self
    }

    pub fn variable(&mut self, variable: VariableSpec) -> &mut Self {
        self.variables.push(variable);
        self
    }

    pub fn notice(&mut self, notice: impl Into<String>) -> &mut Self {
        self.notices.push(notice.into());
        self
    }

    /// The planned paths, sorted.
    pub fn paths(&self) -> Vec<&str> {
        let mut paths: Vec<&str> = self.files.iter().map(|f| f.path.as_str()).collect();
        paths.sort_unstable();
        paths
    }

    /// Renders every template with the plan's context through the host's Tera.
    pub fn render(self) -> Result<ScaffoldOutput, PluginError> {
        self.render_with(&crate::HostRenderer)
    }

    /// Renders every template with `renderer`. The output is deterministic: files sorted by path,
    /// secrets and variables sorted by name, notices in the order given. A path planned twice is an error.
    pub fn render_with(self, renderer: &dyn Render) -> Result<ScaffoldOutput, PluginError> {
        let mut seen = BTreeSet::new();
        for file in &self.files {
            if !seen.insert(file.path.as_str()) {
                return Err(PluginError::new(format!("the plugin planned {} twice", file.path)));
            }
        }
        let mut files = self
            .files
            .iter()
            .map(|planned| {
                let contents = match &planned.source {
                    Source::Template(t) => renderer.render(t.name, t.source, &self.context)?,
                    Source::Literal(text) => text.clone(),
                };
                Ok(File { path: planned.path.clone(), contents: contents.into_bytes(), executable: planned.executable })
            })
            .collect::<Result<Vec<_>, PluginError>>()?;
        files.sort_by(|a, b| a.path.cmp(&b.path));
        let mut secrets = self.secrets;
        secrets.sort_by(|a, b| a.name.cmp(&b.name));
        let mut variables = self.variables;
        variables.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(ScaffoldOutput { files, secrets, variables, notices: self.notices })
    }
}

impl File {
    /// A regular text file.
    pub fn text(path: &str, contents: impl Into<String>) -> Self {
        Self { path: path.to_string(), contents: contents.into().into_bytes(), executable: false }
    }

    /// An executable text file (a script).
    pub fn executable(path: &str, contents: impl Into<String>) -> Self {
        Self { executable: true, ..Self::text(path, contents) }
    }

    /// The contents as UTF-8, if they are.
    pub fn contents_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.contents).ok()
    }
}

impl SecretSpec {
    /// A secret the running app reads from its environment.
    pub fn runtime(name: &str, required: bool, why: &str) -> Self {
        Self { name: name.to_string(), stage: SecretStage::Runtime, required, why: why.to_string(), found_in: Vec::new() }
    }

    /// A secret `docker build` needs, mounted with `RUN --mount=type=secret,id=<name>`.
    pub fn build(name: &str, required: bool, why: &str) -> Self {
        Self { stage: SecretStage::Build, ..Self::runtime(name, required, why) }
    }
}

impl VariableSpec {
    /// A public Space variable.
    pub fn new(name: &str, value: &str, why: &str) -> Self {
        Self { name: name.to_string(), value: value.to_string(), why: why.to_string() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    /// Renders `{{name}}` as "<template name>:<context name>" — enough to see what was rendered with what.
    struct Echo;
    impl Render for Echo {
        fn render(&self, name: &str, _template: &str, context: &Value) -> Result<String, PluginError> {
            Ok(format!("{name}:{}", context["name"].as_str().unwrap_or_default()))
        }
    }

    struct Failing;
    impl Render for Failing {
        fn render(&self, name: &str, _: &str, _: &Value) -> Result<String, PluginError> {
            Err(PluginError::new(format!("template {name}: boom")))
        }
    }

    const T: Template = Template::new("t/a.tera", "{{ name }}");

    #[test]
    fn render_sorts_files_secrets_and_variables_and_keeps_notices() {
        let mut plan = Plan::new(json!({"name": "x"}));
        plan.template("z.txt", T)
            .executable_template("start.sh", T)
            .literal(".gitignore", "a\n")
            .secret(SecretSpec::runtime("B", true, "b"))
            .secret(SecretSpec::build("A", false, "a"))
            .variable(VariableSpec::new("Z", "1", "z"))
            .variable(VariableSpec::new("Y", "2", "y"))
            .notice("second")
            .notice("first");
        assert_eq!(plan.paths(), [".gitignore", "start.sh", "z.txt"]);
        let out = plan.render_with(&Echo).unwrap();
        let files: Vec<(&str, &str, bool)> =
            out.files.iter().map(|f| (f.path.as_str(), f.contents_str().unwrap(), f.executable)).collect();
        assert_eq!(files, [(".gitignore", "a\n", false), ("start.sh", "t/a.tera:x", true), ("z.txt", "t/a.tera:x", false)]);
        assert_eq!(out.secrets.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(), ["A", "B"]);
        assert_eq!(out.secrets[0].stage, SecretStage::Build);
        assert_eq!(out.variables.iter().map(|v| v.name.as_str()).collect::<Vec<_>>(), ["Y", "Z"]);
        assert_eq!(out.notices, ["second", "first"]);
    }

    #[test]
    fn a_path_planned_twice_is_an_error() {
        let mut plan = Plan::new(json!({}));
        plan.literal("a", "1").template("a", T);
        assert!(plan.render_with(&Echo).unwrap_err().message.contains("planned a twice"));
    }

    #[test]
    fn render_errors_propagate() {
        let mut plan = Plan::new(json!({}));
        plan.template("a", T);
        assert_eq!(plan.render_with(&Failing).unwrap_err().message, "template t/a.tera: boom");
    }

    #[test]
    fn file_constructors() {
        assert_eq!(File::text("a", "x"), File { path: "a".into(), contents: b"x".to_vec(), executable: false });
        assert!(File::executable("s.sh", "#!/bin/sh\n").executable);
    }
}
