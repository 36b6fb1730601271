//! Project loading on a real temp dir, and the SDK-independent `common` checks.

use spacesmith_spec::common::{self, LFS_THRESHOLD};
use spacesmith_spec::project::{LoadError, Project, ProjectFile, load};
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
    assert_eq!(rules(&f), ["common/readme-not-utf8"]);
    assert_eq!(f[0].line, Some(2));
    assert!(f[0].message.contains("offset 14"), "{}", f[0].message);

    let utf16 = Project::from_files("/x", vec![ProjectFile::text("README.md", b"\xff\xfe-\x00-\x00".to_vec())]);
    let f = common_check(&utf16, None);
    assert!(f[0].message.contains("UTF-16"), "{}", f[0].message);
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
fn every_common_rule_is_exercised() {
    // Keep the catalogue honest: each common rule appears in some test above.
    let source = include_str!("project.rs");
    for r in common::rules() {
        assert!(source.contains(&format!("\"{}\"", r.id)), "no test mentions {}", r.id);
    }
}
