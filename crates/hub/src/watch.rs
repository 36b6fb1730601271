//! The stage watcher: polls `GET runtime` until the Space settles. `RUNNING` is success; `BUILD_ERROR`,
//! `RUNTIME_ERROR`, `CONFIG_ERROR`, `NO_APP_FILE` (and `PAUSED`/`STOPPED`/...) are failures reported with
//! the tail of the relevant log; past the timeout it reports the last stage. Optionally it streams the build
//! log, then the run log, to the caller while it waits.
//!
//! The runtime names no commit, so after a commit a settled stage may still be the previous build's (the
//! Hub takes a while to queue the new one). A settled stage only counts once it is known to be about our
//! commit: the Space was seen in an intermediate stage whose build log names our commit (or names none), or
//! the build log's banner (`===== Build Queued at … / Commit SHA: abc1234 =====`) names our commit and that
//! build is over (a build failure) or the run log started after it was queued (a running or crashed app);
//! or it is RUNNING with neither a build nor a run log (nothing to build: static files served as committed).
//! A settled stage with no such evidence after `rebuild_grace` ends the wait as [`WaitOutcome::NotRebuilt`].

use std::ops::ControlFlow;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use serde::Serialize;

use crate::api::LogKind;
use crate::error::Result;
use crate::id::SpaceId;
use crate::logs::{HubLogs, LogService, LogSource, StreamOptions};
use crate::sse::LogLine;
use crate::types::SpaceRuntime;

/// Stages during which the Hub is still working (reference §4.5).
pub const INTERMEDIATE_STAGES: [&str; 4] = ["BUILDING", "RUNNING_BUILDING", "APP_STARTING", "RUNNING_APP_STARTING"];

/// Default [`WaitOptions::rebuild_grace`]: the Hub normally shows the new build within seconds.
pub const DEFAULT_REBUILD_GRACE: Duration = Duration::from_secs(180);
/// While no build of the commit is seen, the build log's banner is read again at most this often.
const RECHECK_EVERY: Duration = Duration::from_secs(5);
/// Idle timeout when reading only the start of a log's history.
const PEEK_IDLE: Duration = Duration::from_secs(2);

/// How to wait.
#[derive(Debug, Clone, PartialEq)]
pub struct WaitOptions {
    /// Give up after this long (virtual time with an injected clock).
    pub timeout: Duration,
    /// Pause between runtime polls.
    pub poll_interval: Duration,
    /// The commit whose build is awaited: a settled stage counts only with evidence it is about this commit.
    pub expect_sha: Option<String>,
    /// Log lines kept for a failure report.
    pub tail_lines: usize,
    /// Stream build then run logs to the caller while waiting (uses real time and a helper thread).
    pub stream_logs: bool,
    /// Where logs are read from.
    pub source: LogSource,
    /// How long to wait for the last streamed lines once the Space settles.
    pub drain_grace: Duration,
    /// After the commit, how long a settled stage with no sign of a build of `expect_sha` is taken for the
    /// previous build's before the wait ends as [`WaitOutcome::NotRebuilt`].
    pub rebuild_grace: Duration,
    /// The commit may rightly start no build (it changes only README.md): a Space still `RUNNING` after the
    /// grace is a success.
    pub rebuild_optional: bool,
}

impl Default for WaitOptions {
    fn default() -> Self {
        WaitOptions {
            timeout: Duration::from_secs(30 * 60),
            poll_interval: Duration::from_secs(1),
            expect_sha: None,
            tail_lines: 30,
            stream_logs: false,
            source: LogSource::Hub,
            drain_grace: Duration::from_secs(2),
            rebuild_grace: DEFAULT_REBUILD_GRACE,
            rebuild_optional: false,
        }
    }
}

/// Something that happened while waiting.
#[derive(Debug)]
pub enum WatchEvent<'a> {
    /// The stage changed (first poll included).
    Stage(&'a SpaceRuntime),
    /// A streamed log line.
    Log(LogKind, &'a LogLine),
    /// The settled stage is not about the awaited commit yet (once per wait): the Hub has not started its build.
    AwaitingBuild {
        /// The awaited commit.
        commit: &'a str,
        /// The stage left from before.
        stage: &'a str,
        /// The commit the current build log names, if any.
        built: Option<&'a str>,
    },
}

/// How the wait ended.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum WaitOutcome {
    /// The Space runs.
    Running {
        /// The last runtime.
        runtime: SpaceRuntime,
    },
    /// The Space settled in a failure stage.
    Failed {
        /// The stage, e.g. `BUILD_ERROR`.
        stage: String,
        /// The Hub's explanation, if any.
        error_message: Option<String>,
        /// The log the tail comes from.
        log: Option<LogKind>,
        /// The last lines of that log.
        tail: Vec<LogLine>,
        /// The last runtime.
        runtime: SpaceRuntime,
    },
    /// The Hub started no build of the commit within the grace window; the stage is the previous build's.
    NotRebuilt {
        /// The stage left from before.
        stage: String,
        /// The commit that was waited for.
        commit: String,
        /// The commit the build log names (the one the stage belongs to), if it names one.
        built: Option<String>,
        /// Counted as success: the commit may start no build and the Space runs.
        accepted: bool,
        /// How long we waited.
        waited: Duration,
        /// The last runtime.
        runtime: SpaceRuntime,
    },
    /// Still not settled at the timeout.
    TimedOut {
        /// The last stage seen.
        stage: String,
        /// How long we waited.
        waited: Duration,
    },
}

impl WaitOutcome {
    /// A stable code for `--json`: `RUNNING`, the failure stage, `NOT_REBUILT` or `TIMEOUT`.
    pub fn code(&self) -> &str {
        match self {
            WaitOutcome::Running { .. } => "RUNNING",
            WaitOutcome::Failed { stage, .. } => stage,
            WaitOutcome::NotRebuilt { .. } => "NOT_REBUILT",
            WaitOutcome::TimedOut { .. } => "TIMEOUT",
        }
    }
}

impl Serialize for LogKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// What a runtime answer means for the wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settled {
    /// Keep polling.
    No,
    /// Running.
    Running,
    /// Failed; the tail comes from this log, if any.
    Failed(Option<LogKind>),
}

/// Classifies a runtime's stage (whose commit it is about is [`wait`]'s business).
pub fn classify(rt: &SpaceRuntime) -> Settled {
    match rt.stage.as_str() {
        "RUNNING" => Settled::Running,
        "BUILD_ERROR" | "CONFIG_ERROR" | "NO_APP_FILE" => Settled::Failed(Some(LogKind::Build)),
        "RUNTIME_ERROR" => Settled::Failed(Some(LogKind::Run)),
        "PAUSED" | "STOPPED" | "DELETING" | "SLEEPING" => Settled::Failed(None),
        // Intermediate and unknown stages: keep polling until the timeout.
        _ => Settled::No,
    }
}

/// The commit a build log's banner names: `===== Build Queued at … / Commit SHA: 59f0ef5 =====` (the Hub
/// writes 7 hex digits; wake-ups and restarts write the banner without a commit).
pub fn banner_commit(line: &str) -> Option<&str> {
    if !line.trim_start().starts_with("=====") {
        return None;
    }
    let rest = line.split_once("Commit SHA:")?.1.trim_start();
    let hex = &rest[..rest.find(|c: char| !c.is_ascii_hexdigit()).unwrap_or(rest.len())];
    (hex.len() >= 7).then_some(hex)
}

/// Whether an abbreviated and a full commit id are the same commit.
fn same_commit(a: &str, b: &str) -> bool {
    let (a, b) = (a.to_ascii_lowercase(), b.to_ascii_lowercase());
    a.starts_with(&b) || b.starts_with(&a)
}

/// What the logs say about the build of `want`.
struct Evidence<'a> {
    logs: &'a HubLogs,
    space: &'a SpaceId,
    source: LogSource,
    want: &'a str,
}

impl Evidence<'_> {
    fn peek_options(&self) -> StreamOptions {
        let mut o = StreamOptions::new(false).via(self.source);
        o.idle_timeout = PEEK_IDLE;
        // Evidence is best effort: a failing log host must not stall the poll with reconnect backoff.
        o.max_reconnects = 0;
        o
    }

    /// The first line of a log's history: `None` when the log cannot be read, `Some(None)` when it is empty.
    fn first_line(&self, kind: LogKind) -> Option<Option<LogLine>> {
        let mut first = None;
        let r = self.logs.stream_logs(self.space, kind, &self.peek_options(), &mut |l| {
            first = Some(l.clone());
            ControlFlow::Break(())
        });
        r.ok().map(|_| first)
    }

    /// Whether the build log's stream ends, i.e. that build is over.
    fn build_over(&self) -> bool {
        let r = self.logs.stream_logs(self.space, LogKind::Build, &self.peek_options(), &mut |_| ControlFlow::Continue(()));
        matches!(r, Ok(crate::logs::StreamEnd::Ended))
    }

    /// An intermediate stage is ours unless its build log names another commit. Returns (ours, named).
    fn building(&self) -> (bool, Option<String>) {
        let named = self.first_line(LogKind::Build).flatten().and_then(|l| banner_commit(l.text()).map(str::to_string));
        (named.as_deref().is_none_or(|c| same_commit(c, self.want)), named)
    }

    /// A settled stage is ours when the build log names our commit and, for a build failure, that build is
    /// over; for a running or crashed app, its run log started after our build was queued.
    fn settled(&self, class: Settled) -> (bool, Option<String>) {
        let banner = match self.first_line(LogKind::Build) {
            Some(Some(l)) => l,
            // Running with neither a build nor a run log: nothing is built or run (a static Space serves
            // its files as committed), so the stage cannot be an older build's.
            Some(None) => return (class == Settled::Running && self.first_line(LogKind::Run) == Some(None), None),
            None => return (false, None),
        };
        let Some(named) = banner_commit(banner.text()).map(str::to_string) else { return (false, None) };
        if !same_commit(&named, self.want) {
            return (false, Some(named));
        }
        let ours = match class {
            Settled::Running | Settled::Failed(Some(LogKind::Run)) => {
                let started = self.first_line(LogKind::Run).flatten().and_then(|l| l.time());
                started.zip(banner.time()).is_some_and(|(run, queued)| run >= queued)
            }
            _ => self.build_over(),
        };
        (ours, Some(named))
    }
}

/// The log a stage produces, for live streaming.
fn live_log(stage: &str) -> Option<LogKind> {
    match stage {
        "BUILDING" | "RUNNING_BUILDING" => Some(LogKind::Build),
        "APP_STARTING" | "RUNNING_APP_STARTING" | "RUNNING" => Some(LogKind::Run),
        _ => None,
    }
}

/// A helper thread following one log into a channel; it stops at the next event once `stop` is set.
struct Follower {
    kind: LogKind,
    rx: mpsc::Receiver<LogLine>,
    stop: Arc<AtomicBool>,
}

impl Follower {
    fn spawn(logs: &HubLogs, space: &SpaceId, kind: LogKind, source: LogSource) -> Follower {
        let (tx, rx) = mpsc::channel();
        let stop = Arc::new(AtomicBool::new(false));
        let (logs, space, flag) = (logs.clone(), space.clone(), stop.clone());
        // Detached on purpose: a stream blocked on a silent socket must not hold up the caller.
        std::thread::spawn(move || {
            let opts = StreamOptions::new(true).via(source);
            let _ = logs.stream_logs(&space, kind, &opts, &mut |l| {
                if flag.load(Ordering::Relaxed) || tx.send(l.clone()).is_err() {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            });
        });
        Follower { kind, rx, stop }
    }

    /// Forwards lines until none arrives for `wait`, or the thread ends.
    fn drain(&self, wait: Duration, on_event: &mut dyn FnMut(WatchEvent<'_>)) {
        while let Ok(l) = self.rx.recv_timeout(wait) {
            on_event(WatchEvent::Log(self.kind, &l));
        }
    }

    /// Forwards what is already there.
    fn forward(&self, on_event: &mut dyn FnMut(WatchEvent<'_>)) {
        while let Ok(l) = self.rx.try_recv() {
            on_event(WatchEvent::Log(self.kind, &l));
        }
    }
}

impl Drop for Follower {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

pub(crate) fn wait(
    logs: &HubLogs,
    space: &SpaceId,
    opts: &WaitOptions,
    on_event: &mut dyn FnMut(WatchEvent<'_>),
) -> Result<WaitOutcome> {
    let clock = logs.api.clock();
    let start = clock.now();
    let mut last_stage: Option<String> = None;
    let mut follower: Option<Follower> = None;
    // Without a commit to wait for, whatever settles is the answer.
    let mut ours = opts.expect_sha.is_none();
    let mut named: Option<String> = None;
    let mut next_check = start;
    let mut told_stale = false;
    loop {
        let rt = logs.api.space_runtime(space)?;
        let changed = last_stage.as_deref() != Some(rt.stage.as_str());
        if changed {
            on_event(WatchEvent::Stage(&rt));
            last_stage = Some(rt.stage.clone());
        }
        let class = classify(&rt);
        if !ours && let Some(want) = opts.expect_sha.as_deref() {
            let intermediate = INTERMEDIATE_STAGES.contains(&rt.stage.as_str());
            // PAUSED and the like are final whatever the commit: a stopped Space builds nothing.
            let checkable = intermediate || matches!(class, Settled::Running | Settled::Failed(Some(_)));
            if checkable && (changed || clock.now() >= next_check) {
                next_check = clock.now() + RECHECK_EVERY;
                let ev = Evidence { logs, space, source: opts.source, want };
                let (is_ours, n) = if intermediate { ev.building() } else { ev.settled(class) };
                ours = is_ours;
                named = n.or(named);
                if !ours && !intermediate && !told_stale {
                    told_stale = true;
                    on_event(WatchEvent::AwaitingBuild { commit: want, stage: &rt.stage, built: named.as_deref() });
                }
            }
        }
        let final_stage = ours || matches!(class, Settled::Failed(None));
        if opts.stream_logs && ours {
            if let Some(kind) = live_log(&rt.stage)
                && follower.as_ref().is_none_or(|f| f.kind != kind)
            {
                if let Some(old) = follower.take() {
                    // The build log ends when the build does: let its last lines through first.
                    old.drain(opts.drain_grace, on_event);
                }
                follower = Some(Follower::spawn(logs, space, kind, opts.source));
            }
            if let Some(f) = &follower {
                f.forward(on_event);
            }
        }
        match class {
            Settled::Running if final_stage => {
                if let Some(f) = follower.take() {
                    f.drain(opts.drain_grace.min(Duration::from_millis(500)), on_event);
                }
                return Ok(WaitOutcome::Running { runtime: rt });
            }
            Settled::Failed(log) if final_stage => {
                if let Some(f) = follower.take() {
                    f.drain(opts.drain_grace, on_event);
                }
                // The tail is best effort: the failure itself is the result.
                let tail = match log {
                    Some(kind) => logs.tail_logs(space, kind, opts.tail_lines, opts.source).unwrap_or_default(),
                    None => Vec::new(),
                };
                return Ok(WaitOutcome::Failed {
                    stage: rt.stage.clone(),
                    error_message: rt.error_message.clone(),
                    log,
                    tail,
                    runtime: rt,
                });
            }
            _ => {}
        }
        let waited = clock.now().saturating_sub(start);
        if class != Settled::No
            && waited >= opts.rebuild_grace
            && let Some(want) = &opts.expect_sha
        {
            return Ok(WaitOutcome::NotRebuilt {
                accepted: opts.rebuild_optional && class == Settled::Running,
                stage: rt.stage.clone(),
                commit: want.clone(),
                built: named,
                waited,
                runtime: rt,
            });
        }
        if waited >= opts.timeout {
            return Ok(WaitOutcome::TimedOut { stage: rt.stage, waited });
        }
        let pause = opts.poll_interval.min(opts.timeout - waited);
        match &follower {
            // Streaming: wait on the log channel so lines show up as they come.
            Some(f) => {
                let deadline = clock.now() + pause;
                loop {
                    let left = deadline.saturating_sub(clock.now());
                    match f.rx.recv_timeout(left) {
                        Ok(l) => on_event(WatchEvent::Log(f.kind, &l)),
                        Err(mpsc::RecvTimeoutError::Timeout) => break,
                        // The stream ended (e.g. the build log closed): wait out the pause normally.
                        Err(mpsc::RecvTimeoutError::Disconnected) => {
                            clock.sleep(left);
                            break;
                        }
                    }
                }
            }
            None => clock.sleep(pause),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rt(stage: &str) -> SpaceRuntime {
        SpaceRuntime {
            stage: stage.into(),
            hardware: Default::default(),
            gc_timeout: None,
            dev_mode: None,
            error_message: None,
            extra: Default::default(),
        }
    }

    #[test]
    fn stage_classification() {
        assert_eq!(classify(&rt("RUNNING")), Settled::Running);
        assert_eq!(classify(&rt("BUILD_ERROR")), Settled::Failed(Some(LogKind::Build)));
        assert_eq!(classify(&rt("RUNTIME_ERROR")), Settled::Failed(Some(LogKind::Run)));
        assert_eq!(classify(&rt("PAUSED")), Settled::Failed(None));
        for s in INTERMEDIATE_STAGES.iter().chain(&["SOMETHING_NEW"]) {
            assert_eq!(classify(&rt(s)), Settled::No, "{s}");
        }
    }

    #[test]
    fn banners_name_commits() {
        let b = "===== Build Queued at 2025-04-03 01:39:30 / Commit SHA: 59f0ef5 =====";
        assert_eq!(banner_commit(b), Some("59f0ef5"));
        assert_eq!(banner_commit("===== Build Queued at 2026-07-07 08:54:23 ====="), None);
        assert_eq!(banner_commit("--> RUN echo Commit SHA: 59f0ef5"), None);
        assert_eq!(banner_commit("===== Build Queued at x / Commit SHA: 59f ====="), None);
        assert!(same_commit("59f0ef5", "59F0EF5aaaabbbbccccddddeeeeffff000011112"));
        assert!(!same_commit("59f0ef5", "69f0ef5aaaabbbbccccddddeeeeffff000011112"));
    }

    #[test]
    fn outcome_codes() {
        assert_eq!(WaitOutcome::Running { runtime: rt("RUNNING") }.code(), "RUNNING");
        let t = WaitOutcome::TimedOut { stage: "BUILDING".into(), waited: Duration::from_secs(1) };
        assert_eq!(t.code(), "TIMEOUT");
        let n = |accepted| WaitOutcome::NotRebuilt {
            stage: "RUNNING".into(),
            commit: "abc".into(),
            built: None,
            accepted,
            waited: Duration::from_secs(180),
            runtime: rt("RUNNING"),
        };
        assert_eq!((n(true).code(), n(false).code()), ("NOT_REBUILT", "NOT_REBUILT"));
    }
}
