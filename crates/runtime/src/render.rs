//! The `render` import: Tera on the host, so plugins stay small (Tera inside a guest costs 10-40x the
//! .wasm size). Templates come from untrusted plugins, so Tera is locked down
//! (`spacesmith_readers::tera`: no environment, no clock, no randomness, a capped `range`), and this
//! module adds capped sizes and a time budget.

use std::sync::mpsc;
use std::time::Instant;

use serde_json::Value;

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
    // The policy (no environment, capped `range`, no autoescape) is shared with the SDK's test renderer.
    let out = spacesmith_readers::tera::render(name, template, value)?;
    if out.len() > max_bytes {
        return Err(format!("rendering `{name}` produced {} bytes; the limit is {max_bytes}", out.len()));
    }
    Ok(out)
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
