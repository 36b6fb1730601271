//! SDK-independent checks on a loaded project: README presence and encoding, the app entry
//! point, secrets in files, things git or the Hub will not carry (submodules, symlinks), big files.

use crate::FrontMatter;
use crate::finding::{Finding, Rule, RuleInfo, Severity};
use crate::project::{Project, ProjectFile};
use regex::bytes::Regex;
use std::sync::LazyLock;

/// Files above this size must go through Git LFS on the Hub.
pub const LFS_THRESHOLD: u64 = 10 * 1024 * 1024;

macro_rules! rule {
    ($name:ident, $id:literal, $sev:ident, $summary:literal, $explanation:literal, $fix:literal) => {
        static $name: Rule = Rule { id: $id, severity: Severity::$sev, summary: $summary, explanation: $explanation, fix: $fix };
    };
}

rule!(
    MISSING_README,
    "common/missing-readme",
    Error,
    "No README.md at the project root",
    "The reference puts the Space configuration in \"the YAML block at the top of the README.md file at the root of the repository\" (exact name, case-sensitive); without it the Space has no SDK and shows a configuration error.",
    "Create README.md at the project root with a front-matter block (`spacesmith new` writes one)."
);
rule!(
    README_NOT_UTF8,
    "common/readme-not-utf8",
    Error,
    "README.md is UTF-16 or binary",
    "The Hub finds the front matter by matching `---` in README.md's text (huggingface_hub's REGEX_YAML_BLOCK); in UTF-16 every character carries a NUL byte, and a binary file has no text, so no `---` line is found and the Space has no configuration.",
    "Re-save README.md as UTF-8 (without BOM)."
);
rule!(
    README_ENCODING,
    "common/readme-encoding",
    Warning,
    "README.md has bytes that are not UTF-8",
    "README.md has bytes that are not UTF-8 (usually Latin-1 or Windows-1252 text such as `café`). Its `---` lines are plain ASCII, so the front matter is still found and was checked with those bytes replaced by U+FFFD; on the Hub the characters show as � at best (how the Hub decodes them is unverified), and huggingface_hub's metadata_load fails with a UnicodeDecodeError.",
    "Re-save README.md as UTF-8 (without BOM)."
);
rule!(
    APP_FILE_MISSING,
    "common/app-file-missing",
    Error,
    "The file the SDK starts is not in the project",
    "The Gradio SDK runs `app_file` (default app.py) and the static SDK serves `app_file` (default index.html); if it is not uploaded the Space fails to start.",
    "Add the file, or point `app_file` at the right one (paths are case-sensitive)."
);
rule!(
    MISSING_DOCKERFILE,
    "common/missing-dockerfile",
    Error,
    "Docker Space without a root Dockerfile",
    "The Docker Spaces docs build the file named exactly `Dockerfile` at the repository root; there is no key to choose another, so without it the build fails.",
    "Add `Dockerfile` at the project root (rename a `Dockerfile.*` variant if that is the one you use)."
);
rule!(
    HARDCODED_TOKEN,
    "common/hardcoded-token",
    Error,
    "Credential written in a file",
    "Files are uploaded to the Space repository, which others can read (always for public Spaces; collaborators and org members otherwise), so a token there is leaked by the upload itself. The Space would still build: this is the one error that blocks `deploy` for safety rather than because the Hub would refuse it.",
    "Remove it, revoke it (it may already be in git history), and read it at runtime from a Space secret, e.g. `os.environ[\"HF_TOKEN\"]`."
);
rule!(
    ENV_FILE,
    "common/env-file",
    Warning,
    "A `.env`-style file would be uploaded",
    "Files like `.env` usually hold secrets and would be uploaded with the rest of the project.",
    "Add the file to .gitignore and set its values as Space secrets or variables instead."
);
rule!(
    NESTED_GIT,
    "common/nested-git-repo",
    Warning,
    "A directory is a separate git repository",
    "A nested repository is recorded by git as a submodule pointer without its files, and the Hub does not fetch submodules, so the directory arrives empty when pushed with git.",
    "Delete the nested `.git` to vendor the files, or fetch the code at build time (pip/npm/`git clone` in the Dockerfile)."
);
rule!(
    GITMODULES,
    "common/gitmodules",
    Warning,
    "The project uses git submodules",
    "The Hub does not fetch git submodules, so submodule paths are empty in the Space.",
    "Vendor the submodule's files, or fetch them at build time (pip/npm/`git clone` in the Dockerfile)."
);
rule!(
    LARGE_FILE,
    "common/large-file",
    Info,
    "File over 10 MB needs Git LFS",
    "The Hub stores files over 10 MB with Git LFS. Uploads through the Hub API (huggingface_hub, the web UI) use LFS automatically; a plain `git push` is rejected unless they are tracked with `git lfs track`.",
    "Nothing to do for API uploads; with git, run `git lfs track <file>` before committing."
);
rule!(
    NOT_UTF8,
    "common/not-utf8",
    Error,
    "Source or dependency file is not UTF-8",
    "Python reads source as UTF-8 unless a coding line says otherwise (PEP 3120/263, a SyntaxError at import otherwise), and pip and Docker expect UTF-8 requirement files and Dockerfiles; other encodings fail at build or start.",
    "Re-save the file as UTF-8, e.g. `iconv -f latin1 -t utf-8 FILE > FILE.new && mv FILE.new FILE`."
);
rule!(
    README_TOO_LARGE,
    "common/readme-too-large",
    Warning,
    "README.md is over the read cap, so it was not checked",
    "README.md is larger than the size limit for reading text files, so its front matter was not parsed or validated.",
    "Move long content out of README.md (e.g. into docs/), or raise the read cap."
);
rule!(
    SYMLINK,
    "common/symlink",
    Warning,
    "Symbolic link is not uploaded",
    "Symbolic links are not followed when the project is uploaded, so whatever they point to is missing in the Space.",
    "Replace the link with a copy of the file or directory, or create the link in the Dockerfile."
);

rule!(
    MERGE_CONFLICT,
    "common/merge-conflict",
    Error,
    "Unresolved git merge conflict in a file the build or the app reads",
    "Conflict markers (`<<<<<<<`, `=======`, `>>>>>>>`) are not valid in the root Dockerfile (`unknown instruction`), Python (SyntaxError on import), shell scripts, JavaScript/TypeScript, package.json, pyproject.toml or requirements/packages files (pip and apt refuse the line), so the build fails or the app crashes at start.",
    "Resolve the conflict: keep the side you want, delete the marker lines, and commit (`git diff --check` lists leftover markers)."
);
rule!(
    MERGE_CONFLICT_TEXT,
    "common/merge-conflict-text",
    Warning,
    "Unresolved git merge conflict in another text file",
    "Conflict markers in a file the Hub does not build from (the README body, docs, HTML, CSS, data or config files) do not stop the Space, but both sides of the conflict are shipped: pages show the markers, and an app that parses the file fails when it reads it.",
    "Resolve the conflict: keep the side you want, delete the marker lines, and commit (`git diff --check` lists leftover markers)."
);

rule!(
    NOT_ALL_READ,
    "common/not-all-read",
    Info,
    "Some text files were not read: the project holds too much text",
    "validate keeps at most 256 MiB of a project's text in memory, nearest the root first (README, Dockerfile and the app are read before deep data folders), so a huge repository is checked in bounded memory. The files past that budget were not checked for tokens, conflict markers or encoding; they are still uploaded.",
    "Add data folders the Space does not need to .gitignore, or keep large data on the Hub as a dataset."
);

static RULES: [&Rule; 16] = [
    &MISSING_README,
    &README_NOT_UTF8,
    &README_ENCODING,
    &README_TOO_LARGE,
    &APP_FILE_MISSING,
    &MISSING_DOCKERFILE,
    &HARDCODED_TOKEN,
    &ENV_FILE,
    &NESTED_GIT,
    &GITMODULES,
    &LARGE_FILE,
    &NOT_UTF8,
    &SYMLINK,
    &MERGE_CONFLICT,
    &MERGE_CONFLICT_TEXT,
    &NOT_ALL_READ,
];

/// Every rule `check` can emit.
pub fn rules() -> Vec<RuleInfo> {
    RULES.iter().map(|r| r.info()).collect()
}

/// SDK-independent checks; `front_matter` is the parsed root README config, if any.
pub fn check(project: &Project, front_matter: Option<&FrontMatter>) -> Vec<Finding> {
    let mut out = Vec::new();
    readme(project, &mut out);
    if let Some(fm) = front_matter {
        entry_point(project, fm, &mut out);
    }
    // The front matter is the README rules' business (readme/merge-conflict); only the body is ours.
    let readme_body = front_matter.map(FrontMatter::end_line);
    for f in &project.files {
        conflicts(f, readme_body, &mut out);
        tokens(f, &mut out);
        encoding(f, &mut out);
        env_file(f, &mut out);
        if f.size > LFS_THRESHOLD {
            out.push(LARGE_FILE.at(
                Some(&f.path),
                None,
                format!("{} is {:.1} MB; the Hub stores files over 10 MB with Git LFS.", f.path, f.size as f64 / 1_048_576.0),
            ));
        }
    }
    if project.unread > 0 {
        out.push(NOT_ALL_READ.at(
            None,
            None,
            format!(
                "{} text files furthest from the root were not read: the project has more than {} MiB of text.",
                project.unread,
                crate::project::TOTAL_TEXT_BUDGET >> 20
            ),
        ));
    }
    for dir in &project.nested_git_dirs {
        let repo = dir.strip_suffix("/.git").unwrap_or(dir);
        out.push(NESTED_GIT.at(
            Some(dir),
            None,
            format!("{repo}/ is a separate git repository ({dir}); pushed with git it becomes a submodule pointer without files, and the Hub does not fetch submodules."),
        ).with_fix(format!("Delete {dir} to vendor the files, or fetch {repo} at build time.")));
    }
    if let Some(Ok(text)) = project.text(".gitmodules") {
        let paths: Vec<&str> = text
            .lines()
            .filter_map(|l| l.trim().strip_prefix("path"))
            .filter_map(|l| l.trim_start().strip_prefix('='))
            .map(str::trim)
            .collect();
        let which = if paths.is_empty() { String::new() } else { format!(" ({})", paths.join(", ")) };
        out.push(GITMODULES.at(
            Some(".gitmodules"),
            Some(1),
            format!(
                "The project declares git submodules{which}; the Hub does not fetch submodules, so they are empty in the Space."
            ),
        ));
    }
    for link in &project.symlinks {
        out.push(SYMLINK.at(
            Some(link),
            None,
            format!("{link} is a symbolic link; links are not followed on upload, so it is missing in the Space."),
        ));
    }
    out.sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
    out
}

/// Paths that differ from `wanted` only by case, which work on macOS/Windows but not on the Hub.
fn case_variants<'a>(project: &'a Project, wanted: &str) -> Vec<&'a str> {
    project.files.iter().map(|f| f.path.as_str()).filter(|p| *p != wanted && p.eq_ignore_ascii_case(wanted)).collect()
}

fn readme(project: &Project, out: &mut Vec<Finding>) {
    let Some(file) = project.file("README.md") else {
        let variants = case_variants(project, "README.md");
        let (why, fix) = if let Some(v) = variants.first() {
            (format!(" ({v} exists, but the name is case-sensitive)"), format!("Rename {v} to README.md."))
        } else if project.is_ignored("README.md") {
            (" (README.md exists but .gitignore excludes it)".to_owned(), "Remove README.md from .gitignore.".to_owned())
        } else {
            (String::new(), MISSING_README.fix.to_owned())
        };
        out.push(
            MISSING_README
                .at(None, None, format!("The project has no README.md at its root{why}, so the Space has no configuration."))
                .with_fix(fix),
        );
        return;
    };
    if file.truncated {
        out.push(README_TOO_LARGE.at(
            Some("README.md"),
            None,
            format!("README.md is {} bytes, over the read cap, so its front matter was not checked.", file.size),
        ));
    } else if file.binary {
        out.push(README_NOT_UTF8.at(
            Some("README.md"),
            None,
            "README.md looks binary (it contains NUL bytes), so the Hub cannot read its front matter.".to_owned(),
        ));
    } else if let Some(Err(offset)) = project.text("README.md") {
        let rule = if is_utf16(&file.contents) { &README_NOT_UTF8 } else { &README_ENCODING };
        out.push(not_utf8_finding(rule, file, offset));
    }
}

fn line_at(contents: &[u8], offset: usize) -> u32 {
    contents[..offset.min(contents.len())].iter().filter(|b| **b == b'\n').count() as u32 + 1
}

/// Starts with a UTF-16 byte-order mark.
pub(crate) fn is_utf16(contents: &[u8]) -> bool {
    contents.starts_with(&[0xFF, 0xFE]) || contents.starts_with(&[0xFE, 0xFF])
}

fn not_utf8_finding(rule: &'static Rule, file: &ProjectFile, offset: usize) -> Finding {
    let line = line_at(&file.contents, offset);
    let bom16 = is_utf16(&file.contents);
    let message = if bom16 {
        format!("{} is UTF-16 (it starts with a UTF-16 byte-order mark), not UTF-8.", file.path)
    } else {
        format!(
            "{} is not valid UTF-8: byte 0x{:02X} at offset {offset} (line {line}); it was probably saved as Latin-1 or Windows-1252.",
            file.path, file.contents[offset]
        )
    };
    let p = &file.path;
    let from = if bom16 { "utf-16" } else { "latin1" };
    rule.at(Some(p), Some(line), message)
        .with_fix(format!("Re-save {p} as UTF-8, e.g. `iconv -f {from} -t utf-8 {p} > {p}.new && mv {p}.new {p}`."))
}

fn entry_point(project: &Project, fm: &FrontMatter, out: &mut Vec<Finding>) {
    let readme = Some("README.md");
    let sdk_line = fm.line_of("sdk");
    match fm.sdk() {
        Some("docker") => {
            if project.file("Dockerfile").is_some() {
                return;
            }
            let mut hints = Vec::new();
            hints.extend(
                case_variants(project, "Dockerfile").iter().map(|v| format!("{v} exists, but the name is case-sensitive")),
            );
            hints.extend(
                project
                    .files
                    .iter()
                    .filter(|f| f.path.starts_with("Dockerfile.") || f.path.ends_with("/Dockerfile"))
                    .map(|f| format!("{} exists, but only the root `Dockerfile` is built", f.path)),
            );
            if project.is_ignored("Dockerfile") {
                hints.push(".gitignore excludes Dockerfile".to_owned());
            }
            let hint = if hints.is_empty() { String::new() } else { format!(" ({})", hints.join("; ")) };
            out.push(
                MISSING_DOCKERFILE
                    .at(
                        readme,
                        sdk_line,
                        format!("`sdk: docker` needs a `Dockerfile` at the project root, and there is none{hint}."),
                    )
                    .with_field("sdk"),
            );
        }
        Some(sdk @ ("gradio" | "static" | "streamlit")) => {
            if sdk == "static" && fm.contains_key("app_build_command") {
                // The served file is produced by the build, not uploaded.
                return;
            }
            let default = if sdk == "static" { "index.html" } else { "app.py" };
            let (file, line, how) = match fm.app_file() {
                Some(f) => (f.trim_start_matches("./"), fm.line_of("app_file"), format!("`app_file: {f}`")),
                None => (default, sdk_line, format!("`sdk: {sdk}` without `app_file` uses {default}")),
            };
            // Bad shapes are reported by config/invalid-app-file.
            if file.is_empty() || file.starts_with('/') || file.contains('\\') || file.split('/').any(|s| s == "..") {
                return;
            }
            if project.file(file).is_some() {
                return;
            }
            let variants = case_variants(project, file);
            let hint = if let Some(v) = variants.first() {
                format!(" ({v} exists, but paths are case-sensitive on the Hub)")
            } else if project.is_ignored(file) {
                format!(" ({file} exists but .gitignore excludes it, so it is not uploaded)")
            } else {
                String::new()
            };
            out.push(
                APP_FILE_MISSING
                    .at(readme, line, format!("{how}, but {file} is not in the project{hint}, so the Space cannot start."))
                    .with_fix(format!("Add {file}, or set `app_file` to the file that starts the app."))
                    .with_field("app_file"),
            );
        }
        _ => {}
    }
}

struct TokenKind {
    name: &'static str,
    re: LazyLock<Regex>,
    /// Bytes of the match shown before the redaction (the non-secret prefix plus two).
    shown: usize,
    revoke: &'static str,
    /// Real tokens are random: require upper, lower and digit in the body.
    mixed_case: bool,
}

macro_rules! token {
    ($name:literal, $re:literal, $shown:expr, $revoke:literal, $mixed:expr) => {
        TokenKind {
            name: $name,
            re: LazyLock::new(|| Regex::new($re).expect("valid pattern")),
            shown: $shown,
            revoke: $revoke,
            mixed_case: $mixed,
        }
    };
}

static TOKENS: [TokenKind; 6] = [
    token!("Hugging Face token", r"(?-u:\b)hf_[A-Za-z0-9]{30,}(?-u:\b)", 5, "https://huggingface.co/settings/tokens", true),
    token!("GitHub token", r"(?-u:\b)gh[pousr]_[A-Za-z0-9]{30,}(?-u:\b)", 6, "https://github.com/settings/tokens", true),
    token!("GitHub token", r"(?-u:\b)github_pat_[A-Za-z0-9_]{22,}(?-u:\b)", 13, "https://github.com/settings/tokens", true),
    token!(
        "OpenAI-style API key",
        r"(?-u:\b)sk-(?:proj-|ant-[a-z0-9]+-|svcacct-)?[A-Za-z0-9_-]{20,}",
        5,
        "your provider's API-key page (for OpenAI: https://platform.openai.com/api-keys)",
        true
    ),
    token!("AWS access key id", r"(?-u:\b)(?:AKIA|ASIA)[0-9A-Z]{16}(?-u:\b)", 6, "the AWS IAM console", false),
    token!(
        "private key",
        r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----",
        usize::MAX,
        "wherever the key is trusted (replace the key pair)",
        false
    ),
];

/// `text` with every credential-shaped string (the kinds `common/hardcoded-token` detects, placeholders
/// included) replaced by its public prefix and `…(redacted)`: for text the host shows but did not write,
/// such as a plugin's findings.
pub fn redact_secrets(text: &str) -> std::borrow::Cow<'_, str> {
    let mut out = std::borrow::Cow::Borrowed(text);
    for kind in &TOKENS {
        if kind.re.is_match(out.as_bytes()) {
            let replaced = kind
                .re
                .replace_all(out.as_bytes(), |c: &regex::bytes::Captures| {
                    let token = String::from_utf8_lossy(&c[0]);
                    let shown = if kind.shown == usize::MAX { "-----BEGIN".len() } else { kind.shown };
                    format!("{}…(redacted)", token.chars().take(shown).collect::<String>()).into_bytes()
                })
                .into_owned();
            out = std::borrow::Cow::Owned(String::from_utf8_lossy(&replaced).into_owned());
        }
    }
    out
}

fn is_placeholder(token: &str, mixed_case: bool) -> bool {
    let lower = token.to_ascii_lowercase();
    let body = token.split_once(['_', '-']).map_or(token, |(_, b)| b);
    ["xxxx", "your", "example", "placeholder", "dummy", "redacted", "here"].iter().any(|p| lower.contains(p))
        || (mixed_case
            && !(body.bytes().any(|b| b.is_ascii_uppercase())
                && body.bytes().any(|b| b.is_ascii_lowercase())
                && body.bytes().any(|b| b.is_ascii_digit())))
}

fn tokens(file: &ProjectFile, out: &mut Vec<Finding>) {
    if file.binary || file.truncated {
        return;
    }
    let mut lines_seen = std::collections::HashSet::new();
    for kind in &TOKENS {
        // Matches come in order: count lines from the previous one, not from the start (quadratic).
        let (mut at, mut line) = (0, 1);
        for m in kind.re.find_iter(&file.contents) {
            let token = String::from_utf8_lossy(m.as_bytes());
            if kind.shown != usize::MAX && is_placeholder(&token, kind.mixed_case) {
                continue;
            }
            line += line_at(&file.contents[at..], m.start() - at) - 1;
            at = m.start();
            if !lines_seen.insert((kind.name, line)) {
                continue;
            }
            // Never echo the secret: keep the public prefix and two characters.
            let redacted = if kind.shown == usize::MAX {
                token.into_owned()
            } else {
                format!("{}…(redacted)", token.chars().take(kind.shown).collect::<String>())
            };
            out.push(
                HARDCODED_TOKEN
                    .at(
                        Some(&file.path),
                        Some(line),
                        format!("{} line {line} contains a hard-coded {} ({redacted}); anyone who can read the Space repository can use it.", file.path, kind.name),
                    )
                    .with_fix(format!(
                        "Remove it, revoke it at {} (it may already be in git history), and read it at runtime from a Space secret, e.g. `os.environ[\"MY_SECRET\"]`.",
                        kind.revoke
                    )),
            );
        }
    }
}

/// Files whose encoding matters to the build or the runtime.
fn needs_utf8(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name == "Dockerfile"
        || name.ends_with(".py")
        || (name.starts_with("requirements") && name.ends_with(".txt"))
        || name == "pre-requirements.txt"
        || name == "packages.txt"
}

/// PEP 263: a coding line in the first two lines makes non-UTF-8 Python legal.
fn declares_coding(contents: &[u8]) -> bool {
    contents.split(|b| *b == b'\n').take(2).any(|l| {
        l.starts_with(b"#")
            && l.windows(6).any(|w| w == b"coding")
            && !l.windows(5).any(|w| w.eq_ignore_ascii_case(b"utf-8") || w.eq_ignore_ascii_case(b"utf_8"))
    })
}

fn encoding(file: &ProjectFile, out: &mut Vec<Finding>) {
    if file.path == "README.md" || file.binary || file.truncated || !needs_utf8(&file.path) {
        return;
    }
    if let Err(e) = std::str::from_utf8(&file.contents) {
        if file.path.ends_with(".py") && declares_coding(&file.contents) {
            return;
        }
        out.push(not_utf8_finding(&NOT_UTF8, file, e.valid_up_to()));
    }
}

/// Files whose conflict markers fail the build or the app's start.
fn breaks_on_conflict(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
    path == "Dockerfile"
        || matches!(ext, "py" | "sh" | "bash" | "js" | "mjs" | "cjs" | "jsx" | "ts" | "mts" | "cts" | "tsx")
        || (name.starts_with("requirements") && name.ends_with(".txt"))
        || matches!(name, "pre-requirements.txt" | "packages.txt" | "package.json" | "pyproject.toml")
}

static CONFLICT_START: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?m)^<<<<<<<(?:[ \t]|\r?$)").expect("valid pattern"));

fn conflicts(file: &ProjectFile, readme_body: Option<u32>, out: &mut Vec<Finding>) {
    if file.binary || file.truncated || !CONFLICT_START.is_match(&file.contents) {
        return;
    }
    let after = if file.path == "README.md" {
        // Without parsed front matter the README rules already report the config; a body
        // conflict could not be told apart from one in the front matter.
        match readme_body {
            Some(end) => end,
            None => return,
        }
    } else {
        0
    };
    let hunks: Vec<_> =
        crate::conflict::hunks(file.contents.split(|b| *b == b'\n'), 1).into_iter().filter(|h| h.start > after).collect();
    let Some(first) = hunks.first() else { return };
    let p = &file.path;
    let (rule, effect) = if breaks_on_conflict(p) {
        let effect = if p == "Dockerfile" {
            "Docker stops at the marker (`unknown instruction`), so the build fails"
        } else if p.ends_with(".py") {
            "Python raises a SyntaxError at the marker, so the app crashes when it imports this file"
        } else if p.ends_with(".txt") {
            "pip/apt refuse the marker line, so the build fails"
        } else {
            "the file no longer parses, so the build or the app's start fails"
        };
        (&MERGE_CONFLICT, effect)
    } else {
        (&MERGE_CONFLICT_TEXT, "both sides of the conflict are shipped as they are")
    };
    let more = match hunks.len() {
        1 => String::new(),
        n => format!(
            " and {} more (from line{} {})",
            n - 1,
            if n > 2 { "s" } else { "" },
            hunks[1..].iter().take(5).map(|h| h.start.to_string()).collect::<Vec<_>>().join(", ")
        ),
    };
    let (start, separator, end) = (first.start, first.separator, first.end);
    out.push(
        rule.at(
            Some(p),
            Some(start),
            format!(
                "{p} has an unresolved git merge conflict at lines {start}-{end} (`{}` … `{}`){more}; {effect}.",
                first.ours, first.theirs
            ),
        )
        .with_fix(format!(
            "Resolve it: keep the side you want, delete the marker lines {start}, {separator} and {end}{}, and commit; `git diff --check` lists every marker left.",
            if hunks.len() > 1 { " (and those of the other conflicts)" } else { "" }
        )),
    );
}

fn env_file(file: &ProjectFile, out: &mut Vec<Finding>) {
    let name = file.path.rsplit('/').next().unwrap_or(&file.path);
    let templates = [".example", ".sample", ".template", ".dist", ".defaults", ".schema", ".tpl"];
    let env_like = (name == ".env" || (name.starts_with(".env.") && !templates.iter().any(|t| name.ends_with(t))))
        || matches!(name, ".envrc" | ".netrc" | ".pypirc");
    if env_like {
        out.push(
            ENV_FILE
                .at(
                    Some(&file.path),
                    None,
                    format!("{} would be uploaded to the Space repository; files like it usually hold secrets.", file.path),
                )
                .with_fix(format!(
                    "Add `{}` to .gitignore and set its values as Space secrets (Settings → Variables and secrets).",
                    file.path
                )),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::redact_secrets;

    #[test]
    fn redacts_credentials_in_text() {
        let text = "remote https://u:hf_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789@huggingface.co and AKIAABCDEFGHIJKLMNOP";
        let r = redact_secrets(text);
        assert_eq!(r, "remote https://u:hf_Ab…(redacted)@huggingface.co and AKIAAB…(redacted)");
        assert!(matches!(redact_secrets("nothing here"), std::borrow::Cow::Borrowed(_)));
    }
}
