//! Token and endpoint resolution, identical to huggingface_hub's `get_token` (reference §5, §0.1): the OIDC
//! exchange when `HF_OIDC_RESOURCE` is set (see [`crate::oauth`]; a failure is an error), then `HF_TOKEN`
//! (or, when it is unset or empty, `HUGGING_FACE_HUB_TOKEN`), then the file at `HF_TOKEN_PATH` (default
//! `$HF_HOME/token`), refreshed first when it is an `hf auth login` token close to expiry. Line breaks and
//! surrounding whitespace are stripped; an empty result means "no token". The Colab secret is not supported.
//! The token is resolved once per [`EnvAuth`] (Python caches it per process, too).
//!
//! Resolution reads the environment through a lookup function, so tests never touch the process env.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::{ErrorKind, HubError};

/// The public Hub.
pub const DEFAULT_ENDPOINT: &str = "https://huggingface.co";
/// Used when `HUGGINGFACE_CO_STAGING` is truthy (it overrides `HF_ENDPOINT`, as in huggingface_hub).
pub const STAGING_ENDPOINT: &str = "https://hub-ci.huggingface.co";

/// A Hub token. `Debug`/`Display` print a mask such as `hf_…(redacted)`; only [`Token::expose`] reveals it.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// Wraps a token (already cleaned).
    pub fn new(token: impl Into<String>) -> Token {
        Token(token.into())
    }

    /// The secret itself, for the `Authorization` header only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    fn mask(&self) -> &'static str {
        if self.0.starts_with("hf_") { "hf_…(redacted)" } else { "…(redacted)" }
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Token({})", self.mask())
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.mask())
    }
}

/// Where a token came from, for messages such as "the token from HF_TOKEN was rejected".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenSource {
    /// Given explicitly by the caller (e.g. a `--token` flag).
    Explicit,
    /// An environment variable (`HF_TOKEN` or `HUGGING_FACE_HUB_TOKEN`).
    Env(&'static str),
    /// A token file (`HF_TOKEN_PATH` or `$HF_HOME/token`).
    File(PathBuf),
    /// The token file, holding an `hf auth login` OAuth token that `stored_tokens` says expires at
    /// `expires_at` (Unix seconds).
    Login {
        /// The token file.
        path: PathBuf,
        /// Its `stored_tokens` entry.
        name: String,
        /// When the access token expires.
        expires_at: i64,
    },
    /// The OIDC token exchange for `HF_OIDC_RESOURCE` (Trusted Publishers).
    Oidc(String),
}

impl fmt::Display for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenSource::Explicit => f.write_str("the token given on the command line"),
            TokenSource::Env(var) => write!(f, "the {var} environment variable"),
            TokenSource::File(p) => write!(f, "the token file {}", p.display()),
            TokenSource::Login { path, name, expires_at } if *expires_at <= crate::oauth::unix_now() => write!(
                f,
                "the token file {} (the `hf auth login` token `{name}`, which expired at {}: run `hf auth login` to log in again)",
                path.display(),
                crate::oauth::utc(*expires_at)
            ),
            TokenSource::Login { path, name, expires_at } => write!(
                f,
                "the token file {} (the `hf auth login` token `{name}`, valid until {})",
                path.display(),
                crate::oauth::utc(*expires_at)
            ),
            TokenSource::Oidc(resource) => write!(f, "the OIDC token exchange for HF_OIDC_RESOURCE={resource}"),
        }
    }
}

/// A token and its origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedToken {
    /// The token.
    pub token: Token,
    /// Where it was found.
    pub source: TokenSource,
}

/// Token resolution as a service (DESIGN §5), so commands and a future gateway share one implementation.
pub trait AuthService: Send + Sync {
    /// The token to send and its origin; `Ok(None)` when none is configured anywhere.
    fn resolve_token(&self) -> Result<Option<ResolvedToken>, HubError>;

    /// The Hub endpoint, without a trailing `/`.
    fn endpoint(&self) -> String;

    /// Where tokens are looked for, in order, for "no token"/"bad token" messages.
    fn token_locations(&self) -> String;

    /// Notices from resolving the token (a refreshed login, or why a refresh failed); never a token.
    fn notices(&self) -> Vec<String> {
        Vec::new()
    }

    /// The token, or a `NO_TOKEN` error that says where tokens are looked for.
    fn require_token(&self) -> Result<ResolvedToken, HubError> {
        self.resolve_token()?.ok_or_else(|| {
            HubError::new(ErrorKind::NoToken, "authenticate to the Hub", "no Hugging Face token was found")
                .with_hint(format!("looked in {}; set HF_TOKEN or run `hf auth login`", self.token_locations()))
        })
    }
}

type Lookup = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// [`AuthService`] over an environment lookup (the process env, or a map in tests).
#[derive(Clone)]
pub struct EnvAuth {
    lookup: Lookup,
    explicit: Option<Token>,
    /// The resolved token: an OIDC exchange or a refresh must happen once, not on every call.
    resolved: Arc<std::sync::Mutex<Option<Option<ResolvedToken>>>>,
    notices: Arc<std::sync::Mutex<Vec<String>>>,
}

impl fmt::Debug for EnvAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnvAuth").field("explicit", &self.explicit).finish_non_exhaustive()
    }
}

impl EnvAuth {
    /// Reads the real process environment.
    pub fn from_process_env() -> EnvAuth {
        EnvAuth::with_lookup(|k| std::env::var(k).ok())
    }

    /// Reads variables through `lookup`.
    pub fn with_lookup(lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> EnvAuth {
        EnvAuth { lookup: Arc::new(lookup), explicit: None, resolved: Default::default(), notices: Default::default() }
    }

    /// Reads variables from a fixed list of pairs.
    pub fn with_vars<K: Into<String>, V: Into<String>>(vars: impl IntoIterator<Item = (K, V)>) -> EnvAuth {
        let map: std::collections::HashMap<String, String> = vars.into_iter().map(|(k, v)| (k.into(), v.into())).collect();
        EnvAuth::with_lookup(move |k| map.get(k).cloned())
    }

    /// A token given explicitly wins over the environment (like `token=` in huggingface_hub).
    pub fn with_explicit_token(mut self, token: Option<Token>) -> EnvAuth {
        self.explicit = token;
        self
    }

    fn var(&self, name: &str) -> Option<String> {
        (self.lookup)(name)
    }

    /// `HF_HOME`, defaulting to `$XDG_CACHE_HOME/huggingface` or `~/.cache/huggingface`; `~` and `$VARS` expanded.
    pub fn hf_home(&self) -> PathBuf {
        let raw = match self.var("HF_HOME") {
            Some(h) => h,
            None => {
                let cache = self.var("XDG_CACHE_HOME").unwrap_or_else(|| format!("{}/.cache", self.home_or_tilde()));
                format!("{cache}/huggingface")
            }
        };
        PathBuf::from(expand_vars(&expand_user(&raw, self.var("HOME").as_deref()), &|k| self.var(k)))
    }

    /// The token file: `HF_TOKEN_PATH`, else `$HF_HOME/token`, with `~` then `$VAR`/`${VAR}` expanded as
    /// huggingface_hub's `constants.py` does (`os.path.expandvars(os.path.expanduser(...))`).
    pub fn token_path(&self) -> PathBuf {
        if self.staging() {
            // constants.py: staging mode keeps its token apart, in `~/.cache/huggingface_staging/token`.
            return PathBuf::from(format!("{}/.cache/huggingface_staging/token", self.home_or_tilde()));
        }
        self.configured_token_path()
    }

    fn configured_token_path(&self) -> PathBuf {
        let raw = match self.var("HF_TOKEN_PATH") {
            Some(p) => p,
            None => self.hf_home().join("token").to_string_lossy().into_owned(),
        };
        PathBuf::from(expand_vars(&expand_user(&raw, self.var("HOME").as_deref()), &|k| self.var(k)))
    }

    /// `HF_STORED_TOKENS_PATH`: `stored_tokens` beside the configured token file (constants.py computes it
    /// before the staging override, so staging mode reads the same file).
    pub fn stored_tokens_path(&self) -> PathBuf {
        crate::oauth::stored_tokens_path(&self.configured_token_path())
    }

    fn staging(&self) -> bool {
        self.var("HUGGINGFACE_CO_STAGING").is_some_and(|v| is_truthy(&v))
    }

    fn home_or_tilde(&self) -> String {
        self.var("HOME").unwrap_or_else(|| "~".into())
    }
}

impl AuthService for EnvAuth {
    fn resolve_token(&self) -> Result<Option<ResolvedToken>, HubError> {
        if let Some(t) = &self.explicit {
            return Ok(Some(ResolvedToken { token: t.clone(), source: TokenSource::Explicit }));
        }
        let mut cached = self.resolved.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(r) = &*cached {
            return Ok(r.clone());
        }
        let r = self.resolve_uncached()?;
        *cached = Some(r.clone());
        Ok(r)
    }

    fn notices(&self) -> Vec<String> {
        self.notices.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn endpoint(&self) -> String {
        self.endpoint_of_env()
    }

    fn token_locations(&self) -> String {
        self.locations()
    }
}

impl EnvAuth {
    fn resolve_uncached(&self) -> Result<Option<ResolvedToken>, HubError> {
        // Trusted Publishers first; opting in is explicit, so a failed exchange is an error, not a fallback.
        if let Some(resource) = self.var("HF_OIDC_RESOURCE").filter(|r| !r.is_empty()) {
            let lookup = |k: &str| self.var(k);
            let t = crate::oauth::oidc_exchange(&lookup, &self.endpoint_of_env(), &resource)?;
            return Ok(Some(ResolvedToken { token: Token(t.access_token), source: TokenSource::Oidc(resource) }));
        }
        // Python: `os.environ.get("HF_TOKEN") or os.environ.get("HUGGING_FACE_HUB_TOKEN")`, then cleaned: an
        // empty HF_TOKEN falls through to the legacy name, a whitespace-only one falls through to the file.
        let env = match self.var("HF_TOKEN").filter(|v| !v.is_empty()) {
            Some(v) => Some(("HF_TOKEN", v)),
            None => self.var("HUGGING_FACE_HUB_TOKEN").filter(|v| !v.is_empty()).map(|v| ("HUGGING_FACE_HUB_TOKEN", v)),
        };
        if let Some((name, v)) = env
            && let Some(t) = clean_token(&v)
        {
            return Ok(Some(ResolvedToken { token: Token(t), source: TokenSource::Env(name) }));
        }
        let path = self.token_path();
        let Some(t) = read_token_file(&path)? else { return Ok(None) };
        let lookup = |k: &str| self.var(k);
        let file = crate::oauth::refresh_if_needed(&lookup, &self.endpoint_of_env(), &path, &self.stored_tokens_path(), t);
        if let Some(n) = file.notice {
            self.notices.lock().unwrap_or_else(|p| p.into_inner()).push(n);
        }
        let source = match file.login {
            Some(l) => TokenSource::Login { path, name: l.name, expires_at: l.expires_at },
            None => TokenSource::File(path),
        };
        Ok(Some(ResolvedToken { token: Token(file.token), source }))
    }

    fn endpoint_of_env(&self) -> String {
        if self.staging() {
            return STAGING_ENDPOINT.to_string();
        }
        match self.var("HF_ENDPOINT") {
            // huggingface_hub uses `.rstrip("/")`.
            Some(e) => e.trim_end_matches('/').to_string(),
            None => DEFAULT_ENDPOINT.to_string(),
        }
    }

    fn locations(&self) -> String {
        format!(
            "the HF_TOKEN and HUGGING_FACE_HUB_TOKEN environment variables, then the token file {} (HF_TOKEN_PATH, default $HF_HOME/token)",
            self.token_path().display()
        )
    }
}

/// huggingface_hub's `_clean_token`: drop `\r` and `\n`, strip, empty means none.
pub fn clean_token(raw: &str) -> Option<String> {
    let t: String = raw.chars().filter(|c| *c != '\r' && *c != '\n').collect();
    let t = t.trim();
    (!t.is_empty()).then(|| t.to_string())
}

fn read_token_file(path: &Path) -> Result<Option<String>, HubError> {
    match std::fs::read(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(s) => Ok(clean_token(&s)),
            Err(_) => Err(token_file_error(path, "it is not UTF-8 text".into())),
        },
        // Only a missing file means "no token"; anything else is reported, as Python raises it.
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(token_file_error(path, e.to_string())),
    }
}

fn token_file_error(path: &Path, why: String) -> HubError {
    HubError::new(ErrorKind::TokenFileUnreadable, format!("read the token file {}", path.display()), why)
        .with_hint("fix its permissions, or set HF_TOKEN / HF_TOKEN_PATH to use another token")
}

fn is_truthy(v: &str) -> bool {
    matches!(v.to_ascii_uppercase().as_str(), "1" | "ON" | "YES" | "TRUE")
}

/// `os.path.expanduser` for `~` and `~/...` (other users' homes are left as is).
fn expand_user(path: &str, home: Option<&str>) -> String {
    match (path.strip_prefix('~'), home) {
        (Some(rest), Some(home)) if rest.is_empty() || rest.starts_with('/') => {
            format!("{}{rest}", home.trim_end_matches('/'))
        }
        _ => path.to_string(),
    }
}

/// `os.path.expandvars`: `$NAME` and `${NAME}`; unknown variables are left unchanged.
fn expand_vars(s: &str, lookup: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let (name, consumed) = if let Some(inner) = after.strip_prefix('{') {
            match inner.find('}') {
                Some(end) => (&inner[..end], end + 2),
                None => ("", 0),
            }
        } else {
            let end = after.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(after.len());
            (&after[..end], end)
        };
        match (name.is_empty(), lookup(name)) {
            (false, Some(v)) => out.push_str(&v),
            _ => out.push_str(&rest[i..i + 1 + consumed]),
        }
        rest = &rest[i + 1 + consumed..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth(vars: &[(&str, &str)]) -> EnvAuth {
        EnvAuth::with_vars(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())))
    }

    fn resolved(a: &EnvAuth) -> Option<(String, TokenSource)> {
        a.resolve_token().unwrap().map(|r| (r.token.expose().to_string(), r.source))
    }

    #[test]
    fn precedence_env_then_legacy_then_file() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().to_str().unwrap();
        std::fs::write(dir.path().join("token"), "  hf_file\r\n").unwrap();
        let base = [("HF_HOME", home)];
        let file = Some(("hf_file".into(), TokenSource::File(dir.path().join("token"))));
        assert_eq!(resolved(&auth(&base)), file);
        let with = |extra: &[(&str, &str)]| {
            let mut v = base.to_vec();
            v.extend_from_slice(extra);
            resolved(&auth(&v))
        };
        assert_eq!(with(&[("HF_TOKEN", "hf_env")]), Some(("hf_env".into(), TokenSource::Env("HF_TOKEN"))));
        assert_eq!(
            with(&[("HF_TOKEN", "hf_env"), ("HUGGING_FACE_HUB_TOKEN", "hf_legacy")]),
            Some(("hf_env".into(), TokenSource::Env("HF_TOKEN")))
        );
        assert_eq!(
            with(&[("HUGGING_FACE_HUB_TOKEN", " hf_legacy\n")]),
            Some(("hf_legacy".into(), TokenSource::Env("HUGGING_FACE_HUB_TOKEN")))
        );
        // Empty HF_TOKEN falls through to the legacy variable...
        assert_eq!(
            with(&[("HF_TOKEN", ""), ("HUGGING_FACE_HUB_TOKEN", "hf_legacy")]),
            Some(("hf_legacy".into(), TokenSource::Env("HUGGING_FACE_HUB_TOKEN")))
        );
        // ...but a whitespace-only one is truthy in Python, cleans to nothing, and falls through to the file.
        assert_eq!(with(&[("HF_TOKEN", " \n"), ("HUGGING_FACE_HUB_TOKEN", "hf_legacy")]), file);
        // An explicit token wins over everything.
        let explicit = auth(&[("HF_TOKEN", "hf_env")]).with_explicit_token(Some(Token::new("hf_x")));
        assert_eq!(resolved(&explicit), Some(("hf_x".into(), TokenSource::Explicit)));
    }

    #[test]
    fn token_path_and_home_defaults() {
        let a = auth(&[("HOME", "/home/u")]);
        assert_eq!(a.hf_home(), PathBuf::from("/home/u/.cache/huggingface"));
        assert_eq!(a.token_path(), PathBuf::from("/home/u/.cache/huggingface/token"));
        let a = auth(&[("HOME", "/home/u"), ("XDG_CACHE_HOME", "/xdg")]);
        assert_eq!(a.token_path(), PathBuf::from("/xdg/huggingface/token"));
        let a = auth(&[("HOME", "/home/u"), ("HF_HOME", "~/hf/$SUB/${SUB}/$MISSING")]);
        let a2 = auth(&[("HOME", "/home/u"), ("HF_HOME", "~/hf"), ("HF_TOKEN_PATH", "/etc/tok")]);
        assert_eq!(a.hf_home(), PathBuf::from("/home/u/hf/$SUB/${SUB}/$MISSING"));
        assert_eq!(a2.token_path(), PathBuf::from("/etc/tok"));
        let a = auth(&[("HOME", "/h"), ("SUB", "s"), ("HF_HOME", "$HOME/x/${SUB}")]);
        assert_eq!(a.hf_home(), PathBuf::from("/h/x/s"));
        // HF_TOKEN_PATH: `~` first, then variables; unknown ones stay as written, `~user` is not ours.
        let tp = |v: &str| auth(&[("HOME", "/home/u"), ("CI_DIR", "/ci"), ("HF_TOKEN_PATH", v)]).token_path();
        assert_eq!(tp("~/tok"), PathBuf::from("/home/u/tok"));
        assert_eq!(tp("~"), PathBuf::from("/home/u"));
        assert_eq!(tp("$CI_DIR/hf/token"), PathBuf::from("/ci/hf/token"));
        assert_eq!(tp("${CI_DIR}/token"), PathBuf::from("/ci/token"));
        assert_eq!(tp("$NOPE/${NOPE}/t"), PathBuf::from("$NOPE/${NOPE}/t"));
        assert_eq!(tp("~bob/t"), PathBuf::from("~bob/t"));
        assert_eq!(tp("/a/$/b${"), PathBuf::from("/a/$/b${"));
    }

    #[test]
    fn token_file_at_an_expanded_hf_token_path_is_read() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("tok"), "hf_from_file\n").unwrap();
        let a = auth(&[("HOME", dir.path().to_str().unwrap()), ("HF_TOKEN_PATH", "~/tok")]);
        assert_eq!(resolved(&a), Some(("hf_from_file".into(), TokenSource::File(dir.path().join("tok")))));
        let a = auth(&[("TOKDIR", dir.path().to_str().unwrap()), ("HF_TOKEN_PATH", "${TOKDIR}/tok")]);
        assert_eq!(resolved(&a).map(|r| r.0), Some("hf_from_file".into()));
    }

    #[test]
    fn missing_empty_and_unreadable_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("tok");
        let a = auth(&[("HF_TOKEN_PATH", p.to_str().unwrap())]);
        assert_eq!(resolved(&a), None);
        let e = a.require_token().unwrap_err();
        assert_eq!(e.code(), "NO_TOKEN");
        assert!(e.to_string().contains(p.to_str().unwrap()), "{e}");
        assert!(e.to_string().contains("HF_TOKEN"), "{e}");
        std::fs::write(&p, " \n\n").unwrap();
        assert_eq!(resolved(&a), None);
        // A directory is not a missing file: Python raises, so do we.
        let a = auth(&[("HF_TOKEN_PATH", dir.path().to_str().unwrap())]);
        assert_eq!(a.resolve_token().unwrap_err().code(), "TOKEN_FILE_UNREADABLE");
    }

    #[test]
    fn staging_mode_has_its_own_token_file_but_the_same_stored_tokens() {
        let a = auth(&[("HOME", "/home/u"), ("HF_HOME", "/hf"), ("HUGGINGFACE_CO_STAGING", "1")]);
        assert_eq!(a.token_path(), PathBuf::from("/home/u/.cache/huggingface_staging/token"));
        assert_eq!(a.stored_tokens_path(), PathBuf::from("/hf/stored_tokens"));
        let a = auth(&[("HOME", "/home/u"), ("HF_TOKEN_PATH", "/t/token")]);
        assert_eq!((a.token_path(), a.stored_tokens_path()), (PathBuf::from("/t/token"), PathBuf::from("/t/stored_tokens")));
    }

    #[test]
    fn endpoint_resolution() {
        assert_eq!(auth(&[]).endpoint(), DEFAULT_ENDPOINT);
        assert_eq!(auth(&[("HF_ENDPOINT", "http://127.0.0.1:9/")]).endpoint(), "http://127.0.0.1:9");
        assert_eq!(auth(&[("HF_ENDPOINT", "http://h"), ("HUGGINGFACE_CO_STAGING", "yes")]).endpoint(), STAGING_ENDPOINT);
        assert_eq!(auth(&[("HUGGINGFACE_CO_STAGING", "0")]).endpoint(), DEFAULT_ENDPOINT);
    }

    #[test]
    fn token_is_masked() {
        let t = Token::new("hf_supersecret");
        assert_eq!(format!("{t}"), "hf_…(redacted)");
        assert_eq!(format!("{t:?}"), "Token(hf_…(redacted))");
        let r = ResolvedToken { token: Token::new("abc_secret"), source: TokenSource::Explicit };
        assert!(!format!("{r:?}").contains("secret"));
    }

    #[test]
    fn clean_token_rules() {
        assert_eq!(clean_token(" a\r\nb \n"), Some("ab".into()));
        assert_eq!(clean_token("\n"), None);
    }
}
