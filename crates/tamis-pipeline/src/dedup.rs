//! `tamis dedup`, `tamis select` and `tamis rehydrate`: the corpus-wide job's stages behind one options struct, so the CLI stays thin.

use std::path::PathBuf;

use serde_json::Value;
use tamis_dedup::{
    DedupError, DedupJob, ExactKey, Method, MinHasher, MinhashConfig, RankSpec, RehydrateJob,
    Shard, Survivor, Weights,
};
use tamis_io::{expand_inputs, Compression, ReadOptions};

/// Which stage to run; `All` runs them in order on this machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DedupStage {
    All,
    Signatures,
    Buckets,
    Clusters,
    Filter,
    Stats,
}

pub struct DedupOptions {
    pub inputs: Vec<String>,
    pub out_dir: PathBuf,
    /// Intermediates; default `OUT/work`.
    pub work_dir: Option<PathBuf>,
    /// MinHash parameters and survivor rule (used unless `exact` is set).
    pub config: MinhashConfig,
    pub survivor: Survivor,
    /// Exact dedup on this key instead of MinHash.
    pub exact: Option<ExactKey>,
    /// Line dedup instead: remove lines found in at least this many documents.
    pub lines_min_docs: Option<u64>,
    /// Selection by rank instead of dedup (`tamis select`).
    pub rank: Option<RankSpec>,
    pub stage: DedupStage,
    pub shard: Shard,
    /// Sort-buffer budget of the signature stage, in bytes.
    pub memory_bytes: usize,
    /// Worker threads; 0 = all cores.
    pub threads: usize,
    pub compression: Compression,
    /// Replace an earlier run's outputs (only checked when running all stages).
    pub overwrite: bool,
    /// Keep the work directory after a complete run.
    pub keep_work: bool,
    /// Draw a progress bar on stderr.
    pub progress: bool,
}

impl DedupOptions {
    pub fn new(inputs: Vec<String>, out_dir: PathBuf) -> Self {
        Self {
            inputs,
            out_dir,
            work_dir: None,
            config: MinhashConfig::default(),
            survivor: Survivor::First,
            exact: None,
            lines_min_docs: None,
            rank: None,
            stage: DedupStage::All,
            shard: Shard::ALL,
            memory_bytes: 1 << 30,
            threads: 0,
            compression: Compression::Zstd,
            overwrite: false,
            keep_work: false,
            progress: false,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DedupRunError {
    #[error(transparent)]
    Dedup(#[from] DedupError),
    #[error(
        "output directory {0} already holds a run's outputs (pass --overwrite to replace them)"
    )]
    OutputExists(PathBuf),
    #[error("cannot clear {path}: {source}")]
    Clear {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot start worker threads: {0}")]
    Threads(String),
    #[error("no input files matched {0:?}")]
    NoInputs(Vec<String>),
    #[error(transparent)]
    Locked(#[from] crate::lock::LockError),
    #[error("the weights have no table for language {0:?}")]
    NoTable(String),
}

/// Runs the requested stage(s); returns `stats.json`'s content when the stats were written.
pub fn dedup(opts: &DedupOptions) -> Result<Option<Value>, DedupRunError> {
    let inputs = expand_inputs(&opts.inputs);
    if inputs.is_empty() {
        return Err(DedupRunError::NoInputs(opts.inputs.clone()));
    }
    let work_dir = opts
        .work_dir
        .clone()
        .unwrap_or_else(|| opts.out_dir.join("work"));
    // A lock file left behind marks a run that was killed (a run that ends removes it); it is
    // looked for before this run makes its own. A killed `tamis run` leaves one too, with a
    // checkpoint it can resume from: its outputs are not a dedup's to restart over.
    let killed_before = opts.out_dir.join(crate::lock::LOCK_FILE).exists()
        && !opts.out_dir.join(crate::checkpoint::CHECKPOINT).exists();
    // A whole run is the directory's one writer; stages run in shards share it on purpose.
    let _lock = match opts.stage {
        DedupStage::All => Some(crate::lock::lock_dir(&opts.out_dir)?),
        _ => None,
    };
    if opts.stage == DedupStage::All {
        let outputs = ["kept", "dropped", "quarantine", "stats.json"].map(|s| opts.out_dir.join(s));
        // A run killed before its end left outputs but no stats.json (written last), and its
        // work directory or its lock file: the same command starts it over, as `tamis run`
        // resumes.
        let interrupted =
            !opts.out_dir.join("stats.json").exists() && (work_dir.exists() || killed_before);
        if outputs.iter().any(|p| p.exists()) {
            if !opts.overwrite && !interrupted {
                return Err(DedupRunError::OutputExists(opts.out_dir.clone()));
            }
            clear(outputs.iter().chain([&work_dir]))?;
        }
    }
    let method = match (&opts.rank, &opts.exact, opts.lines_min_docs) {
        (Some(spec), _, _) => Method::Rank(spec.clone()),
        (None, Some(key), _) => Method::Exact(key.clone()),
        (None, None, Some(min_docs)) => Method::Lines { min_docs },
        (None, None, None) => Method::MinHash {
            hasher: MinHasher::new(opts.config.clone()).map_err(DedupError::from)?,
            survivor: opts.survivor,
        },
    };
    let job = DedupJob {
        method,
        inputs,
        work_dir: work_dir.clone(),
        out_dir: opts.out_dir.clone(),
        memory_bytes: opts.memory_bytes,
        compression: opts.compression,
        read: ReadOptions::default(),
        progress: progress_bar(opts.progress),
        observer: None,
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads)
        .build()
        .map_err(|e| DedupRunError::Threads(e.to_string()))?;
    let threads = pool.current_num_threads();
    let started = std::time::Instant::now();
    pool.install(|| -> Result<Option<Value>, DedupRunError> {
        Ok(match opts.stage {
            DedupStage::All => {
                let stats = job.run_stages(threads)?;
                // The work directory goes before stats.json is written, so that a run killed
                // while removing it is seen as unfinished and starts over.
                if !opts.keep_work {
                    std::fs::remove_dir_all(&work_dir).map_err(|source| DedupRunError::Clear {
                        path: work_dir.clone(),
                        source,
                    })?;
                }
                tamis_io::stop_point("dedup_cleaned");
                job.write_stats(&stats)?;
                Some(stats)
            }
            DedupStage::Signatures => {
                job.signatures(opts.shard)?;
                None
            }
            DedupStage::Buckets => {
                job.buckets(opts.shard)?;
                None
            }
            DedupStage::Clusters => {
                job.clusters()?;
                None
            }
            DedupStage::Filter => {
                job.filter(opts.shard)?;
                None
            }
            DedupStage::Stats => Some(job.stats(started.elapsed().as_secs_f64(), threads, &[])?),
        })
    })
}

/// Removes each of `paths` that exists, file or directory.
fn clear<'p>(paths: impl IntoIterator<Item = &'p PathBuf>) -> Result<(), DedupRunError> {
    for p in paths {
        let res = if p.is_dir() {
            std::fs::remove_dir_all(p)
        } else if p.exists() {
            std::fs::remove_file(p)
        } else {
            Ok(())
        };
        res.map_err(|source| DedupRunError::Clear {
            path: p.clone(),
            source,
        })?;
    }
    Ok(())
}

/// `tamis rehydrate`: every input document written as many times as its cluster size's weight.
pub struct RehydrateOptions {
    pub inputs: Vec<String>,
    pub out_dir: PathBuf,
    pub weights: Weights,
    /// Where the weights came from, for `stats.json`.
    pub weights_name: String,
    /// One language's table for every document instead of each document's own.
    pub language: Option<String>,
    /// Metadata key of the cluster size.
    pub size_key: String,
    /// Worker threads; 0 = all cores.
    pub threads: usize,
    pub compression: Compression,
    pub overwrite: bool,
    pub progress: bool,
}

/// Runs a rehydration; returns `stats.json`'s content.
pub fn rehydrate(opts: RehydrateOptions) -> Result<Value, DedupRunError> {
    if let Some(lang) = opts.language.as_ref().filter(|l| !opts.weights.covers(l)) {
        return Err(DedupRunError::NoTable(lang.clone()));
    }
    let inputs = expand_inputs(&opts.inputs);
    if inputs.is_empty() {
        return Err(DedupRunError::NoInputs(opts.inputs));
    }
    // A lock file left behind marks a killed run: its partial outputs are replaced.
    let killed_before = opts.out_dir.join(crate::lock::LOCK_FILE).exists();
    let _lock = crate::lock::lock_dir(&opts.out_dir)?;
    let outputs = ["kept", "quarantine", "stats.json"].map(|s| opts.out_dir.join(s));
    if outputs.iter().any(|p| p.exists()) {
        if !opts.overwrite && !killed_before {
            return Err(DedupRunError::OutputExists(opts.out_dir));
        }
        clear(&outputs)?;
    }
    let job = RehydrateJob {
        weights: opts.weights,
        weights_name: opts.weights_name,
        language: opts.language,
        size_key: opts.size_key,
        inputs,
        out_dir: opts.out_dir,
        compression: opts.compression,
        read: ReadOptions::default(),
        progress: progress_bar(opts.progress),
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads)
        .build()
        .map_err(|e| DedupRunError::Threads(e.to_string()))?;
    let threads = pool.current_num_threads();
    Ok(pool.install(|| job.run(threads))?)
}

/// A byte progress bar per reading stage (signatures, filter), when `enabled`.
pub(crate) fn progress_bar(enabled: bool) -> Option<tamis_dedup::ProgressFn> {
    if !enabled {
        return None;
    }
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{elapsed_precise} {prefix:>10} [{bar:30}] {bytes}/{total_bytes} eta {eta}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    Some(std::sync::Arc::new(move |stage: &str, done, total| {
        if bar.prefix() != stage {
            bar.set_prefix(stage.to_owned());
            bar.reset();
        }
        bar.set_length(total);
        bar.set_position(done);
    }))
}
