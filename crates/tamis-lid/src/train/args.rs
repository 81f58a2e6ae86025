//! The training arguments: fastText's `Args` (src/args.cc) as far as supervised training uses
//! them, with its defaults and its checks.

use super::vocab::NgramArgs;
use crate::error::TrainError;
use crate::loss::Loss;

/// Training arguments, named and defaulted as fastText's `supervised` command and
/// `fasttext.train_supervised` (src/args.cc `Args::parseArgs`, python/fasttext_module
/// `train_supervised`). Integers are `int`s in fastText and in the saved model, hence at most
/// `i32::MAX`.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainArgs {
    /// Learning rate (`-lr`, 0.1); it decays linearly to 0 over the run.
    pub lr: f64,
    /// Size of the word vectors (`-dim`, 100).
    pub dim: u32,
    /// Context window (`-ws`, 5): unused by supervised training, saved in the model.
    pub ws: u32,
    /// Passes over the data (`-epoch`, 5).
    pub epoch: u32,
    /// Words occurring fewer times are dropped (`-minCount`, 1).
    pub min_count: u32,
    /// Labels occurring fewer times are dropped (`-minCountLabel`, 0).
    pub min_count_label: u32,
    /// Negatives sampled per example with `loss: NegativeSampling` (`-neg`, 5).
    pub neg: u32,
    /// Longest word n-gram (`-wordNgrams`, 1).
    pub word_ngrams: u32,
    /// Output layer (`-loss`, softmax).
    pub loss: Loss,
    /// Hash buckets for word and character n-grams (`-bucket`, 2,000,000). As in fastText it
    /// is treated as 0 when there are no n-grams (`word_ngrams <= 1` and `maxn == 0`).
    pub bucket: u32,
    /// Shortest character n-gram (`-minn`, 0).
    pub minn: u32,
    /// Longest character n-gram (`-maxn`, 0 = no subwords).
    pub maxn: u32,
    /// Training threads (`-thread`). fastText's CLI defaults to 12 and its Python package to
    /// the number of CPUs minus one; here the default is the number of CPUs. It also decides
    /// how much of the input matrix is randomly initialised (see `init_input`), so results
    /// depend on it even apart from the Hogwild updates.
    pub thread: u32,
    /// Tokens between updates of the learning rate (`-lrUpdateRate`, 100).
    pub lr_update_rate: u32,
    /// Sampling threshold (`-t`, 1e-4): unused by supervised training, saved in the model.
    pub t: f64,
    /// Label prefix (`-label`, `__label__`). Models do not store it; [`Model`](crate::Model) reads labels
    /// with the default.
    pub label: String,
    /// Random seed (`-seed`, 0).
    pub seed: i32,
}

impl Default for TrainArgs {
    fn default() -> Self {
        TrainArgs {
            lr: 0.1,
            dim: 100,
            ws: 5,
            epoch: 5,
            min_count: 1,
            min_count_label: 0,
            neg: 5,
            word_ngrams: 1,
            loss: Loss::Softmax,
            bucket: 2_000_000,
            minn: 0,
            maxn: 0,
            thread: std::thread::available_parallelism().map_or(1, |n| n.get() as u32),
            lr_update_rate: 100,
            t: 1e-4,
            label: "__label__".to_string(),
            seed: 0,
        }
    }
}

impl TrainArgs {
    /// The bucket count the model uses: 0 without n-grams (python/fasttext_module
    /// `_build_args` and src/args.cc `parseArgs` both do this).
    pub fn effective_bucket(&self) -> u32 {
        if self.word_ngrams <= 1 && self.maxn == 0 {
            0
        } else {
            self.bucket
        }
    }

    pub(super) fn check(&self) -> Result<(), TrainError> {
        let bad = |msg: String| Err(TrainError::InvalidArgs(msg));
        let ints = [
            ("dim", self.dim),
            ("ws", self.ws),
            ("epoch", self.epoch),
            ("minCount", self.min_count),
            ("minCountLabel", self.min_count_label),
            ("neg", self.neg),
            ("wordNgrams", self.word_ngrams),
            ("bucket", self.bucket),
            ("minn", self.minn),
            ("maxn", self.maxn),
            ("thread", self.thread),
            ("lrUpdateRate", self.lr_update_rate),
        ];
        for (name, v) in ints {
            if v > i32::MAX as u32 {
                return bad(format!("{name} is {v}, more than a C int holds"));
            }
        }
        if self.dim == 0 {
            return bad("dim must be at least 1".into());
        }
        if self.thread == 0 {
            return bad("thread must be at least 1".into());
        }
        if !self.lr.is_finite() {
            return bad(format!("lr is {}", self.lr));
        }
        if self.label.is_empty() {
            return bad("the label prefix is empty (every token would be a label)".into());
        }
        if self.effective_bucket() == 0 && (self.maxn > 0 || self.word_ngrams > 1) {
            return bad("bucket is 0 but word n-grams or character n-grams need buckets".into());
        }
        Ok(())
    }

    pub(super) fn ngrams(&self) -> NgramArgs {
        NgramArgs {
            minn: self.minn as usize,
            maxn: self.maxn as usize,
            bucket: self.effective_bucket(),
            word_ngrams: self.word_ngrams as usize,
        }
    }
}
