//! The `c4_badwords` step against datatrove 0.10.1's own `C4BadWordsFilter` (the same LDNOOBW
//! lists): on the shared corpora when `../shared` is present, on the committed subset always,
//! and on texts crafted from every list word and lingua sentences in each list's language. The
//! golden comes from `tools/gen_c4_badwords_golden.py`.

use std::collections::{BTreeMap, HashMap};
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
fn decisions_equal_datatrove() {
    let subset: Vec<String> = jsonl_zst(&root().join("tests/golden/subset-input.jsonl.zst"))
        .into_iter()
        .map(|r| r["text"].as_str().unwrap().to_owned())
        .collect();
    let mut corpus: HashMap<String, HashMap<String, String>> = HashMap::new();
    for name in ["pages", "articles"] {
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
    let entry = lookup("c4_badwords").unwrap();
    let steps: BTreeMap<&str, Box<dyn Step>> = [
        ("default", serde_json::json!({})),
        (
            "lenient",
            serde_json::json!({"fail_on_missing_language": false}),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k, (entry.build)(&v).unwrap()))
    .collect();
    let (mut counters, mut cache) = (Counters::default(), DocCache::default());
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/c4-badwords.jsonl.zst");
    let mut per_source: BTreeMap<String, (usize, usize)> = BTreeMap::new();
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
        let mut doc = Document::new("x", text);
        if let Some(lang) = g.get("language") {
            doc.metadata.insert("language".into(), lang.clone());
        }
        let verdict = steps[g["config"].as_str().unwrap()].process(
            &mut doc,
            &mut Ctx {
                counters: &mut counters,
                cache: &mut cache,
            },
        );
        let tally = per_source.entry(source.to_owned()).or_default();
        tally.0 += 1;
        if (verdict == Verdict::Keep) != g["keep"].as_bool().unwrap() {
            tally.1 += 1;
            diffs.push(format!("{g}: tamis {verdict:?}"));
        }
    }
    eprintln!("(checked, differences) per source: {per_source:?}");
    assert!(
        diffs.is_empty(),
        "{} differences:\n{}",
        diffs.len(),
        diffs[..diffs.len().min(30)].join("\n")
    );
    assert!(per_source.contains_key("subset") && per_source.contains_key("crafted"));
}
