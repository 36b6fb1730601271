//! Test harness: an in-process emulator per test, and a small blocking HTTP client over `ureq` that never turns
//! statuses into errors and never follows redirects, so tests see exactly what the emulator answers.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::time::Duration;

use base64::Engine;
use hub_emulator::{Config, Emulator};
use serde_json::{Value, json};

pub const ALICE: &str = "hf_alice_token";
pub const BOB: &str = "hf_bob_token";

pub fn config() -> Config {
    let mut c = Config::with_user("alice", ALICE);
    c.users.push(hub_emulator::UserSpec { name: "bob".into(), token: BOB.into(), pro: true });
    c.users.push(hub_emulator::UserSpec { name: "carol".into(), token: "hf_carol_token".into(), pro: false });
    c.tunables.build_seconds = 0.0;
    c
}

pub fn start() -> (Emulator, Client) {
    start_with(config())
}

pub fn start_with(c: Config) -> (Emulator, Client) {
    let emu = Emulator::spawn(c).expect("emulator starts");
    let client = Client::new(&emu.url());
    (emu, client)
}

pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    /// Asserts the status, printing the body on failure.
    #[track_caller]
    pub fn expect(self, status: u16) -> Resp {
        assert_eq!(self.status, status, "unexpected status; body: {}", self.text());
        self
    }
    #[track_caller]
    pub fn expect_error(self, status: u16, code: &str) -> Resp {
        assert_eq!(self.status, status, "unexpected status; body: {}", self.text());
        assert_eq!(self.header("x-error-code"), Some(code), "X-Error-Code; body: {}", self.text());
        assert!(self.header("x-error-message").is_some());
        if !self.body.is_empty() {
            // (HEAD answers carry the headers only.)
            assert!(self.json()["error"].is_string());
        }
        self
    }
}

#[derive(Clone)]
pub struct Client {
    pub base: String,
    agent: ureq::Agent,
}

impl Client {
    pub fn new(base: &str) -> Client {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        Client { base: base.to_string(), agent }
    }

    pub fn url(&self, path: &str) -> String {
        if path.starts_with("http") { path.to_string() } else { format!("{}{path}", self.base) }
    }

    fn finish(r: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Resp {
        let mut r = r.expect("request sent");
        let status = r.status().as_u16();
        let headers = r.headers().iter().map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string())).collect();
        let body = r.body_mut().with_config().limit(u64::MAX).read_to_vec().expect("body read");
        Resp { status, headers, body }
    }

    /// A request with optional token and headers; `body` None means no body.
    pub fn req(&self, method: &str, path: &str, token: Option<&str>, headers: &[(&str, &str)], body: Option<&[u8]>) -> Resp {
        let url = self.url(path);
        let mut b = ureq::http::Request::builder().method(method).uri(&url);
        if let Some(t) = token {
            b = b.header("authorization", format!("Bearer {t}"));
        }
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        let r = match body {
            Some(data) => self.agent.run(b.body(data.to_vec()).expect("request")),
            None => self.agent.run(b.body(()).expect("request")),
        };
        Self::finish(r)
    }

    pub fn try_req(&self, method: &str, path: &str, token: Option<&str>, body: Option<&[u8]>) -> Result<Resp, String> {
        let url = self.url(path);
        let mut b = ureq::http::Request::builder().method(method).uri(&url);
        if let Some(t) = token {
            b = b.header("authorization", format!("Bearer {t}"));
        }
        let r = match body {
            Some(data) => self.agent.run(b.body(data.to_vec()).expect("request")),
            None => self.agent.run(b.body(()).expect("request")),
        };
        match r {
            Ok(mut r) => {
                let status = r.status().as_u16();
                let headers = r.headers().iter().map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string())).collect();
                let body = r.body_mut().with_config().limit(u64::MAX).read_to_vec().map_err(|e| e.to_string())?;
                Ok(Resp { status, headers, body })
            }
            Err(e) => Err(e.to_string()),
        }
    }

    pub fn get(&self, path: &str, token: Option<&str>) -> Resp {
        self.req("GET", path, token, &[], None)
    }

    pub fn head(&self, path: &str, token: Option<&str>) -> Resp {
        self.req("HEAD", path, token, &[], None)
    }

    pub fn json(&self, method: &str, path: &str, token: Option<&str>, body: &Value) -> Resp {
        let data = serde_json::to_vec(body).unwrap();
        self.req(method, path, token, &[("content-type", "application/json")], Some(&data))
    }

    pub fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Resp {
        self.json("POST", path, token, body)
    }

    pub fn put_bytes(&self, path: &str, data: &[u8]) -> Resp {
        self.req("PUT", path, None, &[], Some(data))
    }

    // ---- Hub helpers ----

    pub fn create_space(&self, token: &str, id: &str, sdk: &str, private: bool) -> Resp {
        let (ns, name) = id.split_once('/').unwrap();
        self.post(
            "/api/repos/create",
            Some(token),
            &json!({ "name": name, "organization": ns, "type": "space", "sdk": sdk, "private": private }),
        )
    }

    /// Sends an NDJSON commit of regular files (path, content) and deletions; returns the response.
    #[allow(clippy::too_many_arguments)]
    pub fn commit(
        &self,
        token: &str,
        repo: &str,
        rev: &str,
        summary: &str,
        files: &[(&str, &[u8])],
        deletes: &[&str],
        parent: Option<&str>,
        query: &str,
    ) -> Resp {
        let mut header = json!({ "summary": summary, "description": "" });
        if let Some(p) = parent {
            header["parentCommit"] = json!(p);
        }
        let mut lines = vec![json!({ "key": "header", "value": header })];
        for (p, c) in files {
            lines.push(json!({ "key": "file", "value": { "path": p, "content": b64(c), "encoding": "base64" } }));
        }
        for d in deletes {
            if d.ends_with('/') {
                lines.push(json!({ "key": "deletedFolder", "value": { "path": d } }));
            } else {
                lines.push(json!({ "key": "deletedFile", "value": { "path": d } }));
            }
        }
        self.commit_lines(token, repo, rev, &lines, query)
    }

    pub fn commit_lines(&self, token: &str, repo: &str, rev: &str, lines: &[Value], query: &str) -> Resp {
        let body: String = lines.iter().map(|l| format!("{l}\n")).collect();
        let rev = rev.replace('/', "%2F");
        self.req(
            "POST",
            &format!("/api/{repo}/commit/{rev}{query}"),
            Some(token),
            &[("content-type", "application/x-ndjson")],
            Some(body.as_bytes()),
        )
    }

    pub fn state(&self) -> Value {
        self.get("/__emulator/state", None).expect(200).json()
    }

    pub fn repo_state(&self, display: &str) -> Value {
        let st = self.state();
        let (t, id) = display.split_once('/').unwrap();
        let singular = t.trim_end_matches('s');
        st["repos"].as_array().unwrap().iter().find(|r| r["id"] == id && r["type"] == singular).cloned().unwrap_or(Value::Null)
    }

    pub fn requests(&self) -> Vec<Value> {
        self.get("/__emulator/requests", None).expect(200).json().as_array().unwrap().clone()
    }

    pub fn clear_requests(&self) {
        self.req("DELETE", "/__emulator/requests", None, &[], None).expect(200);
    }

    pub fn fault(&self, rule: Value) {
        self.post("/__emulator/faults", None, &rule).expect(200);
    }

    pub fn runtime(&self, id: &str, token: &str) -> Value {
        self.get(&format!("/api/spaces/{id}/runtime"), Some(token)).expect(200).json()
    }

    /// Polls the runtime until the stage is not transitional (bounded).
    pub fn wait_settled(&self, id: &str, token: &str) -> Value {
        for _ in 0..400 {
            let rt = self.runtime(id, token);
            let stage = rt["stage"].as_str().unwrap_or("").to_string();
            if !["BUILDING", "RUNNING_BUILDING", "APP_STARTING", "RUNNING_APP_STARTING"].contains(&stage.as_str()) {
                return rt;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        panic!("Space {id} did not settle");
    }

    /// Opens an SSE stream; the reader yields raw lines.
    pub fn sse(&self, path: &str, token: Option<&str>, read_timeout: Duration) -> (u16, SseReader) {
        let url = self.url(path);
        let mut b = ureq::http::Request::builder().method("GET").uri(&url);
        if let Some(t) = token {
            b = b.header("authorization", format!("Bearer {t}"));
        }
        let agent: ureq::Agent =
            ureq::Agent::config_builder().http_status_as_error(false).timeout_recv_body(Some(read_timeout)).build().into();
        let r = agent.run(b.body(()).unwrap()).expect("sse request");
        let status = r.status().as_u16();
        (status, SseReader { inner: BufReader::new(Box::new(r.into_body().into_reader())) })
    }
}

pub struct SseReader {
    inner: BufReader<Box<dyn Read + Send>>,
}

#[derive(Debug, PartialEq)]
pub enum SseItem {
    Data(Value),
    KeepAlive,
    End,
    Error(String),
}

impl SseReader {
    /// The next meaningful item: a `data:` event, a keep-alive comment, a clean end, or an error.
    pub fn next_item(&mut self) -> SseItem {
        loop {
            let mut line = String::new();
            match self.inner.read_line(&mut line) {
                Ok(0) => return SseItem::End,
                Ok(_) => {
                    let l = line.trim_end_matches('\n');
                    if let Some(rest) = l.strip_prefix("data: ") {
                        return SseItem::Data(serde_json::from_str(rest).expect("event JSON"));
                    }
                    if l.starts_with(": keep-alive") {
                        return SseItem::KeepAlive;
                    }
                }
                Err(e) => return SseItem::Error(e.to_string()),
            }
        }
    }

    /// Reads data events until the stream ends (bounded), skipping keep-alives.
    pub fn collect_until_end(&mut self, max_items: usize) -> (Vec<String>, SseItem) {
        let mut out = Vec::new();
        for _ in 0..max_items {
            match self.next_item() {
                SseItem::Data(v) => out.push(v["data"].as_str().unwrap().to_string()),
                SseItem::KeepAlive => {}
                other => return (out, other),
            }
        }
        panic!("stream did not end within {max_items} items");
    }
}

pub fn b64(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(data)
}

pub fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(data).iter().map(|b| format!("{b:02x}")).collect()
}

/// A docker Space project that builds and runs.
pub fn docker_project() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("README.md", b"---\ntitle: Demo\nemoji: \xf0\x9f\x90\xb3\ncolorFrom: blue\ncolorTo: red\nsdk: docker\napp_port: 7860\n---\n\n# Demo\n".to_vec()),
        ("Dockerfile", b"FROM python:3.11-slim\nRUN useradd -m -u 1000 user\nUSER user\nWORKDIR /app\nCOPY --chown=user . /app\nRUN pip install fastapi uvicorn\nCMD [\"uvicorn\", \"main:app\", \"--host\", \"0.0.0.0\", \"--port\", \"7860\"]\n".to_vec()),
        ("main.py", b"from fastapi import FastAPI\napp = FastAPI()\n".to_vec()),
    ]
}

pub fn as_refs<'a>(files: &'a [(&'static str, Vec<u8>)]) -> Vec<(&'static str, &'a [u8])> {
    files.iter().map(|(p, c)| (*p, c.as_slice())).collect()
}
