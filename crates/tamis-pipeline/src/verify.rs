//! `tamis verify OUTDIR`: rechecks a finished run against its manifest, so a copy or an old
//! output directory can be trusted (or not) without rerunning it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use tamis_io::Compression;

use crate::checkpoint::{checksum, Manifest, CHECKPOINT, MANIFEST};

/// What a successful verification covered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifySummary {
    pub files: usize,
    pub read: u64,
    pub kept: u64,
    pub dropped: u64,
    pub quarantined: u64,
    pub fingerprint: String,
}

impl std::fmt::Display for VerifySummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "OK: {} output files match the manifest; read {} = kept {} + dropped {} + \
             quarantined {}; config {}",
            self.files, self.read, self.kept, self.dropped, self.quarantined, self.fingerprint
        )
    }
}

/// The first problem found, naming the file concerned.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("{}: cannot read the manifest: {message}", .path.display())]
    Manifest { path: PathBuf, message: String },
    #[error("{}: {message}", .path.display())]
    Mismatch { path: PathBuf, message: String },
}

fn mismatch(path: &Path, message: impl Into<String>) -> VerifyError {
    VerifyError::Mismatch {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

/// Recomputes the size, SHA-256 and record count of every output listed in
/// `dir/manifest.json`, checks that no unlisted file sits beside them, that the records per
/// output kind add up to the totals, that every input and the run balance
/// (`read = kept + dropped + quarantined`), and that `stats.json` agrees. A run that has not
/// finished (its `.checkpoint.json` is still there, or `stats.json` is missing) and a manifest
/// that names a path outside the output directory do not verify.
pub fn verify(dir: &Path) -> Result<VerifySummary, VerifyError> {
    let checkpoint = dir.join(CHECKPOINT);
    if checkpoint.exists() {
        return Err(mismatch(
            &checkpoint,
            "the run has not finished (rerun its command to finish it)",
        ));
    }
    let manifest_path = dir.join(MANIFEST);
    let manifest_error = |message: String| VerifyError::Manifest {
        path: manifest_path.clone(),
        message,
    };
    let text =
        std::fs::read_to_string(&manifest_path).map_err(|e| manifest_error(e.to_string()))?;
    let m: Manifest = serde_json::from_str(&text).map_err(|e| manifest_error(e.to_string()))?;
    let compression = match m.compression.as_str() {
        "zstd" => Compression::Zstd,
        "gzip" => Compression::Gzip,
        "none" => Compression::None,
        other => {
            return Err(mismatch(
                &manifest_path,
                format!("unknown compression {other:?}"),
            ))
        }
    };
    let mut sums = [0u64; 3];
    let subs = ["kept", "dropped", "quarantine"];
    let mut listed = BTreeSet::new();
    for f in &m.outputs {
        let path = dir.join(&f.path);
        // Only plain names below the output directory: `kept/../../x` would read elsewhere.
        let inside = Path::new(&f.path)
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)));
        if !inside {
            return Err(mismatch(
                &path,
                "the manifest names a path outside the output directory",
            ));
        }
        let kind = subs
            .iter()
            .position(|s| f.path.starts_with(&format!("{s}/")))
            .ok_or_else(|| mismatch(&path, "listed outside kept/, dropped/ and quarantine/"))?;
        let (bytes, sha256) =
            checksum(&path).map_err(|e| mismatch(&path, format!("cannot read: {e}")))?;
        if bytes != f.bytes {
            return Err(mismatch(
                &path,
                format!("{bytes} bytes, the manifest says {}", f.bytes),
            ));
        }
        if sha256 != f.sha256 {
            return Err(mismatch(
                &path,
                format!("SHA-256 {sha256}, the manifest says {}", f.sha256),
            ));
        }
        let n = crate::parquet_out::count_records(&path, compression)
            .map_err(|e| mismatch(&path, format!("cannot decode: {e}")))?;
        if n != f.records {
            return Err(mismatch(
                &path,
                format!("{n} records, the manifest says {}", f.records),
            ));
        }
        sums[kind] += n;
        listed.insert(path);
    }
    for sub in subs {
        let Ok(entries) = crate::outdir::walk(&dir.join(sub)) else {
            continue;
        };
        for p in entries {
            if !listed.contains(&p) {
                return Err(mismatch(&p, "not listed in the manifest"));
            }
        }
    }
    for (i, (sub, total)) in subs
        .iter()
        .zip([m.kept, m.dropped, m.quarantined])
        .enumerate()
    {
        if sums[i] != total {
            return Err(mismatch(
                &dir.join(sub),
                format!(
                    "the files hold {} records, the manifest's total is {total}",
                    sums[i]
                ),
            ));
        }
    }
    if m.read != m.kept + m.dropped + m.quarantined {
        return Err(mismatch(
            &manifest_path,
            format!(
                "read {} != kept {} + dropped {} + quarantined {}",
                m.read, m.kept, m.dropped, m.quarantined
            ),
        ));
    }
    if !m.inputs.is_empty() {
        let mut t = [0u64; 4];
        for a in &m.inputs {
            if !a.balanced() {
                return Err(mismatch(
                    Path::new(&a.path),
                    format!(
                        "input read {} != kept {} + dropped {} + quarantined {} (manifest)",
                        a.read, a.kept, a.dropped, a.quarantined
                    ),
                ));
            }
            for (acc, v) in t.iter_mut().zip([a.read, a.kept, a.dropped, a.quarantined]) {
                *acc += v;
            }
        }
        if t != [m.read, m.kept, m.dropped, m.quarantined] {
            return Err(mismatch(
                &manifest_path,
                format!(
                    "the inputs add up to read {} kept {} dropped {} quarantined {}, not the totals",
                    t[0], t[1], t[2], t[3]
                ),
            ));
        }
    }
    check_stats(dir, &m)?;
    Ok(VerifySummary {
        files: m.outputs.len(),
        read: m.read,
        kept: m.kept,
        dropped: m.dropped,
        quarantined: m.quarantined,
        fingerprint: m.fingerprint,
    })
}

/// `stats.json`, the mark of a finished run, must be there and report the manifest's totals
/// and fingerprint.
fn check_stats(dir: &Path, m: &Manifest) -> Result<(), VerifyError> {
    let path = dir.join("stats.json");
    let text = std::fs::read_to_string(&path).map_err(|e| {
        mismatch(
            &path,
            format!("cannot read it ({e}): the run has not finished"),
        )
    })?;
    let v: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| mismatch(&path, format!("not JSON: {e}")))?;
    for (k, want) in [
        ("read", m.read),
        ("kept", m.kept),
        ("dropped", m.dropped),
        ("quarantined", m.quarantined),
    ] {
        let got = v[k].as_u64().unwrap_or(u64::MAX);
        if got != want {
            return Err(mismatch(
                &path,
                format!("{k} {got}, the manifest says {want}"),
            ));
        }
    }
    if v["tamis_config"].as_str() != Some(m.fingerprint.as_str()) {
        return Err(mismatch(
            &path,
            format!(
                "config fingerprint {}, the manifest says {}",
                v["tamis_config"], m.fingerprint
            ),
        ));
    }
    Ok(())
}
