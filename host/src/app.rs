//! The application core: every service built once from [`Settings`], for every front end. The CLI and the
//! gateway (`spacesmith serve`) receive an [`App`]; neither constructs a service of its own.

use std::path::PathBuf;
use std::sync::Arc;

use spacesmith_hub::{EnvAuth, HubApi, HubClient, HubLogs, LogService, Token};
use spacesmith_runtime::{LogSink, Runtime, RuntimeConfig};

use crate::config::Settings;
use crate::deploy::Deployer;
use crate::dev::LocalDev;
use crate::doctor::Doctor;
use crate::error::{AppError, ErrorCode};
use crate::hardware::HubHardware;
use crate::lint::Hadolint;
use crate::plugins::{PluginManager, PluginStore, Plugins};
use crate::project::{ProjectService, Projects};
use crate::registry::{PluginRegistry, Registry};
use crate::space::SpaceManager;

/// What a front end adds to the settings: plugin files given for this run, and where plugin diagnostics go.
#[derive(Default)]
pub struct AppOptions {
    /// `--plugin FILE`: loaded now, sandboxed like installed plugins, with no capabilities.
    pub extra_plugins: Vec<PathBuf>,
    pub log_sink: Option<Arc<dyn LogSink>>,
}

/// The services, shared by reference: everything here is `Send + Sync`.
pub struct App {
    pub settings: Settings,
    pub runtime: Runtime,
    pub registry: Arc<Registry>,
    pub projects: Arc<dyn ProjectService>,
    pub plugins: Arc<dyn PluginManager>,
}

impl App {
    pub fn new(settings: Settings, opts: AppOptions) -> Result<App, AppError> {
        let runtime = Runtime::new(RuntimeConfig {
            cache_dir: settings.cache_dir.clone(),
            limits: settings.limits.clone(),
            log_sink: opts.log_sink,
        })
        .map_err(|e| AppError::new(ErrorCode::EngineFailed, e.to_string()))?;
        let store = settings.data_dir.as_deref().map(PluginStore::new);
        let registry = Arc::new(Registry::new(runtime.clone(), &opts.extra_plugins, store.clone())?);
        let linter = Arc::new(Hadolint::on_path(settings.path.as_deref()));
        let projects: Arc<dyn ProjectService> = Arc::new(Projects::new(registry.clone(), settings.text_cap).with_linter(linter));
        let plugins = Arc::new(Plugins::new(runtime.clone(), registry.clone(), store, settings.cache_dir.clone()));
        Ok(App { settings, runtime, registry, projects, plugins })
    }

    pub fn registry(&self) -> &dyn PluginRegistry {
        self.registry.as_ref()
    }

    /// `spacesmith dev`: runs a project as the Hub would, from these settings.
    pub fn dev(&self) -> LocalDev {
        LocalDev::new(&self.settings, self.registry.clone(), self.settings.text_cap)
    }

    /// `spacesmith doctor`, with the token found where `auth` looks.
    pub fn doctor(&self, auth: EnvAuth) -> Doctor {
        Doctor::with_auth(auth, &self.settings)
    }

    /// The Hub services for a caller who brings a token (the gateway's `Authorization: Bearer`): built
    /// per request, kept nowhere. No token file or environment variable of this host is read. Its deploys
    /// do not ask `whoami` again: the gateway asks before it answers 202, so a bad token is a 401 there.
    pub fn hub_with_token(&self, token: Token) -> Result<HubServices, AppError> {
        let vars: Vec<(&str, String)> = self.settings.hub_endpoint.iter().map(|e| ("HF_ENDPOINT", e.clone())).collect();
        let auth = EnvAuth::with_vars(vars).with_explicit_token(Some(token));
        Ok(self.hub_services(Arc::new(HubClient::from_auth(&auth)?), false))
    }

    /// The Hub services over a client (with a token resolved however the front end chose); `check_token`:
    /// a deploy asks `whoami` first.
    pub fn hub_services(&self, api: Arc<dyn HubApi>, check_token: bool) -> HubServices {
        let logs: Arc<dyn LogService> = Arc::new(HubLogs::new(api.clone()));
        let hardware = Arc::new(HubHardware::new(Some(api.clone())));
        let deployer = Deployer::new(api.clone(), logs.clone(), self.projects.clone(), hardware.clone(), self.settings.text_cap)
            .with_token_check(check_token);
        let spaces = Arc::new(SpaceManager::new(api.clone(), hardware));
        HubServices { api, logs, deployer: Arc::new(deployer), spaces }
    }
}

/// What talks to the Hub, for one token.
pub struct HubServices {
    pub api: Arc<dyn HubApi>,
    pub logs: Arc<dyn LogService>,
    pub deployer: Arc<Deployer>,
    /// Dev mode, visibility, duplicate, volumes.
    pub spaces: Arc<SpaceManager>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync + ?Sized>() {}

    #[test]
    fn every_service_is_send_and_sync() {
        assert_send_sync::<App>();
        assert_send_sync::<dyn ProjectService>();
        assert_send_sync::<dyn PluginRegistry>();
        assert_send_sync::<dyn spacesmith_hub::HubApi>();
        assert_send_sync::<dyn spacesmith_hub::LogService>();
    }
}
