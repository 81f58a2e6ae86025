//! FineWeb-2's per-language steps against datatrove 0.10.1 running them as
//! `fineweb-2-pipeline.py` configures them (golden from `tools/gen_fineweb2_golden.py`): 14
//! documents in each of 67 languages assembled from lingua's test sentences, and 6 in each of
//! 48 languages with unusual settings (text from languages of the same script), with their
//! language-score verdict (step 3) and their filtering verdict and reason (step 5).

use std::collections::BTreeMap;

use serde_json::{json, Value};
use tamis_core::{Document, Verdict};
use tamis_filters::lookup;
use tamis_testkit::{jsonl_zst, root, StepRunner};

fn golden() -> Vec<Value> {
    jsonl_zst(&root().join("crates/tamis-filters/tests/golden/fineweb2/docs.jsonl.zst"))
}

#[test]
fn fineweb2_steps_decide_like_datatrove_in_every_supported_language() {
    let score = (lookup("fineweb2_language_score").unwrap().build)(&json!({})).unwrap();
    let quality = (lookup("fineweb2_quality").unwrap().build)(&json!({})).unwrap();
    let mut runner = StepRunner::default();
    let mut per_language: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut mismatches = Vec::new();
    for g in golden() {
        let id = g["id"].as_str().unwrap();
        let mut doc = Document::new(id, g["text"].as_str().unwrap());
        doc.metadata = g["metadata"].as_object().unwrap().clone();
        let kept = runner.run(score.as_ref(), &mut doc) == Verdict::Keep;
        let want = match g["filter"].as_str() {
            None => Verdict::Keep,
            Some(r) => Verdict::drop(r.to_string()),
        };
        let got = runner.run(quality.as_ref(), &mut doc);
        let lang = id.split('/').next().unwrap().to_string();
        let e = per_language.entry(lang).or_default();
        e.1 += 1;
        if kept != g["language_score_kept"].as_bool().unwrap() || got != want {
            e.0 += 1;
            mismatches.push(format!(
                "{id}: got {got:?} (score kept {kept}), want {want:?}"
            ));
        }
    }
    assert_eq!(per_language.len(), 115, "{:?}", per_language.keys());
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

#[test]
fn unsupported_languages_are_refused_by_name() {
    let path = root().join("crates/tamis-filters/tests/golden/fineweb2/unsupported.json");
    let unsupported: BTreeMap<String, String> =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert!(!unsupported.is_empty());
    let entry = lookup("fineweb2_quality").unwrap();
    for (lang, class) in &unsupported {
        let err = (entry.build)(&json!({ "language": lang }))
            .err()
            .unwrap_or_else(|| panic!("{lang} should be refused"));
        let class_name = class.split('(').next().unwrap();
        assert!(err.to_string().contains(class_name), "{lang}: {err}");
    }
}

/// Precision filtering against the repository's own `Decontaminate` filter run by datatrove
/// (golden `precision.jsonl.zst`): verdicts and `metadata.wordlist_ratio`, for 36 filtered
/// languages.
#[test]
fn precision_filtering_decides_like_fineweb2() {
    let step = (lookup("fineweb2_precision").unwrap().build)(&json!({})).unwrap();
    let mut runner = StepRunner::default();
    let rows =
        jsonl_zst(&root().join("crates/tamis-filters/tests/golden/fineweb2/precision.jsonl.zst"));
    let mut mismatches = Vec::new();
    let (mut kept, mut dropped) = (0, 0);
    for g in &rows {
        let id = g["id"].as_str().unwrap();
        let mut doc = Document::new(id, g["text"].as_str().unwrap());
        doc.metadata = g["metadata"].as_object().unwrap().clone();
        let keep = runner.run(step.as_ref(), &mut doc) == Verdict::Keep;
        if keep {
            kept += 1;
        } else {
            dropped += 1;
        }
        let ratio = doc.metadata.get("wordlist_ratio").cloned();
        if keep != g["keep"].as_bool().unwrap() || ratio.as_ref() != g.get("wordlist_ratio") {
            mismatches.push(format!(
                "{id}: keep {keep} ratio {ratio:?}, want {} {:?}",
                g["keep"],
                g.get("wordlist_ratio")
            ));
        }
    }
    assert!(kept > 50 && dropped > 50, "{kept} kept, {dropped} dropped");
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
