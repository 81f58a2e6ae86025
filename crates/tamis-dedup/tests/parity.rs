//! MinHash parity with datatrove 0.10.1. The golden files come from datatrove itself
//! (`tools/gen_minhash_golden.py`): its permutation parameters, per-document signatures and
//! the documents its four MinHash stages removed, with cluster sizes.

use std::path::Path;

use serde_json::Value;
use tamis_dedup::{simplify_text, MinHasher, MinhashConfig};
use xxhash_rust::xxh64::xxh64;

mod common;

use common::{golden, read_zst_lines, repo_root, shared_corpus};

fn texts(path: &Path) -> Vec<(String, String)> {
    read_zst_lines(path)
        .iter()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (
                v["id"].as_str().unwrap().to_owned(),
                v["text"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn digest(sig: &Option<Vec<u64>>) -> String {
    match sig {
        None => "-".into(),
        Some(s) => {
            let bytes: Vec<u8> = s.iter().flat_map(|v| v.to_le_bytes()).collect();
            format!("{:016x}", xxh64(&bytes, 0))
        }
    }
}

fn simplified_digest(hasher: &MinHasher, text: &str) -> String {
    format!(
        "{:016x}",
        xxh64(simplify_text(text, &hasher.config().norm).as_bytes(), 0)
    )
}

fn hasher() -> MinHasher {
    MinHasher::new(MinhashConfig::default()).unwrap()
}

#[test]
fn permutation_parameters_equal_numpys() {
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(golden("params-seed1.json")).unwrap())
            .unwrap();
    let want = |k: &str| -> Vec<u64> {
        v[k].as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_u64().unwrap())
            .collect()
    };
    let h = hasher();
    let (a, b) = h.parameters();
    assert_eq!(a, want("a").as_slice());
    assert_eq!(b, want("b").as_slice());
}

#[test]
fn committed_subset_signatures_equal_datatrove() {
    let h = hasher();
    let input = texts(&repo_root().join("tests/golden/subset-input.jsonl.zst"));
    let gold = read_zst_lines(&golden("subset-signatures.jsonl.zst"));
    assert_eq!(input.len(), gold.len());
    let mut full = 0;
    for ((id, text), g) in input.iter().zip(&gold) {
        let g: Value = serde_json::from_str(g).unwrap();
        assert_eq!(g["id"], id.as_str());
        assert_eq!(
            simplified_digest(&h, text),
            g["simplified"].as_str().unwrap(),
            "simplify_text differs on {id}"
        );
        let sig = h.signature(text);
        if let Some(want) = g.get("full_signature") {
            let want: Option<Vec<u64>> = serde_json::from_value(want.clone()).unwrap();
            assert_eq!(sig, want, "signature differs on {id}");
            full += 1;
        }
        assert_eq!(
            digest(&sig),
            g["signature"].as_str().unwrap(),
            "signature differs on {id}"
        );
    }
    assert_eq!(full, 10);
}

#[test]
fn shared_corpora_signatures_equal_datatrove() {
    let Some(shared) = shared_corpus() else {
        return;
    };
    let h = hasher();
    let mut docs = texts(&shared.join("pages.jsonl.zst"));
    docs.extend(texts(&shared.join("articles.jsonl.zst")));
    let gold = read_zst_lines(&golden("signatures.tsv.zst"));
    assert_eq!(docs.len(), gold.len());

    for ((id, text), g) in docs.iter().zip(&gold) {
        let f: Vec<&str> = g.split('\t').collect();
        assert_eq!(f[2], id);
        assert_eq!(
            simplified_digest(&h, text),
            f[3],
            "simplify_text differs on {id}"
        );
        let sig = h.signature(text);
        assert_eq!(
            digest(&sig),
            f[4],
            "signature differs on doc {} ({id})",
            f[0]
        );
    }

    // Banding and clustering of these signatures are checked end to end, through the
    // out-of-core job, in tests/job.rs (`shared_corpora_removed_set_equals_datatrove`).
}

/// 32-bit hashes (`HashConfig(precision=32)`): signatures, then the documents the four stages
/// remove and the cluster sizes they save, on the subset plus exact copies of 20 of its
/// documents.
#[test]
fn subset_with_32_bit_hashes_equals_datatrove() {
    let config = MinhashConfig {
        precision: 32,
        ..MinhashConfig::default()
    };
    let h = MinHasher::new(config.clone()).unwrap();
    let subset = texts(&repo_root().join("tests/golden/subset-input.jsonl.zst"));
    let docs: Vec<(String, String)> = subset
        .iter()
        .cloned()
        .chain(
            subset[..20]
                .iter()
                .map(|(id, t)| (format!("{id}/copy"), t.clone())),
        )
        .collect();
    let gold: Vec<Value> = read_zst_lines(&golden("subset-32.jsonl.zst"))
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(docs.len(), gold.len());
    for ((id, text), g) in docs.iter().zip(&gold) {
        assert_eq!(g["id"], id.as_str());
        let sig = h.signature(text);
        assert!(sig.iter().flatten().all(|&v| v <= u64::from(u32::MAX)));
        if let Some(want) = g.get("full_signature") {
            let want: Option<Vec<u64>> = serde_json::from_value(want.clone()).unwrap();
            assert_eq!(sig, want, "signature differs on {id}");
        }
        let packed = sig.map(|s| {
            let bytes: Vec<u8> = s.iter().flat_map(|&v| (v as u32).to_le_bytes()).collect();
            format!("{:016x}", xxh64(&bytes, 0))
        });
        assert_eq!(
            packed.as_deref().unwrap_or("-"),
            g["signature"].as_str().unwrap(),
            "signature differs on {id}"
        );
    }

    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in.jsonl");
    let body: String = docs
        .iter()
        .map(|(id, text)| serde_json::json!({"id": id, "text": text}).to_string() + "\n")
        .collect();
    std::fs::write(&input, body).unwrap();
    let method = tamis_dedup::Method::MinHash {
        hasher: h,
        survivor: tamis_dedup::Survivor::Datatrove,
    };
    let out = tmp.path().join("out");
    common::job_with(method, &[input], &out, 1 << 20)
        .run_all(1)
        .unwrap();
    let read = |sub: &str| -> Vec<Value> {
        let p = out.join(sub).join("00000.jsonl.zst");
        if !p.exists() {
            return Vec::new();
        }
        read_zst_lines(&p)
            .iter()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    // Ids repeat in the subset (pages of one source), so documents are matched by position:
    // the outputs keep input order.
    let ids = |docs: Vec<Value>| -> Vec<String> {
        docs.iter()
            .map(|d| d["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let gold_ids = |removed: bool| -> Vec<String> {
        gold.iter()
            .filter(|g| g["removed"] == removed)
            .map(|g| g["id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(ids(read("dropped")), gold_ids(true));
    assert!(gold_ids(true).len() >= 20, "the copies at least");
    let kept = read("kept");
    assert_eq!(ids(kept.clone()), gold_ids(false));
    let sizes = |docs: &[Value]| -> Vec<Value> {
        docs.iter()
            .map(|d| d["metadata"]["minhash_cluster_size"].clone())
            .collect()
    };
    let gold_kept: Vec<Value> = gold
        .iter()
        .filter(|g| g["removed"] == false)
        .map(|g| serde_json::json!({"metadata": {"minhash_cluster_size": g["minhash_cluster_size"]}}))
        .collect();
    assert_eq!(sizes(&kept), sizes(&gold_kept));
}
