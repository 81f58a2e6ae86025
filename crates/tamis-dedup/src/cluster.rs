//! From candidate pairs to clusters: union-find joins the pairs the buckets stage found
//! (`crate::job`) into connected components; one document per component survives.
//!
//! Clustering follows datatrove 0.10.1 (`src/datatrove/pipeline/dedup/minhash.py`,
//! `MinhashDedupCluster`): union by size, the first document of a pair staying root on equal
//! sizes, pairs taken band after band in sorted order. With [`Survivor::Datatrove`] the removed
//! set is exactly datatrove's; [`Survivor::First`] keeps the earliest document of each
//! component instead, which does not depend on the order pairs are found in.

use serde::{Deserialize, Serialize};

/// Which document of a cluster is kept.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Survivor {
    /// The first in input order.
    #[default]
    First,
    /// The root datatrove's union-by-size clustering leaves, for one-to-one comparison.
    Datatrove,
}

use std::collections::HashMap;

/// Which root a union keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RootRule {
    /// The earlier document ([`Survivor::First`]).
    Earliest,
    /// datatrove's union by size, the pair's first on ties ([`Survivor::Datatrove`]).
    BySize,
    /// The pair's first document: exact dedup writes (survivor, copy) pairs.
    PairFirst,
}

/// Union-find keyed by [`DocRef::key`], holding only documents that appear in a pair.
#[derive(Default)]
pub(crate) struct KeyedUnion {
    pub(crate) index: HashMap<u64, u32>,
    keys: Vec<u64>,
    parent: Vec<u32>,
    size: Vec<u64>,
}

impl KeyedUnion {
    fn node(&mut self, key: u64) -> u32 {
        let next = self.keys.len() as u32;
        let n = *self.index.entry(key).or_insert(next);
        if n == next {
            self.keys.push(key);
            self.parent.push(n);
            self.size.push(1);
        }
        n
    }

    fn find(&mut self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            let grand = self.parent[self.parent[x as usize] as usize];
            self.parent[x as usize] = grand;
            x = grand;
        }
        x
    }

    /// Same rules as [`crate::cluster`], plus [`RootRule::PairFirst`].
    pub(crate) fn union(&mut self, a: u64, b: u64, rule: RootRule) {
        let (na, nb) = (self.node(a), self.node(b));
        let (ra, rb) = (self.find(na), self.find(nb));
        if ra == rb {
            return;
        }
        let (keep, join) = match rule {
            RootRule::Earliest if self.keys[ra as usize] < self.keys[rb as usize] => (ra, rb),
            RootRule::Earliest => (rb, ra),
            RootRule::BySize if self.size[ra as usize] < self.size[rb as usize] => (rb, ra),
            RootRule::BySize | RootRule::PairFirst => (ra, rb),
        };
        self.parent[join as usize] = keep;
        self.size[keep as usize] += self.size[join as usize];
    }

    pub(crate) fn root_key(&mut self, key: u64) -> u64 {
        let n = self.index[&key];
        let r = self.find(n);
        self.keys[r as usize]
    }

    pub(crate) fn size_of(&mut self, key: u64) -> u64 {
        let n = self.index[&key];
        let r = self.find(n);
        self.size[r as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roots(pairs: &[(u64, u64)], rule: RootRule) -> Vec<(u64, u64, u64)> {
        let mut uf = KeyedUnion::default();
        for &(a, b) in pairs {
            uf.union(a, b, rule);
        }
        let mut keys: Vec<u64> = uf.index.keys().copied().collect();
        keys.sort_unstable();
        keys.into_iter()
            .map(|k| (k, uf.root_key(k), uf.size_of(k)))
            .collect()
    }

    #[test]
    fn survivors_first_versus_datatrove_union_by_size() {
        // {3, 4} grows first; then 1 joins it. datatrove keeps the bigger set's root (3); the
        // default keeps the earliest document (1).
        let pairs = [(3, 4), (1, 3)];
        assert_eq!(
            roots(&pairs, RootRule::Earliest),
            [(1, 1, 3), (3, 1, 3), (4, 1, 3)]
        );
        assert_eq!(
            roots(&pairs, RootRule::BySize),
            [(1, 3, 3), (3, 3, 3), (4, 3, 3)]
        );
        // Exact dedup's stars keep their centre, even when it is not the earliest.
        assert_eq!(
            roots(&[(7, 2), (7, 5)], RootRule::PairFirst),
            [(2, 7, 3), (5, 7, 3), (7, 7, 3)]
        );
    }
}
