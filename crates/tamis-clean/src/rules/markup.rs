//! `markup_code`: HTML or script source that leaked into the text.
//!
//! Extractors sometimes emit the raw markup of ads and widgets (`<a href=...><img ...>`,
//! `<script>` tags). C4 (Raffel et al. 2020) removes lines mentioning "javascript" and drops
//! pages with a curly bracket for the same reason; here we remove just the line when it holds
//! an HTML tag or is dense in code punctuation (`<`, `>`, `{`, `}`, `=`).
//!
//! Some renderers put a whole article on one line, behind an ad's leaked `<a><img></a>`; such a
//! line (60+ words of text, tags at most a fifth of it) loses only its tags. On the shared
//! corpus (2,154 pages) 20 lines are cut so, and that raises the gold-shingle F1 of the cleaned
//! cleaneval-dev pages from 0.831 to 0.863 (`bench/clean_labelled.py`).

use std::ops::Range;

use tamis_text::py;

use super::Line;
use crate::LineCleanConfig;

pub const ID: &str = "markup_code";

/// The byte ranges of `s` shaped like HTML tags: `<name ...>` or `</name>`.
fn tag_spans(s: &str) -> impl Iterator<Item = Range<usize>> + '_ {
    let b = s.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        while let Some(off) = b.get(i..)?.iter().position(|&c| c == b'<') {
            let lt = i + off;
            let start = lt + 1;
            i = start;
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
                        i = after + close + 1;
                        return Some(lt..i);
                    }
                }
            }
        }
        None
    })
}

/// Whether `s` holds something shaped like an HTML tag.
fn has_tag(s: &str) -> bool {
    tag_spans(s).next().is_some()
}

/// Code punctuation in `s` dense enough for a script: 4+ of `< > { } =`, one per 30 bytes.
fn is_code_dense(s: &str) -> bool {
    let code = s
        .bytes()
        .filter(|b| matches!(b, b'<' | b'>' | b'{' | b'}' | b'='))
        .count();
    code >= 4 && code * 30 >= s.len()
}

pub fn is_markup(line: &Line<'_>) -> bool {
    let t = line.text;
    if !t.contains(['<', '{', '=']) {
        return false;
    }
    has_tag(t) || is_code_dense(t)
}

/// For a long line of text with a few tags leaked into it (an ad's `<a><img></a>` in front of
/// an article that the text renderer put on one line), the byte ranges of `line.raw` between
/// the tags, to keep: the text outside the tags must hold at least `2 * good_long_words` words
/// and not read as code, and the tags at most a fifth of the line. Empty otherwise, and then
/// the line goes whole.
pub fn text_between_tags(line: &Line<'_>, cfg: &LineCleanConfig) -> Vec<Range<usize>> {
    let raw = line.raw;
    let offset = raw.len() - raw.trim_start_matches(py::is_space).len();
    let end = offset + line.text.len();
    let mut kept = Vec::new();
    let mut pos = offset;
    let mut tag_bytes = 0;
    for tag in tag_spans(line.text) {
        let tag = tag.start + offset..tag.end + offset;
        tag_bytes += tag.len();
        if !py::strip(&raw[pos..tag.start]).is_empty() {
            kept.push(pos..tag.start);
        }
        pos = tag.end;
    }
    if !py::strip(&raw[pos..end]).is_empty() {
        kept.push(pos..end);
    }
    // The kept text starts and ends with a word, as the line did.
    if let Some(first) = kept.first_mut() {
        first.start = first.end - raw[first.clone()].trim_start_matches(py::is_space).len();
    }
    if let Some(last) = kept.last_mut() {
        last.end = last.start + raw[last.clone()].trim_end_matches(py::is_space).len();
    }
    let words: usize = kept.iter().map(|r| py::word_count(&raw[r.clone()])).sum();
    let code = kept.iter().any(|r| is_code_dense(&raw[r.clone()]));
    if tag_bytes == 0 || tag_bytes * 5 > line.text.len() || words < 2 * cfg.good_long_words || code
    {
        return Vec::new();
    }
    kept
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

    #[test]
    fn a_long_article_line_keeps_its_text_around_a_leaked_ad() {
        let cfg = LineCleanConfig::default();
        let story = "The storm brought down trees across the county on Sunday night. ".repeat(7);
        let ad = "<a href=\"http://ads.example/click\"> <img src=\"http://ads.example/b.gif\"></a>";
        let line = format!("  {ad} {story}");
        let kept: Vec<&str> = text_between_tags(&Line::new(&line), &cfg)
            .into_iter()
            .map(|r| &line[r])
            .collect();
        assert_eq!(kept, [story.trim_end()]);
        // A short line, or one that is mostly tags, goes whole.
        assert!(text_between_tags(&Line::new(&format!("{ad} Click here")), &cfg).is_empty());
        let tags = format!("{ad}{ad}{ad}{ad}{ad}{ad}{ad}{ad}{ad}{ad}{ad} {story}");
        assert!(text_between_tags(&Line::new(&tags), &cfg).is_empty());
    }
}
