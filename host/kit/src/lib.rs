//! @NAME@: a spacesmith SDK plugin (`--sdk @SDK_ID@`). It scaffolds a static Space from
//! `templates/`, checks `sdk: static` Spaces with one rule, and says how `spacesmith dev` runs them.

use spacesmith_plugin_sdk::text::{one_line, yaml_str};
use spacesmith_plugin_sdk::{
    Finding, OptionSpec, Options, Plan, PlanError, PluginError, PluginInfo, Project, Rule, RuleDef, RunPlan, ScaffoldInput,
    Severity, Template, catalogue, finding, json,
};

const README: Template = Template::new("README.md.tera", include_str!("../templates/README.md.tera"));
const INDEX: Template = Template::new("index.html.tera", include_str!("../templates/index.html.tera"));

const PAGE_TITLE: RuleDef = RuleDef {
    id: "@SDK_ID@/page-title",
    severity: Severity::Warning,
    summary: "index.html has no <title>",
    explanation: "Browsers, bookmarks and link previews show the page title; without one they show the URL.",
    fix: "Add <title>Your Space</title> inside <head>.",
};

// The plugin: each entry names the function that answers it (`secrets` and `linters` may be added
// the same way; omitted, they keep the SDK's defaults).
spacesmith_plugin_sdk::plugin! {
    pub Plugin { info: info, plan: plan, rules: rules, check: check, run_plan: run_plan }
}

pub fn info() -> PluginInfo {
    PluginInfo {
        name: "@NAME@".into(),
        sdk_id: "@SDK_ID@".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        description: "A static Space with a greeting.".into(),
        checks_sdks: vec!["static".into()],
        default_port: None,
        options: option_specs(),
    }
}

pub fn rules() -> Vec<Rule> {
    catalogue(&[&PAGE_TITLE])
}

pub fn option_specs() -> Vec<OptionSpec> {
    vec![OptionSpec::text("greeting", Some("Hello!"), "The page's heading.")]
}

/// Pure: the tests render it with the SDK's `TeraRenderer`, spacesmith with its own Tera.
pub fn plan(input: &ScaffoldInput) -> Result<Plan, PluginError> {
    let opts = Options::parse(&option_specs(), &input.options)?;
    let greeting = opts.required_text("greeting")?;
    if greeting.trim().is_empty() {
        return Err(PluginError::option("greeting", "--greeting must not be empty"));
    }
    let title = one_line(&input.title, &input.project_name);
    let mut plan = Plan::new(json!({
        "sdk_id": "@SDK_ID@",
        "title": title,
        "title_yaml": yaml_str(&title),
        "greeting": greeting,
    }));
    plan.template("README.md", README).template("index.html", INDEX);
    Ok(plan)
}

pub fn check(project: &Project) -> Vec<Finding> {
    let mut findings = Vec::new();
    if let Some(html) = project.text("index.html")
        && !html.to_ascii_lowercase().contains("<title>")
    {
        findings.push(finding(&PAGE_TITLE, "index.html has no <title> element").in_file("index.html"));
    }
    findings
}

/// How `spacesmith dev` runs the Space: it serves the files, index.html being the page. A plan is data:
/// the host runs it once the user grants `run-plan` (see spacesmith-plugin.toml). A Python app would be
/// `RunPlan::program(7860, ["python", "app.py"]).with_setup(PythonEnv::requirements(["requirements.txt"]))`.
pub fn run_plan(project: &Project) -> Result<Option<RunPlan>, PlanError> {
    if !project.has("index.html") {
        return Err(PlanError::missing_file("index.html", "the page index.html does not exist", "Add index.html."));
    }
    Ok(Some(RunPlan::static_files(7860, "index.html")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use spacesmith_plugin_sdk::testing::{
        TeraRenderer, assert_catalogue, assert_option_specs, file_text, input, project, project_from_output,
    };
    use spacesmith_plugin_sdk::{OptionValue, ScaffoldOutput, Start, StaticSite};

    fn render(options: &[(&str, OptionValue)]) -> ScaffoldOutput {
        plan(&input("my-space", "My <Space>", false, options)).unwrap().render_with(&TeraRenderer).unwrap()
    }

    #[test]
    fn renders_a_static_space_that_passes_its_own_check() {
        let out = render(&[("greeting", OptionValue::Text("Hi & welcome".into()))]);
        let paths: Vec<&str> = out.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["README.md", "index.html"]);
        assert!(file_text(&out, "README.md").contains("\nsdk: static\n"));
        assert!(file_text(&out, "index.html").contains("<h1>Hi &amp; welcome</h1>"));
        assert!(file_text(&out, "index.html").contains("<title>My &lt;Space&gt;</title>"));
        assert_eq!(check(&project_from_output(&out)), vec![]);
        let plan = run_plan(&project_from_output(&out)).unwrap().expect("a run plan");
        assert_eq!(plan.start, Ok(Start::StaticFiles(StaticSite { page: "index.html".into() })));
    }

    #[test]
    fn refuses_an_empty_greeting() {
        let err = plan(&input("s", "S", false, &[("greeting", OptionValue::Text(" ".into()))])).unwrap_err();
        assert_eq!(err.option.as_deref(), Some("greeting"));
    }

    #[test]
    fn finds_a_missing_title() {
        let findings = check(&project(&[("index.html", "<html><body>hi</body></html>")], None));
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].rule_id, "@SDK_ID@/page-title");
    }

    #[test]
    fn info_and_rules_are_well_formed() {
        assert_option_specs(&option_specs());
        assert_catalogue("@SDK_ID@", &rules());
    }
}
