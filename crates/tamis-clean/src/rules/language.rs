//! `foreign_language`: a line confidently in another language than its document.
//!
//! The first signal for spam inside an article: keyword and link spam injected into a
//! page is often in another language than the page (the seed page's Turkish betting keywords
//! sit in Latin script, so the script rule cannot see them). Languages are fastText lid.176's
//! (crate `tamis-lid`): the document's as datatrove's `LanguageFilter` finds it, each line's
//! as `fasttext predict` does. Only lines the other rules kept are looked at.

use std::cell::RefCell;

use tamis_lid::{Model, Scratch};

use super::Line;
use crate::LineCleanConfig;

pub const ID: &str = "foreign_language";

/// The document's language must score at least this for its lines to be judged against it.
pub const MIN_DOC_SCORE: f32 = 0.5;

thread_local! {
    static SCRATCH: RefCell<(Scratch, Vec<tamis_lid::Prediction<'static>>)> =
        RefCell::new((Scratch::new(), Vec::new()));
}

/// Marks kept lines of at least `foreign_language_min_words` words whose best language is not
/// the document's and scores at least `foreign_language_min_score`, when the document has a
/// clear language of its own (score at least [`MIN_DOC_SCORE`]; the spam being judged lowers
/// it, so the bar is lower than the line's).
pub fn foreign_language(
    text: &str,
    lines: &[Line<'_>],
    out: &mut [Option<&'static str>],
    cfg: &LineCleanConfig,
) {
    let model: &'static Model = Model::lid176();
    SCRATCH.with(|cell| {
        let (scratch, preds) = &mut *cell.borrow_mut();
        let Some(doc) = model.predict_document_with(scratch, text) else {
            return;
        };
        if doc.score < MIN_DOC_SCORE {
            return;
        }
        for (line, slot) in lines.iter().zip(out.iter_mut()) {
            if slot.is_some() || line.words < cfg.foreign_language_min_words {
                continue;
            }
            model.predict_with(scratch, line.text, 1, 0.0, preds);
            if let Some(p) = preds.first() {
                if p.label != doc.language && f64::from(p.prob) >= cfg.foreign_language_min_score {
                    *slot = Some(ID);
                }
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use crate::{clean, LineCleanConfig};

    #[test]
    fn a_line_in_another_language_goes_only_when_enabled() {
        let text = "The council met on Tuesday to discuss the new budget for the town.\n\
                    Jetzt online wetten und einen großen Bonus sichern heute\n\
                    Members agreed that the library needs a new roof before winter comes.\n\
                    The vote will take place next month after a public consultation.\n\
                    Residents can send their comments to the town hall until the end of May.\n\
                    The mayor said the council would publish every answer it receives.\n\
                    Work on the library should start in the autumn and last six weeks.\n";
        // The rules alone (the line model may decide these made-up lines otherwise).
        let rules = LineCleanConfig {
            line_model: false,
            ..LineCleanConfig::default()
        };
        let on = LineCleanConfig {
            foreign_language: true,
            ..rules.clone()
        };
        let (cleaned, edits) = clean(text, &on);
        assert!(!cleaned.contains("wetten"), "{cleaned}");
        assert_eq!(edits.len(), 1);
        assert_eq!(
            (edits[0].rule.as_str(), edits[0].line_start),
            ("foreign_language", 1)
        );
        let (kept, _) = clean(text, &rules);
        assert!(kept.contains("wetten"), "off by default");
    }
}
