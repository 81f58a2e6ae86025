#![no_main]
//! `simplify_text` with every combination of options equals its step-by-step definition (in
//! datatrove's order; marks are stripped after whitespace is collapsed, so "a \u{302} b" keeps
//! two spaces, as datatrove does).

use libfuzzer_sys::fuzz_target;
use tamis_dedup::{simplify_stepwise, simplify_text, TextNorm};

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let s = String::from_utf8_lossy(rest);
    let bit = |i: u8| flags & (1 << i) != 0;
    let cfg = TextNorm {
        lowercase: bit(0),
        norm_whitespace: bit(1),
        remove_punctuation: bit(2),
        norm_unicode_diacritics: bit(3),
        norm_numbers: bit(4),
        norm_weekdays: bit(5),
        norm_monthnames: bit(6),
    };
    assert_eq!(simplify_text(&s, &cfg), simplify_stepwise(&s, &cfg));
});
