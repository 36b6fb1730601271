//! Contract 0.1.0 is frozen: a plugin built against it and shipped must keep working, exactly, with
//! every later host, including hosts that serve newer contracts too. The fixture is the committed binary
//! tests/fixtures/contract/v0.1/plugin.wasm (source: tests/fixtures/plugins/contract-v0_1), which is
//! never rebuilt; these tests run that binary and assert every value it exchanges with the host.
//! If one fails, the host broke contract 0.1.0: fix the host, never the fixture.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};
use spacesmith_runtime::*;
use spacesmith_spec::{Finding, RuleInfo, Severity};

/// The embedded `spacesmith-manifest` section, byte for byte.
const MANIFEST_TOML: &str =
    "# spacesmith plugin manifest (docs/plugins.md#manifest).\nmanifest-version = 1\n\n[capabilities]\n\n[limits]\n";

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/contract/v0.1")
}

fn fixture_bytes() -> Vec<u8> {
    let path = fixture_dir().join("plugin.wasm");
    std::fs::read(&path).unwrap_or_else(|e| panic!("the committed fixture {} is missing: {e}", path.display()))
}

#[derive(Default)]
struct Collect(Mutex<Vec<(String, LogLevel, String)>>);

impl LogSink for Collect {
    fn log(&self, plugin: &str, level: LogLevel, message: &str) {
        self.0.lock().unwrap().push((plugin.to_string(), level, message.to_string()));
    }
}

fn load_with(sink: Option<Arc<dyn LogSink>>) -> Plugin {
    let runtime = Runtime::new(RuntimeConfig { log_sink: sink, ..RuntimeConfig::default() }).unwrap();
    runtime.load(PluginSource::new("contract-v0.1.wasm", fixture_bytes())).expect("the contract 0.1.0 fixture loads")
}

fn load() -> Plugin {
    load_with(None)
}

fn text(s: &str) -> OptionValue {
    OptionValue::Text(s.into())
}

/// What the host sends when the user gives no options: every default merged in, the unset URL absent.
fn default_input() -> ScaffoldInput {
    ScaffoldInput {
        project_name: "demo".into(),
        title: "Demo Space".into(),
        api: true,
        options: vec![
            ("text-option".into(), text("hello")),
            ("flag-option".into(), OptionValue::Flag(false)),
            ("integer-option".into(), OptionValue::Integer(7)),
            ("choice-option".into(), text("beta")),
        ],
    }
}

fn file(path: &str, contents: &[u8], executable: bool) -> GeneratedFile {
    GeneratedFile { path: path.into(), contents: contents.to_vec(), executable }
}

const RUN_SH: &[u8] = b"#!/bin/sh\necho 'contract v0.1 fixture'\n";

/// The four files every successful scaffold returns, in the host's (sorted) order.
fn expected_files(hello: &str, input_txt: &str) -> Vec<GeneratedFile> {
    vec![
        file("hello.txt", hello.as_bytes(), false),
        file("input.txt", input_txt.as_bytes(), false),
        file("nested/deeper/bytes.bin", &(0..=255u8).collect::<Vec<_>>(), false),
        file("run.sh", RUN_SH, true),
    ]
}

fn expected_secrets() -> Vec<SecretSpec> {
    vec![
        SecretSpec {
            name: "FIXTURE_BUILD_TOKEN".into(),
            stage: SecretStage::Build,
            required: true,
            why: "The fixture's build step reads it.".into(),
            found_in: vec![],
        },
        SecretSpec {
            name: "FIXTURE_RUNTIME_KEY".into(),
            stage: SecretStage::Runtime,
            required: false,
            why: "The fixture's app may read it.".into(),
            found_in: vec![],
        },
    ]
}

fn project_file(path: &str, contents: &[u8], truncated: bool) -> ProjectFileInput {
    ProjectFileInput { path: path.into(), contents: contents.to_vec(), truncated }
}

#[test]
fn the_asset_is_the_committed_build() {
    let bytes = fixture_bytes();
    let actual: String = Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
    let readme = std::fs::read_to_string(fixture_dir().join("README.md")).unwrap();
    let recorded = readme
        .lines()
        .find_map(|l| l.strip_prefix("- sha256: `")?.strip_suffix('`'))
        .expect("the README records the fixture's sha256 as \"- sha256: `<hex>`\"");
    assert_eq!(
        actual, recorded,
        "tests/fixtures/contract/v0.1/plugin.wasm changed. It stands for a plugin shipped against contract 0.1.0 \
         and must never be rebuilt or edited; restore the committed file"
    );
    assert_eq!(bytes.len(), 85622);
    assert_eq!(load().sha256(), recorded);
}

#[test]
fn info_contract_and_manifest_are_served_exactly() {
    let plugin = load();
    assert_eq!(plugin.contract(), Version::new(0, 1, 0));
    assert_eq!(plugin.label(), "contract-v0.1.wasm");
    let expected = PluginInfo {
        name: "Contract v0.1 fixture".into(),
        sdk_id: "contract-fixture".into(),
        version: "1.0.0".into(),
        description: "Touches every type of plugin contract 0.1.0 with fixed values; for tests only.".into(),
        checks_sdks: vec!["contract-fixture".into()],
        default_port: Some(8080),
        options: vec![
            OptionSpec {
                name: "text-option".into(),
                kind: OptionKind::Text,
                default: Some(text("hello")),
                help: "Free text; `refuse` makes scaffold refuse, `bad-template` makes the host's render fail.".into(),
            },
            OptionSpec {
                name: "flag-option".into(),
                kind: OptionKind::Flag,
                default: Some(OptionValue::Flag(false)),
                help: "A flag, echoed into input.txt.".into(),
            },
            OptionSpec {
                name: "integer-option".into(),
                kind: OptionKind::Integer { min: -5, max: 42 },
                default: Some(OptionValue::Integer(7)),
                help: "A whole number from -5 to 42, echoed into input.txt.".into(),
            },
            OptionSpec {
                name: "choice-option".into(),
                kind: OptionKind::Choice { values: vec!["alpha".into(), "beta".into(), "gamma".into()] },
                default: Some(text("beta")),
                help: "One of alpha, beta or gamma, echoed into input.txt.".into(),
            },
            OptionSpec {
                name: "url-option".into(),
                kind: OptionKind::Url,
                default: None,
                help: "An absolute URL; unset unless given.".into(),
            },
        ],
    };
    assert_eq!(plugin.info(), &expected);
    // The embedded manifest is found where the SDK puts it, and asks for nothing.
    let inspection = contract::inspect(&fixture_bytes()).unwrap();
    assert_eq!(inspection.version, Version::new(0, 1, 0));
    assert_eq!(inspection.manifest.as_deref(), Some(MANIFEST_TOML.as_bytes()));
    assert_eq!(plugin.manifest(), &Manifest::default());
}

#[test]
fn scaffold_with_the_defaults_returns_every_output_type() {
    let out = load().scaffold(&default_input()).unwrap();
    let input_txt = "project_name: \"demo\"\ntitle: \"Demo Space\"\napi: true\n\
                     option text-option = text \"hello\"\n\
                     option flag-option = flag false\n\
                     option integer-option = integer 7\n\
                     option choice-option = text \"beta\"\n";
    let expected = ScaffoldOutput {
        files: expected_files("Hello Demo Space from demo! The API is on.\n", input_txt),
        secrets: expected_secrets(),
        variables: vec![VariableSpec {
            name: "FIXTURE_PROJECT".into(),
            value: "demo".into(),
            why: "Echoes the project name.".into(),
        }],
        notices: vec!["Demo Space was scaffolded by the contract v0.1 fixture.".into()],
    };
    assert_eq!(out, expected);
}

#[test]
fn scaffold_echoes_every_input_value() {
    let input = ScaffoldInput {
        project_name: "edge-case".into(),
        title: "Say \"hi\" \\ there".into(),
        api: false,
        options: vec![
            ("text-option".into(), text("héllo wörld")),
            ("flag-option".into(), OptionValue::Flag(true)),
            ("integer-option".into(), OptionValue::Integer(-5)),
            ("choice-option".into(), text("gamma")),
            ("url-option".into(), text("https://example.com/repo.git")),
        ],
    };
    let out = load().scaffold(&input).unwrap();
    let input_txt = "project_name: \"edge-case\"\ntitle: \"Say \\\"hi\\\" \\\\ there\"\napi: false\n\
                     option text-option = text \"héllo wörld\"\n\
                     option flag-option = flag true\n\
                     option integer-option = integer -5\n\
                     option choice-option = text \"gamma\"\n\
                     option url-option = text \"https://example.com/repo.git\"\n";
    // The title went through the plugin's JSON context and the host's Tera unescaped.
    assert_eq!(out.files, expected_files("Hello Say \"hi\" \\ there from edge-case!\n", input_txt));
    assert_eq!(out.secrets, expected_secrets());
    assert_eq!(
        out.variables,
        vec![VariableSpec { name: "FIXTURE_PROJECT".into(), value: "edge-case".into(), why: "Echoes the project name.".into() }]
    );
    assert_eq!(out.notices, vec!["Say \"hi\" \\ there was scaffolded by the contract v0.1 fixture.".to_string()]);
}

#[test]
fn scaffold_refusals_and_render_errors_cross_the_boundary() {
    let plugin = load();
    let with_text = |value: &str| {
        let mut input = default_input();
        input.options[0].1 = text(value);
        plugin.scaffold(&input).unwrap_err()
    };

    let refused = with_text("refuse");
    assert_eq!(refused.plugin, "contract-fixture");
    assert_eq!(refused.version, "1.0.0");
    assert_eq!(refused.call, "scaffold");
    match &refused.kind {
        FailureKind::Refused { message, option } => {
            assert_eq!(message, "the contract fixture refuses when text-option is `refuse`");
            assert_eq!(option.as_deref(), Some("text-option"));
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert!(!refused.is_plugin_fault());
    assert_eq!(
        refused.to_string(),
        "plugin contract-fixture 1.0.0 failed in `scaffold`: the contract fixture refuses when text-option is `refuse`"
    );

    // The host's `render` answered with its error arm and the plugin gave up: the host reports the
    // template's error as the plugin's defect, not as a refusal of the user's input.
    let render_failed = with_text("bad-template");
    match &render_failed.kind {
        FailureKind::Template(message) => assert!(message.contains("hello.txt"), "{message}"),
        other => panic!("expected a template failure, got {other:?}"),
    }
    assert!(render_failed.is_plugin_fault());
}

#[test]
fn the_log_import_reaches_the_sink() {
    let sink = Arc::new(Collect::default());
    let plugin = load_with(Some(sink.clone()));
    plugin.scaffold(&default_input()).unwrap();
    assert_eq!(
        *sink.0.lock().unwrap(),
        vec![("contract-fixture".to_string(), LogLevel::Info, "contract fixture scaffolding demo with 4 options".to_string())]
    );
}

#[test]
fn rules_are_served_exactly() {
    let fix = "Nothing to fix; this rule belongs to a test fixture.".to_string();
    assert_eq!(
        load().rules().unwrap(),
        vec![
            RuleInfo {
                id: "contract-fixture/file-seen".into(),
                severity: Severity::Error,
                summary: "Every project file is reported.".into(),
                explanation: "The fixture reports each file check was given, to show the project crosses the boundary.".into(),
                fix: fix.clone(),
            },
            RuleInfo {
                id: "contract-fixture/front-matter-seen".into(),
                severity: Severity::Warning,
                summary: "The front matter is reported.".into(),
                explanation: "The fixture echoes the README front matter JSON it was given, or `none`.".into(),
                fix,
            },
        ]
    );
}

#[test]
fn check_echoes_the_project() {
    let plugin = load();
    let project = ProjectInput {
        files: vec![
            project_file("README.md", b"---\ntitle: Demo\n---\n# Demo\n", false),
            project_file("app/main.py", b"print('hi')\n", false),
            project_file("weights.bin", b"", true),
        ],
        front_matter_json: Some(r#"{"title":"Demo","sdk":"contract-fixture"}"#.into()),
    };
    let per_file = |path: &str, message: &str| Finding {
        rule: "contract-fixture/file-seen".into(),
        severity: Severity::Error,
        path: Some(path.into()),
        line: Some(1),
        message: message.into(),
        fix: Some(format!("Nothing to fix in {path}.")),
        field: None,
    };
    let front_matter = |message: &str| Finding {
        rule: "contract-fixture/front-matter-seen".into(),
        severity: Severity::Warning,
        path: None,
        line: None,
        message: message.into(),
        fix: None,
        field: None,
    };
    assert_eq!(
        plugin.check(&project).unwrap(),
        vec![
            per_file("README.md", "README.md: 27 bytes, truncated=false, first line \"---\""),
            per_file("app/main.py", "app/main.py: 12 bytes, truncated=false, first line \"print('hi')\""),
            per_file("weights.bin", "weights.bin: 0 bytes, truncated=true, first line \"\""),
            front_matter(r#"front matter: {"title":"Demo","sdk":"contract-fixture"}"#),
        ]
    );
    assert_eq!(plugin.check(&ProjectInput::default()).unwrap(), vec![front_matter("front matter: none")]);
}

/// What 0.1 lacks gets the answer a 0.1 host gave: no run plan, the generic secret scan, no linters.
#[test]
fn the_calls_contract_0_1_lacks_are_adapted() {
    let plugin = load();
    let project = ProjectInput {
        files: vec![project_file("app.py", b"import os\nkey = os.environ[\"OPENAI_API_KEY\"]\n", false)],
        front_matter_json: None,
    };
    assert_eq!(plugin.run_plan(&project).unwrap(), RunPlanAnswer::NotInContract);
    let secrets = plugin.secrets(&project).unwrap();
    assert_eq!(secrets.len(), 1, "{secrets:?}");
    assert_eq!((secrets[0].name.as_str(), secrets[0].stage, secrets[0].required), ("OPENAI_API_KEY", SecretStage::Runtime, true));
    assert_eq!(secrets[0].found_in, [Location { path: "app.py".into(), line: Some(2) }]);
    assert!(plugin.linters(&project).unwrap().is_empty());
}
