//! FineWeb-2's filtering stage (step 5 of `fineweb-2-pipeline.py`, huggingface/fineweb-2),
//! each document by its own language's settings.

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use tamis_core::{ConfigError, Ctx, Document, Step, Verdict};
use tamis_text::words::WordTokenizer;

use super::{config_index, configs, LangConfig};
use crate::decl::Filter;
use crate::{
    FineWebQuality, FineWebQualityConfig, GopherQuality, GopherQualityConfig, GopherRepetition,
    GopherRepetitionConfig,
};

/// FineWeb-2's per-language quality filters: Gopher repetition, FineWeb quality and Gopher
/// quality with each document's own language's settings (`configs/<lang>_<Script>.yml` of
/// FineWeb-2, bundled), in that order, as `fineweb-2-pipeline.py` runs them after dedup.
///
/// A document's language is `metadata.language` and `metadata.language_script` joined by `_`
/// ("por_Latn", as the `language` step writes GlotLID's labels), unless `language` fixes it.
/// For that language: Gopher repetition without the paragraph and line-character checks, with
/// its `dup_line_frac`, `top_n_grams` and `dup_n_grams`; FineWeb quality with `short_line_thr`
/// 999 (off), `char_duplicates_ratio` 0.1 and its `line_punct_thr` and `new_line_ratio`;
/// Gopher quality with its stop words (at least 2), word-length bounds and
/// `max_non_alpha_words_ratio`; words split by the tokenizer datatrove assigns the language.
///
/// Documents without a language, in a language FineWeb-2 has no settings for, or whose word
/// tokenizer tamis does not run (Stanza's; Sudachi for Japanese, Kiwi for Korean, botok for
/// Tibetan) are dropped with a reason saying so rather than filtered by the wrong rules.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Fineweb2QualityConfig {
    /// Use this language's settings ("por_Latn") for every document instead of each
    /// document's own.
    pub language: Option<String>,
}

/// The three filters of one language, or why there are none.
type LangFilters = Result<[Box<dyn Step>; 3], &'static str>;

pub struct Fineweb2Quality {
    language: Option<usize>,
    /// Built on first use, per language (most runs see a few).
    filters: Vec<OnceLock<LangFilters>>,
}

/// Drop reasons of this step besides the three filters' own.
const NO_LANGUAGE: &str = "no_language";
const NO_CONFIG: &str = "no_fineweb2_config";
const UNSUPPORTED: &str = "unsupported_tokenizer";

fn build_filters(c: &LangConfig) -> LangFilters {
    if WordTokenizer::for_language(&c.name).is_err() {
        return Err(UNSUPPORTED);
    }
    let rep = GopherRepetition::build(GopherRepetitionConfig {
        dup_line_frac: c.dup_line_frac,
        dup_para_frac: 0.0,
        dup_line_char_frac: 0.0,
        dup_para_char_frac: 0.0,
        top_n_grams: c.top_n_grams.clone(),
        dup_n_grams: c.dup_n_grams.clone(),
        language: c.name.clone(),
    });
    let fw = FineWebQuality::build(FineWebQualityConfig {
        line_punct_thr: c.line_punct_thr,
        short_line_thr: 999.0,
        char_duplicates_ratio: 0.1,
        new_line_ratio: c.new_line_ratio,
        language: c.name.clone(),
        ..FineWebQualityConfig::default()
    });
    let gq = GopherQuality::build(GopherQualityConfig {
        min_avg_word_length: c.min_avg_word_length,
        max_avg_word_length: c.max_avg_word_length,
        max_non_alpha_words_ratio: c.max_non_alpha_words_ratio,
        stop_words: c.stopwords.clone(),
        min_stop_words: 2,
        language: c.name.clone(),
        ..GopherQualityConfig::default()
    });
    match (rep, fw, gq) {
        (Ok(a), Ok(b), Ok(c)) => Ok([Box::new(a), Box::new(b), Box::new(c)]),
        // The bundled settings are checked by the tests; a bad one is refused, not guessed.
        _ => Err(NO_CONFIG),
    }
}

impl Filter for Fineweb2Quality {
    type Config = Fineweb2QualityConfig;
    const ID: &'static str = "fineweb2_quality";
    const ORIGIN: &'static str = "FineWeb-2 (Penedo et al. 2025, arXiv:2506.20920; \
        huggingface/fineweb-2, fineweb-2-pipeline.py step 5 and configs/*.yml)";
    const REASONS: &'static [&'static str] = &[
        NO_LANGUAGE,
        NO_CONFIG,
        UNSUPPORTED,
        "empty",
        "dup_line_frac",
        "top_2_gram",
        "top_3_gram",
        "top_4_gram",
        "duplicated_5_n_grams",
        "duplicated_6_n_grams",
        "duplicated_7_n_grams",
        "duplicated_8_n_grams",
        "duplicated_9_n_grams",
        "duplicated_10_n_grams",
        "line_punct_ratio",
        "char_dup_ratio",
        "list_ratio",
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

    fn build(cfg: Fineweb2QualityConfig) -> Result<Self, ConfigError> {
        let language = match &cfg.language {
            None => None,
            Some(name) => {
                let i = config_index(name).ok_or_else(|| {
                    ConfigError::new(
                        Self::ID,
                        format!("`language` = {name:?}: FineWeb-2 has no settings for it"),
                    )
                })?;
                if let Err(e) = WordTokenizer::for_language(name) {
                    return Err(ConfigError::new(Self::ID, format!("`language`: {e}")));
                }
                Some(i)
            }
        };
        Ok(Self {
            language,
            filters: configs().iter().map(|_| OnceLock::new()).collect(),
        })
    }
}

impl Step for Fineweb2Quality {
    fn id(&self) -> &'static str {
        Self::ID
    }

    fn process(&self, doc: &mut Document, ctx: &mut Ctx<'_>) -> Verdict {
        let i = match self.language {
            Some(i) => i,
            None => {
                let Some(key) = doc.language_key() else {
                    return Verdict::drop(NO_LANGUAGE);
                };
                match config_index(&key) {
                    Some(i) => i,
                    None => return Verdict::drop(NO_CONFIG),
                }
            }
        };
        let filters = match self.filters[i].get_or_init(|| build_filters(&configs()[i])) {
            Ok(f) => f,
            Err(reason) => return Verdict::drop(*reason),
        };
        for f in filters {
            let v = f.process(doc, ctx);
            if v != Verdict::Keep {
                return v;
            }
        }
        Verdict::Keep
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::run_with;

    #[test]
    fn reasons_cover_the_inner_filters() {
        for r in GopherRepetition::REASONS
            .iter()
            .chain(FineWebQuality::REASONS)
            .chain(GopherQuality::REASONS)
        {
            if [
                "dup_para_frac",
                "dup_para_char_frac",
                "dup_line_char_frac",
                "short_line_ratio",
            ]
            .contains(r)
            {
                continue; // turned off by FineWeb-2
            }
            assert!(Fineweb2Quality::REASONS.contains(r), "{r}");
        }
    }

    #[test]
    fn every_bundled_setting_builds_where_the_tokenizer_runs() {
        let mut built = 0;
        for c in configs() {
            match build_filters(c) {
                Ok(_) => built += 1,
                Err(reason) => assert_eq!(reason, UNSUPPORTED, "{}", c.name),
            }
        }
        assert!(built > 1500, "{built}");
    }

    #[test]
    fn documents_need_a_language_with_settings_and_a_tokenizer() {
        let step = Fineweb2Quality::build(Fineweb2QualityConfig::default()).expect("builds");
        assert_eq!(run_with(&step, "Olá mundo."), Verdict::drop(NO_LANGUAGE));
        let fixed = |lang: &str| {
            Fineweb2Quality::build(Fineweb2QualityConfig {
                language: Some(lang.into()),
            })
        };
        // A Portuguese paragraph passes with Portuguese settings; German ones find too few of
        // their stop words (datatrove 0.10.1 decides the same, checked when this was written).
        let text = "O menino caminhou pela praia durante a manhã e encontrou uma concha grande. \
            Depois voltou para casa com a mãe, que preparava o almoço na cozinha. A família \
            comeu junta e conversou sobre a viagem que fariam no verão. O pai contou histórias \
            antigas da aldeia onde nasceu, perto das montanhas. Todos riram muito e ficaram \
            felizes naquela tarde tranquila.";
        assert_eq!(
            run_with(&fixed("por_Latn").expect("builds"), text),
            Verdict::Keep
        );
        assert_eq!(
            run_with(&fixed("deu_Latn").expect("builds"), text),
            Verdict::drop("gopher_enough_stop_words")
        );
        assert!(fixed("xyz_Latn").is_err());
        let err = fixed("kor_Hang").err().expect("Korean needs Kiwi");
        assert!(err.to_string().contains("KiwiTokenizer"), "{err}");
    }
}
