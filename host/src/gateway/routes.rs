//! The routes under `/v1`, each a few lines over the core, and the types of their bodies. The OpenAPI
//! document is generated from these definitions (utoipa), never written by hand.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, JsonRejection};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use spacesmith_runtime::OptionValue;
use utoipa::{OpenApi, ToSchema};

use super::archive::{self, OutFile};
use super::spaces;
use super::{ApiError, Gateway, blocking};
use crate::error::{AppError, ErrorCode};
use crate::project::{NewRequest, RawValue};
use crate::registry::PluginRegistry;
use crate::version::VersionInfo;

#[derive(OpenApi)]
#[openapi(
    info(title = "spacesmith gateway", description = "Scaffold, check and deploy Hugging Face Spaces over HTTP."),
    paths(
        health, version, sdks, rules, validate, scaffold, openapi,
        spaces::status, spaces::pause, spaces::restart, spaces::hardware, spaces::sleep, spaces::secret_names,
        spaces::set_secrets, spaces::logs, spaces::deploy, spaces::deployment, spaces::deployment_events
    ),
    components(schemas(
        ErrorBody, Health, Version, SdkList, Sdk, SdkOption, RuleList, Validation, Finding, ScaffoldRequest, Scaffold,
        ScaffoldFile, spaces::SpaceState, spaces::RuntimeChange, spaces::HardwareBody, spaces::SleepBody,
        spaces::SecretNames, spaces::LogLineEvent, spaces::DeployBody, spaces::DeployForm, spaces::DeployStarted,
        spaces::DeploymentState
    )),
    modifiers(&Security),
    security((), ("gateway_key" = [])),
    tags(
        (name = "meta", description = "Health, version and this document."),
        (name = "projects", description = "Offline: scaffold and validate; no Hub token needed."),
        (name = "spaces", description = "A Space on the Hub, with the caller's token."),
        (name = "deployments", description = "Scaffold and deploy; follow a deployment from any replica.")
    )
)]
pub struct ApiDoc;

/// The two credentials: the caller's Hub token (passed through to the Hub) and the gateway's own key.
struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("The caller's Hugging Face token, passed through to the Hub and never kept"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "gateway_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-Spacesmith-Key",
                "Required when the gateway runs with SPACESMITH_GATEWAY_KEYS",
            ))),
        );
    }
}

pub(super) fn routes() -> Router<Gateway> {
    spaces::routes()
        .route("/v1/health", get(health))
        .route("/v1/version", get(version))
        .route("/v1/openapi.json", get(openapi))
        .route("/v1/sdks", get(sdks))
        .route("/v1/rules", get(rules))
        .route("/v1/validate", post(validate))
        .route("/v1/scaffold", post(scaffold))
}

/// Every error: the stable code (see the README's table), what failed and why, and what to do.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Always false.
    pub success: bool,
    #[schema(example = "SPACE_NOT_FOUND")]
    pub error_code: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl From<&AppError> for ErrorBody {
    fn from(e: &AppError) -> Self {
        ErrorBody { success: false, error_code: e.code.as_str().to_string(), message: e.message.clone(), hint: e.hint.clone() }
    }
}

#[derive(Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    pub status: &'static str,
}

/// Liveness: answers while the process runs (no key needed).
#[utoipa::path(get, path = "/v1/health", tag = "meta", responses((status = 200, body = Health)))]
async fn health() -> Json<Health> {
    Json(Health { status: "ok" })
}

#[derive(Serialize, ToSchema)]
pub struct Version {
    #[schema(example = "0.1.0")]
    pub version: String,
    /// Short git commit, or `unknown`.
    pub commit: String,
    /// Every plugin contract (WIT) version served.
    pub contracts: Vec<String>,
    pub latest_contract: String,
    pub wasmtime: String,
}

/// What `spacesmith --version --json` says: version, commit, contract versions served, wasmtime.
#[utoipa::path(get, path = "/v1/version", tag = "meta", responses((status = 200, body = Version)))]
async fn version() -> Json<Version> {
    let v = VersionInfo::current();
    Json(Version {
        version: v.version.to_string(),
        commit: v.commit.to_string(),
        contracts: v.contracts.iter().map(|c| c.version.clone()).collect(),
        latest_contract: v.latest_contract.clone(),
        wasmtime: v.wasmtime.to_string(),
    })
}

/// This document.
#[utoipa::path(get, path = "/v1/openapi.json", tag = "meta", responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json")))]
async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

#[derive(Serialize, ToSchema)]
pub struct SdkList {
    pub sdks: Vec<Sdk>,
}

/// A plugin and the options `scaffold` takes for it, so a UI can render a form.
#[derive(Serialize, ToSchema)]
pub struct Sdk {
    #[schema(example = "docker")]
    pub sdk_id: String,
    pub name: String,
    pub version: String,
    pub description: String,
    /// README `sdk` values whose repositories this plugin checks.
    pub checks_sdks: Vec<String>,
    pub default_port: Option<u16>,
    pub options: Vec<SdkOption>,
}

#[derive(Serialize, ToSchema)]
pub struct SdkOption {
    pub name: String,
    /// `{"type": "text"|"flag"|"url"}`, `{"type": "integer", "min", "max"}` or `{"type": "choice", "values"}`.
    #[schema(value_type = Object)]
    pub kind: Value,
    /// A string, boolean or integer, as the kind says.
    #[schema(value_type = Object, nullable)]
    pub default: Option<Value>,
    pub help: String,
}

/// Every SDK plugin this gateway serves: built-ins and installed ones.
#[utoipa::path(get, path = "/v1/sdks", tag = "projects", responses((status = 200, body = SdkList), (status = 422, body = ErrorBody)))]
async fn sdks(State(g): State<Gateway>) -> Result<Json<SdkList>, ApiError> {
    let app = g.app.clone();
    blocking(move || {
        let mut sdks = Vec::new();
        for id in app.registry.sdk_ids() {
            let plugin = app.registry.get(&id)?;
            let info = plugin.info();
            sdks.push(Sdk {
                sdk_id: info.sdk_id.clone(),
                name: info.name.clone(),
                version: info.version.clone(),
                description: info.description.clone(),
                checks_sdks: info.checks_sdks.clone(),
                default_port: info.default_port,
                options: info
                    .options
                    .iter()
                    .map(|o| SdkOption {
                        name: o.name.clone(),
                        kind: serde_json::to_value(&o.kind).unwrap_or(Value::Null),
                        default: o.default.as_ref().map(|d| serde_json::to_value(d).unwrap_or(Value::Null)),
                        help: o.help.clone(),
                    })
                    .collect(),
            });
        }
        Ok(Json(SdkList { sdks }))
    })
    .await
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RulesQuery {
    /// Only the shared rules and this SDK plugin's.
    pub sdk: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct RuleList {
    /// As `spacesmith rules --json`: `source` (`config`, `common` or an SDK id), `id`, `severity`, `summary`, ...
    #[schema(value_type = Vec<Object>)]
    pub rules: Vec<Value>,
}

/// Every rule `validate` applies, with why and how to fix.
#[utoipa::path(get, path = "/v1/rules", tag = "projects", params(RulesQuery),
    responses((status = 200, body = RuleList), (status = 400, body = ErrorBody)))]
async fn rules(State(g): State<Gateway>, Query(q): Query<RulesQuery>) -> Result<Json<RuleList>, ApiError> {
    let app = g.app.clone();
    blocking(move || {
        let entries = app.projects.rules(q.sdk.as_deref())?;
        let rules = entries.iter().map(|r| serde_json::to_value(r).unwrap_or(Value::Null)).collect();
        Ok(Json(RuleList { rules }))
    })
    .await
}

/// A finding of `validate`, as `spacesmith validate --json` prints it.
#[derive(Serialize, ToSchema)]
pub struct Finding {
    #[schema(example = "config/unknown-key")]
    pub rule: String,
    /// `error`, `warning` or `info`.
    #[schema(example = "error")]
    pub severity: String,
    /// Project-relative, `/`-separated.
    pub path: Option<String>,
    /// 1-based.
    pub line: Option<u32>,
    pub message: String,
    pub fix: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Validation {
    pub findings: Vec<Finding>,
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
    /// The README's `sdk`.
    pub sdk: Option<String>,
}

/// Checks a project sent as a `.tar.gz` or `.zip` (told apart by their first bytes). Archives with `..`,
/// absolute paths, links or devices are refused before anything is unpacked.
#[utoipa::path(post, path = "/v1/validate", tag = "projects",
    request_body(content = Vec<u8>, description = "The project as .tar.gz or .zip", content_type = "application/octet-stream"),
    responses(
        (status = 200, description = "The findings; `errors` > 0 means deploy would refuse it", body = Validation),
        (status = 400, description = "Not a readable archive, or an unsafe one", body = ErrorBody),
        (status = 413, description = "Over the body limit", body = ErrorBody)))]
async fn validate(State(g): State<Gateway>, body: Result<Bytes, BytesRejection>) -> Result<Json<Validation>, ApiError> {
    let body = body.map_err(body_error)?;
    let app = g.app.clone();
    let limits = g.config.archive_limits;
    blocking(move || {
        let dir = temp_dir()?;
        archive::unpack(&body, dir.path(), limits)?;
        let report = app.projects.validate(dir.path())?;
        let findings = report
            .findings
            .iter()
            .map(|f| Finding {
                rule: f.rule.clone(),
                severity: f.severity.as_str().to_string(),
                path: f.path.clone(),
                line: f.line,
                message: f.message.clone(),
                fix: f.fix.clone(),
            })
            .collect();
        Ok(Json(Validation {
            findings,
            errors: report.errors,
            warnings: report.warnings,
            infos: report.infos,
            sdk: report.sdk.clone(),
        }))
    })
    .await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScaffoldRequest {
    #[schema(example = "docker")]
    pub sdk: String,
    pub title: Option<String>,
    /// Plugin options by name (see `GET /v1/sdks`): strings, booleans for flags, integers.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub options: serde_json::Map<String, Value>,
    /// Add the FastAPI side API where the SDK offers one.
    #[serde(default)]
    pub api: bool,
}

#[derive(Serialize, ToSchema)]
pub struct ScaffoldFile {
    pub path: String,
    pub executable: bool,
    /// UTF-8 text; binary files come as `content_base64` instead.
    pub content: Option<String>,
    pub content_base64: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Scaffold {
    pub files: Vec<ScaffoldFile>,
    /// The secrets the Space needs: name, stage, required, why, how to set it.
    #[schema(value_type = Vec<Object>)]
    pub secrets: Vec<Value>,
    /// The public variables it reads.
    #[schema(value_type = Vec<Object>)]
    pub variables: Vec<Value>,
    pub notices: Vec<String>,
}

/// Renders a Space project with an SDK plugin: a `.tar.gz` (the default), or the file list as JSON with
/// `Accept: application/json`. Nothing is kept on the gateway.
#[utoipa::path(post, path = "/v1/scaffold", tag = "projects", request_body = ScaffoldRequest,
    responses(
        (status = 200, description = "The project", content(
            (Scaffold = "application/json"),
            (Vec<u8> = "application/gzip"))),
        (status = 400, body = ErrorBody),
        (status = 404, description = "No plugin for that SDK", body = ErrorBody)))]
async fn scaffold(
    State(g): State<Gateway>,
    headers: HeaderMap,
    body: Result<Json<ScaffoldRequest>, JsonRejection>,
) -> Result<Response, ApiError> {
    let req = json_body(body, r#"{"sdk": "docker", "title": "My Space", "options": {"port": 7860}}"#)?;
    let want_json = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.split(',').any(|t| t.trim().starts_with("application/json")));
    let app = g.app.clone();
    blocking(move || {
        let dir = temp_dir()?;
        let root = dir.path().join("project");
        let options = raw_options(&req.options)?;
        let new = NewRequest { dir: root.clone(), sdk: req.sdk.clone(), title: req.title.clone(), api: req.api, options };
        let report = app.projects.new_project(&new, false, false)?;
        let mut files = Vec::with_capacity(report.files.len());
        for f in &report.files {
            let data = std::fs::read(root.join(&f.path))
                .map_err(|e| AppError::new(ErrorCode::WriteFailed, format!("cannot read back the scaffolded {}: {e}", f.path)))?;
            files.push((f.path.clone(), data, f.executable));
        }
        if want_json {
            use base64::Engine as _;
            let files = files
                .into_iter()
                .map(|(path, data, executable)| match String::from_utf8(data) {
                    Ok(text) => ScaffoldFile { path, executable, content: Some(text), content_base64: None },
                    Err(e) => ScaffoldFile {
                        path,
                        executable,
                        content: None,
                        content_base64: Some(base64::engine::general_purpose::STANDARD.encode(e.into_bytes())),
                    },
                })
                .collect();
            let body = Scaffold {
                files,
                secrets: report.secrets.iter().map(|x| serde_json::to_value(x).unwrap_or(Value::Null)).collect(),
                variables: report.variables.iter().map(|x| serde_json::to_value(x).unwrap_or(Value::Null)).collect(),
                notices: report.notices.clone(),
            };
            return Ok(Json(body).into_response());
        }
        let out: Vec<OutFile<'_>> =
            files.iter().map(|(p, d, x)| OutFile { path: p.as_str(), data: d.as_slice(), executable: *x }).collect();
        let bytes = archive::pack_tar_gz(&out)
            .map_err(|e| AppError::new(ErrorCode::WriteFailed, format!("cannot pack the project: {e}")))?;
        let name = format!("attachment; filename=\"{}-space.tar.gz\"", safe_file_name(&req.sdk));
        Ok(([(header::CONTENT_TYPE, "application/gzip".to_string()), (header::CONTENT_DISPOSITION, name)], bytes).into_response())
    })
    .await
}

fn safe_file_name(s: &str) -> String {
    s.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect()
}

/// A request's `options` as the plugin's option parser takes them.
pub(super) fn raw_options(options: &serde_json::Map<String, Value>) -> Result<Vec<(String, RawValue)>, AppError> {
    options.iter().map(|(k, v)| raw_option(k, v).map(|r| (k.clone(), r))).collect()
}

fn raw_option(name: &str, v: &Value) -> Result<RawValue, AppError> {
    match v {
        Value::String(s) => Ok(RawValue::Text(s.clone())),
        Value::Bool(b) => Ok(RawValue::Typed(OptionValue::Flag(*b))),
        Value::Number(n) if n.is_i64() => Ok(RawValue::Typed(OptionValue::Integer(n.as_i64().unwrap_or_default()))),
        other => {
            Err(AppError::new(ErrorCode::BadOption, format!("option {name:?} is {other}, not a string, boolean or integer"))
                .hint("GET /v1/sdks lists each option's type."))
        }
    }
}

pub(super) fn temp_dir() -> Result<tempfile::TempDir, AppError> {
    tempfile::Builder::new().prefix("spacesmith-gateway-").tempdir().map_err(|e| {
        AppError::new(ErrorCode::WriteFailed, format!("cannot create a temporary directory: {e}"))
            .hint("Check TMPDIR on the gateway host: it must exist and be writable.")
    })
}

/// A JSON body, or the error that says what is wrong with it (413 past the body limit).
pub(super) fn json_body<T>(body: Result<Json<T>, JsonRejection>, example: &str) -> Result<T, ApiError> {
    body.map(|Json(b)| b).map_err(|e| {
        let code = if e.status() == StatusCode::PAYLOAD_TOO_LARGE { ErrorCode::BodyTooLarge } else { ErrorCode::BadJson };
        ApiError(
            AppError::new(code, format!("the request body is not valid: {}", e.body_text()))
                .hint(format!("Send JSON like {example}.")),
        )
    })
}

/// The SSE `Last-Event-ID` a reconnecting reader sends: the last event it got (0: none).
pub(super) fn last_event_id(headers: &HeaderMap) -> u64 {
    headers.get("last-event-id").and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse().ok()).unwrap_or(0)
}

pub(super) fn too_large() -> ApiError {
    ApiError(
        AppError::new(ErrorCode::BodyTooLarge, "the request body is over this gateway's limit")
            .hint("Leave large files (models, data) out of the archive, or ask the operator to raise `--max-body-mib`."),
    )
}

fn body_error(e: BytesRejection) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return too_large();
    }
    ApiError(AppError::new(ErrorCode::BadArchive, format!("cannot read the request body: {}", e.body_text())))
}
