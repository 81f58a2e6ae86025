//! Input files decoded and parsed ahead of the driver, several at once, on the pool.
//!
//! Each file is read by a [`ReadAhead`] (chains of pool jobs, a bounded number of chunks
//! ahead); up to `ahead` files are read at a time, and the driver takes the chunks in input
//! order: records arrive exactly as a serial reader yields them, so counting, checkpoints and
//! outputs do not change, and memory stays bounded by `ahead` files' chunks.

use std::collections::VecDeque;

use tamis_io::ahead::{Chunk, ReadAhead};
use tamis_io::{InputFile, ReadOptions};

use crate::options::RunError;

pub(crate) struct Prefetch<'a> {
    files: &'a [InputFile],
    read: &'a ReadOptions,
    /// The next file to start reading.
    next_file: usize,
    /// Records to skip in the first file (already accounted for by a checkpoint).
    skip: u64,
    streams: VecDeque<(usize, ReadAhead)>,
    ahead: usize,
    chunk_bytes: usize,
}

impl<'a> Prefetch<'a> {
    /// Reads `files` from `first`, skipping `skip` records of that one, with up to `ahead`
    /// files in flight and chunks of about `chunk_bytes` of documents in memory.
    pub(crate) fn new(
        files: &'a [InputFile],
        read: &'a ReadOptions,
        (first, skip): (usize, u64),
        ahead: usize,
        chunk_bytes: usize,
    ) -> Self {
        let mut p = Self {
            files,
            read,
            next_file: first,
            skip,
            streams: VecDeque::new(),
            ahead: ahead.max(1),
            chunk_bytes,
        };
        p.fill();
        p
    }

    fn fill(&mut self) {
        while self.streams.len() < self.ahead && self.next_file < self.files.len() {
            let file = self.next_file;
            let reader = tamis_io::read(&self.files[file], self.read);
            let skip = std::mem::take(&mut self.skip);
            let stream = ReadAhead::start(reader, skip, self.chunk_bytes);
            self.streams.push_back((file, stream));
            self.next_file += 1;
        }
    }

    /// The next chunk in input order, with its file's index; `None` after the last file.
    pub(crate) fn next_chunk(&mut self) -> Result<Option<(usize, Chunk)>, RunError> {
        let Some((file, stream)) = self.streams.front_mut() else {
            return Ok(None);
        };
        let file = *file;
        let chunk = stream.next_chunk().map_err(|message| {
            RunError::Threads(format!(
                "reading {} failed: {message}",
                self.files[file].display_path()
            ))
        })?;
        if chunk.last {
            self.streams.pop_front();
            self.fill();
        }
        Ok(Some((file, chunk)))
    }
}
