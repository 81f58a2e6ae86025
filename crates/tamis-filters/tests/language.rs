//! The `language` step against datatrove 0.10.1's own `LanguageFilter` (same model file), for
//! several parameter sets: the `ft176` backend on the committed subset of real pages and the
//! seed page (golden from `tools/gen_language_golden.py`), and the `glotlid` backend with a
//! small model in GlotLID's label format (model and golden from
//! `tools/gen_glotlid_golden.py`).

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;
use tamis_core::{Document, Step, Verdict};
use tamis_filters::lookup;
use tamis_testkit::{jsonl_zst, root, subset_texts, StepRunner};

/// Runs the `language` step built from each of `configs` (datatrove's keyword arguments, plus
/// `extra`) on the golden's documents, `text(index, row)` giving each one's text, and asserts
/// datatrove's decision and metadata (keys in the same order) on every row. Returns the
/// documents' metadata, for further checks.
fn check_golden(
    golden: &Path,
    configs: &[(&str, Value)],
    extra: &Value,
    text: impl Fn(usize, &Value) -> String,
) -> Vec<Value> {
    let entry = lookup("language").unwrap();
    let steps: BTreeMap<&str, Box<dyn Step>> = configs
        .iter()
        .map(|(name, cfg)| {
            let mut cfg = cfg.clone();
            for (k, v) in extra.as_object().unwrap() {
                cfg[k] = v.clone();
            }
            (*name, (entry.build)(&cfg).unwrap())
        })
        .collect();
    let mut runner = StepRunner::default();
    let mut seen = Vec::new();
    for (i, g) in jsonl_zst(golden).into_iter().enumerate() {
        let (config, id) = (g["config"].as_str().unwrap(), g["id"].as_str().unwrap());
        let mut doc = Document::new(id, text(i, &g));
        let verdict = runner.run(steps[config].as_ref(), &mut doc);
        assert_eq!(
            verdict == Verdict::Keep,
            g["keep"].as_bool().unwrap(),
            "{config} {id}"
        );
        let got = serde_json::to_string(&doc.metadata).unwrap();
        assert_eq!(got, g["metadata"].to_string(), "{config} {id}");
        seen.push(Value::Object(doc.metadata));
    }
    seen
}

#[test]
fn decisions_and_metadata_equal_datatrove() {
    // In the golden's order (ids repeat: the subset holds pages and their extracted articles).
    let mut texts = subset_texts();
    texts.push(std::fs::read_to_string(root().join("sample/seed-page.txt")).unwrap());
    let configs = [
        ("default", serde_json::json!({})),
        ("en", serde_json::json!({"languages": ["en"]})),
        (
            "en_de_fr_top",
            serde_json::json!({"languages": ["en", "de", "fr"], "language_threshold": 0.5, "keep_top_pairs_threshold": 0.001}),
        ),
        (
            "any_top",
            serde_json::json!({"keep_top_pairs_threshold": 0.01, "language_threshold": 0.9}),
        ),
    ];
    let golden =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/language-filter.jsonl.zst");
    let seen = check_golden(&golden, &configs, &serde_json::json!({}), |i, _| {
        texts[i % texts.len()].clone()
    });
    assert_eq!(seen.len(), 4 * 301);
}

#[test]
fn glotlid_decisions_and_metadata_equal_datatrove() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/glotlid");
    let model = dir.join("glotlid-tiny.bin").to_string_lossy().into_owned();
    let configs = [
        ("default", serde_json::json!({})),
        ("deu", serde_json::json!({"languages": ["deu_Latn"]})),
        (
            "three_top",
            serde_json::json!({"languages": ["deu_Latn", "fra_Latn", "rus_Cyrl"], "language_threshold": 0.5, "keep_top_pairs_threshold": 0.001}),
        ),
        (
            "any_top",
            serde_json::json!({"keep_top_pairs_threshold": 0.01, "language_threshold": 0.9}),
        ),
    ];
    let extra = serde_json::json!({"backend": "glotlid", "model": model});
    let seen = check_golden(&dir.join("filter.jsonl.zst"), &configs, &extra, |_, g| {
        g["text"].as_str().unwrap().to_owned()
    });
    assert_eq!(seen.len(), 4 * 84);
    // datatrove writes the script first; every one of the model's four scripts shows up.
    let scripts: std::collections::BTreeSet<&str> = seen
        .iter()
        .map(|m| m["language_script"].as_str().unwrap())
        .collect();
    assert_eq!(scripts.len(), 4, "{scripts:?}");
    // Without a model, the backend is refused: GlotLID is not bundled.
    let entry = lookup("language").unwrap();
    let err = (entry.build)(&serde_json::json!({"backend": "glotlid"}))
        .err()
        .unwrap();
    assert!(err.to_string().contains("needs `model`"), "{err}");
}
