//! `spacesmith ci github` and `new --ci github`: the deploy workflow's exact text for both install routes
//! (snapshots in tests/e2e/ci/, `UPDATE_SNAPSHOTS=1` rewrites them), that it is valid YAML with the
//! structure GitHub needs (loaded by PyYAML from the e2e venv), the secret it asks for, and no silent
//! overwrite.

mod util;

#[path = "../../tests/e2e/support.rs"]
mod e2e;

use std::process::Command;

use util::Dir;

const WORKFLOW: &str = ".github/workflows/deploy-space.yml";

fn snapshot(name: &str, got: &str) {
    let path = util::fixtures::repo_root().join("tests/e2e/ci").join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}; run with UPDATE_SNAPSHOTS=1", path.display()));
    assert!(want == got, "{} differs from the generated workflow (UPDATE_SNAPSHOTS=1 to accept):\n{got}", path.display());
}

/// Loads the workflow with PyYAML and checks what GitHub and the deploy need, and that spacesmith is
/// installed the way argv[2] says (`pip VERSION` or `cargo`); prints "ok SPACE".
const CHECK_YAML: &str = r#"
import sys, yaml
w = yaml.safe_load(open(sys.argv[1]))
route = sys.argv[2:]
on = w.get("on", w.get(True))  # YAML 1.1 reads a bare `on` key as true; GitHub reads it as "on"
assert on["push"]["branches"] == ["main"], on
assert "workflow_dispatch" in on, on
steps = w["jobs"]["deploy"]["steps"]
uses = [s["uses"] for s in steps if "uses" in s]
assert uses and all("@" in u for u in uses), uses
assert uses[0].startswith("actions/checkout@v") and int(uses[0].split("@v")[1]) >= 4, uses
assert steps[0]["with"]["lfs"] is True, steps[0]  # LFS content, not pointer files
deploy = [s for s in steps if "spacesmith deploy" in s.get("run", "")]
assert len(deploy) == 1, steps
assert "--timeout 30m" in deploy[0]["run"] and "--no-wait" not in deploy[0]["run"], deploy
assert deploy[0]["env"]["HF_TOKEN"] == "${{ secrets.HF_TOKEN }}", deploy
# Trusted Publishers: GitHub mints id tokens only with this permission; the resource is the Space.
assert w["permissions"] == {"contents": "read", "id-token": "write"}, w["permissions"]
oidc = deploy[0]["env"]["HF_OIDC_RESOURCE"]
assert "vars.HF_TRUSTED_PUBLISHING == 'true'" in oidc and "format('spaces/{0}', env.SPACE)" in oidc, oidc
install = " ".join(s.get("run", "") for s in steps)
# Nothing cached: no cache action, no setup-* cache input.
assert not any("cache" in u for u in uses) and not any("cache" in s.get("with", {}) for s in steps), steps
if route[0] == "pip":
    assert w["env"]["SPACESMITH_VERSION"] == route[1], w["env"]
    assert any(u.startswith("actions/setup-python@v") for u in uses), uses
    assert 'pip install' in install and '--only-binary spacesmith "spacesmith==$SPACESMITH_VERSION"' in install, install
    assert "cargo" not in install and "rustup" not in install and "SPACESMITH_GIT" not in w["env"], install
else:
    assert "wasm32-wasip2" in install and "cargo" in install and "--locked" in install, install
    assert "SPACESMITH_VERSION" not in w["env"] and not any("setup-python" in u for u in uses), uses
print("ok", w["env"]["SPACE"])
"#;

const VERSION: &str = env!("CARGO_PKG_VERSION");

/// `route`: `["pip", VERSION]` or `["cargo"]`.
fn check_yaml(path: &std::path::Path, route: &[&str]) -> String {
    let out = Command::new(e2e::venv_bin().join("python")).args(["-c", CHECK_YAML]).arg(path).args(route).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "the workflow is not what GitHub needs:\n{}\n{}", String::from_utf8_lossy(&out.stderr), stdout);
    stdout
}

#[test]
fn ci_github_writes_a_valid_deploy_workflow_and_names_the_secret() {
    let dir = Dir::new();
    dir.cmd(&["new", "app", "--sdk", "docker"]).expect(0);
    // The default: the wheel from PyPI, pinned to this version; the note says so.
    let run = dir.cmd(&["ci", "github", "app", "--space", "acme/demo"]).expect(0);
    assert!(run.stderr.contains("HF_TOKEN") && run.stderr.contains("write access"), "{}", run.stderr);
    assert!(!run.stderr.contains("todo:"), "{}", run.stderr);
    assert!(run.stderr.contains(&format!("note: the workflow installs spacesmith {VERSION}")), "{}", run.stderr);
    let text = dir.read(&format!("app/{WORKFLOW}"));
    snapshot("deploy-space.yml", &text);
    assert_eq!(check_yaml(&dir.join(&format!("app/{WORKFLOW}")), &["pip", VERSION]).trim(), "ok acme/demo");

    // `--install cargo` keeps the source build, from `--spacesmith-git`.
    let git = "https://github.com/acme/spacesmith.git";
    let cargo = dir.cmd(&[
        "ci",
        "github",
        "app",
        "--space",
        "acme/demo",
        "--install",
        "cargo",
        "--spacesmith-git",
        git,
        "--force",
        "--json",
    ]);
    let cargo = cargo.expect(0).json();
    assert_eq!(cargo["install"], "cargo");
    assert!(cargo["spacesmith_version"].is_null() && cargo["todo"].as_array().unwrap().is_empty(), "{cargo}");
    snapshot("deploy-space-cargo.yml", &dir.read(&format!("app/{WORKFLOW}")));
    assert_eq!(check_yaml(&dir.join(&format!("app/{WORKFLOW}")), &["cargo"]).trim(), "ok acme/demo");

    // A Git URL without `--install cargo` would be ignored: refused, nothing written.
    let before = dir.read(&format!("app/{WORKFLOW}"));
    let err = dir.cmd(&["ci", "github", "app", "--spacesmith-git", git, "--force", "--json"]).expect(2).json();
    assert_eq!(err["error_code"], "BAD_ARGUMENTS");
    assert!(err["hint"].as_str().unwrap().contains("--install cargo"), "{err}");
    assert_eq!(dir.read(&format!("app/{WORKFLOW}")), before);

    // No silent overwrite: refused without --force, file untouched; replaced with it.
    dir.write(&format!("app/{WORKFLOW}"), "# my edits\n");
    let refused = dir.cmd(&["ci", "github", "app", "--space", "acme/demo", "--json"]).expect(2).json();
    assert_eq!(refused["error_code"], "WORKFLOW_EXISTS");
    assert_eq!(dir.read(&format!("app/{WORKFLOW}")), "# my edits\n");
    let replaced = dir.cmd(&["ci", "github", "app", "--space", "acme/demo", "--force", "--json"]).expect(0).json();
    assert_eq!(replaced["action"], "overwrite");
    assert_eq!(replaced["secrets"][0]["name"], "HF_TOKEN");
}

#[test]
fn without_space_the_workflow_reads_a_repository_variable() {
    let dir = Dir::new();
    dir.cmd(&["new", "app", "--sdk", "gradio"]).expect(0);
    let report = dir.cmd(&["ci", "github", "app", "--json"]).expect(0).json();
    assert_eq!(report["variables"][0]["name"], "HF_SPACE");
    assert_eq!(report["install"], "pip");
    assert_eq!(report["spacesmith_version"], VERSION);
    assert!(report["todo"].as_array().unwrap().is_empty(), "{report}");
    assert!(report["notes"][0].as_str().unwrap().contains(&format!("pip install spacesmith=={VERSION}")), "{report}");
    assert_eq!(check_yaml(&dir.join(&format!("app/{WORKFLOW}")), &["pip", VERSION]).trim(), "ok ${{ vars.HF_SPACE }}");
    // The source route without a Git URL: a placeholder, and a todo to replace it.
    let human = dir.cmd(&["ci", "github", "app", "--install", "cargo", "--force"]).expect(0);
    assert!(human.stderr.contains("variable HF_SPACE") && human.stderr.contains("todo:"), "{}", human.stderr);
    assert!(human.stderr.contains("SPACESMITH_GIT"), "{}", human.stderr);
    assert_eq!(check_yaml(&dir.join(&format!("app/{WORKFLOW}")), &["cargo"]).trim(), "ok ${{ vars.HF_SPACE }}");
    dir.cmd(&["ci", "github", "nowhere"]).expect(2);
    dir.cmd(&["ci", "github", "app", "--space", "not a space", "--force"]).expect(2);
}

#[test]
fn new_with_ci_github_writes_the_workflow_with_the_project() {
    let dir = Dir::new();
    let report = dir.cmd(&["new", "app", "--sdk", "docker", "--ci", "github", "--space", "acme/demo", "--json"]).expect(0).json();
    assert_eq!(report["ci"]["space"], "acme/demo");
    assert!(report["files"].as_array().unwrap().iter().any(|f| f["path"] == "Dockerfile"));
    let workflow = dir.read(&format!("app/{WORKFLOW}"));
    assert!(workflow.contains("SPACE: \"acme/demo\"") && workflow.contains("\"spacesmith==$SPACESMITH_VERSION\""), "{workflow}");
    let human = dir.cmd(&["new", "other", "--sdk", "gradio", "--ci", "github"]).expect(0);
    assert!(human.stderr.contains("secret   HF_TOKEN"), "{}", human.stderr);

    // An existing workflow stops `new` before it writes anything.
    let taken = Dir::new();
    taken.write(&format!("app/{WORKFLOW}"), "# mine\n");
    let err = taken.cmd(&["new", "app", "--sdk", "docker", "--ci", "github", "--json"]).expect(2).json();
    assert_eq!(err["error_code"], "WORKFLOW_EXISTS");
    assert_eq!(util::files(&taken.join("app")), [WORKFLOW]);

    // A dry run writes nothing, workflow included; --space needs --ci.
    let dry = Dir::new();
    dry.cmd(&["new", "app", "--sdk", "docker", "--ci", "github", "--dry-run"]).expect(0);
    assert!(!dry.join("app").exists());
    dry.cmd(&["new", "app", "--sdk", "docker", "--space", "acme/demo"]).expect(2);
}
