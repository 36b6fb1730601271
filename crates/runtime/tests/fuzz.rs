//! Fuzzing what the runtime reads from a plugin file before trusting it: the contract version from the
//! component's exports, the embedded `spacesmith-manifest` section wherever it sits, and the manifest's
//! TOML. Inputs: arbitrary bytes, the frozen contract-0.1 component mutated (truncated, bytes flipped,
//! custom sections inserted between sections), and structure-aware manifests. `scripts/fuzz` runs it longer.

#[path = "../../../tests/support/fuzz.rs"]
mod fuzz_support;

use fuzz_support::fuzz;
use proptest::prelude::*;
use spacesmith_runtime::contract::{Version, inspect};
use spacesmith_runtime::manifest::{MANIFEST_SECTION, Manifest, ManifestError};
use spacesmith_runtime::{Capability, Limits};

const CASES: u32 = 256;

fn fixture() -> Vec<u8> {
    std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/contract/v0.1/plugin.wasm"))
        .expect("committed fixture")
}

fn leb(mut n: usize, out: &mut Vec<u8>) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn custom_section(name: &str, data: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    leb(name.len(), &mut body);
    body.extend_from_slice(name.as_bytes());
    body.extend_from_slice(data);
    let mut out = vec![0];
    leb(body.len(), &mut out);
    out.extend(body);
    out
}

/// Offsets where a top-level section starts (and the end), walked by hand from the 8-byte header;
/// stops where the bytes no longer hold a section.
fn section_boundaries(bytes: &[u8]) -> Vec<usize> {
    let mut at = 8;
    let mut out = vec![at];
    'sections: while at < bytes.len() {
        let (mut size, mut shift, mut i) = (0usize, 0, at + 1);
        loop {
            let Some(&b) = bytes.get(i).filter(|_| shift < 35) else { break 'sections };
            size |= usize::from(b & 0x7f) << shift;
            shift += 7;
            i += 1;
            if b & 0x80 == 0 {
                break;
            }
        }
        at = i + size;
        out.push(at.min(bytes.len()));
    }
    out
}

#[derive(Clone, Debug)]
enum Mutation {
    Truncate(usize),
    Flip(usize, u8),
    Insert { boundary: usize, name: bool, data: Vec<u8> },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), 1u8..=255).prop_map(|(at, x)| Mutation::Flip(at, x)),
        (any::<usize>(), any::<bool>(), prop::collection::vec(any::<u8>(), 0..64))
            .prop_map(|(boundary, name, data)| Mutation::Insert { boundary, name, data }),
    ]
}

#[test]
fn contract_reader_on_mutated_components() {
    let original = fixture();
    assert_eq!(section_boundaries(&original).last(), Some(&original.len()), "the walk covers the file");
    let baseline = inspect(&original).expect("the fixture inspects");
    fuzz("runtime/contract", regressions!(), CASES, prop::collection::vec(mutation(), 1..4), |mutations| {
        let mut bytes = original.clone();
        let mut inserted = Vec::new();
        for m in &mutations {
            match m {
                Mutation::Truncate(at) => bytes.truncate(at % (bytes.len() + 1)),
                Mutation::Flip(at, x) if !bytes.is_empty() => {
                    let i = at % bytes.len();
                    bytes[i] ^= x;
                }
                Mutation::Flip(..) => {}
                Mutation::Insert { boundary, name, data } => {
                    let boundaries = section_boundaries(&bytes);
                    let at = boundaries[boundary % boundaries.len()].min(bytes.len());
                    let name = if *name { MANIFEST_SECTION } else { "other" };
                    bytes.splice(at..at, custom_section(name, data));
                    inserted.push((name, data.clone()));
                }
            }
        }
        let result = inspect(&bytes);
        let only_inserts = mutations.iter().all(|m| matches!(m, Mutation::Insert { .. }));
        if only_inserts {
            // Custom sections between sections change neither the version nor lose manifest bytes.
            let got = result.map_err(|e| TestCaseError::fail(format!("{e}")))?;
            prop_assert_eq!(got.version, baseline.version);
            let manifest = got.manifest.unwrap_or_default();
            let expected: usize = baseline.manifest.as_ref().map_or(0, Vec::len)
                + inserted.iter().filter(|(n, _)| *n == MANIFEST_SECTION).map(|(_, d)| d.len()).sum::<usize>();
            prop_assert_eq!(manifest.len(), expected);
            let _ = Manifest::from_section(Some(&manifest));
        } else if let Ok(got) = result {
            prop_assert!(got.manifest.as_ref().is_none_or(|m| m.len() <= bytes.len()));
            let _ = Manifest::from_section(got.manifest.as_deref());
        }
        Ok(())
    });
}

#[test]
fn contract_reader_on_arbitrary_bytes() {
    let header = prop::sample::select(vec![
        b"\0asm\x0d\x00\x01\x00".to_vec(),
        b"\0asm\x01\x00\x00\x00".to_vec(),
        b"\0asm".to_vec(),
        Vec::new(),
    ]);
    fuzz(
        "runtime/contract-bytes",
        regressions!(),
        CASES * 4,
        (header, prop::collection::vec(any::<u8>(), 0..256)),
        |(h, tail)| {
            let bytes = [h, tail].concat();
            let _ = inspect(&bytes);
            Ok(())
        },
    );
}

#[rustfmt::skip]
const MANIFEST_LINES: &[&str] = &[
    "manifest-version = 1", "manifest-version = 2", "manifest-version = 0", "manifest-version = -1",
    "manifest-version = 99999999999", "manifest-version = \"1\"", "[capabilities]", "[limits]", "[other]",
    "[capabilities.x]", "[[limits]]", "project-read = \"reads files\"", "project-read = \"\\u001b[31mred\\u0007\"",
    "project-read = 1", "camera = \"no\"", "\"project-read\" = \"quoted key\"", "memory-mib = 128", "memory-mib = 0",
    "memory-mib = 18446744073709551615", "memory-mib = -5", "memory-mib = 1e9", "call-timeout-ms = 5000",
    "call-timeout-ms = 0", "output-mib = 4096", "unknown = 1", "limits.memory-mib = 64", "capabilities = {}",
    "x = [1, [2, [3]]]", "y = { a = { b = 1 } }", "z = '''\nmulti\n'''", "# comment", "", "=", "[", "\"", "a.b.c.d = 1",
];

fn manifest_text() -> impl Strategy<Value = String> {
    let line = prop_oneof![
        8 => prop::sample::select(MANIFEST_LINES).prop_map(str::to_string),
        1 => any::<String>().prop_map(|s| s.chars().take(24).collect()),
        1 => any::<String>().prop_map(|s| format!("project-read = {}", toml_string(&s))),
    ];
    prop::collection::vec(line, 0..16).prop_map(|l| l.join("\n"))
}

/// A TOML basic string: JSON escapes are TOML's, except that TOML has no `\/` (serde_json never writes it).
fn toml_string(s: &str) -> String {
    serde_json::Value::from(s).to_string()
}

fn check_parsed(m: &Manifest) -> Result<(), TestCaseError> {
    for why in m.capabilities.values() {
        prop_assert!(why.chars().count() <= 501 && !why.chars().any(|c| c.is_control() && c != '\n' && c != '\t'), "{why:?}");
    }
    for name in &m.unknown_capabilities {
        prop_assert!(name.chars().count() <= 65 && !name.chars().any(|c| c.is_control() && c != '\n' && c != '\t'));
    }
    let limits = m.limits.apply(&Limits::default()).clamped();
    let max = Limits::hard_maximum();
    prop_assert!(limits.memory_bytes <= max.memory_bytes && limits.call_timeout <= max.call_timeout);
    let _ = m.limits.over_maximum();
    Ok(())
}

#[test]
fn manifest_parser() {
    fuzz("runtime/manifest", regressions!(), CASES * 2, manifest_text(), |text| {
        if let Ok(m) = Manifest::parse(&text) {
            check_parsed(&m)?;
        }
        let _ = Manifest::from_section(Some(text.as_bytes()));
        Ok(())
    });
}

#[test]
fn manifest_round_trip() {
    let reason = any::<String>();
    let limit = prop::option::of(1u64..100_000);
    fuzz(
        "runtime/manifest-round-trip",
        regressions!(),
        CASES,
        (reason, limit.clone(), limit.clone(), limit),
        |(why, memory, timeout, output)| {
            let mut text = format!("manifest-version = 1\n[capabilities]\nproject-read = {}\n[limits]\n", toml_string(&why));
            for (key, v) in [("memory-mib", memory), ("call-timeout-ms", timeout), ("output-mib", output)] {
                if let Some(v) = v {
                    text.push_str(&format!("{key} = {v}\n"));
                }
            }
            let m = Manifest::parse(&text).map_err(|e| TestCaseError::fail(format!("{e}: {text}")))?;
            check_parsed(&m)?;
            let kept = m.capabilities.get(&Capability::ProjectRead).ok_or_else(|| TestCaseError::fail("capability lost"))?;
            prop_assert_eq!(kept, &spacesmith_runtime::output::sanitize_text(&why, 500));
            prop_assert_eq!((m.limits.memory_mib, m.limits.call_timeout_ms, m.limits.output_mib), (memory, timeout, output));
            Ok(())
        },
    );
}

#[test]
fn manifest_deep_nesting_and_size() {
    // As deep as 64 KiB allows, in every TOML nesting form: refused or parsed, never a stack overflow.
    let depth = 30_000;
    for text in [
        format!("manifest-version = 1\nx = {}{}", "[".repeat(depth), "]".repeat(depth)),
        format!("manifest-version = 1\nx = {}1{}", "{a=".repeat(depth / 2), "}".repeat(depth / 2)),
        format!("manifest-version = 1\n{} = 1", vec!["a"; depth].join(".")),
        format!("manifest-version = 1\n[{}]", vec!["a"; depth].join(".")),
        format!("manifest-version = 1\nx = {}", "[".repeat(depth)),
    ] {
        assert!(text.len() <= 64 << 10);
        assert!(Manifest::parse(&text).is_err(), "unknown keys are refused");
    }
    let over = format!("manifest-version = 1\n#{}", "x".repeat(64 << 10));
    assert_eq!(Manifest::parse(&over), Err(ManifestError::TooLarge));
    assert_eq!(Manifest::from_section(Some(over.as_bytes())), Err(ManifestError::TooLarge));
    assert_eq!(Version::parse(&"9".repeat(100_000)), None);
}
