//! Test harness for driving the real `spacesmith` binary (after ripgrep's tests/util.rs): a unique
//! temp dir per test, and a command runner whose failure message shows the command, its working
//! directory, a listing of that directory, the exit status, stdout and stderr.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

#[path = "../../../tests/support/fixtures.rs"]
pub mod fixtures;

pub struct Dir {
    _tmp: tempfile::TempDir,
    pub path: PathBuf,
    /// SPACESMITH_DATA_DIR of every command: installed plugins stay per test, never the user's.
    data: tempfile::TempDir,
}

impl Dir {
    pub fn new() -> Dir {
        let tmp = tempfile::Builder::new().prefix("spacesmith-test-").tempdir().unwrap();
        let path = tmp.path().to_path_buf();
        let data = tempfile::Builder::new().prefix("spacesmith-data-").tempdir().unwrap();
        Dir { _tmp: tmp, path, data }
    }

    /// Where this test's installed plugins live.
    pub fn data_dir(&self) -> &Path {
        self.data.path()
    }

    pub fn join(&self, rel: &str) -> PathBuf {
        self.path.join(rel)
    }

    pub fn write(&self, rel: &str, contents: impl AsRef<[u8]>) {
        let p = self.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, contents).unwrap();
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.join(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}\n{}", listing(&self.path)))
    }

    pub fn cmd(&self, args: &[&str]) -> TestCommand {
        warm_plugin_cache();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_spacesmith"));
        cmd.args(args)
            .current_dir(&self.path)
            .env("SPACESMITH_CACHE_DIR", shared_cache())
            .env("SPACESMITH_DATA_DIR", self.data.path())
            .env("NO_COLOR", "1");
        TestCommand { cmd, dir: self.path.clone() }
    }
}

/// `spacesmith new app --sdk <sdk> <args>` in a fresh directory: the directory and the project's path.
pub fn new_project(sdk: &str, args: &[&str]) -> (Dir, PathBuf) {
    let dir = Dir::new();
    let mut all = vec!["new", "app", "--sdk", sdk];
    all.extend_from_slice(args);
    dir.cmd(&all).expect(0);
    let project = dir.join("app");
    (dir, project)
}

/// Compile the built-in plugins into the shared cache once per test process, before any test runs
/// the binary: otherwise every test thread starts on a cold cache and compiles the same plugins.
fn warm_plugin_cache() {
    static WARM: std::sync::Once = std::sync::Once::new();
    WARM.call_once(|| {
        let status = Command::new(env!("CARGO_BIN_EXE_spacesmith"))
            .arg("rules")
            .env("SPACESMITH_CACHE_DIR", shared_cache())
            // No installed plugins: a directory that does not exist.
            .env("SPACESMITH_DATA_DIR", shared_cache().join("no-data"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .expect("spacesmith runs");
        assert!(status.success(), "warming the plugin cache with `spacesmith rules` failed");
    });
}

/// One compiled-plugin cache for all tests: only the first test process pays for compilation.
pub fn shared_cache() -> PathBuf {
    fixtures::repo_root().join("target").join("test-plugin-cache")
}

pub struct TestCommand {
    pub cmd: Command,
    dir: PathBuf,
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}\nstderr:\n{}", self.stdout, self.stderr))
    }
}

impl TestCommand {
    pub fn env(mut self, k: &str, v: impl AsRef<std::ffi::OsStr>) -> Self {
        self.cmd.env(k, v);
        self
    }

    fn output(&mut self) -> Output {
        self.cmd.output().unwrap_or_else(|e| panic!("cannot run {:?}: {e}", self.cmd))
    }

    /// Run and require exit code `code`, explaining everything if it differs.
    #[track_caller]
    pub fn expect(mut self, code: i32) -> Run {
        let out = self.output();
        let run = Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        if run.code != code {
            panic!(
                "\n\nexpected exit code {code}, got {}\ncommand: {:?}\ncwd: {}\ndir listing:\n{}\nstdout:\n{}\nstderr:\n{}\n",
                run.code,
                self.cmd,
                self.dir.display(),
                listing(&self.dir),
                run.stdout,
                run.stderr
            );
        }
        run
    }
}

/// Every file under `dir`, relative and sorted.
pub fn files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                out.push(p.strip_prefix(base).unwrap().to_string_lossy().replace('\\', "/"));
            }
        }
    }
    walk(dir, dir, &mut out);
    out.sort();
    out
}

pub fn listing(dir: &Path) -> String {
    let f = files(dir);
    if f.is_empty() { "  (empty)".into() } else { f.iter().map(|p| format!("  {p}")).collect::<Vec<_>>().join("\n") }
}
