//! Word tokenisation shared by the filters, cached per document text.

use tamis_core::Ctx;

/// datatrove's `split_into_words(text, "en")` (spaCy's English rules), reusing the spans an
/// earlier step computed for the same text.
pub(crate) fn words<'t>(text: &'t str, ctx: &mut Ctx<'_>) -> Vec<&'t str> {
    let spans = ctx.cache.word_spans(text, tamis_text::en::word_spans);
    spans
        .iter()
        .map(|&(a, b)| &text[a as usize..b as usize])
        .collect()
}

/// `len(split_into_words(text, "en"))`, from the cache when an earlier step counted this text.
pub(crate) fn word_count(text: &str, ctx: &mut Ctx<'_>) -> usize {
    match ctx.cache.word_count(text) {
        Some(n) => n,
        None => ctx.cache.word_spans(text, tamis_text::en::word_spans).len(),
    }
}
