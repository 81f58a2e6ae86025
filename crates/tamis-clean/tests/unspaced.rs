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

#[test]
fn paragraphs_without_spaces_are_prose() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/zh-news-excerpt.txt"
    );
    let text = std::fs::read_to_string(path).unwrap();
    let (verdict, doc, _) = line_clean("zh", &text);
    assert_eq!(verdict, Verdict::Keep);
    let han = |l: &str| {
        l.chars()
            .filter(|c| ('\u{4E00}'..='\u{9FFF}').contains(c))
            .count()
    };
    let paragraphs: Vec<&str> = text.lines().filter(|l| han(l) >= 30).collect();
    assert!(paragraphs.len() >= 8, "{}", paragraphs.len());
    let kept: Vec<&str> = doc.text.lines().collect();
    for p in &paragraphs {
        assert!(kept.contains(p), "removed: {p}");
    }
    if let Some(log) = doc.metadata.get(EDITS_KEY) {
        assert_eq!(apply_edits(&text, log).unwrap(), doc.text);
    }
}

#[test]
fn thai_paragraphs_are_prose_its_menu_is_not() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/th-page.txt");
    let text = std::fs::read_to_string(path).unwrap();
    let (verdict, doc, _) = line_clean("th", &text);
    assert_eq!(verdict, Verdict::Keep);
    let thai = |l: &str| {
        l.chars()
            .filter(|c| ('\u{0E00}'..='\u{0E7F}').contains(c))
            .count()
    };
    let kept: Vec<&str> = doc.text.lines().collect();
    // Paragraphs of 150+ Thai characters (30+ words at five characters a word) are prose.
    let paragraphs: Vec<&str> = text.lines().filter(|l| thai(l) >= 150).collect();
    assert!(paragraphs.len() >= 4, "{}", paragraphs.len());
    for p in &paragraphs {
        assert!(kept.contains(p), "removed: {p}");
    }
    // The menu above the article and the footer below it are not.
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    for short in lines[..3].iter().chain(lines.last()) {
        assert!(!kept.contains(short), "kept: {short}");
    }
    let log = doc.metadata.get(EDITS_KEY).expect("an edit log");
    assert_eq!(apply_edits(&text, log).unwrap(), doc.text);
}
