//! Printing: data (JSON) to stdout, human text to stderr, color only on a terminal without NO_COLOR.

use std::io::{IsTerminal, Write};
use std::path::Path;

use serde::Serialize;
use spacesmith_spec::Severity;

use crate::error::AppError;
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
    let checked_by = match (&r.sdk, &r.plugin) {
        (Some(sdk), Some(p)) => format!(" (sdk {sdk}, checked by the {} plugin {})", p.sdk, p.version),
        (Some(sdk), None) => format!(" (sdk {sdk})"),
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
