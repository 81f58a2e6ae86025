//! Single-thread throughput of the spaCy tokenizers of several languages on a JSONL(.zst)
//! corpus of `{"text": ...}`, and whether each language's generic English agrees with the
//! hand-specialised one (`tamis_text::en`).
//!
//! ```text
//! cargo run --release -p tamis-text --example spacy_speed [-- FILE [LANG ...]]
//! ```

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/data/corpus/pages.jsonl.zst")
    });
    let mut langs: Vec<String> = args.collect();
    if langs.is_empty() {
        langs = ["en", "xx", "fr", "de", "id", "ru", "hu"]
            .map(String::from)
            .to_vec();
    }
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
    let mb = texts.iter().map(String::len).sum::<usize>() as f64 / 1e6;
    println!("{}: {} documents, {mb:.1} MB", path.display(), texts.len());
    let mut en = tamis_text::en::Tokenizer::new();
    let t = Instant::now();
    let n: usize = texts.iter().map(|x| en.word_count(x)).sum();
    println!(
        "en (specialised): {n} words, {:.1} MB/s",
        mb / t.elapsed().as_secs_f64()
    );
    for lang in &langs {
        let mut tok = tamis_text::spacy::Tokenizer::new(lang).expect("language");
        let mut spans = Vec::new();
        let t = Instant::now();
        let mut n = 0;
        for x in &texts {
            spans.clear();
            tok.word_spans_into(x, &mut spans);
            n += spans.len();
        }
        println!(
            "{lang}: {n} words, {:.1} MB/s",
            mb / t.elapsed().as_secs_f64()
        );
        if lang == "en" {
            let differ = texts.iter().filter(|x| tok.words(x) != en.words(x)).count();
            println!("  documents where generic en differs from the specialised one: {differ}");
        }
    }
}
