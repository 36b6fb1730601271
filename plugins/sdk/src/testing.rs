//! Native test support (feature `testing`; use it from `[dev-dependencies]` only).
//!
//! - [`TeraRenderer`]: renders a [`Plan`](crate::Plan) with the host's own Tera policy, so tests see the
//!   bytes a user gets;
//! - [`input`] / [`file_text`]: a scaffold input as the host sends it, and a generated file's text;
//! - [`project`] / [`project_from_output`]: build the input of `check` (README front matter is turned
//!   into JSON by [`front_matter_json`], which reads the simple YAML plugins generate);
//! - assertions every plugin should pass: [`assert_catalogue`], [`assert_option_specs`], [`assert_tidy`],
//!   [`blocking`].

use std::collections::BTreeSet;

use crate::{
    Finding, NamedValue, OptionKind, OptionSpec, OptionValue, PluginError, Project, ProjectFile, Render, Rule, ScaffoldInput,
    ScaffoldOutput, Severity, Value,
};

/// Renders with the host's Tera policy ([`spacesmith_readers::tera`]: no builtins, no environment,
/// bounded `range`, autoescape off), so tests see the bytes a user gets.
#[derive(Clone, Copy, Debug, Default)]
pub struct TeraRenderer;

impl Render for TeraRenderer {
    fn render(&self, name: &str, template: &str, context: &Value) -> Result<String, PluginError> {
        spacesmith_readers::tera::render(name, template, context.clone())
            .map_err(|e| PluginError::new(format!("template {name}: {e}")))
    }
}

/// A scaffold input with the options the user gave, named and typed. The host merges option defaults
/// in before it calls the plugin; `Options::parse` merges them again, so tests may leave them out.
pub fn input(project_name: &str, title: &str, api: bool, options: &[(&str, OptionValue)]) -> ScaffoldInput {
    ScaffoldInput {
        project_name: project_name.into(),
        title: title.into(),
        api,
        options: options.iter().map(|(n, v)| NamedValue { name: n.to_string(), value: v.clone() }).collect(),
    }
}

/// The text of a generated file; panics naming the path when it is missing or not UTF-8.
pub fn file_text<'a>(out: &'a ScaffoldOutput, path: &str) -> &'a str {
    out.files.iter().find(|f| f.path == path).and_then(|f| f.contents_str()).unwrap_or_else(|| panic!("no text file {path}"))
}

/// A project of text files, with `front_matter` given directly as JSON.
pub fn project(files: &[(&str, &str)], front_matter: Option<Value>) -> Project {
    let mut files: Vec<ProjectFile> = files
        .iter()
        .map(|(path, text)| ProjectFile { path: path.to_string(), contents: text.as_bytes().to_vec(), truncated: false })
        .collect();
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Project { files, front_matter_json: front_matter.map(|v| v.to_string()) }
}

/// The project a scaffold output makes, as the host would give it to `check`.
pub fn project_from_output(output: &ScaffoldOutput) -> Project {
    let mut files: Vec<ProjectFile> = output
        .files
        .iter()
        .map(|f| ProjectFile { path: f.path.clone(), contents: f.contents.clone(), truncated: false })
        .collect();
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let front_matter_json =
        output.files.iter().find(|f| f.path == "README.md").and_then(|f| f.contents_str()).and_then(front_matter_json);
    Project { files, front_matter_json }
}

/// README front matter as JSON, for the YAML subset generated front matter uses: `key: scalar` (JSON
/// string, integer, true/false or plain text) and `key:` followed by `  - item` lines.
pub fn front_matter_json(readme: &str) -> Option<String> {
    let mut lines = readme.lines();
    if lines.next()? != "---" {
        return None;
    }
    let mut map = serde_json::Map::new();
    let mut list_key: Option<String> = None;
    for line in lines {
        if line == "---" {
            return Some(Value::Object(map).to_string());
        }
        if let Some(item) = line.trim_start().strip_prefix("- ") {
            let key = list_key.clone().expect("list item without a key");
            if let Some(Value::Array(items)) = map.get_mut(&key) {
                items.push(scalar(item));
            }
            continue;
        }
        let (key, value) = line.split_once(':').expect("front matter line without ':'");
        let value = value.trim();
        if value.is_empty() {
            list_key = Some(key.to_string());
            map.insert(key.to_string(), Value::Array(vec![]));
        } else {
            map.insert(key.to_string(), scalar(value));
        }
    }
    None
}

fn scalar(text: &str) -> Value {
    let text = text.trim();
    if text.starts_with('"') {
        return serde_json::from_str(text).expect("a JSON-compatible double-quoted scalar");
    }
    match text {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        _ => text.parse::<i64>().map(Value::from).unwrap_or_else(|_| Value::from(text)),
    }
}

/// The findings that fail a generated project: errors and warnings.
pub fn blocking(findings: &[Finding]) -> Vec<&Finding> {
    findings.iter().filter(|f| f.severity != Severity::Info).collect()
}

/// Checks a rule catalogue: ids `<sdk_id>/<kebab-name>`, unique; every text filled in and one line
/// for the summary.
pub fn assert_catalogue(sdk_id: &str, rules: &[Rule]) {
    assert!(!rules.is_empty(), "empty catalogue");
    let mut ids = BTreeSet::new();
    for rule in rules {
        let name = rule.id.strip_prefix(&format!("{sdk_id}/")).unwrap_or_else(|| panic!("{} lacks prefix {sdk_id}/", rule.id));
        assert!(is_kebab(name), "{} is not kebab-case", rule.id);
        assert!(ids.insert(rule.id.as_str()), "{} twice", rule.id);
        for (what, text) in [("summary", &rule.summary), ("explanation", &rule.explanation), ("fix", &rule.fix)] {
            assert!(!text.trim().is_empty(), "{}: empty {what}", rule.id);
        }
        assert!(!rule.summary.contains('\n'), "{}: summary on several lines", rule.id);
    }
}

/// Checks option specs: kebab-case unique names, help text, defaults valid for their kind.
pub fn assert_option_specs(specs: &[OptionSpec]) {
    let mut names = BTreeSet::new();
    for spec in specs {
        assert!(is_kebab(&spec.name), "option {} is not kebab-case", spec.name);
        assert!(names.insert(spec.name.as_str()), "option {} twice", spec.name);
        assert!(!spec.help.trim().is_empty(), "option {} has no help", spec.name);
        let default_ok = match (&spec.kind, &spec.default_value) {
            (_, None) => true,
            (OptionKind::Text, Some(OptionValue::Text(_))) | (OptionKind::Flag, Some(OptionValue::Flag(_))) => true,
            (OptionKind::Integer(r), Some(OptionValue::Integer(i))) => (r.min..=r.max).contains(i),
            (OptionKind::Choice(c), Some(OptionValue::Text(t))) => c.contains(t),
            _ => false,
        };
        assert!(default_ok, "option {}: default does not fit its kind", spec.name);
    }
}

/// Checks a generated text file is tidy: no leftover template syntax, no trailing whitespace, no blank
/// line at the start, no run of blank lines (two allowed in Python, as PEP 8 wants between top-level
/// definitions), exactly one newline at the end.
pub fn assert_tidy(path: &str, text: &str) {
    for marker in ["{{", "}}", "{%", "%}", "{#", "#}"] {
        assert!(!text.contains(marker), "{path}: leftover template syntax {marker:?}:\n{text}");
    }
    assert!(text.ends_with('\n') && !text.ends_with("\n\n"), "{path}: must end with exactly one newline:\n{text}");
    assert!(!text.starts_with('\n'), "{path}: starts with a blank line:\n{text}");
    let max_blank = if path.ends_with(".py") { 2 } else { 1 };
    let mut blank_run = 0;
    for (i, line) in text.lines().enumerate() {
        assert_eq!(line, line.trim_end(), "{path}:{}: trailing whitespace", i + 1);
        blank_run = if line.is_empty() { blank_run + 1 } else { 0 };
        assert!(blank_run <= max_blank, "{path}:{}: {blank_run} blank lines in a row:\n{text}", i + 1);
    }
}

fn is_kebab(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('-')
        && !name.ends_with('-')
        && !name.contains("--")
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    #[test]
    fn tera_renders_like_the_host() {
        let out =
            TeraRenderer.render("t", "a{%- if x %}\n{{ y }}{% endif %}\n<&>\n", &json!({"x": true, "y": "\"q\" & <b>"})).unwrap();
        assert_eq!(out, "a\n\"q\" & <b>\n<&>\n");
        let err = TeraRenderer.render("bad.tera", "{% if %}", &json!({})).unwrap_err();
        assert!(err.message.starts_with("template bad.tera:"), "{}", err.message);
    }

    #[test]
    fn front_matter_subset() {
        let readme = "---\ntitle: \"A: b\"\napp_port: 7860\npinned: false\nsdk: docker\ntags:\n  - streamlit\n---\n# A\n";
        let fm: Value = serde_json::from_str(&front_matter_json(readme).unwrap()).unwrap();
        assert_eq!(fm, json!({"title": "A: b", "app_port": 7860, "pinned": false, "sdk": "docker", "tags": ["streamlit"]}));
        assert_eq!(front_matter_json("# no front matter\n"), None);
    }

    #[test]
    fn tidy_accepts_clean_text() {
        assert_tidy("a", "x\n\ny\n");
        assert_tidy("a.py", "import x\n\n\ndef f():\n    pass\n");
    }

    #[test]
    #[should_panic(expected = "2 blank lines in a row")]
    fn tidy_rejects_blank_runs() {
        assert_tidy("a", "x\n\n\ny\n");
    }

    #[test]
    fn kebab_case() {
        assert!(is_kebab("python-version") && is_kebab("port"));
        assert!(!is_kebab("Port") && !is_kebab("a--b") && !is_kebab("-a") && !is_kebab("a_b"));
    }

    #[test]
    fn renderer_is_locked_down_like_the_host() {
        let render = |t: &str| TeraRenderer.render("t", t, &serde_json::json!({}));
        assert_eq!(render("{% for i in range(end=3) %}{{ i }}{% endfor %}").unwrap(), "012");
        assert!(render("{{ get_env(name=\"HOME\") }}").unwrap_err().message.contains("get_env is not available"));
        assert!(render("{% for i in range(end=100000) %}{% endfor %}").unwrap_err().message.contains("10000 allowed"));
    }
}
