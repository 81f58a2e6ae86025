//! Parity of `tamis_text::en` with datatrove 0.10.1 / spaCy 3.8.18, on golden files written by
//! `tools/gen_tokenizer_golden.py` (which runs datatrove's own `split_into_words` and
//! `split_into_sentences`).
//!
//! * `en_edge_cases.jsonl`: hand-picked tricky strings, full token lists.
//! * `en_random.jsonl.zst`: seeded random strings over affix/exception/URL pieces.
//! * `en_subset.jsonl.zst`: ~200 corpus documents with their full expected words.
//! * `en_{pages,articles}.jsonl.zst`: digests for every document of the shared corpora, checked
//!   when `../shared` (next to the workspace) exists.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use serde_json::Value;
use sha2::{Digest, Sha256};
use tamis_text::en::{self, Tokenizer};
use tamis_text::py;

fn golden(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name)
}

fn read_lines(path: &Path) -> Vec<Value> {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let reader: Box<dyn Read> = if path.extension().is_some_and(|e| e == "zst") {
        Box::new(zstd::Decoder::new(file).expect("zstd"))
    } else {
        Box::new(file)
    };
    BufReader::new(reader)
        .lines()
        .map(|l| serde_json::from_str(&l.expect("read")).expect("json"))
        .collect()
}

fn strs(v: &Value) -> Vec<&str> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|s| s.as_str().expect("string"))
        .collect()
}

/// First 16 hex digits of sha256, as the generator writes them.
fn sha16(s: &str) -> String {
    let digest = Sha256::digest(s.as_bytes());
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// datatrove's C4 candidate lines: `line.strip()` of `text.splitlines()` with at least 3 words.
fn c4_lines(text: &str) -> Vec<&str> {
    py::splitlines(text)
        .into_iter()
        .map(py::strip)
        .filter(|l| py::split_whitespace(l).count() >= 3)
        .collect()
}

/// Check cases with full token lists; returns the number of mismatches (printing the first few).
fn check_cases(rows: &[Value]) -> usize {
    let mut tok = Tokenizer::new();
    let mut bad = 0;
    for row in rows {
        let text = row["text"].as_str().expect("text");
        let tokens = tok.tokens(text);
        let words = tok.words(text);
        let sentences = tok.sentence_count(text);
        let retry = en::datatrove_is_alpha_retry(text);
        let ok = tokens == strs(&row["tokens"])
            && words == strs(&row["words"])
            && sentences as u64 == row["sentences"].as_u64().expect("sentences")
            && retry.as_deref() == row.get("is_alpha_retry").and_then(Value::as_str)
            && words == en::words(text)
            && sentences == en::sentence_count(text);
        if !ok {
            bad += 1;
            if bad <= 10 {
                eprintln!(
                    "MISMATCH {text:?}\n  expected {} {} {:?}\n  got      {tokens:?} {sentences} {retry:?}",
                    row["tokens"],
                    row["sentences"],
                    row.get("is_alpha_retry")
                );
            }
        }
    }
    bad
}

#[test]
fn edge_cases_match_spacy() {
    let rows = read_lines(&golden("en_edge_cases.jsonl"));
    assert!(rows.len() > 500, "edge-case file too small: {}", rows.len());
    assert_eq!(check_cases(&rows), 0);
}

#[test]
fn random_strings_match_spacy() {
    let rows = read_lines(&golden("en_random.jsonl.zst"));
    assert!(rows.len() >= 3000);
    assert_eq!(check_cases(&rows), 0);
}

#[test]
fn corpus_subset_matches_datatrove() {
    let rows = read_lines(&golden("en_subset.jsonl.zst"));
    assert!(rows.len() >= 150, "subset too small: {}", rows.len());
    let mut tok = Tokenizer::new();
    let mut bad = 0;
    for row in &rows {
        let text = row["text"].as_str().expect("text");
        let words = tok.words(text);
        let lines: Vec<u64> = c4_lines(text)
            .into_iter()
            .map(|l| tok.sentence_count(l) as u64)
            .collect();
        let expected_lines: Vec<u64> = row["c4_sentences"]
            .as_array()
            .expect("c4_sentences")
            .iter()
            .map(|v| v.as_u64().expect("count"))
            .collect();
        let expected_words = strs(&row["words"]);
        if words != expected_words
            || tok.sentence_count(text) as u64 != row["sentences"].as_u64().expect("sentences")
            || lines != expected_lines
        {
            bad += 1;
            let first = words.iter().zip(&expected_words).position(|(a, b)| a != b);
            eprintln!(
                "MISMATCH {}: first differing word index {first:?}",
                row["id"]
            );
        }
    }
    assert_eq!(bad, 0, "{bad} of {} subset documents differ", rows.len());
}

/// Every document of `../shared/data/corpus/{name}.jsonl.zst` against its golden digest line.
fn check_corpus(name: &str) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let corpus = root.join(format!("../shared/data/corpus/{name}.jsonl.zst"));
    if !corpus.exists() {
        eprintln!(
            "skipping: ../shared not found ({} is absent)",
            corpus.display()
        );
        return;
    }
    let golden = read_lines(&golden(&format!("en_{name}.jsonl.zst")));
    let docs = read_lines(&corpus);
    assert_eq!(
        docs.len(),
        golden.len(),
        "{name}: golden and corpus differ in length"
    );
    let mut tok = Tokenizer::new();
    let mut words = Vec::new();
    let mut bad = 0;
    for (doc, gold) in docs.iter().zip(&golden) {
        assert_eq!(doc["id"], gold["id"], "{name}: golden out of order");
        let text = doc["text"].as_str().expect("text");
        words.clear();
        tok.words_into(text, &mut words);
        let counts: Vec<usize> = c4_lines(text)
            .into_iter()
            .map(|l| tok.sentence_count(l))
            .collect();
        let joined_counts = counts
            .iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let got = serde_json::json!({
            "id": doc["id"],
            "words": words.len(),
            "words_sha": sha16(&words.join("\n")),
            "sentences": tok.sentence_count(text),
            "c4_lines": counts.len(),
            "c4_sentences": counts.iter().sum::<usize>(),
            "c4_sha": sha16(&joined_counts),
        });
        if &got != gold {
            bad += 1;
            if bad <= 10 {
                eprintln!(
                    "MISMATCH {name} {}:\n  expected {gold}\n  got      {got}",
                    doc["id"]
                );
            }
        }
    }
    eprintln!("{name}: {} documents, {bad} mismatches", docs.len());
    assert_eq!(
        bad,
        0,
        "{name}: {bad} of {} documents differ from datatrove",
        docs.len()
    );
}

#[test]
fn pages_corpus_matches_datatrove() {
    check_corpus("pages");
}

#[test]
fn articles_corpus_matches_datatrove() {
    check_corpus("articles");
}

#[test]
fn api_examples() {
    // Expected values from datatrove's split_into_words / split_into_sentences.
    assert_eq!(
        en::words("Don't stop :) e.g. U.S.-based"),
        ["Do", "n't", "stop", ":)", "e.g.", "U.S.-based"]
    );
    assert_eq!(en::words("  a\n\nb  "), ["a", "b"]);
    assert_eq!(en::words(""), Vec::<&str>::new());
    assert_eq!(en::sentence_count(""), 1);
    assert_eq!(en::sentence_count("One. Two! Three? four"), 4);
    // A whitespace token after a period starts a sentence; a single absorbed space does not.
    assert_eq!(en::sentence_count("Hello. "), 1);
    assert_eq!(en::sentence_count("Hello.  "), 2);
    assert_eq!(
        en::datatrove_is_alpha_retry("a IS_ALPHA b").as_deref(),
        Some("a  b")
    );
    assert_eq!(en::datatrove_is_alpha_retry("aIS_ALPHAb"), None);
}
