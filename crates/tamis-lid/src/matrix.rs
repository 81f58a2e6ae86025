//! The two matrix kinds a model can hold, with exactly the two operations prediction needs:
//! adding a row to the hidden vector and a row's dot product with it. Both keep fastText's f32
//! operation order (one running sum per component, rows in input order), which is what makes
//! the scores agree to the last bit rather than merely to a tolerance.

use crate::format::{Pq, RawMatrix};

#[derive(Debug, Clone)]
pub(crate) enum Matrix {
    Dense {
        cols: usize,
        data: Vec<f32>,
    },
    /// A product-quantized matrix: row `i` is the concatenation of one centroid per
    /// sub-quantizer, `codes[i * nsubq + m]` picking centroid of sub-quantizer `m`, optionally
    /// scaled by a quantized norm. Rows are never decompressed: adding or dotting a row reads
    /// the centroid table directly, as fastText's `ProductQuantizer::addcode` / `mulcode` do.
    Quant {
        codes: Vec<u8>,
        pq: Pq,
        norms: Option<(Vec<u8>, Pq)>,
    },
}

impl Matrix {
    pub(crate) fn from_raw(raw: RawMatrix) -> Matrix {
        match raw {
            RawMatrix::Dense { cols, data, .. } => Matrix::Dense { cols, data },
            RawMatrix::Quant {
                codes, pq, norms, ..
            } => Matrix::Quant { codes, pq, norms },
        }
    }

    /// A quantized matrix turned into dense rows, if that takes at most `max_bytes`.
    ///
    /// Exact: `addcode` adds `alpha * c[n]` to the hidden vector, and f32 `x + alpha * c` (no
    /// fused multiply-add in fastText's build or here) rounds the product first, so adding the
    /// stored product `alpha * c[n]` gives the same bits. For lid.176 this is 3.2 MB instead of
    /// 0.8 MB of codes, and each input row becomes one contiguous 64-byte add instead of eight
    /// table lookups (about a third of the prediction time).
    pub(crate) fn decoded(&self, rows: usize, max_bytes: usize) -> Option<Matrix> {
        let Matrix::Quant { pq, .. } = self else {
            return None;
        };
        let cols = pq.dim;
        if rows.checked_mul(cols)?.checked_mul(4)? > max_bytes {
            return None;
        }
        let mut data = Vec::with_capacity(rows * cols);
        for i in 0..rows {
            let start = data.len();
            data.resize(start + cols, 0.0);
            self.add_row(&mut data[start..], i);
        }
        Some(Matrix::Dense { cols, data })
    }

    /// `QuantMatrix::addRowToVector` multiplies by the row's norm (1 without `-qnorm`).
    #[inline]
    fn norm(norms: &Option<(Vec<u8>, Pq)>, i: usize) -> Option<f32> {
        norms
            .as_ref()
            .map(|(codes, npq)| npq.centroids[npq.offset(0, codes[i])])
    }

    /// Asks the processor to start loading row `i` without waiting for it (a dense row's
    /// cache lines; quantized rows are small and left alone).
    #[inline]
    pub(crate) fn prefetch_row(&self, i: usize) {
        if let Matrix::Dense { cols, data } = self {
            if let Some(row) = data.get(i * cols..(i + 1) * cols) {
                crate::prefetch::lines(row);
            }
        }
    }

    /// `x += row i` (src/densematrix.cc and src/productquantizer.cc `addcode`).
    #[inline]
    pub(crate) fn add_row(&self, x: &mut [f32], i: usize) {
        match self {
            Matrix::Dense { cols, data } => {
                let row = &data[i * cols..(i + 1) * cols];
                for (a, b) in x.iter_mut().zip(row) {
                    *a += *b;
                }
            }
            Matrix::Quant { codes, pq, norms } => {
                let code = &codes[i * pq.nsubq..(i + 1) * pq.nsubq];
                let norm = Self::norm(norms, i);
                for (m, &c) in code.iter().enumerate() {
                    let cent = pq.centroid(m, c);
                    let xs = &mut x[m * pq.dsub..m * pq.dsub + cent.len()];
                    match norm {
                        // alpha * c[n] with alpha = 1 is c[n] exactly; skip the multiply.
                        None => xs.iter_mut().zip(cent).for_each(|(a, b)| *a += *b),
                        Some(a) => xs.iter_mut().zip(cent).for_each(|(x, b)| *x += a * *b),
                    }
                }
            }
        }
    }

    /// Row `i` dotted with `x`, summed left to right in f32 (`DenseMatrix::dotRow`,
    /// `ProductQuantizer::mulcode` then times the norm).
    #[inline]
    pub(crate) fn dot_row(&self, x: &[f32], i: usize) -> f32 {
        match self {
            Matrix::Dense { cols, data } => {
                let row = &data[i * cols..(i + 1) * cols];
                let mut d = 0.0f32;
                for (a, b) in row.iter().zip(x) {
                    d += a * b;
                }
                d
            }
            Matrix::Quant { codes, pq, norms } => {
                let code = &codes[i * pq.nsubq..(i + 1) * pq.nsubq];
                let mut res = 0.0f32;
                for (m, &c) in code.iter().enumerate() {
                    let cent = pq.centroid(m, c);
                    for (n, cv) in cent.iter().enumerate() {
                        res += x[m * pq.dsub + n] * cv;
                    }
                }
                res * Self::norm(norms, i).unwrap_or(1.0)
            }
        }
    }

    /// fastText's dense `dotRow` throws on NaN; the quantized one does not.
    pub(crate) fn nan_is_error(&self) -> bool {
        matches!(self, Matrix::Dense { .. })
    }
}
