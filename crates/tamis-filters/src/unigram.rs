use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use tamis_core::{ConfigError, Ctx, Document, Step, Verdict};
use tamis_text::words::WordTokenizer;

use crate::decl::Filter;

/// Unigram log-probability filter: drops documents whose words are, on average, rare in a
/// reference word-frequency list, as datatrove's `UnigramLogProbFilter` does (the idea is
/// AllenAI's peS2o; the list datatrove downloads is the Google Web 1T unigram counts,
/// `unigram_freq.csv`, 333,333 words).
///
/// A document's score is the mean over its words (datatrove's word tokenizer for `language`) of
/// the natural log of the lower-cased word's relative frequency in the list (its count over all
/// counts), 1e-9 for a word not in the list, and 0 for a document without words. The document
/// is kept when the score is above `logprobs_threshold`; the drop reason is `unigram_logprob`
/// (datatrove gives none).
///
/// datatrove downloads its list from Amazon S3 at first use; these machines cannot, so the list
/// is a parameter: a CSV file with a header naming the columns `word` and `count` (any others
/// are ignored; fields may be quoted), as that file is laid out. With the same file the scores
/// equal datatrove's as long as the total count is below 2^53 (the Google list's is about
/// 5.9 x 10^11), so that each frequency is one correctly rounded division in both.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct UnigramLogProbConfig {
    /// Path of the word-frequency CSV (`word,count` columns, with a header).
    pub frequencies: String,
    /// Documents with a mean log-probability at or below this are dropped.
    pub logprobs_threshold: f64,
    /// Word tokenizer language, as datatrove takes it ("en", "por_Latn", ...).
    pub language: String,
}

impl Default for UnigramLogProbConfig {
    fn default() -> Self {
        Self {
            frequencies: String::new(),
            logprobs_threshold: -10.0,
            language: "en".into(),
        }
    }
}

pub struct UnigramLogProb {
    threshold: f64,
    tokenizer: WordTokenizer,
    frequencies: HashMap<String, f64>,
}

impl Filter for UnigramLogProb {
    type Config = UnigramLogProbConfig;
    const ID: &'static str = "unigram_logprob";
    const ORIGIN: &'static str = "Lo et al., peS2o (AllenAI, 2023); datatrove 0.10.1 \
        datatrove/pipeline/filters/unigram_log_probs.py (UnigramLogProbFilter)";
    const REASONS: &'static [&'static str] = &["unigram_logprob"];
    const REQUIRED: &'static [&'static str] = &["frequencies"];

    fn build(cfg: Self::Config) -> Result<Self, ConfigError> {
        if cfg.frequencies.is_empty() {
            return Err(ConfigError::new(
                Self::ID,
                "`frequencies` is required: the path of a `word,count` CSV such as the \
                 unigram_freq.csv datatrove downloads",
            ));
        }
        let tokenizer = WordTokenizer::for_language(&cfg.language)
            .map_err(|e| ConfigError::new(Self::ID, format!("`language`: {e}")))?;
        let text = std::fs::read_to_string(&cfg.frequencies).map_err(|e| {
            ConfigError::new(Self::ID, format!("cannot read {}: {e}", cfg.frequencies))
        })?;
        let counts = parse_counts(&text)
            .map_err(|e| ConfigError::new(Self::ID, format!("{}: {e}", cfg.frequencies)))?;
        let total: u128 = counts.iter().map(|(_, c)| u128::from(*c)).sum();
        if total == 0 {
            return Err(ConfigError::new(
                Self::ID,
                format!("{}: the counts sum to 0", cfg.frequencies),
            ));
        }
        // Later rows replace earlier ones, as a Python dict built in file order.
        let frequencies = counts
            .into_iter()
            .map(|(w, c)| (w, c as f64 / total as f64))
            .collect();
        Ok(Self {
            threshold: cfg.logprobs_threshold,
            tokenizer,
            frequencies,
        })
    }
}

impl UnigramLogProb {
    /// datatrove's `get_logprob`: the mean natural log of the words' frequencies.
    pub fn logprob(&self, text: &str) -> f64 {
        let words = self.tokenizer.words(text);
        if words.is_empty() {
            return 0.0;
        }
        // Summed in word order from 0, as Python's `sum` adds numpy floats.
        let sum = words.iter().fold(0.0f64, |acc, w| {
            let f = self.frequencies.get(&w.to_lowercase()).copied();
            acc + f.unwrap_or(1e-9).ln()
        });
        sum / words.len() as f64
    }
}

impl Step for UnigramLogProb {
    fn id(&self) -> &'static str {
        Self::ID
    }

    fn process(&self, doc: &mut Document, _ctx: &mut Ctx<'_>) -> Verdict {
        if self.logprob(&doc.text) > self.threshold {
            Verdict::Keep
        } else {
            Verdict::drop(Self::REASONS[0])
        }
    }
}

/// The `(word, count)` rows of a CSV with a header naming `word` and `count` (RFC 4180 quoting,
/// as Python's `csv.DictReader` reads it).
fn parse_counts(text: &str) -> Result<Vec<(String, u64)>, String> {
    let mut records = csv_records(text);
    let header = records.next().ok_or("empty file")?;
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| format!("no `{name}` column in the header {header:?}"))
    };
    let (wi, ci) = (col("word")?, col("count")?);
    let mut out = Vec::new();
    for (i, rec) in records.enumerate() {
        if rec.len() == 1 && rec[0].is_empty() {
            continue; // a blank line
        }
        let line = i + 2;
        let word = rec.get(wi).ok_or(format!("line {line}: no word"))?;
        let count = rec
            .get(ci)
            .and_then(|c| c.trim().parse::<u64>().ok())
            .ok_or(format!("line {line}: the count is not a whole number"))?;
        out.push((word.clone(), count));
    }
    Ok(out)
}

/// Splits CSV text into records of fields: `,` separates, `"` quotes, `""` is a quote inside a
/// quoted field, and a line break inside quotes belongs to the field.
fn csv_records(text: &str) -> impl Iterator<Item = Vec<String>> + '_ {
    let mut chars = text.chars().peekable();
    std::iter::from_fn(move || {
        chars.peek()?;
        let (mut rec, mut field, mut quoted) = (Vec::new(), String::new(), false);
        while let Some(c) = chars.next() {
            match c {
                '"' if quoted && chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' if quoted => quoted = false,
                '"' if field.is_empty() => quoted = true,
                ',' if !quoted => rec.push(std::mem::take(&mut field)),
                '\r' if !quoted && chars.peek() == Some(&'\n') => {}
                '\n' if !quoted => break,
                c => field.push(c),
            }
        }
        rec.push(field);
        Some(rec)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_read_as_pythons_csv_module_reads_them() {
        let text = "word,count\r\nthe,10\n\"a,b\",2\n\"say \"\"hi\"\"\",3\n\nlast,1";
        let got = parse_counts(text).unwrap();
        assert_eq!(
            got,
            [
                ("the".to_string(), 10),
                ("a,b".to_string(), 2),
                ("say \"hi\"".to_string(), 3),
                ("last".to_string(), 1)
            ]
        );
        assert!(parse_counts("w,count\nx,1").unwrap_err().contains("`word`"));
        assert!(parse_counts("word,count\nx,y")
            .unwrap_err()
            .contains("line 2"));
    }
}
