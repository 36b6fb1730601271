//! `spacesmith dev` end to end: each SDK's freshly generated project runs through `dev` and answers on
//! the port it reports; secrets come from a `.env` file and never appear in dev's output; SIGINT and
//! SIGTERM stop the app's whole process group. Python comes from tests/e2e/setup-venv.sh, shared
//! through SPACESMITH_DEV_VENV, except in the one test that lets `dev` create the project's `.venv`.
//!
//! Waits are bounded polls, never timing assertions; every process started is killed on drop.

mod util;

#[path = "../../tests/e2e/support.rs"]
mod e2e;

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use e2e::{free_port, post_json, try_get};
use util::{Dir, new_project};

/// Up to 120 s (× 500 ms) for dev to report the app ready: gradio and streamlit import slowly.
const READY_ATTEMPTS: u32 = 240;

/// A running `spacesmith dev`: stdout and stderr collected as they come; on drop, dev and the app's
/// process group (whose id dev reports) are killed, pass or fail.
struct Dev {
    child: Child,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
    app_pgid: Option<u32>,
}

impl Dev {
    fn start(project: &Path, args: &[&str], shared_venv: bool) -> Dev {
        Self::start_with(project, args, shared_venv, &[])
    }

    fn start_with(project: &Path, args: &[&str], shared_venv: bool, envs: &[(&str, std::ffi::OsString)]) -> Dev {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_spacesmith"));
        cmd.arg("dev")
            .arg(project)
            .args(args)
            .env("SPACESMITH_CACHE_DIR", util::shared_cache())
            .env("NO_COLOR", "1")
            .env("HOME", project)
            .env("GRADIO_ANALYTICS_ENABLED", "False")
            .env("STREAMLIT_BROWSER_GATHER_USAGE_STATS", "false")
            .env_remove("VIRTUAL_ENV")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd.envs(envs.iter().map(|(k, v)| (*k, v)));
        if shared_venv {
            cmd.env("SPACESMITH_DEV_VENV", e2e::venv());
        } else {
            cmd.env_remove("SPACESMITH_DEV_VENV");
        }
        let mut child = cmd.spawn().unwrap();
        let stdout = Arc::new(Mutex::new(String::new()));
        let stderr = Arc::new(Mutex::new(String::new()));
        collect(child.stdout.take().unwrap(), stdout.clone());
        collect(child.stderr.take().unwrap(), stderr.clone());
        Dev { child, stdout, stderr, app_pgid: None }
    }

    fn output(&self) -> String {
        format!("stdout:\n{}\nstderr:\n{}", self.stdout.lock().unwrap(), self.stderr.lock().unwrap())
    }

    /// Waits (bounded) until dev says the app answers; fails with everything dev printed otherwise.
    #[track_caller]
    fn wait_ready(&mut self) {
        for _ in 0..READY_ATTEMPTS {
            let err = self.stderr.lock().unwrap().clone();
            if self.app_pgid.is_none() {
                self.app_pgid = err
                    .lines()
                    .find_map(|l| l.strip_prefix("Started (pid "))
                    .and_then(|r| r.split(')').next())
                    .and_then(|p| p.parse().ok());
            }
            if err.contains("✓ answers on http://localhost:") {
                return;
            }
            if let Some(status) = self.child.try_wait().unwrap() {
                std::thread::sleep(Duration::from_millis(200));
                panic!("dev exited ({status}) before the app answered\n{}", self.output());
            }
            std::thread::sleep(Duration::from_millis(500));
        }
        panic!("dev never reported the app ready\n{}", self.output());
    }

    fn signal(&self, sig: &str) {
        let ok = Command::new("kill").args([sig, &self.child.id().to_string()]).status().unwrap().success();
        assert!(ok, "kill {sig} dev");
    }

    /// Waits (bounded: dev's own stop is bounded by its 10 s grace) for dev to exit; returns its code.
    #[track_caller]
    fn wait_exit(&mut self) -> i32 {
        for _ in 0..120 {
            if let Some(status) = self.child.try_wait().unwrap() {
                std::thread::sleep(Duration::from_millis(200)); // let the readers drain the pipes
                return status.code().unwrap_or(-1);
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        panic!("dev did not exit after the signal\n{}", self.output());
    }
}

impl Drop for Dev {
    fn drop(&mut self) {
        if let Some(pgid) = self.app_pgid {
            let _ = Command::new("kill").args(["-KILL", "--", &format!("-{pgid}")]).stderr(Stdio::null()).status();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn collect(stream: impl Read + Send + 'static, into: Arc<Mutex<String>>) {
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            into.lock().unwrap().push_str(&format!("{line}\n"));
        }
    });
}

/// Whether any process is left in the group (kill -0 succeeds while one is).
fn group_alive(pgid: u32) -> bool {
    Command::new("kill").args(["-0", "--", &format!("-{pgid}")]).stderr(Stdio::null()).status().unwrap().success()
}

#[track_caller]
fn assert_group_gone(pgid: u32) {
    for _ in 0..40 {
        if !group_alive(pgid) {
            return;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    panic!("the app's process group {pgid} outlived dev");
}

#[test]
fn docker_fastapi_runs_with_secrets_from_env_file_and_stops_on_sigint() {
    let (_dir, project) = new_project("docker", &[]);
    std::fs::write(project.join(".env"), "# the Space secret\nAPI_TOKEN=dev-secret-token-4711\n").unwrap();
    let port = free_port();
    let mut dev = Dev::start(&project, &["--port", &port.to_string()], true);
    dev.wait_ready();
    let base = format!("http://127.0.0.1:{port}");

    let (status, body) = try_get(&format!("{base}/health"), &[]).expect("/health answers");
    assert_eq!((status, body.as_str()), (200, r#"{"status":"ok"}"#));
    let echo = format!("{base}/api/echo");
    assert_eq!(post_json(&echo, &[], r#"{"message":"hi"}"#).0, 401, "no token");
    let (status, body) = post_json(&echo, &[("authorization", "Bearer dev-secret-token-4711")], r#"{"message":"hi"}"#);
    assert_eq!((status, body.as_str()), (200, r#"{"message":"hi","length":2}"#));

    let pgid = dev.app_pgid.expect("dev reports the app's pid");
    dev.signal("-INT");
    let code = dev.wait_exit();
    let out = dev.output();
    assert_eq!(code, 0, "stopped by the user\n{out}");
    assert!(try_get(&format!("{base}/health"), &[]).is_none(), "the app still answers after dev stopped\n{out}");
    assert_group_gone(pgid);

    assert!(out.contains("secrets/variables from"), "{out}");
    assert!(out.contains(": API_TOKEN"), "names are listed\n{out}");
    assert!(!out.contains("dev-secret-token-4711"), "the secret's value was printed\n{out}");
    assert!(out.contains("[app] ") && out.contains("Uvicorn running on http://0.0.0.0:"), "app logs are prefixed\n{out}");
    assert!(out.contains("(docker, local/app)"), "{out}");
    assert!(out.contains("Stopping (SIGINT)"), "{out}");
}

/// The one test of the real `.venv` path: the stdlib project has no requirements, so it is quick.
#[test]
fn docker_stdlib_creates_the_project_venv_and_stops_on_sigterm() {
    let (_dir, project) = new_project("docker", &["--no-fastapi"]);
    let port = free_port();
    let mut dev = Dev::start(&project, &["--port", &port.to_string()], false);
    dev.wait_ready();
    assert!(project.join(".venv/bin/python").exists(), "dev created .venv\n{}", dev.output());
    let (status, body) = try_get(&format!("http://127.0.0.1:{port}/health"), &[]).expect("/health answers");
    assert_eq!((status, body.as_str()), (200, r#"{"status": "ok"}"#));
    let pgid = dev.app_pgid.expect("dev reports the app's pid");
    dev.signal("-TERM");
    assert_eq!(dev.wait_exit(), 0, "{}", dev.output());
    assert_group_gone(pgid);
    assert!(dev.output().contains("Created the virtualenv"), "{}", dev.output());

    // A second run reuses the venv.
    let mut dev = Dev::start(&project, &["--port", &port.to_string()], false);
    dev.wait_ready();
    assert!(dev.output().contains("Using the virtualenv"), "{}", dev.output());
}

/// --json: one event per line on stdout, with the ready event; human text stays on stderr.
#[test]
fn gradio_runs_and_reports_ready_as_json() {
    let (_dir, project) = new_project("gradio", &[]);
    let port = free_port();
    let mut dev = Dev::start(&project, &["--port", &port.to_string(), "--json"], true);
    dev.wait_ready();
    let (status, _) = try_get(&format!("http://127.0.0.1:{port}/"), &[]).expect("/ answers");
    assert_eq!(status, 200);
    let stdout = dev.stdout.lock().unwrap().clone();
    let events: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}\n{}", dev.output())))
        .collect();
    let kinds: Vec<&str> = events.iter().map(|e| e["event"].as_str().unwrap()).collect();
    assert!(kinds.contains(&"started") && kinds.contains(&"ready"), "{kinds:?}");
    let ready = events.iter().find(|e| e["event"] == "ready").unwrap();
    assert_eq!(ready["url"], format!("http://localhost:{port}"));
    let plan = events.iter().find(|e| e["event"] == "plan").unwrap();
    assert_eq!(plan["plan"]["sdk"], "gradio");
    assert!(!stdout.contains("[app]"), "logs stay on stderr");
}

#[test]
fn streamlit_runs_its_dockerfile_cmd_on_the_chosen_port() {
    let (_dir, project) = new_project("streamlit", &[]);
    let port = free_port();
    let mut dev = Dev::start(&project, &["--port", &port.to_string()], true);
    dev.wait_ready();
    let (status, body) = try_get(&format!("http://127.0.0.1:{port}/_stcore/health"), &[]).expect("health answers");
    assert_eq!((status, body.as_str()), (200, "ok"));
    assert!(dev.output().contains(&format!("--server.port {port}")), "{}", dev.output());
}

#[test]
fn an_app_that_exits_before_answering_fails_with_its_status() {
    let dir = Dir::new();
    dir.write("README.md", "---\ntitle: Quits\nsdk: docker\napp_port: 7860\n---\n");
    dir.write("Dockerfile", "FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nCMD [\"python\", \"app.py\"]\n");
    dir.write("app.py", "import sys\nprint('giving up')\nsys.exit(3)\n");
    let port = free_port().to_string();
    let run = dir.cmd(&["dev", ".", "--port", &port]).env("SPACESMITH_DEV_VENV", e2e::venv()).expect(1);
    assert!(run.stderr.contains("[app] giving up"), "{}", run.stderr);
    assert!(run.stderr.contains("exited (exit code 3) before answering"), "{}", run.stderr);
}

#[test]
fn an_unsupported_dockerfile_is_refused_with_what_dev_runs() {
    let dir = Dir::new();
    dir.write("README.md", "---\ntitle: Node\nsdk: docker\napp_port: 3000\n---\n");
    dir.write("Dockerfile", "FROM node:22\nWORKDIR /app\nCOPY . .\nCMD [\"node\",\"server.js\"]\n");
    let run = dir.cmd(&["dev", "."]).expect(2);
    assert!(
        run.stderr.contains(r#"the Dockerfile's CMD ["node","server.js"] does not run python, uvicorn or streamlit"#),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("--docker"), "{}", run.stderr);
    let run = dir.cmd(&["dev", ".", "--json"]).expect(2);
    assert_eq!(run.json()["error_code"], "DEV_UNSUPPORTED");
}

/// Puts an executable `docker` script first on PATH; returns the PATH.
fn fake_docker(dir: &Dir, script: &str) -> std::ffi::OsString {
    dir.write("bin/docker", script);
    std::fs::set_permissions(dir.join("bin/docker"), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    std::env::join_paths(
        [dir.join("bin")].into_iter().chain(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())),
    )
    .unwrap()
}

/// --docker with an engine, through a stand-in `docker` that logs its arguments and, for `run`, serves
/// the published port: the image is built with the secrets as build secrets, run with the port mapped
/// to app_port and every variable passed by name, and stopped by name on Ctrl-C. No value is ever an
/// argument.
#[test]
fn docker_mode_builds_runs_and_stops_the_image_without_values_in_arguments() {
    let (dir, project) = new_project("docker", &["--no-fastapi"]);
    std::fs::write(project.join(".env"), "API_TOKEN=docker-secret-value-99\n").unwrap();
    let log = dir.join("docker.log");
    let path = fake_docker(
        &dir,
        "#!/bin/sh\necho \"$@\" >> \"$FAKE_DOCKER_LOG\"\ncase \"$1\" in\n\
         build) [ -n \"$API_TOKEN\" ] && echo 'build sees API_TOKEN'; exit 0 ;;\n\
         run) while [ $# -gt 0 ]; do [ \"$1\" = -p ] && port=\"${2%%:*}\"; shift; done\n\
         \x20    [ -n \"$API_TOKEN\" ] && echo 'run sees API_TOKEN'\n\
         \x20    exec python3 -m http.server \"$port\" --bind 127.0.0.1 ;;\n\
         *) exit 0 ;;\nesac\n",
    );
    let port = free_port();
    let envs = [("PATH", path), ("FAKE_DOCKER_LOG", log.clone().into_os_string())];
    let mut dev = Dev::start_with(&project, &["--docker", "--port", &port.to_string()], false, &envs);
    dev.wait_ready();
    assert_eq!(try_get(&format!("http://127.0.0.1:{port}/"), &[]).expect("answers").0, 200);
    dev.signal("-INT");
    assert_eq!(dev.wait_exit(), 0, "{}", dev.output());

    let calls = std::fs::read_to_string(&log).unwrap();
    let out = dev.output();
    assert!(calls.contains("build -t spacesmith-dev-app --secret id=API_TOKEN,env=API_TOKEN ."), "{calls}");
    assert!(calls.contains(&format!(" -p {port}:7860 ")), "{calls}");
    assert!(calls.contains("-e API_TOKEN") && calls.contains("-e PORT") && calls.contains("-e SPACE_ID"), "{calls}");
    assert!(calls.lines().any(|l| l.starts_with("stop --time 10 spacesmith-dev-app-")), "{calls}");
    assert!(out.contains("[docker] build sees API_TOKEN") && out.contains("[app] run sees API_TOKEN"), "{out}");
    assert!(!calls.contains("docker-secret-value-99") && !out.contains("docker-secret-value-99"), "{calls}\n{out}");
}

/// No Docker engine: a `docker` whose `info` fails as the real CLI does without a daemon, so the
/// refusal is the same wherever the test runs.
#[test]
fn docker_without_an_engine_is_refused_plainly() {
    let (dir, project) = new_project("docker", &["--no-fastapi"]);
    let path = fake_docker(
        &dir,
        "#!/bin/sh\necho 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?' >&2\nexit 1\n",
    );
    let run = dir.cmd(&["dev", project.to_str().unwrap(), "--docker"]).env("PATH", path).expect(2);
    assert!(
        run.stderr.contains("no Docker engine is running here (docker info failed: Cannot connect to the Docker daemon"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("Is the docker daemon running?); run without --docker to use a virtualenv"), "{}", run.stderr);
}

#[test]
fn static_spaces_are_served_as_the_hub_serves_them() {
    let (_dir, project) = new_project("static", &["--title", "Tom & Jerry"]);
    let port = free_port();
    let mut dev = Dev::start(&project, &["--port", &port.to_string()], true);
    dev.wait_ready();
    let (status, body) = try_get(&format!("http://127.0.0.1:{port}/"), &[]).expect("/ answers");
    assert_eq!(status, 200);
    assert!(body.contains("<title>Tom &amp; Jerry</title>"), "{body}");
    let (status, _) = try_get(&format!("http://127.0.0.1:{port}/style.css"), &[]).expect("assets answer");
    assert_eq!(status, 200);
}

/// A build step (README app_build_command) runs first; the URL is the built app_file's.
#[test]
fn a_static_build_command_runs_before_serving_and_its_failure_stops_dev() {
    let dir = Dir::new();
    let readme = "---\ntitle: Built\nsdk: static\napp_build_command: mkdir -p out && sed 's/SOURCE/BUILT/' page.html > out/index.html\napp_file: out/index.html\n---\n";
    dir.write("site/README.md", readme);
    dir.write("site/page.html", "<!doctype html><title>SOURCE</title>\n");
    let port = free_port();
    let mut dev = Dev::start(&dir.join("site"), &["--port", &port.to_string(), "--json"], true);
    dev.wait_ready();
    let (status, body) = try_get(&format!("http://127.0.0.1:{port}/out/index.html"), &[]).expect("the built page answers");
    assert_eq!((status, body.trim()), (200, "<!doctype html><title>BUILT</title>"));
    let stdout = dev.stdout.lock().unwrap().clone();
    assert!(stdout.contains("\"event\":\"build\""), "{stdout}");
    assert!(stdout.contains(&format!("\"url\":\"http://localhost:{port}/out/index.html\"")), "{stdout}");
    drop(dev);

    dir.write(
        "broken/README.md",
        "---\ntitle: Broken\nsdk: static\napp_build_command: echo compiling; exit 4\napp_file: dist/index.html\n---\n",
    );
    let run = dir
        .cmd(&["dev", "broken", "--port", &free_port().to_string(), "--json"])
        .env("SPACESMITH_DEV_VENV", e2e::venv())
        .expect(1);
    // Events, one per line, then the error object.
    assert!(run.stdout.contains("\"error_code\": \"BUILD_FAILED\""), "{}", run.stdout);
    assert!(run.stderr.contains("[build] compiling"), "{}", run.stderr);
}

/// A new SDK is one plugin: the node fixture's run plan (`npm install` unless node_modules exists,
/// then `node server.js`) runs under `dev` once the user granted it `run-plan`, and not before.
#[test]
fn a_plugin_kit_sdk_runs_under_dev() {
    let dir = Dir::new();
    let wasm = util::fixtures::fixture_wasm("spacesmith-plugin-node");
    dir.cmd(&["plugin", "install", wasm.to_str().unwrap(), "--json"]).expect(0);
    dir.cmd(&["new", "web", "--sdk", "node", "--greeting", "Hi from Node"]).expect(0);
    let project = dir.join("web");
    let data = [("SPACESMITH_DATA_DIR", dir.data_dir().as_os_str().to_owned())];
    // Installed without the grant: the plan is not run.
    let run = dir.cmd(&["dev", "web", "--json"]).expect(2);
    assert!(run.stderr.contains("run-plan"), "{}", run.stderr);
    dir.cmd(&["plugin", "grant", "node", "run-plan", "--json"]).expect(0);
    let port = free_port();
    let mut dev = Dev::start_with(&project, &["--port", &port.to_string()], false, &data);
    dev.wait_ready();
    let (status, body) = try_get(&format!("http://127.0.0.1:{port}/"), &[]).expect("the node server answers");
    assert!(status == 200 && body.contains("Hi from Node"), "{status} {body}");
    // The package has no dependencies, so npm writes no node_modules: the step runs on each start.
    assert!(dev.output().contains("Running npm install") && dev.output().contains("[npm install] "), "{}", dev.output());
    dev.signal("-INT");
    assert_eq!(dev.wait_exit(), 0, "{}", dev.output());
}

/// A plugin built against contract 0.1 (the frozen fixture) has no run plan, and dev says so.
#[test]
fn dev_on_a_contract_0_1_plugins_project_says_it_has_no_run_plan() {
    let dir = Dir::new();
    let frozen = util::fixtures::repo_root().join("tests/fixtures/contract/v0.1/plugin.wasm");
    dir.cmd(&["plugin", "install", frozen.to_str().unwrap(), "--json"]).expect(0);
    // The fixture checks `sdk: contract-fixture` Spaces.
    dir.write("p/README.md", "---\ntitle: P\nsdk: contract-fixture\n---\n");
    let run = dir.cmd(&["dev", "p"]).expect(2);
    assert!(run.stderr.contains("has no run plan") && run.stderr.contains("contract 0.1.0"), "{}", run.stderr);
}
