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

/// A failure the user sees. `code` is stable (scripts match on it); `message` may change wording.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct AppError {
    pub code: &'static str,
    pub exit: Exit,
    pub message: String,
    /// What to do next, when it is not already in the message.
    pub hint: Option<String>,
}

impl AppError {
    pub fn new(code: &'static str, exit: Exit, message: impl Into<String>) -> Self {
        AppError { code, exit, message: message.into(), hint: None }
    }

    pub fn usage(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(code, Exit::Usage, message)
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn json(&self) -> ErrorJson<'_> {
        ErrorJson { success: false, error_code: self.code, message: &self.message, hint: self.hint.as_deref() }
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
            AppError::new("PLUGIN_FAILED", Exit::Failed, e.to_string())
                .hint("This is a defect of the plugin, not of your input: report it to the plugin's author.")
        } else {
            AppError::usage("PLUGIN_REFUSED", e.to_string())
        }
    }
}

impl From<spacesmith_runtime::LoadError> for AppError {
    fn from(e: spacesmith_runtime::LoadError) -> Self {
        let code = match e.kind {
            spacesmith_runtime::LoadErrorKind::Contract(spacesmith_runtime::ContractError::Unsupported { .. }) => {
                "PLUGIN_INCOMPATIBLE"
            }
            _ => "PLUGIN_INVALID",
        };
        AppError::new(code, Exit::Failed, e.to_string())
    }
}
