//! Run plans as readable Rust: how a Space of the plugin's SDK starts (contract 0.2 `run-plan`).
//!
//! ```ignore
//! RunPlan::program(7860, ["python", "app.py"])
//!     .with_setup(PythonEnv::requirements(["requirements.txt"]).package("gradio==5.9.1"))
//!     .with_env("GRADIO_SERVER_PORT", PORT)
//! ```
//!
//! A plugin only describes: the host creates the environment, runs the steps, starts the program with
//! [`PORT`] replaced, and probes [`RunPlan::ready_path`].

use crate::readers::requirements::requires;
use crate::{
    CommandStep, Container, EnvVar, LintRequest, Linter, PlanError, PlanProblem, Project, PythonEnv, RunPlan, SetupStep, Start,
    StaticSite, Value,
};

/// Where the port the app must listen on goes, in program arguments and env values.
pub const PORT: &str = "{port}";

/// The readiness path of a new plan.
pub const DEFAULT_READY_PATH: &str = "/";

fn strings<S: Into<String>>(items: impl IntoIterator<Item = S>) -> Vec<String> {
    items.into_iter().map(Into::into).collect()
}

impl RunPlan {
    /// A plan that starts `start` (or, as an error, says why the project only runs in its container) on
    /// `port`; no setup, no env, ready at `/`, no container.
    pub fn new(port: u16, start: Result<Start, String>) -> Self {
        Self { port, setup: Vec::new(), start, env: Vec::new(), ready_path: DEFAULT_READY_PATH.into(), container: None }
    }

    /// Runs `argv` from the project directory (arguments may contain [`PORT`]).
    pub fn program<S: Into<String>>(port: u16, argv: impl IntoIterator<Item = S>) -> Self {
        Self::new(port, Ok(Start::program(argv)))
    }

    /// Serves the project's files, `page` being the Space's page.
    pub fn static_files(port: u16, page: impl Into<String>) -> Self {
        Self::new(port, Ok(Start::static_files(page)))
    }

    /// Starts nothing locally: `why` (one sentence) says why it only runs in its container.
    pub fn container_only(port: u16, why: impl Into<String>) -> Self {
        Self::new(port, Err(why.into()))
    }

    /// Adds a setup step (a [`PythonEnv`] or a [`CommandStep`]); steps run in the order added.
    pub fn with_setup(mut self, step: impl Into<SetupStep>) -> Self {
        self.setup.push(step.into());
        self
    }

    /// Adds a variable the SDK's runtime sets for the app (`value` may contain [`PORT`]).
    pub fn with_env(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.push(EnvVar { name: name.into(), value: value.into() });
        self
    }

    /// The image the Hub builds, from `dockerfile` (relative to the project, the context its root).
    pub fn with_container(mut self, dockerfile: impl Into<String>) -> Self {
        self.container = Some(Container { dockerfile: dockerfile.into() });
        self
    }

    /// The path that answers HTTP once the app is up.
    pub fn ready_at(mut self, path: impl Into<String>) -> Self {
        self.ready_path = path.into();
        self
    }
}

impl Start {
    pub fn program<S: Into<String>>(argv: impl IntoIterator<Item = S>) -> Self {
        Start::Program(strings(argv))
    }

    pub fn static_files(page: impl Into<String>) -> Self {
        Start::StaticFiles(StaticSite { page: page.into() })
    }
}

impl PythonEnv {
    /// A virtual environment with `pip install -r` of each of `files` that exists.
    pub fn requirements<S: Into<String>>(files: impl IntoIterator<Item = S>) -> Self {
        Self { requirement_files: strings(files), packages: Vec::new() }
    }

    /// Also installs `spec` (a pip requirement specifier such as `gradio==5.9.1`) after the files.
    pub fn package(mut self, spec: impl Into<String>) -> Self {
        self.packages.push(spec.into());
        self
    }

    /// What the Hub installs for an SDK that runs a Python app (gradio, streamlit): requirements.txt,
    /// and `package==<README sdk_version>` unless requirements.txt names `package` itself.
    pub fn for_sdk(project: &Project, package: &str) -> Self {
        let env = Self::requirements(["requirements.txt"]);
        let version = match &project.front_matter()["sdk_version"] {
            Value::String(v) => v.trim().to_string(),
            // Unquoted (`sdk_version: 5.0` is a number to YAML): the host's rules report it; use it as written.
            Value::Number(v) => v.to_string(),
            _ => String::new(),
        };
        if version.is_empty() || requires(project.text("requirements.txt").unwrap_or_default(), package) {
            env
        } else {
            env.package(format!("{package}=={version}"))
        }
    }
}

/// README `app_file`, or `default`, which must be a file of the project.
pub fn app_file(project: &Project, default: &str) -> Result<String, PlanError> {
    let path = project.front_matter()["app_file"].as_str().unwrap_or(default).to_string();
    if project.has(&path) {
        return Ok(path);
    }
    Err(PlanError::missing_file(
        &path,
        format!("the app file {path} does not exist"),
        format!("README app_file names the file the Space runs (default {default})."),
    ))
}

impl CommandStep {
    /// Runs `argv` in the project directory, shown as `label`; `fix` says what to do when it fails.
    pub fn new<S: Into<String>>(label: impl Into<String>, argv: impl IntoIterator<Item = S>, fix: impl Into<String>) -> Self {
        Self { label: label.into(), argv: strings(argv), unless_exists: None, fix: fix.into() }
    }

    /// Skips the step when the project path `path` exists (e.g. `node_modules` for `npm install`).
    pub fn unless_exists(mut self, path: impl Into<String>) -> Self {
        self.unless_exists = Some(path.into());
        self
    }
}

impl From<PythonEnv> for SetupStep {
    fn from(env: PythonEnv) -> Self {
        SetupStep::Python(env)
    }
}

impl From<CommandStep> for SetupStep {
    fn from(step: CommandStep) -> Self {
        SetupStep::Command(step)
    }
}

impl PlanError {
    /// The Space needs the project file `path`, which is not there.
    pub fn missing_file(path: impl Into<String>, message: impl Into<String>, fix: impl Into<String>) -> Self {
        Self { problem: PlanProblem::MissingFile, message: message.into(), path: Some(path.into()), fix: fix.into() }
    }

    /// The plugin cannot run projects like this one.
    pub fn unsupported(message: impl Into<String>, fix: impl Into<String>) -> Self {
        Self { problem: PlanProblem::Unsupported, message: message.into(), path: None, fix: fix.into() }
    }
}

impl LintRequest {
    /// hadolint on the Dockerfile at `path`.
    pub fn hadolint(path: impl Into<String>) -> Self {
        Self { linter: Linter::Hadolint, path: path.into() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_program_plan_reads_as_built() {
        let plan = RunPlan::program(7860, ["python", "app.py"])
            .with_setup(PythonEnv::requirements(["requirements.txt"]).package("gradio==5.9.1"))
            .with_setup(CommandStep::new("build", ["sh", "-c", "make"], "Fix the Makefile.").unless_exists("out"))
            .with_env("GRADIO_SERVER_PORT", PORT)
            .with_container("Dockerfile")
            .ready_at("/health");
        assert_eq!(
            plan,
            RunPlan {
                port: 7860,
                setup: vec![
                    SetupStep::Python(PythonEnv {
                        requirement_files: vec!["requirements.txt".into()],
                        packages: vec!["gradio==5.9.1".into()]
                    }),
                    SetupStep::Command(CommandStep {
                        label: "build".into(),
                        argv: vec!["sh".into(), "-c".into(), "make".into()],
                        unless_exists: Some("out".into()),
                        fix: "Fix the Makefile.".into(),
                    }),
                ],
                start: Ok(Start::Program(vec!["python".into(), "app.py".into()])),
                env: vec![EnvVar { name: "GRADIO_SERVER_PORT".into(), value: "{port}".into() }],
                ready_path: "/health".into(),
                container: Some(Container { dockerfile: "Dockerfile".into() }),
            }
        );
    }

    #[test]
    fn static_and_container_only_plans() {
        let plan = RunPlan::static_files(7860, "dist/index.html");
        assert_eq!(plan.start, Ok(Start::StaticFiles(StaticSite { page: "dist/index.html".into() })));
        assert_eq!((plan.ready_path.as_str(), plan.setup.len(), plan.container), ("/", 0, None));
        assert_eq!(RunPlan::container_only(8080, "node only").start, Err("node only".to_string()));
    }

    fn project_of(files: &[(&str, &str)], front_matter: Value) -> Project {
        let files = files
            .iter()
            .map(|(path, text)| crate::ProjectFile {
                path: path.to_string(),
                contents: text.as_bytes().to_vec(),
                truncated: false,
            })
            .collect();
        Project { files, front_matter_json: Some(front_matter.to_string()) }
    }

    #[test]
    fn an_sdk_package_is_preinstalled_at_sdk_version_unless_required() {
        use crate::json;
        let project = |reqs: &str, fm: Value| project_of(&[("app.py", ""), ("requirements.txt", reqs)], fm);
        let env = PythonEnv::for_sdk(&project("numpy\n", json!({"sdk_version": "5.9.1"})), "gradio");
        assert_eq!(env, PythonEnv::requirements(["requirements.txt"]).package("gradio==5.9.1"));
        let env = PythonEnv::for_sdk(&project("Gradio[oauth]>=5\n", json!({"sdk_version": "5.9.1"})), "gradio");
        assert_eq!(env.packages, Vec::<String>::new());
        assert_eq!(PythonEnv::for_sdk(&project("", json!({"sdk_version": 1.4})), "streamlit").packages, ["streamlit==1.4"]);
        assert_eq!(PythonEnv::for_sdk(&project("", json!({})), "gradio").packages, Vec::<String>::new());
    }

    #[test]
    fn the_app_file_must_exist() {
        use crate::json;
        let project = project_of(&[("src/main.py", "")], json!({"app_file": "src/main.py"}));
        assert_eq!(app_file(&project, "app.py"), Ok("src/main.py".into()));
        let e = app_file(&project_of(&[], json!({})), "app.py").unwrap_err();
        assert_eq!(
            (e.problem, e.path.as_deref(), e.message.as_str()),
            (PlanProblem::MissingFile, Some("app.py"), "the app file app.py does not exist")
        );
    }

    #[test]
    fn errors_and_lint_requests() {
        let e = PlanError::missing_file("app.py", "the app file app.py does not exist", "Add it.");
        assert_eq!((e.problem, e.path.as_deref()), (PlanProblem::MissingFile, Some("app.py")));
        let e = PlanError::unsupported("no", "Use docker.");
        assert_eq!((e.problem, e.path), (PlanProblem::Unsupported, None));
        assert_eq!(LintRequest::hadolint("Dockerfile"), LintRequest { linter: Linter::Hadolint, path: "Dockerfile".into() });
    }
}
