//! Word tokenisation shared by the filters, cached per document text and tokenizer.

use std::borrow::Cow;

use tamis_core::Ctx;
use tamis_text::words::{word_at, WordTokenizer};

/// datatrove's `split_into_words(text, language)`, reusing the spans an earlier step computed
/// for the same text with the same tokenizer.
pub(crate) fn words<'t>(text: &'t str, tok: WordTokenizer, ctx: &mut Ctx<'_>) -> Vec<Cow<'t, str>> {
    if !tok.has_spans() {
        return tok.words(text);
    }
    let spans = ctx.cache.word_spans(text, tok.id(), |t| {
        tok.word_spans(t).expect("a span tokenizer")
    });
    spans.iter().map(|&span| word_at(text, span)).collect()
}

/// `len(split_into_words(text, language))`, from the cache when an earlier step counted this
/// text with this tokenizer.
pub(crate) fn word_count(text: &str, tok: WordTokenizer, ctx: &mut Ctx<'_>) -> usize {
    if !tok.has_spans() {
        return tok.words(text).len();
    }
    match ctx.cache.word_count(text, tok.id()) {
        Some(n) => n,
        None => ctx
            .cache
            .word_spans(text, tok.id(), |t| {
                tok.word_spans(t).expect("a span tokenizer")
            })
            .len(),
    }
}
