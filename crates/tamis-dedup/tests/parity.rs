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
