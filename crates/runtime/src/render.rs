//! The `render` import: Tera on the host, so plugins stay small (Tera inside a guest costs 10-40x the
//! .wasm size). Templates come from untrusted plugins, so Tera is locked down: no environment, no clock,
//! no randomness (the `builtins` feature is off), a capped `range`, capped sizes and a time budget.

use std::collections::HashMap;
use std::sync::mpsc;
use std::time::Instant;

use serde_json::Value;

/// Largest sequence `range` may produce; loops over real data are bounded by the context size.
const MAX_RANGE: usize = 10_000;

#[derive(Debug)]
pub(crate) enum RenderFailure {
    /// Reported back to the plugin as `err(message)`.
    Template(String),
    /// The render did not finish before the call's deadline; the call is trapped.
    Timeout,
}

/// Render on a worker thread so a pathological template cannot outlive the call's deadline.
/// A timed-out worker is abandoned; it owns only its inputs.
pub(crate) fn render(
    name: &str,
    template: &str,
    context_json: &str,
    max_bytes: usize,
    deadline: Instant,
) -> Result<String, RenderFailure> {
    if template.len() > max_bytes || context_json.len() > max_bytes {
        return Err(RenderFailure::Template(format!("template `{name}` or its context is larger than {max_bytes} bytes")));
    }
    let (tx, rx) = mpsc::channel();
    let (name_owned, template, context_json) = (name.to_string(), template.to_string(), context_json.to_string());
    std::thread::Builder::new()
        .name("spacesmith-render".into())
        .spawn(move || {
            let _ = tx.send(render_now(&name_owned, &template, &context_json, max_bytes));
        })
        .map_err(|e| RenderFailure::Template(format!("could not start rendering `{name}`: {e}")))?;
    match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        Ok(result) => result.map_err(RenderFailure::Template),
        Err(_) => Err(RenderFailure::Timeout),
    }
}

pub(crate) fn render_now(name: &str, template: &str, context_json: &str, max_bytes: usize) -> Result<String, String> {
    let value: Value =
        serde_json::from_str(context_json).map_err(|e| format!("the context for `{name}` is not valid JSON: {e}"))?;
    if !value.is_object() {
        return Err(format!("the context for `{name}` must be a JSON object"));
    }
    let context = tera::Context::from_value(value).map_err(|e| describe(&e))?;
    let mut tera = tera::Tera::default();
    // Output is Dockerfiles, YAML and Python as often as HTML: escaping by file name would turn quotes
    // into entities. Templates escape explicitly (`| escape`) where they need it.
    tera.autoescape_on(vec![]);
    tera.register_function("get_env", |_: &HashMap<String, Value>| -> tera::Result<Value> {
        Err("get_env is not available: plugins get no host environment".into())
    });
    tera.register_function("range", bounded_range);
    tera.add_raw_template(name, template).map_err(|e| describe(&e))?;
    let out = tera.render(name, &context).map_err(|e| describe(&e))?;
    if out.len() > max_bytes {
        return Err(format!("rendering `{name}` produced {} bytes; the limit is {max_bytes}", out.len()));
    }
    Ok(out)
}

/// Tera's own messages hide the useful part (line, column, variable) in the source chain.
fn describe(err: &tera::Error) -> String {
    let mut parts = vec![err.to_string()];
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        parts.push(s.to_string());
        source = s.source();
    }
    parts.join(": ")
}

fn bounded_range(args: &HashMap<String, Value>) -> tera::Result<Value> {
    let int = |key: &str, default: Option<i64>| -> tera::Result<i64> {
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
    use std::time::Duration;

    fn later() -> Instant {
        Instant::now() + Duration::from_secs(5)
    }

    #[test]
    fn renders_templates() {
        let out = render(
            "t",
            "Hello {{ name | upper }}{% for i in range(end=3) %}{{ i }}{% endfor %}",
            r#"{"name":"x"}"#,
            1 << 20,
            later(),
        );
        assert_eq!(out.unwrap(), "Hello X012");
    }

    #[test]
    fn never_autoescapes() {
        let out = render_now("index.html", "{{ s }}|{{ s | escape }}", r#"{"s":"<a href=\"x\">"}"#, 1 << 20).unwrap();
        assert_eq!(out, "<a href=\"x\">|&lt;a href=&quot;x&quot;&gt;");
    }

    #[test]
    fn gives_no_host_environment_or_huge_ranges() {
        let err = render_now("t", "{{ get_env(name=\"HOME\") }}", "{}", 1 << 20).unwrap_err();
        assert!(err.contains("no host environment"), "{err}");
        let err = render_now("t", "{% for i in range(end=100000000) %}x{% endfor %}", "{}", 1 << 20).unwrap_err();
        assert!(err.contains("more than the 10000 allowed"), "{err}");
        let err = render_now("t", "{{ now() }}", "{}", 1 << 20).unwrap_err();
        assert!(err.contains("now"), "{err}");
    }

    #[test]
    fn reports_template_errors_with_location() {
        let err = render_now("Dockerfile.tera", "line1\n{% if %}", "{}", 1 << 20).unwrap_err();
        assert!(err.contains("Dockerfile.tera") && err.contains("2:"), "{err}");
        let err = render_now("t", "{{ missing }}", "{}", 1 << 20).unwrap_err();
        assert!(err.contains("missing"), "{err}");
        assert!(render_now("t", "x", "[1]", 1 << 20).unwrap_err().contains("JSON object"));
    }

    #[test]
    fn caps_output_and_time() {
        let ctx = format!(r#"{{"items":[{}]}}"#, vec!["1"; 1500].join(","));
        let nested = "{% for a in items %}{% for b in items %}{{ a }}{% endfor %}{% endfor %}";
        let err = render_now("t", nested, &ctx, 1 << 20).unwrap_err();
        assert!(err.contains("limit"), "{err}");
        let result = render("t", nested, &ctx, usize::MAX >> 1, Instant::now() + Duration::from_millis(20));
        assert!(matches!(result, Err(RenderFailure::Timeout)), "{result:?}");
    }
}
