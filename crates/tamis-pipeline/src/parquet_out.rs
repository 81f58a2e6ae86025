//! Parquet outputs (`--format parquet`). The run writes its kept and dropped documents as
//! checkpointed JSONL parts like any run, so kills and resumes work exactly as for JSONL; when
//! every input is read, each finished JSONL file becomes a parquet file of the same number
//! (`kept/00000.jsonl.zst` -> `kept/00000.parquet`) and the JSONL file is removed. All kept
//! files share one metadata struct (and all dropped files another), inferred from every
//! record, so that readers taking one schema for many files load them together. The
//! conversion is idempotent, file by file, so a run killed in the middle of it finishes the
//! rest when rerun. Quarantine files stay JSONL: their records are not documents.

use std::path::{Path, PathBuf};

use tamis_io::{
    count_lines, count_parquet_rows, jsonl_to_parquet, parquet_name, Compression, ParquetLayout,
};

use crate::options::RunError;

/// Which outputs hold documents (and so become parquet); quarantine records stay JSONL.
fn converts(rel: &str) -> bool {
    rel.starts_with("kept/") || rel.starts_with("dropped/")
}

/// `kept/en/00000.jsonl.zst` -> `kept/en/00000.parquet` (only the file name changes, whatever
/// the directories are called).
fn parquet_rel(rel: &str) -> String {
    match rel.rsplit_once('/') {
        Some((dir, name)) => format!("{dir}/{}", parquet_name(name)),
        None => parquet_name(rel),
    }
}

/// The groups of outputs that share one parquet layout.
const GROUPS: [&str; 2] = ["kept", "dropped"];

/// Where a run keeps a group's layout while it converts the group, so that a run killed in
/// the middle converts the rest alike; removed by [`remove_layouts`] before the manifest.
fn layout_path(out: &Path, group: &str) -> PathBuf {
    out.join(format!(".parquet-layout-{group}.parquet"))
}

/// Converts the JSONL files of one group (absolute paths, in name order) with the layout
/// inferred from all of them. The layout is saved before any file is converted, and files are
/// converted one by one (each idempotently), so a rerun after a kill finds either the saved
/// layout or every JSONL file still there.
fn convert_group(
    out: &Path,
    group: &str,
    pending: &[PathBuf],
    started: bool,
    c: Compression,
    expect: &[Option<u64>],
) -> Result<(), RunError> {
    if pending.is_empty() {
        return Ok(());
    }
    let path = layout_path(out, group);
    let io = |source| RunError::OutputDir {
        path: path.clone(),
        source,
    };
    let layout = if path.exists() {
        ParquetLayout::load(&path).map_err(io)?
    } else if started {
        return Err(RunError::Resume {
            dir: out.join(group),
            message: format!(
                "some files are parquet already but {} is missing",
                path.display()
            ),
        });
    } else {
        let layout = ParquetLayout::infer(pending, c).map_err(io)?;
        layout.save(&path).map_err(io)?;
        layout
    };
    for (jsonl, n) in pending.iter().zip(expect) {
        let name = jsonl.file_name().unwrap_or_default().to_string_lossy();
        let pq = jsonl.with_file_name(parquet_name(&name));
        convert_one(jsonl, &pq, c, *n, &layout)?;
    }
    Ok(())
}

/// Removes the saved layouts once every output is converted.
pub(crate) fn remove_layouts(out: &Path) -> Result<(), RunError> {
    for group in GROUPS {
        let path = layout_path(out, group);
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(RunError::OutputDir { path, source: e })
            }
            _ => {}
        }
    }
    Ok(())
}

/// Converts the finished JSONL outputs listed in `files` (paths relative to `out`, with their
/// record counts) to parquet, kept files with one layout and dropped files with another;
/// returns the list with the new names. A file already converted by an interrupted earlier
/// attempt (its parquet twin present, the JSONL gone) is kept as is.
pub(crate) fn convert_outputs(
    out: &Path,
    files: Vec<(String, u64)>,
    c: Compression,
) -> Result<Vec<(String, u64)>, RunError> {
    for group in GROUPS {
        let members: Vec<&(String, u64)> = files
            .iter()
            .filter(|(rel, _)| {
                rel.strip_prefix(group).is_some_and(|r| r.starts_with('/'))
                    && !rel.ends_with(".parquet")
            })
            .collect();
        let (pending, expect): (Vec<PathBuf>, Vec<Option<u64>>) = members
            .iter()
            .filter(|(rel, _)| out.join(rel).exists())
            .map(|(rel, n)| (out.join(rel), Some(*n)))
            .unzip();
        let started = pending.len() < members.len();
        convert_group(out, group, &pending, started, c, &expect)?;
        // A file converted earlier: its JSONL is gone, its parquet twin must be there.
        for (rel, _) in &members {
            let (jsonl, pq) = (out.join(rel), out.join(parquet_rel(rel)));
            if !jsonl.exists() && !pq.exists() {
                return Err(RunError::Resume {
                    dir: out.join(group),
                    message: format!("{} and {} are both missing", jsonl.display(), pq.display()),
                });
            }
        }
    }
    Ok(files
        .into_iter()
        .map(|(rel, n)| {
            if converts(&rel) && !rel.ends_with(".parquet") {
                (parquet_rel(&rel), n)
            } else {
                (rel, n)
            }
        })
        .collect())
}

/// Converts every JSONL file in a phased run's collected `kept/` (with the directories of
/// `--output-template`) or `dropped/`, with one layout for the group.
pub(crate) fn convert_dir(out: &Path, group: &str, c: Compression) -> Result<(), RunError> {
    let dir = out.join(group);
    let mut pending = Vec::new();
    let mut started = false;
    for p in crate::outdir::walk(&dir)? {
        let name = p
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        if name.starts_with('.') && name.ends_with(".partial") {
            // A conversion cut short; it is redone from its JSONL file.
            std::fs::remove_file(&p).map_err(|source| RunError::OutputDir {
                path: p.clone(),
                source,
            })?;
        } else if name.contains(".jsonl") {
            pending.push(p);
        } else if name.ends_with(".parquet") {
            started = true;
        }
    }
    let expect = vec![None; pending.len()];
    convert_group(out, group, &pending, started, c, &expect)
}

fn convert_one(
    jsonl: &Path,
    pq: &Path,
    c: Compression,
    expect: Option<u64>,
    layout: &ParquetLayout,
) -> Result<(), RunError> {
    let rows = jsonl_to_parquet(jsonl, c, pq, c, layout)?;
    if let Some(n) = expect.filter(|&n| n != rows) {
        return Err(RunError::OutputDir {
            path: pq.to_path_buf(),
            source: std::io::Error::other(format!("{rows} rows written, {n} records expected")),
        });
    }
    tamis_io::stop_point("parquet_renamed");
    std::fs::remove_file(jsonl).map_err(|source| RunError::OutputDir {
        path: jsonl.to_path_buf(),
        source,
    })?;
    tamis_io::sync_parent(pq);
    tamis_io::stop_point("parquet_converted");
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
