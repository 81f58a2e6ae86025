//! Recording removals and replacements made by later steps in the same edit log, in
//! original-text coordinates.
//!
//! The log (`metadata.tamis_edits`) always describes the document as it was read: cutting its
//! byte ranges out of the original text (putting in an entry's `replacement` where it has one)
//! gives the current text. A step that removes lines of the current text (line dedup, and any
//! later line filter) or replaces spans in it (`pii`) maps each range back through the earlier
//! edits and merges it into the log, so the invariant survives any number of steps.

use std::ops::Range;

use serde_json::Value;
use tamis_core::Document;

use crate::{check_range, line_ranges, Edit, EditError, EDITS_KEY};

/// Removes the current text's lines `remove` (0-based indices into [`line_ranges`]; sorted, no
/// repeats) from `doc`, each with its rule, and records them in the edit log.
/// Returns the number of bytes removed.
pub fn remove_lines(doc: &mut Document, remove: &[(usize, &str)]) -> Result<usize, EditError> {
    let lines = line_ranges(&doc.text);
    // Consecutive lines of one rule joined into one range.
    let mut ranges: Vec<(Range<usize>, &str)> = Vec::new();
    for &(i, rule) in remove {
        let Some(r) = lines.get(i) else {
            continue;
        };
        match ranges.last_mut() {
            Some((b, last_rule)) if *last_rule == rule && b.end == r.start => b.end = r.end,
            _ => ranges.push((r.clone(), rule)),
        }
    }
    remove_ranges(doc, &ranges)
}

/// Removes byte ranges of the current text (sorted, not overlapping, on character boundaries)
/// from `doc`, each with its rule, and records them in the edit log. A range may be whole lines
/// or part of one line (the cut cells of a layout line). Returns the number of bytes removed.
pub fn remove_ranges(
    doc: &mut Document,
    remove: &[(Range<usize>, &str)],
) -> Result<usize, EditError> {
    if remove.is_empty() {
        return Ok(0);
    }
    let log = read_log(doc)?;
    let fresh = log.is_empty();
    let text = &doc.text;
    let lines = line_ranges(text);
    let mut pos = 0;
    for (index, (b, _)) in remove.iter().enumerate() {
        check_range(text, pos, log.len() + index, b)?;
        pos = b.end;
    }
    // Current-text runs: (rule, first line, bytes).
    let runs: Vec<(&str, usize, Range<usize>)> = remove
        .iter()
        .map(|(b, rule)| {
            (
                *rule,
                lines.partition_point(|l| l.start <= b.start) - 1,
                b.clone(),
            )
        })
        .collect();

    let segments = segments(&log, text)?;

    let mut added = Vec::new();
    let mut absorbed: Vec<usize> = Vec::new();
    for (rule, first_line, bytes) in &runs {
        // Pieces of the run in original coordinates: (original range, current range, lines cut
        // before it). A replacement the run covers is removed with it: its original range joins
        // the removal and the replacement edit leaves the log.
        // The last field counts the line breaks of replacements the piece takes in: lines of
        // the current text that are no lines of the original.
        let mut pieces: Vec<(Range<usize>, Range<usize>, isize, usize)> = Vec::new();
        for seg in &segments {
            let (lo, hi) = (bytes.start.max(seg.cur), bytes.end.min(seg.cur + seg.len));
            if lo >= hi {
                continue;
            }
            let (orig, breaks) = match seg.replaced {
                None => (seg.orig + (lo - seg.cur)..seg.orig + (hi - seg.cur), 0),
                Some(index) => {
                    if lo != seg.cur || hi != seg.cur + seg.len {
                        return Err(EditError::SplitsReplacement { index });
                    }
                    absorbed.push(index);
                    (
                        log[index].byte_start..log[index].byte_end,
                        text[lo..hi].matches('\n').count(),
                    )
                }
            };
            match pieces.last_mut() {
                // Contiguous in both texts: one piece (a replacement and the text around it).
                Some((o, c, _, b)) if o.end == orig.start && c.end == lo => {
                    o.end = orig.end;
                    c.end = hi;
                    *b += breaks;
                }
                _ => pieces.push((orig, lo..hi, seg.cut_lines, breaks)),
            }
        }
        // Line index in the current text at each piece, to number the pieces.
        let mut line = *first_line;
        for (orig, cur, cut_before, breaks) in pieces {
            let piece = &text[cur];
            let n_lines = piece.matches('\n').count() + usize::from(!piece.ends_with('\n'));
            let start = original_line(line, cut_before);
            added.push(Edit {
                rule: (*rule).to_owned(),
                line_start: start,
                line_end: start.saturating_add(n_lines.saturating_sub(breaks)),
                byte_start: orig.start,
                byte_end: orig.end,
                replacement: None,
                score: None,
            });
            line += n_lines;
        }
    }
    let mut log: Vec<Edit> = log
        .into_iter()
        .enumerate()
        .filter(|(i, _)| !absorbed.contains(i))
        .map(|(_, e)| e)
        .collect();
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
    set_text(doc, out, fresh);
    write_log(doc, log);
    Ok(removed)
}

/// Replaces the text; when the log was empty, the old text is its base (see [`tamis_core::EditBase`]).
pub(crate) fn set_text(doc: &mut Document, text: String, fresh_log: bool) {
    let old = std::mem::replace(&mut doc.text, text);
    if fresh_log {
        doc.edit_base.offer(old);
    }
}

fn read_log(doc: &Document) -> Result<Vec<Edit>, EditError> {
    Ok(match doc.metadata.get(EDITS_KEY) {
        Some(v) => serde_json::from_value(v.clone())?,
        None => Vec::new(),
    })
}

fn write_log(doc: &mut Document, log: Vec<Edit>) {
    let log: Vec<Value> = log
        .into_iter()
        .map(|e| serde_json::to_value(e).expect("edits serialise"))
        .collect();
    doc.metadata.insert(EDITS_KEY.to_owned(), Value::Array(log));
}

/// A stretch of the current text: `len` bytes at `cur` that are either the original text's
/// bytes at `orig`, or the replacement text of log entry `replaced`. `cut_lines` is what to add
/// to a line number of the current text to get the original's at this stretch: the
/// original lines removed before it.
struct Segment {
    orig: usize,
    cur: usize,
    len: usize,
    replaced: Option<usize>,
    cut_lines: isize,
}

/// The original text's line number of line `line` of the current text, `cut_lines` being the
/// [`Segment`]'s.
fn original_line(line: usize, cut_lines: isize) -> usize {
    (line as isize).saturating_add(cut_lines).max(0) as usize
}

/// The current text as stretches of the original and of replacements, from the log (which must
/// fit the text: the error names the first entry that does not).
fn segments(log: &[Edit], text: &str) -> Result<Vec<Segment>, EditError> {
    let mut segments = Vec::new();
    let (mut orig, mut cur, mut cut_lines) = (0usize, 0usize, 0isize);
    for (index, e) in log.iter().enumerate() {
        let new_len = e.replacement.as_ref().map_or(0, String::len);
        // Saturating: offsets come from metadata, and absurd ones must not overflow.
        let bad = e.byte_start < orig
            || e.byte_end < e.byte_start
            || e.line_end < e.line_start
            || cur
                .saturating_add(e.byte_start - orig)
                .saturating_add(new_len)
                > text.len();
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
        let at = cur + (e.byte_start - orig);
        if !text.is_char_boundary(at) || !text.is_char_boundary(at + new_len) {
            return Err(EditError::NotCharBoundary {
                index,
                start: e.byte_start,
                end: e.byte_end,
            });
        }
        if e.byte_start > orig {
            segments.push(Segment {
                orig,
                cur,
                len: e.byte_start - orig,
                replaced: None,
                cut_lines,
            });
            cur += e.byte_start - orig;
        }
        if let Some(new) = &e.replacement {
            // A replacement stands in for part of one original line; each line break it holds
            // adds a line to the current text.
            if new_len > 0 {
                segments.push(Segment {
                    orig: e.byte_start,
                    cur,
                    len: new_len,
                    replaced: Some(index),
                    cut_lines,
                });
            }
            cur += new_len;
            cut_lines = cut_lines.saturating_sub(new.matches('\n').count() as isize);
        } else {
            // Saturating: line numbers come from metadata, and absurd ones must not overflow.
            let cut = isize::try_from(e.line_end - e.line_start).unwrap_or(isize::MAX);
            cut_lines = cut_lines.saturating_add(cut);
        }
        orig = e.byte_end;
    }
    segments.push(Segment {
        orig,
        cur,
        len: text.len() - cur,
        replaced: None,
        cut_lines,
    });
    Ok(segments)
}

/// Replaces spans of the current text (`(byte range, rule, replacement)`, sorted, not
/// overlapping, spans holding no line break; a replacement may hold some) and records each in
/// the edit log as a replacement of the original text. A span that touches text an earlier
/// replacement put in takes that replacement over: the new entry covers both original ranges.
/// Returns the number of spans replaced.
pub fn replace_spans(
    doc: &mut Document,
    spans: &[(Range<usize>, &str, &str)],
) -> Result<usize, EditError> {
    if spans.is_empty() {
        return Ok(0);
    }
    let log = read_log(doc)?;
    let fresh = log.is_empty();
    let text = &doc.text;
    let segments = segments(&log, text)?;
    let lines = line_ranges(text);
    let mut absorbed: Vec<usize> = Vec::new();
    let mut added: Vec<Edit> = Vec::new();
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    for (span, rule, replacement) in spans {
        check_range(text, pos, log.len() + added.len(), span)?;
        // Widen the span over replacements it touches; map its ends to the original.
        let (mut cur, mut orig) = (span.clone(), None::<Range<usize>>);
        let mut cut_before = 0isize;
        let mut first_line = None;
        for seg in &segments {
            let seg_end = seg.cur + seg.len;
            let touches = seg.cur < span.end.max(span.start + 1) && span.start < seg_end;
            if !touches {
                continue;
            }
            let o = match seg.replaced {
                None => {
                    seg.orig + (span.start.max(seg.cur) - seg.cur)
                        ..seg.orig + (span.end.min(seg_end) - seg.cur)
                }
                Some(index) => {
                    // Two spans inside one earlier replacement cannot both take it over.
                    if absorbed.contains(&index) {
                        return Err(EditError::SplitsReplacement { index });
                    }
                    absorbed.push(index);
                    first_line.get_or_insert(log[index].line_start);
                    cur = cur.start.min(seg.cur)..cur.end.max(seg_end);
                    log[index].byte_start..log[index].byte_end
                }
            };
            if orig.is_none() {
                cut_before = seg.cut_lines;
            }
            orig = Some(match orig {
                None => o,
                Some(p) if p.end == o.start => p.start..o.end,
                // A span crossing a removed range: not something a '\n'-free span can do.
                Some(_) => {
                    return Err(EditError::OutOfRange {
                        index: log.len() + added.len(),
                        start: span.start,
                        end: span.end,
                        len: text.len(),
                    })
                }
            });
        }
        let orig = orig.unwrap_or_else(|| {
            // An empty span at the very end of the text.
            let last = segments.last().map_or(0, |s| s.orig + s.len);
            last..last
        });
        let line = lines.partition_point(|l| l.end <= cur.start);
        let line_start = first_line.unwrap_or(original_line(line, cut_before));
        let new_text = format!(
            "{}{replacement}{}",
            &text[cur.start..span.start],
            &text[span.end..cur.end]
        );
        out.push_str(&text[pos..cur.start]);
        out.push_str(&new_text);
        pos = cur.end;
        added.push(Edit {
            rule: (*rule).to_owned(),
            line_start,
            line_end: line_start + 1,
            byte_start: orig.start,
            byte_end: orig.end,
            replacement: Some(new_text),
            score: None,
        });
    }
    out.push_str(&text[pos..]);
    let mut log: Vec<Edit> = log
        .into_iter()
        .enumerate()
        .filter(|(i, _)| !absorbed.contains(i))
        .map(|(_, e)| e)
        .collect();
    log.extend(added);
    log.sort_by_key(|e| e.byte_start);
    set_text(doc, out, fresh);
    write_log(doc, log);
    Ok(spans.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{apply_edits, clean, LineCleanConfig};

    fn numbered(n: usize) -> String {
        (0..n).map(|i| format!("line {i}\n")).collect()
    }

    #[test]
    fn replacements_may_put_line_breaks_in() {
        let original = numbered(6);
        let mut doc = Document::new("d", original.clone());
        // Original line 1's text becomes two lines.
        let at = original.find("line 1").unwrap();
        replace_spans(&mut doc, &[(at..at + 6, "split", "one\ntwo")]).unwrap();
        assert_eq!(
            doc.text,
            "line 0\none\ntwo\nline 2\nline 3\nline 4\nline 5\n"
        );
        // Current line 4 is original line 3; current lines 1-2 are the replacement.
        remove_lines(&mut doc, &[(4, "x")]).unwrap();
        remove_lines(&mut doc, &[(1, "y"), (2, "y")]).unwrap();
        let log = doc.metadata[EDITS_KEY].clone();
        assert_eq!(apply_edits(&original, &log).unwrap(), doc.text);
        assert_eq!(doc.text, "line 0\nline 2\nline 4\nline 5\n");
        let edits: Vec<Edit> = serde_json::from_value(log).unwrap();
        let spans: Vec<(&str, usize, usize)> = edits
            .iter()
            .map(|e| (e.rule.as_str(), e.line_start, e.line_end))
            .collect();
        // The removal that took the replacement over covers original line 1 only.
        assert_eq!(spans, [("y", 1, 2), ("x", 3, 4)]);
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

    #[test]
    fn ranges_inside_a_character_or_out_of_order_are_errors_not_panics() {
        let mut doc = Document::new("d", "caf\u{E9} au lait\n");
        let err = replace_spans(&mut doc, &[(4..5, "r", "x")]).unwrap_err();
        assert!(
            matches!(err, EditError::NotCharBoundary { index: 0, .. }),
            "{err}"
        );
        let err = remove_ranges(&mut doc, &[(6..9, "r"), (2..3, "r")]).unwrap_err();
        assert!(
            matches!(err, EditError::OutOfRange { index: 1, .. }),
            "{err}"
        );
        assert_eq!(doc.text, "caf\u{E9} au lait\n");
        assert!(!doc.metadata.contains_key(EDITS_KEY));
    }

    #[test]
    fn replacements_compose_with_removals_in_any_order() {
        let original = "keep a@b.com here\ndrop me\nx 1.2.3.4 y\ntail\n";
        let mut doc = Document::new("d", original);
        remove_lines(&mut doc, &[(1, "cut")]).unwrap();
        assert_eq!(doc.text, "keep a@b.com here\nx 1.2.3.4 y\ntail\n");
        // Spans in current coordinates: the email on line 0, the address on (current) line 1.
        let spans = [
            (5..12, "pii_email", "E@X.ORG"),
            (20..27, "pii_ip", "9.9.9.9"),
        ];
        replace_spans(&mut doc, &spans).unwrap();
        assert_eq!(doc.text, "keep E@X.ORG here\nx 9.9.9.9 y\ntail\n");
        let log = doc.metadata[EDITS_KEY].clone();
        assert_eq!(apply_edits(original, &log).unwrap(), doc.text);
        let edits: Vec<Edit> = serde_json::from_value(log).unwrap();
        let lines: Vec<(&str, usize, usize)> = edits
            .iter()
            .map(|e| (e.rule.as_str(), e.line_start, e.line_end))
            .collect();
        assert_eq!(
            lines,
            [("pii_email", 0, 1), ("cut", 1, 2), ("pii_ip", 2, 3)]
        );
        // Replacing inside a replacement takes it over; removing its line removes it.
        replace_spans(&mut doc, &[(5..12, "again", "q@r.st")]).unwrap();
        assert_eq!(doc.text, "keep q@r.st here\nx 9.9.9.9 y\ntail\n");
        remove_lines(&mut doc, &[(1, "cut2")]).unwrap();
        assert_eq!(doc.text, "keep q@r.st here\ntail\n");
        let log = doc.metadata[EDITS_KEY].clone();
        assert_eq!(apply_edits(original, &log).unwrap(), doc.text);
        let edits: Vec<Edit> = serde_json::from_value(log).unwrap();
        assert_eq!(edits.len(), 3, "{edits:?}");
        assert!(edits.iter().all(|e| e.rule != "pii_ip"));
        // Old logs (no `replacement`) still read; removals write no `replacement` key.
        assert!(!doc.metadata[EDITS_KEY]
            .to_string()
            .contains("\"replacement\":null"));
    }

    /// What the `edit_log` fuzz target checks, on a few fixed inputs: rounds of removals and
    /// replacements (some inside earlier replacements) always replay.
    #[test]
    fn rounds_of_removals_and_replacements_replay() {
        let texts = [
            "abc\nba\n\naaa bbb\nxyz\n",
            "a\nb\na\nb",
            "no match here\nnor here",
            "ab",
        ];
        for text in texts {
            for rounds in [[1usize, 3], [0, 0], [2, 5]] {
                let mut doc = Document::new("d", text);
                for r in rounds {
                    remove_lines(&mut doc, &[(r, "x")]).unwrap();
                    for (needle, with) in [("a", "<A>"), ("b", "[a]")] {
                        let spans: Vec<(Range<usize>, &str, &str)> = doc
                            .text
                            .match_indices(needle)
                            .map(|(i, _)| (i..i + 1, "p", with))
                            .collect();
                        replace_spans(&mut doc, &spans).unwrap();
                    }
                    let log = doc.metadata.get(EDITS_KEY).cloned().unwrap_or_default();
                    let replayed = if log.is_null() {
                        text.to_owned()
                    } else {
                        apply_edits(text, &log).unwrap()
                    };
                    assert_eq!(replayed, doc.text, "{text:?} {rounds:?}");
                }
            }
        }
    }

    /// Offsets are metadata too: a huge one is an error, not an overflow.
    #[test]
    fn huge_offsets_in_a_log_are_an_error() {
        let mut doc = Document::new("d", "a\nb\n");
        let log = serde_json::json!([
            {"rule": "r", "line_start": 0, "line_end": 0, "byte_start": 1, "byte_end": 1, "replacement": "x"},
            {"rule": "r", "line_start": 0, "line_end": 0, "byte_start": usize::MAX, "byte_end": usize::MAX}
        ]);
        doc.metadata.insert(EDITS_KEY.into(), log);
        assert!(remove_lines(&mut doc, &[(0, "x")]).is_err());
        assert!(replace_spans(&mut doc, &[(0..1, "y", "z")]).is_err());
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
