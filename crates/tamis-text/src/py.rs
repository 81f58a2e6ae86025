//! Python 3 `str` semantics that datatrove's filters depend on.
//!
//! Rust's built-ins differ from CPython's in small ways that change filter decisions: Rust's
//! `char::is_whitespace` omits U+001C..U+001F, which Python's `str.isspace` includes; Rust's
//! `is_alphabetic` includes marks and letter numbers, Python's `str.isalpha` only the L*
//! categories; `str::lines` breaks only on `\n`, Python's `splitlines` on ten characters.

use unicode_general_category::{get_general_category, GeneralCategory as Gc};

/// `str.isspace` for one character (CPython `Py_UNICODE_ISSPACE`).
#[inline]
pub fn is_space(c: char) -> bool {
    if c.is_ascii() {
        matches!(c, '\t'..='\r' | '\x1c'..='\x1f' | ' ')
    } else {
        c.is_whitespace()
    }
}

/// `str.isalpha` for one character: general category Lu, Ll, Lt, Lm or Lo.
#[inline]
pub fn is_alpha(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphabetic();
    }
    matches!(
        get_general_category(c),
        Gc::UppercaseLetter
            | Gc::LowercaseLetter
            | Gc::TitlecaseLetter
            | Gc::ModifierLetter
            | Gc::OtherLetter
    )
}

/// Python `re`'s `\d` in a str pattern (and `str.isdecimal`): general category Nd.
#[inline]
pub fn is_decimal(c: char) -> bool {
    c.is_ascii_digit() || (!c.is_ascii() && get_general_category(c) == Gc::DecimalNumber)
}

/// `str.strip()` with no argument.
#[inline]
pub fn strip(s: &str) -> &str {
    s.trim_matches(is_space)
}

/// `str.lstrip()` with no argument.
#[inline]
pub fn lstrip(s: &str) -> &str {
    s.trim_start_matches(is_space)
}

/// `str.rstrip()` with no argument.
#[inline]
pub fn rstrip(s: &str) -> &str {
    s.trim_end_matches(is_space)
}

/// `len(s)`: the number of code points.
#[inline]
pub fn len(s: &str) -> usize {
    // Counting non-continuation bytes is what `chars().count()` does, written out for speed.
    s.bytes().filter(|&b| (b as i8) >= -0x40).count()
}

/// Whether `c` ends a line for `str.splitlines`.
#[inline]
pub fn is_line_break(c: char) -> bool {
    matches!(
        c,
        '\n' | '\x0b'
            | '\x0c'
            | '\r'
            | '\x1c'
            | '\x1d'
            | '\x1e'
            | '\u{85}'
            | '\u{2028}'
            | '\u{2029}'
    )
}

/// `str.isspace` for an ASCII byte.
#[inline]
pub fn is_ascii_space(byte: u8) -> bool {
    matches!(byte, b'\t'..=b'\r' | 0x1c..=0x1f | b' ')
}

/// `str.splitlines()` (no `keepends`): `\r\n` is one break, a final break adds no empty line,
/// and the empty string has no lines.
pub fn splitlines(s: &str) -> Vec<&str> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let (mut start, mut i) = (0, 0);
    while i < b.len() {
        // Most 8-byte words hold no byte that can start a break: skip them whole.
        if let Some(chunk) = b.get(i..i + 8) {
            let word = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
            if !may_start_break(word) {
                i += 8;
                continue;
            }
        }
        let stop = (i + 8).min(b.len());
        while i < stop {
            // Byte length of a line break starting at `i`, if any: ASCII \n \v \f \r
            // \x1c-\x1e, U+0085 (C2 85), U+2028 and U+2029 (E2 80 A8 / A9).
            let brk = match b[i] {
                b'\n' | 0x0b | 0x0c | 0x1c..=0x1e => 1,
                b'\r' => 1 + usize::from(b.get(i + 1) == Some(&b'\n')),
                0xC2 if b.get(i + 1) == Some(&0x85) => 2,
                0xE2 if b.get(i + 1) == Some(&0x80)
                    && matches!(b.get(i + 2), Some(0xA8 | 0xA9)) =>
                {
                    3
                }
                _ => 0,
            };
            if brk == 0 {
                i += 1;
            } else {
                out.push(&s[start..i]);
                i += brk;
                start = i;
            }
        }
    }
    if start < s.len() {
        out.push(&s[start..]);
    }
    out
}

/// Whether any byte of `word` is a control byte (< 0x20) or the lead byte 0xC2 or 0xE2: the
/// only bytes a line break can start with. May say yes wrongly (the caller then checks byte
/// by byte), never no wrongly.
#[inline]
fn may_start_break(word: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // Classic SWAR tests: a byte below n sets its high bit in (x - n*ONES) & !x.
    let below = |x: u64, n: u64| x.wrapping_sub(n * ONES) & !x & HIGH;
    below(word, 0x20) | below(word ^ (0xC2 * ONES), 1) | below(word ^ (0xE2 * ONES), 1) != 0
}

/// `len(s.split())`, without building the pieces; bytes at a time for ASCII text.
pub fn word_count(s: &str) -> usize {
    if !s.is_ascii() {
        return split_whitespace(s).count();
    }
    let mut count = 0;
    let mut in_word = false;
    for &b in s.as_bytes() {
        let space = matches!(b, b'\t'..=b'\r' | 0x1c..=0x1f | b' ');
        count += usize::from(!space && !in_word);
        in_word = !space;
    }
    count
}

/// `str.split()` with no argument: runs of whitespace separate, no empty pieces.
pub fn split_whitespace(s: &str) -> impl Iterator<Item = &str> {
    s.split(is_space).filter(|w| !w.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The byte-at-a-time definition the fast scan must agree with.
    fn splitlines_reference(s: &str) -> Vec<&str> {
        let mut out = Vec::new();
        let mut start = 0;
        let mut chars = s.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if matches!(
                c,
                '\n' | '\x0b' | '\x0c' | '\r' | '\x1c'
                    ..='\x1e' | '\u{85}' | '\u{2028}' | '\u{2029}'
            ) {
                out.push(&s[start..i]);
                start = i + c.len_utf8();
                if c == '\r' && chars.peek().map(|&(_, n)| n) == Some('\n') {
                    chars.next();
                    start += 1;
                }
            }
        }
        if start < s.len() {
            out.push(&s[start..]);
        }
        out
    }

    #[test]
    fn word_count_equals_split_count() {
        for s in [
            "",
            " ",
            "a",
            " a b  c ",
            "x\x1fy\tz\n",
            "é ü",
            "\u{a0}a\u{2003}b",
            "a\x0bb\x0c",
        ] {
            assert_eq!(word_count(s), split_whitespace(s).count(), "{s:?}");
        }
    }

    #[test]
    fn splitlines_fast_scan_agrees_at_every_alignment() {
        // Every break kind, and near-misses (other C2/E2 sequences, tab), at every offset
        // modulo 8 so each falls at each position of a scanned word and across word ends.
        let pieces = [
            "\n", "\r\n", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\u{85}", "\u{2028}",
            "\u{2029}", "\u{a0}", "\u{2019}", "\u{2027}", "\t", "\x1f", "é",
        ];
        for pad in 0..16 {
            for p in pieces {
                for q in pieces {
                    let s = format!("{}{p}ab{q}{}", "x".repeat(pad), "y".repeat(pad % 5));
                    assert_eq!(splitlines(&s), splitlines_reference(&s), "{s:?}");
                }
            }
        }
    }

    #[test]
    fn splitlines_matches_python() {
        // Expected values come from CPython 3.11 `str.splitlines()`.
        assert_eq!(splitlines(""), Vec::<&str>::new());
        assert_eq!(splitlines("\n"), vec![""]);
        assert_eq!(splitlines("a\r\nb\rc\n"), vec!["a", "b", "c"]);
        assert_eq!(splitlines("a\n\nb"), vec!["a", "", "b"]);
        assert_eq!(splitlines("a\u{2028}b\x1cc\u{85}"), vec!["a", "b", "c"]);
        assert_eq!(splitlines("x\r\r\ny"), vec!["x", "", "y"]);
        // Every code point: splitting agrees with `is_line_break`.
        for c in (0..0x3000u32).filter_map(char::from_u32) {
            let text = format!("a{c}b");
            let expected = if is_line_break(c) {
                vec!["a", "b"]
            } else {
                vec![text.as_str()]
            };
            assert_eq!(splitlines(&text), expected, "{:?}", c);
        }
    }

    #[test]
    fn whitespace_includes_information_separators() {
        assert!(is_space('\x1f'));
        assert!(is_space('\u{a0}'));
        assert!(!is_space('\u{200b}'));
        assert_eq!(strip("\x1c a b\u{3000}"), "a b");
        assert_eq!(
            split_whitespace(" a\x1fb  c ").collect::<Vec<_>>(),
            vec!["a", "b", "c"]
        );
    }

    #[test]
    fn alpha_is_letters_only() {
        assert!(is_alpha('é'));
        assert!(is_alpha('ا'));
        assert!(!is_alpha('\u{0301}')); // combining acute: Mn
        assert!(!is_alpha('Ⅻ')); // roman numeral: Nl
        assert!(!is_alpha('1'));
    }

    #[test]
    fn len_counts_code_points() {
        assert_eq!(len("aé😀"), 3);
    }
}
