//! The `fineweb-2-text` preset end to end: per-language thresholds, MinHash within each
//! language only, per-language filters and one output folder per language, with the same
//! bytes at any thread count.

use std::path::Path;

use serde_json::{json, Value};

mod common;

use common::{jsonl_zst, preset, read_dir_bytes, root, run_ok};

/// Files and their bytes.
type Files = Vec<(String, Vec<u8>)>;

/// Every file under `dir`, per language folder, with its bytes.
fn tree_bytes(dir: &Path) -> Vec<(String, Files)> {
    let mut subs: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    subs.sort();
    subs.iter()
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                read_dir_bytes(p),
            )
        })
        .collect()
}

/// The FineWeb-2 parity documents that pass the language-score threshold, plus a copy of a kept
/// Portuguese article under another id (a duplicate within its language) and one labelled
/// Spanish (the same text in another language: not a duplicate there).
fn input(dir: &Path) -> (std::path::PathBuf, String) {
    let rows = jsonl_zst(&root().join("crates/tamis-filters/tests/golden/fineweb2/docs.jsonl.zst"));
    let mut lines = Vec::new();
    let mut article = None;
    for g in &rows {
        let doc = json!({"id": g["id"], "text": g["text"], "metadata": g["metadata"]});
        if g["id"] == "por_Latn/article" {
            assert_eq!(g["filter"], Value::Null, "the article passes the filters");
            article = Some(doc.clone());
        }
        lines.push(doc.to_string());
    }
    let mut article = article.expect("a Portuguese article");
    article["metadata"]["language_score"] = json!(0.99);
    let mut copy = article.clone();
    copy["id"] = json!("copy/por");
    lines.push(copy.to_string());
    let mut spa = article.clone();
    spa["id"] = json!("copy/spa");
    spa["metadata"]["language"] = json!("spa");
    lines.push(spa.to_string());
    let path = dir.join("in.jsonl");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    (path, article["text"].as_str().unwrap().to_string())
}

#[test]
fn fineweb2_text_dedups_within_each_language_and_writes_a_folder_per_language() {
    let tmp = tempfile::tempdir().unwrap();
    let (inp, text) = input(tmp.path());
    let template = ["--output-template", "${language}_${language_script}/"];
    let mut outputs = Vec::new();
    for threads in ["1", "2"] {
        let out = tmp.path().join(format!("out{threads}"));
        let extra = [&template[..], &["--threads", threads]].concat();
        let r = run_ok(&preset("fineweb-2-text"), &[&inp], &out, &extra);
        let s = r.balanced();
        let steps: Vec<&str> = s["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["step"].as_str().unwrap())
            .collect();
        assert_eq!(
            steps,
            [
                "fineweb2_language_score",
                "minhash",
                "fineweb2_quality",
                "fineweb2_precision",
                "ftfy",
                "pii",
                "symbol_lines"
            ]
        );
        // The copy in the same language is a duplicate; the Spanish one is not.
        let dropped = r.records("dropped");
        let reason = |id: &str| {
            dropped
                .iter()
                .find(|d| d["id"] == id)
                .map(|d| d["metadata"]["filter_reason"].as_str().unwrap().to_string())
        };
        let (orig, copy) = (reason("por_Latn/article"), reason("copy/por"));
        assert!(
            [orig.as_deref(), copy.as_deref()].contains(&Some("minhash_duplicate")),
            "{orig:?} {copy:?}"
        );
        assert!(orig.is_none() || copy.is_none(), "one copy survives");
        let spa = jsonl_zst(&out.join("kept/spa_Latn/00000.jsonl.zst"));
        let kept_spa = spa
            .iter()
            .find(|d| d["id"] == "copy/spa")
            .expect("kept as Spanish");
        assert_eq!(kept_spa["text"], text.as_str());
        assert!(out.join("kept/por_Latn").is_dir() && out.join("kept/deu_Latn").is_dir());
        outputs.push(tree_bytes(&out.join("kept")));
    }
    assert_eq!(outputs[0], outputs[1], "same bytes at 1 and 2 threads");
}

#[test]
fn dedup_by_document_language_compares_within_each_language_only() {
    let tmp = tempfile::tempdir().unwrap();
    let (inp, _) = input(tmp.path());
    let out = tmp.path().join("dedup");
    let r = run_ok(&["dedup", "--language", "metadata"], &[&inp], &out, &[]);
    r.balanced();
    let dropped: Vec<String> = r
        .records("dropped")
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_string())
        .collect();
    assert!(
        dropped
            .iter()
            .any(|id| id == "copy/por" || id == "por_Latn/article"),
        "{dropped:?}"
    );
    assert!(!dropped.iter().any(|id| id == "copy/spa"), "{dropped:?}");
    // With one fixed language every copy is compared with every other.
    let out = tmp.path().join("fixed");
    let r = run_ok(&["dedup", "--language", "por_Latn"], &[&inp], &out, &[]);
    let dropped = r.records("dropped");
    assert_eq!(
        dropped
            .iter()
            .filter(|d| ["copy/por", "copy/spa", "por_Latn/article"]
                .contains(&d["id"].as_str().unwrap()))
            .count(),
        2
    );
    // A language without a tokenizer tamis runs is refused, naming it.
    let o = common::try_run(
        &["dedup", "--language", "kor_Hang"],
        &[&inp],
        &tmp.path().join("bad"),
        &[],
    );
    assert!(!o.output.status.success());
    assert!(o.stderr().contains("KiwiTokenizer"), "{}", o.stderr());
}
