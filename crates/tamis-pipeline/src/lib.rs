//! Pipelines: a list of steps read from a TOML file or a named preset, built once (every
//! parameter validated before any document is read), and run by the local executor.

// Modules by layer; each uses only modules listed before it:
// - what a pipeline is: registry, spec, stats, template, lock, extract, train;
// - what a run is asked and how it fails: options;
// - its state on disk: checkpoint, trace (of a shard), outdir (the output directory);
// - its files: parquet_out, split (by template), outputs (the rolling writers, finished);
// - its stages: prefetch (read), batch (steps), progress; verify;
// - the run: executor (read, batch, steps, write, checkpoint), merge (of a sharded run);
// - runs of runs: dedup, phased (pipelines with dedup), shards.
mod batch;
mod checkpoint;
mod dedup;
mod executor;
pub mod extract;
pub mod lock;
mod merge;
mod options;
mod outdir;
mod outputs;
mod parquet_out;
mod phased;
mod prefetch;
mod progress;
mod registry;
mod shards;
mod spec;
mod split;
mod stats;
mod template;
mod trace;
mod train;
mod verify;

pub use checkpoint::{InputAccount, Manifest, OutputFile};
pub use dedup::{dedup, rehydrate, DedupOptions, DedupRunError, DedupStage, RehydrateOptions};
pub use executor::run;
pub use merge::merge_shards;
pub use options::{OutputFormat, RunError, RunOptions};
pub use phased::{has_dedup, run_spec, validate};
pub use registry::{lookup_step, step_registry};
pub use shards::{merge_run_shards, run_shard, shard_dir, shard_ranges, SHARDS_DIR};
pub use spec::{
    preset, presets, Outcome, Pipeline, PipelineSpec, Preset, SpecError, StepSpec, StepTally,
};
pub use stats::{RunStats, StepStats};
pub use tamis_clean::{explain as explain_lines, LineCleanConfig, LineDecision};
pub use tamis_dedup::{
    ExactKey, MinhashConfig, RankCut, RankSelectConfig, RankSpec, Shard, Survivor, Weights,
};
pub use tamis_filters::ClassifierInput;
pub use tamis_filters::FilterEntry;
pub use tamis_io::{Compression, ReadOptions};
pub use template::{OutputTemplate, TemplateError};
pub use train::{train_classifier, TrainOptions, TrainRunError, TrainingCounts, TrainingData};
pub use verify::{verify, VerifyError, VerifySummary};
/// The tamis version, part of every config fingerprint.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// Language identification (fastText-format models), for `tamis lid`.
pub use tamis_lid as lid;
/// The run report (`tamis run --report`, `tamis report`).
pub use tamis_report as report;
