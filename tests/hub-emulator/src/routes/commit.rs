//! Preupload (which files go to LFS, which are ignored, what the remote oid is) and the NDJSON commit
//! (reference §3.1, §3.2). A commit is validated as a whole before anything changes, so a rejected commit never
//! leaves half of its files behind.

use std::ops::Bound;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hyper::StatusCode;
use serde_json::{Value, json};

use super::{web_url, write_access};
use crate::http::{ApiError, Resp, ok_json};
use crate::model::{Commit, FileEntry, RepoKey, RepoType};
use crate::patterns::{gitattributes_lfs, gitignore_ignores};
use crate::server::Ctx;
use crate::sim;
use crate::util::{is_sha256_hex, now_ms};

/// Normalises and validates a path inside the repo.
pub fn clean_path(path: &str) -> Result<String, ApiError> {
    let p = path.trim_start_matches('/').trim_start_matches("./");
    if p.is_empty()
        || p.split('/').any(|seg| seg.is_empty() || seg == "." || seg == "..")
        || p.split('/').any(|seg| seg == ".git")
        || p.contains('\0')
    {
        return Err(ApiError::bad_request(format!("Invalid path {path:?}")));
    }
    Ok(p.to_string())
}

fn text_file(app: &crate::app::App, commit: &Commit, path: &str) -> Option<String> {
    let e = commit.files.get(path)?;
    app.store.read_prefix(&e.sha256, 1024 * 1024).ok().map(|b| String::from_utf8_lossy(&b).into_owned())
}

pub async fn preupload(ctx: &mut Ctx, key: &RepoKey, rev: &str) -> Result<Resp, ApiError> {
    let body = ctx.body_json().await?;
    let files = body.get("files").and_then(Value::as_array).ok_or_else(|| ApiError::bad_request("Missing files"))?;
    if files.len() > 256 {
        return Err(ApiError::bad_request("Too many files in one preupload call (maximum 256)"));
    }
    let threshold = ctx.app.tun().lfs_threshold;
    let app = ctx.app.clone();
    let mut st = app.lock();
    let repo = write_access(&mut st, ctx, key)?;
    let commit = repo.resolve(rev).ok_or_else(|| ApiError::revision_not_found(rev))?;
    let gitattributes = text_file(&app, commit, ".gitattributes").unwrap_or_default();
    let gitignore = match body.get("gitIgnore").and_then(Value::as_str) {
        Some(g) => g.to_string(),
        None => text_file(&app, commit, ".gitignore").unwrap_or_default(),
    };
    let mut out = Vec::with_capacity(files.len());
    for f in files {
        let path = f.get("path").and_then(Value::as_str).ok_or_else(|| ApiError::bad_request("Each file needs a path"))?;
        let size = f.get("size").and_then(Value::as_u64).ok_or_else(|| ApiError::bad_request("Each file needs a size"))?;
        let sample = B64
            .decode(f.get("sample").and_then(Value::as_str).unwrap_or(""))
            .map_err(|_| ApiError::bad_request(format!("Invalid base64 sample for {path}")))?;
        let clean = clean_path(path)?;
        let binary = sample.contains(&0);
        let lfs = size > 0 && (size >= threshold || binary || gitattributes_lfs(&gitattributes, &clean));
        let ignored = !gitignore.is_empty() && gitignore_ignores(&gitignore, &clean);
        let oid = commit.files.get(&clean).map(|e| e.compare_oid().to_string());
        out.push(json!({
            "path": path,
            "uploadMode": if lfs { "lfs" } else { "regular" },
            "shouldIgnore": ignored,
            "oid": oid,
        }));
    }
    ok_json(json!({ "files": out, "commitOid": commit.id }))
}

enum Op {
    Put { path: String, entry: FileEntry, old_path: Option<String> },
    DeleteFile(String),
    DeleteFolder(String),
}

struct Header {
    summary: String,
    description: String,
    parent: Option<String>,
}

/// Parses and validates the NDJSON payload; file contents are stored (content-addressed, so harmless if the
/// commit is later refused).
fn parse_payload(ctx: &Ctx, body: &[u8]) -> Result<(Header, Vec<Op>), ApiError> {
    let tun = ctx.app.tun();
    let mut header = None;
    let mut ops = Vec::new();
    for (i, line) in body.split(|b| *b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let v: Value = serde_json::from_slice(line)
            .map_err(|e| ApiError::bad_request(format!("Invalid JSON on line {} of the commit payload: {e}", i + 1)))?;
        let key = v.get("key").and_then(Value::as_str).unwrap_or("");
        let value = v.get("value").cloned().unwrap_or(Value::Null);
        let s = |k: &str| value.get(k).and_then(Value::as_str).map(str::to_string);
        if header.is_none() && key != "header" {
            return Err(ApiError::bad_request("The first line of the commit payload must be the header"));
        }
        match key {
            "header" => {
                if header.is_some() {
                    return Err(ApiError::bad_request("Duplicate header line in commit payload"));
                }
                let summary = s("summary").unwrap_or_default();
                if summary.trim().is_empty() {
                    return Err(ApiError::bad_request("The commit summary must not be empty"));
                }
                header = Some(Header { summary, description: s("description").unwrap_or_default(), parent: s("parentCommit") });
            }
            "file" => {
                let path = clean_path(&s("path").ok_or_else(|| ApiError::bad_request("file line without path"))?)?;
                let content = s("content").unwrap_or_default();
                let data = match s("encoding").as_deref() {
                    None | Some("base64") => B64
                        .decode(content.as_bytes())
                        .map_err(|_| ApiError::bad_request(format!("Invalid base64 content for {path}")))?,
                    Some("utf-8") | Some("utf8") => content.into_bytes(),
                    Some(e) => return Err(ApiError::bad_request(format!("Unknown encoding {e:?} for {path}"))),
                };
                if data.len() as u64 > tun.lfs_threshold {
                    return Err(ApiError::bad_request(format!(
                        "Your push was rejected because it contains files larger than {} MiB ({path}). Please use https://git-lfs.github.com/ to store large files.",
                        tun.lfs_threshold / (1024 * 1024)
                    )));
                }
                if data[..data.len().min(512)].contains(&0) {
                    return Err(ApiError::bad_request(format!(
                        "Your push was rejected because it contains binary files ({path}). Please use LFS to store binary files."
                    )));
                }
                let sha = ctx.app.store.put(&data)?;
                let old_path = s("oldPath").map(|p| clean_path(&p)).transpose()?;
                ops.push(Op::Put { entry: FileEntry::regular(&data, sha), path, old_path });
            }
            "lfsFile" => {
                let path = clean_path(&s("path").ok_or_else(|| ApiError::bad_request("lfsFile line without path"))?)?;
                if s("algo").as_deref().is_some_and(|a| a != "sha256") {
                    return Err(ApiError::bad_request("Only sha256 LFS oids are supported"));
                }
                let oid = s("oid").unwrap_or_default();
                if !is_sha256_hex(&oid) {
                    return Err(ApiError::bad_request(format!("Invalid LFS oid for {path}")));
                }
                let stored = ctx.app.store.size(&oid).ok_or_else(|| {
                    ApiError::bad_request(format!(
                        "LFS object {oid} for {path} was not found: upload it through the LFS batch API before committing"
                    ))
                })?;
                if let Some(size) = value.get("size").and_then(Value::as_u64)
                    && size != stored
                {
                    return Err(ApiError::bad_request(format!(
                        "LFS object {oid} for {path} has size {stored}, but the commit says {size}"
                    )));
                }
                let old_path = s("oldPath").map(|p| clean_path(&p)).transpose()?;
                ops.push(Op::Put { entry: FileEntry::lfs(oid, stored), path, old_path });
            }
            "deletedFile" => ops
                .push(Op::DeleteFile(clean_path(&s("path").ok_or_else(|| ApiError::bad_request("deletedFile without path"))?)?)),
            "deletedFolder" => ops.push(Op::DeleteFolder(clean_path(
                s("path").ok_or_else(|| ApiError::bad_request("deletedFolder without path"))?.trim_end_matches('/'),
            )?)),
            other => return Err(ApiError::bad_request(format!("Unknown commit operation {other:?}"))),
        }
    }
    let header = header.ok_or_else(|| ApiError::bad_request("Empty commit payload: a header line is required"))?;
    Ok((header, ops))
}

pub async fn commit(ctx: &mut Ctx, key: &RepoKey, rev: &str) -> Result<Resp, ApiError> {
    let body = ctx.body_bytes(4 * 1024 * 1024 * 1024).await?;
    let create_pr = ctx.q_bool("create_pr");
    let (header, ops) = parse_payload(ctx, &body)?;
    let app = ctx.app.clone();
    let mut st = app.lock();
    let user = ctx.require_user()?.name.clone();
    let repo = write_access(&mut st, ctx, key)?;
    let rev = rev.strip_prefix("refs/heads/").unwrap_or(rev).to_string();
    if !repo.refs.contains_key(&rev) {
        return Err(if repo.resolve(&rev).is_some() {
            ApiError::bad_request(format!("Cannot commit to {rev}: it is not a branch"))
        } else {
            ApiError::revision_not_found(&rev)
        });
    }
    let head_id = repo.refs[&rev].clone();
    let base_id = match &header.parent {
        Some(p) if create_pr => repo.resolve(p).map(|c| c.id.clone()).ok_or_else(|| {
            ApiError::new(StatusCode::PRECONDITION_FAILED, "PreconditionFailed", format!("Parent commit {p} not found"))
        })?,
        Some(p) if !(p.len() >= 7 && head_id.starts_with(p.as_str())) => {
            return Err(ApiError::new(
                StatusCode::PRECONDITION_FAILED,
                "PreconditionFailed",
                format!("A commit has happened since. Please refresh and try again. (the head of {rev} is {head_id}, not {p})"),
            ));
        }
        _ => head_id,
    };
    let mut files = repo.commits[&base_id].files.clone();
    let mut new_lfs = Vec::new();
    for op in ops {
        match op {
            Op::Put { path, entry, old_path } => {
                if let Some(old) = old_path
                    && old != path
                    && files.remove(&old).is_none()
                {
                    return Err(ApiError::entry_not_found(format!("A file with this name doesn't exist: {old}")));
                }
                // Keys under `path/` sort together right after it: one ordered lookup, not a scan per file.
                let folder = format!("{path}/");
                let mut under = files.range::<str, _>((Bound::Included(folder.as_str()), Bound::Unbounded));
                if under.next().is_some_and(|(k, _)| k.starts_with(&folder)) {
                    return Err(ApiError::bad_request(format!("Cannot write file {path}: a folder with this name exists")));
                }
                if entry.lfs {
                    new_lfs.push(entry.sha256.clone());
                }
                files.insert(path, entry);
            }
            Op::DeleteFile(path) => {
                if files.remove(&path).is_none() {
                    return Err(ApiError::entry_not_found(format!("A file with this name doesn't exist: {path}")));
                }
            }
            Op::DeleteFolder(path) => {
                let prefix = format!("{path}/");
                let before = files.len();
                files.retain(|k, _| !k.starts_with(&prefix));
                if files.len() == before {
                    return Err(ApiError::entry_not_found(format!("A folder with this name doesn't exist: {path}")));
                }
            }
        }
    }
    // Files whose parent path is a file would make an invalid tree.
    for path in files.keys() {
        let mut parent = path.as_str();
        while let Some((p, _)) = parent.rsplit_once('/') {
            if files.contains_key(p) {
                return Err(ApiError::bad_request(format!("Cannot create {path}: {p} is a file")));
            }
            parent = p;
        }
    }
    let now = now_ms();
    let commit = Commit::build(vec![base_id], &header.summary, &header.description, &user, now, files);
    let commit_id = commit.id.clone();
    repo.commits.insert(commit_id.clone(), commit);
    repo.lfs_objects.extend(new_lfs);
    repo.last_modified_ms = now;
    let mut out = json!({
        "commitOid": commit_id,
        "commitUrl": format!("{}/commit/{commit_id}", web_url(&ctx.base, key)),
        "hookOutput": "",
        "success": true,
    });
    let updated_ref = if create_pr {
        let n = repo.next_discussion;
        repo.next_discussion += 1;
        let r = format!("refs/pr/{n}");
        out["pullRequestUrl"] = json!(format!("{}/discussions/{n}", web_url(&ctx.base, key)));
        r
    } else {
        rev.clone()
    };
    repo.refs.insert(updated_ref.clone(), commit_id);
    if key.repo_type == RepoType::Space && updated_ref == "main" {
        sim::start(&app, &mut st, key, sim::Trigger::Commit);
    }
    app.persist(&st);
    ok_json(out)
}
