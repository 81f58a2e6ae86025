//! The dictionary and the turning of a line into input-matrix rows, following fastText's
//! src/dictionary.cc: `readWord` (tokenisation), `hash` (FNV-1a over *signed* chars),
//! `computeSubwords` (character n-grams of `<word>`), `pushHash` (bucket remapping of pruned,
//! quantized models), `addWordNgrams` and `getLine` (the order in which rows are emitted, which
//! fixes the f32 summation order of the hidden vector).

/// fastText's end-of-sentence token: every predicted line ends with it (the binding appends
/// `\n`, which `readWord` turns into `</s>`), and a literal `</s>` in the text ends the line.
pub(crate) const EOS: &[u8] = b"</s>";
/// fastText's default label prefix (`args.label`); it is not stored in the model file, so every
/// model is read with the default, as fastText itself does.
pub(crate) const LABEL_PREFIX: &[u8] = b"__label__";

/// FNV-1a as fastText computes it (src/dictionary.cc `Dictionary::hash`): each byte is
/// sign-extended first, a quirk kept so that released models (trained where `char` is signed)
/// stay valid. Bytes >= 0x80 therefore XOR in `0xffffff00 | b`.
#[inline]
pub(crate) fn fnv(bytes: &[u8]) -> u32 {
    let mut h = FNV_BASIS;
    for &b in bytes {
        h = fnv_step(h, b);
    }
    h
}

const FNV_BASIS: u32 = 2_166_136_261;

#[inline(always)]
fn fnv_step(h: u32, b: u8) -> u32 {
    (h ^ (b as i8 as i32 as u32)).wrapping_mul(16_777_619)
}

/// `readWord`'s separators. All are ASCII, so they never occur inside a UTF-8 sequence.
#[inline(always)]
pub(crate) fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\n' | b'\r' | b'\t' | 0x0b | 0x0c | 0)
}

#[inline(always)]
fn is_continuation(b: u8) -> bool {
    b & 0xC0 == 0x80
}

/// How n-gram buckets map to input rows (`pruneidx_` in fastText).
#[derive(Debug, Clone)]
pub(crate) enum Prune {
    /// Not pruned: bucket `b` is row `nwords + b`.
    None,
    /// `pruneidx_size_ == 0`: every n-gram was pruned away.
    All,
    /// Only the buckets kept by `quantize -cutoff`, each with its new index.
    Map(BucketMap),
}

/// `pruneidx_` as a bitset over buckets in front of an open-addressing table from bucket to
/// index. Most n-grams of a quantized model were pruned, so most lookups miss, and the bitset
/// answers those from a table that stays in cache; only kept buckets probe the (sparse, a third
/// full) table. With lid.176 this made prediction about a quarter faster than a `HashMap`.
#[derive(Debug, Clone)]
pub(crate) struct BucketMap {
    /// 0 = empty, else `(bucket + 1) << 32 | index`.
    slots: Vec<u64>,
    /// One bit per bucket up to the largest kept one: a miss (the common case) costs one bit
    /// test in a table small enough to stay in cache (256 KB for lid.176's 2M buckets).
    present: Vec<u64>,
    shift: u32,
    max_value: Option<u32>,
}

impl BucketMap {
    /// `pairs` in file order; a repeated bucket keeps its last index, as `pruneidx_[first] =
    /// second` does. Buckets and indices are non-negative `i32`s (checked by the reader).
    pub(crate) fn new(pairs: &[(u32, u32)]) -> BucketMap {
        let size = (pairs.len() * 3).next_power_of_two().max(16);
        let max_key = pairs.iter().map(|&(k, _)| k as usize).max().unwrap_or(0);
        let mut m = BucketMap {
            slots: vec![0; size],
            shift: 64 - size.trailing_zeros(),
            max_value: None,
            present: vec![0; max_key / 64 + 1],
        };
        for &(k, v) in pairs {
            m.present[k as usize / 64] |= 1 << (k % 64);
            let mut i = m.slot(k);
            loop {
                let s = m.slots[i];
                if s == 0 || (s >> 32) as u32 == k + 1 {
                    m.slots[i] = (u64::from(k + 1) << 32) | u64::from(v);
                    break;
                }
                i = (i + 1) & (size - 1);
            }
        }
        m.max_value = m.slots.iter().filter(|&&s| s != 0).map(|&s| s as u32).max();
        m
    }

    #[inline(always)]
    fn slot(&self, k: u32) -> usize {
        (u64::from(k).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> self.shift) as usize
    }

    #[inline(always)]
    pub(crate) fn get(&self, k: u32) -> Option<u32> {
        match self.present.get(k as usize / 64) {
            Some(w) if w & (1 << (k % 64)) != 0 => {}
            _ => return None,
        }
        let mask = self.slots.len() - 1;
        let mut i = self.slot(k);
        loop {
            let s = self.slots[i];
            if s == 0 {
                return None;
            }
            if (s >> 32) as u32 == k + 1 {
                return Some(s as u32);
            }
            i = (i + 1) & mask;
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Dict {
    pub nwords: usize,
    /// Word and label bytes (`words_[i].word`), concatenated; entry `i` is
    /// `bytes[starts[i]..starts[i + 1]]`.
    bytes: Vec<u8>,
    starts: Vec<usize>,
    /// Open-addressing table from FNV hash to entry id (fastText's `word2int_`, with a
    /// power-of-two size and the hash stored alongside so most probes skip the byte compare).
    table: Vec<(u32, u32)>,
    mask: usize,
    /// Precomputed rows of each word (`entry.subwords` from `initNgrams`), concatenated.
    sub: Vec<u32>,
    sub_starts: Vec<usize>,
    pub prune: Prune,
    pub bucket: u32,
    pub minn: usize,
    pub maxn: usize,
    pub word_ngrams: usize,
    /// Identifies this dictionary to the per-thread token caches (see [`LineBuf`]).
    uid: u64,
}

const EMPTY: u32 = u32::MAX;

/// Reusable buffers for [`Dict::line_rows`].
#[derive(Debug, Default, Clone)]
pub(crate) struct LineBuf {
    rows: Vec<u32>,
    hashes: Vec<i32>,
    word: Vec<u8>,
    /// The line's tokens as byte ranges (`None` for the final `</s>`) with their FNV hash,
    /// and their dictionary entries: see [`Dict::line_rows`].
    tokens: Vec<(Option<(usize, usize)>, u32)>,
    ids: Vec<Option<usize>>,
    /// Character n-gram rows of recently seen out-of-vocabulary tokens, direct-mapped by the
    /// token's hash. Text repeats its words, and an OOV token costs one n-gram-table lookup per
    /// n-gram (most of them cache misses), so replaying the row list is much cheaper. Valid only
    /// for the dictionary whose `uid` is `cache_owner`.
    cache: Vec<CachedToken>,
    cache_owner: u64,
    oov_seen: usize,
}

#[derive(Debug, Default, Clone)]
struct CachedToken {
    hash: u32,
    token: Vec<u8>,
    rows: Vec<u32>,
}

/// Entries of the OOV token cache (per [`LineBuf`], i.e. per thread).
const CACHE_SLOTS: usize = 4096;
/// Out-of-vocabulary tokens a buffer must see before it allocates its cache.
const CACHE_AFTER: usize = 512;
/// Longer tokens are not cached (rare, and they would pin large buffers).
const CACHE_MAX_TOKEN: usize = 48;

static NEXT_UID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

impl Dict {
    pub(crate) fn new(
        entries: &[&[u8]],
        nwords: usize,
        prune: Prune,
        bucket: u32,
        minn: usize,
        maxn: usize,
        word_ngrams: usize,
    ) -> Dict {
        let mut bytes = Vec::new();
        let mut starts = Vec::with_capacity(entries.len() + 1);
        for w in entries {
            starts.push(bytes.len());
            bytes.extend_from_slice(w);
        }
        starts.push(bytes.len());
        let cap = (entries.len() * 2).next_power_of_two().max(16);
        let mut d = Dict {
            nwords,
            bytes,
            starts,
            table: vec![(0, EMPTY); cap],
            mask: cap - 1,
            sub: Vec::new(),
            sub_starts: Vec::with_capacity(nwords + 1),
            prune,
            bucket,
            minn,
            maxn,
            word_ngrams,
            uid: NEXT_UID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        };
        // Insert in file order; a repeated word keeps the last id, as `Dictionary::load` does
        // (its `find` stops at the slot already holding the word and overwrites it).
        for i in 0..entries.len() {
            let w = d.word(i);
            let h = fnv(w);
            let mut slot = h as usize & d.mask;
            loop {
                let (sh, id) = d.table[slot];
                if id == EMPTY || (sh == h && d.word(id as usize) == w) {
                    d.table[slot] = (h, i as u32);
                    break;
                }
                slot = (slot + 1) & d.mask;
            }
        }
        // `initNgrams`: a word's rows are its own id then its character n-grams (none for EOS).
        let mut word = Vec::new();
        let mut sub = Vec::new();
        for i in 0..nwords {
            d.sub_starts.push(sub.len());
            sub.push(i as u32);
            if d.word(i) != EOS {
                word.clear();
                word.push(b'<');
                word.extend_from_slice(d.word(i));
                word.push(b'>');
                d.char_ngrams(&word, &mut sub);
            }
        }
        d.sub_starts.push(sub.len());
        d.sub = sub;
        d
    }

    #[inline]
    pub(crate) fn word(&self, i: usize) -> &[u8] {
        &self.bytes[self.starts[i]..self.starts[i + 1]]
    }

    /// Entry id of `w` given its FNV hash (`Dictionary::getId`).
    #[inline]
    fn id(&self, w: &[u8], h: u32) -> Option<usize> {
        let mut slot = h as usize & self.mask;
        loop {
            let (sh, id) = self.table[slot];
            if id == EMPTY {
                return None;
            }
            if sh == h && self.word(id as usize) == w {
                return Some(id as usize);
            }
            slot = (slot + 1) & self.mask;
        }
    }

    /// The largest row index [`line_rows`](Self::line_rows) can emit, plus one: what the input
    /// matrix must hold. Checked once at load so prediction never indexes out of bounds.
    pub(crate) fn rows_needed(&self) -> usize {
        let ngrams = match &self.prune {
            Prune::None if self.emits_ngrams() => self.bucket as usize,
            Prune::None | Prune::All => 0,
            Prune::Map(m) => m.max_value.map_or(0, |v| v as usize + 1),
        };
        self.nwords + ngrams
    }

    fn emits_ngrams(&self) -> bool {
        (self.maxn > 0 && self.minn <= self.maxn) || self.word_ngrams > 1
    }

    /// `pushHash`: map a bucket to its input row, or drop it if it was pruned.
    #[inline]
    fn push_bucket(&self, rows: &mut Vec<u32>, b: u32) {
        match &self.prune {
            Prune::None => rows.push(self.nwords as u32 + b),
            Prune::All => {}
            Prune::Map(m) => {
                if let Some(v) = m.get(b) {
                    rows.push(self.nwords as u32 + v);
                }
            }
        }
    }

    /// `computeSubwords` on `<word>`, each bucket mapped to its row by [`push_bucket`].
    #[inline]
    fn char_ngrams(&self, word: &[u8], rows: &mut Vec<u32>) {
        char_ngram_buckets(word, self.minn, self.maxn, self.bucket, |b| {
            self.push_bucket(rows, b)
        });
    }

    /// The input rows of one line, in `Dictionary::getLine` order: for each token its word row
    /// and character n-grams (or just the n-grams when out of vocabulary), then all word
    /// n-grams. Tokens are split on `readWord`'s separators; the line ends at the first `\n`
    /// (unless `newline_is_space`, for text whose newlines were replaced by spaces first), at
    /// the end of the text, or after a literal `</s>` token. Like the Python binding, which
    /// appends `\n` to the text, the line always ends with an `</s>` token.
    ///
    /// Labels (tokens starting with `__label__`, or dictionary labels) contribute nothing.
    ///
    /// The rows are handed to `sink` a group at a time, in order, rather than collected: the
    /// caller sums them as they come (same order, same sums), so a long document needs no row
    /// list and a known word's precomputed rows are never copied.
    pub(crate) fn line_rows(
        &self,
        text: &[u8],
        newline_is_space: bool,
        buf: &mut LineBuf,
        sink: &mut impl FnMut(&[u32]),
    ) {
        buf.hashes.clear();
        if buf.cache_owner != self.uid {
            buf.cache.clear();
            buf.oov_seen = 0;
            buf.cache_owner = self.uid;
        }
        // Three passes: tokenise and hash, look every token up, then emit rows in token order.
        // A lookup is a chain of dependent loads (table slot, then the entry's bytes) that miss
        // the cache on a large vocabulary; with nothing else between them, the lookups of
        // successive tokens overlap in the processor instead of waiting one after another.
        let (mut tokens, mut ids) = (
            std::mem::take(&mut buf.tokens),
            std::mem::take(&mut buf.ids),
        );
        tokens.clear();
        ids.clear();
        let mut pos = 0;
        let len = text.len();
        loop {
            while pos < len && is_space(text[pos]) && (newline_is_space || text[pos] != b'\n') {
                pos += 1;
            }
            if pos >= len || text[pos] == b'\n' {
                tokens.push((None, fnv(EOS)));
                break;
            }
            let start = pos;
            while pos < len && !is_space(text[pos]) {
                pos += 1;
            }
            let word = &text[start..pos];
            tokens.push((Some((start, pos)), fnv(word)));
            // A literal `</s>` ends the line too, as the end-of-line token does.
            if word == EOS {
                break;
            }
        }
        let token = |t: Option<(usize, usize)>| t.map_or(EOS, |(a, b)| &text[a..b]);
        ids.extend(tokens.iter().map(|&(t, h)| self.id(token(t), h)));
        for (&(t, h), &id) in tokens.iter().zip(&ids) {
            self.add_token(token(t), h, id, buf, sink);
        }
        (buf.tokens, buf.ids) = (tokens, ids);
        self.add_word_ngrams(buf, sink);
    }

    /// Emits the rows of one token whose FNV hash is `h` and dictionary entry `id`.
    #[inline]
    fn add_token(
        &self,
        token: &[u8],
        h: u32,
        id: Option<usize>,
        buf: &mut LineBuf,
        sink: &mut impl FnMut(&[u32]),
    ) {
        match id {
            Some(id) if id < self.nwords => {
                if self.maxn == 0 {
                    sink(&[id as u32]);
                } else {
                    sink(&self.sub[self.sub_starts[id]..self.sub_starts[id + 1]]);
                }
                buf.hashes.push(h as i32);
            }
            Some(_) => {} // a label of the dictionary
            None if token.starts_with(LABEL_PREFIX) => {}
            None => {
                if token != EOS && self.maxn > 0 {
                    self.oov_ngrams(token, h, buf, sink);
                }
                buf.hashes.push(h as i32);
            }
        }
    }

    /// The character n-gram rows of an out-of-vocabulary token, from the cache if possible.
    #[inline]
    fn oov_ngrams(&self, token: &[u8], h: u32, buf: &mut LineBuf, sink: &mut impl FnMut(&[u32])) {
        if buf.cache.is_empty() {
            // Allocate the cache only once this buffer has proved busy, so one-off predictions
            // (a fresh `Scratch` per call) do not pay for zeroing it.
            buf.oov_seen += 1;
            if buf.oov_seen >= CACHE_AFTER {
                buf.cache.resize(CACHE_SLOTS, CachedToken::default());
            }
        }
        let cacheable = token.len() <= CACHE_MAX_TOKEN && !buf.cache.is_empty();
        let slot = (h ^ (h >> 15)) as usize & (CACHE_SLOTS - 1);
        if cacheable {
            let e = &buf.cache[slot];
            if e.hash == h && e.token == token {
                sink(&e.rows);
                return;
            }
        }
        buf.rows.clear();
        buf.word.clear();
        buf.word.push(b'<');
        buf.word.extend_from_slice(token);
        buf.word.push(b'>');
        self.char_ngrams(&buf.word, &mut buf.rows);
        sink(&buf.rows);
        if cacheable {
            let e = &mut buf.cache[slot];
            e.hash = h;
            e.token.clear();
            e.token.extend_from_slice(token);
            e.rows.clear();
            e.rows.extend_from_slice(&buf.rows);
        }
    }

    /// `addWordNgrams`, each bucket mapped to its row by [`push_bucket`].
    fn add_word_ngrams(&self, buf: &mut LineBuf, sink: &mut impl FnMut(&[u32])) {
        if self.word_ngrams <= 1 {
            return;
        }
        buf.rows.clear();
        let rows = &mut buf.rows;
        word_ngram_buckets(&buf.hashes, self.word_ngrams, self.bucket, |b| {
            self.push_bucket(rows, b)
        });
        sink(&buf.rows);
    }
}

/// `Dictionary::computeSubwords` on `<word>` (the word with its boundary markers): the bucket
/// of every run of `minn..=maxn` code points (UTF-8 lead byte plus continuation bytes), except
/// the lone `<` and `>`, in fastText's order. The hash of an n-gram is extended byte by byte
/// from the (n-1)-gram's, which gives the same FNV value without rehashing. `bucket` must be
/// non-zero when `maxn > 0`.
#[inline]
pub(crate) fn char_ngram_buckets(
    word: &[u8],
    minn: usize,
    maxn: usize,
    bucket: u32,
    mut push: impl FnMut(u32),
) {
    let len = word.len();
    for i in 0..len {
        if is_continuation(word[i]) {
            continue;
        }
        let mut h = FNV_BASIS;
        let mut j = i;
        let mut n = 1;
        while j < len && n <= maxn {
            h = fnv_step(h, word[j]);
            j += 1;
            while j < len && is_continuation(word[j]) {
                h = fnv_step(h, word[j]);
                j += 1;
            }
            if n >= minn && !(n == 1 && (i == 0 || j == len)) {
                push(h % bucket);
            }
            n += 1;
        }
    }
}

/// `Dictionary::addWordNgrams`: the buckets of the word n-grams (2 to `n` tokens) of a line,
/// from its tokens' hashes. fastText stores the hashes as `int32` and widens them to `uint64`
/// with sign extension, then combines them with the constant 116049371. `bucket` must be
/// non-zero when `n > 1`.
pub(crate) fn word_ngram_buckets(hashes: &[i32], n: usize, bucket: u32, mut push: impl FnMut(u32)) {
    for i in 0..hashes.len() {
        let mut h = hashes[i] as i64 as u64;
        for &hj in hashes.iter().take(i + n).skip(i + 1) {
            h = h.wrapping_mul(116_049_371).wrapping_add(hj as i64 as u64);
            push((h % u64::from(bucket)) as u32);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_sign_extends_high_bytes() {
        // Plain FNV-1a of "é" (c3 a9) differs; fastText XORs 0xffffffc3 then 0xffffffa9.
        let mut h = FNV_BASIS;
        for b in [0xffff_ffc3u32, 0xffff_ffa9] {
            h = (h ^ b).wrapping_mul(16_777_619);
        }
        assert_eq!(fnv("é".as_bytes()), h);
        assert_eq!(fnv(b"a"), (FNV_BASIS ^ 0x61).wrapping_mul(16_777_619));
    }

    fn dict(words: &[&str], minn: usize, maxn: usize, ngrams: usize) -> Dict {
        let entries: Vec<&[u8]> = words.iter().map(|w| w.as_bytes()).collect();
        Dict::new(&entries, words.len(), Prune::None, 1000, minn, maxn, ngrams)
    }

    #[test]
    fn char_ngrams_skip_lone_boundaries_and_count_code_points() {
        let d = dict(&["</s>"], 1, 2, 1);
        let mut rows = Vec::new();
        d.char_ngrams("<éa>".as_bytes(), &mut rows);
        let expect: Vec<u32> = ["<é", "é", "éa", "a", "a>"]
            .iter()
            .map(|g| 1 + fnv(g.as_bytes()) % 1000)
            .collect();
        assert_eq!(rows, expect);
    }

    #[test]
    fn line_ends_at_newline_or_eos_token() {
        let d = dict(&["</s>", "a", "b"], 0, 0, 1);
        let mut buf = LineBuf::default();
        let mut rows = |text: &[u8], nl_is_space| {
            let mut out = Vec::new();
            d.line_rows(text, nl_is_space, &mut buf, &mut |r| {
                out.extend_from_slice(r)
            });
            out
        };
        assert_eq!(rows(b" a\t b\nb", false), [1, 2, 0]);
        assert_eq!(rows(b" a\t b\nb", true), [1, 2, 2, 0]);
        assert_eq!(rows(b"a </s> b", false), [1, 0]);
        assert_eq!(rows(b"", false), [0]);
    }

    #[test]
    fn repeated_words_keep_the_last_id() {
        let d = dict(&["x", "y", "x"], 0, 0, 1);
        assert_eq!(d.id(b"x", fnv(b"x")), Some(2));
        assert_eq!(d.id(b"y", fnv(b"y")), Some(1));
        assert_eq!(d.id(b"z", fnv(b"z")), None);
    }
}
