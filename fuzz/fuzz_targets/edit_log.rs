#![no_main]
//! Edit logs: `apply_edits`, `remove_lines` and `replace_spans` on arbitrary logs must return an
//! error, never panic; and removals and replacements made through `remove_lines` and
//! `replace_spans` must always replay with `apply_edits`.

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use tamis_core::Document;

fuzz_target!(|data: &[u8]| {
    let Some((&split, rest)) = data.split_first() else {
        return;
    };
    let cut = (usize::from(split) * rest.len() / 256).min(rest.len());
    let text = String::from_utf8_lossy(&rest[..cut]).into_owned();
    let tail = &rest[cut..];

    // Arbitrary JSON as a log.
    if let Ok(log) = serde_json::from_slice::<Value>(tail) {
        let _ = tamis_clean::apply_edits(&text, &log);
        let mut doc = Document::new("d", text.clone());
        doc.metadata.insert("tamis_edits".into(), log);
        let _ = tamis_clean::remove_lines(&mut doc, &[(0, "r"), (2, "r")]);
        let _ = tamis_clean::replace_spans(&mut doc, &[(0..0, "p", "x")]);
    }

    // A log of numbers taken from the bytes: well-formed JSON, hostile values.
    let nums: Vec<usize> = tail
        .iter()
        .map(|&b| usize::from(b) % (text.len() + 3))
        .collect();
    let log: Value = nums
        .chunks_exact(4)
        .map(|c| {
            serde_json::json!({
                "rule": "r", "line_start": c[0], "line_end": c[1],
                "byte_start": c[2], "byte_end": c[3]
            })
        })
        .collect();
    let _ = tamis_clean::apply_edits(&text, &log);
    let mut doc = Document::new("d", text.clone());
    doc.metadata.insert("tamis_edits".into(), log);
    let _ = tamis_clean::remove_lines(&mut doc, &[(0, "r"), (1, "s")]);

    // Two rounds of removals through the real API always replay.
    let mut doc = Document::new("d", text.clone());
    for round in tail.chunks(3).take(2) {
        let mut idx: Vec<usize> = round.iter().map(|&b| usize::from(b % 16)).collect();
        idx.sort_unstable();
        idx.dedup();
        let remove: Vec<(usize, &str)> = idx.iter().map(|&i| (i, "x")).collect();
        tamis_clean::remove_lines(&mut doc, &remove).expect("own log is valid");
        // Replace every `a` (one byte, never a line break) with a stand-in, then `b` with one
        // that holds an `a`, so later rounds replace inside replacements.
        for (needle, with) in [("a", "<A>"), ("b", "[a]")] {
            let spans: Vec<(std::ops::Range<usize>, &str, &str)> = doc
                .text
                .match_indices(needle)
                .map(|(i, _)| (i..i + 1, "p", with))
                .collect();
            tamis_clean::replace_spans(&mut doc, &spans).expect("own log is valid");
        }
        let log = doc
            .metadata
            .get("tamis_edits")
            .cloned()
            .unwrap_or(Value::Array(vec![]));
        assert_eq!(
            tamis_clean::apply_edits(&text, &log).expect("replays"),
            doc.text
        );
    }
});
