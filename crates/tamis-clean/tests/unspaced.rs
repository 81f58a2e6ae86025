//! Scripts written without spaces between words: a Chinese news article must keep its
//! paragraphs (`tests/fixtures/zh-news-excerpt.txt`, 30 lines of a real page from trafilatura's
//! evaluation set; see docs/data-licences.md). Counted by whitespace alone, each paragraph was
//! one "word" and went as a short fragment.

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
