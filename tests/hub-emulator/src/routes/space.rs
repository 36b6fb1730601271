//! Space management (reference §4): secrets (write-only values), variables, runtime, hardware, sleep time,
//! pause, restart, dev mode, volumes, the hardware catalogue and the Space JWT.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use hyper::{Method, StatusCode};
use serde_json::{Map, Value, json};

use super::{read_access, write_access};
use crate::app::App;
use crate::hash::hmac_sha256;
use crate::http::{ApiError, Resp, ok_json};
use crate::model::{RepoKey, Secret, SpaceState, State, Variable};
use crate::routes::repos::effective_sleep;
use crate::server::Ctx;
use crate::sim::{self, Trigger};
use crate::util::{iso8601, now_ms};

/// GPU model, VRAM, count.
type Accelerator = Option<(&'static str, &'static str, u32)>;
/// Flavor, pretty name, CPU, RAM, accelerator, USD per hour.
type Flavor = (&'static str, &'static str, &'static str, &'static str, Accelerator, f64);

/// The hardware flavors of huggingface_hub 2.4.0 (reference §4.5), with the catalogue's details.
pub const HARDWARE: [Flavor; 21] = [
    ("cpu-basic", "CPU basic", "2 vCPU", "16 GB", None, 0.0),
    ("cpu-upgrade", "CPU upgrade", "8 vCPU", "32 GB", None, 0.03),
    ("zero-a10g", "ZeroGPU", "dynamic", "dynamic", Some(("A100", "40 GB", 1)), 0.0),
    ("t4-small", "Nvidia T4 - small", "4 vCPU", "15 GB", Some(("T4", "16 GB", 1)), 0.40),
    ("t4-medium", "Nvidia T4 - medium", "8 vCPU", "30 GB", Some(("T4", "16 GB", 1)), 0.60),
    ("l4x1", "1x Nvidia L4", "8 vCPU", "30 GB", Some(("L4", "24 GB", 1)), 0.80),
    ("l4x4", "4x Nvidia L4", "48 vCPU", "186 GB", Some(("L4", "96 GB", 4)), 3.80),
    ("l40sx1", "1x Nvidia L40S", "8 vCPU", "62 GB", Some(("L40S", "48 GB", 1)), 1.80),
    ("l40sx4", "4x Nvidia L40S", "48 vCPU", "382 GB", Some(("L40S", "192 GB", 4)), 8.30),
    ("l40sx8", "8x Nvidia L40S", "192 vCPU", "1534 GB", Some(("L40S", "384 GB", 8)), 23.50),
    ("a10g-small", "Nvidia A10G - small", "4 vCPU", "15 GB", Some(("A10G", "24 GB", 1)), 1.00),
    ("a10g-large", "Nvidia A10G - large", "12 vCPU", "46 GB", Some(("A10G", "24 GB", 1)), 1.50),
    ("a10g-largex2", "2x Nvidia A10G - large", "24 vCPU", "92 GB", Some(("A10G", "48 GB", 2)), 3.00),
    ("a10g-largex4", "4x Nvidia A10G - large", "48 vCPU", "184 GB", Some(("A10G", "96 GB", 4)), 5.00),
    ("a100-large", "Nvidia A100 - large", "12 vCPU", "142 GB", Some(("A100", "80 GB", 1)), 2.50),
    ("a100x4", "4x Nvidia A100", "48 vCPU", "568 GB", Some(("A100", "320 GB", 4)), 10.00),
    ("a100x8", "8x Nvidia A100", "96 vCPU", "1136 GB", Some(("A100", "640 GB", 8)), 20.00),
    ("rtx-pro-6000", "1x Nvidia RTX PRO 6000", "24 vCPU", "186 GB", Some(("RTX PRO 6000", "96 GB", 1)), 2.00),
    ("rtx-pro-6000x2", "2x Nvidia RTX PRO 6000", "48 vCPU", "372 GB", Some(("RTX PRO 6000", "192 GB", 2)), 4.00),
    ("rtx-pro-6000x4", "4x Nvidia RTX PRO 6000", "96 vCPU", "744 GB", Some(("RTX PRO 6000", "384 GB", 4)), 8.00),
    ("rtx-pro-6000x8", "8x Nvidia RTX PRO 6000", "192 vCPU", "1488 GB", Some(("RTX PRO 6000", "768 GB", 8)), 16.00),
];

pub fn valid_flavor(f: &str) -> bool {
    HARDWARE.iter().any(|h| h.0 == f)
}

/// Secret and variable keys: a letter or `_`, then letters, digits, `_` (at most 256 characters).
pub fn valid_env_key(k: &str) -> bool {
    let mut chars = k.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && k.len() <= 256
}

pub fn hardware_catalogue() -> Result<Resp, ApiError> {
    let list: Vec<Value> = HARDWARE
        .iter()
        .map(|(name, pretty, cpu, ram, acc, usd)| {
            json!({
                "name": name,
                "prettyName": pretty,
                "cpu": cpu,
                "ram": ram,
                "ephemeralStorage": "50 GB",
                "accelerator": acc.map(|(model, vram, qty)| json!({ "type": "gpu", "model": model, "vram": vram, "quantity": qty, "manufacturer": "Nvidia" })),
                "unitCostMicroUSD": (usd * 1_000_000.0 / 60.0).round() as u64,
                "unitCostUSD": usd / 60.0,
                "unitLabel": "minute",
            })
        })
        .collect();
    ok_json(Value::Array(list))
}

/// SpaceRuntime (reference §4.5), with the likely extras (`replicas`, `errorMessage`, `domains`, `sdk`). No
/// `sha`: neither official client models one; the commit is only at the top of space info.
pub fn runtime_json(space: &SpaceState, key: &RepoKey) -> Value {
    let up = space.current_hardware.is_some();
    let subdomain = format!("{}-{}", key.namespace().to_lowercase(), key.name().to_lowercase().replace(['_', '.'], "-"));
    let mut v = json!({
        "stage": space.stage,
        "hardware": { "current": space.current_hardware, "requested": space.hardware },
        "gcTimeout": space.sleep_time,
        "storage": null,
        "devMode": space.dev_mode,
        "replicas": { "current": if up { 1 } else { 0 }, "requested": 1 },
        "domains": [{ "domain": format!("{subdomain}.hf.space"), "stage": "READY" }],
        "sdk": space.sdk,
    });
    if let Some(e) = &space.error_message {
        v["errorMessage"] = json!(e);
    }
    if let Some(vol) = &space.volumes {
        v["volumes"] = vol.clone();
    }
    v
}

fn space_mut<'a>(st: &'a mut State, ctx: &Ctx, key: &RepoKey) -> Result<&'a mut SpaceState, ApiError> {
    let repo = write_access(st, ctx, key)?;
    Ok(repo.space.as_mut().expect("spaces carry space state"))
}

fn runtime_response(st: &State, key: &RepoKey) -> Result<Resp, ApiError> {
    let space = st.get(key).and_then(|r| r.space.as_ref()).ok_or_else(ApiError::repo_not_found)?;
    ok_json(runtime_json(space, key))
}

fn body_key(body: &Value) -> Result<String, ApiError> {
    let k = body.get("key").and_then(Value::as_str).ok_or_else(|| ApiError::bad_request("Missing key"))?;
    if !valid_env_key(k) {
        return Err(ApiError::bad_request(format!("Invalid key {k:?}: use letters, digits and _ (not starting with a digit)")));
    }
    Ok(k.to_string())
}

fn body_value(body: &Value) -> String {
    match body.get("value") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(v) => v.to_string(),
    }
}

/// Secrets and variables reach a running app only through a restart, as on the Hub.
fn restart_if_running(app: &std::sync::Arc<App>, st: &mut State, key: &RepoKey) {
    let running = st
        .get(key)
        .and_then(|r| r.space.as_ref())
        .is_some_and(|s| matches!(s.stage.as_str(), "RUNNING" | "RUNTIME_ERROR" | "APP_STARTING" | "RUNNING_APP_STARTING"));
    if running {
        sim::start(app, st, key, Trigger::Reconfigure);
    }
}

pub async fn secrets(ctx: &mut Ctx, key: &RepoKey) -> Result<Resp, ApiError> {
    let body = if ctx.method == Method::GET { Value::Null } else { ctx.body_json().await? };
    let app = ctx.app.clone();
    let mut st = app.lock();
    let space = space_mut(&mut st, ctx, key)?;
    match ctx.method {
        Method::GET => {
            let mut out = Map::new();
            for (k, s) in &space.secrets {
                let mut v = json!({ "updatedAt": iso8601(s.updated_ms) });
                if let Some(d) = &s.description {
                    v["description"] = json!(d);
                }
                out.insert(k.clone(), v);
            }
            ok_json(Value::Object(out))
        }
        Method::POST => {
            let k = body_key(&body)?;
            let description = body.get("description").and_then(Value::as_str).map(str::to_string);
            space.secrets.insert(k, Secret { value: body_value(&body), description, updated_ms: now_ms() });
            restart_if_running(&app, &mut st, key);
            app.persist(&st);
            ok_json(json!({}))
        }
        Method::DELETE => {
            let k = body_key(&body)?;
            let removed = space.secrets.remove(&k).is_some();
            if removed {
                restart_if_running(&app, &mut st, key);
            }
            app.persist(&st);
            ok_json(json!({}))
        }
        _ => Err(ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowed", "Use GET, POST or DELETE")),
    }
}

fn variables_json(space: &SpaceState) -> Value {
    let mut out = Map::new();
    for (k, v) in &space.variables {
        let mut o = json!({ "value": v.value, "updatedAt": iso8601(v.updated_ms) });
        if let Some(d) = &v.description {
            o["description"] = json!(d);
        }
        out.insert(k.clone(), o);
    }
    Value::Object(out)
}

pub async fn variables(ctx: &mut Ctx, key: &RepoKey) -> Result<Resp, ApiError> {
    if ctx.method == Method::GET {
        let st = ctx.app.lock();
        let repo = read_access(&st, ctx, key)?;
        return ok_json(variables_json(repo.space.as_ref().expect("space")));
    }
    let body = ctx.body_json().await?;
    let app = ctx.app.clone();
    let mut st = app.lock();
    let space = space_mut(&mut st, ctx, key)?;
    let changed = match ctx.method {
        Method::POST => {
            let k = body_key(&body)?;
            let description = body.get("description").and_then(Value::as_str).map(str::to_string);
            space.variables.insert(k, Variable { value: body_value(&body), description, updated_ms: now_ms() });
            true
        }
        Method::DELETE => {
            let k = body_key(&body)?;
            space.variables.remove(&k).is_some()
        }
        _ => return Err(ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowed", "Use GET, POST or DELETE")),
    };
    let out = variables_json(space);
    if changed {
        restart_if_running(&app, &mut st, key);
    }
    app.persist(&st);
    ok_json(out)
}

pub fn runtime(ctx: &Ctx, key: &RepoKey) -> Result<Resp, ApiError> {
    let st = ctx.app.lock();
    read_access(&st, ctx, key)?;
    runtime_response(&st, key)
}

pub async fn request_hardware(ctx: &mut Ctx, key: &RepoKey) -> Result<Resp, ApiError> {
    let body = ctx.body_json().await?;
    let flavor = body.get("flavor").and_then(Value::as_str).ok_or_else(|| ApiError::bad_request("Missing flavor"))?;
    if !valid_flavor(flavor) {
        return Err(ApiError::bad_request(format!("Invalid hardware flavor {flavor:?}: see GET /api/spaces/hardware")));
    }
    let sleep = body.get("sleepTimeSeconds").and_then(Value::as_i64);
    let app = ctx.app.clone();
    let mut st = app.lock();
    let space = space_mut(&mut st, ctx, key)?;
    let changed = space.hardware != flavor;
    space.hardware = flavor.to_string();
    space.sleep_time = effective_sleep(flavor, sleep.or(space.sleep_time.filter(|s| *s != 172_800)));
    if changed {
        restart_if_running(&app, &mut st, key);
    }
    app.persist(&st);
    runtime_response(&st, key)
}

pub async fn sleeptime(ctx: &mut Ctx, key: &RepoKey) -> Result<Resp, ApiError> {
    let body = ctx.body_json().await?;
    let seconds = body.get("seconds").and_then(Value::as_i64).ok_or_else(|| ApiError::bad_request("Missing seconds"))?;
    if seconds < -1 || seconds == 0 {
        return Err(ApiError::bad_request("seconds must be a positive number of seconds, or -1 for never"));
    }
    let app = ctx.app.clone();
    let mut st = app.lock();
    let space = space_mut(&mut st, ctx, key)?;
    if space.hardware == "cpu-basic" {
        return Err(ApiError::bad_request(
            "The sleep time cannot be configured on cpu-basic hardware (fixed at 48 hours); upgrade the hardware first",
        ));
    }
    space.sleep_time = Some(seconds);
    app.persist(&st);
    runtime_response(&st, key)
}

fn not_static(space: &SpaceState, what: &str) -> Result<(), ApiError> {
    if space.sdk == "static" {
        return Err(ApiError::bad_request(format!("Cannot {what} a static Space: static Spaces are always running")));
    }
    Ok(())
}

pub fn pause(ctx: &Ctx, key: &RepoKey) -> Result<Resp, ApiError> {
    let app = ctx.app.clone();
    let mut st = app.lock();
    let space = space_mut(&mut st, ctx, key)?;
    not_static(space, "pause")?;
    sim::pause(space);
    app.persist(&st);
    runtime_response(&st, key)
}

pub fn restart(ctx: &Ctx, key: &RepoKey) -> Result<Resp, ApiError> {
    let factory = ctx.q_bool("factory");
    let app = ctx.app.clone();
    let mut st = app.lock();
    let space = space_mut(&mut st, ctx, key)?;
    not_static(space, "restart")?;
    sim::start(&app, &mut st, key, Trigger::Restart { factory });
    app.persist(&st);
    runtime_response(&st, key)
}

pub async fn dev_mode(ctx: &mut Ctx, key: &RepoKey) -> Result<Resp, ApiError> {
    let body = ctx.body_json().await?;
    let enabled = body.get("enabled").and_then(Value::as_bool).ok_or_else(|| ApiError::bad_request("Missing enabled"))?;
    let app = ctx.app.clone();
    let mut st = app.lock();
    let space = space_mut(&mut st, ctx, key)?;
    not_static(space, "set dev mode on")?;
    space.dev_mode = enabled;
    app.persist(&st);
    runtime_response(&st, key)
}

/// One `{type, source, mountPath, revision?, readOnly?, path?}` entry, as stored; repos are forced read-only.
pub fn volume_entry(v: &Value) -> Result<Value, ApiError> {
    let kind = v.get("type").and_then(Value::as_str).unwrap_or("model");
    if !["bucket", "model", "dataset", "space"].contains(&kind) {
        return Err(ApiError::bad_request(format!("Invalid volume type {kind:?}: expected bucket, model, dataset or space")));
    }
    let source = v.get("source").and_then(Value::as_str).unwrap_or("");
    if !crate::routes::repos::valid_repo_id(source) {
        return Err(ApiError::bad_request(format!("Invalid volume source {source:?}: expected namespace/name")));
    }
    let mount = v.get("mountPath").and_then(Value::as_str).unwrap_or("");
    if !mount.starts_with('/') {
        return Err(ApiError::bad_request(format!("Invalid mountPath {mount:?}: it must start with /")));
    }
    let mut out = json!({ "type": kind, "source": source, "mountPath": mount });
    if let Some(r) = v.get("revision").and_then(Value::as_str) {
        if kind == "bucket" {
            return Err(ApiError::bad_request("Buckets have no revision"));
        }
        out["revision"] = json!(r);
    }
    let read_only = v.get("readOnly").and_then(Value::as_bool);
    out["readOnly"] = json!(if kind == "bucket" { read_only.unwrap_or(false) } else { true });
    if let Some(p) = v.get("path").and_then(Value::as_str) {
        out["path"] = json!(p);
    }
    Ok(out)
}

pub async fn volumes(ctx: &mut Ctx, key: &RepoKey) -> Result<Resp, ApiError> {
    let body = if ctx.method == Method::PUT { ctx.body_json().await? } else { Value::Null };
    let app = ctx.app.clone();
    let mut st = app.lock();
    let space = space_mut(&mut st, ctx, key)?;
    if ctx.method == Method::PUT {
        let list = body.get("volumes").and_then(Value::as_array).ok_or_else(|| ApiError::bad_request("Missing volumes list"))?;
        if space.sdk == "static" {
            return Err(ApiError::bad_request("Volumes are not supported on static Spaces"));
        }
        let mut vols = Vec::new();
        for v in list {
            let entry = volume_entry(v)?;
            if vols.iter().any(|o: &Value| o["mountPath"] == entry["mountPath"]) {
                return Err(ApiError::bad_request(format!("Two volumes are mounted at {}", entry["mountPath"])));
            }
            vols.push(entry);
        }
        // An empty list leaves nothing mounted, like DELETE.
        space.volumes = (!vols.is_empty()).then_some(Value::Array(vols));
    } else if space.volumes.take().is_none() {
        return Err(ApiError::bad_request("This Space has no volumes"));
    }
    // A new set of mounts needs a new container.
    restart_if_running(&app, &mut st, key);
    app.persist(&st);
    ok_json(json!({}))
}

pub fn jwt(ctx: &Ctx, key: &RepoKey) -> Result<Resp, ApiError> {
    let st = ctx.app.lock();
    read_access(&st, ctx, key)?;
    let ttl = ctx.app.tun().jwt_ttl_seconds;
    let now = now_ms() / 1000;
    let exp = now + ttl;
    let on_behalf = match ctx.user() {
        Some(u) => json!({ "kind": "user", "_id": u.object_id(), "user": u.name }),
        None => json!({ "kind": "anonymous" }),
    };
    let payload = json!({
        "read": true,
        "permissions": { "repo.content.read": true },
        "onBehalfOf": on_behalf,
        "iat": now,
        "sub": format!("/spaces/{}", key.id),
        "exp": exp,
        "iss": ctx.base,
    });
    let token = sign_jwt(&ctx.app, &payload);
    // Documented (and read by the gradio clients) as `{token}` only; the expiry is the payload's `exp`.
    ok_json(json!({ "token": token }))
}

pub fn sign_jwt(app: &App, payload: &Value) -> String {
    let header = B64URL.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let body = B64URL.encode(serde_json::to_vec(payload).unwrap_or_default());
    let signing_input = format!("{header}.{body}");
    let sig = B64URL.encode(hmac_sha256(&app.jwt_secret, signing_input.as_bytes()));
    format!("{signing_input}.{sig}")
}

/// Checks a Space JWT: signature, expiry, and that it was issued for `key`.
pub fn verify_jwt(app: &App, token: &str, key: &RepoKey) -> Result<(), ApiError> {
    let invalid = || ApiError::unauthorized("Invalid or expired JWT");
    let mut parts = token.split('.');
    let (Some(h), Some(b), Some(s), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(invalid());
    };
    let expected = B64URL.encode(hmac_sha256(&app.jwt_secret, format!("{h}.{b}").as_bytes()));
    if expected != s {
        return Err(invalid());
    }
    let payload: Value = B64URL.decode(b).ok().and_then(|p| serde_json::from_slice(&p).ok()).ok_or_else(invalid)?;
    if payload.get("exp").and_then(Value::as_u64).is_none_or(|e| e <= now_ms() / 1000) {
        return Err(invalid());
    }
    if payload.get("sub").and_then(Value::as_str) != Some(format!("/spaces/{}", key.id).as_str()) {
        return Err(ApiError::forbidden("This JWT was issued for another Space"));
    }
    Ok(())
}
