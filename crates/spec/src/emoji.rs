//! Emoji-only checks for the `emoji` field: text, mojibake, and ZWJ sequences missing their joiner.

use unicode_properties::emoji::{UnicodeEmoji, is_regional_indicator, is_tag_character};

const ZWJ: char = '\u{200D}';
const VS16: char = '\u{FE0F}';
const VS15: char = '\u{FE0E}';
const KEYCAP: char = '\u{20E3}';

/// What the `emoji` value is, as far as rendering goes.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Only emoji; `missing_zwj` lists (as written, intended) pairs that look like a broken ZWJ sequence.
    Emoji {
        missing_zwj: Vec<(String, String)>,
    },
    /// Contains non-emoji characters; `mojibake` is the emoji the text decodes to when it is
    /// UTF-8 read as Windows-1252.
    NotEmoji {
        bad: Vec<char>,
        mojibake: Option<String>,
    },
    Empty,
}

fn is_modifier(c: char) -> bool {
    matches!(c, '\u{1F3FB}'..='\u{1F3FF}')
}

/// Characters that only make sense after a base emoji.
fn is_trailing_component(c: char) -> bool {
    c == ZWJ || c == VS16 || c == VS15 || c == KEYCAP || is_modifier(c) || is_tag_character(c)
}

/// Split into pictures (base plus its components and ZWJ-joined parts), or the offending chars.
fn pictures(s: &str) -> Result<Vec<Vec<char>>, Vec<char>> {
    let chars: Vec<char> = s.chars().collect();
    let mut out: Vec<Vec<char>> = Vec::new();
    let mut bad = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let joined = out.last().is_some_and(|p| p.last() == Some(&ZWJ));
        if matches!(c, '0'..='9' | '#' | '*') {
            // ASCII has Emoji=Yes only as a keycap base: `1️⃣`.
            let mut j = i + 1;
            if chars.get(j) == Some(&VS16) {
                j += 1;
            }
            if chars.get(j) == Some(&KEYCAP) {
                out.push(chars[i..=j].to_vec());
                i = j + 1;
                continue;
            }
            bad.push(c);
        } else if is_trailing_component(c) {
            match out.last_mut() {
                Some(p) if !joined || c != ZWJ => p.push(c),
                _ => bad.push(c),
            }
        } else if c.is_emoji_char() || is_regional_indicator(c) {
            let pairs_flag = is_regional_indicator(c) && out.last().is_some_and(|p| p.len() == 1 && is_regional_indicator(p[0]));
            match out.last_mut() {
                Some(p) if joined || pairs_flag => p.push(c),
                _ => out.push(vec![c]),
            }
        } else {
            bad.push(c);
        }
        i += 1;
    }
    if bad.is_empty() { Ok(out) } else { Err(bad) }
}

/// Windows-1252 bytes 0x80..=0x9F; the rest of Latin-1 maps to itself.
const CP1252_HIGH: [char; 32] = [
    '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8D}', 'Ž', '\u{8F}', '\u{90}', '‘', '’', '“', '”',
    '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9D}', 'ž', 'Ÿ',
];

/// Undo "UTF-8 bytes decoded as Windows-1252", the usual way emoji turn into `ðŸ“ˆ`.
fn demojibake(s: &str) -> Option<String> {
    let mut bytes = Vec::with_capacity(s.len());
    for c in s.chars() {
        let b = if let Some(i) = CP1252_HIGH.iter().position(|&h| h == c) {
            0x80 + i as u8
        } else if (c as u32) < 0x100 {
            c as u8
        } else {
            return None;
        };
        bytes.push(b);
    }
    let decoded = String::from_utf8(bytes).ok()?;
    (decoded != s && pictures(&decoded).is_ok()).then_some(decoded)
}

const PERSONS: [char; 3] = ['\u{1F468}', '\u{1F469}', '\u{1F9D1}'];
/// Objects that follow a person in profession and hair-style ZWJ sequences (👨‍🍳, 🧑‍💻, 👩‍🦰).
const PERSON_OBJECTS: [char; 26] = [
    '\u{1F33E}',
    '\u{1F373}',
    '\u{1F37C}',
    '\u{1F384}',
    '\u{1F393}',
    '\u{1F3A4}',
    '\u{1F3A8}',
    '\u{1F3EB}',
    '\u{1F3ED}',
    '\u{1F4BB}',
    '\u{1F4BC}',
    '\u{1F527}',
    '\u{1F52C}',
    '\u{1F680}',
    '\u{1F692}',
    '\u{1F9AF}',
    '\u{1F9B0}',
    '\u{1F9B1}',
    '\u{1F9B2}',
    '\u{1F9B3}',
    '\u{1F9BC}',
    '\u{1F9BD}',
    '\u{2695}',
    '\u{2696}',
    '\u{2708}',
    '\u{1F91D}',
];
/// Other two-part ZWJ sequences (🏳️‍🌈, 🐻‍❄️, ❤️‍🔥, 😮‍💨, ...).
const PAIRS: [(char, char); 18] = [
    ('\u{1F3F3}', '\u{1F308}'),
    ('\u{1F3F3}', '\u{26A7}'),
    ('\u{1F3F4}', '\u{2620}'),
    ('\u{1F43B}', '\u{2744}'),
    ('\u{1F415}', '\u{1F9BA}'),
    ('\u{1F408}', '\u{2B1B}'),
    ('\u{1F426}', '\u{2B1B}'),
    ('\u{1F426}', '\u{1F525}'),
    ('\u{1F441}', '\u{1F5E8}'),
    ('\u{2764}', '\u{1F525}'),
    ('\u{2764}', '\u{1FA79}'),
    ('\u{1F62E}', '\u{1F4A8}'),
    ('\u{1F635}', '\u{1F4AB}'),
    ('\u{1F636}', '\u{1F32B}'),
    ('\u{1F34B}', '\u{1F7E9}'),
    ('\u{1F344}', '\u{1F7EB}'),
    ('\u{1F642}', '\u{2194}'),
    ('\u{1F642}', '\u{2195}'),
];
const GENDER_SIGNS: [char; 2] = ['\u{2640}', '\u{2642}'];

fn looks_joinable(a: &[char], b: &[char]) -> bool {
    let (Some(&first), Some(&second)) = (a.first(), b.first()) else {
        return false;
    };
    // A picture already containing a joiner is a finished sequence.
    if a.contains(&ZWJ) || b.contains(&ZWJ) {
        return false;
    }
    (PERSONS.contains(&first) && PERSON_OBJECTS.contains(&second))
        || (GENDER_SIGNS.contains(&second) && !GENDER_SIGNS.contains(&first))
        || PAIRS.contains(&(first, second))
}

/// Judge an `emoji` value (already YAML-decoded).
pub(crate) fn judge(value: &str) -> Verdict {
    if value.trim().is_empty() {
        return Verdict::Empty;
    }
    match pictures(value) {
        Err(mut bad) => {
            bad.dedup();
            Verdict::NotEmoji { bad, mojibake: demojibake(value) }
        }
        Ok(pics) => {
            let missing_zwj = pics
                .windows(2)
                .filter(|w| looks_joinable(&w[0], &w[1]))
                .map(|w| {
                    let written: String = w[0].iter().chain(&w[1]).collect();
                    let mut intended: String = w[0].iter().collect();
                    intended.push(ZWJ);
                    intended.extend(&w[1]);
                    if GENDER_SIGNS.contains(&w[1][0]) && !w[1].contains(&VS16) {
                        intended.push(VS16);
                    }
                    (written, intended)
                })
                .collect();
            Verdict::Emoji { missing_zwj }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> bool {
        matches!(judge(s), Verdict::Emoji { ref missing_zwj } if missing_zwj.is_empty())
    }

    #[test]
    fn accepts_real_emoji() {
        for s in [
            "🚀",
            "🛡️",
            "✈️",
            "🌌🔍",
            "🐳🤘",
            "👨‍🍳",
            "👍🏽",
            "🇫🇷",
            "🏴\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}",
            "1️⃣",
            "#⃣",
            "🏃‍♂️",
            "🃏",
            "©",
        ] {
            assert!(ok(s), "{s:?} should be accepted: {:?}", judge(s));
        }
    }

    #[test]
    fn rejects_text_and_stray_components() {
        for s in ["rocket", "🚀 rocket", ":rocket:", "1", "\u{200D}🚀", "🚀 🔥", "https://x/y.png"] {
            assert!(matches!(judge(s), Verdict::NotEmoji { .. }), "{s:?}: {:?}", judge(s));
        }
        assert_eq!(judge("  "), Verdict::Empty);
    }

    #[test]
    fn decodes_mojibake() {
        assert_eq!(judge("ðŸ“ˆ"), Verdict::NotEmoji { bad: vec!['ð', 'Ÿ', '“', 'ˆ'], mojibake: Some("📈".to_owned()) });
        let Verdict::NotEmoji { mojibake, .. } = judge("Ã©") else { panic!() };
        // "é" is text, not an emoji, so it is not offered as the intended value.
        assert_eq!(mojibake, None);
    }

    #[test]
    fn spots_missing_joiners() {
        let Verdict::Emoji { missing_zwj } = judge("👨🍳") else { panic!() };
        assert_eq!(missing_zwj, [("👨🍳".to_owned(), "👨‍🍳".to_owned())]);
        let Verdict::Emoji { missing_zwj } = judge("🏃♂") else { panic!() };
        assert_eq!(missing_zwj[0].1, "🏃‍♂️");
        let Verdict::Emoji { missing_zwj } = judge("🏳️🌈") else { panic!() };
        assert_eq!(missing_zwj[0].1, "🏳️‍🌈");
        assert!(ok("🍳👨"));
        assert!(ok("👨‍🍳🔥"));
    }
}
