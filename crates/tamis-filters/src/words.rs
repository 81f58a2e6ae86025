//! Word tokenisation shared by the filters, cached per document text.

use tamis_core::Ctx;

/// datatrove's `split_into_words(text, "en")` (spaCy's English rules), reusing the spans an
/// earlier step computed for the same text.
pub(crate) fn words<'t>(text: &'t str, ctx: &mut Ctx<'_>) -> Vec<&'t str> {
    let spans = ctx.cache.word_spans(text, |t| {
        let base = t.as_ptr() as usize;
        tamis_text::en::words(t)
            .into_iter()
            .map(|w| {
                let start = w.as_ptr() as usize - base;
                (start as u32, (start + w.len()) as u32)
            })
            .collect()
    });
    spans
        .iter()
        .map(|&(a, b)| &text[a as usize..b as usize])
        .collect()
}
