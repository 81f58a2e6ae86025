use std::cell::RefCell;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use tamis_core::{ConfigError, Ctx, Document, Step, Verdict};
use tamis_lid::{Model, Prediction, Scratch, ALL};

use crate::decl::{check_fraction, Filter};

/// Language identification: labels each document with its language and score
/// (`metadata.language`, `metadata.language_score`, datatrove's keys) and keeps the documents
/// in the wanted languages above a score threshold; optionally labels each line.
///
/// Predictions are fastText's, bit for bit (crate `tamis-lid`), on the text with `\n` replaced
/// by spaces, every label scored (`k = -1`), as datatrove's `LanguageFilter` does. The default
/// model is the bundled `lid.176.ftz`; datatrove's `ft176` backend downloads the dense
/// `lid.176.bin`, whose scores differ slightly: give its path in `model` to reproduce a stock
/// datatrove run. With `languages` set, a document is kept when any of them scores above the
/// threshold (FineWeb: `["en"]`, 0.65); without, when its best language does. Per-line labels
/// (`per_line`) go to `metadata.line_languages` as runs of consecutive lines with the same
/// best language: `[{"line_start", "line_end", "language", "score"}]` (0-based lines split on
/// `\n`, end exclusive; blank lines join the run around them; `score` is the run's lowest
/// line score), for the cleaner and for audits.
///
/// With `backend = "glotlid"` the labels are GlotLID's (`__label__deu_Latn`): as datatrove's
/// `glotlid` backend does, the best label is split at its `_` into `metadata.language` (`deu`)
/// and `metadata.language_script` (`Latn`), while `languages` and the
/// `top_language_<label>_score` keys use whole labels (`deu_Latn`). GlotLID's weights are not
/// bundled: give the path of its `model_v3.bin` in `model`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct LanguageConfig {
    /// `ft176` (labels are languages, `en`) or `glotlid` (labels are language and script,
    /// `eng_Latn`; needs `model`).
    pub backend: Backend,
    /// Languages to keep (labels without `__label__`, e.g. `en`); omit for any language.
    pub languages: Option<Vec<String>>,
    /// A document is kept when a wanted language scores strictly above this.
    pub language_threshold: f64,
    /// Only label; never drop.
    pub label_only: bool,
    /// When not -1, also store every (wanted) language scoring above this as
    /// `metadata.top_language_<lang>_score`.
    pub keep_top_pairs_threshold: f64,
    /// A fastText model file (`.bin` or `.ftz`, e.g. GlotLID); omit for the bundled
    /// `lid.176.ftz`.
    pub model: Option<String>,
    /// Also label each line (`metadata.line_languages`).
    pub per_line: bool,
    /// Keep the documents the filter would drop and drop the ones it would keep (reason
    /// `language_excluded`): FineWeb-2 takes its input from the exclusion stream of FineWeb's
    /// English filter (`fineweb-2-pipeline.py`, step 1).
    pub invert: bool,
}

/// How a model's labels name languages (datatrove's `LanguageFilter(backend=...)`).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// fastText's `lid.176` (`__label__en`).
    #[default]
    Ft176,
    /// GlotLID (`__label__eng_Latn`): language and script.
    Glotlid,
}

impl Default for LanguageConfig {
    fn default() -> Self {
        Self {
            backend: Backend::Ft176,
            languages: None,
            language_threshold: 0.65,
            label_only: false,
            keep_top_pairs_threshold: -1.0,
            model: None,
            per_line: false,
            invert: false,
        }
    }
}

enum ModelRef {
    Bundled(&'static Model),
    Loaded(Arc<Model>),
}

pub struct Language {
    cfg: LanguageConfig,
    model: ModelRef,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::new());
}

impl Filter for Language {
    type Config = LanguageConfig;
    const ID: &'static str = "language";
    const ORIGIN: &'static str = "Joulin et al. 2017, Bag of Tricks for Efficient Text \
        Classification (fastText), and the lid.176 model; Kargaran et al. 2023, GlotLID \
        (labels `<ISO 639-3>_<script>`); datatrove 0.10.1 \
        datatrove/pipeline/filters/language_filter.py and datatrove/utils/lid.py";
    const REASONS: &'static [&'static str] = &["language_not_kept", "language_excluded"];

    fn build(cfg: Self::Config) -> Result<Self, ConfigError> {
        check_fraction(Self::ID, "language_threshold", cfg.language_threshold)?;
        if cfg.keep_top_pairs_threshold != -1.0 {
            check_fraction(
                Self::ID,
                "keep_top_pairs_threshold",
                cfg.keep_top_pairs_threshold,
            )?;
        }
        if cfg.invert && cfg.label_only {
            return Err(ConfigError::new(
                Self::ID,
                "`invert` with `label_only` would drop every document; use one of them",
            ));
        }
        if cfg.languages.as_ref().is_some_and(Vec::is_empty) {
            // datatrove drops every document with an empty list; that is never what is meant.
            return Err(ConfigError::new(
                Self::ID,
                "`languages` is empty, which would drop every document; omit it to accept any language",
            ));
        }
        let model = match &cfg.model {
            None if cfg.backend == Backend::Glotlid => {
                return Err(ConfigError::new(
                    Self::ID,
                    "backend \"glotlid\" needs `model`: GlotLID's weights are not bundled \
                     (model_v3.bin from the Hugging Face repository cis-lmu/glotlid)",
                ))
            }
            None => ModelRef::Bundled(Model::lid176()),
            Some(path) => ModelRef::Loaded(Arc::new(
                Model::from_path(path).map_err(|e| ConfigError::new(Self::ID, e.to_string()))?,
            )),
        };
        Ok(Self { cfg, model })
    }
}

impl Language {
    fn model(&self) -> &Model {
        match &self.model {
            ModelRef::Bundled(m) => m,
            ModelRef::Loaded(m) => m,
        }
    }
}

/// datatrove's language key for a label: `label.split("__")[2]` (`en` for `__label__en`).
fn language_key(raw_label: &str) -> Option<&str> {
    raw_label.split("__").nth(2)
}

impl Step for Language {
    fn id(&self) -> &'static str {
        Self::ID
    }

    fn process(&self, doc: &mut Document, _ctx: &mut Ctx<'_>) -> Verdict {
        let c = &self.cfg;
        let model = self.model();
        let keep = SCRATCH.with(|s| {
            let s = &mut *s.borrow_mut();
            let one_line = doc.text.replace('\n', " ");
            let mut preds: Vec<Prediction<'_>> = Vec::new();
            model.predict_with(s, &one_line, ALL, 0.0, &mut preds);
            // `{lang: score}` in prediction order; a repeated key keeps its first place and
            // its last score, as a Python dict built in a comprehension does.
            // (A map of positions: a linear search would be quadratic in the 176+ labels.)
            let mut pairs: Vec<(&str, f64)> = Vec::with_capacity(preds.len());
            let mut at: std::collections::HashMap<&str, usize> =
                std::collections::HashMap::with_capacity(preds.len());
            for p in &preds {
                let Some(key) = language_key(p.raw_label) else {
                    continue;
                };
                match at.entry(key) {
                    std::collections::hash_map::Entry::Occupied(e) => {
                        pairs[*e.get()].1 = f64::from(p.prob)
                    }
                    std::collections::hash_map::Entry::Vacant(e) => {
                        e.insert(pairs.len());
                        pairs.push((key, f64::from(p.prob)));
                    }
                }
            }
            // The first of equal maxima, as Python's max() returns.
            let best = pairs
                .iter()
                .fold(None, |b: Option<(&str, f64)>, &(k, v)| match b {
                    Some((_, bv)) if v <= bv => b,
                    _ => Some((k, v)),
                });
            let Some((lang, score)) = best else {
                // fastText gave nothing (empty model output): datatrove would raise here; the
                // document has no language to keep it for.
                return c.label_only;
            };
            let wanted: Vec<(&str, f64)> = match &c.languages {
                Some(langs) => langs
                    .iter()
                    .map(|l| {
                        let v = at.get(l.as_str()).map_or(0.0, |&i| pairs[i].1);
                        (l.as_str(), v)
                    })
                    .collect(),
                None => pairs.clone(),
            };
            let lang = match c.backend {
                Backend::Ft176 => lang,
                // `lang, script = lang.split("_")`; a label without exactly one `_` (which
                // datatrove cannot unpack) is kept whole, without a script.
                Backend::Glotlid => match lang.split_once('_') {
                    Some((language, script)) if !script.contains('_') => {
                        doc.metadata.insert("language_script".into(), script.into());
                        language
                    }
                    _ => lang,
                },
            };
            doc.metadata.insert("language".into(), lang.into());
            doc.metadata.insert("language_score".into(), score.into());
            if c.keep_top_pairs_threshold != -1.0 {
                for (k, v) in &wanted {
                    if *v > c.keep_top_pairs_threshold {
                        doc.metadata
                            .insert(format!("top_language_{k}_score"), (*v).into());
                    }
                }
            }
            if c.per_line {
                let runs = line_languages(model, s, &doc.text);
                doc.metadata
                    .insert("line_languages".into(), Value::Array(runs));
            }
            c.label_only
                || match &c.languages {
                    Some(_) => wanted.iter().any(|(_, v)| *v > c.language_threshold),
                    None => score > c.language_threshold,
                }
        });
        match (keep, c.invert) {
            (true, false) | (false, true) => Verdict::Keep,
            (false, false) => Verdict::drop("language_not_kept"),
            (true, true) => Verdict::drop("language_excluded"),
        }
    }
}

/// Runs of consecutive lines with the same best language (see [`LanguageConfig`]).
fn line_languages(model: &Model, s: &mut Scratch, text: &str) -> Vec<Value> {
    let mut runs: Vec<(usize, usize, String, f32)> = Vec::new();
    let mut preds = Vec::new();
    let mut n_lines = 0;
    for (i, line) in text.split('\n').enumerate() {
        n_lines = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        model.predict_with(s, line, 1, 0.0, &mut preds);
        let Some(p) = preds.first() else {
            continue;
        };
        let lang = language_key(p.raw_label).unwrap_or(p.label);
        match runs.last_mut() {
            Some(r) if r.2 == lang => {
                r.1 = i + 1;
                r.3 = r.3.min(p.prob);
            }
            _ => {
                // A blank gap between two runs goes to the earlier run.
                if let Some(r) = runs.last_mut() {
                    r.1 = i;
                }
                let start = if runs.is_empty() { 0 } else { i };
                runs.push((start, i + 1, lang.to_owned(), p.prob));
            }
        }
    }
    if let Some(r) = runs.last_mut() {
        r.1 = n_lines;
    }
    runs.into_iter()
        .map(|(a, b, lang, score)| {
            let mut m = Map::new();
            m.insert("line_start".into(), a.into());
            m.insert("line_end".into(), b.into());
            m.insert("language".into(), lang.into());
            m.insert("score".into(), f64::from(score).into());
            Value::Object(m)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::run_with;

    fn step(cfg: LanguageConfig) -> Language {
        Language::build(cfg).unwrap()
    }

    fn label(step: &Language, text: &str) -> (Verdict, Map<String, Value>) {
        let mut doc = Document::new("t", text);
        let (mut counters, mut cache) = (Default::default(), Default::default());
        let v = step.process(
            &mut doc,
            &mut Ctx {
                counters: &mut counters,
                cache: &mut cache,
            },
        );
        (v, doc.metadata)
    }

    #[test]
    fn keeps_wanted_languages_above_the_threshold() {
        let en = step(LanguageConfig {
            languages: Some(vec!["en".into()]),
            ..LanguageConfig::default()
        });
        let english = "The committee met on Tuesday and agreed to publish the report next month.";
        let german = "Der Ausschuss hat sich am Dienstag getroffen und den Bericht beschlossen.";
        assert_eq!(run_with(&en, english), Verdict::Keep);
        let (v, meta) = label(&en, german);
        assert_eq!(v, Verdict::drop("language_not_kept"));
        assert_eq!(meta["language"], "de");
        assert!(meta["language_score"].as_f64().unwrap() > 0.65);
        // Without a keep-list any confident language passes.
        assert_eq!(
            run_with(&step(LanguageConfig::default()), german),
            Verdict::Keep
        );
    }

    #[test]
    fn invert_keeps_what_the_filter_would_drop() {
        // FineWeb-2's input: the documents FineWeb's English filter excludes.
        let not_en = step(LanguageConfig {
            languages: Some(vec!["en".into()]),
            invert: true,
            ..LanguageConfig::default()
        });
        let english = "The committee met on Tuesday and agreed to publish the report next month.";
        let german = "Der Ausschuss hat sich am Dienstag getroffen und den Bericht beschlossen.";
        assert_eq!(
            run_with(&not_en, english),
            Verdict::drop("language_excluded")
        );
        let (v, meta) = label(&not_en, german);
        assert_eq!(v, Verdict::Keep);
        assert_eq!(meta["language"], "de");
    }

    #[test]
    fn per_line_runs_cover_every_line() {
        let s = step(LanguageConfig {
            per_line: true,
            label_only: true,
            ..LanguageConfig::default()
        });
        let text = "The weather was fine and everyone went to the beach.\n\nWe stayed until the evening.\nروما بت سایت شرط بندی معتبر\nThe end of a very long day.";
        let (_, meta) = label(&s, text);
        let runs = meta["line_languages"].as_array().unwrap();
        let spans: Vec<(u64, u64, &str)> = runs
            .iter()
            .map(|r| {
                (
                    r["line_start"].as_u64().unwrap(),
                    r["line_end"].as_u64().unwrap(),
                    r["language"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(spans, [(0, 3, "en"), (3, 4, "fa"), (4, 5, "en")]);
    }

    #[test]
    fn bad_configs_are_rejected() {
        let err = |cfg| Language::build(cfg).err().unwrap().to_string();
        assert!(err(LanguageConfig {
            languages: Some(vec![]),
            ..LanguageConfig::default()
        })
        .contains("empty"));
        assert!(err(LanguageConfig {
            model: Some("/nonexistent/model.bin".into()),
            ..LanguageConfig::default()
        })
        .contains("/nonexistent/model.bin"));
        assert!(err(LanguageConfig {
            language_threshold: 1.5,
            ..LanguageConfig::default()
        })
        .contains("language_threshold"));
        assert!(err(LanguageConfig {
            invert: true,
            label_only: true,
            ..LanguageConfig::default()
        })
        .contains("invert"));
    }
}
