//! Selection by rank: keep the top of a corpus by a score, or bucket it by weighted
//! percentiles of one or more scores, as model-based recipes select documents.
//!
//! - DCLM-Baseline (Li et al. 2024, DataComp-LM, section 4.4) keeps about the top 10% of
//!   documents by a fastText classifier's score.
//! - Nemotron-CC (Su et al. 2024, section 2.2) scores every document with three classifiers,
//!   maps each score to 20 buckets by token-weighted percentiles over the whole corpus, and
//!   gives each document the highest of its buckets.
//!
//! Both need the whole corpus's score distribution before any decision, so selection runs as
//! a [`crate::DedupJob`] with [`crate::Method::Rank`]: the signature stage writes one sorted
//! run of `(score, weight, document)` per score field (the field takes a band's place), the
//! bucket stage merges a field's runs once in ascending score order and derives its thresholds
//! from the cumulative weight, and the filter stage compares each document's scores with them.
//! Thresholds are score values, not positions, so equal scores always land in the same bucket
//! and the outcome depends on neither the input order nor the shard count.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tamis_core::Document;

/// What to select, and how documents are weighted.
#[derive(Debug, Clone, PartialEq)]
pub struct RankSpec {
    /// Metadata keys of the scores (numbers, higher is better). With several, a document's
    /// bucket is the highest of its per-score buckets (Nemotron-CC's ensemble).
    pub fields: Vec<String>,
    /// Metadata key of each document's weight (a non-negative integer such as
    /// `token_count`); `None` weighs every document 1.
    pub weight_field: Option<String>,
    pub cut: RankCut,
    /// Metadata key the bucket is written to (bucket mode).
    pub key: String,
}

/// How the cumulative weight is cut.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RankCut {
    /// Keep the best documents until they hold `fraction` of the weight: a document is kept
    /// when the documents scoring at most as much as it weigh more than `1 - fraction` of the
    /// total (so one straddling the cut stays, and equal scores share one fate).
    Top { fraction: f64 },
    /// Number each document's bucket `0..count` (`count - 1` best) by weighted percentiles:
    /// the number of `k` in `1..count` for which the documents scoring at most as much as it
    /// weigh more than `k / count` of the total. Drop documents below `min_bucket`.
    Buckets { count: u32, min_bucket: u32 },
}

impl RankSpec {
    /// Checks the parameters; the error names the offending one.
    pub fn validate(&self) -> Result<(), String> {
        if self.fields.is_empty() {
            return Err("`fields` is empty: name the metadata key of at least one score".into());
        }
        if self.fields.iter().any(String::is_empty) {
            return Err("`fields` holds an empty key".into());
        }
        match self.cut {
            RankCut::Top { fraction } if !(fraction > 0.0 && fraction <= 1.0) => Err(format!(
                "`top` must be a fraction in (0, 1], got {fraction}"
            )),
            RankCut::Buckets { count, .. } if !(2..=10_000).contains(&count) => Err(format!(
                "`buckets` must be between 2 and 10000, got {count}"
            )),
            RankCut::Buckets { count, min_bucket } if min_bucket >= count => Err(format!(
                "`min_bucket` {min_bucket} would drop every document: buckets are 0..{}",
                count - 1
            )),
            _ => Ok(()),
        }
    }

    /// Per field, `[ordered score, weight]`; `None` when a score or the weight is missing or
    /// not a number (such documents are dropped as `missing_score`).
    pub(crate) fn keys(&self, doc: &Document) -> Option<Vec<u64>> {
        let weight = match &self.weight_field {
            None => 1,
            Some(f) => weight_of(doc.metadata.get(f)?)?,
        };
        let mut out = Vec::with_capacity(self.fields.len() * 2);
        for f in &self.fields {
            let score = doc.metadata.get(f)?.as_f64().filter(|v| !v.is_nan())?;
            out.push(ascending_key(score));
            out.push(weight);
        }
        Some(out)
    }

    /// The quantiles of the cumulative weight at which thresholds are taken.
    fn quantiles(&self) -> Vec<Quantile> {
        match self.cut {
            RankCut::Top { fraction } => vec![Quantile::Fraction(1.0 - fraction)],
            RankCut::Buckets { count, .. } => (1..count)
                .map(|k| Quantile::Ratio(u128::from(k), u128::from(count)))
                .collect(),
        }
    }

    /// The lowest bucket that is kept.
    pub(crate) fn min_kept(&self) -> u32 {
        match self.cut {
            RankCut::Top { .. } => 1,
            RankCut::Buckets { min_bucket, .. } => min_bucket,
        }
    }
}

/// A weight: a non-negative integer, or a non-negative float rounded to one.
fn weight_of(v: &Value) -> Option<u64> {
    v.as_u64().or_else(|| {
        v.as_f64()
            .filter(|w| w.is_finite() && *w >= 0.0 && *w < 1.8e19)
            .map(|w| w.round() as u64)
    })
}

#[derive(Debug, Clone, Copy)]
enum Quantile {
    /// `k / n` of the weight, compared exactly in integers.
    Ratio(u128, u128),
    /// A fraction of the weight (top-fraction mode), compared in f64.
    Fraction(f64),
}

impl Quantile {
    /// Whether a cumulative weight `c` lies at or below this quantile of the total `w`.
    fn covers(self, c: u128, w: u128) -> bool {
        match self {
            Quantile::Ratio(k, n) => c * n <= k * w,
            Quantile::Fraction(q) => (c as f64) <= q * (w as f64),
        }
    }
}

/// Maps an f64 to a u64 with the same order (-0.0 just below 0.0), so scores sort as integers.
pub fn ascending_key(v: f64) -> u64 {
    let bits = v.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | (1 << 63)
    }
}

/// The inverse of [`ascending_key`].
pub fn score_of_key(k: u64) -> f64 {
    f64::from_bits(if k >> 63 == 1 { k & !(1 << 63) } else { !k })
}

/// Walks one field's `(score key, weight)` records in ascending order and yields its
/// thresholds. With `L(s)` the weight of all documents scoring at most `s`, threshold `j` is
/// the highest score with `L(s)` at most quantile `j` of the total, or `None` (below every
/// score) when there is none; a document is above threshold `j` when its score is strictly
/// greater, that is when `L` of its score exceeds the quantile. Equal scores form one group,
/// so the thresholds do not depend on how ties are ordered.
pub(crate) struct Thresholds {
    quantiles: Vec<Quantile>,
    total: u128,
    cumulative: u128,
    /// Thresholds settled so far (the quantiles the cumulative weight has passed).
    settled: Vec<Option<u64>>,
    /// The score of the last complete group, a candidate for every unsettled quantile.
    last: Option<u64>,
    /// The score of the group being summed.
    pending: Option<u64>,
}

impl Thresholds {
    pub(crate) fn new(spec: &RankSpec, total_weight: u64) -> Self {
        Self {
            quantiles: spec.quantiles(),
            total: u128::from(total_weight),
            cumulative: 0,
            settled: Vec::new(),
            last: None,
            pending: None,
        }
    }

    /// The next record in ascending score order.
    pub(crate) fn push(&mut self, score_key: u64, weight: u64) {
        if let Some(p) = self.pending.filter(|&p| p != score_key) {
            self.close(p);
        }
        self.cumulative += u128::from(weight);
        self.pending = Some(score_key);
    }

    /// The group of score `p` is complete: the cumulative weight is `L(p)`.
    fn close(&mut self, p: u64) {
        while let Some(&q) = self.quantiles.get(self.settled.len()) {
            if q.covers(self.cumulative, self.total) {
                break;
            }
            self.settled.push(self.last);
        }
        self.last = Some(p);
    }

    pub(crate) fn finish(mut self) -> Vec<Option<u64>> {
        if let Some(p) = self.pending.take() {
            self.close(p);
        }
        while self.settled.len() < self.quantiles.len() {
            self.settled.push(self.last);
        }
        self.settled
    }
}

/// A document's bucket for one field: how many thresholds its score is above.
pub(crate) fn bucket(score_key: u64, thresholds: &[Option<u64>]) -> u32 {
    thresholds
        .iter()
        .filter(|t| t.is_none_or(|t| score_key > t))
        .count() as u32
}

/// The thresholds of every field, as the clusters stage records them for people to read.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ThresholdReport {
    pub fields: Vec<String>,
    /// Per field, the score thresholds (ascending; `null` below every score).
    pub thresholds: Vec<Vec<Option<f64>>>,
    pub total_weight: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(cut: RankCut) -> RankSpec {
        RankSpec {
            fields: vec!["s".into()],
            weight_field: None,
            cut,
            key: "bucket".into(),
        }
    }

    fn thresholds(spec: &RankSpec, recs: &[(f64, u64)]) -> Vec<Option<u64>> {
        let mut sorted: Vec<(u64, u64)> =
            recs.iter().map(|&(s, w)| (ascending_key(s), w)).collect();
        sorted.sort();
        let mut t = Thresholds::new(spec, sorted.iter().map(|r| r.1).sum());
        for (s, w) in sorted {
            t.push(s, w);
        }
        t.finish()
    }

    #[test]
    fn key_order_is_float_order() {
        let vals = [
            f64::NEG_INFINITY,
            -2.5,
            -0.0,
            0.0,
            1e-300,
            0.5,
            2.0,
            f64::INFINITY,
        ];
        for w in vals.windows(2) {
            assert!(ascending_key(w[0]) < ascending_key(w[1]), "{w:?}");
        }
        for v in vals {
            assert_eq!(score_of_key(ascending_key(v)).to_bits(), v.to_bits());
        }
    }

    #[test]
    fn equal_weights_fill_equal_buckets() {
        let s = spec(RankCut::Buckets {
            count: 4,
            min_bucket: 0,
        });
        let recs: Vec<(f64, u64)> = (0..8).map(|i| (f64::from(i) / 10.0, 1)).collect();
        let t = thresholds(&s, &recs);
        let buckets: Vec<u32> = recs
            .iter()
            .map(|&(v, _)| bucket(ascending_key(v), &t))
            .collect();
        assert_eq!(buckets, [0, 0, 1, 1, 2, 2, 3, 3]);
    }

    #[test]
    fn weights_move_the_cuts_and_ties_share_a_bucket() {
        let s = spec(RankCut::Buckets {
            count: 2,
            min_bucket: 0,
        });
        // One heavy document holds most of the weight: it alone is the upper half.
        let recs = [(0.1, 1), (0.2, 1), (0.3, 1), (0.9, 10)];
        let t = thresholds(&s, &recs);
        let b: Vec<u32> = recs
            .iter()
            .map(|&(v, _)| bucket(ascending_key(v), &t))
            .collect();
        assert_eq!(b, [0, 0, 0, 1]);
        // Equal scores straddling a cut go to the same bucket.
        let recs = [(0.1, 1), (0.5, 1), (0.5, 1), (0.7, 1)];
        let t = thresholds(&s, &recs);
        let b: Vec<u32> = recs
            .iter()
            .map(|&(v, _)| bucket(ascending_key(v), &t))
            .collect();
        assert_eq!(b, [0, 1, 1, 1]);
    }

    #[test]
    fn top_fraction_keeps_the_best() {
        let recs: Vec<(f64, u64)> = (1..=10).map(|i| (f64::from(i), 1)).collect();
        let kept = |fraction: f64| {
            let s = spec(RankCut::Top { fraction });
            let t = thresholds(&s, &recs);
            recs.iter()
                .filter(|&&(v, _)| bucket(ascending_key(v), &t) >= s.min_kept())
                .count()
        };
        assert_eq!(kept(0.1), 1);
        // The document straddling the cut holds some of the top weight: it stays.
        assert_eq!(kept(0.25), 3);
        assert_eq!(kept(0.3), 3);
        assert_eq!(kept(1.0), 10);
    }

    #[test]
    fn missing_scores_and_weights_have_no_keys() {
        let mut s = spec(RankCut::Top { fraction: 0.5 });
        s.weight_field = Some("tokens".into());
        let mut doc = Document::new("a", "x");
        assert_eq!(s.keys(&doc), None);
        doc.metadata.insert("s".into(), 0.25.into());
        assert_eq!(s.keys(&doc), None);
        doc.metadata.insert("tokens".into(), 7.into());
        assert_eq!(s.keys(&doc), Some(vec![ascending_key(0.25), 7]));
        doc.metadata.insert("s".into(), "high".into());
        assert_eq!(s.keys(&doc), None);
    }

    #[test]
    fn bad_specs_are_refused() {
        let bad = |cut| spec(cut).validate().unwrap_err();
        assert!(bad(RankCut::Top { fraction: 0.0 }).contains("top"));
        assert!(bad(RankCut::Top { fraction: 1.5 }).contains("top"));
        assert!(bad(RankCut::Buckets {
            count: 1,
            min_bucket: 0
        })
        .contains("buckets"));
        assert!(bad(RankCut::Buckets {
            count: 5,
            min_bucket: 5
        })
        .contains("min_bucket"));
        let mut s = spec(RankCut::Top { fraction: 0.1 });
        s.fields.clear();
        assert!(s.validate().unwrap_err().contains("fields"));
    }
}
