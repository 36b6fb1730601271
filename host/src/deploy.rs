//! `DeployService` (validate → create → plan → upload → secret notices → wait) and `SpaceService`
//! (status, pause, restart, hardware, sleep, delete), over the Hub client (`spacesmith-hub`), the log
//! service and the project service. The CLI builds a [`Deployer`] and only parses and prints.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use spacesmith_hub::plan::{self, PlanOptions, RemoteState, UploadPlan};
use spacesmith_hub::{
    CommitInfo, CommitOptions, CreateSpace, ErrorKind, HubApi, HubError, LogService, SecretEntry, SpaceId, SpaceInfo,
    SpaceRuntime, UploadEvent, UploadReport, VariableEntry, Visibility, WaitOptions, WaitOutcome, WatchEvent,
    upload_with_progress,
};
use spacesmith_runtime::SecretStage;

use crate::error::{AppError, ErrorCode, Exit};
use crate::hardware::HardwareResolver;
use crate::project::{ProjectService, SecretDelivery, ValidationReport};
use crate::secrets::NeededSecret;

/// Everything `deploy` is asked to do.
#[derive(Debug, Clone)]
pub struct DeployRequest {
    pub dir: PathBuf,
    pub space: SpaceId,
    /// Visibility of a Space this deploy creates; an existing Space keeps its own.
    pub visibility: Visibility,
    pub hardware: Option<String>,
    pub sleep_time: Option<i64>,
    pub secrets: Vec<SecretEntry>,
    pub variables: Vec<VariableEntry>,
    pub message: Option<String>,
    pub revision: String,
    pub create_pr: bool,
    /// Wait for the Space to settle, at most this long; `None` returns after the upload.
    pub wait: Option<Duration>,
    /// How long a settled stage from before the commit is taken for the previous build's.
    pub rebuild_grace: Duration,
    /// Delete remote files that no longer exist locally.
    pub delete: bool,
    /// Also delete remote files the local project ignores (kept by default).
    pub delete_ignored: bool,
    /// Deploy despite validation errors.
    pub force: bool,
    pub dry_run: bool,
}

/// What happens during a deploy, in order, for live output.
pub enum DeployEvent<'a> {
    Validated(&'a ValidationReport),
    /// The Space was created.
    Created {
        url: &'a str,
        visibility: Visibility,
    },
    /// Settings applied to an existing Space.
    Configured {
        secrets: &'a [String],
        variables: &'a [String],
        hardware: Option<&'a str>,
        sleep_time: Option<i64>,
    },
    Planned(&'a UploadPlan),
    Upload(UploadEvent),
    Uploaded(&'a UploadReport),
    Secrets(&'a [SecretStatus]),
    /// Waiting for the Space to settle.
    Waiting {
        timeout: Duration,
    },
    Watch(WatchEvent<'a>),
}

/// Receives [`DeployEvent`]s; `Sync` because upload progress comes from worker threads.
pub trait DeployObserver: Sync {
    fn event(&self, event: DeployEvent<'_>);
}

/// A secret the project needs, and whether the Space has it.
#[derive(Debug, Clone, Serialize)]
pub struct SecretStatus {
    pub name: String,
    pub stage: SecretStage,
    pub required: bool,
    /// Set on the Space (or being set by this command).
    pub set: bool,
    pub found_in: Vec<String>,
    /// How the Space hands it over; with `space` and `dir`, what a front end needs to say how to set it.
    pub delivery: SecretDelivery,
    pub space: String,
    pub dir: PathBuf,
}

#[derive(Debug, Clone, Serialize)]
pub struct PlanSummary {
    pub added: Vec<String>,
    pub changed: Vec<String>,
    pub deleted: Vec<String>,
    /// Remote files missing locally that the project ignores: kept (`--delete-ignored` deletes them).
    pub kept_ignored: Vec<String>,
    pub unchanged: usize,
    pub bytes_to_send: u64,
}

impl PlanSummary {
    fn of(p: &UploadPlan) -> Self {
        PlanSummary {
            added: p.added.iter().map(|f| f.path.clone()).collect(),
            changed: p.changed.iter().map(|f| f.path.clone()).collect(),
            deleted: p.deleted.clone(),
            kept_ignored: p.kept_ignored.clone(),
            unchanged: p.unchanged.len(),
            bytes_to_send: p.bytes_to_send(),
        }
    }
}

/// Settings given to the Space: at creation, or through the API for an existing one.
#[derive(Debug, Clone, Serialize)]
pub struct AppliedSettings {
    pub private: Option<bool>,
    /// Given at creation; `None` for an existing Space, which keeps its own.
    pub visibility: Option<Visibility>,
    pub sdk: String,
    pub hardware: Option<String>,
    pub sleep_time: Option<i64>,
    /// Names only: values are never reported.
    pub secrets: Vec<String>,
    pub variables: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DeployReport {
    pub success: bool,
    pub space: String,
    pub url: String,
    pub dry_run: bool,
    /// The Space was (or, in a dry run, would be) created by this deploy.
    pub created: bool,
    pub settings: AppliedSettings,
    pub validation: ValidationCounts,
    pub plan: PlanSummary,
    pub upload: Option<UploadReport>,
    pub commit: Option<CommitInfo>,
    pub secrets: Vec<SecretStatus>,
    /// `RUNNING`, a failure stage, `TIMEOUT`, or null without waiting.
    pub outcome_code: Option<String>,
    pub outcome: Option<WaitOutcome>,
    /// Why there was no wait, when there was none.
    pub not_waited: Option<String>,
}

impl DeployReport {
    pub fn exit(&self) -> Exit {
        self.outcome.as_ref().map_or(Exit::Ok, outcome_exit)
    }
}

/// What a wait's end means for a shell: the stages are the Hub's, the exit codes ours (DESIGN.md §1).
pub fn outcome_exit(outcome: &WaitOutcome) -> Exit {
    match outcome {
        WaitOutcome::Running { .. } | WaitOutcome::NotRebuilt { accepted: true, .. } => Exit::Ok,
        WaitOutcome::TimedOut { .. } => Exit::Timeout,
        _ => Exit::Failed,
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ValidationCounts {
    pub errors: usize,
    pub warnings: usize,
    pub forced: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct SecretsReport {
    pub space: String,
    pub needed: Vec<SecretStatus>,
    /// Every secret key set on the Space.
    pub set: Vec<String>,
    /// Needed and not set.
    pub missing: Vec<String>,
    /// Set by this command (names only).
    pub updated: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SpaceStatus {
    pub space: String,
    pub url: String,
    pub private: bool,
    pub sdk: Option<String>,
    pub sha: Option<String>,
    pub runtime: SpaceRuntime,
}

/// Deploying a project and checking or setting its secrets.
pub trait DeployService: Send + Sync {
    /// Validate, create or configure the Space, upload what changed in one commit, then (if asked) wait.
    fn deploy(&self, req: &DeployRequest, observer: &dyn DeployObserver) -> Result<DeployReport, AppError>;
    /// Which secrets the project in `dir` needs and which the Space has; sets `set` first.
    fn secrets(&self, dir: &Path, space: &SpaceId, set: &[SecretEntry]) -> Result<SecretsReport, AppError>;
}

/// Managing a Space that exists.
pub trait SpaceService: Send + Sync {
    fn status(&self, space: &SpaceId) -> Result<SpaceStatus, AppError>;
    fn pause(&self, space: &SpaceId) -> Result<SpaceRuntime, AppError>;
    fn restart(&self, space: &SpaceId, factory: bool) -> Result<SpaceRuntime, AppError>;
    fn set_hardware(&self, space: &SpaceId, flavor: &str) -> Result<SpaceRuntime, AppError>;
    fn set_sleep_time(&self, space: &SpaceId, seconds: i64) -> Result<SpaceRuntime, AppError>;
    fn delete(&self, space: &SpaceId) -> Result<(), AppError>;
}

/// The implementation of both services over the Hub.
pub struct Deployer {
    api: Arc<dyn HubApi>,
    logs: Arc<dyn LogService>,
    projects: Arc<dyn ProjectService>,
    hardware: Arc<dyn HardwareResolver>,
    text_cap: u64,
    /// Ask `whoami` before anything else (off for Trusted Publishers tokens: the exchange already proved
    /// the token, and whether `whoami-v2` accepts a repo-scoped token is not documented).
    check_token: bool,
}

impl Deployer {
    pub fn new(
        api: Arc<dyn HubApi>,
        logs: Arc<dyn LogService>,
        projects: Arc<dyn ProjectService>,
        hardware: Arc<dyn HardwareResolver>,
        text_cap: u64,
    ) -> Self {
        Deployer { api, logs, projects, hardware, text_cap, check_token: true }
    }

    /// Whether the deploy checks the token with `whoami` first (default: yes).
    pub fn with_token_check(mut self, check: bool) -> Self {
        self.check_token = check;
        self
    }

    fn needed_secrets(&self, dir: &Path) -> Result<Vec<NeededSecret>, AppError> {
        let project = spacesmith_spec::project::load(dir, self.text_cap).map_err(|e| {
            AppError::new(ErrorCode::ProjectUnreadable, format!("cannot read {}: {e}", dir.display()))
                .hint("Pass the directory of a Space repository (the one holding README.md).")
        })?;
        self.projects.needed_secrets(&project)
    }

    /// Information about the Space, or None if it does not exist.
    fn existing(&self, space: &SpaceId) -> Result<Option<SpaceInfo>, AppError> {
        match self.api.space_info(space, None) {
            Ok(info) => Ok(Some(info)),
            Err(e) if e.kind() == ErrorKind::SpaceNotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    fn web_url(&self, space: &SpaceId) -> String {
        format!("{}/spaces/{space}", self.api.config().endpoint)
    }
}

fn secret_statuses(needed: &[NeededSecret], set: &[String], space: &SpaceId, dir: &Path) -> Vec<SecretStatus> {
    needed
        .iter()
        .map(|n| SecretStatus {
            name: n.name.clone(),
            stage: n.stage,
            required: n.required,
            set: set.contains(&n.name),
            found_in: n.found_in.clone(),
            delivery: SecretDelivery::of(&n.name, n.stage),
            space: space.to_string(),
            dir: dir.to_path_buf(),
        })
        .collect()
}

impl DeployService for Deployer {
    fn deploy(&self, req: &DeployRequest, obs: &dyn DeployObserver) -> Result<DeployReport, AppError> {
        let t = spacesmith_hub::timing::span("deploy.validate");
        // One load serves every pass over the files: validation, the secrets scan, the LFS pointer check and
        // the upload plan (which hashes the files read whole from memory).
        let project = crate::project::load_project(&req.dir, self.text_cap)?;
        let report = self.projects.validate_loaded(&req.dir, &project)?;
        t.end();
        obs.event(DeployEvent::Validated(&report));
        if report.errors > 0 && !req.force {
            return Err(AppError::new(
                ErrorCode::ValidationFailed,
                format!("{} has {} validation error(s); nothing was deployed", req.dir.display(), report.errors),
            )
            .hint("Fix them (each finding says how), or pass --force to deploy anyway."));
        }
        let Some(sdk) = report.sdk.clone() else {
            return Err(AppError::new(ErrorCode::NoSdk, format!("{}/README.md declares no `sdk`", req.dir.display())).hint(
                "Add an `sdk:` line to the README front matter; `spacesmith plugin list` shows the SDKs this spacesmith has.",
            ));
        };
        let hardware = req.hardware.as_deref().map(|h| self.hardware.resolve(h)).transpose()?;
        let t = spacesmith_hub::timing::span("deploy.secrets_scan");
        let needed = self.projects.needed_secrets(&project)?;
        t.end();
        let given_secrets: Vec<String> = req.secrets.iter().map(|s| s.key.clone()).collect();
        let given_vars: Vec<String> = req.variables.iter().map(|v| v.key.clone()).collect();

        // Pointer files would replace the real content on the Hub: refuse before anything is created.
        let loaded = plan::LoadedProject::new(&project);
        loaded.refuse_lfs_pointers()?;
        // Fail on a bad token before anything else talks to the Hub.
        let t = spacesmith_hub::timing::span("deploy.whoami_info");
        if self.check_token {
            self.api.whoami()?;
        }
        let existing = self.existing(&req.space)?;
        t.end();
        let created = existing.is_none();
        let mut url = self.web_url(&req.space);
        let plan_opts = PlanOptions {
            lfs_threshold: self.api.config().lfs_threshold,
            delete: req.delete,
            delete_ignored: req.delete_ignored,
            ..PlanOptions::default()
        };
        let settings = AppliedSettings {
            private: if created { Some(req.visibility != Visibility::Public) } else { existing.as_ref().map(|i| i.private) },
            visibility: created.then_some(req.visibility),
            sdk: sdk.clone(),
            hardware: hardware.clone(),
            sleep_time: req.sleep_time,
            secrets: given_secrets.clone(),
            variables: given_vars.clone(),
        };
        let validation = ValidationCounts { errors: report.errors, warnings: report.warnings, forced: report.errors > 0 };

        if req.dry_run {
            let plan = match &existing {
                Some(_) => loaded.plan(&*self.api, &req.space, &req.revision, &plan_opts)?,
                None => loaded.plan_against(&RemoteState::default(), &plan_opts)?,
            };
            obs.event(DeployEvent::Planned(&plan));
            let mut set = given_secrets.clone();
            if existing.is_some() {
                set.extend(self.api.list_secrets(&req.space)?.into_keys());
            }
            let statuses = secret_statuses(&needed, &set, &req.space, &req.dir);
            obs.event(DeployEvent::Secrets(&statuses));
            return Ok(DeployReport {
                success: true,
                space: req.space.to_string(),
                url,
                dry_run: true,
                created,
                settings,
                validation,
                plan: PlanSummary::of(&plan),
                upload: None,
                commit: None,
                secrets: statuses,
                outcome_code: None,
                outcome: None,
                not_waited: Some("dry run".into()),
            });
        }

        if created {
            // Secrets, variables and hardware go in with the creation, so the first build has them.
            let opts = CreateSpace {
                sdk: sdk.clone(),
                visibility: req.visibility,
                hardware: hardware.clone(),
                sleep_time: req.sleep_time,
                secrets: req.secrets.clone(),
                variables: req.variables.clone(),
                exist_ok: false,
            };
            let t = spacesmith_hub::timing::span("deploy.create");
            url = self.api.create_space(&req.space, &opts)?.url;
            t.end();
            obs.event(DeployEvent::Created { url: &url, visibility: req.visibility });
        } else {
            for s in &req.secrets {
                self.api.add_secret(&req.space, s)?;
            }
            for v in &req.variables {
                self.api.add_variable(&req.space, v)?;
            }
            match (&hardware, req.sleep_time) {
                (Some(h), sleep) => {
                    self.api.request_hardware(&req.space, h, sleep)?;
                }
                (None, Some(s)) => {
                    self.api.set_sleep_time(&req.space, s)?;
                }
                (None, None) => {}
            }
            obs.event(DeployEvent::Configured {
                secrets: &given_secrets,
                variables: &given_vars,
                hardware: hardware.as_deref(),
                sleep_time: req.sleep_time,
            });
        }

        let t = spacesmith_hub::timing::span("deploy.plan");
        let plan = loaded.plan(&*self.api, &req.space, &req.revision, &plan_opts)?;
        t.end();
        obs.event(DeployEvent::Planned(&plan));
        let commit_opts = CommitOptions {
            summary: req.message.clone().unwrap_or_else(|| "Deploy with spacesmith".into()),
            description: String::new(),
            revision: req.revision.clone(),
            create_pr: req.create_pr,
        };
        let t = spacesmith_hub::timing::span("deploy.upload");
        let uploaded = upload_with_progress(&*self.api, &req.space, &plan, &commit_opts, &|e| obs.event(DeployEvent::Upload(e)))?;
        t.end();
        obs.event(DeployEvent::Uploaded(&uploaded));

        let t = spacesmith_hub::timing::span("deploy.list_secrets");
        let set: Vec<String> = self.api.list_secrets(&req.space)?.into_keys().collect();
        t.end();
        let statuses = secret_statuses(&needed, &set, &req.space, &req.dir);
        obs.event(DeployEvent::Secrets(&statuses));

        // Only a commit to the default branch starts a build.
        let not_waited = match req.wait {
            None => Some("--no-wait".to_string()),
            Some(_) if req.create_pr => Some("a pull request does not start a build".to_string()),
            Some(_) if req.revision != "main" => Some(format!("a commit to `{}` does not start a build", req.revision)),
            Some(_) => None,
        };
        let mut outcome = None;
        if let (None, Some(timeout)) = (&not_waited, req.wait) {
            obs.event(DeployEvent::Waiting { timeout });
            // A README-only commit may start no build on the Hub (unverified): then a Space still running
            // the previous build is a success, not a stale answer.
            let sent: Vec<&String> = uploaded.added.iter().chain(&uploaded.changed).collect();
            let readme_only = uploaded.deleted.is_empty() && !sent.is_empty() && sent.iter().all(|p| *p == "README.md");
            let opts = WaitOptions {
                timeout,
                expect_sha: uploaded.commit.as_ref().map(|c| c.oid.clone()),
                stream_logs: true,
                rebuild_optional: readme_only,
                rebuild_grace: req.rebuild_grace,
                ..WaitOptions::default()
            };
            outcome = Some(self.logs.wait_for_stage(&req.space, &opts, &mut |e| obs.event(DeployEvent::Watch(e)))?);
        }
        let success = outcome.as_ref().is_none_or(|o| outcome_exit(o) == Exit::Ok);
        Ok(DeployReport {
            success,
            space: req.space.to_string(),
            url,
            dry_run: false,
            created,
            settings,
            validation,
            plan: PlanSummary::of(&plan),
            commit: uploaded.commit.clone(),
            upload: Some(uploaded),
            secrets: statuses,
            outcome_code: outcome.as_ref().map(|o| o.code().to_string()),
            outcome,
            not_waited,
        })
    }

    fn secrets(&self, dir: &Path, space: &SpaceId, set: &[SecretEntry]) -> Result<SecretsReport, AppError> {
        let needed = self.needed_secrets(dir)?;
        for s in set {
            self.api.add_secret(space, s)?;
        }
        let on_space: Vec<String> = self.api.list_secrets(space)?.into_keys().collect();
        let statuses = secret_statuses(&needed, &on_space, space, dir);
        Ok(SecretsReport {
            space: space.to_string(),
            missing: statuses.iter().filter(|s| !s.set).map(|s| s.name.clone()).collect(),
            needed: statuses,
            set: on_space,
            updated: set.iter().map(|s| s.key.clone()).collect(),
        })
    }
}

impl SpaceService for Deployer {
    fn status(&self, space: &SpaceId) -> Result<SpaceStatus, AppError> {
        let info = self.api.space_info(space, None)?;
        let runtime = self.api.space_runtime(space)?;
        Ok(SpaceStatus {
            space: space.to_string(),
            url: self.web_url(space),
            private: info.private,
            sdk: info.sdk,
            sha: info.sha,
            runtime,
        })
    }

    fn pause(&self, space: &SpaceId) -> Result<SpaceRuntime, AppError> {
        Ok(self.api.pause_space(space)?)
    }

    fn restart(&self, space: &SpaceId, factory: bool) -> Result<SpaceRuntime, AppError> {
        Ok(self.api.restart_space(space, factory)?)
    }

    fn set_hardware(&self, space: &SpaceId, flavor: &str) -> Result<SpaceRuntime, AppError> {
        let flavor = self.hardware.resolve(flavor)?;
        Ok(self.api.request_hardware(space, &flavor, None)?)
    }

    fn set_sleep_time(&self, space: &SpaceId, seconds: i64) -> Result<SpaceRuntime, AppError> {
        Ok(self.api.set_sleep_time(space, seconds)?)
    }

    fn delete(&self, space: &SpaceId) -> Result<(), AppError> {
        Ok(self.api.delete_space(space, false)?)
    }
}

/// `10m`, `90s`, `1h30m`, `500ms`, or plain seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    if let Ok(n) = s.parse::<u64>() {
        return Ok(Duration::from_secs(n));
    }
    let mut total = Duration::ZERO;
    let mut rest = s;
    if rest.is_empty() {
        return Err("empty duration".into());
    }
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        let (num, tail) = rest.split_at(digits);
        let unit_len = tail.find(|c: char| c.is_ascii_digit()).unwrap_or(tail.len());
        let (unit, next) = tail.split_at(unit_len);
        let n: f64 = num.parse().map_err(|_| format!("invalid duration `{s}`"))?;
        let secs = match unit {
            "ms" => n / 1000.0,
            "s" => n,
            "m" => n * 60.0,
            "h" => n * 3600.0,
            "d" => n * 86400.0,
            _ => return Err(format!("invalid duration `{s}` (use e.g. 90s, 10m, 1h)")),
        };
        total += Duration::from_secs_f64(secs);
        rest = next;
    }
    Ok(total)
}

/// A sleep time: seconds, a duration (`1h`), or `never` / `-1`.
pub fn parse_sleep_time(s: &str) -> Result<i64, String> {
    match s.trim() {
        "never" | "-1" => Ok(-1),
        other => parse_duration(other).map(|d| d.as_secs() as i64),
    }
}

impl From<HubError> for AppError {
    fn from(e: HubError) -> Self {
        let mut message = format!("{}: {}", e.op(), e.reason().trim_end_matches('.'));
        if let Some(id) = e.request_id() {
            message.push_str(&format!(" (request id {id})"));
        }
        let err = AppError::new(ErrorCode::from(e.kind()), message);
        match e.hint() {
            Some(h) => err.hint(h),
            None => err,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wait_outcomes_become_exit_codes() {
        let rt = || SpaceRuntime {
            stage: "RUNNING".into(),
            hardware: Default::default(),
            gc_timeout: None,
            dev_mode: None,
            error_message: None,
            extra: Default::default(),
        };
        let not_rebuilt = |accepted| WaitOutcome::NotRebuilt {
            stage: "RUNNING".into(),
            commit: "abc".into(),
            built: None,
            accepted,
            waited: Duration::from_secs(1),
            runtime: rt(),
        };
        assert_eq!(outcome_exit(&WaitOutcome::Running { runtime: rt() }), Exit::Ok);
        assert_eq!(outcome_exit(&not_rebuilt(true)), Exit::Ok);
        assert_eq!(outcome_exit(&not_rebuilt(false)), Exit::Failed);
        let timed_out = WaitOutcome::TimedOut { stage: "BUILDING".into(), waited: Duration::from_secs(1) };
        assert_eq!(outcome_exit(&timed_out), Exit::Timeout);
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("10m").unwrap(), Duration::from_secs(600));
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("12").unwrap(), Duration::from_secs(12));
        assert!(parse_duration("10x").is_err());
        assert!(parse_duration("").is_err());
        assert_eq!(parse_sleep_time("never").unwrap(), -1);
        assert_eq!(parse_sleep_time("1h").unwrap(), 3600);
    }

    #[test]
    fn hub_errors_keep_code_and_exit() {
        let e: AppError = HubError::new(ErrorKind::BadToken, "read Space a/b", "rejected").with_hint("set HF_TOKEN").into();
        assert_eq!((e.code, e.exit()), (ErrorCode::BadToken, Exit::Auth));
        assert_eq!(e.hint.as_deref(), Some("set HF_TOKEN"));
        let e: AppError = HubError::new(ErrorKind::SpaceNotFound, "x", "y").into();
        assert_eq!(e.exit(), Exit::Usage);
    }
}
