//! One stochastic-gradient step of supervised training, as fastText takes it:
//! `FastText::supervised` (src/fasttext.cc) picks the target, `Model::update` (src/model.cc)
//! averages the input rows into the hidden vector, runs the loss's forward and backward pass
//! and adds the gradient to the input rows, and the losses (src/loss.cc: `SoftmaxLoss`,
//! `OneVsAllLoss`, `NegativeSamplingLoss`, `HierarchicalSoftmaxLoss`, all but the first through
//! `BinaryLogisticLoss::binaryLogistic`) update the output rows.
//!
//! Every f32 operation happens in fastText's order and precision (its wheel is built without
//! fused multiply-adds, and Rust never contracts), so a single-threaded run gives the same bits.
//! The matrices are reached through [`Rows`], implemented over plain cells for one thread and
//! over relaxed atomics for Hogwild training on several.

use std::cell::Cell;
use std::sync::atomic::{AtomicU32, Ordering::Relaxed};

use super::rng::MinStd;
use crate::loss::{self, Loss, Tree};

/// Row operations on a matrix of `dim` columns, stored so that several threads may update it
/// without locks (see [`Weight`]).
pub(crate) trait Rows {
    /// Row `i` dotted with `x`, summed left to right (`DenseMatrix::dotRow`).
    fn dot(&self, i: usize, x: &[f32]) -> f32;
    /// `x = row i` (the start of `averageRowsToVector`).
    fn copy_row(&self, i: usize, x: &mut [f32]);
    /// `x += row i` (`addRowToVector`).
    fn add_row(&self, i: usize, x: &mut [f32]);
    /// `row i += x`: `addVectorToRow(x, i, 1.0)`, whose `1.0 * x` is `x` exactly.
    fn add_to_row(&self, i: usize, x: &[f32]);
    /// `grad += a * row i` then `row i += a * hidden`, in one pass: the same bits as
    /// fastText's two passes (`state.grad.addRow(*wo_, i, alpha)` then
    /// `wo_->addVectorToRow(state.hidden, i, alpha)`), since each element of the gradient is
    /// taken from the row before that element is updated.
    fn grad_and_update(&self, i: usize, a: f32, hidden: &[f32], grad: &mut [f32]);
    /// Four [`dot`](Self::dot)s at once. Each is still one left-to-right f32 sum (same bits),
    /// but the four chains are independent, so the CPU overlaps them: a dot product is bound
    /// by the latency of its additions, not by their number.
    fn dot4(&self, rows: [usize; 4], x: &[f32]) -> [f32; 4];
    /// Starts loading every cache line of the given rows (prefetches on x86-64; elsewhere one
    /// load per line, independent of each other), so that their cache misses overlap and the
    /// summation that follows finds the rows in cache. The input rows of a line (word n-grams,
    /// subwords) are scattered over a matrix of hundreds of megabytes, and without this the
    /// misses come a few at a time.
    fn touch(&self, rows: &[u32]);
}

/// f32s per 64-byte cache line.
const LINE: usize = 16;

/// `out[k] = wo.dot(rows(k), x)` for `k < out.len()`, four rows at a time.
#[inline]
fn dots<W: Rows>(w: &W, rows: impl Fn(usize) -> usize, x: &[f32], out: &mut [f32]) {
    let n = out.len();
    let mut k = 0;
    while k + 4 <= n {
        let d = w.dot4([rows(k), rows(k + 1), rows(k + 2), rows(k + 3)], x);
        out[k..k + 4].copy_from_slice(&d);
        k += 4;
    }
    for (k, o) in out.iter_mut().enumerate().skip(k) {
        *o = w.dot(rows(k), x);
    }
}

/// One stored weight: a `Cell<f32>` for a matrix owned by one thread (plain, vectorisable
/// loads and stores), or an `AtomicU32` holding the f32's bits for a matrix the training
/// threads share Hogwild style, as in fastText: every thread reads and writes the weights
/// without synchronisation, with relaxed loads and stores (plain moves on x86), so a concurrent
/// update may be lost, exactly as with fastText's unsynchronised floats, but no read is ever
/// torn and there is no data race in the Rust sense.
pub(crate) trait Weight {
    fn get(&self) -> f32;
    fn set(&self, v: f32);
}

impl Weight for Cell<f32> {
    #[inline(always)]
    fn get(&self) -> f32 {
        Cell::get(self)
    }
    #[inline(always)]
    fn set(&self, v: f32) {
        Cell::set(self, v)
    }
}

impl Weight for AtomicU32 {
    #[inline(always)]
    fn get(&self) -> f32 {
        f32::from_bits(self.load(Relaxed))
    }
    #[inline(always)]
    fn set(&self, v: f32) {
        self.store(v.to_bits(), Relaxed)
    }
}

/// A row-major matrix of `dim` columns over shared weights (see [`Weight`]).
pub(crate) struct SharedRows<'a, W> {
    pub data: &'a [W],
    pub dim: usize,
}

/// The matrices of a one-thread run.
pub(crate) type CellRows<'a> = SharedRows<'a, Cell<f32>>;
/// The matrices of a Hogwild run.
pub(crate) type AtomicRows<'a> = SharedRows<'a, AtomicU32>;

impl<W> SharedRows<'_, W> {
    #[inline(always)]
    fn row(&self, i: usize) -> &[W] {
        &self.data[i * self.dim..(i + 1) * self.dim]
    }
}

impl<W: Weight> Rows for SharedRows<'_, W> {
    #[inline]
    fn dot(&self, i: usize, x: &[f32]) -> f32 {
        let mut d = 0.0f32;
        for (w, v) in self.row(i).iter().zip(x) {
            d += w.get() * v;
        }
        d
    }
    #[inline]
    fn copy_row(&self, i: usize, x: &mut [f32]) {
        for (v, w) in x.iter_mut().zip(self.row(i)) {
            *v = w.get();
        }
    }
    #[inline]
    fn add_row(&self, i: usize, x: &mut [f32]) {
        for (v, w) in x.iter_mut().zip(self.row(i)) {
            *v += w.get();
        }
    }
    #[inline]
    fn add_to_row(&self, i: usize, x: &[f32]) {
        for (w, v) in self.row(i).iter().zip(x) {
            w.set(w.get() + v);
        }
    }
    #[inline]
    fn grad_and_update(&self, i: usize, a: f32, hidden: &[f32], grad: &mut [f32]) {
        for ((w, h), g) in self.row(i).iter().zip(hidden).zip(grad) {
            let old = w.get();
            *g += a * old;
            w.set(old + a * h);
        }
    }
    #[inline]
    fn dot4(&self, rows: [usize; 4], x: &[f32]) -> [f32; 4] {
        let r = rows.map(|i| self.row(i));
        let mut d = [0.0f32; 4];
        for (j, v) in x.iter().enumerate() {
            for k in 0..4 {
                d[k] += r[k][j].get() * v;
            }
        }
        d
    }
    #[inline]
    fn touch(&self, rows: &[u32]) {
        if cfg!(target_arch = "x86_64") {
            // Prefetches: unlike loads, they do not hold up the instructions after them.
            for &i in rows {
                crate::prefetch::lines(self.row(i as usize));
            }
            return;
        }
        let mut acc = 0u32;
        for &i in rows {
            let row = self.row(i as usize);
            for j in (0..row.len()).step_by(LINE).chain([row.len() - 1]) {
                acc ^= row[j].get().to_bits();
            }
        }
        std::hint::black_box(acc);
    }
}

/// The loss with whatever it precomputes from the label counts.
#[derive(Debug, Clone)]
enum Objective {
    Softmax,
    OneVsAll,
    /// `neg` negatives per example, drawn from `table` (`negatives_`).
    Negative {
        neg: usize,
        table: Vec<u32>,
    },
    /// For each label, the internal nodes from its leaf to the root (output rows) and the
    /// branch taken at each (`paths_` and `codes_`).
    Hierarchical {
        paths: Vec<Vec<(u32, bool)>>,
    },
}

/// `NegativeSamplingLoss::NEGATIVE_TABLE_SIZE`.
const NEGATIVE_TABLE_SIZE: i32 = 10_000_000;

/// A NaN dot product: fastText's `DenseMatrix::dotRow` throws `EncounteredNaNError` and
/// training stops.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Diverged;

/// Everything a training step needs that does not change during training.
#[derive(Debug, Clone)]
pub(crate) struct Learner {
    objective: Objective,
    sigmoid: Vec<f32>,
    /// Rows of the output matrix (the number of labels).
    osz: usize,
}

/// One thread's buffers and generator (`Model::State`).
#[derive(Debug, Clone)]
pub(crate) struct State {
    hidden: Vec<f32>,
    grad: Vec<f32>,
    output: Vec<f32>,
    pub rng: MinStd,
}

impl State {
    /// `Model::State(dim, osz, seed)`: the generator is `minstd_rand(threadId + seed)`.
    pub(crate) fn new(dim: usize, osz: usize, seed: i64) -> State {
        State {
            hidden: vec![0.0; dim],
            grad: vec![0.0; dim],
            output: vec![0.0; osz],
            rng: MinStd::new(seed),
        }
    }
}

impl Learner {
    /// `FastText::createLoss` for the dictionary's label counts (sorted by decreasing count).
    /// Negative sampling with a single label has no negative to draw (fastText loops forever);
    /// the caller rejects it before this.
    pub(crate) fn new(loss: Loss, neg: usize, counts: &[i64]) -> Learner {
        let objective = match loss {
            Loss::Softmax => Objective::Softmax,
            Loss::OneVsAll => Objective::OneVsAll,
            Loss::NegativeSampling => Objective::Negative {
                neg,
                table: negative_table(counts),
            },
            Loss::HierarchicalSoftmax => Objective::Hierarchical {
                paths: huffman_paths(counts),
            },
        };
        Learner {
            objective,
            sigmoid: loss::sigmoid_table(),
            osz: counts.len(),
        }
    }

    /// `FastText::supervised` then `Model::update`: one example, `input` its rows, `labels`
    /// its label ids. Lines without labels or rows are skipped. Except for one-vs-all (which
    /// trains every label), one of the labels is the target, drawn uniformly.
    pub(crate) fn step<W: Rows>(
        &self,
        wi: &W,
        wo: &W,
        st: &mut State,
        lr: f32,
        input: &[u32],
        labels: &[u32],
    ) -> Result<(), Diverged> {
        if labels.is_empty() || input.is_empty() {
            return Ok(());
        }
        let target = match self.objective {
            Objective::OneVsAll => 0,
            _ => labels[st.rng.below(labels.len() as u64) as usize] as usize,
        };
        // `computeHidden`: the mean of the input rows, with the reciprocal rounded to f32.
        wi.touch(input);
        wi.copy_row(input[0] as usize, &mut st.hidden);
        for &row in &input[1..] {
            wi.add_row(row as usize, &mut st.hidden);
        }
        let scale = (1.0 / input.len() as f64) as f32;
        for h in &mut st.hidden {
            *h *= scale;
        }
        st.grad.fill(0.0);
        match &self.objective {
            Objective::Softmax => self.softmax(wo, st, target, lr)?,
            Objective::OneVsAll => {
                // Row i changes only at step i, so every dot can be taken first (exactly).
                dots(wo, |k| k, &st.hidden, &mut st.output);
                for i in 0..self.osz {
                    let positive = labels.contains(&(i as u32));
                    self.binary_logistic(wo, st, i, st.output[i], positive, lr)?;
                }
            }
            Objective::Negative { neg, table } => {
                let d = wo.dot(target, &st.hidden);
                self.binary_logistic(wo, st, target, d, true, lr)?;
                for _ in 0..*neg {
                    // `getNegative`: redraw while the negative is the target.
                    let negative = loop {
                        let n = table[st.rng.below(table.len() as u64) as usize] as usize;
                        if n != target {
                            break n;
                        }
                    };
                    // A negative may repeat, so its dot must follow the previous updates.
                    let d = wo.dot(negative, &st.hidden);
                    self.binary_logistic(wo, st, negative, d, false, lr)?;
                }
            }
            Objective::Hierarchical { paths } => {
                // The nodes of a path are distinct: as for one-vs-all, dots first.
                let path = &paths[target];
                dots(
                    wo,
                    |k| path[k].0 as usize,
                    &st.hidden,
                    &mut st.output[..path.len()],
                );
                for (k, &(node, code)) in path.iter().enumerate() {
                    self.binary_logistic(wo, st, node as usize, st.output[k], code, lr)?;
                }
            }
        }
        // Supervised models normalise the gradient by the number of input rows.
        let scale = (1.0 / input.len() as f64) as f32;
        for g in &mut st.grad {
            *g *= scale;
        }
        for &row in input {
            wi.add_to_row(row as usize, &st.grad);
        }
        Ok(())
    }

    /// `SoftmaxLoss::computeOutput` and the backward pass of `SoftmaxLoss::forward`. The
    /// exponential is `exp` in double (fastText calls the C `exp` on the f32 difference).
    fn softmax<W: Rows>(
        &self,
        wo: &W,
        st: &mut State,
        target: usize,
        lr: f32,
    ) -> Result<(), Diverged> {
        dots(wo, |k| k, &st.hidden, &mut st.output);
        if st.output.iter().any(|d| d.is_nan()) {
            return Err(Diverged);
        }
        // `std::max(output[i], max)` keeps `max` only when output[i] < max.
        let mut max = st.output[0];
        for &o in &st.output {
            max = if o < max { max } else { o };
        }
        let mut z = 0.0f32;
        for o in &mut st.output {
            *o = f64::from(*o - max).exp() as f32;
            z += *o;
        }
        for o in &mut st.output {
            *o /= z;
        }
        for i in 0..self.osz {
            let label = if i == target { 1.0f32 } else { 0.0 };
            let alpha = lr * (label - st.output[i]);
            wo.grad_and_update(i, alpha, &st.hidden, &mut st.grad);
        }
        Ok(())
    }

    /// `BinaryLogisticLoss::binaryLogistic` with backpropagation, given the row's dot product
    /// with the hidden vector: the score through the sigmoid lookup table, then the gradient
    /// and the output row.
    #[inline]
    fn binary_logistic<W: Rows>(
        &self,
        wo: &W,
        st: &mut State,
        row: usize,
        d: f32,
        positive: bool,
        lr: f32,
    ) -> Result<(), Diverged> {
        if d.is_nan() {
            return Err(Diverged);
        }
        let score = loss::table_sigmoid(&self.sigmoid, d);
        let alpha = lr * (f32::from(u8::from(positive)) - score);
        wo.grad_and_update(row, alpha, &st.hidden, &mut st.grad);
        Ok(())
    }
}

/// `NegativeSamplingLoss`'s table: label `i` repeated `c_i * 10^7 / z` times (rounded up), with
/// `c_i = pow(count_i, 0.5)` and `z` their sum, in fastText's mix of precisions: `z` is summed
/// in f32 (each addition done in double and rounded), the bound is computed in f32 and the
/// loop index converted to f32 for the comparison. Not shuffled (fastText 0.9.2 and later draw
/// uniformly from it).
fn negative_table(counts: &[i64]) -> Vec<u32> {
    let mut z = 0.0f32;
    for &c in counts {
        z = (f64::from(z) + (c as f64).powf(0.5)) as f32;
    }
    let mut table = Vec::new();
    for (i, &c) in counts.iter().enumerate() {
        let c = (c as f64).powf(0.5) as f32;
        let bound = c * NEGATIVE_TABLE_SIZE as f32 / z;
        let mut j = 0u64;
        while (j as f32) < bound {
            table.push(i as u32);
            j += 1;
        }
    }
    table
}

/// `HierarchicalSoftmaxLoss::buildTree`'s paths and codes: from each leaf up to the root, the
/// output row of each internal node (`parent - osz`) and whether the node below is its right
/// child (`binary`).
fn huffman_paths(counts: &[i64]) -> Vec<Vec<(u32, bool)>> {
    let osz = counts.len();
    let mut parent = vec![(usize::MAX, false); 2 * osz - 1];
    if let Some(tree) = Tree::build(counts) {
        for (k, &(left, right)) in tree.children.iter().enumerate() {
            parent[left as usize] = (osz + k, false);
            parent[right as usize] = (osz + k, true);
        }
    }
    (0..osz)
        .map(|leaf| {
            let mut path = Vec::new();
            let mut j = leaf;
            while parent[j].0 != usize::MAX {
                let (p, code) = parent[j];
                path.push(((p - osz) as u32, code));
                j = p;
            }
            path
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negative_table_proportional_to_sqrt_counts() {
        let t = negative_table(&[100, 25]);
        let first = t.iter().filter(|&&i| i == 0).count();
        assert_eq!(t.len(), 10_000_000 + 1);
        assert!((6_666_666..=6_666_668).contains(&first), "{first}");
        assert!(t.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn huffman_paths_end_at_the_root() {
        // tree of [5, 3, 2, 1]: node 4 = (3, 2), node 5 = (4, 1), node 6 = (0, 5)
        let p = huffman_paths(&[5, 3, 2, 1]);
        assert_eq!(p[0], [(2, false)]);
        assert_eq!(p[1], [(1, true), (2, true)]);
        assert_eq!(p[3], [(0, false), (1, false), (2, true)]);
        assert!(huffman_paths(&[4])[0].is_empty());
    }
}
