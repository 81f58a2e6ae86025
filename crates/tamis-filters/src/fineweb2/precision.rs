//! FineWeb-2's precision filtering (`misc/precision_filtering/run_precision_filtering.py` in
//! huggingface/fineweb-2): for the languages whose data was most contaminated by other
//! languages, keep a document only if its URL points at the language or its words include some
//! of the language's own.

use std::borrow::Cow;
use std::io::Read;
use std::sync::OnceLock;

use foldhash::HashSet;
use serde::{Deserialize, Serialize};
use tamis_core::{ConfigError, Ctx, Document, Step, Verdict};
use tamis_text::simplify::{simplify_text, TextNorm};
use tamis_text::words::WordTokenizer;

use crate::decl::Filter;

const DATA: &[u8] = include_bytes!("../../data/fineweb2/precision.jsonl.zst");

/// One language's precision-filtering data (its `cont_score`, above 0.1 for all, is left out).
#[derive(Debug, Deserialize)]
struct Row {
    name: String,
    wordlist: Vec<String>,
    url_whitelist: Vec<String>,
}

struct LangData {
    name: String,
    /// The ISO 639-3 code, the part of `name` before `_`.
    code: String,
    wordlist: HashSet<String>,
    /// The whitelist words that do not start with "." (those are domain extensions, whose
    /// check never fires, see [`url_matches`]).
    whitelist: Vec<String>,
}

/// The languages FineWeb-2 ran precision filtering on, sorted by name.
fn languages() -> &'static [LangData] {
    static PARSED: OnceLock<Vec<LangData>> = OnceLock::new();
    PARSED.get_or_init(|| {
        let mut raw = String::new();
        zstd::Decoder::new(DATA)
            .and_then(|mut d| d.read_to_string(&mut raw))
            .expect("bundled precision data decompresses");
        raw.lines()
            .map(|l| {
                let r: Row = serde_json::from_str(l).expect("bundled precision data parses");
                LangData {
                    code: r.name.split('_').next().unwrap_or_default().to_string(),
                    wordlist: r.wordlist.into_iter().collect(),
                    whitelist: r
                        .url_whitelist
                        .into_iter()
                        .filter(|w| !w.starts_with('.'))
                        .collect(),
                    name: r.name,
                }
            })
            .collect()
    })
}

fn language_index(name: &str) -> Option<usize> {
    languages()
        .binary_search_by(|l| l.name.as_str().cmp(name))
        .ok()
}

/// FineWeb-2's precision filtering: for the 515 languages whose FineWeb-2 data had a
/// contamination score above 0.1, keeps a document when its URL names the language or its
/// words include at least one of the language's own (the bundled `wordlists-0.85`); other
/// languages pass untouched. As `run_precision_filtering.py`'s `Decontaminate` filter:
///
/// * URL: the language code upper-cased anywhere in `metadata.url`, or lower-case and not
///   between ASCII letters or digits, or one of the language's `url_whitelist.json` words in
///   the URL stripped of everything but ASCII letters, digits, `/` and `.`, lower-cased. (The
///   script's domain-extension test looks for ".xx/" in a host name, which never holds one, so
///   it never fires; nor does it here.) A document without a URL goes straight to the words
///   (the script would stop with an error).
/// * Words: the text simplified (punctuation to spaces, whitespace collapsed; no lower-casing),
///   split by the language's word tokenizer; `metadata.wordlist_ratio` is the share of its
///   distinct words in the word list, and the document is kept when it is above 1e-7.
///
/// A document's language is `metadata.language` and `metadata.language_script` joined by `_`,
/// unless `language` fixes it. Documents of a filtered language whose tokenizer tamis does not
/// run are dropped as `unsupported_tokenizer`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Fineweb2PrecisionConfig {
    /// Use this language ("sco_Latn") for every document instead of each document's own.
    pub language: Option<String>,
}

pub struct Fineweb2Precision {
    /// The fixed language: its index, or `None` when it is not a filtered language.
    language: Option<Option<usize>>,
}

impl Filter for Fineweb2Precision {
    type Config = Fineweb2PrecisionConfig;
    const ID: &'static str = "fineweb2_precision";
    const ORIGIN: &'static str = "FineWeb-2 (Penedo et al. 2025, arXiv:2506.20920; \
        huggingface/fineweb-2, misc/precision_filtering/run_precision_filtering.py, \
        wordlists-0.85, url_whitelist.json, cont_scores.json)";
    const REASONS: &'static [&'static str] = &["below_wordlist_ratio", "unsupported_tokenizer"];

    fn build(cfg: Fineweb2PrecisionConfig) -> Result<Self, ConfigError> {
        let language = match &cfg.language {
            None => None,
            Some(name) => {
                let i = language_index(name);
                if i.is_some() {
                    if let Err(e) = WordTokenizer::for_language(name) {
                        return Err(ConfigError::new(Self::ID, format!("`language`: {e}")));
                    }
                }
                Some(i)
            }
        };
        Ok(Self { language })
    }
}

/// `Decontaminate.url_filter`, without its domain-extension test (see the config's docs).
fn url_matches(lang: &LangData, url: &str) -> bool {
    // The script calls `removesuffix` (not `removeprefix`) on the scheme: a no-op on real URLs.
    let url = url.strip_suffix("http://").unwrap_or(url);
    let url = url.strip_suffix("https://").unwrap_or(url);
    if url.contains(&lang.code.to_uppercase()) {
        return true;
    }
    let alnum = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_alphanumeric());
    let bytes = url.as_bytes();
    let code = lang.code.as_str();
    if !code.is_empty() {
        let mut from = 0;
        while let Some(i) = url[from..].find(code) {
            let (a, b) = (from + i, from + i + code.len());
            if !alnum(a.checked_sub(1).and_then(|p| bytes.get(p))) && !alnum(bytes.get(b)) {
                return true;
            }
            from = a + code.chars().next().map_or(1, char::len_utf8);
        }
    }
    if lang.whitelist.is_empty() {
        return false;
    }
    let normalized: String = url
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '/' || *c == '.')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    lang.whitelist
        .iter()
        .any(|w| !w.is_empty() && normalized.contains(w.as_str()))
}

/// datatrove's `TextNormConfig` as the script sets it.
fn norm() -> TextNorm {
    TextNorm {
        lowercase: false,
        norm_numbers: false,
        norm_weekdays: false,
        norm_monthnames: false,
        remove_punctuation: true,
        norm_unicode_diacritics: false,
        norm_whitespace: true,
    }
}

impl Step for Fineweb2Precision {
    fn id(&self) -> &'static str {
        Self::ID
    }

    fn process(&self, doc: &mut Document, _ctx: &mut Ctx<'_>) -> Verdict {
        let index = match self.language {
            Some(i) => i,
            None => doc.language_key().and_then(|k| language_index(&k)),
        };
        // Languages FineWeb-2 did not filter this way pass untouched.
        let Some(lang) = index.map(|i| &languages()[i]) else {
            return Verdict::Keep;
        };
        if let Some(url) = doc.metadata.get("url").and_then(|u| u.as_str()) {
            if url_matches(lang, url) {
                return Verdict::Keep;
            }
        }
        let Ok(tok) = WordTokenizer::for_language(&lang.name) else {
            return Verdict::drop("unsupported_tokenizer");
        };
        let simple = simplify_text(&doc.text, &norm());
        let words: HashSet<Cow<'_, str>> = tok.words(&simple).into_iter().collect();
        let matching = words
            .iter()
            .filter(|w| lang.wordlist.contains(w.as_ref()))
            .count();
        let ratio = if words.is_empty() {
            0.0
        } else {
            matching as f64 / words.len() as f64
        };
        // Python writes the integer 0 when there are no words.
        let value = if words.is_empty() {
            serde_json::json!(0)
        } else {
            serde_json::json!(ratio)
        };
        doc.metadata.insert("wordlist_ratio".into(), value);
        if ratio > 0.000_000_1 {
            Verdict::Keep
        } else {
            Verdict::drop("below_wordlist_ratio")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_loads() {
        let l = languages();
        assert_eq!(l.len(), 515);
        let sco = &l[language_index("sco_Latn").expect("Scots is filtered")];
        assert!(sco.wordlist.contains("fowk"));
        assert_eq!(sco.code, "sco");
    }

    #[test]
    fn urls_that_name_the_language_keep_the_document() {
        let l = LangData {
            name: "nhk_Latn".into(),
            code: "nhk".into(),
            wordlist: HashSet::default(),
            whitelist: vec!["veracruz".into(), "isthmus-cosoleacaquenahuatl".into()],
        };
        assert!(url_matches(&l, "https://example.com/NHK/page"));
        assert!(url_matches(&l, "https://example.com/nhk/page"));
        assert!(!url_matches(&l, "https://example.com/anhk2/page"));
        assert!(url_matches(&l, "https://Vera-Cruz.example.mx/"));
        // Hyphens are removed from the URL but not from the word: it never matches.
        assert!(!url_matches(&l, "https://isthmus-cosoleacaquenahuatl.org/"));
        assert!(!url_matches(&l, "https://example.mx/"));
    }
}
