//! Reproducible random draws for the steps that keep a random share of documents.

/// A uniform draw in [0, 1) from the seed and some bytes of the document (splitmix64 over
/// FNV-1a of the parts, in order), so a document's fate does not depend on which thread or
/// batch it was in. datatrove draws from numpy's `default_rng(seed)` in document order instead,
/// which depends on how documents are split across its tasks.
pub(crate) fn uniform(seed: u64, parts: &[&[u8]]) -> f64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ seed;
    for b in parts.iter().flat_map(|p| p.iter()) {
        h = (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
    }
    let mut z = h.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}
