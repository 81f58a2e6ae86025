//! MinHash signatures (Broder, "On the resemblance and containment of documents", 1997) with
//! FineWeb's parameters, computed exactly as datatrove 0.10.1 computes them
//! (`src/datatrove/pipeline/dedup/minhash.py`, `MinhashDedupSignature.get_shingles` and
//! `get_signature`):
//!
//! 1. the text is normalised with [`simplify_text`](crate::simplify_text);
//! 2. split into words by the word tokenizer datatrove assigns to the configured `language`
//!    ([`tamis_text::words`]; English by default, spaCy's rules);
//! 3. each run of `n_grams` consecutive words, joined by single spaces, is hashed with xxh64
//!    (seed 0) of its UTF-8 bytes: a shingle;
//! 4. hash `i` of the signature is the minimum over shingles of `((s * a_i + b_i) mod 2^64)
//!    mod (2^61 - 1)`: numpy multiplies and adds in wrapping `uint64` before the modulo, and
//!    that wrap is part of the reference behaviour.
//!
//! With `precision = 32` (datatrove's `HashConfig(precision=32)`), shingles are hashed with
//! xxh32 and each permuted value keeps its low 32 bits (`& 0xFFFFFFFF`) before the minimum.
//! datatrove's bucket stage also stops reading a band at a first hash of `0xFFFFFFFF`, its
//! end-of-range mark; tamis compares such a band as any other (one band in 2^32).
//!
//! Documents with fewer than `n_grams` words have no shingle and no signature; datatrove never
//! matches them with anything.
//!
//! With `language = "metadata"`, each document is tokenized for its own language
//! (`metadata.language`, plus `_` and `metadata.language_script` when set, as GlotLID writes
//! them: "por_Latn") and only compared with documents of the same language: every band key
//! starts with a hash of that language. That is FineWeb-2's MinHash, which runs once per
//! language folder (`fineweb-2-pipeline.py`, stage 4), in one pass. Documents without a
//! language, or in one whose tokenizer tamis does not run, get no signature.

use serde::{Deserialize, Serialize};
use tamis_core::Document;
use tamis_text::words::WordTokenizer;
use thiserror::Error;
use xxhash_rust::xxh32::xxh32;
use xxhash_rust::xxh64::xxh64;

use crate::numpy_rng::Mt19937;
use tamis_text::simplify::{simplify_text, TextNorm};

/// The Mersenne prime 2^61 - 1, the modulus of the permutations.
pub const MERSENNE_61: u64 = (1 << 61) - 1;

/// MinHash parameters; the defaults are datatrove's `MinhashConfig()`, which FineWeb used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct MinhashConfig {
    /// Words per shingle.
    pub n_grams: usize,
    /// LSH bands: two documents are candidates when all hashes of one band agree.
    pub num_buckets: usize,
    /// Hashes per band.
    pub hashes_per_bucket: usize,
    /// Seed of the permutation parameters (numpy `RandomState`), the same on every worker.
    pub seed: u32,
    /// Text normalisation before shingling.
    pub norm: TextNorm,
    /// Word tokenizer language, as datatrove's `MinhashDedupSignature(language=...)` takes it
    /// ("en", "por_Latn", ...), or "metadata": each document's own language, compared only
    /// with documents of the same language.
    pub language: String,
    /// Bits per hash, 64 or 32, as datatrove's `HashConfig(precision=...)`: with 32, shingles
    /// are hashed with xxh32 and each permuted value keeps its low 32 bits.
    pub precision: u32,
}

/// [`MinhashConfig::language`] for per-document languages.
pub const PER_DOCUMENT_LANGUAGE: &str = "metadata";

impl Default for MinhashConfig {
    fn default() -> Self {
        Self {
            n_grams: 5,
            num_buckets: 14,
            hashes_per_bucket: 8,
            seed: 1,
            norm: TextNorm::default(),
            language: "en".into(),
            precision: 64,
        }
    }
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum MinhashError {
    #[error("`{0}` must be at least 1")]
    Zero(&'static str),
    #[error("num_buckets * hashes_per_bucket = {0} hashes is too many (at most 4096)")]
    TooManyHashes(usize),
    #[error("`language`: {0}")]
    Language(String),
    #[error("`precision` is {0}: hashes have 64 or 32 bits")]
    Precision(u32),
}

impl MinhashConfig {
    pub fn num_hashes(&self) -> usize {
        self.num_buckets * self.hashes_per_bucket
    }

    pub fn validate(&self) -> Result<(), MinhashError> {
        for (name, v) in [
            ("n_grams", self.n_grams),
            ("num_buckets", self.num_buckets),
            ("hashes_per_bucket", self.hashes_per_bucket),
        ] {
            if v == 0 {
                return Err(MinhashError::Zero(name));
            }
        }
        if self.num_hashes() > 4096 {
            return Err(MinhashError::TooManyHashes(self.num_hashes()));
        }
        if !matches!(self.precision, 32 | 64) {
            return Err(MinhashError::Precision(self.precision));
        }
        Ok(())
    }
}

/// Computes signatures; cheap to share between threads (the tokenizer is thread-local).
pub struct MinHasher {
    config: MinhashConfig,
    a: Vec<u64>,
    b: Vec<u64>,
    /// The tokenizer of a fixed `language`; `None` for per-document languages.
    tokenizer: Option<WordTokenizer>,
}

impl MinHasher {
    pub fn new(config: MinhashConfig) -> Result<Self, MinhashError> {
        config.validate()?;
        let tokenizer = if config.language == PER_DOCUMENT_LANGUAGE {
            None
        } else {
            Some(
                WordTokenizer::for_language(&config.language)
                    .map_err(|e| MinhashError::Language(e.to_string()))?,
            )
        };
        let (a, b) = permutations(config.seed, config.num_hashes());
        Ok(Self {
            config,
            a,
            b,
            tokenizer,
        })
    }

    /// Whether documents are tokenized and grouped by their own language.
    pub fn per_document_language(&self) -> bool {
        self.tokenizer.is_none()
    }

    /// Words compared per band: the hashes, and the language first when per document.
    pub fn band_width(&self) -> usize {
        self.config.hashes_per_bucket + usize::from(self.per_document_language())
    }

    /// The band keys of `doc` (`num_buckets` runs of [`MinHasher::band_width`] words), or
    /// `None` when it can match nothing.
    pub fn band_keys(&self, doc: &Document) -> Option<Vec<u64>> {
        if let Some(tok) = self.tokenizer {
            return self.signature_with(&doc.text, tok);
        }
        let key = doc.language_key()?;
        let tok = WordTokenizer::for_language(&key).ok()?;
        let sig = self.signature_with(&doc.text, tok)?;
        let lang = xxh64(key.as_bytes(), 0);
        let h = self.config.hashes_per_bucket;
        let mut out = Vec::with_capacity(sig.len() + self.config.num_buckets);
        for band in sig.chunks(h) {
            out.push(lang);
            out.extend_from_slice(band);
        }
        Some(out)
    }

    pub fn config(&self) -> &MinhashConfig {
        &self.config
    }

    /// The permutation parameters `(a, b)`, as numpy draws them.
    pub fn parameters(&self) -> (&[u64], &[u64]) {
        (&self.a, &self.b)
    }

    /// The shingle hashes of `text`, in text order (repeats included), with the configured
    /// language's tokenizer (English when it is per document).
    pub fn shingles(&self, text: &str) -> Vec<u64> {
        self.shingles_with(text, self.tokenizer.unwrap_or(WordTokenizer::English))
    }

    fn shingles_with(&self, text: &str, tok: WordTokenizer) -> Vec<u64> {
        let simple = simplify_text(text, &self.config.norm);
        let words = tok.words(&simple);
        let n = self.config.n_grams;
        if words.len() < n {
            return Vec::new();
        }
        let mut buf = String::new();
        let bits32 = self.config.precision == 32;
        words
            .windows(n)
            .map(|gram| {
                buf.clear();
                for (k, w) in gram.iter().enumerate() {
                    if k > 0 {
                        buf.push(' ');
                    }
                    buf.push_str(w);
                }
                if bits32 {
                    u64::from(xxh32(buf.as_bytes(), 0))
                } else {
                    xxh64(buf.as_bytes(), 0)
                }
            })
            .collect()
    }

    /// The signature of `text` (`num_hashes` values, band after band), or `None` when it has
    /// fewer than `n_grams` words.
    pub fn signature(&self, text: &str) -> Option<Vec<u64>> {
        self.signature_with(text, self.tokenizer.unwrap_or(WordTokenizer::English))
    }

    fn signature_with(&self, text: &str, tok: WordTokenizer) -> Option<Vec<u64>> {
        let shingles = self.shingles_with(text, tok);
        if shingles.is_empty() {
            return None;
        }
        // datatrove: `(shingles * a + b) % P` in uint64 (the product wraps), then, for 32-bit
        // hashes, `& 0xFFFFFFFF` before the minimum.
        let mask = if self.config.precision == 32 {
            u64::from(u32::MAX)
        } else {
            u64::MAX
        };
        let mut sig = vec![u64::MAX; self.a.len()];
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512dq")
        {
            // SAFETY: the CPU has the features `min_hashes_avx512` is compiled for.
            #[allow(unsafe_code)]
            unsafe {
                min_hashes_avx512(&shingles, &self.a, &self.b, mask, &mut sig)
            };
            return Some(sig);
        }
        min_hashes(&shingles, &self.a, &self.b, mask, &mut sig);
        Some(sig)
    }
}

/// Folds each shingle's permuted hashes `((s * a + b) mod P) & mask` into the running minima
/// `sig`, one per permutation.
fn min_hashes(shingles: &[u64], a: &[u64], b: &[u64], mask: u64, sig: &mut [u64]) {
    // Four shingles per pass over the permutations: each permutation's `a`, `b` and running
    // minimum are loaded once for four independent multiply-folds, which the CPU overlaps.
    let mut quads = shingles.chunks_exact(4);
    for q in &mut quads {
        let [s0, s1, s2, s3] = [q[0], q[1], q[2], q[3]];
        for ((m, &a), &b) in sig.iter_mut().zip(a).zip(b) {
            let h = |s: u64| mod_mersenne(s.wrapping_mul(a).wrapping_add(b)) & mask;
            *m = (*m).min(h(s0).min(h(s1)).min(h(s2).min(h(s3))));
        }
    }
    for &s in quads.remainder() {
        for ((m, &a), &b) in sig.iter_mut().zip(a).zip(b) {
            *m = (*m).min(mod_mersenne(s.wrapping_mul(a).wrapping_add(b)) & mask);
        }
    }
}

/// [`min_hashes`] eight permutations at a time: AVX-512 has the 64-bit multiply (low half,
/// the wrapping product datatrove's `uint64` arithmetic gives) and unsigned 64-bit minimum
/// that baseline x86-64 lacks. The same values, bit for bit.
///
/// # Safety
/// The CPU must support AVX-512F and AVX-512DQ.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512dq")]
#[allow(unsafe_code)]
unsafe fn min_hashes_avx512(shingles: &[u64], a: &[u64], b: &[u64], mask: u64, sig: &mut [u64]) {
    use std::arch::x86_64::*;
    let lanes = a.len() / 8 * 8;
    let p = _mm512_set1_epi64(MERSENNE_61 as i64);
    let vmask = _mm512_set1_epi64(mask as i64);
    for start in (0..lanes).step_by(8) {
        // SAFETY (all loads and stores): `start + 8 <= lanes <= a.len() == b.len() == sig.len()`.
        let va = unsafe { _mm512_loadu_si512(a[start..].as_ptr().cast()) };
        let vb = unsafe { _mm512_loadu_si512(b[start..].as_ptr().cast()) };
        let mut m = unsafe { _mm512_loadu_si512(sig[start..].as_ptr().cast()) };
        for &s in shingles {
            let x = _mm512_add_epi64(_mm512_mullo_epi64(_mm512_set1_epi64(s as i64), va), vb);
            // x mod P: fold the bits above 61 onto the rest, a value below 2P; then the smaller
            // of it and it - P (which wraps around when it is below P).
            let folded = _mm512_add_epi64(_mm512_and_si512(x, p), _mm512_srli_epi64::<61>(x));
            let h = _mm512_min_epu64(folded, _mm512_sub_epi64(folded, p));
            m = _mm512_min_epu64(m, _mm512_and_si512(h, vmask));
        }
        unsafe { _mm512_storeu_si512(sig[start..].as_mut_ptr().cast(), m) };
    }
    let (a, b, sig) = (&a[lanes..], &b[lanes..], &mut sig[lanes..]);
    min_hashes(shingles, a, b, mask, sig);
}

/// `x mod (2^61 - 1)` without a division: 2^61 is 1 modulo the prime, so the high bits fold
/// onto the low ones.
#[inline]
fn mod_mersenne(x: u64) -> u64 {
    let folded = (x & MERSENNE_61) + (x >> 61);
    if folded >= MERSENNE_61 {
        folded - MERSENNE_61
    } else {
        folded
    }
}

/// datatrove's parameters: `gen = RandomState(seed)`, `a = gen.randint(1, P, size=n)`, then
/// `b = gen.randint(0, P, size=n)`, both `uint64`.
fn permutations(seed: u32, n: usize) -> (Vec<u64>, Vec<u64>) {
    let mut rng = Mt19937::new(seed);
    let a = (0..n).map(|_| rng.randint_u64(1, MERSENNE_61)).collect();
    let b = (0..n).map(|_| rng.randint_u64(0, MERSENNE_61)).collect();
    (a, b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mersenne_reduction_equals_the_modulo() {
        for x in [
            0,
            1,
            MERSENNE_61 - 1,
            MERSENNE_61,
            MERSENNE_61 + 1,
            u64::MAX,
            u64::MAX - 1,
            1 << 63,
            0x1234_5678_9abc_def0,
        ] {
            assert_eq!(mod_mersenne(x), x % MERSENNE_61, "{x}");
        }
    }

    #[test]
    fn avx512_minima_equal_the_scalar_ones() {
        #[cfg(target_arch = "x86_64")]
        {
            if !(std::arch::is_x86_feature_detected!("avx512f")
                && std::arch::is_x86_feature_detected!("avx512dq"))
            {
                eprintln!("skipped: this CPU has no AVX-512F/DQ");
                return;
            }
            // 13 permutations: one vector of eight and a scalar tail of five.
            let (a, b) = permutations(7, 13);
            let mut x = 0x9e37_79b9_7f4a_7c15u64;
            let shingles: Vec<u64> = (0..1001)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    x
                })
                .collect();
            for mask in [u64::MAX, u64::from(u32::MAX)] {
                let mut want = vec![u64::MAX; a.len()];
                min_hashes(&shingles, &a, &b, mask, &mut want);
                let mut got = vec![u64::MAX; a.len()];
                #[allow(unsafe_code)]
                // SAFETY: the features were detected above.
                unsafe {
                    min_hashes_avx512(&shingles, &a, &b, mask, &mut got)
                };
                assert_eq!(got, want, "mask {mask:x}");
                assert!(want.iter().all(|&m| m < MERSENNE_61));
            }
        }
    }

    #[test]
    fn short_documents_have_no_signature() {
        let h = MinHasher::new(MinhashConfig::default()).unwrap();
        assert_eq!(h.signature("only four words here"), None);
        assert_eq!(
            h.signature("now there are five words").map(|s| s.len()),
            Some(112)
        );
    }

    #[test]
    fn config_is_validated() {
        let bad = MinhashConfig {
            n_grams: 0,
            ..MinhashConfig::default()
        };
        assert_eq!(
            MinHasher::new(bad).err(),
            Some(MinhashError::Zero("n_grams"))
        );
    }
}
