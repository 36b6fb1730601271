//! A small YAML tree that remembers what serde-style loaders forget: the line of every key and
//! item, duplicate keys, and how each scalar was written (plain `3.10` is a float, `"3.10"` is not).

use std::collections::HashMap;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// How a scalar was written; only plain scalars are subject to type resolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Block,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Scalar {
    /// The decoded text (escapes applied, quotes removed).
    pub text: String,
    pub style: Style,
    /// Explicit tag suffix such as `str` for `!!str`, if any.
    pub tag: Option<String>,
}

/// A scalar as YAML 1.2's core schema reads it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Resolved<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(&'a str),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Kind {
    Scalar(Scalar),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    /// 1-based line in the parsed text.
    pub line: u32,
    pub kind: Kind,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry {
    /// Key text; non-scalar keys are rendered as `<complex key>`.
    pub key: String,
    pub key_line: u32,
    pub value: Node,
}

/// A YAML syntax error, located.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    pub line: u32,
    pub col: u32,
    pub info: String,
}

impl Scalar {
    pub fn resolve(&self) -> Resolved<'_> {
        if let Some(tag) = &self.tag {
            return match tag.as_str() {
                "str" => Resolved::Str(&self.text),
                "null" => Resolved::Null,
                "bool" => resolve_bool(&self.text).map_or(Resolved::Str(&self.text), Resolved::Bool),
                "int" => resolve_int(&self.text).map_or(Resolved::Str(&self.text), Resolved::Int),
                "float" => resolve_float(&self.text)
                    .or_else(|| resolve_int(&self.text).map(|i| i as f64))
                    .map_or(Resolved::Str(&self.text), Resolved::Float),
                _ => Resolved::Str(&self.text),
            };
        }
        if self.style != Style::Plain {
            return Resolved::Str(&self.text);
        }
        resolve_plain(&self.text)
    }
}

/// YAML 1.2 core schema, which is what js-yaml (the Hub) and yaml-rust2 both follow.
pub(crate) fn resolve_plain(t: &str) -> Resolved<'_> {
    if matches!(t, "" | "~" | "null" | "Null" | "NULL") {
        return Resolved::Null;
    }
    if let Some(b) = resolve_bool(t) {
        return Resolved::Bool(b);
    }
    if let Some(i) = resolve_int(t) {
        return Resolved::Int(i);
    }
    if let Some(f) = resolve_float(t) {
        return Resolved::Float(f);
    }
    Resolved::Str(t)
}

fn resolve_bool(t: &str) -> Option<bool> {
    match t {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

fn resolve_int(t: &str) -> Option<i64> {
    if let Some(oct) = t.strip_prefix("0o") {
        return i64::from_str_radix(oct, 8).ok();
    }
    if let Some(hex) = t.strip_prefix("0x") {
        return i64::from_str_radix(hex, 16).ok();
    }
    let digits = t.strip_prefix(['-', '+']).unwrap_or(t);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    t.parse().ok()
}

fn resolve_float(t: &str) -> Option<f64> {
    let unsigned = t.strip_prefix(['-', '+']).unwrap_or(t);
    if matches!(unsigned, ".inf" | ".Inf" | ".INF") {
        return Some(if t.starts_with('-') { f64::NEG_INFINITY } else { f64::INFINITY });
    }
    if matches!(t, ".nan" | ".NaN" | ".NAN") {
        return Some(f64::NAN);
    }
    // [-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?
    let (mantissa, exp) = match unsigned.find(['e', 'E']) {
        Some(i) => (&unsigned[..i], Some(&unsigned[i + 1..])),
        None => (unsigned, None),
    };
    let (int, frac) = match mantissa.split_once('.') {
        Some((a, b)) => (a, Some(b)),
        None => (mantissa, None),
    };
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match frac {
        Some(f) => all_digits(int) && all_digits(f) && !(int.is_empty() && f.is_empty()),
        None => !int.is_empty() && all_digits(int),
    };
    let exp_ok = exp.is_none_or(|e| {
        let d = e.strip_prefix(['-', '+']).unwrap_or(e);
        !d.is_empty() && all_digits(d)
    });
    if mantissa_ok && exp_ok { t.parse().ok() } else { None }
}

/// Parse one YAML document into a tree; an empty document is `None`.
pub(crate) fn parse(text: &str) -> Result<Option<Node>, SyntaxError> {
    check_block_depth(text)?;
    // An empty node at the very end (`? !tag` on the last line) is marked where the next token would be.
    let last_line = u32::try_from(text.lines().count()).unwrap_or(u32::MAX).max(1);
    let mut builder = Builder { last_line, ..Builder::default() };
    let mut parser = Parser::new_from_str(text);
    parser.load(&mut builder, false).map_err(|e| {
        let mut err = SyntaxError { line: e.marker().line() as u32, col: e.marker().col() as u32 + 1, info: e.info().to_owned() };
        // The scanner reports a tab at the start of the scalar it was reading, often the line
        // before; point at the line whose indentation holds the tab instead.
        if err.info.contains("tab") {
            let tabbed = text
                .lines()
                .enumerate()
                .skip(err.line.saturating_sub(1) as usize)
                .find(|(_, l)| l.chars().take_while(|c| c.is_whitespace()).any(|c| c == '\t'));
            if let Some((i, l)) = tabbed {
                err.line = i as u32 + 1;
                err.col = l.find('\t').map_or(1, |c| c as u32 + 1);
            }
        }
        err
    })?;
    match builder.too_big {
        Some(err) => Err(err),
        None => Ok(builder.root),
    }
}

/// yaml-rust2 limits flow nesting (`[[[`) but recurses once per block level, so thousands of
/// indentation levels overflow the stack; refuse them before parsing. Over-counts, never under.
fn check_block_depth(text: &str) -> Result<(), SyntaxError> {
    let mut indents: Vec<usize> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start_matches(' ');
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let indent = line.len() - trimmed.len();
        while indents.last().is_some_and(|&c| c > indent) {
            indents.pop();
        }
        if indents.last() != Some(&indent) {
            indents.push(indent);
        }
        // Compact nesting on one line: `- - - x`, `? - x`.
        let mut rest = trimmed;
        let mut compact = 0;
        while let Some(r) = rest.strip_prefix("- ").or_else(|| rest.strip_prefix("? ")) {
            compact += 1;
            rest = r.trim_start_matches(' ');
        }
        if indents.len() + compact > MAX_DEPTH {
            return Err(SyntaxError { line: i as u32 + 1, col: 1, info: format!("nesting deeper than {MAX_DEPTH} levels") });
        }
    }
    Ok(())
}

enum Frame {
    Seq { line: u32, anchor: usize, items: Vec<Node> },
    Map { line: u32, anchor: usize, entries: Vec<Entry>, key: Option<(String, u32)> },
}

/// Front matter is a few dozen keys; these bounds stop alias bombs and deep nesting from
/// exhausting memory or the stack in the recursive passes over the tree.
const MAX_NODES: usize = 100_000;
const MAX_DEPTH: usize = 64;

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    anchors: HashMap<usize, Node>,
    root: Option<Node>,
    nodes: usize,
    /// Set once a bound is hit; later events are ignored and `parse` fails.
    too_big: Option<SyntaxError>,
    /// Lines are clamped to the text's last line.
    last_line: u32,
}

fn size(node: &Node) -> usize {
    1 + match &node.kind {
        Kind::Scalar(_) => 0,
        Kind::Seq(items) => items.iter().map(size).sum(),
        Kind::Map(entries) => entries.iter().map(|e| 1 + size(&e.value)).sum(),
    }
}

impl Builder {
    fn limit(&mut self, line: u32, info: String) {
        self.too_big.get_or_insert(SyntaxError { line, col: 1, info });
    }

    fn complete(&mut self, node: Node, anchor: usize) {
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { entries, key, .. }) => match key.take() {
                None => {
                    let text = match &node.kind {
                        Kind::Scalar(s) => s.text.clone(),
                        _ => "<complex key>".to_owned(),
                    };
                    *key = Some((text, node.line));
                }
                Some((key, key_line)) => entries.push(Entry { key, key_line, value: node }),
            },
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        let line = (mark.line() as u32).min(self.last_line);
        if self.too_big.is_some() {
            return;
        }
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return self.limit(line, format!("more than {MAX_NODES} values"));
        }
        if self.stack.len() >= MAX_DEPTH && matches!(ev, Event::SequenceStart(..) | Event::MappingStart(..)) {
            return self.limit(line, format!("nesting deeper than {MAX_DEPTH} levels"));
        }
        match ev {
            Event::Scalar(text, style, anchor, tag) => {
                let style = match style {
                    TScalarStyle::Plain => Style::Plain,
                    TScalarStyle::SingleQuoted => Style::SingleQuoted,
                    TScalarStyle::DoubleQuoted => Style::DoubleQuoted,
                    TScalarStyle::Literal | TScalarStyle::Folded => Style::Block,
                };
                let tag = tag.map(|t| t.suffix.strip_prefix("tag:yaml.org,2002:").unwrap_or(&t.suffix).to_owned());
                let node = Node { line, kind: Kind::Scalar(Scalar { text, style, tag }) };
                self.complete(node, anchor);
            }
            Event::SequenceStart(anchor, _) => self.stack.push(Frame::Seq { line, anchor, items: Vec::new() }),
            Event::MappingStart(anchor, _) => self.stack.push(Frame::Map { line, anchor, entries: Vec::new(), key: None }),
            Event::SequenceEnd | Event::MappingEnd => {
                let (node, anchor) = match self.stack.pop() {
                    Some(Frame::Seq { line, anchor, items }) => (Node { line, kind: Kind::Seq(items) }, anchor),
                    Some(Frame::Map { line, anchor, entries, .. }) => (Node { line, kind: Kind::Map(entries) }, anchor),
                    None => return,
                };
                self.complete(node, anchor);
            }
            Event::Alias(id) => {
                // The parser rejects unknown anchors, so the lookup only misses on our own bug.
                if let Some(node) = self.anchors.get(&id) {
                    self.nodes += size(node);
                    if self.nodes > MAX_NODES {
                        return self.limit(line, format!("aliases that expand to more than {MAX_NODES} values"));
                    }
                    let mut node = node.clone();
                    node.line = line;
                    self.complete(node, 0);
                }
            }
            Event::Nothing | Event::StreamStart | Event::StreamEnd | Event::DocumentStart | Event::DocumentEnd => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(text: &str) -> Vec<Entry> {
        match parse(text).unwrap().unwrap().kind {
            Kind::Map(e) => e,
            other => panic!("not a map: {other:?}"),
        }
    }

    fn scalar(node: &Node) -> &Scalar {
        match &node.kind {
            Kind::Scalar(s) => s,
            other => panic!("not a scalar: {other:?}"),
        }
    }

    #[test]
    fn keeps_key_and_item_lines_across_comments_and_blank_lines() {
        let e = map("a: 1\n# comment\n\nb:\n  - x\n  # c\n  - y\nc: z\n");
        assert_eq!(e.iter().map(|e| (e.key.as_str(), e.key_line)).collect::<Vec<_>>(), [("a", 1), ("b", 4), ("c", 8)]);
        let Kind::Seq(items) = &e[1].value.kind else { panic!() };
        assert_eq!(items.iter().map(|n| n.line).collect::<Vec<_>>(), [5, 7]);
    }

    #[test]
    fn keeps_style_and_resolves_core_schema() {
        let e = map("a: 3.10\nb: '3.10'\nc: \"\\U0001F433\"\nd: true\ne: 7860\nf:\ng: !!str 3.10\nh: 1e3\ni: 3.10.6\nj: yes\n");
        let r: Vec<_> = e.iter().map(|e| scalar(&e.value).resolve()).collect();
        assert_eq!(r[0], Resolved::Float(3.1));
        assert_eq!(scalar(&e[0].value).text, "3.10");
        assert_eq!(r[1], Resolved::Str("3.10"));
        assert_eq!(r[2], Resolved::Str("🐳"));
        assert_eq!(r[3], Resolved::Bool(true));
        assert_eq!(r[4], Resolved::Int(7860));
        assert_eq!(r[5], Resolved::Null);
        assert_eq!(r[6], Resolved::Str("3.10"));
        assert_eq!(r[7], Resolved::Float(1000.0));
        assert_eq!(r[8], Resolved::Str("3.10.6"));
        // YAML 1.2 (js-yaml, the Hub) reads `yes` as text, unlike YAML 1.1.
        assert_eq!(r[9], Resolved::Str("yes"));
    }

    #[test]
    fn duplicate_keys_are_kept_not_merged() {
        let e = map("a: 1\na: 2\n");
        assert_eq!(e.len(), 2);
        assert_eq!((e[0].key_line, e[1].key_line), (1, 2));
    }

    #[test]
    fn aliases_resolve_to_the_anchored_node() {
        let e = map("a: &x [1, 2]\nb: *x\n");
        assert_eq!(e[0].value.kind, e[1].value.kind);
        assert_eq!(e[1].value.line, 2);
    }

    #[test]
    fn syntax_errors_carry_a_line() {
        let err = parse("a: 1\nb: [1, 2\nc: 3\n").unwrap_err();
        assert!(err.line >= 2, "{err:?}");
        let err = parse("a: 1\n\tb: 2\n").unwrap_err();
        assert_eq!(err.line, 2, "{err:?}");
    }

    #[test]
    fn alias_bombs_and_deep_nesting_are_refused() {
        let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..8 {
            let refs = vec![format!("*a{}", i - 1); 10].join(", ");
            bomb.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
        }
        let err = parse(&bomb).unwrap_err();
        assert!(err.info.contains("aliases"), "{err:?}");
        let mut block = String::new();
        for i in 0..5000 {
            block.push_str(&format!("{}a{i}:\n", " ".repeat(i)));
        }
        assert_eq!(parse(&block).unwrap_err().line, MAX_DEPTH as u32 + 1);
        let compact = format!("a:\n  {}x\n", "- ".repeat(10_000));
        assert_eq!(parse(&compact).unwrap_err().line, 2);
        let deep = format!("a: {}{}\n", "[".repeat(200), "]".repeat(200));
        let err = parse(&deep).unwrap_err();
        assert!(err.info.contains("nesting"), "{err:?}");
        assert_eq!(err.line, 1);
    }

    #[test]
    fn empty_document_is_none() {
        assert_eq!(parse("# only a comment\n").unwrap(), None);
        assert_eq!(parse("").unwrap(), None);
    }

    #[test]
    fn float_grammar() {
        for (t, ok) in [
            ("3.10", true),
            (".5", true),
            ("5.", true),
            ("-1.5e3", true),
            ("1e", false),
            (".", false),
            ("3.1.0", false),
            ("abc", false),
        ] {
            assert_eq!(resolve_float(t).is_some(), ok, "{t}");
        }
    }
}
