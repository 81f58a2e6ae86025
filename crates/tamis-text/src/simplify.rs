//! Text normalisation before shingling, as datatrove's `simplify_text` does it
//! (datatrove 0.10.1, `src/datatrove/utils/text.py`, `simplify_text` and `TextNormConfig`).
//!
//! Near-duplicates often differ only in case, numbers, punctuation, spacing or accents; folding
//! those away before shingling raises recall. The order of the operations matters (numbers are
//! folded before punctuation, so "1,5" is one number) and is datatrove's.

use crate::py;
use serde::{Deserialize, Serialize};
use unicode_general_category::{get_general_category, GeneralCategory};
use unicode_normalization::UnicodeNormalization;

use crate::simplify_tables::PUNCTUATION;

/// Which normalisations to apply; the defaults are datatrove's `TextNormConfig()`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct TextNorm {
    /// Lower-case (Python `str.lower`).
    pub lowercase: bool,
    /// Strip, and replace each run of whitespace with one space.
    pub norm_whitespace: bool,
    /// Turn datatrove's punctuation characters (and C0/C1 controls) into spaces.
    pub remove_punctuation: bool,
    /// Decompose (NFD) and drop combining marks: "café" becomes "cafe".
    pub norm_unicode_diacritics: bool,
    /// Replace each number (digits of any script, optionally one decimal separator and more
    /// digits) with "0".
    pub norm_numbers: bool,
    /// Replace English weekday names with "WEEKDAY".
    pub norm_weekdays: bool,
    /// Replace English month names with "MONTH".
    pub norm_monthnames: bool,
}

impl Default for TextNorm {
    fn default() -> Self {
        Self {
            lowercase: true,
            norm_whitespace: true,
            remove_punctuation: true,
            norm_unicode_diacritics: true,
            norm_numbers: true,
            norm_weekdays: false,
            norm_monthnames: false,
        }
    }
}

/// Decimal separators datatrove's number pattern accepts between two digit runs.
const DECIMAL_SEPARATORS: [char; 7] = ['.', ',', '،', '٫', '⎖', '⎗', '⎘'];
const WEEKDAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];
const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// datatrove `simplify_text(text, config)`.
///
/// Done in three passes instead of datatrove's seven: lower-casing; then numbers, punctuation
/// and whitespace together (each only looks at characters the previous one left alone, so
/// one scan gives the same result); then accents, only over non-ASCII runs, since canonical
/// decomposition never crosses an ASCII character. Equal to the step-by-step definition
/// (tested against it).
pub fn simplify_text(text: &str, cfg: &TextNorm) -> String {
    if cfg.norm_weekdays || cfg.norm_monthnames {
        return simplify_stepwise(text, cfg);
    }
    let lowered: std::borrow::Cow<str> = if !cfg.lowercase {
        text.into()
    } else if text.is_ascii() {
        text.to_ascii_lowercase().into()
    } else {
        text.to_lowercase().into()
    };
    let mut out = String::with_capacity(lowered.len());
    // A space is written only once a non-space follows, which strips both ends and
    // collapses runs.
    let mut pending_space = false;
    let mut chars = lowered.chars().peekable();
    while let Some(c) = chars.next() {
        let digit = cfg.norm_numbers && py::is_decimal(c);
        let blank = !digit
            && ((cfg.remove_punctuation && is_punctuation(c))
                || (cfg.norm_whitespace && py::is_space(c)));
        if blank {
            pending_space = cfg.norm_whitespace || {
                out.push(' ');
                false
            };
            continue;
        }
        if pending_space {
            if !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
        }
        if !digit {
            out.push(c);
            continue;
        }
        skip_rest_of_number(&mut chars);
        out.push('0');
    }
    if !cfg.norm_whitespace && pending_space {
        out.push(' ');
    }
    if cfg.norm_unicode_diacritics && !out.is_ascii() {
        out = strip_marks(&out);
    }
    py::strip(&out).to_owned()
}

/// NFD, then without nonspacing marks, decomposing only the non-ASCII runs.
fn strip_marks(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let ascii_end = b[i..]
            .iter()
            .position(|c| !c.is_ascii())
            .map_or(b.len(), |p| i + p);
        out.push_str(&s[i..ascii_end]);
        let run_end = b[ascii_end..]
            .iter()
            .position(u8::is_ascii)
            .map_or(b.len(), |p| ascii_end + p);
        out.extend(
            s[ascii_end..run_end]
                .nfd()
                .filter(|&c| get_general_category(c) != GeneralCategory::NonspacingMark),
        );
        i = run_end;
    }
    out
}

/// The definition, one operation at a time in datatrove's order; used for the optional
/// weekday and month folds and as the reference in tests and the `simplify_text` fuzz target.
#[doc(hidden)]
pub fn simplify_stepwise(text: &str, cfg: &TextNorm) -> String {
    let mut s = if cfg.lowercase {
        text.to_lowercase()
    } else {
        text.to_owned()
    };
    if cfg.norm_numbers {
        s = fold_numbers(&s);
    }
    if cfg.norm_weekdays {
        s = replace_words(&s, &WEEKDAYS, "WEEKDAY");
    }
    if cfg.norm_monthnames {
        s = replace_words(&s, &MONTHS, "MONTH");
    }
    if cfg.remove_punctuation {
        s = s
            .chars()
            .map(|c| if is_punctuation(c) { ' ' } else { c })
            .collect();
    }
    if cfg.norm_whitespace {
        s = collapse_whitespace(py::strip(&s));
    }
    if cfg.norm_unicode_diacritics {
        s = s
            .nfd()
            .filter(|&c| get_general_category(c) != GeneralCategory::NonspacingMark)
            .collect();
    }
    py::strip(&s).to_owned()
}

fn is_punctuation(c: char) -> bool {
    PUNCTUATION.binary_search(&c).is_ok()
}

/// `regex.sub(r"\p{Nd}+([.,،٫⎖⎗⎘]{1}\p{Nd}+)?", "0", s)`: the pattern is greedy and its
/// optional part needs a separator followed by at least one digit, so a left-to-right scan
/// finds the same matches.
fn fold_numbers(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if !py::is_decimal(c) {
            out.push(c);
            continue;
        }
        skip_rest_of_number(&mut chars);
        out.push('0');
    }
    out
}

/// After a number's first digit: consumes its other digits, then one decimal separator and the
/// digits after it when a digit follows the separator (the pattern's optional group).
fn skip_rest_of_number(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    fn skip_digits(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
        while chars.peek().is_some_and(|&d| py::is_decimal(d)) {
            chars.next();
        }
    }
    skip_digits(chars);
    let mut ahead = chars.clone();
    if ahead
        .next()
        .is_some_and(|d| DECIMAL_SEPARATORS.contains(&d))
        && ahead.next().is_some_and(py::is_decimal)
    {
        chars.next();
        skip_digits(chars);
    }
}

/// `re.sub("w1|w2|...", replacement, s)`: leftmost match, alternatives tried in order.
fn replace_words(s: &str, words: &[&str], replacement: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        let rest = &s[i..];
        if let Some(w) = words.iter().find(|w| rest.starts_with(*w)) {
            out.push_str(replacement);
            i += w.len();
        } else {
            let c = rest.chars().next().expect("i is on a char boundary");
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// `re.sub(r"\s+", " ", s)` with Python's Unicode `\s` (the same set as `str.isspace`).
fn collapse_whitespace(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_space = false;
    for c in s.chars() {
        if py::is_space(c) {
            if !in_space {
                out.push(' ');
            }
            in_space = true;
        } else {
            out.push(c);
            in_space = false;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn simplify(s: &str) -> String {
        simplify_text(s, &TextNorm::default())
    }

    #[test]
    fn folds_case_numbers_punctuation_space_and_accents() {
        // Expected values from datatrove 0.10.1 `simplify_text` on Python 3.11.
        assert_eq!(simplify("  Café, 12.50 EUR!\n\tNEW  "), "cafe 0 eur new");
        assert_eq!(simplify("1.2.3 and ١٢٣"), "0 0 and 0");
        assert_eq!(simplify("a.b 3."), "a b 0");
        assert_eq!(simplify("Ünïcödé — “quotes”"), "unicode quotes");
    }

    #[test]
    fn fast_path_equals_the_stepwise_definition() {
        // Every flag combination, over strings mixing the cases that interact: digits and
        // separators next to punctuation, runs of odd whitespace, accents and combining marks
        // (also at run edges), final sigma, dotted capital I, Arabic digits.
        let pieces = [
            "A", "b", " ", "  ", "\t", "\n", "\u{a0}", "\u{2003}", "1", "23", ".", ",", "،", "٣",
            "..", "é", "e\u{301}", "\u{301}", "Σ", "ΟΔΟΣ", "İ", "“", "’", "—", "-", "x\u{1c}y",
            "ǅ", "ﬁ", "\u{f39}",
        ];
        let mut state = 12345u64;
        let mut next = |n: usize| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) as usize % n
        };
        for _ in 0..4000 {
            let len = next(9);
            let text: String = (0..len).map(|_| pieces[next(pieces.len())]).collect();
            for flags in 0..32u32 {
                let cfg = TextNorm {
                    lowercase: flags & 1 != 0,
                    norm_whitespace: flags & 2 != 0,
                    remove_punctuation: flags & 4 != 0,
                    norm_unicode_diacritics: flags & 8 != 0,
                    norm_numbers: flags & 16 != 0,
                    ..TextNorm::default()
                };
                assert_eq!(
                    simplify_text(&text, &cfg),
                    simplify_stepwise(&text, &cfg),
                    "{text:?} {cfg:?}"
                );
            }
        }
    }

    /// From the `simplify_text` fuzz target: combining marks left alone between spaces vanish
    /// after whitespace is collapsed, leaving two spaces. datatrove strips marks last too, so
    /// this is the reference behaviour, not a bug; both paths must agree on it.
    #[test]
    fn marks_between_spaces_leave_two_spaces_like_datatrove() {
        let text = "A\u{82}\u{302}\u{318} b";
        assert_eq!(simplify(text), "a  b");
        assert_eq!(simplify_stepwise(text, &TextNorm::default()), "a  b");
    }

    #[test]
    fn optional_folds_are_off_by_default() {
        assert_eq!(simplify("Monday 1 May"), "monday 0 may");
        let cfg = TextNorm {
            norm_weekdays: true,
            norm_monthnames: true,
            ..TextNorm::default()
        };
        assert_eq!(simplify_text("Monday 1 May", &cfg), "WEEKDAY 0 MONTH");
    }
}
