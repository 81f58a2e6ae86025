//! Print datatrove's `split_into_words(text, language)` as tamis computes it, for comparing
//! against the reference from a script: each input line is a JSON string, each output line the
//! JSON list of its words.
//!
//! ```text
//! echo '"我来到北京清华大学"' | cargo run -q -p tamis-text --example words_dump -- cmn_Hani
//! ```

use std::io::{BufRead, Write};

use tamis_text::words::WordTokenizer;

fn main() {
    let key = std::env::args()
        .nth(1)
        .expect("usage: words_dump LANGUAGE_KEY < texts.jsonl");
    let tok = WordTokenizer::for_language(&key).unwrap_or_else(|e| panic!("{e}"));
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for line in std::io::stdin().lock().lines() {
        let line = line.expect("read stdin");
        let text: String = serde_json::from_str(&line).expect("each line must be a JSON string");
        let words = tok.words(&text);
        writeln!(out, "{}", serde_json::to_string(&words).expect("json")).expect("write stdout");
    }
}
