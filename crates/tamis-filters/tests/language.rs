//! The `language` step against datatrove 0.10.1's own `LanguageFilter` (same model file), on
//! the committed subset of real pages and the seed page, for several parameter sets. The
//! golden comes from `tools/gen_language_golden.py`.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use serde_json::Value;
use tamis_core::{Counters, Ctx, DocCache, Document, Step, Verdict};
use tamis_filters::lookup;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn jsonl_zst(path: &Path) -> Vec<Value> {
    let f = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    BufReader::new(zstd::Decoder::new(f).unwrap())
        .lines()
        .map(|l| serde_json::from_str(&l.unwrap()).unwrap())
        .collect()
}

#[test]
fn decisions_and_metadata_equal_datatrove() {
    // In the golden's order (ids repeat: the subset holds pages and their extracted articles).
    let mut texts: Vec<String> = jsonl_zst(&root().join("tests/golden/subset-input.jsonl.zst"))
        .into_iter()
        .map(|r| r["text"].as_str().unwrap().to_owned())
        .collect();
    texts.push(std::fs::read_to_string(root().join("sample/seed-page.txt")).unwrap());
    // Parameter sets as the golden script passes them to datatrove.
    let configs: BTreeMap<&str, Value> = [
        ("default", serde_json::json!({})),
        ("en", serde_json::json!({"languages": ["en"]})),
        ("en_de_fr_top", serde_json::json!({"languages": ["en", "de", "fr"], "language_threshold": 0.5, "keep_top_pairs_threshold": 0.001})),
        ("any_top", serde_json::json!({"keep_top_pairs_threshold": 0.01, "language_threshold": 0.9})),
    ]
    .into_iter()
    .collect();
    let entry = lookup("language").unwrap();
    let steps: BTreeMap<&str, Box<dyn Step>> = configs
        .iter()
        .map(|(k, v)| (*k, (entry.build)(v).unwrap()))
        .collect();
    let (mut counters, mut cache) = (Counters::default(), DocCache::default());
    let mut checked = 0;
    let golden =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/language-filter.jsonl.zst");
    for (i, g) in jsonl_zst(&golden).into_iter().enumerate() {
        let id = g["id"].as_str().unwrap();
        let mut doc = Document::new(id, texts[i % texts.len()].clone());
        let verdict = steps[g["config"].as_str().unwrap()].process(
            &mut doc,
            &mut Ctx {
                counters: &mut counters,
                cache: &mut cache,
            },
        );
        assert_eq!(
            verdict == Verdict::Keep,
            g["keep"].as_bool().unwrap(),
            "{} {id}",
            g["config"]
        );
        let got = Value::Object(doc.metadata.clone());
        assert_eq!(got, g["metadata"], "{} {id}", g["config"]);
        checked += 1;
    }
    assert_eq!(checked, 4 * 301);
}
