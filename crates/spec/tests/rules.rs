//! Front-matter rules through the public API: one failing fixture per catalogue rule, good and
//! bad values per field, line numbers, and the catalogue/severity contract.

use spacesmith_spec::{Finding, HARDWARE_FLAVORS, OAUTH_SCOPES, Severity, all_rules, check_readme, config_rules, rule};

/// Check a README and enforce the contract every finding must meet.
fn check_text(text: &str) -> Vec<Finding> {
    let catalogue = config_rules();
    let findings = check_readme("README.md", text).findings;
    for f in &findings {
        let r = catalogue.iter().find(|r| r.id == f.rule).unwrap_or_else(|| panic!("{} is not in config_rules()", f.rule));
        assert_eq!(r.severity, f.severity, "{} severity differs from the catalogue", f.rule);
        assert_eq!(f.path.as_deref(), Some("README.md"));
        assert!(f.line.is_some(), "{f:?} has no line");
        assert!(!f.message.is_empty() && f.fix.as_deref().is_some_and(|x| !x.is_empty()), "{f:?}");
        if f.rule.starts_with("config/") {
            let field = f.field.as_deref().unwrap_or_else(|| panic!("{f:?} has no field"));
            assert!(f.message.contains(field), "message should name `{field}`: {}", f.message);
            assert!(f.message.contains("line"), "message should give the line: {}", f.message);
        }
    }
    findings
}

/// Wrap front-matter lines in `---` delimiters (first key on line 2).
fn fm(body: &str) -> String {
    format!("---\n{body}\n---\n# Body\n")
}

fn check(body: &str) -> Vec<Finding> {
    check_text(&fm(body))
}

fn ids(findings: &[Finding]) -> Vec<&str> {
    findings.iter().map(|f| f.rule.as_str()).collect()
}

fn only(findings: &[Finding], rule: &str) -> Finding {
    let matching: Vec<_> = findings.iter().filter(|f| f.rule == rule).collect();
    assert_eq!(matching.len(), 1, "expected one {rule}, got {findings:#?}");
    matching[0].clone()
}

fn clean(body: &str) {
    let f = check(body);
    assert!(f.is_empty(), "expected no findings for\n{body}\ngot {f:#?}");
}

const GRADIO: &str = "sdk: gradio\nsdk_version: \"5.49.1\"";

/// (rule, README text, field, line): every catalogue rule, triggered.
fn failing_fixtures() -> Vec<(&'static str, String, Option<&'static str>, u32)> {
    vec![
        ("readme/missing-front-matter", "# Title\n\nText\n".into(), None, 1),
        ("readme/missing-opening-delimiter", "title: x\nsdk: gradio\n---\n".into(), None, 1),
        ("readme/unclosed-front-matter", "---\nsdk: gradio\n".into(), None, 1),
        ("readme/yaml-syntax", fm("sdk: docker\ntitle: a: b"), None, 3),
        ("readme/not-a-mapping", fm("- sdk\n- docker"), None, 2),
        ("readme/bom", format!("\u{FEFF}{}", fm("sdk: docker")), None, 1),
        ("readme/front-matter-not-first", format!("\n{}", fm("sdk: docker")), None, 2),
        ("readme/opening-delimiter-trailing-space", "--- \nsdk: docker\n---\n".into(), None, 1),
        ("readme/fenced-front-matter", "```yaml\n---\nsdk: docker\n---\n```\n".into(), None, 1),
        ("readme/merge-conflict", fm("sdk: docker\n<<<<<<< HEAD\ntitle: a\n=======\ntitle: b\n>>>>>>> x"), None, 3),
        ("config/missing-sdk", fm("title: x"), Some("sdk"), 1),
        ("config/invalid-sdk", fm("sdk: gradoi"), Some("sdk"), 2),
        ("config/sdk-deprecated", fm("sdk: streamlit"), Some("sdk"), 2),
        ("config/unknown-key", fm("sdk: docker\ncolorfrom: red"), Some("colorfrom"), 3),
        ("config/duplicate-key", fm("sdk: docker\ntitle: a\ntitle: b"), Some("title"), 4),
        ("config/invalid-type", fm("sdk: docker\npinned: \"yes\""), Some("pinned"), 3),
        ("config/empty-value", fm("sdk: docker\ntitle:"), Some("title"), 3),
        ("config/version-misread", fm(&format!("{GRADIO}\npython_version: 3.10")), Some("python_version"), 4),
        ("config/sdk-version-misread", fm("sdk: gradio\nsdk_version: 4.40"), Some("sdk_version"), 3),
        ("config/unquoted-version", fm(&format!("{GRADIO}\npython_version: 3.12")), Some("python_version"), 4),
        ("config/invalid-python-version", fm(&format!("{GRADIO}\npython_version: \"2.7\"")), Some("python_version"), 4),
        ("config/invalid-sdk-version", fm("sdk: gradio\nsdk_version: \"4.x\""), Some("sdk_version"), 3),
        ("config/sdk-version-latest", fm("sdk: gradio\nsdk_version: latest"), Some("sdk_version"), 3),
        ("config/missing-sdk-version", fm("title: x\nsdk: gradio"), Some("sdk_version"), 3),
        ("config/ignored-for-sdk", fm(&format!("{GRADIO}\napp_port: 8080")), Some("app_port"), 4),
        ("config/invalid-app-file", fm(&format!("{GRADIO}\napp_file: ../app.py")), Some("app_file"), 4),
        ("config/app-file-extension", fm(&format!("{GRADIO}\napp_file: index.html")), Some("app_file"), 4),
        ("config/invalid-app-port", fm("sdk: docker\napp_port: 70000"), Some("app_port"), 3),
        ("config/privileged-port", fm("sdk: docker\napp_port: 80"), Some("app_port"), 3),
        ("config/invalid-base-path", fm("sdk: docker\nbase_path: docs"), Some("base_path"), 3),
        ("config/invalid-header", fm("sdk: docker\nheader: full"), Some("header"), 3),
        ("config/invalid-color", fm("sdk: docker\ncolorTo: orange"), Some("colorTo"), 3),
        ("config/invalid-emoji", fm("sdk: docker\nemoji: rocket"), Some("emoji"), 3),
        ("config/emoji-missing-zwj", fm("sdk: docker\nemoji: 👩💻"), Some("emoji"), 3),
        (
            "config/short-description-too-long",
            fm(&format!("sdk: docker\nshort_description: {}", "x".repeat(61))),
            Some("short_description"),
            3,
        ),
        (
            "config/invalid-startup-timeout",
            fm("sdk: docker\nstartup_duration_timeout: 30 minutes"),
            Some("startup_duration_timeout"),
            3,
        ),
        ("config/invalid-custom-headers", fm("sdk: docker\ncustom_headers:\n  x-frame-options: deny"), Some("custom_headers"), 4),
        ("config/invalid-preload-item", fm("sdk: docker\npreload_from_hub:\n  - org/model a,,b"), Some("preload_from_hub"), 4),
        ("config/invalid-hardware", fm("sdk: docker\nsuggested_hardware: h100"), Some("suggested_hardware"), 3),
        ("config/storage-ignored", fm("sdk: docker\nsuggested_storage: small"), Some("suggested_storage"), 3),
        ("config/oauth-without-hf-oauth", fm("sdk: docker\nhf_oauth_scopes:\n  - email"), Some("hf_oauth_scopes"), 3),
        (
            "config/invalid-oauth-scope",
            fm("sdk: docker\nhf_oauth: true\nhf_oauth_scopes:\n  - email\n  - read-everything"),
            Some("hf_oauth_scopes"),
            6,
        ),
        (
            "config/invalid-oauth-expiration",
            fm("sdk: docker\nhf_oauth: true\nhf_oauth_expiration_minutes: 43201"),
            Some("hf_oauth_expiration_minutes"),
            4,
        ),
        (
            "config/legacy-oauth-redirect-path",
            fm("sdk: docker\nhf_oauth: true\nhf_oauth_redirect_path: /cb"),
            Some("hf_oauth_redirect_path"),
            4,
        ),
        ("config/invalid-thumbnail", fm("sdk: docker\nthumbnail: thumb.png"), Some("thumbnail"), 3),
    ]
}

#[test]
fn every_config_rule_fires_on_its_fixture_with_field_and_line() {
    let fixtures = failing_fixtures();
    for r in config_rules() {
        assert!(fixtures.iter().any(|(id, ..)| *id == r.id), "rule {} has no failing fixture", r.id);
    }
    for (rule, text, field, line) in fixtures {
        let findings = check_text(&text);
        let f =
            findings.iter().find(|f| f.rule == rule).unwrap_or_else(|| panic!("{rule} did not fire on {text:?}: {findings:#?}"));
        assert_eq!(f.field.as_deref(), field, "{rule} field");
        assert_eq!(f.line, Some(line), "{rule} line: {f:#?}");
    }
}

#[test]
fn complete_valid_readmes_have_no_findings() {
    clean(
        "title: Full Gradio\nemoji: 🚀\ncolorFrom: red\ncolorTo: gray\nsdk: gradio\nsdk_version: \"5.49.1\"\n\
         python_version: \"3.10\"\napp_file: src/app.py\nbase_path: /ui\nfullWidth: false\nheader: mini\n\
         short_description: A demo\nmodels:\n  - openai/whisper-small\ndatasets: [squad]\ntags: []\n\
         thumbnail: https://example.com/t.png\npinned: true\nlicense: apache-2.0\nhf_oauth: true\n\
         hf_oauth_scopes:\n  - email\n  - inference-api\nhf_oauth_expiration_minutes: 43200\n\
         hf_oauth_authorized_org: my-org\ndisable_embedding: true\nstartup_duration_timeout: 1h\n\
         custom_headers:\n  cross-origin-embedder-policy: require-corp\n  cross-origin-opener-policy: same-origin\n\
         preload_from_hub:\n  - openai/whisper-small\n  - org/model config.json,model.safetensors\n\
         \x20 - org/model a.bin 0123456789abcdef0123456789abcdef01234567\nsuggested_hardware: t4-small\n\
         duplicated_from: someone/space",
    );
    clean("sdk: docker\napp_port: 8501\nbase_path: /\nhf_oauth: true\nhf_oauth_authorized_org: [a, b]");
    clean("sdk: static\napp_build_command: npm run build\napp_file: dist/index.html");
    clean("sdk: static");
}

#[test]
fn versions_quoted_unquoted_and_misread() {
    let f = check(&format!("{GRADIO}\npython_version: 3.10"));
    let e = only(&f, "config/version-misread");
    assert!(e.message.contains("3.1,") && e.message.contains("\"3.10\""), "{}", e.message);
    assert_eq!(e.fix.as_deref(), Some("Quote it: `python_version: \"3.10\"`."));
    // Misread values are not format-checked a second time.
    assert_eq!(ids(&f), ["config/version-misread"]);

    assert_eq!(ids(&check(&format!("{GRADIO}\npython_version: 3.12"))), ["config/unquoted-version"]);
    clean(&format!("{GRADIO}\npython_version: '3.10'"));
    clean(&format!("{GRADIO}\npython_version: 3.10.6"));
    assert_eq!(e.severity, Severity::Error);
    assert!(e.message.contains("Python 3.1, which it does not offer"), "{}", e.message);
    // An older Gradio still installs, so a misread sdk_version is a warning, not an error.
    let f = check("sdk: gradio\nsdk_version: 4.40");
    let w = only(&f, "config/sdk-version-misread");
    assert_eq!(w.severity, Severity::Warning);
    assert!(w.message.contains("install 4.4 instead"), "{}", w.message);
    assert_eq!(ids(&f), ["config/sdk-version-misread"]);
    // `5.0` reads as 5, which pip pads back to 5.0: the same release, so only a nudge.
    let f = check("sdk: gradio\nsdk_version: 5.0");
    assert_eq!(ids(&f), ["config/unquoted-version"]);
    assert_eq!(f[0].severity, Severity::Info);
    assert_eq!(ids(&check("sdk: gradio\nsdk_version: 5")), ["config/unquoted-version"]);
    assert_eq!(
        ids(&check(&format!("{GRADIO}\npython_version: 3"))),
        ["config/unquoted-version", "config/invalid-python-version"]
    );
    for good in ["3.9", "3.13.1", "3.10"] {
        clean(&format!("{GRADIO}\npython_version: \"{good}\""));
    }
    for bad in ["3", "3.x", "python3.10", "3.10.1.2"] {
        let f = check(&format!("{GRADIO}\npython_version: \"{bad}\""));
        assert_eq!(ids(&f), ["config/invalid-python-version"], "{bad}");
    }
    for good in ["4.44.0", "5.0.0b3", "3.50.2", "4.44.0.post1"] {
        clean(&format!("sdk: gradio\nsdk_version: \"{good}\""));
    }
    let f = check("sdk: gradio\nsdk_version: \"v4.44.0\"");
    assert_eq!(only(&f, "config/invalid-sdk-version").fix.as_deref(), Some("Drop the `v`: `sdk_version: \"4.44.0\"`."));
    // Legacy streamlit still uses sdk_version, so it is not "ignored" there.
    assert_eq!(ids(&check("sdk: streamlit\nsdk_version: \"1.31.0\"")), ["config/sdk-deprecated"]);
}

#[test]
fn sdk_values() {
    let f = check("sdk: streamlit");
    let e = only(&f, "config/sdk-deprecated");
    let fix = e.fix.unwrap();
    assert!(fix.contains("app_port: 8501") && fix.contains("spacesmith new DIR --sdk streamlit"), "{fix}");
    let e = only(&check("sdk: Gradio"), "config/invalid-sdk");
    assert_eq!(e.fix.as_deref(), Some("Write `sdk: gradio`."));
    let e = only(&check("sdk: nodejs"), "config/invalid-sdk");
    assert!(!e.message.contains("Did you mean"));
    assert_eq!(ids(&check("sdk: 3")), ["config/invalid-type"]);
}

#[test]
fn sdk_version_and_app_fields_apply_per_sdk() {
    let f = check("sdk: docker\nsdk_version: latest\napp_file: app.py\npython_version: \"3.11\"");
    assert_eq!(ids(&f), ["config/ignored-for-sdk"; 3]);
    assert!(f[0].message.contains("`sdk_version: latest`") && f[0].message.contains("sdk: docker"));
    assert_eq!(ids(&check("sdk: docker\napp_build_command: make")), ["config/ignored-for-sdk"]);
    // An ignored field is not type-checked: the misread 3.10 cannot hurt a Docker Space.
    assert_eq!(ids(&check("sdk: docker\npython_version: 3.10")), ["config/ignored-for-sdk"]);
    assert_eq!(ids(&check("sdk: static\nbase_path: /x")), ["config/ignored-for-sdk"]);
    assert_eq!(ids(&check("sdk: static\npreload_from_hub: [a/b]")), ["config/ignored-for-sdk"]);
    assert_eq!(ids(&check(&format!("{GRADIO}\napp_port: 7860"))), ["config/ignored-for-sdk"]);
    // Without a known sdk, applicability is not judged (missing/invalid sdk is reported instead).
    assert_eq!(ids(&check("app_port: 7860")), ["config/missing-sdk"]);
}

#[test]
fn app_file_shapes() {
    for good in ["app.py", "./app.py", "src/app/main.py"] {
        clean(&format!("{GRADIO}\napp_file: {good}"));
    }
    for bad in ["/app.py", "../app.py", "src\\app.py", "C:/app.py", "src/", "https://x.io/app.py", "\"\""] {
        let f = check(&format!("{GRADIO}\napp_file: {bad}"));
        assert_eq!(ids(&f), ["config/invalid-app-file"], "{bad}");
    }
    assert_eq!(ids(&check("sdk: static\napp_file: main.js")), ["config/app-file-extension"]);
    clean("sdk: static\napp_file: public/index.htm");
}

#[test]
fn app_port_range_and_type() {
    for good in [1024, 7860, 65535] {
        clean(&format!("sdk: docker\napp_port: {good}"));
    }
    for bad in ["0", "-1", "65536"] {
        assert_eq!(ids(&check(&format!("sdk: docker\napp_port: {bad}"))), ["config/invalid-app-port"], "{bad}");
    }
    let e = only(&check("sdk: docker\napp_port: \"8080\""), "config/invalid-type");
    assert_eq!(e.fix.as_deref(), Some("Remove the quotes: `app_port: 8080`."));
    assert!(e.message.contains("the text \"8080\""), "{}", e.message);
    assert_eq!(ids(&check("sdk: docker\napp_port: 80.5")), ["config/invalid-type"]);
}

#[test]
fn booleans_must_be_real_booleans() {
    for key in ["pinned", "fullWidth", "hf_oauth", "disable_embedding"] {
        clean(&format!("sdk: docker\n{key}: false"));
        for bad in ["\"yes\"", "yes", "1", "'true'"] {
            let f = check(&format!("sdk: docker\n{key}: {bad}"));
            let e = only(&f, "config/invalid-type");
            assert_eq!(e.field.as_deref(), Some(key));
            assert_eq!(e.fix.as_deref(), Some(format!("Write `{key}: true` or `{key}: false`, without quotes.").as_str()));
        }
    }
}

#[test]
fn lists_and_strings() {
    clean("sdk: docker\ntags:\n  - a\n  - \"b\"\nmodels: [x/y]\ndatasets: []");
    let f = check("sdk: docker\ntags: nlp");
    assert_eq!(only(&f, "config/invalid-type").line, Some(3));
    // A bad item is reported on its own line, after a comment.
    let f = check("sdk: docker\ntags:\n  - a\n  # a comment\n\n  - 2024");
    let e = only(&f, "config/invalid-type");
    assert_eq!(e.line, Some(7));
    assert!(e.message.contains("the number 2024"), "{}", e.message);
    assert_eq!(ids(&check("sdk: docker\nlicense: 1")), ["config/invalid-type"]);
    assert_eq!(ids(&check("sdk: docker\ntitle: [a]")), ["config/invalid-type"]);
    assert_eq!(ids(&check("sdk: docker\nhf_oauth: true\nhf_oauth_authorized_org: 5")), ["config/invalid-type"]);
    assert_eq!(ids(&check("sdk: docker\ncustom_headers: [a]")), ["config/invalid-type"]);
    assert_eq!(ids(&check("sdk: docker\nstartup_duration_timeout: 30")), ["config/invalid-type"]);
    clean("sdk: docker\ntitle: \"2048\"\nshort_description: ''");
}

#[test]
fn empty_values() {
    let f = check("sdk: docker\nemoji:\ntags:");
    assert_eq!(ids(&f), ["config/empty-value"; 2]);
    assert_eq!((f[0].line, f[1].line), (Some(3), Some(4)));
    // An explicitly quoted empty string is a value, not null.
    let f = check("sdk: docker\nemoji: \"\"");
    assert_eq!(ids(&f), ["config/invalid-emoji"]);
}

#[test]
fn colors() {
    for c in spacesmith_spec::COLORS {
        clean(&format!("sdk: docker\ncolorFrom: {c}\ncolorTo: {c}"));
    }
    let e = only(&check("sdk: docker\ncolorFrom: Blue"), "config/invalid-color");
    assert!(e.fix.unwrap().starts_with("Use `colorFrom: blue`"));
    let e = only(&check("sdk: docker\ncolorTo: darkgreen"), "config/invalid-color");
    assert!(e.fix.as_deref().unwrap().starts_with("Use `colorTo: green`"));
    assert_eq!(e.severity, Severity::Error);
    assert!(e.message.contains("configuration error"), "{}", e.message);
    // The most common one in the wild keeps its suggestion.
    let e = only(&check("sdk: docker\ncolorFrom: orange"), "config/invalid-color");
    assert!(e.fix.unwrap().starts_with("Use `colorFrom: yellow`"));
}

#[test]
fn emoji_values() {
    for good in ["🚀", "\"\\U0001F433\\U0001F918\"", "🌌🔍", "🛡️", "👨‍🍳", "🇯🇵", "✈️"] {
        clean(&format!("sdk: docker\nemoji: {good}"));
    }
    let e = only(&check("sdk: docker\nemoji: ðŸ“ˆ"), "config/invalid-emoji");
    assert!(e.message.contains("mojibake") && e.message.contains("📈"), "{}", e.message);
    assert_eq!(e.fix.as_deref(), Some("Write `emoji: 📈` and save README.md as UTF-8."));
    let e = only(&check("sdk: docker\nemoji: 🚀 rocket"), "config/invalid-emoji");
    assert!(e.message.contains("`r` (U+0072)") && e.message.contains("space"), "{}", e.message);
    let e = only(&check("sdk: docker\nemoji: \":rocket:\""), "config/invalid-emoji");
    assert!(e.message.contains("shortcode"), "{}", e.message);
    let e = only(&check("sdk: docker\nemoji: https://x.io/a.png"), "config/invalid-emoji");
    assert!(e.message.contains("URL"), "{}", e.message);
    let e = only(&check("sdk: docker\nemoji: 👨🍳🔥"), "config/emoji-missing-zwj");
    assert_eq!(e.fix.as_deref(), Some("Write `emoji: 👨‍🍳🔥` if 👨‍🍳 was meant."));
}

#[test]
fn short_description_counts_characters_not_bytes() {
    clean(&format!("sdk: docker\nshort_description: {}", "é".repeat(60)));
    clean(&format!("sdk: docker\nshort_description: \"{}\"", "🚀".repeat(60)));
    let f = check(&format!("sdk: docker\nshort_description: {}", "é".repeat(61)));
    let e = only(&f, "config/short-description-too-long");
    assert!(e.message.contains("61 characters"), "{}", e.message);
    let f = check("sdk: docker\nshort_description: Local-first AI image search — natural language, reverse image, duplicates");
    let fix = only(&f, "config/short-description-too-long").fix.unwrap();
    let suggested = fix.split('"').nth(1).unwrap();
    assert!(suggested.chars().count() <= 60 && !suggested.ends_with(' '), "{fix}");
}

#[test]
fn startup_timeouts() {
    for good in ["30m", "1h", "90s", "6h"] {
        clean(&format!("sdk: docker\nstartup_duration_timeout: {good}"));
    }
    for bad in ["0m", "1d", "1 h", "1.5h", "h"] {
        let f = check(&format!("sdk: docker\nstartup_duration_timeout: {bad}"));
        assert_eq!(ids(&f), ["config/invalid-startup-timeout"], "{bad}");
    }
}

#[test]
fn custom_headers() {
    let f = check(
        "sdk: docker\ncustom_headers:\n  Cross-Origin-Opener-Policy: same-origin\n  cross-origin-embedder-policy: Require-Corp\n  cross-origin-resource-policy: cross-origin\n  x-frame-options: deny",
    );
    let lines: Vec<_> = f.iter().map(|f| (f.rule.as_str(), f.line.unwrap())).collect();
    assert_eq!(
        lines,
        [("config/invalid-custom-headers", 4), ("config/invalid-custom-headers", 5), ("config/invalid-custom-headers", 7)]
    );
    assert!(f[0].message.contains("lowercase") && f[1].message.contains("require-corp"));
    assert_eq!(ids(&check("sdk: docker\ncustom_headers:\n  cross-origin-opener-policy: 1")), ["config/invalid-type"]);
}

#[test]
fn preload_items() {
    clean(
        "sdk: docker\npreload_from_hub:\n  - gpt2\n  - a/b c.json\n  - a/b c.json,d/e.bin 0123456789abcdef0123456789abcdef01234567",
    );
    for bad in
        ["a/b c.json DEADBEEF", "a/b c.json 0123456789abcdef0123456789abcdef01234567 extra", "a/b/c", "a/b c.json,", "\"\""]
    {
        let f = check(&format!("sdk: docker\npreload_from_hub:\n  - ok/repo\n  - {bad}"));
        let e = only(&f, "config/invalid-preload-item");
        assert_eq!(e.line, Some(5), "{bad}");
    }
}

#[test]
fn hardware() {
    for hw in HARDWARE_FLAVORS {
        clean(&format!("sdk: docker\nsuggested_hardware: {hw}"));
    }
    let msg = |hw: &str| only(&check(&format!("sdk: docker\nsuggested_hardware: {hw}")), "config/invalid-hardware").message;
    assert!(msg("h100x8").contains("December 2025"));
    assert!(msg("v5e-2x2").contains("TPU"));
    assert!(msg("zero-a10g").contains("ZeroGPU"));
    assert!(msg("t4-smal").contains("did you mean `t4-small`"));
    let f = check("sdk: docker\nsuggested_storage: large");
    assert_eq!(only(&f, "config/storage-ignored").severity, Severity::Warning);
}

#[test]
fn oauth() {
    for scope in OAUTH_SCOPES {
        clean(&format!("sdk: docker\nhf_oauth: true\nhf_oauth_scopes: [{scope}]"));
    }
    let f = check(
        "sdk: docker\nhf_oauth: false\nhf_oauth_scopes: [email]\nhf_oauth_expiration_minutes: 60\nhf_oauth_authorized_org: x",
    );
    assert_eq!(ids(&f), ["config/oauth-without-hf-oauth"; 3]);
    assert!(f[0].message.contains("is not `true`"));
    for bad in [0, 43_201] {
        let f = check(&format!("sdk: docker\nhf_oauth: true\nhf_oauth_expiration_minutes: {bad}"));
        assert_eq!(ids(&f), ["config/invalid-oauth-expiration"]);
    }
    let e = only(&check("sdk: docker\nhf_oauth: true\nhf_oauth_scopes: [read-repo]"), "config/invalid-oauth-scope");
    assert!(e.message.contains("Did you mean `read-repos`"), "{}", e.message);
}

#[test]
fn misc_string_fields() {
    clean("sdk: docker\nheader: default\nbase_path: /docs\nthumbnail: http://x.io/a.png");
    assert_eq!(only(&check("sdk: docker\nheader: Mini"), "config/invalid-header").fix.as_deref(), Some("Write `header: mini`."));
    assert_eq!(
        only(&check("sdk: docker\nbase_path: docs"), "config/invalid-base-path").fix.as_deref(),
        Some("Write `base_path: /docs`.")
    );
    assert_eq!(ids(&check("sdk: docker\nthumbnail: ftp://x.io/a.png")), ["config/invalid-thumbnail"]);
}

#[test]
fn unknown_keys_get_suggestions_and_special_messages() {
    let f =
        check("sdk: docker\nsdk_verison: \"1\"\napp-port: 7860\nhardware: t4-small\ndockerfile: Dockerfile.hf\nfoo_bar_baz: 1");
    assert_eq!(ids(&f), ["config/unknown-key"; 5]);
    assert!(f[0].message.contains("did you mean `sdk_version`"));
    assert!(f[1].message.contains("did you mean `app_port`"));
    assert!(f[2].fix.as_deref().unwrap().contains("suggested_hardware: t4-small"));
    assert!(f[3].message.contains("always builds `Dockerfile`"));
    assert!(f[3].fix.as_deref().unwrap().contains("Rename `Dockerfile.hf` to `Dockerfile`"));
    assert!(!f[4].message.contains("did you mean"));
    let f = check("sdk: gradio\nsdk_version: \"5.0.0\"\nhardware: \"zero-gpu\"");
    assert!(only(&f, "config/unknown-key").message.contains("ZeroGPU"));
}

#[test]
fn huge_values_are_clipped_in_messages() {
    let long = "z".repeat(10_000);
    for body in [
        format!("sdk: {long}"),
        format!("sdk: docker\nheader: \"{long}\""),
        format!("sdk: docker\npinned: '{long}'"),
        format!("sdk: docker\npreload_from_hub: [\"a/b {long}\"]"),
    ] {
        for f in check(&body) {
            assert!(f.message.chars().count() < 400, "{} message is {} chars", f.rule, f.message.len());
            assert!(f.message.contains('…'), "{}", f.message);
        }
    }
}

#[test]
fn duplicate_keys_name_both_lines() {
    let f = check("sdk: docker\ntitle: a\n# c\ntitle: b");
    let e = only(&f, "config/duplicate-key");
    assert_eq!(e.line, Some(5));
    assert!(e.message.contains("line 5") && e.message.contains("first on line 3"), "{}", e.message);
}

#[test]
fn line_numbers_follow_comments_blank_lines_and_crlf() {
    let text = "---\r\n# comment\r\n\r\ntitle: x\r\n  # indented comment\r\nsdk: docker\r\n\r\ncolorFrom: orange\r\n---\r\n";
    let f = check_text(text);
    assert_eq!(only(&f, "config/invalid-color").line, Some(8));
    let c = check_readme("README.md", text);
    let fm = c.front_matter.unwrap();
    assert_eq!((fm.line_of("title"), fm.line_of("sdk"), fm.end_line()), (Some(4), Some(6), 9));
}

#[test]
fn bom_readme_is_parsed_and_flagged() {
    let c = check_readme("README.md", &format!("\u{FEFF}{}", fm("sdk: docker\ncolorTo: teal")));
    assert_eq!(c.front_matter.as_ref().and_then(|f| f.sdk()), Some("docker"));
    assert_eq!(ids(&c.findings), ["readme/bom", "config/invalid-color"]);
}

#[test]
fn no_front_matter_means_no_config_findings() {
    for text in ["", "# Hi\n", "---\nsdk: docker\n", "title: x\nsdk: gradio\n\n# Body"] {
        let c = check_readme("README.md", text);
        assert!(c.front_matter.is_none(), "{text:?}");
        assert!(c.has_errors());
        assert!(c.findings.iter().all(|f| f.rule.starts_with("readme/")), "{:#?}", c.findings);
    }
    // Prose that happens to contain a colon is not mistaken for keys.
    let c = check_readme("README.md", "Note: this is a readme\n");
    assert_eq!(ids(&c.findings), ["readme/missing-front-matter"]);
}

#[test]
fn yaml_syntax_error_reports_line_and_hint() {
    let f = check_text("---\nsdk: docker\ntitle: \"Senti-Quant: AI\nemoji: 🚀\n---\n");
    let e = only(&f, "readme/yaml-syntax");
    assert!(e.line.unwrap() >= 3, "{e:#?}");
    let f = check_text("---\nsdk: docker\n\ttitle: x\n---\n");
    let e = only(&f, "readme/yaml-syntax");
    assert_eq!(e.line, Some(3));
    assert!(e.fix.unwrap().contains("tabs"));
}

#[test]
fn findings_serialize_in_contract_order() {
    let f = check("sdk: docker\ncolorTo: teal");
    let json = serde_json::to_string(&f[0]).unwrap();
    assert!(
        json.starts_with(r#"{"rule":"config/invalid-color","severity":"error","path":"README.md","line":3,"message":"#),
        "{json}"
    );
    assert!(json.ends_with(r#","field":"colorTo"}"#), "{json}");
    let f = check_text("# none\n");
    let json = serde_json::to_value(&f[0]).unwrap();
    assert!(json.get("field").is_none());
    assert_eq!(json["fix"].as_str().map(|s| s.is_empty()), Some(false));
}

#[test]
fn catalogue_is_consistent() {
    let all = all_rules();
    let mut ids: Vec<&str> = all.iter().map(|r| r.id.as_str()).collect();
    ids.sort_unstable();
    let n = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), n, "duplicate rule ids");
    for r in &all {
        assert!(["readme/", "config/", "common/"].iter().any(|p| r.id.starts_with(p)), "{} is not namespaced", r.id);
        assert!(!r.summary.is_empty() && !r.explanation.is_empty() && !r.fix.is_empty(), "{}", r.id);
    }
    assert!(config_rules().iter().all(|r| !r.id.starts_with("common/")));
    assert_eq!(rule("config/unknown-key").map(|r| r.severity), Some(Severity::Warning));
    assert_eq!(rule("common/large-file").map(|r| r.severity), Some(Severity::Info));
    assert!(rule("nope").is_none());
    assert!(Severity::Error < Severity::Warning && Severity::Warning < Severity::Info);
    assert_eq!(serde_json::to_string(&Severity::Info).unwrap(), "\"info\"");
}

// ---- issue 12: severities reviewed against the policy, container cases from real READMEs ----

fn severity(id: &str) -> Severity {
    rule(id).unwrap_or_else(|| panic!("{id} is not in the catalogue")).severity
}

#[test]
fn reviewed_severities_follow_the_policy() {
    use Severity::{Error, Info, Warning};
    // Hub refuses / build fails / app cannot answer.
    for id in ["config/invalid-color", "config/short-description-too-long", "config/version-misread", "readme/merge-conflict"] {
        assert_eq!(severity(id), Error, "{id}");
    }
    // Likely trouble at run time.
    for id in ["config/sdk-deprecated", "config/sdk-version-misread", "config/invalid-thumbnail", "readme/bom"] {
        assert_eq!(severity(id), Warning, "{id}");
    }
    // The Hub ignores it or it is style.
    for id in [
        "config/ignored-for-sdk",
        "config/unquoted-version",
        "config/emoji-missing-zwj",
        "config/legacy-oauth-redirect-path",
        "readme/front-matter-not-first",
    ] {
        assert_eq!(severity(id), Info, "{id}");
    }
    // Each explanation names its evidence.
    let short = rule("config/short-description-too-long").unwrap().explanation;
    assert!(short.contains("ours") && short.contains("observation") && short.contains("not in the Hub's documents"), "{short}");
    let streamlit = rule("config/sdk-deprecated").unwrap();
    assert!(streamlit.explanation.contains("SPACES_SDK_TYPES"), "{}", streamlit.explanation);
    assert!(streamlit.fix.contains("sdk: docker") && streamlit.fix.contains("spacesmith new DIR --sdk streamlit"));
    for id in
        ["readme/bom", "readme/fenced-front-matter", "readme/opening-delimiter-trailing-space", "readme/front-matter-not-first"]
    {
        assert!(rule(id).unwrap().explanation.contains("REGEX_YAML_BLOCK"), "{id} should name the Hub's pattern");
    }
    assert!(rule("readme/bom").unwrap().explanation.contains("unverified"));
}

#[test]
fn legacy_streamlit_space_warns_and_says_where_to_go() {
    // Shape of the corpus's streamlit READMEs.
    let c = check_text(
        "---\ntitle: Multi Agent Job Crew\nemoji: 🐢\ncolorFrom: blue\ncolorTo: green\nsdk: streamlit\nsdk_version: 1.38.0\napp_file: app.py\npinned: false\nshort_description: Crew of agents that tailor a resume to a job\n---\n\nCheck out the configuration reference at https://huggingface.co/docs/hub/spaces-config-reference\n",
    );
    assert!(c.iter().all(|f| f.severity != Severity::Error), "{c:#?}");
    let w = only(&c, "config/sdk-deprecated");
    assert_eq!((w.severity, w.line), (Severity::Warning, Some(6)));
    assert!(w.message.contains("app_port: 8501") && w.message.contains("sdk: docker"), "{}", w.message);
}

#[test]
fn keys_the_sdk_ignores_are_info_not_errors() {
    // A Streamlit app moved to Docker keeps its old keys (corpus: plot-confusion-matrix, cooking-tutor).
    let f = check_text(
        "---\ntitle: Plot Confusion Matrix\nemoji: 📊\ncolorFrom: red\ncolorTo: blue\nsdk: docker\napp_file: app.py\nsdk_version: latest\npython_version: 3.10\napp_port: 8501\npinned: false\n---\n",
    );
    assert_eq!(ids(&f), ["config/ignored-for-sdk"; 3]);
    assert!(f.iter().all(|f| f.severity == Severity::Info), "{f:#?}");
    let fields: Vec<_> = f.iter().map(|f| f.field.as_deref().unwrap()).collect();
    assert_eq!(fields, ["app_file", "sdk_version", "python_version"]);
    // And the other way round: app_port on a Gradio Space.
    let f = check(&format!("{GRADIO}\napp_port: 7861"));
    assert_eq!(only(&f, "config/ignored-for-sdk").severity, Severity::Info);
    assert!(!check_readme("README.md", &fm(&format!("{GRADIO}\napp_port: 7861"))).has_errors());
}

#[test]
fn bom_before_front_matter_is_read_and_explained() {
    let text = "\u{FEFF}---\ntitle: Caption Gen\nemoji: 🖼️\ncolorFrom: purple\ncolorTo: pink\nsdk: gradio\nsdk_version: \"5.49.1\"\napp_file: app.py\npinned: false\n---\n\n# Caption Gen\n";
    let c = check_readme("README.md", text);
    assert_eq!(c.front_matter.as_ref().and_then(|f| f.sdk()), Some("gradio"));
    assert_eq!(ids(&c.findings), ["readme/bom"]);
    let f = &c.findings[0];
    assert_eq!((f.severity, f.line), (Severity::Warning, Some(1)));
    assert!(f.message.contains("huggingface_hub") && f.message.contains("unverified"), "{}", f.message);
    assert!(!c.has_errors());
}

#[test]
fn leading_whitespace_is_skipped_like_the_hub_does() {
    // `^\s*---`: blank lines and spaces before the opening line are fine for the Hub.
    for text in ["\n\n---\nsdk: docker\n---\n", "  ---\nsdk: docker\n---\n", "\n\t---\nsdk: docker\n---\n"] {
        let c = check_readme("README.md", text);
        assert_eq!(c.front_matter.as_ref().and_then(|f| f.sdk()), Some("docker"), "{text:?}");
        assert_eq!(ids(&c.findings), ["readme/front-matter-not-first"], "{text:?}");
        assert_eq!(c.findings[0].severity, Severity::Info);
    }
    // Trailing spaces are allowed on the closing line only.
    let c = check_readme("README.md", "---\nsdk: docker\n---  \t\n# Body\n");
    assert!(c.findings.is_empty(), "{:#?}", c.findings);
}

#[test]
fn trailing_space_after_opening_delimiter_is_an_error_but_the_rest_is_checked() {
    let c = check_readme("README.md", "--- \ntitle: Demo\nsdk: docker\ncolorFrom: orange\n---\n");
    let f = only(&c.findings, "readme/opening-delimiter-trailing-space");
    assert_eq!((f.severity, f.line), (Severity::Error, Some(1)));
    assert_eq!(f.fix.as_deref(), Some("Delete the spaces after `---` on line 1."));
    // The config is still validated, so every other mistake shows up in the same run.
    assert!(c.findings.iter().any(|f| f.rule == "config/invalid-color"), "{:#?}", c.findings);
}

#[test]
fn front_matter_in_a_fenced_block_is_not_read() {
    // Copied from a rendered page: the whole block wrapped in a ```yaml fence.
    let c = check_readme(
        "README.md",
        "```yaml\n---\ntitle: HF Space Monitor\nsdk: docker\napp_port: 7860\n---\n```\n\n# HF Space Monitor\n",
    );
    assert!(c.front_matter.is_none() && c.has_errors());
    let f = only(&c.findings, "readme/fenced-front-matter");
    assert_eq!(f.line, Some(1));
    assert!(f.message.contains("lines 1-7") && f.message.contains("```yaml"), "{}", f.message);
    assert!(f.fix.as_deref().unwrap().starts_with("Delete the fence lines 1 and 7"), "{:?}", f.fix);
    // After a title, without `---`, and unclosed with ~~~.
    let c = check_readme("README.md", "# My Space\n\nConfig:\n\n```yml\ntitle: x\nsdk: gradio\n```\n");
    let f = only(&c.findings, "readme/fenced-front-matter");
    assert_eq!(f.line, Some(5));
    assert!(f.message.contains("after other text"), "{}", f.message);
    let c = check_readme("README.md", "~~~\nsdk: static\n");
    assert!(only(&c.findings, "readme/fenced-front-matter").message.contains("line 1 onwards"));
    // A config example in the body of a README that has front matter is just documentation.
    let c = check_readme("README.md", "---\nsdk: static\n---\n\nExample:\n\n```yaml\nsdk: gradio\n```\n");
    assert!(c.findings.is_empty(), "{:#?}", c.findings);
    // A code block that is not configuration stays a plain missing front matter.
    let c = check_readme("README.md", "```python\nprint('hi')\n```\n");
    assert_eq!(ids(&c.findings), ["readme/missing-front-matter"]);
}

#[test]
fn merge_conflicts_in_front_matter_are_named_not_reported_as_yaml() {
    let text = "---\ntitle: Talk To Your Document\n<<<<<<< HEAD\nemoji: 📄\ncolorFrom: blue\n=======\nemoji: 📚\ncolorFrom: indigo\n>>>>>>> feature/new-theme\ncolorTo: purple\nsdk: gradio\nsdk_version: \"5.49.1\"\n---\n";
    let c = check_readme("README.md", text);
    assert!(c.front_matter.is_none());
    assert_eq!(ids(&c.findings), ["readme/merge-conflict"]);
    let f = &c.findings[0];
    assert_eq!((f.severity, f.line), (Severity::Error, Some(3)));
    assert!(f.message.contains("`<<<<<<< HEAD`") && f.message.contains("cannot parse"), "{}", f.message);
    assert!(f.fix.as_deref().unwrap().contains("(3, 6, 9)"), "{:?}", f.fix);

    // The whole block conflicted: the marker sits where `---` should be.
    let text = "<<<<<<< HEAD\n---\nsdk: gradio\n---\n=======\n---\nsdk: docker\n---\n>>>>>>> main\n# Body\n";
    let c = check_readme("README.md", text);
    let f = only(&c.findings, "readme/merge-conflict");
    assert_eq!(f.line, Some(1));
    assert!(f.message.contains("where the opening `---` should be"), "{}", f.message);
    assert!(f.fix.as_deref().unwrap().contains("(1, 5, 9)"), "{:?}", f.fix);

    // diff3 style, CRLF.
    let text = "---\r\nsdk: docker\r\n<<<<<<< ours\r\napp_port: 7860\r\n||||||| base\r\napp_port: 8000\r\n=======\r\napp_port: 8080\r\n>>>>>>> theirs\r\n---\r\n";
    let f = only(&check_readme("README.md", text).findings, "readme/merge-conflict");
    assert!(f.fix.as_deref().unwrap().contains("(3, 5, 7, 9)"), "{:?}", f.fix);
    // A setext heading underline in the body is not a conflict.
    assert!(check_readme("README.md", "---\nsdk: static\n---\nTitle\n=======\n").findings.is_empty());
}
