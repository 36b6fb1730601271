//! [`HubApi`]: every Hub call a Space workflow needs, as a trait (DESIGN §5) with [`HubClient`] as the real
//! implementation. Ids are validated [`SpaceId`]s, so no request leaves with an invalid id.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom, Write};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::Deserialize;
use serde_json::json;

use crate::auth::Token;
use crate::client::{Auth, Call, CallKind, HubClient, Payload, RetryMode, header, read_json};
use crate::clock::Clock;
use crate::config::HubConfig;
use crate::error::{ErrorKind, HubError, Result};
use crate::id::SpaceId;
use crate::ndjson::CommitBody;
use crate::types::*;
use crate::url::{fix_endpoint, origin, quote};

/// At most this many files per preupload call (reference §3.1).
pub const PREUPLOAD_BATCH: usize = 256;
/// Preupload calls in flight at once.
pub const PREUPLOAD_CONCURRENCY: usize = 4;
/// At most this many objects per LFS batch call (reference §3.3).
pub const LFS_BATCH: usize = 256;
/// Paths per paths-info call (Python sends 500; the Hub allows 1000).
pub const PATHS_INFO_BATCH: usize = 500;
/// Pages followed at most when listing a tree (1000 entries each: a million files).
const MAX_PAGES: usize = 1000;
/// Bounded retries of `create` while the Hub reports a conflicting operation.
const CREATE_CONFLICT_RETRIES: usize = 5;

/// The LFS transfer adapters this client offers and speaks (reference §3.3).
pub const LFS_TRANSFERS: [&str; 2] = ["basic", "multipart"];

/// The server's `transfer` choice is authoritative (git-lfs batch API): anything but what we offered, such
/// as `xet`, cannot be uploaded through the actions it comes with.
pub fn check_lfs_transfer(space: &SpaceId, transfer: Option<&str>) -> Result<()> {
    match transfer {
        None => Ok(()),
        Some(t) if LFS_TRANSFERS.contains(&t) => Ok(()),
        Some(t) => Err(HubError::new(
            ErrorKind::LfsTransferUnsupported,
            format!("upload large files to Space {space}"),
            format!(
                "the Hub chose the LFS transfer `{t}`, but this client offered only basic and multipart and cannot upload through `{t}`"
            ),
        )
        .with_hint(
            "nothing was committed; try again later, or upload the large files with `hf upload` (huggingface_hub speaks Xet), then deploy again",
        )),
    }
}

/// Which log of a Space.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LogKind {
    /// Container build.
    Build,
    /// Application stdout/stderr.
    Run,
}

impl LogKind {
    /// `build` or `run`, as in the URL.
    pub fn as_str(self) -> &'static str {
        match self {
            LogKind::Build => "build",
            LogKind::Run => "run",
        }
    }
}

/// Where a log stream is read from.
#[derive(Debug, Clone, Copy)]
pub enum LogRoute<'a> {
    /// `GET /api/spaces/{id}/logs/{kind}` with the Hub token.
    Hub,
    /// `GET {logs_host}/v1/{owner}/{name}/logs/{kind}` with a Space JWT.
    LogsHost(&'a Token),
}

/// An open SSE log stream.
pub struct LogStream {
    /// The raw event stream.
    pub reader: Box<dyn io::BufRead + Send>,
    /// The response `Date`, used to tell history from live lines in no-follow mode.
    pub date: Option<SystemTime>,
}

impl std::fmt::Debug for LogStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogStream").field("date", &self.date).finish_non_exhaustive()
    }
}

/// The Hub operations used by deploy, logs, secrets and space commands.
pub trait HubApi: Send + Sync {
    /// Settings (endpoint, thresholds, concurrency).
    fn config(&self) -> &HubConfig;
    /// The clock used for sleeps, shared with services built on this API.
    fn clock(&self) -> Arc<dyn Clock>;
    /// `GET /api/whoami-v2`.
    fn whoami(&self) -> Result<WhoAmI>;
    /// `POST /api/repos/create` with Space options; `exist_ok` handled client-side as huggingface_hub does.
    fn create_space(&self, space: &SpaceId, opts: &CreateSpace) -> Result<CreatedSpace>;
    /// `DELETE /api/repos/delete`.
    fn delete_space(&self, space: &SpaceId, missing_ok: bool) -> Result<()>;
    /// `GET /api/spaces/{id}[/revision/{rev}]`.
    fn space_info(&self, space: &SpaceId, revision: Option<&str>) -> Result<SpaceInfo>;
    /// `GET /api/spaces/{id}/runtime`.
    fn space_runtime(&self, space: &SpaceId) -> Result<SpaceRuntime>;
    /// `GET /api/spaces/{id}/tree/{rev}[/{path}]`, following `Link: rel="next"`.
    fn list_tree(&self, space: &SpaceId, revision: &str, path: Option<&str>, recursive: bool) -> Result<Vec<TreeEntry>>;
    /// `POST /api/spaces/{id}/paths-info/{rev}` (batched); missing paths are omitted.
    fn paths_info(&self, space: &SpaceId, revision: &str, paths: &[String]) -> Result<Vec<TreeEntry>>;
    /// `POST /api/spaces/{id}/preupload/{rev}` (batched by 256).
    fn preupload(
        &self,
        space: &SpaceId,
        revision: &str,
        files: &[PreuploadFile],
        create_pr: bool,
    ) -> Result<Vec<PreuploadAnswer>>;
    /// `POST /api/spaces/{id}/commit/{rev}`: one atomic NDJSON commit.
    fn commit(&self, space: &SpaceId, revision: &str, commit: &CommitRequest) -> Result<CommitInfo>;
    /// `POST /spaces/{id}.git/info/lfs/objects/batch` (upload, basic + multipart; ≤ 256 objects).
    fn lfs_batch(&self, space: &SpaceId, revision: &str, objects: &[LfsObject]) -> Result<LfsBatchAnswer>;
    /// `PUT` a file slice to a storage URL (no token); returns the `ETag`, if any.
    fn lfs_put(&self, href: &str, headers: &[(String, String)], body: &FileSlice) -> Result<Option<String>>;
    /// Completes a multipart upload (no token).
    fn lfs_complete(&self, href: &str, oid: &str, parts: &[LfsPart]) -> Result<()>;
    /// Confirms an upload through the `verify` action.
    fn lfs_verify(&self, action: &LfsAction, object: &LfsObject) -> Result<()>;
    /// Downloads a file through `/resolve` (LFS redirects are followed without the token).
    fn download(&self, space: &SpaceId, revision: &str, path: &str, out: &mut dyn Write) -> Result<u64>;
    /// `GET /api/spaces/{id}/secrets`: keys only.
    fn list_secrets(&self, space: &SpaceId) -> Result<BTreeMap<String, SecretInfo>>;
    /// `POST /api/spaces/{id}/secrets`.
    fn add_secret(&self, space: &SpaceId, secret: &SecretEntry) -> Result<()>;
    /// `DELETE /api/spaces/{id}/secrets`.
    fn delete_secret(&self, space: &SpaceId, key: &str) -> Result<()>;
    /// `GET /api/spaces/{id}/variables`.
    fn list_variables(&self, space: &SpaceId) -> Result<BTreeMap<String, VariableInfo>>;
    /// `POST /api/spaces/{id}/variables`; answers the full map.
    fn add_variable(&self, space: &SpaceId, variable: &VariableEntry) -> Result<BTreeMap<String, VariableInfo>>;
    /// `DELETE /api/spaces/{id}/variables`; answers the full map.
    fn delete_variable(&self, space: &SpaceId, key: &str) -> Result<BTreeMap<String, VariableInfo>>;
    /// `POST /api/spaces/{id}/hardware`.
    fn request_hardware(&self, space: &SpaceId, flavor: &str, sleep_time: Option<i64>) -> Result<SpaceRuntime>;
    /// `POST /api/spaces/{id}/sleeptime` (-1 = never).
    fn set_sleep_time(&self, space: &SpaceId, seconds: i64) -> Result<SpaceRuntime>;
    /// `POST /api/spaces/{id}/pause`.
    fn pause_space(&self, space: &SpaceId) -> Result<SpaceRuntime>;
    /// `POST /api/spaces/{id}/restart[?factory=true]`.
    fn restart_space(&self, space: &SpaceId, factory: bool) -> Result<SpaceRuntime>;
    /// `GET /api/spaces/{id}/jwt`.
    fn space_jwt(&self, space: &SpaceId) -> Result<SpaceJwt>;
    /// `POST /api/spaces/{id}/dev-mode` with `{enabled}`.
    fn set_dev_mode(&self, space: &SpaceId, enabled: bool) -> Result<SpaceRuntime>;
    /// `POST /api/spaces/{from}/duplicate`: a new Space `to` with `from`'s files; 409 if `to` exists.
    fn duplicate_space(&self, from: &SpaceId, to: &SpaceId, opts: &DuplicateSpace) -> Result<DuplicatedSpace>;
    /// `PUT /api/spaces/{id}/settings` with `{visibility}`.
    fn set_visibility(&self, space: &SpaceId, visibility: Visibility) -> Result<()>;
    /// `PUT /api/spaces/{id}/volumes`: replaces every mounted volume.
    fn set_volumes(&self, space: &SpaceId, volumes: &[Volume]) -> Result<()>;
    /// `DELETE /api/spaces/{id}/volumes`: removes every mounted volume (400 if there are none).
    fn delete_volumes(&self, space: &SpaceId) -> Result<()>;
    /// `GET /api/spaces/hardware`.
    fn hardware_catalogue(&self) -> Result<Vec<HardwareInfo>>;
    /// Opens a build or run log as SSE; `read_timeout` bounds silence between reads.
    fn open_logs(&self, space: &SpaceId, kind: LogKind, route: LogRoute<'_>, read_timeout: Duration) -> Result<LogStream>;
}

fn space_path(space: &SpaceId) -> String {
    format!("/api/spaces/{space}")
}

/// `secrets` and `variables` as `[{key, value, description?}]` (create and duplicate bodies).
fn add_env(body: &mut serde_json::Value, secrets: &[SecretEntry], variables: &[VariableEntry]) {
    let kv = |key: &str, value: &str, d: &Option<String>| {
        let mut v = json!({ "key": key, "value": value });
        if let Some(d) = d {
            v["description"] = json!(d);
        }
        v
    };
    if !secrets.is_empty() {
        body["secrets"] = secrets.iter().map(|s| kv(&s.key, s.value.expose(), &s.description)).collect();
    }
    if !variables.is_empty() {
        body["variables"] = variables.iter().map(|v| kv(&v.key, &v.value, &v.description)).collect();
    }
}

impl HubClient {
    fn create_once(&self, space: &SpaceId, opts: &CreateSpace, op: &str) -> Result<String> {
        let mut body = json!({
            "name": space.name(),
            "organization": space.owner(),
            "type": "space",
            "sdk": opts.sdk,
            "visibility": opts.visibility.as_str(),
        });
        if let Some(h) = &opts.hardware {
            body["hardware"] = json!(h);
        }
        if let Some(s) = opts.sleep_time {
            body["sleepTimeSeconds"] = json!(s);
        }
        add_env(&mut body, &opts.secrets, &opts.variables);
        #[derive(Deserialize)]
        struct Created {
            #[serde(default)]
            url: Option<String>,
        }
        let call = Call::new("POST", self.url("/api/repos/create"), op).json(&body).kind(CallKind::Create);
        let created: Created = self.json(&call)?;
        Ok(created.url.unwrap_or_else(|| self.web_url(space)))
    }

    fn web_url(&self, space: &SpaceId) -> String {
        format!("{}/spaces/{space}", self.config().endpoint)
    }

    fn runtime_call(&self, method: &'static str, space: &SpaceId, suffix: &str, op: String) -> Call<'static> {
        Call::new(method, self.url(&format!("{}{suffix}", space_path(space))), op)
    }

    fn auth_for(&self, href: &str) -> Auth<'static> {
        // The token only ever goes to the Hub's own origin.
        if origin(href) == origin(&self.config().endpoint) { Auth::Hub } else { Auth::None }
    }
}

impl HubApi for HubClient {
    fn config(&self) -> &HubConfig {
        HubClient::config(self)
    }

    fn clock(&self) -> Arc<dyn Clock> {
        HubClient::clock(self).clone()
    }

    fn whoami(&self) -> Result<WhoAmI> {
        if self.token_source().is_none() {
            // As Python does: fail locally, nothing to ask the Hub.
            return Err(HubError::new(ErrorKind::NoToken, "check who is logged in", "no Hugging Face token was found")
                .with_hint("set HF_TOKEN or run `hf auth login`"));
        }
        let call = Call::new("GET", self.url("/api/whoami-v2"), "check who is logged in").kind(CallKind::Other);
        self.json(&call)
    }

    fn create_space(&self, space: &SpaceId, opts: &CreateSpace) -> Result<CreatedSpace> {
        let op = format!("create Space {space}");
        if opts.sdk.trim().is_empty() {
            return Err(HubError::new(ErrorKind::InvalidInput, op, "a Space needs an SDK")
                .with_hint("pass one of gradio, docker or static"));
        }
        let mut attempt = 0;
        loop {
            match self.create_once(space, opts, &op) {
                Ok(url) => return Ok(CreatedSpace { url, created: true }),
                Err(e) if e.status() == Some(409) && e.reason().contains("conflicting operation") => {
                    // Transient on the Hub's side; huggingface_hub loops without sleeping. Bounded here.
                    attempt += 1;
                    if attempt > CREATE_CONFLICT_RETRIES {
                        return Err(e);
                    }
                }
                Err(e) if opts.exist_ok && e.kind() == ErrorKind::AlreadyExists => {
                    return Ok(CreatedSpace { url: self.web_url(space), created: false });
                }
                Err(e) if opts.exist_ok && matches!(e.status(), Some(401..=403)) => {
                    // No right to create here, but the Space may exist and be ours to use.
                    return match self.space_info(space, None) {
                        Ok(_) => Ok(CreatedSpace { url: self.web_url(space), created: false }),
                        Err(_) => Err(e),
                    };
                }
                Err(e) => return Err(e),
            }
        }
    }

    fn delete_space(&self, space: &SpaceId, missing_ok: bool) -> Result<()> {
        let body = json!({ "name": space.name(), "organization": space.owner(), "type": "space" });
        let call = Call::new("DELETE", self.url("/api/repos/delete"), format!("delete Space {space}"))
            .json(&body)
            .retry(RetryMode::ConnectOnly);
        match self.ok(&call) {
            Err(e) if missing_ok && e.kind() == ErrorKind::SpaceNotFound => Ok(()),
            r => r,
        }
    }

    fn space_info(&self, space: &SpaceId, revision: Option<&str>) -> Result<SpaceInfo> {
        let path = match revision {
            Some(r) => format!("{}/revision/{}", space_path(space), quote(r, false)),
            None => space_path(space),
        };
        self.json(&Call::new("GET", self.url(&path), format!("read Space {space}")))
    }

    fn space_runtime(&self, space: &SpaceId) -> Result<SpaceRuntime> {
        self.json(&self.runtime_call("GET", space, "/runtime", format!("read the runtime of Space {space}")))
    }

    fn list_tree(&self, space: &SpaceId, revision: &str, path: Option<&str>, recursive: bool) -> Result<Vec<TreeEntry>> {
        let op = format!("list the files of Space {space}");
        let sub = path.map(|p| format!("/{}", quote(p.trim_matches('/'), false))).unwrap_or_default();
        let mut url =
            self.url(&format!("{}/tree/{}{sub}?recursive={recursive}&expand=false", space_path(space), quote(revision, false)));
        let mut all = Vec::new();
        for _ in 0..MAX_PAGES {
            let resp = self.send(&Call::new("GET", url.clone(), op.clone()))?;
            let next = header(&resp, "link").and_then(next_link).map(|u| fix_endpoint(&u, &self.config().endpoint));
            let page: Vec<TreeEntry> = read_json(resp, &op)?;
            all.extend(page);
            match next {
                Some(n) => url = n,
                None => return Ok(all),
            }
        }
        Err(HubError::new(ErrorKind::Protocol, op, format!("the listing did not end after {MAX_PAGES} pages")))
    }

    fn paths_info(&self, space: &SpaceId, revision: &str, paths: &[String]) -> Result<Vec<TreeEntry>> {
        let op = format!("read file information of Space {space}");
        let url = self.url(&format!("{}/paths-info/{}", space_path(space), quote(revision, false)));
        let mut out = Vec::new();
        for chunk in paths.chunks(PATHS_INFO_BATCH) {
            let mut form: Vec<String> = chunk.iter().map(|p| format!("paths={}", quote(p, false))).collect();
            form.push("expand=false".into());
            let body = form.join("&").into_bytes();
            // Read-only despite POST: retried like Python's http_backoff would not, but safe.
            let call = Call::new("POST", url.clone(), op.clone())
                .payload(Payload::Owned(body, "application/x-www-form-urlencoded"))
                .retry(RetryMode::Idempotent);
            let page: Vec<TreeEntry> = self.json(&call)?;
            out.extend(page);
        }
        Ok(out)
    }

    fn preupload(
        &self,
        space: &SpaceId,
        revision: &str,
        files: &[PreuploadFile],
        create_pr: bool,
    ) -> Result<Vec<PreuploadAnswer>> {
        let op = format!("prepare the upload to Space {space}");
        let pr = if create_pr { "?create_pr=1" } else { "" };
        let url = self.url(&format!("{}/preupload/{}{pr}", space_path(space), quote(revision, false)));
        #[derive(Deserialize)]
        struct Answer {
            files: Vec<PreuploadAnswer>,
        }
        // Classifying is read-only and the batches are independent: a few go at once (same requests, fewer
        // round trips waited for one after another).
        let chunks: Vec<&[PreuploadFile]> = files.chunks(PREUPLOAD_BATCH).collect();
        let answers = crate::upload::run_pool(&chunks, PREUPLOAD_CONCURRENCY, |chunk| {
            let list: Vec<_> =
                chunk.iter().map(|f| json!({ "path": f.path, "sample": B64.encode(&f.sample), "size": f.size })).collect();
            let call = Call::new("POST", url.clone(), op.clone()).json(&json!({ "files": list })).retry(RetryMode::Idempotent);
            let a: Answer = self.json(&call)?;
            Ok(a.files)
        })?;
        Ok(answers.into_iter().flatten().collect())
    }

    fn commit(&self, space: &SpaceId, revision: &str, commit: &CommitRequest) -> Result<CommitInfo> {
        let op = format!("commit to Space {space}");
        if commit.summary.trim().is_empty() {
            return Err(HubError::new(ErrorKind::InvalidInput, op, "the commit message is empty"));
        }
        let pr = if commit.create_pr { "?create_pr=1" } else { "" };
        let url = self.url(&format!("{}/commit/{}{pr}", space_path(space), quote(revision, false)));
        let body = CommitBody::new(commit);
        let open = || -> io::Result<Box<dyn Read + Send + '_>> { Ok(Box::new(body.reader())) };
        let call = Call::new("POST", url, op)
            .payload(Payload::Stream { content_type: "application/x-ndjson", len: body.len(), open: &open })
            // Not idempotent: only a connection that failed before sending anything is retried.
            .retry(RetryMode::ConnectOnly);
        let result = self.json(&call);
        if let Some(e) = body.failure.lock().unwrap_or_else(|p| p.into_inner()).take() {
            return Err(e);
        }
        result
    }

    fn lfs_batch(&self, space: &SpaceId, revision: &str, objects: &[LfsObject]) -> Result<LfsBatchAnswer> {
        let op = format!("start the LFS upload to Space {space}");
        let url = self.url(&format!("/spaces/{space}.git/info/lfs/objects/batch"));
        let mut out = LfsBatchAnswer { transfer: None, objects: Vec::new() };
        for chunk in objects.chunks(LFS_BATCH) {
            let body = json!({
                "operation": "upload",
                "transfers": LFS_TRANSFERS,
                "objects": chunk,
                "hash_algo": "sha256",
                "ref": { "name": revision },
            });
            let call = Call::new("POST", url.clone(), op.clone())
                .payload(Payload::Owned(serde_json::to_vec(&body).expect("json"), "application/vnd.git-lfs+json"))
                .header("accept", "application/vnd.git-lfs+json")
                .retry(RetryMode::Idempotent);
            let a: LfsBatchAnswer = self.json(&call)?;
            // Every chunk's choice counts: one unsupported answer must not hide behind a later one.
            check_lfs_transfer(space, a.transfer.as_deref())?;
            out.transfer = a.transfer.or(out.transfer);
            out.objects.extend(a.objects);
        }
        Ok(out)
    }

    fn lfs_put(&self, href: &str, headers: &[(String, String)], body: &FileSlice) -> Result<Option<String>> {
        let op = format!("upload {} to LFS storage", body.path.display());
        let href = fix_endpoint(href, &self.config().endpoint);
        let open = || -> io::Result<Box<dyn Read + Send + '_>> {
            let mut f = File::open(&body.path)?;
            f.seek(SeekFrom::Start(body.offset))?;
            // Unbuffered: the HTTP client reads straight into its send buffer, one copy less per byte.
            Ok(Box::new(f.take(body.len)))
        };
        let mut call = Call::new("PUT", href, op)
            .auth(Auth::None)
            .payload(Payload::Stream { content_type: "application/octet-stream", len: body.len, open: &open })
            .kind(CallKind::Other);
        for (k, v) in headers {
            call = call.header(k.clone(), v.clone());
        }
        let mut resp = self.send(&call)?;
        let etag = header(&resp, "etag").map(str::to_string);
        let _ = resp.body_mut().with_config().limit(1024 * 1024).read_to_vec();
        Ok(etag)
    }

    fn lfs_complete(&self, href: &str, oid: &str, parts: &[LfsPart]) -> Result<()> {
        let body = serde_json::to_vec(&json!({ "oid": oid, "parts": parts })).expect("json");
        let call = Call::new("POST", fix_endpoint(href, &self.config().endpoint), format!("complete the LFS upload of {oid}"))
            .auth(Auth::None)
            .payload(Payload::Owned(body, "application/vnd.git-lfs+json"))
            .header("accept", "application/vnd.git-lfs+json")
            .retry(RetryMode::Idempotent)
            .kind(CallKind::Other);
        self.ok(&call)
    }

    fn lfs_verify(&self, action: &LfsAction, object: &LfsObject) -> Result<()> {
        let href = fix_endpoint(&action.href, &self.config().endpoint);
        let body = serde_json::to_vec(object).expect("json");
        let mut call = Call::new("POST", href.clone(), format!("verify the LFS upload of {}", object.oid))
            .auth(self.auth_for(&href))
            .payload(Payload::Owned(body, "application/vnd.git-lfs+json"))
            .header("accept", "application/vnd.git-lfs+json")
            .retry(RetryMode::Idempotent);
        for (k, v) in &action.header {
            if let Some(v) = v.as_str() {
                call = call.header(k.clone(), v.to_string());
            }
        }
        self.ok(&call)
    }

    fn download(&self, space: &SpaceId, revision: &str, path: &str, out: &mut dyn Write) -> Result<u64> {
        let op = format!("download {path} from Space {space}");
        let url = self.url(&format!("/spaces/{space}/resolve/{}/{}", quote(revision, false), quote(path, true)));
        let resp = self.send(&Call::new("GET", url, op.clone()))?;
        let mut reader = resp.into_body().into_reader();
        io::copy(&mut reader, out).map_err(|e| HubError::new(ErrorKind::Network, op, format!("the download failed ({e})")))
    }

    fn list_secrets(&self, space: &SpaceId) -> Result<BTreeMap<String, SecretInfo>> {
        self.json(&self.runtime_call("GET", space, "/secrets", format!("list the secrets of Space {space}")))
    }

    fn add_secret(&self, space: &SpaceId, secret: &SecretEntry) -> Result<()> {
        let mut body = json!({ "key": secret.key, "value": secret.value.expose() });
        if let Some(d) = &secret.description {
            body["description"] = json!(d);
        }
        let op = format!("set secret {} on Space {space}", secret.key);
        // Setting the same value twice is harmless: retried like an idempotent call.
        self.ok(&self.runtime_call("POST", space, "/secrets", op).json(&body).retry(RetryMode::Idempotent))
    }

    fn delete_secret(&self, space: &SpaceId, key: &str) -> Result<()> {
        let op = format!("delete secret {key} of Space {space}");
        self.ok(&self.runtime_call("DELETE", space, "/secrets", op).json(&json!({ "key": key })))
    }

    fn list_variables(&self, space: &SpaceId) -> Result<BTreeMap<String, VariableInfo>> {
        self.json(&self.runtime_call("GET", space, "/variables", format!("list the variables of Space {space}")))
    }

    fn add_variable(&self, space: &SpaceId, variable: &VariableEntry) -> Result<BTreeMap<String, VariableInfo>> {
        let mut body = json!({ "key": variable.key, "value": variable.value });
        if let Some(d) = &variable.description {
            body["description"] = json!(d);
        }
        let op = format!("set variable {} on Space {space}", variable.key);
        self.json(&self.runtime_call("POST", space, "/variables", op).json(&body).retry(RetryMode::Idempotent))
    }

    fn delete_variable(&self, space: &SpaceId, key: &str) -> Result<BTreeMap<String, VariableInfo>> {
        let op = format!("delete variable {key} of Space {space}");
        self.json(&self.runtime_call("DELETE", space, "/variables", op).json(&json!({ "key": key })))
    }

    fn request_hardware(&self, space: &SpaceId, flavor: &str, sleep_time: Option<i64>) -> Result<SpaceRuntime> {
        let mut body = json!({ "flavor": flavor });
        if let Some(s) = sleep_time {
            body["sleepTimeSeconds"] = json!(s);
        }
        let op = format!("request hardware {flavor} for Space {space}");
        self.json(&self.runtime_call("POST", space, "/hardware", op).json(&body).kind(CallKind::Hardware))
    }

    fn set_sleep_time(&self, space: &SpaceId, seconds: i64) -> Result<SpaceRuntime> {
        let op = format!("set the sleep time of Space {space}");
        self.json(&self.runtime_call("POST", space, "/sleeptime", op).json(&json!({ "seconds": seconds })))
    }

    fn pause_space(&self, space: &SpaceId) -> Result<SpaceRuntime> {
        self.json(&self.runtime_call("POST", space, "/pause", format!("pause Space {space}")))
    }

    fn restart_space(&self, space: &SpaceId, factory: bool) -> Result<SpaceRuntime> {
        let q = if factory { "/restart?factory=true" } else { "/restart" };
        self.json(&self.runtime_call("POST", space, q, format!("restart Space {space}")))
    }

    fn space_jwt(&self, space: &SpaceId) -> Result<SpaceJwt> {
        #[derive(Deserialize)]
        struct Raw {
            token: String,
            #[serde(default)]
            exp: Option<i64>,
        }
        let raw: Raw = self.json(&self.runtime_call("GET", space, "/jwt", format!("get a log token for Space {space}")))?;
        // The payload's `exp` is where the expiry lives; a top-level `exp` is only a fallback.
        let jwt = SpaceJwt::new(Token::new(raw.token));
        Ok(SpaceJwt { exp: jwt.exp.or(raw.exp), ..jwt })
    }

    fn set_dev_mode(&self, space: &SpaceId, enabled: bool) -> Result<SpaceRuntime> {
        let op = format!("turn dev mode {} for Space {space}", if enabled { "on" } else { "off" });
        self.json(&self.runtime_call("POST", space, "/dev-mode", op).json(&json!({ "enabled": enabled })))
    }

    fn duplicate_space(&self, from: &SpaceId, to: &SpaceId, opts: &DuplicateSpace) -> Result<DuplicatedSpace> {
        let mut body = json!({ "repository": to.to_string() });
        if let Some(v) = opts.visibility {
            body["visibility"] = json!(v.as_str());
        }
        if let Some(h) = &opts.hardware {
            body["hardware"] = json!(h);
        }
        if let Some(s) = opts.sleep_time {
            body["sleepTimeSeconds"] = json!(s);
        }
        add_env(&mut body, &opts.secrets, &opts.variables);
        let op = format!("duplicate Space {from} to {to}");
        // Not idempotent (a second copy would be a 409): like create, only connection failures are retried.
        let call =
            self.runtime_call("POST", from, "/duplicate", op).json(&body).kind(CallKind::Create).retry(RetryMode::ConnectOnly);
        self.json(&call)
    }

    fn set_visibility(&self, space: &SpaceId, visibility: Visibility) -> Result<()> {
        let op = format!("make Space {space} {visibility}");
        self.ok(&self.runtime_call("PUT", space, "/settings", op).json(&json!({ "visibility": visibility.as_str() })))
    }

    fn set_volumes(&self, space: &SpaceId, volumes: &[Volume]) -> Result<()> {
        let op = format!("set the volumes of Space {space}");
        self.ok(&self.runtime_call("PUT", space, "/volumes", op).json(&json!({ "volumes": volumes })))
    }

    fn delete_volumes(&self, space: &SpaceId) -> Result<()> {
        let op = format!("remove the volumes of Space {space}");
        // A repeat after a lost answer would be a 400 ("no volumes"): only connection failures are retried.
        self.ok(&self.runtime_call("DELETE", space, "/volumes", op).retry(RetryMode::ConnectOnly))
    }

    fn hardware_catalogue(&self) -> Result<Vec<HardwareInfo>> {
        self.json(&Call::new("GET", self.url("/api/spaces/hardware"), "list Space hardware").kind(CallKind::Other))
    }

    fn open_logs(&self, space: &SpaceId, kind: LogKind, route: LogRoute<'_>, read_timeout: Duration) -> Result<LogStream> {
        let op = format!("read the {} logs of Space {space}", kind.as_str());
        let call = match route {
            LogRoute::Hub => Call::new("GET", self.url(&format!("{}/logs/{}", space_path(space), kind.as_str())), op),
            LogRoute::LogsHost(jwt) => Call::new(
                "GET",
                format!("{}/v1/{}/{}/logs/{}", self.config().logs_host, space.owner(), space.name(), kind.as_str()),
                op,
            )
            .auth(Auth::Bearer(jwt))
            // A 401 here is about the JWT (expired, revoked), not a hidden Space.
            .kind(CallKind::Other),
        }
        .header("accept", "text/event-stream")
        .read_timeout(read_timeout);
        let resp = self.send(&call)?;
        let date = header(&resp, "date").and_then(|d| httpdate::parse_http_date(d).ok());
        let reader = BufReader::new(resp.into_body().into_reader());
        Ok(LogStream { reader: Box::new(reader), date })
    }
}

/// The URL of a `Link: <url>; rel="next"` header.
fn next_link(link: &str) -> Option<String> {
    link.split(',').find_map(|part| {
        let (url, params) = part.split_once(';')?;
        let is_next = params.split(';').any(|p| {
            let p = p.trim();
            p == "rel=\"next\"" || p == "rel=next"
        });
        let url = url.trim().strip_prefix('<')?.strip_suffix('>')?;
        is_next.then(|| url.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_header() {
        assert_eq!(next_link("<http://h/a?cursor=x>; rel=\"next\"").as_deref(), Some("http://h/a?cursor=x"));
        assert_eq!(next_link("<http://h/p>; rel=\"prev\", <http://h/n>; rel=\"next\"").as_deref(), Some("http://h/n"));
        assert_eq!(next_link("<http://h/p>; rel=\"prev\""), None);
    }
}
