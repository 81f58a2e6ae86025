//! Streaming readers: one input file -> an iterator of [`Record`]s in file order.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use tamis_core::{Document, Metadata};

use crate::adapter::{parse_document, Keys};
use crate::input::{Compression, Format, InputFile};
use crate::record::{reason, Location, Quarantined, Record};

/// How records are read. `Default` gives datatrove's keys and generous limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadOptions {
    /// Longest JSONL line (without its newline) or text file accepted, in decompressed bytes.
    /// A longer line is skipped without being buffered whole and reported as `line_too_long`,
    /// so one runaway line cannot take the process down. A shorter line whose JSON would
    /// take more than this once parsed (its length plus 72 bytes per value, the size of a
    /// `serde_json::Value`: a line of `[0,0,0,...]` grows 36-fold) is reported as
    /// `json_too_large` without being parsed.
    /// Default 256 MiB.
    pub max_record_bytes: usize,
    /// Key holding the document text. Default `"text"`.
    pub text_key: String,
    /// Key holding the document id. Default `"id"`.
    pub id_key: String,
    /// Add `metadata.file_path` (the input path as expanded) when the record has none, as
    /// datatrove's disk readers do (they store the resolved, absolute path). Default off, so
    /// documents round-trip unchanged.
    pub add_file_path: bool,
    /// Stop a file after this many decompressed bytes with a `decompressed_too_large` record:
    /// a guard against decompression bombs, which per-record limits alone only slow down.
    /// Default `None` (no limit), since real shards are routinely tens of GB decompressed.
    pub max_decompressed_bytes: Option<u64>,
    /// Largest zstd window accepted, as a power of two. Default 27 (128 MiB), the zstd CLI's
    /// own default limit; files made with `zstd --long=31` need 31. A frame asking for more is
    /// reported as `decompress_error` instead of allocating the window.
    pub zstd_window_log_max: u32,
}

impl Default for ReadOptions {
    fn default() -> Self {
        Self {
            max_record_bytes: 256 << 20,
            text_key: "text".to_owned(),
            id_key: "id".to_owned(),
            add_file_path: false,
            max_decompressed_bytes: None,
            zstd_window_log_max: 27,
        }
    }
}

/// What a reader has seen so far; the pipeline adds these to its stats.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadStats {
    /// Lines read, blank ones included (JSONL); 1 for a text file that was read.
    pub lines: u64,
    /// Blank (whitespace-only) lines skipped.
    pub blank_lines: u64,
    /// Documents yielded.
    pub docs: u64,
    /// Quarantined records yielded.
    pub bad: u64,
    /// Decompressed bytes consumed.
    pub decompressed_bytes: u64,
    /// Bytes read from the file on disk (includes read-ahead, so it can exceed what the
    /// decompressor consumed by up to one buffer).
    pub compressed_bytes: u64,
}

/// Opens `input` lazily and yields its records in file order.
///
/// Never fails: a missing file, a bad compression header or any later fault comes out as a
/// [`Record::Bad`], after every good record that precedes it, and ends the file. Nothing is
/// opened until the first call to `next`, so building readers for thousands of files up front
/// is cheap.
///
/// One limit of streaming decoders: flate2 and zstd discard the output of the decode call that
/// hits corrupt data, so up to 32 KiB of decompressed data just before a corruption point may
/// not be yielded. The fault record's `byte_offset` is exactly where yielded data stops, so the
/// loss is visible. Truncation (`truncated_input`) loses nothing that could still be decoded:
/// every complete line before the cut is yielded, and the partial one is shown in `raw`.
pub fn read(input: &InputFile, opts: &ReadOptions) -> Reader {
    Reader::new(input.clone(), opts.clone())
}

/// Iterator over the records of one input file; see [`read`].
pub struct Reader {
    input: InputFile,
    /// `input.path` as a string, computed once: it goes into every location and default id.
    file: String,
    opts: ReadOptions,
    state: State,
    /// Line buffer reused for every line, so steady-state reading does not allocate per line.
    buf: Vec<u8>,
    /// 1-based number of the line being read or last read.
    line_no: u64,
    /// Decompressed bytes consumed.
    pos: u64,
    stats: ReadStats,
    source: Arc<SourceCounter>,
    compression: Option<Compression>,
}

enum State {
    Unopened,
    Jsonl(Box<dyn BufRead + Send>),
    Archive(Box<crate::warc::ArchiveDocuments<Box<dyn BufRead + Send>>>),
    Parquet(Box<crate::parquet::ParquetDocs>),
    Done,
}

/// Read buffer for the file on disk: large enough that a syscall is amortised over many lines.
pub(crate) const BUF_SIZE: usize = 256 << 10;
/// Buffer for the decompressed stream. Both decoders discard the output of a `read` call that
/// ends in an error, so this bounds how much good data just before a corruption point can be
/// lost (and fall inside the reported fault) while keeping per-call overhead negligible.
pub(crate) const DECODED_BUF: usize = 32 << 10;
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

impl Reader {
    pub fn new(input: InputFile, opts: ReadOptions) -> Self {
        let file = input.display_path();
        Self {
            input,
            file,
            opts,
            state: State::Unopened,
            buf: Vec::new(),
            line_no: 0,
            pos: 0,
            stats: ReadStats::default(),
            source: Arc::new(SourceCounter::default()),
            compression: None,
        }
    }

    pub fn input(&self) -> &InputFile {
        &self.input
    }

    /// Counts so far (final once the iterator has returned `None`).
    pub fn stats(&self) -> ReadStats {
        ReadStats {
            decompressed_bytes: self.pos,
            compressed_bytes: self.source.bytes.load(Ordering::Relaxed),
            ..self.stats
        }
    }

    /// The compression actually decoded, once the file is open: the magic bytes' verdict, which
    /// may differ from the file name's.
    pub fn compression(&self) -> Option<Compression> {
        self.compression
    }

    fn loc(&self, line: u64, byte_offset: u64) -> Location {
        Location {
            file: self.file.clone(),
            line,
            byte_offset,
        }
    }

    fn emit(&mut self, r: Record) -> Option<Record> {
        match &r {
            Record::Doc { .. } => self.stats.docs += 1,
            Record::Bad(_) => self.stats.bad += 1,
        }
        Some(r)
    }

    fn emit_bad(&mut self, q: Quarantined) -> Option<Record> {
        self.emit(Record::Bad(q))
    }

    /// Opens the file, checks its magic bytes against its name and stacks the decoder.
    fn open(&mut self) -> Result<Box<dyn BufRead + Send>, Quarantined> {
        if let Some(issue) = &self.input.issue {
            return Err(Quarantined::new(
                Location::file_only(self.file.clone()),
                issue.reason,
                issue.message.clone(),
            ));
        }
        let unreadable = |msg: String| {
            Quarantined::new(
                Location::file_only(self.file.clone()),
                reason::UNREADABLE_PATH,
                msg,
            )
        };
        let file = File::open(&self.input.path).map_err(|e| unreadable(e.to_string()))?;
        let size = match file.metadata() {
            Ok(m) if m.is_dir() => return Err(unreadable("is a directory".to_owned())),
            Ok(m) => m.is_file().then_some(m.len()),
            Err(e) => return Err(unreadable(e.to_string())),
        };
        let counting = CountingReader {
            inner: file,
            counter: Arc::clone(&self.source),
        };
        let mut raw = BufReader::with_capacity(BUF_SIZE, counting);
        let head = loop {
            match raw.fill_buf() {
                Ok(h) => break h,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(Quarantined::new(
                        Location::file_only(self.file.clone()),
                        reason::READ_ERROR,
                        e.to_string(),
                    ))
                }
            }
        };
        let claimed = self.input.compression;
        let actual = match Compression::from_magic(head) {
            Some(c) => c,
            // An empty file is an empty stream whatever its name says; reported as empty_file.
            None if head.is_empty() => Compression::None,
            None if claimed == Compression::None => Compression::None,
            None => {
                let shown: Vec<String> = head.iter().take(4).map(|b| format!("{b:02x}")).collect();
                let msg = format!(
                    "file name says {} but the data starts with bytes [{}], not {} magic bytes",
                    claimed.name(),
                    shown.join(" "),
                    claimed.name()
                );
                return Err(Quarantined::new(
                    Location::file_only(self.file.clone()),
                    reason::DECOMPRESS_ERROR,
                    msg,
                ));
            }
        };
        self.compression = Some(actual);
        if let Some(size) = size.filter(|&s| crate::members::worth_it(actual, s)) {
            // Members or frames decoded by several pool jobs at once; the same bytes.
            return Ok(Box::new(crate::members::Members::new(
                self.input.path.clone(),
                actual,
                size,
                self.opts.zstd_window_log_max,
                Arc::clone(&self.source),
            )));
        }
        crate::members::stream_decoder(raw, actual, self.opts.zstd_window_log_max).map_err(|e| {
            Quarantined::new(
                Location::file_only(self.file.clone()),
                reason::DECOMPRESS_ERROR,
                format!("cannot start zstd decoder: {e}"),
            )
        })
    }

    fn next_jsonl(&mut self) -> Option<Record> {
        loop {
            if let Some(cap) = self.opts.max_decompressed_bytes {
                if self.pos > cap {
                    self.state = State::Done;
                    let q = Quarantined::new(
                        self.loc(self.line_no + 1, self.pos),
                        reason::DECOMPRESSED_TOO_LARGE,
                        format!(
                            "stopped after {} decompressed bytes (max_decompressed_bytes = \
                             {cap}); the rest of the file was not read",
                            self.pos
                        ),
                    );
                    return self.emit_bad(q);
                }
            }
            let State::Jsonl(src) = &mut self.state else {
                return None;
            };
            let start = self.pos;
            self.line_no += 1;
            let res = read_line(
                src.as_mut(),
                &mut self.buf,
                self.opts.max_record_bytes,
                &mut self.pos,
            );
            match res {
                Ok(None) => {
                    self.line_no -= 1;
                    self.state = State::Done;
                    return self.empty_file_record();
                }
                Err(e) => {
                    self.state = State::Done;
                    let q = self.stream_fault(&e, start);
                    return self.emit_bad(q);
                }
                Ok(Some(line)) => {
                    self.stats.lines += 1;
                    if let Some(r) = self.line_record(start, line) {
                        return self.emit(r);
                    }
                }
            }
        }
    }

    /// Turns the line in `self.buf` into a record; `None` for a blank line.
    fn line_record(&mut self, start: u64, line: LineMeta) -> Option<Record> {
        let line_no = self.line_no;
        let loc = self.loc(line_no, start);
        if line.too_long {
            let q = Quarantined::new(
                loc,
                reason::LINE_TOO_LONG,
                format!(
                    "line is {} bytes, over max_record_bytes = {}; skipped without buffering",
                    line.len, self.opts.max_record_bytes
                ),
            )
            .with_raw(&self.buf);
            return Some(Record::Bad(q));
        }
        let mut bytes = &self.buf[..];
        let mut skipped = 0;
        if start == 0 && bytes.starts_with(UTF8_BOM) {
            bytes = &bytes[UTF8_BOM.len()..];
            skipped = UTF8_BOM.len();
        }
        if bytes.iter().all(|b| matches!(b, b' ' | b'\t' | b'\r')) {
            self.stats.blank_lines += 1;
            return None;
        }
        let text = match std::str::from_utf8(bytes) {
            Ok(t) => t,
            Err(e) => {
                let at = start + (skipped + e.valid_up_to()) as u64;
                let q = Quarantined::new(
                    loc,
                    reason::INVALID_UTF8,
                    format!(
                        "invalid UTF-8 at byte offset {at} (byte {} of the line)",
                        skipped + e.valid_up_to()
                    ),
                )
                .with_raw(bytes);
                return Some(Record::Bad(q));
            }
        };
        let keys = Keys {
            text: &self.opts.text_key,
            id: &self.opts.id_key,
            file_path: self.opts.add_file_path.then_some(self.file.as_str()),
        };
        if let Some(parsed) = parsed_size_over(text.as_bytes(), self.opts.max_record_bytes) {
            let q = Quarantined::new(
                loc,
                reason::JSON_TOO_LARGE,
                format!(
                    "the line's JSON would take about {parsed} bytes once parsed \
                     ({} bytes of text and {} bytes per value), over max_record_bytes = {}; \
                     not parsed",
                    text.len(),
                    PARSED_VALUE_BYTES,
                    self.opts.max_record_bytes
                ),
            )
            .with_raw(bytes);
            return Some(Record::Bad(q));
        }
        let file = &self.file;
        match parse_document(text, &keys, || format!("{file}/{}", line_no - 1)) {
            Ok(doc) => Some(Record::Doc { doc, loc }),
            Err((reason, message)) => Some(Record::Bad(
                Quarantined::new(loc, reason, message).with_raw(bytes),
            )),
        }
    }

    /// The next record of a web archive. Leaves `self.state` at `Done` when the file ends.
    fn next_archive(
        &mut self,
        mut docs: Box<crate::warc::ArchiveDocuments<Box<dyn BufRead + Send>>>,
    ) -> Option<Record> {
        if let Some(cap) = self.opts.max_decompressed_bytes {
            // Checked between records, like JSONL lines: a record is bounded by `max_body`.
            if docs.bytes_read() > cap {
                let q = Quarantined::new(
                    self.loc(0, self.pos),
                    reason::DECOMPRESSED_TOO_LARGE,
                    format!(
                        "stopped after {} decompressed bytes (max_decompressed_bytes = {cap}); \
                         the rest of the file was not read",
                        self.pos
                    ),
                );
                return self.emit_bad(q);
            }
        }
        let r = docs.next();
        self.pos = docs.bytes_read();
        match r {
            // Ended by the stream limit: reported as when it is met between records.
            None if self
                .opts
                .max_decompressed_bytes
                .is_some_and(|cap| self.pos > cap) =>
            {
                self.next_archive(docs)
            }
            None => {
                let s = docs.stats();
                // Records that are not documents (request, warcinfo, ...) are not "empty".
                if s.other_type + s.not_html > 0 {
                    return None;
                }
                self.empty_file_record()
            }
            Some(Record::Bad(q)) if q.reason == reason::READ_ERROR => {
                // The archive reader stops after a failed read: classify it as JSONL does.
                let kind = docs.stream_error().unwrap_or(io::ErrorKind::Other);
                let (reason, what) = self.classify_stream_error(kind);
                let compressed = self.source.bytes.load(Ordering::Relaxed);
                let size = self
                    .input
                    .size
                    .map_or_else(String::new, |s| format!(" of {s}"));
                let message = format!(
                    "{what} ({}) at decompressed byte {}, after reading {compressed}{size} bytes \
                     from disk; nothing from byte {} on was used",
                    q.message, self.pos, q.loc.byte_offset
                );
                self.emit_bad(Quarantined::new(q.loc, reason, message))
            }
            Some(r) => {
                self.state = State::Archive(docs);
                self.emit(r)
            }
        }
    }

    /// At the end of a file: the `empty_file` record if the file yielded nothing at all.
    fn empty_file_record(&mut self) -> Option<Record> {
        if self.stats.docs + self.stats.bad > 0 {
            return None;
        }
        let compressed = self.source.bytes.load(Ordering::Relaxed);
        let message = if compressed == 0 {
            "file is empty (0 bytes)".to_owned()
        } else if self.pos == 0 {
            format!(
                "{} stream of {compressed} bytes decompresses to 0 bytes",
                self.compression.unwrap_or_default().name()
            )
        } else if self.input.format == Format::Archive {
            format!("no records: {} bytes of blank lines", self.pos)
        } else {
            format!(
                "no records: {} bytes in {} lines, all blank",
                self.pos, self.stats.lines
            )
        };
        let q = Quarantined::new(
            Location::file_only(self.file.clone()),
            reason::EMPTY_FILE,
            message,
        );
        self.emit_bad(q)
    }

    /// The reason for a read that failed mid-stream, and a phrase saying what happened: a
    /// failure of the file itself, a compressed stream cut short, or corrupt compressed data.
    fn classify_stream_error(&self, kind: io::ErrorKind) -> (&'static str, String) {
        let compression = self.compression.unwrap_or_default();
        if self.source.failed.load(Ordering::Relaxed) || compression == Compression::None {
            (reason::READ_ERROR, "read error".to_owned())
        } else if kind == io::ErrorKind::UnexpectedEof {
            (
                reason::TRUNCATED_INPUT,
                format!("{} stream ends early", compression.name()),
            )
        } else {
            (
                reason::DECOMPRESS_ERROR,
                format!("corrupt {} data", compression.name()),
            )
        }
    }

    /// A read that failed mid-stream: classify it and describe how far we got. `start` is the
    /// offset where the interrupted record began; its partial bytes, if any, are in `self.buf`.
    fn stream_fault(&self, e: &io::Error, start: u64) -> Quarantined {
        let (reason, what) = self.classify_stream_error(e.kind());
        let compressed = self.source.bytes.load(Ordering::Relaxed);
        let size = self
            .input
            .size
            .map_or_else(String::new, |s| format!(" of {s}"));
        let partial = self.pos - start;
        let mut message = format!(
            "{what} ({e}) at decompressed byte {}, after reading {compressed}{size} bytes from disk",
            self.pos
        );
        if partial > 0 {
            message.push_str(&format!(
                "; the incomplete record at line {} ({partial} bytes) was discarded",
                self.line_no
            ));
        }
        let q = Quarantined::new(self.loc(self.line_no, self.pos), reason, message);
        if partial > 0 {
            q.with_raw(&self.buf)
        } else {
            q
        }
    }

    /// A text file is one document: read it whole (up to the limits) and validate it.
    fn read_text(&mut self, mut src: Box<dyn BufRead + Send>) -> Option<Record> {
        let max = self.opts.max_record_bytes as u64;
        let cap = self.opts.max_decompressed_bytes.unwrap_or(u64::MAX);
        let limit = max.min(cap).saturating_add(1);
        let mut data = Vec::new();
        if self.compression == Some(Compression::None) {
            if let Some(size) = self.input.size {
                data.reserve(size.min(limit) as usize);
            }
        }
        let res = src.as_mut().take(limit).read_to_end(&mut data);
        self.pos = data.len() as u64;
        self.line_no = 1 + memchr::memchr_iter(b'\n', &data).count() as u64;
        if let Err(e) = res {
            self.buf = data;
            let q = self.stream_fault(&e, 0);
            return self.emit_bad(q);
        }
        self.stats.lines = 1;
        if self.pos > max || self.pos > cap {
            let (reason, limit_name, limit) = if self.pos > max {
                (reason::FILE_TOO_LARGE, "max_record_bytes", max)
            } else {
                (
                    reason::DECOMPRESSED_TOO_LARGE,
                    "max_decompressed_bytes",
                    cap,
                )
            };
            let q = Quarantined::new(
                Location::file_only(self.file.clone()),
                reason,
                format!("text file is over {limit_name} = {limit} bytes"),
            )
            .with_raw(&data);
            return self.emit_bad(q);
        }
        if data.is_empty() {
            self.stats.lines = 0;
            return self.empty_file_record();
        }
        match String::from_utf8(data) {
            Ok(text) => {
                let mut metadata = Metadata::new();
                if self.opts.add_file_path {
                    metadata.insert("file_path".to_owned(), self.file.clone().into());
                }
                let doc = Document {
                    id: self.file.clone(),
                    text,
                    metadata,
                    edit_base: Default::default(),
                };
                let loc = self.loc(1, 0);
                self.emit(Record::Doc { doc, loc })
            }
            Err(e) => {
                let at = e.utf8_error().valid_up_to();
                let bytes = e.into_bytes();
                let line = 1 + memchr::memchr_iter(b'\n', &bytes[..at]).count() as u64;
                let q = Quarantined::new(
                    self.loc(line, at as u64),
                    reason::INVALID_UTF8,
                    format!("invalid UTF-8 at byte offset {at} (line {line})"),
                )
                .with_raw(&bytes);
                self.emit_bad(q)
            }
        }
    }
}

impl Iterator for Reader {
    type Item = Record;

    fn next(&mut self) -> Option<Record> {
        match std::mem::replace(&mut self.state, State::Done) {
            // Parquet needs random access (its footer is at the end): opened by its own reader,
            // not through the decompressing stream.
            State::Unopened
                if self.input.format == Format::Parquet && self.input.issue.is_none() =>
            {
                let mut docs = crate::parquet::ParquetDocs::new(
                    self.input.path.clone(),
                    self.file.clone(),
                    self.opts.clone(),
                );
                match docs.open() {
                    Ok(()) => {
                        self.state = State::Parquet(Box::new(docs));
                        self.next()
                    }
                    Err(q) => self.emit_bad(*q),
                }
            }
            State::Unopened => match self.open() {
                Ok(stream) => match self.input.format {
                    Format::Jsonl => {
                        self.buf = Vec::with_capacity(64 << 10);
                        self.state = State::Jsonl(stream);
                        self.next_jsonl()
                    }
                    Format::Text => self.read_text(stream),
                    Format::Parquet => unreachable!("parquet files are opened above"),
                    Format::Archive => {
                        // No record may be larger than what the whole file may decompress to.
                        let cap = self.opts.max_decompressed_bytes.unwrap_or(u64::MAX);
                        let max_body = (self.opts.max_record_bytes as u64).min(cap) as usize;
                        let mut docs =
                            crate::warc::ArchiveDocuments::new(stream, self.file.clone(), max_body);
                        if let Some(cap) = self.opts.max_decompressed_bytes {
                            docs = docs.with_stream_limit(cap);
                        }
                        self.state = State::Archive(Box::new(docs));
                        self.next()
                    }
                },
                Err(q) => self.emit_bad(q),
            },
            State::Jsonl(stream) => {
                self.state = State::Jsonl(stream);
                self.next_jsonl()
            }
            State::Archive(docs) => self.next_archive(docs),
            State::Parquet(mut docs) => match docs.next() {
                Some(r) => {
                    self.state = State::Parquet(docs);
                    self.emit(r)
                }
                None if docs.rows_read() == 0 => {
                    let q = Quarantined::new(
                        Location::file_only(self.file.clone()),
                        reason::EMPTY_FILE,
                        "parquet file has no rows",
                    );
                    self.emit_bad(q)
                }
                None => None,
            },
            State::Done => None,
        }
    }
}

impl std::iter::FusedIterator for Reader {}

/// What one parsed JSON value takes besides the bytes it owns (`serde_json::Value`'s size).
const PARSED_VALUE_BYTES: usize = std::mem::size_of::<serde_json::Value>();

/// `Some(estimate)` when `json` would take more than `max` bytes once parsed: its length plus
/// [`PARSED_VALUE_BYTES`] per value. Only lines long enough to get there are scanned.
fn parsed_size_over(json: &[u8], max: usize) -> Option<usize> {
    if json.len() <= max / (PARSED_VALUE_BYTES + 1) {
        return None;
    }
    let parsed = json.len() + json_values(json) * PARSED_VALUE_BYTES;
    (parsed > max).then_some(parsed)
}

/// About how many values (object keys included) `json` holds: one per `[`, `{`, `,` or `:`
/// outside strings, plus one. Exact for valid JSON up to empty containers, which only
/// overcount by one each.
fn json_values(json: &[u8]) -> usize {
    let (mut n, mut in_string, mut escaped) = (1usize, false, false);
    for &b in json {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
        } else {
            match b {
                b'"' => in_string = true,
                b'[' | b'{' | b',' | b':' => n += 1,
                _ => {}
            }
        }
    }
    n
}

/// Shape of one line read by [`read_line`].
#[derive(Debug, Clone, Copy)]
struct LineMeta {
    /// Length without the newline.
    len: u64,
    /// Longer than the limit: only the first [`crate::record::RAW_LIMIT`] bytes were kept.
    too_long: bool,
}

/// Reads one `\n`-terminated line (the last one may lack it) into `buf`, without the newline.
///
/// Unlike `BufRead::read_until`, it stops buffering once the line exceeds `max` bytes and
/// streams through the rest, so memory stays bounded by `max` whatever the input. `pos`
/// advances by every byte consumed, also when an error interrupts the line. `Ok(None)` at EOF.
fn read_line(
    src: &mut (dyn BufRead + Send),
    buf: &mut Vec<u8>,
    max: usize,
    pos: &mut u64,
) -> io::Result<Option<LineMeta>> {
    buf.clear();
    let mut len = 0u64;
    let mut too_long = false;
    let mut any = false;
    loop {
        let available = match src.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            return Ok(any.then_some(LineMeta { len, too_long }));
        }
        any = true;
        let (chunk, consumed, done) = match memchr::memchr(b'\n', available) {
            Some(i) => (&available[..i], i + 1, true),
            None => (available, available.len(), false),
        };
        len += chunk.len() as u64;
        if !too_long {
            if buf.len() + chunk.len() > max {
                too_long = true;
                buf.truncate(crate::record::RAW_LIMIT);
                let keep = crate::record::RAW_LIMIT.saturating_sub(buf.len());
                buf.extend_from_slice(&chunk[..keep.min(chunk.len())]);
            } else {
                buf.extend_from_slice(chunk);
            }
        }
        src.consume(consumed);
        *pos += consumed as u64;
        if done {
            return Ok(Some(LineMeta { len, too_long }));
        }
    }
}

/// Counts bytes read from disk and remembers whether the disk itself failed, so a fault seen
/// through the decoder can be told apart from corrupt compressed data.
#[derive(Debug, Default)]
pub(crate) struct SourceCounter {
    pub(crate) bytes: AtomicU64,
    pub(crate) failed: AtomicBool,
}

pub(crate) struct CountingReader<R> {
    pub(crate) inner: R,
    pub(crate) counter: Arc<SourceCounter>,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.inner.read(buf) {
            Ok(n) => {
                self.counter.bytes.fetch_add(n as u64, Ordering::Relaxed);
                Ok(n)
            }
            Err(e) => {
                if e.kind() != io::ErrorKind::Interrupted {
                    self.counter.failed.store(true, Ordering::Relaxed);
                }
                Err(e)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8], max: usize) -> Vec<(Vec<u8>, LineMeta, u64)> {
        let mut src: Box<dyn BufRead + Send> =
            Box::new(BufReader::with_capacity(7, io::Cursor::new(input.to_vec())));
        let mut buf = Vec::new();
        let mut pos = 0;
        let mut out = Vec::new();
        while let Some(m) = read_line(src.as_mut(), &mut buf, max, &mut pos).expect("read") {
            out.push((buf.clone(), m, pos));
        }
        out
    }

    #[test]
    fn read_line_splits_and_tracks_offsets() {
        let got = lines(b"ab\n\ncdefghijkl\nlast", 100);
        let texts: Vec<&[u8]> = got.iter().map(|(b, _, _)| b.as_slice()).collect();
        assert_eq!(texts, [&b"ab"[..], b"", b"cdefghijkl", b"last"]);
        let ends: Vec<u64> = got.iter().map(|(_, _, p)| *p).collect();
        assert_eq!(ends, [3, 4, 15, 19]);
    }

    #[test]
    fn read_line_bounds_memory_on_long_lines() {
        let mut input = vec![b'x'; 5000];
        input.extend_from_slice(b"\nok\n");
        let got = lines(&input, 2000);
        assert_eq!(got.len(), 2);
        assert!(got[0].1.too_long);
        assert_eq!(got[0].1.len, 5000);
        assert_eq!(got[0].0.len(), crate::record::RAW_LIMIT);
        assert!(!got[1].1.too_long);
        assert_eq!(got[1].0, b"ok");
    }

    #[test]
    fn read_line_limit_is_inclusive() {
        let got = lines(b"12345\n123456\n", 5);
        assert!(!got[0].1.too_long);
        assert!(got[1].1.too_long);
    }
}
