//! `--data-dir`: repos, commits, blobs (regular and LFS), settings, secrets, variables and Space state survive a
//! restart; a Space caught mid-build finishes building after the restart.

mod common;

use common::*;
use serde_json::json;

#[test]
fn state_survives_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config();
    cfg.data_dir = Some(dir.path().to_path_buf());

    let data: Vec<u8> = (0..50_000u32).flat_map(|i| i.to_be_bytes()).collect();
    let oid = sha256_hex(&data);
    let (sha, jwt) = {
        let (emu, c) = start_with(cfg.clone());
        c.create_space(ALICE, "alice/s", "docker", true).expect(200);
        let files = docker_project();
        c.commit(ALICE, "spaces/alice/s", "main", "deploy", &as_refs(&files), &[], None, "").expect(200);
        let batch = c
            .req("POST", "/spaces/alice/s.git/info/lfs/objects/batch", Some(ALICE), &[],
                Some(serde_json::to_vec(&json!({ "operation": "upload", "transfers": ["basic"], "objects": [{ "oid": oid, "size": data.len() }] })).unwrap().as_slice()))
            .expect(200)
            .json();
        c.put_bytes(batch["objects"][0]["actions"]["upload"]["href"].as_str().unwrap(), &data).expect(200);
        let sha = c
            .commit_lines(
                ALICE,
                "spaces/alice/s",
                "main",
                &[
                    json!({ "key": "header", "value": { "summary": "weights" } }),
                    json!({ "key": "lfsFile", "value": { "path": "w.bin", "algo": "sha256", "oid": oid, "size": data.len() } }),
                ],
                "",
            )
            .expect(200)
            .json()["commitOid"]
            .as_str()
            .unwrap()
            .to_string();
        c.post("/api/spaces/alice/s/secrets", Some(ALICE), &json!({ "key": "TOKEN", "value": "t0k" })).expect(200);
        c.post("/api/spaces/alice/s/variables", Some(ALICE), &json!({ "key": "MODE", "value": "prod" })).expect(200);
        c.json("PUT", "/api/spaces/alice/s/settings", Some(ALICE), &json!({ "gated": "manual", "visibility": "protected" }))
            .expect(200);
        c.post("/api/spaces/alice/s/dev-mode", Some(ALICE), &json!({ "enabled": true })).expect(200);
        let vols = json!({ "volumes": [{ "type": "bucket", "source": "alice/b", "mountPath": "/data" }] });
        c.json("PUT", "/api/spaces/alice/s/volumes", Some(ALICE), &vols).expect(200);
        c.post("/api/repos/create", Some(ALICE), &json!({ "name": "ds", "type": "dataset" })).expect(200);
        assert_eq!(c.wait_settled("alice/s", ALICE)["stage"], "RUNNING");
        let jwt = c.get("/api/spaces/alice/s/jwt", Some(ALICE)).expect(200).json()["token"].as_str().unwrap().to_string();
        emu.shutdown().unwrap();
        (sha, jwt)
    };
    assert!(dir.path().join("state.json").exists());

    let (_emu, c) = start_with(cfg);
    let info = c.get("/api/spaces/alice/s", Some(ALICE)).expect(200).json();
    assert_eq!(info["sha"], sha);
    assert_eq!(info["private"], true);
    assert_eq!(info["gated"], "manual");
    assert_eq!(info["runtime"]["stage"], "RUNNING");
    assert_eq!(
        (info["runtime"]["devMode"].clone(), info["runtime"]["volumes"][0]["mountPath"].clone()),
        (json!(true), json!("/data"))
    );
    assert_eq!(c.repo_state("spaces/alice/s")["visibility"], "protected");
    c.get("/api/spaces/alice/s", None).expect_error(404, "RepoNotFound");
    assert_eq!(
        c.get("/spaces/alice/s/resolve/main/main.py", Some(ALICE)).expect(200).body,
        b"from fastapi import FastAPI\napp = FastAPI()\n"
    );
    let loc = c.head("/spaces/alice/s/resolve/main/w.bin", Some(ALICE)).expect(302).header("location").unwrap().to_string();
    assert_eq!(c.get(&loc, None).expect(200).body, data);
    assert!(c.get("/api/spaces/alice/s/secrets", Some(ALICE)).expect(200).json()["TOKEN"].is_object());
    assert_eq!(c.get("/api/spaces/alice/s/variables", Some(ALICE)).expect(200).json()["MODE"]["value"], "prod");
    c.get("/api/datasets/alice/ds", None).expect(200);
    // Build logs are kept; the JWT secret too, so issued tokens still work.
    let (_, mut r) = c.sse("/api/spaces/alice/s/logs/build", Some(ALICE), std::time::Duration::from_secs(5));
    let (lines, _) = r.collect_until_end(10_000);
    assert!(lines[0].starts_with("===== Build Queued"));
    let (status, _) = c.sse("/logs-host/v1/alice/s/logs/build", Some(&jwt), std::time::Duration::from_secs(5));
    assert_eq!(status, 200);
    // Preupload still knows the remote oids (incremental uploads work across restarts).
    let pre = c
        .post(
            "/api/spaces/alice/s/preupload/main",
            Some(ALICE),
            &json!({ "files": [{ "path": "w.bin", "sample": "", "size": data.len() }] }),
        )
        .expect(200)
        .json();
    assert_eq!(pre["files"][0]["oid"], oid);
}

#[test]
fn build_resumes_after_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config();
    cfg.data_dir = Some(dir.path().to_path_buf());
    cfg.tunables.build_seconds = 600.0;
    {
        let (emu, c) = start_with(cfg.clone());
        c.create_space(ALICE, "alice/s", "docker", false).expect(200);
        let files = docker_project();
        c.commit(ALICE, "spaces/alice/s", "main", "deploy", &as_refs(&files), &[], None, "").expect(200);
        assert_eq!(c.runtime("alice/s", ALICE)["stage"], "BUILDING");
        emu.shutdown().unwrap();
    }
    cfg.tunables.build_seconds = 0.0;
    let (_emu, c) = start_with(cfg);
    assert_eq!(c.wait_settled("alice/s", ALICE)["stage"], "RUNNING");
}
