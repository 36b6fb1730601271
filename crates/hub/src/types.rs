//! The Hub's JSON shapes (reference §1–§4), as this client reads and writes them. Unknown fields are
//! ignored; absent optional fields default, so newer Hub answers keep parsing.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::auth::Token;

/// `GET /api/whoami-v2`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WhoAmI {
    /// User (or org/app) name: the default namespace.
    pub name: String,
    /// "user", "org" or "app".
    #[serde(rename = "type", default)]
    pub kind: String,
    /// Display name.
    #[serde(default)]
    pub fullname: Option<String>,
    /// PRO plan.
    #[serde(rename = "isPro", default)]
    pub is_pro: Option<bool>,
    /// Organisations the user belongs to.
    #[serde(default)]
    pub orgs: Vec<OrgRef>,
    /// Token information.
    #[serde(default)]
    pub auth: Option<WhoAmIAuth>,
}

/// An organisation in [`WhoAmI::orgs`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrgRef {
    /// Organisation name.
    pub name: String,
}

/// `auth` in [`WhoAmI`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WhoAmIAuth {
    /// The token's metadata (never the token).
    #[serde(rename = "accessToken", default)]
    pub access_token: Option<AccessTokenInfo>,
}

/// Token metadata.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccessTokenInfo {
    /// Name the user gave the token.
    #[serde(rename = "displayName", default)]
    pub display_name: Option<String>,
    /// "read", "write" or "fineGrained".
    #[serde(default)]
    pub role: Option<String>,
}

/// A secret value: never printed by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretValue(String);

impl SecretValue {
    /// Wraps a value.
    pub fn new(v: impl Into<String>) -> SecretValue {
        SecretValue(v.into())
    }
    /// The value, for the request body only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretValue(redacted)")
    }
}

/// A Space secret to set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretEntry {
    /// Name (letters, digits, `_`).
    pub key: String,
    /// Value (write-only on the Hub).
    pub value: SecretValue,
    /// Optional description.
    pub description: Option<String>,
}

/// A Space variable to set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariableEntry {
    /// Name.
    pub key: String,
    /// Value (readable by anyone who can read the Space settings).
    pub value: String,
    /// Optional description.
    pub description: Option<String>,
}

/// Options of `create_space` (reference §2.1). Private by default (DESIGN §6).
#[derive(Debug, Clone, PartialEq)]
pub struct CreateSpace {
    /// `gradio`, `docker`, `static` (or legacy `streamlit`).
    pub sdk: String,
    /// Private (default) or public.
    pub private: bool,
    /// Hardware flavor, e.g. `cpu-basic`.
    pub hardware: Option<String>,
    /// Seconds of inactivity before sleeping; -1 never.
    pub sleep_time: Option<i64>,
    /// Secrets set at creation.
    pub secrets: Vec<SecretEntry>,
    /// Variables set at creation.
    pub variables: Vec<VariableEntry>,
    /// An existing Space is fine (its settings are then left unchanged, as on the Hub).
    pub exist_ok: bool,
}

impl CreateSpace {
    /// A private Space with this SDK and nothing else set.
    pub fn new(sdk: &str) -> CreateSpace {
        CreateSpace {
            sdk: sdk.to_string(),
            private: true,
            hardware: None,
            sleep_time: None,
            secrets: Vec::new(),
            variables: Vec::new(),
            exist_ok: false,
        }
    }
}

/// Result of `create_space`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CreatedSpace {
    /// Web URL of the Space.
    pub url: String,
    /// False when it already existed (`exist_ok`): settings were not applied.
    pub created: bool,
}

/// `hardware` in [`SpaceRuntime`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuntimeHardware {
    /// Flavor the app runs on now (null unless up).
    #[serde(default)]
    pub current: Option<String>,
    /// Flavor asked for.
    #[serde(default)]
    pub requested: Option<String>,
}

/// `GET /api/spaces/{id}/runtime` (reference §4.5).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpaceRuntime {
    /// Stage, e.g. `BUILDING`, `RUNNING`, `BUILD_ERROR` (unknown strings are kept).
    pub stage: String,
    /// Current and requested hardware.
    #[serde(default)]
    pub hardware: RuntimeHardware,
    /// Sleep time in seconds.
    #[serde(rename = "gcTimeout", default)]
    pub gc_timeout: Option<i64>,
    /// Dev mode.
    #[serde(rename = "devMode", default)]
    pub dev_mode: Option<bool>,
    /// Why the Space failed, when it did.
    #[serde(rename = "errorMessage", default)]
    pub error_message: Option<String>,
    /// The commit being built or run (not documented by the Hub; absent on some answers).
    #[serde(default)]
    pub sha: Option<String>,
    /// Every other field, as sent.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

/// A file in [`SpaceInfo::siblings`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sibling {
    /// Path in the repo.
    pub rfilename: String,
}

/// `GET /api/spaces/{id}` (reference §2.6).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpaceInfo {
    /// `owner/name`.
    pub id: String,
    /// Owner.
    #[serde(default)]
    pub author: Option<String>,
    /// Head commit of the default branch.
    #[serde(default)]
    pub sha: Option<String>,
    /// Private Space.
    #[serde(default)]
    pub private: bool,
    /// Disabled by the Hub.
    #[serde(default)]
    pub disabled: bool,
    /// SDK.
    #[serde(default)]
    pub sdk: Option<String>,
    /// App URL, e.g. `https://alice-demo.hf.space`.
    #[serde(default)]
    pub host: Option<String>,
    /// Last change.
    #[serde(rename = "lastModified", default)]
    pub last_modified: Option<String>,
    /// Runtime, when included.
    #[serde(default)]
    pub runtime: Option<SpaceRuntime>,
    /// Files at the head.
    #[serde(default)]
    pub siblings: Vec<Sibling>,
}

/// LFS pointer information of a tree entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LfsPointer {
    /// sha256 of the content.
    pub oid: String,
    /// Content size.
    pub size: u64,
    /// Size of the pointer file.
    #[serde(rename = "pointerSize", default)]
    pub pointer_size: u64,
}

/// One entry of a tree listing or paths-info answer (reference §3.5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TreeEntry {
    /// "file" or "directory".
    #[serde(rename = "type")]
    pub kind: String,
    /// Path in the repo.
    pub path: String,
    /// Git blob sha1 (of the pointer, for LFS files) or tree sha1.
    pub oid: String,
    /// Content size (0 for directories).
    #[serde(default)]
    pub size: u64,
    /// Present for LFS files.
    #[serde(default)]
    pub lfs: Option<LfsPointer>,
}

impl TreeEntry {
    /// Whether this is a file (not a directory).
    pub fn is_file(&self) -> bool {
        self.kind == "file"
    }
}

/// How the Hub wants a file uploaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UploadMode {
    /// Inline in the commit (base64).
    Regular,
    /// Through the LFS batch API, then an `lfsFile` commit line.
    Lfs,
}

/// One file sent to preupload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreuploadFile {
    /// Path in the repo.
    pub path: String,
    /// First ≤ 512 bytes.
    pub sample: Vec<u8>,
    /// Full size.
    pub size: u64,
}

/// One file of the preupload answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreuploadAnswer {
    /// Path as sent.
    pub path: String,
    /// Regular or LFS.
    #[serde(rename = "uploadMode")]
    pub upload_mode: UploadMode,
    /// Ignored by the repo's `.gitignore`: leave it out of the commit.
    #[serde(rename = "shouldIgnore", default)]
    pub should_ignore: bool,
    /// Remote oid at that path (sha1 for regular, sha256 for LFS), if any.
    #[serde(default)]
    pub oid: Option<String>,
}

/// Where an inline file's bytes come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileSource {
    /// In memory.
    Bytes(Vec<u8>),
    /// Read from disk when the commit body is streamed; checked against `git_oid` if given.
    Path {
        /// File on disk.
        abs: PathBuf,
        /// Expected size.
        size: u64,
        /// Expected git blob sha1, to detect a file changed since planning.
        git_oid: Option<String>,
    },
}

/// One operation of a commit (reference §3.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommitOp {
    /// Inline file (`file` line, base64).
    File {
        /// Path in the repo.
        path: String,
        /// Content.
        source: FileSource,
    },
    /// Already uploaded LFS object (`lfsFile` line).
    LfsFile {
        /// Path in the repo.
        path: String,
        /// sha256.
        oid: String,
        /// Size.
        size: u64,
    },
    /// `deletedFile` line.
    DeleteFile {
        /// Path in the repo.
        path: String,
    },
    /// `deletedFolder` line.
    DeleteFolder {
        /// Folder path in the repo.
        path: String,
    },
}

/// A commit to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitRequest {
    /// Title (required, non-empty).
    pub summary: String,
    /// Body (may be empty).
    pub description: String,
    /// Expected head: the Hub refuses the commit if the branch moved (optimistic concurrency).
    pub parent_commit: Option<String>,
    /// Open a pull request instead of committing to the branch.
    pub create_pr: bool,
    /// The operations, applied atomically.
    pub ops: Vec<CommitOp>,
}

/// The commit answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitInfo {
    /// New commit sha.
    #[serde(rename = "commitOid")]
    pub oid: String,
    /// Web URL of the commit.
    #[serde(rename = "commitUrl", default)]
    pub url: String,
    /// Pull request URL, with `create_pr`.
    #[serde(rename = "pullRequestUrl", default)]
    pub pr_url: Option<String>,
}

/// An object for the LFS batch API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LfsObject {
    /// sha256.
    pub oid: String,
    /// Size.
    pub size: u64,
}

/// One action (upload or verify) of an LFS batch answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LfsAction {
    /// Target URL.
    pub href: String,
    /// Headers to send; for multipart uploads `chunk_size` and the part URLs `"1"`, `"2"`, ...
    #[serde(default)]
    pub header: BTreeMap<String, serde_json::Value>,
}

/// `actions` of an LFS batch object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LfsActions {
    /// Where to upload.
    #[serde(default)]
    pub upload: Option<LfsAction>,
    /// Where to confirm the upload.
    #[serde(default)]
    pub verify: Option<LfsAction>,
}

/// An object refused by the LFS server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LfsObjectError {
    /// Numeric code.
    #[serde(default)]
    pub code: i64,
    /// Message.
    #[serde(default)]
    pub message: String,
}

/// One object of an LFS batch answer; no `actions` means "already stored".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LfsObjectAnswer {
    /// sha256.
    pub oid: String,
    /// Size.
    #[serde(default)]
    pub size: u64,
    /// What to do, if anything.
    #[serde(default)]
    pub actions: Option<LfsActions>,
    /// Refusal.
    #[serde(default)]
    pub error: Option<LfsObjectError>,
}

/// The LFS batch answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LfsBatchAnswer {
    /// Transfer chosen by the server.
    #[serde(default)]
    pub transfer: Option<String>,
    /// Per-object answers.
    #[serde(default)]
    pub objects: Vec<LfsObjectAnswer>,
}

/// One uploaded part of a multipart LFS upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LfsPart {
    /// 1-based part number.
    #[serde(rename = "partNumber")]
    pub part_number: u32,
    /// `ETag` answered by the storage.
    pub etag: String,
}

/// A byte range of a local file, streamed as a request body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSlice {
    /// File on disk.
    pub path: PathBuf,
    /// First byte.
    pub offset: u64,
    /// Length.
    pub len: u64,
}

/// A secret as listed (values are never returned).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretInfo {
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Last update.
    #[serde(rename = "updatedAt", default)]
    pub updated_at: Option<String>,
}

/// A variable as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VariableInfo {
    /// Value.
    #[serde(default)]
    pub value: String,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Last update.
    #[serde(rename = "updatedAt", default)]
    pub updated_at: Option<String>,
}

/// A Space JWT (for the logs host); the token is masked in `Debug`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpaceJwt {
    /// The JWT.
    pub token: Token,
    /// Expiry (unix seconds), when the Hub says.
    pub exp: Option<i64>,
}

/// One entry of `GET /api/spaces/hardware`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HardwareInfo {
    /// Flavor name, e.g. `t4-small`.
    pub name: String,
    /// Display name.
    #[serde(rename = "prettyName", default)]
    pub pretty_name: String,
    /// CPU description.
    #[serde(default)]
    pub cpu: String,
    /// RAM description.
    #[serde(default)]
    pub ram: String,
    /// GPU details, if any.
    #[serde(default)]
    pub accelerator: Option<serde_json::Value>,
    /// Price per unit.
    #[serde(rename = "unitCostUSD", default)]
    pub unit_cost_usd: f64,
    /// Unit, e.g. "hour".
    #[serde(rename = "unitLabel", default)]
    pub unit_label: String,
}
