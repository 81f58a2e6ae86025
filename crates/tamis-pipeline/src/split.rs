//! Kept outputs split by `--output-template` when the run ends. The run writes kept documents
//! as usual (checkpointed, resumable); when every input is read, each kept file is split by
//! the template into files of the same number under the expanded directories, and removed.
//! Splitting keeps the order of the records, depends only on the file, and is redone from the
//! start for a file whose split was cut short (its outputs are rewritten whole before the
//! source is removed), so names and bytes are deterministic.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use tamis_io::{read, Compression, InputFile, PartWriter, ReadOptions, Record};

use crate::options::RunError;
use crate::template::OutputTemplate;

/// Splits the kept files among `files` (relative to `out`, with record counts) by `template`;
/// returns the list with the kept files replaced by their parts, in name order.
pub(crate) fn split_outputs(
    out: &Path,
    files: Vec<(String, u64)>,
    c: Compression,
    template: &OutputTemplate,
) -> Result<Vec<(String, u64)>, RunError> {
    let mut result = BTreeMap::new();
    for (rel, n) in files {
        let Some(name) = rel.strip_prefix("kept/") else {
            result.insert(rel, n);
            continue;
        };
        let src = out.join(&rel);
        let parts = split_one(&src, out, name, c, template)?;
        let total: u64 = parts.iter().map(|(_, k)| k).sum();
        if total != n {
            return Err(RunError::OutputDir {
                path: src,
                source: std::io::Error::other(format!("split into {total} records, {n} expected")),
            });
        }
        result.extend(parts);
    }
    Ok(result.into_iter().collect())
}

/// The parts of one kept file, written (or rewritten) from it, after which it is removed. When
/// the file is gone, an earlier attempt finished: its parts are found on disk.
fn split_one(
    src: &Path,
    out: &Path,
    name: &str,
    c: Compression,
    template: &OutputTemplate,
) -> Result<Vec<(String, u64)>, RunError> {
    if !src.exists() {
        // By directory: a part killed between its conversion to parquet and the removal of
        // its JSONL file is there twice; the JSONL one counts, and is converted again.
        let mut found: BTreeMap<PathBuf, (String, u64)> = BTreeMap::new();
        for f in crate::outdir::walk(&out.join("kept"))? {
            let rel = f
                .strip_prefix(out)
                .unwrap_or(&f)
                .to_string_lossy()
                .into_owned();
            // Its parts, possibly converted to parquet already.
            let twin = tamis_io::parquet_name(name);
            let matches = f
                .file_name()
                .is_some_and(|n| n == name || n == twin.as_str());
            if matches && rel != format!("kept/{name}") {
                let n = crate::parquet_out::count_records(&f, c).map_err(|source| {
                    RunError::OutputDir {
                        path: f.clone(),
                        source,
                    }
                })?;
                let dir = f.parent().unwrap_or(out).to_path_buf();
                let jsonl = f.file_name().is_some_and(|n| n == name);
                if jsonl || !found.contains_key(&dir) {
                    found.insert(dir, (rel, n));
                }
            }
        }
        return Ok(found.into_values().collect());
    }
    let opts = ReadOptions {
        max_record_bytes: usize::MAX,
        ..ReadOptions::default()
    };
    let mut writers: BTreeMap<String, PartWriter> = BTreeMap::new();
    for record in read(&InputFile::new(src), &opts) {
        let doc = match record {
            Record::Doc { doc, .. } => doc,
            Record::Bad(q) => {
                return Err(RunError::OutputDir {
                    path: src.to_path_buf(),
                    source: std::io::Error::other(q.message),
                })
            }
        };
        let rel = format!("kept/{}{name}", template.expand(&doc.metadata));
        let w = match writers.entry(rel) {
            std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::btree_map::Entry::Vacant(e) => {
                let w = PartWriter::create(&out.join(e.key()), c)?;
                e.insert(w)
            }
        };
        w.write(&doc)?;
    }
    tamis_io::stop_point("split_written");
    let mut parts = Vec::new();
    for (rel, w) in writers {
        let at = w.finish()?;
        parts.push((rel, at.records));
    }
    tamis_io::stop_point("split_renamed");
    std::fs::remove_file(src).map_err(|source| RunError::OutputDir {
        path: src.to_path_buf(),
        source,
    })?;
    tamis_io::stop_point("split_done");
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_split_done_or_cut_short_ends_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        let src = out.join("kept/00000.jsonl.zst");
        let write_src = || {
            let mut w = PartWriter::create(&src, Compression::Zstd).unwrap();
            for (i, lang) in ["en", "fr", "en"].iter().enumerate() {
                let mut d = tamis_core::Document::new(format!("d{i}"), "text");
                d.metadata.insert("language".into(), (*lang).into());
                w.write(&d).unwrap();
            }
            w.finish().unwrap();
        };
        write_src();
        let t = OutputTemplate::parse("${language}").unwrap();
        let files = || vec![("kept/00000.jsonl.zst".to_owned(), 3)];
        let first = split_outputs(out, files(), Compression::Zstd, &t).unwrap();
        assert_eq!(
            first,
            [
                ("kept/en/00000.jsonl.zst".to_owned(), 2),
                ("kept/fr/00000.jsonl.zst".to_owned(), 1)
            ]
        );
        assert!(!src.exists());
        let bytes = std::fs::read(out.join("kept/en/00000.jsonl.zst")).unwrap();
        // Rerun after it finished: the parts are found.
        assert_eq!(
            split_outputs(out, files(), Compression::Zstd, &t).unwrap(),
            first
        );
        // Rerun after a kill before the source was removed: redone, same bytes.
        write_src();
        std::fs::write(out.join("kept/fr/00000.jsonl.zst"), b"junk").unwrap();
        assert_eq!(
            split_outputs(out, files(), Compression::Zstd, &t).unwrap(),
            first
        );
        assert_eq!(
            std::fs::read(out.join("kept/en/00000.jsonl.zst")).unwrap(),
            bytes
        );
    }
}
