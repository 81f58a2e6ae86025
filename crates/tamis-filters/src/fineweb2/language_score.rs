//! FineWeb-2's per-language language-score threshold (step 3 of `fineweb-2-pipeline.py`).

use serde::{Deserialize, Serialize};
use tamis_core::{ConfigError, Ctx, Document, Step, Verdict};

use super::{config_index, configs};
use crate::decl::Filter;

/// FineWeb-2's language-score threshold: keeps a document when `metadata.language_score` is at
/// least its language's `language_score` setting (`configs/<lang>_<Script>.yml` of FineWeb-2,
/// bundled), as `fineweb-2-pipeline.py` does right after language identification, before
/// deduplication.
///
/// A document's language is `metadata.language` and `metadata.language_script` joined by `_`
/// ("por_Latn", as the `language` step writes GlotLID's labels), unless `language` fixes it.
/// Documents without a language or a score, or in a language FineWeb-2 has no settings for,
/// are dropped with a reason saying so (datatrove's lambda would raise on them).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Fineweb2LanguageScoreConfig {
    /// Use this language's threshold ("por_Latn") for every document instead of each
    /// document's own.
    pub language: Option<String>,
}

pub struct Fineweb2LanguageScore {
    language: Option<usize>,
}

impl Filter for Fineweb2LanguageScore {
    type Config = Fineweb2LanguageScoreConfig;
    const ID: &'static str = "fineweb2_language_score";
    const ORIGIN: &'static str = "FineWeb-2 (Penedo et al. 2025, arXiv:2506.20920; \
        huggingface/fineweb-2, fineweb-2-pipeline.py step 3 and configs/*.yml)";
    const REASONS: &'static [&'static str] = &[
        "no_language",
        "no_fineweb2_config",
        "no_language_score",
        "below_language_score",
    ];

    fn build(cfg: Fineweb2LanguageScoreConfig) -> Result<Self, ConfigError> {
        let language = match &cfg.language {
            None => None,
            Some(name) => Some(config_index(name).ok_or_else(|| {
                ConfigError::new(
                    Self::ID,
                    format!("`language` = {name:?}: FineWeb-2 has no settings for it"),
                )
            })?),
        };
        Ok(Self { language })
    }
}

impl Step for Fineweb2LanguageScore {
    fn id(&self) -> &'static str {
        Self::ID
    }

    fn process(&self, doc: &mut Document, _ctx: &mut Ctx<'_>) -> Verdict {
        let i = match self.language {
            Some(i) => i,
            None => {
                let Some(key) = doc.language_key() else {
                    return Verdict::drop("no_language");
                };
                match config_index(&key) {
                    Some(i) => i,
                    None => return Verdict::drop("no_fineweb2_config"),
                }
            }
        };
        let Some(score) = doc.metadata.get("language_score").and_then(|v| v.as_f64()) else {
            return Verdict::drop("no_language_score");
        };
        if score >= configs()[i].language_score {
            Verdict::Keep
        } else {
            Verdict::drop("below_language_score")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tamis_core::{Counters, DocCache};

    fn verdict(step: &Fineweb2LanguageScore, meta: serde_json::Value) -> Verdict {
        let mut doc = Document::new("d", "texto");
        doc.metadata = meta.as_object().cloned().unwrap_or_default();
        let (mut counters, mut cache) = (Counters::default(), DocCache::default());
        step.process(
            &mut doc,
            &mut Ctx {
                counters: &mut counters,
                cache: &mut cache,
            },
        )
    }

    #[test]
    fn threshold_is_the_documents_languages() {
        use serde_json::json;
        let step = Fineweb2LanguageScore::build(Default::default()).expect("builds");
        // por_Latn's threshold is 0.799; cmn_Hani's 0.692.
        let por =
            |s: f64| json!({"language": "por", "language_script": "Latn", "language_score": s});
        assert_eq!(verdict(&step, por(0.799)), Verdict::Keep);
        assert_eq!(
            verdict(&step, por(0.79)),
            Verdict::drop("below_language_score")
        );
        let cmn = json!({"language": "cmn", "language_script": "Hani", "language_score": 0.7});
        assert_eq!(verdict(&step, cmn), Verdict::Keep);
        assert_eq!(verdict(&step, json!({})), Verdict::drop("no_language"));
        assert_eq!(
            verdict(&step, json!({"language": "por", "language_script": "Latn"})),
            Verdict::drop("no_language_score")
        );
        assert_eq!(
            verdict(&step, json!({"language": "pt", "language_score": 0.9})),
            Verdict::drop("no_fineweb2_config")
        );
        let fixed = Fineweb2LanguageScore::build(Fineweb2LanguageScoreConfig {
            language: Some("cmn_Hani".into()),
        })
        .expect("builds");
        assert_eq!(verdict(&fixed, por(0.7)), Verdict::Keep);
    }
}
