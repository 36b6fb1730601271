//! Planning and uploading folders against the emulator: round trips, incremental re-uploads, deletes,
//! retries, dropped connections, conflicts.

mod common;

use std::path::Path;
use std::time::Duration;

use common::*;
use serde_json::{Value, json};
use spacesmith_hub::plan::{self, PlanOptions};
use spacesmith_hub::*;

const LFS_THRESHOLD: u64 = 64 * 1024;

/// Small thresholds so a few hundred KiB exercise LFS basic and multipart transfers.
fn small_thresholds(url: &str) {
    set_config(url, json!({ "lfsThreshold": LFS_THRESHOLD, "multipartThreshold": 200 * 1024, "multipartChunkSize": 100 * 1024 }));
}

fn opts() -> PlanOptions {
    PlanOptions { lfs_threshold: LFS_THRESHOLD, ..PlanOptions::default() }
}

fn big(n: usize, seed: u8) -> Vec<u8> {
    (0..n).map(|i| ((i * 31 + seed as usize) % 251) as u8 + 1).collect()
}

/// A Space project with small, empty, nested, binary, big, ignored and `.git` files.
fn project(root: &Path) {
    write(root, "README.md", README);
    write(root, "Dockerfile", DOCKERFILE);
    write(root, "app.py", "print('hello')\n");
    write(root, "src/pkg/__init__.py", "");
    write(root, "src/pkg/util.py", "def f():\n    return 1\n");
    write(root, "notes/space name ü.md", "unicode path\n");
    write(root, "assets/logo.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR tiny");
    write(root, "data/model.bin", big(300 * 1024, 1));
    write(root, "data/weights.txt", big(80 * 1024, 2));
    write(root, ".gitignore", "*.log\nsecrets/\n");
    write(root, "debug.log", "ignored\n");
    write(root, "secrets/key.txt", "ignored\n");
    write(root, ".git/HEAD", "ref: refs/heads/main\n");
    write(root, ".git/config", "[core]\n");
}

fn run(env: &Env, s: &SpaceId, root: &Path, msg: &str) -> Result<(UploadPlan, UploadReport)> {
    let plan = plan::plan_folder(&*env.api, s, root, "main", &opts())?;
    let report = upload(&*env.api, s, &plan, &CommitOptions::new(msg))?;
    Ok((plan, report))
}

fn local_files(root: &Path) -> Vec<(String, Vec<u8>)> {
    plan::scan_folder(root).unwrap().into_iter().map(|f| (f.path.clone(), std::fs::read(&f.abs).unwrap())).collect()
}

fn remote_without_gitattributes(env: &Env, s: &SpaceId) -> Vec<(String, Vec<u8>)> {
    download_all(&*env.api, s).into_iter().filter(|(p, _)| p != ".gitattributes").collect()
}

fn lfs_flag(env: &Env, id: &str, path: &str) -> bool {
    let r = repo(&env.url, id);
    let f = r["files"].as_array().unwrap().iter().find(|f| f["path"] == path).cloned().unwrap_or(Value::Null);
    f["lfs"].as_bool().unwrap_or_else(|| panic!("{path} not in the repo"))
}

#[test]
fn upload_folder_round_trips_byte_exact() {
    let env = start();
    small_thresholds(&env.url);
    let s = create(&env, "alice/app");
    let dir = tempfile::tempdir().unwrap();
    project(dir.path());
    let commits = commit_count(&env.url, "alice/app");
    clear_requests(&env.url);

    let plan = plan::plan_folder(&*env.api, &s, dir.path(), "main", &opts()).unwrap();
    let events = std::sync::Mutex::new(Vec::new());
    let report = upload::upload_with_progress(&*env.api, &s, &plan, &CommitOptions::new("deploy"), &|e| {
        events.lock().unwrap().push(e);
    })
    .unwrap();
    let events = events.into_inner().unwrap();
    assert_eq!(events[0], upload::UploadEvent::Classified { regular: 7, lfs: 3, ignored: 0 });
    let last_lfs = events.iter().rev().find_map(|e| match e {
        upload::UploadEvent::LfsProgress { done, total } => Some((*done, *total)),
        _ => None,
    });
    assert_eq!(last_lfs, Some((report.lfs_bytes_uploaded, report.lfs_bytes_uploaded)));
    assert!(matches!(events.last(), Some(upload::UploadEvent::Committing { ops: 10 })));
    assert!(plan.parent_commit.is_some());
    assert_eq!(plan.changed.iter().map(|f| f.path.as_str()).collect::<Vec<_>>(), ["README.md"]);
    assert!(plan.deleted.is_empty(), ".gitattributes is kept: {:?}", plan.deleted);
    let commit = report.commit.as_ref().expect("a commit");
    assert_eq!(repo(&env.url, "alice/app")["sha"], commit.oid.as_str());
    assert_eq!(commit_count(&env.url, "alice/app"), commits + 1, "one atomic commit");
    assert_eq!(report.lfs_files, 3, "model.bin (multipart), weights.txt (size), logo.png (binary)");
    assert_eq!(report.regular_files, 7);

    // Byte-exact round trip of exactly the files an upload should send.
    let local = local_files(dir.path());
    let names: Vec<&str> = local.iter().map(|(p, _)| p.as_str()).collect();
    assert!(!names.iter().any(|p| p.starts_with(".git/") || p.ends_with(".log") || p.starts_with("secrets/")), "{names:?}");
    assert_eq!(remote_without_gitattributes(&env, &s), local);
    assert!(lfs_flag(&env, "alice/app", "data/model.bin"));
    assert!(lfs_flag(&env, "alice/app", "assets/logo.png"));
    assert!(!lfs_flag(&env, "alice/app", "app.py"));
    assert!(!lfs_flag(&env, "alice/app", "src/pkg/__init__.py"), "empty files are never LFS");

    let reqs = requests(&env.url);
    assert_eq!(matching(&reqs, "/__lfs/part/").len(), 3, "300 KiB in 100 KiB parts");
    assert_eq!(matching(&reqs, "/__lfs/complete/").len(), 1);
    assert_eq!(matching(&reqs, "/__lfs/upload/").len(), 2);
    assert_eq!(matching(&reqs, "/info/lfs/objects/verify").len(), 3);
    assert_eq!(matching(&reqs, "/commit/").len(), 1);
}

#[test]
fn reupload_sends_only_the_changed_file_and_deletes_propagate() {
    let env = start();
    small_thresholds(&env.url);
    let s = create(&env, "alice/inc");
    let dir = tempfile::tempdir().unwrap();
    project(dir.path());
    run(&env, &s, dir.path(), "first").unwrap();

    // One small file changed.
    write(dir.path(), "app.py", "print('hello again')\n");
    clear_requests(&env.url);
    let (plan, report) = run(&env, &s, dir.path(), "second").unwrap();
    assert_eq!(plan.changed.iter().map(|f| f.path.as_str()).collect::<Vec<_>>(), ["app.py"]);
    assert!(plan.added.is_empty() && plan.deleted.is_empty());
    assert_eq!(report.changed, ["app.py"]);
    assert_eq!((report.regular_files, report.lfs_files, report.lfs_bytes_uploaded), (1, 0, 0));
    let reqs = requests(&env.url);
    assert!(matching(&reqs, "/__lfs/").is_empty() && matching(&reqs, "/lfs/objects/").is_empty());
    let commit = matching(&reqs, "/commit/");
    assert_eq!(commit.len(), 1);
    let sent = commit[0]["bytesReceived"].as_u64().unwrap();
    assert!(sent < 1024, "the commit carries one small file, not the folder: {sent} bytes");
    let total: u64 = reqs.iter().map(|r| r["bytesReceived"].as_u64().unwrap()).sum();
    assert!(total < 10 * 1024, "{total} bytes sent in all");

    // A changed LFS file goes through LFS only for itself.
    write(dir.path(), "data/model.bin", big(300 * 1024, 9));
    clear_requests(&env.url);
    let (_, report) = run(&env, &s, dir.path(), "third").unwrap();
    assert_eq!((report.changed.as_slice(), report.lfs_bytes_uploaded), (&["data/model.bin".to_string()][..], 300 * 1024));

    // Nothing changed: no commit at all.
    clear_requests(&env.url);
    let (plan, report) = run(&env, &s, dir.path(), "noop").unwrap();
    assert!(plan.is_empty() && report.commit.is_none());
    assert!(matching(&requests(&env.url), "/commit/").is_empty());

    // Deletes propagate (a nested file and an LFS file), `.gitattributes` stays.
    std::fs::remove_file(dir.path().join("src/pkg/util.py")).unwrap();
    std::fs::remove_file(dir.path().join("assets/logo.png")).unwrap();
    let (_, report) = run(&env, &s, dir.path(), "delete").unwrap();
    assert_eq!(report.deleted, ["assets/logo.png", "src/pkg/util.py"]);
    let remote: Vec<String> = download_all(&*env.api, &s).into_iter().map(|(p, _)| p).collect();
    assert!(remote.contains(&".gitattributes".to_string()));
    assert_eq!(remote_without_gitattributes(&env, &s), local_files(dir.path()));
}

#[test]
fn rate_limits_and_unavailable_hub_are_retried() {
    let env = start();
    small_thresholds(&env.url);
    let s = create(&env, "alice/retry");
    let dir = tempfile::tempdir().unwrap();
    project(dir.path());
    fault(&env.url, json!({ "kind": "status", "status": 429, "count": 2, "path": "/api/spaces/*/preupload/*", "retryAfter": 3 }));
    fault(&env.url, json!({ "kind": "status", "status": 503, "count": 1, "path": "/__lfs/upload/*" }));
    fault(&env.url, json!({ "kind": "status", "status": 502, "count": 1, "path": "/api/spaces/*/tree/*" }));
    clear_requests(&env.url);
    let (_, report) = run(&env, &s, dir.path(), "deploy").unwrap();
    assert!(report.commit.is_some());
    // RateLimit r=0;t=3 → sleep 4 s (twice); 502 without Retry-After → 1 s; 503 with Retry-After: 1 → 2 s.
    let sleeps: Vec<u64> = env.clock.sleeps().iter().map(Duration::as_secs).collect();
    assert_eq!(sleeps, [1, 4, 4, 2]);
    let statuses: Vec<u64> = requests(&env.url).iter().filter_map(|r| r["status"].as_u64()).filter(|s| *s >= 400).collect();
    assert_eq!(statuses, [502, 429, 429, 503]);
    assert_eq!(remote_without_gitattributes(&env, &s), local_files(dir.path()));
}

#[test]
fn exhausted_retries_report_rate_limited_or_unavailable() {
    let env = start();
    let s = create(&env, "alice/down");
    fault(&env.url, json!({ "kind": "status", "status": 503, "count": 100, "path": "/api/spaces/*/runtime" }));
    let e = env.api.space_runtime(&s).unwrap_err();
    assert_eq!((e.code(), e.status()), ("HUB_UNAVAILABLE", Some(503)));
    assert_eq!(env.clock.sleeps().len(), 5, "five bounded retries");
    assert!(e.to_string().contains("6 attempts"), "{e}");
    control(&env.url, "DELETE", "faults", None);
    // A server asking to wait longer than our bound is not waited for.
    fault(&env.url, json!({ "kind": "status", "status": 429, "count": 1, "path": "/api/spaces/*/runtime", "retryAfter": 3600 }));
    let before = env.clock.sleeps().len();
    let e = env.api.space_runtime(&s).unwrap_err();
    assert_eq!(e.code(), "RATE_LIMITED");
    assert_eq!(e.retry_after(), Some(Duration::from_secs(3601)));
    assert_eq!(env.clock.sleeps().len(), before);
}

#[test]
fn dropped_connections_mid_upload_are_survived() {
    let env = start();
    small_thresholds(&env.url);
    let s = create(&env, "alice/drop");
    let dir = tempfile::tempdir().unwrap();
    project(dir.path());
    let commits = commit_count(&env.url, "alice/drop");
    fault(&env.url, json!({ "kind": "drop", "path": "/__lfs/upload/*", "afterBytes": 1000 }));
    fault(&env.url, json!({ "kind": "drop", "path": "/__lfs/part/*", "afterBytes": 5000 }));
    clear_requests(&env.url);
    let (_, report) = run(&env, &s, dir.path(), "deploy").unwrap();
    assert!(report.commit.is_some());
    let dropped = requests(&env.url).iter().filter(|r| r["dropped"] == true).count();
    assert_eq!(dropped, 2);
    assert_eq!(commit_count(&env.url, "alice/drop"), commits + 1);
    assert_eq!(remote_without_gitattributes(&env, &s), local_files(dir.path()));
}

#[test]
fn a_dropped_commit_leaves_no_half_commit() {
    let env = start();
    small_thresholds(&env.url);
    let s = create(&env, "alice/atomic");
    let dir = tempfile::tempdir().unwrap();
    project(dir.path());
    run(&env, &s, dir.path(), "first").unwrap();
    let before = repo(&env.url, "alice/atomic");

    write(dir.path(), "app.py", "print('v2')\n");
    write(dir.path(), "data/model.bin", big(300 * 1024, 7));
    std::fs::remove_file(dir.path().join("Dockerfile")).unwrap();
    fault(&env.url, json!({ "kind": "drop", "path": "/api/spaces/*/commit/*", "afterBytes": 200 }));
    let e = run(&env, &s, dir.path(), "second").unwrap_err();
    assert_eq!(e.code(), "NETWORK_ERROR", "{e}");
    let after = repo(&env.url, "alice/atomic");
    assert_eq!(after["sha"], before["sha"]);
    assert_eq!(after["commits"], before["commits"]);
    assert_eq!(after["files"], before["files"], "nothing of the failed commit is visible");

    // Running again completes it; the LFS object uploaded the first time is not sent again.
    clear_requests(&env.url);
    let (_, report) = run(&env, &s, dir.path(), "second again").unwrap();
    assert_eq!(report.lfs_already_stored, 1);
    assert_eq!(report.lfs_bytes_uploaded, 0);
    assert!(matching(&requests(&env.url), "/__lfs/").is_empty());
    assert_eq!(remote_without_gitattributes(&env, &s), local_files(dir.path()));
}

#[test]
fn a_concurrent_commit_is_a_clear_conflict() {
    let env = start();
    let s = create(&env, "alice/race");
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "README.md", README);
    write(dir.path(), "app.py", "x = 1\n");
    let plan = plan::plan_folder(&*env.api, &s, dir.path(), "main", &opts()).unwrap();
    // Someone else commits after we planned.
    let other = CommitRequest {
        summary: "other".into(),
        description: String::new(),
        parent_commit: None,
        create_pr: false,
        ops: vec![CommitOp::File { path: "other.txt".into(), source: FileSource::Bytes(b"o".to_vec()) }],
    };
    env.api.commit(&s, "main", &other).unwrap();
    let commits = commit_count(&env.url, "alice/race");
    let e = upload(&*env.api, &s, &plan, &CommitOptions::new("mine")).unwrap_err();
    assert_eq!((e.code(), e.status()), ("CONFLICT", Some(412)));
    assert!(e.to_string().contains("run the command again"), "{e}");
    assert_eq!(commit_count(&env.url, "alice/race"), commits);
    // Re-planning sees the other commit (and deletes its file, which is not in the folder).
    let (plan, report) = run(&env, &s, dir.path(), "mine").unwrap();
    assert_eq!(plan.deleted, ["other.txt"]);
    assert!(report.commit.is_some());
}

#[test]
fn a_file_changed_after_planning_aborts_the_commit() {
    let env = start();
    let s = create(&env, "alice/moving");
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "README.md", README);
    write(dir.path(), "app.py", "version = 1\n");
    let plan = plan::plan_folder(&*env.api, &s, dir.path(), "main", &opts()).unwrap();
    write(dir.path(), "app.py", "version = 2\n");
    let commits = commit_count(&env.url, "alice/moving");
    let e = upload(&*env.api, &s, &plan, &CommitOptions::new("deploy")).unwrap_err();
    assert_eq!(e.code(), "FILE_CHANGED", "{e}");
    assert_eq!(commit_count(&env.url, "alice/moving"), commits);
}

#[test]
fn pull_request_commits_leave_main_alone() {
    let env = start();
    let s = create(&env, "alice/pr");
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "README.md", README);
    write(dir.path(), "new.txt", "n\n");
    let plan = plan::plan_folder(&*env.api, &s, dir.path(), "main", &opts()).unwrap();
    let main = repo(&env.url, "alice/pr")["sha"].clone();
    let mut o = CommitOptions::new("proposal");
    o.create_pr = true;
    let report = upload(&*env.api, &s, &plan, &o).unwrap();
    let commit = report.commit.unwrap();
    assert!(commit.pr_url.as_deref().is_some_and(|u| u.contains("/discussions/")), "{commit:?}");
    assert_eq!(repo(&env.url, "alice/pr")["sha"], main);
}

#[test]
fn an_lfs_transfer_we_did_not_offer_is_refused_before_anything_is_sent() {
    let env = start();
    small_thresholds(&env.url);
    let s = create(&env, "alice/xet");
    let dir = tempfile::tempdir().unwrap();
    project(dir.path());
    let commits = commit_count(&env.url, "alice/xet");
    fault(&env.url, json!({ "kind": "lfs_transfer", "transfer": "xet" }));
    clear_requests(&env.url);
    let e = run(&env, &s, dir.path(), "deploy").unwrap_err();
    assert_eq!(e.code(), "LFS_TRANSFER_UNSUPPORTED");
    let text = e.to_string();
    assert!(text.contains("`xet`") && text.contains("basic and multipart") && text.contains("nothing was committed"), "{text}");
    let reqs = requests(&env.url);
    assert_eq!(matching(&reqs, "/info/lfs/objects/batch").len(), 1);
    assert!(matching(&reqs, "/__lfs/").is_empty(), "no byte went to storage");
    assert!(matching(&reqs, "/commit/").is_empty());
    assert_eq!(commit_count(&env.url, "alice/xet"), commits);
    // The fault is spent: the same upload now goes through basic and multipart.
    let (_, report) = run(&env, &s, dir.path(), "deploy").unwrap();
    assert_eq!(report.lfs_files, 3);
}

#[test]
fn a_rate_limit_reset_at_the_end_of_the_window_is_waited_for_and_announced() {
    let env = start();
    let s = create(&env, "alice/window");
    let notices = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = notices.clone();
    let clock = std::sync::Arc::new(ManualClock::new());
    let token = ResolvedToken { token: Token::new(ALICE), source: TokenSource::Env("HF_TOKEN") };
    let api = HubClient::new(HubConfig::new(&env.url), Some(token))
        .with_clock(clock.clone())
        .with_retry_notice(std::sync::Arc::new(move |n| seen.lock().unwrap().push(n.to_string())));
    // The Hub's windows are 5 minutes: a reset 300 s away (RateLimit t=300, Retry-After 300) is honoured.
    fault(&env.url, json!({ "kind": "status", "status": 429, "count": 1, "path": "/api/spaces/*/runtime", "retryAfter": 300 }));
    fault(&env.url, json!({ "kind": "status", "status": 503, "count": 1, "path": "/api/spaces/*/runtime" }));
    api.space_runtime(&s).unwrap();
    assert_eq!(clock.sleeps(), [Duration::from_secs(301), Duration::from_secs(2)]);
    let notices = notices.lock().unwrap().clone();
    assert_eq!(notices.len(), 2, "{notices:?}");
    assert!(notices[0].contains("rate limiting") && notices[0].contains("waiting 301 s (as the Hub asked), then attempt 2"));
    assert!(notices[1].contains("answered 503") && notices[1].contains("waiting 2 s"), "{notices:?}");
}

#[test]
fn a_loaded_project_commits_what_was_hashed_in_one_pass() {
    let env = start();
    small_thresholds(&env.url);
    let s = create(&env, "alice/loaded");
    let dir = tempfile::tempdir().unwrap();
    project(dir.path());
    // More files than one preupload call takes (256): the calls go out concurrently.
    for i in 0..300 {
        write(dir.path(), &format!("many/f{i:03}.txt"), format!("file {i}\n"));
    }
    let loaded_project = spacesmith_spec::project::load(dir.path(), 1 << 20).unwrap();
    let loaded = plan::LoadedProject::new(&loaded_project);
    let plan = loaded.plan(&*env.api, &s, "main", &opts()).unwrap();
    let scanned = plan::plan_folder(&*env.api, &s, dir.path(), "main", &opts()).unwrap();
    let ids = |p: &UploadPlan| p.to_send().map(|f| (f.path.clone(), f.sha256.clone(), f.git_oid.clone())).collect::<Vec<_>>();
    assert_eq!(ids(&plan), ids(&scanned), "the same plan as scanning the folder");
    let find = |p: &str| plan.to_send().find(|f| f.path == p).unwrap();
    assert!(find("app.py").contents.is_some(), "text read whole is sent from memory");
    assert!(find("data/model.bin").contents.is_none() && find("data/weights.txt").contents.is_none(), "LFS files are not kept");

    // What was validated and hashed is what is committed, even if the file changes on disk meanwhile.
    let expected = local_files(dir.path());
    write(dir.path(), "app.py", "print('edited after planning')\n");
    clear_requests(&env.url);
    let report = upload(&*env.api, &s, &plan, &CommitOptions::new("deploy")).unwrap();
    assert_eq!((report.regular_files, report.lfs_files), (307, 3));
    assert_eq!(remote_without_gitattributes(&env, &s), expected);
    let reqs = requests(&env.url);
    assert_eq!(matching(&reqs, "/preupload/").len(), 2, "310 files in calls of at most 256");
    assert_eq!(matching(&reqs, "/commit/").len(), 1);
}
