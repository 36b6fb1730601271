//! Text helpers shared by plugins: safe literals for generated files, and small readers of the files
//! `check` looks at (requirements.txt, Python source, flat TOML).

use std::collections::BTreeMap;

/// The Hub's limit on README `short_description` (in characters).
pub const SHORT_DESCRIPTION_MAX: usize = 60;

/// A YAML double-quoted scalar for `value`. A JSON string is one (JSON's escapes are a subset of YAML's),
/// so titles with `:`, `#`, quotes or non-ASCII are safe in front matter.
pub fn yaml_str(value: &str) -> String {
    serde_json::Value::from(value).to_string()
}

/// A Python string literal for `value` (JSON's escapes are valid Python escapes too).
pub fn py_str(value: &str) -> String {
    yaml_str(value)
}

/// A title fit for one line of YAML, Markdown and Python: whitespace runs (newlines included) become one
/// space, control characters are dropped; `fallback` when nothing is left.
pub fn one_line(value: &str, fallback: &str) -> String {
    let cleaned: String = value.split_whitespace().collect::<Vec<_>>().join(" ").chars().filter(|c| !c.is_control()).collect();
    if cleaned.is_empty() { fallback.to_string() } else { cleaned }
}

/// `text` cut to at most `max` characters, on a word boundary when one exists, with "…" when cut.
pub fn truncate_chars(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max.saturating_sub(1)).collect();
    let cut = match cut.rfind(' ') {
        Some(space) if space > 0 => cut[..space].trim_end().to_string(),
        _ => cut,
    };
    format!("{cut}…")
}

/// 1-based line number of byte `offset` in `text`.
pub fn line_of(text: &str, offset: usize) -> u32 {
    let offset = offset.min(text.len());
    let newlines = text.as_bytes()[..offset].iter().filter(|b| **b == b'\n').count();
    u32::try_from(newlines + 1).unwrap_or(u32::MAX)
}

/// requirements.txt readers, shared with the host (one implementation: [`spacesmith_readers::requirements`]).
pub use spacesmith_readers::requirements::{Requirement, find_requirement, normalize_package, requires};

/// A line of Python source without its comment: the first `#` outside a string literal on that line.
/// (A line-local approximation: strings spanning lines are not tracked.)
pub fn python_code(line: &str) -> &str {
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
            }
            None if c == '#' => return &line[..i],
            None if c == '"' || c == '\'' => quote = Some(c),
            None => {}
        }
    }
    line
}

/// Whether `source` (Python) imports `module` (`import m`, `import m as x`, `import a, m`, `from m import`,
/// `from m.sub import`), ignoring comments.
pub fn python_imports(source: &str, module: &str) -> bool {
    source.lines().any(|line| {
        let code = python_code(line).trim();
        if let Some(rest) = code.strip_prefix("import ") {
            rest.split(',').any(|part| {
                let name = part.split_whitespace().next().unwrap_or_default();
                name == module || name.starts_with(&format!("{module}."))
            })
        } else if let Some(rest) = code.strip_prefix("from ") {
            let name = rest.split_whitespace().next().unwrap_or_default();
            name == module || name.starts_with(&format!("{module}."))
        } else {
            false
        }
    })
}

/// Calls in Python `source` whose text contains `callee` (e.g. `.launch(`): the 1-based line of the call
/// and its argument text (balanced parentheses, possibly over several lines), comments ignored. Only the
/// first 64 occurrences are read: an app has a few such calls, and the bound keeps the scan linear.
pub fn python_calls<'a>(source: &'a str, callee: &str) -> Vec<(u32, &'a str)> {
    const MAX_OCCURRENCES: usize = 64;
    let mut calls = Vec::new();
    let mut offset = 0;
    let mut occurrences = 0;
    for (i, line) in source.split_inclusive('\n').enumerate() {
        let code = python_code(line);
        let mut from = 0;
        while let Some(pos) = code[from..].find(callee) {
            occurrences += 1;
            if occurrences > MAX_OCCURRENCES {
                return calls;
            }
            let open = offset + from + pos + callee.len();
            from += pos + callee.len();
            if let Some(len) = balanced(&source[open..]) {
                calls.push((u32::try_from(i + 1).unwrap_or(u32::MAX), &source[open..open + len]));
            }
        }
        offset += line.len();
    }
    calls
}

/// The length of the (Python) text up to the `)` closing an already-open parenthesis; strings, comments
/// and nested brackets skipped.
pub fn balanced(text: &str) -> Option<usize> {
    // A call's arguments are never this long; the cap keeps many unclosed calls from costing O(n²).
    const MAX_ARGS: usize = 16 * 1024;
    let text = &text[..floor_char_boundary(text, MAX_ARGS)];
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut comment = false;
    for (i, c) in text.char_indices() {
        if comment {
            comment = c != '\n';
            continue;
        }
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                '#' => comment = true,
                '"' | '\'' => quote = Some(c),
                '(' | '[' | '{' => depth += 1,
                ')' if depth == 0 => return Some(i),
                ')' | ']' | '}' => depth = depth.saturating_sub(1),
                _ => {}
            },
        }
    }
    None
}

/// The value text of keyword argument `name` in a call's argument text.
pub fn python_keyword<'a>(args: &'a str, name: &str) -> Option<&'a str> {
    split_top_level(args).into_iter().find_map(|arg| {
        let (key, value) = arg.split_once('=')?;
        (key.trim() == name && !value.starts_with('=')).then(|| value.trim())
    })
}

/// The largest char boundary of `text` at or below `index`.
fn floor_char_boundary(text: &str, index: usize) -> usize {
    if index >= text.len() {
        return text.len();
    }
    (0..=index).rev().find(|i| text.is_char_boundary(*i)).unwrap_or(0)
}

/// Byte offsets and characters of `expr` at the top level of a Python expression: outside brackets and
/// string literals (the quotes themselves are not yielded).
pub fn top_level_chars(expr: &str) -> impl Iterator<Item = (usize, char)> + '_ {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    expr.char_indices().filter(move |&(_, c)| {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                '"' | '\'' => quote = Some(c),
                '(' | '[' | '{' => depth += 1,
                ')' | ']' | '}' => depth = depth.saturating_sub(1),
                _ => return depth == 0,
            },
        }
        false
    })
}

/// Python arguments split at top-level commas.
pub fn split_top_level(args: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    for (i, _) in top_level_chars(args).filter(|&(_, c)| c == ',') {
        parts.push(&args[start..i]);
        start = i + 1;
    }
    parts.push(&args[start..]);
    parts
}

/// The value of a Python expression as far as a port or host goes: a literal, `int(...)` of one, or an
/// environment lookup with a default (`os.environ.get("X", d)`, `os.getenv("X", d)`, `os.environ["X"]`).
pub fn python_value(expr: Option<&str>, vars: &BTreeMap<String, String>) -> Option<String> {
    let expr = expr?.trim();
    let expr = expr.strip_prefix("int(").and_then(|e| e.strip_suffix(')')).map_or(expr, str::trim);
    if let Some(s) = python_string_literal(expr) {
        return Some(s.to_string());
    }
    if expr.chars().all(|c| c.is_ascii_digit()) && !expr.is_empty() {
        return Some(expr.to_string());
    }
    if let Some(inner) = expr.strip_prefix("os.environ[").and_then(|e| e.strip_suffix(']')) {
        return python_string_literal(inner).and_then(|name| vars.get(name).cloned());
    }
    let call = expr.find("environ.get(").or_else(|| expr.find("getenv("))?;
    let open = expr[call..].find('(')? + call + 1;
    let args = &expr[open..open + balanced(&expr[open..])?];
    let parts = split_top_level(args);
    let name = python_string_literal(parts.first()?)?;
    match vars.get(name) {
        Some(v) => Some(v.clone()),
        None => python_value(parts.get(1).copied(), vars),
    }
}

/// The string value of a Python literal (`"x"` or `'x'`), if `value` is one.
pub fn python_string_literal(value: &str) -> Option<&str> {
    let value = value.trim();
    for q in ['"', '\''] {
        if let Some(inner) = value.strip_prefix(q).and_then(|v| v.strip_suffix(q)) {
            return Some(inner);
        }
    }
    None
}

/// The value of `key` in `[table]` of a TOML document (also written `table.key = ...` at the top level),
/// as (1-based line, value without quotes). Enough for flat config files such as `.streamlit/config.toml`;
/// multi-line values are not supported.
pub fn toml_value(text: &str, table: &str, key: &str) -> Option<(u32, String)> {
    let mut current = String::new();
    let dotted = format!("{table}.{key}");
    let mut found = None;
    for (i, raw) in text.lines().enumerate() {
        let line = toml_code(raw).trim();
        if let Some(header) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            current = header.trim().trim_matches(['[', ']']).trim().to_string();
            continue;
        }
        let Some((k, v)) = line.split_once('=') else { continue };
        let k = k.trim().trim_matches('"');
        let matches = (current == table && k == key) || (current.is_empty() && k == dotted);
        if matches {
            let v = v.trim();
            let unquoted = v
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .or_else(|| v.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
                .unwrap_or(v);
            found = Some((u32::try_from(i + 1).unwrap_or(u32::MAX), unquoted.to_string()));
        }
    }
    found
}

/// A TOML line without its comment (`#` outside a string).
fn toml_code(line: &str) -> &str {
    python_code(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn yaml_and_python_literals_escape_what_they_must() {
        assert_eq!(yaml_str("My: \"Space\" #1"), r#""My: \"Space\" #1""#);
        assert_eq!(yaml_str("naïve 🚀"), "\"naïve 🚀\"");
        assert_eq!(py_str("a\\b\n"), r#""a\\b\n""#);
    }

    #[test]
    fn one_line_collapses_whitespace_and_controls() {
        assert_eq!(one_line("  My \n\t Space\u{7} ", "x"), "My Space");
        assert_eq!(one_line(" \n ", "fallback"), "fallback");
    }

    #[test]
    fn truncation_respects_the_limit_and_words() {
        assert_eq!(truncate_chars("short", 60), "short");
        let long = "word ".repeat(20);
        let cut = truncate_chars(long.trim(), 60);
        assert!(cut.chars().count() <= 60, "{cut}");
        assert!(cut.ends_with("word…"), "{cut}");
        assert_eq!(truncate_chars("abcdefghij", 5), "abcd…");
    }

    #[test]
    fn line_numbers_are_one_based() {
        let text = "a\nbc\nd";
        assert_eq!(line_of(text, 0), 1);
        assert_eq!(line_of(text, 2), 2);
        assert_eq!(line_of(text, 5), 3);
        assert_eq!(line_of(text, 999), 3);
    }

    #[test]
    fn python_comments_and_imports() {
        assert_eq!(python_code("x = '#not' # comment"), "x = '#not' ");
        assert!(python_imports("import os, gradio as gr\n", "gradio"));
        assert!(python_imports("from gradio.components import X\n", "gradio"));
        assert!(!python_imports("# import gradio\nimport gradio_client\n", "gradio"));
    }

    #[test]
    fn toml_values() {
        let toml = "# config\n[browser]\nport = 1\n[server]\nheadless = true # comment\nport = 8501\naddress = \"0.0.0.0\"\n";
        assert_eq!(toml_value(toml, "server", "port"), Some((6, "8501".into())));
        assert_eq!(toml_value(toml, "server", "address"), Some((7, "0.0.0.0".into())));
        assert_eq!(toml_value(toml, "server", "headless"), Some((5, "true".into())));
        assert_eq!(toml_value("server.port = 80\n", "server", "port"), Some((1, "80".into())));
        assert_eq!(toml_value("[other]\nserver.port = 80\n", "server", "port"), None);
        assert_eq!(toml_value(toml, "server", "nope"), None);
    }

    #[test]
    fn python_literals() {
        assert_eq!(python_string_literal(" 'localhost' "), Some("localhost"));
        assert_eq!(python_string_literal("HOST"), None);
    }

    #[test]
    fn python_expression_values() {
        let v = vars(&[("PORT", "9000")]);
        assert_eq!(python_value(Some("7860"), &v).as_deref(), Some("7860"));
        assert_eq!(python_value(Some("int(os.environ.get('PORT', 7860))"), &v).as_deref(), Some("9000"));
        assert_eq!(python_value(Some("int(os.getenv(\"X\", \"7860\"))"), &v).as_deref(), Some("7860"));
        assert_eq!(python_value(Some("os.environ['PORT']"), &v).as_deref(), Some("9000"));
        assert_eq!(python_value(Some("port"), &v), None);
        assert_eq!(python_keyword("a, server_port = 1, x=(1, 2)", "server_port"), Some("1"));
        assert_eq!(python_keyword("a == b", "a"), None);
        assert_eq!(python_calls("x.launch(a=(1,\n2), # )\n b=3)\n", ".launch("), vec![(1, "a=(1,\n2), # )\n b=3")]);
        // Unclosed calls are given up on after a bounded scan.
        let unclosed = format!("x.launch({}", "é".repeat(20_000));
        assert_eq!(python_calls(&unclosed, ".launch("), vec![]);
    }
}
