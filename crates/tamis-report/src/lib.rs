//! What a run did, for people who would rather look than read: the data is accumulated while
//! the run goes (`acc`: sizes, languages, domains, bounded deterministic examples; `dedup`:
//! cluster sizes and example clusters), saved as `OUT/report.json`, and rendered with
//! `stats.json` and `manifest.json` into one self-contained `OUT/report.html` (`html`).
//! See docs/report.md.

mod acc;
mod dedup;
mod hist;
pub mod html;
mod sample;
mod top;

use std::path::{Path, PathBuf};

pub use acc::{
    before, domain, Before, DocFacts, Population, ReportData, RuleTally, Shape, StepFlow,
    DOMAIN_CAP, FORMAT, SAMPLES_PER_CATEGORY,
};
pub use dedup::{ClusterExample, DedupSummary, CLUSTERS, MEMBERS};
pub use hist::Hist;
pub use sample::{stable_hash, Mark, Sample, SampleGate, Samples};
pub use top::TopCounts;

/// The accumulated data, next to `stats.json`.
pub const REPORT_JSON: &str = "report.json";
/// The page.
pub const REPORT_HTML: &str = "report.html";

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a finished run's output directory: {what} is missing (run `tamis run --report` first)")]
    Missing { path: PathBuf, what: &'static str },
    #[error("{path} is unreadable: {message}")]
    Parse { path: PathBuf, message: String },
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Option<T>, ReportError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(ReportError::Io {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| ReportError::Parse {
            path: path.to_path_buf(),
            message: e.to_string(),
        })
}

/// Renders `dir/report.html` from `dir/report.json`, `dir/stats.json` and (when present)
/// `dir/manifest.json`; returns the page's path.
pub fn write_html(dir: &Path) -> Result<PathBuf, ReportError> {
    let stats: serde_json::Value =
        read_json(&dir.join("stats.json"))?.ok_or_else(|| ReportError::Missing {
            path: dir.to_path_buf(),
            what: "stats.json",
        })?;
    let data: ReportData =
        read_json(&dir.join(REPORT_JSON))?.ok_or_else(|| ReportError::Missing {
            path: dir.to_path_buf(),
            what: REPORT_JSON,
        })?;
    if data.format != FORMAT {
        return Err(ReportError::Parse {
            path: dir.join(REPORT_JSON),
            message: format!("format {}, this tamis reads {FORMAT}", data.format),
        });
    }
    let manifest = read_json(&dir.join("manifest.json"))?.unwrap_or(serde_json::Value::Null);
    let title = dir
        .canonicalize()
        .unwrap_or_else(|_| dir.to_path_buf())
        .display()
        .to_string();
    let page = html::render(&title, &data, &stats, &manifest);
    let path = dir.join(REPORT_HTML);
    std::fs::write(&path, page).map_err(|source| ReportError::Io {
        path: path.clone(),
        source,
    })?;
    Ok(path)
}
