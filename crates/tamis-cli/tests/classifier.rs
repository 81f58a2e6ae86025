//! Model-based selection end to end: `tamis train-classifier` from labelled JSONL (fastText's
//! model bytes), the DCLM-style pipeline file (`pipelines/dclm.toml`) with a classifier trained
//! here, and `tamis select` all at once or stage by stage in shards, on the committed real
//! pages.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use serde_json::Value;

fn subset() -> PathBuf {
    root().join("tests/golden/subset-input.jsonl.zst")
}

/// A two-label (`hq`/`cc`) softmax bigram classifier trained by tools/gen_classifier_golden.py.
fn quality_model() -> String {
    root()
        .join("crates/tamis-filters/tests/golden/classifier/quality-bigram.bin")
        .display()
        .to_string()
}

/// Documents holding a score in `field`, as `(score, weight, kept)`.
fn scored(run: &Run, field: &str, weight: Option<&str>) -> Vec<(f64, u64, bool)> {
    let mut out = Vec::new();
    for (sub, kept) in [("kept", true), ("dropped", false)] {
        for d in run.records(sub) {
            if let Some(s) = d["metadata"][field].as_f64() {
                let w = weight.map_or(1, |w| d["metadata"][w].as_u64().unwrap());
                out.push((s, w, kept));
            }
        }
    }
    out
}

/// Whether a document scoring `s` is in the top `fraction` of the weight (docs/classifiers.md:
/// the documents scoring at most `s` weigh more than `1 - fraction` of the total).
fn in_top(all: &[(f64, u64, bool)], s: f64, fraction: f64) -> bool {
    let total: u64 = all.iter().map(|d| d.1).sum();
    let at_most: u64 = all.iter().filter(|d| d.0 <= s).map(|d| d.1).sum();
    at_most as f64 > (1.0 - fraction) * total as f64
}

#[test]
fn dclm_pipeline_filters_dedups_scores_and_keeps_the_top_tenth() {
    let tmp = tempfile::tempdir().unwrap();
    let toml = std::fs::read_to_string(root().join("pipelines/dclm.toml")).unwrap();
    let model_line = toml
        .lines()
        .find(|l| l.starts_with("model = "))
        .expect("the pipeline names its model");
    let toml = toml.replace(model_line, &format!("model = {:?}", quality_model()));
    let pipeline = pipeline_run(tmp.path(), &toml);
    let input = subset();
    let run = |name: &str, threads: &str| {
        run_ok(
            &pipeline,
            &[&input],
            &tmp.path().join(name),
            &["--threads", threads],
        )
    };
    let a = run("a", "1");
    let st = a.balanced();
    assert_eq!(
        step_ids(&st),
        [
            "gopher_repetition",
            "gopher_quality",
            "c4_quality",
            "fineweb_quality",
            "minhash",
            "fasttext_classifier",
            "rank_select"
        ]
    );
    // Every document that reached the selection has its score; the kept ones are exactly
    // those in the top tenth.
    let docs = scored(&a, "dclm_score", None);
    let ranked = st["steps"][6]["total"].as_u64().unwrap();
    assert_eq!(docs.len() as u64, ranked, "{st}");
    assert!(ranked > 40, "{ranked} documents reach the classifier");
    for &(s, _, kept) in &docs {
        assert_eq!(kept, in_top(&docs, s, 0.1), "score {s}");
    }
    let kept = st["kept"].as_u64().unwrap();
    assert!(
        kept * 10 >= ranked && kept * 10 < ranked + 20,
        "{kept} of {ranked}"
    );
    for d in a.records("kept") {
        assert!(d["metadata"]["minhash_cluster_size"].as_u64().is_some());
        assert!(
            d["metadata"].get("__label__cc").is_none(),
            "only `hq` is written"
        );
    }
    // The same bytes on two threads.
    let b = run("b", "2");
    for sub in ["kept", "dropped"] {
        assert_eq!(a.files(sub), b.files(sub), "{sub}");
    }
}

/// An ensemble in one pass: the quality classifier and the one-vs-all "edu" classifier, each
/// writing one score, then token counts.
fn scoring_pipeline(dir: &Path) -> [std::ffi::OsString; 3] {
    let edu = quality_model().replace("quality-bigram.bin", "edu-ova.bin");
    pipeline_run(
        dir,
        &format!(
            "[[step]]\ntype = \"fasttext_classifier\"\nmodel = {:?}\ninput = \"dclm\"\n\
             labels = [\"hq\"]\nkey = \"hq\"\n\n\
             [[step]]\ntype = \"fasttext_classifier\"\nmodel = {edu:?}\nlabels = [\"3\"]\n\
             key = \"edu3\"\n\n[[step]]\ntype = \"token_count\"\n",
            quality_model()
        ),
    )
}

#[test]
fn select_buckets_by_tokens_the_same_at_once_and_in_shards() {
    let tmp = tempfile::tempdir().unwrap();
    let scored_run = run_ok(
        &scoring_pipeline(tmp.path()),
        &[&subset()],
        &tmp.path().join("scored"),
        &[],
    );
    // Two input files, so that the filter stage has files to shard.
    let kept = scored_run.out.join("kept/00000.jsonl.zst");
    let half = tmp.path().join("b.jsonl");
    let docs = scored_run.records("kept");
    let lines: Vec<String> = docs.iter().map(Value::to_string).collect();
    std::fs::write(&half, lines[..50].join("\n") + "\n").unwrap();
    let inputs: [&Path; 2] = [&kept, &half];
    let select = [
        "select",
        "--field",
        "hq",
        "--field",
        "edu3",
        "--buckets",
        "5",
        "--min-bucket",
        "2",
        "--weight-field",
        "token_count",
        "--key",
        "quality",
    ];
    let all = run_ok(&select, &inputs, &tmp.path().join("all"), &[]);
    let st = all.balanced();
    assert_eq!(st["read"], docs.len() + 50);
    let step = &st["steps"][0];
    assert_eq!(step["step"], "rank_select");
    assert_eq!(step["thresholds"]["hq"].as_array().unwrap().len(), 4);
    assert_eq!(step["thresholds"]["edu3"].as_array().unwrap().len(), 4);
    // Every document has its bucket; the lower two are dropped.
    let mut per_bucket = [0u64; 5];
    for (sub, kept) in [("kept", true), ("dropped", false)] {
        for d in all.records(sub) {
            let b = d["metadata"]["quality"].as_u64().unwrap();
            assert_eq!(kept, b >= 2);
            per_bucket[b as usize] += d["metadata"]["token_count"].as_u64().unwrap();
        }
    }
    // Each document's bucket is the better of its two scores' buckets, so the upper buckets
    // hold more than their fifth of the tokens; every bucket is used.
    assert!(per_bucket.iter().all(|&t| t > 0), "{per_bucket:?}");
    assert!(per_bucket[4] > per_bucket[0], "{per_bucket:?}");

    // Stage by stage, in shards, with a small memory budget: the same files.
    let staged = tmp.path().join("staged");
    let work = tmp.path().join("work");
    let mut base: Vec<String> = select.iter().map(|s| s.to_string()).collect();
    base.extend([
        "--work-dir".into(),
        work.display().to_string(),
        "--memory".into(),
        "4K".into(),
    ]);
    for (stage, shards) in [
        ("signatures", 2),
        ("buckets", 1),
        ("clusters", 1),
        ("filter", 2),
    ] {
        for i in 0..shards {
            let mut extra = vec!["--stage", stage];
            let shard = format!("{i}/{shards}");
            if stage != "clusters" {
                extra.extend(["--shard", &shard]);
            }
            let b: Vec<&str> = base.iter().map(String::as_str).collect();
            run_ok(&b, &inputs, &staged, &extra);
        }
    }
    let b: Vec<&str> = base.iter().map(String::as_str).collect();
    let last = run_ok(&b, &inputs, &staged, &["--stage", "stats"]);
    for sub in ["kept", "dropped"] {
        assert_eq!(all.files(sub), last.files(sub), "{sub}");
    }
    assert_eq!(all.stats()["steps"], last.stats()["steps"]);
}

#[test]
fn select_refuses_bad_cuts_before_reading() {
    let tmp = tempfile::tempdir().unwrap();
    let input = subset();
    for (extra, word) in [
        (vec!["--field", "hq"], "--top"),
        (vec!["--field", "hq", "--top", "1.5"], "top"),
        (
            vec!["--field", "hq", "--buckets", "4", "--min-bucket", "4"],
            "min_bucket",
        ),
        (vec!["--top", "0.1"], "--field"),
    ] {
        let mut cmd = vec!["select"];
        cmd.extend(&extra);
        let o = try_run(&cmd, &[&input], &tmp.path().join("x"), &[]);
        assert_eq!(o.code(), Some(2), "{extra:?}: {}", o.stderr());
        assert!(o.stderr().contains(word), "{extra:?}: {}", o.stderr());
        assert!(!tmp.path().join("x/stats.json").exists());
    }
}

/// The training set and golden of tamis-lid's training tests (tools/gen_train_golden.py):
/// fastText-format lines `__label__a [__label__b ...] text`, as labelled JSONL documents.
fn lingua_jsonl(dir: &Path) -> (PathBuf, Value) {
    let golden = root().join("crates/tamis-lid/tests/golden");
    let raw = zstd::decode_all(std::fs::File::open(golden.join("train-lingua.txt.zst")).unwrap())
        .unwrap();
    let mut out = String::new();
    for line in String::from_utf8(raw).unwrap().lines() {
        let (labels, words): (Vec<&str>, Vec<&str>) = line
            .split(' ')
            .filter(|w| !w.is_empty())
            .partition(|w| w.starts_with("__label__"));
        let labels: Vec<&str> = labels.iter().map(|l| &l["__label__".len()..]).collect();
        let doc = serde_json::json!({"text": words.join(" "), "label": labels});
        out.push_str(&doc.to_string());
        out.push('\n');
    }
    let path = dir.join("lingua.jsonl");
    std::fs::write(&path, out).unwrap();
    let g: Value =
        serde_json::from_slice(&std::fs::read(golden.join("train-golden.json")).unwrap()).unwrap();
    (path, g)
}

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn train_classifier_from_jsonl_writes_fasttexts_model_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let (jsonl, golden) = lingua_jsonl(tmp.path());
    // fastText's `train_supervised(dim=12, epoch=10, lr=0.5, wordNgrams=2, bucket=20000,
    // minCount=2, seed=3, thread=1)` on the same lines.
    let cfg = golden["configs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "softmax-ngrams2-mincount2")
        .unwrap();
    let model = tmp.path().join("m.bin");
    let kept = tmp.path().join("train.txt");
    let o = tamis_ok(&[
        "train-classifier",
        jsonl.to_str().unwrap(),
        "-o",
        model.to_str().unwrap(),
        "--training-file",
        kept.to_str().unwrap(),
        "--input",
        "datatrove",
        "--thread",
        "1",
        "--dim",
        "12",
        "--epoch",
        "10",
        "--lr",
        "0.5",
        "--word-ngrams",
        "2",
        "--bucket",
        "20000",
        "--min-count",
        "2",
        "--seed",
        "3",
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("model written to"), "{err}");
    let bytes = std::fs::read(&model).unwrap();
    assert_eq!(bytes.len() as u64, cfg["size"].as_u64().unwrap());
    assert_eq!(sha256(&bytes), cfg["sha256"].as_str().unwrap());
    // The kept training file is fastText's format, one example per document.
    let train = std::fs::read_to_string(&kept).unwrap();
    let docs = std::fs::read_to_string(&jsonl).unwrap().lines().count();
    assert_eq!(train.lines().count(), docs);
    assert!(train.lines().all(|l| l.starts_with("__label__")));
    // No hidden temporary file is left next to the model.
    let names: Vec<String> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.starts_with('.')), "{names:?}");
}

#[test]
fn train_classifier_from_positive_and_negative_sets_scores_in_a_pipeline() {
    let tmp = tempfile::tempdir().unwrap();
    // Positives: the committed pages' texts; negatives: each page's shortest lines (menus,
    // footers), one document per page.
    let pages = jsonl_zst(&subset());
    let (mut pos, mut neg) = (String::new(), String::new());
    for p in &pages {
        let text = p["text"].as_str().unwrap();
        let short: Vec<&str> = text
            .lines()
            .filter(|l| l.split_whitespace().count() < 4)
            .collect();
        let long: Vec<&str> = text
            .lines()
            .filter(|l| l.split_whitespace().count() >= 12)
            .collect();
        if short.is_empty() || long.is_empty() {
            continue;
        }
        pos.push_str(&serde_json::json!({"text": long.join("\n")}).to_string());
        pos.push('\n');
        neg.push_str(&serde_json::json!({"text": short.join("\n")}).to_string());
        neg.push('\n');
    }
    let (p, n) = (tmp.path().join("pos.jsonl"), tmp.path().join("neg.jsonl"));
    std::fs::write(&p, pos).unwrap();
    std::fs::write(&n, neg).unwrap();
    let model = tmp.path().join("q.bin");
    tamis_ok(&[
        "train-classifier",
        "--positives",
        p.to_str().unwrap(),
        "--negatives",
        n.to_str().unwrap(),
        "-o",
        model.to_str().unwrap(),
        "--word-ngrams",
        "2",
        "--dim",
        "16",
        "--epoch",
        "10",
        "--bucket",
        "50000",
    ]);
    // The model scores the pipeline's documents: prose above menus.
    let docs = tmp.path().join("docs.jsonl");
    std::fs::write(
        &docs,
        "{\"id\":\"prose\",\"text\":\"The council approved the new budget on Tuesday after a long debate about schools, roads and the future of the harbour.\"}\n\
         {\"id\":\"menu\",\"text\":\"Home\\nNews\\nContact us\\nLogin\"}\n",
    )
    .unwrap();
    let pipeline = pipeline_run(
        tmp.path(),
        &format!(
            "[[step]]\ntype = \"fasttext_classifier\"\nmodel = {:?}\ninput = \"dclm\"\n\
             labels = [\"hq\"]\nkey = \"hq\"\n",
            model.display().to_string()
        ),
    );
    let run = run_ok(&pipeline, &[&docs], &tmp.path().join("out"), &[]);
    let scores: std::collections::HashMap<String, f64> = run
        .records("kept")
        .iter()
        .map(|d| {
            (
                d["id"].as_str().unwrap().to_owned(),
                d["metadata"]["hq"].as_f64().unwrap(),
            )
        })
        .collect();
    assert!(scores["prose"] > 0.5 && scores["menu"] < 0.5, "{scores:?}");
    // A document set without any example is an error naming the inputs.
    let empty = tmp.path().join("empty.jsonl");
    std::fs::write(&empty, "{\"text\": \"no label here\"}\n").unwrap();
    let o = tamis(&[
        "train-classifier",
        empty.to_str().unwrap(),
        "-o",
        model.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("empty.jsonl"));
}
