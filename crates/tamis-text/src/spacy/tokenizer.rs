//! spaCy's rule-based tokenization (`Tokenizer.__call__` in `spacy/tokenizer.pyx`, 3.8.18) for
//! any language's data: `_tokenize_affixes` (split on whitespace), `_split_affixes`,
//! `_attach_tokens` and `_apply_special_cases`, step for step.
//!
//! The tokens of a chunk (a run of whitespace or non-whitespace) depend on nothing but the
//! chunk, so short chunks are cached: words repeat, and most chunks are then one lookup.
//! (spaCy caches too, but not inside the `memory_zone` datatrove tokenizes in; its results do
//! not depend on it, see `en::tokenizer`.)

use foldhash::HashMap;

use super::{LangData, Pattern};
use crate::py::{self, is_ascii_space};
use crate::pyre::Stack;

/// One token: a byte range of the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Tok {
    pub(crate) start: usize,
    pub(crate) end: usize,
}

/// Reusable buffers.
#[derive(Default)]
pub(crate) struct Scratch {
    pub(crate) toks: Vec<Tok>,
    /// The current chunk's characters and the byte offset of each (plus the chunk's end).
    chars: Vec<char>,
    offs: Vec<usize>,
    suffixes: Vec<(usize, usize)>,
    infixes: Vec<(usize, usize)>,
    matches: Vec<(usize, usize)>,
    seen: Vec<bool>,
    rebuilt: Vec<Tok>,
    stack: Stack,
    /// Chunk -> byte lengths of its tokens, for chunks of at most [`CACHE_MAX_BYTES`].
    cache: HashMap<Box<str>, Box<[u8]>>,
}

/// Longer chunks rarely repeat.
const CACHE_MAX_BYTES: usize = 48;
/// The cache is emptied when it reaches this many entries (a few MiB).
const CACHE_MAX_ENTRIES: usize = 1 << 16;

/// Tokenize `text` like `nlp.tokenizer(text)` into `scratch.toks`.
pub(crate) fn tokenize(d: &LangData, text: &str, scratch: &mut Scratch) {
    scratch.toks.clear();
    whitespace_runs(text, |start, end, _| chunk(d, text, start, end, scratch));
    apply_special_cases(d, text, scratch);
}

/// `_tokenize_affixes`'s split: calls `f(start, end, is_whitespace)` for each alternating run
/// of whitespace and non-whitespace (`str.isspace`), except that a run of whitespace loses its
/// first character when that is ' ' (the `spacy` flag of the token before), which can leave
/// nothing of it.
pub(crate) fn whitespace_runs(text: &str, mut f: impl FnMut(usize, usize, bool)) {
    let b = text.as_bytes();
    let n = b.len();
    let Some(first) = text.chars().next() else {
        return;
    };
    let mut in_ws = py::is_space(first);
    let mut start = 0;
    let mut i = 0;
    while i < n {
        // Advance `i` to the first character whose `isspace()` differs from `in_ws`.
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
            f(start, i, in_ws);
        }
        // A ' ' ending a non-whitespace run is absorbed (the previous token's `spacy` flag).
        start = if b[i] == b' ' { i + 1 } else { i };
        in_ws = !in_ws;
    }
    if start < n {
        f(start, n, in_ws);
    }
}

/// `_try_specials_and_cache`, then `_tokenize`, for one run of whitespace or non-whitespace.
fn chunk(d: &LangData, text: &str, start: usize, end: usize, sc: &mut Scratch) {
    let s = &text[start..end];
    let cacheable = s.len() <= CACHE_MAX_BYTES;
    if cacheable {
        if let Some(lens) = sc.cache.get(s) {
            let mut p = start;
            for &len in lens.iter() {
                sc.toks.push(Tok {
                    start: p,
                    end: p + usize::from(len),
                });
                p += usize::from(len);
            }
            return;
        }
    }
    let first = sc.toks.len();
    if let Some(lens) = d.rule(s) {
        push_rule(&mut sc.toks, start, lens);
    } else {
        sc.chars.clear();
        sc.offs.clear();
        for (i, c) in s.char_indices() {
            sc.chars.push(c);
            sc.offs.push(start + i);
        }
        sc.offs.push(end);
        split_affixes_and_attach(d, text, sc);
    }
    if cacheable {
        if sc.cache.len() >= CACHE_MAX_ENTRIES {
            sc.cache.clear();
        }
        let lens = sc.toks[first..]
            .iter()
            .map(|t| (t.end - t.start) as u8)
            .collect();
        sc.cache.insert(s.into(), lens);
    }
}

/// `PhraseMatcher`: appends `(i, i + len)` for each pattern (token texts) that the tokens from
/// `i` on spell, `token(k)` giving token `k`'s text and `n` the number of tokens.
#[inline]
pub(crate) fn push_matches<'t>(
    patterns: &[Pattern],
    i: usize,
    n: usize,
    token: impl Fn(usize) -> &'t str,
    out: &mut Vec<(usize, usize)>,
) {
    for p in patterns {
        let len = p.len();
        if i + len <= n
            && p[1..]
                .iter()
                .enumerate()
                .all(|(k, pt)| **pt == *token(i + 1 + k))
        {
            out.push((i, i + len));
        }
    }
}

/// `_filter_special_spans`: matches taken longest first, then leftmost first; one is dropped
/// when its first or last token was covered by an earlier one, accepted or not.
pub(crate) fn keep_longest_first(
    matches: &mut Vec<(usize, usize)>,
    seen: &mut Vec<bool>,
    n: usize,
) {
    matches.sort_unstable_by_key(|&(a, b)| (usize::MAX - (b - a), a));
    seen.clear();
    seen.resize(n, false);
    let mut kept = 0;
    for k in 0..matches.len() {
        let (a, b) = matches[k];
        let ok = !seen[a] && !seen[b - 1];
        seen[a..b].iter_mut().for_each(|s| *s = true);
        if ok {
            matches[kept] = (a, b);
            kept += 1;
        }
    }
    matches.truncate(kept);
}

#[inline]
fn push_rule(toks: &mut Vec<Tok>, start: usize, lens: &[u32]) {
    let mut p = start;
    for &len in lens {
        let q = p + len as usize;
        toks.push(Tok { start: p, end: q });
        p = q;
    }
}

/// `_split_affixes` followed by `_attach_tokens`, on the chunk in `sc.chars`.
fn split_affixes_and_attach(d: &LangData, text: &str, sc: &mut Scratch) {
    let sets = super::sets();
    let (mut lo, mut hi) = (0, sc.chars.len());
    sc.suffixes.clear();
    let mut last_len = usize::MAX;
    while lo < hi && hi - lo != last_len {
        let s = &sc.chars[lo..hi];
        if d.token_match
            .is_some_and(|r| r.is_match_at_start(sets, s, &mut sc.stack))
        {
            break;
        }
        if d.rule(&text[sc.offs[lo]..sc.offs[hi]]).is_some() {
            break;
        }
        last_len = hi - lo;
        let pre = d.prefix.map_or(0, |r| {
            r.search(sets, s, &mut sc.stack).map_or(0, |(a, b)| b - a)
        });
        if pre != 0 && lo + pre < hi && d.rule(&text[sc.offs[lo + pre]..sc.offs[hi]]).is_some() {
            sc.toks.push(Tok {
                start: sc.offs[lo],
                end: sc.offs[lo + pre],
            });
            lo += pre;
            break;
        }
        let suf = d.suffix.map_or(0, |r| {
            r.search(sets, &sc.chars[lo + pre..hi], &mut sc.stack)
                .map_or(0, |(a, b)| b - a)
        });
        if suf != 0 && lo < hi - suf && d.rule(&text[sc.offs[lo]..sc.offs[hi - suf]]).is_some() {
            sc.suffixes.push((hi - suf, hi));
            hi -= suf;
            break;
        }
        // The suffix was searched after the prefix, so both always fit together.
        if pre != 0 {
            sc.toks.push(Tok {
                start: sc.offs[lo],
                end: sc.offs[lo + pre],
            });
            lo += pre;
        }
        if suf != 0 {
            sc.suffixes.push((hi - suf, hi));
            hi -= suf;
        }
    }
    if lo < hi {
        attach(d, text, lo, hi, sc);
    }
    for i in (0..sc.suffixes.len()).rev() {
        let (a, b) = sc.suffixes[i];
        sc.toks.push(Tok {
            start: sc.offs[a],
            end: sc.offs[b],
        });
    }
}

/// The middle of `_attach_tokens`: an exception, a token or URL match, or a split at infixes.
fn attach(d: &LangData, text: &str, lo: usize, hi: usize, sc: &mut Scratch) {
    let sets = super::sets();
    let (start, end) = (sc.offs[lo], sc.offs[hi]);
    if let Some(lens) = d.rule(&text[start..end]) {
        push_rule(&mut sc.toks, start, lens);
        return;
    }
    let s = &sc.chars[lo..hi];
    // spaCy tries token_match and url_match before the infixes, and either keeps the string
    // whole. Without an infix match after position 0 it stays whole anyway, so the (costly)
    // matches only need to run when there is one.
    sc.infixes.clear();
    if let Some(r) = d.infix {
        r.find_iter(sets, s, &mut sc.infixes, &mut sc.stack);
    }
    if sc.infixes.iter().all(|&(a, _)| a == 0)
        || d.token_match
            .is_some_and(|r| r.is_match_at_start(sets, s, &mut sc.stack))
        || d.url_match
            .is_some_and(|r| r.is_match_at_start(sets, s, &mut sc.stack))
    {
        sc.toks.push(Tok { start, end });
        return;
    }
    let mut pos = 0;
    for &(a, b) in &sc.infixes {
        if a == 0 {
            continue;
        }
        if a != pos {
            sc.toks.push(Tok {
                start: sc.offs[lo + pos],
                end: sc.offs[lo + a],
            });
        }
        if a != b {
            sc.toks.push(Tok {
                start: sc.offs[lo + a],
                end: sc.offs[lo + b],
            });
        }
        pos = b;
    }
    if pos < hi - lo {
        sc.toks.push(Tok {
            start: sc.offs[lo + pos],
            end,
        });
    }
}

/// `_apply_special_cases`: the `PhraseMatcher` of the exceptions' affix tokenizations runs over
/// the tokens; matches are taken longest first, then leftmost first, and one is dropped when its
/// first or last token was covered by an earlier one, accepted or not (`_filter_special_spans`);
/// each kept match whose text (with the spaces between its tokens) is an exception is replaced
/// by that exception's tokens.
fn apply_special_cases(d: &LangData, text: &str, sc: &mut Scratch) {
    if d.patterns.is_empty() {
        return;
    }
    let toks = &sc.toks;
    let n = toks.len();
    sc.matches.clear();
    for i in 0..n {
        let t = &text[toks[i].start..toks[i].end];
        if !d.may_start_pattern(t) {
            continue;
        }
        let Some(patterns) = d.patterns.get(t) else {
            continue;
        };
        push_matches(
            patterns,
            i,
            n,
            |k| &text[toks[k].start..toks[k].end],
            &mut sc.matches,
        );
    }
    if sc.matches.is_empty() {
        return;
    }
    keep_longest_first(&mut sc.matches, &mut sc.seen, n);
    sc.matches.sort_unstable();
    sc.rebuilt.clear();
    let mut i = 0;
    for &(a, b) in &sc.matches {
        sc.rebuilt.extend_from_slice(&sc.toks[i..a]);
        let (start, end) = (sc.toks[a].start, sc.toks[b - 1].end);
        match d.rule(&text[start..end]) {
            Some(lens) => push_rule(&mut sc.rebuilt, start, lens),
            None => sc.rebuilt.extend_from_slice(&sc.toks[a..b]),
        }
        i = b;
    }
    sc.rebuilt.extend_from_slice(&sc.toks[i..]);
    std::mem::swap(&mut sc.toks, &mut sc.rebuilt);
}
