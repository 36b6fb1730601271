//! Fuzzing the SDK's text readers every plugin's `check` uses on user files: requirements.txt, Python
//! source (imports, calls, keyword arguments, values), TOML config, and the literal writers. Properties:
//! no panic, results inside the input, round-trips. `scripts/fuzz` runs it longer.

#[path = "../../../tests/support/fuzz.rs"]
mod fuzz_support;

use std::collections::BTreeMap;

use fuzz_support::fuzz;
use proptest::prelude::*;
use spacesmith_plugin_sdk::text::*;

const CASES: u32 = 512;

#[rustfmt::skip]
const PIECES: &[&str] = &[
    "gradio", "Gradio", "gradio_client", "streamlit", "fastapi", "==", "===", ">=", "~=", "!=", "*", ",", ";", "[", "]",
    "extra", "python_version<'3.11'", "-r other.txt", "--extra-index-url https://x", "git+https://x/y.git", " #", "\t#",
    "#", "4.44.1", "1.0", " ", "\n", "\r\n", "import ", "from ", " import ", " as ", "os", "os.environ.get(", "getenv(",
    "os.environ[", "int(", "\"PORT\"", "'PORT'", "\"", "'", "\\", "(", ")", "{", "}", "=", "7860", ".launch(",
    "uvicorn.run(", "server_port", "server_name", "host", "port", "[server]", "server.port", "[[x]]", "é", "🐳",
    "\u{0}", "\u{feff}", "\"\"\"",
];

fn text() -> BoxedStrategy<String> {
    prop_oneof![
        6 => prop::collection::vec(prop::sample::select(PIECES), 0..40).prop_map(|p| p.concat()),
        1 => any::<String>(),
        1 => (1usize..400, prop::sample::select(PIECES)).prop_map(|(n, p)| p.repeat(n * 20)),
    ]
    .boxed()
}

fn lines(text: &str) -> u32 {
    text.split('\n').count() as u32
}

#[test]
fn requirements() {
    let package = prop::sample::select(vec!["gradio", "Gradio_Client", "streamlit", "fast.api", "", "é"]);
    fuzz("sdk/requirements", regressions!(), CASES, (text(), package), |(reqs, package)| {
        if let Some(r) = find_requirement(&reqs, package) {
            prop_assert!(r.line >= 1 && r.line <= lines(&reqs));
            prop_assert_eq!(&r.name, &normalize_package(package));
            prop_assert!(r.pinned.as_ref().is_none_or(|v| !v.is_empty() && reqs.contains(v.as_str())));
        }
        let n = normalize_package(&reqs);
        prop_assert_eq!(normalize_package(&n), n.clone(), "normalising is idempotent");
        Ok(())
    });
}

#[test]
fn python_readers() {
    fuzz("sdk/python", regressions!(), CASES, text(), |source| {
        let _ = (python_imports(&source, "gradio"), python_imports(&source, ""));
        for callee in [".launch(", "uvicorn.run(", "("] {
            let calls = python_calls(&source, callee);
            prop_assert!(calls.len() <= 64);
            for (line, args) in calls {
                prop_assert!(line >= 1 && line <= lines(&source));
                prop_assert!(source.contains(args));
                let parts = split_top_level(args);
                prop_assert_eq!(parts.join(","), args, "the parts are the whole argument text");
                let vars: BTreeMap<String, String> = [("PORT".to_string(), "8000".to_string())].into();
                for name in ["server_port", "port", "host"] {
                    let _ = python_value(python_keyword(args, name), &vars);
                }
            }
        }
        if let Some(end) = balanced(&source) {
            prop_assert_eq!(&source[end..end + 1], ")");
        }
        for line in source.lines() {
            let code = python_code(line);
            prop_assert!(line.starts_with(code));
        }
        let _ = python_string_literal(&source);
        let vars = BTreeMap::new();
        let _ = python_value(Some(&source), &vars);
        Ok(())
    });
}

#[test]
fn toml_and_lines() {
    fuzz("sdk/toml", regressions!(), CASES, (text(), any::<usize>()), |(toml, offset)| {
        if let Some((line, value)) = toml_value(&toml, "server", "port") {
            prop_assert!(line >= 1 && line <= lines(&toml));
            prop_assert!(value.len() <= toml.len());
        }
        let l = line_of(&toml, offset);
        prop_assert!(l >= 1 && l <= lines(&toml));
        Ok(())
    });
}

#[test]
fn literal_writers_round_trip() {
    fuzz("sdk/literals", regressions!(), CASES, (any::<String>(), 0usize..80), |(s, max)| {
        let yaml: serde_json::Value = serde_json::from_str(&yaml_str(&s)).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(yaml.as_str(), Some(s.as_str()));
        let t = truncate_chars(&s, max);
        prop_assert!(t.chars().count() <= max.max(1));
        if s.chars().count() <= max {
            prop_assert_eq!(&t, &s);
        }
        let one = one_line(&s, "fallback");
        prop_assert!(!one.is_empty() && !one.contains(['\n', '\r']) && !one.chars().any(char::is_control));
        Ok(())
    });
}

/// Deep nesting and long inputs: no recursion depth or quadratic scan to exhaust.
#[test]
fn deep_nesting_and_huge_inputs() {
    let depth = 100_000;
    let vars = BTreeMap::new();
    let nested = format!("{}7860{}", "os.getenv(\"X\", ".repeat(depth), ")".repeat(depth));
    assert_eq!(python_value(Some(&nested), &vars), None, "too deep to follow");
    let parens = format!("x.launch({}", "(".repeat(depth));
    assert!(python_calls(&parens, ".launch(").is_empty());
    let many = "demo.launch(\n".repeat(depth);
    assert!(python_calls(&many, ".launch(").is_empty(), "unclosed calls are not calls");
    assert_eq!(balanced(&format!("{}{}", "(".repeat(depth), ")".repeat(depth + 1))), None, "past the argument cap");
}
