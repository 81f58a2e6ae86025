use std::cell::RefCell;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tamis_core::{ConfigError, Ctx, Document, Step, Verdict};
use tamis_lid::{Model, Prediction, Scratch, ALL};
use tamis_text::py;

use crate::decl::Filter;

/// Model-based quality selection: scores each document with a fastText supervised classifier
/// (any `.bin` or quantized `.ftz`: softmax, hierarchical softmax, negative sampling or
/// one-vs-all, with the word n-grams and subwords the model was trained with), writes the
/// probability of each requested label into the metadata, and optionally keeps or drops the
/// document on a label's score.
///
/// Probabilities are fastText's own, bit for bit (crate `tamis-lid`; the Python binding's
/// float64 holds the same f32), every label scored (`k = -1`). The model's input line is built
/// as the recipe that trained it does (`input`): `"datatrove"` as datatrove's
/// `FastTextClassifierFilter` (document mode: `text.strip()` with each `\n` replaced by
/// `newline_replacement`, datatrove's default `""`), `"dclm"` as DCLM's quality classifier
/// (`" ".join(text.strip().splitlines())`). `max_chars` then keeps the input's first code
/// points. Scores go to `metadata[key]` with `{label}` replaced by the label without
/// `__label__` and `{raw_label}` by the label as the model stores it; the default key is the
/// raw label, as datatrove writes it. fastText scores even an empty text (from its end-of-line
/// token); a model with no token of the input gives no scores (counter `no_prediction`). `keep_labels` keeps a document when any listed label scores at
/// least its minimum; `remove_labels` drops it when any does (datatrove's semantics; give one
/// or the other). Several classifier steps in one pipeline score each document in one pass
/// (an ensemble, as Nemotron-CC uses); `tamis select` then keeps the top of the corpus by a
/// score or buckets it by weighted percentiles (docs/classifiers.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct FastTextClassifierConfig {
    /// Path to the fastText model file (`.bin` or `.ftz`). Required.
    pub model: String,
    /// How the model's input is built from the text: `"datatrove"` or `"dclm"`.
    pub input: ClassifierInput,
    /// With `input = "datatrove"`: what replaces each `\n` (datatrove's default: nothing).
    pub newline_replacement: String,
    /// Keep only this many characters (code points) of the model's input; 0 for all.
    pub max_chars: usize,
    /// Labels (without `__label__`) whose scores are written; empty for every label.
    pub labels: Vec<String>,
    /// Metadata key of each written score: `{label}` becomes the label without `__label__`,
    /// `{raw_label}` the label as stored in the model.
    pub key: String,
    /// Score each label as DCLM's `classify_fasttext_hq_prob` does: its probability when
    /// fastText ranks it first, else one minus the first label's probability (float64). For
    /// two-label models only.
    pub dclm_probability: bool,
    /// `[label, min_score]` pairs: keep a document when any of these labels scores at least
    /// its minimum (datatrove's `keep_labels`).
    pub keep_labels: Vec<(String, f64)>,
    /// `[label, min_score]` pairs: drop a document when any of these labels scores at least
    /// its minimum (datatrove's `remove_labels`).
    pub remove_labels: Vec<(String, f64)>,
}

/// How the classifier's one input line is built from the document text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClassifierInput {
    /// datatrove 0.10.1 `FastTextClassifierFilter`: `text.strip().replace("\n", newline_replacement)`.
    Datatrove,
    /// DCLM's fastText quality classifier: `" ".join(text.strip().splitlines())`.
    Dclm,
}

impl ClassifierInput {
    /// The one line a model reads for `text`: built as the recipe does, then cut to its first
    /// `max_chars` code points (0: no limit). Training data is built the same way
    /// (`tamis train-classifier`), so a model scores what it was trained on.
    pub fn line(self, text: &str, newline_replacement: &str, max_chars: usize) -> String {
        let stripped = py::strip(text);
        let mut line = match self {
            ClassifierInput::Datatrove => stripped.replace('\n', newline_replacement),
            ClassifierInput::Dclm => py::splitlines(stripped).join(" "),
        };
        if max_chars > 0 {
            if let Some((cut, _)) = line.char_indices().nth(max_chars) {
                line.truncate(cut);
            }
        }
        line
    }
}

impl Default for FastTextClassifierConfig {
    fn default() -> Self {
        Self {
            model: String::new(),
            input: ClassifierInput::Datatrove,
            newline_replacement: String::new(),
            max_chars: 0,
            labels: Vec::new(),
            key: "{raw_label}".into(),
            dclm_probability: false,
            keep_labels: Vec::new(),
            remove_labels: Vec::new(),
        }
    }
}

pub struct FastTextClassifier {
    cfg: FastTextClassifierConfig,
    model: Arc<Model>,
    /// For each model label: the metadata key its score goes to, or `None` when not written.
    keys: Vec<Option<String>>,
    /// `(label index, minimum)` of `keep_labels`, then whether they are keep or remove rules.
    rules: Vec<(u32, f64)>,
    keep_rules: bool,
}

thread_local! {
    /// One prediction scratch per model per thread: a scratch caches recent unknown words of
    /// the model it last served, so steps with different models must not share one.
    static SCRATCH: RefCell<Vec<(usize, Scratch)>> = const { RefCell::new(Vec::new()) };
}

impl Filter for FastTextClassifier {
    type Config = FastTextClassifierConfig;
    const ID: &'static str = "fasttext_classifier";
    const ORIGIN: &'static str = "Joulin et al. 2017, Bag of Tricks for Efficient Text \
        Classification (fastText); datatrove 0.10.1 \
        datatrove/pipeline/filters/fasttext_filter.py (FastTextClassifierFilter); Li et al. \
        2024, DataComp-LM (DCLM), baselines/mappers/enrichers/\
        quality_prediction_enrichers_calc_fasttext.py (input construction)";
    const REASONS: &'static [&'static str] = &["keep_labels_not_met", "remove_label_matched"];
    const REQUIRED: &'static [&'static str] = &["model"];

    fn build(cfg: Self::Config) -> Result<Self, ConfigError> {
        let err = |m: String| ConfigError::new(Self::ID, m);
        if cfg.model.is_empty() {
            return Err(err(
                "`model` is required: the path of a fastText .bin or .ftz file".into(),
            ));
        }
        if !cfg.keep_labels.is_empty() && !cfg.remove_labels.is_empty() {
            return Err(err(
                "give `keep_labels` or `remove_labels`, not both (as datatrove)".into(),
            ));
        }
        let model = Model::from_path(&cfg.model).map_err(|e| err(e.to_string()))?;
        let labels: Vec<&str> = model.labels().collect();
        let index = |l: &str, what: &str| {
            labels
                .iter()
                .position(|m| *m == l)
                .map(|i| i as u32)
                .ok_or_else(|| {
                    err(format!(
                        "`{what}` names label `{l}`, which {} does not have; its labels: {}",
                        cfg.model,
                        labels.join(", ")
                    ))
                })
        };
        let wanted: Vec<u32> = cfg
            .labels
            .iter()
            .map(|l| index(l, "labels"))
            .collect::<Result<_, _>>()?;
        let many = if cfg.labels.is_empty() {
            labels.len()
        } else {
            cfg.labels.len()
        };
        if many > 1 && !cfg.key.contains("{label}") && !cfg.key.contains("{raw_label}") {
            return Err(err(format!(
                "`key` = {:?} would write {many} labels' scores to one key: add `{{label}}` \
                 to it, or list one label in `labels`",
                cfg.key
            )));
        }
        let keys = model
            .labels()
            .zip(model.raw_labels())
            .enumerate()
            .map(|(i, (label, raw))| {
                (cfg.labels.is_empty() || wanted.contains(&(i as u32))).then(|| {
                    cfg.key
                        .replace("{raw_label}", raw)
                        .replace("{label}", label)
                })
            })
            .collect();
        if cfg.dclm_probability && labels.len() != 2 {
            return Err(err(format!(
                "`dclm_probability` needs a two-label model; {} has {}",
                cfg.model,
                labels.len()
            )));
        }
        let keep_rules = !cfg.keep_labels.is_empty();
        let rules = cfg
            .keep_labels
            .iter()
            .chain(&cfg.remove_labels)
            .map(|(l, min)| {
                if min.is_nan() {
                    return Err(err(format!("the minimum score of `{l}` is not a number")));
                }
                Ok((index(l, "keep_labels/remove_labels")?, *min))
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            cfg,
            model: Arc::new(model),
            keys,
            rules,
            keep_rules,
        })
    }
}

impl FastTextClassifier {
    /// The one line the model reads for `text` (see [`ClassifierInput`]).
    pub fn model_input(&self, text: &str) -> String {
        self.cfg
            .input
            .line(text, &self.cfg.newline_replacement, self.cfg.max_chars)
    }

    /// Every label's score for `text`, in fastText's order (best first): its probability, or
    /// with `dclm_probability` DCLM's score; empty when the model knows none of its tokens.
    pub fn scores(&self, text: &str) -> Vec<(&str, f64)> {
        let line = self.model_input(text);
        self.with_predictions(&line, |preds| {
            preds
                .iter()
                .map(|p| (p.label, self.score(preds, p)))
                .collect()
        })
    }

    /// A label's score among all predictions (`preds[0]` is fastText's first).
    fn score(&self, preds: &[Prediction<'_>], p: &Prediction<'_>) -> f64 {
        match preds.first() {
            // The binding's float64 holds the f32 exactly; DCLM subtracts in float64.
            Some(top) if self.cfg.dclm_probability && top.id != p.id => 1.0 - f64::from(top.prob),
            _ => f64::from(p.prob),
        }
    }

    fn with_predictions<'m, R>(&'m self, line: &str, f: impl FnOnce(&[Prediction<'m>]) -> R) -> R {
        let id = Arc::as_ptr(&self.model) as usize;
        SCRATCH.with(|cell| {
            let mut all = cell.borrow_mut();
            let at = match all.iter().position(|(m, _)| *m == id) {
                Some(i) => i,
                None => {
                    all.push((id, Scratch::new()));
                    all.len() - 1
                }
            };
            let mut preds = Vec::new();
            self.model
                .predict_with(&mut all[at].1, line, ALL, 0.0, &mut preds);
            f(&preds)
        })
    }
}

impl Step for FastTextClassifier {
    fn id(&self) -> &'static str {
        Self::ID
    }

    fn process(&self, doc: &mut Document, ctx: &mut Ctx<'_>) -> Verdict {
        let line = self.model_input(&doc.text);
        let met = self.with_predictions(&line, |preds| {
            if preds.is_empty() {
                ctx.counters.incr("no_prediction");
            }
            for p in preds {
                if let Some(key) = &self.keys[p.id as usize] {
                    doc.metadata
                        .insert(key.clone(), Value::from(self.score(preds, p)));
                }
            }
            // A label fastText did not return scores -9e9 in datatrove, below any minimum.
            self.rules.iter().any(|&(label, min)| {
                preds
                    .iter()
                    .find(|p| p.id == label)
                    .is_some_and(|p| self.score(preds, p) >= min)
            })
        });
        // datatrove keeps the document's text only when its (one) unit passes, then drops a
        // document left with no text: so a blank document is dropped whenever a rule is set.
        let blank = py::strip(&doc.text).is_empty();
        match (self.rules.is_empty(), self.keep_rules) {
            (true, _) => Verdict::Keep,
            (false, true) if met && !blank => Verdict::Keep,
            (false, true) => Verdict::drop("keep_labels_not_met"),
            (false, false) if !met && !blank => Verdict::Keep,
            (false, false) => Verdict::drop("remove_label_matched"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::process;

    /// The softmax model tamis-lid's parity tests use (trained on lingua sentences).
    fn tiny_model() -> String {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tamis-lid/tests/golden/tiny-softmax.bin"
        )
        .to_owned()
    }

    fn build(cfg: FastTextClassifierConfig) -> Result<FastTextClassifier, String> {
        FastTextClassifier::build(cfg).map_err(|e| e.to_string())
    }

    fn cfg() -> FastTextClassifierConfig {
        FastTextClassifierConfig {
            model: tiny_model(),
            ..Default::default()
        }
    }

    #[test]
    fn input_lines_follow_each_recipe() {
        let text = "  First line.\r\nSecond\u{2028}third\nfourth  \n";
        let dt = build(cfg()).unwrap();
        // datatrove: only `\n` is replaced (by nothing); `\r` and U+2028 stay.
        assert_eq!(
            dt.model_input(text),
            "First line.\rSecond\u{2028}thirdfourth"
        );
        let dclm = build(FastTextClassifierConfig {
            input: ClassifierInput::Dclm,
            ..cfg()
        })
        .unwrap();
        assert_eq!(dclm.model_input(text), "First line. Second third fourth");
        let short = build(FastTextClassifierConfig {
            input: ClassifierInput::Dclm,
            max_chars: 8,
            ..cfg()
        })
        .unwrap();
        assert_eq!(short.model_input("éé line\nnext"), "éé line ");
    }

    #[test]
    fn scores_every_label_under_its_key_and_applies_rules() {
        let step = build(cfg()).unwrap();
        let labels: Vec<String> = step.model.labels().map(str::to_owned).collect();
        let text = "Der Ausschuss hat sich am Dienstag getroffen und den Bericht beschlossen.";
        let (v, doc) = process(&step, text);
        assert_eq!(v, Verdict::Keep);
        let raw: Vec<&str> = step.model.raw_labels().collect();
        for r in &raw {
            assert!(doc.metadata.contains_key(*r), "{r} missing");
        }
        let scores = step.scores(text);
        let (best, p) = scores[0];
        assert_eq!(doc.metadata[&format!("__label__{best}")], Value::from(p));
        let keep = |min: f64| {
            build(FastTextClassifierConfig {
                keep_labels: vec![(best.to_owned(), min)],
                labels: vec![best.to_owned()],
                key: "score".into(),
                ..cfg()
            })
            .unwrap()
        };
        let (v, doc) = process(&keep(p), text);
        assert_eq!(v, Verdict::Keep);
        assert_eq!(doc.metadata.len(), 1);
        assert_eq!(doc.metadata["score"], Value::from(p));
        let (v, _) = process(&keep(p + 1e-6), text);
        assert_eq!(v, Verdict::drop("keep_labels_not_met"));
        let remove = build(FastTextClassifierConfig {
            remove_labels: vec![(best.to_owned(), 0.0)],
            ..cfg()
        })
        .unwrap();
        assert_eq!(
            process(&remove, text).0,
            Verdict::drop("remove_label_matched")
        );
        // A blank document has no prediction and no text: dropped whenever a rule is set.
        assert_eq!(
            process(&remove, " \n ").0,
            Verdict::drop("remove_label_matched")
        );
        assert_eq!(process(&step, " \n ").0, Verdict::Keep);
        assert!(labels.len() > 1);
    }

    #[test]
    fn bad_configs_are_rejected() {
        assert!(build(FastTextClassifierConfig::default())
            .err()
            .unwrap()
            .contains("`model` is required"));
        assert!(build(FastTextClassifierConfig {
            model: "/nonexistent/q.bin".into(),
            ..Default::default()
        })
        .err()
        .unwrap()
        .contains("/nonexistent/q.bin"));
        assert!(build(FastTextClassifierConfig {
            labels: vec!["klingon".into()],
            ..cfg()
        })
        .err()
        .unwrap()
        .contains("does not have"));
        assert!(build(FastTextClassifierConfig {
            key: "score".into(),
            ..cfg()
        })
        .err()
        .unwrap()
        .contains("one key"));
        let both = FastTextClassifierConfig {
            keep_labels: vec![("en".into(), 0.5)],
            remove_labels: vec![("de".into(), 0.5)],
            ..cfg()
        };
        assert!(build(both).err().unwrap().contains("not both"));
        assert!(build(FastTextClassifierConfig {
            dclm_probability: true,
            ..cfg()
        })
        .err()
        .unwrap()
        .contains("two-label"));
    }
}
