//! The spacesmith plugin authoring kit.
//!
//! A plugin is a wasm32-wasip2 component of the contract in `wit/v0.2` (world `plugin`). This crate runs
//! `wit_bindgen` on that contract once and adds what makes a plugin small and readable:
//!
//! - [`SdkPlugin`]: what a plugin implements (info, a scaffold [`Plan`], rules, check, and with defaults
//!   a [`RunPlan`], the secrets its code reads, the host linters to run); every `SdkPlugin` is a
//!   [`Guest`], with the plan rendered through the host;
//! - [`plugin!`]: declares the plugin type, implements [`SdkPlugin`] from the functions named, and
//!   exports it: `spacesmith_plugin_sdk::plugin! { pub Mine { info: info, plan: plan, rules: rules,
//!   check: check, run_plan: run_plan } }` (omitted optional entries keep the defaults);
//! - [`export_plugin!`]: exports a type implementing [`Guest`] written by hand (both macros are a no-op
//!   outside wasm32, so plugins stay plain rlibs for native tests);
//! - [`RunPlan`] builders ([`RunPlan::program`], [`RunPlan::static_files`], [`PythonEnv`],
//!   [`CommandStep`], [`PlanError::missing_file`], [`PORT`]): how a Space of the plugin's SDK starts, as
//!   data the host executes for `spacesmith dev`;
//! - [`Options`] (typed option access) and [`OptionSpec`] constructors;
//! - [`Plan`]: the scaffold result as data (templates + one JSON context), rendered by the host's Tera
//!   through [`render`], or by any [`Render`] in tests;
//! - [`File`], [`SecretSpec`], [`VariableSpec`] constructors;
//! - [`RuleDef`] (a static rule catalogue entry) and [`finding`] (a finding that takes its severity and
//!   fix from its rule);
//! - [`Project`] accessors (`project.text("Dockerfile")`, `project.front_matter()`);
//! - [`secrets::scan`]: the secrets a project's code reads (the default `secrets`);
//! - [`text`] helpers (YAML/Python string literals, requirements.txt pins, comment stripping);
//! - [`readers`]: the readers the host shares with the plugins (Dockerfile parser, shell words,
//!   requirements.txt, secrets);
//! - [`log`] helpers;
//! - [`capability`]: what a granted capability gives (`/project`, read-only, during `check`).
//!
//! Everything except the two host imports (`render`, `log`) is plain Rust and runs natively, so a plugin's
//! logic is unit-tested with `cargo test` on the host target. The `testing` feature adds a renderer
//! backed by the same Tera version the host uses, and assertions every plugin should pass.

/// The generated bindings of `wit/v0.2` (world `plugin`). Most plugins only need the re-exports below.
pub mod bindings {
    wit_bindgen::generate!({
        world: "plugin",
        path: "../../wit/v0.2",
        pub_export_macro: true,
        export_macro_name: "__export_plugin_bindings",
        default_bindings_module: "spacesmith_plugin_sdk::bindings",
        additional_derives: [PartialEq, Eq],
    });
}

pub mod capability;
pub mod log;
mod options;
mod output;
mod project;
mod render;
mod rules;
mod run;
pub mod secrets;
pub mod text;

#[cfg(feature = "testing")]
pub mod testing;

pub use bindings::exports::spacesmith::plugin::guest::Guest;
pub use bindings::spacesmith::plugin::host::LogLevel;
pub use bindings::spacesmith::plugin::types::{
    CommandStep, Container, EnvVar, File, Finding, IntRange, LintRequest, Linter, Location, NamedValue, OptionKind, OptionSpec,
    OptionValue, PlanError, PlanProblem, PluginError, PluginInfo, Project, ProjectFile, PythonEnv, Rule, RunPlan, ScaffoldInput,
    ScaffoldOutput, SecretSpec, SecretStage, SetupStep, Severity, Start, StaticSite, VariableSpec,
};
pub use options::Options;
pub use output::{Plan, PlannedFile, Source, Template};
pub use project::{DEFAULT_APP_PORT, FrontMatterText, app_port, app_port_or, front_matter_text};
pub use render::{HostRenderer, Render, render};
pub use rules::{RuleDef, catalogue, finding, sort_findings};
pub use run::{DEFAULT_READY_PATH, PORT, app_file};
/// The JSON value type used for render contexts and front matter.
pub use serde_json::{Value, json};
/// The readers shared with the host: `readers::dockerfile`, `readers::shell`, `readers::requirements`,
/// `readers::secrets`.
pub use spacesmith_readers as readers;

/// CPython minors the built-in Python plugins offer (`python-version`): the ones with upstream support
/// and `python:<v>-slim` images.
pub const PYTHON_VERSIONS: [&str; 4] = ["3.11", "3.12", "3.13", "3.14"];

/// The default `python-version`.
pub const DEFAULT_PYTHON_VERSION: &str = "3.12";

/// The version of the contract this SDK builds plugins against (the `@0.2.0` of the exported
/// `spacesmith:plugin/guest` interface).
pub const CONTRACT_VERSION: &str = "0.2.0";

/// The custom section that carries a plugin's manifest (`spacesmith-plugin.toml`) inside its `.wasm`.
pub const MANIFEST_SECTION: &str = "spacesmith-manifest";

/// Exports `$ty` (which implements [`Guest`]) as the plugin's `spacesmith:plugin/guest` interface, and
/// embeds the crate's `spacesmith-plugin.toml` as the `spacesmith-manifest` custom section: the manifest
/// travels inside the one file users install, so a sha256 pin covers it too.
///
/// Expands to nothing outside wasm32: the exported C symbols only mean something inside the component,
/// and natively several plugins may be linked into one test binary. [`plugin!`] calls it for you.
#[macro_export]
macro_rules! export_plugin {
    ($ty:ident) => {
        #[cfg(target_arch = "wasm32")]
        $crate::bindings::__export_plugin_bindings!($ty with_types_in $crate::bindings);

        #[cfg(target_arch = "wasm32")]
        #[unsafe(link_section = "spacesmith-manifest")]
        #[used]
        static __SPACESMITH_MANIFEST: [u8; include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/spacesmith-plugin.toml"))
            .len()] = *include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/spacesmith-plugin.toml"));
    };
}

/// Declares a plugin type, implements [`SdkPlugin`] for it by calling the functions named, and exports
/// it (as [`export_plugin!`] does):
///
/// ```ignore
/// spacesmith_plugin_sdk::plugin! {
///     /// The docker plugin.
///     pub DockerPlugin {
///         info: info,                 // fn() -> PluginInfo
///         plan: scaffold::plan,       // fn(&ScaffoldInput) -> Result<Plan, PluginError>
///         rules: check::rules,        // fn() -> Vec<Rule>
///         check: check::check,        // fn(&Project) -> Vec<Finding>
///         run_plan: run::plan,        // optional: fn(&Project) -> Result<Option<RunPlan>, PlanError>
///         secrets: run::secrets,      // optional: fn(&Project) -> Vec<SecretSpec>
///         linters: run::linters,      // optional: fn(&Project) -> Vec<LintRequest>
///     }
/// }
/// ```
///
/// The entries may come in any order; `info`, `plan`, `rules` and `check` are required (the compiler
/// names a missing one), the others default as [`SdkPlugin`] says.
#[macro_export]
macro_rules! plugin {
    ($(#[$meta:meta])* $vis:vis $name:ident { $($entry:ident : $function:path),+ $(,)? }) => {
        $(#[$meta])*
        $vis struct $name;

        impl $crate::SdkPlugin for $name {
            $($crate::__plugin_entry!($entry $function);)+
        }

        $crate::export_plugin!($name);
    };
}

/// One method of the [`SdkPlugin`] impl [`plugin!`] writes.
#[doc(hidden)]
#[macro_export]
macro_rules! __plugin_entry {
    (info $f:path) => {
        fn info() -> $crate::PluginInfo {
            $f()
        }
    };
    (plan $f:path) => {
        fn plan(input: &$crate::ScaffoldInput) -> ::core::result::Result<$crate::Plan, $crate::PluginError> {
            $f(input)
        }
    };
    (rules $f:path) => {
        fn rules() -> ::std::vec::Vec<$crate::Rule> {
            $f()
        }
    };
    (check $f:path) => {
        fn check(project: &$crate::Project) -> ::std::vec::Vec<$crate::Finding> {
            $f(project)
        }
    };
    (run_plan $f:path) => {
        fn run_plan(
            project: &$crate::Project,
        ) -> ::core::result::Result<::core::option::Option<$crate::RunPlan>, $crate::PlanError> {
            $f(project)
        }
    };
    (secrets $f:path) => {
        fn secrets(project: &$crate::Project) -> ::std::vec::Vec<$crate::SecretSpec> {
            $f(project)
        }
    };
    (linters $f:path) => {
        fn linters(project: &$crate::Project) -> ::std::vec::Vec<$crate::LintRequest> {
            $f(project)
        }
    };
}

/// What a plugin implements. Scaffolding is split in two so the plugin's part stays pure data: the
/// plugin returns a [`Plan`] (templates and one context) and the SDK renders it through the host.
/// A run plan, secrets and lint requests are data too: the host acts on them.
pub trait SdkPlugin {
    fn info() -> PluginInfo;
    fn plan(input: &ScaffoldInput) -> Result<Plan, PluginError>;
    fn rules() -> Vec<Rule>;
    fn check(project: &Project) -> Vec<Finding>;

    /// How a project of this SDK starts (`spacesmith dev`). `Ok(None)`, the default: the plugin checks
    /// such projects but does not say how to run them.
    fn run_plan(_project: &Project) -> Result<Option<RunPlan>, PlanError> {
        Ok(None)
    }

    /// The secrets the project's code reads; by default [`secrets::scan`] of its text files.
    fn secrets(project: &Project) -> Vec<SecretSpec> {
        secrets::scan(project)
    }

    /// The host linters to run on the project's files; none by default.
    fn linters(_project: &Project) -> Vec<LintRequest> {
        Vec::new()
    }
}

impl<T: SdkPlugin> Guest for T {
    fn info() -> PluginInfo {
        T::info()
    }

    fn scaffold(input: ScaffoldInput) -> Result<ScaffoldOutput, PluginError> {
        T::plan(&input)?.render()
    }

    fn rules() -> Vec<Rule> {
        T::rules()
    }

    fn check(project: Project) -> Vec<Finding> {
        T::check(&project)
    }

    fn run(project: Project) -> Result<Option<RunPlan>, PlanError> {
        T::run_plan(&project)
    }

    fn secrets(project: Project) -> Vec<SecretSpec> {
        T::secrets(&project)
    }

    fn linters(project: Project) -> Vec<LintRequest> {
        T::linters(&project)
    }
}

impl PluginError {
    /// An error about the input as a whole.
    pub fn new(message: impl Into<String>) -> Self {
        Self { message: message.into(), option: None }
    }

    /// An error about one option (named without the leading `--`).
    pub fn option(option: &str, message: impl Into<String>) -> Self {
        Self { message: message.into(), option: Some(option.to_string()) }
    }
}
