//! The host's view of plugin data, independent of any one contract version: each version's bindings
//! convert into these types, so the rest of the host has one code path however many versions it serves.

use serde::Serialize;

/// What a plugin says about itself (`info`).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PluginInfo {
    pub name: String,
    pub sdk_id: String,
    pub version: String,
    pub description: String,
    pub checks_sdks: Vec<String>,
    pub default_port: Option<u16>,
    pub options: Vec<OptionSpec>,
}

impl PluginInfo {
    pub fn option(&self, name: &str) -> Option<&OptionSpec> {
        self.options.iter().find(|o| o.name == name)
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct OptionSpec {
    pub name: String,
    pub kind: OptionKind,
    pub default: Option<OptionValue>,
    pub help: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum OptionKind {
    Text,
    Flag,
    Integer { min: i64, max: i64 },
    Choice { values: Vec<String> },
    Url,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(untagged)]
pub enum OptionValue {
    Text(String),
    Flag(bool),
    Integer(i64),
}

impl std::fmt::Display for OptionValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OptionValue::Text(s) => f.write_str(s),
            OptionValue::Flag(b) => write!(f, "{b}"),
            OptionValue::Integer(i) => write!(f, "{i}"),
        }
    }
}

/// URL schemes a `url` option accepts; anything else is almost certainly a typo.
const URL_SCHEMES: &[&str] = &["https://", "http://", "ssh://", "git://", "file://"];

impl OptionSpec {
    /// Parse a command-line value for this option; the error says what was expected.
    pub fn parse(&self, raw: &str) -> Result<OptionValue, String> {
        let value = match &self.kind {
            OptionKind::Flag => match raw {
                "true" | "yes" | "1" | "on" => OptionValue::Flag(true),
                "false" | "no" | "0" | "off" => OptionValue::Flag(false),
                _ => return Err(format!("expected true or false, got `{raw}`")),
            },
            OptionKind::Integer { .. } => match raw.trim().parse::<i64>() {
                Ok(n) => OptionValue::Integer(n),
                Err(_) => return Err(format!("expected a whole number, got `{raw}`")),
            },
            _ => OptionValue::Text(raw.to_string()),
        };
        self.validate(&value)?;
        Ok(value)
    }

    /// Check a value against the option's kind; the host runs this before every scaffold call.
    pub fn validate(&self, value: &OptionValue) -> Result<(), String> {
        match (&self.kind, value) {
            (OptionKind::Text, OptionValue::Text(_)) | (OptionKind::Flag, OptionValue::Flag(_)) => Ok(()),
            (OptionKind::Integer { min, max }, OptionValue::Integer(n)) => {
                if n < min || n > max {
                    Err(format!("{n} is out of range: expected {min} to {max}"))
                } else {
                    Ok(())
                }
            }
            (OptionKind::Choice { values }, OptionValue::Text(s)) => {
                if values.iter().any(|v| v == s) {
                    Ok(())
                } else {
                    Err(format!("`{s}` is not one of: {}", values.join(", ")))
                }
            }
            (OptionKind::Url, OptionValue::Text(s)) => {
                // Schemes are case-insensitive (RFC 3986); the SDK's `Options::parse` applies the same rule.
                let absolute = s.split_once("://").is_some_and(|(scheme, rest)| {
                    URL_SCHEMES.iter().any(|p| p.trim_end_matches("://").eq_ignore_ascii_case(scheme)) && !rest.is_empty()
                });
                if absolute && !s.contains(char::is_whitespace) {
                    Ok(())
                } else {
                    Err(format!("`{s}` is not an absolute URL (https://, http://, ssh://, git:// or file://)"))
                }
            }
            (kind, value) => Err(format!("a {} value does not fit a {} option", value_type(value), kind_name(kind))),
        }
    }
}

fn value_type(v: &OptionValue) -> &'static str {
    match v {
        OptionValue::Text(_) => "text",
        OptionValue::Flag(_) => "boolean",
        OptionValue::Integer(_) => "integer",
    }
}

pub fn kind_name(k: &OptionKind) -> &'static str {
    match k {
        OptionKind::Text => "text",
        OptionKind::Flag => "flag",
        OptionKind::Integer { .. } => "integer",
        OptionKind::Choice { .. } => "choice",
        OptionKind::Url => "url",
    }
}

/// Input of `scaffold`: options are complete (defaults merged) and validated.
#[derive(Debug, Clone, Serialize)]
pub struct ScaffoldInput {
    pub project_name: String,
    pub title: String,
    pub api: bool,
    pub options: Vec<(String, OptionValue)>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct GeneratedFile {
    pub path: String,
    #[serde(skip)]
    pub contents: Vec<u8>,
    pub executable: bool,
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SecretStage {
    Build,
    Runtime,
}

impl SecretStage {
    pub fn label(self) -> &'static str {
        match self {
            SecretStage::Build => "build-time",
            SecretStage::Runtime => "runtime",
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SecretSpec {
    pub name: String,
    pub stage: SecretStage,
    pub required: bool,
    pub why: String,
    /// Where the project's files read it (`secrets`); empty for what `scaffold` declares.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub found_in: Vec<Location>,
}

/// A place in a project file.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Location {
    pub path: String,
    pub line: Option<u32>,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}", self.path),
            None => f.write_str(&self.path),
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct VariableSpec {
    pub name: String,
    pub value: String,
    pub why: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ScaffoldOutput {
    pub files: Vec<GeneratedFile>,
    pub secrets: Vec<SecretSpec>,
    pub variables: Vec<VariableSpec>,
    pub notices: Vec<String>,
}

/// A project as given to `check`: the files an upload would send, text only and size-capped.
#[derive(Debug, Clone, Default)]
pub struct ProjectInput {
    pub files: Vec<ProjectFileInput>,
    pub front_matter_json: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ProjectFileInput {
    pub path: String,
    pub contents: Vec<u8>,
    pub truncated: bool,
}

/// The placeholder a run plan puts where the app's port goes (arguments and env values).
pub const PORT_PLACEHOLDER: &str = "{port}";

/// How a project starts, as the Hub would start it (`run-plan`, contract 0.2).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RunPlan {
    pub port: u16,
    pub setup: Vec<SetupStep>,
    /// How it starts locally, or why it can only run in its container.
    pub start: Result<Start, String>,
    pub env: Vec<EnvVar>,
    pub ready_path: String,
    pub container: Option<Container>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SetupStep {
    Python(PythonEnv),
    Command(CommandStep),
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PythonEnv {
    pub requirement_files: Vec<String>,
    pub packages: Vec<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CommandStep {
    pub label: String,
    pub argv: Vec<String>,
    pub unless_exists: Option<String>,
    pub fix: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Start {
    Program { argv: Vec<String> },
    StaticFiles { page: String },
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct EnvVar {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Container {
    pub dockerfile: String,
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum PlanProblem {
    MissingFile,
    Unsupported,
}

/// Why a plugin cannot plan a project.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PlanError {
    pub problem: PlanProblem,
    pub message: String,
    pub path: Option<String>,
    pub fix: String,
}

/// What `run-plan` answered.
#[derive(Debug, Clone, PartialEq)]
pub enum RunPlanAnswer {
    Plan(RunPlan),
    /// The plugin checks projects like this one but does not run them.
    NoPlan,
    Refused(PlanError),
    /// The plugin was built against a contract without run plans (0.1).
    NotInContract,
}

/// Linters the host runs for a plugin.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Linter {
    Hadolint,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct LintRequest {
    pub linter: Linter,
    pub path: String,
}

/// The secrets a project's text files read (`spacesmith_readers::secrets`), as the host model has them:
/// the answer for a plugin whose contract has no `secrets`, and for a project no plugin checks.
pub fn scan_secrets(project: &ProjectInput) -> Vec<SecretSpec> {
    let texts: Vec<(&str, &str)> = project
        .files
        .iter()
        .filter(|f| !f.truncated)
        .filter_map(|f| std::str::from_utf8(&f.contents).ok().map(|text| (f.path.as_str(), text)))
        .collect();
    spacesmith_readers::secrets::scan(texts)
        .into_iter()
        .map(|s| SecretSpec {
            why: s.why(),
            stage: if s.build { SecretStage::Build } else { SecretStage::Runtime },
            required: s.required,
            found_in: s.found_in.iter().map(|(path, line)| Location { path: path.clone(), line: Some(*line) }).collect(),
            name: s.name,
        })
        .collect()
}
