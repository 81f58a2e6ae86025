//! Parity with fastText's Python binding and datatrove 0.10.1 on the golden files written by
//! tools/gen_lid_golden.py. Every comparison demands the same labels in the same order and every
//! probability within 1e-4; the tests also count how many probabilities are bit-identical
//! (expected: all) and print the totals (`cargo test -p tamis-lid --test parity -- --nocapture`).
//!
//! The full lingua and corpus goldens need `../shared` next to the repository (override with
//! `TAMIS_SHARED`); without it those tests say so and the committed subsets, which carry their
//! input text, still run.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use serde_json::Value;
use tamis_lid::{Model, Scratch, ALL};

const TOLERANCE: f64 = 1e-4;

fn golden(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name)
}

/// The bundled model when the feature is on (so the embedded bytes are what gets tested), the
/// same file from `models/` otherwise.
fn lid176() -> &'static Model {
    #[cfg(feature = "bundled-lid176")]
    return Model::lid176();
    #[cfg(not(feature = "bundled-lid176"))]
    {
        static MODEL: std::sync::OnceLock<Model> = std::sync::OnceLock::new();
        MODEL.get_or_init(|| {
            let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/lid.176.ftz");
            Model::from_path(path).unwrap()
        })
    }
}

fn shared() -> Option<PathBuf> {
    let dir = std::env::var_os("TAMIS_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    dir.join("data").is_dir().then_some(dir)
}

fn read_zst(path: &Path) -> String {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut s = String::new();
    zstd::Decoder::new(file)
        .unwrap()
        .read_to_string(&mut s)
        .unwrap();
    s
}

fn jsonl(path: &Path) -> Vec<Value> {
    read_zst(path)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Running totals of one comparison.
#[derive(Default)]
struct Tally {
    items: usize,
    scores: usize,
    bit_identical: usize,
    max_diff: f64,
    failures: Vec<String>,
}

impl Tally {
    /// `expected` is (raw label, probability as the f64 Python saw).
    fn compare(&mut self, what: &str, got: &[(String, f32)], expected: &[(String, f64)]) {
        self.items += 1;
        let mut ok = got.len() == expected.len();
        for ((gl, gp), (el, ep)) in got.iter().zip(expected) {
            let diff = (f64::from(*gp) - ep).abs();
            self.scores += 1;
            if f64::from(*gp) == *ep {
                self.bit_identical += 1;
            }
            self.max_diff = self.max_diff.max(diff);
            ok &= gl == el && diff <= TOLERANCE;
        }
        if !ok && self.failures.len() < 20 {
            self.failures
                .push(format!("{what}: got {got:?}, expected {expected:?}"));
        }
        if !ok && self.failures.len() == 20 {
            self.failures.push("...".to_string());
        }
    }

    fn finish(&self, name: &str) {
        println!(
            "{name}: {} compared, {} scores, {} bit-identical, max |diff| {:.3e}, {} mismatches",
            self.items,
            self.scores,
            self.bit_identical,
            self.max_diff,
            self.failures.len()
        );
        assert!(self.items > 0, "{name}: nothing compared");
        assert!(
            self.failures.is_empty(),
            "{name}: mismatches:\n{}",
            self.failures.join("\n")
        );
    }
}

fn predicted(
    model: &Model,
    s: &mut Scratch,
    text: &str,
    k: usize,
    threshold: f32,
) -> Vec<(String, f32)> {
    let mut out = Vec::new();
    model.predict_with(s, text, k, threshold, &mut out);
    out.iter()
        .map(|p| (p.raw_label.to_string(), p.prob))
        .collect()
}

fn expected_from_json(v: &Value) -> Vec<(String, f64)> {
    let labels = v["labels"].as_array().unwrap();
    let probs = v["probs"].as_array().unwrap();
    labels
        .iter()
        .zip(probs)
        .map(|(l, p)| (l.as_str().unwrap().to_string(), f32_str(p)))
        .collect()
}

/// The goldens write fastText's f32 probabilities as their shortest decimal, in a string.
fn f32_str(v: &Value) -> f64 {
    f64::from(v.as_str().unwrap().parse::<f32>().unwrap())
}

fn k_of(v: &Value) -> usize {
    match v["k"].as_i64().unwrap() {
        -1 => ALL,
        k => k as usize,
    }
}

#[test]
fn lingua_subset_matches_fasttext() {
    let model = lid176();
    let mut s = Scratch::new();
    let mut t = Tally::default();
    for v in jsonl(&golden("lingua-lid176-subset.jsonl.zst")) {
        let text = v["text"].as_str().unwrap();
        let got = predicted(model, &mut s, text, 3, 0.0);
        let what = format!("{}:{}", v["lang"], v["line"]);
        t.compare(&what, &got, &expected_from_json(&v));
    }
    t.finish("lingua subset (lid.176.ftz, k=3)");
}

#[test]
fn lingua_full_matches_fasttext() {
    let Some(shared) = shared() else {
        println!("SKIP lingua_full_matches_fasttext: ../shared not found (set TAMIS_SHARED); the subset test still ran");
        return;
    };
    let model = lid176();
    let mut s = Scratch::new();
    let mut t = Tally::default();
    let mut top_equal = 0;
    let mut files: HashMap<String, Vec<String>> = HashMap::new();
    for row in read_zst(&golden("lingua-lid176.tsv.zst")).lines() {
        let cols: Vec<&str> = row.split('\t').collect();
        let (lang, line_no) = (cols[0], cols[1].parse::<usize>().unwrap());
        let lines = files.entry(lang.to_string()).or_insert_with(|| {
            let path = shared.join(format!(
                "data/lid/lingua-testdata/{lang}/testdata/sentences.txt"
            ));
            let text = std::fs::read_to_string(&path).unwrap();
            let mut lines: Vec<String> = text.split('\n').map(str::to_string).collect();
            if lines.last().is_some_and(|l| l.is_empty()) {
                lines.pop();
            }
            lines
        });
        let expected: Vec<(String, f64)> = cols[2..]
            .chunks(2)
            .map(|c| (c[0].to_string(), f64::from(c[1].parse::<f32>().unwrap())))
            .collect();
        let got = predicted(model, &mut s, &lines[line_no - 1], 3, 0.0);
        if got.first().map(|g| &g.0) == expected.first().map(|e| &e.0) {
            top_equal += 1;
        }
        t.compare(&format!("{lang}:{line_no}"), &got, &expected);
    }
    println!(
        "lingua full: top label equal on {top_equal} of {} lines",
        t.items
    );
    assert_eq!(t.items, 74_141, "the golden covers every lingua sentence");
    t.finish("lingua full (lid.176.ftz, k=3)");
}

#[test]
fn edge_cases_match_fasttext() {
    let model = lid176();
    let mut s = Scratch::new();
    let mut t = Tally::default();
    for v in jsonl(&golden("lid176-edge.jsonl.zst")) {
        let text = v["text"].as_str().unwrap();
        let threshold = v["threshold"].as_f64().unwrap() as f32;
        let got = predicted(model, &mut s, text, k_of(&v), threshold);
        let short: String = text.chars().take(40).collect();
        let what = format!("{short:?} k={} threshold={threshold}", v["k"]);
        t.compare(&what, &got, &expected_from_json(&v));
    }
    t.finish("edge cases (lid.176.ftz, several k and thresholds)");
}

#[test]
fn tiny_models_cover_every_loss_and_matrix_kind() {
    let mut s = Scratch::new();
    for (name, file) in [
        ("softmax", "tiny-softmax.bin"),
        ("ova", "tiny-ova.bin"),
        ("ns-quant", "tiny-ns-quant.ftz"),
        ("hs-qout", "tiny-hs-qout.ftz"),
    ] {
        let model = Model::from_path(golden(file)).unwrap();
        let mut t = Tally::default();
        for v in jsonl(&golden(&format!("tiny-{name}.jsonl.zst"))) {
            let text = v["text"].as_str().unwrap();
            let threshold = v["threshold"].as_f64().unwrap() as f32;
            let got = predicted(&model, &mut s, text, k_of(&v), threshold);
            let short: String = text.chars().take(40).collect();
            t.compare(
                &format!("{short:?} k={}", v["k"]),
                &got,
                &expected_from_json(&v),
            );
        }
        t.finish(&format!("tiny model {file} ({:?})", model.loss()));
    }
}

/// (language, score) from predict_document, or None.
fn doc(model: &Model, s: &mut Scratch, text: &str) -> Option<(String, f32)> {
    model
        .predict_document_with(s, text)
        .map(|d| (d.language.to_string(), d.score))
}

#[test]
fn documents_match_datatrove_subset() {
    let model = lid176();
    let mut s = Scratch::new();
    let mut t = Tally::default();
    for v in jsonl(&golden("datatrove-lid176-subset.jsonl.zst")) {
        let text = v["text"].as_str().unwrap();
        let expected: Vec<(String, f64)> = match v["language"].as_str() {
            Some(lang) => vec![(lang.to_string(), f32_str(&v["language_score"]))],
            None => vec![],
        };
        let got: Vec<_> = doc(model, &mut s, text).into_iter().collect();
        t.compare(v["id"].as_str().unwrap(), &got, &expected);
    }
    t.finish("datatrove LanguageFilter subset (documents)");
}

#[test]
fn documents_match_datatrove_full() {
    let Some(shared) = shared() else {
        println!("SKIP documents_match_datatrove_full: ../shared not found (set TAMIS_SHARED); the subset test still ran");
        return;
    };
    let file = std::fs::File::open(shared.join("data/corpus/pages.jsonl.zst")).unwrap();
    let mut texts = HashMap::new();
    for line in BufReader::new(zstd::Decoder::new(file).unwrap()).lines() {
        let v: Value = serde_json::from_str(&line.unwrap()).unwrap();
        texts.insert(
            v["id"].as_str().unwrap().to_string(),
            v["text"].as_str().unwrap().to_string(),
        );
    }
    let model = lid176();
    let mut s = Scratch::new();
    let mut t = Tally::default();
    for row in read_zst(&golden("datatrove-lid176-docs.tsv.zst")).lines() {
        let cols: Vec<&str> = row.split('\t').collect();
        let expected = vec![(
            cols[1].to_string(),
            f64::from(cols[2].parse::<f32>().unwrap()),
        )];
        let got: Vec<_> = doc(model, &mut s, &texts[cols[0]]).into_iter().collect();
        t.compare(cols[0], &got, &expected);
    }
    t.finish("datatrove LanguageFilter, all pages.jsonl.zst documents");
}

#[test]
fn threads_sharing_one_model_agree_with_one_thread() {
    let model = lid176();
    let texts: Vec<String> = jsonl(&golden("lingua-lid176-subset.jsonl.zst"))
        .iter()
        .map(|v| v["text"].as_str().unwrap().to_string())
        .collect();
    let mut s = Scratch::new();
    let sequential: Vec<_> = texts
        .iter()
        .map(|t| predicted(model, &mut s, t, 3, 0.0))
        .collect();
    let parallel: Vec<Vec<_>> = std::thread::scope(|scope| {
        let handles: Vec<_> = texts
            .chunks(texts.len().div_ceil(4))
            .map(|chunk| {
                scope.spawn(move || {
                    let mut s = Scratch::new();
                    chunk
                        .iter()
                        .map(|t| predicted(model, &mut s, t, 3, 0.0))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(parallel.concat(), sequential);
}
