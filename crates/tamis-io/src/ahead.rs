//! One input file read ahead of its consumer by jobs on the caller's rayon pool.
//!
//! Decompressing and parsing are per-byte work; a consumer that did them itself could go no
//! faster than one core reads. [`ReadAhead`] reads the file in chunks, each read by a pool job
//! that starts the next one, and hands them over in order: the records are exactly those of
//! [`read`](crate::read). Reading pauses after [`CHUNKS_AHEAD`] chunks the consumer has not
//! taken, so memory stays bounded. Outside a pool the chunks are read when asked for.

use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::work;
use crate::{Reader, Record};

/// Chunks a file may hold read but not yet taken.
pub const CHUNKS_AHEAD: usize = 2;

/// Records of one file, in order.
pub struct Chunk {
    pub records: Vec<Record>,
    /// Bytes of the file on disk consumed so far.
    pub on_disk: u64,
    /// The file has no more records.
    pub last: bool,
}

#[derive(Default)]
struct Shared {
    chunks: VecDeque<Chunk>,
    /// The reader, put aside while [`CHUNKS_AHEAD`] chunks wait (or, outside a pool, always).
    parked: Option<Reader>,
    /// A reading job panicked (with this message).
    failed: Option<String>,
}

fn lock(s: &Mutex<Shared>) -> MutexGuard<'_, Shared> {
    // Reading happens outside the lock, so no panic can poison it.
    s.lock().unwrap_or_else(|e| e.into_inner())
}

/// See the module's documentation.
pub struct ReadAhead {
    shared: Arc<Mutex<Shared>>,
    chunk_bytes: usize,
    /// The records of the chunk being iterated ([`Iterator`] use).
    current: std::vec::IntoIter<Record>,
    done: bool,
}

impl ReadAhead {
    /// Starts reading `reader` (after skipping `skip` records) in chunks of about
    /// `chunk_bytes` of documents in memory.
    pub fn start(reader: Reader, skip: u64, chunk_bytes: usize) -> Self {
        let shared = Arc::new(Mutex::new(Shared::default()));
        let chunk_bytes = chunk_bytes.max(1);
        if rayon::current_thread_index().is_some() {
            produce(Arc::clone(&shared), reader, skip, chunk_bytes);
        } else {
            let mut reader = reader;
            skip_records(&mut reader, skip);
            lock(&shared).parked = Some(reader);
        }
        Self {
            shared,
            chunk_bytes,
            current: Vec::new().into_iter(),
            done: false,
        }
    }

    /// The next chunk (the last one says so), or the message of a reading job's panic.
    pub fn next_chunk(&mut self) -> Result<Chunk, String> {
        let in_pool = rayon::current_thread_index().is_some();
        let (chunk, parked) = work::wait_for(|| {
            let mut s = lock(&self.shared);
            if let Some(chunk) = s.chunks.pop_front() {
                return Some(Ok((chunk, s.parked.take())));
            }
            if let Some(e) = s.failed.take() {
                return Some(Err(e));
            }
            // Outside a pool nothing reads ahead: read the chunk here.
            (!in_pool)
                .then(|| s.parked.take())
                .flatten()
                .map(|mut r| Ok((read_chunk(&mut r, self.chunk_bytes), Some(r))))
        })?;
        if let Some(reader) = parked.filter(|_| !chunk.last) {
            if in_pool {
                produce(Arc::clone(&self.shared), reader, 0, self.chunk_bytes);
            } else {
                lock(&self.shared).parked = Some(reader);
            }
        }
        Ok(chunk)
    }
}

impl Iterator for ReadAhead {
    type Item = Record;

    /// The next record. A panic of a reading job is raised again here, as a serial reader's
    /// would have been.
    fn next(&mut self) -> Option<Record> {
        loop {
            if let Some(r) = self.current.next() {
                return Some(r);
            }
            if self.done {
                return None;
            }
            let chunk = self.next_chunk().unwrap_or_else(|e| panic!("{e}"));
            self.done = chunk.last;
            self.current = chunk.records.into_iter();
        }
    }
}

/// Starts the job that reads `reader`'s next chunk and, while there is room, the chunk after.
fn produce(shared: Arc<Mutex<Shared>>, reader: Reader, skip: u64, chunk_bytes: usize) {
    rayon::spawn_fifo(move || {
        let mut reader = reader;
        let read = catch_unwind(AssertUnwindSafe(|| {
            skip_records(&mut reader, skip);
            read_chunk(&mut reader, chunk_bytes)
        }));
        let mut s = lock(&shared);
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
                produce(shared, reader, 0, chunk_bytes);
            }
            Err(p) => s.failed = Some(work::panic_message(p.as_ref())),
        }
    });
}

fn skip_records(reader: &mut Reader, skip: u64) {
    let mut skipped = 0;
    while skipped < skip && reader.next().is_some() {
        skipped += 1;
    }
}

/// What a record weighs in a chunk: the memory it holds.
fn weight(r: &Record) -> usize {
    match r {
        Record::Doc { doc, .. } => doc.approx_bytes(),
        Record::Bad(q) => q.message.len() + 256,
    }
}

fn read_chunk(reader: &mut Reader, chunk_bytes: usize) -> Chunk {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{InputFile, ReadOptions};
    use std::io::Write;

    /// Record ids (or quarantine reasons) as a serial reader yields them.
    fn ids(records: impl Iterator<Item = Record>) -> Vec<String> {
        records
            .map(|r| match r {
                Record::Doc { doc, .. } => doc.id,
                Record::Bad(q) => format!("bad:{}", q.reason),
            })
            .collect()
    }

    #[test]
    fn records_come_in_the_serial_order_in_and_out_of_a_pool() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.jsonl");
        let mut f = std::fs::File::create(&path).unwrap();
        for i in 0..3000 {
            if i % 700 == 5 {
                writeln!(f, "{{not json").unwrap();
            }
            writeln!(
                f,
                "{{\"id\":\"d{i}\",\"text\":\"text {i} {}\"}}",
                "x".repeat(i % 90)
            )
            .unwrap();
        }
        drop(f);
        let input = InputFile::new(path);
        let opts = ReadOptions::default();
        let serial = ids(crate::read(&input, &opts));
        assert_eq!(serial.len(), 3005);
        let skipped: Vec<String> = serial[1000..].to_vec();
        // Chunks of about 2 KB of documents in memory: dozens of them, read two ahead.
        let ahead = |skip| ReadAhead::start(crate::read(&input, &opts), skip, 2000);
        assert_eq!(ids(ahead(0)), serial, "outside a pool");
        for threads in [1, 3] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let (all, rest) = pool.install(|| (ids(ahead(0)), ids(ahead(1000))));
            assert_eq!(all, serial, "{threads} threads");
            assert_eq!(rest, skipped, "{threads} threads, skipping 1000");
        }
        // The last chunk says so, and every chunk but the last holds records.
        let mut r = ahead(0);
        let mut chunks = 0;
        loop {
            let c = r.next_chunk().unwrap();
            chunks += 1;
            if c.last {
                break;
            }
            assert!(!c.records.is_empty());
        }
        assert!(chunks > 50, "{chunks} chunks");
    }
}
