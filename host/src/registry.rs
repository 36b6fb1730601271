//! `PluginRegistry`: which plugin serves an SDK. Built-in plugins are embedded in the binary, installed
//! ones live in the user's data directory (`crate::plugins`), and `--plugin FILE` adds one-off ones.
//! All are loaded lazily (a command pays only for the plugins it uses) and run under the same sandbox.
//! Precedence for an SDK id: `--plugin FILE`, then installed, then built-in.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use spacesmith_runtime::{Capability, Plugin, PluginSource, Runtime};

use crate::error::{AppError, ErrorCode};
use crate::plugins::{InstallRecord, PluginStore};

mod builtin {
    include!(concat!(env!("OUT_DIR"), "/builtin_plugins.rs"));
}
pub use builtin::BUILTIN_PLUGINS;

/// Whether `sdk_id` is a built-in plugin's (installed plugins may not take one).
pub fn is_builtin(sdk_id: &str) -> bool {
    BUILTIN_PLUGINS.iter().any(|(id, _)| *id == sdk_id)
}

pub trait PluginRegistry: Send + Sync {
    /// Every SDK id that can be resolved, sorted.
    fn sdk_ids(&self) -> Vec<String>;
    /// The plugin for `--sdk ID`.
    fn get(&self, sdk_id: &str) -> Result<Arc<Plugin>, AppError>;
    /// Every plugin whose `check` understands repositories with README `sdk: <sdk>`: the built-in (or
    /// what replaces it) first, then third-party ones, one per SDK id.
    fn checkers(&self, sdk: &str) -> Result<Vec<Arc<Plugin>>, AppError>;
}

pub struct Registry {
    runtime: Runtime,
    builtins: BTreeMap<&'static str, &'static [u8]>,
    store: Option<PluginStore>,
    installed: BTreeMap<String, InstallRecord>,
    loaded: Mutex<BTreeMap<String, Arc<Plugin>>>,
    extra: Vec<Arc<Plugin>>,
}

impl Registry {
    /// A registry of the built-ins, the installed plugins of `store`, and plugin files given by the
    /// user (loaded now, so a bad file fails the command before anything else happens).
    pub fn new(runtime: Runtime, extra_files: &[impl AsRef<Path>], store: Option<PluginStore>) -> Result<Self, AppError> {
        let mut extra = Vec::new();
        for path in extra_files {
            let path = path.as_ref();
            let bytes = std::fs::read(path).map_err(|e| {
                AppError::new(ErrorCode::PluginNotFound, format!("cannot read plugin file {}: {e}", path.display()))
                    .hint("Pass the path of a .wasm component built for wasm32-wasip2.")
            })?;
            let label = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| path.display().to_string());
            // A one-off plugin gets no capabilities: granting needs `plugin install`.
            extra.push(Arc::new(runtime.load(PluginSource::new(label, bytes))?));
        }
        // Unreadable records are reported by `plugin list`; they must not break unrelated commands.
        let installed =
            store.as_ref().map(|s| s.records().0.into_iter().map(|r| (r.sdk_id.clone(), r)).collect()).unwrap_or_default();
        Ok(Registry {
            runtime,
            builtins: BUILTIN_PLUGINS.iter().copied().collect(),
            store,
            installed,
            loaded: Mutex::default(),
            extra,
        })
    }

    /// A built-in or installed plugin, loaded once.
    fn resident(&self, sdk_id: &str) -> Result<Option<Arc<Plugin>>, AppError> {
        if let Some(p) = self.loaded.lock().unwrap().get(sdk_id) {
            return Ok(Some(p.clone()));
        }
        let plugin = if let (Some(record), Some(store)) = (self.installed.get(sdk_id), &self.store) {
            Arc::new(store.load(&self.runtime, record)?)
        } else if let Some(bytes) = self.builtins.get(sdk_id) {
            // Built-ins ship with spacesmith: what their manifests ask for (their run plans) is granted.
            let source = PluginSource::new(format!("built-in {sdk_id}"), *bytes).grants(Capability::ALL);
            let plugin = self.runtime.load(source)?;
            if plugin.info().sdk_id != sdk_id {
                return Err(AppError::new(
                    ErrorCode::PluginInvalid,
                    format!("built-in plugin `{sdk_id}` reports sdk id `{}`; the build is inconsistent", plugin.info().sdk_id),
                ));
            }
            Arc::new(plugin)
        } else {
            return Ok(None);
        };
        self.loaded.lock().unwrap().insert(sdk_id.to_string(), plugin.clone());
        Ok(Some(plugin))
    }

    /// The built-in plugin of that id, loaded once (whatever `--plugin FILE` says).
    pub fn builtin(&self, sdk_id: &str) -> Result<Option<Arc<Plugin>>, AppError> {
        // Installed plugins cannot take a built-in's id, so the resident one is the built-in.
        if is_builtin(sdk_id) { self.resident(sdk_id) } else { Ok(None) }
    }

    fn extra(&self, sdk_id: &str) -> Option<Arc<Plugin>> {
        self.extra.iter().find(|p| p.info().sdk_id == sdk_id).cloned()
    }

    /// The plugin for an SDK id, by precedence: `--plugin FILE`, installed, built-in.
    fn resolve(&self, sdk_id: &str) -> Result<Option<Arc<Plugin>>, AppError> {
        match self.extra(sdk_id) {
            Some(p) => Ok(Some(p)),
            None => self.resident(sdk_id),
        }
    }
}

impl PluginRegistry for Registry {
    fn sdk_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .builtins
            .keys()
            .map(|s| s.to_string())
            .chain(self.installed.keys().cloned())
            .chain(self.extra.iter().map(|p| p.info().sdk_id.clone()))
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }

    fn get(&self, sdk_id: &str) -> Result<Arc<Plugin>, AppError> {
        self.resolve(sdk_id)?.ok_or_else(|| {
            AppError::new(ErrorCode::UnknownSdk, format!("no plugin provides the SDK `{sdk_id}`"))
                .hint(format!("Available SDKs: {}. `spacesmith plugin list` shows every plugin.", self.sdk_ids().join(", ")))
        })
    }

    fn checkers(&self, sdk: &str) -> Result<Vec<Arc<Plugin>>, AppError> {
        let checks = |p: &Plugin| p.info().checks_sdks.iter().any(|s| s == sdk);
        let mut found: Vec<Arc<Plugin>> = Vec::new();
        let add = |p: Arc<Plugin>, found: &mut Vec<Arc<Plugin>>| {
            if checks(&p) && !found.iter().any(|f| f.info().sdk_id == p.info().sdk_id) {
                found.push(p);
            }
        };
        // The built-in of the same name (or what replaces it) usually checks its own SDK; otherwise
        // ask the other built-ins.
        if let Some(p) = self.resolve(sdk)? {
            add(p, &mut found);
        }
        if found.is_empty() {
            for id in self.builtins.keys() {
                if let Some(p) = self.resolve(id)?
                    && checks(&p)
                {
                    add(p, &mut found);
                    break;
                }
            }
        }
        // Third-party plugins declare what they check; installed ones are loaded only when they match.
        for p in self.extra.iter().filter(|p| checks(p)) {
            add(p.clone(), &mut found);
        }
        for record in self.installed.values().filter(|r| r.checks_sdks.iter().any(|s| s == sdk)) {
            if self.extra(&record.sdk_id).is_none()
                && let Some(p) = self.resident(&record.sdk_id)?
            {
                add(p, &mut found);
            }
        }
        Ok(found)
    }
}
