//! Project loading on a real temp dir, and the SDK-independent `common` checks.

use spacesmith_spec::common::{self, LFS_THRESHOLD};
use spacesmith_spec::project::{LoadError, Project, ProjectFile, load, load_with_budget};
use spacesmith_spec::{Finding, FrontMatter, all_rules, check_project, check_readme};
use std::fs;
use std::path::Path;

const CAP: u64 = 64 * 1024;
/// Looks like a real token (mixed case and digits) but was never issued.
const FAKE_HF: &str = "hf_Ab3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dE2f";

fn write(root: &Path, rel: &str, contents: impl AsRef<[u8]>) {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, contents).unwrap();
}

fn fixture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    write(r, "README.md", "---\nsdk: docker\napp_port: 7860\n---\n");
    write(r, "Dockerfile", "FROM python:3.12\n");
    write(r, ".gitignore", "secret.txt\nbuild/\n*.log\n!keep.log\n");
    write(r, "secret.txt", "x");
    write(r, "build/out.js", "x");
    write(r, "a.log", "x");
    write(r, "keep.log", "x");
    write(r, ".git/config", "[core]\n");
    write(r, ".git/info/exclude", "excluded.txt\n");
    write(r, "excluded.txt", "x");
    write(r, "vendor/lib/.git/HEAD", "ref: refs/heads/main\n");
    write(r, "vendor/lib/code.py", "print('hi')\n");
    write(r, "big.txt", vec![b'a'; CAP as usize + 1]);
    write(r, "image.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR");
    write(r, ".hidden", "visible to uploads");
    write(r, "sub/.gitignore", "local.txt\n");
    write(r, "sub/local.txt", "x");
    write(r, "sub/other.txt", "x");
    write(r, "latin1.py", b"# caf\xe9\nprint('caf\xe9')\n");
    write(r, "app/config.py", format!("TOKEN = \"{FAKE_HF}\"\nPLACEHOLDER = \"hf_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"\n"));
    #[cfg(unix)]
    std::os::unix::fs::symlink(r.join("README.md"), r.join("link.md")).unwrap();
    dir
}

#[test]
fn load_walks_like_an_upload() {
    let dir = fixture();
    let p = load(dir.path(), CAP).unwrap();
    let paths: Vec<&str> = p.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            ".gitignore",
            ".hidden",
            "Dockerfile",
            "README.md",
            "app/config.py",
            "big.txt",
            "image.png",
            "keep.log",
            "latin1.py",
            "sub/.gitignore",
            "sub/other.txt",
            "vendor/lib/code.py",
        ]
    );
    assert_eq!(p.ignored, ["a.log", "build/", "excluded.txt", "secret.txt", "sub/local.txt"]);
    assert_eq!(p.nested_git_dirs, ["vendor/lib/.git"]);
    #[cfg(unix)]
    assert_eq!(p.symlinks, ["link.md"]);
    assert!(p.is_ignored("build/out.js"));

    let big = p.file("big.txt").unwrap();
    assert!(big.truncated && big.contents.is_empty() && !big.binary);
    assert_eq!(big.size, CAP + 1);
    assert_eq!(p.text("big.txt"), None);

    let png = p.file("image.png").unwrap();
    assert!(png.binary && png.contents.is_empty() && !png.truncated);

    assert_eq!(p.text("Dockerfile"), Some(Ok("FROM python:3.12\n")));
    assert_eq!(p.text("latin1.py"), Some(Err(5)));
    assert_eq!(p.text("secret.txt"), None);
}

#[test]
fn load_errors_say_what_failed() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope");
    let err = load(&missing, CAP).unwrap_err();
    assert!(matches!(err, LoadError::NotFound(ref p) if *p == missing));
    assert!(err.to_string().contains("does not exist") && err.to_string().contains("nope"));

    let file = dir.path().join("file.txt");
    fs::write(&file, "x").unwrap();
    let err = load(&file, CAP).unwrap_err();
    assert!(matches!(err, LoadError::NotADirectory(_)));
    assert!(err.to_string().contains("not a directory"), "{err}");
}

fn rules(findings: &[Finding]) -> Vec<&str> {
    findings.iter().map(|f| f.rule.as_str()).collect()
}

/// Run the common checks and enforce the catalogue contract on the result.
fn common_check(project: &Project, fm: Option<&FrontMatter>) -> Vec<Finding> {
    let catalogue = common::rules();
    let findings = common::check(project, fm);
    for f in &findings {
        let r = catalogue.iter().find(|r| r.id == f.rule).unwrap_or_else(|| panic!("{} not in common::rules()", f.rule));
        assert_eq!(r.severity, f.severity, "{}", f.rule);
        assert!(!f.message.is_empty() && f.fix.is_some(), "{f:?}");
    }
    findings
}

fn front_matter(yaml: &str) -> FrontMatter {
    check_readme("README.md", &format!("---\n{yaml}\n---\n")).front_matter.unwrap()
}

#[test]
fn common_checks_on_a_loaded_project() {
    let dir = fixture();
    let p = load(dir.path(), CAP).unwrap();
    let readme = p.text("README.md").unwrap().unwrap();
    let fm = check_readme("README.md", readme).front_matter;
    let f = common_check(&p, fm.as_ref());
    let mut got = rules(&f);
    got.sort_unstable();
    let mut want = vec!["common/hardcoded-token", "common/nested-git-repo", "common/not-utf8"];
    if cfg!(unix) {
        want.push("common/symlink");
    }
    assert_eq!(got, want, "{f:#?}");

    let token = f.iter().find(|f| f.rule == "common/hardcoded-token").unwrap();
    assert_eq!((token.path.as_deref(), token.line), (Some("app/config.py"), Some(1)));
    assert!(token.message.contains("hf_Ab…(redacted)"), "{}", token.message);
    let everything = serde_json::to_string(&f).unwrap();
    assert!(!everything.contains(&FAKE_HF[5..]), "a finding leaks the token");

    let enc = f.iter().find(|f| f.rule == "common/not-utf8").unwrap();
    assert_eq!((enc.path.as_deref(), enc.line), (Some("latin1.py"), Some(1)));
    assert!(enc.message.contains("0xE9") && enc.message.contains("offset 5"), "{}", enc.message);
}

#[test]
fn non_utf8_readme_is_reported_with_its_offset() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "README.md", b"---\ntitle: Caf\xe9\nsdk: static\n---\n");
    write(dir.path(), "index.html", "<p>hi</p>");
    let p = load(dir.path(), CAP).unwrap();
    assert_eq!(p.text("README.md"), Some(Err(14)));
    let f = common_check(&p, None);
    assert_eq!(rules(&f), ["common/readme-encoding"]);
    assert_eq!((f[0].line, f[0].severity), (Some(2), spacesmith_spec::Severity::Warning));
    assert!(f[0].message.contains("offset 14") && f[0].message.contains("0xE9"), "{}", f[0].message);
    // The `---` lines are ASCII, so the config is still checked (here: sdk: static, index.html present).
    let c = check_project(&p);
    assert_eq!(c.front_matter.as_ref().and_then(|f| f.sdk()), Some("static"));
    assert_eq!(c.front_matter.as_ref().and_then(|f| f.get_str("title")), Some("Caf\u{FFFD}"));
    assert_eq!(rules(&c.findings), ["common/readme-encoding"]);
    let bad =
        Project::from_files("/p", vec![ProjectFile::text("README.md", b"---\nsdk: gradio\ncolorTo: caf\xe9\n---\n".to_vec())]);
    let c = check_project(&bad);
    let mut got = rules(&c.findings);
    got.sort_unstable();
    assert_eq!(got, ["common/app-file-missing", "common/readme-encoding", "config/invalid-color", "config/missing-sdk-version"]);

    let utf16 = Project::from_files("/x", vec![ProjectFile::text("README.md", b"\xff\xfe-\x00-\x00".to_vec())]);
    let f = common_check(&utf16, None);
    assert_eq!(rules(&f), ["common/readme-not-utf8"]);
    assert!(f[0].message.contains("UTF-16"), "{}", f[0].message);
    assert!(check_project(&utf16).front_matter.is_none());
    assert!(f[0].fix.as_deref().unwrap().contains("iconv -f utf-16"));
    let binary = Project::from_files("/x", vec![ProjectFile::text("README.md", b"\x00\x01".to_vec())]);
    assert!(common_check(&binary, None)[0].message.contains("binary"));
}

fn project(files: &[(&str, &str)]) -> Project {
    Project::from_files("/p", files.iter().map(|(p, c)| ProjectFile::text(p, *c)).collect())
}

#[test]
fn missing_readme_mentions_case_variants() {
    let f = common_check(&project(&[("readme.md", "x")]), None);
    assert_eq!(rules(&f), ["common/missing-readme"]);
    assert!(f[0].message.contains("readme.md exists") && f[0].fix.as_deref() == Some("Rename readme.md to README.md."));
    let mut p = project(&[]);
    p.ignored.push("README.md".into());
    assert!(common_check(&p, None)[0].message.contains(".gitignore"));
}

#[test]
fn app_file_per_sdk() {
    let gradio = front_matter("sdk: gradio\nsdk_version: \"5.0.0\"");
    let f = common_check(&project(&[("README.md", "")]), Some(&gradio));
    assert_eq!(rules(&f), ["common/app-file-missing"]);
    assert!(f[0].message.contains("uses app.py"), "{}", f[0].message);
    assert_eq!((f[0].line, f[0].field.as_deref()), (Some(2), Some("app_file")));
    assert!(common_check(&project(&[("README.md", ""), ("app.py", "")]), Some(&gradio)).is_empty());

    let custom = front_matter("sdk: gradio\nsdk_version: \"5.0.0\"\napp_file: ./src/App.py");
    assert!(common_check(&project(&[("README.md", ""), ("src/App.py", "")]), Some(&custom)).is_empty());
    let f = common_check(&project(&[("README.md", ""), ("src/app.py", "")]), Some(&custom));
    assert!(f[0].message.contains("src/app.py exists, but paths are case-sensitive"), "{}", f[0].message);
    assert_eq!(f[0].line, Some(4));
    let mut ignored = project(&[("README.md", "")]);
    ignored.ignored.push("src/".into());
    assert!(common_check(&ignored, Some(&custom))[0].message.contains(".gitignore excludes it"));

    let stat = front_matter("sdk: static");
    assert_eq!(rules(&common_check(&project(&[("README.md", "")]), Some(&stat))), ["common/app-file-missing"]);
    assert!(common_check(&project(&[("README.md", ""), ("index.html", "")]), Some(&stat)).is_empty());
    let built = front_matter("sdk: static\napp_build_command: npm run build\napp_file: dist/index.html");
    assert!(common_check(&project(&[("README.md", "")]), Some(&built)).is_empty());

    let docker = front_matter("sdk: docker");
    let f = common_check(&project(&[("README.md", ""), ("Dockerfile.hf", "")]), Some(&docker));
    assert_eq!(rules(&f), ["common/missing-dockerfile"]);
    assert!(f[0].message.contains("Dockerfile.hf exists"), "{}", f[0].message);
    assert!(common_check(&project(&[("README.md", ""), ("Dockerfile", "")]), Some(&docker)).is_empty());
}

#[test]
fn token_kinds_are_found_and_redacted() {
    let secrets = [
        ("GitHub", "ghp_Ab3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dE2fG4"),
        ("GitHub", "github_pat_11Ab3dE5gH7jK9mN1pQ3sT_5vW7yZ9bC1dE2fG4hJ6k"),
        ("OpenAI", "sk-proj-Ab3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dE"),
        ("AWS", "AKIAZ3DE5GH7JK9MN1PQ"),
    ];
    for (kind, secret) in secrets {
        let p = project(&[("README.md", ""), ("run.sh", &format!("export KEY={secret}\n"))]);
        let f = common_check(&p, None);
        assert_eq!(rules(&f), ["common/hardcoded-token"], "{kind}");
        assert!(!f[0].message.contains(secret) && f[0].message.contains("(redacted)"), "{}", f[0].message);
    }
    let key = project(&[
        ("README.md", ""),
        ("id_rsa", "-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----\n"),
    ]);
    let f = common_check(&key, None);
    assert!(f[0].message.contains("private key"), "{}", f[0].message);
    assert!(!f[0].message.contains("abc"));
    // Placeholders, documentation examples and ordinary identifiers are not tokens.
    let benign = project(&[
        ("README.md", ""),
        (
            "a.py",
            "from huggingface_hub import hf_hub_download\nKEY = 'sk-your-key-goes-here-please'\nAWS='AKIAIOSFODNN7EXAMPLE'\nrisk-assessment-framework-for-everyone\n",
        ),
    ]);
    assert!(common_check(&benign, None).is_empty(), "{:#?}", common_check(&benign, None));
}

#[test]
fn env_files_submodules_large_files_and_encodings() {
    let p = project(&[
        ("README.md", ""),
        (".env", "PORT=7860\n"),
        ("config/.env.production", "X=1\n"),
        (".env.example", "X=\n"),
        (".gitmodules", "[submodule \"lib\"]\n\tpath = lib\n\turl = https://github.com/a/b\n"),
    ]);
    let f = common_check(&p, None);
    assert_eq!(rules(&f), ["common/env-file", "common/gitmodules", "common/env-file"]);
    assert!(f[1].message.contains("(lib)"), "{}", f[1].message);

    let mut big = ProjectFile::text("model.bin", Vec::new());
    big.size = LFS_THRESHOLD + 1;
    big.binary = true;
    let p = Project::from_files("/p", vec![ProjectFile::text("README.md", ""), big]);
    let f = common_check(&p, None);
    assert_eq!(rules(&f), ["common/large-file"]);

    let p = Project::from_files(
        "/p",
        vec![
            ProjectFile::text("README.md", ""),
            ProjectFile::text("requirements.txt", b"caf\xe9\n".to_vec()),
            ProjectFile::text("declared.py", b"# -*- coding: latin-1 -*-\nx = '\xe9'\n".to_vec()),
            ProjectFile::text("notes.txt", b"\xe9".to_vec()),
        ],
    );
    let f = common_check(&p, None);
    assert_eq!(rules(&f), ["common/not-utf8"]);
    assert_eq!(f[0].path.as_deref(), Some("requirements.txt"));
}

#[test]
fn check_project_combines_readme_and_common_rules() {
    let p = project(&[("README.md", "---\nsdk: gradio\nsdk_version: \"5.0.0\"\ncolorFrom: orange\n---\n")]);
    let c = check_project(&p);
    assert_eq!(rules(&c.findings), ["config/invalid-color", "common/app-file-missing"]);
    assert_eq!(c.front_matter.as_ref().and_then(|f| f.sdk()), Some("gradio"));
    let catalogue = all_rules();
    assert!(c.findings.iter().all(|f| catalogue.iter().any(|r| r.id == f.rule && r.severity == f.severity)));

    let mut big = ProjectFile::text("README.md", Vec::new());
    big.size = 2 * CAP;
    big.truncated = true;
    let c = check_project(&Project::from_files("/p", vec![big]));
    assert!(c.front_matter.is_none());
    assert_eq!(rules(&c.findings), ["common/readme-too-large"]);
    assert_eq!(rules(&check_project(&project(&[])).findings), ["common/missing-readme"]);
}

#[test]
fn text_past_the_total_budget_is_left_unread_farthest_from_the_root_first() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    write(r, "README.md", "---\nsdk: docker\napp_port: 7860\n---\n");
    write(r, "Dockerfile", "FROM python:3.12\n");
    write(r, "app.py", format!("TOKEN = \"{FAKE_HF}\"\n"));
    write(r, "image.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR");
    // Sorts before app.py by name, but is deeper: it must not take the budget from the root files.
    for i in 0..4 {
        write(r, &format!("a/data/{i}.csv"), format!("{FAKE_HF}\n").repeat(100));
    }
    let root_text = ["README.md", "Dockerfile", "app.py"].iter().map(|f| fs::metadata(r.join(f)).unwrap().len()).sum::<u64>();
    let csv = fs::metadata(r.join("a/data/0.csv")).unwrap().len();
    let p = load_with_budget(r, CAP, root_text + csv).unwrap();
    let unread: Vec<&str> = p.files.iter().filter(|f| f.truncated).map(|f| f.path.as_str()).collect();
    assert_eq!(unread, ["a/data/1.csv", "a/data/2.csv", "a/data/3.csv"]);
    assert_eq!(p.unread, 3);
    assert!(p.file("image.png").is_some_and(|f| f.binary && !f.truncated), "binary files spend nothing");
    let findings = common_check(&p, Some(&front_matter("sdk: docker\napp_port: 7860\n")));
    let notes: Vec<&Finding> = findings.iter().filter(|f| f.rule == "common/not-all-read").collect();
    assert_eq!(notes.len(), 1, "{findings:?}");
    assert!(notes[0].message.starts_with("3 text files"), "{}", notes[0].message);
    // The root file and the one CSV that fit are still checked.
    let token_paths: Vec<&str> =
        findings.iter().filter(|f| f.rule == "common/hardcoded-token").filter_map(|f| f.path.as_deref()).collect();
    assert!(token_paths.contains(&"app.py") && token_paths.contains(&"a/data/0.csv"), "{token_paths:?}");
    // Within the default budget, everything is read.
    assert_eq!(load(r, CAP).unwrap().unread, 0);
}

#[test]
fn every_common_rule_is_exercised() {
    // Keep the catalogue honest: each common rule appears in some test above.
    let source = include_str!("project.rs");
    for r in common::rules() {
        assert!(source.contains(&format!("\"{}\"", r.id)), "no test mentions {}", r.id);
    }
}

#[test]
fn merge_conflicts_in_code_break_the_build_and_elsewhere_warn() {
    let app = "import gradio as gr\n\n<<<<<<< HEAD\ndemo = gr.Interface(fn=lambda x: x, inputs=\"text\", outputs=\"text\")\n=======\ndemo = gr.Interface(fn=str.upper, inputs=\"text\", outputs=\"text\")\n>>>>>>> 3f2a9c1 (uppercase)\n\ndemo.launch()\n";
    let dockerfile = "FROM python:3.12\r\n<<<<<<< HEAD\r\nRUN pip install -r requirements.txt\r\n=======\r\nRUN pip install --no-cache-dir -r requirements.txt\r\n>>>>>>> main\r\nCMD [\"python\", \"app.py\"]\r\n";
    let requirements = "<<<<<<< HEAD\ngradio==5.49.1\n=======\ngradio==5.50.0\n>>>>>>> upgrade\n<<<<<<< HEAD\nnumpy<2\n=======\nnumpy\n>>>>>>> upgrade\n";
    let readme =
        "---\nsdk: gradio\nsdk_version: \"5.49.1\"\n---\n\n<<<<<<< HEAD\nOld intro.\n=======\nNew intro.\n>>>>>>> docs\n";
    let p = project(&[
        ("README.md", readme),
        ("app.py", app),
        ("Dockerfile", dockerfile),
        ("requirements.txt", requirements),
        ("docs/notes.md", "Notes\n=======\n\nA setext heading is not a conflict.\n"),
        ("static/style.css", "body {\n<<<<<<< HEAD\n  color: red;\n=======\n  color: blue;\n>>>>>>> theme\n}\n"),
        ("web/main.js", "<<<<<<< a\nlet x = 1;\n=======\nlet x = 2;\n>>>>>>> b\n"),
    ]);
    let fm = check_readme("README.md", readme).front_matter;
    let f = common_check(&p, fm.as_ref());
    let got: Vec<_> = f.iter().map(|f| (f.rule.as_str(), f.path.as_deref().unwrap(), f.line.unwrap())).collect();
    assert_eq!(
        got,
        [
            ("common/merge-conflict", "Dockerfile", 2),
            ("common/merge-conflict-text", "README.md", 6),
            ("common/merge-conflict", "app.py", 3),
            ("common/merge-conflict", "requirements.txt", 1),
            ("common/merge-conflict-text", "static/style.css", 2),
            ("common/merge-conflict", "web/main.js", 1),
        ],
        "{f:#?}"
    );
    let by_path = |p: &str| f.iter().find(|f| f.path.as_deref() == Some(p)).unwrap();
    let py = by_path("app.py");
    assert!(py.message.contains("lines 3-7") && py.message.contains("SyntaxError"), "{}", py.message);
    assert!(py.message.contains("`>>>>>>> 3f2a9c1 (uppercase)`"), "{}", py.message);
    assert!(py.fix.as_deref().unwrap().contains("marker lines 3, 5 and 7"), "{:?}", py.fix);
    let docker = by_path("Dockerfile");
    assert!(docker.message.contains("unknown instruction") && !docker.message.contains('\r'), "{}", docker.message);
    let req = by_path("requirements.txt");
    assert!(req.message.contains("and 1 more (from line 6)") && req.message.contains("build fails"), "{}", req.message);
    let catalogue = common::rules();
    let sev = |id: &str| catalogue.iter().find(|r| r.id == id).unwrap().severity;
    assert_eq!(sev("common/merge-conflict"), spacesmith_spec::Severity::Error);
    assert_eq!(sev("common/merge-conflict-text"), spacesmith_spec::Severity::Warning);
}

#[test]
fn a_conflict_in_the_readme_front_matter_is_reported_once() {
    let readme = "---\n<<<<<<< HEAD\nsdk: gradio\n=======\nsdk: static\n>>>>>>> x\n---\n";
    let p = project(&[("README.md", readme), ("app.py", ""), ("index.html", "")]);
    let c = check_project(&p);
    assert_eq!(rules(&c.findings), ["readme/merge-conflict"], "{:#?}", c.findings);
}
