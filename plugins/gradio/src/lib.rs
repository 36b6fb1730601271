//! The built-in `gradio` SDK plugin: scaffolds a gradio-SDK Space (a small greeting app; with `--api` a
//! named endpoint and a `gradio_client` example) and checks gradio Spaces.

mod check;
mod scaffold;

use spacesmith_plugin_sdk::{Finding, Plan, PluginError, PluginInfo, Project, Rule, ScaffoldInput, SdkPlugin, export_plugin};

pub use check::check;
pub use scaffold::{option_specs, plan};

/// The port the gradio SDK serves on.
pub const GRADIO_PORT: u16 = 7860;

pub struct GradioPlugin;

impl SdkPlugin for GradioPlugin {
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

export_plugin!(GradioPlugin);

pub fn info() -> PluginInfo {
    PluginInfo {
        name: "Gradio".into(),
        sdk_id: "gradio".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        description: "A Gradio Space: a web UI that is also a client API (the SDK to choose for a Space called as an API)."
            .into(),
        checks_sdks: vec!["gradio".into()],
        default_port: Some(GRADIO_PORT),
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
        assert_eq!((info.sdk_id.as_str(), info.default_port), ("gradio", Some(7860)));
        assert_eq!(info.checks_sdks, ["gradio"]);
        assert_option_specs(&info.options);
    }
}
