//! `scaffold`: a Docker-SDK Space running Streamlit: README.md, Dockerfile, app.py, requirements.txt,
//! .streamlit/config.toml, .gitignore, .dockerignore.

use spacesmith_plugin_sdk::text::{one_line, py_str, yaml_str};
use spacesmith_plugin_sdk::{
    DEFAULT_PYTHON_VERSION, OptionSpec, Options, PYTHON_VERSIONS, Plan, PluginError, ScaffoldInput, Template, json,
};

use crate::STREAMLIT_PORT;

/// The current streamlit on PyPI.
pub const DEFAULT_STREAMLIT_VERSION: &str = "1.67.0";

const README: Template = Template::new("streamlit/README.md.tera", include_str!("../templates/README.md.tera"));
const DOCKERFILE: Template = Template::new("streamlit/Dockerfile.tera", include_str!("../templates/Dockerfile.tera"));
const APP: Template = Template::new("streamlit/app.py.tera", include_str!("../templates/app.py.tera"));
const REQUIREMENTS: Template =
    Template::new("streamlit/requirements.txt.tera", include_str!("../templates/requirements.txt.tera"));
const CONFIG: Template = Template::new("streamlit/config.toml.tera", include_str!("../templates/config.toml.tera"));
const GITIGNORE: Template = Template::new("streamlit/gitignore.tera", include_str!("../templates/gitignore.tera"));
const DOCKERIGNORE: Template = Template::new("streamlit/dockerignore.tera", include_str!("../templates/dockerignore.tera"));

pub fn option_specs() -> Vec<OptionSpec> {
    vec![
        OptionSpec::text("streamlit-version", Some(DEFAULT_STREAMLIT_VERSION), "Streamlit version pinned in requirements.txt."),
        OptionSpec::choice(
            "python-version",
            &PYTHON_VERSIONS,
            Some(DEFAULT_PYTHON_VERSION),
            "CPython version of the base image (python:<version>-slim).",
        ),
    ]
}

pub fn plan(input: &ScaffoldInput) -> Result<Plan, PluginError> {
    let opts = Options::parse(&option_specs(), &input.options)?;
    let streamlit_version = checked_version(opts.required_text("streamlit-version")?)?;
    let python_version = opts.required_text("python-version")?;
    let title = one_line(&input.title, &input.project_name);
    let context = json!({
        "title": title,
        "title_yaml": yaml_str(&title),
        "title_py": py_str(&title),
        "project_name": input.project_name,
        "short_description_yaml": yaml_str("A Streamlit app that greets you by name"),
        "port": STREAMLIT_PORT,
        "python_version": python_version,
        "streamlit_version": streamlit_version,
    });
    let mut plan = Plan::new(context);
    plan.template("README.md", README)
        .template("Dockerfile", DOCKERFILE)
        .template("app.py", APP)
        .template("requirements.txt", REQUIREMENTS)
        .template(".streamlit/config.toml", CONFIG)
        .template(".gitignore", GITIGNORE)
        .template(".dockerignore", DOCKERIGNORE)
        .notice("The Hub's Streamlit SDK is deprecated: this Space uses the Docker SDK and runs Streamlit on app_port 8501.");
    if input.api {
        plan.notice("To call a Space as an API, Gradio is the recommended SDK (`--sdk gradio --api`): Gradio Spaces expose a client API (gradio_client); Streamlit apps have none.");
    }
    Ok(plan)
}

/// `X.Y.Z` (digits, with an optional alphanumeric suffix on the last part): it goes into
/// `streamlit==<it>` in requirements.txt.
fn checked_version(version: &str) -> Result<&str, PluginError> {
    let parts: Vec<&str> = version.split('.').collect();
    let ok = (2..=3).contains(&parts.len())
        && parts.iter().all(|p| p.starts_with(|c: char| c.is_ascii_digit()) && p.chars().all(|c| c.is_ascii_alphanumeric()));
    if ok {
        Ok(version)
    } else {
        Err(PluginError::option(
            "streamlit-version",
            format!("--streamlit-version {version:?} is not a version number like 1.67.0"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spacesmith_plugin_sdk::testing::{self, TeraRenderer, assert_tidy, file_text as text, project_from_output};
    use spacesmith_plugin_sdk::{OptionValue, ScaffoldOutput};

    fn render(options: &[(&str, &str)], api: bool) -> ScaffoldOutput {
        let typed: Vec<(&str, OptionValue)> = options.iter().map(|(n, v)| (*n, OptionValue::Text(v.to_string()))).collect();
        let input = testing::input("greeter", "Greeter: \"hello\"", api, &typed);
        plan(&input).unwrap().render_with(&TeraRenderer).unwrap()
    }

    fn option_sets() -> Vec<(Vec<(&'static str, &'static str)>, bool)> {
        vec![(vec![], false), (vec![], true), (vec![("streamlit-version", "1.50.0"), ("python-version", "3.13")], false)]
    }

    /// The generated Space is a Docker Space: the docker plugin's rules are the ones that apply to it.
    #[test]
    fn generated_projects_pass_the_docker_check_and_are_tidy() {
        for (options, api) in option_sets() {
            let out = render(&options, api);
            let paths: Vec<&str> = out.files.iter().map(|f| f.path.as_str()).collect();
            assert_eq!(
                paths,
                [
                    ".dockerignore",
                    ".gitignore",
                    ".streamlit/config.toml",
                    "Dockerfile",
                    "README.md",
                    "app.py",
                    "requirements.txt"
                ]
            );
            let findings = spacesmith_plugin_docker::check::check(&project_from_output(&out));
            assert!(findings.is_empty(), "{options:?}: {findings:#?}");
            for file in &out.files {
                assert_tidy(&file.path, file.contents_str().unwrap());
            }
            assert_eq!(out, render(&options, api));
        }
    }

    #[test]
    fn a_docker_space_on_8501() {
        let out = render(&[], false);
        let fm: serde_json::Value = serde_json::from_str(&project_from_output(&out).front_matter_json.unwrap()).unwrap();
        assert_eq!(fm["sdk"], "docker");
        assert_eq!(fm["app_port"], 8501);
        assert_eq!(fm["tags"], serde_json::json!(["streamlit"]));
        assert!(fm["short_description"].as_str().unwrap().chars().count() <= 60);
        let dockerfile = text(&out, "Dockerfile");
        assert!(dockerfile.contains("useradd -m -u 1000 user") && dockerfile.contains("\nUSER user\n"));
        assert!(dockerfile.contains("EXPOSE 8501\n") && dockerfile.contains("PYTHONUNBUFFERED=1"));
        assert!(dockerfile.contains(
            "CMD [\"streamlit\", \"run\", \"app.py\", \"--server.port\", \"8501\", \"--server.address\", \"0.0.0.0\", \"--server.headless\", \"true\"]\n"
        ));
        assert!(dockerfile.lines().filter(|l| l.starts_with("COPY")).all(|l| l.contains("--chown=user")));
        assert_eq!(text(&out, "requirements.txt"), "streamlit==1.67.0\n");
        assert!(text(&out, ".streamlit/config.toml").contains("port = 8501\n"));
        assert!(text(&out, "app.py").contains("import streamlit as st"));
        assert!(out.secrets.is_empty() && out.variables.is_empty());
        assert_eq!(out.notices.len(), 1);
    }

    #[test]
    fn the_generated_config_passes_the_legacy_check_too() {
        let out = render(&[], false);
        let mut project = project_from_output(&out);
        project.front_matter_json = Some(r#"{"sdk":"streamlit","sdk_version":"1.67.0"}"#.into());
        let findings = crate::check(&project);
        let ids: Vec<&str> = findings.iter().map(|f| f.rule_id.as_str()).collect();
        assert_eq!(ids, ["streamlit/migrate-to-docker"]);
    }

    #[test]
    fn api_asks_for_gradio() {
        assert!(render(&[], true).notices.iter().any(|n| n.contains("Gradio is the recommended SDK")));
    }

    #[test]
    fn versions_are_checked() {
        assert_eq!(checked_version("1.67.0").unwrap(), "1.67.0");
        assert_eq!(checked_version("1.40").unwrap(), "1.40");
        for bad in ["latest", "1", "1.67.0 ; x", ">=1.0"] {
            assert_eq!(checked_version(bad).unwrap_err().option.as_deref(), Some("streamlit-version"), "{bad}");
        }
    }
}
