//! Log buffers behind the SSE endpoints: an append-only list of timestamped lines plus a change signal, so a
//! stream can replay the history and then tail. A buffer is "closed" when its build or run is over; streams
//! attached to it then end cleanly. A new build or run gets a fresh buffer.

use std::sync::{Arc, Mutex};

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use tokio::sync::watch;

use crate::util::{iso8601, now_ms};

/// Persisted history is capped so a chatty Space cannot grow the state file without bound.
const MAX_EVENTS: usize = 20_000;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LogEvent {
    /// The log line, normally ending with `\n`.
    pub data: String,
    /// ISO-8601 with milliseconds.
    pub timestamp: String,
}

pub struct LogBuf {
    inner: Mutex<Inner>,
    tx: watch::Sender<u64>,
}

struct Inner {
    events: Vec<LogEvent>,
    /// Events dropped from the front by the cap (indices stay stable for readers).
    dropped: usize,
    closed: bool,
}

#[derive(Clone)]
pub struct LogHandle(pub Arc<LogBuf>);

impl Default for LogHandle {
    fn default() -> Self {
        LogHandle::new(Vec::new(), false)
    }
}

impl LogHandle {
    pub fn new(events: Vec<LogEvent>, closed: bool) -> LogHandle {
        let (tx, _) = watch::channel(0);
        LogHandle(Arc::new(LogBuf { inner: Mutex::new(Inner { events, dropped: 0, closed }), tx }))
    }

    /// A closed, empty buffer: "nothing has run".
    pub fn closed_empty() -> LogHandle {
        LogHandle::new(Vec::new(), true)
    }

    pub fn push(&self, line: impl Into<String>) {
        let mut line = line.into();
        if !line.ends_with('\n') {
            line.push('\n');
        }
        {
            let mut g = self.0.inner.lock().expect("log lock");
            if g.closed {
                return;
            }
            g.events.push(LogEvent { data: line, timestamp: iso8601(now_ms()) });
            if g.events.len() > MAX_EVENTS {
                let excess = g.events.len() - MAX_EVENTS;
                g.events.drain(..excess);
                g.dropped += excess;
            }
        }
        self.0.tx.send_modify(|v| *v += 1);
    }

    pub fn close(&self) {
        {
            let mut g = self.0.inner.lock().expect("log lock");
            if g.closed {
                return;
            }
            g.closed = true;
        }
        self.0.tx.send_modify(|v| *v += 1);
    }

    pub fn is_closed(&self) -> bool {
        self.0.inner.lock().expect("log lock").closed
    }

    pub fn len(&self) -> usize {
        let g = self.0.inner.lock().expect("log lock");
        g.dropped + g.events.len()
    }

    pub fn lines(&self) -> Vec<String> {
        self.0.inner.lock().expect("log lock").events.iter().map(|e| e.data.clone()).collect()
    }

    /// Events from absolute index `from` on, and whether the buffer is closed.
    pub fn read_from(&self, from: usize) -> (Vec<LogEvent>, bool) {
        let g = self.0.inner.lock().expect("log lock");
        let start = from.saturating_sub(g.dropped).min(g.events.len());
        (g.events[start..].to_vec(), g.closed)
    }

    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.0.tx.subscribe()
    }
}

#[derive(Serialize, Deserialize)]
struct Snapshot {
    events: Vec<LogEvent>,
    closed: bool,
}

impl Serialize for LogHandle {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let g = self.0.inner.lock().expect("log lock");
        Snapshot { events: g.events.clone(), closed: g.closed }.serialize(s)
    }
}

impl<'de> Deserialize<'de> for LogHandle {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = Snapshot::deserialize(d)?;
        Ok(LogHandle::new(s.events, s.closed))
    }
}
