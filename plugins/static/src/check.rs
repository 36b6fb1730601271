//! The static-SDK rules and `check`.
//!
//! The host already reports what every SDK shares (a missing `app_file`, its extension, fields used
//! with the wrong SDK, front-matter syntax); these rules cover the build step (`app_build_command`) and
//! what only a static Space gets wrong.

use std::collections::BTreeSet;

use spacesmith_plugin_sdk::text::line_of;
use spacesmith_plugin_sdk::{
    Finding, FrontMatterText, Project, Rule, RuleDef, Severity, Value, catalogue, finding, front_matter_text, sort_findings,
};

const README: &str = "README.md";
const PACKAGE_JSON: &str = "package.json";
pub(crate) const DEFAULT_APP_FILE: &str = "index.html";
const BUILD_COMMAND: &str = "app_build_command";

/// At most this many root-absolute URLs are reported (one finding each); the last says how many more.
const MAX_URL_FINDINGS: usize = 3;

/// Files a static Space uploads but never runs.
const SERVER_FILES: [&str; 3] = ["app.py", "requirements.txt", "Dockerfile"];

pub const BUILD_NEEDS_PACKAGE_JSON: RuleDef = RuleDef {
    id: "static/build-needs-package-json",
    severity: Severity::Error,
    summary: "app_build_command runs a package script, but there is no package.json",
    explanation: "The Hub runs README `app_build_command` in a job on each update. `npm run`, `yarn`, `pnpm` and `bun run` read their scripts from the package.json of the directory they run in; without one the command fails, the build job fails and the Space has no built page to serve.",
    fix: "Commit package.json (with the build script and its dependencies) at the repository root, or change `app_build_command` to a command that needs none.",
};

pub const BUILD_SCRIPT_MISSING: RuleDef = RuleDef {
    id: "static/build-script-missing",
    severity: Severity::Error,
    summary: "app_build_command runs a script that package.json does not define",
    explanation: "The package manager looks the script up in package.json `scripts`; when it is not there the command stops with \"Missing script\" (or \"Command not found\"), the build job fails and the Space has no built page to serve.",
    fix: "Add the script to package.json `scripts` (for Vite: `\"build\": \"vite build\"`), or make `app_build_command` run a script that exists.",
};

pub const APP_FILE_NOT_BUILT: RuleDef = RuleDef {
    id: "static/app-file-not-built",
    severity: Severity::Warning,
    summary: "app_build_command is set, but app_file is not",
    explanation: "Without `app_file` a static Space serves index.html, which in a project with a build step is the source page, not the page the build writes: the Space shows the unbuilt page (whose scripts may not run in a browser as they are).",
    fix: "Set `app_file` to the page the build writes, e.g. `app_file: dist/index.html` for Vite.",
};

pub const BUILD_OUTPUT_COMMITTED: RuleDef = RuleDef {
    id: "static/build-output-committed",
    severity: Severity::Info,
    summary: "Build output is committed although the Hub builds it",
    explanation: "With `app_build_command` the Hub builds the Space in a job on each update and serves `app_file` from that build's output (the `refs/convert/build` ref), which replaces the directory of `app_file`: committed files there are never served and only make the repository bigger, and they go stale with every change.",
    fix: "Delete the build output directory from the repository and add it to .gitignore (e.g. `dist/`).",
};

pub const SERVER_CODE: RuleDef = RuleDef {
    id: "static/server-code",
    severity: Severity::Info,
    summary: "Server-side files in a static Space",
    explanation: "A static Space serves its files as they are: nothing installs requirements.txt, runs app.py or builds a Dockerfile, so the Space has no backend and those files are only downloadable.",
    fix: "For a Python app use `sdk: gradio`, for any other server `sdk: docker` (`spacesmith new <dir> --sdk gradio` or `--sdk docker`); otherwise delete the file.",
};

pub const ABSOLUTE_ASSET_URL: RuleDef = RuleDef {
    id: "static/absolute-asset-url",
    severity: Severity::Warning,
    summary: "A page in a folder refers to local files with root-absolute URLs",
    explanation: "The Space serves the repository from the root of its host, so a URL starting with `/` (`src=\"/app.js\"`) in an `app_file` inside a folder (`site/index.html`) resolves to the repository root (`/app.js`), not to the page's folder (`site/app.js`); a relative URL (`src=\"app.js\"`) works wherever the page is.",
    fix: "Make the URL relative to the page: drop the leading `/` (or write `./`).",
};

pub const RULES: &[&RuleDef] = &[
    &BUILD_NEEDS_PACKAGE_JSON,
    &BUILD_SCRIPT_MISSING,
    &APP_FILE_NOT_BUILT,
    &BUILD_OUTPUT_COMMITTED,
    &SERVER_CODE,
    &ABSOLUTE_ASSET_URL,
];

pub fn rules() -> Vec<Rule> {
    catalogue(RULES)
}

pub fn check(project: &Project) -> Vec<Finding> {
    let front_matter = project.front_matter();
    // Not text (a list, say): the host's front-matter rules report the type.
    let build_command = match front_matter_text(&front_matter, BUILD_COMMAND) {
        FrontMatterText::Text(command) if !command.trim().is_empty() => Some(command.trim()),
        _ => None,
    };
    let app_file = match front_matter_text(&front_matter, "app_file") {
        FrontMatterText::Text(file) => Some(file.trim().trim_start_matches("./")),
        _ => None,
    };
    let mut findings = Vec::new();
    match build_command {
        Some(command) => build_rules(project, command, app_file, &mut findings),
        None => page_rules(project, app_file.unwrap_or(DEFAULT_APP_FILE), &mut findings),
    }
    server_code(project, build_command, &mut findings);
    sort_findings(&mut findings);
    findings
}

fn build_rules(project: &Project, command: &str, app_file: Option<&str>, findings: &mut Vec<Finding>) {
    let at_command = |f: Finding| at_key(project, BUILD_COMMAND, f);
    let mut reported = BTreeSet::new();
    for run in package_runs(command) {
        let package_json = join(&run.dir, PACKAGE_JSON);
        if !project.has(&package_json) {
            if reported.insert(package_json.clone()) {
                let place = if run.dir.is_empty() { "the repository root".to_string() } else { format!("{}/", run.dir) };
                let message = format!("`{}` runs in {place}, which has no package.json", run.command);
                findings.push(at_command(finding(&BUILD_NEEDS_PACKAGE_JSON, message)));
            }
            continue;
        }
        let Some(script) = run.script else { continue };
        // Unreadable or invalid JSON: the package manager reports that itself, precisely.
        let Some(package) = project.text(&package_json).and_then(|text| serde_json::from_str::<Value>(text).ok()) else {
            continue;
        };
        if package["scripts"][script.name].is_string() || (script.or_binary && depends_on(&package, script.name)) {
            continue;
        }
        let message =
            format!("`{}` runs the script \"{}\", but {package_json} has no scripts.{}", run.command, script.name, script.name);
        findings.push(at_command(finding(&BUILD_SCRIPT_MISSING, message)));
    }
    let Some(app_file) = app_file else {
        let message = format!(
            "`{BUILD_COMMAND}: {command}` without `app_file`: the Space serves {DEFAULT_APP_FILE} from the repository, not the page the build writes"
        );
        findings.push(at_command(finding(&APP_FILE_NOT_BUILT, message)));
        return;
    };
    // An app_file at the root: its folder is the whole repository, which is not build output.
    if let Some((dir, _)) = app_file.rsplit_once('/')
        && !dir.is_empty()
    {
        let prefix = format!("{dir}/");
        let committed: Vec<&str> = project.paths().filter(|p| p.starts_with(&prefix)).collect();
        if let Some(first) = committed.first() {
            let count = committed.len();
            let files = if count == 1 { "1 file".to_string() } else { format!("{count} files") };
            let message = format!(
                "{files} under {prefix} committed ({first}{}), but the build job writes {prefix} and the Space serves its output",
                if count > 1 { ", ..." } else { "" }
            );
            findings.push(finding(&BUILD_OUTPUT_COMMITTED, message).in_file(first));
        }
    }
}

/// Rules on the served page itself (no build step: it is served as committed).
fn page_rules(project: &Project, app_file: &str, findings: &mut Vec<Finding>) {
    let lower = app_file.to_ascii_lowercase();
    // At the repository root, `/x` and `x` name the same file.
    if !(lower.ends_with(".html") || lower.ends_with(".htm")) || !app_file.contains('/') {
        return;
    }
    // Missing: the host's common/app-file-missing; too large or binary: nothing to read.
    let Some(html) = project.text(app_file) else { return };
    let urls = root_absolute_urls(html);
    for (i, (line, url)) in urls.iter().take(MAX_URL_FINDINGS).enumerate() {
        let mut message = format!("\"{url}\" resolves from the root of the host, not from the folder of {app_file}");
        if i + 1 == MAX_URL_FINDINGS && urls.len() > MAX_URL_FINDINGS {
            message.push_str(&format!(" ({} more in this file)", urls.len() - MAX_URL_FINDINGS));
        }
        findings.push(finding(&ABSOLUTE_ASSET_URL, message).at(app_file, *line));
    }
}

fn server_code(project: &Project, build_command: Option<&str>, findings: &mut Vec<Finding>) {
    for file in SERVER_FILES {
        if !project.has(file) || build_command.is_some_and(|command| used_by_build(command, file)) {
            continue;
        }
        let what = match file {
            "Dockerfile" => "nothing builds or runs it",
            "requirements.txt" => "nothing installs it",
            _ => "nothing runs it",
        };
        findings.push(finding(&SERVER_CODE, format!("{file}: a static Space only serves files, {what}")).in_file(file));
    }
}

/// Whether the build command (which runs in a job) may use `file`: it names it, or runs Python.
fn used_by_build(command: &str, file: &str) -> bool {
    command.contains(file)
        || (file != "Dockerfile"
            && command
                .split(|c: char| c.is_whitespace() || matches!(c, ';' | '&' | '|' | '('))
                .any(|word| matches!(word, "python" | "python3" | "pip" | "pip3" | "uv" | "uvx")))
}

/// `f` pointed at the README line of front-matter `key`, or at README.md when the line is not found.
fn at_key(project: &Project, key: &str, f: Finding) -> Finding {
    match front_matter_line(project, key) {
        Some(line) => f.at(README, line),
        None => f.in_file(README),
    }
}

/// The 1-based README line where front-matter `key` (a top-level key) is set.
fn front_matter_line(project: &Project, key: &str) -> Option<u32> {
    let readme = project.text(README)?;
    let mut lines = readme.trim_start_matches('\u{feff}').lines();
    if lines.next()?.trim_end() != "---" {
        return None;
    }
    lines
        .enumerate()
        .take_while(|(_, line)| line.trim_end() != "---")
        .find(|(_, line)| line.strip_prefix(key).is_some_and(|rest| rest.trim_start().starts_with(':')))
        .map(|(i, _)| u32::try_from(i + 2).unwrap_or(u32::MAX))
}

fn join(dir: &str, file: &str) -> String {
    if dir.is_empty() { file.to_string() } else { format!("{dir}/{file}") }
}

/// A package-manager command of `app_build_command` that needs a package.json.
#[derive(Debug, PartialEq)]
struct PackageRun<'a> {
    /// The command as written (its words joined by single spaces).
    command: String,
    /// The directory it runs in, relative to the repository root ("" for the root).
    dir: String,
    /// The package.json script it runs, when that is certain.
    script: Option<Script<'a>>,
}

#[derive(Debug, PartialEq)]
struct Script<'a> {
    name: &'a str,
    /// The package manager runs a dependency's binary of that name when there is no such script
    /// (`yarn vite build`, `pnpm vite build`, `bun run vite build`).
    or_binary: bool,
}

/// What one command does with package.json.
enum Use<'a> {
    Script(Script<'a>),
    /// It fails without one, and runs no script this rule can check (`npm start`, `npm ci`, ...).
    PackageJson,
}

/// Options that make a package manager work on another directory's package.json.
const DIR_OPTIONS: [&str; 9] = ["--prefix", "-C", "--dir", "--cwd", "-w", "--workspace", "--filter", "-F", "--recursive"];

/// yarn (1 and berry) commands: `yarn <anything else>` runs a script (or a binary).
const YARN_COMMANDS: [&str; 53] = [
    "access",
    "add",
    "audit",
    "autoclean",
    "bin",
    "cache",
    "check",
    "config",
    "constraints",
    "create",
    "dedupe",
    "dlx",
    "exec",
    "explain",
    "generate-lock-entry",
    "global",
    "help",
    "import",
    "info",
    "init",
    "install",
    "licenses",
    "link",
    "list",
    "login",
    "logout",
    "node",
    "npm",
    "outdated",
    "owner",
    "pack",
    "patch",
    "patch-commit",
    "plugin",
    "policies",
    "publish",
    "rebuild",
    "remove",
    "search",
    "set",
    "stage",
    "tag",
    "team",
    "unlink",
    "unplug",
    "up",
    "upgrade",
    "upgrade-interactive",
    "version",
    "versions",
    "why",
    "workspace",
    "workspaces",
];

/// pnpm commands: `pnpm <anything else>` runs a script (or, failing that, a binary).
const PNPM_COMMANDS: [&str; 48] = [
    "add",
    "approve-builds",
    "audit",
    "bin",
    "cat-file",
    "cat-index",
    "ci",
    "clean-install",
    "config",
    "create",
    "dedupe",
    "deploy",
    "dlx",
    "doctor",
    "env",
    "exec",
    "fetch",
    "find-hash",
    "help",
    "i",
    "ignored-builds",
    "import",
    "init",
    "install",
    "install-test",
    "it",
    "licenses",
    "link",
    "list",
    "ln",
    "ls",
    "outdated",
    "pack",
    "patch",
    "patch-commit",
    "patch-remove",
    "prune",
    "publish",
    "rebuild",
    "remove",
    "rm",
    "root",
    "server",
    "setup",
    "store",
    "unlink",
    "update",
    "why",
];

/// The package-manager commands of a build command, each with the directory it runs in. `cd <dir>`
/// is followed; after a `cd` that leaves the repository (or cannot be resolved) nothing more is said.
/// `npx`, `npm exec` and `npm install <pkg>` need no package.json and are not listed.
fn package_runs(command: &str) -> Vec<PackageRun<'_>> {
    let mut runs = Vec::new();
    let mut dir = Some(String::new());
    for step in command.split([';', '&', '|', '\n']) {
        let words: Vec<&str> =
            step.split_whitespace().map(|w| w.trim_matches(['"', '\'', '(', ')'])).skip_while(|w| is_assignment(w)).collect();
        let Some((&program, args)) = words.split_first() else { continue };
        if program == "cd" {
            dir = dir.and_then(|d| change_dir(&d, args.first().copied()));
            continue;
        }
        let Some(current) = &dir else { break };
        let program = program.rsplit('/').next().unwrap_or(program);
        if let Some(what) = package_use(program, args) {
            let script = match what {
                Use::Script(script) => Some(script),
                Use::PackageJson => None,
            };
            runs.push(PackageRun { command: words.join(" "), dir: current.clone(), script });
        }
    }
    runs
}

/// `NAME=value` before a command.
fn is_assignment(word: &str) -> bool {
    word.split_once('=').is_some_and(|(name, _)| {
        !name.is_empty()
            && !name.starts_with(|c: char| c.is_ascii_digit())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

/// `dir` after `cd to`; None when it leaves the repository or cannot be known.
fn change_dir(dir: &str, to: Option<&str>) -> Option<String> {
    let to = to?;
    if to.starts_with(['/', '~', '$', '-']) {
        return None;
    }
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for part in to.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            part => parts.push(part),
        }
    }
    Some(parts.join("/"))
}

fn package_use<'a>(program: &str, args: &[&'a str]) -> Option<Use<'a>> {
    if args.iter().any(|a| DIR_OPTIONS.iter().any(|o| a == o || a.strip_prefix(o).is_some_and(|v| v.starts_with('=')))) {
        return None;
    }
    // Options before the subcommand (`npm --silent run build`).
    let rest: Vec<&'a str> = args.iter().copied().skip_while(|a| a.starts_with('-')).collect();
    let sub = rest.first().copied();
    let script_arg = rest.get(1).copied().filter(|a| !a.starts_with('-'));
    let if_present = args.contains(&"--if-present");
    let run = |name: Option<&'a str>, or_binary: bool| match name {
        Some(name) if !if_present => Use::Script(Script { name, or_binary }),
        _ => Use::PackageJson,
    };
    match (program, sub?) {
        ("npm", "run" | "run-script" | "rum" | "urn") => Some(run(script_arg, false)),
        // npm start falls back to `node server.js`; all of these still read package.json.
        ("npm", "start" | "test" | "t" | "tst" | "restart" | "stop" | "ci" | "clean-install" | "ic" | "install-clean") => {
            Some(Use::PackageJson)
        }
        ("yarn", "run") => Some(run(script_arg, true)),
        ("yarn", sub) if YARN_COMMANDS.contains(&sub) => None,
        ("yarn", script) => Some(run(Some(script), true)),
        ("pnpm", "run" | "run-script") => Some(run(script_arg, false)),
        ("pnpm", "start" | "test" | "t" | "tst") => Some(Use::PackageJson),
        ("pnpm", "install" | "i") if script_arg.is_none() => Some(Use::PackageJson),
        ("pnpm", sub) if PNPM_COMMANDS.contains(&sub) => None,
        ("pnpm", script) => Some(run(Some(script), true)),
        // `bun run file.ts` runs a file.
        ("bun", "run") => script_arg.filter(|name| !name.contains(['.', '/'])).map(|name| run(Some(name), true)),
        _ => None,
    }
}

/// Whether package.json depends on a package called `name` (whose binary is usually `name` too).
fn depends_on(package: &Value, name: &str) -> bool {
    ["dependencies", "devDependencies", "optionalDependencies", "peerDependencies"].iter().any(|table| {
        package[table].as_object().is_some_and(|deps| deps.keys().any(|k| k == name || k.ends_with(&format!("/{name}"))))
    })
}

/// Root-absolute URLs (`/x`, not the protocol-relative `//host/x`) in the `src` and `href` attributes of
/// `html`'s tags, with their 1-based lines. Comments and the contents of `<script>` and `<style>` are
/// skipped.
fn root_absolute_urls(html: &str) -> Vec<(u32, &str)> {
    let bytes = html.as_bytes();
    let len = bytes.len();
    let skip_space = |mut j: usize| {
        while j < len && bytes[j].is_ascii_whitespace() {
            j += 1;
        }
        j
    };
    let mut found = Vec::new();
    let mut i = 0;
    while i < len {
        if bytes[i..].starts_with(b"<!--") {
            i = find(bytes, i + 4, b"-->").map_or(len, |end| end + 3);
            continue;
        }
        if bytes[i] != b'<' || !bytes.get(i + 1).is_some_and(u8::is_ascii_alphabetic) {
            i += 1;
            continue;
        }
        let mut j = i + 1;
        while j < len && (bytes[j].is_ascii_alphanumeric() || bytes[j] == b'-') {
            j += 1;
        }
        let tag = html[i + 1..j].to_ascii_lowercase();
        // Attributes, up to the end of the tag.
        loop {
            while j < len && (bytes[j].is_ascii_whitespace() || bytes[j] == b'/') {
                j += 1;
            }
            if j >= len || bytes[j] == b'>' {
                j += 1;
                break;
            }
            let name_start = j;
            while j < len && !bytes[j].is_ascii_whitespace() && !matches!(bytes[j], b'=' | b'>' | b'/') {
                j += 1;
            }
            if j == name_start {
                // A stray `=`.
                j += 1;
                continue;
            }
            let name = &html[name_start..j];
            j = skip_space(j);
            if j >= len || bytes[j] != b'=' {
                continue;
            }
            j = skip_space(j + 1);
            let (start, end) = match bytes.get(j) {
                Some(&quote @ (b'"' | b'\'')) => {
                    let end = bytes[j + 1..].iter().position(|&b| b == quote).map_or(len, |p| j + 1 + p);
                    (j + 1, end)
                }
                _ => {
                    let end = bytes[j..].iter().position(|b| b.is_ascii_whitespace() || *b == b'>').map_or(len, |p| j + p);
                    (j, end)
                }
            };
            let value = html[start..end].trim();
            if (name.eq_ignore_ascii_case("src") || name.eq_ignore_ascii_case("href"))
                && value.starts_with('/')
                && !value.starts_with("//")
            {
                found.push((line_of(html, start), value));
            }
            j = if end < len && matches!(bytes[end], b'"' | b'\'') { end + 1 } else { end };
        }
        i = if tag == "script" || tag == "style" {
            find_ignore_case(bytes, j.min(len), format!("</{tag}").as_bytes()).unwrap_or(len)
        } else {
            j
        };
    }
    found
}

/// The first index at or after `from` where `needle` starts.
fn find(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    bytes.get(from..)?.windows(needle.len()).position(|w| w == needle).map(|p| from + p)
}

/// [`find`], ignoring ASCII case.
fn find_ignore_case(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    bytes.get(from..)?.windows(needle.len()).position(|w| w.eq_ignore_ascii_case(needle)).map(|p| from + p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use spacesmith_plugin_sdk::json;
    use spacesmith_plugin_sdk::testing::{assert_catalogue, project};

    const PAGE: &str =
        "<!doctype html>\n<html>\n<head><link rel=\"stylesheet\" href=\"style.css\"></head>\n<body></body>\n</html>\n";
    const PACKAGE: &str = r#"{"scripts": {"build": "vite build"}, "devDependencies": {"vite": "^8.3.8"}}"#;
    const BUILD_README: &str = "---\nsdk: static\napp_build_command: npm run build\napp_file: dist/index.html\n---\n# x\n";

    type Row = (String, Option<String>, Option<u32>);

    fn run(files: &[(&str, &str)], fm: Value) -> Vec<Row> {
        check(&project(files, Some(fm))).into_iter().map(|f| (f.rule_id, f.path, f.line)).collect()
    }

    fn at(id: &str, path: &str, line: Option<u32>) -> Row {
        (id.into(), Some(path.into()), line)
    }

    /// A built Space: the README written out (so lines can be found) and its front matter.
    fn built(command: &str, app_file: Option<&str>, files: &[(&str, &str)]) -> Vec<Row> {
        let mut readme = format!("---\nsdk: static\napp_build_command: {command}\n");
        let mut fm = json!({"sdk": "static", "app_build_command": command});
        if let Some(app_file) = app_file {
            readme.push_str(&format!("app_file: {app_file}\n"));
            fm["app_file"] = json!(app_file);
        }
        readme.push_str("---\n# x\n");
        let mut all = vec![("README.md", readme.as_str()), ("index.html", PAGE)];
        all.extend_from_slice(files);
        run(&all, fm)
    }

    #[test]
    fn catalogue_is_well_formed() {
        assert_catalogue("static", &rules());
        assert_eq!(rules().len(), RULES.len());
    }

    #[test]
    fn good_spaces_pass() {
        assert_eq!(run(&[("index.html", PAGE)], json!({"sdk": "static"})), []);
        assert_eq!(built("npm run build", Some("dist/index.html"), &[("package.json", PACKAGE)]), []);
        // No front matter at all: the host reports it; the page is still read at its default name.
        assert!(check(&project(&[("index.html", PAGE)], None)).is_empty());
    }

    #[test]
    fn build_needs_package_json() {
        let rule = "static/build-needs-package-json";
        assert_eq!(built("npm run build", Some("dist/index.html"), &[]), [at(rule, "README.md", Some(3))]);
        assert_eq!(built("npm ci && npm run build", Some("dist/index.html"), &[]), [at(rule, "README.md", Some(3))]);
        assert_eq!(built("yarn build", Some("dist/index.html"), &[]), [at(rule, "README.md", Some(3))]);
        // The package.json of the directory the command runs in.
        assert_eq!(
            built("cd web && npm run build", Some("web/dist/index.html"), &[("package.json", PACKAGE)]),
            [at(rule, "README.md", Some(3))]
        );
        assert_eq!(built("cd web && npm run build", Some("web/dist/index.html"), &[("web/package.json", PACKAGE)]), []);
        // Tools fetched on the fly need no package.json; commands run elsewhere are not followed.
        assert_eq!(built("npx vite build", Some("dist/index.html"), &[]), []);
        assert_eq!(built("npm install vite && npx vite build", Some("dist/index.html"), &[]), []);
        assert_eq!(built("npm --prefix web run build", Some("web/dist/index.html"), &[]), []);
        assert_eq!(built("cd /tmp && npm run build", Some("dist/index.html"), &[]), []);
        assert_eq!(built("make site", Some("dist/index.html"), &[]), []);
    }

    #[test]
    fn build_script_missing() {
        let rule = "static/build-script-missing";
        let no_build = r#"{"scripts": {"dev": "vite"}, "devDependencies": {"vite": "^8.3.8"}}"#;
        for command in ["npm run build", "NODE_ENV=production npm run build -- --mode production", "pnpm run build", "yarn build"]
        {
            assert_eq!(built(command, Some("dist/index.html"), &[("package.json", no_build)]), [at(rule, "README.md", Some(3))]);
            assert_eq!(built(command, Some("dist/index.html"), &[("package.json", PACKAGE)]), [], "{command}");
        }
        let no_scripts = r#"{"name": "x"}"#;
        assert_eq!(
            built("bun run build", Some("dist/index.html"), &[("package.json", no_scripts)]),
            [at(rule, "README.md", Some(3))]
        );
        // A dependency's binary runs when there is no script of that name (not with npm run).
        assert_eq!(built("yarn vite build", Some("dist/index.html"), &[("package.json", no_build)]), []);
        assert_eq!(built("pnpm vite build", Some("dist/index.html"), &[("package.json", no_build)]), []);
        assert_eq!(
            built("npm run vite", Some("dist/index.html"), &[("package.json", no_build)]),
            [at(rule, "README.md", Some(3))]
        );
        // Package-manager commands, `--if-present`, files and invalid JSON: nothing to say.
        assert_eq!(built("yarn install && yarn run dev", Some("dist/index.html"), &[("package.json", no_build)]), []);
        assert_eq!(built("npm run build --if-present", Some("dist/index.html"), &[("package.json", no_build)]), []);
        assert_eq!(built("bun run build.ts", Some("dist/index.html"), &[("package.json", no_build)]), []);
        assert_eq!(built("npm run build", Some("dist/index.html"), &[("package.json", "{")]), []);
    }

    #[test]
    fn app_file_not_built() {
        let rule = "static/app-file-not-built";
        assert_eq!(built("npm run build", None, &[("package.json", PACKAGE)]), [at(rule, "README.md", Some(3))]);
        assert_eq!(built("npm run build", Some("dist/index.html"), &[("package.json", PACKAGE)]), []);
        // Without the README text the finding names the file.
        let fm = json!({"sdk": "static", "app_build_command": "npm run build"});
        assert_eq!(run(&[("index.html", PAGE), ("package.json", PACKAGE)], fm), [(rule.into(), Some("README.md".into()), None)]);
    }

    #[test]
    fn build_output_committed() {
        let rule = "static/build-output-committed";
        let files = [("package.json", PACKAGE), ("dist/assets/index.js", ""), ("dist/index.html", PAGE)];
        assert_eq!(built("npm run build", Some("dist/index.html"), &files), [at(rule, "dist/assets/index.js", None)]);
        let message = &check(&project(
            &[("README.md", BUILD_README), ("package.json", PACKAGE), ("dist/index.html", PAGE)],
            Some(json!({"sdk": "static", "app_build_command": "npm run build", "app_file": "dist/index.html"})),
        ))[0]
            .message;
        assert!(message.starts_with("1 file under dist/ committed (dist/index.html)"), "{message}");
        // Stale files that are never served break nothing: style, not trouble.
        assert_eq!(BUILD_OUTPUT_COMMITTED.severity, Severity::Info);
        // Other folders, and a root app_file, are not build output.
        let other = [("package.json", PACKAGE), ("distribution/a.js", ""), ("src/main.js", "")];
        assert_eq!(built("npm run build", Some("dist/index.html"), &other), []);
        assert_eq!(built("npm run build", Some("index.html"), &[("package.json", PACKAGE)]), []);
        // Without a build step, dist/ is just a folder.
        assert_eq!(run(&[("index.html", PAGE), ("dist/index.html", PAGE)], json!({"sdk": "static"})), []);
    }

    #[test]
    fn server_code() {
        let rule = "static/server-code";
        let files = [("index.html", PAGE), ("app.py", "print(1)\n"), ("requirements.txt", "flask\n"), ("Dockerfile", "FROM x\n")];
        assert_eq!(
            run(&files, json!({"sdk": "static"})),
            [at(rule, "Dockerfile", None), at(rule, "app.py", None), at(rule, "requirements.txt", None)]
        );
        assert!(check(&project(&files, Some(json!({"sdk": "static"})))).iter().all(|f| f.severity == Severity::Info));
        // Used by the build job.
        let py = [("requirements.txt", "markdown\n"), ("build.py", "")];
        assert_eq!(built("pip install -r requirements.txt && python build.py", Some("dist/index.html"), &py), []);
        assert_eq!(run(&[("index.html", PAGE), ("server.js", "")], json!({"sdk": "static"})), []);
    }

    #[test]
    fn absolute_asset_urls() {
        let rule = "static/absolute-asset-url";
        let page = "<!doctype html>\n<link href=\"/style.css\" rel=stylesheet>\n<script src='/app.js'></script>\n<img SRC=/logo.png alt=\"\">\n<a href=\"/about\">About</a>\n";
        // At the root, `/style.css` is the page's own folder.
        assert_eq!(run(&[("index.html", page)], json!({"sdk": "static"})), []);
        let in_folder = json!({"sdk": "static", "app_file": "web/index.html"});
        let findings = check(&project(&[("web/index.html", page)], Some(in_folder)));
        assert!(findings[0].message.starts_with("\"/style.css\" resolves from the root"), "{}", findings[0].message);
        assert!(findings[2].message.ends_with("(1 more in this file)"), "{}", findings[2].message);
        let custom = json!({"sdk": "static", "app_file": "site/page.html"});
        assert_eq!(
            run(&[("site/page.html", page)], custom),
            [at(rule, "site/page.html", Some(2)), at(rule, "site/page.html", Some(3)), at(rule, "site/page.html", Some(4))]
        );
        let fine = "<!doctype html>\n<!-- <img src=\"/old.png\"> -->\n<script src=\"https://cdn.example/x.js\"></script>\n\
                    <link href=\"//fonts.example/f.css\" rel=\"stylesheet\">\n<img data-src=\"/lazy.png\" src=\"./a.png\">\n\
                    <script>img.src = \"/x.png\"; const s = '<img src=\"/y.png\">';</script>\n<a href=\"#top\">Top</a>\n\
                    <p>src=\"/not-a-tag\"</p>\n<style>a { background: url(/z.png) }</style>\n";
        assert_eq!(run(&[("site/page.html", fine)], json!({"sdk": "static", "app_file": "site/page.html"})), []);
        // With a build step the served page is the build's output: not read here.
        assert_eq!(built("npm run build", Some("dist/index.html"), &[("package.json", PACKAGE), ("index.html", page)]), []);
        // Not HTML, or not in the project.
        assert_eq!(run(&[("index.txt", page)], json!({"sdk": "static", "app_file": "index.txt"})), []);
        assert_eq!(run(&[], json!({"sdk": "static"})), []);
    }

    #[test]
    fn command_parsing() {
        let runs = package_runs("cd web && NODE_ENV=production npm run build; cd ../docs && pnpm install && bun run gen");
        let summary: Vec<(&str, &str, Option<&str>)> =
            runs.iter().map(|r| (r.command.as_str(), r.dir.as_str(), r.script.as_ref().map(|s| s.name))).collect();
        assert_eq!(
            summary,
            [("npm run build", "web", Some("build")), ("pnpm install", "docs", None), ("bun run gen", "docs", Some("gen"))]
        );
        assert!(package_runs("cd .. && npm run build").is_empty());
        assert_eq!(change_dir("", Some("./a/b/")), Some("a/b".into()));
        assert_eq!(change_dir("a", Some("..")), Some(String::new()));
        assert_eq!(change_dir("", None), None);
        assert!(is_assignment("CI=1") && !is_assignment("--mode=x") && !is_assignment("1A=b"));
    }
}
