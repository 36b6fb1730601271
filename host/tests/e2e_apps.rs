//! End to end: every SDK's freshly generated project installs its real requirements from PyPI, starts
//! with its real command, and answers real requests; its logs reach stdout/stderr while it runs.
//! Python comes from tests/e2e/setup-venv.sh (target/e2e-venv, created on first use).
//!
//! The apps run exactly as generated: the Docker ones bind 0.0.0.0, as a Space needs, and every request
//! goes to 127.0.0.1. Only the port is changed, through PORT (or, for Streamlit's CMD, its argument).
//! Readiness is polled a bounded number of times (never a timing assertion); every process started is
//! killed with its process group when the test ends, pass or fail.

mod util;

#[path = "../../tests/e2e/support.rs"]
mod e2e;

use std::path::Path;
use std::process::Command;

use e2e::{App, free_port, post_json, try_get};
use util::{Dir, new_project};

/// Up to 60 s (× 500 ms) for an app to answer: importing gradio or streamlit is slow on a busy machine.
const READY_ATTEMPTS: u32 = 120;

/// Installs the project's own requirements.txt into the shared venv (a no-op when already satisfied).
fn install_requirements(project: &Path) {
    let python = e2e::venv_bin().join("python");
    let out = Command::new(&python)
        .args(["-m", "pip", "install", "--disable-pip-version-check", "--quiet", "-r"])
        .arg(project.join("requirements.txt"))
        .output()
        .unwrap();
    assert!(out.status.success(), "pip install -r requirements.txt failed:\n{}", String::from_utf8_lossy(&out.stderr));
}

/// A command with the venv first on PATH, the environment the Space's Dockerfile sets, and PORT.
fn space_command(program: &str, cwd: &Path, port: u16) -> Command {
    let mut cmd = Command::new(program);
    cmd.current_dir(cwd)
        .env("PATH", e2e::path_with_venv())
        .env("VIRTUAL_ENV", e2e::venv())
        .env("PORT", port.to_string())
        .env("PYTHONUNBUFFERED", "1")
        .env("HOME", cwd);
    cmd
}

#[test]
fn docker_fastapi_app_answers_and_guards_its_api() {
    let (_dir, project) = new_project("docker", &[]);
    install_requirements(&project);
    let port = free_port();
    let mut cmd = space_command("sh", Path::new("/"), port);
    // Run from elsewhere: start.sh must cd to its own directory. API_TOKEN as the Space secret gives it.
    cmd.arg(project.join("start.sh")).env("API_TOKEN", "e2e-secret-token");
    let mut app = App::start("docker/fastapi", cmd);
    let base = format!("http://127.0.0.1:{port}");

    let (status, body) = app.wait_for(&format!("{base}/health"), READY_ATTEMPTS);
    assert_eq!((status, body.as_str()), (200, r#"{"status":"ok"}"#));
    let (status, body) = try_get(&format!("{base}/version"), &[]).unwrap();
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(r#""version":"0.1.0""#), "{body}");

    let echo = format!("{base}/api/echo");
    let (status, _) = post_json(&echo, &[], r#"{"message":"hi"}"#);
    assert_eq!(status, 401, "no token");
    let (status, _) = post_json(&echo, &[("authorization", "Bearer wrong-token")], r#"{"message":"hi"}"#);
    assert_eq!(status, 401, "wrong token");
    let (status, body) = post_json(&echo, &[("authorization", "Bearer e2e-secret-token")], r#"{"message":"hi"}"#);
    assert_eq!((status, body.as_str()), (200, r#"{"message":"hi","length":2}"#));
    let (status, _) = post_json(&echo, &[("x-api-token", "e2e-secret-token")], r#"{"message":"hi"}"#);
    assert_eq!(status, 200, "X-API-Token, for private Spaces");

    // Logs while it runs: the app's own logger and uvicorn's access log.
    app.wait_for_output("echo: 2 characters", READY_ATTEMPTS);
    app.wait_for_output("\"GET /health HTTP/1.1\" 200", READY_ATTEMPTS);
    assert!(!app.output().contains("e2e-secret-token"), "the token was logged:\n{}", app.output());
}

#[test]
fn docker_fastapi_api_answers_503_until_the_secret_is_set() {
    let (_dir, project) = new_project("docker", &[]);
    install_requirements(&project);
    let port = free_port();
    let mut cmd = space_command("sh", &project, port);
    cmd.arg("start.sh").env_remove("API_TOKEN");
    let mut app = App::start("docker/fastapi without API_TOKEN", cmd);
    app.wait_for(&format!("http://127.0.0.1:{port}/health"), READY_ATTEMPTS);
    let (status, body) = post_json(&format!("http://127.0.0.1:{port}/api/echo"), &[], r#"{"message":"hi"}"#);
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("API_TOKEN is not set"), "{body}");
}

#[test]
fn docker_stdlib_app_answers_health() {
    let (_dir, project) = new_project("docker", &["--no-fastapi"]);
    let port = free_port();
    let mut cmd = space_command("sh", Path::new("/"), port);
    cmd.arg(project.join("start.sh"));
    let mut app = App::start("docker/stdlib", cmd);
    let (status, body) = app.wait_for(&format!("http://127.0.0.1:{port}/health"), READY_ATTEMPTS);
    assert_eq!((status, body.as_str()), (200, r#"{"status": "ok"}"#));
    assert_eq!(try_get(&format!("http://127.0.0.1:{port}/nope"), &[]).unwrap().0, 404);
    app.wait_for_output(&format!("listening on 0.0.0.0:{port}"), READY_ATTEMPTS);
    app.wait_for_output("\"GET /health HTTP/1.1\" 200", READY_ATTEMPTS);
}

#[test]
fn gradio_app_answers_a_gradio_client_call() {
    for (args, api_name) in [(&[][..], "/greet"), (&["--api"][..], "/greet")] {
        let (_dir, project) = new_project("gradio", args);
        install_requirements(&project);
        let port = free_port();
        // The gradio SDK runs `python app.py` and picks the port through GRADIO_SERVER_PORT.
        let mut cmd = space_command("python", &project, port);
        cmd.arg("app.py")
            .env_remove("PYTHONUNBUFFERED") // app.py line-buffers its own output
            .env("GRADIO_SERVER_NAME", "127.0.0.1")
            .env("GRADIO_SERVER_PORT", port.to_string())
            .env("GRADIO_ANALYTICS_ENABLED", "False");
        let mut app = App::start(&format!("gradio {args:?}"), cmd);
        let url = format!("http://127.0.0.1:{port}/");
        let (status, _) = app.wait_for(&url, READY_ATTEMPTS);
        assert_eq!(status, 200);

        let client = format!(
            "import sys\nfrom gradio_client import Client\nclient = Client(sys.argv[1], verbose=False)\n\
             print('RESULT=' + client.predict('Ada', 3, api_name={api_name:?}))\n"
        );
        let out = Command::new(e2e::venv_bin().join("python"))
            .args(["-c", &client, &url])
            .env("GRADIO_ANALYTICS_ENABLED", "False")
            .env("HF_HUB_OFFLINE", "1")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains("RESULT=Hello, Ada!!!"),
            "gradio_client call failed ({})\nstdout:\n{stdout}\nstderr:\n{}\napp output:\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr),
            app.output()
        );
        app.wait_for_output("greet: 3 characters, enthusiasm 3", READY_ATTEMPTS);
    }
}

/// The streamlit plugin's Space runs the Dockerfile's exec-form CMD: that command, with the port and
/// address made local.
#[test]
fn streamlit_app_is_healthy_and_serves_its_page() {
    let (_dir, project) = new_project("streamlit", &[]);
    install_requirements(&project);
    let dockerfile = std::fs::read_to_string(project.join("Dockerfile")).unwrap();
    let cmd_line = dockerfile.lines().find(|l| l.starts_with("CMD ")).expect("Dockerfile has a CMD");
    let argv: Vec<String> = serde_json::from_str(&cmd_line["CMD ".len()..]).expect("CMD is in exec form");
    let port = free_port();
    let argv: Vec<String> = argv
        .into_iter()
        .map(|a| match a.as_str() {
            "8501" => port.to_string(),
            _ => a,
        })
        .collect();
    assert_eq!(argv[..3], ["streamlit", "run", "app.py"], "{cmd_line}");
    let mut cmd = space_command(&argv[0], &project, port);
    cmd.args(&argv[1..]).env("STREAMLIT_BROWSER_GATHER_USAGE_STATS", "false");
    let mut app = App::start("streamlit", cmd);
    let (status, body) = app.wait_for(&format!("http://127.0.0.1:{port}/_stcore/health"), READY_ATTEMPTS);
    assert_eq!((status, body.as_str()), (200, "ok"));
    let (status, page) = try_get(&format!("http://127.0.0.1:{port}/"), &[]).unwrap();
    assert_eq!(status, 200);
    assert!(page.contains("<div id=\"root\">") || page.contains("streamlit"), "not the Streamlit page:\n{page}");
    app.wait_for_output(&format!(":{port}"), READY_ATTEMPTS);
}

/// Clone-and-build: start.sh clones a local repository (a fixture made here), installs it and starts it.
#[test]
fn clone_and_build_start_sh_clones_and_starts_the_app() {
    let fixture = Dir::new();
    fixture.write(
        "repo/app.py",
        "import os\nfrom http.server import BaseHTTPRequestHandler, HTTPServer\n\n\
         class H(BaseHTTPRequestHandler):\n    def do_GET(self):\n        body = b'fixture app'\n\
         \x20       self.send_response(200)\n        self.send_header('Content-Length', str(len(body)))\n\
         \x20       self.end_headers()\n        self.wfile.write(body)\n\n\
         port = int(os.environ['PORT'])\nprint(f'fixture app on port {port}')\n\
         HTTPServer(('127.0.0.1', port), H).serve_forever()\n",
    );
    fixture.write("repo/requirements.txt", "# nothing beyond the standard library\n");
    let repo = fixture.join("repo");
    for args in [
        &["init", "--quiet", "--initial-branch=main"][..],
        &["add", "."],
        &["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "--quiet", "-m", "fixture"],
    ] {
        let out = Command::new("git").args(args).current_dir(&repo).output().unwrap();
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }

    let (_dir, project) = new_project("docker", &["--from-git", "https://github.com/example/app.git"]);
    let port = free_port();
    let mut cmd = space_command("sh", Path::new("/"), port);
    cmd.arg(project.join("start.sh"))
        .env("APP_REPO_URL", format!("file://{}", repo.display()))
        .env("APP_REPO_REF", "main")
        .env("GIT_TERMINAL_PROMPT", "0");
    let mut app = App::start("docker/from-git", cmd);
    let (status, body) = app.wait_for(&format!("http://127.0.0.1:{port}/"), READY_ATTEMPTS);
    assert_eq!((status, body.as_str()), (200, "fixture app"));
    app.wait_for_output("start.sh: fetching file://", READY_ATTEMPTS);
    app.wait_for_output(&format!("fixture app on port {port}"), READY_ATTEMPTS);
    assert!(project.join("src/app.py").is_file(), "the clone is in ./src");
}

/// The pins in tests/e2e/requirements.txt are what the templates generate: the checks above prove
/// the generated versions, not others.
#[test]
fn e2e_pins_match_the_generated_requirements() {
    let pins = std::fs::read_to_string(util::fixtures::repo_root().join("tests/e2e/requirements.txt")).unwrap();
    let pinned: Vec<&str> = pins.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).collect();
    for (sdk, args) in [("docker", &[][..]), ("streamlit", &[][..])] {
        let (_dir, project) = new_project(sdk, args);
        let reqs = std::fs::read_to_string(project.join("requirements.txt")).unwrap();
        for line in reqs.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
            assert!(pinned.contains(&line), "{sdk} generates `{line}`, which tests/e2e/requirements.txt does not pin");
        }
    }
    let (_dir, project) = new_project("gradio", &[]);
    let readme = std::fs::read_to_string(project.join("README.md")).unwrap();
    let version = readme.lines().find_map(|l| l.strip_prefix("sdk_version: ")).unwrap().trim_matches('"');
    assert!(pinned.contains(&format!("gradio=={version}").as_str()), "gradio sdk_version {version} is not pinned");
}
