use serde::{Deserialize, Serialize};
use tamis_core::{ConfigError, Ctx, Document, Step, Verdict};

use crate::decl::{check_fraction, Filter};

/// Sampler: keeps a random `rate` of the documents, as datatrove's `SamplerFilter` does (for
/// subsets, ablations and quick looks at a corpus).
///
/// Each document is kept when a uniform draw in [0, 1) falls below `rate`. datatrove draws from
/// numpy's `default_rng(seed)` in the order its task sees documents, so which documents it keeps
/// depends on how the input was split into tasks; tamis draws from a hash of `seed`, the
/// document id and its text, so the same documents are kept whatever the thread count, shard
/// count or file order, and a rerun keeps the same ones. The share kept is `rate` on average,
/// as in datatrove; the documents chosen differ from datatrove's. The drop reason is `sampler`
/// (datatrove gives none).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct SamplerConfig {
    /// Share of the documents to keep, 0 to 1.
    pub rate: f64,
    /// Seed of the draws; omitted is 0.
    pub seed: Option<u64>,
}

impl Default for SamplerConfig {
    fn default() -> Self {
        Self {
            rate: 0.5,
            seed: None,
        }
    }
}

pub struct Sampler {
    cfg: SamplerConfig,
}

impl Filter for Sampler {
    type Config = SamplerConfig;
    const ID: &'static str = "sampler";
    const ORIGIN: &'static str =
        "datatrove 0.10.1 datatrove/pipeline/filters/sampler_filter.py (SamplerFilter)";
    const REASONS: &'static [&'static str] = &["sampler"];

    fn build(cfg: Self::Config) -> Result<Self, ConfigError> {
        check_fraction(Self::ID, "rate", cfg.rate)?;
        Ok(Self { cfg })
    }
}

impl Step for Sampler {
    fn id(&self) -> &'static str {
        Self::ID
    }

    fn process(&self, doc: &mut Document, _ctx: &mut Ctx<'_>) -> Verdict {
        // The id and the text, with a byte no UTF-8 text holds between them.
        let parts = [doc.id.as_bytes(), &[0xff], doc.text.as_bytes()];
        if crate::draw::uniform(self.cfg.seed.unwrap_or(0), &parts) < self.cfg.rate {
            Verdict::Keep
        } else {
            Verdict::drop(Self::REASONS[0])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tamis_testkit::StepRunner;

    fn kept(rate: f64, seed: u64, docs: &[Document]) -> Vec<bool> {
        let s = Sampler::build(SamplerConfig {
            rate,
            seed: Some(seed),
        })
        .unwrap();
        let mut runner = StepRunner::default();
        docs.iter()
            .map(|d| runner.run(&s, &mut d.clone()) == Verdict::Keep)
            .collect()
    }

    #[test]
    fn keeps_about_the_rate_the_same_ones_for_a_seed() {
        let docs: Vec<Document> = (0..10_000)
            .map(|i| Document::new("0", format!("text {i}")))
            .collect();
        let a = kept(0.3, 42, &docs);
        let share = a.iter().filter(|&&k| k).count() as f64 / docs.len() as f64;
        assert!((share - 0.3).abs() < 0.02, "{share}");
        assert_eq!(a, kept(0.3, 42, &docs), "same seed, same documents");
        assert_ne!(a, kept(0.3, 43, &docs), "another seed, other documents");
        // Order does not matter: each document's draw is its own.
        let reversed: Vec<Document> = docs.iter().rev().cloned().collect();
        let mut b = kept(0.3, 42, &reversed);
        b.reverse();
        assert_eq!(a, b);
        assert!(kept(1.0, 0, &docs).iter().all(|&k| k));
        assert!(kept(0.0, 0, &docs).iter().all(|&k| !k));
        assert!(Sampler::build(SamplerConfig {
            rate: 1.5,
            seed: None
        })
        .is_err());
    }
}
