use std::collections::HashMap;

use aho_corasick::AhoCorasick;
use serde::{Deserialize, Serialize};
use tamis_core::{ConfigError, Ctx, Document, Step, Verdict};
use unicode_general_category::{get_general_category, GeneralCategory as Gc};

use crate::decl::{check_fraction, Filter};

/// C4 bad-words filter: drops documents containing a word from the LDNOOBW list of their
/// language (`metadata.language`, else `default_language`), as datatrove's `C4BadWordsFilter`
/// does (Raffel et al. 2020, section 2.2).
///
/// The text is lowercased (Python's `str.lower`); list words are used as written, so the few
/// with capitals never match. A word matches where it occurs with a non-word character or the
/// text's edge on both sides (Python `re`'s `\W`: anything but letters, digits, other numbers
/// and `_`); in Japanese, Thai and Chinese it matches anywhere, and datatrove's allowlist
/// (`sm`, `グロ`, `女の子`, `性`) is removed from every list. Lists: LDNOOBW at the commits
/// datatrove pins (English 25e679f0, the 27 others 5faf2ba4), embedded in the binary.
///
/// With `keep_fraction` above 0, a document with bad words is kept when a uniform draw falls
/// below it. datatrove draws from numpy's `default_rng(seed)` in document order, which depends
/// on how documents are split across workers; tamis draws from a hash of `seed` and the
/// document id instead, so runs are reproducible for any thread count but the kept documents
/// differ from datatrove's. A language without a list keeps the document when
/// `fail_on_missing_language` is false (counted as `missing_badwords_lang`); when true datatrove
/// stops the run, tamis drops the document with reason `missing_badwords_lang`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct C4BadWordsConfig {
    /// Fraction of documents with bad words to keep anyway (0 drops them all).
    pub keep_fraction: f64,
    /// A document in a language without a list is dropped (true) or kept (false).
    pub fail_on_missing_language: bool,
    /// Seed of the draws for `keep_fraction`; omitted is 0.
    pub seed: Option<u64>,
    /// Language of documents without `metadata.language`.
    pub default_language: String,
}

impl Default for C4BadWordsConfig {
    fn default() -> Self {
        Self {
            keep_fraction: 0.0,
            fail_on_missing_language: true,
            seed: None,
            default_language: "en".into(),
        }
    }
}

/// The LDNOOBW lists datatrove downloads (`_BADWORDS_LANGS` in datatrove's `c4_filters.py`).
static LISTS: [(&str, &str); 28] = [
    ("ar", include_str!("../../data/ldnoobw/ar")),
    ("cs", include_str!("../../data/ldnoobw/cs")),
    ("da", include_str!("../../data/ldnoobw/da")),
    ("de", include_str!("../../data/ldnoobw/de")),
    ("en", include_str!("../../data/ldnoobw/en")),
    ("eo", include_str!("../../data/ldnoobw/eo")),
    ("es", include_str!("../../data/ldnoobw/es")),
    ("fa", include_str!("../../data/ldnoobw/fa")),
    ("fi", include_str!("../../data/ldnoobw/fi")),
    ("fil", include_str!("../../data/ldnoobw/fil")),
    ("fr", include_str!("../../data/ldnoobw/fr")),
    (
        "fr-CA-u-sd-caqc",
        include_str!("../../data/ldnoobw/fr-CA-u-sd-caqc"),
    ),
    ("hi", include_str!("../../data/ldnoobw/hi")),
    ("hu", include_str!("../../data/ldnoobw/hu")),
    ("it", include_str!("../../data/ldnoobw/it")),
    ("ja", include_str!("../../data/ldnoobw/ja")),
    ("kab", include_str!("../../data/ldnoobw/kab")),
    ("ko", include_str!("../../data/ldnoobw/ko")),
    ("nl", include_str!("../../data/ldnoobw/nl")),
    ("no", include_str!("../../data/ldnoobw/no")),
    ("pl", include_str!("../../data/ldnoobw/pl")),
    ("pt", include_str!("../../data/ldnoobw/pt")),
    ("ru", include_str!("../../data/ldnoobw/ru")),
    ("sv", include_str!("../../data/ldnoobw/sv")),
    ("th", include_str!("../../data/ldnoobw/th")),
    ("tlh", include_str!("../../data/ldnoobw/tlh")),
    ("tr", include_str!("../../data/ldnoobw/tr")),
    ("zh", include_str!("../../data/ldnoobw/zh")),
];

/// Removed from every list: common subwords in languages written without spaces
/// (`_BADWORDS_ALLOWLIST`).
const ALLOWLIST: [&str; 4] = ["sm", "グロ", "女の子", "性"];

/// One language's matcher.
struct Matcher {
    words: AhoCorasick,
    /// Japanese, Thai and Chinese: match anywhere, not only between non-word characters.
    anywhere: bool,
}

/// Python `re`'s `\w` for str patterns: `str.isalnum()` or `_` (letters, and the Nd, Nl and No
/// numbers).
fn is_word(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric() || c == '_';
    }
    tamis_text::py::is_alpha(c)
        || matches!(
            get_general_category(c),
            Gc::DecimalNumber | Gc::LetterNumber | Gc::OtherNumber
        )
}

impl Matcher {
    fn new(lang: &str, list: &str) -> Result<Matcher, aho_corasick::BuildError> {
        // `set(line.strip() for line in f)` minus the allowlist, sorted for a stable build.
        let mut words: Vec<&str> = list
            .split_inclusive('\n')
            .map(tamis_text::py::strip)
            .filter(|w| !ALLOWLIST.contains(w))
            .collect();
        words.sort_unstable();
        words.dedup();
        Ok(Matcher {
            words: AhoCorasick::new(&words)?,
            anywhere: matches!(lang, "ja" | "th" | "zh"),
        })
    }

    /// `badwords_regex.search(lowered) is not None`.
    fn found(&self, lowered: &str) -> bool {
        if self.anywhere {
            return self.words.is_match(lowered);
        }
        // `(?:\W|^)(w1|w2|...)(?:\W|$)`: some occurrence with a non-word character or the
        // edge on both sides (`$` before a final `\n` is covered by `\W` matching `\n`).
        self.words.find_overlapping_iter(lowered).any(|m| {
            let before = lowered[..m.start()].chars().next_back();
            let after = lowered[m.end()..].chars().next();
            before.is_none_or(|c| !is_word(c)) && after.is_none_or(|c| !is_word(c))
        })
    }
}

pub struct C4BadWords {
    cfg: C4BadWordsConfig,
    matchers: HashMap<&'static str, Matcher>,
}

impl Filter for C4BadWords {
    type Config = C4BadWordsConfig;
    const ID: &'static str = "c4_badwords";
    const ORIGIN: &'static str = "Raffel et al. 2020, Exploring the Limits of Transfer Learning \
        (JMLR 21), section 2.2; LDNOOBW (List of Dirty, Naughty, Obscene, and Otherwise Bad \
        Words, CC BY 4.0); datatrove 0.10.1 datatrove/pipeline/filters/c4_filters.py \
        (C4BadWordsFilter)";
    const REASONS: &'static [&'static str] =
        &["document_removed_with_badwords", "missing_badwords_lang"];

    fn build(cfg: Self::Config) -> Result<Self, ConfigError> {
        check_fraction(Self::ID, "keep_fraction", cfg.keep_fraction)?;
        if cfg.fail_on_missing_language && !LISTS.iter().any(|(l, _)| *l == cfg.default_language) {
            return Err(ConfigError::new(
                Self::ID,
                format!(
                    "`default_language` = {:?} has no bad-words list (available: {})",
                    cfg.default_language,
                    LISTS.map(|(l, _)| l).join(", ")
                ),
            ));
        }
        let mut matchers = HashMap::new();
        for (lang, list) in LISTS {
            let m = Matcher::new(lang, list)
                .map_err(|e| ConfigError::new(Self::ID, format!("list `{lang}`: {e}")))?;
            matchers.insert(lang, m);
        }
        Ok(Self { cfg, matchers })
    }
}

impl Step for C4BadWords {
    fn id(&self) -> &'static str {
        Self::ID
    }

    fn process(&self, doc: &mut Document, ctx: &mut Ctx<'_>) -> Verdict {
        let lang: String = match doc.metadata.get("language") {
            None => self.cfg.default_language.clone(),
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
        };
        let Some(matcher) = self.matchers.get(lang.as_str()) else {
            ctx.counters.add("missing_badwords_lang", 1);
            ctx.counters
                .add(&format!("missing_badwords_lang_{lang}"), 1);
            return if self.cfg.fail_on_missing_language {
                Verdict::drop("missing_badwords_lang")
            } else {
                Verdict::Keep
            };
        };
        if !matcher.found(&doc.text.to_lowercase()) {
            return Verdict::Keep;
        }
        ctx.counters.add("documents_with_badwords", 1);
        ctx.counters
            .add(&format!("documents_with_badwords_{lang}"), 1);
        if self.cfg.keep_fraction > 0.0
            && crate::draw::uniform(self.cfg.seed.unwrap_or(0), &[doc.id.as_bytes()])
                < self.cfg.keep_fraction
        {
            ctx.counters.add("document_kept_with_badwords", 1);
            ctx.counters
                .add(&format!("document_kept_with_badwords_{lang}"), 1);
            return Verdict::Keep;
        }
        ctx.counters
            .add(&format!("document_removed_with_badwords_{lang}"), 1);
        Verdict::drop("document_removed_with_badwords")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::{run, run_with};

    #[test]
    fn words_match_between_non_word_characters() {
        assert_eq!(
            run::<C4BadWords>("What a BASTARD, he said."),
            Verdict::drop("document_removed_with_badwords")
        );
        // Inside a longer word it is not a match.
        assert_eq!(run::<C4BadWords>("Bastardisation of terms."), Verdict::Keep);
        assert_eq!(
            run::<C4BadWords>("bastard"),
            Verdict::drop("document_removed_with_badwords")
        );
        assert_eq!(run::<C4BadWords>("x_bastard"), Verdict::Keep);
        assert_eq!(run::<C4BadWords>("2bastard"), Verdict::Keep);
    }

    fn with_lang(f: &C4BadWords, text: &str, lang: &str) -> Verdict {
        let mut doc = Document::new("d", text);
        doc.metadata.insert("language".into(), lang.into());
        let (mut counters, mut cache) = (Default::default(), Default::default());
        f.process(
            &mut doc,
            &mut Ctx {
                counters: &mut counters,
                cache: &mut cache,
            },
        )
    }

    #[test]
    fn languages_without_spaces_match_anywhere_except_the_allowlist() {
        let f = C4BadWords::build(C4BadWordsConfig::default()).unwrap();
        assert_eq!(
            with_lang(&f, "这是色情网站", "zh"),
            Verdict::drop("document_removed_with_badwords")
        );
        assert_eq!(with_lang(&f, "性别平等", "zh"), Verdict::Keep);
        assert_eq!(with_lang(&f, "女の子です", "ja"), Verdict::Keep);
        assert_eq!(
            with_lang(&f, "text", "xx"),
            Verdict::drop("missing_badwords_lang")
        );
        let lenient = C4BadWords::build(C4BadWordsConfig {
            fail_on_missing_language: false,
            ..Default::default()
        })
        .unwrap();
        assert_eq!(with_lang(&lenient, "bastard", "xx"), Verdict::Keep);
    }

    #[test]
    fn keep_fraction_keeps_about_that_share() {
        let f = C4BadWords::build(C4BadWordsConfig {
            keep_fraction: 0.3,
            seed: Some(7),
            ..Default::default()
        })
        .unwrap();
        let kept = (0..2000)
            .filter(|i| {
                let mut doc = Document::new(format!("doc-{i}"), "you bastard");
                let (mut counters, mut cache) = (Default::default(), Default::default());
                f.process(
                    &mut doc,
                    &mut Ctx {
                        counters: &mut counters,
                        cache: &mut cache,
                    },
                ) == Verdict::Keep
            })
            .count();
        assert!((500..700).contains(&kept), "{kept}");
        assert_eq!(run_with(&f, "clean text"), Verdict::Keep);
        assert!(C4BadWords::build(C4BadWordsConfig {
            default_language: "xx".into(),
            ..Default::default()
        })
        .is_err());
    }
}
