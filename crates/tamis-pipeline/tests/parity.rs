//! Parity with datatrove 0.10.1: every decision, reason and kept text of the `fineweb` preset,
//! and of `c4_quality` alone with its defaults (terminal-punctuation rule on), must equal the
//! golden files that `tools/gen_fineweb_golden.py` wrote with datatrove itself.

use std::io::BufRead;
use std::path::{Path, PathBuf};

use serde_json::Value;
use sha2::{Digest, Sha256};
use tamis_core::{DocCache, Document};
use tamis_pipeline::{preset, Outcome, PipelineSpec};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read_jsonl_zst(path: &Path) -> Vec<Value> {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let reader = std::io::BufReader::new(zstd::Decoder::new(file).expect("zstd"));
    reader
        .lines()
        .map(|l| serde_json::from_str(&l.expect("utf-8 line")).expect("json line"))
        .collect()
}

/// Runs the preset over `inputs` and returns one description per mismatch with `golden`.
fn compare(inputs: &[Value], golden: &[Value]) -> Vec<String> {
    assert_eq!(
        inputs.len(),
        golden.len(),
        "input and golden differ in length"
    );
    let pipeline = preset("fineweb").unwrap().build().unwrap();
    let ids = pipeline.step_ids();
    let mut tally = pipeline.new_tally();
    let mut cache = DocCache::default();
    let mut mismatches = Vec::new();
    for (input, gold) in inputs.iter().zip(golden) {
        let mut doc: Document = serde_json::from_value(input.clone()).expect("document");
        assert_eq!(doc.id, gold["id"].as_str().unwrap(), "golden out of order");
        let outcome = pipeline.process(&mut doc, &mut tally, &mut cache);
        let ours = match &outcome {
            Outcome::Kept => ("keep".to_owned(), String::new()),
            Outcome::Dropped { step, reason } => (ids[*step].to_owned(), reason.clone()),
        };
        let theirs = if gold["keep"].as_bool().unwrap() {
            ("keep".to_owned(), String::new())
        } else {
            (
                gold["step"].as_str().unwrap().to_owned(),
                gold["reason"].as_str().unwrap().to_owned(),
            )
        };
        if ours != theirs {
            mismatches.push(format!("{}: tamis {ours:?}, datatrove {theirs:?}", doc.id));
        } else if outcome == Outcome::Kept && doc.text != gold["text"].as_str().unwrap() {
            mismatches.push(format!("{}: kept text differs", doc.id));
        }
    }
    mismatches
}

fn assert_parity(inputs: &[Value], golden: &[Value], what: &str) {
    let mismatches = compare(inputs, golden);
    assert!(
        mismatches.is_empty(),
        "{what}: {} of {} documents differ from datatrove:\n{}",
        mismatches.len(),
        inputs.len(),
        mismatches
            .iter()
            .take(30)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    eprintln!(
        "{what}: {} documents, all decisions equal datatrove's",
        inputs.len()
    );
}

#[test]
fn committed_subset_matches_datatrove() {
    let dir = root().join("tests/golden");
    let inputs = read_jsonl_zst(&dir.join("subset-input.jsonl.zst"));
    let golden = read_jsonl_zst(&dir.join("subset-fineweb.jsonl.zst"));
    assert!(inputs.len() >= 200, "subset too small: {}", inputs.len());
    assert_parity(&inputs, &golden, "subset");
}

#[test]
fn shared_corpora_match_datatrove() {
    let shared = root().join("../shared/data/corpus");
    if !shared.exists() {
        eprintln!(
            "skipping: {} not found (a fresh clone has no ../shared)",
            shared.display()
        );
        return;
    }
    for corpus in ["pages", "articles"] {
        let inputs = read_jsonl_zst(&shared.join(format!("{corpus}.jsonl.zst")));
        let golden =
            read_jsonl_zst(&root().join(format!("tests/golden/fineweb-{corpus}.jsonl.zst")));
        assert_parity(&inputs, &golden, corpus);
    }
}

/// `c4_quality` alone, defaults: decisions, reasons and a digest of the kept text.
fn compare_c4_default(inputs: &[Value], golden: &[Value]) -> Vec<String> {
    assert_eq!(
        inputs.len(),
        golden.len(),
        "input and golden differ in length"
    );
    let pipeline = PipelineSpec::from_toml("[[step]]\ntype = \"c4_quality\"\n", "test")
        .unwrap()
        .build()
        .unwrap();
    let mut tally = pipeline.new_tally();
    let mut cache = DocCache::default();
    let mut mismatches = Vec::new();
    for (input, gold) in inputs.iter().zip(golden) {
        let mut doc: Document = serde_json::from_value(input.clone()).expect("document");
        assert_eq!(doc.id, gold["id"].as_str().unwrap(), "golden out of order");
        let ours = match pipeline.process(&mut doc, &mut tally, &mut cache) {
            Outcome::Kept => {
                let digest = Sha256::digest(doc.text.as_bytes());
                let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
                format!("keep {hex}")
            }
            Outcome::Dropped { reason, .. } => format!("drop {reason}"),
        };
        let theirs = if gold["keep"].as_bool().unwrap() {
            format!("keep {}", gold["text_sha256"].as_str().unwrap())
        } else {
            format!("drop {}", gold["reason"].as_str().unwrap())
        };
        if ours != theirs {
            mismatches.push(format!("{}: tamis {ours}, datatrove {theirs}", doc.id));
        }
    }
    mismatches
}

fn assert_c4_parity(inputs: &[Value], golden: &[Value], what: &str) {
    let mismatches = compare_c4_default(inputs, golden);
    assert!(
        mismatches.is_empty(),
        "{what}: {} of {} documents differ from datatrove's C4QualityFilter():\n{}",
        mismatches.len(),
        inputs.len(),
        mismatches
            .iter()
            .take(30)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    eprintln!(
        "{what}: {} documents, C4 (defaults) equals datatrove",
        inputs.len()
    );
}

#[test]
fn c4_defaults_match_datatrove_on_subset() {
    let dir = root().join("tests/golden");
    let inputs = read_jsonl_zst(&dir.join("subset-input.jsonl.zst"));
    let golden = read_jsonl_zst(&dir.join("subset-c4-default.jsonl.zst"));
    assert_c4_parity(&inputs, &golden, "subset");
}

#[test]
fn c4_defaults_match_datatrove_on_shared_corpora() {
    let shared = root().join("../shared/data/corpus");
    if !shared.exists() {
        eprintln!(
            "skipping: {} not found (a fresh clone has no ../shared)",
            shared.display()
        );
        return;
    }
    for corpus in ["pages", "articles"] {
        let inputs = read_jsonl_zst(&shared.join(format!("{corpus}.jsonl.zst")));
        let golden =
            read_jsonl_zst(&root().join(format!("tests/golden/c4-default-{corpus}.jsonl.zst")));
        assert_c4_parity(&inputs, &golden, corpus);
    }
}
