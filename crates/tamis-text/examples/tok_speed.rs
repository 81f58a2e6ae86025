//! Single-thread throughput of the English tokenizer on a JSONL(.zst) corpus of `{"text": ...}`.
//!
//! ```text
//! cargo run --release -p tamis-text --example tok_speed [-- ../shared/data/corpus/pages.jsonl.zst]
//! ```
//!
//! Prints MB/s (of UTF-8 input) for `words`, `word_spans` and `sentence_count` on whole
//! documents, and for `sentence_count` and `word_and_sentence_count` on C4's candidate lines. For reference, spaCy runs at about 1-2 MB/s.

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::time::Instant;

use tamis_text::en::Tokenizer;
use tamis_text::py;

fn main() {
    let path = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../../shared/data/corpus/pages.jsonl.zst")
        });
    let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let reader: Box<dyn Read> = if path.extension().is_some_and(|e| e == "zst") {
        Box::new(zstd::Decoder::new(file).expect("zstd"))
    } else {
        Box::new(file)
    };
    let texts: Vec<String> = BufReader::new(reader)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(&l.expect("read")).expect("json");
            v["text"].as_str().expect("text").to_owned()
        })
        .collect();
    let bytes: usize = texts.iter().map(String::len).sum();
    let mb = bytes as f64 / 1e6;
    println!("{}: {} documents, {mb:.1} MB", path.display(), texts.len());

    let mut tok = Tokenizer::new();
    let mut words = Vec::new();
    // Warm up (parses the rule data) and run a few rounds; report the best.
    let rounds = 3;
    let mut best = f64::INFINITY;
    let mut n_words = 0;
    for _ in 0..rounds {
        let t = Instant::now();
        n_words = 0;
        for text in &texts {
            words.clear();
            tok.words_into(text, &mut words);
            n_words += words.len();
        }
        best = best.min(t.elapsed().as_secs_f64());
    }
    println!(
        "words:                  {:7.1} MB/s ({n_words} words)",
        mb / best
    );

    let mut spans = Vec::new();
    let mut best = f64::INFINITY;
    for _ in 0..rounds {
        let t = Instant::now();
        n_words = 0;
        for text in &texts {
            spans.clear();
            tok.word_spans_into(text, &mut spans);
            n_words += spans.len();
        }
        best = best.min(t.elapsed().as_secs_f64());
    }
    println!(
        "word_spans:             {:7.1} MB/s ({n_words} words)",
        mb / best
    );

    let mut best = f64::INFINITY;
    let mut n_sent = 0;
    for _ in 0..rounds {
        let t = Instant::now();
        n_sent = texts
            .iter()
            .map(|text| tok.sentence_count(text))
            .sum::<usize>();
        best = best.min(t.elapsed().as_secs_f64());
    }
    println!(
        "sentence_count (docs):  {:7.1} MB/s ({n_sent} sentences)",
        mb / best
    );

    let lines: Vec<&str> = texts
        .iter()
        .flat_map(|t| py::splitlines(t))
        .map(py::strip)
        .filter(|l| py::split_whitespace(l).count() >= 3)
        .collect();
    let line_mb = lines.iter().map(|l| l.len()).sum::<usize>() as f64 / 1e6;
    let mut best = f64::INFINITY;
    for _ in 0..rounds {
        let t = Instant::now();
        n_sent = lines.iter().map(|l| tok.sentence_count(l)).sum::<usize>();
        best = best.min(t.elapsed().as_secs_f64());
    }
    println!(
        "sentence_count (lines): {:7.1} MB/s ({} C4 lines, {line_mb:.1} MB, {n_sent} sentences)",
        line_mb / best,
        lines.len()
    );

    let mut best = f64::INFINITY;
    let mut totals = (0, 0);
    for _ in 0..rounds {
        let t = Instant::now();
        totals = lines
            .iter()
            .map(|l| tok.word_and_sentence_count(l))
            .fold((0, 0), |(w, s), (a, b)| (w + a, s + b));
        best = best.min(t.elapsed().as_secs_f64());
    }
    println!(
        "word_and_sentence_count (lines): {:7.1} MB/s ({} words, {} sentences)",
        line_mb / best,
        totals.0,
        totals.1
    );
}
