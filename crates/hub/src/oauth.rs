//! Tokens huggingface_hub obtains or renews by itself, done the same way (huggingface_hub `utils/_auth.py`,
//! `_oidc.py`, `utils/_oauth_device.py`):
//!
//! - **OIDC token exchange** ("Trusted Publishers"), when `HF_OIDC_RESOURCE` is set: the id token comes
//!   from `HF_OIDC_ID_TOKEN`, or from GitHub Actions (`ACTIONS_ID_TOKEN_REQUEST_URL`/`_TOKEN`, audience =
//!   the endpoint); it is exchanged at `POST {endpoint}/oauth/token` (RFC 8693, JSON) for a 1-hour token.
//! - **OAuth refresh** of an `hf auth login` token: when the token file's token is a `stored_tokens` entry
//!   with `refresh_token` and `expires_at`, and less than a day of validity remains, it is renewed at
//!   `POST {endpoint}/oauth/token` (form, `grant_type=refresh_token`) under the `stored_tokens.lock` file
//!   lock, and the new token is written back to `stored_tokens` and the token file. Refreshing is
//!   best-effort, as in Python: a failure leaves the old token and a notice.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use crate::error::{ErrorKind, HubError};

/// RFC 8693 grant and subject type, as `_oidc.py` sends them.
pub const TOKEN_EXCHANGE_GRANT: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
/// The subject token type of the exchange.
pub const ID_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:id_token";
/// huggingface_hub's device-code OAuth client (`DEVICE_CODE_OAUTH_CLIENT_ID`), used for refreshes.
pub const DEFAULT_OAUTH_CLIENT_ID: &str = "26be6b09-91c5-47da-9861-d2d2bb7a7e36";
/// Refresh when less than this much validity remains (`_OAUTH_REFRESH_MARGIN`).
pub const REFRESH_MARGIN_SECS: i64 = 24 * 3600;
/// How long to wait for another process holding `stored_tokens.lock` (`WeakFileLock(timeout=30)`).
const LOCK_TIMEOUT: Duration = Duration::from_secs(30);
const MAX_ANSWER: u64 = 1024 * 1024;

type Lookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Seconds since the Unix epoch.
pub fn unix_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

fn agent(timeout: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_connect(Some(Duration::from_secs(10)))
        .timeout_global(Some(timeout))
        .user_agent(format!("spacesmith/{}", env!("CARGO_PKG_VERSION")))
        .build()
        .into()
}

/// An answer's status, JSON body (if any) and request id.
struct Answer {
    status: u16,
    json: Option<Value>,
    request_id: Option<String>,
}

fn read_answer(resp: ureq::http::Response<ureq::Body>) -> Answer {
    let status = resp.status().as_u16();
    let request_id = resp.headers().get("x-request-id").and_then(|v| v.to_str().ok()).map(str::to_string);
    let mut body = resp.into_body();
    let text = body.with_config().limit(MAX_ANSWER).read_to_string().unwrap_or_default();
    Answer { status, json: serde_json::from_str(&text).ok(), request_id }
}

fn field<'a>(v: &'a Option<Value>, key: &str) -> Option<&'a str> {
    v.as_ref().and_then(|v| v.get(key)).and_then(Value::as_str)
}

/// `application/x-www-form-urlencoded` / query component encoding.
pub fn form_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// A token obtained by the OIDC exchange.
#[derive(Debug)]
pub struct ExchangedToken {
    /// The Hub token (`hf_jwt_…`).
    pub access_token: String,
    /// Lifetime in seconds (3600 when the Hub does not say).
    pub expires_in: i64,
}

fn oidc_error(reason: impl Into<String>, hint: impl Into<String>) -> HubError {
    HubError::new(ErrorKind::Oidc, "get a Hub token by OIDC token exchange (HF_OIDC_RESOURCE)", reason).with_hint(hint)
}

/// `_get_token_from_oidc`: the id token from `HF_OIDC_ID_TOKEN` or GitHub Actions, exchanged for a Hub token
/// scoped to `resource`. Any failure is an error: opting in is explicit, so there is no silent fallback.
pub fn oidc_exchange(env: Lookup<'_>, endpoint: &str, resource: &str) -> Result<ExchangedToken, HubError> {
    let subject = match env("HF_OIDC_ID_TOKEN").filter(|t| !t.is_empty()) {
        Some(t) => t,
        None if env("GITHUB_ACTIONS").as_deref() == Some("true") => github_id_token(env, endpoint)?,
        None => {
            return Err(oidc_error(
                "HF_OIDC_RESOURCE is set but no OIDC id token is available: this is not a supported CI provider (GitHub Actions) and HF_OIDC_ID_TOKEN is not set",
                "set HF_OIDC_ID_TOKEN to the id token your CI provider mints (audience: the Hub's URL), or unset HF_OIDC_RESOURCE to use HF_TOKEN",
            ));
        }
    };
    let body = serde_json::json!({
        "grant_type": TOKEN_EXCHANGE_GRANT,
        "subject_token_type": ID_TOKEN_TYPE,
        "subject_token": subject,
        "resource": resource,
    });
    let url = format!("{endpoint}/oauth/token");
    let resp = agent(Duration::from_secs(60))
        .post(&url)
        .header("content-type", "application/json")
        .send(body.to_string())
        .map_err(|e| oidc_error(format!("cannot reach {url}: {e}"), "check the network and HF_ENDPOINT, then retry"))?;
    let a = read_answer(resp);
    if a.status >= 400 || field(&a.json, "access_token").is_none() {
        let code = field(&a.json, "error").unwrap_or("no error code");
        let desc = field(&a.json, "error_description").map(|d| format!(": {d}")).unwrap_or_default();
        let rid = a.request_id.map(|r| format!(" (request id {r})")).unwrap_or_default();
        return Err(oidc_error(
            format!("the Hub refused to exchange the OIDC id token for `{resource}` ({} {code}{desc}){rid}", a.status),
            format!(
                "add this workflow as a Trusted Publisher in the settings of `{resource}` on the Hub (claims such as repository, ref and workflow must match this job exactly), or unset HF_OIDC_RESOURCE to use the HF_TOKEN secret"
            ),
        ));
    }
    let access_token = field(&a.json, "access_token").unwrap_or_default().to_string();
    let expires_in = a.json.as_ref().and_then(|v| v.get("expires_in")).and_then(Value::as_i64).unwrap_or(3600);
    Ok(ExchangedToken { access_token, expires_in })
}

/// `_get_github_oidc_token`: `GET $ACTIONS_ID_TOKEN_REQUEST_URL&audience=<endpoint>` with the request token.
fn github_id_token(env: Lookup<'_>, audience: &str) -> Result<String, HubError> {
    let (Some(url), Some(token)) = (
        env("ACTIONS_ID_TOKEN_REQUEST_URL").filter(|v| !v.is_empty()),
        env("ACTIONS_ID_TOKEN_REQUEST_TOKEN").filter(|v| !v.is_empty()),
    ) else {
        return Err(oidc_error(
            "cannot request an OIDC id token from GitHub Actions: ACTIONS_ID_TOKEN_REQUEST_URL/ACTIONS_ID_TOKEN_REQUEST_TOKEN are not set",
            "give the workflow job `permissions: id-token: write` (GitHub only offers id tokens then)",
        ));
    };
    let sep = if url.contains('?') { '&' } else { '?' };
    let full = format!("{url}{sep}audience={}", form_encode(audience));
    let resp = agent(Duration::from_secs(60))
        .get(&full)
        .header("authorization", format!("Bearer {token}"))
        .call()
        .map_err(|e| oidc_error(format!("cannot reach GitHub's OIDC token service: {e}"), "retry the job"))?;
    let a = read_answer(resp);
    match field(&a.json, "value") {
        Some(v) if a.status < 400 => Ok(v.to_string()),
        _ => Err(oidc_error(
            format!("GitHub's OIDC token service answered {} without an id token", a.status),
            "check that the job has `permissions: id-token: write`, then retry",
        )),
    }
}

// ---------- stored_tokens (an INI file written by Python's configparser) ----------

/// Sections of `stored_tokens`, each with its fields (`hf_token`, and for OAuth logins `refresh_token`,
/// `expires_at`).
pub type StoredTokens = BTreeMap<String, BTreeMap<String, String>>;

/// `stored_tokens` next to the token file (`HF_STORED_TOKENS_PATH = dirname(HF_TOKEN_PATH)/stored_tokens`).
pub fn stored_tokens_path(token_path: &Path) -> PathBuf {
    token_path.parent().unwrap_or(Path::new("")).join("stored_tokens")
}

/// Parses the file as configparser does (`=`/`:` delimiters, lower-cased keys, `#`/`;` comment lines,
/// `[DEFAULT]` merged into every section). `None` where Python's parser raises (it then ignores the file).
pub fn parse_stored_tokens(text: &str) -> Option<StoredTokens> {
    let mut sections: StoredTokens = BTreeMap::new();
    let mut defaults: BTreeMap<String, String> = BTreeMap::new();
    let mut current: Option<String> = None;
    let mut last_key: Option<String> = None;
    for raw in text.lines() {
        let line = raw.trim_end_matches('\r');
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
            last_key = None;
            continue;
        }
        if line.starts_with([' ', '\t']) {
            // A continuation line: part of the previous value.
            let (Some(sec), Some(key)) = (&current, &last_key) else { return None };
            let map = if sec == "DEFAULT" { &mut defaults } else { sections.get_mut(sec)? };
            let v = map.get_mut(key)?;
            v.push('\n');
            v.push_str(trimmed);
            continue;
        }
        if let Some(name) = trimmed.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
            if name != "DEFAULT" && sections.insert(name.to_string(), BTreeMap::new()).is_some() {
                return None;
            }
            current = Some(name.to_string());
            last_key = None;
            continue;
        }
        let sec = current.as_ref()?;
        let at = trimmed.find(['=', ':'])?;
        let key = trimmed[..at].trim().to_lowercase();
        let value = trimmed[at + 1..].trim().to_string();
        if key.is_empty() {
            return None;
        }
        let map = if sec == "DEFAULT" { &mut defaults } else { sections.get_mut(sec)? };
        if map.insert(key.clone(), value).is_some() {
            return None;
        }
        last_key = Some(key);
    }
    for fields in sections.values_mut() {
        for (k, v) in &defaults {
            fields.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    Some(sections)
}

/// `_read_stored_tokens_full`: empty when the file is missing or unparsable.
pub fn read_stored_tokens(path: &Path) -> StoredTokens {
    fs::read_to_string(path).ok().and_then(|t| parse_stored_tokens(&t)).unwrap_or_default()
}

/// configparser's `write`: sections sorted by name (`_save_stored_tokens_full` sorts them), `key = value`,
/// a blank line after each section.
pub fn format_stored_tokens(tokens: &StoredTokens) -> String {
    let mut out = String::new();
    for (name, fields) in tokens {
        out.push_str(&format!("[{name}]\n"));
        for (k, v) in fields {
            out.push_str(&format!("{k} = {}\n", v.replace('\n', "\n\t")));
        }
        out.push('\n');
    }
    out
}

/// `_write_secret`: owner-only file (0600) and directory (0700) on Unix.
fn write_secret(path: &Path, content: &str) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        opts.mode(0o600);
        let mut f = opts.open(path)?;
        f.write_all(content.as_bytes())?;
        let _ = fs::set_permissions(path, fs::Permissions::from_mode(0o600));
        let _ = fs::set_permissions(dir, fs::Permissions::from_mode(0o700));
        Ok(())
    }
    #[cfg(not(unix))]
    {
        opts.open(path)?.write_all(content.as_bytes())
    }
}

// ---------- refresh ----------

/// What became of the token file's token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileToken {
    /// The token to send (refreshed, or as read).
    pub token: String,
    /// The `stored_tokens` entry it belongs to, when it is a refreshable `hf auth login` token.
    pub login: Option<LoginInfo>,
    /// A notice for the user (refreshed, or why a refresh failed); never holds a token.
    pub notice: Option<String>,
}

/// A refreshable login's name and expiry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginInfo {
    /// The `stored_tokens` section name (the token's name in `hf auth list`).
    pub name: String,
    /// Unix seconds when the access token expires.
    pub expires_at: i64,
}

/// `_refresh_oauth_token_if_needed` for the token read from `token_path`, with `stored_path` the
/// `stored_tokens` file (`HF_STORED_TOKENS_PATH`).
pub fn refresh_if_needed(env: Lookup<'_>, endpoint: &str, token_path: &Path, stored_path: &Path, token: String) -> FileToken {
    let stored = read_stored_tokens(stored_path);
    let Some((name, fields)) = stored.iter().find(|(_, f)| f.get("hf_token") == Some(&token)) else {
        return FileToken { token, login: None, notice: None };
    };
    let now = unix_now();
    let name = name.clone();
    let (Some(refresh), Some(expires_at)) = (fields.get("refresh_token"), parse_expires_at(fields)) else {
        // Python refreshes only with both; an expiry alone still lets us say when the token lapsed.
        return match parse_expires_at(fields) {
            Some(expires_at) => FileToken {
                token,
                notice: (expires_at <= now).then(|| {
                    format!("Your stored Hugging Face token `{name}` expired at {} and cannot be refreshed (no refresh token). Run `hf auth login` to log in again.", utc(expires_at))
                }),
                login: Some(LoginInfo { name, expires_at }),
            },
            None => FileToken { token, login: None, notice: None },
        };
    };
    if expires_at - REFRESH_MARGIN_SECS > now {
        return FileToken { token, login: Some(LoginInfo { name, expires_at }), notice: None };
    }
    match refresh_locked(env, endpoint, token_path, stored_path, &name, &token, refresh, now) {
        Ok((new_token, new_expires_at, notice)) => {
            let login = new_expires_at.map(|e| LoginInfo { name: name.clone(), expires_at: e });
            FileToken { token: new_token, login, notice }
        }
        Err(RefreshError::InvalidGrant(why)) => FileToken {
            token,
            login: Some(LoginInfo { name, expires_at }),
            notice: Some(format!(
                "Your Hugging Face access token has expired and could not be refreshed (session expired or revoked: {why}). Run `hf auth login` to log in again."
            )),
        },
        Err(RefreshError::Other(why)) => FileToken {
            token,
            login: Some(LoginInfo { name, expires_at }),
            notice: Some(format!(
                "Could not refresh your Hugging Face access token (it expires at {}): {why}. The next run tries again; `hf auth login` gets a new one.",
                utc(expires_at)
            )),
        },
    }
}

fn parse_expires_at(fields: &BTreeMap<String, String>) -> Option<i64> {
    fields.get("expires_at")?.trim().parse().ok()
}

enum RefreshError {
    /// The refresh token is expired or revoked: only a new login helps.
    InvalidGrant(String),
    /// Anything else (offline, server error, lock timeout): worth retrying later.
    Other(String),
}

/// Holds `stored_tokens.lock` (an `flock`, as Python's filelock takes it) while refreshing.
struct FileLock {
    path: PathBuf,
    _file: fs::File,
}

impl FileLock {
    fn acquire(path: PathBuf) -> Result<FileLock, String> {
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        let file = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .map_err(|e| format!("cannot open the lock file {}: {e}", path.display()))?;
        let start = std::time::Instant::now();
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(FileLock { path, _file: file }),
                Err(fs::TryLockError::WouldBlock) if start.elapsed() < LOCK_TIMEOUT => {
                    std::thread::sleep(Duration::from_millis(50))
                }
                Err(fs::TryLockError::WouldBlock) => {
                    return Err(format!("another process held {} for {}s", path.display(), LOCK_TIMEOUT.as_secs()));
                }
                Err(fs::TryLockError::Error(e)) => return Err(format!("cannot lock {}: {e}", path.display())),
            }
        }
    }
}

impl Drop for FileLock {
    fn drop(&mut self) {
        // filelock removes the file on release too (best-effort).
        let _ = fs::remove_file(&self.path);
    }
}

/// Under the lock: adopt another process's refresh, or refresh and persist. Returns the token, its expiry
/// and a notice.
#[allow(clippy::too_many_arguments)]
fn refresh_locked(
    env: Lookup<'_>,
    endpoint: &str,
    token_path: &Path,
    stored_path: &Path,
    name: &str,
    token: &str,
    refresh: &str,
    now: i64,
) -> Result<(String, Option<i64>, Option<String>), RefreshError> {
    let mut lock_path = stored_path.as_os_str().to_owned();
    lock_path.push(".lock");
    let _lock = FileLock::acquire(PathBuf::from(lock_path)).map_err(RefreshError::Other)?;
    let mut stored = read_stored_tokens(stored_path);
    let fields = stored.get(name).cloned().unwrap_or_default();
    if fields.get("hf_token").map(String::as_str) != Some(token) {
        // Another process refreshed it meanwhile: use its result.
        let adopted = fields.get("hf_token").cloned().unwrap_or_else(|| token.to_string());
        return Ok((adopted, parse_expires_at(&fields), None));
    }
    let answer = refresh_request(env, endpoint, refresh)?;
    let new_token = answer.access_token;
    let new_expires_at = answer.expires_in.map(|s| now + s);
    let mut section = BTreeMap::new();
    section.insert("hf_token".to_string(), new_token.clone());
    // The server may rotate the refresh token; keep the old one if it does not.
    section.insert("refresh_token".to_string(), answer.refresh_token.unwrap_or_else(|| refresh.to_string()));
    if let Some(e) = new_expires_at {
        section.insert("expires_at".to_string(), e.to_string());
    }
    stored.insert(name.to_string(), section);
    write_secret(stored_path, &format_stored_tokens(&stored))
        .map_err(|e| RefreshError::Other(format!("cannot write {}: {e}", stored_path.display())))?;
    // Update the active token file unless another process switched it to a different token.
    let current = fs::read_to_string(token_path).ok().and_then(|t| crate::auth::clean_token(&t));
    if current.as_deref() == Some(token) {
        write_secret(token_path, &new_token)
            .map_err(|e| RefreshError::Other(format!("cannot write {}: {e}", token_path.display())))?;
    }
    let until = new_expires_at.map(|e| format!(", valid until {}", utc(e))).unwrap_or_default();
    Ok((new_token, new_expires_at, Some(format!("Refreshed the Hugging Face access token `{name}`{until}."))))
}

struct Refreshed {
    access_token: String,
    refresh_token: Option<String>,
    expires_in: Option<i64>,
}

/// `refresh_access_token`: form-encoded `grant_type=refresh_token` with the device-code client id.
fn refresh_request(env: Lookup<'_>, endpoint: &str, refresh: &str) -> Result<Refreshed, RefreshError> {
    let client_id = env("HF_DEVICE_CODE_OAUTH_CLIENT_ID").unwrap_or_else(|| DEFAULT_OAUTH_CLIENT_ID.to_string());
    let timeout = env("HF_HUB_DOWNLOAD_TIMEOUT").and_then(|t| t.trim().parse::<f64>().ok()).filter(|t| *t > 0.0).unwrap_or(10.0);
    let body = format!("grant_type=refresh_token&refresh_token={}&client_id={}", form_encode(refresh), form_encode(&client_id));
    let url = format!("{endpoint}/oauth/token");
    let resp = agent(Duration::from_secs_f64(timeout))
        .post(&url)
        .header("content-type", "application/x-www-form-urlencoded")
        .send(body)
        .map_err(|e| RefreshError::Other(format!("cannot reach {url}: {e}")))?;
    let a = read_answer(resp);
    if let Some(t) = field(&a.json, "access_token") {
        return Ok(Refreshed {
            access_token: t.to_string(),
            refresh_token: field(&a.json, "refresh_token").map(str::to_string),
            expires_in: a.json.as_ref().and_then(|v| v.get("expires_in")).and_then(Value::as_i64),
        });
    }
    let Some(json) = &a.json else {
        return Err(RefreshError::Other(format!("{url} answered {} with no JSON", a.status)));
    };
    let code = json.get("error").and_then(Value::as_str);
    let desc = json.get("error_description").and_then(Value::as_str).unwrap_or("");
    let why = format!("{} - {desc}", code.map_or_else(|| a.status.to_string(), str::to_string));
    match code {
        Some("invalid_grant") => Err(RefreshError::InvalidGrant(why)),
        _ => Err(RefreshError::Other(why)),
    }
}

/// `2026-12-03 08:00:00 UTC` for Unix seconds.
pub fn utc(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's civil-from-days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC", rem / 3600, rem % 3600 / 60, rem % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_tokens_round_trip_like_configparser() {
        let text = "[DEFAULT]\nshared = x\n\n# a comment\n[work]\nhf_token = hf_work\n\n[login]\nHF_TOKEN: hf_oauth_a\nrefresh_token = r1\nexpires_at = 1700000000\n";
        let t = parse_stored_tokens(text).unwrap();
        assert_eq!(t["login"]["hf_token"], "hf_oauth_a");
        assert_eq!(t["login"]["expires_at"], "1700000000");
        assert_eq!(t["work"]["shared"], "x");
        let written = format_stored_tokens(&t);
        assert!(written.starts_with("[login]\nexpires_at = 1700000000\nhf_token = hf_oauth_a\n"), "{written}");
        assert_eq!(parse_stored_tokens(&written).unwrap(), t);
        // configparser raises on these; Python then ignores the whole file.
        assert_eq!(parse_stored_tokens("[a]\nk = 1\n[a]\nk = 2\n"), None);
        assert_eq!(parse_stored_tokens("k = 1\n"), None);
        assert_eq!(parse_stored_tokens("[a]\nno delimiter\n"), None);
    }

    #[test]
    fn helpers() {
        assert_eq!(form_encode("https://h.co/a b"), "https%3A%2F%2Fh.co%2Fa%20b");
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(1_796_294_400), "2026-12-03 10:40:00 UTC");
        assert_eq!(stored_tokens_path(Path::new("/h/hf/token")), PathBuf::from("/h/hf/stored_tokens"));
    }
}
