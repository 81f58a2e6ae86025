//! Parquet with datatrove's schema: columns `text` (string), `id` (string) and `metadata`, a
//! struct whose fields are the metadata keys, as datatrove 0.10.1's `ParquetWriter` writes it
//! (pyarrow's `Table.from_pylist` over the documents). PyArrow and Hugging Face `datasets` read
//! it as they read datatrove's files.
//!
//! Reading turns each row into the JSON object pyarrow's `to_pylist` would give (nulls left
//! out) and hands it to the JSONL adapter, so a parquet row becomes the same document as the
//! equivalent JSONL line: `metadata` struct to object, other columns merged into metadata.
//!
//! Writing converts finished JSONL outputs in two passes: the first infers the metadata struct
//! from every record of every file of a set ([`ParquetLayout::infer`]; inferring it from the
//! first rows only, as datatrove does, fails on later keys, and files of one run with different
//! structs cannot be loaded together by Hugging Face `datasets`, which takes the first file's
//! schema for all), the second writes each file in row groups of [`ROW_GROUP_ROWS`] rows. The
//! output depends only on the JSONL files, so it is deterministic. Metadata no struct can hold (a key that is an object in one record and a
//! number in another) is written as a JSON string column instead, which datatrove's and
//! tamis's readers both parse back into an object.

use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::{ArrayRef, RecordBatch, StringArray, StructArray};
use arrow_schema::{ArrowError, DataType, Field, Schema};
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReader,
    ParquetRecordBatchReaderBuilder,
};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression as Codec, GzipLevel, ZstdLevel};
use parquet::file::properties::WriterProperties;
use serde_json::Value;
use tamis_core::Document;

use crate::adapter::{parse_document, Keys};
use crate::error::IoError;
use crate::input::Compression;
use crate::parts::{partial_path, sync_parent};
use crate::reader::ReadOptions;
use crate::record::{reason, Location, Quarantined, Record};

/// Rows per row group (and per read batch). Small enough to bound memory on long documents,
/// large enough for good compression of the metadata columns.
pub const ROW_GROUP_ROWS: usize = 10_000;
/// A row group also ends after this much text, so huge documents keep memory bounded.
const ROW_GROUP_TEXT_BYTES: usize = 64 << 20;
/// Rows decoded per read batch. A row's size is only known once decoded (a dictionary can
/// repeat one 2 MiB value a thousand times in a file of a few hundred bytes), and a batch is
/// held three times over (Arrow, its JSON, the lines), so batches stay small: 16 rows of 2 MiB
/// are about 100 MB.
const READ_BATCH_ROWS: usize = 16;

/// `00000.jsonl.zst` -> `00000.parquet`: the parquet twin of a JSONL output name.
pub fn parquet_name(jsonl_name: &str) -> String {
    let stem = jsonl_name.split(".jsonl").next().unwrap_or(jsonl_name);
    format!("{stem}.parquet")
}

/// The parquet codec for an output `--compression`.
fn codec(c: Compression) -> Codec {
    match c {
        Compression::Zstd => Codec::ZSTD(ZstdLevel::try_new(3).unwrap_or_default()),
        Compression::Gzip => Codec::GZIP(GzipLevel::default()),
        Compression::None => Codec::UNCOMPRESSED,
    }
}

/// How the metadata column is written.
#[derive(Debug, Clone, PartialEq)]
enum MetaMode {
    /// No document has metadata: no column (parquet has no empty struct).
    Absent,
    /// A struct column of this type.
    Struct(Arc<arrow_schema::Fields>),
    /// A string column of JSON objects.
    Json,
}

/// The metadata column of a set of parquet files that belong together (a run's kept files, or
/// its dropped files): one schema for all, so that they can be read as one table.
#[derive(Debug, Clone, PartialEq)]
pub struct ParquetLayout(MetaMode);

impl ParquetLayout {
    /// The metadata struct over every record of the JSONL files `srcs` (compression `c`), keys
    /// in order of first appearance; a JSON string column when the values of a key cannot
    /// share one type; no column when no record has metadata.
    pub fn infer(srcs: &[PathBuf], c: Compression) -> io::Result<Self> {
        Ok(Self(match infer_metadata(srcs, c)? {
            Ok(Some(fields)) => MetaMode::Struct(fields),
            Ok(None) => MetaMode::Absent,
            Err(_) => MetaMode::Json,
        }))
    }

    /// Saves the layout as a parquet file with no rows (under a partial name, then renamed),
    /// so that a run killed while converting converts the rest with the same layout.
    pub fn save(&self, path: &Path) -> io::Result<()> {
        let partial = partial_path(path);
        let file = File::create(&partial)?;
        let w = ArrowWriter::try_new(file, schema_for(&self.0), None).map_err(io::Error::other)?;
        w.into_inner().map_err(io::Error::other)?.sync_all()?;
        std::fs::rename(&partial, path)?;
        sync_parent(path);
        Ok(())
    }

    /// A layout saved by [`ParquetLayout::save`].
    pub fn load(path: &Path) -> io::Result<Self> {
        let b = ParquetRecordBatchReaderBuilder::try_new(File::open(path)?)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        Ok(Self(match b.schema().field_with_name("metadata") {
            Err(_) => MetaMode::Absent,
            Ok(f) => match f.data_type() {
                DataType::Struct(fields) => MetaMode::Struct(Arc::new(fields.clone())),
                _ => MetaMode::Json,
            },
        }))
    }
}

/// Converts the JSONL file `src` (compression `src_c`, one `{"text","id","metadata"}` per line,
/// as tamis writes) into the parquet file `dst` with the metadata column of `layout` (a JSON
/// string column if a value does not fit its struct after all), written under a hidden partial
/// name and renamed when complete. Returns the number of rows.
pub fn jsonl_to_parquet(
    src: &Path,
    src_c: Compression,
    dst: &Path,
    c: Compression,
    layout: &ParquetLayout,
) -> Result<u64, IoError> {
    let mode = &layout.0;
    let rows = match write_file(src, src_c, dst, c, mode) {
        // A value the inferred struct cannot take after all: fall back to JSON strings.
        Err(WriteFailure::Arrow(_)) if matches!(mode, MetaMode::Struct(_)) => {
            write_file(src, src_c, dst, c, &MetaMode::Json)
        }
        r => r,
    }
    .map_err(|e| match e {
        WriteFailure::Io(e) => IoError::Write {
            path: dst.to_path_buf(),
            source: e,
        },
        WriteFailure::Arrow(e) => IoError::Write {
            path: dst.to_path_buf(),
            source: io::Error::other(e.to_string()),
        },
    })?;
    let partial = partial_path(dst);
    crate::stop_point("parquet_written");
    std::fs::rename(&partial, dst).map_err(|source| IoError::Rename {
        path: dst.to_path_buf(),
        tmp: partial,
        source,
    })?;
    sync_parent(dst);
    Ok(rows)
}

enum WriteFailure {
    Io(io::Error),
    Arrow(ArrowError),
}

impl From<io::Error> for WriteFailure {
    fn from(e: io::Error) -> Self {
        WriteFailure::Io(e)
    }
}

impl From<ArrowError> for WriteFailure {
    fn from(e: ArrowError) -> Self {
        WriteFailure::Arrow(e)
    }
}

impl From<parquet::errors::ParquetError> for WriteFailure {
    fn from(e: parquet::errors::ParquetError) -> Self {
        WriteFailure::Io(io::Error::other(e.to_string()))
    }
}

/// The documents of a tamis JSONL output, one at a time.
fn documents(src: &Path, c: Compression) -> io::Result<impl Iterator<Item = io::Result<Document>>> {
    let file = File::open(src)?;
    // A zero-byte file holds no records (a zstd decoder would call it truncated).
    let empty = file.metadata()?.len() == 0;
    let file = BufReader::new(file);
    let r: Box<dyn BufRead> = match c {
        _ if empty => Box::new(io::empty()),
        Compression::None => Box::new(file),
        Compression::Gzip => Box::new(BufReader::new(flate2::bufread::MultiGzDecoder::new(file))),
        Compression::Zstd => Box::new(BufReader::new(zstd::stream::read::Decoder::with_buffer(
            file,
        )?)),
    };
    Ok(r.lines().map(|line| {
        let line = line?;
        serde_json::from_str::<Document>(&line)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
    }))
}

/// The metadata struct's fields over every document of `srcs`, in order of first appearance
/// (as pyarrow infers them); `Ok(None)` when no document has metadata; the inner error when
/// the values cannot share one type.
#[allow(clippy::type_complexity)]
fn infer_metadata(
    srcs: &[PathBuf],
    c: Compression,
) -> io::Result<Result<Option<Arc<arrow_schema::Fields>>, ArrowError>> {
    let mut io_err = None;
    // One file open at a time, however many there are.
    let docs = srcs
        .iter()
        .flat_map(|src| -> Box<dyn Iterator<Item = io::Result<Document>>> {
            match documents(src, c) {
                Ok(it) => Box::new(it),
                Err(e) => Box::new(std::iter::once(Err(e))),
            }
        });
    let values = docs.map_while(|d| match d {
        Ok(d) => Some(Ok(Value::Object(d.metadata))),
        Err(e) => {
            io_err = Some(e);
            None
        }
    });
    let inferred = arrow_json::reader::infer_json_schema_from_iterator(values);
    if let Some(e) = io_err {
        return Err(e);
    }
    Ok(inferred.map(|schema| {
        if schema.fields().is_empty() {
            None
        } else {
            Some(Arc::new(schema.fields().clone()))
        }
    }))
}

/// The file schema: `text`, `id` and the metadata column, if any.
fn schema_for(mode: &MetaMode) -> Arc<Schema> {
    let mut fields = vec![
        Field::new("text", DataType::Utf8, true),
        Field::new("id", DataType::Utf8, true),
    ];
    match mode {
        MetaMode::Absent => {}
        MetaMode::Struct(f) => fields.push(Field::new(
            "metadata",
            DataType::Struct(f.as_ref().clone()),
            true,
        )),
        MetaMode::Json => fields.push(Field::new("metadata", DataType::Utf8, true)),
    }
    Arc::new(Schema::new(fields))
}

fn write_file(
    src: &Path,
    src_c: Compression,
    dst: &Path,
    c: Compression,
    mode: &MetaMode,
) -> Result<u64, WriteFailure> {
    let schema = schema_for(mode);
    let props = WriterProperties::builder()
        .set_compression(codec(c))
        .set_max_row_group_row_count(Some(usize::MAX))
        .build();
    let partial = partial_path(dst);
    if let Some(dir) = dst.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let file = File::create(&partial)?;
    let mut w = ArrowWriter::try_new(file, schema.clone(), Some(props))?;
    let mut rows = 0u64;
    let mut chunk: Vec<Document> = Vec::new();
    let mut chunk_bytes = 0usize;
    for doc in documents(src, src_c)? {
        let doc = doc?;
        chunk_bytes += doc.text.len();
        chunk.push(doc);
        if chunk.len() >= ROW_GROUP_ROWS || chunk_bytes >= ROW_GROUP_TEXT_BYTES {
            rows += write_group(&mut w, &schema, mode, &mut chunk)?;
            chunk_bytes = 0;
        }
    }
    rows += write_group(&mut w, &schema, mode, &mut chunk)?;
    let file = w.into_inner()?;
    file.sync_all()?;
    Ok(rows)
}

/// Writes `chunk` as one row group and empties it.
fn write_group(
    w: &mut ArrowWriter<File>,
    schema: &Arc<Schema>,
    mode: &MetaMode,
    chunk: &mut Vec<Document>,
) -> Result<u64, WriteFailure> {
    if chunk.is_empty() {
        return Ok(0);
    }
    let text: StringArray = chunk.iter().map(|d| Some(d.text.as_str())).collect();
    let id: StringArray = chunk.iter().map(|d| Some(d.id.as_str())).collect();
    let mut columns: Vec<ArrayRef> = vec![Arc::new(text), Arc::new(id)];
    match mode {
        MetaMode::Absent => {}
        MetaMode::Struct(fields) => {
            let meta_schema = Arc::new(Schema::new(fields.as_ref().clone()));
            let mut decoder = arrow_json::ReaderBuilder::new(meta_schema)
                .with_batch_size(chunk.len())
                .with_coerce_primitive(true)
                .build_decoder()?;
            let values: Vec<&tamis_core::Metadata> = chunk.iter().map(|d| &d.metadata).collect();
            decoder.serialize(&values)?;
            let batch = decoder
                .flush()?
                .ok_or_else(|| ArrowError::JsonError("no metadata rows".into()))?;
            columns.push(Arc::new(StructArray::from(batch)));
        }
        MetaMode::Json => {
            let json: Vec<String> = chunk
                .iter()
                .map(|d| serde_json::to_string(&d.metadata).unwrap_or_default())
                .collect();
            columns.push(Arc::new(StringArray::from(json)));
        }
    }
    let batch = RecordBatch::try_new(schema.clone(), columns)?;
    w.write(&batch)?;
    w.flush()?;
    let n = chunk.len() as u64;
    chunk.clear();
    Ok(n)
}

/// Rows in a parquet file, by decoding every row group (so a damaged file fails).
pub fn count_parquet_rows(path: &Path) -> io::Result<u64> {
    let err = |e: parquet::errors::ParquetError| io::Error::new(io::ErrorKind::InvalidData, e);
    let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(path)?)
        .map_err(err)?
        .with_batch_size(READ_BATCH_ROWS)
        .build()
        .map_err(err)?;
    let mut n = 0u64;
    for batch in reader {
        n += batch
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?
            .num_rows() as u64;
    }
    Ok(n)
}

/// Documents of one `.parquet` input, for [`crate::Reader`]. Row groups are read one at a
/// time, each after its page headers were checked (see [`crate::parquet_pages`]).
pub(crate) struct ParquetDocs {
    path: PathBuf,
    file: String,
    opts: ReadOptions,
    /// The file's footer, parsed once.
    meta: Option<ArrowReaderMetadata>,
    /// The row groups still to read, in order.
    groups: std::collections::VecDeque<Group>,
    reader: Option<ParquetRecordBatchReader>,
    /// Rows of the current batch as JSON lines, and the next one to yield.
    lines: Vec<String>,
    /// Rows of the current batch whose binary text column is not UTF-8 (quarantined).
    bad_text: Vec<bool>,
    next: usize,
    /// 0-based index of the next row in the file.
    row: u64,
}

impl ParquetDocs {
    pub(crate) fn new(path: PathBuf, file: String, opts: ReadOptions) -> Self {
        Self {
            path,
            file,
            opts,
            meta: None,
            groups: std::collections::VecDeque::new(),
            reader: None,
            lines: Vec::new(),
            bad_text: Vec::new(),
            next: 0,
            row: 0,
        }
    }

    fn fault(&mut self, message: String) -> Quarantined {
        self.reader = None;
        self.groups.clear();
        self.lines.clear();
        Quarantined::new(
            Location {
                file: self.file.clone(),
                line: self.row + 1,
                byte_offset: 0,
            },
            reason::INVALID_PARQUET,
            message,
        )
    }

    /// Opens the file; `Err` is the quarantine record to yield instead.
    pub(crate) fn open(&mut self) -> Result<(), Box<Quarantined>> {
        let mut file = File::open(&self.path).map_err(|e| {
            Box::new(Quarantined::new(
                Location::file_only(self.file.clone()),
                reason::UNREADABLE_PATH,
                e.to_string(),
            ))
        })?;
        let meta = match ArrowReaderMetadata::load(&file, ArrowReaderOptions::default()) {
            Ok(m) => m,
            Err(e) => {
                return Err(Box::new(
                    self.fault(format!("not a readable parquet file: {e}")),
                ))
            }
        };
        let max = self.opts.max_record_bytes as u64;
        for (index, rg) in meta.metadata().row_groups().iter().enumerate() {
            let rows = u64::try_from(rg.num_rows()).unwrap_or(0);
            let largest = rg
                .columns()
                .iter()
                .filter_map(|c| {
                    let (start, len) = c.byte_range();
                    crate::parquet_pages::largest_page(&mut file, start, len)
                        .map(|(at, size)| (at, size, c.column_path().string()))
                })
                .max_by_key(|&(_, size, _)| size);
            self.groups.push_back(match largest {
                Some((at, size, column)) if size > max && rows > 0 => Group::Refused {
                    rows,
                    offset: at,
                    message: format!(
                        "row group {index} has a page of {size} bytes in column `{column}` \
                         once inflated, over max_record_bytes = {max}: a page is inflated \
                         whole, so none of the group's {rows} rows was read"
                    ),
                },
                _ => Group::Read { index },
            });
        }
        self.meta = Some(meta);
        Ok(())
    }

    /// Starts the next row group: `Ok(None)` when it is being read, `Ok(Some(record))` for the
    /// next row of a refused one (each row is counted as quarantined), `Err(None)` at the end
    /// of the file.
    fn next_group(&mut self) -> Result<Option<Quarantined>, Option<String>> {
        match self.groups.front_mut() {
            None => Err(None),
            Some(Group::Read { index }) => {
                let index = *index;
                self.groups.pop_front();
                let meta = self.meta.clone().ok_or(None)?;
                let reader = File::open(&self.path)
                    .map_err(|e| Some(format!("cannot reopen the file: {e}")))?;
                // The footer was parsed once, in `open`.
                let r = ParquetRecordBatchReaderBuilder::new_with_metadata(reader, meta)
                    .with_row_groups(vec![index])
                    .with_batch_size(READ_BATCH_ROWS)
                    .build()
                    .map_err(|e| Some(format!("cannot read row group {index}: {e}")))?;
                self.reader = Some(r);
                Ok(None)
            }
            Some(Group::Refused {
                rows,
                offset,
                message,
            }) => {
                let q = Quarantined::new(
                    Location {
                        file: self.file.clone(),
                        line: self.row + 1,
                        byte_offset: *offset,
                    },
                    reason::INVALID_PARQUET,
                    message.clone(),
                );
                *rows -= 1;
                if *rows == 0 {
                    self.groups.pop_front();
                }
                self.row += 1;
                Ok(Some(q))
            }
        }
    }

    /// A binary text column (pyarrow writes `bytes` so) as a string column: each value decoded
    /// as UTF-8, or null and marked in `bad_text` when it is not (the JSON conversion would
    /// otherwise turn the bytes into hex and the hex into the text).
    fn text_as_string(&mut self, batch: RecordBatch) -> Result<RecordBatch, String> {
        use arrow_array::cast::AsArray;
        use arrow_array::Array;
        self.bad_text.clear();
        let Some((at, _)) = batch.schema().column_with_name(&self.opts.text_key) else {
            return Ok(batch);
        };
        let col = batch.column(at);
        let values: Vec<Option<&[u8]>> = if let Some(a) = col.as_binary_opt::<i32>() {
            a.iter().collect()
        } else if let Some(a) = col.as_binary_opt::<i64>() {
            a.iter().collect()
        } else if let Some(a) = col.as_binary_view_opt() {
            a.iter().collect()
        } else {
            return Ok(batch);
        };
        let mut text = Vec::with_capacity(values.len());
        for v in &values {
            let decoded = v.map(std::str::from_utf8);
            self.bad_text.push(matches!(decoded, Some(Err(_))));
            text.push(decoded.and_then(Result::ok));
        }
        let text: StringArray = text.into_iter().collect();
        debug_assert_eq!(text.len(), col.len());
        let schema = batch.schema();
        let fields: Vec<Field> = schema
            .fields()
            .iter()
            .enumerate()
            .map(|(i, f)| {
                if i == at {
                    Field::new(f.name(), DataType::Utf8, true)
                } else {
                    f.as_ref().clone()
                }
            })
            .collect();
        let mut columns = batch.columns().to_vec();
        columns[at] = Arc::new(text);
        RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)
            .map_err(|e| format!("cannot decode the binary text column: {e}"))
    }

    /// Whether the file has no rows at all (known once the reader is exhausted).
    pub(crate) fn rows_read(&self) -> u64 {
        self.row
    }

    /// Decodes the next batch into JSON lines.
    fn fill(&mut self) -> Result<Fill, String> {
        let batch = loop {
            let Some(reader) = self.reader.as_mut() else {
                match self.next_group() {
                    Ok(None) => continue,
                    Ok(Some(refused)) => return Ok(Fill::Refused(refused)),
                    Err(None) => return Ok(Fill::End),
                    Err(Some(message)) => return Err(message),
                }
            };
            match reader.next() {
                None => self.reader = None,
                Some(b) => break b.map_err(|e| format!("cannot decode row group: {e}"))?,
            }
        };
        let batch = self.text_as_string(batch)?;
        let mut buf = Vec::new();
        {
            let mut w = arrow_json::LineDelimitedWriter::new(&mut buf);
            w.write(&batch)
                .and_then(|()| w.finish())
                .map_err(|e| format!("cannot convert rows to JSON: {e}"))?;
        }
        let text = String::from_utf8(buf).map_err(|e| format!("invalid UTF-8: {e}"))?;
        self.lines = text.lines().map(str::to_owned).collect();
        if self.lines.len() != batch.num_rows() {
            return Err(format!(
                "{} rows decoded into {} JSON lines",
                batch.num_rows(),
                self.lines.len()
            ));
        }
        self.next = 0;
        Ok(Fill::Batch)
    }
}

/// A row group to read, or one refused for its page sizes.
enum Group {
    Read {
        index: usize,
    },
    Refused {
        rows: u64,
        offset: u64,
        message: String,
    },
}

/// What [`ParquetDocs::fill`] did.
enum Fill {
    Batch,
    Refused(Quarantined),
    End,
}

impl Iterator for ParquetDocs {
    type Item = Record;

    fn next(&mut self) -> Option<Record> {
        while self.next >= self.lines.len() {
            match self.fill() {
                Ok(Fill::Batch) => {}
                Ok(Fill::Refused(q)) => return Some(Record::Bad(q)),
                Ok(Fill::End) => return None,
                Err(message) => return Some(Record::Bad(self.fault(message))),
            }
        }
        let line = std::mem::take(&mut self.lines[self.next]);
        let bad_text = self.bad_text.get(self.next).copied().unwrap_or(false);
        self.next += 1;
        let index = self.row;
        self.row += 1;
        let loc = Location {
            file: self.file.clone(),
            line: index + 1,
            byte_offset: 0,
        };
        if bad_text {
            return Some(Record::Bad(Quarantined::new(
                loc,
                reason::INVALID_UTF8,
                format!(
                    "the binary `{}` column of this row is not valid UTF-8",
                    self.opts.text_key
                ),
            )));
        }
        if line.len() > self.opts.max_record_bytes {
            return Some(Record::Bad(
                Quarantined::new(
                    loc,
                    reason::LINE_TOO_LONG,
                    format!(
                        "row of {} bytes is over max_record_bytes = {}",
                        line.len(),
                        self.opts.max_record_bytes
                    ),
                )
                .with_raw(line.as_bytes()),
            ));
        }
        let keys = Keys {
            text: &self.opts.text_key,
            id: &self.opts.id_key,
            file_path: self.opts.add_file_path.then_some(self.file.as_str()),
        };
        let file = &self.file;
        Some(
            match parse_document(&line, &keys, || format!("{file}/{index}")) {
                Ok(doc) => Record::Doc { doc, loc },
                Err((reason, message)) => {
                    Record::Bad(Quarantined::new(loc, reason, message).with_raw(line.as_bytes()))
                }
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{read, InputFile, PartWriter};
    use serde_json::json;

    fn doc(id: &str, text: &str, meta: Value) -> Document {
        let mut d = Document::new(id, text);
        if let Value::Object(m) = meta {
            d.metadata = m;
        }
        d
    }

    /// Writes `docs` as a tamis JSONL output, converts it, and reads the parquet back.
    fn round_trip(dir: &Path, docs: &[Document], c: Compression) -> Vec<Record> {
        let jsonl = dir.join(format!("00000.jsonl{}", c.extension()));
        let mut w = PartWriter::create(&jsonl, c).unwrap();
        for d in docs {
            w.write(d).unwrap();
        }
        w.finish().unwrap();
        let pq = dir.join(parquet_name(&jsonl.file_name().unwrap().to_string_lossy()));
        let layout = ParquetLayout::infer(std::slice::from_ref(&jsonl), c).unwrap();
        assert_eq!(
            jsonl_to_parquet(&jsonl, c, &pq, c, &layout).unwrap(),
            docs.len() as u64
        );
        assert!(!partial_path(&pq).exists());
        assert_eq!(count_parquet_rows(&pq).unwrap(), docs.len() as u64);
        read(&InputFile::new(&pq), &ReadOptions::default()).collect()
    }

    fn docs_of(records: Vec<Record>) -> Vec<Document> {
        records
            .into_iter()
            .map(|r| r.into_doc().expect("a document"))
            .collect()
    }

    /// Writes one batch with the given writer properties, as other tools write Parquet.
    fn write_batch(path: &Path, batch: &RecordBatch, props: WriterProperties) {
        let mut w =
            ArrowWriter::try_new(File::create(path).unwrap(), batch.schema(), Some(props)).unwrap();
        w.write(batch).unwrap();
        w.close().unwrap();
    }

    #[test]
    fn every_codec_pyarrow_and_datatrove_write_is_read() {
        // pyarrow's default is Snappy, and datatrove's ParquetWriter keeps it.
        let dir = tempfile::tempdir().unwrap();
        let text: StringArray = ["snappy text", "second row é"]
            .into_iter()
            .map(Some)
            .collect();
        let id: StringArray = ["a", "b"].into_iter().map(Some).collect();
        let batch = RecordBatch::try_from_iter([
            ("text", Arc::new(text) as ArrayRef),
            ("id", Arc::new(id) as ArrayRef),
        ])
        .unwrap();
        for codec in [
            Codec::SNAPPY,
            Codec::LZ4,
            Codec::LZ4_RAW,
            Codec::BROTLI(Default::default()),
            Codec::GZIP(Default::default()),
            Codec::ZSTD(Default::default()),
            Codec::UNCOMPRESSED,
        ] {
            let path = dir
                .path()
                .join(format!("{codec:?}.parquet").replace(['(', ')', ' ', '{', '}', ':'], "_"));
            let props = WriterProperties::builder().set_compression(codec).build();
            write_batch(&path, &batch, props);
            let docs = docs_of(read(&InputFile::new(&path), &ReadOptions::default()).collect());
            let texts: Vec<&str> = docs.iter().map(|d| d.text.as_str()).collect();
            assert_eq!(texts, ["snappy text", "second row é"], "{codec:?}");
        }
    }

    #[test]
    fn a_binary_text_column_is_decoded_or_quarantined_by_row() {
        let dir = tempfile::tempdir().unwrap();
        let text = arrow_array::BinaryArray::from_iter_values([
            b"plain bytes".as_slice(),
            b"\xff\xfe bad",
            "caf\u{e9}".as_bytes(),
        ]);
        let batch = RecordBatch::try_from_iter([("text", Arc::new(text) as ArrayRef)]).unwrap();
        let path = dir.path().join("binary.parquet");
        write_batch(&path, &batch, WriterProperties::builder().build());
        let records: Vec<Record> = read(&InputFile::new(&path), &ReadOptions::default()).collect();
        assert_eq!(records.len(), 3);
        assert_eq!(records[0].clone().into_doc().unwrap().text, "plain bytes");
        match &records[1] {
            Record::Bad(q) => {
                assert_eq!(q.reason, reason::INVALID_UTF8);
                assert_eq!(q.loc.line, 2);
            }
            other => panic!("the row that is not UTF-8 must be quarantined: {other:?}"),
        }
        assert_eq!(records[2].clone().into_doc().unwrap().text, "café");
    }

    #[test]
    fn documents_round_trip_with_metadata_as_a_struct() {
        let dir = tempfile::tempdir().unwrap();
        let docs = vec![
            doc(
                "a",
                "first text\nwith two lines",
                json!({"url": "http://a/", "language": "en", "language_score": 0.93,
                       "tags": ["x", "y"], "nested": {"k": 1, "ok": true}}),
            ),
            // Keys missing here and a key seen first here: nulls in the struct, left out when
            // read back, so the document comes back as it was.
            doc(
                "b",
                "second \u{1F600} é",
                json!({"url": "http://b/", "extra": "new"}),
            ),
            doc("c", "", json!({})),
        ];
        for c in [Compression::Zstd, Compression::Gzip, Compression::None] {
            let sub = dir.path().join(c.name());
            std::fs::create_dir_all(&sub).unwrap();
            assert_eq!(docs_of(round_trip(&sub, &docs, c)), docs, "{c:?}");
        }
        // The metadata column is a struct with the keys in order of first appearance.
        let pq = dir.path().join("zstd/00000.parquet");
        let b = ParquetRecordBatchReaderBuilder::try_new(File::open(&pq).unwrap()).unwrap();
        let schema = b.schema().clone();
        let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        assert_eq!(names, ["text", "id", "metadata"]);
        let DataType::Struct(fields) = schema.field(2).data_type() else {
            panic!("metadata is {:?}", schema.field(2).data_type());
        };
        let keys: Vec<&str> = fields.iter().map(|f| f.name().as_str()).collect();
        assert_eq!(
            keys,
            [
                "url",
                "language",
                "language_score",
                "tags",
                "nested",
                "extra"
            ]
        );
    }

    #[test]
    fn files_of_a_set_share_one_layout_which_saves_and_loads() {
        let dir = tempfile::tempdir().unwrap();
        let c = Compression::Zstd;
        let sets = [
            vec![doc("a", "x", json!({"url": "http://a/", "n": 1}))],
            vec![doc(
                "b",
                "y",
                json!({"lang": "fr", "nested": {"k": [1, 2]}}),
            )],
        ];
        let mut jsonl = Vec::new();
        for (i, docs) in sets.iter().enumerate() {
            let p = dir.path().join(format!("{i:05}.jsonl.zst"));
            let mut w = PartWriter::create(&p, c).unwrap();
            for d in docs {
                w.write(d).unwrap();
            }
            w.finish().unwrap();
            jsonl.push(p);
        }
        let layout = ParquetLayout::infer(&jsonl, c).unwrap();
        let saved = dir.path().join("layout.parquet");
        layout.save(&saved).unwrap();
        assert_eq!(ParquetLayout::load(&saved).unwrap(), layout);
        let mut schemas = Vec::new();
        for (src, docs) in jsonl.iter().zip(&sets) {
            let pq = src.with_file_name(parquet_name(&src.file_name().unwrap().to_string_lossy()));
            jsonl_to_parquet(src, c, &pq, c, &layout).unwrap();
            let b = ParquetRecordBatchReaderBuilder::try_new(File::open(&pq).unwrap()).unwrap();
            schemas.push(b.schema().clone());
            // Keys of the other file are nulls here, left out when read back.
            let back = docs_of(read(&InputFile::new(&pq), &ReadOptions::default()).collect());
            assert_eq!(&back, docs);
        }
        assert_eq!(schemas[0], schemas[1]);
        let DataType::Struct(fields) = schemas[0].field(2).data_type() else {
            panic!("{:?}", schemas[0]);
        };
        let keys: Vec<&str> = fields.iter().map(|f| f.name().as_str()).collect();
        assert_eq!(keys, ["url", "n", "lang", "nested"]);
    }

    #[test]
    fn metadata_no_struct_can_hold_is_written_as_json_text() {
        let dir = tempfile::tempdir().unwrap();
        let docs = vec![
            doc("a", "x", json!({"v": {"deep": 1}})),
            doc("b", "y", json!({"v": 3})),
        ];
        assert_eq!(
            docs_of(round_trip(dir.path(), &docs, Compression::Zstd)),
            docs
        );
        let b = ParquetRecordBatchReaderBuilder::try_new(
            File::open(dir.path().join("00000.parquet")).unwrap(),
        )
        .unwrap();
        assert_eq!(b.schema().field(2).data_type(), &DataType::Utf8);
    }

    #[test]
    fn conversion_is_deterministic_and_bad_files_are_quarantined() {
        let dir = tempfile::tempdir().unwrap();
        let docs: Vec<Document> = (0..2500)
            .map(|i| doc(&format!("d{i}"), &format!("text {i}"), json!({"i": i})))
            .collect();
        let a = dir.path().join("a");
        let b = dir.path().join("b");
        for d in [&a, &b] {
            std::fs::create_dir_all(d).unwrap();
            assert_eq!(docs_of(round_trip(d, &docs, Compression::Zstd)).len(), 2500);
        }
        assert_eq!(
            std::fs::read(a.join("00000.parquet")).unwrap(),
            std::fs::read(b.join("00000.parquet")).unwrap()
        );
        // Not parquet at all, and an empty table.
        let junk = dir.path().join("junk.parquet");
        std::fs::write(&junk, b"not parquet").unwrap();
        let r: Vec<Record> = read(&InputFile::new(&junk), &ReadOptions::default()).collect();
        assert!(matches!(&r[..], [Record::Bad(q)] if q.reason == reason::INVALID_PARQUET));
        let empty = dir.path().join("e");
        std::fs::create_dir_all(&empty).unwrap();
        let r = round_trip(&empty, &[], Compression::Zstd);
        assert!(matches!(&r[..], [Record::Bad(q)] if q.reason == reason::EMPTY_FILE));
    }
}
