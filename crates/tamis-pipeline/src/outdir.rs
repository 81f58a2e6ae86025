//! The output directory: refusing or clearing an earlier run's outputs, its folders, and the
//! files that mark a run's state (`stats.json`, `report.json`, the checkpoint).

use std::path::{Path, PathBuf};

use tamis_report::ReportData;

use crate::checkpoint::{write_json_atomic, CHECKPOINT, INPUT_LOG, MANIFEST};
use crate::options::RunError;
use crate::stats::RunStats;
use crate::trace::SHARD_TRACE;

const SUBDIRS: [&str; 3] = ["kept", "dropped", "quarantine"];

/// Refuses earlier outputs in `dir`, or removes them with `overwrite`; creates `dir`.
pub(crate) fn clear_out_dir(dir: &Path, overwrite: bool) -> Result<(), RunError> {
    clear_dir(dir, overwrite, true)
}

/// [`clear_out_dir`] for a merge, whose failed attempts leave unmarked outputs of their own.
pub(crate) fn clear_merge_dir(dir: &Path, overwrite: bool) -> Result<(), RunError> {
    clear_dir(dir, overwrite, false)
}

fn clear_dir(dir: &Path, overwrite: bool, only_ours: bool) -> Result<(), RunError> {
    let io = |source| RunError::OutputDir {
        path: dir.to_path_buf(),
        source,
    };
    let marks = ["stats.json", MANIFEST, CHECKPOINT];
    let extra = [
        INPUT_LOG,
        SHARD_TRACE,
        tamis_report::REPORT_JSON,
        tamis_report::REPORT_HTML,
    ];
    let has_outputs =
        marks.iter().any(|m| dir.join(m).exists()) || SUBDIRS.iter().any(|s| dir.join(s).exists());
    if has_outputs {
        if !overwrite {
            return Err(RunError::OutputExists(dir.to_path_buf()));
        }
        // `--overwrite` deletes what a tamis run wrote, not a folder that merely has its name.
        // (A run writes its checkpoint, or `work-phases/`, before its output folders; the lock
        // file is no sign, this run has just made it.)
        let ours = marks.iter().any(|m| dir.join(m).exists()) || dir.join("work-phases").exists();
        if only_ours && !ours {
            return Err(RunError::NotOurs(dir.to_path_buf()));
        }
        for s in SUBDIRS {
            let p = dir.join(s);
            if p.exists() {
                std::fs::remove_dir_all(&p).map_err(io)?;
            }
        }
        for m in marks.iter().chain(&extra) {
            let _ = std::fs::remove_file(dir.join(m));
        }
    }
    std::fs::create_dir_all(dir).map_err(io)
}

pub(crate) fn create_subdirs(dir: &Path) -> Result<(), RunError> {
    for s in SUBDIRS {
        std::fs::create_dir_all(dir.join(s)).map_err(|source| RunError::OutputDir {
            path: dir.join(s),
            source,
        })?;
    }
    Ok(())
}

/// `report.json`, written before `stats.json` (the mark of a finished run).
pub(crate) fn write_report(dir: &Path, report: &ReportData) -> Result<(), RunError> {
    write_json_atomic(&dir.join(tamis_report::REPORT_JSON), report, false)
}

pub(crate) fn write_stats(dir: &Path, stats: &RunStats) -> Result<(), RunError> {
    // Through a hidden temp file and a rename: a full disk must not leave a truncated
    // stats.json, which other tools take as the mark of a finished run.
    write_json_atomic(&dir.join("stats.json"), stats, false)
}

/// Removes the checkpoint of a finished run.
pub(crate) fn remove_checkpoint(dir: &Path) -> Result<(), RunError> {
    let path = dir.join(CHECKPOINT);
    match std::fs::remove_file(&path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(RunError::OutputDir { path, source: e })
        }
        _ => Ok(()),
    }
}

/// Every file under `dir`, recursively, in path order.
pub(crate) fn walk(dir: &Path) -> Result<Vec<PathBuf>, RunError> {
    let mut out = Vec::new();
    if !dir.exists() {
        return Ok(out);
    }
    let io = |source| RunError::OutputDir {
        path: dir.to_path_buf(),
        source,
    };
    for e in std::fs::read_dir(dir).map_err(io)? {
        let p = e.map_err(io)?.path();
        if p.is_dir() {
            out.extend(walk(&p)?);
        } else {
            out.push(p);
        }
    }
    out.sort();
    Ok(out)
}
