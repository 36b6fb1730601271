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
        for k in [
            "HF_TOKEN",
            "HUGGING_FACE_HUB_TOKEN",
            "HF_TOKEN_PATH",
            "HUGGINGFACE_CO_STAGING",
            "API_TOKEN",
            "HF_OIDC_RESOURCE",
            "HF_OIDC_ID_TOKEN",
        ] {
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

/// Commits `path` with `text` to `space` through the Hub API, as the web UI or another tool would.
fn upload_through_api(hub: &Hub, space: &str, path: &str, text: &str) {
    let header = json!({ "key": "header", "value": { "summary": format!("Upload {path}"), "description": "" } });
    let file = json!({ "key": "file", "value": { "path": path, "content": text, "encoding": "utf-8" } });
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let mut resp = agent
        .post(format!("{}/api/spaces/{space}/commit/main", hub.url))
        .header("authorization", format!("Bearer {TOKEN}"))
        .header("content-type", "application/x-ndjson")
        .send(format!("{header}\n{file}\n"))
        .expect("commit");
    let body = resp.body_mut().read_to_string().unwrap();
    assert_eq!(resp.status().as_u16(), 200, "{body}");
}

#[test]
fn remote_files_the_project_ignores_are_kept_unless_delete_ignored() {
    let hub = Hub::start();
    hub.run(&["new", "app", "--sdk", "gradio"], 0);
    hub.dir.write("app/.gitignore", "models/\n*.log\n");
    hub.run(&["deploy", "app", "--space", "alice/app", "--no-wait"], 0);
    // A model added outside this project (web UI, API), ignored locally; and a file that is simply gone.
    upload_through_api(&hub, "alice/app", "models/model.safetensors", "weights");
    upload_through_api(&hub, "alice/app", "stale.txt", "old");
    let has = |p: &str| hub.files("alice/app").contains(&p.to_string());

    // The dry run shows both lists (its result, on stdout) and changes nothing.
    let run = hub.run(&["deploy", "app", "--space", "alice/app", "--dry-run"], 0);
    assert!(run.stdout.contains("- stale.txt"), "{}", run.stdout);
    assert!(run.stdout.contains("models/model.safetensors") && run.stdout.contains("--delete-ignored"), "{}", run.stdout);
    let v = hub.run(&["deploy", "app", "--space", "alice/app", "--dry-run", "--json"], 0).json();
    assert_eq!(paths(&v["plan"]["deleted"]), ["stale.txt"]);
    assert_eq!(paths(&v["plan"]["kept_ignored"]), ["models/model.safetensors"]);
    let v = hub.run(&["deploy", "app", "--space", "alice/app", "--dry-run", "--delete-ignored", "--json"], 0).json();
    assert_eq!(paths(&v["plan"]["deleted"]), ["models/model.safetensors", "stale.txt"]);
    assert!(paths(&v["plan"]["kept_ignored"]).is_empty());
    assert!(has("models/model.safetensors") && has("stale.txt"));

    // A deploy keeps the ignored model and deletes the stale file.
    let v = hub.run(&["deploy", "app", "--space", "alice/app", "--no-wait", "--json"], 0).json();
    assert_eq!(paths(&v["plan"]["deleted"]), ["stale.txt"]);
    assert_eq!(paths(&v["plan"]["kept_ignored"]), ["models/model.safetensors"]);
    assert!(has("models/model.safetensors") && !has("stale.txt"));

    // --no-delete and --delete-ignored contradict each other.
    hub.run(&["deploy", "app", "--space", "alice/app", "--no-wait", "--no-delete", "--delete-ignored"], 2);
    // Asked explicitly, it goes.
    let v = hub.run(&["deploy", "app", "--space", "alice/app", "--no-wait", "--delete-ignored", "--json"], 0).json();
    assert_eq!(paths(&v["plan"]["deleted"]), ["models/model.safetensors"]);
    assert!(!has("models/model.safetensors") && has("app.py"));
}

const LFS_POINTER: &str = "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n";

#[test]
fn git_lfs_pointer_files_are_refused_before_anything_is_created() {
    let hub = Hub::start();
    hub.run(&["new", "app", "--sdk", "gradio"], 0);
    hub.dir.write("app/model.bin", LFS_POINTER);
    hub.clear_requests();
    let run = hub.run(&["deploy", "app", "--space", "alice/app", "--no-wait"], 2);
    assert!(run.stderr.contains("model.bin") && run.stderr.contains("Git LFS pointer"), "{}", run.stderr);
    assert!(run.stderr.contains("git lfs install && git lfs pull") && run.stderr.contains("lfs: true"), "{}", run.stderr);
    assert_eq!(hub.repo("alice/app"), Value::Null, "nothing was created");
    assert!(hub.requests().is_empty(), "{:?}", hub.requests());
    let v = hub.run(&["deploy", "app", "--space", "alice/app", "--dry-run", "--json"], 2).json();
    assert_eq!(v["error_code"], "LFS_POINTER_FILES");
    // With the content fetched, the deploy goes through.
    hub.dir.write("app/model.bin", "real content\n");
    hub.run(&["deploy", "app", "--space", "alice/app", "--no-wait"], 0);
    assert!(hub.files("alice/app").contains(&"model.bin".to_string()));
}

#[test]
fn deploy_from_github_actions_by_trusted_publishing() {
    use hub_emulator::oidc_issuer::FakeOidcIssuer;
    let hub = Hub::start();
    hub.scaffold_and_deploy("app", "gradio", "alice/app");
    let job = json!({ "repository": "acme/app", "ref": "refs/heads/main", "workflow": "Deploy Space" });
    let issuer = FakeOidcIssuer::start(job.clone()).unwrap();
    let publisher = json!({ "resource": "spaces/alice/app", "issuer": issuer.url(), "jwks": issuer.jwks(), "claims": job });
    hub.control("POST", "trusted-publishers", Some(publisher));
    let in_actions = |issuer: &FakeOidcIssuer, args: &[&str]| {
        hub.cmd_with_token(args, None)
            .env("GITHUB_ACTIONS", "true")
            .env("ACTIONS_ID_TOKEN_REQUEST_URL", issuer.request_url())
            .env("ACTIONS_ID_TOKEN_REQUEST_TOKEN", issuer.request_token())
            .env("HF_OIDC_RESOURCE", "spaces/alice/app")
    };
    hub.dir.write("app/notes.txt", "from CI\n");
    hub.clear_requests();
    let run = clean(in_actions(&issuer, &["deploy", "app", "--space", "alice/app", "--no-wait", "--json"]).expect(0));
    assert_eq!(paths(&run.json()["plan"]["added"]), ["notes.txt"]);
    assert!(hub.files("alice/app").contains(&"notes.txt".to_string()));
    assert_eq!(issuer.audiences(), std::slice::from_ref(&hub.url));
    let reqs = hub.requests();
    assert_eq!(reqs.iter().filter(|r| r["path"] == "/oauth/token").count(), 1, "{reqs:?}");
    let commit = reqs.iter().find(|r| r["path"].as_str().unwrap().contains("/commit/")).unwrap();
    assert_eq!(commit["user"], "alice");
    for text in [&run.stdout, &run.stderr] {
        assert!(!text.contains("hf_jwt_") && !text.contains(issuer.request_token()), "{text}");
    }

    // A job the Space does not trust: exit 3 with what to do, and nothing uploaded.
    let stranger = FakeOidcIssuer::start(json!({ "repository": "someone/fork" })).unwrap();
    hub.dir.write("app/notes.txt", "changed\n");
    let sha = hub.repo("alice/app")["sha"].clone();
    let run = clean(in_actions(&stranger, &["deploy", "app", "--space", "alice/app", "--no-wait"]).expect(3));
    assert!(run.stderr.contains("Trusted Publisher") && run.stderr.contains("HF_OIDC_RESOURCE"), "{}", run.stderr);
    let v = clean(in_actions(&stranger, &["deploy", "app", "--space", "alice/app", "--no-wait", "--json"]).expect(3)).json();
    assert_eq!(v["error_code"], "OIDC_EXCHANGE_FAILED");
    assert_eq!(hub.repo("alice/app")["sha"], sha);
}

#[test]
fn an_hf_auth_login_token_is_refreshed_before_a_deploy() {
    let hub = Hub::start();
    let login = hub.control("POST", "oauth/logins", Some(json!({ "user": "alice", "expiresIn": 600 })));
    let (access, refresh) = (login["accessToken"].as_str().unwrap(), login["refreshToken"].as_str().unwrap());
    let expires_at = login["expiresAt"].as_i64().unwrap();
    hub.dir.write("hf-home/token", access);
    hub.dir.write(
        "hf-home/stored_tokens",
        format!("[login]\nhf_token = {access}\nrefresh_token = {refresh}\nexpires_at = {expires_at}\n\n"),
    );
    hub.run(&["new", "app", "--sdk", "gradio"], 0);
    let run = clean(hub.cmd_with_token(&["deploy", "app", "--space", "alice/app", "--no-wait"], None).expect(0));
    assert!(run.stderr.contains("Refreshed the Hugging Face access token `login`"), "{}", run.stderr);
    let new = std::fs::read_to_string(hub.dir.join("hf-home/token")).unwrap();
    assert!(new.starts_with("hf_oauth_") && new != access);
    assert!(!run.stderr.contains(&new) && !run.stderr.contains(access) && !run.stderr.contains(refresh));
    assert_eq!(hub.repo("alice/app")["owner"], "alice");

    // Revoked and expired: the deploy fails with exit 3 and says to log in again.
    let stored = std::fs::read_to_string(hub.dir.join("hf-home/stored_tokens")).unwrap();
    let rotated = stored.lines().find_map(|l| l.strip_prefix("refresh_token = ")).unwrap().to_string();
    hub.control("POST", "oauth/revoke", Some(json!({ "refreshToken": rotated })));
    let expired = hub.control("POST", "oauth/logins", Some(json!({ "user": "alice", "expiresIn": -60 })));
    let old = expired["accessToken"].as_str().unwrap();
    hub.dir.write("hf-home/token", old);
    hub.dir.write(
        "hf-home/stored_tokens",
        format!("[login]\nhf_token = {old}\nrefresh_token = {rotated}\nexpires_at = {}\n\n", expired["expiresAt"]),
    );
    let run = clean(hub.cmd_with_token(&["deploy", "app", "--space", "alice/app", "--no-wait"], None).expect(3));
    assert!(run.stderr.contains("expired") && run.stderr.contains("hf auth login"), "{}", run.stderr);
    assert!(!run.stderr.contains(old), "{}", run.stderr);
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
    assert!(run.stdout.contains("Would create private Space alice/app") && run.stdout.contains("nothing was changed"));
    assert!(run.stdout.contains("+ Dockerfile"), "the plan is the dry run's result: {}", run.stdout);

    hub.run(&["deploy", "app", "--space", "alice/app", "--no-wait"], 0);
    let sha = hub.repo("alice/app")["sha"].clone();
    hub.dir.write("app/new.txt", "new\n");
    hub.clear_requests();
    let v = hub.run(&["deploy", "app", "--space", "alice/app", "--dry-run", "--json"], 0).json();
    assert_eq!(paths(&v["plan"]["added"]), ["new.txt"]);
    assert_eq!(hub.repo("alice/app")["sha"], sha);
    assert!(hub.requests().iter().all(|r| r["method"] == "GET"));
}

/// A new SDK is one plugin: the node fixture, built from the plugin kit and installed, scaffolds,
/// validates and plans a deploy (with the secret its code reads) with no host code for it.
#[test]
fn a_plugin_kit_sdk_scaffolds_validates_and_deploys() {
    let hub = Hub::start();
    let wasm = util::fixtures::fixture_wasm("spacesmith-plugin-node");
    hub.run(&["plugin", "install", wasm.to_str().unwrap(), "--grant", "run-plan", "--json"], 0);
    hub.run(&["new", "web", "--sdk", "node", "--greeting", "Hi from Node"], 0);
    assert!(hub.dir.read("web/server.js").contains("Hi from Node"));
    assert!(hub.dir.read("web/Dockerfile").contains("CMD [\"node\", \"server.js\"]"));
    let v = hub.run(&["validate", "web", "--json"], 0).json();
    assert_eq!(v["errors"], 0, "{v}");
    let checkers: Vec<&str> = v["plugins"].as_array().unwrap().iter().map(|p| p["sdk"].as_str().unwrap()).collect();
    assert!(checkers.contains(&"node") && checkers.contains(&"docker"), "{checkers:?}");
    hub.dir.write(
        "web/server.js",
        "const key = process.env.OPENAI_API_KEY;\nrequire('http').createServer().listen(process.env.PORT);\n",
    );
    hub.clear_requests();
    let v = hub.run(&["deploy", "web", "--space", "alice/web", "--dry-run", "--json"], 0).json();
    assert_eq!(v["dry_run"], json!(true));
    assert!(paths(&v["plan"]["added"]).contains(&"server.js".to_string()), "{v}");
    assert!(v.to_string().contains("OPENAI_API_KEY"), "the secret server.js reads is reported: {v}");
    assert_eq!(hub.repo("alice/web"), Value::Null);
    // Without a node_modules or server.js the plugin's own rule fires.
    std::fs::remove_file(hub.dir.join("web/server.js")).unwrap();
    let v = hub.run(&["validate", "web", "--json"], 1).json();
    assert!(v["findings"].as_array().unwrap().iter().any(|f| f["rule"] == "node/entry-point"), "{v}");
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
    // Names and their status are the result (stdout); how to set one is advice (stderr).
    let run = hub.run(&["secrets", "app", "--space", "alice/app"], 0);
    assert!(run.stdout.lines().last().unwrap() == "! missing: GIT_TOKEN, OPENAI_API_KEY", "{}", run.stdout);
    assert!(run.stdout.lines().any(|l| l.starts_with("  GIT_TOKEN  build-time, optional: missing")), "{}", run.stdout);
    assert!(run.stderr.contains("how: GIT_TOKEN:") && run.stderr.contains("--set GIT_TOKEN"), "{}", run.stderr);
    assert!(!run.stdout.contains("how:"), "{}", run.stdout);

    let run = clean(
        hub.cmd_with_token(&["secrets", "app", "--space", "alice/app", "--set", "OPENAI_API_KEY"], Some(TOKEN))
            .env("OPENAI_API_KEY", SECRET_VALUE)
            .expect(0),
    );
    assert!(run.stdout.starts_with("Set on alice/app: OPENAI_API_KEY\n"), "{}", run.stdout);
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
    assert!(run.stdout.starts_with("alice/app (private, docker): RUNNING"), "{}", run.stdout);
    assert!(run.stderr.is_empty(), "{}", run.stderr);

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

// ---------- space dev-mode / duplicate / visibility / volumes ----------

#[test]
fn space_dev_mode_on_and_off() {
    let hub = Hub::start();
    hub.scaffold_and_deploy("app", "docker", "alice/app");
    let v = hub.run(&["space", "dev-mode", "on", "alice/app", "--json"], 0).json();
    assert_eq!(v["runtime"]["devMode"], true);
    assert_eq!(hub.repo("alice/app")["space"]["devMode"], true);
    let run = hub.run(&["space", "status", "alice/app"], 0);
    assert!(run.stdout.contains("\n  dev mode on\n"), "{}", run.stdout);
    let run = hub.run(&["space", "dev-mode", "off", "alice/app"], 0);
    assert!(run.stdout.starts_with("✓ dev mode turned off for alice/app: now "), "{}", run.stdout);
    assert_eq!(hub.repo("alice/app")["space"]["devMode"], false);
    // The Hub refuses dev mode on static Spaces (always running).
    hub.scaffold_and_deploy("site", "static", "alice/site");
    let v = hub.run(&["space", "dev-mode", "on", "alice/site", "--json"], 2).json();
    assert_eq!(v["success"], false);
    assert!(v["message"].as_str().unwrap().contains("static"), "{v}");
    assert_eq!(hub.repo("alice/site")["space"]["devMode"], false);
}

#[test]
fn space_duplicate_copies_files_and_takes_the_given_settings() {
    let hub = Hub::start();
    hub.run(&["new", "app", "--sdk", "docker"], 0);
    let secret = format!("API_TOKEN={SECRET_VALUE}");
    hub.run(&["deploy", "app", "--space", "alice/app", "--secret", &secret, "--variable", "MODE=prod", "--no-wait"], 0);
    let src = hub.repo("alice/app");

    let other = format!("API_TOKEN={SECRET_VALUE}-copy");
    let flags = "space duplicate alice/app alice/copy --hardware cpu-upgrade --sleep-time 1h --variable MODE=staging --json";
    let mut args: Vec<&str> = flags.split(' ').collect();
    args.extend(["--secret", &other]);
    let v = hub.run(&args, 0).json();
    assert_eq!(
        (v["to"].clone(), v["visibility"].clone(), v["hardware"].clone()),
        (json!("alice/copy"), json!("private"), json!("cpu-upgrade"))
    );
    assert_eq!((v["secrets"].clone(), v["missing_secrets"].clone()), (json!(["API_TOKEN"]), json!([])));
    let copy = hub.repo("alice/copy");
    assert_eq!(copy["files"], src["files"], "same files, same oids");
    assert_eq!((copy["sha"].clone(), copy["commits"].clone()), (src["sha"].clone(), src["commits"].clone()), "history kept");
    assert_eq!((copy["private"].clone(), copy["visibility"].clone()), (json!(true), json!("private")));
    let sp = &copy["space"];
    assert_eq!((sp["hardware"].clone(), sp["sleepTime"].clone()), (json!("cpu-upgrade"), json!(3600)));
    let sha = |s: &str| {
        use sha2::Digest;
        sha2::Sha256::digest(s.as_bytes()).iter().map(|b| format!("{b:02x}")).collect::<String>()
    };
    assert_eq!(sp["secrets"]["API_TOKEN"]["sha256"], sha(&format!("{SECRET_VALUE}-copy")));
    assert_eq!(sp["variables"], json!({ "MODE": "staging" }));
    // The source is untouched.
    assert_eq!(hub.repo("alice/app")["space"]["variables"], json!({ "MODE": "prod" }));

    // Never onto an existing Space.
    let v = hub.run(&["space", "duplicate", "alice/app", "alice/copy", "--public", "--json"], 2).json();
    assert_eq!(v["error_code"], "ALREADY_EXISTS");
    assert!(v["hint"].as_str().unwrap().contains("never overwrites"), "{v}");
    assert_eq!(hub.repo("alice/copy")["visibility"], "private");

    // Public, without secrets: the source's secret names are reported, never their values.
    let run = hub.run(&["space", "duplicate", "alice/app", "alice/open", "--public"], 0);
    assert!(run.stdout.starts_with("✓ Duplicated alice/app to alice/open (public)"), "{}", run.stdout);
    // What is missing is a warning: stderr, and kept with -q.
    assert!(run.stderr.contains("API_TOKEN") && run.stderr.contains("never copied"), "{}", run.stderr);
    assert!(!run.stdout.contains("never copied"), "{}", run.stdout);
    let open = hub.repo("alice/open");
    assert_eq!((open["visibility"].clone(), open["space"]["secrets"].clone()), (json!("public"), json!({})));
    // Anyone may copy a public Space into their own namespace; its secret names stay the owner's business.
    let run = clean(hub.cmd_with_token(&["space", "duplicate", "alice/open", "bob/mine", "--json"], Some(BOB_TOKEN)).expect(0));
    assert_eq!(run.json()["missing_secrets"], json!([]));
    let mine = hub.repo("bob/mine");
    assert_eq!((mine["owner"].clone(), mine["visibility"].clone()), (json!("bob"), json!("private")));
    assert_eq!(mine["files"], open["files"]);
    let v = hub.run(&["space", "duplicate", "alice/app", "alice/prot", "--protected", "--json"], 0).json();
    assert_eq!(v["visibility"], "protected");
    assert_eq!(hub.repo("alice/prot")["visibility"], "protected");

    // Only into your own namespace; bad input stops before any request.
    let v = hub.run(&["space", "duplicate", "alice/app", "bob/app", "--json"], 3).json();
    assert_eq!(v["success"], false);
    assert_eq!(hub.repo("bob/app"), Value::Null);
    hub.run(&["space", "duplicate", "alice/app", "alice/x", "--public", "--private"], 2);
    let v = hub.run(&["space", "duplicate", "alice/app", "alice/app", "--json"], 2).json();
    assert_eq!(v["error_code"], "SAME_SPACE");
    let v = hub.run(&["space", "duplicate", "alice/app", "alice/y", "--hardware", "cpu-upgrad", "--json"], 2).json();
    assert!(
        v["message"].as_str().unwrap().contains("cpu-upgrade") || v["hint"].as_str().unwrap_or("").contains("cpu-upgrade"),
        "{v}"
    );
    assert_eq!(hub.repo("alice/y"), Value::Null);
}

#[test]
fn space_visibility_public_private_protected() {
    let hub = Hub::start();
    hub.scaffold_and_deploy("app", "docker", "alice/app");
    assert_eq!(hub.repo("alice/app")["visibility"], "private");
    let v = hub.run(&["space", "visibility", "public", "alice/app", "--json"], 0).json();
    assert_eq!((v["space"].clone(), v["visibility"].clone()), (json!("alice/app"), json!("public")));
    let r = hub.repo("alice/app");
    assert_eq!((r["private"].clone(), r["visibility"].clone()), (json!(false), json!("public")));
    let run = hub.run(&["space", "visibility", "protected", "alice/app"], 0);
    assert_eq!(run.stdout, "✓ alice/app is now protected: its files are private, its app is public.\n");
    let r = hub.repo("alice/app");
    assert_eq!((r["private"].clone(), r["visibility"].clone()), (json!(true), json!("protected")));
    hub.run(&["space", "visibility", "private", "alice/app"], 0);
    assert_eq!(hub.repo("alice/app")["visibility"], "private");
    hub.run(&["space", "visibility", "secret", "alice/app"], 2);
    // Another user cannot see it, let alone change it.
    let run = clean(hub.cmd_with_token(&["space", "visibility", "public", "alice/app", "--json"], Some(BOB_TOKEN)).expect(2));
    assert_eq!(run.json()["error_code"], "SPACE_NOT_FOUND");
    assert_eq!(hub.repo("alice/app")["visibility"], "private");
}

#[test]
fn space_volumes_list_set_delete() {
    let hub = Hub::start();
    hub.scaffold_and_deploy("app", "docker", "alice/app");
    let v = hub.run(&["space", "volumes", "alice/app", "--json"], 0).json();
    assert_eq!(v["volumes"], json!([]));
    let run = hub.run(&["space", "volumes", "alice/app"], 0);
    assert_eq!(run.stdout, "alice/app has no volumes.\n");

    let set = ["space", "volumes", "set", "alice/app", "--volume", "hf://datasets/alice/data@v1/train:/data", "--volume"];
    let v = hub.run(&[&set[..], &["hf://buckets/alice/b:/mnt:rw", "--json"]].concat(), 0).json();
    assert_eq!(v["volumes"].as_array().unwrap().len(), 2, "{v}");
    let vols = hub.repo("alice/app")["space"]["volumes"].clone();
    assert_eq!(
        vols,
        json!([
            { "type": "dataset", "source": "alice/data", "mountPath": "/data", "revision": "v1", "path": "train", "readOnly": true },
            { "type": "bucket", "source": "alice/b", "mountPath": "/mnt", "readOnly": false },
        ])
    );
    let run = hub.run(&["space", "volumes", "alice/app"], 0);
    assert!(run.stdout.contains("hf://datasets/alice/data@v1/train:/data:ro"), "{}", run.stdout);
    let run = hub.run(&["space", "status", "alice/app"], 0);
    assert!(run.stdout.contains("volume hf://buckets/alice/b:/mnt:rw"), "{}", run.stdout);

    // A new list that drops a mount needs --yes; nothing changes without it.
    let v = hub.run(&["space", "volumes", "set", "alice/app", "--volume", "hf://buckets/alice/b:/mnt:rw", "--json"], 2).json();
    assert_eq!(v["error_code"], "CONFIRMATION_REQUIRED");
    assert!(v["message"].as_str().unwrap().contains("hf://datasets/alice/data@v1/train:/data:ro"), "{v}");
    assert_eq!(hub.repo("alice/app")["space"]["volumes"], vols);
    let v = hub
        .run(&["space", "volumes", "set", "alice/app", "--volume", "hf://buckets/alice/b:/mnt:rw", "--yes", "--json"], 0)
        .json();
    assert_eq!(v["removed"][0]["uri"], "hf://datasets/alice/data@v1/train:/data:ro");
    assert_eq!(hub.repo("alice/app")["space"]["volumes"].as_array().unwrap().len(), 1);

    // Bad specs are refused before any request.
    for bad in ["hf://alice/model:/x:rw", "alice/model:/x", "hf://alice/model"] {
        let v = hub.run(&["space", "volumes", "set", "alice/app", "--volume", bad, "--json"], 2).json();
        assert_eq!(v["error_code"], "BAD_VOLUME", "{bad}");
    }

    let v = hub.run(&["space", "volumes", "delete", "alice/app", "--json"], 2).json();
    assert_eq!(v["error_code"], "CONFIRMATION_REQUIRED");
    assert_eq!(hub.repo("alice/app")["space"]["volumes"].as_array().unwrap().len(), 1);
    let run = hub.run(&["space", "volumes", "delete", "alice/app", "--yes"], 0);
    assert!(run.stdout.contains("unmounted hf://buckets/alice/b:/mnt:rw"), "{}", run.stdout);
    assert_eq!(hub.repo("alice/app")["space"]["volumes"], Value::Null);
    // Already empty: nothing to remove is not an error.
    hub.run(&["space", "volumes", "delete", "alice/app", "--yes"], 0);

    // Static Spaces take no volumes.
    hub.scaffold_and_deploy("site", "static", "alice/site");
    let v = hub.run(&["space", "volumes", "set", "alice/site", "--volume", "hf://alice/m:/m", "--json"], 2).json();
    assert!(v["message"].as_str().unwrap().contains("static"), "{v}");
}

#[test]
fn deploy_protected_creates_a_protected_space() {
    let hub = Hub::start();
    hub.run(&["new", "app", "--sdk", "docker"], 0);
    let v = hub.run(&["deploy", "app", "--space", "alice/app", "--protected", "--no-wait", "--json"], 0).json();
    assert_eq!((v["settings"]["visibility"].clone(), v["settings"]["private"].clone()), (json!("protected"), json!(true)));
    let r = hub.repo("alice/app");
    assert_eq!((r["visibility"].clone(), r["private"].clone()), (json!("protected"), json!(true)));
    let run = hub.run(&["deploy", "app", "--space", "alice/other", "--protected", "--dry-run"], 0);
    assert!(run.stdout.contains("Would create protected Space alice/other"), "{}", run.stdout);
    hub.run(&["deploy", "app", "--space", "alice/x", "--protected", "--public"], 2);
    assert_eq!(hub.repo("alice/x"), Value::Null);
}

// ---------- the wait after a commit (the runtime names no commit) ----------

/// Appends `text` to a project file.
fn append(hub: &Hub, rel: &str, text: &str) {
    let mut s = hub.dir.read(rel);
    s.push_str(text);
    hub.dir.write(rel, s);
}

#[test]
fn redeploys_report_the_new_build_not_the_stage_left_from_the_last_one() {
    let hub = Hub::start();
    hub.run(&["new", "app", "--sdk", "docker"], 0);
    let v = hub.run(&["deploy", "app", "--space", "alice/app", "--json"], 0).json();
    assert_eq!(v["outcome_code"], "RUNNING");
    let good = hub.dir.read("app/Dockerfile");
    // The Hub shows the previous build's stage for a while after each commit.
    hub.control("POST", "config", Some(json!({ "rebuildDelaySeconds": 2.5 })));

    // RUNNING → a failing build: exit 1 with the new build's log, not a "success" on the old RUNNING.
    append(&hub, "app/Dockerfile", "RUN exit 7\n");
    let run = hub.run(&["deploy", "app", "--space", "alice/app", "--force", "--json"], 1);
    let v = run.json();
    assert_eq!(v["outcome_code"], "BUILD_ERROR", "{}", run.stderr);
    let tail = v["outcome"]["tail"].to_string();
    assert!(tail.contains("exit 7"), "{tail}");
    assert!(run.stderr.contains("RUNNING is the previous build's"), "the stale stage was met: {}", run.stderr);

    // BUILD_ERROR → fixed: exit 0 once the new build runs, not a failure on the old BUILD_ERROR.
    hub.dir.write("app/Dockerfile", &good);
    let run = hub.run(&["deploy", "app", "--space", "alice/app", "--json"], 0);
    assert_eq!(run.json()["outcome_code"], "RUNNING", "{}", run.stderr);
    assert!(run.stderr.contains("BUILD_ERROR is the previous build's"), "{}", run.stderr);
    let sha = hub.repo("alice/app")["sha"].clone();
    assert_eq!(hub.repo("alice/app")["space"]["builtSha"], sha);
}

#[test]
fn a_commit_the_hub_does_not_build_ends_after_the_grace_not_the_timeout() {
    let hub = Hub::start();
    // Whether the Hub rebuilds on a README-only commit is unverified: the emulator can be told not to.
    hub.control("POST", "config", Some(json!({ "readmeOnlyRebuilds": false })));
    hub.run(&["new", "app", "--sdk", "docker"], 0);
    hub.run(&["deploy", "app", "--space", "alice/app"], 0);

    // Running, README-only: the app is the previous build and that is fine.
    append(&hub, "app/README.md", "\nMore words.\n");
    let run = hub.run(&["deploy", "app", "--space", "alice/app", "--rebuild-grace", "3s", "--json"], 0);
    let v = run.json();
    assert_eq!((v["outcome_code"].as_str(), v["outcome"]["accepted"].as_bool()), (Some("NOT_REBUILT"), Some(true)));
    assert!(run.stderr.contains("started no build for the README-only commit"), "{}", run.stderr);

    // A failed build, then README-only: still failed, said to be the previous build's, exit 1.
    append(&hub, "app/Dockerfile", "RUN exit 7\n");
    hub.run(&["deploy", "app", "--space", "alice/app", "--force"], 1);
    append(&hub, "app/README.md", "\nEven more words.\n");
    let run = hub.run(&["deploy", "app", "--space", "alice/app", "--force", "--rebuild-grace", "3s", "--json"], 1);
    let v = run.json();
    assert_eq!((v["outcome_code"].as_str(), v["outcome"]["stage"].as_str()), (Some("NOT_REBUILT"), Some("BUILD_ERROR")));
    assert!(run.stderr.contains("still BUILD_ERROR from the previous build"), "{}", run.stderr);
    assert!(run.stderr.contains("space restart --factory"), "{}", run.stderr);
}

#[test]
fn a_rate_limited_call_says_how_long_it_waits() {
    let hub = Hub::start();
    hub.scaffold_and_deploy("app", "docker", "alice/app");
    // A short reset keeps the test quick; the message is the same for one of five minutes.
    hub.fault(
        json!({ "kind": "status", "status": 429, "count": 1, "path": "/api/spaces/alice/app/preupload/*", "retryAfter": 1 }),
    );
    append(&hub, "app/README.md", "\nchanged\n");
    let run = hub.run(&["deploy", "app", "--space", "alice/app", "--no-wait", "--json"], 0);
    assert!(
        run.stderr.contains("the Hub is rate limiting requests; waiting 2 s (as the Hub asked), then attempt 2"),
        "{}",
        run.stderr
    );
    assert!(run.json()["commit"]["commitOid"].is_string());
}

#[test]
fn deploy_timings_name_each_phase_and_nothing_else() {
    let hub = Hub::start();
    hub.run(&["new", "timed-app", "--sdk", "static"], 0);
    let args = ["deploy", "timed-app", "--space", "alice/timed-app", "--no-wait", "--secret", "API_TOKEN"];
    let run =
        clean(hub.cmd_with_token(&args, Some(TOKEN)).env("API_TOKEN", SECRET_VALUE).env("SPACESMITH_TIMINGS", "1").expect(0));
    let lines: Vec<&str> = run.stderr.lines().filter(|l| l.starts_with("timing: ")).collect();
    for phase in [
        "cli.run",
        "deploy.validate",
        "deploy.whoami_info",
        "deploy.create",
        "deploy.plan",
        "plan.hash",
        "deploy.upload",
        "upload.preupload",
        "upload.commit",
    ] {
        assert!(lines.iter().any(|l| l.starts_with(&format!("timing: {phase} "))), "no {phase} in {lines:?}");
    }
    // `timing: NAME MS ms (START..END ms)`: a fixed name and numbers, nothing taken from the request.
    for l in &lines {
        let rest = l.strip_prefix("timing: ").unwrap();
        let (name, numbers) = rest.split_once(' ').unwrap();
        assert!(name.chars().all(|c| c.is_ascii_lowercase() || c == '.' || c == '_'), "{l}");
        assert!(numbers.chars().all(|c| c.is_ascii_digit() || " .()ms".contains(c)), "{l}");
    }
    let quiet = hub.run(&["deploy", "timed-app", "--space", "alice/timed-app", "--no-wait"], 0);
    assert!(!quiet.stderr.contains("timing:"), "{}", quiet.stderr);
}
