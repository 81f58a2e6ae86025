//! Errors from loading a model. Prediction itself cannot fail: every index the predictor uses is
//! checked once, at load time, so a malformed file is rejected up front instead of panicking (or,
//! as in fastText, reading out of bounds) in the middle of a run.

use std::path::PathBuf;

/// Why a model could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LidError {
    /// The file could not be read at all.
    #[error("{}: cannot read the model: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The bytes are not a fastText supervised model this crate can run. `file` is the path (or
    /// the name given to [`Model::from_bytes_named`](crate::Model::from_bytes_named)), `offset`
    /// the byte at which the problem was found.
    #[error("{file}: not a usable fastText model (at byte {offset}): {kind}")]
    Format {
        file: String,
        offset: usize,
        kind: FormatError,
    },
}

/// What is wrong with a model file.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FormatError {
    #[error("bad magic number {found} (a fastText model starts with 793712314)")]
    BadMagic { found: i32 },
    #[error("unsupported format version {found} (supported: 11 and 12)")]
    UnsupportedVersion { found: i32 },
    #[error("truncated: {what} needs {need} more bytes, {have} left")]
    Truncated {
        what: &'static str,
        need: usize,
        have: usize,
    },
    #[error("{0}")]
    Invalid(String),
    #[error("{extra} unexpected bytes after the output matrix")]
    TrailingBytes { extra: usize },
}

/// Why training failed. `file` is the training file's path, or the name given to
/// [`train_bytes`](crate::train_bytes).
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// An argument fastText would reject or crash on.
    #[error("invalid training argument: {0}")]
    InvalidArgs(String),
    /// The training data could not be read.
    #[error("{file}: cannot read the training data: {source}")]
    Read {
        file: String,
        #[source]
        source: std::io::Error,
    },
    /// No word is left once words rarer than `min_count` are dropped (fastText: "Empty
    /// vocabulary").
    #[error("{file}: empty vocabulary: no word occurs at least minCount = {min_count} times")]
    EmptyVocabulary { file: String, min_count: u32 },
    /// No label is left: no token starts with the label prefix (or none occurs at least
    /// `min_count_label` times).
    #[error(
        "{file}: no labels: no token starts with {prefix:?} at least minCountLabel = \
         {min_count_label} times (each line is `{prefix}<label> ... words`)"
    )]
    NoLabels {
        file: String,
        prefix: String,
        min_count_label: u32,
    },
    /// Negative sampling needs a label other than the target to draw (fastText would loop
    /// forever).
    #[error("{file}: loss ns (negative sampling) needs at least two labels, the data has one")]
    OneLabelNegativeSampling { file: String },
    /// A label is not valid UTF-8 (a [`Model`](crate::Model) needs text labels).
    #[error("{file}: label {label:?} is not valid UTF-8")]
    LabelNotUtf8 { file: String, label: String },
    /// The matrices do not fit in memory.
    #[error("{file}: cannot allocate the {what} ({bytes} bytes); lower -bucket or -dim")]
    TooLarge {
        file: String,
        what: &'static str,
        bytes: u128,
    },
    /// A dot product became NaN (fastText's `EncounteredNaNError`): the learning rate is too
    /// high for the data.
    #[error("{file}: training diverged (a NaN appeared); try a smaller learning rate")]
    Diverged { file: String },
    /// Writing the model failed.
    #[error("{}: cannot write the model: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}
