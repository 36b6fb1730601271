//! Bindings for contract 0.2 (wit/v0.2): 0.1 plus run plans, secret discovery and lint requests.

use wasmtime::Store;

use crate::runtime::{Bindings, Refusal, State};

wasmtime::component::bindgen!({
    world: "plugin",
    path: "../../wit/v0.2",
    imports: { default: trappable },
});

use spacesmith::plugin::host as h;
use spacesmith::plugin::types as t;

pub const VERSION: crate::Version = crate::Version::new(0, 2, 0);

crate::convert::shared_conversions!();

fn secret(s: t::SecretSpec) -> SecretSpec {
    SecretSpec {
        name: s.name,
        stage: stage(s.stage),
        required: s.required,
        why: s.why,
        found_in: s.found_in.into_iter().map(|l| Location { path: l.path, line: l.line }).collect(),
    }
}

fn run_plan(p: t::RunPlan) -> RunPlan {
    RunPlan {
        port: p.port,
        setup: p
            .setup
            .into_iter()
            .map(|s| match s {
                t::SetupStep::Python(e) => {
                    SetupStep::Python(PythonEnv { requirement_files: e.requirement_files, packages: e.packages })
                }
                t::SetupStep::Command(c) => {
                    SetupStep::Command(CommandStep { label: c.label, argv: c.argv, unless_exists: c.unless_exists, fix: c.fix })
                }
            })
            .collect(),
        start: p.start.map(|s| match s {
            t::Start::Program(argv) => Start::Program { argv },
            t::Start::StaticFiles(site) => Start::StaticFiles { page: site.page },
        }),
        env: p.env.into_iter().map(|e| EnvVar { name: e.name, value: e.value }).collect(),
        ready_path: p.ready_path,
        container: p.container.map(|c| Container { dockerfile: c.dockerfile }),
    }
}

fn plan_error(e: t::PlanError) -> PlanError {
    PlanError {
        problem: match e.problem {
            t::PlanProblem::MissingFile => PlanProblem::MissingFile,
            t::PlanProblem::Unsupported => PlanProblem::Unsupported,
        },
        message: e.message,
        path: e.path,
        fix: e.fix,
    }
}

impl Bindings for Plugin {
    shared_calls!();

    fn run_plan(&self, store: &mut Store<State>, project: &ProjectInput) -> wasmtime::Result<RunPlanAnswer> {
        Ok(match self.spacesmith_plugin_guest().call_run(store, &project.into())? {
            Ok(Some(plan)) => RunPlanAnswer::Plan(run_plan(plan)),
            Ok(None) => RunPlanAnswer::NoPlan,
            Err(e) => RunPlanAnswer::Refused(plan_error(e)),
        })
    }

    fn secrets(&self, store: &mut Store<State>, project: &ProjectInput) -> wasmtime::Result<Vec<SecretSpec>> {
        Ok(self.spacesmith_plugin_guest().call_secrets(store, &project.into())?.into_iter().map(secret).collect())
    }

    fn linters(&self, store: &mut Store<State>, project: &ProjectInput) -> wasmtime::Result<Vec<LintRequest>> {
        let requests = self.spacesmith_plugin_guest().call_linters(store, &project.into())?;
        Ok(requests
            .into_iter()
            .map(|r| LintRequest {
                linter: match r.linter {
                    t::Linter::Hadolint => Linter::Hadolint,
                },
                path: r.path,
            })
            .collect())
    }
}
