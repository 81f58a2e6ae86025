//! `markup_code`: HTML or script source that leaked into the text.
//!
//! Extractors sometimes emit the raw markup of ads and widgets (`<a href=...><img ...>`,
//! `<script>` tags). C4 (Raffel et al. 2020) removes lines mentioning "javascript" and drops
//! pages with a curly bracket for the same reason; here we remove just the line when it holds
//! an HTML tag or is dense in code punctuation (`<`, `>`, `{`, `}`, `=`).

use super::Line;

pub const ID: &str = "markup_code";

/// Whether `s` holds something shaped like an HTML tag: `<name ...>` or `</name>`.
fn has_tag(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while let Some(off) = b[i..].iter().position(|&c| c == b'<') {
        let start = i + off + 1;
        let name_start = if b.get(start) == Some(&b'/') {
            start + 1
        } else {
            start
        };
        let name_len = b[name_start.min(b.len())..]
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric())
            .count();
        if name_len > 0 && b.get(name_start).is_some_and(u8::is_ascii_alphabetic) {
            let after = name_start + name_len;
            if let Some(close) = b[after..].iter().position(|&c| c == b'>' || c == b'<') {
                let sep_ok = matches!(b.get(after), Some(b' ' | b'>' | b'/'));
                if sep_ok && b[after + close] == b'>' {
                    return true;
                }
            }
        }
        i = start;
        if i >= b.len() {
            break;
        }
    }
    false
}

pub fn is_markup(line: &Line<'_>) -> bool {
    let t = line.text;
    if !t.contains(['<', '{', '=']) {
        return false;
    }
    if has_tag(t) {
        return true;
    }
    let code = t
        .bytes()
        .filter(|b| matches!(b, b'<' | b'>' | b'{' | b'}' | b'='))
        .count();
    code >= 4 && code * 30 >= t.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_and_scripts_are_markup() {
        assert!(is_markup(&Line::new(
            "<a href='http://ads.example/click' target='_blank'><img src='x.gif'></a>"
        )));
        assert!(is_markup(&Line::new(
            "<script src=\"http://cdn.example/a.js\"></script>"
        )));
        assert!(is_markup(&Line::new("var a={b:1};if(a=={c:2}){x=y}")));
    }

    #[test]
    fn comparisons_in_prose_are_not() {
        assert!(!is_markup(&Line::new(
            "The result holds when a < b and b > 0 for every input."
        )));
        assert!(!is_markup(&Line::new(
            "Descriptors: Grade 5; Grade 6; Grade 7."
        )));
    }
}
