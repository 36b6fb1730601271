//! Adversarial tests: every hostile behaviour ends in a clean error that names the plugin, its
//! version and the call, and the host keeps working afterwards.

#[path = "../../../tests/support/fixtures.rs"]
mod fixtures;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use spacesmith_runtime::*;

#[derive(Default)]
struct Collect(Mutex<Vec<(String, LogLevel, String)>>);

impl LogSink for Collect {
    fn log(&self, plugin: &str, level: LogLevel, message: &str) {
        self.0.lock().unwrap().push((plugin.to_string(), level, message.to_string()));
    }
}

fn test_limits() -> Limits {
    // Small budgets keep the attacks quick; the mechanisms are the same at any size.
    Limits { memory_bytes: 32 << 20, call_timeout: Duration::from_millis(300), ..Limits::default() }
}

fn runtime_with(sink: Option<Arc<dyn LogSink>>, cache_dir: Option<std::path::PathBuf>) -> Runtime {
    Runtime::new(RuntimeConfig { cache_dir, limits: test_limits(), log_sink: sink }).unwrap()
}

fn load(rt: &Runtime, name: &str) -> Result<Plugin, LoadError> {
    let path = fixtures::fixture_wasm(name);
    rt.load(PluginSource::new(format!("{name}.wasm"), std::fs::read(path).unwrap()))
}

fn attack(plugin: &Plugin, which: &str) -> Result<ScaffoldOutput, PluginError> {
    plugin.scaffold(&ScaffoldInput {
        project_name: "victim".into(),
        title: "Victim".into(),
        api: false,
        options: vec![("attack".into(), OptionValue::Text(which.into()))],
    })
}

fn hostile() -> Plugin {
    load(&runtime_with(None, None), "hostile").expect("hostile loads")
}

#[track_caller]
fn assert_named(err: &PluginError, call: &str) {
    let text = err.to_string();
    assert!(text.starts_with(&format!("plugin hostile 6.6.6 failed in `{call}`: ")), "{text}");
}

#[test]
fn loads_and_describes_itself() {
    let p = hostile();
    assert_eq!(p.info().sdk_id, "hostile");
    assert_eq!(p.contract(), Version::new(0, 1, 0));
    assert_eq!(p.sha256().len(), 64);
    assert!(attack(&p, "none").is_ok());
}

#[test]
fn endless_loop_is_stopped_by_the_deadline() {
    let err = attack(&hostile(), "loop").unwrap_err();
    assert!(matches!(err.kind, FailureKind::Timeout(_)), "{err}");
    assert_named(&err, "scaffold");
    assert!(err.to_string().contains("time limit"), "{err}");
}

#[test]
fn memory_bomb_is_stopped_at_the_cap() {
    let err = attack(&hostile(), "memory").unwrap_err();
    assert!(matches!(err.kind, FailureKind::Memory(n) if n == 32 << 20), "{err}");
    assert!(err.to_string().contains("memory limit of 32 MiB"), "{err}");
}

#[test]
fn deep_recursion_is_stopped() {
    let err = attack(&hostile(), "recursion").unwrap_err();
    assert!(matches!(err.kind, FailureKind::StackOverflow), "{err}");
    assert_named(&err, "scaffold");
}

#[test]
fn panics_are_reported_with_their_message() {
    let err = attack(&hostile(), "panic").unwrap_err();
    assert!(matches!(err.kind, FailureKind::Trap(_)), "{err}");
    assert!(err.to_string().contains("hostile plugin panicked on purpose"), "{err}");
}

/// An attack and the refusal it must meet.
type Expect = (&'static str, fn(&OutputError) -> bool);

#[test]
fn unsafe_output_is_refused_whole() {
    let p = hostile();
    let cases: &[Expect] = &[
        ("many-files", |e| matches!(e, OutputError::TooManyFiles { count: 100_000, .. })),
        ("huge-file", |e| matches!(e, OutputError::FileTooLarge { .. })),
        ("traversal", |e| matches!(e, OutputError::BadPath { problem: PathProblem::Traversal, .. })),
        ("absolute", |e| matches!(e, OutputError::BadPath { problem: PathProblem::Absolute, .. })),
        ("duplicate", |e| matches!(e, OutputError::Duplicate(p) if p == "app.py")),
        ("case-collision", |e| matches!(e, OutputError::CaseCollision(..))),
        ("git-hook", |e| matches!(e, OutputError::BadPath { problem: PathProblem::GitDirectory, .. })),
        ("bad-secret-name", |e| matches!(e, OutputError::BadName { .. })),
    ];
    for (which, expected) in cases {
        let err = attack(&p, which).unwrap_err();
        match &err.kind {
            FailureKind::BadOutput(e) => assert!(expected(e), "{which}: {err}"),
            _ => panic!("{which}: expected refused output, got {err}"),
        }
        assert_named(&err, "scaffold");
    }
}

#[test]
fn sandbox_grants_nothing_and_is_deterministic() {
    let p = hostile();
    let first = attack(&p, "probe").unwrap();
    let probe = String::from_utf8(first.files[0].contents.clone()).unwrap();
    for line in probe.lines() {
        let (key, value) = line.split_once('=').unwrap();
        match key {
            "env_count" | "args_count" | "clock_secs" => assert_eq!(value, "0", "{line}"),
            _ => assert!(value.starts_with("denied"), "sandbox leak: {line}"),
        }
    }
    assert!(probe.contains("fs /etc/passwd=denied"), "{probe}");
    let second = attack(&p, "probe").unwrap();
    assert_eq!(first, second);
}

#[test]
fn templates_get_no_host_environment() {
    let err = attack(&hostile(), "env-template").unwrap_err();
    // The plugin's own template failed: its defect, reported as such.
    assert!(matches!(err.kind, FailureKind::Template(_)), "{err}");
    assert!(err.to_string().contains("no host environment"), "{err}");
    assert!(err.is_plugin_fault());
}

#[test]
fn log_output_is_capped_tagged_and_sanitised() {
    let sink = Arc::new(Collect::default());
    let rt = runtime_with(Some(sink.clone()), None);
    let p = load(&rt, "hostile").unwrap();
    attack(&p, "log-flood").unwrap();
    let lines = sink.0.lock().unwrap();
    assert!(lines.len() > 100 && lines.len() < 100_000, "{} lines kept", lines.len());
    assert!(lines.iter().all(|(plugin, _, _)| plugin == "hostile"));
    assert!(lines.iter().all(|(_, _, m)| !m.contains('\u{1b}')), "escape sequences reach the terminal");
    assert!(lines.iter().any(|(_, l, m)| *l == LogLevel::Warn && m.contains("over the limit")));
}

#[test]
fn rule_ids_outside_the_plugin_namespace_are_refused() {
    let err = hostile().rules().unwrap_err();
    assert!(matches!(err.kind, FailureKind::Invalid(_)), "{err}");
    assert!(err.to_string().contains("config/unknown-key"), "{err}");
    assert_named(&err, "rules");
}

#[test]
fn check_is_limited_and_sanitised_too() {
    let p = hostile();
    let file = |path: &str| ProjectFileInput { path: path.into(), contents: b"x".to_vec(), truncated: false };
    let findings = p.check(&ProjectInput { files: vec![file("app.py")], front_matter_json: None }).unwrap();
    assert_eq!(findings.len(), 1);
    assert!(!findings[0].message.contains('\u{1b}'));
    let err = p.check(&ProjectInput { files: vec![file("loop")], front_matter_json: None }).unwrap_err();
    assert!(matches!(err.kind, FailureKind::Timeout(_)), "{err}");
    assert_named(&err, "check");
}

#[test]
fn host_keeps_working_after_every_attack() {
    let p = hostile();
    for which in ["loop", "memory", "recursion", "panic", "many-files"] {
        assert!(attack(&p, which).is_err());
    }
    let out = attack(&p, "none").unwrap();
    assert_eq!(out.files[0].path, "README.md");
}

#[test]
fn another_contract_version_is_refused_with_advice() {
    let err = load(&runtime_with(None, None), "future-contract").err().expect("refused");
    let text = err.to_string();
    assert!(matches!(err.kind, LoadErrorKind::Contract(ContractError::Unsupported { .. })), "{text}");
    assert!(text.contains("future-contract.wasm"), "{text}");
    assert!(text.contains("contract 0.3.0") && text.contains("serves 0.1.x") && text.contains("0.2.x"), "{text}");
}

#[test]
fn non_components_are_refused() {
    let rt = runtime_with(None, None);
    let err = rt.load(PluginSource::new("junk.wasm", b"\0asm junk".to_vec())).err().unwrap();
    assert!(matches!(err.kind, LoadErrorKind::Contract(ContractError::NotAComponent(_))), "{err}");
    assert!(err.to_string().contains("junk.wasm"), "{err}");
}

#[test]
fn per_plugin_limits_are_clamped() {
    let rt = runtime_with(None, None);
    let huge = Limits { memory_bytes: usize::MAX, call_timeout: Duration::from_secs(86_400), ..Limits::default() };
    let bytes = std::fs::read(fixtures::fixture_wasm("hostile")).unwrap();
    let p = rt.load(PluginSource::new("h", bytes).limits(huge)).unwrap();
    assert_eq!(p.limits().memory_bytes, Limits::hard_maximum().memory_bytes);
    assert_eq!(p.limits().call_timeout, Limits::hard_maximum().call_timeout);
}

#[test]
fn compiled_components_are_cached_and_corruption_is_survived() {
    let cache = tempfile::tempdir().unwrap();
    let rt = runtime_with(None, Some(cache.path().to_path_buf()));
    load(&rt, "hostile").unwrap();
    let entries: Vec<_> = std::fs::read_dir(cache.path()).unwrap().flatten().map(|e| e.path()).collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert!(entries[0].extension().is_some_and(|e| e == "cwasm"));
    let stamp = std::fs::metadata(&entries[0]).unwrap().modified().unwrap();
    // A second runtime (a new process, in effect) loads from the cache without rewriting it.
    let again = load(&runtime_with(None, Some(cache.path().to_path_buf())), "hostile").unwrap();
    assert!(attack(&again, "none").is_ok());
    assert_eq!(std::fs::metadata(&entries[0]).unwrap().modified().unwrap(), stamp);
    // A corrupt entry is recompiled and replaced. It is corrupted as a new file: truncating it in
    // place would pull the pages from under the mapping `again` still holds (the cache itself only
    // ever replaces entries by rename, for that reason).
    std::fs::remove_file(&entries[0]).unwrap();
    std::fs::write(&entries[0], b"garbage").unwrap();
    let healed = load(&runtime_with(None, Some(cache.path().to_path_buf())), "hostile").unwrap();
    assert!(attack(&healed, "none").is_ok());
    assert!(std::fs::metadata(&entries[0]).unwrap().len() > 1000);
}

fn reader_with(grants: &[Capability]) -> Plugin {
    let bytes = std::fs::read(fixtures::fixture_wasm("reader")).unwrap();
    runtime_with(None, None).load(PluginSource::new("reader.wasm", bytes).grants(grants.iter().copied())).unwrap()
}

fn probes(plugin: &Plugin, dir: Option<&std::path::Path>) -> Vec<String> {
    let project = ProjectInput { files: vec![], front_matter_json: None };
    plugin.check_in(&project, dir).unwrap().into_iter().map(|f| f.message).collect()
}

#[test]
fn the_manifest_is_read_and_its_limits_apply_unless_the_caller_sets_them() {
    let reader = reader_with(&[]);
    assert_eq!(reader.manifest().capabilities.keys().copied().collect::<Vec<_>>(), [Capability::ProjectRead]);
    // The manifest asks for 96 MiB and 4 s over the runtime's 32 MiB and 300 ms.
    assert_eq!((reader.limits().memory_bytes, reader.limits().call_timeout), (96 << 20, Duration::from_secs(4)));
    assert!(hostile().manifest().capabilities.is_empty(), "no manifest asks for nothing");
    let bytes = std::fs::read(fixtures::fixture_wasm("reader")).unwrap();
    let set = runtime_with(None, None).load(PluginSource::new("r", bytes).limits(test_limits())).unwrap();
    assert_eq!(set.limits(), &test_limits());
}

#[test]
fn project_read_is_given_only_when_granted_and_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("README.md"), "# hi\n").unwrap();
    let without = reader_with(&[]);
    assert!(without.grants().is_empty());
    assert!(probes(&without, Some(dir.path())).iter().all(|p| p.contains("denied")));

    let with = reader_with(&[Capability::ProjectRead]);
    assert!(with.grants().contains(&Capability::ProjectRead));
    let seen = probes(&with, Some(dir.path()));
    assert!(seen.contains(&"read README.md: ok 5 bytes".to_string()), "{seen:#?}");
    assert!(seen.iter().any(|p| p.starts_with("write written.txt: denied")), "{seen:#?}");
    assert!(!dir.path().join("written.txt").exists());
    // No directory given (e.g. `check` of generated output): nothing to see, even when granted.
    assert!(probes(&with, None).iter().all(|p| p.contains("denied")));

    // A grant the plugin did not ask for means nothing.
    let bytes = std::fs::read(fixtures::fixture_wasm("hostile")).unwrap();
    let h = runtime_with(None, None).load(PluginSource::new("h", bytes).grants([Capability::ProjectRead])).unwrap();
    assert!(h.grants().is_empty());
}

#[test]
fn a_pin_is_checked_before_anything_runs() {
    let bytes = std::fs::read(fixtures::fixture_wasm("hostile")).unwrap();
    let rt = runtime_with(None, None);
    let right = rt.load(PluginSource::new("h", bytes.clone())).unwrap().sha256().to_string();
    assert!(rt.load(PluginSource::new("h", bytes.clone()).pin(right.clone())).is_ok());
    let err = rt.load(PluginSource::new("h", bytes).pin("0".repeat(64))).err().unwrap();
    match err.kind {
        LoadErrorKind::PinMismatch { expected, actual } => assert_eq!((expected, actual), ("0".repeat(64), right)),
        other => panic!("expected a pin mismatch, got {other:?}"),
    }
}
