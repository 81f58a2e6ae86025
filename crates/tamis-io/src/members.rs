//! One gzip or zstd file decoded by several pool jobs at once.
//!
//! A compressed file made of many gzip members or zstd frames (web archives compress each
//! record on its own; tamis writes its outputs in 2 MiB frames) can be decoded in pieces at
//! once, but neither format says where its members start without decoding the one before.
//! [`Members`] cuts the compressed file into windows of [`WINDOW`] bytes. A pool job decodes,
//! from the first member that starts in its window (found by its magic bytes and a successful
//! decode), every member that starts in the window. Windows are joined in order, and a
//! window's bytes are used only when its first member starts exactly where the previous
//! window's last member ended, so a false start (magic bytes inside compressed data) is never
//! used.
//!
//! Anything unexpected (a member that fails to decode, a window that decodes to more than
//! [`WINDOW_DECODED_MAX`], a gap, bytes after the last member) ends the parallel decoding
//! there: the rest of the file is read by the ordinary streaming decoder from the last member
//! boundary, so faults are reported as a serial read reports them, and the bytes yielded are
//! those of the streaming decoder whatever the thread count. A file of one big member costs
//! one window's wasted decoding before the streaming decoder takes over.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Cursor, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;

use crate::input::Compression;
use crate::reader::{CountingReader, SourceCounter, BUF_SIZE, DECODED_BUF};
use crate::work::{spawn, Ticket};

/// Compressed bytes per window: tens of Common Crawl records, or two of tamis's frames.
pub(crate) const WINDOW: u64 = 1 << 20;
/// Decoded bytes a window may hold; past it the streaming decoder takes over (it streams).
pub(crate) const WINDOW_DECODED_MAX: usize = 16 << 20;
/// Windows decoded ahead of the consumer: enough to keep a few cores busy on one file while
/// memory stays a few windows per file.
const AHEAD: usize = 4;

/// Whether a file is worth decoding by windows: compressed, and at least two windows long.
pub(crate) fn worth_it(compression: Compression, size: u64) -> bool {
    compression != Compression::None && size >= 2 * WINDOW
}

/// The members decoded from one window: the first starts at `start`, the last ends at `end`.
struct Decoded {
    start: u64,
    end: u64,
    data: Vec<u8>,
}

struct Window {
    /// The window's last byte + 1.
    b: u64,
    found: Option<Decoded>,
}

/// See the module's documentation.
pub(crate) struct Members {
    path: PathBuf,
    compression: Compression,
    size: u64,
    window_log_max: u32,
    counter: Arc<SourceCounter>,
    /// Start of the next window to hand to a job.
    next_window: u64,
    pending: VecDeque<Ticket<Window>>,
    /// End of the members yielded so far: a member boundary.
    expected: u64,
    data: Vec<u8>,
    pos: usize,
    /// Buffers of windows already consumed, for the next jobs: fresh memory costs a page
    /// fault per 4 KiB, about as much as decoding it.
    spare: Vec<Vec<u8>>,
    /// The streaming decoder, once it has taken over.
    serial: Option<Box<dyn BufRead + Send>>,
}

impl Members {
    pub(crate) fn new(
        path: PathBuf,
        compression: Compression,
        size: u64,
        window_log_max: u32,
        counter: Arc<SourceCounter>,
    ) -> Self {
        counter.bytes.store(0, Ordering::Relaxed);
        Self {
            path,
            compression,
            size,
            window_log_max,
            counter,
            next_window: 0,
            pending: VecDeque::new(),
            expected: 0,
            data: Vec::new(),
            pos: 0,
            spare: Vec::new(),
            serial: None,
        }
    }

    fn launch(&mut self) {
        while self.pending.len() < AHEAD && self.next_window < self.size {
            let a = self.next_window;
            let b = (a + WINDOW).min(self.size);
            self.next_window = b;
            let (path, c, wlm) = (self.path.clone(), self.compression, self.window_log_max);
            let buf = self.spare.pop().unwrap_or_default();
            self.pending.push_back(spawn(move || Window {
                b,
                found: decode_window(&path, c, wlm, a, b, buf),
            }));
        }
    }

    /// Refills `data` with the next window's members, or hands over to the streaming decoder.
    fn refill(&mut self) -> io::Result<()> {
        while self.serial.is_none() && self.pos == self.data.len() {
            self.launch();
            let Some(ticket) = self.pending.pop_front() else {
                if self.expected < self.size {
                    // Bytes after the last member: the streaming decoder says what they are.
                    self.fall_back()?;
                }
                return Ok(());
            };
            // A panicked job: the streaming decoder takes over.
            let window = ticket.wait().unwrap_or(Window {
                b: u64::MAX,
                found: None,
            });
            match window.found {
                Some(d) if d.start == self.expected => {
                    self.expected = d.end;
                    self.counter.bytes.store(d.end, Ordering::Relaxed);
                    let mut used = std::mem::replace(&mut self.data, d.data);
                    used.clear();
                    self.spare.push(used);
                    self.pos = 0;
                }
                // Within members already yielded: a false start, or no start at all.
                Some(d) if d.start < self.expected => {}
                None if window.b <= self.expected => {}
                _ => self.fall_back()?,
            }
        }
        Ok(())
    }

    /// Reads the rest of the file with the streaming decoder, from the last member boundary.
    fn fall_back(&mut self) -> io::Result<()> {
        self.pending.clear();
        let mut file = File::open(&self.path)?;
        file.seek(SeekFrom::Start(self.expected))?;
        self.counter.bytes.store(self.expected, Ordering::Relaxed);
        let raw = BufReader::with_capacity(
            BUF_SIZE,
            CountingReader {
                inner: file,
                counter: Arc::clone(&self.counter),
            },
        );
        self.serial = Some(stream_decoder(raw, self.compression, self.window_log_max)?);
        Ok(())
    }
}

/// The streaming decoder of a whole (rest of a) file.
pub(crate) fn stream_decoder<R: BufRead + Send + 'static>(
    raw: R,
    compression: Compression,
    window_log_max: u32,
) -> io::Result<Box<dyn BufRead + Send>> {
    Ok(match compression {
        Compression::None => Box::new(raw),
        // Multi-member: concatenated gzip files (and many crawl dumps) are one stream.
        Compression::Gzip => Box::new(BufReader::with_capacity(
            DECODED_BUF,
            flate2::bufread::MultiGzDecoder::new(raw),
        )),
        Compression::Zstd => {
            let mut dec = zstd::stream::read::Decoder::with_buffer(raw)?;
            dec.window_log_max(window_log_max)?;
            Box::new(BufReader::with_capacity(DECODED_BUF, dec))
        }
    })
}

impl Read for Members {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = {
            let have = self.fill_buf()?;
            let n = have.len().min(buf.len());
            buf[..n].copy_from_slice(&have[..n]);
            n
        };
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for Members {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.refill()?;
        match &mut self.serial {
            Some(s) => s.fill_buf(),
            None => Ok(&self.data[self.pos..]),
        }
    }

    fn consume(&mut self, n: usize) {
        match &mut self.serial {
            Some(s) => s.consume(n),
            None => self.pos += n,
        }
    }
}

/// A reader that counts the bytes consumed from it: where a member ends.
struct Tracked<R> {
    inner: R,
    pos: u64,
}

impl<R: BufRead> Read for Tracked<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Tracked<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, n: usize) {
        self.inner.consume(n);
        self.pos += n as u64;
    }
}

/// Offsets in `head` where a member may start: the format's magic bytes (for gzip, followed by
/// flags with the reserved bits clear).
fn candidates(compression: Compression, head: &[u8]) -> Vec<usize> {
    match compression {
        Compression::Gzip => memchr::memmem::find_iter(head, &[0x1f, 0x8b, 0x08])
            .filter(|&p| head.get(p + 3).is_none_or(|f| f & 0xe0 == 0))
            .collect(),
        Compression::Zstd => memchr::memmem::find_iter(head, &[0x28, 0xb5, 0x2f, 0xfd]).collect(),
        Compression::None => Vec::new(),
    }
}

/// The members that start in `[a, b)`, from the first one that decodes; `None` when none does
/// (or the file cannot be read: the streaming decoder will say why).
fn decode_window(
    path: &Path,
    c: Compression,
    wlm: u32,
    a: u64,
    b: u64,
    mut data: Vec<u8>,
) -> Option<Decoded> {
    let mut file = File::open(path).ok()?;
    file.seek(SeekFrom::Start(a)).ok()?;
    let mut head = vec![0; (b - a) as usize];
    file.read_exact(&mut head).ok()?;
    // The file starts with a member; elsewhere its start is a guess to check.
    let starts = if a == 0 {
        vec![0]
    } else {
        candidates(c, &head)
    };
    'starts: for p in starts {
        file.seek(SeekFrom::Start(b)).ok()?;
        let start = a + p as u64;
        let mut r = Tracked {
            inner: Cursor::new(&head[p..]).chain(BufReader::with_capacity(BUF_SIZE, &file)),
            pos: start,
        };
        data.clear();
        // About what text compresses from; zstd frames say their size themselves.
        if c == Compression::Gzip {
            data.reserve(((b - a) as usize * 4).min(WINDOW_DECODED_MAX));
        }
        while r.pos < b && r.fill_buf().is_ok_and(|buf| !buf.is_empty()) {
            let (end, before) = (r.pos, data.len());
            if decode_member(c, wlm, &mut r, &mut data).is_err() {
                if end == start {
                    continue 'starts;
                }
                data.truncate(before);
                return Some(Decoded { start, end, data });
            }
        }
        if r.pos > start {
            return Some(Decoded {
                start,
                end: r.pos,
                data,
            });
        }
    }
    None
}

thread_local! {
    /// One zstd context per thread: a fresh one per frame would allocate and fault in its
    /// window buffer each time, which costs about as much as decoding a 2 MiB frame.
    static DCTX: std::cell::RefCell<zstd::zstd_safe::DCtx<'static>> =
        std::cell::RefCell::new(zstd::zstd_safe::DCtx::create());
}

fn zstd_error(code: usize) -> io::Error {
    io::Error::other(zstd::zstd_safe::get_error_name(code))
}

/// Appends one member's bytes to `data`; an error past [`WINDOW_DECODED_MAX`].
fn decode_member<R: BufRead>(
    c: Compression,
    wlm: u32,
    r: &mut R,
    data: &mut Vec<u8>,
) -> io::Result<()> {
    let room = (WINDOW_DECODED_MAX - data.len().min(WINDOW_DECODED_MAX)) as u64 + 1;
    match c {
        Compression::Gzip => flate2::bufread::GzDecoder::new(r)
            .take(room)
            .read_to_end(data)?,
        Compression::Zstd => {
            if let Ok(Some(n)) = zstd::zstd_safe::get_frame_content_size(r.fill_buf()?) {
                if n > room {
                    return Err(io::Error::other("window decodes to too much"));
                }
                data.reserve(n as usize);
            }
            DCTX.with(|ctx| -> io::Result<usize> {
                let mut ctx = ctx.borrow_mut();
                ctx.set_parameter(zstd::zstd_safe::DParameter::WindowLogMax(wlm))
                    .map_err(zstd_error)?;
                let n = zstd::stream::read::Decoder::with_context(r, &mut ctx)
                    .single_frame()
                    .take(room)
                    .read_to_end(data);
                n
            })?
        }
        Compression::None => return Err(io::Error::other("not compressed")),
    };
    if data.len() > WINDOW_DECODED_MAX {
        return Err(io::Error::other("window decodes to too much"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// Lines of pseudo-random words: text that compresses about 2:1.
    fn text(seed: u64, bytes: usize) -> Vec<u8> {
        let mut x = seed | 1;
        let mut out = Vec::with_capacity(bytes + 64);
        while out.len() < bytes {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            out.extend_from_slice(format!("{:x} ", x % 0xfffff).as_bytes());
            if x.is_multiple_of(11) {
                out.push(b'\n');
            }
        }
        out
    }

    fn member(c: Compression, data: &[u8], level: u32) -> Vec<u8> {
        match c {
            Compression::Gzip => {
                let mut e =
                    flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(level));
                e.write_all(data).unwrap();
                e.finish().unwrap()
            }
            _ => {
                // With a checksum, as tamis and the zstd CLI write: corruption is then seen.
                let mut z = zstd::bulk::Compressor::new(level as i32).unwrap();
                z.include_checksum(true).unwrap();
                z.compress(data).unwrap()
            }
        }
    }

    /// Members of many sizes: tiny ones, an empty one, one spanning several windows.
    fn members(c: Compression) -> (Vec<u8>, Vec<u8>) {
        let (mut file, mut plain) = (Vec::new(), Vec::new());
        let sizes = [
            70_000, 10, 0, 300_000, 3_000_000, 5_000, 900_000, 1_500_000, 40_000,
        ];
        for (i, &n) in sizes.iter().cycle().take(24).enumerate() {
            let t = text(i as u64 + 7, n);
            file.extend(member(c, &t, 1));
            plain.extend(t);
        }
        (file, plain)
    }

    fn write(bytes: &[u8]) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(bytes).unwrap();
        f
    }

    /// What the streaming decoder yields before its error, and the error's kind.
    fn serial(c: Compression, bytes: &[u8]) -> (Vec<u8>, Option<io::ErrorKind>) {
        let mut d = stream_decoder(Cursor::new(bytes.to_vec()), c, 27).unwrap();
        drain(&mut d)
    }

    fn drain(r: &mut dyn Read) -> (Vec<u8>, Option<io::ErrorKind>) {
        let mut out = Vec::new();
        let mut buf = vec![0; 32 << 10];
        loop {
            match r.read(&mut buf) {
                Ok(0) => return (out, None),
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(e) => return (out, Some(e.kind())),
            }
        }
    }

    /// Decodes `bytes` by windows, on a pool of `threads` (0: outside any pool).
    fn parallel(c: Compression, bytes: &[u8], threads: usize) -> (Vec<u8>, Option<io::ErrorKind>) {
        let f = write(bytes);
        let go = || {
            let counter = Arc::new(SourceCounter::default());
            let mut m = Members::new(f.path().into(), c, bytes.len() as u64, 27, counter);
            drain(&mut m)
        };
        if threads == 0 {
            go()
        } else {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(go)
        }
    }

    #[test]
    fn members_decoded_by_windows_are_the_stream_whatever_the_threads() {
        for c in [Compression::Gzip, Compression::Zstd] {
            let (file, plain) = members(c);
            assert!(worth_it(c, file.len() as u64), "{} bytes", file.len());
            for threads in [0, 1, 3] {
                let (got, err) = parallel(c, &file, threads);
                assert_eq!(err, None, "{c:?} at {threads} threads");
                assert!(got == plain, "{c:?} at {threads} threads: bytes differ");
            }
        }
    }

    #[test]
    fn a_member_hidden_inside_another_is_not_taken_for_a_start() {
        // A stored (level 0) gzip member whose content is itself a whole gzip member, placed
        // across a window boundary: a window finds the inner one first and must not use it.
        let inner = member(Compression::Gzip, &text(3, 200_000), 6);
        let mut content = text(1, (WINDOW as usize) - 1000);
        content.extend(&inner);
        content.extend(text(2, 100_000));
        let mut file = member(Compression::Gzip, &content, 0);
        let mut plain = content.clone();
        for i in 0..12 {
            let t = text(10 + i, 200_000);
            file.extend(member(Compression::Gzip, &t, 1));
            plain.extend(t);
        }
        let (got, err) = parallel(Compression::Gzip, &file, 2);
        assert_eq!(err, None);
        assert!(got == plain, "bytes differ");
    }

    #[test]
    fn faults_are_reported_as_the_stream_reports_them() {
        for c in [Compression::Gzip, Compression::Zstd] {
            let (file, _) = members(c);
            let mut corrupt = file.clone();
            let at = file.len() / 2;
            for b in &mut corrupt[at..at + 64] {
                *b ^= 0x5a;
            }
            let truncated = file[..file.len() - 3000].to_vec();
            let mut trailing = file.clone();
            trailing.extend_from_slice(b"not a member at all");
            for (what, bytes) in [
                ("corrupt", corrupt),
                ("truncated", truncated),
                ("trailing", trailing),
            ] {
                let (want, want_err) = serial(c, &bytes);
                let (got, got_err) = parallel(c, &bytes, 3);
                assert!(want_err.is_some(), "{c:?} {what}: the stream fails");
                assert_eq!(got_err, want_err, "{c:?} {what}");
                // The same bytes up to the fault, give or take the output of the streaming
                // decoder's last call, which it drops.
                let n = got.len().min(want.len());
                assert!(got[..n] == want[..n], "{c:?} {what}: bytes differ");
                assert!(
                    got.len() + DECODED_BUF >= want.len(),
                    "{c:?} {what}: less yielded"
                );
            }
        }
    }

    #[test]
    fn a_file_of_one_member_is_read_whole() {
        let plain = text(5, 6 << 20);
        for c in [Compression::Gzip, Compression::Zstd] {
            let file = member(c, &plain, 1);
            assert!(worth_it(c, file.len() as u64));
            let (got, err) = parallel(c, &file, 2);
            assert_eq!(err, None);
            assert!(got == plain, "{c:?}: bytes differ");
        }
    }

    /// What a reader made of a file, its name left out.
    fn records(path: &Path) -> Vec<String> {
        let f = crate::InputFile::new(path);
        crate::read(&f, &crate::ReadOptions::default())
            .map(|r| match r {
                crate::Record::Doc { doc, loc } => {
                    format!("{} {} {} {}", doc.id, loc.line, loc.byte_offset, doc.text)
                }
                crate::Record::Bad(q) => format!("bad {} {}", q.reason, q.loc.byte_offset),
            })
            .collect()
    }

    #[test]
    fn records_read_by_windows_are_those_of_the_plain_file() {
        // A JSONL file gzipped in members of a few lines, and a WARC gzipped record by
        // record, as crawls are: the records, line numbers and offsets of the plain files.
        let dir = tempfile::tempdir().unwrap();
        let mut jsonl = Vec::new();
        let mut warc = Vec::new();
        let (mut jsonl_gz, mut warc_gz) = (Vec::new(), Vec::new());
        for i in 0..400u64 {
            let t = String::from_utf8(text(i, 8_000)).unwrap();
            let line = format!(
                "{}\n",
                serde_json::json!({"id": format!("d{i}"), "text": t})
            );
            jsonl.extend(line.as_bytes());
            jsonl_gz.extend(member(Compression::Gzip, line.as_bytes(), 1));
            let body = format!("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<p>{t}</p>");
            let rec = format!(
                "WARC/1.0\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:r{i}>\r\n\
                 WARC-Target-URI: http://a.example/{i}\r\nContent-Length: {}\r\n\r\n{body}\r\n\r\n",
                body.len()
            );
            warc.extend(rec.as_bytes());
            warc_gz.extend(member(Compression::Gzip, rec.as_bytes(), 1));
        }
        for (name, plain, gz) in [("a.jsonl", jsonl, jsonl_gz), ("a.warc", warc, warc_gz)] {
            assert!(worth_it(Compression::Gzip, gz.len() as u64));
            let p = dir.path().join(name);
            let z = dir.path().join(format!("{name}.gz"));
            std::fs::write(&p, plain).unwrap();
            std::fs::write(&z, &gz).unwrap();
            let want = records(&p);
            assert_eq!(want.len(), 400, "{name}");
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(3)
                .build()
                .unwrap();
            assert!(
                pool.install(|| records(&z)) == want,
                "{name}: records differ"
            );
            let mut reader = crate::read(&crate::InputFile::new(&z), &Default::default());
            reader.by_ref().for_each(drop);
            assert_eq!(reader.stats().compressed_bytes, gz.len() as u64, "{name}");
        }
    }
}
