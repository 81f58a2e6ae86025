//! `keyword_list`: runs of short unpunctuated lines that keep repeating the same word.
//!
//! Spam injected into hacked pages is often a column of search keywords: "casino bonus",
//! "casino online", "best casino sites" (or their Persian, Turkish or Indonesian versions).
//! Each line is short, has no sentence punctuation, and the run shares a few tokens; real
//! short lines (menus, list items) rarely repeat one word on most lines. This is the per-line
//! analogue of Gopher's repetition signals (Rae et al. 2021: top n-gram share) applied to a
//! block of lines. A run needs at least `keyword_min_lines` lines, and its most frequent word
//! must occur on at least half of them.

use std::collections::HashMap;

use super::{ends_sentence, Line};
use crate::LineCleanConfig;

pub const ID: &str = "keyword_list";

fn is_candidate(line: &Line<'_>) -> bool {
    !line.is_blank() && line.words <= 6 && !ends_sentence(line.text)
}

/// Marks the lines of keyword runs (blank lines ignored) that no earlier rule removed.
pub(crate) fn keyword_lists(
    lines: &[Line<'_>],
    out: &mut [Option<&'static str>],
    cfg: &LineCleanConfig,
) {
    let nonblank: Vec<usize> = (0..lines.len()).filter(|&i| !lines[i].is_blank()).collect();
    let mut k = 0;
    let mut counts: HashMap<&str, usize> = HashMap::new();
    while k < nonblank.len() {
        if !is_candidate(&lines[nonblank[k]]) {
            k += 1;
            continue;
        }
        let start = k;
        while k < nonblank.len() && is_candidate(&lines[nonblank[k]]) {
            k += 1;
        }
        let run = &nonblank[start..k];
        if run.len() < cfg.keyword_min_lines {
            continue;
        }
        counts.clear();
        for &i in run {
            let line = &lines[i];
            let mut seen: Vec<&str> = Vec::with_capacity(line.words);
            for w in line.lower().split_whitespace() {
                if w.chars().filter(|c| c.is_alphabetic()).count() >= 2 && !seen.contains(&w) {
                    seen.push(w);
                    *counts.entry(w).or_default() += 1;
                }
            }
        }
        let top = counts.values().copied().max().unwrap_or(0);
        if top >= 3 && 2 * top >= run.len() {
            for &i in run {
                out[i].get_or_insert(ID);
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
        keyword_lists(&lines, &mut out, &LineCleanConfig::default());
        out
    }

    #[test]
    fn repeated_keyword_columns_are_spam() {
        let out = run(&[
            "casino bonus",
            "casino online",
            "best casino sites",
            "live casino",
            "The weather turned cold on Friday, and the match was called off.",
        ]);
        assert_eq!(out, [Some(ID), Some(ID), Some(ID), Some(ID), None]);
    }

    #[test]
    fn a_menu_is_not_a_keyword_list() {
        let out = run(&["News", "Sport", "Weather", "Business", "Culture"]);
        assert!(out.iter().all(Option::is_none));
    }
}
