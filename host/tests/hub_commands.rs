//! `deploy`, `logs`, `secrets` and `space` end to end: the real binary against an in-process hub emulator
//! (one per test, on loopback). Every run's stdout and stderr are checked for the token and secret values.

mod util;

#[path = "../../tests/support/emulator_control.rs"]
mod emulator_control;

use hub_emulator::{Config, Emulator, UserSpec};
use serde_json::{Value, json};
use util::{Dir, Run};

const TOKEN: &str = "hf_alice_Sup3rSecretTokenXYZ";
const BOB_TOKEN: &str = "hf_bob_An0therSecretTokenXYZ";
/// A secret value used in tests: must never be printed either.
const SECRET_VALUE: &str = "s3cr3t-value-never-printed";

struct Hub {
    _emu: Emulator,
    url: String,
    dir: Dir,
}

impl Hub {
    fn start() -> Hub {
        let mut c = Config::with_user("alice", TOKEN);
        c.users.push(UserSpec { name: "bob".into(), token: BOB_TOKEN.into(), pro: true });
        c.tunables.build_seconds = 0.2;
        let emu = Emulator::spawn(c).expect("emulator starts");
        Hub { url: emu.url(), _emu: emu, dir: Dir::new() }
    }

    /// The binary with the Hub's endpoint and alice's token, and no other token source.
    fn cmd_with_token(&self, args: &[&str], token: Option<&str>) -> util::TestCommand {
        let mut c = self.dir.cmd(args);
        for k in ["HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_TOKEN_PATH", "HUGGINGFACE_CO_STAGING", "API_TOKEN"] {
            c.cmd.env_remove(k);
        }
        c = c.env("HF_ENDPOINT", &self.url).env("HF_HOME", self.dir.join("hf-home"));
        if let Some(t) = token {
            c = c.env("HF_TOKEN", t);
        }
        c
    }

    /// Runs, requires `code`, and checks that no token or secret value was printed.
    #[track_caller]
    fn run(&self, args: &[&str], code: i32) -> Run {
        clean(self.cmd_with_token(args, Some(TOKEN)).expect(code))
    }

    fn control(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        emulator_control::control(&self.url, method, path, body)
    }

    fn repo(&self, id: &str) -> Value {
        emulator_control::repo(&self.url, id)
    }

    fn requests(&self) -> Vec<Value> {
        emulator_control::requests(&self.url)
    }

    fn clear_requests(&self) {
        emulator_control::clear_requests(&self.url);
    }

    fn fault(&self, rule: Value) {
        emulator_control::fault(&self.url, rule);
    }

    fn files(&self, id: &str) -> Vec<String> {
        let r = self.repo(id);
        let mut f: Vec<String> = r["files"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap().to_string()).collect();
        f.sort();
        f
    }

    /// `spacesmith new DIR --sdk SDK` then a first deploy without waiting.
    fn scaffold_and_deploy(&self, dir: &str, sdk: &str, space: &str) -> Value {
        self.run(&["new", dir, "--sdk", sdk], 0);
        self.run(&["deploy", dir, "--space", space, "--no-wait", "--json"], 0).json()
    }
}

#[track_caller]
fn clean(run: Run) -> Run {
    for needle in [TOKEN, BOB_TOKEN, SECRET_VALUE] {
        assert!(!run.stdout.contains(needle), "stdout contains a secret:\n{}", run.stdout);
        assert!(!run.stderr.contains(needle), "stderr contains a secret:\n{}", run.stderr);
    }
    run
}

fn paths(v: &Value) -> Vec<String> {
    v.as_array().unwrap().iter().map(|p| p.as_str().unwrap().to_string()).collect()
}

// ---------- deploy ----------

#[test]
fn deploy_of_each_sdk_scaffold_ends_running() {
    let hub = Hub::start();
    for (name, sdk, options) in [
        ("docker", "docker", &[][..]),
        ("gradio", "gradio", &[]),
        ("streamlit", "streamlit", &[]),
        ("static", "static", &[]),
        // Its app_file (dist/index.html) comes from the Hub's build job, not from the upload.
        ("vite", "static", &["--bundler", "vite"]),
    ] {
        let dir = format!("{name}-app");
        let space = format!("alice/{name}-app");
        let mut new = vec!["new", dir.as_str(), "--sdk", sdk];
        new.extend_from_slice(options);
        hub.run(&new, 0);
        let run = hub.run(&["deploy", &dir, "--space", &space, "--json"], 0);
        let v = run.json();
        assert_eq!(v["success"], true, "{}", run.stderr);
        assert_eq!(v["outcome_code"], "RUNNING", "{}", run.stderr);
        assert_eq!(v["created"], true);
        assert!(run.stderr.contains("── RUNNING ──"), "{}", run.stderr);
        let repo = hub.repo(&space);
        assert_eq!(repo["private"], true, "private by default");
        assert_eq!(repo["space"]["stage"], "RUNNING");
        let local = util::files(&hub.dir.join(&dir));
        let remote = hub.files(&space);
        for f in &local {
            assert!(remote.contains(f), "{f} not uploaded: {remote:?}");
        }
        assert_eq!(v["commit"]["commitOid"], repo["sha"]);
    }
    // The build log streamed live during the docker deploy.
    let v = hub.run(&["deploy", "docker-app", "--space", "alice/docker-app", "--json"], 0).json();
    assert_eq!(v["upload"]["commit"], Value::Null, "nothing changed, nothing committed");
}

#[test]
fn creation_carries_settings_secrets_and_variables_before_the_first_upload() {
    let hub = Hub::start();
    hub.run(&["new", "app", "--sdk", "docker"], 0);
    let run = clean(
        hub.cmd_with_token(
            &[
                "deploy",
                "app",
                "--space",
                "alice/app",
                "--secret",
                "API_TOKEN",
                "--variable",
                "MODE=demo",
                "--hardware",
                "cpu-upgrade",
                "--sleep-time",
                "1h",
                "--public",
                "--no-wait",
                "--json",
            ],
            Some(TOKEN),
        )
        .env("API_TOKEN", SECRET_VALUE)
        .expect(0),
    );
    let v = run.json();
    let api = v["secrets"].as_array().unwrap().iter().find(|s| s["name"] == "API_TOKEN").unwrap().clone();
    assert_eq!(api["set"], true);
    let repo = hub.repo("alice/app");
    assert_eq!(repo["private"], false);
    assert_eq!(repo["space"]["hardware"], "cpu-upgrade");
    assert_eq!(repo["space"]["sleepTime"], 3600);
    assert_eq!(repo["space"]["variables"]["MODE"], "demo");
    assert!(repo["space"]["secrets"]["API_TOKEN"].is_object());
    // Created (with its settings) before the commit, and no separate secret call.
    let reqs = hub.requests();
    let pos = |p: &str| reqs.iter().position(|r| r["path"].as_str().unwrap().contains(p));
    assert!(pos("/api/repos/create").unwrap() < pos("/commit/").unwrap());
    assert!(!reqs.iter().any(|r| r["path"].as_str().unwrap().ends_with("/secrets") && r["method"] == "POST"));
}

#[test]
fn redeploy_sends_only_the_changed_file() {
    let hub = Hub::start();
    hub.scaffold_and_deploy("app", "docker", "alice/app");
    let app = util::files(&hub.dir.join("app")).into_iter().find(|f| f.ends_with(".py")).expect("a python file");
    let path = hub.dir.join("app").join(&app);
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str("\n# changed\n");
    std::fs::write(&path, &text).unwrap();
    hub.clear_requests();
    let v = hub.run(&["deploy", "app", "--space", "alice/app", "--no-wait", "--json"], 0).json();
    assert_eq!(paths(&v["plan"]["changed"]), [app]);
    assert!(paths(&v["plan"]["added"]).is_empty() && paths(&v["plan"]["deleted"]).is_empty());
    let reqs = hub.requests();
    let commits: Vec<&Value> = reqs.iter().filter(|r| r["path"].as_str().unwrap().contains("/commit/")).collect();
    assert_eq!(commits.len(), 1);
    let sent: u64 = reqs.iter().map(|r| r["bytesReceived"].as_u64().unwrap_or(0)).sum();
    // base64 of the file plus the NDJSON header and the preupload sample: well under file + 10 KiB.
    assert!(sent <= text.len() as u64 * 4 / 3 + 10 * 1024, "sent {sent} bytes for a {}-byte file", text.len());
    assert!(!reqs.iter().any(|r| r["path"].as_str().unwrap().starts_with("/__lfs")));
}

#[test]
fn deletes_propagate_unless_no_delete() {
    let hub = Hub::start();
    hub.run(&["new", "app", "--sdk", "gradio"], 0);
    hub.dir.write("app/extra.txt", "extra\n");
    hub.run(&["deploy", "app", "--space", "alice/app", "--no-wait"], 0);
    assert!(hub.files("alice/app").contains(&"extra.txt".to_string()));
    std::fs::remove_file(hub.dir.join("app/extra.txt")).unwrap();
    let v = hub.run(&["deploy", "app", "--space", "alice/app", "--no-wait", "--no-delete", "--json"], 0).json();
    assert!(paths(&v["plan"]["deleted"]).is_empty());
    assert!(hub.files("alice/app").contains(&"extra.txt".to_string()));
    let v = hub.run(&["deploy", "app", "--space", "alice/app", "--no-wait", "--json"], 0).json();
    assert_eq!(paths(&v["plan"]["deleted"]), ["extra.txt"]);
    let files = hub.files("alice/app");
    assert!(!files.contains(&"extra.txt".to_string()) && files.contains(&".gitattributes".to_string()), "{files:?}");
}

#[test]
fn gitignored_files_and_git_dir_are_never_sent() {
    let hub = Hub::start();
    hub.run(&["new", "app", "--sdk", "gradio"], 0);
    hub.dir.write("app/.git/HEAD", "ref: refs/heads/main\n");
    hub.dir.write("app/.gitignore", "secret.log\n");
    hub.dir.write("app/secret.log", "nope\n");
    hub.run(&["deploy", "app", "--space", "alice/app", "--no-wait"], 0);
    let files = hub.files("alice/app");
    assert!(!files.iter().any(|f| f.starts_with(".git/") || f == "secret.log"), "{files:?}");
}

#[test]
fn a_broken_project_is_refused_then_fails_with_the_build_log_tail() {
    let hub = Hub::start();
    hub.run(&["new", "app", "--sdk", "docker"], 0);
    std::fs::remove_file(hub.dir.join("app/Dockerfile")).unwrap();
    let run = hub.run(&["deploy", "app", "--space", "alice/broken"], 1);
    assert!(run.stderr.contains("missing-dockerfile") && run.stderr.contains("--force"), "{}", run.stderr);
    assert_eq!(hub.repo("alice/broken"), Value::Null, "nothing was created");
    let v = hub.run(&["deploy", "app", "--space", "alice/broken", "--json"], 1).json();
    assert_eq!(v["error_code"], "VALIDATION_FAILED");

    let run = hub.run(&["deploy", "app", "--space", "alice/broken", "--force", "--json"], 1);
    let v = run.json();
    assert_eq!(v["outcome_code"], "BUILD_ERROR");
    assert_eq!(v["success"], false);
    assert!(!v["outcome"]["tail"].as_array().unwrap().is_empty());
    assert!(run.stderr.contains("Last") && run.stderr.contains("lines of the build log"), "{}", run.stderr);
}

#[test]
fn a_build_that_never_settles_times_out_with_exit_5() {
    let hub = Hub::start();
    hub.scaffold_and_deploy("app", "docker", "alice/app");
    hub.control("POST", "spaces/alice/app/stage", Some(json!({ "stage": "BUILDING" })));
    let run = hub.run(&["deploy", "app", "--space", "alice/app", "--timeout", "1s", "--json"], 5);
    assert_eq!(run.json()["outcome_code"], "TIMEOUT");
    assert!(run.stderr.contains("still BUILDING"), "{}", run.stderr);
}

#[test]
fn dry_run_changes_nothing() {
    let hub = Hub::start();
    hub.run(&["new", "app", "--sdk", "docker"], 0);
    hub.clear_requests();
    let run = hub.run(&["deploy", "app", "--space", "alice/app", "--dry-run", "--hardware", "t4-small", "--json"], 0);
    let v = run.json();
    assert_eq!((v["dry_run"].clone(), v["created"].clone()), (json!(true), json!(true)));
    assert!(paths(&v["plan"]["added"]).contains(&"Dockerfile".to_string()));
    assert_eq!(hub.repo("alice/app"), Value::Null);
    assert!(hub.requests().iter().all(|r| r["method"] == "GET"), "{:?}", hub.requests());
    let run = hub.run(&["deploy", "app", "--space", "alice/app", "--dry-run"], 0);
    assert!(run.stderr.contains("Would create private Space alice/app") && run.stderr.contains("nothing was changed"));

    hub.run(&["deploy", "app", "--space", "alice/app", "--no-wait"], 0);
    let sha = hub.repo("alice/app")["sha"].clone();
    hub.dir.write("app/new.txt", "new\n");
    hub.clear_requests();
    let v = hub.run(&["deploy", "app", "--space", "alice/app", "--dry-run", "--json"], 0).json();
    assert_eq!(paths(&v["plan"]["added"]), ["new.txt"]);
    assert_eq!(hub.repo("alice/app")["sha"], sha);
    assert!(hub.requests().iter().all(|r| r["method"] == "GET"));
}

#[test]
fn retries_survive_429_503_and_dropped_uploads() {
    let hub = Hub::start();
    hub.run(&["new", "app", "--sdk", "docker"], 0);
    // A binary file goes through LFS, so the dropped connection hits a real upload.
    hub.dir.write("app/model.bin", [0u8, 1, 2, 3].repeat(50_000));
    hub.fault(json!({ "kind": "status", "status": 429, "count": 1, "path": "/api/spaces/*/preupload/*", "retryAfter": 1 }));
    hub.fault(json!({ "kind": "status", "status": 503, "count": 1, "method": "GET", "path": "/api/spaces/*/tree/*" }));
    hub.fault(json!({ "kind": "drop", "path": "/__lfs/upload/*", "afterBytes": 65536 }));
    let v = hub.run(&["deploy", "app", "--space", "alice/app", "--no-wait", "--json"], 0).json();
    assert_eq!(v["upload"]["lfs_files"], 1);
    let reqs = hub.requests();
    assert!(reqs.iter().any(|r| r["status"] == 429) && reqs.iter().any(|r| r["status"] == 503));
    assert!(reqs.iter().any(|r| r["dropped"] == true));
    assert!(hub.files("alice/app").contains(&"model.bin".to_string()));

    // A commit cut off mid-body is not repeated blindly and leaves nothing half-done.
    let before = hub.repo("alice/app");
    hub.dir.write("app/more.txt", "more\n");
    std::fs::remove_file(hub.dir.join("app/model.bin")).unwrap();
    hub.fault(json!({ "kind": "drop", "path": "/api/spaces/*/commit/*" }));
    let v = hub.run(&["deploy", "app", "--space", "alice/app", "--no-wait", "--json"], 4).json();
    assert_eq!(v["error_code"], "NETWORK_ERROR");
    let after = hub.repo("alice/app");
    assert_eq!((after["sha"].clone(), after["files"].clone()), (before["sha"].clone(), before["files"].clone()));
    hub.run(&["deploy", "app", "--space", "alice/app", "--no-wait"], 0);
    let files = hub.files("alice/app");
    assert!(files.contains(&"more.txt".to_string()) && !files.contains(&"model.bin".to_string()));
}

// ---------- errors ----------

#[test]
fn errors_have_the_right_exit_codes_and_messages() {
    let hub = Hub::start();
    hub.run(&["new", "app", "--sdk", "gradio"], 0);
    let bad =
        clean(hub.cmd_with_token(&["deploy", "app", "--space", "alice/app", "--json"], Some("hf_wrong_token_123")).expect(3));
    assert_eq!(bad.json()["error_code"], "BAD_TOKEN");
    assert!(!bad.stderr.contains("hf_wrong_token_123"), "{}", bad.stderr);
    let none = clean(hub.cmd_with_token(&["space", "status", "alice/app"], None).expect(3));
    assert!(none.stderr.contains("HF_TOKEN") && none.stderr.contains("hf-home"), "{}", none.stderr);

    let v = hub.run(&["space", "status", "alice/nope", "--json"], 2).json();
    assert_eq!(v["error_code"], "SPACE_NOT_FOUND");
    let v = hub.run(&["deploy", "app", "--space", "not a space", "--json"], 2).json();
    assert_eq!(v["error_code"], "INVALID_SPACE_ID");
    hub.run(&["logs", "alice/a/b"], 2);
    let run = hub.run(&["deploy", "app", "--space", "alice/app", "--hardware", "t4-smal"], 2);
    assert!(run.stderr.contains("Did you mean `t4-small`?"), "{}", run.stderr);
    let run = hub.run(&["deploy", "app", "--space", "alice/app", "--secret", "NOT_IN_ENV"], 2);
    assert!(run.stderr.contains("NOT_IN_ENV"), "{}", run.stderr);
    // Another user's namespace: permission, not a crash.
    let run = hub.run(&["deploy", "app", "--space", "bob/app", "--no-wait", "--json"], 3);
    assert_eq!(run.json()["error_code"], "NO_PERMISSION");
}

// ---------- logs ----------

fn log_lines(run: &Run) -> Vec<String> {
    run.stdout.lines().map(str::to_string).collect()
}

#[test]
fn logs_follow_reconnects_across_a_cut_stream_without_repeats() {
    let hub = Hub::start();
    hub.run(&["new", "app", "--sdk", "docker"], 0);
    hub.run(&["deploy", "app", "--space", "alice/app"], 0);
    let all = log_lines(&hub.run(&["logs", "alice/app", "--build"], 0));
    assert!(all.len() > 5, "{all:?}");
    assert!(all[0].starts_with("20"), "timestamps first: {}", all[0]);

    hub.fault(json!({ "kind": "sse_cut", "path": "/api/spaces/alice/app/logs/build", "afterEvents": 3, "count": 2 }));
    let followed = log_lines(&hub.run(&["logs", "alice/app", "--build", "--follow"], 0));
    assert_eq!(followed, all, "every line exactly once");
    assert!(hub.requests().iter().filter(|r| r["path"] == "/api/spaces/alice/app/logs/build").count() >= 3);

    // The JWT route and JSON lines.
    let run = hub.run(&["logs", "alice/app", "--build", "--jwt", "--json"], 0);
    let lines: Vec<Value> = run.stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), all.len());
    assert!(lines[0]["timestamp"].is_string() && lines[0]["line"].is_string());
    let tail = log_lines(&hub.run(&["logs", "alice/app", "--build", "--tail", "2"], 0));
    assert_eq!(tail, all[all.len() - 2..]);
    let run_log = log_lines(&hub.run(&["logs", "alice/app"], 0));
    assert!(!run_log.is_empty());
}

// ---------- secrets ----------

#[test]
fn secrets_lists_needed_set_missing_and_sets_without_echo() {
    let hub = Hub::start();
    hub.run(&["new", "app", "--sdk", "docker", "--from-git", "https://example.com/a/b.git"], 0);
    hub.dir.write("app/extra.py", "import os\nKEY = os.environ[\"OPENAI_API_KEY\"]\nPORT = os.getenv(\"PORT\", \"1\")\n");
    hub.run(&["deploy", "app", "--space", "alice/app", "--no-wait"], 0);
    let v = hub.run(&["secrets", "app", "--space", "alice/app", "--json"], 0).json();
    assert_eq!(paths(&v["missing"]), ["GIT_TOKEN", "OPENAI_API_KEY"]);
    let git = v["needed"].as_array().unwrap().iter().find(|s| s["name"] == "GIT_TOKEN").unwrap().clone();
    assert_eq!((git["stage"].clone(), git["required"].clone()), (json!("build"), json!(false)));
    let run = hub.run(&["secrets", "app", "--space", "alice/app"], 0);
    assert!(
        run.stderr.contains("missing: GIT_TOKEN, OPENAI_API_KEY") && run.stderr.contains("--set GIT_TOKEN"),
        "{}",
        run.stderr
    );

    let run = clean(
        hub.cmd_with_token(&["secrets", "app", "--space", "alice/app", "--set", "OPENAI_API_KEY"], Some(TOKEN))
            .env("OPENAI_API_KEY", SECRET_VALUE)
            .expect(0),
    );
    assert!(run.stderr.contains("Set on alice/app: OPENAI_API_KEY"), "{}", run.stderr);
    hub.dir.write("vals.env", format!("# build secret\nexport GIT_TOKEN=\"{SECRET_VALUE}\"\n"));
    let v = hub.run(&["secrets", "app", "--space", "alice/app", "--from", "vals.env", "--json"], 0).json();
    assert!(paths(&v["missing"]).is_empty(), "{v}");
    assert_eq!(paths(&v["updated"]), ["GIT_TOKEN"]);
    let secrets = &hub.repo("alice/app")["space"]["secrets"];
    let sha = |k: &str| secrets[k]["sha256"].as_str().unwrap().to_string();
    assert_eq!(sha("OPENAI_API_KEY"), sha("GIT_TOKEN"), "both hold SECRET_VALUE");

    // Deploy's notices now say they are set.
    let run = hub.run(&["deploy", "app", "--space", "alice/app", "--no-wait"], 0);
    assert!(run.stderr.contains("Secrets this Space needs") && !run.stderr.contains("NOT SET"), "{}", run.stderr);
}

#[test]
fn secrets_found_in_each_scaffold_match_what_new_declares() {
    let hub = Hub::start();
    let variants: [&[&str]; 5] = [
        &["--sdk", "docker"],
        &["--sdk", "docker", "--from-git", "https://example.com/a/b.git"],
        &["--sdk", "docker", "--no-fastapi"],
        &["--sdk", "gradio", "--api"],
        &["--sdk", "streamlit"],
    ];
    for (i, v) in variants.iter().enumerate() {
        let dir = format!("p{i}");
        let mut args = vec!["new", dir.as_str()];
        args.extend_from_slice(v);
        args.push("--json");
        let declared = hub.run(&args, 0).json()["secrets"].clone();
        let space = format!("alice/p{i}");
        hub.run(&["deploy", &dir, "--space", &space, "--no-wait"], 0);
        let found = hub.run(&["secrets", &dir, "--space", &space, "--json"], 0).json()["needed"].clone();
        let key = |v: &Value| -> Vec<(String, String, bool)> {
            v.as_array()
                .unwrap()
                .iter()
                .map(|s| {
                    (s["name"].as_str().unwrap().into(), s["stage"].as_str().unwrap().into(), s["required"].as_bool().unwrap())
                })
                .collect()
        };
        assert_eq!(key(&found), key(&declared), "{v:?}");
    }
}

// ---------- space ----------

#[test]
fn space_status_pause_restart_hardware_sleep_delete() {
    let hub = Hub::start();
    hub.run(&["new", "app", "--sdk", "docker"], 0);
    hub.run(&["deploy", "app", "--space", "alice/app"], 0);
    let v = hub.run(&["space", "status", "alice/app", "--json"], 0).json();
    assert_eq!((v["runtime"]["stage"].clone(), v["private"].clone()), (json!("RUNNING"), json!(true)));
    let run = hub.run(&["space", "status", "alice/app"], 0);
    assert!(run.stderr.contains("RUNNING") && run.stderr.contains("private"), "{}", run.stderr);

    let v = hub.run(&["space", "pause", "alice/app", "--json"], 0).json();
    assert_eq!(v["runtime"]["stage"], "PAUSED");
    hub.run(&["space", "restart", "alice/app"], 0);
    assert_ne!(hub.repo("alice/app")["space"]["stage"], "PAUSED");
    hub.run(&["space", "restart", "alice/app", "--factory", "--json"], 0);
    let v = hub.run(&["space", "hardware", "alice/app", "cpu-upgrade", "--json"], 0).json();
    assert_eq!(v["runtime"]["hardware"]["requested"], "cpu-upgrade");
    let run = hub.run(&["space", "hardware", "alice/app", "cpu-upgrad"], 2);
    assert!(run.stderr.contains("Did you mean `cpu-upgrade`?"), "{}", run.stderr);
    hub.run(&["space", "sleep", "alice/app", "2h"], 0);
    assert_eq!(hub.repo("alice/app")["space"]["sleepTime"], 7200);
    hub.run(&["space", "sleep", "alice/app", "never"], 0);
    assert_eq!(hub.repo("alice/app")["space"]["sleepTime"], -1);

    let v = hub.run(&["space", "delete", "alice/app", "--json"], 2).json();
    assert_eq!(v["error_code"], "CONFIRMATION_REQUIRED");
    assert!(hub.repo("alice/app").is_object());
    hub.run(&["space", "delete", "alice/app", "--yes"], 0);
    assert_eq!(hub.repo("alice/app"), Value::Null);
}
