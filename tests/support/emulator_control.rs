//! The hub emulator's control API (`/__emulator/...`): state, request log, faults, config. Shared by
//! the tests of several crates that drive a client or the CLI against the emulator (included with
//! `#[path]`), so there is one client of it.

#![allow(dead_code)]

use std::time::Duration;

use serde_json::Value;

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder().http_status_as_error(false).timeout_global(Some(Duration::from_secs(30))).build().into()
}

/// Calls `/__emulator/{path}` on the emulator at `url` and returns the JSON answer.
pub fn control(url: &str, method: &str, path: &str, body: Option<Value>) -> Value {
    let full = format!("{url}/__emulator/{path}");
    let a = agent();
    let mut resp = match (method, body) {
        ("GET", _) => a.get(&full).call(),
        ("DELETE", _) => a.delete(&full).call(),
        (_, Some(b)) => a.post(&full).header("content-type", "application/json").send(b.to_string()),
        (_, None) => a.post(&full).send_empty(),
    }
    .expect("control call");
    let text = resp.body_mut().with_config().limit(1 << 30).read_to_string().expect("body");
    assert!(resp.status().as_u16() < 400, "control {path}: {text}");
    serde_json::from_str(&text).expect("json")
}

pub fn state(url: &str) -> Value {
    control(url, "GET", "state", None)
}

/// The emulator's view of one repo (Null when it does not exist).
pub fn repo(url: &str, id: &str) -> Value {
    state(url)["repos"].as_array().unwrap().iter().find(|r| r["id"] == id).cloned().unwrap_or(Value::Null)
}

pub fn requests(url: &str) -> Vec<Value> {
    control(url, "GET", "requests", None).as_array().unwrap().clone()
}

pub fn clear_requests(url: &str) {
    control(url, "DELETE", "requests", None);
}

pub fn fault(url: &str, rule: Value) {
    control(url, "POST", "faults", Some(rule));
}

pub fn set_config(url: &str, cfg: Value) {
    control(url, "POST", "config", Some(cfg));
}
