//! Print spaCy-style tokens for texts read from stdin, for comparing against spaCy by hand or
//! from a script: each input line is a JSON string; each output line is a JSON object with
//! `tokens` (all token texts, whitespace tokens included), `words` and `sentences`.
//!
//! ```text
//! echo '"Hello, world. (e.g. U.S.)"' | cargo run -q -p tamis-text --example tok_dump
//! ```

use std::io::{BufRead, Write};

use tamis_text::en::Tokenizer;

fn main() {
    let mut tok = Tokenizer::new();
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for line in stdin.lock().lines() {
        let line = line.expect("read stdin");
        let text: String = serde_json::from_str(&line).expect("each line must be a JSON string");
        let tokens = tok.tokens(&text);
        let words = tok.words(&text);
        let sentences = tok.sentence_count(&text);
        let obj = serde_json::json!({"tokens": tokens, "words": words, "sentences": sentences});
        writeln!(out, "{obj}").expect("write stdout");
    }
}
