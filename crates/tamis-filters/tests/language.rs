//! The `language` step against datatrove 0.10.1's own `LanguageFilter` (same model file), on
//! the committed subset of real pages and the seed page, for several parameter sets. The
//! golden comes from `tools/gen_language_golden.py`.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;
use tamis_core::{Document, Step, Verdict};
use tamis_filters::lookup;
use tamis_testkit::{jsonl_zst, root, subset_texts, StepRunner};

#[test]
fn decisions_and_metadata_equal_datatrove() {
    // In the golden's order (ids repeat: the subset holds pages and their extracted articles).
    let mut texts = subset_texts();
    texts.push(std::fs::read_to_string(root().join("sample/seed-page.txt")).unwrap());
    // Parameter sets as the golden script passes them to datatrove.
    let configs: BTreeMap<&str, Value> = [
        ("default", serde_json::json!({})),
        ("en", serde_json::json!({"languages": ["en"]})),
        ("en_de_fr_top", serde_json::json!({"languages": ["en", "de", "fr"], "language_threshold": 0.5, "keep_top_pairs_threshold": 0.001})),
        ("any_top", serde_json::json!({"keep_top_pairs_threshold": 0.01, "language_threshold": 0.9})),
    ]
    .into_iter()
    .collect();
    let entry = lookup("language").unwrap();
    let steps: BTreeMap<&str, Box<dyn Step>> = configs
        .iter()
        .map(|(k, v)| (*k, (entry.build)(v).unwrap()))
        .collect();
    let mut runner = StepRunner::default();
    let mut checked = 0;
    let golden =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/language-filter.jsonl.zst");
    for (i, g) in jsonl_zst(&golden).into_iter().enumerate() {
        let id = g["id"].as_str().unwrap();
        let mut doc = Document::new(id, texts[i % texts.len()].clone());
        let verdict = runner.run(steps[g["config"].as_str().unwrap()].as_ref(), &mut doc);
        assert_eq!(
            verdict == Verdict::Keep,
            g["keep"].as_bool().unwrap(),
            "{} {id}",
            g["config"]
        );
        let got = Value::Object(doc.metadata.clone());
        assert_eq!(got, g["metadata"], "{} {id}", g["config"]);
        checked += 1;
    }
    assert_eq!(checked, 4 * 301);
}

/// The `glotlid` backend against datatrove's (`LanguageFilter(backend="glotlid")`), with a small
/// model in GlotLID's label format; golden and model from `tools/gen_glotlid_golden.py`.
#[test]
fn glotlid_decisions_and_metadata_equal_datatrove() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/glotlid");
    let model = dir.join("glotlid-tiny.bin").to_string_lossy().into_owned();
    let configs: BTreeMap<&str, Value> = [
        ("default", serde_json::json!({})),
        ("deu", serde_json::json!({"languages": ["deu_Latn"]})),
        ("three_top", serde_json::json!({"languages": ["deu_Latn", "fra_Latn", "rus_Cyrl"], "language_threshold": 0.5, "keep_top_pairs_threshold": 0.001})),
        ("any_top", serde_json::json!({"keep_top_pairs_threshold": 0.01, "language_threshold": 0.9})),
    ]
    .into_iter()
    .collect();
    let entry = lookup("language").unwrap();
    let steps: BTreeMap<&str, Box<dyn Step>> = configs
        .iter()
        .map(|(k, v)| {
            let mut v = v.clone();
            v["backend"] = "glotlid".into();
            v["model"] = model.clone().into();
            (*k, (entry.build)(&v).unwrap())
        })
        .collect();
    let mut runner = StepRunner::default();
    let (mut checked, mut scripts) = (0, std::collections::BTreeSet::new());
    for g in jsonl_zst(&dir.join("filter.jsonl.zst")) {
        let id = g["id"].as_str().unwrap();
        let mut doc = Document::new(id, g["text"].as_str().unwrap());
        let verdict = runner.run(steps[g["config"].as_str().unwrap()].as_ref(), &mut doc);
        assert_eq!(
            verdict == Verdict::Keep,
            g["keep"].as_bool().unwrap(),
            "{} {id}",
            g["config"]
        );
        // Same keys in the same order (datatrove writes `language_script` first).
        let got = serde_json::to_string(&doc.metadata).unwrap();
        assert_eq!(got, g["metadata"].to_string(), "{} {id}", g["config"]);
        scripts.insert(doc.metadata["language_script"].as_str().unwrap().to_owned());
        checked += 1;
    }
    assert_eq!(checked, 4 * 84);
    assert_eq!(scripts.len(), 4, "{scripts:?}");
    // Without a model, the backend is refused: GlotLID is not bundled.
    let err = (entry.build)(&serde_json::json!({"backend": "glotlid"}))
        .err()
        .unwrap();
    assert!(err.to_string().contains("needs `model`"), "{err}");
}
