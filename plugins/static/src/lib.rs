//! The built-in `static` SDK plugin: scaffolds a static Space (HTML, CSS and JavaScript served as they
//! are; with `--bundler vite` a Vite project the Hub builds on each update) and checks static Spaces.

mod check;
mod scaffold;

use spacesmith_plugin_sdk::{CommandStep, PlanError, PluginInfo, Project, RunPlan};

pub use check::check;
pub use scaffold::{npm_package_name, option_specs, plan};

/// Where `spacesmith dev` serves a static Space (the Hub serves it behind its own proxy).
pub const LOCAL_PORT: u16 = 7860;

spacesmith_plugin_sdk::plugin! {
    /// The `static` SDK plugin.
    pub StaticPlugin { info: info, plan: plan, rules: check::rules, check: check, run_plan: run_plan }
}

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

/// As the Hub serves a static Space: README `app_build_command` in the project first (after
/// `npm install` when it runs npm and node_modules is missing), then the files, `app_file` (default
/// index.html) being the Space's page.
pub fn run_plan(project: &Project) -> Result<Option<RunPlan>, PlanError> {
    let fm = project.front_matter();
    let build = fm["app_build_command"].as_str().map(str::trim).filter(|c| !c.is_empty());
    let page = fm["app_file"].as_str().unwrap_or(check::DEFAULT_APP_FILE).trim_start_matches("./");
    let Some(build) = build else {
        if !project.has(page) {
            return Err(PlanError::missing_file(
                page,
                format!("the page {page} does not exist"),
                "README app_file names the page the static Space serves (default index.html).",
            ));
        }
        return Ok(Some(RunPlan::static_files(LOCAL_PORT, page)));
    };
    // With a build step the page is the build's output: it need not exist yet.
    let mut plan = RunPlan::static_files(LOCAL_PORT, page);
    let runs_npm = build.split(|c: char| c.is_whitespace() || c == ';' || c == '&').any(|w| w == "npm");
    if runs_npm && project.has("package.json") {
        let install = CommandStep::new("npm install", ["npm", "install"], "npm's output is above; fix package.json.");
        plan = plan.with_setup(install.unless_exists("node_modules"));
    }
    let fix = "The build's output is above. The Hub's build job would fail the same way.";
    Ok(Some(plan.with_setup(CommandStep::new("build", ["sh", "-c", build], fix))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use spacesmith_plugin_sdk::testing::{assert_option_specs, project};
    use spacesmith_plugin_sdk::{PlanProblem, SetupStep, Start, StaticSite, Value, json};

    fn plan(files: &[(&str, &str)], fm: Value) -> Result<Option<RunPlan>, PlanError> {
        run_plan(&project(files, Some(fm)))
    }

    #[test]
    fn a_plain_site_serves_its_page() {
        let plan = plan(&[("index.html", "<p>")], json!({"sdk": "static"})).unwrap().unwrap();
        assert_eq!(plan.start, Ok(Start::StaticFiles(StaticSite { page: "index.html".into() })));
        assert!(plan.setup.is_empty());
        let e = super::run_plan(&project(&[], Some(json!({"sdk": "static", "app_file": "./home.html"})))).unwrap_err();
        assert_eq!((e.problem, e.path.as_deref()), (PlanProblem::MissingFile, Some("home.html")));
    }

    #[test]
    fn a_build_step_runs_first_after_npm_install() {
        let fm = json!({"sdk": "static", "app_build_command": "npm run build", "app_file": "dist/index.html"});
        let plan = plan(&[("package.json", "{}")], fm.clone()).unwrap().unwrap();
        let steps: Vec<(&str, Vec<&str>, Option<&str>)> = plan
            .setup
            .iter()
            .map(|s| match s {
                SetupStep::Command(c) => {
                    (c.label.as_str(), c.argv.iter().map(String::as_str).collect(), c.unless_exists.as_deref())
                }
                SetupStep::Python(_) => panic!("no Python here"),
            })
            .collect();
        assert_eq!(
            steps,
            [("npm install", vec!["npm", "install"], Some("node_modules")), ("build", vec!["sh", "-c", "npm run build"], None)]
        );
        assert_eq!(plan.start, Ok(Start::StaticFiles(StaticSite { page: "dist/index.html".into() })));
        // Without package.json there is nothing for npm to install (the check reports the build will fail).
        let fm = json!({"sdk": "static", "app_build_command": "make site"});
        assert_eq!(self::plan(&[], fm).unwrap().unwrap().setup.len(), 1);
    }

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
