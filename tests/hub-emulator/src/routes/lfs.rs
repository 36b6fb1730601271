//! Git LFS batch API (reference §3.3) and the upload targets it hands out, which the emulator serves itself:
//!
//! - basic: `PUT {base}/__lfs/upload/{type}s/{ns}/{name}/{oid}` with the raw bytes (no auth, like a presigned URL)
//! - multipart: `PUT {base}/__lfs/part/{type}s/{ns}/{name}/{oid}/{n}` per part (answers an `ETag`), then
//!   `POST {base}/__lfs/complete/{type}s/{ns}/{name}/{oid}` with `{oid, parts: [{partNumber, etag}]}`
//! - verify: `POST {base}/{prefix}{ns}/{name}.git/info/lfs/objects/verify` with `{oid, size}` (auth)
//!
//! Every upload is hashed as it arrives and refused (400) when its sha256 or size differs from the oid.

use std::collections::HashMap;
use std::fs::{self, File};
use std::io::{BufWriter, Read, Seek, Write};

use bytes::Bytes;

use hyper::StatusCode;
use hyper::header::HeaderValue;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{read_access, write_access};
use crate::app::{LfsVerify, PartHash, PendingMultipart};
use crate::http::{ApiError, Resp, json_response, ok_json, set_header};
use crate::model::{RepoKey, RepoType};
use crate::server::Ctx;
use crate::store::Received;
use crate::util::{hex, is_sha256_hex};

fn lfs_json(value: Value) -> Result<Resp, ApiError> {
    let mut r = json_response(StatusCode::OK, &value);
    r.headers_mut().insert("content-type", HeaderValue::from_static("application/vnd.git-lfs+json"));
    Ok(r)
}

pub async fn objects_route(ctx: &mut Ctx, key: RepoKey, op: &str) -> Result<Resp, ApiError> {
    match (op, ctx.method.as_str()) {
        ("batch", "POST") => batch(ctx, &key).await,
        ("verify", "POST") => verify(ctx, &key).await,
        _ => Err(ApiError::not_found("Unknown LFS endpoint")),
    }
}

static UPLOAD_NONCE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

fn pending_key(key: &RepoKey, oid: &str) -> String {
    format!("{}#{oid}", key.display())
}

async fn batch(ctx: &mut Ctx, key: &RepoKey) -> Result<Resp, ApiError> {
    let body = ctx.body_json().await?;
    let operation = body.get("operation").and_then(Value::as_str).unwrap_or("download").to_string();
    let transfers: Vec<String> = body
        .get("transfers")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
        .unwrap_or_else(|| vec!["basic".into()]);
    let objects = body.get("objects").and_then(Value::as_array).cloned().unwrap_or_default();
    if objects.len() > 1000 {
        return Err(ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "PayloadTooLarge", "Too many objects in one batch"));
    }
    let tun = ctx.app.tun();
    let app = ctx.app.clone();
    // An object named again while unchecked (`--lfs-verify read`) is checked now: a corrupt one must be
    // uploaded again, not answered as already stored.
    for o in &objects {
        if let Some(oid) = o.get("oid").and_then(Value::as_str).filter(|oid| app.store.is_unchecked(oid)) {
            let (store_app, oid) = (app.clone(), oid.to_string());
            let _ = tokio::task::spawn_blocking(move || store_app.store.check(&oid)).await;
        }
    }
    let mut st = app.lock();
    let repo = if operation == "upload" {
        write_access(&mut st, ctx, key)?
    } else {
        read_access(&st, ctx, key)?;
        st.get_mut(key).expect("checked")
    };
    let prefix = format!("{}/{}", key.repo_type.plural(), key.id);
    let verify_href = format!("{}/{}{}.git/info/lfs/objects/verify", ctx.base, key.repo_type.url_prefix(), key.id);
    let mut out = Vec::new();
    let mut used_multipart = false;
    let mut new_pending = Vec::new();
    for o in &objects {
        let oid = o.get("oid").and_then(Value::as_str).unwrap_or("").to_string();
        let size = o.get("size").and_then(Value::as_i64).unwrap_or(-1);
        if !is_sha256_hex(&oid) || size < 0 {
            out.push(json!({ "oid": oid, "size": size.max(0), "error": { "code": 422, "message": "Invalid oid or size" } }));
            continue;
        }
        let size = size as u64;
        let stored = app.store.size(&oid);
        if operation != "upload" {
            match stored {
                Some(s)
                    if repo.lfs_objects.contains(&oid)
                        || repo.commits.values().any(|c| c.files.values().any(|f| f.sha256 == oid)) =>
                {
                    out.push(json!({ "oid": oid, "size": s, "authenticated": true,
                        "actions": { "download": { "href": format!("{}/__cdn/{oid}", ctx.cdn_base), "expires_in": 3600 } } }));
                }
                _ => out.push(json!({ "oid": oid, "size": size, "error": { "code": 404, "message": "Object does not exist" } })),
            }
            continue;
        }
        if stored == Some(size) {
            // Already stored: no actions means "skip the upload".
            repo.lfs_objects.insert(oid.clone());
            out.push(json!({ "oid": oid, "size": size, "authenticated": true }));
            continue;
        }
        let multipart = size >= tun.multipart_threshold && transfers.iter().any(|t| t == "multipart");
        let upload = if multipart {
            used_multipart = true;
            let chunk = tun.multipart_chunk_size.max(1);
            let nparts = size.div_ceil(chunk).max(1);
            let mut header = serde_json::Map::new();
            header.insert("chunk_size".into(), json!(chunk.to_string()));
            for n in 1..=nparts {
                header.insert(n.to_string(), json!(format!("{}/__lfs/part/{prefix}/{oid}/{n}", ctx.base)));
            }
            new_pending.push((pending_key(key, &oid), size, chunk));
            json!({ "href": format!("{}/__lfs/complete/{prefix}/{oid}", ctx.base), "header": header, "expires_in": 86400 })
        } else {
            json!({ "href": format!("{}/__lfs/upload/{prefix}/{oid}?size={size}", ctx.base), "expires_in": 86400 })
        };
        out.push(json!({
            "oid": oid, "size": size, "authenticated": true,
            "actions": { "upload": upload, "verify": { "href": verify_href } }
        }));
    }
    drop(st);
    let mut pending = app.multipart.lock().unwrap_or_else(|p| p.into_inner());
    for (k, size, chunk_size) in new_pending {
        let nonce = UPLOAD_NONCE.fetch_add(1, std::sync::atomic::Ordering::Relaxed) ^ crate::util::now_ms() << 20;
        let fresh = PendingMultipart {
            size,
            chunk_size,
            path: app.store.new_temp_path(),
            mem_parts: HashMap::new(),
            nonce,
            parts: HashMap::new(),
            hash: PartHash::Ready { hasher: Sha256::new(), hashed: 0 },
        };
        if let Some(old) = pending.insert(k, fresh) {
            old.discard();
        }
    }
    let chosen = match ctx.lfs_transfer.take() {
        Some(forced) => forced,
        None => if used_multipart { "multipart" } else { "basic" }.to_string(),
    };
    lfs_json(json!({ "transfer": chosen, "objects": out, "hash_algo": "sha256" }))
}

async fn verify(ctx: &mut Ctx, key: &RepoKey) -> Result<Resp, ApiError> {
    let body = ctx.body_json().await?;
    let oid = body.get("oid").and_then(Value::as_str).unwrap_or("").to_string();
    let size = body.get("size").and_then(Value::as_u64);
    let app = ctx.app.clone();
    let mut st = app.lock();
    let repo = write_access(&mut st, ctx, key)?;
    match app.store.size(&oid) {
        Some(s) if size.is_none_or(|z| z == s) && repo.lfs_objects.contains(&oid) => lfs_json(json!({ "message": "ok" })),
        _ => Err(ApiError::new(StatusCode::NOT_FOUND, "ObjectNotFound", format!("LFS object {oid} was not uploaded"))),
    }
}

/// Request-body bytes handed to the hashing/writing thread at once (hyper's buffers, batched, not copied):
/// about a thousand hand-overs per GiB instead of one per socket read, and each batch is still in cache
/// when it is hashed.
const PUMP_BATCH: usize = 1 << 20;
/// Batches in flight: bounds what the disk backend holds in memory (8 MiB).
const PUMP_DEPTH: usize = 8;

/// Streams the request body into `sink` (a file at an offset, or memory when `None`), hashing it with `hasher`
/// when given. Hashing and disk writes run on a blocking thread while this task keeps reading the socket, so a
/// large upload uses two cores. Returns the hasher, the byte count and (memory) the chunks; fails past `max_len`.
async fn pump(
    ctx: &mut Ctx,
    sink: Option<(File, u64)>,
    hasher: Option<Sha256>,
    max_len: Option<u64>,
) -> Result<(Option<Sha256>, u64, Vec<Bytes>), ApiError> {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<Bytes>>(PUMP_DEPTH);
    let keep = ctx.app.store.is_memory();
    let worker = tokio::task::spawn_blocking(move || -> std::io::Result<(Option<Sha256>, Vec<Bytes>)> {
        let mut writer = match sink {
            Some((mut file, offset)) => {
                file.seek(std::io::SeekFrom::Start(offset))?;
                // Joins hyper's smaller chunks into large writes; larger ones pass straight through.
                Some(BufWriter::with_capacity(1 << 20, file))
            }
            None => None,
        };
        let mut hasher = hasher;
        let mut kept = Vec::new();
        let mut failed = None;
        // Drains the channel to the end even after a write error, so the reading side never blocks.
        while let Some(batch) = rx.blocking_recv() {
            if failed.is_some() {
                continue;
            }
            for chunk in &batch {
                if let Some(h) = hasher.as_mut() {
                    h.update(chunk);
                }
                if let Some(w) = writer.as_mut()
                    && let Err(e) = w.write_all(chunk)
                {
                    failed = Some(e);
                    break;
                }
            }
            if keep {
                kept.extend(batch);
            }
        }
        if let Some(e) = failed {
            return Err(e);
        }
        if let Some(w) = writer.as_mut() {
            w.flush()?;
        }
        Ok((hasher, kept))
    });
    let mut batch = Vec::new();
    let mut batched = 0usize;
    let mut received = 0u64;
    let mut error = None;
    while let Some(chunk) = ctx.next_chunk().await {
        match chunk {
            Err(e) => {
                error = Some(ApiError::bad_request(format!("upload interrupted: {e}")));
                break;
            }
            Ok(c) => {
                received += c.len() as u64;
                if let Some(max) = max_len.filter(|m| received > *m) {
                    error = Some(ApiError::bad_request(format!("The upload is larger than {max} bytes")));
                    break;
                }
                batched += c.len();
                batch.push(c);
                if batched >= PUMP_BATCH {
                    batched = 0;
                    if tx.send(std::mem::take(&mut batch)).await.is_err() {
                        break;
                    }
                }
            }
        }
    }
    if error.is_none() && !batch.is_empty() {
        let _ = tx.send(batch).await;
    }
    drop(tx);
    let result = worker.await.map_err(|e| ApiError::from(std::io::Error::other(e)))?;
    if let Some(e) = error {
        return Err(e);
    }
    let (hasher, kept) = result?;
    Ok((hasher, received, kept))
}

/// Streams the request body to a temp file (or memory), hashing it when `hash`; returns (data, sha256 if
/// hashed, length).
async fn receive(ctx: &mut Ctx, max_len: Option<u64>, hash: bool) -> Result<(Received, Option<String>, u64), ApiError> {
    let temp = ctx.app.store.new_temp_path();
    let sink = match &temp {
        Some(p) => Some((File::create(p)?, 0)),
        None => None,
    };
    match pump(ctx, sink, hash.then(Sha256::new), max_len).await {
        Ok((h, n, chunks)) => {
            let sha = h.map(|h| hex(&h.finalize()));
            Ok((temp.map(Received::File).unwrap_or(Received::Mem(chunks)), sha, n))
        }
        Err(e) => {
            if let Some(p) = temp {
                let _ = fs::remove_file(p);
            }
            Err(e)
        }
    }
}

fn storage_key(rest: &[&str]) -> Option<(RepoKey, String)> {
    match rest {
        [t, ns, name, oid, ..] => Some((RepoKey::new(RepoType::from_plural(t)?, format!("{ns}/{name}")), oid.to_string())),
        _ => None,
    }
}

pub async fn storage_route(ctx: &mut Ctx, rest: &[&str]) -> Result<Resp, ApiError> {
    let not_found = || ApiError::not_found("Unknown upload target");
    let (kind, rest) = rest.split_first().ok_or_else(not_found)?;
    let (key, oid) = storage_key(rest).ok_or_else(not_found)?;
    if !is_sha256_hex(&oid) {
        return Err(ApiError::bad_request("Invalid oid"));
    }
    if ctx.app.lock().get(&key).is_none() {
        return Err(ApiError::repo_not_found());
    }
    match (*kind, ctx.method.as_str(), rest.len()) {
        ("upload", "PUT", 4) => upload_basic(ctx, &key, &oid).await,
        ("part", "PUT", 5) => {
            let n: u32 = rest[4].parse().map_err(|_| ApiError::bad_request("Invalid part number"))?;
            upload_part(ctx, &key, &oid, n).await
        }
        ("complete", "POST", 4) => complete(ctx, &key, &oid).await,
        _ => Err(not_found()),
    }
}

async fn upload_basic(ctx: &mut Ctx, key: &RepoKey, oid: &str) -> Result<Resp, ApiError> {
    let expected = ctx.q("size").and_then(|s| s.parse::<u64>().ok());
    // Deferring the sha256 needs a size to check on receipt (our hrefs always carry one).
    let defer = ctx.app.tun().lfs_verify == LfsVerify::Read && expected.is_some();
    let (data, sha, len) = receive(ctx, expected, !defer).await?;
    if sha.as_deref().is_some_and(|s| s != oid) || expected.is_some_and(|e| e != len) {
        if let Received::File(tmp) = &data {
            let _ = fs::remove_file(tmp);
        }
        let sha = sha.unwrap_or_else(|| "not computed".into());
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "BadDigest",
            format!("The uploaded content ({len} bytes, sha256 {sha}) does not match the LFS object {oid}"),
        ));
    }
    if defer {
        ctx.app.store.store_unchecked(data, oid);
    } else {
        commit_received(ctx, data, oid)?;
    }
    link(ctx, key, oid);
    let mut r = json_response(StatusCode::OK, &json!({}));
    // Like S3's ETag, an opaque content tag; the oid stands in when the bytes were not hashed.
    set_header(&mut r, "etag", &format!("\"{}\"", &sha.as_deref().unwrap_or(oid)[..32]));
    Ok(r)
}

fn commit_received(ctx: &Ctx, data: Received, oid: &str) -> Result<(), ApiError> {
    match data {
        Received::File(tmp) => ctx.app.store.commit_file(&tmp, oid)?,
        Received::Mem(chunks) => ctx.app.store.commit_mem(chunks, oid),
    }
    Ok(())
}

fn link(ctx: &Ctx, key: &RepoKey, oid: &str) {
    let app = ctx.app.clone();
    let mut st = app.lock();
    if let Some(repo) = st.get_mut(key) {
        repo.lfs_objects.insert(oid.to_string());
        app.persist(&st);
    }
}

async fn upload_part(ctx: &mut Ctx, key: &RepoKey, oid: &str, n: u32) -> Result<Resp, ApiError> {
    let pk = pending_key(key, oid);
    let no_upload = || ApiError::not_found(format!("No multipart upload in progress for {oid}"));
    // `--lfs-verify read`: parts are stored unhashed; the completion stores the object unchecked.
    let defer = ctx.app.tun().lfs_verify == LfsVerify::Read;
    // Claim the running hasher when this part is the next one in order.
    let (path, offset, expected_len, nonce, mut hasher) = {
        let mut pending = ctx.app.multipart.lock().unwrap_or_else(|p| p.into_inner());
        let p = pending.get_mut(&pk).ok_or_else(no_upload)?;
        let nparts = p.size.div_ceil(p.chunk_size).max(1);
        if n == 0 || n as u64 > nparts {
            return Err(ApiError::bad_request(format!("Part number {n} out of range 1..={nparts}")));
        }
        let offset = (n as u64 - 1) * p.chunk_size;
        let expected_len = p.chunk_size.min(p.size - offset);
        if p.parts.remove(&n).is_some() {
            // A part sent again: its bytes may differ from what was hashed.
            p.hash = PartHash::Invalid;
        }
        let hasher = match std::mem::replace(&mut p.hash, PartHash::Busy) {
            PartHash::Ready { hasher, hashed } if hashed + 1 == n && !defer => Some(hasher),
            other => {
                p.hash = other;
                None
            }
        };
        (p.path.clone(), offset, expected_len, p.nonce, hasher)
    };
    let took_hasher = hasher.is_some();
    let sink = match &path {
        Some(path) => match fs::OpenOptions::new().create(true).truncate(false).write(true).open(path) {
            Ok(file) => Ok(Some((file, offset))),
            Err(e) => Err(ApiError::from(e)),
        },
        None => Ok(None),
    };
    let result = match sink {
        Ok(sink) => pump(ctx, sink, hasher.take(), Some(expected_len)).await,
        Err(e) => Err(e),
    };
    let (hasher, result) = match result {
        Ok((h, len, chunks)) => (h, Ok((len, chunks))),
        Err(e) => (None, Err(e)),
    };
    // The lock is released before hashing the parts that follow.
    let etag = {
        let mut pending = ctx.app.multipart.lock().unwrap_or_else(|p| p.into_inner());
        let Some(p) = pending.get_mut(&pk).filter(|p| p.nonce == nonce) else {
            return Err(no_upload());
        };
        let len = match result {
            Ok((len, chunks)) => {
                if p.path.is_none() {
                    p.mem_parts.insert(n, chunks);
                }
                len
            }
            Err(e) => {
                if took_hasher {
                    // The hasher saw part of this part's bytes.
                    p.hash = PartHash::Invalid;
                }
                return Err(e);
            }
        };
        // Unless a part sent again meanwhile made the hash Invalid.
        if let Some(h) = hasher
            && matches!(p.hash, PartHash::Busy)
        {
            p.hash = if len == expected_len { PartHash::Ready { hasher: h, hashed: n } } else { PartHash::Invalid };
        }
        let etag = format!("\"{:016x}{n:04x}{len:x}\"", nonce);
        p.parts.insert(n, (etag.clone(), len));
        etag
    };
    if !defer {
        catch_up(ctx.app.clone(), &pk, nonce).await;
    }
    let mut r = json_response(StatusCode::OK, &json!({}));
    set_header(&mut r, "etag", &etag);
    Ok(r)
}

/// Feeds the running sha256 with every part that follows its hashed prefix and has fully arrived. Parts
/// sent in parallel arrive out of order, and only the next one in line can be hashed as it streams in; the
/// others are hashed here, before their answer, so the completion has (nearly) nothing left to read. The
/// checks at completion are unchanged: this only moves when the hashing happens.
async fn catch_up(app: std::sync::Arc<crate::app::App>, pk: &str, nonce: u64) {
    loop {
        let (hasher, run, mem, path, chunk_size) = {
            let mut pending = app.multipart.lock().unwrap_or_else(|p| p.into_inner());
            let Some(p) = pending.get_mut(pk).filter(|p| p.nonce == nonce) else { return };
            let PartHash::Ready { hashed, .. } = p.hash else { return };
            let nparts = p.size.div_ceil(p.chunk_size).max(1);
            let full = |n: u32| p.chunk_size.min(p.size - (n as u64 - 1) * p.chunk_size);
            let mut run = Vec::new();
            let mut next = hashed + 1;
            while next as u64 <= nparts && p.parts.get(&next).is_some_and(|(_, len)| *len == full(next)) {
                run.push(next);
                next += 1;
            }
            if run.is_empty() {
                return;
            }
            let PartHash::Ready { hasher, .. } = std::mem::replace(&mut p.hash, PartHash::Busy) else { return };
            let mem: Vec<Bytes> = match &p.path {
                Some(_) => Vec::new(),
                None => run.iter().flat_map(|n| p.mem_parts.get(n).cloned().unwrap_or_default()).collect(),
            };
            (hasher, run, mem, p.path.clone(), p.chunk_size)
        };
        let (first, last) = (run[0], run[run.len() - 1]);
        let hashed = tokio::task::spawn_blocking(move || -> std::io::Result<Sha256> {
            let mut hasher = hasher;
            match path {
                None => mem.iter().for_each(|c| hasher.update(c)),
                Some(path) => {
                    let mut f = File::open(&path)?;
                    let start = (first as u64 - 1) * chunk_size;
                    f.seek(std::io::SeekFrom::Start(start))?;
                    let end = f.metadata()?.len().min(last as u64 * chunk_size);
                    let mut left = end.saturating_sub(start);
                    let mut buf = vec![0u8; 1 << 20];
                    while left > 0 {
                        let k = f.read(&mut buf[..left.min(1 << 20) as usize])?;
                        if k == 0 {
                            return Err(std::io::ErrorKind::UnexpectedEof.into());
                        }
                        hasher.update(&buf[..k]);
                        left -= k as u64;
                    }
                }
            }
            Ok(hasher)
        })
        .await;
        let mut pending = app.multipart.lock().unwrap_or_else(|p| p.into_inner());
        let Some(p) = pending.get_mut(pk).filter(|p| p.nonce == nonce) else { return };
        // A part sent again meanwhile made the hash Invalid: that verdict stands.
        if !matches!(p.hash, PartHash::Busy) {
            return;
        }
        p.hash = match hashed {
            Ok(Ok(hasher)) => PartHash::Ready { hasher, hashed: last },
            _ => PartHash::Invalid,
        };
    }
}

async fn complete(ctx: &mut Ctx, key: &RepoKey, oid: &str) -> Result<Resp, ApiError> {
    let body = ctx.body_json().await?;
    if body.get("oid").and_then(Value::as_str) != Some(oid) {
        return Err(ApiError::bad_request("The completion body's oid does not match the upload"));
    }
    let listed: Vec<(u64, String)> = body
        .get("parts")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|p| {
                    (
                        p.get("partNumber").and_then(Value::as_u64).unwrap_or(0),
                        p.get("etag").and_then(Value::as_str).unwrap_or("").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let pk = pending_key(key, oid);
    // A completion attempt consumes the upload: on any error the client starts over with a new batch call.
    let pending = ctx
        .app
        .multipart
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .remove(&pk)
        .ok_or_else(|| ApiError::not_found(format!("No multipart upload in progress for {oid}")))?;
    let fail = |msg: String| {
        if let Some(p) = &pending.path {
            let _ = fs::remove_file(p);
        }
        ApiError::bad_request(msg)
    };
    let nparts = pending.size.div_ceil(pending.chunk_size).max(1);
    if listed.len() as u64 != nparts {
        return Err(fail(format!("Expected {nparts} parts in the completion body, got {}", listed.len())));
    }
    for n in 1..=nparts {
        let Some((etag, len)) = pending.parts.get(&(n as u32)) else {
            return Err(fail(format!("Part {n} of {nparts} was not uploaded")));
        };
        let expected_len = pending.chunk_size.min(pending.size - (n - 1) * pending.chunk_size);
        if *len != expected_len {
            return Err(fail(format!("Part {n} has {len} bytes, expected {expected_len}")));
        }
        if !listed.iter().any(|(pn, e)| *pn == n && e.trim_matches('"') == etag.trim_matches('"')) {
            return Err(fail(format!("Part {n} is missing from the completion body or its etag differs")));
        }
    }
    let PendingMultipart { hash, path, mut mem_parts, chunk_size, .. } = pending;
    if ctx.app.tun().lfs_verify == LfsVerify::Read {
        let data = match path {
            Some(p) => Received::File(p),
            None => Received::Mem((1..=nparts as u32).flat_map(|n| mem_parts.remove(&n).unwrap_or_default()).collect()),
        };
        ctx.app.store.store_unchecked(data, oid);
        link(ctx, key, oid);
        return ok_json(json!({ "message": "ok" }));
    }
    let (hasher, hashed) = match hash {
        PartHash::Ready { hasher, hashed } => (hasher, hashed),
        PartHash::Busy | PartHash::Invalid => (Sha256::new(), 0),
    };
    // Only the parts that arrived out of order (if any) are hashed now.
    let assembled = tokio::task::spawn_blocking(move || -> std::io::Result<(String, Received)> {
        let mut hasher = hasher;
        match path {
            Some(path) => {
                let mut f = File::open(&path)?;
                f.seek(std::io::SeekFrom::Start(hashed as u64 * chunk_size))?;
                let mut buf = vec![0u8; 1 << 20];
                loop {
                    let n = f.read(&mut buf)?;
                    if n == 0 {
                        break;
                    }
                    hasher.update(&buf[..n]);
                }
                Ok((hex(&hasher.finalize()), Received::File(path)))
            }
            None => {
                let mut chunks = Vec::new();
                for n in 1..=nparts as u32 {
                    let part = mem_parts.remove(&n).unwrap_or_default();
                    if n > hashed {
                        for c in &part {
                            hasher.update(c);
                        }
                    }
                    chunks.extend(part);
                }
                Ok((hex(&hasher.finalize()), Received::Mem(chunks)))
            }
        }
    })
    .await
    .map_err(|e| ApiError::from(std::io::Error::other(e)))??;
    let (sha, data) = assembled;
    if sha != oid {
        if let Received::File(p) = &data {
            let _ = fs::remove_file(p);
        }
        return Err(ApiError::new(StatusCode::BAD_REQUEST, "BadDigest", format!("The assembled parts hash to {sha}, not {oid}")));
    }
    commit_received(ctx, data, oid)?;
    link(ctx, key, oid);
    ok_json(json!({ "message": "ok" }))
}
