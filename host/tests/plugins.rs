//! Third-party plugins end to end: `plugin install|list|info|remove|grant|revoke|limits|new` driven
//! through the real binary, with each test's plugins in its own data directory.

mod util;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};

use util::{Dir, Run, fixtures};

fn wasm(name: &str) -> String {
    fixtures::fixture_wasm(name).to_str().unwrap().to_string()
}

fn install(dir: &Dir, args: &[&str]) -> Run {
    let mut all = vec!["plugin", "install"];
    all.extend_from_slice(args);
    all.push("--json");
    dir.cmd(&all).expect(0)
}

fn sha256_of(path: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(std::fs::read(path).unwrap()).iter().map(|b| format!("{b:02x}")).collect()
}

fn installed_ids(dir: &Dir) -> Vec<String> {
    let v = dir.cmd(&["plugin", "list", "--json"]).expect(0).json();
    v["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["kind"] == "installed")
        .map(|p| p["sdk_id"].as_str().unwrap().to_string())
        .collect()
}

/// A static Space with a file over the check input cap, a symlink out of the project and a .env.
fn probe_project(dir: &Dir) -> PathBuf {
    dir.cmd(&["new", "site", "--sdk", "static"]).expect(0);
    dir.write("site/big.bin", vec![7u8; 2 << 20]);
    std::os::unix::fs::symlink("/etc", dir.join("site/outside")).unwrap();
    dir.write("site/.env", "HF_TOKEN=hf_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789\n");
    dir.join("site")
}

/// The reader fixture's findings: one message per attempted access.
fn reader_probes(dir: &Dir, project: &Path) -> Vec<String> {
    let v = dir.cmd(&["validate", project.to_str().unwrap(), "--json"]).expect(1).json();
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "reader/probe")
        .map(|f| f["message"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn install_list_info_remove_round_trip() {
    let dir = Dir::new();
    assert!(installed_ids(&dir).is_empty());
    let reader = wasm("reader");
    let v = install(&dir, &[&reader]).json();
    assert_eq!(v["plugin"]["sdk_id"], "reader");
    assert_eq!(v["plugin"]["version"], "0.3.0");
    assert_eq!(v["plugin"]["contract"], "0.1.0");
    assert_eq!(v["plugin"]["sha256"], sha256_of(&reader));
    assert_eq!(v["pinned"], false);
    // The manifest's limit requests apply; the user set none.
    assert_eq!(v["plugin"]["limits"]["memory_mib"], 96);
    assert_eq!(v["plugin"]["limits"]["call_timeout_ms"], 4000);
    assert!(dir.data_dir().join("plugins/reader/plugin.wasm").is_file());
    assert!(dir.data_dir().join("plugins/reader/plugin.json").is_file());

    // The frozen contract fixture, a binary kept since contract 0.1.0, installs and scaffolds.
    let frozen = fixtures::repo_root().join("tests/fixtures/contract/v0.1/plugin.wasm");
    install(&dir, &[frozen.to_str().unwrap()]);
    assert_eq!(installed_ids(&dir), ["contract-fixture", "reader"]);
    // `plugin list | grep` works: one line per plugin on stdout, id first; the notice on stderr.
    let list = dir.cmd(&["plugin", "list"]).expect(0);
    let mut ids: Vec<&str> = list.stdout.lines().map(|l| l.split_whitespace().next().unwrap()).collect();
    ids.sort();
    assert_eq!(ids, ["contract-fixture", "docker", "gradio", "reader", "static", "streamlit"], "{}", list.stdout);
    assert!(list.stdout.lines().any(|l| l.starts_with("reader ") && l.contains("installed")), "{}", list.stdout);
    assert!(list.stdout.lines().any(|l| l.starts_with("docker ") && l.contains("builtin")), "{}", list.stdout);
    assert!(list.stderr.starts_with("Installed plugins live in "), "{}", list.stderr);

    let info = dir.cmd(&["plugin", "info", "reader", "--json"]).expect(0).json();
    assert_eq!(info["verified"], true);
    assert_eq!(info["rules"], 1);
    assert_eq!(info["plugin"]["capabilities"][0]["name"], "project-read");
    assert_eq!(info["plugin"]["capabilities"][0]["granted"], false);
    let builtin = dir.cmd(&["plugin", "info", "static", "--json"]).expect(0).json();
    assert_eq!(builtin["plugin"]["kind"], "builtin");

    // Installing the same SDK id again needs --force.
    let again = dir.cmd(&["plugin", "install", &reader, "--json"]).expect(2).json();
    assert_eq!(again["error_code"], "PLUGIN_EXISTS");
    let replaced = install(&dir, &[&reader, "--force"]).json();
    assert_eq!(replaced["replaced"], "0.3.0");

    let removed = dir.cmd(&["plugin", "remove", "reader", "--json"]).expect(0).json();
    assert_eq!(removed["version"], "0.3.0");
    assert!(!dir.data_dir().join("plugins/reader").exists());
    assert_eq!(installed_ids(&dir), ["contract-fixture"]);
    assert_eq!(dir.cmd(&["plugin", "info", "reader", "--json"]).expect(2).json()["error_code"], "PLUGIN_NOT_INSTALLED");
    assert_eq!(dir.cmd(&["plugin", "remove", "reader", "--json"]).expect(2).json()["error_code"], "PLUGIN_NOT_INSTALLED");
    let gone = dir.cmd(&["new", "x", "--sdk", "reader", "--json"]).expect(2).json();
    assert_eq!(gone["error_code"], "UNKNOWN_SDK");
}

#[test]
fn a_pin_that_does_not_match_is_refused_and_a_changed_file_never_runs() {
    let dir = Dir::new();
    let frozen = fixtures::repo_root().join("tests/fixtures/contract/v0.1/plugin.wasm");
    let frozen = frozen.to_str().unwrap();
    let good = sha256_of(frozen);
    let wrong = format!("{}0", &good[..63]);
    let refused = dir.cmd(&["plugin", "install", frozen, "--sha256", &wrong, "--json"]).expect(1);
    assert_eq!(refused.json()["error_code"], "PIN_MISMATCH");
    assert!(refused.stderr.contains(&good) && refused.stderr.contains(&wrong), "{}", refused.stderr);
    assert!(installed_ids(&dir).is_empty(), "a refused file was installed");
    assert_eq!(dir.cmd(&["plugin", "install", frozen, "--sha256", "xyz", "--json"]).expect(2).json()["error_code"], "BAD_PIN");

    let pinned = install(&dir, &[frozen, "--sha256", &format!("sha256:{}", good.to_uppercase())]).json();
    assert_eq!(pinned["pinned"], true);
    dir.cmd(&["new", "ok", "--sdk", "contract-fixture"]).expect(0);

    // Tamper with the installed file: same size, one byte changed.
    let installed = dir.data_dir().join("plugins/contract-fixture/plugin.wasm");
    let mut bytes = std::fs::read(&installed).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&installed, bytes).unwrap();
    let run = dir.cmd(&["new", "bad", "--sdk", "contract-fixture", "--json"]).expect(1);
    assert_eq!(run.json()["error_code"], "PLUGIN_TAMPERED");
    assert!(run.stderr.contains("changed after installation") && run.stderr.contains(&good), "{}", run.stderr);
    assert!(!dir.join("bad").exists());
    let info = dir.cmd(&["plugin", "info", "contract-fixture", "--json"]).expect(0).json();
    assert_eq!(info["verified"], false);
}

#[test]
fn a_plugin_for_another_contract_is_refused_with_the_versions_that_would_run_it() {
    let dir = Dir::new();
    let run = dir.cmd(&["plugin", "install", &wasm("future-contract"), "--json"]).expect(1);
    assert_eq!(run.json()["error_code"], "PLUGIN_INCOMPATIBLE");
    assert!(run.stderr.contains("contract 0.3.0"), "{}", run.stderr);
    assert!(run.stderr.contains("serves 0.1.x (since spacesmith 0.1.0)"), "{}", run.stderr);
    assert!(run.stderr.contains("Upgrade spacesmith"), "{}", run.stderr);
    assert!(installed_ids(&dir).is_empty());
    let junk = dir.join("junk.wasm");
    std::fs::write(&junk, b"\0asm\x0d\0\x01\0 not really").unwrap();
    let run = dir.cmd(&["plugin", "install", junk.to_str().unwrap(), "--json"]).expect(1);
    assert_eq!(run.json()["error_code"], "PLUGIN_INVALID");
}

#[test]
fn capabilities_are_granted_only_explicitly_and_only_as_asked() {
    let dir = Dir::new();
    let v = install(&dir, &[&wasm("reader")]).json();
    let notes = v["notices"].to_string();
    assert!(notes.contains("spacesmith plugin grant reader project-read"), "{notes}");
    let project = probe_project(&dir);

    // Not granted: the plugin runs, sees nothing of the disk, and says so.
    let probes = reader_probes(&dir, &project);
    assert!(probes.contains(&"read big.bin: denied (No such file or directory (os error 44))".to_string()), "{probes:#?}");
    assert!(probes.iter().all(|p| p.contains("denied")), "{probes:#?}");
    assert!(!probes.iter().any(|p| p.starts_with("echo .env")), "{probes:#?}");

    // Granted: read-only, inside the project only; whatever it echoes is redacted.
    let granted = dir.cmd(&["plugin", "grant", "reader", "project-read", "--json"]).expect(0).json();
    assert_eq!(granted["plugin"]["capabilities"][0]["granted"], true);
    let probes = reader_probes(&dir, &project);
    assert!(probes.contains(&format!("read big.bin: ok {} bytes", 2 << 20)), "{probes:#?}");
    assert!(probes.iter().any(|p| p.starts_with("read README.md: ok")), "{probes:#?}");
    for denied in ["write written.txt: denied", "escape ..: denied", "symlink outside: denied", "absolute /etc: denied"] {
        assert!(probes.iter().any(|p| p.starts_with(denied)), "{denied}: {probes:#?}");
    }
    assert!(probes.contains(&"echo .env: HF_TOKEN=hf_Ab…(redacted)".to_string()), "{probes:#?}");
    assert!(!project.join("written.txt").exists());
    let human = dir.cmd(&["plugin", "info", "reader"]).expect(0);
    assert!(human.stdout.contains("project-read — GRANTED"), "{}", human.stdout);
    assert!(human.stderr.is_empty(), "{}", human.stderr);

    // A replacement file is new code: the grant does not carry over, the limits set by the user do.
    dir.cmd(&["plugin", "limits", "reader", "--memory-mib", "80"]).expect(0);
    let v = install(&dir, &[&wasm("reader"), "--force"]).json();
    assert_eq!(v["plugin"]["capabilities"][0]["granted"], false);
    assert!(v["notices"].to_string().contains("was granted project-read"), "{v}");
    assert_eq!(v["plugin"]["limits"]["memory_mib"], 80);
    dir.cmd(&["plugin", "grant", "reader", "project-read"]).expect(0);

    dir.cmd(&["plugin", "revoke", "reader", "project-read"]).expect(0);
    assert!(reader_probes(&dir, &project).iter().all(|p| p.contains("denied")));

    // Only what the manifest asks for, and only capabilities this host knows.
    let run = dir.cmd(&["plugin", "grant", "reader", "camera", "--json"]).expect(2);
    assert_eq!(run.json()["error_code"], "UNKNOWN_CAPABILITY");
    install(&dir, &[fixtures::repo_root().join("tests/fixtures/contract/v0.1/plugin.wasm").to_str().unwrap()]);
    let run = dir.cmd(&["plugin", "grant", "contract-fixture", "project-read", "--json"]).expect(2);
    assert_eq!(run.json()["error_code"], "CAPABILITY_NOT_REQUESTED");
    let run = dir.cmd(&["plugin", "install", &wasm("hostile"), "--grant", "project-read", "--json"]).expect(2);
    assert_eq!(run.json()["error_code"], "CAPABILITY_NOT_REQUESTED");
    // A one-off --plugin gets nothing either.
    let run = dir.cmd(&["validate", project.to_str().unwrap(), "--plugin", &wasm("reader"), "--json"]).expect(1);
    let probes = run.json()["findings"].to_string();
    assert!(probes.contains("read big.bin: denied") && !probes.contains("read big.bin: ok"), "{probes}");
}

#[test]
fn adversarial_fixtures_fail_cleanly_as_installed_plugins_within_their_limits() {
    let dir = Dir::new();
    install(&dir, &[&wasm("hostile")]);
    for (attack, says) in [
        ("loop", "time limit of 2s"),
        ("memory", "memory limit of 64 MiB"),
        ("recursion", "stack"),
        ("many-files", "100000 files"),
        ("traversal", "`..`"),
        ("git-hook", ".git"),
        ("panic", "panicked on purpose"),
    ] {
        let run = dir.cmd(&["new", "victim", "--sdk", "hostile", "--attack", attack]).expect(1);
        assert!(run.stderr.contains("plugin hostile 6.6.6 failed in `scaffold`"), "{attack}: {}", run.stderr);
        assert!(run.stderr.contains(says), "{attack}: expected `{says}` in {}", run.stderr);
        assert!(!dir.join("victim").exists(), "{attack}: something was written");
    }
    // Its spoofed rule ids are refused where they are used.
    let run = dir.cmd(&["rules", "--sdk", "hostile"]).expect(1);
    assert!(run.stderr.contains("failed in `rules`") && run.stderr.contains("outside the plugin's namespace"), "{}", run.stderr);
    let info = dir.cmd(&["plugin", "info", "hostile", "--json"]).expect(0).json();
    assert!(info["rules_error"].as_str().unwrap().contains("config/unknown-key"), "{info}");
    let probe = dir.cmd(&["new", "probed", "--sdk", "hostile", "--attack", "probe"]).expect(0);
    let text = std::fs::read_to_string(dir.join("probed/probe.txt")).unwrap_or_default();
    assert!(text.contains("env_count=0") && text.contains("fs /etc/passwd=denied"), "{text}\n{}", probe.stderr);

    // Its logs show with -v, tagged with its SDK id.
    let quiet = dir.cmd(&["new", "logged", "--sdk", "hostile", "--attack", "log-flood", "--dry-run"]).expect(0);
    assert!(!quiet.stderr.contains("flood line"));
    let loud = dir.cmd(&["new", "logged", "--sdk", "hostile", "--attack", "log-flood", "--dry-run", "-v"]).expect(0);
    assert!(loud.stderr.contains("[hostile] info: flood line 0"), "{}", &loud.stderr[..loud.stderr.len().min(400)]);

    // Per-plugin limits, within the hard maximums.
    let v =
        dir.cmd(&["plugin", "limits", "hostile", "--memory-mib", "16", "--call-timeout-ms", "300", "--json"]).expect(0).json();
    assert_eq!(v["plugin"]["limits"]["memory_mib"], 16);
    assert_eq!(v["plugin"]["user_limits"]["call_timeout_ms"], 300);
    let run = dir.cmd(&["new", "victim", "--sdk", "hostile", "--attack", "memory"]).expect(1);
    assert!(run.stderr.contains("memory limit of 16 MiB"), "{}", run.stderr);
    let run = dir.cmd(&["new", "victim", "--sdk", "hostile", "--attack", "loop"]).expect(1);
    assert!(run.stderr.contains("time limit of 300ms"), "{}", run.stderr);
    let run = dir.cmd(&["plugin", "limits", "hostile", "--memory-mib", "100000", "--json"]).expect(2);
    assert_eq!(run.json()["error_code"], "LIMIT_TOO_HIGH");
    assert!(run.stderr.contains("--memory-mib 512"), "{}", run.stderr);
    let v = dir.cmd(&["plugin", "limits", "hostile", "--reset", "--json"]).expect(0).json();
    assert_eq!(v["plugin"]["limits"]["memory_mib"], 64);
}

#[test]
fn built_in_plugins_cannot_be_shadowed_removed_or_changed() {
    let dir = Dir::new();
    let run = dir.cmd(&["plugin", "remove", "docker", "--json"]).expect(2);
    assert_eq!(run.json()["error_code"], "PLUGIN_BUILTIN");
    let run = dir.cmd(&["plugin", "grant", "docker", "project-read", "--json"]).expect(2);
    assert_eq!(run.json()["error_code"], "PLUGIN_NOT_INSTALLED");
    assert!(run.stderr.contains("built into spacesmith"), "{}", run.stderr);
    let run = dir.cmd(&["plugin", "new", "p", "--sdk-id", "docker", "--json"]).expect(2);
    assert_eq!(run.json()["error_code"], "PLUGIN_SHADOWS_BUILTIN");
    let run = dir.cmd(&["plugin", "new", "p", "--sdk-id", "Bad_Id", "--json"]).expect(2);
    assert_eq!(run.json()["error_code"], "BAD_SDK_ID");
}

/// Serves `body` at every path but `/missing` (404) to the first `requests` connections.
fn serve(body: Vec<u8>, requests: usize) -> (String, std::thread::JoinHandle<Vec<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let handle = std::thread::spawn(move || {
        let mut seen = Vec::new();
        for stream in listener.incoming().take(requests) {
            let mut stream = stream.unwrap();
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap() == 1 {
                head.push(byte[0]);
            }
            let request = String::from_utf8_lossy(&head).lines().next().unwrap_or_default().to_string();
            let (status, body) =
                if request.contains("/missing") { ("404 Not Found", b"no".to_vec()) } else { ("200 OK", body.clone()) };
            let _ = write!(stream, "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len());
            let _ = stream.write_all(&body);
            seen.push(request);
        }
        seen
    });
    (base, handle)
}

#[test]
fn installs_from_a_url_only_with_a_pin_over_plain_http() {
    let dir = Dir::new();
    let reader = wasm("reader");
    let sha = sha256_of(&reader);
    let (base, server) = serve(std::fs::read(&reader).unwrap(), 2);
    let run = dir.cmd(&["plugin", "install", &format!("{base}/reader.wasm"), "--json"]).expect(2);
    assert_eq!(run.json()["error_code"], "UNPINNED_HTTP");
    let with_secrets = format!("{}/dl/reader.wasm?token=hf_secret#x", base.replace("http://", "http://user:pw@"));
    let v = install(&dir, &[&with_secrets, "--sha256", &sha]).json();
    assert_eq!(v["plugin"]["source"], format!("{base}/dl/reader.wasm"));
    let record = std::fs::read_to_string(dir.data_dir().join("plugins/reader/plugin.json")).unwrap();
    assert!(!record.contains("hf_secret") && !record.contains("pw@"), "{record}");
    let run = dir.cmd(&["plugin", "install", &format!("{base}/missing"), "--sha256", &sha, "--json"]).expect(1);
    assert_eq!(run.json()["error_code"], "PLUGIN_DOWNLOAD_REFUSED");
    assert!(run.stderr.contains("404"), "{}", run.stderr);
    let requests = server.join().unwrap();
    assert_eq!(requests.len(), 2, "{requests:?}");
}

/// `plugin new` → `cargo test` → `cargo build-plugin` → install → `new` → `validate`.
#[test]
fn the_authoring_kit_builds_a_plugin_that_installs_and_scaffolds_a_valid_space() {
    let dir = Dir::new();
    let v = dir.cmd(&["plugin", "new", "acme-plugin", "--sdk-id", "acme-site", "--name", "Acme Site", "--json"]).expect(0).json();
    assert_eq!(v["package"], "spacesmith-plugin-acme-site");
    let crate_dir = dir.join("acme-plugin");
    for f in ["Cargo.toml", ".cargo/config.toml", "spacesmith-plugin.toml", "src/lib.rs", "templates/index.html.tera"] {
        assert!(crate_dir.join(f).is_file(), "{f} missing");
    }
    // The repository's lock file pins the same dependency versions the built-in plugins use, and a
    // shared target directory reuses their compiled dependencies.
    let root = fixtures::repo_root();
    std::fs::copy(root.join("plugins/Cargo.lock"), crate_dir.join("Cargo.lock")).unwrap();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let run = |args: &[&str], target: &str| {
        let out = std::process::Command::new(&cargo)
            .args(args)
            .current_dir(&crate_dir)
            .env("CARGO_TARGET_DIR", root.join("target").join(target))
            .env_remove("RUSTFLAGS")
            .env_remove("CARGO_ENCODED_RUSTFLAGS")
            .env_remove("CARGO_BUILD_TARGET")
            .output()
            .unwrap();
        assert!(out.status.success(), "cargo {args:?} failed:\n{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let tests = run(&["test", "--quiet"], "kit-native");
    assert!(tests.contains("4 passed"), "{tests}");
    run(&["build-plugin"], "spacesmith-plugins");
    let wasm = root.join("target/spacesmith-plugins").join(v["wasm"].as_str().unwrap().trim_start_matches("target/"));
    assert!(wasm.is_file(), "{} was not built", wasm.display());

    let installed = install(&dir, &[wasm.to_str().unwrap()]).json();
    assert_eq!(installed["plugin"]["name"], "Acme Site");
    // The kit's run plan asks for `run-plan`; nothing is granted at install without --grant.
    let capabilities = &installed["plugin"]["capabilities"];
    assert_eq!((capabilities[0]["name"].as_str(), capabilities[0]["granted"].as_bool()), (Some("run-plan"), Some(false)));
    dir.cmd(&["new", "space", "--sdk", "acme-site", "--greeting", "Hi <there>"]).expect(0);
    assert!(dir.read("space/index.html").contains("<h1>Hi &lt;there&gt;</h1>"));
    let report = dir.cmd(&["validate", "space", "--json"]).expect(0).json();
    assert_eq!(report["errors"], 0);
    assert_eq!(report["warnings"], 0);
    let checkers: Vec<&str> = report["plugins"].as_array().unwrap().iter().map(|p| p["sdk"].as_str().unwrap()).collect();
    assert_eq!(checkers, ["static", "acme-site"]);
    // Its own rule fires on a page without a title.
    dir.write("space/index.html", "<!doctype html><html><body>hi</body></html>\n");
    let report = dir.cmd(&["validate", "space", "--json"]).expect(0).json();
    assert!(report["findings"].to_string().contains("acme-site/page-title"), "{report}");
}
