//! requirements.txt: which line names a package, and the version it pins.

/// A PEP 503 normalised distribution name: lowercase, runs of `-`, `_`, `.` as one `-`.
pub fn normalize_package(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.trim().chars() {
        if matches!(c, '-' | '_' | '.') {
            if !out.ends_with('-') {
                out.push('-');
            }
        } else {
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

/// A requirement line of `requirements.txt` naming a package.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Requirement {
    /// 1-based.
    pub line: u32,
    /// Normalised name.
    pub name: String,
    /// The version of an exact pin (`==X` or `===X`), if the line is one.
    pub pinned: Option<String>,
}

/// The requirement of `requirements.txt` text that names `package` (normalised comparison), if any.
/// Options (`-r`, `--extra-index-url`, ...), URLs and comments are skipped; extras and environment
/// markers are ignored.
pub fn find_requirement(requirements: &str, package: &str) -> Option<Requirement> {
    let wanted = normalize_package(package);
    requirements.lines().enumerate().find_map(|(i, raw)| {
        let line = strip_requirement_comment(raw).trim();
        if line.is_empty() || line.starts_with('-') || line.contains("://") {
            return None;
        }
        let line = line.split(';').next().unwrap_or_default().trim();
        let (name, rest) = split_name(line);
        if normalize_package(name) != wanted {
            return None;
        }
        let rest = rest.trim_start();
        let rest = match rest.strip_prefix('[') {
            Some(extras) => extras.split_once(']').map_or("", |(_, after)| after).trim_start(),
            None => rest,
        };
        let pinned = rest
            .strip_prefix("===")
            .or_else(|| rest.strip_prefix("=="))
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty() && !v.contains([',', '*', '<', '>', '!', '~']));
        Some(Requirement { line: u32::try_from(i + 1).unwrap_or(u32::MAX), name: wanted.clone(), pinned })
    })
}

/// Whether `requirements` (requirements.txt text) installs `package` in any form: a version specifier,
/// extras, or a direct reference (`gradio @ https://...`). This is what decides whether an SDK still
/// has to install its own copy (the Hub pre-installs gradio only when the Space does not).
pub fn requires(requirements: &str, package: &str) -> bool {
    let wanted = normalize_package(package);
    requirements.lines().any(|raw| {
        let line = strip_requirement_comment(raw).trim();
        let (name, _) = split_name(line);
        !line.starts_with('-') && !name.is_empty() && normalize_package(name) == wanted
    })
}

/// A requirement line split after its distribution name.
fn split_name(line: &str) -> (&str, &str) {
    let end = line.find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))).unwrap_or(line.len());
    line.split_at(end)
}

/// A requirements.txt line without its comment (`#` at the start or after whitespace).
fn strip_requirement_comment(line: &str) -> &str {
    if line.trim_start().starts_with('#') {
        return "";
    }
    match line.find(" #").or_else(|| line.find("\t#")) {
        Some(i) => &line[..i],
        None => line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requirements_pins_are_found_by_normalised_name() {
        let req =
            "# deps\n-r base.txt\nnumpy>=1\nGradio[oauth] == 5.0.1 ; python_version >= '3.10'  # pinned\nx @ https://e/x.whl\n";
        assert_eq!(
            find_requirement(req, "gradio"),
            Some(Requirement { line: 4, name: "gradio".into(), pinned: Some("5.0.1".into()) })
        );
        assert_eq!(find_requirement(req, "numpy").unwrap().pinned, None);
        assert_eq!(find_requirement(req, "streamlit"), None);
        assert_eq!(find_requirement("Streamlit_Foo==1\n", "streamlit-foo").unwrap().pinned.as_deref(), Some("1"));
        assert_eq!(find_requirement("gradio==5.*\n", "gradio").unwrap().pinned, None);
        assert_eq!(find_requirement("gradio-client==1.0\n", "gradio"), None);
    }

    #[test]
    fn requirements_naming_a_package() {
        assert!(requires("# c\nGradio[oauth]>=5 # x\n", "gradio"));
        assert!(requires("gradio==6.0", "gradio"));
        assert!(!requires("gradio_client==1\n# gradio\n", "gradio"));
        assert!(requires("streamlit @ https://example.com/streamlit-1.0-py3-none-any.whl\n", "streamlit"));
        assert!(requires("Streamlit.Extras\n", "streamlit-extras"));
        assert!(!requires("-e git+https://github.com/gradio-app/gradio#egg=gradio\n--index-url x\n", "gradio"));
        assert!(!requires("", "gradio") && !requires("gradio", ""));
    }
}
