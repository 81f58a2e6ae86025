use std::borrow::Cow;
use std::hash::BuildHasher;

use crate::{Counters, Document};

/// What a step decided about one document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Keep,
    /// Drop the document; the reason is snake_case and names the rule that fired, as datatrove's
    /// reasons do (`dup_line_frac`, `top_2_gram`), so stats diff cleanly between the two tools.
    Drop(Cow<'static, str>),
}

impl Verdict {
    pub fn drop(reason: impl Into<Cow<'static, str>>) -> Self {
        Verdict::Drop(reason.into())
    }
}

/// What a step may use besides the document: its own counters and a per-document cache that
/// lets later steps reuse work (word tokenisation) done by earlier ones on the same text.
pub struct Ctx<'a> {
    pub counters: &'a mut Counters,
    pub cache: &'a mut DocCache,
}

/// Per-document derived data, keyed by the length and a 64-bit hash of the text it was computed
/// from, so a step that edits the text is not handed stale results (two different texts of one
/// document would need equal lengths and colliding hashes), and by the word tokenizer used (a
/// small number the caller chooses, since languages split words differently).
#[derive(Debug, Default)]
pub struct DocCache {
    words: Option<(TextKey, Vec<(u32, u32)>)>,
    /// Words that are not spans of the text (tokenizers that rewrite it first).
    owned_words: Option<(TextKey, Vec<String>)>,
    word_count: Option<(TextKey, usize)>,
}

type TextKey = (usize, u64, u32);

impl DocCache {
    fn key(text: &str, tokenizer: u32) -> TextKey {
        // Fixed seed: the cache lives for one document on one thread, so only speed matters.
        (
            text.len(),
            foldhash::quality::FixedState::with_seed(0x7a11).hash_one(text),
            tokenizer,
        )
    }

    /// Word byte spans of `text`, computed by `tokenize` unless cached for this exact text.
    pub fn word_spans(
        &mut self,
        text: &str,
        tokenizer: u32,
        tokenize: impl FnOnce(&str) -> Vec<(u32, u32)>,
    ) -> &[(u32, u32)] {
        let key = Self::key(text, tokenizer);
        if !matches!(&self.words, Some((k, _)) if *k == key) {
            self.words = Some((key, tokenize(text)));
        }
        self.words
            .as_ref()
            .map(|(_, s)| s.as_slice())
            .unwrap_or_default()
    }

    /// The words of `text` for a tokenizer whose words are not spans of it, computed by
    /// `tokenize` unless cached for this exact text.
    pub fn owned_words(
        &mut self,
        text: &str,
        tokenizer: u32,
        tokenize: impl FnOnce(&str) -> Vec<String>,
    ) -> &[String] {
        let key = Self::key(text, tokenizer);
        if !matches!(&self.owned_words, Some((k, _)) if *k == key) {
            self.owned_words = Some((key, tokenize(text)));
        }
        self.owned_words
            .as_ref()
            .map(|(_, w)| w.as_slice())
            .unwrap_or_default()
    }

    /// Records the word count of `text`, for a step that counted words without keeping spans
    /// (C4 tokenises each kept line; the joined text's count is their sum).
    pub fn set_word_count(&mut self, text: &str, tokenizer: u32, count: usize) {
        self.word_count = Some((Self::key(text, tokenizer), count));
    }

    /// The word count of `text`, if an earlier step computed spans or a count for this text.
    pub fn word_count(&self, text: &str, tokenizer: u32) -> Option<usize> {
        let key = Self::key(text, tokenizer);
        match (&self.words, &self.owned_words, &self.word_count) {
            (Some((k, spans)), _, _) if *k == key => Some(spans.len()),
            (_, Some((k, words)), _) if *k == key => Some(words.len()),
            (_, _, Some((k, n))) if *k == key => Some(*n),
            _ => None,
        }
    }

    pub fn clear(&mut self) {
        self.words = None;
        self.owned_words = None;
        self.word_count = None;
    }
}

/// A pipeline step: sees one document at a time, may edit it, and keeps or drops it.
///
/// Steps are built once from a validated config and shared across threads, so `process` takes
/// `&self`; per-document events go into `ctx.counters`, which the executor merges.
pub trait Step: Send + Sync {
    /// Stable snake_case id, as used in pipeline files and stats.
    fn id(&self) -> &'static str;
    fn process(&self, doc: &mut Document, ctx: &mut Ctx<'_>) -> Verdict;
}

/// A step's configuration was rejected before any document was read.
#[derive(Debug, thiserror::Error)]
#[error("step `{step}`: {message}")]
pub struct ConfigError {
    pub step: String,
    pub message: String,
}

impl ConfigError {
    pub fn new(step: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            step: step.into(),
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_recomputes_when_the_text_changes() {
        let mut cache = DocCache::default();
        let mut calls = 0;
        let mut spans = |t: &str, cache: &mut DocCache| {
            cache
                .word_spans(t, 0, |_| {
                    calls += 1;
                    vec![(0, t.len() as u32)]
                })
                .to_vec()
        };
        assert_eq!(spans("abc", &mut cache), vec![(0, 3)]);
        assert_eq!(spans("abc", &mut cache), vec![(0, 3)]);
        assert_eq!(spans("abcd", &mut cache), vec![(0, 4)]);
        assert_eq!(calls, 2);
        assert_eq!(cache.word_count("abcd", 0), Some(1));
        assert_eq!(cache.word_count("abcd", 1), None, "another tokenizer");
        assert_eq!(cache.word_count("abc", 0), None);
        cache.set_word_count("xyz", 0, 7);
        assert_eq!(cache.word_count("xyz", 0), Some(7));
        let mut owned_calls = 0;
        for _ in 0..2 {
            let w = cache.owned_words("a-b", 2, |_| {
                owned_calls += 1;
                vec!["a".into(), "b".into()]
            });
            assert_eq!(w, ["a", "b"]);
        }
        assert_eq!(owned_calls, 1);
        assert_eq!(cache.word_count("a-b", 2), Some(2));
        assert_eq!(cache.word_count("a-b", 0), None);
        cache.clear();
        assert_eq!(cache.word_count("xyz", 0), None);
    }
}
