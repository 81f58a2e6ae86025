//! What the parity tests of every crate share: where the repository and `../shared` are, how
//! golden files are read, the committed subset and the shared corpora, and a runner that
//! feeds documents to a step with its own counters and cache.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use serde_json::Value;
use tamis_core::{Counters, Ctx, DocCache, Document, Step, Verdict};

/// The repository's root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every record of a `.jsonl.zst` file; panics naming the file when it cannot be read.
pub fn jsonl_zst(path: &Path) -> Vec<Value> {
    let f = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    BufReader::new(zstd::Decoder::new(f).unwrap())
        .lines()
        .map(|l| serde_json::from_str(&l.unwrap()).unwrap())
        .collect()
}

/// The texts of the committed subset of real pages (`tests/golden/subset-input.jsonl.zst`), in
/// file order; goldens refer to them by index.
pub fn subset_texts() -> Vec<String> {
    jsonl_zst(&root().join("tests/golden/subset-input.jsonl.zst"))
        .into_iter()
        .map(|r| r["text"].as_str().unwrap().to_owned())
        .collect()
}

/// The shared corpora named (`pages`, `articles`) as id -> text, each left out with a message
/// when `../shared` does not have it (a fresh clone).
pub fn shared_corpora(names: &[&str]) -> HashMap<String, HashMap<String, String>> {
    let mut out = HashMap::new();
    for name in names {
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
        out.insert((*name).to_owned(), texts);
    }
    out
}

/// Runs steps on documents as the executor does, with counters and a cache of its own.
#[derive(Default)]
pub struct StepRunner {
    pub counters: Counters,
    cache: DocCache,
}

impl StepRunner {
    pub fn run(&mut self, step: &dyn Step, doc: &mut Document) -> Verdict {
        step.process(
            doc,
            &mut Ctx {
                counters: &mut self.counters,
                cache: &mut self.cache,
            },
        )
    }
}

/// The text a golden record was made from: `source` `subset` (by `index`), `pages` or
/// `articles` (by `id`; `None` when that corpus is absent here), else its own `text`.
pub fn golden_text(
    g: &Value,
    subset: &[String],
    corpus: &HashMap<String, HashMap<String, String>>,
) -> Option<String> {
    match g["source"].as_str().unwrap() {
        "subset" => Some(subset[g["index"].as_u64().unwrap() as usize].clone()),
        source @ ("pages" | "articles") => corpus
            .get(source)
            .map(|texts| texts[g["id"].as_str().unwrap()].clone()),
        _ => Some(g["text"].as_str().unwrap().to_owned()),
    }
}

/// Fails when a parity test found differences, saying how many and showing the first 20.
pub fn assert_no_diffs(diffs: &[String]) {
    assert!(
        diffs.is_empty(),
        "{} differences:\n{}",
        diffs.len(),
        diffs[..diffs.len().min(20)].join("\n")
    );
}
