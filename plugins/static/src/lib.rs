//! The built-in `static` SDK plugin: scaffolds a static Space (HTML, CSS and JavaScript served as they
//! are; with `--bundler vite` a Vite project the Hub builds on each update) and checks static Spaces.

mod check;
mod scaffold;

use spacesmith_plugin_sdk::{Finding, Plan, PluginError, PluginInfo, Project, Rule, ScaffoldInput, SdkPlugin, export_plugin};

pub use check::check;
pub use scaffold::{npm_package_name, option_specs, plan};

pub struct StaticPlugin;

impl SdkPlugin for StaticPlugin {
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

export_plugin!(StaticPlugin);

pub fn info() -> PluginInfo {
    PluginInfo {
        name: "Static HTML".into(),
        sdk_id: "static".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        description:
            "A static Space: HTML, CSS and JavaScript served as they are, free on every plan (`--bundler vite` adds a build step)."
                .into(),
        checks_sdks: vec!["static".into()],
        // A static Space has no server.
        default_port: None,
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
        assert_eq!((info.sdk_id.as_str(), info.default_port), ("static", None));
        assert_eq!(info.name, "Static HTML");
        assert_eq!(info.checks_sdks, ["static"]);
        assert!(!info.description.contains('\n'));
        assert_option_specs(&info.options);
    }
}
