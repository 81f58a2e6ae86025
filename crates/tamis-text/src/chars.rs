//! Text as Python indexes it (code points), with the way back to byte offsets: the segmenters
//! ported from Python (Thai, Lao, Vietnamese) work on characters and report byte spans.

pub(crate) struct Chars {
    pub(crate) chars: Vec<char>,
    /// The byte offset of each character, and the text's length at the end.
    byte_at: Vec<u32>,
}

impl Chars {
    pub(crate) fn new(text: &str) -> Chars {
        let mut byte_at: Vec<u32> = text.char_indices().map(|(i, _)| i as u32).collect();
        byte_at.push(text.len() as u32);
        Chars {
            chars: text.chars().collect(),
            byte_at,
        }
    }

    /// The byte span of characters `a..b`.
    pub(crate) fn span(&self, a: usize, b: usize) -> (u32, u32) {
        (self.byte_at[a], self.byte_at[b])
    }

    /// Appends the byte span of characters `a..b` stripped as Python's `str.strip()` strips,
    /// unless nothing is left (datatrove's `strip_strings`).
    pub(crate) fn push_stripped(&self, a: usize, b: usize, out: &mut Vec<(u32, u32)>) {
        let (mut a, mut b) = (a, b);
        while a < b && crate::py::is_space(self.chars[a]) {
            a += 1;
        }
        while b > a && crate::py::is_space(self.chars[b - 1]) {
            b -= 1;
        }
        if a < b {
            out.push(self.span(a, b));
        }
    }
}

/// The words a `word_spans_into`-style function finds in `text` (for tests).
#[cfg(test)]
pub(crate) fn words_of(text: &str, f: fn(&str, &mut Vec<(u32, u32)>)) -> Vec<&str> {
    let mut spans = Vec::new();
    f(text, &mut spans);
    spans
        .into_iter()
        .map(|(a, b)| &text[a as usize..b as usize])
        .collect()
}
