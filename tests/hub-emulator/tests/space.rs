//! Space runtime and management: simulated builds and their outcomes, pause/restart/hardware/sleep,
//! secrets and variables, dev mode, volumes, JWT, and build/run logs over SSE (replay, tail, keep-alive,
//! clean end), from both the Hub path and the logs host.

mod common;

use std::time::Duration;

use common::*;
use serde_json::json;

const ID: &str = "alice/s";
const REPO: &str = "spaces/alice/s";

fn deploy(c: &Client, sdk: &str, files: &[(&str, &[u8])]) {
    c.create_space(ALICE, ID, sdk, true).expect(200);
    c.commit(ALICE, REPO, "main", "deploy", files, &[], None, "").expect(200);
}

fn logs(c: &Client, kind: &str) -> Vec<String> {
    let (status, mut r) = c.sse(&format!("/api/spaces/{ID}/logs/{kind}"), Some(ALICE), Duration::from_secs(10));
    assert_eq!(status, 200);
    let (lines, end) = r.collect_until_end(10_000);
    assert_eq!(end, SseItem::End, "a finished log ends cleanly");
    lines
}

#[test]
fn docker_space_builds_and_runs() {
    let (_emu, c) = start();
    c.create_space(ALICE, ID, "docker", true).expect(200);
    assert_eq!(c.runtime(ID, ALICE)["stage"], "NO_APP_FILE");
    let files = docker_project();
    let sha = c.commit(ALICE, REPO, "main", "deploy", &as_refs(&files), &[], None, "").expect(200).json()["commitOid"].clone();
    let rt = c.wait_settled(ID, ALICE);
    assert_eq!(rt["stage"], "RUNNING", "{rt}");
    assert_eq!(rt["hardware"]["current"], "cpu-basic");
    assert_eq!(rt["hardware"]["requested"], "cpu-basic");
    assert_eq!(rt["gcTimeout"], 172800);
    // The runtime names no commit (as on the Hub); space info does, and the build log's banner does.
    assert!(rt.get("sha").is_none(), "{rt}");
    assert_eq!(c.get(&format!("/api/spaces/{ID}"), Some(ALICE)).expect(200).json()["sha"], sha);
    let build = logs(&c, "build");
    let short = &sha.as_str().unwrap()[..7];
    assert!(build[0].trim_end().ends_with(&format!("/ Commit SHA: {short} =====")), "{build:?}");
    assert!(build[0].starts_with("===== Build Queued at "), "{build:?}");
    assert!(build.iter().any(|l| l == "--> FROM python:3.11-slim\n"), "{build:?}");
    assert!(build.iter().any(|l| l.starts_with("--> Pushing image")));
    // The run log is open while the app runs: read the startup lines, then see only keep-alives.
    let (_, mut run) = c.sse(&format!("/api/spaces/{ID}/logs/run"), Some(ALICE), Duration::from_secs(2));
    let mut lines = Vec::new();
    while lines.len() < 6 {
        match run.next_item() {
            SseItem::Data(v) => {
                assert!(v["timestamp"].as_str().unwrap().ends_with('Z'));
                lines.push(v["data"].as_str().unwrap().to_string());
            }
            other => panic!("unexpected {other:?} after {lines:?}"),
        }
    }
    assert!(lines[0].starts_with("===== Application Startup at "));
    assert!(lines.iter().any(|l| l.contains("Uvicorn running on http://0.0.0.0:7860")), "{lines:?}");
    // Nothing more: the read times out (the stream stays open).
    assert!(matches!(run.next_item(), SseItem::Error(_)));
}

#[test]
fn broken_projects_end_in_error_stages() {
    // (sdk, what, files, expected stage, text expected in the error message or logs)
    type Case<'a> = (&'a str, &'a str, Vec<(&'a str, &'a [u8])>, &'a str, &'a str);
    let cases: Vec<Case> = vec![
        (
            "docker",
            "no front matter",
            vec![("README.md", b"# just text\n"), ("Dockerfile", b"FROM x\n")],
            "CONFIG_ERROR",
            "front matter",
        ),
        (
            "docker",
            "unknown sdk",
            vec![("README.md", b"---\nsdk: rails\n---\n"), ("Dockerfile", b"FROM x\n")],
            "CONFIG_ERROR",
            "unknown sdk",
        ),
        (
            "docker",
            "bad port",
            vec![("README.md", b"---\nsdk: docker\napp_port: web\n---\n"), ("Dockerfile", b"FROM x\n")],
            "CONFIG_ERROR",
            "app_port",
        ),
        ("gradio", "no app.py", vec![("README.md", b"---\nsdk: gradio\n---\n"), ("main.py", b"x")], "NO_APP_FILE", "app.py"),
        (
            "gradio",
            "custom app_file missing",
            vec![("README.md", b"---\nsdk: gradio\napp_file: ui.py\n---\n"), ("app.py", b"x")],
            "NO_APP_FILE",
            "ui.py",
        ),
        (
            "docker",
            "no Dockerfile",
            vec![("README.md", b"---\nsdk: docker\n---\n"), ("main.py", b"x")],
            "BUILD_ERROR",
            "Dockerfile",
        ),
        ("docker", "only a README", vec![("README.md", b"---\nsdk: docker\n---\n")], "NO_APP_FILE", "Dockerfile"),
        (
            "docker",
            "RUN exit 1",
            vec![("README.md", b"---\nsdk: docker\n---\n"), ("Dockerfile", b"FROM python:3.11\nRUN exit 1\n")],
            "BUILD_ERROR",
            "exit code",
        ),
        (
            "docker",
            "no FROM",
            vec![("README.md", b"---\nsdk: docker\n---\n"), ("Dockerfile", b"RUN echo hi\n")],
            "BUILD_ERROR",
            "FROM",
        ),
        (
            "gradio",
            "bad requirement",
            vec![
                ("README.md", b"---\nsdk: gradio\n---\n"),
                ("app.py", b"import gradio\n"),
                ("requirements.txt", b"EMULATOR_BUILD_ERROR\n"),
            ],
            "BUILD_ERROR",
            "exit code",
        ),
        (
            "gradio",
            "SystemExit",
            vec![("README.md", b"---\nsdk: gradio\n---\n"), ("app.py", b"import os\nraise SystemExit(3)\n")],
            "RUNTIME_ERROR",
            "SystemExit: 3",
        ),
        (
            "docker",
            "runtime marker",
            vec![
                ("README.md", b"---\nsdk: docker\n---\n"),
                ("Dockerfile", b"FROM python:3.11\nCMD python main.py\n"),
                ("main.py", b"# EMULATOR_RUNTIME_ERROR\n"),
            ],
            "RUNTIME_ERROR",
            "EMULATOR_RUNTIME_ERROR",
        ),
    ];
    for (sdk, what, files, stage, needle) in cases {
        let (_emu, c) = start();
        deploy(&c, sdk, &files);
        let rt = c.wait_settled(ID, ALICE);
        assert_eq!(rt["stage"], stage, "{what}: {rt}");
        assert_eq!(rt["hardware"]["current"], serde_json::Value::Null, "{what}");
        let msg = rt["errorMessage"].as_str().unwrap_or_default().to_string();
        let all_logs = [logs(&c, "build"), logs(&c, "run")].concat().join("");
        assert!(msg.contains(needle) || all_logs.contains(needle), "{what}: {needle:?} not in {msg:?} / {all_logs}");
        if stage == "RUNTIME_ERROR" {
            let run = logs(&c, "run");
            assert!(run.iter().any(|l| l.starts_with("Traceback")), "{what}: {run:?}");
        }
        if stage == "BUILD_ERROR" {
            assert!(logs(&c, "build").iter().any(|l| l.contains("ERROR")), "{what}");
        }
    }
}

#[test]
fn build_secret_must_be_set() {
    let (_emu, c) = start();
    let dockerfile = b"FROM python:3.11\nRUN --mount=type=secret,id=HF_TOKEN,mode=0444,required=true pip install x\n";
    deploy(&c, "docker", &[("README.md", b"---\nsdk: docker\n---\n"), ("Dockerfile", dockerfile)]);
    let rt = c.wait_settled(ID, ALICE);
    assert_eq!(rt["stage"], "BUILD_ERROR");
    assert!(logs(&c, "build").iter().any(|l| l.contains("secret HF_TOKEN: not found")));
    c.post(&format!("/api/spaces/{ID}/secrets"), Some(ALICE), &json!({ "key": "HF_TOKEN", "value": "hf_x" })).expect(200);
    c.post(&format!("/api/spaces/{ID}/restart"), Some(ALICE), &json!({})).expect(200);
    assert_eq!(c.wait_settled(ID, ALICE)["stage"], "RUNNING");
}

#[test]
fn stages_move_through_building_with_live_logs() {
    let mut cfg = config();
    cfg.tunables.build_seconds = 1.2;
    let (_emu, c) = start_with(cfg);
    let files = docker_project();
    deploy(&c, "docker", &as_refs(&files));
    assert_eq!(c.runtime(ID, ALICE)["stage"], "BUILDING");
    // Follow the build log while it is written: events keep arriving, then the stream ends with the build.
    let (_, mut r) = c.sse(&format!("/api/spaces/{ID}/logs/build"), Some(ALICE), Duration::from_secs(10));
    let (lines, end) = r.collect_until_end(10_000);
    assert_eq!(end, SseItem::End);
    assert!(lines.last().unwrap().starts_with("DONE"), "{lines:?}");
    assert_eq!(c.wait_settled(ID, ALICE)["stage"], "RUNNING");

    // A new commit to a running Space: RUNNING_BUILDING, the app keeps its hardware until the new one is up.
    c.commit(ALICE, REPO, "main", "update", &[("main.py", b"# v2\n")], &[], None, "").expect(200);
    let rt = c.runtime(ID, ALICE);
    assert_eq!(rt["stage"], "RUNNING_BUILDING");
    assert_eq!(rt["hardware"]["current"], "cpu-basic");
    assert_eq!(c.wait_settled(ID, ALICE)["stage"], "RUNNING");
    // Commits to a PR ref do not build.
    c.commit(ALICE, REPO, "main", "pr", &[("x.txt", b"x")], &[], None, "?create_pr=1").expect(200);
    assert_eq!(c.runtime(ID, ALICE)["stage"], "RUNNING");
}

#[test]
fn pause_restart_hardware_sleep() {
    let (_emu, c) = start();
    let files = docker_project();
    deploy(&c, "docker", &as_refs(&files));
    c.wait_settled(ID, ALICE);
    let build_before = logs(&c, "build");

    let rt = c.post(&format!("/api/spaces/{ID}/pause"), Some(ALICE), &json!({})).expect(200).json();
    assert_eq!(rt["stage"], "PAUSED");
    assert_eq!(rt["hardware"]["current"], serde_json::Value::Null);
    // A commit does not wake a paused Space.
    c.commit(ALICE, REPO, "main", "while paused", &[("notes.txt", b"n")], &[], None, "").expect(200);
    assert_eq!(c.runtime(ID, ALICE)["stage"], "PAUSED");
    c.post(&format!("/api/spaces/{ID}/restart"), Some(ALICE), &json!({})).expect(200);
    assert_eq!(c.wait_settled(ID, ALICE)["stage"], "RUNNING");

    // Plain restart of an up-to-date build: no new build log; factory reboot: a fresh build without cache.
    let build_mid = logs(&c, "build");
    c.post(&format!("/api/spaces/{ID}/restart"), Some(ALICE), &json!({})).expect(200);
    assert_eq!(c.wait_settled(ID, ALICE)["stage"], "RUNNING");
    assert_eq!(logs(&c, "build"), build_mid);
    let rt = c.req("POST", &format!("/api/spaces/{ID}/restart?factory=true"), Some(ALICE), &[], None).expect(200).json();
    assert!(["BUILDING", "RUNNING"].contains(&rt["stage"].as_str().unwrap()));
    assert_eq!(c.wait_settled(ID, ALICE)["stage"], "RUNNING");
    let factory = logs(&c, "build");
    assert!(!factory.iter().any(|l| l == "CACHED\n"), "factory reboot builds without cache");
    assert_ne!(factory, build_before);

    // Hardware: requested shows at once, current once the app is back.
    let rt = c
        .post(&format!("/api/spaces/{ID}/hardware"), Some(ALICE), &json!({ "flavor": "t4-small", "sleepTimeSeconds": 600 }))
        .expect(200)
        .json();
    assert_eq!(rt["hardware"]["requested"], "t4-small");
    assert_eq!(rt["gcTimeout"], 600);
    let rt = c.wait_settled(ID, ALICE);
    assert_eq!(rt["hardware"]["current"], "t4-small");
    c.post(&format!("/api/spaces/{ID}/hardware"), Some(ALICE), &json!({ "flavor": "quantum-9000" }))
        .expect_error(400, "BadRequest");
    let rt = c.post(&format!("/api/spaces/{ID}/sleeptime"), Some(ALICE), &json!({ "seconds": -1 })).expect(200).json();
    assert_eq!(rt["gcTimeout"], -1);
    c.post(&format!("/api/spaces/{ID}/hardware"), Some(ALICE), &json!({ "flavor": "cpu-basic" })).expect(200);
    c.post(&format!("/api/spaces/{ID}/sleeptime"), Some(ALICE), &json!({ "seconds": 600 })).expect_error(400, "BadRequest");

    // Owner only.
    c.post(&format!("/api/spaces/{ID}/pause"), Some(BOB), &json!({})).expect_error(404, "RepoNotFound");
    c.json("PUT", &format!("/api/spaces/{ID}/settings"), Some(ALICE), &json!({ "private": false })).expect(200);
    c.post(&format!("/api/spaces/{ID}/pause"), Some(BOB), &json!({})).expect_error(403, "Forbidden");
    c.post(&format!("/api/spaces/{ID}/restart"), None, &json!({})).expect(401);
}

#[test]
fn static_spaces() {
    let (_emu, c) = start();
    deploy(&c, "static", &[("README.md", b"---\nsdk: static\n---\n"), ("index.html", b"<h1>hi</h1>")]);
    assert_eq!(c.wait_settled(ID, ALICE)["stage"], "RUNNING");
    c.post(&format!("/api/spaces/{ID}/pause"), Some(ALICE), &json!({})).expect_error(400, "BadRequest");
    c.post(&format!("/api/spaces/{ID}/restart"), Some(ALICE), &json!({})).expect_error(400, "BadRequest");
}

#[test]
fn secrets_and_variables() {
    let (_emu, c) = start();
    c.create_space(ALICE, ID, "docker", false).expect(200);
    let s = format!("/api/spaces/{ID}/secrets");
    let v = format!("/api/spaces/{ID}/variables");
    c.post(&s, Some(ALICE), &json!({ "key": "OPENAI_KEY", "value": "sk-123", "description": "llm" })).expect(200);
    c.post(&s, Some(ALICE), &json!({ "key": "OTHER", "value": "x" })).expect(200);
    let list = c.get(&s, Some(ALICE)).expect(200);
    assert!(!list.text().contains("sk-123"));
    let keys: Vec<String> = list.json().as_object().unwrap().keys().cloned().collect();
    assert_eq!(keys, vec!["OPENAI_KEY", "OTHER"]);
    // The control API exposes only a hash of the value.
    let st = c.repo_state(REPO);
    assert_eq!(st["space"]["secrets"]["OPENAI_KEY"]["sha256"], sha256_hex(b"sk-123"));
    c.json("DELETE", &s, Some(ALICE), &json!({ "key": "OTHER" })).expect(200);
    c.json("DELETE", &s, Some(ALICE), &json!({ "key": "NEVER_SET" })).expect(200);
    assert_eq!(c.get(&s, Some(ALICE)).expect(200).json().as_object().unwrap().len(), 1);
    c.post(&s, Some(ALICE), &json!({ "key": "1BAD", "value": "x" })).expect_error(400, "BadRequest");
    c.post(&s, Some(BOB), &json!({ "key": "X", "value": "x" })).expect_error(403, "Forbidden");
    c.get(&s, Some(BOB)).expect_error(403, "Forbidden");

    let all =
        c.post(&v, Some(ALICE), &json!({ "key": "MODEL_ID", "value": "gpt2", "description": "which model" })).expect(200).json();
    assert_eq!(all["MODEL_ID"]["value"], "gpt2");
    assert_eq!(all["MODEL_ID"]["description"], "which model");
    assert!(all["MODEL_ID"]["updatedAt"].is_string());
    c.post(&v, Some(ALICE), &json!({ "key": "MODEL_ID", "value": "gpt3" })).expect(200);
    assert_eq!(c.get(&v, None).expect(200).json()["MODEL_ID"]["value"], "gpt3");
    let after = c.json("DELETE", &v, Some(ALICE), &json!({ "key": "MODEL_ID" })).expect(200).json();
    assert!(after.as_object().unwrap().is_empty());
}

#[test]
fn env_change_restarts_a_running_space() {
    let (_emu, c) = start();
    let files = docker_project();
    deploy(&c, "docker", &as_refs(&files));
    c.wait_settled(ID, ALICE);
    let runs_before = c.repo_state(REPO)["space"]["runLog"].as_array().unwrap().len();
    c.post(&format!("/api/spaces/{ID}/variables"), Some(ALICE), &json!({ "key": "A", "value": "1" })).expect(200);
    assert_eq!(c.wait_settled(ID, ALICE)["stage"], "RUNNING");
    // A new run log: the app started again.
    let (_, mut r) = c.sse(&format!("/api/spaces/{ID}/logs/run"), Some(ALICE), Duration::from_secs(1));
    match r.next_item() {
        SseItem::Data(v) => assert!(v["data"].as_str().unwrap().starts_with("===== Application Startup")),
        other => panic!("{other:?}"),
    }
    assert!(runs_before > 0);
}

#[test]
fn dev_mode_and_volumes() {
    let (_emu, c) = start();
    c.create_space(ALICE, ID, "docker", true).expect(200);
    let rt = c.post(&format!("/api/spaces/{ID}/dev-mode"), Some(ALICE), &json!({ "enabled": true })).expect(200).json();
    assert_eq!(rt["devMode"], true);
    let vols = json!({ "volumes": [{ "type": "bucket", "source": "alice/b", "mountPath": "/data" }] });
    c.json("PUT", &format!("/api/spaces/{ID}/volumes"), Some(ALICE), &vols).expect(200);
    assert_eq!(c.runtime(ID, ALICE)["volumes"][0]["mountPath"], "/data");
    c.req("DELETE", &format!("/api/spaces/{ID}/volumes"), Some(ALICE), &[], None).expect(200);
    c.req("DELETE", &format!("/api/spaces/{ID}/volumes"), Some(ALICE), &[], None).expect_error(400, "BadRequest");
}

#[test]
fn sse_replay_tail_keepalive_and_end() {
    let mut cfg = config();
    cfg.tunables.keepalive_seconds = 0.1;
    let (_emu, c) = start_with(cfg);
    let files = docker_project();
    deploy(&c, "docker", &as_refs(&files));
    c.wait_settled(ID, ALICE);
    let (status, mut r) = c.sse(&format!("/api/spaces/{ID}/logs/run"), Some(ALICE), Duration::from_secs(10));
    assert_eq!(status, 200);
    // Replay.
    let mut replayed = Vec::new();
    loop {
        match r.next_item() {
            SseItem::Data(v) => replayed.push(v["data"].as_str().unwrap().to_string()),
            SseItem::KeepAlive => break,
            other => panic!("{other:?}"),
        }
    }
    assert!(replayed.len() >= 4, "{replayed:?}");
    // Tail: lines appended now arrive on the open stream.
    c.post(&format!("/__emulator/spaces/{ID}/logs"), None, &json!({ "lines": ["GET /health 200", "GET / 200"] })).expect(200);
    let mut tailed = Vec::new();
    for _ in 0..100 {
        match r.next_item() {
            SseItem::Data(v) => {
                tailed.push(v["data"].as_str().unwrap().to_string());
                if tailed.len() == 2 {
                    break;
                }
            }
            SseItem::KeepAlive => {}
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(tailed, vec!["GET /health 200\n", "GET / 200\n"]);
    // A reconnect replays everything, in order, including the tailed lines.
    let (_, mut again) = c.sse(&format!("/api/spaces/{ID}/logs/run"), Some(ALICE), Duration::from_secs(10));
    let mut all = Vec::new();
    while all.len() < replayed.len() + 2 {
        if let SseItem::Data(v) = again.next_item() {
            all.push(v["data"].as_str().unwrap().to_string());
        }
    }
    assert_eq!(all, [replayed.clone(), tailed].concat());
    // Pausing ends the run: open streams end cleanly.
    c.post(&format!("/api/spaces/{ID}/pause"), Some(ALICE), &json!({})).expect(200);
    for _ in 0..1000 {
        match r.next_item() {
            SseItem::KeepAlive => {}
            SseItem::End => return,
            other => panic!("{other:?}"),
        }
    }
    panic!("stream did not end after pause");
}

#[test]
fn jwt_and_logs_host() {
    let (_emu, c) = start();
    let files = docker_project();
    deploy(&c, "docker", &as_refs(&files));
    c.create_space(ALICE, "alice/other", "docker", true).expect(200);
    c.wait_settled(ID, ALICE);
    let j = c.get(&format!("/api/spaces/{ID}/jwt"), Some(ALICE)).expect(200).json();
    let token = j["token"].as_str().unwrap().to_string();
    assert_eq!(token.split('.').count(), 3);
    // `{token}` only: the expiry is inside the JWT's payload.
    assert_eq!(j.as_object().unwrap().keys().collect::<Vec<_>>(), vec!["token"]);
    let payload = token.split('.').nth(1).unwrap();
    let payload: serde_json::Value =
        serde_json::from_slice(&base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, payload).unwrap())
            .unwrap();
    assert!(payload["exp"].as_u64().unwrap() > payload["iat"].as_u64().unwrap());
    c.get(&format!("/api/spaces/{ID}/jwt"), Some(BOB)).expect_error(404, "RepoNotFound");

    let (status, mut r) = c.sse(&format!("/logs-host/v1/{ID}/logs/build"), Some(&token), Duration::from_secs(5));
    assert_eq!(status, 200);
    let (lines, end) = r.collect_until_end(10_000);
    assert_eq!(end, SseItem::End);
    assert_eq!(lines, logs(&c, "build"));
    // The Hub token is not a JWT; a JWT for another Space is refused; no token at all.
    assert_eq!(c.get(&format!("/logs-host/v1/{ID}/logs/run"), Some(ALICE)).status, 401);
    let other = c.get("/api/spaces/alice/other/jwt", Some(ALICE)).expect(200).json()["token"].as_str().unwrap().to_string();
    assert_eq!(c.get(&format!("/logs-host/v1/{ID}/logs/run"), Some(&other)).status, 403);
    assert_eq!(c.get(&format!("/logs-host/v1/{ID}/logs/run"), None).status, 401);
    let mut tampered = token.clone();
    tampered.pop();
    tampered.push(if token.ends_with('A') { 'B' } else { 'A' });
    assert_eq!(c.get(&format!("/logs-host/v1/{ID}/logs/run"), Some(&tampered)).status, 401);
}

#[test]
fn forced_stage_for_client_tests() {
    let (_emu, c) = start();
    c.create_space(ALICE, ID, "docker", true).expect(200);
    c.post(&format!("/__emulator/spaces/{ID}/stage"), None, &json!({ "stage": "BUILDING" })).expect(200);
    // A forced BUILDING never settles by itself (for wait-timeout tests) and its build log can be fed.
    c.post(&format!("/__emulator/spaces/{ID}/logs"), None, &json!({ "lines": ["step 1"], "build": true })).expect(200);
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(c.runtime(ID, ALICE)["stage"], "BUILDING");
    let rt = c
        .post(&format!("/__emulator/spaces/{ID}/stage"), None, &json!({ "stage": "RUNTIME_ERROR", "errorMessage": "boom" }))
        .expect(200)
        .json();
    assert_eq!(rt["errorMessage"], "boom");
    assert_eq!(logs(&c, "build"), vec!["step 1\n"]);
}

#[test]
fn volume_validation_and_static_spaces() {
    let (_emu, c) = start();
    c.create_space(ALICE, ID, "docker", true).expect(200);
    let put =
        |vols: serde_json::Value| c.json("PUT", &format!("/api/spaces/{ID}/volumes"), Some(ALICE), &json!({ "volumes": vols }));
    put(json!([{ "type": "disk", "source": "alice/b", "mountPath": "/d" }])).expect_error(400, "BadRequest");
    put(json!([{ "type": "bucket", "source": "alice/b", "mountPath": "d" }])).expect_error(400, "BadRequest");
    put(json!([{ "type": "bucket", "source": "b", "mountPath": "/d" }])).expect_error(400, "BadRequest");
    put(json!([{ "source": "alice/m", "mountPath": "/d" }, { "type": "bucket", "source": "alice/b", "mountPath": "/d" }]))
        .expect_error(400, "BadRequest");
    assert!(c.runtime(ID, ALICE).get("volumes").is_none(), "nothing stored on error");
    // Repos are forced read-only; buckets default to read-write.
    put(json!([{ "type": "dataset", "source": "alice/d", "mountPath": "/d", "readOnly": false }, { "type": "bucket", "source": "alice/b", "mountPath": "/b" }]))
        .expect(200);
    let rt = c.runtime(ID, ALICE);
    assert_eq!((rt["volumes"][0]["readOnly"].clone(), rt["volumes"][1]["readOnly"].clone()), (json!(true), json!(false)));
    c.json("PUT", &format!("/api/spaces/{ID}/volumes"), Some(BOB), &json!({ "volumes": [] })).expect_error(404, "RepoNotFound");

    c.create_space(ALICE, "alice/site", "static", false).expect(200);
    c.json(
        "PUT",
        "/api/spaces/alice/site/volumes",
        Some(ALICE),
        &json!({ "volumes": [{ "source": "alice/m", "mountPath": "/m" }] }),
    )
    .expect_error(400, "BadRequest");
    c.post("/api/spaces/alice/site/dev-mode", Some(ALICE), &json!({ "enabled": true })).expect_error(400, "BadRequest");
}

/// The commit the build log's banner names (7 hex digits, as on the Hub).
fn banner_commit(c: &Client) -> String {
    let first = logs(c, "build").into_iter().next().unwrap_or_default();
    first.trim_end().trim_end_matches(" =====").rsplit("Commit SHA: ").next().unwrap_or("").to_string()
}

#[test]
fn after_a_commit_the_old_stage_and_build_log_stay_for_the_rebuild_delay() {
    let mut cfg = config();
    cfg.tunables.build_seconds = 0.5;
    let (_emu, c) = start_with(cfg);
    let files = docker_project();
    deploy(&c, "docker", &as_refs(&files));
    let first = c.repo_state(REPO)["sha"].as_str().unwrap().to_string();
    assert_eq!(c.wait_settled(ID, ALICE)["stage"], "RUNNING");
    c.post("/__emulator/config", None, &json!({ "rebuildDelaySeconds": 3 })).expect(200);
    let changed = [("app.py", &b"print('v2')\n"[..])];
    let second = c.commit(ALICE, REPO, "main", "v2", &changed, &[], None, "").expect(200).json()["commitOid"]
        .as_str()
        .unwrap()
        .to_string();
    // Right after the commit: still the previous build's RUNNING and log, as a client polling the Hub sees it.
    assert_eq!(c.runtime(ID, ALICE)["stage"], "RUNNING");
    assert_eq!(banner_commit(&c), first[..7]);
    assert_eq!(c.repo_state(REPO)["space"]["builtSha"], first.as_str());
    // Then the new build shows, and settles with its own log.
    let mut seen = Vec::new();
    for _ in 0..400 {
        let stage = c.runtime(ID, ALICE)["stage"].as_str().unwrap().to_string();
        if seen.last() != Some(&stage) {
            seen.push(stage.clone());
        }
        if seen.len() > 1 && stage == "RUNNING" {
            break;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    assert_eq!(seen, ["RUNNING", "RUNNING_BUILDING", "RUNNING"], "{seen:?}");
    assert_eq!(banner_commit(&c), second[..7]);
}

#[test]
fn readme_only_commits_can_be_made_to_start_no_build() {
    let mut cfg = config();
    cfg.tunables.readme_only_rebuilds = false;
    let (_emu, c) = start_with(cfg);
    let files = docker_project();
    deploy(&c, "docker", &as_refs(&files));
    assert_eq!(c.wait_settled(ID, ALICE)["stage"], "RUNNING");
    let first = c.repo_state(REPO)["sha"].as_str().unwrap().to_string();
    let readme = files.iter().find(|(p, _)| *p == "README.md").unwrap().1.clone();
    let readme = [readme, b"\nMore words.\n".to_vec()].concat();
    c.commit(ALICE, REPO, "main", "docs", &[("README.md", &readme[..])], &[], None, "").expect(200);
    let st = c.repo_state(REPO);
    assert_ne!(st["sha"], first.as_str());
    assert_eq!((st["space"]["builtSha"].as_str(), st["space"]["stage"].as_str()), (Some(first.as_str()), Some("RUNNING")));
    assert_eq!(banner_commit(&c), first[..7]);
    // Any other change still builds.
    c.commit(ALICE, REPO, "main", "code", &[("app.py", &b"print('v2')\n"[..])], &[], None, "").expect(200);
    assert_ne!(c.repo_state(REPO)["space"]["builtSha"], first.as_str());
}
