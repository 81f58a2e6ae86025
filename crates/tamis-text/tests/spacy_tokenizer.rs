//! Parity of `tamis_text::spacy` with spaCy 3.8.18's `spacy.blank(code)` for every language it
//! covers, on golden files written by `tools/gen_spacy_lang_golden.py`:
//!
//! * `spacy_langs.jsonl.zst`: per language, sentences in its own and 24 other languages, the
//!   English edge cases, its exceptions and matcher patterns with affixes, and seeded random
//!   strings, with spaCy's full token lists;
//! * `spacy_langs_lingua.jsonl.zst`: digests of the tokens of every lingua test sentence of
//!   each language, checked when `../shared` (next to the workspace) exists.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use serde_json::Value;
use sha2::{Digest, Sha256};
use tamis_text::py;
use tamis_text::spacy::{Tokenizer, LANGUAGES};

fn golden(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name)
}

fn read_zst_lines(path: &Path) -> Vec<Value> {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    BufReader::new(zstd::Decoder::new(file).expect("zstd"))
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

#[test]
fn every_language_tokenizes_like_spacy() {
    let rows = read_zst_lines(&golden("spacy_langs.jsonl.zst"));
    let mut tokenizers: BTreeMap<String, Tokenizer> = BTreeMap::new();
    let mut failures: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut shown = 0;
    for row in &rows {
        let lang = row["lang"].as_str().expect("lang");
        let text = row["text"].as_str().expect("text");
        let want = strs(&row["tokens"]);
        let tok = tokenizers
            .entry(lang.to_string())
            .or_insert_with(|| Tokenizer::new(lang).expect("language"));
        let got = tok.tokens(text);
        let entry = failures.entry(lang.to_string()).or_default();
        entry.1 += 1;
        if got != want {
            entry.0 += 1;
            if shown < 5 {
                shown += 1;
                let k = got.iter().zip(&want).take_while(|(a, b)| a == b).count();
                eprintln!(
                    "{lang}: first difference at token {k}: got {:?}, want {:?}\n  text: {:?}",
                    &got[k..(k + 5).min(got.len())],
                    &want[k..(k + 5).min(want.len())],
                    text.chars().take(300).collect::<String>()
                );
            }
        }
    }
    let bad: Vec<_> = failures.iter().filter(|(_, (f, _))| *f > 0).collect();
    assert!(
        bad.is_empty(),
        "texts differing from spaCy, per language (differing, total): {bad:?}"
    );
    // Every language with data is tested.
    let tested: Vec<&str> = failures.keys().map(|k| k.as_str()).collect();
    assert_eq!(tested, LANGUAGES);
}

fn sha16(s: &str) -> String {
    let digest = Sha256::digest(s.as_bytes());
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn every_lingua_sentence_tokenizes_like_spacy() {
    let shared =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/lid/lingua-testdata");
    if !shared.is_dir() {
        eprintln!(
            "skipped: {} is absent (the shared data is not next to the workspace)",
            shared.display()
        );
        return;
    }
    let rows = read_zst_lines(&golden("spacy_langs_lingua.jsonl.zst"));
    assert_eq!(rows.len(), LANGUAGES.len());
    let mut bad = Vec::new();
    for row in &rows {
        let lang = row["lang"].as_str().expect("lang");
        let source = row["source"].as_str().expect("source");
        let code = source.strip_prefix("lingua/").expect("lingua source");
        let path = shared.join(code).join("testdata/sentences.txt");
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut tok = Tokenizer::new(lang).expect("language");
        let mut n_sent = 0;
        let mut n_tok = 0;
        let mut joined = Vec::new();
        // Python's text mode reads "\r\n" and "\r" as "\n"; the generator keeps lines that
        // are not only whitespace.
        let text = text.replace("\r\n", "\n").replace('\r', "\n");
        for line in text
            .split_terminator('\n')
            .filter(|l| !py::strip(l).is_empty())
        {
            let toks = tok.tokens(line);
            n_sent += 1;
            n_tok += toks.len();
            joined.push(toks.join("\x1f"));
        }
        let sha = sha16(&joined.join("\x1e"));
        if n_sent != row["sentences"].as_u64().unwrap_or(0) as usize
            || n_tok != row["tokens"].as_u64().unwrap_or(0) as usize
            || sha != row["sha"].as_str().unwrap_or("")
        {
            bad.push(format!(
                "{lang} on {source}: {n_tok} tokens, want {}",
                row["tokens"]
            ));
        }
    }
    assert!(bad.is_empty(), "{bad:#?}");
}

/// The generic tokenizer run on English data equals the hand-specialised `en` one: on the
/// committed subset of corpus pages, and on every shared corpus page when `../shared` exists.
#[test]
fn generic_english_equals_the_specialised_tokenizer() {
    let mut texts: Vec<String> = read_zst_lines(&golden("en_subset.jsonl.zst"))
        .iter()
        .map(|r| r["text"].as_str().expect("text").to_string())
        .collect();
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/corpus");
    if corpus.is_dir() {
        for name in ["pages.jsonl.zst", "articles.jsonl.zst"] {
            texts.extend(
                read_zst_lines(&corpus.join(name))
                    .iter()
                    .map(|r| r["text"].as_str().expect("text").to_string()),
            );
        }
    } else {
        eprintln!(
            "{} is absent: checking the committed subset only",
            corpus.display()
        );
    }
    let mut generic = Tokenizer::new("en").expect("en");
    let mut special = tamis_text::en::Tokenizer::new();
    for t in &texts {
        assert_eq!(
            generic.tokens(t),
            special.tokens(t),
            "{:?}",
            &t[..t.len().min(200)]
        );
    }
    assert!(texts.len() >= 200);
}

/// A token spaCy's URL pattern backtracks over quadratically (Python takes hours on a megabyte
/// of it) is tokenized in linear time, as a short one is. spaCy 3.8.18 gives
/// `a : b - a : b - a : b-` for `"a:b-" * 3`: every character its own token but the last two.
#[test]
fn long_tokens_with_many_colons_tokenize_like_short_ones() {
    let mut tok = Tokenizer::new("xx").expect("xx");
    for n in [3, 100_000] {
        let text = "a:b-".repeat(n);
        let got = tok.tokens(&text);
        let mut want: Vec<&str> = (0..text.len() - 2).map(|i| &text[i..i + 1]).collect();
        want.push("b-");
        assert!(got == want, "{n}: {} tokens", got.len());
    }
}
