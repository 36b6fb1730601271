//! `spacesmith serve` end to end: the gateway runs as a real process (two of them for the replica test),
//! the Hub emulator on loopback, and a real HTTP client drives the routes. The token never appears in
//! what the gateway prints.

mod util;

#[path = "../../tests/support/emulator_control.rs"]
mod emulator_control;

#[path = "../../tests/support/archives.rs"]
mod archives;

use archives::tar_gz;

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hub_emulator::{Config, Emulator};
use serde_json::{Value, json};

const TOKEN: &str = "hf_alice_GatewaySecretTokenXYZ";
const SECRET_VALUE: &str = "gateway-secret-value-never-logged";

/// A gateway process; its stderr (access logs) is collected, and it is stopped on drop.
struct Gateway {
    child: Child,
    url: String,
    stderr: Arc<Mutex<String>>,
    _dir: util::Dir,
}

impl Gateway {
    fn start(hub: Option<&str>, extra_env: &[(&str, &str)], args: &[&str]) -> Gateway {
        let dir = util::Dir::new();
        std::fs::create_dir_all(dir.join("tmp")).unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_spacesmith"));
        cmd.args(["serve", "--addr", "127.0.0.1:0"])
            .args(args)
            .current_dir(&dir.path)
            .env("SPACESMITH_CACHE_DIR", util::shared_cache())
            .env("SPACESMITH_DATA_DIR", dir.data_dir())
            .env("TMPDIR", dir.join("tmp"))
            .env_remove("HF_TOKEN")
            .env_remove("SPACESMITH_GATEWAY_KEYS")
            .env("HF_HOME", dir.join("hf-home"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if let Some(h) = hub {
            cmd.env("HF_ENDPOINT", h);
        }
        for (k, v) in extra_env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spacesmith serve starts");
        let mut reader = BufReader::new(child.stderr.take().unwrap());
        let mut first = String::new();
        reader.read_line(&mut first).unwrap();
        let url = first
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| panic!("no address in {first:?}"))
            .to_string();
        let stderr = Arc::new(Mutex::new(first));
        let sink = stderr.clone();
        std::thread::spawn(move || {
            let mut rest = String::new();
            let mut buf = [0u8; 4096];
            while let Ok(n) = reader.get_mut().read(&mut buf) {
                if n == 0 {
                    break;
                }
                rest.push_str(&String::from_utf8_lossy(&buf[..n]));
                sink.lock().unwrap().push_str(&String::from_utf8_lossy(&buf[..n]));
                rest.clear();
            }
        });
        Gateway { child, url, stderr, _dir: dir }
    }

    fn tmp(&self) -> std::path::PathBuf {
        self._dir.join("tmp")
    }

    fn root(&self) -> &Path {
        &self._dir.path
    }

    fn logs(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let logs = self.logs();
        // Checked on every gateway of every test, pass or fail.
        if !std::thread::panicking() {
            assert!(!logs.contains(TOKEN) && !logs.contains(SECRET_VALUE), "the gateway logged a secret:\n{logs}");
        }
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder().http_status_as_error(false).timeout_global(Some(Duration::from_secs(60))).build().into()
}

struct Reply {
    status: u16,
    content_type: String,
    body: Vec<u8>,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    #[track_caller]
    fn expect(self, status: u16) -> Reply {
        assert_eq!(self.status, status, "{}", String::from_utf8_lossy(&self.body));
        self
    }

    /// The shared error shape, with this code.
    #[track_caller]
    fn error(self, status: u16, code: &str) -> Value {
        let v = self.expect(status).json();
        assert_eq!((v["success"].clone(), v["error_code"].clone()), (json!(false), json!(code)), "{v}");
        assert!(v["message"].as_str().is_some_and(|m| !m.is_empty()), "{v}");
        v
    }
}

fn call(method: &str, url: &str, headers: &[(&str, &str)], body: Option<Vec<u8>>) -> Reply {
    let a = agent();
    let mut resp = match method {
        "GET" => {
            let mut r = a.get(url);
            for (k, v) in headers {
                r = r.header(*k, *v);
            }
            r.call()
        }
        _ => {
            let mut r = match method {
                "POST" => a.post(url),
                "PUT" => a.put(url),
                m => panic!("{m}"),
            };
            for (k, v) in headers {
                r = r.header(*k, *v);
            }
            match body {
                Some(b) => r.send(&b[..]),
                None => r.send_empty(),
            }
        }
    }
    .unwrap_or_else(|e| panic!("{method} {url}: {e}"));
    let content_type = resp.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let body = resp.body_mut().with_config().limit(1 << 30).read_to_vec().unwrap();
    Reply { status: resp.status().as_u16(), content_type, body }
}

const AUTH: (&str, &str) = ("authorization", "Bearer hf_alice_GatewaySecretTokenXYZ");
const JSON: (&str, &str) = ("content-type", "application/json");

fn hub() -> Emulator {
    let mut c = Config::with_user("alice", TOKEN);
    c.tunables.build_seconds = 0.2;
    Emulator::spawn(c).expect("emulator starts")
}

fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(files_under(&p));
            } else {
                out.push(p.display().to_string());
            }
        }
    }
    out
}

#[test]
fn meta_routes_and_the_openapi_document() {
    let g = Gateway::start(None, &[], &[]);
    assert_eq!(call("GET", &format!("{}/v1/health", g.url), &[], None).expect(200).json(), json!({ "status": "ok" }));
    let v = call("GET", &format!("{}/v1/version", g.url), &[], None).expect(200).json();
    assert_eq!(v["version"], env!("CARGO_PKG_VERSION"));
    assert!(v["contracts"].as_array().unwrap().iter().any(|c| c == "0.1.0"), "{v}");
    assert!(v["wasmtime"].as_str().unwrap().starts_with("48."), "{v}");

    let doc = call("GET", &format!("{}/v1/openapi.json", g.url), &[], None).expect(200).json();
    assert_eq!(doc["openapi"], "3.1.0");
    for path in [
        "/v1/health",
        "/v1/version",
        "/v1/sdks",
        "/v1/rules",
        "/v1/validate",
        "/v1/scaffold",
        "/v1/spaces/{owner}/{name}",
        "/v1/spaces/{owner}/{name}/pause",
        "/v1/spaces/{owner}/{name}/restart",
        "/v1/spaces/{owner}/{name}/hardware",
        "/v1/spaces/{owner}/{name}/sleep",
        "/v1/spaces/{owner}/{name}/secrets",
        "/v1/spaces/{owner}/{name}/logs",
        "/v1/spaces/{owner}/{name}/deploy",
        "/v1/deployments/{id}",
        "/v1/deployments/{id}/events",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} missing from the OpenAPI document");
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    assert_eq!(doc["components"]["schemas"]["ErrorBody"]["required"], json!(["success", "error_code", "message"]));

    let v = call("GET", &format!("{}/v2/nothing", g.url), &[], None).error(404, "ROUTE_NOT_FOUND");
    assert!(v["hint"].as_str().unwrap().contains("openapi.json"));
    // The access log line is written as the answer leaves: give it a moment.
    let started = Instant::now();
    while !g.logs().contains("path=/v1/openapi.json status=200") && started.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(g.logs().contains("path=/v1/openapi.json status=200"), "{}", g.logs());
}

#[test]
fn sdks_and_rules_describe_what_a_form_needs() {
    let g = Gateway::start(None, &[], &[]);
    let v = call("GET", &format!("{}/v1/sdks", g.url), &[], None).expect(200).json();
    let ids: Vec<&str> = v["sdks"].as_array().unwrap().iter().map(|s| s["sdk_id"].as_str().unwrap()).collect();
    for id in ["docker", "gradio", "static", "streamlit"] {
        assert!(ids.contains(&id), "{ids:?}");
    }
    let docker = v["sdks"].as_array().unwrap().iter().find(|s| s["sdk_id"] == "docker").unwrap();
    let port = docker["options"].as_array().unwrap().iter().find(|o| o["name"] == "port").unwrap();
    assert_eq!((port["kind"]["type"].clone(), port["default"].clone()), (json!("integer"), json!(7860)));

    let all = call("GET", &format!("{}/v1/rules", g.url), &[], None).expect(200).json();
    let docker_rules = call("GET", &format!("{}/v1/rules?sdk=docker", g.url), &[], None).expect(200).json();
    let n = |v: &Value| v["rules"].as_array().unwrap().len();
    assert!(n(&docker_rules) > 10 && n(&all) > n(&docker_rules), "{} vs {}", n(&all), n(&docker_rules));
    assert!(docker_rules["rules"].as_array().unwrap().iter().any(|r| r["source"] == "docker"));
    call("GET", &format!("{}/v1/rules?sdk=cobol", g.url), &[], None).error(400, "UNKNOWN_SDK");
}

#[test]
fn scaffold_then_validate_round_trips_through_archives() {
    let g = Gateway::start(None, &[], &[]);
    let req = json!({ "sdk": "docker", "title": "Gateway Demo", "options": { "port": 8000 } }).to_string().into_bytes();
    let listed = call("POST", &format!("{}/v1/scaffold", g.url), &[JSON, ("accept", "application/json")], Some(req.clone()))
        .expect(200)
        .json();
    let readme = listed["files"].as_array().unwrap().iter().find(|f| f["path"] == "README.md").unwrap();
    assert!(readme["content"].as_str().unwrap().contains("app_port: 8000"), "{readme}");
    assert!(listed["files"].as_array().unwrap().iter().any(|f| f["path"] == "start.sh" && f["executable"] == true));

    let archive = call("POST", &format!("{}/v1/scaffold", g.url), &[JSON], Some(req)).expect(200);
    assert_eq!(archive.content_type, "application/gzip");
    let report = call("POST", &format!("{}/v1/validate", g.url), &[], Some(archive.body)).expect(200).json();
    assert_eq!((report["errors"].clone(), report["sdk"].clone()), (json!(0), json!("docker")), "{report}");

    // The same project as a .zip, with a broken README: the findings say so.
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    w.start_file("README.md", opts).unwrap();
    w.write_all(b"---\nsdk: docker\ncolorFrom: orange\n---\n").unwrap();
    w.start_file("Dockerfile", opts).unwrap();
    w.write_all(b"FROM python:3.12-slim\nCMD [\"python\", \"-m\", \"http.server\", \"7860\"]\n").unwrap();
    let zip = w.finish().unwrap().into_inner();
    let report = call("POST", &format!("{}/v1/validate", g.url), &[], Some(zip)).expect(200).json();
    assert!(report["errors"].as_u64().unwrap() >= 1, "{report}");
    assert!(
        report["findings"].as_array().unwrap().iter().any(|f| f["severity"] == "error" && f["path"] == "README.md"),
        "{report}"
    );

    // Advice is data: how a secret is delivered, for the caller to word (no CLI sentence in it).
    let git = json!({ "sdk": "docker", "options": { "from-git": "https://example.com/a/b.git" } }).to_string().into_bytes();
    let listed =
        call("POST", &format!("{}/v1/scaffold", g.url), &[JSON, ("accept", "application/json")], Some(git)).expect(200).json();
    let secret = listed["secrets"].as_array().unwrap().iter().find(|s| s["name"] == "GIT_TOKEN").unwrap().clone();
    assert_eq!(secret["delivery"], json!({ "kind": "build_mount", "path": "/run/secrets/GIT_TOKEN" }), "{secret}");
    assert!(secret.get("how").is_none(), "{secret}");

    // Bad scaffold requests.
    call("POST", &format!("{}/v1/scaffold", g.url), &[JSON], Some(b"{\"sdk\": 3}".to_vec())).error(400, "BAD_JSON");
    call("POST", &format!("{}/v1/scaffold", g.url), &[JSON], Some(br#"{"sdk":"cobol"}"#.to_vec())).error(400, "UNKNOWN_SDK");
    let v =
        call("POST", &format!("{}/v1/scaffold", g.url), &[JSON], Some(br#"{"sdk":"docker","options":{"port":[1]}}"#.to_vec()))
            .error(400, "BAD_OPTION");
    assert!(v["message"].as_str().unwrap().contains("port"), "{v}");
    // Nothing is left behind on the gateway.
    assert!(files_under(&g.tmp()).is_empty(), "{:?}", files_under(&g.tmp()));
}

#[test]
fn hostile_and_malformed_archives_are_refused_and_nothing_is_written() {
    let g = Gateway::start(None, &[], &["--max-body-mib", "1"]);
    let url = format!("{}/v1/validate", g.url);
    for (name, kind) in [
        ("../escape.txt", tar::EntryType::Regular),
        ("app/../../escape.txt", tar::EntryType::Regular),
        ("/tmp/escape.txt", tar::EntryType::Regular),
        ("escape-link", tar::EntryType::Symlink),
        ("escape-hard", tar::EntryType::Link),
    ] {
        let body = tar_gz(&[("README.md", tar::EntryType::Regular, b"---\nsdk: docker\n---\n"), (name, kind, b"pwned")]);
        let v = call("POST", &url, &[], Some(body)).error(400, "UNSAFE_ARCHIVE");
        assert!(v["message"].as_str().unwrap().contains("escape"), "{v}");
    }
    // Neither the entries nor the good README before them reached any disk the gateway can write.
    let written: Vec<String> =
        files_under(g.root()).into_iter().filter(|p| p.contains("escape") || p.ends_with("README.md")).collect();
    assert!(written.is_empty(), "{written:?}");
    assert!(!Path::new("/tmp/escape.txt").exists());
    assert!(files_under(&g.tmp()).is_empty());

    let v = call("POST", &url, &[], Some(b"definitely not an archive".to_vec())).error(400, "BAD_ARCHIVE");
    assert!(v["message"].as_str().unwrap().contains("neither a .tar.gz"), "{v}");
    call("POST", &url, &[], Some(vec![0x1f, 0x8b, 8, 0, 1, 2, 3])).error(400, "BAD_ARCHIVE");
    call("POST", &url, &[], None).error(400, "BAD_ARCHIVE");
    // Over --max-body-mib.
    call("POST", &url, &[], Some(vec![0u8; 2 << 20])).error(413, "BODY_TOO_LARGE");
}

#[test]
fn a_gateway_key_gates_every_route_but_health() {
    let g = Gateway::start(None, &[("SPACESMITH_GATEWAY_KEYS", "key-one, key-two")], &[]);
    assert!(g.logs().contains("X-Spacesmith-Key required"));
    call("GET", &format!("{}/v1/health", g.url), &[], None).expect(200);
    call("GET", &format!("{}/v1/openapi.json", g.url), &[], None).expect(200);
    call("GET", &format!("{}/v1/sdks", g.url), &[], None).error(401, "GATEWAY_KEY_REQUIRED");
    call("GET", &format!("{}/v1/sdks", g.url), &[("x-spacesmith-key", "key-three")], None).error(401, "GATEWAY_KEY_REQUIRED");
    call("GET", &format!("{}/v1/sdks", g.url), &[("x-spacesmith-key", "key-two")], None).expect(200);
}

#[test]
fn hub_routes_need_the_callers_token_and_name_missing_spaces() {
    let emu = hub();
    let g = Gateway::start(Some(&emu.url()), &[], &[]);
    let v = call("GET", &format!("{}/v1/spaces/alice/app", g.url), &[], None).error(401, "NO_TOKEN");
    assert!(v["hint"].as_str().unwrap().contains("Authorization: Bearer"));
    call("GET", &format!("{}/v1/spaces/alice/app", g.url), &[("authorization", "Bearer hf_wrong")], None).error(401, "BAD_TOKEN");
    call("GET", &format!("{}/v1/spaces/alice/nothing", g.url), &[AUTH], None).error(404, "SPACE_NOT_FOUND");
    call("GET", &format!("{}/v1/spaces/alice/bad..name", g.url), &[AUTH], None).error(400, "INVALID_SPACE_ID");
    call("GET", &format!("{}/v1/deployments/not-an-id", g.url), &[AUTH], None).error(400, "BAD_ARGUMENTS");
}

/// Reads SSE events until `until` says stop or the stream ends: (id, event, data) triples.
fn sse(
    url: &str,
    headers: &[(&str, &str)],
    mut until: impl FnMut(&(String, String, Value)) -> bool,
) -> Vec<(String, String, Value)> {
    let a = agent();
    let mut r = a.get(url);
    for (k, v) in headers {
        r = r.header(*k, *v);
    }
    let mut resp = r.call().unwrap();
    assert_eq!(resp.status().as_u16(), 200, "{url}");
    assert!(resp.headers().get("content-type").unwrap().to_str().unwrap().starts_with("text/event-stream"));
    let reader = BufReader::new(resp.body_mut().as_reader());
    let mut out = Vec::new();
    let (mut id, mut event, mut data) = (String::new(), String::new(), String::new());
    for line in reader.lines() {
        let Ok(line) = line else { break };
        if line.is_empty() {
            if !data.is_empty() || !event.is_empty() {
                let item =
                    (std::mem::take(&mut id), std::mem::take(&mut event), serde_json::from_str(&data).unwrap_or(Value::Null));
                data.clear();
                let stop = until(&item);
                out.push(item);
                if stop {
                    break;
                }
            }
            continue;
        }
        if let Some(v) = line.strip_prefix("id:") {
            id = v.trim().to_string();
        } else if let Some(v) = line.strip_prefix("event:") {
            event = v.trim().to_string();
        } else if let Some(v) = line.strip_prefix("data:") {
            data.push_str(v.trim_start());
        }
    }
    out
}

fn wait_for_state(g: &Gateway, id: &str, want: &str) -> Value {
    let started = Instant::now();
    loop {
        let v = call("GET", &format!("{}/v1/deployments/{id}", g.url), &[AUTH], None).expect(200).json();
        if v["state"] == want {
            return v;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "still {v} after a minute");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn deploy_from_json_then_follow_it_from_two_replicas_and_manage_the_space() {
    let emu = hub();
    let a = Gateway::start(Some(&emu.url()), &[], &[]);
    let b = Gateway::start(Some(&emu.url()), &[], &[]);
    let body = json!({
        "sdk": "docker",
        "title": "From the gateway",
        "hardware": "cpu-basic",
        "secrets": { "API_TOKEN": SECRET_VALUE },
        "variables": { "MODE": "demo" }
    });
    let started =
        call("POST", &format!("{}/v1/spaces/alice/gw/deploy", a.url), &[AUTH, JSON], Some(body.to_string().into_bytes()))
            .expect(202)
            .json();
    let id = started["deployment_id"].as_str().unwrap().to_string();
    assert_eq!(started["events_url"], format!("/v1/deployments/{id}/events"));

    // The replica that runs it streams every step, numbered, to the end.
    let events = sse(&format!("{}/v1/deployments/{id}/events", a.url), &[AUTH], |(_, e, _)| e == "finished" || e == "failed");
    let kinds: Vec<&str> = events.iter().map(|(_, e, _)| e.as_str()).collect();
    for k in ["scaffolded", "validated", "created", "planned", "committed", "stage", "finished"] {
        assert!(kinds.contains(&k), "{k} missing from {kinds:?}");
    }
    let ids: Vec<usize> = events.iter().map(|(i, _, _)| i.parse().unwrap()).collect();
    assert_eq!(ids, (1..=ids.len()).collect::<Vec<_>>(), "events are numbered from 1 without gaps");
    let (_, _, last) = events.last().unwrap();
    assert_eq!((last["success"].clone(), last["report"]["outcome_code"].clone()), (json!(true), json!("RUNNING")), "{last}");
    // Resuming after event 3 gives exactly the rest.
    let rest =
        sse(&format!("{}/v1/deployments/{id}/events", a.url), &[AUTH, ("last-event-id", "3")], |(_, e, _)| e == "finished");
    assert_eq!(rest.len(), events.len() - 3);
    assert_eq!(rest[0].0, "4");

    // Both replicas read the state from the Hub: the same answer.
    let sa = wait_for_state(&a, &id, "running");
    let sb = wait_for_state(&b, &id, "running");
    assert_eq!(sa, sb);
    assert_eq!(sa["stage"], "RUNNING");
    assert_ne!(sa["sha"], Value::Null);
    // Replica B never ran it: its /events follows the Hub's stages to the end.
    let hub_events = sse(&format!("{}/v1/deployments/{id}/events", b.url), &[AUTH], |(_, _, d)| d["state"] == "running");
    assert_eq!(hub_events.last().unwrap().2["state"], "running");

    // The Space as the Hub has it: private by default, the secret set, its value nowhere.
    let repo = emulator_control::repo(&emu.url(), "alice/gw");
    assert_eq!(repo["visibility"], "private");
    assert_eq!(repo["space"]["variables"], json!({ "MODE": "demo" }));
    let names = call("GET", &format!("{}/v1/spaces/alice/gw/secrets", b.url), &[AUTH], None).expect(200);
    assert!(!String::from_utf8_lossy(&names.body).contains(SECRET_VALUE));
    assert_eq!(names.json()["secrets"], json!(["API_TOKEN"]));
    let set =
        call("PUT", &format!("{}/v1/spaces/alice/gw/secrets", b.url), &[AUTH, JSON], Some(br#"{"OTHER_KEY":"x"}"#.to_vec()))
            .expect(200)
            .json();
    assert_eq!(set["secrets"], json!(["API_TOKEN", "OTHER_KEY"]));
    call("PUT", &format!("{}/v1/spaces/alice/gw/secrets", b.url), &[AUTH, JSON], Some(br#"{"1BAD":"x"}"#.to_vec()))
        .error(400, "BAD_KEY");

    // A new secret restarts the Space, as on the Hub.
    let st = call("GET", &format!("{}/v1/spaces/alice/gw", b.url), &[AUTH], None).expect(200).json();
    assert_eq!((st["runtime"]["stage"].clone(), st["private"].clone()), (json!("APP_STARTING"), json!(true)), "{st}");
    assert_eq!(st["sha"], sa["sha"]);
    let p = call("POST", &format!("{}/v1/spaces/alice/gw/pause", b.url), &[AUTH], None).expect(200).json();
    assert_eq!(p["runtime"]["stage"], "PAUSED");
    call("POST", &format!("{}/v1/spaces/alice/gw/restart?factory=true", a.url), &[AUTH], None).expect(200);
    let h = call(
        "PUT",
        &format!("{}/v1/spaces/alice/gw/hardware", a.url),
        &[AUTH, JSON],
        Some(br#"{"flavor":"cpu-upgrade"}"#.to_vec()),
    )
    .expect(200)
    .json();
    assert_eq!(h["runtime"]["hardware"]["requested"], "cpu-upgrade", "{h}");
    call("PUT", &format!("{}/v1/spaces/alice/gw/hardware", a.url), &[AUTH, JSON], Some(br#"{"flavor":"cpu-basik"}"#.to_vec()))
        .error(400, "INVALID_HARDWARE");
    let s = call("PUT", &format!("{}/v1/spaces/alice/gw/sleep", a.url), &[AUTH, JSON], Some(br#"{"seconds":3600}"#.to_vec()))
        .expect(200)
        .json();
    assert_eq!(s["runtime"]["gcTimeout"], 3600, "{s}");
}

#[test]
fn logs_stream_as_sse_and_a_cut_connection_resumes_without_repeats() {
    let emu = hub();
    let g = Gateway::start(Some(&emu.url()), &[], &[]);
    let body = json!({ "sdk": "docker" }).to_string().into_bytes();
    let id = call("POST", &format!("{}/v1/spaces/alice/logs/deploy", g.url), &[AUTH, JSON], Some(body)).expect(202).json()
        ["deployment_id"]
        .as_str()
        .unwrap()
        .to_string();
    wait_for_state(&g, &id, "running");
    let url = format!("{}/v1/spaces/alice/logs/logs?level=build", g.url);
    let all = sse(&url, &[AUTH], |(_, e, _)| e == "end");
    let lines: Vec<&(String, String, Value)> = all.iter().filter(|(_, e, _)| e == "line").collect();
    assert!(lines.len() > 5, "{all:?}");
    assert_eq!(all.last().unwrap().1, "end");
    assert!(lines[0].2["timestamp"].as_str().unwrap().starts_with("20"));

    // Cut after three lines (the client hangs up), then resume with Last-Event-ID.
    let first = sse(&url, &[AUTH], |(id, _, _)| id == "3");
    assert_eq!(first.len(), 3);
    let rest = sse(&url, &[AUTH, ("last-event-id", "3")], |(_, e, _)| e == "end");
    let resumed: Vec<Value> =
        first.iter().chain(rest.iter()).filter(|(_, e, _)| e == "line").map(|(_, _, d)| d["line"].clone()).collect();
    let whole: Vec<Value> = lines.iter().map(|(_, _, d)| d["line"].clone()).collect();
    assert_eq!(resumed, whole, "every line exactly once across the reconnect");

    // The last two lines, and the same stream through a cut the Hub makes: still every line once.
    let tail = sse(&format!("{url}&tail=2"), &[AUTH], |(_, e, _)| e == "end");
    let tail_lines: Vec<Value> = tail.iter().filter(|(_, e, _)| e == "line").map(|(_, _, d)| d["line"].clone()).collect();
    assert_eq!(tail_lines, whole[whole.len() - 2..]);
    assert_eq!(tail[0].0, (whole.len() - 1).to_string(), "tail lines keep their numbers in the log");
    emulator_control::fault(
        &emu.url(),
        json!({ "kind": "sse_cut", "path": "/api/spaces/alice/logs/logs/build", "afterEvents": 2, "count": 1 }),
    );
    let through_cut = sse(&format!("{url}&follow=true"), &[AUTH], |(id, _, _)| id == &whole.len().to_string());
    let got: Vec<Value> = through_cut.iter().filter(|(_, e, _)| e == "line").map(|(_, _, d)| d["line"].clone()).collect();
    assert_eq!(got, whole);
    call("GET", &format!("{}/v1/spaces/alice/logs/logs?level=debug", g.url), &[AUTH], None).error(400, "BAD_ARGUMENTS");
}

#[test]
fn sigterm_lets_a_running_deploy_finish_before_the_gateway_exits() {
    let emu = hub();
    let mut g = Gateway::start(Some(&emu.url()), &[], &[]);
    let body = json!({ "sdk": "gradio", "wait_s": 30 }).to_string().into_bytes();
    call("POST", &format!("{}/v1/spaces/alice/term/deploy", g.url), &[AUTH, JSON], Some(body)).expect(202);
    // SAFETY: a signal to our own child process.
    unsafe { libc::kill(g.child.id() as i32, libc::SIGTERM) };
    let status = g.child.wait().unwrap();
    assert!(status.success(), "{status:?}\n{}", g.logs());
    assert!(g.logs().contains("shutting down"), "{}", g.logs());
    // The deploy was not cut: its commit is on the Hub.
    let repo = emulator_control::repo(&emu.url(), "alice/term");
    let files: Vec<&str> = repo["files"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap()).collect();
    assert!(files.contains(&"app.py") && files.contains(&"README.md"), "{files:?}");
}

fn multipart(parts: &[(&str, Option<&str>, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "spacesmith-test-boundary-7f3a";
    let mut body = Vec::new();
    for (name, file, data) in parts {
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"").as_bytes());
        if let Some(f) = file {
            body.extend_from_slice(format!("; filename=\"{f}\"\r\nContent-Type: application/octet-stream").as_bytes());
        }
        body.extend_from_slice(b"\r\n\r\n");
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[test]
fn deploy_a_project_archive_with_settings_as_form_fields() {
    let emu = hub();
    let g = Gateway::start(Some(&emu.url()), &[], &[]);
    let project =
        call("POST", &format!("{}/v1/scaffold", g.url), &[JSON], Some(br#"{"sdk":"gradio"}"#.to_vec())).expect(200).body;
    let secrets = format!(r#"{{"API_TOKEN": "{SECRET_VALUE}"}}"#);
    let (ct, body) = multipart(&[
        ("project", Some("project.tar.gz"), &project),
        ("private", None, b"false"),
        ("hardware", None, b"cpu-basic"),
        ("variables", None, br#"{"MODE": "archive"}"#),
        ("secrets", None, secrets.as_bytes()),
    ]);
    let started = call("POST", &format!("{}/v1/spaces/alice/archived/deploy", g.url), &[AUTH, ("content-type", &ct)], Some(body))
        .expect(202)
        .json();
    let id = started["deployment_id"].as_str().unwrap();
    let events = sse(&format!("{}/v1/deployments/{id}/events", g.url), &[AUTH], |(_, e, _)| e == "finished" || e == "failed");
    assert_eq!(events[0].1, "unpacked");
    assert_eq!(events.last().unwrap().1, "finished", "{events:?}");
    wait_for_state(&g, id, "running");
    let repo = emulator_control::repo(&emu.url(), "alice/archived");
    assert_eq!(repo["visibility"], "public");
    assert_eq!(repo["space"]["variables"], json!({ "MODE": "archive" }));
    assert!(repo["files"].as_array().unwrap().iter().any(|f| f["path"] == "app.py"));

    // A hostile archive is refused before anything is created on the Hub, and nothing is unpacked.
    let evil = tar_gz(&[("../escape.py", tar::EntryType::Regular, b"x")]);
    let (ct, body) = multipart(&[("project", Some("p.tgz"), &evil)]);
    call("POST", &format!("{}/v1/spaces/alice/evil/deploy", g.url), &[AUTH, ("content-type", &ct)], Some(body))
        .error(400, "UNSAFE_ARCHIVE");
    assert_eq!(emulator_control::repo(&emu.url(), "alice/evil"), Value::Null);
    let (ct, body) = multipart(&[("hardware", None, b"cpu-basic")]);
    let v = call("POST", &format!("{}/v1/spaces/alice/evil/deploy", g.url), &[AUTH, ("content-type", &ct)], Some(body))
        .error(400, "BAD_ARGUMENTS");
    assert!(v["message"].as_str().unwrap().contains("project"), "{v}");
    let (ct, body) = multipart(&[("project", Some("p.tgz"), &project), ("colour", None, b"red")]);
    call("POST", &format!("{}/v1/spaces/alice/evil/deploy", g.url), &[AUTH, ("content-type", &ct)], Some(body))
        .error(400, "BAD_ARGUMENTS");
    // A bad option of the JSON form is a 400 too, not a failed deploy.
    call(
        "POST",
        &format!("{}/v1/spaces/alice/evil/deploy", g.url),
        &[AUTH, JSON],
        Some(br#"{"sdk":"docker","options":{"port":1}}"#.to_vec()),
    )
    .error(400, "BAD_OPTION");
    assert!(files_under(&g.tmp()).is_empty(), "{:?}", files_under(&g.tmp()));
}

#[test]
fn a_redeploy_removes_nothing_unless_asked_and_names_what_it_removes() {
    let emu = hub();
    let g = Gateway::start(Some(&emu.url()), &[], &[]);
    let listed = call(
        "POST",
        &format!("{}/v1/scaffold", g.url),
        &[JSON, ("accept", "application/json")],
        Some(br#"{"sdk":"gradio"}"#.to_vec()),
    )
    .expect(200)
    .json();
    let files: Vec<(String, Vec<u8>)> = listed["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["path"].as_str().unwrap().to_string(), f["content"].as_str().unwrap().as_bytes().to_vec()))
        .collect();
    let archive = |extra: bool| {
        let mut entries: Vec<(&str, tar::EntryType, &[u8])> =
            files.iter().map(|(p, d)| (p.as_str(), tar::EntryType::Regular, d.as_slice())).collect();
        if extra {
            entries.push(("notes.txt", tar::EntryType::Regular, b"kept by the user"));
        }
        tar_gz(&entries)
    };
    let deploy = |bytes: Vec<u8>, delete: Option<&str>| {
        let mut parts: Vec<(&str, Option<&str>, &[u8])> = vec![("project", Some("p.tgz"), &bytes)];
        if let Some(d) = delete {
            parts.push(("delete", None, d.as_bytes()));
        }
        let (ct, body) = multipart(&parts);
        let id = call("POST", &format!("{}/v1/spaces/alice/keep/deploy", g.url), &[AUTH, ("content-type", &ct)], Some(body))
            .expect(202)
            .json()["deployment_id"]
            .as_str()
            .unwrap()
            .to_string();
        sse(&format!("{}/v1/deployments/{id}/events", g.url), &[AUTH], |(_, e, _)| e == "finished" || e == "failed")
    };
    let remote = || -> Vec<String> {
        let repo = emulator_control::repo(&emu.url(), "alice/keep");
        repo["files"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap().to_string()).collect()
    };
    deploy(archive(true), None);
    assert!(remote().contains(&"notes.txt".to_string()));
    // Without the file and without `delete`: the Space keeps it.
    let events = deploy(archive(false), None);
    let planned = &events.iter().find(|(_, e, _)| e == "planned").unwrap().2;
    assert_eq!(planned["deleted"], json!([]), "{planned}");
    assert!(remote().contains(&"notes.txt".to_string()));
    // Asked: it goes, and the plan named it first.
    let events = deploy(archive(false), Some("true"));
    let planned = &events.iter().find(|(_, e, _)| e == "planned").unwrap().2;
    assert_eq!(planned["deleted"], json!(["notes.txt"]), "{planned}");
    assert!(!remote().contains(&"notes.txt".to_string()));
}
