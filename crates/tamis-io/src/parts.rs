//! Resumable JSONL output: a file written as a sequence of parts (runs of zstd frames or gzip
//! members, or plain byte ranges) that a checkpoint can make durable, so a run killed at any
//! moment can cut the file back to its last checkpoint and carry on. Within a part, frames are
//! cut every [`FRAME_BYTES`](crate::FRAME_BYTES) and compressed in parallel (`frames.rs`).
//!
//! Concatenated zstd frames and gzip members decode as one stream (zstd CLI, `zstandard`,
//! Python `gzip`, our readers), so the finished file is ordinary JSONL. A part ends only at a
//! checkpoint, and checkpoints fall at fixed record counts, so an interrupted-and-resumed run
//! writes the same bytes as an uninterrupted one.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tamis_core::Document;

use crate::error::IoError;
use crate::input::Compression;
use crate::writer::{LineError, Lines, Out, OutFile, Sink, OUT_BUF};

/// What a checkpoint records about one output file: enough to cut it back and go on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartState {
    /// Bytes on disk up to the end of the last complete part.
    pub len: u64,
    /// Records written up to there.
    pub records: u64,
    /// Uncompressed bytes written up to there.
    pub bytes: u64,
}

/// The hidden name an unfinished output has: `.NAME.partial` beside `path`. Hidden and with
/// no supported extension, so directory inputs never pick it up.
pub fn partial_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.partial"))
}

enum State {
    /// Between parts: the next record starts a new frame. Opening frames lazily means a file
    /// that ends right after a checkpoint gets no empty trailing frame.
    Idle(Out),
    Open(Box<Sink>),
    Failed,
}

/// A JSONL output written under [`partial_path`] and renamed to its final name by
/// [`finish`](Self::finish). Unlike [`crate::JsonlWriter`], the partial file survives errors and
/// crashes: [`resume`](Self::resume) reopens it at a [`PartState`] from a checkpoint.
pub struct PartWriter {
    path: PathBuf,
    partial: PathBuf,
    compression: Compression,
    state: State,
    lines: Lines,
}

impl PartWriter {
    /// Starts `path` afresh (an old partial file of the same name is replaced).
    pub fn create(path: &Path, c: Compression) -> Result<Self, IoError> {
        if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            fs::create_dir_all(dir).map_err(|source| IoError::CreateDir {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        let partial = partial_path(path);
        let file = File::create(&partial).map_err(|source| IoError::Create {
            path: path.to_path_buf(),
            tmp: partial.clone(),
            source,
        })?;
        // The new name must survive a power loss along with the data checkpoints sync.
        sync_parent(path);
        Ok(Self::with_file(
            path,
            partial,
            c,
            OutFile::new(file, true),
            PartState::default(),
        ))
    }

    /// Reopens `path` at checkpoint `at`: its partial file, or the finished file when the run
    /// had already renamed it (a crash after a roll), cut back to `at.len`.
    pub fn resume(path: &Path, c: Compression, at: PartState) -> Result<Self, IoError> {
        let partial = partial_path(path);
        let io = |source| IoError::Write {
            path: path.to_path_buf(),
            source,
        };
        if !partial.exists() && path.exists() {
            fs::rename(path, &partial).map_err(|source| IoError::Rename {
                path: path.to_path_buf(),
                tmp: partial.clone(),
                source,
            })?;
        }
        let file = match OpenOptions::new().write(true).open(&partial) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(IoError::Resume {
                    path: path.to_path_buf(),
                    message: format!("{} is missing", partial.display()),
                })
            }
            Err(e) => return Err(io(e)),
        };
        let len = file.metadata().map_err(io)?.len();
        if len < at.len {
            return Err(IoError::Resume {
                path: path.to_path_buf(),
                message: format!(
                    "{} holds {len} bytes, the checkpoint says {}",
                    partial.display(),
                    at.len
                ),
            });
        }
        // Bytes past the checkpoint belong to parts that never got one; they are written again.
        file.set_len(at.len).map_err(io)?;
        // The digest covers the whole file: hash what the checkpoint kept.
        let mut out = OutFile::new(file, true);
        let mut kept = File::open(&partial).map_err(io)?;
        let hash = out.hash.as_mut().expect("hashed");
        io::copy(&mut kept, &mut HashOnly(hash)).map_err(io)?;
        out.file.seek(SeekFrom::End(0)).map_err(io)?;
        Ok(Self::with_file(path, partial, c, out, at))
    }

    fn with_file(path: &Path, partial: PathBuf, c: Compression, f: OutFile, at: PartState) -> Self {
        Self {
            path: path.to_path_buf(),
            partial,
            compression: c,
            state: State::Idle(BufWriter::with_capacity(OUT_BUF, f)),
            lines: Lines::new(at.records, at.bytes),
        }
    }

    /// Writes one document as `{"text","id","metadata"}`.
    pub fn write(&mut self, doc: &Document) -> Result<(), IoError> {
        self.with_sink(|lines, sink| lines.doc(sink, doc))
    }

    /// Writes any JSON value as one line.
    pub fn write_value(&mut self, v: &serde_json::Value) -> Result<(), IoError> {
        self.with_sink(|lines, sink| lines.value(sink, v))
    }

    /// Writes one line as it was encoded by another writer, newline included (for merging
    /// the outputs of shards without decoding them).
    pub fn write_line(&mut self, line: &[u8]) -> Result<(), IoError> {
        self.with_sink(|lines, sink| lines.raw(sink, line))
    }

    /// Runs `f` on the open part's stream, starting a part if none is open.
    fn with_sink(
        &mut self,
        f: impl FnOnce(&mut Lines, &mut Sink) -> Result<(), LineError>,
    ) -> Result<(), IoError> {
        let mut sink = match std::mem::replace(&mut self.state, State::Failed) {
            State::Idle(out) => Box::new(Sink::new(out, self.compression)),
            State::Open(sink) => sink,
            State::Failed => {
                return Err(self.write_error(io::Error::other("writer already failed")))
            }
        };
        match f(&mut self.lines, &mut sink) {
            Ok(()) => {
                self.state = State::Open(sink);
                Ok(())
            }
            Err(e) => {
                let (err, broken) = e.into_io(&self.path);
                if !broken {
                    self.state = State::Open(sink);
                }
                // Otherwise the stream is in an unknown state: the writer stays `Failed`.
                Err(err)
            }
        }
    }

    fn write_error(&self, source: io::Error) -> IoError {
        IoError::Write {
            path: self.path.clone(),
            source,
        }
    }

    /// Ends the current part and makes everything written so far durable (fsync); returns
    /// the state to resume from.
    pub fn checkpoint(&mut self) -> Result<PartState, IoError> {
        let res = match std::mem::replace(&mut self.state, State::Failed) {
            State::Idle(out) => Ok(out),
            State::Open(sink) => (*sink).end(),
            State::Failed => Err(io::Error::other("writer already failed")),
        }
        .and_then(|mut out| {
            out.flush()?;
            out.get_ref().file.sync_data()?;
            let len = out.get_ref().file.metadata()?.len();
            Ok((out, len))
        });
        match res {
            Ok((out, len)) => {
                self.state = State::Idle(out);
                Ok(PartState {
                    len,
                    records: self.lines.records,
                    bytes: self.lines.bytes,
                })
            }
            Err(source) => Err(self.write_error(source)),
        }
    }

    /// Ends the last part, fsyncs and renames the file to its final name.
    pub fn finish(self) -> Result<PartState, IoError> {
        Ok(self.finish_hashed()?.0)
    }

    /// [`finish`](Self::finish), also returning the file's SHA-256 (hex), hashed as it was
    /// written.
    pub fn finish_hashed(mut self) -> Result<(PartState, String), IoError> {
        let at = self.checkpoint()?;
        let State::Idle(out) = std::mem::replace(&mut self.state, State::Failed) else {
            unreachable!("a successful checkpoint leaves the writer idle");
        };
        let digest = out
            .get_ref()
            .hash
            .clone()
            .map(|h| {
                sha2::Digest::finalize(h)
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect()
            })
            .unwrap_or_default();
        drop(out);
        fs::rename(&self.partial, &self.path).map_err(|source| IoError::Rename {
            path: self.path.clone(),
            tmp: self.partial.clone(),
            source,
        })?;
        sync_parent(&self.path);
        Ok((at, digest))
    }

    /// The final path.
    pub fn path(&self) -> &Path {
        &self.path
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

/// A writer that only feeds a hash (to hash a resumed file's kept bytes).
struct HashOnly<'a>(&'a mut sha2::Sha256);

impl Write for HashOnly<'_> {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        sha2::Digest::update(self.0, b);
        Ok(b.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Persists the directory entries beside `path` (a creation or a rename); best effort, as not
/// every platform can open a directory.
pub fn sync_parent(path: &Path) {
    if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
}

/// Lines in a finished output file, decoded with compression `c` (all zstd frames or gzip
/// members); an error when the stream is corrupt or truncated, or when the last line has no
/// newline (a JSONL writer always ends lines).
pub fn count_lines(path: &Path, c: Compression) -> io::Result<u64> {
    let file = BufReader::new(File::open(path)?);
    let mut r: Box<dyn BufRead> = match c {
        Compression::None => Box::new(file),
        Compression::Gzip => Box::new(BufReader::new(flate2::bufread::MultiGzDecoder::new(file))),
        Compression::Zstd => Box::new(BufReader::new(zstd::stream::read::Decoder::with_buffer(
            file,
        )?)),
    };
    let (mut lines, mut last) = (0u64, b'\n');
    loop {
        let buf = r.fill_buf()?;
        if buf.is_empty() {
            break;
        }
        lines += memchr::memchr_iter(b'\n', buf).count() as u64;
        last = buf[buf.len() - 1];
        let n = buf.len();
        r.consume(n);
    }
    if last != b'\n' {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "the last line has no newline",
        ));
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::Digest;
    use std::io::Read;

    fn doc(i: usize) -> Document {
        Document::new(format!("id{i}"), format!("text number {i}"))
    }

    fn decode(path: &Path, c: Compression) -> String {
        let mut out = String::new();
        let f = File::open(path).unwrap();
        match c {
            Compression::Zstd => zstd::stream::read::Decoder::new(f)
                .unwrap()
                .read_to_string(&mut out),
            Compression::Gzip => flate2::read::MultiGzDecoder::new(f).read_to_string(&mut out),
            Compression::None => BufReader::new(f).read_to_string(&mut out),
        }
        .unwrap();
        out
    }

    /// Writes 0..n with a checkpoint every 3 records; optionally "crashes" after record
    /// `crash_at` (dropping the writer with junk written past the checkpoint) and resumes.
    fn write(path: &Path, c: Compression, n: usize, mut crash_at: Option<usize>) {
        let mut w = PartWriter::create(path, c).unwrap();
        let mut at = PartState::default();
        let mut i = 0;
        while i < n {
            w.write(&doc(i)).unwrap();
            i += 1;
            if i % 3 == 0 {
                at = w.checkpoint().unwrap();
            }
            if crash_at == Some(i) {
                crash_at = None;
                w.write(&doc(999)).unwrap();
                let _ = w.checkpoint();
                drop(w);
                w = PartWriter::resume(path, c, at).unwrap();
                i = at.records as usize;
            }
        }
        w.finish().unwrap();
    }

    #[test]
    fn resumed_file_is_byte_identical_and_decodes_as_one_stream() {
        let dir = tempfile::tempdir().unwrap();
        for c in [Compression::Zstd, Compression::Gzip, Compression::None] {
            let a = dir.path().join(format!("a{}", c.extension()));
            let b = dir.path().join(format!("b{}", c.extension()));
            write(&a, c, 10, None);
            write(&b, c, 10, Some(7));
            assert_eq!(fs::read(&a).unwrap(), fs::read(&b).unwrap(), "{c:?}");
            let text = decode(&a, c);
            assert_eq!(text.lines().count(), 10);
            assert!(text.contains("text number 9"));
            assert_eq!(count_lines(&a, c).unwrap(), 10);
            assert!(!partial_path(&a).exists());
        }
    }

    #[test]
    fn large_documents_are_written_in_pieces_with_the_same_bytes() {
        let dir = tempfile::tempdir().unwrap();
        // Over LARGE_TEXT, and mostly control characters: its JSON is six times its text.
        let big = Document::new("big", "\0\u{1}x\"".repeat(600_000));
        let docs = [doc(1), big, doc(2)];
        let want: String = docs
            .iter()
            .map(|d| {
                let mut l = Vec::new();
                crate::writer::serialize_doc(&mut l, d).unwrap();
                String::from_utf8(l).unwrap() + "\n"
            })
            .collect();
        for c in [Compression::Zstd, Compression::Gzip, Compression::None] {
            let p = dir.path().join(format!("big{}", c.extension()));
            let mut w = PartWriter::create(&p, c).unwrap();
            for d in &docs {
                w.write(d).unwrap();
            }
            assert_eq!(w.bytes(), want.len() as u64, "{c:?}");
            // The line buffer stayed small.
            assert!(w.lines.buffer_capacity() <= 2 << 20);
            w.finish().unwrap();
            assert_eq!(decode(&p, c), want, "{c:?}");
        }
    }

    #[test]
    fn resume_reopens_a_file_already_renamed_and_refuses_a_short_one() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.jsonl.zst");
        let mut w = PartWriter::create(&p, Compression::Zstd).unwrap();
        w.write(&doc(1)).unwrap();
        let at = w.checkpoint().unwrap();
        w.write(&doc(2)).unwrap();
        w.finish().unwrap();
        let w = PartWriter::resume(&p, Compression::Zstd, at).unwrap();
        assert!(!p.exists());
        w.finish().unwrap();
        assert_eq!(count_lines(&p, Compression::Zstd).unwrap(), 1);
        let too_far = PartState {
            len: at.len + 100,
            ..at
        };
        let err = PartWriter::resume(&p, Compression::Zstd, too_far)
            .err()
            .unwrap();
        assert!(err.to_string().contains("checkpoint"), "{err}");
    }

    /// Writes `docs` with a checkpoint after `checkpoint_at`, inside a pool of `threads` (or
    /// outside any pool), optionally "crashing" after a few more and resuming; returns the
    /// file's bytes and the digest hashed while writing.
    fn write_framed(
        path: &Path,
        c: Compression,
        docs: &[Document],
        checkpoint_at: usize,
        threads: Option<usize>,
        crash: bool,
    ) -> (Vec<u8>, String) {
        let job = || {
            let mut w = PartWriter::create(path, c).unwrap();
            for d in &docs[..checkpoint_at] {
                w.write(d).unwrap();
            }
            let at = w.checkpoint().unwrap();
            if crash {
                for d in &docs[checkpoint_at..checkpoint_at + 500] {
                    w.write(d).unwrap();
                }
                drop(w);
                w = PartWriter::resume(path, c, at).unwrap();
            }
            for d in &docs[checkpoint_at..] {
                w.write(d).unwrap();
            }
            w.finish_hashed().unwrap().1
        };
        let digest = match threads {
            Some(n) => rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()
                .unwrap()
                .install(job),
            None => job(),
        };
        (fs::read(path).unwrap(), digest)
    }

    #[test]
    fn frames_have_the_same_bytes_on_any_pool_and_after_a_resume() {
        let dir = tempfile::tempdir().unwrap();
        // About 10 MB of JSONL: several frames.
        let docs: Vec<Document> = (0..6000)
            .map(|i| Document::new(format!("id{i}"), format!("{i} word ").repeat(100 + i % 150)))
            .collect();
        let want: String = docs
            .iter()
            .map(|d| {
                let mut l = Vec::new();
                crate::encode_line(d, &mut l).unwrap();
                String::from_utf8(l).unwrap()
            })
            .collect();
        assert!(want.len() > 4 * crate::FRAME_BYTES);
        for c in [Compression::Zstd, Compression::Gzip] {
            let p = dir.path().join(format!("f{}", c.extension()));
            let serial = write_framed(&p, c, &docs, 2500, None, false);
            for (threads, crash) in [(Some(1), false), (Some(3), false), (Some(3), true)] {
                let got = write_framed(&p, c, &docs, 2500, threads, crash);
                assert!(got == serial, "{c:?} {threads:?} crash {crash}");
            }
            assert_eq!(decode(&p, c), want, "{c:?}");
            let sha: String = sha2::Sha256::digest(&serial.0)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            assert_eq!(serial.1, sha, "{c:?}: the digest hashed while writing");
        }
        // Several zstd frames, each starting with the magic number.
        let p = dir
            .path()
            .join(format!("f{}", Compression::Zstd.extension()));
        let bytes = fs::read(&p).unwrap();
        let frames = bytes
            .windows(4)
            .filter(|w| *w == [0x28, 0xb5, 0x2f, 0xfd])
            .count();
        assert!(frames >= 5, "{frames} frames");
    }

    #[test]
    fn count_lines_rejects_a_truncated_stream() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.jsonl.zst");
        let mut w = PartWriter::create(&p, Compression::Zstd).unwrap();
        for i in 0..100 {
            w.write(&doc(i)).unwrap();
        }
        w.finish().unwrap();
        let bytes = fs::read(&p).unwrap();
        fs::write(&p, &bytes[..bytes.len() - 5]).unwrap();
        assert!(count_lines(&p, Compression::Zstd).is_err());
    }
}
