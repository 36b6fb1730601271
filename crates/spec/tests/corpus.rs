//! Regression corpus: 61 real Space READMEs with expected verdicts (shared/corpus/space-readmes).
//! Each INDEX.tsv verdict is turned into concrete expectations about findings and their `field`:
//! an `invalid` clause needs at least one finding about its field (an info is enough: the Hub
//! ignoring `app_file` on docker is worth saying, not a problem), and an `invalid` row as a whole
//! needs an error or a warning.

use spacesmith_spec::{Finding, Severity, check_readme, config_rules, known_fields};
use std::path::PathBuf;

fn corpus_dir() -> PathBuf {
    let dir = std::env::var_os("SPACESMITH_CORPUS_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/space-readmes"), PathBuf::from);
    assert!(
        dir.join("INDEX.tsv").is_file(),
        "corpus not found: {}/INDEX.tsv does not exist. Set SPACESMITH_CORPUS_DIR to the space-readmes \
         directory (the one holding INDEX.tsv); this test never skips.",
        dir.display()
    );
    dir
}

/// Keys a verdict may name: the config fields plus undocumented keys seen in the wild.
fn vocabulary() -> Vec<&'static str> {
    let mut keys = known_fields();
    keys.extend(["hardware", "dockerfile"]);
    keys
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The first key named in `text` as a whole word (longest wins at the same position).
fn first_key(text: &str, keys: &[&'static str]) -> Option<&'static str> {
    let bytes = text.as_bytes();
    let mut best: Option<(usize, &'static str)> = None;
    for key in keys {
        for (pos, _) in text.match_indices(key) {
            let before = pos.checked_sub(1).map(|i| bytes[i]);
            let after = bytes.get(pos + key.len()).copied();
            if before.is_some_and(is_word_byte) || after.is_some_and(is_word_byte) {
                continue;
            }
            let better = match best {
                None => true,
                Some((p, k)) => pos < p || (pos == p && key.len() > k.len()),
            };
            if better {
                best = Some((pos, key));
            }
            break;
        }
    }
    best.map(|(_, k)| k)
}

/// Split on `;` outside parentheses.
fn clauses(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ';' if depth == 0 => {
                out.push(text[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(text[start..].trim());
    out.retain(|c| !c.is_empty());
    out
}

/// (text outside parentheses, texts of the top-level parenthesised groups)
fn split_parens(clause: &str) -> (String, Vec<String>) {
    let (mut outside, mut groups, mut cur) = (String::new(), Vec::new(), String::new());
    let mut depth = 0;
    for c in clause.chars() {
        match c {
            '(' => {
                if depth > 0 {
                    cur.push(c);
                }
                depth += 1;
            }
            ')' if depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    groups.push(std::mem::take(&mut cur));
                } else {
                    cur.push(c);
                }
            }
            _ if depth > 0 => cur.push(c),
            _ => outside.push(c),
        }
    }
    (outside, groups)
}

fn has_word(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(pos, _)| {
        let b = text.as_bytes();
        !pos.checked_sub(1).is_some_and(|i| is_word_byte(b[i])) && !b.get(pos + word.len()).copied().is_some_and(is_word_byte)
    })
}

fn is_remark_text(text: &str) -> bool {
    has_word(text, "ok") || has_word(text, "fine") || text.contains("still reads as") || text.contains("well-formed")
}

/// What one verdict clause demands.
#[derive(Debug, PartialEq)]
enum Expect {
    /// A remark ("... ok", "(fine)"): nothing to check.
    Remark,
    /// A `readme/...` finding (the clause is about the `---` delimiters).
    Container,
    /// A finding (any severity) whose `field` is this key.
    Field(&'static str),
    /// The clause names no key we know; the corpus or the vocabulary needs fixing.
    Unclear,
}

fn classify(clause: &str, keys: &[&'static str]) -> Expect {
    let (outside, groups) = split_parens(clause);
    // A parenthesised aside that names its own key judges that key, not this clause.
    let qualifies_clause = groups.iter().any(|g| first_key(g, keys).is_none() && is_remark_text(g));
    if is_remark_text(&outside) || qualifies_clause {
        return Expect::Remark;
    }
    if outside.contains("---") {
        return Expect::Container;
    }
    first_key(&outside, keys).map_or(Expect::Unclear, Expect::Field)
}

fn summary(findings: &[Finding]) -> String {
    if findings.is_empty() {
        return "(no findings)".to_owned();
    }
    findings
        .iter()
        .map(|f| {
            format!(
                "{}:{} {}[{}]",
                f.severity,
                f.line.map_or("-".into(), |l| l.to_string()),
                f.rule,
                f.field.as_deref().unwrap_or("")
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[test]
fn corpus_verdicts_match() {
    let dir = corpus_dir();
    let index = std::fs::read_to_string(dir.join("INDEX.tsv")).expect("read INDEX.tsv");
    let keys = vocabulary();
    let catalogue = config_rules();
    let mut rows = 0;
    let mut mismatches: Vec<(String, String, String)> = Vec::new();
    let mut report = String::new();

    for line in index.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let cols: Vec<&str> = line.split('\t').collect();
        assert_eq!(cols.len(), 4, "INDEX.tsv row must have 4 columns: {line:?}");
        let (file, verdict) = (cols[0], cols[3].trim());
        rows += 1;
        let text = std::fs::read_to_string(dir.join(file)).unwrap_or_else(|e| panic!("cannot read corpus file {file}: {e}"));
        let check = check_readme("README.md", &text);
        let findings = &check.findings;
        report.push_str(&format!("{file}\n  {verdict}\n  -> {}\n", summary(findings)));
        let mut miss = |expected: String| {
            mismatches.push((file.to_owned(), expected, summary(findings)));
        };

        for f in findings {
            match catalogue.iter().find(|r| r.id == f.rule) {
                None => miss(format!("rule {} is in the catalogue", f.rule)),
                Some(r) if r.severity != f.severity => miss(format!("{} has catalogue severity {}", f.rule, r.severity)),
                Some(_) => {}
            }
            if f.message.is_empty() || f.fix.as_deref().is_none_or(str::is_empty) {
                miss(format!("{} has a message and a fix", f.rule));
            }
        }

        if let Some(rest) = verdict.strip_prefix("valid") {
            if let Some(f) = findings.iter().find(|f| f.severity == Severity::Error) {
                miss(format!("valid: no error (got {} on line {:?})", f.rule, f.line));
            }
            for group in split_parens(rest).1 {
                if let Some(w) = group.strip_prefix("warning:") {
                    match first_key(w, &keys) {
                        None => miss(format!("verdict names a key: {group:?}")),
                        Some(key) => {
                            if !findings.iter().any(|f| f.severity == Severity::Warning && f.field.as_deref() == Some(key)) {
                                miss(format!("a warning about `{key}`"));
                            }
                        }
                    }
                }
            }
        } else if let Some(reasons) = verdict.strip_prefix("invalid:") {
            let mut checked = 0;
            for clause in clauses(reasons) {
                match classify(clause, &keys) {
                    Expect::Remark => {}
                    Expect::Container => {
                        checked += 1;
                        if !findings.iter().any(|f| f.rule.starts_with("readme/")) {
                            miss(format!("a readme/* finding for {clause:?}"));
                        }
                    }
                    Expect::Field(key) => {
                        checked += 1;
                        if !findings.iter().any(|f| f.field.as_deref() == Some(key)) {
                            miss(format!("a finding about `{key}` for {clause:?}"));
                        }
                    }
                    Expect::Unclear => miss(format!("clause names a known key: {clause:?}")),
                }
            }
            if checked == 0 {
                miss("invalid row has at least one checkable clause".to_owned());
            }
            if !findings.iter().any(|f| f.severity <= Severity::Warning) {
                miss("invalid: at least one error or warning".to_owned());
            }
        } else {
            miss(format!("verdict starts with valid or invalid: {verdict:?}"));
        }
    }

    println!("{report}");
    assert_eq!(rows, 61, "INDEX.tsv should list 61 READMEs");
    if !mismatches.is_empty() {
        let w = mismatches.iter().map(|m| m.0.len()).max().unwrap_or(4);
        let mut table = format!("{:w$} | expected | got\n", "file");
        for (file, expected, got) in &mismatches {
            table.push_str(&format!("{file:w$} | {expected} | {got}\n"));
        }
        panic!("{} corpus mismatch(es) out of {rows} READMEs:\n{table}", mismatches.len());
    }
}

#[test]
fn verdict_clauses_are_classified_as_intended() {
    let keys = vocabulary();
    let c = |s| classify(s, &keys);
    assert_eq!(c("sdk streamlit not in current allowed set (gradio|docker|static)"), Expect::Field("sdk"));
    assert_eq!(c("short_description 57 chars (ok)"), Expect::Remark);
    assert_eq!(c("sdk streamlit (short_description 51 chars ok)"), Expect::Field("sdk"));
    assert_eq!(c("app_port 8501 = Streamlit-in-Docker (fine)"), Expect::Remark);
    assert_eq!(c("sdk_version 'latest' is meaningless for docker"), Expect::Field("sdk_version"));
    assert_eq!(c("missing opening --- (file starts with 'title:')"), Expect::Container);
    assert_eq!(c("otherwise well-formed (quoted title with colon)"), Expect::Remark);
    assert_eq!(c("something vague"), Expect::Unclear);
    assert_eq!(
        clauses("colorFrom 'orange' (common; Hub may tolerate); emoji x"),
        ["colorFrom 'orange' (common; Hub may tolerate)", "emoji x"]
    );
    assert_eq!(first_key("'hardware: zero-gpu' is not", &keys), Some("hardware"));
    assert_eq!(first_key("no sdk_version", &keys), Some("sdk_version"));
}

/// The valid READMEs, damaged the ways real repositories get damaged: each damage is named by its
/// own rule, and a harmless one (BOM, leading blank lines) adds no error.
#[test]
fn corpus_readmes_with_bom_fence_and_conflict_damage() {
    let dir = corpus_dir();
    let index = std::fs::read_to_string(dir.join("INDEX.tsv")).expect("read INDEX.tsv");
    let rules = |text: &str| check_readme("README.md", text).findings.into_iter().map(|f| f.rule).collect::<Vec<_>>();
    let mut checked = 0;
    for line in index.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        if !cols.get(3).is_some_and(|v| v.starts_with("valid")) {
            continue;
        }
        let text = std::fs::read_to_string(dir.join(cols[0])).unwrap();
        let clean = check_readme("README.md", &text);
        let Some(fm) = clean.front_matter else { panic!("{}: a valid README has front matter", cols[0]) };
        let base = rules(&text);

        let mut with_bom = vec!["readme/bom".to_owned()];
        with_bom.extend(base.iter().cloned());
        assert_eq!(rules(&format!("\u{FEFF}{text}")), with_bom, "{}", cols[0]);
        let c = check_readme("README.md", &format!("\n\n{text}"));
        assert!(!c.has_errors() && c.findings.iter().any(|f| f.rule == "readme/front-matter-not-first"), "{}", cols[0]);

        let lines: Vec<&str> = text.lines().collect();
        let end = fm.end_line() as usize;
        let fenced = format!("```yaml\n{}\n```\n{}", lines[..end].join("\n"), lines[end..].join("\n"));
        assert_eq!(rules(&fenced), ["readme/fenced-front-matter"], "{}", cols[0]);

        if let Some(sdk) = fm.line_of("sdk") {
            let i = sdk as usize - 1;
            let theirs = if fm.sdk() == Some("docker") { "sdk: gradio" } else { "sdk: docker" };
            let conflicted = [&lines[..i], &["<<<<<<< HEAD", lines[i], "=======", theirs, ">>>>>>> other"], &lines[i + 1..]]
                .concat()
                .join("\n");
            let c = check_readme("README.md", &conflicted);
            assert_eq!(c.findings.iter().map(|f| f.rule.as_str()).collect::<Vec<_>>(), ["readme/merge-conflict"], "{}", cols[0]);
            assert_eq!(c.findings[0].line, Some(sdk), "{}", cols[0]);
        }
        checked += 1;
    }
    assert_eq!(checked, 38, "INDEX.tsv should list 38 valid READMEs");
}
