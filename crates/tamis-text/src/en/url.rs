//! spaCy's `URL_MATCH` (`spacy/lang/tokenizer_exceptions.py`, `re.compile("(?u)" + URL_PATTERN)
//! .match`), which English uses as the tokenizer's `url_match`: a string it matches is kept as
//! one token instead of being split at infixes.
//!
//! The pattern is anchored at both ends, so only *whether* it matches matters. Python's
//! backtracking explores every way to split the string into its parts, so this is written as
//! "does some split exist", trying each candidate boundary:
//!
//! ```text
//! ^ (?:[\w\+\-\.]{2,}://)?                      protocol
//!   (?:\S+(?::\S*)?@)?                           user:pass@
//!   (?: (?!10|127 …)(?!169.254|192.168 …)(?!172.16-31 …) IPv4     (lookaheads reject private IPs)
//!     | (?:(?:H[H_-]{0,62})?H\.)+ [ALPHA_LOWER]{2,63} )           host names, H = [A-Za-z0-9\u00a1-\uffff]
//!   (?::\d{2,5})? (?:[/?#]\S*)? $
//! ```
//!
//! `\d`, `\w` and `\S` are Python's Unicode classes (tables from Python 3.11). The input never
//! contains whitespace (the tokenizer only calls this on whitespace-free pieces), so `\S`
//! matches every character.

use super::data::{class, Data};

/// `URL_MATCH(s) is not None` for whitespace-free `s`, given as its characters.
pub(crate) fn url_match(d: &Data, s: &[char]) -> bool {
    // Both host alternatives need a '.'.
    if !s.contains(&'.') {
        return false;
    }
    let mut starts = [0usize, usize::MAX];
    // (?:[\w\+\-\.]{2,})://  — ':' is outside the class, so the run ends at the first ':'.
    let run = s
        .iter()
        .take_while(|&&c| c == '+' || c == '-' || c == '.' || d.is(c, class::RE_WORD))
        .count();
    if run >= 2 && s[run..].starts_with(&[':', '/', '/']) {
        starts[1] = run + 3;
    }
    for &q in starts.iter().filter(|&&q| q != usize::MAX) {
        // Without user info, or after any '@' with at least one character before it.
        if host_and_rest(d, s, q) {
            return true;
        }
        for at in (q + 1)..s.len() {
            if s[at] == '@' && host_and_rest(d, s, at + 1) {
                return true;
            }
        }
    }
    false
}

#[inline]
fn digit(d: &Data, s: &[char], i: usize) -> bool {
    s.get(i).is_some_and(|&c| d.is(c, class::RE_DIGIT))
}

#[inline]
fn at(s: &[char], i: usize) -> Option<char> {
    s.get(i).copied()
}

/// Host (IPv4 or names) from `r`, then optional port and path, then the end.
fn host_and_rest(d: &Data, s: &[char], r: usize) -> bool {
    if r >= s.len() {
        return false;
    }
    if !private_ip_lookahead(d, s, r) {
        let mut ends = Vec::new();
        ipv4_ends(d, s, r, &mut ends);
        if ends.into_iter().any(|e| rest_ok(d, s, e)) {
            return true;
        }
    }
    host_name(d, s, r)
}

/// `(?::\d{2,5})?(?:[/?#]\S*)?$` from `e`.
fn rest_ok(d: &Data, s: &[char], e: usize) -> bool {
    match at(s, e) {
        None | Some('/' | '?' | '#') => true,
        Some(':') => {
            let digits = (e + 1..s.len())
                .take(6)
                .take_while(|&i| digit(d, s, i))
                .count();
            (2..=5).contains(&digits)
                && matches!(at(s, e + 1 + digits), None | Some('/' | '?' | '#'))
        }
        _ => false,
    }
}

/// `(?:\.\d{1,3}){k}` matches at `p` (as a lookahead: nothing required after it).
fn dotted_groups(d: &Data, s: &[char], p: usize, k: usize) -> bool {
    if k == 0 {
        return true;
    }
    if at(s, p) != Some('.') {
        return false;
    }
    (1..=3)
        .take_while(|&n| digit(d, s, p + n))
        .any(|n| dotted_groups(d, s, p + 1 + n, k - 1))
}

fn starts_with_at(s: &[char], p: usize, lit: &str) -> bool {
    lit.chars()
        .enumerate()
        .all(|(k, c)| at(s, p + k) == Some(c))
}

/// Whether one of the three negative lookaheads before the IPv4 alternative matches at `r`.
fn private_ip_lookahead(d: &Data, s: &[char], r: usize) -> bool {
    // (?!(?:10|127)(?:\.\d{1,3}){3})
    if (starts_with_at(s, r, "10") && dotted_groups(d, s, r + 2, 3))
        || (starts_with_at(s, r, "127") && dotted_groups(d, s, r + 3, 3))
    {
        return true;
    }
    // (?!(?:169\.254|192\.168)(?:\.\d{1,3}){2})
    if (starts_with_at(s, r, "169.254") || starts_with_at(s, r, "192.168"))
        && dotted_groups(d, s, r + 7, 2)
    {
        return true;
    }
    // (?!172\.(?:1[6-9]|2\d|3[0-1])(?:\.\d{1,3}){2})
    if starts_with_at(s, r, "172.") {
        let p = r + 4;
        let second = match at(s, p) {
            Some('1') => matches!(at(s, p + 1), Some('6'..='9')),
            Some('2') => digit(d, s, p + 1),
            Some('3') => matches!(at(s, p + 1), Some('0' | '1')),
            _ => false,
        };
        if second && dotted_groups(d, s, p + 2, 2) {
            return true;
        }
    }
    false
}

/// Every end position of `(?:[1-9]\d?|1\d\d|2[01]\d|22[0-3])(?:\.(?:1?\d{1,2}|2[0-4]\d|25[0-5])){2}
/// (?:\.(?:[1-9]\d?|1\d\d|2[0-4]\d|25[0-4]))` from `r`.
fn ipv4_ends(d: &Data, s: &[char], r: usize, out: &mut Vec<usize>) {
    let mut cur = Vec::new();
    first_octet(d, s, r, &mut cur);
    for _ in 0..2 {
        let mut next = Vec::new();
        for &p in &cur {
            if at(s, p) == Some('.') {
                middle_octet(d, s, p + 1, &mut next);
            }
        }
        next.sort_unstable();
        next.dedup();
        cur = next;
    }
    for &p in &cur {
        if at(s, p) == Some('.') {
            last_octet(d, s, p + 1, out);
        }
    }
}

fn first_octet(d: &Data, s: &[char], p: usize, out: &mut Vec<usize>) {
    let c0 = at(s, p);
    let c1 = at(s, p + 1);
    if matches!(c0, Some('1'..='9')) {
        out.push(p + 1);
        if digit(d, s, p + 1) {
            out.push(p + 2);
        }
    }
    let three = match c0 {
        Some('1') => digit(d, s, p + 1) && digit(d, s, p + 2),
        Some('2') => match c1 {
            Some('0' | '1') => digit(d, s, p + 2),
            Some('2') => matches!(at(s, p + 2), Some('0'..='3')),
            _ => false,
        },
        _ => false,
    };
    if three {
        out.push(p + 3);
    }
}

fn middle_octet(d: &Data, s: &[char], p: usize, out: &mut Vec<usize>) {
    // 1?\d{1,2}
    if digit(d, s, p) {
        out.push(p + 1);
        if digit(d, s, p + 1) {
            out.push(p + 2);
        }
    }
    if at(s, p) == Some('1') && digit(d, s, p + 1) {
        out.push(p + 2);
        if digit(d, s, p + 2) {
            out.push(p + 3);
        }
    }
    // 2[0-4]\d | 25[0-5]
    if at(s, p) == Some('2') {
        let three = match at(s, p + 1) {
            Some('0'..='4') => digit(d, s, p + 2),
            Some('5') => matches!(at(s, p + 2), Some('0'..='5')),
            _ => false,
        };
        if three {
            out.push(p + 3);
        }
    }
}

fn last_octet(d: &Data, s: &[char], p: usize, out: &mut Vec<usize>) {
    // [1-9]\d?
    if matches!(at(s, p), Some('1'..='9')) {
        out.push(p + 1);
        if digit(d, s, p + 1) {
            out.push(p + 2);
        }
    }
    let three = match at(s, p) {
        Some('1') => digit(d, s, p + 1) && digit(d, s, p + 2),
        Some('2') => match at(s, p + 1) {
            Some('0'..='4') => digit(d, s, p + 2),
            Some('5') => matches!(at(s, p + 2), Some('0'..='4')),
            _ => false,
        },
        _ => false,
    };
    if three {
        out.push(p + 3);
    }
}

/// `[A-Za-z0-9\u00a1-\uffff]`
#[inline]
fn host_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || ('\u{a1}'..='\u{ffff}').contains(&c)
}

/// `(?:(?:H[H_-]{0,62})?H\.)+(?:[ALPHA_LOWER]{2,63})` then the rest, from `r`.
///
/// A label is a run of `[H_-]` characters followed by '.' (it cannot contain '.'), so the labels
/// are determined; after each valid label the top-level domain may start. The TLD is followed by
/// ':', '/', '?', '#' or the end, none of which is in `ALPHA_LOWER`, so it must be the whole run
/// of `ALPHA_LOWER` characters. Every scan stops at the first character outside its class (such
/// as '@'), which keeps [`url_match`] linear in total over all its start positions.
fn host_name(d: &Data, s: &[char], r: usize) -> bool {
    let mut p = r;
    loop {
        let len = s[p..]
            .iter()
            .take_while(|&&c| host_char(c) || c == '_' || c == '-')
            .count();
        let valid = (1..=64).contains(&len) && host_char(s[p]) && host_char(s[p + len - 1]);
        if !valid || at(s, p + len) != Some('.') {
            return false;
        }
        let t = p + len + 1;
        let tld = s[t..]
            .iter()
            .take(64)
            .take_while(|&&c| d.is(c, class::ALPHA_LOWER))
            .count();
        if (2..=63).contains(&tld) && rest_ok(d, s, t + tld) {
            return true;
        }
        p = t;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::en::data::data;

    #[test]
    fn matches_spacy_url_match() {
        // Expected values: spaCy's URL_MATCH(s) is not None.
        let cases = [
            ("http://x.com/a-b", true),
            ("192.168.1.1", false), // private range, and digits are no TLD
            ("8.8.8.8", true),
            ("x.com", true),
            ("a@b.co", true),
            ("x.Com", false), // the TLD must be lower case
            ("localhost:80", false),
            ("中国.中国", true),
        ];
        for (s, want) in cases {
            let chars: Vec<char> = s.chars().collect();
            assert_eq!(url_match(data(), &chars), want, "{s:?}");
        }
    }
}
