use serde::{Deserialize, Serialize};
use tamis_core::{ConfigError, Ctx, Document, Step, Verdict};
use tamis_text::dup::{find_duplicates, NgramIndex};
use tamis_text::py;

use crate::decl::{check_language, Filter};
use crate::words::words;

/// Gopher repetition filter: drops documents whose lines, paragraphs or word n-grams repeat too
/// much (Rae et al. 2021, table A1).
///
/// Checks, in order, each with datatrove's counting rules (a value of 0 turns a check off):
/// paragraphs are the stripped text split on two or more `\n`, lines the text split on one or
/// more `\n`; a duplicate is an element equal to an earlier one, first occurrence not counted;
/// character fractions divide by the length of the whole text in code points. Top n-gram: the
/// most frequent space-joined word n-gram's length times its count. Duplicated n-grams: words
/// joined with no separator, walking forward and skipping past each repeat.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct GopherRepetitionConfig {
    /// Max fraction of lines that duplicate an earlier line.
    pub dup_line_frac: f64,
    /// Max fraction of paragraphs that duplicate an earlier paragraph.
    pub dup_para_frac: f64,
    /// Max fraction of the text's characters in duplicated lines.
    pub dup_line_char_frac: f64,
    /// Max fraction of the text's characters in duplicated paragraphs.
    pub dup_para_char_frac: f64,
    /// `[n, max fraction]` pairs: characters of the most frequent n-gram times its count.
    pub top_n_grams: Vec<(usize, f64)>,
    /// `[n, max fraction]` pairs: characters in n-grams that repeat an earlier n-gram.
    pub dup_n_grams: Vec<(usize, f64)>,
    /// Word tokenisation language, as datatrove's `load_word_tokenizer` takes it ("en",
    /// "por_Latn", "pt", ...).
    pub language: String,
}

impl Default for GopherRepetitionConfig {
    fn default() -> Self {
        Self {
            dup_line_frac: 0.3,
            dup_para_frac: 0.3,
            dup_line_char_frac: 0.2,
            dup_para_char_frac: 0.2,
            top_n_grams: vec![(2, 0.2), (3, 0.18), (4, 0.16)],
            dup_n_grams: vec![
                (5, 0.15),
                (6, 0.14),
                (7, 0.13),
                (8, 0.12),
                (9, 0.11),
                (10, 0.10),
            ],
            language: "en".into(),
        }
    }
}

pub struct GopherRepetition {
    cfg: GopherRepetitionConfig,
    /// `top_{n}_gram` and `duplicated_{n}_n_grams`, built once so drops do not allocate.
    top_reasons: Vec<String>,
    dup_reasons: Vec<String>,
    tokenizer: tamis_text::words::WordTokenizer,
}

impl Filter for GopherRepetition {
    type Config = GopherRepetitionConfig;
    const ID: &'static str = "gopher_repetition";
    const ORIGIN: &'static str = "Rae et al. 2021, Scaling Language Models (arXiv:2112.11446), \
        table A1; datatrove 0.10.1 datatrove/pipeline/filters/gopher_repetition_filter.py";
    const REASONS: &'static [&'static str] = &[
        "empty",
        "dup_para_frac",
        "dup_para_char_frac",
        "dup_line_frac",
        "dup_line_char_frac",
        "top_2_gram",
        "top_3_gram",
        "top_4_gram",
        "duplicated_5_n_grams",
        "duplicated_6_n_grams",
        "duplicated_7_n_grams",
        "duplicated_8_n_grams",
        "duplicated_9_n_grams",
        "duplicated_10_n_grams",
    ];

    fn build(cfg: Self::Config) -> Result<Self, ConfigError> {
        // 0 turns a check off and a threshold above 1 never fires (FineWeb-2 sets
        // `dup_line_frac` above 1 for some languages).
        for (field, v) in [
            ("dup_line_frac", cfg.dup_line_frac),
            ("dup_para_frac", cfg.dup_para_frac),
            ("dup_line_char_frac", cfg.dup_line_char_frac),
            ("dup_para_char_frac", cfg.dup_para_char_frac),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(ConfigError::new(
                    Self::ID,
                    format!("`{field}` must be >= 0, got {v}"),
                ));
            }
        }
        for (field, list) in [
            ("top_n_grams", &cfg.top_n_grams),
            ("dup_n_grams", &cfg.dup_n_grams),
        ] {
            for &(n, frac) in list {
                if n == 0 {
                    return Err(ConfigError::new(
                        Self::ID,
                        format!("`{field}`: n must be >= 1"),
                    ));
                }
                // Overlapping n-grams can cover a text more than once, so a threshold above
                // 1 is meaningful (FineWeb-2 sets some `top_n_grams` to 1.1 and more).
                if !(frac.is_finite() && frac >= 0.0) {
                    return Err(ConfigError::new(
                        Self::ID,
                        format!("`{field}`: thresholds must be >= 0, got {frac}"),
                    ));
                }
            }
        }
        let tokenizer = check_language(Self::ID, &cfg.language)?;
        let top_reasons = cfg
            .top_n_grams
            .iter()
            .map(|(n, _)| format!("top_{n}_gram"))
            .collect();
        let dup_reasons = cfg
            .dup_n_grams
            .iter()
            .map(|(n, _)| format!("duplicated_{n}_n_grams"))
            .collect();
        Ok(Self {
            cfg,
            top_reasons,
            dup_reasons,
            tokenizer,
        })
    }
}

/// datatrove tests `if threshold and ratio > threshold`: a zero threshold disables the check.
fn exceeds(count: usize, total: usize, threshold: f64) -> bool {
    threshold != 0.0 && count as f64 / total as f64 > threshold
}

/// Splits on runs of two or more `\n` (datatrove's `re.compile(r"\n{2,}")`).
fn paragraphs(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let (mut start, mut i) = (0, 0);
    while i < bytes.len() {
        if bytes[i] == b'\n' && bytes.get(i + 1) == Some(&b'\n') {
            out.push(&text[start..i]);
            while i < bytes.len() && bytes[i] == b'\n' {
                i += 1;
            }
            start = i;
        } else {
            i += 1;
        }
    }
    out.push(&text[start..]);
    out
}

/// Splits on runs of one or more `\n` (datatrove's `re.compile("\n+")`): leading and trailing
/// newlines give empty first and last elements, as Python's `re.split` does.
fn lines(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    loop {
        match rest.find('\n') {
            Some(i) => {
                out.push(&rest[..i]);
                rest = rest[i..].trim_start_matches('\n');
            }
            None => {
                out.push(rest);
                return out;
            }
        }
    }
}

impl Step for GopherRepetition {
    fn id(&self) -> &'static str {
        Self::ID
    }

    fn process(&self, doc: &mut Document, ctx: &mut Ctx<'_>) -> Verdict {
        let text = doc.text.as_str();
        if text.is_empty() {
            return Verdict::drop("empty");
        }
        let c = &self.cfg;
        let text_len = py::len(text);

        let paras = paragraphs(py::strip(text));
        let (dup_paras, dup_para_chars) = find_duplicates(paras.iter().copied());
        if exceeds(dup_paras, paras.len(), c.dup_para_frac) {
            return Verdict::drop("dup_para_frac");
        }
        if exceeds(dup_para_chars, text_len, c.dup_para_char_frac) {
            return Verdict::drop("dup_para_char_frac");
        }

        let lines = lines(text);
        let (dup_lines, dup_line_chars) = find_duplicates(lines.iter().copied());
        if exceeds(dup_lines, lines.len(), c.dup_line_frac) {
            return Verdict::drop("dup_line_frac");
        }
        if exceeds(dup_line_chars, text_len, c.dup_line_char_frac) {
            return Verdict::drop("dup_line_char_frac");
        }

        let words = words(text, self.tokenizer, ctx);
        let words: Vec<&str> = words.iter().map(|w| w.as_ref()).collect();
        let mut index = NgramIndex::new(&words);
        // (n, max count) of the top n-grams computed so far: an n-gram is at most as frequent
        // as the top m-gram for any m < n, which can prove a later pass cannot fire.
        let mut seen_max: Vec<(usize, usize)> = Vec::with_capacity(c.top_n_grams.len());
        for (&(n, frac), reason) in c.top_n_grams.iter().zip(&self.top_reasons) {
            let bound = seen_max
                .iter()
                .filter(|(m, _)| *m < n)
                .map(|(_, k)| *k)
                .min();
            if let Some(max_count) = bound {
                let most = max_count * index.max_spaced_len(n);
                if most as f64 / text_len as f64 <= frac {
                    continue;
                }
            }
            if let Some((chars, count)) = index.top_ngram(n) {
                seen_max.push((n, count));
                if chars as f64 / text_len as f64 > frac {
                    return Verdict::drop(reason.clone());
                }
            }
        }
        for (&(n, frac), reason) in c.dup_n_grams.iter().zip(&self.dup_reasons) {
            if index.all_dup_ngram_chars(n) as f64 / text_len as f64 > frac {
                return Verdict::drop(reason.clone());
            }
        }
        Verdict::Keep
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::run;

    #[test]
    fn splits_like_python_re() {
        assert_eq!(paragraphs("a\n\nb\n\n\nc\nd"), vec!["a", "b", "c\nd"]);
        assert_eq!(lines("\na\n\nb\n"), vec!["", "a", "b", ""]);
    }

    #[test]
    fn repeated_paragraphs_drop() {
        let text = "Alpha beta gamma.\n\nAlpha beta gamma.\n\nDelta epsilon.";
        assert_eq!(
            run::<GopherRepetition>(text),
            Verdict::drop("dup_para_frac")
        );
    }

    #[test]
    fn repeated_bigram_drops_as_top_2_gram() {
        let text = "buy now ".repeat(20) + "and then some other words to pad it out";
        assert_eq!(run::<GopherRepetition>(&text), Verdict::drop("top_2_gram"));
    }

    #[test]
    fn varied_prose_is_kept() {
        let text = "The quick brown fox jumps over the lazy dog.\nA second line differs entirely \
                    from the first one.\n\nAnd a final paragraph closes the text.";
        assert_eq!(run::<GopherRepetition>(text), Verdict::Keep);
    }

    #[test]
    fn zero_threshold_disables_a_check() {
        let cfg = GopherRepetitionConfig {
            dup_para_frac: 0.0,
            ..Default::default()
        };
        let f = GopherRepetition::build(cfg).unwrap();
        let text = "Alpha beta gamma.\n\nAlpha beta gamma.\n\nDelta epsilon.";
        let v = crate::test_util::run_with(&f, text);
        assert_ne!(v, Verdict::drop("dup_para_frac"));
    }
}
