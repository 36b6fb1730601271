//! Logs (Hub path and JWT + logs host), reconnects across cut streams, and the stage watcher.

mod common;

use std::ops::ControlFlow;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use common::*;
use serde_json::{Value, json};
use spacesmith_hub::*;

fn docker_project(root: &Path, dockerfile: &str) {
    write(root, "README.md", README);
    write(root, "Dockerfile", dockerfile);
    write(root, "app.py", "print('hello')\n");
    write(root, "requirements.txt", "fastapi\nuvicorn\n");
}

/// Deploys a docker project and returns the commit sha.
fn deploy_project(env: &Env, s: &SpaceId, dockerfile: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    docker_project(dir.path(), dockerfile);
    let (_, report) = deploy(&*env.api, s, dir.path(), "deploy").unwrap();
    report.commit.unwrap().oid
}

fn wait(env: &Env, s: &SpaceId, opts: &WaitOptions) -> (WaitOutcome, Vec<String>, Vec<(LogKind, String)>) {
    let logs = HubLogs::new(env.api.clone());
    let mut stages = Vec::new();
    let mut lines = Vec::new();
    let out = logs
        .wait_for_stage(s, opts, &mut |ev| match ev {
            WatchEvent::Stage(rt) => stages.push(rt.stage.clone()),
            WatchEvent::Log(k, l) => lines.push((k, l.data.clone())),
            WatchEvent::AwaitingBuild { stage, .. } => stages.push(format!("stale {stage}")),
        })
        .unwrap();
    (out, stages, lines)
}

fn space_logs(env: &Env, id: &str, field: &str) -> Vec<String> {
    repo(&env.url, id)["space"][field].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect()
}

fn collect(logs: &HubLogs, s: &SpaceId, kind: LogKind, opts: &StreamOptions) -> (StreamEnd, Vec<String>) {
    let mut got = Vec::new();
    let end = logs
        .stream_logs(s, kind, opts, &mut |l| {
            got.push(l.data.clone());
            ControlFlow::Continue(())
        })
        .unwrap();
    (end, got)
}

fn running(env: &Env, s: &SpaceId, sha: &str) {
    let opts = WaitOptions { expect_sha: Some(sha.to_string()), ..WaitOptions::default() };
    let (out, stages, _) = wait(env, s, &opts);
    assert_eq!(out.code(), "RUNNING", "{out:?} after {stages:?}");
}

#[test]
fn watcher_reports_running_and_logs_read_through_both_routes() {
    let env = start();
    let s = create(&env, "alice/web");
    let sha = deploy_project(&env, &s, DOCKERFILE);
    let opts = WaitOptions { expect_sha: Some(sha.clone()), ..WaitOptions::default() };
    let (out, stages, _) = wait(&env, &s, &opts);
    assert_eq!(out.code(), "RUNNING");
    assert_eq!(stages.last().map(String::as_str), Some("RUNNING"));

    let logs = HubLogs::new(env.api.clone());
    let build = space_logs(&env, "alice/web", "buildLog");
    let run = space_logs(&env, "alice/web", "runLog");
    assert!(build.len() > 3 && build[0].contains(&sha[..7]), "{build:?}");
    for source in [LogSource::Hub, LogSource::Jwt] {
        let (end, got) = collect(&logs, &s, LogKind::Build, &StreamOptions::new(false).via(source));
        assert_eq!((end, &got), (StreamEnd::Ended, &build), "{source:?}");
        let tail = logs.tail_logs(&s, LogKind::Build, 2, source).unwrap();
        assert_eq!(tail.iter().map(|l| l.data.clone()).collect::<Vec<_>>(), build[build.len() - 2..]);
    }
    // The run log of a running app stays open: no-follow returns once the history is read.
    let mut short = StreamOptions::new(false);
    short.idle_timeout = Duration::from_millis(300);
    let (end, got) = collect(&logs, &s, LogKind::Run, &short);
    assert_eq!((end, got), (StreamEnd::Drained, run));
}

#[test]
fn reconnects_across_cut_streams_yield_every_line_once() {
    let env = start();
    let s = create(&env, "alice/cut");
    let sha = deploy_project(&env, &s, DOCKERFILE);
    running(&env, &s, &sha);
    let build = space_logs(&env, "alice/cut", "buildLog");
    assert!(build.len() >= 6, "{build:?}");
    let logs = HubLogs::new(env.api.clone());
    for (source, path) in
        [(LogSource::Hub, "/api/spaces/alice/cut/logs/build"), (LogSource::Jwt, "/logs-host/v1/alice/cut/logs/build")]
    {
        fault(&env.url, json!({ "kind": "sse_cut", "path": path, "afterEvents": 2, "count": 2 }));
        fault(&env.url, json!({ "kind": "sse_cut", "path": path, "afterEvents": 4, "count": 1, "mode": "abort" }));
        let before = env.clock.sleeps().len();
        let (end, got) = collect(&logs, &s, LogKind::Build, &StreamOptions::new(true).via(source));
        assert_eq!(end, StreamEnd::Ended);
        assert_eq!(got, build, "{source:?}: every line exactly once, in order");
        assert!(env.clock.sleeps().len() - before >= 3, "three cuts, three reconnects");
    }
    assert!(requests(&env.url).iter().any(|r| r["fault"].as_str().is_some_and(|f| f.contains("sse_cut"))));
}

#[test]
fn live_run_log_follow_survives_a_cut() {
    let env = start();
    let s = create(&env, "alice/live");
    let sha = deploy_project(&env, &s, DOCKERFILE);
    running(&env, &s, &sha);
    let append = |lines: Vec<String>| {
        control(&env.url, "POST", "spaces/alice/live/logs", Some(json!({ "lines": lines })));
    };
    append((0..5).map(|i| format!("request {i}")).collect());
    let existing = space_logs(&env, "alice/live", "runLog").len();
    let want = existing + 3;
    fault(&env.url, json!({ "kind": "sse_cut", "path": "/api/spaces/alice/live/logs/run", "afterEvents": existing - 2 }));
    let api: Arc<dyn HubApi> = env.api.clone();
    let follower = std::thread::spawn(move || {
        let logs = HubLogs::new(api);
        let mut opts = StreamOptions::new(true);
        opts.idle_timeout = Duration::from_secs(5);
        opts.max_reconnects = 3;
        let mut got = Vec::new();
        let end = logs.stream_logs(&space("alice/live"), LogKind::Run, &opts, &mut |l| {
            got.push(l.data.clone());
            if got.len() == want { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
        });
        (end, got)
    });
    append((5..8).map(|i| format!("request {i}")).collect());
    let (end, got) = follower.join().unwrap();
    assert_eq!(end.unwrap(), StreamEnd::Stopped);
    assert_eq!(got, space_logs(&env, "alice/live", "runLog"));
}

#[test]
fn watcher_reports_build_error_with_log_tail() {
    let env = start();
    let s = create(&env, "alice/broken");
    let sha = deploy_project(&env, &s, "FROM python:3.12-slim\nRUN exit 1\n");
    let opts = WaitOptions { expect_sha: Some(sha), tail_lines: 3, ..WaitOptions::default() };
    let (out, _, _) = wait(&env, &s, &opts);
    let WaitOutcome::Failed { stage, error_message, log, tail, .. } = &out else { panic!("{out:?}") };
    assert_eq!((stage.as_str(), *log), ("BUILD_ERROR", Some(LogKind::Build)));
    assert!(error_message.is_some());
    let build = space_logs(&env, "alice/broken", "buildLog");
    assert_eq!(tail.iter().map(|l| l.data.clone()).collect::<Vec<_>>(), build[build.len() - 3..]);
    let json = serde_json::to_value(&out).unwrap();
    assert_eq!(json["outcome"], "failed");
}

#[test]
fn watcher_times_out_on_a_stuck_build() {
    let env = start();
    let s = create(&env, "alice/stuck");
    deploy_project(&env, &s, DOCKERFILE);
    control(&env.url, "POST", "spaces/alice/stuck/stage", Some(json!({ "stage": "BUILDING" })));
    let opts =
        WaitOptions { timeout: Duration::from_secs(600), poll_interval: Duration::from_secs(30), ..WaitOptions::default() };
    let (out, stages, _) = wait(&env, &s, &opts);
    assert_eq!(out.code(), "TIMEOUT");
    assert_eq!(stages, ["BUILDING"]);
    let slept: Duration = env.clock.sleeps().iter().sum();
    assert_eq!(slept, Duration::from_secs(600), "virtual time only");
}

#[test]
fn watcher_streams_build_then_run_logs_while_waiting() {
    let mut c = config();
    c.tunables.build_seconds = 0.4;
    let env = start_with(c);
    let s = create(&env, "alice/stream");
    let sha = deploy_project(&env, &s, DOCKERFILE);
    let opts = WaitOptions {
        expect_sha: Some(sha),
        stream_logs: true,
        poll_interval: Duration::from_millis(50),
        ..WaitOptions::default()
    };
    let (out, stages, lines) = wait(&env, &s, &opts);
    assert_eq!(out.code(), "RUNNING", "{stages:?}");
    let build: Vec<String> = lines.iter().filter(|(k, _)| *k == LogKind::Build).map(|(_, l)| l.clone()).collect();
    assert_eq!(build, space_logs(&env, "alice/stream", "buildLog"), "every build line, once, in order");
    let kinds: Vec<LogKind> = lines.iter().map(|(k, _)| *k).collect();
    assert!(kinds.windows(2).all(|w| !(w[0] == LogKind::Run && w[1] == LogKind::Build)), "build lines come first");
}

#[test]
fn config_errors_and_paused_spaces_settle_as_failures() {
    let env = start();
    let s = create(&env, "alice/cfg");
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "README.md", "---\nsdk: nonsense\n---\n");
    write(dir.path(), "app.py", "x\n");
    let (_, report) = deploy(&*env.api, &s, dir.path(), "bad config").unwrap();
    let opts = WaitOptions { expect_sha: Some(report.commit.unwrap().oid), ..WaitOptions::default() };
    let (out, _, _) = wait(&env, &s, &opts);
    let WaitOutcome::Failed { stage, error_message, .. } = &out else { panic!("{out:?}") };
    assert_eq!(stage, "CONFIG_ERROR");
    assert!(error_message.as_deref().is_some_and(|m| m.contains("sdk")));
    env.api.pause_space(&s).unwrap();
    let (out, _, _) = wait(&env, &s, &WaitOptions::default());
    assert_eq!(out.code(), "PAUSED");
    let _: Value = serde_json::to_value(&out).unwrap();
}

/// A client on the real clock: the emulator's rebuild delay is real time, so the wait must be too.
fn real_client(env: &Env) -> Arc<HubClient> {
    let token = ResolvedToken { token: Token::new(ALICE), source: TokenSource::Env("HF_TOKEN") };
    Arc::new(HubClient::new(HubConfig::new(&env.url), Some(token)))
}

/// Waits on the real clock for `sha`; returns the outcome and the stages (stale ones marked).
fn wait_real(api: &Arc<HubClient>, s: &SpaceId, sha: &str) -> (WaitOutcome, Vec<String>) {
    let opts = WaitOptions {
        expect_sha: Some(sha.to_string()),
        poll_interval: Duration::from_millis(100),
        timeout: Duration::from_secs(120),
        rebuild_grace: Duration::from_secs(60),
        ..WaitOptions::default()
    };
    let mut stages = Vec::new();
    let out = HubLogs::new(api.clone())
        .wait_for_stage(s, &opts, &mut |ev| match ev {
            WatchEvent::Stage(rt) => stages.push(rt.stage.clone()),
            WatchEvent::AwaitingBuild { stage, built, .. } => stages.push(format!("stale {stage} of {}", built.unwrap_or("?"))),
            WatchEvent::Log(..) => {}
        })
        .unwrap();
    (out, stages)
}

fn tail_text(out: &WaitOutcome) -> String {
    let WaitOutcome::Failed { tail, .. } = out else { panic!("not a failure: {out:?}") };
    tail.iter().map(|l| l.data.as_str()).collect()
}

#[test]
fn a_redeploy_reports_the_new_build_not_the_stage_left_from_the_last_one() {
    let mut c = config();
    c.tunables.build_seconds = 0.2;
    let env = start_with(c);
    let s = create(&env, "alice/again");
    let api = real_client(&env);
    let first = deploy_project(&env, &s, DOCKERFILE);
    assert_eq!(wait_real(&api, &s, &first).0.code(), "RUNNING");
    // From now on the old stage stays for a while after each commit, as on the Hub.
    set_config(&env.url, json!({ "rebuildDelaySeconds": 1.5 }));

    // RUNNING → a failing build: the failure, with the new build's log, not the stale RUNNING.
    let broken = deploy_project(&env, &s, "FROM python:3.12-slim\nRUN exit 3\n");
    let (out, stages) = wait_real(&api, &s, &broken);
    assert_eq!(out.code(), "BUILD_ERROR", "{stages:?}");
    assert_eq!(stages[..2], ["RUNNING".to_string(), format!("stale RUNNING of {}", &first[..7])], "{stages:?}");
    assert!(tail_text(&out).contains("exit 3"), "{}", tail_text(&out));

    // BUILD_ERROR → another failure: its own tail, not the previous one's.
    let again = deploy_project(&env, &s, "FROM python:3.12-slim\nRUN false\n");
    let (out, stages) = wait_real(&api, &s, &again);
    assert_eq!(out.code(), "BUILD_ERROR", "{stages:?}");
    assert_eq!(stages[1], format!("stale BUILD_ERROR of {}", &broken[..7]), "{stages:?}");
    let tail = tail_text(&out);
    assert!(tail.contains("-c false") && !tail.contains("exit 3"), "{tail}");

    // BUILD_ERROR → fixed: RUNNING, reported once the new build ran.
    let fixed = deploy_project(&env, &s, "FROM python:3.11-slim\nCMD [\"python\", \"app.py\"]\n");
    let (out, stages) = wait_real(&api, &s, &fixed);
    assert_eq!(out.code(), "RUNNING", "{stages:?}");
    assert!(stages.contains(&"BUILDING".to_string()), "{stages:?}");
    assert!(space_logs(&env, "alice/again", "buildLog")[0].contains(&fixed[..7]));
}

#[test]
fn a_fast_build_between_two_polls_is_recognised_from_its_logs() {
    // No delay and a slow poll: the first answer after the commit is already the new build's result.
    let env = start();
    let s = create(&env, "alice/quick");
    let first = deploy_project(&env, &s, DOCKERFILE);
    running(&env, &s, &first);
    let broken = deploy_project(&env, &s, "FROM python:3.12-slim\nRUN exit 4\n");
    std::thread::sleep(Duration::from_millis(300));
    let opts = WaitOptions { expect_sha: Some(broken.clone()), ..WaitOptions::default() };
    let (out, stages, _) = wait(&env, &s, &opts);
    assert_eq!(out.code(), "BUILD_ERROR", "{stages:?}");
    assert_eq!(stages, ["BUILD_ERROR"], "no stale phase: the build log names the commit and has ended");
    let fixed = deploy_project(&env, &s, DOCKERFILE);
    std::thread::sleep(Duration::from_millis(300));
    let (out, stages, _) = wait(&env, &s, &WaitOptions { expect_sha: Some(fixed), ..WaitOptions::default() });
    assert_eq!((out.code(), stages.as_slice()), ("RUNNING", &["RUNNING".to_string()][..]), "the run log started after the build");
}

#[test]
fn a_commit_the_hub_never_builds_ends_after_the_grace_window() {
    let mut c = config();
    c.tunables.readme_only_rebuilds = false;
    let env = start_with(c);
    let s = create(&env, "alice/readme");
    let dir = tempfile::tempdir().unwrap();
    docker_project(dir.path(), DOCKERFILE);
    let (_, report) = deploy(&*env.api, &s, dir.path(), "deploy").unwrap();
    let first = report.commit.unwrap().oid;
    running(&env, &s, &first);
    write(dir.path(), "README.md", format!("{README}\nMore words.\n"));
    let (_, report) = deploy(&*env.api, &s, dir.path(), "docs").unwrap();
    let docs = report.commit.unwrap().oid;
    assert_eq!(report.changed, ["README.md"]);
    let grace = Duration::from_secs(40);
    let base = WaitOptions { expect_sha: Some(docs.clone()), rebuild_grace: grace, ..WaitOptions::default() };
    for optional in [true, false] {
        let before: Duration = env.clock.sleeps().iter().sum();
        let (out, stages, _) = wait(&env, &s, &WaitOptions { rebuild_optional: optional, ..base.clone() });
        let WaitOutcome::NotRebuilt { stage, commit, built, accepted, waited, .. } = &out else { panic!("{out:?}") };
        assert_eq!((stage.as_str(), commit, built.as_deref(), *accepted), ("RUNNING", &docs, Some(&first[..7]), optional));
        assert_eq!(out.code(), "NOT_REBUILT");
        assert!(*waited >= grace && *waited < grace + Duration::from_secs(2), "{waited:?}");
        let slept: Duration = env.clock.sleeps().iter().sum::<Duration>() - before;
        assert!(slept < Duration::from_secs(60), "ended at the grace, not the 30 min timeout: {slept:?}");
        assert_eq!(stages, ["RUNNING", "stale RUNNING"]);
    }
    assert_eq!(repo(&env.url, "alice/readme")["space"]["builtSha"], first.as_str(), "nothing was rebuilt");
}

#[test]
fn the_space_jwt_comes_from_its_payload_and_is_renewed_before_expiry_and_on_401() {
    let env = start();
    let s = create(&env, "alice/tok");
    let sha = deploy_project(&env, &s, DOCKERFILE);
    running(&env, &s, &sha);
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let jwt = env.api.space_jwt(&s).unwrap();
    assert!(jwt.exp.is_some_and(|e| e > now + 3000 && e <= now + 3601), "{:?}", jwt.exp);
    let logs = HubLogs::new(env.api.clone());
    let build = space_logs(&env, "alice/tok", "buildLog");
    let path = "/logs-host/v1/alice/tok/logs/build";
    let read = || {
        clear_requests(&env.url);
        let (end, got) = collect(&logs, &s, LogKind::Build, &StreamOptions::new(true).via(LogSource::Jwt));
        assert_eq!((end, &got), (StreamEnd::Ended, &build));
        matching(&requests(&env.url), "/api/spaces/alice/tok/jwt").len()
    };
    // An hour-long JWT serves every reconnect.
    fault(&env.url, json!({ "kind": "sse_cut", "path": path, "afterEvents": 2, "count": 2 }));
    assert_eq!(read(), 1);
    // One that expires within the refresh margin is replaced before each of the three connections.
    set_config(&env.url, json!({ "jwtTtlSeconds": 30 }));
    fault(&env.url, json!({ "kind": "sse_cut", "path": path, "afterEvents": 2, "count": 2 }));
    assert_eq!(read(), 3);
    // One the logs host rejects is replaced once, and the stream goes on.
    set_config(&env.url, json!({ "jwtTtlSeconds": 3600 }));
    fault(&env.url, json!({ "kind": "status", "status": 401, "path": path, "count": 1 }));
    assert_eq!(read(), 2);
}

#[test]
fn a_space_with_nothing_to_build_counts_as_running_at_once() {
    // Static Spaces serve their files as committed: RUNNING with neither a build nor a run log.
    let env = start();
    let s = space("alice/site");
    env.api.create_space(&s, &CreateSpace::new("static")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "README.md", README.replace("sdk: docker\napp_port: 7860", "sdk: static"));
    write(dir.path(), "index.html", "<h1>v1</h1>\n");
    for v in ["v1", "v2"] {
        write(dir.path(), "index.html", format!("<h1>{v}</h1>\n"));
        let (_, report) = deploy(&*env.api, &s, dir.path(), v).unwrap();
        let opts = WaitOptions { expect_sha: Some(report.commit.unwrap().oid), ..WaitOptions::default() };
        let (out, stages, _) = wait(&env, &s, &opts);
        assert_eq!((out.code(), stages.as_slice()), ("RUNNING", &["RUNNING".to_string()][..]), "{v}");
    }
}
