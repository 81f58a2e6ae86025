//! Parity of `tamis_text::ftfy::fix_text` with datatrove 0.10.1's `FTFYFormatter` (ftfy 6.3.1),
//! on the golden file written by `tools/gen_ftfy_golden.py`: mojibake in ten encodings and many
//! languages, HTML entities, terminal escapes, control characters and random strings of
//! mojibake fragments, with ftfy's output (and, for the texts with entities, its output with
//! `unescape_html` true and false); and digests of its output on the committed subset of corpus
//! pages.

use std::io::{BufRead, BufReader};
use std::path::Path;

use serde_json::Value;
use sha2::{Digest, Sha256};
use tamis_text::ftfy::{fix_text, fix_text_edits_with, UnescapeHtml};

fn rows() -> Vec<Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/ftfy.jsonl.zst");
    let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    BufReader::new(zstd::Decoder::new(file).expect("zstd"))
        .lines()
        .map(|l| serde_json::from_str(&l.expect("read")).expect("json"))
        .collect()
}

/// `fix_text` with ftfy's `unescape_html` set to `mode`.
fn fix_with(text: &str, mode: UnescapeHtml) -> String {
    let mut out = String::new();
    let mut pos = 0;
    for (range, replacement) in fix_text_edits_with(text, mode) {
        out.push_str(&text[pos..range.start]);
        out.push_str(&replacement);
        pos = range.end;
    }
    out + &text[pos..]
}

fn subset_texts() -> Vec<(String, String)> {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/golden/subset-input.jsonl.zst");
    let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    BufReader::new(zstd::Decoder::new(file).expect("zstd"))
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(&l.expect("read")).expect("json");
            (
                v["id"].as_str().unwrap().to_string(),
                v["text"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn fix_text_equals_ftfy_as_datatrove_runs_it() {
    let rows = rows();
    let mut bad = Vec::new();
    let mut changed = 0;
    for r in rows.iter().filter(|r| r.get("text").is_some()) {
        let text = r["text"].as_str().unwrap();
        let want = r["fixed"].as_str().unwrap();
        changed += usize::from(text != want);
        let mode = match r.get("unescape_html").and_then(Value::as_bool) {
            None => UnescapeHtml::Auto,
            Some(true) => UnescapeHtml::Always,
            Some(false) => UnescapeHtml::Never,
        };
        let got = fix_with(text, mode);
        if got != want {
            bad.push(format!("{text:?}\n  got  {got:?}\n  want {want:?}"));
        }
    }
    assert!(changed > 1000, "{changed}");
    assert!(
        bad.is_empty(),
        "{} of {}:\n{}",
        bad.len(),
        rows.len(),
        bad[..bad.len().min(15)].join("\n")
    );
}

#[test]
fn corpus_pages_are_fixed_like_ftfy() {
    // In input order (some ids repeat).
    let want: Vec<(String, String)> = rows()
        .into_iter()
        .filter(|r| r.get("id").is_some())
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_string(),
                r["fixed_sha"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let texts = subset_texts();
    assert_eq!(texts.len(), want.len());
    let mut bad = Vec::new();
    for ((id, text), (want_id, want_sha)) in texts.iter().zip(&want) {
        assert_eq!(id, want_id);
        let digest = Sha256::digest(fix_text(text).as_bytes());
        let sha: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
        if *want_sha != sha {
            bad.push(id.clone());
        }
    }
    assert!(bad.is_empty(), "{bad:?}");
}
