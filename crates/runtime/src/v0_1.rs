//! Bindings for contract 0.1 (wit/v0.1, frozen) and their conversion into the host model.
//! A later contract gets its own module beside this one; this file then never changes.

use crate::model::*;

wasmtime::component::bindgen!({
    world: "plugin",
    path: "../../wit/v0.1",
    // Host functions may trap the guest (a render that outlives the call's deadline).
    imports: { default: trappable },
});

pub(crate) use exports::spacesmith::plugin::guest as g;
pub(crate) use spacesmith::plugin::host as h;
pub(crate) use spacesmith::plugin::types as t;

impl From<t::PluginInfo> for PluginInfo {
    fn from(i: t::PluginInfo) -> Self {
        PluginInfo {
            name: i.name,
            sdk_id: i.sdk_id,
            version: i.version,
            description: i.description,
            checks_sdks: i.checks_sdks,
            default_port: i.default_port,
            options: i.options.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<t::OptionSpec> for OptionSpec {
    fn from(o: t::OptionSpec) -> Self {
        OptionSpec {
            name: o.name,
            kind: match o.kind {
                t::OptionKind::Text => OptionKind::Text,
                t::OptionKind::Flag => OptionKind::Flag,
                t::OptionKind::Integer(r) => OptionKind::Integer { min: r.min, max: r.max },
                t::OptionKind::Choice(values) => OptionKind::Choice { values },
                t::OptionKind::Url => OptionKind::Url,
            },
            default: o.default_value.map(Into::into),
            help: o.help,
        }
    }
}

impl From<t::OptionValue> for OptionValue {
    fn from(v: t::OptionValue) -> Self {
        match v {
            t::OptionValue::Text(s) => OptionValue::Text(s),
            t::OptionValue::Flag(b) => OptionValue::Flag(b),
            t::OptionValue::Integer(n) => OptionValue::Integer(n),
        }
    }
}

impl From<&OptionValue> for t::OptionValue {
    fn from(v: &OptionValue) -> Self {
        match v {
            OptionValue::Text(s) => t::OptionValue::Text(s.clone()),
            OptionValue::Flag(b) => t::OptionValue::Flag(*b),
            OptionValue::Integer(n) => t::OptionValue::Integer(*n),
        }
    }
}

impl From<&ScaffoldInput> for t::ScaffoldInput {
    fn from(i: &ScaffoldInput) -> Self {
        t::ScaffoldInput {
            project_name: i.project_name.clone(),
            title: i.title.clone(),
            api: i.api,
            options: i.options.iter().map(|(name, value)| t::NamedValue { name: name.clone(), value: value.into() }).collect(),
        }
    }
}

impl From<t::ScaffoldOutput> for ScaffoldOutput {
    fn from(o: t::ScaffoldOutput) -> Self {
        ScaffoldOutput {
            files: o
                .files
                .into_iter()
                .map(|f| GeneratedFile { path: f.path, contents: f.contents, executable: f.executable })
                .collect(),
            secrets: o
                .secrets
                .into_iter()
                .map(|s| SecretSpec {
                    name: s.name,
                    stage: match s.stage {
                        t::SecretStage::Build => SecretStage::Build,
                        t::SecretStage::Runtime => SecretStage::Runtime,
                    },
                    required: s.required,
                    why: s.why,
                })
                .collect(),
            variables: o.variables.into_iter().map(|v| VariableSpec { name: v.name, value: v.value, why: v.why }).collect(),
            notices: o.notices,
        }
    }
}

impl From<&ProjectInput> for t::Project {
    fn from(p: &ProjectInput) -> Self {
        t::Project {
            files: p
                .files
                .iter()
                .map(|f| t::ProjectFile { path: f.path.clone(), contents: f.contents.clone(), truncated: f.truncated })
                .collect(),
            front_matter_json: p.front_matter_json.clone(),
        }
    }
}

pub(crate) fn severity(s: t::Severity) -> spacesmith_spec::Severity {
    match s {
        t::Severity::Error => spacesmith_spec::Severity::Error,
        t::Severity::Warning => spacesmith_spec::Severity::Warning,
        t::Severity::Info => spacesmith_spec::Severity::Info,
    }
}

pub(crate) fn log_level(l: h::LogLevel) -> crate::LogLevel {
    match l {
        h::LogLevel::Trace => crate::LogLevel::Trace,
        h::LogLevel::Debug => crate::LogLevel::Debug,
        h::LogLevel::Info => crate::LogLevel::Info,
        h::LogLevel::Warn => crate::LogLevel::Warn,
        h::LogLevel::Error => crate::LogLevel::Error,
    }
}
