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

/// A special-case matcher pattern: the token texts of an exception split by affixes only.
pub(crate) type Pattern = Box<[Box<str>]>;

/// Parsed tokenizer data, shared by all tokenizers.
pub(crate) struct Data {
    /// Class bits for every BMP code point (128 KiB, the common case).
    bmp: Box<[u16]>,
    /// Class bits for code points above U+FFFF: disjoint `(first, last, bits)` intervals, sorted.
    astral: Box<[(u32, u32, u16)]>,
    /// Tokenizer exceptions: string -> byte lengths of its tokens (which tile the string).
    rules: HashMap<Box<str>, Box<[u8]>>,
    /// Cheap pre-checks before looking up an exception, which most strings are not.
    rule_filter: Filter,
    max_rule_len: usize,
    /// Special-case matcher patterns (two or more token texts each), by first token text.
    patterns_by_first: HashMap<Box<str>, Vec<Pattern>>,
    /// Cheap pre-check on a pattern's first two tokens before looking up the first.
    pattern_pair_filter: Filter,
    /// Currency and unit strings of the suffix rules `(?<=[0-9])(?:CURRENCY|UNITS)$`.
    pub(crate) digit_suffixes: HashSet<Box<str>>,
    /// Longest of `digit_suffixes`, in characters and in bytes.
    pub(crate) max_digit_suffix_chars: usize,
    pub(crate) max_digit_suffix_bytes: usize,
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
        if s.len() > self.max_rule_len || !self.rule_filter.may_contain(Filter::shape(s)) {
            return None;
        }
        self.rules.get(s).map(|v| &**v)
    }

    /// The special-case matcher patterns whose first token is `first`, if any pattern may
    /// start with the tokens `first`, `second`.
    #[inline]
    pub(crate) fn patterns_starting_with(&self, first: &str, second: &str) -> Option<&[Pattern]> {
        if !self
            .pattern_pair_filter
            .may_contain(Filter::pair(first, second))
        {
            return None;
        }
        self.patterns_by_first.get(first).map(|v| &**v)
    }
}

/// A 64 Kibit Bloom-style filter on the length, first byte and last byte of a string (or of a
/// pair of strings): no false negatives, and ordinary words rarely share all of them with a
/// key, so most hash lookups are skipped.
struct Filter {
    bits: Box<[u64]>,
}

impl Filter {
    fn new(keys: impl Iterator<Item = u64>) -> Self {
        let mut bits = vec![0u64; 1024].into_boxed_slice();
        for k in keys {
            let i = Self::bit(k);
            bits[i >> 6] |= 1 << (i & 63);
        }
        Filter { bits }
    }

    /// Length (capped), first byte and last byte of a non-empty string, packed.
    #[inline]
    fn shape(s: &str) -> u64 {
        let b = s.as_bytes();
        let (first, last) = (
            b.first().copied().unwrap_or(0),
            b.last().copied().unwrap_or(0),
        );
        (b.len().min(255) as u64) << 16 | (first as u64) << 8 | last as u64
    }

    #[inline]
    fn pair(a: &str, b: &str) -> u64 {
        Self::shape(a) << 24 | Self::shape(b)
    }

    #[inline]
    fn bit(key: u64) -> usize {
        (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 48) as usize
    }

    #[inline]
    fn may_contain(&self, key: u64) -> bool {
        let i = Self::bit(key);
        self.bits[i >> 6] & (1 << (i & 63)) != 0
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
    let rule_filter = Filter::new(rules.keys().map(|k| Filter::shape(k)));
    let max_rule_len = rules.keys().map(|k| k.len()).max().unwrap_or(0);

    // Special-case matcher patterns.
    let mut patterns_by_first: HashMap<Box<str>, Vec<Pattern>> = HashMap::new();
    for rec in records(MATCHER) {
        assert!(rec.len() >= 2, "one-token patterns are not stored");
        let pattern: Pattern = rec.into_iter().map(String::into_boxed_str).collect();
        patterns_by_first
            .entry(pattern[0].clone())
            .or_default()
            .push(pattern);
    }
    let pattern_pair_filter = Filter::new(
        patterns_by_first
            .values()
            .flatten()
            .map(|p| Filter::pair(&p[0], &p[1])),
    );

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
    let max_digit_suffix_bytes = digit_suffixes.iter().map(|s| s.len()).max().unwrap_or(0);

    Data {
        bmp,
        astral: astral.into_boxed_slice(),
        rules,
        rule_filter,
        max_rule_len,
        patterns_by_first,
        pattern_pair_filter,
        digit_suffixes,
        max_digit_suffix_chars,
        max_digit_suffix_bytes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unescape_inverts_the_generator() {
        assert_eq!(
            unescape(r"a\\b\tc\nd\re\sf\u{a0}g"),
            "a\\b\tc\nd\re f\u{a0}g"
        );
    }

    #[test]
    fn classes_follow_python_unicode_14() {
        let d = data();
        // U+3000 is in spaCy's CJK range, hence ALPHA, and is whitespace.
        assert!(d.is('\u{3000}', class::ALPHA) && d.is('\u{3000}', class::PY_SPACE));
        assert!(d.is('😀', class::ICON) && !d.is('😀', class::ALPHA));
        assert!(d.is('𠀀', class::ALPHA_LOWER)); // CJK extension B, astral
        assert!(!d.is('𝐀', class::ALPHA)); // mathematical bold A: not in spaCy's classes
        assert!(d.is('٣', class::RE_DIGIT) && d.is('٣', class::RE_WORD));
        assert!(d.is('_', class::RE_WORD) && !d.is('-', class::RE_WORD));
        assert!(d.is('¿', class::IS_PUNCT) && !d.is('$', class::IS_PUNCT));
        assert!(d.is('。', class::SENT_PUNCT) && !d.is(',', class::SENT_PUNCT));
        // U+11F43 (Kawi danda) is punctuation since Unicode 15, not in Python 3.11's 14.0.
        assert!(!d.is('\u{11F43}', class::IS_PUNCT));
    }

    #[test]
    fn py_is_space_agrees_with_python_3_11() {
        // The tokenizer splits with `crate::py::is_space`; it must equal Python's str.isspace.
        let d = data();
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            assert_eq!(crate::py::is_space(c), d.is(c, class::PY_SPACE), "{c:?}");
        }
    }

    #[test]
    fn rules_and_patterns_load() {
        let d = data();
        assert_eq!(d.rule("don't"), Some(&[2u8, 3][..]));
        assert_eq!(d.rule("10a.m."), Some(&[2u8, 4][..]));
        assert_eq!(d.rule("hello"), None);
        assert!(d.patterns_starting_with(":", ")").is_some());
        assert!(d.digit_suffixes.contains("km") && d.digit_suffixes.contains("US$"));
    }
}
