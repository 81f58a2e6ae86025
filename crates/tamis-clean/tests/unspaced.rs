//! Scripts written without spaces between words: a Chinese news article must keep its
//! paragraphs (`tests/fixtures/zh-news-excerpt.txt`, 30 lines of a real page from trafilatura's
//! evaluation set), and so must a Thai page (`tests/fixtures/th-page.txt`, lingua's Thai test
//! sentences assembled by `tools/gen_thai_fixture.py`; see docs/data-licences.md). Counted by
//! whitespace alone, a Chinese paragraph was one "word" and a Thai one a word per phrase, and
//! both went as short fragments.

mod common;

use common::line_clean;
use tamis_clean::{apply_edits, EDITS_KEY};
use tamis_core::Verdict;

/// Cleans `tests/fixtures/{name}`: its text, and the lines of it that have at least `min`
/// characters in `script`, all of which must be kept.
fn paragraphs_are_kept(
    name: &str,
    script: std::ops::RangeInclusive<char>,
    min: usize,
) -> (String, tamis_core::Document, usize) {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(path).unwrap();
    let (verdict, doc, _) = line_clean(name, &text);
    assert_eq!(verdict, Verdict::Keep);
    let kept: Vec<&str> = doc.text.lines().collect();
    let mut paragraphs = 0;
    for p in text
        .lines()
        .filter(|l| l.chars().filter(|c| script.contains(c)).count() >= min)
    {
        assert!(kept.contains(&p), "removed: {p}");
        paragraphs += 1;
    }
    if let Some(log) = doc.metadata.get(EDITS_KEY) {
        assert_eq!(apply_edits(&text, log).unwrap(), doc.text);
    }
    (text, doc, paragraphs)
}

#[test]
fn paragraphs_without_spaces_are_prose() {
    let (_, _, paragraphs) =
        paragraphs_are_kept("zh-news-excerpt.txt", '\u{4E00}'..='\u{9FFF}', 30);
    assert!(paragraphs >= 8, "{paragraphs}");
}

#[test]
fn thai_paragraphs_are_prose_its_menu_is_not() {
    // Paragraphs of 150+ Thai characters (30+ words at five characters a word) are prose.
    let (text, doc, paragraphs) = paragraphs_are_kept("th-page.txt", '\u{0E00}'..='\u{0E7F}', 150);
    assert!(paragraphs >= 4, "{paragraphs}");
    assert!(doc.metadata.contains_key(EDITS_KEY));
    // The menu above the article and the footer below it are not.
    let kept: Vec<&str> = doc.text.lines().collect();
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    for short in lines[..3].iter().chain(lines.last()) {
        assert!(!kept.contains(short), "kept: {short}");
    }
}
