//! Account and repo lifecycle: whoami-v2, create/delete/move, settings, duplicate, repo info, refs, commits,
//! validate-yaml (reference §1, §2).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use hyper::StatusCode;
use serde_json::{Map, Value, json};

use super::{read_access, web_url, write_access};
use crate::app::{App, UserSpec};
use crate::http::{ApiError, Resp, ok_json};
use crate::logbuf::LogHandle;
use crate::model::{Commit, FileEntry, Repo, RepoKey, RepoType, Secret, SpaceState, Variable, Visibility};
use crate::patterns::parse_front_matter;
use crate::routes::space::{HARDWARE, runtime_json, valid_env_key, volume_entry};
use crate::server::Ctx;
use crate::sim::SDKS;
use crate::util::{iso8601, now_ms};

/// The `.gitattributes` the Hub puts in every new repo.
pub const DEFAULT_GITATTRIBUTES: &str = "*.7z filter=lfs diff=lfs merge=lfs -text
*.arrow filter=lfs diff=lfs merge=lfs -text
*.bin filter=lfs diff=lfs merge=lfs -text
*.bz2 filter=lfs diff=lfs merge=lfs -text
*.ckpt filter=lfs diff=lfs merge=lfs -text
*.ftz filter=lfs diff=lfs merge=lfs -text
*.gz filter=lfs diff=lfs merge=lfs -text
*.h5 filter=lfs diff=lfs merge=lfs -text
*.joblib filter=lfs diff=lfs merge=lfs -text
*.lfs.* filter=lfs diff=lfs merge=lfs -text
*.mlmodel filter=lfs diff=lfs merge=lfs -text
*.model filter=lfs diff=lfs merge=lfs -text
*.msgpack filter=lfs diff=lfs merge=lfs -text
*.npy filter=lfs diff=lfs merge=lfs -text
*.npz filter=lfs diff=lfs merge=lfs -text
*.onnx filter=lfs diff=lfs merge=lfs -text
*.ot filter=lfs diff=lfs merge=lfs -text
*.parquet filter=lfs diff=lfs merge=lfs -text
*.pb filter=lfs diff=lfs merge=lfs -text
*.pickle filter=lfs diff=lfs merge=lfs -text
*.pkl filter=lfs diff=lfs merge=lfs -text
*.pt filter=lfs diff=lfs merge=lfs -text
*.pth filter=lfs diff=lfs merge=lfs -text
*.rar filter=lfs diff=lfs merge=lfs -text
*.safetensors filter=lfs diff=lfs merge=lfs -text
saved_model/**/* filter=lfs diff=lfs merge=lfs -text
*.tar.* filter=lfs diff=lfs merge=lfs -text
*.tar filter=lfs diff=lfs merge=lfs -text
*.tflite filter=lfs diff=lfs merge=lfs -text
*.tgz filter=lfs diff=lfs merge=lfs -text
*.wasm filter=lfs diff=lfs merge=lfs -text
*.xz filter=lfs diff=lfs merge=lfs -text
*.zip filter=lfs diff=lfs merge=lfs -text
*.zst filter=lfs diff=lfs merge=lfs -text
*tfevents* filter=lfs diff=lfs merge=lfs -text
";

/// Hub repo and user name rules: letters, digits, `-`, `_`, `.`; no leading/trailing `-`/`.`, no `--`/`..`,
/// at most 96 characters, not ending in `.git`.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 96
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && !name.starts_with(['-', '.'])
        && !name.ends_with(['-', '.'])
        && !name.contains("--")
        && !name.contains("..")
        && !name.ends_with(".git")
}

pub fn valid_repo_id(id: &str) -> bool {
    matches!(id.split_once('/'), Some((ns, name)) if valid_name(ns) && valid_name(name))
}

pub fn whoami(ctx: &Ctx) -> Result<Resp, ApiError> {
    let u = ctx.require_user()?;
    ok_json(user_json(u, &ctx.base))
}

fn user_json(u: &UserSpec, base: &str) -> Value {
    json!({
        "type": "user",
        "id": u.object_id(),
        "name": u.name,
        "fullname": u.name,
        "email": format!("{}@example.invalid", u.name),
        "emailVerified": true,
        "canPay": u.pro,
        "isPro": u.pro,
        "billingMode": "prepaid",
        "periodEnd": null,
        "avatarUrl": format!("{base}/avatars/{}.svg", u.name),
        "orgs": [],
        "auth": {
            "type": "access_token",
            "accessToken": { "displayName": "hub-emulator", "role": "write", "createdAt": iso8601(0) }
        }
    })
}

fn str_field<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str)
}

/// Reads `[{key, value, description?}]` into a map, validating keys.
fn env_list(v: Option<&Value>, what: &str) -> Result<Vec<(String, String, Option<String>)>, ApiError> {
    let Some(v) = v else { return Ok(Vec::new()) };
    if v.is_null() {
        return Ok(Vec::new());
    }
    let arr = v.as_array().ok_or_else(|| ApiError::bad_request(format!("{what} must be a list of {{key, value}}")))?;
    let mut out = Vec::new();
    for item in arr {
        let key = str_field(item, "key").ok_or_else(|| ApiError::bad_request(format!("each {what} entry needs a key")))?;
        if !valid_env_key(key) {
            return Err(ApiError::bad_request(format!("Invalid {what} key {key:?}: use letters, digits and _")));
        }
        let value = match item.get("value") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Null) | None => String::new(),
            Some(other) => other.to_string(),
        };
        out.push((key.to_string(), value, str_field(item, "description").map(str::to_string)));
    }
    Ok(out)
}

fn readme_for(name: &str, sdk: &str) -> String {
    const EMOJIS: [&str; 8] = ["🚀", "🐢", "🦀", "🌍", "🔥", "📊", "🐳", "⚡"];
    const COLORS: [&str; 8] = ["red", "yellow", "green", "blue", "indigo", "purple", "pink", "gray"];
    let h = name.bytes().fold(7usize, |a, b| a.wrapping_mul(31).wrapping_add(b as usize));
    format!(
        "---\ntitle: {name}\nemoji: {}\ncolorFrom: {}\ncolorTo: {}\nsdk: {sdk}\npinned: false\n---\n\nCheck out the configuration reference at https://huggingface.co/docs/hub/spaces-config-reference\n",
        EMOJIS[h % 8],
        COLORS[h % 8],
        COLORS[(h / 8) % 8]
    )
}

/// A new repo with the Hub's initial commit (`.gitattributes`, and a README with front matter for Spaces).
fn new_repo(app: &App, key: &RepoKey, owner: &str, visibility: Visibility, sdk: Option<&str>) -> Result<Repo, ApiError> {
    let now = now_ms();
    let mut files = BTreeMap::new();
    let ga = DEFAULT_GITATTRIBUTES.as_bytes();
    files.insert(".gitattributes".to_string(), FileEntry::regular(ga, app.store.put(ga)?));
    if let Some(sdk) = sdk {
        let readme = readme_for(key.name(), sdk);
        files.insert("README.md".to_string(), FileEntry::regular(readme.as_bytes(), app.store.put(readme.as_bytes())?));
    }
    let commit = Commit::build(Vec::new(), "initial commit", "", owner, now, files);
    let mut refs = BTreeMap::new();
    refs.insert("main".to_string(), commit.id.clone());
    let mut commits = HashMap::new();
    commits.insert(commit.id.clone(), commit);
    let mut repo = Repo {
        repo_type: key.repo_type,
        id: key.id.clone(),
        owner: owner.to_string(),
        private: false,
        protected: false,
        gated: Value::Bool(false),
        created_ms: now,
        last_modified_ms: now,
        refs,
        commits,
        next_discussion: 1,
        lfs_objects: BTreeSet::new(),
        space: None,
    };
    repo.set_visibility(visibility);
    Ok(repo)
}

fn new_space(sdk: &str, hardware: &str, sleep: Option<i64>) -> SpaceState {
    SpaceState {
        sdk: sdk.to_string(),
        hardware: hardware.to_string(),
        current_hardware: None,
        sleep_time: effective_sleep(hardware, sleep),
        // Nothing has been built yet: the initial commit holds no application file.
        stage: "NO_APP_FILE".into(),
        error_message: None,
        dev_mode: false,
        volumes: None,
        secrets: BTreeMap::new(),
        variables: BTreeMap::new(),
        generation: 0,
        last_build_ok: false,
        built_sha: None,
        build_log: LogHandle::closed_empty(),
        run_log: LogHandle::closed_empty(),
    }
}

/// cpu-basic always sleeps after 48 h; upgraded hardware keeps the requested value (default: never).
pub fn effective_sleep(hardware: &str, requested: Option<i64>) -> Option<i64> {
    if hardware == "cpu-basic" { Some(172_800) } else { requested.or(Some(-1)) }
}

/// `visibility` (2.x clients) or legacy `private`; `protected` is for Spaces only.
fn visibility(body: &Value, repo_type: RepoType) -> Result<Option<Visibility>, ApiError> {
    if let Some(v) = str_field(body, "visibility") {
        return match v {
            "public" => Ok(Some(Visibility::Public)),
            "private" => Ok(Some(Visibility::Private)),
            "protected" if repo_type == RepoType::Space => Ok(Some(Visibility::Protected)),
            "protected" => Err(ApiError::bad_request("Only Spaces can be protected: use public or private")),
            other => Err(ApiError::bad_request(format!("Invalid visibility {other:?}: expected public, private or protected"))),
        };
    }
    Ok(body.get("private").and_then(Value::as_bool).map(|p| if p { Visibility::Private } else { Visibility::Public }))
}

/// Applies creation-time Space options (hardware, sleep, secrets, variables, volumes).
fn space_options(body: &Value, sdk: &str) -> Result<SpaceState, ApiError> {
    let hardware = match body.get("hardware") {
        None | Some(Value::Null) => "cpu-basic".to_string(),
        Some(Value::String(h)) if HARDWARE.iter().any(|x| x.0 == h) => h.clone(),
        Some(h) => return Err(ApiError::bad_request(format!("Invalid hardware {h}: see GET /api/spaces/hardware"))),
    };
    let sleep = body.get("sleepTimeSeconds").and_then(Value::as_i64);
    let mut space = new_space(sdk, &hardware, sleep);
    let now = now_ms();
    for (k, v, d) in env_list(body.get("secrets"), "secret")? {
        space.secrets.insert(k, Secret { value: v, description: d, updated_ms: now });
    }
    for (k, v, d) in env_list(body.get("variables"), "variable")? {
        space.variables.insert(k, Variable { value: v, description: d, updated_ms: now });
    }
    if let Some(list) = body.get("volumes").filter(|v| !v.is_null()) {
        let list = list.as_array().ok_or_else(|| ApiError::bad_request("volumes must be a list"))?;
        let vols = list.iter().map(volume_entry).collect::<Result<Vec<_>, _>>()?;
        space.volumes = (!vols.is_empty()).then_some(Value::Array(vols));
    }
    Ok(space)
}

pub async fn create(ctx: &mut Ctx) -> Result<Resp, ApiError> {
    let body = ctx.body_json().await?;
    let user = ctx.require_user()?.clone();
    let name = str_field(&body, "name").ok_or_else(|| ApiError::bad_request("Missing repo name"))?;
    // Clients may send the full id as name.
    let (ns_in_name, name) = match name.split_once('/') {
        Some((ns, n)) => (Some(ns.to_string()), n.to_string()),
        None => (None, name.to_string()),
    };
    let namespace = str_field(&body, "organization").map(str::to_string).or(ns_in_name).unwrap_or(user.name.clone());
    let repo_type = match str_field(&body, "type") {
        None => RepoType::Model,
        Some(t) => RepoType::from_singular(t).ok_or_else(|| ApiError::bad_request(format!("Invalid repo type {t:?}")))?,
    };
    if !valid_name(&name) || !valid_name(&namespace) {
        return Err(ApiError::bad_request(format!(
            "Invalid repo name {namespace}/{name}: use letters, digits, '-', '_' and '.', at most 96 characters"
        )));
    }
    if namespace != user.name {
        return Err(ApiError::forbidden(format!(
            "You don't have the rights to create a {} under the namespace \"{namespace}\"",
            repo_type.singular()
        )));
    }
    let vis = visibility(&body, repo_type)?.unwrap_or(Visibility::Public);
    let key = RepoKey::new(repo_type, format!("{namespace}/{name}"));
    let url = web_url(&ctx.base, &key);
    let mut space = None;
    if repo_type == RepoType::Space {
        let sdk = match str_field(&body, "sdk") {
            Some(s) if SDKS.contains(&s) => s.to_string(),
            Some(s) => return Err(ApiError::bad_request(format!("Invalid sdk {s:?}: expected gradio, docker or static"))),
            None => return Err(ApiError::bad_request("Missing sdk: a Space needs an sdk (gradio, docker or static)")),
        };
        let opts = space_options(&body, &sdk)?;
        if sdk != "static" && opts.hardware == "cpu-basic" && !user.pro {
            return Err(ApiError::new(
                StatusCode::PAYMENT_REQUIRED,
                "PaymentRequired",
                "Creating a Gradio or Docker Space on free cpu-basic hardware requires a PRO subscription",
            ));
        }
        space = Some(opts);
    }
    let app = ctx.app.clone();
    let mut st = app.lock();
    if st.get(&key).is_some() {
        return Err(ApiError::conflict(format!("You already created this {} repo", repo_type.singular()))
            .with_extra(json!({ "url": url })));
    }
    let mut repo = new_repo(&app, &key, &user.name, vis, space.as_ref().map(|s| s.sdk.as_str()))?;
    repo.space = space;
    if let Some(sp) = repo.space.as_mut() {
        sp.built_sha = repo.refs.get("main").cloned();
    }
    st.repos.insert(key.display(), repo);
    app.persist(&st);
    ok_json(json!({ "url": url, "name": key.id, "id": key.id }))
}

/// `{name, organization, type}` → key.
fn key_from_body(body: &Value, user: &UserSpec, name_field: &str) -> Result<RepoKey, ApiError> {
    let name = str_field(body, name_field).ok_or_else(|| ApiError::bad_request("Missing repo name"))?;
    let id = match (name.contains('/'), str_field(body, "organization")) {
        (true, _) => name.to_string(),
        (false, Some(org)) => format!("{org}/{name}"),
        (false, None) => format!("{}/{name}", user.name),
    };
    let t = str_field(body, "type").unwrap_or("model");
    let repo_type = RepoType::from_singular(t).ok_or_else(|| ApiError::bad_request(format!("Invalid repo type {t:?}")))?;
    Ok(RepoKey::new(repo_type, id))
}

pub async fn delete(ctx: &mut Ctx) -> Result<Resp, ApiError> {
    let body = ctx.body_json().await?;
    let user = ctx.require_user()?.clone();
    let key = key_from_body(&body, &user, "name")?;
    let app = ctx.app.clone();
    let mut st = app.lock();
    write_access(&mut st, ctx, &key)?;
    if let Some(repo) = st.repos.remove(&key.display())
        && let Some(space) = repo.space
    {
        space.build_log.close();
        space.run_log.close();
    }
    app.persist(&st);
    ok_json(json!({}))
}

pub async fn move_repo(ctx: &mut Ctx) -> Result<Resp, ApiError> {
    let body = ctx.body_json().await?;
    let user = ctx.require_user()?.clone();
    let from = str_field(&body, "fromRepo").ok_or_else(|| ApiError::bad_request("Missing fromRepo"))?;
    let to = str_field(&body, "toRepo").ok_or_else(|| ApiError::bad_request("Missing toRepo"))?;
    let t = str_field(&body, "type").unwrap_or("model");
    let repo_type = RepoType::from_singular(t).ok_or_else(|| ApiError::bad_request(format!("Invalid repo type {t:?}")))?;
    if !valid_repo_id(from) || !valid_repo_id(to) {
        return Err(ApiError::bad_request("Invalid repo id: expected namespace/name"));
    }
    let (from_key, to_key) = (RepoKey::new(repo_type, from), RepoKey::new(repo_type, to));
    let app = ctx.app.clone();
    let mut st = app.lock();
    write_access(&mut st, ctx, &from_key)?;
    if to_key.namespace() != user.name {
        return Err(ApiError::forbidden(format!("You don't have the rights to move a repo to \"{}\"", to_key.namespace())));
    }
    if st.get(&to_key).is_some() {
        return Err(ApiError::conflict(format!("A {} named {to} already exists", repo_type.singular())));
    }
    let mut repo = st.repos.remove(&from_key.display()).expect("checked above");
    repo.id = to_key.id.clone();
    let transitional = repo.space.as_ref().is_some_and(|s| crate::sim::TRANSITIONAL.contains(&s.stage.as_str()));
    st.repos.insert(to_key.display(), repo);
    if transitional {
        // The running simulation was keyed by the old id; start it again under the new one.
        crate::sim::start(&app, &mut st, &to_key, crate::sim::Trigger::Restart { factory: false });
    }
    app.persist(&st);
    ok_json(json!({}))
}

pub async fn settings(ctx: &mut Ctx, key: &RepoKey) -> Result<Resp, ApiError> {
    let body = ctx.body_json().await?;
    let vis = visibility(&body, key.repo_type)?;
    let gated = match body.get("gated") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(false)) => Some(Value::Bool(false)),
        Some(Value::String(s)) if s == "auto" || s == "manual" => Some(Value::String(s.clone())),
        Some(other) => return Err(ApiError::bad_request(format!("Invalid gated value {other}"))),
    };
    let app = ctx.app.clone();
    let mut st = app.lock();
    let repo = write_access(&mut st, ctx, key)?;
    if let Some(v) = vis {
        repo.set_visibility(v);
    }
    if let Some(g) = gated {
        repo.gated = g;
    }
    let out = json!({ "private": repo.private, "gated": repo.gated });
    app.persist(&st);
    ok_json(out)
}

pub async fn duplicate(ctx: &mut Ctx, from: &RepoKey) -> Result<Resp, ApiError> {
    let body = ctx.body_json().await?;
    let user = ctx.require_user()?.clone();
    let target = str_field(&body, "repository").ok_or_else(|| ApiError::bad_request("Missing repository"))?;
    if !valid_repo_id(target) {
        return Err(ApiError::bad_request(format!("Invalid repository id {target:?}")));
    }
    let to = RepoKey::new(from.repo_type, target);
    if to.namespace() != user.name {
        return Err(ApiError::forbidden(format!("You don't have the rights to create a repo under \"{}\"", to.namespace())));
    }
    let vis = visibility(&body, from.repo_type)?;
    let app = ctx.app.clone();
    let mut st = app.lock();
    let src = read_access(&st, ctx, from)?.clone();
    let url = web_url(&ctx.base, &to);
    if st.get(&to).is_some() {
        return Err(ApiError::conflict(format!("You already created this {} repo", to.repo_type.singular()))
            .with_extra(json!({ "url": url })));
    }
    let now = now_ms();
    let mut repo = src.clone();
    repo.id = to.id.clone();
    repo.owner = user.name.clone();
    // Without one, the copy keeps the source's visibility.
    if let Some(v) = vis {
        repo.set_visibility(v);
    }
    repo.gated = Value::Bool(false);
    repo.created_ms = now;
    repo.last_modified_ms = now;
    // A server-side git copy: branches with their whole history (same commit ids); pull requests stay behind.
    repo.refs.retain(|name, _| !name.starts_with("refs/pr/"));
    let mut keep = BTreeSet::new();
    let mut todo: Vec<String> = repo.refs.values().cloned().collect();
    while let Some(id) = todo.pop() {
        if keep.insert(id.clone())
            && let Some(c) = src.commits.get(&id)
        {
            todo.extend(c.parents.iter().cloned());
        }
    }
    repo.commits.retain(|id, _| keep.contains(id));
    repo.next_discussion = 1;
    if let Some(src_space) = &src.space {
        let mut opts = space_options(&body, &src_space.sdk)?;
        if body.get("hardware").is_none() {
            opts.hardware = src_space.hardware.clone();
            opts.sleep_time =
                effective_sleep(&opts.hardware, body.get("sleepTimeSeconds").and_then(Value::as_i64).or(src_space.sleep_time));
        }
        repo.space = Some(opts);
    }
    st.repos.insert(to.display(), repo);
    if to.repo_type == RepoType::Space {
        crate::sim::start(&app, &mut st, &to, crate::sim::Trigger::Commit);
    }
    app.persist(&st);
    // The copy is synchronous here, so nothing is left pending.
    ok_json(json!({ "url": url, "filesCopyPending": false }))
}

/// Siblings list; with `blobs=true` sizes, blob ids and LFS info too.
fn siblings(commit: &Commit, blobs: bool) -> Value {
    Value::Array(
        commit
            .files
            .iter()
            .map(|(p, e)| {
                if !blobs {
                    return json!({ "rfilename": p });
                }
                let mut o = json!({ "rfilename": p, "size": e.size, "blobId": e.oid });
                if e.lfs {
                    o["lfs"] = json!({ "size": e.size, "sha256": e.sha256, "pointerSize": e.pointer_size() });
                }
                o
            })
            .collect(),
    )
}

pub fn card_data(app: &App, commit: &Commit) -> Option<Map<String, Value>> {
    let e = commit.files.get("README.md")?;
    let bytes = app.store.read_prefix(&e.sha256, 256 * 1024).ok()?;
    parse_front_matter(&String::from_utf8_lossy(&bytes)).ok()
}

pub fn info(ctx: &Ctx, key: &RepoKey, rev: Option<&str>) -> Result<Resp, ApiError> {
    let app = ctx.app.clone();
    let st = app.lock();
    let repo = read_access(&st, ctx, key)?;
    let rev = rev.unwrap_or("main");
    let commit = repo.resolve(rev).ok_or_else(|| ApiError::revision_not_found(rev))?;
    let card = card_data(&app, commit);
    let (ns, name) = (key.namespace(), key.name());
    let mut out = json!({
        "_id": &crate::hash::sha256_hex(key.display().as_bytes())[..24],
        "id": key.id,
        "author": ns,
        "sha": commit.id,
        "lastModified": iso8601(repo.last_modified_ms),
        "createdAt": iso8601(repo.created_ms),
        "private": repo.private,
        "gated": repo.gated,
        "disabled": false,
        "likes": 0,
        "tags": [],
        "siblings": siblings(commit, ctx.q_bool("blobs")),
        "usedStorage": repo.used_storage(),
    });
    if let Some(card) = &card {
        out["cardData"] = Value::Object(card.clone());
    }
    match key.repo_type {
        RepoType::Space => {
            let space = repo.space.as_ref().expect("spaces have space state");
            let subdomain = format!("{}-{}", ns.to_lowercase(), name.to_lowercase().replace(['_', '.'], "-"));
            out["sdk"] = json!(space.sdk);
            out["tags"] = json!([space.sdk, "region:us"]);
            out["host"] = json!(format!("https://{subdomain}.hf.space"));
            out["subdomain"] = json!(subdomain);
            out["runtime"] = runtime_json(space, key);
            out["models"] = json!([]);
            out["datasets"] = json!([]);
            out["region"] = json!("us");
            out["trendingScore"] = json!(0);
        }
        RepoType::Model => {
            out["modelId"] = json!(key.id);
            out["downloads"] = json!(0);
            out["library_name"] = card.as_ref().and_then(|c| c.get("library_name")).cloned().unwrap_or(Value::Null);
        }
        RepoType::Dataset => {
            out["downloads"] = json!(0);
            out["description"] = json!("");
        }
    }
    // `expand[]=a&expand[]=b` (or `expand=a`) selects properties.
    let mut expand = ctx.q_all("expand[]");
    expand.extend(ctx.q_all("expand"));
    if !expand.is_empty()
        && let Value::Object(map) = &out
    {
        let mut filtered = Map::new();
        for (k, v) in map {
            if k == "_id" || k == "id" || expand.contains(&k.as_str()) {
                filtered.insert(k.clone(), v.clone());
            }
        }
        out = Value::Object(filtered);
    }
    ok_json(out)
}

pub fn refs(ctx: &Ctx, key: &RepoKey) -> Result<Resp, ApiError> {
    let st = ctx.app.lock();
    let repo = read_access(&st, ctx, key)?;
    let mut branches = Vec::new();
    let mut prs = Vec::new();
    for (name, target) in &repo.refs {
        if name.starts_with("refs/pr/") {
            prs.push(json!({ "name": name, "ref": name, "targetCommit": target }));
        } else {
            branches.push(json!({ "name": name, "ref": format!("refs/heads/{name}"), "targetCommit": target }));
        }
    }
    let mut out = json!({ "branches": branches, "converts": [], "tags": [] });
    if ctx.q_bool("include_prs") {
        out["pullRequests"] = json!(prs);
    }
    ok_json(out)
}

pub fn commits(ctx: &Ctx, key: &RepoKey, rev: &str) -> Result<Resp, ApiError> {
    let st = ctx.app.lock();
    let repo = read_access(&st, ctx, key)?;
    let commit = repo.resolve(rev).ok_or_else(|| ApiError::revision_not_found(rev))?;
    let list: Vec<Value> = repo
        .history(commit)
        .into_iter()
        .map(|c| {
            json!({
                "id": c.id,
                "title": c.title,
                "message": c.message,
                "authors": [{ "user": c.author }],
                "date": iso8601(c.date_ms),
                "parents": c.parents,
            })
        })
        .collect();
    ok_json(Value::Array(list))
}

pub async fn validate_yaml(ctx: &mut Ctx) -> Result<Resp, ApiError> {
    let body = ctx.body_json().await?;
    let content = str_field(&body, "content").unwrap_or("");
    let repo_type = str_field(&body, "repoType").unwrap_or("model");
    let mut errors = Vec::new();
    let warnings: Vec<Value> = Vec::new();
    match parse_front_matter(content) {
        Ok(fm) => {
            if repo_type == "space"
                && let Some(sdk) = fm.get("sdk")
                && !sdk.as_str().is_some_and(|s| SDKS.contains(&s))
            {
                errors.push(json!({ "message": format!("\"sdk\" must be one of [gradio, docker, static], got {sdk}") }));
            }
        }
        Err(crate::patterns::FrontMatterError::Missing) => {}
        Err(e) => errors.push(json!({ "message": e.to_string() })),
    }
    if errors.is_empty() {
        return ok_json(json!({ "errors": [], "warnings": warnings }));
    }
    let msg = errors.iter().filter_map(|e| e["message"].as_str()).collect::<Vec<_>>().join("; ");
    Err(ApiError::bad_request(format!("Invalid metadata in README.md: {msg}"))
        .with_extra(json!({ "errors": errors, "warnings": warnings })))
}

/// Count of commits reachable from `main` (for the control state).
pub fn commit_count(repo: &Repo) -> usize {
    repo.head().map(|h| repo.history(h).len()).unwrap_or(0)
}
