//! `tamis extract`: HTML files in, one main-text record per page out, in input order.

use std::path::PathBuf;

use rayon::prelude::*;
pub use tamis_extract::{Extracted, Limits};
pub use tamis_io::html::{html_files, HtmlFileError};

/// Why one page has no text.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    #[error(transparent)]
    File(#[from] HtmlFileError),
    #[error("{}: {source}", .path.display())]
    Extract {
        path: PathBuf,
        source: tamis_extract::ExtractError,
    },
}

/// Extracts every file in `files` on `threads` threads (0: all cores) and hands the results
/// to `sink` in input order; memory holds one batch of pages at a time.
pub fn extract_files<E>(
    files: &[PathBuf],
    limits: Limits,
    threads: usize,
    mut sink: impl FnMut(&PathBuf, Result<Extracted, PageError>) -> Result<(), E>,
) -> Result<(), E> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a thread pool with default settings builds");
    for batch in files.chunks(256) {
        let results: Vec<_> = pool.install(|| {
            batch
                .par_iter()
                .map(|path| {
                    let html = tamis_io::html::read_html(path, limits.max_bytes)?;
                    tamis_extract::extract(&html, &limits).map_err(|source| PageError::Extract {
                        path: path.clone(),
                        source,
                    })
                })
                .collect()
        });
        for (path, r) in batch.iter().zip(results) {
            sink(path, r)?;
        }
    }
    Ok(())
}
