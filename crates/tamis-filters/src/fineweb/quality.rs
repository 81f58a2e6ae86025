use serde::{Deserialize, Serialize};
use tamis_core::{ConfigError, Ctx, Document, Step, Verdict};
use tamis_text::dup::find_duplicates;
use tamis_text::py;

use crate::decl::{check_fraction, check_language, Filter};
use crate::punct_tables::TERMINAL_PUNCTUATION;
use crate::words::word_count;

/// FineWeb quality filter: drops documents where few lines end in punctuation, most lines are
/// short, lines repeat, or newlines are many per word (Penedo et al. 2024, FineWeb, section
/// 3.3.4).
///
/// Lines are the text split on `\n` with blank lines (after stripping) left out; they are not
/// stripped for the tests themselves, so a line ending in a space does not end in punctuation.
/// The duplicate-character ratio divides by the text's length without `\n`. The list ratio is
/// the number of `\n` over the number of words (see `language`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct FineWebQualityConfig {
    /// Min fraction of lines ending in terminal punctuation.
    pub line_punct_thr: f64,
    /// Do not drop when no line at all ends in punctuation.
    pub line_punct_exclude_zero: bool,
    /// Characters that count as terminal punctuation; empty = datatrove's
    /// `TERMINAL_PUNCTUATION` set.
    pub stop_chars: Vec<char>,
    /// Max fraction of short lines.
    pub short_line_thr: f64,
    /// A line of at most this many characters is short.
    pub short_line_length: usize,
    /// Max fraction of characters in lines that duplicate an earlier line.
    pub char_duplicates_ratio: f64,
    /// Max ratio of newlines to words.
    pub new_line_ratio: f64,
    /// Word tokenisation language, as datatrove's `load_word_tokenizer` takes it ("en",
    /// "por_Latn", "pt", ...).
    pub language: String,
}

impl Default for FineWebQualityConfig {
    fn default() -> Self {
        Self {
            line_punct_thr: 0.12,
            line_punct_exclude_zero: false,
            stop_chars: Vec::new(),
            short_line_thr: 0.67,
            short_line_length: 30,
            char_duplicates_ratio: 0.01,
            new_line_ratio: 0.3,
            language: "en".into(),
        }
    }
}

pub struct FineWebQuality {
    cfg: FineWebQualityConfig,
    stop_chars: Vec<char>,
    tokenizer: tamis_text::words::WordTokenizer,
}

impl Filter for FineWebQuality {
    type Config = FineWebQualityConfig;
    const ID: &'static str = "fineweb_quality";
    const ORIGIN: &'static str = "Penedo et al. 2024, The FineWeb Datasets (arXiv:2406.17557), \
        section 3.3.4; datatrove 0.10.1 datatrove/pipeline/filters/fineweb_quality_filter.py";
    const REASONS: &'static [&'static str] = &[
        "empty",
        "line_punct_ratio",
        "short_line_ratio",
        "char_dup_ratio",
        "list_ratio",
    ];

    fn build(cfg: Self::Config) -> Result<Self, ConfigError> {
        check_fraction(Self::ID, "char_duplicates_ratio", cfg.char_duplicates_ratio)?;
        // FineWeb-2 turns the check off for most languages with -1.
        if !cfg.line_punct_thr.is_finite() {
            return Err(ConfigError::new(
                Self::ID,
                format!(
                    "`line_punct_thr` must be a number, got {}",
                    cfg.line_punct_thr
                ),
            ));
        }
        // A threshold above 1 turns the check off (FineWeb-2 passes `short_line_thr` 999).
        for (field, v) in [
            ("short_line_thr", cfg.short_line_thr),
            ("new_line_ratio", cfg.new_line_ratio),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(ConfigError::new(
                    Self::ID,
                    format!("`{field}` must be >= 0, got {v}"),
                ));
            }
        }
        let tokenizer = check_language(Self::ID, &cfg.language)?;
        let mut stop_chars = if cfg.stop_chars.is_empty() {
            TERMINAL_PUNCTUATION.to_vec()
        } else {
            cfg.stop_chars.clone()
        };
        stop_chars.sort_unstable();
        stop_chars.dedup();
        Ok(Self {
            cfg,
            stop_chars,
            tokenizer,
        })
    }
}

impl Step for FineWebQuality {
    fn id(&self) -> &'static str {
        Self::ID
    }

    fn process(&self, doc: &mut Document, ctx: &mut Ctx<'_>) -> Verdict {
        let c = &self.cfg;
        let text = doc.text.as_str();
        let lines: Vec<&str> = text
            .split('\n')
            .filter(|l| !py::strip(l).is_empty())
            .collect();
        if lines.is_empty() {
            return Verdict::drop("empty");
        }
        let n = lines.len() as f64;

        let ending = lines
            .iter()
            .filter(|l| {
                l.chars()
                    .next_back()
                    .is_some_and(|ch| self.stop_chars.binary_search(&ch).is_ok())
            })
            .count();
        let ratio = ending as f64 / n;
        if ratio < c.line_punct_thr && !(ratio == 0.0 && c.line_punct_exclude_zero) {
            return Verdict::drop("line_punct_ratio");
        }

        let short = lines
            .iter()
            .filter(|l| py::len(l) <= c.short_line_length)
            .count();
        if short as f64 / n > c.short_line_thr {
            return Verdict::drop("short_line_ratio");
        }

        let (_, dup_chars) = find_duplicates(lines.iter().copied());
        let newlines = text.bytes().filter(|&b| b == b'\n').count();
        let chars_without_newlines = py::len(text) - newlines;
        if dup_chars as f64 / chars_without_newlines as f64 > c.char_duplicates_ratio {
            return Verdict::drop("char_dup_ratio");
        }

        let n_words = word_count(text, self.tokenizer, ctx);
        if newlines as f64 / n_words as f64 > c.new_line_ratio {
            return Verdict::drop("list_ratio");
        }
        Verdict::Keep
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::run;

    #[test]
    fn no_punctuation_drops() {
        let text = "a line without an end\nanother line without one at all here\n".repeat(3);
        assert_eq!(
            run::<FineWebQuality>(&text),
            Verdict::drop("line_punct_ratio")
        );
    }

    #[test]
    fn short_lines_drop() {
        let text = "Menu.\nHome.\nAbout us.\nA much longer line of real prose that goes on.\n";
        assert_eq!(
            run::<FineWebQuality>(text),
            Verdict::drop("short_line_ratio")
        );
    }

    #[test]
    fn duplicated_line_drops() {
        let line = "This exact sentence is repeated as a full line of the document.";
        let text = format!("{line}\nSomething else entirely, written once and only once.\n{line}");
        assert_eq!(
            run::<FineWebQuality>(&text),
            Verdict::drop("char_dup_ratio")
        );
    }

    #[test]
    fn trailing_space_hides_punctuation() {
        let text = "A sentence that ends properly but has a trailing space. \n\
                    No punctuation on this rather long line at all here\n";
        assert_eq!(
            run::<FineWebQuality>(text),
            Verdict::drop("line_punct_ratio")
        );
    }
}
