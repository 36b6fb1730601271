//! Golden snapshots of every SDK's generated project for representative option sets.
//! Each case is one readable text file under tests/snapshots/ (all files, modes, secrets, variables,
//! notices), so a change in output shows up as a diff in review. `UPDATE_SNAPSHOTS=1` rewrites them.
//! Every generated project must also pass `validate` with no error and no warning, and the same
//! input must give byte-identical output.

mod util;

use util::Dir;

struct Case {
    name: &'static str,
    sdk: &'static str,
    args: &'static [&'static str],
}

const CASES: &[Case] = &[
    Case { name: "docker-default", sdk: "docker", args: &[] },
    Case { name: "docker-no-fastapi", sdk: "docker", args: &["--no-fastapi"] },
    Case { name: "docker-port-8000-python-3.11", sdk: "docker", args: &["--port", "8000", "--python-version", "3.11"] },
    Case { name: "docker-from-git", sdk: "docker", args: &["--from-git", "https://github.com/example/app.git"] },
    Case { name: "docker-api-title", sdk: "docker", args: &["--api", "--title", "Invoice API"] },
    Case { name: "gradio-default", sdk: "gradio", args: &[] },
    Case { name: "gradio-api", sdk: "gradio", args: &["--api"] },
    Case { name: "streamlit-default", sdk: "streamlit", args: &[] },
    Case { name: "static-default", sdk: "static", args: &["--title", "Tom & <Jerry>"] },
    Case { name: "static-vite", sdk: "static", args: &["--bundler", "vite"] },
];

/// Generate a case in a fresh directory and render it as snapshot text.
fn render(case: &Case) -> (String, Dir) {
    let dir = Dir::new();
    let mut args = vec!["new", "demo-space", "--sdk", case.sdk, "--json"];
    args.extend_from_slice(case.args);
    let run = dir.cmd(&args).expect(0);
    let report = run.json();
    let header = format!("# spacesmith new demo-space --sdk {} {}", case.sdk, case.args.join(" "));
    let mut snap = format!("{}\n", header.trim_end());
    for s in report["secrets"].as_array().unwrap() {
        let required = if s["required"].as_bool().unwrap() { "required" } else { "optional" };
        snap.push_str(&format!(
            "# secret {} ({}, {required}): {}\n",
            s["name"].as_str().unwrap(),
            s["stage"].as_str().unwrap(),
            s["why"].as_str().unwrap()
        ));
    }
    for v in report["variables"].as_array().unwrap() {
        snap.push_str(&format!(
            "# variable {}={}: {}\n",
            v["name"].as_str().unwrap(),
            v["value"].as_str().unwrap(),
            v["why"].as_str().unwrap()
        ));
    }
    for n in report["notices"].as_array().unwrap() {
        snap.push_str(&format!("# notice: {}\n", n.as_str().unwrap()));
    }
    let root = dir.join("demo-space");
    for path in util::files(&root) {
        let full = root.join(&path);
        let bytes = std::fs::read(&full).unwrap();
        let text = String::from_utf8(bytes).unwrap_or_else(|_| panic!("{}: generated file {path} is not UTF-8", case.name));
        let mode = if is_executable(&full) { " (executable)" } else { "" };
        snap.push_str(&format!("\n==== {path}{mode} ====\n{text}"));
        if !text.ends_with('\n') {
            snap.push_str("\n[no newline at end of file]\n");
        }
    }
    (snap, dir)
}

#[cfg(unix)]
fn is_executable(p: &std::path::Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
fn is_executable(_: &std::path::Path) -> bool {
    false
}

fn first_difference(want: &str, got: &str) -> String {
    let (w, g): (Vec<&str>, Vec<&str>) = (want.lines().collect(), got.lines().collect());
    let i = w.iter().zip(&g).position(|(a, b)| a != b).unwrap_or(w.len().min(g.len()));
    let from = i.saturating_sub(3);
    let show = |lines: &[&str]| {
        lines.iter().enumerate().skip(from).take(8).map(|(n, l)| format!("{:>5} | {l}", n + 1)).collect::<Vec<_>>().join("\n")
    };
    format!("first difference at line {}\n--- snapshot\n{}\n--- generated\n{}", i + 1, show(&w), show(&g))
}

#[test]
fn generated_projects_match_their_snapshots() {
    let dir = util::fixtures::repo_root().join("tests").join("snapshots");
    let update = std::env::var_os("UPDATE_SNAPSHOTS").is_some();
    let mut failures = Vec::new();
    for case in CASES {
        let (got, _dir) = render(case);
        let path = dir.join(format!("{}.snap", case.name));
        if update {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &got).unwrap();
            continue;
        }
        match std::fs::read_to_string(&path) {
            Ok(want) if want == got => {}
            Ok(want) => failures.push(format!("{}: {}", case.name, first_difference(&want, &got))),
            Err(e) => {
                failures.push(format!("{}: no snapshot at {} ({e}); run with UPDATE_SNAPSHOTS=1", case.name, path.display()))
            }
        }
    }
    assert!(failures.is_empty(), "snapshot mismatches (UPDATE_SNAPSHOTS=1 to accept):\n\n{}", failures.join("\n\n"));
}

#[test]
fn same_input_gives_byte_identical_output() {
    for case in CASES {
        let (first, _a) = render(case);
        let (second, _b) = render(case);
        assert!(first == second, "{}: two runs differ\n{}", case.name, first_difference(&first, &second));
    }
}

#[test]
fn generated_projects_pass_validate_cleanly() {
    for case in CASES {
        let (_, dir) = render(case);
        let run = dir.cmd(&["validate", "demo-space", "--json"]).expect(0);
        let report = run.json();
        // Demoting a rule to info for existing repos must not let our own output slip: only the note
        // about hadolint's availability may remain.
        let noisy: Vec<_> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| !f["rule"].as_str().unwrap().starts_with("hadolint/"))
            .collect();
        assert!(
            noisy.is_empty(),
            "{}: generated project has findings:\n{}",
            case.name,
            serde_json::to_string_pretty(&noisy).unwrap()
        );
        assert_eq!(report["errors"], 0);
    }
}

#[test]
fn snapshots_hold_no_tokens() {
    let dir = util::fixtures::repo_root().join("tests").join("snapshots");
    let token_like = |s: &str| {
        s.split(|c: char| !c.is_ascii_alphanumeric() && c != '_').any(|w| {
            (w.starts_with("hf_") && w.len() >= 30)
                || (w.starts_with("ghp_") && w.len() >= 30)
                || (w.starts_with("github_pat_") && w.len() > 30)
        })
    };
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap().flatten() {
        let text = std::fs::read_to_string(entry.path()).unwrap();
        assert!(!token_like(&text), "{} contains something that looks like a token", entry.path().display());
        seen += 1;
    }
    assert_eq!(seen, CASES.len(), "one snapshot per case");
}
