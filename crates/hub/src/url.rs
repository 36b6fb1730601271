//! URL pieces: percent-encoding as huggingface_hub's `quote`, and origins for redirect handling.

/// Percent-encodes everything but RFC 3986 unreserved characters (and `/` when `keep_slash`).
pub fn quote(s: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') || (keep_slash && b == b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `scheme://host[:port]` of an absolute URL.
pub fn origin(url: &str) -> Option<&str> {
    let scheme_end = url.find("://")? + 3;
    let end = url[scheme_end..].find(['/', '?', '#']).map_or(url.len(), |i| scheme_end + i);
    Some(&url[..end])
}

/// Resolves a `Location` header against the URL that answered it.
pub fn resolve_location(base: &str, location: &str) -> String {
    if location.contains("://") {
        location.to_string()
    } else if location.starts_with('/') {
        format!("{}{location}", origin(base).unwrap_or(""))
    } else {
        let dir = base.rsplit_once('/').map_or(base, |(d, _)| d);
        format!("{dir}/{location}")
    }
}

/// Rewrites `https://huggingface.co` in hrefs the Hub returns to the configured endpoint (reference §3.3).
pub fn fix_endpoint(href: &str, endpoint: &str) -> String {
    match href.strip_prefix(crate::auth::DEFAULT_ENDPOINT) {
        Some(rest) if endpoint != crate::auth::DEFAULT_ENDPOINT && (rest.is_empty() || rest.starts_with('/')) => {
            format!("{endpoint}{rest}")
        }
        _ => href.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(quote("refs/pr/3", false), "refs%2Fpr%2F3");
        assert_eq!(quote("a b/ü.txt", true), "a%20b/%C3%BC.txt");
    }

    #[test]
    fn origins_and_locations() {
        assert_eq!(origin("http://127.0.0.1:80/a/b?x"), Some("http://127.0.0.1:80"));
        assert_eq!(origin("https://h"), Some("https://h"));
        assert_eq!(resolve_location("http://h:1/a/b", "/c"), "http://h:1/c");
        assert_eq!(resolve_location("http://h:1/a/b", "c"), "http://h:1/a/c");
        assert_eq!(resolve_location("http://h:1/a/b", "http://x/y"), "http://x/y");
        assert_eq!(fix_endpoint("https://huggingface.co/x", "http://e"), "http://e/x");
        assert_eq!(fix_endpoint("https://huggingface.co.evil/x", "http://e"), "https://huggingface.co.evil/x");
    }
}
