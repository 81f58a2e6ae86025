//! The `c4_badwords` step against datatrove 0.10.1's own `C4BadWordsFilter` (the same LDNOOBW
//! lists): on the shared corpora when `../shared` is present, on the committed subset always,
//! and on texts crafted from every list word and lingua sentences in each list's language. The
//! golden comes from `tools/gen_c4_badwords_golden.py`.

use std::collections::BTreeMap;
use std::path::Path;

use tamis_core::{Document, Step, Verdict};
use tamis_filters::lookup;
use tamis_testkit::{
    assert_no_diffs, golden_text, jsonl_zst, shared_corpora, subset_texts, StepRunner,
};

#[test]
fn decisions_equal_datatrove() {
    let subset = subset_texts();
    let corpus = shared_corpora(&["pages", "articles"]);
    let entry = lookup("c4_badwords").unwrap();
    let steps: BTreeMap<&str, Box<dyn Step>> = [
        ("default", serde_json::json!({})),
        (
            "lenient",
            serde_json::json!({"fail_on_missing_language": false}),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k, (entry.build)(&v).unwrap()))
    .collect();
    let mut runner = StepRunner::default();
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/c4-badwords.jsonl.zst");
    let mut per_source: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut diffs = Vec::new();
    for g in jsonl_zst(&golden) {
        let source = g["source"].as_str().unwrap();
        let Some(text) = golden_text(&g, &subset, &corpus) else {
            continue;
        };
        let mut doc = Document::new("x", text);
        if let Some(lang) = g.get("language") {
            doc.metadata.insert("language".into(), lang.clone());
        }
        let verdict = runner.run(steps[g["config"].as_str().unwrap()].as_ref(), &mut doc);
        let tally = per_source.entry(source.to_owned()).or_default();
        tally.0 += 1;
        if (verdict == Verdict::Keep) != g["keep"].as_bool().unwrap() {
            tally.1 += 1;
            diffs.push(format!("{g}: tamis {verdict:?}"));
        }
    }
    eprintln!("(checked, differences) per source: {per_source:?}");
    assert_no_diffs(&diffs);
    assert!(per_source.contains_key("subset") && per_source.contains_key("crafted"));
}
