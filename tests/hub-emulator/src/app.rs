//! The shared application object: configuration (fixed and tunable at runtime), the locked state, the blob
//! store, faults, the request log, rate-limit counters, and persistence of `state.json`.

use std::collections::{HashMap, VecDeque};
use std::fs;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, RwLock};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::sync::watch;

use crate::faults::{FaultRule, Faults};
use crate::model::State;
use crate::store::BlobStore;
use crate::util::{hex, iso8601, now_ms};

/// A Hub account the emulator accepts. `pro: false` makes creating a non-static Space on free hardware a 402.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserSpec {
    pub name: String,
    pub token: String,
    pub pro: bool,
}

impl UserSpec {
    /// Parses `NAME:TOKEN` or `NAME:TOKEN:free`.
    pub fn parse(s: &str) -> Result<UserSpec, String> {
        let mut parts = s.splitn(3, ':');
        let name = parts.next().unwrap_or_default();
        let token = parts.next().unwrap_or_default();
        let pro = match parts.next() {
            None | Some("pro") => true,
            Some("free") => false,
            Some(other) => return Err(format!("unknown plan {other:?} in --user (use NAME:TOKEN or NAME:TOKEN:free)")),
        };
        if name.is_empty() || token.is_empty() {
            return Err("--user expects NAME:TOKEN".into());
        }
        if !crate::routes::repos::valid_name(name) {
            return Err(format!("invalid user name {name:?}"));
        }
        Ok(UserSpec { name: name.into(), token: token.into(), pro })
    }

    /// A stable 24-hex-digit id, shaped like the Hub's object ids.
    pub fn object_id(&self) -> String {
        hex(&Sha256::digest(self.name.as_bytes()))[..24].to_string()
    }
}

/// Knobs that tests may change while the emulator runs (`POST /__emulator/config`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Tunables {
    /// Duration of a simulated build (and of an app start after a plain restart); may be 0 or fractional.
    pub build_seconds: f64,
    /// Interval of `: keep-alive` comments on idle SSE streams.
    pub keepalive_seconds: f64,
    /// Tree listing page size (the Hub uses 1000, or 50 with `expand=true`).
    pub tree_page_size: usize,
    /// Preupload answers `lfs` at or above this size; regular `file` lines above it are rejected.
    pub lfs_threshold: u64,
    /// LFS objects at or above this size get a multipart upload (when the client offers `multipart`).
    pub multipart_threshold: u64,
    pub multipart_chunk_size: u64,
    /// Lifetime of Space JWTs.
    pub jwt_ttl_seconds: u64,
    /// Requests per rate-limit window and resource class before real 429s.
    pub rate_limit_quota: u64,
    pub rate_limit_window: u64,
    /// After a commit, how long the stage stays where it was (the previous build's RUNNING or BUILD_ERROR)
    /// before the new build shows: the Hub's queueing latency, so clients meet the stale stage.
    pub rebuild_delay_seconds: f64,
    /// Whether a commit that changes nothing but README.md starts a build (unverified on the Hub).
    pub readme_only_rebuilds: bool,
    /// When an LFS upload's sha256 is checked.
    pub lfs_verify: LfsVerify,
}

/// When the emulator checks an LFS upload's sha256 against its oid (its size is always checked on receipt).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LfsVerify {
    /// As the bytes arrive: a mismatch is a 400 `BadDigest` to the PUT (or the multipart completion).
    #[default]
    Receipt,
    /// A benchmark rig setting, not Hub behaviour: uploads are stored unhashed and checked when their
    /// content is first read (a download, the build reading a file, an LFS batch naming the object again); a
    /// mismatch drops the object and fails that read with `BadDigest`. It keeps the emulator's own sha256
    /// pass out of an upload benchmark on a small machine.
    Read,
}

impl LfsVerify {
    pub fn parse(s: &str) -> Result<LfsVerify, String> {
        match s {
            "receipt" => Ok(LfsVerify::Receipt),
            "read" => Ok(LfsVerify::Read),
            other => Err(format!("--lfs-verify: expected receipt or read, got {other:?}")),
        }
    }
}

impl Default for Tunables {
    fn default() -> Self {
        Tunables {
            build_seconds: 2.0,
            keepalive_seconds: 30.0,
            tree_page_size: 1000,
            lfs_threshold: 10 * 1024 * 1024,
            multipart_threshold: 32 * 1024 * 1024,
            multipart_chunk_size: 16 * 1024 * 1024,
            jwt_ttl_seconds: 3600,
            rate_limit_quota: 100_000,
            rate_limit_window: 300,
            rebuild_delay_seconds: 0.0,
            readme_only_rebuilds: true,
            lfs_verify: LfsVerify::Receipt,
        }
    }
}

/// Everything needed to start an emulator.
#[derive(Debug, Clone)]
pub struct Config {
    /// Hub listener (default `127.0.0.1:0`).
    pub addr: SocketAddr,
    /// "CDN" listener that serves LFS downloads after the `/resolve` redirect (default: same IP, any port).
    pub cdn_addr: Option<SocketAddr>,
    pub data_dir: Option<PathBuf>,
    pub users: Vec<UserSpec>,
    pub tunables: Tunables,
    pub faults: Vec<FaultRule>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            addr: "127.0.0.1:0".parse().expect("valid addr"),
            cdn_addr: None,
            data_dir: None,
            users: Vec::new(),
            tunables: Tunables::default(),
            faults: Vec::new(),
        }
    }
}

impl Config {
    /// A config with one user, for tests.
    pub fn with_user(name: &str, token: &str) -> Config {
        Config { users: vec![UserSpec { name: name.into(), token: token.into(), pro: true }], ..Config::default() }
    }
}

/// One line of the request log (`GET /__emulator/requests`). Never holds a token.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestRecord {
    pub seq: u64,
    pub timestamp: String,
    /// "hub" or "cdn".
    pub listener: &'static str,
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    /// Response status; absent when the connection was dropped by a fault.
    pub status: Option<u16>,
    /// Request body bytes the emulator read.
    pub bytes_received: u64,
    /// The authenticated user's name.
    pub user: Option<String>,
    /// `X-Error-Code` of the answer, if it was an error (`NotFound` means no such route).
    pub error_code: Option<String>,
    /// The fault applied to this request, if any.
    pub fault: Option<String>,
    pub dropped: bool,
}

const REQUEST_LOG_CAP: usize = 200_000;

/// A multipart LFS upload between the batch answer and the completion call. Parts are written straight into
/// one file at their offsets; the object's sha256 is computed while parts arrive in order, so completing an
/// upload sent part after part costs no second pass over the data.
pub struct PendingMultipart {
    pub size: u64,
    pub chunk_size: u64,
    /// Disk backend: the object being assembled (created by the first part).
    pub path: Option<PathBuf>,
    /// Memory backend: the chunks of each part received.
    pub mem_parts: HashMap<u32, Vec<bytes::Bytes>>,
    /// Distinguishes this upload from an earlier one of the same object (etags differ).
    pub nonce: u64,
    /// part number → (etag, length) of the parts fully received.
    pub parts: HashMap<u32, (String, u64)>,
    pub hash: PartHash,
}

impl PendingMultipart {
    /// Drops what was received.
    pub fn discard(self) {
        if let Some(p) = self.path {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// The running sha256 over the leading parts of a multipart upload.
pub enum PartHash {
    /// `hasher` covers parts 1..=hashed.
    Ready { hasher: sha2::Sha256, hashed: u32 },
    /// A part handler is feeding the hasher right now.
    Busy,
    /// Out of order or re-sent data: hash the whole file at completion.
    Invalid,
}

struct RateWindow {
    start_secs: u64,
    count: u64,
}

pub struct App {
    pub tunables: RwLock<Tunables>,
    pub users: Vec<UserSpec>,
    pub state: Mutex<State>,
    pub store: BlobStore,
    pub faults: Mutex<Faults>,
    pub requests: Mutex<VecDeque<RequestRecord>>,
    pub request_seq: AtomicU64,
    pub multipart: Mutex<HashMap<String, PendingMultipart>>,
    rate: Mutex<HashMap<&'static str, RateWindow>>,
    pub data_dir: Option<PathBuf>,
    persist_lock: Mutex<()>,
    pub addr: SocketAddr,
    pub cdn_addr: SocketAddr,
    pub jwt_secret: Vec<u8>,
    /// Trusted publishers and the tokens `/oauth/token` issued (not persisted).
    pub oauth: Mutex<crate::oauth::OAuthState>,
    pub shutdown: watch::Receiver<bool>,
}

impl App {
    pub fn new(config: &Config, addr: SocketAddr, cdn_addr: SocketAddr, shutdown: watch::Receiver<bool>) -> io::Result<App> {
        let store = BlobStore::open(config.data_dir.as_deref())?;
        let mut state = match &config.data_dir {
            Some(d) => load_state(&d.join("state.json"))?,
            None => State::default(),
        };
        if state.jwt_secret.is_empty() {
            let seed = format!("{}-{}-{addr}-{:?}", now_ms(), std::process::id(), std::thread::current().id());
            state.jwt_secret = hex(&Sha256::digest(seed.as_bytes()));
        }
        let jwt_secret = state.jwt_secret.clone().into_bytes();
        let mut faults = Faults::default();
        for f in &config.faults {
            faults.add(f.clone()).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        }
        let users = if config.users.is_empty() {
            // Without --user the emulator still needs someone to act as.
            vec![UserSpec { name: "emulator".into(), token: "hf_emulator_token".into(), pro: true }]
        } else {
            config.users.clone()
        };
        Ok(App {
            tunables: RwLock::new(config.tunables.clone()),
            users,
            state: Mutex::new(state),
            store,
            faults: Mutex::new(faults),
            requests: Mutex::new(VecDeque::new()),
            request_seq: AtomicU64::new(0),
            multipart: Mutex::new(HashMap::new()),
            rate: Mutex::new(HashMap::new()),
            data_dir: config.data_dir.clone(),
            persist_lock: Mutex::new(()),
            addr,
            cdn_addr,
            jwt_secret,
            oauth: Mutex::new(crate::oauth::OAuthState::default()),
            shutdown,
        })
    }

    pub fn tun(&self) -> Tunables {
        self.tunables.read().expect("tunables lock").clone()
    }

    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn user_by_token(&self, token: &str) -> Option<&UserSpec> {
        self.users.iter().find(|u| u.token == token)
    }

    /// Writes `state.json` (atomically) when persistence is on. Call with the state lock held so snapshots
    /// are written in order.
    pub fn persist(&self, state: &State) {
        let Some(dir) = &self.data_dir else { return };
        let _g = self.persist_lock.lock().unwrap_or_else(|p| p.into_inner());
        let result = (|| -> io::Result<()> {
            let bytes = serde_json::to_vec(state).map_err(io::Error::other)?;
            let tmp = dir.join("state.json.tmp");
            fs::write(&tmp, bytes)?;
            fs::rename(tmp, dir.join("state.json"))
        })();
        if let Err(e) = result {
            crate::util::log_err(&format!("failed to persist state: {e}"));
        }
    }

    pub fn record(&self, rec: RequestRecord) {
        let mut q = self.requests.lock().unwrap_or_else(|p| p.into_inner());
        if q.len() >= REQUEST_LOG_CAP {
            q.pop_front();
        }
        q.push_back(rec);
    }

    pub fn new_record(&self, listener: &'static str, method: &str, path: &str, query: Option<&str>) -> RequestRecord {
        RequestRecord {
            seq: self.request_seq.fetch_add(1, Ordering::Relaxed) + 1,
            timestamp: iso8601(now_ms()),
            listener,
            method: method.to_string(),
            path: path.to_string(),
            query: query.map(str::to_string),
            status: None,
            bytes_received: 0,
            user: None,
            error_code: None,
            fault: None,
            dropped: false,
        }
    }

    /// Counts a request against its resource class; returns (remaining, seconds to reset, quota, window,
    /// limited).
    pub fn rate_hit(&self, class: &'static str, count: bool) -> (u64, u64, u64, u64, bool) {
        let t = self.tun();
        let now = now_ms() / 1000;
        let mut rate = self.rate.lock().unwrap_or_else(|p| p.into_inner());
        let w = rate.entry(class).or_insert(RateWindow { start_secs: now, count: 0 });
        if now >= w.start_secs + t.rate_limit_window {
            *w = RateWindow { start_secs: now, count: 0 };
        }
        if count {
            w.count += 1;
        }
        let reset = (w.start_secs + t.rate_limit_window).saturating_sub(now).max(1);
        let remaining = t.rate_limit_quota.saturating_sub(w.count);
        (remaining, reset, t.rate_limit_quota, t.rate_limit_window, w.count > t.rate_limit_quota)
    }
}

fn load_state(path: &std::path::Path) -> io::Result<State> {
    match fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("{}: {e}", path.display()))),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(State::default()),
        Err(e) => Err(e),
    }
}
