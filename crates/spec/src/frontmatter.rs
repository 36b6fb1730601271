//! The README front-matter container (`---` ... `---`) and the parsed, line-aware model of it.

use crate::finding::{Finding, Rule, Severity};
use crate::yaml::{self, Entry, Kind, Node, Resolved};

/// Parsed README front matter; keeps every key's line so findings point at the right place.
#[derive(Debug, Clone, PartialEq)]
pub struct FrontMatter {
    entries: Vec<Entry>,
    start_line: u32,
    end_line: u32,
}

impl FrontMatter {
    /// The declared SDK (`gradio`, `docker`, ...), which decides which other rules apply.
    pub fn sdk(&self) -> Option<&str> {
        self.get_str("sdk")
    }

    /// A string-typed value; `None` for numbers, booleans, lists, maps and absent keys.
    pub fn get_str(&self, key: &str) -> Option<&str> {
        match self.scalar(key)? {
            Resolved::Str(s) => Some(s),
            _ => None,
        }
    }

    /// A real YAML boolean (`true`/`false`, not `"yes"`).
    pub fn get_bool(&self, key: &str) -> Option<bool> {
        match self.scalar(key)? {
            Resolved::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// A real YAML integer (not a quoted number).
    pub fn get_int(&self, key: &str) -> Option<i64> {
        match self.scalar(key)? {
            Resolved::Int(i) => Some(i),
            _ => None,
        }
    }

    /// A list whose items are all strings (e.g. `tags`, `models`); `None` otherwise.
    pub fn get_str_list(&self, key: &str) -> Option<Vec<&str>> {
        let Kind::Seq(items) = &self.entry(key)?.value.kind else {
            return None;
        };
        items
            .iter()
            .map(|n| match &n.kind {
                Kind::Scalar(s) => match s.resolve() {
                    Resolved::Str(t) => Some(t),
                    _ => None,
                },
                _ => None,
            })
            .collect()
    }

    /// A scalar exactly as written (decoded), whatever type YAML gives it, e.g. `3.12` for an
    /// unquoted `python_version: 3.12` that `get_str` refuses because YAML reads a number.
    pub fn scalar_text(&self, key: &str) -> Option<&str> {
        match &self.entry(key)?.value.kind {
            Kind::Scalar(s) => Some(&s.text),
            _ => None,
        }
    }

    /// The Docker app port when it is a valid integer port.
    pub fn app_port(&self) -> Option<u16> {
        self.get_int("app_port").and_then(|p| u16::try_from(p).ok()).filter(|p| *p != 0)
    }

    /// The file the Gradio/static SDK serves, as written (no default applied).
    pub fn app_file(&self) -> Option<&str> {
        self.get_str("app_file")
    }

    /// 1-based README line of `key` (its last occurrence, the one loaders keep).
    pub fn line_of(&self, key: &str) -> Option<u32> {
        self.entry(key).map(|e| e.key_line)
    }

    /// Whether `key` is present, whatever its value.
    pub fn contains_key(&self, key: &str) -> bool {
        self.entry(key).is_some()
    }

    /// Every top-level key with its line, in file order (duplicates included).
    pub fn keys(&self) -> impl Iterator<Item = (&str, u32)> {
        self.entries.iter().map(|e| (e.key.as_str(), e.key_line))
    }

    /// The front matter as a JSON object (numbers as numbers; duplicate keys: last wins).
    pub fn to_json(&self) -> serde_json::Value {
        entries_to_json(&self.entries)
    }

    /// Line of the opening `---`.
    pub fn start_line(&self) -> u32 {
        self.start_line
    }

    /// Line of the closing `---`.
    pub fn end_line(&self) -> u32 {
        self.end_line
    }

    pub(crate) fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Last occurrence wins, as in PyYAML; duplicates are reported separately.
    pub(crate) fn entry(&self, key: &str) -> Option<&Entry> {
        self.entries.iter().rev().find(|e| e.key == key)
    }

    fn scalar(&self, key: &str) -> Option<Resolved<'_>> {
        match &self.entry(key)?.value.kind {
            Kind::Scalar(s) => Some(s.resolve()),
            _ => None,
        }
    }
}

fn entries_to_json(entries: &[Entry]) -> serde_json::Value {
    let mut map = serde_json::Map::new();
    for e in entries {
        map.insert(e.key.clone(), node_to_json(&e.value));
    }
    serde_json::Value::Object(map)
}

fn node_to_json(node: &Node) -> serde_json::Value {
    use serde_json::Value;
    match &node.kind {
        Kind::Scalar(s) => match s.resolve() {
            Resolved::Null => Value::Null,
            Resolved::Bool(b) => Value::Bool(b),
            Resolved::Int(i) => Value::from(i),
            // JSON has no NaN/inf; keep what was written.
            Resolved::Float(f) => serde_json::Number::from_f64(f).map_or_else(|| Value::String(s.text.clone()), Value::Number),
            Resolved::Str(t) => Value::String(t.to_owned()),
        },
        Kind::Seq(items) => Value::Array(items.iter().map(node_to_json).collect()),
        Kind::Map(entries) => entries_to_json(entries),
    }
}

pub(crate) static MISSING_FRONT_MATTER: Rule = Rule {
    id: "readme/missing-front-matter",
    severity: Severity::Error,
    summary: "README.md has no front matter",
    explanation: "The Hub reads a Space's configuration (sdk, title, app_port, ...) from a YAML block between two `---` lines at the very top of README.md; it finds none here, so the Space has no SDK and shows a configuration error instead of building.",
    fix: "Start README.md with a front-matter block, e.g.\n---\ntitle: My Space\nemoji: 🚀\nsdk: gradio\nsdk_version: \"6.31.0\"\n---",
};
pub(crate) static MISSING_OPENING: Rule = Rule {
    id: "readme/missing-opening-delimiter",
    severity: Severity::Error,
    summary: "Front-matter keys without the opening `---` line",
    explanation: "README.md starts with `key: value` lines but not with `---`. The Hub's front-matter pattern is anchored on an opening `---` line, so it reads no configuration and the Space has no SDK.",
    fix: "Add a `---` line before line 1 (and a closing `---` after the last key if there is none).",
};
pub(crate) static UNCLOSED: Rule = Rule {
    id: "readme/unclosed-front-matter",
    severity: Severity::Error,
    summary: "Front matter is never closed",
    explanation: "The front matter opens with `---` but no later line is `---` (at the start of the line; trailing spaces are fine), so the Hub's pattern does not match and no configuration is read.",
    fix: "Add a `---` line after the last front-matter key.",
};
pub(crate) static YAML_SYNTAX: Rule = Rule {
    id: "readme/yaml-syntax",
    severity: Severity::Error,
    summary: "Front matter is not valid YAML",
    explanation: "The Hub parses the front matter as YAML (huggingface_hub uses yaml.safe_load on it); a syntax error means none of the configuration is read.",
    fix: "Fix the YAML at the reported line; quote values that contain `: ` or start with a special character, and indent with spaces, not tabs.",
};
pub(crate) static NOT_A_MAPPING: Rule = Rule {
    id: "readme/not-a-mapping",
    severity: Severity::Error,
    summary: "Front matter is not a set of `key: value` lines",
    explanation: "The configuration must be a YAML mapping (`sdk: gradio`, ...); huggingface_hub refuses anything else (\"repo card metadata block should be a dict\"), and a list or a bare value carries no settings.",
    fix: "Write one `key: value` per line between the `---` lines.",
};
pub(crate) static BOM: Rule = Rule {
    id: "readme/bom",
    severity: Severity::Warning,
    summary: "README.md starts with a byte-order mark",
    explanation: "A UTF-8 byte-order mark (U+FEFF) before the opening `---` is invisible in editors. The Hub finds the front matter with `^\\s*---` (huggingface_hub's REGEX_YAML_BLOCK, said to be the Hub server's regex). The server is JavaScript, whose `\\s` matches U+FEFF, so the Space most likely still gets its configuration (unverified); Python's `\\s` does not, so huggingface_hub's metadata_load and RepoCard.load see no front matter, and metadata_save/metadata_update write a second block above it.",
    fix: "Save README.md as UTF-8 without BOM.",
};
pub(crate) static NOT_FIRST: Rule = Rule {
    id: "readme/front-matter-not-first",
    severity: Severity::Info,
    summary: "Whitespace before the opening `---`",
    explanation: "The reference puts the front matter at the very top of README.md. The Hub's pattern (`^\\s*---`, huggingface_hub's REGEX_YAML_BLOCK) skips leading blank lines and spaces, so the configuration is still read; other Markdown tools may not see it.",
    fix: "Delete the blank lines and spaces so `---` starts line 1.",
};
pub(crate) static DELIMITER_TRAILING_SPACE: Rule = Rule {
    id: "readme/opening-delimiter-trailing-space",
    severity: Severity::Error,
    summary: "Spaces or tabs after the opening `---`",
    explanation: "The Hub's front-matter pattern needs the line break right after the opening `---` (`^\\s*---(\\r\\n|\\r|\\n)`, huggingface_hub's REGEX_YAML_BLOCK, said to be the Hub server's regex; trailing spaces are only allowed on the closing `---`). With `--- ` the pattern does not match and the Hub reads no configuration.",
    fix: "Delete the spaces after `---` on the opening line.",
};
pub(crate) static FENCED: Rule = Rule {
    id: "readme/fenced-front-matter",
    severity: Severity::Error,
    summary: "Configuration inside a fenced code block",
    explanation: "The configuration is written inside a Markdown code fence (```yaml ... ```). The Hub only reads a `---` block at the top of README.md (its pattern is anchored at the start: `^\\s*---`, huggingface_hub's REGEX_YAML_BLOCK), so a fenced block is just text and the Space has no configuration.",
    fix: "Delete the fence lines and start README.md with the `---` block itself.",
};
pub(crate) static MERGE_CONFLICT: Rule = Rule {
    id: "readme/merge-conflict",
    severity: Severity::Error,
    summary: "Unresolved git merge conflict in the front matter",
    explanation: "Git conflict markers (`<<<<<<<`, `=======`, `>>>>>>>`) in or before the front matter are not YAML and not `---`, so the YAML parse fails or the Hub's pattern finds no opening `---`; either way the Hub reads no configuration.",
    fix: "Resolve the conflict: keep the side you want, delete the marker lines, and commit (`git diff --check` lists leftover markers).",
};

pub(crate) static RULES: [&Rule; 10] = [
    &MISSING_FRONT_MATTER,
    &MISSING_OPENING,
    &UNCLOSED,
    &YAML_SYNTAX,
    &NOT_A_MAPPING,
    &BOM,
    &NOT_FIRST,
    &DELIMITER_TRAILING_SPACE,
    &FENCED,
    &MERGE_CONFLICT,
];

/// A closing `---`: the Hub's pattern allows spaces and tabs after it, nothing before it.
fn is_delimiter(line: &str) -> bool {
    line.trim_end_matches([' ', '\t']) == "---"
}

/// `key:` at column 1, the shape of a front-matter line.
fn is_key_line(line: &str) -> bool {
    let Some((key, _)) = line.split_once(':') else {
        return false;
    };
    let mut chars = key.trim_end().chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && line[key.len() + 1..].chars().next().is_none_or(char::is_whitespace)
}

/// Last line (1-based) of the YAML-looking block starting at index `from`, and the line of the
/// `---` that ends it, if one does.
fn yaml_block_end(lines: &[&str], from: usize) -> (u32, Option<u32>) {
    let mut last = from;
    let mut i = from;
    while i < lines.len() {
        let l = lines[i];
        if is_delimiter(l) {
            return (last as u32 + 1, Some(i as u32 + 1));
        }
        let continues = is_key_line(l) || (i > from && l.starts_with([' ', '\t', '-', '#']) && !l.trim().is_empty());
        if continues {
            last = i;
        } else if l.trim().is_empty() {
            // A blank line belongs to the block only if YAML resumes after it.
            let next = lines[i..].iter().find(|l| !l.trim().is_empty());
            if !next.is_some_and(|n| is_key_line(n) || is_delimiter(n)) {
                break;
            }
        } else {
            break;
        }
        i += 1;
    }
    (last as u32 + 1, None)
}

fn shift(node: &mut Node, by: u32) {
    node.line += by;
    match &mut node.kind {
        Kind::Scalar(_) => {}
        Kind::Seq(items) => items.iter_mut().for_each(|n| shift(n, by)),
        Kind::Map(entries) => entries.iter_mut().for_each(|e| {
            e.key_line += by;
            shift(&mut e.value, by);
        }),
    }
}

fn syntax_hint(info: &str) -> &'static str {
    if info.contains("mapping values are not allowed") {
        "A value that contains `: ` must be quoted, e.g. `title: \"Senti-Quant: AI Truth Engine\"`."
    } else if info.contains("tab") {
        "Indent with spaces; YAML does not allow tabs for indentation."
    } else if info.contains("did not find expected key") || info.contains("block") {
        "Check the indentation of this line and the one before it: top-level keys start in column 1, list items under a key are indented consistently."
    } else if info.contains("quote") || info.contains("scalar") {
        "Close the quote on this line, or quote the whole value with the other kind of quote."
    } else {
        YAML_SYNTAX.fix
    }
}

/// A fenced code block (``` or ~~~) that holds configuration keys: (opening line, closing
/// line), 1-based. Only blocks naming `sdk`, or opening the README, count, so a body that shows a
/// config example next to real front matter is not mistaken for it.
fn fenced_config(lines: &[&str], first: usize) -> Option<(u32, Option<u32>)> {
    let mut i = first;
    while i < lines.len() {
        let t = lines[i].trim_start();
        let fence = if t.starts_with("```") {
            "```"
        } else if t.starts_with("~~~") {
            "~~~"
        } else {
            i += 1;
            continue;
        };
        let close = lines[i + 1..].iter().position(|l| l.trim_start().starts_with(fence)).map(|c| i + 1 + c);
        let body = &lines[i + 1..close.unwrap_or(lines.len())];
        let keys: Vec<&str> = body
            .iter()
            .filter(|l| is_key_line(l))
            .map(|l| l.split(':').next().unwrap_or("").trim_end())
            .filter(|k| crate::config::is_known_key(k))
            .collect();
        if keys.contains(&"sdk") || (i == first && !keys.is_empty()) {
            return Some((i as u32 + 1, close.map(|c| c as u32 + 1)));
        }
        i = close.map_or(lines.len(), |c| c + 1);
    }
    None
}

/// Conflict markers among `lines[from..to]` (file lines `from + 1`...), for a README whose front
/// matter they broke.
fn conflict_finding(path: &str, lines: &[&str], from: usize, to: usize, why: &str) -> Option<Finding> {
    let marked: Vec<(u32, &str)> = lines[from..to]
        .iter()
        .enumerate()
        .filter(|(_, l)| crate::conflict::marker(l.as_bytes()).is_some())
        .map(|(i, l)| ((from + i) as u32 + 1, *l))
        .collect();
    let (first_line, first) = *marked.first()?;
    let numbers: Vec<String> = marked.iter().take(8).map(|(n, _)| n.to_string()).collect();
    let more = if marked.len() > 8 { ", …" } else { "" };
    Some(
        MERGE_CONFLICT
            .at(
                Some(path),
                Some(first_line),
                format!(
                    "{path} line {first_line} is a git merge-conflict marker (`{}`){why}, so the Hub reads no configuration.",
                    crate::config::clip(first.trim_end())
                ),
            )
            .with_fix(format!(
                "Resolve the conflict: keep the side you want, delete the marker lines ({}{more}), and commit.",
                numbers.join(", ")
            )),
    )
}

/// Find and parse the front matter; container problems come back as `readme/*` findings. The
/// container follows the Hub's pattern, huggingface_hub's REGEX_YAML_BLOCK:
/// `^(\s*---(?:\r\n|\r|\n))([\S\s]*?)((?:\r\n|\r|\n)---[ \t]*(\r\n|\n|$))`.
pub(crate) fn parse_container(path: &str, text: &str) -> (Option<FrontMatter>, Vec<Finding>) {
    let p = Some(path);
    let mut findings = Vec::new();
    let text = match text.strip_prefix('\u{FEFF}') {
        Some(rest) => {
            findings.push(BOM.at(
                p,
                Some(1),
                format!("{path} starts with a UTF-8 byte-order mark (U+FEFF) before the front matter; huggingface_hub's metadata parser then finds no front matter, and the Hub most likely skips it (unverified)."),
            ));
            rest
        }
        None => text,
    };
    let lines: Vec<&str> = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)).collect();
    let Some(first) = lines.iter().position(|l| !l.trim().is_empty()) else {
        findings.push(MISSING_FRONT_MATTER.at(
            p,
            Some(1),
            format!("{path} is empty, so the Space has no configuration (no sdk, no title)."),
        ));
        return (None, findings);
    };
    let line1 = first as u32 + 1;

    if crate::conflict::marker(lines[first].as_bytes()).is_some() {
        let end = lines.iter().rposition(|l| crate::conflict::marker(l.as_bytes()).is_some()).map_or(first + 1, |e| e + 1);
        let why = " where the opening `---` should be";
        findings.extend(conflict_finding(path, &lines, first, end, why));
        return (None, findings);
    }

    // `^\s*---`: leading blank lines and spaces are skipped by the Hub's pattern.
    let opening = lines[first].trim_start();
    if opening.trim_end() != "---" {
        let block = is_key_line(lines[first]).then(|| yaml_block_end(&lines, first));
        // Prose such as "Note: ..." also looks like a key; require a real config key.
        let block = block.filter(|(last, _)| {
            lines[first..*last as usize]
                .iter()
                .any(|l| is_key_line(l) && crate::config::is_known_key(l.split(':').next().unwrap_or("").trim_end()))
        });
        if let Some((last, closing)) = block {
            let (message, fix) = if let Some(closing) = closing {
                (
                    format!(
                        "{path} starts with front-matter keys on line {line1} but has no opening `---`, so the Hub does not read them as configuration (the closing `---` is on line {closing}).",
                    ),
                    format!("Add a `---` line before line {line1}."),
                )
            } else {
                (
                    format!(
                        "{path} starts with front-matter keys (lines {line1}-{last}) but has no `---` lines around them, so the Hub does not read them as configuration."
                    ),
                    format!("Add a `---` line before line {line1} and another after line {last}."),
                )
            };
            findings.push(MISSING_OPENING.at(p, Some(line1), message).with_fix(fix));
        } else if let Some((open, close)) = fenced_config(&lines, first) {
            let fence = lines[open as usize - 1].trim();
            let (lines_shown, fix) = match close {
                Some(c) => (format!("lines {open}-{c}"), format!("Delete the fence lines {open} and {c}")),
                None => (format!("line {open} onwards"), format!("Delete the fence line {open}")),
            };
            let at_top = if open == line1 { "" } else { ", after other text," };
            findings.push(
                FENCED
                    .at(
                        p,
                        Some(open),
                        format!(
                            "{path} holds its configuration in a fenced code block (`{}`, {lines_shown}){at_top} instead of a `---` block at the top, so the Hub treats it as text and the Space has no configuration.",
                            crate::config::clip(fence)
                        ),
                    )
                    .with_fix(format!(
                        "{fix}, move the block to the top of {path}, and make sure it starts and ends with a `---` line."
                    )),
            );
        } else {
            findings.push(MISSING_FRONT_MATTER.at(
                p,
                Some(line1),
                format!(
                    "{path} does not start with a `---` front-matter block, so the Space has no configuration (no sdk, no title)."
                ),
            ));
        }
        return (None, findings);
    }

    let start_line = line1;
    if opening != "---" {
        findings.push(
            DELIMITER_TRAILING_SPACE
                .at(
                    p,
                    Some(start_line),
                    format!(
                        "The opening `---` on line {start_line} is followed by spaces or tabs; the Hub's front-matter pattern needs the line to end right after `---`, so it reads no configuration."
                    ),
                )
                .with_fix(format!("Delete the spaces after `---` on line {start_line}.")),
        );
    }
    if first > 0 || lines[first].len() != opening.len() {
        let before = if first > 0 { format!("after {first} blank line(s)") } else { "after leading spaces".to_owned() };
        findings.push(NOT_FIRST.at(
            p,
            Some(start_line),
            format!(
                "The front matter starts on line {start_line}, {before}; the Hub skips that whitespace, but `---` belongs at the start of line 1."
            ),
        ));
    }
    let Some(close) = lines[first + 1..].iter().position(|l| is_delimiter(l)) else {
        let (last, _) = yaml_block_end(&lines, first + 1);
        let last = last.max(start_line);
        findings.push(
            UNCLOSED
                .at(
                    p,
                    Some(start_line),
                    format!("The front matter opened with `---` on line {start_line} is never closed with another `---` line, so the Hub cannot read it."),
                )
                .with_fix(format!("Add a `---` line after line {last}, the last front-matter key.")),
        );
        return (None, findings);
    };
    let end_line = (first + 1 + close) as u32 + 1;
    let yaml_text = lines[first + 1..first + 1 + close].join("\n");

    let root = match yaml::parse(&yaml_text) {
        Ok(root) => root,
        Err(e) => {
            // Markers are why the YAML broke; say so rather than quote the parser.
            let why = " inside the front matter, which YAML cannot parse";
            if let Some(f) = conflict_finding(path, &lines, first + 1, first + 1 + close, why) {
                findings.push(f);
                return (None, findings);
            }
            let line = (start_line + e.line).clamp(start_line + 1, end_line);
            let source = crate::config::clip(lines.get(line as usize - 1).copied().unwrap_or("").trim());
            findings.push(
                YAML_SYNTAX
                    .at(
                        p,
                        Some(line),
                        format!(
                            "The front matter is not valid YAML: {} at line {line}, column {} (`{source}`), so none of the configuration is read.",
                            e.info, e.col
                        ),
                    )
                    .with_fix(syntax_hint(&e.info)),
            );
            return (None, findings);
        }
    };
    let entries = match root {
        None => Vec::new(),
        Some(mut node) => {
            shift(&mut node, start_line);
            match node.kind {
                Kind::Map(entries) => entries,
                Kind::Seq(_) | Kind::Scalar(_) => {
                    let what = if matches!(node.kind, Kind::Seq(_)) { "a list" } else { "a single value" };
                    findings.push(NOT_A_MAPPING.at(
                        p,
                        Some(node.line),
                        format!("The front matter (lines {start_line}-{end_line}) is {what}, not `key: value` lines, so it configures nothing."),
                    ));
                    return (None, findings);
                }
            }
        }
    };
    (Some(FrontMatter { entries, start_line, end_line }), findings)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(text: &str) -> Vec<(String, Option<u32>)> {
        parse_container("README.md", text).1.into_iter().map(|f| (f.rule, f.line)).collect()
    }

    fn fm(text: &str) -> FrontMatter {
        let (fm, findings) = parse_container("README.md", text);
        assert!(findings.is_empty(), "{findings:#?}");
        fm.unwrap()
    }

    #[test]
    fn lines_are_file_lines() {
        let f = fm("---\n# c\ntitle: x\n\nsdk: gradio\ntags:\n  - a\n---\nbody\n");
        assert_eq!((f.start_line(), f.end_line()), (1, 8));
        assert_eq!(f.line_of("title"), Some(3));
        assert_eq!(f.line_of("sdk"), Some(5));
        assert_eq!(f.line_of("tags"), Some(6));
        let Kind::Seq(items) = &f.entry("tags").unwrap().value.kind else { panic!() };
        assert_eq!(items[0].line, 7);
    }

    #[test]
    fn crlf_and_bom() {
        let (f, findings) = parse_container("README.md", "\u{FEFF}---\r\ntitle: x\r\nsdk: docker\r\n---\r\n");
        let f = f.unwrap();
        assert_eq!(f.sdk(), Some("docker"));
        assert_eq!(f.get_str("title"), Some("x"));
        assert_eq!(f.line_of("sdk"), Some(3));
        assert_eq!(findings.len(), 1);
        assert_eq!((findings[0].rule.as_str(), findings[0].line), ("readme/bom", Some(1)));
    }

    #[test]
    fn container_problems() {
        assert_eq!(rules(""), [("readme/missing-front-matter".into(), Some(1))]);
        assert_eq!(rules("# Title\n\ntext"), [("readme/missing-front-matter".into(), Some(1))]);
        assert_eq!(rules("---\ntitle: x\nsdk: gradio\n"), [("readme/unclosed-front-matter".into(), Some(1))]);
        assert_eq!(rules("---\n- a\n- b\n---\n"), [("readme/not-a-mapping".into(), Some(2))]);
        assert_eq!(rules("\n\n---\nsdk: gradio\n---\n"), [("readme/front-matter-not-first".into(), Some(3))]);
        // A markdown rule later in the body is not an opening delimiter.
        assert_eq!(rules("Intro\n\n---\n\nmore"), [("readme/missing-front-matter".into(), Some(1))]);
    }

    #[test]
    fn missing_opening_delimiter_says_where_to_add_it() {
        let (_, f) = parse_container("README.md", "title: x\nsdk: gradio\ntags:\n  - a\n---\n# Body\n");
        assert_eq!(f[0].rule, "readme/missing-opening-delimiter");
        assert_eq!(f[0].fix.as_deref(), Some("Add a `---` line before line 1."));
        let (_, f) = parse_container("README.md", "title: x\nsdk: gradio\n\n---\n");
        assert!(f[0].message.contains("closing `---` is on line 4"), "{}", f[0].message);
        let (_, f) = parse_container("README.md", "title: x\nsdk: streamlit\n\n\n# Body\n");
        assert_eq!(f[0].fix.as_deref(), Some("Add a `---` line before line 1 and another after line 2."));
    }

    #[test]
    fn yaml_error_points_at_file_line() {
        let (fm, f) = parse_container("README.md", "---\ntitle: ok\nsdk: gradio\ntitle2: A: B\n---\n");
        assert!(fm.is_none());
        assert_eq!(f[0].rule, "readme/yaml-syntax");
        assert_eq!(f[0].line, Some(4));
        assert!(f[0].message.contains("title2: A: B"), "{}", f[0].message);
        assert!(f[0].fix.as_deref().unwrap().contains("quoted"));
        let (_, f) = parse_container("README.md", "---\nsdk: gradio\n\ttitle: x\n---\n");
        assert_eq!(f[0].line, Some(3));
    }

    #[test]
    fn empty_front_matter_is_an_empty_mapping() {
        let f = fm("---\n# nothing yet\n---\n");
        assert_eq!(f.keys().count(), 0);
        assert_eq!(f.to_json(), serde_json::json!({}));
    }

    #[test]
    fn accessors_and_json() {
        let f = fm(
            "---\nsdk: docker\napp_port: 7860\npinned: true\npython_version: 3.10\ntags: [a, b]\nemoji: \"\\U0001F433\"\nmodels: [1, a]\nport2: \"8080\"\n---\n",
        );
        assert_eq!(f.app_port(), Some(7860));
        assert_eq!(f.get_bool("pinned"), Some(true));
        assert_eq!(f.get_str("python_version"), None);
        assert_eq!(f.scalar_text("python_version"), Some("3.10"));
        assert_eq!(f.scalar_text("tags"), None);
        assert_eq!(f.get_str_list("tags"), Some(vec!["a", "b"]));
        assert_eq!(f.get_str_list("models"), None);
        assert_eq!(f.get_int("port2"), None);
        assert_eq!(f.get_str("emoji"), Some("🐳"));
        assert!(f.contains_key("tags"));
        assert_eq!(
            f.to_json(),
            serde_json::json!({"sdk": "docker", "app_port": 7860, "pinned": true, "python_version": 3.1,
                "tags": ["a", "b"], "emoji": "🐳", "models": [1, "a"], "port2": "8080"})
        );
    }

    #[test]
    fn app_port_rejects_out_of_range() {
        assert_eq!(fm("---\napp_port: 70000\n---\n").app_port(), None);
        assert_eq!(fm("---\napp_port: 0\n---\n").app_port(), None);
    }
}
