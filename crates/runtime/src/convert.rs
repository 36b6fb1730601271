//! The conversions every contract version shares. Each version's bindings are distinct Rust types
//! with the same shape wherever the WIT did not change, so one macro, expanded inside each version
//! module (where `t` and `h` name its `types` and `host` interfaces), writes them once.

macro_rules! shared_conversions {
    () => {
        use $crate::model::*;

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
                    options: i
                        .options
                        .iter()
                        .map(|(name, value)| t::NamedValue { name: name.clone(), value: value.into() })
                        .collect(),
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
                    secrets: o.secrets.into_iter().map(secret).collect(),
                    variables: o
                        .variables
                        .into_iter()
                        .map(|v| VariableSpec { name: v.name, value: v.value, why: v.why })
                        .collect(),
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

        fn stage(s: t::SecretStage) -> SecretStage {
            match s {
                t::SecretStage::Build => SecretStage::Build,
                t::SecretStage::Runtime => SecretStage::Runtime,
            }
        }

        pub(crate) fn severity(s: t::Severity) -> spacesmith_spec::Severity {
            match s {
                t::Severity::Error => spacesmith_spec::Severity::Error,
                t::Severity::Warning => spacesmith_spec::Severity::Warning,
                t::Severity::Info => spacesmith_spec::Severity::Info,
            }
        }

        pub(crate) fn log_level(l: h::LogLevel) -> $crate::LogLevel {
            match l {
                h::LogLevel::Trace => $crate::LogLevel::Trace,
                h::LogLevel::Debug => $crate::LogLevel::Debug,
                h::LogLevel::Info => $crate::LogLevel::Info,
                h::LogLevel::Warn => $crate::LogLevel::Warn,
                h::LogLevel::Error => $crate::LogLevel::Error,
            }
        }

        fn rule(r: t::Rule) -> spacesmith_spec::RuleInfo {
            spacesmith_spec::RuleInfo {
                id: r.id,
                severity: severity(r.severity),
                summary: r.summary,
                explanation: r.explanation,
                fix: r.fix,
            }
        }

        fn finding(f: t::Finding) -> spacesmith_spec::Finding {
            spacesmith_spec::Finding {
                rule: f.rule_id,
                severity: severity(f.severity),
                path: f.path,
                line: f.line,
                message: f.message,
                fix: f.fix,
                field: None,
            }
        }

        impl t::Host for $crate::runtime::State {}

        impl h::Host for $crate::runtime::State {
            fn log(&mut self, level: h::LogLevel, message: String) -> wasmtime::Result<()> {
                self.log_import(log_level(level), message)
            }

            fn render(
                &mut self,
                name: String,
                template: String,
                context_json: String,
            ) -> wasmtime::Result<Result<String, String>> {
                self.render_import(name, template, context_json)
            }
        }

        /// The calls every contract has.
        macro_rules! shared_calls {
            () => {
                fn info(&self, store: &mut Store<State>) -> wasmtime::Result<PluginInfo> {
                    Ok(self.spacesmith_plugin_guest().call_info(store)?.into())
                }

                fn scaffold(
                    &self,
                    store: &mut Store<State>,
                    input: &ScaffoldInput,
                ) -> wasmtime::Result<Result<ScaffoldOutput, Refusal>> {
                    let out = self.spacesmith_plugin_guest().call_scaffold(store, &input.into())?;
                    Ok(out.map(Into::into).map_err(|e| Refusal { message: e.message, option: e.option }))
                }

                fn rules(&self, store: &mut Store<State>) -> wasmtime::Result<Vec<spacesmith_spec::RuleInfo>> {
                    Ok(self.spacesmith_plugin_guest().call_rules(store)?.into_iter().map(rule).collect())
                }

                fn check(
                    &self,
                    store: &mut Store<State>,
                    project: &ProjectInput,
                ) -> wasmtime::Result<Vec<spacesmith_spec::Finding>> {
                    Ok(self.spacesmith_plugin_guest().call_check(store, &project.into())?.into_iter().map(finding).collect())
                }
            };
        }
    };
}

pub(crate) use shared_conversions;
