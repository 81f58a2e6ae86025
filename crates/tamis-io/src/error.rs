//! Errors of the writer. Reading never fails: its problems are [`crate::Quarantined`] records.

use std::io;
use std::path::PathBuf;

/// An output file could not be written. Every variant names the final output path, so the
/// message alone tells the user which file of a many-shard run failed.
#[derive(Debug, thiserror::Error)]
pub enum IoError {
    #[error("{}: invalid output path: {message}", .path.display())]
    InvalidPath {
        path: PathBuf,
        message: &'static str,
    },
    #[error("{}: cannot create output directory: {source}", .path.display())]
    CreateDir { path: PathBuf, source: io::Error },
    #[error("{}: cannot create temporary file {}: {source}", .path.display(), .tmp.display())]
    Create {
        path: PathBuf,
        tmp: PathBuf,
        source: io::Error,
    },
    #[error("{}: write failed: {source}", .path.display())]
    Write { path: PathBuf, source: io::Error },
    #[error("{}: cannot serialize record: {source}", .path.display())]
    Serialize {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error(
        "{}: cannot rename finished temporary file {} into place: {source}",
        .path.display(),
        .tmp.display()
    )]
    Rename {
        path: PathBuf,
        tmp: PathBuf,
        source: io::Error,
    },
    #[error("{}: cannot resume: {message}", .path.display())]
    Resume { path: PathBuf, message: String },
}

impl IoError {
    /// The output path the error is about.
    pub fn path(&self) -> &std::path::Path {
        match self {
            IoError::InvalidPath { path, .. }
            | IoError::CreateDir { path, .. }
            | IoError::Create { path, .. }
            | IoError::Write { path, .. }
            | IoError::Serialize { path, .. }
            | IoError::Rename { path, .. }
            | IoError::Resume { path, .. } => path,
        }
    }
}
