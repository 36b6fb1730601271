//! The simulated Space runtime: after a commit to `main`, a restart, a hardware change or an environment change,
//! a Space goes through BUILDING → RUNNING (or an error stage), writing realistic timestamped build and run log
//! lines as it goes. The outcome is decided from the committed files:
//!
//! | condition | stage |
//! |---|---|
//! | README.md missing, no `---` front matter, unterminated or unparsable block, missing/unknown `sdk`, bad `app_port` | `CONFIG_ERROR` |
//! | gradio/streamlit without `app_file` (default `app.py`); static without `app_file` (default `index.html`); docker with nothing but README/.gitattributes/.gitignore | `NO_APP_FILE` |
//! | docker with other files but no `Dockerfile`, no `FROM`, a `RUN exit 1` / `RUN false`, a required build secret that is not set, or the text `EMULATOR_BUILD_ERROR` in the Dockerfile / requirements.txt / packages.txt | `BUILD_ERROR` |
//! | the app file (gradio/streamlit) or any `.py`/`.sh` file (docker) contains `EMULATOR_RUNTIME_ERROR` or a top-level `raise SystemExit` | `RUNTIME_ERROR` |
//! | otherwise | `RUNNING` |
//!
//! Each simulation runs as a task tagged with the Space's `generation`; anything that starts a new build/run or
//! stops the Space bumps the generation, so stale tasks stand down.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use crate::app::App;
use crate::logbuf::LogHandle;
use crate::model::{FileEntry, RepoKey, SpaceState, State};
use crate::patterns::parse_front_matter;
use crate::store::BlobStore;
use crate::util::{banner_time, now_ms};

pub const SDKS: [&str; 4] = ["gradio", "streamlit", "docker", "static"];

/// Stages during which `wait_for_space`-style clients keep polling.
pub const TRANSITIONAL: [&str; 4] = ["BUILDING", "RUNNING_BUILDING", "APP_STARTING", "RUNNING_APP_STARTING"];

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Trigger {
    /// A commit landed on `main`.
    Commit,
    /// `POST .../restart`; factory reboots rebuild without cache.
    Restart { factory: bool },
    /// New hardware or new secrets/variables: restart the app, rebuilding only if needed.
    Reconfigure,
}

#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    Config(String),
    NoAppFile(String),
    BuildError(String),
    RuntimeError(String),
    Running,
}

struct Analysis {
    outcome: Outcome,
    sdk: String,
    /// Lines written during the build (before the outcome is known).
    build_lines: Vec<String>,
    /// Lines that end a failed build.
    build_error_lines: Vec<String>,
    run_lines: Vec<String>,
    crash_lines: Vec<String>,
}

enum Step {
    Sleep(Duration),
    BuildLine(String),
    CloseBuild,
    BuildFinished { ok: bool, sha: String },
    NewRun,
    RunLine(String),
    CloseRun,
    Stage { stage: &'static str, error: Option<String>, up: bool },
}

/// Starts a build or restart for the Space `key` (state lock held by the caller). After a commit the
/// stage stays as it was for `rebuildDelaySeconds` (the Hub's queueing latency) before the build shows,
/// and a README-only commit starts nothing when `readmeOnlyRebuilds` is off.
pub fn start(app: &Arc<App>, st: &mut State, key: &RepoKey, trigger: Trigger) {
    let tun = app.tun();
    if trigger == Trigger::Commit {
        let Some(repo) = st.get_mut(key) else { return };
        if !tun.readme_only_rebuilds && readme_only(repo) {
            return;
        }
        let delay = tun.rebuild_delay_seconds;
        if delay > 0.0
            && let Some(space) = repo.space.as_mut()
            && space.stage != "PAUSED"
        {
            // Older simulations stand down; the stage and logs stay stale until the build is picked up.
            space.generation += 1;
            let (app, key, generation) = (app.clone(), key.clone(), space.generation);
            tokio::spawn(async move {
                let mut shutdown = app.shutdown.clone();
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs_f64(delay)) => {}
                    _ = shutdown.changed() => return,
                }
                let mut st = app.lock();
                let current = st.get(&key).and_then(|r| r.space.as_ref()).map(|s| s.generation);
                if current == Some(generation) {
                    begin(&app, &mut st, &key, trigger);
                    app.persist(&st);
                }
            });
            return;
        }
    }
    begin(app, st, key, trigger);
}

/// Whether the head commit changed nothing but README.md against its first parent.
fn readme_only(repo: &crate::model::Repo) -> bool {
    let Some(head) = repo.head() else { return false };
    let Some(parent) = head.parents.first().and_then(|p| repo.commits.get(p)) else { return false };
    let paths: std::collections::BTreeSet<&String> = head.files.keys().chain(parent.files.keys()).collect();
    let changed: Vec<&&String> = paths.iter().filter(|p| head.files.get(**p) != parent.files.get(**p)).collect();
    !changed.is_empty() && changed.iter().all(|p| p.as_str() == "README.md")
}

fn begin(app: &Arc<App>, st: &mut State, key: &RepoKey, trigger: Trigger) {
    let build_secs = app.tun().build_seconds.max(0.0);
    let Some(repo) = st.get_mut(key) else { return };
    let Some(head) = repo.head().cloned() else { return };
    let Some(space) = repo.space.as_mut() else { return };
    if space.stage == "PAUSED" && !matches!(trigger, Trigger::Restart { .. }) {
        // A paused Space stays paused until restarted; the next restart builds the new head.
        return;
    }
    let analysis = analyze(&app.store, &head.files, &head.id, space, trigger);
    if SDKS.contains(&analysis.sdk.as_str()) {
        space.sdk = analysis.sdk.clone();
    }
    space.generation += 1;
    let generation = space.generation;
    space.error_message = None;
    let was_up = matches!(space.stage.as_str(), "RUNNING" | "RUNNING_BUILDING" | "RUNNING_APP_STARTING");

    // Config problems and missing app files are decided at once, without a build.
    if let Outcome::Config(msg) | Outcome::NoAppFile(msg) = &analysis.outcome {
        let stage = if matches!(analysis.outcome, Outcome::Config(_)) { "CONFIG_ERROR" } else { "NO_APP_FILE" };
        replace_build_log(space, &head.id, &[format!("{}\n", msg)]);
        space.run_log.close();
        space.stage = stage.into();
        space.error_message = Some(msg.clone());
        space.current_hardware = None;
        space.last_build_ok = false;
        space.built_sha = Some(head.id.clone());
        return;
    }
    if analysis.sdk == "static" {
        replace_build_log(space, &head.id, &[]);
        space.run_log.close();
        space.run_log = LogHandle::closed_empty();
        space.stage = "RUNNING".into();
        space.current_hardware = Some(space.hardware.clone());
        space.last_build_ok = true;
        space.built_sha = Some(head.id.clone());
        return;
    }

    let skip_build = matches!(trigger, Trigger::Restart { factory: false } | Trigger::Reconfigure)
        && space.last_build_ok
        && space.built_sha.as_deref() == Some(head.id.as_str());
    let mut steps = Vec::new();
    if !skip_build {
        // The commit being built from now on (the build log's banner names it).
        space.built_sha = Some(head.id.clone());
        space.last_build_ok = false;
    }
    if skip_build {
        space.run_log.close();
        space.stage = "APP_STARTING".into();
        space.current_hardware = None;
        steps.push(Step::Sleep(Duration::from_secs_f64(build_secs)));
    } else {
        space.build_log.close();
        space.build_log = LogHandle::default();
        if was_up && trigger == Trigger::Commit {
            space.stage = "RUNNING_BUILDING".into();
        } else {
            space.run_log.close();
            space.stage = "BUILDING".into();
            space.current_hardware = None;
        }
        let n = analysis.build_lines.len() + 1;
        let dt = Duration::from_secs_f64(build_secs / n as f64);
        for line in &analysis.build_lines {
            steps.push(Step::BuildLine(line.clone()));
            steps.push(Step::Sleep(dt));
        }
        if let Outcome::BuildError(msg) = &analysis.outcome {
            for line in &analysis.build_error_lines {
                steps.push(Step::BuildLine(line.clone()));
            }
            steps.push(Step::CloseBuild);
            steps.push(Step::BuildFinished { ok: false, sha: head.id.clone() });
            steps.push(Step::CloseRun);
            steps.push(Step::Stage { stage: "BUILD_ERROR", error: Some(msg.clone()), up: false });
            spawn(app.clone(), key.clone(), generation, steps);
            return;
        }
        steps.push(Step::CloseBuild);
        steps.push(Step::BuildFinished { ok: true, sha: head.id.clone() });
    }
    steps.push(Step::NewRun);
    for line in &analysis.run_lines {
        steps.push(Step::RunLine(line.clone()));
    }
    match &analysis.outcome {
        Outcome::RuntimeError(msg) => {
            for line in &analysis.crash_lines {
                steps.push(Step::RunLine(line.clone()));
            }
            steps.push(Step::CloseRun);
            steps.push(Step::Stage { stage: "RUNTIME_ERROR", error: Some(msg.clone()), up: false });
        }
        _ => steps.push(Step::Stage { stage: "RUNNING", error: None, up: true }),
    }
    spawn(app.clone(), key.clone(), generation, steps);
}

/// Pauses the Space: stops any build or app (state lock held by the caller).
pub fn pause(space: &mut SpaceState) {
    space.generation += 1;
    space.build_log.close();
    space.run_log.close();
    space.stage = "PAUSED".into();
    space.current_hardware = None;
    space.error_message = None;
}

/// After a restart of the emulator, resumes Spaces that were mid-build.
pub fn resume_all(app: &Arc<App>) {
    let mut st = app.lock();
    let keys: Vec<RepoKey> = st
        .repos
        .values()
        .filter(|r| r.space.as_ref().is_some_and(|s| TRANSITIONAL.contains(&s.stage.as_str())))
        .map(|r| r.key())
        .collect();
    for key in keys {
        if let Some(space) = st.get_mut(&key).and_then(|r| r.space.as_mut()) {
            // Treat it as a fresh build of the head.
            space.stage = "BUILDING".into();
            space.last_build_ok = false;
        }
        start(app, &mut st, &key, Trigger::Restart { factory: false });
    }
    app.persist(&st);
}

fn replace_build_log(space: &mut SpaceState, sha: &str, lines: &[String]) {
    space.build_log.close();
    let log = LogHandle::default();
    if !lines.is_empty() {
        log.push(queued_banner(sha));
        for l in lines {
            log.push(l.clone());
        }
    }
    log.close();
    space.build_log = log;
}

fn queued_banner(sha: &str) -> String {
    format!("===== Build Queued at {} / Commit SHA: {} =====\n", banner_time(now_ms()), &sha[..7.min(sha.len())])
}

fn spawn(app: Arc<App>, key: RepoKey, generation: u64, steps: Vec<Step>) {
    tokio::spawn(async move {
        let mut shutdown = app.shutdown.clone();
        for step in steps {
            if let Step::Sleep(d) = step {
                if !d.is_zero() {
                    tokio::select! {
                        _ = tokio::time::sleep(d) => {}
                        _ = shutdown.changed() => return,
                    }
                }
                continue;
            }
            let mut st = app.lock();
            let Some(space) = st.get_mut(&key).and_then(|r| r.space.as_mut()) else { return };
            if space.generation != generation {
                return;
            }
            let persist = matches!(step, Step::Stage { .. } | Step::BuildFinished { .. });
            match step {
                Step::Sleep(_) => {}
                Step::BuildLine(l) => space.build_log.push(l),
                Step::CloseBuild => space.build_log.close(),
                Step::BuildFinished { ok, sha } => {
                    space.last_build_ok = ok;
                    space.built_sha = Some(sha);
                }
                Step::NewRun => {
                    space.run_log.close();
                    space.run_log = LogHandle::default();
                    space.run_log.push(format!("===== Application Startup at {} =====\n", banner_time(now_ms())));
                    space.run_log.push("\n");
                }
                Step::RunLine(l) => space.run_log.push(l),
                Step::CloseRun => space.run_log.close(),
                Step::Stage { stage, error, up } => {
                    space.stage = stage.into();
                    space.error_message = error;
                    space.current_hardware = if up { Some(space.hardware.clone()) } else { None };
                }
            }
            if persist {
                app.persist(&st);
            }
        }
    });
}

fn read_text(store: &BlobStore, files: &BTreeMap<String, FileEntry>, path: &str) -> Option<String> {
    let e = files.get(path)?;
    let bytes = store.read_prefix(&e.sha256, 1024 * 1024).ok()?;
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

fn analyze(store: &BlobStore, files: &BTreeMap<String, FileEntry>, sha: &str, space: &SpaceState, trigger: Trigger) -> Analysis {
    let mut a = Analysis {
        outcome: Outcome::Running,
        sdk: space.sdk.clone(),
        build_lines: Vec::new(),
        build_error_lines: Vec::new(),
        run_lines: Vec::new(),
        crash_lines: Vec::new(),
    };
    let Some(readme) = read_text(store, files, "README.md") else {
        a.outcome =
            Outcome::Config("Configuration error: missing README.md with the Space configuration (YAML front matter)".into());
        return a;
    };
    let fm = match parse_front_matter(&readme) {
        Ok(fm) => fm,
        Err(e) => {
            a.outcome = Outcome::Config(format!("Configuration error: {e}"));
            return a;
        }
    };
    let sdk = match fm.get("sdk") {
        Some(Value::String(s)) if SDKS.contains(&s.as_str()) => s.clone(),
        Some(Value::String(s)) => {
            a.outcome = Outcome::Config(format!(
                "Configuration error: unknown sdk {s:?} in README.md (expected one of gradio, docker, static)"
            ));
            return a;
        }
        Some(other) => {
            a.outcome = Outcome::Config(format!("Configuration error: invalid sdk {other} in README.md"));
            return a;
        }
        None => {
            a.outcome = Outcome::Config("Configuration error: missing `sdk` in README.md metadata".into());
            return a;
        }
    };
    a.sdk = sdk.clone();
    let app_port = match fm.get("app_port") {
        None | Some(Value::Null) => 7860,
        Some(Value::Number(n)) if n.as_u64().is_some_and(|p| (1..=65535).contains(&p)) => n.as_u64().unwrap_or(7860),
        Some(v) => {
            a.outcome = Outcome::Config(format!("Configuration error: app_port must be an integer between 1 and 65535, got {v}"));
            return a;
        }
    };
    let factory = trigger == Trigger::Restart { factory: true };
    let app_file_default = if sdk == "static" { "index.html" } else { "app.py" };
    let app_file = fm.get("app_file").and_then(Value::as_str).unwrap_or(app_file_default).trim_start_matches("./").to_string();
    match sdk.as_str() {
        // The build job's output goes to refs/convert/build, so `app_file` (dist/index.html) is not
        // in the commit; the emulator does not run npm and takes the build as succeeded.
        "static" if fm.get("app_build_command").and_then(Value::as_str).is_some_and(|c| !c.trim().is_empty()) => {}
        "static" => {
            if !files.contains_key(&app_file) {
                a.outcome = Outcome::NoAppFile(format!("No application file: {app_file} not found in the repository"));
            }
        }
        "gradio" | "streamlit" => {
            if !files.contains_key(&app_file) {
                a.outcome = Outcome::NoAppFile(format!("No application file: {app_file} not found in the repository"));
                return a;
            }
            python_build(&mut a, store, files, &fm, &sdk, sha, factory);
            if a.outcome == Outcome::Running {
                let src = read_text(store, files, &app_file).unwrap_or_default();
                if let Some((lineno, line)) = crash_line(&src) {
                    crash(&mut a, &format!("/home/user/app/{app_file}"), lineno, &line);
                }
            }
            if sdk == "gradio" {
                a.run_lines = vec![
                    "* Running on local URL:  http://0.0.0.0:7860, with SSR ⚡ powered by Node.js\n".into(),
                    "\n".into(),
                    "To create a public link, set `share=True` in `launch()`.\n".into(),
                ];
            } else {
                a.run_lines = vec![
                    "\n".into(),
                    "Collecting usage statistics. To deactivate, set browser.gatherUsageStats to false.\n".into(),
                    "\n".into(),
                    "\n".into(),
                    "  You can now view your Streamlit app in your browser.\n".into(),
                    "\n".into(),
                    "  URL: http://0.0.0.0:8501\n".into(),
                    "\n".into(),
                ];
            }
        }
        _ => {
            docker_build(&mut a, store, files, space, sha, factory, app_port);
            if a.outcome == Outcome::Running {
                for (path, _) in files.iter().filter(|(p, _)| p.ends_with(".py") || p.ends_with(".sh")) {
                    let src = read_text(store, files, path).unwrap_or_default();
                    if let Some((lineno, line)) = crash_line(&src) {
                        crash(&mut a, &format!("/app/{path}"), lineno, &line);
                        break;
                    }
                }
            }
        }
    }
    a
}

/// The first line that makes the app crash at start: the `EMULATOR_RUNTIME_ERROR` marker anywhere, or a
/// `raise SystemExit` at module level (not indented).
fn crash_line(src: &str) -> Option<(usize, String)> {
    src.lines()
        .enumerate()
        .find(|(_, l)| l.contains("EMULATOR_RUNTIME_ERROR") || l.starts_with("raise SystemExit"))
        .map(|(i, l)| (i + 1, l.trim().to_string()))
}

fn crash(a: &mut Analysis, file: &str, lineno: usize, line: &str) {
    let exc = if line.starts_with("raise SystemExit") {
        let arg = line.trim_start_matches("raise SystemExit").trim_matches(|c| c == '(' || c == ')' || c == ' ');
        format!("SystemExit: {}\n", if arg.is_empty() { "1" } else { arg })
    } else {
        "RuntimeError: EMULATOR_RUNTIME_ERROR marker reached\n".to_string()
    };
    a.crash_lines = vec![
        "Traceback (most recent call last):\n".into(),
        format!("  File \"{file}\", line {lineno}, in <module>\n"),
        format!("    {line}\n"),
        exc.clone(),
    ];
    a.outcome = Outcome::RuntimeError(format!("Exit code: 1. Reason: {}", exc.trim_end()));
}

fn step_done(factory: bool, i: usize) -> String {
    if !factory && i % 3 == 1 { "CACHED\n".into() } else { format!("DONE {}.{}s\n", (i * 7) % 13, (i * 3) % 10) }
}

fn python_build(
    a: &mut Analysis,
    store: &BlobStore,
    files: &BTreeMap<String, FileEntry>,
    fm: &serde_json::Map<String, Value>,
    sdk: &str,
    sha: &str,
    factory: bool,
) {
    let py = match fm.get("python_version") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => "3.10".into(),
    };
    let sdk_version = fm.get("sdk_version").and_then(Value::as_str).unwrap_or(if sdk == "gradio" { "5.49.1" } else { "1.50.0" });
    let mut lines = vec![queued_banner(sha), "\n".into()];
    let mut i = 0;
    fn step(lines: &mut Vec<String>, i: &mut usize, factory: bool, text: String) {
        lines.push(format!("--> {text}\n"));
        *i += 1;
        lines.push(step_done(factory, *i));
        lines.push("\n".into());
    }
    step(
        &mut lines,
        &mut i,
        factory,
        format!("FROM docker.io/library/python:{py}@sha256:{}", &crate::hash::sha256_hex(py.as_bytes())[..64]),
    );
    step(&mut lines, &mut i, factory, "RUN apt-get update && apt-get install -y git git-lfs ffmpeg libsm6 libxext6 cmake rsync libgl1 && rm -rf /var/lib/apt/lists/* && git lfs install".into());
    let mut failing = None;
    if let Some(pkgs) = read_text(store, files, "packages.txt") {
        step(
            &mut lines,
            &mut i,
            factory,
            "RUN apt-get update && xargs -r -a /root/packages.txt apt-get install -y && rm -rf /var/lib/apt/lists/*".into(),
        );
        if pkgs.contains("EMULATOR_BUILD_ERROR") {
            failing = Some(("packages.txt", "E: Unable to locate package EMULATOR_BUILD_ERROR".to_string()));
        }
    }
    if failing.is_none()
        && let Some(reqs) = read_text(store, files, "requirements.txt")
    {
        lines.push("--> RUN --mount=target=/tmp/requirements.txt,source=requirements.txt pip install --no-cache-dir -r /tmp/requirements.txt\n".into());
        for r in reqs.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).take(40) {
            lines.push(format!("Collecting {r}\n"));
        }
        if reqs.contains("EMULATOR_BUILD_ERROR") {
            failing = Some((
                "requirements.txt",
                "ERROR: Could not find a version that satisfies the requirement EMULATOR_BUILD_ERROR (from versions: none)"
                    .to_string(),
            ));
        } else {
            lines.push("Successfully installed packages from requirements.txt\n".into());
            i += 1;
            lines.push(step_done(factory, i));
            lines.push("\n".into());
        }
    }
    if let Some((_, err)) = failing {
        a.build_lines = lines;
        a.build_error_lines = vec![
            format!("{err}\n"),
            "\n".into(),
            "--> ERROR: process \"/bin/sh -c pip install --no-cache-dir -r /tmp/requirements.txt\" did not complete successfully: exit code: 1\n".into(),
        ];
        a.outcome = Outcome::BuildError("Build failed with exit code: 1".into());
        return;
    }
    let pkg = if sdk == "gradio" { format!("gradio[oauth,mcp]=={sdk_version}") } else { format!("streamlit=={sdk_version}") };
    step(&mut lines, &mut i, factory, format!("RUN pip install --no-cache-dir {pkg} \"uvicorn>=0.14.0\" spaces"));
    step(&mut lines, &mut i, factory, "COPY --link --chown=1000 ./ /home/user/app".into());
    step(&mut lines, &mut i, factory, "Pushing image".into());
    step(&mut lines, &mut i, factory, "Exporting cache".into());
    a.build_lines = lines;
}

fn docker_build(
    a: &mut Analysis,
    store: &BlobStore,
    files: &BTreeMap<String, FileEntry>,
    space: &SpaceState,
    sha: &str,
    factory: bool,
    app_port: u64,
) {
    let mut lines = vec![queued_banner(sha), "\n".into()];
    let Some(dockerfile) = read_text(store, files, "Dockerfile") else {
        if files.keys().all(|p| matches!(p.as_str(), "README.md" | ".gitattributes" | ".gitignore")) {
            // Nothing but the configuration: there is no application at all yet.
            a.outcome = Outcome::NoAppFile("No application file: Dockerfile not found in the repository".into());
            return;
        }
        a.build_lines = lines;
        a.build_error_lines =
            vec!["ERROR: failed to solve: failed to read dockerfile: open Dockerfile: no such file or directory\n".into()];
        a.outcome = Outcome::BuildError("Dockerfile not found: a Docker Space needs a Dockerfile at the root".into());
        return;
    };
    // Join continuation lines and drop comments.
    let mut instructions: Vec<String> = Vec::new();
    let mut cur = String::new();
    for raw in dockerfile.lines() {
        let t = raw.trim();
        if cur.is_empty() && (t.is_empty() || t.starts_with('#')) {
            continue;
        }
        if let Some(stripped) = t.strip_suffix('\\') {
            cur.push_str(stripped.trim_end());
            cur.push(' ');
            continue;
        }
        cur.push_str(t);
        instructions.push(std::mem::take(&mut cur));
    }
    if !cur.trim().is_empty() {
        instructions.push(cur);
    }
    if !instructions.iter().any(|i| i.to_ascii_uppercase().starts_with("FROM ")) {
        a.build_lines = lines;
        a.build_error_lines = vec!["ERROR: failed to solve: no build stage in current context\n".into()];
        a.outcome = Outcome::BuildError("Build failed: the Dockerfile has no FROM instruction".into());
        return;
    }
    let mut cmd = String::new();
    for (i, ins) in instructions.iter().enumerate() {
        let upper = ins.to_ascii_uppercase();
        let word = upper.split_whitespace().next().unwrap_or("");
        if matches!(word, "CMD" | "ENTRYPOINT") {
            cmd = ins.clone();
        }
        if !matches!(word, "FROM" | "RUN" | "COPY" | "ADD" | "WORKDIR") {
            continue;
        }
        lines.push(format!("--> {ins}\n"));
        if word == "RUN"
            && let Some(err) = run_failure(ins, space)
        {
            a.build_lines = lines;
            a.build_error_lines = err.0;
            a.outcome = Outcome::BuildError(err.1);
            return;
        }
        lines.push(step_done(factory, i));
        lines.push("\n".into());
    }
    if dockerfile.contains("EMULATOR_BUILD_ERROR") {
        a.build_lines = lines;
        a.build_error_lines = vec!["ERROR: failed to solve: EMULATOR_BUILD_ERROR marker found in Dockerfile\n".into()];
        a.outcome = Outcome::BuildError("Build failed with exit code: 1".into());
        return;
    }
    lines.push("--> Pushing image\n".into());
    lines.push("DONE 1.2s\n".into());
    lines.push("\n".into());
    lines.push("--> Exporting cache\n".into());
    lines.push("DONE 0.4s\n".into());
    a.build_lines = lines;
    a.run_lines = if cmd.contains("uvicorn") || cmd.contains("fastapi") {
        vec![
            "INFO:     Started server process [1]\n".into(),
            "INFO:     Waiting for application startup.\n".into(),
            "INFO:     Application startup complete.\n".into(),
            format!("INFO:     Uvicorn running on http://0.0.0.0:{app_port} (Press CTRL+C to quit)\n"),
        ]
    } else if cmd.contains("streamlit") {
        vec![
            "\n".into(),
            "  You can now view your Streamlit app in your browser.\n".into(),
            "\n".into(),
            format!("  URL: http://0.0.0.0:{app_port}\n"),
        ]
    } else {
        vec![format!("Listening on http://0.0.0.0:{app_port}\n")]
    };
}

/// Decides whether a `RUN` instruction fails: `exit N` (N ≠ 0) / `false` as the command, the build-error
/// marker, or a `--mount=type=secret,id=X,required=true` whose secret is not set on the Space.
fn run_failure(ins: &str, space: &SpaceState) -> Option<(Vec<String>, String)> {
    let body = ins[3..].trim();
    let mut command = body;
    let mut missing_secret = None;
    for tok in body.split_whitespace() {
        let Some(mount) = tok.strip_prefix("--mount=") else { break };
        command = command[tok.len()..].trim_start();
        let opts: BTreeMap<&str, &str> = mount.split(',').map(|kv| kv.split_once('=').unwrap_or((kv, "true"))).collect();
        if opts.get("type") == Some(&"secret") {
            let id = opts.get("id").copied().unwrap_or("");
            let required = matches!(opts.get("required"), Some(&"true"));
            if required && !space.secrets.contains_key(id) {
                missing_secret = Some(id.to_string());
            }
        }
    }
    if let Some(id) = missing_secret {
        return Some((
            vec![format!("ERROR: failed to solve: secret {id}: not found\n")],
            format!("Build failed: build secret {id} is required but not set on the Space"),
        ));
    }
    let first = command.split(['&', ';', '|']).next().unwrap_or("").trim();
    let fails = first == "false"
        || first.strip_prefix("exit").is_some_and(|n| n.trim().parse::<i32>().is_ok_and(|n| n != 0))
        || command.contains("EMULATOR_BUILD_ERROR");
    if !fails {
        return None;
    }
    Some((
        vec!["\n".into(), format!("--> ERROR: process \"/bin/sh -c {command}\" did not complete successfully: exit code: 1\n")],
        "Build failed with exit code: 1".into(),
    ))
}
