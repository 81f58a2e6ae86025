//! Parity with datatrove 0.10.1: every decision, reason and kept text of the `fineweb-text` preset,
//! and of `c4_quality` alone with its defaults (terminal-punctuation rule on), must equal the
//! golden files that `tools/gen_fineweb_golden.py` wrote with datatrove itself.

use std::io::BufRead;
use std::path::{Path, PathBuf};

use serde_json::Value;
use sha2::{Digest, Sha256};
use tamis_core::{DocCache, Document};
use tamis_pipeline::{preset, Outcome, Pipeline, PipelineSpec};

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

/// One side of a comparison, as a string: `keep <text or digest>` or `drop <step> <reason>`.
type Describe = fn(&Outcome, &Document, &[&'static str]) -> String;

/// The `fineweb` golden (the `fineweb-text` preset) records the step, the reason and the full kept text.
fn fineweb_ours(o: &Outcome, doc: &Document, ids: &[&'static str]) -> String {
    match o {
        Outcome::Kept => format!("keep {}", doc.text),
        Outcome::Dropped { step, reason } => format!("drop {} {reason}", ids[*step]),
    }
}

fn fineweb_theirs(gold: &Value) -> String {
    if gold["keep"].as_bool().unwrap() {
        format!("keep {}", gold["text"].as_str().unwrap())
    } else {
        format!(
            "drop {} {}",
            gold["step"].as_str().unwrap(),
            gold["reason"].as_str().unwrap()
        )
    }
}

/// The C4-defaults golden records the reason and a digest of the kept text.
fn c4_ours(o: &Outcome, doc: &Document, _: &[&'static str]) -> String {
    match o {
        Outcome::Kept => {
            let digest = Sha256::digest(doc.text.as_bytes());
            let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
            format!("keep {hex}")
        }
        Outcome::Dropped { reason, .. } => format!("drop {reason}"),
    }
}

fn c4_theirs(gold: &Value) -> String {
    if gold["keep"].as_bool().unwrap() {
        format!("keep {}", gold["text_sha256"].as_str().unwrap())
    } else {
        format!("drop {}", gold["reason"].as_str().unwrap())
    }
}

/// Runs `pipeline` over `inputs` and asserts every outcome equals datatrove's.
fn assert_parity(
    pipeline: &Pipeline,
    (inputs, golden): (&[Value], &[Value]),
    (ours, theirs): (Describe, fn(&Value) -> String),
    what: &str,
) {
    assert_eq!(
        inputs.len(),
        golden.len(),
        "{what}: input and golden differ in length"
    );
    let ids = pipeline.step_ids();
    let mut tally = pipeline.new_tally();
    let mut cache = DocCache::default();
    let mut mismatches = Vec::new();
    for (input, gold) in inputs.iter().zip(golden) {
        let mut doc: Document = serde_json::from_value(input.clone()).expect("document");
        assert_eq!(
            doc.id,
            gold["id"].as_str().unwrap(),
            "{what}: golden out of order"
        );
        let outcome = pipeline.process(&mut doc, &mut tally, &mut cache);
        let (a, b) = (ours(&outcome, &doc, &ids), theirs(gold));
        if a != b {
            let short = |s: &str| s.chars().take(80).collect::<String>();
            mismatches.push(format!(
                "{}: tamis {:?}, datatrove {:?}",
                doc.id,
                short(&a),
                short(&b)
            ));
        }
    }
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
    eprintln!("{what}: {} documents, all equal datatrove's", inputs.len());
}

fn fineweb() -> Pipeline {
    preset("fineweb-text").unwrap().build().unwrap()
}

fn c4_defaults() -> Pipeline {
    PipelineSpec::from_toml("[[step]]\ntype = \"c4_quality\"\n", "test")
        .unwrap()
        .build()
        .unwrap()
}

/// The shared corpora, or `None` (with a message) on a fresh clone without `../shared`.
fn shared_corpora() -> Option<Vec<(&'static str, Vec<Value>)>> {
    let dir = root().join("../shared/data/corpus");
    if !dir.exists() {
        eprintln!(
            "skipping: {} not found (a fresh clone has no ../shared)",
            dir.display()
        );
        return None;
    }
    let read = |c: &'static str| (c, read_jsonl_zst(&dir.join(format!("{c}.jsonl.zst"))));
    Some(vec![read("pages"), read("articles")])
}

fn golden(name: &str) -> Vec<Value> {
    read_jsonl_zst(&root().join("tests/golden").join(name))
}

#[test]
fn committed_subset_matches_datatrove() {
    let inputs = golden("subset-input.jsonl.zst");
    assert!(inputs.len() >= 200, "subset too small: {}", inputs.len());
    let gold = golden("subset-fineweb.jsonl.zst");
    assert_parity(
        &fineweb(),
        (&inputs, &gold),
        (fineweb_ours, fineweb_theirs),
        "subset",
    );
    let gold = golden("subset-c4-default.jsonl.zst");
    assert_parity(
        &c4_defaults(),
        (&inputs, &gold),
        (c4_ours, c4_theirs),
        "subset, C4 defaults",
    );
}

#[test]
fn shared_corpora_match_datatrove() {
    let Some(corpora) = shared_corpora() else {
        return;
    };
    for (corpus, inputs) in &corpora {
        let gold = golden(&format!("fineweb-{corpus}.jsonl.zst"));
        assert_parity(
            &fineweb(),
            (inputs, &gold),
            (fineweb_ours, fineweb_theirs),
            corpus,
        );
        let gold = golden(&format!("c4-default-{corpus}.jsonl.zst"));
        let what = format!("{corpus}, C4 defaults");
        assert_parity(&c4_defaults(), (inputs, &gold), (c4_ours, c4_theirs), &what);
    }
}
