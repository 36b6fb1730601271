//! Printing. A command's result goes to stdout (human text, or JSON with `--json`); notices, advice and
//! progress go to stderr, and `-q` silences them; warnings and errors go to stderr always. Each stream is
//! styled only when it is a terminal, `NO_COLOR` is unset and `TERM` is not `dumb`.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::Serialize;
use spacesmith_spec::Severity;

use spacesmith_hub::{LogLine, SpaceId, SpaceRuntime, UploadEvent, WaitOutcome, WatchEvent};

use crate::ci::CiReport;
use crate::deploy::{DeployEvent, DeployObserver, DeployReport, SecretStatus, SecretsReport, SpaceStatus};
use crate::dev::{DevEvent, DevObserver};
use crate::error::AppError;
use crate::kit::KitReport;
use crate::plugins::{InfoReport, InstallReport, ListReport, PluginView, RemoveReport};
use crate::project::{NewReport, RuleEntry, SecretDelivery, SecretNotice, ValidationReport};
use crate::writer::Action;

use super::progress::{self, Progress};

static QUIET: AtomicBool = AtomicBool::new(false);

/// `-q/--quiet`: notices and progress off; results and errors still print.
pub fn set_quiet(on: bool) {
    QUIET.store(on, Ordering::Relaxed)
}

/// Whether notices and progress are silenced (`-q/--quiet`).
pub fn quiet() -> bool {
    QUIET.load(Ordering::Relaxed)
}

/// A result line on stdout. A closed pipe (`| head`) is not an error worth a panic.
macro_rules! out {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// A notice or advice line on stderr, unless `-q`.
macro_rules! note {
    ($($arg:tt)*) => {{
        if !$crate::cli::output::quiet() {
            let _ = writeln!(std::io::stderr().lock(), $($arg)*);
        }
    }};
}

/// A warning line on stderr, also with `-q`: something is wrong and the user should know.
macro_rules! warning {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stderr().lock(), $($arg)*);
    }};
}

pub(super) use {note, out, warning};

/// Whether a stream may carry colour: a terminal, `NO_COLOR` unset or empty, `TERM` not `dumb`.
fn colour(terminal: bool) -> bool {
    terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
}

pub(super) struct Style {
    on: bool,
}

impl Style {
    pub(super) fn stderr() -> Self {
        Style { on: colour(std::io::stderr().is_terminal()) }
    }
    pub(super) fn stdout() -> Self {
        Style { on: colour(std::io::stdout().is_terminal()) }
    }
    pub(super) fn paint(&self, code: &str, s: &str) -> String {
        if self.on { format!("\x1b[{code}m{s}\x1b[0m") } else { s.to_string() }
    }
    fn bold(&self, s: &str) -> String {
        self.paint("1", s)
    }
    fn dim(&self, s: &str) -> String {
        self.paint("2", s)
    }
    fn severity(&self, s: Severity) -> String {
        match s {
            Severity::Error => self.paint("1;31", "error"),
            Severity::Warning => self.paint("1;33", "warning"),
            Severity::Info => self.paint("1;36", "info"),
        }
    }
}

pub(super) fn json<T: Serialize>(value: &T) {
    let mut out = std::io::stdout().lock();
    let _ = serde_json::to_writer_pretty(&mut out, value);
    let _ = writeln!(out);
}

/// `--version`: a result, so stdout; `--json` for every field.
pub fn version(info: &crate::version::VersionInfo, as_json: bool) {
    if as_json {
        json(info);
    } else {
        out!("{}", info.line());
    }
}

/// Every command's errors, one format: `error[CODE]: message` and `  hint: ...` on stderr (with `--json`,
/// the error object on stdout too). Printed with `-q` as well.
pub fn error(e: &AppError, as_json: bool) {
    if as_json {
        json(&e.json());
    }
    let s = Style::stderr();
    warning!("{}: {}", s.paint("1;31", &format!("error[{}]", e.code)), e.message);
    if let Some(hint) = &e.hint {
        warning!("  {} {hint}", s.dim("hint:"));
    }
}

/// A notice from below the CLI (a refreshed token, a rate-limit wait), unless `-q`.
pub fn notice(text: &str) {
    // A retry notice can come while a deploy's bar is drawn: print it above the bar, not into it.
    progress::above(|| note!("{text}"));
}

/// How to set a secret a new project needs, in this CLI's words (the services give only the data).
fn notice_how(n: &SecretNotice) -> String {
    let name = &n.name;
    let delivered = match &n.delivery {
        SecretDelivery::Environment => "The running app reads it from its environment.".to_string(),
        SecretDelivery::BuildMount { path } => {
            format!("The Hub mounts it into `docker build` at {path}, so it never lands in an image layer.")
        }
    };
    format!(
        "`spacesmith deploy --secret {name}` (or `spacesmith secrets --space OWNER/NAME --set {name}`) sets it from ${name} without printing it; or add it in the Space's Settings → Variables and secrets. {delivered}"
    )
}

/// How to set a secret a Space lacks, in this CLI's words.
fn status_how(st: &SecretStatus) -> String {
    if st.set {
        return "already set on the Space".to_string();
    }
    let mount = match &st.delivery {
        SecretDelivery::BuildMount { path } => format!(" (the build mounts it at {path})"),
        SecretDelivery::Environment => " (the app reads it from its environment)".into(),
    };
    format!(
        "export {name}=... then `spacesmith secrets {dir} --space {space} --set {name}`, or add it in the Space's Settings → Variables and secrets{mount}",
        name = st.name,
        dir = st.dir.display(),
        space = st.space,
    )
}

/// `--json` as before: each secret of `list` keeps its `how`, the CLI's wording of the structured advice.
fn with_how<T: Serialize>(r: &T, list: &str, hows: impl Iterator<Item = String>) -> serde_json::Value {
    let mut v = serde_json::to_value(r).unwrap_or(serde_json::Value::Null);
    if let Some(items) = v.get_mut(list).and_then(|l| l.as_array_mut()) {
        for (item, how) in items.iter_mut().zip(hows) {
            item["how"] = serde_json::Value::String(how);
        }
    }
    v
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 { format!("{n} {word}") } else { format!("{n} {word}s") }
}

/// The files written (or that would be) are the result; the secrets, variables, notes and next step are
/// advice on stderr.
pub fn new_report(r: &NewReport, as_json: bool) {
    if as_json {
        json(&with_how(r, "secrets", r.secrets.iter().map(notice_how)));
        return;
    }
    let o = Style::stdout();
    let verb = if r.dry_run { "Would write" } else { "Created" };
    out!(
        "{} {} ({}) with the {} plugin {}:",
        verb,
        o.bold(&r.dir.display().to_string()),
        r.plugin.name,
        r.plugin.sdk,
        r.plugin.version
    );
    for f in &r.files {
        let mark = match f.action {
            Action::Create => o.paint("32", "+"),
            Action::Overwrite => o.paint("33", "~"),
        };
        let exec = if f.executable { o.dim(" (executable)") } else { String::new() };
        let over = if f.action == Action::Overwrite { o.dim(" (overwrites)") } else { String::new() };
        out!("  {mark} {}{exec}{over}", f.path);
    }
    let s = Style::stderr();
    if !r.secrets.is_empty() {
        note!("\n{}", s.bold("Secrets this Space needs (never put them in files):"));
        for secret in &r.secrets {
            let need = if secret.required { "required" } else { "optional" };
            note!("  {}  {}, {} — {}", s.bold(&secret.name), secret.stage.label(), need, secret.why);
            note!("    {} {}", s.dim("how:"), notice_how(secret));
        }
    }
    if !r.variables.is_empty() {
        note!("\n{}", s.bold("Variables (public) this Space uses:"));
        for v in &r.variables {
            note!("  {}={}  — {}", s.bold(&v.name), v.value, v.why);
        }
    }
    if !r.notices.is_empty() {
        note!("\n{}", s.bold("Notes:"));
        for n in &r.notices {
            note!("  • {n}");
        }
    }
    if !r.dry_run {
        note!("\nNext: spacesmith validate {}", shell_quote(&r.dir));
    }
}

fn shell_quote(p: &Path) -> String {
    let s = p.display().to_string();
    if s.chars().all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c)) { s } else { format!("'{}'", s.replace('\'', "'\\''")) }
}

/// Findings and the summary line are the result (stdout).
pub fn validation(r: &ValidationReport, dir: &Path, as_json: bool) {
    if as_json {
        json(r);
        return;
    }
    let s = Style::stdout();
    for f in &r.findings {
        let location = match (&f.path, f.line) {
            (Some(p), Some(l)) => format!("{p}:{l}: "),
            (Some(p), None) => format!("{p}: "),
            _ => String::new(),
        };
        out!("{}{}[{}]: {}", s.bold(&location), s.severity(f.severity), f.rule, f.message);
        if let Some(fix) = &f.fix {
            out!("    {} {fix}", s.dim("fix:"));
        }
    }
    let by: Vec<String> = r.plugins.iter().map(|p| format!("{} {}", p.sdk, p.version)).collect();
    let checked_by = match (&r.sdk, by.as_slice()) {
        (Some(sdk), [one]) => format!(" (sdk {sdk}, checked by the {one} plugin)"),
        (Some(sdk), []) => format!(" (sdk {sdk})"),
        (Some(sdk), many) => format!(" (sdk {sdk}, checked by the plugins {})", many.join(", ")),
        _ => String::new(),
    };
    let verdict = if r.errors > 0 { s.paint("1;31", "✗") } else { s.paint("1;32", "✓") };
    out!(
        "{verdict} {}: {}, {}, {}{checked_by}",
        dir.display(),
        plural(r.errors, "error"),
        plural(r.warnings, "warning"),
        plural(r.infos, "note")
    );
}

/// `new --ci`: one JSON document (the project report with a `ci` member), or both human reports.
pub fn new_with_ci(r: &NewReport, ci: Option<&CiReport>, as_json: bool) {
    if as_json {
        #[derive(Serialize)]
        struct WithCi<'a> {
            #[serde(flatten)]
            new: &'a NewReport,
            ci: Option<&'a CiReport>,
        }
        json(&with_how(&WithCi { new: r, ci }, "secrets", r.secrets.iter().map(notice_how)));
        return;
    }
    new_report(r, false);
    match ci {
        Some(ci) => ci_report(ci, false),
        None => out!("Would also write {}.", crate::ci::WORKFLOW_PATH),
    }
}

/// The workflow written is the result; what to create in the GitHub repository is advice (stderr).
pub fn ci_report(r: &CiReport, as_json: bool) {
    if as_json {
        json(r);
        return;
    }
    let o = Style::stdout();
    let verb = if r.action == Action::Overwrite { "Replaced" } else { "Wrote" };
    let space = r.space.as_deref().unwrap_or("the Space named by HF_SPACE");
    out!("{verb} {}: deploys {space} on every push to main.", o.bold(&r.path.display().to_string()));
    let s = Style::stderr();
    note!("{}", s.bold("Create in the GitHub repository (Settings → Secrets and variables → Actions):"));
    for secret in &r.secrets {
        note!("  secret   {}  — {}", s.bold(&secret.name), secret.why);
    }
    for v in &r.variables {
        note!("  variable {}  — {}", s.bold(&v.name), v.why);
    }
    for t in &r.todo {
        warning!("  {} {t}", s.paint("1;33", "todo:"));
    }
    for n in &r.notes {
        note!("  {} {n}", s.dim("note:"));
    }
}

pub fn rules(entries: &[RuleEntry], as_json: bool) {
    if as_json {
        #[derive(Serialize)]
        struct Rules<'a> {
            rules: &'a [RuleEntry],
        }
        json(&Rules { rules: entries });
        return;
    }
    let s = Style::stdout();
    let mut source = "";
    for e in entries {
        if e.source != source {
            let gap = if source.is_empty() { "" } else { "\n" };
            source = &e.source;
            out!("{gap}{}", s.bold(&format!("── {source} ──")));
        }
        out!("{} ({}) — {}", s.bold(&e.rule.id), s.severity(e.rule.severity), e.rule.summary);
        out!("    {} {}", s.dim("why:"), e.rule.explanation);
        out!("    {} {}", s.dim("fix:"), e.rule.fix);
    }
}

// ---------- Hub commands ----------

fn human_bytes(n: u64) -> String {
    match n {
        n if n >= 1 << 30 => format!("{:.1} GiB", n as f64 / (1u64 << 30) as f64),
        n if n >= 1 << 20 => format!("{:.1} MiB", n as f64 / (1u64 << 20) as f64),
        n if n >= 1 << 10 => format!("{:.1} KiB", n as f64 / 1024.0),
        n => format!("{n} B"),
    }
}

fn human_secs(s: i64) -> String {
    match s {
        s if s < 0 => "never".into(),
        s if s % 3600 == 0 && s > 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 && s > 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// Live output of `deploy`: steps, bars and build logs on stderr (cli/progress.rs decides how); the result
/// at the end on stdout (the summary, or the JSON report with `--json`, when the summary goes to stderr).
pub struct DeployPrinter {
    json: bool,
    dry_run: bool,
    style: Style,
    progress: Progress,
}

impl DeployPrinter {
    pub fn new(json: bool, dry_run: bool) -> Self {
        let mode = progress::Mode::detect(quiet());
        DeployPrinter { json, dry_run, style: Style { on: progress::stderr_color() }, progress: Progress::new(mode) }
    }

    /// A step or log line (silenced by `-q`).
    fn line(&self, text: &str) {
        self.progress.line(text);
    }

    fn plan(&self, p: &PlanView<'_>) -> Vec<String> {
        let s = &self.style;
        let mut out = vec![format!(
            "Plan: {} added, {} changed, {} deleted, {} unchanged ({} to send)",
            p.added.len(),
            p.changed.len(),
            p.deleted.len(),
            p.unchanged,
            human_bytes(p.bytes)
        )];
        // Every deletion is shown, and first: nothing is removed that the user did not see.
        for d in p.deleted {
            out.push(format!("  {} {d}", s.paint("31", "-")));
        }
        if !p.kept_ignored.is_empty() {
            out.push(format!(
                "  Kept {} remote file(s) that this project ignores (--delete-ignored deletes them):",
                p.kept_ignored.len()
            ));
            for k in p.kept_ignored {
                out.push(format!("  {} {k}", s.dim("=")));
            }
        }
        const SHOWN: usize = 200;
        let rows = p.added.iter().map(|f| (s.paint("32", "+"), f)).chain(p.changed.iter().map(|f| (s.paint("33", "~"), f)));
        let total = p.added.len() + p.changed.len();
        for (mark, path) in rows.take(SHOWN) {
            out.push(format!("  {mark} {path}"));
        }
        if total > SHOWN {
            out.push(format!("  … and {} more (--json lists every path)", total - SHOWN));
        }
        out
    }

    fn secrets(&self, list: &[SecretStatus]) {
        if list.is_empty() {
            return;
        }
        let s = &self.style;
        // A secret the Space lacks is a warning, printed with -q too.
        let print = |t: &str| if list.iter().any(|st| !st.set) { self.progress.print(t) } else { self.line(t) };
        print(&format!("\n{}", s.bold("Secrets this Space needs:")));
        for st in list {
            let need = if st.required { "required" } else { "optional" };
            let state = if st.set { s.paint("32", "set") } else { s.paint("1;33", "NOT SET") };
            print(&format!("  {}  {}, {}: {}  ({})", s.bold(&st.name), st.stage.label(), need, state, st.found_in.join(", ")));
            if !st.set {
                print(&format!("    {} {}", s.dim("how:"), status_how(st)));
            }
        }
    }

    /// The result, after the deploy returned: the bar is cleared first, so nothing is left half-drawn.
    pub fn finish(&self, r: &DeployReport) {
        self.progress.clear();
        if self.json {
            json(&with_how(r, "secrets", r.secrets.iter().map(status_how)));
            // The same summary for a person watching, as a notice: stdout is the JSON.
            let s = &self.style;
            for l in self.summary(r, s) {
                self.line(&l);
            }
        } else {
            let s = Style::stdout();
            for l in self.summary(r, &s) {
                out!("{l}");
            }
        }
    }

    fn summary(&self, r: &DeployReport, s: &Style) -> Vec<String> {
        let mut out = Vec::new();
        if r.dry_run {
            let plan = PlanView {
                added: &r.plan.added,
                changed: &r.plan.changed,
                deleted: &r.plan.deleted,
                kept_ignored: &r.plan.kept_ignored,
                unchanged: r.plan.unchanged,
                bytes: r.plan.bytes_to_send,
            };
            if !self.json {
                out.extend(self.plan(&plan));
            }
            let visibility = match (r.settings.visibility, r.settings.private) {
                (Some(v), _) => v.as_str(),
                (None, Some(true)) => "private",
                (None, Some(false)) => "public",
                (None, None) => "existing",
            };
            if r.created {
                let mut what = vec![format!("sdk {}", r.settings.sdk)];
                what.extend(r.settings.hardware.as_ref().map(|h| format!("hardware {h}")));
                what.extend(r.settings.sleep_time.map(|t| format!("sleep after {}", human_secs(t))));
                if !r.settings.secrets.is_empty() {
                    what.push(format!("secrets {}", r.settings.secrets.join(", ")));
                }
                if !r.settings.variables.is_empty() {
                    what.push(format!("variables {}", r.settings.variables.join(", ")));
                }
                out.push(format!("Would create {visibility} Space {} ({})", r.space, what.join("; ")));
            }
            out.push(format!("{} dry run: nothing was changed.", s.bold("✓")));
            return out;
        }
        match &r.outcome {
            Some(WaitOutcome::Running { .. }) => out.push(format!("{} {} is running: {}", s.paint("1;32", "✓"), r.space, r.url)),
            Some(WaitOutcome::Failed { stage, error_message, log, tail, .. }) => {
                out.push(format!("{} {} ended in {}", s.paint("1;31", "✗"), r.space, s.bold(stage)));
                if let Some(m) = error_message {
                    out.push(format!("  {m}"));
                }
                if !tail.is_empty() {
                    let which = log.map(|k| k.as_str()).unwrap_or("build");
                    out.push(format!("Last {} lines of the {which} log:", tail.len()));
                    for l in tail {
                        out.push(format!("  {}", l.text()));
                    }
                }
                let flag = if matches!(log, Some(spacesmith_hub::LogKind::Build)) { " --build" } else { "" };
                out.push(format!("  {} spacesmith logs {}{flag}", s.dim("more:"), r.space));
            }
            Some(WaitOutcome::NotRebuilt { stage, commit, built, accepted, waited, .. }) => {
                let short = &commit[..commit.len().min(7)];
                let from = built.as_deref().map(|b| format!(" (commit {b})")).unwrap_or_default();
                if *accepted {
                    out.push(format!(
                        "{} {} is running: {} (the Hub started no build for the README-only commit {short} in {}s; the app is the previous build{from})",
                        s.paint("1;32", "✓"),
                        r.space,
                        r.url,
                        waited.as_secs()
                    ));
                } else {
                    out.push(format!(
                        "{} the Hub started no build for commit {short} in {}s: {} is still {} from the previous build{from}",
                        s.paint("1;31", "✗"),
                        waited.as_secs(),
                        r.space,
                        s.bold(stage)
                    ));
                    out.push(format!(
                        "  {} rebuild it with `spacesmith space restart --factory {}`, then check `spacesmith logs {} --build`",
                        s.dim("fix:"),
                        r.space,
                        r.space
                    ));
                }
            }
            Some(WaitOutcome::TimedOut { stage, waited }) => {
                out.push(format!(
                    "{} {} is still {} after {}s: stopped waiting",
                    s.paint("1;33", "…"),
                    r.space,
                    stage,
                    waited.as_secs()
                ));
                out.push(format!("  {} spacesmith logs {} --build --follow", s.dim("watch:"), r.space));
            }
            None => {
                let why = r.not_waited.as_deref().unwrap_or("not waiting");
                out.push(format!("{} deployed to {} ({why}): {}", s.paint("1;32", "✓"), r.space, r.url));
            }
        }
        match &r.commit {
            Some(c) => {
                let short = &c.oid[..c.oid.len().min(7)];
                out.push(format!("  {} {short} {}", s.dim("commit"), c.url));
                if let Some(pr) = &c.pr_url {
                    out.push(format!("  {} {pr}", s.dim("pull request")));
                }
            }
            None => out.push(format!("  {} none: the Space already had these files", s.dim("commit"))),
        }
        out
    }
}

/// The plan as both the live event and the dry run's report give it.
struct PlanView<'a> {
    added: &'a [String],
    changed: &'a [String],
    deleted: &'a [String],
    kept_ignored: &'a [String],
    unchanged: usize,
    bytes: u64,
}

impl DeployObserver for DeployPrinter {
    fn event(&self, e: DeployEvent<'_>) {
        let s = &self.style;
        match e {
            DeployEvent::Validated(v) => {
                for f in &v.findings {
                    let location = match (&f.path, f.line) {
                        (Some(p), Some(l)) => format!("{p}:{l}: "),
                        (Some(p), None) => format!("{p}: "),
                        _ => String::new(),
                    };
                    // Errors and warnings print with -q too: they may be why the deploy stops.
                    let print = |t: &str| match f.severity {
                        Severity::Info => self.line(t),
                        _ => self.progress.print(t),
                    };
                    print(&format!("{}{}[{}]: {}", s.bold(&location), s.severity(f.severity), f.rule, f.message));
                    if let Some(fix) = &f.fix {
                        print(&format!("    {} {fix}", s.dim("fix:")));
                    }
                }
                self.line(&format!("Validated: {}, {}", plural(v.errors, "error"), plural(v.warnings, "warning")));
            }
            DeployEvent::Created { url, visibility } => self.line(&format!("Created {visibility} Space {url}")),
            DeployEvent::Configured { secrets, variables, hardware, sleep_time } => {
                let mut parts = Vec::new();
                if !secrets.is_empty() {
                    parts.push(format!("secrets {}", secrets.join(", ")));
                }
                if !variables.is_empty() {
                    parts.push(format!("variables {}", variables.join(", ")));
                }
                parts.extend(hardware.map(|h| format!("hardware {h}")));
                parts.extend(sleep_time.map(|t| format!("sleep after {}", human_secs(t))));
                if !parts.is_empty() {
                    self.line(&format!("Updated the Space: {}", parts.join("; ")));
                }
            }
            // A dry run's plan is its result: `finish` prints it on stdout.
            DeployEvent::Planned(_) if self.dry_run && !self.json => {}
            DeployEvent::Planned(p) => {
                let added: Vec<String> = p.added.iter().map(|f| f.path.clone()).collect();
                let changed: Vec<String> = p.changed.iter().map(|f| f.path.clone()).collect();
                let view = PlanView {
                    added: &added,
                    changed: &changed,
                    deleted: &p.deleted,
                    kept_ignored: &p.kept_ignored,
                    unchanged: p.unchanged.len(),
                    bytes: p.bytes_to_send(),
                };
                for l in self.plan(&view) {
                    self.line(&l);
                }
            }
            DeployEvent::Upload(u) => match u {
                UploadEvent::Classified { regular, lfs, ignored } => {
                    let ign = if ignored > 0 { format!(", {ignored} ignored by the Space's .gitignore") } else { String::new() };
                    self.progress.step(&format!("Uploading {regular} inline and {lfs} LFS file(s){ign}…"));
                }
                UploadEvent::LfsProgress { done, total } => self.progress.bytes(done, total),
                UploadEvent::Committing { ops } => self.progress.step(&format!("Committing {ops} change(s)…")),
            },
            DeployEvent::Uploaded(u) => {
                self.progress.clear();
                match &u.commit {
                    Some(c) => self.line(&format!(
                        "Committed {} ({} inline file(s), {}; {} LFS file(s), {} sent): {}",
                        &c.oid[..c.oid.len().min(7)],
                        u.regular_files,
                        human_bytes(u.regular_bytes),
                        u.lfs_files,
                        human_bytes(u.lfs_bytes_uploaded),
                        c.pr_url.as_deref().unwrap_or(&c.url)
                    )),
                    None => self.line("Nothing to upload: the Space already has these files."),
                }
            }
            DeployEvent::Secrets(list) => self.secrets(list),
            DeployEvent::Waiting { timeout } => {
                let what = format!("Waiting for the Space to build and start (up to {})", human_secs(timeout.as_secs() as i64));
                match self.progress.mode() {
                    progress::Mode::Bars { .. } => self.progress.wait(&what, "…"),
                    _ => self.line(&format!("\n{what}…")),
                }
            }
            DeployEvent::Watch(WatchEvent::Stage(rt)) => {
                self.line(&s.bold(&format!("── {} ──", rt.stage)));
                self.progress.wait("", &rt.stage);
            }
            DeployEvent::Watch(WatchEvent::AwaitingBuild { commit, stage, built }) => {
                let from = built.map(|b| format!(", commit {b}")).unwrap_or_default();
                let short = &commit[..commit.len().min(7)];
                self.line(
                    &s.dim(&format!("   {stage} is the previous build's{from}: waiting for the Hub to start building {short}")),
                );
                self.progress.wait("", &format!("{stage} (previous build); waiting for the build of {short}"));
            }
            DeployEvent::Watch(WatchEvent::Log(kind, l)) => {
                self.line(&format!("{} {}", s.dim(&format!("[{}]", kind.as_str())), l.text()))
            }
        }
    }
}

/// Log lines on stdout: `timestamp text`, or JSON lines.
pub struct LogPrinter {
    json: bool,
}

impl LogPrinter {
    pub fn new(json: bool) -> Self {
        LogPrinter { json }
    }

    pub fn line(&mut self, l: &LogLine) {
        let mut out = std::io::stdout().lock();
        if self.json {
            let _ = serde_json::to_writer(&mut out, &serde_json::json!({ "timestamp": l.timestamp, "line": l.text() }));
            let _ = writeln!(out);
        } else {
            let _ = writeln!(out, "{} {}", l.timestamp, l.text());
        }
        let _ = out.flush();
    }
}

/// Names and set/missing status are the result (values are never known here); how to set one is advice.
pub fn secrets_report(r: &SecretsReport, as_json: bool) {
    if as_json {
        json(&with_how(r, "needed", r.needed.iter().map(status_how)));
        return;
    }
    let o = Style::stdout();
    let s = Style::stderr();
    if !r.updated.is_empty() {
        out!("Set on {}: {}", r.space, r.updated.join(", "));
    }
    if r.needed.is_empty() {
        out!("The project's code references no secrets.");
    } else {
        out!("{}", o.bold(&format!("Secrets the project needs ({}):", r.space)));
        for st in &r.needed {
            let need = if st.required { "required" } else { "optional" };
            let state = if st.set { o.paint("32", "set") } else { o.paint("1;33", "missing") };
            out!("  {}  {}, {}: {}  ({})", o.bold(&st.name), st.stage.label(), need, state, st.found_in.join(", "));
            if !st.set {
                note!("    {} {}: {}", s.dim("how:"), st.name, status_how(st));
            }
        }
    }
    let others: Vec<&String> = r.set.iter().filter(|k| !r.needed.iter().any(|n| &n.name == *k)).collect();
    if !others.is_empty() {
        out!("Also set on the Space: {}", others.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", "));
    }
    if r.missing.is_empty() {
        out!("{} nothing missing", o.paint("1;32", "✓"));
    } else {
        out!("{} missing: {}", o.paint("1;33", "!"), r.missing.join(", "));
    }
}

fn runtime_line(rt: &SpaceRuntime) -> String {
    let hw = match (&rt.hardware.current, &rt.hardware.requested) {
        (Some(c), Some(r)) if c != r => format!("{c} (requested {r})"),
        (Some(c), _) => c.clone(),
        (None, Some(r)) => format!("{r} (requested)"),
        (None, None) => "none".into(),
    };
    let sleep = rt.gc_timeout.map(|t| format!(", sleeps after {}", human_secs(t))).unwrap_or_default();
    let err = rt.error_message.as_ref().map(|m| format!("\n  {m}")).unwrap_or_default();
    format!("{}, hardware {hw}{sleep}{err}", rt.stage)
}

pub fn space_status(st: &SpaceStatus, as_json: bool) {
    if as_json {
        json(st);
        return;
    }
    let s = Style::stdout();
    let vis = if st.private { "private" } else { "public" };
    let sdk = st.sdk.as_deref().unwrap_or("unknown sdk");
    out!("{} ({vis}, {sdk}): {}", s.bold(&st.space), runtime_line(&st.runtime));
    out!("  {}", st.url);
    if st.runtime.dev_mode == Some(true) {
        out!("  dev mode on");
    }
    for v in st.runtime.volumes() {
        out!("  volume {}", v.to_uri());
    }
}

pub fn runtime(space: &SpaceId, verb: &str, rt: &SpaceRuntime, as_json: bool) {
    if as_json {
        json(&serde_json::json!({ "success": true, "space": space.to_string(), "runtime": rt }));
        return;
    }
    let s = Style::stdout();
    out!("{} {verb} {}: now {}", s.paint("1;32", "✓"), s.bold(&space.to_string()), runtime_line(rt));
}

pub fn deleted(space: &SpaceId, as_json: bool) {
    if as_json {
        json(&serde_json::json!({ "success": true, "space": space.to_string(), "deleted": true }));
        return;
    }
    out!("Deleted {space}.");
}

/// `dev`: human progress and the app's prefixed lines on stderr; with --json, one event per line on stdout.
/// On a terminal, installs and builds run under a spinner (their tool output above it), and so does the
/// wait for the app to answer; `-q` keeps only the app's own lines and what went wrong.
pub struct DevPrinter {
    json: bool,
    style: Style,
    progress: Progress,
    port: std::sync::atomic::AtomicU16,
}

impl DevPrinter {
    pub fn new(json: bool) -> Self {
        DevPrinter {
            json,
            style: Style::stderr(),
            progress: Progress::new(progress::Mode::detect(quiet())),
            port: Default::default(),
        }
    }

    fn emit(&self, value: serde_json::Value) {
        if self.json {
            let mut out = std::io::stdout().lock();
            let _ = serde_json::to_writer(&mut out, &value);
            let _ = writeln!(out);
            let _ = out.flush();
        }
    }

    /// A step that is over: the spinner goes, the line stays (silenced by `-q`).
    fn done(&self, text: &str) {
        self.progress.clear();
        self.progress.line(text);
    }

    /// What the user must see, also with `-q`.
    fn always(&self, text: &str) {
        self.progress.clear();
        self.progress.print(text);
    }
}

impl DevObserver for DevPrinter {
    fn event(&self, e: DevEvent<'_>) {
        let s = &self.style;
        match e {
            DevEvent::Plan(p) => {
                let how = if p.docker { "in Docker" } else { "locally" };
                self.port.store(p.port, Ordering::Relaxed);
                self.done(&format!("Running {} ({}, {}) {how} on port {}", s.bold(&p.title), p.sdk, p.space_id, p.port));
                self.progress.line(&format!("  {} {}", s.dim("command:"), p.command.join(" ")));
                if let Some(f) = &p.env_file {
                    let names = if p.env_names.is_empty() { "none".to_string() } else { p.env_names.join(", ") };
                    self.progress.line(&format!("  secrets/variables from {}: {names}", f.display()));
                }
                self.emit(serde_json::json!({ "event": "plan", "plan": p }));
            }
            DevEvent::Venv { path, created } => {
                let verb = if created { "Created" } else { "Using" };
                self.done(&format!("{verb} the virtualenv {}", path.display()));
                self.emit(serde_json::json!({ "event": "venv", "path": path, "created": created }));
            }
            DevEvent::Installing { what } => {
                self.progress.step(&format!("Installing {} …", what.join(" ")));
                self.emit(serde_json::json!({ "event": "installing", "what": what }));
            }
            DevEvent::UpToDate => {
                self.done("Requirements are installed (unchanged since the last install).");
                self.emit(serde_json::json!({ "event": "installed", "up_to_date": true }));
            }
            DevEvent::Building { image } => {
                self.progress.step(&format!("Building the image {image} …"));
                self.emit(serde_json::json!({ "event": "building", "image": image }));
            }
            DevEvent::BuildCommand { command } => {
                self.progress.step(&format!("Running {command} …"));
                self.emit(serde_json::json!({ "event": "build", "command": command }));
            }
            // The app's own output is why dev runs: printed with -q too; the tools' is progress.
            DevEvent::Log { source, line } => {
                let text = format!("{} {line}", s.dim(&format!("[{source}]")));
                if source == "app" { self.progress.print(&text) } else { self.progress.line(&text) }
            }
            DevEvent::Started { pid } => {
                self.done(&format!("Started (pid {pid}); Ctrl-C stops it."));
                let port = self.port.load(Ordering::Relaxed);
                self.progress.wait(&format!("Waiting for the app to answer on port {port}"), "starting");
                self.emit(serde_json::json!({ "event": "started", "pid": pid }));
            }
            DevEvent::Ready { url } => {
                self.always(&format!("{} answers on {url}", s.paint("1;32", "✓")));
                self.emit(serde_json::json!({ "event": "ready", "url": url }));
            }
            DevEvent::NotReady { waited } => {
                self.always(&format!(
                    "{} nothing answers on the port after {}s; the app keeps running (is it listening on 0.0.0.0:$PORT?)",
                    s.paint("1;33", "!"),
                    waited.as_secs()
                ));
                self.emit(serde_json::json!({ "event": "not_ready", "waited_s": waited.as_secs() }));
            }
            DevEvent::Stopping { signal } => {
                self.done(&format!("Stopping ({signal}) …"));
                self.emit(serde_json::json!({ "event": "stopping", "signal": signal }));
            }
            DevEvent::Exited { code, signal, stopped, ready } => {
                let how = match (code, signal) {
                    (Some(c), _) => format!("exit code {c}"),
                    (None, Some(sig)) => format!("signal {sig}"),
                    _ => "unknown status".into(),
                };
                if stopped {
                    self.done(&format!("Stopped ({how})."));
                } else if !ready {
                    self.always(&format!("{} the app exited ({how}) before answering on its port", s.paint("1;31", "✗")));
                } else {
                    self.always(&format!("The app exited ({how})."));
                }
                self.emit(serde_json::json!({ "event": "exited", "code": code, "signal": signal, "stopped": stopped }));
            }
        }
    }
}

/// The crate and its files are the result; the next steps are advice.
pub fn plugin_new(r: &KitReport, as_json: bool) {
    if as_json {
        json(r);
        return;
    }
    let o = Style::stdout();
    out!(
        "Created the plugin crate {} ({}, --sdk {}), using the SDK at {}:",
        o.bold(&r.dir.display().to_string()),
        r.package,
        r.sdk_id,
        r.sdk_path.display()
    );
    for f in &r.files {
        out!("  {}", f.path);
    }
    let s = Style::stderr();
    note!("{}", s.bold("Next:"));
    for (i, step) in r.next.iter().enumerate() {
        note!("  {}. {step}", i + 1);
    }
}

/// One plugin, on stdout (part of `plugin info` and `plugin install`'s result).
fn plugin_lines(s: &Style, p: &PluginView) {
    out!("{} {} — {} ({})", s.bold(&p.sdk_id), p.version, p.name, p.kind);
    out!("    {}", p.description);
    out!(
        "    {} {}  {} {}",
        s.dim("contract:"),
        p.contract,
        s.dim("checks:"),
        if p.checks_sdks.is_empty() { "-".to_string() } else { p.checks_sdks.join(", ") }
    );
    if let Some(source) = &p.source {
        out!("    {} {source}", s.dim("source:"));
    }
    out!("    {} {}", s.dim("sha256:"), p.sha256);
    if let Some(path) = &p.path {
        out!("    {} {}", s.dim("file:"), path.display());
    }
    if p.capabilities.is_empty() && p.unknown_capabilities.is_empty() {
        out!("    {} none requested", s.dim("capabilities:"));
    }
    for c in &p.capabilities {
        let state = if c.granted { s.paint("1;33", "GRANTED") } else { "not granted".to_string() };
        out!("    {} {} — {state}: {} (it gives {})", s.dim("capability:"), c.name.name(), c.why, c.gives);
    }
    for c in &p.unknown_capabilities {
        out!("    {} {c} — unknown to this spacesmith, cannot be granted", s.dim("capability:"));
    }
    let user = &p.user_limits;
    let mark = |set: bool| if set { " (set by you)" } else { "" };
    out!(
        "    {} memory {} MiB{}, {} ms per call{}, output {} MiB{}",
        s.dim("limits:"),
        p.limits.memory_mib,
        mark(user.memory_mib.is_some()),
        p.limits.call_timeout_ms,
        mark(user.call_timeout_ms.is_some()),
        p.limits.output_mib,
        mark(user.output_mib.is_some())
    );
}

pub fn plugin_install(r: &InstallReport, as_json: bool) {
    if as_json {
        json(r);
        return;
    }
    let o = Style::stdout();
    let verb = match &r.replaced {
        Some(old) => format!("Replaced {old} with"),
        None => "Installed".to_string(),
    };
    out!(
        "{verb} {} {} (sha256 {}{}).",
        o.bold(&r.plugin.sdk_id),
        r.plugin.version,
        r.plugin.sha256,
        if r.pinned { ", matches the pin" } else { "" }
    );
    plugin_lines(&o, &r.plugin);
    let s = Style::stderr();
    for n in &r.notices {
        note!("  {} {n}", s.paint("1;36", "note:"));
    }
    note!("Use it: spacesmith new DIR --sdk {}", r.plugin.sdk_id);
}

/// One line per plugin on stdout (`plugin list | grep`); unreadable entries are warnings on stderr.
pub fn plugin_list(r: &ListReport, as_json: bool) {
    if as_json {
        json(r);
        return;
    }
    let o = Style::stdout();
    for p in &r.plugins {
        let grants: Vec<&str> = p.capabilities.iter().filter(|c| c.granted).map(|c| c.name.name()).collect();
        let extra = if grants.is_empty() { String::new() } else { format!("  granted: {}", grants.join(", ")) };
        // Padding is computed on the plain id: escape codes would throw the columns off.
        let id = format!("{:<12}", p.sdk_id);
        out!("{} {:<9} {:<9} {}{extra}", o.bold(&id), p.version, p.kind, p.name);
    }
    let s = Style::stderr();
    for b in &r.broken {
        warning!("{} {b}", s.paint("1;33", "unreadable:"));
    }
    match &r.directory {
        Some(d) => note!("{}", s.dim(&format!("Installed plugins live in {}.", d.display()))),
        None => note!("{}", s.dim("No data directory (set SPACESMITH_DATA_DIR to install plugins).")),
    }
}

pub fn plugin_info(r: &InfoReport, as_json: bool) {
    if as_json {
        json(r);
        return;
    }
    let s = Style::stdout();
    plugin_lines(&s, &r.plugin);
    match r.verified {
        Some(true) => out!("    {} the file matches its recorded sha256", s.dim("verified:")),
        Some(false) => out!(
            "    {} {} — the file is missing or changed since installation; it will not run. Reinstall it.",
            s.dim("verified:"),
            s.paint("1;31", "NO")
        ),
        None => {}
    }
    match (&r.rules, &r.rules_error) {
        (Some(n), _) => out!("    {} {n}", s.dim("rules:")),
        (None, Some(e)) => out!("    {} {} {e}", s.dim("rules:"), s.paint("1;31", "failed:")),
        (None, None) => {}
    }
    for o in &r.options {
        let default = o.default.as_ref().map(|d| format!(" [default: {d}]")).unwrap_or_default();
        out!("    {} --{} {}{default}", s.dim("option:"), o.name, o.help);
    }
}

pub fn plugin_removed(r: &RemoveReport, as_json: bool) {
    if as_json {
        json(r);
        return;
    }
    out!("Removed {} {} ({}).", r.sdk_id, r.version, r.removed.display());
}

/// Files a command wrote (`man --dir`), one path a line.
pub fn files_written(paths: &[std::path::PathBuf]) {
    for p in paths {
        out!("{}", p.display());
    }
}
