//! Streaming readers and atomic writers for tamis: JSONL and plain text, uncompressed, gzip or
//! zstd; web archives; Parquet with datatrove's schema.
//!
//! * [`expand_inputs`] turns command-line inputs (files, directories, globs) into a sorted,
//!   deduplicated list of [`InputFile`]s. It never fails: a missing path or an empty glob becomes
//!   an entry that reads as one quarantined record.
//! * [`read`] yields [`Record`]s for one file: documents with their [`Location`], or
//!   [`Quarantined`] records (bad JSON, missing text, invalid UTF-8, truncated or corrupt
//!   compressed data, ...) after every good record that precedes them. Memory is bounded by the
//!   largest record ([`ReadOptions::max_record_bytes`]), not by the file.
//! * [`JsonlWriter`] writes datatrove-compatible JSONL to a temporary file and renames it into
//!   place only when complete.
//! * [`PartWriter`] writes the same JSONL as a sequence of parts that can be checkpointed and
//!   resumed after a crash, for `tamis run`.
//!
//! Per-record problems are data, not errors: the pipeline counts them by [`reason`] and writes
//! them to a quarantine file with [`Quarantined::to_json`], so no input disappears silently.
//!
//! Empty inputs: a file that yields no record at all (0 bytes, an empty compressed stream, or
//! only blank lines) yields one [`Record::Bad`] with reason `empty_file`, so it is visible in the
//! quarantine file and stats rather than silently contributing nothing.

mod adapter;
pub mod ahead;
mod error;
mod frames;
pub mod html;
pub mod http;
mod input;
mod members;
mod parquet;
mod parquet_pages;
mod parts;
mod reader;
mod record;
mod stop;
pub mod warc;
pub mod work;
mod writer;

pub use error::IoError;
pub use frames::FRAME_BYTES;
pub use input::{expand_inputs, Compression, Format, InputFile, InputIssue};
pub use parquet::{count_parquet_rows, jsonl_to_parquet, parquet_name, ParquetLayout};
pub use parts::{count_lines, partial_path, sync_parent, PartState, PartWriter};
pub use reader::{read, ReadOptions, ReadStats, Reader};
pub use record::{reason, Location, Quarantined, Record, RAW_LIMIT};
pub use stop::{stop_point, STOP_ENV};
pub use writer::{encode_line, JsonlWriter, ZSTD_LEVEL};
