//! Word tokenization for a language as datatrove 0.10.1 chooses it.
//!
//! datatrove's filters and MinHash take a `language` and call `load_word_tokenizer(language)`
//! (`datatrove/utils/word_tokenizers.py`), which looks the key up in the table built from
//! `assets/tokenizer_assignment.csv`: ISO 639-3 codes with or without a script ("por_Latn",
//! "por"), and ISO 639-1 ones ("pt_Latn", "pt"). `data/tokenizer_assignment.txt` is that table,
//! generated from datatrove itself by `tools/gen_spacy_lang_data.py`.
//!
//! tamis runs the spaCy rule-based tokenizers exactly ([`crate::spacy`], and [`crate::en`] for
//! English), the `WhitespaceTokenizer`, whose words are spaCy `xx`'s, and the
//! `IndicNLPTokenizer` ([`crate::indic`]), spaCy's Chinese with jieba ([`crate::jieba`]) and
//! Vietnamese with pyvi ([`crate::vi`]), and the `ThaiTokenizer` ([`crate::thai`]),
//! `LaoTokenizer` ([`crate::lao`]), `KhmerTokenizer` ([`crate::khmer`]) and `BurmeseTokenizer`
//! ([`crate::burmese`]). The other classes (Stanza's neural tokenizers, and the segmenters for
//! Japanese, Korean and Tibetan, whose dictionaries or models are out of reach) are refused with an error that names them,
//! rather than approximated silently.

use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt;

use foldhash::{HashMap, HashMapExt};

use crate::spacy;

const ASSIGNMENT: &str = include_str!("../data/tokenizer_assignment.txt");

/// A word tokenizer tamis reproduces exactly.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WordTokenizer {
    /// `spacy.blank("en")`, run by the specialised [`crate::en`].
    English,
    /// `spacy.blank(code)` for a code of [`spacy::LANGUAGES`].
    Spacy(&'static str),
    /// `IndicNLPTokenizer(lang)`; only Urdu ("ur") differs from the other languages.
    IndicNlp { urdu: bool },
    /// `spacy.blank("zh")` with the jieba segmenter ([`crate::jieba`]).
    Chinese,
    /// `ThaiTokenizer`: PyThaiNLP's newmm-safe ([`crate::thai`]).
    Thai,
    /// `spacy.blank("vi")` with pyvi ([`crate::vi`]).
    Vietnamese,
    /// `LaoTokenizer`: LaoNLP's dictionary segmenter ([`crate::lao`]).
    Lao,
    /// `KhmerTokenizer`: khmer-nltk's CRF ([`crate::khmer`]); words are rebuilt text.
    Khmer,
    /// `BurmeseTokenizer`: pyidaungsu's CRF ([`crate::burmese`]); words are rebuilt text.
    Burmese,
}

/// A language whose datatrove tokenizer tamis does not run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsupportedLanguage {
    pub language: String,
    /// datatrove's tokenizer class and argument for it, if it assigns one.
    pub assigned: Option<(String, String)>,
}

impl fmt::Display for UnsupportedLanguage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.assigned {
            None => write!(
                f,
                "language {:?} has no word tokenizer in datatrove 0.10.1's assignment table \
                 (use a code such as \"por_Latn\", \"por\" or \"pt\")",
                self.language
            ),
            Some((class, arg)) => write!(
                f,
                "language {:?} is tokenized by datatrove's {class}{}, which tamis does not \
                 reproduce (it runs spaCy's rule-based tokenizers and the WhitespaceTokenizer)",
                self.language,
                if arg.is_empty() {
                    String::new()
                } else {
                    format!("({arg:?})")
                }
            ),
        }
    }
}

impl std::error::Error for UnsupportedLanguage {}

/// The table: language key -> (class, argument), parsed on first use.
fn assignment() -> &'static HashMap<&'static str, (&'static str, &'static str)> {
    static TABLE: std::sync::OnceLock<HashMap<&'static str, (&'static str, &'static str)>> =
        std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let mut m = HashMap::new();
        for line in ASSIGNMENT
            .lines()
            .filter(|l| !l.starts_with("# ") && !l.is_empty())
        {
            let mut f = line.split('\t');
            let (Some(key), Some(class), Some(arg)) = (f.next(), f.next(), f.next()) else {
                panic!("bad tokenizer assignment line {line:?}");
            };
            m.insert(key, (class, if arg == "-" { "" } else { arg }));
        }
        m
    })
}

impl WordTokenizer {
    /// The tokenizer datatrove's `load_word_tokenizer(language)` would use, if tamis runs it.
    pub fn for_language(language: &str) -> Result<WordTokenizer, UnsupportedLanguage> {
        let unsupported = |assigned: Option<(&str, &str)>| UnsupportedLanguage {
            language: language.to_string(),
            assigned: assigned.map(|(c, a)| (c.to_string(), a.to_string())),
        };
        let &(class, arg) = assignment()
            .get(language)
            .ok_or_else(|| unsupported(None))?;
        let code = match class {
            "SpaCyTokenizer" => arg,
            // Its `word_tokenize` is spaCy `xx`'s (`WhitespaceTokenizer._spacy_xx`).
            "WhitespaceTokenizer" => "xx",
            "IndicNLPTokenizer" => return Ok(WordTokenizer::IndicNlp { urdu: arg == "ur" }),
            "ThaiTokenizer" => return Ok(WordTokenizer::Thai),
            "LaoTokenizer" => return Ok(WordTokenizer::Lao),
            "KhmerTokenizer" => return Ok(WordTokenizer::Khmer),
            "BurmeseTokenizer" => return Ok(WordTokenizer::Burmese),
            _ => return Err(unsupported(Some((class, arg)))),
        };
        match code {
            "en" => return Ok(WordTokenizer::English),
            "zh" => return Ok(WordTokenizer::Chinese),
            "vi" => return Ok(WordTokenizer::Vietnamese),
            _ => {}
        }
        let i = spacy::LANGUAGES
            .binary_search(&code)
            .map_err(|_| unsupported(Some((class, arg))))?;
        Ok(WordTokenizer::Spacy(spacy::LANGUAGES[i]))
    }

    /// A short stable name, e.g. "spacy:fr".
    pub fn name(&self) -> String {
        match self {
            WordTokenizer::English => "spacy:en".into(),
            WordTokenizer::Spacy(code) => format!("spacy:{code}"),
            WordTokenizer::IndicNlp { urdu: false } => "indicnlp".into(),
            WordTokenizer::IndicNlp { urdu: true } => "indicnlp:ur".into(),
            WordTokenizer::Chinese => "spacy:zh(jieba)".into(),
            WordTokenizer::Thai => "pythainlp:newmm-safe".into(),
            WordTokenizer::Vietnamese => "spacy:vi(pyvi)".into(),
            WordTokenizer::Lao => "laonlp".into(),
            WordTokenizer::Khmer => "khmer-nltk".into(),
            WordTokenizer::Burmese => "pyidaungsu".into(),
        }
    }

    /// A small number that differs between tokenizers (for cache keys).
    pub fn id(&self) -> u32 {
        match self {
            WordTokenizer::English => 0,
            WordTokenizer::Spacy(code) => {
                1 + spacy::LANGUAGES
                    .binary_search(code)
                    .expect("listed language") as u32
            }
            WordTokenizer::IndicNlp { urdu } => 1000 + u32::from(*urdu),
            WordTokenizer::Chinese => 1002,
            WordTokenizer::Thai => 1003,
            WordTokenizer::Vietnamese => 1004,
            WordTokenizer::Lao => 1005,
            WordTokenizer::Khmer => 1006,
            WordTokenizer::Burmese => 1007,
        }
    }

    /// Whether the words are pieces of the text ([`WordTokenizer::word_spans`] gives them);
    /// Khmer's and Burmese's are rebuilt from a cleaned text instead.
    pub fn has_spans(&self) -> bool {
        !matches!(self, WordTokenizer::Khmer | WordTokenizer::Burmese)
    }

    /// Byte ranges of datatrove's `split_into_words(text, language)`, or `None` for the
    /// tokenizers whose words are not pieces of the text (see [`WordTokenizer::has_spans`]).
    /// An end offset with [`crate::indic::JOINED`] set marks a word that is not a plain
    /// substring: read words with [`word_at`].
    pub fn word_spans(&self, text: &str) -> Option<Vec<(u32, u32)>> {
        Some(match self {
            WordTokenizer::Khmer | WordTokenizer::Burmese => return None,
            WordTokenizer::English => crate::en::word_spans(text),
            WordTokenizer::Spacy(code) => {
                let mut out = Vec::new();
                SPACY.with(|m| {
                    m.borrow_mut()
                        .entry(code)
                        .or_insert_with(|| spacy::Tokenizer::new(code).expect("listed language"))
                        .word_spans_into(text, &mut out)
                });
                out
            }
            WordTokenizer::IndicNlp { urdu } => {
                let mut out = Vec::new();
                crate::indic::word_spans_into(text, *urdu, &mut out);
                out
            }
            WordTokenizer::Chinese => {
                let mut out = Vec::new();
                crate::jieba::word_spans_into(text, &mut out);
                out
            }
            WordTokenizer::Thai => {
                let mut out = Vec::new();
                crate::thai::word_spans_into(text, &mut out);
                out
            }
            WordTokenizer::Vietnamese => {
                let mut out = Vec::new();
                crate::vi::word_spans_into(text, &mut out);
                out
            }
            WordTokenizer::Lao => {
                let mut out = Vec::new();
                crate::lao::word_spans_into(text, &mut out);
                out
            }
        })
    }

    /// datatrove's `split_into_words(text, language)`.
    pub fn words<'t>(&self, text: &'t str) -> Vec<Cow<'t, str>> {
        let owned = match self {
            WordTokenizer::Khmer => crate::khmer::words(text),
            WordTokenizer::Burmese => crate::burmese::words(text),
            _ => {
                return self
                    .word_spans(text)
                    .expect("a span tokenizer")
                    .into_iter()
                    .map(|span| word_at(text, span))
                    .collect()
            }
        };
        owned.into_iter().map(Cow::Owned).collect()
    }
}

/// The word a span of [`WordTokenizer::word_spans`] stands for: the spanned text, or for a
/// joined span (IndicNLP's number sequences) the spanned text without its spaces and tabs.
#[inline]
pub fn word_at(text: &str, (a, b): (u32, u32)) -> Cow<'_, str> {
    let joined = b & crate::indic::JOINED != 0;
    let s = &text[a as usize..(b & !crate::indic::JOINED) as usize];
    if joined {
        Cow::Owned(s.chars().filter(|&c| c != ' ' && c != '\t').collect())
    } else {
        Cow::Borrowed(s)
    }
}

thread_local! {
    static SPACY: RefCell<HashMap<&'static str, spacy::Tokenizer>> = RefCell::new(HashMap::new());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_resolve_as_datatrove_assigns_them() {
        for key in ["en", "eng", "eng_Latn"] {
            assert_eq!(WordTokenizer::for_language(key), Ok(WordTokenizer::English));
        }
        for (key, code) in [
            ("por_Latn", "pt"),
            ("pt", "pt"),
            ("fra_Latn", "fr"),
            ("deu_Latn", "de"),
            ("rus_Cyrl", "ru"),
            ("swh_Latn", "tn"),
            ("ace_Arab", "xx"),
            ("ind_Latn", "id"),
        ] {
            assert_eq!(
                WordTokenizer::for_language(key),
                Ok(WordTokenizer::Spacy(code)),
                "{key}"
            );
        }
        assert_eq!(
            WordTokenizer::for_language("tha_Thai"),
            Ok(WordTokenizer::Thai)
        );
        let err = WordTokenizer::for_language("kor_Hang").unwrap_err();
        assert_eq!(
            err.assigned.as_ref().map(|a| a.0.as_str()),
            Some("KiwiTokenizer")
        );
        assert!(err.to_string().contains("KiwiTokenizer"), "{err}");
        assert_eq!(
            WordTokenizer::for_language("hin_Deva"),
            Ok(WordTokenizer::IndicNlp { urdu: false })
        );
        assert_eq!(
            WordTokenizer::for_language("urd_Arab"),
            Ok(WordTokenizer::IndicNlp { urdu: true })
        );
        assert_eq!(
            WordTokenizer::for_language("cmn_Hani"),
            Ok(WordTokenizer::Chinese)
        );
        let err = WordTokenizer::for_language("jpn_Jpan").unwrap_err();
        assert_eq!(err.assigned, Some(("SpaCyTokenizer".into(), "ja".into())));
        assert!(WordTokenizer::for_language("nope")
            .unwrap_err()
            .assigned
            .is_none());
    }

    #[test]
    fn every_assigned_spacy_or_whitespace_language_runs() {
        let mut n = 0;
        for (key, (class, arg)) in assignment() {
            let got = WordTokenizer::for_language(key);
            match (*class, *arg) {
                ("SpaCyTokenizer", "ja") => assert!(got.is_err(), "{key}"),
                (
                    "SpaCyTokenizer"
                    | "WhitespaceTokenizer"
                    | "IndicNLPTokenizer"
                    | "ThaiTokenizer"
                    | "LaoTokenizer"
                    | "KhmerTokenizer"
                    | "BurmeseTokenizer",
                    _,
                ) => {
                    let t = got.unwrap_or_else(|e| panic!("{key}: {e}"));
                    assert!(!t.words("Hello, world.").is_empty());
                    n += 1;
                }
                _ => assert!(got.is_err(), "{key}"),
            }
        }
        assert!(n > 1500, "{n}");
    }
}
