#![no_main]
//! The spaCy-compatible English tokenizer: words, word spans and sentence counts must agree
//! with each other and point into the text.

use libfuzzer_sys::fuzz_target;
use tamis_text::en;

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    let words = en::words(&s);
    let spans = en::word_spans(&s);
    assert_eq!(words.len(), spans.len());
    for (w, &(a, b)) in words.iter().zip(&spans) {
        assert_eq!(*w, &s[a as usize..b as usize]);
    }
    let (n_words, n_sentences) = en::word_and_sentence_count(&s);
    assert_eq!(n_sentences, en::sentence_count(&s));
    let _ = n_words;
    let _ = en::tokens(&s);
});
