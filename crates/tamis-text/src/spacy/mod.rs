//! Word tokenization for every language datatrove 0.10.1 gives a spaCy rule-based tokenizer.
//!
//! datatrove's `load_word_tokenizer` (`datatrove/utils/word_tokenizers.py`, with the assignment
//! table `assets/tokenizer_assignment.csv`) maps most of FineWeb-2's languages to
//! `spacy.blank(code)` plus the "sentencizer" pipe, where `code` is one of 57 spaCy languages
//! (`xx`, the multi-language one, serves the largest share). They all run one algorithm,
//! `spacy/tokenizer.pyx`, on per-language data; the `tokenizer` module is that algorithm and
//! `data/spacy/` the data, generated from spaCy 3.8.18 by `tools/gen_spacy_lang_data.py`, with
//! the regexes run by the crate's `pyre` module, a matcher with Python `re`'s semantics.
//!
//! English has its own, faster, hand-specialised tokenizer ([`crate::en`]); this module covers
//! English too, and the tests check both agree. Japanese, Chinese and Vietnamese are not here:
//! spaCy replaces the rule-based tokenizer with a dictionary segmenter for them.
//!
//! Parity is tested token for token against spaCy (`tests/spacy_tokenizer.rs`).

pub(crate) mod tokenizer;

use std::sync::OnceLock;

use foldhash::{HashMap, HashMapExt};

use crate::en::data::records;
use crate::py;
use crate::py::is_ascii_space;
use crate::pyre::{CharSet, Regex};
use tokenizer::{tokenize, Scratch};

macro_rules! languages {
    ($($code:literal),* $(,)?) => {
        /// The spaCy language codes with data here, sorted.
        pub const LANGUAGES: &[&str] = &[$($code),*];
        const FILES: &[&str] = &[$(include_str!(concat!("../../data/spacy/", $code, ".txt"))),*];
    };
}

languages!(
    "af", "am", "ar", "az", "bg", "ca", "cs", "da", "de", "dsb", "el", "en", "es", "et", "eu",
    "fa", "fi", "fo", "fr", "ga", "grc", "he", "hr", "hsb", "hu", "hy", "id", "is", "it", "ky",
    "la", "lb", "lg", "lij", "lt", "lv", "mk", "ms", "nb", "nl", "pl", "pt", "ro", "ru", "sk",
    "sl", "sq", "sr", "sv", "ti", "tl", "tn", "tr", "tt", "uk", "xx", "yo",
);

const SETS: &str = include_str!("../../data/spacy/sets.txt");
const REGEXES: &str = include_str!("../../data/spacy/regexes.txt");

/// A special-case matcher pattern: token texts.
pub(crate) type Pattern = Box<[Box<str>]>;

/// One language's tokenizer settings.
pub(crate) struct LangData {
    prefix: Option<&'static Regex>,
    suffix: Option<&'static Regex>,
    infix: Option<&'static Regex>,
    token_match: Option<&'static Regex>,
    url_match: Option<&'static Regex>,
    /// Exceptions: string -> byte lengths of its tokens (which tile the string).
    rules: HashMap<Box<str>, Box<[u32]>>,
    max_rule_len: usize,
    /// Special-case matcher patterns (token texts), by first token text.
    patterns: HashMap<Box<str>, Vec<Pattern>>,
    /// A pre-check before looking up a token in `patterns`: by first byte, a bit for each
    /// byte length (1 to 15, then 16 or more) of the first tokens starting with that byte.
    pattern_first: Box<[u16; 256]>,
    /// The same for `rules`.
    rule_first: Box<[u16; 256]>,
}

/// The bit of [`LangData::pattern_first`] for a non-empty string.
#[inline]
fn shape(s: &str) -> (usize, u16) {
    let b = s.as_bytes();
    (usize::from(b[0]), 1 << (b.len().clamp(1, 16) - 1))
}

impl LangData {
    #[inline]
    fn rule(&self, s: &str) -> Option<&[u32]> {
        if s.is_empty() || s.len() > self.max_rule_len {
            return None;
        }
        let (byte, bit) = shape(s);
        if self.rule_first[byte] & bit == 0 {
            return None;
        }
        self.rules.get(s).map(|v| &**v)
    }

    /// Whether a special-case pattern may start with the (non-empty) token `t`.
    #[inline]
    fn may_start_pattern(&self, t: &str) -> bool {
        let (byte, bit) = shape(t);
        self.pattern_first[byte] & bit != 0
    }

    fn parse(file: &'static str) -> LangData {
        let mut d = LangData {
            prefix: None,
            suffix: None,
            infix: None,
            token_match: None,
            url_match: None,
            rules: HashMap::new(),
            max_rule_len: 0,
            patterns: HashMap::new(),
            pattern_first: Box::new([0; 256]),
            rule_first: Box::new([0; 256]),
        };
        for rec in records(file) {
            let regex = || (rec[1] != "-").then(|| regex(rec[1].parse().expect("bad regex id")));
            match rec[0].as_str() {
                "prefix" => d.prefix = regex(),
                "suffix" => d.suffix = regex(),
                "infix" => d.infix = regex(),
                "token" => d.token_match = regex(),
                "url" => d.url_match = regex(),
                "rule" => {
                    let key = rec[1].as_str();
                    let lens: Box<[u32]> = if rec.len() == 2 {
                        Box::new([key.len() as u32])
                    } else {
                        rec[2..].iter().map(|p| p.len() as u32).collect()
                    };
                    d.max_rule_len = d.max_rule_len.max(key.len());
                    let (byte, bit) = shape(key);
                    d.rule_first[byte] |= bit;
                    d.rules.insert(key.into(), lens);
                }
                "pattern" => {
                    let toks: Pattern = rec[1..].iter().map(|t| t.as_str().into()).collect();
                    let (byte, bit) = shape(&toks[0]);
                    d.pattern_first[byte] |= bit;
                    d.patterns.entry(toks[0].clone()).or_default().push(toks);
                }
                other => panic!("bad record {other:?} in spaCy language data"),
            }
        }
        d
    }
}

/// Every character set the regexes use, parsed on first use.
fn sets() -> &'static [CharSet] {
    static SETS_PARSED: OnceLock<Vec<CharSet>> = OnceLock::new();
    SETS_PARSED.get_or_init(|| {
        records(SETS)
            .enumerate()
            .map(|(i, rec)| {
                assert_eq!(rec[0].parse::<usize>().ok(), Some(i), "sets out of order");
                CharSet::new(crate::en::data::parse_ranges(&rec[1]))
            })
            .collect()
    })
}

/// Regex `id`, parsed on first use (some are large, and most programs use a few languages).
fn regex(id: usize) -> &'static Regex {
    static LINES: OnceLock<Vec<(&'static str, &'static str)>> = OnceLock::new();
    static PARSED: OnceLock<Vec<OnceLock<Regex>>> = OnceLock::new();
    let lines = LINES.get_or_init(|| {
        REGEXES
            .lines()
            .filter(|l| !l.starts_with("# ") && !l.is_empty())
            .enumerate()
            .map(|(i, l)| {
                let mut f = l.splitn(3, '\t');
                assert_eq!(
                    f.next().and_then(|x| x.parse().ok()),
                    Some(i),
                    "regexes out of order"
                );
                (f.next().expect("hints"), f.next().expect("tokens"))
            })
            .collect()
    });
    let parsed = PARSED.get_or_init(|| lines.iter().map(|_| OnceLock::new()).collect());
    parsed[id].get_or_init(|| Regex::parse(lines[id].0, lines[id].1, sets()))
}

/// The data of spaCy language `code`, parsed on first use; `None` if there is none.
fn lang(code: &str) -> Option<&'static LangData> {
    static PARSED: OnceLock<Vec<OnceLock<LangData>>> = OnceLock::new();
    let i = LANGUAGES.binary_search(&code).ok()?;
    let parsed = PARSED.get_or_init(|| LANGUAGES.iter().map(|_| OnceLock::new()).collect());
    Some(parsed[i].get_or_init(|| LangData::parse(FILES[i])))
}

/// A spaCy rule-based tokenizer for one language, with reusable buffers.
pub struct Tokenizer {
    lang: &'static LangData,
    scratch: Scratch,
}

impl Tokenizer {
    /// The tokenizer of `spacy.blank(code)`, or `None` if `code` is not in [`LANGUAGES`].
    pub fn new(code: &str) -> Option<Tokenizer> {
        Some(Tokenizer {
            lang: lang(code)?,
            scratch: Scratch::default(),
        })
    }

    /// spaCy's token texts, including whitespace tokens: `[t.text for t in nlp(text)]`.
    pub fn tokens<'t>(&mut self, text: &'t str) -> Vec<&'t str> {
        tokenize(self.lang, text, &mut self.scratch);
        self.scratch
            .toks
            .iter()
            .map(|t| &text[t.start..t.end])
            .collect()
    }

    /// datatrove's `SpaCyTokenizer.word_tokenize`: each token text stripped (`str.strip`),
    /// empty ones dropped, as byte ranges of `text` appended to `out`.
    pub fn word_spans_into(&mut self, text: &str, out: &mut Vec<(u32, u32)>) {
        tokenize(self.lang, text, &mut self.scratch);
        for t in &self.scratch.toks {
            let b = text.as_bytes();
            let (first, last) = (b[t.start], b[t.end - 1]);
            // Most tokens start and end with an ASCII character that is not whitespace.
            if first < 0x80 && last < 0x80 && !is_ascii_space(first) && !is_ascii_space(last) {
                out.push((t.start as u32, t.end as u32));
                continue;
            }
            let s = &text[t.start..t.end];
            let stripped = py::strip(s);
            if !stripped.is_empty() {
                let a = t.start + (stripped.as_ptr() as usize - s.as_ptr() as usize);
                out.push((a as u32, (a + stripped.len()) as u32));
            }
        }
    }

    /// [`Tokenizer::word_spans_into`] as string slices.
    pub fn words<'t>(&mut self, text: &'t str) -> Vec<&'t str> {
        let mut spans = Vec::new();
        self.word_spans_into(text, &mut spans);
        spans
            .into_iter()
            .map(|(a, b)| &text[a as usize..b as usize])
            .collect()
    }
}
