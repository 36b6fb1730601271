//! What a plugin's run plan, secrets and lint requests may contain. The host acts on them (runs
//! commands, reads files, prints names), so they are checked like scaffold output: paths stay inside
//! the project, names are environment names, counts are bounded, and text is sanitised.

use crate::limits::Limits;
use crate::model::*;
use crate::output::{check_path, sanitize_text, valid_env_name};

fn path(what: &str, p: &str) -> Result<(), String> {
    check_path(p).map_err(|problem| format!("{what} `{}` is refused: {problem}", sanitize_text(p, 200)))
}

fn count(what: &str, n: usize, limits: &Limits) -> Result<(), String> {
    if n > limits.max_items { Err(format!("{n} {what} is over the limit of {}", limits.max_items)) } else { Ok(()) }
}

fn argv(what: &str, argv: &[String], limits: &Limits) -> Result<(), String> {
    count(&format!("arguments of {what}"), argv.len(), limits)?;
    match argv.first() {
        None => Err(format!("{what} has no program")),
        Some(p) if p.trim().is_empty() => Err(format!("{what} has an empty program name")),
        _ if argv.iter().any(|a| a.contains('\0') || a.len() > 8192) => {
            Err(format!("{what} has an argument with a NUL byte or over 8192 bytes"))
        }
        _ => Ok(()),
    }
}

fn text(s: &mut String, max: usize) {
    *s = sanitize_text(s, max);
}

/// The plan checked, with its texts sanitised.
pub(crate) fn checked(answer: RunPlanAnswer, limits: &Limits) -> Result<RunPlanAnswer, String> {
    match answer {
        RunPlanAnswer::Plan(plan) => checked_plan(plan, limits).map(RunPlanAnswer::Plan),
        RunPlanAnswer::Refused(mut e) => {
            if let Some(p) = &e.path {
                path("the plan error's path", p)?;
            }
            text(&mut e.message, 2000);
            text(&mut e.fix, 2000);
            Ok(RunPlanAnswer::Refused(e))
        }
        other => Ok(other),
    }
}

fn checked_plan(mut plan: RunPlan, limits: &Limits) -> Result<RunPlan, String> {
    if plan.port == 0 {
        return Err("the run plan's port is 0".into());
    }
    count("setup steps", plan.setup.len(), limits)?;
    count("env variables", plan.env.len(), limits)?;
    for step in &mut plan.setup {
        match step {
            SetupStep::Python(env) => {
                count("requirement files", env.requirement_files.len(), limits)?;
                count("packages", env.packages.len(), limits)?;
                for f in &env.requirement_files {
                    path("the requirement file", f)?;
                }
                // A specifier starting with `-` would be a pip option (`--index-url`, `-e`).
                if let Some(p) = env.packages.iter().find(|p| p.trim().is_empty() || p.starts_with('-') || p.contains('\0')) {
                    return Err(format!("the package `{}` is not a pip requirement specifier", sanitize_text(p, 200)));
                }
            }
            SetupStep::Command(c) => {
                argv(&format!("the setup step `{}`", sanitize_text(&c.label, 100)), &c.argv, limits)?;
                if let Some(p) = &c.unless_exists {
                    path("the setup step's unless-exists path", p)?;
                }
                text(&mut c.label, 200);
                text(&mut c.fix, 2000);
            }
        }
    }
    match &mut plan.start {
        Ok(Start::Program { argv: a }) => argv("the start program", a, limits)?,
        Ok(Start::StaticFiles { page }) => path("the static page", page)?,
        Err(why) => text(why, 2000),
    }
    for e in &plan.env {
        if !valid_env_name(&e.name) {
            return Err(format!("`{}` is not an environment variable name", sanitize_text(&e.name, 100)));
        }
        if e.value.contains('\0') || e.value.len() > 8192 {
            return Err(format!("the value of {} has a NUL byte or is over 8192 bytes", e.name));
        }
    }
    if !plan.ready_path.starts_with('/') || plan.ready_path.chars().any(|c| c.is_control() || c == ' ') {
        return Err(format!("the ready path `{}` must be an absolute URL path", sanitize_text(&plan.ready_path, 200)));
    }
    if let Some(c) = &plan.container {
        path("the container's Dockerfile", &c.dockerfile)?;
    }
    Ok(plan)
}

pub(crate) fn checked_secrets(mut secrets: Vec<SecretSpec>, limits: &Limits) -> Result<Vec<SecretSpec>, String> {
    count("secrets", secrets.len(), limits)?;
    for s in &mut secrets {
        if !valid_env_name(&s.name) {
            return Err(format!("`{}` is not a secret name", sanitize_text(&s.name, 100)));
        }
        count(&format!("places of {}", s.name), s.found_in.len(), limits)?;
        for l in &s.found_in {
            path(&format!("where {} is read", s.name), &l.path)?;
        }
        s.found_in.retain(|l| l.line != Some(0));
        text(&mut s.why, 500);
    }
    Ok(secrets)
}

pub(crate) fn checked_lint_requests(requests: Vec<LintRequest>, limits: &Limits) -> Result<Vec<LintRequest>, String> {
    count("lint requests", requests.len(), limits)?;
    for r in &requests {
        path("the file to lint", &r.path)?;
    }
    Ok(requests)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> RunPlan {
        RunPlan {
            port: 7860,
            setup: vec![
                SetupStep::Python(PythonEnv {
                    requirement_files: vec!["requirements.txt".into()],
                    packages: vec!["gradio==5".into()],
                }),
                SetupStep::Command(CommandStep {
                    label: "build\u{1b}[2J".into(),
                    argv: vec!["sh".into(), "-c".into(), "make".into()],
                    unless_exists: Some("out".into()),
                    fix: "Fix it.".into(),
                }),
            ],
            start: Ok(Start::Program { argv: vec!["python".into(), "app.py".into()] }),
            env: vec![EnvVar { name: "GRADIO_SERVER_PORT".into(), value: PORT_PLACEHOLDER.into() }],
            ready_path: "/".into(),
            container: Some(Container { dockerfile: "Dockerfile".into() }),
        }
    }

    fn refused(edit: impl FnOnce(&mut RunPlan)) -> String {
        let mut p = plan();
        edit(&mut p);
        checked(RunPlanAnswer::Plan(p), &Limits::default()).unwrap_err()
    }

    #[test]
    fn a_good_plan_passes_with_its_text_sanitised() {
        let RunPlanAnswer::Plan(p) = checked(RunPlanAnswer::Plan(plan()), &Limits::default()).unwrap() else { panic!() };
        let SetupStep::Command(c) = &p.setup[1] else { panic!() };
        assert!(!c.label.contains('\u{1b}'), "{:?}", c.label);
    }

    #[test]
    fn plans_that_reach_outside_the_project_or_smuggle_options_are_refused() {
        assert!(refused(|p| p.port = 0).contains("port"));
        assert!(refused(|p| p.container = Some(Container { dockerfile: "../Dockerfile".into() })).contains("Dockerfile"));
        assert!(refused(|p| p.start = Ok(Start::StaticFiles { page: "/etc/passwd".into() })).contains("page"));
        assert!(refused(|p| p.start = Ok(Start::Program { argv: vec![] })).contains("no program"));
        assert!(refused(|p| p.env[0].name = "A=B".into()).contains("not an environment variable name"));
        assert!(refused(|p| p.ready_path = "health".into()).contains("ready path"));
        assert!(
            refused(|p| p.setup[0] =
                SetupStep::Python(PythonEnv { requirement_files: vec![], packages: vec!["--index-url=x".into()] }))
            .contains("pip requirement")
        );
        assert!(
            refused(|p| p.setup[0] = SetupStep::Python(PythonEnv { requirement_files: vec![".git/x".into()], packages: vec![] }))
                .contains("requirement file")
        );
        let e = PlanError { problem: PlanProblem::MissingFile, message: "m".into(), path: Some("/abs".into()), fix: "f".into() };
        assert!(checked(RunPlanAnswer::Refused(e), &Limits::default()).is_err());
    }

    #[test]
    fn secrets_and_lint_requests_are_checked() {
        let s = SecretSpec {
            name: "HF TOKEN".into(),
            stage: SecretStage::Runtime,
            required: true,
            why: String::new(),
            found_in: vec![],
        };
        assert!(checked_secrets(vec![s], &Limits::default()).is_err());
        let r = LintRequest { linter: Linter::Hadolint, path: "../Dockerfile".into() };
        assert!(checked_lint_requests(vec![r], &Limits::default()).is_err());
    }
}
