//! CRFsuite models bundled zstd-compressed, loaded once, and Viterbi decoding over them that
//! computes each position's attributes only when it reaches that position.
//!
//! The `crfs` crate (a port of CRFsuite's tagger, which python-crfsuite and sklearn-crfsuite
//! wrap) parses the model and maps attribute names to ids. Its tagger takes the whole sequence's
//! attributes at once, about 1.2 KB per character for the Khmer and Burmese feature sets, so a
//! long document would need gigabytes; here only the backward links stay, one byte per label
//! per position. The scores are computed as CRFsuite computes them (`crf1d_context.c` and
//! `crf1d_tag.c`): a position's state score per label is the sum, attribute by attribute in
//! order, of each state feature's weight times the attribute's value; the path score adds the
//! transition weights; ties go to the lowest label id, so the labels equal `crfs`'s and
//! python-crfsuite's. The model layout read below is CRFsuite's `crf1d_model.c` file format:
//! a 48-byte header of little-endian `u32`s, then chunks with a 12-byte header; a feature is
//! `(type u32, source u32, target u32, weight f64)`, 20 bytes; the attribute and label
//! reference tables hold, per id, the offset of a `u32` count followed by that many feature ids.

use std::io::Read;

use crfs::{Attribute, Model};

const CHUNK_HEADER: usize = 12;
const FEATURE_BYTES: usize = 20;

/// A loaded model, ready to tag.
pub(crate) struct Crf {
    model: Model<'static>,
    bytes: &'static [u8],
    labels: usize,
    /// `trans[i * labels + j]`: the weight of label `j` following label `i`.
    trans: Vec<f64>,
    features_at: usize,
    attr_refs_at: usize,
}

fn u32_at(b: &[u8], at: usize) -> usize {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes")) as usize
}

impl Crf {
    /// Decompresses a bundled model and keeps it for the life of the process.
    pub(crate) fn load(compressed: &[u8]) -> Self {
        let mut bytes = Vec::new();
        zstd::stream::read::Decoder::new(compressed)
            .and_then(|mut d| d.read_to_end(&mut bytes))
            .expect("bundled CRFsuite model decodes");
        let bytes: &'static [u8] = bytes.leak();
        let model = Model::new(bytes).expect("bundled CRFsuite model parses");
        let labels = u32_at(bytes, 20);
        assert!(
            labels <= usize::from(u8::MAX),
            "labels fit the backward links"
        );
        let mut crf = Self {
            model,
            bytes,
            labels,
            trans: vec![0.0; labels * labels],
            features_at: u32_at(bytes, 28) + CHUNK_HEADER,
            attr_refs_at: u32_at(bytes, 44) + CHUNK_HEADER,
        };
        let label_refs_at = u32_at(bytes, 40) + CHUNK_HEADER;
        for i in 0..labels {
            let edges: Vec<(usize, f64)> = crf
                .refs(label_refs_at, i)
                .map(|fid| crf.feature(fid))
                .collect();
            for (target, weight) in edges {
                crf.trans[i * labels + target] = weight;
            }
        }
        crf
    }

    /// The feature ids of reference table entry `id`.
    fn refs(&self, table: usize, id: usize) -> impl Iterator<Item = usize> + '_ {
        let at = u32_at(self.bytes, table + 4 * id);
        let n = u32_at(self.bytes, at);
        (0..n).map(move |k| u32_at(self.bytes, at + 4 + 4 * k))
    }

    /// A feature's target label and weight.
    fn feature(&self, fid: usize) -> (usize, f64) {
        let at = self.features_at + FEATURE_BYTES * fid;
        let w = f64::from_le_bytes(self.bytes[at + 12..at + 20].try_into().expect("8 bytes"));
        (u32_at(self.bytes, at + 8), w)
    }

    /// The label named `id` in the model.
    pub(crate) fn label(&self, id: u8) -> &str {
        self.model.to_label(u32::from(id)).expect("a label id")
    }

    /// The best label sequence for `n` positions whose attributes `item(t)` gives, asked once
    /// per position in order.
    pub(crate) fn tag(&self, n: usize, mut item: impl FnMut(usize) -> Vec<Attribute>) -> Vec<u8> {
        let l = self.labels;
        if n == 0 {
            return Vec::new();
        }
        let mut state = vec![0.0f64; l];
        let mut prev = vec![0.0f64; l];
        let mut cur = vec![0.0f64; l];
        let mut back = vec![0u8; n * l];
        for t in 0..n {
            state.fill(0.0);
            for a in item(t) {
                if let Some(aid) = self.model.to_attr_id(&a.name) {
                    for fid in self.refs(self.attr_refs_at, aid as usize) {
                        let (target, weight) = self.feature(fid);
                        state[target] += weight * a.value;
                    }
                }
            }
            if t == 0 {
                prev.copy_from_slice(&state);
                continue;
            }
            for j in 0..l {
                let (mut best, mut arg) = (f64::MIN, 0);
                for (i, p) in prev.iter().enumerate() {
                    let s = p + self.trans[i * l + j];
                    if best < s {
                        (best, arg) = (s, i);
                    }
                }
                back[t * l + j] = arg as u8;
                cur[j] = best + state[j];
            }
            std::mem::swap(&mut prev, &mut cur);
        }
        let mut labels = vec![0u8; n];
        let mut best = f64::MIN;
        for (i, p) in prev.iter().enumerate() {
            if best < *p {
                best = *p;
                labels[n - 1] = i as u8;
            }
        }
        for t in (1..n).rev() {
            labels[t - 1] = back[t * l + usize::from(labels[t])];
        }
        labels
    }
}
