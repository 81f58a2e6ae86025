//! The three outputs of a run (`kept/`, `dropped/`, `quarantine/`): numbered files that roll
//! by size and end a part at every checkpoint, then, when the run ends, renamed into place,
//! split by template and converted to Parquet.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;
use tamis_core::Document;
use tamis_io::{parquet_name, partial_path, Compression, IoError, PartWriter};

use crate::checkpoint::{ClosedFile, Digests, SavedRoll};
use crate::options::OutputFormat;
use crate::options::{RunError, RunOptions};
use crate::parquet_out::{convert_outputs, remove_layouts};
use crate::split::split_outputs;

/// A sequence of numbered JSONL files (`00000.jsonl.zst`, ...) that rolls to the next file
/// after `max_bytes`, opened lazily so an empty output leaves no empty file.
pub(crate) struct RollingWriter {
    dir: PathBuf,
    /// `kept`, `dropped` or `quarantine`: the manifest names files relative to the run.
    sub: &'static str,
    compression: Compression,
    max_bytes: u64,
    index: usize,
    written: u64,
    current: Option<PartWriter>,
    closed: Vec<ClosedFile>,
}

impl RollingWriter {
    pub(crate) fn new(
        out: &Path,
        sub: &'static str,
        compression: Compression,
        max_bytes: u64,
    ) -> Self {
        Self {
            dir: out.join(sub),
            sub,
            compression,
            max_bytes,
            index: 0,
            written: 0,
            current: None,
            closed: Vec::new(),
        }
    }

    fn name(&self, index: usize) -> String {
        format!("{index:05}.jsonl{}", self.compression.extension())
    }

    /// Back to the state of a checkpoint: finished files stay, the open one is cut back to
    /// its checkpointed length, and anything written after the checkpoint is removed.
    pub(crate) fn resume(
        out: &Path,
        sub: &'static str,
        compression: Compression,
        max_bytes: u64,
        saved: &SavedRoll,
    ) -> Result<Self, RunError> {
        let mut w = Self::new(out, sub, compression, max_bytes);
        w.index = saved.index;
        w.written = saved.written;
        w.closed = saved.closed.clone();
        // A closed file may already have become parquet (a kill while converting).
        let mut keep: Vec<PathBuf> = w
            .closed
            .iter()
            .flat_map(|c| [w.dir.join(&c.name), w.dir.join(parquet_name(&c.name))])
            .collect();
        if let Some(at) = saved.current {
            let path = w.dir.join(w.name(w.index));
            w.current = Some(PartWriter::resume(&path, compression, at)?);
            keep.push(partial_path(&path));
        }
        let io = |path: &Path, source| RunError::OutputDir {
            path: path.to_path_buf(),
            source,
        };
        std::fs::create_dir_all(&w.dir).map_err(|e| io(&w.dir, e))?;
        for e in std::fs::read_dir(&w.dir).map_err(|e| io(&w.dir, e))? {
            let p = e.map_err(|e| io(&w.dir, e))?.path();
            // Directories hold the parts of an interrupted split by template; it is redone.
            if !keep.contains(&p) && !p.is_dir() {
                std::fs::remove_file(&p).map_err(|e| io(&p, e))?;
            }
        }
        Ok(w)
    }

    fn writer(&mut self, next_len: u64) -> Result<&mut PartWriter, IoError> {
        if self.current.is_some() && self.written + next_len > self.max_bytes && self.written > 0 {
            self.close_current()?;
            self.index += 1;
            self.written = 0;
        }
        if self.current.is_none() {
            let path = self.dir.join(self.name(self.index));
            self.current = Some(PartWriter::create(&path, self.compression)?);
        }
        self.written += next_len;
        Ok(self.current.as_mut().expect("opened above"))
    }

    pub(crate) fn close_current(&mut self) -> Result<(), IoError> {
        if let Some(w) = self.current.take() {
            let (at, sha256) = w.finish_hashed()?;
            self.closed.push(ClosedFile {
                name: self.name(self.index),
                records: at.records,
                digest: Some((at.len, sha256)),
            });
        }
        Ok(())
    }

    pub(crate) fn write_doc(&mut self, doc: &Document) -> Result<(), IoError> {
        self.writer(doc.text.len() as u64)?.write(doc)
    }

    pub(crate) fn write_value(&mut self, v: &Value) -> Result<(), IoError> {
        self.writer(QUARANTINE_LEN)?.write_value(v)
    }

    /// Writes a line encoded by another run's writer, counting `len` towards the file size
    /// as the original write counted it (the text length of a document, [`QUARANTINE_LEN`]
    /// for a quarantine record).
    pub(crate) fn write_line(&mut self, line: &[u8], len: u64) -> Result<(), IoError> {
        self.writer(len)?.write_line(line)
    }

    /// Ends the open file's current part and makes it durable.
    pub(crate) fn checkpoint(&mut self) -> Result<SavedRoll, IoError> {
        let current = self
            .current
            .as_mut()
            .map(PartWriter::checkpoint)
            .transpose()?;
        Ok(SavedRoll {
            index: self.index,
            written: self.written,
            current,
            closed: self.closed.clone(),
        })
    }

    /// Renames the open file into place; returns every file with its record count and, when
    /// hashed while written, its size and SHA-256, named by its path relative to the run's
    /// directory.
    pub(crate) fn finish(mut self) -> Result<Vec<ClosedFile>, IoError> {
        self.close_current()?;
        let sub = self.sub;
        Ok(self
            .closed
            .into_iter()
            .map(|c| ClosedFile {
                name: format!("{sub}/{}", c.name),
                ..c
            })
            .collect())
    }
}

/// What a quarantine record counts towards its file's size (`max_file_bytes`): records are
/// rolled by document text bytes, and a quarantine record has none.
pub(crate) const QUARANTINE_LEN: u64 = 256;

/// Renames the outputs into place, then splits the kept ones by template and converts kept
/// and dropped ones to parquet as `opts` says; returns every output file with its record
/// count, by path relative to the run's directory.
pub(crate) fn finish_outputs(
    opts: &RunOptions,
    writers: [RollingWriter; 3],
) -> Result<(BTreeMap<String, u64>, Digests), RunError> {
    let mut records = BTreeMap::new();
    let mut digests = Digests::new();
    for w in writers {
        for c in w.finish()? {
            if let Some(d) = c.digest {
                digests.insert(c.name.clone(), d);
            }
            records.insert(c.name, c.records);
        }
    }
    if opts.output_template.is_some() || opts.format != OutputFormat::Jsonl {
        // Files are split or converted: their digests are of files that no longer exist.
        digests.clear();
    }
    if let Some(t) = &opts.output_template {
        let files = records.into_iter().collect();
        records = split_outputs(&opts.out_dir, files, opts.compression, t)?
            .into_iter()
            .collect();
    }
    if opts.format == OutputFormat::Parquet {
        let files = records.into_iter().collect();
        records = convert_outputs(&opts.out_dir, files, opts.compression)?
            .into_iter()
            .collect();
        remove_layouts(&opts.out_dir)?;
    }
    Ok((records, digests))
}
