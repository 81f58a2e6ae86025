//! `repeated_block`: runs of lines that occur more than once in the same document.
//!
//! Related-article lists, menus and teaser blocks are often rendered twice on one page (a
//! sidebar and a footer). Gopher (Rae et al. 2021) and FineWeb drop whole documents whose
//! lines repeat (`dup_line_frac`, `char_dup_ratio`); removing just the repeated lines keeps the
//! article. A single repeated line is left alone (pull quotes, refrains): a line is removed only
//! when it is part of a run of at least `repeat_min_lines` non-blank lines that all repeat
//! earlier lines, i.e. a second copy of a block. The first copy stays: when the
//! repeated block is the article's own (a summary shown twice, a table of contents), removing
//! it would lose content; measured on the labelled set, removing every copy cost more content
//! (147 K characters) than boilerplate it removed (133 K). Lines shorter than
//! `repeat_min_chars` bytes alone do not make a block (runs of "Share", "Reply"). Prose lines
//! inside a later copy (`prose_min_words` words ending like a sentence) stay too: a teaser
//! block repeats headlines, while a repeated paragraph is mostly the article's own summary.

use std::collections::HashSet;
use std::hash::BuildHasher;

use super::Line;
use crate::LineCleanConfig;

pub const ID: &str = "repeated_block";

pub(crate) struct Repeats {
    /// Per line: whether it is in a later copy of a repeated block.
    in_block: Vec<bool>,
}

impl Repeats {
    pub fn new(lines: &[Line<'_>], cfg: &LineCleanConfig) -> Self {
        let state = foldhash::quality::FixedState::with_seed(0x5eed);
        let mut seen: HashSet<u64> = HashSet::with_capacity(lines.len());
        let copy: Vec<bool> = lines
            .iter()
            .map(|l| !l.is_blank() && !seen.insert(state.hash_one(l.text)))
            .collect();
        // Runs of non-blank lines (blank lines ignored) that are all copies.
        let mut in_block = vec![false; lines.len()];
        let nonblank: Vec<usize> = (0..lines.len()).filter(|&i| !lines[i].is_blank()).collect();
        let mut k = 0;
        while k < nonblank.len() {
            if !copy[nonblank[k]] {
                k += 1;
                continue;
            }
            let start = k;
            while k < nonblank.len() && copy[nonblank[k]] {
                k += 1;
            }
            let run = &nonblank[start..k];
            let long = run
                .iter()
                .filter(|&&i| lines[i].text.len() >= cfg.repeat_min_chars)
                .count();
            if run.len() >= cfg.repeat_min_lines && long > 0 {
                for &i in run {
                    in_block[i] = true;
                }
            }
        }
        Self { in_block }
    }

    /// Whether line `i` belongs to a later copy of a repeated block.
    pub fn in_repeated_block(&self, i: usize) -> bool {
        self.in_block[i]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_copy_of_a_block_goes_a_repeated_single_line_stays() {
        let text = [
            "Council approves budget for next year",
            "Teachers strike over pay enters third day",
            "Mayor opens the new library",
            "The mayor cut the ribbon on Saturday and thanked the volunteers.",
            "",
            "Teachers strike over pay enters third day",
            "The library will be open seven days a week from next month.",
            "Council approves budget for next year",
            "",
            "Teachers strike over pay enters third day",
            "Mayor opens the new library",
        ];
        let lines: Vec<Line<'_>> = text.iter().map(|s| Line::new(s)).collect();
        let r = Repeats::new(&lines, &LineCleanConfig::default());
        let hits: Vec<usize> = (0..lines.len())
            .filter(|&i| r.in_repeated_block(i))
            .collect();
        // Line 5 is a single repeated line; 7..=10 copy the block at 0..=2.
        assert_eq!(hits, vec![7, 9, 10]);
    }
}
