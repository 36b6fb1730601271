//! `space dev-mode|duplicate|visibility|volumes`: parse, call [`SpaceAdmin`], print (the result on stdout,
//! human or JSON; advice on stderr).

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Subcommand, ValueEnum};
use spacesmith_hub::{SpaceId, Visibility, Volume};

use super::connect;
use super::output::{self, Style, json, note, out, warning};
use crate::app::App;
use crate::deploy::parse_sleep_time;
use crate::error::{AppError, ErrorCode, Exit};
use crate::secrets;
use crate::space::{DuplicateReport, DuplicateRequest, SpaceAdmin, SpaceManager, VolumeView, VolumesReport};

#[derive(Subcommand)]
pub enum AdminCommand {
    /// Turn dev mode on or off (restart the app without rebuilding; a PRO feature on the Hub).
    DevMode(DevModeArgs),
    /// Copy a Space (files and SDK) to a new Space; secrets are never copied, so pass them.
    Duplicate(DuplicateArgs),
    /// Make a Space public, private, or protected (private files, public app).
    Visibility(VisibilityArgs),
    /// List the volumes mounted in a Space; `set` replaces them, `delete` removes them (needs --yes).
    Volumes(VolumesArgs),
}

#[derive(Clone, Copy, ValueEnum)]
pub enum OnOff {
    On,
    Off,
}

#[derive(Args)]
pub struct DevModeArgs {
    /// on or off.
    state: OnOff,
    /// The Space, OWNER/NAME.
    space: String,
    /// Print the result as JSON on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct DuplicateArgs {
    /// The Space to copy, OWNER/NAME.
    from: String,
    /// The new Space, OWNER/NAME; it must not exist.
    to: String,
    /// Make the copy public (default: private).
    #[arg(long, conflicts_with_all = ["private", "protected"])]
    public: bool,
    /// Make the copy private (the default).
    #[arg(long, conflicts_with = "protected")]
    private: bool,
    /// Make the copy protected: private files, public app.
    #[arg(long)]
    protected: bool,
    /// Hardware flavor of the copy, e.g. cpu-basic, t4-small.
    #[arg(long, value_name = "FLAVOR")]
    hardware: Option<String>,
    /// Sleep after this much inactivity: seconds, a duration (30m, 2h) or `never`.
    #[arg(long, value_name = "S", value_parser = parse_sleep_time)]
    sleep_time: Option<i64>,
    /// Set a secret on the copy; KEY alone reads the value from the environment variable KEY. Repeatable.
    #[arg(long = "secret", value_name = "KEY[=VALUE]")]
    secrets: Vec<String>,
    /// Set every secret of a .env file (KEY=VALUE lines) on the copy.
    #[arg(long, value_name = "FILE")]
    secrets_file: Option<PathBuf>,
    /// Set a public variable on the copy. Repeatable.
    #[arg(long = "variable", value_name = "KEY=VALUE")]
    variables: Vec<String>,
    /// Print the result as JSON on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum VisibilityArg {
    Public,
    Private,
    Protected,
}

#[derive(Args)]
pub struct VisibilityArgs {
    /// public, private, or protected (Spaces only: the files are private, the app is public).
    visibility: VisibilityArg,
    /// The Space, OWNER/NAME.
    space: String,
    /// Print the result as JSON on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct VolumesArgs {
    #[command(subcommand)]
    action: Option<VolumesAction>,
    /// The Space, OWNER/NAME, whose volumes are listed.
    #[arg(required = true)]
    space: Option<String>,
    /// Print the result as JSON on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
enum VolumesAction {
    /// Replace the Space's volumes with these.
    Set {
        /// The Space, OWNER/NAME.
        space: String,
        /// hf://[TYPE/]OWNER/NAME[@REV][/PATH]:/MOUNT[:ro|:rw]; TYPE is models (default), datasets, spaces or
        /// buckets; repos are always read-only. Repeatable.
        #[arg(long = "volume", value_name = "HF_URI", required = true)]
        volumes: Vec<String>,
        /// Yes, unmount the volumes mounted now that are not in this list.
        #[arg(long)]
        yes: bool,
        /// Print the result as JSON on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Unmount every volume (needs --yes; the buckets and repos themselves are kept).
    Delete {
        /// The Space, OWNER/NAME.
        space: String,
        /// Yes, unmount them all.
        #[arg(long)]
        yes: bool,
        /// Print the result as JSON on stdout.
        #[arg(long)]
        json: bool,
    },
}

fn parse_volumes(specs: &[String]) -> Result<Vec<Volume>, AppError> {
    specs
        .iter()
        .map(|s| {
            Volume::parse_uri(s).map_err(|e| {
                AppError::new(ErrorCode::BadVolume, format!("invalid volume: {e}"))
                    .hint("Write it as hf://[TYPE/]OWNER/NAME[@REV][/PATH]:/MOUNT[:ro|:rw], e.g. hf://datasets/alice/data:/data")
            })
        })
        .collect()
}

/// `--public` / `--protected` / neither (private).
pub fn visibility_of(public: bool, protected: bool) -> Visibility {
    match (public, protected) {
        (true, _) => Visibility::Public,
        (false, true) => Visibility::Protected,
        (false, false) => Visibility::Private,
    }
}

pub fn run(cmd: AdminCommand, app: &App) -> Result<Exit, AppError> {
    match cmd {
        AdminCommand::DevMode(a) => {
            let space = SpaceId::parse(&a.space)?;
            let on = matches!(a.state, OnOff::On);
            let rt = manager(app)?.dev_mode(&space, on)?;
            output::runtime(&space, if on { "dev mode turned on for" } else { "dev mode turned off for" }, &rt, a.json);
        }
        AdminCommand::Duplicate(a) => {
            let from = SpaceId::parse(&a.from)?;
            let to = SpaceId::parse(&a.to)?;
            let files: Vec<&std::path::Path> = a.secrets_file.iter().map(PathBuf::as_path).collect();
            let req = DuplicateRequest {
                from,
                to,
                visibility: visibility_of(a.public, a.protected),
                hardware: a.hardware,
                sleep_time: a.sleep_time,
                secrets: secrets::collect_secrets(&a.secrets, &files, &|k| std::env::var(k).ok())?,
                variables: secrets::collect_variables(&a.variables)?,
            };
            print_duplicate(&manager(app)?.duplicate(&req)?, a.json);
        }
        AdminCommand::Visibility(a) => {
            let space = SpaceId::parse(&a.space)?;
            let v = match a.visibility {
                VisibilityArg::Public => Visibility::Public,
                VisibilityArg::Private => Visibility::Private,
                VisibilityArg::Protected => Visibility::Protected,
            };
            let r = manager(app)?.set_visibility(&space, v)?;
            if a.json {
                json(&r);
            } else {
                let what = match v {
                    Visibility::Public => "anyone can see its files and use its app",
                    Visibility::Private => "only you can see its files and use its app",
                    Visibility::Protected => "its files are private, its app is public",
                };
                out!("{} {space} is now {v}: {what}.", check());
            }
        }
        AdminCommand::Volumes(a) => match a.action {
            None => {
                let space = SpaceId::parse(a.space.as_deref().unwrap_or_default())?;
                print_volumes(&manager(app)?.volumes(&space)?, None, a.json);
            }
            Some(VolumesAction::Set { space, volumes, yes, json }) => {
                let space = SpaceId::parse(&space)?;
                let volumes = parse_volumes(&volumes)?;
                print_volumes(&manager(app)?.set_volumes(&space, &volumes, yes)?, Some("Set the volumes of"), json);
            }
            Some(VolumesAction::Delete { space, yes, json }) => {
                let space = SpaceId::parse(&space)?;
                if !yes {
                    // Asked before any request: nothing is read or changed without --yes.
                    return Err(AppError::new(
                        ErrorCode::ConfirmationRequired,
                        format!("removing the volumes of {space} needs --yes"),
                    )
                    .hint(format!(
                        "Run `spacesmith space volumes delete {space} --yes`; the buckets and repos themselves are kept."
                    )));
                }
                print_volumes(&manager(app)?.delete_volumes(&space, yes)?, Some("Removed the volumes of"), json);
            }
        },
    }
    Ok(Exit::Ok)
}

fn manager(app: &App) -> Result<Arc<SpaceManager>, AppError> {
    Ok(connect(app)?.spaces)
}

/// The ✓ of a result line (stdout).
fn check() -> String {
    Style::stdout().paint("1;32", "✓")
}

/// The copy and what it got are the result; what is left to do is advice.
fn print_duplicate(r: &DuplicateReport, as_json: bool) {
    if as_json {
        json(r);
        return;
    }
    out!("{} Duplicated {} to {} ({}): {}", check(), r.from, r.to, r.visibility, r.url);
    let mut set = Vec::new();
    set.extend(r.hardware.as_ref().map(|h| format!("hardware {h}")));
    if !r.secrets.is_empty() {
        set.push(format!("secrets {}", r.secrets.join(", ")));
    }
    if !r.variables.is_empty() {
        set.push(format!("variables {}", r.variables.join(", ")));
    }
    if !set.is_empty() {
        out!("  with {}", set.join("; "));
    }
    if r.files_copy_pending {
        note!("The Hub is still copying large files; the first build waits for them.");
    }
    if !r.missing_secrets.is_empty() {
        // The copy will not work without them: said even with -q.
        warning!(
            "! {} has secrets the copy did not get (values are never copied): {}. Set them with `spacesmith secrets --space {} --set KEY`.",
            r.from,
            r.missing_secrets.join(", "),
            r.to
        );
    }
    note!("Follow its build with `spacesmith logs {} --build --follow`.", r.to);
}

fn print_volumes(r: &VolumesReport, done: Option<&str>, as_json: bool) {
    if as_json {
        json(r);
        return;
    }
    let line = |v: &VolumeView| {
        let ro = if v.volume.read_only.unwrap_or(v.volume.kind != "bucket") { "read-only" } else { "read-write" };
        format!("  {}  ({} {}, {ro})", v.uri, v.volume.kind, v.volume.source)
    };
    if let Some(done) = done {
        out!("{} {done} {}.", check(), r.space);
        for v in &r.removed {
            out!("  unmounted {}", v.uri);
        }
    }
    if r.volumes.is_empty() {
        out!("{} has no volumes.", r.space);
    } else {
        out!("Volumes of {}:", r.space);
        for v in &r.volumes {
            out!("{}", line(v));
        }
    }
}
