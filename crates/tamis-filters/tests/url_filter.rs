//! The `url_filter` step against datatrove 0.10.1's own `URLFilter` on the corpus URLs (pages,
//! articles and the committed subset) and on URLs crafted from the lists, for several parameter
//! sets. The golden holds the URLs themselves, so no `../shared` is needed; it comes from
//! `tools/gen_url_golden.py`.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;
use tamis_core::{Document, Step, Verdict};
use tamis_filters::lookup;
use tamis_testkit::{assert_no_diffs, jsonl_zst, StepRunner};

#[test]
fn decisions_and_reasons_equal_datatrove() {
    // Parameter sets as the golden script passes them to datatrove.
    let configs: BTreeMap<&str, Value> = [
        ("default", serde_json::json!({})),
        ("threshold_1", serde_json::json!({"soft_word_threshold": 1})),
        (
            "extras_only",
            serde_json::json!({
                "use_integrated_lists": false,
                "extra_domains": ["example.com", "news.bbc.co.uk", "#comment.org"],
                "extra_urls": ["http://example.org/page"],
                "banned_words": ["Rust", "python 3", "#skip"],
                "banned_subwords": ["ruSTa", "wiki"],
                "soft_banned_words": ["blog", "news", "world"],
            }),
        ),
        (
            "extras_and_lists",
            serde_json::json!({"extra_domains": ["example.com"], "banned_words": ["wiki"], "soft_word_threshold": 3}),
        ),
    ]
    .into_iter()
    .collect();
    let entry = lookup("url_filter").unwrap();
    let steps: BTreeMap<&str, Box<dyn Step>> = configs
        .iter()
        .map(|(k, v)| (*k, (entry.build)(v).unwrap()))
        .collect();
    let mut runner = StepRunner::default();
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/url-filter.jsonl.zst");
    let mut per_source: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut diffs = Vec::new();
    for g in jsonl_zst(&golden) {
        let url = g["url"].as_str().unwrap();
        let config = g["config"].as_str().unwrap();
        let mut doc = Document::new("x", "");
        doc.metadata.insert("url".into(), url.into());
        let verdict = runner.run(steps[config].as_ref(), &mut doc);
        let want = match g["reason"].as_str() {
            None => Verdict::Keep,
            Some(r) => Verdict::drop(r.to_owned()),
        };
        let tally = per_source
            .entry(g["source"].as_str().unwrap().to_owned())
            .or_default();
        tally.0 += 1;
        if verdict != want {
            tally.1 += 1;
            diffs.push(format!(
                "{config} {url:?}: tamis {verdict:?}, datatrove {want:?}"
            ));
        }
    }
    eprintln!("(checked, differences) per source: {per_source:?}");
    assert_no_diffs(&diffs);
    assert!(per_source.len() >= 2, "golden lacks corpus or crafted URLs");
}
