//! `hub-emulator`: a loopback Hugging Face Hub for offline tests of spacesmith, faithful enough for the real
//! `huggingface_hub` client. See the crate README for the endpoint list, control API and known differences.
//!
//! In-process use (tests):
//! ```no_run
//! let emu = hub_emulator::Emulator::spawn(hub_emulator::Config::with_user("alice", "hf_alice")).unwrap();
//! println!("HF_ENDPOINT={}", emu.url());
//! // ... the emulator stops when `emu` is dropped
//! ```
//! Async use: [`Server::bind`] then [`Server::run`], or [`serve`].

mod app;
mod faults;
mod hash;
mod http;
mod logbuf;
mod model;
mod oauth;
pub mod oidc_issuer;
mod patterns;
mod routes;
mod server;
mod sim;
mod store;
mod util;

pub use app::{Config, LfsVerify, RequestRecord, Tunables, UserSpec};
pub use faults::{FaultKind, FaultRule};
pub use server::{Emulator, Server, serve};

/// Git blob oid (`sha1("blob {len}\0" + data)`), exported for tests that compare with the tree listing.
pub fn git_blob_oid(data: &[u8]) -> String {
    hash::git_blob_oid(data)
}

pub const USAGE: &str = "\
hub-emulator: a loopback Hugging Face Hub for offline tests

USAGE:
    hub-emulator [OPTIONS]

OPTIONS:
    --addr ADDR                  listen address (default 127.0.0.1:0)
    --cdn-addr ADDR              address of the CDN listener serving LFS downloads (default: same IP, any port)
    --data-dir DIR               persist repos, blobs and settings under DIR (default: in memory)
    --user NAME:TOKEN[:free]     an account; repeatable; ':free' = no PRO plan (default: emulator:hf_emulator_token)
    --build-seconds N            duration of a simulated build, may be fractional or 0 (default 2)
    --keepalive-seconds N        SSE keep-alive interval (default 30)
    --tree-page-size N           tree listing page size (default 1000)
    --lfs-threshold BYTES        files at/above this size must use LFS (default 10485760)
    --multipart-threshold BYTES  LFS objects at/above this size upload in parts (default 33554432)
    --multipart-chunk-size BYTES part size for multipart uploads (default 16777216)
    --jwt-ttl-seconds N          lifetime of Space JWTs (default 3600)
    --rate-limit N               requests per window and resource class before real 429s (default 100000)
    --rate-limit-window SECS     rate-limit window (default 300)
    --rebuild-delay-seconds N    after a commit, the old stage stays this long before the build shows (default 0)
    --no-readme-only-rebuilds    a commit changing only README.md starts no build
    --lfs-verify WHEN            receipt: check an LFS upload's sha256 as it arrives (default); read: when its
                                 content is first read (a benchmark rig setting, not Hub behaviour)
    --fault JSON                 a fault rule (same JSON as POST /__emulator/faults); repeatable
    -h, --help                   this help
    -V, --version                version

Prints `listening on http://HOST:PORT` as its first stdout line, then serves until killed.
";

/// What the command line asks for.
#[derive(Debug)]
pub enum Command {
    Run(Box<Config>),
    Help,
    Version,
}

/// Parses the command line (without the program name).
pub fn parse_args<I: IntoIterator<Item = String>>(args: I) -> Result<Command, String> {
    let mut cfg = Config::default();
    let mut it = args.into_iter();
    while let Some(arg) = it.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| -> Result<String, String> {
            match &inline {
                Some(v) => Ok(v.clone()),
                None => it.next().ok_or_else(|| format!("{name} needs a value")),
            }
        };
        fn num<T: std::str::FromStr>(flag: &str, v: String) -> Result<T, String> {
            v.parse().map_err(|_| format!("{flag}: invalid number {v:?}"))
        }
        let t = &mut cfg.tunables;
        match flag.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "-V" | "--version" => return Ok(Command::Version),
            "--addr" => cfg.addr = value(&flag)?.parse().map_err(|e| format!("--addr: {e}"))?,
            "--cdn-addr" => cfg.cdn_addr = Some(value(&flag)?.parse().map_err(|e| format!("--cdn-addr: {e}"))?),
            "--data-dir" => cfg.data_dir = Some(value(&flag)?.into()),
            "--user" => cfg.users.push(UserSpec::parse(&value(&flag)?)?),
            "--build-seconds" => {
                let v: f64 = num(&flag, value(&flag)?)?;
                if !(v.is_finite() && v >= 0.0) {
                    return Err("--build-seconds must be a non-negative number".into());
                }
                t.build_seconds = v;
            }
            "--keepalive-seconds" => {
                let v: f64 = num(&flag, value(&flag)?)?;
                if !(v.is_finite() && v > 0.0) {
                    return Err("--keepalive-seconds must be positive".into());
                }
                t.keepalive_seconds = v;
            }
            "--tree-page-size" => t.tree_page_size = num::<usize>(&flag, value(&flag)?)?.max(1),
            "--lfs-threshold" => t.lfs_threshold = num(&flag, value(&flag)?)?,
            "--multipart-threshold" => t.multipart_threshold = num(&flag, value(&flag)?)?,
            "--multipart-chunk-size" => t.multipart_chunk_size = num::<u64>(&flag, value(&flag)?)?.max(1),
            "--jwt-ttl-seconds" => t.jwt_ttl_seconds = num(&flag, value(&flag)?)?,
            "--rate-limit" => t.rate_limit_quota = num(&flag, value(&flag)?)?,
            "--rate-limit-window" => t.rate_limit_window = num::<u64>(&flag, value(&flag)?)?.max(1),
            "--rebuild-delay-seconds" => {
                let v: f64 = num(&flag, value(&flag)?)?;
                if !(v.is_finite() && v >= 0.0) {
                    return Err("--rebuild-delay-seconds must be a non-negative number".into());
                }
                t.rebuild_delay_seconds = v;
            }
            "--no-readme-only-rebuilds" => t.readme_only_rebuilds = false,
            "--lfs-verify" => t.lfs_verify = app::LfsVerify::parse(&value(&flag)?)?,
            "--fault" => {
                let rule: FaultRule =
                    serde_json::from_str(&value(&flag)?).map_err(|e| format!("--fault: invalid JSON rule: {e}"))?;
                rule.validate().map_err(|e| format!("--fault: {e}"))?;
                cfg.faults.push(rule);
            }
            other => return Err(format!("unknown argument {other:?} (see --help)")),
        }
    }
    let mut names = std::collections::BTreeSet::new();
    for u in &cfg.users {
        if !names.insert(u.name.clone()) {
            return Err(format!("--user {} given twice", u.name));
        }
    }
    Ok(Command::Run(Box::new(cfg)))
}
