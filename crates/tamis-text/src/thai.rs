//! datatrove 0.10.1's `ThaiTokenizer`: PyThaiNLP's `word_tokenize(text, keep_whitespace=False,
//! engine="newmm-safe")` (pythainlp 5.4.0, Apache-2.0: `tokenize/newmm.py`, `tcc_p.py`,
//! `_utils.py`), then datatrove's `strip_strings`. Reimplemented from that behaviour, with
//! PyThaiNLP's dictionary (CC0-1.0) and regular expressions exported by
//! `tools/gen_thai_data.py` (`data/thai/`) and run by `pyre` with Python's semantics:
//!
//! * texts of 140 characters or more are first cut into chunks: at the last space of the
//!   window 100..140, or else before the longest (last longest) word newmm finds in it;
//! * each chunk is cut by newmm: break positions are Thai Character Cluster (TCC) boundaries;
//!   from the earliest open position the dictionary words that end on a boundary extend a
//!   graph (at most 50 edges between resolutions); when one open position is left, the
//!   breadth-first path to it gives the words; when none is, a run outside the dictionary is
//!   cut up to the next non-Thai token or the next position where a dictionary word of more
//!   than two consonants starts;
//! * numbers with separators (`(\d+[.,:])+\d+`) split across words are joined back;
//! * words are stripped of whitespace and empty ones dropped.

use std::collections::{BTreeSet, VecDeque};
use std::io::Read;
use std::sync::OnceLock;

use foldhash::{HashMap, HashMapExt};

use crate::chars::Chars;
use crate::pyre::{CharSet, Regex, Stack};
use crate::trie::Trie;

const WORDS: &[u8] = include_bytes!("../data/thai/words.txt.zst");
const REGEXES: &str = include_str!("../data/thai/regexes.txt");
const SETS: &str = include_str!("../data/thai/sets.txt");

/// newmm's `_MAX_GRAPH_SIZE`.
const MAX_GRAPH_SIZE: usize = 50;
/// newmm's safe-mode scan window, `_TEXT_SCAN_BEGIN.._TEXT_SCAN_END`.
const SCAN_BEGIN: usize = 100;
const SCAN_END: usize = 140;

struct Data {
    sets: Vec<CharSet>,
    tcc: Regex,
    non_thai: Regex,
    digits_with_separator: Regex,
    dictionary: Trie,
}

fn data() -> &'static Data {
    static DATA: OnceLock<Data> = OnceLock::new();
    DATA.get_or_init(|| {
        let sets: Vec<CharSet> = crate::en::data::records(SETS)
            .map(|r| CharSet::new(crate::en::data::parse_ranges(&r[1])))
            .collect();
        let mut regexes: Vec<Regex> = REGEXES
            .lines()
            .filter(|l| !l.starts_with("# ") && !l.is_empty())
            .map(|l| {
                let f: Vec<&str> = l.splitn(3, '\t').collect();
                Regex::parse(f[1], f[2], &sets)
            })
            .collect();
        let digits_with_separator = regexes.pop().expect("three regexes");
        let non_thai = regexes.pop().expect("three regexes");
        let tcc = regexes.pop().expect("three regexes");

        let mut words = String::new();
        zstd::stream::read::Decoder::new(WORDS)
            .and_then(|mut d| d.read_to_string(&mut words))
            .expect("bundled Thai dictionary decodes");
        Data {
            sets,
            tcc,
            non_thai,
            digits_with_separator,
            dictionary: Trie::new(words.lines()),
        }
    })
}

/// Appends the byte spans of `ThaiTokenizer().word_tokenize(text)` to `out`.
pub fn word_spans_into(text: &str, out: &mut Vec<(u32, u32)>) {
    if text.is_empty() {
        return;
    }
    let d = data();
    let text_chars = Chars::new(text);
    let chars = &text_chars.chars;
    let mut cx = Cutter {
        d,
        st: Stack::default(),
        prefixes: Vec::new(),
    };

    // newmm-safe: whole, or chunk by chunk; spans in characters of the whole text.
    let mut segments: Vec<(usize, usize)> = Vec::new();
    if chars.len() < SCAN_END {
        cx.onecut(chars, 0, &mut segments);
    } else {
        let mut start = 0;
        while chars.len() - start >= SCAN_END {
            let cut = cx.find_cut_pos(&chars[start..]);
            cx.onecut(&chars[start..start + cut], start, &mut segments);
            start += cut;
        }
        if start < chars.len() {
            cx.onecut(&chars[start..], start, &mut segments);
        }
    }

    // `rejoin_formatted_num`: the segments cover the text, so their join is the text.
    let mut matches = Vec::new();
    d.digits_with_separator
        .find_iter(&d.sets, chars, &mut matches, &mut cx.st);
    let mut joined: Vec<(usize, usize)> = Vec::with_capacity(segments.len());
    let (mut pos, mut i) = (0, 0);
    let mut m = matches.iter();
    let mut current = m.next();
    while i < segments.len() {
        let Some(&(ms, me)) = current else { break };
        if pos >= ms {
            let first = i;
            while pos < me && i < segments.len() {
                pos = segments[i].1;
                i += 1;
            }
            if i > first {
                joined.push((segments[first].0, segments[i - 1].1));
            }
            current = m.next();
        } else {
            joined.push(segments[i]);
            pos = segments[i].1;
            i += 1;
        }
    }
    joined.extend_from_slice(&segments[i..]);

    // `strip_whitespace` (spaces) then `strip_strings` (all whitespace): one full strip.
    for (a, b) in joined {
        text_chars.push_stripped(a, b, out);
    }
}

struct Cutter {
    d: &'static Data,
    st: Stack,
    prefixes: Vec<usize>,
}

impl Cutter {
    /// `Trie.prefixes(text, start)`: lengths of the dictionary words starting at `start`,
    /// shortest first, into `self.prefixes`.
    fn prefixes(&mut self, text: &[char], start: usize) {
        self.d.dictionary.prefixes(text, start, &mut self.prefixes);
    }

    /// `tcc_pos_array(text)`: whether each position is a TCC boundary.
    fn tcc_boundaries(&mut self, text: &[char]) -> Vec<bool> {
        let mut valid = vec![false; text.len() + 1];
        let mut p = 0;
        while p < text.len() {
            let end = self
                .d
                .tcc
                .match_at(&self.d.sets, text, p, &mut self.st)
                .filter(|&e| e > p)
                .unwrap_or(p + 1);
            p = end;
            valid[p] = true;
        }
        valid
    }

    fn non_thai_at(&mut self, text: &[char], pos: usize) -> Option<usize> {
        self.d
            .non_thai
            .match_at(&self.d.sets, text, pos, &mut self.st)
    }

    /// newmm's `_onecut` on `text` (a chunk starting at `base` in the whole text): appends
    /// the segments' spans, offset by `base`.
    fn onecut(&mut self, text: &[char], base: usize, out: &mut Vec<(usize, usize)>) {
        let n = text.len();
        let valid = self.tcc_boundaries(text);
        let mut graph: HashMap<usize, Vec<usize>> = HashMap::new();
        let mut graph_size = 0;
        let mut open: BTreeSet<usize> = BTreeSet::from([0]);
        let mut end_pos = 0;
        while let Some(&first) = open.first() {
            if first >= n {
                break;
            }
            let begin = open.pop_first().expect("non-empty");
            self.prefixes(text, begin);
            for &len in &self.prefixes {
                let end = begin + len;
                if valid[end] {
                    graph.entry(begin).or_default().push(end);
                    graph_size += 1;
                    open.insert(end);
                    if graph_size > MAX_GRAPH_SIZE {
                        break;
                    }
                }
            }
            match open.len() {
                1 => {
                    let goal = *open.first().expect("one");
                    for pos in bfs_path(&graph, end_pos, goal) {
                        out.push((base + end_pos, base + pos));
                        end_pos = pos;
                    }
                    graph_size = 0;
                    graph.clear();
                }
                0 => {
                    end_pos = self.skip_end(text, begin, &valid);
                    graph_size = 0;
                    graph.clear();
                    out.push((base + begin, base + end_pos));
                    open.insert(end_pos);
                }
                _ => {}
            }
        }
    }

    /// newmm's `_find_skip_end`: the end of a word outside the dictionary at `begin`.
    fn skip_end(&mut self, text: &[char], begin: usize, valid: &[bool]) -> usize {
        if let Some(end) = self.non_thai_at(text, begin) {
            return end;
        }
        for pos in begin + 1..text.len() {
            if !valid[pos] {
                continue;
            }
            self.prefixes(text, pos);
            let word_here = self
                .prefixes
                .iter()
                .any(|&len| valid[pos + len] && !is_up_to_two_consonants(&text[pos..pos + len]));
            if word_here || self.non_thai_at(text, pos).is_some() {
                return pos;
            }
        }
        text.len()
    }

    /// newmm's `_find_cut_pos` for a text of at least [`SCAN_END`] characters.
    fn find_cut_pos(&mut self, text: &[char]) -> usize {
        let sample = &text[SCAN_BEGIN..SCAN_END];
        if let Some(i) = sample.iter().rposition(|&c| c == ' ') {
            return SCAN_BEGIN + i + 1;
        }
        let mut tokens = Vec::new();
        self.onecut(sample, 0, &mut tokens);
        // The last of the longest tokens (`>=`), and the length of those before it.
        let mut best = 0;
        let mut best_len = 0;
        for (i, &(a, b)) in tokens.iter().enumerate() {
            if b - a >= best_len {
                best_len = b - a;
                best = i;
            }
        }
        SCAN_BEGIN + tokens[..best].iter().map(|(a, b)| b - a).sum::<usize>()
    }
}

/// `_PAT_THAI_TWOCHARS.match(word)`: `[ก-ฮ]{,2}$`.
fn is_up_to_two_consonants(word: &[char]) -> bool {
    word.len() <= 2 && word.iter().all(|c| matches!(c, 'ก'..='ฮ'))
}

/// The first path `_bfs_paths_graph` yields from `start` to `goal`, without `start`.
fn bfs_path(graph: &HashMap<usize, Vec<usize>>, start: usize, goal: usize) -> Vec<usize> {
    let mut parent: HashMap<usize, usize> = HashMap::new();
    let mut queue = VecDeque::from([start]);
    parent.insert(start, usize::MAX);
    while let Some(v) = queue.pop_front() {
        for &pos in graph.get(&v).map(Vec::as_slice).unwrap_or(&[]) {
            if pos == goal {
                let mut path = vec![goal];
                let mut at = v;
                while at != start {
                    path.push(at);
                    at = parent[&at];
                }
                path.reverse();
                return path;
            }
            if let std::collections::hash_map::Entry::Vacant(e) = parent.entry(pos) {
                e.insert(v);
                queue.push_back(pos);
            }
        }
    }
    // Every open position is reachable from the last cut (each was added as an edge's end);
    // should that ever fail, keep the span whole rather than lose text.
    vec![goal]
}

#[cfg(test)]
mod tests {
    fn words(text: &str) -> Vec<&str> {
        crate::chars::words_of(text, super::word_spans_into)
    }

    #[test]
    fn dictionary_words_on_cluster_boundaries() {
        // PyThaiNLP's documented examples (newmm, keep_whitespace=False).
        assert_eq!(
            words("วรรณกรรม ภาพวาด และการแสดงงิ้ว "),
            ["วรรณกรรม", "ภาพวาด", "และ", "การแสดง", "งิ้ว"]
        );
        assert_eq!(
            words("เงิน1,234บาท19:32น 127.0.0.1"),
            ["เงิน", "1,234", "บาท", "19:32", "น", "127.0.0.1"]
        );
    }
}
