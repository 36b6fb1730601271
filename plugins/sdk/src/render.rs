//! Template rendering: plugins carry no template engine; the host renders Tera for them.

use crate::{PluginError, Value};

/// Something that renders a Tera template with a JSON context: the host ([`HostRenderer`]) inside the
/// component, a test renderer natively.
pub trait Render {
    /// Renders `template` (Tera source) named `name` with `context` (a JSON object).
    fn render(&self, name: &str, template: &str, context: &Value) -> Result<String, PluginError>;
}

/// Renders through the host's `render` import (Tera 1 without clock, randomness or environment).
#[derive(Clone, Copy, Debug, Default)]
pub struct HostRenderer;

impl Render for HostRenderer {
    fn render(&self, name: &str, template: &str, context: &Value) -> Result<String, PluginError> {
        render(name, template, context)
    }
}

/// Renders `template` with `context` through the host; a failure becomes a plugin error naming the template.
pub fn render(name: &str, template: &str, context: &Value) -> Result<String, PluginError> {
    #[cfg(target_arch = "wasm32")]
    {
        crate::bindings::spacesmith::plugin::host::render(name, template, &context.to_string())
            .map_err(|e| PluginError::new(format!("template {name}: {e}")))
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = (template, context);
        Err(PluginError::new(format!(
            "template {name}: the host's render import only exists inside the wasm component \
             (natively, render a Plan with a test renderer)"
        )))
    }
}
