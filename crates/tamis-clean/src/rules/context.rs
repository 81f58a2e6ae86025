//! `short_fragment`: short or unpunctuated lines that are not embedded in prose, and
//! `blank_around_removed`: blank lines left between removed lines.
//!
//! This is jusText's context step (Pomikálek 2011, ch. 4): blocks are first classed as good
//! (long, sentence-like), bad, or short, and a short block takes the class of its
//! surroundings: kept between good blocks (a heading or a short paragraph inside the article),
//! removed otherwise (menus, keyword lists, link labels, widget titles). C4's rule removes every
//! line without terminal punctuation, which on the labelled set loses 11% of the content
//! (headings, list items); deciding such lines by their neighbours keeps most of it.
//!
//! Here a kept line is *good* when it ends like a sentence and has at least
//! `good_min_words` words, or has at least `good_long_words` words; other kept lines are
//! *short*. A maximal run of short lines (blank lines ignored) of at most `max_short_run`
//! lines is kept when the nearest non-blank lines on both sides are good; a single short line
//! directly followed by a good line is kept too when `keep_heading_before_prose` is set (a
//! heading right after a removed menu). Everything else in such runs is removed.

use super::{ends_sentence, Line};
use crate::LineCleanConfig;

pub const ID: &str = "short_fragment";
pub const BLANK: &str = "blank_around_removed";

pub(crate) fn is_good(line: &Line<'_>, cfg: &LineCleanConfig) -> bool {
    line.words >= cfg.good_long_words
        || (line.words >= cfg.good_min_words && ends_sentence(line.text))
}

/// Applies the context rule to lines no earlier rule removed. A line cut to its prose (a layout
/// line's prose cells, an article line's text around leaked tags) is good.
pub(crate) fn short_fragments(
    lines: &[Line<'_>],
    cuts: &[Option<crate::rules::Cut>],
    out: &mut [Option<&'static str>],
    cfg: &LineCleanConfig,
) {
    // Class per non-blank line: Some(true) good, Some(false) short, None removed.
    let nonblank: Vec<usize> = (0..lines.len()).filter(|&i| !lines[i].is_blank()).collect();
    let class: Vec<Option<bool>> = nonblank
        .iter()
        .map(|&i| {
            out[i]
                .is_none()
                .then(|| cuts[i].is_some() || is_good(&lines[i], cfg))
        })
        .collect();
    let mut k = 0;
    while k < nonblank.len() {
        if class[k] != Some(false) {
            k += 1;
            continue;
        }
        let start = k;
        while k < nonblank.len() && class[k] == Some(false) {
            k += 1;
        }
        let run = k - start;
        let prev_good = start > 0 && class[start - 1] == Some(true);
        let next_good = k < nonblank.len() && class[k] == Some(true);
        let keep = (prev_good && next_good && run <= cfg.max_short_run)
            || (cfg.keep_heading_before_prose && next_good && run == 1);
        for &i in &nonblank[start..k] {
            if keep {
                continue;
            }
            out[i] = Some(ID);
        }
        if !keep && cfg.keep_heading_before_prose && next_good {
            // The line right before prose is likely its heading.
            out[nonblank[k - 1]] = None;
        }
    }
}

/// Removes blank lines whose nearest non-blank neighbours are both removed, and blank lines
/// before the first kept line or after the last one, giving them the rule of the removed line
/// before them (or after, at the start), so a removed block leaves no stack of empty lines
/// behind, the cleaned text does not start with blank lines, and a log entry stays one range.
pub(crate) fn blank_lines(lines: &[Line<'_>], out: &mut [Option<&'static str>]) {
    let n = lines.len();
    let first_kept = (0..n).find(|&i| !lines[i].is_blank() && out[i].is_none());
    let last_kept = (0..n)
        .rev()
        .find(|&i| !lines[i].is_blank() && out[i].is_none());
    let mut i = 0;
    let mut prev: Option<Option<&'static str>> = None; // None: start of document
    while i < n {
        if !lines[i].is_blank() {
            prev = Some(out[i]);
            i += 1;
            continue;
        }
        let start = i;
        while i < n && lines[i].is_blank() {
            i += 1;
        }
        let next = (i < n).then(|| out[i]);
        let prev_removed = prev.is_none_or(|p| p.is_some());
        let next_removed = next.is_none_or(|p| p.is_some());
        let outside = first_kept.is_none_or(|f| start < f) || last_kept.is_none_or(|l| start > l);
        if (prev_removed && next_removed && (prev.is_some() || next.is_some())) || outside {
            let rule = prev.flatten().or(next.flatten()).unwrap_or(BLANK);
            for o in &mut out[start..i] {
                *o = Some(rule);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &[&str]) -> Vec<Option<&'static str>> {
        let lines: Vec<Line<'_>> = text.iter().map(|s| Line::new(s)).collect();
        let mut out = vec![None; lines.len()];
        let cuts: Vec<Option<crate::rules::Cut>> = (0..lines.len()).map(|_| None).collect();
        short_fragments(&lines, &cuts, &mut out, &LineCleanConfig::default());
        out
    }

    #[test]
    fn a_heading_between_paragraphs_stays_a_menu_goes() {
        let out = run(&[
            "News",
            "Sport",
            "Weather",
            "The storm brought down trees across the county on Sunday night.",
            "Clean-up under way",
            "Crews worked through the morning to reopen the main roads into town.",
            "Contact",
            "Jobs",
        ]);
        assert_eq!(out[0..2], [Some(ID), Some(ID)]);
        assert_eq!(out[4], None);
        assert_eq!(out[6..8], [Some(ID), Some(ID)]);
    }
}
