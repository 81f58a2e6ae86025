//! Parity of `tamis_text::indic` (through `WordTokenizer`) with datatrove 0.10.1's
//! `IndicNLPTokenizer` on `golden/indic.jsonl.zst`, written by `tools/gen_indic_golden.py`:
//! lingua sentences of eight Indic languages and seeded random strings of digits, separators,
//! whitespace, punctuation and letters, for every argument datatrove passes.

use std::io::{BufRead, BufReader};
use std::path::Path;

use serde_json::Value;
use tamis_text::words::WordTokenizer;

#[test]
fn indic_words_equal_datatrove() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/indic.jsonl.zst");
    let file = std::fs::File::open(&path).expect("golden file");
    let (mut n, mut joined, mut bad) = (0, 0, Vec::new());
    for line in BufReader::new(zstd::Decoder::new(file).expect("zstd")).lines() {
        let row: Value = serde_json::from_str(&line.expect("read")).expect("json");
        let lang = row["lang"].as_str().expect("lang");
        let text = row["text"].as_str().expect("text");
        let want: Vec<&str> = row["words"]
            .as_array()
            .expect("words")
            .iter()
            .map(|w| w.as_str().expect("word"))
            .collect();
        // Every argument datatrove passes is reachable through a language key.
        let tok = WordTokenizer::IndicNlp { urdu: lang == "ur" };
        let got = tok.words(text);
        joined += got
            .iter()
            .filter(|w| matches!(w, std::borrow::Cow::Owned(_)))
            .count();
        if got != want {
            bad.push(format!("{lang} {text:?}\n  got  {got:?}\n  want {want:?}"));
        }
        n += 1;
    }
    assert!(n > 600, "{n} rows");
    assert!(
        joined > 50,
        "the number rule is exercised: {joined} joined words"
    );
    assert!(
        bad.is_empty(),
        "{} of {n} differ:\n{}",
        bad.len(),
        bad[..bad.len().min(5)].join("\n")
    );
}
