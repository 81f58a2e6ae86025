//! Document filters, one file each, with datatrove 0.10.1's defaults and exact decisions.
//!
//! A filter is declared once (see [`Filter`]): its config struct (whose doc comment is the
//! filter's documentation and whose fields are its parameters), id, origin and reasons. The
//! [`registry`] lists every filter on one line each; docs, `tamis explain` and the pipeline
//! schema are derived from those declarations.

mod c4;
mod classifier;
mod decl;
mod draw;
mod extract;
mod fineweb;
mod fineweb2;
mod gopher;
mod language;
mod punct_tables;
mod regex;
mod registry;
mod sampler;
mod unigram;
mod url;
mod words;

pub use c4::badwords::{C4BadWords, C4BadWordsConfig};
pub use c4::paragraph::{C4Paragraph, C4ParagraphConfig};
pub use c4::quality::{C4Quality, C4QualityConfig};
pub use classifier::{ClassifierInput, FastTextClassifier, FastTextClassifierConfig};
pub use decl::{Filter, FilterEntry};
pub use extract::{Extract, ExtractConfig};
pub use fineweb::quality::{FineWebQuality, FineWebQualityConfig};
pub use fineweb2::language_score::{Fineweb2LanguageScore, Fineweb2LanguageScoreConfig};
pub use fineweb2::precision::{Fineweb2Precision, Fineweb2PrecisionConfig};
pub use fineweb2::quality::{Fineweb2Quality, Fineweb2QualityConfig};
pub use fineweb2::{
    config_index as fineweb2_config_index, configs as fineweb2_configs,
    LangConfig as Fineweb2LangConfig,
};
pub use gopher::quality::{GopherQuality, GopherQualityConfig};
pub use gopher::repetition::{GopherRepetition, GopherRepetitionConfig};
pub use language::{Language, LanguageConfig};
pub use regex::{RegexFilter, RegexFilterConfig};
pub use registry::{lookup, registry};
pub use sampler::{Sampler, SamplerConfig};
pub use unigram::{UnigramLogProb, UnigramLogProbConfig};
pub use url::filter::{UrlFilter, UrlFilterConfig};

/// datatrove's `PUNCTUATION_SET` (`datatrove/utils/text.py`), sorted.
pub fn punctuation_set() -> &'static [char] {
    &punct_tables::PUNCTUATION
}

#[cfg(test)]
mod test_util {
    use tamis_core::{Counters, Ctx, DocCache, Document, Step, Verdict};

    use crate::Filter;

    pub fn run_with(step: &dyn Step, text: &str) -> Verdict {
        let mut doc = Document::new("test", text);
        let (mut counters, mut cache) = (Counters::default(), DocCache::default());
        step.process(
            &mut doc,
            &mut Ctx {
                counters: &mut counters,
                cache: &mut cache,
            },
        )
    }

    /// Runs `step` on `text`; returns the verdict and the document as the step left it.
    pub fn process(step: &dyn Step, text: &str) -> (Verdict, Document) {
        let mut doc = Document::new("test", text);
        let (mut counters, mut cache) = (Counters::default(), DocCache::default());
        let v = step.process(
            &mut doc,
            &mut Ctx {
                counters: &mut counters,
                cache: &mut cache,
            },
        );
        (v, doc)
    }

    pub fn run<F: Filter>(text: &str) -> Verdict {
        let step = F::build(F::Config::default()).expect("defaults are valid");
        run_with(&step, text)
    }
}
