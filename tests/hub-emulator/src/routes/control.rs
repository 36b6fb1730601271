//! The control API under `/__emulator/` (no auth, never faulted, not in the request log):
//!
//! - `GET /__emulator/info`: URLs (hub, CDN, logs host) and user names
//! - `GET /__emulator/state`: repos, commits, files, Space stage/settings/logs (secret values only as sha256)
//! - `GET /__emulator/requests[?since=SEQ]`, `DELETE /__emulator/requests`: the request log
//! - `GET|POST|DELETE /__emulator/faults`: list, add (one rule or a list), clear fault rules
//! - `GET|POST /__emulator/config`: read or change tunables (`buildSeconds`, `keepaliveSeconds`, ...)
//! - `POST /__emulator/reset`: forget all repos, faults and requests
//! - `POST /__emulator/spaces/{ns}/{name}/logs` `{"lines": [...], "build": false}`: append log lines
//! - `POST /__emulator/spaces/{ns}/{name}/stage` `{"stage": "...", "errorMessage": "..."}`: force a stage

use hyper::Method;
use serde_json::{Map, Value, json};

use crate::app::Tunables;
use crate::faults::FaultRule;
use crate::hash::sha256_hex;
use crate::http::{ApiError, Resp, ok_json};
use crate::logbuf::LogHandle;
use crate::model::{Repo, RepoKey, RepoType};
use crate::routes::repos::commit_count;
use crate::server::Ctx;
use crate::util::iso8601;

pub async fn route(ctx: &mut Ctx, rest: &[&str]) -> Result<Resp, ApiError> {
    let m = ctx.method.clone();
    match (rest, m) {
        (["info"], Method::GET) => info(ctx),
        (["state"], Method::GET) => state(ctx),
        (["requests"], Method::GET) => requests(ctx),
        (["requests"], Method::DELETE) => {
            ctx.app.requests.lock().unwrap_or_else(|p| p.into_inner()).clear();
            ok_json(json!({}))
        }
        (["faults"], Method::GET) => ok_json(json!(ctx.app.faults.lock().unwrap_or_else(|p| p.into_inner()).list())),
        (["faults"], Method::POST) => add_faults(ctx).await,
        (["faults"], Method::DELETE) => {
            ctx.app.faults.lock().unwrap_or_else(|p| p.into_inner()).clear();
            ok_json(json!({}))
        }
        (["config"], Method::GET) => ok_json(json!(ctx.app.tun())),
        (["config"], Method::POST) => config(ctx).await,
        (["reset"], Method::POST) => reset(ctx),
        (["trusted-publishers"], _) => crate::oauth::control_publishers(ctx).await,
        (["oauth", "logins"], Method::POST) => crate::oauth::control_login(ctx).await,
        (["oauth", "revoke"], Method::POST) => crate::oauth::control_revoke(ctx).await,
        (["spaces", ns, name, "logs"], Method::POST) => {
            append_logs(ctx, RepoKey::new(RepoType::Space, format!("{ns}/{name}"))).await
        }
        (["spaces", ns, name, "stage"], Method::POST) => {
            force_stage(ctx, RepoKey::new(RepoType::Space, format!("{ns}/{name}"))).await
        }
        _ => Err(ApiError::not_found("Unknown control endpoint")),
    }
}

fn info(ctx: &Ctx) -> Result<Resp, ApiError> {
    let users: Vec<&str> = ctx.app.users.iter().map(|u| u.name.as_str()).collect();
    ok_json(json!({
        "url": ctx.base,
        "cdn": ctx.cdn_base,
        "logsHost": format!("{}/logs-host", ctx.base),
        "users": users,
        "persistent": ctx.app.data_dir.is_some(),
    }))
}

fn repo_json(repo: &Repo, with_logs: bool) -> Value {
    let head = repo.head();
    let files: Vec<Value> = head
        .map(|c| {
            c.files
                .iter()
                .map(|(p, f)| json!({ "path": p, "size": f.size, "lfs": f.lfs, "oid": f.oid, "sha256": f.sha256 }))
                .collect()
        })
        .unwrap_or_default();
    let mut v = json!({
        "type": repo.repo_type.singular(),
        "id": repo.id,
        "owner": repo.owner,
        "private": repo.private,
        "visibility": repo.visibility(),
        "gated": repo.gated,
        "sha": head.map(|c| c.id.clone()),
        "commits": commit_count(repo),
        "totalCommits": repo.commits.len(),
        "refs": repo.refs,
        "files": files,
        "lfsObjects": repo.lfs_objects,
    });
    if let Some(s) = &repo.space {
        let secrets: Map<String, Value> = s
            .secrets
            .iter()
            .map(|(k, sec)| {
                (k.clone(), json!({ "sha256": sha256_hex(sec.value.as_bytes()), "description": sec.description, "updatedAt": iso8601(sec.updated_ms) }))
            })
            .collect();
        let variables: Map<String, Value> = s.variables.iter().map(|(k, var)| (k.clone(), json!(var.value))).collect();
        let mut space = json!({
            "stage": s.stage,
            "sdk": s.sdk,
            "hardware": s.hardware,
            "currentHardware": s.current_hardware,
            "sleepTime": s.sleep_time,
            "errorMessage": s.error_message,
            "devMode": s.dev_mode,
            "volumes": s.volumes,
            "secrets": secrets,
            "variables": variables,
            "builtSha": s.built_sha,
        });
        if with_logs {
            space["buildLog"] = json!(s.build_log.lines());
            space["runLog"] = json!(s.run_log.lines());
        }
        v["space"] = space;
    }
    v
}

fn state(ctx: &Ctx) -> Result<Resp, ApiError> {
    let with_logs = ctx.q("logs") != Some("false");
    let st = ctx.app.lock();
    let repos: Vec<Value> = st.repos.values().map(|r| repo_json(r, with_logs)).collect();
    let requests = ctx.app.requests.lock().unwrap_or_else(|p| p.into_inner()).len();
    let faults = ctx.app.faults.lock().unwrap_or_else(|p| p.into_inner()).list();
    ok_json(json!({
        "repos": repos, "requests": requests, "faults": faults, "config": ctx.app.tun(),
        "corruptLfsObjects": ctx.app.store.corrupt(),
    }))
}

fn requests(ctx: &Ctx) -> Result<Resp, ApiError> {
    let since: u64 = ctx.q("since").and_then(|s| s.parse().ok()).unwrap_or(0);
    let q = ctx.app.requests.lock().unwrap_or_else(|p| p.into_inner());
    let list: Vec<_> = q.iter().filter(|r| r.seq > since).cloned().collect();
    ok_json(json!(list))
}

async fn add_faults(ctx: &mut Ctx) -> Result<Resp, ApiError> {
    let body = ctx.body_json().await?;
    let rules: Vec<Value> = match body {
        Value::Array(a) => a,
        v @ Value::Object(_) => vec![v],
        _ => return Err(ApiError::bad_request("Expected a fault rule object or a list of them")),
    };
    let mut ids = Vec::new();
    let mut faults = ctx.app.faults.lock().unwrap_or_else(|p| p.into_inner());
    for r in rules {
        let rule: FaultRule = serde_json::from_value(r).map_err(|e| ApiError::bad_request(format!("Invalid fault rule: {e}")))?;
        ids.push(faults.add(rule).map_err(ApiError::bad_request)?);
    }
    ok_json(json!({ "ids": ids }))
}

async fn config(ctx: &mut Ctx) -> Result<Resp, ApiError> {
    let body = ctx.body_json().await?;
    let mut current = serde_json::to_value(ctx.app.tun()).unwrap_or_default();
    let Value::Object(changes) = body else { return Err(ApiError::bad_request("Expected a JSON object")) };
    for (k, v) in changes {
        if current.get(&k).is_none() {
            return Err(ApiError::bad_request(format!("Unknown setting {k:?}")));
        }
        current[&k] = v;
    }
    let t: Tunables = serde_json::from_value(current).map_err(|e| ApiError::bad_request(format!("Invalid settings: {e}")))?;
    *ctx.app.tunables.write().expect("tunables lock") = t.clone();
    ok_json(json!(t))
}

fn reset(ctx: &Ctx) -> Result<Resp, ApiError> {
    let app = ctx.app.clone();
    let mut st = app.lock();
    for repo in st.repos.values() {
        if let Some(s) = &repo.space {
            s.build_log.close();
            s.run_log.close();
        }
    }
    st.repos.clear();
    app.persist(&st);
    drop(st);
    app.faults.lock().unwrap_or_else(|p| p.into_inner()).clear();
    app.requests.lock().unwrap_or_else(|p| p.into_inner()).clear();
    ok_json(json!({}))
}

async fn append_logs(ctx: &mut Ctx, key: RepoKey) -> Result<Resp, ApiError> {
    let body = ctx.body_json().await?;
    let lines: Vec<String> = body
        .get("lines")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
        .ok_or_else(|| ApiError::bad_request("Expected {\"lines\": [...]}"))?;
    let build = body.get("build").and_then(Value::as_bool).unwrap_or(false);
    let st = ctx.app.lock();
    let space = st.get(&key).and_then(|r| r.space.as_ref()).ok_or_else(ApiError::repo_not_found)?;
    let log = if build { &space.build_log } else { &space.run_log };
    if log.is_closed() {
        return Err(ApiError::conflict("That log is closed (its build or run is over)"));
    }
    for l in &lines {
        log.push(l.clone());
    }
    ok_json(json!({ "appended": lines.len(), "total": log.len() }))
}

async fn force_stage(ctx: &mut Ctx, key: RepoKey) -> Result<Resp, ApiError> {
    let body = ctx.body_json().await?;
    let stage = body.get("stage").and_then(Value::as_str).ok_or_else(|| ApiError::bad_request("Missing stage"))?.to_string();
    let app = ctx.app.clone();
    let mut st = app.lock();
    let space = st.get_mut(&key).and_then(|r| r.space.as_mut()).ok_or_else(ApiError::repo_not_found)?;
    space.generation += 1;
    let up = matches!(stage.as_str(), "RUNNING" | "RUNNING_BUILDING" | "RUNNING_APP_STARTING");
    // A forced stage gets open logs where something would be writing them, so tests can append and tail.
    space.build_log.close();
    if stage.contains("BUILDING") {
        space.build_log = LogHandle::default();
    }
    if !up {
        space.run_log.close();
    } else if space.run_log.is_closed() {
        space.run_log = LogHandle::default();
    }
    space.current_hardware = if up { Some(space.hardware.clone()) } else { None };
    space.error_message = body.get("errorMessage").and_then(Value::as_str).map(str::to_string);
    space.stage = stage;
    let out = crate::routes::space::runtime_json(space, &key);
    app.persist(&st);
    ok_json(out)
}
