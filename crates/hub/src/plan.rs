//! Upload planning: which local files are added, changed, unchanged, and which remote files are deleted,
//! compared by content id (git blob sha1 for regular files, sha256 for LFS files, reference §3.7).
//!
//! [`diff`] is pure; [`scan_folder`] and [`hash_files`] touch the disk (streaming, bounded memory);
//! [`remote_state`] and [`plan_folder`] ask the Hub.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use serde::Serialize;

use crate::api::HubApi;
use crate::error::{ErrorKind, HubError, Result};
use crate::hash::{digest_bytes, digest_file};
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
    /// The whole content, when it was hashed from bytes the caller had already read (see
    /// [`hash_files_with`]): the commit sends these bytes instead of reading the file again.
    #[serde(skip)]
    pub contents: Option<std::sync::Arc<[u8]>>,
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
    /// Also delete remote files that the local ignore rules exclude (by default they are kept: a model
    /// added through the web UI and gitignored locally is not the user's to lose).
    pub delete_ignored: bool,
    /// Remote paths never deleted (huggingface_hub never deletes `.gitattributes`).
    pub keep: Vec<String>,
}

impl Default for PlanOptions {
    fn default() -> Self {
        PlanOptions {
            lfs_threshold: crate::config::DEFAULT_LFS_THRESHOLD,
            delete: true,
            delete_ignored: false,
            keep: vec![".gitattributes".into()],
        }
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
    /// Remote paths absent locally that the local ignore rules exclude, kept (deleting is on but
    /// `delete_ignored` is off).
    pub kept_ignored: Vec<String>,
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
    Ok(LoadedProject::new(&load_folder(root)?).files)
}

/// The walker's view of `root`, without file contents.
fn load_folder(root: &Path) -> Result<spacesmith_spec::project::Project> {
    let _t = crate::timing::span("plan.scan");
    spacesmith_spec::project::load(root, 0).map_err(|e| {
        let kind = match e {
            spacesmith_spec::project::LoadError::Unreadable { .. } => ErrorKind::LocalIo,
            _ => ErrorKind::InvalidInput,
        };
        HubError::new(kind, format!("read the folder {}", root.display()), e.to_string())
    })
}

/// Hashes files with up to `threads` workers; the git sha1 is computed only below `lfs_threshold`.
pub fn hash_files(files: &[LocalFile], lfs_threshold: u64, threads: usize) -> Result<Vec<HashedFile>> {
    hash_files_with(files, &[], lfs_threshold, threads)
}

/// [`hash_files`], taking the bytes of `files[i]` from `contents[i]` when given whole (a file the caller
/// already read: it is not read again); the others are streamed from disk.
pub fn hash_files_with(
    files: &[LocalFile],
    contents: &[Option<&[u8]>],
    lfs_threshold: u64,
    threads: usize,
) -> Result<Vec<HashedFile>> {
    let _t = crate::timing::span("plan.hash");
    let next = AtomicUsize::new(0);
    let kept = AtomicU64::new(0);
    let out: Mutex<Vec<Option<Result<HashedFile>>>> = Mutex::new((0..files.len()).map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..threads.clamp(1, files.len().max(1)) {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(f) = files.get(i) else { break };
                    let r = hash_one(f, contents.get(i).copied().flatten(), lfs_threshold, &kept);
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

/// Bytes of inline-sized files kept in memory for the commit, at most (past it they are read again).
const KEEP_CONTENTS: u64 = 32 << 20;

fn hash_one(f: &LocalFile, data: Option<&[u8]>, threshold: u64, kept: &AtomicU64) -> Result<HashedFile> {
    let data = data.filter(|d| d.len() as u64 == f.size);
    let keep = data.filter(|d| {
        let n = d.len() as u64;
        n < threshold && kept.fetch_add(n, Ordering::Relaxed) + n <= KEEP_CONTENTS
    });
    let d = match data {
        Some(d) => digest_bytes(d, f.size < threshold),
        None => digest_file(&f.abs, f.size < threshold).map_err(|e| {
            let kind = if e.kind() == std::io::ErrorKind::InvalidData { ErrorKind::FileChanged } else { ErrorKind::LocalIo };
            HubError::new(kind, format!("read {}", f.abs.display()), e.to_string())
                .with_hint("check the file is readable and not being written to")
        })?,
    };
    Ok(HashedFile {
        lfs: is_lfs_candidate(d.size, &d.sample, threshold),
        path: f.path.clone(),
        abs: f.abs.clone(),
        size: d.size,
        sha256: d.sha256,
        git_oid: d.git_oid,
        sample: d.sample,
        contents: keep.map(std::sync::Arc::from),
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

/// Compares local files with the remote state (pure), knowing no local ignore rules: see [`diff_ignoring`].
pub fn diff(local: Vec<HashedFile>, remote: &RemoteState, opts: &PlanOptions) -> UploadPlan {
    diff_ignoring(local, remote, opts, &|_| false)
}

/// Compares local files with the remote state (pure). A remote-only path for which `ignored` is true (the
/// local project ignores it) is kept unless `opts.delete_ignored`.
pub fn diff_ignoring(
    mut local: Vec<HashedFile>,
    remote: &RemoteState,
    opts: &PlanOptions,
    ignored: &dyn Fn(&str) -> bool,
) -> UploadPlan {
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
        let gone = remote.files.keys().filter(|p| !present.contains(p.as_str()) && !opts.keep.iter().any(|k| k == *p));
        for p in gone {
            if !opts.delete_ignored && ignored(p) {
                plan.kept_ignored.push(p.clone());
            } else {
                plan.deleted.push(p.clone());
            }
        }
    }
    plan
}

/// The first line of a Git LFS pointer file (git-lfs `docs/spec.md`).
const LFS_POINTER_VERSION: &[u8] = b"version https://git-lfs.github.com/spec/v1\n";
/// git-lfs never treats a blob of 1024 bytes or more as a pointer.
const LFS_POINTER_MAX: u64 = 1024;

/// Whether `content` is a Git LFS pointer: the version line, then `oid sha256:<64 hex>` and `size <n>`.
pub fn is_lfs_pointer(content: &[u8]) -> bool {
    let Some(rest) = content.strip_prefix(LFS_POINTER_VERSION) else { return false };
    let Ok(text) = std::str::from_utf8(rest) else { return false };
    let mut oid = false;
    let mut size = false;
    for line in text.lines() {
        if let Some(hex) = line.strip_prefix("oid sha256:") {
            oid = hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit());
        } else if let Some(n) = line.strip_prefix("size ") {
            size = !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit());
        }
    }
    oid && size
}

/// The files that are Git LFS pointers rather than content (a checkout made without `git lfs`), taking
/// the bytes of `files[i]` from `contents[i]` when given whole. Only files under git-lfs' 1024-byte limit
/// are read.
pub fn lfs_pointers(files: &[LocalFile], contents: &[Option<&[u8]>]) -> Result<Vec<String>> {
    use std::io::Read;
    let mut found = Vec::new();
    for (i, f) in files.iter().enumerate() {
        if f.size >= LFS_POINTER_MAX || f.size <= LFS_POINTER_VERSION.len() as u64 {
            continue;
        }
        let mut content = Vec::new();
        let bytes = match contents.get(i).copied().flatten().filter(|c| c.len() as u64 == f.size) {
            Some(c) => c,
            None => {
                std::fs::File::open(&f.abs)
                    .and_then(|file| file.take(LFS_POINTER_MAX).read_to_end(&mut content))
                    .map_err(|e| HubError::new(ErrorKind::LocalIo, format!("read {}", f.abs.display()), e.to_string()))?;
                &content
            }
        };
        if is_lfs_pointer(bytes) {
            found.push(f.path.clone());
        }
    }
    Ok(found)
}

/// Refuses Git LFS pointer files among `files` (see [`lfs_pointers`]): uploading them would replace the
/// real content on the Hub.
pub fn refuse_lfs_pointers(files: &[LocalFile], contents: &[Option<&[u8]>]) -> Result<()> {
    let found = lfs_pointers(files, contents)?;
    if found.is_empty() {
        return Ok(());
    }
    const SHOWN: usize = 20;
    let mut list = found.iter().take(SHOWN).cloned().collect::<Vec<_>>().join(", ");
    if found.len() > SHOWN {
        list.push_str(&format!(" and {} more", found.len() - SHOWN));
    }
    Err(HubError::new(
        ErrorKind::LfsPointer,
        "check the files to upload",
        format!("{} file(s) are Git LFS pointers, not their content: {list}; uploading them would replace the real files on the Hub", found.len()),
    )
    .with_hint(
        "fetch the content first: `git lfs install && git lfs pull` in the checkout; in GitHub Actions, check out with `actions/checkout` and `lfs: true`",
    ))
}

/// The remote head of `revision` and its files (listed at that exact commit, so the plan is consistent).
pub fn remote_state(api: &dyn HubApi, space: &SpaceId, revision: &str) -> Result<RemoteState> {
    let _t = crate::timing::span("plan.remote_state");
    let info = api.space_info(space, (revision != "main").then_some(revision))?;
    let at = info.sha.clone().unwrap_or_else(|| revision.to_string());
    let tree = api.list_tree(space, &at, None, true)?;
    Ok(RemoteState::from_tree(info.sha, &tree))
}

/// Scans, hashes and diffs `root` against the Space's `revision`. Remote files that `root`'s ignore rules
/// exclude are kept unless `opts.delete_ignored`; Git LFS pointer files are refused.
pub fn plan_folder(api: &dyn HubApi, space: &SpaceId, root: &Path, revision: &str, opts: &PlanOptions) -> Result<UploadPlan> {
    LoadedProject::new(&load_folder(root)?).plan(api, space, revision, opts)
}

fn hash_threads() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get()).min(8)
}

/// A project the caller already loaded (`spacesmith_spec::project::load`, as deploy does to validate it):
/// its files as an upload sees them (the same walker as [`scan_folder`]), with the bytes of the ones it
/// read whole. Planning from it neither walks the folder again nor re-reads those files; the commit still
/// reads every inline file from disk and checks it against the planned oid.
pub struct LoadedProject<'p> {
    /// The folder.
    pub root: PathBuf,
    /// Every file to upload, sorted by path.
    pub files: Vec<LocalFile>,
    contents: Vec<Option<&'p [u8]>>,
}

impl<'p> LoadedProject<'p> {
    /// Borrows `project`'s file contents (text files up to its cap, read whole).
    pub fn new(project: &'p spacesmith_spec::project::Project) -> LoadedProject<'p> {
        let root = project.root.clone();
        let files =
            project.files.iter().map(|f| LocalFile { abs: root.join(&f.path), path: f.path.clone(), size: f.size }).collect();
        let contents = project
            .files
            .iter()
            .map(|f| (!f.binary && !f.truncated && f.contents.len() as u64 == f.size).then_some(f.contents.as_slice()))
            .collect();
        LoadedProject { root, files, contents }
    }

    /// Refuses Git LFS pointer files, like [`refuse_lfs_pointers`].
    pub fn refuse_lfs_pointers(&self) -> Result<()> {
        refuse_lfs_pointers(&self.files, &self.contents)
    }

    /// [`plan_folder`] for this project: pointer files refused (before the Hub is asked anything), remote
    /// files the project's ignore rules exclude kept unless `opts.delete_ignored`.
    pub fn plan(&self, api: &dyn HubApi, space: &SpaceId, revision: &str, opts: &PlanOptions) -> Result<UploadPlan> {
        self.refuse_lfs_pointers()?;
        let remote = remote_state(api, space, revision)?;
        self.diff(&remote, opts)
    }

    /// What uploading this project onto `remote` would do, e.g. a dry run before the Space exists (an empty
    /// [`RemoteState`]); pointer files refused.
    pub fn plan_against(&self, remote: &RemoteState, opts: &PlanOptions) -> Result<UploadPlan> {
        self.refuse_lfs_pointers()?;
        self.diff(remote, opts)
    }

    fn diff(&self, remote: &RemoteState, opts: &PlanOptions) -> Result<UploadPlan> {
        let rules = spacesmith_spec::project::IgnoreRules::new(&self.root);
        let hashed = hash_files_with(&self.files, &self.contents, opts.lfs_threshold, hash_threads())?;
        Ok(diff_ignoring(hashed, remote, opts, &|p| rules.is_ignored(p)))
    }
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
            contents: None,
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
    fn remote_files_ignored_locally_are_kept_unless_asked() {
        let r = remote(vec![
            regular("app.py", b"old"),
            lfs("models/big.safetensors", b"weights"),
            lfs("extra.bin", b"blob"),
            regular("gone.txt", b"x"),
            regular(".gitattributes", b"*.bin filter=lfs"),
        ]);
        let l = vec![local("app.py", b"new", 100)];
        let ignored = |p: &str| p.starts_with("models/") || p.ends_with(".bin");
        let plan = diff_ignoring(l.clone(), &r, &PlanOptions::default(), &ignored);
        assert_eq!(plan.deleted, ["gone.txt"]);
        assert_eq!(plan.kept_ignored, ["extra.bin", "models/big.safetensors"]);
        let all = diff_ignoring(l.clone(), &r, &PlanOptions { delete_ignored: true, ..PlanOptions::default() }, &ignored);
        assert_eq!(all.deleted, ["extra.bin", "gone.txt", "models/big.safetensors"]);
        assert!(all.kept_ignored.is_empty());
        // --no-delete keeps everything and has nothing to report as kept-because-ignored.
        let none = diff_ignoring(l, &r, &PlanOptions { delete: false, ..PlanOptions::default() }, &ignored);
        assert!(none.deleted.is_empty() && none.kept_ignored.is_empty());
    }

    /// What deploy's dry run does before the Space exists, from a folder on disk.
    fn plan_against(root: &Path, remote: &RemoteState, opts: &PlanOptions) -> Result<UploadPlan> {
        LoadedProject::new(&load_folder(root)?).plan_against(remote, opts)
    }

    #[test]
    fn plan_against_uses_the_folders_ignore_rules() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join(".gitignore"), "*.safetensors\ncache/\n").unwrap();
        std::fs::write(root.join("app.py"), "print(1)\n").unwrap();
        let r = remote(vec![
            regular("app.py", b"print(1)\n"),
            lfs("model.safetensors", b"w"),
            regular("cache/x", b"c"),
            regular("old.py", b"o"),
        ]);
        let plan = plan_against(root, &r, &PlanOptions::default()).unwrap();
        assert_eq!(plan.deleted, ["old.py"]);
        assert_eq!(plan.kept_ignored, ["cache/x", "model.safetensors"]);
        assert_eq!(plan.unchanged, ["app.py"]);
    }

    const POINTER: &str = "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n";

    #[test]
    fn lfs_pointer_detection() {
        assert!(is_lfs_pointer(POINTER.as_bytes()));
        // An extension line (sorted before oid) is still a pointer.
        let ext = POINTER.replace("oid", "ext-0-foo sha256:00\noid");
        assert!(is_lfs_pointer(ext.as_bytes()));
        assert!(!is_lfs_pointer(b"version https://git-lfs.github.com/spec/v1\nsize 3\n"));
        assert!(!is_lfs_pointer(POINTER.replace("sha256:4d7a", "sha256:zz7a").as_bytes()));
        assert!(!is_lfs_pointer(POINTER.replace("size 12345", "size x").as_bytes()));
        assert!(!is_lfs_pointer(format!("# notes\n{POINTER}").as_bytes()));
        assert!(!is_lfs_pointer(b"print('hello')\n"));
    }

    #[test]
    fn folders_with_pointer_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join("app.py"), "print(1)\n").unwrap();
        std::fs::create_dir_all(root.join("models")).unwrap();
        std::fs::write(root.join("models/model.bin"), POINTER).unwrap();
        // Between the 512-byte sample and git-lfs' 1024-byte limit the file is read whole.
        let long = POINTER.replace("size", &format!("ext-9-pad {}\nsize", "a".repeat(600)));
        assert!(long.len() > 512 && long.len() < 1024);
        std::fs::write(root.join("long.bin"), &long).unwrap();
        // Documentation that quotes a pointer is not one.
        std::fs::write(root.join("NOTES.md"), format!("Example:\n{POINTER}")).unwrap();
        let e = plan_against(root, &RemoteState::default(), &PlanOptions::default()).unwrap_err();
        assert_eq!(e.code(), "LFS_POINTER_FILES");
        let text = e.to_string();
        assert!(text.contains("long.bin, models/model.bin"), "{text}");
        assert!(!text.contains("NOTES.md") && !text.contains("app.py"), "{text}");
        assert!(text.contains("git lfs install && git lfs pull") && text.contains("lfs: true"), "{text}");
        std::fs::remove_file(root.join("models/model.bin")).unwrap();
        std::fs::remove_file(root.join("long.bin")).unwrap();
        assert!(plan_against(root, &RemoteState::default(), &PlanOptions::default()).is_ok());
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

    #[test]
    fn a_loaded_project_hashes_from_memory_like_the_disk_scan() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join(".gitignore"), "*.log\n").unwrap();
        std::fs::write(root.join("app.py"), "print(1)\n").unwrap();
        std::fs::write(root.join("empty.txt"), "").unwrap();
        std::fs::write(root.join("debug.log"), "x").unwrap();
        std::fs::write(root.join("data.bin"), [0u8, 1, 2, 3]).unwrap();
        std::fs::write(root.join("big.txt"), "y".repeat(3000)).unwrap();
        let project = spacesmith_spec::project::load(root, 2048).unwrap();
        let loaded = LoadedProject::new(&project);
        assert_eq!(loaded.files, scan_folder(root).unwrap());
        let from_disk = hash_files(&loaded.files, 1024, 2).unwrap();
        let from_memory = hash_files_with(&loaded.files, &loaded.contents, 1024, 2).unwrap();
        let ids =
            |v: &[HashedFile]| v.iter().map(|f| (f.path.clone(), f.sha256.clone(), f.git_oid.clone(), f.lfs)).collect::<Vec<_>>();
        assert_eq!(ids(&from_memory), ids(&from_disk));
        let kept: Vec<&str> = from_memory.iter().filter(|f| f.contents.is_some()).map(|f| f.path.as_str()).collect();
        // Text read whole and below the LFS threshold is kept for the commit; binary and big files are not.
        assert_eq!(kept, [".gitignore", "app.py", "empty.txt"]);
        assert!(from_disk.iter().all(|f| f.contents.is_none()));
        assert_eq!(from_memory[1].contents.as_deref(), Some(&b"print(1)\n"[..]));
        loaded.refuse_lfs_pointers().unwrap();

        // A pointer file is found in the loaded bytes too.
        std::fs::write(
            root.join("model.safetensors"),
            format!("version https://git-lfs.github.com/spec/v1\noid sha256:{}\nsize 12\n", "a".repeat(64)),
        )
        .unwrap();
        let project = spacesmith_spec::project::load(root, 2048).unwrap();
        let e = LoadedProject::new(&project).refuse_lfs_pointers().unwrap_err();
        assert!(e.to_string().contains("model.safetensors"), "{e}");
    }
}
