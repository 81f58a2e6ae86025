//! Input files decoded and parsed ahead of the driver, several at once, on the pool.
//!
//! Decompressing and parsing are per-byte work; done by the driver they capped a run at one
//! core's reading speed. Here up to `ahead` files are read at a time, each by a chain of pool
//! jobs that read one chunk and start the next, and the driver takes the chunks in input
//! order: records arrive exactly as a serial reader yields them, so counting, checkpoints and
//! outputs do not change. A file stops reading ahead after [`CHUNKS_AHEAD`] unconsumed chunks
//! and resumes when the driver takes one, so memory stays bounded by `ahead` times that.

use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex, MutexGuard};

use tamis_core::Document;
use tamis_io::work;
use tamis_io::{InputFile, ReadOptions, Reader, Record};

use crate::executor::RunError;

/// Chunks a file may hold read but not yet consumed.
const CHUNKS_AHEAD: usize = 2;

/// Records of one file, in order.
pub(crate) struct Chunk {
    pub records: Vec<Record>,
    /// Bytes of the file on disk consumed so far (the progress bar's measure).
    pub on_disk: u64,
    /// The file has no more records.
    pub last: bool,
}

/// What the reading jobs of one file and the driver share.
#[derive(Default)]
struct Shared {
    chunks: VecDeque<Chunk>,
    /// The reader, put aside while [`CHUNKS_AHEAD`] chunks wait.
    parked: Option<Reader>,
    /// A reading job panicked (with this message).
    failed: Option<String>,
}

type Stream = Arc<Mutex<Shared>>;

fn lock(s: &Stream) -> MutexGuard<'_, Shared> {
    // A panic never happens while the lock is held (reading is outside it).
    s.lock().unwrap_or_else(|e| e.into_inner())
}

pub(crate) struct Prefetch<'s, 'a> {
    scope: &'a rayon::ScopeFifo<'s>,
    files: &'a [InputFile],
    read: &'a ReadOptions,
    /// The next file to start reading.
    next_file: usize,
    /// Records to skip in the first file (already accounted for by a checkpoint).
    skip: u64,
    streams: VecDeque<(usize, Stream)>,
    ahead: usize,
    chunk_bytes: usize,
}

impl<'s, 'a> Prefetch<'s, 'a> {
    /// Reads `files` from `first`, skipping `skip` records of that one, with up to `ahead`
    /// files in flight and chunks of about `chunk_bytes` of documents in memory.
    pub(crate) fn new(
        scope: &'a rayon::ScopeFifo<'s>,
        files: &'a [InputFile],
        read: &'a ReadOptions,
        (first, skip): (usize, u64),
        ahead: usize,
        chunk_bytes: usize,
    ) -> Self {
        let mut p = Self {
            scope,
            files,
            read,
            next_file: first,
            skip,
            streams: VecDeque::new(),
            ahead: ahead.max(1),
            chunk_bytes: chunk_bytes.max(1),
        };
        p.fill();
        p
    }

    fn fill(&mut self) {
        while self.streams.len() < self.ahead && self.next_file < self.files.len() {
            let file = self.next_file;
            let reader = tamis_io::read(&self.files[file], self.read);
            let skip = std::mem::take(&mut self.skip);
            let stream = Stream::default();
            produce(
                self.scope,
                Arc::clone(&stream),
                reader,
                skip,
                self.chunk_bytes,
            );
            self.streams.push_back((file, stream));
            self.next_file += 1;
        }
    }

    /// The next chunk in input order, with its file's index; `None` after the last file.
    pub(crate) fn next_chunk(&mut self) -> Result<Option<(usize, Chunk)>, RunError> {
        let Some((file, stream)) = self.streams.front().cloned() else {
            return Ok(None);
        };
        let got = work::wait_for(|| {
            let mut s = lock(&stream);
            if let Some(chunk) = s.chunks.pop_front() {
                return Some(Ok((chunk, s.parked.take())));
            }
            s.failed.take().map(Err)
        });
        let (chunk, parked) = got.map_err(|message| {
            RunError::Threads(format!(
                "reading {} failed: {message}",
                self.files[file].display_path()
            ))
        })?;
        if let Some(reader) = parked {
            produce(self.scope, Arc::clone(&stream), reader, 0, self.chunk_bytes);
        }
        if chunk.last {
            self.streams.pop_front();
            self.fill();
        }
        Ok(Some((file, chunk)))
    }
}

/// Starts the job that reads `reader`'s next chunk into `stream` and, while the stream has
/// room, the chunk after.
fn produce<'s>(
    scope: &rayon::ScopeFifo<'s>,
    stream: Stream,
    reader: Reader,
    skip: u64,
    chunk_bytes: usize,
) {
    scope.spawn_fifo(move |scope| {
        let mut reader = reader;
        let read = catch_unwind(AssertUnwindSafe(|| {
            read_chunk(&mut reader, skip, chunk_bytes)
        }));
        let mut s = lock(&stream);
        match read {
            Ok(chunk) => {
                let last = chunk.last;
                s.chunks.push_back(chunk);
                if last {
                    return;
                }
                if s.chunks.len() >= CHUNKS_AHEAD {
                    s.parked = Some(reader);
                    return;
                }
                drop(s);
                produce(scope, stream, reader, 0, chunk_bytes);
            }
            Err(p) => s.failed = Some(work::panic_message(p.as_ref())),
        }
    });
}

/// What a record weighs in a chunk: the memory it holds, as batches measure it.
fn weight(r: &Record) -> usize {
    match r {
        Record::Doc { doc, .. } => Document::approx_bytes(doc),
        Record::Bad(q) => q.message.len() + 256,
    }
}

fn read_chunk(reader: &mut Reader, skip: u64, chunk_bytes: usize) -> Chunk {
    let mut skipped = 0;
    while skipped < skip && reader.next().is_some() {
        skipped += 1;
    }
    let mut records = Vec::new();
    let mut bytes = 0;
    let mut last = false;
    while bytes < chunk_bytes {
        match reader.next() {
            Some(r) => {
                bytes += weight(&r);
                records.push(r);
            }
            None => {
                last = true;
                break;
            }
        }
    }
    Chunk {
        records,
        on_disk: reader.stats().compressed_bytes,
        last,
    }
}
