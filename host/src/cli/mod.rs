//! The command line: parse arguments, call a service, print the result. No decisions live here.
//!
//! A plugin's options become real flags of `new` (`--port`, `--no-fastapi`, ...): the arguments are
//! scanned for `--sdk` first, and that plugin's option schema is added to the parser, so `--help`,
//! typos and value checks work as for built-in flags.

mod doctor;
mod output;
mod progress;
mod serve;
mod shell;
mod space_admin;

use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::Arc;

use clap::parser::ValueSource;
use clap::{Arg, ArgAction, ArgMatches, Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use spacesmith_runtime::{LogLevel, LogSink, OptionKind, PluginInfo};

use spacesmith_hub::{AuthService, EnvAuth, HubClient, LogKind, LogQuery, LogSource, SpaceId};

use crate::app::{App, AppOptions, HubServices};
use crate::ci::{self, CiRequest};
use crate::config::Settings;
use crate::deploy::{DeployRequest, DeployService, SpaceService, parse_duration, parse_sleep_time};
use crate::dev::{DevRequest, DevRunner};
use crate::error::{AppError, ErrorCode, Exit};
use crate::kit::{self, KitRequest};
use crate::plugins::{InstallRequest, PluginManager, PluginStore};
use crate::project::{NewRequest, RawValue};
use crate::registry::{PluginRegistry, Registry};
use crate::secrets;
use space_admin::visibility_of;

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
    /// Print results and errors only: no notices, advice or progress on stderr.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    quiet: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Scaffold a Space project (offline).
    New(NewArgs),
    /// Check a Space repository against the Hub's configuration rules and its SDK's rules.
    Validate(ValidateArgs),
    /// List every rule `validate` applies, with why and how to fix.
    Rules(RulesArgs),
    /// Create or update a Space from a project, upload what changed, then watch it build and start.
    #[command(after_help = DEPLOY_AFTER_HELP)]
    Deploy(DeployArgs),
    /// Print a Space's run (or build) logs, with timestamps.
    Logs(LogsArgs),
    /// Which secrets a project needs, which are set on its Space, which are missing; set them.
    Secrets(SecretsArgs),
    /// Manage a Space: status, pause, restart, hardware, sleep, delete, dev mode, duplicate, visibility, volumes.
    Space(SpaceArgs),
    /// Write a CI workflow that deploys the Space on every push.
    Ci(CiArgs),
    /// Check the token, the Hub endpoint, hadolint, Python and the plugin directories; say what to fix.
    #[command(after_help = doctor::AFTER_HELP)]
    Doctor(doctor::DoctorArgs),
    /// Run the Space locally as the Hub would: its requirements in a virtualenv, its real command, its env.
    #[command(after_help = DEV_AFTER_HELP)]
    Dev(DevArgs),
    /// Third-party SDK plugins: write one, install (pinned), list, inspect, grant capabilities, remove.
    #[command(after_help = PLUGIN_AFTER_HELP)]
    Plugin(PluginArgs),
    /// Print the shell completion script for bash, zsh, fish or powershell.
    #[command(after_help = COMPLETIONS_AFTER_HELP)]
    Completions(CompletionsArgs),
    /// Write the man pages (roff): spacesmith's on stdout, or one per command into --dir.
    Man(ManArgs),
    /// Serve the HTTP gateway: the same services for programs, under /v1 (see /v1/openapi.json).
    #[command(after_help = serve::AFTER_HELP)]
    Serve(serve::ServeArgs),
}

const COMPLETIONS_AFTER_HELP: &str = "\
Load it from your shell's startup file:
  bash        ~/.bashrc:    source <(spacesmith completions bash)
  zsh         ~/.zshrc:     source <(spacesmith completions zsh)
  fish        spacesmith completions fish > ~/.config/fish/completions/spacesmith.fish
  powershell  $PROFILE:     spacesmith completions powershell | Out-String | Invoke-Expression

The script calls spacesmith back on every TAB (COMPLETE=SHELL spacesmith -- WORDS), so it completes the SDK ids \
and installed plugins of that moment, and after `new DIR --sdk S` the options of S.";

#[derive(Args)]
struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    shell: shell::Shell,
}

#[derive(Args)]
struct ManArgs {
    /// Write spacesmith.1 and a page per command (spacesmith-new.1, ...) into this directory.
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
}

const PLUGIN_AFTER_HELP: &str = "\
Installed plugins live in $SPACESMITH_DATA_DIR/plugins (default: ~/.local/share/spacesmith/plugins) as \
<sdk-id>/plugin.wasm and plugin.json. Every plugin runs sandboxed: no files, network, environment, clock or \
randomness of the host, with memory, time and output limits. A plugin's manifest may ask for capabilities \
(project-read: the project directory, read-only, during `check`); none is granted unless you grant it. \
Each run re-checks the file against the sha256 recorded at installation and refuses a changed file.

Authoring guide: docs/plugins.md. Exit codes: 0 ok, 1 refused (pin mismatch, changed file, invalid or \
incompatible plugin, a download the server refused), 2 bad input, 4 the download could not connect.";

#[derive(Args)]
struct PluginArgs {
    #[command(subcommand)]
    command: PluginCommand,
}

#[derive(Args)]
struct PluginLimitArgs {
    /// Memory one call may use, in MiB (at most 512).
    #[arg(long, value_name = "MIB")]
    memory_mib: Option<u64>,
    /// Time one call may run, in milliseconds (at most 30000).
    #[arg(long, value_name = "MS")]
    call_timeout_ms: Option<u64>,
    /// Bytes one scaffold may output, in MiB (at most 256).
    #[arg(long, value_name = "MIB")]
    output_mib: Option<u64>,
}

impl PluginLimitArgs {
    fn request(&self) -> spacesmith_runtime::LimitRequest {
        spacesmith_runtime::LimitRequest {
            memory_mib: self.memory_mib,
            call_timeout_ms: self.call_timeout_ms,
            output_mib: self.output_mib,
        }
    }
}

#[derive(Args)]
struct PluginIdArgs {
    /// The plugin's SDK id (see `spacesmith plugin list`).
    sdk_id: String,
    /// Print the result as JSON on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
enum PluginCommand {
    /// Create a plugin crate: templates, manifest, a rendering test; `cargo build-plugin` builds it.
    New {
        /// Directory to create.
        dir: PathBuf,
        /// The SDK id users will pass to `--sdk` (a-z, 0-9, -).
        #[arg(long, value_name = "ID")]
        sdk_id: String,
        /// Human name of the plugin [default: from the SDK id].
        #[arg(long)]
        name: Option<String>,
        /// The spacesmith-plugin-sdk crate [default: this spacesmith's own, kept in the data directory].
        #[arg(long, value_name = "DIR")]
        sdk_path: Option<PathBuf>,
        /// Overwrite existing files.
        #[arg(long)]
        force: bool,
        /// Print the result as JSON on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Install a plugin (.wasm component) from a path or an http(s) URL.
    Install {
        /// A path or an https URL of the .wasm file.
        source: String,
        /// Refuse the file unless its sha256 is this (64 hex digits).
        #[arg(long, value_name = "HEX")]
        sha256: Option<String>,
        /// Grant a capability the plugin's manifest asks for (e.g. project-read). Repeatable.
        #[arg(long = "grant", value_name = "CAPABILITY")]
        grants: Vec<String>,
        #[command(flatten)]
        limits: PluginLimitArgs,
        /// Replace an installed plugin of the same SDK id.
        #[arg(long)]
        force: bool,
        /// Print the result as JSON on stdout.
        #[arg(long)]
        json: bool,
    },
    /// List built-in and installed plugins.
    List {
        /// Print the list as JSON on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Everything about one plugin: source, sha256 and its check, capabilities and grants, limits, options.
    Info(PluginIdArgs),
    /// Uninstall a plugin (and its compiled cache).
    Remove(PluginIdArgs),
    /// Grant a capability the plugin asks for.
    Grant {
        #[command(flatten)]
        id: PluginIdArgs,
        /// The capability, e.g. project-read.
        capability: String,
    },
    /// Take a granted capability back.
    Revoke {
        #[command(flatten)]
        id: PluginIdArgs,
        /// The capability, e.g. project-read.
        capability: String,
    },
    /// Set a plugin's limits (within the hard maximums); they win over its manifest's.
    Limits {
        #[command(flatten)]
        id: PluginIdArgs,
        #[command(flatten)]
        limits: PluginLimitArgs,
        /// Forget the limits set before (back to the manifest's and the defaults).
        #[arg(long)]
        reset: bool,
    },
}

const DEV_AFTER_HELP: &str = "\
Runs gradio Spaces (`python <app_file>`, with gradio==<sdk_version> installed when requirements.txt does not pin \
gradio) and Docker Spaces whose Dockerfile ends in an exec-form CMD running python, uvicorn or streamlit, or a \
start.sh that does (the generated FastAPI, stdlib and Streamlit projects). For other Dockerfiles use --docker. \
Static Spaces: README app_build_command runs first, if any (after `npm install` when it runs npm and \
node_modules is missing), then the project is served with `python -m http.server` and the URL is app_file's.

The virtualenv is DIR/.venv, created with Python >= 3.10 ($PYTHON, else python3.x on PATH); requirements.txt is \
installed again only when it changed. SPACESMITH_DEV_VENV=PATH uses an existing virtualenv instead (a \
development/CI aid).

The app gets PORT, SPACE_ID (local/<dir>), SPACE_HOST, SPACE_TITLE, PYTHONUNBUFFERED=1, GRADIO_SERVER_NAME and \
GRADIO_SERVER_PORT (gradio), and every KEY=VALUE of the env file: their names are printed, never their values. \
SYSTEM=spaces is not set, since libraries read it as \"running on the Hub\".

Logs go to stderr as `[app] line` (and `[pip]`, `[venv]`, `[docker]`). Ctrl-C or SIGTERM stops the app's whole \
process group.

--json: stdout carries one JSON event per line: plan, venv, installing {what}, installed, build {command}, started {pid}, \
ready {url}, not_ready {waited_s}, stopping {signal}, exited {code, signal, stopped}, each as \
{\"event\":\"ready\",\"url\":...}; an error is the usual {\"success\":false,...} object.

Exit codes: the app's own when it ends by itself after answering, 0 when you stopped it, 1 when it exits before \
answering or pip fails, 2 bad input, an unsupported project, a busy port or no Docker engine.";

#[derive(Args)]
struct DevArgs {
    /// The project (the directory holding README.md).
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// Local port [default: README app_port for docker, else 7860].
    #[arg(long, short = 'p', value_name = "P")]
    port: Option<u16>,
    /// Secrets and variables for the app, KEY=VALUE lines [default: DIR/.env when it exists].
    #[arg(long, value_name = "FILE")]
    env_file: Option<PathBuf>,
    /// Build and run the real image with Docker (needs a running engine).
    #[arg(long)]
    docker: bool,
    /// Seconds to wait for the app to answer before saying it does not (it keeps running).
    #[arg(long, value_name = "S", default_value_t = 120)]
    ready_timeout: u64,
    /// JSON events on stdout, one per line (see below); human text stays on stderr.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct CiArgs {
    #[command(subcommand)]
    provider: CiProvider,
}

#[derive(Subcommand)]
enum CiProvider {
    /// GitHub Actions: .github/workflows/deploy-space.yml runs `spacesmith deploy` on push to main.
    Github(CiGithubArgs),
}

#[derive(Args)]
struct CiGithubArgs {
    /// The project (the directory holding README.md).
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// The Space to deploy to, OWNER/NAME (default: the repository variable HF_SPACE).
    #[arg(long, value_name = "OWNER/NAME")]
    space: Option<String>,
    /// How the workflow installs spacesmith: the wheel from PyPI pinned to this version, or a source build.
    #[arg(long, value_enum, default_value_t)]
    install: ci::Install,
    /// With --install cargo: the Git URL spacesmith is built from (it is not on crates.io).
    #[arg(long, value_name = "URL")]
    spacesmith_git: Option<String>,
    /// Replace an existing workflow.
    #[arg(long)]
    force: bool,
    /// Print the result as JSON on stdout.
    #[arg(long)]
    json: bool,
}

const DEPLOY_AFTER_HELP: &str = "\
The token comes from HF_TOKEN, HUGGING_FACE_HUB_TOKEN, HF_TOKEN_PATH or $HF_HOME/token; the Hub from HF_ENDPOINT.
Progress goes to stderr: an upload bar and a wait spinner on a terminal (no colour with NO_COLOR), one line per step
elsewhere or with TERM=dumb, nothing with -q. The result goes to stdout: the Space's URL, its final stage and the
commit (a dry run: the plan); with --json, the JSON report.
Exit codes: 0 the Space runs (or --no-wait/--dry-run succeeded), 1 validation, build, runtime or config error,
2 bad input, 3 token missing/rejected or no permission, 4 Hub unreachable after retries, 5 timed out waiting.";

#[derive(Args)]
struct DeployArgs {
    /// The project to deploy (the directory holding README.md).
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// The Space, OWNER/NAME; created (private) if it does not exist.
    #[arg(long, value_name = "OWNER/NAME")]
    space: String,
    /// Create the Space public (default: private). An existing Space keeps its visibility.
    #[arg(long, conflicts_with = "protected")]
    public: bool,
    /// Create the Space protected: private files, public app. An existing Space keeps its visibility.
    #[arg(long)]
    protected: bool,
    /// Hardware flavor, e.g. cpu-basic, cpu-upgrade, t4-small.
    #[arg(long, value_name = "FLAVOR")]
    hardware: Option<String>,
    /// Sleep after this much inactivity: seconds, a duration (30m, 2h) or `never`.
    #[arg(long, value_name = "S", value_parser = parse_sleep_time)]
    sleep_time: Option<i64>,
    /// Set a secret; KEY alone reads the value from the environment variable KEY. Repeatable.
    #[arg(long = "secret", value_name = "KEY[=VALUE]")]
    secrets: Vec<String>,
    /// Set every secret of a .env file (KEY=VALUE lines).
    #[arg(long, value_name = "FILE")]
    secrets_file: Option<PathBuf>,
    /// Set a public variable. Repeatable.
    #[arg(long = "variable", value_name = "KEY=VALUE")]
    variables: Vec<String>,
    /// Commit message.
    #[arg(long, short = 'm', value_name = "M")]
    message: Option<String>,
    /// Branch to commit to (only `main` starts a build).
    #[arg(long, value_name = "R", default_value = "main")]
    revision: String,
    /// Open a pull request instead of committing to the branch.
    #[arg(long)]
    create_pr: bool,
    /// Return after the upload; do not wait for the build.
    #[arg(long)]
    no_wait: bool,
    /// How long to wait for the Space to settle (90s, 10m, 1h).
    #[arg(long, value_name = "D", default_value = "30m", value_parser = parse_duration)]
    timeout: std::time::Duration,
    /// After the commit, how long a stage left from the previous build is tolerated before concluding the
    /// Hub started no build for it (the runtime names no commit; see crates/hub/README.md).
    #[arg(long, value_name = "D", default_value = "3m", value_parser = parse_duration)]
    rebuild_grace: std::time::Duration,
    /// Keep remote files that no longer exist locally (default: delete them).
    #[arg(long)]
    no_delete: bool,
    /// Also delete remote files that the project ignores (.gitignore), e.g. a model added through the web
    /// UI; by default they are kept and listed.
    #[arg(long, conflicts_with = "no_delete")]
    delete_ignored: bool,
    /// Deploy even if validation finds errors.
    #[arg(long)]
    force: bool,
    /// Print the plan and what would be created; change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Print the result as JSON on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct LogsArgs {
    /// The Space, OWNER/NAME.
    space: String,
    /// The build log instead of the run log.
    #[arg(long)]
    build: bool,
    /// Keep printing new lines until the log ends (reconnects without repeating a line).
    #[arg(long, short = 'f')]
    follow: bool,
    /// Only the last N lines of the history.
    #[arg(long, short = 'n', value_name = "N")]
    tail: Option<usize>,
    /// Read through a Space JWT and the logs host instead of the Hub API.
    #[arg(long)]
    jwt: bool,
    /// One JSON object per line: {"timestamp", "line"}.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct SecretsArgs {
    /// The project whose code is scanned for the secrets it needs.
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// The Space, OWNER/NAME.
    #[arg(long, value_name = "OWNER/NAME")]
    space: String,
    /// Set a secret; KEY alone reads the value from the environment variable KEY. Repeatable.
    #[arg(long = "set", value_name = "KEY[=VALUE]")]
    set: Vec<String>,
    /// Set every secret of a .env file (KEY=VALUE lines).
    #[arg(long, value_name = "FILE")]
    from: Option<PathBuf>,
    /// Print the result as JSON on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct SpaceArgs {
    #[command(subcommand)]
    command: SpaceSub,
}

#[derive(Subcommand)]
enum SpaceSub {
    #[command(flatten)]
    Basic(SpaceCommand),
    #[command(flatten)]
    Admin(space_admin::AdminCommand),
}

#[derive(Args)]
struct SpaceTarget {
    /// The Space, OWNER/NAME.
    space: String,
    /// Print the result as JSON on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
enum SpaceCommand {
    /// Stage, hardware, sleep time and visibility.
    Status(SpaceTarget),
    /// Stop the Space until it is restarted (no billing while paused).
    Pause(SpaceTarget),
    /// Restart the Space; --factory rebuilds it from scratch.
    Restart {
        #[command(flatten)]
        target: SpaceTarget,
        /// Rebuild without cache.
        #[arg(long)]
        factory: bool,
    },
    /// Request a hardware flavor.
    Hardware {
        /// The Space, OWNER/NAME.
        space: String,
        /// Flavor, e.g. cpu-basic, cpu-upgrade, t4-small.
        flavor: String,
        /// Print the result as JSON on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Set the sleep time: seconds, a duration (30m, 2h) or `never`.
    Sleep {
        /// The Space, OWNER/NAME.
        space: String,
        /// Seconds, a duration or `never`.
        #[arg(value_parser = parse_sleep_time, allow_hyphen_values = true)]
        seconds: i64,
        /// Print the result as JSON on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Delete the Space and everything in it (needs --yes).
    Delete {
        #[command(flatten)]
        target: SpaceTarget,
        /// Yes, delete it: there is no undo.
        #[arg(long)]
        yes: bool,
    },
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
    /// Also write a CI workflow that deploys the Space on push (see `spacesmith ci github`).
    #[arg(long, value_name = "PROVIDER", value_parser = ["github"])]
    ci: Option<String>,
    /// With --ci: the Space the workflow deploys to, OWNER/NAME (default: the repository variable HF_SPACE).
    #[arg(long, value_name = "OWNER/NAME", requires = "ci")]
    space: Option<String>,
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
    /// `--version`/`-V` before any subcommand: answered without loading plugins.
    version: bool,
    /// `-q`: applies to errors found before the full parse too.
    quiet: bool,
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
            "--quiet" | "-q" => pre.quiet = true,
            "--version" | "-V" if pre.subcommand.is_none() => pre.version = true,
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
    // A shell's TAB: candidates on stdout and nothing else (no timings either).
    if let Some(words) = shell::completion_words(&args) {
        return complete(args, &words);
    }
    spacesmith_hub::timing::init();
    let _t = spacesmith_hub::timing::span("cli.run");
    let pre = prescan(&args);
    output::set_quiet(pre.quiet);
    if pre.version {
        output::version(&crate::version::VersionInfo::current(), pre.json);
        return Exit::Ok as i32;
    }
    match run_inner(args, &pre) {
        Ok(code) => code,
        Err(e) => {
            output::error(&e, pre.json);
            e.exit() as i32
        }
    }
}

fn run_inner(args: Vec<OsString>, pre: &Prescan) -> Result<i32, AppError> {
    let settings = Settings::from_env();
    let sink: Option<Arc<dyn LogSink>> = match pre.verbose {
        0 => None,
        1 => Some(Arc::new(StderrSink { min: LogLevel::Info })),
        2 => Some(Arc::new(StderrSink { min: LogLevel::Debug })),
        _ => Some(Arc::new(StderrSink { min: LogLevel::Trace })),
    };
    let t = spacesmith_hub::timing::span("cli.runtime_init");
    // Every service, built once; the commands below only call them.
    let app = Arc::new(App::new(settings, AppOptions { extra_plugins: pre.plugins.clone(), log_sink: sink })?);
    let (settings, registry) = (&app.settings, &app.registry);
    t.end();

    let program = args.first().cloned().unwrap_or_else(|| "spacesmith".into());
    let command = command_for(registry, pre)?;
    let matches = match command.try_get_matches_from(args) {
        Ok(m) => m,
        Err(e) => {
            let code = if e.use_stderr() { Exit::Usage } else { Exit::Ok };
            let _ = e.print();
            return Ok(code as i32);
        }
    };
    let cli = Cli::from_arg_matches(&matches).map_err(|e| AppError::new(ErrorCode::BadArguments, e.to_string()))?;
    output::set_quiet(cli.quiet);
    match cli.command {
        // The app's own exit code passes through: it is not one of ours.
        Command::Dev(args) => dev_command(args, &app),
        Command::Plugin(args) => plugin_command(args.command, app.plugins.as_ref(), settings).map(|e| e as i32),
        Command::Completions(args) => shell::registration(args.shell, &program).map(|()| Exit::Ok as i32),
        Command::Serve(args) => serve::run(args, app.clone(), cli.quiet).map(|e| e as i32),
        Command::Man(args) => {
            let written = shell::man_pages(command_for(registry, &Prescan::default())?, args.dir.as_deref())?;
            output::files_written(&written);
            Ok(Exit::Ok as i32)
        }
        command => dispatch(command, &matches, &app).map(|e| e as i32),
    }
}

/// The parser as it stands for these arguments: the SDK ids in `--sdk`'s help and, for `new --sdk S`,
/// S's options as flags.
fn command_for(registry: &Registry, pre: &Prescan) -> Result<clap::Command, AppError> {
    // `new --version` and the like print the same line as `spacesmith --version`.
    let mut command = Cli::command().version(crate::version::VersionInfo::current().short());
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
    Ok(command)
}

/// A completion request (`COMPLETE=SHELL spacesmith -- WORDS`): `words` are what the user typed so far.
/// Whatever fails here costs only some candidates: a TAB must not print errors into the prompt.
fn complete(args: Vec<OsString>, words: &[OsString]) -> i32 {
    let pre = prescan(words);
    // A `--plugin` file that does not load costs only its own candidates.
    let app = match App::new(Settings::from_env(), AppOptions { extra_plugins: pre.plugins.clone(), log_sink: None }) {
        Ok(a) => a,
        Err(_) => match App::new(Settings::from_env(), AppOptions::default()) {
            Ok(a) => a,
            Err(_) => return 1,
        },
    };
    let registry = &app.registry;
    let store = app.settings.data_dir.as_deref().map(PluginStore::new);
    let Ok(cmd) = command_for(registry, &pre).or_else(|_| command_for(registry, &Prescan::default())) else { return 1 };
    let installed: Vec<(String, String)> = store
        .map(|s| s.records().0)
        .unwrap_or_default()
        .into_iter()
        .map(|r| (r.sdk_id, format!("{} {} (installed)", r.name, r.version)))
        .collect();
    let sdks = registry
        .sdk_ids()
        .into_iter()
        .map(|id| {
            let help = match installed.iter().find(|(i, _)| *i == id) {
                Some((_, h)) => h.clone(),
                None if crate::registry::is_builtin(&id) => "built-in".to_string(),
                None => "--plugin file".to_string(),
            };
            (id, help)
        })
        .collect();
    shell::complete(shell::with_candidates(cmd, sdks, installed), args)
}

fn plugin_command(cmd: PluginCommand, manager: &dyn PluginManager, settings: &Settings) -> Result<Exit, AppError> {
    match cmd {
        PluginCommand::New { dir, sdk_id, name, sdk_path, force, json } => {
            let sdk_home = settings.data_dir.as_ref().map(|d| d.join("sdk"));
            let report = kit::new_plugin(&KitRequest { dir, sdk_id, name, sdk_path, sdk_home, force })?;
            output::plugin_new(&report, json);
        }
        PluginCommand::Install { source, sha256, grants, limits, force, json } => {
            let req = InstallRequest { source, sha256, grants, limits: limits.request(), force };
            output::plugin_install(&manager.install(&req)?, json);
        }
        PluginCommand::List { json } => output::plugin_list(&manager.list()?, json),
        PluginCommand::Info(a) => output::plugin_info(&manager.info(&a.sdk_id)?, a.json),
        PluginCommand::Remove(a) => output::plugin_removed(&manager.remove(&a.sdk_id)?, a.json),
        PluginCommand::Grant { id, capability } => {
            output::plugin_info(&manager.set_grant(&id.sdk_id, &capability, true)?, id.json)
        }
        PluginCommand::Revoke { id, capability } => {
            output::plugin_info(&manager.set_grant(&id.sdk_id, &capability, false)?, id.json)
        }
        PluginCommand::Limits { id, limits, reset } => {
            output::plugin_info(&manager.set_limits(&id.sdk_id, &limits.request(), reset)?, id.json)
        }
    }
    Ok(Exit::Ok)
}

fn dev_command(args: DevArgs, app: &App) -> Result<i32, AppError> {
    let req = DevRequest {
        dir: args.dir,
        port: args.port,
        env_file: args.env_file,
        docker: args.docker,
        ready_timeout: std::time::Duration::from_secs(args.ready_timeout),
    };
    let printer = output::DevPrinter::new(args.json);
    app.dev().run(&req, &printer)
}

fn dispatch(command: Command, matches: &ArgMatches, app: &App) -> Result<Exit, AppError> {
    let (registry, service) = (&app.registry, app.projects.clone());
    match command {
        Command::Dev(_) | Command::Plugin(_) | Command::Completions(_) | Command::Man(_) => {
            unreachable!("dev, plugin, completions and man are run before dispatch")
        }
        Command::Serve(_) => unreachable!("serve is run before dispatch"),
        Command::New(args) => {
            let new_matches = matches.subcommand_matches("new").expect("new was parsed");
            let plugin = registry.get(&args.sdk)?;
            let options = plugin_values(new_matches, plugin.info());
            let req =
                NewRequest { dir: args.dir.clone(), sdk: args.sdk.clone(), title: args.title.clone(), api: args.api, options };
            if args.ci.is_some() {
                let ci = CiRequest {
                    dir: args.dir.clone(),
                    space: args.space.as_deref().map(SpaceId::parse).transpose()?,
                    install: ci::Install::default(),
                    spacesmith_git: None,
                    force: args.force,
                };
                let (report, ci) = ci::new_with_workflow(service.as_ref(), &req, &ci, args.dry_run)?;
                output::new_with_ci(&report, ci.as_ref(), args.json);
                return Ok(Exit::Ok);
            }
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
        Command::Deploy(args) => {
            let space = SpaceId::parse(&args.space)?;
            let secrets_files: Vec<&std::path::Path> = args.secrets_file.iter().map(PathBuf::as_path).collect();
            let secrets = secrets::collect_secrets(&args.secrets, &secrets_files, &|k| std::env::var(k).ok())?;
            let variables = secrets::collect_variables(&args.variables)?;
            let hub = connect(app)?;
            let deployer = &hub.deployer;
            let req = DeployRequest {
                dir: args.dir,
                space,
                visibility: visibility_of(args.public, args.protected),
                hardware: args.hardware,
                sleep_time: args.sleep_time,
                secrets,
                variables,
                message: args.message,
                revision: args.revision,
                create_pr: args.create_pr,
                wait: (!args.no_wait).then_some(args.timeout),
                rebuild_grace: args.rebuild_grace,
                delete: !args.no_delete,
                delete_ignored: args.delete_ignored,
                force: args.force,
                dry_run: args.dry_run,
            };
            let printer = output::DeployPrinter::new(args.json, args.dry_run);
            let report = deployer.deploy(&req, &printer)?;
            printer.finish(&report);
            Ok(report.exit())
        }
        Command::Logs(args) => {
            let space = SpaceId::parse(&args.space)?;
            let hub = connect(app)?;
            let kind = if args.build { LogKind::Build } else { LogKind::Run };
            let source = if args.jwt { LogSource::Jwt } else { LogSource::Hub };
            let mut printer = output::LogPrinter::new(args.json);
            let query = LogQuery { tail: args.tail, follow: args.follow, after: 0, source };
            hub.logs.tail_then_follow(&space, kind, &query, &mut |_, l| {
                printer.line(l);
                std::ops::ControlFlow::Continue(())
            })?;
            Ok(Exit::Ok)
        }
        Command::Secrets(args) => {
            let space = SpaceId::parse(&args.space)?;
            let files: Vec<&std::path::Path> = args.from.iter().map(PathBuf::as_path).collect();
            let set = secrets::collect_secrets(&args.set, &files, &|k| std::env::var(k).ok())?;
            let report = connect(app)?.deployer.secrets(&args.dir, &space, &set)?;
            output::secrets_report(&report, args.json);
            Ok(Exit::Ok)
        }
        Command::Space(args) => match args.command {
            SpaceSub::Basic(cmd) => space_command(cmd, app),
            SpaceSub::Admin(cmd) => space_admin::run(cmd, app),
        },
        Command::Doctor(args) => Ok(doctor::run(args, app)),
        Command::Ci(CiArgs { provider: CiProvider::Github(args) }) => {
            let req = CiRequest {
                dir: args.dir,
                space: args.space.as_deref().map(SpaceId::parse).transpose()?,
                install: args.install,
                spacesmith_git: args.spacesmith_git,
                force: args.force,
            };
            let report = ci::write_github_workflow(&req)?;
            output::ci_report(&report, args.json);
            Ok(Exit::Ok)
        }
    }
}

/// The Hub services, with the token and endpoint resolved as huggingface_hub does (the CLI's way; the
/// gateway passes its callers' tokens instead).
fn connect(app: &App) -> Result<HubServices, AppError> {
    let auth = EnvAuth::from_process_env();
    // Every command here needs a token: say where they are looked for before any request.
    auth.require_token()?;
    // A refreshed `hf auth login` token, or why it could not be refreshed.
    for n in auth.notices() {
        output::notice(&n.to_string());
    }
    // A rate-limit reset can be minutes away: say how long we wait instead of going quiet.
    let client = HubClient::from_auth(&auth)?.with_retry_notice(Arc::new(|n| output::notice(&format!("… {n}"))));
    // A Trusted Publishers token was proven by its exchange; `whoami` is not asked for it.
    let oidc = matches!(client.token_source(), Some(spacesmith_hub::TokenSource::Oidc(_)));
    Ok(app.hub_services(Arc::new(client), !oidc))
}

fn space_command(cmd: SpaceCommand, app: &App) -> Result<Exit, AppError> {
    let (raw, json) = match &cmd {
        SpaceCommand::Status(t) | SpaceCommand::Pause(t) => (t.space.clone(), t.json),
        SpaceCommand::Restart { target, .. } | SpaceCommand::Delete { target, .. } => (target.space.clone(), target.json),
        SpaceCommand::Hardware { space, json, .. } | SpaceCommand::Sleep { space, json, .. } => (space.clone(), *json),
    };
    let space = SpaceId::parse(&raw)?;
    if let SpaceCommand::Delete { yes: false, .. } = cmd {
        return Err(AppError::new(ErrorCode::ConfirmationRequired, format!("deleting {space} needs --yes")).hint(format!(
            "There is no undo: the repository, its secrets and its settings go. Run `spacesmith space delete {space} --yes`."
        )));
    }
    let d = connect(app)?.deployer;
    match cmd {
        SpaceCommand::Status(_) => output::space_status(&d.status(&space)?, json),
        SpaceCommand::Pause(_) => output::runtime(&space, "paused", &d.pause(&space)?, json),
        SpaceCommand::Restart { factory, .. } => {
            let verb = if factory { "factory-restarted" } else { "restarted" };
            output::runtime(&space, verb, &d.restart(&space, factory)?, json)
        }
        SpaceCommand::Hardware { flavor, .. } => {
            output::runtime(&space, "hardware requested for", &d.set_hardware(&space, &flavor)?, json)
        }
        SpaceCommand::Sleep { seconds, .. } => {
            output::runtime(&space, "sleep time set for", &d.set_sleep_time(&space, seconds)?, json)
        }
        SpaceCommand::Delete { .. } => {
            d.delete(&space)?;
            output::deleted(&space, json);
        }
    }
    Ok(Exit::Ok)
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
        assert!(!p.quiet);
        assert!(prescan(&os(&["spacesmith", "-q", "plugin", "list"])).quiet);
        let p = prescan(&os(&["spacesmith", "new", "--", "--sdk", "x"]));
        assert_eq!(p.sdk, None);
    }

    #[test]
    fn cli_definition_is_valid() {
        Cli::command().debug_assert();
    }
}
