//! The spacesmith plugin authoring kit.
//!
//! A plugin is a wasm32-wasip2 component of the contract in `wit/v0.1` (world `plugin`). This crate runs
//! `wit_bindgen` on that contract once and adds what makes a plugin small and readable:
//!
//! - [`SdkPlugin`]: what a plugin implements (info, a scaffold [`Plan`], rules, check); every
//!   `SdkPlugin` is a [`Guest`], with the plan rendered through the host;
//! - [`export_plugin!`]: `spacesmith_plugin_sdk::export_plugin!(MyPlugin);` exports a type implementing
//!   [`Guest`] (a no-op outside wasm32, so plugins stay plain rlibs for native tests);
//! - [`Options`] (typed option access) and [`OptionSpec`] constructors;
//! - [`Plan`]: the scaffold result as data (templates + one JSON context), rendered by the host's Tera
//!   through [`render`], or by any [`Render`] in tests;
//! - [`File`], [`SecretSpec`], [`VariableSpec`] constructors;
//! - [`RuleDef`] (a static rule catalogue entry) and [`finding`] (a finding that takes its severity and
//!   fix from its rule);
//! - [`Project`] accessors (`project.text("Dockerfile")`, `project.front_matter()`);
//! - [`text`] helpers (YAML/Python string literals, requirements.txt pins, comment stripping);
//! - [`log`] helpers;
//! - [`capability`]: what a granted capability gives (`/project`, read-only, during `check`).
//!
//! Everything except the two host imports (`render`, `log`) is plain Rust and runs natively, so a plugin's
//! logic is unit-tested with `cargo test` on the host target. The `testing` feature adds a renderer
//! backed by the same Tera version the host uses, and assertions every plugin should pass.

/// The generated bindings of `wit/v0.1` (world `plugin`). Most plugins only need the re-exports below.
pub mod bindings {
    wit_bindgen::generate!({
        world: "plugin",
        path: "../../wit/v0.1",
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
pub mod text;

#[cfg(feature = "testing")]
pub mod testing;

pub use bindings::exports::spacesmith::plugin::guest::Guest;
pub use bindings::spacesmith::plugin::host::LogLevel;
pub use bindings::spacesmith::plugin::types::{
    File, Finding, IntRange, NamedValue, OptionKind, OptionSpec, OptionValue, PluginError, PluginInfo, Project, ProjectFile,
    Rule, ScaffoldInput, ScaffoldOutput, SecretSpec, SecretStage, Severity, VariableSpec,
};
pub use options::Options;
pub use output::{Plan, PlannedFile, Source, Template};
pub use project::{DEFAULT_APP_PORT, FrontMatterText, app_port, front_matter_text};
pub use render::{HostRenderer, Render, render};
pub use rules::{RuleDef, catalogue, finding, sort_findings};
/// The JSON value type used for render contexts and front matter.
pub use serde_json::{Value, json};

/// CPython minors the built-in Python plugins offer (`python-version`): the ones with upstream support
/// and `python:<v>-slim` images.
pub const PYTHON_VERSIONS: [&str; 4] = ["3.11", "3.12", "3.13", "3.14"];

/// The default `python-version`.
pub const DEFAULT_PYTHON_VERSION: &str = "3.12";

/// The version of the contract this SDK builds plugins against (the `@0.1.0` of the exported
/// `spacesmith:plugin/guest` interface).
pub const CONTRACT_VERSION: &str = "0.1.0";

/// The custom section that carries a plugin's manifest (`spacesmith-plugin.toml`) inside its `.wasm`.
pub const MANIFEST_SECTION: &str = "spacesmith-manifest";

/// Exports `$ty` (which implements [`Guest`]) as the plugin's `spacesmith:plugin/guest` interface, and
/// embeds the crate's `spacesmith-plugin.toml` as the `spacesmith-manifest` custom section: the manifest
/// travels inside the one file users install, so a sha256 pin covers it too.
///
/// Expands to nothing outside wasm32: the exported C symbols only mean something inside the component,
/// and natively several plugins may be linked into one test binary.
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

/// What a plugin implements. Scaffolding is split in two so the plugin's part stays pure data: the
/// plugin returns a [`Plan`] (templates and one context) and the SDK renders it through the host.
pub trait SdkPlugin {
    fn info() -> PluginInfo;
    fn plan(input: &ScaffoldInput) -> Result<Plan, PluginError>;
    fn rules() -> Vec<Rule>;
    fn check(project: &Project) -> Vec<Finding>;
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
