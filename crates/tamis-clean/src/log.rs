//! Recording removals made by later steps in the same edit log, in original-text coordinates.
//!
//! The log (`metadata.tamis_edits`) always describes the document as it was read: cutting its
//! byte ranges out of the original text gives the current text. A step that removes lines of
//! the current text (line dedup, and any later line filter) maps each removed range back
//! through the earlier cuts and merges it into the log, so the invariant survives any number
//! of steps.

use std::ops::Range;

use serde_json::Value;
use tamis_core::Document;

use crate::{line_ranges, Edit, EditError, EDITS_KEY};

/// Removes the current text's lines `remove` (0-based indices into [`line_ranges`]; sorted, no
/// repeats) from `doc`, each with its rule, and records them in the edit log.
/// Returns the number of bytes removed.
pub fn remove_lines(doc: &mut Document, remove: &[(usize, &str)]) -> Result<usize, EditError> {
    if remove.is_empty() {
        return Ok(0);
    }
    let mut log: Vec<Edit> = match doc.metadata.get(EDITS_KEY) {
        Some(v) => serde_json::from_value(v.clone())?,
        None => Vec::new(),
    };
    let text = &doc.text;
    let lines = line_ranges(text);
    // Current-text runs: (rule, lines, bytes), consecutive lines of one rule joined.
    let mut runs: Vec<(&str, Range<usize>, Range<usize>)> = Vec::new();
    for &(i, rule) in remove {
        let Some(r) = lines.get(i) else {
            continue;
        };
        match runs.last_mut() {
            Some((last_rule, l, b)) if *last_rule == rule && l.end == i => {
                l.end = i + 1;
                b.end = r.end;
            }
            _ => runs.push((rule, i..i + 1, r.clone())),
        }
    }

    // The original text's kept segments, in order: (original start, current start, length),
    // with the original lines cut before each.
    let mut segments: Vec<(usize, usize, usize, usize)> = Vec::new();
    let (mut orig, mut cur, mut cut_lines) = (0usize, 0usize, 0usize);
    for (index, e) in log.iter().enumerate() {
        let bad = e.byte_start < orig
            || e.byte_end < e.byte_start
            || e.line_end < e.line_start
            || cur + (e.byte_start - orig) > text.len();
        if bad {
            return Err(EditError::OutOfRange {
                index,
                start: e.byte_start,
                end: e.byte_end,
                len: text.len(),
            });
        }
        // A cut of the original is a seam in the current text; if the log fits the text, the
        // seam falls between characters. One that does not would split a character below.
        if !text.is_char_boundary(cur + (e.byte_start - orig)) {
            return Err(EditError::NotCharBoundary {
                index,
                start: e.byte_start,
                end: e.byte_end,
            });
        }
        if e.byte_start > orig {
            segments.push((orig, cur, e.byte_start - orig, cut_lines));
            cur += e.byte_start - orig;
        }
        orig = e.byte_end;
        // Saturating: line numbers come from metadata, and absurd ones must not overflow.
        cut_lines = cut_lines.saturating_add(e.line_end - e.line_start);
    }
    segments.push((orig, cur, text.len() - cur, cut_lines));

    let mut added = Vec::new();
    for (rule, cur_lines, bytes) in &runs {
        // Line index in the current text at each byte, to number the pieces.
        let mut line = cur_lines.start;
        for &(o_start, c_start, len, cut_before) in &segments {
            let (lo, hi) = (bytes.start.max(c_start), bytes.end.min(c_start + len));
            if lo >= hi {
                continue;
            }
            let piece = &text[lo..hi];
            let n_lines = piece.matches('\n').count() + usize::from(!piece.ends_with('\n'));
            added.push(Edit {
                rule: (*rule).to_owned(),
                line_start: line.saturating_add(cut_before),
                line_end: line.saturating_add(cut_before).saturating_add(n_lines),
                byte_start: o_start + (lo - c_start),
                byte_end: o_start + (hi - c_start),
            });
            line += n_lines;
        }
    }
    log.extend(added);
    log.sort_by_key(|e| e.byte_start);

    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    let mut removed = 0;
    for (_, _, b) in &runs {
        out.push_str(&text[pos..b.start]);
        removed += b.len();
        pos = b.end;
    }
    out.push_str(&text[pos..]);
    doc.text = out;
    let log: Vec<Value> = log
        .into_iter()
        .map(|e| serde_json::to_value(e).expect("edits serialise"))
        .collect();
    doc.metadata.insert(EDITS_KEY.to_owned(), Value::Array(log));
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{apply_edits, clean, LineCleanConfig};

    fn numbered(n: usize) -> String {
        (0..n).map(|i| format!("line {i}\n")).collect()
    }

    #[test]
    fn later_removals_compose_with_earlier_ones() {
        let original = numbered(10);
        let mut doc = Document::new("d", original.clone());
        // First cut lines 2-3 and 7 of the original.
        remove_lines(&mut doc, &[(2, "a"), (3, "a"), (7, "b")]).unwrap();
        assert_eq!(doc.text.lines().count(), 7);
        // Now current lines 1..4 = original 1, 4, 5 (spanning the earlier cut), and the last.
        remove_lines(&mut doc, &[(1, "c"), (2, "c"), (3, "c"), (6, "d")]).unwrap();
        let log = doc.metadata[EDITS_KEY].clone();
        assert_eq!(apply_edits(&original, &log).unwrap(), doc.text);
        assert_eq!(doc.text, "line 0\nline 6\nline 8\n");
        let edits: Vec<Edit> = serde_json::from_value(log).unwrap();
        let spans: Vec<(&str, usize, usize)> = edits
            .iter()
            .map(|e| (e.rule.as_str(), e.line_start, e.line_end))
            .collect();
        assert_eq!(
            spans,
            [
                ("c", 1, 2),
                ("a", 2, 4),
                ("c", 4, 6),
                ("b", 7, 8),
                ("d", 9, 10)
            ]
        );
    }

    #[test]
    fn a_log_that_does_not_fit_the_text_is_an_error() {
        let mut doc = Document::new("d", numbered(3));
        let bogus = serde_json::json!([
            {"rule": "a", "line_start": 0, "line_end": 1, "byte_start": 50, "byte_end": 60},
            {"rule": "a", "line_start": 0, "line_end": 1, "byte_start": 10, "byte_end": 12}
        ]);
        doc.metadata.insert(EDITS_KEY.into(), bogus);
        assert!(remove_lines(&mut doc, &[(0, "x")]).is_err());
        assert_eq!(doc.text, numbered(3), "nothing changes on error");
    }

    /// Found by the `edit_log` fuzz target: a log whose cut lands inside a character of the
    /// current text (here inside U+FFFD) used to panic when slicing the text.
    #[test]
    fn a_log_cutting_inside_a_character_is_an_error() {
        let mut doc = Document::new("d", "\u{FFFD}");
        let log = serde_json::json!([
            {"rule": "r", "line_start": 2, "line_end": 2, "byte_start": 2, "byte_end": 2}
        ]);
        doc.metadata.insert(EDITS_KEY.into(), log);
        let err = remove_lines(&mut doc, &[(0, "r"), (1, "s")]).unwrap_err();
        assert!(
            matches!(err, EditError::NotCharBoundary { index: 0, .. }),
            "{err}"
        );
        assert_eq!(doc.text, "\u{FFFD}");
    }

    /// Line numbers are metadata and may be absurd; they must not overflow.
    #[test]
    fn huge_line_numbers_in_a_log_do_not_overflow() {
        let mut doc = Document::new("d", "a\nb\n");
        let log = serde_json::json!([
            {"rule": "r", "line_start": 0, "line_end": usize::MAX, "byte_start": 0, "byte_end": 0},
            {"rule": "r", "line_start": 0, "line_end": usize::MAX, "byte_start": 0, "byte_end": 0}
        ]);
        doc.metadata.insert(EDITS_KEY.into(), log);
        assert_eq!(remove_lines(&mut doc, &[(1, "x")]).unwrap(), 2);
        assert_eq!(doc.text, "a\n");
    }

    #[test]
    fn composes_with_the_line_cleaners_log_on_the_seed_page() {
        let original = include_str!("../../../sample/seed-page.txt");
        let (cleaned, edits) = clean(original, &LineCleanConfig::default());
        let mut doc = Document::new("seed", cleaned);
        doc.metadata
            .insert(EDITS_KEY.into(), serde_json::to_value(&edits).unwrap());
        let n = line_ranges(&doc.text).len();
        let every_third: Vec<(usize, &str)> = (0..n).step_by(3).map(|i| (i, "x")).collect();
        remove_lines(&mut doc, &every_third).unwrap();
        assert_eq!(
            apply_edits(original, &doc.metadata[EDITS_KEY]).unwrap(),
            doc.text
        );
    }
}
