//! The `token_count` step against OpenAI tiktoken's `gpt2` counts: every document of the
//! shared corpora when `../shared` is present, the committed subset always, and crafted texts.
//! The golden comes from `tools/gen_token_count_golden.py`.

use std::collections::BTreeMap;
use std::path::Path;

use tamis_core::Document;
use tamis_filters::FilterEntry;
use tamis_testkit::{
    assert_no_diffs, golden_text, jsonl_zst, shared_corpora, subset_texts, StepRunner,
};
use tamis_tokens::TokenCount;

#[test]
fn counts_equal_tiktoken_gpt2() {
    let subset = subset_texts();
    let corpus = shared_corpora(&["articles", "pages"]);
    // Built from its declaration, as the pipeline's registry builds it.
    let step = (FilterEntry::of::<TokenCount>().build)(&serde_json::json!({})).unwrap();
    let mut runner = StepRunner::default();
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/token-count.jsonl.zst");
    // (documents, tokens, differences)
    let mut per_source: BTreeMap<String, (usize, u64, usize)> = BTreeMap::new();
    let mut diffs = Vec::new();
    for g in jsonl_zst(&golden) {
        let source = g["source"].as_str().unwrap();
        let Some(text) = golden_text(&g, &subset, &corpus) else {
            continue;
        };
        let mut doc = Document::new("x", text.clone());
        runner.run(step.as_ref(), &mut doc);
        let want = g["count"].as_u64().unwrap();
        let got = doc.metadata["token_count"].as_u64().unwrap();
        let tally = per_source.entry(source.to_owned()).or_default();
        tally.0 += 1;
        tally.1 += want;
        if got != want {
            tally.2 += 1;
            diffs.push(format!(
                "{source} {:?}: tamis {got}, tiktoken {want}",
                &text[..text.len().min(80)]
            ));
        }
    }
    eprintln!("(documents, tokens, differences) per source: {per_source:?}");
    assert_no_diffs(&diffs);
    assert!(per_source.contains_key("subset") && per_source.contains_key("crafted"));
    let total: u64 = per_source.values().map(|t| t.1).sum();
    assert_eq!(runner.counters.get("tokens"), total);
}
