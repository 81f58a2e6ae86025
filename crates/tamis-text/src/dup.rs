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

/// Odd base for the polynomial hash over bytes (odd, so it is invertible mod 2^64).
const BASE: u64 = 0x9E37_79B9_7F4A_7C15 | 1;
const INV_BASE: u64 = inverse(BASE);

/// Multiplicative inverse of an odd `x` mod 2^64 (Newton's iteration doubles the correct bits).
const fn inverse(x: u64) -> u64 {
    let mut inv = x;
    let mut i = 0;
    while i < 6 {
        inv = inv.wrapping_mul(2u64.wrapping_sub(x.wrapping_mul(inv)));
        i += 1;
    }
    inv
}

/// A hasher for keys that are already well-mixed 64-bit hashes: it passes them through.
#[derive(Default, Clone, Copy)]
struct PreHashed(u64);

impl std::hash::Hasher for PreHashed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Only u64 keys are hashed through this type; fold anything else in for safety.
        for &b in bytes {
            self.0 = mix(self.0 ^ u64::from(b));
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type PreHashedMap<V> = std::collections::HashMap<u64, V, std::hash::BuildHasherDefault<PreHashed>>;

/// `BASE^k` and `INV_BASE^k` for short words, so building the index costs one multiply per byte.
const POW_TABLE_LEN: usize = 64;
const POWS: ([u64; POW_TABLE_LEN], [u64; POW_TABLE_LEN]) = {
    let (mut p, mut ip) = ([1u64; POW_TABLE_LEN], [1u64; POW_TABLE_LEN]);
    let mut k = 1;
    while k < POW_TABLE_LEN {
        p[k] = p[k - 1].wrapping_mul(BASE);
        ip[k] = ip[k - 1].wrapping_mul(INV_BASE);
        k += 1;
    }
    (p, ip)
};

/// `(BASE^len, INV_BASE^len)`.
#[inline]
fn pows(len: usize) -> (u64, u64) {
    if len < POW_TABLE_LEN {
        return (POWS.0[len], POWS.1[len]);
    }
    let (mut p, mut ip) = (POWS.0[POW_TABLE_LEN - 1], POWS.1[POW_TABLE_LEN - 1]);
    for _ in POW_TABLE_LEN - 1..len {
        p = p.wrapping_mul(BASE);
        ip = ip.wrapping_mul(INV_BASE);
    }
    (p, ip)
}

/// Spreads a polynomial hash's weak low bits before it meets a hash table.
#[inline]
fn mix(h: u64) -> u64 {
    let h = (h ^ (h >> 31)).wrapping_mul(0x7FB5_D329_728E_A185);
    h ^ (h >> 27)
}

/// A word sequence prepared for the n-gram measures.
///
/// Speed matters here (this is most of the Gopher repetition filter's cost), so n-grams are
/// compared by 64-bit hashes computed in O(1) from prefix sums: a polynomial hash over bytes,
/// whose value for a concatenation does not depend on where the word boundaries fall, exactly
/// as datatrove's `"".join(words[i:i+n])` does not. Every hash hit is verified against the
/// words themselves, and a collision switches that measure to an exact string-keyed pass, so
/// results are always exact.
pub struct NgramIndex<'a> {
    words: &'a [&'a str],
    /// Per-word hash, for the space-joined n-grams (equal exactly when the words are equal).
    word_hash: Vec<u64>,
    /// `char_prefix[i]` = code points in `words[..i]`.
    char_prefix: Vec<usize>,
    /// Polynomial hash of the concatenation of `words[..i]`, and `BASE` to the power of its
    /// byte length and its inverse.
    hash_prefix: Vec<u64>,
    pow_prefix: Vec<u64>,
    inv_pow_prefix: Vec<u64>,
    /// Tables reused across `n`, so each measure does not allocate and fault in a fresh one.
    counts: PreHashedMap<(u32, u32)>,
    seen: PreHashedMap<u32>,
    keys: Vec<u64>,
    filter: RepeatFilter,
}

/// Two bitmaps over hash slots: keys seen once, and keys seen again. A key whose slot was never
/// seen again occurs exactly once, so it can neither repeat nor be repeated, and the exact
/// (hash table) logic can skip it. Most n-grams of real text are unique, so this turns most
/// table operations into two bit operations.
#[derive(Default)]
struct RepeatFilter {
    /// Per 64 slots: (seen once, seen again), side by side so one key touches one cache line.
    bits: Vec<(u64, u64)>,
    mask: u64,
}

impl RepeatFilter {
    fn reset(&mut self, keys: &[u64]) {
        // 8 to 16 slots per key keeps false "seen again" marks rare while the bitmaps stay
        // in cache.
        let slots = (keys.len() * 8).next_power_of_two().max(1024);
        self.mask = slots as u64 - 1;
        self.bits.clear();
        self.bits.resize(slots / 64, (0, 0));
        for &k in keys {
            let (w, b) = self.slot(k);
            let cell = &mut self.bits[w];
            cell.1 |= cell.0 & b;
            cell.0 |= b;
        }
    }

    #[inline]
    fn slot(&self, key: u64) -> (usize, u64) {
        let s = key & self.mask;
        ((s >> 6) as usize, 1u64 << (s & 63))
    }

    #[inline]
    fn may_repeat(&self, key: u64) -> bool {
        let (w, b) = self.slot(key);
        self.bits[w].1 & b != 0
    }
}

impl<'a> NgramIndex<'a> {
    pub fn new(words: &'a [&'a str]) -> Self {
        let n = words.len();
        let mut word_hash = Vec::with_capacity(n);
        let mut char_prefix = Vec::with_capacity(n + 1);
        let mut hash_prefix = Vec::with_capacity(n + 1);
        let mut pow_prefix = Vec::with_capacity(n + 1);
        let mut inv_pow_prefix = Vec::with_capacity(n + 1);
        let (mut chars, mut h, mut p, mut ip) = (0usize, 0u64, 1u64, 1u64);
        char_prefix.push(0);
        hash_prefix.push(0);
        pow_prefix.push(1);
        inv_pow_prefix.push(1);
        for w in words {
            let mut wh = 0u64;
            for &b in w.as_bytes() {
                wh = wh.wrapping_mul(BASE).wrapping_add(u64::from(b) + 1);
                chars += usize::from((b as i8) >= -0x40);
            }
            let (wp, wip) = pows(w.len());
            word_hash.push(mix(wh ^ (w.len() as u64).rotate_left(40)));
            h = h.wrapping_mul(wp).wrapping_add(wh);
            p = p.wrapping_mul(wp);
            ip = ip.wrapping_mul(wip);
            char_prefix.push(chars);
            hash_prefix.push(h);
            pow_prefix.push(p);
            inv_pow_prefix.push(ip);
        }
        Self {
            words,
            word_hash,
            char_prefix,
            hash_prefix,
            pow_prefix,
            inv_pow_prefix,
            counts: PreHashedMap::default(),
            seen: PreHashedMap::default(),
            keys: Vec::with_capacity(n),
            filter: RepeatFilter::default(),
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

    /// Hash of `"".join(words[i..j])`: `H[j] - H[i] * BASE^(bytes in i..j)`.
    #[inline]
    fn concat_hash(&self, i: usize, j: usize) -> u64 {
        let scale = self.pow_prefix[j].wrapping_mul(self.inv_pow_prefix[i]);
        mix(self.hash_prefix[j].wrapping_sub(self.hash_prefix[i].wrapping_mul(scale)))
    }

    fn concat_eq(&self, a: usize, b: usize, n: usize) -> bool {
        let bytes = |i: usize| self.words[i..i + n].iter().flat_map(|w| w.bytes());
        bytes(a).eq(bytes(b))
    }

    fn spaced_key(&self, i: usize, n: usize) -> u64 {
        self.word_hash[i..i + n]
            .iter()
            .fold(0u64, |k, &h| mix(k.rotate_left(21) ^ h))
    }

    /// The longest space-joined n-gram, in code points (0 when there are fewer than `n` words).
    ///
    /// Any n-gram occurs at most as often as the most frequent m-gram for m < n (each occurrence
    /// starts with one of that m-gram's), so `max count(m) * max_spaced_len(n)` bounds
    /// [`Self::top_ngram`] and lets a caller skip a pass that cannot reach its threshold.
    pub fn max_spaced_len(&self, n: usize) -> usize {
        if n == 0 || self.words.len() < n {
            return 0;
        }
        (0..=self.words.len() - n)
            .map(|i| self.spaced_len(i, n))
            .max()
            .unwrap_or(0)
    }

    /// datatrove `find_top_duplicate(get_n_grams(words, n))`: the most frequent space-joined
    /// n-gram's length times its count; ties go to the n-gram seen first (`Counter.most_common`).
    /// Returns `(chars, count)`; `None` when there are fewer than `n` words.
    pub fn top_ngram(&mut self, n: usize) -> Option<(usize, usize)> {
        if n == 0 || self.words.len() < n {
            return None;
        }
        let count = self.words.len() - n + 1;
        let mut keys = std::mem::take(&mut self.keys);
        keys.clear();
        keys.extend((0..count).map(|i| self.spaced_key(i, n)));
        self.filter.reset(&keys);
        // (occurrences, first start index) per n-gram that may occur more than once.
        let mut counts = std::mem::take(&mut self.counts);
        counts.clear();
        let mut best = (0u32, 0u32);
        let mut collided = false;
        for (i, &key) in keys.iter().enumerate() {
            if !self.filter.may_repeat(key) {
                continue;
            }
            let e = counts.entry(key).or_insert((0, i as u32));
            if e.0 > 0 && self.words[e.1 as usize..e.1 as usize + n] != self.words[i..i + n] {
                collided = true;
                break;
            }
            e.0 += 1;
            if e.0 > best.0 || (e.0 == best.0 && e.1 < best.1) {
                best = *e;
            }
        }
        self.counts = counts;
        self.keys = keys;
        if collided {
            return Some(self.top_ngram_exact(n));
        }
        if best.0 < 2 {
            // Every n-gram occurs once: the top one is the first (`most_common`'s tie-break).
            best = (1, 0);
        }
        Some((
            self.spaced_len(best.1 as usize, n) * best.0 as usize,
            best.0 as usize,
        ))
    }

    /// [`Self::top_ngram`] keyed by the n-gram words themselves; used after a hash
    /// collision.
    fn top_ngram_exact(&self, n: usize) -> (usize, usize) {
        let mut counts: HashMap<&[&str], (u32, u32)> = HashMap::new();
        let mut best = (0u32, 0u32);
        for i in 0..=self.words.len() - n {
            let e = counts.entry(&self.words[i..i + n]).or_insert((0, i as u32));
            e.0 += 1;
            if e.0 > best.0 || (e.0 == best.0 && e.1 < best.1) {
                best = *e;
            }
        }
        (
            self.spaced_len(best.1 as usize, n) * best.0 as usize,
            best.0 as usize,
        )
    }

    /// datatrove `find_all_duplicate(words, n)`: walk the words; when the n-gram starting here
    /// (joined with no separator, so `["ab", "c"]` equals `["a", "bc"]`) was seen before, add its
    /// length and jump past it, else remember it and step one word.
    pub fn all_dup_ngram_chars(&mut self, n: usize) -> usize {
        if n == 0 || self.words.len() < n {
            return 0;
        }
        let last = self.words.len() - n;
        let mut keys = std::mem::take(&mut self.keys);
        keys.clear();
        keys.extend((0..=last).map(|i| self.concat_hash(i, i + n)));
        self.filter.reset(&keys);
        let mut seen = std::mem::take(&mut self.seen);
        seen.clear();
        let mut repeated = Some(0);
        let mut i = 0;
        while i <= last {
            let key = keys[i];
            if !self.filter.may_repeat(key) {
                // Occurs once in the whole text: not a repeat, and nothing later repeats it.
                i += 1;
                continue;
            }
            match seen.entry(key) {
                std::collections::hash_map::Entry::Occupied(e) => {
                    if !self.concat_eq(*e.get() as usize, i, n) {
                        repeated = None;
                        break;
                    }
                    repeated = repeated.map(|r| r + self.char_prefix[i + n] - self.char_prefix[i]);
                    i += n;
                }
                std::collections::hash_map::Entry::Vacant(e) => {
                    e.insert(i as u32);
                    i += 1;
                }
            }
        }
        self.seen = seen;
        self.keys = keys;
        repeated.unwrap_or_else(|| self.all_dup_ngram_chars_exact(n))
    }

    /// [`Self::all_dup_ngram_chars`] keyed by the joined strings; used after a hash collision.
    fn all_dup_ngram_chars_exact(&self, n: usize) -> usize {
        let mut seen: HashSet<String> = HashSet::new();
        let mut repeated = 0;
        let mut i = 0;
        while i + n <= self.words.len() {
            let gram = self.words[i..i + n].concat();
            if seen.contains(&gram) {
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
        let mut idx = NgramIndex::new(&words);
        assert_eq!(idx.top_ngram(2), Some((6, 2)));
        assert_eq!(idx.top_ngram(9), None);
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

    #[test]
    fn exact_fallbacks_agree_with_hashed_paths() {
        let text = "the cat sat on the mat and the cat sat on the hat ab c a bc ab c";
        let words: Vec<&str> = text.split(' ').collect();
        let mut idx = NgramIndex::new(&words);
        for n in 1..8 {
            let exact = idx.top_ngram_exact(n);
            assert_eq!(idx.top_ngram(n), Some(exact), "top n={n}");
            // The bound the Gopher filter uses to skip passes really bounds.
            if n > 1 {
                let prev = idx.top_ngram_exact(n - 1).1;
                assert!(exact.0 <= prev * idx.max_spaced_len(n), "bound n={n}");
            }
            assert_eq!(
                idx.all_dup_ngram_chars(n),
                idx.all_dup_ngram_chars_exact(n),
                "dup n={n}"
            );
        }
    }

    #[test]
    fn filtered_paths_agree_with_exact_on_random_repetitive_text() {
        // A tiny vocabulary whose words concatenate ambiguously ("ab"+"c" == "a"+"bc"), so
        // repeats, ties and boundary-shifted duplicates are all common.
        let vocab = ["a", "b", "c", "ab", "bc", "abc", "the", "é", "x"];
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for len in [0, 1, 5, 17, 60, 250, 1000] {
            let words: Vec<&str> = (0..len)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    vocab[(state % vocab.len() as u64) as usize]
                })
                .collect();
            let mut idx = NgramIndex::new(&words);
            for n in 1..=10 {
                if len >= n {
                    assert_eq!(
                        idx.top_ngram(n),
                        Some(idx.top_ngram_exact(n)),
                        "top {len} {n}"
                    );
                }
                let exact = if len >= n {
                    idx.all_dup_ngram_chars_exact(n)
                } else {
                    0
                };
                assert_eq!(idx.all_dup_ngram_chars(n), exact, "dup {len} {n}");
            }
        }
    }

    #[test]
    fn inverse_base_is_an_inverse() {
        assert_eq!(BASE.wrapping_mul(INV_BASE), 1);
        for len in [0, 1, 63, 64, 65, 200] {
            let (p, ip) = pows(len);
            assert_eq!(p.wrapping_mul(ip), 1, "{len}");
            assert_eq!(p, (0..len).fold(1u64, |a, _| a.wrapping_mul(BASE)), "{len}");
        }
    }
}
