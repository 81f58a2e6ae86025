//! Deduplication.
//!
//! MinHash near-duplicate detection with FineWeb's parameters, computed exactly as datatrove
//! 0.10.1 computes it (normalisation, word shingles, hashes, permutations, LSH bands,
//! clustering), so the documents it removes can be compared one to one with datatrove's. The
//! default survivor of a cluster is the earliest document, which does not depend on the order
//! work is done in; [`Survivor::Datatrove`] reproduces datatrove's choice. Exact dedup (of the
//! text, normalised or not, or of a metadata field such as the URL) shares the machinery.
//! [`DedupJob`] runs either out of core as four stages over sorted run files.

mod cluster;
mod job;
mod minhash;
mod numpy_rng;
pub mod rank;
pub mod rehydrate;
mod runs;
mod step;

use std::path::{Path, PathBuf};

pub use cluster::Survivor;
pub use job::{
    DedupJob, ExactKey, FileCounts, FilterObserver, Method, ProgressFn, Shard, RANK_BELOW,
    RANK_MISSING, RULE_CORPUS_REPEATED_LINE,
};
pub use minhash::{MinHasher, MinhashConfig, MinhashError, MERSENNE_61};
pub use numpy_rng::Mt19937;
pub use rank::{RankCut, RankSpec};
pub use rehydrate::{RehydrateJob, Upsampling, Weights, WeightsError};
pub use runs::DocRef;
pub use step::{
    dedup_step, ExactDedupConfig, LineDedupConfig, MinhashDedupConfig, RankSelectConfig,
    DEDUP_STEP_IDS,
};
pub use tamis_text::simplify::{simplify_stepwise, simplify_text, TextNorm};

#[derive(Debug, thiserror::Error)]
pub enum DedupError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: corrupt intermediate file: {detail} (delete the work directory and rerun)")]
    Corrupt { path: PathBuf, detail: String },
    #[error("stage `{stage}` has not finished: {missing} is missing (run that stage first, for every shard)")]
    StageIncomplete {
        stage: &'static str,
        missing: PathBuf,
    },
    #[error("{0}: more than 2^32 records in one input file; split it")]
    TooManyRecords(PathBuf),
    #[error(transparent)]
    Output(#[from] tamis_io::IoError),
    #[error(transparent)]
    Config(#[from] MinhashError),
}

impl DedupError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        DedupError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}
