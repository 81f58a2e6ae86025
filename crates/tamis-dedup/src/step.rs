//! Dedup as `[[step]]` tables in a pipeline file: parameters, validated before anything runs.
//! A pipeline runner splits the pipeline at these steps and runs each as a [`DedupJob`]
//! (`crate::DedupJob`) over what the steps before it kept.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{ExactKey, Method, MinHasher, MinhashConfig, RankCut, RankSpec, Survivor, TextNorm};

/// The pipeline-file step ids of the corpus-wide jobs: the dedup methods and selection by rank.
pub const DEDUP_STEP_IDS: [&str; 4] = ["minhash_dedup", "exact_dedup", "line_dedup", "rank_select"];

/// `minhash_dedup`: near-duplicate documents, FineWeb's parameters by default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct MinhashDedupConfig {
    pub n_grams: usize,
    pub num_buckets: usize,
    pub hashes_per_bucket: usize,
    pub seed: u32,
    /// Word tokenizer language ("en", "por_Latn", ... as datatrove takes it), or "metadata":
    /// each document's own `metadata.language` (and `language_script`), compared only with
    /// documents of the same language (FineWeb-2's MinHash per language).
    pub language: String,
    /// Bits per hash, 64 or 32 (datatrove's `HashConfig(precision=...)`).
    pub precision: u32,
    /// `first` (earliest in input order) or `datatrove` (datatrove 0.10.1's choice).
    pub survivor: Survivor,
    /// Sort-buffer budget of the signature stage, in MiB.
    pub memory_mb: usize,
}

impl Default for MinhashDedupConfig {
    fn default() -> Self {
        let m = MinhashConfig::default();
        Self {
            n_grams: m.n_grams,
            num_buckets: m.num_buckets,
            hashes_per_bucket: m.hashes_per_bucket,
            seed: m.seed,
            language: m.language,
            precision: m.precision,
            survivor: Survivor::First,
            memory_mb: 1024,
        }
    }
}

/// `exact_dedup`: identical texts or metadata fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ExactDedupConfig {
    /// Metadata field to compare instead of the text (e.g. `url`).
    pub field: Option<String>,
    /// Compare after `simplify_text`.
    pub normalize: bool,
    /// Numeric metadata field: the highest value survives.
    pub priority: Option<String>,
    pub memory_mb: usize,
}

impl Default for ExactDedupConfig {
    fn default() -> Self {
        Self {
            field: None,
            normalize: false,
            priority: None,
            memory_mb: 1024,
        }
    }
}

/// `line_dedup`: lines repeated across documents (CCNet).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct LineDedupConfig {
    /// Documents a normalised line must appear in to be removed (at least 2).
    pub min_docs: u64,
    pub memory_mb: usize,
}

impl Default for LineDedupConfig {
    fn default() -> Self {
        Self {
            min_docs: 2,
            memory_mb: 1024,
        }
    }
}

/// `rank_select`: keep the top of the corpus by a score, or bucket it by weighted percentiles
/// (see `tamis_dedup::rank`). Give `top` or `buckets`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct RankSelectConfig {
    /// Metadata keys of the scores (higher is better); with several, a document's bucket is
    /// the highest of its per-score buckets.
    pub fields: Vec<String>,
    /// Keep the best documents holding this fraction of the weight (e.g. 0.1).
    pub top: Option<f64>,
    /// Instead: number of weighted-percentile buckets, written to `key`.
    pub buckets: Option<u32>,
    /// With `buckets`: drop documents below this bucket.
    pub min_bucket: u32,
    /// Metadata key of each document's weight (e.g. `token_count`); omit to count documents.
    pub weight_field: Option<String>,
    /// Metadata key the bucket is written to.
    pub key: String,
    pub memory_mb: usize,
}

impl Default for RankSelectConfig {
    fn default() -> Self {
        Self {
            fields: Vec::new(),
            top: None,
            buckets: None,
            min_bucket: 0,
            weight_field: None,
            key: "rank_bucket".into(),
            memory_mb: 1024,
        }
    }
}

impl RankSelectConfig {
    /// The validated selection.
    pub fn spec(self) -> Result<RankSpec, String> {
        let cut = match (self.top, self.buckets) {
            (Some(fraction), None) => {
                if self.min_bucket != 0 {
                    return Err("`min_bucket` goes with `buckets`, not `top`".into());
                }
                RankCut::Top { fraction }
            }
            (None, Some(count)) => RankCut::Buckets {
                count,
                min_bucket: self.min_bucket,
            },
            _ => {
                return Err("give exactly one of `top` (a fraction) and `buckets` (a count)".into())
            }
        };
        let spec = RankSpec {
            fields: self.fields,
            weight_field: self.weight_field,
            cut,
            key: self.key,
        };
        spec.validate()?;
        Ok(spec)
    }
}

/// Parses and validates a dedup step's parameters: the method and its memory budget in bytes.
pub fn dedup_step(kind: &str, params: &Value) -> Result<(Method, usize), String> {
    fn parse<T: for<'de> Deserialize<'de>>(v: &Value) -> Result<T, String> {
        serde_path_to_error::deserialize(v.clone()).map_err(|e| {
            let path = e.path().to_string();
            if path == "." {
                e.into_inner().to_string()
            } else {
                format!("parameter `{path}`: {}", e.into_inner())
            }
        })
    }
    let mb = |m: usize| {
        if m == 0 {
            Err("`memory_mb` must be at least 1".to_owned())
        } else {
            Ok(m << 20)
        }
    };
    match kind {
        "minhash_dedup" => {
            let c: MinhashDedupConfig = parse(params)?;
            let config = MinhashConfig {
                n_grams: c.n_grams,
                num_buckets: c.num_buckets,
                hashes_per_bucket: c.hashes_per_bucket,
                seed: c.seed,
                norm: TextNorm::default(),
                language: c.language,
                precision: c.precision,
            };
            let hasher = MinHasher::new(config).map_err(|e| e.to_string())?;
            Ok((
                Method::MinHash {
                    hasher,
                    survivor: c.survivor,
                },
                mb(c.memory_mb)?,
            ))
        }
        "exact_dedup" => {
            let c: ExactDedupConfig = parse(params)?;
            let key = ExactKey {
                field: c.field,
                normalize: c.normalize,
                priority: c.priority,
            };
            Ok((Method::Exact(key), mb(c.memory_mb)?))
        }
        "line_dedup" => {
            let c: LineDedupConfig = parse(params)?;
            if c.min_docs < 2 {
                return Err("`min_docs` must be at least 2".into());
            }
            Ok((
                Method::Lines {
                    min_docs: c.min_docs,
                },
                mb(c.memory_mb)?,
            ))
        }
        "rank_select" => {
            let c: RankSelectConfig = parse(params)?;
            let mem = mb(c.memory_mb)?;
            Ok((Method::Rank(c.spec()?), mem))
        }
        other => Err(format!("`{other}` is not a dedup step")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_validated() {
        let ok = dedup_step(
            "minhash_dedup",
            &serde_json::json!({"survivor": "datatrove"}),
        );
        assert!(matches!(
            ok,
            Ok((
                Method::MinHash {
                    survivor: Survivor::Datatrove,
                    ..
                },
                _
            ))
        ));
        let err = dedup_step("minhash_dedup", &serde_json::json!({"n_gram": 3}))
            .err()
            .unwrap();
        assert!(err.contains("n_gram"), "{err}");
        let err = dedup_step("line_dedup", &serde_json::json!({"min_docs": 1}))
            .err()
            .unwrap();
        assert!(err.contains("min_docs"), "{err}");
        let err = dedup_step("exact_dedup", &serde_json::json!({"memory_mb": 0}))
            .err()
            .unwrap();
        assert!(err.contains("memory_mb"), "{err}");
        let ok = dedup_step(
            "rank_select",
            &serde_json::json!({"fields": ["dclm"], "top": 0.1}),
        );
        assert!(matches!(ok, Ok((Method::Rank(_), _))));
        for (params, word) in [
            (serde_json::json!({"fields": ["a"]}), "exactly one"),
            (
                serde_json::json!({"fields": ["a"], "top": 0.1, "buckets": 4}),
                "exactly one",
            ),
            (serde_json::json!({"fields": [], "buckets": 4}), "fields"),
            (serde_json::json!({"fields": ["a"], "top": 2.0}), "top"),
            (
                serde_json::json!({"fields": ["a"], "top": 0.5, "min_bucket": 1}),
                "min_bucket",
            ),
        ] {
            let err = dedup_step("rank_select", &params).err().unwrap();
            assert!(err.contains(word), "{params}: {err}");
        }
    }
}
