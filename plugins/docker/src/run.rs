//! How a Docker Space runs under `spacesmith dev`: locally when the image's start command is a Python
//! server (python, uvicorn, streamlit, gunicorn, or a start script that runs one) in a virtualenv
//! with requirements.txt; any other image only in its container (`dev --docker`). hadolint runs on
//! the Dockerfile.

use spacesmith_plugin_sdk::readers::dockerfile::{Dockerfile, Form};
use spacesmith_plugin_sdk::readers::shell::basename;
use spacesmith_plugin_sdk::{LintRequest, PORT, PlanError, Project, PythonEnv, RunPlan, Value, app_port};

const DOCKERFILE: &str = "Dockerfile";
const REQUIREMENTS: &str = "requirements.txt";
const PYTHON_SERVERS: [&str; 4] = ["python", "uvicorn", "streamlit", "gunicorn"];
/// The flags of those servers that take the port: `--port 8000`, `--server.port=8501`, ...
const PORT_FLAGS: [&str; 3] = ["--port", "--server.port", "--server-port"];

/// The run plan of any Docker Space: the image is always there to build; the local start only when
/// the Dockerfile's start command is one a virtualenv can run.
pub fn run_plan(project: &Project) -> Result<Option<RunPlan>, PlanError> {
    let port = app_port(&project.front_matter());
    let plan = match project.text(DOCKERFILE).map(|text| local_start(project, text)) {
        Some(Ok(argv)) => RunPlan::program(port, argv).with_setup(PythonEnv::requirements([REQUIREMENTS])),
        Some(Err(why)) => RunPlan::container_only(port, why),
        // The host reports a missing Dockerfile with the container it is asked to build.
        None if !project.has(DOCKERFILE) => RunPlan::container_only(port, "the project has no Dockerfile"),
        None => RunPlan::container_only(port, "the Dockerfile is too large to read or not UTF-8"),
    };
    Ok(Some(plan.with_container(DOCKERFILE)))
}

/// hadolint on the Dockerfile, when there is one.
pub fn linters(project: &Project) -> Vec<LintRequest> {
    if project.has(DOCKERFILE) { vec![LintRequest::hadolint(DOCKERFILE)] } else { Vec::new() }
}

/// The command the image starts, as run from the project directory, or why it cannot run outside it.
fn local_start(project: &Project, dockerfile: &str) -> Result<Vec<String>, String> {
    let file = Dockerfile::parse(dockerfile);
    let start = file.image_start().ok_or("the Dockerfile has no FROM")?;
    if start.entrypoint.is_some() {
        return Err("the final image has an ENTRYPOINT".into());
    }
    let cmd = start.cmd.ok_or("the final image has no CMD")?;
    let argv = match cmd.form() {
        Form::Exec(argv) if !argv.is_empty() => argv,
        Form::Exec(_) => return Err("CMD is empty".into()),
        Form::Shell(text) => return Err(format!("CMD {text} is in shell form, not exec form")),
    };
    let shown = Value::from(argv.clone()).to_string();
    // Paths inside the image's WORKDIR are the project's files.
    let workdir = start.workdir.trim_end_matches('/');
    let local = |arg: &str| -> String {
        match arg.strip_prefix(workdir).and_then(|rest| rest.strip_prefix('/')) {
            Some(relative) if !workdir.is_empty() => relative.to_string(),
            _ => arg.to_string(),
        }
    };
    let program = basename(&argv[0]).to_string();
    let script = if matches!(program.as_str(), "sh" | "bash" | "dash") {
        argv[1..].iter().find(|a| !a.starts_with('-')).filter(|a| a.ends_with(".sh")).map(|a| local(a))
    } else {
        program.ends_with(".sh").then(|| local(&argv[0]))
    };
    if let Some(script) = script {
        let Some(text) = project.text(&script) else {
            return Err(format!("CMD {shown} runs {script}, which is not in the project"));
        };
        if !PYTHON_SERVERS.iter().any(|p| text.contains(p)) {
            return Err(format!("{script} (the Dockerfile's CMD) does not run python, uvicorn or streamlit"));
        }
        return Ok(vec!["sh".into(), script]);
    }
    let python = program == "python" || program.strip_prefix("python3").is_some_and(|v| v.is_empty() || v.starts_with('.'));
    if !(python || PYTHON_SERVERS.contains(&program.as_str())) {
        return Err(format!("the Dockerfile's CMD {shown} does not run python, uvicorn or streamlit"));
    }
    let mut out = vec![program];
    let mut next_is_port = false;
    for arg in &argv[1..] {
        if std::mem::take(&mut next_is_port) {
            out.push(PORT.into());
        } else if PORT_FLAGS.contains(&arg.as_str()) {
            out.push(arg.clone());
            next_is_port = true;
        } else if let Some(flag) = PORT_FLAGS.iter().find(|f| arg.starts_with(&format!("{f}="))) {
            out.push(format!("{flag}={PORT}"));
        } else {
            out.push(local(arg));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use spacesmith_plugin_sdk::testing::project;
    use spacesmith_plugin_sdk::{Container, Linter, SetupStep, Start, json};

    fn plan_with(front_matter: Value, files: &[(&str, &str)]) -> RunPlan {
        run_plan(&project(files, Some(front_matter))).expect("a plan").expect("some plan")
    }

    fn plan(files: &[(&str, &str)]) -> RunPlan {
        plan_with(json!({"sdk": "docker", "app_port": 8000}), files)
    }

    fn argv(plan: &RunPlan) -> Vec<&str> {
        match &plan.start {
            Ok(Start::Program(argv)) => argv.iter().map(String::as_str).collect(),
            other => panic!("not a program: {other:?}"),
        }
    }

    #[test]
    fn a_uvicorn_cmd_runs_in_a_virtualenv_on_the_planned_port() {
        let dockerfile = "FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nCMD [\"uvicorn\", \"app.main:app\", \"--host\", \"0.0.0.0\", \"--port\", \"8000\"]\n";
        let plan = plan(&[("Dockerfile", dockerfile)]);
        assert_eq!(argv(&plan), ["uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "{port}"]);
        assert_eq!(plan.port, 8000);
        assert_eq!(plan.setup, [SetupStep::Python(PythonEnv::requirements(["requirements.txt"]))]);
        assert_eq!(plan.container, Some(Container { dockerfile: "Dockerfile".into() }));
    }

    #[test]
    fn paths_in_the_workdir_are_project_paths_and_port_flags_take_the_port() {
        let dockerfile = "FROM python:3.12\nENV HOME=/home/user\nWORKDIR $HOME/app\nCMD [\"/usr/local/bin/streamlit\", \"run\", \"/home/user/app/src/app.py\", \"--server.port=8501\"]\n";
        let plan = plan_with(json!({"sdk": "docker"}), &[("Dockerfile", dockerfile)]);
        assert_eq!(argv(&plan), ["streamlit", "run", "src/app.py", "--server.port={port}"]);
        assert_eq!(plan.port, 7860, "README without app_port: the Hub's default");
    }

    #[test]
    fn a_start_script_that_runs_python_is_run_with_sh() {
        let dockerfile = "FROM python:3.12\nWORKDIR /app\nCOPY . .\nCMD [\"bash\", \"/app/start.sh\"]\n";
        let files = [("Dockerfile", dockerfile), ("start.sh", "#!/bin/sh\nexec python app.py\n")];
        assert_eq!(argv(&plan(&files)), ["sh", "start.sh"]);
        let files = [("Dockerfile", dockerfile), ("start.sh", "#!/bin/sh\nexec node x.js\n")];
        assert_eq!(plan(&files).start, Err("start.sh (the Dockerfile's CMD) does not run python, uvicorn or streamlit".into()));
        let files = [("Dockerfile", dockerfile)];
        assert_eq!(plan(&files).start, Err(r#"CMD ["bash","/app/start.sh"] runs start.sh, which is not in the project"#.into()));
    }

    #[test]
    fn other_images_run_only_in_their_container() {
        let cases = [
            (
                "FROM node:22\nCMD [\"node\",\"server.js\"]\n",
                r#"the Dockerfile's CMD ["node","server.js"] does not run python, uvicorn or streamlit"#,
            ),
            ("FROM python:3.12\nCMD python app.py\n", "CMD python app.py is in shell form, not exec form"),
            ("FROM python:3.12\nENTRYPOINT [\"python\"]\nCMD [\"app.py\"]\n", "the final image has an ENTRYPOINT"),
            ("FROM python:3.12\n", "the final image has no CMD"),
            ("# nothing\n", "the Dockerfile has no FROM"),
        ];
        for (dockerfile, why) in cases {
            let plan = plan(&[("Dockerfile", dockerfile)]);
            assert_eq!(plan.start, Err(why.to_string()), "{dockerfile}");
            assert!(plan.setup.is_empty() && plan.container.is_some(), "{dockerfile}");
        }
        let plan = plan(&[]);
        assert_eq!(plan.start, Err("the project has no Dockerfile".to_string()));
        assert_eq!(plan.container, Some(Container { dockerfile: "Dockerfile".into() }), "the host names the missing file");
    }

    #[test]
    fn a_later_stage_sees_the_cmd_it_is_built_from() {
        let dockerfile = "FROM python:3.12 AS base\nWORKDIR /srv\nCMD [\"python3.12\", \"/srv/app.py\"]\nFROM base\nRUN true\n";
        assert_eq!(argv(&plan(&[("Dockerfile", dockerfile)])), ["python3.12", "app.py"]);
    }

    #[test]
    fn hadolint_runs_on_the_dockerfile_when_there_is_one() {
        let with = project(&[("Dockerfile", "FROM scratch\n")], None);
        assert_eq!(
            linters(&with).iter().map(|l| (l.linter, l.path.as_str())).collect::<Vec<_>>(),
            [(Linter::Hadolint, "Dockerfile")]
        );
        assert!(linters(&project(&[("README.md", "")], None)).is_empty());
    }
}
