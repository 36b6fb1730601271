//! URL routing and the access rules shared by handlers.
//!
//! Access: a private repo is visible only to its owner (others get 404 `RepoNotFound`, so existence is not
//! revealed); writes need a token (401) of the owner (403).

pub mod commit;
pub mod control;
pub mod files;
pub mod lfs;
pub mod logs;
pub mod repos;
pub mod space;

use hyper::Method;

use crate::app::UserSpec;
use crate::http::{ApiError, Resp};
use crate::model::{Repo, RepoKey, RepoType, State};
use crate::server::Ctx;

pub async fn route(ctx: &mut Ctx) -> Result<Resp, ApiError> {
    let segs: Vec<String> = ctx.segs.clone();
    let s: Vec<&str> = segs.iter().map(String::as_str).collect();
    let m = ctx.method.clone();
    let get = m == Method::GET || m == Method::HEAD;
    // A Trusted Publishers token may touch its one repo only: creating, deleting or moving repos, it is anonymous.
    if ctx.token_scope.is_some() && s.starts_with(&["api", "repos"]) {
        ctx.user = None;
    }
    match s.as_slice() {
        ["__emulator", rest @ ..] => control::route(ctx, rest).await,
        ["__lfs", rest @ ..] => lfs::storage_route(ctx, rest).await,
        ["__cdn", oid] if get => files::cdn(ctx, oid).await,
        ["logs-host", "v1", ns, name, "logs", kind] if get => {
            logs::logs_host(ctx, RepoKey::new(RepoType::Space, format!("{ns}/{name}")), kind).await
        }
        ["oauth", "token"] if m == Method::POST => crate::oauth::token(ctx).await,
        ["api", "whoami-v2"] if get => repos::whoami(ctx),
        ["api", "repos", "create"] if m == Method::POST => repos::create(ctx).await,
        ["api", "repos", "delete"] if m == Method::DELETE => repos::delete(ctx).await,
        ["api", "repos", "move"] if m == Method::POST => repos::move_repo(ctx).await,
        ["api", "validate-yaml"] if m == Method::POST => repos::validate_yaml(ctx).await,
        ["api", "spaces", "hardware"] if get => space::hardware_catalogue(),
        // huggingface_hub ≥ 2.x fetches this best-effort registry (agent detection for its user-agent).
        ["api", "agent-harnesses"] if get => {
            crate::http::ok_json(serde_json::json!({ "standardEnvVars": ["AI_AGENT", "AGENT"], "harnesses": {} }))
        }
        ["api", t, ns, name, rest @ ..] if RepoType::from_plural(t).is_some() => {
            let key = RepoKey::new(RepoType::from_plural(t).expect("checked"), format!("{ns}/{name}"));
            repo_api(ctx, key, rest, &m).await
        }
        [t, ns, repo_git, "info", "lfs", "objects", op] if (*t == "spaces" || *t == "datasets") && repo_git.ends_with(".git") => {
            let key =
                RepoKey::new(RepoType::from_plural(t).expect("checked"), format!("{ns}/{}", repo_git.trim_end_matches(".git")));
            lfs::objects_route(ctx, key, op).await
        }
        [ns, repo_git, "info", "lfs", "objects", op] if repo_git.ends_with(".git") => {
            let key = RepoKey::new(RepoType::Model, format!("{ns}/{}", repo_git.trim_end_matches(".git")));
            lfs::objects_route(ctx, key, op).await
        }
        [t, ns, name, "resolve", rest @ ..] if (*t == "spaces" || *t == "datasets") && get => {
            let key = RepoKey::new(RepoType::from_plural(t).expect("checked"), format!("{ns}/{name}"));
            files::resolve(ctx, key, rest).await
        }
        [ns, name, "resolve", rest @ ..] if get => {
            files::resolve(ctx, RepoKey::new(RepoType::Model, format!("{ns}/{name}")), rest).await
        }
        _ => Err(not_found_route(ctx)),
    }
}

async fn repo_api(ctx: &mut Ctx, key: RepoKey, rest: &[&str], m: &Method) -> Result<Resp, ApiError> {
    let get = *m == Method::GET || *m == Method::HEAD;
    let post = *m == Method::POST;
    let space = key.repo_type == RepoType::Space;
    match rest {
        [] if get => repos::info(ctx, &key, None),
        ["revision", rev @ ..] if get && !rev.is_empty() => repos::info(ctx, &key, Some(&rev.join("/"))),
        ["settings"] if *m == Method::PUT => repos::settings(ctx, &key).await,
        ["duplicate"] if post => repos::duplicate(ctx, &key).await,
        ["refs"] if get => repos::refs(ctx, &key),
        ["commits", rev @ ..] if get && !rev.is_empty() => repos::commits(ctx, &key, &rev.join("/")),
        ["preupload", rev @ ..] if post && !rev.is_empty() => commit::preupload(ctx, &key, &rev.join("/")).await,
        ["commit", rev @ ..] if post && !rev.is_empty() => commit::commit(ctx, &key, &rev.join("/")).await,
        ["tree", rest @ ..] if get && !rest.is_empty() => files::tree(ctx, &key, rest),
        ["paths-info", rev @ ..] if post && !rev.is_empty() => files::paths_info(ctx, &key, &rev.join("/")).await,
        ["secrets"] if space => space::secrets(ctx, &key).await,
        ["variables"] if space => space::variables(ctx, &key).await,
        ["runtime"] if space && get => space::runtime(ctx, &key),
        ["hardware"] if space && post => space::request_hardware(ctx, &key).await,
        ["sleeptime"] if space && post => space::sleeptime(ctx, &key).await,
        ["pause"] if space && post => space::pause(ctx, &key),
        ["restart"] if space && post => space::restart(ctx, &key),
        ["dev-mode"] if space && post => space::dev_mode(ctx, &key).await,
        ["volumes"] if space && (*m == Method::PUT || *m == Method::DELETE) => space::volumes(ctx, &key).await,
        ["jwt"] if space && get => space::jwt(ctx, &key),
        ["logs", kind] if space && get => logs::hub_logs(ctx, key.clone(), kind).await,
        _ => Err(not_found_route(ctx)),
    }
}

fn not_found_route(ctx: &Ctx) -> ApiError {
    ApiError::not_found(format!("Sorry, we can't find the page you are looking for ({} {})", ctx.method, ctx.path))
}

/// Splits `rev` (+ optional path) from decoded segments: a revision is one segment (clients URL-encode it),
/// except an unencoded `refs/pr/N` or `refs/heads/X`, which spans three.
pub fn split_rev<'a>(rest: &[&'a str]) -> (String, Vec<&'a str>) {
    if rest.len() >= 3 && rest[0] == "refs" && (rest[1] == "pr" || rest[1] == "heads" || rest[1] == "convert") {
        (rest[..3].join("/"), rest[3..].to_vec())
    } else if rest.is_empty() {
        ("main".into(), Vec::new())
    } else {
        (rest[0].to_string(), rest[1..].to_vec())
    }
}

pub fn can_read(repo: &Repo, user: Option<&UserSpec>) -> bool {
    !repo.private || user.is_some_and(|u| u.name == repo.owner)
}

/// The caller as far as `key` is concerned: a Trusted Publishers token scoped to another repo is anonymous.
pub fn user_for<'a>(ctx: &'a Ctx, key: &RepoKey) -> Option<&'a UserSpec> {
    match &ctx.token_scope {
        Some(scope) if scope != key => None,
        _ => ctx.user(),
    }
}

/// The repo if the caller may read it; 404 `RepoNotFound` otherwise.
pub fn read_access<'a>(st: &'a State, ctx: &Ctx, key: &RepoKey) -> Result<&'a Repo, ApiError> {
    match st.get(key) {
        Some(r) if can_read(r, user_for(ctx, key)) => Ok(r),
        _ => Err(ApiError::repo_not_found()),
    }
}

/// The repo if the caller owns it: 404 when invisible, 401 without a token, 403 for another user.
pub fn write_access<'a>(st: &'a mut State, ctx: &Ctx, key: &RepoKey) -> Result<&'a mut Repo, ApiError> {
    let repo = match st.get_mut(key) {
        Some(r) if can_read(r, user_for(ctx, key)) => r,
        _ => return Err(ApiError::repo_not_found()),
    };
    let user = ctx.require_user()?;
    if user_for(ctx, key).is_none() {
        return Err(ApiError::forbidden("This token is scoped to another repository"));
    }
    if user.name != repo.owner {
        return Err(ApiError::forbidden(format!(
            "You don't have the rights to modify this {}: only its owner can",
            repo.repo_type.singular()
        )));
    }
    Ok(repo)
}

/// `{base}/spaces/ns/name` (models have no prefix).
pub fn web_url(base: &str, key: &RepoKey) -> String {
    format!("{base}/{}{}", key.repo_type.url_prefix(), key.id)
}
