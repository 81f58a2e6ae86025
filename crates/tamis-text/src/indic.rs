//! datatrove 0.10.1's `IndicNLPTokenizer` (`datatrove/utils/word_tokenizers.py`): the
//! `trivial_tokenize` of indic-nlp-library 0.92 (`indicnlp/tokenize/indic_tokenize.py`, MIT,
//! Anoop Kunchukuttan), then `strip_strings` (each token stripped, empty ones dropped).
//!
//! The rule, reimplemented from its behaviour: tabs count as spaces; every punctuation
//! character (`string.punctuation` but the backslash, plus the dandas and other Brahmi-script
//! marks, or for Urdu the Arabic-script marks) becomes a token of its own; the rest splits on runs of spaces only,
//! so a token may hold a line break or another whitespace character inside it. For every
//! language but Urdu, number sequences such as "12 , 5" or "1 / 2 / 2024" (in the spaced-out
//! text) are joined back into one token without their spaces ("12,5"), by the regex
//! `([0-9]+ [,.:/] )+[0-9]+` run over the spaced text; its loop skips a match that starts at
//! the very beginning of the text, which is kept here.
//!
//! A joined word is not a substring of the text: its span carries [`JOINED`] in the end offset,
//! and the word is the spanned text without its spaces and tabs ([`crate::words::word_at`]).

/// Set in a span's end offset when the word is the spanned text with ' ' and '\t' removed.
pub const JOINED: u32 = 1 << 31;

fn is_punct(c: char, urdu: bool) -> bool {
    if c.is_ascii() {
        // `string.punctuation` is the ASCII punctuation, but pasted into a regex class its
        // "\\]" reads as an escaped "]": the backslash itself is not split off.
        return c.is_ascii_punctuation() && c != '\\';
    }
    if urdu {
        matches!(
            c,
            '\u{609}' | '\u{60a}' | '\u{60c}' | '\u{61e}' | '\u{66a}'..='\u{66d}' | '\u{6d4}'
        )
    } else {
        matches!(
            c,
            '\u{964}' | '\u{965}' | '\u{aaf0}' | '\u{aaf1}' | '\u{abeb}'
                ..='\u{abef}' | '\u{1c7e}' | '\u{1c7f}'
        )
    }
}

/// Appends the word spans of `IndicNLPTokenizer(lang).word_tokenize(text)` to `out`; `urdu`
/// for the language "ur", whose punctuation differs and whose numbers are not joined.
pub fn word_spans_into(text: &str, urdu: bool, out: &mut Vec<(u32, u32)>) {
    let toks = raw_tokens(text, urdu);
    let b = text.as_bytes();
    let tok = |i: usize| &b[toks[i].0 as usize..toks[i].1 as usize];
    let all_digits = |t: &[u8]| t.iter().all(u8::is_ascii_digit);
    let sep = |t: &[u8]| matches!(t, [b',' | b'.' | b':' | b'/']);
    let starts_digit = |t: &[u8]| t.first().is_some_and(u8::is_ascii_digit);

    // Groups of consecutive tokens to join, as (first, last) token indices.
    let mut groups: Vec<(usize, usize)> = Vec::new();
    if !urdu {
        let n = toks.len();
        let (mut i, mut resumed) = (0, false);
        while i < n {
            let t = tok(i);
            // A match starts at the digit run that ends token `i` (when the previous match
            // ended inside this token, its leading digits were consumed), then needs
            // " sep " and a digit.
            let starts = t.last().is_some_and(u8::is_ascii_digit)
                && !(resumed && all_digits(t))
                && i + 2 < n
                && sep(tok(i + 1))
                && starts_digit(tok(i + 2));
            if !starts {
                i += 1;
                resumed = false;
                continue;
            }
            // Greedy repetitions over whole-digit tokens; the match ends in the last token
            // reached, after its leading digits.
            let mut last = i + 2;
            while all_digits(tok(last))
                && last + 2 < n
                && sep(tok(last + 1))
                && starts_digit(tok(last + 2))
            {
                last += 2;
            }
            if !(i == 0 && all_digits(tok(0))) {
                match groups.last_mut() {
                    Some(g) if g.1 == i => g.1 = last,
                    _ => groups.push((i, last)),
                }
            }
            i = last;
            resumed = true;
        }
    }

    let mut push = |start: u32, end: u32, joined: bool| {
        let s = &text[start as usize..end as usize];
        let lead = s.len() - crate::py::lstrip(s).len();
        let trail = s.len() - crate::py::rstrip(s).len();
        if lead + trail < s.len() {
            let end = end - trail as u32;
            out.push((start + lead as u32, if joined { end | JOINED } else { end }));
        }
    };
    let mut g = groups.iter().peekable();
    let mut i = 0;
    while i < toks.len() {
        match g.peek() {
            Some(&&(first, last)) if first == i => {
                push(toks[first].0, toks[last].1, true);
                g.next();
                i = last + 1;
            }
            _ => {
                push(toks[i].0, toks[i].1, false);
                i += 1;
            }
        }
    }
}

/// The tokens of the spaced-out text: each punctuation character alone, and maximal runs of
/// other characters between spaces and tabs.
fn raw_tokens(text: &str, urdu: bool) -> Vec<(u32, u32)> {
    let mut toks = Vec::new();
    let mut start: Option<usize> = None;
    for (i, c) in text.char_indices() {
        let punct = is_punct(c, urdu);
        if c == ' ' || c == '\t' || punct {
            if let Some(s) = start.take() {
                toks.push((s as u32, i as u32));
            }
            if punct {
                toks.push((i as u32, (i + c.len_utf8()) as u32));
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        toks.push((s as u32, text.len() as u32));
    }
    toks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str, urdu: bool) -> Vec<String> {
        let mut spans = Vec::new();
        word_spans_into(text, urdu, &mut spans);
        spans
            .into_iter()
            .map(|(a, b)| crate::words::word_at(text, (a, b)).into_owned())
            .collect()
    }

    #[test]
    fn punctuation_splits_and_numbers_join() {
        assert_eq!(
            words("यह एक वाक्य है। दूसरा, 12, 5 और 1 / 2 / 2024!", false),
            [
                "यह",
                "एक",
                "वाक्य",
                "है",
                "।",
                "दूसरा",
                ",",
                "12,5",
                "और",
                "1/2/2024",
                "!"
            ]
        );
        // Urdu keeps the numbers apart.
        assert_eq!(
            words("کل 12, 5 ہے۔", true),
            ["کل", "12", ",", "5", "ہے", "۔"]
        );
        // Only spaces and tabs split; other whitespace stays inside a word or is stripped.
        assert_eq!(words("a\nb \u{a0}c\t d\n", false), ["a\nb", "c", "d"]);
    }

    #[test]
    fn a_number_sequence_at_the_very_start_stays_apart() {
        assert_eq!(words("1 , 2 x 3 , 4", false), ["1", ",", "2", "x", "3,4"]);
        assert_eq!(words("a1 , 2", false), ["a1,2"]);
        // A match ending inside a word lets the word's own trailing digits start the next.
        assert_eq!(words("x 1 , 2ab3 , 4", false), ["x", "1,2ab3,4"]);
        // Greedy repetition backs off to a token that starts with a digit.
        assert_eq!(words("x 1 , 2 , y", false), ["x", "1,2", ",", "y"]);
    }
}
