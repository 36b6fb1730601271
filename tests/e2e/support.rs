//! Shared by the end-to-end tests (host/tests/e2e_apps.rs, host/tests/lint.rs): the Python virtualenv
//! from tests/e2e/setup-venv.sh, free loopback ports, apps started in their own process group and
//! killed on drop, and HTTP polling with a bounded number of attempts.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// The e2e virtualenv, set up once per test process (the script returns at once when it is current).
pub fn venv() -> &'static Path {
    static VENV: OnceLock<PathBuf> = OnceLock::new();
    VENV.get_or_init(|| {
        let script = crate::util::fixtures::repo_root().join("tests/e2e/setup-venv.sh");
        let out = Command::new("bash").arg(&script).output().unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{} failed ({}): the e2e tests need Python >= 3.10 and PyPI\nstdout:\n{stdout}\nstderr:\n{}",
            script.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        PathBuf::from(stdout.trim().lines().last().expect("setup-venv.sh prints the venv path"))
    })
}

pub fn venv_bin() -> PathBuf {
    venv().join("bin")
}

/// PATH with the venv's bin first, as an activated virtualenv has it.
pub fn path_with_venv() -> std::ffi::OsString {
    let mut dirs = vec![venv_bin()];
    dirs.extend(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()));
    std::env::join_paths(dirs).unwrap()
}

/// A port free on 127.0.0.1 right now (the OS picks it; the app binds it a moment later).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A running app: its own process group, stdout and stderr collected line by line as they come,
/// and everything in the group killed when this is dropped, even when the test fails.
pub struct App {
    child: Child,
    name: String,
    pub output: Arc<Mutex<String>>,
}

impl App {
    pub fn start(name: &str, mut cmd: Command) -> App {
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap_or_else(|e| panic!("{name}: cannot start {cmd:?}: {e}"));
        let output = Arc::new(Mutex::new(String::new()));
        collect(child.stdout.take().unwrap(), output.clone(), "stdout");
        collect(child.stderr.take().unwrap(), output.clone(), "stderr");
        App { child, name: name.to_string(), output }
    }

    pub fn output(&self) -> String {
        self.output.lock().unwrap().clone()
    }

    /// Fails (with everything the app printed) if it has already exited.
    #[track_caller]
    pub fn assert_running(&mut self) {
        if let Some(status) = self.child.try_wait().unwrap() {
            std::thread::sleep(Duration::from_millis(200)); // let the readers drain the pipes
            panic!("{}: the app exited ({status}) before answering; its output:\n{}", self.name, self.output());
        }
    }

    /// Polls `url` until it answers with a status (any), up to `attempts` × 500 ms; then fails with
    /// the app's output. Returns the status and body of the first answer.
    #[track_caller]
    pub fn wait_for(&mut self, url: &str, attempts: u32) -> (u16, String) {
        for _ in 0..attempts {
            self.assert_running();
            if let Some(answer) = try_get(url, &[]) {
                return answer;
            }
            std::thread::sleep(Duration::from_millis(500));
        }
        panic!("{}: {url} did not answer after {attempts} attempts; the app's output:\n{}", self.name, self.output());
    }

    /// Waits (bounded) until `needle` appears in the app's output, while it runs.
    #[track_caller]
    pub fn wait_for_output(&mut self, needle: &str, attempts: u32) {
        for _ in 0..attempts {
            if self.output().contains(needle) {
                return;
            }
            self.assert_running();
            std::thread::sleep(Duration::from_millis(250));
        }
        panic!("{}: `{needle}` never appeared in the app's output while it ran:\n{}", self.name, self.output());
    }
}

impl Drop for App {
    fn drop(&mut self) {
        // The whole group: start.sh's exec'd server, uvicorn's or streamlit's children, git.
        #[cfg(unix)]
        {
            let _ = Command::new("kill").args(["-KILL", "--", &format!("-{}", self.child.id())]).status();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn collect(stream: impl Read + Send + 'static, into: Arc<Mutex<String>>, label: &'static str) {
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            into.lock().unwrap().push_str(&format!("[{label}] {line}\n"));
        }
    });
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder().http_status_as_error(false).timeout_global(Some(Duration::from_secs(10))).build().into()
}

/// GET with headers: Some((status, body)), or None when nothing answers (yet).
pub fn try_get(url: &str, headers: &[(&str, &str)]) -> Option<(u16, String)> {
    let mut req = agent().get(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let mut resp = req.call().ok()?;
    let body = resp.body_mut().read_to_string().unwrap_or_default();
    Some((resp.status().as_u16(), body))
}

#[track_caller]
pub fn post_json(url: &str, headers: &[(&str, &str)], body: &str) -> (u16, String) {
    let mut req = agent().post(url).header("content-type", "application/json");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let mut resp = req.send(body).unwrap_or_else(|e| panic!("POST {url}: {e}"));
    let text = resp.body_mut().read_to_string().unwrap_or_default();
    (resp.status().as_u16(), text)
}
