//! The routes that reach the Hub with the caller's token (`Authorization: Bearer`, passed through, never
//! logged or kept): a Space's status and settings, its logs as SSE, and deployments.
//!
//! Deployments keep no state in the gateway that another replica would need: the id names the Space and
//! the commit the Space was at when the deploy began, so any replica answers `GET /v1/deployments/{id}`
//! from the Hub (a new commit since then, and the Space's stage). The replica that runs a deploy also keeps
//! its event log in memory for `/events`; another replica's `/events` follows the Hub's stages instead.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use base64::Engine as _;
use futures_util::Stream;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use spacesmith_hub::{
    LogKind, LogQuery, LogSource, SecretEntry, SecretValue, SpaceId, Token, UploadEvent, VariableEntry, Visibility, WatchEvent,
};
use utoipa::ToSchema;

use super::archive;
use super::routes::{ErrorBody, json_body, last_event_id, raw_options, temp_dir};
use super::{ApiError, Gateway, blocking};
use crate::app::HubServices;
use crate::deploy::{DeployEvent, DeployObserver, DeployRequest, DeployService, SpaceService};
use crate::error::{AppError, ErrorCode};
use crate::project::NewRequest;

pub(super) fn routes() -> Router<Gateway> {
    Router::new()
        .route("/v1/spaces/{owner}/{name}", get(status))
        .route("/v1/spaces/{owner}/{name}/pause", post(pause))
        .route("/v1/spaces/{owner}/{name}/restart", post(restart))
        .route("/v1/spaces/{owner}/{name}/hardware", put(hardware))
        .route("/v1/spaces/{owner}/{name}/sleep", put(sleep))
        .route("/v1/spaces/{owner}/{name}/secrets", get(secret_names).put(set_secrets))
        .route("/v1/spaces/{owner}/{name}/logs", get(logs))
        .route("/v1/spaces/{owner}/{name}/deploy", post(deploy))
        .route("/v1/deployments/{id}", get(deployment))
        .route("/v1/deployments/{id}/events", get(deployment_events))
}

/// Routes whose answer is a stream: the request time limit does not apply to them.
pub(super) fn is_stream(path: &str) -> bool {
    path.starts_with("/v1/") && (path.ends_with("/logs") || path.ends_with("/events"))
}

/// The caller's Hub services, from `Authorization: Bearer <token>`.
fn hub(g: &Gateway, headers: &HeaderMap) -> Result<HubServices, ApiError> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let Some(token) = token else {
        return Err(ApiError(
            AppError::new(ErrorCode::NoToken, "this route acts on the Hub and needs the caller's Hugging Face token")
                .hint("Send it as `Authorization: Bearer hf_...` (a token from https://huggingface.co/settings/tokens)."),
        ));
    };
    Ok(g.app.hub_with_token(Token::new(token))?)
}

fn space_id(owner: &str, name: &str) -> Result<SpaceId, ApiError> {
    SpaceId::parse(&format!("{owner}/{name}")).map_err(|e| ApiError(e.into()))
}

/// A Space as `spacesmith space status --json` shows it.
#[derive(Serialize, ToSchema)]
pub struct SpaceState {
    #[schema(example = "alice/demo")]
    pub space: String,
    pub url: String,
    pub private: bool,
    pub sdk: Option<String>,
    /// The Space's last commit.
    pub sha: Option<String>,
    /// The Hub's runtime: `stage`, `hardware`, `gcTimeout`, `devMode`, `errorMessage`, ...
    #[schema(value_type = Object)]
    pub runtime: Value,
}

/// The runtime after a change.
#[derive(Serialize, ToSchema)]
pub struct RuntimeChange {
    pub space: String,
    #[schema(value_type = Object)]
    pub runtime: Value,
}

fn runtime(space: &SpaceId, rt: &spacesmith_hub::SpaceRuntime) -> Json<RuntimeChange> {
    Json(RuntimeChange { space: space.to_string(), runtime: serde_json::to_value(rt).unwrap_or(Value::Null) })
}

/// The Space's visibility, last commit and runtime stage.
#[utoipa::path(get, path = "/v1/spaces/{owner}/{name}", tag = "spaces", security(("bearer" = [])),
    params(("owner" = String, Path), ("name" = String, Path)),
    responses((status = 200, body = SpaceState), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn status(
    State(g): State<Gateway>,
    Path((owner, name)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Json<SpaceState>, ApiError> {
    let space = space_id(&owner, &name)?;
    let hub = hub(&g, &headers)?;
    blocking(move || {
        let st = hub.deployer.status(&space)?;
        Ok(Json(SpaceState {
            space: st.space,
            url: st.url,
            private: st.private,
            sdk: st.sdk,
            sha: st.sha,
            runtime: serde_json::to_value(&st.runtime).unwrap_or(Value::Null),
        }))
    })
    .await
}

/// Stops the Space until it is restarted (no hardware is billed meanwhile).
#[utoipa::path(post, path = "/v1/spaces/{owner}/{name}/pause", tag = "spaces", security(("bearer" = [])),
    params(("owner" = String, Path), ("name" = String, Path)),
    responses((status = 200, body = RuntimeChange), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn pause(
    State(g): State<Gateway>,
    Path((owner, name)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Json<RuntimeChange>, ApiError> {
    let space = space_id(&owner, &name)?;
    let hub = hub(&g, &headers)?;
    blocking(move || Ok(runtime(&space, &hub.deployer.pause(&space)?))).await
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RestartQuery {
    /// Rebuild from scratch, without the build cache.
    #[serde(default)]
    pub factory: bool,
}

/// Restarts the Space (`factory=true`: rebuilds it from scratch).
#[utoipa::path(post, path = "/v1/spaces/{owner}/{name}/restart", tag = "spaces", security(("bearer" = [])),
    params(("owner" = String, Path), ("name" = String, Path), RestartQuery),
    responses((status = 200, body = RuntimeChange), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn restart(
    State(g): State<Gateway>,
    Path((owner, name)): Path<(String, String)>,
    Query(q): Query<RestartQuery>,
    headers: HeaderMap,
) -> Result<Json<RuntimeChange>, ApiError> {
    let space = space_id(&owner, &name)?;
    let hub = hub(&g, &headers)?;
    blocking(move || Ok(runtime(&space, &hub.deployer.restart(&space, q.factory)?))).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HardwareBody {
    /// A flavor of the Hub's catalogue, e.g. `cpu-basic`, `t4-small` (close misspellings are suggested).
    #[schema(example = "cpu-upgrade")]
    pub flavor: String,
}

/// Requests other hardware for the Space.
#[utoipa::path(put, path = "/v1/spaces/{owner}/{name}/hardware", tag = "spaces", security(("bearer" = [])),
    params(("owner" = String, Path), ("name" = String, Path)), request_body = HardwareBody,
    responses((status = 200, body = RuntimeChange), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn hardware(
    State(g): State<Gateway>,
    Path((owner, name)): Path<(String, String)>,
    headers: HeaderMap,
    body: Result<Json<HardwareBody>, JsonRejection>,
) -> Result<Json<RuntimeChange>, ApiError> {
    let space = space_id(&owner, &name)?;
    let body = json_body(body, r#"{"flavor": "cpu-upgrade"}"#)?;
    let hub = hub(&g, &headers)?;
    blocking(move || Ok(runtime(&space, &hub.deployer.set_hardware(&space, &body.flavor)?))).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SleepBody {
    /// Seconds of inactivity before the Space sleeps; -1 never.
    #[schema(example = 3600)]
    pub seconds: i64,
}

/// Sets how long the Space stays up without visitors.
#[utoipa::path(put, path = "/v1/spaces/{owner}/{name}/sleep", tag = "spaces", security(("bearer" = [])),
    params(("owner" = String, Path), ("name" = String, Path)), request_body = SleepBody,
    responses((status = 200, body = RuntimeChange), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn sleep(
    State(g): State<Gateway>,
    Path((owner, name)): Path<(String, String)>,
    headers: HeaderMap,
    body: Result<Json<SleepBody>, JsonRejection>,
) -> Result<Json<RuntimeChange>, ApiError> {
    let space = space_id(&owner, &name)?;
    let body = json_body(body, r#"{"seconds": 3600}"#)?;
    let hub = hub(&g, &headers)?;
    blocking(move || Ok(runtime(&space, &hub.deployer.set_sleep_time(&space, body.seconds)?))).await
}

/// Names only: the Hub never gives secret values back, and neither does the gateway.
#[derive(Serialize, ToSchema)]
pub struct SecretNames {
    pub space: String,
    pub secrets: Vec<String>,
}

/// The names of the Space's secrets.
#[utoipa::path(get, path = "/v1/spaces/{owner}/{name}/secrets", tag = "spaces", security(("bearer" = [])),
    params(("owner" = String, Path), ("name" = String, Path)),
    responses((status = 200, body = SecretNames), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn secret_names(
    State(g): State<Gateway>,
    Path((owner, name)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Json<SecretNames>, ApiError> {
    let space = space_id(&owner, &name)?;
    let hub = hub(&g, &headers)?;
    blocking(move || {
        let names = hub.api.list_secrets(&space)?.into_keys().collect();
        Ok(Json(SecretNames { space: space.to_string(), secrets: names }))
    })
    .await
}

/// Sets secrets (`{"KEY": "value", ...}`); answers with the names the Space then has.
#[utoipa::path(put, path = "/v1/spaces/{owner}/{name}/secrets", tag = "spaces", security(("bearer" = [])),
    params(("owner" = String, Path), ("name" = String, Path)),
    request_body(content = HashMap<String, String>, description = "Secret names and values"),
    responses((status = 200, body = SecretNames), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn set_secrets(
    State(g): State<Gateway>,
    Path((owner, name)): Path<(String, String)>,
    headers: HeaderMap,
    body: Result<Json<HashMap<String, String>>, JsonRejection>,
) -> Result<Json<SecretNames>, ApiError> {
    let space = space_id(&owner, &name)?;
    let body = json_body(body, r#"{"OPENAI_API_KEY": "sk-..."}"#)?;
    let secrets = secret_entries(&body)?;
    let hub = hub(&g, &headers)?;
    blocking(move || {
        for s in &secrets {
            hub.api.add_secret(&space, s)?;
        }
        let names = hub.api.list_secrets(&space)?.into_keys().collect();
        Ok(Json(SecretNames { space: space.to_string(), secrets: names }))
    })
    .await
}

fn secret_entries(map: &HashMap<String, String>) -> Result<Vec<SecretEntry>, AppError> {
    let mut keys: Vec<&String> = map.keys().collect();
    keys.sort();
    keys.into_iter()
        .map(|k| {
            crate::secrets::check_key(k, "secret")?;
            Ok(SecretEntry { key: k.clone(), value: SecretValue::new(map[k].clone()), description: None })
        })
        .collect()
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LogsQuery {
    /// `run` (the default) or `build`.
    pub level: Option<String>,
    /// Keep the stream open for new lines.
    #[serde(default)]
    pub follow: bool,
    /// Only the last N lines of the history.
    pub tail: Option<usize>,
}

/// One SSE `line` event's data; the event id is the line's number in the log.
#[derive(Serialize, ToSchema)]
pub struct LogLineEvent {
    pub timestamp: String,
    pub line: String,
}

/// The Space's build or run log as server-sent events: `line` events numbered from 1 in the log (the SSE id),
/// then `end` (or `error`). A client that reconnects with `Last-Event-ID` gets every line after that one, none twice.
#[utoipa::path(get, path = "/v1/spaces/{owner}/{name}/logs", tag = "spaces", security(("bearer" = [])),
    params(("owner" = String, Path), ("name" = String, Path), LogsQuery,
        ("Last-Event-ID" = Option<u64>, Header, description = "Resume after this line")),
    responses(
        (status = 200, description = "`text/event-stream` of `line` events (data: LogLineEvent), then `end` or `error`", content_type = "text/event-stream"),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn logs(
    State(g): State<Gateway>,
    Path((owner, name)): Path<(String, String)>,
    Query(q): Query<LogsQuery>,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let space = space_id(&owner, &name)?;
    let kind = match q.level.as_deref() {
        None | Some("run") => LogKind::Run,
        Some("build") => LogKind::Build,
        Some(other) => {
            return Err(ApiError(
                AppError::new(ErrorCode::BadArguments, format!("level={other} is not a log"))
                    .hint("Use level=run or level=build."),
            ));
        }
    };
    let after = last_event_id(&headers);
    let hub = hub(&g, &headers)?;
    // The Space must exist and be readable: that is an HTTP error, not an event of a stream.
    let (hub, space) = blocking(move || {
        hub.api.space_runtime(&space)?;
        Ok((hub, space))
    })
    .await?;
    let (tx, rx) = tokio::sync::mpsc::channel::<Event>(256);
    let query = LogQuery { tail: q.tail, follow: q.follow, after, source: LogSource::Hub };
    tokio::task::spawn_blocking(move || {
        let result = hub.logs.tail_then_follow(&space, kind, &query, &mut |n, line| {
            let data = LogLineEvent { timestamp: line.timestamp.clone(), line: line.text().to_string() };
            let event = Event::default().id(n.to_string()).event("line").json_data(&data).unwrap_or_default();
            // The reader went away: stop reading the Hub.
            if tx.blocking_send(event).is_err() { std::ops::ControlFlow::Break(()) } else { std::ops::ControlFlow::Continue(()) }
        });
        let last = match result {
            Ok(()) => Event::default().event("end").data("{}"),
            Err(e) => Event::default().event("error").json_data(ErrorBody::from(&AppError::from(e))).unwrap_or_default(),
        };
        let _ = tx.blocking_send(last);
    });
    Ok(Sse::new(receiver_stream(rx)).keep_alive(KeepAlive::default()))
}

fn receiver_stream(rx: tokio::sync::mpsc::Receiver<Event>) -> impl Stream<Item = Result<Event, Infallible>> {
    futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|e| (Ok(e), rx)) })
}

/// Scaffold with a plugin, then deploy: the "create a project" flow in one call.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeployBody {
    #[schema(example = "docker")]
    pub sdk: String,
    pub title: Option<String>,
    /// Plugin options by name (see `GET /v1/sdks`).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub options: serde_json::Map<String, Value>,
    #[serde(default)]
    pub api: bool,
    /// A hardware flavor, e.g. `cpu-basic`.
    pub hardware: Option<String>,
    /// Seconds without visitors before the Space sleeps.
    pub sleep_time: Option<i64>,
    /// A Space this deploy creates is private unless this is false.
    #[serde(default = "yes")]
    pub private: bool,
    /// Secrets to set, by name; values are sent to the Hub only.
    #[serde(default)]
    pub secrets: HashMap<String, String>,
    /// Public variables, by name.
    #[serde(default)]
    pub variables: HashMap<String, String>,
    /// Wait for the Space to run, at most this many seconds (default 900; 0: do not wait).
    pub wait_s: Option<u64>,
    /// Delete the Space's files that the project does not have (never the ones it ignores). Off unless
    /// asked: nobody sees a plan first here, so nothing the caller did not send is removed by default.
    #[serde(default)]
    pub delete: bool,
}

fn yes() -> bool {
    true
}

/// What the deploy answers at once; the deploy goes on in the background.
#[derive(Serialize, ToSchema)]
pub struct DeployStarted {
    /// Names the Space and the commit it was at; any replica finds the deployment with it.
    pub deployment_id: String,
    pub space: String,
    pub status_url: String,
    pub events_url: String,
}

/// The archive form of a deploy (`multipart/form-data`): the project and the same settings as fields.
#[derive(ToSchema)]
#[allow(dead_code)] // describes the form for the OpenAPI document; the handler reads the fields one by one
pub struct DeployForm {
    /// The project as `.tar.gz` or `.zip` (checked like `POST /v1/validate`'s).
    #[schema(value_type = String, format = Binary)]
    pub project: Vec<u8>,
    pub hardware: Option<String>,
    pub sleep_time: Option<i64>,
    /// `true` (the default) or `false`.
    pub private: Option<bool>,
    /// A JSON object of secret names and values.
    #[schema(example = r#"{"API_KEY": "..."}"#)]
    pub secrets: Option<String>,
    /// A JSON object of variable names and values.
    pub variables: Option<String>,
    pub wait_s: Option<u64>,
    /// `true` to delete the Space's files that the archive does not have (default `false`).
    pub delete: Option<bool>,
}

/// Where the project comes from.
enum Source {
    Scaffold { sdk: String, title: Option<String>, options: Vec<(String, crate::project::RawValue)>, api: bool },
    Archive(axum::body::Bytes),
}

struct Settings {
    hardware: Option<String>,
    sleep_time: Option<i64>,
    private: bool,
    secrets: HashMap<String, String>,
    variables: HashMap<String, String>,
    wait_s: u64,
    delete: bool,
}

fn form_error(message: String) -> ApiError {
    ApiError(AppError::new(ErrorCode::BadArguments, message).hint(
        "Send multipart/form-data with a `project` file (.tar.gz or .zip) and optional hardware, sleep_time, private, \
         secrets and variables (JSON objects) and wait_s fields, or JSON to scaffold with a plugin.",
    ))
}

async fn read_form(g: &Gateway, req: axum::extract::Request) -> Result<(Source, Settings), ApiError> {
    use axum::extract::FromRequest;
    let mut form = axum::extract::Multipart::from_request(req, g).await.map_err(|e| form_error(e.body_text()))?;
    let mut project = None;
    let mut st = Settings {
        hardware: None,
        sleep_time: None,
        private: true,
        secrets: HashMap::new(),
        variables: HashMap::new(),
        wait_s: 900,
        delete: false,
    };
    while let Some(field) = form.next_field().await.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE { super::routes::too_large() } else { form_error(e.body_text()) }
    })? {
        let name = field.name().unwrap_or_default().to_string();
        let data = field.bytes().await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE { super::routes::too_large() } else { form_error(e.body_text()) }
        })?;
        if name == "project" {
            project = Some(data);
            continue;
        }
        let text = String::from_utf8(data.to_vec()).map_err(|_| form_error(format!("field {name} is not UTF-8 text")))?;
        let text = text.trim();
        let number = |what: &str| text.parse::<i64>().map_err(|_| form_error(format!("{what}={text:?} is not a number")));
        match name.as_str() {
            "hardware" => st.hardware = Some(text.to_string()),
            "sleep_time" => st.sleep_time = Some(number("sleep_time")?),
            "wait_s" => st.wait_s = number("wait_s")?.max(0) as u64,
            "private" | "delete" => {
                let on = match text {
                    "true" | "1" | "yes" => true,
                    "false" | "0" | "no" => false,
                    other => return Err(form_error(format!("{name}={other:?} is not true or false"))),
                };
                if name == "private" { st.private = on } else { st.delete = on }
            }
            "secrets" | "variables" => {
                let map: HashMap<String, String> =
                    serde_json::from_str(text).map_err(|e| form_error(format!("{name} is not a JSON object of strings: {e}")))?;
                if name == "secrets" { st.secrets = map } else { st.variables = map }
            }
            other => return Err(form_error(format!("unknown form field {other:?}"))),
        }
    }
    let project = project.ok_or_else(|| form_error("the form has no `project` file".into()))?;
    Ok((Source::Archive(project), st))
}

/// Deploys to the Space (created private unless `private` is false), from either a plugin (JSON: scaffold,
/// then deploy) or a project archive (`multipart/form-data`). Answers 202 at once; follow `events_url` (SSE)
/// or poll `status_url`.
#[utoipa::path(post, path = "/v1/spaces/{owner}/{name}/deploy", tag = "deployments", security(("bearer" = [])),
    params(("owner" = String, Path), ("name" = String, Path)),
    request_body(content((DeployBody = "application/json"), (DeployForm = "multipart/form-data"))),
    responses((status = 202, body = DeployStarted), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 413, body = ErrorBody)))]
async fn deploy(
    State(g): State<Gateway>,
    Path((owner, name)): Path<(String, String)>,
    headers: HeaderMap,
    req: axum::extract::Request,
) -> Result<Response, ApiError> {
    use axum::extract::FromRequest;
    let space = space_id(&owner, &name)?;
    let multipart = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.to_ascii_lowercase().starts_with("multipart/form-data"));
    let (source, st) = if multipart {
        read_form(&g, req).await?
    } else {
        let body = json_body(
            Json::<DeployBody>::from_request(req, &g).await,
            r#"{"sdk": "docker", "hardware": "cpu-basic", "secrets": {"API_KEY": "..."}}"#,
        )?;
        let options = raw_options(&body.options)?;
        let st = Settings {
            hardware: body.hardware,
            sleep_time: body.sleep_time,
            private: body.private,
            secrets: body.secrets,
            variables: body.variables,
            wait_s: body.wait_s.unwrap_or(900),
            delete: body.delete,
        };
        (Source::Scaffold { sdk: body.sdk, title: body.title, options, api: body.api }, st)
    };
    let secrets = secret_entries(&st.secrets)?;
    let mut variables = Vec::new();
    let mut keys: Vec<&String> = st.variables.keys().collect();
    keys.sort();
    for k in keys {
        crate::secrets::check_key(k, "variable")?;
        variables.push(VariableEntry { key: k.clone(), value: st.variables[k].clone(), description: None });
    }
    let hub = hub(&g, &headers)?;
    // The project first, so a bad option or a hostile archive is a 400 now, not a failed deploy later.
    let app = g.app.clone();
    let limits = g.config.archive_limits;
    let (dir, prepared) = blocking(move || {
        let dir = temp_dir()?;
        let root = dir.path().join("project");
        let event = match source {
            Source::Scaffold { sdk, title, options, api } => {
                let new = NewRequest { dir: root, sdk: sdk.clone(), title, api, options };
                let scaffold = app.projects.new_project(&new, false, false)?;
                json!({ "event": "scaffolded", "files": scaffold.files.len(), "sdk": sdk })
            }
            Source::Archive(bytes) => {
                std::fs::create_dir(&root)
                    .map_err(|e| AppError::new(ErrorCode::WriteFailed, format!("cannot create a temporary directory: {e}")))?;
                json!({ "event": "unpacked", "files": archive::unpack(&bytes, &root, limits)? })
            }
        };
        Ok((dir, event))
    })
    .await?;
    // Where the Space is now, so any replica can tell this deployment's commit from earlier ones.
    let (hub, space, parent) = blocking(move || {
        // The token is checked here, once (the deployer of `hub_with_token` does not ask again).
        hub.api.whoami()?;
        let parent = match hub.api.space_info(&space, None) {
            Ok(info) => info.sha.unwrap_or_default(),
            Err(e) if e.kind() == spacesmith_hub::ErrorKind::SpaceNotFound => String::new(),
            Err(e) => return Err(e.into()),
        };
        Ok((hub, space, parent))
    })
    .await?;
    let id = DeploymentId { space: space.to_string(), parent, nonce: nonce() };
    let encoded = id.encode();
    let journal = Arc::new(Journal::default());
    journal.push(prepared);
    g.remember(&encoded, journal.clone());
    let req = DeployRequest {
        dir: dir.path().join("project"),
        space: space.clone(),
        visibility: if st.private { Visibility::Private } else { Visibility::Public },
        hardware: st.hardware.clone(),
        sleep_time: st.sleep_time,
        secrets,
        variables,
        message: Some(format!("Deploy with spacesmith (deployment {encoded})")),
        revision: "main".into(),
        create_pr: false,
        wait: (st.wait_s > 0).then(|| Duration::from_secs(st.wait_s)),
        rebuild_grace: Duration::from_secs(180),
        delete: st.delete,
        delete_ignored: false,
        force: false,
        dry_run: false,
    };
    tokio::task::spawn_blocking(move || {
        let result = hub.deployer.deploy(&req, journal.as_ref());
        // The project's temporary directory goes only after the deploy is done with it.
        drop(dir);
        match result {
            Ok(report) => journal.finish(json!({ "event": "finished", "success": report.success, "report": report })),
            Err(e) => journal.finish(json!({ "event": "failed", "error": ErrorBody::from(&e) })),
        }
    });
    let body = DeployStarted {
        status_url: format!("/v1/deployments/{encoded}"),
        events_url: format!("/v1/deployments/{encoded}/events"),
        deployment_id: encoded,
        space: space.to_string(),
    };
    Ok((StatusCode::ACCEPTED, Json(body)).into_response())
}

fn nonce() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    format!("{:x}{:x}{:x}", t, std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed))
}

/// What a deployment id carries: the Space and its commit before the deploy (empty: it did not exist).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct DeploymentId {
    space: String,
    parent: String,
    nonce: String,
}

impl DeploymentId {
    fn encode(&self) -> String {
        let raw = format!("{}\n{}\n{}", self.space, self.parent, self.nonce);
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
    }

    fn decode(s: &str) -> Result<DeploymentId, AppError> {
        let bad = || {
            AppError::new(ErrorCode::BadArguments, format!("{s:?} is not a deployment id"))
                .hint("Use the deployment_id that POST /v1/spaces/{owner}/{name}/deploy answered.")
        };
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s).map_err(|_| bad())?;
        let raw = String::from_utf8(raw).map_err(|_| bad())?;
        let mut parts = raw.splitn(3, '\n');
        let (Some(space), Some(parent), Some(nonce)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad());
        };
        SpaceId::parse(space).map_err(|_| bad())?;
        if !parent.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(bad());
        }
        Ok(DeploymentId { space: space.into(), parent: parent.into(), nonce: nonce.into() })
    }
}

/// A deployment as the Hub shows it, the same from every replica.
#[derive(Serialize, ToSchema)]
pub struct DeploymentState {
    pub deployment_id: String,
    pub space: String,
    /// `pending` (no new commit yet), `building`, `running`, `failed` or `paused`.
    #[schema(example = "building")]
    pub state: String,
    /// The Space's stage, e.g. `BUILDING`, `RUNNING`, `BUILD_ERROR` (none before the Space exists).
    pub stage: Option<String>,
    /// The Space's commit now; differs from `parent` once the deploy committed.
    pub sha: Option<String>,
    pub parent: Option<String>,
    pub error_message: Option<String>,
}

fn state_of(stage: &str) -> &'static str {
    match stage {
        "RUNNING" | "RUNNING_BUILDING" | "RUNNING_APP_STARTING" => "running",
        "PAUSED" | "SLEEPING" | "STOPPED" => "paused",
        s if s.ends_with("_ERROR") || s == "ERROR" || s == "DELETING" => "failed",
        _ => "building",
    }
}

fn hub_state(hub: &HubServices, id: &DeploymentId, encoded: &str) -> Result<DeploymentState, AppError> {
    let space = SpaceId::parse(&id.space)?;
    let parent = (!id.parent.is_empty()).then(|| id.parent.clone());
    let info = match hub.api.space_info(&space, None) {
        Ok(info) => Some(info),
        Err(e) if e.kind() == spacesmith_hub::ErrorKind::SpaceNotFound && parent.is_none() => None,
        Err(e) => return Err(e.into()),
    };
    let sha = info.as_ref().and_then(|i| i.sha.clone());
    let committed = sha.is_some() && sha != parent;
    let (state, stage, error_message) = if committed {
        let rt = hub.api.space_runtime(&space)?;
        (state_of(&rt.stage).to_string(), Some(rt.stage.clone()), rt.error_message.clone())
    } else {
        ("pending".to_string(), None, None)
    };
    Ok(DeploymentState { deployment_id: encoded.to_string(), space: id.space.clone(), state, stage, sha, parent, error_message })
}

/// A deployment's state, from the Hub: any replica gives the same answer.
#[utoipa::path(get, path = "/v1/deployments/{id}", tag = "deployments", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = DeploymentState), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
async fn deployment(
    State(g): State<Gateway>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<DeploymentState>, ApiError> {
    let parsed = DeploymentId::decode(&id)?;
    let hub = hub(&g, &headers)?;
    blocking(move || Ok(Json(hub_state(&hub, &parsed, &id)?))).await
}

/// The deploy's events as SSE, numbered (the SSE id) so `Last-Event-ID` resumes: on the replica running it,
/// every step (`validated`, `created`, `planned`, `upload`, `committed`, `stage`, `log`, then `finished` or
/// `failed`); on another replica, the Hub's `state` changes until the deployment runs or fails.
#[utoipa::path(get, path = "/v1/deployments/{id}/events", tag = "deployments", security(("bearer" = [])),
    params(("id" = String, Path), ("Last-Event-ID" = Option<u64>, Header, description = "Resume after this event")),
    responses(
        (status = 200, description = "`text/event-stream` of deploy events", content_type = "text/event-stream"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
async fn deployment_events(
    State(g): State<Gateway>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let parsed = DeploymentId::decode(&id)?;
    let after = last_event_id(&headers) as usize;
    let local = g.deployments.lock().unwrap().get(&id).cloned();
    let (tx, rx) = tokio::sync::mpsc::channel::<Event>(256);
    match local {
        Some(journal) => {
            tokio::task::spawn_blocking(move || {
                let mut next = after;
                loop {
                    let (batch, done) = journal.after(next, Duration::from_secs(15));
                    for (n, v) in batch {
                        next = n;
                        let kind = v["event"].as_str().unwrap_or("event").to_string();
                        let event = Event::default().id(n.to_string()).event(kind).json_data(&v).unwrap_or_default();
                        if tx.blocking_send(event).is_err() {
                            return;
                        }
                    }
                    if done {
                        return;
                    }
                }
            });
        }
        None => {
            let hub = hub(&g, &headers)?;
            tokio::task::spawn_blocking(move || {
                let mut last: Option<String> = None;
                let mut n = 0usize;
                loop {
                    let state = match hub_state(&hub, &parsed, &id) {
                        Ok(s) => s,
                        Err(e) => {
                            let _ = tx.blocking_send(
                                Event::default().event("error").json_data(ErrorBody::from(&e)).unwrap_or_default(),
                            );
                            return;
                        }
                    };
                    let key = format!("{}/{}", state.state, state.stage.as_deref().unwrap_or(""));
                    if last.as_deref() != Some(key.as_str()) {
                        n += 1;
                        let settled = matches!(state.state.as_str(), "running" | "failed" | "paused");
                        if n > after {
                            let event = Event::default().id(n.to_string()).event("state").json_data(&state).unwrap_or_default();
                            if tx.blocking_send(event).is_err() {
                                return;
                            }
                        }
                        if settled {
                            return;
                        }
                        last = Some(key);
                    }
                    if tx.is_closed() {
                        return;
                    }
                    std::thread::sleep(Duration::from_secs(2));
                }
            });
        }
    }
    Ok(Sse::new(receiver_stream(rx)).keep_alive(KeepAlive::default()))
}

/// A running deploy's events, in order, for `/events` readers on this replica.
#[derive(Default)]
pub(super) struct Journal {
    inner: Mutex<(Vec<Value>, bool)>,
    changed: std::sync::Condvar,
}

impl Journal {
    pub(super) fn done(&self) -> bool {
        self.inner.lock().unwrap().1
    }

    fn push(&self, v: Value) {
        self.inner.lock().unwrap().0.push(v);
        self.changed.notify_all();
    }

    fn finish(&self, v: Value) {
        let mut g = self.inner.lock().unwrap();
        g.0.push(v);
        g.1 = true;
        self.changed.notify_all();
    }

    /// Events numbered above `after` (1-based), waiting up to `wait` for one; and whether the deploy ended.
    fn after(&self, after: usize, wait: Duration) -> (Vec<(usize, Value)>, bool) {
        let mut g = self.inner.lock().unwrap();
        if g.0.len() <= after && !g.1 {
            g = self.changed.wait_timeout(g, wait).unwrap().0;
        }
        let batch = g.0.iter().enumerate().skip(after).map(|(i, v)| (i + 1, v.clone())).collect();
        (batch, g.1)
    }
}

impl DeployObserver for Journal {
    fn event(&self, e: DeployEvent<'_>) {
        let v = match e {
            DeployEvent::Validated(r) => json!({ "event": "validated", "errors": r.errors, "warnings": r.warnings }),
            DeployEvent::Created { url, visibility } => json!({ "event": "created", "url": url, "visibility": visibility }),
            DeployEvent::Configured { secrets, variables, hardware, sleep_time } => {
                json!({ "event": "configured", "secrets": secrets, "variables": variables, "hardware": hardware, "sleep_time": sleep_time })
            }
            DeployEvent::Planned(p) => json!({
                "event": "planned",
                "added": p.added.len(), "changed": p.changed.len(), "unchanged": p.unchanged.len(),
                "bytes": p.bytes_to_send(),
                // Every path a deploy removes is named, and those it keeps because the project ignores them.
                "deleted": p.deleted, "kept_ignored": p.kept_ignored
            }),
            DeployEvent::Upload(UploadEvent::Classified { regular, lfs, ignored }) => {
                json!({ "event": "upload", "regular": regular, "lfs": lfs, "ignored": ignored })
            }
            // Byte progress is for terminals; an event log keeps the steps.
            DeployEvent::Upload(UploadEvent::LfsProgress { .. }) => return,
            DeployEvent::Upload(UploadEvent::Committing { ops }) => json!({ "event": "committing", "operations": ops }),
            DeployEvent::Uploaded(u) => json!({ "event": "committed", "commit": u.commit }),
            DeployEvent::Secrets(s) => json!({ "event": "secrets", "secrets": s }),
            DeployEvent::Waiting { timeout } => json!({ "event": "waiting", "timeout_s": timeout.as_secs() }),
            DeployEvent::Watch(WatchEvent::Stage(rt)) => {
                json!({ "event": "stage", "stage": rt.stage, "error_message": rt.error_message })
            }
            DeployEvent::Watch(WatchEvent::Log(kind, line)) => {
                json!({ "event": "log", "log": if kind == LogKind::Build { "build" } else { "run" }, "timestamp": line.timestamp, "line": line.text() })
            }
            DeployEvent::Watch(WatchEvent::AwaitingBuild { commit, stage, built }) => {
                json!({ "event": "awaiting_build", "commit": commit, "stage": stage, "built": built })
            }
        };
        self.push(v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deployment_ids_round_trip_and_refuse_garbage() {
        let id = DeploymentId { space: "alice/demo".into(), parent: "abc123".into(), nonce: nonce() };
        assert_eq!(DeploymentId::decode(&id.encode()).unwrap(), id);
        let new = DeploymentId { space: "alice/new".into(), parent: String::new(), nonce: "1".into() };
        assert_eq!(DeploymentId::decode(&new.encode()).unwrap(), new);
        for bad in ["", "!!!", &base64::engine::general_purpose::URL_SAFE_NO_PAD.encode("no-newlines")] {
            assert_eq!(DeploymentId::decode(bad).unwrap_err().code, ErrorCode::BadArguments, "{bad}");
        }
        let evil = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode("../x\nzz\n1");
        assert!(DeploymentId::decode(&evil).is_err());
    }

    #[test]
    fn stages_map_to_deployment_states() {
        assert_eq!(state_of("RUNNING"), "running");
        assert_eq!(state_of("BUILDING"), "building");
        assert_eq!(state_of("APP_STARTING"), "building");
        assert_eq!(state_of("BUILD_ERROR"), "failed");
        assert_eq!(state_of("RUNTIME_ERROR"), "failed");
        assert_eq!(state_of("PAUSED"), "paused");
    }

    #[test]
    fn the_journal_hands_out_events_after_a_resume_point() {
        let j = Journal::default();
        j.push(json!({ "event": "a" }));
        j.push(json!({ "event": "b" }));
        let (batch, done) = j.after(1, Duration::from_millis(1));
        assert_eq!((batch.len(), batch[0].0, done), (1, 2, false));
        j.finish(json!({ "event": "finished" }));
        let (batch, done) = j.after(0, Duration::from_millis(1));
        assert_eq!((batch.len(), done), (3, true));
    }
}
