//! `line_model`: a small learned model that takes the last decision on every non-blank line,
//! from the rules' verdicts and the line's own and surrounding features
//! (`model/features.rs`).
//!
//! The rules were chosen on the shared labelled pages, mostly news and essays; on other kinds
//! of pages they keep prose-like junk (teaser blurbs, comment furniture, advertisements) and
//! drop short content (headings, list items) whose context they read too simply. The model is
//! gradient-boosted regression trees on the logistic loss (Friedman 2001), trained by
//! `tools/train_line_model.py` on the labelled pages with every source weighted equally and
//! chosen by leave-one-source-out folds (`bench/clean_folds.py`); the built-in model is
//! `data/line_model.json`, trained on all five sources. Its output is the probability that a
//! line is junk; a line at or above the model's threshold is removed. A line the rules
//! removed keeps its rule's name when the model agrees; one only the model removes is logged
//! as `line_model`; one the model keeps is counted as overruled. Every removed line's score is
//! in the edit log.

pub(crate) mod features;

pub(crate) use features::rule_fires;

use serde::Deserialize;

use crate::rules::{Cut, Line};
use crate::LineCleanConfig;

pub use features::FEATURE_NAMES;

/// The rule id of lines only the model removes.
pub const ID: &str = "line_model";

/// The model trained on every source of the shared labelled pages.
const BUILT_IN: &str = include_str!("../../data/line_model.json");

/// A model file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("cannot read line model {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("line model {path} is not valid JSON of format `{FORMAT}`: {source}")]
    Parse {
        path: String,
        source: serde_json::Error,
    },
    #[error("line model {path} was trained on other features than this tamis computes ({detail}); retrain it with tools/train_line_model.py")]
    Features { path: String, detail: String },
    #[error("line model {path}: tree {tree} is malformed ({detail})")]
    Tree {
        path: String,
        tree: usize,
        detail: String,
    },
}

/// Lines scored at once: their features (CHUNK x 61 x 8 bytes) stay in cache while every tree
/// walks them.
const CHUNK: usize = 64;

/// The format name a model file declares.
pub const FORMAT: &str = "tamis-line-model/1";

/// One regression tree as the model file holds it, parallel arrays: node j tests
/// `x[feature[j]] <= threshold[j]` and goes to `left[j]` or `right[j]`; a leaf has
/// `feature[j] = -1` and adds `value[j]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TreeFile {
    feature: Vec<i32>,
    threshold: Vec<f64>,
    left: Vec<u32>,
    right: Vec<u32>,
    value: Vec<f64>,
}

/// One node in 16 bytes, so the trees of a model sit in a few dozen kilobytes of cache: the
/// threshold (or a leaf's value), the feature (-1 for a leaf) and the left child, the right
/// child being the next node (the trainer appends children in pairs).
#[derive(Debug, Clone, Copy)]
struct Node {
    threshold_or_value: f64,
    feature: i32,
    left: u32,
}

impl TreeFile {
    fn pack(&self, n_features: usize) -> Result<Vec<Node>, String> {
        let n = self.feature.len();
        if n == 0 {
            return Err("no nodes".into());
        }
        if [
            self.threshold.len(),
            self.left.len(),
            self.right.len(),
            self.value.len(),
        ]
        .iter()
        .any(|&l| l != n)
        {
            return Err("arrays of different lengths".into());
        }
        (0..n)
            .map(|j| {
                let f = self.feature[j];
                if f == -1 {
                    return Ok(Node {
                        threshold_or_value: self.value[j],
                        feature: -1,
                        left: 0,
                    });
                }
                if f < 0 || f as usize >= n_features {
                    return Err(format!("node {j} tests feature {f}"));
                }
                let (l, r) = (self.left[j] as usize, self.right[j] as usize);
                // Children after their parent (evaluation always ends at a leaf), side by side.
                if l <= j || r != l + 1 || r >= n {
                    return Err(format!("node {j} has children {l} and {r}"));
                }
                Ok(Node {
                    threshold_or_value: self.threshold[j],
                    feature: f,
                    left: l as u32,
                })
            })
            .collect()
    }
}

/// Log-odds to a probability, as the trainer computes it.
fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

fn eval(tree: &[Node], x: &[f64]) -> f64 {
    let mut node = tree[0];
    while node.feature >= 0 {
        let go_right = x[node.feature as usize] > node.threshold_or_value;
        node = tree[node.left as usize + usize::from(go_right)];
    }
    node.threshold_or_value
}

/// A model file, as `tools/train_line_model.py` writes it (other keys, such as the training
/// parameters, are ignored).
#[derive(Debug, Deserialize)]
struct ModelFile {
    format: String,
    features: Vec<String>,
    base: f64,
    threshold: f64,
    trees: Vec<TreeFile>,
}

/// A trained line model.
#[derive(Debug)]
pub struct LineModel {
    /// The log-odds every line starts from.
    base: f64,
    /// A line whose junk probability is at least this is removed.
    threshold: f64,
    trees: Vec<Vec<Node>>,
}

impl LineModel {
    /// The built-in model.
    pub fn built_in() -> std::sync::Arc<LineModel> {
        static M: std::sync::OnceLock<std::sync::Arc<LineModel>> = std::sync::OnceLock::new();
        std::sync::Arc::clone(M.get_or_init(|| {
            std::sync::Arc::new(
                Self::parse(BUILT_IN, "built-in line model")
                    .expect("the built-in line model is valid"),
            )
        }))
    }

    /// A model file written by `tools/train_line_model.py`.
    pub fn from_path(path: &str) -> Result<LineModel, ModelError> {
        let text = std::fs::read_to_string(path).map_err(|source| ModelError::Read {
            path: path.into(),
            source,
        })?;
        Self::parse(&text, path)
    }

    fn parse(text: &str, path: &str) -> Result<LineModel, ModelError> {
        let m: ModelFile = serde_json::from_str(text).map_err(|source| ModelError::Parse {
            path: path.into(),
            source,
        })?;
        let features_err = |detail: String| ModelError::Features {
            path: path.into(),
            detail,
        };
        if m.format != FORMAT {
            return Err(features_err(format!("format `{}`", m.format)));
        }
        if m.features.len() != features::FEATURE_NAMES.len() {
            return Err(features_err(format!(
                "{} features, this tamis has {}",
                m.features.len(),
                features::FEATURE_NAMES.len()
            )));
        }
        if let Some((i, (a, b))) = m
            .features
            .iter()
            .zip(features::FEATURE_NAMES)
            .enumerate()
            .find(|(_, (a, b))| a != *b)
        {
            return Err(features_err(format!(
                "feature {i} is `{a}`, expected `{b}`"
            )));
        }
        let trees = m
            .trees
            .iter()
            .enumerate()
            .map(|(tree, t)| {
                t.pack(m.features.len()).map_err(|detail| ModelError::Tree {
                    path: path.into(),
                    tree,
                    detail,
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(LineModel {
            base: m.base,
            threshold: m.threshold,
            trees,
        })
    }

    /// The junk probability of a line with features `x`.
    pub fn score(&self, x: &[f64]) -> f64 {
        sigmoid(self.log_odds(x))
    }

    /// The log-odds of junk, summed in the trainer's order so that they are the trainer's to
    /// the last bit.
    fn log_odds(&self, x: &[f64]) -> f64 {
        self.trees.iter().fold(self.base, |z, t| z + eval(t, x))
    }

    /// [`Self::score`] of every row of `x` (rows of `n_feat` values). Tree by tree over all
    /// the rows, so the walks of different lines overlap in the processor instead of waiting
    /// on one another's loads.
    fn score_rows(&self, x: &[f64], n_feat: usize) -> Vec<f64> {
        let mut z = vec![self.base; x.len() / n_feat];
        for t in &self.trees {
            for (z, row) in z.iter_mut().zip(x.chunks_exact(n_feat)) {
                *z += eval(t, row);
            }
        }
        z.into_iter().map(sigmoid).collect()
    }

    /// The probability from which a line is removed.
    pub fn threshold(&self) -> f64 {
        self.threshold
    }

    /// Takes the last decision on every non-blank line from the rules' `out` and `cuts`: a line
    /// scoring at least the threshold is removed (by its rule's name if a rule removed it, as
    /// [`ID`] if not), any other is kept (a line a rule cut to part of its text keeps the cut).
    /// Gives each non-blank line's score and the rule of each line the model kept against a
    /// rule.
    ///
    /// The rules' decisions stand in a document of fewer than `min_lines` non-blank lines (the
    /// features describe a page's layout, which a few lines do not have), and where the model
    /// would remove every line the rules keep (it was trained on whole pages, none of which is
    /// all junk in its labels but for the rules' own removals).
    pub(crate) fn decide(
        &self,
        lines: &[Line<'_>],
        out: &mut [Option<&'static str>],
        cuts: &[Option<Cut>],
        fires: &[u16],
        cfg: &LineCleanConfig,
    ) -> (Vec<Option<f64>>, Vec<Option<&'static str>>) {
        let mut score = vec![None; lines.len()];
        let mut overruled = vec![None; lines.len()];
        let nonblank = lines.iter().filter(|l| !l.is_blank()).count();
        if nonblank < cfg.line_model_min_lines {
            return (score, overruled);
        }
        let cut: Vec<bool> = cuts.iter().map(Option::is_some).collect();
        let view = features::RuleView {
            out,
            cut: &cut,
            fires,
        };
        let n_feat = features::FEATURE_NAMES.len();
        let mut decided = out.to_vec();
        // Lines are scored a chunk at a time: a page of a million lines needs no matrix of all
        // their features.
        let mut rows: Vec<f64> = Vec::with_capacity(CHUNK * n_feat);
        let mut index: Vec<usize> = Vec::with_capacity(CHUNK);
        let mut flush = |rows: &mut Vec<f64>, index: &mut Vec<usize>| {
            for (&i, p) in index.iter().zip(self.score_rows(rows, n_feat)) {
                score[i] = Some(p);
                if p >= self.threshold {
                    if decided[i].is_none() && cuts[i].is_none() {
                        decided[i] = Some(ID);
                    }
                } else {
                    overruled[i] = decided[i].take();
                }
            }
            rows.clear();
            index.clear();
        };
        features::for_each_row(lines, &view, cfg, |i, row| {
            rows.extend_from_slice(row);
            index.push(i);
            if index.len() == CHUNK {
                flush(&mut rows, &mut index);
            }
        });
        flush(&mut rows, &mut index);
        let keeps = |d: &[Option<&'static str>]| {
            lines
                .iter()
                .zip(d)
                .any(|(l, d)| !l.is_blank() && d.is_none())
        };
        if keeps(out) && !keeps(&decided) {
            return (score, vec![None; lines.len()]);
        }
        out.copy_from_slice(&decided);
        (score, overruled)
    }
}

/// The features the line model reads, for every non-blank line of `text`: (line index, values
/// in [`features::FEATURE_NAMES`] order). What `tools/train_line_model.py` trains on.
pub fn line_features(text: &str, cfg: &LineCleanConfig) -> Vec<(usize, Vec<f64>)> {
    let lines = crate::split_lines(text);
    let fires = features::rule_fires(&lines, cfg);
    let (out, cuts) = crate::rules::rule_decisions(text, &lines, cfg, Some(&fires));
    let cut: Vec<bool> = cuts.iter().map(Option::is_some).collect();
    let view = features::RuleView {
        out: &out,
        cut: &cut,
        fires: &fires,
    };
    let mut rows = Vec::new();
    features::for_each_row(&lines, &view, cfg, |i, row| rows.push((i, row.to_vec())));
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_model_loads_and_a_foreign_one_is_refused() {
        let m = LineModel::built_in();
        assert!(!m.trees.is_empty());
        assert!((0.0..1.0).contains(&m.threshold));
        let mut bad: serde_json::Value = serde_json::from_str(BUILT_IN).unwrap();
        bad["features"][0] = "something_else".into();
        let err = LineModel::parse(&bad.to_string(), "m.json").unwrap_err();
        assert!(
            err.to_string().contains("feature 0 is `something_else`"),
            "{err}"
        );
        let mut bad: serde_json::Value = serde_json::from_str(BUILT_IN).unwrap();
        bad["trees"][0]["left"][0] = 0.into();
        let err = LineModel::parse(&bad.to_string(), "m.json").unwrap_err();
        assert!(err.to_string().contains("tree 0 is malformed"), "{err}");
    }

    #[test]
    fn log_odds_equal_the_trainers_to_the_last_bit() {
        // tools/train_line_model.py stores lines of its training data with the log-odds it
        // computed for them.
        let m = LineModel::built_in();
        let file: serde_json::Value = serde_json::from_str(BUILT_IN).unwrap();
        let checks = file["checks"].as_array().unwrap();
        assert!(checks.len() >= 20);
        let n_feat = features::FEATURE_NAMES.len();
        let mut all = Vec::new();
        for c in checks {
            let x: Vec<f64> = serde_json::from_value(c["x"].clone()).unwrap();
            assert_eq!(x.len(), n_feat);
            assert_eq!(m.log_odds(&x), c["log_odds"].as_f64().unwrap(), "{x:?}");
            all.extend(x);
        }
        // Scoring many lines at once gives each line's own score.
        let batch = m.score_rows(&all, n_feat);
        for (p, x) in batch.iter().zip(all.chunks_exact(n_feat)) {
            assert_eq!(*p, m.score(x));
        }
    }
}
