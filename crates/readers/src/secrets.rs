//! The secrets a project's code reads, found in its files (a plugin's `scaffold` declares them for
//! `new`, but cannot be replayed on an existing repository):
//! - Dockerfile `RUN --mount=type=secret,id=X[,required=true]`: a build-time secret (BuildKit's
//!   default is `required=false`);
//! - Python `os.environ["X"]`, `os.environ.get("X")`, `os.getenv("X")` (and `environ`/`getenv` imported
//!   bare), JavaScript `process.env.X`, shell `$X`/`${X}`: a runtime secret, but only for names that
//!   look like one (TOKEN, SECRET, PASSWORD, API_KEY, ...). `PORT` or `APP_VERSION` are configuration,
//!   not secrets. A read without a default (`os.environ["X"]`, `.get("X")`, `$X`) makes it required.
//!
//! Variables the Hub sets in every Space ([`HUB_PROVIDED`]) are never reported. `HF_TOKEN` is: the Hub
//! does not inject it, a Space that calls the Hub needs it as a secret.

use std::collections::BTreeMap;

/// Set by the Hub in every Space (or by `hf_oauth`): never something the user provides.
pub const HUB_PROVIDED: [&str; 14] = [
    "SPACE_ID",
    "SPACE_HOST",
    "SPACE_AUTHOR_NAME",
    "SPACE_REPO_NAME",
    "SPACE_TITLE",
    "SPACE_CREATOR_USER_ID",
    "SYSTEM",
    "CPU_CORES",
    "MEMORY",
    "PERSISTANT_STORAGE_ENABLED",
    "OAUTH_CLIENT_ID",
    "OAUTH_CLIENT_SECRET",
    "OAUTH_SCOPES",
    "OPENID_PROVIDER_URL",
];

/// A secret the project's code reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecretUse {
    pub name: String,
    /// The Dockerfile mounts it at build time (else only the running app reads it).
    pub build: bool,
    /// Some read has no default.
    pub required: bool,
    /// (path, 1-based line) of every read, in file order, each once.
    pub found_in: Vec<(String, u32)>,
}

impl SecretUse {
    /// One sentence on why the project needs it, naming where it is read.
    pub fn why(&self) -> String {
        let places: Vec<String> = self.found_in.iter().take(3).map(|(path, line)| format!("{path}:{line}")).collect();
        let more = self.found_in.len().saturating_sub(places.len());
        let at = if more > 0 { format!("{} and {more} more", places.join(", ")) } else { places.join(", ") };
        match (self.build, self.required) {
            (true, _) => format!("the Docker build mounts it ({at})"),
            (false, true) => format!("the app reads it with no default ({at})"),
            (false, false) => format!("the app reads it when set ({at})"),
        }
    }
}

/// Whether an environment variable name holds a credential: a `_`-separated word TOKEN, SECRET, PASSWORD,
/// PASSWD, PASS, APIKEY, CREDENTIAL(S), or API/ACCESS/PRIVATE followed by KEY; not the names of where one
/// is (`*_PATH`, `*_FILE`, `*_DIR`, `*_URL`, `*_NAME`, `*_ENDPOINT`, `*_HEADER`), so `HF_TOKEN_PATH` and
/// `TOKENIZERS_PARALLELISM` are not secrets.
pub fn looks_secret(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    let parts: Vec<&str> = upper.split('_').filter(|p| !p.is_empty()).collect();
    if parts.last().is_some_and(|p| matches!(*p, "PATH" | "FILE" | "DIR" | "URL" | "NAME" | "ENDPOINT" | "HEADER")) {
        return false;
    }
    parts
        .iter()
        .any(|p| matches!(*p, "TOKEN" | "SECRET" | "PASSWORD" | "PASSWD" | "PASS" | "APIKEY" | "CREDENTIAL" | "CREDENTIALS"))
        || parts.windows(2).any(|w| matches!(w[0], "API" | "ACCESS" | "PRIVATE") && w[1] == "KEY")
}

/// A Space secret or variable name: letters, digits and `_`, not starting with a digit.
pub fn valid_key(key: &str) -> bool {
    !key.is_empty()
        && !key.starts_with(|c: char| c.is_ascii_digit())
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

struct Hit {
    name: String,
    build: bool,
    required: bool,
    line: u32,
}

/// The secrets `files` (path, text) read, sorted by name. The caller leaves out binary files.
pub fn scan<'a>(files: impl IntoIterator<Item = (&'a str, &'a str)>) -> Vec<SecretUse> {
    let mut by_name: BTreeMap<String, SecretUse> = BTreeMap::new();
    for (path, text) in files {
        let base = path.rsplit('/').next().unwrap_or(path);
        let ext = base.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
        let dockerfile = base == "Dockerfile" || base.ends_with(".Dockerfile") || base.starts_with("Dockerfile.");
        let mut hits = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line_no = u32::try_from(i + 1).unwrap_or(u32::MAX);
            if dockerfile {
                dockerfile_line(line, line_no, &mut hits);
            }
            match ext {
                "py" => python_line(line, line_no, &mut hits),
                "sh" | "bash" => shell_line(line, line_no, &mut hits),
                "js" | "mjs" | "cjs" | "ts" => js_line(line, line_no, &mut hits),
                _ => {}
            }
        }
        for h in hits {
            if HUB_PROVIDED.contains(&h.name.as_str()) || !valid_key(&h.name) {
                continue;
            }
            let e = by_name.entry(h.name.clone()).or_insert_with(|| SecretUse {
                name: h.name,
                build: false,
                required: false,
                found_in: Vec::new(),
            });
            e.build |= h.build;
            e.required |= h.required;
            let at = (path.to_string(), h.line);
            if !e.found_in.contains(&at) {
                e.found_in.push(at);
            }
        }
    }
    by_name.into_values().collect()
}

fn dockerfile_line(line: &str, at: u32, hits: &mut Vec<Hit>) {
    let mut rest = line;
    while let Some(i) = rest.find("--mount=") {
        let spec = rest[i + "--mount=".len()..].split_whitespace().next().unwrap_or("");
        rest = &rest[i + "--mount=".len()..];
        let kv: Vec<(&str, &str)> = spec.split(',').filter_map(|p| p.split_once('=')).collect();
        if !kv.iter().any(|(k, v)| *k == "type" && *v == "secret") {
            continue;
        }
        if let Some((_, id)) = kv.iter().find(|(k, _)| *k == "id") {
            let required = kv.iter().any(|(k, v)| *k == "required" && matches!(*v, "true" | "1"));
            hits.push(Hit { name: id.trim_matches(['"', '\'']).to_string(), build: true, required, line: at });
        }
    }
}

/// The quoted name at the start of `s` and what follows its closing quote.
fn quoted_name(s: &str) -> Option<(&str, &str)> {
    let s = s.trim_start();
    let q = s.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let body = &s[1..];
    let end = body.find(q)?;
    Some((&body[..end], &body[end + 1..]))
}

fn python_line(line: &str, at: u32, hits: &mut Vec<Hit>) {
    let code = line.split(" #").next().unwrap_or(line);
    if code.trim_start().starts_with('#') {
        return;
    }
    let mut push = |name: &str, required: bool| {
        if looks_secret(name) {
            hits.push(Hit { name: name.to_string(), build: false, required, line: at });
        }
    };
    for (pat, subscript) in [("environ[", true), ("environ.get(", false), ("getenv(", false)] {
        let mut rest = code;
        while let Some(i) = rest.find(pat) {
            rest = &rest[i + pat.len()..];
            if let Some((name, after)) = quoted_name(rest) {
                // Without a default the app gets a KeyError or None: the secret is required.
                let required = subscript || after.trim_start().starts_with(')');
                push(name, required);
            }
        }
    }
}

fn shell_line(line: &str, at: u32, hits: &mut Vec<Hit>) {
    if line.trim_start().starts_with('#') {
        return;
    }
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'$' {
            i += 1;
            continue;
        }
        let braced = bytes.get(i + 1) == Some(&b'{');
        let start = i + 1 + usize::from(braced);
        let end = start + line[start..].find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(line.len() - start);
        let name = &line[start..end];
        // `${X:-default}` / `${X-default}` tolerate an unset X.
        let has_default = braced && line[end..].starts_with([':', '-']);
        // Lower-case names are the script's own variables, not the environment's.
        if !name.is_empty() && !name.chars().any(|c| c.is_ascii_lowercase()) && looks_secret(name) {
            hits.push(Hit { name: name.to_string(), build: false, required: !has_default, line: at });
        }
        i = end.max(i + 1);
    }
}

fn js_line(line: &str, at: u32, hits: &mut Vec<Hit>) {
    let mut rest = line;
    while let Some(i) = rest.find("process.env") {
        rest = &rest[i + "process.env".len()..];
        let name = if let Some(r) = rest.strip_prefix('.') {
            r.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).next().unwrap_or("")
        } else if let Some(r) = rest.strip_prefix('[') {
            quoted_name(r).map(|(n, _)| n).unwrap_or("")
        } else {
            ""
        };
        if looks_secret(name) {
            hits.push(Hit { name: name.to_string(), build: false, required: false, line: at });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_secrets_and_their_locations_are_not() {
        for secret in [
            "HF_TOKEN",
            "GIT_TOKEN",
            "API_TOKEN",
            "OPENAI_API_KEY",
            "AWS_SECRET_ACCESS_KEY",
            "DB_PASSWORD",
            "db_pass",
            "APIKEY",
            "GOOGLE_APPLICATION_CREDENTIALS",
            "SSH_PRIVATE_KEY",
        ] {
            assert!(looks_secret(secret), "{secret}");
        }
        for plain in [
            "TOKENIZERS_PARALLELISM",
            "HF_TOKEN_PATH",
            "SECRET_FILE",
            "PASSWORD_URL",
            "KEYBOARD",
            "PORT",
            "HOME",
            "PWD",
            "MONKEY_KEY",
            "SPACE_ID",
        ] {
            assert!(!looks_secret(plain), "{plain}");
        }
    }

    #[test]
    fn finds_secrets_in_code() {
        let files = [
            (
                "app.py",
                "import os\nPORT = int(os.environ.get(\"PORT\", \"7860\"))\nk = os.environ[\"OPENAI_API_KEY\"]\nt = os.environ.get('API_TOKEN')\nx = os.getenv(\"DB_PASSWORD\", \"\")\ns = os.getenv(\"SPACE_ID\")\n# os.environ['COMMENTED_TOKEN']\n",
            ),
            (
                "Dockerfile",
                "FROM x\nRUN --mount=type=secret,id=GIT_TOKEN,mode=0444,required=false sh s\nRUN --mount=type=secret,id=NPM_TOKEN,required=true npm ci\n",
            ),
            ("start.sh", "#!/bin/sh\nprintf '%s' \"${GIT_TOKEN:-}\"\necho $APP_REPO_URL $HF_TOKEN $token\n"),
            ("web/index.js", "const k = process.env.STRIPE_SECRET; const p = process.env['PORT'];\n"),
        ];
        let got: Vec<(String, bool, bool)> = scan(files).into_iter().map(|s| (s.name, s.build, s.required)).collect();
        let want = [
            ("API_TOKEN", false, true),
            ("DB_PASSWORD", false, false),
            ("GIT_TOKEN", true, false),
            ("HF_TOKEN", false, true),
            ("NPM_TOKEN", true, true),
            ("OPENAI_API_KEY", false, true),
            ("STRIPE_SECRET", false, false),
        ];
        let want: Vec<(String, bool, bool)> = want.iter().map(|(n, b, r)| (n.to_string(), *b, *r)).collect();
        assert_eq!(got, want);
        let git = scan(files).into_iter().find(|s| s.name == "GIT_TOKEN").unwrap();
        assert_eq!(git.found_in, [("Dockerfile".to_string(), 2), ("start.sh".to_string(), 2)]);
    }

    #[test]
    fn names_that_cannot_be_secrets_are_dropped() {
        let files = [("a.py", "os.environ['MY TOKEN']\nos.environ['1_TOKEN']\nos.getenv('OAUTH_CLIENT_SECRET')\n")];
        assert_eq!(scan(files), []);
        assert!(valid_key("A_1") && !valid_key("") && !valid_key("1A") && !valid_key("A-B"));
    }

    #[test]
    fn every_read_is_listed_once() {
        let files = [("a.sh", "echo $API_TOKEN $API_TOKEN\necho ${API_TOKEN:-x}\n"), ("b/Dockerfile.dev", "RUN x\n")];
        let found = scan(files);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].found_in, [("a.sh".to_string(), 1), ("a.sh".to_string(), 2)]);
        assert!(found[0].required && !found[0].build);
    }
}
