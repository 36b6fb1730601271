//! The command line: parse arguments, call a service, print the result. No decisions live here.
//!
//! A plugin's options become real flags of `new` (`--port`, `--no-fastapi`, ...): the arguments are
//! scanned for `--sdk` first, and that plugin's option schema is added to the parser, so `--help`,
//! typos and value checks work as for built-in flags.

mod output;

use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::Arc;

use clap::parser::ValueSource;
use clap::{Arg, ArgAction, ArgMatches, Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use spacesmith_runtime::{LogLevel, LogSink, OptionKind, PluginInfo, Runtime, RuntimeConfig};

use crate::config::Settings;
use crate::error::{AppError, Exit};
use crate::project::{NewRequest, ProjectService, Projects, RawValue};
use crate::registry::{PluginRegistry, Registry};

#[derive(Parser)]
#[command(name = "spacesmith", version, about = "Scaffold, check and deploy Hugging Face Spaces.", propagate_version = true)]
#[command(after_help = "Exit codes: 0 ok, 1 the checked thing failed, 2 usage or input error, 3 auth, 4 network, 5 timed out.")]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Also load this plugin (.wasm component), sandboxed like any third-party plugin.
    #[arg(long = "plugin", value_name = "FILE", global = true)]
    plugins: Vec<PathBuf>,
    /// Show plugin diagnostics (-v info, -vv debug, -vvv trace).
    #[arg(short, long, action = ArgAction::Count, global = true)]
    verbose: u8,
}

#[derive(Subcommand)]
enum Command {
    /// Scaffold a Space project (offline).
    New(NewArgs),
    /// Check a Space repository against the Hub's configuration rules and its SDK's rules.
    Validate(ValidateArgs),
    /// List every rule `validate` applies, with why and how to fix.
    Rules(RulesArgs),
}

#[derive(Args)]
struct NewArgs {
    /// Directory to create (or fill).
    dir: PathBuf,
    /// SDK plugin to use.
    #[arg(long)]
    sdk: String,
    /// Space title (README `title`); defaults to the directory name.
    #[arg(long)]
    title: Option<String>,
    /// The Space will be called as an API (Gradio is the recommended SDK for that).
    #[arg(long)]
    api: bool,
    /// Overwrite existing files.
    #[arg(long)]
    force: bool,
    /// Show what would be written; write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Print the result as JSON on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct ValidateArgs {
    /// The Space repository to check.
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// Print findings as JSON on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct RulesArgs {
    /// Only the shared rules and this SDK's plugin rules.
    #[arg(long)]
    sdk: Option<String>,
    /// Print rules as JSON on stdout.
    #[arg(long)]
    json: bool,
}

/// What must be known before the full parse: extra plugins, verbosity, the `new` SDK, JSON errors.
#[derive(Default)]
struct Prescan {
    plugins: Vec<PathBuf>,
    verbose: u8,
    subcommand: Option<String>,
    sdk: Option<String>,
    json: bool,
}

fn prescan(args: &[OsString]) -> Prescan {
    let mut pre = Prescan::default();
    let args: Vec<String> = args.iter().skip(1).map(|a| a.to_string_lossy().into_owned()).collect();
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        let value = |i: usize| args.get(i + 1).cloned();
        match a {
            "--" => break,
            "--plugin" => {
                pre.plugins.extend(value(i).map(PathBuf::from));
                i += 1;
            }
            "--sdk" => {
                pre.sdk = value(i);
                i += 1;
            }
            "--json" => pre.json = true,
            "--verbose" => pre.verbose += 1,
            _ if a.starts_with("--plugin=") => pre.plugins.push(PathBuf::from(&a["--plugin=".len()..])),
            _ if a.starts_with("--sdk=") => pre.sdk = Some(a["--sdk=".len()..].to_string()),
            _ if a.starts_with('-') && !a.starts_with("--") && a[1..].chars().all(|c| c == 'v') => {
                pre.verbose += (a.len() - 1) as u8
            }
            _ if !a.starts_with('-') && pre.subcommand.is_none() => pre.subcommand = Some(a.to_string()),
            _ => {}
        }
        i += 1;
    }
    pre
}

/// Plugin diagnostics to stderr, tagged with the plugin, when asked for with -v.
struct StderrSink {
    min: LogLevel,
}

impl LogSink for StderrSink {
    fn log(&self, plugin: &str, level: LogLevel, message: &str) {
        if level >= self.min {
            let level = format!("{level:?}").to_lowercase();
            eprintln!("[{plugin}] {level}: {message}");
        }
    }
}

/// Run the CLI; returns the process exit code.
pub fn run(args: Vec<OsString>) -> i32 {
    let pre = prescan(&args);
    match run_inner(args, &pre) {
        Ok(code) => code as i32,
        Err(e) => {
            output::error(&e, pre.json);
            e.exit as i32
        }
    }
}

fn run_inner(args: Vec<OsString>, pre: &Prescan) -> Result<Exit, AppError> {
    let settings = Settings::from_env();
    let sink: Option<Arc<dyn LogSink>> = match pre.verbose {
        0 => None,
        1 => Some(Arc::new(StderrSink { min: LogLevel::Info })),
        2 => Some(Arc::new(StderrSink { min: LogLevel::Debug })),
        _ => Some(Arc::new(StderrSink { min: LogLevel::Trace })),
    };
    let runtime =
        Runtime::new(RuntimeConfig { cache_dir: settings.cache_dir.clone(), limits: settings.limits.clone(), log_sink: sink })
            .map_err(|e| AppError::new("ENGINE_FAILED", Exit::Failed, e.to_string()))?;
    let registry = Arc::new(Registry::new(runtime, &pre.plugins)?);

    let mut command = Cli::command();
    let sdks = registry.sdk_ids().join(", ");
    command = command.mut_subcommand("new", |c| {
        c.mut_arg("sdk", |a| a.help(format!("SDK plugin to use: {sdks}. `--sdk S --help` lists its options.")))
    });
    if pre.subcommand.as_deref() == Some("new")
        && let Some(sdk) = &pre.sdk
    {
        let plugin = registry.get(sdk)?;
        let info = plugin.info().clone();
        command = command.mut_subcommand("new", |c| add_plugin_args(c, &info));
    }
    let matches = match command.try_get_matches_from(args) {
        Ok(m) => m,
        Err(e) => {
            let code = if e.use_stderr() { Exit::Usage } else { Exit::Ok };
            let _ = e.print();
            return Ok(code);
        }
    };
    let cli = Cli::from_arg_matches(&matches).map_err(|e| AppError::usage("BAD_ARGUMENTS", e.to_string()))?;
    let service: Box<dyn ProjectService> = Box::new(Projects::new(registry.clone(), settings.text_cap));

    match cli.command {
        Command::New(args) => {
            let new_matches = matches.subcommand_matches("new").expect("new was parsed");
            let plugin = registry.get(&args.sdk)?;
            let options = plugin_values(new_matches, plugin.info());
            let req =
                NewRequest { dir: args.dir.clone(), sdk: args.sdk.clone(), title: args.title.clone(), api: args.api, options };
            let report = service.new_project(&req, args.force, args.dry_run)?;
            output::new_report(&report, args.json);
            Ok(Exit::Ok)
        }
        Command::Validate(args) => {
            let report = service.validate(&args.dir)?;
            output::validation(&report, &args.dir, args.json);
            Ok(if report.errors > 0 { Exit::Failed } else { Exit::Ok })
        }
        Command::Rules(args) => {
            let rules = service.rules(args.sdk.as_deref())?;
            output::rules(&rules, args.json);
            Ok(Exit::Ok)
        }
    }
}

fn option_id(name: &str) -> String {
    format!("plugin-option:{name}")
}

/// Add a plugin's options to `new` as ordinary flags under their own help heading.
fn add_plugin_args(mut cmd: clap::Command, info: &PluginInfo) -> clap::Command {
    let heading = format!("Options of the {} plugin ({} {})", info.sdk_id, info.name, info.version);
    for opt in &info.options {
        let default = opt.default.as_ref().map(|d| format!(" [default: {d}]")).unwrap_or_default();
        let arg = Arg::new(option_id(&opt.name)).long(opt.name.clone()).help_heading(heading.clone());
        cmd = match &opt.kind {
            OptionKind::Flag => {
                let off = format!("no-{}", opt.name);
                cmd.arg(arg.action(ArgAction::SetTrue).help(format!("{}{default}", opt.help)).overrides_with(option_id(&off)))
                    .arg(
                        Arg::new(option_id(&off))
                            .long(off.clone())
                            .action(ArgAction::SetTrue)
                            .help(format!("Turn off --{}", opt.name))
                            .help_heading(heading.clone())
                            .overrides_with(option_id(&opt.name)),
                    )
            }
            OptionKind::Choice { values } => cmd.arg(
                arg.value_name("CHOICE")
                    .value_parser(clap::builder::PossibleValuesParser::new(values.clone()))
                    .help(format!("{}{default}", opt.help)),
            ),
            // Negative numbers reach the range check, which says what is allowed.
            OptionKind::Integer { .. } => {
                cmd.arg(arg.value_name("N").allow_negative_numbers(true).help(format!("{}{default}", opt.help)))
            }
            kind => cmd.arg(arg.value_name(crate::project::option_kind_label(kind)).help(format!("{}{default}", opt.help))),
        };
    }
    cmd
}

/// The plugin options the user actually gave (defaults are the service's business).
fn plugin_values(m: &ArgMatches, info: &PluginInfo) -> Vec<(String, RawValue)> {
    let given = |id: &str| m.try_contains_id(id).unwrap_or(false) && m.value_source(id) == Some(ValueSource::CommandLine);
    let mut values = Vec::new();
    for opt in &info.options {
        let id = option_id(&opt.name);
        match opt.kind {
            OptionKind::Flag => {
                let off = option_id(&format!("no-{}", opt.name));
                if given(&id) && m.get_flag(&id) {
                    values.push((opt.name.clone(), RawValue::Text("true".into())));
                } else if given(&off) && m.get_flag(&off) {
                    values.push((opt.name.clone(), RawValue::Text("false".into())));
                }
            }
            _ => {
                if given(&id)
                    && let Some(v) = m.get_one::<String>(&id)
                {
                    values.push((opt.name.clone(), RawValue::Text(v.clone())));
                }
            }
        }
    }
    values
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    #[test]
    fn prescan_finds_what_the_parser_needs() {
        let p =
            prescan(&os(&["spacesmith", "--plugin", "a.wasm", "new", "dir", "--sdk=docker", "-vv", "--json", "--plugin=b.wasm"]));
        assert_eq!(p.plugins, vec![PathBuf::from("a.wasm"), PathBuf::from("b.wasm")]);
        assert_eq!(p.subcommand.as_deref(), Some("new"));
        assert_eq!(p.sdk.as_deref(), Some("docker"));
        assert_eq!(p.verbose, 2);
        assert!(p.json);
        let p = prescan(&os(&["spacesmith", "new", "--", "--sdk", "x"]));
        assert_eq!(p.sdk, None);
    }

    #[test]
    fn cli_definition_is_valid() {
        Cli::command().debug_assert();
    }
}
