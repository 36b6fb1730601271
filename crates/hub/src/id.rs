//! Space ids (`owner/name`), validated with huggingface_hub's `validate_repo_id` rules before any request.

use std::fmt;
use std::str::FromStr;

use crate::error::{ErrorKind, HubError};

/// Longest owner or name the Hub accepts.
pub const MAX_NAME_LEN: usize = 96;

/// A validated Space id, `owner/name`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SpaceId {
    owner: String,
    name: String,
}

impl SpaceId {
    /// Parses `owner/name` (a leading `spaces/` is accepted, as the `hf` CLI does).
    pub fn parse(input: &str) -> Result<SpaceId, HubError> {
        let s = input.strip_prefix("spaces/").unwrap_or(input);
        let invalid = |why: &str| {
            HubError::new(ErrorKind::InvalidSpaceId, format!("invalid Space id {input:?}"), why.to_string())
                .with_hint("use OWNER/NAME, e.g. alice/my-space: letters, digits, '-', '_' and '.', at most 96 characters each")
        };
        let Some((owner, name)) = s.split_once('/') else {
            return Err(invalid("a Space id needs an owner and a name separated by '/'"));
        };
        if name.contains('/') {
            return Err(invalid("a Space id has exactly one '/'"));
        }
        for (part, what) in [(owner, "owner"), (name, "name")] {
            if let Err(why) = check_part(part) {
                return Err(invalid(&format!("the {what} {why}")));
            }
        }
        Ok(SpaceId { owner: owner.to_string(), name: name.to_string() })
    }

    /// The namespace (user or organisation).
    pub fn owner(&self) -> &str {
        &self.owner
    }

    /// The repo name without namespace.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// Why one side of the id is invalid; mirrors `REPO_ID_REGEX` plus the `--`, `..` and `.git` checks.
fn check_part(part: &str) -> Result<(), String> {
    if part.is_empty() {
        return Err("is empty".into());
    }
    if part.len() > MAX_NAME_LEN {
        return Err(format!("is {} characters long (at most {MAX_NAME_LEN})", part.len()));
    }
    if let Some(c) = part.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))) {
        return Err(format!("contains {c:?} (only letters, digits, '-', '_' and '.' are allowed)"));
    }
    if part.starts_with(['-', '.']) || part.ends_with(['-', '.']) {
        return Err("must start and end with a letter, digit or '_'".into());
    }
    if part.contains("--") || part.contains("..") {
        return Err("must not contain '--' or '..'".into());
    }
    if part.ends_with(".git") {
        return Err("must not end with '.git'".into());
    }
    Ok(())
}

impl FromStr for SpaceId {
    type Err = HubError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SpaceId::parse(s)
    }
}

impl fmt::Display for SpaceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.owner, self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_valid_ids() {
        for ok in ["alice/demo", "spaces/alice/demo", "a_b/x.y-z", "A1/_x_", "o/n"] {
            let id = SpaceId::parse(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
            assert_eq!(id.to_string(), ok.trim_start_matches("spaces/"));
        }
        assert_eq!(SpaceId::parse("alice/demo").unwrap().owner(), "alice");
    }

    #[test]
    fn rejects_invalid_ids() {
        let long = format!("alice/{}", "x".repeat(97));
        for bad in [
            "demo",
            "alice/",
            "/demo",
            "a/b/c",
            "alice/de mo",
            "alice/-demo",
            "alice/demo.",
            "alice/de--mo",
            "alice/de..mo",
            "alice/demo.git",
            "alicé/demo",
            long.as_str(),
        ] {
            let e = SpaceId::parse(bad).expect_err(bad);
            assert_eq!(e.code(), "INVALID_SPACE_ID", "{bad}");
            assert_eq!(e.kind(), crate::ErrorKind::InvalidSpaceId);
            assert!(e.to_string().contains("OWNER/NAME"), "{e}");
        }
    }
}
