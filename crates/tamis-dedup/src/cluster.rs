//! From signatures to clusters: LSH banding finds candidate pairs, union-find joins them into
//! connected components, one document per component survives.
//!
//! Banding follows datatrove 0.10.1 (`src/datatrove/pipeline/dedup/minhash.py`,
//! `MinhashDedupSignature.run` sorts each band's `(hashes, doc)` records, `MinhashDedupBuckets`
//! pairs each record with the previous one when their hashes are equal). Clustering follows
//! `MinhashDedupCluster`: union by size, the first document of a pair staying root on equal
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

/// Candidate pairs `(earlier, later)` in datatrove's order: band by band, and within a band by
/// (band hashes, document index). `signatures[d]` is document `d`'s signature, if it has one.
pub fn duplicate_pairs(
    signatures: &[Option<Vec<u64>>],
    num_buckets: usize,
    hashes_per_bucket: usize,
) -> Vec<(u32, u32)> {
    let mut pairs = Vec::new();
    let mut band: Vec<(&[u64], u32)> = Vec::new();
    for b in 0..num_buckets {
        let range = b * hashes_per_bucket..(b + 1) * hashes_per_bucket;
        band.clear();
        band.extend(
            signatures
                .iter()
                .enumerate()
                .filter_map(|(d, s)| Some((&s.as_ref()?[range.clone()], d as u32))),
        );
        band.sort_unstable();
        for w in band.windows(2) {
            if w[0].0 == w[1].0 {
                pairs.push((w[0].1, w[1].1));
            }
        }
    }
    pairs
}

/// The outcome for every document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clusters {
    /// Per document: the survivor of its cluster (itself when it is kept or alone).
    pub root: Vec<u32>,
    /// Per document: the size of its cluster (1 when alone).
    pub size: Vec<u32>,
}

impl Clusters {
    pub fn is_removed(&self, doc: usize) -> bool {
        self.root[doc] as usize != doc
    }
}

/// Joins `pairs` over `n_docs` documents.
pub fn cluster(n_docs: usize, pairs: &[(u32, u32)], survivor: Survivor) -> Clusters {
    let mut parent: Vec<u32> = (0..n_docs as u32).collect();
    let mut size = vec![1u32; n_docs];
    for &(a, b) in pairs {
        let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
        if ra == rb {
            continue;
        }
        let (keep, join) = match survivor {
            Survivor::First => (ra.min(rb), ra.max(rb)),
            // datatrove: the smaller set joins the larger; on a tie the first of the pair's
            // root stays.
            Survivor::Datatrove if size[ra as usize] < size[rb as usize] => (rb, ra),
            Survivor::Datatrove => (ra, rb),
        };
        parent[join as usize] = keep;
        size[keep as usize] += size[join as usize];
    }
    let root: Vec<u32> = (0..n_docs as u32).map(|d| find(&mut parent, d)).collect();
    let size = root.iter().map(|&r| size[r as usize]).collect();
    Clusters { root, size }
}

/// Root of `x`, halving the path on the way (roots never change, only shortcuts).
fn find(parent: &mut [u32], mut x: u32) -> u32 {
    while parent[x as usize] != x {
        let grand = parent[parent[x as usize] as usize];
        parent[x as usize] = grand;
        x = grand;
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_bands_pair_neighbours_in_sorted_order() {
        let sigs = vec![
            Some(vec![5, 1, 9, 9]),
            None,
            Some(vec![5, 1, 7, 7]),
            Some(vec![5, 1, 9, 9]),
        ];
        // Band 0: docs 0, 2, 3 share [5, 1]: pairs (0, 2), (2, 3). Band 1: [7, 7] < [9, 9]:
        // docs 0 and 3 pair.
        assert_eq!(duplicate_pairs(&sigs, 2, 2), vec![(0, 2), (2, 3), (0, 3)]);
    }

    #[test]
    fn survivors_first_versus_datatrove_union_by_size() {
        // {3, 4} grows first; then 1 joins it. datatrove keeps the bigger set's root (3); the
        // default keeps the earliest document (1).
        let pairs = [(3, 4), (1, 3)];
        let first = cluster(5, &pairs, Survivor::First);
        assert_eq!(first.root, vec![0, 1, 2, 1, 1]);
        let dt = cluster(5, &pairs, Survivor::Datatrove);
        assert_eq!(dt.root, vec![0, 3, 2, 3, 3]);
        assert_eq!(dt.size, vec![1, 3, 1, 3, 3]);
        assert!(dt.is_removed(1) && !dt.is_removed(3));
    }
}
