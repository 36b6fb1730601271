//! The front-matter field rules of space-config.md, driven by one field table.

use crate::emoji::{self, Verdict};
use crate::finding::{Finding, Rule, Severity};
use crate::frontmatter::FrontMatter;
use crate::suggest::closest;
use crate::yaml::{Entry, Kind, Node, Resolved, Scalar, Style};
use regex::Regex;
use std::sync::LazyLock;

/// SDKs the Hub builds today.
pub const SDKS: [&str; 3] = ["gradio", "docker", "static"];
/// Thumbnail gradient colors accepted for `colorFrom` / `colorTo`.
pub const COLORS: [&str; 8] = ["red", "yellow", "green", "blue", "indigo", "purple", "pink", "gray"];
/// Hardware flavors `suggested_hardware` may name.
pub const HARDWARE_FLAVORS: [&str; 16] = [
    "cpu-basic",
    "cpu-upgrade",
    "t4-small",
    "t4-medium",
    "l4x1",
    "l4x4",
    "l40sx1",
    "l40sx4",
    "l40sx8",
    "a10g-small",
    "a10g-large",
    "a10g-largex2",
    "a10g-largex4",
    "a100-large",
    "a100x4",
    "a100x8",
];
/// Extra OAuth scopes a Space may request (`openid` and `profile` are always granted).
pub const OAUTH_SCOPES: [&str; 18] = [
    "openid",
    "profile",
    "email",
    "read-billing",
    "read-memberships",
    "read-repos",
    "gated-repos",
    "contribute-repos",
    "write-repos",
    "manage-repos",
    "read-collections",
    "write-collections",
    "inference-api",
    "read-endpoints",
    "write-endpoints",
    "jobs",
    "webhooks",
    "write-discussions",
];
/// The only response headers `custom_headers` may set.
pub const CUSTOM_HEADERS: [&str; 3] =
    ["cross-origin-embedder-policy", "cross-origin-opener-policy", "cross-origin-resource-policy"];
/// The `short_description` limit in characters: ours, from observing the Hub refuse longer values (not documented).
pub const SHORT_DESCRIPTION_MAX: usize = 60;
/// The longest OAuth token lifetime the Hub grants (30 days).
pub const OAUTH_EXPIRATION_MAX: i64 = 43_200;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sdk {
    Gradio,
    Docker,
    Static,
    /// Removed from the Hub in 2025; still found in old READMEs.
    Streamlit,
}

impl Sdk {
    fn parse(s: &str) -> Option<Sdk> {
        Some(match s {
            "gradio" => Sdk::Gradio,
            "docker" => Sdk::Docker,
            "static" => Sdk::Static,
            "streamlit" => Sdk::Streamlit,
            _ => return None,
        })
    }
}

macro_rules! rule {
    ($name:ident, $id:literal, $sev:ident, $summary:literal, $explanation:literal, $fix:literal) => {
        pub(crate) static $name: Rule =
            Rule { id: $id, severity: Severity::$sev, summary: $summary, explanation: $explanation, fix: $fix };
    };
}

// Severity policy: error when the Hub refuses the configuration (the documents state a closed set
// or format the Hub validates, observed for colorFrom/colorTo and short_description), the build
// fails, or the app cannot answer; warning for likely run-time trouble; info for style.

rule!(
    MISSING_SDK,
    "config/missing-sdk",
    Error,
    "No `sdk` key",
    "The reference makes `sdk` the choice of how the Space is built and served (gradio, docker or static); without it the Hub shows a configuration error instead of building.",
    "Add `sdk: gradio`, `sdk: docker` or `sdk: static`."
);
rule!(
    INVALID_SDK,
    "config/invalid-sdk",
    Error,
    "`sdk` is not gradio, docker or static",
    "The reference allows only `gradio`, `docker` or `static` (plus the legacy `streamlit`); the Hub has no builder for any other value and leaves the Space in a configuration error.",
    "Set `sdk` to gradio, docker or static."
);
rule!(
    SDK_DEPRECATED,
    "config/sdk-deprecated",
    Warning,
    "`sdk: streamlit` is deprecated",
    "The Hub deprecated the Streamlit SDK (changelog 2025-04-30) and removed it from the documented `sdk` values (hub-docs #1834, 2025-07-14): new Streamlit apps are created from the Docker template. The API still accepts it (huggingface_hub's SPACES_SDK_TYPES lists streamlit) and existing Spaces keep running, so this is a warning, not an error: migrate before the Hub stops building it.",
    "Move to a Docker-SDK Space running Streamlit: `sdk: docker` and `app_port: 8501`, with a Dockerfile that starts `streamlit run app.py --server.port 8501 --server.address 0.0.0.0`. `spacesmith new DIR --sdk streamlit` scaffolds exactly that, as a template to copy from."
);
rule!(
    UNKNOWN_KEY,
    "config/unknown-key",
    Warning,
    "Key the Hub does not know",
    "The Hub ignores keys it does not know, so a typo (`app-port`, `sdk_verison`) or an invented key (`hardware`, `dockerfile`) silently has no effect; a mistyped `app_port`, for one, leaves the Hub routing to 7860 while the app listens elsewhere.",
    "Fix the spelling or remove the key."
);
rule!(
    DUPLICATE_KEY,
    "config/duplicate-key",
    Error,
    "Key appears twice",
    "YAML requires mapping keys to be unique. The Hub's server is JavaScript, and its common YAML parsers (js-yaml, yaml) refuse duplicate keys by default, so the front matter is not read (which parser the Hub uses is unverified); PyYAML, used by huggingface_hub, silently keeps the last value instead.",
    "Keep one line for the key and delete the other."
);
rule!(
    INVALID_TYPE,
    "config/invalid-type",
    Error,
    "Value has the wrong YAML type",
    "The reference gives every field a type (string, int, boolean, list, mapping), and YAML decides the type from how the value is written: `\"yes\"` is text, `8080` is a number, `true` is a boolean. A value of another type is refused or misread (for `sdk` and `app_port` the Space cannot be built or routed; for the other fields the Hub's response is unverified).",
    "Write the value in the type the field expects (see the message)."
);
rule!(
    EMPTY_VALUE,
    "config/empty-value",
    Warning,
    "Key with no value",
    "A key with nothing after the colon is null in YAML; the Hub treats it as unset (unverified), which is rarely what was meant.",
    "Give the key a value or delete the line."
);
rule!(
    VERSION_MISREAD,
    "config/version-misread",
    Error,
    "Unquoted `python_version` that YAML reads as another version",
    "An unquoted `python_version: 3.10` is a YAML float, read as 3.1, so the Hub asks for Python 3.1, which it does not offer, and the build fails (reported by users; the reference wants a string `3.x` or `3.x.x`).",
    "Quote the version, e.g. `python_version: \"3.10\"`."
);
rule!(
    SDK_VERSION_MISREAD,
    "config/sdk-version-misread",
    Warning,
    "Unquoted `sdk_version` that YAML reads as another version",
    "An unquoted `sdk_version: 4.40` is a YAML float, read as 4.4, so the Gradio SDK installs gradio 4.4 rather than 4.40. That release exists, so the build usually succeeds, but the app runs on a Gradio it was not written for.",
    "Quote the version, e.g. `sdk_version: \"4.40.0\"`."
);
rule!(
    UNQUOTED_VERSION,
    "config/unquoted-version",
    Info,
    "Unquoted version",
    "An unquoted version like `3.12` is a YAML number. It reads back as the same version today, but the next bump (3.10, 4.40) will not; the reference types versions as strings.",
    "Quote the version, e.g. `python_version: \"3.12\"`."
);
rule!(
    INVALID_PYTHON_VERSION,
    "config/invalid-python-version",
    Error,
    "`python_version` is not `3.x` or `3.x.x`",
    "The reference accepts \"any valid Python 3.x or 3.x.x version\"; the Gradio SDK installs that Python, and another value names no Python it can install, so the build fails.",
    "Write a Python 3 version such as `python_version: \"3.12\"`."
);
rule!(
    INVALID_SDK_VERSION,
    "config/invalid-sdk-version",
    Error,
    "`sdk_version` is not a version number",
    "The Gradio SDK installs `gradio==<sdk_version>`, so a value that is not a release number such as 6.31.0 cannot be installed and the build fails.",
    "Write the Gradio version you tested with, quoted, e.g. `sdk_version: \"6.31.0\"`."
);
rule!(
    SDK_VERSION_LATEST,
    "config/sdk-version-latest",
    Warning,
    "`sdk_version: latest`",
    "`latest` is not a Gradio release. The reference only says \"all versions of Gradio are supported\"; whether the Hub resolves `latest` or fails the install is unverified, and either way the Space is not pinned and may break when Gradio changes.",
    "Pin the Gradio version you tested with, e.g. `sdk_version: \"6.31.0\"`."
);
rule!(
    MISSING_SDK_VERSION,
    "config/missing-sdk-version",
    Warning,
    "Gradio Space without `sdk_version`",
    "Without `sdk_version` the Gradio version is whatever the Hub picks (the reference says it is pre-filled at creation), so the Space can change behaviour or break on a rebuild.",
    "Add `sdk_version: \"<the Gradio version you tested with>\"`, e.g. `sdk_version: \"6.31.0\"`."
);
rule!(
    IGNORED_FOR_SDK,
    "config/ignored-for-sdk",
    Info,
    "Field has no effect with this SDK",
    "Some fields only apply to some SDKs (the reference: `app_port` is \"used only if sdk is docker\", `app_file` names the Gradio or static file, `sdk_version` the Gradio version, `app_build_command` is for static Spaces, `base_path` for non-static ones). Elsewhere the Hub ignores them: nothing breaks, the line is just dead.",
    "Remove the field, or change `sdk` if the field was right."
);
rule!(
    INVALID_APP_FILE,
    "config/invalid-app-file",
    Error,
    "`app_file` is not a relative path inside the repo",
    "The reference resolves `app_file` relative to the repository root; absolute paths, `..`, URLs and backslashes point outside it or nowhere, so the Gradio SDK has nothing to run and the static SDK nothing to serve.",
    "Write a path relative to the repository root with `/` separators, e.g. `app_file: src/app.py`."
);
rule!(
    APP_FILE_EXTENSION,
    "config/app-file-extension",
    Warning,
    "`app_file` has the wrong kind of file for the SDK",
    "The Gradio SDK runs `app_file` with Python and the static SDK serves it as the page; another extension usually means the wrong file is named, and the app then fails at start or shows the wrong page.",
    "Point `app_file` at the `.py` file (Gradio) or the `.html` file (static)."
);
rule!(
    INVALID_APP_PORT,
    "config/invalid-app-port",
    Error,
    "`app_port` is not a port between 1 and 65535",
    "The reference makes `app_port` the port the Hub routes traffic to; a number outside 1-65535 is not a TCP port, so nothing can answer there.",
    "Set `app_port` to the port your app listens on, e.g. `app_port: 7860`."
);
rule!(
    PRIVILEGED_PORT,
    "config/privileged-port",
    Warning,
    "`app_port` below 1024",
    "Docker Spaces run as UID 1000, and a non-root process usually cannot listen below 1024 (unless the runtime lowers net.ipv4.ip_unprivileged_port_start, which is unverified for the Hub), so the app likely fails to bind.",
    "Listen on a port of 1024 or above (7860 is the default) and set `app_port` to it."
);
rule!(
    INVALID_BASE_PATH,
    "config/invalid-base-path",
    Error,
    "`base_path` does not start with `/`",
    "The reference says `base_path` \"needs to start with /\": it is the URL path the Space page opens first, absolute within the Space.",
    "Start it with `/`, e.g. `base_path: /docs`."
);
rule!(
    INVALID_HEADER,
    "config/invalid-header",
    Error,
    "`header` is not `mini` or `default`",
    "The reference says `header` \"can be either mini or default\"; the Hub validates the front matter against these documented values (as it does, observably, for colorFrom/colorTo).",
    "Set `header: mini` or `header: default`."
);
rule!(
    INVALID_COLOR,
    "config/invalid-color",
    Error,
    "`colorFrom`/`colorTo` is not one of the 8 documented colors",
    "The reference lists exactly red, yellow, green, blue, indigo, purple, pink and gray for the thumbnail gradient. Another value (orange, teal, darkgreen, ...) makes the Hub report a configuration error on the Space page; authors of real Spaces fix it in the next commit.",
    "Use one of red, yellow, green, blue, indigo, purple, pink, gray."
);
rule!(
    INVALID_EMOJI,
    "config/invalid-emoji",
    Error,
    "`emoji` contains something other than emoji",
    "The reference allows emoji characters only in `emoji`; text, URLs and mojibake (emoji whose UTF-8 bytes were re-read as Windows-1252, like `ðŸ“ˆ`) are outside what the Hub validates.",
    "Write one or more emoji characters, e.g. `emoji: 🚀`."
);
rule!(
    EMOJI_MISSING_ZWJ,
    "config/emoji-missing-zwj",
    Info,
    "Two emoji that look like a ZWJ sequence without its joiner",
    "Sequences such as 👨‍🍳 are two emoji glued by an invisible ZERO WIDTH JOINER (U+200D). Without it they are still valid emoji, but render as two separate pictures (👨🍳).",
    "Insert U+200D between the two emoji, or paste the intended emoji again from an emoji picker."
);
rule!(
    SHORT_DESCRIPTION_TOO_LONG,
    "config/short-description-too-long",
    Error,
    "`short_description` longer than 60 characters",
    "The reference gives no length for `short_description`. The 60-character limit is ours, from observation: the Hub refuses longer values (recalled push message: \"short_description\" length must be less than or equal to 60 characters). It is not in the Hub's documents, so treat the exact limit as unverified.",
    "Shorten `short_description` to 60 characters or fewer."
);
rule!(
    INVALID_STARTUP_TIMEOUT,
    "config/invalid-startup-timeout",
    Error,
    "`startup_duration_timeout` is not a duration",
    "The reference takes \"any valid duration (like 1h, 30m)\": a whole number followed by a unit, `s`, `m` or `h`.",
    "Write e.g. `startup_duration_timeout: 1h`."
);
rule!(
    INVALID_CUSTOM_HEADERS,
    "config/invalid-custom-headers",
    Error,
    "Unsupported or non-lowercase `custom_headers`",
    "The reference allows only cross-origin-embedder-policy, cross-origin-opener-policy and cross-origin-resource-policy, and says all headers and values must be lowercase.",
    "Keep only the three supported headers and write names and values in lowercase, e.g. `cross-origin-embedder-policy: require-corp`."
);
rule!(
    INVALID_PRELOAD,
    "config/invalid-preload-item",
    Error,
    "Malformed `preload_from_hub` item",
    "The reference's format is `repo_id`, `repo_id file1,file2` or `repo_id file1,file2 <commit sha>`, separated by single spaces; the files are downloaded at build time, and an item in another shape names nothing to download.",
    "Rewrite the item as `owner/repo file1,file2 <commit sha>` (files and sha optional)."
);
rule!(
    INVALID_HARDWARE,
    "config/invalid-hardware",
    Error,
    "`suggested_hardware` is not a current hardware flavor",
    "The reference says the value \"must be a valid hardware flavor\" and lists them; removed flavors (H100 in December 2025, TPU v5e on 2026-03-20) and ZeroGPU are not in the list.",
    "Use one of cpu-basic, cpu-upgrade, t4-small, t4-medium, l4x1, l4x4, l40sx1, l40sx4, l40sx8, a10g-small, a10g-large, a10g-largex2, a10g-largex4, a100-large, a100x4, a100x8."
);
rule!(
    STORAGE_IGNORED,
    "config/storage-ignored",
    Warning,
    "`suggested_storage` is ignored",
    "The reference says persistent storage is no longer available and the setting is ignored; a Space that relies on it loses what it writes to disk on every restart.",
    "Remove `suggested_storage`; attach a Storage Bucket or use a dataset repo for data that must persist."
);
rule!(
    OAUTH_WITHOUT_HF_OAUTH,
    "config/oauth-without-hf-oauth",
    Warning,
    "OAuth setting without `hf_oauth: true`",
    "`hf_oauth_scopes`, `hf_oauth_expiration_minutes` and `hf_oauth_authorized_org` configure the OAuth app that `hf_oauth: true` creates; without it there is no app and sign-in fails at run time.",
    "Add `hf_oauth: true`, or remove the OAuth settings."
);
rule!(
    INVALID_OAUTH_SCOPE,
    "config/invalid-oauth-scope",
    Error,
    "Unknown OAuth scope",
    "The OAuth docs list the scopes a Space may request; the Hub cannot grant another one, so the OAuth app cannot be set up as written.",
    "Use scopes from: email, read-billing, read-memberships, read-repos, gated-repos, contribute-repos, write-repos, manage-repos, read-collections, write-collections, inference-api, read-endpoints, write-endpoints, jobs, webhooks, write-discussions."
);
rule!(
    OAUTH_EXPIRATION,
    "config/invalid-oauth-expiration",
    Error,
    "`hf_oauth_expiration_minutes` outside 1..=43200",
    "The reference's maximum is 43200 minutes (30 days); a longer or non-positive lifetime is outside what the Hub grants.",
    "Set `hf_oauth_expiration_minutes` between 1 and 43200 (default 480)."
);
rule!(
    LEGACY_OAUTH_REDIRECT,
    "config/legacy-oauth-redirect-path",
    Info,
    "`hf_oauth_redirect_path` is no longer used",
    "The key was removed from the reference in December 2023, when any redirect URL on the Space became allowed; the Hub ignores it and sign-in works without it.",
    "Remove `hf_oauth_redirect_path`."
);
rule!(
    INVALID_THUMBNAIL,
    "config/invalid-thumbnail",
    Warning,
    "`thumbnail` is not an http(s) URL",
    "The reference describes `thumbnail` as the URL of the social-sharing image; a relative path or another scheme cannot be fetched by social sites, so shared links show no image. The Space itself is unaffected.",
    "Use a full URL, e.g. `thumbnail: https://huggingface.co/spaces/OWNER/NAME/resolve/main/thumbnail.png`."
);

pub(crate) static RULES: [&Rule; 35] = [
    &MISSING_SDK,
    &INVALID_SDK,
    &SDK_DEPRECATED,
    &UNKNOWN_KEY,
    &DUPLICATE_KEY,
    &INVALID_TYPE,
    &EMPTY_VALUE,
    &VERSION_MISREAD,
    &SDK_VERSION_MISREAD,
    &UNQUOTED_VERSION,
    &INVALID_PYTHON_VERSION,
    &INVALID_SDK_VERSION,
    &SDK_VERSION_LATEST,
    &MISSING_SDK_VERSION,
    &IGNORED_FOR_SDK,
    &INVALID_APP_FILE,
    &APP_FILE_EXTENSION,
    &INVALID_APP_PORT,
    &PRIVILEGED_PORT,
    &INVALID_BASE_PATH,
    &INVALID_HEADER,
    &INVALID_COLOR,
    &INVALID_EMOJI,
    &EMOJI_MISSING_ZWJ,
    &SHORT_DESCRIPTION_TOO_LONG,
    &INVALID_STARTUP_TIMEOUT,
    &INVALID_CUSTOM_HEADERS,
    &INVALID_PRELOAD,
    &INVALID_HARDWARE,
    &STORAGE_IGNORED,
    &OAUTH_WITHOUT_HF_OAUTH,
    &INVALID_OAUTH_SCOPE,
    &OAUTH_EXPIRATION,
    &LEGACY_OAUTH_REDIRECT,
    &INVALID_THUMBNAIL,
];

/// The YAML type a field must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ty {
    Str,
    /// A string that people tend to leave unquoted (`3.10`).
    Version,
    Int,
    Bool,
    StrList,
    StrOrStrList,
    StrMap,
}

/// Which SDKs a field means something for; elsewhere it is reported as ignored, with `why`.
#[derive(Debug, Clone, Copy)]
enum Applies {
    All,
    Only(&'static [Sdk], &'static str),
}

type Check = fn(&mut Ctx<'_>, &Entry, &Value<'_>);

/// One row of the field table.
struct Field {
    name: &'static str,
    ty: Ty,
    /// What a good value looks like, for messages.
    expect: &'static str,
    applies: Applies,
    check: Option<Check>,
}

const PY_SDKS: &[Sdk] = &[Sdk::Gradio, Sdk::Streamlit];

macro_rules! field {
    ($name:literal, $ty:ident, $expect:literal) => {
        field!($name, $ty, $expect, Applies::All, None)
    };
    ($name:literal, $ty:ident, $expect:literal, $check:expr) => {
        field!($name, $ty, $expect, Applies::All, Some($check))
    };
    ($name:literal, $ty:ident, $expect:literal, $applies:expr, $check:expr) => {
        Field { name: $name, ty: Ty::$ty, expect: $expect, applies: $applies, check: $check }
    };
}

static FIELDS: &[Field] = &[
    field!("title", Str, "text"),
    field!("emoji", Str, "one or more emoji", check_emoji),
    field!("colorFrom", Str, "one of red, yellow, green, blue, indigo, purple, pink, gray", check_color),
    field!("colorTo", Str, "one of red, yellow, green, blue, indigo, purple, pink, gray", check_color),
    field!("sdk", Str, "gradio, docker or static", check_sdk),
    field!(
        "sdk_version",
        Version,
        "a Gradio version such as \"6.31.0\"",
        Applies::Only(
            PY_SDKS,
            "only the Gradio SDK installs a versioned SDK package; a Docker Space installs what its Dockerfile installs and a static Space installs nothing"
        ),
        Some(check_sdk_version)
    ),
    field!(
        "python_version",
        Version,
        "a Python version such as \"3.12\"",
        Applies::Only(
            PY_SDKS,
            "only the Gradio SDK picks the Python version; a Docker Space gets Python from its base image and a static Space runs no Python"
        ),
        Some(check_python_version)
    ),
    field!(
        "app_file",
        Str,
        "a path relative to the repository root",
        Applies::Only(
            &[Sdk::Gradio, Sdk::Static, Sdk::Streamlit],
            "a Docker Space runs whatever the Dockerfile's CMD/ENTRYPOINT starts"
        ),
        Some(check_app_file)
    ),
    field!(
        "app_build_command",
        Str,
        "a build command such as `npm run build`",
        Applies::Only(
            &[Sdk::Static],
            "only static Spaces run a build command; Gradio installs requirements.txt and Docker builds the Dockerfile"
        ),
        None
    ),
    field!(
        "app_port",
        Int,
        "a port number between 1 and 65535",
        Applies::Only(&[Sdk::Docker], "the Gradio SDK always serves on port 7860 and static Spaces have no server"),
        Some(check_app_port)
    ),
    field!(
        "base_path",
        Str,
        "a URL path starting with `/`",
        Applies::Only(&[Sdk::Gradio, Sdk::Docker, Sdk::Streamlit], "a static Space opens `app_file` instead"),
        Some(check_base_path)
    ),
    field!("fullWidth", Bool, "true or false"),
    field!("header", Str, "`mini` or `default`", check_header),
    field!("short_description", Str, "text of at most 60 characters", check_short_description),
    field!("models", StrList, "a list of model ids"),
    field!("datasets", StrList, "a list of dataset ids"),
    field!("tags", StrList, "a list of tags"),
    field!("thumbnail", Str, "an http(s) URL", check_thumbnail),
    field!("pinned", Bool, "true or false"),
    field!("license", Str, "a license id such as mit or apache-2.0"),
    field!("hf_oauth", Bool, "true or false"),
    field!("hf_oauth_scopes", StrList, "a list of OAuth scopes", check_oauth_scopes),
    field!("hf_oauth_expiration_minutes", Int, "a number of minutes between 1 and 43200", check_oauth_expiration),
    field!("hf_oauth_authorized_org", StrOrStrList, "an organization name or a list of them"),
    field!("hf_oauth_redirect_path", Str, "nothing (the key is obsolete)", check_legacy_redirect),
    field!("disable_embedding", Bool, "true or false"),
    field!("startup_duration_timeout", Str, "a duration such as `30m` or `1h`", check_startup_timeout),
    field!("custom_headers", StrMap, "a mapping of header name to value", check_custom_headers),
    field!(
        "preload_from_hub",
        StrList,
        "a list of `repo_id [files] [sha]` items",
        Applies::Only(&[Sdk::Gradio, Sdk::Docker, Sdk::Streamlit], "static Spaces have no build step to download files into"),
        Some(check_preload)
    ),
    field!("suggested_hardware", Str, "a hardware flavor such as t4-small", check_hardware),
    field!("suggested_storage", Str, "nothing (persistent storage tiers are gone)", check_storage),
    // Not in the reference: the Hub writes it into Spaces created with "Duplicate this Space".
    field!("duplicated_from", Str, "the id of the Space this one was duplicated from"),
];

/// Every front-matter key the rules know.
pub fn known_fields() -> Vec<&'static str> {
    FIELDS.iter().map(|f| f.name).collect()
}

pub(crate) fn is_known_key(key: &str) -> bool {
    FIELDS.iter().any(|f| f.name == key)
}

/// A field value after type checking, handed to the field's check.
enum Value<'a> {
    Str(&'a str),
    Int(i64),
    Bool,
    /// (item text, item line) for string lists; a single string counts as a one-item list.
    List(Vec<(&'a str, u32)>),
    /// (key, key line, value) for string maps.
    Map(Vec<(&'a str, u32, &'a str)>),
}

struct Ctx<'a> {
    path: &'a str,
    fm: &'a FrontMatter,
    sdk: Option<Sdk>,
    out: Vec<Finding>,
}

impl Ctx<'_> {
    fn emit(&mut self, rule: &'static Rule, line: u32, field: &str, message: String, fix: Option<String>) {
        let mut f = rule.at(Some(self.path), Some(line), message).with_field(field);
        if let Some(fix) = fix {
            f = f.with_fix(fix);
        }
        self.out.push(f);
    }
}

/// Run every field rule over parsed front matter.
pub(crate) fn check(path: &str, fm: &FrontMatter) -> Vec<Finding> {
    let mut cx = Ctx { path, fm, sdk: fm.sdk().and_then(Sdk::parse), out: Vec::new() };
    let entries = fm.entries();
    // First and last index of every key, in one pass: a scan per key is quadratic in the key count.
    let mut span: std::collections::HashMap<&str, (usize, usize)> = std::collections::HashMap::new();
    for (i, e) in entries.iter().enumerate() {
        span.entry(e.key.as_str()).and_modify(|s| s.1 = i).or_insert((i, i));
    }
    for (i, entry) in entries.iter().enumerate() {
        let (first, last) = span[entry.key.as_str()];
        if let Some(first) = (first < i).then(|| &entries[first]) {
            cx.emit(
                &DUPLICATE_KEY,
                entry.key_line,
                &entry.key,
                format!(
                    "`{}` appears again on line {} (first on line {}); YAML forbids duplicate keys and the Hub rejects the front matter.",
                    entry.key, entry.key_line, first.key_line
                ),
                Some(format!("Keep one `{}` line and delete the other.", entry.key)),
            );
        }
        // Loaders keep the last occurrence; check only that one.
        if last > i {
            continue;
        }
        match FIELDS.iter().find(|f| f.name == entry.key) {
            None => unknown_key(&mut cx, entry),
            Some(field) => check_field(&mut cx, field, entry),
        }
    }
    cross_field(&mut cx);
    cx.out
}

fn check_field(cx: &mut Ctx<'_>, field: &Field, entry: &Entry) {
    // Applicability first: a field the SDK ignores cannot break the Space, whatever its value.
    if let (Applies::Only(sdks, why), Some(sdk)) = (field.applies, cx.sdk)
        && !sdks.contains(&sdk)
    {
        let sdk_name = cx.fm.sdk().unwrap_or_default();
        cx.emit(
            &IGNORED_FOR_SDK,
            entry.key_line,
            field.name,
            format!(
                "`{}: {}` (line {}) is ignored for `sdk: {sdk_name}`: {why}.",
                field.name,
                written(&entry.value),
                entry.key_line
            ),
            Some(format!("Remove the `{}` line.", field.name)),
        );
        return;
    }
    let Some(value) = typed(cx, field, entry) else {
        return;
    };
    if let Some(check) = field.check {
        check(cx, entry, &value);
    }
}

/// How a value was written, for messages.
fn written(node: &Node) -> String {
    match &node.kind {
        Kind::Scalar(s) => match s.style {
            Style::Plain => clip(&s.text),
            Style::SingleQuoted => format!("'{}'", clip(&s.text).replace('\'', "''")),
            _ => quoted(&clip(&s.text)),
        },
        Kind::Seq(_) => "[…]".to_owned(),
        Kind::Map(_) => "{…}".to_owned(),
    }
}

/// Values are echoed in messages; keep a pathological one from flooding the terminal.
pub(crate) fn clip(text: &str) -> String {
    const MAX: usize = 80;
    match text.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_owned(),
    }
}

/// A double-quoted YAML string; only `\\` and `"` need escaping, so emoji and accents stay readable.
fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n"))
}

/// What YAML made of a value, for type-error messages.
fn describe(node: &Node) -> String {
    match &node.kind {
        Kind::Scalar(s) => match s.resolve() {
            Resolved::Null => "empty".to_owned(),
            Resolved::Bool(b) => format!("the boolean {b}"),
            Resolved::Int(i) => format!("the number {i}"),
            Resolved::Float(f) => format!("the number {f}"),
            Resolved::Str(t) => format!("the text {}", quoted(&clip(t))),
        },
        Kind::Seq(_) => "a list".to_owned(),
        Kind::Map(_) => "a mapping".to_owned(),
    }
}

fn type_fix(field: &Field, node: &Node) -> String {
    let k = field.name;
    match field.ty {
        Ty::Bool => format!("Write `{k}: true` or `{k}: false`, without quotes."),
        Ty::Int => match &node.kind {
            Kind::Scalar(s) if s.text.trim().parse::<i64>().is_ok() => {
                format!("Remove the quotes: `{k}: {}`.", s.text.trim())
            }
            _ => format!("Write {} without quotes.", field.expect),
        },
        Ty::Str | Ty::Version => match &node.kind {
            Kind::Scalar(s) => format!("Quote the value: `{k}: {}`.", quoted(&clip(&s.text))),
            _ => format!("Write {} on the same line: `{k}: …`.", field.expect),
        },
        Ty::StrList | Ty::StrOrStrList => {
            format!("Write it as a YAML list of quoted strings:\n{k}:\n  - \"first\"\n  - \"second\"")
        }
        Ty::StrMap => format!("Write it as an indented mapping:\n{k}:\n  name: value"),
    }
}

fn type_error(cx: &mut Ctx<'_>, field: &Field, line: u32, node: &Node, what: &str) {
    cx.emit(
        &INVALID_TYPE,
        line,
        field.name,
        format!("`{}` (line {line}) must be {}, but {what} is {}.", field.name, field.expect, describe(node)),
        Some(type_fix(field, node)),
    );
}

fn str_scalar(node: &Node) -> Option<&str> {
    match &node.kind {
        Kind::Scalar(s) => match s.resolve() {
            Resolved::Str(t) => Some(t),
            _ => None,
        },
        _ => None,
    }
}

/// Type-check an entry; `None` means a finding was emitted and the field check is skipped.
fn typed<'a>(cx: &mut Ctx<'_>, field: &Field, entry: &'a Entry) -> Option<Value<'a>> {
    let node = &entry.value;
    let line = entry.key_line;
    let scalar = match &node.kind {
        Kind::Scalar(s) => Some(s),
        _ => None,
    };
    if scalar.is_some_and(|s| s.resolve() == Resolved::Null && s.style == Style::Plain) {
        cx.emit(
            &EMPTY_VALUE,
            line,
            field.name,
            format!("`{}` (line {line}) has no value, so the Hub treats it as unset.", field.name),
            Some(format!("Write {} after `{}:`, or delete the line.", field.expect, field.name)),
        );
        return None;
    }
    let value = match (field.ty, scalar.map(Scalar::resolve)) {
        (Ty::Str | Ty::StrOrStrList, Some(Resolved::Str(t))) => Some(Value::Str(t)),
        (Ty::Version, Some(Resolved::Str(t))) => Some(Value::Str(t)),
        (Ty::Version, Some(r @ (Resolved::Int(_) | Resolved::Float(_)))) => {
            let s = scalar.expect("scalar resolved");
            return unquoted_version(cx, field, line, s, r);
        }
        (Ty::Int, Some(Resolved::Int(i))) => Some(Value::Int(i)),
        (Ty::Bool, Some(Resolved::Bool(_))) => Some(Value::Bool),
        (Ty::StrList | Ty::StrOrStrList, None) => {
            let Kind::Seq(items) = &node.kind else {
                type_error(cx, field, line, node, "the value");
                return None;
            };
            let mut list = Vec::new();
            let mut ok = true;
            for item in items {
                match str_scalar(item) {
                    Some(t) => list.push((t, item.line)),
                    None => {
                        type_error(cx, field, item.line, item, "this item");
                        ok = false;
                    }
                }
            }
            return ok.then_some(Value::List(list));
        }
        (Ty::StrMap, None) => {
            let Kind::Map(entries) = &node.kind else {
                type_error(cx, field, line, node, "the value");
                return None;
            };
            let mut map = Vec::new();
            let mut ok = true;
            for e in entries {
                match str_scalar(&e.value) {
                    Some(v) => map.push((e.key.as_str(), e.key_line, v)),
                    None => {
                        type_error(cx, field, e.key_line, &e.value, &format!("the value of `{}`", e.key));
                        ok = false;
                    }
                }
            }
            return ok.then_some(Value::Map(map));
        }
        _ => None,
    };
    if value.is_none() {
        type_error(cx, field, line, node, &format!("`{}`", written(node)));
    }
    // A single organization is allowed where a list is; normalise to a list.
    match value {
        Some(Value::Str(t)) if field.ty == Ty::StrOrStrList => Some(Value::List(vec![(t, line)])),
        v => v,
    }
}

/// Whether two dotted versions name the same release, padding with zeros as PEP 440 does
/// (`5.0` and `5` are the same, `3.10` and `3.1` are not); anything non-numeric compares as text.
fn same_release(a: &str, b: &str) -> bool {
    let parts = |v: &str| v.split('.').map(str::parse::<u64>).collect::<Result<Vec<_>, _>>();
    match (parts(a), parts(b)) {
        (Ok(mut x), Ok(mut y)) => {
            let n = x.len().max(y.len());
            x.resize(n, 0);
            y.resize(n, 0);
            x == y
        }
        _ => a == b,
    }
}

/// Versions written as YAML numbers: a finding when the number reads as another release, else a nudge.
fn unquoted_version<'a>(cx: &mut Ctx<'_>, field: &Field, line: u32, s: &'a Scalar, r: Resolved<'_>) -> Option<Value<'a>> {
    let reads_as = match r {
        Resolved::Int(i) => i.to_string(),
        // Rust and JavaScript print the shortest round-tripping form, so 3.10 -> "3.1" in both.
        Resolved::Float(f) => f.to_string(),
        _ => unreachable!("only numbers reach here"),
    };
    let k = field.name;
    let text = &s.text;
    if !same_release(&reads_as, text) {
        let (rule, effect) = if k == "python_version" {
            (&VERSION_MISREAD, format!("the Hub would ask for Python {reads_as}, which it does not offer, and the build fails"))
        } else {
            (&SDK_VERSION_MISREAD, format!("the Space would install {reads_as} instead"))
        };
        cx.emit(
            rule,
            line,
            k,
            format!("`{k}: {text}` (line {line}) is unquoted, so YAML reads it as the number {reads_as}, not the version \"{text}\"; {effect}."),
            Some(format!("Quote it: `{k}: \"{text}\"`.")),
        );
        return None;
    }
    cx.emit(
        &UNQUOTED_VERSION,
        line,
        k,
        format!("`{k}: {text}` (line {line}) is unquoted, so YAML reads it as a number; it reads back as the same version ({reads_as}) today, but versions like 3.10 would not."),
        Some(format!("Quote it: `{k}: \"{text}\"`.")),
    );
    Some(Value::Str(text))
}

fn unknown_key(cx: &mut Ctx<'_>, entry: &Entry) {
    let key = entry.key.as_str();
    let line = entry.key_line;
    let value = written(&entry.value);
    // Unquoted, for pasting into a fix.
    let bare = str_scalar(&entry.value).map_or_else(|| value.clone(), clip);
    let (message, fix) = match key {
        "hardware" if value.to_ascii_lowercase().contains("zero") => (
            format!(
                "`hardware: {value}` (line {line}) is not a Space config key, so the Hub ignores it; ZeroGPU is chosen in the Space settings, not in README.md."
            ),
            "Delete the line and select ZeroGPU under Settings → Space hardware.".to_owned(),
        ),
        "hardware" => (
            format!(
                "`hardware: {value}` (line {line}) is not a Space config key, so the Hub ignores it and the Space runs on whatever hardware is selected in its settings."
            ),
            format!(
                "Rename it to `suggested_hardware: {bare}` (a suggestion for people who duplicate the Space), and pick the hardware in the Space settings."
            ),
        ),
        "dockerfile" => (
            format!(
                "`dockerfile: {value}` (line {line}) is not a Space config key: the Hub always builds `Dockerfile` at the repository root and ignores this line."
            ),
            format!("Rename `{bare}` to `Dockerfile` at the repository root and delete the `dockerfile:` line."),
        ),
        _ => {
            let known = known_fields();
            match closest(key, &known) {
                Some(s) => (
                    format!("`{key}` (line {line}) is not a Space config key, so the Hub ignores it; did you mean `{s}`?"),
                    format!("Rename `{key}` to `{s}`."),
                ),
                None => (
                    format!("`{key}` (line {line}) is not a Space config key, so the Hub ignores it."),
                    format!("Remove `{key}`, or check the spelling against the Spaces configuration reference."),
                ),
            }
        }
    };
    cx.emit(&UNKNOWN_KEY, line, key, message, Some(fix));
}

fn cross_field(cx: &mut Ctx<'_>) {
    let fm = cx.fm;
    if !fm.contains_key("sdk") {
        cx.emit(
            &MISSING_SDK,
            fm.start_line(),
            "sdk",
            format!(
                "The front matter (lines {}-{}) has no `sdk` key, so the Hub does not know how to build or serve the Space.",
                fm.start_line(),
                fm.end_line()
            ),
            None,
        );
    }
    if cx.sdk == Some(Sdk::Gradio) && !fm.contains_key("sdk_version") {
        let line = fm.line_of("sdk").unwrap_or(fm.start_line());
        cx.emit(
            &MISSING_SDK_VERSION,
            line,
            "sdk_version",
            format!("`sdk: gradio` (line {line}) has no `sdk_version`, so the Gradio version is whatever the Hub picks and may change on a rebuild."),
            None,
        );
    }
    if fm.get_bool("hf_oauth") != Some(true) {
        for key in ["hf_oauth_scopes", "hf_oauth_expiration_minutes", "hf_oauth_authorized_org"] {
            if let Some(line) = fm.line_of(key) {
                let state = if fm.contains_key("hf_oauth") { "is not `true`" } else { "is not set" };
                cx.emit(
                    &OAUTH_WITHOUT_HF_OAUTH,
                    line,
                    key,
                    format!("`{key}` (line {line}) has no effect because `hf_oauth` {state}; no OAuth app is created."),
                    Some("Add `hf_oauth: true`, or remove the OAuth settings.".to_owned()),
                );
            }
        }
    }
}

// ---- field checks -------------------------------------------------------------------------

fn check_sdk(cx: &mut Ctx<'_>, e: &Entry, v: &Value<'_>) {
    let Value::Str(sdk) = *v else { return };
    let sdk_shown = clip(sdk);
    let line = e.key_line;
    if SDKS.contains(&sdk) {
        return;
    }
    if sdk == "streamlit" {
        cx.emit(
            &SDK_DEPRECATED,
            line,
            "sdk",
            format!("`sdk: streamlit` (line {line}) is deprecated: the Hub removed Streamlit from its SDKs in 2025 and creates new Streamlit apps as Docker Spaces; the API still accepts it for now, so migrate to `sdk: docker` with `app_port: 8501`."),
            None,
        );
        return;
    }
    let hint = match closest(sdk, &SDKS) {
        Some(s) => format!(" Did you mean `{s}`?"),
        None => String::new(),
    };
    cx.emit(
        &INVALID_SDK,
        line,
        "sdk",
        format!("`sdk: {sdk_shown}` (line {line}) is not an SDK the Hub builds (gradio, docker, static).{hint}"),
        Some(match closest(sdk, &SDKS) {
            Some(s) => format!("Write `sdk: {s}`."),
            None => INVALID_SDK.fix.to_owned(),
        }),
    );
}

/// Compiled once; the patterns are constants, so `expect` only fires on a typo in this file.
macro_rules! regex {
    ($name:ident, $re:literal) => {
        static $name: LazyLock<Regex> = LazyLock::new(|| Regex::new($re).expect("valid pattern"));
    };
}
// PEP 440-ish: 6.31.0, 4.0, 5.0.0b3, 4.44.0.post1
regex!(RELEASE_VERSION, r"^[0-9]+(\.[0-9]+){0,3}((a|b|rc)[0-9]+)?(\.(post|dev)[0-9]+)?$");
regex!(PYTHON_VERSION, r"^3\.[0-9]{1,2}(\.[0-9]{1,2})?$");
regex!(DURATION, r"^[0-9]+[smh]$");
regex!(REPO_ID, r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)?$");
regex!(COMMIT_SHA, r"^[0-9a-f]{40}$");
regex!(HTTP_URL, r"^https?://[^\s/?#]+[^\s]*$");

fn is_release_version(v: &str) -> bool {
    RELEASE_VERSION.is_match(v)
}

fn check_sdk_version(cx: &mut Ctx<'_>, e: &Entry, v: &Value<'_>) {
    let Value::Str(ver) = *v else { return };
    let ver_shown = clip(ver);
    let line = e.key_line;
    if ver.eq_ignore_ascii_case("latest") {
        cx.emit(
            &SDK_VERSION_LATEST,
            line,
            "sdk_version",
            format!("`sdk_version: {ver_shown}` (line {line}) is not a Gradio release, so the Space is not pinned to the version it was tested with."),
            None,
        );
        return;
    }
    if !is_release_version(ver) {
        let fix = match ver.strip_prefix(['v', 'V']) {
            Some(rest) if is_release_version(rest) => format!("Drop the `v`: `sdk_version: \"{rest}\"`."),
            _ => INVALID_SDK_VERSION.fix.to_owned(),
        };
        cx.emit(
            &INVALID_SDK_VERSION,
            line,
            "sdk_version",
            format!("`sdk_version: {ver_shown}` (line {line}) is not a version number, so installing that Gradio release fails."),
            Some(fix),
        );
    }
}

fn check_python_version(cx: &mut Ctx<'_>, e: &Entry, v: &Value<'_>) {
    let Value::Str(ver) = *v else { return };
    let ver_shown = clip(ver);
    let line = e.key_line;
    if PYTHON_VERSION.is_match(ver) {
        return;
    }
    let why = if ver.starts_with("2.") { "Python 2 is not available" } else { "it must be written `3.x` or `3.x.x`" };
    cx.emit(
        &INVALID_PYTHON_VERSION,
        line,
        "python_version",
        format!("`python_version: {ver_shown}` (line {line}) is not a valid Python version: {why}."),
        None,
    );
}

fn check_app_file(cx: &mut Ctx<'_>, e: &Entry, v: &Value<'_>) {
    let Value::Str(file) = *v else { return };
    let file_shown = clip(file);
    let line = e.key_line;
    let problem = if file.trim().is_empty() {
        Some("is empty")
    } else if file.contains("://") {
        Some("is a URL, not a file in the repository")
    } else if file.starts_with('/') || file.starts_with('\\') || file.get(1..3) == Some(":\\") || file.get(1..3) == Some(":/") {
        Some("is an absolute path; it must be relative to the repository root")
    } else if file.contains('\\') {
        Some("uses `\\` separators; the Hub resolves paths with `/`")
    } else if file.split('/').any(|seg| seg == "..") {
        Some("uses `..`, which points outside the repository")
    } else if file.ends_with('/') {
        Some("names a directory, not a file")
    } else {
        None
    };
    if let Some(problem) = problem {
        cx.emit(&INVALID_APP_FILE, line, "app_file", format!("`app_file: {file_shown}` (line {line}) {problem}."), None);
        return;
    }
    let lower = file.to_ascii_lowercase();
    let (wanted, ok) = match cx.sdk {
        Some(Sdk::Gradio | Sdk::Streamlit) => ("a Python file (.py)", lower.ends_with(".py")),
        Some(Sdk::Static) => ("an HTML page (.html)", lower.ends_with(".html") || lower.ends_with(".htm")),
        _ => return,
    };
    if !ok {
        let sdk = cx.fm.sdk().unwrap_or_default();
        cx.emit(
            &APP_FILE_EXTENSION,
            line,
            "app_file",
            format!("`app_file: {file_shown}` (line {line}) should be {wanted} for `sdk: {sdk}`."),
            None,
        );
    }
}

fn check_app_port(cx: &mut Ctx<'_>, e: &Entry, v: &Value<'_>) {
    let Value::Int(port) = *v else { return };
    let line = e.key_line;
    if !(1..=65535).contains(&port) {
        cx.emit(
            &INVALID_APP_PORT,
            line,
            "app_port",
            format!("`app_port: {port}` (line {line}) is not a TCP port (1-65535)."),
            None,
        );
    } else if port < 1024 {
        cx.emit(
            &PRIVILEGED_PORT,
            line,
            "app_port",
            format!("`app_port: {port}` (line {line}) is below 1024; the container runs as UID 1000, which cannot listen there."),
            None,
        );
    }
}

fn check_base_path(cx: &mut Ctx<'_>, e: &Entry, v: &Value<'_>) {
    let Value::Str(p) = *v else { return };
    let p_shown = clip(p);
    if !p.starts_with('/') {
        let line = e.key_line;
        cx.emit(
            &INVALID_BASE_PATH,
            line,
            "base_path",
            format!("`base_path: {p_shown}` (line {line}) does not start with `/`."),
            Some(format!("Write `base_path: /{}`.", p.trim_start_matches("./"))),
        );
    }
}

fn check_header(cx: &mut Ctx<'_>, e: &Entry, v: &Value<'_>) {
    let Value::Str(h) = *v else { return };
    let h_shown = clip(h);
    if !matches!(h, "mini" | "default") {
        let line = e.key_line;
        let fix =
            closest(h, &["mini", "default"]).map_or_else(|| INVALID_HEADER.fix.to_owned(), |s| format!("Write `header: {s}`."));
        cx.emit(
            &INVALID_HEADER,
            line,
            "header",
            format!("`header: {h_shown}` (line {line}) is not `mini` or `default`."),
            Some(fix),
        );
    }
}

/// Nearest documented color for common CSS names seen in the wild.
const COLOR_ALIASES: [(&str, &str); 16] = [
    ("orange", "yellow"),
    ("amber", "yellow"),
    ("gold", "yellow"),
    ("grey", "gray"),
    ("silver", "gray"),
    ("black", "gray"),
    ("white", "gray"),
    ("darkgreen", "green"),
    ("emerald", "green"),
    ("lime", "green"),
    ("teal", "green"),
    ("cyan", "blue"),
    ("sky", "blue"),
    ("violet", "purple"),
    ("fuchsia", "pink"),
    ("rose", "pink"),
];

fn check_color(cx: &mut Ctx<'_>, e: &Entry, v: &Value<'_>) {
    let Value::Str(c) = *v else { return };
    let c_shown = clip(c);
    if COLORS.contains(&c) {
        return;
    }
    let line = e.key_line;
    let key = e.key.as_str();
    let lower = c.to_ascii_lowercase();
    let nearest = if COLORS.contains(&lower.as_str()) {
        COLORS.iter().copied().find(|x| *x == lower)
    } else {
        COLOR_ALIASES.iter().find(|(a, _)| *a == lower).map(|(_, b)| *b).or_else(|| closest(&lower, &COLORS))
    };
    let fix = match nearest {
        Some(n) => format!("Use `{key}: {n}` (the documented colors are red, yellow, green, blue, indigo, purple, pink, gray)."),
        None => INVALID_COLOR.fix.to_owned(),
    };
    cx.emit(
        &INVALID_COLOR,
        line,
        key,
        format!("`{key}: {c_shown}` (line {line}) is not one of the 8 documented thumbnail colors, so the Hub reports a configuration error for the Space."),
        Some(fix),
    );
}

fn check_emoji(cx: &mut Ctx<'_>, e: &Entry, v: &Value<'_>) {
    let Value::Str(s) = *v else { return };
    let line = e.key_line;
    let shown = written(&e.value);
    match emoji::judge(s) {
        Verdict::Emoji { missing_zwj } => {
            for (written, intended) in missing_zwj {
                cx.emit(
                    &EMOJI_MISSING_ZWJ,
                    line,
                    "emoji",
                    format!("`emoji: {shown}` (line {line}): {written} looks like {intended} without its zero-width joiner (U+200D), so it shows as two separate pictures."),
                    Some(format!("Write `emoji: {}` if {intended} was meant.", s.replace(&written, &intended))),
                );
            }
        }
        Verdict::Empty => cx.emit(
            &INVALID_EMOJI,
            line,
            "emoji",
            format!("`emoji` (line {line}) is blank."),
            Some("Write an emoji, e.g. `emoji: 🚀`, or delete the line to get the Hub default.".to_owned()),
        ),
        Verdict::NotEmoji { bad, mojibake } => {
            let (message, fix) = if let Some(real) = mojibake {
                (
                    format!(
                        "`emoji: {shown}` (line {line}) is mojibake, not an emoji: it is the UTF-8 bytes of {real} read as Windows-1252 and saved again."
                    ),
                    format!("Write `emoji: {real}` and save README.md as UTF-8."),
                )
            } else if s.contains("://") {
                (
                    format!(
                        "`emoji: {shown}` (line {line}) is a URL; `emoji` takes emoji characters only (images go in `thumbnail`)."
                    ),
                    "Write an emoji, e.g. `emoji: 🚀`.".to_owned(),
                )
            } else {
                let chars: Vec<String> = bad
                    .iter()
                    .take(5)
                    .map(|c| match c {
                        ' ' => "space".to_owned(),
                        c => format!("`{c}` (U+{:04X})", *c as u32),
                    })
                    .collect();
                let shortcode = s.starts_with(':') && s.ends_with(':') && s.len() > 2;
                let hint = if shortcode { " A `:shortcode:` is not converted." } else { "" };
                (
                    format!("`emoji: {shown}` (line {line}) must be emoji only, but it contains {}.{hint}", chars.join(", ")),
                    "Write only emoji characters (one or several, no text or spaces), e.g. `emoji: 🚀`.".to_owned(),
                )
            };
            cx.emit(&INVALID_EMOJI, line, "emoji", message, Some(fix));
        }
    }
}

fn check_short_description(cx: &mut Ctx<'_>, e: &Entry, v: &Value<'_>) {
    let Value::Str(d) = *v else { return };
    let len = d.chars().count();
    if len <= SHORT_DESCRIPTION_MAX {
        return;
    }
    let line = e.key_line;
    // Offer a cut at a word boundary so the fix can be pasted.
    let head: String = d.chars().take(SHORT_DESCRIPTION_MAX).collect();
    let cut = match head.rfind(' ') {
        Some(i) if i > SHORT_DESCRIPTION_MAX / 2 => head[..i].trim_end_matches([' ', ',', ';', '—', '-', ':']).to_owned(),
        _ => head,
    };
    cx.emit(
        &SHORT_DESCRIPTION_TOO_LONG,
        line,
        "short_description",
        format!("`short_description` (line {line}) is {len} characters long; the Hub refuses more than {SHORT_DESCRIPTION_MAX} (an undocumented limit we observed)."),
        Some(format!("Shorten it to {SHORT_DESCRIPTION_MAX} characters or fewer, e.g. `short_description: \"{cut}\"`.")),
    );
}

fn check_startup_timeout(cx: &mut Ctx<'_>, e: &Entry, v: &Value<'_>) {
    let Value::Str(t) = *v else { return };
    let t_shown = clip(t);
    let ok = DURATION.is_match(t) && t[..t.len() - 1].parse::<u64>().is_ok_and(|n| n > 0);
    if !ok {
        let line = e.key_line;
        cx.emit(
            &INVALID_STARTUP_TIMEOUT,
            line,
            "startup_duration_timeout",
            format!("`startup_duration_timeout: {t_shown}` (line {line}) is not a positive whole number followed by s, m or h."),
            None,
        );
    }
}

fn check_custom_headers(cx: &mut Ctx<'_>, e: &Entry, v: &Value<'_>) {
    let Value::Map(headers) = v else { return };
    for &(name, line, value) in headers {
        let (name_shown, value_shown) = (clip(name), clip(value));
        let lower = name.to_ascii_lowercase();
        let problem = if !CUSTOM_HEADERS.contains(&lower.as_str()) {
            let hint = closest(&lower, &CUSTOM_HEADERS).map(|s| format!(" (did you mean `{s}`?)")).unwrap_or_default();
            Some(format!(
                "`{name_shown}` (line {line}) is not a header Spaces can set{hint}; only {} are allowed.",
                CUSTOM_HEADERS.join(", ")
            ))
        } else if lower != name {
            Some(format!("header name `{name_shown}` (line {line}) must be lowercase: `{lower}`."))
        } else if value.to_ascii_lowercase() != value {
            Some(format!(
                "the value of `{name_shown}` (line {line}), `{value_shown}`, must be lowercase: `{}`.",
                clip(&value.to_ascii_lowercase())
            ))
        } else {
            None
        };
        if let Some(problem) = problem {
            cx.emit(&INVALID_CUSTOM_HEADERS, line, &e.key, format!("custom_headers: {problem}"), None);
        }
    }
}

fn check_preload(cx: &mut Ctx<'_>, e: &Entry, v: &Value<'_>) {
    let Value::List(items) = v else { return };
    for &(item, line) in items {
        let item_shown = clip(item);
        let parts: Vec<&str> = item.split_whitespace().collect();
        let problem = match parts.as_slice() {
            [] => Some("is empty".to_owned()),
            [r, ..] if !REPO_ID.is_match(r) => Some(format!("starts with `{r}`, which is not a repo id like `owner/name`")),
            [_, files, ..] if files.split(',').any(str::is_empty) => {
                Some(format!("has an empty file name in `{files}` (files are separated by single commas, no spaces)"))
            }
            [_, _, s] if !COMMIT_SHA.is_match(s) => {
                Some(format!("ends with `{s}`, which is not a 40-character lowercase commit sha"))
            }
            [_, _, _, _, ..] => {
                Some(format!("has {} space-separated parts; the format is `repo [file1,file2] [sha]`", parts.len()))
            }
            _ => None,
        };
        if let Some(problem) = problem {
            cx.emit(
                &INVALID_PRELOAD,
                line,
                &e.key,
                format!("preload_from_hub item `{item_shown}` (line {line}) {problem}."),
                None,
            );
        }
    }
}

fn check_hardware(cx: &mut Ctx<'_>, e: &Entry, v: &Value<'_>) {
    let Value::Str(hw) = *v else { return };
    let hw_shown = clip(hw);
    if HARDWARE_FLAVORS.contains(&hw) {
        return;
    }
    let line = e.key_line;
    let lower = hw.to_ascii_lowercase();
    let why = if lower.starts_with("h100") {
        "H100 hardware was removed from Spaces in December 2025".to_owned()
    } else if lower.starts_with("v5e") || lower.contains("tpu") {
        "the TPU v5e flavors were removed on 2026-03-20".to_owned()
    } else if lower.contains("zero") {
        "ZeroGPU is not a flavor; it is chosen in the Space settings".to_owned()
    } else {
        match closest(hw, &HARDWARE_FLAVORS) {
            Some(s) => format!("it is not a hardware flavor; did you mean `{s}`?"),
            None => "it is not a hardware flavor".to_owned(),
        }
    };
    cx.emit(
        &INVALID_HARDWARE,
        line,
        "suggested_hardware",
        format!("`suggested_hardware: {hw_shown}` (line {line}) is not valid: {why}."),
        None,
    );
}

fn check_storage(cx: &mut Ctx<'_>, e: &Entry, v: &Value<'_>) {
    let Value::Str(s) = *v else { return };
    let s_shown = clip(s);
    let line = e.key_line;
    cx.emit(
        &STORAGE_IGNORED,
        line,
        "suggested_storage",
        format!("`suggested_storage: {s_shown}` (line {line}) is ignored: persistent storage tiers are no longer available."),
        None,
    );
}

fn check_oauth_scopes(cx: &mut Ctx<'_>, e: &Entry, v: &Value<'_>) {
    let Value::List(items) = v else { return };
    for &(scope, line) in items {
        let scope_shown = clip(scope);
        if OAUTH_SCOPES.contains(&scope) {
            continue;
        }
        let hint = closest(scope, &OAUTH_SCOPES).map(|s| format!(" Did you mean `{s}`?")).unwrap_or_default();
        cx.emit(
            &INVALID_OAUTH_SCOPE,
            line,
            &e.key,
            format!("`hf_oauth_scopes` item `{scope_shown}` (line {line}) is not an OAuth scope the Hub grants.{hint}"),
            None,
        );
    }
}

fn check_oauth_expiration(cx: &mut Ctx<'_>, e: &Entry, v: &Value<'_>) {
    let Value::Int(m) = *v else { return };
    if !(1..=OAUTH_EXPIRATION_MAX).contains(&m) {
        let line = e.key_line;
        cx.emit(
            &OAUTH_EXPIRATION,
            line,
            &e.key,
            format!(
                "`hf_oauth_expiration_minutes: {m}` (line {line}) is outside 1-{OAUTH_EXPIRATION_MAX} (30 days is the maximum)."
            ),
            None,
        );
    }
}

fn check_legacy_redirect(cx: &mut Ctx<'_>, e: &Entry, v: &Value<'_>) {
    let Value::Str(p) = *v else { return };
    let p_shown = clip(p);
    let line = e.key_line;
    cx.emit(
        &LEGACY_OAUTH_REDIRECT,
        line,
        &e.key,
        format!("`hf_oauth_redirect_path: {p_shown}` (line {line}) is obsolete: since December 2023 any redirect URL on the Space is allowed."),
        None,
    );
}

fn check_thumbnail(cx: &mut Ctx<'_>, e: &Entry, v: &Value<'_>) {
    let Value::Str(url) = *v else { return };
    let url_shown = clip(url);
    if !HTTP_URL.is_match(url) {
        let line = e.key_line;
        cx.emit(
            &INVALID_THUMBNAIL,
            line,
            "thumbnail",
            format!("`thumbnail: {url_shown}` (line {line}) is not an http(s) URL."),
            None,
        );
    }
}
