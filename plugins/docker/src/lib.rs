//! The built-in `docker` SDK plugin: scaffolds a Docker-SDK Space (a FastAPI service by default, a
//! standard-library server with `--no-fastapi`, or a Space that clones and builds an app repository with
//! `--from-git`), and checks Docker Spaces against the Hub's rules (see [`check`]).
//!
//! The Dockerfile parser ([`dockerfile`]) and the listening-port detection ([`listen`]) are public so the
//! streamlit plugin's tests can check its own Docker output with these rules.

pub mod check;
pub mod dockerfile;
pub mod listen;
pub mod owners;
mod scaffold;
pub mod shell;

use spacesmith_plugin_sdk::{Finding, Plan, PluginError, PluginInfo, Project, Rule, ScaffoldInput, SdkPlugin, export_plugin};

pub use scaffold::{option_specs, plan};

pub struct DockerPlugin;

impl SdkPlugin for DockerPlugin {
    fn info() -> PluginInfo {
        info()
    }

    fn plan(input: &ScaffoldInput) -> Result<Plan, PluginError> {
        plan(input)
    }

    fn rules() -> Vec<Rule> {
        check::rules()
    }

    fn check(project: &Project) -> Vec<Finding> {
        check::check(project)
    }
}

export_plugin!(DockerPlugin);

pub fn info() -> PluginInfo {
    PluginInfo {
        name: "Docker (FastAPI)".into(),
        sdk_id: "docker".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        description:
            "A Docker Space: FastAPI with health, version and token-protected routes, or your own repository built in the Space."
                .into(),
        checks_sdks: vec!["docker".into()],
        default_port: Some(scaffold::DEFAULT_PORT),
        options: option_specs(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spacesmith_plugin_sdk::testing::assert_option_specs;

    #[test]
    fn info_is_consistent() {
        let info = info();
        assert_eq!(info.sdk_id, "docker");
        assert_eq!(info.default_port, Some(7860));
        assert_option_specs(&info.options);
        let names: Vec<&str> = info.options.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(names, ["port", "fastapi", "python-version", "from-git", "from-git-ref", "start-command"]);
    }
}
