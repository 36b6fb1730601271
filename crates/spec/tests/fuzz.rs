//! Fuzzing what `validate` reads from a user's repository: the README front matter (container and
//! YAML), the common rules over arbitrary file contents, and the `.gitignore`-aware walk over generated
//! trees, with real git as the oracle for what an upload sends. `scripts/fuzz` runs it longer.

#[path = "../../../tests/support/fuzz.rs"]
mod fuzz_support;

use std::fs;
use std::path::Path;
use std::process::Command;

use fuzz_support::{fuzz, fuzz_weighted};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use spacesmith_spec::project::{Project, ProjectFile, load};
use spacesmith_spec::{check_project, check_readme, common, known_fields};

const CASES: u32 = 384;

/// Scalars as people write them, with YAML's traps: versions, booleans, nulls, numbers, tags, escapes.
#[rustfmt::skip]
const SCALARS: &[&str] = &[
    "docker", "gradio", "static", "streamlit", "3.10", "\"3.10\"", "'3.12'", "4.44.1", "7860", "0", "70000", "-1",
    "true", "false", "yes", "no", "null", "~", "", ".inf", "-.inf", ".nan", "0x1F", "0o17", "1e3", "1_000",
    "🚀", "\"\\U0001F433\"", "\"\\x\"", "\"\\u12\"", "'it''s'", "\"unterminated", "'also", "!!str 3.10", "!!int x",
    "!!float 1", "!!bool yes", "!!null", "!custom v", "&a x", "*a", "*undefined", "[a, b]", "[1, [2, [3]]]", "{a: 1}",
    "{a: [1, {b: c}]}", "[", "]", "{", "}", "a: b", "A: B: C", "\"a: b\"", "# comment", "x # comment", "|", ">-",
    "|+", "red", "blue", "mit", "apache-2.0", "t4-small", "30m", "1h", "http://x", "https://x/y.png", "é", "\u{feff}",
    "\u{2028}", "\u{85}", "\t", "\\", "%TAG", "@x", "`x`", "---", "...", "? x", "- x", "-", ":", ",", "\"\"", "''",
];

fn scalar() -> BoxedStrategy<String> {
    prop_oneof![
        8 => prop::sample::select(SCALARS).prop_map(str::to_string),
        1 => any::<String>().prop_map(|s| s.chars().take(20).collect()),
        // A JSON string is a YAML double-quoted scalar.
        1 => any::<String>().prop_map(|s| serde_json::Value::from(s).to_string()),
        1 => (1usize..2000).prop_map(|n| "x".repeat(n * 20)),
    ]
    .boxed()
}

fn key() -> BoxedStrategy<String> {
    let known: Vec<String> = known_fields().into_iter().map(str::to_string).collect();
    prop_oneof![
        6 => prop::sample::select(known),
        1 => prop::sample::select(vec!["sdk_versoin", "Title", "app-port", "\"sdk\"", "? sdk", "x y", "é", "-", "<<"]).prop_map(str::to_string),
        1 => "[a-z_]{1,12}",
    ]
    .boxed()
}

/// Lines of a YAML value under a key, nested up to `depth` levels, block or flow style.
fn value(depth: u32) -> BoxedStrategy<Vec<String>> {
    let leaf = scalar().prop_map(|s| vec![format!(" {s}")]);
    leaf.prop_recursive(depth, 64, 6, |inner| {
        prop_oneof![
            // Block list.
            prop::collection::vec(inner.clone(), 0..4).prop_map(|items| {
                let mut lines = vec![String::new()];
                for item in items {
                    let mut it = item.into_iter();
                    lines.push(format!("  -{}", it.next().unwrap_or_default()));
                    lines.extend(it.map(|l| format!("    {l}")));
                }
                lines
            }),
            // Block mapping.
            prop::collection::vec((key(), inner.clone()), 0..4).prop_map(|entries| {
                let mut lines = vec![String::new()];
                for (k, v) in entries {
                    let mut it = v.into_iter();
                    lines.push(format!("  {k}:{}", it.next().unwrap_or_default()));
                    lines.extend(it.map(|l| format!("  {l}")));
                }
                lines
            }),
            // Block scalar.
            (prop::sample::select(vec!["|", ">", "|-", ">+", "|2"]), prop::collection::vec(scalar(), 0..4)).prop_map(
                |(style, body)| {
                    let mut lines = vec![format!(" {style}")];
                    lines.extend(body.into_iter().map(|l| format!("  {l}")));
                    lines
                }
            ),
            // Flow collection on one line.
            prop::collection::vec(inner, 0..4).prop_map(|items| {
                let joined: Vec<String> = items.iter().map(|i| i.join(" ").trim().to_string()).collect();
                vec![format!(" [{}]", joined.join(", "))]
            }),
        ]
    })
    .boxed()
}

/// A README: optional BOM and blank lines, `---` games around a body of keys, comments and noise.
fn readme() -> impl Strategy<Value = String> {
    let entry = prop_oneof![
        8 => (key(), value(4)).prop_map(|(k, v)| {
            let mut it = v.into_iter();
            let mut lines = vec![format!("{k}:{}", it.next().unwrap_or_default())];
            lines.extend(it);
            lines
        }),
        1 => prop::sample::select(vec!["# comment", "", "  ", "---", "...", "--- x", "----", " ---", "---\r", "\t- x", "- a", "key", "%YAML 1.2"]).prop_map(|l| vec![l.to_string()]),
        1 => any::<String>().prop_map(|s| vec![s]),
    ];
    (
        any::<bool>(),
        0usize..3,
        prop::sample::select(vec!["---", "--- ", "---\t", "", "----", "+++"]),
        prop::collection::vec(entry, 0..16),
        prop::sample::select(vec!["---", "--- ", "", "...", "---x"]),
        prop::sample::select(vec!["", "# Title\n", "body\n---\nmore: x\n", "```\n---\n```\n"]),
        any::<bool>(),
    )
        .prop_map(|(bom, blanks, open, entries, close, body, crlf)| {
            let mut lines = Vec::new();
            lines.extend(std::iter::repeat_n(String::new(), blanks));
            lines.push(open.to_string());
            lines.extend(entries.into_iter().flatten());
            lines.push(close.to_string());
            lines.push(body.to_string());
            let text = lines.join(if crlf { "\r\n" } else { "\n" });
            if bom { format!("\u{feff}{text}") } else { text }
        })
}

fn line_count(text: &str) -> u32 {
    text.split('\n').count() as u32
}

fn check_one(text: &str) -> Result<spacesmith_spec::ReadmeCheck, TestCaseError> {
    let check = check_readme("README.md", text);
    let lines = line_count(text);
    for f in &check.findings {
        prop_assert!(f.line.is_none_or(|l| l >= 1 && l <= lines), "{f:?} outside {lines} lines");
        prop_assert!(!f.message.is_empty() && f.message.len() <= 4096 + text.len(), "{f:?}");
    }
    // Bounded output: at most a few findings per line.
    prop_assert!(check.findings.len() <= 3 * lines as usize + 16, "{} findings", check.findings.len());
    if let Some(fm) = &check.front_matter {
        prop_assert!(fm.start_line() < fm.end_line() && fm.end_line() <= lines);
        for (k, line) in fm.keys() {
            prop_assert!(line > fm.start_line() && line < fm.end_line(), "{k} at {line}");
        }
        let _ = (fm.to_json(), fm.sdk(), fm.app_port(), fm.app_file(), fm.get_str_list("tags"));
    }
    Ok(check)
}

#[test]
fn readme_front_matter() {
    fuzz("spec/readme", regressions!(), CASES, readme(), |text| {
        check_one(&text)?;
        // A CRLF file reads exactly like its LF twin (a lone `\r` is content, so leave those out).
        let lf = text.replace("\r\n", "\n");
        if !lf.contains('\r') {
            prop_assert_eq!(check_readme("README.md", &lf), check_readme("README.md", &lf.replace('\n', "\r\n")));
        }
        Ok(())
    });
}

#[test]
fn readme_arbitrary_text() {
    fuzz("spec/readme-text", regressions!(), CASES, any::<String>(), |text| {
        check_one(&text)?;
        check_one(&format!("---\n{text}\n---\n"))?;
        Ok(())
    });
}

#[test]
fn quoted_strings_round_trip() {
    // What `spacesmith new --title` writes (a JSON string is a YAML double-quoted scalar) reads back as is.
    fuzz("spec/quoted-round-trip", regressions!(), CASES, any::<String>(), |title| {
        let readme = format!("---\ntitle: {}\nsdk: docker\n---\n", serde_json::Value::from(title.as_str()));
        let check = check_one(&readme)?;
        let fm = check.front_matter.as_ref().ok_or_else(|| TestCaseError::fail(format!("{:?}", check.findings)))?;
        prop_assert_eq!(fm.get_str("title"), Some(title.as_str()));
        prop_assert_eq!(fm.sdk(), Some("docker"));
        Ok(())
    });
}

/// File contents with what the common rules look for: credentials, encodings, NULs, long lines.
fn contents() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        3 => prop::sample::select(vec![
            "hf_Ab3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dE2f", "hf_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "ghp_Ab3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dE2f",
            "github_pat_11ABCDEFG0123456789_abcdefghijklmnop", "sk-proj-Ab3dE5gH7jK9mN1pQ3sT5vW7yZ", "AKIAABCDEFGHIJKLMNOP",
            "-----BEGIN RSA PRIVATE KEY-----", "-----BEGIN PRIVATE KEY-----", "os.environ[\"HF_TOKEN\"]", "# -*- coding: latin-1 -*-",
            "\n", "\r\n", " ", "import gradio as gr\n", "demo.launch()\n", "[submodule \"x\"]\n\tpath = vendor/x\n",
        ]).prop_map(|s| s.as_bytes().to_vec()),
        1 => prop::collection::vec(any::<u8>(), 0..16),
        1 => prop::sample::select(vec![vec![0xFFu8, 0xFE], vec![0xFE, 0xFF], vec![0xE9], vec![0xC3], vec![0], vec![0xEF, 0xBB, 0xBF]]),
        1 => (1usize..200).prop_map(|n| b"abc".repeat(n * 10)),
    ];
    prop::collection::vec(piece, 0..24).prop_map(|p| p.concat())
}

#[rustfmt::skip]
const PATHS: &[&str] = &[
    "README.md", "readme.md", "app.py", "src/app.py", "Dockerfile", "requirements.txt", "packages.txt", ".env",
    ".env.local", ".env.example", ".envrc", ".netrc", ".gitmodules", "index.html", "dist/index.html", "a/b/c.py",
    "data.bin", "é/ü.txt", "start.sh", "pre-requirements.txt", ".pypirc", "notes.md",
];

#[test]
fn common_rules_over_arbitrary_contents() {
    let files = prop::collection::btree_map(prop::sample::select(PATHS), contents(), 0..8);
    fuzz("spec/common", regressions!(), CASES, (files, readme()), |(files, readme)| {
        let mut list: Vec<ProjectFile> = files.iter().map(|(p, c)| ProjectFile::text(p, c.clone())).collect();
        if !files.contains_key("README.md") {
            list.push(ProjectFile::text("README.md", readme.clone()));
        }
        let project = Project::from_files("/fuzz", list);
        let check = check_project(&project);
        let fm = check.front_matter.clone();
        let mut findings = check.findings;
        findings.extend(common::check(&project, fm.as_ref()));
        for f in &findings {
            if let (Some(path), Some(line)) = (&f.path, f.line)
                && let Some(file) = project.file(path)
            {
                let lines = file.contents.split(|b| *b == b'\n').count() as u32;
                prop_assert!(line >= 1 && line <= lines.max(1), "{f:?} outside {lines} lines");
            }
            // A credential is never echoed back, whole, in what we print.
            for secret in ["Ab3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dE2f", "11ABCDEFG0123456789_abcdefghijklmnop", "AKIAABCDEFGHIJKLMNOP"] {
                prop_assert!(!f.message.contains(secret) && !f.fix.as_deref().unwrap_or("").contains(secret), "{f:?}");
            }
        }
        let total: usize = project.files.iter().map(|f| f.contents.len() + 1).sum();
        prop_assert!(findings.len() <= 2 * total + 32, "{} findings", findings.len());
        Ok(())
    });
}

/// `.gitignore` lines: globs, negations, anchors, directory-only patterns, escapes, comments, noise.
#[rustfmt::skip]
const PATTERNS: &[&str] = &[
    "*.log", "!keep.log", "build/", "/root.txt", "**/cache", "a/**/b.txt", "a/**", "**", "*", "!*", "[ab].txt", "[!a]*",
    "\\#hash", "#comment", "", "   ", "name\\ ", "trailing  ", "dir/*.py", "!dir/", "/a/", "b", "!b", "c/d", "*.txt",
    "!important.txt", "node_modules/", "\\!bang", "?.py", "**/*.md", "!**/README.md", ".env", "é", "[", "\\",
];

#[rustfmt::skip]
const NAMES: &[&str] = &[
    "a", "b", "c", "d", "dir", "build", "cache", "node_modules", "keep.log", "x.log", "root.txt", "b.txt", "a.txt",
    "important.txt", "app.py", "README.md", ".env", "#hash", "!bang", "name ", "é", "x.py",
];

fn tree() -> impl Strategy<Value = (Vec<String>, Vec<(String, Vec<&'static str>)>)> {
    let path = prop::collection::vec(prop::sample::select(NAMES), 1..5).prop_map(|p| p.join("/"));
    let dir = prop::collection::vec(prop::sample::select(NAMES), 0..3).prop_map(|p| p.join("/"));
    let ignore = (dir, prop::collection::vec(prop::sample::select(PATTERNS), 0..6));
    (prop::collection::vec(path, 1..24), prop::collection::vec(ignore, 0..4))
}

/// Lays out the tree; a file path that collides with a directory is skipped. Returns the files made.
fn lay_out(root: &Path, paths: &[String], ignores: &[(String, Vec<&str>)]) -> Vec<String> {
    for (dir, lines) in ignores {
        let dir = root.join(dir);
        if fs::create_dir_all(&dir).is_ok() {
            let _ = fs::write(dir.join(".gitignore"), lines.join("\n") + "\n");
        }
    }
    let mut made = Vec::new();
    for p in paths {
        let abs = root.join(p);
        if abs.parent().is_some_and(|d| fs::create_dir_all(d).is_ok()) && !abs.exists() && fs::write(&abs, p).is_ok() {
            made.push(p.clone());
        }
    }
    made
}

/// What `git add -A` would take: untracked files not excluded by the ignore files.
fn git_upload_set(root: &Path) -> Option<Vec<String>> {
    let git =
        |args: &[&str]| Command::new("git").args(args).current_dir(root).env("GIT_CONFIG_GLOBAL", "/dev/null").output().ok();
    git(&["init", "-q"]).filter(|o| o.status.success())?;
    let out = git(&["ls-files", "-z", "--others", "--exclude-standard"]).filter(|o| o.status.success())?;
    let mut files: Vec<String> =
        out.stdout.split(|b| *b == 0).filter(|p| !p.is_empty()).map(|p| String::from_utf8_lossy(p).into_owned()).collect();
    files.sort();
    Some(files)
}

#[test]
fn gitignore_walk_matches_git() {
    let has_git = Command::new("git").arg("--version").output().is_ok_and(|o| o.status.success());
    assert!(has_git, "git is needed as the oracle of what an upload sends");
    fuzz_weighted("spec/walk", regressions!(), CASES, 12, tree(), |(paths, ignores)| {
        let dir = tempfile::tempdir().map_err(|e| TestCaseError::fail(e.to_string()))?;
        let root = dir.path();
        let made = lay_out(root, &paths, &ignores);
        let project = load(root, 1024).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let loaded: Vec<&str> = project.files.iter().map(|f| f.path.as_str()).collect();
        prop_assert!(loaded.windows(2).all(|w| w[0] < w[1]), "sorted and unique");
        // Every file made is either loaded or reported as ignored, never both.
        for p in made.iter().chain(
            ignores
                .iter()
                .map(|(d, _)| if d.is_empty() { ".gitignore".into() } else { format!("{d}/.gitignore") })
                .collect::<Vec<_>>()
                .iter(),
        ) {
            let in_files = project.file(p).is_some();
            prop_assert!(in_files != project.is_ignored(p), "{p}: loaded {in_files}, ignored {:?}", project.ignored);
        }
        let Some(git) = git_upload_set(root) else { return Err(TestCaseError::fail("git failed")) };
        prop_assert_eq!(loaded, git.iter().map(String::as_str).collect::<Vec<_>>(), "ignore files: {:?}", ignores);
        Ok(())
    });
}

/// Deep nesting must be refused or handled without overflowing the stack, whatever the YAML style.
#[test]
fn deep_nesting() {
    let depth = 100_000;
    for yaml in [
        format!("a: {}x{}", "[".repeat(depth), "]".repeat(depth)),
        format!("a: {}x{}", "{b: ".repeat(depth), "}".repeat(depth)),
        format!("a:\n  {}x", "- ".repeat(depth)),
        format!("a:\n  {}x", "-\t".repeat(depth)),
        format!("{}x", "? ".repeat(depth)),
        format!("a: {}x", "&a [".repeat(depth)),
        format!("a: {}", "!!seq [".repeat(depth)),
        format!("a: {}", "[{".repeat(depth)),
        format!("a:\n{}", (0..3000).map(|i| format!("{}- k{i}:\n", " ".repeat(i))).collect::<String>()),
    ] {
        let check = check_readme("README.md", &format!("---\n{yaml}\n---\n"));
        assert!(check.front_matter.is_none(), "nesting this deep is refused");
        assert!(check.findings.iter().any(|f| f.rule == "readme/yaml-syntax"), "{:?}", check.findings);
    }
}

#[test]
fn huge_inputs_stay_linear() {
    // 10,000 keys are read, 100,000 are past the bound; a 4 MiB line; 50,000 credentials in one file.
    let keys = |n: usize| format!("---\n{}---\n", (0..n).map(|i| format!("k{i}: v\n")).collect::<String>());
    assert_eq!(check_readme("README.md", &keys(10_000)).front_matter.map(|fm| fm.keys().count()), Some(10_000));
    let refused = check_readme("README.md", &keys(100_000));
    assert!(refused.front_matter.is_none() && refused.findings[0].message.contains("more than 100000 values"));
    let long = format!("---\ntitle: {}\n---\n", "x".repeat(4 << 20));
    assert!(check_readme("README.md", &long).front_matter.is_some());
    // "Did you mean" once built an edit-distance matrix per candidate for a 1 MiB value (a key that
    // long is a YAML error: implicit keys stop at 1024 characters).
    for (key, value) in
        [("sdk", "d".repeat(1 << 20)), ("suggested_hardware", "t4".repeat(1 << 19)), ("colorFrom", "r".repeat(1 << 20))]
    {
        let check = check_readme("README.md", &format!("---\nsdk: docker\n{key}: {value}\n---\n"));
        assert!(check.findings.iter().any(|f| f.line == Some(3)), "{key}: {:?}", check.findings);
    }
    let tokens: String = (0..50_000).map(|i| format!("t = \"hf_Ab3dE5gH7jK9mN1pQ3sT5vW7yZ9b{i:06}\"\n")).collect();
    let project = Project::from_files("/x", vec![ProjectFile::text("app.py", tokens)]);
    let found = common::check(&project, None).into_iter().filter(|f| f.rule == "common/hardcoded-token").count();
    assert_eq!(found, 50_000);
}

/// Inputs that once broke a property, kept as plain tests.
#[test]
fn regressions() {
    // An empty tagged key on the last line took the line of the closing `---`.
    let check = check_readme("README.md", "---\n? !#\n---\n");
    let fm = check.front_matter.expect("parses");
    assert_eq!(fm.keys().map(|(_, line)| line).collect::<Vec<_>>(), [2]);
}
