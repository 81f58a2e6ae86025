//! English word tokenization and sentence counting exactly as datatrove 0.10.1 does them.
//!
//! datatrove's `split_into_words(text, "eng")` and `split_into_sentences(text, "eng")`
//! (`datatrove/utils/text.py`, `datatrove/utils/word_tokenizers.py`) run
//! `spacy.blank("en")` with the "sentencizer" pipe. Gopher's and FineWeb's word statistics and
//! C4's sentence counts hang on every detail of spaCy's rule-based tokenizer, so this module
//! reimplements it (spaCy 3.8.18): whitespace splitting, tokenizer exceptions, prefix / suffix /
//! infix rules with their lookarounds, `URL_MATCH`, the special-case matcher that re-merges
//! exceptions split by affixes, and the Sentencizer. The rules are hand-written (see `affix`,
//! `url`, `tokenizer`); the data (exceptions, character classes computed with Python's Unicode
//! 14.0 tables) is generated from spaCy by `tools/gen_spacy_en_data.py`.
//!
//! Parity is tested token for token against spaCy on two corpora and a file of edge cases
//! (`crates/tamis-text/tests/`).
//!
//! # The `IS_ALPHA` workaround in datatrove
//!
//! datatrove retries with `text.replace("IS_ALPHA", "")` when spaCy raises and the text contains
//! "IS_ALPHA". spaCy raises on a token exactly "IS_ALPHA" (the symbol with id 1, which its hash
//! map uses as the "deleted" key) only after a previous `memory_zone` created and freed that
//! lexeme: it then reads a dangling pointer. So datatrove's result depends on what the process
//! did before: the first such text per process is tokenized normally; in a pipeline that calls
//! `split_into_words` (always inside a memory zone) later ones usually hit the retry.
//! [`words`] and [`sentence_count`] give spaCy's deterministic tokenization, i.e. datatrove's
//! result when the bug does not fire. [`datatrove_is_alpha_retry`] tells whether a text is
//! affected and gives the retried text, for callers who want the other behaviour.

mod affix;
pub(crate) mod data;
mod tokenizer;
mod url;

use std::cell::RefCell;

use tokenizer::{count_sentences, count_words_and_sentences, tokenize, Scratch};

/// A tokenizer with reusable buffers. The free functions [`words`] and [`sentence_count`] use
/// one per thread; hold your own to skip the thread-local lookup.
#[derive(Default)]
pub struct Tokenizer {
    scratch: Scratch,
}

impl Tokenizer {
    /// A tokenizer; the shared rule data is parsed on first use by any tokenizer.
    pub fn new() -> Self {
        Self::default()
    }

    /// spaCy's token texts for `text`, including whitespace tokens (runs of whitespace other
    /// than the single ' ' spaCy folds into the previous token): `[t.text for t in nlp(text)]`.
    pub fn tokens<'t>(&mut self, text: &'t str) -> Vec<&'t str> {
        tokenize(data::data(), text, &mut self.scratch);
        self.scratch
            .toks
            .iter()
            .map(|t| &text[t.start..t.end])
            .collect()
    }

    /// Exactly datatrove's `split_into_words(text, "eng")`: the stripped, non-empty token texts.
    pub fn words<'t>(&mut self, text: &'t str) -> Vec<&'t str> {
        let mut out = Vec::new();
        self.words_into(text, &mut out);
        out
    }

    /// Tokenises `text` and yields the byte ranges of its words. Non-whitespace tokens contain
    /// no whitespace, so `strip()` leaves them unchanged; whitespace tokens strip to nothing
    /// and are dropped.
    fn word_ranges(&mut self, text: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
        tokenize(data::data(), text, &mut self.scratch);
        self.scratch
            .toks
            .iter()
            .filter(|t| !t.space)
            .map(|t| (t.start, t.end))
    }

    /// [`Tokenizer::words`], appending to `out`.
    pub fn words_into<'t>(&mut self, text: &'t str, out: &mut Vec<&'t str>) {
        out.extend(self.word_ranges(text).map(|(a, b)| &text[a..b]));
    }

    /// `len(split_into_words(text, "eng"))`, without building the list.
    pub fn word_count(&mut self, text: &str) -> usize {
        self.word_ranges(text).count()
    }

    /// Byte ranges of [`Tokenizer::words`], appended to `out`.
    pub fn word_spans_into(&mut self, text: &str, out: &mut Vec<(u32, u32)>) {
        out.extend(self.word_ranges(text).map(|(a, b)| (a as u32, b as u32)));
    }

    /// `(word_count, sentence_count)` from one tokenisation of `text`.
    pub fn word_and_sentence_count(&mut self, text: &str) -> (usize, usize) {
        let d = data::data();
        tokenize(d, text, &mut self.scratch);
        let (words, sentences) = count_words_and_sentences(d, text, &self.scratch.toks);
        (words, sentences.max(1))
    }

    /// Exactly `len(split_into_sentences(text, "eng"))`: the Sentencizer's sentence count, but
    /// at least 1 (`split_into_parts` turns zero sentence spans into one piece).
    pub fn sentence_count(&mut self, text: &str) -> usize {
        let d = data::data();
        tokenize(d, text, &mut self.scratch);
        count_sentences(d, text, &self.scratch.toks).max(1)
    }
}

thread_local! {
    static TOKENIZER: RefCell<Tokenizer> = RefCell::new(Tokenizer::new());
}

/// Exactly datatrove's `split_into_words(text, "eng")`: stripped, non-empty spaCy token texts,
/// as slices of `text`.
pub fn words(text: &str) -> Vec<&str> {
    TOKENIZER.with(|t| t.borrow_mut().words(text))
}

/// Byte ranges of [`words`] in `text` (texts over 4 GiB are not supported).
pub fn word_spans(text: &str) -> Vec<(u32, u32)> {
    let mut out = Vec::new();
    TOKENIZER.with(|t| t.borrow_mut().word_spans_into(text, &mut out));
    out
}

/// `(len(words(text)), sentence_count(text))` from one tokenisation.
pub fn word_and_sentence_count(text: &str) -> (usize, usize) {
    TOKENIZER.with(|t| t.borrow_mut().word_and_sentence_count(text))
}

/// Exactly `len(split_into_sentences(text, "eng"))` in datatrove.
pub fn sentence_count(text: &str) -> usize {
    TOKENIZER.with(|t| t.borrow_mut().sentence_count(text))
}

/// spaCy's token texts including whitespace tokens; see [`Tokenizer::tokens`].
pub fn tokens(text: &str) -> Vec<&str> {
    TOKENIZER.with(|t| t.borrow_mut().tokens(text))
}

/// The text datatrove's `_do_tokenize` retries with when spaCy's dangling-pointer bug fires on
/// `text` (see the module docs): `Some(text.replace("IS_ALPHA", ""))` if `text` has a token
/// that is exactly "IS_ALPHA", else `None`. Tokenizing the returned text reproduces datatrove in
/// a process where the bug fires. (If the retried text again has such a token, datatrove raises.)
pub fn datatrove_is_alpha_retry(text: &str) -> Option<String> {
    if !text.contains("IS_ALPHA") {
        return None;
    }
    tokens(text)
        .contains(&"IS_ALPHA")
        .then(|| text.replace("IS_ALPHA", ""))
}
