//! spaCy's English prefix, suffix and infix rules (`spacy/lang/punctuation.py` and
//! `spacy/lang/en/punctuation.py`), written out by hand because they use lookbehind and
//! lookahead, which the `regex` crate lacks, and because a hand-written check of one or two
//! characters is far faster than running a 120-way alternation at every step.
//!
//! spaCy compiles the rules with Python's `re`; these functions return exactly what
//! `Tokenizer.find_prefix`, `find_suffix` and `find_infix` return, in bytes:
//!
//! * prefix: `re.search("^a|^b|...")` — at position 0 the *first alternative in order* that
//!   matches wins;
//! * suffix: `re.search("a$|b$|...")` — the *leftmost start* from which any alternative reaches
//!   the end wins, so the longest matching suffix;
//! * infix: `re.finditer("a|b|...")` — non-overlapping, left to right, first alternative in order
//!   at each position; lookarounds see the whole string passed in (and nothing outside it).
//!
//! `tools/gen_spacy_en_data.py` asserts that spaCy's pattern lists have exactly the shape
//! implemented here and computes the character classes.

use super::data::{class, Data};

#[inline]
fn prev_char(s: &str, i: usize) -> Option<char> {
    s[..i].chars().next_back()
}

#[inline]
fn next_char(s: &str, i: usize) -> Option<char> {
    s[i..].chars().next()
}

/// Byte length of the run of `.` starting at `i`.
#[inline]
fn dot_run(s: &str, i: usize) -> usize {
    s.as_bytes()[i..].iter().take_while(|&&b| b == b'.').count()
}

/// `Tokenizer.find_prefix`: length in bytes of the prefix spaCy splits off `s`, 0 if none.
///
/// Alternatives of `TOKENIZER_PREFIXES`: single characters (`§ % = — –`, `LIST_PUNCT`, `…`,
/// `LIST_QUOTES`, single-character `LIST_CURRENCY`, `LIST_ICONS`), `\+(?![0-9])`, `\.\.+`,
/// `US\$`, `C\$`, `A\$`, and `……`, which comes after `…` and so never wins. No other two
/// alternatives start with the same character, so their order does not matter.
pub(crate) fn find_prefix(d: &Data, s: &str) -> usize {
    let Some(c) = s.chars().next() else {
        return 0;
    };
    if d.is(c, class::PREFIX1) {
        return c.len_utf8();
    }
    let b = s.as_bytes();
    match c {
        '+' if !b.get(1).is_some_and(u8::is_ascii_digit) => 1,
        '.' => {
            let run = dot_run(s, 0);
            if run >= 2 {
                run
            } else {
                0
            }
        }
        'U' if s.starts_with("US$") => 3,
        'C' if s.starts_with("C$") => 2,
        'A' if s.starts_with("A$") => 2,
        _ => 0,
    }
}

/// `Tokenizer.find_suffix`: length in bytes of the suffix spaCy splits off `s`, 0 if none.
///
/// Alternatives of `TOKENIZER_SUFFIXES`, each anchored with `$`: single characters
/// (`LIST_PUNCT`, `…`, `LIST_QUOTES`, `LIST_ICONS`, `—`, `–`), `……`, `\.\.+`, `'s 'S ’s ’S`,
/// `(?<=[0-9])\+`, `(?<=°[FfCcKk])\.`, `(?<=[0-9])(?:CURRENCY)`, `(?<=[0-9])(?:UNITS)`,
/// `(?<=[0-9{al}{e}{p}(?:{q})])\.`, `(?<=[{au}][{au}])\.`. `re.search` returns the match with
/// the leftmost start, so we take the smallest start over all alternatives.
pub(crate) fn find_suffix(d: &Data, s: &str) -> usize {
    let b = s.as_bytes();
    let n = b.len();
    let Some(&last_byte) = b.last() else {
        return 0;
    };
    let mut best = n;
    if last_byte.is_ascii_alphabetic() {
        // Fast path for the common case: of the alternatives, only `'s`-like ones and the units
        // end in an ASCII letter (`parse` checks that no single-character one does).
        if (last_byte == b's' || last_byte == b'S') && n >= 2 {
            if b[n - 2] == b'\'' {
                best = n - 2;
            } else if s[..n - 1].ends_with('’') {
                best = n - 1 - '’'.len_utf8();
            }
        }
    } else {
        best = punct_suffix_start(d, s);
    }
    // (?<=[0-9])(?:CURRENCY)$ and (?<=[0-9])(?:UNITS)$: only if an ASCII digit is near the end.
    let reach = n.saturating_sub(d.max_digit_suffix_bytes + 1);
    if n >= 2 && b[reach..n - 1].iter().any(u8::is_ascii_digit) {
        let mut start = n;
        for _ in 0..d.max_digit_suffix_chars {
            let Some(c) = s[..start].chars().next_back() else {
                break;
            };
            start -= c.len_utf8();
            // An ASCII byte is always a whole character.
            if start < best
                && start > 0
                && b[start - 1].is_ascii_digit()
                && d.digit_suffixes.contains(&s[start..])
            {
                best = start;
            }
        }
    }
    n - best
}

/// The smallest start of the suffix alternatives other than `'s` and the currency/unit ones.
fn punct_suffix_start(d: &Data, s: &str) -> usize {
    let b = s.as_bytes();
    let n = b.len();
    let Some(last) = s.chars().next_back() else {
        return n;
    };
    let p1 = n - last.len_utf8();
    let mut best = n;
    if d.is(last, class::SUFFIX1) {
        best = p1;
    }
    if s.ends_with("……") {
        best = best.min(n - "……".len());
    }
    match last {
        '.' => {
            // \.\.+$ : the whole trailing run of dots, if at least two.
            let run = b.iter().rev().take_while(|&&c| c == b'.').count();
            if run >= 2 {
                best = best.min(n - run);
            } else if best > p1 {
                let mut before = s[..p1].chars().rev();
                let c1 = before.next();
                let c2 = before.next();
                let dot_suffix = match c1 {
                    // (?<=°[FfCcKk])\.
                    Some('F' | 'f' | 'C' | 'c' | 'K' | 'k') if c2 == Some('°') => true,
                    // (?<=[0-9{al}{e}{p}(?:{q})])\.
                    Some(c) if d.is(c, class::SUFFIX_DOT_AFTER) => true,
                    // (?<=[{au}][{au}])\.
                    Some(c) => {
                        d.is(c, class::ALPHA_UPPER)
                            && c2.is_some_and(|c2| d.is(c2, class::ALPHA_UPPER))
                    }
                    None => false,
                };
                if dot_suffix {
                    best = p1;
                }
            }
        }
        // (?<=[0-9])\+
        '+' if p1 > 0 && b[p1 - 1].is_ascii_digit() => best = best.min(p1),
        _ => {}
    }
    best
}

/// `Tokenizer.find_infix`: the `(start, end)` byte spans of `re.finditer` over `s`.
///
/// Alternatives of the English `TOKENIZER_INFIXES`, in order: `\.\.+`, `…`, `LIST_ICONS`,
/// `(?<=[0-9])[+\-\*^](?=[0-9-])`, `(?<=[{al}{q}])\.(?=[{au}{q}])`, `(?<=[{a}]),(?=[{a}])`,
/// `(?<=[{a}0-9])(?:-|–|—|--|---|——|~)(?=[{a}])`, `(?<=[{a}0-9])[:<>=/](?=[{a}])`.
pub(crate) fn find_infixes(d: &Data, s: &str, out: &mut Vec<(usize, usize)>) {
    out.clear();
    let b = s.as_bytes();
    let n = b.len();
    let mut pos = 0;
    while pos < n {
        let byte = b[pos];
        if byte < 0x80 {
            // Fast skip of ASCII characters no infix alternative can start with.
            if !matches!(
                byte,
                b'.' | b'+' | b'-' | b'*' | b'^' | b',' | b':' | b'<' | b'>' | b'=' | b'/' | b'~'
            ) {
                pos += 1;
                continue;
            }
        }
        let c = next_char(s, pos).unwrap_or('\0');
        match infix_at(d, s, pos, c) {
            Some(end) => {
                out.push((pos, end));
                pos = end;
            }
            None => pos += c.len_utf8(),
        }
    }
}

/// The end of the infix match starting at `pos` (where `c` starts), trying the alternatives in
/// the regex's order.
#[inline]
fn infix_at(d: &Data, s: &str, pos: usize, c: char) -> Option<usize> {
    let b = s.as_bytes();
    let after = pos + c.len_utf8();
    // \.\.+
    if c == '.' && b.get(pos + 1) == Some(&b'.') {
        return Some(pos + dot_run(s, pos));
    }
    // …  and the icon class
    if c == '…' || (!c.is_ascii() && d.is(c, class::ICON)) {
        return Some(after);
    }
    let prev = prev_char(s, pos);
    let next = next_char(s, after);
    let is = |ch: Option<char>, mask: u16| ch.is_some_and(|ch| d.is(ch, mask));
    // (?<=[0-9])[+\-\*^](?=[0-9-])
    if matches!(c, '+' | '-' | '*' | '^')
        && prev.is_some_and(|p| p.is_ascii_digit())
        && next.is_some_and(|x| x.is_ascii_digit() || x == '-')
    {
        return Some(after);
    }
    match c {
        // (?<=[{al}{q}])\.(?=[{au}{q}])
        '.' if is(prev, class::ALPHA_LOWER | class::QUOTE)
            && is(next, class::ALPHA_UPPER | class::QUOTE) =>
        {
            Some(after)
        }
        // (?<=[{a}]),(?=[{a}])
        ',' if is(prev, class::ALPHA) && is(next, class::ALPHA) => Some(after),
        '-' | '–' | '—' | '~' | ':' | '<' | '>' | '=' | '/' => {
            // Both remaining alternatives need (?<=[{a}0-9]).
            if !(prev.is_some_and(|p| p.is_ascii_digit()) || is(prev, class::ALPHA)) {
                return None;
            }
            match c {
                // (?:-|--|---)(?=[{a}]) in that order; likewise (?:—|——).
                '-' | '—' => {
                    let mut buf = [0u8; 4];
                    let unit = c.encode_utf8(&mut buf).as_bytes();
                    let max_repeat = if c == '-' { 3 } else { 2 };
                    let mut end = after;
                    for k in 1..=max_repeat {
                        if k > 1 {
                            if !b[end..].starts_with(unit) {
                                return None;
                            }
                            end += unit.len();
                        }
                        if is(next_char(s, end), class::ALPHA) {
                            return Some(end);
                        }
                    }
                    None
                }
                '–' | '~' => is(next, class::ALPHA).then_some(after),
                // (?<=[{a}0-9])[:<>=/](?=[{a}])
                _ => is(next, class::ALPHA).then_some(after),
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::en::data::data;

    // Expected values: spaCy 3.8.18's Tokenizer.find_prefix / find_suffix / find_infix,
    // converted to UTF-8 byte offsets.

    #[test]
    fn prefixes() {
        let d = data();
        let cases = [
            ("US$5", 3),
            ("+5", 0),
            ("+a", 1),
            ("..a", 2),
            ("…x", 3),
            ("(x", 1),
            ("x", 0),
        ];
        for (s, want) in cases {
            assert_eq!(find_prefix(d, s), want, "{s:?}");
        }
    }

    #[test]
    fn suffixes() {
        let d = data();
        let cases = [
            ("5km", 2),
            ("a.", 1),
            ("A.", 0),
            ("AB.", 1),
            ("5US$", 3),
            ("x...", 3),
            ("it's", 2),
            ("it’s", 4),
            ("20°C.", 1),
            ("x)", 1),
            ("5%", 1),
            ("a%", 0),
            ("3+", 1),
            ("x……", 6),
            ("x", 0),
        ];
        for (s, want) in cases {
            assert_eq!(find_suffix(d, s), want, "{s:?}");
        }
    }

    #[test]
    fn infixes() {
        let d = data();
        let cases: [(&str, &[(usize, usize)]); 14] = [
            ("a-b", &[(1, 2)]),
            ("1--2", &[(1, 2)]),
            ("a--b", &[(1, 3)]),
            ("a---b", &[(1, 4)]),
            ("a----b", &[]),
            ("1-2", &[(1, 2)]),
            ("x.Y", &[(1, 2)]),
            ("x.y", &[]),
            ("a,b", &[(1, 2)]),
            ("a:b", &[(1, 2)]),
            ("a…b", &[(1, 4)]),
            ("a...b", &[(1, 4)]),
            ("a—b", &[(1, 4)]),
            ("©a", &[(0, 2)]),
        ];
        let mut out = Vec::new();
        for (s, want) in cases {
            find_infixes(d, s, &mut out);
            assert_eq!(out, want, "{s:?}");
        }
    }
}
