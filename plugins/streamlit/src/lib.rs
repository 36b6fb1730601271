//! The built-in `streamlit` SDK plugin.
//!
//! The Hub deprecated its Streamlit SDK in 2025, so `scaffold` writes a *Docker*-SDK Space that runs
//! Streamlit on `app_port: 8501` (checked afterwards by the docker plugin, like any Docker Space), and
//! `check` covers the legacy `sdk: streamlit` repositories that still exist.

mod check;
mod scaffold;

use spacesmith_plugin_sdk::{Finding, Plan, PluginError, PluginInfo, Project, Rule, ScaffoldInput, SdkPlugin, export_plugin};

pub use check::check;
pub use scaffold::{option_specs, plan};

/// The one port Streamlit Spaces use.
pub const STREAMLIT_PORT: u16 = 8501;

pub struct StreamlitPlugin;

impl SdkPlugin for StreamlitPlugin {
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

export_plugin!(StreamlitPlugin);

pub fn info() -> PluginInfo {
    PluginInfo {
        name: "Streamlit (on Docker)".into(),
        sdk_id: "streamlit".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        description: "A Streamlit app in a Docker-SDK Space on port 8501 (the Hub's Streamlit SDK is deprecated).".into(),
        checks_sdks: vec!["streamlit".into()],
        default_port: Some(STREAMLIT_PORT),
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
        assert_eq!((info.sdk_id.as_str(), info.default_port), ("streamlit", Some(8501)));
        assert_eq!(info.checks_sdks, ["streamlit"]);
        assert_option_specs(&info.options);
    }
}
