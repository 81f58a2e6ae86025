//! Pages laid out with tables: inscriptis renders the navigation column and the article side
//! by side, so each line of the article is glued to a menu entry with a run of spaces.
//! `tests/fixtures/cleaneval-layout-excerpt.txt` is the first 60 lines of such a real page
//! (CleanEval final set, `cleaneval-final/e76d1fc976c30f04` in the shared corpus; see
//! docs/data-licences.md). Removing those lines whole removed the article; `line_clean` cuts
//! them to their prose cells.

mod common;

use common::line_clean;
use tamis_clean::{apply_edits, clean, LineCleanConfig, EDITS_KEY};
use tamis_core::Verdict;

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/cleaneval-layout-excerpt.txt"
);

/// The cells of `line` split on runs of 4+ spaces: (menu cell, article cell) for the glued
/// lines whose second cell is a sentence of 12+ words.
fn glued_prose(line: &str) -> Option<(&str, &str)> {
    let (menu, rest) = line.trim().split_once("    ")?;
    let prose = rest.trim();
    (prose.split_whitespace().count() >= 12 && prose.ends_with('.')).then_some((menu.trim(), prose))
}

#[test]
fn article_glued_to_a_menu_column_is_kept_without_the_menu() {
    let text = std::fs::read_to_string(FIXTURE).unwrap();
    let glued: Vec<(&str, &str)> = text.lines().filter_map(glued_prose).collect();
    assert!(glued.len() >= 15, "{}", glued.len());

    let (verdict, doc, counters) = line_clean("cleaneval", &text);
    assert_eq!(verdict, Verdict::Keep);
    let kept: Vec<&str> = doc.text.lines().collect();
    for (menu, prose) in &glued {
        assert!(kept.contains(prose), "article sentence removed: {prose}");
        assert!(
            !doc.text.contains(&format!("{menu} ")),
            "menu cell kept: {menu}"
        );
    }
    assert!(counters.get("cut_lines_layout_columns") >= glued.len() as u64);
    let log = doc.metadata.get(EDITS_KEY).expect("an edit log");
    assert_eq!(apply_edits(&text, log).unwrap(), doc.text);

    // Removing layout lines whole, the old rule (the rules alone), loses every one of those
    // sentences.
    let whole = LineCleanConfig {
        cut_lines: false,
        line_model: false,
        ..LineCleanConfig::default()
    };
    let (cleaned, _) = clean(&text, &whole);
    assert!(glued.iter().all(|(_, prose)| !cleaned.contains(prose)));
}
