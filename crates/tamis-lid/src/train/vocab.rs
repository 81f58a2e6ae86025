//! The training dictionary, built as fastText's src/dictionary.cc builds it:
//! `Dictionary::readFromFile` (count every token, `</s>` for each line end), `add`, `threshold`
//! (sort by type then decreasing count with `std::sort`, drop rare entries) and the supervised
//! `getLine` that turns a line of the training file into input rows and label ids.

use std::io::{self, Read, Seek};

use super::reader::WordReader;
use super::sort;
use crate::dict::{char_ngram_buckets, fnv, word_ngram_buckets, EOS};

/// `Dictionary::MAX_VOCAB_SIZE`: fastText prunes rare words while reading once the vocabulary
/// exceeds three quarters of it.
const MAX_VOCAB_SIZE: usize = 30_000_000;

/// One dictionary entry (`fasttext::entry` without the subwords, kept apart).
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub word: Vec<u8>,
    pub count: i64,
    pub is_label: bool,
}

/// Word (or label) to id, by open addressing on fastText's FNV hash. fastText's own table
/// (`word2int_`, 30M slots) only maps words to ids; ids come from `words_`' order, so any
/// table gives the same dictionary.
#[derive(Debug, Clone)]
struct Table {
    /// `(hash, id + 1)`; 0 = empty.
    slots: Vec<(u32, u32)>,
    used: usize,
}

impl Table {
    fn new() -> Table {
        Table {
            slots: vec![(0, 0); 1 << 10],
            used: 0,
        }
    }

    /// The slot holding `w`, or the empty slot where it would go.
    #[inline]
    fn find(&self, entries: &[Entry], w: &[u8], h: u32) -> usize {
        let mask = self.slots.len() - 1;
        let mut i = h as usize & mask;
        loop {
            let (sh, id) = self.slots[i];
            if id == 0 || (sh == h && entries[id as usize - 1].word == w) {
                return i;
            }
            i = (i + 1) & mask;
        }
    }

    #[inline]
    fn get(&self, entries: &[Entry], w: &[u8], h: u32) -> Option<usize> {
        let id = self.slots[self.find(entries, w, h)].1;
        (id != 0).then(|| id as usize - 1)
    }

    fn insert_new(&mut self, entries: &[Entry], slot: usize, h: u32, id: usize) {
        self.slots[slot] = (h, id as u32 + 1);
        self.used += 1;
        if self.used * 2 > self.slots.len() {
            self.rebuild(entries, self.slots.len() * 2);
        }
    }

    fn rebuild(&mut self, entries: &[Entry], size: usize) {
        self.slots = vec![(0, 0); size.max(1 << 10)];
        self.used = 0;
        let mask = self.slots.len() - 1;
        for (id, e) in entries.iter().enumerate() {
            let h = fnv(&e.word);
            let mut i = h as usize & mask;
            while self.slots[i].1 != 0 {
                i = (i + 1) & mask;
            }
            self.slots[i] = (h, id as u32 + 1);
            self.used += 1;
        }
    }
}

/// The dictionary of a training run.
#[derive(Debug, Clone)]
pub(crate) struct Vocab {
    /// Words (most frequent first), then labels (likewise).
    pub entries: Vec<Entry>,
    pub nwords: usize,
    pub nlabels: usize,
    /// Every token read, `</s>` and labels included (`ntokens_`).
    pub ntokens: i64,
    table: Table,
    label_prefix: Vec<u8>,
}

/// What [`Vocab::get_line`] needs besides the dictionary.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NgramArgs {
    pub minn: usize,
    pub maxn: usize,
    pub bucket: u32,
    pub word_ngrams: usize,
}

/// Reusable buffers for [`Vocab::get_line`].
#[derive(Debug, Default)]
pub(crate) struct LineScratch {
    token: Vec<u8>,
    hashes: Vec<i32>,
    bow: Vec<u8>,
}

impl Vocab {
    /// `Dictionary::readFromFile` minus the final `threshold`: every token is counted, and
    /// whenever the vocabulary grows past 0.75 * MAX_VOCAB_SIZE the rarest words are dropped
    /// with a rising threshold, as fastText does.
    pub(crate) fn read<R: Read + Seek>(
        reader: &mut WordReader<R>,
        label_prefix: &[u8],
    ) -> io::Result<Vocab> {
        let mut v = Vocab {
            entries: Vec::new(),
            nwords: 0,
            nlabels: 0,
            ntokens: 0,
            table: Table::new(),
            label_prefix: label_prefix.to_vec(),
        };
        let mut word = Vec::new();
        let mut min_threshold = 1;
        while reader.read_word(&mut word)? {
            v.add(&word);
            if v.entries.len() as f64 > 0.75 * MAX_VOCAB_SIZE as f64 {
                min_threshold += 1;
                v.threshold(min_threshold, min_threshold);
            }
        }
        Ok(v)
    }

    /// `Dictionary::add`.
    fn add(&mut self, w: &[u8]) {
        let h = fnv(w);
        self.ntokens += 1;
        let slot = self.table.find(&self.entries, w, h);
        match self.table.slots[slot].1 {
            0 => {
                let id = self.entries.len();
                self.entries.push(Entry {
                    word: w.to_vec(),
                    count: 1,
                    is_label: w.starts_with(&self.label_prefix),
                });
                self.table.insert_new(&self.entries, slot, h, id);
            }
            id => self.entries[id as usize - 1].count += 1,
        }
    }

    /// `Dictionary::threshold`: `std::sort` by type (words first) then decreasing count, then
    /// a stable removal (`remove_if`) of words below `min_count` and labels below
    /// `min_count_label`.
    pub(crate) fn threshold(&mut self, min_count: i64, min_count_label: i64) {
        let entries = std::mem::take(&mut self.entries);
        let mut order: Vec<u32> = (0..entries.len() as u32).collect();
        let less = |a: &u32, b: &u32| {
            let (a, b) = (&entries[*a as usize], &entries[*b as usize]);
            if a.is_label != b.is_label {
                return !a.is_label;
            }
            a.count > b.count
        };
        sort::sort_by(&mut order, &less);
        let mut slots: Vec<Option<Entry>> = entries.into_iter().map(Some).collect();
        self.entries = order
            .iter()
            .filter_map(|&i| slots[i as usize].take())
            .filter(|e| {
                if e.is_label {
                    e.count >= min_count_label
                } else {
                    e.count >= min_count
                }
            })
            .collect();
        self.entries.shrink_to_fit();
        self.nwords = self.entries.iter().filter(|e| !e.is_label).count();
        self.nlabels = self.entries.len() - self.nwords;
        let size = (self.entries.len() * 2).next_power_of_two();
        self.table.rebuild(&self.entries, size);
    }

    /// `(count, id)` lookups as `Dictionary::getId`.
    #[inline]
    fn id(&self, w: &[u8], h: u32) -> Option<usize> {
        self.table.get(&self.entries, w, h)
    }

    /// Label counts, in label order (`getCounts(entry_type::label)`), for the losses that
    /// need them.
    pub(crate) fn label_counts(&self) -> Vec<i64> {
        self.entries[self.nwords..]
            .iter()
            .map(|e| e.count)
            .collect()
    }

    /// The input rows of every word (`initNgrams`): the word's own row, then its character
    /// n-grams (none for `</s>`), concatenated; word `i` is `rows[starts[i]..starts[i + 1]]`.
    pub(crate) fn subwords(&self, ng: &NgramArgs) -> (Vec<u32>, Vec<usize>) {
        let mut rows = Vec::new();
        let mut starts = Vec::with_capacity(self.nwords + 1);
        let mut bow = Vec::new();
        for (i, e) in self.entries[..self.nwords].iter().enumerate() {
            starts.push(rows.len());
            rows.push(i as u32);
            if e.word != EOS {
                bow_eow(&mut bow, &e.word);
                let nwords = self.nwords as u32;
                char_ngram_buckets(&bow, ng.minn, ng.maxn, ng.bucket, |b| rows.push(nwords + b));
            }
        }
        starts.push(rows.len());
        (rows, starts)
    }

    /// The supervised `Dictionary::getLine`: reads one line (up to `</s>` or the end of the
    /// stream, rewinding first if the previous read hit the end), puts its input rows in
    /// `words` (each word's rows, or an unknown word's character n-grams, then the word
    /// n-grams) and its known labels in `labels`. Returns the number of tokens read, which is
    /// what the learning-rate schedule counts.
    pub(crate) fn get_line<R: Read + Seek>(
        &self,
        reader: &mut WordReader<R>,
        ng: &NgramArgs,
        subwords: &(Vec<u32>, Vec<usize>),
        words: &mut Vec<u32>,
        labels: &mut Vec<u32>,
        s: &mut LineScratch,
    ) -> io::Result<i64> {
        reader.reset()?;
        words.clear();
        labels.clear();
        s.hashes.clear();
        let mut ntokens = 0;
        while reader.read_word(&mut s.token)? {
            let h = fnv(&s.token);
            let wid = self.id(&s.token, h);
            let is_label = match wid {
                Some(id) => self.entries[id].is_label,
                None => s.token.starts_with(&self.label_prefix),
            };
            ntokens += 1;
            if !is_label {
                match wid {
                    Some(id) if ng.maxn == 0 => words.push(id as u32),
                    Some(id) => {
                        words.extend_from_slice(&subwords.0[subwords.1[id]..subwords.1[id + 1]])
                    }
                    None if s.token != EOS => {
                        bow_eow(&mut s.bow, &s.token);
                        let nwords = self.nwords as u32;
                        char_ngram_buckets(&s.bow, ng.minn, ng.maxn, ng.bucket, |b| {
                            words.push(nwords + b)
                        });
                    }
                    None => {}
                }
                s.hashes.push(h as i32);
            } else if let Some(id) = wid {
                labels.push((id - self.nwords) as u32);
            }
            if s.token == EOS {
                break;
            }
        }
        if ng.word_ngrams > 1 {
            let nwords = self.nwords as u32;
            word_ngram_buckets(&s.hashes, ng.word_ngrams, ng.bucket, |b| {
                words.push(nwords + b)
            });
        }
        Ok(ntokens)
    }
}

/// `BOW + word + EOW`.
fn bow_eow(out: &mut Vec<u8>, word: &[u8]) {
    out.clear();
    out.push(b'<');
    out.extend_from_slice(word);
    out.push(b'>');
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn vocab(text: &str, min_count: i64) -> Vocab {
        let mut r = WordReader::new(Cursor::new(text.as_bytes().to_vec()));
        let mut v = Vocab::read(&mut r, b"__label__").unwrap();
        v.threshold(min_count, 0);
        v
    }

    #[test]
    fn words_then_labels_by_count() {
        let v = vocab("__label__b x y y\n__label__a y z\n__label__b z\n", 1);
        let words: Vec<&[u8]> = v.entries.iter().map(|e| e.word.as_slice()).collect();
        // counts: </s> 3, y 3, z 2, x 1; labels b 2, a 1 (ties in libstdc++'s order)
        assert_eq!(v.nwords, 4);
        assert_eq!(v.nlabels, 2);
        assert_eq!(v.ntokens, 12);
        assert_eq!(&words[2..], [&b"z"[..], b"x", b"__label__b", b"__label__a"]);
        assert_eq!(v.label_counts(), [2, 1]);
        let v2 = vocab("__label__b x y y\n__label__a y z\n__label__b z\n", 2);
        assert_eq!(v2.nwords, 3);
    }

    #[test]
    fn get_line_rows_labels_and_tokens() {
        let v = vocab("__label__b x y y\n__label__a y z\n__label__b z\n", 1);
        let ng = NgramArgs {
            minn: 0,
            maxn: 0,
            bucket: 0,
            word_ngrams: 1,
        };
        let sub = v.subwords(&ng);
        let mut r = WordReader::new(Cursor::new(b"__label__a __label__zz y q\nz".to_vec()));
        let (mut w, mut l, mut s) = (Vec::new(), Vec::new(), LineScratch::default());
        let y = v.id(b"y", fnv(b"y")).unwrap() as u32;
        let eos = v.id(EOS, fnv(EOS)).unwrap() as u32;
        assert_eq!(
            v.get_line(&mut r, &ng, &sub, &mut w, &mut l, &mut s)
                .unwrap(),
            5
        );
        assert_eq!((w.as_slice(), l.as_slice()), (&[y, eos][..], &[1][..]));
        assert_eq!(
            v.get_line(&mut r, &ng, &sub, &mut w, &mut l, &mut s)
                .unwrap(),
            1
        );
        assert!(l.is_empty());
        // the previous read hit the end: start over
        assert_eq!(
            v.get_line(&mut r, &ng, &sub, &mut w, &mut l, &mut s)
                .unwrap(),
            5
        );
    }
}
