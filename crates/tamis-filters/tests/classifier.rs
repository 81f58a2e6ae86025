//! `fasttext_classifier` against the reference: fastText's Python binding on four models
//! trained here (softmax with word bigrams, quantized hierarchical softmax with subwords,
//! one-vs-all, negative sampling with trigrams) and datatrove 0.10.1's
//! `FastTextClassifierFilter`, on real pages and edge cases. Goldens and models:
//! `tools/gen_classifier_golden.py`.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;

use serde_json::{json, Value};
use tamis_core::{Document, Verdict};
use tamis_filters::{FastTextClassifier, FastTextClassifierConfig, Filter};
use tamis_testkit::{jsonl_zst, root, shared_corpora, subset_texts, StepRunner};

fn golden(name: &str) -> PathBuf {
    root()
        .join("crates/tamis-filters/tests/golden/classifier")
        .join(name)
}

/// The step for a golden's model and input mode (`dclm`, `datatrove`, `dclm_max2000`).
fn step(model: &str, mode: &str, extra: Value) -> FastTextClassifier {
    let mut cfg = json!({"model": golden(model).display().to_string()});
    match mode {
        "dclm" => cfg["input"] = json!("dclm"),
        "dclm_max2000" => {
            cfg["input"] = json!("dclm");
            cfg["max_chars"] = json!(2000);
        }
        "datatrove" => {}
        other => panic!("unknown mode {other}"),
    }
    for (k, v) in extra.as_object().unwrap() {
        cfg[k] = v.clone();
    }
    let cfg: FastTextClassifierConfig = serde_json::from_value(cfg).unwrap();
    FastTextClassifier::build(cfg).unwrap()
}

/// A golden probability: the shortest decimal of an f32.
fn f32_of(s: &str) -> f32 {
    s.parse()
        .unwrap_or_else(|_| panic!("bad probability {s:?}"))
}

/// Asserts the step's scores for `text` are the golden labels and probabilities, in order.
fn check(step: &FastTextClassifier, text: &str, labels: &[String], probs: &[f32], what: &str) {
    let got = step.scores(text);
    let got_labels: Vec<String> = got.iter().map(|(l, _)| format!("__label__{l}")).collect();
    assert_eq!(got_labels, labels, "{what}");
    for ((_, p), want) in got.iter().zip(probs) {
        // The scores are f32 probabilities widened exactly.
        assert_eq!(
            (*p as f32).to_bits(),
            want.to_bits(),
            "{what}: {p} vs {want}"
        );
        assert_eq!(f64::from(*p as f32), *p, "{what}");
    }
}

struct Steps(HashMap<(String, String), FastTextClassifier>);

impl Steps {
    fn get(&mut self, model: &str, mode: &str) -> &FastTextClassifier {
        self.0
            .entry((model.to_owned(), mode.to_owned()))
            .or_insert_with(|| step(model, mode, json!({})))
    }
}

#[test]
fn probabilities_equal_fasttext_on_the_subset_and_edge_cases() {
    let subset = subset_texts();
    let mut steps = Steps(HashMap::new());
    let records = jsonl_zst(&golden("subset.jsonl.zst"));
    let mut models = std::collections::BTreeSet::new();
    for g in &records {
        let text = match g["source"].as_str().unwrap() {
            "subset" => subset[g["index"].as_u64().unwrap() as usize].clone(),
            _ => g["text"].as_str().unwrap().to_owned(),
        };
        let (model, mode) = (g["model"].as_str().unwrap(), g["mode"].as_str().unwrap());
        models.insert(model.to_owned());
        let labels: Vec<String> = serde_json::from_value(g["labels"].clone()).unwrap();
        let probs: Vec<f32> = g["probs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| f32_of(p.as_str().unwrap()))
            .collect();
        let what = format!(
            "{model} {mode} {} {}",
            g["source"],
            g["index"]
                .clone()
                .as_u64()
                .map_or_else(|| g["id"].to_string(), |i| i.to_string())
        );
        check(steps.get(model, mode), &text, &labels, &probs, &what);
    }
    assert_eq!(records.len(), 3240);
    assert_eq!(
        models.len(),
        4,
        "softmax, hs (quantized), ova and ns models"
    );
}

#[test]
fn probabilities_equal_fasttext_on_the_shared_corpora() {
    let corpora = shared_corpora(&["pages", "articles"]);
    if corpora.is_empty() {
        eprintln!("skipping: ../shared/data/corpus is absent (the committed subset is tested)");
        return;
    }
    let f = std::fs::File::open(golden("predictions.tsv.zst")).unwrap();
    let mut steps = Steps(HashMap::new());
    let mut n = 0;
    for line in BufReader::new(zstd::Decoder::new(f).unwrap()).lines() {
        let line = line.unwrap();
        let cols: Vec<&str> = line.split('\t').collect();
        let Some(texts) = corpora.get(cols[0]) else {
            continue;
        };
        let labels: Vec<String> = cols[4..].iter().step_by(2).map(|s| s.to_string()).collect();
        let probs: Vec<f32> = cols[5..].iter().step_by(2).map(|s| f32_of(s)).collect();
        let what = format!("{} {} {} {}", cols[0], cols[1], cols[2], cols[3]);
        check(
            steps.get(cols[2], cols[3]),
            &texts[cols[1]],
            &labels,
            &probs,
            &what,
        );
        n += 1;
    }
    assert!(n >= 38_000, "{n} predictions checked");
}

/// datatrove's configurations as step parameters; `None` for what the step does not offer.
fn datatrove_config(name: &str) -> Option<(&'static str, Value)> {
    Some(match name {
        "keep_hq_0.5" => ("quality-bigram.bin", json!({"keep_labels": [["hq", 0.5]]})),
        "remove_cc_0.9" => (
            "quality-bigram.bin",
            json!({"remove_labels": [["cc", 0.9]]}),
        ),
        "keep_hq_0.5_newline_space" => (
            "quality-bigram.bin",
            json!({"keep_labels": [["hq", 0.5]], "newline_replacement": " "}),
        ),
        "edu_keep_2_3" => (
            "edu-ova.bin",
            json!({"keep_labels": [["2", 0.5], ["3", 0.5]]}),
        ),
        // Paragraph and sentence modes are not implemented: they keep parts of a document.
        _ => return None,
    })
}

#[test]
fn decisions_and_metadata_equal_datatrove_filter() {
    let subset = subset_texts();
    let mut built: HashMap<String, FastTextClassifier> = HashMap::new();
    let mut runner = StepRunner::default();
    let (mut checked, mut kept, mut dropped) = (0, 0, 0);
    for g in jsonl_zst(&golden("datatrove.jsonl.zst")) {
        let name = g["config"].as_str().unwrap();
        let Some((model, params)) = datatrove_config(name) else {
            continue;
        };
        let step = built
            .entry(name.to_owned())
            .or_insert_with(|| step(model, "datatrove", params));
        let text = match g["source"].as_str().unwrap() {
            "subset" => subset[g["index"].as_u64().unwrap() as usize].clone(),
            _ => g["text"].as_str().unwrap().to_owned(),
        };
        let what = format!(
            "{name} {} {}",
            g["source"],
            g["index"]
                .as_u64()
                .map_or_else(|| g["id"].to_string(), |i| i.to_string())
        );
        let mut doc = Document::new("d", text.clone());
        let verdict = runner.run(step, &mut doc);
        let want_kept = g["kept"].as_bool().unwrap();
        assert_eq!(verdict == Verdict::Keep, want_kept, "{what}: {verdict:?}");
        if want_kept {
            kept += 1;
            assert_eq!(doc.text, text, "{what}: the text is left as it was");
        } else {
            dropped += 1;
        }
        let want = g["metadata"].as_object().unwrap();
        assert_eq!(doc.metadata.len(), want.len(), "{what}");
        for (k, v) in want {
            // datatrove's value is repr(float64), exactly the binding's f32 widened.
            let want: f64 = v.as_str().unwrap().parse().unwrap();
            assert_eq!(doc.metadata[k].as_f64(), Some(want), "{what}: {k}");
        }
        checked += 1;
    }
    assert_eq!(checked, 4 * 360);
    assert!(
        kept > 500 && dropped > 300,
        "{kept} kept, {dropped} dropped"
    );
}

#[test]
fn dclm_probability_is_one_minus_the_top_label_when_hq_is_not_first() {
    let subset = subset_texts();
    let dclm = step(
        "quality-bigram.bin",
        "dclm",
        json!({"labels": ["hq"], "key": "dclm", "dclm_probability": true}),
    );
    let mut runner = StepRunner::default();
    let mut complemented = 0;
    for g in jsonl_zst(&golden("subset.jsonl.zst")) {
        if g["model"] != "quality-bigram.bin" || g["mode"] != "dclm" || g["source"] != "subset" {
            continue;
        }
        let text = &subset[g["index"].as_u64().unwrap() as usize];
        let top = f64::from(f32_of(g["probs"][0].as_str().unwrap()));
        // DCLM's classify_fasttext_hq_prob: predict(k=1), then 1 - p when the label is cc.
        let want = if g["labels"][0] == "__label__hq" {
            top
        } else {
            complemented += 1;
            1.0 - top
        };
        let mut doc = Document::new("d", text.clone());
        runner.run(&dclm, &mut doc);
        assert_eq!(doc.metadata.len(), 1);
        assert_eq!(
            doc.metadata["dclm"].as_f64(),
            Some(want),
            "subset {}",
            g["index"]
        );
    }
    assert!(complemented > 20, "{complemented} pages rank cc first");
}
