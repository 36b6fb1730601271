//! The emulator's data model: repos with real git-style commits (flat file maps plus computed tree ids), refs,
//! LFS objects, and for Spaces the runtime, settings, secrets, variables and log buffers. This is what gets
//! persisted as `state.json` under `--data-dir`.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::hash::{self, TreeInput};
use crate::logbuf::LogHandle;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RepoType {
    Model,
    Dataset,
    Space,
}

impl RepoType {
    pub fn from_singular(s: &str) -> Option<RepoType> {
        match s {
            "model" => Some(RepoType::Model),
            "dataset" => Some(RepoType::Dataset),
            "space" => Some(RepoType::Space),
            _ => None,
        }
    }
    pub fn from_plural(s: &str) -> Option<RepoType> {
        match s {
            "models" => Some(RepoType::Model),
            "datasets" => Some(RepoType::Dataset),
            "spaces" => Some(RepoType::Space),
            _ => None,
        }
    }
    pub fn singular(self) -> &'static str {
        match self {
            RepoType::Model => "model",
            RepoType::Dataset => "dataset",
            RepoType::Space => "space",
        }
    }
    pub fn plural(self) -> &'static str {
        match self {
            RepoType::Model => "models",
            RepoType::Dataset => "datasets",
            RepoType::Space => "spaces",
        }
    }
    /// Prefix of web, resolve and LFS URLs (reference §0.1).
    pub fn url_prefix(self) -> &'static str {
        match self {
            RepoType::Model => "",
            RepoType::Dataset => "datasets/",
            RepoType::Space => "spaces/",
        }
    }
}

/// Identifies a repo: its type and `namespace/name`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RepoKey {
    pub repo_type: RepoType,
    pub id: String,
}

impl RepoKey {
    pub fn new(repo_type: RepoType, id: impl Into<String>) -> RepoKey {
        RepoKey { repo_type, id: id.into() }
    }
    pub fn namespace(&self) -> &str {
        self.id.split('/').next().unwrap_or("")
    }
    pub fn name(&self) -> &str {
        self.id.split('/').nth(1).unwrap_or("")
    }
    /// `spaces/ns/name`: the key used in `state.json` and the control API.
    pub fn display(&self) -> String {
        format!("{}/{}", self.repo_type.plural(), self.id)
    }
}

/// One file in a commit's tree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileEntry {
    pub size: u64,
    /// sha256 of the content: the blob-store key, and the LFS oid for LFS files.
    pub sha256: String,
    /// Git blob oid: of the content for regular files, of the LFS pointer for LFS files.
    pub oid: String,
    pub lfs: bool,
}

impl FileEntry {
    pub fn regular(content: &[u8], sha256: String) -> FileEntry {
        FileEntry { size: content.len() as u64, sha256, oid: hash::git_blob_oid(content), lfs: false }
    }
    pub fn lfs(sha256: String, size: u64) -> FileEntry {
        let pointer = hash::lfs_pointer(&sha256, size);
        FileEntry { size, oid: hash::git_blob_oid(pointer.as_bytes()), sha256, lfs: true }
    }
    pub fn pointer_size(&self) -> u64 {
        hash::lfs_pointer(&self.sha256, self.size).len() as u64
    }
    /// The oid preupload reports and clients compare with: sha256 for LFS, git blob oid otherwise.
    pub fn compare_oid(&self) -> &str {
        if self.lfs { &self.sha256 } else { &self.oid }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Commit {
    pub id: String,
    pub parents: Vec<String>,
    pub title: String,
    pub message: String,
    pub author: String,
    pub date_ms: u64,
    pub files: BTreeMap<String, FileEntry>,
    pub tree_oid: String,
    /// Oid of every directory, keyed by path without trailing slash.
    pub dir_oids: BTreeMap<String, String>,
}

impl Commit {
    pub fn build(
        parents: Vec<String>,
        title: &str,
        description: &str,
        author: &str,
        date_ms: u64,
        files: BTreeMap<String, FileEntry>,
    ) -> Commit {
        let (tree_oid, dir_oids) = hash::tree_oids(files.iter().map(|(p, e)| TreeInput { path: p, oid: &e.oid }));
        let message = if description.is_empty() { title.to_string() } else { format!("{title}\n\n{description}") };
        let id = hash::commit_oid(&tree_oid, &parents, author, date_ms, &message);
        Commit { id, parents, title: title.to_string(), message, author: author.to_string(), date_ms, files, tree_oid, dir_oids }
    }
}

/// Who can see a repo (reference §2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    Public,
    Private,
    Protected,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Secret {
    pub value: String,
    pub description: Option<String>,
    pub updated_ms: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Variable {
    pub value: String,
    pub description: Option<String>,
    pub updated_ms: u64,
}

#[derive(Clone, Serialize, Deserialize)]
pub struct SpaceState {
    pub sdk: String,
    /// The requested flavor.
    pub hardware: String,
    /// The flavor the app currently runs on (null unless the app is up).
    pub current_hardware: Option<String>,
    pub sleep_time: Option<i64>,
    pub stage: String,
    pub error_message: Option<String>,
    pub dev_mode: bool,
    pub volumes: Option<Value>,
    pub secrets: BTreeMap<String, Secret>,
    pub variables: BTreeMap<String, Variable>,
    /// Bumped whenever a build/run starts or stops; simulation tasks with an older generation stand down.
    pub generation: u64,
    /// Whether the last completed build of `built_sha` succeeded (a plain restart then skips the build).
    pub last_build_ok: bool,
    pub built_sha: Option<String>,
    pub build_log: LogHandle,
    pub run_log: LogHandle,
}

#[derive(Clone, Serialize, Deserialize)]
pub struct Repo {
    pub repo_type: RepoType,
    pub id: String,
    pub owner: String,
    /// Files hidden from everyone but the owner (true for `private` and `protected`).
    pub private: bool,
    /// `protected` (Spaces only): private files, public app.
    #[serde(default)]
    pub protected: bool,
    /// `false`, `"auto"` or `"manual"`.
    pub gated: Value,
    pub created_ms: u64,
    pub last_modified_ms: u64,
    /// `main`, other branches, and `refs/pr/N`, each to a commit id.
    pub refs: BTreeMap<String, String>,
    pub commits: HashMap<String, Commit>,
    pub next_discussion: u64,
    /// LFS objects (sha256) uploaded to or referenced by this repo.
    pub lfs_objects: BTreeSet<String>,
    pub space: Option<SpaceState>,
}

impl Repo {
    pub fn key(&self) -> RepoKey {
        RepoKey::new(self.repo_type, self.id.clone())
    }

    /// `public`, `private` or `protected`.
    pub fn visibility(&self) -> &'static str {
        match (self.private, self.protected) {
            (false, _) => "public",
            (true, false) => "private",
            (true, true) => "protected",
        }
    }

    pub fn set_visibility(&mut self, v: Visibility) {
        self.private = v != Visibility::Public;
        self.protected = v == Visibility::Protected;
    }

    /// Resolves a branch, `refs/pr/N`, `refs/heads/X` or a full/short commit id.
    pub fn resolve(&self, rev: &str) -> Option<&Commit> {
        let rev = rev.strip_prefix("refs/heads/").unwrap_or(rev);
        if let Some(id) = self.refs.get(rev) {
            return self.commits.get(id);
        }
        if let Some(c) = self.commits.get(rev) {
            return Some(c);
        }
        if rev.len() >= 7 && rev.len() < 40 && rev.bytes().all(|b| b.is_ascii_hexdigit()) {
            let mut it = self.commits.values().filter(|c| c.id.starts_with(rev));
            if let (Some(c), None) = (it.next(), it.next()) {
                return Some(c);
            }
        }
        None
    }

    pub fn head(&self) -> Option<&Commit> {
        self.refs.get("main").and_then(|id| self.commits.get(id))
    }

    /// First-parent history from `commit`, newest first.
    pub fn history<'a>(&'a self, commit: &'a Commit) -> Vec<&'a Commit> {
        let mut out = vec![commit];
        let mut cur = commit;
        while let Some(p) = cur.parents.first().and_then(|p| self.commits.get(p)) {
            out.push(p);
            cur = p;
        }
        out
    }

    pub fn used_storage(&self) -> u64 {
        self.head().map(|c| c.files.values().map(|f| f.size).sum()).unwrap_or(0)
    }
}

/// Everything persisted.
#[derive(Default, Serialize, Deserialize)]
pub struct State {
    /// Keyed by `RepoKey::display()`.
    pub repos: BTreeMap<String, Repo>,
    /// Hex secret used to sign Space JWTs (kept across restarts so issued tokens stay valid).
    #[serde(default)]
    pub jwt_secret: String,
}

impl State {
    pub fn get(&self, key: &RepoKey) -> Option<&Repo> {
        self.repos.get(&key.display())
    }
    pub fn get_mut(&mut self, key: &RepoKey) -> Option<&mut Repo> {
        self.repos.get_mut(&key.display())
    }
}
