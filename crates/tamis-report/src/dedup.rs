//! What a dedup step did: how many clusters of each size it found, and a few clusters with the
//! first lines of their members, chosen by a hash of the cluster id (so the same clusters
//! whatever the thread count).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::sample::{head, sample_key, Sample};

/// Clusters shown per dedup step, and members shown per cluster.
pub const CLUSTERS: usize = 5;
pub const MEMBERS: usize = 4;
const MEMBER_TEXT: usize = 400;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterExample {
    pub key: u64,
    pub cluster_id: u64,
    pub size: u64,
    /// The member kept (the cluster's survivor), when it is among those seen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub survivor: Option<String>,
    /// Up to [`MEMBERS`] members, smallest member key first.
    pub members: Vec<Sample>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DedupSummary {
    pub step: String,
    pub docs: u64,
    pub dropped: u64,
    /// Cluster size -> number of clusters (size 1: documents with no duplicate).
    pub clusters_by_size: BTreeMap<u64, u64>,
    /// Up to [`CLUSTERS`] clusters of two or more documents, smallest key first.
    pub examples: Vec<ClusterExample>,
}

impl DedupSummary {
    pub fn new(step: &str) -> Self {
        Self {
            step: step.to_owned(),
            ..Self::default()
        }
    }

    /// One document of the dedup step's input: `cluster` is `(size, id)` when it has
    /// duplicates; `kept` whether it survived.
    pub fn observe(
        &mut self,
        id: &str,
        id_hash: u64,
        url: Option<&str>,
        text: &str,
        cluster: Option<(u64, u64)>,
        kept: bool,
    ) {
        self.docs += 1;
        self.dropped += u64::from(!kept);
        let Some((size, cluster_id)) = cluster else {
            *self.clusters_by_size.entry(1).or_default() += 1;
            return;
        };
        if kept {
            // Each cluster has one survivor: count the cluster there.
            *self.clusters_by_size.entry(size).or_default() += 1;
        }
        let key = sample_key(cluster_id, "cluster");
        let at = match self.examples.binary_search_by_key(&key, |c| c.key) {
            Ok(at) => at,
            Err(at) if at < CLUSTERS => {
                self.examples.insert(
                    at,
                    ClusterExample {
                        key,
                        cluster_id,
                        size,
                        survivor: None,
                        members: Vec::new(),
                    },
                );
                self.examples.truncate(CLUSTERS);
                at
            }
            Err(_) => return,
        };
        let ex = &mut self.examples[at];
        if kept {
            ex.survivor = Some(id.to_owned());
        }
        let mkey = sample_key(id_hash, "member");
        let (text, clipped_end) = head(text, MEMBER_TEXT);
        let s = Sample {
            key: mkey,
            id: id.to_owned(),
            url: url.map(str::to_owned),
            text,
            offset: 0,
            clipped_start: false,
            clipped_end,
            marks: Vec::new(),
        };
        let pos = ex
            .members
            .binary_search_by(|m| (m.key, &m.id).cmp(&(s.key, &s.id)))
            .unwrap_or_else(|e| e);
        if pos < MEMBERS {
            ex.members.insert(pos, s);
            ex.members.truncate(MEMBERS);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_clusters_once_and_bounds_examples() {
        let mut d = DedupSummary::new("minhash");
        d.observe("a", 1, None, "text a", None, true);
        for c in 0..20u64 {
            for m in 0..6u64 {
                let id = format!("c{c}m{m}");
                d.observe(&id, m * 31 + c, None, "dup text", Some((6, c)), m == 0);
            }
        }
        assert_eq!(d.docs, 121);
        assert_eq!(d.dropped, 100);
        assert_eq!(d.clusters_by_size[&1], 1);
        assert_eq!(d.clusters_by_size[&6], 20);
        assert_eq!(d.examples.len(), CLUSTERS);
        assert!(d.examples.iter().all(|e| e.members.len() == MEMBERS));
        assert!(d.examples.windows(2).all(|w| w[0].key < w[1].key));
    }
}
