//! Fault injection: rules that make the next N matching requests fail in a chosen way, so client retry and
//! resume logic can be tested. Rules come from `--fault JSON` flags or `POST /__emulator/faults`.
//! Control endpoints (`/__emulator/...`) are never faulted.

use serde::{Deserialize, Serialize};

use crate::util::glob_match;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// Answer with `status` (429, 500, 503, ...) instead of handling the request. 429 and 503 carry
    /// `Retry-After`, and 429 a `RateLimit` header with `r=0`.
    Status,
    /// Read `afterBytes` bytes of the request body, then close the socket without answering.
    Drop,
    /// On an SSE log stream, stop after `afterEvents` `data:` events: `mode` "abort" (default) breaks the
    /// connection mid-stream, "close" ends the response cleanly.
    SseCut,
    /// Wait `ms` milliseconds before handling the request normally.
    Delay,
    /// On an LFS batch request, handle it normally but answer `transfer` (e.g. "xet") as the server's
    /// chosen adapter: a client must refuse adapters it did not offer.
    LfsTransfer,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FaultRule {
    #[serde(default)]
    pub id: u64,
    pub kind: FaultKind,
    /// HTTP method to match (any when absent).
    #[serde(default)]
    pub method: Option<String>,
    /// Glob on the request path (`*` crosses `/`); any path when absent.
    #[serde(default)]
    pub path: Option<String>,
    /// How many matching requests to fault (default 1).
    #[serde(default = "one")]
    pub count: u64,
    /// Let this many matching requests through first (default 0).
    #[serde(default)]
    pub skip: u64,
    #[serde(default)]
    pub status: Option<u16>,
    /// Seconds for `Retry-After` and the `RateLimit` reset (`t=`); default 1.
    #[serde(default)]
    pub retry_after: Option<u64>,
    #[serde(default)]
    pub after_bytes: Option<u64>,
    #[serde(default)]
    pub after_events: Option<u64>,
    #[serde(default)]
    pub mode: Option<String>,
    #[serde(default)]
    pub ms: Option<u64>,
    /// The adapter an `lfs_transfer` fault answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer: Option<String>,
    /// How many requests this rule has faulted so far.
    #[serde(default)]
    pub fired: u64,
}

fn one() -> u64 {
    1
}

impl FaultRule {
    pub fn validate(&self) -> Result<(), String> {
        match self.kind {
            FaultKind::Status => match self.status {
                Some(s) if (400..600).contains(&s) => Ok(()),
                _ => Err("a status fault needs \"status\" between 400 and 599".into()),
            },
            FaultKind::SseCut => match self.mode.as_deref() {
                None | Some("abort") | Some("close") => Ok(()),
                Some(m) => Err(format!("unknown sse_cut mode {m:?} (use \"abort\" or \"close\")")),
            },
            FaultKind::Delay if self.ms.is_none() => Err("a delay fault needs \"ms\"".into()),
            FaultKind::LfsTransfer if self.transfer.as_deref().is_none_or(str::is_empty) => {
                Err("an lfs_transfer fault needs \"transfer\" (e.g. \"xet\")".into())
            }
            _ => Ok(()),
        }
    }

    fn matches(&self, method: &str, path: &str, is_sse: bool) -> bool {
        if self.kind == FaultKind::SseCut && !is_sse {
            return false;
        }
        if self.kind == FaultKind::LfsTransfer && !path.ends_with("/info/lfs/objects/batch") {
            return false;
        }
        if let Some(m) = &self.method
            && !m.eq_ignore_ascii_case(method)
        {
            return false;
        }
        match &self.path {
            Some(p) => glob_match(p, path),
            None => true,
        }
    }
}

#[derive(Default)]
pub struct Faults {
    rules: Vec<FaultRule>,
    next_id: u64,
}

impl Faults {
    pub fn add(&mut self, mut rule: FaultRule) -> Result<u64, String> {
        rule.validate()?;
        self.next_id += 1;
        rule.id = self.next_id;
        rule.fired = 0;
        let id = rule.id;
        if rule.count > 0 {
            self.rules.push(rule);
        }
        Ok(id)
    }

    pub fn list(&self) -> Vec<FaultRule> {
        self.rules.clone()
    }

    pub fn clear(&mut self) {
        self.rules.clear();
    }

    /// Finds the first armed rule for this request and consumes one use of it. Matching rules that still have a
    /// `skip` budget let the request through and count it.
    pub fn take(&mut self, method: &str, path: &str, is_sse: bool) -> Option<FaultRule> {
        let mut fired: Option<usize> = None;
        for (i, r) in self.rules.iter_mut().enumerate() {
            if !r.matches(method, path, is_sse) {
                continue;
            }
            if r.skip > 0 {
                r.skip -= 1;
                continue;
            }
            if fired.is_none() {
                fired = Some(i);
            }
        }
        let idx = fired?;
        let rule = &mut self.rules[idx];
        rule.count -= 1;
        rule.fired += 1;
        let out = rule.clone();
        if rule.count == 0 {
            self.rules.remove(idx);
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(json: &str) -> FaultRule {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn count_and_skip() {
        let mut f = Faults::default();
        f.add(rule(r#"{"kind":"status","status":503,"count":2,"skip":1,"path":"/api/*"}"#)).unwrap();
        assert!(f.take("GET", "/api/x", false).is_none()); // skipped
        assert!(f.take("GET", "/other", false).is_none()); // no match
        assert_eq!(f.take("GET", "/api/x", false).unwrap().status, Some(503));
        assert!(f.take("POST", "/api/y", false).is_some());
        assert!(f.take("GET", "/api/x", false).is_none()); // exhausted
    }

    #[test]
    fn sse_cut_only_on_streams() {
        let mut f = Faults::default();
        f.add(rule(r#"{"kind":"sse_cut","afterEvents":2}"#)).unwrap();
        assert!(f.take("GET", "/api/spaces/a/b/runtime", false).is_none());
        assert!(f.take("GET", "/api/spaces/a/b/logs/run", true).is_some());
    }

    #[test]
    fn validation() {
        let mut f = Faults::default();
        assert!(f.add(rule(r#"{"kind":"status"}"#)).is_err());
        assert!(f.add(rule(r#"{"kind":"delay"}"#)).is_err());
        assert!(f.add(rule(r#"{"kind":"sse_cut","mode":"weird"}"#)).is_err());
        assert!(f.add(rule(r#"{"kind":"lfs_transfer"}"#)).is_err());
        assert!(f.add(rule(r#"{"kind":"lfs_transfer","transfer":"xet"}"#)).is_ok());
    }
}
