//! MinHash signatures with FineWeb-2's per-language word tokenizers against datatrove 0.10.1's
//! `MinhashDedupSignature(language=lang_script)` (FineWeb-2's MinhashConfig: 14 bands of 8
//! 64-bit xxhash values, 5-grams), on the multilingual documents of
//! `crates/tamis-filters/tests/golden/fineweb2/docs.jsonl.zst` (`tools/gen_fineweb2_golden.py`).

mod common;

use common::{jsonl_zst, repo_root};
use sha2::{Digest, Sha256};
use tamis_core::Document;
use tamis_dedup::{MinHasher, MinhashConfig};

fn sha16_u64(values: &[u64]) -> String {
    let mut h = Sha256::new();
    for v in values {
        h.update(v.to_le_bytes());
    }
    h.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn golden() -> Vec<serde_json::Value> {
    jsonl_zst(&repo_root().join("crates/tamis-filters/tests/golden/fineweb2/docs.jsonl.zst"))
}

#[test]
fn per_language_signatures_equal_datatrove() {
    let mut hashers = std::collections::BTreeMap::new();
    let mut bad = Vec::new();
    let rows = golden();
    for g in &rows {
        let id = g["id"].as_str().unwrap();
        let lang = id.split('/').next().unwrap().to_string();
        let hasher = hashers.entry(lang.clone()).or_insert_with(|| {
            MinHasher::new(MinhashConfig {
                language: lang.clone(),
                ..MinhashConfig::default()
            })
            .unwrap()
        });
        let got = hasher
            .signature(g["text"].as_str().unwrap())
            .map_or("-".to_string(), |s| sha16_u64(&s));
        if got != g["minhash"].as_str().unwrap() {
            bad.push(id.to_string());
        }
    }
    assert!(rows.len() > 1000);
    assert!(bad.is_empty(), "{} of {}: {bad:?}", bad.len(), rows.len());
}

#[test]
fn per_document_languages_key_bands_by_language() {
    let per_doc = MinHasher::new(MinhashConfig {
        language: "metadata".into(),
        ..MinhashConfig::default()
    })
    .unwrap();
    assert_eq!(per_doc.band_width(), 9);
    let rows = golden();
    let g = rows
        .iter()
        .find(|g| g["id"] == "por_Latn/article")
        .expect("a Portuguese article");
    let mut doc = Document::new("d", g["text"].as_str().unwrap());
    assert!(
        per_doc.band_keys(&doc).is_none(),
        "no language, no signature"
    );
    doc.metadata = g["metadata"].as_object().unwrap().clone();
    let keys = per_doc.band_keys(&doc).unwrap();
    // Each band is the language's hash, then the signature datatrove computes for por_Latn.
    let fixed = MinHasher::new(MinhashConfig {
        language: "por_Latn".into(),
        ..MinhashConfig::default()
    })
    .unwrap();
    let sig = fixed.signature(&doc.text).unwrap();
    assert_eq!(keys.len(), 14 * 9);
    let lang = keys[0];
    for (band, chunk) in keys.chunks(9).enumerate() {
        assert_eq!(chunk[0], lang);
        assert_eq!(&chunk[1..], &sig[band * 8..(band + 1) * 8]);
    }
    assert_eq!(sha16_u64(&sig), g["minhash"].as_str().unwrap());
    // The same text labelled with another language falls in other buckets.
    doc.metadata["language"] = "spa".into();
    let other = per_doc.band_keys(&doc).unwrap();
    assert_ne!(other[0], lang);
    // A language whose tokenizer tamis does not run has no signature.
    doc.metadata["language"] = "kor".into();
    doc.metadata["language_script"] = "Hang".into();
    assert!(per_doc.band_keys(&doc).is_none());
}
