//! The output layer: from the hidden vector to the k best labels, following fastText's
//! src/loss.cc (`SoftmaxLoss::computeOutput`, `BinaryLogisticLoss::computeOutput` with its
//! sigmoid table, `HierarchicalSoftmaxLoss::buildTree` and `dfs`, `Loss::findKBest`).
//!
//! Ties: fastText keeps the k best in a `std::vector` managed with `std::push_heap` /
//! `std::pop_heap` and finally `std::sort_heap`, all comparing scores only. Which of two equal
//! scores survives, and in which order equal scores come out, is decided by the exact moves of
//! those algorithms, so [`heap`] reimplements libstdc++'s versions move for move.

use crate::matrix::Matrix;

/// The output layer kinds (`args.loss`: 1 = hs, 2 = ns, 3 = softmax, 4 = ova).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loss {
    /// Hierarchical softmax over a Huffman tree of label counts (lid.176 uses this).
    HierarchicalSoftmax,
    /// Negative sampling; predicts like one-vs-all (independent sigmoids).
    NegativeSampling,
    /// Softmax over all labels.
    Softmax,
    /// One-vs-all: an independent sigmoid per label.
    OneVsAll,
}

/// `std_log` in src/loss.cc: `std::log(x + 1e-5)` evaluated in double, returned as f32.
#[inline]
pub(crate) fn std_log(x: f32) -> f32 {
    (f64::from(x) + 1e-5).ln() as f32
}

const SIGMOID_TABLE_SIZE: usize = 512;
const MAX_SIGMOID: f32 = 8.0;

/// `Loss::sigmoid`'s lookup table (used by one-vs-all and negative sampling at prediction time;
/// hierarchical softmax computes the sigmoid exactly).
pub(crate) fn sigmoid_table() -> Vec<f32> {
    (0..=SIGMOID_TABLE_SIZE)
        .map(|i| {
            let x = (i as f32 * 2.0 * MAX_SIGMOID) / SIGMOID_TABLE_SIZE as f32 - MAX_SIGMOID;
            (1.0 / (1.0 + f64::from((-x).exp()))) as f32
        })
        .collect()
}

#[inline]
pub(crate) fn table_sigmoid(table: &[f32], x: f32) -> f32 {
    if x < -MAX_SIGMOID {
        0.0
    } else if x > MAX_SIGMOID {
        1.0
    } else {
        let i = ((x + MAX_SIGMOID) * SIGMOID_TABLE_SIZE as f32 / MAX_SIGMOID / 2.0) as usize;
        table[i]
    }
}

/// Huffman tree over label counts, built exactly as `HierarchicalSoftmaxLoss::buildTree`:
/// leaves are labels `0..osz` (sorted by decreasing count in the dictionary), internal node `i`
/// (`osz..2*osz-1`) uses output row `i - osz`, and the root is the last node.
#[derive(Debug, Clone)]
pub(crate) struct Tree {
    /// `(left, right)` children of internal node `osz + i`.
    pub children: Vec<(u32, u32)>,
    pub osz: usize,
}

impl Tree {
    /// `None` when the counts make fastText's construction pick a node it has not built yet
    /// (possible only with corrupt counts, e.g. >= 1e15; fastText would then loop forever).
    pub(crate) fn build(counts: &[i64]) -> Option<Tree> {
        let osz = counts.len();
        let n = 2 * osz - 1;
        let mut count = vec![1e15 as i64; n];
        count[..osz].copy_from_slice(counts);
        let mut children = Vec::with_capacity(osz.saturating_sub(1));
        // `leaf` walks the leaves from the smallest count up, `node` the new internal nodes;
        // each step merges the two smallest, preferring the internal node on equal counts.
        let mut leaf = osz as isize - 1;
        let mut node = osz;
        for i in osz..n {
            let mut mini = [0usize; 2];
            for m in &mut mini {
                if leaf >= 0 && count[leaf as usize] < count[node] {
                    *m = leaf as usize;
                    leaf -= 1;
                } else {
                    if node >= i {
                        return None;
                    }
                    *m = node;
                    node += 1;
                }
            }
            count[i] = count[mini[0]].wrapping_add(count[mini[1]]);
            children.push((mini[0] as u32, mini[1] as u32));
        }
        Some(Tree { children, osz })
    }
}

/// libstdc++'s heap algorithms (bits/stl_heap.h) specialised to fastText's comparator
/// `comparePairs(l, r) = l.first > r.first`, i.e. a min-heap on the score whose front is the
/// worst of the k kept predictions.
pub(crate) mod heap {
    pub(crate) type Item = (f32, u32);

    #[inline]
    fn less(a: &Item, b: &Item) -> bool {
        a.0 > b.0
    }

    /// `std::__push_heap(first, hole, top, value)`.
    #[inline]
    fn sift_up(h: &mut [Item], mut hole: usize, top: usize, value: Item) {
        while hole > top {
            let parent = (hole - 1) / 2;
            if !less(&h[parent], &value) {
                break;
            }
            h[hole] = h[parent];
            hole = parent;
        }
        h[hole] = value;
    }

    /// `std::push_heap` after `push_back`.
    #[inline]
    pub(crate) fn push(h: &mut Vec<Item>, value: Item) {
        h.push(value);
        let last = h.len() - 1;
        sift_up(h, last, 0, value);
    }

    /// `std::__adjust_heap(first, hole, len, value)`.
    fn adjust(h: &mut [Item], mut hole: usize, len: usize, value: Item) {
        let top = hole;
        let mut second = hole;
        while len >= 2 && second < (len - 1) / 2 {
            second = 2 * (second + 1);
            if less(&h[second], &h[second - 1]) {
                second -= 1;
            }
            h[hole] = h[second];
            hole = second;
        }
        if len & 1 == 0 && len >= 2 && second == (len - 2) / 2 {
            second = 2 * (second + 1);
            h[hole] = h[second - 1];
            hole = second - 1;
        }
        sift_up(h, hole, top, value);
    }

    /// `std::__pop_heap(first, last, result)` with `result = last`: the front moves to
    /// `h[last]` and the old `h[last]` is sifted into `h[..last]`.
    #[inline]
    fn pop_into(h: &mut [Item], last: usize) {
        let value = h[last];
        h[last] = h[0];
        adjust(h, 0, last, value);
    }

    /// `std::pop_heap` then `pop_back`.
    #[inline]
    pub(crate) fn pop(h: &mut Vec<Item>) {
        let n = h.len();
        if n > 1 {
            pop_into(h, n - 1);
        }
        h.pop();
    }

    /// `std::sort_heap`: best score first.
    pub(crate) fn sort(h: &mut [Item]) {
        let mut last = h.len();
        while last > 1 {
            last -= 1;
            pop_into(h, last);
        }
    }
}

/// The output layer of a model.
#[derive(Debug, Clone)]
pub(crate) struct Output {
    pub loss: Loss,
    pub matrix: Matrix,
    /// Rows of the output matrix: what `k = -1` (all) means in fastText.
    pub rows: usize,
    pub nlabels: usize,
    pub tree: Option<Tree>,
    pub sigmoid: Vec<f32>,
}

/// Scratch for [`Output::predict`].
#[derive(Debug, Default, Clone)]
pub(crate) struct OutBuf {
    pub heap: Vec<heap::Item>,
    scores: Vec<f32>,
    stack: Vec<(u32, f32)>,
}

impl Output {
    /// Fills `buf.heap` with the best `k` `(log-score, label)` pairs, best first
    /// (`Loss::predict` / `HierarchicalSoftmaxLoss::predict`). Returns false where fastText
    /// would throw (a NaN from a dense dot product).
    pub(crate) fn predict(
        &self,
        hidden: &[f32],
        k: usize,
        threshold: f32,
        buf: &mut OutBuf,
    ) -> bool {
        buf.heap.clear();
        let ok = match self.loss {
            Loss::HierarchicalSoftmax => self.dfs(hidden, k, threshold, buf),
            Loss::Softmax | Loss::OneVsAll | Loss::NegativeSampling => {
                let ok = self.compute_output(hidden, &mut buf.scores);
                if ok {
                    find_k_best(&buf.scores, k, threshold, &mut buf.heap);
                }
                ok
            }
        };
        if !ok {
            buf.heap.clear();
            return false;
        }
        heap::sort(&mut buf.heap);
        true
    }

    fn compute_output(&self, hidden: &[f32], out: &mut Vec<f32>) -> bool {
        out.clear();
        let check = self.matrix.nan_is_error();
        for i in 0..self.nlabels {
            let d = self.matrix.dot_row(hidden, i);
            if check && d.is_nan() {
                return false;
            }
            out.push(d);
        }
        if self.loss == Loss::Softmax {
            // `std::max(output[i], max)` keeps `max` only when output[i] < max.
            let mut max = out[0];
            for &o in out.iter() {
                max = if o < max { max } else { o };
            }
            let mut z = 0.0f32;
            for o in out.iter_mut() {
                // `exp(output[i] - max)` unqualified in src/loss.cc resolves to C's
                // `double exp(double)`: the f32 difference is widened, and the result rounded
                // back to f32 (an f32 `expf` differs in the last bits on some inputs).
                *o = f64::from(*o - max).exp() as f32;
                z += *o;
            }
            for o in out.iter_mut() {
                *o /= z;
            }
        } else {
            for o in out.iter_mut() {
                *o = table_sigmoid(&self.sigmoid, *o);
            }
        }
        true
    }

    /// `HierarchicalSoftmaxLoss::dfs`, with an explicit stack instead of recursion (same visit
    /// order: a node's right child is examined only after its whole left subtree, and the
    /// pruning tests run when a node is reached, against the heap as it is then).
    fn dfs(&self, hidden: &[f32], k: usize, threshold: f32, buf: &mut OutBuf) -> bool {
        let tree = self.tree.as_ref().expect("hierarchical softmax has a tree");
        let osz = tree.osz;
        let min_score = std_log(threshold);
        let check = self.matrix.nan_is_error();
        buf.stack.clear();
        buf.stack.push(((2 * osz - 2) as u32, 0.0));
        while let Some((node, score)) = buf.stack.pop() {
            if score < min_score {
                continue;
            }
            if buf.heap.len() == k && score < buf.heap[0].0 {
                continue;
            }
            let node = node as usize;
            if node < osz {
                heap::push(&mut buf.heap, (score, node as u32));
                if buf.heap.len() > k {
                    heap::pop(&mut buf.heap);
                }
                continue;
            }
            let mut f = self.matrix.dot_row(hidden, node - osz);
            if check && f.is_nan() {
                return false;
            }
            f = 1.0 / (1.0 + (-f).exp());
            let (left, right) = tree.children[node - osz];
            // `std_log(1.0 - f)`: the difference is taken in double, then passed as f32.
            let left_score = score + std_log((1.0 - f64::from(f)) as f32);
            let right_score = score + std_log(f);
            buf.stack.push((right, right_score));
            buf.stack.push((left, left_score));
        }
        true
    }
}

/// `Loss::findKBest`: the threshold applies to the probability, the heap holds log-scores.
fn find_k_best(scores: &[f32], k: usize, threshold: f32, h: &mut Vec<heap::Item>) {
    for (i, &p) in scores.iter().enumerate() {
        if p < threshold {
            continue;
        }
        if h.len() == k && std_log(p) < h[0].0 {
            continue;
        }
        heap::push(h, (std_log(p), i as u32));
        if h.len() > k {
            heap::pop(h);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huffman_tree_merges_smallest_first() {
        // counts sorted decreasing, as fastText's dictionary stores labels
        let t = Tree::build(&[5, 3, 2, 1]).unwrap();
        // node 4 = (3:1, 2:2); then leaf 1 and node 4 both count 3: the node goes first
        // (`leaf.count < node.count` is false); node 6 = (0:5, 5:6)
        assert_eq!(t.children, [(3, 2), (4, 1), (0, 5)]);
        let one = Tree::build(&[7]).unwrap();
        assert!(one.children.is_empty());
        assert!(Tree::build(&[2_000_000_000_000_000, 1]).is_none());
    }

    #[test]
    fn heap_keeps_k_best_and_sorts_descending() {
        let mut h = Vec::new();
        for (i, s) in [0.1f32, 0.5, 0.3, 0.9, 0.2].into_iter().enumerate() {
            heap::push(&mut h, (s, i as u32));
            if h.len() > 3 {
                heap::pop(&mut h);
            }
        }
        heap::sort(&mut h);
        assert_eq!(h.iter().map(|x| x.1).collect::<Vec<_>>(), [3, 1, 2]);
    }
}
