//! Upload planning: which local files are added, changed, unchanged, and which remote files are deleted,
//! compared by content id (git blob sha1 for regular files, sha256 for LFS files, reference §3.7).
//!
//! [`diff`] is pure; [`scan_folder`] and [`hash_files`] touch the disk (streaming, bounded memory);
//! [`remote_state`] and [`plan_folder`] ask the Hub.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::Serialize;

use crate::api::HubApi;
use crate::error::{ErrorKind, HubError, Result};
use crate::hash::digest_file;
use crate::id::SpaceId;
use crate::types::TreeEntry;

/// A file of the local folder, as it would be uploaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalFile {
    /// Path in the repo (`/`-separated, relative).
    pub path: String,
    /// Path on disk.
    pub abs: PathBuf,
    /// Size on disk.
    pub size: u64,
}

/// A local file with its content ids.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HashedFile {
    /// Path in the repo.
    pub path: String,
    /// Path on disk.
    pub abs: PathBuf,
    /// Size.
    pub size: u64,
    /// sha256 (the LFS oid).
    pub sha256: String,
    /// Git blob sha1; computed for files below the LFS threshold only.
    pub git_oid: Option<String>,
    /// First ≤ 512 bytes, for preupload.
    #[serde(skip)]
    pub sample: Vec<u8>,
    /// Local guess: goes through LFS (big or binary). The Hub's preupload answer decides.
    pub lfs: bool,
}

/// A file of the remote tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RemoteFile {
    /// Path in the repo.
    pub path: String,
    /// Git blob sha1 (of the pointer, for LFS files).
    pub git_oid: String,
    /// sha256 of the content, for LFS files.
    pub lfs_sha256: Option<String>,
    /// Content size.
    pub size: u64,
}

impl From<&TreeEntry> for RemoteFile {
    fn from(e: &TreeEntry) -> RemoteFile {
        RemoteFile {
            path: e.path.clone(),
            git_oid: e.oid.clone(),
            lfs_sha256: e.lfs.as_ref().map(|l| l.oid.clone()),
            size: e.size,
        }
    }
}

/// The remote side of a plan: a commit and its files.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RemoteState {
    /// The commit the files were listed at (the commit's `parentCommit`).
    pub commit: Option<String>,
    /// Files by path.
    pub files: BTreeMap<String, RemoteFile>,
}

impl RemoteState {
    /// Builds the state from a tree listing (directories are skipped).
    pub fn from_tree(commit: Option<String>, entries: &[TreeEntry]) -> RemoteState {
        let files = entries.iter().filter(|e| e.is_file()).map(|e| (e.path.clone(), RemoteFile::from(e))).collect();
        RemoteState { commit, files }
    }
}

/// Planning options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanOptions {
    /// Files at or above this size are LFS.
    pub lfs_threshold: u64,
    /// Delete remote files that no longer exist locally.
    pub delete: bool,
    /// Remote paths never deleted (huggingface_hub never deletes `.gitattributes`).
    pub keep: Vec<String>,
}

impl Default for PlanOptions {
    fn default() -> Self {
        PlanOptions { lfs_threshold: crate::config::DEFAULT_LFS_THRESHOLD, delete: true, keep: vec![".gitattributes".into()] }
    }
}

/// What an upload will do.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct UploadPlan {
    /// The remote head the plan was computed against (sent as `parentCommit`).
    pub parent_commit: Option<String>,
    /// Local files absent remotely.
    pub added: Vec<HashedFile>,
    /// Local files whose content differs.
    pub changed: Vec<HashedFile>,
    /// Paths identical on both sides.
    pub unchanged: Vec<String>,
    /// Remote paths absent locally (when deleting is on).
    pub deleted: Vec<String>,
}

impl UploadPlan {
    /// Nothing to send.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.changed.is_empty() && self.deleted.is_empty()
    }

    /// Added and changed files.
    pub fn to_send(&self) -> impl Iterator<Item = &HashedFile> {
        self.added.iter().chain(self.changed.iter())
    }

    /// Content bytes of the files to send.
    pub fn bytes_to_send(&self) -> u64 {
        self.to_send().map(|f| f.size).sum()
    }
}

/// Whether a file goes through LFS by the Hub's rules, as far as they can be known locally: non-empty and
/// at/above the threshold or binary (a NUL in the first 512 bytes). `.gitattributes` patterns are left to
/// the Hub's preupload answer.
pub fn is_lfs_candidate(size: u64, sample: &[u8], threshold: u64) -> bool {
    size > 0 && (size >= threshold || sample.contains(&0))
}

/// Lists `root` like an upload sees it (crates/spec's walker): `.gitignore` and `.git/info/exclude`
/// respected, `.git/` never included, symlinks not followed.
pub fn scan_folder(root: &Path) -> Result<Vec<LocalFile>> {
    let project = spacesmith_spec::project::load(root, 0).map_err(|e| {
        let kind = match e {
            spacesmith_spec::project::LoadError::Unreadable { .. } => ErrorKind::LocalIo,
            _ => ErrorKind::InvalidInput,
        };
        HubError::new(kind, format!("read the folder {}", root.display()), e.to_string())
    })?;
    Ok(project.files.into_iter().map(|f| LocalFile { abs: root.join(&f.path), path: f.path, size: f.size }).collect())
}

/// Hashes files with up to `threads` workers; the git sha1 is computed only below `lfs_threshold`.
pub fn hash_files(files: &[LocalFile], lfs_threshold: u64, threads: usize) -> Result<Vec<HashedFile>> {
    let next = AtomicUsize::new(0);
    let out: Mutex<Vec<Option<Result<HashedFile>>>> = Mutex::new((0..files.len()).map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..threads.clamp(1, files.len().max(1)) {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(f) = files.get(i) else { break };
                    let r = hash_one(f, lfs_threshold);
                    let failed = r.is_err();
                    out.lock().unwrap_or_else(|p| p.into_inner())[i] = Some(r);
                    if failed {
                        next.store(files.len(), Ordering::Relaxed);
                        break;
                    }
                }
            });
        }
    });
    let mut hashed = Vec::with_capacity(files.len());
    for r in out.into_inner().unwrap_or_else(|p| p.into_inner()).into_iter().flatten() {
        hashed.push(r?);
    }
    Ok(hashed)
}

fn hash_one(f: &LocalFile, threshold: u64) -> Result<HashedFile> {
    let d = digest_file(&f.abs, f.size < threshold).map_err(|e| {
        let kind = if e.kind() == std::io::ErrorKind::InvalidData { ErrorKind::FileChanged } else { ErrorKind::LocalIo };
        HubError::new(kind, format!("read {}", f.abs.display()), e.to_string())
            .with_hint("check the file is readable and not being written to")
    })?;
    Ok(HashedFile {
        lfs: is_lfs_candidate(d.size, &d.sample, threshold),
        path: f.path.clone(),
        abs: f.abs.clone(),
        size: d.size,
        sha256: d.sha256,
        git_oid: d.git_oid,
        sample: d.sample,
    })
}

/// Whether the local file has the same content as the remote one.
pub fn same_content(local: &HashedFile, remote: &RemoteFile) -> bool {
    match &remote.lfs_sha256 {
        Some(sha) => *sha == local.sha256,
        // Without a local sha1 (a big file) a regular remote file cannot be proven equal: resend it.
        None => local.git_oid.as_deref() == Some(remote.git_oid.as_str()),
    }
}

/// Compares local files with the remote state (pure).
pub fn diff(mut local: Vec<HashedFile>, remote: &RemoteState, opts: &PlanOptions) -> UploadPlan {
    local.sort_by(|a, b| a.path.cmp(&b.path));
    let mut plan = UploadPlan { parent_commit: remote.commit.clone(), ..UploadPlan::default() };
    for f in local {
        match remote.files.get(&f.path) {
            None => plan.added.push(f),
            Some(r) if same_content(&f, r) => plan.unchanged.push(f.path),
            Some(_) => plan.changed.push(f),
        }
    }
    if opts.delete {
        let present: std::collections::HashSet<&str> = plan
            .added
            .iter()
            .chain(&plan.changed)
            .map(|f| f.path.as_str())
            .chain(plan.unchanged.iter().map(String::as_str))
            .collect();
        plan.deleted = remote
            .files
            .keys()
            .filter(|p| !present.contains(p.as_str()) && !opts.keep.iter().any(|k| k == *p))
            .cloned()
            .collect();
    }
    plan
}

/// The remote head of `revision` and its files (listed at that exact commit, so the plan is consistent).
pub fn remote_state(api: &dyn HubApi, space: &SpaceId, revision: &str) -> Result<RemoteState> {
    let info = api.space_info(space, (revision != "main").then_some(revision))?;
    let at = info.sha.clone().unwrap_or_else(|| revision.to_string());
    let tree = api.list_tree(space, &at, None, true)?;
    Ok(RemoteState::from_tree(info.sha, &tree))
}

/// Scans, hashes and diffs `root` against the Space's `revision`.
pub fn plan_folder(api: &dyn HubApi, space: &SpaceId, root: &Path, revision: &str, opts: &PlanOptions) -> Result<UploadPlan> {
    plan_files(api, space, &scan_folder(root)?, revision, opts)
}

/// Hashes and diffs a given file list (e.g. a project the caller already loaded) against `revision`.
pub fn plan_files(
    api: &dyn HubApi,
    space: &SpaceId,
    files: &[LocalFile],
    revision: &str,
    opts: &PlanOptions,
) -> Result<UploadPlan> {
    let remote = remote_state(api, space, revision)?;
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()).min(8);
    let hashed = hash_files(files, opts.lfs_threshold, threads)?;
    Ok(diff(hashed, &remote, opts))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::{git_blob_oid, sha256_hex};

    fn local(path: &str, data: &[u8], threshold: u64) -> HashedFile {
        HashedFile {
            path: path.into(),
            abs: PathBuf::from(path),
            size: data.len() as u64,
            sha256: sha256_hex(data),
            git_oid: ((data.len() as u64) < threshold).then(|| git_blob_oid(data)),
            sample: data[..data.len().min(512)].to_vec(),
            lfs: is_lfs_candidate(data.len() as u64, data, threshold),
        }
    }

    fn regular(path: &str, data: &[u8]) -> RemoteFile {
        RemoteFile { path: path.into(), git_oid: git_blob_oid(data), lfs_sha256: None, size: data.len() as u64 }
    }

    fn lfs(path: &str, data: &[u8]) -> RemoteFile {
        RemoteFile {
            path: path.into(),
            git_oid: "pointer-oid".into(),
            lfs_sha256: Some(sha256_hex(data)),
            size: data.len() as u64,
        }
    }

    fn remote(files: Vec<RemoteFile>) -> RemoteState {
        RemoteState { commit: Some("c0ffee".into()), files: files.into_iter().map(|f| (f.path.clone(), f)).collect() }
    }

    fn paths(v: &[HashedFile]) -> Vec<&str> {
        v.iter().map(|f| f.path.as_str()).collect()
    }

    #[test]
    fn classifies_every_file() {
        let t = 100;
        let big = vec![7u8; 150];
        let r = remote(vec![
            regular(".gitattributes", b"*.bin filter=lfs"),
            regular("same.txt", b"same"),
            regular("edit.txt", b"old"),
            lfs("model.bin", &big),
            lfs("weights.bin", b"old weights"),
            regular("gone.txt", b"x"),
            regular("dir/gone.py", b"y"),
        ]);
        let mut big2 = big.clone();
        big2[0] = 8;
        let l = vec![
            local("same.txt", b"same", t),
            local("edit.txt", b"new", t),
            local("new.txt", b"n", t),
            local("model.bin", &big, t),
            local("weights.bin", &big2, t),
        ];
        let plan = diff(l, &r, &PlanOptions { lfs_threshold: t, ..PlanOptions::default() });
        assert_eq!(plan.parent_commit.as_deref(), Some("c0ffee"));
        assert_eq!(paths(&plan.added), ["new.txt"]);
        assert_eq!(paths(&plan.changed), ["edit.txt", "weights.bin"]);
        assert_eq!(plan.unchanged, ["model.bin", "same.txt"]);
        // `.gitattributes` is never deleted.
        assert_eq!(plan.deleted, ["dir/gone.py", "gone.txt"]);
        assert_eq!(plan.bytes_to_send(), 3 + 1 + 150);
        let keep = diff(vec![], &r, &PlanOptions { delete: false, ..PlanOptions::default() });
        assert!(keep.deleted.is_empty() && keep.is_empty());
    }

    #[test]
    fn content_comparison_rules() {
        // A regular file that became identical content in LFS form is unchanged (sha256 compared).
        assert!(same_content(&local("a", b"abc", 10), &lfs("a", b"abc")));
        // Big local file (no sha1) vs regular remote: cannot prove equality, so it is resent.
        assert!(!same_content(&local("a", b"abcdefghijkl", 10), &regular("a", b"abcdefghijkl")));
        assert!(same_content(&local("a", b"abc", 10), &regular("a", b"abc")));
    }

    #[test]
    fn lfs_rules() {
        assert!(!is_lfs_candidate(0, b"", 10));
        assert!(is_lfs_candidate(10, b"text", 10));
        assert!(!is_lfs_candidate(9, b"text", 10));
        assert!(is_lfs_candidate(3, b"a\0b", 10));
    }

    #[test]
    fn scans_and_hashes_a_folder() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join(".git/objects")).unwrap();
        std::fs::write(root.join(".git/HEAD"), "ref").unwrap();
        std::fs::create_dir_all(root.join("src/deep")).unwrap();
        std::fs::write(root.join(".gitignore"), "*.log\nbuild/\n").unwrap();
        std::fs::write(root.join("app.py"), "print(1)\n").unwrap();
        std::fs::write(root.join("debug.log"), "x").unwrap();
        std::fs::create_dir_all(root.join("build")).unwrap();
        std::fs::write(root.join("build/out"), "x").unwrap();
        std::fs::write(root.join("src/deep/data.bin"), [0u8, 1, 2]).unwrap();
        let files = scan_folder(root).unwrap();
        let names: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(names, [".gitignore", "app.py", "src/deep/data.bin"]);
        let hashed = hash_files(&files, 1024, 3).unwrap();
        assert_eq!(hashed[1].git_oid.as_deref(), Some(git_blob_oid(b"print(1)\n").as_str()));
        assert!(hashed[2].lfs && !hashed[1].lfs);
        let missing = scan_folder(&root.join("nope")).unwrap_err();
        assert_eq!(missing.code(), "INVALID_INPUT");
    }
}
