//! "Did you mean" suggestions by edit distance, shared by key, value and hardware checks.

/// One implementation for the host and the plugins.
pub use spacesmith_readers::edit_distance as distance;

/// Lowercase and drop separators so `color-from`, `colorfrom` and `colorFrom` compare equal.
fn normalise(s: &str) -> String {
    let kept = s.chars().filter(|c| !matches!(c, '_' | '-' | ' ' | '.'));
    // Keys and values are nearly always ASCII; its lowercase is a byte map, Unicode's is a table search.
    if s.is_ascii() { kept.map(|c| c.to_ascii_lowercase()).collect() } else { kept.flat_map(char::to_lowercase).collect() }
}

/// The candidate closest to `input`, if it is close enough to be a plausible typo.
pub(crate) fn closest<'a>(input: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let norm = normalise(input);
    if norm.is_empty() {
        return None;
    }
    let normalised: Vec<(String, &str)> = candidates.iter().map(|c| (normalise(c), *c)).collect();
    if let Some((_, c)) = normalised.iter().find(|(n, _)| *n == norm) {
        return Some(c);
    }
    let len = norm.chars().count();
    let limit = (len / 3).clamp(1, 3);
    // The distance is at least the difference in length: skip those early, so a huge input costs
    // one pass, not a huge matrix per candidate.
    normalised
        .into_iter()
        .filter(|(n, _)| n.chars().count().abs_diff(len) <= limit)
        .map(|(n, c)| (distance(&norm, &n), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        let keys = ["colorFrom", "colorTo", "sdk_version", "app_port", "title"];
        assert_eq!(closest("colorfrom", &keys), Some("colorFrom"));
        assert_eq!(closest("color-to", &keys), Some("colorTo"));
        assert_eq!(closest("sdk_verison", &keys), Some("sdk_version"));
        assert_eq!(closest("app-port", &keys), Some("app_port"));
        assert_eq!(closest("titel", &keys), Some("title"));
        assert_eq!(closest("completely_different", &keys), None);
        assert_eq!(closest("", &keys), None);
    }
}
