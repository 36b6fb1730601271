//! One error model for every command: a stable code for machines, an exit code for shells, and a
//! message that says what failed, why, and what to do.

use serde::Serialize;

/// Process exit codes (DESIGN.md §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Ok = 0,
    /// The checked thing failed: validation errors, a plugin that failed, a build error.
    Failed = 1,
    /// Usage or input error.
    Usage = 2,
    Auth = 3,
    Network = 4,
    Timeout = 5,
}

/// What kind of failure a code is: the CLI turns it into an exit code, the gateway into an HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    /// The input or the invocation is wrong; fix it and run again.
    Usage,
    /// No credentials, or the Hub refused them.
    Auth,
    /// The credentials are good but may not do this.
    Permission,
    /// The named thing (Space, plugin, project, file) is not there.
    NotFound,
    /// It exists already, or changed under us.
    Conflict,
    /// The checked or attempted thing failed: validation, a plugin, a build, a write.
    Failed,
    /// The Hub or the network is not answering; try again later.
    Unavailable,
    /// A wait ran out of time.
    Timeout,
}

impl Category {
    pub const ALL: [Category; 8] = [
        Category::Usage,
        Category::Auth,
        Category::Permission,
        Category::NotFound,
        Category::Conflict,
        Category::Failed,
        Category::Unavailable,
        Category::Timeout,
    ];

    /// The process exit code (DESIGN.md §1).
    pub fn exit(self) -> Exit {
        match self {
            // A clash with what exists is input to change, like a name that is not there.
            Category::Usage | Category::NotFound | Category::Conflict => Exit::Usage,
            Category::Auth | Category::Permission => Exit::Auth,
            Category::Failed => Exit::Failed,
            Category::Unavailable => Exit::Network,
            Category::Timeout => Exit::Timeout,
        }
    }

    /// The HTTP status a gateway answers with.
    pub fn http_status(self) -> u16 {
        match self {
            Category::Usage => 400,
            Category::Auth => 401,
            Category::Permission => 403,
            Category::NotFound => 404,
            Category::Conflict => 409,
            Category::Failed => 422,
            Category::Unavailable => 503,
            Category::Timeout => 504,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Category::Usage => "usage",
            Category::Auth => "auth",
            Category::Permission => "permission",
            Category::NotFound => "not-found",
            Category::Conflict => "conflict",
            Category::Failed => "failed",
            Category::Unavailable => "unavailable",
            Category::Timeout => "timeout",
        }
    }
}

macro_rules! error_codes {
    ($($variant:ident = $code:literal, $category:ident, $meaning:literal;)*) => {
        /// Every error a front end can report. The names are stable (scripts and HTTP clients match on them);
        /// the README's table lists them all (a test keeps it in step).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $(#[doc = $meaning] $variant,)*
        }

        impl ErrorCode {
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The stable SCREAMING_SNAKE name, e.g. `SPACE_NOT_FOUND`.
            pub fn as_str(self) -> &'static str {
                match self { $(ErrorCode::$variant => $code,)* }
            }

            pub fn category(self) -> Category {
                match self { $(ErrorCode::$variant => Category::$category,)* }
            }

            /// The HTTP status a gateway answers with: the category's, but 413 for a body over the limit.
            pub fn http_status(self) -> u16 {
                match self {
                    ErrorCode::BodyTooLarge => 413,
                    _ => self.category().http_status(),
                }
            }

            /// One line on what the code means, for the README table.
            pub fn meaning(self) -> &'static str {
                match self { $(ErrorCode::$variant => $meaning,)* }
            }
        }
    };
}

error_codes! {
    // Arguments and input.
    BadArchive = "BAD_ARCHIVE", Usage, "A project archive sent to the gateway is not a readable .tar.gz or .zip.";
    BadArguments = "BAD_ARGUMENTS", Usage, "The command line could not be parsed.";
    BadDir = "BAD_DIR", Usage, "The project directory argument is not usable.";
    BadKey = "BAD_KEY", Usage, "A secret or variable name is not a valid key.";
    BadName = "BAD_NAME", Usage, "A plugin crate name is not valid.";
    BadOption = "BAD_OPTION", Usage, "A plugin option has a value its schema refuses.";
    BadJson = "BAD_JSON", Usage, "A request body is not the JSON the route takes.";
    BadPin = "BAD_PIN", Usage, "A `--sha256` pin is not 64 hex digits.";
    BadSdkId = "BAD_SDK_ID", Usage, "A plugin SDK id is not valid.";
    BadTitle = "BAD_TITLE", Usage, "The Space title cannot be used in the README.";
    BadVariable = "BAD_VARIABLE", Usage, "A `--variable` is not `KEY=VALUE`.";
    BadVolume = "BAD_VOLUME", Usage, "A `--volume` is not `hf://...:/MOUNT[:ro|:rw]`.";
    BodyTooLarge = "BODY_TOO_LARGE", Usage, "A request body is over the gateway's limit (HTTP 413).";
    CapabilityNotRequested = "CAPABILITY_NOT_REQUESTED", Usage, "A grant of a capability the plugin's manifest does not ask for.";
    ConfirmationRequired = "CONFIRMATION_REQUIRED", Usage, "A destructive command needs `--yes`.";
    DevUnsupported = "DEV_UNSUPPORTED", Usage, "`spacesmith dev` cannot run this project locally.";
    DevVenvInvalid = "DEV_VENV_INVALID", Usage, "The local virtualenv of `dev` is not usable.";
    DockerUnavailable = "DOCKER_UNAVAILABLE", Usage, "`dev --docker` needs a running Docker engine.";
    FilesExist = "FILES_EXIST", Usage, "Files would be overwritten; nothing was written (pass `--force`).";
    InvalidHardware = "INVALID_HARDWARE", Usage, "The hardware flavor is unknown to the Hub.";
    InvalidInput = "INVALID_INPUT", Usage, "The Hub refused a value as invalid.";
    InvalidSpaceId = "INVALID_SPACE_ID", Usage, "The Space id is not `owner/name` with the Hub's naming rules.";
    LfsPointerFiles = "LFS_POINTER_FILES", Usage, "The folder holds Git LFS pointer files instead of their content.";
    LimitTooHigh = "LIMIT_TOO_HIGH", Usage, "A plugin limit is above the hard maximum.";
    NoDataDir = "NO_DATA_DIR", Usage, "No data directory for installed plugins (set SPACESMITH_DATA_DIR or HOME).";
    NoFrontMatter = "NO_FRONT_MATTER", Usage, "The README has no configuration block.";
    NoSdk = "NO_SDK", Usage, "The README does not say which SDK the Space uses.";
    PluginBuiltin = "PLUGIN_BUILTIN", Usage, "A built-in plugin cannot be removed or changed.";
    PluginExists = "PLUGIN_EXISTS", Usage, "A plugin with that SDK id is installed already (pass `--force`).";
    PluginRefused = "PLUGIN_REFUSED", Usage, "The plugin refused the input (options, project).";
    PluginShadowsBuiltin = "PLUGIN_SHADOWS_BUILTIN", Usage, "A plugin's SDK id belongs to a built-in or to the host.";
    PluginTooLarge = "PLUGIN_TOO_LARGE", Usage, "The plugin file is larger than the install limit.";
    PortInUse = "PORT_IN_USE", Usage, "The local port for `dev` is taken.";
    ProjectUnreadable = "PROJECT_UNREADABLE", Usage, "The project directory or a file in it cannot be read.";
    SameSpace = "SAME_SPACE", Usage, "`space duplicate` was given the same Space twice.";
    SecretValueMissing = "SECRET_VALUE_MISSING", Usage, "A secret was named without a value and none was found in the environment.";
    SecretsFileInvalid = "SECRETS_FILE_INVALID", Usage, "A secrets file is not a valid `.env` file.";
    SecretsFileUnreadable = "SECRETS_FILE_UNREADABLE", Usage, "A secrets file cannot be read.";
    TargetBlocked = "TARGET_BLOCKED", Usage, "A path to write is blocked by a file or a symlink.";
    UnsafeArchive = "UNSAFE_ARCHIVE", Usage, "An archive entry climbs out with `..`, is absolute, a link or a device; nothing was unpacked.";
    UnknownCapability = "UNKNOWN_CAPABILITY", Usage, "No such plugin capability.";
    UnknownOption = "UNKNOWN_OPTION", Usage, "The plugin has no option of that name.";
    UnknownSdk = "UNKNOWN_SDK", Usage, "No plugin serves that SDK.";
    UnpinnedHttp = "UNPINNED_HTTP", Usage, "A plain-http plugin URL needs a `--sha256` pin.";
    WorkflowExists = "WORKFLOW_EXISTS", Usage, "The CI workflow exists already (pass `--force`).";
    // Credentials and permission.
    GatewayKeyRequired = "GATEWAY_KEY_REQUIRED", Auth, "The gateway takes only callers with a known `X-Spacesmith-Key`.";
    BadToken = "BAD_TOKEN", Auth, "The Hub rejected the token (invalid or expired).";
    NoToken = "NO_TOKEN", Auth, "No token was found where tokens are looked for.";
    OidcExchangeFailed = "OIDC_EXCHANGE_FAILED", Auth, "The OIDC token exchange (Trusted Publishers) failed.";
    TokenFileUnreadable = "TOKEN_FILE_UNREADABLE", Auth, "The token file exists but cannot be read.";
    NoPermission = "NO_PERMISSION", Permission, "The token may not do this (read-only token, not a member, gated).";
    PaymentRequired = "PAYMENT_REQUIRED", Permission, "The account's plan does not allow this (e.g. paid hardware).";
    // Missing things.
    AppFileMissing = "APP_FILE_MISSING", NotFound, "The README's `app_file` is not in the project.";
    DockerfileMissing = "DOCKERFILE_MISSING", NotFound, "A Docker Space without a Dockerfile.";
    EntryNotFound = "ENTRY_NOT_FOUND", NotFound, "A file or folder does not exist at that revision.";
    NoVolumes = "NO_VOLUMES", NotFound, "The Space has no volumes to delete.";
    PluginNotFound = "PLUGIN_NOT_FOUND", NotFound, "The plugin file or built-in cannot be found.";
    PluginNotInstalled = "PLUGIN_NOT_INSTALLED", NotFound, "No installed plugin has that SDK id.";
    ProjectNotFound = "PROJECT_NOT_FOUND", NotFound, "The project directory does not exist.";
    PythonNotFound = "PYTHON_NOT_FOUND", NotFound, "No Python interpreter for `dev`.";
    RouteNotFound = "ROUTE_NOT_FOUND", NotFound, "The gateway has no such route (see /v1/openapi.json).";
    RevisionNotFound = "REVISION_NOT_FOUND", NotFound, "The branch, tag or commit does not exist.";
    SdkNotFound = "SDK_NOT_FOUND", NotFound, "The plugin SDK crate for `plugin new` cannot be found.";
    SpaceNotFound = "SPACE_NOT_FOUND", NotFound, "The Space does not exist, or is private and not visible with this token.";
    // Conflicts.
    AlreadyExists = "ALREADY_EXISTS", Conflict, "The Space exists already.";
    Conflict = "CONFLICT", Conflict, "Someone changed the Space at the same time; run again.";
    FileChanged = "FILE_CHANGED", Conflict, "A local file changed between planning and upload; run again.";
    // Failures of the checked or attempted thing.
    AppStartFailed = "APP_START_FAILED", Failed, "The app did not start or answer on its port.";
    BuildFailed = "BUILD_FAILED", Failed, "The Space's build command failed.";
    BuildOutputMissing = "BUILD_OUTPUT_MISSING", Failed, "The build succeeded but did not write the README's `app_file`.";
    DockerBuildFailed = "DOCKER_BUILD_FAILED", Failed, "`docker build` failed.";
    EngineFailed = "ENGINE_FAILED", Failed, "The WebAssembly engine could not start.";
    HubError = "HUB_ERROR", Failed, "The Hub refused the request for another reason (its message says why).";
    LfsError = "LFS_ERROR", Failed, "The LFS storage refused an object.";
    LfsTransferUnsupported = "LFS_TRANSFER_UNSUPPORTED", Failed, "The Hub chose an LFS transfer this client does not speak (e.g. xet).";
    LocalIo = "LOCAL_IO", Failed, "A local file or folder could not be read during upload.";
    PinMismatch = "PIN_MISMATCH", Failed, "The plugin file's sha256 differs from the pin.";
    PipFailed = "PIP_FAILED", Failed, "`pip install` of the requirements failed.";
    PluginDownloadRefused = "PLUGIN_DOWNLOAD_REFUSED", Failed, "The server refused the plugin download (e.g. 404).";
    PluginFailed = "PLUGIN_FAILED", Failed, "The plugin failed (trapped, ran out of time or memory, broke the contract).";
    PluginIncompatible = "PLUGIN_INCOMPATIBLE", Failed, "The plugin was built for a contract version this host does not serve.";
    PluginInvalid = "PLUGIN_INVALID", Failed, "The file is not a valid plugin component.";
    PluginMissing = "PLUGIN_MISSING", Failed, "An installed plugin's file is gone.";
    PluginRecordInvalid = "PLUGIN_RECORD_INVALID", Failed, "An installed plugin's record cannot be read.";
    PluginStoreFailed = "PLUGIN_STORE_FAILED", Failed, "The plugin store could not be written.";
    PluginTampered = "PLUGIN_TAMPERED", Failed, "An installed plugin's file changed since it was installed.";
    ProtocolError = "PROTOCOL_ERROR", Failed, "The Hub answered something this client does not understand.";
    SpaceDisabled = "SPACE_DISABLED", Failed, "The Hub disabled the Space.";
    SpawnFailed = "SPAWN_FAILED", Failed, "A local program could not be started.";
    ValidationFailed = "VALIDATION_FAILED", Failed, "`validate` found errors; nothing was uploaded.";
    VenvFailed = "VENV_FAILED", Failed, "The virtualenv for `dev` could not be created.";
    WriteFailed = "WRITE_FAILED", Failed, "A file could not be written.";
    // The Hub or the network.
    HubUnavailable = "HUB_UNAVAILABLE", Unavailable, "The Hub answered 5xx after the retries.";
    NetworkError = "NETWORK_ERROR", Unavailable, "The connection failed after the retries.";
    PluginDownloadFailed = "PLUGIN_DOWNLOAD_FAILED", Unavailable, "The plugin download could not connect or was cut.";
    RateLimited = "RATE_LIMITED", Unavailable, "Still rate limited after waiting out the Hub's window.";
    // Waits.
    RequestTimeout = "REQUEST_TIMEOUT", Timeout, "A gateway request ran past its time limit.";
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl From<spacesmith_hub::ErrorKind> for ErrorCode {
    fn from(kind: spacesmith_hub::ErrorKind) -> Self {
        use spacesmith_hub::ErrorKind as K;
        match kind {
            K::InvalidSpaceId => ErrorCode::InvalidSpaceId,
            K::InvalidInput => ErrorCode::InvalidInput,
            K::InvalidHardware => ErrorCode::InvalidHardware,
            K::NoToken => ErrorCode::NoToken,
            K::BadToken => ErrorCode::BadToken,
            K::TokenFileUnreadable => ErrorCode::TokenFileUnreadable,
            K::NoPermission => ErrorCode::NoPermission,
            K::PaymentRequired => ErrorCode::PaymentRequired,
            K::SpaceNotFound => ErrorCode::SpaceNotFound,
            K::RevisionNotFound => ErrorCode::RevisionNotFound,
            K::EntryNotFound => ErrorCode::EntryNotFound,
            K::AlreadyExists => ErrorCode::AlreadyExists,
            K::Conflict => ErrorCode::Conflict,
            K::RateLimited => ErrorCode::RateLimited,
            K::HubUnavailable => ErrorCode::HubUnavailable,
            K::Network => ErrorCode::NetworkError,
            K::Disabled => ErrorCode::SpaceDisabled,
            K::Lfs => ErrorCode::LfsError,
            K::FileChanged => ErrorCode::FileChanged,
            K::LocalIo => ErrorCode::LocalIo,
            K::Protocol => ErrorCode::ProtocolError,
            K::LfsPointer => ErrorCode::LfsPointerFiles,
            K::Oidc => ErrorCode::OidcExchangeFailed,
            K::LfsTransferUnsupported => ErrorCode::LfsTransferUnsupported,
            // Hub and any kind added later.
            _ => ErrorCode::HubError,
        }
    }
}

/// A failure the user sees. `code` is stable (scripts match on it); `message` may change wording.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct AppError {
    pub code: ErrorCode,
    pub message: String,
    /// What to do next, when it is not already in the message.
    pub hint: Option<String>,
}

impl AppError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        AppError { code, message: message.into(), hint: None }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn category(&self) -> Category {
        self.code.category()
    }

    /// The process exit code, from the code's category.
    pub fn exit(&self) -> Exit {
        self.code.category().exit()
    }

    pub fn json(&self) -> ErrorJson<'_> {
        ErrorJson { success: false, error_code: self.code.as_str(), message: &self.message, hint: self.hint.as_deref() }
    }
}

#[derive(Serialize)]
pub struct ErrorJson<'a> {
    pub success: bool,
    pub error_code: &'a str,
    pub message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<&'a str>,
}

impl From<spacesmith_runtime::PluginError> for AppError {
    fn from(e: spacesmith_runtime::PluginError) -> Self {
        if e.is_plugin_fault() {
            AppError::new(ErrorCode::PluginFailed, e.to_string())
                .hint("This is a defect of the plugin, not of your input: report it to the plugin's author.")
        } else {
            AppError::new(ErrorCode::PluginRefused, e.to_string())
        }
    }
}

impl From<spacesmith_runtime::LoadError> for AppError {
    fn from(e: spacesmith_runtime::LoadError) -> Self {
        let code = match e.kind {
            spacesmith_runtime::LoadErrorKind::Contract(spacesmith_runtime::ContractError::Unsupported { .. }) => {
                ErrorCode::PluginIncompatible
            }
            _ => ErrorCode::PluginInvalid,
        };
        AppError::new(code, e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_screaming_snake() {
        let mut seen = std::collections::HashSet::new();
        for c in ErrorCode::ALL {
            let s = c.as_str();
            assert!(seen.insert(s), "{s} twice");
            assert!(s.chars().all(|ch| ch.is_ascii_uppercase() || ch == '_'), "{s}");
            assert_eq!(format!("{c:?}").to_ascii_uppercase(), s.replace('_', ""), "{s} and its variant differ");
        }
    }

    #[test]
    fn every_hub_kind_has_its_own_code() {
        for kind in spacesmith_hub::ErrorKind::ALL {
            let code = ErrorCode::from(kind);
            assert_eq!(code.as_str(), kind.code(), "{kind:?}");
        }
    }

    #[test]
    fn categories_decide_exit_codes_and_statuses() {
        use spacesmith_hub::ErrorKind as K;
        let exit = |k: K| ErrorCode::from(k).category().exit() as i32;
        assert_eq!([exit(K::BadToken), exit(K::NoPermission), exit(K::HubUnavailable), exit(K::RateLimited)], [3, 3, 4, 4]);
        assert_eq!([exit(K::InvalidSpaceId), exit(K::SpaceNotFound), exit(K::AlreadyExists), exit(K::Lfs)], [2, 2, 2, 1]);
        assert_eq!(ErrorCode::SpaceNotFound.category().http_status(), 404);
        assert_eq!(ErrorCode::BadToken.category().http_status(), 401);
        assert_eq!(ErrorCode::NoPermission.category().http_status(), 403);
        let e = AppError::new(ErrorCode::PluginTampered, "x");
        assert_eq!((e.exit(), e.json().error_code), (Exit::Failed, "PLUGIN_TAMPERED"));
    }

    /// The README's table is the documentation of record: one row per code, in this order.
    #[test]
    fn readme_lists_every_code() {
        let readme = include_str!("../../README.md");
        let table = readme_table();
        assert!(readme.contains(&table), "README.md's error-code table is out of date; it should read:\n{table}");
    }

    fn readme_table() -> String {
        let mut t = String::from("| code | category | exit | HTTP | meaning |\n|---|---|---|---|---|\n");
        for c in ErrorCode::ALL {
            let cat = c.category();
            t.push_str(&format!(
                "| `{}` | {} | {} | {} | {} |\n",
                c.as_str(),
                cat.as_str(),
                cat.exit() as i32,
                c.http_status(),
                c.meaning()
            ));
        }
        t
    }
}
