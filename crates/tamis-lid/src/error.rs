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
