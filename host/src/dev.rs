//! `spacesmith dev`: run a Space locally the way the Hub runs it, before deploying it.
//!
//! Supported: `sdk: gradio` (`python <app_file>`, gradio pre-installed at `sdk_version` as the Hub does),
//! and `sdk: docker` projects whose Dockerfile is the generated Python kind: a final-stage exec-form
//! `CMD` that runs python, uvicorn or streamlit, or a shell script (`start.sh`) that does. The project's
//! requirements go into a virtualenv (`.venv`, or `$SPACESMITH_DEV_VENV`), the app gets the environment
//! the Hub gives it plus the `.env` file's values (never printed), and its process group is stopped on
//! Ctrl-C/SIGTERM. `--docker` builds and runs the real image when a Docker engine answers.
//!
//! `SYSTEM=spaces` is deliberately not set: the Hub sets it, but gradio and huggingface_hub take it to
//! mean "running on the Hub" and change behaviour (gradio deploy refuses to run, for one).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::{AppError, ErrorCode};
use crate::secrets;

/// Points `dev` at an existing virtualenv instead of the project's `.venv` (a development/CI aid: the
/// test suite shares one venv across projects). Requirements are still installed into it.
pub const VENV_ENV: &str = "SPACESMITH_DEV_VENV";
/// The stamp (inside the venv) holding the hash of what was last installed.
const STAMP: &str = ".spacesmith-dev-stamp";
/// How long a stopped app gets between SIGTERM and SIGKILL.
const STOP_GRACE: Duration = Duration::from_secs(10);
/// How long `docker info` may take before the engine counts as unreachable.
const DOCKER_INFO_TIMEOUT: Duration = Duration::from_secs(15);

#[derive(Debug, Clone)]
pub struct DevRequest {
    pub dir: PathBuf,
    /// The local port; default: README app_port (docker) or 7860.
    pub port: Option<u16>,
    /// KEY=VALUE file; default: `<dir>/.env` when it exists.
    pub env_file: Option<PathBuf>,
    pub docker: bool,
    /// How long to poll the port before saying the app does not answer (it keeps running).
    pub ready_timeout: Duration,
}

/// What will run, as reported before it starts. Holds names only, never a value.
#[derive(Debug, Clone, Serialize)]
pub struct DevPlan {
    pub sdk: String,
    pub title: String,
    pub space_id: String,
    pub port: u16,
    /// The port the app listens on inside the container (docker) or the local port.
    pub app_port: u16,
    pub url: String,
    pub command: Vec<String>,
    /// Names from the env file, in file order.
    pub env_file: Option<PathBuf>,
    pub env_names: Vec<String>,
    pub docker: bool,
}

/// Progress of a run, for the printer.
pub enum DevEvent<'a> {
    Plan(&'a DevPlan),
    /// The virtualenv in use; `created` when it was just made.
    Venv {
        path: &'a Path,
        created: bool,
    },
    /// pip is installing these (`-r requirements.txt`, `gradio==X`).
    Installing {
        what: &'a [String],
    },
    /// Nothing to install: same requirements as the last install.
    UpToDate,
    /// The image is being built (`--docker`).
    Building {
        image: &'a str,
    },
    /// A static Space's `app_build_command` runs.
    BuildCommand {
        command: &'a str,
    },
    /// One output line of `source` (`pip`, `venv`, `docker`, `app`).
    Log {
        source: &'a str,
        line: &'a str,
    },
    Started {
        pid: u32,
    },
    Ready {
        url: &'a str,
    },
    NotReady {
        waited: Duration,
    },
    Stopping {
        signal: &'a str,
    },
    /// The app ended; `stopped` when the user stopped it.
    Exited {
        code: Option<i32>,
        signal: Option<i32>,
        stopped: bool,
        ready: bool,
    },
}

pub trait DevObserver {
    fn event(&self, e: DevEvent<'_>);
}

/// Runs a Space locally until it ends or is stopped; returns the process exit code for `dev`.
pub trait DevRunner: Send + Sync {
    fn run(&self, req: &DevRequest, obs: &dyn DevObserver) -> Result<i32, AppError>;
}

/// The real runner: virtualenv + subprocess, or the docker CLI.
pub struct LocalDev {
    /// `$SPACESMITH_DEV_VENV`.
    pub venv_override: Option<PathBuf>,
    /// `$PYTHON`: the interpreter that creates the venv.
    pub python: Option<String>,
    /// `$PATH`, handed to the app after the venv's bin.
    pub path: Option<std::ffi::OsString>,
}

impl LocalDev {
    pub fn new(settings: &crate::config::Settings) -> LocalDev {
        LocalDev { venv_override: settings.dev_venv.clone(), python: settings.python.clone(), path: settings.path.clone() }
    }
}

/// How the app is started, from the README and the Dockerfile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Launch {
    /// `sh <script>` from the project directory.
    Script(PathBuf),
    /// A program from the venv (python, uvicorn, streamlit) with its arguments.
    Program(Vec<String>),
    /// A static Space: `build` (README `app_build_command`) first, if any, then the project's files
    /// served over HTTP, `page` (README `app_file`) being the Space's page.
    Static { build: Option<String>, page: String },
}

/// The project as `dev` sees it.
#[derive(Debug, Clone)]
pub struct Space {
    pub sdk: String,
    pub title: String,
    pub name: String,
    pub app_port: u16,
    /// gradio: `gradio==<sdk_version>` when requirements.txt does not pin gradio itself.
    pub preinstalled: Vec<String>,
    pub launch: Launch,
}

fn unsupported(what: String) -> AppError {
    AppError::new(ErrorCode::DevUnsupported, what).hint(
        "`spacesmith dev` runs gradio and static Spaces, and Docker Spaces whose Dockerfile ends in an exec-form CMD \
         running python, uvicorn or streamlit (or a start.sh that does). For any other Dockerfile use \
         `spacesmith dev --docker` with a Docker engine running.",
    )
}

/// Reads the README front matter and, for docker, the Dockerfile's final CMD.
pub fn inspect(dir: &Path) -> Result<Space, AppError> {
    let readme = dir.join("README.md");
    let text = std::fs::read_to_string(&readme).map_err(|e| {
        AppError::new(ErrorCode::ProjectNotFound, format!("cannot read {}: {e}", readme.display()))
            .hint("Pass the directory of the Space project (the one holding README.md).")
    })?;
    let check = spacesmith_spec::check_readme("README.md", &text);
    let Some(fm) = check.front_matter else {
        return Err(AppError::new(ErrorCode::NoFrontMatter, format!("{} has no readable front matter", readme.display()))
            .hint("Run `spacesmith validate` to see what is wrong with it."));
    };
    let name = std::fs::canonicalize(dir)
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "space".into());
    let title = fm.get_str("title").unwrap_or(&name).to_string();
    let sdk = fm.sdk().unwrap_or("").to_string();
    match sdk.as_str() {
        "gradio" => {
            let app_file = fm.app_file().unwrap_or("app.py").to_string();
            if !dir.join(&app_file).is_file() {
                return Err(AppError::new(ErrorCode::AppFileMissing, format!("the app file {app_file} does not exist"))
                    .hint("README app_file names the file the Space runs (default app.py)."));
            }
            let version = fm.get_str("sdk_version").or_else(|| fm.scalar_text("sdk_version"));
            let reqs = std::fs::read_to_string(dir.join("requirements.txt")).unwrap_or_default();
            let preinstalled = match version {
                Some(v) if !requires(&reqs, "gradio") => vec![format!("gradio=={v}")],
                _ => Vec::new(),
            };
            let launch = Launch::Program(vec!["python".into(), app_file]);
            Ok(Space { sdk, title, name, app_port: 7860, preinstalled, launch })
        }
        "docker" => {
            let app_port = fm.app_port().unwrap_or(7860);
            let path = dir.join("Dockerfile");
            let dockerfile = std::fs::read_to_string(&path).map_err(|e| {
                AppError::new(ErrorCode::DockerfileMissing, format!("cannot read {}: {e}", path.display()))
                    .hint("A Docker Space is built from the Dockerfile at the project's root.")
            })?;
            let launch = docker_launch(dir, &dockerfile)?;
            Ok(Space { sdk, title, name, app_port, preinstalled: Vec::new(), launch })
        }
        "static" => {
            let build = fm.get_str("app_build_command").map(str::trim).filter(|c| !c.is_empty()).map(String::from);
            let page = fm.app_file().unwrap_or("index.html").trim_start_matches("./").to_string();
            // With a build step the page is the build's output: it need not exist yet.
            if build.is_none() && !dir.join(&page).is_file() {
                return Err(AppError::new(ErrorCode::AppFileMissing, format!("the page {page} does not exist"))
                    .hint("README app_file names the page the static Space serves (default index.html)."));
            }
            Ok(Space { sdk, title, name, app_port: 7860, preinstalled: Vec::new(), launch: Launch::Static { build, page } })
        }
        "" => Err(unsupported("README.md has no `sdk`".into())),
        other => Err(unsupported(format!("`spacesmith dev` does not run `sdk: {other}` Spaces"))),
    }
}

/// Whether requirements.txt names `package` (any version), e.g. `gradio==6.0`, `Gradio[oauth]`.
pub fn requires(reqs: &str, package: &str) -> bool {
    let norm = |s: &str| s.to_ascii_lowercase().replace('_', "-");
    reqs.lines().any(|l| {
        let l = l.split('#').next().unwrap_or("").trim();
        let name = l.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')).next().unwrap_or("");
        !name.is_empty() && norm(name) == norm(package)
    })
}

/// The final stage's CMD (exec form) and WORKDIR, with `$VAR`s of the stage's ENV expanded in WORKDIR.
pub fn final_cmd(dockerfile: &str) -> Result<(Vec<String>, String), String> {
    let mut logical = Vec::new();
    let mut acc = String::new();
    for line in dockerfile.lines() {
        let t = line.trim();
        if t.starts_with('#') || (t.is_empty() && !acc.is_empty()) {
            continue;
        }
        match t.strip_suffix('\\') {
            Some(head) => {
                acc.push_str(head);
                acc.push(' ');
            }
            None => {
                acc.push_str(t);
                logical.push(std::mem::take(&mut acc));
            }
        }
    }
    let (mut cmd, mut entrypoint, mut workdir) = (None, false, String::from("/"));
    let mut env: Vec<(String, String)> = Vec::new();
    for ins in logical.iter().filter(|l| !l.is_empty()) {
        let (kw, rest) = ins.split_once(char::is_whitespace).unwrap_or((ins, ""));
        let rest = rest.trim();
        match kw.to_ascii_uppercase().as_str() {
            "FROM" => (cmd, entrypoint, workdir, env) = (None, false, "/".into(), Vec::new()),
            "ENTRYPOINT" => entrypoint = true,
            "ENV" => env.extend(env_pairs(rest)),
            "WORKDIR" => {
                let p = expand(rest.trim_matches('"'), &env);
                workdir = if p.starts_with('/') { p } else { format!("{}/{p}", workdir.trim_end_matches('/')) };
            }
            "CMD" => cmd = Some(rest.to_string()),
            _ => {}
        }
    }
    if entrypoint {
        return Err("the final stage has an ENTRYPOINT".into());
    }
    let cmd = cmd.ok_or("the final stage has no CMD")?;
    if !cmd.starts_with('[') {
        return Err(format!("CMD {cmd} is in shell form, not exec form"));
    }
    let argv: Vec<String> = serde_json::from_str(&cmd).map_err(|_| format!("CMD {cmd} is not a JSON array of strings"))?;
    if argv.is_empty() {
        return Err("CMD is empty".into());
    }
    Ok((argv, workdir))
}

fn env_pairs(rest: &str) -> Vec<(String, String)> {
    if !rest.split_whitespace().next().unwrap_or("").contains('=') {
        // `ENV KEY value` (legacy form).
        return rest.split_once(char::is_whitespace).map(|(k, v)| (k.into(), v.trim().into())).into_iter().collect();
    }
    rest.split_whitespace()
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.trim_matches('"').to_string()))
        .collect()
}

fn expand(s: &str, env: &[(String, String)]) -> String {
    let mut out = s.to_string();
    for (k, v) in env.iter().rev() {
        out = out.replace(&format!("${{{k}}}"), v).replace(&format!("${k}"), v);
    }
    out
}

/// The local launch for a Docker Space's final CMD, or why `dev` cannot run it.
pub fn docker_launch(dir: &Path, dockerfile: &str) -> Result<Launch, AppError> {
    let (argv, workdir) =
        final_cmd(dockerfile).map_err(|why| unsupported(format!("cannot run this Dockerfile locally: {why}")))?;
    // Paths inside the image's WORKDIR are the project's files.
    let local = |a: &str| -> String {
        let w = workdir.trim_end_matches('/');
        match a.strip_prefix(w).and_then(|r| r.strip_prefix('/')) {
            Some(rel) if !w.is_empty() => rel.to_string(),
            _ => a.to_string(),
        }
    };
    let prog = argv[0].rsplit('/').next().unwrap_or(&argv[0]).to_string();
    let script = if matches!(prog.as_str(), "sh" | "bash" | "dash") {
        argv[1..].iter().find(|a| !a.starts_with('-')).filter(|a| a.ends_with(".sh")).map(|a| local(a))
    } else if prog.ends_with(".sh") {
        Some(local(&argv[0]))
    } else {
        None
    };
    let shown = serde_json::to_string(&argv).unwrap_or_default();
    if let Some(script) = script {
        let path = dir.join(&script);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| unsupported(format!("CMD {shown} runs {script}, which is not in the project ({e})")))?;
        if !["python", "uvicorn", "streamlit", "gunicorn"].iter().any(|p| text.contains(p)) {
            return Err(unsupported(format!("{script} (the Dockerfile's CMD) does not run python, uvicorn or streamlit")));
        }
        return Ok(Launch::Script(path));
    }
    let python = prog == "python" || prog.strip_prefix("python3").is_some_and(|v| v.is_empty() || v.starts_with('.'));
    if !(python || matches!(prog.as_str(), "uvicorn" | "streamlit" | "gunicorn")) {
        return Err(unsupported(format!("the Dockerfile's CMD {shown} does not run python, uvicorn or streamlit")));
    }
    let mut out = vec![prog];
    out.extend(argv[1..].iter().map(|a| local(a)));
    Ok(Launch::Program(out))
}

/// The command line with the port flags (`--port`, `--server.port`, `=` forms) set to `port`.
pub fn with_port(argv: &[String], port: u16) -> Vec<String> {
    const FLAGS: [&str; 3] = ["--port", "--server.port", "--server-port"];
    let mut out = Vec::with_capacity(argv.len());
    let mut next_is_port = false;
    for a in argv {
        if next_is_port {
            out.push(port.to_string());
            next_is_port = false;
        } else if FLAGS.contains(&a.as_str()) {
            out.push(a.clone());
            next_is_port = true;
        } else if let Some(f) = FLAGS.iter().find(|f| a.starts_with(&format!("{f}="))) {
            out.push(format!("{f}={port}"));
        } else {
            out.push(a.clone());
        }
    }
    out
}

/// The `.env` values (names and values, file order), from `--env-file` or `<dir>/.env`.
/// The env file used (if any) and its `(name, value)` pairs.
type EnvValues = (Option<PathBuf>, Vec<(String, String)>);

fn env_values(req: &DevRequest) -> Result<EnvValues, AppError> {
    let file = match &req.env_file {
        Some(f) => Some(f.clone()),
        None => Some(req.dir.join(".env")).filter(|p| p.is_file()),
    };
    let Some(file) = file else { return Ok((None, Vec::new())) };
    let entries = secrets::collect_secrets(&[], &[file.as_path()], &|_| None)?;
    Ok((Some(file), entries.into_iter().map(|e| (e.key, e.value.expose().to_string())).collect()))
}

/// Refuses a port something already listens on: the readiness probe would report that other server.
fn check_port_free(port: u16) -> Result<(), AppError> {
    TcpListener::bind(SocketAddr::from((Ipv4Addr::UNSPECIFIED, port))).map(drop).map_err(|e| {
        AppError::new(ErrorCode::PortInUse, format!("cannot use port {port}: {e}"))
            .hint("Something else listens there: stop it, or pass another port with --port.")
    })
}

impl DevRunner for LocalDev {
    fn run(&self, req: &DevRequest, obs: &dyn DevObserver) -> Result<i32, AppError> {
        if req.docker {
            // Refuse before anything else: without an engine there is nothing to build with.
            docker_available()?;
        }
        // Absolute: start.sh's path and the app's working directory must not depend on ours.
        let dir = std::fs::canonicalize(&req.dir).unwrap_or_else(|_| req.dir.clone());
        let space = inspect(&dir)?;
        let (env_file, values) = env_values(req)?;
        let port = req.port.unwrap_or(space.app_port);
        check_port_free(port)?;
        let mut env: Vec<(String, String)> = vec![("PYTHONUNBUFFERED".into(), "1".into())];
        if space.sdk == "gradio" {
            env.push(("GRADIO_SERVER_NAME".into(), "0.0.0.0".into()));
        }
        // Hub-provided names win over the file's, as on the Hub where they are reserved.
        let reserved = |k: &str| secrets::HUB_PROVIDED.contains(&k) || k == "PORT" || k.starts_with("GRADIO_SERVER_");
        env.extend(values.iter().filter(|(k, _)| !reserved(k)).cloned());
        let inner_port = if req.docker { space.app_port } else { port };
        env.extend([
            ("PORT".to_string(), inner_port.to_string()),
            ("SPACE_ID".into(), format!("local/{}", space.name)),
            ("SPACE_AUTHOR_NAME".into(), "local".into()),
            ("SPACE_REPO_NAME".into(), space.name.clone()),
            ("SPACE_TITLE".into(), space.title.clone()),
            ("SPACE_HOST".into(), format!("localhost:{port}")),
        ]);
        if space.sdk == "gradio" {
            env.push(("GRADIO_SERVER_PORT".into(), inner_port.to_string()));
        }
        let url = format!("http://localhost:{port}");
        let env_names: Vec<String> = values.iter().map(|(k, _)| k.clone()).collect();

        if let Launch::Static { build, page } = &space.launch {
            if req.docker {
                return Err(AppError::new(ErrorCode::DevUnsupported, "a static Space has no Docker image to run")
                    .hint("Run `spacesmith dev` without --docker: it builds (app_build_command) and serves the page."));
            }
            return self.serve_static(&dir, &space, build.as_deref(), page, port, env, env_file, env_names, req, obs);
        }

        if req.docker {
            let image = format!("spacesmith-dev-{}", docker_name(&space.name));
            let container = format!("{image}-{}", std::process::id());
            let mut command = vec!["docker".to_string(), "run".into(), "--rm".into(), "--init".into()];
            command.extend(["--name".into(), container.clone(), "-p".into(), format!("{port}:{}", space.app_port)]);
            // `-e NAME` alone: docker reads the value from its own environment, so no value is on a command line.
            for (k, _) in &env {
                command.extend(["-e".into(), k.clone()]);
            }
            command.push(image.clone());
            let plan = self.plan(&space, port, &url, &command, env_file, env_names, true);
            obs.event(DevEvent::Plan(&plan));
            obs.event(DevEvent::Building { image: &image });
            let mut build = Command::new("docker");
            build.args(["build", "-t", &image]);
            // Every secret is a build secret too, as on the Hub (RUN --mount=type=secret,id=NAME).
            for (k, _) in &values {
                build.args(["--secret", &format!("id={k},env={k}")]);
            }
            build.arg(".").current_dir(&dir).envs(values.iter().cloned());
            let status = run_streamed(build, "docker", obs)?;
            if !status.success() {
                return Err(AppError::new(ErrorCode::DockerBuildFailed, format!("docker build failed ({status})"))
                    .hint("The build's output is above; `spacesmith validate` checks the Dockerfile."));
            }
            let mut cmd = Command::new("docker");
            cmd.args(&command[1..]).current_dir(&dir).envs(env.iter().cloned());
            let stop = vec!["docker".to_string(), "stop".into(), "--time".into(), "10".into(), container];
            return supervise(cmd, Some(stop), port, &url, req.ready_timeout, obs);
        }

        let command = match &space.launch {
            Launch::Script(script) => vec!["sh".to_string(), script.display().to_string()],
            Launch::Program(argv) => with_port(argv, port),
            Launch::Static { .. } => unreachable!("static Spaces are served above"),
        };
        let plan = self.plan(&space, port, &url, &command, env_file, env_names, false);
        obs.event(DevEvent::Plan(&plan));
        let venv = self.prepare_venv(&dir, &space, obs)?;
        let bin = venv.join("bin");
        // python/uvicorn/streamlit from the venv, as its PATH would find them.
        let local = bin.join(&command[0]);
        let program = if local.is_file() { local.display().to_string() } else { command[0].clone() };
        let args = &command[1..];
        let mut path = vec![bin.clone()];
        path.extend(std::env::split_paths(self.path.as_deref().unwrap_or_default()));
        let mut cmd = Command::new(&program);
        cmd.args(args)
            .current_dir(&dir)
            .env_remove("PYTHONHOME")
            .env("VIRTUAL_ENV", &venv)
            .env("PATH", std::env::join_paths(path).unwrap_or_default())
            .envs(env.iter().cloned());
        supervise(cmd, None, port, &url, req.ready_timeout, obs)
    }
}

impl LocalDev {
    /// As the Hub serves a static Space: the build command in the project (after `npm install` when
    /// it runs npm and node_modules is missing), then the repository's files over HTTP.
    #[allow(clippy::too_many_arguments)]
    fn serve_static(
        &self,
        dir: &Path,
        space: &Space,
        build: Option<&str>,
        page: &str,
        port: u16,
        env: Vec<(String, String)>,
        env_file: Option<PathBuf>,
        env_names: Vec<String>,
        req: &DevRequest,
        obs: &dyn DevObserver,
    ) -> Result<i32, AppError> {
        let python = match &self.venv_override {
            Some(v) => v.join("bin/python").display().to_string(),
            None => pick_python(self.python.as_deref())?,
        };
        let command = vec![python, "-m".into(), "http.server".into(), port.to_string(), "--bind".into(), "127.0.0.1".into()];
        let base = format!("http://localhost:{port}");
        let url = if page == "index.html" { base } else { format!("{base}/{page}") };
        let plan = self.plan(space, port, &url, &command, env_file, env_names, false);
        obs.event(DevEvent::Plan(&plan));
        if let Some(build) = build {
            let runs_npm = build.split(|c: char| c.is_whitespace() || c == ';' || c == '&').any(|w| w == "npm");
            if runs_npm && dir.join("package.json").is_file() && !dir.join("node_modules").exists() {
                let what = ["npm install".to_string()];
                obs.event(DevEvent::Installing { what: &what });
                let mut npm = Command::new("npm");
                npm.arg("install").current_dir(dir);
                let status = run_streamed(npm, "npm", obs)?;
                if !status.success() {
                    return Err(AppError::new(ErrorCode::NpmFailed, format!("npm install failed ({status})"))
                        .hint("npm's output is above; fix package.json."));
                }
            }
            obs.event(DevEvent::BuildCommand { command: build });
            let mut sh = Command::new("sh");
            sh.args(["-c", build]).current_dir(dir).envs(env.iter().cloned());
            let status = run_streamed(sh, "build", obs)?;
            if !status.success() {
                return Err(AppError::new(ErrorCode::BuildFailed, format!("`{build}` failed ({status})"))
                    .hint("The build's output is above. The Hub's build job would fail the same way."));
            }
            if !dir.join(page).is_file() {
                return Err(AppError::new(
                    ErrorCode::BuildOutputMissing,
                    format!("`{build}` succeeded but did not write {page} (README app_file)"),
                )
                .hint("Point app_file at the page the build writes, e.g. dist/index.html."));
            }
        }
        let mut cmd = Command::new(&command[0]);
        cmd.args(&command[1..]).current_dir(dir).envs(env);
        supervise(cmd, None, port, &url, req.ready_timeout, obs)
    }

    #[allow(clippy::too_many_arguments)]
    fn plan(
        &self,
        space: &Space,
        port: u16,
        url: &str,
        command: &[String],
        env_file: Option<PathBuf>,
        env_names: Vec<String>,
        docker: bool,
    ) -> DevPlan {
        DevPlan {
            sdk: space.sdk.clone(),
            title: space.title.clone(),
            space_id: format!("local/{}", space.name),
            port,
            app_port: if docker { space.app_port } else { port },
            url: url.to_string(),
            command: command.to_vec(),
            env_file,
            env_names,
            docker,
        }
    }

    /// Creates `.venv` (or takes `$SPACESMITH_DEV_VENV`) and installs what changed since the last install.
    fn prepare_venv(&self, dir: &Path, space: &Space, obs: &dyn DevObserver) -> Result<PathBuf, AppError> {
        let (venv, created) = match &self.venv_override {
            Some(v) => {
                if !v.join("bin/python").exists() {
                    return Err(AppError::new(
                        ErrorCode::DevVenvInvalid,
                        format!("${VENV_ENV} is {}, which has no bin/python", v.display()),
                    )
                    .hint(format!("Point ${VENV_ENV} at an existing virtualenv, or unset it to use the project's .venv.")));
                }
                (v.clone(), false)
            }
            None => {
                let v = dir.join(".venv");
                let created = !v.join("bin/python").exists();
                if created {
                    self.create_venv(&v, obs)?;
                }
                (v, created)
            }
        };
        obs.event(DevEvent::Venv { path: &venv, created });

        let reqs = dir.join("requirements.txt");
        let reqs_text = std::fs::read(&reqs).ok();
        let mut what = Vec::new();
        let mut args = vec!["-m", "pip", "install", "--disable-pip-version-check"];
        if reqs_text.is_some() {
            what.push("-r requirements.txt".to_string());
            args.extend(["-r", "requirements.txt"]);
        }
        what.extend(space.preinstalled.iter().cloned());
        args.extend(space.preinstalled.iter().map(String::as_str));
        if what.is_empty() {
            obs.event(DevEvent::UpToDate);
            return Ok(venv);
        }
        let mut h = Sha256::new();
        h.update(reqs_text.unwrap_or_default());
        h.update(b"\0");
        h.update(space.preinstalled.join("\n"));
        let want = format!("{:x}\n", h.finalize());
        let stamp = venv.join(STAMP);
        if std::fs::read_to_string(&stamp).is_ok_and(|s| s == want) {
            obs.event(DevEvent::UpToDate);
            return Ok(venv);
        }
        obs.event(DevEvent::Installing { what: &what });
        let mut pip = Command::new(venv.join("bin/python"));
        pip.args(&args).current_dir(dir).env("PYTHONUNBUFFERED", "1");
        let status = run_streamed(pip, "pip", obs)?;
        if !status.success() {
            return Err(AppError::new(ErrorCode::PipFailed, format!("pip install {} failed ({status})", what.join(" ")))
                .hint("pip's output is above. The Hub would fail to build this Space the same way: fix requirements.txt."));
        }
        // A failed write only means the next run reinstalls.
        let _ = std::fs::write(&stamp, want);
        Ok(venv)
    }

    fn create_venv(&self, venv: &Path, obs: &dyn DevObserver) -> Result<(), AppError> {
        let python = pick_python(self.python.as_deref())?;
        let mut cmd = Command::new(&python);
        cmd.args(["-m", "venv"]).arg(venv);
        let status = run_streamed(cmd, "venv", obs)?;
        if !status.success() {
            let _ = std::fs::remove_dir_all(venv);
            return Err(AppError::new(ErrorCode::VenvFailed, format!("`{python} -m venv {}` failed ({status})", venv.display()))
                .hint("On Debian/Ubuntu install the python3-venv package; or set $PYTHON to another Python >= 3.10."));
        }
        Ok(())
    }
}

/// `$PYTHON`, else the newest python3.x >= 3.10 on PATH (as tests/e2e/setup-venv.sh picks it).
fn pick_python(explicit: Option<&str>) -> Result<String, AppError> {
    let ok = |p: &str| {
        Command::new(p)
            .args(["-c", "import sys; sys.exit(sys.version_info < (3, 10))"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if let Some(p) = explicit {
        return if ok(p) {
            Ok(p.to_string())
        } else {
            Err(AppError::new(ErrorCode::PythonNotFound, format!("$PYTHON is {p}, which is not a Python >= 3.10")))
        };
    }
    ["python3.14", "python3.13", "python3.12", "python3.11", "python3.10", "python3"]
        .into_iter()
        .find(|p| ok(p))
        .map(str::to_string)
        .ok_or_else(|| {
            AppError::new(ErrorCode::PythonNotFound, "no Python >= 3.10 on PATH (tried python3.14 … python3.10, python3)")
                .hint("Install Python 3.10 or newer, or set $PYTHON to one.")
        })
}

/// A docker image/container name part: lower-case letters, digits, `-`.
fn docker_name(name: &str) -> String {
    let s: String = name.to_ascii_lowercase().chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
    let s = s.trim_matches('-').to_string();
    if s.is_empty() { "space".into() } else { s }
}

/// `docker info` within a bounded time, or the plain refusal.
fn docker_available() -> Result<(), AppError> {
    let refuse = |why: String| {
        AppError::new(
            ErrorCode::DockerUnavailable,
            format!("no Docker engine is running here (docker info failed: {why}); run without --docker to use a virtualenv"),
        )
        .hint("Or start a Docker engine and try again.")
    };
    let mut child = Command::new("docker")
        .arg("info")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| refuse(format!("cannot run docker: {e}")))?;
    let mut stderr = child.stderr.take().expect("piped");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let deadline = Instant::now() + DOCKER_INFO_TIMEOUT;
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break Some(s),
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(100)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
        }
    };
    let err = reader.join().unwrap_or_default();
    match status {
        Some(s) if s.success() => Ok(()),
        Some(s) => {
            let why = err.lines().map(str::trim).rfind(|l| !l.is_empty()).unwrap_or("").to_string();
            Err(refuse(if why.is_empty() { s.to_string() } else { why }))
        }
        None => Err(refuse(format!("no answer within {}s", DOCKER_INFO_TIMEOUT.as_secs()))),
    }
}

/// Runs a short command (venv, pip, docker build) to its end, streaming its lines as `source`.
/// Ctrl-C here ends it with the rest: it shares our process group.
fn run_streamed(mut cmd: Command, source: &str, obs: &dyn DevObserver) -> Result<ExitStatus, AppError> {
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let program = format!("{:?}", cmd.get_program());
    let mut child = cmd.spawn().map_err(|e| {
        AppError::new(ErrorCode::SpawnFailed, format!("cannot run {program}: {e}")).hint("Is it installed and on PATH?")
    })?;
    let (tx, rx) = mpsc::channel();
    let readers =
        [pipe_lines(child.stdout.take().expect("piped"), tx.clone()), pipe_lines(child.stderr.take().expect("piped"), tx)];
    for line in rx {
        if let Msg::Line(l) = line {
            obs.event(DevEvent::Log { source, line: &l });
        }
    }
    for r in readers {
        let _ = r.join();
    }
    child.wait().map_err(|e| AppError::new(ErrorCode::SpawnFailed, format!("waiting for {program}: {e}")))
}

enum Msg {
    Line(String),
    Ready,
    GaveUp,
}

fn pipe_lines(stream: impl Read + Send + 'static, tx: mpsc::Sender<Msg>) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut r = BufReader::new(stream);
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match r.read_until(b'\n', &mut buf) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    let line = String::from_utf8_lossy(&buf).trim_end_matches(['\n', '\r']).to_string();
                    if tx.send(Msg::Line(line)).is_err() {
                        break;
                    }
                }
            }
        }
    })
}

/// Whether something answers HTTP on the port (any status counts).
fn answers(port: u16) -> bool {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_secs(1)) else { return false };
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = s.set_write_timeout(Some(Duration::from_secs(5)));
    if s.write_all(b"GET / HTTP/1.0\r\nHost: localhost\r\nConnection: close\r\n\r\n").is_err() {
        return false;
    }
    let mut head = [0u8; 5];
    s.read_exact(&mut head).is_ok() && &head == b"HTTP/"
}

/// The signal that asked us to stop (0: none). Set from the handler, read by the supervisor loop.
static STOP_SIGNAL: AtomicI32 = AtomicI32::new(0);

extern "C" fn on_signal(sig: libc::c_int) {
    STOP_SIGNAL.store(sig, Ordering::SeqCst);
}

fn install_signal_handlers() {
    for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
        // SAFETY: the handler only stores into an atomic, which is async-signal-safe.
        unsafe {
            libc::signal(sig, on_signal as *const () as libc::sighandler_t);
        }
    }
}

/// Kills the app's whole process group when dropped, so nothing outlives `dev`, even on a panic.
struct Group {
    child: Child,
    pgid: i32,
    done: bool,
}

impl Group {
    fn signal(&self, sig: libc::c_int) -> bool {
        // SAFETY: plain kill(2) on our child's process group.
        unsafe { libc::kill(-self.pgid, sig) == 0 }
    }
    fn alive(&self) -> bool {
        self.signal(0)
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        if !self.done {
            self.signal(libc::SIGKILL);
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Starts the app in its own process group, streams its lines, polls its port, and stops the group
/// on SIGINT/SIGTERM/SIGHUP. Returns dev's exit code.
fn supervise(
    mut cmd: Command,
    stop_cmd: Option<Vec<String>>,
    port: u16,
    url: &str,
    ready_timeout: Duration,
    obs: &dyn DevObserver,
) -> Result<i32, AppError> {
    use std::os::unix::process::{CommandExt, ExitStatusExt};
    install_signal_handlers();
    cmd.process_group(0).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let program = format!("{:?}", cmd.get_program());
    let child = cmd.spawn().map_err(|e| {
        AppError::new(ErrorCode::AppStartFailed, format!("cannot start {program}: {e}"))
            .hint("Is it installed in the virtualenv?")
    })?;
    let pid = child.id();
    let mut group = Group { child, pgid: pid as i32, done: false };
    obs.event(DevEvent::Started { pid });

    let (tx, rx) = mpsc::channel();
    pipe_lines(group.child.stdout.take().expect("piped"), tx.clone());
    pipe_lines(group.child.stderr.take().expect("piped"), tx.clone());
    let probing = Arc::new(AtomicBool::new(true));
    {
        let probing = probing.clone();
        std::thread::spawn(move || {
            let deadline = Instant::now() + ready_timeout;
            while probing.load(Ordering::SeqCst) {
                if answers(port) {
                    let _ = tx.send(Msg::Ready);
                    return;
                }
                if Instant::now() >= deadline {
                    let _ = tx.send(Msg::GaveUp);
                    return;
                }
                std::thread::sleep(Duration::from_millis(300));
            }
        });
    }

    let mut ready = false;
    let mut stopping: Option<Instant> = None;
    let mut killed = false;
    let status = loop {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(Msg::Line(l)) => obs.event(DevEvent::Log { source: "app", line: &l }),
            Ok(Msg::Ready) => {
                ready = true;
                obs.event(DevEvent::Ready { url });
            }
            Ok(Msg::GaveUp) => obs.event(DevEvent::NotReady { waited: ready_timeout }),
            Err(_) => {}
        }
        if let Ok(Some(status)) = group.child.try_wait() {
            break status;
        }
        let sig = STOP_SIGNAL.load(Ordering::SeqCst);
        if sig != 0 && stopping.is_none() {
            probing.store(false, Ordering::SeqCst);
            let name = match sig {
                libc::SIGINT => "SIGINT",
                libc::SIGTERM => "SIGTERM",
                _ => "SIGHUP",
            };
            obs.event(DevEvent::Stopping { signal: name });
            if let Some(stop) = &stop_cmd {
                // The container outlives its docker CLI unless stopped by name.
                let _ = Command::new(&stop[0]).args(&stop[1..]).stdout(Stdio::null()).stderr(Stdio::null()).status();
            }
            group.signal(libc::SIGTERM);
            stopping = Some(Instant::now());
        }
        if let Some(t) = stopping
            && !killed
            && t.elapsed() > STOP_GRACE
        {
            group.signal(libc::SIGKILL);
            killed = true;
        }
    };
    probing.store(false, Ordering::SeqCst);
    // The leader is gone; whatever it left in its group goes too (a grace period, then SIGKILL).
    if group.alive() {
        group.signal(libc::SIGTERM);
        let t = Instant::now();
        while group.alive() && t.elapsed() < STOP_GRACE {
            std::thread::sleep(Duration::from_millis(100));
        }
        group.signal(libc::SIGKILL);
    }
    group.done = true;
    // Drain what the app printed last: the readers end when the pipes close, which a process that
    // left the group could delay, hence the bound.
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(2) {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(Msg::Line(l)) => obs.event(DevEvent::Log { source: "app", line: &l }),
            Ok(_) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
    }
    let stopped = stopping.is_some();
    obs.event(DevEvent::Exited { code: status.code(), signal: status.signal(), stopped, ready });
    Ok(if stopped {
        0
    } else if !ready {
        1
    } else {
        status.code().unwrap_or_else(|| 128 + status.signal().unwrap_or(0))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Exit;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn final_cmd_takes_the_last_stage_and_workdir() {
        let df = "FROM python AS build\nCMD [\"node\"]\nFROM python:3.12\nENV HOME=/home/user \\\n    PATH=/x\n\
                  WORKDIR $HOME/app\n# a comment\nCMD [\"sh\", \"/home/user/app/start.sh\"]\n";
        assert_eq!(final_cmd(df).unwrap(), (s(&["sh", "/home/user/app/start.sh"]), "/home/user/app".into()));
        assert!(final_cmd("FROM x\nCMD python app.py\n").unwrap_err().contains("shell form"));
        assert!(final_cmd("FROM x\nCMD [\"a\"]\nFROM y\n").unwrap_err().contains("no CMD"));
        assert!(final_cmd("FROM x\nENTRYPOINT [\"a\"]\nCMD [\"b\"]\n").unwrap_err().contains("ENTRYPOINT"));
    }

    #[test]
    fn launches_what_the_generated_dockerfiles_run() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("start.sh"), "exec uvicorn app:app\n").unwrap();
        let l = docker_launch(dir.path(), "FROM p\nWORKDIR /app\nCMD [\"sh\", \"/app/start.sh\"]\n").unwrap();
        assert_eq!(l, Launch::Script(dir.path().join("start.sh")));
        let l = docker_launch(dir.path(), "FROM p\nWORKDIR /app\nCMD [\"streamlit\", \"run\", \"/app/app.py\"]\n").unwrap();
        assert_eq!(l, Launch::Program(s(&["streamlit", "run", "app.py"])));
        let e = docker_launch(dir.path(), "FROM p\nCMD [\"node\", \"server.js\"]\n").unwrap_err();
        assert_eq!((e.code, e.exit()), (ErrorCode::DevUnsupported, Exit::Usage));
        std::fs::write(dir.path().join("run.sh"), "exec node server.js\n").unwrap();
        assert!(docker_launch(dir.path(), "FROM p\nCMD [\"./run.sh\"]\n").is_err());
    }

    #[test]
    fn port_flags_are_rewritten() {
        let argv = s(&["streamlit", "run", "app.py", "--server.port", "8501", "--port=1", "--server.address", "0.0.0.0"]);
        assert_eq!(
            with_port(&argv, 9000),
            s(&["streamlit", "run", "app.py", "--server.port", "9000", "--port=9000", "--server.address", "0.0.0.0"])
        );
    }

    #[test]
    fn requirements_naming_a_package() {
        assert!(requires("# c\nGradio[oauth]>=5 # x\n", "gradio"));
        assert!(requires("gradio==6.0", "gradio"));
        assert!(!requires("gradio_client==1\n# gradio\n", "gradio"));
        assert_eq!(docker_name("My Space_1"), "my-space-1");
    }
}
