//! Web archive records: WARC 1.0/1.1 (and the 0.18 draft ClueWeb used) and the older ARC
//! format, read from an already decompressed stream.
//!
//! Formats: WARC is ISO 28500 (the IIPC "WARC 1.1" specification): a version line, header
//! fields up to an empty line, a `Content-Length` block, then two CRLFs. ARC is the Internet
//! Archive's format (ARC file format 1.0, 1996; 2.0 adds fields): one header line of
//! space-separated fields whose last is the length, the block, then a newline. Readers of real
//! archives are lenient where the writers were sloppy (bare LF line ends, a missing trailing
//! blank line, header names in any case), and strict where leniency would lose records
//! silently: a bad or missing length, a block cut short, or garbage where a record should
//! start ends the file with a fault naming the byte offset, after every good record before it.

use std::io::{BufRead, Read};

/// Longest header line or block accepted; a longer one is a fault, not an allocation.
pub const MAX_HEADER_LINE: usize = 64 << 10;

/// Most header lines of one record, and most bytes of them: real records have a dozen; a
/// record of millions (a header bomb) is a fault, not gigabytes of `String`s.
pub const MAX_HEADERS: usize = 1024;
pub const MAX_HEADER_BYTES: usize = 1 << 20;

/// The longest stray line tolerated right after a record (a few bytes a writer's short
/// `Content-Length` left behind); anything longer is a fault.
const MAX_STRAY_LINE: usize = 16;

/// One archive record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveRecord {
    /// Byte offset of the record's first byte in the decompressed stream.
    pub offset: u64,
    /// `WARC/1.0`, `WARC/1.1`, `WARC/0.18`, or `ARC` for ARC records.
    pub version: String,
    /// Header fields in file order, names as written. ARC records get `WARC-Target-URI`,
    /// `WARC-IP-Address`, `WARC-Date` (as in the file: `YYYYMMDDhhmmss`), `Content-Type` and
    /// `Content-Length`, so callers handle both formats alike; and `WARC-Type`: `warcinfo` for
    /// the `filedesc://` record, `response` for the others (their blocks hold the HTTP response).
    pub headers: Vec<(String, String)>,
    pub block: Vec<u8>,
}

impl ArchiveRecord {
    /// The first header named `name`, case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Why reading stopped early.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveFault {
    /// Where the bad record (or the garbage) starts.
    pub offset: u64,
    /// One of [`fault`]'s constants.
    pub reason: &'static str,
    pub message: String,
    /// For [`fault::READ_ERROR`]: the kind of the underlying I/O error, so a caller that knows
    /// the stream is decompressed can tell a cut-short file from corrupt data.
    pub io_kind: Option<std::io::ErrorKind>,
}

/// Fault reasons (quarantine `reason` values).
pub mod fault {
    /// No `WARC/` version line or ARC header where a record should start.
    pub const BAD_RECORD_START: &str = "bad_record_start";
    /// A header line without `name: value`, or too long.
    pub const BAD_HEADER: &str = "bad_header";
    /// `Content-Length` missing or not a number.
    pub const BAD_LENGTH: &str = "bad_content_length";
    /// The stream ends inside a record.
    pub const TRUNCATED: &str = "truncated_record";
    /// The underlying stream failed (decompression, I/O).
    pub const READ_ERROR: &str = "read_error";
}

/// Iterates over the records of a WARC or ARC stream. A bad record yields one `Err`; reading
/// then resumes at the next line that starts a record, so one bad record does not hide the
/// good ones after it.
pub struct ArchiveReader<R: BufRead> {
    r: R,
    pos: u64,
    done: bool,
    /// After a fault: skip lines until one starts a record.
    resync: bool,
    /// A record was just read: a short stray line may follow it.
    after_record: bool,
    junk_bytes: u64,
    line: Vec<u8>,
    /// The largest block accepted (a corrupt length must not allocate terabytes).
    max_block: u64,
    /// The last fault was a record over `max_block` skipped to its end: no resync needed.
    skipped_whole: bool,
    /// Reading stops once the stream passes this many bytes, even between the lines of one
    /// record's headers or of a resync (see [`ArchiveReader::with_stream_limit`]).
    stream_limit: u64,
}

impl<R: BufRead> ArchiveReader<R> {
    /// Bytes of stray lines skipped after records so far.
    pub fn junk_bytes(&self) -> u64 {
        self.junk_bytes
    }

    /// Bytes of the (decompressed) stream consumed so far.
    pub fn bytes_read(&self) -> u64 {
        self.pos
    }

    /// Ends the records once more than `limit` bytes of the stream were read: a caller's
    /// decompression-bomb guard then holds inside a record's headers and while skipping to the
    /// next record after a fault, not only between records. [`Self::bytes_read`] tells
    /// whether the limit ended it.
    pub fn with_stream_limit(mut self, limit: u64) -> Self {
        self.stream_limit = limit;
        self
    }

    pub fn new(r: R, max_block: u64) -> Self {
        Self {
            r,
            pos: 0,
            done: false,
            resync: false,
            after_record: false,
            junk_bytes: 0,
            line: Vec::new(),
            max_block,
            skipped_whole: false,
            stream_limit: u64::MAX,
        }
    }

    /// Reads one line (up to and including `\n`) into `self.line`; `Ok(false)` at the end.
    fn read_line(&mut self) -> Result<bool, ArchiveFault> {
        self.line.clear();
        let n = (&mut self.r)
            .take(MAX_HEADER_LINE as u64 + 1)
            .read_until(b'\n', &mut self.line)
            .map_err(|e| self.io_fault(self.pos, &e))?;
        self.pos += n as u64;
        if n > MAX_HEADER_LINE {
            return Err(self.fault(
                self.pos - n as u64,
                fault::BAD_HEADER,
                format!("header line longer than {MAX_HEADER_LINE} bytes"),
            ));
        }
        Ok(n > 0)
    }

    fn fault(&self, offset: u64, reason: &'static str, message: String) -> ArchiveFault {
        ArchiveFault {
            offset,
            reason,
            message,
            io_kind: None,
        }
    }

    fn io_fault(&self, offset: u64, e: &std::io::Error) -> ArchiveFault {
        ArchiveFault {
            io_kind: Some(e.kind()),
            ..self.fault(offset, fault::READ_ERROR, e.to_string())
        }
    }

    fn trimmed_line(&self) -> &[u8] {
        let mut l = self.line.as_slice();
        while let [rest @ .., b'\n' | b'\r'] = l {
            l = rest;
        }
        l
    }

    fn next_record(&mut self) -> Result<Option<ArchiveRecord>, ArchiveFault> {
        // Skip blank lines between records (writers disagree on how many there are), and after
        // a fault everything up to the next record start.
        let start = loop {
            let at = self.pos;
            if at > self.stream_limit || !self.read_line()? {
                return Ok(None);
            }
            let line = self.trimmed_line();
            if line.is_empty() {
                continue;
            }
            let starts =
                line.starts_with(b"WARC/") || arc_header(&String::from_utf8_lossy(line)).is_some();
            if !starts && self.after_record && self.line.len() <= MAX_STRAY_LINE {
                // A writer whose Content-Length was a few bytes short leaves them here; the
                // record before was read, so nothing is lost (warcio skips them with a warning).
                self.junk_bytes += self.line.len() as u64;
                self.after_record = false;
                continue;
            }
            if !self.resync || starts {
                self.resync = false;
                break at;
            }
        };
        self.after_record = false;
        let first = String::from_utf8_lossy(self.trimmed_line()).into_owned();
        if let Some(version) = first.strip_prefix("WARC/") {
            let version = format!("WARC/{}", version.trim());
            let headers = self.warc_headers(start)?;
            let len = content_length(&headers).ok_or_else(|| {
                self.fault(
                    start,
                    fault::BAD_LENGTH,
                    "missing or invalid Content-Length".into(),
                )
            })?;
            let block = self.block(start, len)?;
            return Ok(Some(ArchiveRecord {
                offset: start,
                version,
                headers,
                block,
            }));
        }
        if let Some(headers) = arc_header(&first) {
            let len = content_length(&headers).ok_or_else(|| {
                self.fault(start, fault::BAD_LENGTH, format!("ARC header {first:?}"))
            })?;
            let block = self.block(start, len)?;
            return Ok(Some(ArchiveRecord {
                offset: start,
                version: "ARC".into(),
                headers,
                block,
            }));
        }
        let shown: String = first.chars().take(80).collect();
        Err(self.fault(
            start,
            fault::BAD_RECORD_START,
            format!("expected a WARC version line or an ARC header, found {shown:?}"),
        ))
    }

    fn warc_headers(&mut self, start: u64) -> Result<Vec<(String, String)>, ArchiveFault> {
        let mut headers: Vec<(String, String)> = Vec::new();
        let mut bytes = 0usize;
        loop {
            if self.pos > self.stream_limit {
                return Err(self.fault(
                    start,
                    fault::BAD_HEADER,
                    format!(
                        "headers still going when the stream passed its limit of {} bytes",
                        self.stream_limit
                    ),
                ));
            }
            if !self.read_line()? {
                return Err(self.fault(start, fault::TRUNCATED, "ends inside the headers".into()));
            }
            bytes += self.line.len();
            if headers.len() >= MAX_HEADERS || bytes > MAX_HEADER_BYTES {
                return Err(self.fault(
                    start,
                    fault::BAD_HEADER,
                    format!(
                        "more than {MAX_HEADERS} header lines or {MAX_HEADER_BYTES} bytes of headers"
                    ),
                ));
            }
            let line = String::from_utf8_lossy(self.trimmed_line()).into_owned();
            if line.is_empty() {
                return Ok(headers);
            }
            if line.starts_with([' ', '\t']) {
                // A continuation line (RFC 2616 folding) extends the previous value.
                match headers.last_mut() {
                    Some((_, v)) => {
                        v.push(' ');
                        v.push_str(line.trim());
                        continue;
                    }
                    None => {
                        return Err(self.fault(
                            start,
                            fault::BAD_HEADER,
                            "continuation line before any header".into(),
                        ))
                    }
                }
            }
            let Some((name, value)) = line.split_once(':') else {
                let shown: String = line.chars().take(80).collect();
                return Err(self.fault(
                    start,
                    fault::BAD_HEADER,
                    format!("header line without a colon: {shown:?}"),
                ));
            };
            headers.push((name.trim().to_owned(), value.trim().to_owned()));
        }
    }

    fn block(&mut self, start: u64, len: u64) -> Result<Vec<u8>, ArchiveFault> {
        if len > self.max_block {
            // Skipped by its declared length, streamed into nothing: the record is one fault,
            // and nothing inside its body (which may hold whole WARC records) is read as a
            // record, as a resync would.
            let skipped = std::io::copy(&mut (&mut self.r).take(len), &mut std::io::sink())
                .map_err(|e| self.io_fault(start, &e))?;
            self.pos += skipped;
            self.skipped_whole = skipped == len;
            return Err(self.fault(
                start,
                fault::BAD_LENGTH,
                format!(
                    "block of {len} bytes is larger than the {} byte limit; skipped{}",
                    self.max_block,
                    if skipped < len {
                        format!(" (the stream ends {skipped} bytes into it)")
                    } else {
                        String::new()
                    }
                ),
            ));
        }
        // Reserved whole (`len` is within the limit): a block grown by doubling would touch up
        // to half as much memory again while copying. Pages of a reservation that a short
        // stream never fills are never touched.
        let mut block = Vec::with_capacity(len as usize);
        let got = (&mut self.r)
            .take(len)
            .read_to_end(&mut block)
            .map_err(|e| self.io_fault(start, &e))?;
        self.pos += got as u64;
        if (got as u64) < len {
            return Err(self.fault(
                start,
                fault::TRUNCATED,
                format!("block cut short: {got} of {len} bytes"),
            ));
        }
        Ok(block)
    }
}

impl<R: BufRead> Iterator for ArchiveReader<R> {
    type Item = Result<ArchiveRecord, ArchiveFault>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.next_record() {
            Ok(Some(r)) => {
                self.after_record = true;
                Some(Ok(r))
            }
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                // A failing stream cannot be read past; a bad record can. One skipped whole
                // ends where the next record starts.
                self.done = e.reason == fault::READ_ERROR;
                let whole = std::mem::take(&mut self.skipped_whole);
                self.resync = !whole;
                self.after_record = whole;
                Some(Err(e))
            }
        }
    }
}

fn content_length(headers: &[(String, String)]) -> Option<u64> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("Content-Length"))
        .and_then(|(_, v)| v.trim().parse().ok())
}

/// An ARC header line: `URL IP-address archive-date content-type length` (version 1), or
/// with more fields before the length (version 2); the URL may hold spaces in broken files,
/// so the fields are taken from the right.
fn arc_header(line: &str) -> Option<Vec<(String, String)>> {
    let fields: Vec<&str> = line.split(' ').filter(|f| !f.is_empty()).collect();
    if fields.len() < 5 {
        return None;
    }
    let len = fields[fields.len() - 1];
    if len.parse::<u64>().is_err() {
        return None;
    }
    // v1: URL IP date type length; the URL is everything before the last four fields.
    let (url_end, ip, date, ctype) = (
        fields.len() - 4,
        fields[fields.len() - 4],
        fields[fields.len() - 3],
        fields[fields.len() - 2],
    );
    let url = fields[..url_end].join(" ");
    if !(url.contains("://") || url.starts_with("filedesc:"))
        || !date.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    // As warcio's ARC-to-WARC mapping names them: the file description is the `warcinfo`.
    let kind = if url.starts_with("filedesc:") {
        "warcinfo"
    } else {
        "response"
    };
    Some(vec![
        ("WARC-Type".into(), kind.into()),
        ("WARC-Target-URI".into(), url),
        ("WARC-IP-Address".into(), ip.into()),
        ("WARC-Date".into(), date.into()),
        ("Content-Type".into(), ctype.into()),
        ("Content-Length".into(), len.into()),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(bytes: &[u8]) -> Vec<Result<ArchiveRecord, ArchiveFault>> {
        ArchiveReader::new(bytes, 1 << 20).collect()
    }

    const REC: &str = "WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: http://a.example/\r\n\
                       Content-Length: 5\r\n\r\nhello\r\n\r\n";

    #[test]
    fn reads_records_and_tolerates_sloppy_separators() {
        let two = format!("{REC}{}", REC.replace("\r\n\r\nhello\r\n\r\n", "\n\nhello"));
        let recs = read(two.as_bytes());
        assert_eq!(recs.len(), 2);
        let r = recs[0].as_ref().unwrap();
        assert_eq!(
            (r.version.as_str(), r.block.as_slice()),
            ("WARC/1.0", &b"hello"[..])
        );
        assert_eq!(r.header("warc-target-uri"), Some("http://a.example/"));
        assert_eq!(recs[1].as_ref().unwrap().offset, REC.len() as u64);
    }

    #[test]
    fn faults_name_the_offset_and_reading_resumes_at_the_next_record() {
        let cut = &REC.as_bytes()[..REC.len() - 7];
        let recs = read(format!("{REC}{}", std::str::from_utf8(cut).unwrap()).as_bytes());
        assert_eq!(recs.len(), 2);
        let f = recs[1].as_ref().unwrap_err();
        assert_eq!((f.offset, f.reason), (REC.len() as u64, fault::TRUNCATED));

        let f = read(b"GET / HTTP/1.1\r\n\r\n")[0].clone().unwrap_err();
        assert_eq!((f.offset, f.reason), (0, fault::BAD_RECORD_START));
        // Garbage, then a good record: one fault, then the record.
        let mixed = format!("garbage line\r\nmore\r\n{REC}");
        let recs = read(mixed.as_bytes());
        assert_eq!(recs.len(), 2);
        assert_eq!(recs[0].as_ref().unwrap_err().offset, 0);
        assert_eq!(recs[1].as_ref().unwrap().offset, 20);
        let f = read(b"WARC/1.0\r\nContent-Length: x\r\n\r\n")[0]
            .clone()
            .unwrap_err();
        assert_eq!(f.reason, fault::BAD_LENGTH);
        let huge = read(b"WARC/1.0\r\nContent-Length: 99999999999\r\n\r\n");
        assert_eq!(huge[0].as_ref().unwrap_err().reason, fault::BAD_LENGTH);
    }

    #[test]
    fn a_header_bomb_is_one_fault_and_the_next_record_is_read() {
        let bomb = format!("WARC/1.0\r\n{}\r\n", "X: y\r\n".repeat(200_000));
        let text = format!("{bomb}{REC}");
        let recs: Vec<_> = ArchiveReader::new(text.as_bytes(), 1 << 20).collect();
        assert_eq!(
            recs.len(),
            2,
            "{:?}",
            recs.iter().map(|r| r.is_ok()).collect::<Vec<_>>()
        );
        let f = recs[0].as_ref().unwrap_err();
        assert_eq!((f.offset, f.reason), (0, fault::BAD_HEADER));
        assert_eq!(recs[1].as_ref().unwrap().offset, bomb.len() as u64);
    }

    #[test]
    fn an_oversized_record_is_skipped_whole_without_reading_its_body() {
        // The body of the oversized record holds a whole record (smuggled) and 4 KiB of zeros.
        let body = format!("{REC}{}", "\0".repeat(4096));
        let big = format!(
            "WARC/1.0\r\nWARC-Type: resource\r\nContent-Length: {}\r\n\r\n{body}\r\n\r\n",
            body.len()
        );
        let text = format!("{big}{REC}");
        let recs: Vec<_> = ArchiveReader::new(text.as_bytes(), 1024).collect();
        assert_eq!(recs.len(), 2, "{recs:?}");
        let f = recs[0].as_ref().unwrap_err();
        assert_eq!((f.offset, f.reason), (0, fault::BAD_LENGTH));
        assert!(f.message.contains("skipped"), "{}", f.message);
        // The next record is the one after it, not the one inside it.
        assert_eq!(recs[1].as_ref().unwrap().offset, big.len() as u64);
    }

    #[test]
    fn a_few_stray_bytes_after_a_record_are_skipped_and_counted() {
        let text = format!("{REC}m\r\n\r\n{REC}");
        let mut reader = ArchiveReader::new(text.as_bytes(), 1 << 20);
        assert_eq!(reader.by_ref().filter(Result::is_ok).count(), 2);
        assert_eq!(reader.junk_bytes(), 3);
        // At the start of a file, or longer, it is a fault.
        assert!(read(b"m\r\n")[0].is_err());
        let long = format!("{REC}{}\r\n{REC}", "x".repeat(40));
        assert!(read(long.as_bytes()).iter().any(Result::is_err));
    }

    #[test]
    fn arc_records_get_warc_style_headers() {
        let arc = b"http://www.example.com/ 93.184.216.34 20140216050323 text/html 5\nhello\n";
        let r = read(arc)[0].clone().unwrap();
        assert_eq!(r.version, "ARC");
        assert_eq!(r.header("WARC-Target-URI"), Some("http://www.example.com/"));
        assert_eq!(r.header("WARC-Type"), Some("response"));
        assert_eq!(r.block, b"hello");
    }
}

/// What [`ArchiveDocuments`] did with the records it did not turn into documents.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ArchiveStats {
    /// Records of other types (`request`, `metadata`, `warcinfo`, `revisit`, ...).
    pub other_type: u64,
    /// `response` or `conversion` records whose payload is not HTML (or, for WET, text).
    pub not_html: u64,
}

/// The documents of a WARC, WET or ARC stream, as datatrove's `WarcReader` makes them
/// (datatrove 0.10.1 `src/datatrove/pipeline/readers/warc.py`, `process_record`): one per
/// `response` record with an HTML payload (HTTP head removed, body decoded to text) and per WET
/// `conversion` record; id = `WARC-Record-ID`, `metadata.url` and `metadata.date` from the
/// record. Other records are skipped and counted in [`ArchiveStats`]; faults become
/// quarantine records with the file and the record's byte offset, and reading goes on.
pub struct ArchiveDocuments<R: BufRead> {
    records: ArchiveReader<R>,
    file: String,
    max_body: usize,
    stats: ArchiveStats,
    /// The I/O error kind of the last stream fault yielded, if any.
    stream_error: Option<std::io::ErrorKind>,
}

impl<R: BufRead> ArchiveDocuments<R> {
    /// `file` names the input in locations; `max_body` bounds a record's block and its decoded
    /// body.
    pub fn new(r: R, file: impl Into<String>, max_body: usize) -> Self {
        Self {
            records: ArchiveReader::new(r, max_body as u64),
            file: file.into(),
            max_body,
            stats: ArchiveStats::default(),
            stream_error: None,
        }
    }

    /// See [`ArchiveReader::with_stream_limit`].
    pub fn with_stream_limit(mut self, limit: u64) -> Self {
        self.records = self.records.with_stream_limit(limit);
        self
    }

    pub fn stats(&self) -> ArchiveStats {
        self.stats
    }

    /// Bytes of the (decompressed) stream consumed so far.
    pub fn bytes_read(&self) -> u64 {
        self.records.bytes_read()
    }

    /// After a `read_error` record: the kind of the I/O error that ended the stream.
    pub fn stream_error(&self) -> Option<std::io::ErrorKind> {
        self.stream_error
    }

    fn loc(&self, offset: u64) -> crate::Location {
        crate::Location {
            file: self.file.clone(),
            line: 0,
            byte_offset: offset,
        }
    }

    /// The document of `rec`, `Ok(None)` when it is not one.
    fn document(
        &mut self,
        rec: &mut ArchiveRecord,
    ) -> Result<Option<tamis_core::Document>, (&'static str, String)> {
        let fault = |e: crate::http::HttpError| {
            let reason = match e {
                crate::http::HttpError::TooLarge(_) => crate::reason::DECOMPRESSED_TOO_LARGE,
                crate::http::HttpError::UnsupportedEncoding(_) => crate::reason::DECOMPRESS_ERROR,
                crate::http::HttpError::TextTooLarge(..) => crate::reason::TEXT_TOO_LARGE,
            };
            (reason, e.to_string())
        };
        // The block is taken, not copied: it can be hundreds of megabytes.
        let block = std::mem::take(&mut rec.block);
        let kind = rec.header("WARC-Type").unwrap_or_default();
        let payload_type = rec
            .header("WARC-Identified-Payload-Type")
            .map(|t| t.trim().to_ascii_lowercase());
        let text = match kind {
            "conversion" => {
                if payload_type
                    .as_deref()
                    .is_some_and(|t| !is_html(t) && t != "text/plain")
                {
                    self.stats.not_html += 1;
                    return Ok(None);
                }
                crate::http::utf8_lossy_owned(block, self.max_body).map_err(fault)?
            }
            "response" => {
                let resp =
                    crate::http::parse_response_owned(block, self.max_body).map_err(fault)?;
                let ctype = resp.header("Content-Type");
                let html = match payload_type.as_deref() {
                    Some(t) => is_html(t),
                    None => ctype.map_or_else(|| sniff_html(&resp.body), is_html),
                };
                if !html {
                    self.stats.not_html += 1;
                    return Ok(None);
                }
                let ctype = ctype.map(str::to_owned);
                // By value: a body of valid UTF-8 (most pages) becomes the text without a copy.
                crate::http::decode_text_owned(resp.body, ctype.as_deref(), self.max_body)
                    .map_err(fault)?
                    .0
            }
            _ => {
                self.stats.other_type += 1;
                return Ok(None);
            }
        };
        let id = rec
            .header("WARC-Record-ID")
            .map(str::to_owned)
            .unwrap_or_else(|| format!("{}@{}", self.file, rec.offset));
        let mut doc = tamis_core::Document::new(id, text);
        for (key, header) in [("url", "WARC-Target-URI"), ("date", "WARC-Date")] {
            if let Some(v) = rec.header(header) {
                doc.metadata.insert(key.into(), v.into());
            }
        }
        Ok(Some(doc))
    }
}

/// A media type (possibly with parameters) that holds HTML.
fn is_html(media_type: &str) -> bool {
    let t = media_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    t == "text/html" || t == "application/xhtml+xml"
}

/// No type given anywhere: HTML if it starts like HTML (the WHATWG MIME sniffing patterns for
/// HTML, reduced to the common tags).
fn sniff_html(body: &[u8]) -> bool {
    let start = body
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(body.len());
    let head = &body[start..body.len().min(start + 16)];
    let lower: Vec<u8> = head.iter().map(u8::to_ascii_lowercase).collect();
    [
        &b"<!doctype html"[..],
        b"<html",
        b"<head",
        b"<body",
        b"<!--",
    ]
    .iter()
    .any(|p| lower.starts_with(p))
}

impl<R: BufRead> Iterator for ArchiveDocuments<R> {
    type Item = crate::Record;

    fn next(&mut self) -> Option<crate::Record> {
        loop {
            let mut rec = match self.records.next()? {
                Ok(rec) => rec,
                Err(f) => {
                    self.stream_error = f.io_kind;
                    let reason = match f.reason {
                        fault::TRUNCATED => crate::reason::TRUNCATED_INPUT,
                        fault::READ_ERROR => crate::reason::READ_ERROR,
                        _ => crate::reason::INVALID_RECORD,
                    };
                    let q = crate::Quarantined::new(self.loc(f.offset), reason, f.message);
                    return Some(crate::Record::Bad(q));
                }
            };
            match self.document(&mut rec) {
                Ok(None) => continue,
                Ok(Some(doc)) => {
                    let loc = self.loc(rec.offset);
                    return Some(crate::Record::Doc { doc, loc });
                }
                Err((reason, message)) => {
                    let q = crate::Quarantined::new(self.loc(rec.offset), reason, message);
                    return Some(crate::Record::Bad(q));
                }
            }
        }
    }
}
