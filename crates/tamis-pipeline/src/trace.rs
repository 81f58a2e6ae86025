//! The trace a shard of a distributed run writes beside its outputs, and its reader: what
//! [`merge_shards`](crate::merge_shards) replays to rebuild a local run's bytes.
//!
//! The trace (`.shard-trace`), one line per record:
//!
//! - `k R W O`: a kept document with `R` text bytes as read, weighing `W` bytes in its batch
//!   ([`tamis_core::Document::approx_bytes`] as read), and `O` text bytes as written;
//! - `d R W O`: a dropped document;
//! - `p R W`: a document whose step panicked (its record is the next one in `quarantine/`);
//! - `b N`: a record that could not be read, met after the shard's first `N` documents (its
//!   record is the next one in `quarantine/`).
//!
//! Documents (`k`, `d`, `p`) appear in reading order, as the executor writes them; `b` lines
//! are written when the record is read, so `b` and `p` lines follow the order of the shard's
//! quarantine file.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::options::{output_io, RunError};

/// The trace a shard run writes beside its outputs (hidden, so `tamis verify` and directory
/// inputs ignore it).
pub(crate) const SHARD_TRACE: &str = ".shard-trace";

/// Writes `.shard-trace` (see the module docs).
pub(crate) struct ShardTrace {
    path: PathBuf,
    out: BufWriter<File>,
    docs_read: u64,
}

impl ShardTrace {
    pub(crate) fn create(dir: &Path) -> Result<Self, RunError> {
        let path = dir.join(SHARD_TRACE);
        let f = File::create(&path).map_err(output_io(&path))?;
        Ok(Self {
            path,
            out: BufWriter::new(f),
            docs_read: 0,
        })
    }

    fn line(&mut self, args: std::fmt::Arguments<'_>) -> Result<(), RunError> {
        self.out.write_fmt(args).map_err(output_io(&self.path))
    }

    /// A document was read (it is traced when written, after its batch).
    pub(crate) fn doc_read(&mut self) {
        self.docs_read += 1;
    }

    /// A record could not be read; called just before its quarantine record is written.
    pub(crate) fn bad(&mut self) -> Result<(), RunError> {
        let n = self.docs_read;
        self.line(format_args!("b {n}\n"))
    }

    pub(crate) fn kept(&mut self, read: Read, out: u64) -> Result<(), RunError> {
        let Read { text, weight } = read;
        self.line(format_args!("k {text} {weight} {out}\n"))
    }

    pub(crate) fn dropped(&mut self, read: Read, out: u64) -> Result<(), RunError> {
        let Read { text, weight } = read;
        self.line(format_args!("d {text} {weight} {out}\n"))
    }

    /// A step panicked; called just before the document's quarantine record is written.
    pub(crate) fn panicked(&mut self, read: Read) -> Result<(), RunError> {
        let Read { text, weight } = read;
        self.line(format_args!("p {text} {weight}\n"))
    }

    pub(crate) fn finish(mut self) -> Result<(), RunError> {
        self.out.flush().map_err(output_io(&self.path))?;
        self.out
            .get_ref()
            .sync_data()
            .map_err(output_io(&self.path))
    }
}

/// A document as read: its text bytes (counted in `input_text_bytes` and towards
/// checkpoints) and its weight in a batch (what cuts batches).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Read {
    pub(crate) text: u64,
    pub(crate) weight: u64,
}

/// One line of a trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Traced {
    Kept { read: Read, out: u64 },
    Dropped { read: Read, out: u64 },
    Panicked { read: Read },
    Bad { after: u64 },
}

pub(crate) struct TraceReader {
    dir: PathBuf,
    lines: std::io::Lines<BufReader<File>>,
    line_no: u64,
}

impl TraceReader {
    pub(crate) fn open(dir: &Path) -> Result<Self, RunError> {
        let path = dir.join(SHARD_TRACE);
        let f = File::open(&path).map_err(|e| {
            RunError::merge(
                dir,
                format!(
                    "cannot open {} ({e}); was the shard run with shard_trace?",
                    path.display()
                ),
            )
        })?;
        Ok(Self {
            dir: dir.to_path_buf(),
            lines: BufReader::new(f).lines(),
            line_no: 0,
        })
    }

    pub(crate) fn next(&mut self) -> Result<Option<Traced>, RunError> {
        let Some(line) = self.lines.next() else {
            return Ok(None);
        };
        self.line_no += 1;
        let bad =
            |m: String| RunError::merge(&self.dir, format!("{SHARD_TRACE}:{}: {m}", self.line_no));
        let line = line.map_err(|e| bad(e.to_string()))?;
        let mut it = line.split(' ');
        let kind = it.next().unwrap_or_default();
        let nums: Option<Vec<u64>> = it.map(|n| n.parse().ok()).collect();
        let read = |text, weight| Read { text, weight };
        Ok(Some(match (kind, nums.as_deref()) {
            ("k", Some(&[text, weight, out])) => Traced::Kept {
                read: read(text, weight),
                out,
            },
            ("d", Some(&[text, weight, out])) => Traced::Dropped {
                read: read(text, weight),
                out,
            },
            ("p", Some(&[text, weight])) => Traced::Panicked {
                read: read(text, weight),
            },
            ("b", Some(&[after])) => Traced::Bad { after },
            _ => return Err(bad(format!("malformed line {line:?}"))),
        }))
    }
}
