//! Installed third-party plugins: `spacesmith plugin install|list|info|remove|grant|revoke|limits`.
//!
//! Each plugin lives in `<data dir>/plugins/<sdk-id>/` as `plugin.wasm` plus `plugin.json` (the
//! [`InstallRecord`]): where it came from, its sha256, what its manifest asks for, what the user
//! granted and which limits the user set. Every load re-checks the file against the recorded sha256,
//! so a file changed after installation is refused, not run.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use spacesmith_runtime::{Capability, LimitRequest, Limits, LoadErrorKind, Plugin, PluginSource, Runtime};

use crate::error::{AppError, ErrorCode};
use std::sync::Arc;

use crate::registry::{BUILTIN_PLUGINS, Registry, is_builtin};

/// Largest plugin file accepted: far above any real plugin (the built-ins are ~0.5 MiB).
const MAX_PLUGIN_BYTES: u64 = 64 << 20;
const RECORD_FORMAT: u32 = 1;

/// What `plugin.json` holds for one installed plugin.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct InstallRecord {
    pub format: u32,
    pub sdk_id: String,
    pub name: String,
    pub version: String,
    pub description: String,
    /// The contract version the plugin was built against.
    pub contract: String,
    pub checks_sdks: Vec<String>,
    pub sha256: String,
    pub size: u64,
    /// A path, or a URL without credentials or query.
    pub source: String,
    /// Capabilities the manifest asks for, with the plugin's reason.
    pub requested: BTreeMap<Capability, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unknown_capabilities: Vec<String>,
    /// Capabilities the user granted (always a subset of `requested`).
    pub granted: BTreeSet<Capability>,
    /// Limits the manifest asks for.
    pub manifest_limits: LimitRequest,
    /// Limits the user set; they win over the manifest's.
    pub user_limits: LimitRequest,
}

impl InstallRecord {
    /// The limits a call runs with: the user's over the manifest's over the defaults, capped.
    pub fn limits(&self, defaults: &Limits) -> Limits {
        self.user_limits.apply(&self.manifest_limits.apply(defaults)).clamped()
    }
}

/// Effective limits, as shown to users.
#[derive(Debug, Clone, Serialize)]
pub struct LimitsView {
    pub memory_mib: usize,
    pub call_timeout_ms: u128,
    pub output_mib: usize,
}

impl From<&Limits> for LimitsView {
    fn from(l: &Limits) -> Self {
        LimitsView {
            memory_mib: l.memory_bytes >> 20,
            call_timeout_ms: l.call_timeout.as_millis(),
            output_mib: l.max_total_bytes >> 20,
        }
    }
}

/// The directory of installed plugins.
#[derive(Debug, Clone)]
pub struct PluginStore {
    root: PathBuf,
}

impl PluginStore {
    pub fn new(data_dir: &Path) -> Self {
        PluginStore { root: data_dir.join("plugins") }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn dir(&self, sdk_id: &str) -> PathBuf {
        self.root.join(sdk_id)
    }

    pub fn wasm_path(&self, sdk_id: &str) -> PathBuf {
        self.dir(sdk_id).join("plugin.wasm")
    }

    fn record_path(&self, sdk_id: &str) -> PathBuf {
        self.dir(sdk_id).join("plugin.json")
    }

    /// Every readable record, sorted by SDK id, and a message for each entry that is not.
    pub fn records(&self) -> (Vec<InstallRecord>, Vec<String>) {
        let (mut records, mut broken) = (Vec::new(), Vec::new());
        let Ok(entries) = std::fs::read_dir(&self.root) else { return (records, broken) };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') || !entry.path().is_dir() {
                continue;
            }
            match self.record(&name) {
                Ok(Some(r)) => records.push(r),
                Ok(None) => broken.push(format!("{}: no plugin.json", entry.path().display())),
                Err(e) => broken.push(e.message),
            }
        }
        records.sort_by(|a, b| a.sdk_id.cmp(&b.sdk_id));
        (records, broken)
    }

    pub fn record(&self, sdk_id: &str) -> Result<Option<InstallRecord>, AppError> {
        let path = self.record_path(sdk_id);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(broken_record(&path, &e.to_string())),
        };
        let record: InstallRecord = serde_json::from_str(&text).map_err(|e| broken_record(&path, &e.to_string()))?;
        if record.sdk_id != sdk_id || record.format != RECORD_FORMAT {
            return Err(broken_record(&path, "it names another plugin or another record format"));
        }
        Ok(Some(record))
    }

    fn write_record(&self, record: &InstallRecord) -> Result<(), AppError> {
        let json = serde_json::to_vec_pretty(record).expect("records serialise");
        write_atomic(&self.record_path(&record.sdk_id), &json)
    }

    /// Put the plugin's directory in place in one rename, replacing an older one.
    fn install(&self, record: &InstallRecord, bytes: &[u8]) -> Result<(), AppError> {
        let fail = |what: &str, e: std::io::Error| {
            AppError::new(ErrorCode::PluginStoreFailed, format!("cannot {what} in {}: {e}", self.root.display()))
                .hint("Check that the directory is writable, or set SPACESMITH_DATA_DIR to one that is.")
        };
        std::fs::create_dir_all(&self.root).map_err(|e| fail("create the plugin directory", e))?;
        let staging = tempfile::Builder::new().prefix(".staging-").tempdir_in(&self.root).map_err(|e| fail("stage", e))?;
        std::fs::write(staging.path().join("plugin.wasm"), bytes).map_err(|e| fail("write plugin.wasm", e))?;
        let json = serde_json::to_vec_pretty(record).expect("records serialise");
        std::fs::write(staging.path().join("plugin.json"), json).map_err(|e| fail("write plugin.json", e))?;
        let dir = self.dir(&record.sdk_id);
        if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(|e| fail("replace the installed version", e))?;
        }
        let staged = staging.keep();
        std::fs::rename(&staged, &dir).map_err(|e| {
            let _ = std::fs::remove_dir_all(&staged);
            fail("move the plugin into place", e)
        })
    }

    fn remove(&self, sdk_id: &str) -> std::io::Result<()> {
        std::fs::remove_dir_all(self.dir(sdk_id))
    }

    /// Load an installed plugin, refusing a file that changed since it was installed.
    pub fn load(&self, runtime: &Runtime, record: &InstallRecord) -> Result<Plugin, AppError> {
        let path = self.wasm_path(&record.sdk_id);
        let bytes = std::fs::read(&path).map_err(|e| {
            AppError::new(
                ErrorCode::PluginMissing,
                format!("the installed plugin `{}` has no readable file {}: {e}", record.sdk_id, path.display()),
            )
            .hint(format!(
                "Reinstall it (`spacesmith plugin install <file> --force`) or remove it (`spacesmith plugin remove {}`).",
                record.sdk_id
            ))
        })?;
        let source = PluginSource::new(format!("{} {} (installed)", record.sdk_id, record.version), bytes)
            .pin(record.sha256.clone())
            .limits(record.limits(runtime.limits()))
            .grants(record.granted.iter().copied());
        let plugin = runtime.load(source).map_err(|e| match e.kind {
            LoadErrorKind::PinMismatch { actual, .. } => tampered(record, &actual, &path),
            _ => e.into(),
        })?;
        if plugin.info().sdk_id != record.sdk_id {
            return Err(AppError::new(
                ErrorCode::PluginInvalid,
                format!("the installed plugin `{}` now reports sdk id `{}`", record.sdk_id, plugin.info().sdk_id),
            )
            .hint(format!("Reinstall it: spacesmith plugin install <file> --force (then remove `{}`).", record.sdk_id)));
        }
        Ok(plugin)
    }
}

fn broken_record(path: &Path, why: &str) -> AppError {
    AppError::new(ErrorCode::PluginRecordInvalid, format!("cannot read the install record {}: {why}", path.display()))
        .hint("Reinstall the plugin with `spacesmith plugin install <file> --force`, or delete that directory.")
}

fn tampered(record: &InstallRecord, actual: &str, path: &Path) -> AppError {
    AppError::new(
        ErrorCode::PluginTampered,
        format!(
            "refusing to run the installed plugin `{}` {}: {} changed after installation (sha256 {actual}, installed as {})",
            record.sdk_id,
            record.version,
            path.display(),
            record.sha256
        ),
    )
    .hint(format!(
        "Something replaced or modified the file. Reinstall it from a source you trust: spacesmith plugin install {} --sha256 <expected> --force",
        record.source
    ))
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), AppError> {
    let dir = path.parent().expect("records live in a directory");
    let result = tempfile::NamedTempFile::new_in(dir).and_then(|mut tmp| {
        std::io::Write::write_all(&mut tmp, bytes)?;
        tmp.persist(path).map(|_| ()).map_err(|e| e.error)
    });
    result.map_err(|e| AppError::new(ErrorCode::PluginStoreFailed, format!("cannot write {}: {e}", path.display())))
}

/// A `--sha256` value: 64 hex digits, optionally prefixed `sha256:`, any case.
pub fn parse_pin(pin: &str) -> Result<String, AppError> {
    let p = pin.trim();
    let p = p.strip_prefix("sha256:").unwrap_or(p).to_ascii_lowercase();
    if p.len() == 64 && p.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(p)
    } else {
        Err(AppError::new(ErrorCode::BadPin, format!("--sha256 {pin:?} is not a sha256 digest"))
            .hint("Pass the 64 hex digits the plugin's author published, e.g. from `sha256sum plugin.wasm`."))
    }
}

/// Where a plugin file comes from.
pub trait Fetch: Send + Sync {
    /// The bytes of `source` (a path or an http(s) URL), at most `max` of them.
    fn fetch(&self, source: &str, max: u64) -> Result<Vec<u8>, AppError>;
}

/// Local files and http(s) URLs.
pub struct Fetcher;

impl Fetch for Fetcher {
    fn fetch(&self, source: &str, max: u64) -> Result<Vec<u8>, AppError> {
        let too_big = || {
            AppError::new(
                ErrorCode::PluginTooLarge,
                format!("{} is over {} MiB; that is not a plugin", display_source(source), max >> 20),
            )
        };
        if is_url(source) {
            let agent: ureq::Agent = ureq::Agent::config_builder()
                .timeout_global(Some(Duration::from_secs(120)))
                .http_status_as_error(false)
                .build()
                .into();
            let shown = display_source(source);
            let net = |e: ureq::Error| {
                AppError::new(ErrorCode::PluginDownloadFailed, format!("cannot download {shown}: {e}"))
                    .hint("Check the URL and your connection, or download the file and install it from its path.")
            };
            let mut response = agent.get(source).call().map_err(net)?;
            let status = response.status();
            if !status.is_success() {
                return Err(AppError::new(
                    ErrorCode::PluginDownloadRefused,
                    format!("cannot download {shown}: the server answered {status}"),
                )
                .hint("Check the URL."));
            }
            let bytes = read_capped(response.body_mut().as_reader(), max)
                .map_err(|e| AppError::new(ErrorCode::PluginDownloadFailed, format!("cannot download {shown}: {e}")))?;
            return bytes.ok_or_else(too_big);
        }
        let path = Path::new(source.strip_prefix("file://").unwrap_or(source));
        let file = std::fs::File::open(path).map_err(|e| {
            AppError::new(ErrorCode::PluginNotFound, format!("cannot read plugin file {}: {e}", path.display()))
                .hint("Pass the path (or http(s) URL) of a .wasm component built for wasm32-wasip2.")
        })?;
        read_capped(file, max)
            .map_err(|e| AppError::new(ErrorCode::PluginNotFound, format!("cannot read plugin file {}: {e}", path.display())))?
            .ok_or_else(too_big)
    }
}

/// All of `reader`, or None when it holds more than `max` bytes (reading stops just past the cap).
fn read_capped(reader: impl Read, max: u64) -> std::io::Result<Option<Vec<u8>>> {
    let mut bytes = Vec::new();
    reader.take(max + 1).read_to_end(&mut bytes)?;
    Ok((bytes.len() as u64 <= max).then_some(bytes))
}

fn is_url(source: &str) -> bool {
    source.starts_with("https://") || source.starts_with("http://")
}

/// A source fit to print and store: a URL loses its credentials, query and fragment.
pub fn display_source(source: &str) -> String {
    if !is_url(source) {
        return source.to_string();
    }
    let (scheme, rest) = source.split_once("://").expect("a URL has a scheme");
    let rest = rest.split(['?', '#']).next().unwrap_or(rest);
    let (authority, path) = rest.split_once('/').map_or((rest, ""), |(a, p)| (a, p));
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    format!("{scheme}://{host}/{path}")
}

/// `plugin install`.
#[derive(Debug, Clone, Default)]
pub struct InstallRequest {
    pub source: String,
    pub sha256: Option<String>,
    pub grants: Vec<String>,
    pub limits: LimitRequest,
    /// Replace an installed plugin of the same SDK id.
    pub force: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct CapabilityView {
    pub name: Capability,
    /// The plugin's reason.
    pub why: String,
    /// What granting it gives.
    pub gives: &'static str,
    pub granted: bool,
}

/// One plugin as `plugin list` and `plugin info` show it.
#[derive(Debug, Clone, Serialize)]
pub struct PluginView {
    pub sdk_id: String,
    pub name: String,
    pub version: String,
    pub description: String,
    /// `builtin` or `installed`.
    pub kind: &'static str,
    pub contract: String,
    pub checks_sdks: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    pub sha256: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<PathBuf>,
    pub capabilities: Vec<CapabilityView>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unknown_capabilities: Vec<String>,
    pub limits: LimitsView,
    /// The limits the user set (the rest come from the manifest or the defaults).
    pub user_limits: UserLimits,
}

/// `LimitRequest` as JSON output spells it (the manifest spells it in kebab-case).
#[derive(Debug, Clone, Default, Serialize)]
pub struct UserLimits {
    pub memory_mib: Option<u64>,
    pub call_timeout_ms: Option<u64>,
    pub output_mib: Option<u64>,
}

impl From<&LimitRequest> for UserLimits {
    fn from(l: &LimitRequest) -> Self {
        UserLimits { memory_mib: l.memory_mib, call_timeout_ms: l.call_timeout_ms, output_mib: l.output_mib }
    }
}

impl PluginView {
    fn builtin(p: &Plugin) -> Self {
        PluginView {
            sdk_id: p.info().sdk_id.clone(),
            name: p.info().name.clone(),
            version: p.info().version.clone(),
            description: p.info().description.clone(),
            kind: "builtin",
            contract: p.contract().to_string(),
            checks_sdks: p.info().checks_sdks.clone(),
            source: None,
            sha256: p.sha256().to_string(),
            path: None,
            capabilities: Vec::new(),
            unknown_capabilities: Vec::new(),
            limits: p.limits().into(),
            user_limits: UserLimits::default(),
        }
    }

    fn installed(r: &InstallRecord, store: &PluginStore, defaults: &Limits) -> Self {
        PluginView {
            sdk_id: r.sdk_id.clone(),
            name: r.name.clone(),
            version: r.version.clone(),
            description: r.description.clone(),
            kind: "installed",
            contract: r.contract.clone(),
            checks_sdks: r.checks_sdks.clone(),
            source: Some(r.source.clone()),
            sha256: r.sha256.clone(),
            path: Some(store.wasm_path(&r.sdk_id)),
            capabilities: r
                .requested
                .iter()
                .map(|(c, why)| CapabilityView { name: *c, why: why.clone(), gives: c.gives(), granted: r.granted.contains(c) })
                .collect(),
            unknown_capabilities: r.unknown_capabilities.clone(),
            limits: (&r.limits(defaults)).into(),
            user_limits: (&r.user_limits).into(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct InstallReport {
    pub plugin: PluginView,
    /// The version this one replaced, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replaced: Option<String>,
    pub pinned: bool,
    pub notices: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct InfoReport {
    pub plugin: PluginView,
    /// Installed plugins: the file still matches its recorded sha256.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verified: Option<bool>,
    pub options: Vec<spacesmith_runtime::OptionSpec>,
    /// How many rules it has; None when `rules` failed, see `rules_error`.
    pub rules: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rules_error: Option<String>,
}

impl InfoReport {
    fn new(plugin: PluginView, verified: Option<bool>, loaded: Option<&Plugin>, load_error: Option<String>) -> Self {
        let rules = loaded.map(|p| p.rules().map(|r| r.len()).map_err(|e| e.to_string()));
        let (rules, rules_error) = match rules {
            Some(Ok(n)) => (Some(n), None),
            Some(Err(e)) => (None, Some(e)),
            None => (None, load_error),
        };
        let options = loaded.map(|p| p.info().options.clone()).unwrap_or_default();
        InfoReport { plugin, verified, options, rules, rules_error }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ListReport {
    pub plugins: Vec<PluginView>,
    /// Entries of the plugin directory that could not be read.
    pub broken: Vec<String>,
    pub directory: Option<PathBuf>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RemoveReport {
    pub sdk_id: String,
    pub version: String,
    pub removed: PathBuf,
}

/// What the CLI (and any future front end) does with plugins.
pub trait PluginManager: Send + Sync {
    fn install(&self, req: &InstallRequest) -> Result<InstallReport, AppError>;
    fn list(&self) -> Result<ListReport, AppError>;
    fn info(&self, sdk_id: &str) -> Result<InfoReport, AppError>;
    fn remove(&self, sdk_id: &str) -> Result<RemoveReport, AppError>;
    /// Grant (`on`) or revoke a capability the plugin asks for.
    fn set_grant(&self, sdk_id: &str, capability: &str, on: bool) -> Result<InfoReport, AppError>;
    /// Set the user's limits (`reset` first forgets the ones set before).
    fn set_limits(&self, sdk_id: &str, limits: &LimitRequest, reset: bool) -> Result<InfoReport, AppError>;
}

pub struct Plugins {
    runtime: Runtime,
    /// Built-ins come from the registry, loaded once there.
    registry: Arc<Registry>,
    store: Option<PluginStore>,
    cache_dir: Option<PathBuf>,
    fetcher: Box<dyn Fetch>,
}

impl Plugins {
    pub fn new(runtime: Runtime, registry: Arc<Registry>, store: Option<PluginStore>, cache_dir: Option<PathBuf>) -> Self {
        Plugins { runtime, registry, store, cache_dir, fetcher: Box::new(Fetcher) }
    }

    fn store(&self) -> Result<&PluginStore, AppError> {
        self.store.as_ref().ok_or_else(|| {
            AppError::new(ErrorCode::NoDataDir, "there is no directory to install plugins in: HOME is not set")
                .hint("Set SPACESMITH_DATA_DIR to a writable directory.")
        })
    }

    fn installed(&self, sdk_id: &str) -> Result<InstallRecord, AppError> {
        let store = self.store()?;
        store.record(sdk_id)?.ok_or_else(|| {
            let (records, _) = store.records();
            let ids: Vec<&str> = records.iter().map(|r| r.sdk_id.as_str()).collect();
            let err = AppError::new(ErrorCode::PluginNotInstalled, format!("no installed plugin has the SDK id `{sdk_id}`"));
            if is_builtin(sdk_id) {
                err.hint(format!("`{sdk_id}` is built into spacesmith; it is not installed and cannot be changed."))
            } else if ids.is_empty() {
                err.hint("No plugins are installed; see `spacesmith plugin install --help`.")
            } else {
                err.hint(format!("Installed: {}.", ids.join(", ")))
            }
        })
    }

    fn info_of(&self, record: &InstallRecord) -> Result<InfoReport, AppError> {
        let store = self.store()?;
        let view = PluginView::installed(record, store, self.runtime.limits());
        match store.load(&self.runtime, record) {
            Ok(plugin) => Ok(InfoReport::new(view, Some(true), Some(&plugin), None)),
            // Show what is known, and say plainly that the file no longer matches.
            Err(e) if matches!(e.code, ErrorCode::PluginTampered | ErrorCode::PluginMissing) => {
                Ok(InfoReport::new(view, Some(false), None, Some(e.message)))
            }
            Err(e) => Err(e),
        }
    }

    fn forget_compiled(&self, sha256: &str) {
        let Some(cache) = &self.cache_dir else { return };
        let Ok(entries) = std::fs::read_dir(cache) else { return };
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy().starts_with(&sha256[..32]) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}

fn check_user_limits(limits: &LimitRequest) -> Result<(), AppError> {
    let over = limits.over_maximum();
    if over.is_empty() {
        return Ok(());
    }
    let max = Limits::hard_maximum();
    Err(AppError::new(ErrorCode::LimitTooHigh, format!("the limits asked for are out of range: {}", over.join(", "))).hint(
        format!(
            "Each limit must be at least 1 and at most the hard maximum: --memory-mib {}, --call-timeout-ms {}, --output-mib {}.",
            max.memory_bytes >> 20,
            max.call_timeout.as_millis(),
            max.max_total_bytes >> 20
        ),
    ))
}

fn parse_capability(plugin: &str, name: &str, requested: &BTreeMap<Capability, String>) -> Result<Capability, AppError> {
    let cap: Capability = name.parse().map_err(|e: String| AppError::new(ErrorCode::UnknownCapability, e))?;
    if !requested.contains_key(&cap) {
        let asks = if requested.is_empty() {
            "it asks for none".to_string()
        } else {
            format!("it asks for: {}", requested.keys().map(|c| c.name()).collect::<Vec<_>>().join(", "))
        };
        return Err(AppError::new(
            ErrorCode::CapabilityNotRequested,
            format!("plugin `{plugin}` does not ask for `{cap}` in its manifest, so it cannot be granted ({asks})"),
        ));
    }
    Ok(cap)
}

impl PluginManager for Plugins {
    fn install(&self, req: &InstallRequest) -> Result<InstallReport, AppError> {
        let store = self.store()?;
        let pin = req.sha256.as_deref().map(parse_pin).transpose()?;
        check_user_limits(&req.limits)?;
        let shown = display_source(&req.source);
        if pin.is_none() && req.source.starts_with("http://") {
            return Err(AppError::new(
                ErrorCode::UnpinnedHttp,
                format!("refusing to download {shown} over plain http without a pin"),
            )
            .hint("Use https, or pass --sha256 with the digest the plugin's author published."));
        }
        let bytes = self.fetcher.fetch(&req.source, MAX_PLUGIN_BYTES)?;
        let source = match is_url(&req.source) {
            true => shown.clone(),
            false => std::fs::canonicalize(req.source.strip_prefix("file://").unwrap_or(&req.source))
                .map(|p| p.display().to_string())
                .unwrap_or_else(|_| req.source.clone()),
        };
        let label = shown.rsplit('/').next().filter(|s| !s.is_empty()).unwrap_or(&shown).to_string();
        // Loading checks the pin first, then the contract version and the manifest, compiles (filling
        // the cache) and runs `info`.
        let size = bytes.len() as u64;
        let mut loading = PluginSource::new(label, bytes.clone());
        if let Some(pin) = &pin {
            loading = loading.pin(pin.clone());
        }
        let plugin = self.runtime.load(loading).map_err(|e| match e.kind {
            LoadErrorKind::PinMismatch { expected, actual } => AppError::new(
                ErrorCode::PinMismatch,
                format!("refusing to install {shown}: its sha256 is {actual}, but --sha256 pins {expected}"),
            )
            .hint("The file is not the one that was pinned: it was changed or replaced. Get it again from its author, and check the pin."),
            _ => e.into(),
        })?;
        let sha256 = plugin.sha256().to_string();
        let info = plugin.info().clone();
        if is_builtin(&info.sdk_id) {
            return Err(AppError::new(
                ErrorCode::PluginShadowsBuiltin,
                format!("{shown} is a plugin for the SDK id `{}`, which is built into spacesmith", info.sdk_id),
            )
            .hint("Give the plugin another SDK id; to try a replacement of a built-in once, pass it with --plugin FILE."));
        }
        let previous = store.record(&info.sdk_id).ok().flatten();
        if let Some(prev) = &previous
            && !req.force
        {
            return Err(AppError::new(
                ErrorCode::PluginExists,
                format!("a plugin for the SDK id `{}` is already installed ({} {})", info.sdk_id, prev.name, prev.version),
            )
            .hint(format!("Pass --force to replace it with version {}.", info.version)));
        }
        let manifest = plugin.manifest().clone();
        let mut granted = BTreeSet::new();
        for name in &req.grants {
            granted.insert(parse_capability(&info.sdk_id, name, &manifest.capabilities)?);
        }
        let record = InstallRecord {
            format: RECORD_FORMAT,
            sdk_id: info.sdk_id.clone(),
            name: info.name.clone(),
            version: info.version.clone(),
            description: info.description.clone(),
            contract: plugin.contract().to_string(),
            checks_sdks: info.checks_sdks.clone(),
            sha256: sha256.clone(),
            size,
            source,
            requested: manifest.capabilities.clone(),
            unknown_capabilities: manifest.unknown_capabilities.clone(),
            granted,
            manifest_limits: manifest.limits.clone(),
            // A replacement keeps the limits set for the old file, unless this command sets new ones.
            user_limits: match &previous {
                Some(prev) if req.limits.is_empty() => prev.user_limits.clone(),
                _ => req.limits.clone(),
            },
        };
        store.install(&record, &bytes)?;
        if let Some(prev) = &previous
            && prev.sha256 != sha256
        {
            self.forget_compiled(&prev.sha256);
        }

        let mut notices = Vec::new();
        if let Some(prev) = &previous {
            // New code gets a new decision: grants never carry over to another file.
            let dropped: Vec<&str> = prev.granted.iter().filter(|c| !record.granted.contains(c)).map(|c| c.name()).collect();
            if !dropped.is_empty() {
                notices.push(format!(
                    "The replaced version was granted {}; the new file is not until you grant it again.",
                    dropped.join(", ")
                ));
            }
        }
        for (cap, why) in &record.requested {
            if !record.granted.contains(cap) {
                notices.push(format!(
                    "It asks for `{cap}` ({why}); not granted, so it runs without it. To grant {}: spacesmith plugin grant {} {cap}",
                    cap.gives(),
                    record.sdk_id
                ));
            }
        }
        for name in &record.unknown_capabilities {
            notices.push(format!("It asks for `{name}`, which this spacesmith does not know; it cannot be granted."));
        }
        let over = manifest.limits.over_maximum();
        if !over.is_empty() {
            notices.push(format!("Its manifest asks for limits past the hard maximums ({}); they are capped.", over.join(", ")));
        }
        if pin.is_none() {
            notices.push(format!("Not pinned. To install exactly this file elsewhere: --sha256 {sha256}"));
        }
        if !record.checks_sdks.is_empty() {
            notices.push(format!(
                "`spacesmith validate` now also runs its checks on `sdk: {}` Spaces.",
                record.checks_sdks.join("`, `sdk: ")
            ));
        }
        Ok(InstallReport {
            plugin: PluginView::installed(&record, store, self.runtime.limits()),
            replaced: previous.map(|p| p.version),
            pinned: pin.is_some(),
            notices,
        })
    }

    fn list(&self) -> Result<ListReport, AppError> {
        let mut plugins = Vec::new();
        for (id, _) in BUILTIN_PLUGINS {
            if let Some(p) = self.registry.builtin(id)? {
                plugins.push(PluginView::builtin(&p));
            }
        }
        let (records, broken) = self.store.as_ref().map(PluginStore::records).unwrap_or_default();
        if let Some(store) = &self.store {
            plugins.extend(records.iter().map(|r| PluginView::installed(r, store, self.runtime.limits())));
        }
        Ok(ListReport { plugins, broken, directory: self.store.as_ref().map(|s| s.root().to_path_buf()) })
    }

    fn info(&self, sdk_id: &str) -> Result<InfoReport, AppError> {
        if let Some(p) = self.registry.builtin(sdk_id)? {
            return Ok(InfoReport::new(PluginView::builtin(&p), None, Some(&p), None));
        }
        self.info_of(&self.installed(sdk_id)?)
    }

    fn remove(&self, sdk_id: &str) -> Result<RemoveReport, AppError> {
        if is_builtin(sdk_id) {
            return Err(AppError::new(
                ErrorCode::PluginBuiltin,
                format!("`{sdk_id}` is built into spacesmith and cannot be removed"),
            ));
        }
        let record = self.installed(sdk_id)?;
        let store = self.store()?;
        store.remove(sdk_id).map_err(|e| {
            AppError::new(ErrorCode::PluginStoreFailed, format!("cannot remove {}: {e}", store.dir(sdk_id).display()))
        })?;
        self.forget_compiled(&record.sha256);
        Ok(RemoveReport { sdk_id: record.sdk_id, version: record.version, removed: store.dir(sdk_id) })
    }

    fn set_grant(&self, sdk_id: &str, capability: &str, on: bool) -> Result<InfoReport, AppError> {
        let mut record = self.installed(sdk_id)?;
        let cap = parse_capability(sdk_id, capability, &record.requested)?;
        if on {
            record.granted.insert(cap);
        } else {
            record.granted.remove(&cap);
        }
        self.store()?.write_record(&record)?;
        self.info_of(&record)
    }

    fn set_limits(&self, sdk_id: &str, limits: &LimitRequest, reset: bool) -> Result<InfoReport, AppError> {
        check_user_limits(limits)?;
        let mut record = self.installed(sdk_id)?;
        let mut user = if reset { LimitRequest::default() } else { record.user_limits.clone() };
        user.memory_mib = limits.memory_mib.or(user.memory_mib);
        user.call_timeout_ms = limits.call_timeout_ms.or(user.call_timeout_ms);
        user.output_mib = limits.output_mib.or(user.output_mib);
        record.user_limits = user;
        self.store()?.write_record(&record)?;
        self.info_of(&record)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_are_normalised_and_checked() {
        let hex = "AB".repeat(32);
        assert_eq!(parse_pin(&format!("sha256:{hex}")).unwrap(), "ab".repeat(32));
        assert_eq!(parse_pin("abc").unwrap_err().code, ErrorCode::BadPin);
        assert_eq!(parse_pin(&"zz".repeat(32)).unwrap_err().code, ErrorCode::BadPin);
    }

    #[test]
    fn sources_lose_credentials() {
        assert_eq!(
            display_source("https://user:hf_secret@example.com/p/plugin.wasm?token=x#y"),
            "https://example.com/p/plugin.wasm"
        );
        assert_eq!(display_source("https://example.com"), "https://example.com/");
        assert_eq!(display_source("./a.wasm"), "./a.wasm");
    }

    #[test]
    fn user_limits_win_and_are_capped() {
        let record = InstallRecord {
            format: RECORD_FORMAT,
            sdk_id: "x".into(),
            name: "X".into(),
            version: "1.0.0".into(),
            description: String::new(),
            contract: "0.1.0".into(),
            checks_sdks: vec![],
            sha256: "0".repeat(64),
            size: 0,
            source: "x.wasm".into(),
            requested: BTreeMap::new(),
            unknown_capabilities: vec![],
            granted: BTreeSet::new(),
            manifest_limits: LimitRequest { memory_mib: Some(96), call_timeout_ms: Some(99_000_000), output_mib: None },
            user_limits: LimitRequest { memory_mib: Some(128), ..LimitRequest::default() },
        };
        let l = record.limits(&Limits::default());
        assert_eq!(l.memory_bytes, 128 << 20);
        assert_eq!(l.call_timeout, Limits::hard_maximum().call_timeout);
        assert_eq!(l.max_total_bytes, Limits::default().max_total_bytes);
        assert!(check_user_limits(&LimitRequest { memory_mib: Some(100_000), ..LimitRequest::default() }).is_err());
        assert!(check_user_limits(&LimitRequest { output_mib: Some(0), ..LimitRequest::default() }).is_err());
    }
}
