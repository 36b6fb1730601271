//! Fault injection: 429 with rate-limit headers, 500/503, dropped connections mid-upload, SSE streams cut
//! mid-way, delays, skip/count/method/path matching, startup faults, and the real rate limiter.

mod common;

use std::time::Duration;

use common::*;
use serde_json::json;

#[test]
fn rate_limited_429_then_recovers() {
    let (_emu, c) = start();
    c.create_space(ALICE, "alice/s", "docker", false).expect(200);
    c.fault(json!({ "kind": "status", "status": 429, "count": 2, "path": "/api/spaces/*/runtime", "retryAfter": 3 }));
    for _ in 0..2 {
        let r = c.get("/api/spaces/alice/s/runtime", Some(ALICE)).expect_error(429, "RateLimited");
        assert_eq!(r.header("ratelimit"), Some("\"api\";r=0;t=3"));
        assert_eq!(r.header("retry-after"), Some("3"));
        assert!(r.header("ratelimit-policy").is_some());
    }
    c.get("/api/spaces/alice/s/runtime", Some(ALICE)).expect(200);
    // Other paths were never affected, and the rule is gone.
    assert!(c.get("/__emulator/faults", None).expect(200).json().as_array().unwrap().is_empty());
    let faulted: Vec<_> = c.requests().into_iter().filter(|r| r["fault"].is_string()).collect();
    assert_eq!(faulted.len(), 2);
}

#[test]
fn server_errors_with_skip_and_method() {
    let (_emu, c) = start();
    c.fault(json!({ "kind": "status", "status": 503, "count": 1, "skip": 1, "method": "GET", "path": "/api/whoami-v2" }));
    c.fault(json!({ "kind": "status", "status": 500, "count": 1, "method": "POST" }));
    c.get("/api/whoami-v2", Some(ALICE)).expect(200); // skipped
    let r = c.get("/api/whoami-v2", Some(ALICE)).expect_error(503, "ServiceUnavailable");
    assert_eq!(r.header("retry-after"), Some("1"));
    c.get("/api/whoami-v2", Some(ALICE)).expect(200);
    c.post("/api/validate-yaml", Some(ALICE), &json!({ "content": "" })).expect_error(500, "InternalError");
    c.post("/api/validate-yaml", Some(ALICE), &json!({ "content": "" })).expect(200);
    // Bad rules are refused.
    c.post("/__emulator/faults", None, &json!({ "kind": "status" })).expect(400);
    c.post("/__emulator/faults", None, &json!({ "kind": "explode" })).expect(400);
}

#[test]
fn faulted_commit_changes_nothing() {
    let (_emu, c) = start();
    c.create_space(ALICE, "alice/s", "docker", false).expect(200);
    c.fault(json!({ "kind": "status", "status": 500, "path": "/api/spaces/alice/s/commit/*" }));
    c.commit(ALICE, "spaces/alice/s", "main", "x", &[("a.txt", b"a")], &[], None, "").expect(500);
    assert_eq!(c.repo_state("spaces/alice/s")["commits"], 1);
}

#[test]
fn connection_dropped_mid_upload() {
    let (_emu, c) = start();
    c.create_space(ALICE, "alice/s", "docker", false).expect(200);
    let data = vec![7u8; 300_000];
    let oid = sha256_hex(&data);
    let batch = c
        .req(
            "POST",
            "/spaces/alice/s.git/info/lfs/objects/batch",
            Some(ALICE),
            &[("content-type", "application/vnd.git-lfs+json")],
            Some(
                serde_json::to_vec(
                    &json!({ "operation": "upload", "transfers": ["basic"], "objects": [{ "oid": oid, "size": data.len() }] }),
                )
                .unwrap()
                .as_slice(),
            ),
        )
        .expect(200)
        .json();
    let href = batch["objects"][0]["actions"]["upload"]["href"].as_str().unwrap().to_string();
    c.fault(json!({ "kind": "drop", "method": "PUT", "path": "/__lfs/upload/*", "afterBytes": 1000 }));
    let err = c.try_req("PUT", &href, None, Some(&data));
    assert!(err.is_err(), "the client sees a broken connection, not a response: {:?}", err.map(|r| r.status));
    let log = c.requests();
    let dropped = log.iter().find(|r| r["dropped"] == true).expect("logged as dropped");
    let got = dropped["bytesReceived"].as_u64().unwrap();
    assert!(got >= 1000 && got < data.len() as u64, "read part of the body: {got}");
    assert_eq!(dropped["status"], serde_json::Value::Null);
    // Nothing was stored: the object still needs uploading; a retry works.
    let st = c.repo_state("spaces/alice/s");
    assert!(st["lfsObjects"].as_array().unwrap().is_empty());
    c.put_bytes(&href, &data).expect(200);
}

#[test]
fn dropped_commit_request_is_atomic() {
    let (_emu, c) = start();
    c.create_space(ALICE, "alice/s", "docker", false).expect(200);
    c.fault(json!({ "kind": "drop", "path": "/api/spaces/alice/s/commit/main" }));
    let body = format!(
        "{}\n{}\n",
        json!({ "key": "header", "value": { "summary": "x" } }),
        json!({ "key": "file", "value": { "path": "a.txt", "content": b64(b"a") } })
    );
    assert!(c.try_req("POST", "/api/spaces/alice/s/commit/main", Some(ALICE), Some(body.as_bytes())).is_err());
    assert_eq!(c.repo_state("spaces/alice/s")["commits"], 1);
}

fn running_space(c: &Client) {
    c.create_space(ALICE, "alice/s", "docker", true).expect(200);
    let files = docker_project();
    c.commit(ALICE, "spaces/alice/s", "main", "deploy", &as_refs(&files), &[], None, "").expect(200);
    assert_eq!(c.wait_settled("alice/s", ALICE)["stage"], "RUNNING");
}

#[test]
fn sse_cut_abort_and_close() {
    let (_emu, c) = start();
    running_space(&c);
    c.fault(json!({ "kind": "sse_cut", "path": "/api/spaces/alice/s/logs/build", "afterEvents": 3 }));
    let (_, mut r) = c.sse("/api/spaces/alice/s/logs/build", Some(ALICE), Duration::from_secs(10));
    let mut n = 0;
    let end = loop {
        match r.next_item() {
            SseItem::Data(_) => n += 1,
            SseItem::KeepAlive => {}
            other => break other,
        }
    };
    assert_eq!(n, 3);
    assert!(matches!(end, SseItem::Error(_)), "an aborted stream is an error, not a clean end: {end:?}");

    c.fault(json!({ "kind": "sse_cut", "afterEvents": 2, "mode": "close" }));
    // Non-SSE requests do not consume an sse_cut rule.
    c.get("/api/spaces/alice/s/runtime", Some(ALICE)).expect(200);
    let (_, mut r) = c.sse("/api/spaces/alice/s/logs/run", Some(ALICE), Duration::from_secs(10));
    let (lines, end) = r.collect_until_end(100);
    assert_eq!(lines.len(), 2);
    assert_eq!(end, SseItem::End);
    // The next connection replays everything.
    let (_, mut r) = c.sse("/api/spaces/alice/s/logs/build", Some(ALICE), Duration::from_secs(10));
    let (all, end) = r.collect_until_end(10_000);
    assert_eq!(end, SseItem::End);
    assert!(all.len() > 3);
}

#[test]
fn delay_fault() {
    let (_emu, c) = start();
    c.fault(json!({ "kind": "delay", "ms": 200, "path": "/api/whoami-v2" }));
    c.get("/api/whoami-v2", Some(ALICE)).expect(200);
    assert!(c.requests()[0]["fault"].as_str().unwrap().starts_with("delay#"));
}

#[test]
fn faults_from_config_and_reset() {
    let mut cfg = config();
    cfg.faults.push(serde_json::from_value(json!({ "kind": "status", "status": 503, "count": 1 })).unwrap());
    let (_emu, c) = start_with(cfg);
    c.get("/api/spaces/hardware", None).expect(503);
    c.get("/api/spaces/hardware", None).expect(200);
    c.fault(json!({ "kind": "status", "status": 500, "count": 5 }));
    c.req("DELETE", "/__emulator/faults", None, &[], None).expect(200);
    c.get("/api/spaces/hardware", None).expect(200);
    // A list of rules at once.
    let ids = c
        .post("/__emulator/faults", None, &json!([{ "kind": "delay", "ms": 1 }, { "kind": "delay", "ms": 1 }]))
        .expect(200)
        .json();
    assert_eq!(ids["ids"].as_array().unwrap().len(), 2);
    c.create_space(ALICE, "alice/s", "docker", false).expect(200);
    c.post("/__emulator/reset", None, &json!({})).expect(200);
    c.get("/api/spaces/alice/s", None).expect_error(404, "RepoNotFound");
}

#[test]
fn real_rate_limit() {
    let mut cfg = config();
    cfg.tunables.rate_limit_quota = 3;
    let (_emu, c) = start_with(cfg);
    for i in 0..3 {
        let r = c.get("/api/spaces/hardware", None).expect(200);
        assert_eq!(r.header("ratelimit").unwrap().split(';').nth(1).unwrap(), format!("r={}", 2 - i));
    }
    let r = c.get("/api/spaces/hardware", None).expect_error(429, "RateLimited");
    assert!(r.header("ratelimit").unwrap().contains("r=0"));
    assert!(r.header("retry-after").is_some());
    // Control endpoints are never limited.
    c.get("/__emulator/state", None).expect(200);
}

#[test]
fn multipart_part_dropped_then_retried_memory() {
    multipart_part_dropped_then_retried(config());
}

#[test]
fn multipart_part_dropped_then_retried_disk() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config();
    cfg.data_dir = Some(dir.path().to_path_buf());
    multipart_part_dropped_then_retried(cfg);
}

fn multipart_part_dropped_then_retried(mut cfg: hub_emulator::Config) {
    cfg.tunables.multipart_threshold = 1;
    cfg.tunables.multipart_chunk_size = 50_000;
    let (_emu, c) = start_with(cfg);
    c.create_space(ALICE, "alice/s", "docker", false).expect(200);
    let data: Vec<u8> = (0..160_000u32).map(|i| (i * 7 % 253) as u8).collect();
    let oid = sha256_hex(&data);
    let batch = c
        .req("POST", "/spaces/alice/s.git/info/lfs/objects/batch", Some(ALICE), &[],
            Some(serde_json::to_vec(&json!({ "operation": "upload", "transfers": ["basic", "multipart"], "objects": [{ "oid": oid, "size": data.len() }] })).unwrap().as_slice()))
        .expect(200)
        .json();
    let upload = &batch["objects"][0]["actions"]["upload"];
    c.fault(json!({ "kind": "drop", "path": "/__lfs/part/*/2", "afterBytes": 10_000 }));
    let mut parts = Vec::new();
    for n in 1..=4usize {
        let url = upload["header"][n.to_string()].as_str().unwrap();
        let slice = &data[(n - 1) * 50_000..(n * 50_000).min(data.len())];
        let r = match c.try_req("PUT", url, None, Some(slice)) {
            Ok(r) => r,
            Err(_) => {
                assert_eq!(n, 2, "only part 2 is dropped");
                c.put_bytes(url, slice)
            }
        };
        parts.push(json!({ "partNumber": n, "etag": r.expect(200).header("etag").unwrap() }));
    }
    c.post(upload["href"].as_str().unwrap(), None, &json!({ "oid": oid, "parts": parts })).expect(200);
    c.commit_lines(
        ALICE,
        "spaces/alice/s",
        "main",
        &[
            json!({ "key": "header", "value": { "summary": "w" } }),
            json!({ "key": "lfsFile", "value": { "path": "w.bin", "algo": "sha256", "oid": oid, "size": data.len() } }),
        ],
        "",
    )
    .expect(200);
}

#[test]
fn lfs_transfer_fault_answers_an_adapter_the_client_did_not_offer() {
    let (_emu, c) = start();
    c.create_space(ALICE, "alice/x", "docker", true).expect(200);
    c.fault(json!({ "kind": "lfs_transfer", "transfer": "xet" }));
    let batch = |c: &Client| {
        let body = json!({ "operation": "upload", "transfers": ["basic", "multipart"], "hash_algo": "sha256",
            "objects": [{ "oid": sha256_hex(b"blob"), "size": 4 }] });
        c.req(
            "POST",
            "/spaces/alice/x.git/info/lfs/objects/batch",
            Some(ALICE),
            &[("content-type", "application/vnd.git-lfs+json")],
            Some(body.to_string().as_bytes()),
        )
        .expect(200)
        .json()
    };
    // Other requests do not consume it; the batch answer carries the forced adapter, once.
    c.get("/api/spaces/alice/x", Some(ALICE)).expect(200);
    let a = batch(&c);
    assert_eq!(a["transfer"], "xet");
    assert!(a["objects"][0]["actions"]["upload"]["href"].is_string());
    assert_eq!(batch(&c)["transfer"], "basic");
    assert!(c.requests().iter().any(|r| r["fault"].as_str().is_some_and(|f| f.starts_with("lfs_transfer#"))));
}
