//! The Tera sandbox policy (feature `tera`): the host renders plugins' templates with it, and the plugin
//! SDK's test renderer too, so a template that renders in a plugin's tests renders the same bytes there.
//!
//! Templates come from untrusted plugins: no environment (`get_env` refused), no clock or randomness
//! (Tera's `builtins` feature is off), `range` capped at [`MAX_RANGE`] items, and autoescape off, since
//! the output is Dockerfiles, YAML and Python as often as HTML (templates use `| escape` where needed).
//! Size and time limits are the caller's.

use std::collections::HashMap;

use serde_json::Value;

/// Largest sequence `range` may produce; loops over real data are bounded by the context size.
pub const MAX_RANGE: usize = 10_000;

/// An empty Tera configured by the policy; add one template with `add_raw_template` and render it.
pub fn sandboxed() -> ::tera::Tera {
    let mut tera = ::tera::Tera::default();
    // Escaping by file name would turn quotes in YAML, Dockerfiles and Python into entities.
    tera.autoescape_on(vec![]);
    tera.register_function("get_env", |_: &HashMap<String, Value>| -> ::tera::Result<Value> {
        Err("get_env is not available: plugins get no host environment".into())
    });
    tera.register_function("range", bounded_range);
    tera
}

/// Renders `template` named `name` with `context` (a JSON object) under the policy; the error is
/// [`describe`]d.
pub fn render(name: &str, template: &str, context: Value) -> Result<String, String> {
    let context = ::tera::Context::from_value(context).map_err(|e| describe(&e))?;
    let mut tera = sandboxed();
    tera.add_raw_template(name, template).map_err(|e| describe(&e))?;
    tera.render(name, &context).map_err(|e| describe(&e))
}

/// A Tera error with its source chain: Tera's own message hides the useful part (line, column,
/// variable) in the sources.
pub fn describe(err: &::tera::Error) -> String {
    let mut parts = vec![err.to_string()];
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        parts.push(s.to_string());
        source = s.source();
    }
    parts.join(": ")
}

/// Tera's `range(start, end, step_by)` with at most [`MAX_RANGE`] items.
fn bounded_range(args: &HashMap<String, Value>) -> ::tera::Result<Value> {
    let int = |key: &str, default: Option<i64>| -> ::tera::Result<i64> {
        match args.get(key) {
            Some(v) => v.as_i64().ok_or_else(|| format!("range: `{key}` must be an integer").into()),
            None => default.ok_or_else(|| format!("range: `{key}` is required").into()),
        }
    };
    let (start, end, step) = (int("start", Some(0))?, int("end", None)?, int("step_by", Some(1))?);
    if step <= 0 {
        return Err("range: `step_by` must be positive".into());
    }
    let count = if end > start { ((end - start - 1) / step + 1) as usize } else { 0 };
    if count > MAX_RANGE {
        return Err(format!("range: {count} items is more than the {MAX_RANGE} allowed").into());
    }
    Ok(Value::Array((0..count as i64).map(|i| Value::from(start + i * step)).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn renders_without_autoescape() {
        let out = render("index.html", "{{ s }}|{{ s | escape }}", json!({"s": "<a href=\"x\">"})).unwrap();
        assert_eq!(out, "<a href=\"x\">|&lt;a href=&quot;x&quot;&gt;");
    }

    #[test]
    fn ranges_are_bounded() {
        let r = |t: &str| render("t", t, json!({}));
        assert_eq!(r("{% for i in range(end=3) %}{{ i }}{% endfor %}").unwrap(), "012");
        assert_eq!(r("{% for i in range(start=2, end=9, step_by=3) %}{{ i }}{% endfor %}").unwrap(), "258");
        assert_eq!(r("{% for i in range(start=5, end=1) %}x{% endfor %}").unwrap(), "");
        assert!(r("{% for i in range(end=100000000) %}x{% endfor %}").unwrap_err().contains("more than the 10000 allowed"));
        assert!(r("{% for i in range(end=3, step_by=0) %}{% endfor %}").unwrap_err().contains("must be positive"));
        assert!(r("{% for i in range(end=\"3\") %}{% endfor %}").unwrap_err().contains("must be an integer"));
    }

    #[test]
    fn gives_no_environment_clock_or_randomness() {
        let r = |t: &str| render("t", t, json!({}));
        assert!(r("{{ get_env(name=\"HOME\") }}").unwrap_err().contains("no host environment"));
        assert!(r("{{ now() }}").unwrap_err().contains("now"));
        assert!(r("{{ get_random(end=9) }}").unwrap_err().contains("get_random"));
    }

    #[test]
    fn errors_carry_their_location() {
        let err = render("Dockerfile.tera", "line1\n{% if %}", json!({})).unwrap_err();
        assert!(err.contains("Dockerfile.tera") && err.contains("2:"), "{err}");
        assert!(render("t", "{{ missing }}", json!({})).unwrap_err().contains("missing"));
    }
}
