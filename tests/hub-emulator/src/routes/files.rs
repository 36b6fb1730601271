//! Reading repo content: tree listing with `Link` pagination, paths-info (reference §3.5, §3.6), and file
//! download through `/resolve/` (regular files are served directly; LFS files redirect with `302` to the CDN
//! listener, carrying `X-Linked-Etag`/`X-Linked-Size` like the Hub's redirect to its CDN).

use std::collections::{BTreeMap, BTreeSet};
use std::io::SeekFrom;
use std::ops::Bound;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use hyper::{Method, Response, StatusCode};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use super::{read_access, split_rev};
use crate::http::{ApiError, ChannelBody, Resp, append_header, empty, full, ok_json, set_header};
use crate::model::{Commit, FileEntry, Repo, RepoKey};
use crate::server::Ctx;
use crate::store::BlobReader;
use crate::util::{iso8601, parse_query, percent_encode};

enum Entry<'a> {
    File(&'a FileEntry),
    Dir(&'a str),
}

/// The file or directory entries under `dir` ("" for the root).
fn entries<'a>(commit: &'a Commit, dir: &str, recursive: bool) -> Result<BTreeMap<String, Entry<'a>>, ApiError> {
    if !dir.is_empty() && !commit.dir_oids.contains_key(dir) {
        return Err(ApiError::entry_not_found(format!("Entry not found: {dir} is not a folder of this revision")));
    }
    let prefix = if dir.is_empty() { String::new() } else { format!("{dir}/") };
    let mut out = BTreeMap::new();
    for (path, e) in commit.files.range::<str, _>((Bound::Included(prefix.as_str()), Bound::Unbounded)) {
        let Some(rel) = path.strip_prefix(&prefix) else { break };
        match rel.split_once('/') {
            None => {
                out.insert(path.clone(), Entry::File(e));
            }
            Some((first, _)) if !recursive => {
                let d = format!("{prefix}{first}");
                let oid = commit.dir_oids.get(&d).map(String::as_str).unwrap_or("");
                out.entry(d).or_insert(Entry::Dir(oid));
            }
            Some(_) => {
                let mut acc = prefix.trim_end_matches('/').to_string();
                for part in rel.split('/').take(rel.split('/').count() - 1) {
                    acc = if acc.is_empty() { part.to_string() } else { format!("{acc}/{part}") };
                    let oid = commit.dir_oids.get(&acc).map(String::as_str).unwrap_or("");
                    out.entry(acc.clone()).or_insert(Entry::Dir(oid));
                }
                out.insert(path.clone(), Entry::File(e));
            }
        }
    }
    Ok(out)
}

/// The newest commit (first-parent history) in which `path` last changed.
fn last_commit<'a>(history: &[&'a Commit], path: &str, is_dir: bool) -> Option<&'a Commit> {
    let oid_at = |c: &Commit| -> Option<String> {
        if is_dir { c.dir_oids.get(path).cloned() } else { c.files.get(path).map(|f| f.oid.clone()) }
    };
    let current = oid_at(history.first()?);
    for w in history.windows(2) {
        if oid_at(w[1]) != current {
            return Some(w[0]);
        }
    }
    history.last().copied()
}

fn entry_json(path: &str, e: &Entry<'_>, expand: bool, history: &[&Commit]) -> Value {
    let mut v = match e {
        Entry::File(f) => {
            let mut v = json!({ "type": "file", "oid": f.oid, "size": f.size, "path": path });
            if f.lfs {
                v["lfs"] = json!({ "oid": f.sha256, "size": f.size, "pointerSize": f.pointer_size() });
            }
            v
        }
        Entry::Dir(oid) => json!({ "type": "directory", "oid": oid, "size": 0, "path": path }),
    };
    if expand && let Some(c) = last_commit(history, path, matches!(e, Entry::Dir(_))) {
        v["lastCommit"] = json!({ "id": c.id, "title": c.title, "date": iso8601(c.date_ms) });
    }
    v
}

pub fn tree(ctx: &Ctx, key: &RepoKey, rest: &[&str]) -> Result<Resp, ApiError> {
    let (rev, path_parts) = split_rev(rest);
    let dir = path_parts.join("/").trim_matches('/').to_string();
    let recursive = ctx.q_bool("recursive");
    let expand = ctx.q_bool("expand");
    let tun = ctx.app.tun();
    let default_page = if expand { tun.tree_page_size.min(50) } else { tun.tree_page_size }.max(1);
    let page = ctx.q("limit").and_then(|l| l.parse::<usize>().ok()).map(|l| l.clamp(1, default_page)).unwrap_or(default_page);
    let after = match ctx.q("cursor") {
        Some(c) => Some(
            B64URL
                .decode(c)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| ApiError::bad_request("Invalid cursor"))?,
        ),
        None => None,
    };
    let st = ctx.app.lock();
    let repo = read_access(&st, ctx, key)?;
    let commit = repo.resolve(&rev).ok_or_else(|| ApiError::revision_not_found(&rev))?;
    if commit.files.contains_key(&dir) {
        return Err(ApiError::entry_not_found(format!("Entry not found: {dir} is a file, not a folder")));
    }
    let all = entries(commit, &dir, recursive)?;
    let history = if expand { repo.history(commit) } else { Vec::new() };
    let lower = match &after {
        Some(a) => Bound::Excluded(a.as_str()),
        None => Bound::Unbounded,
    };
    let mut items = Vec::new();
    let mut last = None;
    let mut more = false;
    for (path, e) in all.range::<str, _>((lower, Bound::Unbounded)) {
        if items.len() == page {
            more = true;
            break;
        }
        items.push(entry_json(path, e, expand, &history));
        last = Some(path.clone());
    }
    let mut resp = crate::http::json_response(StatusCode::OK, &Value::Array(items));
    if let (true, Some(last)) = (more, last) {
        let mut q: Vec<(String, String)> = ctx.query.iter().filter(|(k, _)| k != "cursor").cloned().collect();
        q.push(("cursor".into(), B64URL.encode(last.as_bytes())));
        let qs: Vec<String> =
            q.iter().map(|(k, v)| format!("{}={}", percent_encode(k, false), percent_encode(v, false))).collect();
        set_header(&mut resp, "link", &format!("<{}{}?{}>; rel=\"next\"", ctx.base, ctx.path, qs.join("&")));
    }
    Ok(resp)
}

pub async fn paths_info(ctx: &mut Ctx, key: &RepoKey, rev: &str) -> Result<Resp, ApiError> {
    let is_json = ctx.header("content-type").is_some_and(|c| c.starts_with("application/json"));
    let body = ctx.body_bytes(16 * 1024 * 1024).await?;
    let (paths, expand) = if is_json {
        let v: Value = serde_json::from_slice(&body).map_err(|e| ApiError::bad_request(format!("Invalid JSON: {e}")))?;
        let paths = v
            .get("paths")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
            .unwrap_or_default();
        (paths, v.get("expand").and_then(Value::as_bool).unwrap_or(false))
    } else {
        let form = parse_query(&String::from_utf8_lossy(&body));
        let paths: Vec<String> = form.iter().filter(|(k, _)| k == "paths" || k == "paths[]").map(|(_, v)| v.clone()).collect();
        let expand = form.iter().any(|(k, v)| k == "expand" && matches!(v.as_str(), "true" | "True" | "1"));
        (paths, expand)
    };
    if paths.len() > 1000 {
        return Err(ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "PayloadTooLarge", "Too many paths (maximum 1000)"));
    }
    let st = ctx.app.lock();
    let repo = read_access(&st, ctx, key)?;
    let commit = repo.resolve(rev).ok_or_else(|| ApiError::revision_not_found(rev))?;
    let history = if expand { repo.history(commit) } else { Vec::new() };
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for p in &paths {
        let p = p.trim_matches('/');
        if !seen.insert(p.to_string()) {
            continue;
        }
        if let Some(f) = commit.files.get(p) {
            out.push(entry_json(p, &Entry::File(f), expand, &history));
        } else if let Some(oid) = commit.dir_oids.get(p) {
            out.push(entry_json(p, &Entry::Dir(oid), expand, &history));
        }
    }
    ok_json(Value::Array(out))
}

fn lookup<'a>(repo: &'a Repo, rev: &str, path: &str) -> Result<(&'a Commit, &'a FileEntry), ApiError> {
    let commit = repo.resolve(rev).ok_or_else(|| ApiError::revision_not_found(rev))?;
    let entry = commit.files.get(path).ok_or_else(|| {
        ApiError::entry_not_found(format!("Entry not found: {path} does not exist at {rev}"))
            .with_header("x-repo-commit", commit.id.clone())
    })?;
    Ok((commit, entry))
}

pub async fn resolve(ctx: &mut Ctx, key: RepoKey, rest: &[&str]) -> Result<Resp, ApiError> {
    let (rev, parts) = split_rev(rest);
    let path = parts.join("/");
    let (commit_id, entry) = {
        let st = ctx.app.lock();
        let repo = read_access(&st, ctx, &key)?;
        let (c, e) = lookup(repo, &rev, &path)?;
        (c.id.clone(), e.clone())
    };
    let filename = path.rsplit('/').next().unwrap_or(&path).to_string();
    if entry.lfs {
        let location = format!("{}/__cdn/{}?filename={}", ctx.cdn_base, entry.sha256, percent_encode(&filename, false));
        let mut r = Response::new(full(format!("Found. Redirecting to {location}")));
        *r.status_mut() = StatusCode::FOUND;
        set_header(&mut r, "location", &location);
        set_header(&mut r, "content-type", "text/plain; charset=utf-8");
        set_header(&mut r, "x-repo-commit", &commit_id);
        set_header(&mut r, "etag", &format!("\"{}\"", entry.oid));
        set_header(&mut r, "x-linked-etag", &format!("\"{}\"", entry.sha256));
        set_header(&mut r, "x-linked-size", &entry.size.to_string());
        return Ok(r);
    }
    let mut r = serve_blob(ctx, &entry.sha256, entry.size, &entry.oid, &filename).await?;
    set_header(&mut r, "x-repo-commit", &commit_id);
    Ok(r)
}

pub async fn cdn(ctx: &mut Ctx, oid: &str) -> Result<Resp, ApiError> {
    if ctx.header("authorization").is_some() {
        // Like a presigned S3 URL: a second auth mechanism is refused, and tokens must not leak to the CDN.
        return Err(ApiError::bad_request(
            "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified",
        ));
    }
    let size = Some(oid)
        .filter(|o| crate::util::is_sha256_hex(o))
        .and_then(|o| ctx.app.store.size(o))
        .ok_or_else(|| ApiError::not_found("The specified key does not exist."))?;
    let filename = ctx.q("filename").unwrap_or(oid).to_string();
    serve_blob(ctx, oid, size, oid, &filename).await
}

/// Serves a stored blob with `ETag`, `Content-Length`, `Accept-Ranges` and single-range support.
async fn serve_blob(ctx: &Ctx, sha256: &str, size: u64, etag: &str, filename: &str) -> Result<Resp, ApiError> {
    let (start, end, partial) = match ctx.header("range") {
        Some(r) => match parse_range(r, size) {
            Some((s, e)) => (s, e, true),
            None => {
                return Err(ApiError::new(
                    StatusCode::RANGE_NOT_SATISFIABLE,
                    "RangeNotSatisfiable",
                    "Requested range not satisfiable",
                )
                .with_header("content-range", format!("bytes */{size}")));
            }
        },
        None => (0, size, false),
    };
    let len = end - start;
    let body = if ctx.method == Method::HEAD || len == 0 {
        empty()
    } else {
        if ctx.app.store.is_unchecked(sha256) {
            // `--lfs-verify read`: the first read hashes the whole upload, off the async workers.
            let (app, oid) = (ctx.app.clone(), sha256.to_string());
            tokio::task::spawn_blocking(move || app.store.check(&oid))
                .await
                .map_err(|e| ApiError::from(std::io::Error::other(e)))??;
        }
        let reader = ctx.app.store.reader(sha256)?;
        let (tx, body) = ChannelBody::channel(4);
        tokio::spawn(async move {
            let file = match reader {
                BlobReader::Mem(blob) => {
                    for slice in blob.slices(start, end) {
                        if tx.send(Ok(slice)).await.is_err() {
                            return;
                        }
                    }
                    return;
                }
                BlobReader::File(f) => f,
            };
            let mut f = tokio::fs::File::from_std(file);
            if f.seek(SeekFrom::Start(start)).await.is_err() {
                return;
            }
            let mut remaining = len;
            let mut buf = vec![0u8; 256 * 1024];
            while remaining > 0 {
                let want = remaining.min(buf.len() as u64) as usize;
                match f.read(&mut buf[..want]).await {
                    Ok(0) => {
                        let _ = tx.send(Err(std::io::Error::other("blob shorter than expected"))).await;
                        return;
                    }
                    Ok(n) => {
                        remaining -= n as u64;
                        if tx.send(Ok(bytes::Bytes::copy_from_slice(&buf[..n]))).await.is_err() {
                            return;
                        }
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e)).await;
                        return;
                    }
                }
            }
        });
        body
    };
    let mut r = Response::new(body);
    if partial {
        *r.status_mut() = StatusCode::PARTIAL_CONTENT;
        set_header(&mut r, "content-range", &format!("bytes {start}-{}/{size}", end.saturating_sub(1)));
    }
    set_header(&mut r, "content-length", &len.to_string());
    set_header(&mut r, "content-type", "application/octet-stream");
    set_header(&mut r, "accept-ranges", "bytes");
    set_header(&mut r, "etag", &format!("\"{etag}\""));
    append_header(
        &mut r,
        "content-disposition",
        &format!(
            "inline; filename*=UTF-8''{}; filename=\"{}\"",
            percent_encode(filename, false),
            filename.replace(|c: char| !c.is_ascii() || c.is_ascii_control() || c == '"', "_")
        ),
    );
    Ok(r)
}

/// Parses a single `bytes=` range into [start, end) within `size`.
fn parse_range(header: &str, size: u64) -> Option<(u64, u64)> {
    let spec = header.trim().strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None;
    }
    let (a, b) = spec.split_once('-')?;
    let (a, b) = (a.trim(), b.trim());
    if a.is_empty() {
        let n: u64 = b.parse().ok()?;
        if n == 0 {
            return None;
        }
        return Some((size.saturating_sub(n), size));
    }
    let start: u64 = a.parse().ok()?;
    if start >= size {
        return None;
    }
    let end = if b.is_empty() { size } else { (b.parse::<u64>().ok()? + 1).min(size) };
    if end <= start {
        return None;
    }
    Some((start, end))
}

#[cfg(test)]
mod tests {
    use super::parse_range;

    #[test]
    fn ranges() {
        assert_eq!(parse_range("bytes=0-9", 100), Some((0, 10)));
        assert_eq!(parse_range("bytes=90-", 100), Some((90, 100)));
        assert_eq!(parse_range("bytes=-5", 100), Some((95, 100)));
        assert_eq!(parse_range("bytes=100-", 100), None);
        assert_eq!(parse_range("bytes=0-1,3-4", 100), None);
    }
}
