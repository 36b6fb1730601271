//! Test harness: an in-process hub emulator per test, a client on a virtual clock (retry sleeps are recorded,
//! never slept), and the emulator's control API (tests/support/emulator_control.rs).

#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;

use hub_emulator::{Config, Emulator, UserSpec};
use serde_json::Value;
use spacesmith_hub::*;

pub const ALICE: &str = "hf_alice_Sup3rSecretToken";
pub const BOB: &str = "hf_bob_An0therSecretToken";

pub struct Env {
    pub emu: Emulator,
    pub url: String,
    pub api: Arc<HubClient>,
    pub clock: Arc<ManualClock>,
}

pub fn config() -> Config {
    let mut c = Config::with_user("alice", ALICE);
    c.users.push(UserSpec { name: "bob".into(), token: BOB.into(), pro: true });
    c.tunables.build_seconds = 0.0;
    c
}

pub fn start() -> Env {
    start_with(config())
}

pub fn start_with(c: Config) -> Env {
    let emu = Emulator::spawn(c).expect("emulator starts");
    let url = emu.url();
    let (api, clock) = client(&url, Some(ALICE));
    Env { emu, url, api, clock }
}

/// A client for `url` with `token` (as if from HF_TOKEN) on a virtual clock.
pub fn client(url: &str, token: Option<&str>) -> (Arc<HubClient>, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new());
    let token = token.map(|t| ResolvedToken { token: Token::new(t), source: TokenSource::Env("HF_TOKEN") });
    let c = HubClient::new(HubConfig::new(url), token).with_clock(clock.clone());
    (Arc::new(c), clock)
}

#[path = "../../../../tests/support/emulator_control.rs"]
mod emulator_control;
#[allow(unused_imports)] // each test binary uses its own subset
pub use emulator_control::{clear_requests, control, fault, repo, requests, set_config, state};

pub fn space(id: &str) -> SpaceId {
    SpaceId::parse(id).unwrap()
}

/// Creates a private docker Space for alice.
pub fn create(env: &Env, id: &str) -> SpaceId {
    let s = space(id);
    env.api.create_space(&s, &CreateSpace::new("docker")).unwrap();
    s
}

pub fn write(root: &Path, rel: &str, data: impl AsRef<[u8]>) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, data).unwrap();
}

pub const README: &str =
    "---\ntitle: Demo\nemoji: 🚀\ncolorFrom: blue\ncolorTo: green\nsdk: docker\napp_port: 7860\n---\n# Demo\n";
pub const DOCKERFILE: &str = "FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nCMD [\"python\", \"app.py\"]\n";

/// Plans and uploads `root` to `space` on main.
pub fn deploy(api: &dyn HubApi, space: &SpaceId, root: &Path, msg: &str) -> Result<(UploadPlan, UploadReport)> {
    let plan = plan::plan_folder(api, space, root, "main", &PlanOptions::default())?;
    let report = upload(api, space, &plan, &CommitOptions::new(msg))?;
    Ok((plan, report))
}

/// Every file of the Space at main, downloaded through `/resolve`.
pub fn download_all(api: &dyn HubApi, space: &SpaceId) -> Vec<(String, Vec<u8>)> {
    let tree = api.list_tree(space, "main", None, true).unwrap();
    tree.iter()
        .filter(|e| e.is_file())
        .map(|e| {
            let mut buf = Vec::new();
            api.download(space, "main", &e.path, &mut buf).unwrap();
            (e.path.clone(), buf)
        })
        .collect()
}

/// Requests whose path contains `needle`.
pub fn matching<'a>(reqs: &'a [Value], needle: &str) -> Vec<&'a Value> {
    reqs.iter().filter(|r| r["path"].as_str().unwrap_or("").contains(needle)).collect()
}

pub fn commit_count(url: &str, id: &str) -> u64 {
    repo(url, id)["commits"].as_u64().unwrap()
}
