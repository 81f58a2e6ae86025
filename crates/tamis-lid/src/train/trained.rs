//! The result of training: the dictionary and matrices, encoded as fastText's `.bin` or turned
//! into a [`Model`] for prediction.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use super::args::TrainArgs;
use super::vocab::Entry;
use crate::error::TrainError;
use crate::format::RawMatrix;
use crate::loss::Loss;
use crate::model::Model;
use crate::write::{self, SavedArgs, SavedEntry, SavedMatrix};

/// How a training run went.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrainStats {
    /// Seconds spent reading the data into the dictionary and initialising the matrices.
    pub prepare_seconds: f64,
    /// Seconds spent in the training threads (what fastText's `words/sec/thread` divides by).
    pub train_seconds: f64,
    /// Tokens the threads processed (`epoch * ntokens`, give or take the last lines).
    pub tokens: u64,
    pub threads: u32,
}

impl TrainStats {
    /// fastText's `words/sec/thread`: tokens processed per second of training per thread.
    pub fn words_per_sec_per_thread(&self) -> f64 {
        self.tokens as f64 / self.train_seconds / f64::from(self.threads)
    }
}

/// A trained model: its dictionary and dense matrices. Save it with
/// [`save_bin`](Self::save_bin) or predict with [`into_model`](Self::into_model).
#[derive(Clone)]
pub struct Trained {
    pub(super) args: TrainArgs,
    pub(super) entries: Vec<Entry>,
    pub(super) nwords: usize,
    pub(super) ntokens: i64,
    pub(super) input: Vec<f32>,
    pub(super) output: Vec<f32>,
    pub(super) stats: TrainStats,
}

/// A summary (the matrices would print megabytes).
impl std::fmt::Debug for Trained {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Trained")
            .field("loss", &self.args.loss)
            .field("dim", &self.args.dim)
            .field("nwords", &self.nwords)
            .field("nlabels", &self.nlabels())
            .field("ntokens", &self.ntokens)
            .finish_non_exhaustive()
    }
}

impl Trained {
    /// The arguments it was trained with.
    pub fn args(&self) -> &TrainArgs {
        &self.args
    }

    /// Timings of the run.
    pub fn stats(&self) -> TrainStats {
        self.stats
    }

    /// Words in the vocabulary (`</s>` included).
    pub fn nwords(&self) -> usize {
        self.nwords
    }

    /// Number of labels.
    pub fn nlabels(&self) -> usize {
        self.entries.len() - self.nwords
    }

    /// Tokens in one pass over the training data (labels and line ends included).
    pub fn ntokens(&self) -> u64 {
        self.ntokens as u64
    }

    /// The labels as in the data (with their prefix), most frequent first.
    pub fn labels(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        // checked to be UTF-8 when training
        self.entries[self.nwords..]
            .iter()
            .map(|e| std::str::from_utf8(&e.word).unwrap_or_default())
    }

    fn input_rows(&self) -> usize {
        self.input.len() / self.args.dim as usize
    }

    /// Writes the model in fastText's `.bin` format (`FastText::saveModel`).
    pub fn write_bin(&self, w: &mut impl Write) -> io::Result<()> {
        let a = &self.args;
        let saved = SavedArgs {
            dim: a.dim as i32,
            ws: a.ws as i32,
            epoch: a.epoch as i32,
            min_count: a.min_count as i32,
            neg: a.neg as i32,
            word_ngrams: a.word_ngrams as i32,
            loss: loss_code(a.loss),
            model: 3,
            bucket: a.effective_bucket() as i32,
            minn: a.minn as i32,
            maxn: a.maxn as i32,
            lr_update_rate: a.lr_update_rate as i32,
            t: a.t,
        };
        let dim = a.dim as usize;
        write::write_model(
            w,
            &saved,
            self.entries.iter().map(|e| SavedEntry {
                word: &e.word,
                count: e.count,
                is_label: e.is_label,
            }),
            self.nwords,
            self.ntokens,
            SavedMatrix {
                rows: self.input_rows(),
                cols: dim,
                data: &self.input,
            },
            SavedMatrix {
                rows: self.nlabels(),
                cols: dim,
                data: &self.output,
            },
        )
    }

    /// The `.bin` bytes.
    pub fn to_bin_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(16 + 4 * (self.input.len() + self.output.len()));
        self.write_bin(&mut out)
            .expect("writing to a Vec cannot fail");
        out
    }

    /// Saves the model as a fastText `.bin` file, loadable by fastText and by
    /// [`Model::from_path`].
    pub fn save_bin(&self, path: &Path) -> Result<(), TrainError> {
        let fail = |source| TrainError::Write {
            path: path.to_path_buf(),
            source,
        };
        let mut w = BufWriter::new(File::create(path).map_err(fail)?);
        self.write_bin(&mut w).map_err(fail)?;
        w.into_inner()
            .map_err(|e| fail(e.into_error()))?
            .sync_all()
            .map_err(fail)
    }

    /// The model for prediction, without encoding it; the same as loading the saved `.bin`.
    pub fn into_model(self) -> Model {
        let dim = self.args.dim as usize;
        let input_rows = self.input_rows();
        let nlabels = self.nlabels();
        let words: Vec<&[u8]> = self.entries.iter().map(|e| e.word.as_slice()).collect();
        let counts: Vec<i64> = self.entries[self.nwords..]
            .iter()
            .map(|e| e.count)
            .collect();
        Model::from_trained(
            &words,
            &counts,
            self.nwords,
            self.args.loss,
            self.args.effective_bucket(),
            self.args.minn as usize,
            self.args.maxn as usize,
            self.args.word_ngrams.max(1) as usize,
            RawMatrix::Dense {
                rows: input_rows,
                cols: dim,
                data: self.input,
            },
            RawMatrix::Dense {
                rows: nlabels,
                cols: dim,
                data: self.output,
            },
        )
    }

    /// [`into_model`](Self::into_model) on a copy.
    pub fn model(&self) -> Model {
        self.clone().into_model()
    }
}

/// `args.loss` as saved (`loss_name` in src/args.h).
fn loss_code(loss: Loss) -> i32 {
    match loss {
        Loss::HierarchicalSoftmax => 1,
        Loss::NegativeSampling => 2,
        Loss::Softmax => 3,
        Loss::OneVsAll => 4,
    }
}
