//! Text rules the Hub applies to repo content: `.gitattributes` (which paths go to LFS), `.gitignore` (which
//! paths preupload marks `shouldIgnore`), and a small YAML-ish reader for README front matter (Space config).
//! These are deliberately "good enough" subsets; the README documents the limits.

use serde_json::{Map, Value};

/// Git wildmatch: `*` and `?` stop at `/`, `**` crosses directories (`**/` may match nothing), `[...]` classes.
pub fn wildmatch(pattern: &str, text: &str) -> bool {
    wild(pattern.as_bytes(), text.as_bytes())
}

fn wild(p: &[u8], t: &[u8]) -> bool {
    if p.is_empty() {
        return t.is_empty();
    }
    match p[0] {
        b'*' if p.len() >= 2 && p[1] == b'*' => {
            let rest = &p[2..];
            if rest.first() == Some(&b'/') && wild(&rest[1..], t) {
                return true;
            }
            (0..=t.len()).any(|i| wild(rest, &t[i..]))
        }
        b'*' => {
            let rest = &p[1..];
            for i in 0..=t.len() {
                if wild(rest, &t[i..]) {
                    return true;
                }
                if i < t.len() && t[i] == b'/' {
                    break;
                }
            }
            false
        }
        b'?' => !t.is_empty() && t[0] != b'/' && wild(&p[1..], &t[1..]),
        b'[' => {
            let Some((matched, consumed)) = class_match(p, t.first().copied()) else {
                // No closing bracket: treat '[' literally.
                return !t.is_empty() && t[0] == b'[' && wild(&p[1..], &t[1..]);
            };
            matched && wild(&p[consumed..], &t[1..])
        }
        b'\\' if p.len() > 1 => !t.is_empty() && t[0] == p[1] && wild(&p[2..], &t[1..]),
        c => !t.is_empty() && t[0] == c && wild(&p[1..], &t[1..]),
    }
}

/// Matches one character against the class starting at `p[0] == '['`; returns (matched, pattern bytes used).
fn class_match(p: &[u8], c: Option<u8>) -> Option<(bool, usize)> {
    let mut i = 1;
    let negate = matches!(p.get(i), Some(b'!') | Some(b'^'));
    if negate {
        i += 1;
    }
    let start = i;
    let mut matched = false;
    while i < p.len() {
        if p[i] == b']' && i > start {
            let ok = match c {
                Some(c) if c != b'/' => matched != negate,
                _ => false,
            };
            return Some((ok, i + 1));
        }
        let lo = p[i];
        if i + 2 < p.len() && p[i + 1] == b'-' && p[i + 2] != b']' {
            let hi = p[i + 2];
            if let Some(c) = c
                && lo <= c
                && c <= hi
            {
                matched = true;
            }
            i += 3;
        } else {
            if Some(lo) == c {
                matched = true;
            }
            i += 1;
        }
    }
    None
}

/// Whether a gitattributes/gitignore pattern matches `path` (a repo-relative path without leading slash).
/// Patterns with a slash (other than a trailing one) are anchored at the root; others match the basename.
fn git_pattern_matches(pattern: &str, path: &str) -> bool {
    let anchored = pattern.starts_with('/') || pattern.trim_end_matches('/').contains('/');
    let pattern = pattern.trim_start_matches('/');
    if anchored {
        wildmatch(pattern, path)
    } else {
        let base = path.rsplit('/').next().unwrap_or(path);
        wildmatch(pattern, base)
    }
}

/// True when `.gitattributes` content assigns `filter=lfs` to `path` (the last matching line wins).
pub fn gitattributes_lfs(gitattributes: &str, path: &str) -> bool {
    let mut lfs = false;
    for line in gitattributes.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut parts = line.split_whitespace();
        let Some(pattern) = parts.next() else { continue };
        if !git_pattern_matches(pattern, path) {
            continue;
        }
        for attr in parts {
            match attr {
                "filter=lfs" => lfs = true,
                "-filter" | "!filter" => lfs = false,
                a if a.starts_with("filter=") => lfs = false,
                _ => {}
            }
        }
    }
    lfs
}

/// True when `.gitignore` content ignores `path` (or one of its parent directories).
pub fn gitignore_ignores(gitignore: &str, path: &str) -> bool {
    let rules: Vec<(bool, bool, &str)> = gitignore
        .lines()
        .map(|l| l.trim_end())
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (negate, l) = match l.strip_prefix('!') {
                Some(rest) => (true, rest),
                None => (false, l.strip_prefix('\\').unwrap_or(l)),
            };
            let dir_only = l.ends_with('/');
            (negate, dir_only, l.trim_end_matches('/'))
        })
        .collect();
    let verdict = |candidate: &str, is_dir: bool| -> bool {
        let mut ignored = false;
        for (negate, dir_only, pattern) in &rules {
            if *dir_only && !is_dir {
                continue;
            }
            if git_pattern_matches(pattern, candidate) {
                ignored = !negate;
            }
        }
        ignored
    };
    let parts: Vec<&str> = path.split('/').collect();
    for i in 1..parts.len() {
        if verdict(&parts[..i].join("/"), true) {
            return true;
        }
    }
    verdict(path, false)
}

/// Why a README's front matter could not be read.
#[derive(Debug, Clone, PartialEq)]
pub enum FrontMatterError {
    /// No `---` line at the very top.
    Missing,
    /// An opening `---` without a closing one.
    Unterminated,
    /// A line that is not `key: value`, a list item, an indented continuation or a comment.
    Syntax { line: usize, text: String },
}

impl std::fmt::Display for FrontMatterError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Missing => write!(f, "missing configuration in README.md: no YAML front matter block (---) at the top"),
            Self::Unterminated => {
                write!(f, "invalid configuration in README.md: the YAML front matter block is not closed with ---")
            }
            Self::Syntax { line, text } => {
                write!(f, "invalid configuration in README.md: YAML syntax error on line {line}: {text:?}")
            }
        }
    }
}

/// Reads the YAML front matter of a README into JSON. Understands scalars, quoted strings, flow lists and block
/// lists/maps one level deep, which covers Space configs; anything else is kept as a string.
pub fn parse_front_matter(readme: &str) -> Result<Map<String, Value>, FrontMatterError> {
    // The Hub locates the block with `^(\s*---(?:\r\n|\r|\n))([\S\s]*?)((?:\r\n|\r|\n)---[ \t]*(\r\n|\n|$))`
    // (huggingface_hub repocard.py says it is the server's regex): leading whitespace, a BOM included (JS
    // `\s`), is skipped; the opening `---` takes nothing after it; the closing one may carry blanks.
    let text = readme.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    let skipped = readme[..readme.len() - text.len()].matches('\n').count();
    let mut lines = text.lines().enumerate();
    match lines.next() {
        Some((_, "---")) => {}
        _ => return Err(FrontMatterError::Missing),
    }
    let mut body: Vec<(usize, &str)> = Vec::new();
    let mut closed = false;
    for (i, line) in lines {
        if line.trim_end_matches([' ', '\t']) == "---" {
            closed = true;
            break;
        }
        body.push((skipped + i + 1, line));
    }
    if !closed {
        return Err(FrontMatterError::Unterminated);
    }
    let mut map = Map::new();
    let mut current: Option<String> = None;
    for (lineno, raw) in body {
        let line = strip_comment(raw);
        if line.trim().is_empty() {
            continue;
        }
        let indented = line.starts_with(' ') || line.starts_with('\t');
        if indented || line.starts_with("- ") || line == "-" {
            // A continuation of the previous key: a block list item or a nested `k: v`.
            let Some(key) = current.clone() else {
                return Err(FrontMatterError::Syntax { line: lineno, text: raw.to_string() });
            };
            let item = line.trim();
            let slot = map.entry(key).or_insert(Value::Null);
            if let Some(rest) = item.strip_prefix('-') {
                if !slot.is_array() {
                    *slot = Value::Array(Vec::new());
                }
                if let Value::Array(a) = slot {
                    a.push(scalar(rest.trim()));
                }
            } else if let Some((k, v)) = split_key(item) {
                if !slot.is_object() {
                    *slot = Value::Object(Map::new());
                }
                if let Value::Object(o) = slot {
                    o.insert(k.to_string(), scalar(v));
                }
            }
            continue;
        }
        let Some((key, value)) = split_key(line) else {
            return Err(FrontMatterError::Syntax { line: lineno, text: raw.to_string() });
        };
        current = Some(key.to_string());
        map.insert(key.to_string(), if value.is_empty() { Value::Null } else { scalar(value) });
    }
    Ok(map)
}

fn split_key(line: &str) -> Option<(&str, &str)> {
    let (k, v) = line.split_once(':')?;
    let k = k.trim().trim_matches('"').trim_matches('\'');
    if k.is_empty() {
        return None;
    }
    if !(v.is_empty() || v.starts_with(' ') || v.starts_with('\t')) {
        return None;
    }
    Some((k, v.trim()))
}

/// Drops a trailing ` # comment` that is not inside quotes.
fn strip_comment(line: &str) -> &str {
    let bytes = line.as_bytes();
    let (mut in_single, mut in_double) = (false, false);
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'\'' if !in_double => in_single = !in_single,
            b'"' if !in_single => in_double = !in_double,
            b'#' if !in_single && !in_double && (i == 0 || bytes[i - 1] == b' ' || bytes[i - 1] == b'\t') => {
                return &line[..i];
            }
            _ => {}
        }
    }
    line
}

fn scalar(v: &str) -> Value {
    let v = v.trim();
    if v.len() >= 2 && v.starts_with('"') && v.ends_with('"') {
        return Value::String(unescape_double(&v[1..v.len() - 1]));
    }
    if v.len() >= 2 && v.starts_with('\'') && v.ends_with('\'') {
        return Value::String(v[1..v.len() - 1].replace("''", "'"));
    }
    if v.starts_with('[') && v.ends_with(']') {
        let inner = v[1..v.len() - 1].trim();
        if inner.is_empty() {
            return Value::Array(Vec::new());
        }
        return Value::Array(inner.split(',').map(|s| scalar(s.trim())).collect());
    }
    match v {
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        "null" | "Null" | "~" | "" => return Value::Null,
        _ => {}
    }
    if let Ok(i) = v.parse::<i64>() {
        return Value::from(i);
    }
    if v.contains('.')
        && v.chars().all(|c| c.is_ascii_digit() || c == '.' || c == '-')
        && let Ok(f) = v.parse::<f64>()
    {
        return Value::from(f);
    }
    Value::String(v.to_string())
}

fn unescape_double(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('"') => out.push('"'),
            Some('\\') => out.push('\\'),
            Some(e @ ('u' | 'U' | 'x')) => {
                let n = match e {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let code: String = chars.by_ref().take(n).collect();
                match u32::from_str_radix(&code, 16).ok().and_then(char::from_u32) {
                    Some(ch) => out.push(ch),
                    None => {
                        out.push('\\');
                        out.push(e);
                        out.push_str(&code);
                    }
                }
            }
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildmatch_basics() {
        assert!(wildmatch("*.bin", "model.bin"));
        assert!(!wildmatch("*.bin", "dir/model.bin"));
        assert!(wildmatch("saved_model/**/*", "saved_model/a/b/c.pb"));
        assert!(wildmatch("saved_model/**/*", "saved_model/c.pb"));
        assert!(wildmatch("*.tar.*", "x.tar.gz"));
        assert!(wildmatch("*tfevents*", "events.out.tfevents.123"));
        assert!(wildmatch("[abc]?.txt", "bz.txt"));
        assert!(!wildmatch("[!abc]?.txt", "bz.txt"));
    }

    #[test]
    fn gitattributes_rules() {
        let ga = "*.bin filter=lfs diff=lfs merge=lfs -text\nweights/** filter=lfs\nweights/small.txt -filter\n";
        assert!(gitattributes_lfs(ga, "a/b/model.bin"));
        assert!(gitattributes_lfs(ga, "weights/x/y"));
        assert!(!gitattributes_lfs(ga, "weights/small.txt"));
        assert!(!gitattributes_lfs(ga, "app.py"));
    }

    #[test]
    fn gitignore_rules() {
        let gi = "__pycache__/\n*.log\n!keep.log\n/build\n";
        assert!(gitignore_ignores(gi, "__pycache__/x.pyc"));
        assert!(gitignore_ignores(gi, "src/__pycache__/x.pyc"));
        assert!(gitignore_ignores(gi, "logs/a.log"));
        assert!(!gitignore_ignores(gi, "keep.log"));
        assert!(gitignore_ignores(gi, "build/out.js"));
        assert!(!gitignore_ignores(gi, "src/build/out.js"));
        assert!(!gitignore_ignores(gi, "app.py"));
    }

    #[test]
    fn front_matter() {
        let readme = "---\ntitle: \"My \\U0001F433 Space\"\nemoji: 🐳\nsdk: docker # comment\napp_port: 8000\npinned: false\npython_version: 3.10\ntags:\n  - a\n  - b\nmodels: [x/y, z/w]\ncustom_headers:\n  cross-origin-opener-policy: same-origin\n---\n\n# Body\n";
        let m = parse_front_matter(readme).unwrap();
        assert_eq!(m["title"], "My 🐳 Space");
        assert_eq!(m["sdk"], "docker");
        assert_eq!(m["app_port"], 8000);
        assert_eq!(m["pinned"], false);
        assert_eq!(m["python_version"], 3.1);
        assert_eq!(m["tags"], serde_json::json!(["a", "b"]));
        assert_eq!(m["models"], serde_json::json!(["x/y", "z/w"]));
        assert_eq!(m["custom_headers"]["cross-origin-opener-policy"], "same-origin");
        assert_eq!(parse_front_matter("# no config\n"), Err(FrontMatterError::Missing));
        assert_eq!(parse_front_matter("---\nsdk: docker\n"), Err(FrontMatterError::Unterminated));
        assert!(matches!(parse_front_matter("---\nthis is not yaml\n---\n"), Err(FrontMatterError::Syntax { line: 2, .. })));
    }

    #[test]
    fn front_matter_is_located_like_the_hub_does() {
        // Leading blank lines and a BOM are skipped; line numbers still count them.
        assert_eq!(parse_front_matter("\n\n---\nsdk: docker\n---\n").unwrap()["sdk"], "docker");
        assert_eq!(parse_front_matter("\u{feff}---\nsdk: static\n---\n").unwrap()["sdk"], "static");
        assert!(matches!(parse_front_matter("\n\n---\nnot yaml\n---\n"), Err(FrontMatterError::Syntax { line: 4, .. })));
        // Blanks after the closing `---` are fine, after the opening one they are not; `...` closes nothing.
        assert_eq!(parse_front_matter("---\nsdk: gradio\n--- \t\n").unwrap()["sdk"], "gradio");
        assert_eq!(parse_front_matter("--- \nsdk: gradio\n---\n"), Err(FrontMatterError::Missing));
        assert_eq!(parse_front_matter("---\nsdk: gradio\n...\n"), Err(FrontMatterError::Unterminated));
        // A fenced block is text to the Hub.
        assert_eq!(parse_front_matter("```yaml\n---\nsdk: docker\n---\n```\n"), Err(FrontMatterError::Missing));
    }
}
