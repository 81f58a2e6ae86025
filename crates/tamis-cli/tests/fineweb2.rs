//! The `fineweb-2-text` preset end to end: per-language thresholds, MinHash within each
//! language only, per-language filters and one output folder per language, with the same
//! bytes at any thread count; and the `fineweb-2` preset from a web archive, with the GlotLID
//! model given by `--set`.

use std::path::Path;

use serde_json::{json, Value};

mod common;

use common::{
    balanced, jsonl_zst, preset, read_dir_bytes, records, root, run_ok, step_ids, tamis_ok,
};

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
        assert_eq!(step_ids(&s), FINEWEB2_TEXT_STEPS);
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

/// The steps of the `fineweb-2-text` preset, in order.
const FINEWEB2_TEXT_STEPS: [&str; 7] = [
    "fineweb2_language_score",
    "minhash",
    "fineweb2_quality",
    "fineweb2_precision",
    "ftfy",
    "pii",
    "symbol_lines",
];

/// FineWeb-2's order: dedup (in `fineweb-2-text`) saves cluster sizes, the filters run, then
/// `tamis rehydrate` repeats each survivor by its language's table.
#[test]
fn rehydrate_repeats_fineweb2_text_survivors_by_their_cluster_size() {
    let tmp = tempfile::tempdir().unwrap();
    let (inp, _) = input(tmp.path());
    let out = tmp.path().join("out");
    let template = ["--output-template", "${language}_${language_script}/"];
    run_ok(&preset("fineweb-2-text"), &[&inp], &out, &template);
    let por_dir = out.join("kept/por_Latn");
    let por = records(&por_dir);
    let survivor = por
        .iter()
        .find(|d| d["metadata"]["minhash_cluster_size"] == 2)
        .expect("the Portuguese article or its copy survives with cluster size 2");
    assert!(por
        .iter()
        .all(|d| d["metadata"]["minhash_cluster_size"].is_u64()));

    let reh = tmp.path().join("reh");
    let kept = out.join("kept");
    let args = |extra: &[&str]| -> Vec<std::ffi::OsString> {
        let mut a: Vec<std::ffi::OsString> = vec!["rehydrate".into(), kept.clone().into()];
        a.extend(["-o".into(), reh.clone().into(), "--overwrite".into()]);
        a.extend(extra.iter().map(Into::into));
        a
    };
    let o = tamis_ok(&args(&["--max-reps", "10"]));
    assert!(String::from_utf8_lossy(&o.stderr).contains("copies included"));
    let s = balanced(&reh);
    let all_kept = out_docs(&kept);
    assert_eq!(s["read"], all_kept.len());
    let written = records(&reh.join("kept"));
    assert_eq!(s["written"], written.len());
    // por_Latn's table for up to 10 repetitions (misc/rehydration/weights/up_to_10_reps.json)
    // starts {"1": 1, "2": 3, ...}.
    let copies = |id: &Value| written.iter().filter(|d| &d["id"] == id).count();
    assert_eq!(copies(&survivor["id"]), 3);
    for d in por
        .iter()
        .filter(|d| d["metadata"]["minhash_cluster_size"] == 1)
    {
        assert_eq!(copies(&d["id"]), 1, "{}", d["id"]);
    }
    assert!(written.len() > all_kept.len());

    // One weight for every size: the input again, document for document.
    tamis_ok(&args(&["--weights", r#"{"1": 1}"#]));
    assert_eq!(records(&reh.join("kept")), all_kept);
    // A forced language without a table: refused before anything is written.
    let o = common::tamis(&args(&["--max-reps", "5", "--language", "xyz_Latn"]));
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no table for language \"xyz_Latn\""));
    // No table named: refused before anything runs.
    let o = common::tamis(&["rehydrate", "x.jsonl", "-o", "y"]);
    assert_eq!(o.status.code(), Some(2));
}

/// Every document under `dir`'s per-language folders, folder by folder.
fn out_docs(dir: &Path) -> Vec<Value> {
    let mut subs: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    subs.sort();
    subs.iter().flat_map(|s| records(s)).collect()
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

/// A web archive of HTML pages, one per language the small GlotLID-format test model knows
/// (`crates/tamis-filters/tests/golden/glotlid`, English included), each with that language's
/// held-out test sentences as paragraphs; and the languages but English.
fn multilingual_warc(dir: &Path) -> (std::path::PathBuf, Vec<String>) {
    let golden =
        jsonl_zst(&root().join("crates/tamis-filters/tests/golden/glotlid/filter.jsonl.zst"));
    let mut by_lang: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for g in golden.iter().filter(|g| g["config"] == "default") {
        let text = g["text"].as_str().unwrap();
        let Some((lang, _)) = g["id"].as_str().unwrap().split_once('-') else {
            continue;
        };
        if lang.len() == 2 && !text.contains('\n') {
            by_lang.entry(lang.into()).or_default().push(text.into());
        }
    }
    let mut archive = Vec::new();
    for (lang, sents) in &by_lang {
        let body: String = sents.iter().map(|s| format!("<p>{s}</p>\n")).collect();
        let html = format!(
            "<html><head><title>{lang}</title></head><body><article><h1>{}</h1>\n{body}\
             </article></body></html>",
            sents[0]
        );
        let (id, url) = (lang.to_string(), format!("http://news.example/{lang}"));
        archive.extend(common::warc_response_gz(&id, &url, html.as_bytes()));
    }
    let warc = dir.join("CC-MAIN-multilingual.warc.gz");
    std::fs::write(&warc, archive).unwrap();
    let langs = by_lang.into_keys().filter(|l| l != "en").collect();
    (warc, langs)
}

#[test]
fn fineweb2_from_warc_takes_what_the_english_filter_excludes_and_labels_it_with_glotlid() {
    let tmp = tempfile::tempdir().unwrap();
    let (warc, langs) = multilingual_warc(tmp.path());
    assert!(langs.len() >= 5, "{langs:?}");
    // Without GlotLID's weights the preset says how to give them.
    let o = common::try_run(
        &preset("fineweb-2"),
        &[&warc],
        &tmp.path().join("none"),
        &[],
    );
    assert!(!o.output.status.success());
    assert!(
        o.stderr().contains("--set language#2.model="),
        "{}",
        o.stderr()
    );

    let model = root().join("crates/tamis-filters/tests/golden/glotlid/glotlid-tiny.bin");
    let set = format!("language#2.model={}", model.display());
    let out = tmp.path().join("out");
    let extra = [
        "--set",
        &set,
        "--output-template",
        "${language}_${language_script}/",
    ];
    let r = run_ok(&preset("fineweb-2"), &[&warc], &out, &extra);
    let s = r.balanced();
    assert_eq!(
        step_ids(&s),
        [
            &["url_filter", "extract", "language", "language"][..],
            &FINEWEB2_TEXT_STEPS
        ]
        .concat()
    );
    let dropped = r.records("dropped");
    // The drop reason of the page at http://news.example/{page}, if it was dropped.
    let reason = |page: &str| {
        let url = format!("http://news.example/{page}");
        dropped
            .iter()
            .find(|d| d["metadata"]["url"] == url.as_str())
            .map(|d| d["metadata"]["filter_reason"].as_str().unwrap().to_string())
    };
    // English is FineWeb's, not FineWeb-2's.
    assert_eq!(reason("en").as_deref(), Some("language_excluded"));
    // Every other page reached GlotLID, which labelled it with its language and script; the
    // kept ones sit in their language's folder.
    let mut kept = 0;
    for dir in std::fs::read_dir(out.join("kept")).unwrap() {
        let dir = dir.unwrap().path();
        let folder = dir.file_name().unwrap().to_string_lossy().into_owned();
        for d in jsonl_zst(&dir.join("00000.jsonl.zst")) {
            let m = &d["metadata"];
            assert_eq!(
                format!(
                    "{}_{}",
                    m["language"].as_str().unwrap(),
                    m["language_script"].as_str().unwrap()
                ),
                folder
            );
            assert!(m["minhash_cluster_size"].as_u64().is_some(), "{m}");
            kept += 1;
        }
    }
    for lang in &langs {
        if let Some(r) = reason(lang) {
            assert!(
                r != "language_excluded" && r != "language_not_kept",
                "{lang}: {r}"
            );
        }
    }
    assert_eq!(
        kept + dropped.len(),
        1 + langs.len(),
        "every page is kept or dropped"
    );
    assert!(kept >= 1, "some pages pass FineWeb-2's filters");
}
