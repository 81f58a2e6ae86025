//! The tokenization algorithm of spaCy's `Tokenizer.__call__` (`spacy/tokenizer.pyx`, 3.8.18)
//! with English's settings: `_tokenize_affixes` (split on whitespace), `_split_affixes`,
//! `_attach_tokens` and `_apply_special_cases`.
//!
//! spaCy also keeps a cache of tokenized whitespace-separated chunks. It never changes a result:
//! an entry is the deterministic tokenization of its chunk, entries are only stored when no
//! exception was involved, and the one lookup that reuses an entry for a *different* role (the
//! affix-stripped remainder in `_attach_tokens`) only happens for a remainder that has no prefix
//! or suffix left, whose full tokenization is the same thing. So there is no cache here.
//!
//! Instead, most chunks take a fast path: plain words, optionally wrapped in single-character
//! punctuation (`"word`, `word,`, `(1).`), are recognised by a byte-class table while the text
//! is scanned for whitespace, and their tokens are produced without running the affix rules
//! ([`fast_chunk`] proves the two agree). The general path stays available
//! ([`tokenize_with`]), and the tests check that both give the same tokens.

use super::affix::{find_infixes, find_prefix, find_suffix};
use super::data::{class, fast, Data};
use super::url::url_match;
use crate::py::{self, is_ascii_space};
use crate::spacy::tokenizer::{keep_longest_first, push_matches};

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
    /// Indices `j` of the token pairs `(j - 1, j)` that may start a special-case match (see
    /// [`find_candidates`]), in increasing order.
    candidates: Vec<usize>,
}

/// Tokenize `text` like `nlp.tokenizer(text)` into `scratch.toks`.
pub(crate) fn tokenize(d: &Data, text: &str, scratch: &mut Scratch) {
    tokenize_with::<true>(d, text, scratch);
}

/// [`tokenize`], with the fast path for common chunk shapes ([`fast_chunk`]) on or off. Both
/// give the same tokens; the general path stays reachable so tests can check that.
pub(crate) fn tokenize_with<const FAST: bool>(d: &Data, text: &str, scratch: &mut Scratch) {
    scratch.toks.clear();
    scratch.candidates.clear();
    if FAST {
        split_whitespace_fast(d, text, scratch);
    } else {
        split_whitespace(d, text, scratch);
        find_candidates(d, text, &scratch.toks, 1, &mut scratch.candidates);
    }
    apply_special_cases(d, text, scratch);
}

/// `_tokenize_affixes`: the runs of whitespace and non-whitespace, each tokenized by [`chunk`].
fn split_whitespace(d: &Data, text: &str, scratch: &mut Scratch) {
    crate::spacy::tokenizer::whitespace_runs(text, |start, end, ws| {
        chunk(d, text, start, end, ws, scratch)
    });
}

/// [`split_whitespace`] in one pass over the bytes that also recognises the shape
/// [`fast_chunk`] handles, so the common word is scanned once and never reaches the affix
/// rules. ASCII is classified by [`Data::fast`]; other characters fall back to `str.isspace`.
fn split_whitespace_fast(d: &Data, text: &str, scratch: &mut Scratch) {
    let b = text.as_bytes();
    let n = b.len();
    let t = &d.fast;
    let class = |i: usize| t[b[i] as usize];
    let mut i = 0;
    // Whether the previous run was non-whitespace (which absorbs one following ' ').
    let mut after_word = false;
    while i < n {
        // A run of whitespace, possibly empty.
        if after_word && b[i] == b' ' {
            i += 1;
        }
        let ws_start = i;
        while i < n && class(i) & fast::SPACE != 0 {
            i += 1;
        }
        if i < n && b[i] >= 0x80 {
            i = skip_while(text, i, true);
        }
        if ws_start < i {
            scratch.toks.push(Tok {
                start: ws_start,
                end: i,
                space: true,
            });
        }
        if i == n {
            break;
        }
        // A run of non-whitespace, first matched against `L* C '.'? T*` (see `fast_chunk`).
        let start = i;
        let first_new = scratch.toks.len().max(1);
        while i < n && class(i) & fast::LEAD != 0 {
            i += 1;
        }
        // `C`: letters then digits, which is exactly "no letter after a digit"; a letter after
        // the digits fails the shape check below.
        let core_start = i;
        loop {
            if d.fast_letters_are_ascii_letters {
                while let Some(chunk) = b.get(i..i + 8) {
                    let k =
                        ascii_letter_prefix(u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8])));
                    i += k;
                    if k < 8 {
                        break;
                    }
                }
            }
            while i < n && class(i) & fast::LETTER != 0 {
                i += 1;
            }
            // Letters outside ASCII ("für", "café") behave like ASCII ones when they are in no
            // affix class (see `Data::is_plain_letter`).
            if i < n && b[i] >= 0x80 {
                let c = text[i..].chars().next().unwrap_or('\0');
                if d.is_plain_letter(c) {
                    i += c.len_utf8();
                    continue;
                }
            }
            break;
        }
        while i < n && class(i) & fast::DIGIT != 0 {
            i += 1;
        }
        let core_end = i;
        if i < n && b[i] == b'.' {
            i += 1;
        }
        while i < n && class(i) & fast::TRAIL != 0 {
            i += 1;
        }
        if core_start < core_end && (i == n || class(i) & fast::SPACE != 0) {
            if let Some(lens) = d.rule(&text[start..i]) {
                push_rule(&mut scratch.toks, start, lens);
            } else if !fast_chunk(d, text, start, core_start, core_end, i, &mut scratch.toks) {
                split_affixes_and_attach(d, text, start, i, scratch);
            }
        } else {
            i = skip_while(text, i, false);
            if text[start..i].chars().nth(1).is_none() {
                // One character can only be one token, whatever rule applies (exceptions'
                // tokens are non-empty, and affixes and infixes are non-empty pieces).
                push(&mut scratch.toks, start, i);
            } else {
                chunk(d, text, start, i, false, scratch);
            }
        }
        // While the new tokens are hot (the predecessor of the first is the one before).
        find_candidates(d, text, &scratch.toks, first_new, &mut scratch.candidates);
        after_word = true;
    }
}

/// Whether `find_suffix(C + ".")` is 1 for the `C` = `text[core_start..core_end]` of
/// [`fast_chunk`] (otherwise it is 0).
///
/// With [`Data::dot_suffix_by_table`], of the suffix alternatives only the two lookbehind rules
/// can end at that '.' (`\.\.+` needs two dots, `(?<=°[FfCcKk])\.` a '°'), and they look at the
/// last one or two characters of `C`; when `C` is one character, the character before is none
/// or an `L` byte, which is not upper case either. A byte of a non-ASCII character has no
/// [`fast`] bits, so then the answer is "no" and [`fast_chunk`] falls back: `true` is only ever
/// given on ASCII evidence.
#[inline]
fn dot_splits(d: &Data, text: &str, core_start: usize, core_end: usize) -> bool {
    if !d.dot_suffix_by_table {
        return find_suffix(d, &text[core_start..=core_end]) == 1;
    }
    let b = text.as_bytes();
    let c1 = d.fast[usize::from(b[core_end - 1])];
    let c2 = if core_end - core_start >= 2 {
        d.fast[usize::from(b[core_end - 2])]
    } else {
        0
    };
    c1 & fast::DOT_AFTER != 0 || (c1 & c2 & fast::UPPER != 0)
}

/// How many of the 8 bytes of `w` (little-endian), from the first, are ASCII letters: a
/// branch-free replacement for a byte loop, whose exit at the end of each word is a
/// mispredicted branch.
#[inline]
fn ascii_letter_prefix(w: u64) -> usize {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    // Lower-case every letter (a letter is exactly a byte whose `| 0x20` is in `a..=z`) and drop
    // the high bits, so the additions below never carry into the next byte.
    let folded = (w | (0x20 * LO)) & !HI;
    let at_least_a = folded + (0x80 - u64::from(b'a')) * LO;
    let above_z = folded + (0x80 - u64::from(b'z') - 1) * LO;
    let letters = at_least_a & !above_z & !w & HI;
    ((!letters & HI).trailing_zeros() / 8) as usize
}

/// The end of the run from `i` of characters whose `str.isspace()` is `space`.
#[inline]
fn skip_while(text: &str, mut i: usize, space: bool) -> usize {
    let b = text.as_bytes();
    while i < b.len() {
        let byte = b[i];
        if byte < 0x80 {
            if is_ascii_space(byte) != space {
                break;
            }
            i += 1;
        } else {
            let c = text[i..].chars().next().unwrap_or('\0');
            if py::is_space(c) != space {
                break;
            }
            i += c.len_utf8();
        }
    }
    i
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

/// The result of [`split_affixes_and_attach`] for the common chunk shape, without running the
/// affix rules. The caller has matched `text[start..end]` as `L* C '.'? T*` where every `L`
/// byte is [`fast::LEAD`], `C` = `text[core_start..core_end]` is a non-empty run of
/// [`fast::LETTER`] bytes and [`Data::is_plain_letter`] characters, then [`fast::DIGIT`]
/// bytes, and every `T` byte is
/// [`fast::TRAIL`], and has checked that the whole chunk is not an exception. Returns `false`
/// (pushing nothing) when the general path might take a special case or split differently.
///
/// Why the general path gives one token per `L` byte, `C`, then one per '.' / `T` byte:
///
/// * Every string it examines is `text[a..b]` with `a` at or before the start of `C` and `b` at
///   or after its end. On such a string `find_prefix` is 1 when it starts with an `L` byte
///   (single-character alternatives are tried first) and 0 when it starts in `C` (its letters
///   and digits are in no prefix class, and `US$`, `C$`, `A$` need a '$', which is no `T`
///   byte).
/// * `find_suffix` is 1 when it ends with a `T` byte (a single-character alternative that no
///   currency or unit ends with, so no longer candidate), and 0 when it ends in `C`: its
///   letters and digits are in no suffix class; `'s` would need `C` = "s" after a `'` (excluded
///   below); a currency or unit needs a digit right before it, and after a digit `C` has only
///   digits, which no currency or unit is made of. After the '.' it is 1 or 0 as [`dot_splits`]
///   says: it depends only on `C` (and, as `c2`, possibly the last `L` byte, which is neither
///   `°` nor upper case, so it acts like no character at all); for 0 we fall back.
/// * Those lengths never make the loop stop early, and an exception can only interfere through
///   one of the strings `text[a..b]` above, all of which are looked up here (a superset of the
///   lookups the general path makes).
/// * `C` contains no character an infix can start with, so `attach` keeps it whole (and never
///   gets to `URL_MATCH`).
fn fast_chunk(
    d: &Data,
    text: &str,
    start: usize,
    core_start: usize,
    core_end: usize,
    end: usize,
    toks: &mut Vec<Tok>,
) -> bool {
    let b = text.as_bytes();
    let dot = core_end < end && b[core_end] == b'.';
    // A lone "s" after a prefix could end in the suffix `'s` (today `'s` is also an
    // exception, so the lookups below would catch it too; this does not rely on that).
    if core_start > start && core_end - core_start == 1 && matches!(b[core_start], b's' | b'S') {
        return false;
    }
    if core_start > start || core_end < end {
        for a in start..=core_start {
            for z in core_end..=end {
                if (a, z) != (start, end) && d.rule(&text[a..z]).is_some() {
                    return false;
                }
            }
        }
        if dot && !dot_splits(d, text, core_start, core_end) {
            return false;
        }
    }
    for p in start..core_start {
        push(toks, p, p + 1);
    }
    push(toks, core_start, core_end);
    for p in core_end..end {
        push(toks, p, p + 1);
    }
    true
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

/// Append to `out` every `j >= from` such that tokens `j - 1` and `j` are not whitespace and
/// token `j` passes [`Data::may_be_second_token`]: the only places a special-case pattern can
/// match, as [`apply_special_cases`] needs them.
#[inline]
fn find_candidates(d: &Data, text: &str, toks: &[Tok], from: usize, out: &mut Vec<usize>) {
    let bytes = text.as_bytes();
    for j in from..toks.len() {
        let (first, second) = (toks[j - 1], toks[j]);
        if !second.space && !first.space && d.may_be_second_token(&bytes[second.start..second.end])
        {
            out.push(j);
        }
    }
}

/// `_apply_special_cases`: the `PhraseMatcher` of exceptions that contain an affix (their
/// affix-split token texts) runs over the tokens (only at `scratch.candidates`); the matches are filtered longest first (then
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
    let bytes = text.as_bytes();
    for &j in &scratch.candidates {
        let (first, second) = (toks[j - 1], toks[j]);
        let i = j - 1;
        let Some(patterns) = d.patterns_starting_with_keys(
            &text[first.start..first.end],
            Data::token_key(&bytes[first.start..first.end]),
            Data::token_key(&bytes[second.start..second.end]),
        ) else {
            continue;
        };
        push_matches(
            patterns,
            i,
            n,
            |k| &text[toks[k].start..toks[k].end],
            &mut scratch.matches,
        );
    }
    if scratch.matches.is_empty() {
        return;
    }
    keep_longest_first(&mut scratch.matches, &mut scratch.seen, n);
    // Most kept matches change nothing (their text, with the single spaces between tokens, is no
    // exception, or its exception splits it the same way); then the tokens stay as they are.
    let toks = &scratch.toks;
    let changes = scratch.matches.iter().any(|&(a, b)| {
        let (start, end) = (toks[a].start, toks[b - 1].end);
        d.rule(&text[start..end]).is_some_and(|lens| {
            let mut p = start;
            lens.len() != b - a
                || lens.iter().zip(&toks[a..b]).any(|(&len, t)| {
                    let q = p + usize::from(len);
                    let differs = t.start != p || t.end != q;
                    p = q;
                    differs
                })
        })
    });
    if !changes {
        return;
    }
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
    count_words_and_sentences(d, text, toks).1
}

/// The number of non-whitespace tokens and [`count_sentences`], in one pass over the tokens.
pub(crate) fn count_words_and_sentences(d: &Data, text: &str, toks: &[Tok]) -> (usize, usize) {
    if toks.is_empty() {
        return (0, 0);
    }
    let mut words = 0;
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
        words += 1;
        // Whether the token is one character of the punct_chars (which are all single
        // characters), without decoding longer tokens or slicing the `str` for ASCII ones.
        let b0 = text.as_bytes()[t.start];
        let in_punct_chars = if b0 < 0x80 {
            t.end - t.start == 1 && d.is(char::from(b0), class::SENT_PUNCT)
        } else {
            let s = &text[t.start..t.end];
            s.chars()
                .next()
                .is_some_and(|c| c.len_utf8() == s.len() && d.is(c, class::SENT_PUNCT))
        };
        if in_punct_chars {
            seen_period = true;
        } else if seen_period
            && !text[t.start..t.end]
                .chars()
                .all(|c| d.is(c, class::IS_PUNCT))
        {
            count += 1;
            seen_period = false;
        }
    }
    (words, count)
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead, BufReader, Read};
    use std::path::Path;

    use super::*;
    use crate::en::data::data;

    /// Tokens of `text` by the fast and by the general path (`tokenize_with`).
    fn both(text: &str, fast: &mut Scratch, general: &mut Scratch) -> bool {
        let d = data();
        tokenize_with::<true>(d, text, fast);
        tokenize_with::<false>(d, text, general);
        fast.toks == general.toks
    }

    /// Deterministic pseudo-random numbers (xorshift64*), so failures reproduce.
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % n
        }
    }

    #[test]
    fn fast_path_equals_general_path_on_random_strings() {
        // Pieces aimed at the fast path's boundaries: every ASCII character, letters and digits
        // that start or end affix rules, units, currencies, quotes, Unicode spaces and letters,
        // and every exception string (alone and as part of longer chunks).
        let mut pieces: Vec<String> = (0x20u8..0x7f).map(|b| (b as char).to_string()).collect();
        pieces.extend(
            [
                "s",
                "S",
                "'s",
                "US",
                "C",
                "A",
                "$",
                "km",
                "m",
                "K",
                "%",
                "in",
                "T",
                "2020",
                "5",
                "10",
                "3rd",
                "am",
                "hello",
                "Mr",
                "e.g",
                "U.S",
                "a.m",
                "..",
                "...",
                "\n",
                "\t",
                "  ",
                "\u{a0}",
                "\u{2009}",
                "\u{3000}",
                "’",
                "‘",
                "“",
                "”",
                "…",
                "°",
                "—",
                "–",
                "é",
                "ü",
                "Ü",
                "ä",
                "на",
                "µ",
                "²",
                "ª",
                "ǅ",
                "ﬁ",
                "ŉ",
                "中",
                "É",
                "ß",
                "ı",
                "İ",
                "😀",
                "©",
                "¿",
                "。",
                "http://x.com",
                "x.co",
                "IS_ALPHA",
            ]
            .iter()
            .map(|s| s.to_string()),
        );
        let rules: Vec<&str> = data().rule_keys().collect();
        let (mut fast, mut general) = (Scratch::default(), Scratch::default());
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let mut text = String::new();
        for _ in 0..300_000 {
            text.clear();
            for _ in 0..1 + rng.below(8) {
                match rng.below(10) {
                    0..=1 => text.push_str(rules[rng.below(rules.len())]),
                    2 => text.push(' '),
                    3 => text.push_str(["a", "b", "Z", "0", "9"][rng.below(5)]),
                    _ => text.push_str(&pieces[rng.below(pieces.len())]),
                }
            }
            assert!(both(&text, &mut fast, &mut general), "{text:?}");
        }
    }

    #[test]
    fn ascii_letter_prefix_counts_leading_letters() {
        let mut rng = Rng(0x0123_4567_89AB_CDEF);
        // Bytes around the letter ranges and their case bit, and some non-ASCII ones.
        let interesting = *b"@AZ[`az{ \x00\x7fmM\x80\xc1\xdaq";
        for _ in 0..200_000 {
            let mut bytes = [0u8; 8];
            for b in &mut bytes {
                *b = if rng.below(2) == 0 {
                    interesting[rng.below(interesting.len())]
                } else {
                    rng.below(256) as u8
                };
            }
            let want = bytes.iter().take_while(|b| b.is_ascii_alphabetic()).count();
            let got = ascii_letter_prefix(u64::from_le_bytes(bytes));
            assert_eq!(got, want, "{bytes:?}");
        }
        for b in 0..=255u8 {
            let w = u64::from_le_bytes([b; 8]);
            let want = if b.is_ascii_alphabetic() { 8 } else { 0 };
            assert_eq!(ascii_letter_prefix(w), want, "{b:#x}");
        }
    }

    #[test]
    fn fast_path_equals_general_path_on_golden_texts() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
        let (mut fast, mut general) = (Scratch::default(), Scratch::default());
        for name in [
            "en_edge_cases.jsonl",
            "en_random.jsonl.zst",
            "en_subset.jsonl.zst",
        ] {
            let file = std::fs::File::open(dir.join(name)).expect("golden file");
            let reader: Box<dyn Read> = if name.ends_with(".zst") {
                Box::new(zstd::Decoder::new(file).expect("zstd"))
            } else {
                Box::new(file)
            };
            for line in BufReader::new(reader).lines() {
                let row: serde_json::Value =
                    serde_json::from_str(&line.expect("read")).expect("json");
                let text = row["text"].as_str().expect("text");
                assert!(both(text, &mut fast, &mut general), "{name}: {text:?}");
                let (words, sentences) = count_words_and_sentences(data(), text, &fast.toks);
                assert_eq!(words, fast.toks.iter().filter(|t| !t.space).count());
                assert_eq!(sentences, count_sentences(data(), text, &fast.toks));
            }
        }
    }
}
