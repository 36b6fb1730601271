//! The real binary end to end: `new`, `validate`, `rules`, bad input, and hostile third-party plugins.

mod util;

use util::{Dir, files, fixtures};

// ---------- new ----------

#[test]
fn new_writes_a_project_and_prints_secret_notices() {
    let dir = Dir::new();
    let run = dir.cmd(&["new", "my-space", "--sdk", "docker"]).expect(0);
    assert!(dir.join("my-space/Dockerfile").is_file());
    assert!(dir.read("my-space/README.md").contains("sdk: docker"));
    // The result on stdout: what was written, a header and one line per file, nothing else.
    let mut lines = run.stdout.lines();
    assert!(lines.next().unwrap().starts_with("Created my-space (Docker (FastAPI)) with the docker plugin"), "{}", run.stdout);
    let written: Vec<&str> = lines.map(|l| l.strip_prefix("  + ").unwrap_or_else(|| panic!("not a file line: {l:?}"))).collect();
    assert_eq!(written.iter().map(|p| p.trim_end_matches(" (executable)")).collect::<Vec<_>>(), files(&dir.join("my-space")));
    // The advice on stderr.
    assert!(run.stderr.contains("API_TOKEN") && run.stderr.contains("runtime, required"), "{}", run.stderr);
    assert!(run.stderr.contains("Settings → Variables and secrets"), "{}", run.stderr);
    assert!(run.stderr.contains("Next: spacesmith validate my-space"), "{}", run.stderr);
    assert!(!run.stdout.contains("API_TOKEN") && !run.stdout.contains("Next:"), "{}", run.stdout);
}

#[test]
fn quiet_keeps_the_result_and_drops_the_advice() {
    let dir = Dir::new();
    let loud = dir.cmd(&["new", "a", "--sdk", "docker", "--dry-run"]).expect(0);
    let quiet = dir.cmd(&["new", "a", "--sdk", "docker", "--dry-run", "-q"]).expect(0);
    assert_eq!(quiet.stdout, loud.stdout);
    assert!(quiet.stdout.starts_with("Would write a "), "{}", quiet.stdout);
    assert!(!loud.stderr.is_empty());
    assert!(quiet.stderr.is_empty(), "-q printed: {}", quiet.stderr);
    let quiet = dir.cmd(&["--quiet", "plugin", "list"]).expect(0);
    assert!(quiet.stderr.is_empty() && quiet.stdout.contains("docker"), "{}\n{}", quiet.stdout, quiet.stderr);
    // Errors still print.
    let run = dir.cmd(&["-q", "new", "b", "--sdk", "rails"]).expect(2);
    assert!(run.stderr.starts_with("error[UNKNOWN_SDK]: "), "{}", run.stderr);
    // Asking for less and more output at once is a usage error.
    let run = dir.cmd(&["-q", "-v", "rules"]).expect(2);
    assert!(run.stderr.contains("'--quiet' cannot be used with '--verbose"), "{}", run.stderr);
    assert!(run.stdout.is_empty());
}

/// `error[CODE]: message`, then `  hint: ...`, on stderr, for every command; `--json` adds the object on stdout.
#[test]
fn errors_have_one_format() {
    let dir = Dir::new();
    dir.write("s/README.md", "mine\n");
    for (args, code) in [
        (&["new", "x", "--sdk", "rails"][..], "UNKNOWN_SDK"),
        (&["new", "s", "--sdk", "gradio"][..], "FILES_EXIST"),
        (&["validate", "nope"][..], "PROJECT_UNREADABLE"),
        (&["rules", "--plugin", "nope.wasm"][..], "PLUGIN_NOT_FOUND"),
        (&["plugin", "remove", "docker"][..], "PLUGIN_BUILTIN"),
        (&["space", "delete", "alice/app"][..], "CONFIRMATION_REQUIRED"),
    ] {
        let run = dir.cmd(args).expect(2);
        let lines: Vec<&str> = run.stderr.lines().collect();
        assert!(lines[0].starts_with(&format!("error[{code}]: ")), "{args:?}: {}", run.stderr);
        // A hint when the error has one, and nothing else.
        assert!(lines.len() <= 2 && lines[1..].iter().all(|l| l.starts_with("  hint: ")), "{args:?}: {}", run.stderr);
        assert!(run.stdout.is_empty(), "{args:?}: {}", run.stdout);
        let mut json_args = args.to_vec();
        json_args.push("--json");
        let run = dir.cmd(&json_args).expect(2);
        assert_eq!(run.json()["error_code"], code, "{args:?}");
        assert!(run.stderr.starts_with(&format!("error[{code}]: ")), "{args:?}: {}", run.stderr);
    }
}

#[test]
fn new_json_reports_files_secrets_and_plugin() {
    let dir = Dir::new();
    let v = dir.cmd(&["new", "s", "--sdk", "docker", "--from-git", "https://example.com/a/b.git", "--json"]).expect(0).json();
    assert_eq!(v["success"], true);
    assert_eq!(v["plugin"]["sdk"], "docker");
    assert_eq!(v["plugin"]["contract"], "0.2.0");
    assert_eq!(v["options"]["from-git"], "https://example.com/a/b.git");
    let secrets = v["secrets"].as_array().unwrap();
    let git = secrets.iter().find(|s| s["name"] == "GIT_TOKEN").expect("clone mode declares GIT_TOKEN");
    assert_eq!(git["stage"], "build");
    assert!(git["how"].as_str().unwrap().contains("/run/secrets/GIT_TOKEN"));
    let vars = v["variables"].as_array().unwrap();
    assert!(vars.iter().any(|x| x["name"] == "APP_REPO_URL" && x["value"] == "https://example.com/a/b.git"));
    assert!(v["files"].as_array().unwrap().iter().all(|f| f["action"] == "create"));
}

#[test]
fn new_refuses_to_overwrite_and_touches_nothing() {
    let dir = Dir::new();
    dir.write("s/README.md", "mine\n");
    let run = dir.cmd(&["new", "s", "--sdk", "gradio"]).expect(2);
    assert!(run.stderr.contains("README.md") && run.stderr.contains("--force"), "{}", run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert_eq!(files(&dir.join("s")), vec!["README.md"]);
    assert_eq!(dir.read("s/README.md"), "mine\n");
    let v = dir.cmd(&["new", "s", "--sdk", "gradio", "--json"]).expect(2).json();
    assert_eq!(v["error_code"], "FILES_EXIST");
}

#[test]
fn new_force_overwrites_and_keeps_other_files() {
    let dir = Dir::new();
    dir.write("s/README.md", "mine\n");
    dir.write("s/notes.txt", "keep\n");
    let v = dir.cmd(&["new", "s", "--sdk", "gradio", "--force", "--json"]).expect(0).json();
    let readme = v["files"].as_array().unwrap().iter().find(|f| f["path"] == "README.md").unwrap().clone();
    assert_eq!(readme["action"], "overwrite");
    assert!(dir.read("s/README.md").contains("sdk: gradio"));
    assert_eq!(dir.read("s/notes.txt"), "keep\n");
}

#[test]
fn new_dry_run_writes_nothing() {
    let dir = Dir::new();
    let v = dir.cmd(&["new", "s", "--sdk", "streamlit", "--dry-run", "--json"]).expect(0).json();
    assert_eq!(v["dry_run"], true);
    assert!(v["files"].as_array().unwrap().iter().any(|f| f["path"] == "Dockerfile"));
    assert!(!dir.join("s").exists());
    let run = dir.cmd(&["new", "s", "--sdk", "streamlit", "--dry-run"]).expect(0);
    assert!(run.stdout.contains("Would write") && run.stdout.contains("  + Dockerfile"), "{}", run.stdout);
    assert!(!dir.join("s").exists());
}

#[test]
fn api_with_a_non_gradio_sdk_recommends_gradio() {
    let dir = Dir::new();
    let v = dir.cmd(&["new", "s", "--sdk", "docker", "--api", "--json"]).expect(0).json();
    let notices = v["notices"].as_array().unwrap();
    assert!(notices.iter().any(|n| n.as_str().unwrap().contains("Gradio")), "{notices:?}");
}

#[test]
fn plugin_options_appear_in_help() {
    let dir = Dir::new();
    let run = dir.cmd(&["new", "--sdk", "docker", "--help"]).expect(0);
    for flag in ["--port", "--no-fastapi", "--from-git", "--python-version", "Options of the docker plugin"] {
        assert!(run.stdout.contains(flag), "{flag} missing from help:\n{}", run.stdout);
    }
    let run = dir.cmd(&["new", "--help"]).expect(0);
    assert!(run.stdout.contains("docker, gradio, static, streamlit"), "{}", run.stdout);
}

#[test]
fn streamlit_is_a_docker_space_on_8501() {
    let dir = Dir::new();
    dir.cmd(&["new", "s", "--sdk", "streamlit"]).expect(0);
    let readme = dir.read("s/README.md");
    assert!(readme.contains("sdk: docker") && readme.contains("app_port: 8501"), "{readme}");
    assert!(dir.read("s/Dockerfile").contains("EXPOSE 8501"));
}

// ---------- bad input ----------

#[test]
fn unknown_sdk_lists_the_available_ones() {
    let dir = Dir::new();
    let run = dir.cmd(&["new", "s", "--sdk", "rails"]).expect(2);
    assert!(run.stderr.contains("no plugin provides the SDK `rails`"), "{}", run.stderr);
    assert!(run.stderr.contains("docker, gradio, static, streamlit"), "{}", run.stderr);
    assert!(!dir.join("s").exists());
    let v = dir.cmd(&["new", "s", "--sdk", "rails", "--json"]).expect(2).json();
    assert_eq!(v["error_code"], "UNKNOWN_SDK");
    assert_eq!(v["success"], false);
}

#[test]
fn bad_port_is_a_usage_error() {
    let dir = Dir::new();
    for bad in ["0", "70000", "http", "-5"] {
        let run = dir.cmd(&["new", "s", "--sdk", "docker", "--port", bad]).expect(2);
        assert!(run.stderr.contains("--port"), "{bad}: {}", run.stderr);
        assert!(!dir.join("s").exists());
    }
}

#[test]
fn bad_choice_and_url_values_are_refused() {
    let dir = Dir::new();
    let run = dir.cmd(&["new", "s", "--sdk", "docker", "--python-version", "2.7"]).expect(2);
    assert!(run.stderr.contains("2.7"), "{}", run.stderr);
    let run = dir.cmd(&["new", "s", "--sdk", "docker", "--from-git", "not a url"]).expect(2);
    assert!(run.stderr.contains("not an absolute URL"), "{}", run.stderr);
    let run = dir.cmd(&["new", "s", "--sdk", "gradio", "--port", "80"]).expect(2);
    assert!(run.stderr.contains("--port"), "{}", run.stderr);
}

#[test]
fn validate_reports_missing_and_unreadable_directories() {
    let dir = Dir::new();
    let run = dir.cmd(&["validate", "nope"]).expect(2);
    assert!(run.stderr.contains("nope") && run.stderr.contains("does not exist"), "{}", run.stderr);
    dir.write("file.txt", "x");
    let run = dir.cmd(&["validate", "file.txt", "--json"]).expect(2);
    assert_eq!(run.json()["error_code"], "PROJECT_UNREADABLE");
}

#[test]
fn readme_without_front_matter_fails_validation() {
    let dir = Dir::new();
    dir.write("s/README.md", "# Just a title\n\nNo config here.\n");
    let run = dir.cmd(&["validate", "s", "--json"]).expect(1);
    let v = run.json();
    assert!(v["errors"].as_u64().unwrap() >= 1);
    assert!(v["findings"].as_array().unwrap().iter().any(|f| f["rule"].as_str().unwrap().starts_with("readme/")), "{v}");
    let run = dir.cmd(&["validate", "s"]).expect(1);
    // Findings and the summary are the result: stdout, and stderr stays empty.
    assert!(run.stdout.contains("README.md"), "{}", run.stdout);
    assert!(run.stdout.lines().last().unwrap().starts_with("✗ s: "), "{}", run.stdout);
    assert!(run.stderr.is_empty(), "{}", run.stderr);
}

#[test]
fn non_utf8_files_are_reported_with_their_offset() {
    let dir = Dir::new();
    dir.write("s/README.md", b"---\nsdk: gradio\ntitle: caf\xe9\n---\n");
    dir.write("s/app.py", b"# caf\xe9\nimport gradio as gr\n");
    let v = dir.cmd(&["validate", "s", "--json"]).expect(1).json();
    let findings = v["findings"].as_array().unwrap();
    let readme = findings.iter().find(|f| f["rule"] == "common/readme-encoding").unwrap_or_else(|| panic!("{v}"));
    assert_eq!((readme["severity"].as_str(), readme["line"].as_u64()), (Some("warning"), Some(3)));
    assert!(readme["message"].as_str().unwrap().contains("UTF-8"), "{readme}");
    let app = findings.iter().find(|f| f["rule"] == "common/not-utf8").unwrap_or_else(|| panic!("{v}"));
    assert_eq!((app["path"].as_str(), app["severity"].as_str()), (Some("app.py"), Some("error")));
}

#[test]
fn validate_json_has_the_documented_shape() {
    let dir = Dir::new();
    dir.write("s/README.md", "---\ntitle: T\nsdk: gradio\npython_version: 3.10\ncolorFrom: orange\n---\n");
    dir.write("s/app.py", "import gradio as gr\n");
    let v = dir.cmd(&["validate", "s", "--json"]).expect(1).json();
    for key in ["findings", "errors", "warnings"] {
        assert!(v.get(key).is_some(), "missing {key}: {v}");
    }
    let float = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["message"].as_str().unwrap().contains("3.1"))
        .cloned()
        .expect("float finding");
    for key in ["rule", "severity", "path", "line", "message", "fix"] {
        assert!(float.get(key).is_some(), "finding misses {key}: {float}");
    }
    assert_eq!(float["line"], 4);
    assert_eq!(float["severity"], "error");
}

#[test]
fn deprecated_streamlit_sdk_is_a_warning_that_does_not_block() {
    // The API still accepts `sdk: streamlit`, so a legacy Space validates (and deploys) with a warning.
    let dir = Dir::new();
    dir.write("s/README.md", "---\ntitle: Old\nsdk: streamlit\napp_file: app.py\n---\n");
    dir.write("s/app.py", "import streamlit as st\n");
    let v = dir.cmd(&["validate", "s", "--json"]).expect(0).json();
    let findings = v["findings"].as_array().unwrap();
    let f = findings.iter().find(|f| f["rule"] == "config/sdk-deprecated").unwrap_or_else(|| panic!("{v}"));
    assert_eq!(f["severity"], "warning");
    assert!(f["fix"].as_str().unwrap().contains("spacesmith new DIR --sdk streamlit"), "{f}");
    assert_eq!(v["errors"], 0, "{v}");
}

#[test]
fn undocumented_colors_and_conflict_markers_fail_validation() {
    let dir = Dir::new();
    dir.write("s/README.md", "---\ntitle: T\nsdk: static\ncolorFrom: orange\n---\n");
    dir.write("s/index.html", "<p>hi</p>\n");
    dir.write("s/script.js", "<<<<<<< HEAD\nconst a = 1;\n=======\nconst a = 2;\n>>>>>>> main\n");
    let v = dir.cmd(&["validate", "s", "--json"]).expect(1).json();
    let findings = v["findings"].as_array().unwrap();
    let color = findings.iter().find(|f| f["rule"] == "config/invalid-color").unwrap_or_else(|| panic!("{v}"));
    assert_eq!((color["severity"].as_str(), color["line"].as_u64()), (Some("error"), Some(4)));
    assert!(color["fix"].as_str().unwrap().contains("colorFrom: yellow"), "{color}");
    let conflict = findings.iter().find(|f| f["rule"] == "common/merge-conflict").unwrap_or_else(|| panic!("{v}"));
    assert_eq!((conflict["path"].as_str(), conflict["line"].as_u64()), (Some("script.js"), Some(1)));
}

#[test]
fn hard_coded_tokens_are_found_but_never_echoed() {
    let dir = Dir::new();
    dir.cmd(&["new", "s", "--sdk", "gradio"]).expect(0);
    let token = format!("hf_{}", "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789");
    dir.write("s/config.py", format!("TOKEN = \"{token}\"\n"));
    let run = dir.cmd(&["validate", "s", "--json"]).expect(1);
    assert!(run.stdout.contains("config.py"), "{}", run.stdout);
    assert!(!run.stdout.contains(&token) && !run.stderr.contains(&token), "the token was echoed");
    let run = dir.cmd(&["validate", "s"]).expect(1);
    assert!(run.stdout.contains("config.py"), "{}", run.stdout);
    assert!(!run.stdout.contains(&token) && !run.stderr.contains(&token), "the token was echoed");
}

#[test]
fn large_repositories_validate_within_plugin_limits() {
    let dir = Dir::new();
    dir.cmd(&["new", "s", "--sdk", "docker"]).expect(0);
    let line = "some text that is not a token\n".repeat(30_000); // ~0.9 MB; 80 of them are past a 64 MiB plugin
    for i in 0..80 {
        dir.write(&format!("s/data/part-{i}.txt"), &line);
    }
    let v = dir.cmd(&["validate", "s", "--json"]).expect(0).json();
    assert_eq!(v["errors"], 0, "{v}");
    assert_eq!(v["plugin"]["sdk"], "docker");
}

#[test]
fn a_docker_space_without_a_user_is_a_warning_until_the_app_writes_where_it_cannot() {
    // The Hub runs every container as UID 1000; many working Spaces never create a user.
    let dir = Dir::new();
    dir.write("s/README.md", "---\ntitle: T\nsdk: docker\napp_port: 7860\n---\n");
    dir.write(
        "s/Dockerfile",
        "FROM python:3.9\nWORKDIR /code\nCOPY . .\nRUN pip install --no-cache-dir -r requirements.txt\nCMD [\"uvicorn\", \"main:app\", \"--host\", \"0.0.0.0\", \"--port\", \"7860\"]\n",
    );
    dir.write("s/requirements.txt", "fastapi\nuvicorn\n");
    dir.write("s/main.py", "from fastapi import FastAPI\n\napp = FastAPI()\n");
    let v = dir.cmd(&["validate", "s", "--json"]).env("PATH", "/nonexistent").expect(0).json();
    let findings = v["findings"].as_array().unwrap();
    let no_user = findings.iter().find(|f| f["rule"] == "docker/no-user").unwrap_or_else(|| panic!("{v}"));
    assert_eq!((no_user["severity"].as_str(), no_user["line"].as_u64()), (Some("warning"), Some(1)));
    assert_eq!(v["errors"], 0, "{v}");
    // Evidence: the app makes a folder in /code, which WORKDIR created as root.
    dir.write(
        "s/main.py",
        "import os\nfrom fastapi import FastAPI\n\nos.makedirs(\"uploads\", exist_ok=True)\napp = FastAPI()\n",
    );
    let v = dir.cmd(&["validate", "s", "--json"]).env("PATH", "/nonexistent").expect(1).json();
    let findings = v["findings"].as_array().unwrap();
    let denied = findings.iter().find(|f| f["rule"] == "docker/write-denied").unwrap_or_else(|| panic!("{v}"));
    assert_eq!(
        (denied["severity"].as_str(), denied["path"].as_str(), denied["line"].as_u64()),
        (Some("error"), Some("main.py"), Some(4))
    );
    let message = denied["message"].as_str().unwrap();
    assert!(message.contains("/code/uploads") && message.contains("Dockerfile line 2"), "{message}");
    assert_eq!(v["errors"], 1, "{v}");
}

// ---------- rules ----------

#[test]
fn rules_lists_every_rule_with_explanation_and_fix() {
    let dir = Dir::new();
    let v = dir.cmd(&["rules", "--json"]).expect(0).json();
    let rules = v["rules"].as_array().unwrap();
    for source in ["config", "common", "docker", "gradio", "streamlit"] {
        assert!(rules.iter().any(|r| r["source"] == source), "no {source} rules");
    }
    for r in rules {
        for key in ["id", "severity", "summary", "explanation", "fix"] {
            assert!(r[key].as_str().is_some_and(|s| !s.is_empty()), "rule lacks {key}: {r}");
        }
    }
    let mut ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    let n = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), n, "rule ids are unique");
    let only = dir.cmd(&["rules", "--sdk", "gradio", "--json"]).expect(0).json();
    assert!(only["rules"].as_array().unwrap().iter().all(|r| r["source"] != "docker"));
    dir.cmd(&["rules", "--sdk", "cobol"]).expect(2);
    let human = dir.cmd(&["rules"]).expect(0);
    assert!(human.stdout.contains("fix:") && human.stdout.contains("why:"), "{}", human.stdout);
    assert!(human.stdout.starts_with("── config ──"), "{}", &human.stdout[..human.stdout.len().min(200)]);
    assert!(human.stderr.is_empty(), "{}", human.stderr);
}

// ---------- hostile third-party plugins ----------

fn hostile(dir: &Dir, attack: &str) -> util::Run {
    let plugin = fixtures::fixture_wasm("hostile");
    dir.cmd(&["new", "victim", "--plugin", plugin.to_str().unwrap(), "--sdk", "hostile", "--attack", attack]).expect(1)
}

#[test]
fn hostile_plugins_end_in_named_errors_and_write_nothing() {
    let dir = Dir::new();
    let cases = [
        ("loop", "time limit"),
        ("memory", "memory limit"),
        ("recursion", "stack"),
        ("many-files", "100000 files"),
        ("huge-file", "big.bin"),
        ("traversal", "`..`"),
        ("absolute", "absolute"),
        ("duplicate", "appears twice"),
        ("case-collision", "differ only in case"),
        ("git-hook", ".git"),
        ("panic", "panicked on purpose"),
    ];
    for (attack, says) in cases {
        let run = hostile(&dir, attack);
        assert!(run.stderr.contains("plugin hostile 6.6.6 failed in `scaffold`"), "{attack}: {}", run.stderr);
        assert!(run.stderr.contains(says), "{attack}: expected `{says}` in {}", run.stderr);
        assert!(!dir.join("victim").exists(), "{attack}: something was written");
        assert!(!std::path::Path::new("/tmp/spacesmith-pwned.txt").exists());
    }
    let v = dir
        .cmd(&[
            "new",
            "victim",
            "--plugin",
            fixtures::fixture_wasm("hostile").to_str().unwrap(),
            "--sdk",
            "hostile",
            "--attack",
            "loop",
            "--json",
        ])
        .expect(1)
        .json();
    assert_eq!(v["error_code"], "PLUGIN_FAILED");
}

#[test]
fn a_checker_that_fails_is_a_finding_and_the_other_checks_still_report() {
    let dir = Dir::new();
    dir.write("repo/README.md", "---\nsdk: hostile\ntitle: 3\n---\n");
    dir.write("repo/loop", "");
    let plugin = fixtures::fixture_wasm("hostile");
    let run = dir.cmd(&["validate", "repo", "--plugin", plugin.to_str().unwrap(), "--json"]).expect(1);
    let v = run.json();
    let findings = v["findings"].as_array().unwrap();
    let failed = findings.iter().find(|f| f["rule"] == "spacesmith/plugin-failed").expect("a plugin-failed finding");
    assert_eq!(failed["severity"], "error");
    let message = failed["message"].as_str().unwrap();
    assert!(message.contains("plugin hostile 6.6.6 failed in `check`") && message.contains("time limit"), "{message}");
    assert!(findings.iter().any(|f| f["rule"] == "config/invalid-sdk"), "{findings:#?}");
}

#[test]
fn a_plugin_built_against_another_contract_is_refused() {
    let dir = Dir::new();
    let plugin = fixtures::fixture_wasm("future-contract");
    let run = dir.cmd(&["rules", "--plugin", plugin.to_str().unwrap(), "--json"]).expect(1);
    assert_eq!(run.json()["error_code"], "PLUGIN_INCOMPATIBLE");
    assert!(run.stderr.contains("contract 0.3.0") && run.stderr.contains("serves 0.1.x"), "{}", run.stderr);
}

#[test]
fn a_missing_or_invalid_plugin_file_is_a_clear_error() {
    let dir = Dir::new();
    let run = dir.cmd(&["rules", "--plugin", "nope.wasm"]).expect(2);
    assert!(run.stderr.contains("nope.wasm"), "{}", run.stderr);
    dir.write("junk.wasm", "not wasm at all");
    let run = dir.cmd(&["rules", "--plugin", "junk.wasm"]).expect(1);
    assert!(run.stderr.contains("junk.wasm") && run.stderr.contains("not a WebAssembly component"), "{}", run.stderr);
}

#[test]
fn plugin_logs_are_shown_with_verbose_only() {
    let dir = Dir::new();
    let plugin = fixtures::fixture_wasm("hostile");
    let args = ["new", "v", "--plugin", plugin.to_str().unwrap(), "--sdk", "hostile", "--attack", "log-flood", "--dry-run"];
    let quiet = dir.cmd(&args).expect(0);
    assert!(!quiet.stderr.contains("flood line"), "logs shown without -v");
    let mut verbose_args = args.to_vec();
    verbose_args.push("-v");
    let loud = dir.cmd(&verbose_args).expect(0);
    assert!(loud.stderr.contains("[hostile] info: flood line 0"), "{}", &loud.stderr[..loud.stderr.len().min(500)]);
    assert!(!loud.stderr.contains('\u{1b}'), "escape sequences reached the terminal");
}

// ---------- completion and man pages ----------

/// What the shell's TAB gets for `spacesmith WORDS` (fish's protocol: `value<TAB>help` per line).
fn complete(dir: &Dir, words: &[&str]) -> Vec<String> {
    let mut args = vec!["--", "spacesmith"];
    args.extend_from_slice(words);
    let run = dir.cmd(&args).env("COMPLETE", "fish").expect(0);
    assert!(run.stderr.is_empty(), "a completion printed on stderr: {}", run.stderr);
    run.stdout.lines().map(|l| l.split('\t').next().unwrap().to_string()).collect()
}

#[test]
fn completion_offers_sdk_ids_installed_plugins_and_the_plugins_options() {
    let dir = Dir::new();
    dir.cmd(&["plugin", "install", fixtures::fixture_wasm("reader").to_str().unwrap()]).expect(0);

    let sdks = complete(&dir, &["new", "x", "--sdk", ""]);
    assert_eq!(sdks, ["docker", "gradio", "reader", "static", "streamlit"]);
    assert_eq!(complete(&dir, &["rules", "--sdk", "st"]), ["static", "streamlit"]);

    let flags = complete(&dir, &["new", "x", "--sdk", "docker", "--"]);
    for flag in ["--port", "--no-fastapi", "--python-version", "--from-git", "--title", "--dry-run", "--quiet"] {
        assert!(flags.iter().any(|f| f == flag), "{flag} not offered: {flags:?}");
    }
    let gradio = complete(&dir, &["new", "x", "--sdk", "gradio", "--"]);
    assert!(!gradio.iter().any(|f| f == "--no-fastapi"), "docker's option offered for gradio: {gradio:?}");
    // A choice option offers its values.
    let versions = complete(&dir, &["new", "x", "--sdk", "docker", "--python-version", "3.1"]);
    assert!(versions.contains(&"3.12".to_string()) && versions.iter().all(|v| v.starts_with("3.1")), "{versions:?}");

    // Only installed plugins can be removed or granted; any can be shown.
    let remove: Vec<String> = complete(&dir, &["plugin", "remove", ""]).into_iter().filter(|c| !c.starts_with('-')).collect();
    assert_eq!(remove, ["reader"]);
    let info: Vec<String> = complete(&dir, &["plugin", "info", ""]).into_iter().filter(|c| !c.starts_with('-')).collect();
    assert_eq!(info, ["docker", "gradio", "reader", "static", "streamlit"]);
    assert!(complete(&dir, &["pl"]) == ["plugin"], "{:?}", complete(&dir, &["pl"]));

    // bash's protocol: the word index, and candidates separated by _CLAP_IFS.
    let run = dir
        .cmd(&["--", "spacesmith", "new", "x", "--sdk", "d"])
        .env("COMPLETE", "bash")
        .env("_CLAP_COMPLETE_INDEX", "4")
        .env("_CLAP_IFS", "\n")
        .expect(0);
    assert_eq!(run.stdout, "docker");
}

#[test]
fn completion_scripts_register_the_callback() {
    let dir = Dir::new();
    let bash = dir.cmd(&["completions", "bash"]).expect(0);
    assert!(bash.stdout.contains("COMPLETE=\"bash\"") && bash.stdout.contains("-F _clap_complete_spacesmith spacesmith"));
    assert!(bash.stderr.is_empty(), "{}", bash.stderr);
    dir.write("spacesmith.bash", &bash.stdout);
    let check = std::process::Command::new("bash").arg("-n").arg(dir.join("spacesmith.bash")).output().expect("bash runs");
    assert!(check.status.success(), "bash -n refused the script: {}", String::from_utf8_lossy(&check.stderr));
    let others = [("zsh", "#compdef spacesmith"), ("fish", "COMPLETE=fish"), ("powershell", "Register-ArgumentCompleter")];
    for (shell, says) in others {
        let run = dir.cmd(&["completions", shell]).expect(0);
        assert!(run.stdout.contains(says), "{shell}: {}", run.stdout);
    }
    dir.cmd(&["completions", "tcsh"]).expect(2);
}

#[test]
fn man_pages_cover_every_command() {
    let dir = Dir::new();
    let main = dir.cmd(&["man"]).expect(0);
    assert!(main.stdout.contains(".TH SPACESMITH 1"), "{}", &main.stdout[..main.stdout.len().min(300)]);
    assert!(main.stdout.contains("completions") && main.stdout.contains("plugin"), "subcommands missing");
    let run = dir.cmd(&["man", "--dir", "man"]).expect(0);
    let written: Vec<&str> = run.stdout.lines().collect();
    for page in [
        "spacesmith.1",
        "spacesmith-new.1",
        "spacesmith-validate.1",
        "spacesmith-rules.1",
        "spacesmith-deploy.1",
        "spacesmith-logs.1",
        "spacesmith-secrets.1",
        "spacesmith-space.1",
        "spacesmith-space-status.1",
        "spacesmith-space-volumes-set.1",
        "spacesmith-ci-github.1",
        "spacesmith-dev.1",
        "spacesmith-plugin.1",
        "spacesmith-plugin-install.1",
        "spacesmith-completions.1",
        "spacesmith-man.1",
    ] {
        assert!(written.iter().any(|w| w.ends_with(&format!("/{page}"))), "{page} not listed: {written:?}");
        let roff = dir.read(&format!("man/{page}"));
        let title = page.trim_end_matches(".1").to_uppercase();
        assert!(roff.contains(&format!(".TH {title} 1")), "{page}: {}", &roff[..roff.len().min(300)]);
    }
    assert!(!written.iter().any(|w| w.ends_with("-help.1")), "a page for `help`: {written:?}");
}

// ---------- --version ----------

#[test]
fn version_is_one_line_on_stdout_and_json_has_every_field() {
    let dir = Dir::new();
    let run = dir.cmd(&["--version"]).expect(0);
    assert!(run.stderr.is_empty(), "{}", run.stderr);
    assert_eq!(dir.cmd(&["-V"]).expect(0).stdout, run.stdout);

    let v = dir.cmd(&["--version", "--json"]).expect(0).json();
    assert_eq!(v["name"], "spacesmith");
    assert_eq!(v["version"], env!("CARGO_PKG_VERSION"));
    // None of it typed twice: the wasmtime of Cargo.lock, the runtime's served contracts, git's commit.
    let lock = std::fs::read_to_string(fixtures::repo_root().join("Cargo.lock")).unwrap();
    let wasmtime = v["wasmtime"].as_str().unwrap();
    assert!(lock.contains(&format!("name = \"wasmtime\"\nversion = \"{wasmtime}\"\n")), "{v}");
    let contracts: Vec<&str> = v["contracts"].as_array().unwrap().iter().map(|c| c["version"].as_str().unwrap()).collect();
    assert!(contracts.contains(&v["latest_contract"].as_str().unwrap()), "{v}");
    let commit = v["commit"].as_str().unwrap();
    assert!(commit == "unknown" || (commit.len() >= 7 && commit.chars().all(|c| c.is_ascii_hexdigit())), "{commit}");

    // The line says the same, on one line.
    let noun = if contracts.len() == 1 { "contract" } else { "contracts" };
    let want = format!(
        "spacesmith {} (commit {commit}, {noun} {}, wasmtime {wasmtime})\n",
        env!("CARGO_PKG_VERSION"),
        contracts.join(" ")
    );
    assert_eq!(run.stdout, want);
}
