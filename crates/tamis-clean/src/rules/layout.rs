//! `layout_columns`: a line holding several page columns side by side.
//!
//! Text renderers that keep layout (inscriptis, `lynx -dump`, browsers' visible text) pad
//! table cells with runs of spaces, so a table-laid-out page yields lines that glue a navigation
//! column, the article and a sidebar into one. Such a line is neither clean content nor
//! removable by its words; a run of spaces inside the stripped text (or long trailing padding)
//! marks it. Measured on the labelled set (962 pages): lines with a run of 4+ spaces hold 2.8 M
//! characters of boilerplate against 0.26 M of content. Prose never needs such runs.
//!
//! Such a line often holds the article itself in one of its cells ("Feature Article:",
//! padding, then the story's paragraph, padding, a sidebar link). With
//! `cut_lines`, cells that read as prose are kept and only the other cells are cut
//! (logged as byte ranges inside the line). On the CleanEval pages of the labelled set, 92% of
//! the characters of such prose cells occur in the pages' gold main text, and keeping them
//! raises the gold-shingle F1 of the cleaned cleaneval-final pages from 0.811 to 0.885
//! (`bench/clean_labelled.py`, docs/cleaning.md).

use std::ops::Range;

use super::{ends_sentence, Line};
use crate::LineCleanConfig;

pub const ID: &str = "layout_columns";

/// Whether the line has an inner run of at least `layout_min_space_run` spaces or tabs, or
/// at least `4 * layout_min_space_run` trailing ones.
pub fn is_layout_columns(line: &Line<'_>, cfg: &LineCleanConfig) -> bool {
    let k = cfg.layout_min_space_run;
    let trailing = line.raw.len() - line.raw.trim_end_matches([' ', '\t', '\u{a0}']).len();
    if trailing >= 4 * k {
        return true;
    }
    // A run of two or more needs a double space or a tab; most lines have neither, and a
    // vectorised search for those skips the byte loop.
    let bytes = line.text.as_bytes();
    if k >= 2
        && memchr::memchr(b'\t', bytes).is_none()
        && memchr::memmem::find(bytes, b"  ").is_none()
    {
        return false;
    }
    let mut run = 0usize;
    for b in line.text.bytes() {
        if b == b' ' || b == b'\t' {
            run += 1;
            if run >= k {
                return true;
            }
        } else {
            run = 0;
        }
    }
    false
}

/// Byte ranges, within `line.raw`, of the cells of a layout line that read as prose: at least
/// `prose_min_words` words ending like a sentence, or at least `good_long_words` words, and not
/// a boilerplate phrase (copyright, cookie and policy notices) as a line of their own would be.
/// Cells are the pieces between runs of `layout_min_space_run` or more spaces or tabs.
pub fn prose_cells(line: &Line<'_>, cfg: &LineCleanConfig) -> Vec<Range<usize>> {
    let raw = line.raw;
    let k = cfg.layout_min_space_run;
    let mut kept: Vec<Range<usize>> = Vec::new();
    let mut cell_start = None;
    let mut run = 0usize;
    let mut end = 0;
    let close = |start: usize, end: usize, kept: &mut Vec<Range<usize>>| {
        let cell = Line::new(&raw[start..end]);
        let words = cell.words;
        let prose = (words >= cfg.prose_min_words && ends_sentence(cell.text))
            || words >= cfg.good_long_words;
        // A cell is judged as a line would be: a copyright or cookie notice is not the article.
        if prose && !(cfg.boilerplate_phrases && super::phrases::is_boilerplate(&cell, cfg)) {
            kept.push(start..end);
        }
    };
    for (i, b) in raw.bytes().enumerate() {
        if b == b' ' || b == b'\t' {
            run += 1;
            if run == k {
                if let Some(start) = cell_start.take() {
                    close(start, end, &mut kept);
                }
            }
        } else {
            run = 0;
            if cell_start.is_none() {
                cell_start = Some(i);
            }
            end = i + 1;
        }
    }
    if let Some(start) = cell_start {
        close(start, end, &mut kept);
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn columns(s: &str) -> bool {
        is_layout_columns(&Line::new(s), &LineCleanConfig::default())
    }

    #[test]
    fn padded_table_cells_are_columns() {
        assert!(columns("Home      News      Sport      Weather"));
        assert!(columns(&format!(
            "Last updated: 27 September 2006{}",
            " ".repeat(60)
        )));
    }

    #[test]
    fn ordinary_prose_is_not() {
        assert!(!columns(
            "The council met on Monday.  Two spaces after a full stop are fine."
        ));
    }

    const STORY: &str =
        "The committee met on Tuesday and agreed to extend the programme for another three years.";

    fn cells(s: &str) -> Vec<&str> {
        prose_cells(&Line::new(s), &LineCleanConfig::default())
            .into_iter()
            .map(|r| &s[r])
            .collect()
    }

    #[test]
    fn prose_cells_of_a_layout_line_are_found() {
        let line = format!("Feature Article:          {STORY}          Archives");
        assert_eq!(cells(&line), [STORY]);
        // Single spaces do not split a cell; a menu row has no prose cell.
        assert!(cells("Home      News      Sport      Weather").is_empty());
        let two = format!("{STORY}      {STORY}");
        assert_eq!(cells(&two), [STORY, STORY]);
        // A notice reads like a sentence but is judged as the line it would be.
        let notice = "Copyright 2006 The Example Gazette. All rights reserved. Reproduction without permission is prohibited.";
        assert!(cells(&format!("Home      {notice}")).is_empty());
    }

    #[test]
    fn a_prose_line_padded_at_its_end_keeps_its_text() {
        let padded = format!("{STORY}{}", " ".repeat(20));
        let text = format!("Home      News\n{padded}\n");
        let (cleaned, _) = crate::clean(&text, &LineCleanConfig::default());
        assert_eq!(cleaned, format!("{STORY}\n"));
    }
}
