//! What a run is asked to do ([`RunOptions`]) and how it can fail ([`RunError`]): the bottom of
//! the executor's modules, which all depend on it.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tamis_io::{Compression, IoError, ReadOptions};

use crate::stats::RunStats;
use crate::template::OutputTemplate;

#[derive(Debug, Clone)]
pub struct RunOptions {
    pub inputs: Vec<String>,
    pub out_dir: PathBuf,
    /// Worker threads; 0 = all cores.
    pub threads: usize,
    pub compression: Compression,
    /// Stop after this many quarantined records.
    pub max_errors: Option<u64>,
    /// Replace the outputs of an earlier run in `out_dir`.
    pub overwrite: bool,
    pub progress: bool,
    pub read: ReadOptions,
    /// Bytes of documents gathered before a batch is filtered in parallel, as they hold them
    /// in memory (text, id and parsed metadata: [`tamis_core::Document::approx_bytes`]).
    pub batch_bytes: usize,
    /// Uncompressed bytes after which an output file is closed and the next one started.
    pub max_file_bytes: u64,
    /// Records between checkpoints (one is also taken after 64 MiB of text). Each checkpoint
    /// ends a compressed part of every open output, so the value is part of what decides the
    /// output bytes and a resumed run must use the same one.
    pub checkpoint_every: u64,
    /// File format of kept and dropped outputs (quarantine files are always JSONL).
    pub format: OutputFormat,
    /// Kept outputs go under `kept/<expansion>/` by metadata (`--output-template`).
    pub output_template: Option<OutputTemplate>,
    /// Accumulate the report's data while running and write `report.json` (`--report`).
    pub report: bool,
    /// Run as one shard of a distributed run: also write the trace that
    /// [`merge_shards`](crate::merge_shards) needs to rebuild a local run's outputs. A shard
    /// run always starts afresh (it is not resumed from a checkpoint).
    pub shard_trace: bool,
}

/// Text bytes read after which a checkpoint is taken even before `checkpoint_every` records,
/// so runs over huge documents still checkpoint often.
const CHECKPOINT_TEXT_BYTES: u64 = 64 << 20;

/// Whether a checkpoint falls after a record, given the records and text bytes read since the
/// last one. Checkpoints fall at fixed record counts (not times), so an interrupted run, an
/// uninterrupted one and a merge of shards end their output parts at the same places.
pub(crate) fn checkpoint_due(records: u64, text_bytes: u64, every: u64) -> bool {
    records >= every.max(1) || text_bytes >= CHECKPOINT_TEXT_BYTES
}

impl RunOptions {
    pub fn new(inputs: Vec<String>, out_dir: PathBuf) -> Self {
        Self {
            inputs,
            out_dir,
            threads: 0,
            compression: Compression::Zstd,
            max_errors: None,
            overwrite: false,
            progress: false,
            read: ReadOptions::default(),
            batch_bytes: 8 << 20,
            max_file_bytes: 1 << 30,
            checkpoint_every: 10_000,
            format: OutputFormat::Jsonl,
            output_template: None,
            report: false,
            shard_trace: false,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(
        "output directory {0} already holds a run's outputs (pass --overwrite to replace them)"
    )]
    OutputExists(PathBuf),
    #[error("cannot prepare output directory {path}: {source}")]
    OutputDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Io(#[from] IoError),
    #[error("cannot start worker threads: {0}")]
    Threads(String),
    #[error("stopped after {limit} quarantined records (--max-errors); see {dir}")]
    TooManyErrors {
        limit: u64,
        dir: PathBuf,
        stats: Box<RunStats>,
    },
    #[error("no input files matched {0:?}")]
    NoInputs(Vec<String>),
    #[error(transparent)]
    Spec(#[from] crate::spec::SpecError),
    #[error(transparent)]
    Dedup(#[from] tamis_dedup::DedupError),
    #[error(transparent)]
    Locked(#[from] crate::lock::LockError),
    #[error(
        "{0} holds kept/, dropped/ or quarantine/ folders but no sign of a tamis run \
         (stats.json, manifest.json, .checkpoint.json): --overwrite would delete them; move \
         them or choose another output directory"
    )]
    NotOurs(PathBuf),
    #[error(
        "input {input} is inside the output directory {dir}: the run would read what it writes \
         (and --overwrite would delete it); choose another output directory"
    )]
    InputInOutput { input: PathBuf, dir: PathBuf },
    #[error("cannot merge the shard in {dir}: {message}")]
    Merge { dir: PathBuf, message: String },
    #[error("cannot resume the run in {dir}: {message} (pass --overwrite to start over)")]
    Resume { dir: PathBuf, message: String },
    #[error(
        "{dir} holds an interrupted run of another pipeline (config fingerprint {found}, this \
         one is {expected}); rerun the same command to resume it, or pass --overwrite to start \
         over"
    )]
    FingerprintMismatch {
        dir: PathBuf,
        found: String,
        expected: String,
    },
    #[error(
        "{dir} holds an interrupted run whose {field} differs from this command's; rerun the \
         same command to resume it, or pass --overwrite to start over"
    )]
    OptionsMismatch { dir: PathBuf, field: &'static str },
}

impl RunError {
    /// A shard or merge that cannot go on, in `dir`.
    pub(crate) fn merge(dir: &Path, message: impl Into<String>) -> Self {
        RunError::Merge {
            dir: dir.to_path_buf(),
            message: message.into(),
        }
    }
}

/// An I/O error on `path` in the output directory, as a [`RunError`].
pub(crate) fn output_io(path: &Path) -> impl FnOnce(std::io::Error) -> RunError + '_ {
    move |source| RunError::OutputDir {
        path: path.to_path_buf(),
        source,
    }
}

/// The file format of kept and dropped outputs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutputFormat {
    /// JSONL in datatrove's key order, compressed with `--compression`.
    #[default]
    Jsonl,
    /// Parquet with datatrove's columns, `--compression` as its codec.
    Parquet,
}

impl OutputFormat {
    pub fn name(self) -> &'static str {
        match self {
            OutputFormat::Jsonl => "jsonl",
            OutputFormat::Parquet => "parquet",
        }
    }
}
