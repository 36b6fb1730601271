//! The built-in `docker` SDK plugin: scaffolds a Docker-SDK Space (a FastAPI service by default, a
//! standard-library server with `--no-fastapi`, or a Space that clones and builds an app repository with
//! `--from-git`), checks Docker Spaces against the Hub's rules (see [`check`]), and says how they run
//! under `spacesmith dev` (see [`run`]).
//!
//! The Dockerfile parser ([`dockerfile`], shared with the host in `spacesmith-readers`) and the
//! listening-port detection ([`listen`]) are public so the streamlit plugin's tests can check its own
//! Docker output with these rules.

pub mod check;
pub mod listen;
pub mod owners;
pub mod run;
mod scaffold;

pub use spacesmith_plugin_sdk::readers::{dockerfile, shell};

use spacesmith_plugin_sdk::PluginInfo;

pub use scaffold::{option_specs, plan};

spacesmith_plugin_sdk::plugin! {
    /// The `docker` SDK plugin.
    pub DockerPlugin {
        info: info,
        plan: plan,
        rules: check::rules,
        check: check::check,
        run_plan: run::run_plan,
        linters: run::linters,
    }
}

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
