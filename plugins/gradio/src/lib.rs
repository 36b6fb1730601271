//! The built-in `gradio` SDK plugin: scaffolds a gradio-SDK Space (a small greeting app; with `--api` a
//! named endpoint and a `gradio_client` example) and checks gradio Spaces.

mod check;
mod scaffold;

use spacesmith_plugin_sdk::{PORT, PlanError, PluginInfo, Project, PythonEnv, RunPlan, app_file};

pub use check::check;
pub use scaffold::{option_specs, plan};

/// The port the gradio SDK serves on.
pub const GRADIO_PORT: u16 = 7860;

spacesmith_plugin_sdk::plugin! {
    /// The `gradio` SDK plugin.
    pub GradioPlugin { info: info, plan: plan, rules: check::rules, check: check, run_plan: run_plan }
}

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

/// As the Hub runs a gradio Space: `python <app_file>` with gradio pre-installed at `sdk_version`, told
/// where to listen by gradio's own variables.
pub fn run_plan(project: &Project) -> Result<Option<RunPlan>, PlanError> {
    let app_file = app_file(project, check::DEFAULT_APP_FILE)?;
    let plan = RunPlan::program(GRADIO_PORT, ["python".to_string(), app_file])
        .with_setup(PythonEnv::for_sdk(project, "gradio"))
        .with_env("GRADIO_SERVER_NAME", "0.0.0.0")
        .with_env("GRADIO_SERVER_PORT", PORT);
    Ok(Some(plan))
}

#[cfg(test)]
mod tests {
    use super::*;
    use spacesmith_plugin_sdk::testing::{assert_option_specs, project};
    use spacesmith_plugin_sdk::{EnvVar, PlanProblem, SetupStep, Start, json};

    #[test]
    fn the_run_plan_is_python_app_file_with_gradio_at_sdk_version() {
        let fm = json!({"sdk": "gradio", "sdk_version": "5.9.1", "app_file": "main.py"});
        let plan = run_plan(&project(&[("main.py", "import gradio")], Some(fm))).unwrap().unwrap();
        assert_eq!(plan.start, Ok(Start::Program(vec!["python".into(), "main.py".into()])));
        assert_eq!(plan.port, 7860);
        assert_eq!(plan.setup, [SetupStep::Python(PythonEnv::requirements(["requirements.txt"]).package("gradio==5.9.1"))]);
        assert!(plan.env.contains(&EnvVar { name: "GRADIO_SERVER_PORT".into(), value: "{port}".into() }), "{:?}", plan.env);
        let e = run_plan(&project(&[], Some(json!({"sdk": "gradio"})))).unwrap_err();
        assert_eq!((e.problem, e.path.as_deref()), (PlanProblem::MissingFile, Some("app.py")));
    }

    #[test]
    fn info_is_consistent() {
        let info = info();
        assert_eq!((info.sdk_id.as_str(), info.default_port), ("gradio", Some(7860)));
        assert_eq!(info.checks_sdks, ["gradio"]);
        assert_option_specs(&info.options);
    }
}
