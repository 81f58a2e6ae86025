//! The out-of-core MinHash job: the same removed set as datatrove's four stages, and the same
//! output bytes whatever the thread count, shard count or memory budget; exact and line dedup
//! through the same stages.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::Value;
use tamis_dedup::{DedupJob, ExactKey, Method, MinHasher, MinhashConfig, Shard, Survivor};

mod common;

use common::{
    golden_clusters, job_with, jsonl_zst as read_zst_lines, output_bytes, repo_root, shared_corpus,
};

fn job(inputs: &[PathBuf], out: &Path, survivor: Survivor, memory: usize) -> DedupJob {
    let method = Method::MinHash {
        hasher: MinHasher::new(MinhashConfig::default()).unwrap(),
        survivor,
    };
    job_with(method, inputs, out, memory)
}

/// Writes `texts` as JSONL with ids "0", "1", ... split over `files` files; returns the paths.
fn write_inputs(dir: &Path, texts: &[String], files: usize) -> Vec<PathBuf> {
    let per = texts.len().div_ceil(files);
    texts
        .chunks(per)
        .enumerate()
        .map(|(fi, chunk)| {
            let p = dir.join(format!("in-{fi}.jsonl"));
            let mut f = std::fs::File::create(&p).unwrap();
            for (i, t) in chunk.iter().enumerate() {
                let v = serde_json::json!({"id": (fi * per + i).to_string(), "text": t});
                writeln!(f, "{v}").unwrap();
            }
            p
        })
        .collect()
}

/// id -> (kept, minhash_cluster_size) over all output files.
fn outcome(out: &Path) -> BTreeMap<usize, (bool, u64)> {
    let mut m = BTreeMap::new();
    for (sub, kept) in [("kept", true), ("dropped", false)] {
        let dir = out.join(sub);
        for f in std::fs::read_dir(&dir).unwrap() {
            for v in read_zst_lines(&f.unwrap().path()) {
                let id: usize = v["id"].as_str().unwrap().parse().unwrap();
                let size = v["metadata"]["minhash_cluster_size"].as_u64().unwrap();
                // datatrove's MinhashDedupFilter: a cluster id on every document, -1 alone.
                let cluster = v["metadata"]["minhash_cluster_id"].as_i64().unwrap();
                assert_eq!(cluster == -1, size == 1, "{v}");
                m.insert(id, (kept, size));
            }
        }
    }
    m
}

/// The committed subset plus edited copies of some of its documents, so there are clusters.
fn subset_with_near_duplicates() -> Vec<String> {
    let docs = read_zst_lines(&repo_root().join("tests/golden/subset-input.jsonl.zst"));
    let mut texts: Vec<String> = docs
        .iter()
        .map(|d| d["text"].as_str().unwrap().to_owned())
        .collect();
    for k in (0..texts.len()).step_by(7).collect::<Vec<_>>() {
        // A copy with a boilerplate line added and one word changed: still near-identical.
        let copy = format!(
            "Share this article\n{}",
            texts[k].replacen(" the ", " a ", 1)
        );
        texts.push(copy.clone());
        if k % 3 == 0 {
            texts.push(format!("{copy}\nAll rights reserved."));
        }
    }
    texts
}

/// The stages one by one, each in shards (signatures and filter in 2, buckets in 3; filter
/// shards in reverse order), as a cluster scheduler may run them.
fn run_in_shards(j: &DedupJob) {
    for i in 0..2 {
        j.signatures(Shard { index: i, count: 2 }).unwrap();
    }
    for i in 0..3 {
        j.buckets(Shard { index: i, count: 3 }).unwrap();
    }
    j.clusters().unwrap();
    for i in (0..2).rev() {
        j.filter(Shard { index: i, count: 2 }).unwrap();
    }
}

#[test]
fn output_is_identical_for_any_threads_shards_and_memory() {
    let tmp = tempfile::tempdir().unwrap();
    let texts = subset_with_near_duplicates();
    let inputs = write_inputs(tmp.path(), &texts, 3);

    let a = tmp.path().join("a");
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let stats = one
        .install(|| job(&inputs, &a, Survivor::First, 1 << 30).run_all(1))
        .unwrap();
    assert_eq!(stats["read"], texts.len());
    assert_eq!(
        stats["read"].as_u64(),
        Some(stats["kept"].as_u64().unwrap() + stats["dropped"].as_u64().unwrap())
    );
    let dropped = stats["dropped"].as_u64().unwrap();
    assert!(dropped >= 50, "the edited copies must be found: {dropped}");

    // Two threads, a budget small enough to spill many runs, stages run shard by shard.
    let b = tmp.path().join("b");
    let two = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    two.install(|| {
        let j = job(&inputs, &b, Survivor::First, 1);
        run_in_shards(&j);
        j.stats(0.0, 2, &[]).unwrap();
    });
    let runs = std::fs::read_dir(b.join("work/signatures/b000"))
        .unwrap()
        .count();
    assert!(
        runs > 3,
        "the tiny budget must spill several runs per file: {runs}"
    );
    assert_eq!(output_bytes(&a), output_bytes(&b));

    // Every edited copy is dropped in favour of the earlier original.
    let got = outcome(&a);
    let originals = read_zst_lines(&repo_root().join("tests/golden/subset-input.jsonl.zst")).len();
    for (id, (kept, size)) in &got {
        if *id >= originals && *size > 1 {
            assert!(!kept, "copy {id} of a cluster must be dropped");
        }
    }
}

#[test]
fn stages_refuse_to_run_before_their_inputs_exist() {
    let tmp = tempfile::tempdir().unwrap();
    let inputs = write_inputs(tmp.path(), &["one two three four five six".to_owned()], 1);
    let j = job(&inputs, &tmp.path().join("o"), Survivor::First, 1 << 20);
    let err = j.buckets(Shard::ALL).unwrap_err().to_string();
    assert!(
        err.contains("signatures") && err.contains("f000000.json"),
        "{err}"
    );
    j.signatures(Shard::ALL).unwrap();
    let err = j.clusters().unwrap_err().to_string();
    assert!(err.contains("buckets"), "{err}");
    let err = j.filter(Shard::ALL).unwrap_err().to_string();
    assert!(err.contains("clusters"), "{err}");
}

#[test]
fn bad_records_are_quarantined_and_counted() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("in.jsonl");
    std::fs::write(
        &p,
        "{\"id\":\"a\",\"text\":\"the same five words here\"}\nnot json\n{\"id\":\"b\",\"text\":\"the same five words here\"}\n",
    )
    .unwrap();
    let out = tmp.path().join("o");
    let stats = job(&[p], &out, Survivor::First, 1 << 20)
        .run_all(1)
        .unwrap();
    assert_eq!(
        (
            &stats["read"],
            &stats["kept"],
            &stats["dropped"],
            &stats["quarantined"]
        ),
        (&3.into(), &1.into(), &1.into(), &1.into())
    );
    let q = std::fs::read_to_string(out.join("quarantine/00000.jsonl")).unwrap();
    assert!(
        q.contains("\"line\":2") && q.contains("invalid_json"),
        "{q}"
    );
}

#[test]
fn shared_corpora_removed_set_equals_datatrove() {
    let Some(shared) = shared_corpus() else {
        return;
    };
    let mut texts = Vec::new();
    for name in ["pages.jsonl.zst", "articles.jsonl.zst"] {
        texts.extend(
            read_zst_lines(&shared.join(name))
                .iter()
                .map(|d| d["text"].as_str().unwrap().to_owned()),
        );
    }
    let tmp = tempfile::tempdir().unwrap();
    // Two input files, in the golden's order (pages, then articles).
    let inputs = write_inputs(tmp.path(), &texts, 2);
    let out = tmp.path().join("o");
    job(&inputs, &out, Survivor::Datatrove, 64 << 20)
        .run_all(0)
        .unwrap();
    let got: BTreeMap<usize, (bool, u64)> = outcome(&out)
        .into_iter()
        .filter(|(_, (_, size))| *size > 1)
        .map(|(id, (kept, size))| (id, (!kept, size)))
        .collect();
    let want = golden_clusters();
    assert_eq!(got, want);
}

#[test]
fn exact_dedup_by_text_field_and_priority() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("in.jsonl");
    let rows = [
        r#"{"id":"a","text":"Hello, World! 2024","metadata":{"url":"u1","score":1}}"#,
        r#"{"id":"b","text":"hello world 1999","metadata":{"url":"u2","score":5}}"#,
        r#"{"id":"c","text":"Hello, World! 2024","metadata":{"url":"u1","score":3}}"#,
        r#"{"id":"d","text":"something else entirely","metadata":{"score":9}}"#,
    ];
    std::fs::write(&p, rows.join("\n") + "\n").unwrap();
    let run = |key: ExactKey, name: &str| {
        let out = tmp.path().join(name);
        let stats = job_with(Method::Exact(key), std::slice::from_ref(&p), &out, 1 << 20)
            .run_all(1)
            .unwrap();
        assert_eq!(stats["steps"][0]["step"], "exact_dedup");
        let mut dropped: Vec<String> = Vec::new();
        let d = out.join("dropped/00000.jsonl.zst");
        if d.exists() {
            for v in read_zst_lines(&d) {
                assert_eq!(v["metadata"]["filter_reason"], "exact_duplicate");
                dropped.push(v["id"].as_str().unwrap().to_owned());
            }
        }
        dropped
    };
    // Raw text: only a and c are identical; the first survives.
    assert_eq!(run(ExactKey::default(), "raw"), ["c"]);
    // Normalised: case, punctuation and numbers folded, so b joins them.
    let norm = ExactKey {
        normalize: true,
        ..ExactKey::default()
    };
    assert_eq!(run(norm.clone(), "norm"), ["b", "c"]);
    // datatrove's ExactDedupFilter name: the copies removed, on every kept document.
    let kept: Vec<(String, u64)> = read_zst_lines(&tmp.path().join("norm/kept/00000.jsonl.zst"))
        .iter()
        .map(|v| {
            let n = v["metadata"]["duplicate_count"].as_u64().unwrap();
            assert_eq!(v["metadata"]["exact_cluster_size"].as_u64(), Some(n + 1));
            (v["id"].as_str().unwrap().to_owned(), n)
        })
        .collect();
    assert_eq!(kept, [("a".to_owned(), 2), ("d".to_owned(), 0)]);
    // With a priority field the highest score survives: b.
    let prio = ExactKey {
        priority: Some("score".into()),
        ..norm
    };
    assert_eq!(run(prio, "prio"), ["a", "c"]);
    // By URL: a and c share u1; d has no url and can match nothing.
    let url = ExactKey {
        field: Some("url".into()),
        ..ExactKey::default()
    };
    assert_eq!(run(url, "url"), ["c"]);
}

#[test]
fn line_dedup_removes_template_lines_and_logs_them() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("in.jsonl");
    let header = "Home | News | Sport";
    let footer = "© 2024 Example News. All rights reserved.";
    let mut rows = Vec::new();
    // Digits are folded before comparing, so the unique lines differ in words.
    for (i, topic) in ["rivers", "bridges", "orchards", "lighthouses"]
        .iter()
        .enumerate()
    {
        let text = format!(
            "{header}\nA unique story about {topic}.\n\nIt goes on about {topic} here.\n{footer}\n"
        );
        rows.push(serde_json::json!({"id": format!("a{i}"), "text": text}).to_string());
    }
    // Only template lines (normalised: case and digits folded): nothing left, dropped.
    rows.push(
        serde_json::json!({"id": "t", "text": format!("HOME | news | sport\n{footer}")})
            .to_string(),
    );
    // A line in exactly two documents: below min_docs = 3, kept.
    rows.push(serde_json::json!({"id": "p1", "text": "Shared by two.\nOwn line one."}).to_string());
    rows.push(serde_json::json!({"id": "p2", "text": "Shared by two.\nOwn line two."}).to_string());
    std::fs::write(&p, rows.join("\n") + "\n").unwrap();
    let originals: BTreeMap<String, String> = rows
        .iter()
        .map(|r| {
            let v: Value = serde_json::from_str(r).unwrap();
            (
                v["id"].as_str().unwrap().to_owned(),
                v["text"].as_str().unwrap().to_owned(),
            )
        })
        .collect();

    let out = tmp.path().join("o");
    let stats = job_with(Method::Lines { min_docs: 3 }, &[p], &out, 1 << 20)
        .run_all(1)
        .unwrap();
    let step = &stats["steps"][0];
    assert_eq!(step["step"], "line_dedup");
    assert_eq!(step["removed_lines_corpus_repeated_line"], 8, "{stats}");
    assert_eq!((&stats["kept"], &stats["dropped"]), (&6.into(), &1.into()));

    for v in read_zst_lines(&out.join("kept/00000.jsonl.zst")) {
        let id = v["id"].as_str().unwrap();
        let text = v["text"].as_str().unwrap();
        assert!(
            !text.contains("Home") && !text.contains("rights reserved"),
            "{id}: {text}"
        );
        if id.starts_with('p') {
            assert!(text.contains("Shared by two."));
            assert!(v["metadata"].get("tamis_edits").is_none());
        } else {
            let replayed =
                tamis_clean::apply_edits(&originals[id], &v["metadata"]["tamis_edits"]).unwrap();
            assert_eq!(replayed, text);
        }
    }
    let dropped = read_zst_lines(&out.join("dropped/00000.jsonl.zst"));
    assert_eq!(dropped[0]["id"], "t");
    assert_eq!(
        dropped[0]["text"],
        originals["t"].as_str(),
        "dropped as read"
    );
    assert_eq!(
        dropped[0]["metadata"]["filter_reason"],
        "all_lines_duplicated"
    );
}

#[test]
fn exact_and_line_dedup_are_identical_stage_by_stage_in_shards() {
    // The subset with edited copies (repeated lines) and exact copies of every fifth text.
    let mut texts = subset_with_near_duplicates();
    let copies: Vec<String> = texts.iter().step_by(5).cloned().collect();
    texts.extend(copies);
    let tmp = tempfile::tempdir().unwrap();
    let inputs = write_inputs(tmp.path(), &texts, 3);
    let exact = || Method::Exact(ExactKey::default());
    let lines = || Method::Lines { min_docs: 2 };
    for (name, method) in [("exact", &exact as &dyn Fn() -> Method), ("lines", &lines)] {
        let a = tmp.path().join(format!("{name}-all"));
        let stats = job_with(method(), &inputs, &a, 1 << 30).run_all(1).unwrap();
        assert!(stats["dropped"].as_u64().unwrap() > 0, "{name}: {stats}");
        // Shards of every stage, with a budget small enough to spill several runs.
        let b = tmp.path().join(format!("{name}-staged"));
        let j = job_with(method(), &inputs, &b, 64 << 10);
        run_in_shards(&j);
        let staged = j.stats(0.0, 1, &[]).unwrap();
        assert_eq!(output_bytes(&a), output_bytes(&b), "{name}");
        assert_eq!(stats["steps"], staged["steps"], "{name}");
        // The keys are spread over the partitions, so each buckets shard decides a share.
        let deciding = std::fs::read_dir(b.join("work/pairs"))
            .unwrap()
            .filter(|f| f.as_ref().unwrap().metadata().unwrap().len() > 0)
            .count();
        assert!(
            deciding > 3,
            "{name}: {deciding} partitions hold duplicates"
        );
    }
}

#[test]
fn progress_reaches_the_input_size_in_each_reading_stage() {
    use std::sync::{Arc, Mutex};
    let tmp = tempfile::tempdir().unwrap();
    let texts: Vec<String> = (0..3000)
        .map(|i| format!("document number {i} has some words in it"))
        .collect();
    let inputs = write_inputs(tmp.path(), &texts, 2);
    let size: u64 = inputs
        .iter()
        .map(|p| std::fs::metadata(p).unwrap().len())
        .sum();
    let seen: Arc<Mutex<Vec<(String, u64, u64)>>> = Arc::default();
    let log = seen.clone();
    let mut j = job(&inputs, &tmp.path().join("o"), Survivor::First, 1 << 20);
    j.progress = Some(Arc::new(move |stage: &str, done, total| {
        log.lock().unwrap().push((stage.to_owned(), done, total));
    }));
    j.run_all(1).unwrap();
    let seen = seen.lock().unwrap();
    for stage in ["signatures", "filter"] {
        let events: Vec<&(String, u64, u64)> = seen.iter().filter(|e| e.0 == stage).collect();
        // Progress moves per chunk read ahead (4 MiB of documents): here the start and the
        // end of each of the two files.
        assert!(events.len() >= 3, "{stage}: {events:?}");
        assert!(
            events.windows(2).all(|w| w[0].1 <= w[1].1),
            "{stage} never goes back"
        );
        let last = events.last().unwrap();
        assert_eq!(
            (last.1, last.2),
            (size, size),
            "{stage} ends at the input size"
        );
    }
}
