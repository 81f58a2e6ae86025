//! Scoring exactly as `shared/eval/score_lines.py` does, and the FineWeb preset filters.
#![allow(dead_code)]

use tamis_core::{Counters, Document, Verdict};
use tamis_testkit::StepRunner;
use tamis_text::py;

/// `kept_mask` of score_lines.py: each non-empty stripped output line keeps the first
/// unmatched page line at or after the previous match with the same stripped text.
pub fn kept_mask(lines: &[&str], cleaned: &str) -> Vec<bool> {
    let mut kept = vec![false; lines.len()];
    let mut i = 0;
    for out in cleaned.split('\n') {
        let o = py::strip(out);
        if o.is_empty() {
            continue;
        }
        let mut j = i;
        while j < lines.len() && py::strip(lines[j]) != o {
            j += 1;
        }
        if j < lines.len() {
            kept[j] = true;
            i = j + 1;
        }
    }
    kept
}

#[derive(Default, Debug)]
pub struct Tally {
    pub c: usize,
    pub c_kept: usize,
    pub j: usize,
    pub j_kept: usize,
}

impl Tally {
    /// `tally` of score_lines.py; `cleaned = None` means the page was dropped.
    pub fn add(&mut self, text: &str, labels: &str, cleaned: Option<&str>) {
        let lines: Vec<&str> = text.split('\n').collect();
        let labels: Vec<char> = labels.chars().collect();
        assert_eq!(lines.len(), labels.len(), "one label per line");
        let kept = cleaned.map_or_else(|| vec![false; lines.len()], |c| kept_mask(&lines, c));
        for ((line, lab), k) in lines.iter().zip(labels).zip(kept) {
            let n = py::len(py::strip(line));
            match lab {
                'C' => {
                    self.c += n;
                    self.c_kept += n * usize::from(k);
                }
                'B' | 'S' => {
                    self.j += n;
                    self.j_kept += n * usize::from(k);
                }
                _ => {}
            }
        }
    }

    pub fn content_kept(&self) -> f64 {
        if self.c == 0 {
            1.0
        } else {
            self.c_kept as f64 / self.c as f64
        }
    }

    pub fn junk_removed(&self) -> f64 {
        if self.j == 0 {
            1.0
        } else {
            1.0 - self.j_kept as f64 / self.j as f64
        }
    }

    pub fn f1(&self) -> f64 {
        let kept = self.c_kept + self.j_kept;
        let p = if kept == 0 {
            0.0
        } else {
            self.c_kept as f64 / kept as f64
        };
        let r = self.content_kept();
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
}

/// Runs the `fineweb-text` preset's filters (in the preset's order and parameters) on `text`.
pub fn fineweb_verdict(text: &str) -> Result<(), String> {
    let steps = [
        ("gopher_repetition", serde_json::json!({})),
        ("gopher_quality", serde_json::json!({})),
        (
            "c4_quality",
            serde_json::json!({"filter_no_terminal_punct": false}),
        ),
        ("fineweb_quality", serde_json::json!({})),
    ];
    let mut doc = Document::new("seed", text);
    let mut runner = StepRunner::default();
    for (id, params) in steps {
        let entry = tamis_filters::lookup(id).ok_or_else(|| format!("no filter {id}"))?;
        let step = (entry.build)(&params).map_err(|e| e.to_string())?;
        let verdict = runner.run(step.as_ref(), &mut doc);
        if let Verdict::Drop(reason) = verdict {
            return Err(format!("{id}: {reason}"));
        }
    }
    Ok(())
}

/// `line_clean` with its defaults on `text`: the verdict, the document as the step left it and
/// the step's counters.
pub fn line_clean(id: &str, text: &str) -> (Verdict, Document, Counters) {
    use tamis_clean::{LineClean, LineCleanConfig};
    use tamis_filters::Filter;
    let step = LineClean::build(LineCleanConfig::default()).unwrap();
    let mut doc = Document::new(id, text);
    let mut runner = StepRunner::default();
    let verdict = runner.run(&step, &mut doc);
    (verdict, doc, runner.counters)
}
