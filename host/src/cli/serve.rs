//! `spacesmith serve`: the gateway as a command. The front end reads the flags and the environment
//! (`SPACESMITH_GATEWAY_KEYS`); the gateway gets them as values.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;

use crate::app::App;
use crate::error::{AppError, Exit};
use crate::gateway::{self, GatewayConfig};

#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on; port 0 lets the system pick one (the address is printed on start).
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "HOST:PORT")]
    addr: SocketAddr,
    /// Worker threads (0: one per core).
    #[arg(long, default_value_t = 0, value_name = "N")]
    workers: usize,
    /// Largest request body, in MiB (a larger one is answered 413).
    #[arg(long, default_value_t = 64, value_name = "MIB")]
    max_body_mib: usize,
    /// Longest a request may take, in seconds (log and event streams excepted).
    #[arg(long, default_value_t = 120, value_name = "S")]
    timeout: u64,
}

pub const AFTER_HELP: &str = "\
Routes are under /v1; GET /v1/openapi.json describes them all. Routes that act on the Hub take the caller's \
token as `Authorization: Bearer hf_...`, pass it through and never log or keep it. With SPACESMITH_GATEWAY_KEYS \
set (comma-separated), every route but /v1/health, /v1/version and /v1/openapi.json also needs one of those keys \
as `X-Spacesmith-Key`. The Hub is HF_ENDPOINT (default https://huggingface.co). SIGTERM or Ctrl-C stops taking \
connections and lets requests in flight finish. Access logs go to stderr, one line per request, without query \
strings or headers.";

pub fn run(args: ServeArgs, app: Arc<App>, quiet: bool) -> Result<Exit, AppError> {
    let keys: Vec<String> = std::env::var("SPACESMITH_GATEWAY_KEYS")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(String::from)
        .collect();
    let mut config = GatewayConfig::new(args.addr);
    config.workers = args.workers;
    config.max_body = args.max_body_mib.saturating_mul(1 << 20);
    config.timeout = Duration::from_secs(args.timeout.max(1));
    config.keys = keys;
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(if quiet { tracing::Level::WARN } else { tracing::Level::INFO })
        .try_init();
    let gated = !config.keys.is_empty();
    gateway::serve(app, config, |addr| {
        // Always printed, -q or not: a supervisor or a test needs the address the system picked.
        eprintln!("spacesmith gateway listening on http://{addr}{}", if gated { " (X-Spacesmith-Key required)" } else { "" });
    })?;
    Ok(Exit::Ok)
}
