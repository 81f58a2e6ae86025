//! The seed page (a news article wrapped in gambling keyword spam, link spam, bylines,
//! captions, a syndication footer and a teaser block shown twice): the cleaner must keep the
//! article, remove the junk, log every removal, and leave a page FineWeb's filters accept.

mod common;

use std::path::Path;

use common::{fineweb_verdict, line_clean, Tally};
use tamis_clean::{apply_edits, EDITS_KEY};
use tamis_core::Verdict;

fn load(dir: &Path) -> Option<(String, String)> {
    let text = std::fs::read_to_string(dir.join("page.txt")).ok()?;
    let labels = std::fs::read_to_string(dir.join("labels.txt")).ok()?;
    Some((text, labels.split_whitespace().collect()))
}

fn check_seed(text: &str, labels: &str) {
    // As score_lines.py --page: drop a final newline that has no label.
    let text = if text.split('\n').count() > labels.chars().count() {
        text.trim_end_matches('\n')
    } else {
        text
    };
    let (verdict, doc, counters) = line_clean("seed", text);
    assert_eq!(verdict, Verdict::Keep);

    let mut t = Tally::default();
    t.add(text, labels, Some(&doc.text));
    println!(
        "seed: content_kept {:.4} junk_removed {:.4} F1 {:.4}",
        t.content_kept(),
        t.junk_removed(),
        t.f1()
    );
    assert!(
        t.content_kept() >= 0.99,
        "content_kept {}",
        t.content_kept()
    );
    assert!(
        t.junk_removed() >= 0.95,
        "junk_removed {}",
        t.junk_removed()
    );

    // The log replays to exactly the cleaned text, and every removal is explained.
    let edits = &doc.metadata[EDITS_KEY];
    assert_eq!(apply_edits(text, edits).unwrap(), doc.text);
    let rules: std::collections::BTreeSet<&str> = edits
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["rule"].as_str().unwrap())
        .collect();
    for r in [
        "foreign_script",
        "link_spam",
        "breadcrumb",
        "boilerplate_phrase",
    ] {
        assert!(rules.contains(r), "expected a `{r}` removal, got {rules:?}");
    }
    assert!(counters.get("removed_lines_foreign_script") >= 15);

    // FineWeb drops the raw page but keeps the cleaned one.
    assert!(
        fineweb_verdict(text).is_err(),
        "the raw seed page should fail FineWeb"
    );
    if let Err(e) = fineweb_verdict(&doc.text) {
        panic!("cleaned seed page fails the fineweb-text preset: {e}");
    }
}

#[test]
fn committed_seed_page() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/seed");
    let (text, labels) = load(&dir).expect("committed seed fixture");
    check_seed(&text, &labels);
}

#[test]
fn shared_seed_page() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/seed");
    match load(&dir) {
        Some((text, labels)) => check_seed(&text, &labels),
        None => println!("skipped: {} not found", dir.display()),
    }
}
