//! Selection by rank over real pages: the kept set and buckets follow their definition (checked
//! against a brute-force computation over the whole corpus in memory), and the outputs are the
//! same bytes whatever the thread count, shard count or memory budget.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use tamis_dedup::{DedupJob, Method, RankCut, RankSpec, Shard};

mod common;

use common::{job_with, jsonl_zst, output_bytes, repo_root};

/// The committed real pages, each with two scores and a weight measured on its text: the
/// share of letters, the number of lines modulo 7 (many ties), and the word count. Every
/// 25th page has no second score.
fn scored_pages() -> Vec<Value> {
    let pages = jsonl_zst(&repo_root().join("tests/golden/subset-input.jsonl.zst"));
    pages
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let text = p["text"].as_str().unwrap();
            let chars = text.chars().count().max(1) as f64;
            let letters = text.chars().filter(|c| c.is_alphabetic()).count() as f64;
            let mut meta = json!({
                "letters": letters / chars,
                "words": text.split_whitespace().count(),
            });
            if i % 25 != 7 {
                meta["lines"] = json!((text.lines().count() % 7) as f64);
            }
            json!({"id": i.to_string(), "text": text, "metadata": meta})
        })
        .collect()
}

fn write_inputs(dir: &Path, docs: &[Value], files: usize) -> Vec<PathBuf> {
    let per = docs.len().div_ceil(files);
    docs.chunks(per)
        .enumerate()
        .map(|(fi, chunk)| {
            let p = dir.join(format!("in-{fi}.jsonl"));
            let mut f = std::fs::File::create(&p).unwrap();
            for d in chunk {
                writeln!(f, "{d}").unwrap();
            }
            p
        })
        .collect()
}

fn job(spec: &RankSpec, inputs: &[PathBuf], out: &Path, memory: usize) -> DedupJob {
    job_with(Method::Rank(spec.clone()), inputs, out, memory)
}

/// id -> (kept, bucket, filter_reason) over all outputs.
fn outcome(out: &Path, key: &str) -> BTreeMap<usize, (bool, Option<u64>, Option<String>)> {
    let mut m = BTreeMap::new();
    for (sub, kept) in [("kept", true), ("dropped", false)] {
        let Ok(dir) = std::fs::read_dir(out.join(sub)) else {
            continue;
        };
        for f in dir {
            for v in jsonl_zst(&f.unwrap().path()) {
                let id: usize = v["id"].as_str().unwrap().parse().unwrap();
                let bucket = v["metadata"][key].as_u64();
                let reason = v["metadata"]["filter_reason"].as_str().map(str::to_owned);
                m.insert(id, (kept, bucket, reason));
            }
        }
    }
    m
}

/// The definition, computed over the whole corpus in memory: per field, a document's bucket is
/// the number of quantiles `q` for which the weight of the documents scoring at most as much
/// exceeds `q` of the total (documents without every score and the weight left out).
fn brute_force(docs: &[Value], spec: &RankSpec) -> BTreeMap<usize, Option<u32>> {
    let weight = |d: &Value| match &spec.weight_field {
        None => Some(1u64),
        Some(f) => d["metadata"][f].as_u64(),
    };
    let scored: Vec<(usize, Vec<f64>, u64)> = docs
        .iter()
        .enumerate()
        .filter_map(|(i, d)| {
            let s: Option<Vec<f64>> = spec
                .fields
                .iter()
                .map(|f| d["metadata"][f].as_f64())
                .collect();
            Some((i, s?, weight(d)?))
        })
        .collect();
    let total: u64 = scored.iter().map(|s| s.2).sum();
    let mut out: BTreeMap<usize, Option<u32>> = (0..docs.len()).map(|i| (i, None)).collect();
    for (i, scores, _) in &scored {
        let best = (0..spec.fields.len())
            .map(|f| {
                let at_most: u64 = scored
                    .iter()
                    .filter(|o| o.1[f] <= scores[f])
                    .map(|o| o.2)
                    .sum();
                match spec.cut {
                    RankCut::Top { fraction } => {
                        u32::from(at_most as f64 > (1.0 - fraction) * total as f64)
                    }
                    RankCut::Buckets { count, .. } => (1..count)
                        .filter(|&k| {
                            u128::from(at_most) * u128::from(count)
                                > u128::from(k) * u128::from(total)
                        })
                        .count() as u32,
                }
            })
            .max()
            .unwrap();
        out.insert(*i, Some(best));
    }
    out
}

#[test]
fn top_fraction_by_tokens_follows_the_definition_for_any_threads_and_shards() {
    let docs = scored_pages();
    let tmp = tempfile::tempdir().unwrap();
    let inputs = write_inputs(tmp.path(), &docs, 3);
    let spec = RankSpec {
        fields: vec!["letters".into()],
        weight_field: Some("words".into()),
        cut: RankCut::Top { fraction: 0.1 },
        key: "rank_bucket".into(),
    };
    let a = tmp.path().join("a");
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let stats = one
        .install(|| job(&spec, &inputs, &a, 1 << 30).run_all(1))
        .unwrap();
    let want = brute_force(&docs, &spec);
    let got = outcome(&a, "rank_bucket");
    assert_eq!(got.len(), docs.len());
    let mut kept_words = 0;
    for (id, (kept, bucket, reason)) in &got {
        assert_eq!(*kept, want[id] == Some(1), "document {id}");
        assert_eq!(*bucket, None, "top mode writes no bucket");
        if !kept {
            assert_eq!(reason.as_deref(), Some("below_rank_threshold"));
        } else {
            kept_words += docs[*id]["metadata"]["words"].as_u64().unwrap();
        }
    }
    // The kept pages hold at least a tenth of the words, and not much more.
    let total: u64 = docs
        .iter()
        .map(|d| d["metadata"]["words"].as_u64().unwrap())
        .sum();
    let share = kept_words as f64 / total as f64;
    assert!((0.1..0.2).contains(&share), "kept {share} of the words");
    let step = &stats["steps"][0];
    assert_eq!(step["step"], "rank_select");
    assert_eq!(step["total_weight"], total);
    assert_eq!(step["thresholds"]["letters"].as_array().unwrap().len(), 1);
    assert_eq!(
        stats["read"],
        stats["kept"].as_u64().unwrap() + stats["dropped"].as_u64().unwrap()
    );

    // Two threads, stages in shards, a budget that spills many runs: the same bytes.
    let b = tmp.path().join("b");
    let two = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    two.install(|| {
        let j = job(&spec, &inputs, &b, 1);
        for i in 0..2 {
            j.signatures(Shard { index: i, count: 2 }).unwrap();
        }
        j.buckets(Shard { index: 0, count: 1 }).unwrap();
        j.clusters().unwrap();
        for i in (0..3).rev() {
            j.filter(Shard { index: i, count: 3 }).unwrap();
        }
        assert_eq!(j.stats(0.0, 2, &[]).unwrap()["steps"], stats["steps"]);
    });
    let runs = std::fs::read_dir(b.join("work/signatures/b000"))
        .unwrap()
        .count();
    assert!(runs > 3, "the tiny budget must spill several runs: {runs}");
    assert_eq!(output_bytes(&a), output_bytes(&b));
}

#[test]
fn ensemble_buckets_take_each_documents_best_and_drop_unscored_ones() {
    let docs = scored_pages();
    let tmp = tempfile::tempdir().unwrap();
    let inputs = write_inputs(tmp.path(), &docs, 2);
    let spec = RankSpec {
        fields: vec!["letters".into(), "lines".into()],
        weight_field: None,
        cut: RankCut::Buckets {
            count: 5,
            min_bucket: 2,
        },
        key: "quality".into(),
    };
    let out = tmp.path().join("out");
    let stats = job(&spec, &inputs, &out, 1 << 20).run_all(2).unwrap();
    let want = brute_force(&docs, &spec);
    let got = outcome(&out, "quality");
    let mut seen = [0usize; 5];
    for (id, (kept, bucket, reason)) in &got {
        match want[id] {
            None => {
                assert!(!kept);
                assert_eq!(reason.as_deref(), Some("missing_score"), "document {id}");
            }
            Some(b) => {
                assert_eq!(*bucket, Some(u64::from(b)), "document {id}");
                assert_eq!(*kept, b >= 2, "document {id}");
                seen[b as usize] += 1;
            }
        }
    }
    assert!(
        seen.iter().all(|&n| n > 0),
        "every bucket is used: {seen:?}"
    );
    let step = &stats["steps"][0];
    let missing = docs
        .iter()
        .filter(|d| d["metadata"]["lines"].is_null())
        .count();
    assert_eq!(step["dropped_missing_score"], missing);
    assert_eq!(step["thresholds"]["lines"].as_array().unwrap().len(), 4);
}
