//! Sorted run files of fixed-width records, and their k-way merge: the external sort under
//! every dedup stage, so memory is bounded by a buffer size, not by the corpus.
//!
//! A record is `width` little-endian `u64` words compared lexicographically; dedup stages put
//! the sort key first and a document reference ([`DocRef::key`]) last, so equal keys come out
//! in input order.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use crate::DedupError;

/// A document's place in the input: input file index (in expansion order) and record index in
/// that file. Ordering by [`Self::key`] is input order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DocRef {
    pub file: u32,
    pub record: u32,
}

impl DocRef {
    pub fn key(self) -> u64 {
        (u64::from(self.file) << 32) | u64::from(self.record)
    }

    pub fn from_key(key: u64) -> Self {
        Self {
            file: (key >> 32) as u32,
            record: key as u32,
        }
    }
}

/// Collects records and writes them as sorted runs of at most `max_records` each.
pub struct RunWriter {
    dir: PathBuf,
    prefix: String,
    width: usize,
    max_records: usize,
    buf: Vec<u64>,
    runs: usize,
}

impl RunWriter {
    /// Runs go to `dir/{prefix}-{n:04}.run`.
    pub fn new(dir: &Path, prefix: &str, width: usize, max_records: usize) -> Self {
        Self {
            dir: dir.to_path_buf(),
            prefix: prefix.to_owned(),
            width,
            max_records: max_records.max(1),
            buf: Vec::new(),
            runs: 0,
        }
    }

    pub fn push(&mut self, record: &[u64]) -> Result<(), DedupError> {
        debug_assert_eq!(record.len(), self.width);
        self.buf.extend_from_slice(record);
        if self.buf.len() / self.width >= self.max_records {
            self.flush()?;
        }
        Ok(())
    }

    /// Sorts and writes what is buffered as one run.
    pub fn flush(&mut self) -> Result<(), DedupError> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let mut recs: Vec<&[u64]> = self.buf.chunks_exact(self.width).collect();
        recs.sort_unstable();
        let path = self
            .dir
            .join(format!("{}-{:04}.run", self.prefix, self.runs));
        let io = |e| DedupError::io(&path, e);
        let mut w = BufWriter::with_capacity(1 << 16, File::create(&path).map_err(io)?);
        for r in recs {
            for v in r {
                w.write_all(&v.to_le_bytes()).map_err(io)?;
            }
        }
        w.into_inner()
            .map_err(|e| io(e.into_error()))?
            .sync_data()
            .map_err(io)?;
        self.runs += 1;
        self.buf.clear();
        Ok(())
    }

    pub fn finish(mut self) -> Result<usize, DedupError> {
        self.flush()?;
        Ok(self.runs)
    }
}

/// Reads one run file record by record.
struct RunReader {
    path: PathBuf,
    r: BufReader<File>,
    bytes: Vec<u8>,
}

impl RunReader {
    fn next(&mut self, out: &mut Vec<u64>) -> Result<bool, DedupError> {
        let mut filled = 0;
        while filled < self.bytes.len() {
            let n = self
                .r
                .read(&mut self.bytes[filled..])
                .map_err(|e| DedupError::io(&self.path, e))?;
            if n == 0 {
                if filled == 0 {
                    return Ok(false);
                }
                return Err(DedupError::Corrupt {
                    path: self.path.clone(),
                    detail: format!(
                        "ends inside a record ({filled} of {} bytes)",
                        self.bytes.len()
                    ),
                });
            }
            filled += n;
        }
        out.clear();
        out.extend(
            self.bytes
                .chunks_exact(8)
                .map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes"))),
        );
        Ok(true)
    }
}

/// Merges sorted run files into one sorted stream.
pub struct Merge {
    readers: Vec<RunReader>,
    heap: BinaryHeap<Reverse<(Vec<u64>, usize)>>,
    last: Option<Vec<u64>>,
}

impl Merge {
    pub fn open(paths: &[PathBuf], width: usize) -> Result<Self, DedupError> {
        let mut readers = Vec::with_capacity(paths.len());
        let mut heap = BinaryHeap::with_capacity(paths.len());
        for (i, p) in paths.iter().enumerate() {
            let f = File::open(p).map_err(|e| DedupError::io(p, e))?;
            let mut r = RunReader {
                path: p.clone(),
                r: BufReader::with_capacity(1 << 16, f),
                bytes: vec![0; width * 8],
            };
            let mut rec = Vec::with_capacity(width);
            if r.next(&mut rec)? {
                heap.push(Reverse((rec, i)));
            }
            readers.push(r);
        }
        Ok(Self {
            readers,
            heap,
            last: None,
        })
    }

    /// The next record in sorted order; `None` at the end. Checks each run is sorted, since an
    /// unsorted run would silently miss duplicates.
    pub fn next_record(&mut self) -> Result<Option<&[u64]>, DedupError> {
        let Some(Reverse((rec, i))) = self.heap.pop() else {
            return Ok(None);
        };
        let mut next = self.last.take().unwrap_or_default();
        if self.readers[i].next(&mut next)? {
            if next < rec {
                return Err(DedupError::Corrupt {
                    path: self.readers[i].path.clone(),
                    detail: "records are not sorted".into(),
                });
            }
            self.heap.push(Reverse((next, i)));
        }
        self.last = Some(rec);
        Ok(self.last.as_deref())
    }
}

/// The `.run` files directly in `dir`, sorted by name (so merges are reproducible).
pub fn run_files(dir: &Path) -> Result<Vec<PathBuf>, DedupError> {
    if !dir.exists() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).map_err(|e| DedupError::io(dir, e))? {
        let p = e.map_err(|e| DedupError::io(dir, e))?.path();
        if p.extension().is_some_and(|x| x == "run") {
            out.push(p);
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spilled_runs_merge_into_one_sorted_stream() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = RunWriter::new(dir.path(), "a", 2, 3);
        let input = [[5, 1], [2, 9], [5, 0], [1, 1], [9, 9], [2, 3], [0, 7]];
        for r in &input {
            w.push(r).unwrap();
        }
        assert_eq!(w.finish().unwrap(), 3);
        let files = run_files(dir.path()).unwrap();
        let mut m = Merge::open(&files, 2).unwrap();
        let mut got = Vec::new();
        while let Some(r) = m.next_record().unwrap() {
            got.push([r[0], r[1]]);
        }
        let mut want = input.to_vec();
        want.sort();
        assert_eq!(got, want);
    }

    #[test]
    fn a_truncated_run_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = RunWriter::new(dir.path(), "a", 2, 10);
        w.push(&[1, 2]).unwrap();
        w.finish().unwrap();
        let path = dir.path().join("a-0000.run");
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..12]).unwrap();
        let err = match Merge::open(&[path], 2) {
            Err(e) => e.to_string(),
            Ok(_) => panic!("a truncated run must not open cleanly"),
        };
        assert!(
            err.contains("a-0000.run") && err.contains("ends inside a record"),
            "{err}"
        );
    }
}
