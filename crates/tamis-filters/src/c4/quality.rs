use serde::{Deserialize, Serialize};
use tamis_core::{ConfigError, Ctx, Document, Step, Verdict};
use tamis_text::py;

use crate::decl::{check_language, Filter};

/// C4 quality filter: removes lines (too long a word, no terminal punctuation, too few words,
/// "javascript", cookie and terms-of-use notices), strips Wikipedia-style citations, and drops
/// documents with "lorem ipsum", a curly bracket, or too few sentences in what remains
/// (Raffel et al. 2020, section 2.2, and TensorFlow Datasets' `c4_utils.py`).
///
/// Kept documents carry the cleaned text: the surviving stripped lines joined by `\n`. Lines
/// are Python `str.splitlines()` lines; words for the per-line checks are whitespace-separated;
/// sentences are counted with spaCy's rule-based sentencizer, as datatrove does. FineWeb runs
/// this filter with `filter_no_terminal_punct = false`. Line-level removals are counted as
/// `line-filter-<rule>`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct C4QualityConfig {
    /// Split into lines (true, as C4) rather than sentences. Only `true` is implemented.
    pub split_paragraph: bool,
    /// Remove `[1]`, `[edit]` and `[citation needed]` markers.
    pub remove_citations: bool,
    /// Remove lines that do not end in `.`, `?`, `!`, `"` or `'`, or that end in `...`.
    pub filter_no_terminal_punct: bool,
    /// Drop documents with fewer sentences than this after line removal; -1 disables.
    pub min_num_sentences: i64,
    /// Remove lines with fewer whitespace-separated words than this; -1 disables.
    pub min_words_per_line: i64,
    /// Remove lines holding a word longer than this many characters; -1 disables.
    pub max_word_length: i64,
    /// Drop documents containing "lorem ipsum" (in a kept line, any case).
    pub filter_lorem_ipsum: bool,
    /// Remove lines mentioning "javascript" (any case).
    pub filter_javascript: bool,
    /// Drop documents with `{` in a kept line.
    pub filter_curly_bracket: bool,
    /// Remove lines with cookie, privacy-policy or terms-of-use phrases.
    pub filter_policy: bool,
    /// Sentence tokenisation language (only "en" for now).
    pub language: String,
}

impl Default for C4QualityConfig {
    fn default() -> Self {
        Self {
            split_paragraph: true,
            remove_citations: true,
            filter_no_terminal_punct: true,
            min_num_sentences: 5,
            min_words_per_line: 3,
            max_word_length: 1000,
            filter_lorem_ipsum: true,
            filter_javascript: true,
            filter_curly_bracket: true,
            filter_policy: true,
            language: "en".into(),
        }
    }
}

pub struct C4Quality {
    cfg: C4QualityConfig,
}

/// From TensorFlow Datasets `c4_utils.py` via datatrove `c4_filters.py` (`POLICY_SUBSTRINGS`).
const POLICY_SUBSTRINGS: [&str; 6] = [
    "terms of use",
    "privacy policy",
    "cookie policy",
    "uses cookies",
    "use of cookies",
    "use cookies",
];

impl Filter for C4Quality {
    type Config = C4QualityConfig;
    const ID: &'static str = "c4_quality";
    const ORIGIN: &'static str = "Raffel et al. 2020, Exploring the Limits of Transfer Learning \
        (JMLR 21), section 2.2; tensorflow/datasets tensorflow_datasets/text/c4_utils.py; \
        datatrove 0.10.1 datatrove/pipeline/filters/c4_filters.py (C4QualityFilter)";
    const REASONS: &'static [&'static str] = &["lorem_ipsum", "curly_bracket", "too_few_sentences"];

    fn build(cfg: Self::Config) -> Result<Self, ConfigError> {
        if !cfg.split_paragraph {
            return Err(ConfigError::new(
                Self::ID,
                "`split_paragraph = false` (per-sentence filtering) is not implemented",
            ));
        }
        for (field, v) in [
            ("min_num_sentences", cfg.min_num_sentences),
            ("min_words_per_line", cfg.min_words_per_line),
            ("max_word_length", cfg.max_word_length),
        ] {
            if v < -1 {
                return Err(ConfigError::new(
                    Self::ID,
                    format!("`{field}` must be >= -1, got {v}"),
                ));
            }
        }
        // C4 splits sentences with spaCy's Sentencizer, which tamis has for English only.
        if check_language(Self::ID, &cfg.language)? != tamis_text::words::WordTokenizer::English {
            return Err(ConfigError::new(
                Self::ID,
                format!(
                    "`language` = {:?}: only English sentence splitting is available",
                    cfg.language
                ),
            ));
        }
        Ok(Self { cfg })
    }
}

/// Removes `\[\d*]`, `[edit]` and `[citation needed]`, left to right, as Python's
/// `re.sub(r"\[\d*]|\[edit]|\[citation needed]", "", line)` does (`\d` is any Unicode decimal).
fn remove_citations(line: &str) -> std::borrow::Cow<'_, str> {
    if !line.contains('[') {
        return line.into();
    }
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(i) = rest.find('[') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let digits = after
            .find(|c: char| !py::is_decimal(c))
            .unwrap_or(after.len());
        let skip = if after[digits..].starts_with(']') {
            Some(digits + 1)
        } else if after.starts_with("edit]") {
            Some(5)
        } else if after.starts_with("citation needed]") {
            Some(16)
        } else {
            None
        };
        match skip {
            Some(n) => rest = &after[n..],
            None => {
                out.push('[');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out.into()
}

/// Python's `str.lower()` into a reused buffer (Rust's `to_lowercase` applies the same full
/// Unicode mappings, final sigma included).
fn lowercase_into(line: &str, buf: &mut String) {
    buf.clear();
    if line.is_ascii() {
        buf.push_str(line);
        buf.make_ascii_lowercase();
    } else {
        buf.push_str(&line.to_lowercase());
    }
}

/// Per-document line tallies, added to the step's counters once per document rather than once
/// per line; the names are datatrove's (`line-filter-<rule>`).
#[derive(Default)]
struct LineCounts {
    total: u64,
    too_long_word: u64,
    no_terminal_punc: u64,
    too_few_words: u64,
    javascript: u64,
    policy: u64,
    kept: u64,
}

impl LineCounts {
    fn record(&self, counters: &mut tamis_core::Counters) {
        for (key, n) in [
            ("line-total", self.total),
            ("line-filter-too_long_word", self.too_long_word),
            ("line-filter-no_terminal_punc", self.no_terminal_punc),
            ("line-filter-too_few_words", self.too_few_words),
            ("line-filter-javascript", self.javascript),
            ("line-filter-policy", self.policy),
            ("line-kept", self.kept),
        ] {
            if n > 0 {
                counters.add(key, n);
            }
        }
    }
}

impl Step for C4Quality {
    fn id(&self) -> &'static str {
        Self::ID
    }

    fn process(&self, doc: &mut Document, ctx: &mut Ctx<'_>) -> Verdict {
        let c = &self.cfg;
        let mut sentences = 0i64;
        // Words of the kept lines: every `splitlines` break is whitespace to spaCy, so no token
        // spans two lines and the joined text's word count is the sum over its lines. Later
        // steps (FineWeb's list ratio) reuse it instead of tokenising again.
        let mut words = Some(0usize);
        let mut kept: Vec<std::borrow::Cow<'_, str>> = Vec::new();
        let mut lines = LineCounts::default();
        let mut lower = String::new();
        for raw in py::splitlines(&doc.text) {
            let stripped = py::strip(raw);
            lines.total += 1;
            let (mut n_words, mut too_long) = (0i64, false);
            for w in py::split_whitespace(stripped) {
                n_words += 1;
                // A word has at most as many characters as bytes: count only long ones.
                too_long |= c.max_word_length != -1
                    && w.len() as i64 > c.max_word_length
                    && py::len(w) as i64 > c.max_word_length;
            }
            if too_long {
                lines.too_long_word += 1;
                continue;
            }
            let line = if c.remove_citations {
                remove_citations(stripped)
            } else {
                stripped.into()
            };
            if c.filter_no_terminal_punct
                && (!line.ends_with(['.', '?', '!', '"', '\'']) || line.ends_with("..."))
            {
                lines.no_terminal_punc += 1;
                continue;
            }
            if n_words < c.min_words_per_line {
                lines.too_few_words += 1;
                continue;
            }
            lowercase_into(&line, &mut lower);
            if c.filter_lorem_ipsum && lower.contains("lorem ipsum") {
                lines.record(ctx.counters);
                return Verdict::drop("lorem_ipsum");
            }
            if c.filter_javascript && lower.contains("javascript") {
                lines.javascript += 1;
                continue;
            }
            if c.filter_curly_bracket && line.contains('{') {
                lines.record(ctx.counters);
                return Verdict::drop("curly_bracket");
            }
            if c.filter_policy && POLICY_SUBSTRINGS.iter().any(|p| lower.contains(p)) {
                lines.policy += 1;
                continue;
            }
            if c.min_num_sentences != -1 {
                let (w, s) = tamis_text::en::word_and_sentence_count(&line);
                sentences += s as i64;
                words = words.map(|n| n + w);
            } else {
                words = None;
            }
            kept.push(line);
            lines.kept += 1;
        }
        lines.record(ctx.counters);
        if sentences < c.min_num_sentences {
            return Verdict::drop("too_few_sentences");
        }
        let joined = kept.join("\n");
        let cleaned = py::strip(&joined);
        if cleaned.len() != doc.text.len() || cleaned != doc.text {
            doc.text = cleaned.to_owned();
        }
        if let Some(n) = words {
            ctx.cache
                .set_word_count(&doc.text, tamis_text::words::WordTokenizer::English.id(), n);
        }
        Verdict::Keep
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::{run, run_with};

    #[test]
    fn citations_removed_like_re_sub() {
        assert_eq!(
            remove_citations("a[1] b[] c[edit] d[citation needed]"),
            "a b c d"
        );
        assert_eq!(remove_citations("x[1a] y[[2]] z[٣]"), "x[1a] y[] z");
    }

    const ARTICLE: &str = "Home | News | Sport\n\
        The council met on Monday to discuss the new budget.\n\
        Members agreed that the library should stay open. They also voted on parking.\n\
        This site uses cookies to improve your experience.\n\
        Residents will be consulted before any change is made.\n\
        Please enable JavaScript to view the comments.\n\
        A final decision is expected in the spring [3].\n";

    #[test]
    fn removes_lines_and_keeps_the_rest() {
        let f = C4Quality::build(C4QualityConfig::default()).unwrap();
        let mut doc = Document::new("d", ARTICLE);
        let mut counters = tamis_core::Counters::default();
        let mut cache = tamis_core::DocCache::default();
        let v = f.process(
            &mut doc,
            &mut Ctx {
                counters: &mut counters,
                cache: &mut cache,
            },
        );
        assert_eq!(v, Verdict::Keep);
        assert_eq!(
            doc.text,
            "The council met on Monday to discuss the new budget.\n\
             Members agreed that the library should stay open. They also voted on parking.\n\
             Residents will be consulted before any change is made.\n\
             A final decision is expected in the spring ."
        );
        assert_eq!(counters.get("line-filter-policy"), 1);
        assert_eq!(
            cache.word_count(&doc.text, tamis_text::words::WordTokenizer::English.id()),
            Some(tamis_text::en::words(&doc.text).len())
        );
        assert_eq!(counters.get("line-filter-javascript"), 1);
        assert_eq!(counters.get("line-filter-no_terminal_punc"), 1);
    }

    #[test]
    fn curly_bracket_and_too_few_sentences_drop() {
        let text = format!("{ARTICLE}var x = {{ a: 1 }};\nThe function returns {{}} here.\n");
        assert_eq!(run::<C4Quality>(&text), Verdict::drop("curly_bracket"));
        assert_eq!(
            run::<C4Quality>("One short line.\nAnother one."),
            Verdict::drop("too_few_sentences")
        );
    }

    #[test]
    fn without_terminal_punct_rule_keeps_unpunctuated_lines() {
        let cfg = C4QualityConfig {
            filter_no_terminal_punct: false,
            ..Default::default()
        };
        let f = C4Quality::build(cfg).unwrap();
        let text = format!("{ARTICLE}Lorem ipsum dolor sit amet\n");
        assert_eq!(run_with(&f, &text), Verdict::drop("lorem_ipsum"));
    }
}
