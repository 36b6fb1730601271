//! `spacesmith doctor`: parse, run the checks (crate::doctor), print the report on stdout.

use std::io::Write;

use clap::Args;

use super::output::{Style, json, out};
use spacesmith_hub::EnvAuth;

use crate::app::App;
use crate::doctor::{DoctorReport, DoctorService, Status};
use crate::error::Exit;

pub(super) const AFTER_HELP: &str = "\
Checks: the token (where it was found, whose it is and its role, asked from the Hub; never the token itself), \
the endpoint (HF_ENDPOINT, one request without the token, 5 s), hadolint (validate's Dockerfile checks), Python \
>= 3.10 with venv (dev), and that the plugin cache and data directories are writable (a temporary file is \
created and removed). Each is ok, warn (some commands cannot work; the others can) or fail (something set \
up is broken), with what to do.

--json: {\"success\", \"endpoint\", \"token\": {\"source\", \"user\", \"role\", \"name\", \"expires_at\"} or null, \
\"checks\": [{\"id\", \"status\", \"message\", \"fix\"}], \"failed\", \"warnings\"}.

Exit codes: 0 nothing failed (warnings allowed), 1 a check failed.";

#[derive(Args)]
pub(super) struct DoctorArgs {
    /// Print the report as JSON on stdout.
    #[arg(long)]
    json: bool,
}

pub(super) fn run(args: DoctorArgs, app: &App) -> Exit {
    let report = app.doctor(EnvAuth::from_process_env()).run();
    print(&report, args.json);
    if report.success { Exit::Ok } else { Exit::Failed }
}

fn print(r: &DoctorReport, as_json: bool) {
    if as_json {
        json(r);
        return;
    }
    let s = Style::stdout();
    for c in &r.checks {
        let mark = match c.status {
            Status::Ok => s.paint("1;32", "✓"),
            Status::Warn => s.paint("1;33", "!"),
            Status::Fail => s.paint("1;31", "✗"),
        };
        out!("{mark} {:<9} {}", c.id, c.message);
        if let Some(fix) = &c.fix {
            out!("  {:<9} {} {fix}", "", s.paint("2", "fix:"));
        }
    }
    let verdict = match (r.failed, r.warnings) {
        (0, 0) => "everything is in order".to_string(),
        (0, w) => format!("nothing failed, {w} warning(s)"),
        (f, w) => format!("{f} failed, {w} warning(s)"),
    };
    out!("{verdict}");
}
