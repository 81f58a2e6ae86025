#![no_main]
//! `splitlines` against a char-by-char definition of Python's `str.splitlines`, and
//! `split_whitespace` against `str.split()` built on `is_space`.

use libfuzzer_sys::fuzz_target;
use tamis_text::py;

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    assert_eq!(py::splitlines(&s), reference_splitlines(&s));
    let words: Vec<&str> = py::split_whitespace(&s).collect();
    let mut want = Vec::new();
    let mut cur = String::new();
    for c in s.chars() {
        if py::is_space(c) {
            if !cur.is_empty() {
                want.push(std::mem::take(&mut cur));
            }
        } else {
            cur.push(c);
        }
    }
    if !cur.is_empty() {
        want.push(cur);
    }
    assert_eq!(words, want);
});

fn reference_splitlines(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut it = s.char_indices().peekable();
    while let Some((i, c)) = it.next() {
        if py::is_line_break(c) {
            out.push(&s[start..i]);
            let mut end = i + c.len_utf8();
            if c == '\r' && it.peek().map(|&(_, n)| n) == Some('\n') {
                it.next();
                end += 1;
            }
            start = end;
        }
    }
    if start < s.len() {
        out.push(&s[start..]);
    }
    out
}
