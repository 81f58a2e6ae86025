//! Extraction quality on pages with gold main text, scored as `../shared/eval/
//! score_extraction.py` scores them (4-token shingles of `\w+` tokens, per-page precision and
//! recall averaged, F1 of the means). A committed subset of the ScrapingHub article
//! extraction benchmark (MIT) keeps this tested on a fresh clone; the full sets in
//! `../shared` are scored when present. Thresholds sit just under the figures in
//! `bench/RESULTS.md`, so a change that loses quality fails here.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use tamis_extract::{extract, Limits};

fn tokens(text: &str) -> Vec<&str> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|t| !t.is_empty())
        .collect()
}

fn shingles(text: &str) -> HashMap<Vec<&str>, i64> {
    let toks = tokens(text);
    let mut out = HashMap::new();
    if toks.is_empty() {
        return out;
    }
    for i in 0..toks.len().saturating_sub(3).max(1) {
        *out.entry(toks[i..(i + 4).min(toks.len())].to_vec())
            .or_insert(0) += 1;
    }
    out
}

/// (precision, recall, F1) over (gold, extracted) pairs.
fn score(pairs: &[(String, String)]) -> (f64, f64, f64) {
    let (mut ps, mut rs) = (Vec::new(), Vec::new());
    for (gold, pred) in pairs {
        let (g, p) = (shingles(gold), shingles(pred));
        let tp: i64 = g
            .iter()
            .map(|(k, v)| (*v).min(*p.get(k).unwrap_or(&0)))
            .sum();
        let fp: i64 = p
            .iter()
            .map(|(k, v)| (v - g.get(k).unwrap_or(&0)).max(0))
            .sum();
        let fn_: i64 = g
            .iter()
            .map(|(k, v)| (v - p.get(k).unwrap_or(&0)).max(0))
            .sum();
        if tp + fp + fn_ == 0 {
            continue;
        }
        let perfect = fp == 0 && fn_ == 0;
        if tp + fp > 0 || perfect {
            ps.push(if perfect {
                1.0
            } else {
                tp as f64 / (tp + fp) as f64
            });
        }
        if tp + fn_ > 0 || perfect {
            rs.push(if perfect {
                1.0
            } else {
                tp as f64 / (tp + fn_) as f64
            });
        }
    }
    let p = ps.iter().sum::<f64>() / ps.len() as f64;
    let r = rs.iter().sum::<f64>() / rs.len() as f64;
    (p, r, 2.0 * p * r / (p + r))
}

fn read_page(path: &Path) -> String {
    let raw = std::fs::read(path).unwrap();
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(&raw[..])
        .read_to_end(&mut out)
        .unwrap();
    String::from_utf8_lossy(&out).into_owned()
}

/// Scores a ScrapingHub-layout folder: `ground-truth.json` and `html/<key>.html.gz` (or the
/// pages beside the ground truth).
fn scrapinghub(dir: &Path, html: &Path) -> (f64, f64, f64) {
    let gt: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("ground-truth.json")).unwrap())
            .unwrap();
    let pairs: Vec<(String, String)> = gt
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| {
            let page = read_page(&html.join(format!("{k}.html.gz")));
            let text = extract(&page, &Limits::default()).unwrap().text;
            (v["articleBody"].as_str().unwrap().to_owned(), text)
        })
        .collect();
    score(&pairs)
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn committed_scrapinghub_pages_are_extracted() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/scrapinghub");
    let (p, r, f1) = scrapinghub(&dir, &dir);
    assert!(f1 >= 0.90, "P {p:.3} R {r:.3} F1 {f1:.3}");
}

#[test]
fn shared_scrapinghub_set_scores_as_recorded() {
    let dir = root().join("../shared/data/extraction/scrapinghub");
    if !dir.exists() {
        eprintln!("skipped: {} is absent", dir.display());
        return;
    }
    let (p, r, f1) = scrapinghub(&dir, &dir.join("html"));
    assert!(f1 >= 0.955, "P {p:.3} R {r:.3} F1 {f1:.3}");
}

#[test]
fn shared_cleaneval_dev_set_scores_as_recorded() {
    let dir = root().join("../shared/data/extraction/cleaneval-dev");
    if !dir.exists() {
        eprintln!("skipped: {} is absent", dir.display());
        return;
    }
    let mut names: Vec<_> = std::fs::read_dir(dir.join("input"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut pairs = Vec::new();
    for name in names {
        let stem = name.rsplit_once('.').map_or(name.as_str(), |s| s.0);
        let Ok(gold) = std::fs::read(dir.join("GoldStandard").join(format!("{stem}.txt"))) else {
            continue;
        };
        // The scorer's reading of the gold: first line (URL) dropped, <p>/<h>/<l> marks as
        // line breaks.
        let gold = String::from_utf8_lossy(&gold).into_owned();
        let gold = if gold.starts_with("URL:") {
            gold.split_once('\n').map_or("", |s| s.1).to_owned()
        } else {
            gold
        };
        let gold = gold
            .replace("<p>", "\n")
            .replace("<h>", "\n")
            .replace("<l>", "\n");
        let raw = std::fs::read(dir.join("input").join(&name)).unwrap();
        let page = String::from_utf8_lossy(&raw);
        let text = extract(&page, &Limits::default()).unwrap().text;
        pairs.push((gold, text));
    }
    let (p, r, f1) = score(&pairs);
    assert!(f1 >= 0.85, "P {p:.3} R {r:.3} F1 {f1:.3}");
}

/// trafilatura's evaluation method: a page's `with` snippets found in the output are hits,
/// its `without` snippets found are false positives; whitespace is normalised.
#[test]
fn shared_trafilatura_eval_set_scores_as_recorded() {
    let dir = root().join("../shared/data/extraction/trafilatura-eval");
    if !dir.exists() {
        eprintln!("skipped: {} is absent", dir.display());
        return;
    }
    let norm = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let ev: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("evaldata.json")).unwrap()).unwrap();
    let (mut tp, mut fp, mut fn_) = (0usize, 0usize, 0usize);
    for item in ev.as_object().unwrap().values() {
        let file = dir
            .join("html")
            .join(format!("{}.gz", item["file"].as_str().unwrap()));
        let page = read_page(&file);
        let text = norm(&extract(&page, &Limits::default()).unwrap().text);
        for w in item["with"].as_array().unwrap() {
            if text.contains(&norm(w.as_str().unwrap())) {
                tp += 1;
            } else {
                fn_ += 1;
            }
        }
        for w in item["without"].as_array().unwrap() {
            if text.contains(&norm(w.as_str().unwrap())) {
                fp += 1;
            }
        }
    }
    let p = tp as f64 / (tp + fp) as f64;
    let r = tp as f64 / (tp + fn_) as f64;
    let f1 = 2.0 * p * r / (p + r);
    assert!(f1 >= 0.915, "P {p:.3} R {r:.3} F1 {f1:.3}");
}

#[test]
fn hostile_pages_end_in_bounded_time_and_memory() {
    // 100k unclosed nested tags of several kinds, and 10 MB without a tag end.
    let end = "The council met on Tuesday and voted to repair the old bridge before winter.";
    let deep = "<div><span><table><tr><td><ul><li><font>".repeat(15_000) + end;
    let e = extract(&deep, &Limits::default()).unwrap();
    assert_eq!(e.text, end);
    let open = "<p class=\"".to_owned() + &"x".repeat(10 << 20);
    assert_eq!(extract(&open, &Limits::default()).unwrap().text, "");
    let big = "<p>a</p>".repeat(3 << 20);
    assert_eq!(
        extract(&big, &Limits::default()).unwrap_err().reason(),
        "html_too_large"
    );
}
