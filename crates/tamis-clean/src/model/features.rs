//! Per-line features of the learned line model: what the line is (length, punctuation, case,
//! digits), what every rule says of it (not only the first that fires), and where it sits (its
//! neighbours, the run of short lines around it, and its distance from the page's main block
//! of prose).
//!
//! Where a line sits is what the rules miss: a teaser headline, a comment-form notice or an
//! advertisement reads as prose line by line, but sits in a run of short one-line paragraphs
//! away from the article, often after it ends. Boilerpipe (Kohlschütter et al. 2010) found the
//! same: text density of the block and of its neighbours separates content from boilerplate
//! better than any single block's words. The main block is the run of lines of highest
//! prose-minus-junk weight (a maximum-sum segment, as CCNet and Dragnet-style extractors
//! look for a densest region).

use crate::rules::{self, context, ends_sentence, is_prose, Line};
use crate::LineCleanConfig;

/// Feature names, in the order each line's row holds them. A model file lists the names it
/// was trained with and is refused when they differ.
pub const FEATURE_NAMES: &[&str] = &[
    "words_log",
    "chars_log",
    "ends_sentence",
    "is_prose",
    "is_good",
    "upper_share",
    "digit_share",
    "punct_share",
    "letter_share",
    "title_share",
    "mean_word_len",
    "bullet_start",
    "sentences",
    "separators",
    "has_url",
    "has_copyright",
    "has_year",
    "has_at",
    "ends_colon",
    "ends_ellipsis",
    "starts_lower",
    "starts_quote",
    "rule_foreign_script",
    "rule_link_spam",
    "rule_markup_code",
    "rule_layout_columns",
    "rule_breadcrumb",
    "rule_boilerplate_phrase",
    "rule_caption_credit",
    "rule_tag_list",
    "rule_date_line",
    "rule_truncated_teaser",
    "rule_repeated_block",
    "removed_by_rules",
    "removed_keyword_list",
    "removed_short_fragment",
    "cut_by_rules",
    "rel_line",
    "rel_char",
    "in_main",
    "lines_to_main",
    "chars_to_main_log",
    "main_share",
    "prev_words_log",
    "next_words_log",
    "prev_good",
    "next_good",
    "prev_removed",
    "next_removed",
    "win3_good",
    "win3_words_log",
    "win10_good",
    "win10_words_log",
    "short_run_log",
    "dist_good",
    "repeats",
    "blank_before",
    "blank_after",
    "doc_lines_log",
    "doc_good_share",
    "doc_chars_log",
];

/// Values per line; a row of another length does not compile.
const N_FEATURES: usize = FEATURE_NAMES.len();

/// What the rules decided, which the features read.
pub(crate) struct RuleView<'a> {
    /// The rules' decision per line (after keyword lists and short fragments).
    pub out: &'a [Option<&'static str>],
    /// Whether a rule cut line i to part of its text.
    pub cut: &'a [bool],
    /// Per line, whether each per-line rule fires on its own, one bit per rule in
    /// `FEATURE_NAMES` order (`rule_foreign_script` is bit 0).
    pub fires: &'a [u16],
}

/// Each per-line rule's verdict on each line, evaluated independently of the others.
pub(crate) fn rule_fires(lines: &[Line<'_>], cfg: &LineCleanConfig) -> Vec<u16> {
    let doc_script = rules::script::DocScripts::new(lines);
    let repeats = rules::repeat::Repeats::new(lines, cfg);
    lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            if line.is_blank() {
                return 0;
            }
            let verdicts = [
                doc_script.is_foreign(line, cfg),
                rules::links::is_link_spam(line, cfg),
                rules::markup::is_markup(line),
                rules::layout::is_layout_columns(line, cfg),
                rules::phrases::is_breadcrumb(line),
                rules::phrases::is_boilerplate(line, cfg),
                rules::caption::is_caption(line, cfg),
                rules::caption::is_tag_line(line),
                rules::dates::is_date_line(line),
                rules::teaser::is_teaser(line, cfg),
                repeats.in_repeated_block(i),
            ];
            verdicts
                .iter()
                .enumerate()
                .fold(0u16, |acc, (b, &v)| acc | (u16::from(v) << b))
        })
        .collect()
}

/// Character classes of one line, counted in one pass.
#[derive(Default)]
struct Counts {
    chars: usize,
    non_space: usize,
    letters: usize,
    upper: usize,
    digits: usize,
    punct: usize,
    separators: usize,
}

fn counts(text: &str) -> Counts {
    let mut c = Counts::default();
    for ch in text.chars() {
        c.chars += 1;
        if ch.is_ascii() {
            // The common case without Unicode table look-ups.
            match ch {
                ' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c' | '\x1c'..='\x1f' => {}
                'a'..='z' => {
                    c.non_space += 1;
                    c.letters += 1;
                }
                'A'..='Z' => {
                    c.non_space += 1;
                    c.letters += 1;
                    c.upper += 1;
                }
                '0'..='9' => {
                    c.non_space += 1;
                    c.digits += 1;
                }
                _ => {
                    c.non_space += 1;
                    c.punct += 1;
                    c.separators += usize::from(matches!(ch, '|' | '/'));
                }
            }
            continue;
        }
        if tamis_text::py::is_space(ch) {
            continue;
        }
        c.non_space += 1;
        if ch.is_alphabetic() {
            c.letters += 1;
            c.upper += usize::from(ch.is_uppercase());
        } else if ch.is_numeric() {
            c.digits += 1;
        } else {
            c.punct += 1;
            c.separators += usize::from(matches!(ch, '|' | '»' | '›' | '·' | '•' | '/'));
        }
    }
    c
}

fn share(n: usize, of: usize) -> f64 {
    if of == 0 {
        0.0
    } else {
        n as f64 / of as f64
    }
}

fn flag(b: bool) -> f64 {
    f64::from(u8::from(b))
}

fn ln1p(n: usize) -> f64 {
    (n as f64).ln_1p()
}

/// Sentence ends inside the line: a sentence mark followed by a space or the end.
fn sentence_marks(text: &str) -> usize {
    let mut n = 0;
    let mut prev_end = false;
    for ch in text.chars() {
        if prev_end && tamis_text::py::is_space(ch) {
            n += 1;
        }
        prev_end = matches!(ch, '.' | '!' | '?' | '。' | '！' | '？' | '؟' | '।');
    }
    n + usize::from(prev_end)
}

fn has_year(text: &str) -> bool {
    let b = text.as_bytes();
    b.windows(4).enumerate().any(|(i, w)| {
        (w.starts_with(b"19") || w.starts_with(b"20"))
            && w.iter().all(u8::is_ascii_digit)
            && (i == 0 || !b[i - 1].is_ascii_digit())
            && b.get(i + 4).is_none_or(|c| !c.is_ascii_digit())
    })
}

fn bullet_start(text: &str) -> bool {
    let mut chars = text.chars();
    match chars.next() {
        Some('*' | '-' | '•' | '·' | '–' | '—' | '»' | '>' | '#' | '◦' | '▪' | '►') => {
            true
        }
        Some(c) if c.is_ascii_digit() => {
            let rest = text.trim_start_matches(|c: char| c.is_ascii_digit());
            rest.starts_with(['.', ')']) && rest.len() < text.len()
        }
        _ => false,
    }
}

/// Calls `each(i, row)` with the features of every non-blank line i, in order,
/// `FEATURE_NAMES.len()` values. One row at a time, so a page of millions of lines needs no
/// matrix of them all.
pub(crate) fn for_each_row(
    lines: &[Line<'_>],
    view: &RuleView<'_>,
    cfg: &LineCleanConfig,
    mut each: impl FnMut(usize, &[f64]),
) {
    let n = lines.len();
    let nonblank: Vec<usize> = (0..n).filter(|&i| !lines[i].is_blank()).collect();
    let counts: Vec<Counts> = lines.iter().map(|l| counts(l.text)).collect();
    let good: Vec<bool> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            !l.is_blank() && (view.cut[i] || (view.out[i].is_none() && context::is_good(l, cfg)))
        })
        .collect();
    let total_chars: usize = nonblank.iter().map(|&i| counts[i].chars).sum();
    let good_chars: usize = nonblank
        .iter()
        .filter(|&&i| good[i])
        .map(|&i| counts[i].chars)
        .sum();

    // Main block: the maximum-sum segment of non-blank lines, a good line weighing its
    // characters, a kept short line half of them, a line a rule removed all of them against.
    let weight = |i: usize| -> f64 {
        let c = counts[i].chars as f64;
        if good[i] {
            c
        } else if view.out[i].is_none() {
            -0.5 * c
        } else {
            -c
        }
    };
    let (mut best, mut best_range) = (f64::NEG_INFINITY, (0usize, 0usize));
    let (mut cur, mut cur_start) = (0.0f64, 0usize);
    for (k, &i) in nonblank.iter().enumerate() {
        if cur <= 0.0 {
            cur = 0.0;
            cur_start = k;
        }
        cur += weight(i);
        if cur > best {
            best = cur;
            best_range = (cur_start, k + 1);
        }
    }
    let main_chars: usize = nonblank[best_range.0..best_range.1]
        .iter()
        .map(|&i| counts[i].chars)
        .sum();
    // Characters of non-blank lines before each (prefix sums over `nonblank`).
    let mut before = Vec::with_capacity(nonblank.len() + 1);
    before.push(0usize);
    for &i in &nonblank {
        before.push(before.last().copied().unwrap_or(0) + counts[i].chars);
    }
    // Run of non-good lines each non-blank line is in (0 for a good line).
    let mut run = vec![0usize; nonblank.len()];
    let mut k = 0;
    while k < nonblank.len() {
        if good[nonblank[k]] {
            k += 1;
            continue;
        }
        let start = k;
        while k < nonblank.len() && !good[nonblank[k]] {
            k += 1;
        }
        run[start..k].fill(k - start);
    }
    // Distance in non-blank lines to the nearest good line.
    let mut dist = vec![usize::MAX; nonblank.len()];
    let mut last = None;
    for k in 0..nonblank.len() {
        if good[nonblank[k]] {
            last = Some(k);
        }
        if let Some(l) = last {
            dist[k] = k - l;
        }
    }
    last = None;
    for k in (0..nonblank.len()).rev() {
        if good[nonblank[k]] {
            last = Some(k);
        }
        if let Some(l) = last {
            dist[k] = dist[k].min(l - k);
        }
    }
    let mut occurrences: std::collections::HashMap<&str, usize> =
        std::collections::HashMap::with_capacity(nonblank.len());
    for &i in &nonblank {
        *occurrences.entry(lines[i].text).or_default() += 1;
    }
    // Prefix sums over non-blank lines of good lines and of ln(1 + words), for the windows.
    let mut good_before = Vec::with_capacity(nonblank.len() + 1);
    let mut words_before = Vec::with_capacity(nonblank.len() + 1);
    good_before.push(0usize);
    words_before.push(0.0f64);
    for &i in &nonblank {
        good_before.push(good_before.last().copied().unwrap_or(0) + usize::from(good[i]));
        words_before.push(words_before.last().copied().unwrap_or(0.0) + ln1p(lines[i].words));
    }
    // Share of good lines and mean ln(1 + words) of the w non-blank lines on each side of k.
    let window = |k: usize, w: usize| -> (f64, f64) {
        let lo = k.saturating_sub(w);
        let hi = (k + w + 1).min(nonblank.len());
        let m = hi - lo - 1;
        if m == 0 {
            return (0.0, 0.0);
        }
        let i = nonblank[k];
        let g = good_before[hi] - good_before[lo] - usize::from(good[i]);
        let words = words_before[hi] - words_before[lo] - ln1p(lines[i].words);
        (g as f64 / m as f64, words / m as f64)
    };

    for (k, &i) in nonblank.iter().enumerate() {
        let line = &lines[i];
        let c = &counts[i];
        let text = line.text;
        let ws_words = line.spaced_words;
        let capitalised = text
            .split(|ch: char| tamis_text::py::is_space(ch))
            .filter(|w| w.chars().next().is_some_and(char::is_uppercase))
            .count();
        let first_letter = text.chars().find(|ch| ch.is_alphabetic());
        let prev = k.checked_sub(1).map(|j| nonblank[j]);
        let next = nonblank.get(k + 1).copied();
        let (w3g, w3w) = window(k, 3);
        let (w10g, w10w) = window(k, 10);
        let (lines_to_main, chars_to_main) = if k < best_range.0 {
            let d = before[best_range.0] - before[k + 1];
            (-((best_range.0 - k) as f64), -ln1p(d))
        } else if k >= best_range.1 {
            let d = before[k] - before[best_range.1];
            ((k + 1 - best_range.1) as f64, ln1p(d))
        } else {
            (0.0, 0.0)
        };
        let lower = line.lower();
        let row: [f64; N_FEATURES] = [
            ln1p(line.words),
            ln1p(c.chars),
            flag(ends_sentence(text)),
            flag(is_prose(line, cfg)),
            flag(good[i]),
            share(c.upper, c.letters),
            share(c.digits, c.non_space),
            share(c.punct, c.non_space),
            share(c.letters, c.non_space),
            share(capitalised, ws_words),
            share(c.non_space, ws_words),
            flag(bullet_start(text)),
            sentence_marks(text).min(20) as f64,
            c.separators.min(20) as f64,
            flag(lower.contains("http") || lower.contains("www.") || lower.contains(".com")),
            flag(text.contains('©') || lower.contains("(c)") || lower.contains("copyright")),
            flag(has_year(text)),
            flag(text.contains('@')),
            flag(text.ends_with(':')),
            flag(text.ends_with("...") || text.ends_with('…')),
            flag(first_letter.is_some_and(char::is_lowercase)),
            flag(text.starts_with(['"', '“', '„', '«', '\'', '‘'])),
            flag(view.fires[i] & 1 != 0),
            flag(view.fires[i] & (1 << 1) != 0),
            flag(view.fires[i] & (1 << 2) != 0),
            flag(view.fires[i] & (1 << 3) != 0),
            flag(view.fires[i] & (1 << 4) != 0),
            flag(view.fires[i] & (1 << 5) != 0),
            flag(view.fires[i] & (1 << 6) != 0),
            flag(view.fires[i] & (1 << 7) != 0),
            flag(view.fires[i] & (1 << 8) != 0),
            flag(view.fires[i] & (1 << 9) != 0),
            flag(view.fires[i] & (1 << 10) != 0),
            flag(view.out[i].is_some()),
            flag(view.out[i] == Some(rules::keywords::ID)),
            flag(view.out[i] == Some(context::ID)),
            flag(view.cut[i]),
            share(k, nonblank.len()),
            share(before[k], total_chars),
            flag(k >= best_range.0 && k < best_range.1),
            lines_to_main,
            chars_to_main,
            share(main_chars, total_chars),
            prev.map_or(0.0, |p| ln1p(lines[p].words)),
            next.map_or(0.0, |p| ln1p(lines[p].words)),
            flag(prev.is_some_and(|p| good[p])),
            flag(next.is_some_and(|p| good[p])),
            flag(prev.is_none_or(|p| view.out[p].is_some())),
            flag(next.is_none_or(|p| view.out[p].is_some())),
            w3g,
            w3w,
            w10g,
            w10w,
            ln1p(run[k]),
            dist[k].min(50) as f64,
            occurrences[text].min(10) as f64,
            flag(i > 0 && lines[i - 1].is_blank()),
            flag(i + 1 < n && lines[i + 1].is_blank()),
            ln1p(nonblank.len()),
            share(good_chars, total_chars),
            ln1p(total_chars),
        ];
        each(i, &row);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_per_line_and_a_name_per_value() {
        let text = [
            "Home | News | Sport",
            "",
            "The council approved the budget on Tuesday after a long debate over schools.",
            "Teachers welcomed the extra money, which pays for forty new posts next year.",
            "Read more...",
        ];
        let lines: Vec<Line<'_>> = text.iter().map(|s| Line::new(s)).collect();
        let cfg = LineCleanConfig::default();
        let out = vec![None; lines.len()];
        let cut = vec![false; lines.len()];
        let fires = rule_fires(&lines, &cfg);
        let view = RuleView {
            out: &out,
            cut: &cut,
            fires: &fires,
        };
        let mut rows: Vec<(usize, Vec<f64>)> = Vec::new();
        for_each_row(&lines, &view, &cfg, |i, row| rows.push((i, row.to_vec())));
        // A row per non-blank line, a value per name.
        assert_eq!(rows.iter().map(|r| r.0).collect::<Vec<_>>(), [0, 2, 3, 4]);
        assert!(rows.iter().all(|r| r.1.len() == FEATURE_NAMES.len()));
        let get = |i: usize, name: &str| {
            let row = &rows.iter().find(|r| r.0 == i).unwrap().1;
            row[FEATURE_NAMES.iter().position(|&x| x == name).unwrap()]
        };
        // The two paragraphs are the main block; the menu sits before it, the teaser after.
        assert_eq!(get(2, "in_main"), 1.0);
        assert_eq!(get(3, "in_main"), 1.0);
        assert_eq!(get(0, "lines_to_main"), -1.0);
        assert_eq!(get(4, "lines_to_main"), 1.0);
        assert_eq!(get(0, "separators"), 2.0);
        assert_eq!(get(2, "ends_sentence"), 1.0);
        assert_eq!(get(0, "blank_after"), 1.0);
    }

    #[test]
    fn years_bullets_and_sentences() {
        assert!(has_year("Posted 12 March 2019 by"));
        assert!(!has_year("Call 020123456"));
        assert!(bullet_start("* item"));
        assert!(bullet_start("12. step"));
        assert!(!bullet_start("12 steps"));
        assert_eq!(sentence_marks("One. Two! Three"), 2);
    }
}
