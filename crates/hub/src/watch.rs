//! The stage watcher: polls `GET runtime` until the Space settles. `RUNNING` is success; `BUILD_ERROR`,
//! `RUNTIME_ERROR`, `CONFIG_ERROR`, `NO_APP_FILE` (and `PAUSED`/`STOPPED`/...) are failures reported with
//! the tail of the relevant log; past the timeout it reports the last stage. Optionally it streams the build
//! log, then the run log, to the caller while it waits.

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

/// How to wait.
#[derive(Debug, Clone, PartialEq)]
pub struct WaitOptions {
    /// Give up after this long (virtual time with an injected clock).
    pub timeout: Duration,
    /// Pause between runtime polls.
    pub poll_interval: Duration,
    /// The commit that must be the one running (runtime answers about an older commit are not final).
    pub expect_sha: Option<String>,
    /// Log lines kept for a failure report.
    pub tail_lines: usize,
    /// Stream build then run logs to the caller while waiting (uses real time and a helper thread).
    pub stream_logs: bool,
    /// Where logs are read from.
    pub source: LogSource,
    /// How long to wait for the last streamed lines once the Space settles.
    pub drain_grace: Duration,
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
    /// Still not settled at the timeout.
    TimedOut {
        /// The last stage seen.
        stage: String,
        /// How long we waited.
        waited: Duration,
    },
}

impl WaitOutcome {
    /// 0 running, 1 failed, 5 timed out (DESIGN §1).
    pub fn exit_code(&self) -> i32 {
        match self {
            WaitOutcome::Running { .. } => 0,
            WaitOutcome::Failed { .. } => 1,
            WaitOutcome::TimedOut { .. } => 5,
        }
    }

    /// A stable code for `--json`: `RUNNING`, the failure stage, or `TIMEOUT`.
    pub fn code(&self) -> &str {
        match self {
            WaitOutcome::Running { .. } => "RUNNING",
            WaitOutcome::Failed { stage, .. } => stage,
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

/// Classifies a runtime; answers about another commit than `expect_sha` are not final.
pub fn classify(rt: &SpaceRuntime, expect_sha: Option<&str>) -> Settled {
    if !is_expected_commit(rt, expect_sha) {
        return Settled::No;
    }
    match rt.stage.as_str() {
        "RUNNING" => Settled::Running,
        "BUILD_ERROR" | "CONFIG_ERROR" | "NO_APP_FILE" => Settled::Failed(Some(LogKind::Build)),
        "RUNTIME_ERROR" => Settled::Failed(Some(LogKind::Run)),
        "PAUSED" | "STOPPED" | "DELETING" | "SLEEPING" => Settled::Failed(None),
        // Intermediate and unknown stages: keep polling until the timeout.
        _ => Settled::No,
    }
}

/// Whether the runtime is about `expect_sha` (prefixes allowed); unknown on either side counts as yes.
fn is_expected_commit(rt: &SpaceRuntime, expect_sha: Option<&str>) -> bool {
    match (expect_sha, rt.sha.as_deref()) {
        (Some(want), Some(got)) => got.starts_with(want) || want.starts_with(got),
        _ => true,
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
    loop {
        let rt = logs.api.space_runtime(space)?;
        if last_stage.as_deref() != Some(rt.stage.as_str()) {
            on_event(WatchEvent::Stage(&rt));
            last_stage = Some(rt.stage.clone());
        }
        let settled = classify(&rt, opts.expect_sha.as_deref());
        if opts.stream_logs {
            // Logs of an older commit's build are not the ones the caller waits for.
            if let Some(kind) = live_log(&rt.stage).filter(|_| is_expected_commit(&rt, opts.expect_sha.as_deref()))
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
        match settled {
            Settled::Running => {
                if let Some(f) = follower.take() {
                    f.drain(opts.drain_grace.min(Duration::from_millis(500)), on_event);
                }
                return Ok(WaitOutcome::Running { runtime: rt });
            }
            Settled::Failed(log) => {
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
            Settled::No => {}
        }
        let waited = clock.now().saturating_sub(start);
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

    fn rt(stage: &str, sha: Option<&str>) -> SpaceRuntime {
        SpaceRuntime {
            stage: stage.into(),
            hardware: Default::default(),
            gc_timeout: None,
            dev_mode: None,
            error_message: None,
            sha: sha.map(str::to_string),
            extra: Default::default(),
        }
    }

    #[test]
    fn stage_classification() {
        assert_eq!(classify(&rt("RUNNING", None), None), Settled::Running);
        assert_eq!(classify(&rt("BUILD_ERROR", None), None), Settled::Failed(Some(LogKind::Build)));
        assert_eq!(classify(&rt("RUNTIME_ERROR", None), None), Settled::Failed(Some(LogKind::Run)));
        assert_eq!(classify(&rt("PAUSED", None), None), Settled::Failed(None));
        for s in INTERMEDIATE_STAGES.iter().chain(&["SOMETHING_NEW"]) {
            assert_eq!(classify(&rt(s, None), None), Settled::No, "{s}");
        }
        // RUNNING for an older commit is not final; a prefix of the right sha is.
        assert_eq!(classify(&rt("RUNNING", Some("aaa111")), Some("bbb222")), Settled::No);
        assert_eq!(classify(&rt("RUNNING", Some("aaa111")), Some("aaa")), Settled::Running);
        assert_eq!(classify(&rt("RUNNING", None), Some("aaa")), Settled::Running);
    }

    #[test]
    fn exit_codes() {
        assert_eq!(WaitOutcome::Running { runtime: rt("RUNNING", None) }.exit_code(), 0);
        let t = WaitOutcome::TimedOut { stage: "BUILDING".into(), waited: Duration::from_secs(1) };
        assert_eq!((t.exit_code(), t.code()), (5, "TIMEOUT"));
    }
}
