//! The `unigram_logprob` step against datatrove 0.10.1's own `UnigramLogProbFilter`
//! (`tools/gen_unigram_golden.py`), with a word-frequency list made from the shared articles in
//! the layout of the one datatrove downloads: every corpus page with `../shared`, the committed
//! subset and crafted texts always; the score and the verdicts at two thresholds.

use std::path::Path;

use tamis_core::{Document, Verdict};
use tamis_filters::{Filter, UnigramLogProb, UnigramLogProbConfig};
use tamis_testkit::{
    assert_no_diffs, golden_text, jsonl_zst, shared_corpora, subset_texts, StepRunner,
};

#[test]
fn scores_and_decisions_equal_datatrove() {
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/unigram");
    let tmp = tempfile::tempdir().unwrap();
    let csv = tmp.path().join("unigram_freq.csv");
    let packed = std::fs::File::open(golden.join("unigram_freq.csv.zst")).unwrap();
    std::fs::write(&csv, zstd::decode_all(packed).unwrap()).unwrap();
    let build = |threshold: f64| {
        UnigramLogProb::build(UnigramLogProbConfig {
            frequencies: csv.display().to_string(),
            logprobs_threshold: threshold,
            ..UnigramLogProbConfig::default()
        })
        .unwrap()
    };
    let (strict, loose) = (build(-10.0), build(-7.0));
    let subset = subset_texts();
    let corpus = shared_corpora(&["pages", "articles"]);
    let mut runner = StepRunner::default();
    let (mut checked, mut exact, mut dropped) = (0, 0, 0);
    let mut diffs = Vec::new();
    for g in jsonl_zst(&golden.join("scores.jsonl.zst")) {
        let Some(text) = golden_text(&g, &subset, &corpus) else {
            continue;
        };
        checked += 1;
        let want = g["logprob"].as_f64().unwrap();
        let got = strict.logprob(&text);
        exact += usize::from(got == want);
        if (got - want).abs() > 1e-12 * want.abs().max(1.0) {
            diffs.push(format!(
                "{} {:?}: {got} != {want}",
                g["source"],
                g.get("id")
            ));
        }
        for (step, key) in [(&strict, "keep_10"), (&loose, "keep_7")] {
            let verdict = runner.run(step, &mut Document::new("x", text.clone()));
            dropped += usize::from(verdict != Verdict::Keep);
            if (verdict == Verdict::Keep) != g[key].as_bool().unwrap() {
                diffs.push(format!(
                    "{key} {} {:?}: {verdict:?}",
                    g["source"],
                    g.get("id")
                ));
            }
        }
    }
    eprintln!("{checked} documents, {exact} scores equal to the last bit, {dropped} drops");
    assert!(checked >= 600 && dropped > 0, "{checked} {dropped}");
    assert_no_diffs(&diffs);
}

#[test]
fn the_list_is_required_and_checked() {
    let err = |cfg: UnigramLogProbConfig| UnigramLogProb::build(cfg).err().unwrap().to_string();
    assert!(err(UnigramLogProbConfig::default()).contains("`frequencies` is required"));
    let missing = UnigramLogProbConfig {
        frequencies: "no/such/file.csv".into(),
        ..UnigramLogProbConfig::default()
    };
    assert!(err(missing).contains("no/such/file.csv"));
}
