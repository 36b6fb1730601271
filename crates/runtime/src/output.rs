//! What a plugin returns is untrusted: every path must be safe to join onto the user's directory on any
//! OS, and sizes are capped. A violation rejects the whole output, so nothing is ever half-written.

use std::collections::HashMap;

use crate::limits::Limits;
use crate::model::ScaffoldOutput;

/// Why a plugin's output was refused.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum OutputError {
    #[error("file path `{path}` is refused: {problem}")]
    BadPath { path: String, problem: PathProblem },
    #[error("file path `{0}` appears twice")]
    Duplicate(String),
    #[error("file paths `{0}` and `{1}` differ only in case, so they collide on Windows and macOS")]
    CaseCollision(String, String),
    #[error("`{0}` is both a file and a directory")]
    FileDirConflict(String),
    #[error("it returned {count} files; the limit is {limit}")]
    TooManyFiles { count: usize, limit: usize },
    #[error("file `{path}` is {size} bytes; the limit is {limit}")]
    FileTooLarge { path: String, size: usize, limit: usize },
    #[error("its files total {size} bytes; the limit is {limit}")]
    TooLarge { size: usize, limit: usize },
    #[error("{what} `{name}` is not a valid environment variable name ([A-Za-z_][A-Za-z0-9_]*, at most 128 characters)")]
    BadName { what: &'static str, name: String },
    #[error("{what} `{0}` is declared twice", what = "secret or variable")]
    DuplicateName(String),
    #[error("it returned {count} {what}; the limit is {limit}")]
    TooManyItems { what: &'static str, count: usize, limit: usize },
}

#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub enum PathProblem {
    Empty,
    TooLong,
    Absolute,
    Backslash,
    Traversal,
    NotNormalised,
    ControlCharacter,
    ReservedCharacter,
    TrailingDotOrSpace,
    ReservedName,
    GitDirectory,
}

impl std::fmt::Display for PathProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PathProblem::Empty => "it is empty",
            PathProblem::TooLong => "it is longer than 1024 bytes or has a component longer than 255",
            PathProblem::Absolute => "it is absolute; paths must be relative to the project directory",
            PathProblem::Backslash => "it contains `\\`; use `/` as the separator",
            PathProblem::Traversal => "it contains `..`, which could escape the project directory",
            PathProblem::NotNormalised => "it has an empty or `.` component (use a normalised path like `a/b.txt`)",
            PathProblem::ControlCharacter => "it contains a control character",
            PathProblem::ReservedCharacter => "it contains one of < > : \" | ? *, which Windows forbids in file names",
            PathProblem::TrailingDotOrSpace => "a component ends with `.` or a space, which Windows silently strips",
            PathProblem::ReservedName => "a component is a reserved device name on Windows (CON, NUL, COM1, ...)",
            PathProblem::GitDirectory => "it writes into `.git`, which could plant git hooks",
        })
    }
}

const WINDOWS_RESERVED: &[&str] = &["con", "prn", "aux", "nul", "conin$", "conout$"];

/// Check one relative output path.
pub fn check_path(path: &str) -> Result<(), PathProblem> {
    if path.is_empty() {
        return Err(PathProblem::Empty);
    }
    if path.len() > 1024 {
        return Err(PathProblem::TooLong);
    }
    if path.starts_with('/') || path.starts_with('\\') || has_drive_prefix(path) {
        return Err(PathProblem::Absolute);
    }
    if path.contains('\\') {
        return Err(PathProblem::Backslash);
    }
    if path.chars().any(|c| c.is_control()) {
        return Err(PathProblem::ControlCharacter);
    }
    for segment in path.split('/') {
        match segment {
            ".." => return Err(PathProblem::Traversal),
            "" | "." => return Err(PathProblem::NotNormalised),
            _ => {}
        }
        if segment.len() > 255 {
            return Err(PathProblem::TooLong);
        }
        if segment.chars().any(|c| matches!(c, '<' | '>' | ':' | '"' | '|' | '?' | '*')) {
            return Err(PathProblem::ReservedCharacter);
        }
        if segment.ends_with('.') || segment.ends_with(' ') {
            return Err(PathProblem::TrailingDotOrSpace);
        }
        let stem = segment.split('.').next().unwrap_or("").to_ascii_lowercase();
        let numbered = (stem.starts_with("com") || stem.starts_with("lpt"))
            && stem.len() == 4
            && stem.as_bytes()[3].is_ascii_digit()
            && stem.as_bytes()[3] != b'0';
        if WINDOWS_RESERVED.contains(&stem.as_str()) || numbered {
            return Err(PathProblem::ReservedName);
        }
        if segment.eq_ignore_ascii_case(".git") {
            return Err(PathProblem::GitDirectory);
        }
    }
    Ok(())
}

fn has_drive_prefix(path: &str) -> bool {
    let b = path.as_bytes();
    b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':'
}

pub(crate) fn valid_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name.len() <= 128
}

/// Check a whole scaffold output against the path rules and the limits.
pub fn check_output(out: &ScaffoldOutput, limits: &Limits) -> Result<(), OutputError> {
    if out.files.len() > limits.max_files {
        return Err(OutputError::TooManyFiles { count: out.files.len(), limit: limits.max_files });
    }
    let mut total = 0usize;
    let mut exact: HashMap<&str, ()> = HashMap::new();
    let mut folded: HashMap<String, &str> = HashMap::new();
    for file in &out.files {
        check_path(&file.path).map_err(|problem| OutputError::BadPath { path: file.path.clone(), problem })?;
        if exact.insert(&file.path, ()).is_some() {
            return Err(OutputError::Duplicate(file.path.clone()));
        }
        if let Some(other) = folded.insert(file.path.to_lowercase(), &file.path) {
            return Err(OutputError::CaseCollision(other.to_string(), file.path.clone()));
        }
        if file.contents.len() > limits.max_file_bytes {
            return Err(OutputError::FileTooLarge {
                path: file.path.clone(),
                size: file.contents.len(),
                limit: limits.max_file_bytes,
            });
        }
        total += file.contents.len();
    }
    if total > limits.max_total_bytes {
        return Err(OutputError::TooLarge { size: total, limit: limits.max_total_bytes });
    }
    // A file whose path is also a parent directory of another file cannot be written.
    for file in &out.files {
        let mut prefix = file.path.as_str();
        while let Some((parent, _)) = prefix.rsplit_once('/') {
            if exact.contains_key(parent) {
                return Err(OutputError::FileDirConflict(parent.to_string()));
            }
            prefix = parent;
        }
    }
    let items = out.secrets.len() + out.variables.len();
    if items > limits.max_items {
        return Err(OutputError::TooManyItems { what: "secrets and variables", count: items, limit: limits.max_items });
    }
    if out.notices.len() > limits.max_items {
        return Err(OutputError::TooManyItems { what: "notices", count: out.notices.len(), limit: limits.max_items });
    }
    let mut names = HashMap::new();
    let declared = out.secrets.iter().map(|s| ("secret", &s.name)).chain(out.variables.iter().map(|v| ("variable", &v.name)));
    for (what, name) in declared {
        if !valid_env_name(name) {
            return Err(OutputError::BadName { what, name: name.clone() });
        }
        if names.insert(name.clone(), ()).is_some() {
            return Err(OutputError::DuplicateName(name.clone()));
        }
    }
    Ok(())
}

/// Plugin text reaches the user's terminal: drop escape sequences and control characters (but keep
/// newlines and tabs) so a plugin cannot rewrite the screen or hide what it says. Also caps the length.
pub fn sanitize_text(s: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max_chars));
    for (i, c) in s.chars().enumerate() {
        if i >= max_chars {
            out.push('…');
            break;
        }
        if c == '\n' || c == '\t' || !c.is_control() {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{GeneratedFile, SecretSpec, SecretStage};

    fn out(paths: &[&str]) -> ScaffoldOutput {
        ScaffoldOutput {
            files: paths
                .iter()
                .map(|p| GeneratedFile { path: p.to_string(), contents: b"x".to_vec(), executable: false })
                .collect(),
            secrets: vec![],
            variables: vec![],
            notices: vec![],
        }
    }

    #[test]
    fn accepts_ordinary_paths() {
        for p in ["README.md", "app/main.py", ".gitignore", ".streamlit/config.toml", "a.b.c", "con-fig.txt", "com0", "console"] {
            assert_eq!(check_path(p), Ok(()), "{p}");
        }
    }

    #[test]
    fn refuses_paths_that_escape_on_any_os() {
        let cases = [
            ("", PathProblem::Empty),
            ("/etc/passwd", PathProblem::Absolute),
            ("\\\\server\\share", PathProblem::Absolute),
            ("C:/Windows/x", PathProblem::Absolute),
            ("a\\..\\b", PathProblem::Backslash),
            ("../x", PathProblem::Traversal),
            ("a/../../x", PathProblem::Traversal),
            ("a//b", PathProblem::NotNormalised),
            ("./a", PathProblem::NotNormalised),
            ("a/", PathProblem::NotNormalised),
            ("a\u{0}b", PathProblem::ControlCharacter),
            ("a\nb", PathProblem::ControlCharacter),
            ("file:stream", PathProblem::ReservedCharacter),
            ("what?", PathProblem::ReservedCharacter),
            ("dir./x", PathProblem::TrailingDotOrSpace),
            ("x ", PathProblem::TrailingDotOrSpace),
            ("NUL", PathProblem::ReservedName),
            ("sub/com1.txt", PathProblem::ReservedName),
            ("LPT9", PathProblem::ReservedName),
            (".git/hooks/post-checkout", PathProblem::GitDirectory),
            ("sub/.GIT/config", PathProblem::GitDirectory),
        ];
        for (p, want) in cases {
            assert_eq!(check_path(p), Err(want), "{p:?}");
        }
        assert_eq!(check_path(&"a".repeat(256)), Err(PathProblem::TooLong));
    }

    #[test]
    fn refuses_duplicates_collisions_and_conflicts() {
        let limits = Limits::default();
        assert_eq!(check_output(&out(&["a", "b", "a"]), &limits), Err(OutputError::Duplicate("a".into())));
        assert_eq!(
            check_output(&out(&["README.md", "readme.md"]), &limits),
            Err(OutputError::CaseCollision("README.md".into(), "readme.md".into()))
        );
        assert_eq!(check_output(&out(&["app", "app/main.py"]), &limits), Err(OutputError::FileDirConflict("app".into())));
        assert!(check_output(&out(&["app/main.py", "app/util.py"]), &limits).is_ok());
    }

    #[test]
    fn enforces_caps() {
        let limits = Limits { max_files: 2, max_file_bytes: 4, max_total_bytes: 6, ..Limits::default() };
        assert!(matches!(check_output(&out(&["a", "b", "c"]), &limits), Err(OutputError::TooManyFiles { count: 3, limit: 2 })));
        let mut big = out(&["a"]);
        big.files[0].contents = vec![0; 5];
        assert!(matches!(check_output(&big, &limits), Err(OutputError::FileTooLarge { .. })));
        let mut total = out(&["a", "b"]);
        total.files[0].contents = vec![0; 4];
        total.files[1].contents = vec![0; 4];
        assert!(matches!(check_output(&total, &limits), Err(OutputError::TooLarge { size: 8, limit: 6 })));
    }

    #[test]
    fn checks_secret_names() {
        let mut o = out(&["a"]);
        o.secrets.push(SecretSpec {
            name: "BAD NAME".into(),
            stage: SecretStage::Runtime,
            required: true,
            why: String::new(),
            found_in: vec![],
        });
        assert!(matches!(check_output(&o, &Limits::default()), Err(OutputError::BadName { .. })));
        o.secrets[0].name = "API_TOKEN".into();
        o.secrets.push(o.secrets[0].clone());
        assert_eq!(check_output(&o, &Limits::default()), Err(OutputError::DuplicateName("API_TOKEN".into())));
    }

    #[test]
    fn sanitizes_terminal_text() {
        assert_eq!(sanitize_text("ok\x1b[2Jwiped\r\n\tnext", 100), "ok[2Jwiped\n\tnext");
        assert_eq!(sanitize_text("abcdef", 3), "abc…");
    }
}
