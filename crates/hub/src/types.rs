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
    /// What a fine-grained token may do.
    #[serde(rename = "fineGrained", default, skip_serializing_if = "Option::is_none")]
    pub fine_grained: Option<FineGrained>,
}

/// The permissions of a fine-grained token (`auth.accessToken.fineGrained`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FineGrained {
    /// Permissions over everything the user can reach, e.g. `discussion.write`.
    #[serde(default)]
    pub global: Vec<String>,
    /// Permissions on named users, organisations or repos.
    #[serde(default)]
    pub scoped: Vec<FineGrainedScope>,
}

/// One entry of [`FineGrained::scoped`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FineGrainedScope {
    /// What the permissions apply to.
    pub entity: FineGrainedEntity,
    /// e.g. `repo.content.read`, `repo.write`.
    #[serde(default)]
    pub permissions: Vec<String>,
}

/// A user, organisation or repo a fine-grained permission names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FineGrainedEntity {
    /// "user", "org", "model", "dataset" or "space".
    #[serde(rename = "type", default)]
    pub kind: String,
    /// Its name (`alice`, `alice/app`).
    #[serde(default)]
    pub name: Option<String>,
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

/// Who can see a repo (reference §2.1, §2.4): `protected` exists for Spaces only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    /// Anyone sees the files and the app.
    Public,
    /// Only the owner sees the files and the app.
    Private,
    /// The files are private, the app is public (Spaces only).
    Protected,
}

impl Visibility {
    /// `public`, `private` or `protected`, as sent to the Hub.
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Private => "private",
            Visibility::Protected => "protected",
        }
    }

    /// Parses `public`, `private` or `protected`.
    pub fn parse(s: &str) -> Option<Visibility> {
        match s {
            "public" => Some(Visibility::Public),
            "private" => Some(Visibility::Private),
            "protected" => Some(Visibility::Protected),
            _ => None,
        }
    }
}

impl fmt::Display for Visibility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Options of `create_space` (reference §2.1). Private by default (DESIGN §6).
#[derive(Debug, Clone, PartialEq)]
pub struct CreateSpace {
    /// `gradio`, `docker`, `static` (or legacy `streamlit`).
    pub sdk: String,
    /// Private (default), public or protected.
    pub visibility: Visibility,
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
            visibility: Visibility::Private,
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

/// Options of `duplicate_space` (reference §2.5): what the copy gets instead of the source's settings.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DuplicateSpace {
    /// Visibility of the copy; `None` leaves the Hub's default (the source's).
    pub visibility: Option<Visibility>,
    /// Hardware flavor of the copy.
    pub hardware: Option<String>,
    /// Seconds of inactivity before sleeping; -1 never.
    pub sleep_time: Option<i64>,
    /// Secrets of the copy (the source's values are never copied).
    pub secrets: Vec<SecretEntry>,
    /// Variables of the copy.
    pub variables: Vec<VariableEntry>,
}

/// Result of `duplicate_space`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DuplicatedSpace {
    /// Web URL of the copy.
    pub url: String,
    /// LFS content is still being copied in the background.
    #[serde(rename = "filesCopyPending", default)]
    pub files_copy_pending: bool,
}

/// A volume mounted in a Space (reference §4.5): a bucket or a repo, at a path in the container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Volume {
    /// `bucket`, `model`, `dataset` or `space`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `owner/name` of the bucket or repo.
    pub source: String,
    /// Absolute path in the container.
    #[serde(rename = "mountPath")]
    pub mount_path: String,
    /// Git revision (repos only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    /// Read-only mount (always true for repos).
    #[serde(rename = "readOnly", default, skip_serializing_if = "Option::is_none")]
    pub read_only: Option<bool>,
    /// Subfolder of the bucket or repo to mount.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

impl Volume {
    /// The volume types the Hub mounts.
    pub const KINDS: [&'static str; 4] = ["bucket", "model", "dataset", "space"];

    /// Parses `hf://[TYPE/]OWNER/NAME[@REV][/PATH]:/MOUNT[:ro|:rw]` (TYPE: models, datasets, spaces, buckets;
    /// models if omitted), the form `hf spaces volumes set -v` takes.
    pub fn parse_uri(spec: &str) -> std::result::Result<Volume, String> {
        let body = spec.strip_prefix("hf://").ok_or_else(|| format!("`{spec}` must start with hf://"))?;
        let (location, mount) =
            body.split_once(":/").ok_or_else(|| format!("`{spec}` has no mount path (expected hf://OWNER/NAME:/MOUNT)"))?;
        let mut mount = format!("/{mount}");
        let mut read_only = None;
        for (suffix, ro) in [(":ro", true), (":rw", false)] {
            if let Some(m) = mount.strip_suffix(suffix) {
                read_only = Some(ro);
                mount = m.to_string();
            }
        }
        if mount.contains(':') || mount.contains("//") || mount.split('/').any(|c| c == "..") {
            return Err(format!("`{spec}`: the mount path `{mount}` is not a clean absolute path"));
        }
        let mut parts: Vec<&str> = location.split('/').collect();
        let kind = match parts.first().copied() {
            Some("models") => Some("model"),
            Some("datasets") => Some("dataset"),
            Some("spaces") => Some("space"),
            Some("buckets") => Some("bucket"),
            _ => None,
        };
        if kind.is_some() {
            parts.remove(0);
        }
        let kind = kind.unwrap_or("model");
        if parts.len() < 2 || parts[0].is_empty() || parts[1].is_empty() {
            return Err(format!("`{spec}`: the source must be OWNER/NAME"));
        }
        let (name, revision) = match parts[1].split_once('@') {
            Some((n, r)) if !n.is_empty() && !r.is_empty() => (n, Some(r.to_string())),
            Some(_) => return Err(format!("`{spec}`: empty name or revision around `@`")),
            None => (parts[1], None),
        };
        if revision.is_some() && kind == "bucket" {
            return Err(format!("`{spec}`: buckets have no revisions"));
        }
        let path = parts[2..].iter().filter(|p| !p.is_empty()).copied().collect::<Vec<_>>().join("/");
        Ok(Volume {
            kind: kind.to_string(),
            source: format!("{}/{name}", parts[0]),
            mount_path: mount,
            revision,
            read_only,
            path: (!path.is_empty()).then_some(path),
        })
    }

    /// The `hf://` form of this volume.
    pub fn to_uri(&self) -> String {
        let mut s = format!("hf://{}s/{}", self.kind, self.source);
        if let Some(r) = &self.revision {
            s.push('@');
            s.push_str(r);
        }
        if let Some(p) = &self.path {
            s.push('/');
            s.push_str(p);
        }
        s.push(':');
        s.push_str(&self.mount_path);
        match self.read_only {
            Some(true) => s.push_str(":ro"),
            Some(false) => s.push_str(":rw"),
            None => {}
        }
        s
    }
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
    /// Every other field, as sent.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

impl SpaceRuntime {
    /// The mounted volumes (`volumes`), none when the Hub sends none.
    pub fn volumes(&self) -> Vec<Volume> {
        self.extra.get("volumes").and_then(|v| serde_json::from_value(v.clone()).ok()).unwrap_or_default()
    }
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

impl SpaceJwt {
    /// Wraps a JWT, reading its expiry from the payload's `exp` claim (the Hub documents the answer as
    /// `{token}` only). Nothing is verified: the logs host does that.
    pub fn new(token: Token) -> SpaceJwt {
        let exp = jwt_exp(token.expose());
        SpaceJwt { token, exp }
    }
}

/// The `exp` claim (unix seconds) of a JWT's payload, if it has a readable one.
pub fn jwt_exp(jwt: &str) -> Option<i64> {
    use base64::Engine;
    let payload = jwt.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let exp = claims.get("exp")?;
    exp.as_i64().or_else(|| exp.as_f64().filter(|f| f.is_finite()).map(|f| f as i64))
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

#[cfg(test)]
mod jwt_tests {
    use super::*;
    use base64::Engine;

    fn jwt(claims: &str) -> String {
        let b = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        format!("{}.{}.sig", b(r#"{"alg":"EdDSA"}"#), b(claims))
    }

    #[test]
    fn exp_comes_from_the_payload() {
        assert_eq!(SpaceJwt::new(Token::new(jwt(r#"{"sub":"/spaces/a/b","exp":1700000000}"#))).exp, Some(1_700_000_000));
        assert_eq!(jwt_exp(&jwt(r#"{"exp":1700000000.5}"#)), Some(1_700_000_000));
        assert_eq!(jwt_exp(&jwt(r#"{"sub":"x"}"#)), None);
        assert_eq!(jwt_exp("not-a-jwt"), None);
        assert_eq!(jwt_exp("a.!!!.c"), None);
    }
}
