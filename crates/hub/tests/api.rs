//! The Hub API surface against the emulator: accounts, Space lifecycle and settings, listing, error codes.

mod common;

use common::*;
use serde_json::json;
use spacesmith_hub::*;

#[test]
fn whoami_ok_bad_token_and_no_token() {
    let env = start();
    let me = env.api.whoami().unwrap();
    assert_eq!(me.name, "alice");
    assert_eq!(me.auth.and_then(|a| a.access_token).and_then(|t| t.role).as_deref(), Some("write"));

    let (bad, _) = client(&env.url, Some("hf_wrong_token"));
    let e = bad.whoami().unwrap_err();
    assert_eq!((e.code(), e.status()), ("BAD_TOKEN", Some(401)));
    let msg = e.to_string();
    assert!(msg.contains("HF_TOKEN") && msg.contains("settings/tokens"), "{msg}");

    let (none, _) = client(&env.url, None);
    assert_eq!(none.whoami().unwrap_err().code(), "NO_TOKEN");
}

#[test]
fn client_from_auth_reads_endpoint_and_token_from_env() {
    let env = start();
    let auth = EnvAuth::with_vars([("HF_ENDPOINT", format!("{}/", env.url)), ("HF_TOKEN", format!(" {ALICE}\n"))]);
    let c = HubClient::from_auth(&auth).unwrap();
    assert_eq!(c.config().endpoint, env.url);
    assert_eq!(c.whoami().unwrap().name, "alice");
    assert_eq!(c.token_source(), Some(&TokenSource::Env("HF_TOKEN")));
}

#[test]
fn create_private_space_with_settings() {
    let env = start();
    let s = space("alice/demo");
    let mut opts = CreateSpace::new("docker");
    opts.hardware = Some("t4-small".into());
    opts.sleep_time = Some(3600);
    opts.secrets.push(SecretEntry { key: "API_KEY".into(), value: SecretValue::new("s3cr3t"), description: Some("d".into()) });
    opts.variables.push(VariableEntry { key: "MODE".into(), value: "prod".into(), description: None });
    let created = env.api.create_space(&s, &opts).unwrap();
    assert!(created.created);
    assert!(created.url.ends_with("/spaces/alice/demo"), "{}", created.url);

    let r = repo(&env.url, "alice/demo");
    assert_eq!(r["private"], true, "private by default");
    let sp = &r["space"];
    assert_eq!(sp["hardware"], "t4-small");
    assert_eq!(sp["sleepTime"], 3600);
    assert_eq!(sp["variables"]["MODE"], "prod");
    assert_eq!(sp["secrets"]["API_KEY"]["sha256"], spacesmith_hub::hash::sha256_hex(b"s3cr3t"));

    // exist_ok: no error, nothing re-applied; without it: ALREADY_EXISTS.
    opts.exist_ok = true;
    assert!(!env.api.create_space(&s, &opts).unwrap().created);
    opts.exist_ok = false;
    let e = env.api.create_space(&s, &opts).unwrap_err();
    assert_eq!(e.code(), "ALREADY_EXISTS");

    let info = env.api.space_info(&s, None).unwrap();
    assert!(info.private);
    assert_eq!(info.sdk.as_deref(), Some("docker"));
    assert!(info.sha.is_some());

    // Public on request.
    let mut public = CreateSpace::new("static");
    public.visibility = Visibility::Public;
    env.api.create_space(&space("alice/open"), &public).unwrap();
    assert_eq!(repo(&env.url, "alice/open")["private"], false);
}

#[test]
fn secrets_variables_and_runtime_controls() {
    let env = start();
    let s = create(&env, "alice/ctl");
    env.api.add_secret(&s, &SecretEntry { key: "TOKEN".into(), value: SecretValue::new("v"), description: None }).unwrap();
    let secrets = env.api.list_secrets(&s).unwrap();
    assert!(secrets.contains_key("TOKEN"));
    env.api.delete_secret(&s, "TOKEN").unwrap();
    assert!(env.api.list_secrets(&s).unwrap().is_empty());

    let vars = env.api.add_variable(&s, &VariableEntry { key: "A".into(), value: "1".into(), description: None }).unwrap();
    assert_eq!(vars["A"].value, "1");
    assert_eq!(env.api.list_variables(&s).unwrap()["A"].value, "1");
    assert!(env.api.delete_variable(&s, "A").unwrap().is_empty());

    let rt = env.api.request_hardware(&s, "t4-medium", None).unwrap();
    assert_eq!(rt.hardware.requested.as_deref(), Some("t4-medium"));
    let rt = env.api.set_sleep_time(&s, 7200).unwrap();
    assert_eq!(rt.gc_timeout, Some(7200));
    assert_eq!(env.api.pause_space(&s).unwrap().stage, "PAUSED");
    env.api.restart_space(&s, true).unwrap();
    assert_ne!(env.api.space_runtime(&s).unwrap().stage, "PAUSED");

    let jwt = env.api.space_jwt(&s).unwrap();
    assert!(jwt.exp.is_some());
    assert!(!format!("{jwt:?}").contains(jwt.token.expose()));

    let hw = env.api.hardware_catalogue().unwrap();
    assert!(hw.iter().any(|h| h.name == "cpu-basic"));

    let e = env.api.request_hardware(&s, "quantum-xl", None).unwrap_err();
    assert_eq!(e.code(), "INVALID_HARDWARE");

    env.api.delete_space(&s, false).unwrap();
    assert_eq!(env.api.space_runtime(&s).unwrap_err().code(), "SPACE_NOT_FOUND");
    env.api.delete_space(&s, true).unwrap();
    assert_eq!(env.api.delete_space(&s, false).unwrap_err().code(), "SPACE_NOT_FOUND");
}

#[test]
fn invalid_unknown_and_foreign_spaces() {
    let env = start();
    let before = requests(&env.url).len();
    let e = SpaceId::parse("alice/bad name").unwrap_err();
    assert_eq!(e.code(), "INVALID_SPACE_ID");
    assert_eq!(requests(&env.url).len(), before, "validation sends nothing");

    let e = env.api.space_runtime(&space("alice/nope")).unwrap_err();
    assert_eq!((e.code(), e.status()), ("SPACE_NOT_FOUND", Some(404)));
    assert!(e.to_string().contains("private"), "{e}");

    // Alice's private Space is invisible to Bob (the Hub answers 404, not 403).
    let private = create(&env, "alice/private");
    let (bob, _) = client(&env.url, Some(BOB));
    assert_eq!(bob.space_runtime(&private).unwrap_err().code(), "SPACE_NOT_FOUND");
    // Her public Space is readable but not writable by Bob.
    let mut public = CreateSpace::new("static");
    public.visibility = Visibility::Public;
    let open = space("alice/public");
    env.api.create_space(&open, &public).unwrap();
    assert!(bob.space_runtime(&open).is_ok());
    let e = bob.add_variable(&open, &VariableEntry { key: "X".into(), value: "1".into(), description: None }).unwrap_err();
    assert_eq!((e.code(), e.status()), ("NO_PERMISSION", Some(403)));
    // Creating in someone else's namespace.
    let e = bob.create_space(&space("alice/bobs"), &CreateSpace::new("docker")).unwrap_err();
    assert_eq!(e.code(), "NO_PERMISSION");
    // No token at all on a write.
    let (anon, _) = client(&env.url, None);
    let e = anon.add_secret(&open, &SecretEntry { key: "K".into(), value: SecretValue::new("v"), description: None });
    assert_eq!(e.unwrap_err().code(), "NO_TOKEN");
}

#[test]
fn tree_listing_follows_pagination_and_paths_info() {
    let env = start();
    let s = create(&env, "alice/tree");
    let dir = tempfile::tempdir().unwrap();
    for i in 0..7 {
        write(dir.path(), &format!("d{}/f{i}.txt", i % 2), format!("file {i}\n"));
    }
    deploy(&*env.api, &s, dir.path(), "files").unwrap();
    set_config(&env.url, json!({ "treePageSize": 3 }));
    clear_requests(&env.url);
    let tree = env.api.list_tree(&s, "main", None, true).unwrap();
    let files: Vec<&str> = tree.iter().filter(|e| e.is_file()).map(|e| e.path.as_str()).collect();
    // The initial README.md is gone (not in the folder), `.gitattributes` is always kept.
    assert_eq!(files.len(), 8, "7 files + .gitattributes: {files:?}");
    assert!(matching(&requests(&env.url), "/tree/").len() >= 3, "several pages");
    let sub = env.api.list_tree(&s, "main", Some("d1"), false).unwrap();
    assert_eq!(sub.len(), 3);

    let info = env.api.paths_info(&s, "main", &["d0/f0.txt".into(), "missing".into()]).unwrap();
    assert_eq!(info.len(), 1);
    assert_eq!(info[0].oid, spacesmith_hub::hash::git_blob_oid(b"file 0\n"));
}

#[test]
fn non_idempotent_calls_retry_only_connection_failures() {
    let env = start();
    let s = create(&env, "alice/once");
    // A 503 on pause or commit is not retried: the Hub may have acted on it.
    fault(&env.url, json!({ "kind": "status", "status": 503, "count": 5, "path": "/api/spaces/*/pause" }));
    fault(&env.url, json!({ "kind": "status", "status": 503, "count": 5, "path": "/api/spaces/*/commit/*" }));
    clear_requests(&env.url);
    assert_eq!(env.api.pause_space(&s).unwrap_err().code(), "HUB_UNAVAILABLE");
    let commit = CommitRequest {
        summary: "x".into(),
        description: String::new(),
        parent_commit: None,
        create_pr: false,
        ops: vec![CommitOp::DeleteFile { path: "README.md".into() }],
    };
    assert_eq!(env.api.commit(&s, "main", &commit).unwrap_err().code(), "HUB_UNAVAILABLE");
    assert_eq!(requests(&env.url).len(), 2);
    assert!(env.clock.sleeps().is_empty());
    // A refused connection means nothing was sent: that is retried, with backoff, even for a commit.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let (gone, clock) = client(&format!("http://127.0.0.1:{port}"), Some(ALICE));
    let e = gone.commit(&s, "main", &commit).unwrap_err();
    assert_eq!(e.code(), "NETWORK_ERROR");
    assert_eq!(clock.sleeps().iter().map(|d| d.as_secs()).collect::<Vec<_>>(), [1, 2, 4, 8, 8]);
}

#[test]
fn dev_mode_visibility_volumes_and_duplicate() {
    let env = start();
    let s = create(&env, "alice/manage");
    assert_eq!(env.api.set_dev_mode(&s, true).unwrap().dev_mode, Some(true));
    assert_eq!(repo(&env.url, "alice/manage")["space"]["devMode"], true);
    assert_eq!(env.api.set_dev_mode(&s, false).unwrap().dev_mode, Some(false));

    env.api.set_visibility(&s, Visibility::Protected).unwrap();
    assert_eq!(repo(&env.url, "alice/manage")["visibility"], "protected");
    assert!(env.api.space_info(&s, None).unwrap().private);
    env.api.set_visibility(&s, Visibility::Public).unwrap();
    assert!(!env.api.space_info(&s, None).unwrap().private);

    assert!(env.api.space_runtime(&s).unwrap().volumes().is_empty());
    let vols =
        [Volume::parse_uri("hf://datasets/alice/d:/data").unwrap(), Volume::parse_uri("hf://buckets/alice/b:/b:rw").unwrap()];
    env.api.set_volumes(&s, &vols).unwrap();
    let got = env.api.space_runtime(&s).unwrap().volumes();
    assert_eq!(
        got.iter().map(Volume::to_uri).collect::<Vec<_>>(),
        ["hf://datasets/alice/d:/data:ro", "hf://buckets/alice/b:/b:rw"]
    );
    env.api.delete_volumes(&s).unwrap();
    assert!(env.api.space_runtime(&s).unwrap().volumes().is_empty());
    assert_eq!(env.api.delete_volumes(&s).unwrap_err().code(), "INVALID_INPUT");

    let copy = space("alice/manage-copy");
    let opts = DuplicateSpace {
        visibility: Some(Visibility::Private),
        hardware: Some("cpu-upgrade".into()),
        sleep_time: Some(900),
        secrets: vec![SecretEntry { key: "K".into(), value: SecretValue::new("v"), description: None }],
        variables: vec![VariableEntry { key: "V".into(), value: "1".into(), description: None }],
    };
    let done = env.api.duplicate_space(&s, &copy, &opts).unwrap();
    assert!(done.url.ends_with("/spaces/alice/manage-copy") && !done.files_copy_pending, "{done:?}");
    let r = repo(&env.url, "alice/manage-copy");
    assert_eq!((r["visibility"].clone(), r["space"]["hardware"].clone()), (json!("private"), json!("cpu-upgrade")));
    assert_eq!((r["space"]["sleepTime"].clone(), r["space"]["variables"].clone()), (json!(900), json!({ "V": "1" })));
    let e = env.api.duplicate_space(&s, &copy, &DuplicateSpace::default()).unwrap_err();
    assert_eq!((e.code(), e.status()), ("ALREADY_EXISTS", Some(409)));
    let (bob, _) = client(&env.url, Some(BOB));
    assert_eq!(bob.set_dev_mode(&s, true).unwrap_err().code(), "NO_PERMISSION");
}
