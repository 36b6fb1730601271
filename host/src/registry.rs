//! `PluginRegistry`: which plugin serves an SDK. Built-in plugins are embedded in the binary and
//! loaded lazily (a command pays only for the plugins it uses); `--plugin FILE` adds third-party
//! ones, which run under the same sandbox and take precedence over a built-in of the same SDK id.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use spacesmith_runtime::{Plugin, PluginSource, Runtime};

use crate::error::{AppError, Exit};

mod builtin {
    include!(concat!(env!("OUT_DIR"), "/builtin_plugins.rs"));
}
pub use builtin::BUILTIN_PLUGINS;

pub trait PluginRegistry: Send + Sync {
    /// Every SDK id that can be resolved, sorted.
    fn sdk_ids(&self) -> Vec<String>;
    /// The plugin for `--sdk ID`.
    fn get(&self, sdk_id: &str) -> Result<Arc<Plugin>, AppError>;
    /// The plugin whose `check` understands repositories with README `sdk: <sdk>`, if any.
    fn for_readme_sdk(&self, sdk: &str) -> Result<Option<Arc<Plugin>>, AppError>;
}

pub struct Registry {
    runtime: Runtime,
    builtins: BTreeMap<&'static str, &'static [u8]>,
    loaded: Mutex<BTreeMap<String, Arc<Plugin>>>,
    extra: Vec<Arc<Plugin>>,
}

impl Registry {
    /// A registry of the built-ins plus plugin files given by the user (loaded now, so a bad file
    /// fails the command before anything else happens).
    pub fn new(runtime: Runtime, extra_files: &[impl AsRef<Path>]) -> Result<Self, AppError> {
        let mut extra = Vec::new();
        for path in extra_files {
            let path = path.as_ref();
            let bytes = std::fs::read(path).map_err(|e| {
                AppError::usage("PLUGIN_NOT_FOUND", format!("cannot read plugin file {}: {e}", path.display()))
                    .hint("Pass the path of a .wasm component built for wasm32-wasip2.")
            })?;
            let label = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| path.display().to_string());
            let plugin = runtime.load(PluginSource { label, bytes: bytes.into(), limits: None })?;
            extra.push(Arc::new(plugin));
        }
        Ok(Registry { runtime, builtins: BUILTIN_PLUGINS.iter().copied().collect(), loaded: Mutex::default(), extra })
    }

    fn builtin(&self, sdk_id: &str) -> Result<Option<Arc<Plugin>>, AppError> {
        let Some(bytes) = self.builtins.get(sdk_id) else { return Ok(None) };
        if let Some(p) = self.loaded.lock().unwrap().get(sdk_id) {
            return Ok(Some(p.clone()));
        }
        let plugin = Arc::new(self.runtime.load(PluginSource {
            label: format!("built-in {sdk_id}"),
            bytes: (*bytes).into(),
            limits: None,
        })?);
        if plugin.info().sdk_id != sdk_id {
            return Err(AppError::new(
                "PLUGIN_INVALID",
                Exit::Failed,
                format!("built-in plugin `{sdk_id}` reports sdk id `{}`; the build is inconsistent", plugin.info().sdk_id),
            ));
        }
        self.loaded.lock().unwrap().insert(sdk_id.to_string(), plugin.clone());
        Ok(Some(plugin))
    }

    /// All plugins, extra ones first; loads every built-in.
    pub fn all(&self) -> Result<Vec<Arc<Plugin>>, AppError> {
        let mut all = self.extra.clone();
        for id in self.builtins.keys() {
            if !self.extra.iter().any(|p| p.info().sdk_id == *id) {
                all.extend(self.builtin(id)?);
            }
        }
        Ok(all)
    }
}

impl PluginRegistry for Registry {
    fn sdk_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> =
            self.builtins.keys().map(|s| s.to_string()).chain(self.extra.iter().map(|p| p.info().sdk_id.clone())).collect();
        ids.sort();
        ids.dedup();
        ids
    }

    fn get(&self, sdk_id: &str) -> Result<Arc<Plugin>, AppError> {
        if let Some(p) = self.extra.iter().find(|p| p.info().sdk_id == sdk_id) {
            return Ok(p.clone());
        }
        self.builtin(sdk_id)?.ok_or_else(|| {
            AppError::usage("UNKNOWN_SDK", format!("no plugin provides the SDK `{sdk_id}`"))
                .hint(format!("Available SDKs: {}.", self.sdk_ids().join(", ")))
        })
    }

    fn for_readme_sdk(&self, sdk: &str) -> Result<Option<Arc<Plugin>>, AppError> {
        if let Some(p) = self.extra.iter().find(|p| p.info().checks_sdks.iter().any(|s| s == sdk)) {
            return Ok(Some(p.clone()));
        }
        // Usually the plugin of the same name; otherwise ask every built-in.
        if let Some(p) = self.builtin(sdk)?
            && p.info().checks_sdks.iter().any(|s| s == sdk)
        {
            return Ok(Some(p));
        }
        Ok(self.all()?.into_iter().find(|p| p.info().checks_sdks.iter().any(|s| s == sdk)))
    }
}
