//! Server-Sent Events as the Hub sends Space logs (reference §4.6): `data: {"data": "...", "timestamp": "..."}`
//! events separated by blank lines, with `: keep-alive` comments (or empty `data:` events) while idle.

use std::io::{self, BufRead};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// One log line of a Space.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LogLine {
    /// The text, usually with its trailing `\n`.
    pub data: String,
    /// ISO-8601 timestamp as sent.
    pub timestamp: String,
}

impl LogLine {
    /// The text without its trailing line break.
    pub fn text(&self) -> &str {
        self.data.strip_suffix('\n').map(|t| t.strip_suffix('\r').unwrap_or(t)).unwrap_or(&self.data)
    }

    /// The timestamp as a time, if it parses.
    pub fn time(&self) -> Option<SystemTime> {
        parse_timestamp(&self.timestamp)
    }
}

/// One complete event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SseEvent {
    /// A log line.
    Line(LogLine),
    /// A comment or an empty event: the connection is alive.
    KeepAlive,
    /// Data that is not a log line (kept for diagnostics).
    Other(String),
}

/// The most of one line, and of one event's data, that is kept: a log line is a few KiB, and a stream
/// that never ends its line or its event must not grow memory without bound.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// `read_until(b'\n')` that keeps at most `max` bytes of the line in `buf` (the rest of it is read and
/// dropped). Returns the bytes consumed, 0 at the end of the stream.
pub fn read_line_capped<R: BufRead + ?Sized>(reader: &mut R, buf: &mut Vec<u8>, max: usize) -> io::Result<usize> {
    let mut consumed = 0;
    loop {
        let chunk = match reader.fill_buf() {
            Ok(chunk) => chunk,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            return Ok(consumed);
        }
        let (part, done) = match chunk.iter().position(|b| *b == b'\n') {
            Some(i) => (&chunk[..=i], true),
            None => (chunk, false),
        };
        let room = max.saturating_sub(buf.len());
        buf.extend_from_slice(&part[..part.len().min(room)]);
        let n = part.len();
        reader.consume(n);
        consumed += n;
        if done {
            return Ok(consumed);
        }
    }
}

/// Incremental parser: feed lines (without their line break), get events at blank lines.
#[derive(Debug, Default)]
pub struct SseParser {
    data: String,
    has_data: bool,
    /// The event's data went past [`MAX_LINE_BYTES`]; it is dropped when it ends.
    overflow: bool,
}

impl SseParser {
    /// A parser with no pending event.
    pub fn new() -> SseParser {
        SseParser::default()
    }

    /// Feeds one line; returns an event when the line completes one.
    pub fn feed_line(&mut self, line: &str) -> Option<SseEvent> {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            return self.dispatch();
        }
        if line.starts_with(':') {
            return Some(SseEvent::KeepAlive);
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line, ""),
        };
        if field == "data" {
            if self.data.len() + value.len() < MAX_LINE_BYTES {
                self.data.push_str(value);
                self.data.push('\n');
            } else {
                self.overflow = true;
            }
            self.has_data = true;
        }
        // `event`, `id` and `retry` carry nothing the Hub uses for logs.
        None
    }

    /// At a clean end of stream: the last event, if its blank line was never sent.
    pub fn finish(&mut self) -> Option<SseEvent> {
        self.dispatch()
    }

    fn dispatch(&mut self) -> Option<SseEvent> {
        if !self.has_data {
            return None;
        }
        self.has_data = false;
        if std::mem::take(&mut self.overflow) {
            self.data.clear();
            return Some(SseEvent::Other(format!("(an event over {} KiB was dropped)", MAX_LINE_BYTES >> 10)));
        }
        let mut data = std::mem::take(&mut self.data);
        data.pop();
        Some(parse_event_data(&data))
    }
}

/// Interprets the data of one event.
pub fn parse_event_data(data: &str) -> SseEvent {
    if data.trim().is_empty() {
        return SseEvent::KeepAlive;
    }
    if data.starts_with('{')
        && let Ok(line) = serde_json::from_str::<LogLine>(data)
    {
        return SseEvent::Line(line);
    }
    SseEvent::Other(data.to_string())
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.fff…][Z|±HH:MM]` (no zone means UTC).
pub fn parse_timestamp(s: &str) -> Option<SystemTime> {
    let s = s.trim();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let t = s.get(r)?;
        t.bytes().all(|b| b.is_ascii_digit()).then(|| t.parse().ok())?
    };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if s.as_bytes().get(4) != Some(&b'-') || !matches!(s.as_bytes().get(10), Some(b'T' | b't' | b' ')) {
        return None;
    }
    let mut rest = &s[19..];
    let mut nanos = 0u32;
    if let Some(frac) = rest.strip_prefix('.') {
        let end = frac.find(|c: char| !c.is_ascii_digit()).unwrap_or(frac.len());
        let digits = &frac[..end.min(9)];
        nanos = format!("{digits:0<9}").parse().ok()?;
        rest = &frac[end..];
    }
    let offset = match rest {
        "" | "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let hh: i64 = rest.get(1..3)?.parse().ok()?;
            let mm: i64 = rest.get(rest.len() - 2..)?.parse().ok()?;
            sign * (hh * 3600 + mm * 60)
        }
    };
    let days = days_from_civil(y, mo, d);
    let secs = days * 86_400 + h * 3600 + mi * 60 + sec - offset;
    let secs = u64::try_from(secs).ok()?;
    Some(UNIX_EPOCH + Duration::new(secs, nanos))
}

/// Days since 1970-01-01 (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(p: &mut SseParser, text: &str) -> Vec<SseEvent> {
        text.split('\n').filter_map(|l| p.feed_line(l)).collect()
    }

    #[test]
    fn parses_log_events_and_keepalives() {
        let mut p = SseParser::new();
        let text = ": keep-alive\n\ndata: {\"data\": \"hello\\n\", \"timestamp\": \"2026-11-21T00:28:00.123Z\"}\n\n\
                    data:\n\nevent: x\nid: 3\ndata: not json\n\ndata: {\"data\":\"a\",\r\n\r\n";
        let ev = feed(&mut p, text);
        assert_eq!(ev[0], SseEvent::KeepAlive);
        assert_eq!(ev[1], SseEvent::Line(LogLine { data: "hello\n".into(), timestamp: "2026-11-21T00:28:00.123Z".into() }));
        assert_eq!(ev[2], SseEvent::KeepAlive);
        assert_eq!(ev[3], SseEvent::Other("not json".into()));
        assert_eq!(ev[4], SseEvent::Other("{\"data\":\"a\",".into()));
        assert_eq!(ev.len(), 5);
        assert_eq!(p.finish(), None);
    }

    #[test]
    fn multi_line_data_and_pending_event() {
        let mut p = SseParser::new();
        assert!(p.feed_line("data: {\"data\": \"x\",").is_none());
        assert!(p.feed_line("data: \"timestamp\": \"t\"}").is_none());
        // A clean end flushes the event whose blank line never came.
        let SseEvent::Line(l) = p.finish().unwrap() else { panic!() };
        assert_eq!((l.data.as_str(), l.timestamp.as_str()), ("x", "t"));
    }

    #[test]
    fn timestamps() {
        let t = parse_timestamp("2026-11-21T00:28:00.123Z").unwrap();
        let secs = t.duration_since(UNIX_EPOCH).unwrap();
        assert_eq!(secs.as_secs(), 1_795_220_880);
        assert_eq!(secs.subsec_millis(), 123);
        assert_eq!(parse_timestamp("1970-01-01T00:00:00Z"), Some(UNIX_EPOCH));
        assert_eq!(parse_timestamp("1970-01-01T01:00:00+01:00"), Some(UNIX_EPOCH));
        assert_eq!(parse_timestamp("2000-03-01T00:00:00").unwrap().duration_since(UNIX_EPOCH).unwrap().as_secs(), 951_868_800);
        assert_eq!(parse_timestamp("garbage"), None);
        let l = LogLine { data: "x\r\n".into(), timestamp: String::new() };
        assert_eq!(l.text(), "x");
    }
}
