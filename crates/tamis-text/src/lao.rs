//! datatrove 0.10.1's `LaoTokenizer`: LaoNLP 1.3.0's `word_tokenize(text)` (safe mode;
//! `laonlp/tokenize/multi_cut.py`, Apache-2.0, adapted there from PyThaiNLP's `multi_cut`),
//! then datatrove's `strip_strings`. Reimplemented from that behaviour, with LaoNLP's
//! dictionary exported by `tools/gen_lao_data.py` (`data/lao/`):
//!
//! * texts of 140 characters or more are first cut into chunks: at the last space of the
//!   window 100..140, or else before the first longest word found in it;
//! * in a chunk, from the earliest open position, every dictionary word starting there opens
//!   the position after it; when one open position is left, the path of dictionary words to
//!   it with the fewest words (the first such in LaoNLP's enumeration order) gives the words;
//!   when none is, a run outside the dictionary is cut up to the end of a Latin, number,
//!   space or newline token (`[-a-zA-Z]+|\d+([,.]\d+)*|[ \t]+|\r?\n`) or up to the next
//!   position where a word or such a token starts;
//! * LaoNLP joins each word's candidate paths with "/" and splits them again, so every word
//!   is also split at its slashes, which are dropped;
//! * words are stripped of whitespace and empty ones dropped.

use std::collections::BTreeSet;
use std::io::Read;
use std::sync::OnceLock;

use foldhash::{HashMap, HashMapExt};

use crate::chars::Chars;
use crate::trie::Trie;

const WORDS: &[u8] = include_bytes!("../data/lao/words.txt.zst");

/// LaoNLP's safe-mode chunking: `_TEXT_LIMIT` 120, scan 20 characters either side.
const SCAN_BEGIN: usize = 100;
const SCAN_END: usize = 140;

fn dictionary() -> &'static Trie {
    static TRIE: OnceLock<Trie> = OnceLock::new();
    TRIE.get_or_init(|| {
        let mut words = String::new();
        zstd::stream::read::Decoder::new(WORDS)
            .and_then(|mut d| d.read_to_string(&mut words))
            .expect("bundled Lao dictionary decodes");
        Trie::new(words.lines())
    })
}

/// `_PAT_NONLAO.match(text[p:])`: the end of a Latin, number, space or newline token at `p`.
fn non_lao_at(text: &[char], p: usize) -> Option<usize> {
    let c = *text.get(p)?;
    let run = |from: usize, f: &dyn Fn(char) -> bool| {
        from + text[from..].iter().take_while(|&&c| f(c)).count()
    };
    if c == '-' || c.is_ascii_alphabetic() {
        return Some(run(p, &|c| c == '-' || c.is_ascii_alphabetic()));
    }
    if crate::py::is_decimal(c) {
        let mut end = run(p, &crate::py::is_decimal);
        // `([,\.]\d+)*`, greedy: a separator only counts with a digit after it.
        while matches!(text.get(end), Some(',' | '.'))
            && text.get(end + 1).is_some_and(|&c| crate::py::is_decimal(c))
        {
            end = run(end + 1, &crate::py::is_decimal);
        }
        return Some(end);
    }
    if c == ' ' || c == '\t' {
        return Some(run(p, &|c| c == ' ' || c == '\t'));
    }
    match (c, text.get(p + 1)) {
        ('\n', _) => Some(p + 1),
        ('\r', Some('\n')) => Some(p + 2),
        _ => None,
    }
}

/// `mmcut(text)`: the chosen words of a chunk, as character spans offset by `base`.
fn mmcut(trie: &Trie, text: &[char], base: usize, out: &mut Vec<(usize, usize)>) {
    let n = text.len();
    // Ends of the words recorded at each position, in LaoNLP's order.
    let mut words_at: HashMap<usize, Vec<usize>> = HashMap::new();
    let mut open: BTreeSet<usize> = BTreeSet::from([0]);
    let mut last = 0;
    let mut lens = Vec::new();
    while let Some(&p) = open.first() {
        if p >= n {
            break;
        }
        open.pop_first();
        trie.prefixes(text, p, &mut lens);
        for &len in &lens {
            words_at.entry(p).or_default().push(p + len);
            open.insert(p + len);
        }
        match open.len() {
            1 => {
                let goal = *open.first().expect("one");
                fewest_words(&words_at, last, goal, base, out);
                last = goal;
            }
            0 => {
                let end = non_lao_at(text, p).unwrap_or_else(|| {
                    (p..n)
                        .find(|&i| {
                            trie.prefixes(text, i, &mut lens);
                            !lens.is_empty() || non_lao_at(text, i).is_some()
                        })
                        .unwrap_or(n)
                });
                words_at.entry(p).or_default().push(end);
                out.push((base + p, base + end));
                last = end;
                open.insert(end);
            }
            _ => {}
        }
    }
}

/// `min(serialize(from, to), key=count("/"))`: the path of recorded words from `from` to `to`
/// with the fewest words; among equals, the first in depth-first order of the words as
/// recorded (so the first choice at each position that reaches the minimum).
fn fewest_words(
    words_at: &HashMap<usize, Vec<usize>>,
    from: usize,
    to: usize,
    base: usize,
    out: &mut Vec<(usize, usize)>,
) {
    // best[p - from]: (words to `to`, next position), for positions that reach `to`.
    let mut best: Vec<Option<(usize, usize)>> = vec![None; to - from + 1];
    best[to - from] = Some((0, to));
    for p in (from..to).rev() {
        let mut choice: Option<(usize, usize)> = None;
        for &end in words_at.get(&p).map(Vec::as_slice).unwrap_or(&[]) {
            if end > to {
                continue;
            }
            if let Some((k, _)) = best[end - from] {
                if choice.is_none_or(|(c, _)| k + 1 < c) {
                    choice = Some((k + 1, end));
                }
            }
        }
        best[p - from] = choice;
    }
    let mut p = from;
    while p < to {
        let Some((_, next)) = best[p - from] else {
            // LaoNLP fails here (`min` of no path); keep the text as one word instead.
            out.push((base + p, base + to));
            return;
        };
        out.push((base + p, base + next));
        p = next;
    }
}

/// Appends the byte spans of `LaoTokenizer().word_tokenize(text)` to `out`.
pub fn word_spans_into(text: &str, out: &mut Vec<(u32, u32)>) {
    if text.is_empty() {
        return;
    }
    let trie = dictionary();
    let text_chars = Chars::new(text);
    let chars = &text_chars.chars;

    let mut words: Vec<(usize, usize)> = Vec::new();
    let mut start = 0;
    while chars.len() - start >= SCAN_END {
        let rest = &chars[start..];
        let sample = &rest[SCAN_BEGIN..SCAN_END];
        let cut = match sample.iter().rposition(|&c| c == ' ') {
            Some(i) => SCAN_BEGIN + i + 1,
            None => {
                let mut tokens = Vec::new();
                mmcut(trie, sample, 0, &mut tokens);
                // LaoNLP measures the words after its "/" split: the first longest piece.
                let pieces: Vec<(usize, usize)> = tokens
                    .iter()
                    .flat_map(|&(a, b)| split_slashes(sample, a, b))
                    .collect();
                let (mut best, mut best_len) = (0, 0);
                for (i, &(a, b)) in pieces.iter().enumerate() {
                    if b - a > best_len {
                        best_len = b - a;
                        best = i;
                    }
                }
                SCAN_BEGIN + pieces[..best].iter().map(|(a, b)| b - a).sum::<usize>()
            }
        };
        mmcut(trie, &chars[start..start + cut], start, &mut words);
        start += cut;
    }
    if start < chars.len() {
        mmcut(trie, &chars[start..], start, &mut words);
    }
    for (a, b) in words {
        for (a, b) in split_slashes(chars, a, b) {
            text_chars.push_stripped(a, b, out);
        }
    }
}

/// `text[a..b].split("/")` as spans (empty pieces included).
fn split_slashes(text: &[char], a: usize, b: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut s = a;
    for (i, &c) in text.iter().enumerate().take(b).skip(a) {
        if c == '/' {
            out.push((s, i));
            s = i + 1;
        }
    }
    out.push((s, b));
    out
}

#[cfg(test)]
mod tests {
    fn words(text: &str) -> Vec<&str> {
        crate::chars::words_of(text, super::word_spans_into)
    }

    #[test]
    fn fewest_dictionary_words() {
        // LaoNLP's documented example.
        assert_eq!(words("ພາສາລາວໃນປັດຈຸບັນ."), ["ພາສາລາວ", "ໃນ", "ປັດຈຸບັນ", "."]);
        // Slashes split words and vanish, as LaoNLP's "/"-joined paths make them.
        assert_eq!(words("a/b"), ["a", "b"]);
    }
}
