//! The `hub-emulator` binary: flags, the first stdout line, serving until killed, and a restart on the same
//! `--data-dir`.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use common::*;
use serde_json::json;

struct Running {
    child: Child,
    url: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn run(args: &[&str]) -> Running {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hub-emulator"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("binary starts");
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    let url = first.trim().strip_prefix("listening on ").unwrap_or_else(|| panic!("first line was {first:?}")).to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    Running { child, url }
}

#[test]
fn serves_and_persists() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    {
        let emu = run(&[
            "--addr",
            "127.0.0.1:0",
            "--data-dir",
            d,
            "--user",
            "alice:hf_alice_token",
            "--user",
            "bob:hf_bob_token:free",
            "--build-seconds",
            "0",
        ]);
        let c = Client::new(&emu.url);
        assert_eq!(c.get("/api/whoami-v2", Some(ALICE)).expect(200).json()["name"], "alice");
        assert_eq!(c.get("/api/whoami-v2", Some(BOB)).expect(200).json()["isPro"], false);
        c.create_space(ALICE, "alice/s", "docker", true).expect(200);
        c.create_space(BOB, "bob/s", "docker", true).expect(402);
        let files = docker_project();
        c.commit(ALICE, "spaces/alice/s", "main", "deploy", &as_refs(&files), &[], None, "").expect(200);
        assert_eq!(c.wait_settled("alice/s", ALICE)["stage"], "RUNNING");
    }
    let emu = run(&["--data-dir", d, "--user=alice:hf_alice_token", "--build-seconds=0.5"]);
    let c = Client::new(&emu.url);
    let info = c.get("/api/spaces/alice/s", Some(ALICE)).expect(200).json();
    assert_eq!(info["siblings"].as_array().unwrap().len(), 4);
    assert_eq!(c.get("/__emulator/config", None).expect(200).json()["buildSeconds"], 0.5);
}

#[test]
fn fault_flag_and_help() {
    let emu = run(&[
        "--user",
        "alice:hf_alice_token",
        "--fault",
        r#"{"kind":"status","status":429,"count":1,"path":"/api/whoami-v2"}"#,
    ]);
    let c = Client::new(&emu.url);
    c.get("/api/whoami-v2", Some(ALICE)).expect(429);
    c.get("/api/whoami-v2", Some(ALICE)).expect(200);
    let _ = json!({});

    let help = Command::new(env!("CARGO_BIN_EXE_hub-emulator")).arg("--help").output().unwrap();
    assert!(help.status.success());
    assert!(String::from_utf8_lossy(&help.stdout).contains("--data-dir"));
    // The rig setting is a flag too, and the state shows it.
    let rig = run(&["--user", "alice:hf_alice_token", "--lfs-verify", "read"]);
    assert_eq!(Client::new(&rig.url).state()["config"]["lfsVerify"], "read");
    for bad in
        [&["--bogus"][..], &["--build-seconds", "-1"], &["--user", "nocolon"], &["--fault", "{}"], &["--lfs-verify", "never"]]
    {
        let out = Command::new(env!("CARGO_BIN_EXE_hub-emulator")).args(bad).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
    }
}
