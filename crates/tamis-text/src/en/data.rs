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
    /// Cheaper pre-check on the second token alone: by its first byte, a bit for each length
    /// (1 to 15, then 16 or more) of the patterns' second tokens that start with that byte.
    pattern_second: Box<[u16; 256]>,
    /// Currency and unit strings of the suffix rules `(?<=[0-9])(?:CURRENCY|UNITS)$`.
    pub(crate) digit_suffixes: HashSet<Box<str>>,
    /// Longest of `digit_suffixes`, in characters and in bytes.
    pub(crate) max_digit_suffix_chars: usize,
    pub(crate) max_digit_suffix_bytes: usize,
    /// Per-byte [`fast`] bits for the tokenizer's fast path, derived from the classes and
    /// strings above (and checked against them) when the data is parsed.
    pub(crate) fast: [u8; 256],
    /// Whether [`fast::LETTER`] is exactly the ASCII letters, so the tokenizer may find runs of
    /// them eight bytes at a time.
    pub(crate) fast_letters_are_ascii_letters: bool,
    /// Whether '.' is no unconditional suffix and ends no currency or unit, so after a letter
    /// or digit it is split off exactly when [`fast::DOT_AFTER`] / [`fast::UPPER`] say so.
    pub(crate) dot_suffix_by_table: bool,
}

/// Byte classes of [`Data::fast`]: what the tokenizer's fast path (`tokenizer::fast_chunk`)
/// may assume about an ASCII byte. A bit is only set when the property it names has been
/// verified against the parsed data, so a spaCy upgrade that breaks an assumption turns the fast
/// path off for that byte instead of making it wrong.
pub(crate) mod fast {
    /// ASCII whitespace (`str.isspace`).
    pub const SPACE: u8 = 1 << 0;
    /// An ASCII letter in no prefix, suffix or icon class (so no affix rule starts or ends on
    /// it alone, and no infix starts on it).
    pub const LETTER: u8 = 1 << 1;
    /// An ASCII digit with the same guarantees as [`LETTER`], and no currency or unit string is
    /// made of ASCII digits only.
    pub const DIGIT: u8 = 1 << 2;
    /// A single-character prefix alternative (`find_prefix` returns 1 on any string starting
    /// with it, before looking further); not '.', '+', whitespace, a letter or digit, nor in
    /// `ALPHA_UPPER` (so it never satisfies the `(?<=[{au}][{au}])\.` lookbehind).
    pub const LEAD: u8 = 1 << 3;
    /// A single-character unconditional suffix alternative that no currency or unit string
    /// ends with, and not '.', '+' or '$' (so `find_suffix` returns 1 on any string ending
    /// with it, and it takes no part in `US$`-like prefixes).
    pub const TRAIL: u8 = 1 << 4;
    /// In the lookbehind class of the suffix rule `(?<=[0-9{al}{e}{p}(?:{q})])\.`.
    pub const DOT_AFTER: u8 = 1 << 5;
    /// In `ALPHA_UPPER` (the lookbehind of `(?<=[{au}][{au}])\.`).
    pub const UPPER: u8 = 1 << 6;
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

    /// Whether `c` is a letter that can stand in a word exactly like an ASCII letter in the
    /// tokenizer's fast path: in `ALPHA`, in no prefix, suffix or icon class, not whitespace,
    /// and none of the non-ASCII characters an infix alternative starts with (`…`, `–`, `—`).
    #[inline]
    pub(crate) fn is_plain_letter(&self, c: char) -> bool {
        let bits = self.class(c);
        let excluded = class::PREFIX1 | class::SUFFIX1 | class::ICON | class::PY_SPACE;
        bits & class::ALPHA != 0 && bits & excluded == 0 && !matches!(c, '…' | '–' | '—')
    }

    /// Whether `c` has any of the class bits in `mask`.
    #[inline]
    pub(crate) fn is(&self, c: char, mask: u16) -> bool {
        self.class(c) & mask != 0
    }

    /// The token byte lengths of the exception `s`, if `s` is one.
    #[inline]
    pub(crate) fn rule(&self, s: &str) -> Option<&[u8]> {
        if s.len() > self.max_rule_len || !self.rule_filter.may_contain(Filter::ends(s.as_bytes()))
        {
            return None;
        }
        self.rule_lookup(s)
    }

    /// The hash lookup behind [`Data::rule`], kept out of line so the filter inlines.
    #[inline(never)]
    fn rule_lookup(&self, s: &str) -> Option<&[u8]> {
        self.rules.get(s).map(|v| &**v)
    }

    /// Every exception string, for tests that build inputs from them.
    #[cfg(test)]
    pub(crate) fn rule_keys(&self) -> impl Iterator<Item = &str> {
        self.rules.keys().map(|k| &**k)
    }

    /// The special-case matcher patterns whose first token is `first`, if any pattern may
    /// start with the tokens `first`, `second`.
    #[cfg(test)]
    pub(crate) fn patterns_starting_with(&self, first: &str, second: &str) -> Option<&[Pattern]> {
        let (a, b) = (first.as_bytes(), second.as_bytes());
        self.patterns_starting_with_keys(first, Self::token_key(a), Self::token_key(b))
    }

    /// Whether some pattern's second token has the first byte and length of `token`
    /// (non-empty): a pre-check before [`Data::patterns_starting_with_keys`].
    #[inline]
    pub(crate) fn may_be_second_token(&self, token: &[u8]) -> bool {
        self.pattern_second[usize::from(token[0])] & Self::length_bit(token.len()) != 0
    }

    #[inline]
    fn length_bit(len: usize) -> u16 {
        1 << (len.clamp(1, 16) - 1)
    }

    /// The key of a non-empty token for [`Data::patterns_starting_with_keys`].
    #[inline]
    pub(crate) fn token_key(token: &[u8]) -> u64 {
        Filter::shape(token)
    }

    /// The special-case matcher patterns whose first token is `first`, if any pattern may
    /// start with `first` and a second token, given by their [`Data::token_key`]s (so a caller
    /// walking a token list computes each key once).
    #[inline]
    pub(crate) fn patterns_starting_with_keys(
        &self,
        first: &str,
        first_key: u64,
        second_key: u64,
    ) -> Option<&[Pattern]> {
        if !self
            .pattern_pair_filter
            .may_contain(first_key << 24 | second_key)
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
    fn shape(b: &[u8]) -> u64 {
        let (first, last) = (
            b.first().copied().unwrap_or(0),
            b.last().copied().unwrap_or(0),
        );
        (b.len().min(255) as u64) << 16 | (first as u64) << 8 | last as u64
    }

    /// Length (capped) and first two and last two bytes of a string, packed: a finer key than
    /// [`Filter::shape`] for the exceptions, many of which differ from a frequent word only in
    /// an inner byte at one end ("hes" / "his", "wont" / "want", "weve" / "were").
    #[inline]
    fn ends(b: &[u8]) -> u64 {
        let n = b.len();
        let ends = match n {
            0 => 0,
            1 => u64::from(b[0]),
            _ => {
                u64::from(u16::from_le_bytes([b[0], b[1]])) << 16
                    | u64::from(u16::from_le_bytes([b[n - 2], b[n - 1]]))
            }
        };
        (n.min(255) as u64) << 32 | ends
    }

    /// The key of a pair of strings; [`Data::patterns_starting_with_keys`] builds the same.
    #[inline]
    fn pair(a: &str, b: &str) -> u64 {
        Self::shape(a.as_bytes()) << 24 | Self::shape(b.as_bytes())
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
pub(crate) fn records(file: &'static str) -> impl Iterator<Item = Vec<String>> {
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

pub(crate) fn parse_ranges(s: &str) -> Vec<(u32, u32)> {
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
        // The tokenizer relies on this (a one-character chunk is one token).
        assert!(toks.iter().all(|t| !t.is_empty()), "empty token in {key:?}");
        let lens: Box<[u8]> = toks
            .iter()
            .map(|t| u8::try_from(t.len()).expect("long token"))
            .collect();
        rules.insert(key.clone().into_boxed_str(), lens);
    }
    let rule_filter = Filter::new(rules.keys().map(|k| Filter::ends(k.as_bytes())));
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

    let mut pattern_second = Box::new([0u16; 256]);
    for p in patterns_by_first.values().flatten() {
        let second = p[1].as_bytes();
        pattern_second[usize::from(second[0])] |= Data::length_bit(second.len());
    }

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

    let fast = fast_table(&bmp, &digit_suffixes);
    let dot_suffix_by_table = bmp[usize::from(b'.')] & class::SUFFIX1 == 0
        && !digit_suffixes.iter().any(|s| s.ends_with('.'));
    let fast_letters_are_ascii_letters =
        (0..=255u8).all(|b| (fast[b as usize] & fast::LETTER != 0) == b.is_ascii_alphabetic());

    Data {
        fast,
        fast_letters_are_ascii_letters,
        dot_suffix_by_table,
        bmp,
        astral: astral.into_boxed_slice(),
        rules,
        rule_filter,
        max_rule_len,
        patterns_by_first,
        pattern_pair_filter,
        pattern_second,
        digit_suffixes,
        max_digit_suffix_chars,
        max_digit_suffix_bytes,
    }
}

/// Compute [`Data::fast`] (see [`fast`] for what each bit promises).
fn fast_table(bmp: &[u16], digit_suffixes: &HashSet<Box<str>>) -> [u8; 256] {
    let mut t = [0u8; 256];
    let affix = class::PREFIX1 | class::SUFFIX1 | class::ICON;
    let ends_a_digit_suffix = |b: u8| {
        digit_suffixes
            .iter()
            .any(|s| s.as_bytes().last() == Some(&b))
    };
    let all_digit_suffix = digit_suffixes
        .iter()
        .any(|s| s.bytes().all(|b| b.is_ascii_digit()));
    for b in 0u8..0x80 {
        let bits = bmp[b as usize];
        let entry = &mut t[b as usize];
        if crate::py::is_space(b as char) {
            *entry |= fast::SPACE;
        }
        if bits & class::SUFFIX_DOT_AFTER != 0 {
            *entry |= fast::DOT_AFTER;
        }
        if bits & class::ALPHA_UPPER != 0 {
            *entry |= fast::UPPER;
        }
        if bits & affix == 0 {
            if b.is_ascii_alphabetic() {
                *entry |= fast::LETTER;
            } else if b.is_ascii_digit() && !all_digit_suffix {
                *entry |= fast::DIGIT;
            }
        }
        let plain = !b.is_ascii_alphanumeric()
            && !matches!(b, b'.' | b'+')
            && *entry & fast::SPACE == 0
            && bits & class::ALPHA_UPPER == 0;
        if plain && bits & class::PREFIX1 != 0 {
            *entry |= fast::LEAD;
        }
        if plain && b != b'$' && bits & class::SUFFIX1 != 0 && !ends_a_digit_suffix(b) {
            *entry |= fast::TRAIL;
        }
    }
    t
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
