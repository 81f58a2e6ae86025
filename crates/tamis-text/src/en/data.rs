//! The spaCy data the English tokenizer needs, generated from spaCy 3.8.18 by
//! `tools/gen_spacy_en_data.py` into `crates/tamis-text/data/` and parsed once on first use.
//!
//! The data is embedded (no files at run time) and stays in the readable text form the generator
//! writes, so a review of a spaCy upgrade is a plain diff.

use std::sync::OnceLock;

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};

const RULES: &str = include_str!("../../data/spacy_en_rules.txt");
const MATCHER: &str = include_str!("../../data/spacy_en_matcher.txt");
const CHARS: &str = include_str!("../../data/spacy_en_chars.txt");
const STRINGS: &str = include_str!("../../data/spacy_en_strings.txt");

/// Character class bits; see [`Data::class`]. Each mirrors one class of spaCy's regexes or
/// attributes, computed by running Python 3.11's `re`/`unicodedata` (Unicode 14.0) on every
/// code point, so Rust's newer Unicode tables never enter the decision.
pub(crate) mod class {
    /// `char_classes.ALPHA`.
    pub const ALPHA: u16 = 1 << 0;
    /// `char_classes.ALPHA_LOWER` (lower-case letters plus uncased scripts).
    pub const ALPHA_LOWER: u16 = 1 << 1;
    /// `char_classes.ALPHA_UPPER` (upper-case letters plus uncased scripts).
    pub const ALPHA_UPPER: u16 = 1 << 2;
    /// `char_classes.CONCAT_QUOTES` as a character class.
    pub const QUOTE: u16 = 1 << 3;
    /// `char_classes.LIST_ICONS` (symbols and emoji).
    pub const ICON: u16 = 1 << 4;
    /// Every single-character alternative of the prefix regex.
    pub const PREFIX1: u16 = 1 << 5;
    /// Every unconditional single-character alternative of the suffix regex.
    pub const SUFFIX1: u16 = 1 << 6;
    /// Lookbehind class of the suffix rule `(?<=[0-9{al}{e}{p}(?:{q})])\.`.
    pub const SUFFIX_DOT_AFTER: u16 = 1 << 7;
    /// Python `re` `\d` in a str pattern (Unicode decimal digits).
    pub const RE_DIGIT: u16 = 1 << 8;
    /// Python `re` `\w` in a str pattern (`str.isalnum()` or `_`).
    pub const RE_WORD: u16 = 1 << 9;
    /// `spacy.lang.lex_attrs.is_punct` for one character: general category P*.
    pub const IS_PUNCT: u16 = 1 << 10;
    /// `Sentencizer.default_punct_chars`.
    pub const SENT_PUNCT: u16 = 1 << 11;
    /// `str.isspace` (equal to Python `re` `\s`; the generator checks).
    pub const PY_SPACE: u16 = 1 << 12;

    pub(crate) const NAMES: [(&str, u16); 13] = [
        ("ALPHA", ALPHA),
        ("ALPHA_LOWER", ALPHA_LOWER),
        ("ALPHA_UPPER", ALPHA_UPPER),
        ("QUOTE", QUOTE),
        ("ICON", ICON),
        ("PREFIX1", PREFIX1),
        ("SUFFIX1", SUFFIX1),
        ("SUFFIX_DOT_AFTER", SUFFIX_DOT_AFTER),
        ("RE_DIGIT", RE_DIGIT),
        ("RE_WORD", RE_WORD),
        ("IS_PUNCT", IS_PUNCT),
        ("SENT_PUNCT", SENT_PUNCT),
        // RE_SPACE is written by the generator too; it equals PY_SPACE.
        ("PY_SPACE", PY_SPACE),
    ];
}

/// Parsed tokenizer data, shared by all tokenizers.
pub(crate) struct Data {
    /// Class bits for every BMP code point (128 KiB, the common case).
    bmp: Box<[u16]>,
    /// Class bits for code points above U+FFFF: disjoint `(first, last, bits)` intervals, sorted.
    astral: Box<[(u32, u32, u16)]>,
    /// Tokenizer exceptions: string -> byte lengths of its tokens (which tile the string).
    pub(crate) rules: HashMap<Box<str>, Box<[u8]>>,
    /// Longest exception in bytes, to skip hash lookups for longer strings.
    pub(crate) max_rule_len: usize,
    /// Special-case matcher patterns (two or more token texts each), by first token text.
    pub(crate) patterns_by_first: HashMap<Box<str>, Vec<Box<[Box<str>]>>>,
    /// Longest first token of a pattern, in bytes.
    pub(crate) max_pattern_first_len: usize,
    /// Currency and unit strings of the suffix rules `(?<=[0-9])(?:CURRENCY|UNITS)$`.
    pub(crate) digit_suffixes: HashSet<Box<str>>,
    /// Longest of `digit_suffixes`, in characters.
    pub(crate) max_digit_suffix_chars: usize,
}

impl Data {
    /// Class bits of `c` (see [`class`]).
    #[inline]
    pub(crate) fn class(&self, c: char) -> u16 {
        let cp = c as u32;
        if cp < 0x10000 {
            self.bmp[cp as usize]
        } else {
            self.astral_class(cp)
        }
    }

    #[inline(never)]
    fn astral_class(&self, cp: u32) -> u16 {
        match self.astral.binary_search_by(|&(first, last, _)| {
            if last < cp {
                std::cmp::Ordering::Less
            } else if first > cp {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        }) {
            Ok(i) => self.astral[i].2,
            Err(_) => 0,
        }
    }

    /// Whether `c` has any of the class bits in `mask`.
    #[inline]
    pub(crate) fn is(&self, c: char, mask: u16) -> bool {
        self.class(c) & mask != 0
    }

    /// The token byte lengths of the exception `s`, if `s` is one.
    #[inline]
    pub(crate) fn rule(&self, s: &str) -> Option<&[u8]> {
        if s.len() > self.max_rule_len {
            return None;
        }
        self.rules.get(s).map(|v| &**v)
    }
}

/// The data, parsed on first use.
pub(crate) fn data() -> &'static Data {
    static DATA: OnceLock<Data> = OnceLock::new();
    DATA.get_or_init(parse)
}

/// Records of a generated file: non-comment lines split on TAB, fields unescaped.
fn records(file: &'static str) -> impl Iterator<Item = Vec<String>> {
    file.lines()
        .filter(|l| !l.starts_with("# ") && !l.is_empty())
        .map(|l| l.split('\t').map(unescape).collect())
}

/// Inverse of `esc()` in the generator: `\\`, `\t`, `\n`, `\r`, `\s` (space), `\u{HEX}`.
fn unescape(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    let mut chars = field.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('\\') => out.push('\\'),
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('s') => out.push(' '),
            Some('u') => {
                assert_eq!(chars.next(), Some('{'), "bad escape in {field:?}");
                let hex: String = chars.by_ref().take_while(|&c| c != '}').collect();
                let cp = u32::from_str_radix(&hex, 16).expect("bad \\u escape");
                out.push(char::from_u32(cp).expect("bad code point"));
            }
            other => panic!("bad escape {other:?} in {field:?}"),
        }
    }
    out
}

fn parse_ranges(s: &str) -> Vec<(u32, u32)> {
    s.split(' ')
        .filter(|r| !r.is_empty())
        .map(|r| {
            let (a, b) = r.split_once('-').unwrap_or((r, r));
            let a = u32::from_str_radix(a, 16).expect("bad range");
            let b = u32::from_str_radix(b, 16).expect("bad range");
            (a, b)
        })
        .collect()
}

fn parse() -> Data {
    // Character classes.
    let mut bmp = vec![0u16; 0x10000].into_boxed_slice();
    let mut astral_ranges: Vec<(u32, u32, u16)> = Vec::new();
    let mut seen = 0u16;
    for line in CHARS.lines().filter(|l| !l.starts_with("# ")) {
        let (name, ranges) = line.split_once('\t').expect("bad class line");
        let Some(&(_, bit)) = class::NAMES.iter().find(|(n, _)| *n == name) else {
            continue;
        };
        seen |= bit;
        for (a, b) in parse_ranges(ranges) {
            for cp in a..=b.min(0xFFFF) {
                bmp[cp as usize] |= bit;
            }
            if b >= 0x10000 {
                astral_ranges.push((a.max(0x10000), b, bit));
            }
        }
    }
    assert_eq!(
        seen,
        (1 << class::NAMES.len()) - 1,
        "missing character classes"
    );
    // Split the astral ranges into disjoint intervals carrying the union of their bits.
    let mut cuts: Vec<u32> = astral_ranges
        .iter()
        .flat_map(|&(a, b, _)| [a, b + 1])
        .collect();
    cuts.sort_unstable();
    cuts.dedup();
    let mut astral: Vec<(u32, u32, u16)> = Vec::new();
    for w in cuts.windows(2) {
        let (a, b) = (w[0], w[1] - 1);
        let bits = astral_ranges
            .iter()
            .filter(|&&(ra, rb, _)| ra <= a && b <= rb)
            .fold(0, |acc, &(_, _, bit)| acc | bit);
        if bits == 0 {
            continue;
        }
        match astral.last_mut() {
            Some(last) if last.1 + 1 == a && last.2 == bits => last.1 = b,
            _ => astral.push((a, b, bits)),
        }
    }

    // Tokenizer exceptions.
    let mut rules = HashMap::new();
    for rec in records(RULES) {
        let (key, toks) = rec.split_first().expect("empty rule");
        assert!(!toks.is_empty(), "rule without tokens: {key:?}");
        assert_eq!(toks.concat(), *key, "rule tokens do not tile {key:?}");
        let lens: Box<[u8]> = toks
            .iter()
            .map(|t| u8::try_from(t.len()).expect("long token"))
            .collect();
        rules.insert(key.clone().into_boxed_str(), lens);
    }
    let max_rule_len = rules.keys().map(|k| k.len()).max().unwrap_or(0);

    // Special-case matcher patterns.
    let mut patterns_by_first: HashMap<Box<str>, Vec<Box<[Box<str>]>>> = HashMap::new();
    for rec in records(MATCHER) {
        assert!(rec.len() >= 2, "one-token patterns are not stored");
        let pattern: Box<[Box<str>]> = rec.into_iter().map(String::into_boxed_str).collect();
        patterns_by_first
            .entry(pattern[0].clone())
            .or_default()
            .push(pattern);
    }
    let max_pattern_first_len = patterns_by_first.keys().map(|k| k.len()).max().unwrap_or(0);

    // Currency and unit strings.
    let mut digit_suffixes = HashSet::new();
    for rec in records(STRINGS) {
        let (name, items) = rec.split_first().expect("empty strings line");
        assert!(
            name == "CURRENCY" || name == "UNITS",
            "unknown strings line {name}"
        );
        digit_suffixes.extend(items.iter().map(|s| s.clone().into_boxed_str()));
    }
    let max_digit_suffix_chars = digit_suffixes
        .iter()
        .map(|s| s.chars().count())
        .max()
        .unwrap_or(0);

    Data {
        bmp,
        astral: astral.into_boxed_slice(),
        rules,
        max_rule_len,
        patterns_by_first,
        max_pattern_first_len,
        digit_suffixes,
        max_digit_suffix_chars,
    }
}
