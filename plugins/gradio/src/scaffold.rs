//! `scaffold`: README.md, app.py, requirements.txt, .gitignore.

use spacesmith_plugin_sdk::text::{one_line, py_str, yaml_str};
use spacesmith_plugin_sdk::{
    DEFAULT_PYTHON_VERSION, OptionSpec, Options, PYTHON_VERSIONS, Plan, PluginError, ScaffoldInput, Template, json,
};

/// The current gradio on PyPI; what README `sdk_version` pins by default.
pub const DEFAULT_GRADIO_VERSION: &str = "6.31.0";

const README: Template = Template::new("gradio/README.md.tera", include_str!("../templates/README.md.tera"));
const APP: Template = Template::new("gradio/app.py.tera", include_str!("../templates/app.py.tera"));
const REQUIREMENTS: Template = Template::new("gradio/requirements.txt.tera", include_str!("../templates/requirements.txt.tera"));
const GITIGNORE: Template = Template::new("gradio/gitignore.tera", include_str!("../templates/gitignore.tera"));

pub fn option_specs() -> Vec<OptionSpec> {
    vec![
        OptionSpec::text(
            "gradio-version",
            Some(DEFAULT_GRADIO_VERSION),
            "Gradio version the Space runs (README sdk_version; the Hub pre-installs it). Gradio 4 or later.",
        ),
        OptionSpec::choice(
            "python-version",
            &PYTHON_VERSIONS,
            Some(DEFAULT_PYTHON_VERSION),
            "Python version of the Space (README python_version).",
        ),
    ]
}

pub fn plan(input: &ScaffoldInput) -> Result<Plan, PluginError> {
    let opts = Options::parse(&option_specs(), &input.options)?;
    let gradio_version = checked_version(opts.required_text("gradio-version")?)?;
    let python_version = opts.required_text("python-version")?;
    let title = one_line(&input.title, &input.project_name);
    let short_description =
        if input.api { "A Gradio greeting app with a named client API" } else { "A Gradio app that greets you by name" };
    let context = json!({
        "title": title,
        "title_yaml": yaml_str(&title),
        "title_py": py_str(&title),
        "project_name": input.project_name,
        "short_description_yaml": yaml_str(short_description),
        // Quoted: unquoted, YAML reads 3.10 as the number 3.1.
        "gradio_version": gradio_version,
        "gradio_version_yaml": yaml_str(gradio_version),
        "python_version": python_version,
        "python_version_yaml": yaml_str(python_version),
        "api": input.api,
    });
    let mut plan = Plan::new(context);
    plan.template("README.md", README)
        .template("app.py", APP)
        .template("requirements.txt", REQUIREMENTS)
        .template(".gitignore", GITIGNORE);
    if input.api {
        plan.notice("The app's `greet` endpoint is callable with gradio_client (`api_name=\"/greet\"`, see README.md); a private Space needs a Hugging Face token with read access.");
    }
    Ok(plan)
}

/// A release number such as `6.31.0` or `5.0.0b3`: the Hub installs `gradio==<it>`, so anything else
/// breaks the build. Gradio 3 and earlier are no longer served by the Hub's current runtime.
fn checked_version(version: &str) -> Result<&str, PluginError> {
    let err = |why: &str| PluginError::option("gradio-version", format!("--gradio-version {version:?}: {why}"));
    let mut parts = version.split('.');
    let major: u32 = parts.next().and_then(|m| m.parse().ok()).ok_or_else(|| err("not a version number like 6.31.0"))?;
    let rest: Vec<&str> = parts.collect();
    let well_formed = !rest.is_empty()
        && rest.len() <= 2
        && rest.iter().all(|p| p.starts_with(|c: char| c.is_ascii_digit()) && p.chars().all(|c| c.is_ascii_alphanumeric()));
    if !well_formed {
        return Err(err("not a version number like 6.31.0"));
    }
    if major < 4 {
        return Err(err("choose Gradio 4 or later"));
    }
    Ok(version)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::check;
    use spacesmith_plugin_sdk::testing::{self, TeraRenderer, assert_tidy, file_text as text, project_from_output};
    use spacesmith_plugin_sdk::{OptionValue, ScaffoldOutput};

    fn render(options: &[(&str, &str)], api: bool) -> ScaffoldOutput {
        render_titled("Hello \"world\" & <you>", options, api)
    }

    fn render_titled(title: &str, options: &[(&str, &str)], api: bool) -> ScaffoldOutput {
        let typed: Vec<(&str, OptionValue)> = options.iter().map(|(n, v)| (*n, OptionValue::Text(v.to_string()))).collect();
        let input = testing::input("hello", title, api, &typed);
        plan(&input).unwrap().render_with(&TeraRenderer).unwrap()
    }

    fn option_sets() -> Vec<(Vec<(&'static str, &'static str)>, bool)> {
        vec![(vec![], false), (vec![], true), (vec![("gradio-version", "5.49.1"), ("python-version", "3.11")], false)]
    }

    #[test]
    fn generated_projects_pass_their_own_check_and_are_tidy() {
        for (options, api) in option_sets() {
            let out = render(&options, api);
            assert_eq!(
                out.files.iter().map(|f| f.path.as_str()).collect::<Vec<_>>(),
                [".gitignore", "README.md", "app.py", "requirements.txt"]
            );
            assert!(out.files.iter().all(|f| !f.executable));
            let findings = check(&project_from_output(&out));
            assert!(findings.is_empty(), "{options:?} {api}: {findings:#?}");
            for file in &out.files {
                assert_tidy(&file.path, file.contents_str().unwrap());
            }
            assert_eq!(out, render(&options, api));
            assert!(out.secrets.is_empty() && out.variables.is_empty());
        }
    }

    #[test]
    fn readme_front_matter() {
        let out = render(&[], false);
        let fm: serde_json::Value = serde_json::from_str(&project_from_output(&out).front_matter_json.unwrap()).unwrap();
        assert_eq!(fm["sdk"], "gradio");
        assert_eq!(fm["sdk_version"], "6.31.0");
        assert_eq!(fm["python_version"], "3.12");
        assert_eq!(fm["app_file"], "app.py");
        assert_eq!(fm["title"], "Hello \"world\" & <you>");
        assert!(text(&out, "README.md").contains("sdk_version: \"6.31.0\"\npython_version: \"3.12\"\n"));
        assert!(fm["short_description"].as_str().unwrap().chars().count() <= 60);
        assert!(fm.get("app_port").is_none());
    }

    #[test]
    fn app_launches_without_share_and_logs() {
        let app_text = render(&[], false);
        let app = text(&app_text, "app.py");
        assert!(app.contains("import gradio as gr"));
        assert!(app.contains("demo.launch()\n") && !app.contains("share="));
        assert!(app.contains("line_buffering=True") && app.contains("logging.INFO"));
        assert!(app.contains("TITLE = \"Hello \\\"world\\\" & <you>\""), "{app}");
        assert!(!app.contains("api_name"));
        assert!(!text(&app_text, "README.md").contains("gradio_client"));
        assert!(!text(&app_text, "requirements.txt").lines().any(|l| !l.starts_with('#')));
    }

    #[test]
    fn titles_are_data_not_templates() {
        let out = render_titled("{{ api }} {% if x %}", &[], false);
        assert!(text(&out, "README.md").starts_with("---\ntitle: \"{{ api }} {% if x %}\"\n"));
        assert!(text(&out, "app.py").contains("TITLE = \"{{ api }} {% if x %}\""));
    }

    #[test]
    fn api_adds_a_named_endpoint_and_a_client_example() {
        let out = render(&[], true);
        assert!(text(&out, "app.py").contains("api_name=\"greet\""));
        let readme = text(&out, "README.md");
        assert!(readme.contains("from gradio_client import Client") && readme.contains("api_name=\"/greet\""));
        assert!(readme.contains("Client(\"<owner>/hello\", token="));
        assert_eq!(out.notices.len(), 1);
    }

    #[test]
    fn versions_are_checked() {
        for ok in ["6.31.0", "5.0.0b3", "4.44"] {
            assert_eq!(checked_version(ok).unwrap(), ok);
        }
        for bad in ["latest", "6", "6.x", "3.50.2", "6.0.0; rm", "v6.0.0", "6..0"] {
            assert_eq!(checked_version(bad).unwrap_err().option.as_deref(), Some("gradio-version"), "{bad}");
        }
    }
}
