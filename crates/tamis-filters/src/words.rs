//! Word tokenisation shared by the filters, cached per document text and tokenizer.

use std::borrow::Cow;

use tamis_core::Ctx;
use tamis_text::words::{word_at, WordTokenizer};

/// datatrove's `split_into_words(text, language)`, reusing the words an earlier step computed
/// for the same text with the same tokenizer.
pub(crate) fn words<'t>(text: &'t str, tok: WordTokenizer, ctx: &mut Ctx<'_>) -> Vec<Cow<'t, str>> {
    if !tok.has_spans() {
        return owned(text, tok, ctx)
            .iter()
            .map(|w| Cow::Owned(w.clone()))
            .collect();
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
        return owned(text, tok, ctx).len();
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

/// The words of a tokenizer that rewrites the text before splitting it (Khmer, Burmese): not
/// spans, so cached as strings, tokenized once for all the filters of a document.
fn owned<'c>(text: &str, tok: WordTokenizer, ctx: &'c mut Ctx<'_>) -> &'c [String] {
    ctx.cache.owned_words(text, tok.id(), |t| {
        tok.words(t).into_iter().map(Cow::into_owned).collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tamis_core::{Counters, DocCache};

    #[test]
    fn words_that_are_not_spans_are_cached_for_the_next_filter() {
        let tok = WordTokenizer::for_language("khm_Khmr").unwrap();
        assert!(!tok.has_spans());
        let text = "ខ្ញុំស្រឡាញ់ប្រទេសកម្ពុជា ហើយខ្ញុំចង់ទៅលេងសៀមរាប។";
        let (mut counters, mut cache) = (Counters::default(), DocCache::default());
        let mut ctx = Ctx {
            counters: &mut counters,
            cache: &mut cache,
        };
        let got = words(text, tok, &mut ctx);
        assert_eq!(got, tok.words(text));
        assert!(got.len() > 3, "{got:?}");
        assert_eq!(ctx.cache.word_count(text, tok.id()), Some(got.len()));
        assert_eq!(word_count(text, tok, &mut ctx), got.len());
    }
}
