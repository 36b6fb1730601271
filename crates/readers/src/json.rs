//! The one JSON shape Dockerfiles use: an array of strings (exec form). Written here so the crate stays
//! dependency-free; it accepts exactly what a JSON parser accepts for that shape.

/// The strings of `text` when it is a JSON array of strings (surrounding whitespace allowed).
pub(crate) fn string_array(text: &str) -> Option<Vec<String>> {
    let mut p = Parser { chars: text.chars().peekable() };
    p.skip_ws();
    p.expect('[')?;
    let mut out = Vec::new();
    p.skip_ws();
    if p.chars.peek() == Some(&']') {
        p.chars.next();
    } else {
        loop {
            p.skip_ws();
            out.push(p.string()?);
            p.skip_ws();
            match p.chars.next()? {
                ',' => continue,
                ']' => break,
                _ => return None,
            }
        }
    }
    p.skip_ws();
    p.chars.next().is_none().then_some(out)
}

struct Parser<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
}

impl Parser<'_> {
    fn skip_ws(&mut self) {
        while self.chars.next_if(|c| matches!(c, ' ' | '\t' | '\n' | '\r')).is_some() {}
    }

    fn expect(&mut self, c: char) -> Option<()> {
        (self.chars.next()? == c).then_some(())
    }

    fn string(&mut self) -> Option<String> {
        self.expect('"')?;
        let mut out = String::new();
        loop {
            match self.chars.next()? {
                '"' => return Some(out),
                '\\' => match self.chars.next()? {
                    '"' => out.push('"'),
                    '\\' => out.push('\\'),
                    '/' => out.push('/'),
                    'b' => out.push('\u{8}'),
                    'f' => out.push('\u{c}'),
                    'n' => out.push('\n'),
                    'r' => out.push('\r'),
                    't' => out.push('\t'),
                    'u' => out.push(self.unicode_escape()?),
                    _ => return None,
                },
                c if u32::from(c) < 0x20 => return None,
                c => out.push(c),
            }
        }
    }

    /// The character of `\uXXXX` (the `\u` read), a surrogate pair joined; a lone surrogate is invalid.
    fn unicode_escape(&mut self) -> Option<char> {
        let first = self.hex4()?;
        match first {
            0xD800..=0xDBFF => {
                self.expect('\\')?;
                self.expect('u')?;
                let low = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&low) {
                    return None;
                }
                char::from_u32(0x10000 + ((first - 0xD800) << 10) + (low - 0xDC00))
            }
            0xDC00..=0xDFFF => None,
            _ => char::from_u32(first),
        }
    }

    fn hex4(&mut self) -> Option<u32> {
        (0..4).try_fold(0, |acc, _| Some(acc * 16 + self.chars.next()?.to_digit(16)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Option<Vec<String>> {
        Some(v.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn arrays_of_strings() {
        assert_eq!(string_array(r#"["uvicorn", "app:app"]"#), strings(&["uvicorn", "app:app"]));
        assert_eq!(string_array(" [ ] \n"), strings(&[]));
        assert_eq!(string_array(r#"["a\"b\\c\/d\n\t", "\u00e9\ud83d\udc33"]"#), strings(&["a\"b\\c/d\n\t", "é🐳"]));
        assert_eq!(string_array("[\"é🐳\"]"), strings(&["é🐳"]));
    }

    #[test]
    fn anything_else_is_not() {
        for bad in [
            "",
            "[",
            "[\"a\",]",
            "[\"a\" \"b\"]",
            "[1]",
            "[\"a\"] x",
            "[not json]",
            "[[\"a\"]]",
            "['a']",
            "[\"a\u{1}\"]",
            "[\"\\x\"]",
            "[\"\\ud83d\"]",
            "[\"\\udc33\"]",
            "[\"\\u12\"]",
            "{\"a\": 1}",
        ] {
            assert_eq!(string_array(bad), None, "{bad:?}");
        }
    }
}
