//! What a reader yields: a document with its position, or a quarantined record.

use std::fmt;

use serde_json::{Map, Value};
use tamis_core::Document;

/// The snake_case reasons a [`Quarantined`] record can carry.
///
/// They are constants rather than an enum so the pipeline can count them under the same
/// `quarantined_<reason>` keys it writes to stats files, and so that quarantine files stay plain
/// JSON strings that diff cleanly between versions.
pub mod reason {
    /// The line is not valid JSON (serde_json's message says where).
    pub const INVALID_JSON: &str = "invalid_json";
    /// The line is valid JSON but not an object (for example an array or a number).
    pub const NOT_AN_OBJECT: &str = "not_an_object";
    /// The object has no `text_key`.
    pub const MISSING_TEXT: &str = "missing_text";
    /// The `text_key` value is not a string (including `null`).
    pub const TEXT_NOT_STRING: &str = "text_not_string";
    /// The line (JSONL) or file (text) holds bytes that are not UTF-8.
    pub const INVALID_UTF8: &str = "invalid_utf8";
    /// A gzip or zstd stream ended before its end marker: the file was cut short.
    pub const TRUNCATED_INPUT: &str = "truncated_input";
    /// The compressed data is corrupt, or does not match the compression its name claims.
    pub const DECOMPRESS_ERROR: &str = "decompress_error";
    /// The operating system failed a read in the middle of the file.
    pub const READ_ERROR: &str = "read_error";
    /// The path does not exist, is not a regular file, or cannot be opened.
    pub const UNREADABLE_PATH: &str = "unreadable_path";
    /// A JSONL line is longer than `ReadOptions::max_record_bytes`; it was skipped unbuffered.
    pub const LINE_TOO_LONG: &str = "line_too_long";
    /// A text file is longer than `ReadOptions::max_record_bytes`.
    pub const FILE_TOO_LARGE: &str = "file_too_large";
    /// A JSONL line would take more than `ReadOptions::max_record_bytes` once parsed (many
    /// small values: 72 bytes each); it was not parsed.
    pub const JSON_TOO_LARGE: &str = "json_too_large";
    /// A web archive body whose text would be longer than `ReadOptions::max_record_bytes`
    /// once decoded (a legacy encoding or bytes that are not UTF-8 can triple its size).
    pub const TEXT_TOO_LARGE: &str = "text_too_large";
    /// The input stopped after `ReadOptions::max_decompressed_bytes` (decompression-bomb guard).
    pub const DECOMPRESSED_TOO_LARGE: &str = "decompressed_too_large";
    /// The file produced no record at all: zero bytes, an empty compressed stream, or only
    /// blank lines. Reported so that a file that contributed nothing is visible.
    pub const EMPTY_FILE: &str = "empty_file";
    /// A glob pattern or a directory given on the command line matched no readable input file.
    pub const NO_MATCH: &str = "no_match";
    /// A glob pattern could not be parsed.
    pub const INVALID_GLOB: &str = "invalid_glob";
    /// A file named explicitly has an extension no reader handles.
    pub const UNSUPPORTED_FORMAT: &str = "unsupported_format";
    /// A web archive record that is not one: bad header, length or record start.
    pub const INVALID_RECORD: &str = "invalid_record";
    /// A `.parquet` input that cannot be opened or decoded (bad footer, corrupt row group).
    pub const INVALID_PARQUET: &str = "invalid_parquet";

    /// Every reason this crate emits, for registries and docs.
    pub const ALL: &[&str] = &[
        INVALID_JSON,
        NOT_AN_OBJECT,
        MISSING_TEXT,
        TEXT_NOT_STRING,
        INVALID_UTF8,
        TRUNCATED_INPUT,
        DECOMPRESS_ERROR,
        READ_ERROR,
        UNREADABLE_PATH,
        LINE_TOO_LONG,
        FILE_TOO_LARGE,
        JSON_TOO_LARGE,
        TEXT_TOO_LARGE,
        DECOMPRESSED_TOO_LARGE,
        EMPTY_FILE,
        NO_MATCH,
        INVALID_GLOB,
        UNSUPPORTED_FORMAT,
        INVALID_RECORD,
        INVALID_PARQUET,
    ];
}

/// Where a record came from, precise enough to find it again with `zstdcat | sed -n`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The input path as expanded (relative paths stay relative).
    pub file: String,
    /// 1-based line number in the decompressed stream; 0 when no line applies (e.g. a path that
    /// could not be opened).
    pub line: u64,
    /// Offset of the record's first byte in the decompressed stream. For stream faults
    /// (`truncated_input`, `decompress_error`, `read_error`) it is the offset reached when the
    /// fault hit; for `invalid_utf8` in a text file, the offset of the first bad byte.
    pub byte_offset: u64,
}

impl Location {
    /// A location for whole-file problems, where no line or offset applies.
    pub fn file_only(file: impl Into<String>) -> Self {
        Self {
            file: file.into(),
            line: 0,
            byte_offset: 0,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{} (byte {})", self.file, self.line, self.byte_offset)
    }
}

/// A record the reader could not turn into a document. The run goes on; the pipeline writes
/// these to a quarantine file so that no input disappears silently.
#[derive(Debug, Clone, PartialEq)]
pub struct Quarantined {
    pub loc: Location,
    /// One of the [`reason`] constants.
    pub reason: &'static str,
    /// Human-readable detail (the parser's message, sizes, offsets).
    pub message: String,
    /// The first ~1 KiB of the offending record, lossy UTF-8, when there is a record to show.
    pub raw: Option<String>,
}

impl Quarantined {
    pub fn new(loc: Location, reason: &'static str, message: impl Into<String>) -> Self {
        Self {
            loc,
            reason,
            message: message.into(),
            raw: None,
        }
    }

    /// Attach the start of the offending bytes (cut to [`RAW_LIMIT`] bytes).
    pub fn with_raw(mut self, bytes: &[u8]) -> Self {
        self.raw = Some(raw_prefix(bytes));
        self
    }

    /// The quarantine-file line: `{"file","line","byte_offset","reason","message","raw"}` in
    /// that order (`raw` is `null` when absent).
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("file".into(), Value::String(self.loc.file.clone()));
        m.insert("line".into(), Value::from(self.loc.line));
        m.insert("byte_offset".into(), Value::from(self.loc.byte_offset));
        m.insert("reason".into(), Value::String(self.reason.to_owned()));
        m.insert("message".into(), Value::String(self.message.clone()));
        m.insert(
            "raw".into(),
            self.raw.clone().map_or(Value::Null, Value::String),
        );
        Value::Object(m)
    }
}

impl fmt::Display for Quarantined {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.loc, self.reason, self.message)
    }
}

/// One item of a reader's output, in file order.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    Doc { doc: Document, loc: Location },
    Bad(Quarantined),
}

impl Record {
    pub fn loc(&self) -> &Location {
        match self {
            Record::Doc { loc, .. } => loc,
            Record::Bad(q) => &q.loc,
        }
    }

    pub fn is_doc(&self) -> bool {
        matches!(self, Record::Doc { .. })
    }

    /// The document, or `None` for a quarantined record.
    pub fn into_doc(self) -> Option<Document> {
        match self {
            Record::Doc { doc, .. } => Some(doc),
            Record::Bad(_) => None,
        }
    }
}

/// How many bytes of a bad record [`Quarantined::raw`] keeps: enough to recognise the record,
/// small enough that a file of bad multi-megabyte lines does not blow up the quarantine file.
pub const RAW_LIMIT: usize = 1024;

/// The first [`RAW_LIMIT`] bytes as lossy UTF-8, cut back to a character boundary when the cut
/// would split a valid multi-byte character (so `raw` does not end in a spurious U+FFFD).
pub(crate) fn raw_prefix(bytes: &[u8]) -> String {
    let cut = &bytes[..bytes.len().min(RAW_LIMIT)];
    match std::str::from_utf8(cut) {
        Ok(s) => s.to_owned(),
        Err(e) if e.error_len().is_none() && cut.len() < bytes.len() => {
            String::from_utf8_lossy(&cut[..e.valid_up_to()]).into_owned()
        }
        Err(_) => String::from_utf8_lossy(cut).into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_prefix_cuts_on_char_boundary() {
        let s = "é".repeat(600); // 1200 bytes, 2 per char
        let r = raw_prefix(s.as_bytes());
        assert_eq!(r.len(), 1024);
        assert!(!r.contains('\u{FFFD}'));
        let mut odd = vec![b'a'];
        odd.extend_from_slice(s.as_bytes()); // boundary at 1024 now splits a char
        let r = raw_prefix(&odd);
        assert_eq!(r.len(), 1023);
        assert!(!r.contains('\u{FFFD}'));
    }

    #[test]
    fn raw_prefix_keeps_invalid_bytes_visible() {
        let r = raw_prefix(b"ab\xffcd");
        assert_eq!(r, "ab\u{FFFD}cd");
    }

    #[test]
    fn quarantined_json_key_order() {
        let q = Quarantined::new(
            Location {
                file: "f.jsonl".into(),
                line: 3,
                byte_offset: 10,
            },
            reason::INVALID_JSON,
            "bad",
        )
        .with_raw(b"{x");
        let s = serde_json::to_string(&q.to_json()).expect("serialize");
        assert_eq!(
            s,
            r#"{"file":"f.jsonl","line":3,"byte_offset":10,"reason":"invalid_json","message":"bad","raw":"{x"}"#
        );
    }
}
