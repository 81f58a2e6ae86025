//! The `symbol_lines` step against datatrove 0.10.1's own `SymbolLinesFormatter`, with
//! FineWeb-2's parameters and the defaults, on 600 seeded texts mixing sentences, table rows,
//! punctuation lines and every line ending (golden from `tools/gen_symbol_lines_golden.py`); the
//! edit log replays to the formatted text, also after an earlier step's edits.

use serde_json::json;
use tamis_clean::{apply_edits, Pii, EDITS_KEY};
use tamis_core::{Document, Step};
use tamis_filters::FilterEntry;
use tamis_testkit::{jsonl_zst, root, StepRunner};

#[test]
fn formatted_texts_equal_datatrove_and_the_log_replays() {
    let rows = jsonl_zst(&root().join("crates/tamis-clean/tests/golden/symbol_lines.jsonl.zst"));
    let entry = FilterEntry::of::<tamis_clean::SymbolLines>();
    let fineweb2 =
        (entry.build)(&json!({"symbols_to_remove": ["|"], "replace_char": "\n"})).unwrap();
    let default = (entry.build)(&json!({})).unwrap();
    // PII first, as FineWeb-2 runs it, so some documents already have a log.
    let pii = (FilterEntry::of::<Pii>().build)(&json!({})).unwrap();
    let mut runner = StepRunner::default();
    let mut bad = Vec::new();
    let mut changed = 0;
    for (i, r) in rows.iter().enumerate() {
        let step: &dyn Step = if r["config"] == "fineweb2" {
            fineweb2.as_ref()
        } else {
            default.as_ref()
        };
        let mut text = r["text"].as_str().unwrap().to_string();
        if i % 3 == 0 {
            // An address for PII to replace, on a line of its own.
            text = format!("mail me at someone@example.org\n{text}");
        }
        let mut doc = Document::new("d", text.clone());
        if i % 3 == 0 {
            runner.run(pii.as_ref(), &mut doc);
        }
        let after_pii = doc.text.clone();
        runner.run(step, &mut doc);
        let want = if i % 3 == 0 {
            // Formatting the PII output, as datatrove would.
            None
        } else {
            Some(r["formatted"].as_str().unwrap())
        };
        if let Some(want) = want {
            changed += usize::from(want != text);
            if doc.text != want {
                bad.push(format!("{text:?}\n  got  {:?}\n  want {want:?}", doc.text));
            }
        }
        if let Some(log) = doc.metadata.get(EDITS_KEY) {
            let replayed = apply_edits(&text, log).unwrap();
            if replayed != doc.text {
                bad.push(format!(
                    "log of {text:?} (after pii {after_pii:?}) replays to {replayed:?}, text {:?}",
                    doc.text
                ));
            }
        }
    }
    assert!(changed > 300, "{changed}");
    assert!(
        bad.is_empty(),
        "{} bad:\n{}",
        bad.len(),
        bad[..bad.len().min(10)].join("\n")
    );
}
