//! Executes an [`UploadPlan`]: preupload (the Hub decides regular vs LFS and what it ignores) → LFS batch and
//! transfers (basic or multipart, streamed from disk, a small bounded pool) → one atomic NDJSON commit with
//! `parentCommit`. Nothing is committed until every blob is stored, and the commit either lands whole or not
//! at all, so a failure never leaves a half commit.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

use serde::Serialize;

use crate::api::HubApi;
use crate::error::{ErrorKind, HubError, Result};
use crate::hash::digest_file;
use crate::id::SpaceId;
use crate::plan::{HashedFile, UploadPlan};
use crate::types::{
    CommitInfo, CommitOp, CommitRequest, FileSlice, FileSource, LfsAction, LfsObject, LfsPart, PreuploadFile, UploadMode,
};

/// How to commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitOptions {
    /// Commit title.
    pub summary: String,
    /// Commit body.
    pub description: String,
    /// Branch to commit to.
    pub revision: String,
    /// Open a pull request instead.
    pub create_pr: bool,
}

impl CommitOptions {
    /// Commit to `main` with this title.
    pub fn new(summary: impl Into<String>) -> CommitOptions {
        CommitOptions { summary: summary.into(), description: String::new(), revision: "main".into(), create_pr: false }
    }
}

/// What an upload did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct UploadReport {
    /// The new commit; `None` when there was nothing to commit.
    pub commit: Option<CommitInfo>,
    /// Paths added.
    pub added: Vec<String>,
    /// Paths whose content changed.
    pub changed: Vec<String>,
    /// Paths deleted.
    pub deleted: Vec<String>,
    /// Paths identical on the Hub (from the plan or the preupload answer).
    pub unchanged: Vec<String>,
    /// Paths the Space's own `.gitignore` excludes (left out of the commit).
    pub ignored: Vec<String>,
    /// Inline (regular) files committed.
    pub regular_files: usize,
    /// Their bytes (before base64).
    pub regular_bytes: u64,
    /// LFS files committed.
    pub lfs_files: usize,
    /// LFS bytes actually transferred.
    pub lfs_bytes_uploaded: u64,
    /// LFS objects the Hub already had (not transferred).
    pub lfs_already_stored: usize,
}

/// Progress of an upload, for progress bars.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UploadEvent {
    /// The Hub said how each file goes up.
    Classified {
        /// Inline files.
        regular: usize,
        /// LFS files.
        lfs: usize,
        /// Files the Space's `.gitignore` excludes.
        ignored: usize,
    },
    /// LFS bytes transferred so far: once at 0 before the first transfer, then after each file or part.
    LfsProgress {
        /// Bytes done.
        done: u64,
        /// Bytes to transfer in all.
        total: u64,
    },
    /// The commit is being sent.
    Committing {
        /// Operations in the commit.
        ops: usize,
    },
}

/// Uploads what `plan` says to `space`, in one commit.
pub fn upload(api: &dyn HubApi, space: &SpaceId, plan: &UploadPlan, opts: &CommitOptions) -> Result<UploadReport> {
    upload_with_progress(api, space, plan, opts, &|_| {})
}

/// [`upload`], reporting progress to `on_event` (called from worker threads, hence `Sync`).
pub fn upload_with_progress(
    api: &dyn HubApi,
    space: &SpaceId,
    plan: &UploadPlan,
    opts: &CommitOptions,
    on_event: &(dyn Fn(UploadEvent) + Sync),
) -> Result<UploadReport> {
    let mut report = UploadReport { unchanged: plan.unchanged.clone(), ..UploadReport::default() };
    let to_send: Vec<&HashedFile> = plan.to_send().collect();
    if to_send.is_empty() && plan.deleted.is_empty() {
        return Ok(report);
    }
    let t = crate::timing::span("upload.preupload");
    let decided = classify(api, space, &to_send, opts, &mut report)?;
    t.end();
    let lfs: Vec<&HashedFile> = decided.iter().filter(|(_, m)| *m == UploadMode::Lfs).map(|(f, _)| *f).collect();
    on_event(UploadEvent::Classified { regular: decided.len() - lfs.len(), lfs: lfs.len(), ignored: report.ignored.len() });
    let t = crate::timing::span("upload.lfs");
    upload_lfs(api, space, &opts.revision, &lfs, &mut report, on_event)?;
    t.end();

    let mut ops = Vec::with_capacity(decided.len() + plan.deleted.len());
    let changed: std::collections::HashSet<&str> = plan.changed.iter().map(|f| f.path.as_str()).collect();
    for (f, mode) in &decided {
        if changed.contains(f.path.as_str()) { &mut report.changed } else { &mut report.added }.push(f.path.clone());
        ops.push(match mode {
            UploadMode::Regular => {
                report.regular_files += 1;
                report.regular_bytes += f.size;
                CommitOp::File {
                    path: f.path.clone(),
                    // Bytes the planner hashed from memory go as they are (what was hashed is what is sent);
                    // the others are streamed from disk and checked against the planned oid.
                    source: match &f.contents {
                        Some(data) => FileSource::Bytes(data.to_vec()),
                        None => FileSource::Path { abs: f.abs.clone(), size: f.size, git_oid: f.git_oid.clone() },
                    },
                }
            }
            UploadMode::Lfs => {
                report.lfs_files += 1;
                CommitOp::LfsFile { path: f.path.clone(), oid: f.sha256.clone(), size: f.size }
            }
        });
    }
    for p in &plan.deleted {
        ops.push(CommitOp::DeleteFile { path: p.clone() });
        report.deleted.push(p.clone());
    }
    if ops.is_empty() {
        return Ok(report);
    }
    on_event(UploadEvent::Committing { ops: ops.len() });
    let commit = CommitRequest {
        summary: opts.summary.clone(),
        description: opts.description.clone(),
        parent_commit: plan.parent_commit.clone(),
        create_pr: opts.create_pr,
        ops,
    };
    let _t = crate::timing::span("upload.commit");
    report.commit = Some(api.commit(space, &opts.revision, &commit)?);
    Ok(report)
}

/// Asks preupload how each file goes up; drops ignored and already-identical ones.
fn classify<'p>(
    api: &dyn HubApi,
    space: &SpaceId,
    files: &[&'p HashedFile],
    opts: &CommitOptions,
    report: &mut UploadReport,
) -> Result<Vec<(&'p HashedFile, UploadMode)>> {
    let pre: Vec<PreuploadFile> =
        files.iter().map(|f| PreuploadFile { path: f.path.clone(), sample: f.sample.clone(), size: f.size }).collect();
    let answers = api.preupload(space, &opts.revision, &pre, opts.create_pr)?;
    let by_path: HashMap<&str, _> = answers.iter().map(|a| (a.path.as_str(), a)).collect();
    let mut out = Vec::with_capacity(files.len());
    for f in files {
        let a = by_path.get(f.path.as_str()).ok_or_else(|| {
            HubError::new(
                ErrorKind::Protocol,
                format!("prepare the upload to Space {space}"),
                format!("no answer for {}", f.path),
            )
        })?;
        if a.should_ignore {
            report.ignored.push(f.path.clone());
            continue;
        }
        // S3 rejects empty LFS objects: empty files are always regular (as huggingface_hub does).
        let mode = if f.size == 0 { UploadMode::Regular } else { a.upload_mode };
        let file: &'p HashedFile = f;
        if let Some(remote) = &a.oid {
            let local = match mode {
                UploadMode::Lfs => Some(file.sha256.clone()),
                UploadMode::Regular => match &file.git_oid {
                    Some(o) => Some(o.clone()),
                    None => digest_file(&file.abs, true).ok().and_then(|d| d.git_oid),
                },
            };
            if local.as_deref() == Some(remote.as_str()) {
                report.unchanged.push(file.path.clone());
                continue;
            }
        }
        out.push((file, mode));
    }
    Ok(out)
}

/// One transfer: a whole object (basic) or one part of a multipart upload.
struct Job<'a> {
    object: usize,
    href: String,
    headers: Vec<(String, String)>,
    slice: FileSlice,
    part: Option<u32>,
    file: &'a HashedFile,
}

/// Per-object follow-up after the transfers.
struct Pending {
    object: LfsObject,
    complete_href: Option<String>,
    parts: usize,
    verify: Option<LfsAction>,
}

fn lfs_error(space: &SpaceId, why: String) -> HubError {
    HubError::new(ErrorKind::Lfs, format!("upload large files to Space {space}"), why)
        .with_hint("nothing was committed; try again, and report the object if it keeps failing")
}

fn upload_lfs(
    api: &dyn HubApi,
    space: &SpaceId,
    revision: &str,
    files: &[&HashedFile],
    report: &mut UploadReport,
    on_event: &(dyn Fn(UploadEvent) + Sync),
) -> Result<()> {
    if files.is_empty() {
        return Ok(());
    }
    // Same content under two paths is one object.
    let mut unique: BTreeMap<&str, &HashedFile> = BTreeMap::new();
    for f in files {
        unique.entry(f.sha256.as_str()).or_insert(f);
    }
    let objects: Vec<LfsObject> = unique.values().map(|f| LfsObject { oid: f.sha256.clone(), size: f.size }).collect();
    let answer = api.lfs_batch(space, revision, &objects)?;
    // Checked here too: the actions only make sense for an adapter we speak, whatever `HubApi` is in use.
    crate::api::check_lfs_transfer(space, answer.transfer.as_deref())?;
    let errors: Vec<String> = answer
        .objects
        .iter()
        .filter_map(|o| o.error.as_ref().map(|e| format!("{} ({}): {}", o.oid, e.code, e.message)))
        .collect();
    if !errors.is_empty() {
        return Err(lfs_error(space, format!("the LFS server refused {}", errors.join("; "))));
    }
    let mut jobs = Vec::new();
    let mut pending = Vec::new();
    for o in &answer.objects {
        let Some(upload) = o.actions.as_ref().and_then(|a| a.upload.clone()) else {
            report.lfs_already_stored += 1;
            continue;
        };
        let file = *unique.get(o.oid.as_str()).ok_or_else(|| lfs_error(space, format!("unexpected object {}", o.oid)))?;
        let idx = pending.len();
        let verify = o.actions.as_ref().and_then(|a| a.verify.clone());
        let object = LfsObject { oid: file.sha256.clone(), size: file.size };
        match upload.header.get("chunk_size") {
            Some(cs) => {
                let chunk = cs.as_u64().or_else(|| cs.as_str().and_then(|s| s.parse().ok())).filter(|c| *c > 0);
                let chunk = chunk.ok_or_else(|| lfs_error(space, format!("invalid chunk_size {cs} for {}", o.oid)))?;
                let nparts = file.size.div_ceil(chunk).max(1);
                for n in 1..=nparts {
                    let href = upload.header.get(&n.to_string()).and_then(|v| v.as_str()).ok_or_else(|| {
                        lfs_error(space, format!("the multipart upload of {} lacks part {n} of {nparts}", o.oid))
                    })?;
                    let offset = (n - 1) * chunk;
                    jobs.push(Job {
                        object: idx,
                        href: href.to_string(),
                        headers: Vec::new(),
                        slice: FileSlice { path: file.abs.clone(), offset, len: chunk.min(file.size - offset) },
                        part: Some(n as u32),
                        file,
                    });
                }
                pending.push(Pending { object, complete_href: Some(upload.href.clone()), parts: nparts as usize, verify });
            }
            None => {
                let headers = upload.header.iter().filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string()))).collect();
                jobs.push(Job {
                    object: idx,
                    href: upload.href.clone(),
                    headers,
                    slice: FileSlice { path: file.abs.clone(), offset: 0, len: file.size },
                    part: None,
                    file,
                });
                pending.push(Pending { object, complete_href: None, parts: 0, verify });
            }
        }
    }
    let total: u64 = jobs.iter().map(|j| j.slice.len).sum();
    // Once at 0, so a progress bar starts (and measures its rate) when the transfer does.
    if total > 0 {
        on_event(UploadEvent::LfsProgress { done: 0, total });
    }
    let done = AtomicU64::new(0);
    let etags: Vec<Option<String>> = run_pool(&jobs, api.config().lfs_concurrency, |job| {
        let etag = api.lfs_put(&job.href, &job.headers, &job.slice)?;
        let done = done.fetch_add(job.slice.len, Ordering::Relaxed) + job.slice.len;
        on_event(UploadEvent::LfsProgress { done, total });
        Ok(etag)
    })?;
    let mut parts: Vec<Vec<LfsPart>> = pending.iter().map(|p| Vec::with_capacity(p.parts)).collect();
    let mut sent = 0u64;
    for (job, etag) in jobs.iter().zip(etags) {
        sent += job.slice.len;
        if let Some(n) = job.part {
            let etag = etag
                .filter(|e| !e.is_empty())
                .ok_or_else(|| lfs_error(space, format!("the storage gave no ETag for part {n} of {}", job.file.sha256)))?;
            parts[job.object].push(LfsPart { part_number: n, etag });
        }
    }
    for (p, mut ps) in pending.iter().zip(parts) {
        if let Some(href) = &p.complete_href {
            ps.sort_by_key(|x| x.part_number);
            api.lfs_complete(href, &p.object.oid, &ps)?;
        }
        if let Some(v) = &p.verify {
            api.lfs_verify(v, &p.object)?;
        }
    }
    report.lfs_bytes_uploaded = sent;
    Ok(())
}

/// Runs `f` over `items` with at most `workers` threads; stops early on the first error and returns it.
pub(crate) fn run_pool<T: Sync, R: Send>(items: &[T], workers: usize, f: impl Fn(&T) -> Result<R> + Sync) -> Result<Vec<R>> {
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let results: Mutex<Vec<Option<R>>> = Mutex::new((0..items.len()).map(|_| None).collect());
    let first_error: Mutex<Option<HubError>> = Mutex::new(None);
    std::thread::scope(|s| {
        for _ in 0..workers.clamp(1, items.len().max(1)) {
            s.spawn(|| {
                while !failed.load(Ordering::Relaxed) {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(i) else { break };
                    match f(item) {
                        Ok(r) => {
                            results.lock().unwrap_or_else(|p| p.into_inner())[i] = Some(r);
                        }
                        Err(e) => {
                            failed.store(true, Ordering::Relaxed);
                            first_error.lock().unwrap_or_else(|p| p.into_inner()).get_or_insert(e);
                        }
                    }
                }
            });
        }
    });
    if let Some(e) = first_error.into_inner().unwrap_or_else(|p| p.into_inner()) {
        return Err(e);
    }
    Ok(results.into_inner().unwrap_or_else(|p| p.into_inner()).into_iter().map(|r| r.expect("every item ran")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_runs_everything_in_order_and_stops_on_error() {
        let items: Vec<u32> = (0..50).collect();
        let out = run_pool(&items, 4, |x| Ok(x * 2)).unwrap();
        assert_eq!(out, items.iter().map(|x| x * 2).collect::<Vec<_>>());
        let err = run_pool(&items, 3, |x| if *x == 7 { Err(HubError::new(ErrorKind::Lfs, "op", "boom")) } else { Ok(*x) });
        assert_eq!(err.unwrap_err().code(), "LFS_ERROR");
        let empty: Vec<u32> = run_pool(&[] as &[u32], 4, |x| Ok(*x)).unwrap();
        assert!(empty.is_empty());
    }
}
