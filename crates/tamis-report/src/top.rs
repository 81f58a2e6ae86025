//! Bounded counts by key (domains): exact while there are few keys; past the cap the lightest
//! keys are folded into `other`, so the heaviest keep (lower-bound) counts and memory stays
//! bounded on any run. Documents are offered in input order, so the result is deterministic.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopCounts {
    pub counts: BTreeMap<String, u64>,
    /// Counts of keys folded away when the table was pruned.
    pub other: u64,
    /// Most keys held; past it the table is pruned to half.
    pub cap: usize,
}

impl TopCounts {
    pub fn new(cap: usize) -> Self {
        Self {
            counts: BTreeMap::new(),
            other: 0,
            cap: cap.max(2),
        }
    }

    pub fn add(&mut self, key: &str, n: u64) {
        match self.counts.get_mut(key) {
            Some(c) => *c += n,
            None => {
                self.counts.insert(key.to_owned(), n);
                if self.counts.len() > self.cap {
                    self.prune();
                }
            }
        }
    }

    pub fn merge(&mut self, other: &TopCounts) {
        for (k, &n) in &other.counts {
            *self.counts.entry(k.clone()).or_default() += n;
        }
        self.other += other.other;
        if self.counts.len() > self.cap {
            self.prune();
        }
    }

    /// Keeps the heaviest half (ties by key), folding the rest into `other`.
    fn prune(&mut self) {
        let keep: Vec<(String, u64)> = self.top(self.cap / 2);
        let kept: u64 = keep.iter().map(|(_, n)| n).sum();
        let total: u64 = self.counts.values().sum();
        self.other += total - kept;
        self.counts = keep.into_iter().collect();
    }

    /// The `n` heaviest keys, heaviest first, ties by key.
    pub fn top(&self, n: usize) -> Vec<(String, u64)> {
        let mut v: Vec<(&String, &u64)> = self.counts.iter().collect();
        v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        v.into_iter()
            .take(n)
            .map(|(k, &c)| (k.clone(), c))
            .collect()
    }

    pub fn total(&self) -> u64 {
        self.counts.values().sum::<u64>() + self.other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_under_the_cap_bounded_over_it() {
        let mut t = TopCounts::new(4);
        for k in ["a", "b", "a", "c", "a", "b"] {
            t.add(k, 1);
        }
        assert_eq!(t.top(2), vec![("a".into(), 3), ("b".into(), 2)]);
        for k in ["d", "e", "f"] {
            t.add(k, 1);
        }
        assert!(t.counts.len() <= 4);
        assert_eq!(t.total(), 9);
        assert_eq!(t.top(1), vec![("a".into(), 3)]);
    }
}
