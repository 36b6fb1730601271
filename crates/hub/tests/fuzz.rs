//! Fuzzing what the Hub client parses from the network: the SSE log stream (lines read as logs.rs reads
//! them, split at every chunk boundary), log timestamps, `RateLimit`/`Retry-After` headers, Space ids and
//! tokens, and the NDJSON commit body (through the emulator, which reads it back). Properties: no panic, bounded memory, the same events however the bytes arrive, round-trips.
//! `scripts/fuzz` runs it longer.

mod common;
#[path = "../../../tests/support/fuzz.rs"]
mod fuzz_support;

use std::io::{self, BufRead, BufReader, Read};
use std::time::{Duration, UNIX_EPOCH};

use fuzz_support::{fuzz, fuzz_weighted};
use proptest::prelude::*;
use spacesmith_hub::SpaceId;
use spacesmith_hub::auth::clean_token;
use spacesmith_hub::retry::{AttemptFailure, Decision, RetryPolicy, decide, parse_rate_limit, server_wait};
use spacesmith_hub::sse::{LogLine, MAX_LINE_BYTES, SseEvent, SseParser, parse_event_data, parse_timestamp, read_line_capped};

const CASES: u32 = 512;

/// A reader that hands out its bytes in the given chunk sizes (then the rest), as a network would.
struct Chunked {
    data: Vec<u8>,
    pos: usize,
    sizes: Vec<usize>,
}

impl Read for Chunked {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let want = if self.sizes.is_empty() { usize::MAX } else { self.sizes.remove(0).max(1) };
        let n = want.min(buf.len()).min(self.data.len() - self.pos);
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Events out of a byte stream, read the way `logs.rs` reads it.
fn events(reader: &mut dyn BufRead, max_line: usize) -> Vec<SseEvent> {
    let mut parser = SseParser::new();
    let mut out = Vec::new();
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match read_line_capped(reader, &mut buf, max_line) {
            Ok(0) => break,
            Ok(_) => {
                assert!(buf.len() <= max_line, "a line is kept up to the cap only");
                if buf.last() == Some(&b'\n') {
                    buf.pop();
                }
                out.extend(parser.feed_line(&String::from_utf8_lossy(&buf)));
            }
            Err(e) => panic!("in-memory reads do not fail: {e}"),
        }
    }
    out.extend(parser.finish());
    out
}

fn log_line() -> impl Strategy<Value = LogLine> {
    (any::<String>(), prop_oneof![Just("2026-11-21T00:28:00.123Z".to_string()), any::<String>()])
        .prop_map(|(data, timestamp)| LogLine { data, timestamp })
}

/// An SSE stream as the Hub (or a broken proxy) sends it: log events, keep-alives, other fields, noise.
fn stream() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        6 => log_line().prop_map(|l| format!("data: {}\n\n", serde_json::to_string(&l).unwrap()).into_bytes()),
        2 => prop::sample::select(vec![
            ": keep-alive\n\n", "data:\n\n", "data: \n\n", "event: x\nid: 3\nretry: 10\n", "data: not json\n\n",
            "data: {\"data\": \"a\",\r\n\r\n", "data: {\"data\":\"x\",\ndata: \"timestamp\":\"t\"}\n\n", "\n", "\r\n",
            "data", "data:{", ":", "\u{feff}data: x\n\n", "data: {\"data\": 1}\n\n",
        ]).prop_map(|s| s.as_bytes().to_vec()),
        1 => prop::collection::vec(any::<u8>(), 0..24),
        1 => (1usize..2000).prop_map(|n| format!("data: {}\n", "x".repeat(n * 10)).into_bytes()),
    ];
    prop::collection::vec(piece, 0..20).prop_map(|p| p.concat())
}

#[test]
fn sse_same_events_however_chunked() {
    let sizes = prop::collection::vec(1usize..64, 0..64);
    fuzz("hub/sse-chunks", regressions!(), CASES, (stream(), sizes, 1usize..32), |(bytes, sizes, capacity)| {
        let whole = events(&mut io::Cursor::new(bytes.clone()), MAX_LINE_BYTES);
        let mut chunked = BufReader::with_capacity(capacity, Chunked { data: bytes.clone(), pos: 0, sizes });
        prop_assert_eq!(&events(&mut chunked, MAX_LINE_BYTES), &whole);
        // Bounded output: an event needs at least a line break.
        prop_assert!(whole.len() <= bytes.len() + 1);
        Ok(())
    });
}

#[test]
fn sse_log_lines_round_trip() {
    fuzz("hub/sse-round-trip", regressions!(), CASES, prop::collection::vec(log_line(), 0..8), |lines| {
        let text: String = lines.iter().map(|l| format!("data: {}\n\n", serde_json::to_string(l).unwrap())).collect();
        let got = events(&mut io::Cursor::new(text.into_bytes()), MAX_LINE_BYTES);
        prop_assert_eq!(got, lines.into_iter().map(SseEvent::Line).collect::<Vec<_>>());
        Ok(())
    });
}

#[test]
fn sse_every_single_split() {
    // Every cut point of one realistic stream, with a 1-byte reader buffer too.
    let line = LogLine { data: "héllo 🐳\r\n".into(), timestamp: "2026-11-21T00:28:00.123Z".into() };
    let text = format!(": keep-alive\n\ndata: {}\r\n\r\ndata: a\ndata: b\n\n", serde_json::to_string(&line).unwrap());
    let whole = events(&mut io::Cursor::new(text.as_bytes().to_vec()), MAX_LINE_BYTES);
    assert_eq!(whole, [SseEvent::KeepAlive, SseEvent::Line(line), SseEvent::Other("a\nb".into())]);
    for cut in 0..=text.len() {
        for capacity in [1, 2, 7, 64] {
            let sizes = vec![cut, 1, text.len()];
            let mut r = BufReader::with_capacity(capacity, Chunked { data: text.as_bytes().to_vec(), pos: 0, sizes });
            assert_eq!(events(&mut r, MAX_LINE_BYTES), whole, "cut at {cut}, buffer {capacity}");
        }
    }
}

#[test]
fn sse_memory_is_bounded() {
    // A line that never ends and an event that never ends: both are kept up to the cap, not beyond.
    let endless = vec![b'x'; 3 * MAX_LINE_BYTES];
    let mut buf = Vec::new();
    let n = read_line_capped(&mut io::Cursor::new(endless), &mut buf, MAX_LINE_BYTES).unwrap();
    assert_eq!((n, buf.len()), (3 * MAX_LINE_BYTES, MAX_LINE_BYTES));
    let mut p = SseParser::new();
    let chunk = "y".repeat(64 << 10);
    for _ in 0..64 {
        assert_eq!(p.feed_line(&format!("data: {chunk}")), None);
    }
    assert!(matches!(p.feed_line(""), Some(SseEvent::Other(note)) if note.contains("dropped")));
    // The next event is read normally.
    p.feed_line("data: after");
    assert_eq!(p.feed_line(""), Some(SseEvent::Other("after".into())));
    let _ = parse_event_data(&"[".repeat(100_000));
    let _ = parse_event_data(&format!("{{\"data\": {}", "[".repeat(100_000)));
}

/// Days since 1970-01-01 → (year, month, day), Howard Hinnant's `civil_from_days`: the reference the
/// parser's `days_from_civil` must invert.
fn civil(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[test]
fn timestamps_round_trip_and_never_panic() {
    let secs = 0u64..253_402_300_799; // up to 9999-12-31T23:59:59
    let zone = prop::sample::select(vec!["Z", "z", "", "+00:00", "-00:00"]);
    fuzz(
        "hub/timestamps",
        regressions!(),
        CASES,
        (secs, 0u32..1_000_000_000, zone, any::<String>()),
        |(secs, nanos, zone, noise)| {
            let (y, m, d) = civil((secs / 86_400) as i64);
            let rem = secs % 86_400;
            let text = format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{nanos:09}{zone}", rem / 3600, rem / 60 % 60, rem % 60);
            prop_assert_eq!(parse_timestamp(&text), Some(UNIX_EPOCH + Duration::new(secs, nanos)), "{}", text);
            for s in [noise.as_str(), &format!("{}{noise}", &text[..19]), &text[..text.len() / 2]] {
                let _ = parse_timestamp(s);
            }
            Ok(())
        },
    );
}

#[test]
fn retry_headers() {
    let header = prop_oneof![
        prop::sample::select(vec![
            "\"api\";r=0;t=7",
            "\"api\";r=0;t=18446744073709551615",
            "r=0;t=99999999999999999999",
            "r=;t=",
            ";;;",
            "t=1;r=0",
            "\"api\"; r = 0 ; t = 3"
        ])
        .prop_map(str::to_string),
        any::<String>(),
        (any::<u64>(), any::<u64>()).prop_map(|(r, t)| format!("\"api\";r={r};t={t}")),
    ];
    let retry_after =
        prop_oneof![any::<u64>().prop_map(|s| s.to_string()), any::<String>(), Just("Wed, 21 Oct 2015 07:28:00 GMT".into())];
    let status = prop::sample::select(vec![408u16, 429, 500, 502, 503, 504, 400, 404]);
    let failure = (prop::option::of(status), prop::option::of(header), prop::option::of(retry_after))
        .prop_map(|(status, rate_limit, retry_after)| AttemptFailure { status, rate_limit, retry_after });
    fuzz("hub/retry", regressions!(), CASES, (failure, 0u32..10, 0u64..200), |(f, retries, slept)| {
        let policy = RetryPolicy::default();
        let _ = f.rate_limit.as_deref().map(parse_rate_limit);
        let asked = server_wait(&f);
        match decide(&policy, retries, Duration::from_secs(slept), &f) {
            Decision::Retry(wait) => {
                prop_assert!(wait <= policy.max_wait, "{:?}: slept {:?}", f, wait);
                prop_assert!(Duration::from_secs(slept) + wait <= policy.max_total);
                // A server that asks for a wait gets at least that.
                prop_assert!(asked.is_none_or(|a| wait == a), "{f:?}: {wait:?} vs {asked:?}");
            }
            Decision::GiveUp => {}
        }
        Ok(())
    });
}

#[test]
fn space_ids_and_tokens() {
    let part = "[A-Za-z0-9._-]{0,100}";
    let id = prop_oneof![
        (part, part).prop_map(|(a, b)| format!("{a}/{b}")),
        any::<String>(),
        part.prop_map(|p| format!("spaces/{p}/x"))
    ];
    fuzz("hub/ids", regressions!(), CASES, (id, any::<String>()), |(input, token)| {
        if let Ok(id) = SpaceId::parse(&input) {
            prop_assert!(!id.owner().is_empty() && !id.name().is_empty() && id.owner().len() <= 96 && id.name().len() <= 96);
            prop_assert_eq!(SpaceId::parse(&format!("{}/{}", id.owner(), id.name())).ok(), Some(id));
        }
        if let Some(t) = clean_token(&token) {
            prop_assert!(!t.is_empty() && !t.contains(['\r', '\n']) && t.trim() == t);
            prop_assert_eq!(clean_token(&t), Some(t.clone()), "cleaning is idempotent");
        }
        Ok(())
    });
}

/// Inputs that once broke a reader, kept as plain tests.
#[test]
fn regressions() {
    // `t + 1` wrapped in release builds: a server asking for u64::MAX seconds got a retry at once.
    let policy = RetryPolicy::default();
    for f in [
        AttemptFailure { status: Some(429), rate_limit: Some("\"api\";r=0;t=18446744073709551615".into()), retry_after: None },
        AttemptFailure { status: Some(503), rate_limit: None, retry_after: Some("18446744073709551615".into()) },
    ] {
        assert_eq!(server_wait(&f), Some(Duration::from_secs(u64::MAX)));
        assert_eq!(decide(&policy, 0, Duration::ZERO, &f), Decision::GiveUp);
    }
}

/// Path names with what JSON must escape (quotes, backslashes), spaces, `%`, `#`, unicode.
#[rustfmt::skip]
const NAMES: &[&str] = &["a", "b.txt", "space name", "quote\"d", "back\\slash", "pct%20", "hash#x", "é", "🐳.md", "x'y", "tab\tx"];

#[test]
fn ndjson_commit_bodies_round_trip() {
    // Sizes around the 48 KiB base64 chunk of ndjson.rs, where an off-by-one would corrupt a file.
    let size = prop_oneof![0usize..8, Just(49_151), Just(49_152), Just(49_153), Just(98_305), 0usize..200_000];
    let file = (prop::collection::vec(prop::sample::select(NAMES), 1..4), size, any::<u8>());
    let env = common::start();
    let counter = std::sync::atomic::AtomicUsize::new(0);
    fuzz_weighted("hub/ndjson", regressions!(), CASES, 16, prop::collection::vec(file, 1..6), |files| {
        let dir = tempfile::tempdir().unwrap();
        let mut expected = std::collections::BTreeMap::new();
        for (parts, size, seed) in files {
            let path = parts.join("/");
            // A path that is a directory of another file is skipped, as a file system would refuse it.
            if expected.keys().any(|p: &String| p.starts_with(&format!("{path}/")) || path.starts_with(&format!("{p}/"))) {
                continue;
            }
            let data: Vec<u8> = (0..size).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect();
            common::write(dir.path(), &path, &data);
            expected.insert(path, data);
        }
        let id = format!("alice/fuzz-{}", counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
        let space = common::create(&env, &id);
        common::deploy(&*env.api, &space, dir.path(), "fuzz").map_err(|e| TestCaseError::fail(e.to_string()))?;
        let got: std::collections::BTreeMap<String, Vec<u8>> =
            common::download_all(&*env.api, &space).into_iter().filter(|(p, _)| p != ".gitattributes").collect();
        prop_assert_eq!(got.keys().collect::<Vec<_>>(), expected.keys().collect::<Vec<_>>());
        for (path, data) in &expected {
            prop_assert!(got[path] == *data, "{path}: {} bytes back for {}", got[path].len(), data.len());
        }
        Ok(())
    });
}
