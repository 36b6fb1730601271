//! Bindings for contract 0.1 (wit/v0.1, frozen), adapted once to the host model: what 0.1 lacks
//! (run plans, secret discovery, lint requests) gets the answer a 0.1 host gave.

use wasmtime::Store;

use crate::runtime::{Bindings, Refusal, State};

wasmtime::component::bindgen!({
    world: "plugin",
    path: "../../wit/v0.1",
    // Host functions may trap the guest (a render that outlives the call's deadline).
    imports: { default: trappable },
});

use spacesmith::plugin::host as h;
use spacesmith::plugin::types as t;

pub const VERSION: crate::Version = crate::Version::new(0, 1, 0);

crate::convert::shared_conversions!();

fn secret(s: t::SecretSpec) -> SecretSpec {
    SecretSpec { name: s.name, stage: stage(s.stage), required: s.required, why: s.why, found_in: Vec::new() }
}

impl Bindings for Plugin {
    shared_calls!();

    fn run_plan(&self, _store: &mut Store<State>, _project: &ProjectInput) -> wasmtime::Result<RunPlanAnswer> {
        Ok(RunPlanAnswer::NotInContract)
    }

    /// What a 0.1 host reported: the generic scan of the project's files.
    fn secrets(&self, _store: &mut Store<State>, project: &ProjectInput) -> wasmtime::Result<Vec<SecretSpec>> {
        Ok(crate::model::scan_secrets(project))
    }

    fn linters(&self, _store: &mut Store<State>, _project: &ProjectInput) -> wasmtime::Result<Vec<LintRequest>> {
        Ok(Vec::new())
    }
}
