//! `ProjectService`: scaffold a Space project, validate a Space repository, list rules. It decides;
//! the CLI (or any other front end) only parses input and prints what comes back.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;
use spacesmith_runtime::{
    Linter, OptionKind, OptionValue, Plugin, ProjectFileInput, ProjectInput, ScaffoldInput, ScaffoldOutput, SecretStage,
};

use crate::secrets::NeededSecret;
use spacesmith_spec::{Finding, RuleInfo, Severity};

use crate::error::{AppError, ErrorCode};
use crate::lint::{DockerfileLinter, Hadolint};
use crate::registry::PluginRegistry;
use crate::writer::{self, PlannedFile, WriteError};

/// An option value as the user gave it: text from a command line, or already typed (JSON, API).
#[derive(Debug, Clone)]
pub enum RawValue {
    Text(String),
    Typed(OptionValue),
}

#[derive(Debug, Clone)]
pub struct NewRequest {
    pub dir: PathBuf,
    pub sdk: String,
    pub title: Option<String>,
    pub api: bool,
    pub options: Vec<(String, RawValue)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PluginSummary {
    pub sdk: String,
    pub name: String,
    pub version: String,
    pub contract: String,
}

impl PluginSummary {
    fn of(p: &Plugin) -> Self {
        let i = p.info();
        PluginSummary {
            sdk: i.sdk_id.clone(),
            name: i.name.clone(),
            version: i.version.clone(),
            contract: p.contract().to_string(),
        }
    }
}

/// One secret the project needs, with how to provide it.
#[derive(Debug, Clone, Serialize)]
pub struct SecretNotice {
    pub name: String,
    pub stage: SecretStage,
    pub required: bool,
    pub why: String,
    /// How the Space hands it over; each front end words how to set it.
    pub delivery: SecretDelivery,
}

/// How a secret reaches a Space: data, not a sentence (the CLI names its flags, the gateway its routes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SecretDelivery {
    /// The running app reads it from its environment.
    Environment,
    /// The Hub mounts it into `docker build` at `path`, so it never lands in an image layer.
    BuildMount { path: String },
}

impl SecretDelivery {
    pub fn of(name: &str, stage: SecretStage) -> SecretDelivery {
        match stage {
            SecretStage::Runtime => SecretDelivery::Environment,
            SecretStage::Build => SecretDelivery::BuildMount { path: format!("/run/secrets/{name}") },
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct NewReport {
    pub success: bool,
    pub dir: PathBuf,
    pub dry_run: bool,
    pub title: String,
    pub plugin: PluginSummary,
    pub options: serde_json::Map<String, serde_json::Value>,
    pub files: Vec<PlannedFile>,
    pub secrets: Vec<SecretNotice>,
    pub variables: Vec<spacesmith_runtime::VariableSpec>,
    pub notices: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ValidationReport {
    pub findings: Vec<Finding>,
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
    pub sdk: Option<String>,
    /// The first plugin that checked the project (the SDK's own).
    pub plugin: Option<PluginSummary>,
    /// Every plugin that checked it, third-party ones after the SDK's own.
    pub plugins: Vec<PluginSummary>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RuleEntry {
    /// `config`, `common`, or the plugin's SDK id.
    pub source: String,
    #[serde(flatten)]
    pub rule: RuleInfo,
}

/// Projects on the local disk: what the CLI and any future HTTP front end call.
pub trait ProjectService: Send + Sync {
    /// Scaffold and (unless `dry_run`) write a project. Nothing is written on any error.
    fn new_project(&self, req: &NewRequest, force: bool, dry_run: bool) -> Result<NewReport, AppError>;
    /// Check a Space repository: front matter, common rules, then the rules of the plugin for its SDK.
    fn validate(&self, dir: &Path) -> Result<ValidationReport, AppError>;
    /// [`validate`](Self::validate) of `project`, already loaded from `dir` with this service's text cap
    /// ([`load_project`]): deploy loads a project once for every pass over it.
    fn validate_loaded(&self, dir: &Path, project: &spacesmith_spec::project::Project) -> Result<ValidationReport, AppError> {
        let _ = project;
        self.validate(dir)
    }
    /// Every rule: the shared ones, then each plugin's (or only `sdk`'s plugin's).
    fn rules(&self, sdk: Option<&str>) -> Result<Vec<RuleEntry>, AppError>;
    /// The secrets the code of `project` reads, as the plugins for its SDK find them;
    /// the shared reader's scan when no plugin checks it.
    fn needed_secrets(&self, project: &spacesmith_spec::project::Project) -> Result<Vec<NeededSecret>, AppError> {
        Ok(crate::secrets::scan(&project.files))
    }
}

/// Loads the Space repository in `dir` (files up to `text_cap` bytes read whole), as validation sees it.
pub fn load_project(dir: &Path, text_cap: u64) -> Result<spacesmith_spec::project::Project, AppError> {
    spacesmith_spec::project::load(dir, text_cap).map_err(|e| {
        AppError::new(ErrorCode::ProjectUnreadable, format!("cannot validate {}: {e}", dir.display()))
            .hint("Pass the directory of a Space repository (the one holding README.md).")
    })
}

/// The implementation over a plugin registry.
pub struct Projects {
    registry: Arc<dyn PluginRegistry>,
    text_cap: u64,
    linter: Arc<dyn DockerfileLinter>,
}

impl Projects {
    /// Lints Dockerfiles with hadolint from PATH (if any); `with_linter` replaces it.
    pub fn new(registry: Arc<dyn PluginRegistry>, text_cap: u64) -> Self {
        Projects { registry, text_cap, linter: Arc::new(Hadolint::on_path(None)) }
    }

    pub fn with_linter(mut self, linter: Arc<dyn DockerfileLinter>) -> Self {
        self.linter = linter;
        self
    }
}

/// Above this many files, `check` and `linters` run in two threads (see `validate_loaded`).
const PARALLEL_CALL_FILES: usize = 1000;

impl ProjectService for Projects {
    fn new_project(&self, req: &NewRequest, force: bool, dry_run: bool) -> Result<NewReport, AppError> {
        let plugin = self.registry.get(&req.sdk)?;
        let options = merge_options(&plugin, &req.options)?;
        let project_name = project_name(&req.dir)?;
        let title = req.title.clone().unwrap_or_else(|| title_from(&project_name));
        if title.trim().is_empty() {
            return Err(AppError::new(ErrorCode::BadTitle, "the title is empty").hint("Pass --title \"My Space\"."));
        }
        let input = ScaffoldInput { project_name, title: title.clone(), api: req.api, options: options.clone() };
        let out: ScaffoldOutput = plugin.scaffold(&input)?;
        let files = if dry_run { writer::plan(&req.dir, &out.files) } else { writer::write(&req.dir, &out.files, force) };
        let files = files.map_err(|e| write_error(e, &req.dir))?;
        Ok(NewReport {
            success: true,
            dir: req.dir.clone(),
            dry_run,
            title,
            plugin: PluginSummary::of(&plugin),
            options: options.iter().map(|(k, v)| (k.clone(), serde_json::to_value(v).unwrap_or_default())).collect(),
            files,
            secrets: out.secrets.iter().map(secret_notice).collect(),
            variables: out.variables,
            notices: out.notices,
        })
    }

    fn validate(&self, dir: &Path) -> Result<ValidationReport, AppError> {
        let project = load_project(dir, self.text_cap)?;
        self.validate_loaded(dir, &project)
    }

    fn validate_loaded(&self, dir: &Path, project: &spacesmith_spec::project::Project) -> Result<ValidationReport, AppError> {
        let checked = spacesmith_spec::check_project(project);
        let mut findings = checked.findings;
        let front_matter = checked.front_matter.as_ref();
        let sdk = front_matter.and_then(|fm| fm.sdk()).map(str::to_string);
        let mut checked_by = Vec::new();
        let mut lint_requests = Vec::new();
        if let Some(sdk) = &sdk {
            let checkers = self.registry.checkers(sdk)?;
            if checkers.is_empty() {
                findings.push(Finding {
                    rule: "spacesmith/no-plugin".into(),
                    severity: Severity::Info,
                    path: Some("README.md".into()),
                    line: front_matter.and_then(|fm| fm.line_of("sdk")),
                    message: format!("no plugin checks `sdk: {sdk}` Spaces; only the configuration and common rules ran"),
                    fix: None,
                    field: Some("sdk".into()),
                });
            } else {
                let input = plugin_input(project, front_matter);
                // Each call copies the whole project into the sandbox: on a large repo the two calls run
                // side by side (each in its own instance), so asking for linters adds no wall time; on a
                // small one a thread costs more than it saves.
                let side_by_side = input.files.len() > PARALLEL_CALL_FILES;
                for plugin in checkers {
                    // The directory reaches the plugin only if the user granted it project-read.
                    let (checked, linters) = if side_by_side {
                        std::thread::scope(|scope| {
                            let linters = scope.spawn(|| plugin.linters(&input));
                            (plugin.check_in(&input, Some(dir)), linters.join())
                        })
                    } else {
                        (plugin.check_in(&input, Some(dir)), Ok(plugin.linters(&input)))
                    };
                    match checked {
                        Ok(found) => findings.extend(found),
                        // One broken checker must not hide what the others (and the host) found.
                        Err(e) => findings.push(plugin_failed(&e)),
                    }
                    match linters {
                        Ok(Ok(requests)) => lint_requests.extend(requests),
                        Ok(Err(e)) => findings.push(plugin_failed(&e)),
                        Err(panic) => std::panic::resume_unwind(panic),
                    }
                    checked_by.push(PluginSummary::of(&plugin));
                }
            }
        }
        // The host's linters run on the files the plugins ask for (each file once, if it is there).
        lint_requests.sort();
        lint_requests.dedup();
        for request in lint_requests.iter().filter(|r| project.files.iter().any(|f| f.path == r.path)) {
            match request.linter {
                Linter::Hadolint => findings.extend(self.linter.lint(dir, &request.path)),
            }
        }
        findings.sort_by(|a, b| (&a.path, a.line, a.severity, &a.rule).cmp(&(&b.path, b.line, b.severity, &b.rule)));
        let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
        Ok(ValidationReport {
            errors: count(Severity::Error),
            warnings: count(Severity::Warning),
            infos: count(Severity::Info),
            findings,
            sdk,
            plugin: checked_by.first().cloned(),
            plugins: checked_by,
        })
    }

    fn needed_secrets(&self, project: &spacesmith_spec::project::Project) -> Result<Vec<NeededSecret>, AppError> {
        let readme = project.text("README.md").and_then(Result::ok).unwrap_or("");
        let checked = spacesmith_spec::check_readme("README.md", readme);
        let front_matter = checked.front_matter.as_ref();
        let checkers = match front_matter.and_then(|fm| fm.sdk()) {
            Some(sdk) => self.registry.checkers(sdk)?,
            None => Vec::new(),
        };
        if checkers.is_empty() {
            return Ok(crate::secrets::scan(&project.files));
        }
        let input = plugin_input(project, front_matter);
        // Each plugin reads the code it knows; a name any of them finds is needed.
        let mut by_name: std::collections::BTreeMap<String, NeededSecret> = std::collections::BTreeMap::new();
        for plugin in checkers {
            let found = plugin.secrets(&input).map_err(AppError::from)?;
            for s in found {
                let e = by_name.entry(s.name.clone()).or_insert_with(|| NeededSecret {
                    name: s.name.clone(),
                    stage: s.stage,
                    required: false,
                    found_in: Vec::new(),
                });
                if s.stage == SecretStage::Build {
                    e.stage = SecretStage::Build;
                }
                e.required |= s.required;
                for at in s.found_in.iter().map(ToString::to_string) {
                    if !e.found_in.contains(&at) {
                        e.found_in.push(at);
                    }
                }
            }
        }
        Ok(by_name.into_values().collect())
    }

    fn rules(&self, sdk: Option<&str>) -> Result<Vec<RuleEntry>, AppError> {
        let mut entries: Vec<RuleEntry> = Vec::new();
        let shared = [("config", spacesmith_spec::config_rules()), ("common", spacesmith_spec::common::rules())];
        for (source, rules) in shared {
            entries.extend(rules.into_iter().map(|rule| RuleEntry { source: source.into(), rule }));
        }
        entries.push(RuleEntry { source: "spacesmith".into(), rule: no_plugin_rule() });
        entries.push(RuleEntry { source: "spacesmith".into(), rule: plugin_failed_rule() });
        entries.extend(crate::lint::rules().into_iter().map(|rule| RuleEntry { source: "hadolint".into(), rule }));
        let ids = match sdk {
            Some(s) => vec![self.registry.get(s)?.info().sdk_id.clone()],
            None => self.registry.sdk_ids(),
        };
        for id in ids {
            let plugin = self.registry.get(&id)?;
            entries.extend(plugin.rules()?.into_iter().map(|rule| RuleEntry { source: id.clone(), rule }));
        }
        Ok(entries)
    }
}

/// The project as a plugin's calls see it (the files within the text budget, the front matter as JSON).
pub(crate) fn plugin_input(
    project: &spacesmith_spec::project::Project,
    front_matter: Option<&spacesmith_spec::FrontMatter>,
) -> ProjectInput {
    ProjectInput {
        files: check_input(&project.files, CHECK_INPUT_BUDGET),
        front_matter_json: front_matter.map(|fm| fm.to_json().to_string()),
    }
}

/// Text handed to a plugin's `check` in all: well inside its memory limit, whatever the repository.
const CHECK_INPUT_BUDGET: usize = 8 << 20;

/// The project as `check` sees it. Files nearest the root and smallest come first (Dockerfile,
/// start.sh, the app), and files past the budget are passed as truncated, with no contents.
fn check_input(files: &[spacesmith_spec::project::ProjectFile], budget: usize) -> Vec<ProjectFileInput> {
    let mut order: Vec<usize> = (0..files.len()).collect();
    order.sort_by_key(|&i| (files[i].path.matches('/').count(), files[i].contents.len()));
    let mut keep = vec![false; files.len()];
    let mut used = 0usize;
    for i in order {
        let f = &files[i];
        if !f.binary && !f.truncated && used + f.contents.len() <= budget {
            used += f.contents.len();
            keep[i] = true;
        }
    }
    files
        .iter()
        .zip(keep)
        .map(|(f, keep)| ProjectFileInput {
            path: f.path.clone(),
            contents: if keep { f.contents.clone() } else { Vec::new() },
            truncated: !keep,
        })
        .collect()
}

fn plugin_failed_rule() -> RuleInfo {
    RuleInfo {
        id: "spacesmith/plugin-failed".into(),
        severity: Severity::Error,
        summary: "A plugin's check failed".into(),
        explanation: "The plugin crashed, ran past a limit or returned something the host refused, so the rules it checks were not applied; the other plugins' and the host's findings are still reported.".into(),
        fix: "Report it to the plugin's author, with the message; `spacesmith plugin info ID` shows where the plugin came from, `spacesmith plugin remove ID` uninstalls it.".into(),
    }
}

fn plugin_failed(e: &spacesmith_runtime::PluginError) -> Finding {
    let rule = plugin_failed_rule();
    Finding {
        rule: rule.id,
        severity: rule.severity,
        path: None,
        line: None,
        message: e.to_string(),
        fix: Some(rule.fix),
        field: None,
    }
}

fn no_plugin_rule() -> RuleInfo {
    RuleInfo {
        id: "spacesmith/no-plugin".into(),
        severity: Severity::Info,
        summary: "No plugin checks this SDK".into(),
        explanation:
            "Only the configuration and common rules ran, because no installed plugin declares that it checks Spaces of this SDK."
                .into(),
        fix: "Nothing to fix; pass --plugin FILE to use a plugin for this SDK.".into(),
    }
}

/// Defaults merged with the user's values, each validated against the plugin's option schema.
fn merge_options(plugin: &Plugin, given: &[(String, RawValue)]) -> Result<Vec<(String, OptionValue)>, AppError> {
    let info = plugin.info();
    let mut merged: Vec<(String, Option<OptionValue>)> =
        info.options.iter().map(|o| (o.name.clone(), o.default.clone())).collect();
    for (name, raw) in given {
        let Some(spec) = info.option(name) else {
            let known = info.options.iter().map(|o| format!("--{}", o.name)).collect::<Vec<_>>().join(", ");
            return Err(AppError::new(ErrorCode::UnknownOption, format!("the {} plugin has no option `{name}`", info.sdk_id))
                .hint(if known.is_empty() { "It takes no options.".to_string() } else { format!("Its options: {known}.") }));
        };
        let value = match raw {
            RawValue::Text(s) => spec.parse(s),
            RawValue::Typed(v) => spec.validate(v).map(|_| v.clone()),
        }
        .map_err(|e| {
            AppError::new(ErrorCode::BadOption, format!("invalid value for --{name}: {e}"))
                .hint(format!("--{name}: {}", spec.help))
        })?;
        merged.iter_mut().find(|(n, _)| n == name).expect("option exists").1 = Some(value);
    }
    Ok(merged.into_iter().filter_map(|(n, v)| v.map(|v| (n, v))).collect())
}

fn project_name(dir: &Path) -> Result<String, AppError> {
    let absolute = if dir.is_absolute() { dir.to_path_buf() } else { std::env::current_dir().unwrap_or_default().join(dir) };
    let name = absolute.components().rev().find_map(|c| match c {
        std::path::Component::Normal(n) => Some(n.to_string_lossy().into_owned()),
        _ => None,
    });
    name.filter(|n| !n.trim().is_empty()).ok_or_else(|| {
        AppError::new(ErrorCode::BadDir, format!("cannot name a project after {}", dir.display()))
            .hint("Pass a directory such as `my-space`.")
    })
}

/// `my-cool_space` → `My Cool Space`.
fn title_from(name: &str) -> String {
    name.split(['-', '_', ' ', '.'])
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn secret_notice(s: &spacesmith_runtime::SecretSpec) -> SecretNotice {
    SecretNotice {
        name: s.name.clone(),
        stage: s.stage,
        required: s.required,
        why: s.why.clone(),
        delivery: SecretDelivery::of(&s.name, s.stage),
    }
}

pub(crate) fn write_error(e: WriteError, dir: &Path) -> AppError {
    match e {
        WriteError::Exists { .. } => AppError::new(ErrorCode::FilesExist, e.to_string()).hint(format!(
            "Nothing was written. Pass --force to overwrite them, or choose another directory than {}.",
            dir.display()
        )),
        WriteError::NotADirectory(_) | WriteError::Blocked { .. } => AppError::new(ErrorCode::TargetBlocked, e.to_string())
            .hint("Nothing was written. Move it away or choose another directory."),
        WriteError::Io { .. } => AppError::new(ErrorCode::WriteFailed, e.to_string())
            .hint("Nothing was left half-written: any file already placed was restored."),
    }
}

/// Human-readable kind of an option, for help text.
pub fn option_kind_label(kind: &OptionKind) -> String {
    match kind {
        OptionKind::Text => "TEXT".into(),
        OptionKind::Flag => String::new(),
        OptionKind::Integer { .. } => "N".into(),
        OptionKind::Choice { .. } => "CHOICE".into(),
        OptionKind::Url => "URL".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_input_keeps_root_and_small_files_within_budget() {
        use spacesmith_spec::project::ProjectFile;
        let file = |path: &str, size: usize| ProjectFile::text(path, vec![b'x'; size]);
        let files = vec![file("Dockerfile", 10), file("data/big.txt", 80), file("data/small.txt", 5), file("app.py", 50)];
        let input = check_input(&files, 70);
        let kept: Vec<(&str, bool)> = input.iter().map(|f| (f.path.as_str(), f.truncated)).collect();
        assert_eq!(kept, [("Dockerfile", false), ("data/big.txt", true), ("data/small.txt", false), ("app.py", false)]);
        assert!(input[1].contents.is_empty());
        assert_eq!(input.iter().map(|f| f.contents.len()).sum::<usize>(), 65);
    }

    #[test]
    fn titles_come_from_directory_names() {
        assert_eq!(title_from("my-cool_space"), "My Cool Space");
        assert_eq!(title_from("demo"), "Demo");
        assert_eq!(title_from("x--y"), "X Y");
    }

    #[test]
    fn project_names_ignore_trailing_dots() {
        assert_eq!(project_name(Path::new("a/b/space")).unwrap(), "space");
        assert_eq!(project_name(Path::new("/tmp/x/.")).unwrap(), "x");
    }
}
