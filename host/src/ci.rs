//! `spacesmith ci github` (and `new --ci github`): a GitHub Actions workflow that deploys the Space
//! with `spacesmith deploy` on every push to main. The job fails when the Space fails to build or
//! start, because `deploy` waits for it and exits non-zero.

use std::path::PathBuf;

use serde::Serialize;
use spacesmith_hub::SpaceId;
use spacesmith_runtime::GeneratedFile;

use crate::error::{AppError, ErrorCode};
use crate::project::{NewReport, NewRequest, ProjectService};
use crate::writer::{self, Action, WriteError};

pub const WORKFLOW_PATH: &str = ".github/workflows/deploy-space.yml";
/// The repository secret the workflow reads the Hugging Face token from.
pub const TOKEN_SECRET: &str = "HF_TOKEN";
/// The repository variable naming the Space when `--space` was not given.
pub const SPACE_VARIABLE: &str = "HF_SPACE";
/// The repository variable that switches the workflow to Trusted Publishers (OIDC) when `true`.
pub const TRUSTED_PUBLISHING_VARIABLE: &str = "HF_TRUSTED_PUBLISHING";
/// With `--install cargo`: spacesmith is not on crates.io, so it is built from its Git repository.
pub const DEFAULT_SPACESMITH_GIT: &str = "https://github.com/OWNER/spacesmith.git";
/// The release the pip route pins: the one writing the workflow, so CI runs what was tried locally.
pub const SPACESMITH_VERSION: &str = env!("CARGO_PKG_VERSION");

/// How the workflow gets spacesmith.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Install {
    /// `pip install spacesmith==<this version>`: the prebuilt wheel, in seconds, no Rust.
    #[default]
    Pip,
    /// `cargo install --git <--spacesmith-git>`: a source build (Rust and wasm32-wasip2; ~15 minutes).
    Cargo,
}

#[derive(Debug, Clone)]
pub struct CiRequest {
    pub dir: PathBuf,
    /// Written into the workflow; None: the workflow reads the repository variable HF_SPACE.
    pub space: Option<SpaceId>,
    pub install: Install,
    /// With `Install::Cargo`, the Git URL it builds from; None: a placeholder the user must edit.
    pub spacesmith_git: Option<String>,
    pub force: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct CiReport {
    pub success: bool,
    pub path: PathBuf,
    pub action: Action,
    pub space: Option<String>,
    pub install: Install,
    /// The spacesmith release the workflow pins (pip), or None when it builds from Git (cargo).
    pub spacesmith_version: Option<String>,
    /// Repository secrets to create (name, what it holds).
    pub secrets: Vec<RepoSetting>,
    /// Repository variables to create.
    pub variables: Vec<RepoSetting>,
    /// What to edit in the workflow before it can run, if anything.
    pub todo: Vec<String>,
    /// What to know about how it installs spacesmith.
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RepoSetting {
    pub name: String,
    pub why: String,
}

/// Writes the workflow into `req.dir`, refusing to replace an existing one without `force`.
pub fn write_github_workflow(req: &CiRequest) -> Result<CiReport, AppError> {
    if !req.dir.is_dir() {
        return Err(AppError::new(ErrorCode::ProjectNotFound, format!("{} is not a directory", req.dir.display()))
            .hint("Pass the directory of the Space project (the one holding README.md)."));
    }
    check_install(req)?;
    let file = GeneratedFile {
        path: WORKFLOW_PATH.into(),
        contents: github_workflow(req.space.as_ref(), req.install, req.spacesmith_git.as_deref()).into_bytes(),
        executable: false,
    };
    let planned = writer::write(&req.dir, &[file], req.force).map_err(|e| match e {
        WriteError::Exists { .. } => {
            AppError::new(ErrorCode::WorkflowExists, format!("{} already exists", req.dir.join(WORKFLOW_PATH).display()))
                .hint("Nothing was written. Pass --force to replace it (your edits to it would be lost).")
        }
        e => AppError::new(ErrorCode::WriteFailed, format!("cannot write the workflow: {e}"))
            .hint("Check that the project directory is writable."),
    })?;
    let action = planned.first().map(|p| p.action).unwrap_or(Action::Create);
    Ok(report(req, action))
}

/// A Git URL means a source build: silently ignoring it would deploy with something else.
fn check_install(req: &CiRequest) -> Result<(), AppError> {
    if req.install == Install::Pip && req.spacesmith_git.is_some() {
        return Err(AppError::new(ErrorCode::BadArguments, "--spacesmith-git is only used with --install cargo").hint(
            "Add --install cargo to build spacesmith from that Git repository, or drop --spacesmith-git to install the wheel with pip.",
        ));
    }
    Ok(())
}

/// `new --ci github`: refuses before writing anything if the workflow exists (without --force), then
/// scaffolds the project and adds the workflow. A dry run only checks.
pub fn new_with_workflow(
    projects: &dyn ProjectService,
    new: &NewRequest,
    ci: &CiRequest,
    dry_run: bool,
) -> Result<(NewReport, Option<CiReport>), AppError> {
    check_install(ci)?;
    if !ci.force && ci.dir.join(WORKFLOW_PATH).exists() {
        return Err(AppError::new(ErrorCode::WorkflowExists, format!("{} already exists", ci.dir.join(WORKFLOW_PATH).display()))
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
    let mut notes = Vec::new();
    match req.install {
        Install::Pip => notes.push(format!(
            "the workflow installs spacesmith {SPACESMITH_VERSION} with `pip install spacesmith=={SPACESMITH_VERSION}`; that release must be on PyPI (or the index PIP_INDEX_URL names), else rewrite it with `spacesmith ci github DIR --install cargo --spacesmith-git URL --force`"
        )),
        Install::Cargo if req.spacesmith_git.is_none() => todo.push(format!(
            "set SPACESMITH_GIT in {WORKFLOW_PATH} to the Git URL spacesmith is built from (it is not on crates.io), or rewrite it with `spacesmith ci github DIR --install cargo --spacesmith-git URL --force`"
        )),
        Install::Cargo => {}
    }
    CiReport {
        success: true,
        path: req.dir.join(WORKFLOW_PATH),
        action,
        space: req.space.as_ref().map(|s| s.to_string()),
        install: req.install,
        spacesmith_version: (req.install == Install::Pip).then(|| SPACESMITH_VERSION.to_string()),
        secrets: vec![RepoSetting {
            name: TOKEN_SECRET.into(),
            why: format!(
                "a Hugging Face token with write access to the Space (https://huggingface.co/settings/tokens); not used when {TRUSTED_PUBLISHING_VARIABLE} is `true`"
            ),
        }],
        variables,
        todo,
        notes,
    }
}

/// The workflow text. Deterministic: the same input gives the same bytes.
pub fn github_workflow(space: Option<&SpaceId>, install: Install, spacesmith_git: Option<&str>) -> String {
    let space_value = match space {
        Some(s) => s.to_string(),
        None => format!("${{{{ vars.{SPACE_VARIABLE} }}}}"),
    };
    let space_comment = match space {
        Some(_) => "# The Space this repository deploys to.".to_string(),
        None => format!("# The Space, from the repository variable {SPACE_VARIABLE} (OWNER/NAME)."),
    };
    // Nothing is cached: the wheel is one small download, and the cargo route builds once per run.
    let (install_env, install_steps, timeout) = match install {
        Install::Pip => (
            format!(
                r#"  # The spacesmith release that wrote this workflow, installed as a prebuilt wheel from PyPI (or
  # the index PIP_INDEX_URL names). `spacesmith ci github --install cargo` builds from source instead.
  SPACESMITH_VERSION: "{SPACESMITH_VERSION}""#
            ),
            r#"      - uses: actions/setup-python@v6
        with:
          python-version: "3.12"

      - name: Install spacesmith
        # The wheel only: a source build would need Rust and take minutes.
        run: python -m pip install --disable-pip-version-check --only-binary spacesmith "spacesmith==$SPACESMITH_VERSION""#
                .to_string(),
            45,
        ),
        Install::Cargo => (
            format!(
                r#"  # Built from its Git repository (`spacesmith ci github --install cargo`); the default installs the wheel.
  SPACESMITH_GIT: "{}"
  # The toolchain spacesmith builds with; its plugins are compiled to wasm32-wasip2.
  RUST_TOOLCHAIN: "1.95.0""#,
                spacesmith_git.unwrap_or(DEFAULT_SPACESMITH_GIT)
            ),
            r#"      - name: Install spacesmith
        run: |
          rustup toolchain install "$RUST_TOOLCHAIN" --profile minimal --target wasm32-wasip2
          cargo "+$RUST_TOOLCHAIN" install --locked --git "$SPACESMITH_GIT" spacesmith"#
                .to_string(),
            60,
        ),
    };
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
{install_env}

jobs:
  deploy:
    runs-on: ubuntu-latest
    timeout-minutes: {timeout}
    steps:
      - uses: actions/checkout@v5
        with:
          # The real content of Git LFS files: spacesmith refuses to upload LFS pointer files.
          lfs: true

{install_steps}

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
        let with =
            github_workflow(Some(&SpaceId::parse("acme/demo").unwrap()), Install::Cargo, Some("https://example.com/s.git"));
        assert!(with.contains("SPACE: \"acme/demo\"") && with.contains("SPACESMITH_GIT: \"https://example.com/s.git\""));
        assert!(github_workflow(None, Install::Cargo, None).contains(DEFAULT_SPACESMITH_GIT));
        let without = github_workflow(None, Install::Pip, None);
        assert!(without.contains("SPACE: \"${{ vars.HF_SPACE }}\""), "{without}");
        assert!(without.contains("HF_TOKEN: ${{ secrets.HF_TOKEN }}"));
        assert!(without.contains("  id-token: write\n"), "{without}");
        assert!(
            without.contains(
                "HF_OIDC_RESOURCE: ${{ vars.HF_TRUSTED_PUBLISHING == 'true' && format('spaces/{0}', env.SPACE) || '' }}"
            ),
            "{without}"
        );
        assert!(
            without.contains(&format!("SPACESMITH_VERSION: \"{}\"", env!("CARGO_PKG_VERSION")))
                && without.contains("\"spacesmith==$SPACESMITH_VERSION\"")
                && !without.contains("cargo install")
                && !without.contains("cache"),
            "{without}"
        );
        assert!(!without.contains('\t'), "YAML forbids tabs");
        assert!(
            without.contains("actions/checkout@v5\n        with:\n") && without.contains("          lfs: true\n"),
            "{without}"
        );
    }
}
