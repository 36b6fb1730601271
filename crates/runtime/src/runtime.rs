//! The engine, the compiled-component cache, the sandboxed store, and typed calls into a plugin.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use spacesmith_spec::{Finding, RuleInfo};
use wasmtime::component::{Component, HasSelf, Linker, ResourceTable};
use wasmtime::{Config, Engine, Store, Trap};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::contract::{self, ContractError, Version};
use crate::limits::{Limits, MemoryLimiter};
use crate::manifest::{Capability, Manifest, ManifestError};
use crate::model::*;
use crate::output::{self, OutputError, sanitize_text};
use crate::render::{self, RenderFailure};
use crate::{plan, v0_1, v0_2};

/// Epoch tick: the granularity of call deadlines.
const TICK: Duration = Duration::from_millis(10);
/// Plugin stderr kept per call (panic messages land there).
const STDERR_CAP: usize = 64 << 10;
/// Host flags a plugin option may not shadow on the command line.
pub const RESERVED_OPTION_NAMES: &[&str] =
    &["sdk", "title", "api", "force", "dry-run", "json", "help", "plugin", "verbose", "quiet", "version", "ci", "space"];
/// SDK ids that would make a plugin's rule ids look like the host's own (`config/...`, `common/...`).
pub const RESERVED_SDK_IDS: &[&str] = &["config", "common", "spacesmith", "hadolint"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
}

/// Where plugin diagnostics go (the `log` import and captured stderr), tagged with the plugin.
pub trait LogSink: Send + Sync {
    fn log(&self, plugin: &str, level: LogLevel, message: &str);
}

#[derive(Clone, Default)]
pub struct RuntimeConfig {
    /// Directory for compiled components; None compiles on every load.
    pub cache_dir: Option<PathBuf>,
    pub limits: Limits,
    pub log_sink: Option<Arc<dyn LogSink>>,
}

/// One per process: an engine, a linker per served contract, and the epoch ticker.
#[derive(Clone)]
pub struct Runtime {
    inner: Arc<Inner>,
}

struct Inner {
    engine: Engine,
    linker: Linker<State>,
    cache_dir: Option<PathBuf>,
    compat: u64,
    limits: Limits,
    log_sink: Option<Arc<dyn LogSink>>,
}

/// Where a plugin's bytes come from; `label` names it in errors until its `info` is known.
pub struct PluginSource {
    pub label: String,
    pub bytes: Cow<'static, [u8]>,
    /// Per-plugin limits, clamped to the hard maximums. None: the runtime's, with the plugin
    /// manifest's requests applied.
    pub limits: Option<Limits>,
    /// Capabilities the user granted. Only those the plugin's manifest requests take effect.
    pub grants: BTreeSet<Capability>,
    /// The sha256 (lowercase hex) the bytes must have; checked before anything else is done with them.
    pub pin: Option<String>,
}

impl PluginSource {
    /// A plugin with the runtime's limits and nothing granted.
    pub fn new(label: impl Into<String>, bytes: impl Into<Cow<'static, [u8]>>) -> Self {
        PluginSource { label: label.into(), bytes: bytes.into(), limits: None, grants: BTreeSet::new(), pin: None }
    }

    pub fn pin(mut self, sha256: impl Into<String>) -> Self {
        self.pin = Some(sha256.into());
        self
    }

    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = Some(limits);
        self
    }

    pub fn grants(mut self, grants: impl IntoIterator<Item = Capability>) -> Self {
        self.grants = grants.into_iter().collect();
        self
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error("could not start the WebAssembly engine: {0}")]
    Engine(String),
}

/// A plugin that could not be loaded.
#[derive(Debug, thiserror::Error)]
#[error("cannot load plugin `{label}`: {kind}")]
pub struct LoadError {
    pub label: String,
    pub kind: LoadErrorKind,
}

#[derive(Debug, thiserror::Error)]
pub enum LoadErrorKind {
    #[error(transparent)]
    Contract(#[from] ContractError),
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    #[error("its sha256 is {actual}, not the pinned {expected}")]
    PinMismatch { expected: String, actual: String },
    #[error("it does not compile or link: {0}")]
    Compile(String),
    #[error("{0}")]
    Call(Box<PluginError>),
    #[error("its info is invalid: {0}")]
    BadInfo(String),
}

/// A plugin call that failed; always names the plugin, its version and the call.
#[derive(Debug, thiserror::Error)]
#[error("plugin {plugin} {version} failed in `{call}`: {kind}")]
pub struct PluginError {
    pub plugin: String,
    pub version: String,
    pub call: &'static str,
    pub kind: FailureKind,
}

#[derive(Debug, thiserror::Error)]
pub enum FailureKind {
    #[error("it ran past its time limit of {0:?} and was stopped (an endless loop?)")]
    Timeout(Duration),
    #[error("it tried to use more than its memory limit of {} MiB and was stopped", .0 >> 20)]
    Memory(usize),
    #[error("it exhausted its stack (runaway recursion?) and was stopped")]
    StackOverflow,
    #[error("it crashed: {0}")]
    Trap(String),
    #[error("it returned output that was refused: {0}")]
    BadOutput(#[from] OutputError),
    #[error("it returned an invalid result: {0}")]
    Invalid(String),
    /// One of its templates failed to render (a defect of the plugin).
    #[error("its template failed to render: {0}")]
    Template(String),
    /// Setting up the call failed on the host's side (e.g. a granted directory cannot be opened).
    #[error("the host could not prepare the call: {0}")]
    Host(String),
    /// The plugin itself declined, e.g. an option combination it does not support.
    #[error("{message}")]
    Refused { message: String, option: Option<String> },
}

impl PluginError {
    /// Failures that are the plugin's fault rather than the user's input.
    pub fn is_plugin_fault(&self) -> bool {
        !matches!(self.kind, FailureKind::Refused { .. } | FailureKind::Host(_))
    }
}

/// Store state: a WASI context with nothing granted, limits, and diagnostics.
pub(crate) struct State {
    wasi: WasiCtx,
    table: ResourceTable,
    limiter: MemoryLimiter,
    label: String,
    sink: Option<Arc<dyn LogSink>>,
    log_bytes: usize,
    max_log_bytes: usize,
    log_truncated: bool,
    deadline: Instant,
    max_render_bytes: usize,
    render_timed_out: bool,
    /// The first template error of the call: if the plugin then fails, its template is at fault.
    render_error: Option<String>,
}

impl WasiView for State {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

/// The host imports, for every contract version's bindings (`convert::shared_conversions`).
impl State {
    pub(crate) fn log_import(&mut self, level: LogLevel, message: String) -> wasmtime::Result<()> {
        if self.log_bytes + message.len() > self.max_log_bytes {
            if !self.log_truncated {
                self.log_truncated = true;
                if let Some(sink) = &self.sink {
                    sink.log(&self.label, LogLevel::Warn, "log output over the limit; the rest of this call's log is dropped");
                }
            }
            return Ok(());
        }
        self.log_bytes += message.len();
        if let Some(sink) = &self.sink {
            sink.log(&self.label, level, &sanitize_text(&message, 4096));
        }
        Ok(())
    }

    pub(crate) fn render_import(
        &mut self,
        name: String,
        template: String,
        context_json: String,
    ) -> wasmtime::Result<Result<String, String>> {
        match render::render(&name, &template, &context_json, self.max_render_bytes, self.deadline) {
            Ok(s) => Ok(Ok(s)),
            Err(RenderFailure::Template(e)) => {
                self.render_error.get_or_insert_with(|| e.clone());
                Ok(Err(e))
            }
            Err(RenderFailure::Timeout) => {
                self.render_timed_out = true;
                wasmtime::bail!("rendering `{name}` did not finish before the call's deadline")
            }
        }
    }
}

/// A plugin's scaffold refusal, as every contract has it.
pub(crate) struct Refusal {
    pub message: String,
    pub option: Option<String>,
}

/// One instantiated plugin, whatever its contract: each version's module adapts its bindings to the
/// host model, so everything above this trait has one code path.
pub(crate) trait Bindings {
    fn info(&self, store: &mut Store<State>) -> wasmtime::Result<PluginInfo>;
    fn scaffold(&self, store: &mut Store<State>, input: &ScaffoldInput) -> wasmtime::Result<Result<ScaffoldOutput, Refusal>>;
    fn rules(&self, store: &mut Store<State>) -> wasmtime::Result<Vec<RuleInfo>>;
    fn check(&self, store: &mut Store<State>, project: &ProjectInput) -> wasmtime::Result<Vec<Finding>>;
    fn run_plan(&self, store: &mut Store<State>, project: &ProjectInput) -> wasmtime::Result<RunPlanAnswer>;
    fn secrets(&self, store: &mut Store<State>, project: &ProjectInput) -> wasmtime::Result<Vec<SecretSpec>>;
    fn linters(&self, store: &mut Store<State>, project: &ProjectInput) -> wasmtime::Result<Vec<LintRequest>>;
}

/// A linked component of one of the served contracts.
enum Pre {
    V0_1(v0_1::PluginPre<State>),
    V0_2(v0_2::PluginPre<State>),
}

impl Pre {
    fn new(contract: Version, pre: wasmtime::component::InstancePre<State>) -> wasmtime::Result<Pre> {
        if contract.compatible_with(v0_2::VERSION) {
            Ok(Pre::V0_2(v0_2::PluginPre::new(pre)?))
        } else {
            Ok(Pre::V0_1(v0_1::PluginPre::new(pre)?))
        }
    }

    fn instantiate(&self, store: &mut Store<State>) -> wasmtime::Result<Box<dyn Bindings>> {
        Ok(match self {
            Pre::V0_1(pre) => Box::new(pre.instantiate(store)?),
            Pre::V0_2(pre) => Box::new(pre.instantiate(store)?),
        })
    }
}

/// WASI that grants nothing: no preopens, env, args, sockets or stdin; stdout dropped; stderr
/// captured. Clocks are frozen and randomness is a fixed sequence so a plugin stays a pure function.
/// `project` is the one exception, for a granted `project-read`: that directory, read-only, at /project.
fn locked_down_wasi(stderr: MemoryOutputPipe, project: Option<&Path>) -> Result<WasiCtx, String> {
    struct FrozenWall;
    impl wasmtime_wasi::HostWallClock for FrozenWall {
        fn resolution(&self) -> Duration {
            Duration::from_secs(1)
        }
        fn now(&self) -> Duration {
            Duration::ZERO
        }
    }
    struct FrozenMonotonic;
    impl wasmtime_wasi::HostMonotonicClock for FrozenMonotonic {
        fn resolution(&self) -> u64 {
            1_000_000_000
        }
        fn now(&self) -> u64 {
            0
        }
    }
    let fixed = || wasmtime_wasi::Deterministic::new(vec![0x5a, 0x17, 0xc3, 0x88, 0x21, 0x9e, 0x4d, 0xf0]);
    let mut builder = WasiCtx::builder();
    if let Some(dir) = project {
        builder
            .preopened_dir(dir, PROJECT_DIR, wasmtime_wasi::FsPerms::ReadOnly)
            .map_err(|e| format!("cannot open the project directory {} for the plugin: {e:#}", dir.display()))?;
    }
    Ok(builder
        .stderr(stderr)
        .allow_tcp(false)
        .allow_udp(false)
        .allow_ip_name_lookup(false)
        .wall_clock(FrozenWall)
        .monotonic_clock(FrozenMonotonic)
        .secure_random(fixed())
        .insecure_random(fixed())
        .insecure_random_seed(0x5eed)
        .build())
}

/// Where a granted `project-read` shows the project inside the sandbox.
pub const PROJECT_DIR: &str = "/project";

impl Runtime {
    pub fn new(config: RuntimeConfig) -> Result<Self, RuntimeError> {
        let mut wasm = Config::new();
        // Plugin calls are short pure functions, so the first-ever run is dominated by compiling, not
        // by the code's speed: no optimisation and single-pass register allocation cut compile CPU
        // by ~40% (measured with benches/run) at a cost no user notices.
        wasm.wasm_component_model(true)
            .epoch_interruption(true)
            .max_wasm_stack(1 << 20)
            .relaxed_simd_deterministic(true)
            .cranelift_opt_level(wasmtime::OptLevel::None)
            .cranelift_regalloc_algorithm(wasmtime::RegallocAlgorithm::SinglePass);
        let engine = Engine::new(&wasm).map_err(|e| RuntimeError::Engine(e.to_string()))?;
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker).map_err(|e| RuntimeError::Engine(e.to_string()))?;
        // Every served contract's imports, side by side: a component links against its own version's.
        v0_1::Plugin::add_to_linker::<State, HasSelf<State>>(&mut linker, |s| s)
            .and_then(|()| v0_2::Plugin::add_to_linker::<State, HasSelf<State>>(&mut linker, |s| s))
            .map_err(|e| RuntimeError::Engine(e.to_string()))?;
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        start_ticker(&engine);
        Ok(Runtime {
            inner: Arc::new(Inner {
                engine,
                linker,
                cache_dir: config.cache_dir,
                compat: hasher.finish(),
                limits: config.limits.clamped(),
                log_sink: config.log_sink,
            }),
        })
    }

    pub fn limits(&self) -> &Limits {
        &self.inner.limits
    }

    /// Check the contract, compile (or load the cached compilation), link, and read `info`.
    pub fn load(&self, source: PluginSource) -> Result<Plugin, LoadError> {
        let label = source.label;
        let fail = |kind: LoadErrorKind| LoadError { label: label.clone(), kind };
        let sha256 = hex(&Sha256::digest(&source.bytes));
        if let Some(expected) = source.pin
            && expected != sha256
        {
            return Err(fail(LoadErrorKind::PinMismatch { expected, actual: sha256 }));
        }
        let inspection = contract::inspect(&source.bytes).map_err(|e| fail(e.into()))?;
        let contract = inspection.version;
        let manifest = Manifest::from_section(inspection.manifest.as_deref()).map_err(|e| fail(e.into()))?;
        // A grant for something the plugin did not ask for means nothing.
        let grants = source.grants.into_iter().filter(|c| manifest.capabilities.contains_key(c)).collect();
        let component = self.component(&source.bytes, &sha256).map_err(|e| fail(LoadErrorKind::Compile(e)))?;
        let pre = self
            .inner
            .linker
            .instantiate_pre(&component)
            .and_then(|pre| Pre::new(contract, pre))
            .map_err(|e| fail(LoadErrorKind::Compile(format!("{e:#}"))))?;
        // What the manifest asks for applies unless the caller (the user's configuration) says otherwise.
        let limits = source.limits.unwrap_or_else(|| manifest.limits.apply(&self.inner.limits)).clamped();
        let mut plugin = Plugin {
            runtime: self.clone(),
            label: label.clone(),
            sha256,
            contract,
            pre,
            limits,
            manifest,
            grants,
            info: PluginInfo {
                name: label.clone(),
                sdk_id: label.clone(),
                version: "(version unknown)".into(),
                description: String::new(),
                checks_sdks: vec![],
                default_port: None,
                options: vec![],
            },
        };
        let info = plugin.call("info", |store, p| p.info(store)).map_err(|e| fail(LoadErrorKind::Call(Box::new(e))))?;
        plugin.info = validate_info(info).map_err(|e| fail(LoadErrorKind::BadInfo(e)))?;
        Ok(plugin)
    }

    fn component(&self, bytes: &[u8], sha256: &str) -> Result<Component, String> {
        let engine = &self.inner.engine;
        let Some(dir) = &self.inner.cache_dir else {
            return Component::new(engine, bytes).map_err(|e| format!("{e:#}"));
        };
        let path = dir.join(format!("{}-{:016x}.cwasm", &sha256[..32], self.inner.compat));
        if path.is_file() {
            // SAFETY: only this code writes the cache, atomically (write + rename), from
            // `Component::serialize` under a key that includes the engine's compatibility hash;
            // wasmtime still checks the header and refuses artefacts from another version or config.
            if let Ok(component) = unsafe { Component::deserialize_file(engine, &path) } {
                return Ok(component);
            }
        }
        let component = Component::new(engine, bytes).map_err(|e| format!("{e:#}"))?;
        if let Ok(serialized) = component.serialize() {
            // A cache we cannot write only costs time; it must never fail the command.
            if let Err(e) = write_atomic(dir, &path, &serialized)
                && let Some(sink) = &self.inner.log_sink
            {
                sink.log("spacesmith", LogLevel::Debug, &format!("cannot write plugin cache {}: {e}", path.display()));
            }
        }
        Ok(component)
    }
}

fn write_atomic(dir: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    std::io::Write::write_all(&mut tmp, bytes)?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Advance the epoch every tick for as long as the engine lives.
fn start_ticker(engine: &Engine) {
    let weak = engine.weak();
    let _ = std::thread::Builder::new().name("spacesmith-epoch".into()).spawn(move || {
        while let Some(engine) = weak.upgrade() {
            engine.increment_epoch();
            drop(engine);
            std::thread::sleep(TICK);
        }
    });
}

fn redact(text: &str) -> String {
    spacesmith_spec::common::redact_secrets(text).into_owned()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn validate_info(mut info: PluginInfo) -> Result<PluginInfo, String> {
    let id_ok =
        |s: &str| !s.is_empty() && s.len() <= 32 && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !id_ok(&info.sdk_id) {
        return Err(format!("sdk id `{}` must be 1-32 characters of a-z, 0-9 and -", sanitize_text(&info.sdk_id, 64)));
    }
    if RESERVED_SDK_IDS.contains(&info.sdk_id.as_str()) {
        return Err(format!("sdk id `{}` is reserved for spacesmith's own rules", info.sdk_id));
    }
    let mut seen = std::collections::HashSet::new();
    for option in &info.options {
        if !id_ok(&option.name) || option.name.starts_with("no-") {
            return Err(format!(
                "option name `{}` must be kebab-case (a-z, 0-9, -) and not start with `no-`",
                sanitize_text(&option.name, 64)
            ));
        }
        if RESERVED_OPTION_NAMES.contains(&option.name.as_str()) {
            return Err(format!("option `{}` shadows a spacesmith flag", option.name));
        }
        if !seen.insert(option.name.clone()) {
            return Err(format!("option `{}` is declared twice", option.name));
        }
        if let OptionKind::Integer { min, max } = option.kind
            && min > max
        {
            return Err(format!("option `{}` has an empty range {min}..{max}", option.name));
        }
        if let Some(default) = &option.default {
            option.validate(default).map_err(|e| format!("the default of option `{}` is invalid: {e}", option.name))?;
        }
    }
    for s in [&mut info.name, &mut info.version, &mut info.description] {
        *s = sanitize_text(s, 200);
    }
    for option in &mut info.options {
        option.help = sanitize_text(&option.help, 500);
    }
    Ok(info)
}

/// A loaded, linked plugin. Every call runs in a fresh instance with its own limits, so calls
/// cannot influence each other and a trap leaves nothing behind.
pub struct Plugin {
    runtime: Runtime,
    label: String,
    sha256: String,
    contract: Version,
    pre: Pre,
    limits: Limits,
    manifest: Manifest,
    grants: BTreeSet<Capability>,
    info: PluginInfo,
}

impl Plugin {
    pub fn info(&self) -> &PluginInfo {
        &self.info
    }

    pub fn label(&self) -> &str {
        &self.label
    }

    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    pub fn contract(&self) -> Version {
        self.contract
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// What the plugin's embedded manifest asks for.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// Capabilities in effect: granted by the user and requested by the plugin.
    pub fn grants(&self) -> &BTreeSet<Capability> {
        &self.grants
    }

    /// Generate a project. The output has passed every path and size check.
    pub fn scaffold(&self, input: &ScaffoldInput) -> Result<ScaffoldOutput, PluginError> {
        let (result, render_error) = self.call("scaffold", |store, p| {
            let result = p.scaffold(&mut *store, input)?;
            Ok((result, store.data().render_error.clone()))
        })?;
        let mut out: ScaffoldOutput = match result {
            Ok(out) => out,
            // A refusal after one of its own templates failed is the plugin's defect, not the user's input.
            Err(_) if render_error.is_some() => {
                return Err(self.error("scaffold", FailureKind::Template(sanitize_text(&render_error.unwrap_or_default(), 2000))));
            }
            Err(e) => {
                return Err(self.error(
                    "scaffold",
                    FailureKind::Refused {
                        message: sanitize_text(&e.message, 2000),
                        option: e.option.map(|o| sanitize_text(&o, 64)),
                    },
                ));
            }
        };
        output::check_output(&out, &self.limits).map_err(|e| self.error("scaffold", e.into()))?;
        for text in out.notices.iter_mut() {
            *text = sanitize_text(text, 2000);
        }
        for s in out.secrets.iter_mut() {
            s.why = sanitize_text(&s.why, 500);
        }
        for v in out.variables.iter_mut() {
            v.why = sanitize_text(&v.why, 500);
            v.value = sanitize_text(&v.value, 2000);
        }
        out.files.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(out)
    }

    /// The plugin's rule catalogue; ids must live in the plugin's own `<sdk-id>/` namespace.
    pub fn rules(&self) -> Result<Vec<RuleInfo>, PluginError> {
        let rules = self.call("rules", |store, p| p.rules(store))?;
        if rules.len() > self.limits.max_items {
            return Err(self.error(
                "rules",
                FailureKind::Invalid(format!("{} rules is over the limit of {}", rules.len(), self.limits.max_items)),
            ));
        }
        rules
            .into_iter()
            .map(|r| {
                self.check_rule_id("rules", &r.id)?;
                Ok(RuleInfo {
                    id: r.id,
                    severity: r.severity,
                    summary: sanitize_text(&r.summary, 300),
                    explanation: sanitize_text(&r.explanation, 3000),
                    fix: sanitize_text(&r.fix, 2000),
                })
            })
            .collect()
    }

    /// Run the plugin's checks on a project.
    pub fn check(&self, project: &ProjectInput) -> Result<Vec<Finding>, PluginError> {
        self.check_in(project, None)
    }

    /// Run the plugin's checks on the project in `dir`: with `project-read` granted, the plugin may also
    /// read that directory (read-only, at [`PROJECT_DIR`]); without it, `dir` is not shown to it at all.
    pub fn check_in(&self, project: &ProjectInput, dir: Option<&Path>) -> Result<Vec<Finding>, PluginError> {
        let preopen = dir.filter(|_| self.grants.contains(&Capability::ProjectRead));
        let findings = self.call_with("check", preopen, |store, p| p.check(store, project))?;
        if findings.len() > self.limits.max_items {
            return Err(self.error(
                "check",
                FailureKind::Invalid(format!("{} findings is over the limit of {}", findings.len(), self.limits.max_items)),
            ));
        }
        findings
            .into_iter()
            .map(|f| {
                self.check_rule_id("check", &f.rule)?;
                Ok(Finding {
                    rule: f.rule,
                    severity: f.severity,
                    path: f.path.map(|p| sanitize_text(&p, 1024)),
                    line: f.line.filter(|l| *l > 0),
                    // A plugin reads project files (and, with project-read, the whole directory):
                    // whatever it echoes, credentials are not shown.
                    message: redact(&sanitize_text(&f.message, 2000)),
                    fix: f.fix.map(|s| redact(&sanitize_text(&s, 2000))),
                    field: None,
                })
            })
            .collect()
    }

    /// How the project starts (`spacesmith dev`), checked and cleaned: a plan is data the host will
    /// execute, so every path stays inside the project and every text is sanitised.
    pub fn run_plan(&self, project: &ProjectInput) -> Result<RunPlanAnswer, PluginError> {
        let answer = self.call("run-plan", |store, p| p.run_plan(store, project))?;
        plan::checked(answer, &self.limits).map_err(|e| self.error("run-plan", FailureKind::Invalid(e)))
    }

    /// The secrets the project's code reads (contract 0.1: the host's generic scan).
    pub fn secrets(&self, project: &ProjectInput) -> Result<Vec<SecretSpec>, PluginError> {
        let secrets = self.call("secrets", |store, p| p.secrets(store, project))?;
        plan::checked_secrets(secrets, &self.limits).map_err(|e| self.error("secrets", FailureKind::Invalid(e)))
    }

    /// The host linters the plugin asks to run on the project's files.
    pub fn linters(&self, project: &ProjectInput) -> Result<Vec<LintRequest>, PluginError> {
        let requests = self.call("linters", |store, p| p.linters(store, project))?;
        plan::checked_lint_requests(requests, &self.limits).map_err(|e| self.error("linters", FailureKind::Invalid(e)))
    }

    fn check_rule_id(&self, call: &'static str, id: &str) -> Result<(), PluginError> {
        let ok = id.strip_prefix(self.info.sdk_id.as_str()).and_then(|rest| rest.strip_prefix('/')).is_some_and(|name| {
            !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        });
        if ok {
            Ok(())
        } else {
            Err(self.error(
                call,
                FailureKind::Invalid(format!(
                    "rule id `{}` is outside the plugin's namespace `{}/<kebab-name>`",
                    sanitize_text(id, 100),
                    self.info.sdk_id
                )),
            ))
        }
    }

    fn error(&self, call: &'static str, kind: FailureKind) -> PluginError {
        PluginError { plugin: self.info.sdk_id.clone(), version: self.info.version.clone(), call, kind }
    }

    fn call<R>(
        &self,
        call: &'static str,
        f: impl FnOnce(&mut Store<State>, &dyn Bindings) -> wasmtime::Result<R>,
    ) -> Result<R, PluginError> {
        self.call_with(call, None, f)
    }

    /// Instantiate, call with the limits armed, forward stderr, and turn any trap into a named error.
    fn call_with<R>(
        &self,
        call: &'static str,
        project: Option<&Path>,
        f: impl FnOnce(&mut Store<State>, &dyn Bindings) -> wasmtime::Result<R>,
    ) -> Result<R, PluginError> {
        let inner = &self.runtime.inner;
        let stderr = MemoryOutputPipe::new(STDERR_CAP);
        let wasi = locked_down_wasi(stderr.clone(), project).map_err(|e| self.error(call, FailureKind::Host(e)))?;
        let state = State {
            wasi,
            table: ResourceTable::new(),
            limiter: MemoryLimiter { max_bytes: self.limits.memory_bytes, hit: false },
            label: self.info.sdk_id.clone(),
            sink: inner.log_sink.clone(),
            log_bytes: 0,
            max_log_bytes: self.limits.max_log_bytes,
            log_truncated: false,
            deadline: Instant::now() + self.limits.call_timeout,
            max_render_bytes: self.limits.max_render_bytes,
            render_timed_out: false,
            render_error: None,
        };
        let mut store = Store::new(&inner.engine, state);
        store.limiter(|s| &mut s.limiter);
        store.set_epoch_deadline(self.limits.call_timeout.as_millis().div_ceil(TICK.as_millis()) as u64 + 1);
        store.epoch_deadline_trap();
        let result = self.pre.instantiate(&mut store).and_then(|instance| f(&mut store, instance.as_ref()));
        let stderr_text = String::from_utf8_lossy(&stderr.contents()).into_owned();
        if let Some(sink) = &inner.log_sink {
            for line in stderr_text.lines().filter(|l| !l.trim().is_empty()) {
                sink.log(&self.info.sdk_id, LogLevel::Debug, &sanitize_text(line, 4096));
            }
        }
        result.map_err(|e| {
            let state = store.data();
            let kind = if state.limiter.hit {
                FailureKind::Memory(self.limits.memory_bytes)
            } else if state.render_timed_out {
                FailureKind::Timeout(self.limits.call_timeout)
            } else {
                match e.downcast_ref::<Trap>() {
                    Some(Trap::Interrupt) => FailureKind::Timeout(self.limits.call_timeout),
                    Some(Trap::StackOverflow) => FailureKind::StackOverflow,
                    _ => FailureKind::Trap(crash_detail(&e, &stderr_text)),
                }
            };
            self.error(call, kind)
        })
    }
}

/// The most useful line: a Rust panic message from stderr if there is one, else the trap.
fn crash_detail(err: &wasmtime::Error, stderr: &str) -> String {
    let trap = err.downcast_ref::<Trap>().map(|t| t.to_string()).unwrap_or_else(|| format!("{err}"));
    let panic = stderr.lines().find(|l| l.contains("panicked at")).map(|first| {
        let after: Vec<&str> = stderr.lines().skip_while(|l| !l.contains("panicked at")).skip(1).take(3).collect();
        let msg =
            after.iter().map(|s| s.trim()).filter(|s| !s.is_empty() && !s.starts_with("note:")).collect::<Vec<_>>().join(" ");
        if msg.is_empty() { first.trim().to_string() } else { format!("{} {}", first.trim(), msg) }
    });
    sanitize_text(
        &match panic {
            Some(p) => format!("{p} ({trap})"),
            None => trap,
        },
        1000,
    )
}
