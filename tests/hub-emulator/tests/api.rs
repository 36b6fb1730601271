//! Happy paths and main errors of the Hub API: accounts, repo lifecycle, preupload, commit, LFS, tree,
//! paths-info, downloads, and the request log.

mod common;

use common::*;
use serde_json::{Value, json};

fn regular_and_bin(c: &Client, repo: &str) -> Value {
    c.commit(
        ALICE,
        repo,
        "main",
        "add files",
        &[("app.py", b"print('hi')\n"), ("src/a.txt", b"a"), ("src/deep/b.txt", b"b")],
        &[],
        None,
        "",
    )
    .expect(200)
    .json()
}

#[test]
fn whoami_and_auth_errors() {
    let (_emu, c) = start();
    let r = c.get("/api/whoami-v2", Some(ALICE)).expect(200);
    let me = r.json();
    assert_eq!(me["name"], "alice");
    assert_eq!(me["type"], "user");
    assert!(me["orgs"].is_array());
    assert!(r.header("ratelimit").unwrap().starts_with("\"api\";r="));
    assert!(r.header("ratelimit-policy").unwrap().contains("q="));
    assert!(!r.text().contains(ALICE), "the token is never echoed");

    c.get("/api/whoami-v2", None).expect_error(401, "Unauthorized");
    let bad = c.get("/api/whoami-v2", Some("hf_wrong")).expect_error(401, "Unauthorized");
    assert_eq!(bad.header("x-error-message"), Some("Invalid credentials in Authorization header"));
    // A bad token is refused everywhere, even on public reads.
    c.get("/api/spaces/hardware", Some("hf_wrong")).expect(401);
    c.get("/api/spaces/hardware", None).expect(200);
}

#[test]
fn create_repo_rules() {
    let (_emu, c) = start();
    let r = c
        .post(
            "/api/repos/create",
            Some(ALICE),
            &json!({ "name": "demo", "organization": null, "type": "space", "sdk": "docker", "visibility": "private",
                 "hardware": "cpu-upgrade", "sleepTimeSeconds": 3600,
                 "secrets": [{ "key": "API_KEY", "value": "s3cret", "description": "api" }],
                 "variables": [{ "key": "MODEL", "value": "gpt2" }] }),
        )
        .expect(200);
    assert_eq!(r.json()["url"], format!("{}/spaces/alice/demo", c.base));

    let dup = c.create_space(ALICE, "alice/demo", "docker", true).expect_error(409, "Conflict");
    assert_eq!(dup.json()["url"], format!("{}/spaces/alice/demo", c.base));

    // Initial commit: .gitattributes and a README with front matter; stage NO_APP_FILE.
    let info = c.get("/api/spaces/alice/demo", Some(ALICE)).expect(200).json();
    let names: Vec<&str> = info["siblings"].as_array().unwrap().iter().map(|s| s["rfilename"].as_str().unwrap()).collect();
    assert_eq!(names, vec![".gitattributes", "README.md"]);
    assert_eq!(info["private"], true);
    assert_eq!(info["sdk"], "docker");
    assert_eq!(info["cardData"]["sdk"], "docker");
    assert_eq!(info["runtime"]["stage"], "NO_APP_FILE");
    assert_eq!(info["runtime"]["hardware"]["requested"], "cpu-upgrade");
    assert_eq!(info["runtime"]["gcTimeout"], 3600);

    // Secrets: keys only; variables: values.
    let secrets = c.get("/api/spaces/alice/demo/secrets", Some(ALICE)).expect(200);
    assert!(secrets.json()["API_KEY"]["updatedAt"].is_string());
    assert_eq!(secrets.json()["API_KEY"]["description"], "api");
    assert!(!secrets.text().contains("s3cret"));
    assert_eq!(c.get("/api/spaces/alice/demo/variables", Some(ALICE)).expect(200).json()["MODEL"]["value"], "gpt2");

    c.post("/api/repos/create", Some(ALICE), &json!({ "name": "x", "type": "space" })).expect_error(400, "BadRequest");
    c.post("/api/repos/create", Some(ALICE), &json!({ "name": "x", "type": "space", "sdk": "rails" }))
        .expect_error(400, "BadRequest");
    c.post("/api/repos/create", Some(ALICE), &json!({ "name": "bad name!", "type": "space", "sdk": "docker" }))
        .expect_error(400, "BadRequest");
    c.post("/api/repos/create", Some(ALICE), &json!({ "name": "x", "type": "space", "sdk": "docker", "hardware": "h100" }))
        .expect_error(400, "BadRequest");
    c.post("/api/repos/create", Some(ALICE), &json!({ "name": "x", "organization": "bob", "type": "space", "sdk": "docker" }))
        .expect_error(403, "Forbidden");
    c.post("/api/repos/create", None, &json!({ "name": "x", "type": "space", "sdk": "docker" })).expect(401);
    // A free account cannot run docker on cpu-basic, but static is free.
    c.post("/api/repos/create", Some("hf_carol_token"), &json!({ "name": "x", "type": "space", "sdk": "docker" }))
        .expect_error(402, "PaymentRequired");
    c.post("/api/repos/create", Some("hf_carol_token"), &json!({ "name": "x", "type": "space", "sdk": "static" })).expect(200);
    // Models and datasets too; legacy `private` flag.
    c.post("/api/repos/create", Some(ALICE), &json!({ "name": "m", "private": true })).expect(200);
    assert_eq!(c.get("/api/models/alice/m", Some(ALICE)).expect(200).json()["private"], true);
    c.post("/api/repos/create", Some(ALICE), &json!({ "name": "d", "type": "dataset" })).expect(200);
    c.get("/api/datasets/alice/d", None).expect(200);
}

#[test]
fn visibility_rules_and_settings() {
    let (_emu, c) = start();
    c.create_space(ALICE, "alice/priv", "docker", true).expect(200);
    c.create_space(ALICE, "alice/pub", "docker", false).expect(200);
    c.get("/api/spaces/alice/priv", Some(ALICE)).expect(200);
    c.get("/api/spaces/alice/priv", Some(BOB)).expect_error(404, "RepoNotFound");
    c.get("/api/spaces/alice/priv", None).expect_error(404, "RepoNotFound");
    c.get("/api/spaces/alice/missing", Some(ALICE)).expect_error(404, "RepoNotFound");
    c.get("/api/spaces/alice/pub", None).expect(200);
    // Writes: anonymous 401, other user 403, private+other user 404.
    c.json("PUT", "/api/spaces/alice/pub/settings", None, &json!({ "private": true })).expect(401);
    c.json("PUT", "/api/spaces/alice/pub/settings", Some(BOB), &json!({ "private": true })).expect_error(403, "Forbidden");
    c.json("PUT", "/api/spaces/alice/priv/settings", Some(BOB), &json!({ "private": false })).expect_error(404, "RepoNotFound");
    c.json("PUT", "/api/spaces/alice/priv/settings", Some(ALICE), &json!({ "visibility": "public" })).expect(200);
    c.get("/api/spaces/alice/priv", None).expect(200);
    c.json("PUT", "/api/spaces/alice/priv/settings", Some(ALICE), &json!({ "private": true, "gated": "auto" })).expect(200);
    let info = c.get("/api/spaces/alice/priv", Some(ALICE)).expect(200).json();
    assert_eq!(info["private"], true);
    assert_eq!(info["gated"], "auto");
    c.json("PUT", "/api/spaces/alice/priv/settings", Some(ALICE), &json!({ "gated": "sometimes" }))
        .expect_error(400, "BadRequest");
}

#[test]
fn move_delete_duplicate() {
    let (_emu, c) = start();
    c.create_space(ALICE, "alice/a", "docker", false).expect(200);
    c.create_space(ALICE, "alice/b", "docker", false).expect(200);
    c.post("/api/repos/move", Some(ALICE), &json!({ "fromRepo": "alice/a", "toRepo": "alice/b", "type": "space" }))
        .expect_error(409, "Conflict");
    c.post("/api/repos/move", Some(ALICE), &json!({ "fromRepo": "alice/a", "toRepo": "bob/a", "type": "space" }))
        .expect_error(403, "Forbidden");
    c.post("/api/repos/move", Some(BOB), &json!({ "fromRepo": "alice/a", "toRepo": "bob/a", "type": "space" }))
        .expect_error(403, "Forbidden");
    c.post("/api/repos/move", Some(ALICE), &json!({ "fromRepo": "alice/a", "toRepo": "alice/c", "type": "space" })).expect(200);
    c.get("/api/spaces/alice/a", None).expect_error(404, "RepoNotFound");
    assert_eq!(c.get("/api/spaces/alice/c", None).expect(200).json()["id"], "alice/c");

    c.post("/api/spaces/alice/c/duplicate", Some(BOB), &json!({ "repository": "bob/copy", "private": true })).expect(200);
    let copy = c.get("/api/spaces/bob/copy", Some(BOB)).expect(200).json();
    assert_eq!(copy["private"], true);
    assert_eq!(copy["siblings"].as_array().unwrap().len(), 2);

    c.json("DELETE", "/api/repos/delete", Some(BOB), &json!({ "name": "c", "organization": "alice", "type": "space" }))
        .expect_error(403, "Forbidden");
    c.json("DELETE", "/api/repos/delete", Some(ALICE), &json!({ "name": "c", "organization": "alice", "type": "space" }))
        .expect(200);
    c.get("/api/spaces/alice/c", None).expect_error(404, "RepoNotFound");
    c.json("DELETE", "/api/repos/delete", Some(ALICE), &json!({ "name": "c", "type": "space" }))
        .expect_error(404, "RepoNotFound");
}

#[test]
fn preupload_classifies_files() {
    let (_emu, c) = start();
    c.create_space(ALICE, "alice/s", "docker", true).expect(200);
    c.commit(
        ALICE,
        "spaces/alice/s",
        "main",
        "seed",
        &[(".gitignore", b"*.log\n__pycache__/\n"), ("app.py", b"x = 1\n")],
        &[],
        None,
        "",
    )
    .expect(200);
    let body = json!({ "files": [
        { "path": "app.py", "sample": b64(b"x = 1\n"), "size": 6 },
        { "path": "new.py", "sample": b64(b"print(1)"), "size": 8 },
        { "path": "model.bin", "sample": b64(b"text but .bin"), "size": 13 },
        { "path": "image.png", "sample": b64(b"\x89PNG\r\n\x1a\n\0\0"), "size": 10 },
        { "path": "huge.txt", "sample": b64(b"aaaa"), "size": 20 * 1024 * 1024 },
        { "path": "debug.log", "sample": b64(b"log"), "size": 3 },
        { "path": "pkg/__pycache__/x.pyc", "sample": b64(b"\0"), "size": 1 },
    ]});
    let r = c.post("/api/spaces/alice/s/preupload/main", Some(ALICE), &body).expect(200).json();
    let by_path = |p: &str| r["files"].as_array().unwrap().iter().find(|f| f["path"] == p).unwrap().clone();
    assert_eq!(by_path("app.py")["uploadMode"], "regular");
    assert_eq!(by_path("app.py")["oid"], hub_emulator::git_blob_oid(b"x = 1\n"));
    assert_eq!(by_path("new.py")["oid"], Value::Null);
    assert_eq!(by_path("model.bin")["uploadMode"], "lfs"); // .gitattributes *.bin
    assert_eq!(by_path("image.png")["uploadMode"], "lfs"); // NUL byte in sample
    assert_eq!(by_path("huge.txt")["uploadMode"], "lfs"); // size
    assert_eq!(by_path("debug.log")["shouldIgnore"], true);
    assert_eq!(by_path("pkg/__pycache__/x.pyc")["shouldIgnore"], true);
    assert_eq!(by_path("new.py")["shouldIgnore"], false);
    // An explicit gitIgnore wins over the repo's.
    let r = c
        .post(
            "/api/spaces/alice/s/preupload/main",
            Some(ALICE),
            &json!({ "files": [{ "path": "debug.log", "sample": "", "size": 0 }], "gitIgnore": "*.tmp" }),
        )
        .expect(200)
        .json();
    assert_eq!(r["files"][0]["shouldIgnore"], false);
    assert_eq!(r["files"][0]["uploadMode"], "regular");

    let too_many: Vec<Value> = (0..257).map(|i| json!({ "path": format!("f{i}"), "sample": "", "size": 1 })).collect();
    c.post("/api/spaces/alice/s/preupload/main", Some(ALICE), &json!({ "files": too_many })).expect_error(400, "BadRequest");
    c.post("/api/spaces/alice/s/preupload/nope", Some(ALICE), &body).expect_error(404, "RevisionNotFound");
    c.post("/api/spaces/alice/s/preupload/main", Some(BOB), &body).expect_error(404, "RepoNotFound");
}

#[test]
fn commit_operations_and_conflicts() {
    let (_emu, c) = start();
    c.create_space(ALICE, "alice/s", "docker", false).expect(200);
    let repo = "spaces/alice/s";
    let before = c.get("/api/spaces/alice/s", None).expect(200).json()["sha"].as_str().unwrap().to_string();
    let r = regular_and_bin(&c, repo);
    let sha = r["commitOid"].as_str().unwrap().to_string();
    assert_eq!(r["commitUrl"], format!("{}/spaces/alice/s/commit/{sha}", c.base));
    assert_eq!(sha.len(), 40);
    assert_eq!(c.get("/api/spaces/alice/s", None).expect(200).json()["sha"], sha);

    // parentCommit: stale → 412, current (or its 7-char prefix) → ok.
    c.commit(ALICE, repo, "main", "stale", &[("x.txt", b"x")], &[], Some(&before), "").expect_error(412, "PreconditionFailed");
    let r2 = c.commit(ALICE, repo, "main", "fresh", &[("x.txt", b"x")], &[], Some(&sha[..7]), "").expect(200).json();
    let sha2 = r2["commitOid"].as_str().unwrap().to_string();

    // Deletions.
    c.commit(ALICE, repo, "main", "rm", &[], &["nope.txt"], None, "").expect_error(404, "EntryNotFound");
    c.commit(ALICE, repo, "main", "rm", &[], &["x.txt", "src/"], None, "").expect(200);
    let files: Vec<String> =
        c.repo_state(repo)["files"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap().to_string()).collect();
    assert_eq!(files, vec![".gitattributes", "README.md", "app.py"]);

    // create_pr → refs/pr/1 on top of main, main unchanged.
    let head = c.repo_state(repo)["sha"].as_str().unwrap().to_string();
    let pr = c.commit(ALICE, repo, "main", "pr", &[("pr.txt", b"pr")], &[], None, "?create_pr=1").expect(200).json();
    assert_eq!(pr["pullRequestUrl"], format!("{}/spaces/alice/s/discussions/1", c.base));
    assert_eq!(c.repo_state(repo)["sha"], head);
    assert_eq!(c.repo_state(repo)["refs"]["refs/pr/1"], pr["commitOid"]);
    c.get("/spaces/alice/s/resolve/refs%2Fpr%2F1/pr.txt", None).expect(200);
    c.get("/spaces/alice/s/resolve/main/pr.txt", None).expect_error(404, "EntryNotFound");
    // Committing to the PR ref itself.
    c.commit(ALICE, repo, "refs/pr/1", "more", &[("pr2.txt", b"2")], &[], None, "").expect(200);
    c.get("/api/spaces/alice/s/tree/refs%2Fpr%2F1", None).expect(200);

    // Malformed payloads and rejected content change nothing.
    let count = c.repo_state(repo)["commits"].as_u64().unwrap();
    c.commit_lines(ALICE, repo, "main", &[json!({ "key": "file", "value": { "path": "a", "content": "" } })], "")
        .expect_error(400, "BadRequest");
    c.commit_lines(ALICE, repo, "main", &[json!({ "key": "header", "value": { "summary": "" } })], "")
        .expect_error(400, "BadRequest");
    c.commit(ALICE, repo, "main", "binary", &[("ok.txt", b"fine"), ("bin.dat", b"\0\x01\x02")], &[], None, "")
        .expect_error(400, "BadRequest");
    c.commit(ALICE, repo, "main", "git dir", &[(".git/config", b"x")], &[], None, "").expect_error(400, "BadRequest");
    c.commit(ALICE, repo, "main", "partial", &[("new.txt", b"new")], &["missing.txt"], None, "")
        .expect_error(404, "EntryNotFound");
    c.commit_lines(
        ALICE,
        repo,
        "main",
        &[
            json!({ "key": "header", "value": { "summary": "lfs", "description": "" } }),
            json!({ "key": "lfsFile", "value": { "path": "w.bin", "algo": "sha256", "oid": "0".repeat(64), "size": 3 } }),
        ],
        "",
    )
    .expect_error(400, "BadRequest");
    assert_eq!(c.repo_state(repo)["commits"].as_u64().unwrap(), count);
    assert!(c.get("/spaces/alice/s/resolve/main/new.txt", None).status == 404);
    c.commit(ALICE, repo, "nope", "x", &[("a", b"a")], &[], None, "").expect_error(404, "RevisionNotFound");
    c.commit(BOB, repo, "main", "x", &[("a", b"a")], &[], None, "").expect_error(403, "Forbidden");

    // History endpoints.
    let commits = c.get("/api/spaces/alice/s/commits/main", None).expect(200).json();
    assert_eq!(commits.as_array().unwrap().len() as u64, count);
    assert_eq!(commits[commits.as_array().unwrap().len() - 1]["title"], "initial commit");
    let refs = c.get("/api/spaces/alice/s/refs?include_prs=1", None).expect(200).json();
    assert_eq!(refs["branches"][0]["name"], "main");
    assert_eq!(refs["pullRequests"][0]["ref"], "refs/pr/1");
    let _ = sha2;
}

#[test]
fn regular_file_limit_is_configurable() {
    let mut cfg = config();
    cfg.tunables.lfs_threshold = 1000;
    let (_emu, c) = start_with(cfg);
    c.create_space(ALICE, "alice/s", "docker", false).expect(200);
    let big = vec![b'a'; 1001];
    c.commit(ALICE, "spaces/alice/s", "main", "big", &[("big.txt", &big)], &[], None, "").expect_error(400, "BadRequest");
    let r = c
        .post(
            "/api/spaces/alice/s/preupload/main",
            Some(ALICE),
            &json!({ "files": [{ "path": "big.txt", "sample": "", "size": 1001 }] }),
        )
        .expect(200)
        .json();
    assert_eq!(r["files"][0]["uploadMode"], "lfs");
}

fn lfs_batch(c: &Client, repo_url_prefix: &str, objects: &[(&str, u64)], transfers: &[&str]) -> Value {
    let objs: Vec<Value> = objects.iter().map(|(o, s)| json!({ "oid": o, "size": s })).collect();
    c.req(
        "POST",
        &format!("/{repo_url_prefix}.git/info/lfs/objects/batch"),
        Some(ALICE),
        &[("content-type", "application/vnd.git-lfs+json"), ("accept", "application/vnd.git-lfs+json")],
        Some(serde_json::to_vec(&json!({ "operation": "upload", "transfers": transfers, "objects": objs, "hash_algo": "sha256", "ref": { "name": "main" } })).unwrap().as_slice()),
    )
    .expect(200)
    .json()
}

#[test]
fn lfs_basic_upload_commit_and_download_memory() {
    lfs_basic_upload_commit_and_download(config());
}

#[test]
fn lfs_basic_upload_commit_and_download_disk() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config();
    cfg.data_dir = Some(dir.path().to_path_buf());
    lfs_basic_upload_commit_and_download(cfg);
}

fn lfs_basic_upload_commit_and_download(cfg: hub_emulator::Config) {
    let (_emu, c) = start_with(cfg);
    c.create_space(ALICE, "alice/s", "docker", true).expect(200);
    let data: Vec<u8> = (0..300_000u32).flat_map(|i| i.to_le_bytes()).collect();
    let oid = sha256_hex(&data);
    let size = data.len() as u64;
    let batch = lfs_batch(&c, "spaces/alice/s", &[(&oid, size)], &["basic", "multipart"]);
    let obj = &batch["objects"][0];
    let href = obj["actions"]["upload"]["href"].as_str().unwrap();
    assert!(href.starts_with(&c.base), "upload target is served by the emulator: {href}");
    assert!(obj["actions"]["upload"]["header"].get("chunk_size").is_none());
    let verify = obj["actions"]["verify"]["href"].as_str().unwrap().to_string();

    // Corrupted upload → 400, nothing stored; then the real upload.
    let mut bad = data.clone();
    bad[0] ^= 1;
    c.put_bytes(href, &bad).expect_error(400, "BadDigest");
    c.post(&verify, Some(ALICE), &json!({ "oid": oid, "size": size })).expect(404);
    c.put_bytes(href, &data).expect(200);
    c.post(&verify, Some(ALICE), &json!({ "oid": oid, "size": size })).expect(200);

    // Already stored → no actions.
    let again = lfs_batch(&c, "spaces/alice/s", &[(&oid, size)], &["basic"]);
    assert!(again["objects"][0].get("actions").is_none());

    let r = c.commit_lines(
        ALICE,
        "spaces/alice/s",
        "main",
        &[
            json!({ "key": "header", "value": { "summary": "weights", "description": "" } }),
            json!({ "key": "lfsFile", "value": { "path": "weights/model.bin", "algo": "sha256", "oid": oid, "size": size } }),
        ],
        "",
    );
    r.expect(200);

    let tree = c.get("/api/spaces/alice/s/tree/main/weights", Some(ALICE)).expect(200).json();
    let f = &tree[0];
    assert_eq!(f["path"], "weights/model.bin");
    assert_eq!(f["size"], size);
    assert_eq!(f["lfs"]["oid"], oid);
    let pointer = format!("version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize {size}\n");
    assert_eq!(f["lfs"]["pointerSize"], pointer.len());
    assert_eq!(f["oid"], hub_emulator::git_blob_oid(pointer.as_bytes()));

    // Preupload now reports the sha256 for that path.
    let pre = c
        .post(
            "/api/spaces/alice/s/preupload/main",
            Some(ALICE),
            &json!({ "files": [{ "path": "weights/model.bin", "sample": b64(&data[..512]), "size": size }] }),
        )
        .expect(200)
        .json();
    assert_eq!(pre["files"][0]["oid"], oid);

    // Download: 302 to the CDN listener with the linked headers; the CDN serves the bytes without auth.
    let head = c.head("/spaces/alice/s/resolve/main/weights/model.bin", Some(ALICE)).expect(302);
    assert_eq!(head.header("x-linked-size"), Some(size.to_string().as_str()));
    assert_eq!(head.header("x-linked-etag"), Some(format!("\"{oid}\"").as_str()));
    assert_eq!(head.header("x-repo-commit").map(str::len), Some(40));
    let location = head.header("location").unwrap().to_string();
    assert!(!location.starts_with(&c.base), "CDN is a different origin");
    c.get(&location, Some(ALICE)).expect_error(400, "BadRequest");
    let got = c.get(&location, None).expect(200);
    assert_eq!(got.body, data);
    assert_eq!(got.header("content-length"), Some(size.to_string().as_str()));
    // Anonymous users cannot resolve a private repo.
    c.head("/spaces/alice/s/resolve/main/weights/model.bin", None).expect_error(404, "RepoNotFound");
}

#[test]
fn lfs_verify_on_read_memory() {
    lfs_verify_on_read(config());
}

#[test]
fn lfs_verify_on_read_disk() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config();
    cfg.data_dir = Some(dir.path().to_path_buf());
    lfs_verify_on_read(cfg);
}

/// PUTs `data` as the object `oid` through what the batch answers (basic, or multipart parts + completion).
fn upload_object(c: &Client, oid: &str, size: u64, data: &[u8]) -> Resp {
    let batch = lfs_batch(c, "spaces/alice/s", &[(oid, size)], &["basic", "multipart"]);
    let upload = &batch["objects"][0]["actions"]["upload"];
    let Some(chunk) = upload["header"]["chunk_size"].as_str() else {
        return c.put_bytes(upload["href"].as_str().unwrap(), data);
    };
    let chunk: usize = chunk.parse().unwrap();
    let parts: Vec<Value> = data
        .chunks(chunk)
        .enumerate()
        .map(|(i, part)| {
            let r = c.put_bytes(upload["header"][(i + 1).to_string()].as_str().unwrap(), part).expect(200);
            json!({ "partNumber": i + 1, "etag": r.header("etag").unwrap() })
        })
        .collect();
    c.post(upload["href"].as_str().unwrap(), None, &json!({ "oid": oid, "parts": parts }))
}

/// `--lfs-verify read`, the benchmark rig setting: the size is still checked on receipt, the sha256 on the
/// first read of the content, which refuses a corrupt upload and drops it.
fn lfs_verify_on_read(mut cfg: hub_emulator::Config) {
    cfg.tunables.lfs_verify = hub_emulator::LfsVerify::Read;
    cfg.tunables.multipart_threshold = 100_000;
    cfg.tunables.multipart_chunk_size = 40_000;
    let (_emu, c) = start_with(cfg);
    c.create_space(ALICE, "alice/s", "docker", true).expect(200);
    let small: Vec<u8> = (0..15_000u32).flat_map(|i| i.to_le_bytes()).collect();
    let big: Vec<u8> = (0..250_000u32).map(|i| (i % 253) as u8).collect();
    let mut objects = Vec::new();
    for (name, data) in [("small", &small), ("big", &big)] {
        let oid = sha256_hex(data);
        let mut bad = data.clone();
        bad[data.len() / 2] ^= 1;
        let bad_oid = sha256_hex(&{
            let mut other = data.clone();
            other.reverse();
            other
        });
        let size = data.len() as u64;
        // A wrong size is still refused as it arrives.
        if name == "small" {
            let batch = lfs_batch(&c, "spaces/alice/s", &[(&bad_oid, size)], &["basic"]);
            c.put_bytes(batch["objects"][0]["actions"]["upload"]["href"].as_str().unwrap(), &data[1..])
                .expect_error(400, "BadDigest");
        }
        // Right size, wrong bytes: accepted on receipt, and so are the verify call and a commit naming it.
        upload_object(&c, &bad_oid, size, &bad).expect(200);
        c.post("/spaces/alice/s.git/info/lfs/objects/verify", Some(ALICE), &json!({ "oid": bad_oid, "size": size })).expect(200);
        upload_object(&c, &oid, size, data).expect(200);
        objects.push((name, oid, bad_oid, size));
    }
    let mut lines = vec![json!({ "key": "header", "value": { "summary": "lfs", "description": "" } })];
    for (name, oid, bad_oid, size) in &objects {
        lines.push(
            json!({ "key": "lfsFile", "value": { "path": format!("{name}.bin"), "algo": "sha256", "oid": oid, "size": size } }),
        );
        lines.push(json!({ "key": "lfsFile", "value": { "path": format!("{name}-bad.bin"), "algo": "sha256", "oid": bad_oid, "size": size } }));
    }
    c.commit_lines(ALICE, "spaces/alice/s", "main", &lines, "").expect(200);
    assert_eq!(c.state()["corruptLfsObjects"], json!([]), "nothing is hashed before a read");

    for ((name, _, bad_oid, size), data) in objects.iter().zip([&small, &big]) {
        let location = |path: &str| {
            let head = c.head(&format!("/spaces/alice/s/resolve/main/{path}"), Some(ALICE)).expect(302);
            head.header("location").unwrap().to_string()
        };
        // The intact upload is checked and served.
        assert_eq!(&c.get(&location(&format!("{name}.bin")), None).expect(200).body, data);
        // The corrupt one is refused on that first read and dropped: gone for later reads, and uploaded again
        // when a batch names it.
        let bad = location(&format!("{name}-bad.bin"));
        let refused = c.get(&bad, None).expect_error(400, "BadDigest");
        assert!(refused.text().contains(bad_oid.as_str()), "{}", refused.text());
        c.get(&bad, None).expect(404);
        let again = lfs_batch(&c, "spaces/alice/s", &[(bad_oid, *size)], &["basic", "multipart"]);
        assert!(again["objects"][0]["actions"]["upload"].is_object(), "{again}");
    }
    let bad: Vec<&str> = objects.iter().map(|(_, _, b, _)| b.as_str()).collect();
    assert_eq!(c.state()["corruptLfsObjects"], json!(bad));
}

#[test]
fn lfs_multipart_upload_memory() {
    lfs_multipart_upload(config());
}

#[test]
fn lfs_multipart_upload_disk() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config();
    cfg.data_dir = Some(dir.path().to_path_buf());
    lfs_multipart_upload(cfg);
}

fn lfs_multipart_upload(mut cfg: hub_emulator::Config) {
    cfg.tunables.multipart_threshold = 100_000;
    cfg.tunables.multipart_chunk_size = 40_000;
    let (_emu, c) = start_with(cfg);
    c.create_space(ALICE, "alice/s", "docker", false).expect(200);
    let data: Vec<u8> = (0..250_000u32).map(|i| (i % 251) as u8).collect();
    let oid = sha256_hex(&data);
    let batch = lfs_batch(&c, "spaces/alice/s", &[(&oid, data.len() as u64)], &["basic", "multipart"]);
    assert_eq!(batch["transfer"], "multipart");
    let upload = &batch["objects"][0]["actions"]["upload"];
    let chunk: usize = upload["header"]["chunk_size"].as_str().unwrap().parse().unwrap();
    assert_eq!(chunk, 40_000);
    let nparts = data.len().div_ceil(chunk);
    assert!(upload["header"][nparts.to_string()].is_string());
    assert!(upload["header"].get((nparts + 1).to_string()).is_none());
    let mut parts = Vec::new();
    for n in 1..=nparts {
        let url = upload["header"][n.to_string()].as_str().unwrap();
        let slice = &data[(n - 1) * chunk..(n * chunk).min(data.len())];
        let r = c.put_bytes(url, slice).expect(200);
        parts.push(json!({ "partNumber": n, "etag": r.header("etag").unwrap() }));
    }
    let complete = upload["href"].as_str().unwrap();
    // A wrong etag is refused (and the upload has to start over).
    let mut wrong = parts.clone();
    wrong[0]["etag"] = json!("\"bogus\"");
    c.post(complete, None, &json!({ "oid": oid, "parts": wrong })).expect_error(400, "BadRequest");
    c.post(complete, None, &json!({ "oid": oid, "parts": parts })).expect(404);

    let batch = lfs_batch(&c, "spaces/alice/s", &[(&oid, data.len() as u64)], &["basic", "multipart"]);
    let upload = &batch["objects"][0]["actions"]["upload"];
    let mut parts = Vec::new();
    for n in 1..=nparts {
        let url = upload["header"][n.to_string()].as_str().unwrap();
        let r = c.put_bytes(url, &data[(n - 1) * chunk..(n * chunk).min(data.len())]).expect(200);
        parts.push(json!({ "partNumber": n, "etag": r.header("etag").unwrap() }));
    }
    c.post(upload["href"].as_str().unwrap(), None, &json!({ "oid": oid, "parts": parts })).expect(200);

    // Parts out of order, one of them first sent with wrong bytes and then re-sent: still verified exactly.
    let other: Vec<u8> = data.iter().rev().copied().collect();
    let other_oid = sha256_hex(&other);
    let batch = lfs_batch(&c, "spaces/alice/s", &[(&other_oid, other.len() as u64)], &["basic", "multipart"]);
    let upload = &batch["objects"][0]["actions"]["upload"];
    let mut etags = vec![String::new(); nparts + 1];
    for n in (1..=nparts).rev() {
        let url = upload["header"][n.to_string()].as_str().unwrap();
        let slice = &other[(n - 1) * chunk..(n * chunk).min(other.len())];
        if n == 1 {
            c.put_bytes(url, &vec![0u8; slice.len()]).expect(200);
        }
        etags[n] = c.put_bytes(url, slice).expect(200).header("etag").unwrap().to_string();
    }
    let parts: Vec<serde_json::Value> = (1..=nparts).map(|n| json!({ "partNumber": n, "etag": etags[n] })).collect();
    c.post(upload["href"].as_str().unwrap(), None, &json!({ "oid": other_oid, "parts": parts })).expect(200);
    // A part that is too big is refused.
    let batch = lfs_batch(&c, "spaces/alice/s", &[(&sha256_hex(b"zzz"), 150_000)], &["multipart"]);
    let url = batch["objects"][0]["actions"]["upload"]["header"]["1"].as_str().unwrap().to_string();
    c.put_bytes(&url, &vec![1u8; 40_001]).expect_error(400, "BadRequest");

    c.commit_lines(
        ALICE,
        "spaces/alice/s",
        "main",
        &[
            json!({ "key": "header", "value": { "summary": "big", "description": "" } }),
            json!({ "key": "lfsFile", "value": { "path": "big.bin", "algo": "sha256", "oid": oid, "size": data.len() } }),
        ],
        "",
    )
    .expect(200);
    let loc = c.head("/spaces/alice/s/resolve/main/big.bin", None).expect(302).header("location").unwrap().to_string();
    assert_eq!(c.get(&loc, None).expect(200).body, data);
}

#[test]
fn tree_listing_pagination_and_expand() {
    let mut cfg = config();
    cfg.tunables.tree_page_size = 7;
    let (_emu, c) = start_with(cfg);
    c.create_space(ALICE, "alice/s", "docker", false).expect(200);
    let names: Vec<String> = (0..20).map(|i| format!("data/f{i:02}.txt")).collect();
    let files: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), n.as_bytes())).collect();
    c.commit(ALICE, "spaces/alice/s", "main", "many", &files, &[], None, "").expect(200);
    c.commit(ALICE, "spaces/alice/s", "main", "touch one", &[("data/f03.txt", b"changed")], &[], None, "").expect(200);

    // Root, not recursive: the directory and top-level files.
    let root = c.get("/api/spaces/alice/s/tree/main", None).expect(200).json();
    let kinds: Vec<(String, String)> = root
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["path"].as_str().unwrap().into(), e["type"].as_str().unwrap().into()))
        .collect();
    assert_eq!(
        kinds,
        vec![(".gitattributes".into(), "file".into()), ("README.md".into(), "file".into()), ("data".into(), "directory".into())]
    );
    assert_eq!(root[2]["oid"].as_str().unwrap().len(), 40);

    // Recursive with pagination: follow Link rel=next (bounded).
    let mut url = "/api/spaces/alice/s/tree/main?recursive=true&expand=false".to_string();
    let mut seen = Vec::new();
    for _ in 0..10 {
        let r = c.get(&url, None).expect(200);
        seen.extend(r.json().as_array().unwrap().iter().map(|e| e["path"].as_str().unwrap().to_string()));
        match r.header("link") {
            Some(l) => {
                assert!(l.ends_with("rel=\"next\""));
                url = l[1..l.find('>').unwrap()].to_string();
                assert!(url.starts_with(&c.base));
            }
            None => break,
        }
    }
    assert_eq!(seen.len(), 23); // 20 files + data dir + 2 root files
    assert_eq!(seen.iter().collect::<std::collections::BTreeSet<_>>().len(), 23);

    // expand=true: lastCommit per entry.
    let sub = c.get("/api/spaces/alice/s/tree/main/data?expand=true", None).expect(200).json();
    let f03 = sub.as_array().unwrap().iter().find(|e| e["path"] == "data/f03.txt").unwrap();
    assert_eq!(f03["lastCommit"]["title"], "touch one");
    let f04 = sub.as_array().unwrap().iter().find(|e| e["path"] == "data/f04.txt").unwrap();
    assert_eq!(f04["lastCommit"]["title"], "many");

    c.get("/api/spaces/alice/s/tree/main/data%2Ff03.txt", None).expect_error(404, "EntryNotFound");
    c.get("/api/spaces/alice/s/tree/main/nothing", None).expect_error(404, "EntryNotFound");
    c.get("/api/spaces/alice/s/tree/v9", None).expect_error(404, "RevisionNotFound");
    c.get("/api/spaces/alice/nope/tree/main", None).expect_error(404, "RepoNotFound");
}

#[test]
fn paths_info_form_and_json() {
    let (_emu, c) = start();
    c.create_space(ALICE, "alice/s", "docker", false).expect(200);
    regular_and_bin(&c, "spaces/alice/s");
    let form = "paths=app.py&paths=src&paths=missing.txt&paths=src%2Fdeep%2Fb.txt&expand=false";
    let r = c
        .req(
            "POST",
            "/api/spaces/alice/s/paths-info/main",
            None,
            &[("content-type", "application/x-www-form-urlencoded")],
            Some(form.as_bytes()),
        )
        .expect(200)
        .json();
    let paths: Vec<&str> = r.as_array().unwrap().iter().map(|e| e["path"].as_str().unwrap()).collect();
    assert_eq!(paths, vec!["app.py", "src", "src/deep/b.txt"]);
    assert_eq!(r[0]["oid"], hub_emulator::git_blob_oid(b"print('hi')\n"));
    assert_eq!(r[1]["type"], "directory");
    let r =
        c.post("/api/spaces/alice/s/paths-info/main", None, &json!({ "paths": ["app.py"], "expand": true })).expect(200).json();
    assert_eq!(r[0]["lastCommit"]["title"], "add files");
    let many: String = (0..1001).map(|i| format!("paths=f{i}&")).collect();
    c.req(
        "POST",
        "/api/spaces/alice/s/paths-info/main",
        None,
        &[("content-type", "application/x-www-form-urlencoded")],
        Some(many.as_bytes()),
    )
    .expect(413);
}

#[test]
fn resolve_regular_files() {
    let (_emu, c) = start();
    c.create_space(ALICE, "alice/s", "docker", false).expect(200);
    let sha = regular_and_bin(&c, "spaces/alice/s")["commitOid"].as_str().unwrap().to_string();
    let body = b"print('hi')\n";
    let head = c.head("/spaces/alice/s/resolve/main/app.py", None).expect(200);
    assert_eq!(head.header("x-repo-commit"), Some(sha.as_str()));
    assert_eq!(head.header("etag"), Some(format!("\"{}\"", hub_emulator::git_blob_oid(body)).as_str()));
    assert_eq!(head.header("content-length"), Some(body.len().to_string().as_str()));
    assert!(head.body.is_empty());
    assert_eq!(c.get("/spaces/alice/s/resolve/main/app.py", None).expect(200).body, body);
    assert_eq!(c.get(&format!("/spaces/alice/s/resolve/{sha}/src/deep/b.txt"), None).expect(200).body, b"b");
    let part = c.req("GET", "/spaces/alice/s/resolve/main/app.py", None, &[("range", "bytes=6-")], None).expect(206);
    assert_eq!(part.body, b"'hi')\n");
    assert_eq!(part.header("content-range"), Some("bytes 6-11/12"));
    c.req("GET", "/spaces/alice/s/resolve/main/app.py", None, &[("range", "bytes=50-")], None).expect(416);
    let missing = c.head("/spaces/alice/s/resolve/main/nope.py", None).expect_error(404, "EntryNotFound");
    assert_eq!(missing.header("x-repo-commit"), Some(sha.as_str()));
    c.head("/spaces/alice/s/resolve/nobranch/app.py", None).expect_error(404, "RevisionNotFound");
    // Models have no URL prefix.
    c.post("/api/repos/create", Some(ALICE), &json!({ "name": "m" })).expect(200);
    c.commit(ALICE, "models/alice/m", "main", "cfg", &[("config.json", b"{}")], &[], None, "").expect(200);
    assert_eq!(c.get("/alice/m/resolve/main/config.json", None).expect(200).body, b"{}");
}

#[test]
fn misc_endpoints() {
    let (_emu, c) = start();
    let hw = c.get("/api/spaces/hardware", None).expect(200).json();
    let names: Vec<&str> = hw.as_array().unwrap().iter().map(|h| h["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"cpu-basic") && names.contains(&"a100-large") && names.len() == 21);
    for key in ["prettyName", "cpu", "ram", "unitCostMicroUSD", "unitCostUSD", "unitLabel"] {
        assert!(hw[0].get(key).is_some(), "{key}");
    }
    c.post("/api/validate-yaml", Some(ALICE), &json!({ "content": "---\nsdk: docker\n---\n", "repoType": "space" })).expect(200);
    let bad = c
        .post("/api/validate-yaml", Some(ALICE), &json!({ "content": "---\nsdk: rails\n---\n", "repoType": "space" }))
        .expect_error(400, "BadRequest");
    assert!(bad.json()["errors"][0]["message"].as_str().unwrap().contains("sdk"));
    c.get("/api/unknown", None).expect_error(404, "NotFound");
    // Keys from URLs never reach files outside the blob store.
    c.get("/__cdn/..%2F..%2F..%2Fetc%2Fpasswd", None).expect(404);
    c.get("/__cdn/../state.json", None).expect(404);
    let info = c.get("/__emulator/info", None).expect(200).json();
    assert_eq!(info["url"], c.base);
    assert!(info["logsHost"].as_str().unwrap().ends_with("/logs-host"));
}

#[test]
fn request_log_counts_bytes() {
    let (_emu, c) = start();
    c.create_space(ALICE, "alice/s", "docker", false).expect(200);
    c.clear_requests();
    c.commit(ALICE, "spaces/alice/s", "main", "one", &[("only.txt", b"just this file")], &[], None, "").expect(200);
    let reqs = c.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0]["method"], "POST");
    assert_eq!(reqs[0]["path"], "/api/spaces/alice/s/commit/main");
    assert_eq!(reqs[0]["status"], 200);
    assert_eq!(reqs[0]["user"], "alice");
    assert!(reqs[0]["bytesReceived"].as_u64().unwrap() > 14);
    let dump = serde_json::to_string(&reqs).unwrap();
    assert!(!dump.contains(ALICE), "the request log never holds a token");
    // Control requests are not logged; `since` filters.
    let last = reqs[0]["seq"].as_u64().unwrap();
    c.get("/api/spaces/alice/s", None).expect(200);
    let newer = c.get(&format!("/__emulator/requests?since={last}"), None).expect(200).json();
    assert_eq!(newer.as_array().unwrap().len(), 1);
}

#[test]
fn protected_visibility_and_duplicate_history() {
    let (_emu, c) = start();
    let create = |id: &str, vis: &str| {
        let (ns, name) = id.split_once('/').unwrap();
        json!({ "name": name, "organization": ns, "type": "space", "sdk": "docker", "visibility": vis })
    };
    c.post("/api/repos/create", Some(ALICE), &create("alice/p", "protected")).expect(200);
    assert_eq!(c.repo_state("spaces/alice/p")["visibility"], "protected");
    // Protected files are private: hidden from others like a private Space's.
    c.get("/api/spaces/alice/p", Some(BOB)).expect_error(404, "RepoNotFound");
    assert_eq!(c.get("/api/spaces/alice/p", Some(ALICE)).expect(200).json()["private"], true);
    c.post("/api/repos/create", Some(ALICE), &json!({ "name": "m", "type": "model", "visibility": "protected" }))
        .expect_error(400, "BadRequest");
    c.json("PUT", "/api/spaces/alice/p/settings", Some(ALICE), &json!({ "visibility": "public" })).expect(200);
    assert_eq!(c.repo_state("spaces/alice/p")["visibility"], "public");
    c.json("PUT", "/api/spaces/alice/p/settings", Some(ALICE), &json!({ "visibility": "protected" })).expect(200);
    let st = c.repo_state("spaces/alice/p");
    assert_eq!((st["visibility"].clone(), st["private"].clone()), (json!("protected"), json!(true)));
    c.json("PUT", "/api/spaces/alice/p/settings", Some(ALICE), &json!({ "visibility": "hidden" }))
        .expect_error(400, "BadRequest");

    // Duplicate: same history (commit ids), the source's visibility unless one is given, no PR refs.
    c.commit(ALICE, "spaces/alice/p", "main", "add app", &[("app.py", b"print(1)\n")], &[], None, "").expect(200);
    c.commit(ALICE, "spaces/alice/p", "main", "a PR", &[("x.txt", b"x")], &[], None, "?create_pr=1").expect(200);
    let r = c.post("/api/spaces/alice/p/duplicate", Some(ALICE), &json!({ "repository": "alice/q" })).expect(200).json();
    assert_eq!(r["filesCopyPending"], false);
    assert!(r["url"].as_str().unwrap().ends_with("/spaces/alice/q"), "{r}");
    let (src, copy) = (c.repo_state("spaces/alice/p"), c.repo_state("spaces/alice/q"));
    assert_eq!(
        (copy["sha"].clone(), copy["commits"].clone(), copy["totalCommits"].clone()),
        (src["sha"].clone(), json!(2), json!(2))
    );
    assert_eq!(src["totalCommits"], 3, "the PR's commit stays with the source");
    assert_eq!(copy["visibility"], "protected");
    assert!(copy["refs"].get("refs/pr/1").is_none() && src["refs"].get("refs/pr/1").is_some(), "{copy}");
    let body = json!({ "repository": "alice/r", "visibility": "public", "hardware": "cpu-upgrade", "sleepTimeSeconds": 600,
        "secrets": [{ "key": "K", "value": "v" }], "variables": [{ "key": "V", "value": "1" }],
        "volumes": [{ "type": "model", "source": "alice/m", "mountPath": "/m", "readOnly": false }] });
    c.post("/api/spaces/alice/p/duplicate", Some(ALICE), &body).expect(200);
    let r = c.repo_state("spaces/alice/r");
    assert_eq!(r["visibility"], "public");
    let sp = &r["space"];
    assert_eq!((sp["hardware"].clone(), sp["sleepTime"].clone()), (json!("cpu-upgrade"), json!(600)));
    assert_eq!((sp["variables"].clone(), sp["secrets"]["K"]["sha256"].clone()), (json!({ "V": "1" }), json!(sha256_hex(b"v"))));
    assert_eq!(sp["volumes"], json!([{ "type": "model", "source": "alice/m", "mountPath": "/m", "readOnly": true }]));
    c.post("/api/spaces/alice/p/duplicate", Some(ALICE), &json!({ "repository": "alice/r" })).expect_error(409, "Conflict");
}

#[test]
fn multipart_parts_hashed_before_completion_still_verify_exactly() {
    for disk in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let mut cfg = config();
        if disk {
            cfg.data_dir = Some(dir.path().to_path_buf());
        }
        cfg.tunables.multipart_threshold = 100_000;
        cfg.tunables.multipart_chunk_size = 40_000;
        let (_emu, c) = start_with(cfg);
        c.create_space(ALICE, "alice/s", "docker", false).expect(200);
        let chunk = 40_000;
        let send = |data: &[u8], order: &[usize], resend: Option<(usize, Vec<u8>)>| -> u16 {
            let oid = sha256_hex(data);
            let nparts = data.len().div_ceil(chunk);
            let slice = |n: usize| &data[(n - 1) * chunk..(n * chunk).min(data.len())];
            let batch = lfs_batch(&c, "spaces/alice/s", &[(&oid, data.len() as u64)], &["basic", "multipart"]);
            let upload = &batch["objects"][0]["actions"]["upload"];
            let url = |n: usize| upload["header"][n.to_string()].as_str().unwrap().to_string();
            let mut etags = vec![String::new(); nparts + 1];
            for &n in order {
                etags[n] = c.put_bytes(&url(n), slice(n)).expect(200).header("etag").unwrap().to_string();
            }
            if let Some((n, bytes)) = resend {
                etags[n] = c.put_bytes(&url(n), &bytes).expect(200).header("etag").unwrap().to_string();
            }
            let parts: Vec<Value> = (1..=nparts).map(|n| json!({ "partNumber": n, "etag": etags[n] })).collect();
            c.post(upload["href"].as_str().unwrap(), None, &json!({ "oid": oid, "parts": parts })).status
        };
        // 7 parts; 2..4 arrive before 1 and are hashed once 1 has landed, the rest as they stream in.
        let order: Vec<usize> = vec![2, 3, 4, 1, 5, 6, 7];
        let data: Vec<u8> = (0..250_000u32).map(|i| (i * 7 % 253) as u8).collect();
        assert_eq!(send(&data, &order, None), 200, "disk={disk}");
        // Part 3 sent again with other bytes of the same length: the object no longer matches its oid.
        let other: Vec<u8> = data.iter().rev().copied().collect();
        assert_eq!(send(&other, &order, Some((3, vec![9u8; chunk]))), 400, "disk={disk}");
        // Sent again with the right bytes: accepted.
        assert_eq!(send(&other, &order, Some((3, other[2 * chunk..3 * chunk].to_vec()))), 200, "disk={disk}");
        for (path, bytes) in [("a.bin", &data), ("b.bin", &other)] {
            let line = json!({ "key": "lfsFile", "value": { "path": path, "algo": "sha256", "oid": sha256_hex(bytes), "size": bytes.len() } });
            c.commit_lines(
                ALICE,
                "spaces/alice/s",
                "main",
                &[json!({ "key": "header", "value": { "summary": path, "description": "" } }), line],
                "",
            )
            .expect(200);
            let loc =
                c.head(&format!("/spaces/alice/s/resolve/main/{path}"), None).expect(302).header("location").unwrap().to_string();
            assert_eq!(&c.get(&loc, None).expect(200).body, bytes, "{path} disk={disk}");
        }
    }
}
