//! The `pii` step against datatrove 0.10.1's own `PIIFormatter`: the formatted text of every
//! corpus page when `../shared` is present, of the committed subset always, and of crafted and
//! random texts, for several parameter sets; and the edit log replays to the formatted text.
//! The golden comes from `tools/gen_pii_golden.py`.

use std::collections::BTreeMap;
use std::path::Path;

use sha2::{Digest, Sha256};
use tamis_clean::{apply_edits, EDITS_KEY};
use tamis_core::{Document, Step, Verdict};
use tamis_filters::FilterEntry;
use tamis_testkit::{
    assert_no_diffs, golden_text, jsonl_zst, shared_corpora, subset_texts, StepRunner,
};

fn digest(text: &str) -> String {
    Sha256::digest(text.as_bytes())[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn formatted_texts_equal_datatrove() {
    let subset = subset_texts();
    let corpus = shared_corpora(&["pages", "articles"]);
    // Built from its declaration as the pipeline's registry builds it (parameters as JSON).
    let entry = FilterEntry::of::<tamis_clean::Pii>();
    let steps: BTreeMap<&str, Box<dyn Step>> = [
        ("default", serde_json::json!({})),
        ("all_ips", serde_json::json!({"only_remove_public_ips": false})),
        (
            "ips_only",
            serde_json::json!({"remove_emails": false, "ip_replacement": ["<ip>", "<ip2>", "<ip3>"]}),
        ),
        (
            "emails_only",
            // One string, as the golden's generator passes it to datatrove.
            serde_json::json!({"remove_ips": false, "email_replacement": "<email>"}),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k, (entry.build)(&v).unwrap()))
    .collect();
    let mut runner = StepRunner::default();
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/pii.jsonl.zst");
    // (checked, changed, differences)
    let mut per_source: BTreeMap<String, (usize, usize, usize)> = BTreeMap::new();
    let mut diffs = Vec::new();
    for g in jsonl_zst(&golden) {
        let source = g["source"].as_str().unwrap();
        let Some(text) = golden_text(&g, &subset, &corpus) else {
            continue;
        };
        let mut doc = Document::new("x", text.clone());
        let verdict = runner.run(steps[g["config"].as_str().unwrap()].as_ref(), &mut doc);
        assert_eq!(verdict, Verdict::Keep);
        let same = match g.get("formatted") {
            Some(f) => doc.text == f.as_str().unwrap(),
            None => digest(&doc.text) == g["sha256_16"].as_str().unwrap(),
        };
        let tally = per_source.entry(source.to_owned()).or_default();
        tally.0 += 1;
        tally.1 += usize::from(doc.text != text);
        if !same {
            tally.2 += 1;
            diffs.push(format!(
                "{} {:?} -> {:?}",
                g["config"],
                &text[..text.len().min(200)],
                &doc.text[..doc.text.len().min(200)]
            ));
        }
        // The log replays the original to the formatted text.
        match doc.metadata.get(EDITS_KEY) {
            Some(log) => assert_eq!(apply_edits(&text, log).unwrap(), doc.text),
            None => assert_eq!(doc.text, text),
        }
    }
    eprintln!("(checked, changed, differences) per source: {per_source:?}");
    assert_no_diffs(&diffs);
    assert!(per_source.contains_key("subset") && per_source.contains_key("crafted"));
}
