//! The built-in `streamlit` SDK plugin.
//!
//! The Hub deprecated its Streamlit SDK in 2025, so `scaffold` writes a *Docker*-SDK Space that runs
//! Streamlit on `app_port: 8501` (checked afterwards by the docker plugin, like any Docker Space), and
//! `check` covers the legacy `sdk: streamlit` repositories that still exist.

mod check;
mod scaffold;

use spacesmith_plugin_sdk::{PORT, PlanError, PluginInfo, Project, PythonEnv, RunPlan, app_file};

pub use check::check;
pub use scaffold::{option_specs, plan};

/// The one port Streamlit Spaces use.
pub const STREAMLIT_PORT: u16 = 8501;

spacesmith_plugin_sdk::plugin! {
    /// The `streamlit` SDK plugin.
    pub StreamlitPlugin { info: info, plan: plan, rules: check::rules, check: check, run_plan: run_plan }
}

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

/// A legacy `sdk: streamlit` Space as the Hub ran it: `streamlit run <app_file>` on 8501 with streamlit
/// pre-installed at `sdk_version`. (What `scaffold` writes is a Docker Space: the docker plugin plans it.)
pub fn run_plan(project: &Project) -> Result<Option<RunPlan>, PlanError> {
    let app_file = app_file(project, check::DEFAULT_APP_FILE)?;
    let argv = ["streamlit", "run", &app_file, "--server.port", PORT, "--server.address", "0.0.0.0", "--server.headless", "true"];
    Ok(Some(RunPlan::program(STREAMLIT_PORT, argv).with_setup(PythonEnv::for_sdk(project, "streamlit"))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use spacesmith_plugin_sdk::testing::{assert_option_specs, project};
    use spacesmith_plugin_sdk::{SetupStep, Start, json};

    #[test]
    fn a_legacy_space_runs_with_streamlit_run() {
        let fm = json!({"sdk": "streamlit", "sdk_version": "1.40.0"});
        let plan = run_plan(&project(&[("app.py", "import streamlit")], Some(fm))).unwrap().unwrap();
        let Ok(Start::Program(argv)) = &plan.start else { panic!("{:?}", plan.start) };
        assert_eq!(argv[..5], ["streamlit", "run", "app.py", "--server.port", "{port}"]);
        assert_eq!(plan.setup, [SetupStep::Python(PythonEnv::requirements(["requirements.txt"]).package("streamlit==1.40.0"))]);
        assert!(run_plan(&project(&[], Some(json!({"sdk": "streamlit"})))).is_err());
    }

    #[test]
    fn info_is_consistent() {
        let info = info();
        assert_eq!((info.sdk_id.as_str(), info.default_port), ("streamlit", Some(8501)));
        assert_eq!(info.checks_sdks, ["streamlit"]);
        assert_option_specs(&info.options);
    }
}
