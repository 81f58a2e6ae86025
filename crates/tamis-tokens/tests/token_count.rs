//! The `token_count` step against OpenAI tiktoken's `gpt2` counts: every document of the
//! shared corpora when `../shared` is present, the committed subset always, and crafted texts.
//! The golden comes from `tools/gen_token_count_golden.py`.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use serde_json::Value;
use tamis_core::{Counters, Ctx, DocCache, Document};
use tamis_filters::FilterEntry;
use tamis_tokens::TokenCount;

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
fn counts_equal_tiktoken_gpt2() {
    let subset: Vec<String> = jsonl_zst(&root().join("tests/golden/subset-input.jsonl.zst"))
        .into_iter()
        .map(|r| r["text"].as_str().unwrap().to_owned())
        .collect();
    let mut corpus: HashMap<String, HashMap<String, String>> = HashMap::new();
    for name in ["articles", "pages"] {
        let path = root().join(format!("../shared/data/corpus/{name}.jsonl.zst"));
        if !path.exists() {
            eprintln!("skipping the {name} corpus: {} is absent", path.display());
            continue;
        }
        let texts = jsonl_zst(&path)
            .into_iter()
            .map(|r| {
                let id = r["id"].as_str().unwrap().to_owned();
                (id, r["text"].as_str().unwrap().to_owned())
            })
            .collect();
        corpus.insert(name.to_owned(), texts);
    }
    // Built from its declaration, as the pipeline's registry builds it.
    let step = (FilterEntry::of::<TokenCount>().build)(&serde_json::json!({})).unwrap();
    let (mut counters, mut cache) = (Counters::default(), DocCache::default());
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/token-count.jsonl.zst");
    // (documents, tokens, differences)
    let mut per_source: BTreeMap<String, (usize, u64, usize)> = BTreeMap::new();
    let mut diffs = Vec::new();
    for g in jsonl_zst(&golden) {
        let source = g["source"].as_str().unwrap();
        let text = match source {
            "subset" => subset[g["index"].as_u64().unwrap() as usize].clone(),
            "pages" | "articles" => match corpus.get(source) {
                Some(texts) => texts[g["id"].as_str().unwrap()].clone(),
                None => continue,
            },
            _ => g["text"].as_str().unwrap().to_owned(),
        };
        let mut doc = Document::new("x", text.clone());
        step.process(
            &mut doc,
            &mut Ctx {
                counters: &mut counters,
                cache: &mut cache,
            },
        );
        let want = g["count"].as_u64().unwrap();
        let got = doc.metadata["token_count"].as_u64().unwrap();
        let tally = per_source.entry(source.to_owned()).or_default();
        tally.0 += 1;
        tally.1 += want;
        if got != want {
            tally.2 += 1;
            diffs.push(format!(
                "{source} {:?}: tamis {got}, tiktoken {want}",
                &text[..text.len().min(80)]
            ));
        }
    }
    eprintln!("(documents, tokens, differences) per source: {per_source:?}");
    assert!(
        diffs.is_empty(),
        "{} differences:\n{}",
        diffs.len(),
        diffs[..diffs.len().min(20)].join("\n")
    );
    assert!(per_source.contains_key("subset") && per_source.contains_key("crafted"));
    let total: u64 = per_source.values().map(|t| t.1).sum();
    assert_eq!(counters.get("tokens"), total);
}
