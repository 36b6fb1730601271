//! Secret discovery and secret input.
//!
//! The secrets a project needs are read from its code by `spacesmith_readers::secrets` (the reader the
//! plugins use too, so `secrets`, `deploy` and a plugin's own answer agree); this module adapts it to
//! the host's reports. Variables the Hub sets in every Space are never reported.
//!
//! Values come from `KEY=VALUE` flags, the environment (`KEY` alone) or a `.env` file; they are only
//! ever handed to the Hub client, never formatted into a message.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;
use spacesmith_hub::{SecretEntry, SecretValue, VariableEntry};
use spacesmith_runtime::SecretStage;
use spacesmith_spec::project::ProjectFile;

use crate::error::{AppError, ErrorCode};

pub use spacesmith_readers::secrets::{HUB_PROVIDED, looks_secret, valid_key};

/// A secret the project's code needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NeededSecret {
    pub name: String,
    /// `build` when the Dockerfile mounts it, else `runtime`.
    pub stage: SecretStage,
    pub required: bool,
    /// `path:line` of every reference.
    pub found_in: Vec<String>,
}

/// The secrets `files` reference, sorted by name.
pub fn scan(files: &[ProjectFile]) -> Vec<NeededSecret> {
    let texts =
        files.iter().filter(|f| !f.binary).filter_map(|f| Some((f.path.as_str(), std::str::from_utf8(&f.contents).ok()?)));
    spacesmith_readers::secrets::scan(texts)
        .into_iter()
        .map(|s| NeededSecret {
            stage: if s.build { SecretStage::Build } else { SecretStage::Runtime },
            required: s.required,
            found_in: s.found_in.iter().map(|(path, line)| format!("{path}:{line}")).collect(),
            name: s.name,
        })
        .collect()
}

/// Parses a `.env` file: `KEY=VALUE` lines, `#` comments, blank lines, an optional `export ` prefix,
/// single quotes (literal), double quotes (with `\n`, `\"`, `\\` escapes, may span lines), and
/// unquoted values ending at ` #`. Errors name the line, never its contents (it may hold a secret).
pub fn parse_dotenv(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    let mut lines = text.lines().enumerate();
    while let Some((n, raw)) = lines.next() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").map(str::trim_start).unwrap_or(line);
        let Some((key, value)) = line.split_once('=') else {
            return Err(format!("line {}: expected KEY=VALUE", n + 1));
        };
        let key = key.trim();
        if !valid_key(key) {
            return Err(format!("line {}: `{key}` is not a valid name (letters, digits and _)", n + 1));
        }
        let value = value.trim_start();
        let parsed = if let Some(body) = value.strip_prefix('\'') {
            match body.find('\'') {
                Some(end) => body[..end].to_string(),
                None => return Err(format!("line {}: unterminated single quote", n + 1)),
            }
        } else if let Some(body) = value.strip_prefix('"') {
            let mut acc = String::new();
            let mut chunk = body.to_string();
            loop {
                match unescape_until_quote(&chunk, &mut acc) {
                    true => break,
                    false => match lines.next() {
                        Some((_, next)) => {
                            acc.push('\n');
                            chunk = next.to_string();
                        }
                        None => return Err(format!("line {}: unterminated double quote", n + 1)),
                    },
                }
            }
            acc
        } else {
            let v = match value.find(" #").or_else(|| value.find("\t#")) {
                Some(i) => &value[..i],
                None => value,
            };
            v.trim_end().to_string()
        };
        out.push((key.to_string(), parsed));
    }
    Ok(out)
}

/// Appends `s` up to an unescaped `"` to `acc`; false if the line ends first.
fn unescape_until_quote(s: &str, acc: &mut String) -> bool {
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return true,
            '\\' => match chars.next() {
                Some('n') => acc.push('\n'),
                Some('t') => acc.push('\t'),
                Some(o) => acc.push(o),
                None => acc.push('\\'),
            },
            c => acc.push(c),
        }
    }
    false
}

/// Secrets from `.env` files and `KEY[=VALUE]` flags (later wins). A bare `KEY` takes its value from
/// `env`, then from the files.
pub fn collect_secrets(
    flags: &[String],
    files: &[&Path],
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<SecretEntry>, AppError> {
    let mut values: BTreeMap<String, String> = BTreeMap::new();
    for file in files {
        let text = std::fs::read_to_string(file).map_err(|e| {
            AppError::new(ErrorCode::SecretsFileUnreadable, format!("cannot read {}: {e}", file.display()))
                .hint("Pass a .env file of KEY=VALUE lines.")
        })?;
        let pairs = parse_dotenv(&text).map_err(|e| {
            AppError::new(ErrorCode::SecretsFileInvalid, format!("{}: {e}", file.display()))
                .hint("Each line is KEY=VALUE, `export KEY=VALUE`, or a # comment.")
        })?;
        values.extend(pairs);
    }
    let mut order: Vec<String> = values.keys().cloned().collect();
    for flag in flags {
        let (key, value) = match flag.split_once('=') {
            Some((k, v)) => (k.trim().to_string(), Some(v.to_string())),
            None => (flag.trim().to_string(), None),
        };
        check_key(&key, "secret")?;
        let value = match value.or_else(|| env(&key)).or_else(|| values.get(&key).cloned()) {
            Some(v) => v,
            None => {
                return Err(AppError::new(ErrorCode::SecretValueMissing, format!("no value for secret {key}"))
                    .hint(format!("`--secret {key}` reads ${key} from the environment: export it, or pass a .env file.")));
            }
        };
        if !order.contains(&key) {
            order.push(key.clone());
        }
        values.insert(key, value);
    }
    Ok(order
        .into_iter()
        .filter_map(|k| {
            let v = values.remove(&k)?;
            Some(SecretEntry { key: k, value: SecretValue::new(v), description: None })
        })
        .collect())
}

/// Variables from `K=V` flags.
pub fn collect_variables(flags: &[String]) -> Result<Vec<VariableEntry>, AppError> {
    let mut out: Vec<VariableEntry> = Vec::new();
    for flag in flags {
        let Some((k, v)) = flag.split_once('=') else {
            return Err(AppError::new(ErrorCode::BadVariable, format!("`--variable {flag}` has no value"))
                .hint("Pass --variable KEY=VALUE (variables are public; use --secret for credentials)."));
        };
        check_key(k.trim(), "variable")?;
        out.retain(|e| e.key != k.trim());
        out.push(VariableEntry { key: k.trim().to_string(), value: v.to_string(), description: None });
    }
    Ok(out)
}

pub fn check_key(key: &str, what: &str) -> Result<(), AppError> {
    if valid_key(key) {
        Ok(())
    } else {
        Err(AppError::new(ErrorCode::BadKey, format!("`{key}` is not a valid {what} name"))
            .hint("Use letters, digits and _, not starting with a digit."))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, text: &str) -> ProjectFile {
        ProjectFile::text(path, text.as_bytes().to_vec())
    }

    #[test]
    fn finds_secrets_in_code() {
        let files = vec![
            file(
                "app.py",
                "import os\nPORT = int(os.environ.get(\"PORT\", \"7860\"))\nk = os.environ[\"OPENAI_API_KEY\"]\nt = os.environ.get('API_TOKEN')\nx = os.getenv(\"DB_PASSWORD\", \"\")\ns = os.getenv(\"SPACE_ID\")\n# os.environ['COMMENTED_TOKEN']\n",
            ),
            file(
                "Dockerfile",
                "FROM x\nRUN --mount=type=secret,id=GIT_TOKEN,mode=0444,required=false sh s\nRUN --mount=type=secret,id=NPM_TOKEN,required=true npm ci\n",
            ),
            file("start.sh", "#!/bin/sh\nprintf '%s' \"${GIT_TOKEN:-}\"\necho $APP_REPO_URL $HF_TOKEN $token\n"),
            file("web/index.js", "const k = process.env.STRIPE_SECRET; const p = process.env['PORT'];\n"),
        ];
        let got: Vec<(String, SecretStage, bool)> = scan(&files).into_iter().map(|s| (s.name, s.stage, s.required)).collect();
        let want = [
            ("API_TOKEN", SecretStage::Runtime, true),
            ("DB_PASSWORD", SecretStage::Runtime, false),
            ("GIT_TOKEN", SecretStage::Build, false),
            ("HF_TOKEN", SecretStage::Runtime, true),
            ("NPM_TOKEN", SecretStage::Build, true),
            ("OPENAI_API_KEY", SecretStage::Runtime, true),
            ("STRIPE_SECRET", SecretStage::Runtime, false),
        ];
        let want: Vec<(String, SecretStage, bool)> = want.iter().map(|(n, s, r)| (n.to_string(), *s, *r)).collect();
        assert_eq!(got, want);
        let git = scan(&files).into_iter().find(|s| s.name == "GIT_TOKEN").unwrap();
        assert_eq!(git.found_in, ["Dockerfile:2", "start.sh:2"]);
    }

    #[test]
    fn dotenv_parsing() {
        let text = "# comment\n\nexport A=1\nB = two words # note\nC='lit # not a comment'\nD=\"x\\ny \\\"q\\\"\"\nE=\"multi\nline\"\nF=\nG=a#b\n";
        let got = parse_dotenv(text).unwrap();
        let want = [
            ("A", "1"),
            ("B", "two words"),
            ("C", "lit # not a comment"),
            ("D", "x\ny \"q\""),
            ("E", "multi\nline"),
            ("F", ""),
            ("G", "a#b"),
        ];
        assert_eq!(got, want.map(|(k, v)| (k.to_string(), v.to_string())));
        let e = parse_dotenv("OK=1\nhf_secret_value\n").unwrap_err();
        assert_eq!(e, "line 2: expected KEY=VALUE");
        assert!(parse_dotenv("A=\"open\n").is_err());
    }

    #[test]
    fn secret_values_come_from_flags_env_then_file() {
        let dir = tempfile::tempdir().unwrap();
        let env_file = dir.path().join(".env");
        std::fs::write(&env_file, "FROM_FILE=f\nBOTH=file\n").unwrap();
        let env = |k: &str| (k == "BOTH" || k == "ONLY_ENV").then(|| format!("env-{k}"));
        let flags = ["BOTH".to_string(), "ONLY_ENV".into(), "X=given".into()];
        let got = collect_secrets(&flags, &[env_file.as_path()], &env).unwrap();
        let got: Vec<(&str, &str)> = got.iter().map(|s| (s.key.as_str(), s.value.expose())).collect();
        assert_eq!(got, [("BOTH", "env-BOTH"), ("FROM_FILE", "f"), ("ONLY_ENV", "env-ONLY_ENV"), ("X", "given")]);
        let e = collect_secrets(&["MISSING".into()], &[], &|_| None).unwrap_err();
        assert_eq!((e.code, e.exit()), (ErrorCode::SecretValueMissing, crate::error::Exit::Usage));
        assert!(collect_secrets(&["1BAD=x".into()], &[], &|_| None).is_err());
        assert!(collect_variables(&["NOVALUE".into()]).is_err());
        assert_eq!(collect_variables(&["A=1".into(), "A=2".into()]).unwrap()[0].value, "2");
    }
}
