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
    assert!(run.stdout.is_empty(), "human output goes to stderr: {}", run.stdout);
    assert!(run.stderr.contains("API_TOKEN") && run.stderr.contains("runtime, required"), "{}", run.stderr);
    assert!(run.stderr.contains("Settings → Variables and secrets"), "{}", run.stderr);
    assert!(run.stderr.contains("Next: spacesmith validate my-space"), "{}", run.stderr);
}

#[test]
fn new_json_reports_files_secrets_and_plugin() {
    let dir = Dir::new();
    let v = dir.cmd(&["new", "s", "--sdk", "docker", "--from-git", "https://example.com/a/b.git", "--json"]).expect(0).json();
    assert_eq!(v["success"], true);
    assert_eq!(v["plugin"]["sdk"], "docker");
    assert_eq!(v["plugin"]["contract"], "0.1.0");
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
    assert!(run.stderr.contains("Would write"), "{}", run.stderr);
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
    assert!(run.stderr.contains("README.md"), "{}", run.stderr);
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
    assert!(!run.stderr.contains(&token), "the token was echoed");
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
    assert!(human.stderr.contains("fix:") && human.stderr.contains("why:"), "{}", human.stderr);
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
    assert!(run.stderr.contains("contract 0.2.0") && run.stderr.contains("serves 0.1.x"), "{}", run.stderr);
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
