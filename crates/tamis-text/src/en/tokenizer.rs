//! The tokenization algorithm of spaCy's `Tokenizer.__call__` (`spacy/tokenizer.pyx`, 3.8.18)
//! with English's settings: `_tokenize_affixes` (split on whitespace), `_split_affixes`,
//! `_attach_tokens` and `_apply_special_cases`.
//!
//! spaCy also keeps a cache of tokenized whitespace-separated chunks. It never changes a result:
//! an entry is the deterministic tokenization of its chunk, entries are only stored when no
//! exception was involved, and the one lookup that reuses an entry for a *different* role (the
//! affix-stripped remainder in `_attach_tokens`) only happens for a remainder that has no prefix
//! or suffix left, whose full tokenization is the same thing. So there is no cache here.

use super::affix::{find_infixes, find_prefix, find_suffix};
use super::data::{class, Data};
use super::url::url_match;
use crate::py;

/// One token: a byte range of the text. `space` marks whitespace tokens (runs of whitespace
/// other than a single ' ' after a word), which `word_tokenize` strips away but the Sentencizer
/// sees.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Tok {
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) space: bool,
}

/// Reusable buffers, so tokenizing does not allocate per chunk or per token.
#[derive(Default)]
pub(crate) struct Scratch {
    pub(crate) toks: Vec<Tok>,
    suffixes: Vec<(usize, usize)>,
    infixes: Vec<(usize, usize)>,
    chars: Vec<char>,
    matches: Vec<(usize, usize)>,
    seen: Vec<bool>,
    rebuilt: Vec<Tok>,
}

/// Tokenize `text` like `nlp.tokenizer(text)` into `scratch.toks`.
pub(crate) fn tokenize(d: &Data, text: &str, scratch: &mut Scratch) {
    scratch.toks.clear();
    split_whitespace(d, text, scratch);
    apply_special_cases(d, text, scratch);
}

/// `_tokenize_affixes`: alternate runs of whitespace and non-whitespace (`str.isspace`); a run of
/// whitespace loses its first character when that is ' ' (the `spacy` flag of the token before).
fn split_whitespace(d: &Data, text: &str, scratch: &mut Scratch) {
    let b = text.as_bytes();
    let n = b.len();
    let mut in_ws = text.chars().next().is_some_and(py::is_space);
    let mut start = 0;
    let mut i = 0;
    while i < n {
        // Advance `i` to the end of the current run (the first character whose `isspace()`
        // differs from `in_ws`).
        while i < n {
            let byte = b[i];
            if byte < 0x80 {
                if is_ascii_space(byte) != in_ws {
                    break;
                }
                i += 1;
            } else {
                let c = text[i..].chars().next().unwrap_or('\0');
                if py::is_space(c) != in_ws {
                    break;
                }
                i += c.len_utf8();
            }
        }
        if i == n {
            break;
        }
        if start < i {
            chunk(d, text, start, i, in_ws, scratch);
        }
        // A ' ' ending a non-whitespace run is absorbed (the previous token's `spacy` flag).
        start = if b[i] == b' ' { i + 1 } else { i };
        in_ws = !in_ws;
    }
    if start < n {
        chunk(d, text, start, n, in_ws, scratch);
    }
}

/// `str.isspace` for an ASCII byte.
#[inline]
fn is_ascii_space(byte: u8) -> bool {
    matches!(byte, b'\t'..=b'\r' | 0x1c..=0x1f | b' ')
}

/// Tokenize one whitespace or non-whitespace run (`_try_specials_and_cache` + `_tokenize`).
#[inline]
fn chunk(d: &Data, text: &str, start: usize, end: usize, ws: bool, scratch: &mut Scratch) {
    if ws {
        // No affix, infix or exception splits whitespace (the generator checks that no
        // whitespace character is in an affix class; the whitespace exceptions are one token).
        scratch.toks.push(Tok {
            start,
            end,
            space: true,
        });
        return;
    }
    if let Some(lens) = d.rule(&text[start..end]) {
        push_rule(&mut scratch.toks, start, lens);
        return;
    }
    split_affixes_and_attach(d, text, start, end, scratch);
}

#[inline]
fn push_rule(toks: &mut Vec<Tok>, start: usize, lens: &[u8]) {
    let mut p = start;
    for &len in lens {
        let q = p + len as usize;
        toks.push(Tok {
            start: p,
            end: q,
            space: false,
        });
        p = q;
    }
}

#[inline]
fn push(toks: &mut Vec<Tok>, start: usize, end: usize) {
    toks.push(Tok {
        start,
        end,
        space: false,
    });
}

/// `_split_affixes` followed by `_attach_tokens`, for a chunk that is not itself an exception.
fn split_affixes_and_attach(d: &Data, text: &str, start: usize, end: usize, scratch: &mut Scratch) {
    let (mut lo, mut hi) = (start, end);
    scratch.suffixes.clear();
    // Whether the loop stopped on an exception (the remainder is then tokenized by its rule).
    let mut special = false;
    let mut first = true;
    let mut last_len = usize::MAX;
    while lo < hi && hi - lo != last_len {
        let s = &text[lo..hi];
        // The whole chunk was already looked up by the caller.
        if !first && d.rule(s).is_some() {
            special = true;
            break;
        }
        first = false;
        last_len = hi - lo;
        let pre = find_prefix(d, s);
        if pre != 0 {
            let minus_pre = &text[lo + pre..hi];
            if !minus_pre.is_empty() && d.rule(minus_pre).is_some() {
                push(&mut scratch.toks, lo, lo + pre);
                lo += pre;
                special = true;
                break;
            }
        }
        let suf = find_suffix(d, &text[lo + pre..hi]);
        if suf != 0 {
            let minus_suf = &text[lo..hi - suf];
            if !minus_suf.is_empty() && d.rule(minus_suf).is_some() {
                scratch.suffixes.push((hi - suf, hi));
                hi -= suf;
                special = true;
                break;
            }
        }
        // The suffix was searched after the prefix, so both always fit together.
        if pre != 0 {
            push(&mut scratch.toks, lo, lo + pre);
            lo += pre;
        }
        if suf != 0 {
            scratch.suffixes.push((hi - suf, hi));
            hi -= suf;
        }
    }
    if lo < hi {
        attach(d, text, lo, hi, special, scratch);
    }
    for i in (0..scratch.suffixes.len()).rev() {
        let (a, b) = scratch.suffixes[i];
        push(&mut scratch.toks, a, b);
    }
}

/// The middle of `_attach_tokens`: an exception, a URL, or a split at infixes.
fn attach(d: &Data, text: &str, lo: usize, hi: usize, special: bool, scratch: &mut Scratch) {
    let s = &text[lo..hi];
    if special {
        if let Some(lens) = d.rule(s) {
            push_rule(&mut scratch.toks, lo, lens);
            return;
        }
    }
    find_infixes(d, s, &mut scratch.infixes);
    // Infix matches at position 0 are skipped, so a split needs a match after it. Checking the
    // URL only then is equivalent to spaCy's order (URL first): without a split, both give one
    // token.
    if scratch.infixes.iter().all(|&(a, _)| a == 0) {
        push(&mut scratch.toks, lo, hi);
        return;
    }
    scratch.chars.clear();
    scratch.chars.extend(s.chars());
    if url_match(d, &scratch.chars) {
        push(&mut scratch.toks, lo, hi);
        return;
    }
    let mut pos = 0;
    for &(a, b) in &scratch.infixes {
        if a == 0 {
            continue;
        }
        if a != pos {
            push(&mut scratch.toks, lo + pos, lo + a);
        }
        if a != b {
            push(&mut scratch.toks, lo + a, lo + b);
        }
        pos = b;
    }
    if pos < s.len() {
        push(&mut scratch.toks, lo + pos, hi);
    }
}

/// `_apply_special_cases`: the `PhraseMatcher` of exceptions that contain an affix (their
/// affix-split token texts) runs over the tokens; the matches are filtered longest first (then
/// leftmost first), a match being dropped if its first or last token was covered by an earlier
/// one (accepted or not, as in `_filter_special_spans`); each kept match whose text is an
/// exception is replaced by that exception's tokens.
///
/// One-token patterns are left out: they re-tokenize a token by its own rule, which never
/// changes it (checked by the generator), and cannot block a longer match since those are
/// filtered first. Patterns never contain whitespace tokens, so those only separate matches.
fn apply_special_cases(d: &Data, text: &str, scratch: &mut Scratch) {
    let toks = &scratch.toks;
    let n = toks.len();
    scratch.matches.clear();
    for i in 0..n.saturating_sub(1) {
        let t = toks[i];
        if t.space || toks[i + 1].space {
            continue;
        }
        let next = toks[i + 1];
        let Some(patterns) =
            d.patterns_starting_with(&text[t.start..t.end], &text[next.start..next.end])
        else {
            continue;
        };
        for p in patterns {
            let len = p.len();
            if i + len <= n
                && p[1..]
                    .iter()
                    .zip(&toks[i + 1..i + len])
                    .all(|(pt, t)| **pt == text[t.start..t.end])
            {
                scratch.matches.push((i, i + len));
            }
        }
    }
    if scratch.matches.is_empty() {
        return;
    }
    // Longest first, then leftmost first.
    scratch
        .matches
        .sort_unstable_by_key(|&(a, b)| (usize::MAX - (b - a), a));
    scratch.seen.clear();
    scratch.seen.resize(n, false);
    let mut kept = 0;
    for k in 0..scratch.matches.len() {
        let (a, b) = scratch.matches[k];
        let ok = !scratch.seen[a] && !scratch.seen[b - 1];
        scratch.seen[a..b].iter_mut().for_each(|s| *s = true);
        if ok {
            scratch.matches[kept] = (a, b);
            kept += 1;
        }
    }
    scratch.matches.truncate(kept);
    scratch.matches.sort_unstable();
    scratch.rebuilt.clear();
    let mut i = 0;
    for &(a, b) in &scratch.matches {
        scratch.rebuilt.extend_from_slice(&scratch.toks[i..a]);
        let (start, end) = (scratch.toks[a].start, scratch.toks[b - 1].end);
        match d.rule(&text[start..end]) {
            Some(lens) => push_rule(&mut scratch.rebuilt, start, lens),
            None => scratch.rebuilt.extend_from_slice(&scratch.toks[a..b]),
        }
        i = b;
    }
    scratch.rebuilt.extend_from_slice(&scratch.toks[i..]);
    std::mem::swap(&mut scratch.toks, &mut scratch.rebuilt);
}

/// The Sentencizer's `predict` (`spacy/pipeline/sentencizer.pyx`) over the tokens: a sentence
/// starts at the first token that is neither punctuation (`token.is_punct`) nor one of the
/// `punct_chars` after a token that is one of the `punct_chars`. Returns the number of sentences
/// (`len(list(doc.sents))`), 0 for no tokens.
pub(crate) fn count_sentences(d: &Data, text: &str, toks: &[Tok]) -> usize {
    if toks.is_empty() {
        return 0;
    }
    let mut count = 1;
    let mut seen_period = false;
    for t in toks {
        if t.space {
            // Whitespace is neither punctuation nor one of the punct_chars.
            if seen_period {
                count += 1;
                seen_period = false;
            }
            continue;
        }
        let s = &text[t.start..t.end];
        let mut chars = s.chars();
        let in_punct_chars = matches!(
            (chars.next(), chars.next()),
            (Some(c), None) if d.is(c, class::SENT_PUNCT)
        );
        if in_punct_chars {
            seen_period = true;
        } else if seen_period && !s.chars().all(|c| d.is(c, class::IS_PUNCT)) {
            count += 1;
            seen_period = false;
        }
    }
    count
}
