//! The runner every `tests/fuzz.rs` shares (included with `#[path]`): a bounded proptest run in the
//! normal test suite, `PROPTEST_CASES` for longer runs (scripts/fuzz), failures persisted under
//! `proptest-regressions/`, and, with `FUZZ_REPORT=1`, the slowest case of each target printed.
//! Time is reported, never asserted: a slow case is a bug to fix, not a flaky test.

#![allow(dead_code)]

use std::fmt::Debug;
use std::time::{Duration, Instant};

use proptest::strategy::Strategy;
use proptest::test_runner::{Config, FileFailurePersistence, TestCaseError, TestRunner};

/// Where a crate's `tests/fuzz.rs` keeps the seeds of the cases that failed (committed, replayed first).
#[macro_export]
macro_rules! regressions {
    () => {
        concat!(env!("CARGO_MANIFEST_DIR"), "/proptest-regressions/fuzz.txt")
    };
}

/// Runs `test` on `cases` inputs of `strategy` (or `$PROPTEST_CASES`); panics with the shrunk input on
/// failure, after saving its seed in `regressions` (see [`regressions!`]).
pub fn fuzz<S>(
    name: &str,
    regressions: &'static str,
    cases: u32,
    strategy: S,
    test: impl Fn(S::Value) -> Result<(), TestCaseError>,
) where
    S: Strategy,
    S::Value: Clone + Debug,
{
    fuzz_weighted(name, regressions, cases, 1, strategy, test);
}

/// [`fuzz`] for a costly target (one that spawns processes, say): `1/divisor` of the cases, also of
/// `$PROPTEST_CASES`.
pub fn fuzz_weighted<S>(
    name: &str,
    regressions: &'static str,
    cases: u32,
    divisor: u32,
    strategy: S,
    test: impl Fn(S::Value) -> Result<(), TestCaseError>,
) where
    S: Strategy,
    S::Value: Clone + Debug,
{
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(cases);
    let cases = (cases / divisor.max(1)).max(1);
    let config = Config {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(regressions))),
        // Shrinking a failure should not take longer than finding it.
        max_shrink_iters: 4096,
        ..Config::default()
    };
    quiet_panics();
    let mut runner = TestRunner::new(config);
    let slowest = std::cell::RefCell::new((Duration::ZERO, String::new()));
    let started = Instant::now();
    let result = runner.run(&strategy, |input| {
        let t = Instant::now();
        QUIET.set(true);
        let outcome = test(input.clone());
        QUIET.set(false);
        let took = t.elapsed();
        let mut s = slowest.borrow_mut();
        if took > s.0 {
            let text = format!("{input:?}");
            let shown: String = text.chars().take(300).collect();
            *s = (took, format!("{} chars of input: {shown}{}", text.len(), if shown.len() < text.len() { "…" } else { "" }));
        }
        outcome
    });
    if std::env::var_os("FUZZ_REPORT").is_some() {
        let (took, input) = slowest.into_inner();
        println!(
            "fuzz {name}: {cases} cases in {:.2} s; slowest case {:.3} ms ({input})",
            started.elapsed().as_secs_f64(),
            took.as_secs_f64() * 1e3
        );
    }
    if let Err(e) = result {
        panic!("fuzz target {name} failed: {e}");
    }
}

thread_local! {
    static QUIET: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// proptest catches panics and reports the shrunk one; the hook would print every try while shrinking.
/// Other threads (plain tests) keep the default hook.
fn quiet_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET.get() {
                default(info);
            }
        }));
    });
}

/// Splits `text` into pieces at the given (sorted, deduplicated, char-boundary) cut points.
pub fn chunks<'a>(text: &'a str, cuts: &[usize]) -> Vec<&'a str> {
    let mut out = Vec::new();
    let mut start = 0;
    for &c in cuts {
        if c > start && c < text.len() && text.is_char_boundary(c) {
            out.push(&text[start..c]);
            start = c;
        }
    }
    out.push(&text[start..]);
    out
}
