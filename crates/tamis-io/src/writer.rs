//! Atomic JSONL writer: plain, gzip or zstd, renamed into place only when complete.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;
use tamis_core::{Document, Metadata};

use crate::error::IoError;
use crate::input::Compression;

/// zstd level for outputs: level 3 is zstd's default, the usual speed/ratio trade-off for
/// datasets, and what Python `zstandard` (used by datatrove) writes by default.
pub const ZSTD_LEVEL: i32 = 3;

/// Writes documents as JSONL, one compact object per line, to `path` with the given
/// compression (zstd frames or gzip members of 2 MiB of JSONL each, compressed on the caller's
/// rayon pool when there is one: the same bytes either way).
///
/// Lines are `{"text", "id", "metadata"}` in that order (datatrove's `Document` field order,
/// written by its `JsonlWriter` with `orjson`: compact, UTF-8, no ASCII escaping); `metadata` is
/// omitted when empty, as datatrove does. Unlike datatrove, which drops every falsy field, an
/// empty `text` or `id` is still written, so our own reader does not see the record as
/// `missing_text`. The output reads back with Python's `json`, HF `datasets` (`json` builder) and
/// datatrove's `JsonlReader`.
///
/// Data goes to a hidden temporary file next to `path` (`.<name>.tmp-<pid>-<n>`) that is
/// flushed, fsynced and renamed over `path` by [`finish`](Self::finish). A crash or an error
/// before that leaves no file under the final name, so a partial output is never mistaken for a
/// complete one; dropping an unfinished writer deletes the temporary file. The temp name is
/// hidden and has no supported extension, so directory inputs never pick it up.
pub struct JsonlWriter {
    path: PathBuf,
    tmp: PathBuf,
    compression: Compression,
    sink: Option<Sink>,
    lines: Lines,
    done: bool,
}

/// An output file that can hash what is written to it, so a run's manifest does not read
/// every output again at the end (serial work while the other cores wait).
pub(crate) struct OutFile {
    pub(crate) file: File,
    pub(crate) hash: Option<sha2::Sha256>,
}

impl OutFile {
    pub(crate) fn new(file: File, hashed: bool) -> Self {
        Self {
            file,
            hash: hashed.then(sha2::Sha256::default),
        }
    }
}

impl Write for OutFile {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        let n = self.file.write(b)?;
        if let Some(h) = &mut self.hash {
            sha2::Digest::update(h, &b[..n]);
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// The buffered output every sink writes to.
pub(crate) type Out = BufWriter<OutFile>;

/// Where a writer's JSONL goes: the file, or frames compressed on the caller's pool (zstd
/// frames with a checksum, as the zstd CLI writes them, or gzip members; see `frames.rs`).
pub(crate) enum Sink {
    Plain(Out),
    Framed(Box<crate::frames::Framed>),
}

pub(crate) const OUT_BUF: usize = 256 << 10;

impl Sink {
    /// A stream cut into frames compressed on the caller's pool (plain for `None`).
    pub(crate) fn new(out: Out, c: Compression) -> Self {
        match c {
            Compression::None => Sink::Plain(out),
            _ => Sink::Framed(Box::new(crate::frames::Framed::new(out, c))),
        }
    }

    pub(crate) fn write_all(&mut self, b: &[u8]) -> io::Result<()> {
        match self {
            Sink::Plain(w) => w.write_all(b),
            Sink::Framed(w) => w.write_all(b),
        }
    }

    /// Ends the last frame and writes every frame, returning the buffered file.
    pub(crate) fn end(self) -> io::Result<Out> {
        match self {
            Sink::Plain(w) => Ok(w),
            Sink::Framed(w) => w.end(),
        }
    }

    /// Writes the compression trailer and flushes, returning the file for `sync_all`.
    fn finish(self) -> io::Result<File> {
        Ok(self.end()?.into_inner().map_err(|e| e.into_error())?.file)
    }
}

#[derive(Serialize)]
struct OutDoc<'a> {
    text: &'a str,
    id: &'a str,
    #[serde(skip_serializing_if = "is_empty")]
    metadata: &'a Metadata,
}

fn is_empty(m: &&Metadata) -> bool {
    m.is_empty()
}

/// Writes `doc` as one compact `{"text","id","metadata"}` object (no newline) to `w`.
pub(crate) fn serialize_doc(w: impl Write, doc: &Document) -> serde_json::Result<()> {
    let out = OutDoc {
        text: &doc.text,
        id: &doc.id,
        metadata: &doc.metadata,
    };
    serde_json::to_writer(w, &out)
}

/// Appends `doc`'s line, newline included, to `buf`: the bytes [`PartWriter::write`](
/// crate::PartWriter::write) would write, for [`PartWriter::write_line`](
/// crate::PartWriter::write_line). Lets workers encode documents in parallel; `buf` is left
/// as it was on error.
pub fn encode_line(doc: &Document, buf: &mut Vec<u8>) -> serde_json::Result<()> {
    let start = buf.len();
    serialize_doc(&mut *buf, doc).inspect_err(|_| buf.truncate(start))?;
    buf.push(b'\n');
    Ok(())
}

/// Documents with more text than this are written in pieces by [`write_large_doc`]; smaller
/// ones are serialised whole into the line buffer and written with one call.
pub(crate) const LARGE_TEXT: usize = 128 << 10;

/// The piece size of [`write_large_doc`].
const SPILL_AT: usize = 1 << 20;

/// After a line longer than this, the reusable line buffer is given back to the allocator.
pub(crate) const KEEP_LINE_BUF: usize = 4 << 20;

/// An `io::Write` that collects bytes in `line` and hands them to `sink` whenever they pass
/// [`SPILL_AT`]. A document's JSON can be six times its text (control characters become
/// `\u00XX`), so a huge document must not be serialised whole into memory a second time.
struct Spill<'a> {
    line: &'a mut Vec<u8>,
    sink: &'a mut Sink,
    written: u64,
}

impl Spill<'_> {
    fn drain(&mut self) -> io::Result<()> {
        if !self.line.is_empty() {
            self.sink.write_all(self.line)?;
            self.written += self.line.len() as u64;
            self.line.clear();
        }
        Ok(())
    }
}

impl Write for Spill<'_> {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        if self.line.len() + b.len() > SPILL_AT {
            self.drain()?;
            if b.len() > SPILL_AT {
                self.sink.write_all(b)?;
                self.written += b.len() as u64;
                return Ok(b.len());
            }
        }
        self.line.extend_from_slice(b);
        Ok(b.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Writes `doc` and its newline to `sink` in pieces of about [`SPILL_AT`] bytes, using `line`
/// as the buffer; returns the bytes written. The bytes are the same as a whole-line write's. On
/// error the stream is in an unknown state.
pub(crate) fn write_large_doc(
    sink: &mut Sink,
    line: &mut Vec<u8>,
    doc: &Document,
) -> io::Result<u64> {
    line.clear();
    let mut w = Spill {
        line,
        sink,
        written: 0,
    };
    serialize_doc(&mut w, doc).map_err(io::Error::from)?;
    w.line.push(b'\n');
    w.drain()?;
    Ok(w.written)
}

/// Why a record could not be written: its serialisation failed before any byte reached the
/// stream (the stream is intact), or the stream failed (it is in an unknown state).
pub(crate) enum LineError {
    Serialize(serde_json::Error),
    Stream(io::Error),
}

impl LineError {
    /// The [`IoError`] for output `path`, and whether the stream must be given up.
    pub(crate) fn into_io(self, path: &Path) -> (IoError, bool) {
        let path = path.to_path_buf();
        match self {
            LineError::Serialize(source) => (IoError::Serialize { path, source }, false),
            LineError::Stream(source) => (IoError::Write { path, source }, true),
        }
    }
}

/// Turns records into JSONL lines on a [`Sink`] and counts them: the part both writers share.
/// One reusable buffer and one `write_all` per record keep the encoder's per-call overhead out
/// of the per-field serialisation.
pub(crate) struct Lines {
    line: Vec<u8>,
    pub(crate) records: u64,
    /// Uncompressed bytes written.
    pub(crate) bytes: u64,
}

impl Lines {
    pub(crate) fn new(records: u64, bytes: u64) -> Self {
        Self {
            line: Vec::with_capacity(64 << 10),
            records,
            bytes,
        }
    }

    /// Writes `doc` as `{"text","id","metadata"}` and a newline.
    pub(crate) fn doc(&mut self, sink: &mut Sink, doc: &Document) -> Result<(), LineError> {
        if doc.text.len() > LARGE_TEXT {
            let n = write_large_doc(sink, &mut self.line, doc).map_err(LineError::Stream)?;
            self.records += 1;
            self.bytes += n;
            return Ok(());
        }
        self.line.clear();
        serialize_doc(&mut self.line, doc).map_err(LineError::Serialize)?;
        self.flush_line(sink)
    }

    /// Writes any JSON value as one line.
    pub(crate) fn value(
        &mut self,
        sink: &mut Sink,
        v: &serde_json::Value,
    ) -> Result<(), LineError> {
        self.line.clear();
        serde_json::to_writer(&mut self.line, v).map_err(LineError::Serialize)?;
        self.flush_line(sink)
    }

    /// Writes a line already encoded (with its newline), as [`Lines::doc`] or
    /// [`Lines::value`] wrote it elsewhere: merging shards copies records without re-encoding
    /// them.
    pub(crate) fn raw(&mut self, sink: &mut Sink, line: &[u8]) -> Result<(), LineError> {
        sink.write_all(line).map_err(LineError::Stream)?;
        self.records += 1;
        self.bytes += line.len() as u64;
        Ok(())
    }

    /// The reusable buffer's capacity (tests check that huge records do not pin it).
    #[cfg(test)]
    pub(crate) fn buffer_capacity(&self) -> usize {
        self.line.capacity()
    }

    fn flush_line(&mut self, sink: &mut Sink) -> Result<(), LineError> {
        self.line.push(b'\n');
        let n = self.line.len() as u64;
        let res = sink.write_all(&self.line);
        if self.line.capacity() > KEEP_LINE_BUF {
            // One huge record must not pin its buffer for the rest of the run.
            self.line = Vec::new();
        }
        res.map_err(LineError::Stream)?;
        self.records += 1;
        self.bytes += n;
        Ok(())
    }
}

/// Distinguishes temp files of writers created in the same process.
static TMP_COUNTER: AtomicU64 = AtomicU64::new(0);

impl JsonlWriter {
    /// Creates the parent directory if needed and opens a temporary file beside `path`.
    /// The compression is exactly `c`; the caller chooses the name (see
    /// [`Compression::extension`]).
    pub fn create(path: &Path, c: Compression) -> Result<Self, IoError> {
        let name = path
            .file_name()
            .ok_or_else(|| IoError::InvalidPath {
                path: path.to_path_buf(),
                message: "has no file name",
            })?
            .to_string_lossy()
            .into_owned();
        let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
        if let Some(dir) = parent {
            fs::create_dir_all(dir).map_err(|source| IoError::CreateDir {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        let (tmp, file) = create_temp(parent, &name).map_err(|(tmp, source)| IoError::Create {
            path: path.to_path_buf(),
            tmp,
            source,
        })?;
        let buffered = BufWriter::with_capacity(OUT_BUF, OutFile::new(file, false));
        let sink = Sink::new(buffered, c);
        Ok(Self {
            path: path.to_path_buf(),
            tmp,
            compression: c,
            sink: Some(sink),
            lines: Lines::new(0, 0),
            done: false,
        })
    }

    /// Writes one document as `{"text","id","metadata"}`.
    pub fn write(&mut self, doc: &Document) -> Result<(), IoError> {
        self.with_sink(|lines, sink| lines.doc(sink, doc))
    }

    /// Writes any JSON value as one line (used for quarantine and exclusion files).
    pub fn write_value(&mut self, v: &serde_json::Value) -> Result<(), IoError> {
        self.with_sink(|lines, sink| lines.value(sink, v))
    }

    fn with_sink(
        &mut self,
        f: impl FnOnce(&mut Lines, &mut Sink) -> Result<(), LineError>,
    ) -> Result<(), IoError> {
        let Some(sink) = self.sink.as_mut() else {
            return Err(IoError::Write {
                path: self.path.clone(),
                source: io::Error::other("writer already failed"),
            });
        };
        f(&mut self.lines, sink).map_err(|e| {
            let (err, broken) = e.into_io(&self.path);
            if broken {
                // The stream is now in an unknown state; refuse further writes.
                self.sink = None;
            }
            err
        })
    }

    /// Finishes the compressed stream, fsyncs and renames the file to its final name.
    /// Until this returns `Ok`, nothing exists under the final name.
    pub fn finish(mut self) -> Result<(), IoError> {
        let sink = self.sink.take().ok_or_else(|| IoError::Write {
            path: self.path.clone(),
            source: io::Error::other("writer already failed"),
        })?;
        let file = sink.finish().map_err(|source| IoError::Write {
            path: self.path.clone(),
            source,
        })?;
        file.sync_all().map_err(|source| IoError::Write {
            path: self.path.clone(),
            source,
        })?;
        drop(file);
        fs::rename(&self.tmp, &self.path).map_err(|source| IoError::Rename {
            path: self.path.clone(),
            tmp: self.tmp.clone(),
            source,
        })?;
        self.done = true;
        // Persist the rename itself; best effort, as not every platform can open a directory.
        if let Some(dir) = self.path.parent().filter(|p| !p.as_os_str().is_empty()) {
            if let Ok(d) = File::open(dir) {
                let _ = d.sync_all();
            }
        }
        Ok(())
    }

    /// The final path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn compression(&self) -> Compression {
        self.compression
    }

    /// Records written so far.
    pub fn records(&self) -> u64 {
        self.lines.records
    }

    /// Uncompressed bytes written so far.
    pub fn bytes(&self) -> u64 {
        self.lines.bytes
    }
}

impl Drop for JsonlWriter {
    /// An unfinished writer (error, early return, panic) removes its temp file.
    fn drop(&mut self) {
        if !self.done {
            self.sink = None;
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

/// Creates `.<name>.tmp-<pid>-<n>` with `create_new`, so two writers never share a temp file.
/// Plain `OpenOptions` (not `tempfile`) keeps the usual umask-derived permissions.
fn create_temp(dir: Option<&Path>, name: &str) -> Result<(PathBuf, File), (PathBuf, io::Error)> {
    let pid = std::process::id();
    let mut attempt = 0;
    loop {
        let n = TMP_COUNTER.fetch_add(1, Ordering::Relaxed);
        let tmp_name = format!(".{name}.tmp-{pid}-{n}");
        let tmp = dir.map_or_else(|| PathBuf::from(&tmp_name), |d| d.join(&tmp_name));
        match OpenOptions::new().write(true).create_new(true).open(&tmp) {
            Ok(f) => return Ok((tmp, f)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 1000 => attempt += 1,
            Err(e) => return Err((tmp, e)),
        }
    }
}
