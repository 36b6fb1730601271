//! `spacesmith ci github` (and `new --ci github`): a GitHub Actions workflow that deploys the Space
//! with `spacesmith deploy` on every push to main. The job fails when the Space fails to build or
//! start, because `deploy` waits for it and exits non-zero.

use std::path::PathBuf;

use serde::Serialize;
use spacesmith_hub::SpaceId;
use spacesmith_runtime::GeneratedFile;

use crate::error::{AppError, Exit};
use crate::project::{NewReport, NewRequest, ProjectService};
use crate::writer::{self, Action, WriteError};

pub const WORKFLOW_PATH: &str = ".github/workflows/deploy-space.yml";
/// The repository secret the workflow reads the Hugging Face token from.
pub const TOKEN_SECRET: &str = "HF_TOKEN";
/// The repository variable naming the Space when `--space` was not given.
pub const SPACE_VARIABLE: &str = "HF_SPACE";
/// The repository variable that switches the workflow to Trusted Publishers (OIDC) when `true`.
pub const TRUSTED_PUBLISHING_VARIABLE: &str = "HF_TRUSTED_PUBLISHING";
/// spacesmith is not on crates.io: the workflow installs it from its Git repository.
pub const DEFAULT_SPACESMITH_GIT: &str = "https://github.com/OWNER/spacesmith.git";

#[derive(Debug, Clone)]
pub struct CiRequest {
    pub dir: PathBuf,
    /// Written into the workflow; None: the workflow reads the repository variable HF_SPACE.
    pub space: Option<SpaceId>,
    /// Where the workflow installs spacesmith from; None: a placeholder the user must edit.
    pub spacesmith_git: Option<String>,
    pub force: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct CiReport {
    pub success: bool,
    pub path: PathBuf,
    pub action: Action,
    pub space: Option<String>,
    /// Repository secrets to create (name, what it holds).
    pub secrets: Vec<RepoSetting>,
    /// Repository variables to create.
    pub variables: Vec<RepoSetting>,
    /// What to edit in the workflow before it can run, if anything.
    pub todo: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RepoSetting {
    pub name: String,
    pub why: String,
}

/// Writes the workflow into `req.dir`, refusing to replace an existing one without `force`.
pub fn write_github_workflow(req: &CiRequest) -> Result<CiReport, AppError> {
    if !req.dir.is_dir() {
        return Err(AppError::usage("PROJECT_NOT_FOUND", format!("{} is not a directory", req.dir.display()))
            .hint("Pass the directory of the Space project (the one holding README.md)."));
    }
    let file = GeneratedFile {
        path: WORKFLOW_PATH.into(),
        contents: github_workflow(req.space.as_ref(), req.spacesmith_git.as_deref()).into_bytes(),
        executable: false,
    };
    let planned = writer::write(&req.dir, &[file], req.force).map_err(|e| match e {
        WriteError::Exists { .. } => {
            AppError::usage("WORKFLOW_EXISTS", format!("{} already exists", req.dir.join(WORKFLOW_PATH).display()))
                .hint("Nothing was written. Pass --force to replace it (your edits to it would be lost).")
        }
        e => AppError::new("WRITE_FAILED", Exit::Failed, format!("cannot write the workflow: {e}"))
            .hint("Check that the project directory is writable."),
    })?;
    let action = planned.first().map(|p| p.action).unwrap_or(Action::Create);
    Ok(report(req, action))
}

/// `new --ci github`: refuses before writing anything if the workflow exists (without --force), then
/// scaffolds the project and adds the workflow. A dry run only checks.
pub fn new_with_workflow(
    projects: &dyn ProjectService,
    new: &NewRequest,
    ci: &CiRequest,
    dry_run: bool,
) -> Result<(NewReport, Option<CiReport>), AppError> {
    if !ci.force && ci.dir.join(WORKFLOW_PATH).exists() {
        return Err(AppError::usage("WORKFLOW_EXISTS", format!("{} already exists", ci.dir.join(WORKFLOW_PATH).display()))
            .hint("Nothing was written. Pass --force to replace it."));
    }
    let project = projects.new_project(new, ci.force, dry_run)?;
    if dry_run {
        return Ok((project, None));
    }
    Ok((project, Some(write_github_workflow(ci)?)))
}

fn report(req: &CiRequest, action: Action) -> CiReport {
    let mut variables = Vec::new();
    let mut todo = Vec::new();
    if req.space.is_none() {
        variables.push(RepoSetting {
            name: SPACE_VARIABLE.into(),
            why: "the Space to deploy to, OWNER/NAME (or run `spacesmith ci github --space OWNER/NAME --force`)".into(),
        });
    }
    variables.push(RepoSetting {
        name: TRUSTED_PUBLISHING_VARIABLE.into(),
        why: "optional: `true` to deploy without a stored token, by Trusted Publishers (add this GitHub repository and workflow as a trusted publisher in the Space's Settings on the Hub first; the Space must exist)".into(),
    });
    if req.spacesmith_git.is_none() {
        todo.push(format!(
            "set SPACESMITH_GIT in {WORKFLOW_PATH} to the Git URL spacesmith is installed from (it is not on crates.io), or rewrite it with `spacesmith ci github DIR --spacesmith-git URL --force`"
        ));
    }
    CiReport {
        success: true,
        path: req.dir.join(WORKFLOW_PATH),
        action,
        space: req.space.as_ref().map(|s| s.to_string()),
        secrets: vec![RepoSetting {
            name: TOKEN_SECRET.into(),
            why: format!(
                "a Hugging Face token with write access to the Space (https://huggingface.co/settings/tokens); not used when {TRUSTED_PUBLISHING_VARIABLE} is `true`"
            ),
        }],
        variables,
        todo,
    }
}

/// The workflow text. Deterministic: the same input gives the same bytes.
pub fn github_workflow(space: Option<&SpaceId>, spacesmith_git: Option<&str>) -> String {
    let space_value = match space {
        Some(s) => s.to_string(),
        None => format!("${{{{ vars.{SPACE_VARIABLE} }}}}"),
    };
    let space_comment = match space {
        Some(_) => "# The Space this repository deploys to.".to_string(),
        None => format!("# The Space, from the repository variable {SPACE_VARIABLE} (OWNER/NAME)."),
    };
    let git = spacesmith_git.unwrap_or(DEFAULT_SPACESMITH_GIT);
    format!(
        r#"# Deploys this repository to its Hugging Face Space on every push to main, and on demand
# (Actions → Deploy Space → Run workflow). Written by `spacesmith ci github`.
#
# Needs the repository secret {TOKEN_SECRET} (Settings → Secrets and variables → Actions): a Hugging Face
# token with write access. Or, with no stored token, Trusted Publishers: add this repository and workflow
# as a trusted publisher in the Space's Settings on the Hub, then set the repository variable
# {TRUSTED_PUBLISHING_VARIABLE} to `true`; the job then exchanges GitHub's OIDC id token for a 1-hour token
# scoped to the Space (the Space must already exist). The Space's own secrets are set once with
# `spacesmith secrets`, not here.
# `spacesmith deploy` validates first, then waits for the Space to build and start, so this job fails
# when the project has errors or the Space fails to build or start.
name: Deploy Space

on:
  push:
    branches: [main]
  workflow_dispatch:

# One deploy at a time: a newer push waits for the running deploy instead of racing it.
concurrency:
  group: deploy-space
  cancel-in-progress: false

permissions:
  contents: read
  # Lets the job ask GitHub for an OIDC id token (Trusted Publishers); it grants no access by itself.
  id-token: write

env:
  {space_comment}
  SPACE: "{space_value}"
  # spacesmith is not published on crates.io: it is built from its Git repository.
  SPACESMITH_GIT: "{git}"
  # The toolchain spacesmith builds with; its plugins are compiled to wasm32-wasip2.
  RUST_TOOLCHAIN: "1.95.0"

jobs:
  deploy:
    runs-on: ubuntu-latest
    timeout-minutes: 60
    steps:
      - uses: actions/checkout@v5
        with:
          # The real content of Git LFS files: spacesmith refuses to upload LFS pointer files.
          lfs: true

      - name: Install spacesmith
        run: |
          rustup toolchain install "$RUST_TOOLCHAIN" --profile minimal --target wasm32-wasip2
          cargo "+$RUST_TOOLCHAIN" install --locked --git "$SPACESMITH_GIT" spacesmith

      - name: Deploy and wait for the Space to run
        env:
          # Set only when {TRUSTED_PUBLISHING_VARIABLE} is `true`: then the OIDC exchange is used, else {TOKEN_SECRET}.
          HF_OIDC_RESOURCE: ${{{{ vars.{TRUSTED_PUBLISHING_VARIABLE} == 'true' && format('spaces/{{0}}', env.SPACE) || '' }}}}
          {TOKEN_SECRET}: ${{{{ secrets.{TOKEN_SECRET} }}}}
        run: spacesmith deploy . --space "$SPACE" --timeout 30m
"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_workflow_names_the_space_or_the_variable() {
        let with = github_workflow(Some(&SpaceId::parse("acme/demo").unwrap()), Some("https://example.com/s.git"));
        assert!(with.contains("SPACE: \"acme/demo\"") && with.contains("SPACESMITH_GIT: \"https://example.com/s.git\""));
        let without = github_workflow(None, None);
        assert!(without.contains("SPACE: \"${{ vars.HF_SPACE }}\""), "{without}");
        assert!(without.contains("HF_TOKEN: ${{ secrets.HF_TOKEN }}"));
        assert!(without.contains("  id-token: write\n"), "{without}");
        assert!(
            without.contains(
                "HF_OIDC_RESOURCE: ${{ vars.HF_TRUSTED_PUBLISHING == 'true' && format('spaces/{0}', env.SPACE) || '' }}"
            ),
            "{without}"
        );
        assert!(without.contains(DEFAULT_SPACESMITH_GIT));
        assert!(!without.contains('\t'), "YAML forbids tabs");
        assert!(
            without.contains("actions/checkout@v5\n        with:\n") && without.contains("          lfs: true\n"),
            "{without}"
        );
    }
}
