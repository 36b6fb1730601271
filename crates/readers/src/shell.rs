//! Just enough POSIX shell lexing to read commands: words with quotes and escapes removed, split into
//! simple commands at unquoted `;`, `&&`, `||`, `|`, `&` and newlines. No expansion happens: `$PORT`
//! stays `$PORT` (see [`expand`] for the one expansion the checks need).

use std::collections::BTreeMap;

/// Variables known at some point: Dockerfile ARG defaults and ENV values, then script assignments.
pub type Vars = BTreeMap<String, String>;

/// The simple commands of `text`, each a list of words. A `#` starting a word comments out the rest of
/// the line.
pub fn commands(text: &str) -> Vec<Vec<String>> {
    let mut commands = Vec::new();
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = text.chars().peekable();
    let end_word = |word: &mut String, in_word: &mut bool, words: &mut Vec<String>| {
        if *in_word {
            words.push(std::mem::take(word));
            *in_word = false;
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                for q in chars.by_ref() {
                    if q == '\'' {
                        break;
                    }
                    word.push(q);
                }
            }
            '"' => {
                in_word = true;
                while let Some(q) = chars.next() {
                    match q {
                        '"' => break,
                        '\\' => match chars.peek() {
                            Some(&n @ ('"' | '\\' | '$' | '`')) => {
                                word.push(n);
                                chars.next();
                            }
                            Some('\n') => {
                                chars.next();
                            }
                            _ => word.push('\\'),
                        },
                        _ => word.push(q),
                    }
                }
            }
            '\\' => match chars.next() {
                Some('\n') | None => {}
                Some(n) => {
                    in_word = true;
                    word.push(n);
                }
            },
            '#' if !in_word => {
                for n in chars.by_ref() {
                    if n == '\n' {
                        break;
                    }
                }
                end_word(&mut word, &mut in_word, &mut words);
                if !words.is_empty() {
                    commands.push(std::mem::take(&mut words));
                }
            }
            ';' | '&' | '|' | '\n' => {
                end_word(&mut word, &mut in_word, &mut words);
                if matches!(c, '&' | '|') && chars.peek() == Some(&c) {
                    chars.next();
                }
                if !words.is_empty() {
                    commands.push(std::mem::take(&mut words));
                }
            }
            c if c.is_whitespace() => end_word(&mut word, &mut in_word, &mut words),
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    end_word(&mut word, &mut in_word, &mut words);
    if !words.is_empty() {
        commands.push(words);
    }
    commands
}

/// The words of `text` as one list (operators dropped); for argument lists such as ENV's.
pub fn words(text: &str) -> Vec<String> {
    commands(&text.replace('\n', " ")).into_iter().flatten().collect()
}

/// Expands the parameter forms a port or host is written with: `$NAME`, `${NAME}`, `${NAME:-default}`,
/// `${NAME-default}`, `${NAME:=default}`, anywhere in `word`. `None` when a variable without default is
/// unknown, or the word uses any other expansion (`$(...)`, `${#x}`, ...).
pub fn expand(word: &str, vars: &Vars) -> Option<String> {
    expand_nested(word, vars, 0)
}

/// How deep `${A:-${B:-...}}` defaults are followed.
const MAX_NESTING: usize = 8;

fn expand_nested(word: &str, vars: &Vars, depth: usize) -> Option<String> {
    if depth > MAX_NESTING {
        return None;
    }
    let mut out = String::new();
    let mut rest = word;
    while let Some(dollar) = rest.find('$') {
        out.push_str(&rest[..dollar]);
        let after = &rest[dollar + 1..];
        if let Some(braced) = after.strip_prefix('{') {
            let close = matching_brace(braced)?;
            let inner = &braced[..close];
            let name_end = inner.find(|c: char| !is_name_char(c)).unwrap_or(inner.len());
            let (name, op) = inner.split_at(name_end);
            if name.is_empty() {
                return None;
            }
            let value = match op {
                "" => vars.get(name)?.clone(),
                _ => {
                    let default = op.strip_prefix(":-").or_else(|| op.strip_prefix(":=")).or_else(|| op.strip_prefix('-'))?;
                    match vars.get(name) {
                        Some(v) if !(v.is_empty() && op.starts_with(':')) => v.clone(),
                        _ => expand_nested(default, vars, depth + 1)?,
                    }
                }
            };
            out.push_str(&value);
            rest = &braced[close + 1..];
        } else {
            let name_end = after.find(|c: char| !is_name_char(c)).unwrap_or(after.len());
            if name_end == 0 {
                return None;
            }
            out.push_str(vars.get(&after[..name_end])?);
            rest = &after[name_end..];
        }
    }
    out.push_str(rest);
    Some(out)
}

/// The index of the `}` closing a `${` whose body is `text`, counting nested `${...}`.
fn matching_brace(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => return Some(i),
            '}' => depth -= 1,
            _ => {}
        }
    }
    None
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Whether `word` is a variable assignment (`NAME=value`), and its parts.
pub fn assignment(word: &str) -> Option<(&str, &str)> {
    let (name, value) = word.split_once('=')?;
    let valid = !name.is_empty() && !name.starts_with(|c: char| c.is_ascii_digit()) && name.chars().all(is_name_char);
    valid.then_some((name, value))
}

/// The last path component of a program word (`/usr/local/bin/uvicorn` → `uvicorn`).
pub fn basename(word: &str) -> &str {
    word.rsplit('/').next().unwrap_or(word)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vars {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn words_lose_their_quotes() {
        assert_eq!(
            commands(r#"exec uvicorn app:app --host "0.0.0.0" --port '7860' --x=\"y\" "a b""#),
            vec![vec!["exec", "uvicorn", "app:app", "--host", "0.0.0.0", "--port", "7860", "--x=\"y\"", "a b"]]
        );
        assert_eq!(words(r#"A="x y" B=z"#), vec!["A=x y", "B=z"]);
        assert_eq!(commands(r#"echo "\$HOME \q""#), vec![vec!["echo", "$HOME \\q"]]);
    }

    #[test]
    fn operators_and_comments_split_commands() {
        let got = commands("cd /app && pip install x || true; a | b & c # d; e\nf 'g;h'");
        assert_eq!(
            got,
            vec![
                vec!["cd", "/app"],
                vec!["pip", "install", "x"],
                vec!["true"],
                vec!["a"],
                vec!["b"],
                vec!["c"],
                vec!["f", "g;h"]
            ]
        );
        assert_eq!(commands("a\\\n b"), vec![vec!["a", "b"]]);
        assert_eq!(commands("x#y"), vec![vec!["x#y"]]);
    }

    #[test]
    fn expansion_of_port_forms() {
        let v = vars(&[("PORT", "8000"), ("EMPTY", "")]);
        assert_eq!(expand("${PORT:-7860}", &v).as_deref(), Some("8000"));
        assert_eq!(expand("${OTHER:-7860}", &v).as_deref(), Some("7860"));
        assert_eq!(expand("${EMPTY:-7860}", &v).as_deref(), Some("7860"));
        assert_eq!(expand("${EMPTY-7860}", &v).as_deref(), Some(""));
        assert_eq!(expand("0.0.0.0:$PORT", &v).as_deref(), Some("0.0.0.0:8000"));
        assert_eq!(expand("${OTHER:-${PORT}}", &v).as_deref(), Some("8000"));
        assert_eq!(expand("$OTHER", &v), None);
        assert_eq!(expand("$(get-port)", &v), None);
        assert_eq!(expand("${#PORT}", &v), None);
        assert_eq!(expand("7860", &v).as_deref(), Some("7860"));
        let deep = format!("{}7860{}", "${X:-".repeat(100), "}".repeat(100));
        assert_eq!(expand(&deep, &v), None);
    }

    #[test]
    fn assignments_and_basenames() {
        assert_eq!(assignment("PORT=${PORT:-7860}"), Some(("PORT", "${PORT:-7860}")));
        assert_eq!(assignment("--port=1"), None);
        assert_eq!(assignment("1A=x"), None);
        assert_eq!(basename("/usr/local/bin/uvicorn"), "uvicorn");
    }
}
