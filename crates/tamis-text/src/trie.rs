//! A word trie over characters with the lookup PyThaiNLP's `Trie.prefixes` makes
//! (`pythainlp/util/trie.py`), shared by the Thai and Lao segmenters.

use foldhash::{HashMap, HashMapExt};

pub(crate) struct Trie {
    /// (node, char) -> child; node 0 is the root.
    children: HashMap<(u32, char), u32>,
    ends: Vec<bool>,
}

impl Trie {
    /// A trie of `words` (empty words are ignored, as the root never ends a word there).
    pub(crate) fn new<'w>(words: impl IntoIterator<Item = &'w str>) -> Trie {
        let mut children = HashMap::with_capacity(1 << 16);
        let mut ends = vec![false];
        for word in words {
            let mut node = 0u32;
            for c in word.chars() {
                let next = ends.len() as u32;
                node = *children.entry((node, c)).or_insert_with(|| {
                    ends.push(false);
                    next
                });
            }
            if node != 0 {
                ends[node as usize] = true;
            }
        }
        Trie { children, ends }
    }

    /// `prefixes(text, start)`: the lengths of the words starting at `start`, shortest first.
    pub(crate) fn prefixes(&self, text: &[char], start: usize, out: &mut Vec<usize>) {
        out.clear();
        let mut node = 0u32;
        for (k, &c) in text[start..].iter().enumerate() {
            match self.children.get(&(node, c)) {
                Some(&n) => node = n,
                None => break,
            }
            if self.ends[node as usize] {
                out.push(k + 1);
            }
        }
    }
}
