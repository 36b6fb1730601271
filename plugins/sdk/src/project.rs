//! Read access to the project `check` is given.

use crate::{Project, ProjectFile, Value};

/// The port a Docker Space must listen on when README has no `app_port`.
pub const DEFAULT_APP_PORT: u16 = 7860;

impl Project {
    /// The file at `path` (relative, '/'-separated), if the project has it.
    pub fn file(&self, path: &str) -> Option<&ProjectFile> {
        self.files.iter().find(|f| f.path == path)
    }

    /// Whether the project has a file at `path` (even one too large or binary to be given).
    pub fn has(&self, path: &str) -> bool {
        self.file(path).is_some()
    }

    /// The text of the file at `path`; `None` when it is missing, was truncated by the host or is not UTF-8.
    pub fn text(&self, path: &str) -> Option<&str> {
        self.file(path).and_then(ProjectFile::text)
    }

    /// README front matter as JSON; `Value::Null` when there is none or it did not parse, so that
    /// `project.front_matter()["app_port"]` is simply `Null` when absent.
    pub fn front_matter(&self) -> Value {
        self.front_matter_json
            .as_deref()
            .and_then(|json| serde_json::from_str(json).ok())
            .filter(Value::is_object)
            .unwrap_or(Value::Null)
    }

    /// All paths, in the host's order (sorted).
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.files.iter().map(|f| f.path.as_str())
    }

    /// The project file a command refers to as `reference` (`start.sh`, `./start.sh`, `/app/start.sh`,
    /// `$HOME/app/start.sh`): an exact relative match first, else the shortest project path that is a
    /// '/'-suffix of the reference (the project is copied somewhere in the image).
    pub fn resolve_reference(&self, reference: &str) -> Option<&ProjectFile> {
        let relative = reference.trim_start_matches("./");
        if let Some(file) = self.file(relative) {
            return Some(file);
        }
        self.files.iter().filter(|f| reference.ends_with(&format!("/{}", f.path))).min_by_key(|f| f.path.len())
    }
}

impl ProjectFile {
    /// The contents as text; `None` when truncated by the host or not UTF-8.
    pub fn text(&self) -> Option<&str> {
        if self.truncated { None } else { std::str::from_utf8(&self.contents).ok() }
    }
}

/// A front-matter key that should hold a string (`sdk_version`, `app_file`, ...), as found.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FrontMatterText<'a> {
    /// README has no front matter (or it did not parse): the host reports that; plugins usually skip.
    NoFrontMatter,
    Missing,
    Text(&'a str),
    /// Present but not a string, e.g. an unquoted `4.10` that YAML read as the number 4.1.
    NotText(&'a Value),
}

/// Reads `key` of `front_matter` (as given by [`Project::front_matter`]) as a string.
pub fn front_matter_text<'a>(front_matter: &'a Value, key: &str) -> FrontMatterText<'a> {
    match &front_matter[key] {
        _ if !front_matter.is_object() => FrontMatterText::NoFrontMatter,
        Value::Null => FrontMatterText::Missing,
        Value::String(s) => FrontMatterText::Text(s),
        other => FrontMatterText::NotText(other),
    }
}

/// README `app_port` (the port the Hub routes to), defaulting to 7860. A value that is not a port
/// (the host's front-matter rules report those) also gives the default.
pub fn app_port(front_matter: &Value) -> u16 {
    app_port_or(front_matter, DEFAULT_APP_PORT)
}

/// README `app_port`, or `default` when it is absent or not a port (an SDK whose runtime uses another
/// port than 7860, e.g. Streamlit's 8501).
pub fn app_port_or(front_matter: &Value, default: u16) -> u16 {
    let value = &front_matter["app_port"];
    let parsed = match value {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    parsed.and_then(|p| u16::try_from(p).ok()).filter(|p| *p != 0).unwrap_or(default)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    fn file(path: &str, text: &str) -> ProjectFile {
        ProjectFile { path: path.into(), contents: text.as_bytes().to_vec(), truncated: false }
    }

    fn project(files: Vec<ProjectFile>, fm: Option<&str>) -> Project {
        Project { files, front_matter_json: fm.map(str::to_string) }
    }

    #[test]
    fn text_is_none_for_missing_truncated_or_binary_files() {
        let mut big = file("big.txt", "");
        big.truncated = true;
        let bin = ProjectFile { path: "x.bin".into(), contents: vec![0xff, 0xfe], truncated: false };
        let p = project(vec![file("Dockerfile", "FROM x\n"), big, bin], None);
        assert_eq!(p.text("Dockerfile"), Some("FROM x\n"));
        assert!(p.has("big.txt") && p.text("big.txt").is_none());
        assert!(p.text("x.bin").is_none());
        assert!(p.text("nope").is_none() && !p.has("nope"));
    }

    #[test]
    fn front_matter_is_null_unless_an_object() {
        assert_eq!(project(vec![], Some(r#"{"sdk":"docker"}"#)).front_matter()["sdk"], "docker");
        assert!(project(vec![], None).front_matter().is_null());
        assert!(project(vec![], Some("not json")).front_matter().is_null());
        assert!(project(vec![], Some("[1]")).front_matter().is_null());
    }

    #[test]
    fn app_port_defaults_to_7860() {
        assert_eq!(app_port(&json!({"app_port": 8501})), 8501);
        assert_eq!(app_port(&json!({"app_port": "8000"})), 8000);
        assert_eq!(app_port(&json!({})), 7860);
        assert_eq!(app_port(&Value::Null), 7860);
        assert_eq!(app_port(&json!({"app_port": 70000})), 7860);
        assert_eq!(app_port(&json!({"app_port": 0})), 7860);
        assert_eq!(app_port_or(&json!({"app_port": "x"}), 8501), 8501);
        assert_eq!(app_port_or(&json!({"app_port": 7860}), 8501), 7860);
    }

    #[test]
    fn front_matter_text_values() {
        let fm = json!({"sdk_version": "4.1.0", "python_version": 3.1, "nothing": null});
        assert_eq!(front_matter_text(&fm, "sdk_version"), FrontMatterText::Text("4.1.0"));
        assert_eq!(front_matter_text(&fm, "python_version"), FrontMatterText::NotText(&json!(3.1)));
        assert_eq!(front_matter_text(&fm, "nothing"), FrontMatterText::Missing);
        assert_eq!(front_matter_text(&fm, "absent"), FrontMatterText::Missing);
        assert_eq!(front_matter_text(&Value::Null, "sdk_version"), FrontMatterText::NoFrontMatter);
    }

    #[test]
    fn references_resolve_to_project_files() {
        let p = project(vec![file("start.sh", ""), file("scripts/run.sh", ""), file("app.py", "")], None);
        let path = |r: &str| p.resolve_reference(r).map(|f| f.path.as_str());
        assert_eq!(path("start.sh"), Some("start.sh"));
        assert_eq!(path("./start.sh"), Some("start.sh"));
        assert_eq!(path("/app/start.sh"), Some("start.sh"));
        assert_eq!(path("$HOME/app/scripts/run.sh"), Some("scripts/run.sh"));
        assert_eq!(path("/usr/bin/run.sh"), None);
        assert_eq!(path("/app/mystart.sh"), None);
    }
}
