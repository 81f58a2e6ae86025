//! Parity of tamis's dictionary- and model-based word tokenizers (Chinese with jieba, Thai with
//! newmm, Vietnamese with pyvi's CRF, Lao with LaoNLP, Khmer with khmer-nltk's CRF, Burmese
//! with pyidaungsu's CRF) with datatrove 0.10.1's `load_word_tokenizer(key).word_tokenize`, on
//! `golden/dict_tokenizers.jsonl.zst` from `tools/gen_dict_tokenizer_golden.py`: lingua
//! sentences and word pairs of the language (or, for Lao, Khmer and Burmese, strings built from
//! their dictionary or models), sentences of six other languages, and seeded random strings;
//! and a digest of the words of every page of `../shared/data/corpus/pages.jsonl.zst` for the
//! faster four, checked when `../shared` exists.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use serde_json::Value;
use sha2::{Digest, Sha256};
use tamis_text::words::WordTokenizer;

fn rows() -> Vec<Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/dict_tokenizers.jsonl.zst");
    let file = std::fs::File::open(&path).expect("golden file");
    BufReader::new(zstd::Decoder::new(file).expect("zstd"))
        .lines()
        .map(|l| serde_json::from_str(&l.expect("read")).expect("json"))
        .collect()
}

#[test]
fn dictionary_tokenizers_equal_datatrove() {
    let (mut n, mut bad) = (0, Vec::new());
    for row in rows().iter().filter(|r| r.get("text").is_some()) {
        let key = row["lang"].as_str().expect("lang");
        let text = row["text"].as_str().expect("text");
        let want: Vec<&str> = row["words"]
            .as_array()
            .expect("words")
            .iter()
            .map(|w| w.as_str().expect("word"))
            .collect();
        let got = WordTokenizer::for_language(key)
            .expect("supported")
            .words(text);
        if got != want {
            let k = got.iter().zip(&want).take_while(|(a, b)| a == b).count();
            bad.push(format!(
                "{key}: first difference at word {k}: got {:?}, want {:?}",
                &got[k..(k + 4).min(got.len())],
                &want[k..(k + 4).min(want.len())]
            ));
        }
        n += 1;
    }
    assert!(n >= 3400, "{n} rows");
    assert!(
        bad.is_empty(),
        "{} of {n} differ:\n{}",
        bad.len(),
        bad[..bad.len().min(5)].join("\n")
    );
}

fn shared_pages() -> Option<PathBuf> {
    let p =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/corpus/pages.jsonl.zst");
    p.exists().then_some(p)
}

#[test]
fn dictionary_tokenizers_equal_datatrove_on_every_shared_page() {
    let Some(path) = shared_pages() else {
        eprintln!("skipped: ../shared/data/corpus/pages.jsonl.zst is absent (a fresh clone has no ../shared)");
        return;
    };
    let file = std::fs::File::open(&path).expect("pages");
    let pages: Vec<String> = BufReader::new(zstd::Decoder::new(file).expect("zstd"))
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(&l.expect("read")).expect("json");
            v["text"].as_str().expect("text").to_string()
        })
        .collect();
    for row in rows().iter().filter(|r| r.get("sha").is_some()) {
        let key = row["lang"].as_str().expect("lang");
        let tok = WordTokenizer::for_language(key).expect("supported");
        let (mut h, mut n) = (Sha256::new(), 0u64);
        for (i, text) in pages.iter().enumerate() {
            let words = tok.words(text);
            n += words.len() as u64;
            if i > 0 {
                h.update(b"\x1e");
            }
            h.update(words.join("\x1f").as_bytes());
        }
        assert_eq!(
            pages.len() as u64,
            row["texts"].as_u64().unwrap(),
            "{key}: page count"
        );
        assert_eq!(
            n,
            row["words"].as_u64().unwrap(),
            "{key}: words in all pages"
        );
        let sha: String = h.finalize()[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(
            sha,
            row["sha"].as_str().unwrap(),
            "{key}: digest of all words"
        );
    }
}
