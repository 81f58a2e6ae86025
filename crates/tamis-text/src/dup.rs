//! Repetition measures from the Gopher paper (Rae et al. 2021, "Scaling Language Models", table
//! A1), with the exact counting rules of datatrove 0.10.1
//! (`datatrove/pipeline/filters/gopher_repetition_filter.py`: `find_duplicates`,
//! `find_top_duplicate`, `find_all_duplicate`).

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};

use crate::py;

/// Counts the elements equal to an earlier one, and their total length in code points.
///
/// The first occurrence is not counted: three equal lines give `(2, 2 * len)`.
pub fn find_duplicates<'a, I>(items: I) -> (usize, usize)
where
    I: IntoIterator<Item = &'a str>,
{
    let iter = items.into_iter();
    let mut seen: HashSet<&str> = HashSet::with_capacity(iter.size_hint().0);
    let (mut elements, mut chars) = (0, 0);
    for item in iter {
        if !seen.insert(item) {
            elements += 1;
            chars += py::len(item);
        }
    }
    (elements, chars)
}

/// A word sequence prepared for the n-gram measures: word ids (equal words, equal ids) and code
/// point lengths, computed once and shared by every `n`.
pub struct NgramIndex<'a> {
    words: &'a [&'a str],
    ids: Vec<u32>,
    /// `char_prefix[i]` = code points in `words[..i]`.
    char_prefix: Vec<usize>,
    /// All words concatenated with no separator, and each word's byte offset in it.
    concat: String,
    concat_offsets: Vec<usize>,
}

impl<'a> NgramIndex<'a> {
    pub fn new(words: &'a [&'a str]) -> Self {
        let mut intern: HashMap<&str, u32> = HashMap::with_capacity(words.len());
        let mut ids = Vec::with_capacity(words.len());
        let mut char_prefix = Vec::with_capacity(words.len() + 1);
        let mut concat = String::with_capacity(words.iter().map(|w| w.len()).sum());
        let mut concat_offsets = Vec::with_capacity(words.len() + 1);
        char_prefix.push(0);
        concat_offsets.push(0);
        for w in words {
            let next = intern.len() as u32;
            ids.push(*intern.entry(w).or_insert(next));
            char_prefix.push(char_prefix.last().copied().unwrap_or(0) + py::len(w));
            concat.push_str(w);
            concat_offsets.push(concat.len());
        }
        Self {
            words,
            ids,
            char_prefix,
            concat,
            concat_offsets,
        }
    }

    pub fn len(&self) -> usize {
        self.words.len()
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// Code points of `" ".join(words[i..i + n])`.
    fn spaced_len(&self, i: usize, n: usize) -> usize {
        self.char_prefix[i + n] - self.char_prefix[i] + n - 1
    }

    /// datatrove `find_top_duplicate(get_n_grams(words, n))`: the most frequent space-joined
    /// n-gram's length times its count; ties go to the n-gram seen first (`Counter.most_common`).
    /// `None` when there are fewer than `n` words.
    ///
    /// Words hold no whitespace, so two space-joined n-grams are equal exactly when their word
    /// sequences are; comparing word ids avoids building the strings.
    pub fn top_ngram_chars(&self, n: usize) -> Option<usize> {
        if n == 0 || self.words.len() < n {
            return None;
        }
        let count = self.words.len() - n + 1;
        // (occurrences, first start index) per distinct id sequence.
        let mut counts: HashMap<&[u32], (u32, u32)> = HashMap::with_capacity(count);
        let mut best: Option<(u32, u32)> = None;
        for i in 0..count {
            let key = &self.ids[i..i + n];
            let e = counts.entry(key).or_insert((0, i as u32));
            e.0 += 1;
            let cand = *e;
            best = match best {
                Some(b) if (b.0, std::cmp::Reverse(b.1)) >= (cand.0, std::cmp::Reverse(cand.1)) => {
                    Some(b)
                }
                _ => Some(cand),
            };
        }
        best.map(|(c, first)| self.spaced_len(first as usize, n) * c as usize)
    }

    /// datatrove `find_all_duplicate(words, n)`: walk the words; when the n-gram starting here
    /// (joined with no separator, so `["ab", "c"]` equals `["a", "bc"]`) was seen before, add its
    /// length and jump past it, else remember it and step one word.
    pub fn all_dup_ngram_chars(&self, n: usize) -> usize {
        if n == 0 || self.words.len() < n {
            return 0;
        }
        let last = self.words.len() - n;
        let mut seen: HashSet<&str> = HashSet::with_capacity(last + 1);
        let mut repeated = 0;
        let mut i = 0;
        while i <= last {
            let gram = &self.concat[self.concat_offsets[i]..self.concat_offsets[i + n]];
            if seen.contains(gram) {
                repeated += self.char_prefix[i + n] - self.char_prefix[i];
                i += n;
            } else {
                seen.insert(gram);
                i += 1;
            }
        }
        repeated
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_skip_first_occurrence() {
        assert_eq!(find_duplicates(["a", "bb", "a", "bb", "a", ""]), (3, 4));
        assert_eq!(find_duplicates(["", ""]), (1, 0));
    }

    #[test]
    fn top_ngram_prefers_first_seen_on_ties() {
        // "x y" and "long word" both occur twice; "x y" is seen first, so 3 * 2 = 6.
        let words = ["x", "y", "long", "word", "x", "y", "long", "word"];
        let idx = NgramIndex::new(&words);
        assert_eq!(idx.top_ngram_chars(2), Some(6));
        assert_eq!(idx.top_ngram_chars(9), None);
    }

    #[test]
    fn all_dup_joins_without_separator_and_jumps() {
        // "ab"+"c" == "a"+"bc": the second bigram at index 2 repeats the first.
        let words = ["ab", "c", "a", "bc"];
        assert_eq!(NgramIndex::new(&words).all_dup_ngram_chars(2), 3);
        // After a repeat the walk jumps n words: a a a a with n=2 sees "aa" at 0, repeat at 1
        // (+2, jump to 3), and stops since index 3 has no full bigram.
        let words = ["a", "a", "a", "a"];
        assert_eq!(NgramIndex::new(&words).all_dup_ngram_chars(2), 2);
    }
}
