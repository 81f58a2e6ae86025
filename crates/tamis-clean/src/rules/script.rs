//! `foreign_script`: a line written in a different script from the rest of the document.
//!
//! Keyword spam injected into hacked pages is usually in another language and script than the
//! page (Persian or Chinese gambling keywords on an English page). Language identification
//! comes later in the pipeline; a script-level check is cheap and needs no model. A line is
//! foreign when most of its letters are in a script other than the document's dominant one
//! and that script holds only a small share of the document's letters, so bilingual documents
//! (where both scripts carry real text) are left alone. The idea follows the per-line
//! language/script checks of CCNet (Wenzek et al. 2020) and Dolma's line-level filters, applied
//! at script rather than language granularity.

use super::Line;
use crate::LineCleanConfig;

pub const ID: &str = "foreign_script";

/// Writing systems distinguished by Unicode block ranges; enough to tell spam in one script
/// from text in another, not a full Unicode Script property.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Script {
    Latin,
    Greek,
    Cyrillic,
    Armenian,
    Hebrew,
    Arabic,
    /// Each Brahmic block (Devanagari, Bengali, ... Malayalam) is its own script: the index of
    /// its 128-code-point block from U+0900.
    Indic(u8),
    Thai,
    Georgian,
    Hangul,
    /// Han, Hiragana and Katakana together: Japanese mixes them in every sentence.
    Cjk,
}

const N_SCRIPTS: usize = 11 + 10;

impl Script {
    fn index(self) -> usize {
        match self {
            Script::Latin => 0,
            Script::Greek => 1,
            Script::Cyrillic => 2,
            Script::Armenian => 3,
            Script::Hebrew => 4,
            Script::Arabic => 5,
            Script::Thai => 6,
            Script::Georgian => 7,
            Script::Hangul => 8,
            Script::Cjk => 9,
            Script::Indic(k) => 10 + (k as usize).min(10),
        }
    }
}

/// The script of one letter, or `None` for digits, punctuation, symbols and unlisted scripts.
#[inline]
pub(crate) fn script_of(c: char) -> Option<Script> {
    let u = c as u32;
    Some(match u {
        0x41..=0x5A | 0x61..=0x7A => Script::Latin,
        0..=0xBF => return None,
        0xC0..=0x24F | 0x1E00..=0x1EFF => {
            if c == '×' || c == '÷' {
                return None;
            }
            Script::Latin
        }
        0x370..=0x3FF | 0x1F00..=0x1FFF => Script::Greek,
        0x400..=0x52F => Script::Cyrillic,
        0x530..=0x58F => Script::Armenian,
        0x590..=0x5FF => Script::Hebrew,
        0x600..=0x6FF | 0x750..=0x77F | 0x8A0..=0x8FF | 0xFB50..=0xFDFF | 0xFE70..=0xFEFF => {
            if matches!(u, 0x660..=0x669 | 0x6F0..=0x6F9 | 0x60C | 0x61B | 0x61F | 0x6D4) {
                return None;
            }
            Script::Arabic
        }
        0x900..=0xDFF => Script::Indic(((u - 0x900) / 0x80) as u8),
        0xE00..=0xE7F => Script::Thai,
        0x10A0..=0x10FF => Script::Georgian,
        0x1100..=0x11FF | 0x3130..=0x318F | 0xAC00..=0xD7AF => Script::Hangul,
        0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF => Script::Cjk,
        _ => return None,
    })
}

fn count_scripts(text: &str, counts: &mut [u32; N_SCRIPTS]) {
    if text.is_ascii() {
        counts[0] += text.bytes().filter(u8::is_ascii_alphabetic).count() as u32;
        return;
    }
    for c in text.chars() {
        if let Some(s) = script_of(c) {
            counts[s.index()] += 1;
        }
    }
}

fn dominant(counts: &[u32; N_SCRIPTS]) -> Option<(usize, u32)> {
    let (i, &n) = counts.iter().enumerate().max_by_key(|&(_, n)| *n)?;
    (n > 0).then_some((i, n))
}

/// Letter counts per script over the whole document.
pub(crate) struct DocScripts {
    counts: [u32; N_SCRIPTS],
    total: u32,
    dominant: Option<usize>,
}

impl DocScripts {
    pub fn new(lines: &[Line<'_>]) -> Self {
        let mut counts = [0u32; N_SCRIPTS];
        for l in lines {
            count_scripts(l.text, &mut counts);
        }
        Self {
            counts,
            total: counts.iter().sum(),
            dominant: dominant(&counts).map(|(i, _)| i),
        }
    }

    /// Whether `line` is mostly letters of a minority script of this document.
    pub fn is_foreign(&self, line: &Line<'_>, cfg: &LineCleanConfig) -> bool {
        let Some(doc) = self.dominant else {
            return false;
        };
        if (line.text.is_ascii() && doc == 0) || self.counts[doc] == self.total {
            // One script in the whole document: no line can be in another.
            return false;
        }
        let mut counts = [0u32; N_SCRIPTS];
        count_scripts(line.text, &mut counts);
        let Some((s, n)) = dominant(&counts) else {
            return false;
        };
        if s == doc {
            return false;
        }
        let line_total: u32 = counts.iter().sum();
        let share_in_line = f64::from(n) / f64::from(line_total);
        let share_in_doc = f64::from(self.counts[s]) / f64::from(self.total.max(1));
        share_in_line >= 0.5 && share_in_doc <= cfg.foreign_script_max_doc_share
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(lines: &[&str]) -> Vec<Line<'static>> {
        lines
            .iter()
            .map(|s| Line::new(Box::leak(s.to_string().into_boxed_str())))
            .collect()
    }

    #[test]
    fn persian_keywords_on_an_english_page_are_foreign() {
        let lines = doc(&[
            "کازینو آنلاین معتبر",
            "The committee met on Tuesday to discuss the budget for next year.",
            "Members agreed that the library needs a new roof before the winter.",
        ]);
        let s = DocScripts::new(&lines);
        let cfg = LineCleanConfig::default();
        assert!(s.is_foreign(&lines[0], &cfg));
        assert!(!s.is_foreign(&lines[1], &cfg));
    }

    #[test]
    fn a_bilingual_document_is_left_alone() {
        let lines = doc(&[
            "Привет, как дела? Это длинная строка на русском языке для проверки.",
            "Hello, how are you? This is a long line in English for the check.",
        ]);
        let s = DocScripts::new(&lines);
        let cfg = LineCleanConfig::default();
        assert!(!s.is_foreign(&lines[0], &cfg));
        assert!(!s.is_foreign(&lines[1], &cfg));
    }

    #[test]
    fn digits_and_symbols_have_no_script() {
        assert_eq!(script_of('7'), None);
        assert_eq!(script_of('٣'), None);
        assert_eq!(script_of('é'), Some(Script::Latin));
        assert_eq!(script_of('ş'), Some(Script::Latin));
        assert_eq!(script_of('ب'), Some(Script::Arabic));
        assert_eq!(script_of('漢'), Some(Script::Cjk));
    }
}
