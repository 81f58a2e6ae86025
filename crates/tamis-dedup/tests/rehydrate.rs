//! Rehydration against FineWeb-2's own `Rehydrater` blocks run by datatrove 0.10.1
//! (`tools/gen_rehydration_golden.py`): the per-language tables of
//! `misc/rehydration/weights/up_to_<NN>_reps.json` for 3 to 10 repetitions, and the fixed table of
//! the repository's README, on documents at every limit of 112 languages' tables.

mod common;

use std::path::Path;

use common::{golden, jsonl_zst, read_zst_lines};
use serde_json::Value;
use tamis_dedup::{RehydrateJob, Weights};
use tamis_io::{expand_inputs, Compression, InputFile, ReadOptions};

fn job(inputs: Vec<InputFile>, out: &Path, weights: Weights) -> RehydrateJob {
    RehydrateJob {
        weights,
        weights_name: "test".into(),
        language: None,
        size_key: "minhash_cluster_size".into(),
        inputs,
        out_dir: out.to_path_buf(),
        compression: Compression::Zstd,
        read: ReadOptions::default(),
        progress: None,
    }
}

fn run(job: &RehydrateJob, threads: usize) -> Value {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
        .install(|| job.run(threads))
        .unwrap()
}

/// The number of consecutive copies of each document, checking that copies are identical lines
/// and that documents come in `ids` order.
fn copies_in(path: &Path, ids: &[String]) -> Vec<u64> {
    let lines = read_zst_lines(path);
    let mut out: Vec<u64> = Vec::new();
    let mut prev: Option<&String> = None;
    let mut order = Vec::new();
    for line in &lines {
        if prev == Some(line) {
            *out.last_mut().unwrap() += 1;
        } else {
            let v: Value = serde_json::from_str(line).unwrap();
            order.push(v["id"].as_str().unwrap().to_string());
            out.push(1);
        }
        prev = Some(line);
    }
    assert_eq!(
        order, ids,
        "one run of identical lines per input document, in input order"
    );
    out
}

#[test]
fn copies_equal_fineweb2s_rehydrater() {
    let input = golden("rehydration/input.jsonl.zst");
    let ids: Vec<String> = jsonl_zst(&input)
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_string())
        .collect();
    let want: serde_json::Map<String, Value> =
        serde_json::from_str(&std::fs::read_to_string(golden("rehydration/copies.json")).unwrap())
            .unwrap();
    assert_eq!(want.len(), 9, "3..10 repetitions and the README's table");
    let tmp = tempfile::tempdir().unwrap();
    for (key, expected) in &want {
        let weights = match key.as_str() {
            // The table hard-coded in huggingface/fineweb-2's README.md `Rehydrater`.
            "readme" => {
                Weights::from_json(r#"{"1": 1, "2": 2, "3": 3, "5": 5, "100": 8, "1000": 1}"#)
                    .unwrap()
            }
            r => Weights::fineweb2(r.parse().unwrap()).unwrap(),
        };
        let out = tmp.path().join(key);
        let stats = run(&job(vec![InputFile::new(&input)], &out, weights), 2);
        let expected: Vec<u64> = expected
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap())
            .collect();
        let got = copies_in(&out.join("kept/00000.jsonl.zst"), &ids);
        let bad: Vec<_> = ids
            .iter()
            .zip(got.iter().zip(&expected))
            .filter(|(_, (g, e))| g != e)
            .take(5)
            .collect();
        assert!(bad.is_empty(), "{key}: (id, (tamis, datatrove)) {bad:?}");
        assert_eq!(stats["written"], expected.iter().sum::<u64>(), "{key}");
        assert_eq!(stats["kept"], ids.len(), "{key}");
        assert_eq!(stats["read"], ids.len(), "{key}");
        assert_eq!(stats["steps"][0]["no_weights"], 0, "{key}");
    }
}

/// Documents of a test file: (id, metadata JSON).
fn write_jsonl(path: &Path, docs: &[(&str, &str)]) {
    let body: String = docs
        .iter()
        .map(|(id, meta)| {
            format!("{{\"id\":\"{id}\",\"text\":\"text of {id}\",\"metadata\":{meta}}}\n")
        })
        .collect();
    std::fs::write(path, body).unwrap();
}

#[test]
fn every_record_is_counted_and_output_is_the_same_for_any_thread_count() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("in");
    std::fs::create_dir(&dir).unwrap();
    write_jsonl(
        &dir.join("a.jsonl"),
        &[
            (
                "fra-4",
                r#"{"language":"fra","language_script":"Latn","minhash_cluster_size":4}"#,
            ),
            ("no-size", r#"{"language":"fra","language_script":"Latn"}"#),
            (
                "xyz",
                r#"{"language":"xyz","language_script":"Latn","minhash_cluster_size":9}"#,
            ),
            (
                "negative",
                r#"{"language":"fra","language_script":"Latn","minhash_cluster_size":-2}"#,
            ),
        ],
    );
    let mut b = String::from("{\"id\":\"broken\",\"text\":\n");
    b.push_str(r#"{"id":"deu-30","text":"t","metadata":{"language":"deu","language_script":"Latn","minhash_cluster_size":30}}"#);
    b.push('\n');
    std::fs::write(dir.join("b.jsonl"), b).unwrap();
    let inputs = || expand_inputs(&[dir.to_str().unwrap()]);
    assert_eq!(inputs().len(), 2);

    let w = Weights::fineweb2(5).unwrap();
    let fra = Weights::fineweb2(5).unwrap();
    let mut fra_doc = tamis_core::Document::new("x", "y");
    fra_doc.metadata.insert("language".into(), "fra".into());
    fra_doc
        .metadata
        .insert("language_script".into(), "Latn".into());
    let fra4 = fra.for_doc(&fra_doc, None).unwrap().copies(4);
    let deu30 = fra.for_doc(&fra_doc, Some("deu_Latn")).unwrap().copies(30);
    assert!(fra4 > 1 && deu30 > 1, "the test needs repeated documents");

    let one = tmp.path().join("one");
    let stats = run(&job(inputs(), &one, w.clone()), 1);
    assert_eq!(stats["read"], 6);
    assert_eq!(stats["kept"], 4, "fra-4, no-size, xyz, deu-30");
    assert_eq!(
        stats["quarantined"], 2,
        "the broken line and the negative size"
    );
    assert_eq!(stats["quarantine_reasons"]["invalid_cluster_size"], 1);
    assert_eq!(stats["steps"][0]["no_cluster_size"], 1);
    assert_eq!(stats["steps"][0]["no_weights"], 1);
    assert_eq!(stats["written"], u64::from(fra4 + 1 + 1 + deu30));
    let q = read_zst_lines_plain(&one.join("quarantine/00000.jsonl"));
    assert!(q[0].contains("minhash_cluster_size is -2"), "{q:?}");
    assert!(q[0].contains("a.jsonl"), "names the file: {q:?}");

    let three = tmp.path().join("three");
    run(&job(inputs(), &three, w), 3);
    for f in [
        "kept/00000.jsonl.zst",
        "kept/00001.jsonl.zst",
        "quarantine/00000.jsonl",
    ] {
        assert_eq!(
            std::fs::read(one.join(f)).unwrap(),
            std::fs::read(three.join(f)).unwrap(),
            "{f}"
        );
    }

    // One language's table for every document: xyz now gets deu_Latn's weights.
    let over = tmp.path().join("override");
    let mut j = job(inputs(), &over, Weights::fineweb2(5).unwrap());
    j.language = Some("deu_Latn".into());
    let stats = run(&j, 2);
    assert_eq!(stats["steps"][0]["no_weights"], 0);
}

fn read_zst_lines_plain(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}
