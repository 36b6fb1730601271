//! Build and run logs (reference §4.6) through the Hub path or the JWT + logs-host path, with reconnects that
//! never repeat or drop a line, and the stage watcher (see [`crate::watch`]) behind one [`LogService`].
//!
//! Deduplication: every (re)connection replays the log buffer the server still holds, then tails it. We keep
//! a fingerprint (hash of timestamp + text) of each line already delivered, in order. A replay is aligned
//! against that history: its first event must match some delivered line `k` (normally `k = 0`; later when
//! the server's bounded buffer dropped old lines), and each following event must match `k + 1`, `k + 2`...
//! Matching events are skipped; the first event no alignment explains is new, and so is everything after it
//! on that connection. A replay whose first event matches nothing is a new buffer (a new build or run) and
//! is delivered whole. Aligning by position, not by content alone, keeps legitimately repeated lines; the
//! cost is 8 bytes per delivered line.

use std::collections::VecDeque;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::ops::ControlFlow;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::api::{HubApi, LogKind, LogRoute, LogStream};
use crate::clock::Clock;
use crate::error::{ErrorKind, HubError, Result};
use crate::id::SpaceId;
use crate::sse::{LogLine, SseEvent, SseParser};
use crate::types::SpaceJwt;
use crate::watch::{WaitOptions, WaitOutcome, WatchEvent};

/// Which path logs are read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogSource {
    /// `/api/spaces/{id}/logs/{kind}` with the Hub token.
    #[default]
    Hub,
    /// `{logs_host}/v1/{owner}/{name}/logs/{kind}` with a Space JWT from `/api/spaces/{id}/jwt`.
    Jwt,
}

/// How to read a log stream.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamOptions {
    /// Keep tailing after the history (until the stream ends or the callback stops).
    pub follow: bool,
    /// Hub path or JWT path.
    pub source: LogSource,
    /// Longest silence before the connection is considered idle (keep-alives count as traffic).
    pub idle_timeout: Duration,
    /// Consecutive failed reconnects before giving up (reset whenever a new line arrives).
    pub max_reconnects: u32,
    /// Sleeps before reconnect 1, 2, ...; the last repeats.
    pub backoff: Vec<Duration>,
}

impl StreamOptions {
    /// huggingface_hub's defaults: no-follow reads history with a 5 s idle timeout; follow uses 120 s,
    /// reconnecting up to 5 times with 1, 2, 4, 8, 10 s backoff.
    pub fn new(follow: bool) -> StreamOptions {
        StreamOptions {
            follow,
            source: LogSource::Hub,
            idle_timeout: Duration::from_secs(if follow { 120 } else { 5 }),
            max_reconnects: 5,
            backoff: [1, 2, 4, 8, 10].map(Duration::from_secs).to_vec(),
        }
    }

    /// Reads through `source`.
    pub fn via(mut self, source: LogSource) -> StreamOptions {
        self.source = source;
        self
    }
}

/// Why a stream stopped without error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamEnd {
    /// The server ended the stream (the build or run is over).
    Ended,
    /// No-follow: the history was read (silence, or lines newer than the request).
    Drained,
    /// The callback asked to stop.
    Stopped,
    /// Follow: the stream stayed silent through every reconnect.
    Idle,
}

/// Log streaming and stage watching (DESIGN §5).
pub trait LogService: Send + Sync {
    /// Streams a log to `on_line` until it ends, drains (no-follow), or `on_line` breaks.
    fn stream_logs(
        &self,
        space: &SpaceId,
        kind: LogKind,
        opts: &StreamOptions,
        on_line: &mut dyn FnMut(&LogLine) -> ControlFlow<()>,
    ) -> Result<StreamEnd>;

    /// The last `n` lines of the log's history (no-follow).
    fn tail_logs(&self, space: &SpaceId, kind: LogKind, n: usize, source: LogSource) -> Result<Vec<LogLine>>;

    /// Polls the runtime until the Space settles (RUNNING, an error stage) or the timeout passes.
    fn wait_for_stage(
        &self,
        space: &SpaceId,
        opts: &WaitOptions,
        on_event: &mut dyn FnMut(WatchEvent<'_>),
    ) -> Result<WaitOutcome>;

    /// What `logs [--tail N] [--follow]` shows, and what a reconnecting reader resumes: lines are numbered
    /// from 1 in the log's order and handed to `on_line` with their number.
    ///
    /// The Hub's log endpoint replays a log from its start on every connection, so the history is counted
    /// first and the replay skips what was shown: no line twice, none lost in between. With `after` (the
    /// last number a reader got, e.g. SSE `Last-Event-ID`) everything after it comes, and `tail` is ignored.
    fn tail_then_follow(
        &self,
        space: &SpaceId,
        kind: LogKind,
        query: &LogQuery,
        on_line: &mut dyn FnMut(u64, &LogLine) -> ControlFlow<()>,
    ) -> Result<()> {
        let mut skip = query.after;
        if let (0, Some(n)) = (query.after, query.tail) {
            let (last, total) = history_tail(self, space, kind, n, query.source)?;
            let first = total - last.len() as u64 + 1;
            for (i, l) in last.iter().enumerate() {
                if on_line(first + i as u64, l).is_break() {
                    return Ok(());
                }
            }
            if !query.follow {
                return Ok(());
            }
            skip = total;
        }
        let mut seen = 0u64;
        self.stream_logs(space, kind, &StreamOptions::new(query.follow).via(query.source), &mut |l| {
            seen += 1;
            if seen > skip { on_line(seen, l) } else { ControlFlow::Continue(()) }
        })?;
        Ok(())
    }
}

/// The last `n` lines of a log's history, in bounded memory, and how many lines the history has.
fn history_tail<L: LogService + ?Sized>(
    logs: &L,
    space: &SpaceId,
    kind: LogKind,
    n: usize,
    source: LogSource,
) -> Result<(VecDeque<LogLine>, u64)> {
    let mut last = VecDeque::with_capacity(n.min(10_000));
    let mut total = 0u64;
    logs.stream_logs(space, kind, &StreamOptions::new(false).via(source), &mut |l| {
        total += 1;
        if n > 0 {
            if last.len() == n {
                last.pop_front();
            }
            last.push_back(l.clone());
        }
        ControlFlow::Continue(())
    })?;
    Ok((last, total))
}

/// Which lines of a log [`LogService::tail_then_follow`] hands out.
#[derive(Debug, Clone, Copy)]
pub struct LogQuery {
    /// Only the last N lines of the history (ignored when resuming with `after`).
    pub tail: Option<usize>,
    /// Keep reading new lines after the history.
    pub follow: bool,
    /// Resume: only lines numbered above this (0: from the start).
    pub after: u64,
    /// Hub path or JWT path.
    pub source: LogSource,
}

/// [`LogService`] over a [`HubApi`].
#[derive(Clone)]
pub struct HubLogs {
    pub(crate) api: Arc<dyn HubApi>,
}

impl std::fmt::Debug for HubLogs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HubLogs").finish_non_exhaustive()
    }
}

impl HubLogs {
    /// Logs of the Spaces `api` reaches; sleeps go through `api.clock()`.
    pub fn new(api: Arc<dyn HubApi>) -> HubLogs {
        HubLogs { api }
    }
}

/// JWTs are refreshed this long before they expire.
const JWT_MARGIN_SECS: i64 = 60;

impl LogService for HubLogs {
    fn stream_logs(
        &self,
        space: &SpaceId,
        kind: LogKind,
        opts: &StreamOptions,
        on_line: &mut dyn FnMut(&LogLine) -> ControlFlow<()>,
    ) -> Result<StreamEnd> {
        let api = &*self.api;
        let mut jwt: Option<SpaceJwt> = None;
        let mut connect = |_reconnect: bool| -> Result<LogStream> {
            match opts.source {
                LogSource::Hub => api.open_logs(space, kind, LogRoute::Hub, opts.idle_timeout),
                LogSource::Jwt => {
                    let now = unix_now();
                    if jwt.as_ref().is_none_or(|j| j.exp.is_some_and(|e| e - JWT_MARGIN_SECS <= now)) {
                        jwt = Some(api.space_jwt(space)?);
                    }
                    let token = jwt.as_ref().expect("set above").token.clone();
                    match api.open_logs(space, kind, LogRoute::LogsHost(&token), opts.idle_timeout) {
                        // An expired or revoked JWT: get a fresh one, once.
                        Err(e) if e.kind() == ErrorKind::BadToken => {
                            let fresh = api.space_jwt(space)?;
                            let r = api.open_logs(space, kind, LogRoute::LogsHost(&fresh.token), opts.idle_timeout);
                            jwt = Some(fresh);
                            r
                        }
                        r => r,
                    }
                }
            }
        };
        follow_stream(&mut connect, &*api.clock(), opts, on_line)
    }

    fn tail_logs(&self, space: &SpaceId, kind: LogKind, n: usize, source: LogSource) -> Result<Vec<LogLine>> {
        if n == 0 {
            return Ok(Vec::new());
        }
        Ok(history_tail(self, space, kind, n, source)?.0.into())
    }

    fn wait_for_stage(
        &self,
        space: &SpaceId,
        opts: &WaitOptions,
        on_event: &mut dyn FnMut(WatchEvent<'_>),
    ) -> Result<WaitOutcome> {
        crate::watch::wait(self, space, opts, on_event)
    }
}

fn unix_now() -> i64 {
    SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

fn fingerprint(l: &LogLine) -> u64 {
    let mut h = DefaultHasher::new();
    l.timestamp.hash(&mut h);
    l.data.hash(&mut h);
    h.finish()
}

/// How one connection ended.
enum Outcome {
    Eof,
    Timeout,
    Broken(std::io::Error),
    Stopped,
    PastCutoff,
}

/// The reconnect loop, independent of HTTP so it is unit-tested with canned streams. `connect(true)` is a
/// reconnect.
pub(crate) fn follow_stream(
    connect: &mut dyn FnMut(bool) -> Result<LogStream>,
    clock: &dyn Clock,
    opts: &StreamOptions,
    on_line: &mut dyn FnMut(&LogLine) -> ControlFlow<()>,
) -> Result<StreamEnd> {
    let mut seen: Vec<u64> = Vec::new();
    let mut failures = 0u32;
    let mut connected_once = false;
    loop {
        let backoff = |n: u32| opts.backoff.get(n as usize).or(opts.backoff.last()).copied().unwrap_or_default();
        let stream = match connect(connected_once) {
            Ok(s) => s,
            Err(e) if is_transient(&e) && failures < opts.max_reconnects => {
                clock.sleep(backoff(failures));
                failures += 1;
                continue;
            }
            Err(e) => return Err(e),
        };
        connected_once = true;
        // No-follow ends at the first line newer than the answer (plus the Hub's 1 s of slack): history only.
        let cutoff = if opts.follow { None } else { stream.date.map(|d| d + Duration::from_secs(1)) };
        let mut reader = stream.reader;
        let mut parser = SseParser::new();
        // Positions in `seen` the current replay event may be; `None` before the first event.
        let mut aligned: Option<Vec<usize>> = None;
        let mut delivering = false;
        let mut buf = Vec::new();
        let mut deliver = |ev: SseEvent, seen: &mut Vec<u64>, failures: &mut u32| -> Option<Outcome> {
            let SseEvent::Line(line) = ev else { return None };
            let fp = fingerprint(&line);
            if !delivering {
                let next: Vec<usize> = match &aligned {
                    None => seen.iter().enumerate().filter(|(_, f)| **f == fp).map(|(k, _)| k).collect(),
                    Some(prev) => prev.iter().map(|k| k + 1).filter(|k| seen.get(*k) == Some(&fp)).collect(),
                };
                if !next.is_empty() {
                    aligned = Some(next);
                    return None;
                }
                delivering = true;
            }
            if let (Some(c), Some(t)) = (cutoff, line.time())
                && t > c
            {
                return Some(Outcome::PastCutoff);
            }
            seen.push(fp);
            *failures = 0;
            on_line(&line).is_break().then_some(Outcome::Stopped)
        };
        let outcome = loop {
            buf.clear();
            match crate::sse::read_line_capped(&mut reader, &mut buf, crate::sse::MAX_LINE_BYTES) {
                Ok(0) => match parser.finish().and_then(|ev| deliver(ev, &mut seen, &mut failures)) {
                    Some(o) => break o,
                    None => break Outcome::Eof,
                },
                Ok(_) => {
                    if buf.last() == Some(&b'\n') {
                        buf.pop();
                    }
                    let line = String::from_utf8_lossy(&buf);
                    if let Some(o) = parser.feed_line(&line).and_then(|ev| deliver(ev, &mut seen, &mut failures)) {
                        break o;
                    }
                }
                Err(e) if crate::client::is_timeout(&e) => break Outcome::Timeout,
                Err(e) => break Outcome::Broken(e),
            }
        };
        match outcome {
            Outcome::Eof => return Ok(StreamEnd::Ended),
            Outcome::Stopped => return Ok(StreamEnd::Stopped),
            Outcome::PastCutoff => return Ok(StreamEnd::Drained),
            Outcome::Timeout if !opts.follow => return Ok(StreamEnd::Drained),
            Outcome::Timeout => {
                if failures >= opts.max_reconnects {
                    return Ok(StreamEnd::Idle);
                }
            }
            Outcome::Broken(e) => {
                if failures >= opts.max_reconnects {
                    return Err(HubError::new(
                        ErrorKind::Network,
                        "read the Space logs",
                        format!("the log stream kept breaking ({e}), {} reconnects failed", opts.max_reconnects),
                    )
                    .with_hint("check the network connection and try again"));
                }
            }
        }
        clock.sleep(backoff(failures));
        failures += 1;
    }
}

/// Errors worth a reconnect: the network or the Hub's availability, not auth or missing Spaces.
fn is_transient(e: &HubError) -> bool {
    matches!(e.kind(), ErrorKind::Network | ErrorKind::HubUnavailable | ErrorKind::RateLimited)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use std::io::{self, Read};

    /// A reader that yields `data` then fails with `err` (or ends cleanly).
    struct Canned {
        data: io::Cursor<Vec<u8>>,
        err: Option<io::ErrorKind>,
    }

    impl Read for Canned {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.data.read(buf)?;
            if n == 0
                && let Some(k) = self.err.take()
            {
                return Err(io::Error::new(k, "cut"));
            }
            Ok(n)
        }
    }

    fn ev(i: usize) -> String {
        format!("data: {{\"data\": \"line {i}\\n\", \"timestamp\": \"2026-01-01T00:00:{:02}.000Z\"}}\n\n", i % 60)
    }

    fn stream(events: &[usize], err: Option<io::ErrorKind>, partial: &str) -> LogStream {
        let mut text: String = events.iter().map(|i| ev(*i)).collect();
        text.push_str(partial);
        let r = Canned { data: io::Cursor::new(text.into_bytes()), err };
        LogStream { reader: Box::new(io::BufReader::new(r)), date: None }
    }

    fn run(streams: Vec<LogStream>, follow: bool) -> (Result<StreamEnd>, Vec<String>, Vec<Duration>) {
        let clock = ManualClock::new();
        let mut streams = streams.into_iter();
        let mut connect = |_| streams.next().ok_or_else(|| HubError::new(ErrorKind::Network, "connect", "no more streams"));
        let mut got = Vec::new();
        let r = follow_stream(&mut connect, &clock, &StreamOptions::new(follow), &mut |l| {
            got.push(l.text().to_string());
            ControlFlow::Continue(())
        });
        (r, got, clock.sleeps())
    }

    fn lines(r: std::ops::Range<usize>) -> Vec<String> {
        r.map(|i| format!("line {i}")).collect()
    }

    #[test]
    fn reconnect_after_cuts_never_repeats_or_drops() {
        let all: Vec<usize> = (0..10).collect();
        let (r, got, sleeps) = run(
            vec![
                // Cut after 3 events, in the middle of the 4th.
                stream(&all[..3], Some(io::ErrorKind::ConnectionReset), "data: {\"data\": \"line 3"),
                // Replay of 5 then cut again.
                stream(&all[..5], Some(io::ErrorKind::UnexpectedEof), ""),
                stream(&all, None, ""),
            ],
            true,
        );
        assert_eq!(r.unwrap(), StreamEnd::Ended);
        assert_eq!(got, lines(0..10));
        assert_eq!(sleeps, vec![Duration::from_secs(1), Duration::from_secs(1)], "failures reset after new lines");
    }

    #[test]
    fn identical_repeated_lines_are_kept() {
        let (r, got, _) =
            run(vec![stream(&[1, 1], Some(io::ErrorKind::ConnectionReset), ""), stream(&[1, 1, 1], None, "")], true);
        assert_eq!(r.unwrap(), StreamEnd::Ended);
        assert_eq!(got, vec!["line 1"; 3]);
    }

    #[test]
    fn replaced_buffer_is_delivered_from_its_start() {
        let (r, got, _) =
            run(vec![stream(&[0, 1, 2], Some(io::ErrorKind::ConnectionReset), ""), stream(&[7, 8], None, "")], true);
        assert_eq!(r.unwrap(), StreamEnd::Ended);
        assert_eq!(got, vec!["line 0", "line 1", "line 2", "line 7", "line 8"]);
    }

    #[test]
    fn replay_from_a_truncated_buffer_is_aligned() {
        // The server dropped the oldest lines between connections: the replay starts at line 2.
        let (r, got, _) =
            run(vec![stream(&[0, 1, 2, 3], Some(io::ErrorKind::ConnectionReset), ""), stream(&[2, 3, 4, 5], None, "")], true);
        assert_eq!(r.unwrap(), StreamEnd::Ended);
        assert_eq!(got, lines(0..6));
    }

    #[test]
    fn repeated_patterns_align_on_the_longest_consistent_path() {
        // History A B A (same timestamps and text); the replay A B A C must deliver only C.
        let (r, got, _) =
            run(vec![stream(&[60, 61, 60], Some(io::ErrorKind::ConnectionReset), ""), stream(&[60, 61, 60, 62], None, "")], true);
        assert_eq!(r.unwrap(), StreamEnd::Ended);
        assert_eq!(got, vec!["line 60", "line 61", "line 60", "line 62"]);
    }

    #[test]
    fn gives_up_after_bounded_failures() {
        let cut = || stream(&[], Some(io::ErrorKind::ConnectionReset), "");
        let (r, got, sleeps) = run((0..10).map(|_| cut()).collect(), true);
        assert_eq!(r.unwrap_err().code(), "NETWORK_ERROR");
        assert!(got.is_empty());
        assert_eq!(sleeps.iter().map(|d| d.as_secs()).collect::<Vec<_>>(), vec![1, 2, 4, 8, 10]);
        // Silence: follow reconnects then ends quietly; no-follow ends at once.
        let silent = || stream(&[0], Some(io::ErrorKind::TimedOut), "");
        let (r, got, _) = run((0..10).map(|_| silent()).collect(), true);
        assert_eq!((r.unwrap(), got.len()), (StreamEnd::Idle, 1));
        let (r, got, sleeps) = run(vec![silent()], false);
        assert_eq!((r.unwrap(), got.len(), sleeps.len()), (StreamEnd::Drained, 1, 0));
    }

    #[test]
    fn no_follow_stops_at_lines_newer_than_the_answer() {
        let mut s = stream(&[0, 1, 2, 30, 31], None, "");
        s.date = crate::sse::parse_timestamp("2026-01-01T00:00:05Z");
        let (r, got, _) = run(vec![s], false);
        assert_eq!(r.unwrap(), StreamEnd::Drained);
        assert_eq!(got, lines(0..3));
    }

    #[test]
    fn callback_can_stop() {
        let clock = ManualClock::new();
        let mut once = Some(stream(&[0, 1, 2], None, ""));
        let mut connect = |_| Ok(once.take().expect("one connection"));
        let mut n = 0;
        let r = follow_stream(&mut connect, &clock, &StreamOptions::new(true), &mut |_| {
            n += 1;
            if n == 2 { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
        });
        assert_eq!((r.unwrap(), n), (StreamEnd::Stopped, 2));
    }
}
