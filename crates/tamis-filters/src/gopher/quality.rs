use serde::{Deserialize, Serialize};
use tamis_core::{ConfigError, Ctx, Document, Step, Verdict};
use tamis_text::py;

use crate::decl::{check_fraction, check_language, Filter};
use crate::punct_tables::PUNCTUATION;
use crate::words::words;

/// Gopher quality filter: word count, mean word length, symbol ratios, bullet and ellipsis
/// lines, alphabetic words and stop words (Rae et al. 2021, section A.1.1).
///
/// Words are the tokens of the word tokenizer datatrove assigns to `language` (spaCy's English
/// rules by default); "symbol words" are tokens made only of datatrove's
/// punctuation set and are left out of the word count and mean length, but not of the ratio
/// denominators. Lines are Python `str.splitlines()` lines. Stop words match case-sensitively.
/// A value of 0 turns a check off.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct GopherQualityConfig {
    /// Min number of non-symbol words.
    pub min_doc_words: usize,
    /// Max number of non-symbol words.
    pub max_doc_words: usize,
    /// Min mean length of non-symbol words, in characters.
    pub min_avg_word_length: f64,
    /// Max mean length of non-symbol words, in characters.
    pub max_avg_word_length: f64,
    /// Max ratio of `#`, and of `...` plus `…`, to words.
    pub max_symbol_word_ratio: f64,
    /// Max fraction of lines starting with `•` or `-`.
    pub max_bullet_lines_ratio: f64,
    /// Max fraction of lines ending with `...` or `…`.
    pub max_ellipsis_lines_ratio: f64,
    /// Min fraction of words holding at least one letter (datatrove's misnamed parameter).
    pub max_non_alpha_words_ratio: f64,
    /// Min number of distinct stop words present.
    pub min_stop_words: usize,
    /// The stop words.
    pub stop_words: Vec<String>,
    /// Word tokenisation language, as datatrove's `load_word_tokenizer` takes it ("en",
    /// "por_Latn", "pt", ...).
    pub language: String,
}

impl Default for GopherQualityConfig {
    fn default() -> Self {
        Self {
            min_doc_words: 50,
            max_doc_words: 100_000,
            min_avg_word_length: 3.0,
            max_avg_word_length: 10.0,
            max_symbol_word_ratio: 0.1,
            max_bullet_lines_ratio: 0.9,
            max_ellipsis_lines_ratio: 0.3,
            max_non_alpha_words_ratio: 0.8,
            min_stop_words: 2,
            stop_words: ["the", "be", "to", "of", "and", "that", "have", "with"]
                .map(String::from)
                .to_vec(),
            language: "en".into(),
        }
    }
}

pub struct GopherQuality {
    cfg: GopherQualityConfig,
    stop_words: Vec<String>,
    /// Bit [`length_bit`] set for each stop word's length: most words skip the search.
    stop_word_lengths: u64,
    tokenizer: tamis_text::words::WordTokenizer,
}

impl Filter for GopherQuality {
    type Config = GopherQualityConfig;
    const ID: &'static str = "gopher_quality";
    const ORIGIN: &'static str = "Rae et al. 2021, Scaling Language Models (arXiv:2112.11446), \
        section A.1.1; datatrove 0.10.1 datatrove/pipeline/filters/gopher_quality_filter.py";
    const REASONS: &'static [&'static str] = &[
        "gopher_short_doc",
        "gopher_long_doc",
        "gopher_below_avg_threshold",
        "gopher_above_avg_threshold",
        "gopher_too_many_hashes",
        "gopher_too_many_ellipsis",
        "gopher_too_many_bullets",
        "gopher_too_many_end_ellipsis",
        "gopher_below_alpha_threshold",
        "gopher_enough_stop_words",
    ];

    fn build(cfg: Self::Config) -> Result<Self, ConfigError> {
        for (field, v) in [
            ("max_bullet_lines_ratio", cfg.max_bullet_lines_ratio),
            ("max_ellipsis_lines_ratio", cfg.max_ellipsis_lines_ratio),
            ("max_non_alpha_words_ratio", cfg.max_non_alpha_words_ratio),
        ] {
            check_fraction(Self::ID, field, v)?;
        }
        for (field, v) in [
            ("min_avg_word_length", cfg.min_avg_word_length),
            ("max_avg_word_length", cfg.max_avg_word_length),
            ("max_symbol_word_ratio", cfg.max_symbol_word_ratio),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(ConfigError::new(
                    Self::ID,
                    format!("`{field}` must be >= 0, got {v}"),
                ));
            }
        }
        let tokenizer = check_language(Self::ID, &cfg.language)?;
        let mut stop_words = cfg.stop_words.clone();
        stop_words.sort();
        stop_words.dedup();
        let stop_word_lengths = stop_words.iter().fold(0u64, |m, w| m | length_bit(w.len()));
        Ok(Self {
            cfg,
            stop_words,
            stop_word_lengths,
            tokenizer,
        })
    }
}

/// Bit `len` of a length mask, lengths of 63 bytes and more sharing bit 63.
fn length_bit(len: usize) -> u64 {
    1 << len.min(63)
}

/// The ASCII part of [`PUNCTUATION`] as a bitmap, so most characters skip the binary search.
const ASCII_PUNCT: u128 = {
    let mut bits = 0u128;
    let mut i = 0;
    while i < PUNCTUATION.len() {
        if (PUNCTUATION[i] as u32) < 128 {
            bits |= 1 << (PUNCTUATION[i] as u32);
        }
        i += 1;
    }
    bits
};

fn is_punct(c: char) -> bool {
    if c.is_ascii() {
        return ASCII_PUNCT & (1 << c as u32) != 0;
    }
    PUNCTUATION.binary_search(&c).is_ok()
}

/// What the quality checks need to know about one word, found in one pass over it.
struct WordProps {
    /// Code points (`len(w)`).
    chars: usize,
    /// Holds a character outside datatrove's punctuation set (not a "symbol word").
    non_punct: bool,
    /// Holds a character for which `str.isalpha()` is true.
    alpha: bool,
}

impl WordProps {
    fn of(w: &str) -> Self {
        if w.is_ascii() {
            let b = w.as_bytes();
            return Self {
                chars: b.len(),
                non_punct: b.iter().any(|&c| ASCII_PUNCT & (1 << c) == 0),
                alpha: b.iter().any(u8::is_ascii_alphabetic),
            };
        }
        let mut p = Self {
            chars: 0,
            non_punct: false,
            alpha: false,
        };
        for ch in w.chars() {
            p.chars += 1;
            p.non_punct |= !is_punct(ch);
            p.alpha |= py::is_alpha(ch);
        }
        p
    }
}

/// `(text.count("#"), text.count("...") + text.count("…"))` in one pass. Python counts
/// non-overlapping occurrences left to right, so a run of k dots holds k / 3 of "...".
fn symbol_counts(text: &str) -> (usize, usize) {
    let b = text.as_bytes();
    let (mut hashes, mut ellipses, mut run, mut prev_dot) = (0, 0, 0, usize::MAX);
    for i in memchr::memchr3_iter(b'#', b'.', 0xE2, b) {
        match b[i] {
            b'#' => hashes += 1,
            b'.' => {
                if prev_dot.wrapping_add(1) == i {
                    run += 1;
                } else {
                    ellipses += run / 3;
                    run = 1;
                }
                prev_dot = i;
            }
            _ => ellipses += usize::from(b[i..].starts_with("…".as_bytes())),
        }
    }
    (hashes, ellipses + run / 3)
}

impl Step for GopherQuality {
    fn id(&self) -> &'static str {
        Self::ID
    }

    fn process(&self, doc: &mut Document, ctx: &mut Ctx<'_>) -> Verdict {
        let c = &self.cfg;
        let text = doc.text.as_str();
        let words = words(text, self.tokenizer, ctx);
        let n_words = words.len() as f64;

        let (mut n_non_symbol, mut non_symbol_chars, mut n_alpha) = (0usize, 0usize, 0usize);
        for w in &words {
            let p = WordProps::of(w);
            if p.non_punct {
                n_non_symbol += 1;
                non_symbol_chars += p.chars;
            }
            n_alpha += usize::from(p.alpha);
        }
        if c.min_doc_words != 0 && n_non_symbol < c.min_doc_words {
            return Verdict::drop("gopher_short_doc");
        }
        if c.max_doc_words != 0 && n_non_symbol > c.max_doc_words {
            return Verdict::drop("gopher_long_doc");
        }

        // numpy's mean of an empty list is NaN, and NaN compares false: no drop.
        let avg = non_symbol_chars as f64 / n_non_symbol as f64;
        if c.min_avg_word_length != 0.0 && avg < c.min_avg_word_length {
            return Verdict::drop("gopher_below_avg_threshold");
        }
        if c.max_avg_word_length != 0.0 && avg > c.max_avg_word_length {
            return Verdict::drop("gopher_above_avg_threshold");
        }

        if c.max_symbol_word_ratio != 0.0 {
            let (hashes, ellipses) = symbol_counts(text);
            if hashes as f64 / n_words > c.max_symbol_word_ratio {
                return Verdict::drop("gopher_too_many_hashes");
            }
            if ellipses as f64 / n_words > c.max_symbol_word_ratio {
                return Verdict::drop("gopher_too_many_ellipsis");
            }
        }

        let lines = py::splitlines(text);
        let n_lines = lines.len() as f64;
        if c.max_bullet_lines_ratio != 0.0 {
            let bullets = lines
                .iter()
                .filter(|l| {
                    let l = py::lstrip(l);
                    l.starts_with('•') || l.starts_with('-')
                })
                .count();
            if bullets as f64 / n_lines > c.max_bullet_lines_ratio {
                return Verdict::drop("gopher_too_many_bullets");
            }
        }
        if c.max_ellipsis_lines_ratio != 0.0 {
            let ending = lines
                .iter()
                .filter(|l| {
                    let l = py::rstrip(l);
                    l.ends_with("...") || l.ends_with('…')
                })
                .count();
            if ending as f64 / n_lines > c.max_ellipsis_lines_ratio {
                return Verdict::drop("gopher_too_many_end_ellipsis");
            }
        }

        if c.max_non_alpha_words_ratio != 0.0
            && (n_alpha as f64 / n_words) < c.max_non_alpha_words_ratio
        {
            return Verdict::drop("gopher_below_alpha_threshold");
        }

        if c.min_stop_words != 0 {
            // Only "at least `min_stop_words` distinct" matters, so stop at the first word that
            // reaches it: on English text that is within the first sentence.
            let mut found = vec![false; self.stop_words.len()];
            let mut distinct = 0;
            for w in &words {
                if self.stop_word_lengths & length_bit(w.len()) == 0 {
                    continue;
                }
                if let Ok(i) = self.stop_words.binary_search_by(|s| s.as_str().cmp(w)) {
                    if !found[i] {
                        found[i] = true;
                        distinct += 1;
                        if distinct >= c.min_stop_words {
                            break;
                        }
                    }
                }
            }
            if distinct < c.min_stop_words {
                return Verdict::drop("gopher_enough_stop_words");
            }
        }
        Verdict::Keep
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::run;

    const PROSE: &str = "The history of the city goes back to the Roman period, when a small \
        settlement grew up beside the river. Over the centuries it became a market town with a \
        cathedral, and in the industrial era its population grew quickly as mills and railways \
        arrived. Today the town is known for its university and for the festivals that fill \
        its streets every summer.";

    #[test]
    fn ascii_fast_path_agrees_with_the_table() {
        for c in (0u8..128).map(char::from) {
            assert_eq!(is_punct(c), PUNCTUATION.binary_search(&c).is_ok(), "{c:?}");
        }
    }

    #[test]
    fn symbol_counts_match_str_count() {
        for text in [
            "",
            "#",
            "a...b",
            "....",
            "......",
            ".. ..",
            "…...…#",
            "x.y.z...",
            "é…#..",
        ] {
            let expected = (
                text.matches('#').count(),
                text.matches("...").count() + text.matches('…').count(),
            );
            assert_eq!(symbol_counts(text), expected, "{text:?}");
        }
    }

    #[test]
    fn prose_is_kept() {
        assert_eq!(run::<GopherQuality>(PROSE), Verdict::Keep);
    }

    #[test]
    fn short_doc_drops() {
        assert_eq!(
            run::<GopherQuality>("The cat sat on the mat."),
            Verdict::drop("gopher_short_doc")
        );
    }

    #[test]
    fn hashes_drop() {
        let text = format!("{PROSE} {}", "#tag ".repeat(20));
        assert_eq!(
            run::<GopherQuality>(&text),
            Verdict::drop("gopher_too_many_hashes")
        );
    }

    #[test]
    fn bullet_lines_drop() {
        let text = (0..60)
            .map(|i| format!("- item number {i} of the list\n"))
            .collect::<String>();
        assert_eq!(
            run::<GopherQuality>(&text),
            Verdict::drop("gopher_too_many_bullets")
        );
    }

    #[test]
    fn stop_words_are_case_sensitive() {
        let upper = PROSE
            .replace("the ", "THE ")
            .replace("The ", "THE ")
            .replace(" and", " AND");
        let upper = upper
            .replace(" of ", " OF ")
            .replace(" to ", " TO ")
            .replace(" with", " WITH");
        assert_eq!(
            run::<GopherQuality>(&upper),
            Verdict::drop("gopher_enough_stop_words")
        );
    }
}
