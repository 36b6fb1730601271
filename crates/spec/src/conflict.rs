//! Git merge-conflict markers (`<<<<<<<`, `|||||||`, `=======`, `>>>>>>>`), shared by the README
//! container check and the common text-file rule.

/// One marker line of a conflict hunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Marker {
    /// `<<<<<<< ours`
    Ours,
    /// `||||||| base` (diff3 style)
    Base,
    /// `=======`
    Separator,
    /// `>>>>>>> theirs`
    Theirs,
}

/// The marker on `line` (without its line break), if it is one. Git writes exactly seven marker
/// characters, then a space and a label (or nothing); `=======` stands alone.
pub(crate) fn marker(line: &[u8]) -> Option<Marker> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let (head, rest) = line.split_at_checked(7)?;
    let kind = match head {
        b"<<<<<<<" => Marker::Ours,
        b"|||||||" => Marker::Base,
        b"=======" => Marker::Separator,
        b">>>>>>>" => Marker::Theirs,
        _ => return None,
    };
    let ok = match kind {
        Marker::Separator => rest.iter().all(|b| *b == b' ' || *b == b'\t'),
        _ => rest.first().is_none_or(|b| *b == b' ' || *b == b'\t'),
    };
    ok.then_some(kind)
}

/// A complete conflict hunk, 1-based lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Hunk {
    pub start: u32,
    pub separator: u32,
    pub end: u32,
    /// The `<<<<<<<` line as written, e.g. `<<<<<<< HEAD`.
    pub ours: String,
    /// The `>>>>>>>` line as written.
    pub theirs: String,
}

/// Complete hunks (`<<<<<<<` … `=======` … `>>>>>>>`, in that order) among `lines`, numbered from
/// `first_line`. Requiring all three keeps a lone `=======` (a Markdown heading underline) out.
pub(crate) fn hunks<'a>(lines: impl Iterator<Item = &'a [u8]>, first_line: u32) -> Vec<Hunk> {
    let mut out = Vec::new();
    let mut open: Option<(u32, String, Option<u32>)> = None;
    for (i, line) in lines.enumerate() {
        let n = first_line + i as u32;
        match marker(line) {
            Some(Marker::Ours) => open = Some((n, shown(line), None)),
            Some(Marker::Separator) => {
                if let Some((_, _, sep @ None)) = &mut open {
                    *sep = Some(n);
                }
            }
            Some(Marker::Theirs) => {
                if let Some((start, ours, Some(separator))) = open.take() {
                    out.push(Hunk { start, separator, end: n, ours, theirs: shown(line) });
                }
            }
            Some(Marker::Base) | None => {}
        }
    }
    out
}

/// A marker line for messages: lossy, without `\r`, clipped (labels can be long commit subjects).
fn shown(line: &[u8]) -> String {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    crate::config::clip(String::from_utf8_lossy(line).trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_need_exact_shape() {
        assert_eq!(marker(b"<<<<<<< HEAD"), Some(Marker::Ours));
        assert_eq!(marker(b"<<<<<<<"), Some(Marker::Ours));
        assert_eq!(marker(b"=======\r"), Some(Marker::Separator));
        assert_eq!(marker(b">>>>>>> feature/x"), Some(Marker::Theirs));
        assert_eq!(marker(b"||||||| merged common ancestors"), Some(Marker::Base));
        assert_eq!(marker(b"<<<<<<<<"), None);
        assert_eq!(marker(b"======= x"), None);
        assert_eq!(marker(b"========"), None);
        assert_eq!(marker(b" <<<<<<< HEAD"), None);
        assert_eq!(marker(b"<<<<<"), None);
    }

    #[test]
    fn only_complete_hunks_count() {
        let text = "# Title\n=======\n\n<<<<<<< HEAD\na\n||||||| base\nb\n=======\nc\n>>>>>>> main\n>>>>>>> stray\n";
        let h = hunks(text.split('\n').map(str::as_bytes), 1);
        assert_eq!(h, [Hunk { start: 4, separator: 8, end: 10, ours: "<<<<<<< HEAD".into(), theirs: ">>>>>>> main".into() }]);
        assert!(hunks("<<<<<<< a\nx\n>>>>>>> b\n".split('\n').map(str::as_bytes), 1).is_empty());
    }
}
