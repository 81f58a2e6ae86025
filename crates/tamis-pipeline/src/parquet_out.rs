//! Parquet outputs (`--format parquet`). The run writes its kept and dropped documents as
//! checkpointed JSONL parts like any run, so kills and resumes work exactly as for JSONL; when
//! every input is read, each finished JSONL file becomes a parquet file of the same number
//! (`kept/00000.jsonl.zst` -> `kept/00000.parquet`) and the JSONL file is removed. The
//! conversion is idempotent, file by file, so a run killed in the middle of it finishes the
//! rest when rerun. Quarantine files stay JSONL: their records are not documents.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tamis_io::{count_lines, count_parquet_rows, jsonl_to_parquet, parquet_name, Compression};

use crate::executor::RunError;

/// The file format of kept and dropped outputs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutputFormat {
    /// JSONL in datatrove's key order, compressed with `--compression`.
    #[default]
    Jsonl,
    /// Parquet with datatrove's columns, `--compression` as its codec.
    Parquet,
}

impl OutputFormat {
    pub fn name(self) -> &'static str {
        match self {
            OutputFormat::Jsonl => "jsonl",
            OutputFormat::Parquet => "parquet",
        }
    }
}

/// Which outputs hold documents (and so become parquet); quarantine records stay JSONL.
fn converts(rel: &str) -> bool {
    rel.starts_with("kept/") || rel.starts_with("dropped/")
}

/// Converts the finished JSONL outputs listed in `files` (paths relative to `out`, with their
/// record counts) to parquet; returns the list with the new names. A file already converted by
/// an interrupted earlier attempt (its parquet twin present, the JSONL gone) is kept as is.
pub(crate) fn convert_outputs(
    out: &Path,
    files: Vec<(String, u64)>,
    c: Compression,
) -> Result<Vec<(String, u64)>, RunError> {
    files
        .into_iter()
        .map(|(rel, n)| {
            if !converts(&rel) || rel.ends_with(".parquet") {
                return Ok((rel, n));
            }
            let pq = parquet_name(&rel);
            convert_one(&out.join(&rel), &out.join(&pq), c, Some(n))?;
            Ok((pq, n))
        })
        .collect()
}

/// Converts every JSONL file in `dir` (a phased run's collected `kept/` or `dropped/`).
pub(crate) fn convert_dir(dir: &Path, c: Compression) -> Result<(), RunError> {
    let io = |source| RunError::OutputDir {
        path: dir.to_path_buf(),
        source,
    };
    if !dir.exists() {
        return Ok(());
    }
    let mut names: Vec<PathBuf> = Vec::new();
    for e in std::fs::read_dir(dir).map_err(io)? {
        names.push(e.map_err(io)?.path());
    }
    names.sort();
    for p in names {
        let name = p
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        if name.starts_with('.') && name.ends_with(".partial") {
            // A conversion cut short; it is redone below from its JSONL file.
            std::fs::remove_file(&p).map_err(io)?;
        } else if name.contains(".jsonl") {
            convert_one(&p, &dir.join(parquet_name(&name)), c, None)?;
        }
    }
    Ok(())
}

fn convert_one(
    jsonl: &Path,
    pq: &Path,
    c: Compression,
    expect: Option<u64>,
) -> Result<(), RunError> {
    if !jsonl.exists() {
        if pq.exists() {
            return Ok(());
        }
        return Err(RunError::Resume {
            dir: jsonl.parent().unwrap_or(jsonl).to_path_buf(),
            message: format!("{} and {} are both missing", jsonl.display(), pq.display()),
        });
    }
    let rows = jsonl_to_parquet(jsonl, c, pq, c)?;
    if let Some(n) = expect.filter(|&n| n != rows) {
        return Err(RunError::OutputDir {
            path: pq.to_path_buf(),
            source: std::io::Error::other(format!("{rows} rows written, {n} records expected")),
        });
    }
    std::fs::remove_file(jsonl).map_err(|source| RunError::OutputDir {
        path: jsonl.to_path_buf(),
        source,
    })?;
    tamis_io::sync_parent(pq);
    Ok(())
}

/// Records in an output file: rows of a `.parquet` file, lines of a JSONL one.
pub(crate) fn count_records(path: &Path, c: Compression) -> std::io::Result<u64> {
    if path.extension().is_some_and(|e| e == "parquet") {
        count_parquet_rows(path)
    } else {
        count_lines(path, c)
    }
}
