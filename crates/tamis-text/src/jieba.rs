//! datatrove 0.10.1's Chinese word tokenizer: `SpaCyTokenizer("zh")` builds spaCy's `zh` with
//! `segmenter = "jieba"`, whose words are jieba 0.42.1's `cut(text, cut_all=False, HMM=True)`
//! (`jieba/__init__.py`, `jieba/finalseg/__init__.py`; MIT, Sun Junyi); datatrove then drops
//! the whitespace tokens. Reimplemented from that behaviour, with jieba's own dictionary and
//! HMM exported by `tools/gen_jieba_data.py` (`data/jieba/`):
//!
//! * the text splits into runs of `[\u4E00-\u9FD5a-zA-Z0-9+#&._%-]`; every other character
//!   that is not whitespace is a word by itself;
//! * in a run, each position's longest-path route over the dictionary's words (log frequency
//!   over the total, ties to the longer word) picks the words;
//! * consecutive single characters the route leaves are gathered; when they are not a
//!   dictionary word, the Han parts are cut by the HMM's Viterbi path (states B, E, M, S)
//!   and the others into ASCII alphanumeric runs (`[a-zA-Z0-9]+(\.\d+)?%?`) and the gaps
//!   between them.
//!
//! Floating-point sums are made in jieba's order and ties broken as Python's `max` on tuples
//! breaks them, so every choice is jieba's.

use std::io::Read;
use std::sync::OnceLock;

use foldhash::{HashMap, HashMapExt};

const DICT: &[u8] = include_bytes!("../data/jieba/dict.txt.zst");
const HMM: &[u8] = include_bytes!("../data/jieba/hmm.txt.zst");

/// jieba's `MIN_FLOAT`, the log probability of an absent emission or transition.
const MIN_FLOAT: f64 = -3.14e100;

// States in the order of their letters (B < E < M < S), which is how Python's `max` on
// (probability, state) tuples breaks ties.
const B: usize = 0;
const E: usize = 1;
const M: usize = 2;
const S: usize = 3;
/// jieba's `PrevStatus`: the states that may precede each state.
const PREV: [[usize; 2]; 4] = [[E, S], [B, M], [M, B], [S, E]];

struct Model {
    /// Every dictionary word with its frequency, and every prefix of one with 0.
    freq: HashMap<&'static str, u32>,
    log_total: f64,
    start: [f64; 4],
    trans: [[f64; 4]; 4],
    emit: HashMap<char, [f64; 4]>,
}

fn unzstd(bytes: &[u8]) -> String {
    let mut out = String::new();
    zstd::stream::read::Decoder::new(bytes)
        .and_then(|mut d| d.read_to_string(&mut out))
        .expect("bundled jieba data decodes");
    out
}

fn model() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(|| {
        // The dictionary lives as long as the process; its words key the table.
        let dict: &'static str = unzstd(DICT).leak();
        let mut lines = dict.lines();
        let total: f64 = lines
            .next()
            .and_then(|l| l.strip_prefix("# total "))
            .and_then(|t| t.parse().ok())
            .expect("jieba dictionary header");
        let mut freq: HashMap<&'static str, u32> = HashMap::with_capacity(600_000);
        for line in lines {
            let (word, f) = line.rsplit_once(' ').expect("word and frequency");
            freq.insert(word, f.parse().expect("frequency"));
        }
        let words: Vec<&'static str> = freq.keys().copied().collect();
        for word in words {
            for (i, _) in word.char_indices().skip(1) {
                freq.entry(&word[..i]).or_insert(0);
            }
        }

        let hmm = unzstd(HMM);
        let state = |s: &str| match s {
            "B" => B,
            "E" => E,
            "M" => M,
            "S" => S,
            _ => panic!("HMM state {s:?}"),
        };
        let (mut start, mut trans) = ([MIN_FLOAT; 4], [[MIN_FLOAT; 4]; 4]);
        let mut emit = HashMap::with_capacity(40_000);
        for line in hmm.lines() {
            let mut f = line.split(' ');
            match f.next() {
                Some("start") => {
                    let a = state(f.next().expect("state"));
                    start[a] = f.next().expect("p").parse().unwrap();
                }
                Some("trans") => {
                    let (a, b) = (state(f.next().unwrap()), state(f.next().unwrap()));
                    trans[a][b] = f.next().expect("p").parse().unwrap();
                }
                Some("emit") => {
                    let c = f.next().and_then(|c| c.chars().next()).expect("char");
                    let mut p = [0.0; 4];
                    for v in &mut p {
                        *v = f.next().expect("p").parse().unwrap();
                    }
                    emit.insert(c, p);
                }
                _ => panic!("bad HMM line {line:?}"),
            }
        }
        Model {
            freq,
            log_total: total.ln(),
            start,
            trans,
            emit,
        }
    })
}

/// `re_han_default`'s class.
fn is_han_default(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FD5}')
        || c.is_ascii_alphanumeric()
        || matches!(c, '+' | '#' | '&' | '.' | '_' | '%' | '-')
}

/// Appends the byte spans of the words of `cut(text)` that are not whitespace.
pub fn word_spans_into(text: &str, out: &mut Vec<(u32, u32)>) {
    let m = model();
    let mut cut = Cutter {
        m,
        out,
        chars: Vec::new(),
        route: Vec::new(),
    };
    let mut run_start: Option<usize> = None;
    for (i, c) in text.char_indices() {
        if is_han_default(c) {
            run_start.get_or_insert(i);
            continue;
        }
        if let Some(s) = run_start.take() {
            cut.block(text, s, i);
        }
        if !crate::py::is_space(c) {
            cut.out.push((i as u32, (i + c.len_utf8()) as u32));
        }
    }
    if let Some(s) = run_start {
        cut.block(text, s, text.len());
    }
}

struct Cutter<'a> {
    m: &'static Model,
    out: &'a mut Vec<(u32, u32)>,
    /// Byte offsets of the block's characters, and its end.
    chars: Vec<usize>,
    /// `route[i]`: (log probability, last character index) of the best path from i.
    route: Vec<(f64, usize)>,
}

impl Cutter<'_> {
    fn push(&mut self, a: usize, b: usize) {
        self.out.push((a as u32, b as u32));
    }

    /// `__cut_DAG` on `text[start..end]`, a run of `re_han_default`.
    fn block(&mut self, text: &str, start: usize, end: usize) {
        let m = self.m;
        self.chars.clear();
        self.chars
            .extend(text[start..end].char_indices().map(|(i, _)| start + i));
        let n = self.chars.len();
        self.chars.push(end);
        let at = |chars: &[usize], i: usize, j: usize| &text[chars[i]..chars[j]];

        // `calc`: the route, from the end; a position's candidates are the dictionary words
        // starting there (its DAG), or the character alone.
        self.route.clear();
        self.route.resize(n + 1, (0.0, 0));
        for k in (0..n).rev() {
            let mut best: Option<(f64, usize)> = None;
            let mut consider = |x: usize, f: u32, route: &[(f64, usize)]| {
                let p = (f.max(1) as f64).ln() - m.log_total + route[x + 1].0;
                if best.is_none_or(|(bp, bx)| p > bp || (p == bp && x > bx)) {
                    best = Some((p, x));
                }
            };
            let mut any = false;
            let mut i = k;
            while i < n {
                match m.freq.get(at(&self.chars, k, i + 1)) {
                    Some(&f) => {
                        if f > 0 {
                            consider(i, f, &self.route);
                            any = true;
                        }
                    }
                    None => break,
                }
                i += 1;
            }
            if !any {
                let f = m.freq.get(at(&self.chars, k, k + 1)).copied().unwrap_or(0);
                consider(k, f, &self.route);
            }
            self.route[k] = best.expect("a candidate");
        }

        // Follow the route, gathering single characters.
        let mut x = 0;
        let mut buf: Option<usize> = None;
        while x < n {
            let y = self.route[x].1 + 1;
            if y - x == 1 {
                buf.get_or_insert(x);
            } else {
                if let Some(b) = buf.take() {
                    self.flush(text, b, x);
                }
                self.push(self.chars[x], self.chars[y]);
            }
            x = y;
        }
        if let Some(b) = buf {
            self.flush(text, b, n);
        }
    }

    /// Gathered single characters `b..e` (character indices in the block).
    fn flush(&mut self, text: &str, b: usize, e: usize) {
        let (sb, se) = (self.chars[b], self.chars[e]);
        if e - b == 1 {
            self.push(sb, se);
        } else if self.m.freq.get(&text[sb..se]).copied().unwrap_or(0) == 0 {
            self.finalseg(text, sb, se);
        } else {
            for i in b..e {
                self.push(self.chars[i], self.chars[i + 1]);
            }
        }
    }

    /// `finalseg.cut` on `text[start..end]`.
    fn finalseg(&mut self, text: &str, start: usize, end: usize) {
        let is_han = |c: char| matches!(c, '\u{4E00}'..='\u{9FD5}');
        let s = &text[start..end];
        let mut i = 0;
        while i < s.len() {
            let c = s[i..].chars().next().expect("char");
            let han = is_han(c);
            let len = s[i..]
                .char_indices()
                .find(|&(_, c)| is_han(c) != han)
                .map_or(s.len() - i, |(j, _)| j);
            if han {
                self.viterbi_cut(text, start + i, start + i + len);
            } else {
                self.skip_split(start + i, &s.as_bytes()[i..i + len]);
            }
            i += len;
        }
    }

    /// `re_skip.split` of a non-Han part (ASCII only): `[a-zA-Z0-9]+(?:\.\d+)?%?` and gaps.
    fn skip_split(&mut self, base: usize, b: &[u8]) {
        let mut gap = 0;
        let mut i = 0;
        while i < b.len() {
            if !b[i].is_ascii_alphanumeric() {
                i += 1;
                continue;
            }
            if gap < i {
                self.push(base + gap, base + i);
            }
            let s = i;
            while i < b.len() && b[i].is_ascii_alphanumeric() {
                i += 1;
            }
            if i + 1 < b.len() && b[i] == b'.' && b[i + 1].is_ascii_digit() {
                i += 1;
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
            }
            if i < b.len() && b[i] == b'%' {
                i += 1;
            }
            self.push(base + s, base + i);
            gap = i;
        }
        if gap < b.len() {
            self.push(base + gap, base + b.len());
        }
    }

    /// `finalseg.__cut` on a Han run: the Viterbi path, then words ending at E or S.
    fn viterbi_cut(&mut self, text: &str, start: usize, end: usize) {
        let m = self.m;
        let s = &text[start..end];
        let offs: Vec<usize> = s.char_indices().map(|(i, _)| start + i).collect();
        let obs: Vec<[f64; 4]> = s
            .chars()
            .map(|c| m.emit.get(&c).copied().unwrap_or([MIN_FLOAT; 4]))
            .collect();
        let n = obs.len();
        let mut v = [0.0f64; 4];
        for y in 0..4 {
            v[y] = m.start[y] + obs[0][y];
        }
        let mut back: Vec<[u8; 4]> = Vec::with_capacity(n);
        back.push([0; 4]);
        for em in &obs[1..] {
            let mut nv = [0.0f64; 4];
            let mut from = [0u8; 4];
            for y in 0..4 {
                let mut best: Option<(f64, usize)> = None;
                for &y0 in &PREV[y] {
                    let p = v[y0] + m.trans[y0][y] + em[y];
                    if best.is_none_or(|(bp, by)| p > bp || (p == bp && y0 > by)) {
                        best = Some((p, y0));
                    }
                }
                let (p, y0) = best.expect("two candidates");
                nv[y] = p;
                from[y] = y0 as u8;
            }
            v = nv;
            back.push(from);
        }
        let mut state = if v[S] >= v[E] { S } else { E };
        let mut path = vec![0usize; n];
        for t in (0..n).rev() {
            path[t] = state;
            state = back[t][state] as usize;
        }
        let at = |i: usize| offs.get(i).copied().unwrap_or(end);
        let (mut begin, mut next) = (0, 0);
        for (i, &pos) in path.iter().enumerate() {
            match pos {
                B => begin = i,
                E => {
                    self.push(at(begin), at(i + 1));
                    next = i + 1;
                }
                S => {
                    self.push(at(i), at(i + 1));
                    next = i + 1;
                }
                _ => {}
            }
        }
        if next < n {
            self.push(at(next), end);
        }
    }
}

#[cfg(test)]
mod tests {
    fn words(text: &str) -> Vec<&str> {
        crate::chars::words_of(text, super::word_spans_into)
    }

    #[test]
    fn dictionary_route_hmm_and_ascii_runs() {
        // jieba's own README examples.
        assert_eq!(
            words("我来到北京清华大学"),
            ["我", "来到", "北京", "清华大学"]
        );
        // "杭研" is not in the dictionary: the HMM joins it.
        assert_eq!(
            words("他来到了网易杭研大厦"),
            ["他", "来到", "了", "网易", "杭研", "大厦"]
        );
        // Outside the Han runs each character stands alone; ASCII runs split at connectors.
        assert_eq!(
            words("年龄50-69岁，好！"),
            ["年龄", "50", "-", "69", "岁", "，", "好", "！"]
        );
    }
}
