//! Shell completion and man pages, both from the clap definition the parser uses.
//!
//! Completion is dynamic: the script `completions SHELL` prints only registers a callback, and the shell
//! runs `COMPLETE=SHELL spacesmith -- WORDS...` on every TAB. So SDK ids, installed plugins and the
//! options of the plugin named by `--sdk` are the ones of that moment, not of the day the script was made.

use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::path::{Path, PathBuf};

use clap::ValueEnum;
use clap_complete::CompleteEnv;
use clap_complete::engine::{ArgValueCandidates, CompletionCandidate};
use clap_complete::env::{Bash, EnvCompleter, Fish, Powershell, Zsh};

use crate::error::{AppError, ErrorCode};

/// The variable that makes a run a completion request (clap_complete's protocol).
const COMPLETE_VAR: &str = "COMPLETE";
const BIN: &str = "spacesmith";

#[derive(Clone, Copy, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    Powershell,
}

/// When this run is a completion request: the words on the command line (program name first), i.e.
/// what follows the first `--`.
pub fn completion_words(args: &[OsString]) -> Option<Vec<OsString>> {
    let var = std::env::var_os(COMPLETE_VAR)?;
    if var.is_empty() || var == "0" {
        return None;
    }
    Some(args.iter().position(|a| a == "--").map(|i| args[i + 1..].to_vec()).unwrap_or_default())
}

/// Answer a completion request with `cmd` (already carrying the plugin's options when `--sdk` names
/// one). Nothing but candidates may reach stdout, and an error must not garble the prompt: exit 1.
pub fn complete(cmd: clap::Command, args: Vec<OsString>) -> i32 {
    let cwd = std::env::current_dir().ok();
    match CompleteEnv::with_factory(move || cmd.clone()).bin(BIN).try_complete(args, cwd.as_deref()) {
        Ok(_) => 0,
        Err(_) => 1,
    }
}

/// Candidates with a short description each: `(value, help)`.
fn candidates(list: Vec<(String, String)>) -> ArgValueCandidates {
    ArgValueCandidates::new(move || {
        list.iter().map(|(v, help)| CompletionCandidate::new(v).help(Some(help.clone().into()))).collect::<Vec<_>>()
    })
}

/// Add the value candidates the parser cannot know: SDK ids for `--sdk`, plugin ids for `plugin ...`.
/// `sdks` are all resolvable SDK ids; `installed` the installed plugins (the only ones `remove`, `grant`,
/// `revoke` and `limits` accept).
pub fn with_candidates(cmd: clap::Command, sdks: Vec<(String, String)>, installed: Vec<(String, String)>) -> clap::Command {
    let sdk_arg = |list: &Vec<(String, String)>| {
        let c = candidates(list.clone());
        move |a: clap::Arg| a.add(c)
    };
    cmd.mut_subcommand("new", |c| c.mut_arg("sdk", sdk_arg(&sdks)))
        .mut_subcommand("rules", |c| c.mut_arg("sdk", sdk_arg(&sdks)))
        .mut_subcommand("plugin", |c| {
            let c = c.mut_subcommand("info", |c| c.mut_arg("sdk_id", sdk_arg(&sdks)));
            ["remove", "grant", "revoke", "limits"]
                .into_iter()
                .fold(c, |c, name| c.mut_subcommand(name, |c| c.mut_arg("sdk_id", sdk_arg(&installed))))
        })
}

/// The path the registration script calls back: as invoked, made absolute when it was relative with a
/// directory (`./target/release/spacesmith`), so the script works from any directory.
fn completer_path(program: &OsStr) -> String {
    let p = PathBuf::from(program);
    let p = match std::env::current_dir() {
        Ok(cwd) if p.components().count() > 1 => cwd.join(p),
        _ => p,
    };
    p.to_string_lossy().into_owned()
}

/// `completions SHELL`: the registration script, on stdout.
pub fn registration(shell: Shell, program: &OsStr) -> Result<(), AppError> {
    let completer: &dyn EnvCompleter = match shell {
        Shell::Bash => &Bash,
        Shell::Zsh => &Zsh,
        Shell::Fish => &Fish,
        Shell::Powershell => &Powershell,
    };
    let mut buf = Vec::new();
    completer
        .write_registration(COMPLETE_VAR, BIN, BIN, &completer_path(program), &mut buf)
        .and_then(|()| std::io::stdout().lock().write_all(&buf))
        .map_err(|e| AppError::new(ErrorCode::WriteFailed, format!("cannot write the completion script: {e}")))
}

/// A page per command, titled in capitals as man pages are (`SPACESMITH-PLUGIN-INSTALL`).
fn page(cmd: &clap::Command) -> clap_mangen::Man {
    let name = cmd.get_display_name().unwrap_or(cmd.get_name()).to_string();
    clap_mangen::Man::new(cmd.clone()).title(name.to_uppercase())
}

fn write_pages(cmd: &clap::Command, dir: &Path, written: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let man = page(cmd);
    let path = dir.join(man.get_filename());
    let mut roff = Vec::new();
    man.render(&mut roff)?;
    std::fs::write(&path, roff)?;
    written.push(path);
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_pages(sub, dir, written)?;
    }
    Ok(())
}

/// `man`: the main page on stdout, or into DIR one page for spacesmith and one per (sub)command
/// (replacing pages of the same name); returns the files written.
pub fn man_pages(cmd: clap::Command, dir: Option<&Path>) -> Result<Vec<PathBuf>, AppError> {
    let mut cmd = cmd.disable_help_subcommand(true);
    cmd.build();
    let Some(dir) = dir else {
        let mut roff = Vec::new();
        page(&cmd)
            .render(&mut roff)
            .and_then(|()| std::io::stdout().lock().write_all(&roff))
            .map_err(|e| AppError::new(ErrorCode::WriteFailed, format!("cannot write the man page: {e}")))?;
        return Ok(Vec::new());
    };
    let mut written = Vec::new();
    std::fs::create_dir_all(dir).and_then(|()| write_pages(&cmd, dir, &mut written)).map_err(|e| {
        AppError::new(ErrorCode::WriteFailed, format!("cannot write the man pages into {}: {e}", dir.display()))
            .hint("Pass a directory you can write to with --dir, or omit --dir to print the main page.")
    })?;
    Ok(written)
}
