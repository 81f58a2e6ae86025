//! A compressed stream cut into independent frames (zstd frames, gzip members) of a fixed
//! uncompressed size, compressed in parallel on the caller's pool and written in order.
//!
//! One compressor over a whole output is serial work: it capped `tamis run` at one core's
//! compression speed whatever `--threads` said. Frames are cut every [`FRAME_BYTES`] of the
//! output's bytes (and where a part ends), a rule that depends only on what is written, so the
//! file is the same whatever the number of threads, and the same when written serially
//! (outside a pool, by `tamis merge-shards` for instance). Concatenated frames decode as one
//! stream everywhere (zstd CLI, Python `zstandard` and `gzip`, datatrove, `datasets`).
//!
//! At 2 MiB per frame, zstd level 3 output is about 0.6% larger than one frame over the same
//! bytes (measured on the shared corpora); memory stays bounded by the frames in flight, at
//! most one per pool thread and writer, plus the one being filled.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{self, Write};

use crate::input::Compression;
use crate::work::{spawn, Ticket};
use crate::writer::{Out, ZSTD_LEVEL};

/// Uncompressed bytes per frame.
pub const FRAME_BYTES: usize = 2 << 20;

pub(crate) struct Framed {
    out: Out,
    compression: Compression,
    buf: Vec<u8>,
    pending: VecDeque<Ticket<io::Result<Vec<u8>>>>,
}

impl Framed {
    pub(crate) fn new(out: Out, compression: Compression) -> Self {
        Self {
            out,
            compression,
            buf: Vec::new(),
            pending: VecDeque::new(),
        }
    }

    pub(crate) fn write_all(&mut self, mut b: &[u8]) -> io::Result<()> {
        while !b.is_empty() {
            if self.buf.capacity() == 0 {
                self.buf.reserve_exact(FRAME_BYTES);
            }
            let take = (FRAME_BYTES - self.buf.len()).min(b.len());
            self.buf.extend_from_slice(&b[..take]);
            b = &b[take..];
            if self.buf.len() == FRAME_BYTES {
                self.cut()?;
            }
        }
        Ok(())
    }

    /// Hands the filled frame to the pool; writes finished frames, waiting for the oldest
    /// when as many are in flight as the pool has threads.
    fn cut(&mut self) -> io::Result<()> {
        let data = std::mem::take(&mut self.buf);
        let c = self.compression;
        self.pending.push_back(spawn(move || compress(c, &data)));
        let limit = rayon::current_num_threads().max(2);
        while self.pending.len() > limit {
            self.write_oldest()?;
        }
        Ok(())
    }

    fn write_oldest(&mut self) -> io::Result<()> {
        let Some(t) = self.pending.pop_front() else {
            return Ok(());
        };
        let frame = t.wait().map_err(|p| {
            io::Error::other(format!(
                "compressing a frame failed: {}",
                crate::work::panic_message(p.as_ref())
            ))
        })??;
        self.out.write_all(&frame)
    }

    /// Ends the last frame and writes every frame, returning the buffered file.
    pub(crate) fn end(mut self) -> io::Result<Out> {
        if !self.buf.is_empty() {
            self.cut()?;
        }
        while !self.pending.is_empty() {
            self.write_oldest()?;
        }
        Ok(self.out)
    }
}

thread_local! {
    /// One zstd context per thread: a context costs more to set up than a small frame does
    /// to compress.
    static ZSTD: RefCell<Option<zstd::bulk::Compressor<'static>>> = const { RefCell::new(None) };
}

/// One frame: a zstd frame with its content size and a checksum (as the zstd CLI writes), or
/// a gzip member at the default level.
fn compress(c: Compression, data: &[u8]) -> io::Result<Vec<u8>> {
    match c {
        Compression::Zstd => ZSTD.with(|z| {
            let mut z = z.borrow_mut();
            if z.is_none() {
                let mut cc = zstd::bulk::Compressor::new(ZSTD_LEVEL)?;
                cc.include_checksum(true)?;
                cc.include_contentsize(true)?;
                *z = Some(cc);
            }
            z.as_mut().expect("set above").compress(data)
        }),
        Compression::Gzip => {
            let mut e = flate2::write::GzEncoder::new(
                Vec::with_capacity(data.len() / 3),
                flate2::Compression::default(),
            );
            e.write_all(data)?;
            e.finish()
        }
        Compression::None => Ok(data.to_vec()),
    }
}
