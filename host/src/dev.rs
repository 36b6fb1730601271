//! `spacesmith dev`: run a Space locally the way the Hub runs it, before deploying it.
//!
//! The host knows no SDK: it asks the plugins that check the README's `sdk` for a run plan (contract
//! 0.2 `run`) and executes it: the plan's setup steps in order (a virtualenv, `.venv` or
//! `$SPACESMITH_DEV_VENV`, with its requirement files and packages; commands such as a build), then its
//! start (a program from the project directory, or the project's files served over HTTP). The app gets
//! the environment every Space gets, the `.env` file's values (never printed) and the plan's own
//! variables, and its process group is stopped on Ctrl-C/SIGTERM. `--docker` builds and runs the plan's
//! container image when a Docker engine answers. A third-party plugin's plan runs only when the user
//! granted it `run-plan`.
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
use spacesmith_runtime::{
    Capability, CommandStep, PORT_PLACEHOLDER, PlanProblem, PythonEnv, RunPlan, RunPlanAnswer, SetupStep, Start,
};

use crate::error::{AppError, ErrorCode};
use crate::registry::PluginRegistry;
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
/// The container engine's command-line program (`--docker`).
const ENGINE: &str = "docker";

#[derive(Debug, Clone)]
pub struct DevRequest {
    pub dir: PathBuf,
    /// The local port; default: the run plan's.
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
    /// The plugin whose run plan this is (`<sdk-id> <version>`).
    pub plugin: String,
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
    /// A setup command of the run plan runs (shown by its label).
    BuildCommand {
        command: &'a str,
    },
    /// One output line of `source` (`pip`, `venv`, `docker`, a setup step, `app`).
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

/// The real runner: executes a plugin's run plan with a virtualenv and subprocesses, or the docker CLI.
pub struct LocalDev {
    registry: Arc<dyn PluginRegistry>,
    text_cap: u64,
    /// `$SPACESMITH_DEV_VENV`.
    pub venv_override: Option<PathBuf>,
    /// `$PYTHON`: the interpreter that creates the venv.
    pub python: Option<String>,
    /// `$PATH`, handed to the app after the venv's bin.
    pub path: Option<std::ffi::OsString>,
}

impl LocalDev {
    pub fn new(settings: &crate::config::Settings, registry: Arc<dyn PluginRegistry>, text_cap: u64) -> LocalDev {
        LocalDev {
            registry,
            text_cap,
            venv_override: settings.dev_venv.clone(),
            python: settings.python.clone(),
            path: settings.path.clone(),
        }
    }
}

/// The project as `dev` sees it: its README and the run plan a plugin gave for it.
#[derive(Debug, Clone)]
pub struct Space {
    pub sdk: String,
    pub plugin: String,
    pub title: String,
    pub name: String,
    pub plan: RunPlan,
}

fn unsupported(what: String) -> AppError {
    AppError::new(ErrorCode::DevUnsupported, what)
}

/// Reads the README and asks the plugins that check its `sdk` how the project runs: the first granted
/// plan that starts locally wins; then a plan that would start but is not granted `run-plan` is
/// refused naming the grant; then the first granted plan at all (it may still run with `--docker`);
/// then the first plugin's reason why not.
pub fn inspect(dir: &Path, registry: &dyn PluginRegistry, text_cap: u64) -> Result<Space, AppError> {
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
    let Some(sdk) = fm.sdk().map(str::to_string) else {
        return Err(unsupported("README.md has no `sdk`".into())
            .hint("Add an `sdk:` line to the README front matter; `spacesmith plugin list` shows the SDKs."));
    };
    let checkers = registry.checkers(&sdk)?;
    if checkers.is_empty() {
        return Err(unsupported(format!("no plugin checks `sdk: {sdk}` Spaces, so none says how to run this one"))
            .hint("Install a plugin for that SDK (`spacesmith plugin install`), or check the README's `sdk`."));
    }
    let project = crate::project::load_project(dir, text_cap)?;
    let input = crate::project::plugin_input(&project, Some(&fm));
    let (mut runnable, mut planned, mut refused, mut old, mut ungranted) = (None, None, None, Vec::new(), None);
    for plugin in &checkers {
        let who = format!("{} {}", plugin.info().sdk_id, plugin.info().version);
        match plugin.run_plan(&input)? {
            // A plan runs commands on this machine: a third-party plugin's only with the user's grant.
            RunPlanAnswer::Plan(plan) if !plugin.grants().contains(&Capability::RunPlan) => {
                // One that would start locally is named before a granted container-only plan.
                if ungranted.as_ref().is_none_or(|(_, _, starts)| !starts && plan.start.is_ok()) {
                    ungranted = Some((plugin.info().sdk_id.clone(), who, plan.start.is_ok()));
                }
            }
            RunPlanAnswer::Plan(plan) => {
                let slot = if plan.start.is_ok() { &mut runnable } else { &mut planned };
                if slot.is_none() {
                    *slot = Some((who, plan));
                }
            }
            RunPlanAnswer::Refused(e) => {
                refused.get_or_insert((who, e));
            }
            RunPlanAnswer::NotInContract => old.push(format!("{who} (contract {})", plugin.contract())),
            RunPlanAnswer::NoPlan => {}
        }
    }
    let ungranted_starts = ungranted.as_ref().is_some_and(|(_, _, starts)| *starts);
    if let Some((who, plan)) = runnable.or(if ungranted_starts { None } else { planned }) {
        return Ok(Space { sdk, plugin: who, title, name, plan });
    }
    if let Some((id, who, _)) = ungranted {
        return Err(unsupported(format!("the plugin {who} has a run plan for this project, but you have not granted it `run-plan`"))
            .hint(format!(
                "Its plan runs commands on your machine (`spacesmith plugin info {id}` shows what it asks for); if you trust it: `spacesmith plugin grant {id} run-plan`."
            )));
    }
    if let Some((who, e)) = refused {
        let code = match e.problem {
            PlanProblem::MissingFile => ErrorCode::AppFileMissing,
            PlanProblem::Unsupported => ErrorCode::DevUnsupported,
        };
        return Err(AppError::new(code, format!("{} (plugin {who})", e.message)).hint(e.fix));
    }
    let ids: Vec<String> = checkers.iter().map(|p| p.info().sdk_id.clone()).collect();
    if !old.is_empty() {
        return Err(unsupported(format!(
            "the plugin {} has no run plan: it was built against a contract without one, so it cannot say how `sdk: {sdk}` Spaces run",
            old.join(", ")
        ))
        .hint("Rebuild the plugin with the current spacesmith-plugin-sdk and give it a run plan (docs/plugins.md, \"Writing a run plan\"), or run the Space in its own way."));
    }
    Err(unsupported(format!("the plugins checking `sdk: {sdk}` Spaces ({}) have no run plan for this project", ids.join(", ")))
        .hint("`spacesmith validate` says what the plugins make of it."))
}

/// The URL `dev` reports: the bare origin for `/`, as a browser shows it.
fn page_url(base: &str, path: &str) -> String {
    if path == "/" { base.to_string() } else { format!("{base}{path}") }
}

/// `{port}` replaced by `port`.
fn with_port(s: &str, port: u16) -> String {
    s.replace(PORT_PLACEHOLDER, &port.to_string())
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
        // Absolute: the app's working directory must not depend on ours.
        let dir = std::fs::canonicalize(&req.dir).unwrap_or_else(|_| req.dir.clone());
        let space = inspect(&dir, self.registry.as_ref(), self.text_cap)?;
        let plan = &space.plan;
        if let Some(c) = &plan.container
            && !dir.join(&c.dockerfile).is_file()
        {
            return Err(AppError::new(ErrorCode::DockerfileMissing, format!("{} has no {}", dir.display(), c.dockerfile))
                .hint(format!("The Hub builds this Space from {}; add it (`spacesmith new` writes one).", c.dockerfile)));
        }
        let (env_file, values) = env_values(req)?;
        let port = req.port.unwrap_or(plan.port);
        check_port_free(port)?;
        let inner_port = if req.docker { plan.port } else { port };
        let mut env: Vec<(String, String)> = vec![("PYTHONUNBUFFERED".into(), "1".into())];
        // What the Hub and the SDK's runtime set wins over the file's, as on the Hub where they are reserved.
        let reserved = |k: &str| secrets::HUB_PROVIDED.contains(&k) || k == "PORT" || plan.env.iter().any(|e| e.name == k);
        env.extend(values.iter().filter(|(k, _)| !reserved(k)).cloned());
        env.extend([
            ("PORT".to_string(), inner_port.to_string()),
            ("SPACE_ID".into(), format!("local/{}", space.name)),
            ("SPACE_AUTHOR_NAME".into(), "local".into()),
            ("SPACE_REPO_NAME".into(), space.name.clone()),
            ("SPACE_TITLE".into(), space.title.clone()),
            ("SPACE_HOST".into(), format!("localhost:{port}")),
        ]);
        env.extend(plan.env.iter().map(|e| (e.name.clone(), with_port(&e.value, inner_port))));
        let base = format!("http://localhost:{port}");
        let env_names: Vec<String> = values.iter().map(|(k, _)| k.clone()).collect();
        let report = |command: &[String], url: &str, docker: bool| DevPlan {
            sdk: space.sdk.clone(),
            plugin: space.plugin.clone(),
            title: space.title.clone(),
            space_id: format!("local/{}", space.name),
            port,
            app_port: if docker { plan.port } else { port },
            url: url.to_string(),
            command: command.to_vec(),
            env_file: env_file.clone(),
            env_names: env_names.clone(),
            docker,
        };

        if req.docker {
            let Some(container) = &plan.container else {
                return Err(unsupported(format!("the run plan of {} builds no container image for this Space", space.plugin))
                    .hint("Run `spacesmith dev` without --docker."));
            };
            let url = page_url(&base, &plan.ready_path);
            let image = format!("spacesmith-dev-{}", docker_name(&space.name));
            let name = format!("{image}-{}", std::process::id());
            let mut command = vec![ENGINE.to_string(), "run".into(), "--rm".into(), "--init".into()];
            command.extend(["--name".into(), name.clone(), "-p".into(), format!("{port}:{}", plan.port)]);
            // `-e NAME` alone: docker reads the value from its own environment, so no value is on a command line.
            for (k, _) in &env {
                command.extend(["-e".into(), k.clone()]);
            }
            command.push(image.clone());
            obs.event(DevEvent::Plan(&report(&command, &url, true)));
            obs.event(DevEvent::Building { image: &image });
            let mut build = Command::new(ENGINE);
            build.arg("build");
            if container.dockerfile != "Dockerfile" {
                build.args(["-f", &container.dockerfile]);
            }
            build.args(["-t", &image]);
            // Every secret is a build secret too, as on the Hub (RUN --mount=type=secret,id=NAME).
            for (k, _) in &values {
                build.args(["--secret", &format!("id={k},env={k}")]);
            }
            build.arg(".").current_dir(&dir).envs(values.iter().cloned());
            let status = run_streamed(build, ENGINE, obs)?;
            if !status.success() {
                return Err(AppError::new(ErrorCode::DockerBuildFailed, format!("docker build failed ({status})"))
                    .hint("The build's output is above; `spacesmith validate` checks the Dockerfile."));
            }
            let mut cmd = Command::new(ENGINE);
            cmd.args(&command[1..]).current_dir(&dir).envs(env.iter().cloned());
            let stop = vec![ENGINE.to_string(), "stop".into(), "--time".into(), "10".into(), name];
            return supervise(cmd, Some(stop), port, &plan.ready_path, &url, req.ready_timeout, obs);
        }

        let start = match &plan.start {
            Ok(start) => start,
            Err(why) => {
                let hint = if plan.container.is_some() {
                    "It can still run in its container: `spacesmith dev --docker` with a Docker engine running."
                } else {
                    "Run it the way its SDK's documentation says."
                };
                return Err(unsupported(format!("cannot run this project locally: {why} (plugin {})", space.plugin)).hint(hint));
            }
        };
        let (command, url) = match start {
            Start::Program { argv } => {
                (argv.iter().map(|a| with_port(a, port)).collect::<Vec<_>>(), page_url(&base, &plan.ready_path))
            }
            Start::StaticFiles { page } => {
                let python = match &self.venv_override {
                    Some(v) => v.join("bin/python").display().to_string(),
                    None => pick_python(self.python.as_deref())?,
                };
                let command =
                    vec![python, "-m".into(), "http.server".into(), port.to_string(), "--bind".into(), "127.0.0.1".into()];
                let url = if page == "index.html" { base.clone() } else { format!("{base}/{page}") };
                (command, url)
            }
        };
        obs.event(DevEvent::Plan(&report(&command, &url, false)));
        let mut venv = None;
        for step in &plan.setup {
            match step {
                SetupStep::Python(py) => venv = Some(self.prepare_venv(&dir, py, obs)?),
                SetupStep::Command(c) => run_step(&dir, c, &env, obs)?,
            }
        }
        if let Start::StaticFiles { page } = start
            && !dir.join(page).is_file()
        {
            let ran: Vec<&str> = plan
                .setup
                .iter()
                .filter_map(|s| if let SetupStep::Command(c) = s { Some(c.label.as_str()) } else { None })
                .collect();
            return Err(match ran.last() {
                Some(label) => {
                    AppError::new(ErrorCode::BuildOutputMissing, format!("`{label}` succeeded but did not write {page}"))
                        .hint("Point the Space's page (README app_file) at what the build writes, e.g. dist/index.html.")
                }
                None => AppError::new(ErrorCode::AppFileMissing, format!("the page {page} does not exist")),
            });
        }
        let mut path = Vec::new();
        let mut program = command[0].clone();
        let mut cmd_env = env;
        if let Some(venv) = &venv {
            let bin = venv.join("bin");
            // The start program from the venv first, as its PATH would find it.
            let local = bin.join(&command[0]);
            if local.is_file() {
                program = local.display().to_string();
            }
            path.push(bin);
            cmd_env.push(("VIRTUAL_ENV".into(), venv.display().to_string()));
        }
        path.extend(std::env::split_paths(self.path.as_deref().unwrap_or_default()));
        let mut cmd = Command::new(&program);
        cmd.args(&command[1..])
            .current_dir(&dir)
            .env_remove("PYTHONHOME")
            .env("PATH", std::env::join_paths(path).unwrap_or_default())
            .envs(cmd_env);
        supervise(cmd, None, port, &plan.ready_path, &url, req.ready_timeout, obs)
    }
}

/// One setup command of the plan, in the project directory, unless its `unless-exists` path is there.
fn run_step(dir: &Path, step: &CommandStep, env: &[(String, String)], obs: &dyn DevObserver) -> Result<(), AppError> {
    if step.unless_exists.as_ref().is_some_and(|p| dir.join(p).exists()) {
        return Ok(());
    }
    obs.event(DevEvent::BuildCommand { command: &step.label });
    let mut cmd = Command::new(&step.argv[0]);
    cmd.args(&step.argv[1..]).current_dir(dir).envs(env.iter().cloned());
    let status = run_streamed(cmd, &step.label, obs)?;
    if !status.success() {
        return Err(AppError::new(ErrorCode::BuildFailed, format!("`{}` failed ({status})", step.label)).hint(step.fix.clone()));
    }
    Ok(())
}

impl LocalDev {
    /// Creates `.venv` (or takes `$SPACESMITH_DEV_VENV`) and installs what changed since the last install.
    fn prepare_venv(&self, dir: &Path, py: &PythonEnv, obs: &dyn DevObserver) -> Result<PathBuf, AppError> {
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
                    create_venv(self.python.as_deref(), &v, obs)?;
                }
                (v, created)
            }
        };
        obs.event(DevEvent::Venv { path: &venv, created });

        let mut what = Vec::new();
        let mut args: Vec<String> = ["-m", "pip", "install", "--disable-pip-version-check"].map(String::from).to_vec();
        let mut h = Sha256::new();
        for file in &py.requirement_files {
            if let Ok(text) = std::fs::read(dir.join(file)) {
                what.push(format!("-r {file}"));
                args.extend(["-r".into(), file.clone()]);
                h.update(file.as_bytes());
                h.update(b"\0");
                h.update(text);
                h.update(b"\0");
            }
        }
        what.extend(py.packages.iter().cloned());
        args.extend(py.packages.iter().cloned());
        if what.is_empty() {
            obs.event(DevEvent::UpToDate);
            return Ok(venv);
        }
        h.update(py.packages.join("\n"));
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
                .hint("pip's output is above. The Hub would fail to build this Space the same way: fix the requirements."));
        }
        // A failed write only means the next run reinstalls.
        let _ = std::fs::write(&stamp, want);
        Ok(venv)
    }
}

/// `python -m venv` at `venv`. On failure it removes what it left only if the directory was not there
/// before: a `.venv` without `bin/python` may be the user's, and is never deleted.
fn create_venv(python: Option<&str>, venv: &Path, obs: &dyn DevObserver) -> Result<(), AppError> {
    let python = pick_python(python)?;
    let existed = venv.exists();
    let mut cmd = Command::new(&python);
    cmd.args(["-m", "venv"]).arg(venv);
    let status = run_streamed(cmd, "venv", obs)?;
    if !status.success() {
        if !existed {
            let _ = std::fs::remove_dir_all(venv);
        }
        return Err(AppError::new(ErrorCode::VenvFailed, format!("`{python} -m venv {}` failed ({status})", venv.display()))
            .hint("On Debian/Ubuntu install the python3-venv package; or set $PYTHON to another Python >= 3.10."));
    }
    Ok(())
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
    let mut child = Command::new(ENGINE)
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

/// Whether something answers HTTP on the port at `path` (any status counts).
fn answers(port: u16, path: &str) -> bool {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_secs(1)) else { return false };
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = s.set_write_timeout(Some(Duration::from_secs(5)));
    if s.write_all(format!("GET {path} HTTP/1.0\r\nHost: localhost\r\nConnection: close\r\n\r\n").as_bytes()).is_err() {
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
    ready_path: &str,
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
        let ready_path = ready_path.to_string();
        std::thread::spawn(move || {
            let deadline = Instant::now() + ready_timeout;
            while probing.load(Ordering::SeqCst) {
                if answers(port, &ready_path) {
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

    #[test]
    fn ports_go_where_the_plan_puts_them() {
        assert_eq!(with_port("--server.port={port}", 9000), "--server.port=9000");
        assert_eq!(with_port("app.py", 9000), "app.py");
        assert_eq!(docker_name("My Space_1"), "my-space-1");
    }

    #[test]
    #[cfg(unix)]
    fn a_failed_venv_removes_only_what_it_created() {
        use std::os::unix::fs::PermissionsExt;
        struct Quiet;
        impl DevObserver for Quiet {
            fn event(&self, _: DevEvent<'_>) {}
        }
        let tmp = tempfile::tempdir().unwrap();
        // A "python" that passes the version probe, then leaves a half-made venv and fails.
        let python = tmp.path().join("python");
        std::fs::write(&python, "#!/bin/sh\n[ \"$1\" = -c ] && exit 0\nmkdir -p \"$3/lib\"\nexit 1\n").unwrap();
        std::fs::set_permissions(&python, std::fs::Permissions::from_mode(0o755)).unwrap();
        let python = python.to_str().unwrap();

        let fresh = tmp.path().join("fresh/.venv");
        std::fs::create_dir_all(fresh.parent().unwrap()).unwrap();
        let err = create_venv(Some(python), &fresh, &Quiet).unwrap_err();
        assert_eq!(err.code, ErrorCode::VenvFailed);
        assert!(!fresh.exists(), "the half-made venv it created is removed");

        let users = tmp.path().join("users/.venv");
        std::fs::create_dir_all(&users).unwrap();
        std::fs::write(users.join("notes.txt"), "mine").unwrap();
        assert_eq!(create_venv(Some(python), &users, &Quiet).unwrap_err().code, ErrorCode::VenvFailed);
        assert_eq!(std::fs::read_to_string(users.join("notes.txt")).unwrap(), "mine", "a .venv it did not create stays");
    }
}
