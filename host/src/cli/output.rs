//! Printing: data (JSON) to stdout, human text to stderr, color only on a terminal without NO_COLOR.

use std::io::{IsTerminal, Write};
use std::path::Path;

use serde::Serialize;
use spacesmith_spec::Severity;

use spacesmith_hub::plan::UploadPlan;
use spacesmith_hub::{LogLine, SpaceId, SpaceRuntime, UploadEvent, WaitOutcome, WatchEvent};

use crate::ci::CiReport;
use crate::deploy::{DeployEvent, DeployObserver, DeployReport, SecretStatus, SecretsReport, SpaceStatus};
use crate::dev::{DevEvent, DevObserver};
use crate::error::AppError;
use crate::kit::KitReport;
use crate::plugins::{InfoReport, InstallReport, ListReport, PluginView, RemoveReport};
use crate::project::{NewReport, RuleEntry, ValidationReport};
use crate::writer::Action;

struct Style {
    on: bool,
}

impl Style {
    fn stderr() -> Self {
        Style { on: std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) }
    }
    fn paint(&self, code: &str, s: &str) -> String {
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

fn json<T: Serialize>(value: &T) {
    let mut out = std::io::stdout().lock();
    let _ = serde_json::to_writer_pretty(&mut out, value);
    let _ = writeln!(out);
}

pub fn error(e: &AppError, as_json: bool) {
    if as_json {
        json(&e.json());
    }
    let style = Style::stderr();
    eprintln!("{}: {}", style.paint("1;31", "error"), e.message);
    if let Some(hint) = &e.hint {
        eprintln!("  {} {hint}", style.dim("hint:"));
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 { format!("{n} {word}") } else { format!("{n} {word}s") }
}

pub fn new_report(r: &NewReport, as_json: bool) {
    if as_json {
        json(r);
        return;
    }
    let s = Style::stderr();
    let verb = if r.dry_run { "Would write" } else { "Created" };
    eprintln!(
        "{} {} ({}) with the {} plugin {}:",
        verb,
        s.bold(&r.dir.display().to_string()),
        r.plugin.name,
        r.plugin.sdk,
        r.plugin.version
    );
    for f in &r.files {
        let mark = match f.action {
            Action::Create => s.paint("32", "+"),
            Action::Overwrite => s.paint("33", "~"),
        };
        let exec = if f.executable { s.dim(" (executable)") } else { String::new() };
        let over = if f.action == Action::Overwrite { s.dim(" (overwrites)") } else { String::new() };
        eprintln!("  {mark} {}{exec}{over}", f.path);
    }
    if !r.secrets.is_empty() {
        eprintln!("\n{}", s.bold("Secrets this Space needs (never put them in files):"));
        for secret in &r.secrets {
            let need = if secret.required { "required" } else { "optional" };
            eprintln!("  {}  {}, {} — {}", s.bold(&secret.name), secret.stage.label(), need, secret.why);
            eprintln!("    {} {}", s.dim("how:"), secret.how);
        }
    }
    if !r.variables.is_empty() {
        eprintln!("\n{}", s.bold("Variables (public) this Space uses:"));
        for v in &r.variables {
            eprintln!("  {}={}  — {}", s.bold(&v.name), v.value, v.why);
        }
    }
    if !r.notices.is_empty() {
        eprintln!("\n{}", s.bold("Notes:"));
        for n in &r.notices {
            eprintln!("  • {n}");
        }
    }
    if !r.dry_run {
        eprintln!("\nNext: spacesmith validate {}", shell_quote(&r.dir));
    }
}

fn shell_quote(p: &Path) -> String {
    let s = p.display().to_string();
    if s.chars().all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c)) { s } else { format!("'{}'", s.replace('\'', "'\\''")) }
}

pub fn validation(r: &ValidationReport, dir: &Path, as_json: bool) {
    if as_json {
        json(r);
        return;
    }
    let s = Style::stderr();
    for f in &r.findings {
        let location = match (&f.path, f.line) {
            (Some(p), Some(l)) => format!("{p}:{l}: "),
            (Some(p), None) => format!("{p}: "),
            _ => String::new(),
        };
        eprintln!("{}{}[{}]: {}", s.bold(&location), s.severity(f.severity), f.rule, f.message);
        if let Some(fix) = &f.fix {
            eprintln!("    {} {fix}", s.dim("fix:"));
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
    eprintln!(
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
        json(&WithCi { new: r, ci });
        return;
    }
    new_report(r, false);
    match ci {
        Some(ci) => ci_report(ci, false),
        None => eprintln!("Would also write {}.", crate::ci::WORKFLOW_PATH),
    }
}

pub fn ci_report(r: &CiReport, as_json: bool) {
    if as_json {
        json(r);
        return;
    }
    let s = Style::stderr();
    let verb = if r.action == Action::Overwrite { "Replaced" } else { "Wrote" };
    let space = r.space.as_deref().unwrap_or("the Space named by HF_SPACE");
    eprintln!("\n{verb} {}: deploys {space} on every push to main.", s.bold(&r.path.display().to_string()));
    eprintln!("{}", s.bold("Create in the GitHub repository (Settings → Secrets and variables → Actions):"));
    for secret in &r.secrets {
        eprintln!("  secret   {}  — {}", s.bold(&secret.name), secret.why);
    }
    for v in &r.variables {
        eprintln!("  variable {}  — {}", s.bold(&v.name), v.why);
    }
    for t in &r.todo {
        eprintln!("  {} {t}", s.paint("1;33", "todo:"));
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
    let s = Style::stderr();
    let mut source = "";
    for e in entries {
        if e.source != source {
            source = &e.source;
            eprintln!("\n{}", s.bold(&format!("── {source} ──")));
        }
        eprintln!("{} ({}) — {}", s.bold(&e.rule.id), s.severity(e.rule.severity), e.rule.summary);
        eprintln!("    {} {}", s.dim("why:"), e.rule.explanation);
        eprintln!("    {} {}", s.dim("fix:"), e.rule.fix);
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

/// Live output of `deploy` on stderr; the result (JSON or a summary) at the end.
pub struct DeployPrinter {
    json: bool,
    /// A `\r` progress line is only drawn on a terminal.
    tty: bool,
    style: Style,
    /// Whether a progress line is open (must be ended before other output).
    progress_open: std::sync::Mutex<bool>,
}

impl DeployPrinter {
    pub fn new(json: bool) -> Self {
        DeployPrinter { json, tty: std::io::stderr().is_terminal(), style: Style::stderr(), progress_open: Default::default() }
    }

    fn line(&self, text: &str) {
        let mut open = self.progress_open.lock().unwrap_or_else(|p| p.into_inner());
        if *open {
            eprintln!();
            *open = false;
        }
        eprintln!("{text}");
    }

    fn progress(&self, text: &str) {
        if !self.tty {
            return;
        }
        let mut open = self.progress_open.lock().unwrap_or_else(|p| p.into_inner());
        eprint!("\r\x1b[2K{text}");
        let _ = std::io::stderr().flush();
        *open = true;
    }

    fn plan(&self, p: &UploadPlan) {
        let s = &self.style;
        self.line(&format!(
            "Plan: {} added, {} changed, {} deleted, {} unchanged ({} to send)",
            p.added.len(),
            p.changed.len(),
            p.deleted.len(),
            p.unchanged.len(),
            human_bytes(p.bytes_to_send())
        ));
        // Every deletion is shown, and first: nothing is removed that the user did not see.
        for d in &p.deleted {
            self.line(&format!("  {} {d}", s.paint("31", "-")));
        }
        if !p.kept_ignored.is_empty() {
            self.line(&format!(
                "  Kept {} remote file(s) that this project ignores (--delete-ignored deletes them):",
                p.kept_ignored.len()
            ));
            for k in &p.kept_ignored {
                self.line(&format!("  {} {k}", s.dim("=")));
            }
        }
        const SHOWN: usize = 200;
        let rows =
            p.added.iter().map(|f| (s.paint("32", "+"), &f.path)).chain(p.changed.iter().map(|f| (s.paint("33", "~"), &f.path)));
        let total = p.added.len() + p.changed.len();
        for (mark, path) in rows.take(SHOWN) {
            self.line(&format!("  {mark} {path}"));
        }
        if total > SHOWN {
            self.line(&format!("  … and {} more (--json lists every path)", total - SHOWN));
        }
    }

    fn secrets(&self, list: &[SecretStatus]) {
        if list.is_empty() {
            return;
        }
        let s = &self.style;
        self.line(&format!("\n{}", s.bold("Secrets this Space needs:")));
        for st in list {
            let need = if st.required { "required" } else { "optional" };
            let state = if st.set { s.paint("32", "set") } else { s.paint("1;33", "NOT SET") };
            self.line(&format!(
                "  {}  {}, {}: {}  ({})",
                s.bold(&st.name),
                st.stage.label(),
                need,
                state,
                st.found_in.join(", ")
            ));
            if !st.set {
                self.line(&format!("    {} {}", s.dim("how:"), st.how));
            }
        }
    }

    /// The summary (or the JSON result) after the deploy returned.
    pub fn finish(&self, r: &DeployReport) {
        if self.json {
            json(r);
        }
        let s = &self.style;
        if r.dry_run {
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
                self.line(&format!("Would create {visibility} Space {} ({})", r.space, what.join("; ")));
            }
            self.line(&format!("{} dry run: nothing was changed.", s.bold("✓")));
            return;
        }
        match &r.outcome {
            Some(WaitOutcome::Running { .. }) => {
                self.line(&format!("{} {} is running: {}", s.paint("1;32", "✓"), r.space, r.url))
            }
            Some(WaitOutcome::Failed { stage, error_message, log, tail, .. }) => {
                self.line(&format!("{} {} ended in {}", s.paint("1;31", "✗"), r.space, s.bold(stage)));
                if let Some(m) = error_message {
                    self.line(&format!("  {m}"));
                }
                if !tail.is_empty() {
                    let which = log.map(|k| k.as_str()).unwrap_or("build");
                    self.line(&format!("Last {} lines of the {which} log:", tail.len()));
                    for l in tail {
                        self.line(&format!("  {}", l.text()));
                    }
                }
                let flag = if matches!(log, Some(spacesmith_hub::LogKind::Build)) { " --build" } else { "" };
                self.line(&format!("  {} spacesmith logs {}{flag}", s.dim("more:"), r.space));
            }
            Some(WaitOutcome::NotRebuilt { stage, commit, built, accepted, waited, .. }) => {
                let short = &commit[..commit.len().min(7)];
                let from = built.as_deref().map(|b| format!(" (commit {b})")).unwrap_or_default();
                if *accepted {
                    self.line(&format!(
                        "{} {} is running: {} (the Hub started no build for the README-only commit {short} in {}s; the app is the previous build{from})",
                        s.paint("1;32", "✓"),
                        r.space,
                        r.url,
                        waited.as_secs()
                    ));
                } else {
                    self.line(&format!(
                        "{} the Hub started no build for commit {short} in {}s: {} is still {} from the previous build{from}",
                        s.paint("1;31", "✗"),
                        waited.as_secs(),
                        r.space,
                        s.bold(stage)
                    ));
                    self.line(&format!(
                        "  {} rebuild it with `spacesmith space restart --factory {}`, then check `spacesmith logs {} --build`",
                        s.dim("fix:"),
                        r.space,
                        r.space
                    ));
                }
            }
            Some(WaitOutcome::TimedOut { stage, waited }) => {
                self.line(&format!(
                    "{} {} is still {} after {}s: stopped waiting",
                    s.paint("1;33", "…"),
                    r.space,
                    stage,
                    waited.as_secs()
                ));
                self.line(&format!("  {} spacesmith logs {} --build --follow", s.dim("watch:"), r.space));
            }
            None => {
                let why = r.not_waited.as_deref().unwrap_or("not waiting");
                self.line(&format!("{} deployed to {} ({why}): {}", s.paint("1;32", "✓"), r.space, r.url));
            }
        }
    }
}

impl DeployObserver for DeployPrinter {
    fn event(&self, e: DeployEvent<'_>) {
        let s = &self.style;
        match e {
            DeployEvent::Validated(v) => {
                if !v.findings.is_empty() {
                    for f in &v.findings {
                        let location = match (&f.path, f.line) {
                            (Some(p), Some(l)) => format!("{p}:{l}: "),
                            (Some(p), None) => format!("{p}: "),
                            _ => String::new(),
                        };
                        self.line(&format!("{}{}[{}]: {}", s.bold(&location), s.severity(f.severity), f.rule, f.message));
                        if let Some(fix) = &f.fix {
                            self.line(&format!("    {} {fix}", s.dim("fix:")));
                        }
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
            DeployEvent::Planned(p) => self.plan(p),
            DeployEvent::Upload(u) => match u {
                UploadEvent::Classified { regular, lfs, ignored } => {
                    let ign = if ignored > 0 { format!(", {ignored} ignored by the Space's .gitignore") } else { String::new() };
                    self.progress(&format!("Uploading {regular} inline and {lfs} LFS file(s){ign}…"));
                }
                UploadEvent::LfsProgress { done, total } => {
                    self.progress(&format!("Uploading LFS: {} / {}", human_bytes(done), human_bytes(total)))
                }
                UploadEvent::Committing { ops } => self.progress(&format!("Committing {ops} change(s)…")),
            },
            DeployEvent::Uploaded(u) => match &u.commit {
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
            },
            DeployEvent::Secrets(list) => self.secrets(list),
            DeployEvent::Waiting { timeout } => self
                .line(&format!("\nWaiting for the Space to build and start (up to {})…", human_secs(timeout.as_secs() as i64))),
            DeployEvent::Watch(WatchEvent::Stage(rt)) => self.line(&s.bold(&format!("── {} ──", rt.stage))),
            DeployEvent::Watch(WatchEvent::AwaitingBuild { commit, stage, built }) => {
                let from = built.map(|b| format!(", commit {b}")).unwrap_or_default();
                self.line(&s.dim(&format!(
                    "   {stage} is the previous build's{from}: waiting for the Hub to start building {}",
                    &commit[..commit.len().min(7)]
                )))
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

pub fn secrets_report(r: &SecretsReport, as_json: bool) {
    if as_json {
        json(r);
        return;
    }
    let s = Style::stderr();
    if !r.updated.is_empty() {
        eprintln!("Set on {}: {}", r.space, r.updated.join(", "));
    }
    if r.needed.is_empty() {
        eprintln!("The project's code references no secrets.");
    } else {
        eprintln!("{}", s.bold(&format!("Secrets the project needs ({}):", r.space)));
        for st in &r.needed {
            let need = if st.required { "required" } else { "optional" };
            let state = if st.set { s.paint("32", "set") } else { s.paint("1;33", "missing") };
            eprintln!("  {}  {}, {}: {}  ({})", s.bold(&st.name), st.stage.label(), need, state, st.found_in.join(", "));
            if !st.set {
                eprintln!("    {} {}", s.dim("how:"), st.how);
            }
        }
    }
    let others: Vec<&String> = r.set.iter().filter(|k| !r.needed.iter().any(|n| &n.name == *k)).collect();
    if !others.is_empty() {
        eprintln!("Also set on the Space: {}", others.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", "));
    }
    if r.missing.is_empty() {
        eprintln!("{} nothing missing", s.paint("1;32", "✓"));
    } else {
        eprintln!("{} missing: {}", s.paint("1;33", "!"), r.missing.join(", "));
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
    let s = Style::stderr();
    let vis = if st.private { "private" } else { "public" };
    let sdk = st.sdk.as_deref().unwrap_or("unknown sdk");
    eprintln!("{} ({vis}, {sdk}): {}", s.bold(&st.space), runtime_line(&st.runtime));
    eprintln!("  {}", st.url);
    if st.runtime.dev_mode == Some(true) {
        eprintln!("  dev mode on");
    }
    for v in st.runtime.volumes() {
        eprintln!("  volume {}", v.to_uri());
    }
}

pub fn runtime(space: &SpaceId, verb: &str, rt: &SpaceRuntime, as_json: bool) {
    if as_json {
        json(&serde_json::json!({ "success": true, "space": space.to_string(), "runtime": rt }));
        return;
    }
    let s = Style::stderr();
    eprintln!("{} {verb} {}: now {}", s.paint("1;32", "✓"), s.bold(&space.to_string()), runtime_line(rt));
}

pub fn deleted(space: &SpaceId, as_json: bool) {
    if as_json {
        json(&serde_json::json!({ "success": true, "space": space.to_string(), "deleted": true }));
        return;
    }
    eprintln!("Deleted {space}.");
}

/// `dev`: human progress and the app's prefixed lines on stderr; with --json, one event per line on stdout.
pub struct DevPrinter {
    json: bool,
    style: Style,
}

impl DevPrinter {
    pub fn new(json: bool) -> Self {
        DevPrinter { json, style: Style::stderr() }
    }

    fn emit(&self, value: serde_json::Value) {
        if self.json {
            let mut out = std::io::stdout().lock();
            let _ = serde_json::to_writer(&mut out, &value);
            let _ = writeln!(out);
            let _ = out.flush();
        }
    }
}

impl DevObserver for DevPrinter {
    fn event(&self, e: DevEvent<'_>) {
        let s = &self.style;
        match e {
            DevEvent::Plan(p) => {
                let how = if p.docker { "in Docker" } else { "locally" };
                eprintln!("Running {} ({}, {}) {how} on port {}", s.bold(&p.title), p.sdk, p.space_id, p.port);
                eprintln!("  {} {}", s.dim("command:"), p.command.join(" "));
                if let Some(f) = &p.env_file {
                    let names = if p.env_names.is_empty() { "none".to_string() } else { p.env_names.join(", ") };
                    eprintln!("  secrets/variables from {}: {names}", f.display());
                }
                self.emit(serde_json::json!({ "event": "plan", "plan": p }));
            }
            DevEvent::Venv { path, created } => {
                let verb = if created { "Created" } else { "Using" };
                eprintln!("{verb} the virtualenv {}", path.display());
                self.emit(serde_json::json!({ "event": "venv", "path": path, "created": created }));
            }
            DevEvent::Installing { what } => {
                eprintln!("Installing {} …", what.join(" "));
                self.emit(serde_json::json!({ "event": "installing", "what": what }));
            }
            DevEvent::UpToDate => {
                eprintln!("Requirements are installed (unchanged since the last install).");
                self.emit(serde_json::json!({ "event": "installed", "up_to_date": true }));
            }
            DevEvent::Building { image } => {
                eprintln!("Building the image {image} …");
                self.emit(serde_json::json!({ "event": "building", "image": image }));
            }
            DevEvent::BuildCommand { command } => {
                eprintln!("Running the build (app_build_command): {command} …");
                self.emit(serde_json::json!({ "event": "build", "command": command }));
            }
            DevEvent::Log { source, line } => eprintln!("{} {line}", s.dim(&format!("[{source}]"))),
            DevEvent::Started { pid } => {
                eprintln!("Started (pid {pid}); Ctrl-C stops it.");
                self.emit(serde_json::json!({ "event": "started", "pid": pid }));
            }
            DevEvent::Ready { url } => {
                eprintln!("{} answers on {url}", s.paint("1;32", "✓"));
                self.emit(serde_json::json!({ "event": "ready", "url": url }));
            }
            DevEvent::NotReady { waited } => {
                eprintln!(
                    "{} nothing answers on the port after {}s; the app keeps running (is it listening on 0.0.0.0:$PORT?)",
                    s.paint("1;33", "!"),
                    waited.as_secs()
                );
                self.emit(serde_json::json!({ "event": "not_ready", "waited_s": waited.as_secs() }));
            }
            DevEvent::Stopping { signal } => {
                eprintln!("Stopping ({signal}) …");
                self.emit(serde_json::json!({ "event": "stopping", "signal": signal }));
            }
            DevEvent::Exited { code, signal, stopped, ready } => {
                let how = match (code, signal) {
                    (Some(c), _) => format!("exit code {c}"),
                    (None, Some(sig)) => format!("signal {sig}"),
                    _ => "unknown status".into(),
                };
                if stopped {
                    eprintln!("Stopped ({how}).");
                } else if !ready {
                    eprintln!("{} the app exited ({how}) before answering on its port", s.paint("1;31", "✗"));
                } else {
                    eprintln!("The app exited ({how}).");
                }
                self.emit(serde_json::json!({ "event": "exited", "code": code, "signal": signal, "stopped": stopped }));
            }
        }
    }
}

pub fn plugin_new(r: &KitReport, as_json: bool) {
    if as_json {
        json(r);
        return;
    }
    let s = Style::stderr();
    eprintln!(
        "Created the plugin crate {} ({}, --sdk {}), using the SDK at {}:",
        s.bold(&r.dir.display().to_string()),
        r.package,
        r.sdk_id,
        r.sdk_path.display()
    );
    for f in &r.files {
        eprintln!("  {}", f.path);
    }
    eprintln!("{}", s.bold("Next:"));
    for (i, step) in r.next.iter().enumerate() {
        eprintln!("  {}. {step}", i + 1);
    }
}

fn plugin_lines(s: &Style, p: &PluginView) {
    eprintln!("{} {} — {} ({})", s.bold(&p.sdk_id), p.version, p.name, p.kind);
    eprintln!("    {}", p.description);
    eprintln!(
        "    {} {}  {} {}",
        s.dim("contract:"),
        p.contract,
        s.dim("checks:"),
        if p.checks_sdks.is_empty() { "-".to_string() } else { p.checks_sdks.join(", ") }
    );
    if let Some(source) = &p.source {
        eprintln!("    {} {source}", s.dim("source:"));
    }
    eprintln!("    {} {}", s.dim("sha256:"), p.sha256);
    if let Some(path) = &p.path {
        eprintln!("    {} {}", s.dim("file:"), path.display());
    }
    if p.capabilities.is_empty() && p.unknown_capabilities.is_empty() {
        eprintln!("    {} none requested", s.dim("capabilities:"));
    }
    for c in &p.capabilities {
        let state = if c.granted { s.paint("1;33", "GRANTED") } else { "not granted".to_string() };
        eprintln!("    {} {} — {state}: {} (it gives {})", s.dim("capability:"), c.name.name(), c.why, c.gives);
    }
    for c in &p.unknown_capabilities {
        eprintln!("    {} {c} — unknown to this spacesmith, cannot be granted", s.dim("capability:"));
    }
    let user = &p.user_limits;
    let mark = |set: bool| if set { " (set by you)" } else { "" };
    eprintln!(
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
    let s = Style::stderr();
    let verb = match &r.replaced {
        Some(old) => format!("Replaced {old} with"),
        None => "Installed".to_string(),
    };
    eprintln!(
        "{verb} {} {} (sha256 {}{}).",
        s.bold(&r.plugin.sdk_id),
        r.plugin.version,
        r.plugin.sha256,
        if r.pinned { ", matches the pin" } else { "" }
    );
    plugin_lines(&s, &r.plugin);
    for n in &r.notices {
        eprintln!("  {} {n}", s.paint("1;36", "note:"));
    }
    eprintln!("Use it: spacesmith new DIR --sdk {}", r.plugin.sdk_id);
}

pub fn plugin_list(r: &ListReport, as_json: bool) {
    if as_json {
        json(r);
        return;
    }
    let s = Style::stderr();
    for p in &r.plugins {
        let grants: Vec<&str> = p.capabilities.iter().filter(|c| c.granted).map(|c| c.name.name()).collect();
        let extra = if grants.is_empty() { String::new() } else { format!("  granted: {}", grants.join(", ")) };
        eprintln!("{:<12} {:<9} {:<9} {}{extra}", s.bold(&p.sdk_id), p.version, p.kind, p.name);
    }
    for b in &r.broken {
        eprintln!("{} {b}", s.paint("1;33", "unreadable:"));
    }
    match &r.directory {
        Some(d) => eprintln!("{}", s.dim(&format!("Installed plugins live in {}.", d.display()))),
        None => eprintln!("{}", s.dim("No data directory (set SPACESMITH_DATA_DIR to install plugins).")),
    }
}

pub fn plugin_info(r: &InfoReport, as_json: bool) {
    if as_json {
        json(r);
        return;
    }
    let s = Style::stderr();
    plugin_lines(&s, &r.plugin);
    match r.verified {
        Some(true) => eprintln!("    {} the file matches its recorded sha256", s.dim("verified:")),
        Some(false) => eprintln!(
            "    {} {} — the file is missing or changed since installation; it will not run. Reinstall it.",
            s.dim("verified:"),
            s.paint("1;31", "NO")
        ),
        None => {}
    }
    match (&r.rules, &r.rules_error) {
        (Some(n), _) => eprintln!("    {} {n}", s.dim("rules:")),
        (None, Some(e)) => eprintln!("    {} {} {e}", s.dim("rules:"), s.paint("1;31", "failed:")),
        (None, None) => {}
    }
    for o in &r.options {
        let default = o.default.as_ref().map(|d| format!(" [default: {d}]")).unwrap_or_default();
        eprintln!("    {} --{} {}{default}", s.dim("option:"), o.name, o.help);
    }
}

pub fn plugin_removed(r: &RemoveReport, as_json: bool) {
    if as_json {
        json(r);
        return;
    }
    eprintln!("Removed {} {} ({}).", r.sdk_id, r.version, r.removed.display());
}
