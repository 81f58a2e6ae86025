//! The `c4_paragraph` and `regex_filter` steps against datatrove 0.10.1's own
//! `C4ParagraphFilter` and `RegexFilter` (`tools/gen_paragraph_regex_golden.py`): every corpus
//! page with `../shared`, the committed subset and crafted texts always, for the default
//! paragraph filter and seven patterns.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;
use tamis_core::{Document, Step, Verdict};
use tamis_filters::lookup;
use tamis_testkit::{
    assert_no_diffs, golden_text, jsonl_zst, shared_corpora, subset_texts, StepRunner,
};

#[test]
fn decisions_and_reasons_equal_datatrove() {
    // The patterns of the golden's generator, as it passes them to datatrove.
    let patterns = [
        ("regex_lorem", r"(?i)lorem ipsum"),
        ("regex_date", r"\d{4}-\d{2}-\d{2}"),
        ("regex_cookie", r"(?i)\bcookies?\b"),
        ("regex_url", r"https?://[^\s]+\.(?:php|aspx?)\b"),
        ("regex_arabic", r"[\u0600-\u06FF]{12,}"),
        ("regex_lines", r"(?m)^Copyright\b"),
        ("regex_words", r"\b\w{25,}\b"),
    ];
    let mut steps: BTreeMap<&str, Box<dyn Step>> = patterns
        .iter()
        .map(|(k, p)| {
            let params = serde_json::json!({ "regex_exp": p });
            (
                *k,
                (lookup("regex_filter").unwrap().build)(&params).unwrap(),
            )
        })
        .collect();
    steps.insert(
        "c4_paragraph",
        (lookup("c4_paragraph").unwrap().build)(&serde_json::json!({})).unwrap(),
    );
    let subset = subset_texts();
    let corpus = shared_corpora(&["pages", "articles"]);
    let mut runner = StepRunner::default();
    let golden =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/paragraph-regex.jsonl.zst");
    let mut checked: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut diffs = Vec::new();
    for g in jsonl_zst(&golden) {
        let Some(text) = golden_text(&g, &subset, &corpus) else {
            continue;
        };
        let config = g["config"].as_str().unwrap();
        let mut doc = Document::new("x", text);
        let got = runner.run(steps[config].as_ref(), &mut doc);
        let want = match g["reason"].as_str() {
            None => Verdict::Keep,
            Some(r) => Verdict::drop(r.to_owned()),
        };
        let tally = checked.entry(config.to_owned()).or_default();
        tally.0 += 1;
        tally.1 += usize::from(want != Verdict::Keep);
        if got != want {
            diffs.push(format!(
                "{config} {} {:?}: {got:?} != {want:?}",
                g["source"],
                g.get("id")
            ));
        }
    }
    eprintln!("(checked, dropped) per config: {checked:?}");
    assert_eq!(checked.len(), 8);
    assert!(
        checked.values().all(|&(n, d)| n >= 700 && d > 0),
        "{checked:?}"
    );
    assert_no_diffs(&diffs);
}

#[test]
fn a_pattern_is_required_and_checked() {
    let build = |v: Value| {
        (lookup("regex_filter").unwrap().build)(&v)
            .err()
            .map(|e| e.to_string())
    };
    assert!(build(serde_json::json!({})).unwrap().contains("required"));
    assert!(build(serde_json::json!({"regex_exp": "(a"}))
        .unwrap()
        .contains("(a"));
    assert!(
        build(serde_json::json!({"regex_exp": "(?=a)"})).is_some(),
        "no look-around"
    );
    assert!(build(serde_json::json!({"regex_exp": "a+"})).is_none());
}
