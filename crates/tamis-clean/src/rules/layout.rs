//! `layout_columns`: a line holding several page columns side by side.
//!
//! Text renderers that keep layout (inscriptis, `lynx -dump`, browsers' visible text) pad
//! table cells with runs of spaces, so a table-laid-out page yields lines that glue a navigation
//! column, the article and a sidebar into one. Such a line is neither clean content nor
//! removable by its words; a run of spaces inside the stripped text (or long trailing padding)
//! marks it. Measured on the labelled set (962 pages): lines with a run of 4+ spaces hold 2.8 M
//! characters of boilerplate against 0.26 M of content. Prose never needs such runs.

use super::Line;
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
}
